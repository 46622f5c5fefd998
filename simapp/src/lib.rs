//! The reference chain: depin-sdk's modules composed in one application, as a chain builder
//! would compose their own. `depind` (src/main.rs) runs it.

pub mod cmd;
pub mod config;
pub mod keyring;
pub mod testing;

use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER};
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};

/// The staking denom of the reference chain.
pub const DENOM: &str = "udepin";
pub const ADDRESS_PREFIX: &str = "depin";

/// The module accounts of the chain and what each may do.
pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
    ]
}

/// Composes the chain: auth, then bank (genesis and block hooks run in this order).
pub fn build_app(config: AppConfig) -> Result<App, String> {
    let codec = AddressCodec::new(&config.address_prefix);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec, auth.clone(), &accounts);
    AppBuilder::new(config)
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .ante(AuthAnte::new(auth, bank))
        .build()
}

pub fn default_app() -> App {
    // The default configuration is valid by construction.
    build_app(AppConfig::default())
        .unwrap_or_else(|e| panic!("the default app does not build: {e}"))
}
