//! cosmos.staking.v1beta1.Query, one function per method. The same functions answer ABCI Query
//! and gRPC.

use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::staking::v1beta1::*;
use cosmwasm_std::{Decimal256, Order};
use cw_storage_plus::PrimaryKey;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use prost::Message;

use crate::error::StakingError;
use crate::state::{
    DELEGATIONS, DELEGATIONS_BY_VALIDATOR, HISTORICAL_INFO, PREFIX, REDELEGATIONS,
    REDELEGATIONS_BY_SRC, UNBONDING, UNBONDING_BY_VALIDATOR, VALIDATORS,
};
use crate::types::{timestamp_to_proto, BondStatus, Redelegation, Validator};
use crate::{dec, StakingModule};

pub const SERVICE: &str = "cosmos.staking.v1beta1.Query";

fn not_found(what: String) -> AppError {
    StakingError::NotFound(what).into()
}

impl StakingModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        Ok(match method {
            "Validators" => self
                .q_validators(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Validator" => self
                .q_validator(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ValidatorDelegations" => self
                .q_validator_delegations(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ValidatorUnbondingDelegations" => self
                .q_validator_unbondings(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Delegation" => self
                .q_delegation(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "UnbondingDelegation" => self
                .q_unbonding(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorDelegations" => self
                .q_delegator_delegations(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorUnbondingDelegations" => self
                .q_delegator_unbondings(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Redelegations" => self
                .q_redelegations(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorValidators" => self
                .q_delegator_validators(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorValidator" => self
                .q_delegator_validator(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "HistoricalInfo" => self
                .q_historical_info(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Pool" => {
                let (bonded, not_bonded) = self.keeper.pool_balances(ctx)?;
                QueryPoolResponse {
                    pool: Some(Pool {
                        not_bonded_tokens: not_bonded.to_string(),
                        bonded_tokens: bonded.to_string(),
                    }),
                }
                .encode_to_vec()
            }
            "Params" => QueryParamsResponse {
                params: Some(self.keeper.params(ctx)?.to_proto()),
            }
            .encode_to_vec(),
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn validator_proto(&self, v: &Validator) -> cosmrs::proto::cosmos::staking::v1beta1::Validator {
        v.to_proto(self.keeper.operator_codec())
    }

    fn q_validators(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorsRequest,
    ) -> AppResult<QueryValidatorsResponse> {
        let status = match req.status.as_str() {
            "" | "BOND_STATUS_UNSPECIFIED" => None,
            s => Some(BondStatus::from_name(s).ok_or_else(|| {
                AppError::sdk(
                    sdk::INVALID_REQUEST,
                    format!(
                        "invalid validator status {s:?}: use BOND_STATUS_BONDED, \
                         BOND_STATUS_UNBONDING or BOND_STATUS_UNBONDED"
                    ),
                )
            })?),
        };
        let store = ctx.storage(PREFIX);
        let items = VALIDATORS
            .range(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .filter(|r| match (r, status) {
                (Ok((_, v)), Some(s)) => v.status == s,
                _ => true,
            })
            .map(|r| {
                r.map(|(op, v)| (op, self.validator_proto(&v)))
                    .map_err(AppError::from)
            });
        let (validators, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryValidatorsResponse {
            validators,
            pagination: Some(page),
        })
    }

    fn q_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorRequest,
    ) -> AppResult<QueryValidatorResponse> {
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let v = self
            .keeper
            .validator(ctx, &operator)?
            .ok_or_else(|| not_found(format!("validator {}", req.validator_addr)))?;
        Ok(QueryValidatorResponse {
            validator: Some(self.validator_proto(&v)),
        })
    }

    /// A delegation with what it is worth.
    fn delegation_response(
        &self,
        validator: &Validator,
        delegator: &[u8],
        shares: Decimal256,
        denom: &str,
    ) -> DelegationResponse {
        DelegationResponse {
            delegation: Some(Delegation {
                delegator_address: self.keeper.codec().encode(delegator),
                validator_address: self.keeper.operator_codec().encode(&validator.operator),
                shares: dec::to_proto(shares),
            }),
            balance: Some(
                Coin {
                    denom: denom.to_string(),
                    amount: validator.tokens_for_shares(shares),
                }
                .to_proto(),
            ),
        }
    }

    fn q_validator_delegations(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorDelegationsRequest,
    ) -> AppResult<QueryValidatorDelegationsResponse> {
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let validator = self
            .keeper
            .validator(ctx, &operator)?
            .ok_or_else(|| not_found(format!("validator {}", req.validator_addr)))?;
        let denom = self.keeper.params(ctx)?.bond_denom;
        let store = ctx.storage(PREFIX);
        let items = DELEGATIONS_BY_VALIDATOR
            .prefix(&operator)
            .keys(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                let delegator = r?;
                let shares = DELEGATIONS.load(&store, (&delegator, &operator))?;
                let resp = self.delegation_response(&validator, &delegator, shares, &denom);
                Ok((delegator, resp))
            });
        let (delegation_responses, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryValidatorDelegationsResponse {
            delegation_responses,
            pagination: Some(page),
        })
    }

    fn q_validator_unbondings(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorUnbondingDelegationsRequest,
    ) -> AppResult<QueryValidatorUnbondingDelegationsResponse> {
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let store = ctx.storage(PREFIX);
        let items = UNBONDING_BY_VALIDATOR
            .prefix(&operator)
            .keys(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                let delegator = r?;
                let ubd = UNBONDING.load(&store, (&delegator, &operator))?;
                let resp =
                    ubd.to_proto(&self.keeper.codec().encode(&delegator), &req.validator_addr);
                Ok((delegator, resp))
            });
        let (unbonding_responses, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryValidatorUnbondingDelegationsResponse {
            unbonding_responses,
            pagination: Some(page),
        })
    }

    fn q_delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegationRequest,
    ) -> AppResult<QueryDelegationResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let missing = || {
            not_found(format!(
                "delegation with delegator {} to validator {}",
                req.delegator_addr, req.validator_addr
            ))
        };
        let shares = self
            .keeper
            .delegation(ctx, &delegator, &operator)?
            .ok_or_else(missing)?;
        let validator = self.keeper.validator(ctx, &operator)?.ok_or_else(missing)?;
        let denom = self.keeper.params(ctx)?.bond_denom;
        Ok(QueryDelegationResponse {
            delegation_response: Some(
                self.delegation_response(&validator, &delegator, shares, &denom),
            ),
        })
    }

    fn q_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryUnbondingDelegationRequest,
    ) -> AppResult<QueryUnbondingDelegationResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let ubd = UNBONDING
            .may_load(&ctx.storage(PREFIX), (&delegator, &operator))?
            .ok_or_else(|| {
                not_found(format!(
                    "unbonding delegation with delegator {} from validator {}",
                    req.delegator_addr, req.validator_addr
                ))
            })?;
        Ok(QueryUnbondingDelegationResponse {
            unbond: Some(ubd.to_proto(&req.delegator_addr, &req.validator_addr)),
        })
    }

    fn q_delegator_delegations(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorDelegationsRequest,
    ) -> AppResult<QueryDelegatorDelegationsResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let denom = self.keeper.params(ctx)?.bond_denom;
        let store = ctx.storage(PREFIX);
        let items = DELEGATIONS
            .prefix(&delegator)
            .range(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                let (operator, shares) = r?;
                let validator = VALIDATORS.load(&store, &operator)?;
                let resp = self.delegation_response(&validator, &delegator, shares, &denom);
                Ok((operator, resp))
            });
        let (delegation_responses, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryDelegatorDelegationsResponse {
            delegation_responses,
            pagination: Some(page),
        })
    }

    fn q_delegator_unbondings(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorUnbondingDelegationsRequest,
    ) -> AppResult<QueryDelegatorUnbondingDelegationsResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let store = ctx.storage(PREFIX);
        let items = UNBONDING
            .prefix(&delegator)
            .range(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                let (operator, ubd) = r?;
                let resp = ubd.to_proto(
                    &req.delegator_addr,
                    &self.keeper.operator_codec().encode(&operator),
                );
                Ok((operator, resp))
            });
        let (unbonding_responses, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryDelegatorUnbondingDelegationsResponse {
            unbonding_responses,
            pagination: Some(page),
        })
    }

    /// A redelegation with what each entry's shares are worth at the destination now.
    fn redelegation_response(
        &self,
        ctx: &mut Ctx<'_, '_>,
        (delegator, src, dst): (&[u8], &[u8], &[u8]),
        red: &Redelegation,
    ) -> AppResult<RedelegationResponse> {
        let destination = self.keeper.validator(ctx, dst)?;
        let entries = red
            .entries
            .iter()
            .map(|e| RedelegationEntryResponse {
                redelegation_entry: Some(e.to_proto()),
                balance: destination
                    .as_ref()
                    .map(|v| v.tokens_for_shares(e.shares_dst))
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect();
        let ops = self.keeper.operator_codec();
        Ok(RedelegationResponse {
            redelegation: Some(cosmrs::proto::cosmos::staking::v1beta1::Redelegation {
                delegator_address: self.keeper.codec().encode(delegator),
                validator_src_address: ops.encode(src),
                validator_dst_address: ops.encode(dst),
                entries: red.entries.iter().map(|e| e.to_proto()).collect(),
            }),
            entries,
        })
    }

    /// By (delegator, source, destination); all of a source's (`src` only); or a delegator's
    /// (`delegator`, optionally narrowed by source and destination).
    fn q_redelegations(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryRedelegationsRequest,
    ) -> AppResult<QueryRedelegationsResponse> {
        let decode_op = |s: &str| -> AppResult<Option<Vec<u8>>> {
            if s.is_empty() {
                Ok(None)
            } else {
                self.keeper.operator_codec().decode(s).map(Some)
            }
        };
        let src = decode_op(&req.src_validator_addr)?;
        let dst = decode_op(&req.dst_validator_addr)?;
        let delegator = if req.delegator_addr.is_empty() {
            None
        } else {
            Some(self.keeper.codec().decode(&req.delegator_addr)?)
        };
        let page_req = req.pagination.as_ref();
        // The matching (delegator, source, destination) triples, then one page of them.
        type Keys = Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>;
        let (keys, page): (Keys, PageResponse) = match (&delegator, &src, &dst) {
            (Some(d), Some(s), Some(t)) => {
                if !REDELEGATIONS.has(&ctx.storage(PREFIX), (d, s, t)) {
                    return Err(not_found(format!(
                        "redelegation of {} from {} to {}",
                        req.delegator_addr, req.src_validator_addr, req.dst_validator_addr
                    )));
                }
                (
                    vec![(d.clone(), s.clone(), t.clone())],
                    PageResponse::default(),
                )
            }
            (None, Some(s), None) => {
                let store = ctx.storage(PREFIX);
                let items = REDELEGATIONS_BY_SRC
                    .sub_prefix(s)
                    .keys(&store, page_start(page_req), None, Order::Ascending)
                    .map(|r| {
                        let (d, t) = r?;
                        let raw = (d.as_slice(), t.as_slice()).joined_key();
                        Ok((raw, (d, s.clone(), t)))
                    });
                paginate(items, page_req)?
            }
            (Some(d), _, _) => {
                let store = ctx.storage(PREFIX);
                let items = REDELEGATIONS
                    .sub_prefix(d)
                    .keys(&store, page_start(page_req), None, Order::Ascending)
                    .filter(|r| match r {
                        Ok((s2, t2)) => {
                            src.as_ref().is_none_or(|s| s == s2)
                                && dst.as_ref().is_none_or(|t| t == t2)
                        }
                        Err(_) => true,
                    })
                    .map(|r| {
                        let (s2, t2) = r?;
                        let raw = (s2.as_slice(), t2.as_slice()).joined_key();
                        Ok((raw, (d.clone(), s2, t2)))
                    });
                paginate(items, page_req)?
            }
            _ => {
                return Err(AppError::sdk(
                    sdk::INVALID_REQUEST,
                    "set delegator_addr (optionally with src_validator_addr and \
                         dst_validator_addr), or src_validator_addr alone",
                ))
            }
        };
        let mut redelegation_responses = Vec::with_capacity(keys.len());
        for (d, s, t) in keys {
            let red = REDELEGATIONS.load(&ctx.storage(PREFIX), (&d, &s, &t))?;
            redelegation_responses.push(self.redelegation_response(ctx, (&d, &s, &t), &red)?);
        }
        Ok(QueryRedelegationsResponse {
            redelegation_responses,
            pagination: Some(page),
        })
    }

    fn q_delegator_validators(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorValidatorsRequest,
    ) -> AppResult<QueryDelegatorValidatorsResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let store = ctx.storage(PREFIX);
        let items = DELEGATIONS
            .prefix(&delegator)
            .keys(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                let operator = r?;
                let v = VALIDATORS.load(&store, &operator)?;
                Ok((operator, self.validator_proto(&v)))
            });
        let (validators, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryDelegatorValidatorsResponse {
            validators,
            pagination: Some(page),
        })
    }

    fn q_delegator_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorValidatorRequest,
    ) -> AppResult<QueryDelegatorValidatorResponse> {
        let delegator = self.keeper.codec().decode(&req.delegator_addr)?;
        let operator = self.keeper.operator_codec().decode(&req.validator_addr)?;
        let missing = || {
            not_found(format!(
                "delegation with delegator {} to validator {}",
                req.delegator_addr, req.validator_addr
            ))
        };
        self.keeper
            .delegation(ctx, &delegator, &operator)?
            .ok_or_else(missing)?;
        let v = self.keeper.validator(ctx, &operator)?.ok_or_else(missing)?;
        Ok(QueryDelegatorValidatorResponse {
            validator: Some(self.validator_proto(&v)),
        })
    }

    fn q_historical_info(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryHistoricalInfoRequest,
    ) -> AppResult<QueryHistoricalInfoResponse> {
        if req.height < 0 {
            return Err(AppError::sdk(
                sdk::INVALID_REQUEST,
                format!("height {} is negative", req.height),
            ));
        }
        let info = HISTORICAL_INFO
            .may_load(&ctx.storage(PREFIX), req.height as u64)?
            .ok_or_else(|| not_found(format!("historical info for height {}", req.height)))?;
        let header = tendermint_proto::v0_38::types::Header {
            chain_id: info.chain_id.clone(),
            height: info.height as i64,
            time: Some(timestamp_to_proto(info.time)),
            proposer_address: info.proposer.to_vec(),
            ..Default::default()
        };
        Ok(QueryHistoricalInfoResponse {
            hist: Some(HistoricalInfo {
                header: Some(header),
                valset: info
                    .valset
                    .iter()
                    .map(|v| self.validator_proto(v))
                    .collect(),
            }),
        })
    }
}
