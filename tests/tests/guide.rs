//! docs/BUILD-YOUR-DEPIN.md, sections 5 and 6, run as written: the shell blocks marked
//! `<!-- guide:init -->`, `<!-- guide:genesis -->` and `<!-- guide:run -->` in one bash session
//! (`set -euo pipefail`), with real `scripts/localnet.sh`, CometBFT and depind. The only
//! difference from a reader's terminal is the `<!-- guide:env -->` block: the test points
//! `DEPIND_HOME`, `D` and the local chain's ports at a temporary home instead.
//!
//! Then the test checks what the guide promises: meter 1 delivered 3 kWh (3 points) in the
//! measured epoch, and the epoch's device pot was shared ⌊pot × 4 / 6⌋ and ⌊pot × 2 / 6⌋.

use std::path::{Path, PathBuf};
use std::process::Command;

use depin_tests::cli::{attr, coin_amount, num};
use serde_json::Value;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// The shell blocks of `markdown` that follow a `<!-- guide:<kind> -->` line, in order.
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(kind) = line
            .trim()
            .strip_prefix("<!-- guide:")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert_eq!(
            fence.trim(),
            "```sh",
            "a guide marker must precede a sh block"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        out.push((kind.to_string(), body.join("\n")));
    }
    out
}

/// Stops the local chain when the test ends, passing or not.
struct Stop(Vec<(String, String)>);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = Command::new("scripts/localnet.sh")
            .arg("stop")
            .current_dir(repo_root())
            .envs(self.0.iter().cloned())
            .output();
    }
}

#[test]
fn the_guide_runs_as_written() {
    let root = repo_root();
    let guide = std::fs::read_to_string(root.join("docs/BUILD-YOUR-DEPIN.md")).expect("guide");
    let blocks = blocks(&guide);
    let kinds: Vec<&str> = blocks.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["init", "env", "genesis", "run", "run", "run", "run"],
        "the guide's marked blocks"
    );
    // The reader's environment block sets exactly these; the test sets them its own way.
    assert!(blocks[1].1.contains("DEPIND_HOME=") && blocks[1].1.contains("D="));

    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("localnet");
    let port = depin_simapp::testing::reserve_ports(5);
    let rpc = format!("tcp://127.0.0.1:{}", port + 1);
    let env: Vec<(String, String)> = vec![
        ("LOCALNET_HOME".into(), home.display().to_string()),
        ("LOCALNET_PORT".into(), port.to_string()),
        ("DEPIND".into(), DEPIND.into()),
        (
            "COMETBFT".into(),
            depin_tests::cometbft().display().to_string(),
        ),
        ("DEPIND_HOME".into(), home.display().to_string()),
        ("DEPIND_NODE".into(), rpc.clone()),
        ("D".into(), DEPIND.into()),
    ];
    let _stop = Stop(env.clone());
    let mut script = String::from("set -euo pipefail\n");
    for (kind, body) in &blocks {
        if kind != "env" {
            script.push_str(body);
            script.push('\n');
        }
    }
    script.push_str("echo \"GUIDE $M1 $M2 $E $OWNER\"\n");
    let started = std::time::Instant::now();
    // A bound on the whole walk: a stuck wait fails the test instead of hanging CI.
    let out = Command::new("timeout")
        .args(["600", "bash", "-c"])
        .arg(&script)
        .current_dir(&root)
        .envs(env.iter().cloned())
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let logs = || {
        let read = |f: &str| std::fs::read_to_string(home.join(f)).unwrap_or_default();
        format!(
            "depind.log:\n{}\ncometbft.log (tail):\n{}",
            read("depind.log"),
            read("cometbft.log")
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    assert!(
        out.status.success(),
        "the guide failed:\nstdout:\n{stdout}\nstderr:\n{stderr}\n{}",
        logs()
    );
    let vars: Vec<&str> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("GUIDE "))
        .expect("the guide's variables")
        .split(' ')
        .collect();
    let (m1, m2, epoch, owner) = (vars[0], vars[1], vars[2], vars[3]);
    eprintln!(
        "the guide ran in {:?}: meters {m1} {m2}, epoch {epoch}",
        started.elapsed()
    );

    let cli = |args: &[&str]| -> Value {
        let out = Command::new(DEPIND)
            .args(args)
            .args([
                "--home",
                home.to_str().expect("home"),
                "--node",
                &rpc,
                "-o",
                "json",
            ])
            .output()
            .expect("depind");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    // The measured epoch: 3 kWh = 3 points for meter 1, 1 for meter 2.
    let e1 = cli(&["query", "energy", "epoch-energy", epoch, m1]);
    assert_eq!(num(&e1["energy"]["delivered_wh"]), 3_000, "{e1}");
    assert_eq!(num(&e1["energy"]["points"]), 3, "{e1}");
    let e2 = cli(&["query", "energy", "epoch-energy", epoch, m2]);
    assert_eq!(num(&e2["energy"]["points"]), 1, "{e2}");

    // The same meter over the REST gateway (the route in query.proto) and gRPC.
    let rest = Command::new("curl")
        .args([
            "-sf",
            &format!("http://127.0.0.1:{}/depin/energy/v1/meters/{m1}", port + 4),
        ])
        .output()
        .expect("curl");
    assert!(
        rest.status.success(),
        "REST {}",
        String::from_utf8_lossy(&rest.stderr)
    );
    let rest: Value = serde_json::from_slice(&rest.stdout).expect("REST JSON");
    assert_eq!(num(&rest["meter"]["delivered_wh"]), 3_000, "{rest}");
    let grpc_meter = rt_grpc_meter(port + 3, m1);
    assert_eq!(grpc_meter.delivered_wh, 3_000);

    // The epoch's device pot, from its payout event, shared 4 : 2.
    let rpc_client =
        tendermint_rpc::HttpClient::new(format!("http://127.0.0.1:{}", port + 1).as_str())
            .expect("rpc client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let r1 = cli(&["query", "rewards", "device", m1]);
    let r2 = cli(&["query", "rewards", "device", m2]);
    assert_eq!(r1["rewards"]["last_epoch"], epoch, "{r1}");
    let mut pot = None;
    let tip = rt
        .block_on(tendermint_rpc::Client::latest_block(&rpc_client))
        .expect("latest block")
        .block
        .header
        .height
        .value();
    for h in (1..tip).rev() {
        let r = rt
            .block_on(tendermint_rpc::Client::block_results(
                &rpc_client,
                tendermint::block::Height::try_from(h).expect("height"),
            ))
            .expect("block results");
        for e in &r.finalize_block_events {
            let attrs: Vec<(String, String)> = e
                .attributes
                .iter()
                .map(|a| {
                    (
                        a.key_str().unwrap_or_default().to_string(),
                        a.value_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            if e.kind == "rewards_payout_finished"
                && attr(&attrs, "bucket") == "devices"
                && attr(&attrs, "epoch") == epoch
            {
                pot = Some(coin_amount(attr(&attrs, "amount")));
            }
        }
        if pot.is_some() {
            break;
        }
    }
    let pot = pot.expect("the payout of the measured epoch");
    assert!(pot > 0);
    assert_eq!(
        coin_amount_of(&r1["rewards"]["last_amount"]),
        pot * 4 / 6,
        "{r1}"
    );
    assert_eq!(
        coin_amount_of(&r2["rewards"]["last_amount"]),
        pot * 2 / 6,
        "{r2}"
    );
    // The claim paid everything: nothing is pending any more.
    let pending = cli(&["query", "rewards", "pending", owner]);
    assert_eq!(coin_amount_of(&pending["total"]["amount"]), 0, "{pending}");
}

/// A meter over gRPC (`depin.energy.v1.Query/Meter`).
fn rt_grpc_meter(port: u16, device_id: &str) -> depin_proto::depin::energy::v1::Meter {
    use depin_proto::depin::energy::v1 as pb;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("url")
            .connect()
            .await
            .expect("gRPC connect");
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.expect("gRPC ready");
        let path =
            tonic::codegen::http::uri::PathAndQuery::from_static("/depin.energy.v1.Query/Meter");
        let r: pb::QueryMeterResponse = grpc
            .unary(
                tonic::Request::new(pb::QueryMeterRequest {
                    device_id: device_id.to_string(),
                }),
                path,
                tonic::codec::ProstCodec::default(),
            )
            .await
            .expect("Meter")
            .into_inner();
        r.meter.expect("meter")
    })
}

/// A JSON amount: a number, a decimal string or a coin string.
fn coin_amount_of(v: &Value) -> u128 {
    match v {
        Value::String(s) if s.chars().any(|c| c.is_ascii_alphabetic()) => coin_amount(s),
        Value::Null => 0,
        other => num(other),
    }
}
