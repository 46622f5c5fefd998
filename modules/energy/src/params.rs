//! Params: how many Wh make a point, the sanity limits on readings, and how long epoch totals
//! are kept.

use depin_proto::depin::energy::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::EnergyError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Wh per contribution point (1 000: one point per kWh).
    #[serde(with = "depin_app::json::u64_string")]
    pub wh_per_point: u64,
    /// The most Wh one reading may deliver.
    #[serde(with = "depin_app::json::u64_string")]
    pub max_wh_per_reading: u64,
    /// The most readings a meter may submit in one device epoch.
    pub max_readings_per_epoch: u32,
    /// Epoch totals older than `current − retention_epochs` are pruned.
    #[serde(with = "depin_app::json::u64_string")]
    pub retention_epochs: u64,
}

/// The least `retention_epochs`: an epoch's totals outlive the next epoch, in which the rewards
/// module starts sharing it.
pub const MIN_RETENTION_EPOCHS: u64 = 2;

impl Default for Params {
    /// One point per kWh, at most 100 kWh a reading and 24 readings an epoch, 30 epochs kept
    /// (as long as the device registry keeps contributions).
    fn default() -> Self {
        Params {
            wh_per_point: 1_000,
            max_wh_per_reading: 100_000,
            max_readings_per_epoch: 24,
            retention_epochs: 30,
        }
    }
}

fn invalid(msg: &str) -> EnergyError {
    EnergyError::InvalidParams(msg.to_string())
}

impl Params {
    pub fn validate(&self) -> Result<(), EnergyError> {
        if self.wh_per_point == 0 {
            return Err(invalid("wh_per_point must be at least 1"));
        }
        if self.max_wh_per_reading == 0 {
            return Err(invalid(
                "max_wh_per_reading must be at least 1 (no reading could deliver energy)",
            ));
        }
        if self.max_readings_per_epoch == 0 {
            return Err(invalid(
                "max_readings_per_epoch must be at least 1 (no meter could report)",
            ));
        }
        if self.retention_epochs < MIN_RETENTION_EPOCHS {
            return Err(invalid(
                "retention_epochs must be at least 2: the rewards module shares an epoch's totals after it ends, over several blocks (keep it at the device registry's contribution_retention_epochs)",
            ));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            wh_per_point: self.wh_per_point,
            max_wh_per_reading: self.max_wh_per_reading,
            max_readings_per_epoch: self.max_readings_per_epoch,
            retention_epochs: self.retention_epochs,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Self {
        Params {
            wh_per_point: p.wh_per_point,
            max_wh_per_reading: p.max_wh_per_reading,
            max_readings_per_epoch: p.max_readings_per_epoch,
            retention_epochs: p.retention_epochs,
        }
    }
}
