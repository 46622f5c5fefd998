//! The market's invariants. Run after every block by the simulation and the tests; never in a
//! state path (they read everything).

use std::collections::BTreeMap;

use cosmwasm_std::{Order as SortOrder, Uint128};
use depin_app::context::Ctx;

use crate::keeper::{MarketBank, MARKET_MODULE_ACCOUNT};
use crate::state::{
    bids, deals, leases, orders, DEAL_QUEUE, ESCROWS, PREFIX, PROVIDERS, TAKE_REMAINDERS,
};
use crate::types::{amount_of, deal_escrow_id, LeaseState, OrderState};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn sum(a: Uint128, b: Uint128) -> Result<Uint128, String> {
    a.checked_add(b).map_err(err)
}

/// Checks every invariant; `Err` names the first broken one with its numbers.
pub fn check(ctx: &mut Ctx<'_, '_>, bank: &dyn MarketBank, denom: &str) -> Result<(), String> {
    let store = ctx.storage(PREFIX);
    let mut held = Uint128::zero();
    let mut escrows = 0u128;
    for r in ESCROWS.range(&store, None, None, SortOrder::Ascending) {
        let (_, e) = r.map_err(err)?;
        if e.deposits_total() != Some(e.balance.amount) {
            return Err(format!(
                "escrow {}: balance {} is not the sum of its deposits",
                e.id, e.balance.amount
            ));
        }
        if e.deposits.iter().any(|d| d.amount.amount.is_zero()) {
            return Err(format!("escrow {} keeps an empty deposit", e.id));
        }
        if e.is_closed() && !e.balance.amount.is_zero() {
            return Err(format!(
                "closed escrow {} still holds {}",
                e.id, e.balance.amount
            ));
        }
        escrows += e.balance.amount.u128();
        held = sum(held, e.balance.amount)?;
    }
    // Take remainders: below one unit, kept only for open escrows.
    for r in TAKE_REMAINDERS.range(&store, None, None, SortOrder::Ascending) {
        let (id, rem) = r.map_err(err)?;
        if rem >= crate::params::TAKE_DENOMINATOR {
            return Err(format!("escrow {id} keeps a take remainder of {rem}/10000"));
        }
        let open = ESCROWS
            .may_load(&store, &id)
            .map_err(err)?
            .is_some_and(|e| !e.is_closed());
        if !open {
            return Err(format!(
                "escrow {id} keeps a take remainder but is closed or missing"
            ));
        }
    }
    // Storage deals: what each provider's ACCEPTED/ACTIVE deals lock; one queue entry per
    // open deal (and no other); an open deal's escrow is open, an ended one's closed.
    let mut locked_by_deals: BTreeMap<String, Uint128> = BTreeMap::new();
    let mut open_deals = 0usize;
    for r in deals().range(&store, None, None, SortOrder::Ascending) {
        let (_, d) = r.map_err(err)?;
        if d.locks_collateral() {
            let l = locked_by_deals.entry(d.provider.clone()).or_default();
            *l = sum(*l, d.remaining_collateral())?;
        }
        if d.is_open() {
            open_deals += 1;
            if !DEAL_QUEUE.has(&store, d.queue_key()) {
                return Err(format!(
                    "deal {} is {} but has no queue entry at {}",
                    d.id, d.state, d.deadline
                ));
            }
        }
        let e = ESCROWS
            .may_load(&store, &deal_escrow_id(d.id))
            .map_err(err)?
            .ok_or_else(|| format!("deal {} has no escrow", d.id))?;
        if e.is_closed() == d.is_open() {
            return Err(format!(
                "deal {} is {} but its escrow is {}",
                d.id, d.state, e.state
            ));
        }
    }
    let queued = DEAL_QUEUE
        .keys(&store, None, None, SortOrder::Ascending)
        .count();
    if queued != open_deals {
        return Err(format!(
            "the deal queue has {queued} entries for {open_deals} open deals"
        ));
    }
    let mut collateral = Uint128::zero();
    for r in PROVIDERS.range(&store, None, None, SortOrder::Ascending) {
        let (_, p) = r.map_err(err)?;
        let c = amount_of(&p.collateral, denom);
        let locked = amount_of(&p.locked_collateral, denom);
        if locked > c {
            return Err(format!(
                "provider {} locks more collateral than it holds",
                p.owner
            ));
        }
        let by_deals = locked_by_deals.remove(&p.owner).unwrap_or_default();
        if locked != by_deals {
            return Err(format!(
                "provider {} locks {locked} of collateral but its accepted and active deals lock {by_deals}",
                p.owner
            ));
        }
        collateral = sum(collateral, c)?;
    }
    if let Some((provider, amount)) = locked_by_deals.into_iter().next() {
        return Err(format!(
            "deals lock {amount} of collateral of {provider}, which is not a provider"
        ));
    }
    held = sum(held, collateral)?;
    let mut deposits = Uint128::zero();
    for r in bids().range(&store, None, None, SortOrder::Ascending) {
        let (_, b) = r.map_err(err)?;
        if b.holds_deposit() {
            deposits = sum(deposits, b.deposit.amount)?;
        }
    }
    held = sum(held, deposits)?;
    let mut unwithdrawn = Uint128::zero();
    for r in leases().range(&store, None, None, SortOrder::Ascending) {
        let (_, l) = r.map_err(err)?;
        let closed = l.is(LeaseState::Closed);
        if closed != (l.closed_height != 0) || closed != (l.close_reason != 0) {
            return Err(format!(
                "lease {} is {} with closed_height {} and close reason {}",
                l.order_id, l.state, l.closed_height, l.close_reason
            ));
        }
        if closed && !l.unwithdrawn.amount.is_zero() {
            return Err(format!(
                "closed lease {} keeps unwithdrawn funds",
                l.order_id
            ));
        }
        if !closed && l.is(LeaseState::InsufficientFunds) == (l.insufficient_since == 0) {
            return Err(format!(
                "lease {} is {} with insufficient_since {}",
                l.order_id, l.state, l.insufficient_since
            ));
        }
        let order = orders()
            .may_load(&store, l.order_id)
            .map_err(err)?
            .ok_or_else(|| format!("lease {} has no order", l.order_id))?;
        if closed == order.is(OrderState::Active) {
            return Err(format!(
                "lease {} is {} but its order is {}",
                l.order_id, l.state, order.state
            ));
        }
        unwithdrawn = sum(unwithdrawn, l.unwithdrawn.amount)?;
    }
    held = sum(held, unwithdrawn)?;
    drop(store);
    let address = depin_app::address::module_address(MARKET_MODULE_ACCOUNT);
    let balance = bank.balance(ctx, &address, denom).map_err(err)?;
    if balance != held {
        return Err(format!(
            "market module account holds {balance}{denom} but escrows {escrows} + collateral {collateral} + bid deposits {deposits} + unwithdrawn {unwithdrawn} = {held}"
        ));
    }
    Ok(())
}
