//! Market events. Every event carries `module=market`; every attribute is indexed (CometBFT
//! `tx_search` finds transactions by any of them). Amounts are written as coins ("10udepin").

use depin_app::context::Event;

fn event(kind: &str) -> Event {
    Event::new(kind).attr("module", "market")
}

pub fn params_updated() -> Event {
    event("market_params_updated")
}

pub fn auditor_registered(auditor: &str) -> Event {
    event("auditor_registered").attr("auditor", auditor)
}

pub fn auditor_removed(auditor: &str) -> Event {
    event("auditor_removed").attr("auditor", auditor)
}

pub fn attributes_signed(auditor: &str, provider: &str, keys: &str) -> Event {
    event("provider_attributes_signed")
        .attr("auditor", auditor)
        .attr("provider", provider)
        .attr("keys", keys)
}

pub fn attributes_deleted(auditor: &str, provider: &str, keys: &str) -> Event {
    event("provider_attributes_deleted")
        .attr("auditor", auditor)
        .attr("provider", provider)
        .attr("keys", keys)
}

pub fn provider_created(provider: &str, collateral: &str) -> Event {
    event("provider_created")
        .attr("provider", provider)
        .attr("collateral", collateral)
}

pub fn provider_updated(provider: &str) -> Event {
    event("provider_updated").attr("provider", provider)
}

pub fn collateral_deposited(provider: &str, amount: &str) -> Event {
    event("collateral_deposited")
        .attr("provider", provider)
        .attr("amount", amount)
}

pub fn collateral_withdrawn(provider: &str, amount: &str) -> Event {
    event("collateral_withdrawn")
        .attr("provider", provider)
        .attr("amount", amount)
}

pub fn order_created(order_id: u64, tenant: &str, max_price: &str, deposit: &str) -> Event {
    event("order_created")
        .attr("order_id", order_id.to_string())
        .attr("tenant", tenant)
        .attr("max_price_per_block", max_price)
        .attr("deposit", deposit)
}

pub fn order_closed(order_id: u64, reason: &str) -> Event {
    event("order_closed")
        .attr("order_id", order_id.to_string())
        .attr("reason", reason)
}

pub fn bid_created(order_id: u64, provider: &str, price: &str) -> Event {
    event("bid_created")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
        .attr("price_per_block", price)
}

pub fn bid_closed(order_id: u64, provider: &str, state: &str, reason: &str) -> Event {
    event("bid_closed")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
        .attr("state", state)
        .attr("reason", reason)
}

pub fn lease_created(order_id: u64, tenant: &str, provider: &str, price: &str) -> Event {
    event("lease_created")
        .attr("order_id", order_id.to_string())
        .attr("tenant", tenant)
        .attr("provider", provider)
        .attr("price_per_block", price)
}

pub fn lease_insufficient_funds(order_id: u64, provider: &str, since: i64) -> Event {
    event("lease_insufficient_funds")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
        .attr("since", since.to_string())
}

pub fn lease_resumed(order_id: u64, provider: &str) -> Event {
    event("lease_resumed")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
}

pub fn lease_closed(order_id: u64, provider: &str, reason: &str) -> Event {
    event("lease_closed")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
        .attr("reason", reason)
}

pub fn lease_withdrawn(order_id: u64, provider: &str, amount: &str) -> Event {
    event("lease_withdrawn")
        .attr("order_id", order_id.to_string())
        .attr("provider", provider)
        .attr("amount", amount)
}

pub fn escrow_deposited(escrow: &str, depositor: &str, amount: &str) -> Event {
    event("escrow_deposited")
        .attr("escrow_id", escrow)
        .attr("depositor", depositor)
        .attr("amount", amount)
}

pub fn escrow_paid(escrow: &str, provider: &str, paid: &str, take: &str, height: u64) -> Event {
    event("escrow_paid")
        .attr("escrow_id", escrow)
        .attr("provider", provider)
        .attr("paid", paid)
        .attr("take", take)
        .attr("settled_height", height.to_string())
}

pub fn escrow_closed(escrow: &str) -> Event {
    event("escrow_closed").attr("escrow_id", escrow)
}

pub fn escrow_refunded(escrow: &str, depositor: &str, amount: &str) -> Event {
    event("escrow_refunded")
        .attr("escrow_id", escrow)
        .attr("depositor", depositor)
        .attr("amount", amount)
}

pub fn deal_proposed(deal: u64, client: &str, provider: &str, price: &str, escrow: &str) -> Event {
    event("deal_proposed")
        .attr("deal_id", deal.to_string())
        .attr("client", client)
        .attr("provider", provider)
        .attr("price_per_period", price)
        .attr("escrow", escrow)
}

pub fn deal_accepted(deal: u64, provider: &str, collateral: &str, deadline: i64) -> Event {
    event("deal_accepted")
        .attr("deal_id", deal.to_string())
        .attr("provider", provider)
        .attr("collateral", collateral)
        .attr("deadline", deadline.to_string())
}

pub fn deal_activated(deal: u64, provider: &str, start_height: i64) -> Event {
    event("deal_activated")
        .attr("deal_id", deal.to_string())
        .attr("provider", provider)
        .attr("start_height", start_height.to_string())
}

pub fn storage_proof(deal: u64, provider: &str, period: u64) -> Event {
    event("storage_proof")
        .attr("deal_id", deal.to_string())
        .attr("provider", provider)
        .attr("period", period.to_string())
}

pub fn deal_fault(deal: u64, provider: &str, client: &str, period: u64, fee: &str) -> Event {
    event("deal_fault")
        .attr("deal_id", deal.to_string())
        .attr("provider", provider)
        .attr("client", client)
        .attr("period", period.to_string())
        .attr("fee", fee)
}

/// A deal's end: kind is deal_terminated, deal_completed, deal_expired, deal_cancelled or
/// deal_activation_missed.
pub fn deal_ended(kind: &str, deal: u64, client: &str, provider: &str) -> Event {
    event(kind)
        .attr("deal_id", deal.to_string())
        .attr("client", client)
        .attr("provider", provider)
}
