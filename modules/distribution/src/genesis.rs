//! Genesis import and export, in the Cosmos SDK's JSON shape (`app_state.distribution`).
//! Heights are kept as they are: a chain restarted from an export at height H starts at
//! H + 1, so starting-info and slash-event heights keep their meaning.

use std::collections::BTreeMap;

use cosmwasm_std::{Binary, Decimal256, Order};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_staking::dec;
use serde::{Deserialize, Serialize};

use crate::dec::{DecCoin, DecCoins};
use crate::error::DistributionError;
use crate::keeper::MODULE_ACCOUNT;
use crate::params::Params;
use crate::state::{
    CurrentRewards, HistoricalRewards, SlashEvent, StartingInfo, COMMISSION, COMMUNITY_POOL,
    CURRENT, HISTORICAL, OUTSTANDING, PARAMS, PREFIX, PREVIOUS_PROPOSER, SLASH_EVENTS,
    STARTING_INFOS, WITHDRAW_ADDRS,
};
use crate::DistributionModule;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub fee_pool: FeePool,
    pub delegator_withdraw_infos: Vec<DelegatorWithdrawInfo>,
    /// Consensus address (bech32) of the last proposer, or empty.
    pub previous_proposer: String,
    pub outstanding_rewards: Vec<OutstandingRewardsRecord>,
    pub validator_accumulated_commissions: Vec<CommissionRecord>,
    pub validator_historical_rewards: Vec<HistoricalRewardsRecord>,
    pub validator_current_rewards: Vec<CurrentRewardsRecord>,
    pub delegator_starting_infos: Vec<StartingInfoRecord>,
    pub validator_slash_events: Vec<SlashEventRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeePool {
    pub community_pool: Vec<DecCoin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatorWithdrawInfo {
    pub delegator_address: String,
    pub withdraw_address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutstandingRewardsRecord {
    pub validator_address: String,
    #[serde(default)]
    pub outstanding_rewards: Vec<DecCoin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionRecord {
    pub validator_address: String,
    #[serde(default)]
    pub accumulated: AccumulatedCommission,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccumulatedCommission {
    pub commission: Vec<DecCoin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalRewardsRecord {
    pub validator_address: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub period: u64,
    pub rewards: HistoricalRewardsJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalRewardsJson {
    #[serde(default)]
    pub cumulative_reward_ratio: Vec<DecCoin>,
    /// A uint32: a JSON number, as the SDK writes it.
    pub reference_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentRewardsRecord {
    pub validator_address: String,
    pub rewards: CurrentRewardsJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentRewardsJson {
    #[serde(default)]
    pub rewards: Vec<DecCoin>,
    #[serde(with = "depin_app::json::u64_string")]
    pub period: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingInfoRecord {
    pub delegator_address: String,
    pub validator_address: String,
    pub starting_info: StartingInfoJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingInfoJson {
    #[serde(with = "depin_app::json::u64_string")]
    pub previous_period: u64,
    #[serde(with = "dec::json")]
    pub stake: Decimal256,
    #[serde(with = "depin_app::json::u64_string")]
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashEventRecord {
    pub validator_address: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub height: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub period: u64,
    pub validator_slash_event: SlashEventJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashEventJson {
    #[serde(with = "depin_app::json::u64_string")]
    pub validator_period: u64,
    #[serde(with = "dec::json")]
    pub fraction: Decimal256,
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    DistributionError::InvalidGenesis(msg.into()).into()
}

fn coins(list: &[DecCoin], what: &str) -> AppResult<DecCoins> {
    DecCoins::validated(list.to_vec(), what).map_err(|e| invalid(e.to_string()))
}

/// Per validator: what its records must agree on.
#[derive(Default)]
struct ValidatorRecords {
    current: Option<CurrentRewards>,
    outstanding: Option<DecCoins>,
    commission: Option<DecCoins>,
}

impl DistributionModule {
    /// Refuses: invalid params, coins or addresses; a record listed twice; records of a
    /// validator without current rewards; a period at or after the current one; reference
    /// counts that do not match the references (the current rewards, starting infos and
    /// slash events); commission above what is outstanding; and a module account whose
    /// balance is not exactly the outstanding rewards plus the community pool (the bank's
    /// genesis must come first).
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, g: &GenesisState) -> AppResult<()> {
        g.params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let accounts = self.keeper.codec().clone();
        let operators = self.keeper.operator_codec().clone();
        let acc = |a: &str| {
            accounts
                .decode(a)
                .map_err(|e| invalid(format!("address {a:?}: {}", e.message)))
        };
        let op = |a: &str| {
            operators
                .decode(a)
                .map_err(|e| invalid(format!("validator address {a:?}: {}", e.message)))
        };
        let pool = coins(&g.fee_pool.community_pool, "community pool")?;

        let mut withdraw = BTreeMap::new();
        for w in &g.delegator_withdraw_infos {
            let d = acc(&w.delegator_address)?;
            let to = acc(&w.withdraw_address)?;
            if withdraw.insert(d, to).is_some() {
                return Err(invalid(format!(
                    "withdraw address of {} is listed twice",
                    w.delegator_address
                )));
            }
        }

        let mut validators: BTreeMap<Vec<u8>, ValidatorRecords> = BTreeMap::new();
        for r in &g.validator_current_rewards {
            let v = op(&r.validator_address)?;
            if r.rewards.period == 0 {
                return Err(invalid(format!(
                    "current rewards of {} have period 0 (periods start at 1)",
                    r.validator_address
                )));
            }
            let slot = validators.entry(v).or_default();
            if slot.current.is_some() {
                return Err(invalid(format!(
                    "current rewards of {} are listed twice",
                    r.validator_address
                )));
            }
            slot.current = Some(CurrentRewards {
                rewards: coins(&r.rewards.rewards, "current rewards")?,
                period: r.rewards.period,
            });
        }
        let tracked = |validators: &BTreeMap<Vec<u8>, ValidatorRecords>,
                       v: &[u8],
                       name: &str,
                       what: &str|
         -> AppResult<()> {
            if validators.get(v).is_none_or(|r| r.current.is_none()) {
                return Err(invalid(format!(
                    "{what} of {name}, which has no current rewards"
                )));
            }
            Ok(())
        };
        for r in &g.outstanding_rewards {
            let v = op(&r.validator_address)?;
            tracked(&validators, &v, &r.validator_address, "outstanding rewards")?;
            let slot = validators.entry(v).or_default();
            if slot.outstanding.is_some() {
                return Err(invalid(format!(
                    "outstanding rewards of {} are listed twice",
                    r.validator_address
                )));
            }
            slot.outstanding = Some(coins(&r.outstanding_rewards, "outstanding rewards")?);
        }
        for r in &g.validator_accumulated_commissions {
            let v = op(&r.validator_address)?;
            tracked(&validators, &v, &r.validator_address, "commission")?;
            let slot = validators.entry(v).or_default();
            if slot.commission.is_some() {
                return Err(invalid(format!(
                    "commission of {} is listed twice",
                    r.validator_address
                )));
            }
            slot.commission = Some(coins(&r.accumulated.commission, "commission")?);
        }

        // Expected references per (validator, period).
        let mut expected: BTreeMap<(Vec<u8>, u64), u64> = BTreeMap::new();
        for (v, r) in &validators {
            if let Some(c) = &r.current {
                *expected.entry((v.clone(), c.period - 1)).or_default() += 1;
            }
        }
        let current_period = |validators: &BTreeMap<Vec<u8>, ValidatorRecords>, v: &[u8]| {
            validators
                .get(v)
                .and_then(|r| r.current.as_ref())
                .map(|c| c.period)
                .unwrap_or(0)
        };
        let mut starting = BTreeMap::new();
        for s in &g.delegator_starting_infos {
            let v = op(&s.validator_address)?;
            let d = acc(&s.delegator_address)?;
            tracked(&validators, &v, &s.validator_address, "a starting info")?;
            let info = &s.starting_info;
            if info.previous_period >= current_period(&validators, &v) {
                return Err(invalid(format!(
                    "starting info of {} at {} refers to period {}, not yet ended",
                    s.delegator_address, s.validator_address, info.previous_period
                )));
            }
            *expected
                .entry((v.clone(), info.previous_period))
                .or_default() += 1;
            let value = StartingInfo {
                previous_period: info.previous_period,
                stake: info.stake,
                height: info.height,
            };
            if starting.insert((v, d), value).is_some() {
                return Err(invalid(format!(
                    "starting info of {} at {} is listed twice",
                    s.delegator_address, s.validator_address
                )));
            }
        }
        let mut slashes = BTreeMap::new();
        for s in &g.validator_slash_events {
            let v = op(&s.validator_address)?;
            tracked(&validators, &v, &s.validator_address, "a slash event")?;
            let e = &s.validator_slash_event;
            if e.validator_period != s.period {
                return Err(invalid(format!(
                    "slash event of {} at height {} has period {} and validator period {}",
                    s.validator_address, s.height, s.period, e.validator_period
                )));
            }
            if e.validator_period >= current_period(&validators, &v) {
                return Err(invalid(format!(
                    "slash event of {} at height {} ends period {}, not yet ended",
                    s.validator_address, s.height, e.validator_period
                )));
            }
            if e.fraction > Decimal256::one() {
                return Err(invalid(format!(
                    "slash event of {} has fraction {} above 1",
                    s.validator_address,
                    dec::fmt(e.fraction)
                )));
            }
            *expected.entry((v.clone(), s.period)).or_default() += 1;
            let value = SlashEvent {
                validator_period: e.validator_period,
                fraction: e.fraction,
            };
            if slashes.insert((v, s.height, s.period), value).is_some() {
                return Err(invalid(format!(
                    "slash event of {} at height {} period {} is listed twice",
                    s.validator_address, s.height, s.period
                )));
            }
        }
        let mut historical = BTreeMap::new();
        for h in &g.validator_historical_rewards {
            let v = op(&h.validator_address)?;
            tracked(&validators, &v, &h.validator_address, "historical rewards")?;
            let refs = expected.remove(&(v.clone(), h.period)).unwrap_or(0);
            if u64::from(h.rewards.reference_count) != refs {
                return Err(invalid(format!(
                    "historical rewards of {} for period {} count {} references but {refs} \
                     refer to it (or it is listed twice)",
                    h.validator_address, h.period, h.rewards.reference_count
                )));
            }
            let value = HistoricalRewards {
                cumulative_reward_ratio: coins(
                    &h.rewards.cumulative_reward_ratio,
                    "cumulative reward ratio",
                )?,
                reference_count: h.rewards.reference_count,
            };
            if h.rewards.reference_count == 0 || historical.insert((v, h.period), value).is_some() {
                return Err(invalid(format!(
                    "historical rewards of {} for period {} are listed twice or unreferenced",
                    h.validator_address, h.period
                )));
            }
        }
        if let Some(((v, p), n)) = expected.into_iter().next() {
            return Err(invalid(format!(
                "period {p} of {} is referred to {n} times but has no historical rewards",
                operators.encode(&v)
            )));
        }

        let mut holdings = pool.clone();
        for (v, r) in &validators {
            let outstanding = r.outstanding.clone().unwrap_or_default();
            let commission = r.commission.clone().unwrap_or_default();
            if !outstanding.covers(&commission) {
                return Err(invalid(format!(
                    "commission {commission} of {} is more than its outstanding rewards \
                     {outstanding}",
                    operators.encode(v)
                )));
            }
            holdings = holdings
                .add(&outstanding)
                .map_err(|e| invalid(e.to_string()))?;
        }
        let module = self.keeper.module_address();
        let balance = DecCoins::from_coins(&self.keeper.bank().all_balances(ctx, &module)?);
        if balance != holdings {
            return Err(invalid(format!(
                "the {MODULE_ACCOUNT} module account holds {balance} but the outstanding rewards \
                 and the community pool add up to {holdings} (the bank's genesis must come \
                 before distribution's)"
            )));
        }
        let proposer = if g.previous_proposer.is_empty() {
            None
        } else {
            Some(
                self.keeper
                    .consensus_codec()
                    .decode(&g.previous_proposer)
                    .map_err(|e| invalid(format!("previous_proposer: {}", e.message)))?,
            )
        };

        let mut store = ctx.storage(PREFIX);
        PARAMS.save(&mut store, &g.params)?;
        if !pool.is_zero() {
            COMMUNITY_POOL.save(&mut store, &pool)?;
        }
        if let Some(p) = proposer {
            PREVIOUS_PROPOSER.save(&mut store, &Binary::from(p))?;
        }
        for (d, to) in withdraw {
            if d != to {
                WITHDRAW_ADDRS.save(&mut store, &d, &Binary::from(to))?;
            }
        }
        for (v, r) in &validators {
            if let Some(c) = &r.current {
                CURRENT.save(&mut store, v, c)?;
            }
            OUTSTANDING.save(&mut store, v, &r.outstanding.clone().unwrap_or_default())?;
            COMMISSION.save(&mut store, v, &r.commission.clone().unwrap_or_default())?;
        }
        for ((v, p), h) in &historical {
            HISTORICAL.save(&mut store, (v, *p), h)?;
        }
        for ((v, d), s) in &starting {
            STARTING_INFOS.save(&mut store, (v, d), s)?;
        }
        for ((v, h, p), e) in &slashes {
            SLASH_EVENTS.save(&mut store, (v, *h, *p), e)?;
        }
        Ok(())
    }

    /// Everything, in store (address) order.
    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let accounts = self.keeper.codec().clone();
        let operators = self.keeper.operator_codec().clone();
        let params = self.keeper.params(ctx)?;
        let pool = self.keeper.community_pool(ctx)?;
        let store = ctx.storage(PREFIX);
        let previous_proposer = PREVIOUS_PROPOSER
            .may_load(&store)?
            .map(|p| self.keeper.consensus_codec().encode(&p))
            .unwrap_or_default();
        let mut g = GenesisState {
            params,
            fee_pool: FeePool {
                community_pool: pool.coins().to_vec(),
            },
            previous_proposer,
            ..Default::default()
        };
        for r in WITHDRAW_ADDRS.range(&store, None, None, Order::Ascending) {
            let (d, to) = r?;
            g.delegator_withdraw_infos.push(DelegatorWithdrawInfo {
                delegator_address: accounts.encode(&d),
                withdraw_address: accounts.encode(&to),
            });
        }
        for r in OUTSTANDING.range(&store, None, None, Order::Ascending) {
            let (v, o) = r?;
            g.outstanding_rewards.push(OutstandingRewardsRecord {
                validator_address: operators.encode(&v),
                outstanding_rewards: o.coins().to_vec(),
            });
        }
        for r in COMMISSION.range(&store, None, None, Order::Ascending) {
            let (v, c) = r?;
            g.validator_accumulated_commissions.push(CommissionRecord {
                validator_address: operators.encode(&v),
                accumulated: AccumulatedCommission {
                    commission: c.coins().to_vec(),
                },
            });
        }
        for r in HISTORICAL.range(&store, None, None, Order::Ascending) {
            let ((v, p), h) = r?;
            g.validator_historical_rewards
                .push(HistoricalRewardsRecord {
                    validator_address: operators.encode(&v),
                    period: p,
                    rewards: HistoricalRewardsJson {
                        cumulative_reward_ratio: h.cumulative_reward_ratio.coins().to_vec(),
                        reference_count: h.reference_count,
                    },
                });
        }
        for r in CURRENT.range(&store, None, None, Order::Ascending) {
            let (v, c) = r?;
            g.validator_current_rewards.push(CurrentRewardsRecord {
                validator_address: operators.encode(&v),
                rewards: CurrentRewardsJson {
                    rewards: c.rewards.coins().to_vec(),
                    period: c.period,
                },
            });
        }
        for r in STARTING_INFOS.range(&store, None, None, Order::Ascending) {
            let ((v, d), s) = r?;
            g.delegator_starting_infos.push(StartingInfoRecord {
                delegator_address: accounts.encode(&d),
                validator_address: operators.encode(&v),
                starting_info: StartingInfoJson {
                    previous_period: s.previous_period,
                    stake: s.stake,
                    height: s.height,
                },
            });
        }
        for r in SLASH_EVENTS.range(&store, None, None, Order::Ascending) {
            let ((v, h, p), e) = r?;
            g.validator_slash_events.push(SlashEventRecord {
                validator_address: operators.encode(&v),
                height: h,
                period: p,
                validator_slash_event: SlashEventJson {
                    validator_period: e.validator_period,
                    fraction: e.fraction,
                },
            });
        }
        Ok(g)
    }
}
