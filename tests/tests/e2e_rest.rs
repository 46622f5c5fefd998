//! The REST gateway (LCD) of a real chain, as Keplr uses it: read the account and balances,
//! simulate a signed MsgSend, broadcast it, find it by hash, read the new balances; plus the
//! not-found answer and the block routes.

use std::time::{Duration, Instant};

use base64::Engine as _;
use depin_simapp::testing::TestKey;
use depin_tests::{Net, CHAIN_ID, FEE, FUNDS};
use serde_json::{json, Value};

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");

/// A 64-bit integer the gateway writes as a JSON string.
fn int(v: &Value) -> u128 {
    v.as_str()
        .unwrap_or_else(|| panic!("{v} is not a string"))
        .parse()
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn udepin(net: &Net, address: &str) -> u128 {
    let (status, body) = net.rest_get(&format!(
        "/cosmos/bank/v1beta1/balances/{address}/by_denom?denom=udepin"
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["balance"]["denom"], "udepin", "{body}");
    int(&body["balance"]["amount"])
}

#[test]
fn keplr_flow_over_rest() {
    let net = Net::start(DEPIND, 2);
    let (alice, bob) = (&net.keys[0], &net.keys[1]);

    // The account, as Keplr reads it before signing.
    let (account_number, sequence) = net.account(&alice.address);
    let (status, body) = net.rest_get(&format!("/cosmos/auth/v1beta1/accounts/{}", alice.address));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"account": {
            "@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": alice.address,
            "pub_key": null,
            "account_number": account_number.to_string(),
            "sequence": sequence.to_string(),
        }})
    );
    assert_eq!(account_number, 0, "the first genesis account");

    // Every balance, amounts as strings, with the page.
    let (status, body) = net.rest_get(&format!("/cosmos/bank/v1beta1/balances/{}", alice.address));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["balances"],
        json!([{"denom": "udepin", "amount": FUNDS.to_string()}])
    );
    assert!(body.get("pagination").is_some(), "{body}");

    // Simulate, then broadcast, a wallet-signed MsgSend.
    let amount = 1_234;
    let tx = net.send_tx(alice, &bob.address, amount);
    let tx_bytes = base64::engine::general_purpose::STANDARD.encode(&tx);
    let (status, body) = net.rest_post(
        "/cosmos/tx/v1beta1/simulate",
        &json!({ "tx_bytes": tx_bytes }),
    );
    assert_eq!(status, 200, "{body}");
    assert!(int(&body["gas_info"]["gas_used"]) > 0, "{body}");
    assert!(body["result"]["events"].is_array(), "{body}");

    let (status, body) = net.rest_post(
        "/cosmos/tx/v1beta1/txs",
        &json!({ "tx_bytes": tx_bytes, "mode": "BROADCAST_MODE_SYNC" }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tx_response"]["code"], 0, "{body}");
    let hash = body["tx_response"]["txhash"]
        .as_str()
        .expect("a tx hash")
        .to_string();
    assert_eq!(hash.len(), 64, "{body}");

    // Polled by hash until committed, as Keplr does.
    let start = Instant::now();
    let found = loop {
        let (status, body) = net.rest_get(&format!("/cosmos/tx/v1beta1/txs/{hash}"));
        if status == 200 {
            break body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "tx {hash} not found: {status} {body}\n{}",
            net.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let resp = &found["tx_response"];
    assert_eq!(resp["code"], 0, "{found}");
    assert_eq!(resp["txhash"], hash.as_str());
    assert!(int(&resp["height"]) > 0, "{found}");
    assert!(int(&resp["gas_used"]) > 0, "{found}");
    assert_eq!(resp["tx"]["@type"], "/cosmos.tx.v1beta1.Tx", "{found}");
    let msg = &found["tx"]["body"]["messages"][0];
    assert_eq!(msg["@type"], "/cosmos.bank.v1beta1.MsgSend", "{found}");
    assert_eq!(msg["from_address"], alice.address.as_str());
    assert_eq!(
        msg["amount"],
        json!([{"denom": "udepin", "amount": amount.to_string()}])
    );

    // The new balances, and the account now has its key and next sequence.
    assert_eq!(udepin(&net, &alice.address), FUNDS - amount - FEE);
    assert_eq!(udepin(&net, &bob.address), FUNDS + amount);
    let (_, body) = net.rest_get(&format!("/cosmos/auth/v1beta1/accounts/{}", alice.address));
    let account = &body["account"];
    assert_eq!(account["sequence"], (sequence + 1).to_string(), "{body}");
    assert_eq!(
        account["pub_key"]["@type"], "/cosmos.crypto.secp256k1.PubKey",
        "{body}"
    );
    assert!(account["pub_key"]["key"].is_string(), "{body}");

    // Found by event query (query parameters, an enum by name).
    let (status, body) = net.rest_get(&format!(
        "/cosmos/tx/v1beta1/txs?query=message.sender%3D%27{}%27&order_by=ORDER_BY_DESC&limit=5",
        alice.address
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(int(&body["total"]), 1, "{body}");
    assert_eq!(body["tx_responses"][0]["txhash"], hash.as_str(), "{body}");
}

#[test]
fn not_found_blocks_and_node_info() {
    let net = Net::start(DEPIND, 1);

    // An address that never received tokens: NotFound.
    let stranger = TestKey::from_seed(99);
    let (status, body) = net.rest_get(&format!(
        "/cosmos/auth/v1beta1/accounts/{}",
        stranger.address
    ));
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], 5, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("not found"),
        "{body}"
    );
    assert_eq!(body["details"], json!([]));

    // A transaction hash CometBFT does not know: NotFound, as the Cosmos SDK answers.
    let (status, body) = net.rest_get(&format!("/cosmos/tx/v1beta1/txs/{}", "AB".repeat(32)));
    assert_eq!((status, body["code"].clone()), (404, json!(5)), "{body}");
    assert!(
        !body["message"].as_str().unwrap().contains("backtrace"),
        "{body}"
    );

    // A malformed address: InvalidArgument.
    let (status, body) = net.rest_get("/cosmos/bank/v1beta1/balances/nope");
    assert_eq!((status, body["code"].clone()), (400, json!(3)), "{body}");

    // The distribution module's routes are served (with 18-place decimals)...
    let (status, body) = net.rest_get("/cosmos/distribution/v1beta1/params");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["params"]["community_tax"], "0.020000000000000000",
        "{body}"
    );
    // ... governance's too, its decimals as gov v1 writes them (plain 18-place text) and its
    // periods as durations ...
    let (status, body) = net.rest_get("/cosmos/gov/v1/params/voting");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["params"]["quorum"], "0.334000000000000000", "{body}");
    assert_eq!(body["voting_params"]["voting_period"], "172800s", "{body}");
    // ... and a path no module serves is Not Implemented.
    let (status, body) = net.rest_get("/cosmos/mint/v1beta1/params");
    assert_eq!(status, 501, "{body}");
    assert_eq!(
        body,
        json!({"code": 12, "message": "Not Implemented", "details": []})
    );

    // Blocks from CometBFT.
    let (status, body) = net.rest_get("/cosmos/base/tendermint/v1beta1/blocks/latest");
    assert_eq!(status, 200, "{body}");
    let height = int(&body["block"]["header"]["height"]);
    assert!(height > 0, "{body}");
    assert_eq!(body["block"]["header"]["chain_id"], CHAIN_ID);
    assert!(body["block_id"]["hash"].is_string(), "{body}");

    let (status, body) = net.rest_get(&format!("/cosmos/base/tendermint/v1beta1/blocks/{height}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(int(&body["block"]["header"]["height"]), height);

    let (status, body) = net.rest_get("/cosmos/base/tendermint/v1beta1/node_info");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["default_node_info"]["network"], CHAIN_ID, "{body}");
    assert_eq!(body["application_version"]["app_name"], "depind", "{body}");

    let (status, body) = net.rest_get("/cosmos/base/tendermint/v1beta1/syncing");
    assert_eq!((status, body), (200, json!({"syncing": false})));

    // Reading the past: the height header's query-parameter form.
    let (status, body) = net.rest_get(&format!(
        "/cosmos/bank/v1beta1/supply/by_denom?denom=udepin&height={}",
        height - 1
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amount"]["amount"], FUNDS.to_string(), "{body}");
}
