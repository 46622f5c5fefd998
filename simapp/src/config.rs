//! The node's own settings, `<home>/config/app.toml` (CometBFT keeps `config.toml` beside it).
//! None of these are consensus: each validator chooses its own.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppToml {
    /// CheckTx refuses transactions paying less than gas × one of these prices.
    #[serde(rename = "minimum-gas-prices")]
    pub minimum_gas_prices: String,
    pub abci: Abci,
    pub grpc: Grpc,
    /// The REST gateway (the Cosmos SDK's "LCD": JSON over HTTP for wallets and explorers).
    pub api: Api,
    pub rpc: Rpc,
    pub pruning: Pruning,
    #[serde(rename = "state-sync")]
    pub state_sync: StateSync,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Abci {
    /// Where CometBFT's proxy_app connects.
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grpc {
    pub enable: bool,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Api {
    pub enable: bool,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rpc {
    /// CometBFT's RPC, used by gRPC BroadcastTx, GetTx and the block queries.
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pruning {
    /// Versions kept readable for queries and proofs (0 keeps all).
    #[serde(rename = "keep-recent")]
    pub keep_recent: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSync {
    /// A snapshot every this many blocks (0: none).
    #[serde(rename = "snapshot-interval")]
    pub snapshot_interval: u64,
    #[serde(rename = "snapshot-keep-recent")]
    pub snapshot_keep_recent: u32,
}

impl Default for AppToml {
    fn default() -> Self {
        AppToml {
            minimum_gas_prices: format!("0.0025{}", crate::DENOM),
            abci: Abci::default(),
            grpc: Grpc::default(),
            api: Api::default(),
            rpc: Rpc::default(),
            pruning: Pruning::default(),
            state_sync: StateSync::default(),
        }
    }
}

impl Default for Abci {
    fn default() -> Self {
        Abci {
            address: "tcp://127.0.0.1:26658".into(),
        }
    }
}

impl Default for Grpc {
    fn default() -> Self {
        Grpc {
            enable: true,
            address: "127.0.0.1:9090".into(),
        }
    }
}

impl Default for Api {
    fn default() -> Self {
        Api {
            enable: true,
            address: depin_app::rest::DEFAULT_ADDRESS.into(),
        }
    }
}

impl Default for Rpc {
    fn default() -> Self {
        Rpc {
            address: "http://127.0.0.1:26657".into(),
        }
    }
}

impl Default for Pruning {
    fn default() -> Self {
        Pruning {
            keep_recent: 100_000,
        }
    }
}

impl Default for StateSync {
    fn default() -> Self {
        StateSync {
            snapshot_interval: 0,
            snapshot_keep_recent: 2,
        }
    }
}

pub fn config_dir(home: &Path) -> PathBuf {
    home.join("config")
}

pub fn app_toml_path(home: &Path) -> PathBuf {
    config_dir(home).join("app.toml")
}

pub fn genesis_path(home: &Path) -> PathBuf {
    config_dir(home).join("genesis.json")
}

/// depind's state lives beside CometBFT's data, in its own folder.
pub fn data_dir(home: &Path) -> PathBuf {
    home.join("data").join("depind")
}

impl AppToml {
    pub fn load(home: &Path) -> Result<AppToml> {
        let path = app_toml_path(home);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}: run `depind init` first (or pass the right --home)",
                path.display()
            )
        })?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn save(&self, home: &Path) -> Result<()> {
        let path = app_toml_path(home);
        std::fs::create_dir_all(config_dir(home))?;
        let text = format!(
            "# depind node settings (not consensus: each validator chooses its own).\n{}",
            toml::to_string_pretty(self)?
        );
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Writes a JSON file atomically (temp file, then rename).
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
