//! Bank errors. Codes in the `bank` codespace are the Cosmos SDK's x/bank codes; where the
//! meaning is the SDK's generic one (insufficient funds, bad address) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "bank";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BankError {
    #[error("no inputs to send transaction")]
    NoInputs,
    #[error("no outputs to send transaction")]
    NoOutputs,
    #[error("sum of inputs {inputs} does not equal sum of outputs {outputs}")]
    InputOutputMismatch { inputs: String, outputs: String },
    #[error("{denom} transfers are currently disabled")]
    SendDisabled { denom: String },
    #[error("no metadata for denom {0}")]
    DenomMetadataNotFound(String),
    #[error("multi-send takes exactly one input, got {0}")]
    MultipleSenders(usize),
    #[error("spendable balance {have} is smaller than {need}: insufficient funds")]
    InsufficientFunds { have: String, need: String },
    #[error("{0} is not allowed to receive funds")]
    BlockedRecipient(String),
    #[error("module account {module} has no {permission} permission")]
    NoPermission { module: String, permission: String },
    #[error("no module account named {0}")]
    UnknownModuleAccount(String),
    #[error("amount must be positive: send at least one coin")]
    EmptyAmount,
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("{0}")]
    Overflow(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
}

impl CodedError for BankError {
    fn codespace(&self) -> &'static str {
        match self {
            BankError::InsufficientFunds { .. }
            | BankError::DenomMetadataNotFound(_)
            | BankError::BlockedRecipient(_)
            | BankError::NoPermission { .. }
            | BankError::UnknownModuleAccount(_)
            | BankError::EmptyAmount
            | BankError::Overflow(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            BankError::NoInputs => 2,
            BankError::NoOutputs => 3,
            BankError::InputOutputMismatch { .. } => 4,
            BankError::SendDisabled { .. } => 5,
            // A query miss: the SDK's not-found code, which gRPC reports as NOT_FOUND.
            BankError::DenomMetadataNotFound(_) => sdk::NOT_FOUND,
            BankError::MultipleSenders(_) => 9,
            BankError::InvalidGenesis(_) => 10,
            BankError::MissingParams => 11,
            BankError::InsufficientFunds { .. } => sdk::INSUFFICIENT_FUNDS,
            BankError::BlockedRecipient(_) | BankError::NoPermission { .. } => sdk::UNAUTHORIZED,
            BankError::UnknownModuleAccount(_) => sdk::UNKNOWN_ADDRESS,
            BankError::EmptyAmount => sdk::INVALID_COINS,
            BankError::Overflow(_) => sdk::INVALID_COINS,
        }
    }
}
