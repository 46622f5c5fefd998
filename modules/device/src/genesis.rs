//! Genesis import and export (`app_state.device`), in the proto3 JSON mapping of
//! `depin.device.v1.GenesisState` with proto field names. Indexes are not in genesis: import
//! rebuilds them from the primary data. The epoch anchor, retired keys, suspension cursors and
//! inactivity deadlines are, so that export → import reproduces the state exactly. Epoch-keyed
//! records (contributions, hex densities, witness records) are exported for the retained
//! epochs only: older ones may be half pruned.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Order;
use cw_storage_plus::Bound;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::DeviceError;
use crate::params::Params;
use crate::state::{
    devices, CONTRIBUTIONS, CONTRIBUTIONS_BY_DEVICE, DEADLINES, DEVICE_KEYS, EPOCH_ANCHOR,
    HEX_DENSITIES, LOCATIONS, MAKERS, PARAMS, PREFIX, SERIALS, SUSPENSION_CURSORS, WITNESS_RECORDS,
};
use crate::types::{
    validate_name, Contribution, Device, DeviceDeadline, EpochAnchor, HexDensity, Location, Maker,
    PublicKey, RetiredKey, Status, SuspensionCursor, WitnessRecord,
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
    /// Absent: epoch 0 starts at height 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch_anchor: Option<EpochAnchor>,
    pub retired_keys: Vec<RetiredKey>,
    pub suspension_cursors: Vec<SuspensionCursor>,
    /// Each Active device's inactivity deadline (an Active device missing here gets
    /// last_heartbeat_epoch + its class's heartbeat interval + 1).
    pub deadlines: Vec<DeviceDeadline>,
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
    /// not match (a maker's devices_onboarded, location asserts, and for the retained epochs
    /// hex densities and witness counts), ids that are not their key's, and invalid keys,
    /// addresses and cells. Size limits of params (serial, metadata) apply to new messages
    /// only: existing devices are accepted whatever they are now.
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        let params = &genesis.params;
        params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let codec = self.keeper.codec().clone();
        let anchor = genesis.epoch_anchor.unwrap_or_default();
        // Records of older epochs are being pruned: they are not cross-checked (as in the
        // invariants).
        let retained_from = anchor
            .epoch_of(params.epoch_blocks, ctx.env.height)
            .saturating_sub(params.contribution_retention_epochs);

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
            if d.serial.is_empty() {
                return Err(what("serial is empty".into()));
            }
            if !serials.insert((d.maker.as_str(), d.serial.as_str())) {
                return Err(what(format!(
                    "serial {:?} of maker {:?} is used twice",
                    d.serial, d.maker
                )));
            }
            signing::validate_key(&d.key.to_proto()).map_err(|e| what(format!("key: {e}")))?;
            if d.key_rotations == 0 {
                let derived = signing::device_id(codec.prefix(), &d.key.to_proto());
                if derived != d.id {
                    return Err(what(format!(
                        "its key was never rotated, so its id must be {derived}, the id of its key"
                    )));
                }
            }
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
        let histories: BTreeMap<&str, &[Location]> = genesis
            .locations
            .iter()
            .map(|h| (h.device_id.as_str(), h.locations.as_slice()))
            .collect();
        for d in &genesis.devices {
            let history = histories.get(d.id.as_str()).copied().unwrap_or_default();
            check_location_history(d, history)
                .map_err(|e| invalid(format!("device {}: {e}", d.id)))?;
        }

        let by_id: BTreeMap<&str, &Device> =
            genesis.devices.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut rotated: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &genesis.retired_keys {
            let what = |msg: String| invalid(format!("retired key of {}: {msg}", r.device_id));
            let d = by_id
                .get(r.device_id.as_str())
                .ok_or_else(|| what("no such device".into()))?;
            signing::validate_key(&r.key.to_proto()).map_err(|e| what(e.to_string()))?;
            if !keys.insert(r.key.index_bytes()) {
                return Err(what(
                    "the key is already a device's key or another retired key".into(),
                ));
            }
            let n = rotated.entry(d.id.as_str()).or_default();
            *n += 1;
            if *n > u64::from(d.key_rotations) {
                return Err(what(format!(
                    "more retired keys than its {} key rotations",
                    d.key_rotations
                )));
            }
        }
        let mut cursors = BTreeMap::new();
        for c in &genesis.suspension_cursors {
            let what = |msg: String| invalid(format!("suspension cursor of {:?}: {msg}", c.maker));
            if !makers.get(&c.maker).is_some_and(|m| m.revoked) {
                return Err(what("the maker is not a revoked maker in genesis".into()));
            }
            if !c.last_device_id.is_empty()
                && by_id
                    .get(c.last_device_id.as_str())
                    .is_none_or(|d| d.maker != c.maker)
            {
                return Err(what(format!(
                    "{} is not a device of the maker",
                    c.last_device_id
                )));
            }
            if cursors
                .insert(c.maker.as_str(), c.last_device_id.as_str())
                .is_some()
            {
                return Err(what("listed twice".into()));
            }
        }
        let mut deadlines = BTreeMap::new();
        for dl in &genesis.deadlines {
            if !by_id
                .get(dl.device_id.as_str())
                .is_some_and(|d| d.is(Status::Active))
            {
                return Err(invalid(format!(
                    "deadline of {}, which is not an Active device in genesis",
                    dl.device_id
                )));
            }
            if deadlines.insert(dl.device_id.as_str(), dl.epoch).is_some() {
                return Err(invalid(format!(
                    "deadline of {} is listed twice",
                    dl.device_id
                )));
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
            if c.density_hex != 0 && c.epoch >= retained_from {
                let n = counted.entry((c.epoch, c.density_hex)).or_default();
                *n = n.saturating_add(1);
            }
        }
        let mut densities = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for h in &genesis.hex_densities {
            if !seen.insert((h.epoch, h.hex)) {
                return Err(invalid(format!(
                    "hex density of {} in epoch {} is listed twice",
                    h.hex, h.epoch
                )));
            }
            if h.epoch >= retained_from {
                densities.insert((h.epoch, h.hex), h.devices);
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
            if w.beacon_device_id == w.witness_device_id {
                return Err(invalid(format!(
                    "witness record of beacon {} nonce {} in epoch {}: a device cannot witness \
                     its own beacon",
                    w.beacon_device_id, w.beacon_nonce, w.epoch
                )));
            }
            if !witnessed.insert(w) {
                return Err(invalid(format!(
                    "witness record of beacon {} nonce {} by {} in epoch {} is listed twice",
                    w.beacon_device_id, w.beacon_nonce, w.witness_device_id, w.epoch
                )));
            }
        }
        check_witness_counts(
            &genesis.contributions,
            &genesis.witness_records,
            retained_from,
        )?;

        // Everything is valid: write.
        PARAMS.save(&mut ctx.storage(PREFIX), params)?;
        if anchor != EpochAnchor::default() {
            EPOCH_ANCHOR.save(&mut ctx.storage(PREFIX), &anchor)?;
        }
        for m in &genesis.makers {
            MAKERS.save(&mut ctx.storage(PREFIX), &m.name, m)?;
        }
        for d in &genesis.devices {
            self.keeper.save_device(ctx, d)?;
            let mut store = ctx.storage(PREFIX);
            DEVICE_KEYS.save(&mut store, &d.key.index_bytes(), &d.id)?;
            SERIALS.save(&mut store, (&d.maker, &d.serial), &d.id)?;
            // A revoked maker's pending devices without an exported cursor: from the start.
            let revoked = makers.get(&d.maker).is_some_and(|m| m.revoked);
            let pending = !d.is(Status::Suspended) && !d.is(Status::Decommissioned);
            if revoked && pending && !cursors.contains_key(d.maker.as_str()) {
                SUSPENSION_CURSORS.save(&mut store, &d.maker, &String::new())?;
            }
            if d.is(Status::Active) {
                let deadline = match deadlines.get(d.id.as_str()) {
                    Some(epoch) => *epoch,
                    None => {
                        let interval = params
                            .class(&d.class)
                            .map_or(1, |c| c.heartbeat_interval_epochs);
                        d.last_heartbeat_epoch
                            .saturating_add(interval)
                            .saturating_add(1)
                    }
                };
                self.keeper.set_deadline(ctx, &d.id, deadline)?;
            }
        }
        let mut store = ctx.storage(PREFIX);
        for (maker, last) in &cursors {
            SUSPENSION_CURSORS.save(&mut store, maker, &last.to_string())?;
        }
        for r in &genesis.retired_keys {
            DEVICE_KEYS.save(&mut store, &r.key.index_bytes(), &r.device_id)?;
        }
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
    /// densities by epoch (retained epochs only). The epoch anchor is written as it is (the
    /// restarted chain continues at the next height) when it matters: when it is not the
    /// default or the state holds epoch-numbered data.
    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.keeper.params(ctx)?;
        let retained_from = self
            .keeper
            .current_epoch(ctx)?
            .saturating_sub(params.contribution_retention_epochs);
        let anchor = self.keeper.epoch_anchor(ctx)?;
        let epoch_anchor = if anchor != EpochAnchor::default() || self.keeper.has_epoch_data(ctx)? {
            Some(anchor)
        } else {
            None
        };
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
            .range(
                &store,
                Some(Bound::inclusive((retained_from, ""))),
                None,
                Order::Ascending,
            )
            .map(|r| r.map(|(_, c)| c))
            .collect::<Result<Vec<_>, _>>()?;
        let hex_densities = HEX_DENSITIES
            .range(
                &store,
                Some(Bound::inclusive((retained_from, 0))),
                None,
                Order::Ascending,
            )
            .map(|r| {
                r.map(|((epoch, hex), devices)| HexDensity {
                    epoch,
                    hex,
                    devices,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness_records = WITNESS_RECORDS
            .keys(
                &store,
                Some(Bound::inclusive((retained_from, ("", 0, "")))),
                None,
                Order::Ascending,
            )
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
        let current: BTreeMap<&str, Vec<u8>> = devices
            .iter()
            .map(|d| (d.id.as_str(), d.key.index_bytes()))
            .collect();
        let mut retired_keys = Vec::new();
        for entry in DEVICE_KEYS.range(&store, None, None, Order::Ascending) {
            let (bytes, device_id) = entry?;
            if current.get(device_id.as_str()) == Some(&bytes) {
                continue;
            }
            let Some((&key_type, key)) = bytes.split_first() else {
                return Err(DeviceError::Corrupt("an empty reserved key".into()).into());
            };
            retired_keys.push(RetiredKey {
                key: PublicKey {
                    key_type: i32::from(key_type),
                    key: key.to_vec().into(),
                },
                device_id,
            });
        }
        let suspension_cursors = SUSPENSION_CURSORS
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|(maker, last_device_id)| SuspensionCursor {
                    maker,
                    last_device_id,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let deadlines = DEADLINES
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(device_id, epoch)| DeviceDeadline { device_id, epoch }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GenesisState {
            params,
            makers,
            devices,
            locations,
            contributions,
            hex_densities,
            witness_records,
            epoch_anchor,
            retired_keys,
            suspension_cursors,
            deadlines,
        })
    }
}

/// A device's location history against the device: no location, no history and no asserts;
/// otherwise its current location is the last entry, and the history holds one entry per
/// assert plus, first, the onboarding location if it had one (location_asserts or
/// location_asserts + 1 entries).
fn check_location_history(d: &Device, history: &[Location]) -> Result<(), String> {
    let n = history.len() as u64;
    let asserts = u64::from(d.location_asserts);
    match &d.location {
        None if n > 0 || asserts > 0 => Err(format!(
            "it has no location but {n} location history entries and {asserts} location asserts"
        )),
        None => Ok(()),
        Some(l) if history.last() != Some(l) => {
            Err("its location is not the last entry of its location history".to_string())
        }
        Some(_) if n != asserts && n != asserts + 1 => Err(format!(
            "it counts {asserts} location asserts but its location history has {n} entries \
             (one per assert, plus the onboarding location if any)"
        )),
        Some(_) => Ok(()),
    }
}

/// For epochs from `retained_from` on: each contribution counts exactly its witness records
/// (`witnesses` the reports its device made, `beacons` its distinct beacons heard), and every
/// witness record's beacon and witness have a contribution in that epoch.
fn check_witness_counts(
    contributions: &[Contribution],
    records: &[WitnessRecord],
    retained_from: u64,
) -> AppResult<()> {
    let mut reports: BTreeMap<(u64, &str), u32> = BTreeMap::new();
    let mut beacons: BTreeMap<(u64, &str), BTreeSet<u64>> = BTreeMap::new();
    for w in records.iter().filter(|w| w.epoch >= retained_from) {
        let n = reports
            .entry((w.epoch, w.witness_device_id.as_str()))
            .or_default();
        *n = n.saturating_add(1);
        beacons
            .entry((w.epoch, w.beacon_device_id.as_str()))
            .or_default()
            .insert(w.beacon_nonce);
    }
    for c in contributions.iter().filter(|c| c.epoch >= retained_from) {
        let key = (c.epoch, c.device_id.as_str());
        let made = reports.remove(&key).unwrap_or(0);
        let heard = beacons.remove(&key).map_or(0, |n| n.len() as u32);
        if (c.witnesses, c.beacons) != (made, heard) {
            return Err(invalid(format!(
                "contribution of {} in epoch {} counts {} witnesses and {} beacons but the \
                 witness records give {made} and {heard}",
                c.device_id, c.epoch, c.witnesses, c.beacons
            )));
        }
    }
    if let Some((epoch, id)) = reports.keys().chain(beacons.keys()).next() {
        return Err(invalid(format!(
            "witness records of {id} in epoch {epoch} without a contribution of {id} in that epoch"
        )));
    }
    Ok(())
}
