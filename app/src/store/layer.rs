//! The uncommitted layers: the block's working set over a committed version, and branches
//! (per transaction, per message, nested as deep as needed) over the working set.
//!
//! Reads see the nearest layer that wrote the key; iteration merges all layers in key order.
//! A branch's writes reach its parent only through [`Branch::commit`]; dropping it discards
//! them.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

use cosmwasm_std::Order;

use super::error::StoreError;
use super::gas::GasMeter;
use super::view::CommittedView;

/// A key and its value, as iteration yields them.
pub type Record = (Vec<u8>, Vec<u8>);

/// Pending writes in key order: `Some(value)` sets, `None` deletes.
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Uncharged reads of a layer. `start` is inclusive and `end` exclusive.
pub trait KvRead {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a>;
}

/// A layer that accepts the writes of a child branch.
pub trait KvWrite: KvRead {
    fn absorb(&mut self, changes: ChangeSet);
}

/// An empty or inverted range yields nothing (and must not reach `BTreeMap::range`, which
/// panics on inverted bounds).
pub(crate) fn is_empty_range(start: Option<&[u8]>, end: Option<&[u8]>) -> bool {
    matches!((start, end), (Some(s), Some(e)) if s >= e)
}

fn bounds<'k>(
    start: Option<&'k [u8]>,
    end: Option<&'k [u8]>,
) -> (Bound<&'k [u8]>, Bound<&'k [u8]>) {
    (
        start.map_or(Bound::Unbounded, Bound::Included),
        end.map_or(Bound::Unbounded, Bound::Excluded),
    )
}

/// Reads `changes` over `parent`.
fn layered_get(changes: &ChangeSet, parent: &dyn KvRead, key: &[u8]) -> Option<Vec<u8>> {
    match changes.get(key) {
        Some(v) => v.clone(),
        None => parent.get(key),
    }
}

/// Iterates `changes` merged over `parent` in key order.
fn layered_range<'a>(
    changes: &'a ChangeSet,
    parent: &'a dyn KvRead,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
    order: Order,
) -> Box<dyn Iterator<Item = Record> + 'a> {
    if is_empty_range(start, end) {
        return Box::new(std::iter::empty());
    }
    let overlay = changes.range::<[u8], _>(bounds(start, end));
    let overlay: OverlayIter<'a> = match order {
        Order::Ascending => Box::new(overlay),
        Order::Descending => Box::new(overlay.rev()),
    };
    Box::new(MergeIter {
        overlay: overlay.peekable(),
        parent: parent.range(start, end, order).peekable(),
        order,
    })
}

type OverlayIter<'a> = Box<dyn Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + 'a>;

struct MergeIter<'a> {
    overlay: Peekable<OverlayIter<'a>>,
    parent: Peekable<Box<dyn Iterator<Item = Record> + 'a>>,
    order: Order,
}

impl Iterator for MergeIter<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        use std::cmp::Ordering::*;
        loop {
            let take_overlay = match (self.overlay.peek(), self.parent.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((ok, _)), Some((pk, _))) => {
                    let cmp = ok.as_slice().cmp(pk.as_slice());
                    let cmp = match self.order {
                        Order::Ascending => cmp,
                        Order::Descending => cmp.reverse(),
                    };
                    match cmp {
                        Less => true,
                        Equal => {
                            // The overlay shadows the parent's entry for the same key.
                            self.parent.next();
                            true
                        }
                        Greater => false,
                    }
                }
            };
            if !take_overlay {
                return self.parent.next();
            }
            if let Some((k, Some(v))) = self.overlay.next() {
                return Some((k.clone(), v.clone()));
            }
            // A deletion: skip it and look again.
        }
    }
}

/// The block's uncommitted state over one committed version. Reads here are not metered:
/// metering happens on the branches that transactions and hooks run in.
pub struct WorkingSet {
    base: CommittedView,
    changes: ChangeSet,
}

impl WorkingSet {
    pub fn new(base: CommittedView) -> Self {
        WorkingSet {
            base,
            changes: ChangeSet::new(),
        }
    }

    /// The committed version this working set builds on.
    pub fn base_version(&self) -> u64 {
        self.base.version()
    }

    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    /// A branch whose gas is counted on `gas`.
    pub fn branch(&mut self, gas: Arc<GasMeter>) -> Branch<'_> {
        Branch::new(self, gas)
    }

    /// The block's changes, or the database error a read hit (then the block must not commit).
    pub fn into_changes(self) -> Result<(u64, ChangeSet), StoreError> {
        match self.base.fault() {
            Some(e) => Err(e),
            None => Ok((self.base.version(), self.changes)),
        }
    }
}

impl KvRead for WorkingSet {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        layered_get(&self.changes, &self.base, key)
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        layered_range(&self.changes, &self.base, start, end, order)
    }
}

impl KvWrite for WorkingSet {
    fn absorb(&mut self, changes: ChangeSet) {
        self.changes.extend(changes);
    }
}

/// A discardable layer of writes over a parent layer, with a gas meter. Its public methods
/// charge gas; the parent sees nothing until [`Branch::commit`].
pub struct Branch<'p> {
    parent: &'p mut dyn KvWrite,
    changes: ChangeSet,
    gas: Arc<GasMeter>,
    /// The first invalid write (empty key or value); such a branch cannot be committed.
    fault: Option<StoreError>,
}

impl<'p> Branch<'p> {
    pub fn new(parent: &'p mut dyn KvWrite, gas: Arc<GasMeter>) -> Self {
        Branch {
            parent,
            changes: ChangeSet::new(),
            gas,
            fault: None,
        }
    }

    pub fn gas(&self) -> &Arc<GasMeter> {
        &self.gas
    }

    /// A nested branch counting gas on the same meter.
    pub fn branch(&mut self) -> Branch<'_> {
        let gas = self.gas.clone();
        Branch::new(self, gas)
    }

    /// A nested branch with a meter of its own (e.g. a sub-call with its own limit).
    pub fn branch_with_gas(&mut self, gas: Arc<GasMeter>) -> Branch<'_> {
        Branch::new(self, gas)
    }

    /// `Ok` unless the meter ran out of gas or a write was invalid.
    pub fn check(&self) -> Result<(), StoreError> {
        self.gas.check()?;
        match &self.fault {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Writes this branch's changes into its parent, unless [`Branch::check`] fails: a branch
    /// that ran out of gas or wrote invalid data is discarded and the error returned.
    pub fn commit(self) -> Result<(), StoreError> {
        self.check()?;
        self.parent.absorb(self.changes);
        Ok(())
    }

    /// Drops this branch's changes. (Dropping the branch does the same; this names it.)
    pub fn discard(self) {}

    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let value = KvRead::get(self, key);
        self.gas
            .charge_read(key.len(), value.as_ref().map(Vec::len));
        value
    }

    pub fn has(&self, key: &[u8]) -> bool {
        self.gas.charge_has();
        KvRead::get(self, key).is_some()
    }

    /// Sets `key` to `value`. Empty keys and values are invalid (ICS23 cannot prove them, and
    /// CosmWasm storage forbids them): the write is dropped and the branch will not commit.
    pub fn set(&mut self, key: &[u8], value: &[u8]) {
        self.gas.charge_write(key.len(), value.len());
        if key.is_empty() || value.is_empty() {
            let err = if key.is_empty() {
                StoreError::EmptyKey
            } else {
                StoreError::EmptyValue
            };
            self.fault.get_or_insert(err);
            return;
        }
        self.changes.insert(key.to_vec(), Some(value.to_vec()));
    }

    pub fn delete(&mut self, key: &[u8]) {
        self.gas.charge_delete();
        if key.is_empty() {
            self.fault.get_or_insert(StoreError::EmptyKey);
            return;
        }
        self.changes.insert(key.to_vec(), None);
    }

    /// Metered iteration: each step costs the iterator-step gas plus the bytes it yields.
    pub fn iter<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        let gas = self.gas.clone();
        Box::new(
            KvRead::range(self, start, end, order).inspect(move |(k, v)| {
                gas.charge_iter_step(k.len(), v.len());
            }),
        )
    }
}

impl KvRead for Branch<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        layered_get(&self.changes, &*self.parent, key)
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        layered_range(&self.changes, &*self.parent, start, end, order)
    }
}

impl KvWrite for Branch<'_> {
    fn absorb(&mut self, changes: ChangeSet) {
        self.changes.extend(changes);
    }
}
