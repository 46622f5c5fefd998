//! Distribution params, changed only by the governance authority (`MsgUpdateParams`).
//!
//! `base_proposer_reward` and `bonus_proposer_reward` are deprecated in the Cosmos SDK v0.50
//! (no proposer bonus): they are kept, validated and exported for wire compatibility, and
//! never used.

use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use cosmwasm_std::Decimal256;
use depin_app::error::AppResult;
use depin_staking::dec;
use serde::{Deserialize, Serialize};

use crate::dec::from_proto_opt;
use crate::error::DistributionError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The share of every allocation that goes to the community pool.
    #[serde(with = "dec::json")]
    pub community_tax: Decimal256,
    #[serde(with = "dec::json", default)]
    pub base_proposer_reward: Decimal256,
    #[serde(with = "dec::json", default)]
    pub bonus_proposer_reward: Decimal256,
    /// Whether delegators may send their rewards to another address.
    pub withdraw_addr_enabled: bool,
}

impl Default for Params {
    /// The Cosmos SDK's defaults.
    fn default() -> Self {
        Params {
            community_tax: Decimal256::percent(2),
            base_proposer_reward: Decimal256::zero(),
            bonus_proposer_reward: Decimal256::zero(),
            withdraw_addr_enabled: true,
        }
    }
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    DistributionError::InvalidParams(msg.into()).into()
}

impl Params {
    pub fn validate(&self) -> AppResult<()> {
        for (name, d) in [
            ("community_tax", self.community_tax),
            ("base_proposer_reward", self.base_proposer_reward),
            ("bonus_proposer_reward", self.bonus_proposer_reward),
        ] {
            if d > Decimal256::one() {
                return Err(invalid(format!(
                    "{name} {} is above 1 (it must be from 0 to 1)",
                    dec::fmt(d)
                )));
            }
        }
        Ok(())
    }

    // The deprecated fields are still on the wire (v0.50 keeps them in `Params`).
    #[allow(deprecated)]
    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            community_tax: dec::to_proto(self.community_tax),
            base_proposer_reward: dec::to_proto(self.base_proposer_reward),
            bonus_proposer_reward: dec::to_proto(self.bonus_proposer_reward),
            withdraw_addr_enabled: self.withdraw_addr_enabled,
        }
    }

    /// `community_tax` is required; the deprecated proposer rewards may be left empty (0).
    #[allow(deprecated)]
    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        let community_tax = from_proto_opt(&p.community_tax, "community_tax")?
            .ok_or_else(|| invalid("community_tax is missing"))?;
        let params = Params {
            community_tax,
            base_proposer_reward: from_proto_opt(&p.base_proposer_reward, "base_proposer_reward")?
                .unwrap_or_default(),
            bonus_proposer_reward: from_proto_opt(
                &p.bonus_proposer_reward,
                "bonus_proposer_reward",
            )?
            .unwrap_or_default(),
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        };
        params.validate()?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_proto_and_validation() {
        let p = Params::default();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["community_tax"], "0.020000000000000000");
        assert_eq!(json["withdraw_addr_enabled"], true);
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
        assert_eq!(p.to_proto().community_tax, "20000000000000000");
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        let mut proto = p.to_proto();
        proto.community_tax = String::new();
        assert!(Params::from_proto(&proto).is_err());
        proto.community_tax = "1000000000000000001".into();
        assert!(Params::from_proto(&proto).is_err());
        proto.community_tax = "0.5".into();
        assert!(Params::from_proto(&proto).is_err());
    }
}
