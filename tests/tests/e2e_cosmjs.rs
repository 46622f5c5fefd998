//! cosmjs, unchanged, against a real chain: an "auto" fee (cosmjs simulates an unsigned tx
//! and multiplies by 1.4), a SIGN_MODE_DIRECT send through CometBFT RPC, balances, a missing
//! account, and a search by sender. Needs Node.js and npm (the packages come from the npm
//! registry, pinned by tests/cosmjs/package-lock.json).

use std::path::Path;
use std::process::Command;

use depin_tests::{Net, FUNDS};

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                        abandon abandon about";

fn cosmjs_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/cosmjs"))
}

fn node(args: &[&str]) -> serde_json::Value {
    let out = Command::new("node")
        .arg("client.mjs")
        .args(args)
        .current_dir(cosmjs_dir())
        .output()
        .expect("node (Node.js) must be installed for this test");
    assert!(
        out.status.success(),
        "cosmjs client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cosmjs client prints JSON")
}

#[test]
fn cosmjs_sends_with_an_auto_fee_and_reads_the_chain() {
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(cosmjs_dir())
        .status()
        .expect("npm must be installed for this test");
    assert!(status.success(), "npm ci failed in tests/cosmjs");

    let net = Net::start(DEPIND, 2);
    let address = node(&["address", MNEMONIC])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let r = net.submit(net.send_tx(&net.keys[0], &address, 10_000_000));
    assert_eq!(r.tx_result.code.value(), 0);

    let rpc = format!("http://127.0.0.1:{}", net.ports.rpc);
    let to = net.keys[1].address.clone();
    let unused = depin_simapp::testing::TestKey::from_seed(999).address;
    let out = node(&["send", &rpc, MNEMONIC, &to, "4321", &unused]);
    eprintln!("cosmjs: {out}");
    assert_eq!(out["chainId"], depin_tests::CHAIN_ID);
    assert_eq!(out["sequence"], 0);
    let before: u128 = out["before"].as_str().unwrap().parse().unwrap();
    let after: u128 = out["after"].as_str().unwrap().parse().unwrap();
    assert_eq!(after - before, 4321);
    assert_eq!(out["missingAccountIsNull"], true);
    assert!(out["foundBySender"].as_u64().unwrap() >= 1);
    let wanted: u64 = out["gasWanted"].as_str().unwrap().parse().unwrap();
    let used: u64 = out["gasUsed"].as_str().unwrap().parse().unwrap();
    assert!(used <= wanted, "used {used} > wanted {wanted}");
    assert_eq!(net.balance_grpc(&to), FUNDS + 4321);
    // The wallet's account now has its key and sequence on chain.
    assert_eq!(net.account(&address).1, 1);
}
