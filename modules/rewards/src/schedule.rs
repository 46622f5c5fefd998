//! The emission schedule: pure integer functions of the params, an epoch number and the
//! measured capacity. No floats: rates are parts per billion, powers are computed by squaring
//! in 18-decimal fixed point with the product floored at every step (so the schedule is a
//! fixed, reproducible function, and no step can overflow: every intermediate fits in 256
//! bits).
//!
//! - base(e): `initial_epoch_emission`, halved every `halving_epochs` (HALVING), or times
//!   (1 − decay_ppb / 10⁹)^e (EXPONENTIAL), or constant (NONE);
//! - baseline(e, c): `baseline_epoch_emission` × min(c, T(e)) / T(e), where
//!   T(e) = `baseline_target` × (1 + baseline_growth_ppb / 10⁹)^e (0 when either is 0);
//! - minted(e) = min(base + baseline, max_supply − supply) when max_supply > 0.

use cosmwasm_std::{Uint128, Uint256};

use crate::params::{DecayKind, Params};

/// Parts per billion: the unit of decay and growth rates.
pub const PPB: u64 = 1_000_000_000;
/// 1.0 in the fixed point the powers use.
const ONE: u128 = 1_000_000_000_000_000_000;
/// Powers above this are "unbounded" (a target beyond any capacity): 10³⁸.
const POW_CAP: u128 = 100_000_000_000_000_000_000_000_000_000_000_000_000;

/// (rate)^n in 18-decimal fixed point, where rate = (PPB ± ppb) / PPB, floored at every
/// multiplication; saturates at [`POW_CAP`] (a growth that large is unbounded for our use).
pub fn pow_ppb(ppb: u64, grow: bool, n: u64) -> u128 {
    let num = if grow {
        u128::from(PPB) + u128::from(ppb)
    } else {
        u128::from(PPB).saturating_sub(u128::from(ppb))
    };
    let factor = ONE / u128::from(PPB) * num;
    let one = Uint256::from(ONE);
    let cap = Uint256::from(POW_CAP);
    let mut result = one;
    let mut base = Uint256::from(factor);
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            result = (result * base / one).min(cap);
            if result.is_zero() {
                return 0;
            }
        }
        n >>= 1;
        if n > 0 {
            base = (base * base / one).min(cap);
        }
    }
    Uint128::try_from(result).map_or(POW_CAP, |v| v.u128())
}

/// `amount` × `fixed` / 10¹⁸, floored (fixed ≤ POW_CAP, so the product fits in 256 bits).
fn scale(amount: Uint128, fixed: u128) -> Uint128 {
    let v = Uint256::from(amount) * Uint256::from(fixed) / Uint256::from(ONE);
    Uint128::try_from(v).unwrap_or(Uint128::MAX)
}

/// The base emission of epoch `epoch`.
pub fn base(params: &Params, epoch: u64) -> Uint128 {
    let e0 = params.initial_epoch_emission;
    match params.decay {
        DecayKind::None => e0,
        DecayKind::Halving => {
            let halvings = epoch / params.halving_epochs.max(1);
            if halvings >= 128 {
                Uint128::zero()
            } else {
                Uint128::new(e0.u128() >> halvings)
            }
        }
        DecayKind::Exponential => scale(e0, pow_ppb(params.decay_ppb, false, epoch)),
    }
}

/// The baseline target of epoch `epoch` (0: no baseline); saturates at u64::MAX.
pub fn target(params: &Params, epoch: u64) -> u64 {
    if params.baseline_target == 0 || params.baseline_epoch_emission.is_zero() {
        return 0;
    }
    let t = scale(
        Uint128::from(params.baseline_target),
        pow_ppb(params.baseline_growth_ppb, true, epoch),
    );
    u64::try_from(t.u128()).unwrap_or(u64::MAX)
}

/// The baseline emission of epoch `epoch` at measured capacity `capacity`.
pub fn baseline(params: &Params, epoch: u64, capacity: u64) -> Uint128 {
    let t = target(params, epoch);
    if t == 0 {
        return Uint128::zero();
    }
    params
        .baseline_epoch_emission
        .multiply_ratio(capacity.min(t), t)
}

/// What the schedule says for one epoch, and what may be minted of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emission {
    pub base: Uint128,
    pub baseline: Uint128,
    pub target: u64,
    /// base + baseline, less what `max_supply` holds back given `supply`.
    pub minted: Uint128,
}

impl Emission {
    pub fn scheduled(&self) -> Uint128 {
        self.base.saturating_add(self.baseline)
    }

    pub fn capped(&self) -> Uint128 {
        self.scheduled().saturating_sub(self.minted)
    }
}

/// The emission of `epoch` at `capacity`, with the denom's total `supply` now.
pub fn emission(params: &Params, epoch: u64, capacity: u64, supply: Uint128) -> Emission {
    let base = base(params, epoch);
    let baseline = baseline(params, epoch, capacity);
    let scheduled = base.saturating_add(baseline);
    // The supply can never pass u128::MAX (the bank's own bound), max_supply or not.
    let room = Uint128::MAX - supply;
    let minted = if params.max_supply.is_zero() {
        scheduled.min(room)
    } else {
        scheduled
            .min(params.max_supply.saturating_sub(supply))
            .min(room)
    };
    Emission {
        base,
        baseline,
        target: target(params, epoch),
        minted,
    }
}

/// Splits `amount` by basis points: (validators, devices, providers, community); the community
/// pool gets the rounding remainder, so the parts always add up to `amount`.
pub fn buckets(params: &Params, amount: Uint128) -> [Uint128; 4] {
    let part = |bps: u32| amount.multiply_ratio(bps, 10_000u32);
    let v = part(params.validators_bps);
    let d = part(params.devices_bps);
    let p = part(params.providers_bps);
    let c = amount - v - d - p;
    [v, d, p, c]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params::default()
    }

    #[test]
    fn halving_halves_and_ends() {
        let p = Params {
            decay: DecayKind::Halving,
            halving_epochs: 10,
            initial_epoch_emission: Uint128::new(1_000),
            ..params()
        };
        assert_eq!(base(&p, 0), Uint128::new(1_000));
        assert_eq!(base(&p, 9), Uint128::new(1_000));
        assert_eq!(base(&p, 10), Uint128::new(500));
        assert_eq!(base(&p, 35), Uint128::new(125));
        assert_eq!(base(&p, 10 * 127), Uint128::zero());
        assert_eq!(base(&p, u64::MAX), Uint128::zero());
    }

    #[test]
    fn exponential_decay_matches_the_rate() {
        let p = Params {
            decay: DecayKind::Exponential,
            decay_ppb: 100_000_000, // 10% an epoch
            initial_epoch_emission: Uint128::new(1_000_000),
            ..params()
        };
        assert_eq!(base(&p, 0), Uint128::new(1_000_000));
        assert_eq!(base(&p, 1), Uint128::new(900_000));
        assert_eq!(base(&p, 2), Uint128::new(810_000));
        assert_eq!(base(&p, 3), Uint128::new(729_000));
        // 0.9^100 = 2.656e-5
        assert_eq!(base(&p, 100), Uint128::new(26));
        assert_eq!(base(&p, u64::MAX), Uint128::zero());
        // A rate of 100% ends emission after epoch 0.
        let all = Params {
            decay_ppb: PPB,
            ..p.clone()
        };
        assert_eq!(base(&all, 1), Uint128::zero());
    }

    #[test]
    fn baseline_grows_its_target_and_pays_by_capacity() {
        let p = Params {
            baseline_epoch_emission: Uint128::new(1_000),
            baseline_target: 100,
            baseline_growth_ppb: 500_000_000, // +50% an epoch
            ..params()
        };
        assert_eq!(target(&p, 0), 100);
        assert_eq!(target(&p, 1), 150);
        assert_eq!(target(&p, 2), 225);
        assert_eq!(baseline(&p, 0, 50), Uint128::new(500));
        assert_eq!(baseline(&p, 0, 100), Uint128::new(1_000));
        assert_eq!(
            baseline(&p, 0, 10_000),
            Uint128::new(1_000),
            "capped at the target"
        );
        assert_eq!(baseline(&p, 1, 100), Uint128::new(666));
        // The target saturates rather than overflows; the baseline then vanishes.
        assert_eq!(target(&p, u64::MAX), u64::MAX);
        assert_eq!(baseline(&p, u64::MAX, u64::MAX), Uint128::new(1_000));
        assert_eq!(baseline(&p, u64::MAX, 1_000), Uint128::zero());
    }

    #[test]
    fn max_supply_holds_back_what_exceeds_it() {
        let p = Params {
            initial_epoch_emission: Uint128::new(1_000),
            max_supply: Uint128::new(10_500),
            ..params()
        };
        let e = emission(&p, 0, 0, Uint128::new(10_000));
        assert_eq!(
            (e.minted, e.capped()),
            (Uint128::new(500), Uint128::new(500))
        );
        let e = emission(&p, 0, 0, Uint128::new(20_000));
        assert_eq!(e.minted, Uint128::zero());
    }

    #[test]
    fn buckets_add_up() {
        let p = params();
        for amount in [0u128, 1, 7, 9_999, 10_001, u128::MAX] {
            let b = buckets(&p, Uint128::new(amount));
            let sum = b.iter().fold(Uint128::zero(), |a, x| a + *x);
            assert_eq!(sum, Uint128::new(amount));
        }
    }
}
