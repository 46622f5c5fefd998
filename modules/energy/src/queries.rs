//! The same functions answer ABCI Query and gRPC (`/depin.energy.v1.Query/<Method>`).

use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use depin_proto::depin::energy::v1::*;
use prost::Message;

use crate::error::EnergyError;
use crate::state::{METERS, PREFIX};
use crate::EnergyModule;

pub const SERVICE: &str = "depin.energy.v1.Query";

impl EnergyModule {
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
            "Meter" => {
                let r: QueryMeterRequest = decode_query(path, request)?;
                if r.device_id.is_empty() {
                    return Err(EnergyError::InvalidRequest("device_id is empty".into()).into());
                }
                let meter = k
                    .meter(ctx, &r.device_id)?
                    .ok_or_else(|| EnergyError::NotFound(format!("meter {}", r.device_id)))?;
                QueryMeterResponse {
                    meter: Some(meter.to_proto()),
                }
                .encode_to_vec()
            }
            "Meters" => {
                let r: QueryMetersRequest = decode_query(path, request)?;
                let page = r.pagination.as_ref();
                let store = ctx.storage(PREFIX);
                let items = METERS
                    .range_raw(&store, page_start::<&str>(page), None, Order::Ascending)
                    .map(|e| {
                        e.map(|(key, m)| (key, m.to_proto()))
                            .map_err(AppError::from)
                    });
                let (meters, pagination) = paginate(items, page)?;
                QueryMetersResponse {
                    meters,
                    pagination: Some(pagination),
                }
                .encode_to_vec()
            }
            "EpochEnergy" => {
                let r: QueryEpochEnergyRequest = decode_query(path, request)?;
                if r.device_id.is_empty() {
                    return Err(EnergyError::InvalidRequest("device_id is empty".into()).into());
                }
                let delivered_wh = k.epoch_energy(ctx, r.epoch, &r.device_id)?;
                let points = k.points(ctx, r.epoch, &r.device_id)?;
                QueryEpochEnergyResponse {
                    energy: Some(EpochEnergy {
                        epoch: r.epoch,
                        device_id: r.device_id,
                        delivered_wh,
                        points,
                    }),
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
