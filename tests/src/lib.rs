//! A harness for end-to-end tests: a one-validator chain of real `cometbft` and `depind`
//! processes on free 127.0.0.1 ports in a temporary home, with funded test accounts, and
//! helpers to sign, broadcast, wait and query (CometBFT RPC, ABCI query, gRPC); and
//! [`localnet::Localnet`], a multi-validator network of such processes.

pub mod cli;
pub mod localnet;
pub mod story;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use depin_simapp::testing::{FeeSpec, SignerData, TestKey};
use prost::Message;
use tendermint_rpc::{Client, HttpClient};

pub const CHAIN_ID: &str = "depin-e2e-1";
/// Funds of each test account.
pub const FUNDS: u128 = 1_000_000_000_000;
/// A gas limit and fee that pass the default minimum gas price (0.0025udepin).
pub const GAS: u64 = 200_000;
pub const FEE: u128 = 500;

/// The CometBFT binary: $COMETBFT, or what scripts/install-cometbft.sh installs (it skips
/// when the pinned version is present).
pub fn cometbft() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("COMETBFT") {
            return PathBuf::from(p);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-cometbft.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(out.status.success(), "install-cometbft.sh failed");
        let text = String::from_utf8_lossy(&out.stdout);
        PathBuf::from(text.lines().last().unwrap_or("cometbft").trim())
    })
}

pub struct Ports {
    pub rpc: u16,
    pub p2p: u16,
    pub abci: u16,
    pub grpc: u16,
    /// The REST gateway (LCD).
    pub api: u16,
}

/// A running one-validator chain. Dropping it kills both processes.
pub struct Net {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub depind_bin: PathBuf,
    pub ports: Ports,
    pub keys: Vec<TestKey>,
    depind: Option<Child>,
    cometbft: Option<Child>,
    pub rt: tokio::runtime::Runtime,
}

impl Net {
    /// Initialises a home (cometbft init, depind init, `accounts` funded test keys) and starts
    /// the chain; returns once it has produced a block.
    pub fn start(depind: &str, accounts: usize) -> Net {
        Net::launch(depind, accounts, None, None::<fn(&mut serde_json::Value)>)
    }

    /// As [`Net::start_with`], on a genesis made by `depind init --preset <preset>` (one of
    /// the seed networks: `depin_simapp::presets`).
    pub fn start_preset(
        depind: &str,
        accounts: usize,
        preset: &str,
        patch: impl FnOnce(&mut serde_json::Value),
    ) -> Net {
        Net::launch(depind, accounts, Some(preset), Some(patch))
    }

    /// As [`Net::start`], but `patch` edits the genesis document (after the accounts are added,
    /// before validation and start): e.g. a module's params or genesis records.
    pub fn start_with(
        depind: &str,
        accounts: usize,
        patch: impl FnOnce(&mut serde_json::Value),
    ) -> Net {
        Net::launch(depind, accounts, None, Some(patch))
    }

    fn launch(
        depind: &str,
        accounts: usize,
        preset: Option<&str>,
        patch: Option<impl FnOnce(&mut serde_json::Value)>,
    ) -> Net {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("node");
        let keys: Vec<TestKey> = (1..=accounts as u64).map(TestKey::from_seed).collect();
        let base = depin_simapp::testing::reserve_ports(5);
        let mut net = Net {
            _dir: dir,
            home,
            depind_bin: PathBuf::from(depind),
            ports: Ports {
                rpc: base,
                p2p: base + 1,
                abci: base + 2,
                grpc: base + 3,
                api: base + 4,
            },
            keys,
            depind: None,
            cometbft: None,
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        };
        net.init_home(preset);
        let addresses: Vec<String> = net.keys.iter().map(|k| k.address.clone()).collect();
        for a in addresses {
            net.depind_ok(&["genesis", "add-account", &a, &format!("{FUNDS}udepin")]);
        }
        if let Some(patch) = patch {
            net.patch_genesis(patch);
        }
        net.depind_ok(&["genesis", "validate"]);
        net.start_processes();
        net
    }

    fn init_home(&self, preset: Option<&str>) {
        let status = Command::new(cometbft())
            .args(["init", "--home"])
            .arg(&self.home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("cometbft init");
        assert!(status.success(), "cometbft init failed");
        let mut init = vec!["init", "e2e", "--chain-id", CHAIN_ID];
        if let Some(p) = preset {
            init.extend_from_slice(&["--preset", p]);
        }
        self.depind_ok(&init);
        // Fast blocks for tests; every event indexed (the default kv indexer).
        let path = self.home.join("config/config.toml");
        let text = std::fs::read_to_string(&path).expect("config.toml");
        let text = text
            .lines()
            .map(|l| {
                if l.starts_with("timeout_commit =") {
                    "timeout_commit = \"300ms\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&path, text).expect("write config.toml");
    }

    /// Reads config/genesis.json, lets `patch` edit it and writes it back.
    pub fn patch_genesis(&self, patch: impl FnOnce(&mut serde_json::Value)) {
        let path = self.home.join("config/genesis.json");
        let text = std::fs::read_to_string(&path).expect("genesis.json");
        let mut genesis: serde_json::Value = serde_json::from_str(&text).expect("genesis JSON");
        patch(&mut genesis);
        let text = serde_json::to_string_pretty(&genesis).expect("genesis JSON");
        std::fs::write(&path, text).expect("write genesis.json");
    }

    /// Runs `depind <args> --home <home>` and returns its stdout; panics with its stderr on
    /// failure.
    pub fn depind_ok(&self, args: &[&str]) -> String {
        let out = self.depind_cmd(args);
        assert!(
            out.status.success(),
            "depind {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn depind_cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.depind_bin)
            .args(args)
            .arg("--home")
            .arg(&self.home)
            .output()
            .expect("running depind")
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.join(name))
            .expect("log file")
    }

    pub fn start_depind(&mut self) {
        let child = Command::new(&self.depind_bin)
            .arg("start")
            .arg("--home")
            .arg(&self.home)
            .args(["--abci", &format!("tcp://127.0.0.1:{}", self.ports.abci)])
            .args(["--grpc", &format!("127.0.0.1:{}", self.ports.grpc)])
            .args(["--api", &format!("127.0.0.1:{}", self.ports.api)])
            .args(["--rpc", &format!("http://127.0.0.1:{}", self.ports.rpc)])
            .stdout(self.log("depind.log"))
            .stderr(self.log("depind.log"))
            .spawn()
            .expect("start depind");
        self.depind = Some(child);
        wait_for_port(self.ports.abci, Duration::from_secs(30));
    }

    pub fn start_cometbft(&mut self) {
        let child = Command::new(cometbft())
            .arg("start")
            .arg("--home")
            .arg(&self.home)
            .args([
                "--proxy_app",
                &format!("tcp://127.0.0.1:{}", self.ports.abci),
            ])
            .args([
                "--rpc.laddr",
                &format!("tcp://127.0.0.1:{}", self.ports.rpc),
            ])
            .args([
                "--p2p.laddr",
                &format!("tcp://127.0.0.1:{}", self.ports.p2p),
            ])
            .stdout(self.log("cometbft.log"))
            .stderr(self.log("cometbft.log"))
            .spawn()
            .expect("start cometbft");
        self.cometbft = Some(child);
    }

    /// Starts depind, then CometBFT, and waits until the app has committed a new block
    /// (CometBFT's height counts a block once stored, before the app commits it: wait for
    /// the one after).
    pub fn start_processes(&mut self) {
        self.start_depind();
        self.start_cometbft();
        let h = self.wait_rpc(Duration::from_secs(60));
        self.wait_height(h + 2, Duration::from_secs(60));
    }

    /// SIGKILL, as a crash would.
    pub fn kill_depind(&mut self) {
        if let Some(mut c) = self.depind.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn kill_cometbft(&mut self) {
        if let Some(mut c) = self.cometbft.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn kill_all(&mut self) {
        self.kill_cometbft();
        self.kill_depind();
    }

    pub fn rpc(&self) -> HttpClient {
        HttpClient::new(format!("http://127.0.0.1:{}", self.ports.rpc).as_str())
            .expect("rpc client")
    }

    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.grpc)
    }

    pub fn rest_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.api)
    }

    /// GET on the REST gateway: (HTTP status, JSON body; a body that is not JSON as a string).
    pub fn rest_get(&self, path: &str) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.rest_url());
        self.rest(reqwest::Client::new().get(url))
    }

    /// POST of a JSON body on the REST gateway, as [`Net::rest_get`].
    pub fn rest_post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.rest_url());
        let request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string());
        self.rest(request)
    }

    fn rest(&self, request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        self.rt.block_on(async {
            let resp = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("REST request: {e}"));
            let status = resp.status().as_u16();
            let text = resp.text().await.expect("REST body");
            let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            (status, body)
        })
    }

    /// Waits until CometBFT's RPC answers; returns the height.
    pub fn wait_rpc(&self, timeout: Duration) -> u64 {
        let start = Instant::now();
        loop {
            if let Ok(s) = self.rt.block_on(self.rpc().status()) {
                return s.sync_info.latest_block_height.value();
            }
            if start.elapsed() > timeout {
                panic!("CometBFT RPC did not come up; logs:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn height(&self) -> u64 {
        self.rt
            .block_on(self.rpc().status())
            .map(|s| s.sync_info.latest_block_height.value())
            .unwrap_or(0)
    }

    pub fn wait_height(&self, h: u64, timeout: Duration) {
        let start = Instant::now();
        while self.height() < h {
            if start.elapsed() > timeout {
                panic!("height {h} not reached; logs:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The tail of both logs, for failure messages.
    pub fn logs(&self) -> String {
        localnet::tail_logs("", &self.home)
    }

    /// ABCI query through CometBFT RPC: (code, value, log).
    pub fn abci_query(&self, path: &str, data: Vec<u8>) -> (u32, Vec<u8>, String) {
        let r = self
            .rt
            .block_on(
                self.rpc()
                    .abci_query(Some(path.to_string()), data, None, false),
            )
            .expect("abci_query");
        (r.code.value(), r.value, r.log)
    }

    /// A balance in udepin, read by ABCI query.
    pub fn balance_abci(&self, address: &str) -> u128 {
        use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
        let req = QueryBalanceRequest {
            address: address.into(),
            denom: "udepin".into(),
        };
        let (code, value, log) =
            self.abci_query("/cosmos.bank.v1beta1.Query/Balance", req.encode_to_vec());
        assert_eq!(code, 0, "balance query failed: {log}");
        let r = QueryBalanceResponse::decode(value.as_slice()).expect("decode");
        r.balance.map_or(0, |c| c.amount.parse().expect("amount"))
    }

    /// A balance in udepin, read over gRPC.
    pub fn balance_grpc(&self, address: &str) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient;
        use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
        let url = self.grpc_url();
        self.rt.block_on(async {
            let mut c = QueryClient::connect(url).await.expect("gRPC connect");
            let r = c
                .balance(QueryBalanceRequest {
                    address: address.into(),
                    denom: "udepin".into(),
                })
                .await
                .expect("gRPC balance")
                .into_inner();
            r.balance.map_or(0, |c| c.amount.parse().expect("amount"))
        })
    }

    /// (account number, sequence) of `address`, over gRPC.
    pub fn account(&self, address: &str) -> (u64, u64) {
        use cosmos_sdk_proto::cosmos::auth::v1beta1::query_client::QueryClient;
        use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest};
        let url = self.grpc_url();
        self.rt.block_on(async {
            let mut c = QueryClient::connect(url).await.expect("gRPC connect");
            let any = c
                .account(QueryAccountRequest {
                    address: address.into(),
                })
                .await
                .expect("gRPC account")
                .into_inner()
                .account
                .expect("account");
            let a = BaseAccount::decode(any.value.as_slice()).expect("BaseAccount");
            (a.account_number, a.sequence)
        })
    }

    pub fn signer(&self, key: &TestKey) -> SignerData {
        let (account_number, sequence) = self.account(&key.address);
        SignerData {
            chain_id: CHAIN_ID.into(),
            account_number,
            sequence,
        }
    }

    /// A standard bank send from `key`, signed for the current sequence.
    pub fn send_tx(&self, key: &TestKey, to: &str, amount: u128) -> Vec<u8> {
        depin_simapp::testing::send_tx(key, &self.signer(key), to, amount, &FeeSpec::new(FEE, GAS))
    }

    /// `msgs` from `key`, signed for its current sequence with the standard fee and gas.
    pub fn sign_msgs(&self, key: &TestKey, msgs: Vec<cosmrs::Any>) -> Vec<u8> {
        depin_simapp::testing::sign(key, &self.signer(key), msgs, &FeeSpec::new(FEE, GAS), "")
            .unwrap_or_else(|e| panic!("signing a test tx: {e}"))
    }

    /// Signs `msgs` from `key` (standard fee and gas), broadcasts them, expects CheckTx to
    /// accept and waits for the block; returns the result (its code may still be non-zero).
    pub fn tx(
        &self,
        key: &TestKey,
        msgs: Vec<cosmrs::Any>,
    ) -> tendermint_rpc::endpoint::tx::Response {
        self.submit(self.sign_msgs(key, msgs))
    }

    /// broadcast_tx_sync: Ok((code, log, hash)) from CheckTx, Err for an RPC-level refusal.
    pub fn broadcast(&self, tx: Vec<u8>) -> Result<(u32, String, String), String> {
        self.rt
            .block_on(self.rpc().broadcast_tx_sync(tx))
            .map(|r| (r.code.value(), r.log, r.hash.to_string()))
            .map_err(|e| e.to_string())
    }

    /// Waits until transaction `hash` is committed; returns its result.
    pub fn wait_tx(&self, hash: &str) -> tendermint_rpc::endpoint::tx::Response {
        let h = tendermint::Hash::from_str(hash).expect("hash");
        let start = Instant::now();
        loop {
            if let Ok(r) = self.rt.block_on(self.rpc().tx(h, false)) {
                return r;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("tx {hash} not committed; logs:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Broadcasts, expects CheckTx to accept, waits for the block; returns the result.
    pub fn submit(&self, tx: Vec<u8>) -> tendermint_rpc::endpoint::tx::Response {
        let (code, log, hash) = self.broadcast(tx).expect("broadcast");
        assert_eq!(code, 0, "CheckTx refused: {log}");
        self.wait_tx(&hash)
    }

    /// The app hash CometBFT recorded for the block after `height` (which carries the
    /// app hash of `height`'s state).
    pub fn app_hash_after(&self, height: u64) -> Vec<u8> {
        let h = tendermint::block::Height::try_from(height + 1).expect("height");
        let b = self.rt.block_on(self.rpc().block(h)).expect("block");
        b.block.header.app_hash.as_bytes().to_vec()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.kill_all();
    }
}

pub(crate) fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > timeout {
            panic!("nothing listens on 127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
