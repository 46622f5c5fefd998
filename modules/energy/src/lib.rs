//! depin-energy: energy meters. A meter is a device of the device registry whose key signs
//! its lifetime watt-hour counter every so often; the module keeps each meter's counter, what
//! it delivered in each device epoch, and hands the rewards module a contribution score
//! (points per kWh) for the meters that also heartbeat. The worked example of a chain
//! builder's own module (docs/BUILD-YOUR-DEPIN.md). Spec: README.md.

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
use depin_app::error::AppResult;
use depin_app::module::{genesis_from_json, genesis_to_json, Module};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

pub use error::EnergyError;
pub use genesis::GenesisState;
pub use keeper::{EnergyDevices, EnergyKeeper, MeterRegistry, RegisteredDevice};
pub use msgs::{reading_bytes, MSG_SUBMIT_READING, MSG_UPDATE_PARAMS, READING_DOMAIN};
pub use params::Params;
pub use state::{Meter, PREFIX};

pub const MODULE_NAME: &str = "energy";

pub struct EnergyModule {
    keeper: EnergyKeeper,
    /// Who changes params: the governance module account unless the chain says otherwise.
    authority: Vec<u8>,
}

impl EnergyModule {
    pub fn new(keeper: EnergyKeeper) -> Self {
        EnergyModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &EnergyKeeper {
        &self.keeper
    }

    /// The state, exported, passes the genesis checks: among them, every meter's epoch totals
    /// add up to at most what it delivered in its lifetime, and every total has its unit.
    fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let state = self.export(ctx).map_err(|e| e.to_string())?;
        state
            .validate(self.keeper.codec().prefix())
            .map_err(|e| e.message)
    }
}

impl Module for EnergyModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        PREFIX
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
        genesis_to_json(&GenesisState::default()).unwrap_or_default()
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_, '_>, genesis: &serde_json::Value) -> AppResult<()> {
        let genesis: GenesisState =
            genesis_from_json(genesis, |e| EnergyError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        self.keeper.end_block(ctx)?;
        Ok(Vec::new())
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.invariants(ctx)
    }
}
