//! The validator set CometBFT uses: recomputed at every end block from the power rank, status
//! transitions (Unbonded → Bonded → Unbonding → Unbonded) with their pool transfers, and the
//! historical sets kept for IBC.

use std::collections::BTreeMap;

use cosmwasm_std::{Order, Uint128};
use cw_storage_plus::{Bound, PrefixBound};
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::error::StakingError;
use crate::keeper::{add_seconds, block_time, StakingKeeper, BONDED_POOL, NOT_BONDED_POOL};
use crate::state::{
    HISTORICAL_INFO, LAST_POWERS, LAST_TOTAL_POWER, POWER_RANK, PREFIX, VALIDATORS, VALIDATOR_QUEUE,
};
use crate::types::{BondStatus, HistoricalInfo, Validator};

impl StakingKeeper {
    /// The top `max_validators` non-jailed validators with power above zero become (or stay)
    /// Bonded; every other validator of the last set starts unbonding. Returns the changes
    /// for CometBFT: new or changed powers, and power 0 for those that left.
    pub(crate) fn apply_validator_set_updates(
        &self,
        ctx: &mut Ctx<'_, '_>,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        let params = self.params(ctx)?;
        let mut last: BTreeMap<Vec<u8>, u64> =
            self.last_validator_powers(ctx)?.into_iter().collect();
        let top: Vec<(u64, Vec<u8>)> = POWER_RANK
            .keys(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .take(params.max_validators as usize)
            .collect::<Result<_, _>>()?;
        let mut updates = Vec::new();
        let mut total = Uint128::zero();
        let mut to_bonded = Uint128::zero();
        let mut to_not_bonded = Uint128::zero();
        for (rank, operator) in top {
            let power = u64::MAX - rank;
            if power == 0 {
                break;
            }
            let validator = self.must_validator(ctx, &operator)?;
            let validator = match validator.status {
                BondStatus::Bonded => validator,
                BondStatus::Unbonded | BondStatus::Unbonding => {
                    to_bonded = to_bonded.saturating_add(validator.tokens);
                    self.bond(ctx, validator)?
                }
            };
            if last.remove(&operator) != Some(power) {
                updates.push(validator.abci_update(power));
                LAST_POWERS.save(&mut ctx.storage(PREFIX), &operator, &power)?;
            }
            total = total.saturating_add(Uint128::from(power));
        }
        // What is left of the last set fell out: in operator order, as `last` iterates.
        for operator in last.into_keys() {
            let validator = self.must_validator(ctx, &operator)?;
            if validator.status != BondStatus::Bonded {
                return Err(StakingError::Corrupt(format!(
                    "validator {} is in the last set but not bonded",
                    self.operator_codec().encode(&operator)
                ))
                .into());
            }
            to_not_bonded = to_not_bonded.saturating_add(validator.tokens);
            let validator = self.begin_unbonding(ctx, validator)?;
            LAST_POWERS.remove(&mut ctx.storage(PREFIX), &operator);
            updates.push(validator.abci_update(0));
        }
        // One transfer for the net change between the pools.
        let denom = params.bond_denom;
        if to_bonded > to_not_bonded {
            let coin = Coin {
                denom,
                amount: to_bonded - to_not_bonded,
            };
            self.bank()
                .move_between_modules(ctx, NOT_BONDED_POOL, BONDED_POOL, &coin)?;
        } else if to_not_bonded > to_bonded {
            let coin = Coin {
                denom,
                amount: to_not_bonded - to_bonded,
            };
            self.bank()
                .move_between_modules(ctx, BONDED_POOL, NOT_BONDED_POOL, &coin)?;
        }
        let mut store = ctx.storage(PREFIX);
        if LAST_TOTAL_POWER.may_load(&store)? != Some(total) {
            LAST_TOTAL_POWER.save(&mut store, &total)?;
        }
        Ok(updates)
    }

    /// Unbonded or Unbonding → Bonded (the caller moves the tokens between the pools).
    fn bond(&self, ctx: &mut Ctx<'_, '_>, before: Validator) -> AppResult<Validator> {
        if before.status == BondStatus::Unbonding {
            VALIDATOR_QUEUE.remove(
                &mut ctx.storage(PREFIX),
                (before.unbonding_time.nanos(), &before.operator),
            );
        }
        let mut after = before.clone();
        after.status = BondStatus::Bonded;
        self.set_validator(ctx, Some(&before), &after)?;
        self.hooks()
            .after_validator_bonded(ctx, &after.consensus_address(), &after.operator)?;
        Ok(after)
    }

    /// Bonded → Unbonding until `unbonding_time` from now (the caller moves the tokens).
    fn begin_unbonding(&self, ctx: &mut Ctx<'_, '_>, before: Validator) -> AppResult<Validator> {
        let params = self.params(ctx)?;
        let mut after = before.clone();
        after.status = BondStatus::Unbonding;
        after.unbonding_height = ctx.env.height;
        after.unbonding_time = add_seconds(block_time(ctx), params.unbonding_time)?;
        self.set_validator(ctx, Some(&before), &after)?;
        VALIDATOR_QUEUE.save(
            &mut ctx.storage(PREFIX),
            (after.unbonding_time.nanos(), &after.operator),
            &(),
        )?;
        self.hooks().after_validator_begin_unbonding(
            ctx,
            &after.consensus_address(),
            &after.operator,
        )?;
        Ok(after)
    }

    /// End block: validators whose unbonding time has come become Unbonded; those without
    /// delegations left are deleted.
    pub(crate) fn complete_validator_unbondings(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let now = block_time(ctx);
        let due: Vec<(u64, Vec<u8>)> = VALIDATOR_QUEUE
            .prefix_range(
                &ctx.storage(PREFIX),
                None,
                Some(PrefixBound::inclusive(now.nanos())),
                Order::Ascending,
            )
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        for (time, operator) in due {
            VALIDATOR_QUEUE.remove(&mut ctx.storage(PREFIX), (time, &operator));
            let Some(before) = self.validator(ctx, &operator)? else {
                continue;
            };
            if before.status != BondStatus::Unbonding || before.unbonding_time > now {
                continue;
            }
            let mut after = before.clone();
            after.status = BondStatus::Unbonded;
            self.set_validator(ctx, Some(&before), &after)?;
            if after.delegator_shares.is_zero() {
                self.remove_validator(ctx, &after)?;
            }
        }
        Ok(())
    }

    /// The whole bonded set for CometBFT: after settling the set, every validator of it with
    /// its power (InitChain replaces CometBFT's genesis validators with this).
    pub(crate) fn genesis_validator_set(
        &self,
        ctx: &mut Ctx<'_, '_>,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        self.apply_validator_set_updates(ctx)?;
        let mut out = Vec::new();
        for (operator, power) in self.last_validator_powers(ctx)? {
            out.push(self.must_validator(ctx, &operator)?.abci_update(power));
        }
        Ok(out)
    }

    /// Begin block: records this height's header fields and bonded set, and forgets the
    /// heights beyond `historical_entries`.
    pub(crate) fn track_historical_info(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let entries = u64::from(self.params(ctx)?.historical_entries);
        let height = ctx.env.height;
        // Keep heights (height − entries, height]; usually this deletes one.
        let keep_from = (height + 1).saturating_sub(entries);
        let stale: Vec<u64> = HISTORICAL_INFO
            .keys(
                &ctx.storage(PREFIX),
                None,
                Some(Bound::exclusive(keep_from)),
                Order::Ascending,
            )
            .collect::<Result<_, _>>()?;
        let mut store = ctx.storage(PREFIX);
        for h in stale {
            HISTORICAL_INFO.remove(&mut store, h);
        }
        if entries == 0 {
            return Ok(());
        }
        let mut valset = Vec::new();
        for (operator, power) in self.last_validator_powers(ctx)? {
            valset.push((power, self.must_validator(ctx, &operator)?));
        }
        valset.sort_by(|(pa, a), (pb, b)| pb.cmp(pa).then_with(|| a.operator.cmp(&b.operator)));
        let info = HistoricalInfo {
            chain_id: ctx.env.chain_id.clone(),
            height,
            time: block_time(ctx),
            proposer: ctx.env.proposer.clone().into(),
            valset: valset.into_iter().map(|(_, v)| v).collect(),
        };
        HISTORICAL_INFO.save(&mut ctx.storage(PREFIX), height, &info)?;
        Ok(())
    }

    /// Validators in operator order (for genesis export and invariants).
    pub(crate) fn all_validators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<Validator>> {
        let store = ctx.storage(PREFIX);
        Ok(VALIDATORS
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, v)| v))
            .collect::<Result<_, _>>()?)
    }
}
