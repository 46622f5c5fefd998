//! Device registry params, changed only by the governance authority (`MsgUpdateParams`). JSON in
//! the proto3 mapping of `depin.device.v1.Params` (u64 as strings, coins with string amounts).

use depin_app::coins::{self, Coin};
use depin_app::error::AppResult;
use depin_proto::depin::device::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::DeviceError;
use crate::types::{kind_json, validate_name};

/// The bond denom the default fees are in.
pub const DEFAULT_FEE_DENOM: &str = "udepin";
/// The longest a class may let a device go without a heartbeat, in epochs.
pub const MAX_HEARTBEAT_INTERVAL_EPOCHS: u64 = 1_000_000;
/// H3 resolutions run from 0 to 15.
pub const MAX_H3_RESOLUTION: u32 = 15;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceClass {
    pub name: String,
    #[serde(with = "kind_json")]
    pub kind: i32,
    #[serde(default)]
    pub onboarding_fee: Vec<Coin>,
    #[serde(default)]
    pub location_fee: Vec<Coin>,
    #[serde(default)]
    pub free_location_asserts: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub heartbeat_interval_epochs: u64,
    #[serde(default)]
    pub location_required: bool,
}

impl DeviceClass {
    fn new(name: &str, kind: pb::DeviceKind, onboarding: u128, location_required: bool) -> Self {
        DeviceClass {
            name: name.to_string(),
            kind: kind as i32,
            onboarding_fee: vec![Coin::new(onboarding, DEFAULT_FEE_DENOM)],
            location_fee: vec![Coin::new(100_000, DEFAULT_FEE_DENOM)],
            free_location_asserts: 1,
            heartbeat_interval_epochs: 3,
            location_required,
        }
    }

    pub fn to_proto(&self) -> pb::DeviceClass {
        pb::DeviceClass {
            name: self.name.clone(),
            kind: self.kind,
            onboarding_fee: coins::to_proto(&self.onboarding_fee),
            location_fee: coins::to_proto(&self.location_fee),
            free_location_asserts: self.free_location_asserts,
            heartbeat_interval_epochs: self.heartbeat_interval_epochs,
            location_required: self.location_required,
        }
    }

    pub fn from_proto(p: &pb::DeviceClass) -> AppResult<Self> {
        let fees = |c: &[cosmrs::proto::cosmos::base::v1beta1::Coin], what: &str| {
            coins::from_proto(c)
                .map_err(|e| invalid(format!("{what} of class {:?}: {}", p.name, e.message)))
        };
        Ok(DeviceClass {
            name: p.name.clone(),
            kind: p.kind,
            onboarding_fee: fees(&p.onboarding_fee, "onboarding_fee")?,
            location_fee: fees(&p.location_fee, "location_fee")?,
            free_location_asserts: p.free_location_asserts,
            heartbeat_interval_epochs: p.heartbeat_interval_epochs,
            location_required: p.location_required,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub classes: Vec<DeviceClass>,
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch_blocks: u64,
    pub min_location_resolution: u32,
    pub max_location_resolution: u32,
    pub density_resolution: u32,
    pub witness_resolution: u32,
    pub min_witness_distance: u32,
    pub max_witness_distance: u32,
    pub max_witnesses_per_beacon: u32,
    pub max_beacons_per_device: u32,
    pub max_witness_reports_per_device: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub contribution_retention_epochs: u64,
    pub max_transitions_per_block: u32,
    pub max_metadata_bytes: u32,
    pub max_serial_bytes: u32,
    /// Old records deleted per block at most (contributions, hex densities, witness records,
    /// shared fairly). Absent in JSON: the default.
    #[serde(default = "default_max_prunes_per_block")]
    pub max_prunes_per_block: u32,
}

/// The default of [`Params::max_prunes_per_block`].
pub const DEFAULT_MAX_PRUNES_PER_BLOCK: u32 = 2000;

fn default_max_prunes_per_block() -> u32 {
    DEFAULT_MAX_PRUNES_PER_BLOCK
}

impl Default for Params {
    /// Epochs of 100 blocks; locations at resolutions 8 to 12 (a neighbourhood down to a
    /// building); density and witness geometry at resolution 8 (~0.7 km²), witnesses 1 to 30
    /// grid steps apart; one class per device kind with small fees in udepin.
    fn default() -> Self {
        use pb::DeviceKind::*;
        Params {
            classes: vec![
                DeviceClass::new("hotspot", Coverage, 1_000_000, true),
                DeviceClass::new("compute", Compute, 1_000_000, false),
                DeviceClass::new("storage", Storage, 1_000_000, false),
                DeviceClass::new("sensor", Sensor, 100_000, true),
                DeviceClass::new("energy", Energy, 500_000, true),
            ],
            epoch_blocks: 100,
            min_location_resolution: 8,
            max_location_resolution: 12,
            density_resolution: 8,
            witness_resolution: 8,
            min_witness_distance: 1,
            max_witness_distance: 30,
            max_witnesses_per_beacon: 14,
            max_beacons_per_device: 5,
            max_witness_reports_per_device: 20,
            contribution_retention_epochs: 30,
            max_transitions_per_block: 100,
            max_metadata_bytes: 1024,
            max_serial_bytes: 64,
            max_prunes_per_block: DEFAULT_MAX_PRUNES_PER_BLOCK,
        }
    }
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    DeviceError::InvalidParams(msg.into()).into()
}

impl Params {
    pub fn class(&self, name: &str) -> Option<&DeviceClass> {
        self.classes.iter().find(|c| c.name == name)
    }

    pub fn validate(&self) -> AppResult<()> {
        let mut names = std::collections::BTreeSet::new();
        for c in &self.classes {
            validate_name("class", &c.name).map_err(|e| invalid(e.to_string()))?;
            if !names.insert(c.name.as_str()) {
                return Err(invalid(format!("class {:?} is listed twice", c.name)));
            }
            match pb::DeviceKind::try_from(c.kind) {
                Ok(pb::DeviceKind::Unspecified) | Err(_) => {
                    return Err(invalid(format!(
                        "class {:?} has no kind: set DEVICE_KIND_COVERAGE, _COMPUTE, _STORAGE, \
                         _SENSOR or _ENERGY",
                        c.name
                    )))
                }
                Ok(_) => {}
            }
            for (what, fee) in [
                ("onboarding_fee", &c.onboarding_fee),
                ("location_fee", &c.location_fee),
            ] {
                coins::validate(fee)
                    .map_err(|e| invalid(format!("{what} of class {:?}: {}", c.name, e.message)))?;
            }
            if !(1..=MAX_HEARTBEAT_INTERVAL_EPOCHS).contains(&c.heartbeat_interval_epochs) {
                return Err(invalid(format!(
                    "heartbeat_interval_epochs of class {:?} must be 1 to {MAX_HEARTBEAT_INTERVAL_EPOCHS}",
                    c.name
                )));
            }
        }
        let nonzero = [
            ("epoch_blocks", self.epoch_blocks),
            (
                "contribution_retention_epochs",
                self.contribution_retention_epochs,
            ),
            (
                "max_transitions_per_block",
                u64::from(self.max_transitions_per_block),
            ),
            ("max_serial_bytes", u64::from(self.max_serial_bytes)),
            ("max_prunes_per_block", u64::from(self.max_prunes_per_block)),
        ];
        for (name, v) in nonzero {
            if v == 0 {
                return Err(invalid(format!("{name} must be at least 1")));
            }
        }
        for (name, r) in [
            ("min_location_resolution", self.min_location_resolution),
            ("max_location_resolution", self.max_location_resolution),
            ("density_resolution", self.density_resolution),
            ("witness_resolution", self.witness_resolution),
        ] {
            if r > MAX_H3_RESOLUTION {
                return Err(invalid(format!(
                    "{name} {r} is not an H3 resolution (0 to {MAX_H3_RESOLUTION})"
                )));
            }
        }
        if self.min_location_resolution > self.max_location_resolution {
            return Err(invalid(format!(
                "min_location_resolution {} is above max_location_resolution {}",
                self.min_location_resolution, self.max_location_resolution
            )));
        }
        if self.density_resolution > self.min_location_resolution {
            return Err(invalid(format!(
                "density_resolution {} must not be finer than min_location_resolution {}",
                self.density_resolution, self.min_location_resolution
            )));
        }
        if self.witness_resolution > self.min_location_resolution {
            return Err(invalid(format!(
                "witness_resolution {} must not be finer than min_location_resolution {}",
                self.witness_resolution, self.min_location_resolution
            )));
        }
        if self.min_witness_distance > self.max_witness_distance {
            return Err(invalid(format!(
                "min_witness_distance {} is above max_witness_distance {}",
                self.min_witness_distance, self.max_witness_distance
            )));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            classes: self.classes.iter().map(DeviceClass::to_proto).collect(),
            epoch_blocks: self.epoch_blocks,
            min_location_resolution: self.min_location_resolution,
            max_location_resolution: self.max_location_resolution,
            density_resolution: self.density_resolution,
            witness_resolution: self.witness_resolution,
            min_witness_distance: self.min_witness_distance,
            max_witness_distance: self.max_witness_distance,
            max_witnesses_per_beacon: self.max_witnesses_per_beacon,
            max_beacons_per_device: self.max_beacons_per_device,
            max_witness_reports_per_device: self.max_witness_reports_per_device,
            contribution_retention_epochs: self.contribution_retention_epochs,
            max_transitions_per_block: self.max_transitions_per_block,
            max_metadata_bytes: self.max_metadata_bytes,
            max_serial_bytes: self.max_serial_bytes,
            max_prunes_per_block: self.max_prunes_per_block,
        }
    }

    /// Converts and validates params from a message.
    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        let params = Params {
            classes: p
                .classes
                .iter()
                .map(DeviceClass::from_proto)
                .collect::<AppResult<_>>()?,
            epoch_blocks: p.epoch_blocks,
            min_location_resolution: p.min_location_resolution,
            max_location_resolution: p.max_location_resolution,
            density_resolution: p.density_resolution,
            witness_resolution: p.witness_resolution,
            min_witness_distance: p.min_witness_distance,
            max_witness_distance: p.max_witness_distance,
            max_witnesses_per_beacon: p.max_witnesses_per_beacon,
            max_beacons_per_device: p.max_beacons_per_device,
            max_witness_reports_per_device: p.max_witness_reports_per_device,
            contribution_retention_epochs: p.contribution_retention_epochs,
            max_transitions_per_block: p.max_transitions_per_block,
            max_metadata_bytes: p.max_metadata_bytes,
            max_serial_bytes: p.max_serial_bytes,
            max_prunes_per_block: p.max_prunes_per_block,
        };
        params.validate()?;
        Ok(params)
    }

    /// An H3 resolution from params (validated to be at most 15).
    pub fn resolution(r: u32) -> u8 {
        u8::try_from(r).unwrap_or(u8::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["epoch_blocks"], "100");
        assert_eq!(json["classes"][0]["kind"], "DEVICE_KIND_COVERAGE");
        assert_eq!(json["classes"][0]["onboarding_fee"][0]["amount"], "1000000");
        assert_eq!(serde_json::from_value::<Params>(json.clone()).unwrap(), p);
        assert_eq!(json["max_prunes_per_block"], 2000);
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("max_prunes_per_block");
        assert_eq!(serde_json::from_value::<Params>(old).unwrap(), p);
        let no_prunes = Params {
            max_prunes_per_block: 0,
            ..p.clone()
        };
        assert!(no_prunes.validate().is_err());
        let bad = Params {
            min_location_resolution: 13,
            ..p.clone()
        };
        assert!(bad.validate().is_err());
        let mut twice = p;
        twice.classes.push(twice.classes[0].clone());
        assert!(twice.validate().is_err());
    }
}
