//! What must hold after every block (checked by simulations, tests and genesis import).

use cosmwasm_std::Uint128;
use depin_app::address::module_address;
use depin_app::context::Ctx;

use crate::keeper::{RewardsKeeper, REWARDS_MODULE_ACCOUNT};
use crate::state::{CREDITS, DEVICE_POTS, DEVICE_VESTING, EMISSIONS, PENDING, PREFIX};

fn sum(values: impl Iterator<Item = Result<Uint128, String>>) -> Result<Uint128, String> {
    let mut total = Uint128::zero();
    for v in values {
        total = total
            .checked_add(v?)
            .map_err(|_| "a sum overflows".to_string())?;
    }
    Ok(total)
}

/// - the `rewards` module account holds exactly the two buckets plus every claimable reward;
/// - minted = the four buckets' shares; each bucket's share = what it still holds + what it
///   paid (+ what providers' caps sent to the community pool);
/// - paid to devices and providers = claimed + claimable;
/// - minted, scheduled and capped = the sums over the recorded epochs, capped = scheduled −
///   minted;
/// - credits minted = credits held + credits spent;
/// - a payout in progress has no more left to pay than its bucket holds.
pub fn check(k: &RewardsKeeper, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
    let e = |e: depin_app::error::AppError| e.to_string();
    let params = k.params(ctx).map_err(e)?;
    let totals = k.totals(ctx).map_err(e)?;
    let pools = k.pools(ctx).map_err(e)?;
    let store = ctx.storage(PREFIX);
    let asc = cosmwasm_std::Order::Ascending;
    let pending = sum(PENDING
        .range(&store, None, None, asc)
        .map(|r| r.map(|(_, p)| p.total()).map_err(|e| e.to_string())))?;
    let pots = sum(DEVICE_POTS
        .range(&store, None, None, asc)
        .map(|r| r.map(|(_, a)| a).map_err(|e| e.to_string())))?;
    let vesting = DEVICE_VESTING
        .may_load(&store)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let held_credits = sum(CREDITS
        .range(&store, None, None, asc)
        .map(|r| r.map(|(_, c)| c).map_err(|e| e.to_string())))?;
    let (mut minted, mut scheduled) = (Uint128::zero(), Uint128::zero());
    for r in EMISSIONS.range(&store, None, None, asc) {
        let (_, em) = r.map_err(|e| e.to_string())?;
        minted = minted.checked_add(em.minted).map_err(|e| e.to_string())?;
        let s = em
            .base
            .checked_add(em.baseline)
            .map_err(|e| e.to_string())?;
        scheduled = scheduled.checked_add(s).map_err(|e| e.to_string())?;
    }
    drop(store);
    let add = |a: Uint128, b: Uint128| a.checked_add(b).map_err(|e| e.to_string());
    let balance = k
        .bank()
        .balance(ctx, &module_address(REWARDS_MODULE_ACCOUNT), &params.denom)
        .map_err(e)?;
    let owed = add(add(pools.devices, pools.providers)?, pending)?;
    if balance != owed {
        return Err(format!(
            "the {REWARDS_MODULE_ACCOUNT} module account holds {balance}{d}, but the buckets \
             ({}, {}) and claimable rewards ({pending}) add up to {owed}{d}",
            pools.devices,
            pools.providers,
            d = params.denom
        ));
    }
    let shares = add(
        add(totals.to_validators, totals.to_devices)?,
        add(totals.to_providers, totals.to_community)?,
    )?;
    if shares != totals.minted {
        return Err(format!(
            "minted {} but the buckets got {shares}",
            totals.minted
        ));
    }
    let device_out = add(
        add(pools.devices, totals.paid_devices)?,
        totals.devices_to_community,
    )?;
    if totals.to_devices != device_out {
        return Err(format!(
            "the device bucket got {} but holds {}, paid {} and sent {} to the community pool",
            totals.to_devices, pools.devices, totals.paid_devices, totals.devices_to_community
        ));
    }
    // The device bucket is what still vests, the epochs' pots, and what the payout in
    // progress has not paid yet.
    let payout = k.device_payout(ctx).map_err(e)?;
    let in_payout = payout
        .current
        .as_ref()
        .map_or(Uint128::zero(), |p| p.amount.saturating_sub(p.paid));
    let parts = add(add(vesting.left, pots)?, in_payout)?;
    if parts != pools.devices {
        return Err(format!(
            "the device bucket holds {} but vesting ({}), pots ({pots}) and the payout in \
             progress ({in_payout}) add up to {parts}",
            pools.devices, vesting.left
        ));
    }
    let provider_out = add(
        add(pools.providers, totals.paid_providers)?,
        totals.provider_excess,
    )?;
    if totals.to_providers != provider_out {
        return Err(format!(
            "the provider bucket got {} but holds {}, paid {} and sent {} above caps",
            totals.to_providers, pools.providers, totals.paid_providers, totals.provider_excess
        ));
    }
    if add(totals.paid_devices, totals.paid_providers)? != add(totals.claimed, pending)? {
        return Err(format!(
            "paid {} + {} but claimed {} and {pending} claimable",
            totals.paid_devices, totals.paid_providers, totals.claimed
        ));
    }
    // (The scheduled and capped statistics saturate instead of overflowing.)
    if minted != totals.minted
        || (scheduled != totals.scheduled && totals.scheduled != Uint128::MAX)
    {
        return Err(format!(
            "the epochs recorded minted {minted} of {scheduled} scheduled; the totals say {} of {}",
            totals.minted, totals.scheduled
        ));
    }
    if totals.scheduled != Uint128::MAX && add(totals.minted, totals.capped)? != totals.scheduled {
        return Err(format!(
            "minted {} + capped {} ≠ scheduled {}",
            totals.minted, totals.capped, totals.scheduled
        ));
    }
    if totals.credits_minted != add(held_credits, totals.credits_spent)? {
        return Err(format!(
            "{} credits minted but {held_credits} held and {} spent",
            totals.credits_minted, totals.credits_spent
        ));
    }
    for (what, state, pool) in [
        ("device", k.device_payout(ctx).map_err(e)?, pools.devices),
        (
            "provider",
            k.provider_payout(ctx).map_err(e)?,
            pools.providers,
        ),
    ] {
        if let Some(p) = state.current {
            let left = p.amount.saturating_sub(p.paid).saturating_sub(p.excess);
            if left > pool {
                return Err(format!(
                    "the {what} payout of epoch {} has {left} left to pay but its bucket holds {pool}",
                    p.epoch
                ));
            }
        }
    }
    Ok(())
}
