//! Every collection the registry keeps, under the module prefix `device/`.
//!
//! Primary data: params, the epoch anchor, makers, devices, location history, contributions,
//! hex densities, witness records, reserved keys, inactivity deadlines and suspension
//! cursors (all in genesis). Everything else is an index or a queue rebuilt from them by
//! genesis import, and the invariants check that they mirror the primary data exactly.

use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};

use crate::params::Params;
use crate::types::{Contribution, Device, EpochAnchor, Location, Maker};

pub const PREFIX: &[u8] = b"device/";

pub const PARAMS: Item<Params> = Item::new("p");

/// Where epochs are counted from; absent: [`EpochAnchor::default`] (epoch 0 from height 1).
/// Written when `epoch_blocks` changes, and by genesis import when genesis carries one.
pub const EPOCH_ANCHOR: Item<EpochAnchor> = Item::new("a");

/// maker name → maker.
pub const MAKERS: Map<&str, Maker> = Map::new("m");

/// Secondary indexes of [`devices`]: each maps its key and the device id to nothing.
pub struct DeviceIndexes<'a> {
    /// owner (bech32) → devices.
    pub owner: MultiIndex<'a, String, Device, String>,
    /// maker name → devices.
    pub maker: MultiIndex<'a, String, Device, String>,
    /// class name → devices.
    pub class: MultiIndex<'a, String, Device, String>,
    /// status number → devices.
    pub status: MultiIndex<'a, i32, Device, String>,
    /// `h3::index_key` of the current cell (0: no location) → devices. A parent cell's
    /// devices are the range `h3::descendant_range(parent)` of this index.
    pub location: MultiIndex<'a, u64, Device, String>,
}

impl IndexList<Device> for DeviceIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Device>> + '_> {
        let v: Vec<&dyn Index<Device>> = vec![
            &self.owner,
            &self.maker,
            &self.class,
            &self.status,
            &self.location,
        ];
        Box::new(v.into_iter())
    }
}

/// The location index key of a device: the res-15 center child of its cell, so that a range
/// of index keys is a parent cell.
pub fn location_index(d: &Device) -> u64 {
    d.location
        .as_ref()
        .and_then(|l| crate::h3::validate_cell(l.h3_cell, 0, crate::h3::INDEX_RESOLUTION).ok())
        .map_or(0, crate::h3::index_key)
}

/// device id → device, with its indexes (namespaces "d", "do", "dm", "dc", "ds", "dl").
pub fn devices<'a>() -> IndexedMap<&'a str, Device, DeviceIndexes<'a>> {
    IndexedMap::new(
        "d",
        DeviceIndexes {
            owner: MultiIndex::new(|_, d: &Device| d.owner.clone(), "d", "do"),
            maker: MultiIndex::new(|_, d: &Device| d.maker.clone(), "d", "dm"),
            class: MultiIndex::new(|_, d: &Device| d.class.clone(), "d", "dc"),
            status: MultiIndex::new(|_, d: &Device| d.status, "d", "ds"),
            location: MultiIndex::new(|_, d: &Device| location_index(d), "d", "dl"),
        },
    )
}

/// key type byte ‖ key bytes → device id. Unique and never released: a decommissioned
/// device's key (and a rotated-out key) stays reserved.
pub const DEVICE_KEYS: Map<&[u8], String> = Map::new("k");

/// (maker, serial) → device id.
pub const SERIALS: Map<(&str, &str), String> = Map::new("s");

/// (device id, sequence from 0) → location: every assert (and the onboarding location), in
/// order. Append-only.
pub const LOCATIONS: Map<(&str, u64), Location> = Map::new("l");

/// (deadline epoch, device id) → (): one entry per Active device; at the deadline epoch the
/// device becomes Inactive.
pub const INACTIVITY_QUEUE: Map<(u64, &str), ()> = Map::new("q");
/// device id → its deadline epoch in [`INACTIVITY_QUEUE`].
pub const DEADLINES: Map<&str, u64> = Map::new("t");

/// revoked maker → the last device id whose suspension was processed ("" before the first):
/// begin block suspends its devices in bounded batches; the entry goes when all are done.
pub const SUSPENSION_CURSORS: Map<&str, String> = Map::new("r");

/// (epoch, device id) → what the device did in that epoch.
pub const CONTRIBUTIONS: Map<(u64, &str), Contribution> = Map::new("c");
/// (device id, epoch) → (): index of [`CONTRIBUTIONS`] by device, for the per-device query.
pub const CONTRIBUTIONS_BY_DEVICE: Map<(&str, u64), ()> = Map::new("e");

/// (epoch, hex at density_resolution) → devices that contributed there in that epoch.
pub const HEX_DENSITIES: Map<(u64, u64), u32> = Map::new("h");

/// (epoch, beacon device, beacon nonce, witness device) → (): counted witness reports.
pub const WITNESS_RECORDS: Map<(u64, (&str, u64, &str)), ()> = Map::new("w");
