//! Rewards errors: codespace `rewards`, codes from 2 (1 is the SDK's "internal"). A code never
//! changes meaning; the README lists them all. Malformed queries and corrupt state use the
//! SDK's generic codes.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "rewards";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RewardsError {
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("invalid {what}: {reason}")]
    InvalidField { what: &'static str, reason: String },
    #[error("{0} has no rewards to claim")]
    NothingToClaim(String),
    #[error("{what} is in {got}: the rewards module takes {want}")]
    WrongDenom {
        what: &'static str,
        got: String,
        want: String,
    },
    #[error("data credits are disabled (credits_per_unit is 0)")]
    CreditsDisabled,
    #[error("{address} holds {have} data credits, {need} are needed")]
    InsufficientCredits {
        address: String,
        have: String,
        need: String,
    },
    #[error("amount overflow: {0}")]
    Overflow(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("rewards state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for RewardsError {
    fn codespace(&self) -> &'static str {
        match self {
            RewardsError::InvalidRequest(_)
            | RewardsError::NotFound(_)
            | RewardsError::Corrupt(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        use RewardsError::*;
        match self {
            InvalidGenesis(_) => 2,
            InvalidParams(_) => 3,
            MissingParams => 4,
            InvalidField { .. } => 5,
            NothingToClaim(_) => 6,
            WrongDenom { .. } => 7,
            CreditsDisabled => 8,
            InsufficientCredits { .. } => 9,
            Overflow(_) => 10,
            InvalidRequest(_) => sdk::INVALID_REQUEST,
            NotFound(_) => sdk::NOT_FOUND,
            Corrupt(_) => sdk::INTERNAL,
        }
    }
}
