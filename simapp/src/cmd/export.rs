//! `depind export`: the current state as a genesis file that starts a new chain with the same
//! accounts, balances and params, continuing at the next height. Stop the node first: the store allows one
//! process at a time.

use std::sync::Arc;

use anyhow::{anyhow, Context as _, Result};
use depin_app::context::{Env, ExecMode};
use depin_app::store::{Store, StoreConfig, WorkingSet};
use serde_json::{json, Value};

use crate::config::{data_dir, genesis_path, read_json};

use super::Context;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Write the genesis here instead of standard output.
    #[arg(long)]
    pub output_document: Option<std::path::PathBuf>,
}

pub fn run(ctx: &Context, args: ExportArgs) -> Result<()> {
    let app = Arc::new(crate::default_app());
    let dir = data_dir(&ctx.home).join("state");
    let store = Store::open(&dir, StoreConfig::default()).map_err(|e| {
        anyhow!(
            "opening the state in {}: {e} (is depind still running? stop it first)",
            dir.display()
        )
    })?;
    let view = store.latest_view().map_err(|e| anyhow!(e.to_string()))?;
    if store.version() == 0 {
        return Err(anyhow!(
            "{} holds no committed block: nothing to export",
            dir.display()
        ));
    }
    let height = store.version() + depin_app::app::height_offset(&view);
    eprintln!("exporting state at height {height} from {}", dir.display());
    let mut ws = WorkingSet::new(view);
    let mut genesis = read_json(&genesis_path(&ctx.home))?;
    let chain_id = genesis
        .get("chain_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let env = Env::new(&chain_id, height, ExecMode::Query);
    let app_state = app
        .export_genesis_with_progress(&mut ws, &env, |i, n, module| {
            eprintln!("export: [{i}/{n}] {module}");
        })
        .map_err(|e| anyhow!("export failed: {e}"))?;
    let obj = genesis
        .as_object_mut()
        .ok_or_else(|| anyhow!("the genesis file is not a JSON object"))?;
    obj.insert("app_state".into(), app_state);
    // The new chain continues the old one's heights, so every height kept in the state
    // (deadlines, creation heights, epoch anchors) keeps its meaning.
    obj.insert(
        "initial_height".into(),
        json!(height.saturating_add(1).to_string()),
    );
    obj.insert("app_hash".into(), json!(""));
    let text = serde_json::to_string_pretty(&genesis)?;
    match args.output_document {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => super::write_stdout(&format!("{text}\n")),
    }
    let _ = ctx;
    Ok(())
}
