//! Slashing errors. Codes 2–9 in the `slashing` codespace are the Cosmos SDK's x/slashing codes
//! with the same meaning; codes from 100 are ours. Where the meaning is the SDK's generic one
//! (a bad request, a query miss) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "slashing";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SlashingError {
    #[error("address {0} is not associated with any known validator")]
    NoValidatorForAddress(String),
    #[error("validator {validator} is jailed until {until}: it may be unjailed from then on")]
    ValidatorJailed { validator: String, until: String },
    /// The SDK answers a tombstoned validator's MsgUnjail with its "still jailed" code (4).
    #[error("validator {0} was tombstoned for double signing: it can never be unjailed")]
    Tombstoned(String),
    #[error("validator {0} is not jailed: there is nothing to unjail")]
    ValidatorNotJailed(String),
    #[error("validator {0} has no self delegation: delegate to it from its operator account before unjailing")]
    MissingSelfDelegation(String),
    #[error("self delegation {amount} is below the validator's minimum self delegation {min}: delegate more before unjailing")]
    SelfDelegationTooLow { amount: String, min: String },
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("slashing state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for SlashingError {
    fn codespace(&self) -> &'static str {
        match self {
            SlashingError::InvalidRequest(_)
            | SlashingError::NotFound(_)
            | SlashingError::Corrupt(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            SlashingError::NoValidatorForAddress(_) => 2,
            SlashingError::ValidatorJailed { .. } | SlashingError::Tombstoned(_) => 4,
            SlashingError::ValidatorNotJailed(_) => 5,
            SlashingError::MissingSelfDelegation(_) => 6,
            SlashingError::SelfDelegationTooLow { .. } => 7,
            SlashingError::InvalidGenesis(_) => 100,
            SlashingError::InvalidParams(_) => 101,
            SlashingError::MissingParams => 102,
            SlashingError::InvalidRequest(_) => sdk::INVALID_REQUEST,
            SlashingError::NotFound(_) => sdk::NOT_FOUND,
            SlashingError::Corrupt(_) => sdk::INTERNAL,
        }
    }
}
