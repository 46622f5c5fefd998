//! Staking errors. Codes 2–42 in the `staking` codespace are the Cosmos SDK's x/staking codes
//! with the same meaning; codes from 100 are ours. Where the meaning is the SDK's generic one
//! (a bad request, a query miss) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "staking";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StakingError {
    #[error("validator {0} does not exist")]
    NoValidator(String),
    #[error("validator {0} already exists: an account may operate one validator")]
    ValidatorExists(String),
    #[error(
        "consensus key {0} is already used by validator {1}: each validator needs its own key"
    )]
    PubKeyExists(String, String),
    #[error("consensus key type {0:?} is not supported: use /cosmos.crypto.ed25519.PubKey with a 32-byte key")]
    PubKeyType(String),
    #[error("validator {0} is jailed")]
    ValidatorJailed(String),
    #[error("commission {what} {value} is above 100%")]
    CommissionHuge { what: &'static str, value: String },
    #[error("commission rate {rate} is above the max rate {max_rate}")]
    CommissionAboveMaxRate { rate: String, max_rate: String },
    #[error(
        "commission was last changed at {last}; it may change again from {next}, once every 24h"
    )]
    CommissionUpdateTime { last: String, next: String },
    #[error("commission max change rate {max_change_rate} is above the max rate {max_rate}")]
    ChangeRateAboveMaxRate {
        max_change_rate: String,
        max_rate: String,
    },
    #[error(
        "commission rate {new} rises from {old} by more than the max change rate {max_change_rate}"
    )]
    CommissionAboveMaxChange {
        new: String,
        old: String,
        max_change_rate: String,
    },
    #[error("self delegation {amount} is below the validator's minimum self delegation {min}")]
    SelfDelegationBelowMinimum { amount: String, min: String },
    #[error("minimum self delegation may only increase: {new} is not above {old}")]
    MinSelfDelegationDecreased { new: String, old: String },
    #[error("{delegator} has no delegation to {validator}")]
    NoDelegation {
        delegator: String,
        validator: String,
    },
    #[error("the delegation is worth {have}; cannot take {want} from it")]
    InsufficientShares { have: String, want: String },
    #[error("the delegation has {have} shares; cannot remove {want}")]
    NotEnoughDelegationShares { have: String, want: String },
    #[error("{delegator} has no unbonding delegation from {validator}")]
    NoUnbondingDelegation {
        delegator: String,
        validator: String,
    },
    #[error("{delegator} already has {max} unbonding entries from {validator}: wait for one to complete")]
    MaxUnbondingEntries {
        delegator: String,
        validator: String,
        max: u32,
    },
    #[error("cannot redelegate from a validator to itself")]
    SelfRedelegation,
    #[error("{0} converts to zero tokens at the validator's exchange rate: use a larger amount")]
    TinyAmount(String),
    #[error("redelegation destination validator {0} does not exist")]
    NoRedelegationDst(String),
    #[error("{delegator}'s stake at {validator} arrived by a redelegation that has not completed: it may move again once that redelegation completes")]
    TransitiveRedelegation {
        delegator: String,
        validator: String,
    },
    #[error("{delegator} already has {max} redelegation entries from {src} to {dst}: wait for one to complete")]
    MaxRedelegationEntries {
        delegator: String,
        src: String,
        dst: String,
        max: u32,
    },
    #[error("validator {0} has delegator shares but no tokens (it was slashed to zero): it takes no delegations")]
    InvalidExchangeRate(String),
    #[error("MsgCreateValidator carries no consensus public key")]
    EmptyPubKey,
    #[error("commission rate {rate} is below the chain's minimum commission rate {min}")]
    CommissionBelowMin { rate: String, min: String },
    #[error("amount is in {got}; staking takes {expected}")]
    WrongDenom { got: String, expected: String },
    #[error("{0}")]
    InvalidRequest(String),
    #[error("no unbonding entry created at height {0}")]
    NoUnbondingEntry(i64),
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("validator {0} is not jailed")]
    NotJailed(String),
    #[error("invalid slash: {0}")]
    InvalidSlash(String),
    #[error("{0} overflows")]
    Overflow(String),
    #[error("staking state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for StakingError {
    fn codespace(&self) -> &'static str {
        match self {
            StakingError::WrongDenom { .. }
            | StakingError::InvalidRequest(_)
            | StakingError::NoUnbondingEntry(_)
            | StakingError::NotFound(_)
            | StakingError::Corrupt(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            StakingError::NoValidator(_) => 3,
            StakingError::ValidatorExists(_) => 4,
            StakingError::PubKeyExists(..) => 5,
            StakingError::PubKeyType(_) => 6,
            StakingError::ValidatorJailed(_) => 7,
            StakingError::CommissionHuge { .. } => 10,
            StakingError::CommissionAboveMaxRate { .. } => 11,
            StakingError::CommissionUpdateTime { .. } => 12,
            StakingError::ChangeRateAboveMaxRate { .. } => 14,
            StakingError::CommissionAboveMaxChange { .. } => 15,
            StakingError::SelfDelegationBelowMinimum { .. } => 16,
            StakingError::MinSelfDelegationDecreased { .. } => 17,
            StakingError::NoDelegation { .. } => 19,
            StakingError::InsufficientShares { .. } => 22,
            StakingError::NotEnoughDelegationShares { .. } => 24,
            StakingError::NoUnbondingDelegation { .. } => 26,
            StakingError::MaxUnbondingEntries { .. } => 27,
            StakingError::SelfRedelegation => 29,
            StakingError::TinyAmount(_) => 30,
            StakingError::NoRedelegationDst(_) => 31,
            StakingError::TransitiveRedelegation { .. } => 32,
            StakingError::MaxRedelegationEntries { .. } => 33,
            StakingError::InvalidExchangeRate(_) => 34,
            StakingError::EmptyPubKey => 39,
            StakingError::CommissionBelowMin { .. } => 40,
            StakingError::InvalidGenesis(_) => 100,
            StakingError::InvalidParams(_) => 101,
            StakingError::MissingParams => 102,
            StakingError::NotJailed(_) => 103,
            StakingError::InvalidSlash(_) => 104,
            StakingError::Overflow(_) => 105,
            StakingError::WrongDenom { .. } | StakingError::InvalidRequest(_) => {
                sdk::INVALID_REQUEST
            }
            // Query misses and a missing entry: the SDK's not-found code (gRPC NOT_FOUND).
            StakingError::NoUnbondingEntry(_) | StakingError::NotFound(_) => sdk::NOT_FOUND,
            StakingError::Corrupt(_) => sdk::INTERNAL,
        }
    }
}
