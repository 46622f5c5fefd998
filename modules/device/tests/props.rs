//! Random operations (onboard, transfer, heartbeats with random counters and epochs, coverage
//! witnesses, blocks, maker revocation, decommission, key rotation) against a small model;
//! after every block: each device has one owner and sits in exactly that owner's index,
//! counters never go back, at most one heartbeat counts per device per epoch, the per-epoch
//! witness caps hold, the transition cap holds, and the registry's invariants hold (checked by
//! the harness).
#![cfg(feature = "client")]

mod common;

use std::collections::BTreeMap;

use common::*;
use depin_device::client::{self, Beacon, DeviceSigner};
use depin_device::witness::MSG_SUBMIT_WITNESS;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Debug, Clone)]
enum Op {
    Onboard {
        owner: usize,
        hotspot: bool,
    },
    Witness {
        beacon: usize,
        witness: usize,
        nonce: u64,
    },
    Transfer {
        device: usize,
        to: usize,
    },
    Heartbeat {
        device: usize,
        counter_step: u64,
        epoch_skew: i8,
    },
    Advance {
        blocks: u8,
    },
    /// A correct heartbeat of every device, one transaction each.
    HeartbeatAll,
    RevokeMaker,
    Decommission {
        device: usize,
    },
    Rotate {
        device: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..4, proptest::bool::ANY).prop_map(|(owner, hotspot)| Op::Onboard { owner, hotspot }),
        4 => (0usize..8, 0usize..8, 0u64..4)
            .prop_map(|(beacon, witness, nonce)| Op::Witness { beacon, witness, nonce }),
        2 => (0usize..8, 1usize..4).prop_map(|(device, to)| Op::Transfer { device, to }),
        5 => (0usize..8, 0u64..3, -1i8..2)
            .prop_map(|(device, counter_step, epoch_skew)| Op::Heartbeat { device, counter_step, epoch_skew }),
        3 => (1u8..8).prop_map(|blocks| Op::Advance { blocks }),
        2 => Just(Op::HeartbeatAll),
        // Revocation ends all work: rarer than the rest.
        1 => (0u8..4).prop_map(|x| if x == 0 { Op::RevokeMaker } else { Op::Advance { blocks: 1 } }),
        1 => (0usize..8).prop_map(|device| Op::Decommission { device }),
        1 => (0usize..8).prop_map(|device| Op::Rotate { device }),
    ]
}

struct Model {
    /// id → (signer, rotations so far, highest counter seen)
    devices: Vec<(String, DeviceSigner, u32, u64)>,
    next_seed: u64,
    /// (epoch, id) → heartbeats counted
    counted: BTreeMap<(u64, String), u32>,
    /// (epoch, beacon id, nonce) → witnesses counted
    heard: BTreeMap<(u64, String, u64), u32>,
    /// (epoch, witness id) → reports counted
    reports: BTreeMap<(u64, String), u32>,
    /// Indexes (into `devices`) of the hotspots, which may beacon and witness.
    hotspots: Vec<usize>,
}

fn check_after_block(chain: &Chain, model: &Model, cap: usize) {
    let changes = chain.events_of("device_status_changed");
    let block_changes = changes
        .iter()
        .filter(|e| matches!(e.get("reason"), Some("inactivity") | Some("maker_revoked")))
        .count();
    assert!(
        block_changes <= cap,
        "{block_changes} lifecycle transitions in one block"
    );
    for (id, _, _, counter) in &model.devices {
        let d = chain.device(id);
        assert!(d.heartbeat_counter >= *counter, "counter of {id} went back");
        let owner = (0..chain.keys.len())
            .filter(|i| chain.address(*i) == d.owner)
            .collect::<Vec<_>>();
        assert_eq!(owner.len(), 1, "{id} has owner {}", d.owner);
        for i in 0..chain.keys.len() {
            let listed = chain
                .devices(depin_proto::depin::device::v1::QueryDevicesRequest {
                    owner: chain.address(i),
                    ..Default::default()
                })
                .iter()
                .any(|x| &x.id == id);
            assert_eq!(
                listed,
                chain.address(i) == d.owner,
                "{id} in the index of owner {i}"
            );
        }
    }
    for ((_, id), n) in &model.counted {
        assert!(*n <= 1, "{id} counted {n} heartbeats in one epoch");
    }
    let p = &chain.params;
    for ((epoch, id, nonce), n) in &model.heard {
        assert!(
            *n <= p.max_witnesses_per_beacon,
            "beacon {nonce} of {id} heard {n} times in {epoch}"
        );
    }
    for ((epoch, id), n) in &model.reports {
        assert!(
            *n <= p.max_witness_reports_per_device,
            "{id} made {n} reports in {epoch}"
        );
    }
    let mut beacons: BTreeMap<(u64, &str), u32> = BTreeMap::new();
    for (epoch, id, _) in model.heard.keys() {
        *beacons.entry((*epoch, id.as_str())).or_default() += 1;
    }
    for ((epoch, id), n) in beacons {
        assert!(
            n <= p.max_beacons_per_device,
            "{id} had {n} beacons heard in {epoch}"
        );
    }
}

/// Witness reports counted over all cases: the property must exercise the counting path.
static WITNESSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn random_operations_keep_the_registry_consistent() {
    let mut runner = TestRunner::new(Config {
        cases: 16,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 5..40), |ops| {
            let mut params = test_params();
            params.max_transitions_per_block = 2;
            params.epoch_blocks = 10;
            params.max_witnesses_per_beacon = 2;
            params.max_beacons_per_device = 2;
            params.max_witness_reports_per_device = 2;
            for c in &mut params.classes {
                c.heartbeat_interval_epochs = 1;
            }
            let cap = params.max_transitions_per_block as usize;
            let mut chain = Chain::new(&[100 * M; 4], params);
            let maker = chain.acme();
            let mut model = Model {
                devices: Vec::new(),
                next_seed: 1,
                counted: BTreeMap::new(),
                heard: BTreeMap::new(),
                reports: BTreeMap::new(),
                hotspots: Vec::new(),
            };
            // Four hotspots a cell apart, of three owners, to beacon and witness from the start.
            for owner in [1usize, 2, 3, 1] {
                let dev = device_signer(model.next_seed);
                let serial = format!("S{}", model.next_seed);
                let loc = Some(cell(10, (model.next_seed % 5) as u32));
                model.next_seed += 1;
                let msg = chain.onboard_msg(owner, &maker, "acme", "hotspot", &serial, &dev, loc);
                chain.ok(
                    owner,
                    vec![common::any(depin_device::msgs::MSG_ONBOARD_DEVICE, msg)],
                );
                model.hotspots.push(model.devices.len());
                model.devices.push((dev.id(PREFIX), dev, 0, 0));
            }
            let mut ops = ops;
            ops.insert(0, Op::HeartbeatAll);
            for op in ops {
                match op {
                    Op::Onboard { owner, hotspot } => {
                        let dev = device_signer(model.next_seed);
                        let serial = format!("S{}", model.next_seed);
                        // Hotspots a few cells apart, so that most pairs may witness.
                        let (class, loc) = if hotspot {
                            ("hotspot", Some(cell(10, (model.next_seed % 5) as u32)))
                        } else {
                            ("compute", None)
                        };
                        model.next_seed += 1;
                        let msg =
                            chain.onboard_msg(owner, &maker, "acme", class, &serial, &dev, loc);
                        let r = chain.tx(
                            owner,
                            vec![common::any(depin_device::msgs::MSG_ONBOARD_DEVICE, msg)],
                        );
                        if r.code == 0 {
                            if hotspot {
                                model.hotspots.push(model.devices.len());
                            }
                            model.devices.push((dev.id(PREFIX), dev, 0, 0));
                        }
                    }
                    Op::Transfer { device, to } => {
                        if let Some((id, ..)) =
                            model.devices.get(device % model.devices.len().max(1))
                        {
                            let d = chain.device(id);
                            let owner = (0..4).find(|i| chain.address(*i) == d.owner).unwrap();
                            let to = (owner + to) % 4;
                            chain.tx(
                                owner,
                                vec![chain.transfer_msg(owner, id, &chain.address(to))],
                            );
                        }
                    }
                    Op::Heartbeat {
                        device,
                        counter_step,
                        epoch_skew,
                    } => {
                        let n = model.devices.len();
                        if n > 0 {
                            let (id, signer, _, _) = &model.devices[device % n];
                            let id = id.clone();
                            let last = chain.device(&id).heartbeat_counter;
                            let epoch = chain.next_epoch().saturating_add_signed(epoch_skew.into());
                            let counter = last + counter_step;
                            let msg = chain.heartbeat_msg(0, signer, &id, epoch, counter);
                            let r = chain.tx(0, vec![msg]);
                            if r.code == 0 {
                                let e = chain.epoch();
                                *model.counted.entry((e, id.clone())).or_default() += 1;
                                model.devices[device % n].3 = counter;
                            }
                        }
                    }
                    Op::Witness {
                        beacon,
                        witness,
                        nonce,
                    } => {
                        let n = model.hotspots.len();
                        if n > 1 {
                            let (b_id, b_signer, ..) = &model.devices[model.hotspots[beacon % n]];
                            let (w_id, w_signer, ..) = &model.devices[model.hotspots[witness % n]];
                            let epoch = chain.next_epoch();
                            let b = Beacon::sign(b_signer, CHAIN_ID, b_id, epoch, nonce, &[3; 32]);
                            let msg = client::submit_witness(
                                CHAIN_ID,
                                &chain.address(0),
                                &b,
                                w_signer,
                                w_id,
                                -900,
                                40,
                            );
                            let r = chain.tx(0, vec![common::any(MSG_SUBMIT_WITNESS, msg)]);
                            if r.code == 0 {
                                WITNESSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                let e = chain.epoch();
                                *model.heard.entry((e, b_id.clone(), nonce)).or_default() += 1;
                                *model.reports.entry((e, w_id.clone())).or_default() += 1;
                            }
                        }
                    }
                    Op::HeartbeatAll => {
                        for k in 0..model.devices.len() {
                            let (id, signer, _, _) = &model.devices[k];
                            let counter = chain.device(id).heartbeat_counter + 1;
                            let epoch = chain.next_epoch();
                            let msg = chain.heartbeat_msg(0, signer, id, epoch, counter);
                            let id = id.clone();
                            if chain.tx(0, vec![msg]).code == 0 {
                                let e = chain.epoch();
                                *model.counted.entry((e, id)).or_default() += 1;
                                model.devices[k].3 = counter;
                            }
                            check_after_block(&chain, &model, cap);
                        }
                    }
                    Op::Advance { blocks } => {
                        for _ in 0..blocks {
                            chain.block();
                            check_after_block(&chain, &model, cap);
                        }
                    }
                    Op::RevokeMaker => {
                        chain.tx(0, vec![chain.msg_revoke_maker("acme")]);
                    }
                    Op::Decommission { device } => {
                        if let Some((id, ..)) =
                            model.devices.get(device % model.devices.len().max(1))
                        {
                            let d = chain.device(id);
                            let owner = (0..4).find(|i| chain.address(*i) == d.owner).unwrap();
                            chain.tx(owner, vec![chain.decommission_msg(owner, id)]);
                        }
                    }
                    Op::Rotate { device } => {
                        let n = model.devices.len();
                        if n > 0 {
                            let seed = model.next_seed;
                            model.next_seed += 1;
                            let new = device_signer(seed);
                            let (id, old, rotations, _) = &model.devices[device % n];
                            let d = chain.device(id);
                            let owner = (0..4).find(|i| chain.address(*i) == d.owner).unwrap();
                            let msg = chain.rotate_msg(owner, id, old, &new, *rotations);
                            let r = chain.tx(owner, vec![msg]);
                            if r.code == 0 {
                                let entry = &mut model.devices[device % n];
                                entry.1 = new;
                                entry.2 += 1;
                            }
                        }
                    }
                }
                check_after_block(&chain, &model, cap);
            }
            Ok(())
        })
        .unwrap();
    let witnessed = WITNESSED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("{witnessed} witness reports counted");
    assert!(witnessed > 0, "no case counted a witness report");
}
