//! Genesis export → import, refused genesis documents, and pruning after the retention.

mod common;

use common::*;
use depin_energy::genesis::{GenesisEpochEnergy, GenesisEpochUnit};
use depin_energy::{GenesisState, Meter, Params};

#[test]
fn an_export_imports_to_the_same_state_and_the_meters_go_on() {
    let mut chain = Chain::new(3, energy_params());
    chain.acme();
    let (a, b) = (device_signer(1), device_signer(2));
    let ida = chain.onboard(1, &a, "sn-a");
    let idb = chain.onboard(1, &b, "sn-b");
    chain.next_epoch_alive(&[&a, &b]);
    chain.read(&a, 100);
    chain.read(&b, 5);
    chain.read(&a, 1_600);
    chain.next_epoch_alive(&[&a, &b]);
    chain.read(&a, 4_000);
    chain.read(&b, 3_005);

    let exported = chain.export();
    let energy: GenesisState = serde_json::from_value(exported["energy"].clone()).unwrap();
    assert_eq!(energy.meters.len(), 2);
    assert_eq!(energy.epoch_energy.len(), 3);

    let mut imported = Chain::with_state(test_keys(3), &exported, chain.height() + 1).unwrap();
    assert_eq!(imported.export()["energy"], exported["energy"]);
    assert_eq!(imported.meter(&ida), chain.meter(&ida));
    // The counters go on from where they were.
    let epoch = imported.epoch();
    let msg = imported.reading_msg(&b, &idb, epoch, 3_005);
    imported.fails(1, vec![msg], "energy", 10);
    imported.next_epoch_alive(&[&a, &b]);
    assert_eq!(imported.read(&b, 3_105), 100);
    assert_eq!(imported.meter(&idb).delivered_wh, 3_100);
}

fn meter(id: &str, last_epoch: u64, delivered_wh: u64) -> Meter {
    Meter {
        device_id: id.into(),
        last_cumulative_wh: delivered_wh + 7,
        last_epoch,
        readings_in_epoch: 1,
        delivered_wh,
    }
}

#[test]
fn an_inconsistent_genesis_is_refused() {
    let keys = test_keys(3);
    let id = device_signer(1).id(PREFIX);
    let good = GenesisState {
        params: energy_params(),
        meters: vec![meter(&id, 0, 1_000)],
        epoch_energy: vec![GenesisEpochEnergy {
            epoch: 0,
            device_id: id.clone(),
            delivered_wh: 1_000,
        }],
        epoch_units: vec![GenesisEpochUnit {
            epoch: 0,
            wh_per_point: 1_000,
        }],
    };
    let with = |g: &GenesisState| {
        let mut state = app_state(&keys, &energy_params());
        state["energy"] = serde_json::to_value(g).unwrap();
        Chain::with_state(test_keys(3), &state, 1).map(|_| ())
    };
    with(&good).unwrap();

    let mut cases: Vec<(&str, GenesisState)> = Vec::new();
    let mut g = good.clone();
    g.params = Params {
        wh_per_point: 0,
        ..energy_params()
    };
    cases.push(("params", g));
    let mut g = good.clone();
    g.meters.push(g.meters[0].clone());
    cases.push(("listed twice", g));
    let mut g = good.clone();
    g.meters[0].device_id = "depin1notadevice".into();
    g.epoch_energy.clear();
    cases.push(("meter", g));
    let mut g = good.clone();
    g.epoch_energy[0].delivered_wh = 1_001;
    cases.push(("exceed", g));
    let mut g = good.clone();
    g.epoch_energy[0].epoch = 6;
    cases.push(("last reading", g));
    // Consistent, but ahead of the registry's clock (epoch 0 at genesis).
    let mut g = good.clone();
    g.meters[0].last_epoch = 3;
    g.epoch_energy[0].epoch = 3;
    g.epoch_units[0].epoch = 3;
    cases.push(("after the device registry's current epoch", g));
    let mut g = good.clone();
    g.epoch_units.clear();
    cases.push(("no unit", g));
    let mut g = good.clone();
    g.epoch_units[0].wh_per_point = 0;
    cases.push(("wh_per_point 0", g));
    let mut g = good.clone();
    g.epoch_energy[0].device_id = device_signer(2).id(PREFIX);
    cases.push(("not a listed meter", g));
    let mut g = good.clone();
    g.epoch_energy[0].delivered_wh = 0;
    cases.push(("0 Wh", g));
    for (want, g) in cases {
        let err = with(&g).err().unwrap_or_else(|| panic!("{want}: accepted"));
        assert!(err.contains(want), "{want}: {err}");
    }
    // Unknown fields are refused.
    let mut state = app_state(&keys, &energy_params());
    state["energy"]["surprise"] = serde_json::json!(1);
    assert!(Chain::with_state(test_keys(3), &state, 1).is_err());
}

#[test]
fn epoch_totals_are_pruned_after_the_retention() {
    let params = Params {
        retention_epochs: 2,
        ..energy_params()
    };
    let mut chain = Chain::new(3, params);
    chain.acme();
    let a = device_signer(1);
    let id = chain.onboard(1, &a, "sn-a");
    chain.next_epoch_alive(&[&a]);
    chain.read(&a, 10);
    chain.read(&a, 1_010);
    let e = chain.epoch();
    assert_eq!(chain.epoch_energy(e, &id).delivered_wh, 1_000);

    // Kept through e + 2 (the oldest retained is current − 2).
    chain.next_epoch_alive(&[&a]);
    chain.next_epoch_alive(&[&a]);
    assert_eq!(chain.epoch(), e + 2);
    chain.advance(3);
    assert_eq!(chain.epoch_energy(e, &id).delivered_wh, 1_000);

    // Pruned in the first block of e + 3.
    chain.next_epoch();
    chain.block();
    assert_eq!(chain.epoch(), e + 3);
    let pruned = chain.events_of("energy_pruned");
    assert_eq!(pruned.len(), 1, "{:?}", chain.events);
    assert_eq!(pruned[0].get("removed"), Some("1"));
    assert_eq!(chain.epoch_energy(e, &id).delivered_wh, 0);
    let energy: GenesisState = serde_json::from_value(chain.export()["energy"].clone()).unwrap();
    assert!(energy.epoch_energy.is_empty());
    assert!(energy.epoch_units.is_empty());
    // The meter's lifetime total stays.
    assert_eq!(chain.meter(&id).delivered_wh, 1_000);
}

#[test]
fn pruning_is_bounded_per_block() {
    let keys = test_keys(3);
    let params = Params {
        retention_epochs: 2,
        ..energy_params()
    };
    let n = depin_energy::keeper::MAX_PRUNED_PER_BLOCK as u64 + 50;
    let ids: Vec<String> = (0..n)
        .map(|i| device_signer(1_000 + i).id(PREFIX))
        .collect();
    let genesis = GenesisState {
        params: params.clone(),
        meters: ids.iter().map(|id| meter(id, 0, 10)).collect(),
        epoch_energy: ids
            .iter()
            .map(|id| GenesisEpochEnergy {
                epoch: 0,
                device_id: id.clone(),
                delivered_wh: 10,
            })
            .collect(),
        epoch_units: vec![GenesisEpochUnit {
            epoch: 0,
            wh_per_point: 1_000,
        }],
    };
    let mut state = app_state(&keys, &params);
    state["energy"] = serde_json::to_value(&genesis).unwrap();
    let mut chain = Chain::with_state(keys, &state, 1).unwrap();
    // Epoch 0 is kept through epoch 2, then pruned 200 totals a block.
    while chain.epoch() < 3 {
        chain.block();
    }
    assert_eq!(chain.epoch_energy(0, &ids[0]).delivered_wh, 10);
    chain.block();
    let removed = |c: &Chain| {
        c.events_of("energy_pruned")
            .first()
            .and_then(|e| e.get("removed").map(str::to_string))
    };
    assert_eq!(removed(&chain).as_deref(), Some("200"));
    let left: GenesisState = serde_json::from_value(chain.export()["energy"].clone()).unwrap();
    assert_eq!(left.epoch_energy.len(), 50);
    assert_eq!(
        left.epoch_units.len(),
        1,
        "the unit stays while totals of its epoch remain"
    );
    chain.block();
    assert_eq!(removed(&chain).as_deref(), Some("50"));
    let left: GenesisState = serde_json::from_value(chain.export()["energy"].clone()).unwrap();
    assert!(left.epoch_energy.is_empty() && left.epoch_units.is_empty());
    assert_eq!(left.meters.len(), n as usize);
    chain.block();
    assert_eq!(removed(&chain), None);
}
