//! depin-staking: validators, delegations, unbonding and redelegation, and the validator set
//! CometBFT runs with. Compatible with cosmos.staking.v1beta1 so that wallets (cosmjs,
//! Keplr) and explorers work unchanged. Other modules (rewards, slashing) read stake and slash
//! through [`StakingKeeper`] and follow changes through [`StakingHooks`]. The spec is
//! README.md.

pub mod dec;
pub mod delegation;
pub mod error;
pub mod events;
pub mod genesis;
mod invariants;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
mod slash;
pub mod state;
pub mod types;
mod validator_set;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, genesis_from_json, genesis_to_json, Module};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

pub use error::StakingError;
pub use genesis::GenesisState;
pub use keeper::{
    MultiHooks, NoHooks, StakingBank, StakingHooks, StakingKeeper, BONDED_POOL, NOT_BONDED_POOL,
};
pub use params::Params;
pub use types::{BondStatus, Validator, POWER_REDUCTION};

pub const MODULE_NAME: &str = "staking";

pub struct StakingModule {
    keeper: StakingKeeper,
    /// Who may change params: the governance module account unless the chain says otherwise.
    authority: Vec<u8>,
}

impl StakingModule {
    pub fn new(keeper: StakingKeeper) -> Self {
        StakingModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &StakingKeeper {
        &self.keeper
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(
        sdk::UNKNOWN_REQUEST,
        format!("staking does not handle {other}"),
    )
}

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        state::PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![
            msgs::MSG_CREATE_VALIDATOR,
            msgs::MSG_EDIT_VALIDATOR,
            msgs::MSG_DELEGATE,
            msgs::MSG_UNDELEGATE,
            msgs::MSG_BEGIN_REDELEGATE,
            msgs::MSG_CANCEL_UNBONDING_DELEGATION,
            msgs::MSG_UPDATE_PARAMS,
        ]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_CREATE_VALIDATOR => {
                self.validate_create_validator(&decode_msg(msg)?)?.operator
            }
            msgs::MSG_EDIT_VALIDATOR => self.validate_edit_validator(&decode_msg(msg)?)?.operator,
            msgs::MSG_DELEGATE => self.validate_delegate(&decode_msg(msg)?)?.delegator,
            msgs::MSG_UNDELEGATE => self.validate_undelegate(&decode_msg(msg)?)?.delegator,
            msgs::MSG_BEGIN_REDELEGATE => self.validate_redelegate(&decode_msg(msg)?)?.0.delegator,
            msgs::MSG_CANCEL_UNBONDING_DELEGATION => {
                self.validate_cancel_unbonding(&decode_msg(msg)?)?
                    .0
                    .delegator
            }
            msgs::MSG_UPDATE_PARAMS => self.validate_update_params(&decode_msg(msg)?)?.0,
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_CREATE_VALIDATOR => self.create_validator(ctx, &decode_msg(msg)?),
            msgs::MSG_EDIT_VALIDATOR => self.edit_validator(ctx, &decode_msg(msg)?),
            msgs::MSG_DELEGATE => self.delegate(ctx, &decode_msg(msg)?),
            msgs::MSG_UNDELEGATE => self.undelegate(ctx, &decode_msg(msg)?),
            msgs::MSG_BEGIN_REDELEGATE => self.redelegate(ctx, &decode_msg(msg)?),
            msgs::MSG_CANCEL_UNBONDING_DELEGATION => self.cancel_unbonding(ctx, &decode_msg(msg)?),
            msgs::MSG_UPDATE_PARAMS => self.update_params(ctx, &decode_msg(msg)?),
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
            genesis_from_json(genesis, |e| StakingError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    fn genesis_validators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        let set = self.keeper.genesis_validator_set(ctx)?;
        // Pool transfers during InitChain are not reported anywhere.
        ctx.take_events();
        Ok(set)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        self.keeper.track_historical_info(ctx)
    }

    /// The set first (so that validators leaving it start unbonding from this block), then
    /// what has matured: validators, unbondings, redelegations.
    fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        let updates = self.keeper.apply_validator_set_updates(ctx)?;
        self.keeper.complete_validator_unbondings(ctx)?;
        self.keeper.complete_unbondings(ctx)?;
        self.keeper.complete_redelegations(ctx)?;
        Ok(updates)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.keeper.invariants(ctx)
    }
}
