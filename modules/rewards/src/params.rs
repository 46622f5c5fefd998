//! Rewards params, changed only by the governance authority (`MsgUpdateParams`). JSON in the
//! proto3 mapping of `depin.rewards.v1.Params` (integers of 64 bits and amounts as strings).

use cosmwasm_std::Uint128;
use depin_app::coins;
use depin_proto::depin::rewards::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::schedule::PPB;

pub const DEFAULT_DENOM: &str = "udepin";
/// The most records one block may process when sharing a bucket.
pub const MAX_PAYOUTS_PER_BLOCK_CAP: u32 = 10_000;
/// The fastest decay or growth a param may set: 100% an epoch.
pub const MAX_RATE_PPB: u64 = PPB;
/// The largest emission an epoch's base or baseline may have: 10³⁰ base units. Totals (u128)
/// then cannot overflow for at least 3 × 10⁸ epochs.
pub const MAX_EPOCH_EMISSION: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// The largest score weight (a weight is a relative measure; this bounds the arithmetic).
pub const MAX_WEIGHT: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DecayKind {
    #[default]
    #[serde(rename = "DECAY_KIND_NONE")]
    None,
    #[serde(rename = "DECAY_KIND_HALVING")]
    Halving,
    #[serde(rename = "DECAY_KIND_EXPONENTIAL")]
    Exponential,
}

impl DecayKind {
    pub fn to_proto(self) -> pb::DecayKind {
        match self {
            DecayKind::None => pb::DecayKind::None,
            DecayKind::Halving => pb::DecayKind::Halving,
            DecayKind::Exponential => pb::DecayKind::Exponential,
        }
    }

    pub fn from_proto(v: i32) -> Result<Self, RewardsError> {
        match pb::DecayKind::try_from(v) {
            Ok(pb::DecayKind::None) => Ok(DecayKind::None),
            Ok(pb::DecayKind::Halving) => Ok(DecayKind::Halving),
            Ok(pb::DecayKind::Exponential) => Ok(DecayKind::Exponential),
            Err(_) => Err(RewardsError::InvalidParams(format!(
                "decay {v} is not a DecayKind"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub denom: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch_blocks: u64,
    pub initial_epoch_emission: Uint128,
    pub decay: DecayKind,
    #[serde(with = "depin_app::json::u64_string")]
    pub halving_epochs: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub decay_ppb: u64,
    pub max_supply: Uint128,
    pub baseline_epoch_emission: Uint128,
    #[serde(with = "depin_app::json::u64_string")]
    pub baseline_target: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub baseline_growth_ppb: u64,
    pub validators_bps: u32,
    pub devices_bps: u32,
    pub providers_bps: u32,
    pub community_bps: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub heartbeat_weight: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub beacon_weight: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub witness_weight: u64,
    pub hex_density_target: u32,
    pub max_reward_per_take_bps: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub credits_per_unit: u64,
    pub max_payouts_per_block: u32,
}

impl Default for Params {
    /// 1,000 DEPIN (10⁹ udepin) an epoch of 600 blocks (about an hour at 6 s), halved every
    /// 8,760 epochs (about a year), at most 1 billion DEPIN; no baseline. 30% to validators
    /// and delegators, 40% to devices, 20% to providers, 10% to the community pool.
    fn default() -> Self {
        Params {
            denom: DEFAULT_DENOM.into(),
            epoch_blocks: 600,
            initial_epoch_emission: Uint128::new(1_000_000_000),
            decay: DecayKind::Halving,
            halving_epochs: 8_760,
            decay_ppb: 0,
            max_supply: Uint128::new(1_000_000_000_000_000),
            baseline_epoch_emission: Uint128::zero(),
            baseline_target: 0,
            baseline_growth_ppb: 0,
            validators_bps: 3_000,
            devices_bps: 4_000,
            providers_bps: 2_000,
            community_bps: 1_000,
            heartbeat_weight: 1,
            beacon_weight: 4,
            witness_weight: 2,
            hex_density_target: 4,
            max_reward_per_take_bps: 5_000,
            credits_per_unit: 100,
            max_payouts_per_block: 500,
        }
    }
}

fn invalid(msg: impl Into<String>) -> RewardsError {
    RewardsError::InvalidParams(msg.into())
}

impl Params {
    pub fn validate(&self) -> Result<(), RewardsError> {
        coins::validate_denom(&self.denom).map_err(|e| invalid(format!("denom: {}", e.message)))?;
        if self.epoch_blocks == 0 {
            return Err(invalid("epoch_blocks must be at least 1"));
        }
        match self.decay {
            DecayKind::Halving if self.halving_epochs == 0 => {
                return Err(invalid("a halving schedule needs halving_epochs ≥ 1"));
            }
            DecayKind::Exponential if self.decay_ppb == 0 || self.decay_ppb > MAX_RATE_PPB => {
                return Err(invalid(format!(
                    "an exponential schedule needs 1 ≤ decay_ppb ≤ {MAX_RATE_PPB}"
                )));
            }
            _ => {}
        }
        for (what, v) in [
            ("initial_epoch_emission", self.initial_epoch_emission),
            ("baseline_epoch_emission", self.baseline_epoch_emission),
        ] {
            if v.u128() > MAX_EPOCH_EMISSION {
                return Err(invalid(format!(
                    "{what} is at most 10^30 base units an epoch (the totals must not overflow)"
                )));
            }
        }
        if self.baseline_growth_ppb > MAX_RATE_PPB {
            return Err(invalid(format!(
                "baseline_growth_ppb is at most {MAX_RATE_PPB} (100% an epoch)"
            )));
        }
        if !self.baseline_epoch_emission.is_zero() && self.baseline_target == 0 {
            return Err(invalid(
                "a baseline emission needs a baseline_target (capacity it is measured against)",
            ));
        }
        let sum = u64::from(self.validators_bps)
            + u64::from(self.devices_bps)
            + u64::from(self.providers_bps)
            + u64::from(self.community_bps);
        if sum != 10_000 {
            return Err(invalid(format!(
                "the buckets (validators, devices, providers, community) sum to {sum} bps: they must sum to 10000"
            )));
        }
        if self.max_reward_per_take_bps > 10_000 {
            return Err(invalid(
                "max_reward_per_take_bps is at most 10000: a provider may never earn more than it paid the network (self-dealing would pay)",
            ));
        }
        if self.max_payouts_per_block == 0 || self.max_payouts_per_block > MAX_PAYOUTS_PER_BLOCK_CAP
        {
            return Err(invalid(format!(
                "max_payouts_per_block is 1 to {MAX_PAYOUTS_PER_BLOCK_CAP}"
            )));
        }
        if self.devices_bps > 0
            && self.heartbeat_weight == 0
            && self.beacon_weight == 0
            && self.witness_weight == 0
        {
            return Err(invalid(
                "a device bucket needs a score: heartbeat_weight, beacon_weight or witness_weight above 0",
            ));
        }
        for (what, w) in [
            ("heartbeat_weight", self.heartbeat_weight),
            ("beacon_weight", self.beacon_weight),
            ("witness_weight", self.witness_weight),
        ] {
            if w > MAX_WEIGHT {
                return Err(invalid(format!("{what} is at most {MAX_WEIGHT}")));
            }
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            denom: self.denom.clone(),
            epoch_blocks: self.epoch_blocks,
            initial_epoch_emission: self.initial_epoch_emission.to_string(),
            decay: self.decay.to_proto() as i32,
            halving_epochs: self.halving_epochs,
            decay_ppb: self.decay_ppb,
            max_supply: self.max_supply.to_string(),
            baseline_epoch_emission: self.baseline_epoch_emission.to_string(),
            baseline_target: self.baseline_target,
            baseline_growth_ppb: self.baseline_growth_ppb,
            validators_bps: self.validators_bps,
            devices_bps: self.devices_bps,
            providers_bps: self.providers_bps,
            community_bps: self.community_bps,
            heartbeat_weight: self.heartbeat_weight,
            beacon_weight: self.beacon_weight,
            witness_weight: self.witness_weight,
            hex_density_target: self.hex_density_target,
            max_reward_per_take_bps: self.max_reward_per_take_bps,
            credits_per_unit: self.credits_per_unit,
            max_payouts_per_block: self.max_payouts_per_block,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, RewardsError> {
        let amount = |what: &str, s: &str| -> Result<Uint128, RewardsError> {
            if s.is_empty() {
                return Ok(Uint128::zero());
            }
            s.parse::<u128>()
                .map(Uint128::new)
                .map_err(|_| invalid(format!("{what} {s:?} is not a whole number")))
        };
        Ok(Params {
            denom: p.denom.clone(),
            epoch_blocks: p.epoch_blocks,
            initial_epoch_emission: amount("initial_epoch_emission", &p.initial_epoch_emission)?,
            decay: DecayKind::from_proto(p.decay)?,
            halving_epochs: p.halving_epochs,
            decay_ppb: p.decay_ppb,
            max_supply: amount("max_supply", &p.max_supply)?,
            baseline_epoch_emission: amount("baseline_epoch_emission", &p.baseline_epoch_emission)?,
            baseline_target: p.baseline_target,
            baseline_growth_ppb: p.baseline_growth_ppb,
            validators_bps: p.validators_bps,
            devices_bps: p.devices_bps,
            providers_bps: p.providers_bps,
            community_bps: p.community_bps,
            heartbeat_weight: p.heartbeat_weight,
            beacon_weight: p.beacon_weight,
            witness_weight: p.witness_weight,
            hex_density_target: p.hex_density_target,
            max_reward_per_take_bps: p.max_reward_per_take_bps,
            credits_per_unit: p.credits_per_unit,
            max_payouts_per_block: p.max_payouts_per_block,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["decay"], "DECAY_KIND_HALVING");
        assert_eq!(json["epoch_blocks"], "600");
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
    }

    #[test]
    fn bad_params_are_refused() {
        let ok = Params::default();
        let cases: Vec<(Params, &str)> = vec![
            (
                Params {
                    epoch_blocks: 0,
                    ..ok.clone()
                },
                "epoch_blocks",
            ),
            (
                Params {
                    halving_epochs: 0,
                    ..ok.clone()
                },
                "halving_epochs",
            ),
            (
                Params {
                    decay: DecayKind::Exponential,
                    decay_ppb: 0,
                    ..ok.clone()
                },
                "decay_ppb",
            ),
            (
                Params {
                    community_bps: 1_001,
                    ..ok.clone()
                },
                "sum to 10001",
            ),
            (
                Params {
                    max_reward_per_take_bps: 10_001,
                    ..ok.clone()
                },
                "self-dealing",
            ),
            (
                Params {
                    max_payouts_per_block: 0,
                    ..ok.clone()
                },
                "max_payouts_per_block",
            ),
            (
                Params {
                    baseline_epoch_emission: Uint128::new(5),
                    ..ok.clone()
                },
                "baseline_target",
            ),
            (
                Params {
                    baseline_growth_ppb: PPB + 1,
                    ..ok.clone()
                },
                "baseline_growth_ppb",
            ),
            (
                Params {
                    denom: "x".into(),
                    ..ok.clone()
                },
                "denom",
            ),
        ];
        for (p, want) in cases {
            let err = p.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{err} (wanted {want})");
        }
    }
}
