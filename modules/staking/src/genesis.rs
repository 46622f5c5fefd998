//! Genesis in the Cosmos SDK's JSON shape (`app_state.staking`), so genesis files written by
//! the usual tools read as they expect.
//!
//! The bank's genesis must fund the two pool module accounts with exactly the stake this
//! genesis describes (bank genesis runs first); `init` refuses a mismatch.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use cosmwasm_std::{Binary, Decimal256, Order, Timestamp, Uint128};
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::StakingError;
use crate::params::Params;
use crate::state::{
    DELEGATIONS, DELEGATIONS_BY_VALIDATOR, LAST_POWERS, LAST_TOTAL_POWER, PARAMS, PREFIX,
    REDELEGATIONS, REDELEGATIONS_BY_DST, REDELEGATIONS_BY_SRC, REDELEGATION_QUEUE, UNBONDING,
    UNBONDING_BY_VALIDATOR, UNBONDING_QUEUE, VALIDATORS_BY_CONS, VALIDATOR_QUEUE,
};
use crate::types::{
    consensus_address, time_json, BondStatus, Commission, CommissionRates, Description,
    Redelegation, RedelegationEntry, UnbondingDelegation, UnbondingEntry, Validator,
    ED25519_PUBKEY_URL,
};
use crate::{dec, StakingModule};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    pub params: Params,
    /// Read only when `exported`: the sum of `last_validator_powers`.
    pub last_total_power: Uint128,
    /// Read only when `exported`: the set CometBFT last got.
    pub last_validator_powers: Vec<LastValidatorPower>,
    pub validators: Vec<GenesisValidator>,
    pub delegations: Vec<GenesisDelegation>,
    pub unbonding_delegations: Vec<GenesisUnbonding>,
    pub redelegations: Vec<GenesisRedelegation>,
    /// Written by an export: the bonded set is taken as given. Otherwise the set is computed
    /// from the validators' power at InitChain.
    pub exported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastValidatorPower {
    pub address: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub power: u64,
}

/// `{"@type": "/cosmos.crypto.ed25519.PubKey", "key": "<base64>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisPubKey {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisCommissionRates {
    #[serde(with = "dec::json")]
    pub rate: Decimal256,
    #[serde(with = "dec::json")]
    pub max_rate: Decimal256,
    #[serde(with = "dec::json")]
    pub max_change_rate: Decimal256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisCommission {
    pub commission_rates: GenesisCommissionRates,
    #[serde(with = "time_json")]
    pub update_time: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    pub operator_address: String,
    pub consensus_pubkey: GenesisPubKey,
    #[serde(default)]
    pub jailed: bool,
    /// `BOND_STATUS_UNBONDED`, `BOND_STATUS_UNBONDING` or `BOND_STATUS_BONDED`.
    pub status: String,
    pub tokens: Uint128,
    #[serde(with = "dec::json")]
    pub delegator_shares: Decimal256,
    #[serde(default)]
    pub description: Description,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_height: u64,
    #[serde(with = "time_json")]
    pub unbonding_time: Timestamp,
    pub commission: GenesisCommission,
    pub min_self_delegation: Uint128,
    /// Cosmos SDK fields for interchain security; must be 0 / empty here.
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_on_hold_ref_count: u64,
    #[serde(default)]
    pub unbonding_ids: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisDelegation {
    pub delegator_address: String,
    pub validator_address: String,
    #[serde(with = "dec::json")]
    pub shares: Decimal256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisUnbonding {
    pub delegator_address: String,
    pub validator_address: String,
    pub entries: Vec<GenesisUnbondingEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisUnbondingEntry {
    #[serde(with = "depin_app::json::u64_string")]
    pub creation_height: u64,
    #[serde(with = "time_json")]
    pub completion_time: Timestamp,
    pub initial_balance: Uint128,
    pub balance: Uint128,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_id: u64,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_on_hold_ref_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisRedelegation {
    pub delegator_address: String,
    pub validator_src_address: String,
    pub validator_dst_address: String,
    pub entries: Vec<GenesisRedelegationEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisRedelegationEntry {
    #[serde(with = "depin_app::json::u64_string")]
    pub creation_height: u64,
    #[serde(with = "time_json")]
    pub completion_time: Timestamp,
    pub initial_balance: Uint128,
    #[serde(with = "dec::json")]
    pub shares_dst: Decimal256,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_id: u64,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unbonding_on_hold_ref_count: u64,
}

fn invalid(msg: impl Into<String>) -> AppError {
    StakingError::InvalidGenesis(msg.into()).into()
}

impl GenesisValidator {
    /// The genesis form of a validator (what an export writes, and what gentx tooling can
    /// build for a new chain).
    pub fn from_validator(v: &Validator, operators: &depin_app::address::AddressCodec) -> Self {
        GenesisValidator {
            operator_address: operators.encode(&v.operator),
            consensus_pubkey: GenesisPubKey {
                type_url: ED25519_PUBKEY_URL.to_string(),
                key: base64::engine::general_purpose::STANDARD.encode(&v.consensus_pubkey),
            },
            jailed: v.jailed,
            status: v.status.name().to_string(),
            tokens: v.tokens,
            delegator_shares: v.delegator_shares,
            description: v.description.clone(),
            unbonding_height: v.unbonding_height,
            unbonding_time: v.unbonding_time,
            commission: GenesisCommission {
                commission_rates: GenesisCommissionRates {
                    rate: v.commission.rates.rate,
                    max_rate: v.commission.rates.max_rate,
                    max_change_rate: v.commission.rates.max_change_rate,
                },
                update_time: v.commission.update_time,
            },
            min_self_delegation: v.min_self_delegation,
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        }
    }
}

impl StakingModule {
    fn genesis_validator(&self, g: &GenesisValidator) -> AppResult<Validator> {
        let at = |e: AppError| invalid(format!("validator {}: {}", g.operator_address, e.message));
        let operator = self
            .keeper
            .operator_codec()
            .decode(&g.operator_address)
            .map_err(at)?;
        if g.consensus_pubkey.type_url != ED25519_PUBKEY_URL {
            return Err(at(StakingError::PubKeyType(
                g.consensus_pubkey.type_url.clone(),
            )
            .into()));
        }
        let key = base64::engine::general_purpose::STANDARD
            .decode(&g.consensus_pubkey.key)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| {
                invalid(format!(
                    "validator {}: consensus_pubkey.key must be 32 bytes in base64",
                    g.operator_address
                ))
            })?;
        let status = BondStatus::from_name(&g.status).ok_or_else(|| {
            invalid(format!(
                "validator {}: unknown status {:?}",
                g.operator_address, g.status
            ))
        })?;
        if g.unbonding_on_hold_ref_count != 0 || !g.unbonding_ids.is_empty() {
            return Err(invalid(format!(
                "validator {}: unbonding holds (interchain security) are not supported",
                g.operator_address
            )));
        }
        let rates = CommissionRates {
            rate: g.commission.commission_rates.rate,
            max_rate: g.commission.commission_rates.max_rate,
            max_change_rate: g.commission.commission_rates.max_change_rate,
        };
        rates.validate().map_err(at)?;
        if g.min_self_delegation.is_zero() {
            return Err(invalid(format!(
                "validator {}: min_self_delegation must be positive",
                g.operator_address
            )));
        }
        // Tokens without shares would belong to nobody. (Shares without tokens are a
        // validator slashed to zero, which is allowed.)
        if g.delegator_shares.is_zero() && !g.tokens.is_zero() {
            return Err(invalid(format!(
                "validator {}: {} tokens but no delegator shares",
                g.operator_address, g.tokens
            )));
        }
        Ok(Validator {
            operator: Binary::from(operator),
            consensus_pubkey: Binary::from(key),
            jailed: g.jailed,
            status,
            tokens: g.tokens,
            delegator_shares: g.delegator_shares,
            description: g.description.clone(),
            unbonding_height: g.unbonding_height,
            unbonding_time: g.unbonding_time,
            commission: Commission {
                rates,
                update_time: g.commission.update_time,
            },
            min_self_delegation: g.min_self_delegation,
        })
    }

    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        genesis
            .params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        PARAMS.save(&mut ctx.storage(PREFIX), &genesis.params)?;
        let keeper = &self.keeper;
        let accounts = keeper.codec().clone();
        let operators = keeper.operator_codec().clone();
        let decode_op = |s: &str| {
            operators
                .decode(s)
                .map_err(|e| invalid(format!("{s}: {}", e.message)))
        };
        let decode_acc = |s: &str| {
            accounts
                .decode(s)
                .map_err(|e| invalid(format!("{s}: {}", e.message)))
        };

        // Validators, with the stake each pool must hold.
        let mut bonded = Uint128::zero();
        let mut not_bonded = Uint128::zero();
        let mut shares_of: BTreeMap<Vec<u8>, Decimal256> = BTreeMap::new();
        let mut validators: BTreeMap<Vec<u8>, Validator> = BTreeMap::new();
        for g in &genesis.validators {
            let v = self.genesis_validator(g)?;
            if validators.contains_key(v.operator.as_slice()) {
                return Err(invalid(format!(
                    "validator {} is listed twice",
                    g.operator_address
                )));
            }
            let consensus = consensus_address(&v.consensus_pubkey);
            if VALIDATORS_BY_CONS.has(&ctx.storage(PREFIX), &consensus) {
                return Err(invalid(format!(
                    "validator {}: its consensus key is another validator's",
                    g.operator_address
                )));
            }
            if !genesis.exported && v.status != BondStatus::Unbonded {
                return Err(invalid(format!(
                    "validator {} is {}: a new chain's validators start unbonded, and InitChain \
                     bonds the top max_validators (only an exported genesis carries a set)",
                    g.operator_address, g.status
                )));
            }
            let pool = if v.status == BondStatus::Bonded {
                &mut bonded
            } else {
                &mut not_bonded
            };
            *pool = pool
                .checked_add(v.tokens)
                .map_err(|_| invalid("validator tokens overflow"))?;
            keeper.set_validator(ctx, None, &v)?;
            let mut store = ctx.storage(PREFIX);
            VALIDATORS_BY_CONS.save(&mut store, &consensus, &v.operator)?;
            if v.status == BondStatus::Unbonding {
                VALIDATOR_QUEUE.save(&mut store, (v.unbonding_time.nanos(), &v.operator), &())?;
            }
            if !genesis.exported {
                keeper.hooks().after_validator_created(ctx, &v.operator)?;
            }
            shares_of.insert(v.operator.to_vec(), Decimal256::zero());
            validators.insert(v.operator.to_vec(), v);
        }

        for g in &genesis.delegations {
            let delegator = decode_acc(&g.delegator_address)?;
            let operator = decode_op(&g.validator_address)?;
            let sum = shares_of.get_mut(&operator).ok_or_else(|| {
                invalid(format!(
                    "delegation of {} to {}: no such validator",
                    g.delegator_address, g.validator_address
                ))
            })?;
            if g.shares.is_zero() {
                return Err(invalid(format!(
                    "delegation of {} to {} has no shares",
                    g.delegator_address, g.validator_address
                )));
            }
            *sum = sum
                .checked_add(g.shares)
                .map_err(|_| invalid("delegation shares overflow"))?;
            if !genesis.exported {
                keeper
                    .hooks()
                    .before_delegation_created(ctx, &delegator, &operator)?;
            }
            let mut store = ctx.storage(PREFIX);
            if DELEGATIONS.has(&store, (&delegator, &operator)) {
                return Err(invalid(format!(
                    "delegation of {} to {} is listed twice",
                    g.delegator_address, g.validator_address
                )));
            }
            DELEGATIONS.save(&mut store, (&delegator, &operator), &g.shares)?;
            DELEGATIONS_BY_VALIDATOR.save(&mut store, (&operator, &delegator), &())?;
            if !genesis.exported {
                keeper
                    .hooks()
                    .after_delegation_modified(ctx, &delegator, &operator)?;
            }
        }
        for (operator, sum) in &shares_of {
            let v = &validators[operator];
            if *sum != v.delegator_shares {
                return Err(invalid(format!(
                    "validator {} has delegator_shares {} but its delegations hold {}",
                    operators.encode(operator),
                    dec::fmt(v.delegator_shares),
                    dec::fmt(*sum)
                )));
            }
        }

        for g in &genesis.unbonding_delegations {
            let delegator = decode_acc(&g.delegator_address)?;
            let operator = decode_op(&g.validator_address)?;
            if g.entries.is_empty() {
                return Err(invalid(format!(
                    "unbonding delegation of {} from {} has no entries",
                    g.delegator_address, g.validator_address
                )));
            }
            let mut entries = Vec::with_capacity(g.entries.len());
            let mut store = ctx.storage(PREFIX);
            for e in &g.entries {
                if e.balance > e.initial_balance {
                    return Err(invalid(format!(
                        "unbonding of {} from {}: balance {} above initial balance {}",
                        g.delegator_address, g.validator_address, e.balance, e.initial_balance
                    )));
                }
                not_bonded = not_bonded
                    .checked_add(e.balance)
                    .map_err(|_| invalid("unbonding balances overflow"))?;
                UNBONDING_QUEUE.save(
                    &mut store,
                    (e.completion_time.nanos(), (&delegator, &operator)),
                    &(),
                )?;
                entries.push(UnbondingEntry {
                    creation_height: e.creation_height,
                    completion_time: e.completion_time,
                    initial_balance: e.initial_balance,
                    balance: e.balance,
                });
            }
            if UNBONDING.has(&store, (&delegator, &operator)) {
                return Err(invalid(format!(
                    "unbonding delegation of {} from {} is listed twice",
                    g.delegator_address, g.validator_address
                )));
            }
            UNBONDING.save(
                &mut store,
                (&delegator, &operator),
                &UnbondingDelegation { entries },
            )?;
            UNBONDING_BY_VALIDATOR.save(&mut store, (&operator, &delegator), &())?;
        }

        for g in &genesis.redelegations {
            let delegator = decode_acc(&g.delegator_address)?;
            let src = decode_op(&g.validator_src_address)?;
            let dst = decode_op(&g.validator_dst_address)?;
            if !validators.contains_key(&src) || !validators.contains_key(&dst) || src == dst {
                return Err(invalid(format!(
                    "redelegation of {} from {} to {}: both validators must exist and differ",
                    g.delegator_address, g.validator_src_address, g.validator_dst_address
                )));
            }
            if g.entries.is_empty() {
                return Err(invalid(format!(
                    "redelegation of {} from {} to {} has no entries",
                    g.delegator_address, g.validator_src_address, g.validator_dst_address
                )));
            }
            let mut store = ctx.storage(PREFIX);
            if REDELEGATIONS.has(&store, (&delegator, &src, &dst)) {
                return Err(invalid(format!(
                    "redelegation of {} from {} to {} is listed twice",
                    g.delegator_address, g.validator_src_address, g.validator_dst_address
                )));
            }
            let mut entries = Vec::with_capacity(g.entries.len());
            for e in &g.entries {
                REDELEGATION_QUEUE.save(
                    &mut store,
                    (e.completion_time.nanos(), (&delegator, &src, &dst)),
                    &(),
                )?;
                entries.push(RedelegationEntry {
                    creation_height: e.creation_height,
                    completion_time: e.completion_time,
                    initial_balance: e.initial_balance,
                    shares_dst: e.shares_dst,
                });
            }
            REDELEGATIONS.save(
                &mut store,
                (&delegator, &src, &dst),
                &Redelegation { entries },
            )?;
            REDELEGATIONS_BY_SRC.save(&mut store, (&src, &delegator, &dst), &())?;
            REDELEGATIONS_BY_DST.save(&mut store, (&dst, &delegator, &src), &())?;
        }

        if genesis.exported {
            let mut total = Uint128::zero();
            let mut seen = BTreeSet::new();
            for p in &genesis.last_validator_powers {
                let operator = decode_op(&p.address)?;
                let bonded_here = validators
                    .get(&operator)
                    .is_some_and(|v| v.status == BondStatus::Bonded);
                if !bonded_here || !seen.insert(operator.clone()) {
                    return Err(invalid(format!(
                        "last_validator_powers: {} must be a bonded validator, listed once",
                        p.address
                    )));
                }
                total = total.saturating_add(Uint128::from(p.power));
                LAST_POWERS.save(&mut ctx.storage(PREFIX), &operator, &p.power)?;
            }
            let bonded_set: BTreeSet<Vec<u8>> = validators
                .values()
                .filter(|v| v.status == BondStatus::Bonded)
                .map(|v| v.operator.to_vec())
                .collect();
            if bonded_set != seen {
                return Err(invalid(
                    "last_validator_powers must list exactly the bonded validators",
                ));
            }
            if total != genesis.last_total_power {
                return Err(invalid(format!(
                    "last_total_power {} is not the sum of last_validator_powers {total}",
                    genesis.last_total_power
                )));
            }
            LAST_TOTAL_POWER.save(&mut ctx.storage(PREFIX), &total)?;
        } else if !genesis.last_validator_powers.is_empty() {
            return Err(invalid(
                "last_validator_powers is read only from an exported genesis (exported: true); \
                 a new chain computes its set from the validators",
            ));
        }

        let (have_bonded, have_not_bonded) = keeper.pool_balances(ctx)?;
        if have_bonded != bonded || have_not_bonded != not_bonded {
            return Err(invalid(format!(
                "the pools must hold the stake: {} needs {bonded}{denom} (bonded validators' \
                 tokens) and has {have_bonded}{denom}; {} needs {not_bonded}{denom} (other \
                 validators' tokens and unbonding entries) and has {have_not_bonded}{denom}. \
                 Fund both module accounts in the bank genesis",
                crate::keeper::BONDED_POOL,
                crate::keeper::NOT_BONDED_POOL,
                denom = genesis.params.bond_denom,
            )));
        }
        // Genesis events are not reported anywhere; drop them.
        ctx.take_events();
        Ok(())
    }

    /// The state as the genesis of a chain that continues this one at the next height
    /// (`initial_height` = this height + 1): heights (entries' creation heights, validators'
    /// unbonding heights) are kept, so an entry can still be named by its creation height
    /// (MsgCancelUnbondingDelegation) and a slash on the new chain reaches only what it did.
    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let keeper = &self.keeper;
        let operators = keeper.operator_codec().clone();
        let accounts = keeper.codec().clone();
        let params = keeper.params(ctx)?;
        let validators = keeper
            .all_validators(ctx)?
            .iter()
            .map(|v| GenesisValidator::from_validator(v, &operators))
            .collect();
        let store = ctx.storage(PREFIX);
        let delegations = DELEGATIONS
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|((d, v), shares)| GenesisDelegation {
                    delegator_address: accounts.encode(&d),
                    validator_address: operators.encode(&v),
                    shares,
                })
            })
            .collect::<Result<_, _>>()?;
        let unbonding_delegations = UNBONDING
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|((d, v), ubd)| GenesisUnbonding {
                    delegator_address: accounts.encode(&d),
                    validator_address: operators.encode(&v),
                    entries: ubd
                        .entries
                        .iter()
                        .map(|e| GenesisUnbondingEntry {
                            creation_height: e.creation_height,
                            completion_time: e.completion_time,
                            initial_balance: e.initial_balance,
                            balance: e.balance,
                            unbonding_id: 0,
                            unbonding_on_hold_ref_count: 0,
                        })
                        .collect(),
                })
            })
            .collect::<Result<_, _>>()?;
        let redelegations = REDELEGATIONS
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|((d, s, t), red)| GenesisRedelegation {
                    delegator_address: accounts.encode(&d),
                    validator_src_address: operators.encode(&s),
                    validator_dst_address: operators.encode(&t),
                    entries: red
                        .entries
                        .iter()
                        .map(|e| GenesisRedelegationEntry {
                            creation_height: e.creation_height,
                            completion_time: e.completion_time,
                            initial_balance: e.initial_balance,
                            shares_dst: e.shares_dst,
                            unbonding_id: 0,
                            unbonding_on_hold_ref_count: 0,
                        })
                        .collect(),
                })
            })
            .collect::<Result<_, _>>()?;
        let last_validator_powers = LAST_POWERS
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|(op, power)| LastValidatorPower {
                    address: operators.encode(&op),
                    power,
                })
            })
            .collect::<Result<_, _>>()?;
        let last_total_power = LAST_TOTAL_POWER.may_load(&store)?.unwrap_or_default();
        Ok(GenesisState {
            params,
            last_total_power,
            last_validator_powers,
            validators,
            delegations,
            unbonding_delegations,
            redelegations,
            exported: true,
        })
    }
}
