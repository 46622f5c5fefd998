//! Cosmos decimals (`LegacyDec`): 18 decimal places, as `Decimal256`. In protobuf they travel as
//! the integer of their atomics ("100000000000000000" is 0.1); in JSON as an 18-place decimal
//! ("0.100000000000000000"). All arithmetic is checked integer math; rounding is chosen by
//! each caller, always in the chain's favour.

use std::str::FromStr;

use cosmwasm_std::{Decimal256, Uint128, Uint256, Uint512};
use depin_app::error::AppResult;

use crate::error::StakingError;

/// 10^18: the atomics of 1.
const ONE: u128 = 1_000_000_000_000_000_000;

/// A decimal from its protobuf form, the integer of its atomics.
pub fn from_proto(s: &str, what: &str) -> AppResult<Decimal256> {
    Uint256::from_str(s.trim())
        .map(Decimal256::new)
        .map_err(|_| {
            StakingError::InvalidRequest(format!(
                "{what} {s:?} is not a decimal in its protobuf form (an integer of 10^-18 units, \
                 e.g. \"100000000000000000\" for 0.1)"
            ))
            .into()
        })
}

/// The protobuf form: the integer of the atomics.
pub fn to_proto(d: Decimal256) -> String {
    d.atomics().to_string()
}

/// The JSON and event form: always 18 decimal places, as the Cosmos SDK writes it.
pub fn fmt(d: Decimal256) -> String {
    let atomics = d.atomics();
    let one = Uint256::from(ONE);
    let int = atomics / one;
    // The remainder is below 10^18, so it fits a u128.
    let frac = Uint128::try_from(atomics % one)
        .map(|f| f.u128())
        .unwrap_or_default();
    format!("{int}.{frac:018}")
}

/// A whole number of tokens as a decimal.
pub fn from_tokens(amount: Uint128) -> Decimal256 {
    // amount < 2^128 and 10^18 < 2^60: the product fits 256 bits.
    Decimal256::new(Uint256::from(amount) * Uint256::from(ONE))
}

/// floor(a × b / c) in 512-bit intermediate precision; `None` when c is zero or the result
/// does not fit 256 bits.
pub fn mul_div_floor(a: Uint256, b: Uint256, c: Uint256) -> Option<Uint256> {
    if c.is_zero() {
        return None;
    }
    let product = Uint512::from(a).checked_mul(Uint512::from(b)).ok()?;
    Uint256::try_from(product / Uint512::from(c)).ok()
}

/// floor(amount × fraction), for fractions of at most 1 (so the result fits).
pub fn mul_floor(amount: Uint128, fraction: Decimal256) -> Uint128 {
    mul_div_floor(
        Uint256::from(amount),
        fraction.atomics(),
        Uint256::from(ONE),
    )
    .and_then(|v| Uint128::try_from(v).ok())
    .unwrap_or(Uint128::MAX)
}

/// Serde for decimals in genesis JSON: written with 18 places, read from any decimal string.
pub mod json {
    use cosmwasm_std::Decimal256;
    use serde::{de, Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(d: &Decimal256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fmt(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal256, D::Error> {
        let s = String::deserialize(d)?;
        Decimal256::from_str(&s).map_err(|e| de::Error::custom(format!("decimal {s:?}: {e}")))
    }
}

/// A decimal from user-facing text ("0.05"), for the CLI and tests.
pub fn parse(s: &str) -> AppResult<Decimal256> {
    Decimal256::from_str(s)
        .map_err(|e| StakingError::InvalidRequest(format!("decimal {s:?}: {e}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let d = parse("0.1").unwrap();
        assert_eq!(to_proto(d), "100000000000000000");
        assert_eq!(fmt(d), "0.100000000000000000");
        assert_eq!(from_proto("100000000000000000", "rate").unwrap(), d);
        assert_eq!(
            fmt(from_tokens(Uint128::new(1_000_000))),
            "1000000.000000000000000000"
        );
        assert!(from_proto("0.1", "rate").is_err());
        assert!(from_proto("-1", "rate").is_err());
    }

    #[test]
    fn rounding() {
        let third = Decimal256::from_ratio(1u8, 3u8);
        assert_eq!(mul_floor(Uint128::new(100), third), Uint128::new(33));
        assert_eq!(
            mul_floor(Uint128::new(100), Decimal256::one()),
            Uint128::new(100)
        );
        assert_eq!(
            mul_div_floor(Uint256::from(7u8), Uint256::from(3u8), Uint256::from(2u8)),
            Some(Uint256::from(10u8))
        );
        assert_eq!(
            mul_div_floor(Uint256::one(), Uint256::one(), Uint256::zero()),
            None
        );
    }
}
