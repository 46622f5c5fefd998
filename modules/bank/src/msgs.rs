//! One function per message: stateless checks (in `validate_*`, before any state is read),
//! then load → check → write → emit.

use cosmrs::proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse, MsgUpdateParams,
    MsgUpdateParamsResponse,
};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::error::BankError;
use crate::events;
use crate::params::Params;
use crate::state::{PARAMS, PREFIX};
use crate::BankModule;

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_MULTI_SEND: &str = "/cosmos.bank.v1beta1.MsgMultiSend";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.bank.v1beta1.MsgUpdateParams";

/// A transfer checked without state: addresses decoded, coins valid and non-empty.
pub struct Send {
    pub from: Vec<u8>,
    pub to: Vec<u8>,
    pub amount: Vec<Coin>,
}

/// The recipients of a multi-send and what each gets.
type Outputs = Vec<(Vec<u8>, Vec<Coin>)>;

fn nonempty(amount: Vec<Coin>) -> AppResult<Vec<Coin>> {
    if amount.is_empty() {
        return Err(BankError::EmptyAmount.into());
    }
    Ok(amount)
}

impl BankModule {
    pub(crate) fn validate_send(&self, msg: &MsgSend) -> AppResult<Send> {
        let codec = self.keeper.codec();
        Ok(Send {
            from: codec.decode(&msg.from_address)?,
            to: codec.decode(&msg.to_address)?,
            amount: nonempty(coins::from_proto(&msg.amount)?)?,
        })
    }

    fn check_send_enabled(&self, ctx: &mut Ctx<'_, '_>, amount: &[Coin]) -> AppResult<()> {
        let params = self.keeper.params(ctx)?;
        for coin in amount {
            if !params.is_send_enabled(&coin.denom) {
                return Err(BankError::SendDisabled {
                    denom: coin.denom.clone(),
                }
                .into());
            }
        }
        Ok(())
    }

    fn check_recipient(&self, to: &[u8]) -> AppResult<()> {
        if self.keeper.is_blocked(to) {
            return Err(BankError::BlockedRecipient(self.keeper.codec().encode(to)).into());
        }
        Ok(())
    }

    pub(crate) fn send(&self, ctx: &mut Ctx<'_, '_>, msg: &MsgSend) -> AppResult<Vec<u8>> {
        let send = self.validate_send(msg)?;
        self.check_send_enabled(ctx, &send.amount)?;
        self.check_recipient(&send.to)?;
        self.keeper.send(ctx, &send.from, &send.to, &send.amount)?;
        Ok(MsgSendResponse {}.encode_to_vec())
    }

    /// The single input's address, and every output checked.
    pub(crate) fn validate_multi_send(&self, msg: &MsgMultiSend) -> AppResult<(Send, Outputs)> {
        let codec = self.keeper.codec();
        let input = match msg.inputs.as_slice() {
            [] => return Err(BankError::NoInputs.into()),
            [one] => one,
            many => return Err(BankError::MultipleSenders(many.len()).into()),
        };
        if msg.outputs.is_empty() {
            return Err(BankError::NoOutputs.into());
        }
        let from = codec.decode(&input.address)?;
        let total_in = nonempty(coins::from_proto(&input.coins)?)?;
        let mut outputs = Vec::with_capacity(msg.outputs.len());
        let mut total_out = Vec::new();
        for o in &msg.outputs {
            let amount = nonempty(coins::from_proto(&o.coins)?)?;
            total_out = coins::add(&total_out, &amount)?;
            outputs.push((codec.decode(&o.address)?, amount));
        }
        if total_in != total_out {
            return Err(BankError::InputOutputMismatch {
                inputs: coins::format(&total_in),
                outputs: coins::format(&total_out),
            }
            .into());
        }
        Ok((
            Send {
                from,
                to: Vec::new(),
                amount: total_in,
            },
            outputs,
        ))
    }

    pub(crate) fn multi_send(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgMultiSend,
    ) -> AppResult<Vec<u8>> {
        let (input, outputs) = self.validate_multi_send(msg)?;
        self.check_send_enabled(ctx, &input.amount)?;
        for (to, _) in &outputs {
            self.check_recipient(to)?;
        }
        self.keeper.subtract(ctx, &input.from, &input.amount)?;
        for (to, amount) in &outputs {
            self.keeper.add(ctx, to, amount)?;
            let (s, r) = (
                self.keeper.codec().encode(&input.from),
                self.keeper.codec().encode(to),
            );
            ctx.emit(events::transfer(&s, &r, amount));
        }
        Ok(MsgMultiSendResponse {}.encode_to_vec())
    }

    /// The authority's address and the new params, checked without state.
    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let params = msg.params.as_ref().ok_or(BankError::MissingParams)?;
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
}
