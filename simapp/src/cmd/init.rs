//! `depind init`: the node's app.toml and the app state of the genesis file. CometBFT's
//! `cometbft init --home <same home>` writes config.toml, the validator key and a genesis file
//! with the validator; `depind init` then fills in the chain id and every module's default
//! genesis. Without CometBFT's genesis it writes one with no validators yet.

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::config::{app_toml_path, genesis_path, read_json, write_json, AppToml};

use super::Context;

#[derive(clap::Args)]
pub struct InitArgs {
    /// A name for this node.
    pub moniker: String,
    /// The chain id (e.g. depin-local-1).
    #[arg(long)]
    pub chain_id: String,
    /// Replace an existing app.toml and app state.
    #[arg(long)]
    pub overwrite: bool,
    /// Genesis parameters of one of the seed networks: iot, compute, storage or identity
    /// (`depind preset list` describes them). Without it, every module's defaults.
    #[arg(long)]
    pub preset: Option<String>,
}

/// Every module's default genesis, keyed by module name.
pub fn default_app_state() -> Value {
    let app = crate::default_app();
    let mut state = serde_json::Map::new();
    for m in app.modules() {
        state.insert(m.name().to_string(), m.default_genesis());
    }
    Value::Object(state)
}

pub fn run(ctx: &Context, args: InitArgs) -> Result<()> {
    let preset = args
        .preset
        .as_deref()
        .map(crate::presets::find)
        .transpose()?;
    let path = init_home(&ctx.home, &args.chain_id, args.overwrite, preset)?;
    ctx.print(&json!({
        "moniker": args.moniker,
        "chain_id": args.chain_id,
        "preset": preset.map(|p| p.name),
        "home": ctx.home.display().to_string(),
        "genesis": path.display().to_string(),
    }));
    Ok(())
}

/// Writes `home`'s app.toml and the app state (every module's default genesis, changed by
/// `preset` if given) and chain id of its genesis file; returns the genesis file's path.
pub fn init_home(
    home: &std::path::Path,
    chain_id: &str,
    overwrite: bool,
    preset: Option<&crate::presets::Preset>,
) -> Result<std::path::PathBuf> {
    if chain_id.trim().is_empty() || chain_id.len() > 50 {
        bail!("--chain-id must be 1 to 50 characters (e.g. depin-local-1)");
    }
    std::fs::create_dir_all(home.join("config"))?;
    let toml_path = app_toml_path(home);
    if toml_path.exists() && !overwrite {
        bail!(
            "{} exists: this home is already initialised (pass --overwrite to start over)",
            toml_path.display()
        );
    }
    AppToml::default().save(home)?;
    let path = genesis_path(home);
    let mut genesis = if path.exists() {
        read_json(&path)?
    } else {
        json!({
            "genesis_time": "2026-01-01T00:00:00Z",
            "initial_height": "1",
            "validators": [],
            "app_hash": "",
        })
    };
    let Some(obj) = genesis.as_object_mut() else {
        bail!("{} is not a JSON object", path.display());
    };
    obj.insert("chain_id".into(), json!(chain_id));
    let mut app_state = default_app_state();
    if let Some(p) = preset {
        p.apply(&mut app_state)?;
    }
    obj.insert("app_state".into(), app_state);
    write_json(&path, &genesis)?;
    Ok(path)
}
