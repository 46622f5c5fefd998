//! What other modules may call (send, escrow to a module, mint, burn, balances), and what the
//! bank needs from the account module.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cosmwasm_std::{Order, Uint128};
use depin_app::address::AddressCodec;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER};

use crate::error::BankError;
use crate::events;
use crate::params::Params;
use crate::state::{BALANCES, BURNED, MINTED, PARAMS, PREFIX, SUPPLY};

/// What the bank needs from the account module: an address that receives funds gets an
/// account, as in the Cosmos SDK, so wallets can look up its account number.
pub trait Accounts: Send + Sync + 'static {
    fn ensure_account(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<()>;
}

impl Accounts for depin_auth::AuthKeeper {
    fn ensure_account(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<()> {
        depin_auth::AuthKeeper::ensure_account(self, ctx, address).map(|_| ())
    }
}

#[derive(Clone)]
pub struct BankKeeper {
    codec: AddressCodec,
    accounts: Arc<dyn Accounts>,
    module_accounts: Arc<BTreeMap<String, ModuleAccountSpec>>,
    /// Addresses MsgSend may not pay (module accounts): funds sent there would be stuck or
    /// would corrupt a module's accounting.
    blocked: Arc<BTreeSet<Vec<u8>>>,
}

impl BankKeeper {
    pub fn new(
        codec: AddressCodec,
        accounts: impl Accounts,
        module_accounts: &[ModuleAccountSpec],
    ) -> Self {
        let blocked = module_accounts.iter().map(|m| m.address()).collect();
        BankKeeper {
            codec,
            accounts: Arc::new(accounts),
            module_accounts: Arc::new(
                module_accounts
                    .iter()
                    .map(|m| (m.name.clone(), m.clone()))
                    .collect(),
            ),
            blocked: Arc::new(blocked),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn is_blocked(&self, address: &[u8]) -> bool {
        self.blocked.contains(address)
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn balance(
        &self,
        ctx: &mut Ctx<'_, '_>,
        address: &[u8],
        denom: &str,
    ) -> AppResult<Uint128> {
        Ok(BALANCES
            .may_load(&ctx.storage(PREFIX), (address, denom))?
            .unwrap_or_default())
    }

    pub fn all_balances(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Vec<Coin>> {
        let store = ctx.storage(PREFIX);
        BALANCES
            .prefix(address)
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|(denom, amount)| Coin { denom, amount })
                    .map_err(AppError::from)
            })
            .collect()
    }

    pub fn supply_of(&self, ctx: &mut Ctx<'_, '_>, denom: &str) -> AppResult<Uint128> {
        Ok(SUPPLY
            .may_load(&ctx.storage(PREFIX), denom)?
            .unwrap_or_default())
    }

    fn sub_balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], coin: &Coin) -> AppResult<()> {
        let have = self.balance(ctx, address, &coin.denom)?;
        let left = have
            .checked_sub(coin.amount)
            .map_err(|_| BankError::InsufficientFunds {
                have: format!("{have}{}", coin.denom),
                need: coin.to_string(),
            })?;
        let mut store = ctx.storage(PREFIX);
        if left.is_zero() {
            BALANCES.remove(&mut store, (address, &coin.denom));
        } else {
            BALANCES.save(&mut store, (address, &coin.denom), &left)?;
        }
        Ok(())
    }

    fn add_balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], coin: &Coin) -> AppResult<()> {
        let have = self.balance(ctx, address, &coin.denom)?;
        let new = have
            .checked_add(coin.amount)
            .map_err(|_| BankError::Overflow(format!("balance of {} overflows", coin.denom)))?;
        BALANCES.save(&mut ctx.storage(PREFIX), (address, &coin.denom), &new)?;
        Ok(())
    }

    /// Takes `amount` from `from` (failing with insufficient funds, nothing written).
    pub(crate) fn subtract(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        for coin in amount {
            self.sub_balance(ctx, from, coin)?;
        }
        let spender = self.codec.encode(from);
        ctx.emit(events::coin_spent(&spender, amount));
        Ok(())
    }

    /// Gives `amount` to `to`, creating its account if it has none.
    pub(crate) fn add(&self, ctx: &mut Ctx<'_, '_>, to: &[u8], amount: &[Coin]) -> AppResult<()> {
        for coin in amount {
            self.add_balance(ctx, to, coin)?;
        }
        self.accounts.ensure_account(ctx, to)?;
        let receiver = self.codec.encode(to);
        ctx.emit(events::coin_received(&receiver, amount));
        Ok(())
    }

    /// Moves `amount` from `from` to `to`. Callers that take user input check
    /// [`BankKeeper::is_blocked`] first; modules may pay each other freely.
    pub fn send(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        coins::validate(amount)?;
        ctx.atomic(|ctx| {
            self.subtract(ctx, from, amount)?;
            self.add(ctx, to, amount)?;
            let (s, r) = (self.codec.encode(from), self.codec.encode(to));
            ctx.emit(events::transfer(&s, &r, amount));
            Ok(())
        })
    }

    pub fn module_account(&self, name: &str) -> AppResult<&ModuleAccountSpec> {
        self.module_accounts
            .get(name)
            .ok_or_else(|| BankError::UnknownModuleAccount(name.to_string()).into())
    }

    /// Escrow: moves `amount` from an account into module `module`'s account.
    pub fn send_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        let to = self.module_account(module)?.address();
        self.send(ctx, from, &to, amount)
    }

    /// Pays `amount` out of module `module`'s account.
    pub fn send_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        let from = self.module_account(module)?.address();
        self.send(ctx, &from, to, amount)
    }

    fn require(&self, module: &str, permission: &str) -> AppResult<Vec<u8>> {
        let spec = self.module_account(module)?;
        if !spec.has(permission) {
            return Err(BankError::NoPermission {
                module: module.to_string(),
                permission: permission.to_string(),
            }
            .into());
        }
        Ok(spec.address())
    }

    /// Everything minted of `denom` since the chain's first genesis.
    pub fn minted(&self, ctx: &mut Ctx<'_, '_>, denom: &str) -> AppResult<Uint128> {
        Ok(MINTED
            .may_load(&ctx.storage(PREFIX), denom)?
            .unwrap_or_default())
    }

    /// Everything burned of `denom` since the chain's first genesis.
    pub fn burned(&self, ctx: &mut Ctx<'_, '_>, denom: &str) -> AppResult<Uint128> {
        Ok(BURNED
            .may_load(&ctx.storage(PREFIX), denom)?
            .unwrap_or_default())
    }

    /// Adds `amount` to a minted or burned total (saturating: a counter, never a balance).
    fn count(
        &self,
        ctx: &mut Ctx<'_, '_>,
        totals: cw_storage_plus::Map<&str, Uint128>,
        denom: &str,
        amount: Uint128,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        let total = totals.may_load(&store, denom)?.unwrap_or_default();
        totals.save(&mut store, denom, &total.saturating_add(amount))?;
        Ok(())
    }

    /// Creates `amount` in module `module`'s account (it needs the minter permission).
    pub fn mint(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        coins::validate(amount)?;
        let address = self.require(module, MINTER)?;
        ctx.atomic(|ctx| {
            self.add(ctx, &address, amount)?;
            for coin in amount {
                let supply = self.supply_of(ctx, &coin.denom)?;
                let new = supply.checked_add(coin.amount).map_err(|_| {
                    BankError::Overflow(format!("supply of {} overflows", coin.denom))
                })?;
                SUPPLY.save(&mut ctx.storage(PREFIX), &coin.denom, &new)?;
                self.count(ctx, MINTED, &coin.denom, coin.amount)?;
            }
            let minter = self.codec.encode(&address);
            ctx.emit(events::mint(&minter, amount));
            Ok(())
        })
    }

    /// Destroys `amount` from module `module`'s account (it needs the burner permission).
    pub fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        coins::validate(amount)?;
        let address = self.require(module, BURNER)?;
        ctx.atomic(|ctx| {
            self.subtract(ctx, &address, amount)?;
            for coin in amount {
                let supply = self.supply_of(ctx, &coin.denom)?;
                // Supply covers every balance, so this only fails on corrupt state.
                let new = supply.checked_sub(coin.amount).map_err(|_| {
                    BankError::Overflow(format!("supply of {} underflows", coin.denom))
                })?;
                let mut store = ctx.storage(PREFIX);
                if new.is_zero() {
                    SUPPLY.remove(&mut store, &coin.denom);
                } else {
                    SUPPLY.save(&mut store, &coin.denom, &new)?;
                }
                drop(store);
                self.count(ctx, BURNED, &coin.denom, coin.amount)?;
            }
            let burner = self.codec.encode(&address);
            ctx.emit(events::burn(&burner, amount));
            Ok(())
        })
    }
}

/// The ante step pays fees through the bank into the fee collector.
impl depin_auth::FeeBank for BankKeeper {
    fn deduct_fee(&self, ctx: &mut Ctx<'_, '_>, payer: &[u8], fee: &[Coin]) -> AppResult<()> {
        if fee.is_empty() {
            return Ok(());
        }
        self.send_to_module(ctx, payer, depin_auth::FEE_COLLECTOR, fee)
    }

    /// Moves one unit of the payer's first coin, as a fee would move: the same reads and
    /// writes, so the same gas. Nothing is charged when the payer holds nothing.
    fn simulate_fee(&self, ctx: &mut Ctx<'_, '_>, payer: &[u8]) -> AppResult<()> {
        let Some(first) = self.all_balances(ctx, payer)?.into_iter().next() else {
            return Ok(());
        };
        let placeholder = [Coin {
            denom: first.denom,
            amount: cosmwasm_std::Uint128::one(),
        }];
        self.send_to_module(ctx, payer, depin_auth::FEE_COLLECTOR, &placeholder)
    }
}
