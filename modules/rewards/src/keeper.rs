//! The reward engine's block work (minting epochs, sharing the device and provider buckets a
//! page at a time), the keeper API other modules call (data credits), and what it needs from
//! the bank, the device registry, the marketplace and the community pool.

use std::sync::Arc;

use cosmwasm_std::{Uint128, Uint256};
use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::error::RewardsError;
use crate::events;
use crate::params::Params;
use crate::schedule;
use crate::state::{
    Clock, Emitted, Payout, PayoutState, Pending, Phase, Pools, Scoring, Totals, CLOCK, CREDITS,
    DEVICE_PAYOUT, DEVICE_POTS, DEVICE_REWARDS, DEVICE_VESTING, EMISSIONS, PARAMS, PENDING, POOLS,
    PREFIX, PROVIDER_PAYOUT, PROVIDER_REWARDS, TOTALS,
};

/// The module account that mints the emission and holds the undistributed buckets and the
/// unclaimed rewards (minter and burner: data credits burn from it).
pub const REWARDS_MODULE_ACCOUNT: &str = "rewards";
/// Where the validators' bucket goes: the distribution module shares the fee collector's
/// balance among validators and delegators, as it does transaction fees.
pub const FEE_COLLECTOR: &str = "fee_collector";
/// Fixed-point scale of a device's hex-density factor (target / density).
pub const DENSITY_SCALE: u128 = 1_000_000;

/// What the rewards module needs from the bank.
pub trait RewardsBank: Send + Sync + 'static {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128>;
    fn supply(&self, ctx: &mut Ctx<'_, '_>, denom: &str) -> AppResult<Uint128>;
    /// Everything minted and burned of `denom` since the chain's first genesis, by anyone.
    fn minted_and_burned(
        &self,
        ctx: &mut Ctx<'_, '_>,
        denom: &str,
    ) -> AppResult<(Uint128, Uint128)>;
    fn mint(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()>;
    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()>;
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
}

impl RewardsBank for depin_bank::BankKeeper {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128> {
        depin_bank::BankKeeper::balance(self, ctx, address, denom)
    }
    fn supply(&self, ctx: &mut Ctx<'_, '_>, denom: &str) -> AppResult<Uint128> {
        self.supply_of(ctx, denom)
    }
    fn minted_and_burned(
        &self,
        ctx: &mut Ctx<'_, '_>,
        denom: &str,
    ) -> AppResult<(Uint128, Uint128)> {
        Ok((self.minted(ctx, denom)?, self.burned(ctx, denom)?))
    }
    fn mint(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        depin_bank::BankKeeper::mint(self, ctx, module, amount)
    }
    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        depin_bank::BankKeeper::burn(self, ctx, module, amount)
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
}

/// Where the community bucket (and provider shares above their cap) go.
pub trait CommunityPool: Send + Sync + 'static {
    /// Moves `amount` from module account `from_module` into the community pool.
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()>;
}

/// The distribution module's community pool (tracked in its fee pool, held by its account).
impl CommunityPool for depin_distribution::DistributionKeeper {
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()> {
        self.fund_community_pool(
            ctx,
            &depin_distribution::FundSource::Module(from_module.to_string()),
            amount,
        )
    }
}

/// A community pool that is a plain module account (for chains without a distribution
/// module, and tests).
pub struct ModuleAccountPool {
    pub bank: Arc<dyn RewardsBank>,
    pub account: String,
}

impl CommunityPool for ModuleAccountPool {
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()> {
        self.bank
            .send_from_module(ctx, from_module, &module_address(&self.account), amount)
    }
}

/// One device's verified work in a device epoch, as the rewards module scores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceWork {
    pub device_id: String,
    /// Who owned the device when it first worked in that epoch (bech32).
    pub owner: String,
    pub heartbeats: u32,
    pub beacons: u32,
    pub witnesses: u32,
    /// Its H3 hex at the density resolution (0: no location).
    pub density_hex: u64,
    /// An extra score the contribution source computes itself (e.g. metered energy, see
    /// depin-energy), added to the weighted sum unweighted; 0 from the plain device registry.
    pub score: u64,
}

/// What the rewards module needs from the device registry: its epoch clock and each epoch's
/// contributions, a page at a time.
pub trait RewardsDevices: Send + Sync + 'static {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64>;
    /// Up to `limit` records of `epoch` after device `start_after`, in device id order.
    fn work(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<DeviceWork>>;
    /// Devices that worked in `hex` in `epoch`.
    fn hex_density(&self, ctx: &mut Ctx<'_, '_>, epoch: u64, hex: u64) -> AppResult<u32>;
}

impl RewardsDevices for depin_device::DeviceKeeper {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        depin_device::DeviceKeeper::current_epoch(self, ctx)
    }
    fn work(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<DeviceWork>> {
        Ok(self
            .contributions(ctx, epoch, start_after, limit)?
            .into_iter()
            .map(|c| DeviceWork {
                device_id: c.device_id,
                owner: c.owner,
                heartbeats: c.heartbeats,
                beacons: c.beacons,
                witnesses: c.witnesses,
                density_hex: c.density_hex,
                score: 0,
            })
            .collect())
    }
    fn hex_density(&self, ctx: &mut Ctx<'_, '_>, epoch: u64, hex: u64) -> AppResult<u32> {
        depin_device::DeviceKeeper::hex_density(self, ctx, epoch, hex)
    }
}

/// What one provider was paid in a usage epoch, and what of it the network took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUsage {
    pub provider: String,
    /// The denom of the amounts.
    pub denom: String,
    pub paid: Uint128,
    pub take: Uint128,
    /// Of `paid`, what the provider paid itself (tenant or client = provider).
    pub self_paid: Uint128,
}

/// What the rewards module needs from the marketplace: its usage epoch clock and each usage
/// epoch's records, a page at a time.
pub trait RewardsMarket: Send + Sync + 'static {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64>;
    fn usage(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<ProviderUsage>>;
}

impl RewardsMarket for depin_market::MarketKeeper {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.current_usage_epoch(ctx)
    }
    fn usage(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<ProviderUsage>> {
        Ok(
            depin_market::MarketKeeper::usage(self, ctx, epoch, start_after, limit)?
                .into_iter()
                .map(|u| ProviderUsage {
                    provider: u.provider,
                    denom: u.paid.denom,
                    paid: u.paid.amount,
                    take: u.take.amount,
                    self_paid: u.self_paid.amount,
                })
                .collect(),
        )
    }
}

/// A chain without a marketplace: no usage, the provider bucket waits.
pub struct NoMarket;

impl RewardsMarket for NoMarket {
    fn current_epoch(&self, _: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(0)
    }
    fn usage(
        &self,
        _: &mut Ctx<'_, '_>,
        _: u64,
        _: Option<&str>,
        _: usize,
    ) -> AppResult<Vec<ProviderUsage>> {
        Ok(Vec::new())
    }
}

pub(crate) fn overflow(what: &str) -> RewardsError {
    RewardsError::Overflow(what.to_string())
}

pub(crate) fn add(a: &mut Uint128, b: Uint128, what: &str) -> AppResult<()> {
    *a = a.checked_add(b).map_err(|_| overflow(what))?;
    Ok(())
}

pub(crate) fn sub(a: &mut Uint128, b: Uint128, what: &str) -> AppResult<()> {
    *a = a
        .checked_sub(b)
        .map_err(|_| RewardsError::Corrupt(format!("{what} would go below zero")))?;
    Ok(())
}

/// `amount` × `weight` / `total`, floored (0 when total is 0).
pub fn share(amount: Uint128, weight: Uint256, total: Uint256) -> Uint128 {
    if total.is_zero() {
        return Uint128::zero();
    }
    let v = Uint256::from(amount).full_mul(weight) / cosmwasm_std::Uint512::from(total);
    Uint128::try_from(v).unwrap_or(Uint128::MAX)
}

/// A device's score: weighted heartbeats, beacons and witnesses plus the source's own score,
/// × 10⁶. Each term is at most 2⁶⁴ × 2³², so the sum cannot overflow a u128; it saturates anyway.
pub fn device_score(s: &Scoring, work: &DeviceWork) -> Uint256 {
    let score = (u128::from(s.heartbeat_weight) * u128::from(work.heartbeats))
        .saturating_add(u128::from(s.beacon_weight) * u128::from(work.beacons))
        .saturating_add(u128::from(s.witness_weight) * u128::from(work.witnesses))
        .saturating_add(u128::from(work.score));
    Uint256::from(score) * Uint256::from(DENSITY_SCALE)
}

/// A score scaled by target / density when its hex holds more devices than the target (the
/// devices of a crowded hex share what `target` devices would get).
pub fn scaled(score: Uint256, target: u32, density: u32) -> Uint256 {
    if target > 0 && density > target {
        score * Uint256::from(target) / Uint256::from(density)
    } else {
        score
    }
}

/// The total weight of a weighed device epoch: located devices as weighed, plus the devices
/// without a location, which share one virtual hex.
pub fn device_total(p: &Payout) -> Uint256 {
    let n = u32::try_from(p.unlocated).unwrap_or(u32::MAX);
    let unlocated = if p.unlocated == 0 {
        Uint256::zero()
    } else if p.scoring.hex_density_target > 0 && n > p.scoring.hex_density_target {
        // Σ ⌊score × target / n⌋ ≤ ⌊Σ score × target / n⌋: weigh per device as paying does.
        p.unlocated_score * Uint256::from(p.scoring.hex_density_target) / Uint256::from(n)
    } else {
        p.unlocated_score
    };
    p.located_weight.saturating_add(unlocated)
}

/// A provider's weight: the take on what others paid it (self-paid usage counts nothing;
/// usage in another denom than the rewards' counts nothing).
pub fn provider_weight(usage: &ProviderUsage, denom: &str) -> Uint128 {
    if usage.paid.is_zero() || usage.denom != denom {
        return Uint128::zero();
    }
    let others = usage.paid.saturating_sub(usage.self_paid);
    usage.take.multiply_ratio(others, usage.paid)
}

/// The most a provider of weight `weight` may get: its weight × max_reward_per_take_bps.
pub fn provider_cap(s: &Scoring, weight: Uint128) -> Uint128 {
    weight.multiply_ratio(s.max_reward_per_take_bps, 10_000u32)
}

#[derive(Clone)]
pub struct RewardsKeeper {
    codec: AddressCodec,
    bank: Arc<dyn RewardsBank>,
    devices: Arc<dyn RewardsDevices>,
    market: Arc<dyn RewardsMarket>,
    community: Arc<dyn CommunityPool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Devices,
    Providers,
}

impl RewardsKeeper {
    pub fn new(
        codec: AddressCodec,
        bank: impl RewardsBank,
        devices: impl RewardsDevices,
        market: impl RewardsMarket,
        community: impl CommunityPool,
    ) -> Self {
        RewardsKeeper {
            codec,
            bank: Arc::new(bank),
            devices: Arc::new(devices),
            market: Arc::new(market),
            community: Arc::new(community),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn bank(&self) -> &Arc<dyn RewardsBank> {
        &self.bank
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.load(&ctx.storage(PREFIX))?)
    }

    pub fn clock(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Clock> {
        Ok(CLOCK.load(&ctx.storage(PREFIX))?)
    }

    pub fn totals(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Totals> {
        Ok(TOTALS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn pools(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Pools> {
        Ok(POOLS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn pending(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Pending> {
        Ok(PENDING
            .may_load(&ctx.storage(PREFIX), address)?
            .unwrap_or_default())
    }

    pub fn device_payout(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<PayoutState> {
        Ok(DEVICE_PAYOUT
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    pub fn provider_payout(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<PayoutState> {
        Ok(PROVIDER_PAYOUT
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    /// The data credits `address` holds.
    pub fn credits(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Uint128> {
        Ok(CREDITS
            .may_load(&ctx.storage(PREFIX), address)?
            .unwrap_or_default())
    }

    /// Spends `amount` of `address`'s data credits (for device data or market fees: the
    /// caller charges them instead of tokens). Credits are destroyed when spent.
    pub fn spend_credits(
        &self,
        ctx: &mut Ctx<'_, '_>,
        address: &[u8],
        amount: Uint128,
    ) -> AppResult<()> {
        let have = self.credits(ctx, address)?;
        let left = have
            .checked_sub(amount)
            .map_err(|_| RewardsError::InsufficientCredits {
                address: self.codec.encode(address),
                have: have.to_string(),
                need: amount.to_string(),
            })?;
        let mut store = ctx.storage(PREFIX);
        if left.is_zero() {
            CREDITS.remove(&mut store, address);
        } else {
            CREDITS.save(&mut store, address, &left)?;
        }
        let mut totals = TOTALS.may_load(&store)?.unwrap_or_default();
        add(&mut totals.credits_spent, amount, "credits spent")?;
        TOTALS.save(&mut store, &totals)?;
        drop(store);
        ctx.emit(events::credits_spent(&self.codec.encode(address), amount));
        Ok(())
    }

    /// Mints `credits` for `address` (the burn was done by the caller).
    pub(crate) fn add_credits(
        &self,
        ctx: &mut Ctx<'_, '_>,
        address: &[u8],
        credits: Uint128,
    ) -> AppResult<()> {
        let mut have = self.credits(ctx, address)?;
        add(&mut have, credits, "credits")?;
        CREDITS.save(&mut ctx.storage(PREFIX), address, &have)?;
        Ok(())
    }

    /// The epoch work of one block: mint the rewards epoch that ends here, vest the device
    /// bucket into the current device epoch's pot, then share the device and provider buckets,
    /// each within `max_payouts_per_block` records.
    pub fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let params = self.params(ctx)?;
        let clock = self.clock(ctx)?;
        if ctx.env.height >= clock.end_height(&params) {
            self.mint_epoch(ctx, &params, clock)?;
        }
        self.vest(ctx)?;
        self.payout(ctx, &params, Bucket::Devices)?;
        self.payout(ctx, &params, Bucket::Providers)?;
        Ok(())
    }

    /// What the end of the running epoch mints, with the supply as it is now.
    pub fn next_emission(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<schedule::Emission> {
        let params = self.params(ctx)?;
        let clock = self.clock(ctx)?;
        let supply = self.bank.supply(ctx, &params.denom)?;
        Ok(schedule::emission(
            &params,
            clock.epoch,
            clock.capacity,
            supply,
        ))
    }

    fn mint_epoch(&self, ctx: &mut Ctx<'_, '_>, params: &Params, clock: Clock) -> AppResult<()> {
        let supply = self.bank.supply(ctx, &params.denom)?;
        let e = schedule::emission(params, clock.epoch, clock.capacity, supply);
        let denom = &params.denom;
        let coin = |amount: Uint128| {
            [Coin {
                denom: denom.clone(),
                amount,
            }]
        };
        if !e.minted.is_zero() {
            self.bank
                .mint(ctx, REWARDS_MODULE_ACCOUNT, &coin(e.minted))?;
        }
        let [v, d, p, c] = schedule::buckets(params, e.minted);
        if !v.is_zero() {
            self.bank.send_from_module(
                ctx,
                REWARDS_MODULE_ACCOUNT,
                &module_address(FEE_COLLECTOR),
                &coin(v),
            )?;
        }
        if !c.is_zero() {
            self.community.fund(ctx, REWARDS_MODULE_ACCOUNT, &coin(c))?;
        }
        let height = ctx.env.height;
        let mut store = ctx.storage(PREFIX);
        let mut pools = POOLS.may_load(&store)?.unwrap_or_default();
        add(&mut pools.devices, d, "device bucket")?;
        add(&mut pools.providers, p, "provider bucket")?;
        POOLS.save(&mut store, &pools)?;
        // The device share vests over the next epoch's blocks, so every device epoch gets the
        // share of the blocks it spans (what is still vesting is spread with it).
        let mut vesting = DEVICE_VESTING.may_load(&store)?.unwrap_or_default();
        add(&mut vesting.left, d, "device vesting")?;
        let blocks = Uint128::from(params.epoch_blocks.max(1));
        vesting.per_block = vesting
            .left
            .checked_div_ceil((blocks, Uint128::one()))
            .unwrap_or(vesting.left);
        DEVICE_VESTING.save(&mut store, &vesting)?;
        let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
        add(&mut t.minted, e.minted, "minted")?;
        // Statistics that keep growing while max_supply holds minting back: they saturate
        // rather than stop the chain.
        t.scheduled = t.scheduled.saturating_add(e.scheduled());
        t.capped = t.capped.saturating_add(e.capped());
        add(&mut t.to_validators, v, "to validators")?;
        add(&mut t.to_devices, d, "to devices")?;
        add(&mut t.to_providers, p, "to providers")?;
        add(&mut t.to_community, c, "to community")?;
        TOTALS.save(&mut store, &t)?;
        let emitted = Emitted {
            epoch: clock.epoch,
            base: e.base,
            baseline: e.baseline,
            minted: e.minted,
            capacity: clock.capacity,
            target: e.target,
            height,
        };
        EMISSIONS.save(&mut store, clock.epoch, &emitted)?;
        CLOCK.save(
            &mut store,
            &Clock {
                epoch: clock.epoch.saturating_add(1),
                start_height: height,
                capacity: clock.capacity,
            },
        )?;
        drop(store);
        ctx.emit(events::epoch_minted(
            &emitted,
            e.capped(),
            [v, d, p, c],
            denom,
        ));
        Ok(())
    }

    /// This block's part of the vesting device share goes to the current device epoch's pot.
    fn vest(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let mut vesting = DEVICE_VESTING
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default();
        if vesting.left.is_zero() {
            return Ok(());
        }
        let epoch = self.devices.current_epoch(ctx)?;
        let amount = vesting.per_block.max(Uint128::one()).min(vesting.left);
        vesting.left -= amount;
        let mut store = ctx.storage(PREFIX);
        let mut pot = DEVICE_POTS.may_load(&store, epoch)?.unwrap_or_default();
        add(&mut pot, amount, "device pot")?;
        DEVICE_POTS.save(&mut store, epoch, &pot)?;
        DEVICE_VESTING.save(&mut store, &vesting)?;
        Ok(())
    }

    fn source_epoch(&self, ctx: &mut Ctx<'_, '_>, bucket: Bucket) -> AppResult<u64> {
        match bucket {
            Bucket::Devices => self.devices.current_epoch(ctx),
            Bucket::Providers => self.market.current_epoch(ctx),
        }
    }

    /// Shares one bucket, source epoch by source epoch, within the block's budget (every
    /// record read and every epoch started costs 1). A device epoch's payout shares its pot
    /// (what vested during it); a usage epoch's payout shares the whole provider bucket as it
    /// is then. It weighs every record, then pays each amount × weight / total.
    fn payout(&self, ctx: &mut Ctx<'_, '_>, params: &Params, bucket: Bucket) -> AppResult<()> {
        let item = match bucket {
            Bucket::Devices => DEVICE_PAYOUT,
            Bucket::Providers => PROVIDER_PAYOUT,
        };
        let mut state = item.may_load(&ctx.storage(PREFIX))?.unwrap_or_default();
        let mut budget = params.max_payouts_per_block as usize;
        while budget > 0 {
            let mut current = match state.current.take() {
                Some(c) => c,
                None => {
                    if state.next_epoch >= self.source_epoch(ctx, bucket)? {
                        break;
                    }
                    budget -= 1;
                    let amount = match bucket {
                        Bucket::Devices => {
                            let mut store = ctx.storage(PREFIX);
                            let pot = DEVICE_POTS
                                .may_load(&store, state.next_epoch)?
                                .unwrap_or_default();
                            DEVICE_POTS.remove(&mut store, state.next_epoch);
                            pot
                        }
                        Bucket::Providers => self.pools(ctx)?.providers,
                    };
                    Payout {
                        epoch: state.next_epoch,
                        amount,
                        phase: Phase::Weigh,
                        total_weight: Uint256::zero(),
                        cursor: String::new(),
                        paid: Uint128::zero(),
                        excess: Uint128::zero(),
                        records: 0,
                        scoring: Scoring::of(params),
                        located_weight: Uint256::zero(),
                        unlocated_score: Uint256::zero(),
                        unlocated: 0,
                    }
                }
            };
            let (read, ended) = match bucket {
                Bucket::Devices => self.device_page(ctx, params, &mut current, budget)?,
                Bucket::Providers => self.provider_page(ctx, params, &mut current, budget)?,
            };
            budget = budget.saturating_sub(read);
            if !ended {
                state.current = Some(current);
                continue;
            }
            // The phase is over.
            match current.phase {
                Phase::Weigh => {
                    if bucket == Bucket::Devices {
                        current.total_weight = device_total(&current);
                        self.set_capacity(ctx, current.records)?;
                    }
                    if current.total_weight.is_zero() || current.amount.is_zero() {
                        self.finish(ctx, params, bucket, &current)?;
                        state.next_epoch = current.epoch.saturating_add(1);
                    } else {
                        current.phase = Phase::Pay;
                        current.cursor.clear();
                        current.records = 0;
                        state.current = Some(current);
                    }
                }
                Phase::Pay => {
                    self.finish(ctx, params, bucket, &current)?;
                    state.next_epoch = current.epoch.saturating_add(1);
                }
            }
        }
        item.save(&mut ctx.storage(PREFIX), &state)?;
        Ok(())
    }

    fn set_capacity(&self, ctx: &mut Ctx<'_, '_>, records: u64) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        let mut clock = CLOCK.load(&store)?;
        clock.capacity = records;
        CLOCK.save(&mut store, &clock)?;
        Ok(())
    }

    /// Ends a payout. Devices: a pot nobody had weight for goes to the community pool; the
    /// rounding left of a paid pot goes into the next epoch's pot. Providers: the shares held
    /// back by the caps go to the community pool (what rounding leaves stays in the bucket).
    fn finish(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        bucket: Bucket,
        payout: &Payout,
    ) -> AppResult<()> {
        let coin = |amount: Uint128| {
            [Coin {
                denom: params.denom.clone(),
                amount,
            }]
        };
        match bucket {
            Bucket::Devices => {
                let left = payout.amount.saturating_sub(payout.paid);
                if !left.is_zero() {
                    if payout.paid.is_zero() {
                        self.community
                            .fund(ctx, REWARDS_MODULE_ACCOUNT, &coin(left))?;
                        let mut store = ctx.storage(PREFIX);
                        let mut pools = POOLS.may_load(&store)?.unwrap_or_default();
                        sub(&mut pools.devices, left, "device bucket")?;
                        POOLS.save(&mut store, &pools)?;
                        let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
                        add(&mut t.devices_to_community, left, "devices to community")?;
                        TOTALS.save(&mut store, &t)?;
                    } else {
                        let next = payout.epoch.saturating_add(1);
                        let mut store = ctx.storage(PREFIX);
                        let mut pot = DEVICE_POTS.may_load(&store, next)?.unwrap_or_default();
                        add(&mut pot, left, "device pot")?;
                        DEVICE_POTS.save(&mut store, next, &pot)?;
                    }
                }
            }
            Bucket::Providers => {
                if !payout.excess.is_zero() {
                    self.community
                        .fund(ctx, REWARDS_MODULE_ACCOUNT, &coin(payout.excess))?;
                    let mut store = ctx.storage(PREFIX);
                    let mut pools = POOLS.may_load(&store)?.unwrap_or_default();
                    sub(&mut pools.providers, payout.excess, "provider bucket")?;
                    POOLS.save(&mut store, &pools)?;
                    let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
                    add(&mut t.provider_excess, payout.excess, "provider excess")?;
                    TOTALS.save(&mut store, &t)?;
                }
            }
        }
        let kind = match bucket {
            Bucket::Devices => "devices",
            Bucket::Providers => "providers",
        };
        ctx.emit(events::payout_finished(kind, payout, &params.denom));
        Ok(())
    }

    /// One page of the device payout; returns (records read, whether the phase ended).
    fn device_page(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        payout: &mut Payout,
        budget: usize,
    ) -> AppResult<(usize, bool)> {
        let start = (!payout.cursor.is_empty()).then(|| payout.cursor.clone());
        let page = self
            .devices
            .work(ctx, payout.epoch, start.as_deref(), budget)?;
        let scoring = payout.scoring;
        for work in &page {
            payout.records += 1;
            let score = device_score(&scoring, work);
            match payout.phase {
                Phase::Weigh => {
                    if work.density_hex == 0 {
                        payout.unlocated += 1;
                        payout.unlocated_score = payout.unlocated_score.saturating_add(score);
                    } else {
                        let density = self.density(ctx, &scoring, payout.epoch, work)?;
                        let w = scaled(score, scoring.hex_density_target, density);
                        payout.located_weight = payout.located_weight.saturating_add(w);
                    }
                }
                Phase::Pay => {
                    let density = if work.density_hex == 0 {
                        u32::try_from(payout.unlocated).unwrap_or(u32::MAX)
                    } else {
                        self.density(ctx, &scoring, payout.epoch, work)?
                    };
                    let weight = scaled(score, scoring.hex_density_target, density);
                    let amount = share(payout.amount, weight, payout.total_weight)
                        .min(payout.amount.saturating_sub(payout.paid));
                    if amount.is_zero() {
                        continue;
                    }
                    // An owner that is not an address (impossible for a registered device)
                    // gets nothing: the share stays in the bucket.
                    let Ok(owner) = self.codec.decode(&work.owner) else {
                        continue;
                    };
                    self.credit(ctx, Bucket::Devices, &owner, amount)?;
                    let mut store = ctx.storage(PREFIX);
                    let mut earned = DEVICE_REWARDS
                        .may_load(&store, &work.device_id)?
                        .unwrap_or_default();
                    add(&mut earned.earned, amount, "device earned")?;
                    earned.last_epoch = payout.epoch;
                    earned.last_amount = amount;
                    DEVICE_REWARDS.save(&mut store, &work.device_id, &earned)?;
                    drop(store);
                    add(&mut payout.paid, amount, "paid")?;
                    ctx.emit(events::device_rewarded(
                        &work.device_id,
                        &work.owner,
                        payout.epoch,
                        amount,
                        &params.denom,
                    ));
                }
            }
        }
        if let Some(last) = page.last() {
            payout.cursor = last.device_id.clone();
        }
        Ok((page.len(), page.len() < budget))
    }

    /// The devices that worked in `work`'s hex in the epoch (when scaling is on).
    fn density(
        &self,
        ctx: &mut Ctx<'_, '_>,
        scoring: &Scoring,
        epoch: u64,
        work: &DeviceWork,
    ) -> AppResult<u32> {
        if scoring.hex_density_target == 0 {
            return Ok(0);
        }
        self.devices.hex_density(ctx, epoch, work.density_hex)
    }

    /// One page of the provider payout; returns (records read, whether the phase ended).
    fn provider_page(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        payout: &mut Payout,
        budget: usize,
    ) -> AppResult<(usize, bool)> {
        let start = (!payout.cursor.is_empty()).then(|| payout.cursor.clone());
        let page = self
            .market
            .usage(ctx, payout.epoch, start.as_deref(), budget)?;
        for usage in &page {
            let weight = provider_weight(usage, &params.denom);
            payout.records += 1;
            match payout.phase {
                Phase::Weigh => {
                    payout.total_weight = payout.total_weight.saturating_add(Uint256::from(weight));
                }
                Phase::Pay => {
                    let left = payout
                        .amount
                        .saturating_sub(payout.paid)
                        .saturating_sub(payout.excess);
                    let full =
                        share(payout.amount, Uint256::from(weight), payout.total_weight).min(left);
                    let Ok(provider) = self.codec.decode(&usage.provider) else {
                        continue;
                    };
                    let amount = full.min(provider_cap(&payout.scoring, weight));
                    // The share above the cap stays in the bucket until the payout ends, then
                    // goes to the community pool.
                    let excess = full - amount;
                    add(&mut payout.excess, excess, "excess")?;
                    if amount.is_zero() {
                        continue;
                    }
                    self.credit(ctx, Bucket::Providers, &provider, amount)?;
                    let mut store = ctx.storage(PREFIX);
                    let mut earned = PROVIDER_REWARDS
                        .may_load(&store, &provider)?
                        .unwrap_or_default();
                    add(&mut earned.earned, amount, "provider earned")?;
                    earned.last_epoch = payout.epoch;
                    earned.last_amount = amount;
                    PROVIDER_REWARDS.save(&mut store, &provider, &earned)?;
                    drop(store);
                    add(&mut payout.paid, amount, "paid")?;
                    ctx.emit(events::provider_rewarded(
                        &usage.provider,
                        payout.epoch,
                        amount,
                        excess,
                        &params.denom,
                    ));
                }
            }
        }
        if let Some(last) = page.last() {
            payout.cursor = last.provider.clone();
        }
        Ok((page.len(), page.len() < budget))
    }

    /// Moves `amount` from a bucket to `owner`'s claimable rewards.
    fn credit(
        &self,
        ctx: &mut Ctx<'_, '_>,
        bucket: Bucket,
        owner: &[u8],
        amount: Uint128,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        let mut pools = POOLS.may_load(&store)?.unwrap_or_default();
        let mut pending = PENDING.may_load(&store, owner)?.unwrap_or_default();
        let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
        match bucket {
            Bucket::Devices => {
                sub(&mut pools.devices, amount, "device bucket")?;
                add(&mut pending.from_devices, amount, "pending")?;
                add(&mut t.paid_devices, amount, "paid to devices")?;
            }
            Bucket::Providers => {
                sub(&mut pools.providers, amount, "provider bucket")?;
                add(&mut pending.from_providers, amount, "pending")?;
                add(&mut t.paid_providers, amount, "paid to providers")?;
            }
        }
        POOLS.save(&mut store, &pools)?;
        PENDING.save(&mut store, owner, &pending)?;
        TOTALS.save(&mut store, &t)?;
        Ok(())
    }
}

impl RewardsKeeper {
    pub(crate) fn source_epoch_of_devices(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.devices.current_epoch(ctx)
    }

    pub(crate) fn source_epoch_of_market(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.market.current_epoch(ctx)
    }
}
