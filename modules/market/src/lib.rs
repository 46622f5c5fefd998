//! The marketplace: providers sell compute and storage from their registered devices; tenants
//! order compute (bids, leases, streaming escrow settled lazily) and clients buy storage
//! (deals with collateral, proofs of storage every period, fault fees paid to the client).
//! Spec: README.md.

pub mod challenge;
pub mod deals;
pub mod error;
pub mod escrow;
pub mod events;
pub mod genesis;
mod invariants;
pub mod keeper;
pub mod merkle;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;
pub mod types;

#[cfg(feature = "client")]
pub mod client;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::Module;

pub use error::MarketError;
pub use genesis::GenesisState;
pub use keeper::{MarketBank, MarketDevice, MarketDevices, MarketKeeper, MARKET_MODULE_ACCOUNT};
pub use params::Params;

pub const MODULE_NAME: &str = "market";

pub struct MarketModule {
    keeper: MarketKeeper,
    /// Who registers and removes auditors and changes params: the governance module account
    /// unless the chain says otherwise.
    authority: Vec<u8>,
}

impl MarketModule {
    pub fn new(keeper: MarketKeeper) -> Self {
        MarketModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &MarketKeeper {
        &self.keeper
    }
}

impl Module for MarketModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        state::PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        msgs::MSG_TYPE_URLS.to_vec()
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        Ok(vec![self.validate(&msg.type_url, &msg.value)?])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        self.execute(ctx, &msg.type_url, &msg.value)
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
        let genesis: GenesisState = depin_app::module::genesis_from_json(genesis, |e| {
            MarketError::InvalidGenesis(e).into()
        })?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        depin_app::module::genesis_to_json(&self.export(ctx)?)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        self.keeper.begin_block(ctx)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let params = self.keeper.params(ctx).map_err(|e| e.to_string())?;
        invariants::check(ctx, self.keeper.bank(), &params.denom)
    }
}
