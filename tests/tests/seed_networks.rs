//! The four seed networks as runnable scenarios: each test starts real `cometbft` + `depind`
//! processes on a genesis made by `depind init --preset <network>`, drives the network's story
//! through the client libraries (device and market clients, cosmrs signing, gRPC queries) and
//! checks balances, states and rewards to the unit.
//!
//! The presets carry real-network timing (hour-long reward epochs); each test shortens the
//! epochs (and nothing else of the preset's shape) so that the story fits in seconds. The
//! tests run one after another (one lock), so CI's two cores serve one chain at a time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use depin_device::client::{self as device_client, Beacon, DeviceSigner, Onboarding};
use depin_proto::depin::device::v1 as dpb;
use depin_proto::depin::market::v1 as mpb;
use depin_proto::depin::rewards::v1 as rpb;
use depin_simapp::testing::TestKey;
use depin_tests::story::{
    amount, any, block_events, grpc, int, maker_record, msg_response, supply, try_tx, tx, udepin,
    TX_FEE,
};
use depin_tests::{Net, CHAIN_ID, FUNDS};
use h3o::{LatLng, Resolution};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const PREFIX: &str = "depin";
const MAKER: &str = "acme";
/// Every scenario's reward epochs: 10 blocks of 1,000,000 udepin at first.
const REWARDS_EPOCH_BLOCKS: u64 = 10;
const EMISSION: u128 = 1_000_000;
const TIMEOUT: Duration = Duration::from_secs(90);

/// One chain at a time.
static SEQUENTIAL: Mutex<()> = Mutex::new(());

fn maker_key() -> DeviceSigner {
    DeviceSigner::secp256k1(&[0x4d; 32]).expect("maker key")
}

/// The test's timing on top of a preset: short reward and device epochs, the maker `acme`
/// allowed to attest `classes`.
fn short_epochs(g: &mut Value, device_epoch_blocks: u64, classes: &[&str]) {
    let r = &mut g["app_state"]["rewards"]["params"];
    r["epoch_blocks"] = json!(REWARDS_EPOCH_BLOCKS.to_string());
    r["initial_epoch_emission"] = json!(EMISSION.to_string());
    let d = &mut g["app_state"]["device"];
    d["params"]["epoch_blocks"] = json!(device_epoch_blocks.to_string());
    d["makers"] = json!([maker_record(MAKER, &maker_key(), classes)]);
}

fn rewards_q<Req, Resp>(net: &Net, method: &str, req: Req) -> Resp
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    grpc(net, "depin.rewards.v1.Query", method, req)
}

fn device_q<Req, Resp>(net: &Net, method: &str, req: Req) -> Resp
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    grpc(net, "depin.device.v1.Query", method, req)
}

fn market_q<Req, Resp>(net: &Net, method: &str, req: Req) -> Resp
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    grpc(net, "depin.market.v1.Query", method, req)
}

fn pending(net: &Net, address: &str) -> (u128, u128) {
    let r: rpb::QueryPendingResponse = rewards_q(
        net,
        "Pending",
        rpb::QueryPendingRequest {
            address: address.into(),
        },
    );
    let p = r.pending.unwrap_or_default();
    (int(&p.from_devices), int(&p.from_providers))
}

fn credits(net: &Net, address: &str) -> u128 {
    let r: rpb::QueryCreditsResponse = rewards_q(
        net,
        "Credits",
        rpb::QueryCreditsRequest {
            address: address.into(),
        },
    );
    int(&r.credits.unwrap_or_default().balance)
}

fn device(net: &Net, id: &str) -> dpb::Device {
    let r: dpb::QueryDeviceResponse = device_q(
        net,
        "Device",
        dpb::QueryDeviceRequest {
            device_id: id.into(),
        },
    );
    r.device.expect("device")
}

fn emissions(net: &Net) -> Vec<rpb::EpochEmission> {
    let r: rpb::QueryEmissionsResponse = rewards_q(
        net,
        "Emissions",
        rpb::QueryEmissionsRequest { pagination: None },
    );
    r.emissions
}

/// The amount of a coin attribute ("123udepin").
fn coin_attr(attrs: &[(String, String)], key: &str) -> u128 {
    let v = &attrs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {attrs:?}"))
        .1;
    int(v.trim_end_matches(|c: char| c.is_ascii_alphabetic()))
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {attrs:?}"))
}

/// Waits until some block from `from` on carries an event `kind` whose attributes satisfy
/// `pred`; returns all events of that kind in the blocks scanned and the last height scanned.
fn wait_event(
    net: &Net,
    from: u64,
    kind: &str,
    pred: impl Fn(&[(String, String)]) -> bool,
) -> (Vec<Vec<(String, String)>>, u64) {
    let deadline = Instant::now() + TIMEOUT;
    let mut next = from;
    let mut seen = Vec::new();
    loop {
        // The results of the newest block may not be stored yet.
        let tip = net.height().saturating_sub(1);
        if tip >= next {
            for (_, k, a) in block_events(net, next, tip) {
                if k == kind {
                    seen.push(a);
                }
            }
            next = tip + 1;
            if seen.iter().any(|a| pred(a)) {
                return (seen, tip);
            }
        }
        assert!(Instant::now() < deadline, "no {kind} event after {from}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits for a device epoch after `after` with at least `room` blocks left; returns it.
fn fresh_device_epoch(net: &Net, after: Option<u64>, room: i64) -> u64 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let e: dpb::QueryEpochResponse = device_q(net, "Epoch", dpb::QueryEpochRequest {});
        let h = net.height() as i64;
        if e.next_block_epoch == e.epoch
            && after.is_none_or(|a| e.epoch > a)
            && e.end_height - h >= room
        {
            return e.epoch;
        }
        assert!(Instant::now() < deadline, "no fresh device epoch");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Onboarding `device` of `class` for `owner`.
fn onboard(
    owner: &TestKey,
    device: &DeviceSigner,
    class: &str,
    serial: &str,
    cell: Option<u64>,
) -> dpb::MsgOnboardDevice {
    let attestation = device_client::sign_attestation(
        &maker_key(),
        CHAIN_ID,
        &device.public_key(),
        class,
        serial,
    );
    device_client::onboard_device(
        device,
        attestation,
        Onboarding {
            chain_id: CHAIN_ID,
            owner: &owner.address,
            maker: MAKER,
            class,
            serial,
            nonce: 1,
            location: cell.map(|c| dpb::Location {
                h3_cell: c,
                elevation: 10,
                gain: 30,
                height: 0,
            }),
            metadata: "",
        },
    )
}

fn heartbeat(
    submitter: &TestKey,
    key: &DeviceSigner,
    id: &str,
    epoch: u64,
    counter: u64,
) -> dpb::MsgHeartbeat {
    let payload = Sha256::digest(format!("{id} reading {counter}"));
    device_client::heartbeat(
        key,
        CHAIN_ID,
        &submitter.address,
        id,
        epoch,
        counter,
        &payload,
    )
}

/// The pot of `bucket`'s sharing of `epoch`, from its `rewards_payout_finished` event.
fn pot(events: &[Vec<(String, String)>], bucket: &str, epoch: u64) -> u128 {
    let e = events
        .iter()
        .find(|a| attr(a, "bucket") == bucket && attr(a, "epoch") == epoch.to_string())
        .unwrap_or_else(|| panic!("no {bucket} payout of epoch {epoch}"));
    coin_attr(e, "amount")
}

/// Once `n` epochs are minted: each followed the preset's schedule (`base(e)`), and the last
/// one's `rewards_epoch_minted` event split it by the preset's buckets.
fn check_emissions(net: &Net, n: usize, base: impl Fn(u64) -> u128, bps: [u128; 4]) {
    let deadline = Instant::now() + TIMEOUT;
    let records = loop {
        let r = emissions(net);
        if r.len() >= n {
            break r;
        }
        assert!(Instant::now() < deadline, "{n} epochs never minted: {r:?}");
        std::thread::sleep(Duration::from_millis(300));
    };
    for r in &records {
        assert_eq!(int(&r.minted), base(r.epoch), "epoch {}", r.epoch);
    }
    let last = records.last().expect("record");
    let events = block_events(net, last.height, last.height);
    let minted = events
        .iter()
        .find(|(_, k, _)| k == "rewards_epoch_minted")
        .map(|(_, _, a)| a.clone())
        .expect("rewards_epoch_minted");
    let m = coin_attr(&minted, "minted");
    let parts = [
        coin_attr(&minted, "to_validators"),
        coin_attr(&minted, "to_devices"),
        coin_attr(&minted, "to_providers"),
        coin_attr(&minted, "to_community"),
    ];
    for i in 0..3 {
        assert_eq!(parts[i], m * bps[i] / 10_000, "bucket {i} of {minted:?}");
    }
    assert_eq!(parts.iter().sum::<u128>(), m);
}

/// The supply less everything minted so far (read again when an epoch was minted between the
/// queries): what only burns move.
fn unminted_supply(net: &Net) -> u128 {
    let minted = |net: &Net| -> u128 { emissions(net).iter().map(|r| int(&r.minted)).sum() };
    loop {
        let before = minted(net);
        let s = supply(net);
        if minted(net) == before {
            return s - before;
        }
    }
}

/// The supply moved by exactly `burned` (and the emission) since `base` was read with
/// [`unminted_supply`].
fn check_supply(net: &Net, base: u128, burned: u128) {
    assert_eq!(
        unminted_supply(net),
        base - burned,
        "the supply less the emission"
    );
}

/// Claims `key`'s pending rewards; returns what the claim paid, checked against the balance.
fn claim(net: &Net, key: &TestKey) -> u128 {
    let before = net.balance_grpc(&key.address);
    let r = tx(
        net,
        key,
        vec![any(&rpb::MsgClaim {
            claimant: key.address.clone(),
        })],
        "claim",
    );
    let paid = amount(&msg_response::<rpb::MsgClaimResponse>(&r, 0).amount);
    assert_eq!(net.balance_grpc(&key.address), before + paid - TX_FEE);
    assert_eq!(pending(net, &key.address), (0, 0));
    paid
}

#[test]
fn iot_coverage_network() {
    let _one = SEQUENTIAL.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    const DEVICE_EPOCH: u64 = 12;
    const HALVING: u64 = 2;
    let net = Net::start_preset(DEPIND, 2, "iot", |g| {
        short_epochs(g, DEVICE_EPOCH, &["hotspot"]);
        g["app_state"]["rewards"]["params"]["halving_epochs"] = json!(HALVING.to_string());
    });
    let (alice, bob) = (&net.keys[0], &net.keys[1]);
    let supply0 = unminted_supply(&net);
    // The preset's hotspot class: 40 DEPIN to onboard, location required.
    let class: dpb::QueryParamsResponse = device_q(&net, "Params", dpb::QueryParamsRequest {});
    let class = class.params.expect("params").classes.remove(0);
    assert_eq!(
        (class.name.as_str(), class.location_required),
        ("hotspot", true)
    );
    let fee = amount(&class.onboarding_fee.first().cloned());
    assert_eq!(fee, 40_000_000);

    // Alice buys data credits (100 a udepin) and pays her onboarding with them; Bob pays his
    // in tokens. Both fees end up burned.
    const BURN: u128 = 50_000_000;
    let r = tx(
        &net,
        alice,
        vec![any(&rpb::MsgBurnForCredits {
            sender: alice.address.clone(),
            amount: Some(udepin(BURN)),
            recipient: String::new(),
        })],
        "burn for credits",
    );
    let got = int(&msg_response::<rpb::MsgBurnForCreditsResponse>(&r, 0).credits);
    assert_eq!(got, BURN * 100);
    assert_eq!(credits(&net, &alice.address), BURN * 100);

    // Two hotspots three res-8 cells apart: close enough to witness each other.
    let a = LatLng::new(37.7749, -122.4194)
        .expect("lat lng")
        .to_cell(Resolution::Ten);
    let a8 = a.parent(Resolution::Eight).expect("parent");
    let b8 = a8
        .grid_disk::<Vec<_>>(3)
        .into_iter()
        .find(|c| a8.grid_distance(*c) == Ok(3))
        .expect("a cell 3 away");
    let b = b8.center_child(Resolution::Ten).expect("child");
    let (ka, kb) = (
        DeviceSigner::ed25519([0xa1; 32]),
        DeviceSigner::ed25519([0xb2; 32]),
    );
    let (ida, idb) = (ka.id(PREFIX), kb.id(PREFIX));
    depin_tests::story::all(
        &net,
        vec![
            (
                alice,
                vec![any(&onboard(alice, &ka, "hotspot", "HS-A", Some(a.into())))],
                "onboard A",
            ),
            (
                bob,
                vec![any(&onboard(bob, &kb, "hotspot", "HS-B", Some(b.into())))],
                "onboard B",
            ),
        ],
    );
    assert_eq!(credits(&net, &alice.address), BURN * 100 - fee * 100);
    assert_eq!(net.balance_grpc(&alice.address), FUNDS - BURN - 2 * TX_FEE);
    assert_eq!(net.balance_grpc(&bob.address), FUNDS - fee - TX_FEE);
    assert_eq!(device(&net, &ida).owner, alice.address);

    // One device epoch of coverage (after the first mint): both heartbeat, A beacons and B
    // witnesses it.
    net.wait_height(REWARDS_EPOCH_BLOCKS + 2, TIMEOUT);
    let epoch = fresh_device_epoch(&net, None, 5);
    let beacon = Beacon::sign(&ka, CHAIN_ID, &ida, epoch, 1, &Sha256::digest(b"beacon A"));
    let witness =
        device_client::submit_witness(CHAIN_ID, &alice.address, &beacon, &kb, &idb, -90, 7);
    tx(
        &net,
        alice,
        vec![
            any(&heartbeat(alice, &ka, &ida, epoch, 1)),
            any(&heartbeat(alice, &kb, &idb, epoch, 1)),
            any(&witness),
        ],
        "coverage",
    );
    // Weights with the preset's 1 / 2 / 4: A = 1 heartbeat + 1 beacon = 3, B = 1 + 1 witness = 5.
    let (events, _) = wait_event(&net, 1, "rewards_payout_finished", |a| {
        attr(a, "bucket") == "devices" && attr(a, "epoch") == epoch.to_string()
    });
    let pot = pot(&events, "devices", epoch);
    assert!(pot > 0);
    let (alice_devices, _) = pending(&net, &alice.address);
    let (bob_devices, _) = pending(&net, &bob.address);
    assert_eq!(alice_devices, pot * 3 / 8, "A's share of {pot}");
    assert_eq!(bob_devices, pot * 5 / 8, "B's share of {pot}");

    // Claims pay exactly what was pending.
    assert_eq!(claim(&net, alice), alice_devices);
    assert_eq!(claim(&net, bob), bob_devices);

    // Emission halves every HALVING epochs; 10% / 70% / 0% / 20%.
    check_emissions(
        &net,
        3,
        |e| EMISSION >> (e / HALVING),
        [1_000, 7_000, 0, 2_000],
    );
    // The supply: the genesis, less the burns (credits, B's fee), plus what was minted.
    check_supply(&net, supply0, BURN + fee);
    eprintln!(
        "iot: device epoch {epoch} shared {pot}udepin 3:5, in {:?}",
        started.elapsed()
    );
}

#[test]
fn device_identity_network() {
    let _one = SEQUENTIAL.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    const DEVICE_EPOCH: u64 = 10;
    let net = Net::start_preset(DEPIND, 2, "identity", |g| {
        short_epochs(g, DEVICE_EPOCH, &["sensor"])
    });
    let (alice, bob) = (&net.keys[0], &net.keys[1]);
    let supply0 = unminted_supply(&net);
    const FEE: u128 = 100_000;

    // A sensor with a maker-attested key; no location needed.
    let key1 = DeviceSigner::secp256k1(&[0x11; 32]).expect("key");
    let id = key1.id(PREFIX);
    tx(
        &net,
        alice,
        vec![any(&onboard(alice, &key1, "sensor", "SN-1", None))],
        "onboard",
    );
    let d = device(&net, &id);
    assert_eq!(
        (d.owner.as_str(), d.maker.as_str(), d.class.as_str()),
        (alice.address.as_str(), MAKER, "sensor")
    );
    assert_eq!(d.key.expect("key"), key1.public_key());
    check_supply(&net, supply0, FEE);
    assert_eq!(net.balance_grpc(&alice.address), FUNDS - FEE - TX_FEE);

    // Epoch 1 of data (after the first mint, so that its pot holds something): a heartbeat
    // signed by the device; one signed by another key is refused and changes nothing.
    net.wait_height(REWARDS_EPOCH_BLOCKS + 2, TIMEOUT);
    let e1 = fresh_device_epoch(&net, None, 4);
    let forged = DeviceSigner::secp256k1(&[0x99; 32]).expect("key");
    let (code, log) = try_tx(&net, bob, vec![any(&heartbeat(bob, &forged, &id, e1, 1))]);
    assert!(code != 0 && log.contains("signature"), "{code} {log}");
    tx(
        &net,
        bob,
        vec![any(&heartbeat(bob, &key1, &id, e1, 1))],
        "heartbeat",
    );

    // Ownership moves to Bob (only the owner may move it); Bob rotates the key.
    tx(
        &net,
        alice,
        vec![any(&dpb::MsgTransferDevice {
            owner: alice.address.clone(),
            device_id: id.clone(),
            new_owner: bob.address.clone(),
        })],
        "transfer",
    );
    let (code, log) = try_tx(
        &net,
        alice,
        vec![any(&dpb::MsgTransferDevice {
            owner: alice.address.clone(),
            device_id: id.clone(),
            new_owner: TestKey::from_seed(9).address,
        })],
    );
    assert!(code != 0 && log.contains("owner"), "{code} {log}");
    assert_eq!(device(&net, &id).owner, bob.address);
    let key2 = DeviceSigner::ed25519([0x22; 32]);
    tx(
        &net,
        bob,
        vec![any(&device_client::rotate_device_key(
            &key1,
            &key2,
            CHAIN_ID,
            &bob.address,
            &id,
            0,
        ))],
        "rotate",
    );
    let d = device(&net, &id);
    assert_eq!(d.key.expect("key"), key2.public_key());
    assert_eq!(d.id, id, "the identity outlives its key");

    // Epoch 2: the old key no longer speaks for the device; the new one does.
    let e2 = fresh_device_epoch(&net, Some(e1), 4);
    let (code, log) = try_tx(&net, bob, vec![any(&heartbeat(bob, &key1, &id, e2, 2))]);
    assert!(code != 0 && log.contains("signature"), "{code} {log}");
    tx(
        &net,
        bob,
        vec![any(&heartbeat(bob, &key2, &id, e2, 2))],
        "heartbeat",
    );

    // Each epoch's pot goes whole to whoever owned the device when it worked: epoch 1 to
    // Alice, epoch 2 to Bob.
    let (events, _) = wait_event(&net, 1, "rewards_payout_finished", |a| {
        attr(a, "bucket") == "devices" && attr(a, "epoch") == e2.to_string()
    });
    let (p1, p2) = (pot(&events, "devices", e1), pot(&events, "devices", e2));
    assert!(p1 > 0 && p2 > 0);
    assert_eq!(pending(&net, &alice.address).0, p1);
    assert_eq!(pending(&net, &bob.address).0, p2);
    assert_eq!(claim(&net, alice), p1);
    assert_eq!(claim(&net, bob), p2);

    // A fixed emission: 50% / 40% / 0% / 10%.
    check_emissions(&net, 2, |_| EMISSION, [5_000, 4_000, 0, 1_000]);
    eprintln!(
        "identity: epochs {e1} and {e2} paid {p1} and {p2}udepin, in {:?}",
        started.elapsed()
    );
}

/// Onboards a compute or storage device for `owner`, heartbeats it and registers `owner` as a
/// provider with `collateral`: one transaction's messages.
fn provider_msgs(owner: &TestKey, class: &str, seed: u8, collateral: u128) -> Vec<cosmrs::Any> {
    let key = DeviceSigner::ed25519([seed; 32]);
    let id = key.id(PREFIX);
    vec![
        any(&onboard(
            owner,
            &key,
            class,
            &format!("{class}-{seed}"),
            None,
        )),
        any(&heartbeat(owner, &key, &id, 0, 1)),
        any(&mpb::MsgCreateProvider {
            owner: owner.address.clone(),
            host_uri: format!("https://{class}-{seed}.example"),
            attributes: vec![
                mpb::Attribute {
                    key: "region".into(),
                    value: "eu".into(),
                },
                mpb::Attribute {
                    key: "tier".into(),
                    value: "gpu".into(),
                },
            ],
            device_ids: vec![id],
            collateral: Some(udepin(collateral)),
        }),
    ]
}

#[test]
fn compute_marketplace_network() {
    let _one = SEQUENTIAL.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    const USAGE_EPOCH: u64 = 8;
    let auditor = TestKey::from_seed(3);
    let auditor_address = auditor.address.clone();
    let net = Net::start_preset(DEPIND, 3, "compute", move |g| {
        // Long device epochs: the provider's device stays active all along.
        short_epochs(g, 10_000, &["compute"]);
        g["app_state"]["market"]["params"]["usage_epoch_blocks"] = json!(USAGE_EPOCH.to_string());
        g["app_state"]["market"]["auditors"] =
            json!([{ "address": auditor_address, "info": "hardware audits" }]);
    });
    let (alice, carol, dave) = (&net.keys[0], &net.keys[1], &net.keys[2]);
    assert_eq!(dave.address, auditor.address);
    let params: mpb::QueryParamsResponse = market_q(&net, "Params", mpb::QueryParamsRequest {});
    let params = params.params.expect("params");
    let (collateral, bid_deposit) = (
        amount(&params.min_provider_collateral),
        amount(&params.bid_deposit),
    );
    assert_eq!(
        (collateral, bid_deposit, params.take_rate_bps),
        (100_000_000, 5_000_000, 400)
    );
    let take = |paid: u128| paid * 400 / 10_000;
    const ONBOARDING: u128 = 1_000_000;

    // A provider with an audited attribute.
    tx(
        &net,
        alice,
        provider_msgs(alice, "compute", 0xc1, collateral),
        "provider",
    );
    tx(
        &net,
        dave,
        vec![any(&mpb::MsgSignProviderAttributes {
            auditor: dave.address.clone(),
            provider: alice.address.clone(),
            attributes: vec![mpb::Attribute {
                key: "tier".into(),
                value: "gpu".into(),
            }],
        })],
        "audit",
    );

    // The tenant orders with the audited attribute required; the provider bids, the tenant
    // accepts: a lease paid block by block from the escrow.
    const PRICE: u128 = 10_000;
    const DEPOSIT: u128 = 5_000_000;
    let r = tx(
        &net,
        carol,
        vec![any(&mpb::MsgCreateOrder {
            tenant: carol.address.clone(),
            resources: Some(mpb::Resources {
                cpu_millicores: 4_000,
                memory_bytes: 8 << 30,
                ..Default::default()
            }),
            requirements: Some(mpb::PlacementRequirements {
                attributes: vec![mpb::Attribute {
                    key: "tier".into(),
                    value: "gpu".into(),
                }],
                signed_by: vec![dave.address.clone()],
                ..Default::default()
            }),
            max_price_per_block: Some(udepin(PRICE)),
            deposit: Some(udepin(DEPOSIT)),
        })],
        "order",
    );
    let order_id = msg_response::<mpb::MsgCreateOrderResponse>(&r, 0).order_id;
    tx(
        &net,
        alice,
        vec![any(&mpb::MsgCreateBid {
            provider: alice.address.clone(),
            order_id,
            price_per_block: Some(udepin(PRICE)),
        })],
        "bid",
    );
    let r = tx(
        &net,
        carol,
        vec![any(&mpb::MsgAcceptBid {
            tenant: carol.address.clone(),
            order_id,
            provider: alice.address.clone(),
        })],
        "accept",
    );
    let h_accept = r.height.value() as u128;
    net.wait_height(h_accept as u64 + 12, TIMEOUT);
    let r = tx(
        &net,
        alice,
        vec![any(&mpb::MsgWithdrawLease {
            provider: alice.address.clone(),
            order_id,
        })],
        "withdraw",
    );
    let h_withdraw = r.height.value() as u128;
    let first = (h_withdraw - h_accept) * PRICE;
    assert_eq!(
        amount(&msg_response::<mpb::MsgWithdrawLeaseResponse>(&r, 0).amount),
        first - take(first)
    );
    let r = tx(
        &net,
        carol,
        vec![any(&mpb::MsgCloseLease {
            sender: carol.address.clone(),
            order_id,
        })],
        "close",
    );
    let h_close = r.height.value() as u128;
    let paid = (h_close - h_accept) * PRICE;
    let lease: mpb::QueryLeaseResponse =
        market_q(&net, "Lease", mpb::QueryLeaseRequest { order_id });
    let (lease, escrow) = (lease.lease.expect("lease"), lease.escrow.expect("escrow"));
    assert_eq!(lease.state, mpb::LeaseState::Closed as i32);
    assert_eq!(amount(&lease.paid), paid - take(paid));
    assert_eq!(amount(&escrow.transferred), paid);
    // Balances to the unit: the tenant paid the lease (the rest of the deposit is back), the
    // provider got it less the 4% take and has its bid deposit back.
    assert_eq!(net.balance_grpc(&carol.address), FUNDS - paid - 3 * TX_FEE);
    let provider_balance = FUNDS - ONBOARDING - collateral - 3 * TX_FEE + paid - take(paid);
    assert_eq!(net.balance_grpc(&alice.address), provider_balance);

    // Provider rewards: each usage epoch the provider was paid in, min(pot, take × 50%).
    let settle_epoch = |h: u128| h as u64 / USAGE_EPOCH;
    let last_epoch = settle_epoch(h_close);
    let (events, _) = wait_event(&net, 1, "rewards_payout_finished", |a| {
        attr(a, "bucket") == "providers" && int(attr(a, "epoch")) >= u128::from(last_epoch)
    });
    let mut expected = 0u128;
    let mut takes = 0u128;
    for e in settle_epoch(h_accept)..=last_epoch {
        let u: mpb::QueryUsageResponse = market_q(
            &net,
            "Usage",
            mpb::QueryUsageRequest {
                epoch: e,
                provider: alice.address.clone(),
                pagination: None,
            },
        );
        let t: u128 = u.usage.iter().map(|u| amount(&u.take)).sum();
        if t > 0 {
            takes += t;
            expected += pot(&events, "providers", e).min(t * 5_000 / 10_000);
        }
    }
    assert_eq!(takes, take(first) + take(paid - first));
    let (_, from_providers) = pending(&net, &alice.address);
    assert_eq!(from_providers, expected);
    assert_eq!(claim(&net, alice), expected);

    // 50% / 0% / 40% / 10%, decaying exponentially.
    let lib: depin_rewards::Params =
        serde_json::from_value(depin_rewards_params(&net)).expect("params");
    assert_eq!(lib.decay, depin_rewards::DecayKind::Exponential);
    check_emissions(
        &net,
        2,
        |e| depin_rewards::schedule::base(&lib, e).u128(),
        [5_000, 0, 4_000, 1_000],
    );
    eprintln!(
        "compute: lease paid {paid}udepin, provider rewards {expected}udepin, in {:?}",
        started.elapsed()
    );
}

/// The rewards params as the CLI prints them (JSON of the module's params).
fn depin_rewards_params(net: &Net) -> Value {
    let node = format!("tcp://127.0.0.1:{}", net.ports.rpc);
    let out = net.depind_ok(&["query", "rewards", "params", "--node", &node, "-o", "json"]);
    let v: Value = serde_json::from_str(out.trim()).expect("CLI JSON");
    v["params"].clone()
}

#[test]
fn storage_network() {
    let _one = SEQUENTIAL.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    const PERIOD: u64 = 4;
    let net = Net::start_preset(DEPIND, 2, "storage", |g| {
        short_epochs(g, 10_000, &["storage"]);
        // No emission: the supply moves only by the take (burned).
        g["app_state"]["rewards"]["params"]["initial_epoch_emission"] = json!("0");
        g["app_state"]["rewards"]["params"]["baseline_epoch_emission"] = json!("0");
        g["app_state"]["market"]["params"]["proving_period_blocks"] = json!(PERIOD.to_string());
    });
    let (alice, bob) = (&net.keys[0], &net.keys[1]);
    let supply0 = supply(&net);
    let params: mpb::QueryParamsResponse = market_q(&net, "Params", mpb::QueryParamsRequest {});
    let params = params.params.expect("params");
    let collateral = amount(&params.min_provider_collateral);
    assert_eq!(
        (
            collateral,
            params.fault_fee_bps,
            params.max_consecutive_faults
        ),
        (1_000_000_000, 1_000, 3)
    );
    let take = |x: u128| x * u128::from(params.take_rate_bps) / 10_000;
    const ONBOARDING: u128 = 1_000_000;
    tx(
        &net,
        alice,
        provider_msgs(alice, "storage", 0x5d, collateral),
        "provider",
    );

    // Bob's data, 9 chunks; a deal of 8 periods at 7,000 a period, 10 DEPIN of collateral.
    const CHUNK: u32 = 256;
    let data = depin_tests::story::random_data(8 * CHUNK as usize + 100);
    let tree = depin_market::client::MerkleTree::build(&data, CHUNK).expect("tree");
    const DURATION: u64 = 8;
    const PRICE: u128 = 7_000;
    const DEAL_COLLATERAL: u128 = 10_000_000;
    let r = tx(
        &net,
        bob,
        vec![any(&depin_market::client::propose_deal_msg(
            &bob.address,
            &alice.address,
            &tree,
            DURATION,
            udepin(PRICE),
            udepin(DEAL_COLLATERAL),
        ))],
        "propose",
    );
    let deal_id = msg_response::<mpb::MsgProposeDealResponse>(&r, 0).deal_id;
    tx(
        &net,
        alice,
        vec![any(&mpb::MsgAcceptDeal {
            provider: alice.address.clone(),
            deal_id,
        })],
        "accept",
    );

    // Two periods proven (the first is the activation), then the provider goes dark.
    const PROVEN: u64 = 2;
    let mut period = 0;
    for _ in 0..PROVEN {
        let deadline = Instant::now() + TIMEOUT;
        let c = loop {
            let c: mpb::QueryChallengesResponse =
                market_q(&net, "Challenges", mpb::QueryChallengesRequest { deal_id });
            if c.period > period {
                break c;
            }
            assert!(Instant::now() < deadline, "period {period} never ended");
            std::thread::sleep(Duration::from_millis(30));
        };
        let proofs = depin_market::client::answer(&tree, &data, &c.indices).expect("answer");
        tx(
            &net,
            alice,
            vec![any(&depin_market::client::proof_msg(
                &alice.address,
                deal_id,
                c.period,
                proofs,
            ))],
            "proof",
        );
        period = c.period;
    }
    let deadline = Instant::now() + TIMEOUT;
    let (d, escrow) = loop {
        let r: mpb::QueryDealResponse = market_q(&net, "Deal", mpb::QueryDealRequest { deal_id });
        let (d, e) = (r.deal.expect("deal"), r.escrow.expect("escrow"));
        if d.state != mpb::DealState::Active as i32 {
            break (d, e);
        }
        assert!(Instant::now() < deadline, "the deal never ended");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Three faults in a row terminate; each paid the client 10% of the deal's collateral.
    assert_eq!(d.state, mpb::DealState::Terminated as i32);
    assert_eq!((d.periods_proven, d.faults), (PROVEN, 3));
    let fees = 3 * DEAL_COLLATERAL / 10;
    assert_eq!(amount(&d.fault_fees_paid), fees);
    let earned = PRICE * u128::from(PROVEN);
    let refund = PRICE * u128::from(DURATION) - earned;
    assert_eq!(amount(&escrow.balance), 0);
    let p: mpb::QueryProviderResponse = market_q(
        &net,
        "Provider",
        mpb::QueryProviderRequest {
            owner: alice.address.clone(),
        },
    );
    let p = p.provider.expect("provider");
    assert_eq!(amount(&p.collateral.first().cloned()), collateral - fees);
    let rep = p.reputation.expect("reputation");
    assert_eq!(
        (rep.proofs_passed, rep.proofs_failed, rep.deals_faulted),
        (PROVEN, 3, 1)
    );
    // Every balance and the supply to the unit.
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - TX_FEE - PRICE * u128::from(DURATION) + fees + refund
    );
    assert_eq!(
        net.balance_grpc(&alice.address),
        FUNDS - ONBOARDING - collateral - (2 + u128::from(PROVEN)) * TX_FEE + earned - take(earned)
    );
    assert_eq!(supply(&net), supply0 - ONBOARDING - take(earned));
    eprintln!(
        "storage: {PROVEN} periods proven, 3 faults paid {fees}udepin, in {:?}",
        started.elapsed()
    );
}
