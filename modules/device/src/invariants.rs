//! The registry's invariants: indexes mirror the primary data, counters match what they
//! count. Run after every block by the simulation and the tests; never in a state path.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Order;
use cw_storage_plus::PrimaryKey;
use depin_app::context::Ctx;

use crate::state::{
    devices, location_index, CONTRIBUTIONS, CONTRIBUTIONS_BY_DEVICE, DEADLINES, DEVICE_KEYS,
    HEX_DENSITIES, INACTIVITY_QUEUE, MAKERS, PREFIX, SERIALS, WITNESS_RECORDS,
};
use crate::types::{Device, Status};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Checks every invariant; `Err` names the first broken one. Hex densities are compared from
/// epoch `retained_from` on: older epochs are being pruned, possibly over several blocks.
pub fn check(ctx: &mut Ctx<'_, '_>, retained_from: u64) -> Result<(), String> {
    let store = ctx.storage(PREFIX);
    let map = devices();
    let all: Vec<Device> = map
        .range(&store, None, None, Order::Ascending)
        .map(|r| r.map(|(_, d)| d))
        .collect::<Result<_, _>>()
        .map_err(err)?;

    // Each secondary index holds exactly one entry per device, under the device's own value.
    let expect =
        |f: &dyn Fn(&Device) -> Vec<u8>| -> BTreeSet<Vec<u8>> { all.iter().map(f).collect() };
    /// (index name, the entries the devices call for, the entries stored)
    type IndexCheck<'a> = (&'a str, BTreeSet<Vec<u8>>, Vec<Vec<u8>>);
    let checks: [IndexCheck; 5] = [
        (
            "owner",
            expect(&|d| (d.owner.as_str(), d.id.as_str()).joined_key()),
            map.idx
                .owner
                .keys_raw(&store, None, None, Order::Ascending)
                .collect(),
        ),
        (
            "maker",
            expect(&|d| (d.maker.as_str(), d.id.as_str()).joined_key()),
            map.idx
                .maker
                .keys_raw(&store, None, None, Order::Ascending)
                .collect(),
        ),
        (
            "class",
            expect(&|d| (d.class.as_str(), d.id.as_str()).joined_key()),
            map.idx
                .class
                .keys_raw(&store, None, None, Order::Ascending)
                .collect(),
        ),
        (
            "status",
            expect(&|d| (d.status, d.id.as_str()).joined_key()),
            map.idx
                .status
                .keys_raw(&store, None, None, Order::Ascending)
                .collect(),
        ),
        (
            "location",
            expect(&|d| (location_index(d), d.id.as_str()).joined_key()),
            map.idx
                .location
                .keys_raw(&store, None, None, Order::Ascending)
                .collect(),
        ),
    ];
    for (name, expected, actual) in checks {
        let actual_set: BTreeSet<Vec<u8>> = actual.iter().cloned().collect();
        if actual.len() != all.len() || actual_set != expected {
            return Err(format!(
                "the {name} index has {} entries for {} devices, or entries that disagree with them",
                actual.len(),
                all.len()
            ));
        }
    }

    // Keys: the current key of each device names it; every reserved key names a device, at
    // most 1 + key_rotations per device.
    let keys: Vec<(Vec<u8>, String)> = DEVICE_KEYS
        .range(&store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let by_id: BTreeMap<&str, &Device> = all.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut per_device: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, id) in &keys {
        if !by_id.contains_key(id.as_str()) {
            return Err(format!("a reserved key names {id}, which is not a device"));
        }
        *per_device.entry(id.as_str()).or_default() += 1;
    }
    for d in &all {
        let holder = DEVICE_KEYS
            .may_load(&store, &d.key.index_bytes())
            .map_err(err)?;
        if holder.as_deref() != Some(d.id.as_str()) {
            return Err(format!("the key of {} is indexed to {holder:?}", d.id));
        }
        let n = per_device.get(d.id.as_str()).copied().unwrap_or(0);
        if n > 1 + u64::from(d.key_rotations) {
            return Err(format!(
                "{} has {n} reserved keys after {} rotations",
                d.id, d.key_rotations
            ));
        }
        let serial = SERIALS
            .may_load(&store, (&d.maker, &d.serial))
            .map_err(err)?;
        if serial.as_deref() != Some(d.id.as_str()) {
            return Err(format!(
                "serial {:?} of {} is indexed to {serial:?}",
                d.serial, d.id
            ));
        }
    }
    let serials = SERIALS
        .keys_raw(&store, None, None, Order::Ascending)
        .count();
    if serials != all.len() {
        return Err(format!("{serials} serials for {} devices", all.len()));
    }

    // Makers count their devices.
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for d in &all {
        *counts.entry(d.maker.as_str()).or_default() += 1;
    }
    for entry in MAKERS.range(&store, None, None, Order::Ascending) {
        let (name, m) = entry.map_err(err)?;
        let n = counts.remove(name.as_str()).unwrap_or(0);
        if n != m.devices_onboarded {
            return Err(format!(
                "maker {name} counts {} devices onboarded but has {n}",
                m.devices_onboarded
            ));
        }
    }
    if let Some(name) = counts.keys().next() {
        return Err(format!("devices of maker {name}, which is not registered"));
    }

    // One queue entry per Active device, and only for Active devices.
    let queue: Vec<(u64, String)> = INACTIVITY_QUEUE
        .keys(&store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let deadlines: BTreeMap<String, u64> = DEADLINES
        .range(&store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let active: BTreeSet<&str> = all
        .iter()
        .filter(|d| d.is(Status::Active))
        .map(|d| d.id.as_str())
        .collect();
    if queue.len() != active.len() || deadlines.len() != active.len() {
        return Err(format!(
            "{} queue entries and {} deadlines for {} Active devices",
            queue.len(),
            deadlines.len(),
            active.len()
        ));
    }
    for (deadline, id) in &queue {
        if !active.contains(id.as_str()) || deadlines.get(id) != Some(deadline) {
            return Err(format!(
                "queue entry ({deadline}, {id}) is not an Active device's deadline"
            ));
        }
    }

    // Contributions: indexed by device both ways; densities count distinct devices.
    let mut counted: BTreeMap<(u64, u64), u32> = BTreeMap::new();
    let mut n = 0usize;
    for entry in CONTRIBUTIONS.range(&store, None, None, Order::Ascending) {
        let ((epoch, id), c) = entry.map_err(err)?;
        n += 1;
        if c.heartbeats > 1 {
            return Err(format!(
                "{id} has {} heartbeats counted in epoch {epoch}",
                c.heartbeats
            ));
        }
        if !CONTRIBUTIONS_BY_DEVICE.has(&store, (&id, epoch)) {
            return Err(format!(
                "contribution of {id} in epoch {epoch} is not indexed"
            ));
        }
        if c.density_hex != 0 && epoch >= retained_from {
            *counted.entry((epoch, c.density_hex)).or_default() += 1;
        }
    }
    let indexed = CONTRIBUTIONS_BY_DEVICE
        .keys_raw(&store, None, None, Order::Ascending)
        .count();
    if indexed != n {
        return Err(format!(
            "{indexed} contribution index entries for {n} contributions"
        ));
    }
    let densities: BTreeMap<(u64, u64), u32> = HEX_DENSITIES
        .range(&store, None, None, Order::Ascending)
        .filter(|r| {
            r.as_ref()
                .map_or(true, |((epoch, _), _)| *epoch >= retained_from)
        })
        .collect::<Result<_, _>>()
        .map_err(err)?;
    if densities != counted {
        return Err("hex densities do not equal the distinct contributing devices per hex".into());
    }

    // Witnesses: each retained contribution counts exactly its witness records: `witnesses`
    // the reports the device made, `beacons` its distinct beacons heard.
    let mut reports: BTreeMap<(u64, String), u32> = BTreeMap::new();
    let mut beacons: BTreeMap<(u64, String), BTreeSet<u64>> = BTreeMap::new();
    for key in WITNESS_RECORDS.keys(&store, None, None, Order::Ascending) {
        let (epoch, (beacon, nonce, witness)) = key.map_err(err)?;
        if epoch < retained_from {
            continue;
        }
        *reports.entry((epoch, witness)).or_default() += 1;
        beacons.entry((epoch, beacon)).or_default().insert(nonce);
    }
    for entry in CONTRIBUTIONS.range(&store, None, None, Order::Ascending) {
        let ((epoch, id), c) = entry.map_err(err)?;
        if epoch < retained_from {
            continue;
        }
        let key = (epoch, id);
        let made = reports.remove(&key).unwrap_or(0);
        let heard = beacons.remove(&key).map_or(0, |n| n.len() as u32);
        if (c.witnesses, c.beacons) != (made, heard) {
            return Err(format!(
                "{} in epoch {}: contribution counts {} witnesses and {} beacons, the records {made} and {heard}",
                key.1, key.0, c.witnesses, c.beacons
            ));
        }
    }
    if let Some((epoch, id)) = reports.keys().chain(beacons.keys()).next() {
        return Err(format!(
            "witness records of {id} in epoch {epoch} without a contribution"
        ));
    }
    Ok(())
}
