//! Every collection energy keeps, under the module prefix `energy/`.

use cw_storage_plus::{Item, Map};
use depin_proto::depin::energy::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::params::Params;

pub const PREFIX: &[u8] = b"energy/";

pub const PARAMS: Item<Params> = Item::new("p");
/// Device id → its meter (from its first reading on).
pub const METERS: Map<&str, Meter> = Map::new("m");
/// (device epoch, device id) → Wh the meter delivered in that epoch (never 0: absent instead).
/// Epoch first, so that pruning walks the oldest epochs from the start of the map.
pub const EPOCH_ENERGY: Map<(u64, &str), u64> = Map::new("e");
/// Device epoch → the wh_per_point its scores use, fixed by its first reading (so that a
/// params change never re-scores an epoch the rewards module may be sharing).
pub const EPOCH_UNITS: Map<u64, u64> = Map::new("u");

/// A meter's counter and what it delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meter {
    pub device_id: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub last_cumulative_wh: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub last_epoch: u64,
    pub readings_in_epoch: u32,
    /// Lifetime Wh delivered (the counter's rise since the first reading).
    #[serde(with = "depin_app::json::u64_string")]
    pub delivered_wh: u64,
}

impl Meter {
    pub fn to_proto(&self) -> pb::Meter {
        pb::Meter {
            device_id: self.device_id.clone(),
            last_cumulative_wh: self.last_cumulative_wh,
            last_epoch: self.last_epoch,
            readings_in_epoch: self.readings_in_epoch,
            delivered_wh: self.delivered_wh,
        }
    }
}
