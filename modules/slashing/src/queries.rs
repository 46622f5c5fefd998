//! cosmos.slashing.v1beta1.Query, one function per method. The same functions answer ABCI
//! Query and gRPC.

use cosmrs::proto::cosmos::slashing::v1beta1::*;
use cosmwasm_std::Order;
use cw_storage_plus::Bound;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::paginate;
use prost::Message;

use crate::error::SlashingError;
use crate::state::{SigningInfo, PREFIX, SIGNING_INFOS};
use crate::SlashingModule;

pub const SERVICE: &str = "cosmos.slashing.v1beta1.Query";

impl SlashingModule {
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
            "SigningInfo" => self
                .q_signing_info(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "SigningInfos" => self
                .q_signing_infos(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    pub(crate) fn signing_info_proto(
        &self,
        consensus: &[u8],
        info: &SigningInfo,
    ) -> ValidatorSigningInfo {
        ValidatorSigningInfo {
            address: self.keeper.consensus_codec().encode(consensus),
            start_height: info.start_height as i64,
            index_offset: info.index_offset as i64,
            jailed_until: Some(info.jailed_until.to_proto()),
            tombstoned: info.tombstoned,
            missed_blocks_counter: info.missed_blocks_counter as i64,
        }
    }

    fn q_signing_info(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QuerySigningInfoRequest,
    ) -> AppResult<QuerySigningInfoResponse> {
        if req.cons_address.is_empty() {
            return Err(SlashingError::InvalidRequest("cons_address is empty".into()).into());
        }
        let consensus = self.keeper.consensus_codec().decode(&req.cons_address)?;
        let info = self.keeper.signing_info(ctx, &consensus)?.ok_or_else(|| {
            SlashingError::NotFound(format!("signing info of {}", req.cons_address))
        })?;
        Ok(QuerySigningInfoResponse {
            val_signing_info: Some(self.signing_info_proto(&consensus, &info)),
        })
    }

    fn q_signing_infos(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QuerySigningInfosRequest,
    ) -> AppResult<QuerySigningInfosResponse> {
        let start = req
            .pagination
            .as_ref()
            .filter(|p| !p.key.is_empty())
            .map(|p| Bound::InclusiveRaw(p.key.clone()));
        let store = ctx.storage(PREFIX);
        let items = SIGNING_INFOS
            .range(&store, start, None, Order::Ascending)
            .map(|r| {
                r.map(|(consensus, info)| {
                    let proto = self.signing_info_proto(&consensus, &info);
                    (consensus, proto)
                })
                .map_err(AppError::from)
            });
        let (info, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QuerySigningInfosResponse {
            info,
            pagination: Some(page),
        })
    }
}
