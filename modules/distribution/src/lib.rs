//! depin-distribution: the Cosmos SDK's F1 fee distribution. Every begin block it takes the
//! fees the `fee_collector` account gathered, keeps the community tax for the community pool
//! and shares the rest among the validators of the last commit by voting power; each
//! validator's commission is set aside and its delegators' share is tracked lazily with
//! periods and cumulative reward ratios, so a withdrawal costs O(slashes) whatever the
//! number of blocks. Compatible with cosmos.distribution.v1beta1 so that wallets and
//! explorers work unchanged. It reads stake through [`DistributionStaking`] (implemented for
//! `depin_staking::StakingKeeper`), moves coins through [`DistributionBank`] (implemented for
//! `depin_bank::BankKeeper`) and follows stake changes through [`DistributionHooks`]. The
//! spec is README.md.

pub mod dec;
pub mod error;
pub mod events;
mod f1;
pub mod genesis;
mod invariants;
pub mod keeper;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;

use cosmrs::Any;
use cosmwasm_std::Binary;
use depin_app::address::module_address;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::{decode_msg, genesis_from_json, genesis_to_json, Module};

pub use dec::{DecCoin, DecCoins};
pub use error::DistributionError;
pub use genesis::GenesisState;
pub use keeper::{
    DistributionBank, DistributionHooks, DistributionKeeper, DistributionStaking, FundSource,
    StakeValidator, FEE_COLLECTOR, MODULE_ACCOUNT,
};
pub use params::Params;

use crate::state::{PREFIX, PREVIOUS_PROPOSER};

pub const MODULE_NAME: &str = "distribution";

pub struct DistributionModule {
    keeper: DistributionKeeper,
    /// Who may change params and spend the community pool: the governance module account
    /// unless the chain says otherwise.
    authority: Vec<u8>,
}

impl DistributionModule {
    pub fn new(keeper: DistributionKeeper) -> Self {
        DistributionModule {
            keeper,
            authority: module_address("gov"),
        }
    }

    pub fn with_authority(mut self, authority: Vec<u8>) -> Self {
        self.authority = authority;
        self
    }

    pub fn keeper(&self) -> &DistributionKeeper {
        &self.keeper
    }
}

fn unknown(other: &str) -> AppError {
    AppError::sdk(
        sdk::UNKNOWN_REQUEST,
        format!("distribution does not handle {other}"),
    )
}

impl Module for DistributionModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn store_prefix(&self) -> &'static [u8] {
        PREFIX
    }

    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![
            msgs::MSG_SET_WITHDRAW_ADDRESS,
            msgs::MSG_WITHDRAW_DELEGATOR_REWARD,
            msgs::MSG_WITHDRAW_VALIDATOR_COMMISSION,
            msgs::MSG_FUND_COMMUNITY_POOL,
            msgs::MSG_UPDATE_PARAMS,
            msgs::MSG_COMMUNITY_POOL_SPEND,
        ]
    }

    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let signer = match msg.type_url.as_str() {
            msgs::MSG_SET_WITHDRAW_ADDRESS => {
                self.validate_set_withdraw_address(&decode_msg(msg)?)?.0
            }
            msgs::MSG_WITHDRAW_DELEGATOR_REWARD => {
                self.validate_withdraw_reward(&decode_msg(msg)?)?.0
            }
            msgs::MSG_WITHDRAW_VALIDATOR_COMMISSION => {
                self.validate_withdraw_commission(&decode_msg(msg)?)?
            }
            msgs::MSG_FUND_COMMUNITY_POOL => {
                self.validate_fund_community_pool(&decode_msg(msg)?)?.0
            }
            msgs::MSG_UPDATE_PARAMS => self.validate_update_params(&decode_msg(msg)?)?.0,
            msgs::MSG_COMMUNITY_POOL_SPEND => {
                self.validate_community_pool_spend(&decode_msg(msg)?)?.0
            }
            other => return Err(unknown(other)),
        };
        Ok(vec![signer])
    }

    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        match msg.type_url.as_str() {
            msgs::MSG_SET_WITHDRAW_ADDRESS => self.set_withdraw_address(ctx, &decode_msg(msg)?),
            msgs::MSG_WITHDRAW_DELEGATOR_REWARD => self.withdraw_reward(ctx, &decode_msg(msg)?),
            msgs::MSG_WITHDRAW_VALIDATOR_COMMISSION => {
                self.withdraw_commission(ctx, &decode_msg(msg)?)
            }
            msgs::MSG_FUND_COMMUNITY_POOL => self.fund_community_pool(ctx, &decode_msg(msg)?),
            msgs::MSG_UPDATE_PARAMS => self.update_params(ctx, &decode_msg(msg)?),
            msgs::MSG_COMMUNITY_POOL_SPEND => self.community_pool_spend(ctx, &decode_msg(msg)?),
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
            genesis_from_json(genesis, |e| DistributionError::InvalidGenesis(e).into())?;
        self.init(ctx, &genesis)
    }

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        genesis_to_json(&self.export(ctx)?)
    }

    /// Allocates the fees of the last block (from block 2 on, as the SDK), then records the
    /// proposer.
    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        if ctx.env.height > 1 {
            self.keeper.allocate_tokens(ctx)?;
        }
        let proposer = ctx.env.proposer.clone();
        let mut store = ctx.storage(PREFIX);
        if proposer.is_empty() {
            PREVIOUS_PROPOSER.remove(&mut store);
        } else {
            PREVIOUS_PROPOSER.save(&mut store, &Binary::from(proposer))?;
        }
        Ok(())
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        self.invariants(ctx)
    }
}
