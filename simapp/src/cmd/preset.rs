//! `depind preset list` and `depind preset show <name>`: the seed networks' genesis presets
//! (`crate::presets`), for `depind init --preset` and `depind testnet --preset`.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::presets::{find, PRESETS};

#[derive(clap::Subcommand)]
pub enum PresetCmd {
    /// Every preset: its name, the network it models and the modules that network uses.
    List,
    /// One preset in full: what it says and the module params it sets.
    Show {
        /// The preset's name: iot, compute, storage or identity.
        name: String,
    },
}

pub fn run(ctx: &Context, cmd: PresetCmd) -> Result<()> {
    match cmd {
        PresetCmd::List => ctx.print(&json!({
            "presets": PRESETS.iter().map(|p| json!({
                "name": p.name,
                "network": p.network,
                "modules": p.all_modules(),
            })).collect::<Vec<_>>(),
        })),
        PresetCmd::Show { name } => {
            let p = find(&name)?;
            ctx.print(&json!({
                "name": p.name,
                "network": p.network,
                "modules": p.all_modules(),
                "summary": p.summary.split_whitespace().collect::<Vec<_>>().join(" "),
                "params": p.params()?,
            }));
        }
    }
    Ok(())
}
