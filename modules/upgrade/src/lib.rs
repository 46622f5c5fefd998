//! depin-upgrade: coordinated software upgrades. Governance schedules a [`Plan`] (a name and a
//! height); at that height the chain stops unless the running binary has a handler for the
//! name, in which case the handler migrates the state and the chain goes on. Compatible with
//! cosmos.upgrade.v1beta1 (messages and queries), and writes the `upgrade-info.json`
//! cosmovisor watches for. The spec is README.md.

pub mod error;
pub mod events;
pub mod genesis;
pub mod keeper;
pub mod msgs;
pub mod queries;
pub mod state;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, genesis_from_json, genesis_to_json, Module};

pub use error::UpgradeError;
pub use genesis::GenesisState;
pub use keeper::{UpgradeHandler, UpgradeKeeper, VersionMap, UPGRADE_INFO_FILE};
pub use state::{Plan, MAX_NAME_LEN, PREFIX};

use crate::keeper::check_plan;

pub const MODULE_NAME: &str = "upgrade";

pub struct UpgradeModule {
    keeper: UpgradeKeeper,
    /// Who may schedule and cancel upgrades: the governance module account unless the chain
    /// says otherwise.
    authority: Vec<u8>,
}

impl UpgradeModule {
    pub fn new(keeper: UpgradeKeeper) -> Self {
        UpgradeModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &UpgradeKeeper {
        &self.keeper
    }

    pub fn authority(&self) -> &[u8] {
        &self.authority
    }

    /// A plan is well formed, is not due before the block `ctx` runs in (it would have been
    /// applied or stopped the chain) and was never applied; every done upgrade has a name and
    /// a height; no module version lacks a name.
    fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let err = |e: AppError| e.to_string();
        let done = self.keeper.done_upgrades(ctx).map_err(err)?;
        for (name, height) in &done {
            if name.is_empty() || *height == 0 {
                return Err(format!(
                    "done upgrade {name:?} at height {height} is malformed"
                ));
            }
        }
        if let Some(plan) = self.keeper.plan(ctx).map_err(err)? {
            check_plan(&plan)?;
            if let Some((_, h)) = done.iter().find(|(n, _)| *n == plan.name) {
                return Err(format!(
                    "the plan {:?} is still scheduled but was applied at height {h}",
                    plan.name
                ));
            }
            if plan.height < ctx.env.height {
                return Err(format!(
                    "the plan {:?} was due at height {} but is still scheduled at {}",
                    plan.name, plan.height, ctx.env.height
                ));
            }
        }
        let versions = self.keeper.module_versions(ctx).map_err(err)?;
        if versions.contains_key("") {
            return Err("a module version has an empty module name".into());
        }
        Ok(())
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(
        sdk::UNKNOWN_REQUEST,
        format!("upgrade does not handle {other}"),
    )
}

impl Module for UpgradeModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![msgs::MSG_SOFTWARE_UPGRADE, msgs::MSG_CANCEL_UPGRADE]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_SOFTWARE_UPGRADE => self.validate_software_upgrade(&decode_msg(msg)?)?.0,
            msgs::MSG_CANCEL_UPGRADE => self.validate_cancel_upgrade(&decode_msg(msg)?)?,
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_SOFTWARE_UPGRADE => self.software_upgrade(ctx, &decode_msg(msg)?),
            msgs::MSG_CANCEL_UPGRADE => self.cancel_upgrade(ctx, &decode_msg(msg)?),
            other => Err(unknown(other)),
        }
    }

    fn query_services(&self) -> Vec<&'static str> {
        vec![queries::SERVICE]
    }

    fn query(&self, ctx: &mut Ctx<'_, '_>, path: &str, request: &[u8]) -> AppResult<Vec<u8>> {
        self.route_query(ctx, path, request)
    }

    /// No plan, no history, the binary's module versions.
    fn default_genesis(&self) -> serde_json::Value {
        genesis_to_json(&GenesisState::with_versions(self.keeper.initial_versions()))
            .unwrap_or_default()
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_, '_>, genesis: &serde_json::Value) -> AppResult<()> {
        let genesis: GenesisState =
            genesis_from_json(genesis, |e| UpgradeError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        self.keeper.begin_block(ctx)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.invariants(ctx)
    }
}
