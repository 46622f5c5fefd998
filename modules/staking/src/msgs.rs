//! One function per message: stateless checks (in `validate_*`, before any state is read),
//! then load → check → write → emit.

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgBeginRedelegateResponse, MsgCancelUnbondingDelegation,
    MsgCancelUnbondingDelegationResponse, MsgCreateValidator, MsgCreateValidatorResponse,
    MsgDelegate, MsgDelegateResponse, MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate,
    MsgUndelegateResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use cosmwasm_std::{Binary, Decimal256, Uint128};
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::delegation::TokenSource;
use crate::error::StakingError;
use crate::events;
use crate::keeper::block_time;
use crate::params::Params;
use crate::state::{PARAMS, PREFIX, VALIDATORS_BY_CONS};
use crate::types::{
    consensus_address, ed25519_from_any, rfc3339, timestamp_to_proto, BondStatus, Commission,
    CommissionRates, Description, Validator,
};
use crate::{dec, StakingModule};

pub const MSG_CREATE_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgCreateValidator";
pub const MSG_EDIT_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgEditValidator";
pub const MSG_DELEGATE: &str = "/cosmos.staking.v1beta1.MsgDelegate";
pub const MSG_UNDELEGATE: &str = "/cosmos.staking.v1beta1.MsgUndelegate";
pub const MSG_BEGIN_REDELEGATE: &str = "/cosmos.staking.v1beta1.MsgBeginRedelegate";
pub const MSG_CANCEL_UNBONDING_DELEGATION: &str =
    "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.staking.v1beta1.MsgUpdateParams";

/// Commission rates may change once per this many seconds of block time.
const COMMISSION_CHANGE_INTERVAL: u64 = 24 * 3600;

/// A new validator, checked without state.
pub struct CreateValidator {
    pub operator: Vec<u8>,
    pub pubkey: Vec<u8>,
    pub description: Description,
    pub rates: CommissionRates,
    pub min_self_delegation: Uint128,
    pub value: Coin,
}

/// A validator edit, checked without state. `None`: unchanged.
pub struct EditValidator {
    pub operator: Vec<u8>,
    pub description: Option<Description>,
    pub rate: Option<Decimal256>,
    pub min_self_delegation: Option<Uint128>,
}

/// A delegation or undelegation, checked without state.
pub struct StakeMove {
    pub delegator: Vec<u8>,
    pub operator: Vec<u8>,
    pub amount: Coin,
}

/// One positive coin (the SDK's "invalid delegation amount" otherwise).
fn positive_coin(coin: Option<&ProtoCoin>) -> AppResult<Coin> {
    let coin = coin.ok_or_else(|| StakingError::InvalidRequest("amount is missing".into()))?;
    if coin.amount.trim().parse::<u128>() == Ok(0) {
        return Err(StakingError::InvalidRequest(
            "amount must be a positive number of tokens".into(),
        )
        .into());
    }
    let coins = depin_app::coins::from_proto(std::slice::from_ref(coin))?;
    match coins.into_iter().next() {
        Some(c) if !c.amount.is_zero() => Ok(c),
        _ => Err(
            StakingError::InvalidRequest("amount must be a positive number of tokens".into())
                .into(),
        ),
    }
}

fn positive_int(s: &str, what: &str) -> AppResult<Uint128> {
    match s.trim().parse::<u128>() {
        Ok(n) if n > 0 => Ok(Uint128::new(n)),
        _ => Err(StakingError::InvalidRequest(format!(
            "{what} {s:?} must be a positive whole number of tokens"
        ))
        .into()),
    }
}

impl StakingModule {
    fn check_denom(&self, ctx: &mut Ctx<'_, '_>, coin: &Coin) -> AppResult<Params> {
        let params = self.keeper.params(ctx)?;
        if coin.denom != params.bond_denom {
            return Err(StakingError::WrongDenom {
                got: coin.denom.clone(),
                expected: params.bond_denom,
            }
            .into());
        }
        Ok(params)
    }

    // `delegator_address` is deprecated in the proto; it is still checked when set.
    #[allow(deprecated)]
    pub(crate) fn validate_create_validator(
        &self,
        msg: &MsgCreateValidator,
    ) -> AppResult<CreateValidator> {
        let operator = self
            .keeper
            .operator_codec()
            .decode(&msg.validator_address)?;
        // Deprecated field: when set, it must be the operator's own account.
        if !msg.delegator_address.is_empty()
            && self.keeper.codec().decode(&msg.delegator_address)? != operator
        {
            return Err(StakingError::InvalidRequest(format!(
                "delegator_address {} is not the operator's account; leave it empty",
                msg.delegator_address
            ))
            .into());
        }
        let pubkey = ed25519_from_any(msg.pubkey.as_ref().ok_or(StakingError::EmptyPubKey)?)?;
        let description = Description::from_proto(
            msg.description
                .as_ref()
                .ok_or_else(|| StakingError::InvalidRequest("description is missing".into()))?,
        );
        description.validate()?;
        let rates = CommissionRates::from_proto(
            msg.commission
                .as_ref()
                .ok_or_else(|| StakingError::InvalidRequest("commission is missing".into()))?,
        )?;
        rates.validate()?;
        let min_self_delegation = positive_int(&msg.min_self_delegation, "min_self_delegation")?;
        let value = positive_coin(msg.value.as_ref())?;
        if value.amount < min_self_delegation {
            return Err(StakingError::SelfDelegationBelowMinimum {
                amount: value.amount.to_string(),
                min: min_self_delegation.to_string(),
            }
            .into());
        }
        Ok(CreateValidator {
            operator,
            pubkey,
            description,
            rates,
            min_self_delegation,
            value,
        })
    }

    pub(crate) fn create_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgCreateValidator,
    ) -> AppResult<Vec<u8>> {
        let new = self.validate_create_validator(msg)?;
        let params = self.check_denom(ctx, &new.value)?;
        let op = self.keeper.operator_codec().encode(&new.operator);
        if self.keeper.validator(ctx, &new.operator)?.is_some() {
            return Err(StakingError::ValidatorExists(op).into());
        }
        let consensus = consensus_address(&new.pubkey);
        if let Some(other) = VALIDATORS_BY_CONS.may_load(&ctx.storage(PREFIX), &consensus)? {
            return Err(StakingError::PubKeyExists(
                self.keeper.consensus_codec().encode(&consensus),
                self.keeper.operator_codec().encode(&other),
            )
            .into());
        }
        if new.rates.rate < params.min_commission_rate {
            return Err(StakingError::CommissionBelowMin {
                rate: dec::fmt(new.rates.rate),
                min: dec::fmt(params.min_commission_rate),
            }
            .into());
        }
        let validator = Validator {
            operator: Binary::from(new.operator.clone()),
            consensus_pubkey: Binary::from(new.pubkey.clone()),
            jailed: false,
            status: BondStatus::Unbonded,
            tokens: Uint128::zero(),
            delegator_shares: Decimal256::zero(),
            description: new.description,
            unbonding_height: 0,
            unbonding_time: cosmwasm_std::Timestamp::from_nanos(0),
            commission: Commission {
                rates: new.rates,
                update_time: block_time(ctx),
            },
            min_self_delegation: new.min_self_delegation,
        };
        self.keeper.set_validator(ctx, None, &validator)?;
        VALIDATORS_BY_CONS.save(&mut ctx.storage(PREFIX), &consensus, &validator.operator)?;
        self.keeper
            .hooks()
            .after_validator_created(ctx, &new.operator)?;
        self.keeper.delegate(
            ctx,
            &new.operator,
            &new.operator,
            new.value.amount,
            TokenSource::Account,
        )?;
        // As in the Cosmos SDK, the self delegation has no `delegate` event of its own.
        ctx.emit(events::create_validator(&op, &new.value.to_string()));
        Ok(MsgCreateValidatorResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_edit_validator(
        &self,
        msg: &MsgEditValidator,
    ) -> AppResult<EditValidator> {
        let operator = self
            .keeper
            .operator_codec()
            .decode(&msg.validator_address)?;
        // An absent or all-empty description changes nothing (wallets send either).
        let description = msg
            .description
            .as_ref()
            .map(Description::from_proto)
            .filter(|d| *d != Description::default());
        let rate = match msg.commission_rate.as_str() {
            "" => None,
            s => {
                let r = dec::from_proto(s, "commission_rate")?;
                if r > Decimal256::one() {
                    return Err(StakingError::CommissionHuge {
                        what: "rate",
                        value: dec::fmt(r),
                    }
                    .into());
                }
                Some(r)
            }
        };
        let min_self_delegation = match msg.min_self_delegation.as_str() {
            "" => None,
            s => Some(positive_int(s, "min_self_delegation")?),
        };
        Ok(EditValidator {
            operator,
            description,
            rate,
            min_self_delegation,
        })
    }

    pub(crate) fn edit_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgEditValidator,
    ) -> AppResult<Vec<u8>> {
        let edit = self.validate_edit_validator(msg)?;
        let before = self.keeper.must_validator(ctx, &edit.operator)?;
        let mut after = before.clone();
        if let Some(d) = &edit.description {
            after.description = before.description.edited(d);
            after.description.validate()?;
        }
        if let Some(rate) = edit.rate {
            let now = block_time(ctx);
            let c = before.commission;
            let next = crate::keeper::add_seconds(c.update_time, COMMISSION_CHANGE_INTERVAL)?;
            if now < next {
                return Err(StakingError::CommissionUpdateTime {
                    last: rfc3339(c.update_time),
                    next: rfc3339(next),
                }
                .into());
            }
            if rate > c.rates.max_rate {
                return Err(StakingError::CommissionAboveMaxRate {
                    rate: dec::fmt(rate),
                    max_rate: dec::fmt(c.rates.max_rate),
                }
                .into());
            }
            // As in the Cosmos SDK, max_change_rate bounds increases; decreases are free.
            if rate > c.rates.rate && rate - c.rates.rate > c.rates.max_change_rate {
                return Err(StakingError::CommissionAboveMaxChange {
                    new: dec::fmt(rate),
                    old: dec::fmt(c.rates.rate),
                    max_change_rate: dec::fmt(c.rates.max_change_rate),
                }
                .into());
            }
            let min = self.keeper.params(ctx)?.min_commission_rate;
            if rate < min {
                return Err(StakingError::CommissionBelowMin {
                    rate: dec::fmt(rate),
                    min: dec::fmt(min),
                }
                .into());
            }
            after.commission.rates.rate = rate;
            after.commission.update_time = now;
        }
        if let Some(min) = edit.min_self_delegation {
            if min <= before.min_self_delegation {
                return Err(StakingError::MinSelfDelegationDecreased {
                    new: min.to_string(),
                    old: before.min_self_delegation.to_string(),
                }
                .into());
            }
            if min > before.tokens {
                return Err(StakingError::SelfDelegationBelowMinimum {
                    amount: before.tokens.to_string(),
                    min: min.to_string(),
                }
                .into());
            }
            after.min_self_delegation = min;
        }
        self.keeper.set_validator(ctx, Some(&before), &after)?;
        ctx.emit(events::edit_validator(
            &dec::fmt(after.commission.rates.rate),
            &after.min_self_delegation.to_string(),
        ));
        Ok(MsgEditValidatorResponse {}.encode_to_vec())
    }

    fn validate_move(
        &self,
        delegator: &str,
        operator: &str,
        amount: Option<&ProtoCoin>,
    ) -> AppResult<StakeMove> {
        Ok(StakeMove {
            delegator: self.keeper.codec().decode(delegator)?,
            operator: self.keeper.operator_codec().decode(operator)?,
            amount: positive_coin(amount)?,
        })
    }

    pub(crate) fn validate_delegate(&self, msg: &MsgDelegate) -> AppResult<StakeMove> {
        self.validate_move(
            &msg.delegator_address,
            &msg.validator_address,
            msg.amount.as_ref(),
        )
    }

    pub(crate) fn delegate(&self, ctx: &mut Ctx<'_, '_>, msg: &MsgDelegate) -> AppResult<Vec<u8>> {
        let m = self.validate_delegate(msg)?;
        self.check_denom(ctx, &m.amount)?;
        self.keeper.must_validator(ctx, &m.operator)?;
        let shares = self.keeper.delegate(
            ctx,
            &m.delegator,
            &m.operator,
            m.amount.amount,
            TokenSource::Account,
        )?;
        ctx.emit(events::delegate(
            &msg.validator_address,
            &msg.delegator_address,
            &m.amount.to_string(),
            &dec::fmt(shares),
        ));
        Ok(MsgDelegateResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_undelegate(&self, msg: &MsgUndelegate) -> AppResult<StakeMove> {
        self.validate_move(
            &msg.delegator_address,
            &msg.validator_address,
            msg.amount.as_ref(),
        )
    }

    pub(crate) fn undelegate(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUndelegate,
    ) -> AppResult<Vec<u8>> {
        let m = self.validate_undelegate(msg)?;
        self.check_denom(ctx, &m.amount)?;
        let (tokens, completion) =
            self.keeper
                .undelegate(ctx, &m.delegator, &m.operator, m.amount.amount)?;
        let coin = Coin {
            denom: m.amount.denom,
            amount: tokens,
        };
        ctx.emit(events::unbond(
            &msg.validator_address,
            &msg.delegator_address,
            &coin.to_string(),
            &rfc3339(completion),
        ));
        Ok(MsgUndelegateResponse {
            completion_time: Some(timestamp_to_proto(completion)),
            amount: Some(coin.to_proto()),
        }
        .encode_to_vec())
    }

    /// (delegator, source, destination, amount), checked without state.
    pub(crate) fn validate_redelegate(
        &self,
        msg: &MsgBeginRedelegate,
    ) -> AppResult<(StakeMove, Vec<u8>)> {
        let m = self.validate_move(
            &msg.delegator_address,
            &msg.validator_src_address,
            msg.amount.as_ref(),
        )?;
        let dst = self
            .keeper
            .operator_codec()
            .decode(&msg.validator_dst_address)?;
        if dst == m.operator {
            return Err(StakingError::SelfRedelegation.into());
        }
        Ok((m, dst))
    }

    pub(crate) fn redelegate(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgBeginRedelegate,
    ) -> AppResult<Vec<u8>> {
        let (m, dst) = self.validate_redelegate(msg)?;
        self.check_denom(ctx, &m.amount)?;
        let (tokens, completion) =
            self.keeper
                .redelegate(ctx, &m.delegator, &m.operator, &dst, m.amount.amount)?;
        ctx.emit(events::redelegate(
            &msg.validator_src_address,
            &msg.validator_dst_address,
            &msg.delegator_address,
            &format!("{tokens}{}", m.amount.denom),
            &rfc3339(completion),
        ));
        Ok(MsgBeginRedelegateResponse {
            completion_time: Some(timestamp_to_proto(completion)),
        }
        .encode_to_vec())
    }

    pub(crate) fn validate_cancel_unbonding(
        &self,
        msg: &MsgCancelUnbondingDelegation,
    ) -> AppResult<(StakeMove, u64)> {
        let m = self.validate_move(
            &msg.delegator_address,
            &msg.validator_address,
            msg.amount.as_ref(),
        )?;
        if msg.creation_height <= 0 {
            return Err(StakingError::InvalidRequest(format!(
                "creation_height {} must be a positive block height",
                msg.creation_height
            ))
            .into());
        }
        Ok((m, msg.creation_height as u64))
    }

    pub(crate) fn cancel_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgCancelUnbondingDelegation,
    ) -> AppResult<Vec<u8>> {
        let (m, height) = self.validate_cancel_unbonding(msg)?;
        self.check_denom(ctx, &m.amount)?;
        self.keeper
            .cancel_unbonding(ctx, &m.delegator, &m.operator, m.amount.amount, height)?;
        ctx.emit(events::cancel_unbonding_delegation(
            &msg.validator_address,
            &msg.delegator_address,
            &m.amount.to_string(),
            height,
        ));
        Ok(MsgCancelUnbondingDelegationResponse {}.encode_to_vec())
    }

    /// The authority's address and the new params, checked without state.
    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let params = msg.params.as_ref().ok_or(StakingError::MissingParams)?;
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
