//! The subcommands of depind. Each file is one command group.

pub mod client;
pub mod device;
pub mod distribution;
pub mod energy;
pub mod export;
pub mod genesis;
pub mod gentx;
pub mod gov;
pub mod init;
pub mod keys;
pub mod market;
pub mod preset;
pub mod query;
pub mod rewards;
pub mod slashing;
pub mod staking;
pub mod start;
pub mod testnet;
pub mod tx;
pub mod upgrade;

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// What every command gets.
pub struct Context {
    pub home: PathBuf,
    pub output: Output,
}

impl Context {
    /// Prints `value` as JSON, or as indented `key: value` lines for text output.
    pub fn print(&self, value: &serde_json::Value) {
        let mut out = String::new();
        match self.output {
            Output::Json => out.push_str(&value.to_string()),
            Output::Text => text_lines(value, 0, &mut out),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        write_stdout(&out);
    }
}

/// Writes `text` to standard output. A reader that closed the pipe (`depind ... | head`) ends
/// the command quietly, as for any Unix tool; another write error is reported.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("Error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

fn text_lines(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = "  ".repeat(indent);
    fn line(out: &mut String, s: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = out.write_fmt(s);
        out.push('\n');
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        line(out, format_args!("{pad}{k}:"));
                        text_lines(v, indent + 1, out);
                    }
                    Value::String(s) => line(out, format_args!("{pad}{k}: {s}")),
                    other => line(out, format_args!("{pad}{k}: {other}")),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        line(out, format_args!("{pad}-"));
                        text_lines(item, indent + 1, out);
                    }
                    Value::String(s) => line(out, format_args!("{pad}- {s}")),
                    other => line(out, format_args!("{pad}- {other}")),
                }
            }
        }
        Value::String(s) => line(out, format_args!("{pad}{s}")),
        other => line(out, format_args!("{pad}{other}")),
    }
}

pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".depind")
}

/// `tcp://host:port` or `host:port` → `host:port`.
pub fn socket_addr(s: &str) -> Result<String> {
    let a = s
        .strip_prefix("tcp://")
        .unwrap_or(s)
        .trim_end_matches('/')
        .to_string();
    if !a.contains(':') {
        bail!("address {s:?} has no port (write e.g. tcp://127.0.0.1:26658)");
    }
    Ok(a)
}

/// `tcp://host:port` or `host:port` → `http://host:port` for CometBFT RPC.
pub fn rpc_url(s: &str) -> String {
    if let Some(rest) = s.strip_prefix("tcp://") {
        format!("http://{rest}")
    } else if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else {
        format!("http://{s}")
    }
}

/// The whole command tree of depind (for tests and generated docs).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[derive(Parser)]
#[command(
    name = "depind",
    version,
    about = "The depin-sdk reference chain daemon and CLI"
)]
struct Cli {
    /// The node's home: config/ (app.toml, genesis.json, CometBFT's config.toml), data/, keys.
    #[arg(long, global = true, env = "DEPIND_HOME", default_value_os_t = default_home())]
    home: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value = "text")]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Write app.toml and the genesis file's app state (run after `cometbft init` on the same home).
    Init(init::InitArgs),
    /// Manage keys in the local keyring.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Edit the genesis file.
    #[command(subcommand)]
    Genesis(genesis::GenesisCmd),
    /// Run the node: the ABCI server CometBFT connects to, and gRPC.
    Start(start::StartArgs),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(tx::TxCmd),
    /// Query the chain through CometBFT RPC.
    #[command(subcommand, alias = "q")]
    Query(query::QueryCmd),
    /// Device keys and the documents makers and devices sign (development and firmware
    /// testing: a real maker key lives in an HSM).
    #[command(subcommand)]
    Device(device::DeviceCmd),
    /// Export the current state as a genesis file (stop the node first).
    Export(export::ExportArgs),
    /// Write N ready validator homes (depind + CometBFT) for a localnet on 127.0.0.1.
    Testnet(testnet::TestnetArgs),
    /// The seed networks' genesis presets (iot, compute, storage, identity) for
    /// `init --preset` and `testnet --preset`.
    #[command(subcommand)]
    Preset(preset::PresetCmd),
}

/// Runs depind with the process arguments; exits non-zero with the error on failure.
pub fn main() {
    main_with_upgrades(Vec::new())
}

/// As [`main`], for a binary that knows software upgrades: `depind start` registers
/// `handlers` (plan name → migration) with the upgrade module, so that at a planned height
/// this binary migrates the state and goes on instead of halting.
pub fn main_with_upgrades(handlers: Vec<(String, depin_upgrade::UpgradeHandler)>) {
    let cli = Cli::parse();
    let ctx = Context {
        home: cli.home,
        output: cli.output,
    };
    let result = match cli.command {
        Command::Init(a) => init::run(&ctx, a),
        Command::Keys(c) => keys::run(&ctx, c),
        Command::Genesis(c) => genesis::run(&ctx, c),
        Command::Start(a) => start::run(&ctx, a, handlers),
        Command::Tx(c) => tx::run(&ctx, c),
        Command::Query(c) => query::run(&ctx, c),
        Command::Device(c) => device::run(&ctx, c),
        Command::Export(a) => export::run(&ctx, a),
        Command::Testnet(a) => testnet::run(&ctx, a),
        Command::Preset(c) => preset::run(&ctx, c),
    };
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every subcommand (unique argument names, ...).
    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
