//! Genesis import and export: every collection, so that export → import reproduces the state.
//! Indexes, the order timeout queue and the auditor index are rebuilt on import. Heights are
//! absolute: a chain started from an export continues at the exported height + 1.

use std::collections::BTreeSet;

use cosmwasm_std::Order as SortOrder;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::MarketError;
use crate::msgs::validate_attributes;
use crate::params::Params;
use crate::state::{
    bids, deals, leases, orders, AUDITED, AUDITED_BY_AUDITOR, AUDITORS, DEAL_QUEUE, ESCROWS,
    NEXT_DEAL_ID, NEXT_ORDER_ID, ORDER_TIMEOUTS, PARAMS, PREFIX, PROVIDERS, USAGE,
};
use crate::types::{
    AuditedAttributes, Auditor, Bid, EscrowAccount, Lease, Order, OrderState, Provider,
    StorageDeal, Usage,
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
        }
    }
}

fn invalid(msg: impl Into<String>) -> AppError {
    MarketError::InvalidGenesis(msg.into()).into()
}

impl MarketModule {
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, g: &GenesisState) -> AppResult<()> {
        g.params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let codec = self.keeper.codec().clone();
        let mut store = ctx.storage(PREFIX);
        PARAMS.save(&mut store, &g.params)?;
        for p in &g.providers {
            codec.decode(&p.owner)?;
            validate_attributes(&p.attributes).map_err(|e| invalid(e.to_string()))?;
            if PROVIDERS.has(&store, &p.owner) {
                return Err(invalid(format!("provider {} is listed twice", p.owner)));
            }
            PROVIDERS.save(&mut store, &p.owner, p)?;
        }
        for a in &g.auditors {
            codec.decode(&a.address)?;
            AUDITORS.save(&mut store, &a.address, a)?;
        }
        for s in &g.audited_attributes {
            if !AUDITORS.has(&store, &s.auditor) || !PROVIDERS.has(&store, &s.provider) {
                return Err(invalid(format!(
                    "attributes signed by {} for {}: both must be listed",
                    s.auditor, s.provider
                )));
            }
            AUDITED.save(&mut store, (&s.provider, &s.auditor), &s.attributes)?;
            AUDITED_BY_AUDITOR.save(&mut store, (&s.auditor, &s.provider), &())?;
        }
        let mut order_ids = BTreeSet::new();
        for o in &g.orders {
            if o.id == 0 || o.id >= g.next_order_id || !order_ids.insert(o.id) {
                return Err(invalid(format!(
                    "order {}: ids are unique, from 1, below next_order_id",
                    o.id
                )));
            }
            orders().save(&mut store, o.id, o)?;
            if o.is(OrderState::Open) {
                ORDER_TIMEOUTS.save(&mut store, (o.bid_deadline.max(0) as u64, o.id), &())?;
            }
        }
        for b in &g.bids {
            if !order_ids.contains(&b.order_id) {
                return Err(invalid(format!("bid on unknown order {}", b.order_id)));
            }
            bids().save(&mut store, (b.order_id, b.provider.clone()), b)?;
        }
        for l in &g.leases {
            if !order_ids.contains(&l.order_id) {
                return Err(invalid(format!("lease of unknown order {}", l.order_id)));
            }
            leases().save(&mut store, l.order_id, l)?;
        }
        for e in &g.escrow_accounts {
            if e.deposits_total() != Some(e.balance.amount) {
                return Err(invalid(format!(
                    "escrow {}: its balance is not the sum of its deposits",
                    e.id
                )));
            }
            ESCROWS.save(&mut store, &e.id, e)?;
        }
        let mut deal_ids = BTreeSet::new();
        for d in &g.deals {
            if d.id == 0 || d.id >= g.next_deal_id || !deal_ids.insert(d.id) {
                return Err(invalid(format!(
                    "deal {}: ids are unique, from 1, below next_deal_id",
                    d.id
                )));
            }
            if !PROVIDERS.has(&store, &d.provider) {
                return Err(invalid(format!(
                    "deal {}: its provider {} is not listed",
                    d.id, d.provider
                )));
            }
            if !ESCROWS.has(&store, &crate::types::deal_escrow_id(d.id)) {
                return Err(invalid(format!("deal {}: its escrow is not listed", d.id)));
            }
            if d.locks_collateral() && d.challenge_seed.len() != 32 {
                return Err(invalid(format!(
                    "deal {}: an accepted deal has a 32-byte challenge seed",
                    d.id
                )));
            }
            deals().save(&mut store, d.id, d)?;
            if d.is_open() {
                DEAL_QUEUE.save(&mut store, d.queue_key(), &())?;
            }
        }
        for u in &g.usage {
            USAGE.save(&mut store, (u.epoch, &u.provider), u)?;
        }
        NEXT_ORDER_ID.save(&mut store, &g.next_order_id.max(1))?;
        NEXT_DEAL_ID.save(&mut store, &g.next_deal_id.max(1))?;
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
            auditors,
        })
    }
}
