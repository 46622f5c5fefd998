//! Auth errors. The ante checks report the Cosmos SDK's `sdk` codes, which wallets act on
//! (cosmjs retries on code 32, account sequence mismatch, and reads its message).

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "auth";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthError {
    #[error("account {0} not found: send it some tokens first")]
    UnknownAccount(String),
    #[error(
        "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
    )]
    WrongSequence { expected: u64, got: u64 },
    #[error(
        "pubkey does not match signer address {address} with signer index: {index}: invalid pubkey"
    )]
    PubKeyMismatch { address: String, index: usize },
    #[error("pubkey on account {0} is not set: the first transaction of an account must carry its public key")]
    PubKeyNotSet(String),
    #[error("maximum number of characters is {max} but received {got} characters: memo too large")]
    MemoTooLarge { max: u64, got: usize },
    #[error("signatures: {got}, limit: {max}: too many signatures")]
    TooManySignatures { max: u64, got: usize },
    #[error("insufficient fees; got: {got} required: {required}: insufficient fee")]
    InsufficientFee { got: String, required: String },
    #[error("fee granters are not supported on this chain")]
    FeeGranter,
    #[error("fee payer {0} is not a signer of the transaction")]
    FeePayerNotSigner(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("no module account named {0}")]
    UnknownModuleAccount(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
}

impl CodedError for AuthError {
    fn codespace(&self) -> &'static str {
        match self {
            AuthError::InvalidGenesis(_) | AuthError::InvalidParams(_) => CODESPACE,
            _ => sdk::CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            AuthError::UnknownAccount(_) => sdk::UNKNOWN_ADDRESS,
            AuthError::WrongSequence { .. } => sdk::WRONG_SEQUENCE,
            AuthError::PubKeyMismatch { .. } | AuthError::PubKeyNotSet(_) => sdk::INVALID_PUBKEY,
            AuthError::MemoTooLarge { .. } => sdk::MEMO_TOO_LARGE,
            AuthError::TooManySignatures { .. } => sdk::TOO_MANY_SIGNATURES,
            AuthError::InsufficientFee { .. } => sdk::INSUFFICIENT_FEE,
            AuthError::FeeGranter => sdk::NOT_SUPPORTED,
            AuthError::FeePayerNotSigner(_) => sdk::UNAUTHORIZED,
            AuthError::UnknownModuleAccount(_) => sdk::NOT_FOUND,
            AuthError::InvalidGenesis(_) => 2,
            AuthError::InvalidParams(_) => 3,
        }
    }
}
