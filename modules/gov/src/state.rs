//! Everything governance keeps, under the module prefix `gov/`. Proposals, votes and deposits
//! are stored as their `cosmos.gov.v1` protobuf encodings (what queries return, byte for
//! byte); keys are built by hand so that key order is the order queries page in:
//!
//! | key | value |
//! |---|---|
//! | `p` id | `Proposal` |
//! | `s` status id | 1 — proposals by status |
//! | `v` id voter | `Vote` |
//! | `w` len(voter) voter id | 1 — votes by voter |
//! | `d` id depositor | `Deposit` |
//! | `e` len(depositor) depositor id | 1 — deposits by depositor |
//! | `i` deposit_end_ns id | 1 — proposals in their deposit period, by deadline |
//! | `a` voting_end_ns id | 1 — proposals in their voting period, by deadline |
//! | `n` | the next proposal id (JSON) |
//! | `c` | the constitution (JSON) |
//! | `o` | the sum of the open proposals' deposits (JSON) |
//! | `P` | params (JSON) |
//!
//! Ids and times are big-endian u64 (times in nanoseconds since the Unix epoch).

use cosmrs::proto::cosmos::gov::v1::{Deposit, Proposal, Vote};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Item;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use prost::Message;

use crate::error::GovError;
use crate::params::Params;

pub const PREFIX: &[u8] = b"gov/";

pub const PARAMS: Item<Params> = Item::new("P");
pub const NEXT_PROPOSAL_ID: Item<u64> = Item::new("n");
pub const CONSTITUTION: Item<String> = Item::new("c");
/// The sum of the deposits of proposals in their deposit or voting period: what the gov
/// account holds for them (kept as a running total so that no block hook walks every open
/// proposal).
pub const OPEN_DEPOSITS: Item<Vec<depin_app::coins::Coin>> = Item::new("o");

/// The value of index and queue entries (the store keeps no empty values).
pub const MARK: &[u8] = &[1];

pub const PROPOSAL: u8 = b'p';
pub const BY_STATUS: u8 = b's';
pub const VOTE: u8 = b'v';
pub const BY_VOTER: u8 = b'w';
pub const DEPOSIT: u8 = b'd';
pub const BY_DEPOSITOR: u8 = b'e';
pub const INACTIVE: u8 = b'i';
pub const ACTIVE: u8 = b'a';

pub fn proposal_key(id: u64) -> Vec<u8> {
    let mut k = vec![PROPOSAL];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn status_key(status: i32, id: u64) -> Vec<u8> {
    let mut k = vec![BY_STATUS, status.clamp(0, 255) as u8];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// `tag` id address: a vote or a deposit.
pub fn entry_key(tag: u8, id: u64, address: &[u8]) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(&id.to_be_bytes());
    k.extend_from_slice(address);
    k
}

/// `tag` len(address) address [id]: the index of votes or deposits by account.
pub fn by_account_key(tag: u8, address: &[u8], id: Option<u64>) -> Vec<u8> {
    let mut k = vec![tag, address.len().min(255) as u8];
    k.extend_from_slice(address);
    if let Some(id) = id {
        k.extend_from_slice(&id.to_be_bytes());
    }
    k
}

pub fn queue_key(tag: u8, time_ns: u64, id: u64) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(&time_ns.to_be_bytes());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The end of the key range of everything starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 255 {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The trailing big-endian u64 of a key.
pub fn trailing_id(key: &[u8]) -> AppResult<u64> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key.get(at..))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| GovError::Corrupt(format!("key {key:?} does not end with an id")).into())
}

/// Decodes a stored protobuf value.
pub fn decode<T: Message + Default>(what: &str, bytes: &[u8]) -> AppResult<T> {
    T::decode(bytes)
        .map_err(|e| GovError::Corrupt(format!("stored {what} does not decode: {e}")).into())
}

/// Raw access to the module's keys.
pub struct Store<'c, 'a, 'p> {
    ctx: &'c mut Ctx<'a, 'p>,
}

impl<'c, 'a, 'p> Store<'c, 'a, 'p> {
    pub fn new(ctx: &'c mut Ctx<'a, 'p>) -> Self {
        Store { ctx }
    }

    pub fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        self.ctx.storage(PREFIX).get(key)
    }

    pub fn set(&mut self, key: &[u8], value: &[u8]) {
        self.ctx.storage(PREFIX).set(key, value)
    }

    pub fn remove(&mut self, key: &[u8]) {
        self.ctx.storage(PREFIX).remove(key)
    }

    /// Every (key, value) with `prefix`, starting at `start` (a full key) when given.
    pub fn scan(&mut self, prefix: &[u8], start: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.range(start.unwrap_or(prefix), prefix_end(prefix).as_deref())
    }

    /// At most `max` (key, value) with `prefix`, from `start` when given.
    pub fn scan_limited(
        &mut self,
        prefix: &[u8],
        start: Option<&[u8]>,
        max: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let end = prefix_end(prefix);
        self.ctx
            .storage(PREFIX)
            .range(
                Some(start.unwrap_or(prefix)),
                end.as_deref(),
                Order::Ascending,
            )
            .take(max)
            .collect()
    }

    /// Every (key, value) in `[start, end)`.
    pub fn range(&mut self, start: &[u8], end: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.ctx
            .storage(PREFIX)
            .range(Some(start), end, Order::Ascending)
            .collect()
    }

    pub fn proposal(&mut self, id: u64) -> AppResult<Option<Proposal>> {
        self.get(&proposal_key(id))
            .map(|b| decode("proposal", &b))
            .transpose()
    }

    /// Saves a proposal and keeps the status index right (`old_status` is the status it was
    /// indexed under, if it was saved before).
    pub fn save_proposal(&mut self, p: &Proposal, old_status: Option<i32>) {
        if let Some(old) = old_status {
            self.remove(&status_key(old, p.id));
        }
        self.set(&status_key(p.status, p.id), MARK);
        self.set(&proposal_key(p.id), &p.encode_to_vec());
    }

    pub fn delete_proposal(&mut self, p: &Proposal) {
        self.remove(&status_key(p.status, p.id));
        self.remove(&proposal_key(p.id));
    }

    pub fn vote(&mut self, id: u64, voter: &[u8]) -> AppResult<Option<Vote>> {
        self.get(&entry_key(VOTE, id, voter))
            .map(|b| decode("vote", &b))
            .transpose()
    }

    pub fn save_vote(&mut self, voter: &[u8], v: &Vote) {
        self.set(&entry_key(VOTE, v.proposal_id, voter), &v.encode_to_vec());
        self.set(&by_account_key(BY_VOTER, voter, Some(v.proposal_id)), MARK);
    }

    pub fn delete_vote(&mut self, id: u64, voter: &[u8]) {
        self.remove(&entry_key(VOTE, id, voter));
        self.remove(&by_account_key(BY_VOTER, voter, Some(id)));
    }

    pub fn deposit(&mut self, id: u64, depositor: &[u8]) -> AppResult<Option<Deposit>> {
        self.get(&entry_key(DEPOSIT, id, depositor))
            .map(|b| decode("deposit", &b))
            .transpose()
    }

    pub fn save_deposit(&mut self, depositor: &[u8], d: &Deposit) {
        self.set(
            &entry_key(DEPOSIT, d.proposal_id, depositor),
            &d.encode_to_vec(),
        );
        self.set(
            &by_account_key(BY_DEPOSITOR, depositor, Some(d.proposal_id)),
            MARK,
        );
    }

    pub fn delete_deposit(&mut self, id: u64, depositor: &[u8]) {
        self.remove(&entry_key(DEPOSIT, id, depositor));
        self.remove(&by_account_key(BY_DEPOSITOR, depositor, Some(id)));
    }

    /// (raw address, value) of every vote or deposit (`tag`) on proposal `id`, by address.
    pub fn entries(&mut self, tag: u8, id: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        let prefix = entry_key(tag, id, &[]);
        self.scan(&prefix, None)
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
            .collect()
    }

    /// The ids in queue `tag` whose time is at most `now_ns`, earliest first.
    pub fn due(&mut self, tag: u8, now_ns: u64) -> AppResult<Vec<u64>> {
        let end = queue_key(tag, now_ns.saturating_add(1), 0);
        let end = if now_ns == u64::MAX {
            prefix_end(&[tag])
        } else {
            Some(end)
        };
        self.range(&[tag], end.as_deref())
            .into_iter()
            .map(|(k, _)| trailing_id(&k))
            .collect()
    }
}
