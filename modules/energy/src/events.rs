//! Energy events. Every event carries `module=energy`; every attribute is indexed (CometBFT
//! `tx_search` finds transactions by any of them).

use depin_app::context::Event;

fn event(kind: &str) -> Event {
    Event::new(kind).attr("module", "energy")
}

/// A reading was accepted.
pub fn reading(
    device_id: &str,
    epoch: u64,
    cumulative_wh: u64,
    delivered_wh: u64,
    submitter: &str,
) -> Event {
    event("energy_reading")
        .attr("device_id", device_id)
        .attr("epoch", epoch.to_string())
        .attr("cumulative_wh", cumulative_wh.to_string())
        .attr("delivered_wh", delivered_wh.to_string())
        .attr("submitter", submitter)
}

pub fn params_updated() -> Event {
    event("energy_params_updated")
}

/// End block pruned `removed` epoch totals older than `before`.
pub fn pruned(before: u64, removed: usize) -> Event {
    event("energy_pruned")
        .attr("before_epoch", before.to_string())
        .attr("removed", removed.to_string())
}

/// A reading rose more than `max_wh_per_reading`: the cap was credited, `excess_wh` was not.
pub fn capped(device_id: &str, epoch: u64, excess_wh: u64) -> Event {
    event("energy_reading_capped")
        .attr("device_id", device_id)
        .attr("epoch", epoch.to_string())
        .attr("excess_wh", excess_wh.to_string())
}
