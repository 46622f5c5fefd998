//! depin-sdk governance module, compatible with `cosmos.gov.v1`.
//!
//! For now only the self-contained core: the tally of a proposal ([`tally`]), a pure function
//! of the bonded validators, the voters' delegations, the votes and the tally parameters, with
//! the Cosmos SDK v0.50 semantics. Messages, state, queries, genesis and the end-block
//! processing of proposals come later. See README.md, section "Tally".

pub mod tally;

pub use tally::{
    tally, validate_options, BondedValidator, Delegation, TallyError, TallyOutcome, TallyParams,
    TallyPowers, TallyResult, TallyRule, Vote, VoteOption, WeightedVoteOption,
};
