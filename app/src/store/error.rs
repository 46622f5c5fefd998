//! Errors of the store. Each variant has a stable code in the `store` codespace so that the ABCI
//! layer can report it unchanged.

use thiserror::Error;

/// The codespace under which store errors are reported to clients.
pub const CODESPACE: &str = "store";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("database error: {0}")]
    Backend(String),

    #[error("merkle tree error: {0}")]
    Tree(String),

    #[error("version {requested} is not available: the store holds versions {oldest}..={latest}")]
    VersionUnavailable {
        requested: u64,
        oldest: u64,
        latest: u64,
    },

    #[error("out of gas in {descriptor}: gas limit {limit}, gas wanted {wanted}")]
    OutOfGas {
        descriptor: &'static str,
        limit: u64,
        wanted: u64,
    },

    #[error("version {got} cannot be committed: the next version is {expected}")]
    NonSequentialCommit { expected: u64, got: u64 },

    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),

    #[error("snapshot chunk {index} rejected: {reason}")]
    InvalidChunk { index: u32, reason: String },

    #[error("restored state has root {got}, the snapshot promises {expected}")]
    RootMismatch { expected: String, got: String },

    #[error("the directory {0} is not empty: a snapshot is restored into an empty directory")]
    NotEmpty(String),

    #[error("the store at {0} holds an unfinished snapshot restore; delete the directory and restore again")]
    IncompleteRestore(String),

    #[error("store keys must not be empty")]
    EmptyKey,

    #[error("store values must not be empty: delete the key instead")]
    EmptyValue,
}

impl StoreError {
    /// The stable ABCI code of this error within [`CODESPACE`].
    pub fn code(&self) -> u32 {
        match self {
            StoreError::Backend(_) => 1,
            StoreError::Tree(_) => 2,
            StoreError::VersionUnavailable { .. } => 3,
            StoreError::OutOfGas { .. } => 4,
            StoreError::NonSequentialCommit { .. } => 5,
            StoreError::InvalidSnapshot(_) => 6,
            StoreError::InvalidChunk { .. } => 7,
            StoreError::RootMismatch { .. } => 8,
            StoreError::NotEmpty(_) => 9,
            StoreError::IncompleteRestore(_) => 10,
            StoreError::EmptyKey => 11,
            StoreError::EmptyValue => 12,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<anyhow::Error> for StoreError {
    fn from(e: anyhow::Error) -> Self {
        StoreError::Tree(format!("{e:#}"))
    }
}
