//! Read access to one committed version.

use std::sync::{Arc, Mutex};

use cosmwasm_std::Order;

use super::backend::{Ks, RawIter, Snap};
use super::error::StoreError;
use super::keys;
use super::layer::{KvRead, Record};

/// The first backend failure seen while reading, kept because `KvRead` cannot return errors.
/// A block whose reads failed must not be committed: see [`CommittedView::fault`].
pub(crate) type FaultSlot = Arc<Mutex<Option<StoreError>>>;

pub(crate) fn record_fault(slot: &FaultSlot, err: impl Into<StoreError>) {
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = Some(err.into());
    }
}

/// A consistent, read-only view of the store at one committed version. It reads through a
/// database snapshot, so later commits and pruning never change what it sees.
pub struct CommittedView {
    version: u64,
    snap: Snap,
    fault: FaultSlot,
}

impl CommittedView {
    pub(crate) fn new(snap: Snap, version: u64) -> Self {
        CommittedView {
            version,
            snap,
            fault: Arc::new(Mutex::new(None)),
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The first database error any read through this view hit, if any.
    pub fn fault(&self) -> Option<StoreError> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The value of `key` at this view's version, with database errors surfaced.
    pub fn try_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        read_at(&self.snap, key, self.version)
    }
}

/// The value of `key` at `version` (`None` when absent or deleted).
pub(crate) fn read_at(
    snap: &Snap,
    key: &[u8],
    version: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    if version == snap.latest_version {
        return Ok(latest_row(snap, key)?.map(|(_, value)| value));
    }
    Ok(latest_entry(snap, key, version)?.and_then(|(_, raw)| keys::decode_value(&raw)))
}

/// The (version, value) of `key` in the snapshot's latest version: one point read.
pub(crate) fn latest_row(snap: &Snap, key: &[u8]) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    match snap.get(Ks::Latest, key)? {
        Some(raw) => match keys::decode_latest(&raw) {
            Some((version, value)) => Ok(Some((version, value.to_vec()))),
            None => Err(StoreError::Backend(
                "malformed row in the latest keyspace".into(),
            )),
        },
        None => Ok(None),
    }
}

/// Latest raw history entry (version, tagged value) of `key` at or below `version`.
pub(crate) fn latest_entry(
    snap: &Snap,
    key: &[u8],
    version: u64,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let lo = keys::kv_key(key, 0);
    let hi = keys::kv_key(key, version);
    match snap.range(Ks::Kv, lo..=hi).next_back() {
        Some(entry) => {
            let (k, v) = entry?;
            Ok(Some((entry_version(&k), v)))
        }
        None => Ok(None),
    }
}

impl KvRead for CommittedView {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.try_get(key) {
            Ok(v) => v,
            Err(e) => {
                record_fault(&self.fault, e);
                None
            }
        }
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        if super::layer::is_empty_range(start, end) {
            return Box::new(std::iter::empty());
        }
        use std::ops::Bound;
        if self.version == self.snap.latest_version {
            let lo = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
            let hi = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
            let rows = self.snap.range(Ks::Latest, (lo, hi));
            let rows: RawIter = match order {
                Order::Ascending => rows,
                Order::Descending => Box::new(rows.rev()),
            };
            let fault = self.fault.clone();
            return Box::new(rows.map_while(move |row| {
                let decoded = row.ok().and_then(|(k, raw)| {
                    keys::decode_latest(&raw).map(|(_, value)| (k, value.to_vec()))
                });
                if decoded.is_none() {
                    record_fault(&fault, StoreError::Backend("unreadable latest row".into()));
                }
                decoded
            }));
        }
        let lo = start.map_or(Bound::Unbounded, |s| Bound::Included(keys::encode_key(s)));
        let hi = end.map_or(Bound::Unbounded, |e| Bound::Excluded(keys::encode_key(e)));
        Box::new(VersionedRange {
            inner: self.snap.range(Ks::Kv, (lo, hi)),
            pending: None,
            version: self.version,
            order,
            fault: self.fault.clone(),
        })
    }
}

type RawEntry = (Vec<u8>, Vec<u8>);

/// Walks the kv keyspace and yields, for each key, its latest entry at or below `version`,
/// skipping deleted keys.
struct VersionedRange {
    inner: RawIter,
    /// The first entry of the next key group, read while finishing the previous group.
    pending: Option<RawEntry>,
    version: u64,
    order: Order,
    fault: FaultSlot,
}

impl VersionedRange {
    fn pull(&mut self) -> Option<RawEntry> {
        if let Some(e) = self.pending.take() {
            return Some(e);
        }
        let next = match self.order {
            Order::Ascending => self.inner.next(),
            Order::Descending => self.inner.next_back(),
        };
        match next? {
            Ok(entry) => Some(entry),
            Err(e) => {
                record_fault(&self.fault, e);
                None
            }
        }
    }
}

fn entry_version(raw_key: &[u8]) -> u64 {
    let tail = &raw_key[raw_key.len().saturating_sub(8)..];
    tail.try_into().map(u64::from_be_bytes).unwrap_or(u64::MAX)
}

impl Iterator for VersionedRange {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            let (first_key, first_val) = self.pull()?;
            let group = keys::kv_key_prefix(&first_key).to_vec();
            let mut best = (entry_version(&first_key) <= self.version).then_some(first_val);
            // Ascending: versions rise within a group, so the last one ≤ version wins.
            // Descending: versions fall, so the first one ≤ version wins.
            while let Some((k, v)) = self.pull() {
                if keys::kv_key_prefix(&k) != group.as_slice() {
                    self.pending = Some((k, v));
                    break;
                }
                let visible = entry_version(&k) <= self.version;
                match self.order {
                    Order::Ascending if visible => best = Some(v),
                    Order::Descending if visible && best.is_none() => best = Some(v),
                    _ => {}
                }
            }
            let Some(value) = best.as_deref().and_then(keys::decode_value) else {
                continue;
            };
            match keys::decode_kv_key(&first_key) {
                Some((key, _)) => return Some((key, value)),
                None => {
                    record_fault(
                        &self.fault,
                        StoreError::Backend("malformed key in the kv keyspace".into()),
                    );
                    return None;
                }
            }
        }
    }
}
