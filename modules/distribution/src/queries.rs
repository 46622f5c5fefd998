//! cosmos.distribution.v1beta1.Query, one function per method. The same functions answer
//! ABCI Query and gRPC. Rewards are computed on a discarded branch, as the SDK does on a
//! cache context: a query never writes.

use cosmrs::proto::cosmos::distribution::v1beta1::*;
use cosmwasm_std::Order;
use cw_storage_plus::{Bound, PrimaryKey};
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::paginate;
use depin_staking::dec;
use prost::Message;

use crate::dec::DecCoins;
use crate::error::DistributionError;
use crate::keeper::dry_run;
use crate::state::{PREFIX, SLASH_EVENTS};
use crate::DistributionModule;

pub const SERVICE: &str = "cosmos.distribution.v1beta1.Query";

fn bad(msg: &str) -> AppError {
    DistributionError::InvalidRequest(msg.to_string()).into()
}

impl DistributionModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        Ok(match method {
            "Params" => {
                let _: QueryParamsRequest = decode_query(path, req)?;
                QueryParamsResponse {
                    params: Some(self.keeper.params(ctx)?.to_proto()),
                }
                .encode_to_vec()
            }
            "ValidatorDistributionInfo" => self
                .q_validator_info(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ValidatorOutstandingRewards" => self
                .q_outstanding(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ValidatorCommission" => self
                .q_commission(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ValidatorSlashes" => self
                .q_slashes(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegationRewards" => self
                .q_delegation_rewards(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegationTotalRewards" => self
                .q_total_rewards(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorValidators" => self
                .q_delegator_validators(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DelegatorWithdrawAddress" => self
                .q_withdraw_address(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "CommunityPool" => {
                let _: QueryCommunityPoolRequest = decode_query(path, req)?;
                QueryCommunityPoolResponse {
                    pool: self.keeper.community_pool(ctx)?.to_proto(),
                }
                .encode_to_vec()
            }
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn operator(&self, address: &str) -> AppResult<Vec<u8>> {
        if address.is_empty() {
            return Err(bad("empty validator address"));
        }
        self.keeper.operator_codec().decode(address)
    }

    fn delegator(&self, address: &str) -> AppResult<Vec<u8>> {
        if address.is_empty() {
            return Err(bad("empty delegator address"));
        }
        self.keeper.codec().decode(address)
    }

    /// The operator of an existing validator.
    fn existing_validator(&self, ctx: &mut Ctx<'_, '_>, address: &str) -> AppResult<Vec<u8>> {
        let operator = self.operator(address)?;
        if self.keeper.staking().validator(ctx, &operator)?.is_none() {
            return Err(DistributionError::NoValidatorExists(address.to_string()).into());
        }
        Ok(operator)
    }

    fn q_validator_info(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorDistributionInfoRequest,
    ) -> AppResult<QueryValidatorDistributionInfoResponse> {
        let operator = self.existing_validator(ctx, &req.validator_address)?;
        // The operator's account bytes are its operator address bytes.
        let self_bond_rewards = self.keeper.delegation_rewards(ctx, &operator, &operator)?;
        Ok(QueryValidatorDistributionInfoResponse {
            operator_address: self.keeper.codec().encode(&operator),
            self_bond_rewards: self_bond_rewards.to_proto(),
            commission: self
                .keeper
                .accumulated_commission(ctx, &operator)?
                .to_proto(),
        })
    }

    fn q_outstanding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorOutstandingRewardsRequest,
    ) -> AppResult<QueryValidatorOutstandingRewardsResponse> {
        let operator = self.existing_validator(ctx, &req.validator_address)?;
        Ok(QueryValidatorOutstandingRewardsResponse {
            rewards: Some(ValidatorOutstandingRewards {
                rewards: self.keeper.outstanding_rewards(ctx, &operator)?.to_proto(),
            }),
        })
    }

    fn q_commission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorCommissionRequest,
    ) -> AppResult<QueryValidatorCommissionResponse> {
        let operator = self.existing_validator(ctx, &req.validator_address)?;
        Ok(QueryValidatorCommissionResponse {
            commission: Some(ValidatorAccumulatedCommission {
                commission: self
                    .keeper
                    .accumulated_commission(ctx, &operator)?
                    .to_proto(),
            }),
        })
    }

    /// Slashes at heights `starting_height ..= ending_height` (0 as the end: no upper
    /// bound), in (height, period) order, paginated by their store key.
    fn q_slashes(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryValidatorSlashesRequest,
    ) -> AppResult<QueryValidatorSlashesResponse> {
        let operator = self.operator(&req.validator_address)?;
        let end = if req.ending_height == 0 {
            u64::MAX
        } else {
            req.ending_height
        };
        if req.starting_height > end {
            return Err(bad(&format!(
                "starting height {} is after ending height {}",
                req.starting_height, req.ending_height
            )));
        }
        let start = match req.pagination.as_ref().filter(|p| !p.key.is_empty()) {
            Some(p) => Bound::InclusiveRaw(p.key.clone()),
            None => Bound::inclusive((req.starting_height, 0u64)),
        };
        let store = ctx.storage(PREFIX);
        let items = SLASH_EVENTS
            .sub_prefix(&operator)
            .range(
                &store,
                Some(start),
                Some(Bound::inclusive((end, u64::MAX))),
                Order::Ascending,
            )
            .filter(|r| {
                r.as_ref()
                    .map(|((h, _), _)| *h >= req.starting_height)
                    .unwrap_or(true)
            })
            .map(|r| {
                r.map(|((h, p), e)| {
                    let key = (h, p).joined_key();
                    (
                        key,
                        ValidatorSlashEvent {
                            validator_period: e.validator_period,
                            fraction: dec::to_proto(e.fraction),
                        },
                    )
                })
                .map_err(AppError::from)
            });
        let (slashes, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryValidatorSlashesResponse {
            slashes,
            pagination: Some(page),
        })
    }

    fn q_delegation_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegationRewardsRequest,
    ) -> AppResult<QueryDelegationRewardsResponse> {
        let delegator = self.delegator(&req.delegator_address)?;
        let operator = self.operator(&req.validator_address)?;
        Ok(QueryDelegationRewardsResponse {
            rewards: self
                .keeper
                .delegation_rewards(ctx, &delegator, &operator)?
                .to_proto(),
        })
    }

    fn q_total_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegationTotalRewardsRequest,
    ) -> AppResult<QueryDelegationTotalRewardsResponse> {
        let delegator = self.delegator(&req.delegator_address)?;
        let delegations = self.keeper.staking().delegations_of(ctx, &delegator)?;
        let mut total = DecCoins::new();
        let mut rewards = Vec::with_capacity(delegations.len());
        for (operator, _) in delegations {
            let r = dry_run(ctx, |ctx| {
                self.keeper.delegation_rewards(ctx, &delegator, &operator)
            })?;
            total = total.add(&r)?;
            rewards.push(DelegationDelegatorReward {
                validator_address: self.keeper.operator_codec().encode(&operator),
                reward: r.to_proto(),
            });
        }
        Ok(QueryDelegationTotalRewardsResponse {
            rewards,
            total: total.to_proto(),
        })
    }

    fn q_delegator_validators(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorValidatorsRequest,
    ) -> AppResult<QueryDelegatorValidatorsResponse> {
        let delegator = self.delegator(&req.delegator_address)?;
        let validators = self
            .keeper
            .staking()
            .delegations_of(ctx, &delegator)?
            .into_iter()
            .map(|(op, _)| self.keeper.operator_codec().encode(&op))
            .collect();
        Ok(QueryDelegatorValidatorsResponse { validators })
    }

    fn q_withdraw_address(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDelegatorWithdrawAddressRequest,
    ) -> AppResult<QueryDelegatorWithdrawAddressResponse> {
        let delegator = self.delegator(&req.delegator_address)?;
        let to = self.keeper.withdraw_address(ctx, &delegator)?;
        Ok(QueryDelegatorWithdrawAddressResponse {
            withdraw_address: self.keeper.codec().encode(&to),
        })
    }
}
