//! State-sync snapshots: export → restore reproduces the root on a store of 100k keys, the
//! restored store continues like the original, and bad chunks are rejected without effect.

mod common;

use cosmwasm_std::Order;
use depin_app::store::{KvRead, Restorer, SnapshotManifest, StoreConfig, StoreError};

fn key(i: u32) -> Vec<u8> {
    format!("acct/{:08}", i.wrapping_mul(2_654_435_761) % 10_000_000).into_bytes()
}

/// A store with 100k live keys built over three versions with overwrites and deletes, and its
/// snapshot at the latest version in 64 KiB chunks.
fn fixture() -> (
    tempfile::TempDir,
    depin_app::store::Store,
    SnapshotManifest,
    Vec<Vec<u8>>,
) {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path().join("src").as_path(), 0);
    let first: Vec<_> = (0..90_000u32)
        .map(|i| (key(i), i.to_be_bytes().to_vec()))
        .collect();
    common::commit(&store, &first, &[]);
    let second: Vec<_> = (80_000..110_000u32)
        .map(|i| (key(i), vec![2; 1 + (i % 50) as usize]))
        .collect();
    let deletes: Vec<_> = (0..10_000u32).step_by(2).map(key).collect();
    common::commit(&store, &second, &deletes);
    let third: Vec<_> = (110_000..115_000u32)
        .map(|i| (key(i), b"v3".to_vec()))
        .collect();
    common::commit(&store, &third, &[]);

    let mut chunks = vec![];
    let manifest = store
        .export_snapshot(store.version(), 64 << 10, |i, bytes| {
            assert_eq!(i as usize, chunks.len());
            chunks.push(bytes);
            Ok(())
        })
        .unwrap();
    (dir, store, manifest, chunks)
}

#[test]
fn snapshot_round_trip_and_rejections() {
    let (dir, store, manifest, chunks) = fixture();
    assert_eq!(manifest.keys, 110_000);
    assert_eq!(manifest.root, store.root());
    assert!(
        chunks.len() > 10,
        "expected many chunks, got {}",
        chunks.len()
    );
    assert!(chunks.iter().all(|c| c.len() <= (64 << 10) + 1024));
    assert_eq!(
        SnapshotManifest::from_bytes(&manifest.to_bytes()).unwrap(),
        manifest
    );

    // Restore, with a corrupted and an out-of-order chunk offered on the way.
    let target = dir.path().join("restored");
    let mut restorer = Restorer::new(&target, manifest.clone(), StoreConfig::default()).unwrap();
    let mut corrupted = chunks[0].clone();
    corrupted[40] ^= 0xff;
    let err = restorer.apply_chunk(0, &corrupted).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidChunk { index: 0, .. }),
        "{err}"
    );
    let err = restorer.apply_chunk(1, &chunks[1]).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidChunk { index: 1, .. }),
        "{err}"
    );
    let err = restorer.apply_chunk(0, &chunks[1]).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidChunk { index: 0, .. }),
        "{err}"
    );
    for (i, c) in chunks.iter().enumerate() {
        restorer.apply_chunk(i as u32, c).unwrap();
    }
    let restored = restorer.finish().unwrap();
    assert_eq!(restored.version(), store.version());
    assert_eq!(restored.root(), store.root());

    // Same content, and both continue to the same next root.
    let a = store.latest_view().unwrap();
    let b = restored.latest_view().unwrap();
    assert!(a
        .range(None, None, Order::Ascending)
        .eq(b.range(None, None, Order::Ascending)));
    // Views hold the database open; a reopen below needs them gone.
    drop((a, b));
    let next = vec![
        (key(1), b"next".to_vec()),
        (b"new".to_vec(), b"key".to_vec()),
    ];
    let deletes = vec![key(3)];
    let ia = common::commit(&store, &next, &deletes);
    let ib = common::commit(&restored, &next, &deletes);
    assert_eq!(ia.root, ib.root);
    // Proofs work on the restored store.
    let (v, proof) = restored.get_with_proof(&key(1), ib.version).unwrap();
    assert!(depin_app::store::verify_membership(
        &proof,
        &ib.root,
        &key(1),
        &v.unwrap()
    ));
    drop(restored);
    // Reopens as a normal store.
    let reopened = common::open(&target, 0);
    assert_eq!(reopened.root(), ib.root);
}

#[test]
fn restore_rejects_a_wrong_root_non_empty_target_and_bad_manifests() {
    let (dir, _store, manifest, chunks) = fixture();

    let mut lying = manifest.clone();
    lying.root[0] ^= 1;
    let target = dir.path().join("lying");
    let mut restorer = Restorer::new(&target, lying, StoreConfig::default()).unwrap();
    for (i, c) in chunks.iter().enumerate() {
        restorer.apply_chunk(i as u32, c).unwrap();
    }
    let err = restorer.finish().err().unwrap();
    assert!(matches!(err, StoreError::RootMismatch { .. }), "{err}");
    // The failed restore is not mistaken for a store.
    let err = depin_app::store::Store::open(&target, StoreConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::IncompleteRestore(_)), "{err}");
    // Nor can anything be restored over it.
    let err = Restorer::new(&target, manifest.clone(), StoreConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");

    let mut future = manifest.clone();
    future.format = 99;
    let err = Restorer::new(dir.path().join("f"), future, StoreConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::InvalidSnapshot(_)), "{err}");

    // Finishing early is refused.
    let restorer =
        Restorer::new(dir.path().join("early"), manifest, StoreConfig::default()).unwrap();
    let err = restorer.finish().err().unwrap();
    assert!(matches!(err, StoreError::InvalidSnapshot(_)), "{err}");
}

#[test]
fn old_versions_export_and_version_zero_does_not() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let v1 = common::commit(&store, &[(b"a".to_vec(), b"1".to_vec())], &[]);
    common::commit(&store, &[(b"a".to_vec(), b"2".to_vec())], &[]);
    let mut chunks = vec![];
    let m = store.export_snapshot(1, 1 << 20, |_, c| {
        chunks.push(c);
        Ok(())
    });
    let m = m.unwrap();
    assert_eq!((m.version, m.root, m.keys), (1, v1.root, 1));
    let err = store
        .export_snapshot(0, 1 << 20, |_, _| Ok(()))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidSnapshot(_)));
    let mut r = Restorer::new(dir.path().join("r"), m, StoreConfig::default()).unwrap();
    r.apply_chunk(0, &chunks[0]).unwrap();
    let restored = r.finish().unwrap();
    assert_eq!(
        restored.latest_view().unwrap().get(b"a"),
        Some(b"1".to_vec())
    );
}

#[test]
fn snapshot_store_keeps_the_newest_serves_chunks_and_drops_interrupted_ones() {
    use depin_app::store::SnapshotStore;
    let dir = common::fast_tempdir();
    let store = common::open(&dir.path().join("state"), 0);
    let snaps_dir = dir.path().join("snapshots");
    // A folder left by a snapshot interrupted mid-write.
    std::fs::create_dir_all(snaps_dir.join("7.tmp")).unwrap();
    let snaps = SnapshotStore::open(&snaps_dir, 2).unwrap();
    assert!(!snaps_dir.join("7.tmp").exists());

    let mut manifests = vec![];
    for v in 1..=3u32 {
        let sets: Vec<_> = (0..2_000u32)
            .map(|i| (key(i), (v * i).to_be_bytes().to_vec()))
            .collect();
        let info = common::commit(&store, &sets, &[]);
        manifests.push(snaps.create(&store, info.version, 8 << 10).unwrap());
    }
    let listed = snaps.list().unwrap();
    assert_eq!(
        listed,
        vec![manifests[2].clone(), manifests[1].clone()],
        "newest two, newest first"
    );
    assert_eq!(snaps.manifest(1).unwrap(), None, "pruned");
    assert_eq!(snaps.load_chunk(1, 0).unwrap(), None);
    let newest = &listed[0];
    assert!(newest.chunk_hashes.len() > 3);
    assert_eq!(
        snaps
            .load_chunk(newest.version, newest.chunk_hashes.len() as u32)
            .unwrap(),
        None
    );

    // What it serves restores to the same root.
    let mut r = Restorer::new(
        dir.path().join("synced"),
        newest.clone(),
        StoreConfig::default(),
    )
    .unwrap();
    for i in 0..newest.chunk_hashes.len() as u32 {
        r.apply_chunk(i, &snaps.load_chunk(newest.version, i).unwrap().unwrap())
            .unwrap();
    }
    assert_eq!(r.finish().unwrap().root(), store.root());
}
