//! `depind start`: the ABCI server CometBFT's proxy_app connects to, the gRPC server and the
//! REST gateway (both answered by one `Gateway`).

use depin_app::app::AppConfig;
use std::sync::Arc;

use anyhow::{anyhow, Context as _, Result};

use depin_app::abci::AbciHandle;
use depin_app::context::GasPrice;
use depin_app::grpc::Gateway;
use depin_app::node::{Node, NodeConfig};
use depin_app::rest::RestServer;
use depin_app::store::StoreConfig;

use crate::config::{data_dir, AppToml};

use super::{rpc_url, socket_addr, Context};

#[derive(clap::Args)]
pub struct StartArgs {
    /// Overrides app.toml's abci.address.
    #[arg(long)]
    pub abci: Option<String>,
    /// Overrides app.toml's grpc.address.
    #[arg(long)]
    pub grpc: Option<String>,
    /// Serves the REST gateway on this address (overrides app.toml's api.address and enables
    /// it).
    #[arg(long)]
    pub api: Option<String>,
    /// Overrides app.toml's rpc.address (CometBFT RPC).
    #[arg(long)]
    pub rpc: Option<String>,
    /// Overrides app.toml's minimum-gas-prices.
    #[arg(long)]
    pub minimum_gas_prices: Option<String>,
}

/// Runs the node; `handlers` are the software upgrades this binary can apply (see
/// [`crate::UpgradeOptions`]).
pub fn run(
    ctx: &Context,
    args: StartArgs,
    handlers: Vec<(String, depin_upgrade::UpgradeHandler)>,
) -> Result<()> {
    let mut cfg = AppToml::load(&ctx.home)?;
    if let Some(a) = args.abci {
        cfg.abci.address = a;
    }
    if let Some(a) = args.grpc {
        cfg.grpc.address = a;
    }
    if let Some(a) = args.api {
        cfg.api.address = a;
        cfg.api.enable = true;
    }
    if let Some(a) = args.rpc {
        cfg.rpc.address = a;
    }
    if let Some(p) = args.minimum_gas_prices {
        cfg.minimum_gas_prices = p;
    }
    let min_gas_prices = GasPrice::parse_list(&cfg.minimum_gas_prices)
        .map_err(|e| anyhow!("minimum-gas-prices: {e}"))?;
    let node_config = NodeConfig {
        min_gas_prices,
        snapshot_interval: cfg.state_sync.snapshot_interval,
        snapshot_keep: cfg.state_sync.snapshot_keep_recent as usize,
        store: StoreConfig {
            keep_recent: cfg.pruning.keep_recent,
            ..StoreConfig::default()
        },
        verify_threads: 0,
    };
    let dir = data_dir(&ctx.home);
    let app = crate::build_app_with(
        AppConfig::default(),
        crate::UpgradeOptions {
            // `<home>/data`, where cosmovisor looks for it (the store lives below, in
            // `data/depind`).
            info_dir: Some(ctx.home.join("data")),
            handlers,
        },
    )
    .map_err(|e| anyhow!(e))?;
    let app = Arc::new(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let node = Node::open(app, &dir, node_config).map_err(|e| anyhow!(e))?;
    let info = node.store().info();
    let handle = AbciHandle::new(node);
    let abci_addr = socket_addr(&cfg.abci.address)?;
    eprintln!(
        "depind: state at height {} in {}; ABCI on {abci_addr}",
        info.version,
        dir.display()
    );

    if cfg.grpc.enable || cfg.api.enable {
        let gateway = Gateway::new(handle.queries().clone(), Some(&rpc_url(&cfg.rpc.address)))
            .map_err(|e| anyhow!(e))?;
        let gateway = Arc::new(gateway);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let grpc = if cfg.grpc.enable {
            let addr: std::net::SocketAddr = cfg
                .grpc
                .address
                .parse()
                .with_context(|| format!("grpc.address {:?}", cfg.grpc.address))?;
            // Bind now so a taken port is reported at start, not later.
            std::net::TcpListener::bind(addr)
                .with_context(|| format!("gRPC address {addr} is not free"))?;
            Some(addr)
        } else {
            None
        };
        let api = if cfg.api.enable {
            let addr = socket_addr(&cfg.api.address)?;
            let listener = std::net::TcpListener::bind(&addr)
                .with_context(|| format!("REST (api.address) {addr} is not free"))?;
            listener.set_nonblocking(true)?;
            let rest = RestServer::new(gateway.clone()).map_err(|e| anyhow!(e))?;
            Some((rest, listener, addr))
        } else {
            None
        };
        let mut serving = Vec::new();
        if let Some(addr) = grpc {
            serving.push(format!("gRPC on {addr}"));
        }
        if let Some((_, _, addr)) = &api {
            serving.push(format!("REST on http://{addr}"));
        }
        std::thread::spawn(move || {
            runtime.block_on(async move {
                if let Some((rest, listener, _)) = api {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("depind: REST server: {e}");
                            std::process::exit(1);
                        }
                    };
                    tokio::spawn(async move {
                        if let Err(e) = rest.serve_on(listener, std::future::pending()).await {
                            eprintln!("depind: {e}");
                            std::process::exit(1);
                        }
                    });
                }
                match grpc {
                    Some(addr) => {
                        if let Err(e) = gateway.serve_shared(addr, std::future::pending()).await {
                            eprintln!("depind: {e}");
                            std::process::exit(1);
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            })
        });
        eprintln!("depind: {}", serving.join("; "));
    }
    handle.serve(&abci_addr).map_err(|e| anyhow!(e))
}
