//! depin.device.v1.Query, one function per method. The same functions answer ABCI Query and
//! gRPC. Lists are paginated with the raw store key of the next item as `next_key`.

use cosmwasm_std::Order;
use cw_storage_plus::{Bound, PrimaryKey};
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use depin_proto::depin::device::v1::*;
use prost::Message;

use crate::error::DeviceError;
use crate::state::{
    devices, location_index, CONTRIBUTIONS, CONTRIBUTIONS_BY_DEVICE, HEX_DENSITIES, LOCATIONS,
    MAKERS, PREFIX,
};
use crate::DeviceModule;

pub const SERVICE: &str = "depin.device.v1.Query";

fn bad(msg: impl Into<String>) -> AppError {
    DeviceError::InvalidRequest(msg.into()).into()
}

impl DeviceModule {
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
            "Epoch" => {
                let _: QueryEpochRequest = decode_query(path, req)?;
                self.q_epoch(ctx)?.encode_to_vec()
            }
            "Maker" => self.q_maker(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Makers" => self
                .q_makers(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Device" => self
                .q_device(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Devices" => self
                .q_devices(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "LocationHistory" => self
                .q_location_history(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Contributions" => self
                .q_contributions(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "HexDensities" => self
                .q_hex_densities(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn q_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<QueryEpochResponse> {
        let blocks = self.keeper.params(ctx)?.epoch_blocks;
        let anchor = self.keeper.epoch_anchor(ctx)?;
        let height = ctx.env.height;
        let epoch = anchor.epoch_of(blocks, height);
        // The epoch before the anchor is the one a change of epoch_blocks ended early, in the
        // block that changed it: it ends there, where it started is no longer known (0).
        let (start_height, end_height) = anchor
            .heights_of(blocks, epoch)
            .unwrap_or((0, anchor.start_height.saturating_sub(1)));
        Ok(QueryEpochResponse {
            epoch,
            start_height,
            end_height,
            next_block_epoch: anchor.epoch_of(blocks, height.saturating_add(1)),
        })
    }

    fn q_maker(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryMakerRequest,
    ) -> AppResult<QueryMakerResponse> {
        if req.name.is_empty() {
            return Err(bad("name is empty"));
        }
        let maker = self
            .keeper
            .maker(ctx, &req.name)?
            .ok_or_else(|| DeviceError::NotFound(format!("maker {:?}", req.name)))?;
        Ok(QueryMakerResponse {
            maker: Some(maker.to_proto()),
        })
    }

    fn q_makers(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryMakersRequest,
    ) -> AppResult<QueryMakersResponse> {
        let store = ctx.storage(PREFIX);
        let start = page_start::<&str>(req.pagination.as_ref());
        let items = MAKERS
            .range_raw(&store, start, None, Order::Ascending)
            .map(|r| r.map(|(k, m)| (k, m.to_proto())).map_err(AppError::from));
        let (makers, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryMakersResponse {
            makers,
            pagination: Some(page),
        })
    }

    fn q_device(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDeviceRequest,
    ) -> AppResult<QueryDeviceResponse> {
        if req.device_id.is_empty() {
            return Err(bad("device_id is empty"));
        }
        let mut device = self
            .keeper
            .device(ctx, &req.device_id)?
            .ok_or_else(|| DeviceError::NotFound(format!("device {}", req.device_id)))?;
        // The status the chain applies now: a passed deadline or a revoked maker counts even
        // before begin block has processed it (lists and the status filter use the stored one).
        device.status = self.keeper.effective_status(ctx, &device)? as i32;
        Ok(QueryDeviceResponse {
            device: Some(device.to_proto()),
        })
    }

    /// All devices, or those of one owner, maker, class, status, or inside one H3 cell.
    fn q_devices(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDevicesRequest,
    ) -> AppResult<QueryDevicesResponse> {
        let filters = [
            !req.owner.is_empty(),
            !req.maker.is_empty(),
            !req.class.is_empty(),
            req.status != 0,
            req.h3_cell != 0,
        ];
        if filters.iter().filter(|f| **f).count() > 1 {
            return Err(bad(
                "set at most one filter of owner, maker, class, status and h3_cell",
            ));
        }
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let map = devices();
        let to_item = |r: cosmwasm_std::StdResult<(Vec<u8>, crate::Device)>| {
            r.map(|(k, d)| (k, d.to_proto())).map_err(AppError::from)
        };
        let (list, pagination) = if !req.owner.is_empty() {
            let owner = self
                .keeper
                .codec()
                .encode(&self.keeper.codec().decode(&req.owner)?);
            let items = map.idx.owner.prefix(owner).range_raw(
                &store,
                page_start(page),
                None,
                Order::Ascending,
            );
            paginate(items.map(to_item), page)?
        } else if !req.maker.is_empty() {
            let items = map.idx.maker.prefix(req.maker.clone()).range_raw(
                &store,
                page_start(page),
                None,
                Order::Ascending,
            );
            paginate(items.map(to_item), page)?
        } else if !req.class.is_empty() {
            let items = map.idx.class.prefix(req.class.clone()).range_raw(
                &store,
                page_start(page),
                None,
                Order::Ascending,
            );
            paginate(items.map(to_item), page)?
        } else if req.status != 0 {
            let items = map.idx.status.prefix(req.status).range_raw(
                &store,
                page_start(page),
                None,
                Order::Ascending,
            );
            paginate(items.map(to_item), page)?
        } else if req.h3_cell != 0 {
            let cell = crate::h3::validate_cell(req.h3_cell, 0, crate::h3::INDEX_RESOLUTION)
                .map_err(|e| bad(e.to_string()))?;
            let (first, last) = crate::h3::descendant_range(cell);
            // Index keys are (location key, device id): the page key is the full index key.
            // A page key continues the scan, but never outside the cell's range.
            let start = (first, "").joined_key();
            let min = match page.filter(|p| !p.key.is_empty()) {
                Some(p) => Bound::InclusiveRaw(p.key.clone().max(start)),
                None => Bound::InclusiveRaw(start),
            };
            let max = last
                .checked_add(1)
                .map(|end| Bound::ExclusiveRaw((end, "").joined_key()));
            let items = map
                .idx
                .location
                .range_raw(&store, Some(min), max, Order::Ascending)
                .map(|r| {
                    r.map(|(_, d)| {
                        let key = (location_index(&d), d.id.as_str()).joined_key();
                        (key, d.to_proto())
                    })
                    .map_err(AppError::from)
                })
                // A device on a cell coarser than the asked one is indexed by its center
                // child, which may fall inside the asked cell: it is not located there.
                .filter(|r| {
                    r.as_ref().map_or(true, |(_, d)| {
                        d.location.as_ref().is_some_and(|l| {
                            crate::h3::parent_at(l.h3_cell, u8::from(cell.resolution()))
                                == Ok(req.h3_cell)
                        })
                    })
                });
            paginate(items, page)?
        } else {
            let items = map.range_raw(&store, page_start(page), None, Order::Ascending);
            paginate(items.map(to_item), page)?
        };
        Ok(QueryDevicesResponse {
            devices: list,
            pagination: Some(pagination),
        })
    }

    fn q_location_history(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryLocationHistoryRequest,
    ) -> AppResult<QueryLocationHistoryResponse> {
        if self.keeper.device(ctx, &req.device_id)?.is_none() {
            return Err(DeviceError::NotFound(format!("device {}", req.device_id)).into());
        }
        let store = ctx.storage(PREFIX);
        let items = LOCATIONS
            .prefix(&req.device_id)
            .range_raw(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| r.map(|(k, l)| (k, l.to_proto())).map_err(AppError::from));
        let (locations, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryLocationHistoryResponse {
            locations,
            pagination: Some(page),
        })
    }

    /// Uses the (device, epoch) index, then reads each record from (epoch, device).
    fn q_contributions(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryContributionsRequest,
    ) -> AppResult<QueryContributionsResponse> {
        if req.device_id.is_empty() {
            return Err(bad("device_id is empty"));
        }
        let to = if req.to_epoch == 0 {
            self.keeper.current_epoch(ctx)?
        } else {
            req.to_epoch
        };
        if req.from_epoch > to {
            return Err(bad(format!(
                "from_epoch {} is after to_epoch {to}",
                req.from_epoch
            )));
        }
        let store = ctx.storage(PREFIX);
        let min = match req.pagination.as_ref().filter(|p| !p.key.is_empty()) {
            Some(p) => Bound::InclusiveRaw(p.key.clone()),
            None => Bound::inclusive(req.from_epoch),
        };
        let items = CONTRIBUTIONS_BY_DEVICE
            .prefix(&req.device_id)
            .keys_raw(
                &store,
                Some(min),
                Some(Bound::inclusive(to)),
                Order::Ascending,
            )
            .map(|k| {
                let epoch = u64::from_be_bytes(k.as_slice().try_into().map_err(|_| {
                    DeviceError::Corrupt("contribution index key is not an epoch".into())
                })?);
                let c = CONTRIBUTIONS
                    .may_load(&store, (epoch, &req.device_id))?
                    .ok_or_else(|| {
                        DeviceError::Corrupt(format!(
                            "contribution of {} in epoch {epoch} is indexed but missing",
                            req.device_id
                        ))
                    })?;
                Ok((k, c.to_proto()))
            });
        let (contributions, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryContributionsResponse {
            contributions,
            pagination: Some(page),
        })
    }

    fn q_hex_densities(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryHexDensitiesRequest,
    ) -> AppResult<QueryHexDensitiesResponse> {
        let store = ctx.storage(PREFIX);
        let epoch = req.epoch;
        let items = HEX_DENSITIES
            .prefix(epoch)
            .range_raw(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                r.map_err(AppError::from).and_then(|(k, devices)| {
                    let hex = u64::from_be_bytes(k.as_slice().try_into().map_err(|_| {
                        DeviceError::Corrupt("hex density key is not a cell".into())
                    })?);
                    Ok((
                        k,
                        HexDensity {
                            epoch,
                            hex,
                            devices,
                        },
                    ))
                })
            });
        let (densities, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryHexDensitiesResponse {
            densities,
            pagination: Some(page),
        })
    }
}
