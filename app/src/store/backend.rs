//! The embedded database: fjall (an LSM tree, pure Rust). A commit is one atomic write batch
//! across keyspaces, synced to the journal before it returns; reads go through snapshots, so
//! a view never sees a later commit or a prune.
//!
//! Why an LSM: the Merkle tree writes ~2 nodes per changed key and pruning deletes as many
//! scattered old ones. In a B-tree each of those dirties a page; an LSM appends them. On the
//! commit benchmark's write pattern fjall was 5× faster than redb (docs/PERFORMANCE.md).

use std::collections::HashMap;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, RwLock};

use fjall::config::CompressionPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable, Snapshot};
use jmt::storage::{NibblePath, Node, NodeKey};

use super::error::{Result, StoreError};
use super::keys;

#[derive(Clone)]
pub(crate) struct Backend {
    pub(crate) db: Database,
    pub(crate) latest: Keyspace,
    pub(crate) kv: Keyspace,
    pub(crate) nodes: Keyspace,
    pub(crate) preimages: Keyspace,
    pub(crate) stale: Keyspace,
    pub(crate) roots: Keyspace,
    pub(crate) meta: Keyspace,
    pub(crate) node_cache: Arc<NodeCache>,
}

impl Backend {
    pub(crate) fn open(dir: &Path, cache_bytes: u64) -> Result<Backend> {
        let db = Database::builder(dir).cache_size(cache_bytes).open()?;
        let ks = |name: &str| db.keyspace(name, KeyspaceCreateOptions::default);
        // Tree nodes are hashes (incompressible) and are only ever looked up when they exist.
        let nodes = db.keyspace(keys::NODES, || {
            KeyspaceCreateOptions::default()
                .data_block_compression_policy(CompressionPolicy::disabled())
                .expect_point_read_hits(true)
        })?;
        Ok(Backend {
            latest: ks(keys::LATEST)?,
            kv: ks(keys::KV)?,
            nodes,
            preimages: ks(keys::PREIMAGES)?,
            stale: ks(keys::STALE)?,
            roots: ks(keys::ROOTS)?,
            meta: ks(keys::META)?,
            node_cache: Arc::new(NodeCache::default()),
            db,
        })
    }

    pub(crate) fn snapshot(&self) -> Result<Snap> {
        let mut snap = Snap {
            snap: self.db.snapshot(),
            backend: self.clone(),
            latest_version: 0,
        };
        // The snapshot's own record of its latest version, not the store's: a commit may land
        // between taking the snapshot and looking at the store.
        snap.latest_version = snap.get_u64(Ks::Meta, keys::META_LATEST)?.unwrap_or(0);
        Ok(snap)
    }

    /// Writes `batch` atomically; `sync` waits until the journal is on disk.
    pub(crate) fn write(&self, batch: Batch, sync: bool) -> Result<()> {
        let mode = if sync {
            PersistMode::SyncAll
        } else {
            PersistMode::Buffer
        };
        let mut b = self.db.batch().durability(Some(mode));
        for (ks, key, value) in batch.ops {
            let ks = self.keyspace(ks);
            match value {
                Some(v) => b.insert(ks, key, v),
                None => b.remove(ks, key),
            }
        }
        b.commit()?;
        Ok(())
    }

    fn keyspace(&self, which: Ks) -> &Keyspace {
        match which {
            Ks::Latest => &self.latest,
            Ks::Kv => &self.kv,
            Ks::Nodes => &self.nodes,
            Ks::Preimages => &self.preimages,
            Ks::Stale => &self.stale,
            Ks::Roots => &self.roots,
            Ks::Meta => &self.meta,
        }
    }
}

/// The keyspaces, by name, for building batches without borrowing the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ks {
    Latest,
    Kv,
    Nodes,
    Preimages,
    Stale,
    Roots,
    Meta,
}

/// Writes collected for one atomic commit.
#[derive(Default)]
pub(crate) struct Batch {
    ops: Vec<(Ks, Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    pub(crate) fn put(&mut self, ks: Ks, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((ks, key, Some(value)));
    }
    pub(crate) fn delete(&mut self, ks: Ks, key: Vec<u8>) {
        self.ops.push((ks, key, None));
    }
}

/// A consistent read-only snapshot of the whole database.
pub(crate) struct Snap {
    snap: Snapshot,
    pub(crate) backend: Backend,
    /// The version the `latest` keyspace holds in this snapshot.
    pub(crate) latest_version: u64,
}

pub(crate) type RawIter = Box<dyn DoubleEndedIterator<Item = Result<(Vec<u8>, Vec<u8>)>> + Send>;

impl Snap {
    pub(crate) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let ks = self.backend.keyspace(ks);
        Ok(self.snap.get(ks, key)?.map(|v| v.to_vec()))
    }

    pub(crate) fn get_u64(&self, ks: Ks, key: &[u8]) -> Result<Option<u64>> {
        match self.get(ks, key)? {
            Some(raw) => {
                let bytes: [u8; 8] = raw
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Backend("malformed integer in meta".into()))?;
                Ok(Some(u64::from_be_bytes(bytes)))
            }
            None => Ok(None),
        }
    }

    pub(crate) fn range<R: RangeBounds<Vec<u8>>>(&self, ks: Ks, range: R) -> RawIter {
        let ks = self.backend.keyspace(ks);
        Box::new(self.snap.range(ks, range).map(|guard| {
            let (k, v) = guard.into_inner()?;
            Ok((k.to_vec(), v.to_vec()))
        }))
    }
}

/// Tree nodes near the root, which nearly every commit and proof reads. Nodes are immutable
/// once written, so a cached node is valid as long as it exists; the cache keeps the newest
/// node of each shallow path (at most 16^0 + … + 16^CACHED_DEPTH of them).
/// A `HashMap` because it is only looked up, never iterated: no order reaches state.
#[derive(Default)]
pub(crate) struct NodeCache {
    by_path: RwLock<HashMap<NibblePath, (NodeKey, Node)>>,
}

/// Paths of up to this many nibbles are cached: ~70k internal nodes, tens of MiB.
const CACHED_DEPTH: usize = 4;

impl NodeCache {
    fn is_shallow(key: &NodeKey) -> bool {
        key.nibble_path().num_nibbles() <= CACHED_DEPTH
    }

    pub(crate) fn get(&self, key: &NodeKey) -> Option<Node> {
        if !Self::is_shallow(key) {
            return None;
        }
        let map = self.by_path.read().unwrap_or_else(|e| e.into_inner());
        match map.get(key.nibble_path()) {
            Some((k, node)) if k == key => Some(node.clone()),
            _ => None,
        }
    }

    /// Remembers `node` if it is shallow and at least as new as what the cache holds.
    pub(crate) fn offer(&self, key: &NodeKey, node: &Node) {
        if !Self::is_shallow(key) {
            return;
        }
        let mut map = self.by_path.write().unwrap_or_else(|e| e.into_inner());
        let newer = map
            .get(key.nibble_path())
            .is_none_or(|(k, _)| k.version() <= key.version());
        if newer {
            map.insert(key.nibble_path().clone(), (key.clone(), node.clone()));
        }
    }
}

impl From<fjall::Error> for StoreError {
    fn from(e: fjall::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}
