//! Decimal coins (`DecCoins`): amounts with 18 decimal places, as the Cosmos SDK's
//! `LegacyDec`. Amounts are `Decimal256` (the same 18 places); every operation is checked
//! integer math on their atomics, rounded exactly where the SDK rounds: `*_truncate` floors,
//! [`DecCoins::mul_dec`] rounds half to even (the SDK's `Mul`).
//!
//! In protobuf a `DecCoin` amount is the integer of its atomics ("1500000000000000000" is
//! 1.5); in JSON and events an 18-place decimal ("1.500000000000000000").

use std::collections::BTreeMap;

use cosmrs::proto::cosmos::base::v1beta1::DecCoin as ProtoDecCoin;
use cosmwasm_std::{Decimal256, Uint128, Uint256, Uint512};
use depin_app::coins::Coin;
use depin_staking::dec;
use serde::{Deserialize, Serialize};

use crate::error::DistributionError;

/// 10^18: the atomics of 1.
pub const ONE: u128 = 1_000_000_000_000_000_000;

fn overflow(what: &str) -> DistributionError {
    DistributionError::Overflow(what.to_string())
}

/// floor(a × b / c) with a 512-bit product; `None` when c is 0 or the result passes 256 bits.
pub fn mul_div_floor(a: Uint256, b: Uint256, c: Uint256) -> Option<Uint256> {
    if c.is_zero() {
        return None;
    }
    let product = Uint512::from(a).checked_mul(Uint512::from(b)).ok()?;
    Uint256::try_from(product / Uint512::from(c)).ok()
}

/// q / 10^18 rounded half to even, as the SDK's `chopPrecisionAndRound`.
fn chop_round(q: Uint512) -> Option<Uint256> {
    let one = Uint512::from(ONE);
    let (quo, rem) = (q / one, q % one);
    let half = Uint512::from(ONE / 2);
    let up = rem > half || (rem == half && quo % Uint512::from(2u8) == Uint512::one());
    let quo = if up {
        quo.checked_add(Uint512::one()).ok()?
    } else {
        quo
    };
    Uint256::try_from(quo).ok()
}

/// a × b, truncated (the SDK's `MulTruncate`).
pub fn mul_truncate(a: Decimal256, b: Decimal256) -> Option<Decimal256> {
    mul_div_floor(a.atomics(), b.atomics(), Uint256::from(ONE)).map(Decimal256::new)
}

/// a × b, rounded half to even (the SDK's `Mul`).
pub fn mul_round(a: Decimal256, b: Decimal256) -> Option<Decimal256> {
    let product = Uint512::from(a.atomics())
        .checked_mul(Uint512::from(b.atomics()))
        .ok()?;
    chop_round(product).map(Decimal256::new)
}

/// a / b, truncated (the SDK's `QuoTruncate`); `None` when b is 0.
pub fn quo_truncate(a: Decimal256, b: Decimal256) -> Option<Decimal256> {
    mul_div_floor(a.atomics(), Uint256::from(ONE), b.atomics()).map(Decimal256::new)
}

/// a / b, rounded half to even (the SDK's `Quo`); `None` when b is 0.
pub fn quo_round(a: Decimal256, b: Decimal256) -> Option<Decimal256> {
    if b.is_zero() {
        return None;
    }
    let scaled = Uint512::from(a.atomics())
        .checked_mul(Uint512::from(ONE))
        .ok()?
        .checked_mul(Uint512::from(ONE))
        .ok()?;
    chop_round(scaled / Uint512::from(b.atomics())).map(Decimal256::new)
}

/// A whole number as a decimal.
pub fn from_int(amount: Uint128) -> Decimal256 {
    dec::from_tokens(amount)
}

/// The whole part of `d` and what is left.
pub fn truncate(d: Decimal256) -> (Uint128, Decimal256) {
    let one = Uint256::from(ONE);
    let whole = d.atomics() / one;
    let frac = d.atomics() % one;
    // A Decimal256's whole part is below 2^256 / 10^18 < 2^197; amounts that leave the
    // module are bank balances, which fit 128 bits. Saturate rather than wrap otherwise.
    (
        Uint128::try_from(whole).unwrap_or(Uint128::MAX),
        Decimal256::new(frac),
    )
}

/// One decimal coin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecCoin {
    pub denom: String,
    #[serde(with = "dec::json")]
    pub amount: Decimal256,
}

/// Decimal coins: sorted by denom, no denom twice, no zero amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DecCoins(Vec<DecCoin>);

impl DecCoins {
    pub fn new() -> Self {
        DecCoins(Vec::new())
    }

    /// From a map (sorted by construction), dropping zeros.
    fn from_map(map: BTreeMap<String, Decimal256>) -> Self {
        DecCoins(
            map.into_iter()
                .filter(|(_, a)| !a.is_zero())
                .map(|(denom, amount)| DecCoin { denom, amount })
                .collect(),
        )
    }

    fn to_map(&self) -> BTreeMap<String, Decimal256> {
        self.0.iter().map(|c| (c.denom.clone(), c.amount)).collect()
    }

    /// Checks the invariants of the type (for documents read from outside).
    pub fn validated(coins: Vec<DecCoin>, what: &str) -> Result<Self, DistributionError> {
        for (i, c) in coins.iter().enumerate() {
            depin_app::coins::validate_denom(&c.denom)
                .map_err(|e| DistributionError::InvalidRequest(format!("{what}: {}", e.message)))?;
            if c.amount.is_zero() {
                return Err(DistributionError::InvalidRequest(format!(
                    "{what}: coin {} has a zero amount",
                    c.denom
                )));
            }
            if i > 0 && coins[i - 1].denom >= c.denom {
                return Err(DistributionError::InvalidRequest(format!(
                    "{what}: coins are not sorted by denom or repeat a denom"
                )));
            }
        }
        Ok(DecCoins(coins))
    }

    pub fn from_coins(coins: &[Coin]) -> Self {
        DecCoins::from_map(
            coins
                .iter()
                .map(|c| (c.denom.clone(), from_int(c.amount)))
                .collect(),
        )
    }

    pub fn coins(&self) -> &[DecCoin] {
        &self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn amount_of(&self, denom: &str) -> Decimal256 {
        self.0
            .iter()
            .find(|c| c.denom == denom)
            .map(|c| c.amount)
            .unwrap_or_default()
    }

    pub fn add(&self, other: &DecCoins) -> Result<DecCoins, DistributionError> {
        let mut map = self.to_map();
        for c in &other.0 {
            let slot = map.entry(c.denom.clone()).or_default();
            *slot = slot
                .checked_add(c.amount)
                .map_err(|_| overflow("decimal coins"))?;
        }
        Ok(DecCoins::from_map(map))
    }

    /// `self − other`; an error when some amount would go negative.
    pub fn sub(&self, other: &DecCoins) -> Result<DecCoins, DistributionError> {
        let mut map = self.to_map();
        for c in &other.0 {
            let have = map.get(&c.denom).copied().unwrap_or_default();
            let left = have.checked_sub(c.amount).map_err(|_| {
                DistributionError::Corrupt(format!(
                    "{} minus {} is negative",
                    self,
                    DecCoins(vec![c.clone()])
                ))
            })?;
            map.insert(c.denom.clone(), left);
        }
        Ok(DecCoins::from_map(map))
    }

    /// Whether every amount of `other` is at most this one's.
    pub fn covers(&self, other: &DecCoins) -> bool {
        other.0.iter().all(|c| self.amount_of(&c.denom) >= c.amount)
    }

    /// Each amount × `d`, truncated.
    pub fn mul_dec_truncate(&self, d: Decimal256) -> Result<DecCoins, DistributionError> {
        self.map_amounts(|a| mul_truncate(a, d))
    }

    /// Each amount × `d`, rounded half to even.
    pub fn mul_dec(&self, d: Decimal256) -> Result<DecCoins, DistributionError> {
        self.map_amounts(|a| mul_round(a, d))
    }

    /// Each amount / `d`, truncated.
    pub fn quo_dec_truncate(&self, d: Decimal256) -> Result<DecCoins, DistributionError> {
        self.map_amounts(|a| quo_truncate(a, d))
    }

    fn map_amounts(
        &self,
        f: impl Fn(Decimal256) -> Option<Decimal256>,
    ) -> Result<DecCoins, DistributionError> {
        let mut map = BTreeMap::new();
        for c in &self.0 {
            map.insert(
                c.denom.clone(),
                f(c.amount).ok_or_else(|| overflow("decimal coins"))?,
            );
        }
        Ok(DecCoins::from_map(map))
    }

    /// The whole coins and the decimal remainder.
    pub fn truncate(&self) -> (Vec<Coin>, DecCoins) {
        let mut whole = Vec::new();
        let mut rest = BTreeMap::new();
        for c in &self.0 {
            let (w, f) = truncate(c.amount);
            if !w.is_zero() {
                whole.push(Coin {
                    denom: c.denom.clone(),
                    amount: w,
                });
            }
            rest.insert(c.denom.clone(), f);
        }
        (whole, DecCoins::from_map(rest))
    }

    /// The smaller amount of each denom present in both.
    pub fn intersect(&self, other: &DecCoins) -> DecCoins {
        DecCoins::from_map(
            self.0
                .iter()
                .map(|c| (c.denom.clone(), c.amount.min(other.amount_of(&c.denom))))
                .collect(),
        )
    }

    pub fn to_proto(&self) -> Vec<ProtoDecCoin> {
        self.0
            .iter()
            .map(|c| ProtoDecCoin {
                denom: c.denom.clone(),
                amount: dec::to_proto(c.amount),
            })
            .collect()
    }
}

impl std::fmt::Display for DecCoins {
    /// "1.500000000000000000udepin,2.000000000000000000uatom" (empty for none), as the SDK's
    /// `DecCoins.String`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|c| format!("{}{}", dec::fmt(c.amount), c.denom))
            .collect();
        write!(f, "{}", parts.join(","))
    }
}

/// Reads a decimal fraction in protobuf form (the integer of its atomics); empty text is
/// `None` (a nil `LegacyDec`).
pub fn from_proto_opt(s: &str, what: &str) -> Result<Option<Decimal256>, DistributionError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim()
        .parse::<Uint256>()
        .map(|a| Some(Decimal256::new(a)))
        .map_err(|_| {
            DistributionError::InvalidParams(format!(
                "{what} {s:?} is not a decimal in its protobuf form (the integer of 10^-18 \
                 units, e.g. \"20000000000000000\" for 0.02)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal256 {
        s.parse().unwrap()
    }

    fn coins(list: &[(&str, &str)]) -> DecCoins {
        DecCoins::from_map(list.iter().map(|(n, a)| (n.to_string(), d(a))).collect())
    }

    #[test]
    fn rounding_matches_the_sdk() {
        let tiny = Decimal256::new(Uint256::one());
        // 0.5 atomics rounds to even (0), 1.5 atomics to 2.
        let half = d("0.5");
        assert_eq!(mul_round(tiny, half).unwrap(), Decimal256::zero());
        assert_eq!(
            mul_round(Decimal256::new(Uint256::from(3u8)), half).unwrap(),
            Decimal256::new(Uint256::from(2u8))
        );
        assert_eq!(
            mul_truncate(Decimal256::new(Uint256::from(3u8)), half).unwrap(),
            tiny
        );
        let third = quo_truncate(Decimal256::one(), d("3")).unwrap();
        assert_eq!(third.atomics(), Uint256::from(333_333_333_333_333_333u128));
        let two_thirds = quo_round(d("2"), d("3")).unwrap();
        assert_eq!(
            two_thirds.atomics(),
            Uint256::from(666_666_666_666_666_667u128)
        );
        assert_eq!(quo_truncate(Decimal256::one(), Decimal256::zero()), None);
        assert_eq!(quo_round(Decimal256::one(), Decimal256::zero()), None);
    }

    #[test]
    fn coin_arithmetic() {
        let a = coins(&[("uatom", "1.5"), ("udepin", "10")]);
        let b = coins(&[("udepin", "2.25")]);
        let sum = a.add(&b).unwrap();
        assert_eq!(sum.amount_of("udepin"), d("12.25"));
        assert_eq!(sum.sub(&b).unwrap(), a);
        assert!(b.sub(&a).is_err());
        let (whole, rest) = sum.truncate();
        assert_eq!(whole, vec![Coin::new(1, "uatom"), Coin::new(12, "udepin")]);
        assert_eq!(rest, coins(&[("uatom", "0.5"), ("udepin", "0.25")]));
        // Zeros disappear.
        assert!(a.sub(&a).unwrap().is_zero());
        assert_eq!(a.intersect(&b), coins(&[("udepin", "2.25")]));
        assert_eq!(
            a.quo_dec_truncate(d("3")).unwrap().amount_of("uatom"),
            d("0.5")
        );
        assert_eq!(
            a.to_string(),
            "1.500000000000000000uatom,10.000000000000000000udepin"
        );
        assert_eq!(a.to_proto()[0].amount, "1500000000000000000");
        assert!(a.covers(&b) && !b.covers(&a));
    }

    #[test]
    fn validation() {
        let ok = vec![DecCoin {
            denom: "udepin".into(),
            amount: d("1"),
        }];
        assert!(DecCoins::validated(ok.clone(), "x").is_ok());
        let zero = vec![DecCoin {
            denom: "udepin".into(),
            amount: Decimal256::zero(),
        }];
        assert!(DecCoins::validated(zero, "x").is_err());
        let twice = [ok.clone(), ok].concat();
        assert!(DecCoins::validated(twice, "x").is_err());
        assert_eq!(from_proto_opt("", "x").unwrap(), None);
        assert_eq!(
            from_proto_opt("20000000000000000", "x").unwrap(),
            Some(d("0.02"))
        );
        assert!(from_proto_opt("0.02", "x").is_err());
    }
}
