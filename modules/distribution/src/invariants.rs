//! The module's invariants (README.md § Invariants), checked after every block by the
//! tests and the simulation.

use std::collections::BTreeMap;

use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::AppError;

use crate::dec::DecCoins;
use crate::keeper::dry_run;
use crate::state::{
    CurrentRewards, StartingInfo, COMMISSION, CURRENT, HISTORICAL, OUTSTANDING, PREFIX,
    SLASH_EVENTS, STARTING_INFOS,
};
use crate::DistributionModule;

/// ((operator, delegator), starting info).
type StartingEntry = ((Vec<u8>, Vec<u8>), StartingInfo);

impl DistributionModule {
    /// README.md § Invariants.
    pub(crate) fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let err = |e: AppError| e.to_string();
        let k = &self.keeper;
        let ops = k.operator_codec().clone();

        // 1. The module account holds exactly the outstanding rewards and the pool.
        let holdings = k.holdings(ctx).map_err(err)?;
        let balance = DecCoins::from_coins(
            &k.bank()
                .all_balances(ctx, &k.module_address())
                .map_err(err)?,
        );
        if balance != holdings {
            return Err(format!(
                "the module account holds {balance} but outstanding rewards and the community \
                 pool add up to {holdings}"
            ));
        }

        // 2. Distribution tracks exactly the staking validators.
        let staking_ops = k.staking().operators(ctx).map_err(err)?;
        let store = ctx.storage(PREFIX);
        let current: BTreeMap<Vec<u8>, CurrentRewards> = CURRENT
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let outstanding: BTreeMap<Vec<u8>, DecCoins> = OUTSTANDING
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let commission: BTreeMap<Vec<u8>, DecCoins> = COMMISSION
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let tracked: Vec<&Vec<u8>> = current.keys().collect();
        let staked: Vec<&Vec<u8>> = staking_ops.iter().collect();
        if tracked != staked
            || outstanding.keys().ne(current.keys())
            || commission.keys().ne(current.keys())
        {
            return Err(format!(
                "distribution tracks {} validators ({} outstanding, {} commission records) but \
                 staking has {}",
                current.len(),
                outstanding.len(),
                commission.len(),
                staking_ops.len()
            ));
        }

        // 3. Reference counts are exactly the references.
        let mut expected: BTreeMap<(Vec<u8>, u64), u64> = BTreeMap::new();
        for (v, c) in &current {
            *expected
                .entry((v.clone(), c.period.saturating_sub(1)))
                .or_default() += 1;
        }
        let starting: Vec<StartingEntry> = STARTING_INFOS
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        for ((v, _), s) in &starting {
            *expected.entry((v.clone(), s.previous_period)).or_default() += 1;
        }
        for r in SLASH_EVENTS.range(&store, None, None, Order::Ascending) {
            let ((v, _, p), _) = r.map_err(|e| e.to_string())?;
            *expected.entry((v, p)).or_default() += 1;
        }
        let mut found: BTreeMap<(Vec<u8>, u64), u64> = BTreeMap::new();
        for r in HISTORICAL.range(&store, None, None, Order::Ascending) {
            let ((v, p), h) = r.map_err(|e| e.to_string())?;
            found.insert((v, p), u64::from(h.reference_count));
        }
        if found != expected {
            let diff = expected
                .iter()
                .find(|(key, n)| found.get(*key) != Some(*n))
                .or_else(|| found.iter().find(|(key, n)| expected.get(*key) != Some(*n)));
            return Err(match diff {
                Some(((v, p), _)) => format!(
                    "period {p} of {} is referred to {} times but counts {}",
                    ops.encode(v),
                    expected.get(&(v.clone(), *p)).copied().unwrap_or(0),
                    found.get(&(v.clone(), *p)).copied().unwrap_or(0)
                ),
                None => "reference counts differ".into(),
            });
        }

        // 4. Every delegation has a starting info and every starting info a delegation;
        // 5. commission ≤ outstanding, and everything owed fits in what is outstanding.
        let mut starting_of: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
        for ((v, d), _) in starting {
            starting_of.entry(v).or_default().push(d);
        }
        for operator in &staking_ops {
            let delegations = k.staking().delegations_to(ctx, operator).map_err(err)?;
            let delegators: Vec<Vec<u8>> = delegations.iter().map(|(d, _)| d.clone()).collect();
            if starting_of.remove(operator).unwrap_or_default() != delegators {
                return Err(format!(
                    "the starting infos of {} do not match its delegations",
                    ops.encode(operator)
                ));
            }
            let out = outstanding.get(operator).cloned().unwrap_or_default();
            let com = commission.get(operator).cloned().unwrap_or_default();
            let (owed, out_now) = dry_run(ctx, |ctx| {
                let validator = k.must_validator(ctx, operator)?;
                let ending = k.increment_validator_period(ctx, &validator)?;
                let mut owed = com.clone();
                for (d, shares) in &delegations {
                    let r = k.calculate_delegation_rewards(ctx, &validator, d, *shares, ending)?;
                    owed = owed.add(&r)?;
                }
                Ok((owed, k.outstanding_rewards(ctx, operator)?))
            })
            .map_err(err)?;
            if !out.covers(&com) || !out_now.covers(&owed) {
                return Err(format!(
                    "{} owes {owed} (commission {com}) but has {out_now} outstanding",
                    ops.encode(operator)
                ));
            }
        }
        if let Some(v) = starting_of.keys().next() {
            return Err(format!(
                "starting infos of {}, which staking does not know",
                ops.encode(v)
            ));
        }
        Ok(())
    }
}
