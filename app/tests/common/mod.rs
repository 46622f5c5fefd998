//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use depin_app::store::{CommitInfo, GasMeter, Store, StoreConfig};

/// A temp dir on tmpfs where there is one (for tests about logic, not fsync latency).
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

/// Commits one version made of `sets` and `deletes`.
pub fn commit(store: &Store, sets: &[(Vec<u8>, Vec<u8>)], deletes: &[Vec<u8>]) -> CommitInfo {
    let mut ws = store.working_set().unwrap();
    let mut b = ws.branch(Arc::new(GasMeter::infinite()));
    for (k, v) in sets {
        b.set(k, v);
    }
    for k in deletes {
        b.delete(k);
    }
    b.commit().unwrap();
    store.commit_working_set(ws).unwrap()
}

pub fn open(dir: &std::path::Path, keep_recent: u64) -> Store {
    Store::open(
        dir,
        StoreConfig {
            keep_recent,
            ..StoreConfig::default()
        },
    )
    .unwrap()
}
