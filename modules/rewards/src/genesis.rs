//! Genesis: params, the epoch clock, totals, the buckets and payouts in progress, every
//! claimable balance, per-device and per-provider earnings, data credits and past emissions.
//! Import checks the document and then the invariants (the module account, funded by the
//! bank's genesis, must hold exactly the buckets and the claimable rewards).

use std::collections::BTreeSet;

use cosmwasm_std::Uint128;
use cw_storage_plus::Bound;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::params::Params;
use crate::state::{
    Clock, Earned, Emitted, PayoutState, Pending, Phase, Pools, Totals, Vesting, CLOCK, CREDITS,
    DEVICE_PAYOUT, DEVICE_POTS, DEVICE_REWARDS, DEVICE_VESTING, EMISSIONS, PARAMS, PENDING, POOLS,
    PREFIX, PROVIDER_PAYOUT, PROVIDER_REWARDS, TOTALS,
};
use crate::RewardsModule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    pub params: Params,
    /// Absent: epoch 0 starts at the genesis height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Clock>,
    #[serde(default)]
    pub totals: Totals,
    #[serde(default)]
    pub pools: Pools,
    /// Absent: sharing starts with the source's epoch at genesis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_payout: Option<PayoutState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_payout: Option<PayoutState>,
    #[serde(default)]
    pub pending: Vec<GenesisPending>,
    #[serde(default)]
    pub device_rewards: Vec<GenesisDeviceRewards>,
    #[serde(default)]
    pub provider_rewards: Vec<GenesisProviderRewards>,
    #[serde(default)]
    pub credits: Vec<GenesisCredits>,
    #[serde(default)]
    pub emissions: Vec<Emitted>,
    /// The device share still vesting, and what vested into each device epoch not yet shared.
    #[serde(default)]
    pub device_vesting: Vesting,
    #[serde(default)]
    pub device_pots: Vec<GenesisPot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPot {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub amount: Uint128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPending {
    pub address: String,
    pub from_devices: Uint128,
    pub from_providers: Uint128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDeviceRewards {
    pub device_id: String,
    #[serde(flatten)]
    pub earned: Earned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisProviderRewards {
    pub provider: String,
    #[serde(flatten)]
    pub earned: Earned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCredits {
    pub address: String,
    pub credits: Uint128,
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    RewardsError::InvalidGenesis(msg.into()).into()
}

fn check_payout(what: &str, p: &Option<PayoutState>, pool: Uint128) -> AppResult<()> {
    if let Some(Some(c)) = p.as_ref().map(|p| p.current.as_ref()) {
        if p.as_ref().map(|p| p.next_epoch) != Some(c.epoch) {
            return Err(invalid(format!(
                "{what}: the payout in progress is not of next_epoch"
            )));
        }
        if c.paid.checked_add(c.excess).map_or(true, |s| s > c.amount) {
            return Err(invalid(format!(
                "{what}: paid + excess exceed the payout's amount"
            )));
        }
        if c.phase == Phase::Pay && c.total_weight.is_zero() {
            return Err(invalid(format!("{what}: paying with a total weight of 0")));
        }
        if c.amount.saturating_sub(c.paid).saturating_sub(c.excess) > pool {
            return Err(invalid(format!(
                "{what}: the payout has more left to pay than its bucket holds"
            )));
        }
    }
    Ok(())
}

impl RewardsModule {
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, g: &GenesisState) -> AppResult<()> {
        g.params
            .validate()
            .map_err(|e| invalid(format!("params: {e}")))?;
        let codec = self.keeper.codec().clone();
        let mut pending = Vec::new();
        let mut seen = BTreeSet::new();
        for p in &g.pending {
            let a = codec
                .decode(&p.address)
                .map_err(|e| invalid(format!("pending {}: {}", p.address, e.message)))?;
            if !seen.insert(a.clone()) {
                return Err(invalid(format!("pending {} is listed twice", p.address)));
            }
            if p.from_devices.is_zero() && p.from_providers.is_zero() {
                return Err(invalid(format!("pending {} is empty", p.address)));
            }
            pending.push((a, p));
        }
        let mut providers = Vec::new();
        let mut seen = BTreeSet::new();
        for p in &g.provider_rewards {
            let a = codec
                .decode(&p.provider)
                .map_err(|e| invalid(format!("provider_rewards {}: {}", p.provider, e.message)))?;
            if !seen.insert(a.clone()) {
                return Err(invalid(format!(
                    "provider_rewards {} is listed twice",
                    p.provider
                )));
            }
            providers.push((a, p));
        }
        let mut devices = BTreeSet::new();
        for d in &g.device_rewards {
            if d.device_id.is_empty() || !devices.insert(d.device_id.as_str()) {
                return Err(invalid(format!(
                    "device_rewards {:?} is empty or listed twice",
                    d.device_id
                )));
            }
        }
        let mut credits = Vec::new();
        let mut seen = BTreeSet::new();
        for c in &g.credits {
            let a = codec
                .decode(&c.address)
                .map_err(|e| invalid(format!("credits {}: {}", c.address, e.message)))?;
            if !seen.insert(a.clone()) || c.credits.is_zero() {
                return Err(invalid(format!(
                    "credits {} is zero or listed twice",
                    c.address
                )));
            }
            credits.push((a, c.credits));
        }
        let mut pots = BTreeSet::new();
        for p in &g.device_pots {
            if !pots.insert(p.epoch) || p.amount.is_zero() {
                return Err(invalid(format!(
                    "device pot of epoch {} is empty or listed twice",
                    p.epoch
                )));
            }
        }
        let mut epochs = BTreeSet::new();
        for e in &g.emissions {
            if !epochs.insert(e.epoch) {
                return Err(invalid(format!(
                    "emission of epoch {} is listed twice",
                    e.epoch
                )));
            }
        }
        let clock = g.clock.unwrap_or(Clock {
            epoch: 0,
            start_height: ctx.env.height,
            capacity: 0,
        });
        if epochs.range(clock.epoch..).next().is_some() {
            return Err(invalid(format!(
                "an emission is recorded for epoch {} or later, which has not ended",
                clock.epoch
            )));
        }
        check_payout("device_payout", &g.device_payout, g.pools.devices)?;
        check_payout("provider_payout", &g.provider_payout, g.pools.providers)?;

        let device_payout = match &g.device_payout {
            Some(p) => p.clone(),
            None => PayoutState {
                next_epoch: self.keeper_devices_epoch(ctx)?,
                current: None,
            },
        };
        let provider_payout = match &g.provider_payout {
            Some(p) => p.clone(),
            None => PayoutState {
                next_epoch: self.keeper_market_epoch(ctx)?,
                current: None,
            },
        };

        let mut store = ctx.storage(PREFIX);
        PARAMS.save(&mut store, &g.params)?;
        CLOCK.save(&mut store, &clock)?;
        TOTALS.save(&mut store, &g.totals)?;
        POOLS.save(&mut store, &g.pools)?;
        DEVICE_PAYOUT.save(&mut store, &device_payout)?;
        PROVIDER_PAYOUT.save(&mut store, &provider_payout)?;
        for (a, p) in pending {
            PENDING.save(
                &mut store,
                &a,
                &Pending {
                    from_devices: p.from_devices,
                    from_providers: p.from_providers,
                },
            )?;
        }
        for d in &g.device_rewards {
            DEVICE_REWARDS.save(&mut store, &d.device_id, &d.earned)?;
        }
        for (a, p) in providers {
            PROVIDER_REWARDS.save(&mut store, &a, &p.earned)?;
        }
        for (a, c) in credits {
            CREDITS.save(&mut store, &a, &c)?;
        }
        for e in &g.emissions {
            EMISSIONS.save(&mut store, e.epoch, e)?;
        }
        DEVICE_VESTING.save(&mut store, &g.device_vesting)?;
        for p in &g.device_pots {
            DEVICE_POTS.save(&mut store, p.epoch, &p.amount)?;
        }
        drop(store);
        crate::invariants::check(&self.keeper, ctx).map_err(invalid)?;
        ctx.take_events();
        Ok(())
    }

    fn keeper_devices_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.keeper.source_epoch_of_devices(ctx)
    }

    fn keeper_market_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.keeper.source_epoch_of_market(ctx)
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let k = &self.keeper;
        let codec = k.codec().clone();
        let params = k.params(ctx)?;
        let clock = k.clock(ctx)?;
        let totals = k.totals(ctx)?;
        let pools = k.pools(ctx)?;
        let device_payout = k.device_payout(ctx)?;
        let provider_payout = k.provider_payout(ctx)?;
        let store = ctx.storage(PREFIX);
        let asc = cosmwasm_std::Order::Ascending;
        let pending = PENDING
            .range(&store, None, None, asc)
            .map(|r| {
                r.map(|(a, p)| GenesisPending {
                    address: codec.encode(&a),
                    from_devices: p.from_devices,
                    from_providers: p.from_providers,
                })
            })
            .collect::<Result<_, _>>()?;
        let device_rewards = DEVICE_REWARDS
            .range(&store, None::<Bound<&str>>, None, asc)
            .map(|r| r.map(|(device_id, earned)| GenesisDeviceRewards { device_id, earned }))
            .collect::<Result<_, _>>()?;
        let provider_rewards = PROVIDER_REWARDS
            .range(&store, None, None, asc)
            .map(|r| {
                r.map(|(a, earned)| GenesisProviderRewards {
                    provider: codec.encode(&a),
                    earned,
                })
            })
            .collect::<Result<_, _>>()?;
        let credits = CREDITS
            .range(&store, None, None, asc)
            .map(|r| {
                r.map(|(a, credits)| GenesisCredits {
                    address: codec.encode(&a),
                    credits,
                })
            })
            .collect::<Result<_, _>>()?;
        let emissions = EMISSIONS
            .range(&store, None, None, asc)
            .map(|r| r.map(|(_, e)| e))
            .collect::<Result<_, _>>()?;
        let device_vesting = DEVICE_VESTING.may_load(&store)?.unwrap_or_default();
        let device_pots = DEVICE_POTS
            .range(&store, None, None, asc)
            .map(|r| r.map(|(epoch, amount)| GenesisPot { epoch, amount }))
            .collect::<Result<_, _>>()?;
        Ok(GenesisState {
            params,
            clock: Some(clock),
            totals,
            pools,
            device_payout: Some(device_payout),
            provider_payout: Some(provider_payout),
            pending,
            device_rewards,
            provider_rewards,
            credits,
            emissions,
            device_vesting,
            device_pots,
        })
    }
}
