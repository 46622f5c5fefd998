//! Storage layout under the module prefix `rewards/`.

use cosmwasm_std::{Uint128, Uint256};
use cw_storage_plus::{Item, Map};
use depin_proto::depin::rewards::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::params::Params;

pub const PREFIX: &[u8] = b"rewards/";

pub const PARAMS: Item<Params> = Item::new("p");
/// The rewards epoch clock and the last measured capacity.
pub const CLOCK: Item<Clock> = Item::new("c");
pub const TOTALS: Item<Totals> = Item::new("t");
/// Undistributed device and provider buckets.
pub const POOLS: Item<Pools> = Item::new("b");
/// What each past epoch emitted, by epoch.
pub const EMISSIONS: Map<u64, Emitted> = Map::new("e");
/// Sharing the device bucket (by device epoch) and the provider bucket (by usage epoch).
pub const DEVICE_PAYOUT: Item<PayoutState> = Item::new("dp");
pub const PROVIDER_PAYOUT: Item<PayoutState> = Item::new("pp");
/// The device bucket's share of the last minted epochs, vesting block by block into the pot of
/// the device epoch each block belongs to.
pub const DEVICE_VESTING: Item<Vesting> = Item::new("dv");
/// Device epoch → what vested during it (its payout shares it).
pub const DEVICE_POTS: Map<u64, Uint128> = Map::new("dk");
/// Claimable rewards by address.
pub const PENDING: Map<&[u8], Pending> = Map::new("r");
pub const DEVICE_REWARDS: Map<&str, Earned> = Map::new("d");
pub const PROVIDER_REWARDS: Map<&[u8], Earned> = Map::new("v");
/// Data credits by address.
pub const CREDITS: Map<&[u8], Uint128> = Map::new("k");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Clock {
    /// The epoch running now (the next to be minted, when it ends).
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    /// The height its first block had.
    #[serde(with = "depin_app::json::u64_string")]
    pub start_height: u64,
    /// The capacity the baseline is measured against: devices that contributed in the last
    /// device epoch whose bucket was shared.
    #[serde(with = "depin_app::json::u64_string")]
    pub capacity: u64,
}

impl Clock {
    /// The height at which the running epoch ends and is minted.
    pub fn end_height(&self, params: &Params) -> u64 {
        self.start_height.saturating_add(params.epoch_blocks)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub minted: Uint128,
    pub scheduled: Uint128,
    pub capped: Uint128,
    pub to_validators: Uint128,
    pub to_devices: Uint128,
    pub to_providers: Uint128,
    pub to_community: Uint128,
    pub paid_devices: Uint128,
    pub paid_providers: Uint128,
    pub provider_excess: Uint128,
    /// Device pots of epochs without any weight, sent to the community pool.
    #[serde(default)]
    pub devices_to_community: Uint128,
    pub claimed: Uint128,
    pub burned_for_credits: Uint128,
    pub credits_minted: Uint128,
    pub credits_spent: Uint128,
}

impl Totals {
    pub fn to_proto(&self) -> pb::Totals {
        pb::Totals {
            minted: self.minted.to_string(),
            scheduled: self.scheduled.to_string(),
            capped: self.capped.to_string(),
            to_validators: self.to_validators.to_string(),
            to_devices: self.to_devices.to_string(),
            to_providers: self.to_providers.to_string(),
            to_community: self.to_community.to_string(),
            paid_devices: self.paid_devices.to_string(),
            paid_providers: self.paid_providers.to_string(),
            provider_excess: self.provider_excess.to_string(),
            devices_to_community: self.devices_to_community.to_string(),
            claimed: self.claimed.to_string(),
            burned_for_credits: self.burned_for_credits.to_string(),
            credits_minted: self.credits_minted.to_string(),
            credits_spent: self.credits_spent.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Pools {
    pub devices: Uint128,
    pub providers: Uint128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emitted {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub base: Uint128,
    pub baseline: Uint128,
    pub minted: Uint128,
    #[serde(with = "depin_app::json::u64_string")]
    pub capacity: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub target: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub height: u64,
}

impl Emitted {
    pub fn to_proto(&self) -> pb::EpochEmission {
        pb::EpochEmission {
            epoch: self.epoch,
            base: self.base.to_string(),
            baseline: self.baseline.to_string(),
            minted: self.minted.to_string(),
            capacity: self.capacity,
            target: self.target,
            height: self.height,
        }
    }
}

/// Sharing one bucket epoch by epoch of its source (device epochs, usage epochs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PayoutState {
    /// The next source epoch to share (once the source has moved past it).
    #[serde(with = "depin_app::json::u64_string")]
    pub next_epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Payout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Summing every record's weight.
    Weigh,
    /// Paying every record amount × weight / total.
    Pay,
}

/// The scoring params a payout started with: both of its passes use them, whatever
/// governance changes meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    #[serde(with = "depin_app::json::u64_string")]
    pub heartbeat_weight: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub beacon_weight: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub witness_weight: u64,
    pub hex_density_target: u32,
    pub max_reward_per_take_bps: u32,
}

impl Scoring {
    pub fn of(p: &Params) -> Self {
        Scoring {
            heartbeat_weight: p.heartbeat_weight,
            beacon_weight: p.beacon_weight,
            witness_weight: p.witness_weight,
            hex_density_target: p.hex_density_target,
            max_reward_per_take_bps: p.max_reward_per_take_bps,
        }
    }
}

/// The device bucket's vesting: `left` vests at `per_block` a block (the last block takes what
/// remains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Vesting {
    pub left: Uint128,
    pub per_block: Uint128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payout {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    /// The bucket's balance when the payout started: what this epoch shares.
    pub amount: Uint128,
    pub phase: Phase,
    pub total_weight: Uint256,
    /// The last record processed in this phase (device id, or provider address).
    #[serde(default)]
    pub cursor: String,
    pub paid: Uint128,
    pub excess: Uint128,
    #[serde(with = "depin_app::json::u64_string")]
    pub records: u64,
    #[serde(default)]
    pub scoring: Scoring,
    /// Weighing devices: the weight of located devices, and the scores and number of devices
    /// without a location (they share one virtual hex).
    #[serde(default)]
    pub located_weight: Uint256,
    #[serde(default)]
    pub unlocated_score: Uint256,
    #[serde(default, with = "depin_app::json::u64_string")]
    pub unlocated: u64,
}

impl Payout {
    pub fn to_proto(&self) -> pb::Payout {
        pb::Payout {
            epoch: self.epoch,
            amount: self.amount.to_string(),
            phase: match self.phase {
                Phase::Weigh => 1,
                Phase::Pay => 2,
            },
            total_weight: self.total_weight.to_string(),
            cursor: self.cursor.clone(),
            paid: self.paid.to_string(),
            records: self.records,
            excess: self.excess.to_string(),
            unlocated: self.unlocated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Pending {
    pub from_devices: Uint128,
    pub from_providers: Uint128,
}

impl Pending {
    pub fn total(&self) -> Uint128 {
        self.from_devices.saturating_add(self.from_providers)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Earned {
    pub earned: Uint128,
    #[serde(with = "depin_app::json::u64_string")]
    pub last_epoch: u64,
    pub last_amount: Uint128,
}
