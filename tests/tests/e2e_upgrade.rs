//! A software upgrade end to end on a one-validator localnet of real processes, driven through
//! the `depind` CLI as an operator would:
//! - governance schedules the plan "v2" (`tx upgrade software-upgrade`, the validator votes
//!   yes, the proposal passes, `query upgrade plan` shows it);
//! - at the plan's height the node halts cleanly: depind exits by itself with status 3 and a
//!   message naming the upgrade, writes `data/upgrade-info.json` for cosmovisor and commits
//!   nothing of that block (its state stays at the height before); CometBFT stops with it;
//! - the old binary started again halts again at the same block, still committing nothing;
//! - the release that knows "v2" (`depind-e2e-v2`) replays the block, runs its migration
//!   (gov's consensus version 1 → 2) and the chain goes on: the upgrade is recorded as applied
//!   at the plan's height, the plan is gone and a bank transfer still works.

use std::path::Path;
use std::time::{Duration, Instant};

use depin_app::node::HALT_EXIT_CODE;
use depin_simapp::testing::TestKey;
use depin_tests::localnet::Localnet;
use serde_json::{json, Value};
use tendermint::block::Height;
use tendermint_rpc::Client;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
/// The same CLI with the migration of the upgrade "v2".
const DEPIND_V2: &str = env!("CARGO_BIN_EXE_depind-e2e-v2");
const TIMEOUT: Duration = Duration::from_secs(30);
const DENOM: &str = "udepin";

const UPGRADE: &str = "v2";
const UPGRADE_INFO: &str = r#"{"binaries":{"linux/amd64":"https://example.invalid/depind-v2"}}"#;
/// Governance: short periods (block time), the default minimum deposit.
const VOTING_PERIOD_NS: u64 = 2_000_000_000;
const EXPEDITED_VOTING_PERIOD_NS: u64 = 1_000_000_000;
const DEPOSIT: &str = "10000000udepin";
/// The plan's height, counted from the height before submission: blocks take at least the
/// commit timeout (300 ms), so the 2 s voting period ends within about 7 blocks of the
/// submission and the proposal passes well before the height.
const LEAD: u64 = 12;

fn num(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {v}")),
        Value::Number(n) => n.as_u64().expect("an integer"),
        _ => panic!("not a number: {v}"),
    }
}

/// `query upgrade module-versions`: module name → consensus version.
fn module_versions(net: &Localnet) -> Vec<(String, u64)> {
    let r = net.query(0, &["upgrade", "module-versions"]);
    r["module_versions"]
        .as_array()
        .unwrap_or_else(|| panic!("no module_versions in {r}"))
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_string(),
                num(&m["version"]),
            )
        })
        .collect()
}

fn applied(net: &Localnet, name: &str) -> u64 {
    num(&net.query(0, &["upgrade", "applied", name])["height"])
}

fn balance(net: &Localnet, address: &str) -> u64 {
    let r = net.query(0, &["bank", "balances", address, "--denom", DENOM]);
    match &r["amount"] {
        Value::Null => 0,
        v => num(v),
    }
}

/// What was appended to `<home>/<name>` since it was `from` bytes long.
fn log_since(home: &Path, name: &str, from: usize) -> String {
    let text = std::fs::read_to_string(home.join(name)).unwrap_or_default();
    text.get(from..).unwrap_or_default().to_string()
}

fn log_len(home: &Path, name: &str) -> usize {
    std::fs::metadata(home.join(name)).map_or(0, |m| m.len() as usize)
}

/// The halts depind reported in `log`: (height, the message from the upgrade module's
/// `UPGRADE` on).
fn halt_lines(log: &str) -> Vec<(u64, String)> {
    log.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("depin-app: halt at height ")?;
            let (h, message) = rest.split_once(": ")?;
            let at = message.find("UPGRADE").unwrap_or(0);
            Some((h.parse().ok()?, message[at..].to_string()))
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_chain_halts_at_the_upgrade_height_and_the_new_binary_migrates() {
    let started = Instant::now();
    let mut net = Localnet::generate(DEPIND, 1, 0);
    net.patch_genesis(|g| {
        let p = &mut g["app_state"]["gov"]["params"];
        p["voting_period_ns"] = json!(VOTING_PERIOD_NS);
        p["expedited_voting_period_ns"] = json!(EXPEDITED_VOTING_PERIOD_NS);
    });
    let home = net.nodes[0].home.clone();
    // Where depind keeps its state, the info directory `depind start` gives the upgrade module.
    let info_file = home.join("data").join(depin_upgrade::UPGRADE_INFO_FILE);
    net.start(0);
    net.wait_height(0, 2, TIMEOUT);

    // Before: the binary's version map, no plan, "v2" never applied.
    let genesis_versions: Vec<(String, u64)> = {
        let mut v: Vec<_> = depin_simapp::MODULE_VERSIONS
            .iter()
            .map(|(m, v)| (m.to_string(), *v))
            .collect();
        v.sort();
        v
    };
    assert_eq!(module_versions(&net), genesis_versions);
    assert_eq!(net.query(0, &["upgrade", "plan"])["plan"], Value::Null);
    assert_eq!(applied(&net, UPGRADE), 0);

    // 1. The plan through governance: submitted, voted yes by the only validator, passed.
    let height = net.height(0) + LEAD;
    let h = height.to_string();
    let submitted = net.tx(
        0,
        0,
        &[
            "upgrade",
            "software-upgrade",
            UPGRADE,
            "--upgrade-height",
            &h,
            "--upgrade-info",
            UPGRADE_INFO,
            "--title",
            "Upgrade to v2",
            "--summary",
            "Migrates gov to version 2",
            "--deposit",
            DEPOSIT,
        ],
    );
    let voted = net.tx(0, 0, &["gov", "vote", "1", "yes"]);
    assert!(
        submitted <= voted && voted < height,
        "{submitted} {voted} {height}"
    );
    let mut status = Value::Null;
    net.wait_until("proposal 1 decided", TIMEOUT, |n| {
        status = n.query(0, &["gov", "proposal", "1"])["proposal"]["status"].clone();
        status != "PROPOSAL_STATUS_VOTING_PERIOD"
    });
    assert_eq!(status, "PROPOSAL_STATUS_PASSED");
    let decided_by = net.height(0);
    assert!(
        decided_by < height,
        "passed at {decided_by}, plan at {height}"
    );
    let plan = net.query(0, &["upgrade", "plan"])["plan"].clone();
    assert_eq!(plan["name"], UPGRADE, "{plan}");
    assert_eq!(num(&plan["height"]), height, "{plan}");
    assert_eq!(plan["info"], UPGRADE_INFO, "{plan}");
    assert!(!info_file.exists());

    // 2. At the plan's height depind stops by itself, naming the upgrade, and commits nothing
    //    of that block; CometBFT (whose highest block seen over RPC is at most the plan's
    //    height) loses its application connection and shuts itself down.
    let mut highest = 0;
    let waiting = Instant::now();
    let halted = loop {
        if let Some(status) = net.wait_depind_exit(0, Duration::from_millis(100)) {
            break status;
        }
        highest = highest.max(net.height(0));
        assert!(
            waiting.elapsed() < TIMEOUT,
            "depind did not stop; logs:\n{}",
            net.logs()
        );
    };
    assert_eq!(
        halted.code(),
        Some(HALT_EXIT_CODE),
        "{halted}; logs:\n{}",
        net.logs()
    );
    assert!(
        highest + 1 >= height && highest <= height,
        "CometBFT reported height {highest}, the plan is at {height}"
    );
    let needed = format!("UPGRADE \"{UPGRADE}\" NEEDED at height: {height}: {UPGRADE_INFO}");
    let log = log_since(&home, "depind.log", 0);
    assert_eq!(
        halt_lines(&log),
        [(height, needed.clone())],
        "depind's output:\n{log}"
    );
    let expected_info = json!({"name": UPGRADE, "height": height, "info": UPGRADE_INFO});
    assert_eq!(read_json(&info_file), expected_info);
    let comet = net
        .wait_cometbft_exit(0, TIMEOUT)
        .unwrap_or_else(|| panic!("CometBFT still runs; logs:\n{}", net.logs()));
    // It traps the SIGTERM it sends itself when an application connection closes.
    assert_eq!(comet.code(), Some(0), "CometBFT's exit: {comet}");
    let clog = log_since(&home, "cometbft.log", 0);
    for expected in [
        "connection terminated. Did the application crash?",
        "CONSENSUS FAILURE!!!",
        // The consensus connection reads EOF or a reset, whichever the closing socket gives
        // first (both seen).
        "failed to apply block; error read message: ",
    ] {
        assert!(
            clog.contains(expected),
            "no {expected:?} in cometbft.log:\n{clog}"
        );
    }

    // 3. The old binary again: its state is at the height before the plan's; CometBFT holds
    //    block H (stored before the application was asked to run it) and replays it in the
    //    handshake; depind halts again the same way, and CometBFT fails to start.
    let (d0, c0) = (log_len(&home, "depind.log"), log_len(&home, "cometbft.log"));
    std::fs::remove_file(&info_file).expect("remove upgrade-info.json");
    net.start(0);
    let again = net
        .wait_depind_exit(0, TIMEOUT)
        .unwrap_or_else(|| panic!("the old depind did not stop; logs:\n{}", net.logs()));
    assert_eq!(
        again.code(),
        Some(HALT_EXIT_CODE),
        "{again}; logs:\n{}",
        net.logs()
    );
    let log = log_since(&home, "depind.log", d0);
    assert!(
        log.contains(&format!("depind: state at height {} ", height - 1)),
        "depind's output:\n{log}"
    );
    assert_eq!(
        halt_lines(&log),
        [(height, needed)],
        "depind's output:\n{log}"
    );
    assert_eq!(read_json(&info_file), expected_info, "written again");
    let comet = net
        .wait_cometbft_exit(0, TIMEOUT)
        .unwrap_or_else(|| panic!("CometBFT still runs; logs:\n{}", net.logs()));
    assert_eq!(comet.code(), Some(1), "CometBFT's exit: {comet}");
    let clog = log_since(&home, "cometbft.log", c0);
    let handshake = format!(
        "appHeight={} storeHeight={height} stateHeight={}",
        height - 1,
        height - 1
    );
    for expected in [
        handshake.as_str(),
        "Replay last block using real app",
        "failed to create node: error during handshake: error on replay: read message: ",
    ] {
        assert!(
            clog.contains(expected),
            "no {expected:?} in cometbft.log:\n{clog}"
        );
    }

    // 4. The release that knows "v2": CometBFT replays block H into it, the migration runs in
    //    that block and the chain goes on.
    let (d1, c1) = (log_len(&home, "depind.log"), log_len(&home, "cometbft.log"));
    net.start_with(0, Path::new(DEPIND_V2));
    net.wait_height(0, height + 3, TIMEOUT);
    let log = log_since(&home, "depind.log", d1);
    assert!(
        log.contains(&format!("depind: state at height {} ", height - 1)),
        "depind's output:\n{log}"
    );
    assert!(halt_lines(&log).is_empty(), "depind's output:\n{log}");
    let clog = log_since(&home, "cometbft.log", c1);
    assert!(clog.contains(&handshake), "cometbft.log:\n{clog}");
    let (app_height, _) = net.app_info(0);
    assert!(app_height > height, "the application is at {app_height}");

    // Applied at exactly the plan's height: the state of H − 1 still has the plan and the old
    // versions, H's has neither.
    assert_eq!(applied(&net, UPGRADE), height);
    assert_eq!(net.query(0, &["upgrade", "plan"])["plan"], Value::Null);
    let gov = net.query(0, &["upgrade", "module-versions", "gov"]);
    assert_eq!(
        gov["module_versions"],
        json!([{"name": "gov", "version": "2"}])
    );
    let migrated: Vec<(String, u64)> = genesis_versions
        .iter()
        .map(|(m, v)| (m.clone(), if m == "gov" { 2 } else { *v }))
        .collect();
    assert_eq!(module_versions(&net), migrated);
    let before = (height - 1).to_string();
    let at_before = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--height", &before]);
        net.query(0, &all)
    };
    assert_eq!(at_before(&["upgrade", "plan"])["plan"]["name"], UPGRADE);
    assert_eq!(
        num(&at_before(&["upgrade", "applied", UPGRADE])["height"]),
        0
    );
    assert_eq!(
        at_before(&["upgrade", "module-versions", "gov"])["module_versions"],
        json!([{"name": "gov", "version": "1"}])
    );
    let results = net
        .rt
        .block_on(net.rpc(0).block_results(Height::try_from(height).unwrap()))
        .expect("block_results");
    let applied_events: Vec<Vec<(String, String)>> = results
        .finalize_block_events
        .iter()
        .filter(|e| e.kind == "upgrade_applied")
        .map(|e| {
            e.attributes
                .iter()
                .map(|a| {
                    (
                        a.key_str().unwrap_or_default().to_string(),
                        a.value_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .collect();
    let h = height.to_string();
    assert_eq!(
        applied_events,
        [[
            ("module", "upgrade"),
            ("name", UPGRADE),
            ("height", h.as_str())
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))]
    );

    // 5. Transactions still go through after the upgrade.
    let payee = TestKey::from_seed(0x5652).address;
    assert_eq!(balance(&net, &payee), 0);
    let sent = net.tx_with(0, 0, &["bank", "send", "node0", &payee, "1234udepin"]);
    assert!(sent > height, "sent at {sent}");
    assert_eq!(balance(&net, &payee), 1234);
    eprintln!("e2e_upgrade took {:?}", started.elapsed());
}
