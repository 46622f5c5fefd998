//! Slashing params, changed only by the governance authority (`MsgUpdateParams`).
//!
//! Decimals are Cosmos `LegacyDec`s (18 places): in protobuf the `bytes` fields carry the
//! ASCII integer of their atomics, as the Cosmos SDK encodes them; in JSON an 18-place decimal.

use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use cosmwasm_std::{Decimal256, Uint256};
use depin_app::error::AppResult;
use depin_staking::dec;
use serde::{Deserialize, Serialize};

use crate::error::SlashingError;

/// The longest downtime jail accepted (100 years): release times stay far from overflow.
const MAX_JAIL_SECONDS: u64 = 100 * 365 * 24 * 3600;
/// The largest window accepted: its bitmap is at most 128 KiB per validator.
pub const MAX_WINDOW: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How many recent blocks liveness looks at, per validator.
    #[serde(with = "depin_app::json::u64_string")]
    pub signed_blocks_window: u64,
    /// The fraction of the window a validator must sign.
    #[serde(with = "dec::json")]
    pub min_signed_per_window: Decimal256,
    /// How long a validator jailed for downtime stays jailed, in seconds. JSON `"600s"`.
    #[serde(with = "depin_staking::params::seconds")]
    pub downtime_jail_duration: u64,
    #[serde(with = "dec::json")]
    pub slash_fraction_double_sign: Decimal256,
    #[serde(with = "dec::json")]
    pub slash_fraction_downtime: Decimal256,
}

impl Default for Params {
    /// The Cosmos SDK's defaults.
    fn default() -> Self {
        Params {
            signed_blocks_window: 100,
            min_signed_per_window: Decimal256::percent(50),
            downtime_jail_duration: 600,
            slash_fraction_double_sign: Decimal256::permille(50),
            slash_fraction_downtime: Decimal256::permille(10),
        }
    }
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    SlashingError::InvalidParams(msg.into()).into()
}

impl Params {
    pub fn validate(&self) -> AppResult<()> {
        if self.signed_blocks_window == 0 || self.signed_blocks_window > MAX_WINDOW {
            return Err(invalid(format!(
                "signed_blocks_window {} must be from 1 to {MAX_WINDOW}",
                self.signed_blocks_window
            )));
        }
        for (name, d) in [
            ("min_signed_per_window", self.min_signed_per_window),
            (
                "slash_fraction_double_sign",
                self.slash_fraction_double_sign,
            ),
            ("slash_fraction_downtime", self.slash_fraction_downtime),
        ] {
            if d > Decimal256::one() {
                return Err(invalid(format!("{name} {} is above 1", dec::fmt(d))));
            }
        }
        if self.downtime_jail_duration == 0 || self.downtime_jail_duration > MAX_JAIL_SECONDS {
            return Err(invalid(format!(
                "downtime_jail_duration {}s must be from 1s to 100 years",
                self.downtime_jail_duration
            )));
        }
        Ok(())
    }

    /// How many blocks of the window must be signed: min_signed_per_window × window, rounded
    /// half to even as the SDK's `RoundInt64`.
    pub fn min_signed_blocks(&self) -> u64 {
        let one = Uint256::from(1_000_000_000_000_000_000u128);
        let product =
            self.min_signed_per_window.atomics() * Uint256::from(self.signed_blocks_window);
        let (q, r) = (product / one, product % one);
        let half = one / Uint256::from(2u8);
        let round_up = r > half || (r == half && q % Uint256::from(2u8) == Uint256::one());
        let q = if round_up { q + Uint256::one() } else { q };
        // q ≤ window because the fraction is at most 1.
        cosmwasm_std::Uint128::try_from(q)
            .ok()
            .and_then(|q| u64::try_from(q.u128()).ok())
            .unwrap_or(self.signed_blocks_window)
    }

    /// The most blocks of the window a validator may miss before it is jailed.
    pub fn max_missed_blocks(&self) -> u64 {
        self.signed_blocks_window
            .saturating_sub(self.min_signed_blocks())
    }

    pub fn to_proto(&self) -> pb::Params {
        let bytes = |d: Decimal256| dec::to_proto(d).into_bytes();
        pb::Params {
            signed_blocks_window: self.signed_blocks_window as i64,
            min_signed_per_window: bytes(self.min_signed_per_window),
            downtime_jail_duration: Some(tendermint_proto::google::protobuf::Duration {
                seconds: self.downtime_jail_duration as i64,
                nanos: 0,
            }),
            slash_fraction_double_sign: bytes(self.slash_fraction_double_sign),
            slash_fraction_downtime: bytes(self.slash_fraction_downtime),
        }
    }

    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        let window = u64::try_from(p.signed_blocks_window)
            .map_err(|_| invalid("signed_blocks_window must be positive"))?;
        let duration = p
            .downtime_jail_duration
            .as_ref()
            .ok_or_else(|| invalid("downtime_jail_duration is missing"))?;
        if duration.nanos != 0 || duration.seconds <= 0 {
            return Err(invalid(
                "downtime_jail_duration must be a positive whole number of seconds",
            ));
        }
        let params = Params {
            signed_blocks_window: window,
            min_signed_per_window: dec_bytes(&p.min_signed_per_window, "min_signed_per_window")?,
            downtime_jail_duration: duration.seconds as u64,
            slash_fraction_double_sign: dec_bytes(
                &p.slash_fraction_double_sign,
                "slash_fraction_double_sign",
            )?,
            slash_fraction_downtime: dec_bytes(
                &p.slash_fraction_downtime,
                "slash_fraction_downtime",
            )?,
        };
        params.validate()?;
        Ok(params)
    }
}

/// A `LegacyDec` from its protobuf bytes: the ASCII integer of its atomics.
fn dec_bytes(b: &[u8], what: &str) -> AppResult<Decimal256> {
    let s = std::str::from_utf8(b).map_err(|_| invalid(format!("{what} is not ASCII digits")))?;
    s.trim()
        .parse::<Uint256>()
        .map(Decimal256::new)
        .map_err(|_| {
            invalid(format!(
                "{what} {s:?} is not a decimal in its protobuf form (the integer of 10^-18 units, \
             e.g. \"500000000000000000\" for 0.5)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_proto_and_rounding() {
        let p = Params::default();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["signed_blocks_window"], "100");
        assert_eq!(json["downtime_jail_duration"], "600s");
        assert_eq!(json["min_signed_per_window"], "0.500000000000000000");
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
        assert_eq!(
            p.to_proto().min_signed_per_window,
            b"500000000000000000".to_vec()
        );
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        assert_eq!(p.min_signed_blocks(), 50);
        assert_eq!(p.max_missed_blocks(), 50);
        let odd = Params {
            signed_blocks_window: 5,
            ..p.clone()
        };
        // 2.5 rounds to 2 (half to even).
        assert_eq!(odd.min_signed_blocks(), 2);
        let bad = Params {
            slash_fraction_downtime: Decimal256::percent(101),
            ..p.clone()
        };
        assert!(bad.validate().is_err());
        assert!(Params {
            signed_blocks_window: 0,
            ..p
        }
        .validate()
        .is_err());
    }
}
