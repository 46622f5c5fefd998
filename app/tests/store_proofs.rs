//! ICS23 proofs: random keys, present and absent, at the latest and at older retained
//! versions, verified with the `ics23` crate; tampered proofs and wrong roots fail.

mod common;

use depin_app::store::{verify_membership, verify_non_membership, StoreError};
use ics23::commitment_proof::Proof;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn random_key(rng: &mut StdRng) -> Vec<u8> {
    let len = rng.random_range(1..40);
    (0..len).map(|_| rng.random()).collect()
}

#[test]
fn proofs_verify_at_latest_and_old_versions_and_tampering_fails() {
    let mut rng = StdRng::seed_from_u64(7);
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 4);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut history = vec![];
    for _ in 0..6 {
        let mut sets = vec![];
        for _ in 0..300 {
            let k = random_key(&mut rng);
            let v: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            sets.push((k, v));
        }
        let deletes: Vec<Vec<u8>> = model
            .keys()
            .filter(|_| rng.random_bool(0.1))
            .cloned()
            .collect();
        for (k, v) in &sets {
            model.insert(k.clone(), v.clone());
        }
        for k in &deletes {
            if !sets.iter().any(|(s, _)| s == k) {
                model.remove(k);
            }
        }
        // Sets win over deletes of the same key within one version, as the model assumes.
        let deletes: Vec<_> = deletes
            .into_iter()
            .filter(|k| !sets.iter().any(|(s, _)| s == k))
            .collect();
        let info = common::commit(&store, &sets, &deletes);
        history.push((info.version, info.root, model.clone()));
    }

    let latest = store.version();
    let mut checked = (0, 0);
    for (version, root, state) in &history {
        if version + 4 <= latest {
            let err = store.get_with_proof(b"any", *version).unwrap_err();
            assert!(
                matches!(err, StoreError::VersionUnavailable { .. }),
                "{err}"
            );
            continue;
        }
        assert_eq!(store.root_at(*version).unwrap(), *root);
        // Present keys.
        for (k, v) in state.iter().filter(|_| rng.random_bool(0.05)) {
            let (got, proof) = store.get_with_proof(k, *version).unwrap();
            assert_eq!(got.as_ref(), Some(v));
            assert!(
                verify_membership(&proof, root, k, v),
                "existence proof of {k:?} at {version}"
            );
            assert!(!verify_non_membership(&proof, root, k));
            // Wrong value, wrong root, tampered proof: all fail.
            let mut other = v.clone();
            other[0] ^= 1;
            assert!(!verify_membership(&proof, root, k, &other));
            let mut bad_root = *root;
            bad_root[3] ^= 0x10;
            assert!(!verify_membership(&proof, &bad_root, k, v));
            let mut tampered = proof.clone();
            if let Some(Proof::Exist(e)) = &mut tampered.proof {
                match e.path.first_mut() {
                    Some(step) if !step.prefix.is_empty() => step.prefix[0] ^= 1,
                    _ => e.value.push(0),
                }
            }
            assert!(!verify_membership(&tampered, root, k, v));
            checked.0 += 1;
        }
        // Absent keys.
        for _ in 0..40 {
            let k = random_key(&mut rng);
            if state.contains_key(&k) {
                continue;
            }
            let (got, proof) = store.get_with_proof(&k, *version).unwrap();
            assert_eq!(got, None);
            assert!(
                verify_non_membership(&proof, root, &k),
                "absence proof of {k:?} at {version}"
            );
            let mut bad_root = *root;
            bad_root[0] ^= 1;
            assert!(!verify_non_membership(&proof, &bad_root, &k));
            // An absence proof for one key cannot claim a present key is absent.
            if let Some(present) = state.keys().next() {
                assert!(!verify_non_membership(&proof, root, present));
            }
            checked.1 += 1;
        }
    }
    assert!(
        checked.0 > 50 && checked.1 > 100,
        "too few proofs checked: {checked:?}"
    );
}

#[test]
fn absence_proofs_at_the_edges_of_the_key_space() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let info = common::commit(&store, &[(b"only".to_vec(), b"one".to_vec())], &[]);
    for k in [b"a".as_slice(), b"zzzz", b"\x00", b"\xff\xff"] {
        let (got, proof) = store.get_with_proof(k, info.version).unwrap();
        assert_eq!(got, None);
        assert!(verify_non_membership(&proof, &info.root, k));
    }
    let (got, proof) = store.get_with_proof(b"only", info.version).unwrap();
    assert_eq!(got.as_deref(), Some(b"one".as_slice()));
    assert!(verify_membership(&proof, &info.root, b"only", b"one"));
}

#[test]
fn empty_keys_and_values_are_refused_and_the_branch_does_not_commit() {
    use depin_app::store::GasMeter;
    use std::sync::Arc;
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let mut ws = store.working_set().unwrap();
    let mut b = ws.branch(Arc::new(GasMeter::infinite()));
    b.set(b"ok", b"1");
    b.set(b"flag", b"");
    assert_eq!(b.check(), Err(StoreError::EmptyValue));
    assert_eq!(b.commit(), Err(StoreError::EmptyValue));
    let mut b = ws.branch(Arc::new(GasMeter::infinite()));
    b.delete(b"");
    assert_eq!(b.commit(), Err(StoreError::EmptyKey));
    assert!(
        ws.changes().is_empty(),
        "a refused branch leaves its parent unchanged"
    );
}

#[test]
fn a_view_taken_before_a_prune_keeps_reading_its_version() {
    use cosmwasm_std::Order;
    use depin_app::store::KvRead;
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 2);
    common::commit(&store, &[(b"a".to_vec(), b"1".to_vec())], &[]);
    let v2 = common::commit(
        &store,
        &[
            (b"a".to_vec(), b"2".to_vec()),
            (b"b".to_vec(), b"x".to_vec()),
        ],
        &[],
    );
    let old = store.view(v2.version).unwrap();
    for i in 3..7u8 {
        common::commit(&store, &[(b"a".to_vec(), vec![b'0' + i])], &[b"b".to_vec()]);
    }
    // Version 2 is pruned for new readers…
    assert!(matches!(
        store.view(2),
        Err(StoreError::VersionUnavailable { oldest: 5, .. })
    ));
    // …but the view taken before still reads it, by key and by iteration.
    assert_eq!(old.get(b"a"), Some(b"2".to_vec()));
    let all: Vec<_> = old.range(None, None, Order::Ascending).collect();
    assert_eq!(
        all,
        vec![
            (b"a".to_vec(), b"2".to_vec()),
            (b"b".to_vec(), b"x".to_vec())
        ]
    );
}
