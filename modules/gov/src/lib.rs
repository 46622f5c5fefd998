//! depin-gov: on-chain governance compatible with `cosmos.gov.v1` (Cosmos SDK v0.50).
//!
//! Proposals carry messages of any module; deposits (held in the `gov` module account) move a
//! proposal from its deposit period into voting; bonded stake votes (yes, abstain, no,
//! no-with-veto, or weighted), delegators inheriting their validator's vote unless they vote
//! themselves; at the end of the voting period the [`tally`] decides, deposits are refunded
//! or burned, and a passed proposal's messages run atomically with the module account as
//! their authority. Staking and the bank are reached through [`GovStaking`] and [`GovBank`]
//! (implemented for depin-staking's and depin-bank's keepers); the message router is the
//! application's ([`depin_app::context::MsgRouter`]). The spec is README.md.

pub mod error;
pub mod genesis;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;
pub mod tally;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, genesis_from_json, genesis_to_json, Module};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

pub use error::GovError;
pub use genesis::GenesisState;
pub use keeper::{GovBank, GovCommunityPool, GovKeeper, GovStaking, MODULE_ACCOUNT};
pub use params::Params;
pub use tally::{
    tally, validate_options, BondedValidator, Delegation, TallyError, TallyOutcome, TallyParams,
    TallyPowers, TallyResult, TallyRule, Vote, VoteOption, WeightedVoteOption,
};

pub const MODULE_NAME: &str = "gov";

pub struct GovModule {
    keeper: GovKeeper,
    /// Who may change gov's own params: the governance module account unless the chain says
    /// otherwise.
    authority: Vec<u8>,
}

impl GovModule {
    pub fn new(keeper: GovKeeper) -> Self {
        GovModule {
            keeper,
            authority: module_address(MODULE_ACCOUNT),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &GovKeeper {
        &self.keeper
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(sdk::UNKNOWN_REQUEST, format!("gov does not handle {other}"))
}

impl Module for GovModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        state::PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![
            msgs::MSG_SUBMIT_PROPOSAL,
            msgs::MSG_DEPOSIT,
            msgs::MSG_VOTE,
            msgs::MSG_VOTE_WEIGHTED,
            msgs::MSG_CANCEL_PROPOSAL,
            msgs::MSG_UPDATE_PARAMS,
            msgs::MSG_DEPOSIT_V1BETA1,
            msgs::MSG_VOTE_V1BETA1,
            msgs::MSG_VOTE_WEIGHTED_V1BETA1,
        ]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_SUBMIT_PROPOSAL => self.validate_submit(&decode_msg(msg)?)?,
            msgs::MSG_DEPOSIT => self.validate_deposit(&decode_msg(msg)?)?.0,
            msgs::MSG_VOTE => self.validate_vote(&decode_msg(msg)?)?.0,
            msgs::MSG_VOTE_WEIGHTED => self.validate_vote_weighted(&decode_msg(msg)?)?.0,
            msgs::MSG_CANCEL_PROPOSAL => self.validate_cancel(&decode_msg(msg)?)?,
            msgs::MSG_UPDATE_PARAMS => self.validate_update_params(&decode_msg(msg)?)?.0,
            msgs::MSG_DEPOSIT_V1BETA1 => {
                self.validate_deposit(&self.deposit_v1beta1(&decode_msg(msg)?))?
                    .0
            }
            msgs::MSG_VOTE_V1BETA1 => self.validate_vote(&self.vote_v1beta1(&decode_msg(msg)?))?.0,
            msgs::MSG_VOTE_WEIGHTED_V1BETA1 => {
                let m = self.vote_weighted_v1beta1(&decode_msg(msg)?)?;
                self.validate_vote_weighted(&m)?.0
            }
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        use prost::Message;
        match msg.type_url.as_str() {
            msgs::MSG_SUBMIT_PROPOSAL => self.submit(ctx, &decode_msg(msg)?),
            msgs::MSG_DEPOSIT => self.deposit(ctx, &decode_msg(msg)?),
            msgs::MSG_VOTE => self.vote(ctx, &decode_msg(msg)?),
            msgs::MSG_VOTE_WEIGHTED => self.vote_weighted(ctx, &decode_msg(msg)?),
            msgs::MSG_CANCEL_PROPOSAL => self.cancel(ctx, &decode_msg(msg)?),
            msgs::MSG_UPDATE_PARAMS => self.update_params(ctx, &decode_msg(msg)?),
            msgs::MSG_DEPOSIT_V1BETA1 => {
                let m = self.deposit_v1beta1(&decode_msg(msg)?);
                self.deposit(ctx, &m)?;
                Ok(cosmrs::proto::cosmos::gov::v1beta1::MsgDepositResponse {}.encode_to_vec())
            }
            msgs::MSG_VOTE_V1BETA1 => {
                let m = self.vote_v1beta1(&decode_msg(msg)?);
                self.vote(ctx, &m)?;
                Ok(cosmrs::proto::cosmos::gov::v1beta1::MsgVoteResponse {}.encode_to_vec())
            }
            msgs::MSG_VOTE_WEIGHTED_V1BETA1 => {
                let m = self.vote_weighted_v1beta1(&decode_msg(msg)?)?;
                self.vote_weighted(ctx, &m)?;
                Ok(cosmrs::proto::cosmos::gov::v1beta1::MsgVoteWeightedResponse {}.encode_to_vec())
            }
            other => Err(unknown(other)),
        }
    }

    fn query_services(&self) -> Vec<&'static str> {
        vec![queries::SERVICE]
    }

    fn query(&self, ctx: &mut Ctx<'_, '_>, path: &str, request: &[u8]) -> AppResult<Vec<u8>> {
        self.route_query(ctx, path, request)
    }

    fn default_genesis(&self) -> serde_json::Value {
        serde_json::to_value(GenesisState::default()).unwrap_or_default()
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_, '_>, genesis: &serde_json::Value) -> AppResult<()> {
        let genesis: GenesisState =
            genesis_from_json(genesis, |e| GovError::InvalidGenesis(e).into())?;
        self.keeper.init_genesis(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.keeper.export_genesis(ctx)?)
    }

    fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        self.keeper.end_block(ctx)?;
        Ok(Vec::new())
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.keeper.invariants(ctx)
    }
}
