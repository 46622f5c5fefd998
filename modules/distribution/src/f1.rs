//! The F1 fee distribution, as the Cosmos SDK's x/distribution keeper: periods, cumulative
//! reward ratios with reference counts, delegator starting infos, slash events, withdrawals.
//! README.md § F1 gives the formulas.

use cosmwasm_std::{Decimal256, Order, Uint256};
use cw_storage_plus::Bound;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::dec::DecCoins;
use crate::error::DistributionError;
use crate::events;
use crate::keeper::{DistributionKeeper, StakeValidator, MODULE_ACCOUNT};
use crate::state::{
    CurrentRewards, HistoricalRewards, SlashEvent, StartingInfo, COMMISSION, CURRENT, HISTORICAL,
    OUTSTANDING, PREFIX, SLASH_EVENTS, STARTING_INFOS,
};

fn corrupt(msg: String) -> depin_app::error::AppError {
    DistributionError::Corrupt(msg).into()
}

impl DistributionKeeper {
    pub(crate) fn must_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<StakeValidator> {
        self.staking().validator(ctx, operator)?.ok_or_else(|| {
            DistributionError::NoValidatorExists(self.operator_codec().encode(operator)).into()
        })
    }

    pub(crate) fn current_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<CurrentRewards> {
        CURRENT
            .may_load(&ctx.storage(PREFIX), operator)?
            .ok_or_else(|| {
                corrupt(format!(
                    "validator {} has no current rewards",
                    self.operator_codec().encode(operator)
                ))
            })
    }

    fn historical(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        period: u64,
    ) -> AppResult<HistoricalRewards> {
        HISTORICAL
            .may_load(&ctx.storage(PREFIX), (operator, period))?
            .ok_or_else(|| {
                corrupt(format!(
                    "validator {} has no historical rewards for period {period}",
                    self.operator_codec().encode(operator)
                ))
            })
    }

    /// A new validator: period 0 ends at once with a ratio of zero (referenced by the
    /// current rewards, period 1), nothing outstanding, no commission.
    pub(crate) fn initialize_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        HISTORICAL.save(
            &mut store,
            (operator, 0),
            &HistoricalRewards {
                cumulative_reward_ratio: DecCoins::new(),
                reference_count: 1,
            },
        )?;
        CURRENT.save(
            &mut store,
            operator,
            &CurrentRewards {
                rewards: DecCoins::new(),
                period: 1,
            },
        )?;
        COMMISSION.save(&mut store, operator, &DecCoins::new())?;
        OUTSTANDING.save(&mut store, operator, &DecCoins::new())?;
        Ok(())
    }

    pub(crate) fn increment_reference_count(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        period: u64,
    ) -> AppResult<()> {
        let mut h = self.historical(ctx, operator, period)?;
        h.reference_count = h
            .reference_count
            .checked_add(1)
            .ok_or_else(|| corrupt("reference count overflows".into()))?;
        Ok(HISTORICAL.save(&mut ctx.storage(PREFIX), (operator, period), &h)?)
    }

    /// Drops one reference; the record goes with its last one.
    pub(crate) fn decrement_reference_count(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        period: u64,
    ) -> AppResult<()> {
        let mut h = self.historical(ctx, operator, period)?;
        h.reference_count = h.reference_count.checked_sub(1).ok_or_else(|| {
            corrupt(format!(
                "period {period} of {} is released more often than it was referenced",
                self.operator_codec().encode(operator)
            ))
        })?;
        let mut store = ctx.storage(PREFIX);
        if h.reference_count == 0 {
            HISTORICAL.remove(&mut store, (operator, period));
        } else {
            HISTORICAL.save(&mut store, (operator, period), &h)?;
        }
        Ok(())
    }

    /// Ends the validator's current period: its rewards ÷ its tokens (truncated) are added to
    /// the cumulative ratio. A validator without tokens cannot share them: they go to the
    /// community pool. Returns the period that ended.
    pub(crate) fn increment_validator_period(
        &self,
        ctx: &mut Ctx<'_, '_>,
        validator: &StakeValidator,
    ) -> AppResult<u64> {
        let operator = validator.operator.as_slice();
        let current = self.current_rewards(ctx, operator)?;
        let ratio = if validator.tokens.is_zero() {
            if !current.rewards.is_zero() {
                let outstanding = self.outstanding_rewards(ctx, operator)?;
                self.set_outstanding(ctx, operator, &outstanding.sub(&current.rewards)?)?;
                self.add_to_community_pool(ctx, &current.rewards)?;
            }
            DecCoins::new()
        } else {
            current
                .rewards
                .quo_dec_truncate(crate::dec::from_int(validator.tokens))?
        };
        let previous = current
            .period
            .checked_sub(1)
            .ok_or_else(|| corrupt("current period 0".into()))?;
        let historical = self.historical(ctx, operator, previous)?;
        self.decrement_reference_count(ctx, operator, previous)?;
        let mut store = ctx.storage(PREFIX);
        HISTORICAL.save(
            &mut store,
            (operator, current.period),
            &HistoricalRewards {
                cumulative_reward_ratio: historical.cumulative_reward_ratio.add(&ratio)?,
                reference_count: 1,
            },
        )?;
        CURRENT.save(
            &mut store,
            operator,
            &CurrentRewards {
                rewards: DecCoins::new(),
                period: current
                    .period
                    .checked_add(1)
                    .ok_or_else(|| corrupt("period overflows".into()))?,
            },
        )?;
        Ok(current.period)
    }

    /// After a delegation was created or changed: it counts from the period that just ended,
    /// with the tokens its shares are worth now (truncated).
    pub(crate) fn initialize_delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        delegator: &[u8],
    ) -> AppResult<()> {
        let previous = self
            .current_rewards(ctx, operator)?
            .period
            .checked_sub(1)
            .ok_or_else(|| corrupt("current period 0".into()))?;
        self.increment_reference_count(ctx, operator, previous)?;
        let validator = self.must_validator(ctx, operator)?;
        let shares = self
            .staking()
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| DistributionError::NoDelegationExists {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(operator),
            })?;
        let info = StartingInfo {
            previous_period: previous,
            stake: validator.tokens_from_shares_truncated(shares),
            height: ctx.env.height,
        };
        Ok(STARTING_INFOS.save(&mut ctx.storage(PREFIX), (operator, delegator), &info)?)
    }

    /// stake × (ratio(end) − ratio(start)), truncated.
    fn rewards_between(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        start: u64,
        end: u64,
        stake: Decimal256,
    ) -> AppResult<DecCoins> {
        if start > end {
            return Err(corrupt(format!(
                "rewards from period {start} to the earlier period {end}"
            )));
        }
        let starting = self.historical(ctx, operator, start)?;
        let ending = self.historical(ctx, operator, end)?;
        let difference = ending
            .cumulative_reward_ratio
            .sub(&starting.cumulative_reward_ratio)?;
        Ok(difference.mul_dec_truncate(stake)?)
    }

    /// The rewards of a delegation of `shares` from its starting period to `ending_period`,
    /// its stake cut by every slash of the validator in between.
    pub(crate) fn calculate_delegation_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        validator: &StakeValidator,
        delegator: &[u8],
        shares: Decimal256,
        ending_period: u64,
    ) -> AppResult<DecCoins> {
        let operator = validator.operator.as_slice();
        let info = STARTING_INFOS
            .may_load(&ctx.storage(PREFIX), (operator, delegator))?
            .ok_or_else(|| DistributionError::EmptyDelegationDistInfo {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(operator),
            })?;
        let height = ctx.env.height;
        let mut rewards = DecCoins::new();
        if info.height == height {
            // Started in this block: nothing yet.
            return Ok(rewards);
        }
        let mut start = info.previous_period;
        let mut stake = info.stake;
        if height > info.height {
            // Slashes of blocks [starting height, now], in (height, period) order.
            let events: Vec<SlashEvent> = SLASH_EVENTS
                .sub_prefix(operator)
                .range(
                    &ctx.storage(PREFIX),
                    Some(Bound::inclusive((info.height, 0u64))),
                    Some(Bound::inclusive((height, u64::MAX))),
                    Order::Ascending,
                )
                .map(|r| r.map(|(_, e)| e))
                .collect::<Result<_, _>>()?;
            for event in events {
                let end = event.validator_period;
                if end > start {
                    let part = self.rewards_between(ctx, operator, start, end, stake)?;
                    rewards = rewards.add(&part)?;
                    let kept = Decimal256::one()
                        .checked_sub(event.fraction)
                        .map_err(|_| corrupt("slash fraction above 1".into()))?;
                    stake = crate::dec::mul_truncate(stake, kept)
                        .ok_or_else(|| corrupt("stake overflows".into()))?;
                    start = end;
                }
            }
        }
        // Rounding along the periods may leave the stake a few 10^-18 above what the
        // shares are worth now; more than 3 units is a bug.
        let current = validator.tokens_from_shares(shares);
        if stake > current {
            let margin = Decimal256::new(Uint256::from(3u8));
            if stake <= current.checked_add(margin).unwrap_or(Decimal256::MAX) {
                stake = current;
            } else {
                return Err(corrupt(format!(
                    "the stake of {} at {} counted by distribution ({}) is above its current \
                     value ({})",
                    self.codec().encode(delegator),
                    self.operator_codec().encode(operator),
                    stake,
                    current
                )));
            }
        }
        let last = self.rewards_between(ctx, operator, start, ending_period, stake)?;
        Ok(rewards.add(&last)?)
    }

    /// Pays a delegation's rewards to its withdraw address (whole coins; the decimals go to
    /// the community pool) and forgets its starting info; the caller starts a new one when
    /// the delegation goes on. Returns what was paid.
    pub(crate) fn withdraw_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        validator: &StakeValidator,
        delegator: &[u8],
        shares: Decimal256,
    ) -> AppResult<Vec<Coin>> {
        let operator = validator.operator.as_slice();
        let info = STARTING_INFOS
            .may_load(&ctx.storage(PREFIX), (operator, delegator))?
            .ok_or_else(|| DistributionError::EmptyDelegationDistInfo {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(operator),
            })?;
        let ending = self.increment_validator_period(ctx, validator)?;
        let raw = self.calculate_delegation_rewards(ctx, validator, delegator, shares, ending)?;
        let outstanding = self.outstanding_rewards(ctx, operator)?;
        // Never more than the validator holds (rounding in the last places).
        let rewards = raw.intersect(&outstanding);
        let (paid, remainder) = rewards.truncate();
        if !paid.is_empty() {
            let to = self.withdraw_address(ctx, delegator)?;
            self.bank()
                .send_module_to_account(ctx, MODULE_ACCOUNT, &to, &paid)?;
        }
        self.set_outstanding(ctx, operator, &outstanding.sub(&rewards)?)?;
        self.add_to_community_pool(ctx, &remainder)?;
        self.decrement_reference_count(ctx, operator, info.previous_period)?;
        STARTING_INFOS.remove(&mut ctx.storage(PREFIX), (operator, delegator));
        let shown = if paid.is_empty() {
            format!("0{}", self.staking().bond_denom(ctx)?)
        } else {
            coins::format(&paid)
        };
        ctx.emit(events::withdraw_rewards(
            &shown,
            &self.operator_codec().encode(operator),
            &self.codec().encode(delegator),
        ));
        Ok(paid)
    }

    /// MsgWithdrawDelegatorReward: withdraws and starts counting again.
    pub fn withdraw_delegation_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<Vec<Coin>> {
        let validator = self.staking().validator(ctx, operator)?.ok_or_else(|| {
            DistributionError::NoValidatorDistInfo(self.operator_codec().encode(operator))
        })?;
        let shares = self
            .staking()
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| DistributionError::EmptyDelegationDistInfo {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(operator),
            })?;
        let paid = self.withdraw_rewards(ctx, &validator, delegator, shares)?;
        self.initialize_delegation(ctx, operator, delegator)?;
        Ok(paid)
    }

    /// MsgWithdrawValidatorCommission: pays the whole part of the commission to the
    /// operator's withdraw address; the decimals stay for later.
    pub fn withdraw_validator_commission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Vec<Coin>> {
        let valoper = self.operator_codec().encode(operator);
        let commission = self.accumulated_commission(ctx, operator)?;
        if commission.is_zero() {
            return Err(DistributionError::NoValidatorCommission(valoper).into());
        }
        let (paid, remainder) = commission.truncate();
        self.set_commission(ctx, operator, &remainder)?;
        let outstanding = self.outstanding_rewards(ctx, operator)?;
        self.set_outstanding(
            ctx,
            operator,
            &outstanding.sub(&DecCoins::from_coins(&paid))?,
        )?;
        if !paid.is_empty() {
            let to = self.withdraw_address(ctx, operator)?;
            self.bank()
                .send_module_to_account(ctx, MODULE_ACCOUNT, &to, &paid)?;
        }
        ctx.emit(events::withdraw_commission(&coins::format(&paid), &valoper));
        Ok(paid)
    }

    /// Before a slash: ends the period (rewards so far are shared at the old stake) and
    /// records the fraction at this height, keeping the ended period referenced.
    pub(crate) fn update_validator_slash_fraction(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        fraction: Decimal256,
    ) -> AppResult<()> {
        if fraction > Decimal256::one() {
            return Err(corrupt(format!("slash fraction {fraction} is above 1")));
        }
        let validator = self.must_validator(ctx, operator)?;
        let period = self.increment_validator_period(ctx, &validator)?;
        self.increment_reference_count(ctx, operator, period)?;
        let height = ctx.env.height;
        Ok(SLASH_EVENTS.save(
            &mut ctx.storage(PREFIX),
            (operator, height, period),
            &SlashEvent {
                validator_period: period,
                fraction,
            },
        )?)
    }

    /// After staking deleted a validator (no delegation left): its commission's whole coins
    /// go to the operator's withdraw address, everything else outstanding (decimal dust) to
    /// the community pool, and every record of it is deleted.
    pub(crate) fn validator_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<()> {
        let mut outstanding = self.outstanding_rewards(ctx, operator)?;
        let commission = self.accumulated_commission(ctx, operator)?;
        if !commission.is_zero() {
            outstanding = outstanding.sub(&commission)?;
            let (paid, remainder) = commission.truncate();
            self.add_to_community_pool(ctx, &remainder)?;
            if !paid.is_empty() {
                let to = self.withdraw_address(ctx, operator)?;
                self.bank()
                    .send_module_to_account(ctx, MODULE_ACCOUNT, &to, &paid)?;
            }
        }
        self.add_to_community_pool(ctx, &outstanding)?;
        let mut store = ctx.storage(PREFIX);
        OUTSTANDING.remove(&mut store, operator);
        COMMISSION.remove(&mut store, operator);
        CURRENT.remove(&mut store, operator);
        let slashes: Vec<(u64, u64)> = SLASH_EVENTS
            .sub_prefix(operator)
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for (h, p) in slashes {
            SLASH_EVENTS.remove(&mut store, (operator, h, p));
        }
        let periods: Vec<u64> = HISTORICAL
            .prefix(operator)
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for p in periods {
            HISTORICAL.remove(&mut store, (operator, p));
        }
        // Starting infos are gone already: each delegation withdrew before it was removed.
        let left: Vec<Vec<u8>> = STARTING_INFOS
            .prefix(operator)
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for d in left {
            STARTING_INFOS.remove(&mut store, (operator, &d));
        }
        Ok(())
    }

    /// Allocation of the fees of the last block (begin block), as the SDK v0.50's
    /// `AllocateTokens`; see README.md § Allocation.
    pub(crate) fn allocate_tokens(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        use crate::keeper::FEE_COLLECTOR;
        let collector = depin_app::address::module_address(FEE_COLLECTOR);
        let collected = self.bank().all_balances(ctx, &collector)?;
        self.bank()
            .send_module_to_module(ctx, FEE_COLLECTOR, MODULE_ACCOUNT, &collected)?;
        let fees = DecCoins::from_coins(&collected);
        // Every vote of the last commit counts, signed or not (v0.50).
        let votes: Vec<(Vec<u8>, u64)> = ctx
            .env
            .last_commit
            .iter()
            .filter_map(|v| v.validator.as_ref())
            .map(|v| (v.address.to_vec(), u64::try_from(v.power).unwrap_or(0)))
            .collect();
        let total_power = votes
            .iter()
            .try_fold(0u64, |acc, (_, p)| acc.checked_add(*p))
            .unwrap_or(u64::MAX);
        if fees.is_zero() {
            return Ok(());
        }
        if total_power == 0 {
            return self.add_to_community_pool(ctx, &fees);
        }
        let params = self.params(ctx)?;
        let multiplier = Decimal256::one()
            .checked_sub(params.community_tax)
            .unwrap_or_default();
        let for_validators = fees.mul_dec_truncate(multiplier)?;
        let mut remaining = fees.clone();
        let total = crate::keeper::dec_from_power(total_power);
        for (consensus, power) in votes {
            let Some(validator) = self.staking().validator_by_consensus(ctx, &consensus)? else {
                // Gone since it voted: its share stays with the community pool.
                continue;
            };
            if !self.has_validator(ctx, &validator.operator) {
                continue;
            }
            let fraction = crate::dec::quo_truncate(crate::keeper::dec_from_power(power), total)
                .unwrap_or_default();
            let reward = for_validators.mul_dec_truncate(fraction)?;
            self.allocate_to_validator(ctx, &validator, &reward)?;
            remaining = remaining.sub(&reward)?;
        }
        self.add_to_community_pool(ctx, &remaining)
    }

    /// Commission (rounded) to the validator, the rest to its delegators' current rewards;
    /// all of it outstanding.
    pub(crate) fn allocate_to_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        validator: &StakeValidator,
        tokens: &DecCoins,
    ) -> AppResult<()> {
        let operator = validator.operator.as_slice();
        let commission = tokens.mul_dec(validator.commission_rate)?;
        let shared = tokens.sub(&commission)?;
        let valoper = self.operator_codec().encode(operator);
        ctx.emit(events::commission(&commission.to_string(), &valoper));
        let accumulated = self
            .accumulated_commission(ctx, operator)?
            .add(&commission)?;
        self.set_commission(ctx, operator, &accumulated)?;
        let mut current = self.current_rewards(ctx, operator)?;
        current.rewards = current.rewards.add(&shared)?;
        CURRENT.save(&mut ctx.storage(PREFIX), operator, &current)?;
        ctx.emit(events::rewards(&tokens.to_string(), &valoper));
        let outstanding = self.outstanding_rewards(ctx, operator)?.add(tokens)?;
        self.set_outstanding(ctx, operator, &outstanding)
    }
}

#[cfg(test)]
mod tests {
    //! The F1 formulas on a bare store, with staking and the bank faked in memory.

    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use cosmwasm_std::{Decimal256, Uint128, Uint256};
    use depin_app::address::AddressCodec;
    use depin_app::coins::Coin;
    use depin_app::context::{Ctx, Env, ExecMode};
    use depin_app::error::AppResult;
    use depin_app::store::{GasMeter, Store, StoreConfig, WorkingSet};

    use crate::dec::DecCoins;
    use crate::keeper::{
        DistributionBank, DistributionKeeper, DistributionStaking, StakeValidator,
    };
    use crate::state::{HISTORICAL, PREFIX, STARTING_INFOS};

    #[derive(Default)]
    struct World {
        validators: BTreeMap<Vec<u8>, StakeValidator>,
        delegations: BTreeMap<(Vec<u8>, Vec<u8>), Decimal256>,
        balances: BTreeMap<Vec<u8>, u128>,
    }

    #[derive(Clone, Default)]
    struct Fake(Arc<Mutex<World>>);

    impl DistributionStaking for Fake {
        fn validator(&self, _: &mut Ctx<'_, '_>, op: &[u8]) -> AppResult<Option<StakeValidator>> {
            Ok(self.0.lock().unwrap().validators.get(op).cloned())
        }
        fn validator_by_consensus(
            &self,
            _: &mut Ctx<'_, '_>,
            c: &[u8],
        ) -> AppResult<Option<StakeValidator>> {
            let w = self.0.lock().unwrap();
            Ok(w.validators.values().find(|v| v.consensus == c).cloned())
        }
        fn delegation(
            &self,
            _: &mut Ctx<'_, '_>,
            d: &[u8],
            op: &[u8],
        ) -> AppResult<Option<Decimal256>> {
            let w = self.0.lock().unwrap();
            Ok(w.delegations.get(&(d.to_vec(), op.to_vec())).copied())
        }
        fn delegations_of(
            &self,
            _: &mut Ctx<'_, '_>,
            d: &[u8],
        ) -> AppResult<Vec<(Vec<u8>, Decimal256)>> {
            let w = self.0.lock().unwrap();
            Ok(w.delegations
                .iter()
                .filter(|((x, _), _)| x == d)
                .map(|((_, v), s)| (v.clone(), *s))
                .collect())
        }
        fn delegations_to(
            &self,
            _: &mut Ctx<'_, '_>,
            op: &[u8],
        ) -> AppResult<Vec<(Vec<u8>, Decimal256)>> {
            let w = self.0.lock().unwrap();
            Ok(w.delegations
                .iter()
                .filter(|((_, v), _)| v == op)
                .map(|((d, _), s)| (d.clone(), *s))
                .collect())
        }
        fn operators(&self, _: &mut Ctx<'_, '_>) -> AppResult<Vec<Vec<u8>>> {
            Ok(self.0.lock().unwrap().validators.keys().cloned().collect())
        }
        fn bond_denom(&self, _: &mut Ctx<'_, '_>) -> AppResult<String> {
            Ok("udepin".into())
        }
    }

    impl DistributionBank for Fake {
        fn all_balances(&self, _: &mut Ctx<'_, '_>, a: &[u8]) -> AppResult<Vec<Coin>> {
            let w = self.0.lock().unwrap();
            Ok(w.balances
                .get(a)
                .filter(|b| **b > 0)
                .map(|b| vec![Coin::new(*b, "udepin")])
                .unwrap_or_default())
        }
        fn send_module_to_module(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &str,
            _: &str,
            _: &[Coin],
        ) -> AppResult<()> {
            Ok(())
        }
        fn send_module_to_account(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &str,
            to: &[u8],
            amount: &[Coin],
        ) -> AppResult<()> {
            let mut w = self.0.lock().unwrap();
            for c in amount {
                *w.balances.entry(to.to_vec()).or_default() += c.amount.u128();
            }
            Ok(())
        }
        fn send_account_to_module(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &str,
            _: &[Coin],
        ) -> AppResult<()> {
            Ok(())
        }
        fn is_blocked(&self, _: &[u8]) -> bool {
            false
        }
    }

    const VAL: &[u8] = &[1; 20];
    const ALICE: &[u8] = &[2; 20];
    const BOB: &[u8] = &[3; 20];

    fn d(s: &str) -> Decimal256 {
        s.parse().unwrap()
    }

    fn udepin(amount: &str) -> DecCoins {
        DecCoins::validated(
            vec![crate::dec::DecCoin {
                denom: "udepin".into(),
                amount: d(amount),
            }],
            "test",
        )
        .unwrap()
    }

    /// A validator with `tokens` (one share per token so far) and commission `rate`, and a
    /// keeper over a fresh store; `f` runs at height 10 with the F1 records initialised.
    fn world(tokens: u128, rate: &str, f: impl FnOnce(&DistributionKeeper, &Fake, &mut Ctx)) {
        let fake = Fake::default();
        fake.0.lock().unwrap().validators.insert(
            VAL.to_vec(),
            StakeValidator {
                operator: VAL.to_vec(),
                consensus: vec![9; 20],
                tokens: Uint128::new(tokens),
                delegator_shares: crate::dec::from_int(Uint128::new(tokens)),
                commission_rate: d(rate),
            },
        );
        let keeper =
            DistributionKeeper::new(AddressCodec::new("depin"), fake.clone(), fake.clone());
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
        let mut ws = WorkingSet::new(store.latest_view().unwrap());
        let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
        let env = Env::new("f1-1", 10, ExecMode::Block);
        let mut ctx = Ctx::new(&mut branch, &env);
        keeper.initialize_validator(&mut ctx, VAL).unwrap();
        f(&keeper, &fake, &mut ctx);
    }

    /// A delegation of `shares` by `who` as staking makes it: the period ends first, then
    /// the validator's tokens and shares grow by `shares`, then the delegation starts.
    fn delegate(k: &DistributionKeeper, fake: &Fake, ctx: &mut Ctx, who: &[u8], shares: &str) {
        let v = k.must_validator(ctx, VAL).unwrap();
        k.increment_validator_period(ctx, &v).unwrap();
        {
            let mut w = fake.0.lock().unwrap();
            w.delegations
                .insert((who.to_vec(), VAL.to_vec()), d(shares));
            let total: Decimal256 = w.delegations.values().copied().sum();
            let v = w.validators.get_mut(VAL).unwrap();
            v.delegator_shares = total;
            v.tokens = crate::dec::truncate(total).0;
        }
        k.initialize_delegation(ctx, VAL, who).unwrap();
    }

    /// Runs `f` `blocks` blocks later (rewards of a delegation started at a height are 0
    /// at that height).
    fn later_by<T>(ctx: &mut Ctx, blocks: u64, f: impl FnOnce(&mut Ctx) -> T) -> T {
        let mut env = ctx.env.clone();
        env.height += blocks;
        let mut branch = ctx.store.branch();
        let mut sub = Ctx::new(&mut branch, &env);
        let out = f(&mut sub);
        branch.commit().unwrap();
        out
    }

    fn later<T>(ctx: &mut Ctx, f: impl FnOnce(&mut Ctx) -> T) -> T {
        later_by(ctx, 1, f)
    }

    fn pending(k: &DistributionKeeper, ctx: &mut Ctx, who: &[u8]) -> DecCoins {
        later_by(ctx, 5, |ctx| k.delegation_rewards(ctx, who, VAL).unwrap())
    }

    #[test]
    fn commission_rounds_half_to_even_and_the_rest_is_shared() {
        world(100, "0.1", |k, _, ctx| {
            let v = k.must_validator(ctx, VAL).unwrap();
            // 25 × 10^-18 at 10%: 2.5 units rounds to 2; 35 units: 3.5 rounds to 4.
            let tiny = DecCoins::validated(
                vec![crate::dec::DecCoin {
                    denom: "udepin".into(),
                    amount: Decimal256::new(Uint256::from(25u8)),
                }],
                "t",
            )
            .unwrap();
            k.allocate_to_validator(ctx, &v, &tiny).unwrap();
            let c = k.accumulated_commission(ctx, VAL).unwrap();
            assert_eq!(c.amount_of("udepin").atomics(), Uint256::from(2u8));
            let cur = k.current_rewards(ctx, VAL).unwrap();
            assert_eq!(
                cur.rewards.amount_of("udepin").atomics(),
                Uint256::from(23u8)
            );
            let more = tiny.add(&udepin("0.00000000000000001")).unwrap();
            k.allocate_to_validator(ctx, &v, &more).unwrap();
            let c = k.accumulated_commission(ctx, VAL).unwrap();
            assert_eq!(c.amount_of("udepin").atomics(), Uint256::from(6u8));
            assert_eq!(
                k.outstanding_rewards(ctx, VAL).unwrap(),
                tiny.add(&more).unwrap()
            );
        });
    }

    #[test]
    fn rewards_follow_stake_and_slashes() {
        world(100, "0", |k, fake, ctx| {
            delegate(k, fake, ctx, ALICE, "100");
            let v = k.must_validator(ctx, VAL).unwrap();
            k.allocate_to_validator(ctx, &v, &udepin("100")).unwrap();
            assert_eq!(pending(k, ctx, ALICE), udepin("100"));
            // Bob joins with as many tokens; then 100 more is shared half and half.
            later(ctx, |ctx| delegate(k, fake, ctx, BOB, "100"));
            let v = k.must_validator(ctx, VAL).unwrap();
            k.allocate_to_validator(ctx, &v, &udepin("100")).unwrap();
            assert_eq!(pending(k, ctx, ALICE), udepin("150"));
            assert_eq!(pending(k, ctx, BOB), udepin("50"));
            // A 25% slash: the rewards earned before are kept, the stake after is 75 each.
            later(ctx, |ctx| {
                k.update_validator_slash_fraction(ctx, VAL, d("0.25"))
                    .unwrap();
            });
            fake.0
                .lock()
                .unwrap()
                .validators
                .get_mut(VAL)
                .unwrap()
                .tokens = Uint128::new(150);
            let v = k.must_validator(ctx, VAL).unwrap();
            k.allocate_to_validator(ctx, &v, &udepin("30")).unwrap();
            assert_eq!(pending(k, ctx, ALICE), udepin("165"));
            assert_eq!(pending(k, ctx, BOB), udepin("65"));
            // Withdrawing pays the whole coins and forgets the starting info.
            let shares = d("100");
            let paid = later(ctx, |ctx| {
                let v = k.must_validator(ctx, VAL).unwrap();
                k.withdraw_rewards(ctx, &v, ALICE, shares).unwrap()
            });
            assert_eq!(paid, vec![Coin::new(165, "udepin")]);
            assert_eq!(fake.0.lock().unwrap().balances[ALICE], 165);
            assert!(!STARTING_INFOS.has(&ctx.storage(PREFIX), (VAL, ALICE)));
        });
    }

    #[test]
    fn a_stake_above_the_current_value_is_clamped_only_within_three_units() {
        world(0, "0", |k, fake, ctx| {
            delegate(k, fake, ctx, ALICE, "100");
            let v = k.must_validator(ctx, VAL).unwrap();
            k.allocate_to_validator(ctx, &v, &udepin("100")).unwrap();
            // Staking says the shares are worth 3 units less than distribution counted.
            let mut v = k.must_validator(ctx, VAL).unwrap();
            let three = Decimal256::new(Uint256::from(3u8));
            v.delegator_shares = d("100") + three;
            fake.0
                .lock()
                .unwrap()
                .validators
                .insert(VAL.to_vec(), v.clone());
            let ok = later(ctx, |ctx| {
                let end = k.increment_validator_period(ctx, &v).unwrap();
                k.calculate_delegation_rewards(ctx, &v, ALICE, d("100"), end)
            });
            assert!(ok.is_ok());
            v.delegator_shares = d("100.000000000001");
            fake.0
                .lock()
                .unwrap()
                .validators
                .insert(VAL.to_vec(), v.clone());
            let err = later(ctx, |ctx| {
                let end = k.increment_validator_period(ctx, &v).unwrap();
                k.calculate_delegation_rewards(ctx, &v, ALICE, d("100"), end)
            })
            .unwrap_err();
            assert_eq!(err.code, depin_app::error::sdk::INTERNAL);
        });
    }

    #[test]
    fn periods_are_released_with_their_last_reference() {
        world(0, "0", |k, fake, ctx| {
            delegate(k, fake, ctx, ALICE, "100");
            let periods = |ctx: &mut Ctx| -> Vec<(u64, u32)> {
                HISTORICAL
                    .prefix(VAL)
                    .range(
                        &ctx.storage(PREFIX),
                        None,
                        None,
                        cosmwasm_std::Order::Ascending,
                    )
                    .map(|r| r.map(|(p, h)| (p, h.reference_count)).unwrap())
                    .collect()
            };
            // Period 1 ended for Alice's delegation: referenced by her and by the current.
            assert_eq!(periods(ctx), vec![(1, 2)]);
            later(ctx, |ctx| {
                k.withdraw_delegation_rewards(ctx, ALICE, VAL).unwrap()
            });
            assert_eq!(periods(ctx), vec![(2, 2)]);
            later(ctx, |ctx| {
                k.update_validator_slash_fraction(ctx, VAL, d("0.1"))
                    .unwrap()
            });
            // The slash keeps period 3; Alice still holds 2.
            assert_eq!(periods(ctx), vec![(2, 1), (3, 2)]);
            // A zero-token validator's rewards go to the community pool.
            let mut v = k.must_validator(ctx, VAL).unwrap();
            k.allocate_to_validator(ctx, &v, &udepin("7")).unwrap();
            v.tokens = Uint128::zero();
            k.increment_validator_period(ctx, &v).unwrap();
            assert_eq!(k.community_pool(ctx).unwrap(), udepin("7"));
            assert!(k.outstanding_rewards(ctx, VAL).unwrap().is_zero());
        });
    }
}
