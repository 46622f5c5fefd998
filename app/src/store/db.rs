//! The persistent, authenticated store: a redb database holding the ordered key index (every
//! retained version of every key) and a Jellyfish Merkle tree over it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use borsh::BorshDeserialize;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Sha256Jmt};
use redb::{Database, Durability, ReadOnlyTable, ReadableDatabase, WriteTransaction};
use sha2::{Digest, Sha256};

use super::error::{Result, StoreError};
use super::keys::{self, KV, META, NODES, PREIMAGES, ROOTS, STALE_KV, STALE_NODES};
use super::layer::{ChangeSet, WorkingSet};
use super::view::{self, CommittedView};

/// The root of the empty tree: the app hash of version 0.
/// (JMT's placeholder hash; a test checks it against the tree's own null node.)
pub const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// How many recent versions stay readable (0 keeps all).
    pub keep_recent: u64,
    /// redb page cache in bytes.
    pub cache_bytes: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            keep_recent: 0,
            cache_bytes: 256 << 20,
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
    /// Changes that have an effect.
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
    db: Database,
    path: PathBuf,
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
        let path = dir.join("state.redb");
        let db = Database::builder()
            .set_cache_size(config.cache_bytes)
            .create(&path)?;
        let info = read_info(&db)?;
        if restoring_version(&db)?.is_some() {
            return Err(StoreError::IncompleteRestore(dir.display().to_string()));
        }
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                path,
                config,
                info: RwLock::new(info),
            }),
        })
    }

    pub(crate) fn from_parts(db: Database, path: PathBuf, config: StoreConfig) -> Result<Store> {
        let info = read_info(&db)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                path,
                config,
                info: RwLock::new(info),
            }),
        })
    }

    pub(crate) fn db(&self) -> &Database {
        &self.inner.db
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
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

    /// The root hash of a retained version.
    pub fn root_at(&self, version: u64) -> Result<[u8; 32]> {
        self.check_retained(version)?;
        if version == 0 {
            return Ok(EMPTY_ROOT);
        }
        let txn = self.db().begin_read()?;
        let roots = txn.open_table(ROOTS)?;
        let root = roots.get(version)?.map(|g| *g.value());
        root.ok_or_else(|| StoreError::Backend(format!("root of version {version} is missing")))
    }

    /// A read-only view of a retained version.
    pub fn view(&self, version: u64) -> Result<CommittedView> {
        let txn = self.db().begin_read()?;
        // Checked after the transaction began: a prune that lands in between cannot remove
        // what this snapshot sees, and one that landed before is caught here.
        self.check_retained(version)?;
        CommittedView::new(txn, version)
    }

    /// A view of the latest committed version.
    pub fn latest_view(&self) -> Result<CommittedView> {
        let txn = self.db().begin_read()?;
        let version = self.version();
        CommittedView::new(txn, version)
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
        let txn = self.db().begin_read()?;
        let reader = TreeView::new(&txn, None)?;
        let has_deletes = changes.values().any(Option::is_none);
        if has_deletes || changes.is_empty() {
            // Deleting an absent key must not reach the tree: look the previous entries up
            // first, then apply the effective changes key by key.
            let effective = self.effective_changes(&reader, latest, changes)?;
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
        let (tree_result, effective) = std::thread::scope(|scope| {
            let lookups = scope.spawn(|| {
                let txn = self.db().begin_read()?;
                let reader = TreeView::new(&txn, None)?;
                self.effective_changes(&reader, latest, changes)
            });
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
        let effective = effective?;
        Ok(PendingCommit {
            version,
            root: root.0,
            changes: effective,
            batch,
        })
    }

    /// Pairs each change with the version of the entry it supersedes, dropping deletions of
    /// keys that are absent.
    fn effective_changes(
        &self,
        reader: &TreeView,
        latest: u64,
        changes: ChangeSet,
    ) -> Result<Vec<Effective>> {
        let mut effective = Vec::with_capacity(changes.len());
        for (key, value) in changes {
            let prev = match &reader.kv {
                Some(kv) => view::latest_entry(kv, &key, latest)?,
                None => None,
            };
            let prev_present = prev
                .as_ref()
                .is_some_and(|(_, raw)| raw.first() == Some(&keys::TAG_PRESENT));
            if value.is_none() && !prev_present {
                continue;
            }
            effective.push(Effective {
                key,
                value,
                prev: prev.map(|(v, _)| v),
            });
        }
        Ok(effective)
    }

    /// Writes a prepared version durably, in one database transaction with its pruning.
    pub fn commit(&self, pending: PendingCommit) -> Result<CommitInfo> {
        let info = self.info();
        if pending.version != info.version + 1 {
            return Err(StoreError::NonSequentialCommit {
                expected: info.version + 1,
                got: pending.version,
            });
        }
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let version = pending.version;
        {
            let mut kv = txn.open_table(KV)?;
            let mut preimages = txn.open_table(PREIMAGES)?;
            let mut stale_kv = txn.open_table(STALE_KV)?;
            for Effective { key, value, prev } in &pending.changes {
                let raw_key = keys::kv_key(key, version);
                kv.insert(
                    raw_key.as_slice(),
                    keys::encode_value(value.as_deref()).as_slice(),
                )?;
                match prev {
                    Some(prev) => {
                        let old = keys::kv_key(key, *prev);
                        stale_kv.insert(keys::stale_key(version, &old).as_slice(), ())?;
                    }
                    None => {
                        preimages.insert(&key_hash(key).0, key.as_slice())?;
                    }
                }
                if value.is_none() {
                    // A deletion marker is only needed while older entries are readable.
                    stale_kv.insert(keys::stale_key(version, &raw_key).as_slice(), ())?;
                }
            }
            write_tree_batch(&txn, &pending.batch)?;
            txn.open_table(ROOTS)?.insert(version, &pending.root)?;
        }
        let oldest = self.prune_in(&txn, version, info.oldest)?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert(keys::META_LATEST, version)?;
            meta.insert(keys::META_OLDEST, oldest)?;
        }
        txn.commit()?;
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

    /// Removes what no version from the new oldest on reads. Returns the new oldest version.
    fn prune_in(&self, txn: &WriteTransaction, latest: u64, oldest: u64) -> Result<u64> {
        let keep = self.inner.config.keep_recent;
        if keep == 0 || latest < keep {
            return Ok(oldest);
        }
        let new_oldest = latest + 1 - keep;
        if new_oldest <= oldest {
            return Ok(oldest);
        }
        // Everything stale since a version ≤ new_oldest is unreachable from new_oldest on.
        let bound = (new_oldest + 1).to_be_bytes();
        {
            let mut stale = txn.open_table(STALE_KV)?;
            let mut kv = txn.open_table(KV)?;
            for entry in stale.extract_from_if::<&[u8], _>(..bound.as_slice(), |_, _| true)? {
                let (k, _) = entry?;
                kv.remove(&k.value()[8..])?;
            }
        }
        {
            let mut stale = txn.open_table(STALE_NODES)?;
            let mut nodes = txn.open_table(NODES)?;
            for entry in stale.extract_from_if::<&[u8], _>(..bound.as_slice(), |_, _| true)? {
                let (k, _) = entry?;
                nodes.remove(&k.value()[8..])?;
            }
        }
        {
            let mut roots = txn.open_table(ROOTS)?;
            for entry in roots.extract_from_if(..new_oldest, |_, _| true)? {
                entry?;
            }
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
        self.check_retained(version)?;
        let txn = self.db().begin_read()?;
        self.check_retained(version)?;
        let reader = TreeView::new(&txn, None)?;
        let tree = Sha256Jmt::new(&reader);
        let (value, proof) = tree.get_with_ics23_proof(key.to_vec(), version)?;
        Ok((value, proof))
    }
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

pub(crate) fn write_tree_batch(txn: &WriteTransaction, batch: &TreeUpdateBatch) -> Result<()> {
    let mut nodes = txn.open_table(NODES)?;
    for (node_key, node) in batch.node_batch.nodes() {
        let k = keys::node_key(node_key);
        let v = borsh::to_vec(node).map_err(|e| StoreError::Tree(e.to_string()))?;
        nodes.insert(k.as_slice(), v.as_slice())?;
    }
    let mut stale = txn.open_table(STALE_NODES)?;
    for idx in &batch.stale_node_index_batch {
        let k = keys::node_key(&idx.node_key);
        stale.insert(keys::stale_key(idx.stale_since_version, &k).as_slice(), ())?;
    }
    Ok(())
}

fn read_info(db: &Database) -> Result<CommitInfo> {
    let txn = db.begin_read()?;
    let meta = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Ok(CommitInfo {
                version: 0,
                root: EMPTY_ROOT,
                oldest: 0,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let version = meta.get(keys::META_LATEST)?.map(|g| g.value()).unwrap_or(0);
    let oldest = meta.get(keys::META_OLDEST)?.map(|g| g.value()).unwrap_or(0);
    let root = if version == 0 {
        EMPTY_ROOT
    } else {
        let roots = txn.open_table(ROOTS)?;
        let root = roots.get(version)?.map(|g| *g.value());
        root.ok_or_else(|| StoreError::Backend(format!("root of version {version} is missing")))?
    };
    Ok(CommitInfo {
        version,
        root,
        oldest,
    })
}

pub(crate) fn restoring_version(db: &Database) -> Result<Option<u64>> {
    let txn = db.begin_read()?;
    match txn.open_table(META) {
        Ok(meta) => Ok(meta.get(keys::META_RESTORING)?.map(|g| g.value())),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn open_optional<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    def: redb::TableDefinition<K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The tree's view of committed nodes and values.
pub(crate) struct TreeView {
    pub(crate) kv: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
    nodes: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
    preimages: Option<ReadOnlyTable<&'static [u8; 32], &'static [u8]>>,
    /// A version whose root is the empty tree without a stored node: always 0, and the
    /// version below a snapshot being restored.
    empty_root_at: Option<u64>,
}

impl TreeView {
    pub(crate) fn new(txn: &redb::ReadTransaction, empty_root_at: Option<u64>) -> Result<Self> {
        Ok(TreeView {
            kv: open_optional(txn, KV)?,
            nodes: open_optional(txn, NODES)?,
            preimages: open_optional(txn, PREIMAGES)?,
            empty_root_at,
        })
    }

    fn is_synthetic_empty_root(&self, node_key: &NodeKey) -> bool {
        node_key.nibble_path().num_nibbles() == 0
            && (node_key.version() == 0 || Some(node_key.version()) == self.empty_root_at)
    }
}

impl TreeReader for TreeView {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let stored = match &self.nodes {
            Some(nodes) => {
                let k = keys::node_key(node_key);
                match nodes.get(k.as_slice())? {
                    Some(raw) => Some(Node::deserialize(&mut raw.value())?),
                    None => None,
                }
            }
            None => None,
        };
        if stored.is_none() && self.is_synthetic_empty_root(node_key) {
            return Ok(Some(Node::Null));
        }
        Ok(stored)
    }

    fn get_value_option(
        &self,
        max_version: jmt::Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let (Some(preimages), Some(kv)) = (&self.preimages, &self.kv) else {
            return Ok(None);
        };
        let Some(key) = preimages.get(&key_hash.0)? else {
            return Ok(None);
        };
        Ok(view::read_at(kv, key.value(), max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("rightmost-leaf lookup is only used by JMT's own restore, which this store does not use")
    }
}

impl jmt::storage::HasPreimage for TreeView {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        match &self.preimages {
            Some(p) => Ok(p.get(&key_hash.0)?.map(|g| g.value().to_vec())),
            None => Ok(None),
        }
    }
}
