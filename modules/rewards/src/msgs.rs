//! One function per message: stateless checks (`validate`, before any state is read), then
//! load → check → write → emit. A handler that fails leaves no trace: its branch is dropped.

use cosmwasm_std::Uint128;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use depin_proto::depin::rewards::v1::*;
use prost::Message;

use crate::error::RewardsError;
use crate::events;
use crate::keeper::{add, REWARDS_MODULE_ACCOUNT};
use crate::params::Params;
use crate::state::{PARAMS, PENDING, PREFIX, TOTALS};
use crate::RewardsModule;

pub const MSG_CLAIM: &str = "/depin.rewards.v1.MsgClaim";
pub const MSG_BURN_FOR_CREDITS: &str = "/depin.rewards.v1.MsgBurnForCredits";
pub const MSG_UPDATE_PARAMS: &str = "/depin.rewards.v1.MsgUpdateParams";

pub const MSG_TYPE_URLS: &[&str] = &[MSG_CLAIM, MSG_BURN_FOR_CREDITS, MSG_UPDATE_PARAMS];

fn field(what: &'static str, reason: impl Into<String>) -> RewardsError {
    RewardsError::InvalidField {
        what,
        reason: reason.into(),
    }
}

fn decode<T: Message + Default>(type_url: &str, value: &[u8]) -> AppResult<T> {
    depin_app::module::decode_msg(&cosmrs::Any {
        type_url: type_url.to_string(),
        value: value.to_vec(),
    })
}

/// A positive whole-number coin with a valid denom.
fn positive_coin(
    c: &Option<cosmrs::proto::cosmos::base::v1beta1::Coin>,
    what: &'static str,
) -> AppResult<Coin> {
    let c = c
        .as_ref()
        .ok_or_else(|| field(what, "it is missing: send a coin such as 100udepin"))?;
    let amount = c
        .amount
        .parse::<u128>()
        .map_err(|_| field(what, format!("amount {:?} is not a whole number", c.amount)))?;
    if amount == 0 {
        return Err(field(what, "send a positive amount").into());
    }
    coins::validate_denom(&c.denom).map_err(|e| field(what, e.message))?;
    Ok(Coin::new(amount, &c.denom))
}

impl RewardsModule {
    /// The stateless checks of a message, returning its signer.
    pub(crate) fn validate(&self, type_url: &str, value: &[u8]) -> AppResult<Vec<u8>> {
        let codec = self.keeper.codec();
        match type_url {
            MSG_CLAIM => {
                let m: MsgClaim = decode(type_url, value)?;
                codec.decode(&m.claimant)
            }
            MSG_BURN_FOR_CREDITS => {
                let m: MsgBurnForCredits = decode(type_url, value)?;
                positive_coin(&m.amount, "amount")?;
                if !m.recipient.is_empty() {
                    codec.decode(&m.recipient)?;
                }
                codec.decode(&m.sender)
            }
            MSG_UPDATE_PARAMS => {
                let m: MsgUpdateParams = decode(type_url, value)?;
                let p = m.params.as_ref().ok_or(RewardsError::MissingParams)?;
                Params::from_proto(p)?.validate()?;
                check_authority(codec, &self.authority, &m.authority)
            }
            other => Err(RewardsError::InvalidRequest(format!(
                "the rewards module does not handle {other}"
            ))
            .into()),
        }
    }

    pub(crate) fn execute(
        &self,
        ctx: &mut Ctx<'_, '_>,
        type_url: &str,
        value: &[u8],
    ) -> AppResult<Vec<u8>> {
        self.validate(type_url, value)?;
        match type_url {
            MSG_CLAIM => self.claim(ctx, decode(type_url, value)?),
            MSG_BURN_FOR_CREDITS => self.burn_for_credits(ctx, decode(type_url, value)?),
            MSG_UPDATE_PARAMS => self.update_params(ctx, decode(type_url, value)?),
            other => Err(RewardsError::InvalidRequest(format!("unknown message {other}")).into()),
        }
    }

    fn claim(&self, ctx: &mut Ctx<'_, '_>, m: MsgClaim) -> AppResult<Vec<u8>> {
        let k = &self.keeper;
        let claimant = k.codec().decode(&m.claimant)?;
        let params = k.params(ctx)?;
        let pending = k.pending(ctx, &claimant)?;
        let total = pending.total();
        if total.is_zero() {
            return Err(RewardsError::NothingToClaim(m.claimant).into());
        }
        let coin = Coin {
            denom: params.denom.clone(),
            amount: total,
        };
        k.bank().send_from_module(
            ctx,
            REWARDS_MODULE_ACCOUNT,
            &claimant,
            std::slice::from_ref(&coin),
        )?;
        let mut store = ctx.storage(PREFIX);
        PENDING.remove(&mut store, &claimant);
        let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
        add(&mut t.claimed, total, "claimed")?;
        TOTALS.save(&mut store, &t)?;
        drop(store);
        ctx.emit(events::claimed(&m.claimant, total, &params.denom));
        Ok(MsgClaimResponse {
            amount: Some(coin.to_proto()),
        }
        .encode_to_vec())
    }

    fn burn_for_credits(&self, ctx: &mut Ctx<'_, '_>, m: MsgBurnForCredits) -> AppResult<Vec<u8>> {
        let k = &self.keeper;
        let sender = k.codec().decode(&m.sender)?;
        let recipient_name = if m.recipient.is_empty() {
            m.sender.clone()
        } else {
            m.recipient.clone()
        };
        let recipient = k.codec().decode(&recipient_name)?;
        let amount = positive_coin(&m.amount, "amount")?;
        let params = k.params(ctx)?;
        if amount.denom != params.denom {
            return Err(RewardsError::WrongDenom {
                what: "amount",
                got: amount.denom,
                want: params.denom,
            }
            .into());
        }
        if params.credits_per_unit == 0 {
            return Err(RewardsError::CreditsDisabled.into());
        }
        let credits = amount
            .amount
            .checked_mul(Uint128::from(params.credits_per_unit))
            .map_err(|_| RewardsError::Overflow("credits".into()))?;
        k.bank().send_to_module(
            ctx,
            &sender,
            REWARDS_MODULE_ACCOUNT,
            std::slice::from_ref(&amount),
        )?;
        k.bank()
            .burn(ctx, REWARDS_MODULE_ACCOUNT, std::slice::from_ref(&amount))?;
        k.add_credits(ctx, &recipient, credits)?;
        let mut store = ctx.storage(PREFIX);
        let mut t = TOTALS.may_load(&store)?.unwrap_or_default();
        add(&mut t.burned_for_credits, amount.amount, "burned")?;
        add(&mut t.credits_minted, credits, "credits minted")?;
        TOTALS.save(&mut store, &t)?;
        drop(store);
        ctx.emit(events::credits_minted(
            &m.sender,
            &recipient_name,
            amount.amount,
            credits,
            &params.denom,
        ));
        Ok(MsgBurnForCreditsResponse {
            credits: credits.to_string(),
        }
        .encode_to_vec())
    }

    fn update_params(&self, ctx: &mut Ctx<'_, '_>, m: MsgUpdateParams) -> AppResult<Vec<u8>> {
        let p = m.params.as_ref().ok_or(RewardsError::MissingParams)?;
        let params = Params::from_proto(p)?;
        params.validate()?;
        let old = self.keeper.params(ctx)?;
        if params.denom != old.denom {
            return Err(RewardsError::InvalidParams(format!(
                "denom cannot change (it is {}): the buckets and rewards held are in it",
                old.denom
            ))
            .into());
        }
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::params_updated());
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }
}
