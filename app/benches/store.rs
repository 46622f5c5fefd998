//! Store benchmarks: commit of 10k changed keys on a store of 1M keys, and random reads.
//! Run: `cargo bench -p depin-app --bench store`. Numbers go to docs/PERFORMANCE.md.

// The allocator depind uses; glibc malloc costs ~40% more on this workload (PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use depin_app::store::{GasMeter, KvRead, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KEYS: u32 = 1_000_000;
const CHANGED: u32 = 10_000;
/// Small, so that every measured commit also prunes a version (the steady state of a node).
const KEEP_RECENT: u64 = 10;

fn key(i: u32) -> Vec<u8> {
    // Module-prefixed keys of realistic length, spread over the key space.
    format!(
        "bank/balances/depin1{:038x}",
        (i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
    .into_bytes()
}

fn commit_batch(store: &Store, items: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) {
    let mut ws = store.working_set().unwrap();
    let mut b = ws.branch(Arc::new(GasMeter::infinite()));
    for (k, v) in items {
        b.set(&k, &v);
    }
    b.commit().unwrap();
    store.commit_working_set(ws).unwrap();
}

fn populated(dir: &std::path::Path) -> Store {
    let store = Store::open(
        dir,
        StoreConfig {
            keep_recent: KEEP_RECENT,
            ..StoreConfig::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    for chunk in 0..(KEYS / 100_000) {
        let range = chunk * 100_000..(chunk + 1) * 100_000;
        commit_batch(&store, range.map(|i| (key(i), i.to_le_bytes().repeat(8))));
    }
    eprintln!("populated {KEYS} keys in {:?}", started.elapsed());
    // Commit blocks of 10k until the populating versions are pruned too.
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..KEEP_RECENT + 2 {
        commit_batch(
            &store,
            (0..CHANGED).map(|_| {
                (
                    key(rng.random_range(0..KEYS)),
                    rng.random::<[u8; 32]>().to_vec(),
                )
            }),
        );
    }
    store
}

fn bench_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let mut rng = StdRng::seed_from_u64(1);

    let mut group = c.benchmark_group("store");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));

    // The block's changes are made before the timer starts; the timed part is what Commit
    // costs: root computation plus the durable write (with fsync) and pruning.
    group.bench_function("commit_10k_changed_of_1M", |bch| {
        bch.iter_batched(
            || {
                let mut ws = store.working_set().unwrap();
                let mut b = ws.branch(Arc::new(GasMeter::infinite()));
                for _ in 0..CHANGED {
                    let i = rng.random_range(0..KEYS + KEYS / 10); // ~9% new keys
                    let v: [u8; 32] = rng.random();
                    b.set(&key(i), &v);
                }
                b.commit().unwrap();
                ws
            },
            |ws| store.commit_working_set(ws).unwrap(),
            BatchSize::PerIteration,
        )
    });

    let view = store.latest_view().unwrap();
    group.bench_function("random_read_latest", |bch| {
        bch.iter_batched(
            || key(rng.random_range(0..KEYS)),
            |k| view.get(&k),
            BatchSize::SmallInput,
        )
    });
    let mut ws = store.working_set().unwrap();
    let meter = Arc::new(GasMeter::infinite());
    let branch = ws.branch(meter);
    group.bench_function("random_read_through_tx_branch", |bch| {
        bch.iter_batched(
            || key(rng.random_range(0..KEYS)),
            |k| branch.get(&k),
            BatchSize::SmallInput,
        )
    });
    let version = store.version();
    group.bench_function("proof_latest", |bch| {
        bch.iter_batched(
            || key(rng.random_range(0..KEYS)),
            |k| store.get_with_proof(&k, version).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_store);
criterion_main!(benches);
