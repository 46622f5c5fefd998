//! Every collection upgrade keeps, under the module prefix `upgrade/`, and the plan as
//! handlers see it.

use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::UpgradeError;

pub const PREFIX: &[u8] = b"upgrade/";

/// The scheduled upgrade; absent when none is.
pub const PLAN: Item<Plan> = Item::new("p");

/// Upgrade name → the height it was applied at.
pub const DONE: Map<&str, u64> = Map::new("d");

/// Module name → the consensus version of its state.
pub const VERSIONS: Map<&str, u64> = Map::new("v");

/// The longest upgrade name accepted, in bytes. Names become directory names for cosmovisor
/// (`upgrades/<name>`), so they stay short.
pub const MAX_NAME_LEN: usize = 128;

/// `0001-01-01T00:00:00Z`, the zero time of Go clients, which always send `time` (the SDK
/// declares it non-nullable): it means "no time" as much as an absent field does.
const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// A validated upgrade plan: at block `height` the chain stops unless the binary has a
/// handler named `name`. `info` is free text for operators (cosmovisor reads download links
/// from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub height: u64,
    pub info: String,
}

/// The checks every plan passes, whatever its source (message, genesis).
pub fn validate_name(name: &str) -> Result<(), UpgradeError> {
    if name.is_empty() {
        return Err(UpgradeError::EmptyName);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(UpgradeError::NameTooLong {
            len: name.len(),
            max: MAX_NAME_LEN,
        });
    }
    Ok(())
}

impl Plan {
    /// The stateless checks of a plan from a message (the SDK's `Plan.ValidateBasic`, plus a
    /// length limit on the name).
    #[allow(deprecated)]
    pub fn from_proto(plan: &pb::Plan) -> Result<Plan, UpgradeError> {
        validate_name(&plan.name)?;
        let height = u64::try_from(plan.height)
            .ok()
            .filter(|h| *h > 0)
            .ok_or(UpgradeError::InvalidHeight(plan.height))?;
        if let Some(t) = &plan.time {
            let zero = t.nanos == 0 && (t.seconds == 0 || t.seconds == GO_ZERO_TIME_SECONDS);
            if !zero {
                return Err(UpgradeError::TimeSet);
            }
        }
        if plan.upgraded_client_state.is_some() {
            return Err(UpgradeError::ClientStateSet);
        }
        Ok(Plan {
            name: plan.name.clone(),
            height,
            info: plan.info.clone(),
        })
    }

    #[allow(deprecated)]
    pub fn to_proto(&self) -> pb::Plan {
        pb::Plan {
            name: self.name.clone(),
            time: None,
            // Stored heights come from an i64 (messages) or were checked on import.
            height: i64::try_from(self.height).unwrap_or(i64::MAX),
            info: self.info.clone(),
            upgraded_client_state: None,
        }
    }
}
