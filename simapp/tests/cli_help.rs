//! depind's help and `-o json`: every command says what it does and every argument what it
//! means; help renders for every command; and in JSON mode a command's standard output is
//! one JSON document (notes go to standard error), or nothing when it fails.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use serde_json::{json, Value};

const CHAIN_ID: &str = "depin-cli-help-1";

/// `cmd` and its subcommands at every depth, depth first, each with its full name
/// (`depind tx bank send`). clap's own `help` subcommand is left out.
fn all_commands(cmd: &clap::Command, name: String, out: &mut Vec<(String, clap::Command)>) {
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        all_commands(sub, format!("{name} {}", sub.get_name()), out);
    }
    out.push((name, cmd.clone()));
}

/// The built command tree (help flags added, global arguments copied into subcommands).
fn tree() -> Vec<(String, clap::Command)> {
    let mut root = depin_simapp::cmd::command();
    root.build();
    let mut out = Vec::new();
    all_commands(&root, "depind".to_string(), &mut out);
    out
}

fn has_text(s: Option<&clap::builder::StyledStr>) -> bool {
    s.is_some_and(|s| !s.to_string().trim().is_empty())
}

#[test]
fn every_command_and_argument_has_help() {
    let mut offenders = Vec::new();
    for (name, cmd) in tree() {
        if !has_text(cmd.get_about()) && !has_text(cmd.get_long_about()) {
            offenders.push(format!("{name}: no about"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            // --home and --output are described once, on depind itself.
            if arg.is_global_set() || id == "help" || id == "version" {
                continue;
            }
            if !has_text(arg.get_help()) && !has_text(arg.get_long_help()) {
                let shown = match arg.get_long() {
                    Some(long) => format!("--{long}"),
                    None => format!("<{id}>"),
                };
                offenders.push(format!("{name} {shown}: no help"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} commands or arguments without help:\n  {}",
        offenders.len(),
        offenders.join("\n  ")
    );
}

#[test]
fn help_renders_with_usage_for_every_command() {
    for (name, mut cmd) in tree() {
        let help = cmd.render_long_help().to_string();
        assert!(
            help.contains("Usage:") && help.contains(&name),
            "the help of `{name}` has no usage line:\n{help}"
        );
    }
}

#[test]
fn the_binary_prints_help() {
    for args in [
        &["--help"][..],
        &["tx", "--help"],
        &["query", "device", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_depind"))
            .args(args)
            .output()
            .expect("depind runs");
        assert!(
            out.status.success(),
            "depind {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "depind {args:?} printed:\n{text}");
    }
}

/// Runs depind on `home` with `-o json`, `args` and `stdin` (if any).
fn depind(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_depind"))
        .arg("--home")
        .arg(home)
        .args(["-o", "json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("depind runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs depind in JSON mode; its standard output, which must be exactly one JSON document.
fn depind_json_in(home: &Path, args: &[&str], stdin: Option<&str>) -> Value {
    let out = depind(home, args, stdin);
    assert!(
        out.status.success(),
        "depind {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "depind -o json {args:?} printed more or other than one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn depind_json(home: &Path, args: &[&str]) -> Value {
    depind_json_in(home, args, None)
}

/// Runs depind in JSON mode where it must fail: nothing on standard output, the error on
/// standard error.
fn depind_fails_quietly(home: &Path, args: &[&str]) {
    let out = depind(home, args, None);
    assert!(!out.status.success(), "depind {args:?} should fail");
    assert!(
        out.stdout.is_empty(),
        "depind -o json {args:?} failed but printed to standard output:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stderr.is_empty(), "depind {args:?} failed silently");
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_string()
}

#[test]
fn json_mode_prints_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();

    let init = depind_json(home, &["init", "node0", "--chain-id", CHAIN_ID]);
    assert_eq!(init["chain_id"], CHAIN_ID);

    // keys: the mnemonic is in the document, the warning is not on standard output.
    let alice = depind_json(home, &["keys", "add", "alice"]);
    let address = text(&alice, "address");
    let mnemonic = text(&alice, "mnemonic");
    assert!(address.starts_with("depin1"));
    let recovered = depind_json_in(
        home,
        &["keys", "add", "alice2", "--recover"],
        Some(&format!("{mnemonic}\n")),
    );
    assert_eq!(text(&recovered, "address"), address);
    let list = depind_json(home, &["keys", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(
        text(&depind_json(home, &["keys", "show", "alice"]), "address"),
        address
    );
    assert_eq!(
        text(
            &depind_json(home, &["keys", "show", "alice", "-a"]),
            "address"
        ),
        address
    );
    let exported = depind_json(
        home,
        &["keys", "export", "alice", "--unarmored-hex", "--unsafe"],
    );
    let secret = text(&exported, "private_key");
    assert_eq!(secret.len(), 64, "{exported}");
    let imported = depind_json_in(
        home,
        &["keys", "import", "alice3", "--overwrite"],
        Some(&format!("{secret}\n")),
    );
    assert_eq!(text(&imported, "address"), address);
    for name in ["alice2", "alice3"] {
        assert_eq!(
            depind_json(home, &["keys", "delete", name, "--yes"])["deleted"],
            name
        );
    }

    // genesis: fund, sign a gentx, collect it, validate.
    let funded = depind_json(
        home,
        &["genesis", "add-account", "alice", "1000000000udepin"],
    );
    assert_eq!(text(&funded, "address"), address);
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let pv = json!({
        "address": "00",
        "pub_key": { "type": "tendermint/PubKeyEd25519", "value": key },
        "priv_key": { "type": "tendermint/PrivKeyEd25519", "value": "" },
    });
    std::fs::write(
        home.join("config/priv_validator_key.json"),
        serde_json::to_vec(&pv).unwrap(),
    )
    .unwrap();
    let gentx = depind_json(
        home,
        &[
            "genesis",
            "gentx",
            "alice",
            "100000000udepin",
            "--chain-id",
            CHAIN_ID,
            "--moniker",
            "zero",
        ],
    );
    assert!(gentx["gentx"].is_string(), "{gentx}");
    depind_json(home, &["genesis", "collect-gentxs"]);
    assert_eq!(depind_json(home, &["genesis", "validate"])["valid"], true);

    // device: a key and a signature made with it.
    let device = depind_json(home, &["device", "keygen", "--type", "ed25519"]);
    let device_secret = text(&device, "secret");
    assert!(text(&device, "device_id").starts_with("depin"));
    let possession = depind_json(
        home,
        &[
            "device",
            "sign",
            "possession",
            "--device-secret",
            &device_secret,
            "--owner",
            &address,
            "--nonce",
            "1",
        ],
    );
    assert!(possession["signature"].is_string(), "{possession}");

    // Commands that need a node or a chain's state: the error goes to standard error only.
    let nowhere = "tcp://127.0.0.1:1";
    depind_fails_quietly(
        home,
        &["query", "bank", "balances", &address, "--node", nowhere],
    );
    depind_fails_quietly(home, &["query", "device", "params", "--node", nowhere]);
    depind_fails_quietly(
        home,
        &[
            "tx", "bank", "send", "alice", &address, "1udepin", "--node", nowhere,
        ],
    );
    depind_fails_quietly(home, &["export"]);
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    // `depind preset show iot | head -1`: the reader goes away before depind writes.
    for output in ["text", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_depind"))
            .args(["preset", "show", "iot", "-o", output])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{output}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{output}: {stderr}");
    }
}
