//! Market errors: codespace `market`, codes from 2 (1 is the SDK's "internal"). A code never
//! changes meaning; the README lists them all. Malformed queries, missing records in queries
//! and corrupt state use the SDK's generic codes.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "market";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MarketError {
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("invalid attributes: {0}")]
    InvalidAttributes(String),
    #[error("invalid {what}: {reason}")]
    InvalidField { what: &'static str, reason: String },
    #[error("{0} is not a registered auditor: the governance authority registers auditors")]
    AuditorNotFound(String),
    #[error("{0} is already a registered auditor")]
    AuditorExists(String),
    #[error("the signatures of removed auditor {0} are still being deleted: register it again in a later block")]
    AuditorBeingRemoved(String),
    #[error("{0} is not a provider: create one with MsgCreateProvider first")]
    ProviderNotFound(String),
    #[error("{0} is already a provider: change it with MsgUpdateProvider")]
    ProviderExists(String),
    #[error("device {0} is not registered")]
    DeviceNotFound(String),
    #[error("device {device} belongs to {owner}, not to the provider {provider}")]
    DeviceNotOwned {
        device: String,
        owner: String,
        provider: String,
    },
    #[error("device {device} is {status}: a provider's devices must be active (send a heartbeat)")]
    DeviceNotActive { device: String, status: String },
    #[error("device {device} is of class {class:?}, which is neither compute nor storage")]
    DeviceWrongKind { device: String, class: String },
    #[error("{what} is in {got}: the market takes {want}")]
    WrongDenom {
        what: &'static str,
        got: String,
        want: String,
    },
    #[error("collateral of {have} is below the minimum {min}")]
    CollateralBelowMin { have: String, min: String },
    #[error("withdrawing {amount} would leave {left} of collateral: keep at least {need} (the minimum plus what deals lock)")]
    CollateralLocked {
        amount: String,
        left: String,
        need: String,
    },
    #[error("{0}: send a positive amount")]
    ZeroAmount(&'static str),
    #[error("an order deposit of {deposit} is below the minimum {min} ({blocks} blocks at the max price)")]
    DepositTooSmall {
        deposit: String,
        min: String,
        blocks: u64,
    },
    #[error("order {0} does not exist")]
    OrderNotFound(u64),
    #[error("order {order} is {state}: it must be open")]
    OrderNotOpen { order: u64, state: String },
    #[error("order {order} took bids until height {deadline}; it is now {height}")]
    BidDeadlinePassed {
        order: u64,
        deadline: i64,
        height: u64,
    },
    #[error("{signer} is not the tenant of order {order}: its tenant {tenant} must sign")]
    NotTenant {
        order: u64,
        signer: String,
        tenant: String,
    },
    #[error("a price of {price} per block is above the order's maximum {max}")]
    PriceAboveMax { price: String, max: String },
    #[error("order {order} already has its maximum of {max} bids")]
    TooManyBids { order: u64, max: u32 },
    #[error("{provider} already bid on order {order}: one bid per provider")]
    DuplicateBid { order: u64, provider: String },
    #[error("provider {provider} does not meet the order's placement requirements: {reason}")]
    RequirementsNotMet { provider: String, reason: String },
    #[error("{provider} has no bid on order {order}")]
    BidNotFound { order: u64, provider: String },
    #[error("the bid of {provider} on order {order} is {state}: it must be open")]
    BidNotOpen {
        order: u64,
        provider: String,
        state: String,
    },
    #[error("order {0} has no lease")]
    LeaseNotFound(u64),
    #[error("the lease of order {0} is closed")]
    LeaseClosed(u64),
    #[error("{signer} is neither the tenant nor the provider of the lease of order {order}")]
    NotLeaseParty { order: u64, signer: String },
    #[error("{signer} is not the provider of the lease of order {order}: its provider {provider} must sign")]
    NotLeaseProvider {
        order: u64,
        signer: String,
        provider: String,
    },
    #[error("escrow account {0:?} does not exist (ids are order/<id> or deal/<id>)")]
    EscrowNotFound(String),
    #[error("escrow account {0} is closed")]
    EscrowClosed(String),
    #[error("escrow account {escrow} already keeps {max} separate deposits: top up from an address that already deposited")]
    TooManyDeposits { escrow: String, max: u32 },
    #[error("provider {provider} does not declare attribute {key}={value}: an auditor signs only attributes the provider declares")]
    AttributeNotDeclared {
        provider: String,
        key: String,
        value: String,
    },
    #[error("auditor {auditor} has signed no attributes of {provider}")]
    NothingSigned { auditor: String, provider: String },
    #[error("{what}: {count} given, at most {max} allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        max: u32,
    },
    #[error("storage deal {0} does not exist")]
    DealNotFound(u64),
    #[error("{signer} is not the client of deal {deal}: its client {client} must sign")]
    NotDealClient {
        deal: u64,
        signer: String,
        client: String,
    },
    #[error("{signer} is not the provider of deal {deal}: its provider {provider} must sign")]
    NotDealProvider {
        deal: u64,
        signer: String,
        provider: String,
    },
    #[error("deal {deal} is {state}: {need}")]
    DealWrongState {
        deal: u64,
        state: String,
        need: &'static str,
    },
    #[error("deal {deal}: {what} by height {deadline}; it is now {height}")]
    DealDeadlinePassed {
        deal: u64,
        what: &'static str,
        deadline: i64,
        height: u64,
    },
    #[error("chunk_size {chunk_size} is not allowed: a power of two from {min} to {max}")]
    InvalidChunkSize { chunk_size: u32, min: u32, max: u32 },
    #[error("provider {provider} has {free} of free collateral (collateral less what deals lock): the deal needs {need}; deposit more with MsgDepositCollateral")]
    CollateralNotFree {
        provider: String,
        free: String,
        need: String,
    },
    #[error("the proof is for period {got} of deal {deal}: the current period is {want}")]
    WrongPeriod { deal: u64, got: u64, want: u64 },
    #[error("period {period} of deal {deal} is proven already")]
    AlreadyProven { deal: u64, period: u64 },
    #[error("deal {deal}: {got} chunk proofs sent, the period challenges exactly {want} (see the Challenges query)")]
    ProofCount { deal: u64, got: usize, want: usize },
    #[error("deal {deal}: proof {position} is for chunk {got} but challenge {position} is chunk {want} (answer the Challenges query's indices in order)")]
    WrongChallenge {
        deal: u64,
        position: usize,
        got: u64,
        want: u64,
    },
    #[error("deal {deal}: proof {position} is invalid: {reason}")]
    InvalidProof {
        deal: u64,
        position: usize,
        reason: String,
    },
    #[error("provider {provider} has no active compute device to serve the order: {reason}")]
    NoServingDevice { provider: String, reason: String },
    #[error("a storage deal worth {value} is below the minimum deal value {min}: raise the price or the duration")]
    DealValueTooSmall { value: String, min: String },
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("market state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for MarketError {
    fn codespace(&self) -> &'static str {
        match self {
            MarketError::InvalidRequest(_) | MarketError::NotFound(_) | MarketError::Corrupt(_) => {
                sdk::CODESPACE
            }
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        use MarketError::*;
        match self {
            InvalidGenesis(_) => 2,
            InvalidParams(_) => 3,
            MissingParams => 4,
            InvalidAttributes(_) => 5,
            InvalidField { .. } => 6,
            AuditorNotFound(_) => 7,
            AuditorExists(_) => 8,
            AuditorBeingRemoved(_) => 9,
            ProviderNotFound(_) => 10,
            ProviderExists(_) => 11,
            DeviceNotFound(_) => 12,
            DeviceNotOwned { .. } => 13,
            DeviceNotActive { .. } => 14,
            DeviceWrongKind { .. } => 15,
            WrongDenom { .. } => 16,
            CollateralBelowMin { .. } => 17,
            CollateralLocked { .. } => 18,
            ZeroAmount(_) => 19,
            DepositTooSmall { .. } => 20,
            OrderNotFound(_) => 21,
            OrderNotOpen { .. } => 22,
            BidDeadlinePassed { .. } => 23,
            NotTenant { .. } => 24,
            PriceAboveMax { .. } => 25,
            TooManyBids { .. } => 26,
            DuplicateBid { .. } => 27,
            RequirementsNotMet { .. } => 28,
            BidNotFound { .. } => 29,
            BidNotOpen { .. } => 30,
            LeaseNotFound(_) => 31,
            LeaseClosed(_) => 32,
            NotLeaseParty { .. } => 33,
            NotLeaseProvider { .. } => 34,
            EscrowNotFound(_) => 35,
            EscrowClosed(_) => 36,
            TooManyDeposits { .. } => 37,
            AttributeNotDeclared { .. } => 38,
            NothingSigned { .. } => 39,
            TooMany { .. } => 40,
            DealNotFound(_) => 41,
            NotDealClient { .. } => 42,
            NotDealProvider { .. } => 43,
            DealWrongState { .. } => 44,
            DealDeadlinePassed { .. } => 45,
            InvalidChunkSize { .. } => 46,
            CollateralNotFree { .. } => 47,
            WrongPeriod { .. } => 48,
            AlreadyProven { .. } => 49,
            ProofCount { .. } => 50,
            WrongChallenge { .. } => 51,
            InvalidProof { .. } => 52,
            NoServingDevice { .. } => 53,
            DealValueTooSmall { .. } => 54,
            InvalidRequest(_) => sdk::INVALID_REQUEST,
            NotFound(_) => sdk::NOT_FOUND,
            Corrupt(_) => sdk::INTERNAL,
        }
    }
}
