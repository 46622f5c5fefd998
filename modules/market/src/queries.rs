//! depin.market.v1.Query, one function per method.
//! The same functions answer ABCI Query and gRPC. Lists are paginated with the raw store key
//! of the next item as `next_key`. Leases and escrow accounts are shown settled up to the
//! queried height, computed without writing.

use cosmwasm_std::{Order as SortOrder, StdResult};
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use depin_proto::depin::market::v1::*;
use prost::Message;

use crate::error::MarketError;
use crate::state::{bids, deals, leases, orders, AUDITED, AUDITORS, PREFIX, PROVIDERS, USAGE};
use crate::types::{deal_escrow_id, deal_state_name, order_of_escrow, Attribute};
use crate::MarketModule;

/// The rows a list query reads, from the page's start in key order: those of the first source
/// whose filter is set (an index prefix, the most selective first), else the whole map.
macro_rules! rows_from {
    ($store:expr, $page:expr; $($set:expr => $source:expr,)* else $all:expr) => {{
        let rows: Box<dyn Iterator<Item = AppResult<(Vec<u8>, _)>>> = $(
            if $set {
                Box::new(
                    $source
                        .range_raw($store, page_start($page), None, SortOrder::Ascending)
                        .map(|r| r.map_err(AppError::from)),
                )
            } else
        )* {
            Box::new(
                $all.range_raw($store, page_start($page), None, SortOrder::Ascending)
                    .map(|r| r.map_err(AppError::from)),
            )
        };
        rows
    }};
}

pub const SERVICE: &str = "depin.market.v1.Query";

fn bad(msg: impl Into<String>) -> AppError {
    MarketError::InvalidRequest(msg.into()).into()
}

impl MarketModule {
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
            "Provider" => self
                .q_provider(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Providers" => self
                .q_providers(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Auditors" => self
                .q_auditors(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "AuditedAttributes" => self
                .q_audited(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Order" => self.q_order(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Orders" => self
                .q_orders(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Bids" => self.q_bids(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Lease" => self.q_lease(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Leases" => self
                .q_leases(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "EscrowAccount" => self
                .q_escrow(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Usage" => self.q_usage(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Deal" => self.q_deal(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Deals" => self.q_deals(ctx, decode_query(path, req)?)?.encode_to_vec(),
            "Challenges" => self
                .q_challenges(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn q_provider(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryProviderRequest,
    ) -> AppResult<QueryProviderResponse> {
        let p = self
            .keeper
            .provider(ctx, &req.owner)?
            .ok_or_else(|| MarketError::NotFound(format!("provider {}", req.owner)))?;
        Ok(QueryProviderResponse {
            provider: Some(p.to_proto()),
        })
    }

    fn q_providers(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryProvidersRequest,
    ) -> AppResult<QueryProvidersResponse> {
        if req.attribute_key.is_empty() && !req.attribute_value.is_empty() {
            return Err(bad("attribute_value needs attribute_key"));
        }
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let keep = |p: &crate::types::Provider| {
            let attr_ok = req.attribute_key.is_empty()
                || p.attributes.iter().any(|a| {
                    a.key == req.attribute_key
                        && (req.attribute_value.is_empty() || a.value == req.attribute_value)
                });
            let rep = &p.reputation;
            let rate_ok = req.max_failure_rate_bps == 0
                || rep.failure_rate_bps() <= u128::from(req.max_failure_rate_bps);
            attr_ok && rep.proofs_passed >= req.min_proofs_passed && rate_ok
        };
        let items = PROVIDERS
            .range_raw(&store, page_start::<&str>(page), None, SortOrder::Ascending)
            .filter(|r| r.as_ref().map_or(true, |(_, p)| keep(p)))
            .map(|r| r.map(|(k, p)| (k, p.to_proto())).map_err(AppError::from));
        let (providers, pagination) = paginate(items, page)?;
        Ok(QueryProvidersResponse {
            providers,
            pagination: Some(pagination),
        })
    }

    fn q_auditors(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryAuditorsRequest,
    ) -> AppResult<QueryAuditorsResponse> {
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let items = AUDITORS
            .range_raw(&store, page_start::<&str>(page), None, SortOrder::Ascending)
            .map(|r| r.map(|(k, a)| (k, a.to_proto())).map_err(AppError::from));
        let (auditors, pagination) = paginate(items, page)?;
        Ok(QueryAuditorsResponse {
            auditors,
            pagination: Some(pagination),
        })
    }

    /// Signatures of registered auditors only (a removed auditor's are being deleted).
    fn q_audited(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryAuditedAttributesRequest,
    ) -> AppResult<QueryAuditedAttributesResponse> {
        if req.provider.is_empty() {
            return Err(bad("provider is empty"));
        }
        let signed: Vec<(String, Vec<Attribute>)> = {
            let store = ctx.storage(PREFIX);
            AUDITED
                .prefix(&req.provider)
                .range(&store, None, None, SortOrder::Ascending)
                .collect::<StdResult<_>>()?
        };
        let mut attributes = Vec::new();
        for (auditor, attrs) in signed {
            if self.keeper.is_auditor(ctx, &auditor)? {
                attributes.push(
                    crate::types::AuditedAttributes {
                        provider: req.provider.clone(),
                        auditor,
                        attributes: attrs,
                    }
                    .to_proto(),
                );
            }
        }
        Ok(QueryAuditedAttributesResponse { attributes })
    }

    fn q_order(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryOrderRequest,
    ) -> AppResult<QueryOrderResponse> {
        let o = self
            .keeper
            .order(ctx, req.order_id)?
            .ok_or_else(|| MarketError::NotFound(format!("order {}", req.order_id)))?;
        Ok(QueryOrderResponse {
            order: Some(o.to_proto()),
        })
    }

    fn q_orders(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryOrdersRequest,
    ) -> AppResult<QueryOrdersResponse> {
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let map = orders();
        let state = req.state;
        let items = rows_from!(&store, page;
            !req.tenant.is_empty() => map.idx.tenant.prefix(req.tenant.clone()),
            state != 0 => map.idx.state.prefix(state),
            else map);
        let items = items
            .filter(|r| {
                r.as_ref()
                    .map_or(true, |(_, o)| state == 0 || o.state == state)
            })
            .map(|r| r.map(|(k, o)| (k, o.to_proto())));
        let (orders, pagination) = paginate(items, page)?;
        Ok(QueryOrdersResponse {
            orders,
            pagination: Some(pagination),
        })
    }

    fn q_bids(&self, ctx: &mut Ctx<'_, '_>, req: QueryBidsRequest) -> AppResult<QueryBidsResponse> {
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let map = bids();
        let items = rows_from!(&store, page;
            req.order_id != 0 => map.prefix(req.order_id),
            !req.provider.is_empty() => map.idx.provider.prefix(req.provider.clone()),
            req.state != 0 => map.idx.state.prefix(req.state),
            else map);
        let items = items
            .filter(|r| {
                r.as_ref().map_or(true, |(_, b)| {
                    (req.provider.is_empty() || b.provider == req.provider)
                        && (req.state == 0 || b.state == req.state)
                })
            })
            .map(|r| r.map(|(k, b)| (k, b.to_proto())));
        let (bids, pagination) = paginate(items, page)?;
        Ok(QueryBidsResponse {
            bids,
            pagination: Some(pagination),
        })
    }

    fn q_lease(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryLeaseRequest,
    ) -> AppResult<QueryLeaseResponse> {
        let (lease, escrow) = self
            .keeper
            .settled_view(ctx, req.order_id)?
            .ok_or_else(|| MarketError::NotFound(format!("lease of order {}", req.order_id)))?;
        Ok(QueryLeaseResponse {
            lease: Some(lease.to_proto()),
            escrow: Some(escrow.to_proto()),
        })
    }

    /// Leases as stored (settled when last touched); the Lease query shows one settled now.
    fn q_leases(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryLeasesRequest,
    ) -> AppResult<QueryLeasesResponse> {
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let map = leases();
        let items = rows_from!(&store, page;
            !req.tenant.is_empty() => map.idx.tenant.prefix(req.tenant.clone()),
            !req.provider.is_empty() => map.idx.provider.prefix(req.provider.clone()),
            req.state != 0 => map.idx.state.prefix(req.state),
            else map);
        let items = items
            .filter(|r| {
                r.as_ref().map_or(true, |(_, l)| {
                    (req.provider.is_empty() || l.provider == req.provider)
                        && (req.state == 0 || l.state == req.state)
                })
            })
            .map(|r| r.map(|(k, l)| (k, l.to_proto())));
        let (leases, pagination) = paginate(items, page)?;
        Ok(QueryLeasesResponse {
            leases,
            pagination: Some(pagination),
        })
    }

    fn q_escrow(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryEscrowAccountRequest,
    ) -> AppResult<QueryEscrowAccountResponse> {
        let not_found = || MarketError::NotFound(format!("escrow account {:?}", req.id));
        let stored = self.keeper.escrow(ctx, &req.id)?.ok_or_else(not_found)?;
        let account = match order_of_escrow(&req.id) {
            Some(id) => match self.keeper.settled_view(ctx, id)? {
                Some((_, e)) => e,
                None => stored,
            },
            None => stored,
        };
        Ok(QueryEscrowAccountResponse {
            account: Some(account.to_proto()),
        })
    }

    fn q_usage(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryUsageRequest,
    ) -> AppResult<QueryUsageResponse> {
        if !req.provider.is_empty() {
            let u = USAGE.may_load(&ctx.storage(PREFIX), (req.epoch, &req.provider))?;
            return Ok(QueryUsageResponse {
                usage: u.into_iter().map(|u| u.to_proto()).collect(),
                pagination: None,
            });
        }
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let items = USAGE
            .prefix(req.epoch)
            .range_raw(&store, page_start(page), None, SortOrder::Ascending)
            .map(|r| r.map(|(k, u)| (k, u.to_proto())).map_err(AppError::from));
        let (usage, pagination) = paginate(items, page)?;
        Ok(QueryUsageResponse {
            usage,
            pagination: Some(pagination),
        })
    }

    fn q_deal(&self, ctx: &mut Ctx<'_, '_>, req: QueryDealRequest) -> AppResult<QueryDealResponse> {
        let d = self
            .keeper
            .deal(ctx, req.deal_id)?
            .ok_or_else(|| MarketError::NotFound(format!("deal {}", req.deal_id)))?;
        let escrow = self.keeper.escrow(ctx, &deal_escrow_id(d.id))?;
        Ok(QueryDealResponse {
            deal: Some(d.to_proto()),
            escrow: escrow.map(|e| e.to_proto()),
        })
    }

    fn q_deals(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDealsRequest,
    ) -> AppResult<QueryDealsResponse> {
        let page = req.pagination.as_ref();
        let store = ctx.storage(PREFIX);
        let map = deals();
        let items = rows_from!(&store, page;
            !req.client.is_empty() => map.idx.client.prefix(req.client.clone()),
            !req.provider.is_empty() => map.idx.provider.prefix(req.provider.clone()),
            req.state != 0 => map.idx.state.prefix(req.state),
            else map);
        let items = items
            .filter(|r| {
                r.as_ref().map_or(true, |(_, d)| {
                    (req.provider.is_empty() || d.provider == req.provider)
                        && (req.state == 0 || d.state == req.state)
                })
            })
            .map(|r| r.map(|(k, d)| (k, d.to_proto())));
        let (deals, pagination) = paginate(items, page)?;
        Ok(QueryDealsResponse {
            deals,
            pagination: Some(pagination),
        })
    }

    /// The current period's challenges of an ACCEPTED or ACTIVE deal.
    fn q_challenges(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryChallengesRequest,
    ) -> AppResult<QueryChallengesResponse> {
        let params = self.keeper.params(ctx)?;
        let d = self
            .keeper
            .deal(ctx, req.deal_id)?
            .ok_or_else(|| MarketError::NotFound(format!("deal {}", req.deal_id)))?;
        if !d.locks_collateral() {
            return Err(MarketError::DealWrongState {
                deal: d.id,
                state: deal_state_name(d.state).to_string(),
                need: "only ACCEPTED and ACTIVE deals are challenged",
            }
            .into());
        }
        Ok(QueryChallengesResponse {
            period: d.period,
            indices: self.keeper.challenges(&params, &d)?,
            due_height: d.deadline,
            seed: d.challenge_seed.clone(),
        })
    }
}
