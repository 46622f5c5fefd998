//! `depind genesis ...`: edit and check the genesis file before the chain starts.

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::config::{genesis_path, read_json, write_json};
use crate::keyring::{Backend, Keyring};

use super::Context;

#[derive(Subcommand)]
pub enum GenesisCmd {
    /// Fund an account in genesis: `depind genesis add-account <address|key-name> 1000udepin`.
    AddAccount {
        address_or_key: String,
        coins: String,
        #[arg(long, default_value = "test")]
        keyring_backend: String,
    },
    /// Check that the genesis file starts a chain (every module's genesis imports).
    Validate,
}

pub fn run(ctx: &Context, cmd: GenesisCmd) -> Result<()> {
    match cmd {
        GenesisCmd::AddAccount {
            address_or_key,
            coins,
            keyring_backend,
        } => add_account(ctx, &address_or_key, &coins, &keyring_backend),
        GenesisCmd::Validate => validate(ctx),
    }
}

/// A bech32 address with the chain's prefix, or the name of a key in the keyring.
pub fn resolve_address(ctx: &Context, s: &str, backend: &str) -> Result<String> {
    let codec = depin_app::address::AddressCodec::new(crate::ADDRESS_PREFIX);
    if codec.decode(s).is_ok() {
        return Ok(s.to_string());
    }
    let keyring = Keyring::open(
        &ctx.home,
        Backend::parse(backend)?,
        crate::ADDRESS_PREFIX,
        std::env::var("DEPIND_KEYRING_PASSPHRASE").ok(),
    )?;
    Ok(keyring
        .show(s)
        .with_context(|| {
            format!(
                "{s:?} is neither a {}1... address nor a key name",
                crate::ADDRESS_PREFIX
            )
        })?
        .address)
}

fn add_account(ctx: &Context, who: &str, coins: &str, backend: &str) -> Result<()> {
    let address = resolve_address(ctx, who, backend)?;
    let coins = depin_app::coins::parse(coins).map_err(|e| anyhow!(e.message))?;
    if coins.is_empty() {
        bail!("give at least one coin, e.g. 1000000udepin");
    }
    let path = genesis_path(&ctx.home);
    let mut genesis = read_json(&path)?;
    let state = genesis
        .get_mut("app_state")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            anyhow!(
                "{} has no app_state: run `depind init` first",
                path.display()
            )
        })?;

    let mut auth: depin_auth::GenesisState =
        serde_json::from_value(state.get("auth").cloned().unwrap_or(json!({})))
            .context("app_state.auth")?;
    let mut bank: depin_bank::GenesisState =
        serde_json::from_value(state.get("bank").cloned().unwrap_or(json!({})))
            .context("app_state.bank")?;
    if !auth
        .accounts
        .iter()
        .any(|a| a.base_account().address == address)
    {
        let next = auth
            .accounts
            .iter()
            .map(|a| a.base_account().account_number + 1)
            .max()
            .unwrap_or(0);
        auth.accounts
            .push(depin_auth::GenesisAccount::base(&address, next));
    }
    match bank.balances.iter_mut().find(|b| b.address == address) {
        Some(b) => {
            b.coins = depin_app::coins::add(&b.coins, &coins).map_err(|e| anyhow!(e.message))?
        }
        None => bank.balances.push(depin_bank::genesis::Balance {
            address: address.clone(),
            coins: coins.clone(),
        }),
    }
    // Supply is computed from the balances at InitChain.
    bank.supply.clear();
    state.insert("auth".into(), serde_json::to_value(auth)?);
    state.insert("bank".into(), serde_json::to_value(bank)?);
    write_json(&path, &genesis)?;
    ctx.print(&json!({ "address": address, "coins": depin_app::coins::format(&coins) }));
    Ok(())
}

fn validate(ctx: &Context) -> Result<()> {
    let path = genesis_path(&ctx.home);
    let genesis = read_json(&path)?;
    let chain_id = genesis
        .get("chain_id")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{} has no chain_id", path.display()))?;
    let app_state = genesis.get("app_state").cloned().unwrap_or(Value::Null);
    let dir = tempfile_dir()?;
    let mut chain = depin_app::driver::InProcess::open(
        std::sync::Arc::new(crate::default_app()),
        &dir,
        Default::default(),
    )
    .map_err(|e| anyhow!(e))?;
    let result = chain.init_chain(chain_id, &app_state);
    drop(chain);
    let _ = std::fs::remove_dir_all(&dir);
    let hash = result.map_err(|e| anyhow!("{} does not start a chain: {e}", path.display()))?;
    ctx.print(&json!({ "valid": true, "chain_id": chain_id, "genesis_app_hash": hex::encode_upper(hash) }));
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("depind-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
