//! Genesis validators by gentx, through the depind binary: two funded keys sign gentxs,
//! collect-gentxs writes them into staking's genesis, and InitChain answers both as the set.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_json::{json, Value};

const CHAIN_ID: &str = "depin-gentx-1";

fn depind(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_depind"))
        .args(args)
        .arg("--home")
        .arg(home)
        .output()
        .expect("running depind")
}

fn depind_ok(home: &Path, args: &[&str]) -> String {
    let out = depind(home, args);
    assert!(
        out.status.success(),
        "depind {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn depind_json(home: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let text = depind_ok(home, &all);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{text:?} is not JSON: {e}"))
}

/// A CometBFT-style priv_validator_key.json with a fixed 32-byte key (gentx reads only the
/// public key).
fn write_priv_validator_key(home: &Path, key: &[u8; 32]) {
    let value = base64::engine::general_purpose::STANDARD.encode(key);
    let file = json!({
        "address": "00",
        "pub_key": { "type": "tendermint/PubKeyEd25519", "value": value },
        "priv_key": { "type": "tendermint/PrivKeyEd25519", "value": "" },
    });
    std::fs::write(
        home.join("config/priv_validator_key.json"),
        serde_json::to_vec_pretty(&file).unwrap(),
    )
    .unwrap();
}

fn genesis(home: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(home.join("config/genesis.json")).unwrap()).unwrap()
}

#[test]
fn two_gentxs_become_the_genesis_validator_set() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    depind_ok(home, &["init", "node0", "--chain-id", CHAIN_ID]);
    let mut addresses = Vec::new();
    for name in ["val0", "val1"] {
        let key = depind_json(home, &["keys", "add", name, "--keyring-backend", "test"]);
        addresses.push(key["address"].as_str().unwrap().to_string());
        depind_ok(home, &["genesis", "add-account", name, "1000000000udepin"]);
    }
    write_priv_validator_key(home, &[7; 32]);

    // val0 with this home's consensus key, val1 with one given on the command line.
    depind_ok(
        home,
        &[
            "genesis",
            "gentx",
            "val0",
            "100000000udepin",
            "--chain-id",
            CHAIN_ID,
            "--moniker",
            "zero",
        ],
    );
    let other_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let pubkey = json!({ "@type": "/cosmos.crypto.ed25519.PubKey", "key": other_key }).to_string();
    depind_ok(
        home,
        &[
            "genesis",
            "gentx",
            "val1",
            "250000000udepin",
            "--chain-id",
            CHAIN_ID,
            "--moniker",
            "one",
            "--pubkey",
            &pubkey,
            "--commission-rate",
            "0.05",
        ],
    );
    // A gentx for another chain id is refused before signing.
    let out = depind(
        home,
        &[
            "genesis",
            "gentx",
            "val1",
            "1udepin",
            "--chain-id",
            "other-1",
        ],
    );
    assert!(!out.status.success());

    let before = genesis(home);
    depind_ok(home, &["genesis", "collect-gentxs"]);
    let after = genesis(home);
    assert_eq!(after["validators"], json!([]));
    let staking = &after["app_state"]["staking"];
    assert_eq!(staking["validators"].as_array().unwrap().len(), 2);
    assert_eq!(staking["delegations"].as_array().unwrap().len(), 2);
    for v in staking["validators"].as_array().unwrap() {
        assert_eq!(v["status"], "BOND_STATUS_UNBONDED");
    }
    // The self delegations moved from the operators to the not-bonded pool: supply unchanged.
    let total = |g: &Value| -> u128 {
        g["app_state"]["bank"]["balances"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b["coins"].as_array().unwrap().clone())
            .map(|c| c["amount"].as_str().unwrap().parse::<u128>().unwrap())
            .sum()
    };
    assert_eq!(total(&before), total(&after));
    let balance_of = |g: &Value, a: &str| -> u128 {
        g["app_state"]["bank"]["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["address"] == a)
            .map(|b| b["coins"][0]["amount"].as_str().unwrap().parse().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(balance_of(&after, &addresses[0]), 900_000_000);
    assert_eq!(balance_of(&after, &addresses[1]), 750_000_000);

    // InitChain bonds both; power = self delegation / 10^6.
    let report = depind_json(home, &["genesis", "validate"]);
    assert_eq!(report["valid"], true);
    let mut set: Vec<(String, String)> = report["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["pub_key"].as_str().unwrap().to_string(),
                v["power"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    set.sort();
    let mut expected = vec![
        (
            base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            "100".to_string(),
        ),
        (other_key, "250".to_string()),
    ];
    expected.sort();
    assert_eq!(set, expected);

    // Collecting twice would double the stake: refused.
    let out = depind(home, &["genesis", "collect-gentxs"]);
    assert!(!out.status.success());
}

#[test]
fn a_gentx_for_another_chain_or_tampered_does_not_collect() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    depind_ok(home, &["init", "node0", "--chain-id", CHAIN_ID]);
    depind_ok(home, &["keys", "add", "val0", "--keyring-backend", "test"]);
    depind_ok(
        home,
        &["genesis", "add-account", "val0", "1000000000udepin"],
    );
    write_priv_validator_key(home, &[3; 32]);
    depind_ok(
        home,
        &[
            "genesis",
            "gentx",
            "val0",
            "100000000udepin",
            "--moniker",
            "m",
        ],
    );
    let pristine = genesis(home);

    // Another chain id in the genesis file: the signature no longer verifies.
    let mut other = pristine.clone();
    other["chain_id"] = json!("depin-other-1");
    std::fs::write(
        home.join("config/genesis.json"),
        serde_json::to_vec(&other).unwrap(),
    )
    .unwrap();
    let out = depind(home, &["genesis", "collect-gentxs"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not verify"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An unfunded operator (its genesis balance removed): refused.
    let mut unfunded = pristine.clone();
    unfunded["app_state"]["bank"]["balances"] = json!([]);
    std::fs::write(
        home.join("config/genesis.json"),
        serde_json::to_vec(&unfunded).unwrap(),
    )
    .unwrap();
    let out = depind(home, &["genesis", "collect-gentxs"]);
    assert!(!out.status.success());

    // The untouched genesis collects.
    std::fs::write(
        home.join("config/genesis.json"),
        serde_json::to_vec(&pristine).unwrap(),
    )
    .unwrap();
    depind_ok(home, &["genesis", "collect-gentxs"]);
    let report = depind_json(home, &["genesis", "validate"]);
    assert_eq!(report["validators"][0]["power"], "100");
}
