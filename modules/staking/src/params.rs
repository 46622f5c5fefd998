//! Staking params, changed only by the governance authority (`MsgUpdateParams`).

use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmwasm_std::Decimal256;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::dec;
use crate::error::StakingError;

/// The longest unbonding time accepted (100 years): completion times stay far from overflow.
const MAX_UNBONDING_SECONDS: u64 = 100 * 365 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How long unbonding tokens, redelegations and validators leaving the set stay
    /// slashable, in seconds of block time. JSON: `"1814400s"`.
    #[serde(with = "seconds")]
    pub unbonding_time: u64,
    /// How many validators are bonded (the top ones by power).
    pub max_validators: u32,
    /// Most unbonding entries per (delegator, validator), and redelegation entries per
    /// (delegator, source, destination).
    pub max_entries: u32,
    /// How many recent heights keep their validator set for the HistoricalInfo query.
    pub historical_entries: u32,
    /// The only denom that can be staked.
    pub bond_denom: String,
    /// The lowest commission rate a validator may set.
    #[serde(with = "dec::json")]
    pub min_commission_rate: Decimal256,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            unbonding_time: 21 * 24 * 3600,
            max_validators: 100,
            max_entries: 7,
            historical_entries: 10_000,
            bond_denom: "udepin".to_string(),
            min_commission_rate: Decimal256::zero(),
        }
    }
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    StakingError::InvalidParams(msg.into()).into()
}

impl Params {
    pub fn validate(&self) -> AppResult<()> {
        if self.unbonding_time == 0 {
            return Err(invalid("unbonding_time must be positive"));
        }
        if self.unbonding_time > MAX_UNBONDING_SECONDS {
            return Err(invalid(format!(
                "unbonding_time {}s is longer than 100 years",
                self.unbonding_time
            )));
        }
        if self.max_validators == 0 {
            return Err(invalid("max_validators must be positive"));
        }
        if self.max_entries == 0 {
            return Err(invalid("max_entries must be positive"));
        }
        depin_app::coins::validate_denom(&self.bond_denom)
            .map_err(|e| invalid(format!("bond_denom: {}", e.message)))?;
        if self.min_commission_rate > Decimal256::one() {
            return Err(invalid(format!(
                "min_commission_rate {} is above 1",
                dec::fmt(self.min_commission_rate)
            )));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            unbonding_time: Some(tendermint_proto::google::protobuf::Duration {
                seconds: self.unbonding_time as i64,
                nanos: 0,
            }),
            max_validators: self.max_validators,
            max_entries: self.max_entries,
            historical_entries: self.historical_entries,
            bond_denom: self.bond_denom.clone(),
            min_commission_rate: dec::to_proto(self.min_commission_rate),
        }
    }

    /// Params from a message, validated.
    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        let unbonding = p
            .unbonding_time
            .as_ref()
            .ok_or_else(|| invalid("unbonding_time is missing"))?;
        if unbonding.nanos != 0 || unbonding.seconds < 0 {
            return Err(invalid(
                "unbonding_time must be a whole, non-negative number of seconds",
            ));
        }
        let params = Params {
            unbonding_time: unbonding.seconds as u64,
            max_validators: p.max_validators,
            max_entries: p.max_entries,
            historical_entries: p.historical_entries,
            bond_denom: p.bond_denom.clone(),
            min_commission_rate: dec::from_proto(&p.min_commission_rate, "min_commission_rate")?,
        };
        params.validate()?;
        Ok(params)
    }
}

/// A duration in whole seconds, written as protobuf JSON writes durations (`"1814400s"`).
pub mod seconds {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v}s"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.strip_suffix('s')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "duration {s:?} is not a whole number of seconds like \"1814400s\""
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_and_validation() {
        let p = Params::default();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["unbonding_time"], "1814400s");
        assert_eq!(json["min_commission_rate"], "0.000000000000000000");
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
        assert!(Params {
            max_validators: 0,
            ..p.clone()
        }
        .validate()
        .is_err());
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    }
}
