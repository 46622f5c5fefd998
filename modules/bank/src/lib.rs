//! depin-bank: balances, total supply and transfers, compatible with cosmos.bank.v1beta1 so
//! that wallets (cosmjs, Keplr) and explorers work unchanged. Other modules escrow, pay out,
//! mint and burn through [`BankKeeper`]. The spec is README.md.

pub mod error;
pub mod events;
pub mod genesis;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, genesis_from_json, genesis_to_json, Module};

pub use error::BankError;
pub use genesis::GenesisState;
pub use keeper::{Accounts, BankKeeper};
pub use params::Params;

pub const MODULE_NAME: &str = "bank";

pub struct BankModule {
    keeper: BankKeeper,
    /// Who may change params: the governance module account unless the chain says otherwise.
    authority: Vec<u8>,
}

impl BankModule {
    pub fn new(keeper: BankKeeper) -> Self {
        BankModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &BankKeeper {
        &self.keeper
    }
}

impl Module for BankModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        state::PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![
            msgs::MSG_SEND,
            msgs::MSG_MULTI_SEND,
            msgs::MSG_UPDATE_PARAMS,
        ]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        match msg.type_url.as_str() {
            msgs::MSG_SEND => Ok(vec![self.validate_send(&decode_msg(msg)?)?.from]),
            msgs::MSG_MULTI_SEND => Ok(vec![self.validate_multi_send(&decode_msg(msg)?)?.0.from]),
            msgs::MSG_UPDATE_PARAMS => Ok(vec![self.validate_update_params(&decode_msg(msg)?)?.0]),
            other => Err(AppError::sdk(
                sdk::UNKNOWN_REQUEST,
                format!("bank does not handle {other}"),
            )),
        }
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_SEND => self.send(ctx, &decode_msg(msg)?),
            msgs::MSG_MULTI_SEND => self.multi_send(ctx, &decode_msg(msg)?),
            msgs::MSG_UPDATE_PARAMS => self.update_params(ctx, &decode_msg(msg)?),
            other => Err(AppError::sdk(
                sdk::UNKNOWN_REQUEST,
                format!("bank does not handle {other}"),
            )),
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
            genesis_from_json(genesis, |e| BankError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.invariants(ctx)
    }
}
