//! What other modules may call (providers, escrow accounts, usage records), the block
//! lifecycle, and what the market needs from the bank and the device registry.

use std::sync::Arc;

use cosmwasm_std::{Order as SortOrder, Uint128};
use cw_storage_plus::Bound;
use depin_app::address::AddressCodec;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_proto::depin::device::v1::DeviceKind;

use crate::error::MarketError;
use crate::escrow::{self, Accrual};
use crate::events;
use crate::params::Params;
use crate::state::{
    bids, leases, orders, AUDITED, AUDITED_BY_AUDITOR, AUDITORS, AUDITOR_PURGES, ESCROWS,
    ORDER_TIMEOUTS, PARAMS, PREFIX, PROVIDERS, TAKE_REMAINDERS, USAGE,
};
use crate::types::{
    close_reason_name, coins_of, zero, Bid, BidState, CloseReason, EscrowAccount, EscrowState,
    Lease, LeaseState, Order, OrderState, Provider, TakeDestination, Usage,
};

/// The module account that holds escrow balances, provider collateral, bid deposits and
/// lease amounts not yet withdrawn (burner permission: the take is burned from it).
pub const MARKET_MODULE_ACCOUNT: &str = "market";

/// What the market needs from the bank: moving tokens in and out of its module account and
/// burning the take.
pub trait MarketBank: Send + Sync + 'static {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128>;
    fn send_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()>;
    fn send_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()>;
    /// Destroys `amount` held by module account `module` (burner permission).
    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()>;
}

impl MarketBank for depin_bank::BankKeeper {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128> {
        depin_bank::BankKeeper::balance(self, ctx, address, denom)
    }

    fn send_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        depin_bank::BankKeeper::send_to_module(self, ctx, from, module, amount)
    }

    fn send_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        depin_bank::BankKeeper::send_from_module(self, ctx, module, to, amount)
    }

    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        depin_bank::BankKeeper::burn(self, ctx, module, amount)
    }
}

/// A registered device as the market sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketDevice {
    pub owner: String,
    /// Active now (heartbeats current, maker not revoked).
    pub active: bool,
    /// Its status name, for errors.
    pub status: String,
    pub class: String,
    /// Its class is of the compute or storage kind.
    pub sells_capacity: bool,
    /// Its class is of the compute kind (it can serve a compute order).
    pub compute: bool,
}

/// What the market needs from the device registry.
pub trait MarketDevices: Send + Sync + 'static {
    fn market_device(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<Option<MarketDevice>>;
}

impl MarketDevices for depin_device::DeviceKeeper {
    fn market_device(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<Option<MarketDevice>> {
        let Some(device) = self.device(ctx, id)? else {
            return Ok(None);
        };
        let status = self.effective_status(ctx, &device)?;
        let params = self.params(ctx)?;
        let kind = params.class(&device.class).map(|c| c.kind);
        let kind = kind.and_then(|k| DeviceKind::try_from(k).ok());
        let sells_capacity = matches!(kind, Some(DeviceKind::Compute | DeviceKind::Storage));
        let compute = kind == Some(DeviceKind::Compute);
        Ok(Some(MarketDevice {
            owner: device.owner.clone(),
            active: status == depin_device::Status::Active,
            status: depin_device::types::status_name(status as i32).to_string(),
            class: device.class.clone(),
            sells_capacity,
            compute,
        }))
    }
}

#[derive(Clone)]
pub struct MarketKeeper {
    codec: AddressCodec,
    bank: Arc<dyn MarketBank>,
    devices: Arc<dyn MarketDevices>,
    community: Option<Arc<dyn MarketCommunityPool>>,
}

/// The chain's community pool, when it has one that keeps books (the distribution module's):
/// the take sent to the community pool goes through it.
pub trait MarketCommunityPool: Send + Sync + 'static {
    /// Moves `amount` from module account `from_module` into the community pool.
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()>;
}

impl MarketCommunityPool for depin_distribution::DistributionKeeper {
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()> {
        self.fund_community_pool(
            ctx,
            &depin_distribution::FundSource::Module(from_module.to_string()),
            amount,
        )
    }
}

fn corrupt(msg: impl Into<String>) -> MarketError {
    MarketError::Corrupt(msg.into())
}

impl MarketKeeper {
    pub fn new(codec: AddressCodec, bank: impl MarketBank, devices: impl MarketDevices) -> Self {
        MarketKeeper {
            codec,
            bank: Arc::new(bank),
            devices: Arc::new(devices),
            community: None,
        }
    }

    /// Sends the take destined to the community pool into `pool` (instead of the module
    /// account named by `community_pool_account`).
    pub fn with_community_pool(mut self, pool: impl MarketCommunityPool) -> Self {
        self.community = Some(Arc::new(pool));
        self
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub(crate) fn bank(&self) -> &dyn MarketBank {
        self.bank.as_ref()
    }

    pub(crate) fn devices(&self) -> &dyn MarketDevices {
        self.devices.as_ref()
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        PARAMS
            .may_load(&ctx.storage(PREFIX))?
            .ok_or_else(|| corrupt("market params are not set").into())
    }

    pub fn provider(&self, ctx: &mut Ctx<'_, '_>, owner: &str) -> AppResult<Option<Provider>> {
        Ok(PROVIDERS.may_load(&ctx.storage(PREFIX), owner)?)
    }

    pub fn save_provider(&self, ctx: &mut Ctx<'_, '_>, p: &Provider) -> AppResult<()> {
        PROVIDERS.save(&mut ctx.storage(PREFIX), &p.owner, p)?;
        Ok(())
    }

    pub fn order(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<Option<Order>> {
        Ok(orders().may_load(&ctx.storage(PREFIX), id)?)
    }

    pub(crate) fn save_order(&self, ctx: &mut Ctx<'_, '_>, o: &Order) -> AppResult<()> {
        orders().save(&mut ctx.storage(PREFIX), o.id, o)?;
        Ok(())
    }

    pub fn bid(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
        provider: &str,
    ) -> AppResult<Option<Bid>> {
        Ok(bids().may_load(&ctx.storage(PREFIX), (order_id, provider.to_string()))?)
    }

    pub(crate) fn save_bid(&self, ctx: &mut Ctx<'_, '_>, b: &Bid) -> AppResult<()> {
        bids().save(
            &mut ctx.storage(PREFIX),
            (b.order_id, b.provider.clone()),
            b,
        )?;
        Ok(())
    }

    /// The lease as stored (settled up to its `settled_height`).
    pub fn lease(&self, ctx: &mut Ctx<'_, '_>, order_id: u64) -> AppResult<Option<Lease>> {
        Ok(leases().may_load(&ctx.storage(PREFIX), order_id)?)
    }

    pub(crate) fn save_lease(&self, ctx: &mut Ctx<'_, '_>, l: &Lease) -> AppResult<()> {
        leases().save(&mut ctx.storage(PREFIX), l.order_id, l)?;
        Ok(())
    }

    /// The escrow account as stored.
    pub fn escrow(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<Option<EscrowAccount>> {
        Ok(ESCROWS.may_load(&ctx.storage(PREFIX), id)?)
    }

    pub fn save_escrow(&self, ctx: &mut Ctx<'_, '_>, e: &EscrowAccount) -> AppResult<()> {
        ESCROWS.save(&mut ctx.storage(PREFIX), &e.id, e)?;
        Ok(())
    }

    /// The take remainder of escrow `id` (0 when none is stored).
    pub fn take_remainder(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<u32> {
        Ok(TAKE_REMAINDERS
            .may_load(&ctx.storage(PREFIX), id)?
            .unwrap_or(0))
    }

    fn save_take_remainder(&self, ctx: &mut Ctx<'_, '_>, id: &str, r: u32) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        if r == 0 {
            TAKE_REMAINDERS.remove(&mut store, id);
        } else {
            TAKE_REMAINDERS.save(&mut store, id, &r)?;
        }
        Ok(())
    }

    /// Up to `limit` open bids of order `order_id`, in provider order (read through the
    /// (order, state) index: closed and lost bids are not read).
    pub(crate) fn open_bids(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
        limit: usize,
    ) -> AppResult<Vec<Bid>> {
        let store = ctx.storage(PREFIX);
        let out = bids()
            .idx
            .order_state
            .prefix((order_id, BidState::Open as i32))
            .range(&store, None, None, SortOrder::Ascending)
            .take(limit)
            .map(|r| r.map(|(_, b)| b))
            .collect::<Result<_, _>>()?;
        Ok(out)
    }

    /// How many open bids order `order_id` has, counting no further than `limit`.
    pub(crate) fn open_bid_count(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
        limit: usize,
    ) -> AppResult<usize> {
        let store = ctx.storage(PREFIX);
        Ok(bids()
            .idx
            .order_state
            .prefix((order_id, BidState::Open as i32))
            .keys_raw(&store, None, None, SortOrder::Ascending)
            .take(limit)
            .count())
    }

    /// Whether `auditor` is registered now.
    pub fn is_auditor(&self, ctx: &mut Ctx<'_, '_>, auditor: &str) -> AppResult<bool> {
        Ok(AUDITORS.has(&ctx.storage(PREFIX), auditor))
    }

    fn raw(&self, address: &str) -> AppResult<Vec<u8>> {
        self.codec.decode(address)
    }

    /// Moves `amount` of the market denom from `from` into the module account.
    pub fn pull(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &str,
        amount: Uint128,
        denom: &str,
    ) -> AppResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let from = self.raw(from)?;
        self.bank
            .send_to_module(ctx, &from, MARKET_MODULE_ACCOUNT, &coins_of(amount, denom))
    }

    /// Pays `amount` out of the module account to `to`.
    pub fn push(
        &self,
        ctx: &mut Ctx<'_, '_>,
        to: &str,
        amount: Uint128,
        denom: &str,
    ) -> AppResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let to = self.raw(to)?;
        self.bank
            .send_from_module(ctx, MARKET_MODULE_ACCOUNT, &to, &coins_of(amount, denom))
    }

    /// Burns the take, or sends it to the community pool: the chain's, when one is wired, else
    /// the module account named in params.
    fn dispose_take(&self, ctx: &mut Ctx<'_, '_>, params: &Params, take: Uint128) -> AppResult<()> {
        if take.is_zero() {
            return Ok(());
        }
        let amount = coins_of(take, &params.denom);
        if params.take_destination == TakeDestination::CommunityPool as i32 {
            if let Some(pool) = &self.community {
                return pool.fund(ctx, MARKET_MODULE_ACCOUNT, &amount);
            }
            let pool = depin_app::address::module_address(&params.community_pool_account);
            self.bank
                .send_from_module(ctx, MARKET_MODULE_ACCOUNT, &pool, &amount)
        } else {
            self.bank.burn(ctx, MARKET_MODULE_ACCOUNT, &amount)
        }
    }

    /// Adds a payment to the provider's usage record of the current usage epoch.
    fn record_usage(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        provider: &str,
        paid: Uint128,
        take: Uint128,
        self_dealing: bool,
    ) -> AppResult<()> {
        if paid.is_zero() && take.is_zero() {
            return Ok(());
        }
        let epoch = params.usage_epoch(ctx.env.height);
        let mut store = ctx.storage(PREFIX);
        let mut u = USAGE
            .may_load(&store, (epoch, provider))?
            .unwrap_or_else(|| Usage {
                epoch,
                provider: provider.to_string(),
                paid: zero(&params.denom),
                take: zero(&params.denom),
                self_paid: zero(&params.denom),
            });
        let add = |a: &mut Coin, b: Uint128| -> AppResult<()> {
            a.amount = a
                .amount
                .checked_add(b)
                .map_err(|_| corrupt("usage overflows"))?;
            Ok(())
        };
        add(&mut u.paid, paid)?;
        add(&mut u.take, take)?;
        if self_dealing {
            add(&mut u.self_paid, paid)?;
        }
        USAGE.save(&mut store, (epoch, provider), &u)?;
        Ok(())
    }

    /// Up to `limit` usage records of `epoch` after provider `start_after`, in provider order:
    /// the rewards module pages through an epoch over as many blocks as it needs.
    pub fn usage(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<Usage>> {
        let store = ctx.storage(PREFIX);
        let out = USAGE
            .prefix(epoch)
            .range(
                &store,
                start_after.map(Bound::exclusive),
                None,
                SortOrder::Ascending,
            )
            .take(limit)
            .map(|r| r.map(|(_, u)| u))
            .collect::<Result<_, _>>()?;
        Ok(out)
    }

    /// The usage epoch of the block being executed.
    pub fn current_usage_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(self.params(ctx)?.usage_epoch(ctx.env.height))
    }

    // Escrow accounts (the storage deals use these too, with ids "deal/<id>").

    /// Opens escrow account `id` for `owner`, funded by `depositor` with `amount` (pulled into
    /// the module account).
    pub fn open_escrow(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: &str,
        owner: &str,
        depositor: &str,
        amount: Uint128,
    ) -> AppResult<EscrowAccount> {
        let params = self.params(ctx)?;
        if ESCROWS.has(&ctx.storage(PREFIX), id) {
            return Err(corrupt(format!("escrow account {id} exists already")).into());
        }
        let mut e = EscrowAccount {
            id: id.to_string(),
            owner: owner.to_string(),
            deposits: Vec::new(),
            balance: zero(&params.denom),
            transferred: zero(&params.denom),
            state: EscrowState::Open as i32,
        };
        escrow::add_deposit(&mut e, depositor, amount, params.max_deposits_per_escrow)?;
        self.pull(ctx, depositor, amount, &params.denom)?;
        self.save_escrow(ctx, &e)?;
        ctx.emit(events::escrow_deposited(
            id,
            depositor,
            &coins::format(&coins_of(amount, &params.denom)),
        ));
        Ok(e)
    }

    /// Adds `depositor`'s `amount` to an open escrow account (no settlement: the message
    /// handler settles a lease first).
    pub fn add_to_escrow(
        &self,
        ctx: &mut Ctx<'_, '_>,
        escrow: &mut EscrowAccount,
        depositor: &str,
        amount: Uint128,
    ) -> AppResult<()> {
        let params = self.params(ctx)?;
        if escrow.is_closed() {
            return Err(MarketError::EscrowClosed(escrow.id.clone()).into());
        }
        escrow::add_deposit(escrow, depositor, amount, params.max_deposits_per_escrow)?;
        self.pull(ctx, depositor, amount, &params.denom)?;
        self.save_escrow(ctx, escrow)?;
        ctx.emit(events::escrow_deposited(
            &escrow.id,
            depositor,
            &coins::format(&coins_of(amount, &params.denom)),
        ));
        Ok(())
    }

    /// Pays `amount` out of escrow `id` to `provider` directly (storage deals: per period
    /// proven): the take is disposed of, the rest sent, the usage recorded. Returns the
    /// provider's share.
    pub fn pay_from_escrow(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: &str,
        provider: &str,
        amount: Uint128,
    ) -> AppResult<Uint128> {
        let params = self.params(ctx)?;
        let mut e = self
            .escrow(ctx, id)?
            .ok_or_else(|| MarketError::EscrowNotFound(id.to_string()))?;
        if e.balance.amount < amount {
            return Err(corrupt(format!(
                "escrow {id} holds {} but must pay {amount}",
                e.balance.amount
            ))
            .into());
        }
        escrow::consume(&mut e, amount)?;
        let (take, remainder) = params.take_with_remainder(amount, self.take_remainder(ctx, id)?);
        let share = amount.saturating_sub(take);
        self.save_take_remainder(ctx, id, remainder)?;
        self.dispose_take(ctx, &params, take)?;
        self.push(ctx, provider, share, &params.denom)?;
        let self_dealing = e.owner == provider;
        self.record_usage(ctx, &params, provider, share, take, self_dealing)?;
        self.save_escrow(ctx, &e)?;
        let coin = |a| coins::format(&coins_of(a, &params.denom));
        ctx.emit(events::escrow_paid(
            id,
            provider,
            &coin(share),
            &coin(take),
            ctx.env.height,
        ));
        Ok(share)
    }

    /// Closes an escrow account: each depositor gets back what is left of its own deposits.
    pub fn close_escrow(&self, ctx: &mut Ctx<'_, '_>, escrow: &mut EscrowAccount) -> AppResult<()> {
        if escrow.is_closed() {
            return Ok(());
        }
        let denom = escrow.balance.denom.clone();
        for d in std::mem::take(&mut escrow.deposits) {
            self.push(ctx, &d.depositor, d.amount.amount, &denom)?;
            ctx.emit(events::escrow_refunded(
                &escrow.id,
                &d.depositor,
                &coins::format(&coins_of(d.amount.amount, &denom)),
            ));
        }
        escrow.balance.amount = Uint128::zero();
        escrow.state = EscrowState::Closed as i32;
        self.save_escrow(ctx, escrow)?;
        // No more payments: the fraction of a unit not taken is never taken.
        self.save_take_remainder(ctx, &escrow.id, 0)?;
        ctx.emit(events::escrow_closed(&escrow.id));
        Ok(())
    }

    // Leases.

    /// Applies a settlement's payment: the take leaves the module account, the usage is
    /// recorded, the event emitted.
    fn apply_accrual(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        lease: &Lease,
        escrow_id: &str,
        a: &Accrual,
    ) -> AppResult<()> {
        if a.payment.is_zero() {
            return Ok(());
        }
        self.dispose_take(ctx, params, a.take)?;
        self.record_usage(
            ctx,
            params,
            &lease.provider,
            a.provider_share(),
            a.take,
            lease.tenant == lease.provider,
        )?;
        let coin = |x| coins::format(&coins_of(x, &params.denom));
        ctx.emit(events::escrow_paid(
            escrow_id,
            &lease.provider,
            &coin(a.provider_share()),
            &coin(a.take),
            lease.settled_height as u64,
        ));
        Ok(())
    }

    /// Settles the lease of `order_id` up to the current height and writes the result; a lease
    /// whose grace has run out is closed (reason INSUFFICIENT_FUNDS). Returns the lease and
    /// its escrow after.
    pub fn settle_lease(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
    ) -> AppResult<(Lease, EscrowAccount)> {
        let params = self.params(ctx)?;
        let mut lease = self
            .lease(ctx, order_id)?
            .ok_or(MarketError::LeaseNotFound(order_id))?;
        let id = crate::types::order_escrow_id(order_id);
        let mut e = self
            .escrow(ctx, &id)?
            .ok_or_else(|| corrupt(format!("escrow {id} of a lease is missing")))?;
        if lease.is_closed() {
            return Ok((lease, e));
        }
        let height = ctx.env.height as i64;
        let mut remainder = self.take_remainder(ctx, &id)?;
        let a = escrow::accrue(&mut lease, &mut e, &params, height, &mut remainder)?;
        self.save_take_remainder(ctx, &id, remainder)?;
        self.apply_accrual(ctx, &params, &lease, &id, &a)?;
        if a.ran_dry {
            ctx.emit(events::lease_insufficient_funds(
                order_id,
                &lease.provider,
                lease.insufficient_since,
            ));
        }
        if a.grace_over {
            self.close_lease(ctx, &mut lease, &mut e, CloseReason::InsufficientFunds)?;
        } else {
            self.save_lease(ctx, &lease)?;
            self.save_escrow(ctx, &e)?;
        }
        Ok((lease, e))
    }

    /// The lease and its escrow as a settlement at the current height would leave them,
    /// computed without writing (queries).
    pub fn settled_view(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
    ) -> AppResult<Option<(Lease, EscrowAccount)>> {
        let params = self.params(ctx)?;
        let Some(mut lease) = self.lease(ctx, order_id)? else {
            return Ok(None);
        };
        let id = crate::types::order_escrow_id(order_id);
        let Some(mut e) = self.escrow(ctx, &id)? else {
            return Ok(None);
        };
        if !lease.is_closed() {
            let mut remainder = self.take_remainder(ctx, &id)?;
            let height = ctx.env.height as i64;
            let a = escrow::accrue(&mut lease, &mut e, &params, height, &mut remainder)?;
            if a.grace_over {
                // What the next touch will do: close, paying the provider out and refunding.
                lease.state = LeaseState::Closed as i32;
                lease.closed_height = ctx.env.height as i64;
                lease.close_reason = CloseReason::InsufficientFunds as i32;
                lease.unwithdrawn.amount = Uint128::zero();
                e.deposits.clear();
                e.balance.amount = Uint128::zero();
                e.state = EscrowState::Closed as i32;
            }
        }
        Ok(Some((lease, e)))
    }

    /// Sends a settled lease's unwithdrawn amount to its provider; returns it.
    pub(crate) fn pay_unwithdrawn(
        &self,
        ctx: &mut Ctx<'_, '_>,
        lease: &mut Lease,
    ) -> AppResult<Uint128> {
        let amount = lease.unwithdrawn.amount;
        let denom = lease.unwithdrawn.denom.clone();
        self.push(ctx, &lease.provider, amount, &denom)?;
        lease.unwithdrawn.amount = Uint128::zero();
        if !amount.is_zero() {
            ctx.emit(events::lease_withdrawn(
                lease.order_id,
                &lease.provider,
                &coins::format(&coins_of(amount, &denom)),
            ));
        }
        Ok(amount)
    }

    /// Closes a settled lease: the provider gets what it is owed, its bid deposit goes back
    /// (to the tenant instead when the provider closes), the order closes, the escrow refunds
    /// its depositors, and the provider's reputation counts the close.
    pub(crate) fn close_lease(
        &self,
        ctx: &mut Ctx<'_, '_>,
        lease: &mut Lease,
        escrow: &mut EscrowAccount,
        reason: CloseReason,
    ) -> AppResult<()> {
        let height = ctx.env.height as i64;
        self.pay_unwithdrawn(ctx, lease)?;
        lease.state = LeaseState::Closed as i32;
        lease.closed_height = height;
        lease.close_reason = reason as i32;
        self.save_lease(ctx, lease)?;

        let by_provider = reason == CloseReason::Provider;
        if let Some(mut bid) = self.bid(ctx, lease.order_id, &lease.provider)? {
            if bid.holds_deposit() {
                let to = if by_provider {
                    &lease.tenant
                } else {
                    &bid.provider
                };
                self.push(ctx, to, bid.deposit.amount, &bid.deposit.denom)?;
            }
            bid.state = BidState::Closed as i32;
            self.save_bid(ctx, &bid)?;
        }
        if let Some(mut provider) = self.provider(ctx, &lease.provider)? {
            let r = &mut provider.reputation;
            if by_provider {
                r.leases_closed_by_provider = r.leases_closed_by_provider.saturating_add(1);
            } else {
                r.leases_completed = r.leases_completed.saturating_add(1);
            }
            self.save_provider(ctx, &provider)?;
        }
        let reason_name = close_reason_name(reason as i32);
        if let Some(mut order) = self.order(ctx, lease.order_id)? {
            order.state = OrderState::Closed as i32;
            self.save_order(ctx, &order)?;
            ctx.emit(events::order_closed(order.id, reason_name));
        }
        self.close_escrow(ctx, escrow)?;
        ctx.emit(events::lease_closed(
            lease.order_id,
            &lease.provider,
            reason_name,
        ));
        Ok(())
    }

    /// Closes up to `limit` open bids of an order that ends without a lease (deposits back,
    /// state CLOSED); returns how many it closed.
    fn close_open_bids(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order_id: u64,
        reason: CloseReason,
        limit: usize,
    ) -> AppResult<usize> {
        let open = self.open_bids(ctx, order_id, limit)?;
        let reason_name = close_reason_name(reason as i32);
        for mut b in open.iter().cloned() {
            self.push(ctx, &b.provider, b.deposit.amount, &b.deposit.denom)?;
            b.state = BidState::Closed as i32;
            self.save_bid(ctx, &b)?;
            ctx.emit(events::bid_closed(
                b.order_id,
                &b.provider,
                crate::types::bid_state_name(b.state),
                reason_name,
            ));
        }
        Ok(open.len())
    }

    /// Closes an order without open bids: out of the timeout queue, CLOSED, its escrow
    /// refunds its depositors.
    fn finish_open_order(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order: &mut Order,
        reason: CloseReason,
    ) -> AppResult<()> {
        ORDER_TIMEOUTS.remove(
            &mut ctx.storage(PREFIX),
            (order.bid_deadline.max(0) as u64, order.id),
        );
        order.state = OrderState::Closed as i32;
        self.save_order(ctx, order)?;
        let id = crate::types::order_escrow_id(order.id);
        if let Some(mut e) = self.escrow(ctx, &id)? {
            self.close_escrow(ctx, &mut e)?;
        }
        ctx.emit(events::order_closed(
            order.id,
            close_reason_name(reason as i32),
        ));
        Ok(())
    }

    /// Closes an order that has no lease: its open bids end (CLOSED, deposits back; at most
    /// max_bids_per_order of them when they were placed), its escrow refunds its depositors.
    pub(crate) fn close_open_order(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order: &mut Order,
        reason: CloseReason,
    ) -> AppResult<()> {
        self.close_open_bids(ctx, order.id, reason, usize::MAX)?;
        self.finish_open_order(ctx, order, reason)
    }

    /// Begin block's share of a timed-out order's close within `budget` transitions (each
    /// bid closed is one, the order's own close is one): returns the transitions used. An
    /// order whose bids do not all fit stays OPEN (past its deadline, so it takes no bid and
    /// accepts none) with its queue entry, and the next block goes on.
    fn expire_within(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order: &mut Order,
        budget: usize,
    ) -> AppResult<usize> {
        let closed = self.close_open_bids(ctx, order.id, CloseReason::Timeout, budget)?;
        if closed < budget {
            self.finish_open_order(ctx, order, CloseReason::Timeout)?;
            return Ok(closed + 1);
        }
        Ok(closed)
    }

    /// An open order past its bid deadline closes (reason TIMEOUT); returns whether it did.
    pub(crate) fn expire_if_due(
        &self,
        ctx: &mut Ctx<'_, '_>,
        order: &mut Order,
    ) -> AppResult<bool> {
        if order.is(OrderState::Open) && (ctx.env.height as i64) > order.bid_deadline {
            self.close_open_order(ctx, order, CloseReason::Timeout)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The work of one block, each on its own budget of params.max_transitions_per_block
    /// transitions: open orders past their bid deadline close (each bid closed counts, and
    /// the order's close; deposits back without anyone touching them); storage deals past
    /// their deadline move on (expiry, missed activation, period end: one each); removed
    /// auditors' signatures are deleted; usage records past the retention are pruned.
    pub fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let params = self.params(ctx)?;
        let budget = params.max_transitions_per_block as usize;
        self.expire_orders(ctx, budget)?;
        self.process_deal_queue(ctx, &params, budget)?;
        self.purge_auditors(ctx, budget)?;
        self.prune_usage(ctx, &params, budget)?;
        Ok(())
    }

    /// Closes the open orders past their bid deadline from the timeout queue, in deadline
    /// order, until `budget` transitions are used.
    fn expire_orders(&self, ctx: &mut Ctx<'_, '_>, budget: usize) -> AppResult<()> {
        let height = ctx.env.height;
        let mut left = budget;
        while left > 0 {
            let next = {
                let store = ctx.storage(PREFIX);
                let first = ORDER_TIMEOUTS
                    .keys(
                        &store,
                        None,
                        Some(Bound::exclusive((height, 0))),
                        SortOrder::Ascending,
                    )
                    .next()
                    .transpose()?;
                first
            };
            let Some((deadline, id)) = next else { break };
            match self.order(ctx, id)? {
                Some(mut order)
                    if order.is(OrderState::Open) && (height as i64) > order.bid_deadline =>
                {
                    left -= self.expire_within(ctx, &mut order, left)?.clamp(1, left);
                }
                _ => {
                    // Stale (never left behind by the handlers): dropping it is a transition.
                    ORDER_TIMEOUTS.remove(&mut ctx.storage(PREFIX), (deadline, id));
                    left -= 1;
                }
            }
        }
        Ok(())
    }

    fn purge_auditors(&self, ctx: &mut Ctx<'_, '_>, budget: usize) -> AppResult<()> {
        let mut left = budget;
        while left > 0 {
            let next = {
                let store = ctx.storage(PREFIX);
                let first = AUDITOR_PURGES
                    .keys(&store, None, None, SortOrder::Ascending)
                    .next()
                    .transpose()?;
                first
            };
            let Some(auditor) = next else { break };
            let batch: Vec<String> = {
                let store = ctx.storage(PREFIX);
                AUDITED_BY_AUDITOR
                    .prefix(&auditor)
                    .keys(&store, None, None, SortOrder::Ascending)
                    .take(left)
                    .collect::<Result<_, _>>()?
            };
            let mut store = ctx.storage(PREFIX);
            for provider in &batch {
                AUDITED.remove(&mut store, (provider, &auditor));
                AUDITED_BY_AUDITOR.remove(&mut store, (&auditor, provider));
            }
            if batch.len() < left {
                AUDITOR_PURGES.remove(&mut store, &auditor);
            }
            left -= batch.len().max(1);
        }
        Ok(())
    }

    fn prune_usage(&self, ctx: &mut Ctx<'_, '_>, params: &Params, budget: usize) -> AppResult<()> {
        let epoch = params.usage_epoch(ctx.env.height);
        let Some(cutoff) = epoch.checked_sub(params.usage_retention_epochs) else {
            return Ok(());
        };
        let old: Vec<(u64, String)> = {
            let store = ctx.storage(PREFIX);
            USAGE
                .keys(
                    &store,
                    None,
                    Some(Bound::exclusive((cutoff, ""))),
                    SortOrder::Ascending,
                )
                .take(budget)
                .collect::<Result<_, _>>()?
        };
        let mut store = ctx.storage(PREFIX);
        for (e, p) in &old {
            USAGE.remove(&mut store, (*e, p));
        }
        Ok(())
    }
}
