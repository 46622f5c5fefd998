//! Times the phases of a 10k-key commit on a 1M-key store (prepare = root computation,
//! write = the durable batch with pruning) and random reads.
//! `cargo bench -p depin-app --bench store_phases -- [keys] [cache MiB]`; the criterion
//! benchmark in benches/store.rs is the reference number.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Positional arguments, without the flags cargo bench passes (`--bench`).
fn arg<T: std::str::FromStr>(n: usize) -> Option<T> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .nth(n)
        .and_then(|a| a.parse().ok())
}

fn main() {
    let keys: u32 = arg(0).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let cache: u64 = arg(1).unwrap_or(512);
    let store = Store::open(
        dir.path(),
        StoreConfig {
            keep_recent: 10,
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
        "populate {keys}: {:?}, {} MiB on disk",
        t.elapsed(),
        dir_size(dir.path()) >> 20
    );
    let mut rng = StdRng::seed_from_u64(1);
    let mut prepares = vec![];
    let mut writes = vec![];
    for round in 0..30 {
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
        let written = t.elapsed() - prepared;
        // The first rounds prune the populating versions: not the steady state.
        if round >= 12 {
            prepares.push(prepared);
            writes.push(written);
        }
    }
    let view = store.latest_view().unwrap();
    let t = Instant::now();
    let reads = 200_000u32;
    let mut found = 0u32;
    for _ in 0..reads {
        found +=
            depin_app::store::KvRead::get(&view, &key(rng.random_range(0..keys))).is_some() as u32;
    }
    eprintln!(
        "random read at latest: {:?} per read ({found} found)",
        t.elapsed() / reads
    );
    prepares.sort();
    writes.sort();
    eprintln!(
        "steady state over {} commits: median prepare {:?}, median write {:?}",
        prepares.len(),
        prepares[prepares.len() / 2],
        writes[writes.len() / 2]
    );
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
