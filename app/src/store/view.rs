//! Read access to one committed version.

use std::sync::{Arc, Mutex};

use cosmwasm_std::Order;
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};

use super::error::StoreError;
use super::keys::{self, KV};
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

/// A consistent, read-only view of the store at one committed version. It holds a database
/// read transaction, so pruning or later commits never change what it sees.
pub struct CommittedView {
    version: u64,
    // Kept so the snapshot outlives every table opened from it.
    _txn: ReadTransaction,
    kv: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
    fault: FaultSlot,
}

impl CommittedView {
    pub(crate) fn new(txn: ReadTransaction, version: u64) -> Result<Self, StoreError> {
        let kv = match txn.open_table(KV) {
            Ok(t) => Some(t),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(CommittedView {
            version,
            _txn: txn,
            kv,
            fault: Arc::new(Mutex::new(None)),
        })
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
        let Some(kv) = &self.kv else { return Ok(None) };
        read_at(kv, key, self.version)
    }
}

/// Latest entry of `key` with a version ≤ `version` (`None` when absent or deleted).
pub(crate) fn read_at(
    kv: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
    version: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(latest_entry(kv, key, version)?.and_then(|(_, raw)| keys::decode_value(&raw)))
}

/// Latest raw entry (version, tagged value) of `key` at or below `version`.
pub(crate) fn latest_entry(
    kv: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
    version: u64,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let lo = keys::kv_key(key, 0);
    let hi = keys::kv_key(key, version);
    let mut range = kv.range::<&[u8]>(lo.as_slice()..=hi.as_slice())?;
    match range.next_back() {
        Some(entry) => {
            let (k, v) = entry?;
            let ver = keys::decode_kv_key(k.value())
                .map(|(_, ver)| ver)
                .unwrap_or(0);
            Ok(Some((ver, v.value().to_vec())))
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
        let Some(kv) = &self.kv else {
            return Box::new(std::iter::empty());
        };
        let lo = start.map(keys::encode_key);
        let hi = end.map(keys::encode_key);
        let range = match (&lo, &hi) {
            (Some(lo), Some(hi)) => kv.range::<&[u8]>(lo.as_slice()..hi.as_slice()),
            (Some(lo), None) => kv.range::<&[u8]>(lo.as_slice()..),
            (None, Some(hi)) => kv.range::<&[u8]>(..hi.as_slice()),
            (None, None) => kv.range::<&[u8]>(..),
        };
        match range {
            Ok(inner) => Box::new(VersionedRange {
                inner,
                pending: None,
                version: self.version,
                order,
                fault: self.fault.clone(),
            }),
            Err(e) => {
                record_fault(&self.fault, e);
                Box::new(std::iter::empty())
            }
        }
    }
}

type RawEntry = (Vec<u8>, Vec<u8>);

/// Walks the kv table and yields, for each key, its latest entry at or below `version`,
/// skipping deleted keys.
struct VersionedRange {
    inner: redb::Range<'static, &'static [u8], &'static [u8]>,
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
            Ok((k, v)) => Some((k.value().to_vec(), v.value().to_vec())),
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
                        StoreError::Backend("malformed key in the kv table".into()),
                    );
                    return None;
                }
            }
        }
    }
}
