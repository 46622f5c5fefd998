//! The device registry end to end through real CometBFT (issue #5): a maker in genesis,
//! devices onboarded with both key types by different owners (fees burned), location asserts
//! (the second one paid), heartbeats over several epochs with replays refused, a coverage
//! witness counted once, a transfer, and every query over gRPC, ABCI query and the CLI.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use cosmrs::Any;
use depin_device::client::{self, Beacon, DeviceSigner, Onboarding};
use depin_proto::depin::device::v1 as pb;
use depin_simapp::testing::{self, FeeSpec, SignerData, TestKey};
use depin_tests::{Net, CHAIN_ID, FEE, FUNDS};
use h3o::{CellIndex, LatLng, Resolution};
use prost::{Message, Name};
use sha2::{Digest, Sha256};
use tendermint_rpc::Client;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const PREFIX: &str = "depin";
const MAKER: &str = "acme";
const CLASS: &str = "hotspot";
const ONBOARDING_FEE: u128 = 1_000_000;
const LOCATION_FEE: u128 = 250_000;
const EPOCH_BLOCKS: u64 = 4;
/// Long enough that no device goes Inactive while the test runs.
const HEARTBEAT_INTERVAL: u64 = 50;
const DENSITY_RESOLUTION: u8 = 6;
const WITNESS_RESOLUTION: u8 = 8;
/// Gas and fee of the gateway's transactions (several heartbeats in one tx need more than
/// the harness's 200 000); the fee passes the minimum gas price of 0.0025udepin.
const GATEWAY_GAS: u64 = 1_000_000;
const GATEWAY_FEE: u128 = 2_500;

// Device error codes (codespace "device"), modules/device/src/error.rs.
const WRONG_EPOCH: u32 = 25;
const HEARTBEAT_ALREADY_COUNTED: u32 = 28;
const WITNESS_ALREADY_COUNTED: u32 = 38;

fn maker_key() -> DeviceSigner {
    DeviceSigner::secp256k1(&[0x4d; 32]).expect("maker key")
}

fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Epochs of 4 blocks, the hotspot class with nonzero fees and one free assert, and the
/// maker `acme` allowed to attest hotspots.
fn patch_genesis(genesis: &mut serde_json::Value) {
    let device = &mut genesis["app_state"]["device"];
    let params = &mut device["params"];
    params["epoch_blocks"] = EPOCH_BLOCKS.to_string().into();
    params["min_location_resolution"] = 8.into();
    params["max_location_resolution"] = 12.into();
    params["density_resolution"] = DENSITY_RESOLUTION.into();
    params["witness_resolution"] = WITNESS_RESOLUTION.into();
    params["min_witness_distance"] = 1.into();
    params["max_witness_distance"] = 30.into();
    let classes = params["classes"].as_array_mut().expect("classes");
    let hotspot = classes
        .iter_mut()
        .find(|c| c["name"] == CLASS)
        .expect("the hotspot class");
    hotspot["kind"] = "DEVICE_KIND_COVERAGE".into();
    hotspot["onboarding_fee"] =
        serde_json::json!([{"denom": "udepin", "amount": ONBOARDING_FEE.to_string()}]);
    hotspot["location_fee"] =
        serde_json::json!([{"denom": "udepin", "amount": LOCATION_FEE.to_string()}]);
    hotspot["free_location_asserts"] = 1.into();
    hotspot["heartbeat_interval_epochs"] = HEARTBEAT_INTERVAL.to_string().into();
    hotspot["location_required"] = true.into();
    let key = maker_key().public_key();
    device["makers"] = serde_json::json!([{
        "name": MAKER,
        "key": {"type": "KEY_TYPE_SECP256K1", "key": b64(&key.key)},
        "allowed_classes": [CLASS],
        "device_quota": "10",
        "devices_onboarded": "0",
        "revoked": false,
        "revoked_height": "0",
    }]);
}

/// A device under test: its key, id and the next heartbeat counter.
struct TestDevice {
    key: DeviceSigner,
    id: String,
    serial: &'static str,
    counter: u64,
}

impl TestDevice {
    fn new(key: DeviceSigner, serial: &'static str) -> Self {
        let id = key.id(PREFIX);
        TestDevice {
            key,
            id,
            serial,
            counter: 0,
        }
    }

    fn heartbeat(&mut self, submitter: &str, epoch: u64) -> Any {
        self.counter += 1;
        let payload = Sha256::digest(format!("{} readings {}", self.serial, self.counter));
        any(&client::heartbeat(
            &self.key,
            CHAIN_ID,
            submitter,
            &self.id,
            epoch,
            self.counter,
            &payload,
        ))
    }
}

/// gRPC queries of the device module through tonic's generic client.
fn grpc<Req, Resp>(net: &Net, method: &str, req: Req) -> Result<Resp, Box<tonic::Status>>
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    let url = net.grpc_url();
    net.rt.block_on(async move {
        let channel = tonic::transport::Channel::from_shared(url)
            .expect("gRPC url")
            .connect()
            .await
            .expect("gRPC connect");
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.expect("gRPC ready");
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!(
            "/depin.device.v1.Query/{method}"
        ))
        .expect("path");
        grpc.unary(
            tonic::Request::new(req),
            path,
            tonic::codec::ProstCodec::default(),
        )
        .await
        .map(|r| r.into_inner())
        .map_err(Box::new)
    })
}

fn q<Req, Resp>(net: &Net, method: &str, req: Req) -> Resp
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    grpc(net, method, req).unwrap_or_else(|s| panic!("gRPC {method}: {s}"))
}

fn epoch(net: &Net) -> pb::QueryEpochResponse {
    q(net, "Epoch", pb::QueryEpochRequest {})
}

fn device(net: &Net, id: &str) -> pb::Device {
    let r: pb::QueryDeviceResponse = q(
        net,
        "Device",
        pb::QueryDeviceRequest {
            device_id: id.into(),
        },
    );
    r.device.expect("device")
}

fn page() -> Option<cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest> {
    Some(
        cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
            limit: 100,
            count_total: true,
            ..Default::default()
        },
    )
}

/// Ids of the devices a Devices query finds, sorted, after checking the total it reports.
fn device_ids(net: &Net, req: pb::QueryDevicesRequest) -> Vec<String> {
    let r: pb::QueryDevicesResponse = q(
        net,
        "Devices",
        pb::QueryDevicesRequest {
            pagination: page(),
            ..req
        },
    );
    let mut ids: Vec<String> = r.devices.into_iter().map(|d| d.id).collect();
    let total = r.pagination.expect("pagination").total;
    assert_eq!(total, ids.len() as u64, "count_total");
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn contributions(net: &Net, id: &str, from: u64, to: u64) -> Vec<pb::Contribution> {
    let r: pb::QueryContributionsResponse = q(
        net,
        "Contributions",
        pb::QueryContributionsRequest {
            device_id: id.into(),
            from_epoch: from,
            to_epoch: to,
            pagination: page(),
        },
    );
    r.contributions
}

fn locations(net: &Net, id: &str) -> Vec<pb::Location> {
    let r: pb::QueryLocationHistoryResponse = q(
        net,
        "LocationHistory",
        pb::QueryLocationHistoryRequest {
            device_id: id.into(),
            pagination: page(),
        },
    );
    r.locations
}

fn densities(net: &Net, epoch: u64) -> BTreeMap<u64, u32> {
    let r: pb::QueryHexDensitiesResponse = q(
        net,
        "HexDensities",
        pb::QueryHexDensitiesRequest {
            epoch,
            pagination: page(),
        },
    );
    r.densities
        .into_iter()
        .map(|d| {
            assert_eq!(d.epoch, epoch);
            (d.hex, d.devices)
        })
        .collect()
}

/// Total supply of udepin over gRPC (bank Query/SupplyOf).
fn supply(net: &Net) -> u128 {
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
        r.amount
            .expect("amount")
            .amount
            .parse()
            .expect("supply amount")
    })
}

type TxResponse = tendermint_rpc::endpoint::tx::Response;

fn ok(r: &TxResponse, what: &str) {
    assert_eq!(
        r.tx_result.code.value(),
        0,
        "{what} failed: {}",
        r.tx_result.log
    );
}

fn device_code(r: &TxResponse) -> u32 {
    let code = r.tx_result.code.value();
    if code != 0 {
        assert_eq!(r.tx_result.codespace, "device", "{}", r.tx_result.log);
    }
    code
}

/// The epoch of a block height (README: epoch(h) = (h − 1) / epoch_blocks).
fn epoch_of(height: u64) -> u64 {
    height.saturating_sub(1) / EPOCH_BLOCKS
}

/// The `i`-th message response of a committed tx.
fn msg_response<M: Message + Default>(r: &TxResponse, i: usize) -> M {
    use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
    // tendermint-rpc keeps the JSON's base64 text of `data` as the bytes.
    let raw = base64::engine::general_purpose::STANDARD
        .decode(r.tx_result.data.as_ref())
        .expect("base64 tx data");
    let data = TxMsgData::decode(raw.as_slice()).expect("TxMsgData");
    M::decode(data.msg_responses[i].value.as_slice()).expect("msg response")
}

/// Waits for the first block of a new epoch and returns that epoch (as the Epoch query says).
fn wait_epoch_start(net: &Net, after: Option<u64>) -> u64 {
    let start = Instant::now();
    let first = epoch(net).epoch;
    loop {
        let e = epoch(net);
        let h = net.height();
        let fresh = e.epoch > first && after.is_none_or(|a| e.epoch > a);
        if fresh && h as i64 <= e.start_height + 1 {
            return e.epoch;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no new epoch; logs:\n{}",
            net.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the app has committed the last block of an epoch after `after` and returns
/// that epoch: a heartbeat signed for it now can only land in the next one.
fn wait_epoch_end(net: &Net, after: u64) -> u64 {
    let start = Instant::now();
    loop {
        let e = epoch(net);
        let info = net.rt.block_on(net.rpc().abci_info()).expect("abci_info");
        let committed = info.last_block_height.value() as i64;
        if e.epoch > after && committed == e.end_height && epoch_of(committed as u64) == e.epoch {
            return e.epoch;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no epoch end; logs:\n{}",
            net.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Broadcasts `txs` of `key` (each a list of messages) back to back, signed for consecutive
/// sequences, and waits for all: they land in the same or the next blocks.
fn burst(net: &Net, key: &TestKey, txs: Vec<Vec<Any>>) -> Vec<TxResponse> {
    let data = net.signer(key);
    let hashes: Vec<String> = txs
        .into_iter()
        .enumerate()
        .map(|(i, msgs)| {
            let d = SignerData {
                sequence: data.sequence + i as u64,
                ..data.clone()
            };
            let fee = FeeSpec::new(GATEWAY_FEE, GATEWAY_GAS);
            let tx = testing::sign(key, &d, msgs, &fee, "").expect("sign");
            let (code, log, hash) = net.broadcast(tx).expect("broadcast");
            assert_eq!(code, 0, "CheckTx refused: {log}");
            hash
        })
        .collect();
    hashes.iter().map(|h| net.wait_tx(h)).collect()
}

/// Sends heartbeats of `devices` in one tx from `gateway`, signed for `first` or else the
/// current epoch (Epoch query); when the epoch turned between signing and inclusion
/// (WrongEpoch), signs again for the new one. Returns the epoch they were counted in and the
/// number of attempts.
fn heartbeat_until_counted(
    net: &Net,
    gateway: &TestKey,
    devices: &mut [&mut TestDevice],
    first: Option<u64>,
) -> (u64, u32) {
    for attempt in 1..=5 {
        let e = match first {
            Some(e) if attempt == 1 => e,
            _ => epoch(net).epoch,
        };
        let msgs = devices
            .iter_mut()
            .map(|d| d.heartbeat(&gateway.address, e))
            .collect();
        let r = burst(net, gateway, vec![msgs]).remove(0);
        match device_code(&r) {
            0 => {
                assert_eq!(epoch_of(r.height.value()), e);
                return (e, attempt);
            }
            WRONG_EPOCH => {
                println!("heartbeat for epoch {e} landed in the next one; signing again");
                assert!(
                    r.tx_result.log.contains("current epoch"),
                    "{}",
                    r.tx_result.log
                );
            }
            c => panic!("heartbeat refused with code {c}: {}", r.tx_result.log),
        }
    }
    panic!("heartbeats never landed in the epoch they were signed for");
}

/// Cells for the devices: `a` (res 10) and `c` (res 12, another res-10 cell of the same
/// res-8 hex), `b` (res 10, 3 grid steps away at res 8), `b2` (res 9, 5 steps away).
struct Cells {
    a: u64,
    b: u64,
    b2: u64,
    c: u64,
    hex8: u64,
}

fn cells() -> Cells {
    let a = LatLng::new(37.7749, -122.4194)
        .expect("lat lng")
        .to_cell(Resolution::Ten);
    let hex8 = a.parent(Resolution::Eight).expect("parent");
    let at_distance = |k: u32| -> CellIndex {
        let mut ring: Vec<CellIndex> = hex8
            .grid_disk_distances::<Vec<_>>(k)
            .into_iter()
            .filter(|(_, d)| *d == k)
            .map(|(c, _)| c)
            .collect();
        ring.sort();
        ring[0]
    };
    let b = at_distance(3).center_child(Resolution::Ten).expect("child");
    let b2 = at_distance(5)
        .center_child(Resolution::Nine)
        .expect("child");
    let sibling = hex8
        .children(Resolution::Ten)
        .find(|c| *c != a)
        .expect("a sibling");
    let c = sibling.center_child(Resolution::Twelve).expect("child");
    Cells {
        a: a.into(),
        b: b.into(),
        b2: b2.into(),
        c: c.into(),
        hex8: hex8.into(),
    }
}

fn density_hex(cell: u64) -> u64 {
    depin_device::h3::parent_at(cell, DENSITY_RESOLUTION).expect("parent")
}

/// Expected densities: the number of devices per density hex.
fn expected_densities(cells: &[u64]) -> BTreeMap<u64, u32> {
    let mut m = BTreeMap::new();
    for c in cells {
        *m.entry(density_hex(*c)).or_insert(0) += 1;
    }
    m
}

fn location(cell: u64, elevation: i32, gain: i32) -> pb::Location {
    pb::Location {
        h3_cell: cell,
        elevation,
        gain,
        height: 0,
    }
}

#[test]
fn device_registry_end_to_end() {
    let started = Instant::now();
    let net = Net::start_with(DEPIND, 4, patch_genesis);
    let (alice, bob, carol, gateway) = (&net.keys[0], &net.keys[1], &net.keys[2], &net.keys[3]);
    let cells = cells();
    // Witness geometry at res 8: b is 3 grid steps from a, b2 5 (both within 1..=30).
    for (cell, steps) in [(cells.b, 3), (cells.b2, 5)] {
        assert_eq!(
            depin_device::h3::grid_distance_at(cells.a, cell, WITNESS_RESOLUTION),
            Some(steps)
        );
    }

    // Params, maker and epoch as genesis set them.
    let params: pb::QueryParamsResponse = q(&net, "Params", pb::QueryParamsRequest {});
    let params = params.params.expect("params");
    assert_eq!(params.epoch_blocks, EPOCH_BLOCKS);
    assert_eq!(params.density_resolution, u32::from(DENSITY_RESOLUTION));
    let hotspot = params
        .classes
        .iter()
        .find(|c| c.name == CLASS)
        .expect("hotspot");
    assert_eq!(hotspot.kind, pb::DeviceKind::Coverage as i32);
    assert_eq!(hotspot.onboarding_fee[0].amount, ONBOARDING_FEE.to_string());
    assert_eq!(hotspot.location_fee[0].amount, LOCATION_FEE.to_string());
    assert_eq!(hotspot.free_location_asserts, 1);
    let maker: pb::QueryMakerResponse =
        q(&net, "Maker", pb::QueryMakerRequest { name: MAKER.into() });
    let maker = maker.maker.expect("maker");
    assert_eq!(maker.key, Some(maker_key().public_key()));
    assert_eq!(maker.allowed_classes, vec![CLASS.to_string()]);
    assert_eq!((maker.device_quota, maker.devices_onboarded), (10, 0));
    let e = epoch(&net);
    assert_eq!(e.start_height, (e.epoch * EPOCH_BLOCKS + 1) as i64);
    assert_eq!(e.end_height, ((e.epoch + 1) * EPOCH_BLOCKS) as i64);
    let missing = grpc::<_, pb::QueryMakerResponse>(
        &net,
        "Maker",
        pb::QueryMakerRequest {
            name: "nobody".into(),
        },
    )
    .expect_err("an unknown maker");
    // The SDK's not found (sdk 38), which gRPC carries as NotFound.
    assert_eq!(missing.code(), tonic::Code::NotFound, "{missing}");
    assert!(missing.message().contains("maker \"nobody\""), "{missing}");

    // Onboarding: D1 (secp256k1, alice, located at onboarding), D2 (Ed25519, bob), D3
    // (Ed25519, carol). The maker attests each at the factory; the owner signs the tx.
    let maker = maker_key();
    let mut d1 = TestDevice::new(DeviceSigner::secp256k1(&[0x11; 32]).unwrap(), "SN-0001");
    let mut d2 = TestDevice::new(DeviceSigner::ed25519([0x22; 32]), "SN-0002");
    let mut d3 = TestDevice::new(DeviceSigner::ed25519([0x33; 32]), "SN-0003");
    let onboard = |d: &TestDevice, owner: &TestKey, loc: Option<pb::Location>| {
        let attestation =
            client::sign_attestation(&maker, CHAIN_ID, &d.key.public_key(), CLASS, d.serial);
        any(&client::onboard_device(
            &d.key,
            attestation,
            Onboarding {
                chain_id: CHAIN_ID,
                owner: &owner.address,
                maker: MAKER,
                class: CLASS,
                serial: d.serial,
                nonce: 1,
                location: loc,
                metadata: r#"{"model":"e2e"}"#,
            },
        ))
    };

    let supply0 = supply(&net);
    assert_eq!(net.balance_grpc(&alice.address), FUNDS);
    let r = net.tx(
        alice,
        vec![onboard(&d1, alice, Some(location(cells.a, 10, 12)))],
    );
    ok(&r, "onboarding D1");
    let d1_height = r.height.value() as i64;
    let resp: pb::MsgOnboardDeviceResponse = msg_response(&r, 0);
    assert_eq!(resp.device_id, d1.id);
    // The onboarding fee is burned: it leaves alice and the supply; the tx fee goes to the
    // fee collector (not burned), so the supply drops by the onboarding fee alone.
    assert_eq!(
        net.balance_grpc(&alice.address),
        FUNDS - ONBOARDING_FEE - FEE
    );
    assert_eq!(supply(&net), supply0 - ONBOARDING_FEE);

    let r = net.tx(bob, vec![onboard(&d2, bob, None)]);
    ok(&r, "onboarding D2");
    let r = net.tx(carol, vec![onboard(&d3, carol, None)]);
    ok(&r, "onboarding D3");
    assert_eq!(net.balance_grpc(&bob.address), FUNDS - ONBOARDING_FEE - FEE);
    assert_eq!(
        net.balance_grpc(&carol.address),
        FUNDS - ONBOARDING_FEE - FEE
    );
    assert_eq!(supply(&net), supply0 - 3 * ONBOARDING_FEE);

    let got = device(&net, &d1.id);
    assert_eq!(got.owner, alice.address);
    assert_eq!((got.maker.as_str(), got.class.as_str()), (MAKER, CLASS));
    assert_eq!(got.serial, "SN-0001");
    assert_eq!(got.key, Some(d1.key.public_key()));
    assert_eq!(got.status, pb::DeviceStatus::Onboarded as i32);
    assert_eq!(got.onboarded_height, d1_height);
    assert_eq!(got.location_asserts, 0);
    let loc = got.location.expect("D1's location");
    assert_eq!((loc.h3_cell, loc.elevation, loc.gain), (cells.a, 10, 12));
    assert_eq!(got.metadata, r#"{"model":"e2e"}"#);
    assert_eq!(
        device(&net, &d2.id).key.expect("key").r#type,
        pb::KeyType::Ed25519 as i32
    );
    assert_eq!(device(&net, &d2.id).location, None);

    // Locations: D2's first assert is free, its second pays the location fee (burned); D3's
    // first is free.
    let assert_location = |owner: &TestKey, id: &str, loc: pb::Location| {
        any(&pb::MsgAssertLocation {
            owner: owner.address.clone(),
            device_id: id.into(),
            location: Some(loc),
        })
    };
    let supply1 = supply(&net);
    let r = net.tx(
        bob,
        vec![assert_location(bob, &d2.id, location(cells.b, 5, 30))],
    );
    ok(&r, "D2's first assert");
    let b_height = r.height.value() as i64;
    let resp: pb::MsgAssertLocationResponse = msg_response(&r, 0);
    assert!(
        resp.fee.is_empty(),
        "the first assert is free: {:?}",
        resp.fee
    );
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - 2 * FEE
    );
    let r = net.tx(
        bob,
        vec![assert_location(bob, &d2.id, location(cells.b2, 6, 31))],
    );
    ok(&r, "D2's second assert");
    let b2_height = r.height.value() as i64;
    let resp: pb::MsgAssertLocationResponse = msg_response(&r, 0);
    assert_eq!(resp.fee, vec![format!("{LOCATION_FEE}udepin")]);
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - LOCATION_FEE - 3 * FEE
    );
    assert_eq!(supply(&net), supply1 - LOCATION_FEE);
    let r = net.tx(
        carol,
        vec![assert_location(carol, &d3.id, location(cells.c, 2, 0))],
    );
    ok(&r, "D3's assert");
    let c_height = r.height.value() as i64;
    assert_eq!(supply(&net), supply1 - LOCATION_FEE);

    let history = locations(&net, &d2.id);
    let pairs: Vec<(u64, i64)> = history.iter().map(|l| (l.h3_cell, l.height)).collect();
    assert_eq!(pairs, vec![(cells.b, b_height), (cells.b2, b2_height)]);
    assert_eq!((history[1].elevation, history[1].gain), (6, 31));
    let d2_now = device(&net, &d2.id);
    assert_eq!(d2_now.location_asserts, 2);
    assert_eq!(d2_now.location.expect("location").h3_cell, cells.b2);
    let d3_history: Vec<(u64, i64)> = locations(&net, &d3.id)
        .iter()
        .map(|l| (l.h3_cell, l.height))
        .collect();
    assert_eq!(d3_history, vec![(cells.c, c_height)]);
    // The location given at onboarding starts the history (not counted as an assert).
    let d1_history: Vec<(u64, i64)> = locations(&net, &d1.id)
        .iter()
        .map(|l| (l.h3_cell, l.height))
        .collect();
    assert_eq!(d1_history, vec![(cells.a, d1_height)]);

    // Statuses before any heartbeat.
    let onboarded = pb::DeviceStatus::Onboarded as i32;
    let active = pb::DeviceStatus::Active as i32;
    let all = sorted(&[&d1.id, &d2.id, &d3.id]);
    let by_status = |s: i32| {
        device_ids(
            &net,
            pb::QueryDevicesRequest {
                status: s,
                ..Default::default()
            },
        )
    };
    assert_eq!(by_status(onboarded), all);
    assert_eq!(by_status(active), Vec::<String>::new());

    // Epoch e1: heartbeats of all three in one tx (signed for the epoch that just started),
    // then the same heartbeat of D1 again in a second tx: not counted twice.
    let e1 = wait_epoch_start(&net, None);
    let beats: Vec<Any> = [&mut d1, &mut d2, &mut d3]
        .into_iter()
        .map(|d| d.heartbeat(&gateway.address, e1))
        .collect();
    let replay = beats[0].clone();
    let rs = burst(&net, gateway, vec![beats, vec![replay.clone()]]);
    assert_eq!(device_code(&rs[0]), 0, "{}", rs[0].tx_result.log);
    assert_eq!(epoch_of(rs[0].height.value()), e1);
    // The replay executes in the same epoch (both landed within the epoch's 4 blocks).
    assert_eq!(epoch_of(rs[1].height.value()), e1);
    assert_eq!(
        device_code(&rs[1]),
        HEARTBEAT_ALREADY_COUNTED,
        "{}",
        rs[1].tx_result.log
    );
    // The exact same transaction again: CometBFT dropped it from its cache when it failed
    // in the block, so it reaches CheckTx, whose sequence check refuses it. (CheckTx does not
    // execute messages, as in the Cosmos SDK: a heartbeat re-sent in a new tx is refused by
    // the block, code 28 above.)
    let last = net.signer(gateway);
    let again = testing::sign(
        gateway,
        &SignerData {
            sequence: last.sequence - 1,
            ..last.clone()
        },
        vec![replay],
        &FeeSpec::new(GATEWAY_FEE, GATEWAY_GAS),
        "",
    )
    .unwrap();
    let (code, log, _) = net.broadcast(again).expect("broadcast");
    assert_eq!(code, 32, "the same tx again: {log}");
    assert_eq!(
        log,
        format!(
            "account sequence mismatch, expected {}, got {}: incorrect account sequence",
            last.sequence,
            last.sequence - 1
        )
    );
    assert_eq!(by_status(active), all);
    assert_eq!(by_status(onboarded), Vec::<String>::new());
    let got = device(&net, &d1.id);
    assert_eq!(
        (
            got.last_heartbeat_epoch,
            got.heartbeat_counter,
            got.heartbeats
        ),
        (e1, 1, 1)
    );

    // Epoch e2: heartbeats of D1 and D2, then a beacon of D1 (alice) heard by D2 (bob), then
    // the same witness report again.
    let e2 = wait_epoch_start(&net, Some(e1));
    let beats: Vec<Any> = [&mut d1, &mut d2]
        .into_iter()
        .map(|d| d.heartbeat(&gateway.address, e2))
        .collect();
    let data_hash = Sha256::digest(b"beacon payload");
    let beacon = Beacon::sign(&d1.key, CHAIN_ID, &d1.id, e2, 1, &data_hash);
    let report = any(&client::submit_witness(
        CHAIN_ID,
        &gateway.address,
        &beacon,
        &d2.key,
        &d2.id,
        -920,
        75,
    ));
    let rs = burst(
        &net,
        gateway,
        vec![beats, vec![report.clone()], vec![report]],
    );
    assert_eq!(device_code(&rs[0]), 0, "{}", rs[0].tx_result.log);
    for r in &rs {
        assert_eq!(
            epoch_of(r.height.value()),
            e2,
            "all of the round in epoch e2"
        );
    }
    assert_eq!(device_code(&rs[1]), 0, "witness: {}", rs[1].tx_result.log);
    assert_eq!(
        device_code(&rs[2]),
        WITNESS_ALREADY_COUNTED,
        "{}",
        rs[2].tx_result.log
    );

    // Transfer D1 from alice to carol; its next heartbeat (a later epoch) is accepted and its
    // contribution names carol.
    let r = net.tx(
        alice,
        vec![any(&pb::MsgTransferDevice {
            owner: alice.address.clone(),
            device_id: d1.id.clone(),
            new_owner: carol.address.clone(),
        })],
    );
    ok(&r, "transfer");
    let transfer_epoch = epoch_of(r.height.value());
    assert_eq!(device(&net, &d1.id).owner, carol.address);
    // Signed at the last block of an epoch, the heartbeat lands in the next one: WrongEpoch,
    // then signed again for the new epoch and counted.
    let stale = wait_epoch_end(&net, transfer_epoch.max(e2));
    let (e3, attempts) = heartbeat_until_counted(&net, gateway, &mut [&mut d1], Some(stale));
    assert_eq!((e3, attempts), (stale + 1, 2));

    // Balances and supply: the fees burned are exactly the three onboardings and one paid
    // location assert; every tx paid its fee, failed ones too (7 gateway txs: 2 + 3 + 2).
    assert_eq!(
        net.balance_grpc(&alice.address),
        FUNDS - ONBOARDING_FEE - 2 * FEE
    );
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - LOCATION_FEE - 3 * FEE
    );
    assert_eq!(
        net.balance_grpc(&carol.address),
        FUNDS - ONBOARDING_FEE - 2 * FEE
    );
    assert_eq!(net.balance_grpc(&gateway.address), FUNDS - 7 * GATEWAY_FEE);
    assert_eq!(supply(&net), supply0 - 3 * ONBOARDING_FEE - LOCATION_FEE);

    // Contributions, counted to the unit.
    let contribution =
        |d: &TestDevice, e: u64, owner: &TestKey, cell: u64, (h, b, w): (u32, u32, u32)| {
            pb::Contribution {
                device_id: d.id.clone(),
                epoch: e,
                owner: owner.address.clone(),
                class: CLASS.into(),
                heartbeats: h,
                beacons: b,
                witnesses: w,
                density_hex: density_hex(cell),
            }
        };
    let now = epoch(&net).epoch;
    assert_eq!(
        contributions(&net, &d1.id, 0, 0),
        vec![
            contribution(&d1, e1, alice, cells.a, (1, 0, 0)),
            contribution(&d1, e2, alice, cells.a, (1, 1, 0)),
            contribution(&d1, e3, carol, cells.a, (1, 0, 0)),
        ]
    );
    assert_eq!(
        contributions(&net, &d1.id, e2, e2),
        vec![contribution(&d1, e2, alice, cells.a, (1, 1, 0))]
    );
    assert_eq!(
        contributions(&net, &d2.id, e1, now),
        vec![
            contribution(&d2, e1, bob, cells.b2, (1, 0, 0)),
            contribution(&d2, e2, bob, cells.b2, (1, 0, 1)),
        ]
    );
    assert_eq!(
        contributions(&net, &d3.id, 0, 0),
        vec![contribution(&d3, e1, carol, cells.c, (1, 0, 0))]
    );
    let got = device(&net, &d1.id);
    assert_eq!(
        (
            got.last_heartbeat_epoch,
            got.heartbeat_counter,
            got.heartbeats
        ),
        (e3, d1.counter, 3)
    );
    assert_eq!(got.status, active);

    // Hex densities: devices per density hex per epoch. a and c share a res-6 hex, b2 lies in
    // the next one, so epoch e1 has a hex of two devices and one of one.
    let (hex_a, hex_b2) = (density_hex(cells.a), density_hex(cells.b2));
    assert_eq!(density_hex(cells.c), hex_a);
    assert_ne!(hex_b2, hex_a);
    assert_eq!(
        densities(&net, e1),
        BTreeMap::from([(hex_a, 2), (hex_b2, 1)])
    );
    assert_eq!(
        densities(&net, e1),
        expected_densities(&[cells.a, cells.b2, cells.c])
    );
    assert_eq!(
        densities(&net, e2),
        expected_densities(&[cells.a, cells.b2])
    );
    assert_eq!(densities(&net, e3), expected_densities(&[cells.a]));

    // Devices by owner, maker, class, status and cell.
    let by = |req: pb::QueryDevicesRequest| device_ids(&net, req);
    assert_eq!(
        by(pb::QueryDevicesRequest {
            owner: carol.address.clone(),
            ..Default::default()
        }),
        sorted(&[&d1.id, &d3.id])
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            owner: alice.address.clone(),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            owner: bob.address.clone(),
            ..Default::default()
        }),
        vec![d2.id.clone()]
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            maker: MAKER.into(),
            ..Default::default()
        }),
        all
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            class: CLASS.into(),
            ..Default::default()
        }),
        all
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            class: "compute".into(),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(by(Default::default()), all);
    assert_eq!(by_status(active), all);
    // The res-8 hex holding a and c finds D1 and D3 (finer cells inside it), not D2.
    assert_eq!(
        by(pb::QueryDevicesRequest {
            h3_cell: cells.hex8,
            ..Default::default()
        }),
        sorted(&[&d1.id, &d3.id])
    );
    // a itself (res 10) holds D1 only; b (D2's old cell) nobody.
    assert_eq!(
        by(pb::QueryDevicesRequest {
            h3_cell: cells.a,
            ..Default::default()
        }),
        vec![d1.id.clone()]
    );
    assert_eq!(
        by(pb::QueryDevicesRequest {
            h3_cell: cells.b,
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    // A coarse parent (res 4) of a holds all three.
    let res4 = depin_device::h3::parent_at(cells.a, 4).unwrap();
    assert_eq!(depin_device::h3::parent_at(cells.b2, 4).unwrap(), res4);
    assert_eq!(
        by(pb::QueryDevicesRequest {
            h3_cell: res4,
            ..Default::default()
        }),
        all
    );
    let two_filters = grpc::<_, pb::QueryDevicesResponse>(
        &net,
        "Devices",
        pb::QueryDevicesRequest {
            owner: bob.address.clone(),
            maker: MAKER.into(),
            ..Default::default()
        },
    )
    .expect_err("two filters");
    assert_eq!(
        two_filters.code(),
        tonic::Code::InvalidArgument,
        "{two_filters}"
    );

    // Makers: acme with its three devices.
    let makers: pb::QueryMakersResponse = q(
        &net,
        "Makers",
        pb::QueryMakersRequest { pagination: page() },
    );
    assert_eq!(makers.makers.len(), 1);
    assert_eq!(makers.makers[0].name, MAKER);
    assert_eq!(makers.makers[0].devices_onboarded, 3);

    // The same answer through CometBFT's ABCI query as over gRPC.
    let req = pb::QueryDeviceRequest {
        device_id: d2.id.clone(),
    };
    let over_grpc: pb::QueryDeviceResponse = q(&net, "Device", req.clone());
    let (code, bytes, log) = net.abci_query("/depin.device.v1.Query/Device", req.encode_to_vec());
    assert_eq!(code, 0, "{log}");
    assert_eq!(bytes, over_grpc.encode_to_vec());

    // The CLI: `depind query device devices --owner <carol> --output json`.
    let out = net.depind_ok(&[
        "query",
        "device",
        "devices",
        "--owner",
        &carol.address,
        "--output",
        "json",
        "--node",
        &format!("tcp://127.0.0.1:{}", net.ports.rpc),
    ]);
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("CLI JSON");
    let listed = json["devices"].as_array().expect("devices");
    let mut ids: Vec<String> = listed
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, sorted(&[&d1.id, &d3.id]), "{json}");
    for d in listed {
        assert_eq!(d["owner"], carol.address.as_str());
        assert_eq!(d["maker"], MAKER);
        assert_eq!(d["class"], CLASS);
        assert_eq!(d["status"], "DEVICE_STATUS_ACTIVE");
    }
    let d1_json = listed.iter().find(|d| d["id"] == d1.id.as_str()).unwrap();
    assert_eq!(d1_json["key"]["type"], "KEY_TYPE_SECP256K1");
    assert_eq!(d1_json["location"]["h3_cell"], cells.a.to_string());
    assert_eq!(d1_json["heartbeats"], "3");

    println!(
        "device e2e: epochs {e1}, {e2}, {e3}; height {}; {:.1}s",
        net.height(),
        started.elapsed().as_secs_f64()
    );
}
