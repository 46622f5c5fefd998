//! Every collection the market keeps, under the module prefix `market/`.
//!
//! Primary data: params, providers, auditors, audited attributes, orders, bids, leases, escrow
//! accounts, usage records and the id counters. The rest (the secondary indexes of the
//! indexed maps, the order timeout queue, the auditor index) is rebuilt from them by genesis
//! import.

use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};

use crate::params::Params;
use crate::types::{Auditor, Bid, EscrowAccount, Lease, Order, Provider, StorageDeal, Usage};

pub const PREFIX: &[u8] = b"market/";

pub const PARAMS: Item<Params> = Item::new("p");
/// The id the next order gets (ids start at 1).
pub const NEXT_ORDER_ID: Item<u64> = Item::new("no");
/// The id the next storage deal gets (ids start at 1).
pub const NEXT_DEAL_ID: Item<u64> = Item::new("nd");

/// provider owner (bech32) → provider.
pub const PROVIDERS: Map<&str, Provider> = Map::new("v");

/// auditor (bech32) → auditor.
pub const AUDITORS: Map<&str, Auditor> = Map::new("a");
/// (provider, auditor) → the attributes that auditor signed for that provider.
pub const AUDITED: Map<(&str, &str), Vec<crate::types::Attribute>> = Map::new("s");
/// (auditor, provider) → (): index of [`AUDITED`] by auditor, for deleting a removed
/// auditor's signatures.
pub const AUDITED_BY_AUDITOR: Map<(&str, &str), ()> = Map::new("sa");
/// removed auditor → (): its signatures are deleted by begin block in bounded batches.
/// Until then they count for nothing (requirements and queries read only registered
/// auditors' signatures).
pub const AUDITOR_PURGES: Map<&str, ()> = Map::new("sp");

pub struct OrderIndexes<'a> {
    pub tenant: MultiIndex<'a, String, Order, u64>,
    pub state: MultiIndex<'a, i32, Order, u64>,
}

impl IndexList<Order> for OrderIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Order>> + '_> {
        let v: Vec<&dyn Index<Order>> = vec![&self.tenant, &self.state];
        Box::new(v.into_iter())
    }
}

/// order id → order (namespaces "o", "ot", "os").
pub fn orders<'a>() -> IndexedMap<u64, Order, OrderIndexes<'a>> {
    IndexedMap::new(
        "o",
        OrderIndexes {
            tenant: MultiIndex::new(|_, o: &Order| o.tenant.clone(), "o", "ot"),
            state: MultiIndex::new(|_, o: &Order| o.state, "o", "os"),
        },
    )
}

pub struct BidIndexes<'a> {
    pub provider: MultiIndex<'a, String, Bid, (u64, String)>,
    pub state: MultiIndex<'a, i32, Bid, (u64, String)>,
    /// (order id, state): the open bids of one order without reading its closed ones.
    pub order_state: MultiIndex<'a, (u64, i32), Bid, (u64, String)>,
}

impl IndexList<Bid> for BidIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Bid>> + '_> {
        let v: Vec<&dyn Index<Bid>> = vec![&self.provider, &self.state, &self.order_state];
        Box::new(v.into_iter())
    }
}

/// (order id, provider) → bid (namespaces "b", "bp", "bs", "bo").
pub fn bids<'a>() -> IndexedMap<(u64, String), Bid, BidIndexes<'a>> {
    IndexedMap::new(
        "b",
        BidIndexes {
            provider: MultiIndex::new(|_, b: &Bid| b.provider.clone(), "b", "bp"),
            state: MultiIndex::new(|_, b: &Bid| b.state, "b", "bs"),
            order_state: MultiIndex::new(|_, b: &Bid| (b.order_id, b.state), "b", "bo"),
        },
    )
}

pub struct LeaseIndexes<'a> {
    pub tenant: MultiIndex<'a, String, Lease, u64>,
    pub provider: MultiIndex<'a, String, Lease, u64>,
    pub state: MultiIndex<'a, i32, Lease, u64>,
}

impl IndexList<Lease> for LeaseIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Lease>> + '_> {
        let v: Vec<&dyn Index<Lease>> = vec![&self.tenant, &self.provider, &self.state];
        Box::new(v.into_iter())
    }
}

/// order id → its lease (namespaces "l", "lt", "lp", "ls"). One lease per order at most.
pub fn leases<'a>() -> IndexedMap<u64, Lease, LeaseIndexes<'a>> {
    IndexedMap::new(
        "l",
        LeaseIndexes {
            tenant: MultiIndex::new(|_, l: &Lease| l.tenant.clone(), "l", "lt"),
            provider: MultiIndex::new(|_, l: &Lease| l.provider.clone(), "l", "lp"),
            state: MultiIndex::new(|_, l: &Lease| l.state, "l", "ls"),
        },
    )
}

/// escrow id ("order/<id>", "deal/<id>") → escrow account.
pub const ESCROWS: Map<&str, EscrowAccount> = Map::new("e");

/// escrow id → the remainder of the take of its payments (1/10,000ths of a unit, < 10,000;
/// see `Params::take_with_remainder`). Absent: 0. Removed when the escrow closes.
pub const TAKE_REMAINDERS: Map<&str, u32> = Map::new("tr");

/// (bid deadline, order id) → (): one entry per open order; begin block closes orders whose
/// deadline has passed, at most params.max_transitions_per_block a block.
pub const ORDER_TIMEOUTS: Map<(u64, u64), ()> = Map::new("q");

/// (usage epoch, provider) → what the provider was paid in that epoch.
pub const USAGE: Map<(u64, &str), Usage> = Map::new("u");

pub struct DealIndexes<'a> {
    pub client: MultiIndex<'a, String, StorageDeal, u64>,
    pub provider: MultiIndex<'a, String, StorageDeal, u64>,
    pub state: MultiIndex<'a, i32, StorageDeal, u64>,
}

impl IndexList<StorageDeal> for DealIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<StorageDeal>> + '_> {
        let v: Vec<&dyn Index<StorageDeal>> = vec![&self.client, &self.provider, &self.state];
        Box::new(v.into_iter())
    }
}

/// deal id → storage deal (namespaces "d", "dc", "dp", "ds").
pub fn deals<'a>() -> IndexedMap<u64, StorageDeal, DealIndexes<'a>> {
    IndexedMap::new(
        "d",
        DealIndexes {
            client: MultiIndex::new(|_, d: &StorageDeal| d.client.clone(), "d", "dc"),
            provider: MultiIndex::new(|_, d: &StorageDeal| d.provider.clone(), "d", "dp"),
            state: MultiIndex::new(|_, d: &StorageDeal| d.state, "d", "ds"),
        },
    )
}

/// (deadline, deal id) → (): one entry per PROPOSED, ACCEPTED or ACTIVE deal, keyed by its
/// `deadline` (acceptance, activation or the current period's due height). Begin block
/// handles the entries whose deadline has passed, at most params.max_transitions_per_block a
/// block; the rest wait for the next block.
pub const DEAL_QUEUE: Map<(u64, u64), ()> = Map::new("dq");
