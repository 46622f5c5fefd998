//! Modules keep state with cw-storage-plus over `ModuleStore`: prefixes isolate modules,
//! every access is metered with the Cosmos KV gas schedule, and running out of gas surfaces
//! as a typed error that stops the branch from committing.

mod common;

use std::sync::Arc;

use cosmwasm_std::{Order, StdResult, Storage};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use depin_app::store::{GasConfig, GasMeter, KvRead, ModuleStore, StoreError};
use serde::{Deserialize, Serialize};

const HEIGHT: Item<u64> = Item::new("height");
const BALANCES: Map<&str, u128> = Map::new("balances");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Device {
    owner: String,
    class: String,
}

struct DeviceIndexes<'a> {
    owner: MultiIndex<'a, String, Device, &'a str>,
}

impl IndexList<Device> for DeviceIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Device>> + '_> {
        Box::new(std::iter::once(&self.owner as &dyn Index<Device>))
    }
}

fn devices<'a>() -> IndexedMap<&'a str, Device, DeviceIndexes<'a>> {
    IndexedMap::new(
        "devices",
        DeviceIndexes {
            owner: MultiIndex::new(
                |_pk, d: &Device| d.owner.clone(),
                "devices",
                "devices__owner",
            ),
        },
    )
}

#[test]
fn cw_storage_plus_collections_work_per_module_and_persist() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let mut ws = store.working_set().unwrap();
    {
        let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
        {
            let mut bank = ModuleStore::new(&mut branch, b"bank/");
            HEIGHT.save(&mut bank, &7).unwrap();
            BALANCES.save(&mut bank, "alice", &100).unwrap();
            BALANCES.save(&mut bank, "bob", &50).unwrap();
        }
        {
            let mut other = ModuleStore::new(&mut branch, b"bank2/");
            HEIGHT.save(&mut other, &99).unwrap();
            BALANCES.save(&mut other, "mallory", &1).unwrap();
        }
        {
            let mut device = ModuleStore::new(&mut branch, b"device/");
            let d = devices();
            for (id, owner) in [("d1", "alice"), ("d2", "bob"), ("d3", "alice")] {
                d.save(
                    &mut device,
                    id,
                    &Device {
                        owner: owner.into(),
                        class: "hotspot".into(),
                    },
                )
                .unwrap();
            }
            d.remove(&mut device, "d3").unwrap();
        }
        branch.commit().unwrap();
    }
    store.commit_working_set(ws).unwrap();

    let mut ws = store.working_set().unwrap();
    let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
    let bank = ModuleStore::new(&mut branch, b"bank/");
    assert_eq!(HEIGHT.load(&bank).unwrap(), 7);
    let all: StdResult<Vec<(String, u128)>> = BALANCES
        .range(&bank, None, None, Order::Ascending)
        .collect();
    assert_eq!(
        all.unwrap(),
        vec![("alice".into(), 100), ("bob".into(), 50)],
        "no bank2/ leak"
    );
    let desc: StdResult<Vec<(String, u128)>> = BALANCES
        .range(&bank, None, None, Order::Descending)
        .collect();
    assert_eq!(desc.unwrap()[0].0, "bob");
    drop(bank);
    let device = ModuleStore::new(&mut branch, b"device/");
    let owned: Vec<String> = devices()
        .idx
        .owner
        .prefix("alice".to_string())
        .keys(&device, None, None, Order::Ascending)
        .collect::<StdResult<_>>()
        .unwrap();
    assert_eq!(owned, vec!["d1".to_string()], "index updated on remove");
    // Keys are stored under the module's prefix.
    drop(device);
    assert!(KvRead::get(&branch, b"bank/height").is_some());
    assert!(KvRead::get(&branch, b"height").is_none());
}

#[test]
fn gas_follows_the_kv_schedule() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let mut ws = store.working_set().unwrap();
    let meter = Arc::new(GasMeter::new(1_000_000, GasConfig::default()));
    let mut branch = ws.branch(meter.clone());
    let mut m = ModuleStore::new(&mut branch, b"m/");
    m.set(b"k", b"value"); // key "m/k" = 3 bytes, value 5 bytes
    assert_eq!(meter.consumed(), 2000 + 30 * 8);
    let before = meter.consumed();
    assert_eq!(m.get(b"k"), Some(b"value".to_vec()));
    assert_eq!(meter.consumed() - before, 1000 + 3 * 8);
    let before = meter.consumed();
    assert_eq!(m.get(b"absent"), None); // key "m/absent" = 8 bytes
    assert_eq!(meter.consumed() - before, 1000 + 3 * 8);
    let before = meter.consumed();
    m.set(b"k2", b"v2");
    let items: Vec<_> = m.range(None, None, Order::Ascending).collect();
    assert_eq!(items.len(), 2);
    // Iteration charges per item on the stored key, module prefix included (2 bytes here).
    let write = 2000 + 30 * (4 + 2);
    let iter = (30 + 3 * (1 + 5)) + (30 + 3 * (2 + 2));
    assert_eq!(meter.consumed() - before, write + iter + 3 * 2 * 2);
    let before = meter.consumed();
    m.remove(b"k");
    assert_eq!(meter.consumed() - before, 1000);
}

#[test]
fn out_of_gas_surfaces_as_a_typed_error_and_the_branch_does_not_commit() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    let mut ws = store.working_set().unwrap();
    let meter = Arc::new(GasMeter::new(10_000, GasConfig::default()));
    let mut branch = ws.branch(meter.clone());
    {
        let mut m = ModuleStore::new(&mut branch, b"m/");
        for i in 0..10u32 {
            BALANCES
                .save(&mut m, &format!("acct{i}"), &(i as u128))
                .unwrap();
        }
    }
    assert!(meter.is_out_of_gas());
    assert_eq!(meter.consumed(), 10_000);
    match branch.commit() {
        Err(StoreError::OutOfGas { limit, wanted, .. }) => {
            assert_eq!(limit, 10_000);
            assert!(wanted > limit);
        }
        other => panic!("expected out of gas, got {other:?}"),
    }
    assert!(
        ws.changes().is_empty(),
        "nothing of the failed branch reached the block"
    );
}

#[test]
fn nested_branch_discard_keeps_the_parent_and_inverted_ranges_are_empty() {
    let dir = common::fast_tempdir();
    let store = common::open(dir.path(), 0);
    common::commit(&store, &[(b"a".to_vec(), b"1".to_vec())], &[]);
    let mut ws = store.working_set().unwrap();
    let mut tx = ws.branch(Arc::new(GasMeter::infinite()));
    tx.set(b"b", b"2");
    {
        let mut msg = tx.branch();
        msg.set(b"c", b"3");
        msg.delete(b"a");
        assert_eq!(msg.get(b"a"), None);
        msg.discard();
    }
    assert_eq!(tx.get(b"a"), Some(b"1".to_vec()));
    assert_eq!(tx.get(b"c"), None);
    // start > end must not panic anywhere in the layers.
    assert_eq!(tx.iter(Some(b"z"), Some(b"a"), Order::Ascending).count(), 0);
    assert_eq!(
        tx.iter(Some(b"b"), Some(b"b"), Order::Descending).count(),
        0
    );
    tx.commit().unwrap();
    let info = store.commit_working_set(ws).unwrap();
    let view = store.view(info.version).unwrap();
    assert_eq!(
        view.range(Some(b"z"), Some(b"a"), Order::Ascending).count(),
        0
    );
    let all: Vec<_> = view
        .range(None, None, Order::Ascending)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(all, vec![b"a".to_vec(), b"b".to_vec()]);
}
