//! Upgrade errors. The SDK's x/upgrade registers codes 2–6 for meanings we do not use
//! (client states, signer checks); ours start at 100 so that no code ever means two things.
//! Where the meaning is the SDK's generic one (a query miss) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "upgrade";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum UpgradeError {
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("MsgSoftwareUpgrade carries no plan: send a plan with a name and a height")]
    MissingPlan,
    #[error("the plan has an empty name: name the upgrade (the name the new binary's handler is registered under)")]
    EmptyName,
    #[error("the plan name is {len} bytes long; the limit is {max}")]
    NameTooLong { len: usize, max: usize },
    #[error("the plan height is {0}: an upgrade needs a height greater than 0")]
    InvalidHeight(i64),
    #[error("time-based upgrades are not supported: leave plan.time unset and give a height")]
    TimeSet,
    #[error("plan.upgraded_client_state is not supported: IBC client upgrades belong to the IBC module; leave it unset")]
    ClientStateSet,
    #[error("upgrade {name:?} is planned at height {height}, which is not after the current block {current}: plan it at height {next} or later")]
    HeightNotInFuture {
        name: String,
        height: u64,
        current: u64,
        next: u64,
    },
    #[error("upgrade {name:?} was already applied at height {height}: choose a new name")]
    AlreadyDone { name: String, height: u64 },
    #[error("the handler of upgrade {name:?} failed: {message}")]
    HandlerFailed { name: String, message: String },
    #[error("the handler of upgrade {name:?} returned an invalid module version map: {message}")]
    InvalidVersionMap { name: String, message: String },
    #[error(
        "no module named {0:?} has a version: ask for one of the modules ModuleVersions lists"
    )]
    ModuleNotFound(String),
}

impl CodedError for UpgradeError {
    fn codespace(&self) -> &'static str {
        match self {
            UpgradeError::ModuleNotFound(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            UpgradeError::InvalidGenesis(_) => 100,
            UpgradeError::MissingPlan => 101,
            UpgradeError::EmptyName => 102,
            UpgradeError::NameTooLong { .. } => 103,
            UpgradeError::InvalidHeight(_) => 104,
            UpgradeError::TimeSet => 105,
            UpgradeError::ClientStateSet => 106,
            UpgradeError::HeightNotInFuture { .. } => 107,
            UpgradeError::AlreadyDone { .. } => 108,
            UpgradeError::HandlerFailed { .. } => 109,
            UpgradeError::InvalidVersionMap { .. } => 110,
            UpgradeError::ModuleNotFound(_) => sdk::NOT_FOUND,
        }
    }
}
