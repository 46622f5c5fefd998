//! The authenticated, versioned, persistent state store. See app/README.md for the layering,
//! the durability guarantee and the gas schedule.

mod backend;
mod db;
mod error;
mod gas;
mod keys;
mod layer;
mod snapshot;
mod storage;
mod view;

pub use db::{
    proof_spec, verify_membership, verify_non_membership, CommitInfo, PendingCommit, Store,
    StoreConfig, EMPTY_ROOT,
};
pub use error::{StoreError, CODESPACE};
pub use gas::{GasConfig, GasMeter};
pub use layer::{Branch, ChangeSet, KvRead, KvWrite, Record, WorkingSet};
pub use snapshot::{Restorer, SnapshotManifest, SnapshotStore, SNAPSHOT_FORMAT};
pub use storage::ModuleStore;
pub use view::CommittedView;
