//! Energy errors: codespace `energy`, codes from 2 (1 is the SDK's "internal"). A code never
//! changes meaning; the README lists them all. Malformed queries and corrupt state use the
//! SDK's generic codes.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "energy";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EnergyError {
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("invalid {what}: {reason}")]
    InvalidField { what: &'static str, reason: String },
    #[error("device {0} is not registered: onboard it in the device registry first")]
    DeviceNotFound(String),
    #[error("device {device} is {status}: only an Active device (one that heartbeats) may submit readings")]
    DeviceNotActive { device: String, status: String },
    #[error("the reading is for epoch {got} but the current device epoch is {current}: sign a reading for epoch {current}")]
    WrongEpoch { got: u64, current: u64 },
    #[error("the reading's signature does not verify with the device key: {0}")]
    InvalidSignature(String),
    #[error("meter {device} reads {got} Wh, not above its last reading {last} Wh: a meter's counter only goes up")]
    NotIncreasing { device: String, got: u64, last: u64 },
    #[error(
        "meter {device} would deliver {delivered} Wh in one reading; the most allowed is {max} Wh"
    )]
    AboveCap {
        device: String,
        delivered: u64,
        max: u64,
    },
    #[error("meter {device} already submitted {max} readings in epoch {epoch}, the most allowed: wait for the next epoch")]
    TooManyReadings {
        device: String,
        epoch: u64,
        max: u32,
    },
    #[error("amount overflow: {0}")]
    Overflow(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("energy state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for EnergyError {
    fn codespace(&self) -> &'static str {
        match self {
            EnergyError::InvalidRequest(_) | EnergyError::NotFound(_) | EnergyError::Corrupt(_) => {
                sdk::CODESPACE
            }
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        use EnergyError::*;
        match self {
            InvalidGenesis(_) => 2,
            InvalidParams(_) => 3,
            MissingParams => 4,
            InvalidField { .. } => 5,
            DeviceNotFound(_) => 6,
            DeviceNotActive { .. } => 7,
            WrongEpoch { .. } => 8,
            InvalidSignature(_) => 9,
            NotIncreasing { .. } => 10,
            AboveCap { .. } => 11,
            TooManyReadings { .. } => 12,
            Overflow(_) => 13,
            InvalidRequest(_) => sdk::INVALID_REQUEST,
            NotFound(_) => sdk::NOT_FOUND,
            Corrupt(_) => sdk::INTERNAL,
        }
    }
}
