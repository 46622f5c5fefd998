//! cosmos.auth.v1beta1.Query, one function per method (ABCI Query and gRPC alike).

use cosmrs::proto::cosmos::auth::v1beta1::*;
use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::{page_start, paginate};
use prost::Message;

use crate::error::AuthError;
use crate::state::{ACCOUNTS, PREFIX};
use crate::AuthModule;

pub const SERVICE: &str = "cosmos.auth.v1beta1.Query";

/// cosmjs recognises a missing account by the gRPC wording the Cosmos SDK uses.
fn not_found(address: &str) -> AppError {
    AppError::sdk(
        sdk::KEY_NOT_FOUND,
        format!("rpc error: code = NotFound desc = account {address} not found: key not found"),
    )
}

impl AuthModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        let k = &self.keeper;
        Ok(match method {
            "Account" => {
                let r: QueryAccountRequest = decode_query(path, req)?;
                let address = k.codec().decode(&r.address)?;
                let account = k
                    .account(ctx, &address)?
                    .ok_or_else(|| not_found(&r.address))?;
                QueryAccountResponse {
                    account: Some(k.to_any(&address, &account)),
                }
                .encode_to_vec()
            }
            "AccountInfo" => {
                let r: QueryAccountInfoRequest = decode_query(path, req)?;
                let address = k.codec().decode(&r.address)?;
                let account = k
                    .account(ctx, &address)?
                    .ok_or_else(|| not_found(&r.address))?;
                let any = k.to_any(&address, &account);
                let base = if account.module.is_some() {
                    ModuleAccount::decode(any.value.as_slice())
                        .ok()
                        .and_then(|m| m.base_account)
                } else {
                    BaseAccount::decode(any.value.as_slice()).ok()
                };
                QueryAccountInfoResponse { info: base }.encode_to_vec()
            }
            "Accounts" => {
                let r: QueryAccountsRequest = decode_query(path, req)?;
                let store = ctx.storage(PREFIX);
                let items = ACCOUNTS
                    .range(
                        &store,
                        page_start(r.pagination.as_ref()),
                        None,
                        Order::Ascending,
                    )
                    .map(|e| {
                        e.map(|(address, account)| {
                            let any = k.to_any(&address, &account);
                            (address, any)
                        })
                        .map_err(AppError::from)
                    });
                let (accounts, page) = paginate(items, r.pagination.as_ref())?;
                QueryAccountsResponse {
                    accounts,
                    pagination: Some(page),
                }
                .encode_to_vec()
            }
            "Params" => QueryParamsResponse {
                params: Some(k.params(ctx)?.to_proto()),
            }
            .encode_to_vec(),
            "ModuleAccounts" => {
                let mut accounts = Vec::new();
                for spec in k.module_accounts() {
                    let address = spec.address();
                    if let Some(a) = k.account(ctx, &address)? {
                        accounts.push(k.to_any(&address, &a));
                    }
                }
                QueryModuleAccountsResponse { accounts }.encode_to_vec()
            }
            "ModuleAccountByName" => {
                let r: QueryModuleAccountByNameRequest = decode_query(path, req)?;
                let spec = k
                    .module_accounts()
                    .iter()
                    .find(|m| m.name == r.name)
                    .ok_or_else(|| {
                        AppError::from(AuthError::UnknownModuleAccount(r.name.clone()))
                    })?;
                let address = spec.address();
                let a = k.account(ctx, &address)?.ok_or_else(|| {
                    AppError::from(AuthError::UnknownModuleAccount(r.name.clone()))
                })?;
                QueryModuleAccountByNameResponse {
                    account: Some(k.to_any(&address, &a)),
                }
                .encode_to_vec()
            }
            "Bech32Prefix" => Bech32PrefixResponse {
                bech32_prefix: k.codec().prefix().to_string(),
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
}
