//! The device registry: a physical device (hotspot, GPU server, storage node, sensor, charger,
//! meter) gets an on-chain identity derived from its key, a maker's attestation, an owner, an
//! H3 location, and per-epoch proofs of physical work (heartbeats, coverage witnesses) that the
//! rewards module reads. Spec: README.md.

pub mod error;
pub mod events;
pub mod genesis;
pub mod h3;
mod invariants;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod signing;
pub mod state;
pub mod types;
pub mod witness;

#[cfg(feature = "client")]
pub mod client;

use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, Module};

pub use error::DeviceError;
pub use genesis::GenesisState;
pub use keeper::{DeviceBank, DeviceKeeper, DEVICE_MODULE_ACCOUNT};
pub use params::{DeviceClass, Params};
pub use types::{
    Contribution, Device, EpochAnchor, HexDensity, Location, Maker, PublicKey, Status,
};

use crate::state::PREFIX;

pub const MODULE_NAME: &str = "device";

pub struct DeviceModule {
    keeper: DeviceKeeper,
    /// Who registers and revokes makers and changes params: the governance module account
    /// unless the chain says otherwise.
    authority: Vec<u8>,
}

impl DeviceModule {
    pub fn new(keeper: DeviceKeeper) -> Self {
        DeviceModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &DeviceKeeper {
        &self.keeper
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(
        sdk::UNKNOWN_REQUEST,
        format!("device does not handle {other}"),
    )
}

impl Module for DeviceModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![
            msgs::MSG_REGISTER_MAKER,
            msgs::MSG_REVOKE_MAKER,
            msgs::MSG_ONBOARD_DEVICE,
            msgs::MSG_ASSERT_LOCATION,
            msgs::MSG_TRANSFER_DEVICE,
            msgs::MSG_ROTATE_DEVICE_KEY,
            msgs::MSG_UPDATE_DEVICE_METADATA,
            msgs::MSG_DECOMMISSION_DEVICE,
            msgs::MSG_HEARTBEAT,
            witness::MSG_SUBMIT_WITNESS,
            msgs::MSG_UPDATE_PARAMS,
        ]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_REGISTER_MAKER => self.validate_register_maker(&decode_msg(msg)?)?,
            msgs::MSG_REVOKE_MAKER => self.validate_revoke_maker(&decode_msg(msg)?)?,
            msgs::MSG_ONBOARD_DEVICE => self.validate_onboard(&decode_msg(msg)?)?,
            msgs::MSG_ASSERT_LOCATION => self.validate_assert_location(&decode_msg(msg)?)?,
            msgs::MSG_TRANSFER_DEVICE => self.validate_transfer(&decode_msg(msg)?)?,
            msgs::MSG_ROTATE_DEVICE_KEY => self.validate_rotate_key(&decode_msg(msg)?)?,
            msgs::MSG_UPDATE_DEVICE_METADATA => self.validate_update_metadata(&decode_msg(msg)?)?,
            msgs::MSG_DECOMMISSION_DEVICE => self.validate_decommission(&decode_msg(msg)?)?,
            msgs::MSG_HEARTBEAT => self.validate_heartbeat(&decode_msg(msg)?)?,
            witness::MSG_SUBMIT_WITNESS => self.validate_witness(&decode_msg(msg)?)?,
            msgs::MSG_UPDATE_PARAMS => self.validate_update_params(&decode_msg(msg)?)?.0,
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_REGISTER_MAKER => self.register_maker(ctx, &decode_msg(msg)?),
            msgs::MSG_REVOKE_MAKER => self.revoke_maker(ctx, &decode_msg(msg)?),
            msgs::MSG_ONBOARD_DEVICE => self.onboard(ctx, &decode_msg(msg)?),
            msgs::MSG_ASSERT_LOCATION => self.assert_location(ctx, &decode_msg(msg)?),
            msgs::MSG_TRANSFER_DEVICE => self.transfer(ctx, &decode_msg(msg)?),
            msgs::MSG_ROTATE_DEVICE_KEY => self.rotate_key(ctx, &decode_msg(msg)?),
            msgs::MSG_UPDATE_DEVICE_METADATA => self.update_metadata(ctx, &decode_msg(msg)?),
            msgs::MSG_DECOMMISSION_DEVICE => self.decommission(ctx, &decode_msg(msg)?),
            msgs::MSG_HEARTBEAT => self.heartbeat(ctx, &decode_msg(msg)?),
            witness::MSG_SUBMIT_WITNESS => self.submit_witness(ctx, &decode_msg(msg)?),
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
        let genesis: GenesisState = depin_app::module::genesis_from_json(genesis, |e| {
            DeviceError::InvalidGenesis(e).into()
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
        let epoch = self.keeper.current_epoch(ctx).map_err(|e| e.to_string())?;
        invariants::check(
            ctx,
            epoch.saturating_sub(params.contribution_retention_epochs),
        )
    }
}
