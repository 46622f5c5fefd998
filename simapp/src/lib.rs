//! The reference chain: depin-sdk's modules composed in one application, as a chain builder
//! would compose their own. `depind` (src/main.rs) runs it.

pub mod cmd;
pub mod config;
pub mod keyring;
pub mod presets;
pub mod testing;

use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER, STAKING};
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_device::{DeviceKeeper, DeviceModule, DEVICE_MODULE_ACCOUNT};
use depin_distribution::{DistributionKeeper, DistributionModule};
use depin_energy::{EnergyDevices, EnergyKeeper, EnergyModule};
use depin_gov::{GovKeeper, GovModule};
use depin_market::{MarketKeeper, MarketModule, MARKET_MODULE_ACCOUNT};
use depin_rewards::{CreditsFirst, RewardsKeeper, RewardsModule, REWARDS_MODULE_ACCOUNT};
use depin_slashing::{SlashingKeeper, SlashingModule};
use depin_staking::{MultiHooks, StakingKeeper, StakingModule, BONDED_POOL, NOT_BONDED_POOL};
use depin_upgrade::{UpgradeKeeper, UpgradeModule};

/// The staking denom of the reference chain.
pub const DENOM: &str = "udepin";
pub const ADDRESS_PREFIX: &str = "depin";
/// Validator operator addresses (`depinvaloper1...`), as the staking keeper derives them.
pub const VALOPER_PREFIX: &str = "depinvaloper";

/// The module accounts of the chain and what each may do.
pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        // Proposal deposits; burns those of vetoed proposals and of proposals short of quorum.
        ModuleAccountSpec::new(depin_gov::MODULE_ACCOUNT, &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
        // Staked tokens: slashing burns from both pools.
        ModuleAccountSpec::new(BONDED_POOL, &[BURNER, STAKING]),
        ModuleAccountSpec::new(NOT_BONDED_POOL, &[BURNER, STAKING]),
        // Device fees (onboarding, location asserts) pass through it and are burned.
        ModuleAccountSpec::new(DEVICE_MODULE_ACCOUNT, &[BURNER]),
        // Escrow balances, provider collateral, bid deposits and unwithdrawn lease payments;
        // the market's take is burned from it.
        ModuleAccountSpec::new(MARKET_MODULE_ACCOUNT, &[BURNER]),
        // Mints each epoch's emission; holds the device and provider buckets and unclaimed
        // rewards; burns tokens bought data credits with.
        ModuleAccountSpec::new(REWARDS_MODULE_ACCOUNT, &[MINTER, BURNER]),
        // Validators' and delegators' rewards and commission not yet withdrawn, and the
        // community pool.
        ModuleAccountSpec::new(depin_distribution::MODULE_ACCOUNT, &[]),
    ]
}

/// Composes the chain: upgrade, auth, bank, distribution, gov, staking, slashing, then the
/// device registry, the energy meters, the market and the rewards module (genesis and
/// block hooks run in this order; staking's genesis checks the pools the bank's genesis
/// funded; the registry burns its fees through the bank).
pub fn build_app(config: AppConfig) -> Result<App, String> {
    build_app_with(config, UpgradeOptions::default())
}

/// The module names of the chain and their consensus versions (what the upgrade module
/// records and migrations move forward).
pub const MODULE_VERSIONS: &[(&str, u64)] = &[
    ("upgrade", 1),
    ("auth", 1),
    ("bank", 1),
    ("distribution", 1),
    ("gov", 1),
    ("staking", 1),
    ("slashing", 1),
    ("device", 1),
    ("energy", 1),
    ("market", 1),
    ("rewards", 1),
];

/// What the node's binary knows about software upgrades.
#[derive(Default)]
pub struct UpgradeOptions {
    /// Where `upgrade-info.json` is written when the chain halts for an upgrade (the node's
    /// data directory, where cosmovisor looks).
    pub info_dir: Option<std::path::PathBuf>,
    /// The upgrades this binary can apply, by plan name: each a migration of the stored
    /// state. This release knows none; a release that does registers its handler here.
    pub handlers: Vec<(String, depin_upgrade::UpgradeHandler)>,
}

/// [`build_app`] with the node's upgrade options.
pub fn build_app_with(config: AppConfig, upgrades: UpgradeOptions) -> Result<App, String> {
    let codec = AddressCodec::new(&config.address_prefix);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let staking = StakingKeeper::new(codec.clone(), bank.clone());
    let slashing = SlashingKeeper::new(codec.clone(), staking.clone());
    // Device fees are paid in data credits when the payer holds enough, in tokens otherwise.
    let fees = CreditsFirst::new(bank.clone());
    let device = DeviceKeeper::new(codec.clone(), fees.clone());
    let distribution = DistributionKeeper::new(codec.clone(), staking.clone(), bank.clone());
    // The market's take, when governance sends it to the community pool, lands in
    // distribution's books.
    let market = MarketKeeper::new(codec.clone(), bank.clone(), device.clone())
        .with_community_pool(distribution.clone());
    // Deposits are held in the gov account; a cancelled proposal's charge sent to the
    // distribution account lands in the community pool's books.
    let gov = GovKeeper::new(codec.clone(), staking.clone(), bank.clone())
        .with_community_pool(distribution.clone());
    // Energy meters (the worked example of docs/BUILD-YOUR-DEPIN.md): registry devices whose
    // signed watt-hour readings add a score to their contributions.
    let energy = EnergyKeeper::new(codec.clone(), device.clone());
    // The rewards module weighs the registry's contributions with the meters' energy added.
    let rewards = RewardsKeeper::new(
        codec,
        bank.clone(),
        EnergyDevices::new(device.clone(), energy.clone()),
        market.clone(),
        distribution.clone(),
    );
    fees.set_rewards(rewards.clone());
    // Staking calls its hooks once: slashing follows the bonded set, distribution withdraws
    // rewards before every delegation change and records slashes.
    staking
        .set_hooks(
            MultiHooks::new()
                .with(slashing.hooks())
                .with(distribution.hooks()),
        )
        .map_err(|e| e.to_string())?;
    let mut upgrade = UpgradeKeeper::new(
        AddressCodec::new(&config.address_prefix),
        MODULE_VERSIONS
            .iter()
            .map(|(m, v)| (m.to_string(), *v))
            .collect(),
    );
    if let Some(dir) = upgrades.info_dir {
        upgrade = upgrade.with_info_dir(dir);
    }
    for (name, handler) in upgrades.handlers {
        upgrade = upgrade.with_handler(name, move |ctx, versions| handler(ctx, versions));
    }
    // Slashing comes after staking: its begin block reads the votes on the set staking's end
    // block produced.
    AppBuilder::new(config)
        // First: at a planned upgrade's height it halts (or migrates) before any other
        // module's begin block runs.
        .module(UpgradeModule::new(upgrade))
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        // Before staking: staking's genesis calls its hooks. Its begin block shares what the
        // fee collector holds (fees, and the rewards module's validator bucket of the block
        // before) among the validators that voted and their delegators.
        .module(DistributionModule::new(distribution))
        // Before staking: proposals are decided (and their messages run) in its end block
        // before staking's end block updates the validator set, as in the Cosmos SDK.
        .module(GovModule::new(gov))
        .module(StakingModule::new(staking))
        .module(SlashingModule::new(slashing))
        .module(DeviceModule::new(device))
        .module(EnergyModule::new(energy))
        .module(MarketModule::new(market))
        // After the registry and the market: it reads their epochs at genesis and each block.
        .module(RewardsModule::new(rewards))
        .ante(AuthAnte::new(auth, bank))
        .build()
}

pub fn default_app() -> App {
    // The default configuration is valid by construction.
    build_app(AppConfig::default())
        .unwrap_or_else(|e| panic!("the default app does not build: {e}"))
}
