//! Device registry errors: codespace `device`, codes from 2 (1 is the SDK's "internal"). A code
//! never changes meaning; the README lists them all. Where the meaning is the SDK's generic one
//! (a malformed query, state that does not decode) the `sdk` code is used.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "device";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DeviceError {
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("invalid {what} name {name:?}: a name is 1 to 32 characters of a-z, 0-9, _ and -")]
    InvalidName { what: &'static str, name: String },
    #[error("maker {0:?} is not registered: the governance authority registers makers first")]
    MakerNotFound(String),
    #[error("maker {0:?} is revoked: it attests nothing more and its devices are suspended")]
    MakerRevoked(String),
    #[error("device class {0:?} does not exist: use one of the classes in params")]
    ClassNotFound(String),
    #[error("maker {maker:?} may not attest class {class:?}: its allowed classes are [{allowed}]")]
    ClassNotAllowed {
        maker: String,
        class: String,
        allowed: String,
    },
    #[error("maker {maker:?} has used its whole quota of {quota} devices")]
    QuotaExhausted { maker: String, quota: u64 },
    #[error("invalid serial {serial:?}: a serial is 1 to {max} bytes")]
    InvalidSerial { serial: String, max: u32 },
    #[error("maker {maker:?} already attested a device with serial {serial:?} ({device})")]
    DuplicateSerial {
        maker: String,
        serial: String,
        device: String,
    },
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("this key already belongs to device {0}: a key identifies one device, ever")]
    KeyInUse(String),
    #[error("invalid {what} signature: {reason}")]
    InvalidSignature { what: &'static str, reason: String },
    #[error("invalid device id {id:?}: {reason}")]
    InvalidDeviceId { id: String, reason: String },
    #[error("device {0} does not exist")]
    DeviceNotFound(String),
    #[error("{signer} does not own device {device}: its owner {owner} must sign")]
    NotOwner {
        signer: String,
        device: String,
        owner: String,
    },
    #[error("device {device} is {status}: {action} is not allowed in that status")]
    WrongStatus {
        device: String,
        status: String,
        action: &'static str,
    },
    #[error("device {0} already belongs to that owner: transfer it to a different address")]
    SameOwner(String),
    #[error("metadata of {len} bytes is longer than the maximum {max} bytes")]
    MetadataTooLong { len: usize, max: u32 },
    #[error("invalid location: {0}")]
    InvalidLocation(String),
    #[error("the location is missing: send an H3 cell")]
    MissingLocation,
    #[error("device {device} has no location but its class {class:?} requires one: assert a location first")]
    LocationRequired { device: String, class: String },
    #[error("{what} for epoch {got}, but the current epoch is {current}: sign one for the current epoch")]
    WrongEpoch {
        what: &'static str,
        got: u64,
        current: u64,
    },
    #[error("heartbeat counter {got} is not greater than the last accepted counter {last}")]
    StaleCounter { got: u64, last: u64 },
    #[error("payload_hash has {0} bytes: it is a SHA-256 digest of 32 bytes")]
    InvalidPayloadHash(usize),
    #[error(
        "device {device} already has a heartbeat counted in epoch {epoch}: one per epoch counts"
    )]
    HeartbeatAlreadyCounted { device: String, epoch: u64 },
    #[error("insufficient funds for the {what} fee: {owner} has {have}, the fee is {need}")]
    InsufficientFunds {
        what: &'static str,
        owner: String,
        have: String,
        need: String,
    },
    #[error("maker {0:?} is already revoked")]
    AlreadyRevoked(String),
    #[error("device class {class:?} is used by device {device}: classes in use cannot be removed")]
    ClassInUse { class: String, device: String },
    #[error("device {0} cannot witness its own beacon")]
    SelfWitness(String),
    #[error("beacon_data_hash has {0} bytes: it is a SHA-256 digest of 32 bytes")]
    InvalidDataHash(usize),
    #[error("device {device} is of class {class:?}, which is not a coverage class: only coverage devices beacon and witness")]
    NotCoverage { device: String, class: String },
    #[error("device {0} has no location: a witness needs both devices located")]
    WitnessNeedsLocation(String),
    #[error("beacon device {beacon} and witness {witness} both belong to {owner}: a witness counts only between different owners")]
    SameOwnerWitness {
        beacon: String,
        witness: String,
        owner: String,
    },
    #[error("{}", witness_distance(*.distance, *.min, *.max))]
    WitnessDistance {
        distance: Option<u32>,
        min: u32,
        max: u32,
    },
    #[error("the report of {witness} on beacon {nonce} of {beacon} is already counted")]
    WitnessAlreadyCounted {
        beacon: String,
        nonce: u64,
        witness: String,
    },
    #[error("the cap of {cap} {what} is reached")]
    WitnessCapReached { what: String, cap: u32 },
    #[error("maker {0:?} already uses this key: each maker has its own attestation key")]
    MakerKeyInUse(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("device state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for DeviceError {
    fn codespace(&self) -> &'static str {
        match self {
            DeviceError::InvalidRequest(_) | DeviceError::NotFound(_) | DeviceError::Corrupt(_) => {
                sdk::CODESPACE
            }
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        match self {
            DeviceError::InvalidGenesis(_) => 2,
            DeviceError::InvalidParams(_) => 3,
            DeviceError::MissingParams => 4,
            DeviceError::InvalidName { .. } => 5,
            DeviceError::MakerNotFound(_) => 6,
            DeviceError::MakerRevoked(_) => 7,
            DeviceError::ClassNotFound(_) => 8,
            DeviceError::ClassNotAllowed { .. } => 9,
            DeviceError::QuotaExhausted { .. } => 10,
            DeviceError::InvalidSerial { .. } => 11,
            DeviceError::DuplicateSerial { .. } => 12,
            DeviceError::InvalidKey(_) => 13,
            DeviceError::KeyInUse(_) => 14,
            DeviceError::InvalidSignature { .. } => 15,
            DeviceError::InvalidDeviceId { .. } => 16,
            DeviceError::DeviceNotFound(_) => 17,
            DeviceError::NotOwner { .. } => 18,
            DeviceError::WrongStatus { .. } => 19,
            DeviceError::SameOwner(_) => 20,
            DeviceError::MetadataTooLong { .. } => 21,
            DeviceError::InvalidLocation(_) => 22,
            DeviceError::MissingLocation => 23,
            DeviceError::LocationRequired { .. } => 24,
            DeviceError::WrongEpoch { .. } => 25,
            DeviceError::StaleCounter { .. } => 26,
            DeviceError::InvalidPayloadHash(_) => 27,
            DeviceError::HeartbeatAlreadyCounted { .. } => 28,
            DeviceError::InsufficientFunds { .. } => 29,
            DeviceError::AlreadyRevoked(_) => 30,
            DeviceError::ClassInUse { .. } => 31,
            DeviceError::SelfWitness(_) => 32,
            DeviceError::InvalidDataHash(_) => 33,
            DeviceError::NotCoverage { .. } => 34,
            DeviceError::WitnessNeedsLocation(_) => 35,
            DeviceError::SameOwnerWitness { .. } => 36,
            DeviceError::WitnessDistance { .. } => 37,
            DeviceError::WitnessAlreadyCounted { .. } => 38,
            DeviceError::WitnessCapReached { .. } => 39,
            DeviceError::MakerKeyInUse(_) => 40,
            DeviceError::InvalidRequest(_) => sdk::INVALID_REQUEST,
            DeviceError::NotFound(_) => sdk::NOT_FOUND,
            DeviceError::Corrupt(_) => sdk::INTERNAL,
        }
    }
}

fn witness_distance(distance: Option<u32>, min: u32, max: u32) -> String {
    match distance {
        Some(d) => format!(
            "the two devices are {d} grid steps apart: a witness counts from {min} to {max} steps"
        ),
        None => format!(
            "the two devices are too far apart to measure: a witness counts from {min} to {max} grid steps"
        ),
    }
}
