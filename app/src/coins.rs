//! Coins as the Cosmos SDK validates them: a denom matching `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`,
//! a positive amount, sorted by denom with no denom twice. Parsed from "100udepin,5uatom" at
//! the CLI and from `cosmos.base.v1beta1.Coin` in messages.

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmwasm_std::Uint128;
use serde::{Deserialize, Serialize};

use crate::error::{sdk, AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Coin {
    pub denom: String,
    pub amount: Uint128,
}

impl Coin {
    pub fn new(amount: u128, denom: &str) -> Self {
        Coin {
            denom: denom.to_string(),
            amount: Uint128::new(amount),
        }
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl std::fmt::Display for Coin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

fn invalid(message: String) -> AppError {
    AppError::sdk(sdk::INVALID_COINS, message)
}

/// Checks a denom against the Cosmos SDK's rule.
pub fn validate_denom(denom: &str) -> AppResult<()> {
    let bytes = denom.as_bytes();
    let ok = (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid denom {denom:?}: a denom is 3 to 128 characters, starts with a letter and \
             continues with letters, digits or / : . _ -"
        )))
    }
}

/// Checks a list of coins: valid denoms, positive amounts, sorted, no duplicates.
pub fn validate(coins: &[Coin]) -> AppResult<()> {
    for (i, c) in coins.iter().enumerate() {
        validate_denom(&c.denom)?;
        if c.amount.is_zero() {
            return Err(invalid(format!("coin {c} has a zero amount")));
        }
        if i > 0 && coins[i - 1].denom >= c.denom {
            return Err(invalid(format!(
                "coins {} are not sorted by denom or repeat a denom",
                format(coins)
            )));
        }
    }
    Ok(())
}

/// Converts and validates coins from a message.
pub fn from_proto(coins: &[ProtoCoin]) -> AppResult<Vec<Coin>> {
    let out = coins
        .iter()
        .map(|c| {
            let amount = c.amount.parse::<u128>().map_err(|_| {
                invalid(format!(
                    "coin amount {:?} of {} is not a whole non-negative number",
                    c.amount, c.denom
                ))
            })?;
            Ok(Coin {
                denom: c.denom.clone(),
                amount: Uint128::new(amount),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    validate(&out)?;
    Ok(out)
}

pub fn to_proto(coins: &[Coin]) -> Vec<ProtoCoin> {
    coins.iter().map(Coin::to_proto).collect()
}

/// "100udepin,5uatom" (empty for no coins), the form events and the CLI use.
pub fn format(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses "100udepin,5uatom" into sorted, validated coins.
pub fn parse(s: &str) -> AppResult<Vec<Coin>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| invalid(format!("coin {part:?} has no denom (write e.g. 100udepin)")))?;
        let (num, denom) = part.split_at(split);
        let amount = num
            .parse::<u128>()
            .map_err(|_| invalid(format!("coin {part:?} does not start with an amount")))?;
        out.push(Coin {
            denom: denom.to_string(),
            amount: Uint128::new(amount),
        });
    }
    out.sort_by(|a, b| a.denom.cmp(&b.denom));
    validate(&out)?;
    Ok(out)
}

/// Adds `b` into `a` (both sorted), with checked math.
pub fn add(a: &[Coin], b: &[Coin]) -> AppResult<Vec<Coin>> {
    let mut out: std::collections::BTreeMap<String, Uint128> =
        a.iter().map(|c| (c.denom.clone(), c.amount)).collect();
    for c in b {
        let slot = out.entry(c.denom.clone()).or_default();
        *slot = slot
            .checked_add(c.amount)
            .map_err(|_| invalid(format!("adding {c} overflows")))?;
    }
    Ok(out
        .into_iter()
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(denom, amount)| Coin { denom, amount })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_formats() {
        let c = parse("5uatom, 100udepin").unwrap();
        assert_eq!(format(&c), "5uatom,100udepin");
        let c = parse("100udepin,5uatom").unwrap();
        assert_eq!(c[0].denom, "uatom");
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_coins() {
        for bad in [
            "udepin",
            "0udepin",
            "10u",
            "10udepin,5udepin",
            "10 udepin",
            "1x!y",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, sdk::INVALID_COINS, "{bad}: {e}");
        }
        let unsorted = vec![Coin::new(1, "udepin"), Coin::new(1, "uatom")];
        assert!(validate(&unsorted).is_err());
        let p = vec![ProtoCoin {
            denom: "udepin".into(),
            amount: "-1".into(),
        }];
        assert!(from_proto(&p).is_err());
    }

    #[test]
    fn adds_with_checked_math() {
        let a = vec![Coin::new(u128::MAX, "udepin")];
        assert!(add(&a, &[Coin::new(1, "udepin")]).is_err());
        let s = add(
            &[Coin::new(1, "b1x")],
            &[Coin::new(2, "a1x"), Coin::new(3, "b1x")],
        )
        .unwrap();
        assert_eq!(format(&s), "2a1x,4b1x");
    }
}
