//! depind: run and operate a depin-sdk reference chain beside CometBFT.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use depin_simapp::cmd;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "depind",
    version,
    about = "The depin-sdk reference chain daemon and CLI"
)]
struct Cli {
    /// The node's home: config/ (app.toml, genesis.json, CometBFT's config.toml), data/, keys.
    #[arg(long, global = true, env = "DEPIND_HOME", default_value_os_t = cmd::default_home())]
    home: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value = "text")]
    output: cmd::Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write app.toml and the genesis file's app state (run after `cometbft init` on the same home).
    Init(cmd::init::InitArgs),
    /// Manage keys in the local keyring.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Edit the genesis file.
    #[command(subcommand)]
    Genesis(cmd::genesis::GenesisCmd),
    /// Run the node: the ABCI server CometBFT connects to, and gRPC.
    Start(cmd::start::StartArgs),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(cmd::tx::TxCmd),
    /// Query the chain through CometBFT RPC.
    #[command(subcommand, alias = "q")]
    Query(cmd::query::QueryCmd),
    /// Export the current state as a genesis file (stop the node first).
    Export(cmd::export::ExportArgs),
}

fn main() {
    let cli = Cli::parse();
    let ctx = cmd::Context {
        home: cli.home,
        output: cli.output,
    };
    let result = match cli.command {
        Command::Init(a) => cmd::init::run(&ctx, a),
        Command::Keys(c) => cmd::keys::run(&ctx, c),
        Command::Genesis(c) => cmd::genesis::run(&ctx, c),
        Command::Start(a) => cmd::start::run(&ctx, a),
        Command::Tx(c) => cmd::tx::run(&ctx, c),
        Command::Query(c) => cmd::query::run(&ctx, c),
        Command::Export(a) => cmd::export::run(&ctx, a),
    };
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}
