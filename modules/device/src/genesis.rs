//! Genesis import and export (`app_state.device`), in the proto3 JSON mapping of
//! `depin.device.v1.GenesisState` with proto field names. Indexes, the inactivity queue and
//! suspension cursors are not in genesis: import rebuilds them from the primary data.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::DeviceError;
use crate::params::Params;
use crate::state::{
    devices, CONTRIBUTIONS, CONTRIBUTIONS_BY_DEVICE, DEVICE_KEYS, HEX_DENSITIES, LOCATIONS, MAKERS,
    PARAMS, PREFIX, SERIALS, SUSPENSION_CURSORS, WITNESS_RECORDS,
};
use crate::types::{
    validate_name, Contribution, Device, HexDensity, Location, Maker, Status, WitnessRecord,
};
use crate::{h3, signing, DeviceModule};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub makers: Vec<Maker>,
    pub devices: Vec<Device>,
    pub locations: Vec<DeviceLocations>,
    pub contributions: Vec<Contribution>,
    pub hex_densities: Vec<HexDensity>,
    pub witness_records: Vec<WitnessRecord>,
}

/// A device's location history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceLocations {
    pub device_id: String,
    #[serde(default)]
    pub locations: Vec<Location>,
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    DeviceError::InvalidGenesis(msg.into()).into()
}

impl DeviceModule {
    /// Validates everything before writing; refuses repeated makers, devices, keys, serials and
    /// records, references to makers, classes or devices that do not exist, counters that do
    /// not match (a maker's devices_onboarded, hex densities), and invalid keys, addresses and
    /// cells.
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        let params = &genesis.params;
        params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let codec = self.keeper.codec().clone();

        let mut makers = BTreeMap::new();
        for m in &genesis.makers {
            validate_name("maker", &m.name).map_err(|e| invalid(e.to_string()))?;
            signing::validate_key(&m.key.to_proto())
                .map_err(|e| invalid(format!("key of maker {:?}: {e}", m.name)))?;
            for class in &m.allowed_classes {
                validate_name("class", class).map_err(|e| invalid(e.to_string()))?;
            }
            if makers.insert(m.name.clone(), m).is_some() {
                return Err(invalid(format!("maker {:?} is listed twice", m.name)));
            }
        }

        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut serials = BTreeSet::new();
        let mut per_maker: BTreeMap<&str, u64> = BTreeMap::new();
        for d in &genesis.devices {
            let what = |msg: String| invalid(format!("device {}: {msg}", d.id));
            signing::parse_device_id(codec.prefix(), &d.id).map_err(|e| what(e.to_string()))?;
            if !ids.insert(d.id.as_str()) {
                return Err(what("listed twice".into()));
            }
            let owner = codec
                .decode(&d.owner)
                .map_err(|e| what(format!("owner: {}", e.message)))?;
            if codec.encode(&owner) != d.owner {
                return Err(what(format!("owner {} is not in canonical form", d.owner)));
            }
            if !makers.contains_key(&d.maker) {
                return Err(what(format!("maker {:?} is not in genesis", d.maker)));
            }
            if params.class(&d.class).is_none() {
                return Err(what(format!("class {:?} is not in params", d.class)));
            }
            if d.serial.is_empty() || d.serial.len() > params.max_serial_bytes as usize {
                return Err(what(format!(
                    "serial {:?} is not 1 to {} bytes",
                    d.serial, params.max_serial_bytes
                )));
            }
            if !serials.insert((d.maker.as_str(), d.serial.as_str())) {
                return Err(what(format!(
                    "serial {:?} of maker {:?} is used twice",
                    d.serial, d.maker
                )));
            }
            signing::validate_key(&d.key.to_proto()).map_err(|e| what(format!("key: {e}")))?;
            if !keys.insert(d.key.index_bytes()) {
                return Err(what("its key belongs to another device too".into()));
            }
            match Status::try_from(d.status) {
                Ok(Status::Unspecified) | Err(_) => {
                    return Err(what(format!("status {} is not a device status", d.status)))
                }
                Ok(_) => {}
            }
            if let Some(l) = &d.location {
                h3::validate_cell(l.h3_cell, 0, h3::INDEX_RESOLUTION)
                    .map_err(|e| what(format!("location: {e}")))?;
            }
            if d.metadata.len() > params.max_metadata_bytes as usize {
                return Err(what(format!(
                    "metadata is longer than {} bytes",
                    params.max_metadata_bytes
                )));
            }
            let n = per_maker.entry(d.maker.as_str()).or_default();
            *n = n.saturating_add(1);
        }
        for m in makers.values() {
            let n = per_maker.get(m.name.as_str()).copied().unwrap_or(0);
            if n != m.devices_onboarded {
                return Err(invalid(format!(
                    "maker {:?} counts {} devices onboarded but genesis has {n} of its devices",
                    m.name, m.devices_onboarded
                )));
            }
        }

        let mut with_history = BTreeSet::new();
        for h in &genesis.locations {
            if !ids.contains(h.device_id.as_str()) {
                return Err(invalid(format!(
                    "location history of unknown device {}",
                    h.device_id
                )));
            }
            if !with_history.insert(h.device_id.as_str()) {
                return Err(invalid(format!(
                    "location history of {} is listed twice",
                    h.device_id
                )));
            }
            for l in &h.locations {
                h3::validate_cell(l.h3_cell, 0, h3::INDEX_RESOLUTION)
                    .map_err(|e| invalid(format!("location of {}: {e}", h.device_id)))?;
            }
        }

        let mut contributions = BTreeSet::new();
        let mut counted: BTreeMap<(u64, u64), u32> = BTreeMap::new();
        for c in &genesis.contributions {
            if !ids.contains(c.device_id.as_str()) {
                return Err(invalid(format!(
                    "contribution of unknown device {}",
                    c.device_id
                )));
            }
            if !contributions.insert((c.epoch, c.device_id.as_str())) {
                return Err(invalid(format!(
                    "contribution of {} in epoch {} is listed twice",
                    c.device_id, c.epoch
                )));
            }
            if c.heartbeats > 1 {
                return Err(invalid(format!(
                    "contribution of {} in epoch {} counts {} heartbeats: at most 1 counts",
                    c.device_id, c.epoch, c.heartbeats
                )));
            }
            if c.density_hex != 0 {
                let n = counted.entry((c.epoch, c.density_hex)).or_default();
                *n = n.saturating_add(1);
            }
        }
        let mut densities = BTreeMap::new();
        for h in &genesis.hex_densities {
            if densities.insert((h.epoch, h.hex), h.devices).is_some() {
                return Err(invalid(format!(
                    "hex density of {} in epoch {} is listed twice",
                    h.hex, h.epoch
                )));
            }
        }
        if densities != counted {
            return Err(invalid(
                "hex densities do not match the contributions: each (epoch, hex) must count the \
                 devices whose contributions name that hex",
            ));
        }
        let mut witnessed = BTreeSet::new();
        for w in &genesis.witness_records {
            for id in [&w.beacon_device_id, &w.witness_device_id] {
                if !ids.contains(id.as_str()) {
                    return Err(invalid(format!("witness record of unknown device {id}")));
                }
            }
            if !witnessed.insert(w) {
                return Err(invalid(format!(
                    "witness record of beacon {} nonce {} by {} in epoch {} is listed twice",
                    w.beacon_device_id, w.beacon_nonce, w.witness_device_id, w.epoch
                )));
            }
        }

        // Everything is valid: write.
        PARAMS.save(&mut ctx.storage(PREFIX), params)?;
        for m in &genesis.makers {
            MAKERS.save(&mut ctx.storage(PREFIX), &m.name, m)?;
        }
        for d in &genesis.devices {
            self.keeper.save_device(ctx, d)?;
            let mut store = ctx.storage(PREFIX);
            DEVICE_KEYS.save(&mut store, &d.key.index_bytes(), &d.id)?;
            SERIALS.save(&mut store, (&d.maker, &d.serial), &d.id)?;
            let revoked = makers.get(&d.maker).is_some_and(|m| m.revoked);
            let pending = !d.is(Status::Suspended) && !d.is(Status::Decommissioned);
            if revoked && pending {
                SUSPENSION_CURSORS.save(&mut store, &d.maker, &String::new())?;
            }
            if d.is(Status::Active) {
                let interval = params
                    .class(&d.class)
                    .map_or(1, |c| c.heartbeat_interval_epochs);
                let deadline = d
                    .last_heartbeat_epoch
                    .saturating_add(interval)
                    .saturating_add(1);
                self.keeper.set_deadline(ctx, &d.id, deadline)?;
            }
        }
        let mut store = ctx.storage(PREFIX);
        for h in &genesis.locations {
            for (i, l) in h.locations.iter().enumerate() {
                LOCATIONS.save(&mut store, (&h.device_id, i as u64), l)?;
            }
        }
        for c in &genesis.contributions {
            CONTRIBUTIONS.save(&mut store, (c.epoch, &c.device_id), c)?;
            CONTRIBUTIONS_BY_DEVICE.save(&mut store, (&c.device_id, c.epoch), &())?;
        }
        for h in &genesis.hex_densities {
            HEX_DENSITIES.save(&mut store, (h.epoch, h.hex), &h.devices)?;
        }
        for w in &genesis.witness_records {
            WITNESS_RECORDS.save(
                &mut store,
                (
                    w.epoch,
                    (&w.beacon_device_id, w.beacon_nonce, &w.witness_device_id),
                ),
                &(),
            )?;
        }
        Ok(())
    }

    /// Everything in store order: makers by name, devices by id, contributions and hex
    /// densities by epoch.
    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.keeper.params(ctx)?;
        let store = ctx.storage(PREFIX);
        let makers = MAKERS
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, m)| m))
            .collect::<Result<Vec<_>, _>>()?;
        let devices = devices()
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, d)| d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut locations = Vec::new();
        for d in &devices {
            let list = LOCATIONS
                .prefix(&d.id)
                .range(&store, None, None, Order::Ascending)
                .map(|r| r.map(|(_, l)| l))
                .collect::<Result<Vec<_>, _>>()?;
            if !list.is_empty() {
                locations.push(DeviceLocations {
                    device_id: d.id.clone(),
                    locations: list,
                });
            }
        }
        let contributions = CONTRIBUTIONS
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, c)| c))
            .collect::<Result<Vec<_>, _>>()?;
        let hex_densities = HEX_DENSITIES
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|((epoch, hex), devices)| HexDensity {
                    epoch,
                    hex,
                    devices,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness_records = WITNESS_RECORDS
            .keys(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(
                    |(epoch, (beacon_device_id, beacon_nonce, witness_device_id))| WitnessRecord {
                        epoch,
                        beacon_device_id,
                        beacon_nonce,
                        witness_device_id,
                    },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GenesisState {
            params,
            makers,
            devices,
            locations,
            contributions,
            hex_densities,
            witness_records,
        })
    }
}
