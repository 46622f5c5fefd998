//! Transaction throughput (issue #3): blocks of 5,000 wallet-signed bank sends through the
//! in-process driver (FinalizeBlock + Commit), CheckTx throughput, and the pure k256
//! verification rate measured in the same run for comparison.
//!
//! Run: `cargo bench -p depin-simapp --bench blocks` (optionally `-- ROUNDS`, default 10).
//! Numbers go to docs/PERFORMANCE.md.
//!
//! Every measured block runs on a fresh chain in a temporary directory whose genesis funds the
//! 5,000 senders, so the same pre-signed transactions (sequence 0) are valid in every round and
//! the node's signature cache starts empty. Signing happens once, before anything is timed.
//! Every transaction result is checked to be code 0.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_all_ok, report, Chain};
use depin_app::app::App;
use depin_app::context::{Env, ExecMode, SigCache};
use depin_app::module::SigCheck;
use depin_app::tx;
use depin_simapp::default_app;
use depin_simapp::testing::{genesis, send_tx, FeeSpec, SignerData, TestKey};
use k256::ecdsa::signature::{Signer, Verifier};

const TXS: usize = 5_000;
const CHAIN_ID: &str = "depin-bench-1";
const GAS: u64 = 200_000;
/// The fee the node's minimum gas price (0.0025udepin) asks for `GAS`.
const FEE: u128 = 500;
const MIN_GAS_PRICES: &str = "0.0025udepin";
const FUNDS: u128 = 1_000_000_000;
const AMOUNT: u128 = 1_000;

/// The 5,000 funded accounts and one block's worth of sends, signed once.
struct Fixture {
    app: Arc<App>,
    genesis: serde_json::Value,
    txs: Vec<Vec<u8>>,
}

impl Fixture {
    fn new() -> Self {
        let keys: Vec<TestKey> = (0..TXS as u64)
            .map(|i| TestKey::from_seed(1_000_000 + i))
            .collect();
        let funded: Vec<(&str, u128)> = keys.iter().map(|k| (k.address.as_str(), FUNDS)).collect();
        let genesis = genesis(&funded);
        let fee = FeeSpec::new(FEE, GAS);
        // Account numbers follow the genesis order; each account sends to the next one.
        let txs = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let data = SignerData {
                    chain_id: CHAIN_ID.into(),
                    account_number: i as u64,
                    sequence: 0,
                };
                send_tx(key, &data, &keys[(i + 1) % TXS].address, AMOUNT, &fee)
            })
            .collect();
        Fixture {
            app: Arc::new(default_app()),
            genesis,
            txs,
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

/// (1) and (3): FinalizeBlock + Commit of the block, no signature seen before.
fn cold_block(fx: &Fixture, verify_threads: usize) -> Duration {
    let mut chain = fx.chain(verify_threads);
    let txs = fx.txs.clone();
    let start = Instant::now();
    let resp = chain.driver.block(txs);
    let took = start.elapsed();
    assert_all_ok("cold block", &resp.tx_results, TXS);
    // Each signature was verified once (by the pre-verification) and cached.
    assert_eq!(chain.driver.node().sig_cache().len(), TXS);
    took
}

/// (2): every tx through CheckTx first, then the block. Returns (CheckTx of all, block).
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
    // No new entry: every signature check of the block was a cache hit.
    assert_eq!(
        chain.driver.node().sig_cache().len(),
        TXS,
        "FinalizeBlock verified signatures CheckTx had already verified"
    );
    (check, block)
}

/// The phases of a cold FinalizeBlock + Commit, replayed step by step through the public API
/// the node uses (node.rs: begin block, collect signature checks, verify them on all cores,
/// run the txs in order, end block, app hash, durable write).
#[derive(Default, Clone, Copy)]
struct Phases {
    collect: Duration,
    verify: Duration,
    execute: Duration,
    app_hash: Duration,
    write: Duration,
    /// Keys the block writes (the size of the commit).
    changed_keys: usize,
}

fn phases(fx: &Fixture) -> Phases {
    let chain = fx.chain(0);
    let app = chain.driver.node().app().clone();
    let store = chain.driver.node().store();
    let mut env = Env::new(CHAIN_ID, store.version() + 1, ExecMode::Block);
    env.sig_cache = Arc::new(SigCache::default());
    let mut ws = store.working_set().expect("working set");
    let mut p = Phases::default();

    app.begin_block(&mut ws, &env).expect("begin block");
    env.mode = ExecMode::Finalize;
    let t = Instant::now();
    let checked: Vec<_> = fx
        .txs
        .iter()
        .map(|tx| app.check(tx).expect("a valid tx"))
        .collect();
    let checks: Vec<SigCheck> = checked
        .iter()
        .flat_map(|tx| app.signature_checks(&mut ws, &env, tx))
        .collect();
    p.collect = t.elapsed();
    assert_eq!(checks.len(), TXS);

    let t = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cache = &env.sig_cache;
    std::thread::scope(|s| {
        for part in checks.chunks(checks.len().div_ceil(threads)) {
            s.spawn(move || {
                for c in part {
                    cache
                        .verify(&c.pubkey, &c.sign_bytes, &c.signature)
                        .expect("a valid signature");
                }
            });
        }
    });
    p.verify = t.elapsed();

    let t = Instant::now();
    for (i, tx) in checked.iter().enumerate() {
        let out = app.run_checked(&mut ws, &env, tx);
        assert_eq!(out.code, 0, "phases: tx {i} failed: {}", out.log);
    }
    env.mode = ExecMode::Block;
    app.end_block(&mut ws, &env).expect("end block");
    p.execute = t.elapsed();
    assert_eq!(env.sig_cache.len(), TXS);

    p.changed_keys = ws.changes().len();
    let t = Instant::now();
    let pending = store.prepare_commit(ws).expect("app hash");
    p.app_hash = t.elapsed();
    let t = Instant::now();
    store.commit(pending).expect("commit");
    p.write = t.elapsed();
    p
}

/// (4): the pure k256 rate, measured as app/benches/tx.rs does (one key, a 300-byte message);
/// then the same on every core; then what one tx of the block costs to decode and verify.
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

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all_cores: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::thread::scope(|sc| {
                for _ in 0..threads {
                    sc.spawn(|| {
                        for _ in 0..N / threads {
                            vk.verify(std::hint::black_box(&msg), &sig).expect("valid");
                        }
                    });
                }
            });
            t.elapsed()
        })
        .collect();
    report(
        &format!("k256 verify, {threads} threads (10k verifications)"),
        N,
        all_cores,
    );

    let decode_verify: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for (i, bytes) in fx.txs.iter().enumerate() {
                let d = tx::decode(bytes).expect("decode");
                let pk = d.signer_pubkey(0).expect("key").expect("key");
                tx::verify_secp256k1(&pk, &d.sign_bytes(CHAIN_ID, i as u64), &d.raw.signatures[0])
                    .expect("valid");
            }
            t.elapsed()
        })
        .collect();
    report(
        "decode + sign bytes + verify of the block's txs, 1 core",
        TXS,
        decode_verify,
    );
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
        "signed {TXS} MsgSends from {TXS} accounts in {:.1} s (not timed); {cores} cores; \
         {rounds} rounds, each on a fresh chain",
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
    let mut split = Vec::new();
    for _ in 0..rounds {
        cold_all.push(cold_block(&fx, 0));
        cold_one.push(cold_block(&fx, 1));
        let (c, b) = warm_block(&fx);
        check.push(c);
        warm.push(b);
        serial.push(c + b);
        split.push(phases(&fx));
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

    println!(
        "phases of a cold block (replayed through the public API, median of each; \
         the block writes {} keys on a state of {TXS} funded accounts):",
        split[0].changed_keys
    );
    let phase = |name: &str, f: fn(&Phases) -> Duration| {
        report(
            &format!("  {name}"),
            TXS,
            split.iter().map(f).collect::<Vec<_>>(),
        );
    };
    phase("collect signature checks (sequential)", |p| p.collect);
    phase(&format!("verify signatures ({cores} threads)"), |p| {
        p.verify
    });
    phase("execute txs in order (cache hits) + end block", |p| {
        p.execute
    });
    phase("app hash (prepare_commit)", |p| p.app_hash);
    phase("durable write (commit)", |p| p.write);
    phase("total", |p| {
        p.collect + p.verify + p.execute + p.app_hash + p.write
    });
}
