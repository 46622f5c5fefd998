//! cosmos.slashing.v1beta1.Msg, one function per message: validate → load → check → write →
//! emit.

use cosmrs::proto::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUnjailResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::error::SlashingError;
use crate::events;
use crate::keeper::{block_time, clear_bitmap};
use crate::params::Params;
use crate::state::{SigningInfo, PARAMS, PREFIX, SIGNING_INFOS};
use crate::SlashingModule;

pub const MSG_UNJAIL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.slashing.v1beta1.MsgUpdateParams";

impl SlashingModule {
    /// The operator (its account bytes are the validator's operator address bytes) signs.
    pub(crate) fn validate_unjail(&self, msg: &MsgUnjail) -> AppResult<Vec<u8>> {
        self.keeper.operator_codec().decode(&msg.validator_addr)
    }

    pub(crate) fn unjail(&self, ctx: &mut Ctx<'_, '_>, msg: &MsgUnjail) -> AppResult<Vec<u8>> {
        let operator = self.validate_unjail(msg)?;
        let staking = self.keeper.staking();
        let validator = staking
            .validator_by_operator(ctx, &operator)?
            .ok_or_else(|| SlashingError::NoValidatorForAddress(msg.validator_addr.clone()))?;
        let own = staking
            .self_delegation(ctx, &operator)?
            .ok_or_else(|| SlashingError::MissingSelfDelegation(msg.validator_addr.clone()))?;
        if own < validator.min_self_delegation {
            return Err(SlashingError::SelfDelegationTooLow {
                amount: own.to_string(),
                min: validator.min_self_delegation.to_string(),
            }
            .into());
        }
        if !validator.jailed {
            return Err(SlashingError::ValidatorNotJailed(msg.validator_addr.clone()).into());
        }
        if let Some(info) = self.keeper.signing_info(ctx, &validator.consensus)? {
            if info.tombstoned {
                return Err(SlashingError::Tombstoned(msg.validator_addr.clone()).into());
            }
            if block_time(ctx) < info.jailed_until {
                return Err(SlashingError::ValidatorJailed {
                    validator: msg.validator_addr.clone(),
                    until: info.jailed_until.rfc3339(),
                }
                .into());
            }
        }
        staking.unjail(ctx, &validator.consensus)?;
        Ok(MsgUnjailResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let params = msg.params.as_ref().ok_or(SlashingError::MissingParams)?;
        Ok((authority, Params::from_proto(params)?))
    }

    /// A new window invalidates every bitmap: they are cleared, so each validator starts a
    /// fresh window (counted from this height) rather than being judged on bits laid out for
    /// another size.
    pub(crate) fn update_params(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUpdateParams,
    ) -> AppResult<Vec<u8>> {
        let (_, params) = self.validate_update_params(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        let old = self.keeper.params(ctx)?;
        if old.signed_blocks_window != params.signed_blocks_window {
            let height = ctx.env.height;
            let infos: Vec<(Vec<u8>, SigningInfo)> = SIGNING_INFOS
                .range(&ctx.storage(PREFIX), None, None, Order::Ascending)
                .collect::<Result<_, _>>()?;
            for (consensus, mut info) in infos {
                clear_bitmap(ctx, &consensus)?;
                info.missed_blocks_counter = 0;
                info.index_offset = 0;
                info.start_height = height;
                SIGNING_INFOS.save(&mut ctx.storage(PREFIX), &consensus, &info)?;
            }
        }
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::update_params(&msg.authority));
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }
}
