//! Rewards events. Every event carries `module=rewards`; every attribute is indexed (CometBFT
//! `tx_search` / `block_search` find them). Amounts are written as coins ("10udepin").

use cosmwasm_std::Uint128;
use depin_app::context::Event;

use crate::state::{Emitted, Payout};

fn event(kind: &str) -> Event {
    Event::new(kind).attr("module", "rewards")
}

fn coin(amount: Uint128, denom: &str) -> String {
    format!("{amount}{denom}")
}

pub fn params_updated() -> Event {
    event("rewards_params_updated")
}

/// A rewards epoch ended and was minted: the schedule, what was minted and each bucket.
pub fn epoch_minted(e: &Emitted, capped: Uint128, buckets: [Uint128; 4], denom: &str) -> Event {
    event("rewards_epoch_minted")
        .attr("epoch", e.epoch.to_string())
        .attr("base", coin(e.base, denom))
        .attr("baseline", coin(e.baseline, denom))
        .attr("minted", coin(e.minted, denom))
        .attr("capped", coin(capped, denom))
        .attr("capacity", e.capacity.to_string())
        .attr("to_validators", coin(buckets[0], denom))
        .attr("to_devices", coin(buckets[1], denom))
        .attr("to_providers", coin(buckets[2], denom))
        .attr("to_community", coin(buckets[3], denom))
}

pub fn device_rewarded(
    device_id: &str,
    owner: &str,
    epoch: u64,
    amount: Uint128,
    denom: &str,
) -> Event {
    event("device_rewarded")
        .attr("device_id", device_id)
        .attr("owner", owner)
        .attr("epoch", epoch.to_string())
        .attr("amount", coin(amount, denom))
}

pub fn provider_rewarded(
    provider: &str,
    epoch: u64,
    amount: Uint128,
    excess: Uint128,
    denom: &str,
) -> Event {
    event("provider_rewarded")
        .attr("provider", provider)
        .attr("epoch", epoch.to_string())
        .attr("amount", coin(amount, denom))
        .attr("above_cap", coin(excess, denom))
}

/// A bucket finished sharing one source epoch.
pub fn payout_finished(bucket: &str, p: &Payout, denom: &str) -> Event {
    event("rewards_payout_finished")
        .attr("bucket", bucket)
        .attr("epoch", p.epoch.to_string())
        .attr("amount", coin(p.amount, denom))
        .attr("paid", coin(p.paid, denom))
        .attr("above_cap", coin(p.excess, denom))
        .attr("records", p.records.to_string())
}

pub fn claimed(claimant: &str, amount: Uint128, denom: &str) -> Event {
    event("rewards_claimed")
        .attr("claimant", claimant)
        .attr("amount", coin(amount, denom))
}

pub fn credits_minted(
    sender: &str,
    recipient: &str,
    burned: Uint128,
    credits: Uint128,
    denom: &str,
) -> Event {
    event("data_credits_minted")
        .attr("sender", sender)
        .attr("recipient", recipient)
        .attr("burned", coin(burned, denom))
        .attr("credits", credits.to_string())
}

pub fn credits_spent(address: &str, credits: Uint128) -> Event {
    event("data_credits_spent")
        .attr("address", address)
        .attr("credits", credits.to_string())
}
