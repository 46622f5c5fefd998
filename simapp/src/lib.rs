//! The reference chain: depin-sdk's modules composed in one application, as a chain builder
//! would compose their own. `depind` (src/main.rs) runs it.

pub mod cmd;
pub mod config;
pub mod keyring;
pub mod testing;

use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER, STAKING};
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_device::{DeviceKeeper, DeviceModule, DEVICE_MODULE_ACCOUNT};
use depin_market::{MarketKeeper, MarketModule, MARKET_MODULE_ACCOUNT};
use depin_slashing::{SlashingKeeper, SlashingModule};
use depin_staking::{MultiHooks, StakingKeeper, StakingModule, BONDED_POOL, NOT_BONDED_POOL};

/// The staking denom of the reference chain.
pub const DENOM: &str = "udepin";
pub const ADDRESS_PREFIX: &str = "depin";
/// Validator operator addresses (`depinvaloper1...`), as the staking keeper derives them.
pub const VALOPER_PREFIX: &str = "depinvaloper";

/// The module accounts of the chain and what each may do.
pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
        // Staked tokens: slashing burns from both pools.
        ModuleAccountSpec::new(BONDED_POOL, &[BURNER, STAKING]),
        ModuleAccountSpec::new(NOT_BONDED_POOL, &[BURNER, STAKING]),
        // Device fees (onboarding, location asserts) pass through it and are burned.
        ModuleAccountSpec::new(DEVICE_MODULE_ACCOUNT, &[BURNER]),
        // Escrow balances, provider collateral, bid deposits and unwithdrawn lease payments;
        // the market's take is burned from it.
        ModuleAccountSpec::new(MARKET_MODULE_ACCOUNT, &[BURNER]),
    ]
}

/// Composes the chain: auth, bank, staking, slashing, then the device registry and the market (genesis and
/// block hooks run in this order; staking's genesis checks the pools the bank's genesis
/// funded; the registry burns its fees through the bank).
pub fn build_app(config: AppConfig) -> Result<App, String> {
    let codec = AddressCodec::new(&config.address_prefix);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let staking = StakingKeeper::new(codec.clone(), bank.clone());
    let slashing = SlashingKeeper::new(codec.clone(), staking.clone());
    let device = DeviceKeeper::new(codec.clone(), bank.clone());
    let market = MarketKeeper::new(codec, bank.clone(), device.clone());
    // Staking calls its hooks once; the fan-out leaves room for the rewards module's.
    staking
        .set_hooks(MultiHooks::new().with(slashing.hooks()))
        .map_err(|e| e.to_string())?;
    // Slashing comes after staking: its begin block reads the votes on the set staking's end
    // block produced.
    AppBuilder::new(config)
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(StakingModule::new(staking))
        .module(SlashingModule::new(slashing))
        .module(DeviceModule::new(device))
        .module(MarketModule::new(market))
        .ante(AuthAnte::new(auth, bank))
        .build()
}

pub fn default_app() -> App {
    // The default configuration is valid by construction.
    build_app(AppConfig::default())
        .unwrap_or_else(|e| panic!("the default app does not build: {e}"))
}
