//! What other modules may call (accounts, module accounts), and what auth needs from the bank.

use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount};
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::Any;
use cosmwasm_std::Binary;
use depin_app::address::AddressCodec;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::ModuleAccountSpec;
use prost::Message;

use crate::error::AuthError;
use crate::params::Params;
use crate::state::{Account, ModuleInfo, ACCOUNTS, NEXT_ACCOUNT_NUMBER, PARAMS, PREFIX};

/// The module account transaction fees are paid into.
pub const FEE_COLLECTOR: &str = "fee_collector";

/// What the ante step needs from the bank: moving the fee from the payer to the fee collector.
pub trait FeeBank: Send + Sync + 'static {
    fn deduct_fee(&self, ctx: &mut Ctx<'_, '_>, payer: &[u8], fee: &[Coin]) -> AppResult<()>;

    /// In a simulation without a fee: do (on the simulation's discarded branch) what paying a
    /// fee costs in gas, so the estimate covers the signed transaction.
    fn simulate_fee(&self, ctx: &mut Ctx<'_, '_>, payer: &[u8]) -> AppResult<()> {
        let _ = (ctx, payer);
        Ok(())
    }
}

#[derive(Clone)]
pub struct AuthKeeper {
    codec: AddressCodec,
    module_accounts: Arc<Vec<ModuleAccountSpec>>,
}

impl AuthKeeper {
    pub fn new(codec: AddressCodec, module_accounts: &[ModuleAccountSpec]) -> Self {
        AuthKeeper {
            codec,
            module_accounts: Arc::new(module_accounts.to_vec()),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn module_accounts(&self) -> &[ModuleAccountSpec] {
        &self.module_accounts
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn account(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Option<Account>> {
        Ok(ACCOUNTS.may_load(&ctx.storage(PREFIX), address)?)
    }

    pub fn set_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        address: &[u8],
        account: &Account,
    ) -> AppResult<()> {
        ACCOUNTS.save(&mut ctx.storage(PREFIX), address, account)?;
        Ok(())
    }

    fn next_account_number(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        let mut store = ctx.storage(PREFIX);
        let n = NEXT_ACCOUNT_NUMBER.may_load(&store)?.unwrap_or(0);
        let next = n
            .checked_add(1)
            .ok_or_else(|| AuthError::InvalidGenesis("account numbers exhausted".into()))?;
        NEXT_ACCOUNT_NUMBER.save(&mut store, &next)?;
        Ok(n)
    }

    /// The account at `address`, created with the next account number if there is none.
    pub fn ensure_account(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Account> {
        if let Some(a) = self.account(ctx, address)? {
            return Ok(a);
        }
        let account = Account {
            account_number: self.next_account_number(ctx)?,
            sequence: 0,
            pub_key: None,
            module: None,
        };
        self.set_account(ctx, address, &account)?;
        Ok(account)
    }

    /// Creates the module account of `spec` if it does not exist yet.
    pub fn ensure_module_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        spec: &ModuleAccountSpec,
    ) -> AppResult<()> {
        let address = spec.address();
        let mut account = self.ensure_account(ctx, &address)?;
        let info = ModuleInfo {
            name: spec.name.clone(),
            permissions: spec.permissions.clone(),
        };
        if account.module.as_ref() != Some(&info) {
            account.module = Some(info);
            self.set_account(ctx, &address, &account)?;
        }
        Ok(())
    }

    /// The account as wallets expect it: a `BaseAccount` (or `ModuleAccount`) in an `Any`.
    pub fn to_any(&self, address: &[u8], account: &Account) -> Any {
        let base = BaseAccount {
            address: self.codec.encode(address),
            pub_key: account.pub_key.as_ref().map(|k| Any {
                type_url: depin_app::tx::SECP256K1_PUBKEY_TYPE_URL.to_string(),
                value: PubKey { key: k.to_vec() }.encode_to_vec(),
            }),
            account_number: account.account_number,
            sequence: account.sequence,
        };
        match &account.module {
            None => Any {
                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                value: base.encode_to_vec(),
            },
            Some(m) => Any {
                type_url: "/cosmos.auth.v1beta1.ModuleAccount".into(),
                value: ModuleAccount {
                    base_account: Some(base),
                    name: m.name.clone(),
                    permissions: m.permissions.clone(),
                }
                .encode_to_vec(),
            },
        }
    }
}

pub(crate) fn key_bytes(key: &[u8; 33]) -> Binary {
    Binary::from(key.to_vec())
}
