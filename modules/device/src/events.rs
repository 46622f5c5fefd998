//! Device registry events. Every event carries `module=device`; every attribute is indexed
//! (CometBFT `tx_search` finds transactions by any of them).

use depin_app::context::Event;

fn event(kind: &str) -> Event {
    Event::new(kind).attr("module", "device")
}

pub fn maker_registered(name: &str, quota: u64) -> Event {
    event("maker_registered")
        .attr("maker", name)
        .attr("device_quota", quota.to_string())
}

pub fn maker_revoked(name: &str, height: u64) -> Event {
    event("maker_revoked")
        .attr("maker", name)
        .attr("height", height.to_string())
}

pub fn device_onboarded(device_id: &str, owner: &str, maker: &str, class: &str) -> Event {
    event("device_onboarded")
        .attr("device_id", device_id)
        .attr("owner", owner)
        .attr("maker", maker)
        .attr("class", class)
}

pub fn location_asserted(device_id: &str, h3_cell: u64, fee: &str) -> Event {
    event("location_asserted")
        .attr("device_id", device_id)
        .attr("h3_cell", h3_cell.to_string())
        .attr("fee", fee)
}

pub fn device_transferred(device_id: &str, from: &str, to: &str) -> Event {
    event("device_transferred")
        .attr("device_id", device_id)
        .attr("from", from)
        .attr("to", to)
}

pub fn device_key_rotated(device_id: &str, rotation: u32) -> Event {
    event("device_key_rotated")
        .attr("device_id", device_id)
        .attr("rotation", rotation.to_string())
}

pub fn device_metadata_updated(device_id: &str) -> Event {
    event("device_metadata_updated").attr("device_id", device_id)
}

/// Why a status changed (the `reason` attribute).
pub const REASON_HEARTBEAT: &str = "heartbeat";
pub const REASON_INACTIVITY: &str = "inactivity";
pub const REASON_MAKER_REVOKED: &str = "maker_revoked";
pub const REASON_DECOMMISSIONED: &str = "decommissioned";

pub fn device_status_changed(device_id: &str, from: &str, to: &str, reason: &str) -> Event {
    event("device_status_changed")
        .attr("device_id", device_id)
        .attr("from", from)
        .attr("to", to)
        .attr("reason", reason)
}

pub fn device_decommissioned(device_id: &str, owner: &str) -> Event {
    event("device_decommissioned")
        .attr("device_id", device_id)
        .attr("owner", owner)
}

pub fn heartbeat(device_id: &str, epoch: u64, counter: u64, submitter: &str) -> Event {
    event("heartbeat")
        .attr("device_id", device_id)
        .attr("epoch", epoch.to_string())
        .attr("counter", counter.to_string())
        .attr("submitter", submitter)
}

/// A counted witness report (and, with the first one, a witnessed beacon).
pub fn witness(
    beacon_device_id: &str,
    beacon_nonce: u64,
    witness_device_id: &str,
    epoch: u64,
    distance: u32,
    submitter: &str,
) -> Event {
    event("witness")
        .attr("beacon_device_id", beacon_device_id)
        .attr("beacon_nonce", beacon_nonce.to_string())
        .attr("witness_device_id", witness_device_id)
        .attr("epoch", epoch.to_string())
        .attr("distance", distance.to_string())
        .attr("submitter", submitter)
}

pub fn params_updated(authority: &str) -> Event {
    event("params_updated").attr("authority", authority)
}
