//! Genesis import and export: every collection, so that export → import reproduces the state.
//! Indexes, the order timeout queue and the auditor index are rebuilt on import. Heights are
//! absolute: a chain started from an export continues at the exported height + 1.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Order as SortOrder;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::MarketError;
use crate::msgs::validate_attributes;
use crate::params::{Params, MAX_BIDS_PER_ORDER_CAP, TAKE_DENOMINATOR};
use crate::state::{
    bids, deals, leases, orders, AUDITED, AUDITED_BY_AUDITOR, AUDITORS, DEAL_QUEUE, ESCROWS,
    NEXT_DEAL_ID, NEXT_ORDER_ID, ORDER_TIMEOUTS, PARAMS, PREFIX, PROVIDERS, TAKE_REMAINDERS, USAGE,
};
use crate::types::{
    deal_escrow_id, order_escrow_id, order_of_escrow, AuditedAttributes, Auditor, Bid, BidState,
    CloseReason, DealState, EscrowAccount, EscrowState, Lease, LeaseState, Order, OrderState,
    Provider, StorageDeal, Usage,
};
use crate::MarketModule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    pub params: Params,
    #[serde(default)]
    pub providers: Vec<Provider>,
    #[serde(default)]
    pub auditors: Vec<Auditor>,
    #[serde(default)]
    pub audited_attributes: Vec<AuditedAttributes>,
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(default)]
    pub bids: Vec<Bid>,
    #[serde(default)]
    pub leases: Vec<Lease>,
    #[serde(default)]
    pub escrow_accounts: Vec<EscrowAccount>,
    /// Storage deals; the deal queue is rebuilt from them (one entry per open deal, keyed by
    /// its deadline).
    #[serde(default)]
    pub deals: Vec<StorageDeal>,
    #[serde(default)]
    pub usage: Vec<Usage>,
    #[serde(with = "depin_app::json::u64_string", default = "one")]
    pub next_order_id: u64,
    #[serde(with = "depin_app::json::u64_string", default = "one")]
    pub next_deal_id: u64,
    /// The take remainder of every open escrow that has one (absent: 0).
    #[serde(default)]
    pub take_remainders: Vec<TakeRemainder>,
}

/// What the takes of an escrow's payments have left over, in 1/10,000ths of a unit (see
/// `Params::take_with_remainder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeRemainder {
    pub escrow_id: String,
    pub remainder: u32,
}

fn one() -> u64 {
    1
}

impl Default for GenesisState {
    fn default() -> Self {
        GenesisState {
            params: Params::default(),
            providers: Vec::new(),
            auditors: Vec::new(),
            audited_attributes: Vec::new(),
            orders: Vec::new(),
            bids: Vec::new(),
            leases: Vec::new(),
            escrow_accounts: Vec::new(),
            deals: Vec::new(),
            usage: Vec::new(),
            next_order_id: 1,
            next_deal_id: 1,
            take_remainders: Vec::new(),
        }
    }
}

fn invalid(msg: impl Into<String>) -> AppError {
    MarketError::InvalidGenesis(msg.into()).into()
}

/// `c` is in the market denom.
fn check_coin(c: &Coin, denom: &str, what: &dyn std::fmt::Display) -> AppResult<()> {
    if c.denom != denom {
        return Err(invalid(format!(
            "{what} is in {:?}: the market denom is {denom}",
            c.denom
        )));
    }
    Ok(())
}

/// A coin list the market keeps (collateral): at most one coin, in the market denom.
fn check_coins(list: &[Coin], denom: &str, what: &dyn std::fmt::Display) -> AppResult<()> {
    if list.len() > 1 {
        return Err(invalid(format!(
            "{what} has {} coins: it may hold at most one, in {denom}",
            list.len()
        )));
    }
    list.iter().try_for_each(|c| check_coin(c, denom, what))
}

/// `v` is one of an enum's values other than UNSPECIFIED.
fn check_enum(ok: bool, v: i32, what: &dyn std::fmt::Display) -> AppResult<()> {
    if !ok || v == 0 {
        return Err(invalid(format!("{what} has the unknown state {v}")));
    }
    Ok(())
}

/// A next-id counter: at least 1 (ids start at 1) and below u64::MAX (the next id after it
/// must exist).
fn check_next_id(next: u64, what: &str) -> AppResult<()> {
    if next == 0 || next == u64::MAX {
        return Err(invalid(format!(
            "{what} is {next}: it must be from 1 to {}",
            u64::MAX - 1
        )));
    }
    Ok(())
}

impl MarketModule {
    /// Everything a genesis document must satisfy before it is written: unique ids below
    /// their counters, records that refer to listed records, amounts in the market denom,
    /// amounts whose arithmetic cannot fail later (paid ≥ unwithdrawn, fees ≤ collateral),
    /// heights the settlement can subtract. The invariants (balances) are checked after the
    /// write, against the bank.
    fn validate_genesis(&self, g: &GenesisState) -> AppResult<()> {
        g.params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let denom = g.params.denom.as_str();
        let codec = self.keeper.codec();
        let addr = |a: &str, what: &dyn std::fmt::Display| -> AppResult<()> {
            codec
                .decode(a)
                .map(|_| ())
                .map_err(|e| invalid(format!("{what}: {}", e.message)))
        };
        check_next_id(g.next_order_id, "next_order_id")?;
        check_next_id(g.next_deal_id, "next_deal_id")?;

        let mut providers = BTreeSet::new();
        for p in &g.providers {
            let what = format!("provider {}", p.owner);
            addr(&p.owner, &what)?;
            if !providers.insert(p.owner.as_str()) {
                return Err(invalid(format!("{what} is listed twice")));
            }
            validate_attributes(&p.attributes).map_err(|e| invalid(format!("{what}: {e}")))?;
            check_coins(&p.collateral, denom, &format!("{what}'s collateral"))?;
            check_coins(
                &p.locked_collateral,
                denom,
                &format!("{what}'s locked collateral"),
            )?;
            let have = crate::types::amount_of(&p.collateral, denom);
            let locked = crate::types::amount_of(&p.locked_collateral, denom);
            if locked > have {
                return Err(invalid(format!(
                    "{what} locks {locked} of collateral but holds {have}"
                )));
            }
        }
        let mut auditors = BTreeSet::new();
        for a in &g.auditors {
            addr(&a.address, &format!("auditor {}", a.address))?;
            if !auditors.insert(a.address.as_str()) {
                return Err(invalid(format!("auditor {} is listed twice", a.address)));
            }
        }
        let mut signed = BTreeSet::new();
        for s in &g.audited_attributes {
            if !auditors.contains(s.auditor.as_str()) || !providers.contains(s.provider.as_str()) {
                return Err(invalid(format!(
                    "attributes signed by {} for {}: both must be listed",
                    s.auditor, s.provider
                )));
            }
            if !signed.insert((s.provider.as_str(), s.auditor.as_str())) {
                return Err(invalid(format!(
                    "attributes signed by {} for {} are listed twice",
                    s.auditor, s.provider
                )));
            }
            validate_attributes(&s.attributes).map_err(|e| {
                invalid(format!(
                    "attributes signed by {} for {}: {e}",
                    s.auditor, s.provider
                ))
            })?;
        }

        let mut orders: BTreeMap<u64, &Order> = BTreeMap::new();
        for o in &g.orders {
            let what = format!("order {}", o.id);
            if o.id == 0 || o.id >= g.next_order_id || orders.insert(o.id, o).is_some() {
                return Err(invalid(format!(
                    "{what}: ids must be unique and from 1 to below next_order_id {}",
                    g.next_order_id
                )));
            }
            addr(&o.tenant, &what)?;
            check_enum(OrderState::try_from(o.state).is_ok(), o.state, &what)?;
            check_coin(
                &o.max_price_per_block,
                denom,
                &format!("{what}'s max price"),
            )?;
        }
        let mut deals_by_id: BTreeMap<u64, &StorageDeal> = BTreeMap::new();
        for d in &g.deals {
            let what = format!("deal {}", d.id);
            if d.id == 0 || d.id >= g.next_deal_id || deals_by_id.insert(d.id, d).is_some() {
                return Err(invalid(format!(
                    "{what}: ids must be unique and from 1 to below next_deal_id {}",
                    g.next_deal_id
                )));
            }
            addr(&d.client, &what)?;
            if !providers.contains(d.provider.as_str()) {
                return Err(invalid(format!(
                    "{what}: its provider {} is not listed",
                    d.provider
                )));
            }
            check_enum(DealState::try_from(d.state).is_ok(), d.state, &what)?;
            for (c, name) in [
                (&d.price_per_period, "price_per_period"),
                (&d.provider_collateral, "provider_collateral"),
                (&d.fault_fees_paid, "fault_fees_paid"),
            ] {
                check_coin(c, denom, &format!("{what}'s {name}"))?;
            }
            if d.data_root.len() != 32
                || d.size_bytes == 0
                || !d.chunk_size.is_power_of_two()
                || d.duration_periods == 0
                || d.duration_periods > crate::deals::MAX_DURATION_PERIODS
            {
                return Err(invalid(format!(
                    "{what}: a deal must have a 32-byte data_root, size_bytes ≥ 1, a power-of-two chunk_size and 1 to {} periods",
                    crate::deals::MAX_DURATION_PERIODS
                )));
            }
            let periods = d.periods_proven.checked_add(d.faults);
            if periods.is_none_or(|p| p > d.duration_periods) {
                return Err(invalid(format!(
                    "{what}: {} periods proven and {} faults exceed its {} periods",
                    d.periods_proven, d.faults, d.duration_periods
                )));
            }
            if d.fault_fees_paid.amount > d.provider_collateral.amount {
                return Err(invalid(format!(
                    "{what}: fault fees of {} exceed its collateral {}",
                    d.fault_fees_paid.amount, d.provider_collateral.amount
                )));
            }
            if d.locks_collateral() && d.challenge_seed.len() != 32 {
                return Err(invalid(format!(
                    "{what}: an accepted or active deal must have a 32-byte challenge seed"
                )));
            }
            if d.deadline < 0 || d.proposed_height < 0 || d.start_height < 0 {
                return Err(invalid(format!("{what}: heights must not be negative")));
            }
        }

        let mut escrows: BTreeMap<&str, &EscrowAccount> = BTreeMap::new();
        for e in &g.escrow_accounts {
            let what = format!("escrow {}", e.id);
            if escrows.insert(e.id.as_str(), e).is_some() {
                return Err(invalid(format!("{what} is listed twice")));
            }
            let owner = if let Some(id) = order_of_escrow(&e.id) {
                orders.get(&id).map(|o| o.tenant.as_str())
            } else if let Some(id) = e.id.strip_prefix("deal/").and_then(|i| i.parse().ok()) {
                deals_by_id.get(&id).map(|d| d.client.as_str())
            } else {
                return Err(invalid(format!(
                    "{what}: escrow ids must be order/<id> or deal/<id>"
                )));
            };
            match owner {
                None => return Err(invalid(format!("{what}: its order or deal is not listed"))),
                Some(o) if o != e.owner => {
                    return Err(invalid(format!(
                        "{what}: its owner {} is not the tenant or client {o}",
                        e.owner
                    )))
                }
                Some(_) => {}
            }
            check_enum(EscrowState::try_from(e.state).is_ok(), e.state, &what)?;
            check_coin(&e.balance, denom, &format!("{what}'s balance"))?;
            check_coin(&e.transferred, denom, &format!("{what}'s transferred"))?;
            for d in &e.deposits {
                check_coin(&d.amount, denom, &format!("{what}'s deposit"))?;
                addr(&d.depositor, &what)?;
                if d.amount.amount.is_zero() {
                    return Err(invalid(format!("{what} keeps an empty deposit")));
                }
            }
            if e.deposits_total() != Some(e.balance.amount) {
                return Err(invalid(format!(
                    "{what}: its balance is not the sum of its deposits"
                )));
            }
        }
        for o in orders.values() {
            if !escrows.contains_key(order_escrow_id(o.id).as_str()) {
                return Err(invalid(format!("order {}: its escrow is not listed", o.id)));
            }
        }
        for d in deals_by_id.values() {
            if !escrows.contains_key(deal_escrow_id(d.id).as_str()) {
                return Err(invalid(format!("deal {}: its escrow is not listed", d.id)));
            }
        }

        let mut leases_by_order: BTreeMap<u64, &Lease> = BTreeMap::new();
        for l in &g.leases {
            let what = format!("the lease of order {}", l.order_id);
            let Some(order) = orders.get(&l.order_id) else {
                return Err(invalid(format!("lease of unknown order {}", l.order_id)));
            };
            if leases_by_order.insert(l.order_id, l).is_some() {
                return Err(invalid(format!("{what} is listed twice")));
            }
            if l.tenant != order.tenant || !providers.contains(l.provider.as_str()) {
                return Err(invalid(format!(
                    "{what}: its tenant must be the order's and its provider a listed provider"
                )));
            }
            check_enum(LeaseState::try_from(l.state).is_ok(), l.state, &what)?;
            if l.close_reason != 0 {
                check_enum(
                    CloseReason::try_from(l.close_reason).is_ok(),
                    l.close_reason,
                    &format!("{what}'s close reason"),
                )?;
            }
            for (c, name) in [
                (&l.price_per_block, "price"),
                (&l.paid, "paid"),
                (&l.unwithdrawn, "unwithdrawn"),
            ] {
                check_coin(c, denom, &format!("{what}'s {name}"))?;
            }
            if l.unwithdrawn.amount > l.paid.amount {
                return Err(invalid(format!(
                    "{what}: unwithdrawn {} exceeds paid {}",
                    l.unwithdrawn.amount, l.paid.amount
                )));
            }
            if l.created_height < 0
                || l.settled_height < l.created_height
                || l.insufficient_since < 0
                || l.insufficient_since > l.settled_height
                || l.closed_height < 0
            {
                return Err(invalid(format!(
                    "{what}: heights must satisfy 0 ≤ created ≤ settled, 0 ≤ insufficient_since ≤ settled, closed ≥ 0"
                )));
            }
        }

        let mut bid_states: BTreeMap<(u64, &str), i32> = BTreeMap::new();
        let mut placed: BTreeMap<u64, u64> = BTreeMap::new();
        let mut open: BTreeMap<u64, u64> = BTreeMap::new();
        for b in &g.bids {
            let what = format!("the bid of {} on order {}", b.provider, b.order_id);
            let Some(order) = orders.get(&b.order_id) else {
                return Err(invalid(format!("bid on unknown order {}", b.order_id)));
            };
            if bid_states
                .insert((b.order_id, b.provider.as_str()), b.state)
                .is_some()
            {
                return Err(invalid(format!("{what} is listed twice")));
            }
            if !providers.contains(b.provider.as_str()) {
                return Err(invalid(format!("{what}: its provider is not listed")));
            }
            check_enum(BidState::try_from(b.state).is_ok(), b.state, &what)?;
            check_coin(&b.price_per_block, denom, &format!("{what}'s price"))?;
            check_coin(&b.deposit, denom, &format!("{what}'s deposit"))?;
            *placed.entry(b.order_id).or_default() += 1;
            if b.is(BidState::Open) {
                if !order.is(OrderState::Open) {
                    return Err(invalid(format!("{what} is open but its order is not")));
                }
                *open.entry(b.order_id).or_default() += 1;
            }
            if b.is(BidState::Active) {
                let lease = leases_by_order.get(&b.order_id);
                if !lease.is_some_and(|l| !l.is_closed() && l.provider == b.provider) {
                    return Err(invalid(format!(
                        "{what} is active but the order has no open lease of that provider"
                    )));
                }
            }
        }
        for (id, n) in &open {
            if *n > u64::from(MAX_BIDS_PER_ORDER_CAP) {
                return Err(invalid(format!(
                    "order {id} has {n} open bids: at most {MAX_BIDS_PER_ORDER_CAP}"
                )));
            }
        }
        for o in orders.values() {
            let n = placed.get(&o.id).copied().unwrap_or(0);
            if u64::from(o.bids) != n {
                return Err(invalid(format!(
                    "order {} counts {} bids placed but {n} are listed",
                    o.id, o.bids
                )));
            }
        }
        for l in leases_by_order.values() {
            let bid = bid_states.get(&(l.order_id, l.provider.as_str()));
            if !l.is_closed() && bid != Some(&(BidState::Active as i32)) {
                return Err(invalid(format!(
                    "the open lease of order {} has no active bid of its provider",
                    l.order_id
                )));
            }
        }
        for o in orders.values() {
            let open_lease = leases_by_order.get(&o.id).is_some_and(|l| !l.is_closed());
            if o.is(OrderState::Active) != open_lease {
                return Err(invalid(format!(
                    "order {} is {} but {}",
                    o.id,
                    crate::types::order_state_name(o.state),
                    if open_lease {
                        "has an open lease"
                    } else {
                        "has no open lease"
                    }
                )));
            }
        }

        let mut usage = BTreeSet::new();
        for u in &g.usage {
            let what = format!("usage of {} in epoch {}", u.provider, u.epoch);
            if !usage.insert((u.epoch, u.provider.as_str())) {
                return Err(invalid(format!("{what} is listed twice")));
            }
            for c in [&u.paid, &u.take, &u.self_paid] {
                check_coin(c, denom, &what)?;
            }
        }
        let mut remainders = BTreeSet::new();
        for r in &g.take_remainders {
            let what = format!("the take remainder of escrow {}", r.escrow_id);
            if !remainders.insert(r.escrow_id.as_str()) {
                return Err(invalid(format!("{what} is listed twice")));
            }
            if escrows
                .get(r.escrow_id.as_str())
                .is_none_or(|e| e.is_closed())
            {
                return Err(invalid(format!(
                    "{what}: the escrow is not listed or closed"
                )));
            }
            if r.remainder >= TAKE_DENOMINATOR {
                return Err(invalid(format!(
                    "{what} is {}: it must be below {TAKE_DENOMINATOR}",
                    r.remainder
                )));
            }
        }
        Ok(())
    }

    /// Validates the document, writes it (rebuilding indexes and queues), then checks the
    /// module invariants against the bank: a genesis the chain could not run is refused
    /// with an error, never a panic.
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, g: &GenesisState) -> AppResult<()> {
        self.validate_genesis(g)?;
        {
            let mut store = ctx.storage(PREFIX);
            PARAMS.save(&mut store, &g.params)?;
            for p in &g.providers {
                PROVIDERS.save(&mut store, &p.owner, p)?;
            }
            for a in &g.auditors {
                AUDITORS.save(&mut store, &a.address, a)?;
            }
            for s in &g.audited_attributes {
                AUDITED.save(&mut store, (&s.provider, &s.auditor), &s.attributes)?;
                AUDITED_BY_AUDITOR.save(&mut store, (&s.auditor, &s.provider), &())?;
            }
            for o in &g.orders {
                orders().save(&mut store, o.id, o)?;
                if o.is(OrderState::Open) {
                    ORDER_TIMEOUTS.save(&mut store, (o.bid_deadline.max(0) as u64, o.id), &())?;
                }
            }
            for b in &g.bids {
                bids().save(&mut store, (b.order_id, b.provider.clone()), b)?;
            }
            for l in &g.leases {
                leases().save(&mut store, l.order_id, l)?;
            }
            for e in &g.escrow_accounts {
                ESCROWS.save(&mut store, &e.id, e)?;
            }
            for d in &g.deals {
                deals().save(&mut store, d.id, d)?;
                if d.is_open() {
                    DEAL_QUEUE.save(&mut store, d.queue_key(), &())?;
                }
            }
            for u in &g.usage {
                USAGE.save(&mut store, (u.epoch, &u.provider), u)?;
            }
            for r in g.take_remainders.iter().filter(|r| r.remainder > 0) {
                TAKE_REMAINDERS.save(&mut store, &r.escrow_id, &r.remainder)?;
            }
            NEXT_ORDER_ID.save(&mut store, &g.next_order_id)?;
            NEXT_DEAL_ID.save(&mut store, &g.next_deal_id)?;
        }
        crate::invariants::check(ctx, self.keeper.bank(), &g.params.denom)
            .map_err(|e| invalid(format!("the state it describes is inconsistent: {e}")))?;
        Ok(())
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.keeper.params(ctx)?;
        let store = ctx.storage(PREFIX);
        fn all<T>(it: impl Iterator<Item = cosmwasm_std::StdResult<T>>) -> AppResult<Vec<T>> {
            Ok(it.collect::<Result<_, _>>()?)
        }
        let auditors: Vec<Auditor> = all(AUDITORS
            .range(&store, None, None, SortOrder::Ascending)
            .map(|r| r.map(|(_, a)| a)))?;
        let registered: BTreeSet<&str> = auditors.iter().map(|a| a.address.as_str()).collect();
        // Signatures of removed auditors count for nothing: they are not carried over.
        let audited_attributes =
            all(AUDITED
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| {
                    r.map(|((provider, auditor), attributes)| AuditedAttributes {
                        provider,
                        auditor,
                        attributes,
                    })
                }))?
            .into_iter()
            .filter(|s| registered.contains(s.auditor.as_str()))
            .collect();
        Ok(GenesisState {
            params,
            providers: all(PROVIDERS
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, p)| p)))?,
            audited_attributes,
            orders: all(orders()
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, o)| o)))?,
            bids: all(bids()
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, b)| b)))?,
            leases: all(leases()
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, l)| l)))?,
            escrow_accounts: all(ESCROWS
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, e)| e)))?,
            deals: all(deals()
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, d)| d)))?,
            usage: all(USAGE
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| r.map(|(_, u)| u)))?,
            next_order_id: NEXT_ORDER_ID.may_load(&store)?.unwrap_or(1),
            next_deal_id: NEXT_DEAL_ID.may_load(&store)?.unwrap_or(1),
            take_remainders: all(TAKE_REMAINDERS
                .range(&store, None, None, SortOrder::Ascending)
                .map(|r| {
                    r.map(|(escrow_id, remainder)| TakeRemainder {
                        escrow_id,
                        remainder,
                    })
                }))?,
            auditors,
        })
    }
}
