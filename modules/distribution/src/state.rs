//! Every collection distribution keeps, under the module prefix `distribution/`. Validators are
//! keyed by their operator address bytes, delegators by their account bytes.

use cosmwasm_std::{Binary, Decimal256};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::dec::DecCoins;
use crate::params::Params;

pub const PREFIX: &[u8] = b"distribution/";

pub const PARAMS: Item<Params> = Item::new("p");

/// The community pool (`FeePool.community_pool`): decimal coins, the dust of every rounding
/// included. Absent means empty.
pub const COMMUNITY_POOL: Item<DecCoins> = Item::new("c");

/// The consensus address of the last block's proposer (kept for the genesis document only;
/// v0.50 pays no proposer bonus).
pub const PREVIOUS_PROPOSER: Item<Binary> = Item::new("x");

/// delegator → withdraw address, only when it differs from the delegator.
pub const WITHDRAW_ADDRS: Map<&[u8], Binary> = Map::new("w");

/// operator → rewards allocated to the validator and not yet withdrawn (commission
/// included).
pub const OUTSTANDING: Map<&[u8], DecCoins> = Map::new("o");

/// operator → commission not yet withdrawn.
pub const COMMISSION: Map<&[u8], DecCoins> = Map::new("m");

/// (operator, period) → the cumulative reward ratio at the end of that period.
pub const HISTORICAL: Map<(&[u8], u64), HistoricalRewards> = Map::new("h");

/// operator → rewards of the running period.
pub const CURRENT: Map<&[u8], CurrentRewards> = Map::new("r");

/// (operator, delegator) → where the delegation's rewards count from.
pub const STARTING_INFOS: Map<(&[u8], &[u8]), StartingInfo> = Map::new("s");

/// (operator, height, period) → a slash of the validator.
pub const SLASH_EVENTS: Map<(&[u8], u64, u64), SlashEvent> = Map::new("e");

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoricalRewards {
    /// Σ over periods up to this one of (rewards of the period ÷ the validator's tokens).
    pub cumulative_reward_ratio: DecCoins,
    /// How many things refer to this period: the current rewards (the period just before
    /// it), delegations whose previous period it is, and slash events that ended it.
    pub reference_count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentRewards {
    /// Rewards for delegators (commission already taken) since the period began.
    pub rewards: DecCoins,
    pub period: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartingInfo {
    /// The period that ended when the delegation was last created or changed.
    pub previous_period: u64,
    /// The delegation's tokens then (truncated), before later slashes.
    pub stake: Decimal256,
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashEvent {
    /// The period the slash ended.
    pub validator_period: u64,
    pub fraction: Decimal256,
}
