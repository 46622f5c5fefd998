//! The same functions answer ABCI Query and gRPC (`/depin.rewards.v1.Query/<Method>`).

use cosmwasm_std::Order as SortOrder;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use depin_proto::depin::rewards::v1::*;
use prost::Message;

use crate::error::RewardsError;
use crate::schedule;
use crate::state::{DEVICE_REWARDS, EMISSIONS, PREFIX, PROVIDER_REWARDS};
use crate::RewardsModule;

pub const SERVICE: &str = "depin.rewards.v1.Query";
/// The most epochs one Schedule query computes.
pub const MAX_SCHEDULE_EPOCHS: u32 = 1_000;

impl RewardsModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        request: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path
            .strip_prefix(&format!("/{SERVICE}/"))
            .unwrap_or_default();
        let k = &self.keeper;
        let out = match method {
            "Params" => {
                let _: QueryParamsRequest = decode_query(path, request)?;
                QueryParamsResponse {
                    params: Some(k.params(ctx)?.to_proto()),
                }
                .encode_to_vec()
            }
            "Epoch" => {
                let _: QueryEpochRequest = decode_query(path, request)?;
                let params = k.params(ctx)?;
                let clock = k.clock(ctx)?;
                let next = k.next_emission(ctx)?;
                QueryEpochResponse {
                    epoch: Some(EpochInfo {
                        epoch: clock.epoch,
                        start_height: clock.start_height,
                        next_epoch_height: clock.end_height(&params),
                        next_emission: Some(
                            Coin {
                                denom: params.denom.clone(),
                                amount: next.minted,
                            }
                            .to_proto(),
                        ),
                    }),
                }
                .encode_to_vec()
            }
            "Schedule" => {
                let r: QueryScheduleRequest = decode_query(path, request)?;
                if r.count > MAX_SCHEDULE_EPOCHS {
                    return Err(RewardsError::InvalidRequest(format!(
                        "count is at most {MAX_SCHEDULE_EPOCHS}"
                    ))
                    .into());
                }
                let params = k.params(ctx)?;
                let clock = k.clock(ctx)?;
                let count = if r.count == 0 { 10 } else { r.count };
                let epochs = (0..u64::from(count))
                    .map_while(|i| r.from_epoch.checked_add(i))
                    .map(|epoch| {
                        // Supply is not projected: the cap is applied as minting goes.
                        let e = schedule::emission(
                            &params,
                            epoch,
                            clock.capacity,
                            cosmwasm_std::Uint128::zero(),
                        );
                        EpochEmission {
                            epoch,
                            base: e.base.to_string(),
                            baseline: e.baseline.to_string(),
                            minted: e.scheduled().to_string(),
                            capacity: clock.capacity,
                            target: e.target,
                            height: 0,
                        }
                    })
                    .collect();
                QueryScheduleResponse { epochs }.encode_to_vec()
            }
            "Emissions" => {
                let r: QueryEmissionsRequest = decode_query(path, request)?;
                let page = r.pagination.as_ref();
                let store = ctx.storage(PREFIX);
                let items = EMISSIONS
                    .range_raw(&store, page_start::<u64>(page), None, SortOrder::Ascending)
                    .map(|e| {
                        e.map(|(key, v)| (key, v.to_proto()))
                            .map_err(AppError::from)
                    });
                let (emissions, pagination) = paginate(items, page)?;
                QueryEmissionsResponse {
                    emissions,
                    pagination: Some(pagination),
                }
                .encode_to_vec()
            }
            "Totals" => {
                let _: QueryTotalsRequest = decode_query(path, request)?;
                let denom = k.params(ctx)?.denom;
                let supply = k.bank().supply(ctx, &denom)?;
                let (minted, burned) = k.bank().minted_and_burned(ctx, &denom)?;
                let coin = |amount| {
                    Some(
                        Coin {
                            denom: denom.clone(),
                            amount,
                        }
                        .to_proto(),
                    )
                };
                QueryTotalsResponse {
                    totals: Some(k.totals(ctx)?.to_proto()),
                    supply: coin(supply),
                    minted: coin(minted),
                    burned: coin(burned),
                }
                .encode_to_vec()
            }
            "Pending" => {
                let r: QueryPendingRequest = decode_query(path, request)?;
                let address = k.codec().decode(&r.address)?;
                let params = k.params(ctx)?;
                let p = k.pending(ctx, &address)?;
                QueryPendingResponse {
                    pending: Some(Pending {
                        address: r.address.clone(),
                        from_devices: p.from_devices.to_string(),
                        from_providers: p.from_providers.to_string(),
                    }),
                    total: Some(
                        Coin {
                            denom: params.denom,
                            amount: p.total(),
                        }
                        .to_proto(),
                    ),
                }
                .encode_to_vec()
            }
            "DeviceRewards" => {
                let r: QueryDeviceRewardsRequest = decode_query(path, request)?;
                if r.device_id.is_empty() {
                    return Err(RewardsError::InvalidRequest("device_id is empty".into()).into());
                }
                let e = DEVICE_REWARDS
                    .may_load(&ctx.storage(PREFIX), &r.device_id)?
                    .unwrap_or_default();
                QueryDeviceRewardsResponse {
                    rewards: Some(DeviceRewards {
                        device_id: r.device_id,
                        earned: e.earned.to_string(),
                        last_epoch: e.last_epoch,
                        last_amount: e.last_amount.to_string(),
                    }),
                }
                .encode_to_vec()
            }
            "ProviderRewards" => {
                let r: QueryProviderRewardsRequest = decode_query(path, request)?;
                let provider = k.codec().decode(&r.provider)?;
                let e = PROVIDER_REWARDS
                    .may_load(&ctx.storage(PREFIX), &provider)?
                    .unwrap_or_default();
                QueryProviderRewardsResponse {
                    rewards: Some(ProviderRewards {
                        provider: r.provider,
                        earned: e.earned.to_string(),
                        last_epoch: e.last_epoch,
                        last_amount: e.last_amount.to_string(),
                    }),
                }
                .encode_to_vec()
            }
            "Credits" => {
                let r: QueryCreditsRequest = decode_query(path, request)?;
                let address = k.codec().decode(&r.address)?;
                QueryCreditsResponse {
                    credits: Some(Credits {
                        balance: k.credits(ctx, &address)?.to_string(),
                        address: r.address,
                    }),
                }
                .encode_to_vec()
            }
            "Pools" => {
                let _: QueryPoolsRequest = decode_query(path, request)?;
                let pools = k.pools(ctx)?;
                QueryPoolsResponse {
                    devices: pools.devices.to_string(),
                    providers: pools.providers.to_string(),
                    device_payout: k.device_payout(ctx)?.current.map(|p| p.to_proto()),
                    provider_payout: k.provider_payout(ctx)?.current.map(|p| p.to_proto()),
                }
                .encode_to_vec()
            }
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown query {path}"),
                ))
            }
        };
        Ok(out)
    }
}
