//! Model-based property test of the store: random sequences of set / delete / nested branches
//! (committed or discarded) / reads / bounded iteration / version commits / reopen / reads of
//! old versions, checked step by step against a BTreeMap model.

use std::collections::BTreeMap;
use std::sync::Arc;

use cosmwasm_std::Order;
use depin_app::store::{Branch, GasMeter, KvRead, Store, StoreConfig, StoreError, WorkingSet};
use proptest::prelude::*;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Get(Vec<u8>),
    Iter {
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
        descending: bool,
        limit: usize,
    },
    Nested {
        ops: Vec<Op>,
        commit: bool,
    },
}

#[derive(Debug, Clone)]
enum Step {
    /// Ops in a branch of the block's working set, committed into it or discarded.
    Tx {
        ops: Vec<Op>,
        commit: bool,
    },
    CommitVersion,
    Reopen,
    /// Read a past version (`back` versions below the latest) in full, and one key of it.
    ReadOld {
        back: u64,
        key: Vec<u8>,
    },
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    // A small alphabet with 0x00 and 0xFF makes collisions, prefixes and escaping common.
    proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), Just(0xff)], 1..4)
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..6)
}

fn op() -> impl Strategy<Value = Op> {
    let leaf = prop_oneof![
        4 => (key(), value()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => key().prop_map(Op::Delete),
        2 => key().prop_map(Op::Get),
        2 => (proptest::option::of(key()), proptest::option::of(key()), any::<bool>(), 1usize..12)
            .prop_map(|(start, end, descending, limit)| Op::Iter { start, end, descending, limit }),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        (proptest::collection::vec(inner, 0..6), any::<bool>())
            .prop_map(|(ops, commit)| Op::Nested { ops, commit })
    })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (proptest::collection::vec(op(), 0..8), prop::bool::weighted(0.8))
            .prop_map(|(ops, commit)| Step::Tx { ops, commit }),
        3 => Just(Step::CommitVersion),
        1 => Just(Step::Reopen),
        2 => (0u64..5, key()).prop_map(|(back, key)| Step::ReadOld { back, key }),
    ]
}

fn model_range(
    map: &Map,
    start: &Option<Vec<u8>>,
    end: &Option<Vec<u8>>,
    desc: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let items = map.iter().filter(|(k, _)| {
        start.as_ref().is_none_or(|s| *k >= s) && end.as_ref().is_none_or(|e| *k < e)
    });
    let mut out: Vec<_> = items.map(|(k, v)| (k.clone(), v.clone())).collect();
    if desc {
        out.reverse();
    }
    out
}

fn run_ops(branch: &mut Branch<'_>, model: &mut Map, ops: &[Op]) -> Result<(), TestCaseError> {
    for op in ops {
        match op {
            Op::Set(k, v) => {
                branch.set(k, v);
                model.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                branch.delete(k);
                model.remove(k);
            }
            Op::Get(k) => prop_assert_eq!(branch.get(k), model.get(k).cloned()),
            Op::Iter {
                start,
                end,
                descending,
                limit,
            } => {
                let order = if *descending {
                    Order::Descending
                } else {
                    Order::Ascending
                };
                let got: Vec<_> = branch
                    .iter(start.as_deref(), end.as_deref(), order)
                    .take(*limit)
                    .collect();
                let mut want = model_range(model, start, end, *descending);
                want.truncate(*limit);
                prop_assert_eq!(got, want);
            }
            Op::Nested { ops, commit } => {
                let mut child_model = model.clone();
                let mut child = branch.branch();
                run_ops(&mut child, &mut child_model, ops)?;
                if *commit {
                    child.commit().unwrap();
                    *model = child_model;
                } else {
                    child.discard();
                }
            }
        }
    }
    Ok(())
}

fn check_version(store: &Store, version: u64, want: &Map, key: &[u8]) -> Result<(), TestCaseError> {
    let view = store
        .view(version)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let all: Map = view.range(None, None, Order::Ascending).collect();
    prop_assert_eq!(&all, want);
    let rev: Vec<_> = view.range(None, None, Order::Descending).collect();
    prop_assert_eq!(rev, model_range(want, &None, &None, true));
    prop_assert_eq!(view.get(key), want.get(key).cloned());
    Ok(())
}

fn run_case(keep_recent: u64, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let dir = depin_app_test_dir();
    let config = StoreConfig {
        keep_recent,
        cache_bytes: 1 << 20,
    };
    let mut store = Store::open(dir.path(), config.clone()).unwrap();
    let mut ws: WorkingSet = store.working_set().unwrap();
    // history[v] is the state of version v; roots[v] its root.
    let mut history: Vec<Map> = vec![Map::new()];
    let mut roots = vec![store.root()];
    let mut current = Map::new();

    for step in steps {
        match step {
            Step::Tx { ops, commit } => {
                let mut model = current.clone();
                let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
                run_ops(&mut branch, &mut model, &ops)?;
                if commit {
                    branch.commit().unwrap();
                    current = model;
                }
            }
            Step::CommitVersion => {
                let info = store.commit_working_set(ws).unwrap();
                history.push(current.clone());
                roots.push(info.root);
                prop_assert_eq!(info.version as usize, history.len() - 1);
                ws = store.working_set().unwrap();
            }
            Step::Reopen => {
                drop(ws);
                drop(store);
                store = Store::open(dir.path(), config.clone()).unwrap();
                current = history.last().unwrap().clone();
                prop_assert_eq!(store.version() as usize, history.len() - 1);
                prop_assert_eq!(store.root(), *roots.last().unwrap());
                ws = store.working_set().unwrap();
            }
            Step::ReadOld { back, key } => {
                let latest = store.version();
                let Some(version) = latest.checked_sub(back) else {
                    continue;
                };
                let retained = keep_recent == 0 || version + keep_recent > latest;
                if retained {
                    check_version(&store, version, &history[version as usize], &key)?;
                    prop_assert_eq!(store.root_at(version).unwrap(), roots[version as usize]);
                } else {
                    let err = store.view(version).err();
                    prop_assert!(
                        matches!(err, Some(StoreError::VersionUnavailable { .. })),
                        "pruned version {} readable",
                        version
                    );
                }
            }
        }
    }
    // The root depends on the content only: the same state committed at once has the same root.
    let latest = store.version();
    let fresh_dir = depin_app_test_dir();
    let fresh = Store::open(fresh_dir.path(), StoreConfig::default()).unwrap();
    let mut fresh_ws = fresh.working_set().unwrap();
    let mut b = fresh_ws.branch(Arc::new(GasMeter::infinite()));
    for (k, v) in history.last().unwrap() {
        b.set(k, v);
    }
    b.commit().unwrap();
    let info = fresh.commit_working_set(fresh_ws).unwrap();
    if latest > 0 || !history.last().unwrap().is_empty() {
        prop_assert_eq!(info.root, store.root());
    }
    Ok(())
}

/// Temp dirs on tmpfs where there is one: the model test is about logic, not fsync latency.
fn depin_app_test_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(
        keep_recent in prop_oneof![Just(0u64), 1u64..4],
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        run_case(keep_recent, steps)?;
    }
}
