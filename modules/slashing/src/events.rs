//! Slashing events, in the Cosmos SDK's shape. Addresses are consensus addresses in bech32
//! (`<prefix>valcons1…`).

use depin_app::context::Event;

/// Why a validator was slashed (the `reason` attribute, as the SDK writes it).
pub const REASON_MISSING_SIGNATURE: &str = "missing_signature";
pub const REASON_DOUBLE_SIGN: &str = "double_sign";

/// A validator was slashed (and jailed: `jailed` repeats its address, as in the SDK).
pub fn slash(address: &str, power: u64, reason: &str, burned_coins: &str) -> Event {
    Event::new("slash")
        .attr("address", address)
        .attr("power", power.to_string())
        .attr("reason", reason)
        .attr("jailed", address)
        .attr("burned_coins", burned_coins)
}

/// A bonded validator missed a block.
pub fn liveness(address: &str, missed_blocks: u64, height: u64) -> Event {
    Event::new("liveness")
        .attr("address", address)
        .attr("missed_blocks", missed_blocks.to_string())
        .attr("height", height.to_string())
}

pub fn update_params(authority: &str) -> Event {
    Event::new("update_params")
        .attr("module", "slashing")
        .attr("authority", authority)
}
