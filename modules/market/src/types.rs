//! The market's domain types: what the state stores and genesis carries. Their serde form is
//! the proto3 JSON mapping of the `depin.market.v1` messages with the proto field names
//! (64-bit integers as strings, enums by name, coins with string amounts). Protobuf stays at
//! the edges (`to_proto`).

use cosmwasm_std::Uint128;
use depin_app::coins::Coin;
use depin_device::types::i64_string;
use depin_proto::depin::market::v1 as pb;
use serde::{Deserialize, Serialize};

pub use pb::{
    BidState, CloseReason, DealState, EscrowState, LeaseState, OrderState, TakeDestination,
};

fn enum_de<'de, D: serde::Deserializer<'de>>(
    d: D,
    from_name: fn(&str) -> Option<i32>,
    what: &str,
) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i32),
    }
    match Either::deserialize(d)? {
        Either::S(s) => {
            from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {what} {s:?}")))
        }
        Either::N(n) => Ok(n),
    }
}

/// Serde of one protobuf enum field by name; a macro only because the six enums share no
/// trait for `as_str_name` / `from_str_name`.
macro_rules! enum_json {
    ($module:ident, $ty:ty, $what:literal) => {
        pub mod $module {
            pub fn serialize<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
                match <$ty>::try_from(*v) {
                    Ok(e) => s.serialize_str(e.as_str_name()),
                    Err(_) => s.serialize_i32(*v),
                }
            }
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
                super::enum_de(d, |n| <$ty>::from_str_name(n).map(|e| e as i32), $what)
            }
        }
    };
}

enum_json!(order_state_json, super::OrderState, "order state");
enum_json!(bid_state_json, super::BidState, "bid state");
enum_json!(lease_state_json, super::LeaseState, "lease state");
enum_json!(close_reason_json, super::CloseReason, "close reason");
enum_json!(escrow_state_json, super::EscrowState, "escrow state");
enum_json!(deal_state_json, super::DealState, "deal state");
enum_json!(
    take_destination_json,
    super::TakeDestination,
    "take destination"
);

fn coin_opt(c: &Coin) -> Option<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    Some(c.to_proto())
}

/// A zero coin of `denom` (amounts that start at nothing).
pub fn zero(denom: &str) -> Coin {
    Coin {
        denom: denom.to_string(),
        amount: Uint128::zero(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

impl Attribute {
    pub fn to_proto(&self) -> pb::Attribute {
        pb::Attribute {
            key: self.key.clone(),
            value: self.value.clone(),
        }
    }

    pub fn from_proto(a: &pb::Attribute) -> Self {
        Attribute {
            key: a.key.clone(),
            value: a.value.clone(),
        }
    }
}

pub fn attrs_to_proto(a: &[Attribute]) -> Vec<pb::Attribute> {
    a.iter().map(Attribute::to_proto).collect()
}

pub fn attrs_from_proto(a: &[pb::Attribute]) -> Vec<Attribute> {
    a.iter().map(Attribute::from_proto).collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reputation {
    #[serde(with = "depin_app::json::u64_string")]
    pub proofs_passed: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub proofs_failed: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub leases_closed_by_provider: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub leases_completed: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub deals_faulted: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub deals_completed: u64,
}

impl Reputation {
    pub fn to_proto(&self) -> pb::Reputation {
        pb::Reputation {
            proofs_passed: self.proofs_passed,
            proofs_failed: self.proofs_failed,
            leases_closed_by_provider: self.leases_closed_by_provider,
            leases_completed: self.leases_completed,
            deals_faulted: self.deals_faulted,
            deals_completed: self.deals_completed,
        }
    }

    /// Failed proofs per 10,000 (0 before any proof).
    pub fn failure_rate_bps(&self) -> u128 {
        let total = u128::from(self.proofs_passed) + u128::from(self.proofs_failed);
        (u128::from(self.proofs_failed) * 10_000)
            .checked_div(total)
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub owner: String,
    pub host_uri: String,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub device_ids: Vec<String>,
    /// One coin of params.denom (empty: none).
    #[serde(default)]
    pub collateral: Vec<Coin>,
    #[serde(default)]
    pub reputation: Reputation,
    #[serde(with = "i64_string", default)]
    pub created_height: i64,
    /// Locked by storage deals (part of `collateral`).
    #[serde(default)]
    pub locked_collateral: Vec<Coin>,
}

/// The amount of `denom` in `coins`.
pub fn amount_of(coins: &[Coin], denom: &str) -> Uint128 {
    coins
        .iter()
        .find(|c| c.denom == denom)
        .map_or(Uint128::zero(), |c| c.amount)
}

/// `amount` of `denom` as a coin list (empty for zero).
pub fn coins_of(amount: Uint128, denom: &str) -> Vec<Coin> {
    if amount.is_zero() {
        Vec::new()
    } else {
        vec![Coin {
            denom: denom.to_string(),
            amount,
        }]
    }
}

impl Provider {
    pub fn to_proto(&self) -> pb::Provider {
        pb::Provider {
            owner: self.owner.clone(),
            host_uri: self.host_uri.clone(),
            attributes: attrs_to_proto(&self.attributes),
            device_ids: self.device_ids.clone(),
            collateral: depin_app::coins::to_proto(&self.collateral),
            reputation: Some(self.reputation.to_proto()),
            created_height: self.created_height,
            locked_collateral: depin_app::coins::to_proto(&self.locked_collateral),
        }
    }

    pub fn has_attribute(&self, a: &Attribute) -> bool {
        self.attributes.iter().any(|b| b == a)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auditor {
    pub address: String,
    #[serde(default)]
    pub info: String,
}

impl Auditor {
    pub fn to_proto(&self) -> pb::Auditor {
        pb::Auditor {
            address: self.address.clone(),
            info: self.info.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditedAttributes {
    pub provider: String,
    pub auditor: String,
    pub attributes: Vec<Attribute>,
}

impl AuditedAttributes {
    pub fn to_proto(&self) -> pb::AuditedAttributes {
        pb::AuditedAttributes {
            provider: self.provider.clone(),
            auditor: self.auditor.clone(),
            attributes: attrs_to_proto(&self.attributes),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    #[serde(with = "depin_app::json::u64_string")]
    pub cpu_millicores: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub memory_bytes: u64,
    pub gpu_count: u32,
    pub gpu_model: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub storage_bytes: u64,
}

impl Resources {
    pub fn to_proto(&self) -> pb::Resources {
        pb::Resources {
            cpu_millicores: self.cpu_millicores,
            memory_bytes: self.memory_bytes,
            gpu_count: self.gpu_count,
            gpu_model: self.gpu_model.clone(),
            storage_bytes: self.storage_bytes,
        }
    }

    pub fn from_proto(r: &pb::Resources) -> Self {
        Resources {
            cpu_millicores: r.cpu_millicores,
            memory_bytes: r.memory_bytes,
            gpu_count: r.gpu_count,
            gpu_model: r.gpu_model.clone(),
            storage_bytes: r.storage_bytes,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlacementRequirements {
    pub attributes: Vec<Attribute>,
    pub signed_by: Vec<String>,
    #[serde(with = "depin_app::json::u64_string")]
    pub min_proofs_passed: u64,
    pub max_failure_rate_bps: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub max_leases_closed_by_provider: u64,
    pub strict_provider_closes: bool,
}

impl PlacementRequirements {
    pub fn to_proto(&self) -> pb::PlacementRequirements {
        pb::PlacementRequirements {
            attributes: attrs_to_proto(&self.attributes),
            signed_by: self.signed_by.clone(),
            min_proofs_passed: self.min_proofs_passed,
            max_failure_rate_bps: self.max_failure_rate_bps,
            max_leases_closed_by_provider: self.max_leases_closed_by_provider,
            strict_provider_closes: self.strict_provider_closes,
        }
    }

    pub fn from_proto(r: &pb::PlacementRequirements) -> Self {
        PlacementRequirements {
            attributes: attrs_from_proto(&r.attributes),
            signed_by: r.signed_by.clone(),
            min_proofs_passed: r.min_proofs_passed,
            max_failure_rate_bps: r.max_failure_rate_bps,
            max_leases_closed_by_provider: r.max_leases_closed_by_provider,
            strict_provider_closes: r.strict_provider_closes,
        }
    }

    /// Why `reputation` fails the filters, if it does.
    pub fn reputation_shortfall(&self, reputation: &Reputation) -> Option<String> {
        if reputation.proofs_passed < self.min_proofs_passed {
            return Some(format!(
                "{} storage proofs passed, the order asks for at least {}",
                reputation.proofs_passed, self.min_proofs_passed
            ));
        }
        let rate_filter = self.max_failure_rate_bps > 0 || self.min_proofs_passed > 0;
        if rate_filter && reputation.failure_rate_bps() > u128::from(self.max_failure_rate_bps) {
            return Some(format!(
                "a proof failure rate of {} bps, the order allows at most {} bps",
                reputation.failure_rate_bps(),
                self.max_failure_rate_bps
            ));
        }
        let closes_filter = self.max_leases_closed_by_provider > 0 || self.strict_provider_closes;
        if closes_filter
            && reputation.leases_closed_by_provider > self.max_leases_closed_by_provider
        {
            return Some(format!(
                "{} leases closed by the provider, the order allows at most {}",
                reputation.leases_closed_by_provider, self.max_leases_closed_by_provider
            ));
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[serde(with = "depin_app::json::u64_string")]
    pub id: u64,
    pub tenant: String,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub requirements: PlacementRequirements,
    pub max_price_per_block: Coin,
    #[serde(with = "order_state_json")]
    pub state: i32,
    #[serde(with = "i64_string", default)]
    pub created_height: i64,
    #[serde(default)]
    pub bids: u32,
    #[serde(with = "i64_string", default)]
    pub bid_deadline: i64,
}

impl Order {
    pub fn to_proto(&self) -> pb::Order {
        pb::Order {
            id: self.id,
            tenant: self.tenant.clone(),
            resources: Some(self.resources.to_proto()),
            requirements: Some(self.requirements.to_proto()),
            max_price_per_block: coin_opt(&self.max_price_per_block),
            state: self.state,
            created_height: self.created_height,
            bids: self.bids,
            bid_deadline: self.bid_deadline,
        }
    }

    pub fn is(&self, s: OrderState) -> bool {
        self.state == s as i32
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bid {
    #[serde(with = "depin_app::json::u64_string")]
    pub order_id: u64,
    pub provider: String,
    pub price_per_block: Coin,
    pub deposit: Coin,
    #[serde(with = "bid_state_json")]
    pub state: i32,
    #[serde(with = "i64_string", default)]
    pub created_height: i64,
}

impl Bid {
    pub fn to_proto(&self) -> pb::Bid {
        pb::Bid {
            order_id: self.order_id,
            provider: self.provider.clone(),
            price_per_block: coin_opt(&self.price_per_block),
            deposit: coin_opt(&self.deposit),
            state: self.state,
            created_height: self.created_height,
        }
    }

    pub fn is(&self, s: BidState) -> bool {
        self.state == s as i32
    }

    /// Whether the market still holds its deposit (open or active).
    pub fn holds_deposit(&self) -> bool {
        self.is(BidState::Open) || self.is(BidState::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    #[serde(with = "depin_app::json::u64_string")]
    pub order_id: u64,
    pub provider: String,
    pub tenant: String,
    pub price_per_block: Coin,
    #[serde(with = "lease_state_json")]
    pub state: i32,
    #[serde(with = "i64_string", default)]
    pub created_height: i64,
    #[serde(with = "i64_string", default)]
    pub settled_height: i64,
    pub paid: Coin,
    pub unwithdrawn: Coin,
    #[serde(with = "i64_string", default)]
    pub insufficient_since: i64,
    #[serde(with = "i64_string", default)]
    pub closed_height: i64,
    #[serde(with = "close_reason_json", default)]
    pub close_reason: i32,
}

impl Lease {
    pub fn to_proto(&self) -> pb::Lease {
        pb::Lease {
            order_id: self.order_id,
            provider: self.provider.clone(),
            tenant: self.tenant.clone(),
            price_per_block: coin_opt(&self.price_per_block),
            state: self.state,
            created_height: self.created_height,
            settled_height: self.settled_height,
            paid: coin_opt(&self.paid),
            unwithdrawn: coin_opt(&self.unwithdrawn),
            insufficient_since: self.insufficient_since,
            closed_height: self.closed_height,
            close_reason: self.close_reason,
        }
    }

    pub fn is(&self, s: LeaseState) -> bool {
        self.state == s as i32
    }

    pub fn is_closed(&self) -> bool {
        self.is(LeaseState::Closed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    pub depositor: String,
    pub amount: Coin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowAccount {
    pub id: String,
    pub owner: String,
    /// Oldest first; payments consume from the front. No entry is zero.
    #[serde(default)]
    pub deposits: Vec<Deposit>,
    pub balance: Coin,
    pub transferred: Coin,
    #[serde(with = "escrow_state_json")]
    pub state: i32,
}

impl EscrowAccount {
    pub fn to_proto(&self) -> pb::EscrowAccount {
        pb::EscrowAccount {
            id: self.id.clone(),
            owner: self.owner.clone(),
            deposits: self
                .deposits
                .iter()
                .map(|d| pb::Deposit {
                    depositor: d.depositor.clone(),
                    amount: coin_opt(&d.amount),
                })
                .collect(),
            balance: coin_opt(&self.balance),
            transferred: coin_opt(&self.transferred),
            state: self.state,
        }
    }

    pub fn is(&self, s: EscrowState) -> bool {
        self.state == s as i32
    }

    pub fn is_closed(&self) -> bool {
        self.is(EscrowState::Closed)
    }

    /// Σ remaining deposits (checked).
    pub fn deposits_total(&self) -> Option<Uint128> {
        self.deposits
            .iter()
            .try_fold(Uint128::zero(), |a, d| a.checked_add(d.amount.amount).ok())
    }
}

/// The escrow id of an order.
pub fn order_escrow_id(order_id: u64) -> String {
    format!("order/{order_id}")
}

/// The escrow id of a storage deal.
pub fn deal_escrow_id(deal_id: u64) -> String {
    format!("deal/{deal_id}")
}

/// The order id of an "order/<id>" escrow.
pub fn order_of_escrow(id: &str) -> Option<u64> {
    id.strip_prefix("order/")?.parse().ok()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub provider: String,
    pub paid: Coin,
    pub take: Coin,
    pub self_paid: Coin,
}

impl Usage {
    pub fn to_proto(&self) -> pb::Usage {
        pb::Usage {
            epoch: self.epoch,
            provider: self.provider.clone(),
            paid: coin_opt(&self.paid),
            take: coin_opt(&self.take),
            self_paid: coin_opt(&self.self_paid),
        }
    }
}

/// The state name events and errors write ("ORDER_STATE_OPEN").
pub fn order_state_name(s: i32) -> &'static str {
    OrderState::try_from(s).map_or("ORDER_STATE_UNSPECIFIED", |s| s.as_str_name())
}

pub fn bid_state_name(s: i32) -> &'static str {
    BidState::try_from(s).map_or("BID_STATE_UNSPECIFIED", |s| s.as_str_name())
}

pub fn lease_state_name(s: i32) -> &'static str {
    LeaseState::try_from(s).map_or("LEASE_STATE_UNSPECIFIED", |s| s.as_str_name())
}

pub fn close_reason_name(s: i32) -> &'static str {
    CloseReason::try_from(s).map_or("CLOSE_REASON_UNSPECIFIED", |s| s.as_str_name())
}

pub fn deal_state_name(s: i32) -> &'static str {
    DealState::try_from(s).map_or("DEAL_STATE_UNSPECIFIED", |s| s.as_str_name())
}

/// `bytes` fields in the proto3 JSON form: standard base64.
pub mod bytes_b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

/// A storage deal (see README.md, "Storage deals").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDeal {
    #[serde(with = "depin_app::json::u64_string")]
    pub id: u64,
    pub client: String,
    pub provider: String,
    #[serde(with = "bytes_b64")]
    pub data_root: Vec<u8>,
    #[serde(with = "depin_app::json::u64_string")]
    pub size_bytes: u64,
    pub chunk_size: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub duration_periods: u64,
    pub price_per_period: Coin,
    pub provider_collateral: Coin,
    #[serde(with = "deal_state_json")]
    pub state: i32,
    #[serde(with = "i64_string", default)]
    pub proposed_height: i64,
    /// PROPOSED: accept by; ACCEPTED: activate by; ACTIVE: the current period's proof is due
    /// by (its queue key).
    #[serde(with = "i64_string", default)]
    pub deadline: i64,
    #[serde(with = "i64_string", default)]
    pub start_height: i64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub period: u64,
    #[serde(with = "bytes_b64", default)]
    pub challenge_seed: Vec<u8>,
    #[serde(default)]
    pub proven: bool,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub periods_proven: u64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub faults: u64,
    #[serde(default)]
    pub consecutive_faults: u32,
    pub fault_fees_paid: Coin,
}

impl StorageDeal {
    pub fn to_proto(&self) -> pb::StorageDeal {
        pb::StorageDeal {
            id: self.id,
            client: self.client.clone(),
            provider: self.provider.clone(),
            data_root: self.data_root.clone(),
            size_bytes: self.size_bytes,
            chunk_size: self.chunk_size,
            duration_periods: self.duration_periods,
            price_per_period: coin_opt(&self.price_per_period),
            provider_collateral: coin_opt(&self.provider_collateral),
            state: self.state,
            proposed_height: self.proposed_height,
            deadline: self.deadline,
            start_height: self.start_height,
            period: self.period,
            challenge_seed: self.challenge_seed.clone(),
            proven: self.proven,
            periods_proven: self.periods_proven,
            faults: self.faults,
            consecutive_faults: self.consecutive_faults,
            fault_fees_paid: coin_opt(&self.fault_fees_paid),
        }
    }

    pub fn is(&self, s: DealState) -> bool {
        self.state == s as i32
    }

    /// PROPOSED, ACCEPTED or ACTIVE: the deal has exactly one entry in the deal queue.
    pub fn is_open(&self) -> bool {
        self.is(DealState::Proposed) || self.is(DealState::Accepted) || self.is(DealState::Active)
    }

    /// ACCEPTED or ACTIVE: the deal locks collateral.
    pub fn locks_collateral(&self) -> bool {
        self.is(DealState::Accepted) || self.is(DealState::Active)
    }

    /// The collateral the deal still locks (what fault fees have not taken).
    pub fn remaining_collateral(&self) -> Uint128 {
        self.provider_collateral
            .amount
            .saturating_sub(self.fault_fees_paid.amount)
    }

    /// Its queue key: (deadline, id).
    pub fn queue_key(&self) -> (u64, u64) {
        (self.deadline.max(0) as u64, self.id)
    }
}
