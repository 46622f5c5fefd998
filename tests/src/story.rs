//! Helpers for end-to-end stories driven through the client libraries against one node
//! ([`Net`]): signing and sending transactions, reading message responses, typed gRPC queries,
//! block events, the supply, and genesis records (a maker).

use std::time::Duration;

use base64::Engine;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::Any;
use depin_device::client::DeviceSigner;
use depin_simapp::testing::{self, FeeSpec, TestKey};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

use crate::cli::Events;
use crate::Net;

/// Every transaction of a story: enough gas for a few messages or a storage proof.
pub const TX_GAS: u64 = 1_000_000;
pub const TX_FEE: u128 = 2_500;

pub type TxResponse = tendermint_rpc::endpoint::tx::Response;

pub fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

pub fn udepin(amount: u128) -> Coin {
    Coin {
        denom: "udepin".into(),
        amount: amount.to_string(),
    }
}

/// The amount of an optional coin (0 when absent).
pub fn amount(c: &Option<Coin>) -> u128 {
    c.as_ref().map_or(0, |c| c.amount.parse().expect("amount"))
}

/// A decimal string of a protobuf field as a number ("" is 0).
pub fn int(s: &str) -> u128 {
    if s.is_empty() {
        0
    } else {
        s.parse()
            .unwrap_or_else(|_| panic!("not an integer: {s:?}"))
    }
}

/// Signs (fee [`TX_FEE`], gas [`TX_GAS`]) and broadcasts each (key, messages) transaction
/// (different keys: they may land in the same block), then waits for all; returns their
/// results, whatever their codes.
pub fn try_all(net: &Net, txs: Vec<(&TestKey, Vec<Any>, &str)>) -> Vec<TxResponse> {
    let pending: Vec<String> = txs
        .into_iter()
        .map(|(key, msgs, what)| {
            let tx = testing::sign(
                key,
                &net.signer(key),
                msgs,
                &FeeSpec::new(TX_FEE, TX_GAS),
                "",
            )
            .expect("sign");
            let (code, log, hash) = net.broadcast(tx).expect("broadcast");
            assert_eq!(code, 0, "{what}: CheckTx refused: {log}");
            hash
        })
        .collect();
    pending.iter().map(|hash| net.wait_tx(hash)).collect()
}

/// As [`try_all`], asserting every transaction succeeded.
pub fn all(net: &Net, txs: Vec<(&TestKey, Vec<Any>, &str)>) -> Vec<TxResponse> {
    let whats: Vec<String> = txs.iter().map(|(_, _, w)| w.to_string()).collect();
    let results = try_all(net, txs);
    for (r, what) in results.iter().zip(whats) {
        assert_eq!(
            r.tx_result.code.value(),
            0,
            "{what} failed: {}",
            r.tx_result.log
        );
    }
    results
}

/// One transaction that must succeed.
pub fn tx(net: &Net, key: &TestKey, msgs: Vec<Any>, what: &str) -> TxResponse {
    all(net, vec![(key, msgs, what)]).remove(0)
}

/// One transaction that may fail: (code, log) of CheckTx when it refuses, else of its result
/// in the block.
pub fn try_tx(net: &Net, key: &TestKey, msgs: Vec<Any>) -> (u32, String) {
    let tx = testing::sign(
        key,
        &net.signer(key),
        msgs,
        &FeeSpec::new(TX_FEE, TX_GAS),
        "",
    )
    .expect("sign");
    let (code, log, hash) = net.broadcast(tx).expect("broadcast");
    if code != 0 {
        return (code, log);
    }
    let r = net.wait_tx(&hash);
    (r.tx_result.code.value(), r.tx_result.log.clone())
}

/// The `i`-th message response of a committed tx.
pub fn msg_response<M: Message + Default>(r: &TxResponse, i: usize) -> M {
    use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(r.tx_result.data.as_ref())
        .expect("base64 tx data");
    let data = TxMsgData::decode(raw.as_slice()).expect("TxMsgData");
    M::decode(data.msg_responses[i].value.as_slice()).expect("msg response")
}

/// A unary gRPC call `/<service>/<method>` (tonic's generic client), e.g. service
/// `depin.market.v1.Query`.
pub fn grpc<Req, Resp>(net: &Net, service: &str, method: &str, req: Req) -> Resp
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    let url = net.grpc_url();
    let path = format!("/{service}/{method}");
    net.rt
        .block_on(async move {
            let channel = tonic::transport::Channel::from_shared(url)
                .expect("gRPC url")
                .connect()
                .await
                .expect("gRPC connect");
            let mut grpc = tonic::client::Grpc::new(channel);
            grpc.ready().await.expect("gRPC ready");
            let path = tonic::codegen::http::uri::PathAndQuery::try_from(path).expect("gRPC path");
            grpc.unary(
                tonic::Request::new(req),
                path,
                tonic::codec::ProstCodec::default(),
            )
            .await
            .map(|r| r.into_inner())
        })
        .unwrap_or_else(|s| panic!("gRPC {service}/{method}: {s}"))
}

/// Total supply of udepin over gRPC.
pub fn supply(net: &Net) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QuerySupplyOfRequest;
    let url = net.grpc_url();
    net.rt.block_on(async {
        let mut c = QueryClient::connect(url).await.expect("gRPC connect");
        let r = c
            .supply_of(QuerySupplyOfRequest {
                denom: "udepin".into(),
            })
            .await
            .expect("SupplyOf")
            .into_inner();
        r.amount.expect("amount").amount.parse().expect("supply")
    })
}

/// A block event: (height, kind, attributes).
pub type BlockEvent = (u64, String, Vec<(String, String)>);

/// The FinalizeBlock events of blocks `from..=to` (waiting for `to`), in order.
pub fn block_events(net: &Net, from: u64, to: u64) -> Vec<BlockEvent> {
    net.wait_height(to, Duration::from_secs(60));
    let mut out = Vec::new();
    for h in from..=to {
        let height = tendermint::block::Height::try_from(h).expect("height");
        let r = net
            .rt
            .block_on(tendermint_rpc::Client::block_results(&net.rpc(), height))
            .unwrap_or_else(|e| panic!("block_results {h}: {e}"));
        let events: Events = r
            .finalize_block_events
            .iter()
            .map(|e| {
                (
                    e.kind.clone(),
                    e.attributes
                        .iter()
                        .map(|a| {
                            (
                                a.key_str().unwrap_or_default().to_string(),
                                a.value_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        out.extend(events.into_iter().map(|(k, a)| (h, k, a)));
    }
    out
}

/// A maker's genesis record: `name`, its secp256k1 key, the classes it may attest.
pub fn maker_record(name: &str, key: &DeviceSigner, classes: &[&str]) -> serde_json::Value {
    let key = key.public_key();
    serde_json::json!({
        "name": name,
        "key": {
            "type": "KEY_TYPE_SECP256K1",
            "key": base64::engine::general_purpose::STANDARD.encode(&key.key),
        },
        "allowed_classes": classes,
        "device_quota": "10",
        "devices_onboarded": "0",
        "revoked": false,
        "revoked_height": "0",
    })
}

/// `len` bytes that look random (SHA-256 in counter mode over the test's clock).
pub fn random_data(len: usize) -> Vec<u8> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(&Sha256::digest(format!("{nonce}/{i}")));
        i += 1;
    }
    out.truncate(len);
    out
}
