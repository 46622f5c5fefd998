//! A multi-validator localnet of real processes: `depind testnet` writes the homes (validators
//! bonded by gentx, plus optional full nodes that can become validators later), and each node
//! runs its own `cometbft` and `depind`. Nodes can be killed with SIGKILL and restarted; the
//! helpers read CometBFT RPC (heights, validator sets, commit signatures, headers) and drive the
//! `depind` CLI the way an operator would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;
use tendermint::block::{CommitSig, Height};
use tendermint_rpc::{Client, HttpClient, Paging};

use crate::{cometbft, wait_for_port};

pub struct LocalNode {
    pub home: PathBuf,
    /// The key `node<i>` in the home's test keyring (funded at genesis).
    pub key_name: String,
    pub key_address: String,
    pub valoper: String,
    pub rpc_port: u16,
    pub abci_port: u16,
    pub grpc_port: u16,
    /// The consensus key's address (hex, as CometBFT prints it).
    pub consensus_address: String,
    depind: Option<Child>,
    cometbft: Option<Child>,
}

impl LocalNode {
    pub fn rpc_url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.rpc_port)
    }

    pub fn is_running(&self) -> bool {
        self.cometbft.is_some()
    }
}

pub struct Localnet {
    _dir: tempfile::TempDir,
    pub chain_id: String,
    pub depind_bin: PathBuf,
    pub nodes: Vec<LocalNode>,
    pub rt: tokio::runtime::Runtime,
}

impl Localnet {
    /// `depind testnet --validators <validators> --full-nodes <full_nodes>` in a temporary
    /// directory, on free ports. Nothing runs yet: edit the genesis with
    /// [`Localnet::patch_genesis`], then [`Localnet::start`] each node.
    pub fn generate(depind: &str, validators: usize, full_nodes: usize) -> Localnet {
        let dir = tempfile::tempdir().expect("temp dir");
        let total = validators + full_nodes;
        let base = depin_simapp::testing::reserve_ports(10 * total as u16);
        let chain_id = "depin-localnet-e2e".to_string();
        let out = Command::new(depind)
            .args(["testnet", "--output-dir"])
            .arg(dir.path())
            .args(["--validators", &validators.to_string()])
            .args(["--full-nodes", &full_nodes.to_string()])
            .args(["--chain-id", &chain_id])
            .args(["--starting-port", &base.to_string()])
            .args(["--timeout-commit", "300ms"])
            .arg("--cometbft")
            .arg(cometbft())
            .args(["--output", "json"])
            .output()
            .expect("depind testnet");
        assert!(
            out.status.success(),
            "depind testnet failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("testnet report");
        let port = |v: &Value, k: &str| -> u16 {
            let s = v[k].as_str().expect("address");
            s.rsplit(':').next().unwrap().parse().expect("port")
        };
        let nodes = report["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let home = PathBuf::from(n["home"].as_str().unwrap());
                let key: Value = serde_json::from_slice(
                    &std::fs::read(home.join("config/priv_validator_key.json")).unwrap(),
                )
                .unwrap();
                LocalNode {
                    key_name: format!("node{i}"),
                    key_address: n["key_address"].as_str().unwrap().to_string(),
                    valoper: n["validator_address"].as_str().unwrap().to_string(),
                    rpc_port: port(n, "rpc"),
                    abci_port: port(n, "abci"),
                    grpc_port: port(n, "grpc"),
                    consensus_address: key["address"].as_str().unwrap().to_uppercase(),
                    home,
                    depind: None,
                    cometbft: None,
                }
            })
            .collect();
        Localnet {
            _dir: dir,
            chain_id,
            depind_bin: PathBuf::from(depind),
            nodes,
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }

    /// Edits the (shared) genesis file of every node the same way.
    pub fn patch_genesis(&self, edit: impl Fn(&mut Value)) {
        for n in &self.nodes {
            let path = n.home.join("config/genesis.json");
            let mut g: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            edit(&mut g);
            std::fs::write(&path, serde_json::to_vec_pretty(&g).unwrap()).unwrap();
        }
    }

    fn log(&self, i: usize, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.nodes[i].home.join(name))
            .expect("log file")
    }

    /// Starts node `i`'s depind (addresses from its app.toml), then its CometBFT.
    pub fn start(&mut self, i: usize) {
        let bin = self.depind_bin.clone();
        self.start_with(i, &bin);
    }

    /// As [`Localnet::start`], running the `depind` binary at `depind` (another release of
    /// the node, e.g. one that knows an upgrade); the CLI helpers keep using `depind_bin`.
    pub fn start_with(&mut self, i: usize, depind: &Path) {
        let depind = Command::new(depind)
            .arg("start")
            .arg("--home")
            .arg(&self.nodes[i].home)
            .stdout(self.log(i, "depind.log"))
            .stderr(self.log(i, "depind.log"))
            .spawn()
            .expect("start depind");
        self.nodes[i].depind = Some(depind);
        wait_for_port(self.nodes[i].abci_port, Duration::from_secs(30));
        let cometbft = Command::new(cometbft())
            .arg("start")
            .arg("--home")
            .arg(&self.nodes[i].home)
            .stdout(self.log(i, "cometbft.log"))
            .stderr(self.log(i, "cometbft.log"))
            .spawn()
            .expect("start cometbft");
        self.nodes[i].cometbft = Some(cometbft);
    }

    /// SIGKILL of both of node `i`'s processes, as a crash or power cut would.
    pub fn kill(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        for child in [n.cometbft.take(), n.depind.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits up to `timeout` for node `i`'s depind to exit by itself: its exit status (the
    /// process is then forgotten), or `None` while it still runs (or when none was started).
    pub fn wait_depind_exit(&mut self, i: usize, timeout: Duration) -> Option<ExitStatus> {
        wait_exit(&mut self.nodes[i].depind, timeout)
    }

    /// As [`Localnet::wait_depind_exit`], for node `i`'s CometBFT.
    pub fn wait_cometbft_exit(&mut self, i: usize, timeout: Duration) -> Option<ExitStatus> {
        wait_exit(&mut self.nodes[i].cometbft, timeout)
    }

    pub fn rpc(&self, i: usize) -> HttpClient {
        HttpClient::new(format!("http://127.0.0.1:{}", self.nodes[i].rpc_port).as_str())
            .expect("rpc client")
    }

    /// Node `i`'s latest height (0 while its RPC does not answer).
    pub fn height(&self, i: usize) -> u64 {
        self.rt
            .block_on(self.rpc(i).status())
            .map(|s| s.sync_info.latest_block_height.value())
            .unwrap_or(0)
    }

    /// The highest height among running nodes.
    pub fn tip(&self) -> u64 {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].is_running())
            .map(|i| self.height(i))
            .max()
            .unwrap_or(0)
    }

    pub fn wait_height(&self, i: usize, h: u64, timeout: Duration) {
        let start = Instant::now();
        while self.height(i) < h {
            if start.elapsed() > timeout {
                panic!(
                    "node{i} did not reach height {h} in {timeout:?} (at {}); logs:\n{}",
                    self.height(i),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls `cond` every 200 ms until it holds; panics after `timeout` with `what`.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut cond: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            if start.elapsed() > timeout {
                panic!("{what}: not within {timeout:?}; logs:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// CometBFT's validator set at `height` as node `i` reports it: (address hex, power).
    pub fn validators(&self, i: usize, height: u64) -> Vec<(String, u64)> {
        let h = Height::try_from(height).expect("height");
        let r = self
            .rt
            .block_on(self.rpc(i).validators(h, Paging::All))
            .unwrap_or_else(|e| panic!("/validators?height={height} on node{i}: {e}"));
        r.validators
            .iter()
            .map(|v| (v.address.to_string().to_uppercase(), v.power.value()))
            .collect()
    }

    /// The power of the consensus address `address` at `height` (0: not in the set).
    pub fn power(&self, i: usize, height: u64, address: &str) -> u64 {
        self.validators(i, height)
            .into_iter()
            .find(|(a, _)| a == address)
            .map_or(0, |(_, p)| p)
    }

    /// The consensus addresses whose commit signatures for block `height` are in that block's
    /// commit (read from node `i`).
    pub fn signers(&self, i: usize, height: u64) -> Vec<String> {
        let h = Height::try_from(height).expect("height");
        let r = self
            .rt
            .block_on(self.rpc(i).commit(h))
            .unwrap_or_else(|e| panic!("/commit?height={height} on node{i}: {e}"));
        r.signed_header
            .commit
            .signatures
            .iter()
            .filter_map(|s| match s {
                CommitSig::BlockIdFlagCommit {
                    validator_address, ..
                } => Some(validator_address.to_string().to_uppercase()),
                _ => None,
            })
            .collect()
    }

    /// The app hash in each header from 1 to `to` (each carries the state after the block
    /// before it), as node `i` stores them.
    pub fn app_hashes(&self, i: usize, to: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut from = 1;
        while from <= to {
            let upto = (from + 19).min(to);
            let r = self
                .rt
                .block_on(self.rpc(i).blockchain(
                    Height::try_from(from).unwrap(),
                    Height::try_from(upto).unwrap(),
                ))
                .unwrap_or_else(|e| panic!("/blockchain {from}..{upto} on node{i}: {e}"));
            // Newest first.
            let mut metas: Vec<_> = r.block_metas.iter().collect();
            metas.sort_by_key(|m| m.header.height.value());
            assert_eq!(metas.len() as u64, upto - from + 1, "node{i} headers");
            out.extend(metas.iter().map(|m| m.header.app_hash.as_bytes().to_vec()));
            from = upto + 1;
        }
        out
    }

    /// Runs `depind <args> --home <node i's home>`.
    pub fn depind(&self, i: usize, args: &[&str]) -> Output {
        Command::new(&self.depind_bin)
            .args(args)
            .arg("--home")
            .arg(&self.nodes[i].home)
            .output()
            .expect("running depind")
    }

    /// A `depind query ...` through node `via`'s RPC, with JSON output.
    pub fn query(&self, via: usize, args: &[&str]) -> Value {
        let node = self.nodes[via].rpc_url();
        let mut all = vec!["query"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--node", &node, "--output", "json"]);
        let out = self.depind(via, &all);
        assert!(
            out.status.success(),
            "depind {all:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("depind {all:?} printed no JSON ({e})"))
    }

    /// `depind tx ... --from node<signer>` signed in node `signer`'s home, broadcast to node
    /// `via`, waited for; asserts it succeeded and returns the result's height.
    pub fn tx(&self, signer: usize, via: usize, args: &[&str]) -> u64 {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--from", &self.nodes[signer].key_name]);
        self.tx_with(signer, via, &all)
    }

    /// As [`Localnet::tx`], for commands that name the signing key themselves (`bank send`).
    pub fn tx_with(&self, signer: usize, via: usize, args: &[&str]) -> u64 {
        let node = self.nodes[via].rpc_url();
        let mut all = vec!["tx"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--keyring-backend",
            "test",
            "--node",
            &node,
            "--gas",
            "auto",
            "--wait",
            "--output",
            "json",
        ]);
        let out = self.depind(signer, &all);
        assert!(
            out.status.success(),
            "depind {all:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("depind {all:?} printed no JSON ({e})"));
        assert_eq!(r["code"], 0, "depind {all:?}: {r}");
        r["height"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("no height in {r}"))
    }

    /// What node `i`'s application reports through ABCI Info: (last height, its app hash).
    pub fn app_info(&self, i: usize) -> (u64, Vec<u8>) {
        let r = self
            .rt
            .block_on(self.rpc(i).abci_info())
            .unwrap_or_else(|e| panic!("/abci_info on node{i}: {e}"));
        // tendermint-rpc 0.40 keeps the base64 text CometBFT sends as the hash's bytes.
        let raw = r.last_block_app_hash.as_bytes();
        let hash = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap_or_else(|_| raw.to_vec());
        (r.last_block_height.value(), hash)
    }

    /// The tail of every node's logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            out.push_str(&tail_logs(&format!("node{i} "), &n.home));
        }
        out
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// Polls `child` until it exits (then takes it and returns its status) or `timeout` passes.
fn wait_exit(child: &mut Option<Child>, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        let status = child
            .as_mut()?
            .try_wait()
            .expect("waiting for a child process");
        if let Some(status) = status {
            *child = None;
            return Some(status);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn tail_logs(label: &str, home: &Path) -> String {
    let mut out = String::new();
    for name in ["depind.log", "cometbft.log"] {
        let text = std::fs::read_to_string(home.join(name)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n");
        out.push_str(&format!("--- {label}{name}\n{tail}\n"));
    }
    out
}
