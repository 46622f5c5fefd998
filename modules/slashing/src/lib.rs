//! depin-slashing: punishes validators for downtime (too many blocks missed in a window of
//! recent blocks) and for double signing (evidence CometBFT verified), and lets jailed
//! validators return with `MsgUnjail`. Compatible with cosmos.slashing.v1beta1 so that
//! wallets and explorers work unchanged. It reads and slashes stake through the
//! [`SlashingStaking`] trait (implemented for `depin_staking::StakingKeeper`) and follows the
//! bonded set through [`SlashingHooks`]. The spec is README.md.

pub mod error;
pub mod events;
pub mod genesis;
mod infractions;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;

use cosmrs::Any;
use cosmwasm_std::Order;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, Module};

pub use error::SlashingError;
pub use genesis::GenesisState;
pub use infractions::VALIDATOR_UPDATE_DELAY;
pub use keeper::{SlashingHooks, SlashingKeeper, SlashingStaking, StakedValidator};
pub use params::Params;
pub use state::{BlockTime, SigningInfo, FOREVER};

use crate::state::{CHUNK_BITS, MISSED_CHUNKS, PREFIX, SIGNING_INFOS};

pub const MODULE_NAME: &str = "slashing";

pub struct SlashingModule {
    keeper: SlashingKeeper,
    /// Who may change params: the governance module account unless the chain says otherwise.
    authority: Vec<u8>,
}

impl SlashingModule {
    pub fn new(keeper: SlashingKeeper) -> Self {
        SlashingModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &SlashingKeeper {
        &self.keeper
    }

    /// Every signing info counts exactly the bits of its bitmap, its next index is inside the
    /// window, no bit lies outside the window, every bitmap belongs to a signing info, and a
    /// tombstoned validator is jailed forever.
    fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let err = |e: AppError| e.to_string();
        let window = self.keeper.params(ctx).map_err(err)?.signed_blocks_window;
        let store = ctx.storage(PREFIX);
        let infos: Vec<(Vec<u8>, SigningInfo)> = SIGNING_INFOS
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let mut counted = std::collections::BTreeMap::<Vec<u8>, u64>::new();
        for entry in MISSED_CHUNKS.range(&store, None, None, Order::Ascending) {
            let ((consensus, chunk), bits) = entry.map_err(|e| e.to_string())?;
            let name = self.keeper.consensus_codec().encode(&consensus);
            if bits.is_empty() || bits.last() == Some(&0) {
                return Err(format!("bitmap chunk {chunk} of {name} is not trimmed"));
            }
            let last_bit = chunk * CHUNK_BITS + bits.len() as u64 * 8
                - 1
                - u64::from(bits.last().map_or(0, |b| b.leading_zeros()));
            if last_bit >= window {
                return Err(format!(
                    "{name} has a missed block at index {last_bit}, outside the window of {window}"
                ));
            }
            let ones: u64 = bits.iter().map(|b| u64::from(b.count_ones())).sum();
            *counted.entry(consensus).or_default() += ones;
        }
        for (consensus, info) in &infos {
            let name = self.keeper.consensus_codec().encode(consensus);
            let bits = counted.remove(consensus).unwrap_or(0);
            if bits != info.missed_blocks_counter {
                return Err(format!(
                    "{name} counts {} missed blocks but its bitmap has {bits}",
                    info.missed_blocks_counter
                ));
            }
            if info.index_offset >= window {
                return Err(format!(
                    "{name} has index offset {} outside the window of {window}",
                    info.index_offset
                ));
            }
            if info.tombstoned && info.jailed_until != FOREVER {
                return Err(format!(
                    "{name} is tombstoned but jailed only until {}",
                    info.jailed_until.rfc3339()
                ));
            }
        }
        if let Some(consensus) = counted.keys().next() {
            return Err(format!(
                "{} has missed blocks but no signing info",
                self.keeper.consensus_codec().encode(consensus)
            ));
        }
        Ok(())
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(
        sdk::UNKNOWN_REQUEST,
        format!("slashing does not handle {other}"),
    )
}

impl Module for SlashingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![msgs::MSG_UNJAIL, msgs::MSG_UPDATE_PARAMS]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_UNJAIL => self.validate_unjail(&decode_msg(msg)?)?,
            msgs::MSG_UPDATE_PARAMS => self.validate_update_params(&decode_msg(msg)?)?.0,
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_UNJAIL => self.unjail(ctx, &decode_msg(msg)?),
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
        let genesis: GenesisState = serde_json::from_value(genesis.clone())
            .map_err(|e| AppError::from(SlashingError::InvalidGenesis(e.to_string())))?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        serde_json::to_value(self.export(ctx)?)
            .map_err(|e| AppError::sdk(sdk::INTERNAL, e.to_string()))
    }

    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        self.keeper.begin_block(ctx)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.invariants(ctx)
    }
}
