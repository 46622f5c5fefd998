//! The registry's domain types: what the state stores and genesis carries. Their serde form
//! is the proto3 JSON mapping of the `depin.device.v1` messages with the proto field names
//! (as Cosmos genesis files write them): 64-bit integers as strings, enums by name, bytes in
//! base64. Protobuf stays at the edges (`to_proto` / `from_proto`).

use cosmwasm_std::Binary;
use depin_proto::depin::device::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::DeviceError;

/// `#[serde(with = "i64_string")]`: a 64-bit signed integer as a JSON string (read from a
/// string or a number).
pub mod i64_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(i64),
        }
        match Either::deserialize(d)? {
            Either::S(s) => s.parse().map_err(de::Error::custom),
            Either::N(n) => Ok(n),
        }
    }
}

/// Serde of a protobuf enum field by its name (`"DEVICE_STATUS_ACTIVE"`), as proto3 JSON
/// writes enums; the number is accepted on input too.
fn enum_ser<S: serde::Serializer>(name: Option<&str>, v: i32, s: S) -> Result<S::Ok, S::Error> {
    match name {
        Some(n) => s.serialize_str(n),
        None => s.serialize_i32(v),
    }
}

fn enum_de<'de, D: serde::Deserializer<'de>>(
    d: D,
    from_name: fn(&str) -> Option<i32>,
    what: &str,
) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i32),
    }
    match Either::deserialize(d)? {
        Either::S(s) => {
            from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {what} {s:?}")))
        }
        Either::N(n) => Ok(n),
    }
}

pub mod kind_json {
    use super::*;
    pub fn serialize<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
        enum_ser(
            pb::DeviceKind::try_from(*v).ok().map(|k| k.as_str_name()),
            *v,
            s,
        )
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        enum_de(
            d,
            |n| pb::DeviceKind::from_str_name(n).map(|k| k as i32),
            "device kind",
        )
    }
}

pub mod status_json {
    use super::*;
    pub fn serialize<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
        enum_ser(
            pb::DeviceStatus::try_from(*v).ok().map(|k| k.as_str_name()),
            *v,
            s,
        )
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        enum_de(
            d,
            |n| pb::DeviceStatus::from_str_name(n).map(|k| k as i32),
            "device status",
        )
    }
}

pub mod key_type_json {
    use super::*;
    pub fn serialize<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
        enum_ser(
            pb::KeyType::try_from(*v).ok().map(|k| k.as_str_name()),
            *v,
            s,
        )
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        enum_de(
            d,
            |n| pb::KeyType::from_str_name(n).map(|k| k as i32),
            "key type",
        )
    }
}

/// A device's status (the protobuf enum, ordered as the lifecycle goes).
pub use pb::DeviceStatus as Status;

/// The name of a status as events and errors write it ("Active").
pub fn status_name(status: i32) -> &'static str {
    match Status::try_from(status) {
        Ok(Status::Onboarded) => "Onboarded",
        Ok(Status::Active) => "Active",
        Ok(Status::Inactive) => "Inactive",
        Ok(Status::Suspended) => "Suspended",
        Ok(Status::Decommissioned) => "Decommissioned",
        _ => "Unspecified",
    }
}

/// A device or maker key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    #[serde(rename = "type", with = "key_type_json")]
    pub key_type: i32,
    pub key: Binary,
}

impl PublicKey {
    pub fn to_proto(&self) -> pb::PublicKey {
        pb::PublicKey {
            r#type: self.key_type,
            key: self.key.to_vec(),
        }
    }

    pub fn from_proto(p: &pb::PublicKey) -> Self {
        PublicKey {
            key_type: p.r#type,
            key: Binary::from(p.key.clone()),
        }
    }

    /// The key's unique-index form: its type number, then its bytes.
    pub fn index_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.key.len() + 1);
        out.push(u8::try_from(self.key_type).unwrap_or(u8::MAX));
        out.extend_from_slice(self.key.as_slice());
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maker {
    pub name: String,
    pub key: PublicKey,
    #[serde(default)]
    pub allowed_classes: Vec<String>,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub device_quota: u64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub devices_onboarded: u64,
    #[serde(default)]
    pub revoked: bool,
    #[serde(with = "i64_string", default)]
    pub revoked_height: i64,
}

impl Maker {
    pub fn to_proto(&self) -> pb::Maker {
        pb::Maker {
            name: self.name.clone(),
            key: Some(self.key.to_proto()),
            allowed_classes: self.allowed_classes.clone(),
            device_quota: self.device_quota,
            devices_onboarded: self.devices_onboarded,
            revoked: self.revoked,
            revoked_height: self.revoked_height,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[serde(with = "depin_app::json::u64_string")]
    pub h3_cell: u64,
    #[serde(default)]
    pub elevation: i32,
    #[serde(default)]
    pub gain: i32,
    #[serde(with = "i64_string", default)]
    pub height: i64,
}

impl Location {
    pub fn to_proto(&self) -> pb::Location {
        pb::Location {
            h3_cell: self.h3_cell,
            elevation: self.elevation,
            gain: self.gain,
            height: self.height,
        }
    }

    pub fn from_proto(p: &pb::Location) -> Self {
        Location {
            h3_cell: p.h3_cell,
            elevation: p.elevation,
            gain: p.gain,
            height: p.height,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: String,
    pub owner: String,
    pub maker: String,
    pub class: String,
    pub serial: String,
    pub key: PublicKey,
    #[serde(with = "status_json")]
    pub status: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default)]
    pub location_asserts: u32,
    #[serde(default)]
    pub metadata: String,
    #[serde(with = "i64_string", default)]
    pub onboarded_height: i64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub last_heartbeat_epoch: u64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub heartbeat_counter: u64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub heartbeats: u64,
    #[serde(default)]
    pub key_rotations: u32,
}

impl Device {
    pub fn to_proto(&self) -> pb::Device {
        pb::Device {
            id: self.id.clone(),
            owner: self.owner.clone(),
            maker: self.maker.clone(),
            class: self.class.clone(),
            serial: self.serial.clone(),
            key: Some(self.key.to_proto()),
            status: self.status,
            location: self.location.as_ref().map(Location::to_proto),
            location_asserts: self.location_asserts,
            metadata: self.metadata.clone(),
            onboarded_height: self.onboarded_height,
            last_heartbeat_epoch: self.last_heartbeat_epoch,
            heartbeat_counter: self.heartbeat_counter,
            heartbeats: self.heartbeats,
            key_rotations: self.key_rotations,
        }
    }

    pub fn is(&self, status: Status) -> bool {
        self.status == status as i32
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    pub device_id: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub owner: String,
    pub class: String,
    #[serde(default)]
    pub heartbeats: u32,
    #[serde(default)]
    pub beacons: u32,
    #[serde(default)]
    pub witnesses: u32,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub density_hex: u64,
}

impl Contribution {
    pub fn to_proto(&self) -> pb::Contribution {
        pb::Contribution {
            device_id: self.device_id.clone(),
            epoch: self.epoch,
            owner: self.owner.clone(),
            class: self.class.clone(),
            heartbeats: self.heartbeats,
            beacons: self.beacons,
            witnesses: self.witnesses,
            density_hex: self.density_hex,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HexDensity {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub hex: u64,
    pub devices: u32,
}

impl HexDensity {
    pub fn to_proto(&self) -> pb::HexDensity {
        pb::HexDensity {
            epoch: self.epoch,
            hex: self.hex,
            devices: self.devices,
        }
    }
}

/// One counted witness report of one beacon (written by the witness handler, which the lead
/// adds; genesis carries them already).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessRecord {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub beacon_device_id: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub beacon_nonce: u64,
    pub witness_device_id: String,
}

/// Maker and class names: lowercase `[a-z0-9_-]`, 1 to 32 characters.
pub fn validate_name(what: &'static str, name: &str) -> Result<(), DeviceError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(DeviceError::InvalidName {
            what,
            name: name.to_string(),
        })
    }
}

/// Where epochs are counted from: block `start_height` is the first block of epoch
/// `first_epoch`, and every `epoch_blocks` blocks after it start the next epoch. Absent from
/// state it is (0, 1). Changing `epoch_blocks` moves it to (next epoch, next height); an export
/// shifts `start_height` by the exported height (it may become zero or negative) so that a
/// chain restarting at height 1 continues the same epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochAnchor {
    #[serde(with = "depin_app::json::u64_string", default)]
    pub first_epoch: u64,
    #[serde(with = "i64_string", default)]
    pub start_height: i64,
}

impl Default for EpochAnchor {
    fn default() -> Self {
        EpochAnchor {
            first_epoch: 0,
            start_height: 1,
        }
    }
}

impl EpochAnchor {
    /// The epoch of `height`: first_epoch + (height − start_height) / epoch_blocks. A height
    /// before `start_height` (only the block that moved the anchor, or genesis) is in the
    /// epoch before `first_epoch`.
    pub fn epoch_of(&self, epoch_blocks: u64, height: u64) -> u64 {
        let height = i128::from(height);
        let start = i128::from(self.start_height);
        if height < start {
            return self.first_epoch.saturating_sub(1);
        }
        let n = (height - start) / i128::from(epoch_blocks.max(1));
        self.first_epoch
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// The first and last heights of `epoch` (from `first_epoch` on); `None` for an earlier
    /// epoch, whose heights the anchor does not know.
    pub fn heights_of(&self, epoch_blocks: u64, epoch: u64) -> Option<(i64, i64)> {
        let k = i128::from(epoch.checked_sub(self.first_epoch)?);
        let blocks = i128::from(epoch_blocks.max(1));
        let start = i128::from(self.start_height) + k * blocks;
        let clamp = |h: i128| i64::try_from(h).unwrap_or(i64::MAX);
        Some((clamp(start), clamp(start + blocks - 1)))
    }
}

/// A key a device rotated away from: it stays reserved to the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredKey {
    pub key: PublicKey,
    pub device_id: String,
}

/// A revoked maker whose devices begin block is still suspending: the last device done
/// ("" before the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspensionCursor {
    pub maker: String,
    #[serde(default)]
    pub last_device_id: String,
}

/// An Active device's inactivity deadline: at this epoch it becomes Inactive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDeadline {
    pub device_id: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
}

#[cfg(test)]
mod anchor_tests {
    use super::EpochAnchor;

    #[test]
    fn anchored_epochs() {
        let a = EpochAnchor::default();
        assert_eq!(a.epoch_of(100, 0), 0);
        assert_eq!(a.epoch_of(100, 1), 0);
        assert_eq!(a.epoch_of(100, 100), 0);
        assert_eq!(a.epoch_of(100, 101), 1);
        assert_eq!(a.heights_of(100, 1), Some((101, 200)));
        // Moved at height 57 (epoch 0) to 10 blocks per epoch from height 58.
        let moved = EpochAnchor {
            first_epoch: 1,
            start_height: 58,
        };
        assert_eq!(moved.epoch_of(10, 57), 0);
        assert_eq!(moved.epoch_of(10, 58), 1);
        assert_eq!(moved.epoch_of(10, 67), 1);
        assert_eq!(moved.epoch_of(10, 68), 2);
        assert_eq!(moved.heights_of(10, 0), None);
        // Exported at height 60: the restarted chain's height 1 is the old 61.
        let shifted = EpochAnchor {
            first_epoch: 1,
            start_height: 58 - 60,
        };
        assert_eq!(shifted.epoch_of(10, 1), moved.epoch_of(10, 61));
        assert_eq!(shifted.epoch_of(10, 8), moved.epoch_of(10, 68));
        assert_eq!(shifted.heights_of(10, 2), Some((8, 17)));
    }
}
