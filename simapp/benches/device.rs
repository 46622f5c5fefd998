//! Heartbeat throughput (device registry, issue #5): blocks of 5,000 `MsgHeartbeat`s from
//! 5,000 distinct onboarded devices (half secp256k1, half Ed25519 device keys), relayed by 4
//! submitter accounts, one heartbeat per transaction, through the in-process driver
//! (FinalizeBlock + Commit); CheckTx throughput; and the device signature verification rates
//! measured in the same run. The same measurements as `blocks.rs` makes for bank sends.
//!
//! Run: `cargo bench -p depin-simapp --bench device` (optionally `-- ROUNDS`, default 10).
//! Numbers go to docs/PERFORMANCE.md.
//!
//! The devices are in genesis (status Onboarded, class `compute`: no location needed), so each
//! heartbeat is the device's first and makes it Active. Every measured block runs on a fresh
//! chain in a temporary directory, so the same pre-signed transactions (sequences 0..1,250 of
//! each submitter, epoch 0, counter 1) are valid in every round and the node's signature cache
//! starts empty. Signing happens once, before anything is timed. Every transaction result is
//! checked to be code 0.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_all_ok, report, Chain};
use cosmrs::Any;
use depin_app::app::App;
use depin_device::client::{self, DeviceSigner};
use depin_device::{signing, Device, GenesisState, Maker, PublicKey, Status};
use depin_proto::depin::device::v1::MsgHeartbeat;
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX};
use k256::ecdsa::signature::{Signer, Verifier};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

const TXS: usize = 5_000;
const SUBMITTERS: usize = 4;
const CHAIN_ID: &str = "depin-bench-1";
const GAS: u64 = 200_000;
/// The fee the node's minimum gas price (0.0025udepin) asks for `GAS`.
const FEE: u128 = 500;
const MIN_GAS_PRICES: &str = "0.0025udepin";
const FUNDS: u128 = 1_000_000_000;
const CLASS: &str = "compute";
const MAKER: &str = "acme";
/// Height 2, the first measured block, is in epoch 0 with the default 100 blocks per epoch.
const EPOCH: u64 = 0;

/// Device `i`'s key: secp256k1 for even `i`, Ed25519 for odd `i`.
fn device_signer(i: usize) -> DeviceSigner {
    let mut secret = [0x5a; 32];
    secret[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    if i % 2 == 0 {
        DeviceSigner::secp256k1(&secret).expect("a valid scalar")
    } else {
        DeviceSigner::ed25519(secret)
    }
}

fn payload_hash(i: usize) -> Vec<u8> {
    Sha256::digest(format!("reading {i}")).to_vec()
}

/// The devices and the submitters in genesis, one block's worth of heartbeats, signed once.
struct Fixture {
    app: Arc<App>,
    genesis: serde_json::Value,
    txs: Vec<Vec<u8>>,
    /// (device key, heartbeat sign bytes, device signature), for the verification rates.
    device_checks: Vec<(depin_proto::depin::device::v1::PublicKey, Vec<u8>, Vec<u8>)>,
}

impl Fixture {
    fn new() -> Self {
        let submitters: Vec<TestKey> = (0..SUBMITTERS as u64)
            .map(|i| TestKey::from_seed(2_000_000 + i))
            .collect();
        let funded: Vec<(&str, u128)> = submitters
            .iter()
            .map(|k| (k.address.as_str(), FUNDS))
            .collect();
        let mut genesis = genesis(&funded);
        let owner = submitters[0].address.clone();

        let maker = DeviceSigner::secp256k1(&[0x33; 32]).expect("a valid scalar");
        let devices: Vec<DeviceSigner> = (0..TXS).map(device_signer).collect();
        let device_state = GenesisState {
            makers: vec![Maker {
                name: MAKER.into(),
                key: PublicKey::from_proto(&maker.public_key()),
                allowed_classes: vec![CLASS.into()],
                device_quota: TXS as u64,
                devices_onboarded: TXS as u64,
                revoked: false,
                revoked_height: 0,
            }],
            devices: devices
                .iter()
                .enumerate()
                .map(|(i, d)| Device {
                    id: d.id(ADDRESS_PREFIX),
                    owner: owner.clone(),
                    maker: MAKER.into(),
                    class: CLASS.into(),
                    serial: format!("SN-{i:05}"),
                    key: PublicKey::from_proto(&d.public_key()),
                    status: Status::Onboarded as i32,
                    location: None,
                    location_asserts: 0,
                    metadata: String::new(),
                    onboarded_height: 0,
                    last_heartbeat_epoch: 0,
                    heartbeat_counter: 0,
                    heartbeats: 0,
                    key_rotations: 0,
                })
                .collect(),
            ..Default::default()
        };
        genesis["device"] = serde_json::to_value(&device_state).expect("device genesis");

        let fee = FeeSpec::new(FEE, GAS);
        let mut device_checks = Vec::with_capacity(TXS);
        // Account numbers follow the genesis order; heartbeat i goes out through submitter
        // i % 4, whose sequences then rise in block order.
        let txs = devices
            .iter()
            .enumerate()
            .map(|(i, device)| {
                let s = i % SUBMITTERS;
                let id = device.id(ADDRESS_PREFIX);
                let hash = payload_hash(i);
                let beat = client::heartbeat(
                    device,
                    CHAIN_ID,
                    &submitters[s].address,
                    &id,
                    EPOCH,
                    1,
                    &hash,
                );
                device_checks.push((
                    device.public_key(),
                    signing::heartbeat_bytes(CHAIN_ID, &id, EPOCH, 1, &hash),
                    beat.signature.clone(),
                ));
                let data = SignerData {
                    chain_id: CHAIN_ID.into(),
                    account_number: s as u64,
                    sequence: (i / SUBMITTERS) as u64,
                };
                let msg = Any {
                    type_url: MsgHeartbeat::type_url(),
                    value: beat.encode_to_vec(),
                };
                sign(&submitters[s], &data, vec![msg], &fee, "")
                    .unwrap_or_else(|e| panic!("signing a heartbeat tx: {e}"))
            })
            .collect();
        Fixture {
            app: Arc::new(default_app()),
            genesis,
            txs,
            device_checks,
        }
    }

    /// A chain at height 1 (genesis committed) with an empty signature cache.
    fn chain(&self, verify_threads: usize) -> Chain {
        Chain::open(
            self.app.clone(),
            &self.genesis,
            CHAIN_ID,
            MIN_GAS_PRICES,
            verify_threads,
        )
    }
}

/// FinalizeBlock + Commit of the block, no transaction signature seen before.
fn cold_block(fx: &Fixture, verify_threads: usize) -> Duration {
    let mut chain = fx.chain(verify_threads);
    let txs = fx.txs.clone();
    let start = Instant::now();
    let resp = chain.driver.block(txs);
    let took = start.elapsed();
    assert_all_ok("cold block", &resp.tx_results, TXS);
    // Only the transaction signatures go through the cache: the device signatures are
    // checked by the heartbeat handler, in block order.
    assert_eq!(chain.driver.node().sig_cache().len(), TXS);
    took
}

/// Every tx through CheckTx first, then the block. Returns (CheckTx of all, block).
fn warm_block(fx: &Fixture) -> (Duration, Duration) {
    let mut chain = fx.chain(0);
    let start = Instant::now();
    let codes: Vec<(u32, String)> = fx
        .txs
        .iter()
        .map(|tx| {
            let r = chain.driver.check_tx(tx);
            (r.code, r.log)
        })
        .collect();
    let check = start.elapsed();
    for (i, (code, log)) in codes.iter().enumerate() {
        assert_eq!(*code, 0, "CheckTx of tx {i} failed: {log}");
    }
    assert_eq!(chain.driver.node().sig_cache().len(), TXS);
    let txs = fx.txs.clone();
    let start = Instant::now();
    let resp = chain.driver.block(txs);
    let block = start.elapsed();
    assert_all_ok("warm block", &resp.tx_results, TXS);
    assert_eq!(
        chain.driver.node().sig_cache().len(),
        TXS,
        "FinalizeBlock verified tx signatures CheckTx had already verified"
    );
    (check, block)
}

/// The signature checks one heartbeat tx carries, each on one core: the submitter's k256
/// verification (the method of `app/benches/tx.rs`) and the device's through
/// `signing::verify`, per key type.
fn verify_rates(fx: &Fixture) {
    const N: usize = 10_000;
    let sk = k256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("key");
    let vk = *sk.verifying_key();
    let msg = vec![42u8; 300];
    let sig: k256::ecdsa::Signature = sk.sign(&msg);
    let one_core: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..N {
                vk.verify(std::hint::black_box(&msg), &sig).expect("valid");
            }
            t.elapsed()
        })
        .collect();
    let s = report("k256 verify, 1 core (10k verifications)", N, one_core);
    println!(
        "{:<52} {:>9.1} µs per verification",
        "",
        s.median.as_secs_f64() * 1e6 / N as f64
    );

    for (name, parity) in [("secp256k1", 0), ("Ed25519", 1)] {
        let checks: Vec<_> = fx.device_checks.iter().skip(parity).step_by(2).collect();
        let runs: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                for (key, bytes, signature) in &checks {
                    signing::verify(key, std::hint::black_box(bytes), signature).expect("valid");
                }
                t.elapsed()
            })
            .collect();
        let s = report(
            &format!("device signing::verify, {name}, 1 core"),
            checks.len(),
            runs,
        );
        println!(
            "{:<52} {:>9.1} µs per verification",
            "",
            s.median.as_secs_f64() * 1e6 / checks.len() as f64
        );
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(10)
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let t = Instant::now();
    let fx = Fixture::new();
    println!(
        "signed {TXS} MsgHeartbeats of {TXS} devices (half secp256k1, half Ed25519) relayed \
         by {SUBMITTERS} accounts in {:.1} s (not timed); {cores} cores; {rounds} rounds, each \
         on a fresh chain",
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<52} {:>12}  {:<13}  {:>13}",
        "", "median", "(min–max)", "rate"
    );

    verify_rates(&fx);

    // Interleave the variants so that drift on the shared machine hits them alike.
    let mut cold_all = Vec::new();
    let mut cold_one = Vec::new();
    let mut check = Vec::new();
    let mut warm = Vec::new();
    let mut serial = Vec::new();
    for _ in 0..rounds {
        cold_all.push(cold_block(&fx, 0));
        cold_one.push(cold_block(&fx, 1));
        let (c, b) = warm_block(&fx);
        check.push(c);
        warm.push(b);
        serial.push(c + b);
    }
    report(
        &format!("block, cold cache, verify_threads=0 ({cores})"),
        TXS,
        cold_all,
    );
    report("block, cold cache, verify_threads=1", TXS, cold_one);
    report("CheckTx of the 5,000 txs (one at a time)", TXS, check);
    report("block after CheckTx (warm cache)", TXS, warm);
    // The ABCI handle serialises CheckTx and FinalizeBlock on one node.
    report("CheckTx of all + warm block, back to back", TXS, serial);
}
