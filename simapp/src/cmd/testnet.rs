//! `depind testnet --validators N --output-dir D`: N ready homes for a local multi-validator
//! chain on 127.0.0.1. Each `D/node<i>` gets CometBFT's files (`cometbft init`), depind's
//! app.toml, a funded key `node<i>` (keyring-backend test; mnemonic in `key_seed.json`), and a
//! gentx; the gentxs are collected into one genesis copied to every node. CometBFT's
//! config.toml is set for loopback (distinct ports, persistent peers, duplicate IPs allowed,
//! non-strict address book) and fast blocks. `--full-nodes K` adds homes node<N>..node<N+K-1>
//! that share the genesis and peers, with funded keys but no gentx: nodes that can join the
//! validator set later through MsgCreateValidator.
//!
//! Ports of node i, from `--starting-port P` (default 26656) in steps of 10: p2p P+10i,
//! CometBFT RPC P+10i+1, ABCI P+10i+2, gRPC P+10i+3, REST P+10i+4.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};

use super::gentx::{collect, write_gentx, GentxArgs};
use super::staking::ValidatorFlags;
use super::{Context, Output};
use crate::config::{config_dir, genesis_path, read_json, write_json, AppToml};
use crate::keyring::{Backend, Keyring};

#[derive(clap::Args)]
pub struct TestnetArgs {
    /// How many validators (and homes).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Homes for nodes that follow the chain without being bonded at genesis: node<N> ..
    /// Their keys are funded, so they can become validators later with
    /// `depind tx staking create-validator`.
    #[arg(long, default_value_t = 0)]
    pub full_nodes: usize,
    /// Where to write node0 .. node<N-1>.
    #[arg(long)]
    pub output_dir: PathBuf,
    /// The chain id written into every node's genesis.
    #[arg(long, default_value = "depin-testnet-1")]
    pub chain_id: String,
    /// The first port; node i uses starting-port + 10 i .. + 4.
    #[arg(long, default_value_t = 26656)]
    pub starting_port: u16,
    /// The CometBFT binary (`cometbft init` and `cometbft show-node-id` are run per node).
    #[arg(long, env = "COMETBFT", default_value = "cometbft")]
    pub cometbft: PathBuf,
    /// Genesis funds of each node's key.
    #[arg(long, default_value = "1000000000000udepin")]
    pub funds: String,
    /// Each validator's self delegation (power = amount / 10^6).
    #[arg(long, default_value = "100000000udepin")]
    pub stake: String,
    /// CometBFT's consensus.timeout_commit.
    #[arg(long, default_value = "500ms")]
    pub timeout_commit: String,
    /// Genesis parameters of one of the seed networks: iot, compute, storage or identity
    /// (`depind preset list` describes them). Without it, every module's defaults.
    #[arg(long)]
    pub preset: Option<String>,
}

/// The ports of node `i`.
#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    pub p2p: u16,
    pub rpc: u16,
    pub abci: u16,
    pub grpc: u16,
    pub api: u16,
}

impl NodePorts {
    pub fn of(starting_port: u16, i: usize) -> Result<Self> {
        let base = u16::try_from(i)
            .ok()
            .and_then(|i| i.checked_mul(10))
            .and_then(|o| starting_port.checked_add(o))
            .filter(|b| b.checked_add(4).is_some())
            .ok_or_else(|| anyhow!("ports of node {i} from {starting_port} exceed 65535"))?;
        Ok(NodePorts {
            p2p: base,
            rpc: base + 1,
            abci: base + 2,
            grpc: base + 3,
            api: base + 4,
        })
    }
}

fn run_cometbft(bin: &Path, args: &[&str], home: &Path) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .arg("--home")
        .arg(home)
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "running {} (install it with scripts/install-cometbft.sh, or pass --cometbft)",
                bin.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "{} {args:?} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Sets `key = value` in `[section]` of a TOML text ("" is the top level), keeping everything
/// else (comments included) as it is. Fails when the key is not there.
pub fn set_toml(text: &str, section: &str, key: &str, value: &str) -> Result<String> {
    let mut current = String::new();
    let mut found = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            current = t.trim_matches(|c| c == '[' || c == ']').to_string();
        }
        let is_key = t
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == key && !t.starts_with('#'));
        if !found && current == section && is_key {
            out.push(format!("{key} = {value}"));
            found = true;
        } else {
            out.push(line.to_string());
        }
    }
    if !found {
        bail!("config.toml has no {key} in [{section}]");
    }
    let mut s = out.join("\n");
    s.push('\n');
    Ok(s)
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

pub fn run(ctx: &Context, args: TestnetArgs) -> Result<()> {
    if args.validators == 0 {
        bail!("--validators must be at least 1");
    }
    std::fs::create_dir_all(&args.output_dir)?;
    let total = args
        .validators
        .checked_add(args.full_nodes)
        .ok_or_else(|| anyhow!("too many nodes"))?;
    let homes: Vec<PathBuf> = (0..total)
        .map(|i| args.output_dir.join(format!("node{i}")))
        .collect();
    for h in &homes {
        if h.exists() {
            bail!(
                "{} exists: remove it or choose another --output-dir",
                h.display()
            );
        }
    }
    let funds = depin_app::coins::parse(&args.funds).map_err(|e| anyhow!(e.message))?;
    let preset = args
        .preset
        .as_deref()
        .map(crate::presets::find)
        .transpose()?;
    let gentx_dir = args.output_dir.join("gentxs");
    std::fs::create_dir_all(&gentx_dir)?;

    // Per node: CometBFT's files, depind's, a funded key and (validators) a gentx.
    let mut nodes = Vec::new();
    for (i, home) in homes.iter().enumerate() {
        let ports = NodePorts::of(args.starting_port, i)?;
        let moniker = format!("node{i}");
        eprintln!(
            "testnet: [{}/{total}] node{i}: CometBFT and depind files, key, {}",
            i + 1,
            if i < args.validators {
                "gentx"
            } else {
                "no gentx (full node)"
            }
        );
        run_cometbft(&args.cometbft, &["init"], home)?;
        super::init::init_home(home, &args.chain_id, false, preset)?;
        let keyring = Keyring::open(home, Backend::Test, crate::ADDRESS_PREFIX, None)?;
        let (info, mnemonic) = keyring.add(&moniker, None, false)?;
        write_json(
            &home.join("key_seed.json"),
            &json!({ "name": moniker, "address": info.address, "secret": mnemonic }),
        )?;
        super::genesis::add_genesis_account(home, &info.address, &funds)?;
        let valoper = if i < args.validators {
            let node_ctx = Context {
                home: home.clone(),
                output: Output::Json,
            };
            let (_, file) = write_gentx(
                &node_ctx,
                &GentxArgs {
                    key_name: moniker.clone(),
                    amount: args.stake.clone(),
                    chain_id: Some(args.chain_id.clone()),
                    validator: ValidatorFlags {
                        moniker: Some(moniker.clone()),
                        identity: String::new(),
                        website: String::new(),
                        security_contact: String::new(),
                        details: String::new(),
                        commission_rate: "0.1".into(),
                        commission_max_rate: "0.2".into(),
                        commission_max_change_rate: "0.01".into(),
                        min_self_delegation: "1".into(),
                        pubkey: None,
                    },
                    keyring_backend: "test".into(),
                    output_document: Some(gentx_dir.join(format!("gentx-{moniker}.json"))),
                },
            )?;
            file.validator_address
        } else {
            super::staking::valoper_of(&info.address)?
        };
        let node_id = run_cometbft(&args.cometbft, &["show-node-id"], home)?;
        nodes.push((home.clone(), ports, info.address, valoper, node_id));
    }

    // One genesis: node0's, with every node's account, then every gentx.
    let mut genesis = read_json(&genesis_path(&homes[0]))?;
    {
        let tmp = args.output_dir.join("genesis-build");
        std::fs::create_dir_all(config_dir(&tmp))?;
        write_json(&genesis_path(&tmp), &genesis)?;
        for (_, _, address, _, _) in nodes.iter().skip(1) {
            super::genesis::add_genesis_account(&tmp, address, &funds)?;
        }
        genesis = read_json(&genesis_path(&tmp))?;
        std::fs::remove_dir_all(&tmp)?;
    }
    eprintln!(
        "testnet: collecting {} gentxs into one genesis and checking it starts a chain",
        args.validators
    );
    collect(&mut genesis, &gentx_dir)?;
    let (_, set) = super::genesis::validate_genesis(&genesis)
        .map_err(|e| anyhow!("the collected genesis does not start a chain: {e}"))?;
    if set.len() != args.validators {
        bail!(
            "InitChain bonds {} validators, not {}",
            set.len(),
            args.validators
        );
    }

    for (i, (home, ports, address, valoper, node_id)) in nodes.iter().enumerate() {
        write_json(&genesis_path(home), &genesis)?;
        // CometBFT's config.toml.
        let peers: Vec<String> = nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, (_, p, _, _, id))| format!("{id}@127.0.0.1:{}", p.p2p))
            .collect();
        let path = config_dir(home).join("config.toml");
        let mut text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for (section, key, value) in [
            ("", "moniker", quoted(&format!("node{i}"))),
            (
                "",
                "proxy_app",
                quoted(&format!("tcp://127.0.0.1:{}", ports.abci)),
            ),
            (
                "rpc",
                "laddr",
                quoted(&format!("tcp://127.0.0.1:{}", ports.rpc)),
            ),
            (
                "p2p",
                "laddr",
                quoted(&format!("tcp://127.0.0.1:{}", ports.p2p)),
            ),
            ("p2p", "persistent_peers", quoted(&peers.join(","))),
            ("p2p", "addr_book_strict", "false".into()),
            ("p2p", "allow_duplicate_ip", "true".into()),
            ("consensus", "timeout_commit", quoted(&args.timeout_commit)),
        ] {
            text = set_toml(&text, section, key, &value)?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        // depind's app.toml.
        let mut app = AppToml::default();
        app.abci.address = format!("tcp://127.0.0.1:{}", ports.abci);
        app.grpc.address = format!("127.0.0.1:{}", ports.grpc);
        app.api.address = format!("127.0.0.1:{}", ports.api);
        app.rpc.address = format!("http://127.0.0.1:{}", ports.rpc);
        app.save(home)?;
        let role = if i < args.validators {
            "validator"
        } else {
            "full node, would-be validator"
        };
        eprintln!(
            "node{i}: {} {role} {valoper} (key node{i} = {address}) node id {node_id}; \
             rpc 127.0.0.1:{} p2p {} abci {} grpc {} api {}",
            home.display(),
            ports.rpc,
            ports.p2p,
            ports.abci,
            ports.grpc,
            ports.api
        );
    }
    ctx.print(&json!({
        "chain_id": args.chain_id,
        "preset": preset.map(|p| p.name),
        "output_dir": args.output_dir.display().to_string(),
        "nodes": nodes.iter().enumerate().map(|(i, (home, p, address, valoper, id))| json!({
            "home": home.display().to_string(),
            "bonded_at_genesis": i < args.validators,
            "node_id": id,
            "key_address": address,
            "validator_address": valoper,
            "rpc": format!("tcp://127.0.0.1:{}", p.rpc),
            "p2p": format!("127.0.0.1:{}", p.p2p),
            "abci": format!("tcp://127.0.0.1:{}", p.abci),
            "grpc": format!("127.0.0.1:{}", p.grpc),
            "api": format!("http://127.0.0.1:{}", p.api),
        })).collect::<Vec<Value>>(),
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{set_toml, NodePorts};

    #[test]
    fn set_toml_changes_the_key_of_its_section_only() {
        let text =
            "laddr = \"top\"\n# laddr = \"comment\"\n[rpc]\nladdr = \"a\"\n[p2p]\nladdr = \"b\"\n";
        let out = set_toml(text, "p2p", "laddr", "\"c\"").unwrap();
        assert_eq!(
            out,
            "laddr = \"top\"\n# laddr = \"comment\"\n[rpc]\nladdr = \"a\"\n[p2p]\nladdr = \"c\"\n"
        );
        let out = set_toml(text, "", "laddr", "\"t\"").unwrap();
        assert!(out.starts_with("laddr = \"t\"\n"));
        assert!(set_toml(text, "consensus", "timeout_commit", "\"1s\"").is_err());
    }

    #[test]
    fn node_ports_are_ten_apart_and_bounded() {
        let p = NodePorts::of(26656, 2).unwrap();
        assert_eq!(
            (p.p2p, p.rpc, p.abci, p.grpc, p.api),
            (26676, 26677, 26678, 26679, 26680)
        );
        assert!(NodePorts::of(65530, 1).is_err());
    }
}
