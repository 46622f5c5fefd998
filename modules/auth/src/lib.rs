//! depin-auth: accounts (number, sequence, public key), module accounts, and the ante step
//! every transaction passes (signatures, sequences, fees). Compatible with
//! cosmos.auth.v1beta1 so wallets sign and query as on any Cosmos chain. The spec is README.md.

pub mod ante;
pub mod error;
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

pub use ante::AuthAnte;
pub use error::AuthError;
pub use genesis::{GenesisAccount, GenesisState};
pub use keeper::{AuthKeeper, FeeBank, FEE_COLLECTOR};
pub use params::Params;

pub const MODULE_NAME: &str = "auth";

pub struct AuthModule {
    keeper: AuthKeeper,
    authority: Vec<u8>,
}

impl AuthModule {
    pub fn new(keeper: AuthKeeper) -> Self {
        AuthModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &AuthKeeper {
        &self.keeper
    }
}

impl Module for AuthModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        state::PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![msgs::MSG_UPDATE_PARAMS]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        match msg.type_url.as_str() {
            msgs::MSG_UPDATE_PARAMS => Ok(vec![self.validate_update_params(&decode_msg(msg)?)?.0]),
            other => Err(AppError::sdk(
                sdk::UNKNOWN_REQUEST,
                format!("auth does not handle {other}"),
            )),
        }
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_UPDATE_PARAMS => self.update_params(ctx, &decode_msg(msg)?),
            other => Err(AppError::sdk(
                sdk::UNKNOWN_REQUEST,
                format!("auth does not handle {other}"),
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
            genesis_from_json(genesis, |e| AuthError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    /// Account numbers are unique and below the next number to hand out.
    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        use cosmwasm_std::Order;
        let store = ctx.storage(state::PREFIX);
        let next = state::NEXT_ACCOUNT_NUMBER
            .may_load(&store)
            .map_err(|e| e.to_string())?
            .unwrap_or(0);
        let mut seen = std::collections::BTreeSet::new();
        for r in state::ACCOUNTS.range(&store, None, None, Order::Ascending) {
            let (_, a) = r.map_err(|e| e.to_string())?;
            if a.account_number >= next || !seen.insert(a.account_number) {
                return Err(format!(
                    "account number {} is reused or not below the next number {next}",
                    a.account_number
                ));
            }
        }
        Ok(())
    }
}
