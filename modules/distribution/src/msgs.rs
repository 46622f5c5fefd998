//! cosmos.distribution.v1beta1.Msg, one function per message: validate → load → check →
//! write → emit.

use cosmrs::proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgCommunityPoolSpendResponse, MsgFundCommunityPool,
    MsgFundCommunityPoolResponse, MsgSetWithdrawAddress, MsgSetWithdrawAddressResponse,
    MsgUpdateParams, MsgUpdateParamsResponse, MsgWithdrawDelegatorReward,
    MsgWithdrawDelegatorRewardResponse, MsgWithdrawValidatorCommission,
    MsgWithdrawValidatorCommissionResponse,
};
use cosmwasm_std::Binary;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::error::DistributionError;
use crate::events;
use crate::keeper::FundSource;
use crate::params::Params;
use crate::state::{PARAMS, PREFIX, WITHDRAW_ADDRS};
use crate::DistributionModule;

pub const MSG_SET_WITHDRAW_ADDRESS: &str = "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress";
pub const MSG_WITHDRAW_DELEGATOR_REWARD: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward";
pub const MSG_WITHDRAW_VALIDATOR_COMMISSION: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawValidatorCommission";
pub const MSG_FUND_COMMUNITY_POOL: &str = "/cosmos.distribution.v1beta1.MsgFundCommunityPool";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.distribution.v1beta1.MsgUpdateParams";
pub const MSG_COMMUNITY_POOL_SPEND: &str = "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend";

/// Coins a message moves: valid and not empty.
fn amount(list: &[cosmrs::proto::cosmos::base::v1beta1::Coin], what: &str) -> AppResult<Vec<Coin>> {
    let out = coins::from_proto(list)?;
    if out.is_empty() {
        return Err(depin_app::error::AppError::sdk(
            depin_app::error::sdk::INVALID_COINS,
            format!("{what} needs at least one coin"),
        ));
    }
    Ok(out)
}

impl DistributionModule {
    pub(crate) fn validate_set_withdraw_address(
        &self,
        msg: &MsgSetWithdrawAddress,
    ) -> AppResult<(Vec<u8>, Vec<u8>)> {
        let codec = self.keeper.codec();
        let delegator = codec.decode(&msg.delegator_address)?;
        let withdraw = codec.decode(&msg.withdraw_address)?;
        Ok((delegator, withdraw))
    }

    pub(crate) fn set_withdraw_address(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgSetWithdrawAddress,
    ) -> AppResult<Vec<u8>> {
        let (delegator, withdraw) = self.validate_set_withdraw_address(msg)?;
        if self.keeper.bank().is_blocked(&withdraw) {
            return Err(DistributionError::BlockedAddress(msg.withdraw_address.clone()).into());
        }
        if !self.keeper.params(ctx)?.withdraw_addr_enabled {
            return Err(DistributionError::SetWithdrawAddrDisabled.into());
        }
        let mut store = ctx.storage(PREFIX);
        if withdraw == delegator {
            WITHDRAW_ADDRS.remove(&mut store, &delegator);
        } else {
            WITHDRAW_ADDRS.save(&mut store, &delegator, &Binary::from(withdraw))?;
        }
        ctx.emit(events::set_withdraw_address(
            &msg.withdraw_address,
            &msg.delegator_address,
        ));
        Ok(MsgSetWithdrawAddressResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_withdraw_reward(
        &self,
        msg: &MsgWithdrawDelegatorReward,
    ) -> AppResult<(Vec<u8>, Vec<u8>)> {
        let delegator = self.keeper.codec().decode(&msg.delegator_address)?;
        let operator = self
            .keeper
            .operator_codec()
            .decode(&msg.validator_address)?;
        Ok((delegator, operator))
    }

    pub(crate) fn withdraw_reward(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgWithdrawDelegatorReward,
    ) -> AppResult<Vec<u8>> {
        let (delegator, operator) = self.validate_withdraw_reward(msg)?;
        let paid = self
            .keeper
            .withdraw_delegation_rewards(ctx, &delegator, &operator)?;
        Ok(MsgWithdrawDelegatorRewardResponse {
            amount: coins::to_proto(&paid),
        }
        .encode_to_vec())
    }

    /// The operator signs: its account bytes are the operator address bytes.
    pub(crate) fn validate_withdraw_commission(
        &self,
        msg: &MsgWithdrawValidatorCommission,
    ) -> AppResult<Vec<u8>> {
        self.keeper.operator_codec().decode(&msg.validator_address)
    }

    pub(crate) fn withdraw_commission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgWithdrawValidatorCommission,
    ) -> AppResult<Vec<u8>> {
        let operator = self.validate_withdraw_commission(msg)?;
        let paid = self.keeper.withdraw_validator_commission(ctx, &operator)?;
        Ok(MsgWithdrawValidatorCommissionResponse {
            amount: coins::to_proto(&paid),
        }
        .encode_to_vec())
    }

    pub(crate) fn validate_fund_community_pool(
        &self,
        msg: &MsgFundCommunityPool,
    ) -> AppResult<(Vec<u8>, Vec<Coin>)> {
        let depositor = self.keeper.codec().decode(&msg.depositor)?;
        Ok((depositor, amount(&msg.amount, "MsgFundCommunityPool")?))
    }

    pub(crate) fn fund_community_pool(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgFundCommunityPool,
    ) -> AppResult<Vec<u8>> {
        let (depositor, coins) = self.validate_fund_community_pool(msg)?;
        self.keeper
            .fund_community_pool(ctx, &FundSource::Account(depositor), &coins)?;
        Ok(MsgFundCommunityPoolResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let params = msg
            .params
            .as_ref()
            .ok_or(DistributionError::MissingParams)?;
        Ok((authority, Params::from_proto(params)?))
    }

    pub(crate) fn update_params(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUpdateParams,
    ) -> AppResult<Vec<u8>> {
        let (_, params) = self.validate_update_params(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::update_params(&msg.authority));
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_community_pool_spend(
        &self,
        msg: &MsgCommunityPoolSpend,
    ) -> AppResult<(Vec<u8>, Vec<u8>, Vec<Coin>)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let recipient = self.keeper.codec().decode(&msg.recipient)?;
        let coins = amount(&msg.amount, "MsgCommunityPoolSpend")?;
        Ok((authority, recipient, coins))
    }

    pub(crate) fn community_pool_spend(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgCommunityPoolSpend,
    ) -> AppResult<Vec<u8>> {
        let (_, recipient, coins) = self.validate_community_pool_spend(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        if self.keeper.bank().is_blocked(&recipient) {
            return Err(DistributionError::BlockedAddress(msg.recipient.clone()).into());
        }
        self.keeper
            .distribute_from_community_pool(ctx, &recipient, &coins)?;
        ctx.emit(events::community_pool_spend(
            &msg.recipient,
            &coins::format(&coins),
        ));
        Ok(MsgCommunityPoolSpendResponse {}.encode_to_vec())
    }
}
