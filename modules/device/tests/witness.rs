//! Coverage witnesses through the in-process driver: what counts, every refusal (with its code
//! and no state change), the per-epoch caps, the contribution and hex-density records, and
//! pruning after the retention window.
#![cfg(feature = "client")]

mod common;

use common::*;
use depin_device::client::{self, Beacon, DeviceSigner};
use depin_device::error::CODESPACE;
use depin_device::witness::MSG_SUBMIT_WITNESS;
use depin_device::{h3, DeviceClass};
use depin_proto::depin::device::v1 as pb;

const DATA: [u8; 32] = [5; 32];

struct Net {
    chain: Chain,
    /// (signer, id) of each device, by name.
    devices: Vec<(&'static str, DeviceSigner, String)>,
}

impl Net {
    fn dev(&self, name: &str) -> (&DeviceSigner, &str) {
        let (_, s, id) = self
            .devices
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("no device {name}"));
        (s, id)
    }

    fn beacon(&self, name: &str, nonce: u64) -> Beacon {
        let (signer, id) = self.dev(name);
        Beacon::sign(signer, CHAIN_ID, id, self.chain.next_epoch(), nonce, &DATA)
    }

    /// A report by `witness` on `beacon`, submitted by account `submitter`.
    fn report(&self, submitter: usize, beacon: &Beacon, witness: &str) -> pb::MsgSubmitWitness {
        let (signer, id) = self.dev(witness);
        client::submit_witness(
            CHAIN_ID,
            &self.chain.address(submitter),
            beacon,
            signer,
            id,
            -870,
            65,
        )
    }

    fn submit(&mut self, msg: pb::MsgSubmitWitness) {
        self.chain.ok(4, vec![any(MSG_SUBMIT_WITNESS, msg)]);
    }

    /// Refused with `code`, and the contributions of this epoch are as they were.
    fn refused(&mut self, msg: pb::MsgSubmitWitness, code: u32) -> String {
        let epoch = self.chain.next_epoch();
        let before = self.chain.keeper_contributions(epoch);
        let log = self
            .chain
            .fails(4, vec![any(MSG_SUBMIT_WITNESS, msg)], CODESPACE, code);
        assert_eq!(self.chain.keeper_contributions(epoch), before, "{log}");
        log
    }

    fn counts(&self, name: &str, epoch: u64) -> (u32, u32) {
        let (_, id) = self.dev(name);
        let r: pb::QueryContributionsResponse = self.chain.query(
            &format!("{Q}Contributions"),
            pb::QueryContributionsRequest {
                device_id: id.to_string(),
                from_epoch: epoch,
                to_epoch: epoch,
                pagination: None,
            },
        );
        r.contributions
            .first()
            .map_or((0, 0), |c| (c.beacons, c.witnesses))
    }
}

impl Chain {
    fn keeper_contributions(&self, epoch: u64) -> Vec<pb::Contribution> {
        self.devices(pb::QueryDevicesRequest::default())
            .iter()
            .filter_map(|d| {
                let r: pb::QueryContributionsResponse = self.query(
                    &format!("{Q}Contributions"),
                    pb::QueryContributionsRequest {
                        device_id: d.id.clone(),
                        from_epoch: epoch,
                        to_epoch: epoch,
                        pagination: None,
                    },
                );
                r.contributions.into_iter().next()
            })
            .collect()
    }
}

/// Epochs of 40 blocks; caps of 2 witnesses per beacon, 2 beacons and 2 reports per device; a
/// coverage class "tracker" that needs no location (so a located-less coverage device can be
/// Active). Devices (owner in brackets), all Active after one heartbeat block:
/// a [1] at step 0, b [2] step 1, c [3] step 2, h [3] step 3, d [1] step 4 (a's owner),
/// g [3] in a's cell, f [3] far away, e [2] a compute device, t [2] a tracker without a
/// location, i [2] onboarded but never heartbeating.
fn net() -> Net {
    let mut params = test_params();
    params.epoch_blocks = 40;
    params.max_witnesses_per_beacon = 2;
    params.max_beacons_per_device = 2;
    params.max_witness_reports_per_device = 2;
    let mut tracker: DeviceClass = params.class("hotspot").unwrap().clone();
    tracker.name = "tracker".into();
    tracker.location_required = false;
    tracker.onboarding_fee = Vec::new();
    params.classes.push(tracker);
    let mut chain = Chain::new(&[100 * M; 5], params);
    let maker = maker_signer(1);
    chain.ok(
        0,
        vec![chain.msg_register_maker("acme", &maker, &["hotspot", "compute", "tracker"], 100)],
    );
    let plan: [(&str, usize, &str, Option<u64>); 10] = [
        ("a", 1, "hotspot", Some(cell(10, 0))),
        ("b", 2, "hotspot", Some(cell(10, 1))),
        ("c", 3, "hotspot", Some(cell(10, 2))),
        ("h", 3, "hotspot", Some(cell(10, 3))),
        ("d", 1, "hotspot", Some(cell(10, 4))),
        ("g", 3, "hotspot", Some(cell(10, 0))),
        ("f", 3, "hotspot", Some(cell(10, 200))),
        ("e", 2, "compute", None),
        ("t", 2, "tracker", None),
        ("i", 2, "hotspot", Some(cell(10, 5))),
    ];
    let mut devices = Vec::new();
    for (n, (name, owner, class, loc)) in plan.into_iter().enumerate() {
        let signer = device_signer(100 + n as u64);
        let id = chain.onboard(owner, &maker, class, &format!("W{n}"), &signer, loc);
        devices.push((name, signer, id));
    }
    let mut net = Net { chain, devices };
    net.chain.advance_to_next_epoch();
    let epoch = net.chain.next_epoch();
    let beats: Vec<_> = net
        .devices
        .iter()
        .filter(|(name, _, _)| *name != "i")
        .map(|(_, s, id)| net.chain.heartbeat_msg(4, s, id, epoch, 1))
        .collect();
    net.chain.ok(4, beats);
    net
}

#[test]
fn witnesses_count_once_within_caps_and_distance() {
    let mut net = net();
    let epoch = net.chain.next_epoch();
    // The geometry the test relies on, at the witness resolution 8.
    let cells: std::collections::BTreeMap<&str, u64> = ["a", "b", "c", "h", "d", "g", "f"]
        .into_iter()
        .map(|n| (n, net.chain.device(net.dev(n).1).location.unwrap().h3_cell))
        .collect();
    let dist = |x: &str, y: &str| h3::grid_distance_at(cells[x], cells[y], 8);
    for near in ["b", "c", "h", "d"] {
        let d = dist("a", near).unwrap();
        assert!((1..=30).contains(&d), "a–{near}: {d}");
    }
    assert_eq!(dist("a", "g"), Some(0));
    assert!(dist("a", "f").is_none_or(|d| d > 30));

    // b hears a's beacon 1: one beacon for a, one report for b, an event.
    let beacon1 = net.beacon("a", 1);
    net.submit(net.report(4, &beacon1, "b"));
    assert_eq!(net.counts("a", epoch), (1, 0));
    assert_eq!(net.counts("b", epoch), (0, 1));
    let w = &net.chain.events_of("witness")[0];
    assert_eq!(w.get("beacon_device_id"), Some(net.dev("a").1));
    assert_eq!(w.get("witness_device_id"), Some(net.dev("b").1));
    assert_eq!(w.get("beacon_nonce"), Some("1"));
    assert_eq!(w.get("submitter"), Some(net.chain.address(4).as_str()));
    assert_eq!(
        w.get("distance").map(str::to_string),
        Some(dist("a", "b").unwrap().to_string())
    );

    // The same report again: refused.
    net.refused(net.report(4, &beacon1, "b"), 38);
    // c hears it too: still one beacon for a.
    net.submit(net.report(4, &beacon1, "c"));
    assert_eq!(net.counts("a", epoch), (1, 0));
    assert_eq!(net.counts("c", epoch), (0, 1));
    // A third witness of one beacon is over the cap of 2.
    let log = net.refused(net.report(4, &beacon1, "h"), 39);
    assert!(log.contains("witnesses of beacon 1"), "{log}");

    // A second beacon of a, heard by b (b's second report).
    let beacon2 = net.beacon("a", 2);
    net.submit(net.report(4, &beacon2, "b"));
    assert_eq!(net.counts("a", epoch), (2, 0));
    assert_eq!(net.counts("b", epoch), (0, 2));
    // a's third beacon is over its cap of 2 beacons; b's third report over its cap of 2.
    let log = net.refused(net.report(4, &net.beacon("a", 3), "h"), 39);
    assert!(log.contains("witnessed beacons"), "{log}");
    let log = net.refused(net.report(4, &net.beacon("c", 1), "b"), 39);
    assert!(log.contains("witness reports"), "{log}");
    // A refused beacon of a capped device did not count: a witness report by a still does.
    net.submit(net.report(4, &net.beacon("c", 1), "a"));
    assert_eq!(net.counts("a", epoch), (2, 1));
    assert_eq!(net.counts("c", epoch), (1, 1));

    // Hex densities: every device that did work this epoch, by its res-8 hex.
    let r: pb::QueryHexDensitiesResponse = net.chain.query(
        &format!("{Q}HexDensities"),
        pb::QueryHexDensitiesRequest {
            epoch,
            pagination: None,
        },
    );
    let total: u32 = r.densities.iter().map(|d| d.devices).sum();
    // Located devices that heartbeat this epoch: a b c h d g f (e and t have no location).
    assert_eq!(total, 7);

    // Next epoch: the caps start again, the old records stay until pruned.
    net.chain.advance_to_next_epoch();
    let next = net.chain.next_epoch();
    let (s, id) = net.dev("a");
    let beat = net.chain.heartbeat_msg(4, s, id, next, 2);
    net.chain.ok(4, vec![beat]);
    let (s, id) = net.dev("b");
    let beat = net.chain.heartbeat_msg(4, s, id, next, 2);
    net.chain.ok(4, vec![beat]);
    net.submit(net.report(4, &net.beacon("a", 1), "b"));
    assert_eq!(net.counts("a", next), (1, 0));
    assert_eq!(net.counts("a", epoch), (2, 1));
    let export = net.chain.export();
    assert_eq!(
        export["device"]["witness_records"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    // After the retention window (3 epochs) the old records are gone.
    for _ in 0..4 {
        net.chain.advance_to_next_epoch();
    }
    net.chain.advance(3);
    let export = net.chain.export();
    assert!(export["device"]["witness_records"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(net.counts("a", epoch), (0, 0));
}

#[test]
fn witness_refusals_change_nothing() {
    let mut net = net();
    let epoch = net.chain.next_epoch();
    let beacon = net.beacon("a", 1);

    // Stateless: the same device on both sides; a data hash that is not 32 bytes; bad ids.
    let mut own = net.report(4, &beacon, "b");
    own.witness_device_id = own.beacon_device_id.clone();
    net.refused(own, 32);
    let mut short = net.report(4, &beacon, "b");
    short.beacon_data_hash = vec![5; 31];
    net.refused(short, 33);
    let mut bad_id = net.report(4, &beacon, "b");
    bad_id.witness_device_id = "depindev1notanid".into();
    net.refused(bad_id, 16);
    let mut unknown = net.report(4, &beacon, "b");
    unknown.witness_device_id = device_signer(999).id(PREFIX);
    net.refused(unknown, 17);

    // Epoch: the beacon must be of the current epoch.
    let (signer, id) = net.dev("a");
    let stale = Beacon::sign(signer, CHAIN_ID, id, epoch + 1, 1, &DATA);
    let log = net.refused(net.report(4, &stale, "b"), 25);
    assert!(log.contains("beacon for epoch"), "{log}");

    // Parties: Active, coverage, located, different owners.
    let log = net.refused(net.report(4, &beacon, "i"), 19);
    assert!(log.contains("Onboarded"), "{log}");
    net.refused(net.report(4, &beacon, "e"), 34);
    net.refused(net.report(4, &beacon, "t"), 35);
    net.refused(net.report(4, &net.beacon("t", 1), "b"), 35);
    net.refused(net.report(4, &beacon, "d"), 36);

    // Signatures: the beacon by its device, the report by the witness.
    let mut forged = net.report(4, &beacon, "b");
    forged.beacon_signature =
        client::sign_beacon(net.dev("b").0, CHAIN_ID, net.dev("a").1, epoch, 1, &DATA);
    let log = net.refused(forged, 15);
    assert!(log.contains("beacon signature"), "{log}");
    let mut tampered = net.report(4, &beacon, "b");
    tampered.rssi += 1;
    let log = net.refused(tampered, 15);
    assert!(log.contains("witness signature"), "{log}");

    // Distance: the same hex (0 steps) and far away are both outside 1..=30.
    let log = net.refused(net.report(4, &beacon, "g"), 37);
    assert!(log.contains("0 grid steps"), "{log}");
    net.refused(net.report(4, &beacon, "f"), 37);

    // A device whose heartbeat interval passed is Inactive (heartbeat every 2 epochs).
    for _ in 0..3 {
        net.chain.advance_to_next_epoch();
    }
    // (One block for begin block to record the inactivity, so that the refusal's own block
    // changes nothing.)
    net.chain.advance(1);
    let beacon = net.beacon("a", 1);
    net.refused(net.report(4, &beacon, "b"), 19);
    assert_eq!(net.counts("a", epoch), (0, 0));
    assert_eq!(net.counts("b", epoch), (0, 0));
}
