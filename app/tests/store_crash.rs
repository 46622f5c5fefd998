//! Crash safety: a child process commits versions in a loop and is killed with SIGKILL at
//! random moments. After each kill the reopened store holds exactly one fully committed
//! version: at least the last one the child reported, at most the one after it, with the root
//! the child reported and exactly the content the model gives for that version.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cosmwasm_std::Order;
use depin_app::store::{GasMeter, KvRead, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DIR_ENV: &str = "DEPIN_STORE_CRASH_DIR";
const TRIALS: usize = 50;
const KEEP_RECENT: u64 = 5;
const REPORT_TAG: &str = "COMMITTED ";

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// The changes of version `v`: a deterministic mix of sets and deletes over 600 keys.
fn changes(v: u64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    (0..40u64)
        .map(|i| {
            let k = format!("k{:04}", (v * 7919 + i * 104_729) % 600).into_bytes();
            if (v + i) % 5 == 0 {
                (k, None)
            } else {
                (
                    k,
                    Some(format!("{v}:{i}:{}", "x".repeat((i % 7) as usize * 20)).into_bytes()),
                )
            }
        })
        .collect()
}

fn apply(model: &mut Model, v: u64) {
    for (k, val) in changes(v) {
        match val {
            Some(val) => model.insert(k, val),
            None => model.remove(&k),
        };
    }
}

fn config() -> StoreConfig {
    StoreConfig {
        keep_recent: KEEP_RECENT,
        cache_bytes: 8 << 20,
    }
}

/// The child: commits versions until killed (or, as a bound, for 20 seconds), printing
/// `COMMITTED version root` after each commit returns.
#[test]
#[ignore = "run by store_survives_sigkill_at_random_moments as its child process"]
fn crash_child() {
    let dir = std::env::var(DIR_ENV).expect("run by the crash test, which sets the directory");
    let store = Store::open(&dir, config()).unwrap();
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    while started.elapsed() < Duration::from_secs(20) {
        let v = store.version() + 1;
        let mut ws = store.working_set().unwrap();
        let mut b = ws.branch(Arc::new(GasMeter::infinite()));
        for (k, val) in changes(v) {
            match val {
                Some(val) => b.set(&k, &val),
                None => b.delete(&k),
            }
        }
        b.commit().unwrap();
        let info = store.commit_working_set(ws).unwrap();
        // Tagged: libtest prints its own "test crash_child ... " on the same line first.
        writeln!(out, "{REPORT_TAG}{} {}", info.version, hex(&info.root)).unwrap();
        out.flush().unwrap();
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The root a fresh store gives the model's content (the root depends on content only).
fn fresh_root(model: &Model) -> [u8; 32] {
    let dir = common::fast_tempdir();
    let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
    let sets: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    common::commit(&store, &sets, &[]).root
}

#[test]
fn store_survives_sigkill_at_random_moments() {
    let seed: u64 = rand::random();
    eprintln!("crash test seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut reported: HashMap<u64, String> = HashMap::new();
    let mut models: Vec<Model> = vec![Model::new()];
    let mut last_version = 0u64;
    let mut mid_run_kills = 0;

    for trial in 0..TRIALS {
        let mut child = Command::new(&exe)
            .args([
                "crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::<(u64, String)>::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Some(at) = line.find(REPORT_TAG) else {
                    continue;
                };
                let mut parts = line[at + REPORT_TAG.len()..].split_whitespace();
                if let (Some(v), Some(root)) = (parts.next(), parts.next()) {
                    if let Ok(v) = v.parse() {
                        sink.lock().unwrap().push((v, root.to_string()));
                    }
                }
            }
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(20..160)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();

        let lines = lines.lock().unwrap().clone();
        let max_reported = lines.iter().map(|(v, _)| *v).max().unwrap_or(last_version);
        for (v, root) in lines {
            assert!(
                reported.insert(v, root).is_none(),
                "version {v} reported twice"
            );
        }

        let store = Store::open(dir.path(), config()).unwrap();
        let v = store.version();
        assert!(
            v >= max_reported && v <= max_reported + 1,
            "trial {trial}: store at version {v}, child reported up to {max_reported}"
        );
        if v > max_reported {
            mid_run_kills += 1;
        }
        while (models.len() as u64) <= v {
            let mut next = models.last().unwrap().clone();
            apply(&mut next, models.len() as u64);
            models.push(next);
        }
        let want = &models[v as usize];
        let view = store.latest_view().unwrap();
        let got: Model = view.range(None, None, Order::Ascending).collect();
        assert_eq!(&got, want, "trial {trial}: content of version {v}");
        match reported.get(&v) {
            Some(root) => assert_eq!(&hex(&store.root()), root, "trial {trial}: root of {v}"),
            None if v > 0 => {
                assert_eq!(store.root(), fresh_root(want), "trial {trial}: root of {v}")
            }
            None => {}
        }
        last_version = v;
    }
    eprintln!(
        "{TRIALS} kills, final version {last_version}, {mid_run_kills} with a commit durable but unreported"
    );
    assert!(
        last_version > TRIALS as u64,
        "the child made too little progress to test anything"
    );
}
