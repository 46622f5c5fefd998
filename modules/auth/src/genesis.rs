//! Genesis in the Cosmos SDK's JSON shape (`app_state.auth`): params and a list of accounts,
//! each `{"@type": "/cosmos.auth.v1beta1.BaseAccount", ...}`.

use base64::Engine;
use cosmwasm_std::{Binary, Order};
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::params::Params;
use crate::state::{Account, ModuleInfo, ACCOUNTS, NEXT_ACCOUNT_NUMBER, PARAMS, PREFIX};
use crate::AuthModule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    pub params: Params,
    pub accounts: Vec<GenesisAccount>,
}

/// An account in genesis, tagged by its protobuf type as the Cosmos SDK writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type")]
pub enum GenesisAccount {
    #[serde(rename = "/cosmos.auth.v1beta1.BaseAccount")]
    Base(BaseAccountJson),
    #[serde(rename = "/cosmos.auth.v1beta1.ModuleAccount")]
    Module {
        base_account: BaseAccountJson,
        name: String,
        #[serde(default)]
        permissions: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseAccountJson {
    pub address: String,
    #[serde(default)]
    pub pub_key: Option<GenesisPubKey>,
    #[serde(with = "depin_app::json::u64_string")]
    pub account_number: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub sequence: u64,
}

impl GenesisAccount {
    pub fn base(address: &str, account_number: u64) -> Self {
        GenesisAccount::Base(BaseAccountJson {
            address: address.to_string(),
            pub_key: None,
            account_number,
            sequence: 0,
        })
    }

    pub fn base_account(&self) -> &BaseAccountJson {
        match self {
            GenesisAccount::Base(b) => b,
            GenesisAccount::Module { base_account, .. } => base_account,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisPubKey {
    #[serde(rename = "@type")]
    pub type_url: String,
    /// base64 of the compressed secp256k1 key.
    pub key: String,
}

fn invalid(msg: String) -> AppError {
    AuthError::InvalidGenesis(msg).into()
}

impl AuthModule {
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        genesis
            .params
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        PARAMS.save(&mut ctx.storage(PREFIX), &genesis.params)?;
        let mut next = 0u64;
        let mut numbers = std::collections::BTreeSet::new();
        for entry in &genesis.accounts {
            let a = entry.base_account();
            let address = self
                .keeper
                .codec()
                .decode(&a.address)
                .map_err(|e| invalid(e.message))?;
            if self.keeper.account(ctx, &address)?.is_some() {
                return Err(invalid(format!("account {} is listed twice", a.address)));
            }
            if !numbers.insert(a.account_number) {
                return Err(invalid(format!(
                    "account number {} is used twice",
                    a.account_number
                )));
            }
            let pub_key = match &a.pub_key {
                None => None,
                Some(k) if k.type_url == depin_app::tx::SECP256K1_PUBKEY_TYPE_URL => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(&k.key)
                        .map_err(|e| invalid(format!("pub_key of {}: {e}", a.address)))?;
                    let key: [u8; 33] = bytes.as_slice().try_into().map_err(|_| {
                        invalid(format!("pub_key of {} is not 33 bytes", a.address))
                    })?;
                    let derived = depin_app::tx::address(&key, self.keeper.codec().prefix())?;
                    if derived != a.address {
                        return Err(invalid(format!(
                            "pub_key of {} belongs to {derived}",
                            a.address
                        )));
                    }
                    Some(Binary::from(bytes))
                }
                Some(k) => return Err(invalid(format!("unsupported key type {}", k.type_url))),
            };
            let account = Account {
                account_number: a.account_number,
                sequence: a.sequence,
                pub_key,
                module: match entry {
                    GenesisAccount::Base(_) => None,
                    GenesisAccount::Module {
                        name, permissions, ..
                    } => Some(ModuleInfo {
                        name: name.clone(),
                        permissions: permissions.clone(),
                    }),
                },
            };
            self.keeper.set_account(ctx, &address, &account)?;
            next = next.max(a.account_number.saturating_add(1));
        }
        NEXT_ACCOUNT_NUMBER.save(&mut ctx.storage(PREFIX), &next)?;
        for spec in self.keeper.module_accounts() {
            self.keeper.ensure_module_account(ctx, spec)?;
        }
        Ok(())
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let store = ctx.storage(PREFIX);
        let params = PARAMS.may_load(&store)?.unwrap_or_default();
        let mut accounts = Vec::new();
        for r in ACCOUNTS.range(&store, None, None, Order::Ascending) {
            let (address, a) = r?;
            let base = BaseAccountJson {
                address: self.keeper.codec().encode(&address),
                pub_key: a.pub_key.as_ref().map(|k| GenesisPubKey {
                    type_url: depin_app::tx::SECP256K1_PUBKEY_TYPE_URL.into(),
                    key: base64::engine::general_purpose::STANDARD.encode(k.as_slice()),
                }),
                account_number: a.account_number,
                sequence: a.sequence,
            };
            // Module accounts are exported too, so their account numbers survive a restart
            // from the export and the app hash is reproduced.
            accounts.push(match a.module {
                None => GenesisAccount::Base(base),
                Some(m) => GenesisAccount::Module {
                    base_account: base,
                    name: m.name,
                    permissions: m.permissions,
                },
            });
        }
        Ok(GenesisState { params, accounts })
    }
}
