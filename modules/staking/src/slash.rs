//! Slashing a validator's stake for an infraction, as the Cosmos SDK does: the validator's
//! tokens, and the unbonding and redelegation entries that left it after the infraction (the
//! stake that was at risk when it happened).

use cosmwasm_std::{Decimal256, Order, Uint128};
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::dec;
use crate::error::StakingError;
use crate::keeper::{block_time, pool_of, StakingKeeper, NOT_BONDED_POOL};
use crate::state::{
    PREFIX, REDELEGATIONS, REDELEGATIONS_BY_SRC, UNBONDING, UNBONDING_BY_VALIDATOR,
};
use crate::types::{BondStatus, POWER_REDUCTION};

/// `burned / tokens`, rounded up to the next 10⁻¹⁸ and at most 1 (`tokens` > 0).
pub(crate) fn effective_fraction(burned: Uint128, tokens: Uint128) -> Decimal256 {
    if tokens.is_zero() || burned >= tokens {
        return Decimal256::one();
    }
    let floor = Decimal256::from_ratio(burned, tokens);
    if dec::mul_floor(tokens, floor) < burned {
        floor
            .checked_add(Decimal256::new(cosmwasm_std::Uint256::one()))
            .unwrap_or(Decimal256::one())
            .min(Decimal256::one())
    } else {
        floor
    }
}

impl StakingKeeper {
    /// Slashes the validator with CometBFT address `consensus` for an infraction at
    /// `infraction_height`, when it had `power`: `fraction` of the stake at risk then is
    /// burned. Unbonding and redelegation entries created at or after the infraction height
    /// lose `fraction` of their initial balance; the validator's tokens pay the rest of
    /// `power × 10^6 × fraction`, up to what it has. Returns the tokens burned.
    ///
    /// A validator that no longer exists or is Unbonded is not slashed (Ok(0)): its stake has
    /// left the period in which it could be.
    pub fn slash(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        infraction_height: u64,
        power: u64,
        fraction: Decimal256,
    ) -> AppResult<Uint128> {
        if fraction > Decimal256::one() {
            return Err(StakingError::InvalidSlash(format!(
                "fraction {} is above 1",
                dec::fmt(fraction)
            ))
            .into());
        }
        if infraction_height > ctx.env.height {
            return Err(StakingError::InvalidSlash(format!(
                "infraction height {infraction_height} is after the current height {}",
                ctx.env.height
            ))
            .into());
        }
        let Some(validator) = self.validator_by_consensus_address(ctx, consensus)? else {
            return Ok(Uint128::zero());
        };
        if validator.status == BondStatus::Unbonded {
            return Ok(Uint128::zero());
        }
        let operator = validator.operator.to_vec();
        let amount = dec::mul_floor(
            Uint128::from(power).saturating_mul(Uint128::new(POWER_REDUCTION)),
            fraction,
        );
        let mut remaining = amount;
        let mut burned = Uint128::zero();
        // At the current height nothing can have left after the infraction yet.
        if infraction_height < ctx.env.height {
            let (due, out) = self.slash_unbondings(ctx, &operator, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(due);
            burned = burned.saturating_add(out);
            let (due, out) =
                self.slash_redelegations(ctx, &operator, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(due);
            burned = burned.saturating_add(out);
        }
        // Redelegation slashing unbonds from other validators only; read ours again anyway.
        let before = self.must_validator(ctx, &operator)?;
        let take = remaining.min(before.tokens);
        if !take.is_zero() {
            // The hook gets the fraction of the validator's tokens actually burned (rounded
            // up, at most 1), as the Cosmos SDK passes it: the configured fraction of the stake
            // at risk then can differ from it (tokens changed since the infraction, entries
            // paid part), and the rewards module must never count more stake than remains.
            let fraction = effective_fraction(take, before.tokens);
            // As in the SDK, a failing hook does not stop the slash (nor the block): its
            // writes are discarded and the error is logged.
            if let Err(e) = ctx.atomic(|ctx| {
                self.hooks()
                    .before_validator_slashed(ctx, &operator, fraction)
            }) {
                eprintln!("depin-staking: before_validator_slashed hook failed: {e}");
            }
            let mut after = before.clone();
            after.tokens -= take;
            self.set_validator(ctx, Some(&before), &after)?;
            let coin = self.bond_coin(ctx, take)?;
            self.bank()
                .burn_from_module(ctx, pool_of(before.status), &coin)?;
            burned = burned.saturating_add(take);
        }
        Ok(burned)
    }

    /// Cuts the unbonding entries from `operator` created at or after `infraction_height`
    /// and not yet complete. Returns (what they owed: fraction × initial balances, what was
    /// burned: capped by their balances).
    fn slash_unbondings(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        infraction_height: u64,
        fraction: Decimal256,
    ) -> AppResult<(Uint128, Uint128)> {
        let now = block_time(ctx);
        let delegators: Vec<Vec<u8>> = UNBONDING_BY_VALIDATOR
            .prefix(operator)
            .keys(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        let (mut due, mut burned) = (Uint128::zero(), Uint128::zero());
        for delegator in delegators {
            let mut store = ctx.storage(PREFIX);
            let Some(mut ubd) = UNBONDING.may_load(&store, (&delegator, operator))? else {
                continue;
            };
            let mut changed = false;
            for e in &mut ubd.entries {
                if e.creation_height < infraction_height || e.completion_time <= now {
                    continue;
                }
                let owed = dec::mul_floor(e.initial_balance, fraction);
                due = due.saturating_add(owed);
                let cut = owed.min(e.balance);
                if cut.is_zero() {
                    continue;
                }
                e.balance -= cut;
                burned = burned.saturating_add(cut);
                changed = true;
            }
            if changed {
                UNBONDING.save(&mut store, (&delegator, operator), &ubd)?;
            }
        }
        let coin = self.bond_coin(ctx, burned)?;
        self.bank().burn_from_module(ctx, NOT_BONDED_POOL, &coin)?;
        Ok((due, burned))
    }

    /// Takes back from the destinations the shares that redelegations from `operator`,
    /// created at or after `infraction_height` and not complete, bought there. Returns (what
    /// they owed, what was burned).
    fn slash_redelegations(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        infraction_height: u64,
        fraction: Decimal256,
    ) -> AppResult<(Uint128, Uint128)> {
        let now = block_time(ctx);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = REDELEGATIONS_BY_SRC
            .sub_prefix(operator)
            .keys(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        let (mut due, mut burned) = (Uint128::zero(), Uint128::zero());
        for (delegator, dst) in pairs {
            let Some(red) =
                REDELEGATIONS.may_load(&ctx.storage(PREFIX), (&delegator, operator, &dst))?
            else {
                continue;
            };
            for e in &red.entries {
                if e.creation_height < infraction_height || e.completion_time <= now {
                    continue;
                }
                due = due.saturating_add(dec::mul_floor(e.initial_balance, fraction));
                let mut shares = e
                    .shares_dst
                    .checked_mul(fraction)
                    .map_err(|_| StakingError::Overflow("redelegation slash".into()))?;
                if shares.is_zero() {
                    continue;
                }
                // The delegator may have moved or unbonded some of it since.
                let Some(held) = self.delegation(ctx, &delegator, &dst)? else {
                    continue;
                };
                shares = shares.min(held);
                let Some(destination) = self.validator(ctx, &dst)? else {
                    continue;
                };
                let tokens = self.unbond(ctx, &delegator, &dst, shares)?;
                let coin = self.bond_coin(ctx, tokens)?;
                self.bank()
                    .burn_from_module(ctx, pool_of(destination.status), &coin)?;
                burned = burned.saturating_add(tokens);
            }
        }
        Ok((due, burned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effective_fraction_rounds_up_and_caps_at_one() {
        let f = |b: u128, t: u128| effective_fraction(Uint128::new(b), Uint128::new(t));
        assert_eq!(f(50, 1_000), Decimal256::percent(5));
        // 50 of 990 = 0.050505…: rounded up, never below what was burned.
        let x = f(50, 990);
        assert!(dec::mul_floor(Uint128::new(990), x) >= Uint128::new(49));
        assert!(
            x * Decimal256::from_ratio(990u128, 1u128) >= Decimal256::from_ratio(50u128, 1u128)
        );
        assert_eq!(
            x,
            Decimal256::from_ratio(50u128, 990u128) + Decimal256::new(1u128.into())
        );
        assert_eq!(f(5, 5), Decimal256::one());
        assert_eq!(f(6, 5), Decimal256::one());
        assert_eq!(f(1, 0), Decimal256::one());
    }
}
