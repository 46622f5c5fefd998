//! The module's invariants: the pools hold exactly the stake, shares add up, and every index
//! mirrors the collection it indexes. They read all state: for tests and simulation, not for
//! blocks.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{Decimal256, Order, Uint128};
use depin_app::context::Ctx;
use depin_app::error::AppError;

use crate::keeper::{rank_key, StakingKeeper};
use crate::state::{
    Triple, DELEGATIONS, DELEGATIONS_BY_VALIDATOR, LAST_POWERS, LAST_TOTAL_POWER, POWER_RANK,
    PREFIX, REDELEGATIONS, REDELEGATIONS_BY_DST, REDELEGATIONS_BY_SRC, REDELEGATION_QUEUE,
    UNBONDING, UNBONDING_BY_VALIDATOR, UNBONDING_QUEUE, VALIDATORS_BY_CONS, VALIDATOR_QUEUE,
};
use crate::types::BondStatus;

fn err(e: AppError) -> String {
    e.message
}

fn sum(a: Uint128, b: Uint128) -> Result<Uint128, String> {
    a.checked_add(b).map_err(|e| e.to_string())
}

impl StakingKeeper {
    pub(crate) fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let ops = self.operator_codec().clone();
        let validators = self.all_validators(ctx).map_err(err)?;
        let store = ctx.storage(PREFIX);

        // Pools.
        let (mut bonded, mut not_bonded) = (Uint128::zero(), Uint128::zero());
        for v in &validators {
            if v.status == BondStatus::Bonded {
                bonded = sum(bonded, v.tokens)?;
            } else {
                not_bonded = sum(not_bonded, v.tokens)?;
            }
        }
        let mut ubd_queue = BTreeSet::new();
        let mut ubd_index = BTreeSet::new();
        for r in UNBONDING.range(&store, None, None, Order::Ascending) {
            let ((d, v), ubd) = r.map_err(|e| e.to_string())?;
            if ubd.entries.is_empty() {
                return Err(format!(
                    "an empty unbonding delegation from {} is stored",
                    ops.encode(&v)
                ));
            }
            for e in &ubd.entries {
                if e.balance > e.initial_balance {
                    return Err(format!(
                        "an unbonding entry from {} has balance {} above its initial {}",
                        ops.encode(&v),
                        e.balance,
                        e.initial_balance
                    ));
                }
                not_bonded = sum(not_bonded, e.balance)?;
                ubd_queue.insert((e.completion_time.nanos(), d.clone(), v.clone()));
            }
            ubd_index.insert((v, d));
        }
        drop(store);
        let (have_bonded, have_not_bonded) = self.pool_balances(ctx).map_err(err)?;
        if have_bonded != bonded {
            return Err(format!(
                "bonded pool holds {have_bonded}, bonded validators' tokens are {bonded}"
            ));
        }
        if have_not_bonded != not_bonded {
            return Err(format!(
                "not-bonded pool holds {have_not_bonded}, unbonded and unbonding validators' \
                 tokens plus unbonding entries are {not_bonded}"
            ));
        }
        let store = ctx.storage(PREFIX);

        // Shares, and the delegation index.
        let mut shares: BTreeMap<Vec<u8>, Decimal256> = BTreeMap::new();
        let mut del_index = BTreeSet::new();
        for r in DELEGATIONS.range(&store, None, None, Order::Ascending) {
            let ((d, v), s) = r.map_err(|e| e.to_string())?;
            if s.is_zero() {
                return Err(format!("a zero delegation to {} is stored", ops.encode(&v)));
            }
            let total = shares.entry(v.clone()).or_default();
            *total = total.checked_add(s).map_err(|e| e.to_string())?;
            del_index.insert((v, d));
        }
        for v in &validators {
            let held = shares.remove(v.operator.as_slice()).unwrap_or_default();
            if held != v.delegator_shares {
                return Err(format!(
                    "validator {} has {} delegator shares, its delegations hold {}",
                    ops.encode(&v.operator),
                    v.delegator_shares,
                    held
                ));
            }
        }
        if let Some(op) = shares.keys().next() {
            return Err(format!(
                "delegations to {}, which does not exist",
                ops.encode(op)
            ));
        }
        let index: BTreeSet<(Vec<u8>, Vec<u8>)> = DELEGATIONS_BY_VALIDATOR
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if index != del_index {
            return Err("the delegations-by-validator index differs from the delegations".into());
        }
        let index: BTreeSet<(Vec<u8>, Vec<u8>)> = UNBONDING_BY_VALIDATOR
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if index != ubd_index {
            return Err("the unbonding-by-validator index differs from the unbondings".into());
        }
        let queue: BTreeSet<(u64, Vec<u8>, Vec<u8>)> = UNBONDING_QUEUE
            .keys(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(t, (d, v))| (t, d, v)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if queue != ubd_queue {
            return Err("the unbonding queue differs from the unbonding entries".into());
        }

        // Redelegations and their indexes.
        let (mut by_src, mut by_dst, mut red_queue) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for r in REDELEGATIONS.range(&store, None, None, Order::Ascending) {
            let ((d, s, t), red) = r.map_err(|e| e.to_string())?;
            if red.entries.is_empty() {
                return Err("an empty redelegation is stored".into());
            }
            for e in &red.entries {
                red_queue.insert((e.completion_time.nanos(), d.clone(), s.clone(), t.clone()));
            }
            by_src.insert((s.clone(), d.clone(), t.clone()));
            by_dst.insert((t, d, s));
        }
        let triples = |m: &cw_storage_plus::Map<Triple, ()>| {
            m.keys(&store, None, None, Order::Ascending)
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(|e| e.to_string())
        };
        if triples(&REDELEGATIONS_BY_SRC)? != by_src || triples(&REDELEGATIONS_BY_DST)? != by_dst {
            return Err("a redelegation index differs from the redelegations".into());
        }
        type Due = (u64, Vec<u8>, Vec<u8>, Vec<u8>);
        let queue: BTreeSet<Due> = REDELEGATION_QUEUE
            .keys(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(t, (d, s, x))| (t, d, s, x)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if queue != red_queue {
            return Err("the redelegation queue differs from the redelegation entries".into());
        }

        // Power rank, consensus index, validator queue, last set.
        let rank: BTreeSet<(u64, Vec<u8>)> = POWER_RANK
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let expected: BTreeSet<(u64, Vec<u8>)> = validators.iter().filter_map(rank_key).collect();
        if rank != expected {
            return Err("the power rank differs from the validators' tokens and jail".into());
        }
        let cons: BTreeMap<Vec<u8>, Vec<u8>> = VALIDATORS_BY_CONS
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(c, op)| (c, op.to_vec())))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let expected: BTreeMap<Vec<u8>, Vec<u8>> = validators
            .iter()
            .map(|v| (v.consensus_address(), v.operator.to_vec()))
            .collect();
        if cons != expected {
            return Err("the consensus-address index differs from the validators".into());
        }
        let queue: BTreeSet<(u64, Vec<u8>)> = VALIDATOR_QUEUE
            .keys(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let expected: BTreeSet<(u64, Vec<u8>)> = validators
            .iter()
            .filter(|v| v.status == BondStatus::Unbonding)
            .map(|v| (v.unbonding_time.nanos(), v.operator.to_vec()))
            .collect();
        if queue != expected {
            return Err("the validator queue differs from the unbonding validators".into());
        }
        let last: BTreeMap<Vec<u8>, u64> = LAST_POWERS
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let bonded: BTreeSet<Vec<u8>> = validators
            .iter()
            .filter(|v| v.status == BondStatus::Bonded)
            .map(|v| v.operator.to_vec())
            .collect();
        if last.keys().cloned().collect::<BTreeSet<_>>() != bonded {
            return Err("the last validator set is not the set of bonded validators".into());
        }
        let total = last
            .values()
            .fold(Uint128::zero(), |a, p| a.saturating_add(Uint128::from(*p)));
        let stored = LAST_TOTAL_POWER
            .may_load(&store)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if total != stored {
            return Err(format!(
                "last total power {stored} is not the sum of last powers {total}"
            ));
        }
        Ok(())
    }
}
