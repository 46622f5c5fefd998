//! End to end through real CometBFT: transfers read back over gRPC, ABCI query and tx_search;
//! rejections with their codes and no state change; simulate accuracy; kill -9 recovery;
//! export and restart.

use std::time::Duration;

use cosmrs::Any;
use depin_simapp::testing::{self, FeeSpec, SignerData, TestKey};
use depin_tests::{Net, FEE, FUNDS, GAS};
use prost::Message;
use tendermint_rpc::Client;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");

fn simulate_gas(net: &Net, tx: Vec<u8>) -> u64 {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient;
    use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
    let url = net.grpc_url();
    net.rt.block_on(async {
        let mut c = ServiceClient::connect(url).await.expect("connect");
        #[allow(deprecated)]
        let r = c
            .simulate(SimulateRequest {
                tx: None,
                tx_bytes: tx,
            })
            .await
            .expect("simulate")
            .into_inner();
        r.gas_info.expect("gas info").gas_used
    })
}

#[test]
fn transfers_queries_and_rejections() {
    let net = Net::start(DEPIND, 4);
    let (alice, bob, poor) = (&net.keys[0], &net.keys[1], &net.keys[3]);

    // A wallet-signed MsgSend through broadcast_tx_sync, committed.
    let tx = net.send_tx(alice, &bob.address, 1_234);
    let sim = simulate_gas(&net, tx.clone());
    let r = net.submit(tx);
    assert_eq!(r.tx_result.code.value(), 0, "{}", r.tx_result.log);
    let used = r.tx_result.gas_used as u64;
    let diff = sim.abs_diff(used) as f64 / used as f64;
    assert!(diff <= 0.10, "simulate said {sim}, the tx used {used}");
    assert_eq!(net.balance_grpc(&bob.address), FUNDS + 1_234);
    assert_eq!(net.balance_abci(&bob.address), FUNDS + 1_234);
    assert_eq!(net.balance_grpc(&alice.address), FUNDS - 1_234 - FEE);

    // tx_search by message.sender and by action finds it.
    let q = format!("message.sender='{}'", alice.address)
        .parse()
        .unwrap();
    let found = net
        .rt
        .block_on(
            net.rpc()
                .tx_search(q, false, 1, 10, tendermint_rpc::Order::Ascending),
        )
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.txs[0].hash, r.hash);
    let q = "message.action='/cosmos.bank.v1beta1.MsgSend'"
        .parse()
        .unwrap();
    let found = net
        .rt
        .block_on(
            net.rpc()
                .tx_search(q, false, 1, 10, tendermint_rpc::Order::Ascending),
        )
        .unwrap();
    assert_eq!(found.total_count, 1);

    // The same transaction over gRPC GetTx (forwarded to CometBFT).
    {
        use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient;
        use cosmos_sdk_proto::cosmos::tx::v1beta1::GetTxRequest;
        let url = net.grpc_url();
        let got = net.rt.block_on(async {
            let mut c = ServiceClient::connect(url).await.unwrap();
            c.get_tx(GetTxRequest {
                hash: r.hash.to_string(),
            })
            .await
            .unwrap()
            .into_inner()
        });
        let resp = got.tx_response.unwrap();
        assert_eq!(resp.code, 0);
        assert_eq!(resp.height as u64, r.height.value());
    }

    // Rejections: each with its code, and nothing changes.
    let before = |k: &TestKey| (net.balance_abci(&k.address), net.account(&k.address).1);
    let (alice_before, bob_before) = (before(alice), before(bob));
    let data = net.signer(alice);
    let fee = FeeSpec::new(FEE, GAS);
    let send = testing::msg_send(&alice.address, &bob.address, 10);
    let sign =
        |d: &SignerData, msgs: Vec<Any>, f: &FeeSpec| testing::sign(alice, d, msgs, f, "").unwrap();

    let code = |tx: Vec<u8>| net.broadcast(tx).expect("broadcast").0;
    let wrong_chain = SignerData {
        chain_id: "another-chain-1".into(),
        ..data.clone()
    };
    assert_eq!(
        code(sign(&wrong_chain, vec![send.clone()], &fee)),
        4,
        "wrong chain id"
    );
    let mut tampered = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(
        sign(&data, vec![send.clone()], &fee).as_slice(),
    )
    .unwrap();
    tampered.signatures[0][10] ^= 1;
    assert_eq!(code(tampered.encode_to_vec()), 4, "bad signature");
    let ahead = SignerData {
        sequence: data.sequence + 5,
        ..data.clone()
    };
    let (c, log, _) = net
        .broadcast(sign(&ahead, vec![send.clone()], &fee))
        .unwrap();
    assert_eq!(c, 32, "wrong sequence: {log}");
    assert!(log.contains("account sequence mismatch, expected"), "{log}");
    assert_eq!(
        code(sign(&data, vec![send.clone()], &FeeSpec::new(1, GAS))),
        13,
        "fee below minimum"
    );
    let unknown = Any {
        type_url: "/depin.nothing.v1.MsgNothing".into(),
        value: vec![],
    };
    assert_eq!(code(sign(&data, vec![unknown], &fee)), 6, "unknown message");
    assert_eq!(code(vec![0xff, 0x01, 0x02, 0x03]), 2, "garbage");
    let big = testing::sign(
        alice,
        &data,
        vec![send.clone()],
        &fee,
        &"x".repeat(1_100_000),
    )
    .unwrap();
    match net.broadcast(big) {
        Ok((c, log, _)) => assert_ne!(c, 0, "an oversized tx was accepted: {log}"),
        // CometBFT's RPC refuses a request body over 1 MB before the app sees it.
        Err(e) => assert!(
            e.contains("400") || e.to_lowercase().contains("too large"),
            "{e}"
        ),
    }
    // Replaying a committed tx: CometBFT's cache or our sequence check refuses it.
    let replay = net.send_tx(alice, &bob.address, 7);
    assert_eq!(net.submit(replay.clone()).tx_result.code.value(), 0);
    let (alice_before, bob_before) = (
        (alice_before.0 - 7 - FEE, alice_before.1 + 1),
        (bob_before.0 + 7, bob_before.1),
    );
    match net.broadcast(replay) {
        Ok((c, _, _)) => assert_eq!(c, 32, "replay"),
        Err(e) => assert!(e.contains("already exists in cache"), "{e}"),
    }
    net.wait_height(net.height() + 2, Duration::from_secs(20));
    assert_eq!(
        before(alice),
        alice_before,
        "rejected txs changed the sender"
    );
    assert_eq!(
        before(bob),
        bob_before,
        "rejected txs changed the recipient"
    );

    // Insufficient funds for the amount: CheckTx passes (messages are not run there); the
    // block refuses the message with code 5, keeps the fee and bumps the sequence.
    let poor_before = before(poor);
    let tx = net.send_tx(poor, &bob.address, FUNDS * 2);
    let r = net.submit(tx);
    assert_eq!(r.tx_result.code.value(), 5, "{}", r.tx_result.log);
    assert_eq!(before(poor), (poor_before.0 - FEE, poor_before.1 + 1));
    assert_eq!(before(bob), bob_before);

    // Out of gas in the message: code 11, fee kept, sequence bumped, transfer reverted.
    let probe = net.send_tx(poor, &bob.address, 5);
    let need = simulate_gas(&net, probe);
    let d = net.signer(poor);
    let tight = FeeSpec::new(FEE, need - 2_500);
    let tx = testing::send_tx(poor, &d, &bob.address, 5, &tight);
    let r = net.submit(tx);
    assert_eq!(r.tx_result.code.value(), 11, "{}", r.tx_result.log);
    assert_eq!(r.tx_result.codespace, "sdk");
    assert_eq!(before(poor), (poor_before.0 - 2 * FEE, poor_before.1 + 2));
    assert_eq!(before(bob), bob_before);
}

/// Total supply of udepin over gRPC.
fn supply(net: &Net) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QuerySupplyOfRequest;
    let url = net.grpc_url();
    net.rt.block_on(async {
        let mut c = QueryClient::connect(url).await.unwrap();
        let r = c
            .supply_of(QuerySupplyOfRequest {
                denom: "udepin".into(),
            })
            .await
            .unwrap()
            .into_inner();
        r.amount.unwrap().amount.parse().unwrap()
    })
}

#[test]
fn crash_recovery_and_export() {
    let mut net = Net::start(DEPIND, 2);
    let (alice, bob) = (&net.keys[0].address.clone(), &net.keys[1].address.clone());
    let mut sent = 0u128;
    let mut fees = 0u128;

    for round in 0..2 {
        // Commit some transfers, then crash one process right after broadcasting another.
        for i in 0..3 {
            let amount = 100 + i;
            let r = net.submit(net.send_tx(&net.keys[0], bob, amount));
            assert_eq!(r.tx_result.code.value(), 0);
            sent += amount;
            fees += FEE;
        }
        let in_flight = net.send_tx(&net.keys[0], bob, 1);
        let hash = net.broadcast(in_flight).expect("broadcast").2;
        let height = net.height();
        let hash_before = net.app_hash_after(height - 1);
        if round == 0 {
            net.kill_depind();
            // CometBFT stops when its application goes away; make sure it is gone too.
            std::thread::sleep(Duration::from_millis(500));
            net.kill_cometbft();
        } else {
            net.kill_cometbft();
            std::thread::sleep(Duration::from_millis(300));
            net.kill_depind();
        }
        net.start_processes();
        net.wait_height(height + 2, Duration::from_secs(60));
        // Same history: the app hash recorded for a pre-crash height is unchanged.
        assert_eq!(net.app_hash_after(height - 1), hash_before, "round {round}");
        // The in-flight transfer either committed or was dropped, never half-applied.
        let tx = tendermint::Hash::from_str_upper(&hash);
        if let Some(r) = tx.and_then(|h| net.rt.block_on(net.rpc().tx(h, false)).ok()) {
            if r.tx_result.code.value() == 0 {
                sent += 1;
                fees += FEE;
            }
        }
        assert_eq!(
            net.balance_grpc(bob),
            FUNDS + sent,
            "round {round}: a committed transfer was lost"
        );
        assert_eq!(net.balance_grpc(alice), FUNDS - sent - fees);
    }
    let total = supply(&net);
    assert_eq!(total, 2 * FUNDS);

    // Export at the current height, start a fresh chain from it: same balances and supply.
    let last_seen = net.height();
    net.kill_all();
    let exported = net.home.join("exported.json");
    let export = net.depind_cmd(&["export", "--output-document", exported.to_str().unwrap()]);
    let progress = String::from_utf8_lossy(&export.stderr);
    assert!(export.status.success(), "{progress}");
    // Progress on stderr: one line per module, in the app's order.
    let n = depin_simapp::MODULE_VERSIONS.len();
    assert!(
        progress.contains(&format!("export: [1/{n}] upgrade")),
        "{progress}"
    );
    assert!(
        progress.contains(&format!("export: [{n}/{n}]")),
        "{progress}"
    );
    let genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    let mut fresh = Net::start(DEPIND, 0);
    fresh.kill_all();
    let path = fresh.home.join("config/genesis.json");
    let mut g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    g["app_state"] = genesis["app_state"].clone();
    // The new chain continues the old one's heights.
    let exported_height = genesis["initial_height"]
        .as_str()
        .and_then(|h| h.parse::<u64>().ok())
        .expect("export writes initial_height")
        - 1;
    // CometBFT stores a block before the app commits it: the app may be one behind.
    assert!(
        exported_height + 1 >= last_seen && exported_height <= last_seen + 1,
        "export at {exported_height}, last height seen {last_seen}"
    );
    g["initial_height"] = genesis["initial_height"].clone();
    std::fs::write(&path, serde_json::to_vec_pretty(&g).unwrap()).unwrap();
    let data = fresh.home.join("data");
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("priv_validator_state.json"),
        r#"{"height":"0","round":0,"step":0}"#,
    )
    .unwrap();
    fresh.start_processes();
    // (start_processes waits for two blocks past what the RPC first reports, which may be
    // none yet: wait for the chain's second block explicitly.)
    fresh.wait_height(exported_height + 2, Duration::from_secs(60));
    let first = fresh.rt.block_on(
        fresh
            .rpc()
            .block(tendermint::block::Height::try_from(exported_height + 1).unwrap()),
    );
    assert!(
        first.is_ok(),
        "block {} missing: {}",
        exported_height + 1,
        fresh.logs()
    );
    assert!(fresh.height() >= exported_height + 2);
    assert_eq!(fresh.balance_grpc(bob), FUNDS + sent, "{}", fresh.logs());
    assert_eq!(fresh.balance_grpc(alice), FUNDS - sent - fees);
    assert_eq!(supply(&fresh), total);
    // Accounts keep their numbers and sequences, so the same wallet keeps signing.
    let r = fresh.submit(fresh.send_tx(&net.keys[0], bob, 1));
    assert_eq!(r.tx_result.code.value(), 0, "{}", r.tx_result.log);
}

trait FromStrUpper: Sized {
    fn from_str_upper(s: &str) -> Option<Self>;
}

impl FromStrUpper for tendermint::Hash {
    fn from_str_upper(s: &str) -> Option<Self> {
        use std::str::FromStr;
        tendermint::Hash::from_str(&s.to_uppercase()).ok()
    }
}
