//! Moving stake: delegate, unbond, undelegate, redelegate, cancel an unbonding, and the
//! completion of matured unbondings and redelegations at end block.

use cosmwasm_std::{Decimal256, Order, Timestamp, Uint128};
use cw_storage_plus::PrefixBound;
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::error::StakingError;
use crate::events;
use crate::keeper::{
    add_seconds, block_time, pool_of, StakingKeeper, BONDED_POOL, NOT_BONDED_POOL,
};
use crate::state::{
    DELEGATIONS, DELEGATIONS_BY_VALIDATOR, PREFIX, REDELEGATIONS, REDELEGATIONS_BY_DST,
    REDELEGATIONS_BY_SRC, REDELEGATION_QUEUE, UNBONDING, UNBONDING_BY_VALIDATOR, UNBONDING_QUEUE,
};
use crate::types::{
    BondStatus, Redelegation, RedelegationEntry, UnbondingDelegation, UnbondingEntry, Validator,
};

/// Where the tokens of a delegation come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// The delegator's account.
    Account,
    /// Already staked, in the pool of a validator with this status (a redelegation, a
    /// cancelled unbonding).
    Pool(BondStatus),
}

impl StakingKeeper {
    /// Delegates `amount` tokens to `operator`; returns the shares issued.
    pub(crate) fn delegate(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        amount: Uint128,
        source: TokenSource,
    ) -> AppResult<Decimal256> {
        let validator = self.must_validator(ctx, operator)?;
        if validator.invalid_ex_rate() {
            return Err(
                StakingError::InvalidExchangeRate(self.operator_codec().encode(operator)).into(),
            );
        }
        let held = self.delegation(ctx, delegator, operator)?;
        if held.is_some() {
            self.hooks()
                .before_delegation_shares_modified(ctx, delegator, operator)?;
        } else {
            self.hooks()
                .before_delegation_created(ctx, delegator, operator)?;
        }
        let coin = self.bond_coin(ctx, amount)?;
        let target = pool_of(validator.status);
        match source {
            TokenSource::Account => self
                .bank()
                .delegate_to_module(ctx, delegator, target, &coin)?,
            TokenSource::Pool(status) => {
                let from = pool_of(status);
                if from != target {
                    self.bank().move_between_modules(ctx, from, target, &coin)?;
                }
            }
        }
        // Hooks run before the change and may have written; read the validator again.
        let before = self.must_validator(ctx, operator)?;
        let mut after = before.clone();
        let shares = after.add_tokens_from_delegation(amount)?;
        if shares.is_zero() {
            return Err(StakingError::TinyAmount(coin.to_string()).into());
        }
        self.set_validator(ctx, Some(&before), &after)?;
        let total = held
            .unwrap_or_default()
            .checked_add(shares)
            .map_err(|_| StakingError::Overflow("delegation shares".into()))?;
        let mut store = ctx.storage(PREFIX);
        DELEGATIONS.save(&mut store, (delegator, operator), &total)?;
        DELEGATIONS_BY_VALIDATOR.save(&mut store, (operator, delegator), &())?;
        self.hooks()
            .after_delegation_modified(ctx, delegator, operator)?;
        Ok(shares)
    }

    /// Removes `shares` from a delegation; returns the tokens they were worth (they stay in
    /// the validator's pool: the caller moves them). Jails the validator when its operator's
    /// own stake falls below the minimum self delegation; deletes an Unbonded validator
    /// whose last shares went.
    pub(crate) fn unbond(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        shares: Decimal256,
    ) -> AppResult<Uint128> {
        let held = self
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| self.no_delegation(delegator, operator))?;
        let remaining =
            held.checked_sub(shares)
                .map_err(|_| StakingError::NotEnoughDelegationShares {
                    have: crate::dec::fmt(held),
                    want: crate::dec::fmt(shares),
                })?;
        self.hooks()
            .before_delegation_shares_modified(ctx, delegator, operator)?;
        let before = self.must_validator(ctx, operator)?;
        let mut after = before.clone();
        if delegator == operator
            && !after.jailed
            && before.tokens_for_shares(remaining) < before.min_self_delegation
        {
            after.jailed = true;
        }
        if remaining.is_zero() {
            self.hooks()
                .before_delegation_removed(ctx, delegator, operator)?;
            let mut store = ctx.storage(PREFIX);
            DELEGATIONS.remove(&mut store, (delegator, operator));
            DELEGATIONS_BY_VALIDATOR.remove(&mut store, (operator, delegator));
        } else {
            DELEGATIONS.save(&mut ctx.storage(PREFIX), (delegator, operator), &remaining)?;
            self.hooks()
                .after_delegation_modified(ctx, delegator, operator)?;
        }
        let tokens = after.remove_delegator_shares(shares)?;
        self.set_validator(ctx, Some(&before), &after)?;
        if after.delegator_shares.is_zero() && after.status == BondStatus::Unbonded {
            self.remove_validator(ctx, &after)?;
        }
        Ok(tokens)
    }

    fn no_delegation(&self, delegator: &[u8], operator: &[u8]) -> depin_app::error::AppError {
        StakingError::NoDelegation {
            delegator: self.codec().encode(delegator),
            validator: self.operator_codec().encode(operator),
        }
        .into()
    }

    /// The shares to remove from a delegation of `held` shares for `amount` tokens: rounded
    /// down, except that asking for the whole delegation's worth removes all its shares.
    pub(crate) fn shares_to_unbond(
        &self,
        validator: &Validator,
        held: Decimal256,
        amount: Uint128,
    ) -> AppResult<Decimal256> {
        let worth = validator.tokens_for_shares(held);
        if amount > worth {
            return Err(StakingError::InsufficientShares {
                have: format!("{worth}"),
                want: format!("{amount}"),
            }
            .into());
        }
        if amount == worth {
            return Ok(held);
        }
        Ok(validator.shares_for_tokens(amount)?.min(held))
    }

    /// MsgUndelegate: starts unbonding `amount` tokens. Returns the tokens that will be paid
    /// out and when.
    pub(crate) fn undelegate(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        amount: Uint128,
    ) -> AppResult<(Uint128, Timestamp)> {
        let params = self.params(ctx)?;
        let validator = self.must_validator(ctx, operator)?;
        let held = self
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| self.no_delegation(delegator, operator))?;
        let shares = self.shares_to_unbond(&validator, held, amount)?;
        let height = ctx.env.height;
        let completion = add_seconds(block_time(ctx), params.unbonding_time)?;
        let existing = UNBONDING
            .may_load(&ctx.storage(PREFIX), (delegator, operator))?
            .unwrap_or_default();
        let merges = existing
            .entries
            .iter()
            .any(|e| e.creation_height == height && e.completion_time == completion);
        if !merges && existing.entries.len() >= params.max_entries as usize {
            return Err(StakingError::MaxUnbondingEntries {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(operator),
                max: params.max_entries,
            }
            .into());
        }
        let tokens = self.unbond(ctx, delegator, operator, shares)?;
        let coin = self.bond_coin(ctx, tokens)?;
        if tokens.is_zero() {
            return Err(StakingError::TinyAmount(format!("{amount}{}", coin.denom)).into());
        }
        if validator.status == BondStatus::Bonded {
            self.bank()
                .move_between_modules(ctx, BONDED_POOL, NOT_BONDED_POOL, &coin)?;
        }
        self.add_unbonding_entry(ctx, delegator, operator, height, completion, tokens)?;
        Ok((tokens, completion))
    }

    fn add_unbonding_entry(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        height: u64,
        completion: Timestamp,
        tokens: Uint128,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        let mut ubd = UNBONDING
            .may_load(&store, (delegator, operator))?
            .unwrap_or_default();
        match ubd
            .entries
            .iter_mut()
            .find(|e| e.creation_height == height && e.completion_time == completion)
        {
            Some(e) => {
                let overflow = || StakingError::Overflow("unbonding balance".into());
                e.initial_balance = e
                    .initial_balance
                    .checked_add(tokens)
                    .map_err(|_| overflow())?;
                e.balance = e.balance.checked_add(tokens).map_err(|_| overflow())?;
            }
            None => ubd.entries.push(UnbondingEntry {
                creation_height: height,
                completion_time: completion,
                initial_balance: tokens,
                balance: tokens,
            }),
        }
        UNBONDING.save(&mut store, (delegator, operator), &ubd)?;
        UNBONDING_BY_VALIDATOR.save(&mut store, (operator, delegator), &())?;
        UNBONDING_QUEUE.save(&mut store, (completion.nanos(), (delegator, operator)), &())?;
        Ok(())
    }

    /// Writes `ubd` (deleting the record and its index when it has no entries left) and
    /// drops the queue key of `freed` if no entry completes at that time any more.
    fn store_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        ubd: &UnbondingDelegation,
        freed: Timestamp,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        if ubd.entries.is_empty() {
            UNBONDING.remove(&mut store, (delegator, operator));
            UNBONDING_BY_VALIDATOR.remove(&mut store, (operator, delegator));
        } else {
            UNBONDING.save(&mut store, (delegator, operator), ubd)?;
        }
        if !ubd.entries.iter().any(|e| e.completion_time == freed) {
            UNBONDING_QUEUE.remove(&mut store, (freed.nanos(), (delegator, operator)));
        }
        Ok(())
    }

    /// MsgBeginRedelegate: moves `amount` tokens' worth of shares from `src` to `dst`.
    /// Returns the tokens moved and when the redelegation stops being slashable at `src`.
    pub(crate) fn redelegate(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        src: &[u8],
        dst: &[u8],
        amount: Uint128,
    ) -> AppResult<(Uint128, Timestamp)> {
        if src == dst {
            return Err(StakingError::SelfRedelegation.into());
        }
        let params = self.params(ctx)?;
        let source = self.must_validator(ctx, src)?;
        let destination = self
            .validator(ctx, dst)?
            .ok_or_else(|| StakingError::NoRedelegationDst(self.operator_codec().encode(dst)))?;
        let held = self
            .delegation(ctx, delegator, src)?
            .ok_or_else(|| self.no_delegation(delegator, src))?;
        if destination.invalid_ex_rate() {
            return Err(
                StakingError::InvalidExchangeRate(self.operator_codec().encode(dst)).into(),
            );
        }
        // Stake that arrived at `src` by a redelegation still maturing may not hop again: a
        // slash of its first source must still find it.
        let arriving = REDELEGATIONS_BY_DST
            .prefix((src, delegator))
            .keys_raw(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .next()
            .is_some();
        if arriving {
            return Err(StakingError::TransitiveRedelegation {
                delegator: self.codec().encode(delegator),
                validator: self.operator_codec().encode(src),
            }
            .into());
        }
        let mut red = REDELEGATIONS
            .may_load(&ctx.storage(PREFIX), (delegator, src, dst))?
            .unwrap_or_default();
        if red.entries.len() >= params.max_entries as usize {
            return Err(StakingError::MaxRedelegationEntries {
                delegator: self.codec().encode(delegator),
                src: self.operator_codec().encode(src),
                dst: self.operator_codec().encode(dst),
                max: params.max_entries,
            }
            .into());
        }
        let shares = self.shares_to_unbond(&source, held, amount)?;
        let tokens = self.unbond(ctx, delegator, src, shares)?;
        if tokens.is_zero() {
            return Err(StakingError::TinyAmount(format!("{amount}{}", params.bond_denom)).into());
        }
        let now = block_time(ctx);
        // As in the Cosmos SDK: stake leaving a bonded validator stays slashable for the full
        // unbonding time; leaving an unbonding one, until that one finishes unbonding; an
        // unbonded source cannot be slashed, so nothing is recorded.
        let entry_at = match source.status {
            BondStatus::Bonded => Some((add_seconds(now, params.unbonding_time)?, ctx.env.height)),
            BondStatus::Unbonding => Some((source.unbonding_time, source.unbonding_height)),
            BondStatus::Unbonded => None,
        };
        let shares_dst = self.delegate(
            ctx,
            delegator,
            dst,
            tokens,
            TokenSource::Pool(source.status),
        )?;
        let Some((completion, creation_height)) = entry_at else {
            return Ok((tokens, now));
        };
        red.entries.push(RedelegationEntry {
            creation_height,
            completion_time: completion,
            initial_balance: tokens,
            shares_dst,
        });
        let mut store = ctx.storage(PREFIX);
        REDELEGATIONS.save(&mut store, (delegator, src, dst), &red)?;
        REDELEGATIONS_BY_SRC.save(&mut store, (src, delegator, dst), &())?;
        REDELEGATIONS_BY_DST.save(&mut store, (dst, delegator, src), &())?;
        REDELEGATION_QUEUE.save(&mut store, (completion.nanos(), (delegator, src, dst)), &())?;
        Ok((tokens, completion))
    }

    /// MsgCancelUnbondingDelegation: delegates `amount` of the entry created at
    /// `creation_height` back to the validator.
    pub(crate) fn cancel_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
        amount: Uint128,
        creation_height: u64,
    ) -> AppResult<()> {
        let validator = self.must_validator(ctx, operator)?;
        let op = self.operator_codec().encode(operator);
        if validator.invalid_ex_rate() {
            return Err(StakingError::InvalidExchangeRate(op).into());
        }
        if validator.jailed {
            return Err(StakingError::ValidatorJailed(op).into());
        }
        let mut ubd = UNBONDING
            .may_load(&ctx.storage(PREFIX), (delegator, operator))?
            .ok_or_else(|| StakingError::NoUnbondingDelegation {
                delegator: self.codec().encode(delegator),
                validator: op.clone(),
            })?;
        let now = block_time(ctx);
        let i = ubd
            .entries
            .iter()
            .position(|e| e.creation_height == creation_height)
            .ok_or(StakingError::NoUnbondingEntry(creation_height as i64))?;
        let entry = &mut ubd.entries[i];
        if entry.completion_time <= now {
            return Err(StakingError::InvalidRequest(format!(
                "the unbonding entry created at height {creation_height} has completed"
            ))
            .into());
        }
        entry.balance = entry.balance.checked_sub(amount).map_err(|_| {
            StakingError::InvalidRequest(format!(
                "amount {amount} is more than the entry's balance {}",
                entry.balance
            ))
        })?;
        entry.initial_balance = entry.initial_balance.saturating_sub(amount);
        let freed = entry.completion_time;
        if entry.balance.is_zero() {
            ubd.entries.remove(i);
        }
        self.store_unbonding(ctx, delegator, operator, &ubd, freed)?;
        self.delegate(
            ctx,
            delegator,
            operator,
            amount,
            TokenSource::Pool(BondStatus::Unbonding),
        )?;
        Ok(())
    }

    /// End block: pays out every unbonding entry whose completion time has come.
    pub(crate) fn complete_unbondings(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let now = block_time(ctx);
        type Due = (u64, (Vec<u8>, Vec<u8>));
        let due: Vec<Due> = UNBONDING_QUEUE
            .prefix_range(
                &ctx.storage(PREFIX),
                None,
                Some(PrefixBound::inclusive(now.nanos())),
                Order::Ascending,
            )
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        let denom = self.params(ctx)?.bond_denom;
        for (time, (delegator, operator)) in due {
            UNBONDING_QUEUE.remove(&mut ctx.storage(PREFIX), (time, (&delegator, &operator)));
            // An earlier key of the same pair may have completed these entries already.
            let Some(ubd) = UNBONDING.may_load(&ctx.storage(PREFIX), (&delegator, &operator))?
            else {
                continue;
            };
            let (mature, rest): (Vec<_>, Vec<_>) = ubd
                .entries
                .into_iter()
                .partition(|e| e.completion_time <= now);
            if mature.is_empty() {
                continue;
            }
            let mut total = Uint128::zero();
            for e in &mature {
                total = total
                    .checked_add(e.balance)
                    .map_err(|_| StakingError::Overflow("unbonding payout".into()))?;
            }
            let mut store = ctx.storage(PREFIX);
            if rest.is_empty() {
                UNBONDING.remove(&mut store, (&delegator, &operator));
                UNBONDING_BY_VALIDATOR.remove(&mut store, (&operator, &delegator));
            } else {
                UNBONDING.save(
                    &mut store,
                    (&delegator, &operator),
                    &UnbondingDelegation { entries: rest },
                )?;
            }
            let coin = depin_app::coins::Coin {
                denom: denom.clone(),
                amount: total,
            };
            self.bank()
                .undelegate_from_module(ctx, NOT_BONDED_POOL, &delegator, &coin)?;
            ctx.emit(events::complete_unbonding(
                &coin.to_string(),
                &self.operator_codec().encode(&operator),
                &self.codec().encode(&delegator),
            ));
        }
        Ok(())
    }

    /// End block: forgets every redelegation entry whose completion time has come (its
    /// tokens are already at the destination).
    pub(crate) fn complete_redelegations(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let now = block_time(ctx);
        type Due = (u64, (Vec<u8>, Vec<u8>, Vec<u8>));
        let due: Vec<Due> = REDELEGATION_QUEUE
            .prefix_range(
                &ctx.storage(PREFIX),
                None,
                Some(PrefixBound::inclusive(now.nanos())),
                Order::Ascending,
            )
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        let denom = self.params(ctx)?.bond_denom;
        for (time, (delegator, src, dst)) in due {
            let mut store = ctx.storage(PREFIX);
            REDELEGATION_QUEUE.remove(&mut store, (time, (&delegator, &src, &dst)));
            let Some(red) = REDELEGATIONS.may_load(&store, (&delegator, &src, &dst))? else {
                continue;
            };
            let (mature, rest): (Vec<_>, Vec<_>) = red
                .entries
                .into_iter()
                .partition(|e| e.completion_time <= now);
            if mature.is_empty() {
                continue;
            }
            if rest.is_empty() {
                REDELEGATIONS.remove(&mut store, (&delegator, &src, &dst));
                REDELEGATIONS_BY_SRC.remove(&mut store, (&src, &delegator, &dst));
                REDELEGATIONS_BY_DST.remove(&mut store, (&dst, &delegator, &src));
            } else {
                REDELEGATIONS.save(
                    &mut store,
                    (&delegator, &src, &dst),
                    &Redelegation { entries: rest },
                )?;
            }
            let amount = mature
                .iter()
                .fold(Uint128::zero(), |a, e| a.saturating_add(e.initial_balance));
            ctx.emit(events::complete_redelegation(
                &format!("{amount}{denom}"),
                &self.operator_codec().encode(&src),
                &self.operator_codec().encode(&dst),
                &self.codec().encode(&delegator),
            ));
        }
        Ok(())
    }
}
