//! Epoch numbering (the anchor, changes of epoch_blocks, restarts from an export), pruning on
//! its own budget, and genesis export → import while pruning, after params changed, and
//! refusals of genesis state that breaks the invariants.
#![cfg(feature = "client")]

mod common;

use common::*;
use cosmwasm_std::Order;
use depin_device::client::{self, Beacon, DeviceSigner};
use depin_device::error::CODESPACE;
use depin_device::msgs::MSG_ONBOARD_DEVICE;
use depin_device::state::{CONTRIBUTIONS, HEX_DENSITIES, WITNESS_RECORDS};
use depin_device::witness::MSG_SUBMIT_WITNESS;
use depin_device::Params;

/// (contributions, hex densities, witness records) in the store, all epochs.
fn records(chain: &Chain) -> (usize, usize, usize) {
    chain.with_ctx(|ctx| {
        let store = ctx.storage(depin_device::state::PREFIX);
        (
            CONTRIBUTIONS
                .keys_raw(&store, None, None, Order::Ascending)
                .count(),
            HEX_DENSITIES
                .keys_raw(&store, None, None, Order::Ascending)
                .count(),
            WITNESS_RECORDS
                .keys_raw(&store, None, None, Order::Ascending)
                .count(),
        )
    })
}

/// Hotspots a [1], b [2], c [3] a step apart, Active, in epoch `e` (returned): b and c
/// witnessed a's beacon 1 and 2, a and c witnessed b's beacon 1 (6 witness records).
fn witnessed(params: Params) -> (Chain, Vec<(DeviceSigner, String)>, u64) {
    let mut chain = Chain::new(&[100 * M; 4], params);
    let maker = chain.acme();
    let mut devs = Vec::new();
    for (i, owner) in [1usize, 2, 3].into_iter().enumerate() {
        let signer = device_signer(50 + i as u64);
        let id = chain.onboard(
            owner,
            &maker,
            "hotspot",
            &format!("H{i}"),
            &signer,
            Some(cell(10, 3 * i as u32)),
        );
        devs.push((signer, id));
    }
    chain.advance_to_next_epoch();
    let e = chain.next_epoch();
    let beats = devs
        .iter()
        .map(|(s, id)| chain.heartbeat_msg(0, s, id, e, 1))
        .collect();
    chain.ok(0, beats);
    let beacon =
        |i: usize, nonce: u64| Beacon::sign(&devs[i].0, CHAIN_ID, &devs[i].1, e, nonce, &[1; 32]);
    let report = |chain: &Chain, b: &Beacon, w: usize| {
        any(
            MSG_SUBMIT_WITNESS,
            client::submit_witness(
                CHAIN_ID,
                &chain.address(0),
                b,
                &devs[w].0,
                &devs[w].1,
                -870,
                65,
            ),
        )
    };
    let msgs = vec![
        report(&chain, &beacon(0, 1), 1),
        report(&chain, &beacon(0, 1), 2),
        report(&chain, &beacon(0, 2), 1),
        report(&chain, &beacon(0, 2), 2),
        report(&chain, &beacon(1, 1), 0),
        report(&chain, &beacon(1, 1), 2),
    ];
    chain.ok(0, msgs);
    assert_eq!(chain.next_epoch(), e, "all in one epoch");
    (chain, devs, e)
}

/// Blocks until the last committed block is the last of epoch `epoch`.
fn advance_to_end_of(chain: &mut Chain, epoch: u64) {
    while chain.epoch() < epoch {
        chain.block();
    }
    while chain.next_epoch() == epoch {
        chain.block();
    }
}

fn refuse(state: &serde_json::Value, needle: &str) {
    let (app, _) = build_app(None);
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        std::sync::Arc::new(app),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    let err = driver.init_chain(CHAIN_ID, state).unwrap_err();
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

#[test]
fn an_export_while_pruning_imports() {
    let mut params = test_params();
    params.max_prunes_per_block = 1;
    let (mut chain, _, e) = witnessed(params.clone());
    let (c, h, w) = records(&chain);
    assert_eq!((c, w), (3, 6));
    assert!(h >= 2, "{h} hex densities");
    // Pruning of epoch e starts with epoch e + 4 (3 retained), one record per block.
    advance_to_end_of(&mut chain, e + 3);
    chain.advance(2);
    let (c2, h2, w2) = records(&chain);
    assert_eq!(c + h + w - (c2 + h2 + w2), 2, "two records pruned");
    let exported = chain.export();
    let device = &exported["device"];
    for kind in ["contributions", "hex_densities", "witness_records"] {
        assert!(
            device[kind].as_array().unwrap().is_empty(),
            "{kind} of epochs no longer retained are not exported"
        );
    }
    let mut imported = Chain::restarted(test_keys(4), &exported, params, true, chain.height() + 1);
    assert_eq!(imported.epoch(), e + 4);
    imported.advance(3);
    // The original finishes pruning on its own.
    chain.advance(12);
    assert_eq!(records(&chain), (0, 0, 0));
}

#[test]
fn pruning_has_its_own_budget_shared_fairly() {
    let mut params = test_params();
    params.max_prunes_per_block = 3;
    params.max_transitions_per_block = 1;
    for c in &mut params.classes {
        c.heartbeat_interval_epochs = 50;
    }
    let (mut chain, _, e) = witnessed(params);
    // A revoked maker with devices: suspension takes the one transition of every block.
    let beta = maker_signer(2);
    chain.ok(
        0,
        vec![chain.msg_register_maker("beta", &beta, &["compute"], 10)],
    );
    for i in 0..6u64 {
        let dev = device_signer(80 + i);
        let msg = chain.onboard_msg(3, &beta, "beta", "compute", &format!("B{i}"), &dev, None);
        chain.ok(3, vec![any(MSG_ONBOARD_DEVICE, msg)]);
    }
    advance_to_end_of(&mut chain, e + 3);
    let before = records(&chain);
    assert_eq!(before.0, 3);
    // Revoked in the first block of e + 4, whose begin block already prunes one of each kind:
    // none waits for another.
    chain.ok(0, vec![chain.msg_revoke_maker("beta")]);
    assert_eq!(chain.epoch(), e + 4);
    let after = records(&chain);
    assert_eq!(
        (before.0 - after.0, before.1 - after.1, before.2 - after.2),
        (1, 1, 1)
    );
    // The next block's one transition suspends a device, and pruning goes on all the same.
    chain.block();
    assert_eq!(chain.events_of("device_status_changed").len(), 1);
    let before = after;
    let after = records(&chain);
    assert_eq!(
        (before.0 - after.0, before.1 - after.1, before.2 - after.2),
        (1, 1, 1)
    );
    let mut last = after;
    loop {
        chain.block();
        let now = records(&chain);
        let pruned = (last.0 + last.1 + last.2) - (now.0 + now.1 + now.2);
        assert!(pruned <= 3, "{pruned} records pruned in a block");
        if now == (0, 0, 0) {
            break;
        }
        assert_eq!(pruned, 3);
        last = now;
    }
}

#[test]
fn a_budget_below_three_reaches_every_kind() {
    let mut params = test_params();
    params.max_prunes_per_block = 1;
    let (mut chain, _, e) = witnessed(params);
    advance_to_end_of(&mut chain, e + 3);
    let start = records(&chain);
    chain.advance(3);
    let now = records(&chain);
    assert_eq!(
        (start.0 - now.0, start.1 - now.1, start.2 - now.2),
        (1, 1, 1),
        "each kind in turn"
    );
}

#[test]
fn epochs_never_go_back_or_skip_when_epoch_blocks_changes() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "compute", "S", &dev, None);
    while chain.epoch() < 2 {
        chain.block();
    }
    chain.block();
    // Mid-epoch: epochs of 5 become epochs of 10 (the old formula would go back a number).
    let e = chain.epoch();
    let mut longer = chain.params.clone();
    longer.epoch_blocks = 10;
    chain.ok(0, vec![chain.update_params_msg(&longer)]);
    let changed_at = chain.height() as i64;
    let info = chain.epoch_info();
    assert_eq!(info.epoch, e, "the changing block stays in its epoch");
    assert_eq!(info.next_block_epoch, e + 1, "which ends with it");
    assert_eq!(info.end_height, changed_at);
    chain.block();
    let info = chain.epoch_info();
    assert_eq!(
        (info.epoch, info.start_height, info.end_height),
        (e + 1, changed_at + 1, changed_at + 10)
    );
    // A heartbeat for the epoch the old numbering gave is refused; the new one counts.
    let old_numbering = chain.height() / 5;
    assert_ne!(old_numbering, chain.next_epoch());
    chain.refused(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, chain.height() / 10, 1)],
        CODESPACE,
        25,
    );
    let next = chain.next_epoch();
    chain.ok(2, vec![chain.heartbeat_msg(2, &dev, &id, next, 1)]);
    // And down to 2: still one step at a time.
    let mut shorter = longer.clone();
    shorter.epoch_blocks = 2;
    chain.ok(0, vec![chain.update_params_msg(&shorter)]);
    let mut seen = vec![chain.epoch()];
    for _ in 0..12 {
        chain.block();
        seen.push(chain.epoch());
    }
    for pair in seen.windows(2) {
        assert!(
            pair[1] == pair[0] || pair[1] == pair[0] + 1,
            "epochs {seen:?}"
        );
    }
    assert_eq!(seen[1], seen[0] + 1);
    assert_eq!(chain.epoch(), seen[0] + 6);

    // A restart from an export continues the same epochs.
    let exported = chain.export();
    let imported = Chain::restarted(test_keys(3), &exported, shorter, true, chain.height() + 1);
    chain.block();
    assert_eq!(imported.epoch_info(), chain.epoch_info());
    assert_eq!(imported.device(&id), chain.device(&id));
}

#[test]
fn the_epoch_query_says_which_epoch_to_sign() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "compute", "S", &dev, None);
    // The last committed block is the last of its epoch.
    let target = chain.epoch() + 1;
    advance_to_end_of(&mut chain, target);
    let info = chain.epoch_info();
    assert_eq!(info.end_height, chain.height() as i64);
    assert_eq!(info.next_block_epoch, info.epoch + 1);
    chain.refused(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, info.epoch, 1)],
        CODESPACE,
        25,
    );
    let target = chain.epoch() + 1;
    advance_to_end_of(&mut chain, target);
    let info = chain.epoch_info();
    chain.ok(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, info.next_block_epoch, 1)],
    );
    // Mid-epoch both agree.
    let info = chain.epoch_info();
    assert_eq!(info.epoch, info.next_block_epoch);
}

#[test]
fn lowered_size_limits_do_not_make_an_export_unimportable() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let id = chain.onboard(1, &maker, "compute", "SERIAL-42", &device_signer(1), None);
    chain.ok(1, vec![chain.metadata_msg(1, &id, "a longer description")]);
    let mut params = chain.params.clone();
    params.max_serial_bytes = 2;
    params.max_metadata_bytes = 4;
    chain.ok(0, vec![chain.update_params_msg(&params)]);
    // New messages obey the limits.
    chain.fails(
        1,
        vec![chain.metadata_msg(1, &id, "too long")],
        CODESPACE,
        21,
    );
    let exported = chain.export();
    let imported = Chain::restarted(test_keys(3), &exported, params, true, chain.height() + 1);
    assert_eq!(imported.device(&id).serial, "SERIAL-42");
    assert_eq!(imported.device(&id).metadata, "a longer description");
    // Still structural: an empty serial is refused.
    let mut broken = exported;
    broken["device"]["devices"][0]["serial"] = "".into();
    refuse(&broken, "serial is empty");
}

#[test]
fn genesis_that_breaks_the_invariants_is_refused() {
    let (chain, devs, e) = witnessed(test_params());
    let exported = chain.export();
    // As exported it is accepted.
    Chain::restarted(
        test_keys(4),
        &exported,
        test_params(),
        true,
        chain.height() + 1,
    );
    let device = |g: &mut serde_json::Value, id: &str| -> usize {
        g["device"]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .position(|d| d["id"] == id)
            .unwrap()
    };
    let contribution = |g: &serde_json::Value, id: &str| -> usize {
        g["device"]["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["device_id"] == id)
            .unwrap()
    };

    // Witness counts that the records do not give.
    let mut g = exported.clone();
    let i = contribution(&g, &devs[2].1);
    g["device"]["contributions"][i]["witnesses"] = 5.into();
    refuse(&g, "witness records give");
    // A witness record with no contribution in its epoch.
    let mut g = exported.clone();
    g["device"]["witness_records"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "epoch": (e + 1).to_string(),
            "beacon_device_id": devs[0].1,
            "beacon_nonce": "7",
            "witness_device_id": devs[1].1,
        }));
    refuse(&g, "without a contribution");
    // A device witnessing its own beacon.
    let mut g = exported.clone();
    g["device"]["witness_records"][0]["witness_device_id"] =
        g["device"]["witness_records"][0]["beacon_device_id"].clone();
    refuse(&g, "its own beacon");
    // An id that is not its (never rotated) key's.
    let mut g = exported.clone();
    let i = device(&mut g, &devs[0].1);
    g["device"]["devices"][i]["key"] = serde_json::to_value(depin_device::PublicKey::from_proto(
        &device_signer(99).public_key(),
    ))
    .unwrap();
    refuse(&g, "the id of its key");
    // A location that is not the last of the history.
    let mut g = exported.clone();
    let i = device(&mut g, &devs[1].1);
    g["device"]["devices"][i]["location"]["h3_cell"] = cell(10, 40).to_string().into();
    refuse(&g, "last entry of its location history");
    // Asserts the history does not hold.
    let mut g = exported.clone();
    let i = device(&mut g, &devs[1].1);
    g["device"]["devices"][i]["location_asserts"] = 3.into();
    refuse(&g, "location asserts");
    // A history without a location.
    let mut g = exported.clone();
    let i = device(&mut g, &devs[1].1);
    g["device"]["devices"][i]
        .as_object_mut()
        .unwrap()
        .remove("location");
    refuse(&g, "has no location");
    // The error is InvalidGenesis (code 2).
    let (app, _) = build_app(None);
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        std::sync::Arc::new(app),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    let mut g = exported;
    g["device"]["witness_records"][0]["witness_device_id"] =
        g["device"]["witness_records"][0]["beacon_device_id"].clone();
    let err = driver.init_chain(CHAIN_ID, &g).unwrap_err();
    let expected = depin_device::DeviceError::InvalidGenesis(String::new()).to_string();
    let prefix = expected.trim_end_matches(|c: char| c == ':' || c.is_whitespace());
    assert!(err.contains(prefix), "{err}");
}
