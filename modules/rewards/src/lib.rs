//! depin-rewards: the token engine. An emission schedule (halving or exponential decay, an
//! optional max supply and a Filecoin-style baseline) is minted every rewards epoch and split
//! into buckets: validators and delegators (through the fee collector, which the distribution
//! module shares), devices (by verified contribution from the device module, hex-density
//! scaled), providers (by the take they paid the marketplace, capped so that self-dealing never
//! pays) and the community pool. Helium-style data credits: burn the native token for
//! non-transferable credits. Spec: README.md.

pub mod credits;
pub mod error;
pub mod events;
pub mod genesis;
pub mod invariants;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod schedule;
pub mod state;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::Module;

pub use credits::CreditsFirst;
pub use error::RewardsError;
pub use genesis::GenesisState;
pub use keeper::{
    CommunityPool, DeviceWork, ModuleAccountPool, NoMarket, ProviderUsage, RewardsBank,
    RewardsDevices, RewardsKeeper, RewardsMarket, FEE_COLLECTOR, REWARDS_MODULE_ACCOUNT,
};
pub use params::{DecayKind, Params};

pub const MODULE_NAME: &str = "rewards";

pub struct RewardsModule {
    keeper: RewardsKeeper,
    /// Who changes params: the governance module account unless the chain says otherwise.
    authority: Vec<u8>,
}

impl RewardsModule {
    pub fn new(keeper: RewardsKeeper) -> Self {
        RewardsModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &RewardsKeeper {
        &self.keeper
    }
}

impl Module for RewardsModule {
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
            RewardsError::InvalidGenesis(e).into()
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
        invariants::check(&self.keeper, ctx)
    }
}
