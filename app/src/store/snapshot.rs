//! State-sync snapshots: a version exported as a manifest plus a sequence of bounded chunks,
//! and restored into an empty directory with every chunk checked against the manifest and the
//! result checked against the manifest's root.

use std::path::{Path, PathBuf};

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::Sha256Jmt;
use sha2::{Digest, Sha256};

use super::backend::{Backend, Batch, Ks};
use super::db::{hex, key_hash, meta_rows, tree_batch, Store, StoreConfig, TreeView};
use super::error::{Result, StoreError};
use super::keys;
use super::layer::KvRead;

/// The chunk format this code writes and reads (ABCI `Snapshot.format`).
pub const SNAPSHOT_FORMAT: u32 = 1;

/// What a snapshot holds, sent as the ABCI snapshot metadata.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SnapshotManifest {
    pub format: u32,
    pub version: u64,
    pub root: [u8; 32],
    pub keys: u64,
    /// sha256 of every chunk, in order.
    pub chunk_hashes: Vec<[u8; 32]>,
}

impl SnapshotManifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::try_from_slice(bytes)
            .map_err(|e| StoreError::InvalidSnapshot(format!("undecodable manifest: {e}")))
    }

    /// sha256 of the manifest: the ABCI snapshot hash.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct Chunk {
    index: u32,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Store {
    /// Streams `version` as chunks of about `max_chunk_bytes` of entries each (a single larger
    /// entry gets a chunk of its own) into `sink(index, bytes)`, then returns the manifest.
    pub fn export_snapshot(
        &self,
        version: u64,
        max_chunk_bytes: usize,
        mut sink: impl FnMut(u32, Vec<u8>) -> Result<()>,
    ) -> Result<SnapshotManifest> {
        if version == 0 {
            return Err(StoreError::InvalidSnapshot(
                "version 0 is the empty state; there is nothing to snapshot".into(),
            ));
        }
        let root = self.root_at(version)?;
        let view = self.view(version)?;
        let mut hashes = Vec::new();
        let mut keys = 0u64;
        let mut chunk = Chunk {
            index: 0,
            entries: Vec::new(),
        };
        let mut size = 0usize;
        let mut emit = |chunk: &mut Chunk, hashes: &mut Vec<[u8; 32]>| -> Result<()> {
            let bytes = borsh::to_vec(&*chunk).map_err(|e| StoreError::Backend(e.to_string()))?;
            hashes.push(Sha256::digest(&bytes).into());
            sink(chunk.index, bytes)?;
            chunk.index += 1;
            chunk.entries.clear();
            Ok(())
        };
        for (k, v) in view.range(None, None, cosmwasm_std::Order::Ascending) {
            let entry = k.len() + v.len() + 8;
            if !chunk.entries.is_empty() && size + entry > max_chunk_bytes {
                emit(&mut chunk, &mut hashes)?;
                size = 0;
            }
            size += entry;
            keys += 1;
            chunk.entries.push((k, v));
        }
        if let Some(e) = view.fault() {
            return Err(e);
        }
        if !chunk.entries.is_empty() || hashes.is_empty() {
            emit(&mut chunk, &mut hashes)?;
        }
        Ok(SnapshotManifest {
            format: SNAPSHOT_FORMAT,
            version,
            root,
            keys,
            chunk_hashes: hashes,
        })
    }
}

/// Rebuilds a store from a snapshot, chunk by chunk, in order.
pub struct Restorer {
    backend: Backend,
    dir: std::path::PathBuf,
    config: StoreConfig,
    manifest: SnapshotManifest,
    next_index: u32,
    last_key: Option<Vec<u8>>,
    keys: u64,
}

impl Restorer {
    /// Starts a restore into `dir`, which must be empty or absent. The caller checks the
    /// manifest's root against the app hash it trusts (from the light client) before this.
    pub fn new(
        dir: impl AsRef<Path>,
        manifest: SnapshotManifest,
        config: StoreConfig,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        if manifest.format != SNAPSHOT_FORMAT {
            return Err(StoreError::InvalidSnapshot(format!(
                "format {} is not supported (this node reads format {SNAPSHOT_FORMAT})",
                manifest.format
            )));
        }
        if manifest.version == 0 || manifest.chunk_hashes.is_empty() {
            return Err(StoreError::InvalidSnapshot(
                "a snapshot has a version above 0 and at least one chunk".into(),
            ));
        }
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            return Err(StoreError::NotEmpty(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir)?;
        let backend = Backend::open(dir, config.cache_bytes)?;
        let mut batch = Batch::default();
        batch.put(
            Ks::Meta,
            keys::META_RESTORING.to_vec(),
            manifest.version.to_be_bytes().to_vec(),
        );
        backend.write(batch, true)?;
        Ok(Restorer {
            backend,
            dir: dir.to_path_buf(),
            config,
            manifest,
            next_index: 0,
            last_key: None,
            keys: 0,
        })
    }

    /// The index of the chunk expected next.
    pub fn next_chunk(&self) -> u32 {
        self.next_index
    }

    pub fn is_complete(&self) -> bool {
        self.next_index as usize == self.manifest.chunk_hashes.len()
    }

    /// How many chunks the snapshot has.
    pub fn total_chunks(&self) -> usize {
        self.manifest.chunk_hashes.len()
    }

    /// Checks and writes chunk `index`. A rejected chunk changes nothing: fetch it again.
    pub fn apply_chunk(&mut self, index: u32, bytes: &[u8]) -> Result<()> {
        let reject = |reason: String| StoreError::InvalidChunk { index, reason };
        if index != self.next_index {
            return Err(reject(format!(
                "chunks are applied in order; chunk {} is expected next",
                self.next_index
            )));
        }
        let Some(expected) = self.manifest.chunk_hashes.get(index as usize) else {
            return Err(reject(format!(
                "the snapshot has only {} chunks",
                self.manifest.chunk_hashes.len()
            )));
        };
        let got: [u8; 32] = Sha256::digest(bytes).into();
        if &got != expected {
            return Err(reject(format!(
                "hash {} does not match the manifest's {}",
                hex(&got),
                hex(expected)
            )));
        }
        let chunk =
            Chunk::try_from_slice(bytes).map_err(|e| reject(format!("undecodable: {e}")))?;
        if chunk.index != index {
            return Err(reject(format!("it says it is chunk {}", chunk.index)));
        }
        let mut last = self.last_key.clone();
        for (k, v) in &chunk.entries {
            if k.is_empty() || v.is_empty() {
                return Err(reject("it holds an empty key or value".into()));
            }
            if last.as_ref().is_some_and(|l| k <= l) {
                return Err(reject("keys are not strictly increasing".into()));
            }
            last = Some(k.clone());
        }
        let version = self.manifest.version;
        let mut batch = Batch::default();
        for (k, v) in chunk.entries.iter() {
            batch.put(
                Ks::Kv,
                keys::kv_key(k, version),
                keys::encode_value(Some(v)),
            );
            batch.put(Ks::Latest, k.clone(), keys::latest_value(version, v));
            batch.put(Ks::Preimages, key_hash(k).0.to_vec(), k.clone());
        }
        // Not synced: the final write in `finish` is, and a crash before it leaves the
        // directory marked as an unfinished restore.
        self.backend.write(batch, false)?;
        self.keys += chunk.entries.len() as u64;
        self.last_key = last;
        self.next_index += 1;
        Ok(())
    }

    /// Builds the tree over the restored entries and checks its root. On success the store is
    /// open at the snapshot's version; on a mismatch nothing is marked committed.
    pub fn finish(self) -> Result<Store> {
        if !self.is_complete() {
            return Err(StoreError::InvalidSnapshot(format!(
                "restore is incomplete: {} of {} chunks applied",
                self.next_index,
                self.manifest.chunk_hashes.len()
            )));
        }
        if self.keys != self.manifest.keys {
            return Err(StoreError::InvalidSnapshot(format!(
                "the chunks hold {} keys, the manifest says {}",
                self.keys, self.manifest.keys
            )));
        }
        let version = self.manifest.version;
        let reader = TreeView::new(self.backend.snapshot()?, Some(version - 1));
        let mut values = Vec::with_capacity(self.keys as usize);
        for entry in reader.snap.range(Ks::Kv, ..) {
            let (k, v) = entry?;
            let (key, _) = keys::decode_kv_key(&k)
                .ok_or_else(|| StoreError::Backend("malformed restored key".into()))?;
            values.push((key_hash(&key), keys::decode_value(&v)));
        }
        let (root, update) = Sha256Jmt::new(&reader).put_value_set(values, version)?;
        if root.0 != self.manifest.root {
            return Err(StoreError::RootMismatch {
                expected: hex(&self.manifest.root),
                got: hex(&root.0),
            });
        }
        let mut batch = Batch::default();
        // The only stale node is the synthetic empty root below the snapshot: nothing to prune.
        tree_batch(&mut batch, &update);
        batch.put(Ks::Roots, version.to_be_bytes().to_vec(), root.0.to_vec());
        meta_rows(&mut batch, version, version);
        batch.delete(Ks::Meta, keys::META_RESTORING.to_vec());
        self.backend.write(batch, true)?;
        Store::from_backend(self.backend, self.dir, self.config)
    }
}

/// Snapshots kept on disk for state sync (ABCI ListSnapshots / LoadSnapshotChunk): one folder
/// per version holding `manifest` and `chunk-NNNNNN` files. A snapshot is written under a
/// temporary name and renamed into place, so a crash never leaves a half snapshot listed.
pub struct SnapshotStore {
    dir: PathBuf,
    keep: usize,
}

const TMP_SUFFIX: &str = ".tmp";

impl SnapshotStore {
    /// Opens `dir`, keeping the newest `keep` snapshots (at least one). Leftovers of an
    /// interrupted snapshot are removed.
    pub fn open(dir: impl AsRef<Path>, keep: usize) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == &TMP_SUFFIX[1..]) {
                std::fs::remove_dir_all(&path)?;
            }
        }
        Ok(SnapshotStore {
            dir,
            keep: keep.max(1),
        })
    }

    fn folder(&self, version: u64) -> PathBuf {
        self.dir.join(version.to_string())
    }

    /// Exports `version` of `store` to disk and prunes snapshots beyond the newest `keep`.
    pub fn create(
        &self,
        store: &Store,
        version: u64,
        max_chunk_bytes: usize,
    ) -> Result<SnapshotManifest> {
        let tmp = self.dir.join(format!("{version}{TMP_SUFFIX}"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        let manifest = store.export_snapshot(version, max_chunk_bytes, |i, bytes| {
            write_synced(&tmp.join(chunk_name(i)), &bytes)
        })?;
        write_synced(&tmp.join("manifest"), &manifest.to_bytes())?;
        let target = self.folder(version);
        if target.exists() {
            std::fs::remove_dir_all(&target)?;
        }
        std::fs::rename(&tmp, &target)?;
        self.prune()?;
        Ok(manifest)
    }

    /// Every complete snapshot, newest first.
    pub fn list(&self) -> Result<Vec<SnapshotManifest>> {
        let mut out = Vec::new();
        for version in self.versions()? {
            if let Some(m) = self.manifest(version)? {
                out.push(m);
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.version));
        Ok(out)
    }

    pub fn manifest(&self, version: u64) -> Result<Option<SnapshotManifest>> {
        match std::fs::read(self.folder(version).join("manifest")) {
            Ok(bytes) => SnapshotManifest::from_bytes(&bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Chunk `index` of the snapshot at `version`; `None` if there is no such snapshot or chunk.
    pub fn load_chunk(&self, version: u64, index: u32) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.folder(version).join(chunk_name(index))) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn versions(&self) -> Result<Vec<u64>> {
        let mut versions = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(v) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                versions.push(v);
            }
        }
        versions.sort_unstable();
        Ok(versions)
    }

    fn prune(&self) -> Result<()> {
        let versions = self.versions()?;
        let excess = versions.len().saturating_sub(self.keep);
        for v in &versions[..excess] {
            std::fs::remove_dir_all(self.folder(*v))?;
        }
        Ok(())
    }
}

fn chunk_name(index: u32) -> String {
    format!("chunk-{index:06}")
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_with_an_empty_value_is_rejected_even_when_its_hash_matches() {
        let chunk = Chunk {
            index: 0,
            entries: vec![(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), vec![])],
        };
        let bytes = borsh::to_vec(&chunk).unwrap();
        let manifest = SnapshotManifest {
            format: SNAPSHOT_FORMAT,
            version: 1,
            root: [0; 32],
            keys: 2,
            chunk_hashes: vec![Sha256::digest(&bytes).into()],
        };
        let dir = tempfile::tempdir().unwrap();
        let mut r = Restorer::new(dir.path().join("r"), manifest, StoreConfig::default()).unwrap();
        let err = r.apply_chunk(0, &bytes).unwrap_err();
        assert!(err.to_string().contains("empty key or value"), "{err}");
        assert_eq!(r.next_chunk(), 0, "a rejected chunk changes nothing");
    }
}
