//! Governance errors. Codes 2–23 in the `gov` codespace are the Cosmos SDK's x/gov codes with
//! the same meaning; codes from 100 are ours. Generic failures (a bad request, a state bug, an
//! overflow) use the `sdk` codespace.

use depin_app::error::{sdk, CodedError};
use thiserror::Error;

pub const CODESPACE: &str = "gov";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GovError {
    #[error("proposal {0} does not exist")]
    UnknownProposal(u64),
    #[error("proposal {id} is {status}: it takes deposits only in its deposit or voting period")]
    InactiveProposal { id: u64, status: String },
    #[error("proposal {0} is not in its voting period: votes are taken only then")]
    NotVoting(u64),
    #[error("invalid proposal: {0}")]
    InvalidProposalContent(String),
    #[error("invalid vote: {0}")]
    InvalidVote(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("proposal message {index} ({type_url}) cannot be routed: {reason}")]
    UnroutableProposalMsg {
        index: usize,
        type_url: String,
        reason: String,
    },
    #[error("invalid proposal message {index} ({type_url}): {reason}")]
    InvalidProposalMsg {
        index: usize,
        type_url: String,
        reason: String,
    },
    #[error("proposal message {index} ({type_url}) must have the governance account {expected} as its only signer")]
    InvalidSigner {
        index: usize,
        type_url: String,
        expected: String,
    },
    #[error("metadata is {len} bytes; the limit is {max}")]
    MetadataTooLong { len: usize, max: usize },
    #[error("deposit {got} is too small: {why}")]
    MinDepositTooSmall { got: String, why: String },
    #[error("only the proposer {proposer} may cancel proposal {id}")]
    InvalidProposer { id: u64, proposer: String },
    #[error("the voting period of proposal {0} has ended")]
    VotingPeriodEnded(u64),
    #[error("summary is {len} characters; the limit is {max}")]
    SummaryTooLong { len: usize, max: usize },
    #[error("deposit denom {denom} is not accepted: deposits are in {accepted}")]
    InvalidDepositDenom { denom: String, accepted: String },
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("MsgUpdateParams carries no params: send the complete new params")]
    MissingParams,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("overflow in {0}")]
    Overflow(String),
    #[error("governance state is inconsistent: {0}")]
    Corrupt(String),
}

impl CodedError for GovError {
    fn codespace(&self) -> &'static str {
        use GovError::*;
        match self {
            InvalidRequest(_) | Overflow(_) | Corrupt(_) => sdk::CODESPACE,
            _ => CODESPACE,
        }
    }

    fn code(&self) -> u32 {
        use GovError::*;
        match self {
            UnknownProposal(_) => 2,
            InactiveProposal { .. } | NotVoting(_) => 3,
            InvalidProposalContent(_) => 5,
            InvalidVote(_) => 7,
            InvalidGenesis(_) => 8,
            UnroutableProposalMsg { .. } => 10,
            InvalidProposalMsg { .. } => 12,
            InvalidSigner { .. } => 13,
            MetadataTooLong { .. } => 15,
            MinDepositTooSmall { .. } => 16,
            InvalidProposer { .. } => 18,
            VotingPeriodEnded(_) => 20,
            SummaryTooLong { .. } => 22,
            InvalidDepositDenom { .. } => 23,
            InvalidParams(_) => 100,
            MissingParams => 101,
            InvalidRequest(_) => sdk::INVALID_REQUEST,
            Overflow(_) => sdk::INTERNAL,
            Corrupt(_) => sdk::INTERNAL,
        }
    }
}
