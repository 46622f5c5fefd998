//! `depind testnet`: N homes whose one genesis bonds every node's consensus key, and whose
//! CometBFT and depind configs agree with each other (ports, peers). Needs the `cometbft`
//! binary: $COMETBFT, or what scripts/install-cometbft.sh installs (it skips when present).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn cometbft() -> PathBuf {
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
}

fn depind(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_depind"))
        .args(args)
        .output()
        .expect("running depind");
    assert!(
        out.status.success(),
        "depind {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `key = "value"` in `[section]` of a TOML file ("" for the top level).
fn toml_value(path: &Path, section: &str, key: &str) -> toml::Value {
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = if section.is_empty() {
        &doc
    } else {
        doc[section].as_table().unwrap()
    };
    table[key].clone()
}

#[test]
fn testnet_writes_consistent_homes_whose_genesis_bonds_every_node() {
    const N: usize = 3;
    const PORT: u16 = 41_000;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let bin = cometbft();
    let report: Value = serde_json::from_str(
        depind(&[
            "testnet",
            "--validators",
            &N.to_string(),
            "--output-dir",
            out.to_str().unwrap(),
            "--chain-id",
            "depin-tn-1",
            "--starting-port",
            &PORT.to_string(),
            "--cometbft",
            bin.to_str().unwrap(),
            "--output",
            "json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(report["nodes"].as_array().unwrap().len(), N);

    let homes: Vec<PathBuf> = (0..N).map(|i| out.join(format!("node{i}"))).collect();
    let genesis = read_json(&homes[0].join("config/genesis.json"));
    assert_eq!(genesis["chain_id"], "depin-tn-1");
    assert_eq!(genesis["validators"], serde_json::json!([]));
    let mut node_ids = Vec::new();
    let mut consensus_keys = BTreeSet::new();
    for home in &homes {
        // One genesis for all.
        assert_eq!(read_json(&home.join("config/genesis.json")), genesis);
        let id = Command::new(&bin)
            .args(["show-node-id", "--home"])
            .arg(home)
            .output()
            .unwrap();
        node_ids.push(String::from_utf8_lossy(&id.stdout).trim().to_string());
        let key = read_json(&home.join("config/priv_validator_key.json"));
        consensus_keys.insert(key["pub_key"]["value"].as_str().unwrap().to_string());
        assert!(home.join("key_seed.json").exists());
    }

    // InitChain bonds every node's consensus key with power 100 (100000000udepin each).
    let validated: Value = serde_json::from_str(
        depind(&[
            "genesis",
            "validate",
            "--home",
            homes[1].to_str().unwrap(),
            "-o",
            "json",
        ])
        .trim(),
    )
    .unwrap();
    let set = validated["validators"].as_array().unwrap();
    assert_eq!(set.len(), N);
    let bonded: BTreeSet<String> = set
        .iter()
        .map(|v| {
            assert_eq!(v["power"], "100");
            v["pub_key"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(bonded, consensus_keys);

    // Configs: distinct ports, CometBFT's proxy_app is depind's ABCI address, RPCs agree, and
    // every node peers with all the others.
    let mut ports = BTreeSet::new();
    for (i, home) in homes.iter().enumerate() {
        let config = home.join("config/config.toml");
        let app = home.join("config/app.toml");
        let base = PORT + 10 * i as u16;
        assert_eq!(
            toml_value(&config, "", "proxy_app").as_str().unwrap(),
            format!("tcp://127.0.0.1:{}", base + 2)
        );
        assert_eq!(
            toml_value(&app, "abci", "address").as_str().unwrap(),
            format!("tcp://127.0.0.1:{}", base + 2)
        );
        assert_eq!(
            toml_value(&config, "rpc", "laddr").as_str().unwrap(),
            format!("tcp://127.0.0.1:{}", base + 1)
        );
        assert_eq!(
            toml_value(&app, "rpc", "address").as_str().unwrap(),
            format!("http://127.0.0.1:{}", base + 1)
        );
        assert_eq!(
            toml_value(&config, "p2p", "laddr").as_str().unwrap(),
            format!("tcp://127.0.0.1:{base}")
        );
        assert_eq!(
            toml_value(&config, "p2p", "allow_duplicate_ip").as_bool(),
            Some(true)
        );
        assert_eq!(
            toml_value(&config, "p2p", "addr_book_strict").as_bool(),
            Some(false)
        );
        assert_eq!(
            toml_value(&config, "consensus", "timeout_commit")
                .as_str()
                .unwrap(),
            "500ms"
        );
        let peers: BTreeSet<String> = toml_value(&config, "p2p", "persistent_peers")
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let expected: BTreeSet<String> = (0..N)
            .filter(|j| *j != i)
            .map(|j| format!("{}@127.0.0.1:{}", node_ids[j], PORT + 10 * j as u16))
            .collect();
        assert_eq!(peers, expected, "peers of node{i}");
        for a in [
            toml_value(&app, "grpc", "address"),
            toml_value(&app, "api", "address"),
        ] {
            assert!(ports.insert(a.as_str().unwrap().to_string()));
        }
        for p in [base, base + 1, base + 2] {
            assert!(ports.insert(format!("127.0.0.1:{p}")));
        }
    }

    // A second run into the same folder is refused rather than mixing two nets.
    let again = Command::new(env!("CARGO_BIN_EXE_depind"))
        .args(["testnet", "--validators", "1", "--output-dir"])
        .arg(&out)
        .arg("--cometbft")
        .arg(&bin)
        .output()
        .unwrap();
    assert!(!again.status.success());
}

#[test]
fn presets_shape_the_genesis_of_testnet_and_init() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let bin = cometbft();
    let port = free_port_range(20).to_string();
    let run = Command::new(env!("CARGO_BIN_EXE_depind"))
        .args(["testnet", "--validators", "2", "--preset", "compute"])
        .args(["--starting-port", &port, "--output-dir"])
        .arg(&out)
        .arg("--cometbft")
        .arg(&bin)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // Progress on stderr, one JSON report on stdout.
    for line in [
        "testnet: [1/2] node0",
        "testnet: [2/2] node1",
        "collecting 2 gentxs",
    ] {
        assert!(stderr.contains(line), "no {line:?} in {stderr}");
    }
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["preset"], "compute");
    let genesis = read_json(&out.join("node1/config/genesis.json"));
    let market = &genesis["app_state"]["market"]["params"];
    assert_eq!(market["take_rate_bps"], 400);
    assert_eq!(
        market["take_destination"],
        "TAKE_DESTINATION_COMMUNITY_POOL"
    );
    assert_eq!(
        genesis["app_state"]["rewards"]["params"]["providers_bps"],
        4_000
    );

    // init --preset: the same params; an unknown preset names the known ones and writes nothing.
    let home = dir.path().join("single");
    let init = |preset: &str| {
        Command::new(env!("CARGO_BIN_EXE_depind"))
            .args([
                "init",
                "n",
                "--chain-id",
                "p-1",
                "--preset",
                preset,
                "--home",
            ])
            .arg(&home)
            .output()
            .unwrap()
    };
    let bad = init("solar");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("iot, compute, storage, identity"));
    assert!(!home.join("config/app.toml").exists());
    assert!(init("iot").status.success());
    let g = read_json(&home.join("config/genesis.json"));
    assert_eq!(
        g["app_state"]["device"]["params"]["classes"][0]["name"],
        "hotspot"
    );
    assert_eq!(g["app_state"]["rewards"]["params"]["devices_bps"], 7_000);

    // preset list / show print what init applies.
    let list: Value =
        serde_json::from_str(depind(&["preset", "list", "-o", "json"]).trim()).unwrap();
    let names: Vec<&str> = list["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["iot", "compute", "storage", "identity"]);
    let show: Value =
        serde_json::from_str(depind(&["preset", "show", "iot", "-o", "json"]).trim()).unwrap();
    assert_eq!(
        show["params"]["rewards"],
        g["app_state"]["rewards"]["params"]
    );
    assert!(show["modules"]
        .as_array()
        .unwrap()
        .contains(&"device".into()));
}

#[test]
fn genesis_edits_keep_the_genesis_valid() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_depind"))
            .args(args)
            .args(["--home", &home, "-o", "json"])
            .output()
            .unwrap()
    };
    assert!(run(&["init", "n", "--chain-id", "g-1"]).status.success());
    let path = dir.path().join("config/genesis.json");
    let genesis = || read_json(&path);

    // set-param keeps the JSON type (u64 as a string, u32 as a number) and reports old → new.
    let out = run(&["genesis", "set-param", "rewards", "epoch_blocks", "10"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["old"].clone(), report["new"].clone()),
        ("600".into(), "10".into())
    );
    assert!(
        run(&["genesis", "set-param", "market", "take_rate_bps", "300"])
            .status
            .success()
    );
    let g = genesis();
    assert_eq!(g["app_state"]["rewards"]["params"]["epoch_blocks"], "10");
    assert_eq!(g["app_state"]["market"]["params"]["take_rate_bps"], 300);
    // Refusals name the problem and leave the file as it was.
    for (args, says) in [
        (vec!["rewards", "epoch_blok", "10"], "its params: "),
        (vec!["nope", "x", "1"], "no params of a module"),
        (vec!["rewards", "validators_bps", "9000"], "refused"),
        (vec!["market", "take_rate_bps", "ten"], "takes JSON"),
    ] {
        let mut all = vec!["genesis", "set-param"];
        all.extend(args.iter());
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
        assert_eq!(genesis(), g, "{args:?} changed the genesis");
    }

    // add-maker: a key from `device keygen`, classes that exist, a name used once.
    let key: Value = serde_json::from_slice(&run(&["device", "keygen"]).stdout).unwrap();
    let key = key["public_key"].as_str().unwrap();
    let out = run(&[
        "genesis",
        "add-maker",
        "acme",
        key,
        "--classes",
        "hotspot,energy",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let makers = genesis()["app_state"]["device"]["makers"].clone();
    assert_eq!(makers[0]["name"], "acme");
    assert_eq!(
        makers[0]["allowed_classes"],
        serde_json::json!(["hotspot", "energy"])
    );
    let g = genesis();
    let other: Value = serde_json::from_slice(&run(&["device", "keygen"]).stdout).unwrap();
    let other = other["public_key"].as_str().unwrap();
    for args in [
        vec!["acme", other, "--classes", "hotspot"],
        vec!["other", other, "--classes", "no-such-class"],
        vec!["other", "secp256k1:00", "--classes", "hotspot"],
    ] {
        let mut all = vec!["genesis", "add-maker"];
        all.extend(args.iter());
        assert!(!run(&all).status.success(), "{args:?}");
        assert_eq!(genesis(), g, "{args:?} changed the genesis");
    }
}

/// Kills the processes it holds when dropped (also when the test fails).
struct Processes(Vec<std::process::Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A base port with `count` free ports above it on 127.0.0.1.
fn free_port_range(count: u16) -> u16 {
    depin_simapp::testing::reserve_ports(count)
}

/// GET of a CometBFT RPC path, as JSON.
fn rpc_get(port: u16, path: &str) -> Option<Value> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    serde_json::from_str(body).ok()
}

fn height(port: u16) -> u64 {
    rpc_get(port, "/status")
        .and_then(|v| {
            v["result"]["sync_info"]["latest_block_height"]
                .as_str()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// node → voting power in CometBFT's current set, by consensus public key (base64).
fn cometbft_powers(port: u16) -> std::collections::BTreeMap<String, u64> {
    rpc_get(port, "/validators")
        .and_then(|v| {
            v["result"]["validators"].as_array().map(|vs| {
                vs.iter()
                    .map(|v| {
                        (
                            v["pub_key"]["value"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            v["voting_power"]
                                .as_str()
                                .unwrap_or("0")
                                .parse()
                                .unwrap_or(0),
                        )
                    })
                    .collect()
            })
        })
        .unwrap_or_default()
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed().as_secs() < secs,
            "timed out after {secs}s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// The homes run: 3 CometBFT + 3 depind processes make blocks with the gentx validators as
/// CometBFT's set, and a delegation through `depind tx staking delegate` raises the
/// validator's power in CometBFT's /validators.
#[test]
fn a_three_validator_testnet_makes_blocks_and_follows_delegations() {
    const N: usize = 3;
    let base = free_port_range(10 * N as u16 + 5);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let bin = cometbft();
    depind(&[
        "testnet",
        "--validators",
        &N.to_string(),
        "--output-dir",
        out.to_str().unwrap(),
        "--starting-port",
        &base.to_string(),
        "--timeout-commit",
        "300ms",
        "--cometbft",
        bin.to_str().unwrap(),
    ]);
    let homes: Vec<PathBuf> = (0..N).map(|i| out.join(format!("node{i}"))).collect();
    let mut procs = Processes(Vec::new());
    for home in &homes {
        let log = std::fs::File::create(home.join("depind.log")).unwrap();
        procs.0.push(
            Command::new(env!("CARGO_BIN_EXE_depind"))
                .args(["start", "--home"])
                .arg(home)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    for home in &homes {
        let log = std::fs::File::create(home.join("cometbft.log")).unwrap();
        procs.0.push(
            Command::new(&bin)
                .args(["start", "--home"])
                .arg(home)
                .stdout(log)
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    let rpc = |i: usize| base + 10 * i as u16 + 1;
    wait_until("blocks on every node", 90, || {
        (0..N).all(|i| height(rpc(i)) >= 2)
    });

    // CometBFT runs with the gentx validators, power 100 each.
    let keys: BTreeSet<String> = homes
        .iter()
        .map(|h| {
            read_json(&h.join("config/priv_validator_key.json"))["pub_key"]["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let powers = cometbft_powers(rpc(0));
    assert_eq!(powers.keys().cloned().collect::<BTreeSet<_>>(), keys);
    assert!(powers.values().all(|p| *p == 100), "{powers:?}");

    // node0's key delegates 7 power to node1's validator.
    let node = format!("tcp://127.0.0.1:{}", rpc(0));
    let validators: Value = serde_json::from_str(
        depind(&[
            "query",
            "staking",
            "validators",
            "--node",
            &node,
            "-o",
            "json",
        ])
        .trim(),
    )
    .unwrap();
    let node1_key = read_json(&homes[1].join("config/priv_validator_key.json"))["pub_key"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let node1_valoper = validators["validators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["consensus_pubkey"]["key"] == node1_key.as_str())
        .map(|v| v["operator_address"].as_str().unwrap().to_string())
        .expect("node1's validator");
    depind(&[
        "tx",
        "staking",
        "delegate",
        &node1_valoper,
        "7000000udepin",
        "--from",
        "node0",
        "--home",
        homes[0].to_str().unwrap(),
        "--node",
        &node,
        "--gas",
        "auto",
        "--wait",
        "-o",
        "json",
    ]);
    wait_until("node1's power of 107 in CometBFT's set", 30, || {
        cometbft_powers(rpc(2)).get(&node1_key) == Some(&107)
    });
    let pool: Value = serde_json::from_str(
        depind(&["query", "staking", "pool", "--node", &node, "-o", "json"]).trim(),
    )
    .unwrap();
    assert_eq!(pool["pool"]["bonded_tokens"], "307000000");
    drop(procs);
}
