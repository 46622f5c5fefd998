//! Every collection staking keeps, under the module prefix `staking/`. Addresses are raw bytes
//! (operator addresses are the operator account's bytes); times are nanoseconds since the
//! Unix epoch, big-endian in keys so that key order is time order.
//!
//! Secondary indexes (`*_BY_*`, the queues, `POWER_RANK`) hold no data of their own: each is
//! rebuilt from the primary collections by genesis import, and the invariants check that they
//! mirror them exactly.

use cosmwasm_std::{Binary, Decimal256, Uint128};
use cw_storage_plus::{Item, Map};

use crate::params::Params;
use crate::types::{HistoricalInfo, Redelegation, UnbondingDelegation, Validator};

pub const PREFIX: &[u8] = b"staking/";

/// Two raw addresses, e.g. (delegator, operator).
pub type Pair<'a> = (&'a [u8], &'a [u8]);
/// Three raw addresses: (delegator, source, destination) or a reordering of them.
pub type Triple<'a> = (&'a [u8], &'a [u8], &'a [u8]);

pub const PARAMS: Item<Params> = Item::new("p");

/// operator → validator.
pub const VALIDATORS: Map<&[u8], Validator> = Map::new("v");
/// consensus address (sha256(key)[..20]) → operator.
pub const VALIDATORS_BY_CONS: Map<&[u8], Binary> = Map::new("c");
/// (u64::MAX − power, operator) → (): every non-jailed validator, so ascending order is
/// highest power first, ties broken by the lower operator address.
pub const POWER_RANK: Map<(u64, &[u8]), ()> = Map::new("i");

/// operator → power, for the set last sent to CometBFT (every Bonded validator).
pub const LAST_POWERS: Map<&[u8], u64> = Map::new("l");
/// The sum of `LAST_POWERS`.
pub const LAST_TOTAL_POWER: Item<Uint128> = Item::new("t");

/// (delegator, operator) → shares. Never zero.
pub const DELEGATIONS: Map<(&[u8], &[u8]), Decimal256> = Map::new("d");
/// (operator, delegator) → (): index of `DELEGATIONS` by validator.
pub const DELEGATIONS_BY_VALIDATOR: Map<(&[u8], &[u8]), ()> = Map::new("e");

/// (delegator, operator) → unbonding entries. Never empty.
pub const UNBONDING: Map<(&[u8], &[u8]), UnbondingDelegation> = Map::new("u");
/// (operator, delegator) → (): index of `UNBONDING` by validator.
pub const UNBONDING_BY_VALIDATOR: Map<(&[u8], &[u8]), ()> = Map::new("x");
/// (completion time, (delegator, operator)) → (): one key per distinct completion time of
/// the pair's entries, so end block reads only what is due.
pub const UNBONDING_QUEUE: Map<(u64, Pair), ()> = Map::new("q");

/// (delegator, source, destination) → redelegation entries. Never empty.
pub const REDELEGATIONS: Map<Triple, Redelegation> = Map::new("r");
/// (source, delegator, destination) → (): what a slash of the source reaches.
pub const REDELEGATIONS_BY_SRC: Map<Triple, ()> = Map::new("s");
/// (destination, delegator, source) → (): the transitive-redelegation check.
pub const REDELEGATIONS_BY_DST: Map<Triple, ()> = Map::new("z");
/// (completion time, (delegator, source, destination)) → (), as `UNBONDING_QUEUE`.
pub const REDELEGATION_QUEUE: Map<(u64, Triple), ()> = Map::new("k");

/// (unbonding completion time, operator) → (): validators in status Unbonding.
pub const VALIDATOR_QUEUE: Map<(u64, &[u8]), ()> = Map::new("w");

/// height → the header fields and bonded set at that height (the last `historical_entries`).
pub const HISTORICAL_INFO: Map<u64, HistoricalInfo> = Map::new("h");
