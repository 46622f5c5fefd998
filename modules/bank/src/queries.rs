//! cosmos.bank.v1beta1.Query, one function per method. The same functions answer ABCI Query
//! and gRPC.

use cosmrs::proto::cosmos::bank::v1beta1::*;
use cosmwasm_std::Order;
use cw_storage_plus::Bound;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use prost::Message;

use crate::error::BankError;
use crate::state::{BALANCES, DENOM_METADATA, PREFIX, SUPPLY};
use crate::BankModule;

pub const SERVICE: &str = "cosmos.bank.v1beta1.Query";

impl BankModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        Ok(match method {
            "Balance" => self
                .q_balance(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "AllBalances" => self
                .q_all_balances(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "SpendableBalances" => self
                .q_spendable(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "TotalSupply" => self
                .q_total_supply(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "SupplyOf" => self
                .q_supply_of(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Params" => QueryParamsResponse {
                params: Some(self.keeper.params(ctx)?.to_proto()),
            }
            .encode_to_vec(),
            "DenomMetadata" => self
                .q_denom_metadata(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "DenomsMetadata" => self
                .q_denoms_metadata(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn q_balance(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryBalanceRequest,
    ) -> AppResult<QueryBalanceResponse> {
        let address = self.keeper.codec().decode(&req.address)?;
        depin_app::coins::validate_denom(&req.denom)?;
        let amount = self.keeper.balance(ctx, &address, &req.denom)?;
        Ok(QueryBalanceResponse {
            balance: Some(
                Coin {
                    denom: req.denom,
                    amount,
                }
                .to_proto(),
            ),
        })
    }

    fn balances_page(
        &self,
        ctx: &mut Ctx<'_, '_>,
        address: &str,
        pagination: Option<&cosmrs::proto::cosmos::base::query::v1beta1::PageRequest>,
    ) -> AppResult<(
        Vec<cosmrs::proto::cosmos::base::v1beta1::Coin>,
        cosmrs::proto::cosmos::base::query::v1beta1::PageResponse,
    )> {
        let address = self.keeper.codec().decode(address)?;
        let start = pagination
            .filter(|p| !p.key.is_empty())
            .map(|p| String::from_utf8_lossy(&p.key).into_owned());
        let reverse = pagination.is_some_and(|p| p.reverse);
        let store = ctx.storage(PREFIX);
        let order = if reverse {
            Order::Descending
        } else {
            Order::Ascending
        };
        let (min, max) = match (&start, reverse) {
            (Some(s), false) => (Some(Bound::inclusive(s.as_str())), None),
            (Some(s), true) => (None, Some(Bound::inclusive(s.as_str()))),
            (None, _) => (None, None),
        };
        let items = BALANCES
            .prefix(&address)
            .range(&store, min, max, order)
            .map(|r| {
                r.map(|(denom, amount)| {
                    (
                        denom.clone().into_bytes(),
                        Coin { denom, amount }.to_proto(),
                    )
                })
                .map_err(AppError::from)
            });
        paginate(items, pagination)
    }

    fn q_all_balances(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryAllBalancesRequest,
    ) -> AppResult<QueryAllBalancesResponse> {
        let (balances, page) = self.balances_page(ctx, &req.address, req.pagination.as_ref())?;
        Ok(QueryAllBalancesResponse {
            balances,
            pagination: Some(page),
        })
    }

    /// Nothing is locked or vesting on this chain, so every balance is spendable.
    fn q_spendable(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QuerySpendableBalancesRequest,
    ) -> AppResult<QuerySpendableBalancesResponse> {
        let (balances, page) = self.balances_page(ctx, &req.address, req.pagination.as_ref())?;
        Ok(QuerySpendableBalancesResponse {
            balances,
            pagination: Some(page),
        })
    }

    fn q_total_supply(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryTotalSupplyRequest,
    ) -> AppResult<QueryTotalSupplyResponse> {
        let store = ctx.storage(PREFIX);
        let items = SUPPLY
            .range(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                r.map(|(denom, amount)| {
                    (
                        denom.clone().into_bytes(),
                        Coin { denom, amount }.to_proto(),
                    )
                })
                .map_err(AppError::from)
            });
        let (supply, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryTotalSupplyResponse {
            supply,
            pagination: Some(page),
        })
    }

    fn q_supply_of(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QuerySupplyOfRequest,
    ) -> AppResult<QuerySupplyOfResponse> {
        depin_app::coins::validate_denom(&req.denom)?;
        let amount = self.keeper.supply_of(ctx, &req.denom)?;
        Ok(QuerySupplyOfResponse {
            amount: Some(
                Coin {
                    denom: req.denom,
                    amount,
                }
                .to_proto(),
            ),
        })
    }

    fn q_denom_metadata(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDenomMetadataRequest,
    ) -> AppResult<QueryDenomMetadataResponse> {
        let meta = DENOM_METADATA
            .may_load(&ctx.storage(PREFIX), &req.denom)?
            .ok_or_else(|| AppError::from(BankError::DenomMetadataNotFound(req.denom.clone())))?;
        Ok(QueryDenomMetadataResponse {
            metadata: Some(meta.to_proto()),
        })
    }

    fn q_denoms_metadata(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryDenomsMetadataRequest,
    ) -> AppResult<QueryDenomsMetadataResponse> {
        let store = ctx.storage(PREFIX);
        let items = DENOM_METADATA
            .range(
                &store,
                page_start(req.pagination.as_ref()),
                None,
                Order::Ascending,
            )
            .map(|r| {
                r.map(|(denom, m)| (denom.into_bytes(), m.to_proto()))
                    .map_err(AppError::from)
            });
        let (metadatas, page) = paginate(items, req.pagination.as_ref())?;
        Ok(QueryDenomsMetadataResponse {
            metadatas,
            pagination: Some(page),
        })
    }
}
