//! Distribution errors. Codes 2–13 in the `distribution` codespace are the Cosmos SDK's
//! x/distribution codes with the same meaning; codes from 100 are ours. Where the meaning is
//! the SDK's generic one (a bad request, a state bug, an overflow) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "distribution";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DistributionError {
    #[error("delegator address is empty")]
    EmptyDelegatorAddr,
    #[error("withdraw address is empty")]
    EmptyWithdrawAddr,
    #[error("validator address is empty")]
    EmptyValidatorAddr,
    #[error("{delegator} has no delegation to {validator}: there are no rewards to withdraw")]
    EmptyDelegationDistInfo {
        delegator: String,
        validator: String,
    },
    #[error("{0} has no distribution info: it is not a validator")]
    NoValidatorDistInfo(String),
    #[error("validator {0} has no commission to withdraw")]
    NoValidatorCommission(String),
    #[error("setting a withdraw address is disabled (param withdraw_addr_enabled is false)")]
    SetWithdrawAddrDisabled,
    #[error("the community pool holds {have}, less than the {want} asked for")]
    BadDistribution { have: String, want: String },
    #[error("invalid community pool spend amount: {0}")]
    InvalidProposalAmount(String),
    #[error("validator {0} does not exist")]
    NoValidatorExists(String),
    #[error("{delegator} has no delegation to {validator}")]
    NoDelegationExists {
        delegator: String,
        validator: String,
    },
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("{0} is not allowed to receive funds")]
    BlockedAddress(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("overflow in {0}")]
    Overflow(String),
    #[error("distribution state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for DistributionError {
    fn codespace(&self) -> &'static str {
        use DistributionError::*;
        match self {
            BlockedAddress(_) | InvalidRequest(_) | Overflow(_) | Corrupt(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        use DistributionError::*;
        match self {
            EmptyDelegatorAddr => 2,
            EmptyWithdrawAddr => 3,
            EmptyValidatorAddr => 4,
            EmptyDelegationDistInfo { .. } => 5,
            NoValidatorDistInfo(_) => 6,
            NoValidatorCommission(_) => 7,
            SetWithdrawAddrDisabled => 8,
            BadDistribution { .. } => 9,
            InvalidProposalAmount(_) => 10,
            NoValidatorExists(_) => 12,
            NoDelegationExists { .. } => 13,
            InvalidGenesis(_) => 100,
            InvalidParams(_) => 101,
            MissingParams => 102,
            BlockedAddress(_) => sdk::UNAUTHORIZED,
            InvalidRequest(_) => sdk::INVALID_REQUEST,
            Overflow(_) => sdk::INVALID_COINS,
            Corrupt(_) => sdk::INTERNAL,
        }
    }
}
