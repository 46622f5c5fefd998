//! The error every ABCI answer carries: a (codespace, code) pair that never changes meaning,
//! and a message that says what was wrong and what would be right.

use crate::store::StoreError;
use crate::tx::TxError;

/// Codes of the Cosmos SDK's `sdk` codespace (types/errors), used where our meaning is theirs
/// so that wallets and explorers read our errors as they read any Cosmos chain's.
pub mod sdk {
    pub const CODESPACE: &str = "sdk";
    pub const INTERNAL: u32 = 1;
    pub const TX_DECODE: u32 = 2;
    pub const INVALID_SEQUENCE: u32 = 3;
    pub const UNAUTHORIZED: u32 = 4;
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    pub const UNKNOWN_REQUEST: u32 = 6;
    pub const INVALID_ADDRESS: u32 = 7;
    pub const INVALID_PUBKEY: u32 = 8;
    pub const UNKNOWN_ADDRESS: u32 = 9;
    pub const INVALID_COINS: u32 = 10;
    pub const OUT_OF_GAS: u32 = 11;
    pub const MEMO_TOO_LARGE: u32 = 12;
    pub const INSUFFICIENT_FEE: u32 = 13;
    pub const TOO_MANY_SIGNATURES: u32 = 14;
    pub const NO_SIGNATURES: u32 = 15;
    pub const INVALID_REQUEST: u32 = 18;
    pub const TX_TOO_LARGE: u32 = 21;
    pub const KEY_NOT_FOUND: u32 = 22;
    pub const INVALID_TYPE: u32 = 29;
    pub const TX_TIMEOUT_HEIGHT: u32 = 30;
    pub const UNKNOWN_EXTENSION_OPTIONS: u32 = 31;
    pub const WRONG_SEQUENCE: u32 = 32;
    pub const NOT_SUPPORTED: u32 = 37;
    pub const NOT_FOUND: u32 = 38;
    pub const INVALID_GAS_LIMIT: u32 = 41;
}

/// The codespace of [`AppError::halt`].
pub const HALT_CODESPACE: &str = "halt";

/// A module error with a stable code. Every module's `thiserror` enum implements this; the
/// framework turns it into [`AppError`] at the boundary.
pub trait CodedError: std::fmt::Display {
    fn codespace(&self) -> &'static str;
    fn code(&self) -> u32;
}

/// An error as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub codespace: String,
    pub code: u32,
    pub message: String,
}

impl AppError {
    pub fn new(codespace: &str, code: u32, message: impl Into<String>) -> Self {
        AppError {
            codespace: codespace.to_string(),
            code,
            message: message.into(),
        }
    }

    pub fn sdk(code: u32, message: impl Into<String>) -> Self {
        Self::new(sdk::CODESPACE, code, message)
    }

    /// A deliberate stop of the chain (an upgrade the binary does not know is due): block
    /// hooks return it, and the node stops without committing the block, printing `message`.
    pub fn halt(message: impl Into<String>) -> Self {
        Self::new(HALT_CODESPACE, 1, message)
    }

    pub fn is_halt(&self) -> bool {
        self.codespace == HALT_CODESPACE
    }

    /// Adds context in front of the message; the code stays.
    pub fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (codespace {}, code {})",
            self.message, self.codespace, self.code
        )
    }
}

impl std::error::Error for AppError {}

impl<E: CodedError> From<E> for AppError {
    fn from(e: E) -> Self {
        AppError::new(e.codespace(), e.code(), e.to_string())
    }
}

impl CodedError for TxError {
    fn codespace(&self) -> &'static str {
        sdk::CODESPACE
    }
    fn code(&self) -> u32 {
        TxError::code(self)
    }
}

impl CodedError for StoreError {
    fn codespace(&self) -> &'static str {
        match self {
            // Wallets recognise running out of gas by the SDK's code.
            StoreError::OutOfGas { .. } => sdk::CODESPACE,
            _ => crate::store::CODESPACE,
        }
    }
    fn code(&self) -> u32 {
        match self {
            StoreError::OutOfGas { .. } => sdk::OUT_OF_GAS,
            _ => StoreError::code(self),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Storage errors from cw-storage-plus mean state that does not decode: a bug, never input.
impl From<cosmwasm_std::StdError> for AppError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        AppError::sdk(sdk::INTERNAL, format!("state error: {e}"))
    }
}
