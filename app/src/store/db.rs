//! The persistent, authenticated store: the ordered key index (every retained version of every
//! key) and a Jellyfish Merkle tree over it, in one embedded database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use borsh::BorshDeserialize;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Sha256Jmt};
use sha2::{Digest, Sha256};

use super::backend::{Backend, Batch, Ks, Snap};
use super::error::{Result, StoreError};
use super::keys::{self, StaleList};
use super::layer::{ChangeSet, WorkingSet};
use super::view::{self, CommittedView};

/// The root of the empty tree: the app hash of version 0.
/// (JMT's placeholder hash; a test checks it against the tree's own null node.)
pub const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// How many recent versions stay readable (0 keeps all).
    pub keep_recent: u64,
    /// Block cache of the database, in bytes.
    pub cache_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            keep_recent: 0,
            cache_bytes: 512 << 20,
        }
    }
}

/// What the store holds: the latest version, its root, and the oldest readable version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitInfo {
    pub version: u64,
    pub root: [u8; 32],
    pub oldest: u64,
}

/// The block's changes with their new root, computed but not yet written: the app hash is
/// known at FinalizeBlock and made durable at Commit.
pub struct PendingCommit {
    version: u64,
    root: [u8; 32],
    changes: Vec<Effective>,
    batch: TreeUpdateBatch,
}

/// A change that has an effect, with the version of the entry it supersedes.
struct Effective {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
    prev: Option<u64>,
}

impl PendingCommit {
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn root(&self) -> [u8; 32] {
        self.root
    }
}

struct Inner {
    backend: Backend,
    dir: PathBuf,
    config: StoreConfig,
    info: RwLock<CommitInfo>,
}

/// A handle to the store; clones share it. Commits are serialised by the caller (the ABCI
/// driver owns the only writer); views and proofs may be taken from any thread.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash(Sha256::digest(key).into())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Opens (or creates) the store in directory `dir`, recovering the last committed version.
    pub fn open(dir: impl AsRef<Path>, config: StoreConfig) -> Result<Store> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let backend = Backend::open(dir, config.cache_bytes)?;
        if restoring_version(&backend.snapshot()?)?.is_some() {
            return Err(StoreError::IncompleteRestore(dir.display().to_string()));
        }
        Self::from_backend(backend, dir.to_path_buf(), config)
    }

    pub(crate) fn from_backend(
        backend: Backend,
        dir: PathBuf,
        config: StoreConfig,
    ) -> Result<Store> {
        let info = read_info(&backend.snapshot()?)?;
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                dir,
                config,
                info: RwLock::new(info),
            }),
        })
    }

    fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    pub fn info(&self) -> CommitInfo {
        *self.inner.info.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The latest committed version (0 for a fresh store).
    pub fn version(&self) -> u64 {
        self.info().version
    }

    /// The root hash of the latest committed version: the app hash.
    pub fn root(&self) -> [u8; 32] {
        self.info().root
    }

    fn check_retained(&self, version: u64) -> Result<CommitInfo> {
        let info = self.info();
        if version < info.oldest || version > info.version {
            return Err(StoreError::VersionUnavailable {
                requested: version,
                oldest: info.oldest,
                latest: info.version,
            });
        }
        Ok(info)
    }

    /// A snapshot taken before checking `version` is retained: a prune that lands in between
    /// cannot remove what the snapshot sees, and one that landed before is caught.
    fn retained_snapshot(&self, version: u64) -> Result<Snap> {
        let snap = self.backend().snapshot()?;
        self.check_retained(version)?;
        Ok(snap)
    }

    /// The root hash of a retained version.
    pub fn root_at(&self, version: u64) -> Result<[u8; 32]> {
        let snap = self.retained_snapshot(version)?;
        if version == 0 {
            return Ok(EMPTY_ROOT);
        }
        root_in(&snap, version)
    }

    /// A read-only view of a retained version.
    pub fn view(&self, version: u64) -> Result<CommittedView> {
        Ok(CommittedView::new(
            self.retained_snapshot(version)?,
            version,
        ))
    }

    /// A view of the latest committed version.
    pub fn latest_view(&self) -> Result<CommittedView> {
        // The snapshot knows which version it holds; the store's record may already be newer
        // or (mid-commit) older.
        let snap = self.backend().snapshot()?;
        let version = snap.latest_version;
        Ok(CommittedView::new(snap, version))
    }

    /// A fresh working set for the next block, over the latest version.
    pub fn working_set(&self) -> Result<WorkingSet> {
        Ok(WorkingSet::new(self.latest_view()?))
    }

    /// Computes the next version's root from a block's working set without writing anything.
    pub fn prepare_commit(&self, working_set: WorkingSet) -> Result<PendingCommit> {
        let (base, changes) = working_set.into_changes()?;
        self.prepare_changes(base, changes)
    }

    /// As [`Store::prepare_commit`], from a change set built on version `base`.
    pub fn prepare_changes(&self, base: u64, changes: ChangeSet) -> Result<PendingCommit> {
        let latest = self.version();
        if base != latest {
            return Err(StoreError::NonSequentialCommit {
                expected: latest + 1,
                got: base + 1,
            });
        }
        let version = latest + 1;
        if changes.keys().any(Vec::is_empty) {
            return Err(StoreError::EmptyKey);
        }
        let reader = TreeView::new(self.backend().snapshot()?, None);
        if reader.snap.latest_version != latest {
            return Err(StoreError::NonSequentialCommit {
                expected: reader.snap.latest_version + 1,
                got: version,
            });
        }
        let has_deletes = changes.values().any(Option::is_none);
        if has_deletes || changes.is_empty() {
            // Deleting an absent key must not reach the tree: look the previous entries up
            // first, then apply the effective changes key by key.
            let effective = effective_changes(&reader.snap, changes)?;
            let value_set = effective
                .iter()
                .map(|e| (key_hash(&e.key), e.value.clone()))
                .collect::<Vec<_>>();
            let (root, batch) = Sha256Jmt::new(&reader).put_value_set(value_set, version)?;
            return Ok(PendingCommit {
                version,
                root: root.0,
                changes: effective,
                batch,
            });
        }
        // Only sets: the tree's batch insert builds each touched node once (per-key inserts
        // rehash the whole path for every key), while the other core looks up the entries
        // these writes supersede.
        let value_set: Vec<(KeyHash, OwnedValue)> = changes
            .iter()
            .map(|(k, v)| (key_hash(k), v.clone().unwrap_or_default()))
            .collect();
        let lookup_snap = self.backend().snapshot()?;
        let (tree_result, effective) = std::thread::scope(|scope| {
            let lookups = scope.spawn(move || effective_changes(&lookup_snap, changes));
            let tree = Sha256Jmt::new(&reader).batch_put_value_sets(vec![value_set], None, version);
            let effective = lookups
                .join()
                .unwrap_or_else(|_| Err(StoreError::Backend("lookup thread panicked".into())));
            (tree, effective)
        });
        let (mut roots, batch) = tree_result?;
        let root = roots
            .pop()
            .ok_or_else(|| StoreError::Tree("no root computed".into()))?;
        Ok(PendingCommit {
            version,
            root: root.0,
            changes: effective?,
            batch,
        })
    }

    /// Writes a prepared version durably, in one atomic batch with its pruning.
    pub fn commit(&self, pending: PendingCommit) -> Result<CommitInfo> {
        let info = self.info();
        if pending.version != info.version + 1 {
            return Err(StoreError::NonSequentialCommit {
                expected: info.version + 1,
                got: pending.version,
            });
        }
        let version = pending.version;
        let mut batch = Batch::default();
        let mut stale = StaleList::default();
        for Effective { key, value, prev } in pending.changes {
            match &value {
                Some(v) => batch.put(Ks::Latest, key.clone(), keys::latest_value(version, v)),
                None => batch.delete(Ks::Latest, key.clone()),
            }
            let raw_key = keys::kv_key(&key, version);
            batch.put(
                Ks::Kv,
                raw_key.clone(),
                keys::encode_value(value.as_deref()),
            );
            match prev {
                Some(prev) => stale.kv.push(keys::kv_key(&key, prev)),
                // New (or re-created) key: the tree needs its preimage for proofs of neighbours.
                None => batch.put(Ks::Preimages, key_hash(&key).0.to_vec(), key),
            }
            if value.is_none() {
                // A deletion marker is only needed while older entries are readable.
                stale.kv.push(raw_key);
            }
        }
        stale.nodes = tree_batch(&mut batch, &pending.batch);
        stale_row(&mut batch, version, &stale);
        batch.put(
            Ks::Roots,
            version.to_be_bytes().to_vec(),
            pending.root.to_vec(),
        );
        let oldest = self.prune_into(&mut batch, version, info.oldest)?;
        meta_rows(&mut batch, version, oldest);
        self.backend().write(batch, true)?;
        for (node_key, node) in pending.batch.node_batch.nodes() {
            self.backend().node_cache.offer(node_key, node);
        }
        let info = CommitInfo {
            version,
            root: pending.root,
            oldest,
        };
        *self.inner.info.write().unwrap_or_else(|e| e.into_inner()) = info;
        Ok(info)
    }

    /// Prepares and commits a working set in one call.
    pub fn commit_working_set(&self, working_set: WorkingSet) -> Result<CommitInfo> {
        let pending = self.prepare_commit(working_set)?;
        self.commit(pending)
    }

    /// Adds to `batch` the removal of what no version from the new oldest on reads. Returns
    /// the new oldest version.
    fn prune_into(&self, batch: &mut Batch, latest: u64, oldest: u64) -> Result<u64> {
        let keep = self.inner.config.keep_recent;
        if keep == 0 || latest < keep {
            return Ok(oldest);
        }
        let new_oldest = latest + 1 - keep;
        if new_oldest <= oldest {
            return Ok(oldest);
        }
        // Everything stale since a version ≤ new_oldest is unreachable from new_oldest on.
        // Rows of versions ≤ oldest were removed by earlier prunes.
        let snap = self.backend().snapshot()?;
        let from = (oldest + 1).to_be_bytes().to_vec();
        let to = new_oldest.to_be_bytes().to_vec();
        for row in snap.range(Ks::Stale, from..=to) {
            let (version_key, list) = row?;
            let list = StaleList::try_from_slice(&list)
                .map_err(|e| StoreError::Backend(format!("undecodable stale list: {e}")))?;
            for k in list.kv {
                batch.delete(Ks::Kv, k);
            }
            for k in list.nodes {
                batch.delete(Ks::Nodes, k);
            }
            batch.delete(Ks::Stale, version_key);
        }
        for v in oldest..new_oldest {
            batch.delete(Ks::Roots, v.to_be_bytes().to_vec());
        }
        Ok(new_oldest)
    }

    /// The value of `key` at `version` with an ICS23 proof of its presence or absence
    /// against that version's root.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, ics23::CommitmentProof)> {
        let reader = TreeView::new(self.retained_snapshot(version)?, None);
        let tree = Sha256Jmt::new(&reader);
        let (value, proof) = tree.get_with_ics23_proof(key.to_vec(), version)?;
        Ok((value, proof))
    }
}

/// Pairs each change with the version of the entry it supersedes, dropping deletions of keys
/// that are absent. (A deletion marker superseded by a new value needs no record here: the
/// marker was listed as stale by the version that wrote it.)
fn effective_changes(snap: &Snap, changes: ChangeSet) -> Result<Vec<Effective>> {
    let mut effective = Vec::with_capacity(changes.len());
    for (key, value) in changes {
        let prev = view::latest_row(snap, &key)?.map(|(version, _)| version);
        if value.is_none() && prev.is_none() {
            continue;
        }
        effective.push(Effective { key, value, prev });
    }
    Ok(effective)
}

/// The ICS23 proof spec of this store's commitments (the JMT spec).
pub fn proof_spec() -> ics23::ProofSpec {
    jmt::ics23_spec()
}

/// Checks an existence proof of `key` = `value` against `root`.
pub fn verify_membership(
    proof: &ics23::CommitmentProof,
    root: &[u8; 32],
    key: &[u8],
    value: &[u8],
) -> bool {
    ics23::verify_membership::<ics23::HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.to_vec(),
        key,
        value,
    )
}

/// Checks a proof that `key` is absent under `root`.
pub fn verify_non_membership(proof: &ics23::CommitmentProof, root: &[u8; 32], key: &[u8]) -> bool {
    ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.to_vec(),
        key,
    )
}

/// Adds the tree's new nodes to `batch`; returns the keys of the nodes it made stale.
pub(crate) fn tree_batch(batch: &mut Batch, update: &TreeUpdateBatch) -> Vec<Vec<u8>> {
    for (node_key, node) in update.node_batch.nodes() {
        // Serialising into a Vec cannot fail.
        batch.put(
            Ks::Nodes,
            keys::node_key(node_key),
            borsh::to_vec(node).unwrap_or_default(),
        );
    }
    update
        .stale_node_index_batch
        .iter()
        .map(|idx| keys::node_key(&idx.node_key))
        .collect()
}

pub(crate) fn stale_row(batch: &mut Batch, version: u64, stale: &StaleList) {
    let bytes = borsh::to_vec(stale).unwrap_or_default();
    batch.put(Ks::Stale, version.to_be_bytes().to_vec(), bytes);
}

pub(crate) fn meta_rows(batch: &mut Batch, latest: u64, oldest: u64) {
    batch.put(
        Ks::Meta,
        keys::META_LATEST.to_vec(),
        latest.to_be_bytes().to_vec(),
    );
    batch.put(
        Ks::Meta,
        keys::META_OLDEST.to_vec(),
        oldest.to_be_bytes().to_vec(),
    );
}

fn root_in(snap: &Snap, version: u64) -> Result<[u8; 32]> {
    let raw = snap
        .get(Ks::Roots, &version.to_be_bytes())?
        .ok_or_else(|| StoreError::Backend(format!("root of version {version} is missing")))?;
    raw.as_slice()
        .try_into()
        .map_err(|_| StoreError::Backend(format!("root of version {version} is malformed")))
}

fn read_info(snap: &Snap) -> Result<CommitInfo> {
    let version = snap.get_u64(Ks::Meta, keys::META_LATEST)?.unwrap_or(0);
    let oldest = snap.get_u64(Ks::Meta, keys::META_OLDEST)?.unwrap_or(0);
    let root = if version == 0 {
        EMPTY_ROOT
    } else {
        root_in(snap, version)?
    };
    Ok(CommitInfo {
        version,
        root,
        oldest,
    })
}

pub(crate) fn restoring_version(snap: &Snap) -> Result<Option<u64>> {
    snap.get_u64(Ks::Meta, keys::META_RESTORING)
}

/// The tree's view of committed nodes and values.
pub(crate) struct TreeView {
    pub(crate) snap: Snap,
    /// A version whose root is the empty tree without a stored node: always 0, and the
    /// version below a snapshot being restored.
    empty_root_at: Option<u64>,
}

impl TreeView {
    pub(crate) fn new(snap: Snap, empty_root_at: Option<u64>) -> Self {
        TreeView {
            snap,
            empty_root_at,
        }
    }

    fn is_synthetic_empty_root(&self, node_key: &NodeKey) -> bool {
        node_key.nibble_path().num_nibbles() == 0
            && (node_key.version() == 0 || Some(node_key.version()) == self.empty_root_at)
    }
}

impl TreeReader for TreeView {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let cache = &self.snap.backend.node_cache;
        if let Some(node) = cache.get(node_key) {
            return Ok(Some(node));
        }
        match self.snap.get(Ks::Nodes, &keys::node_key(node_key))? {
            Some(raw) => {
                let node = Node::deserialize(&mut raw.as_slice())?;
                cache.offer(node_key, &node);
                Ok(Some(node))
            }
            None if self.is_synthetic_empty_root(node_key) => Ok(Some(Node::Null)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: jmt::Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let Some(key) = self.snap.get(Ks::Preimages, &key_hash.0)? else {
            return Ok(None);
        };
        Ok(view::read_at(&self.snap, &key, max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!(
            "rightmost-leaf lookup is only used by JMT's own restore, which this store does not use"
        )
    }
}

impl jmt::storage::HasPreimage for TreeView {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.snap.get(Ks::Preimages, &key_hash.0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_emptied_again_has_the_empty_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
        let mut set = ChangeSet::new();
        set.insert(b"k".to_vec(), Some(b"v".to_vec()));
        let first = store
            .commit(store.prepare_changes(0, set).unwrap())
            .unwrap();
        assert_ne!(first.root, EMPTY_ROOT);
        let mut del = ChangeSet::new();
        del.insert(b"k".to_vec(), None);
        let second = store
            .commit(store.prepare_changes(1, del).unwrap())
            .unwrap();
        assert_eq!(second.root, EMPTY_ROOT);
        assert_eq!(store.root_at(0).unwrap(), EMPTY_ROOT);
    }
}
