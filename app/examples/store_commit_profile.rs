//! Times the phases of a 10k-key commit on a 1M-key store (prepare = root computation,
//! write = durable database transaction). `cargo run --release -p depin-app --example
//! store_commit_profile [keys]`; the benchmark in benches/store.rs is the reference number.

use std::sync::Arc;
use std::time::Instant;

use depin_app::store::{GasMeter, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn key(i: u32) -> Vec<u8> {
    format!(
        "bank/balances/depin1{:038x}",
        (i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
    .into_bytes()
}

fn main() {
    let keys: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let cache: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let store = Store::open(
        dir.path(),
        StoreConfig {
            keep_recent: 100,
            cache_bytes: cache << 20,
        },
    )
    .unwrap();
    let t = Instant::now();
    for chunk in 0..keys.div_ceil(100_000) {
        let mut ws = store.working_set().unwrap();
        let mut b = ws.branch(Arc::new(GasMeter::infinite()));
        for i in chunk * 100_000..((chunk + 1) * 100_000).min(keys) {
            b.set(&key(i), &i.to_le_bytes().repeat(8));
        }
        b.commit().unwrap();
        store.commit_working_set(ws).unwrap();
    }
    eprintln!(
        "populate {keys}: {:?}, file {} MiB",
        t.elapsed(),
        std::fs::metadata(dir.path().join("state.redb"))
            .unwrap()
            .len()
            >> 20
    );
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..8 {
        let mut ws = store.working_set().unwrap();
        let mut b = ws.branch(Arc::new(GasMeter::infinite()));
        for _ in 0..10_000 {
            let v: [u8; 32] = rng.random();
            b.set(&key(rng.random_range(0..keys + keys / 10)), &v);
        }
        b.commit().unwrap();
        let t = Instant::now();
        let pending = store.prepare_commit(ws).unwrap();
        let prepared = t.elapsed();
        store.commit(pending).unwrap();
        eprintln!("prepare {:?} write {:?}", prepared, t.elapsed() - prepared);
    }
}
