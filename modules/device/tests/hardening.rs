//! Rules that close abuse paths: one key per maker, no small-order Ed25519 keys, bounded
//! location settings and heartbeat intervals, gas for every device signature checked, and
//! keeper reads that page instead of returning a whole epoch.
#![cfg(feature = "client")]

mod common;

use common::*;
use depin_device::client::DeviceSigner;
use depin_device::error::CODESPACE;
use depin_device::msgs::{ED25519_VERIFY_GAS, MSG_ONBOARD_DEVICE, SECP256K1_VERIFY_GAS};
use depin_proto::depin::device::v1 as pb;

#[test]
fn a_maker_key_belongs_to_one_maker() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let key = chain.acme();
    // The same key under another name: refused, whatever the classes.
    let log = chain.fails(
        0,
        vec![chain.msg_register_maker("acme-eu", &key, &["compute"], 10)],
        CODESPACE,
        40,
    );
    assert!(log.contains("\"acme\""), "{log}");
    // Re-registering acme itself (new quota) with its own key is fine.
    chain.ok(
        0,
        vec![chain.msg_register_maker("acme", &key, &["hotspot"], 5)],
    );
    // A revoked maker's key stays taken (one block for begin block to finish the revocation).
    chain.ok(0, vec![chain.msg_revoke_maker("acme")]);
    chain.block();
    chain.fails(
        0,
        vec![chain.msg_register_maker("acme-2", &key, &["compute"], 10)],
        CODESPACE,
        40,
    );
}

#[test]
fn small_order_device_keys_are_refused() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let good = device_signer(1);
    let mut msg = chain.onboard_msg(1, &maker, "acme", "compute", "S1", &good, None);
    // The identity point: a trivial signature would verify for it on any message.
    let mut identity = vec![0u8; 32];
    identity[0] = 1;
    msg.device_key = Some(pb::PublicKey {
        r#type: pb::KeyType::Ed25519 as i32,
        key: identity,
    });
    let log = chain.fails(1, vec![any(MSG_ONBOARD_DEVICE, msg)], CODESPACE, 13);
    assert!(log.contains("small order"), "{log}");
}

#[test]
fn locations_and_intervals_are_bounded() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "hotspot", "S1", &dev, Some(cell(10, 0)));
    let mut msg = pb::MsgAssertLocation {
        owner: chain.address(1),
        device_id: id.clone(),
        location: Some(location(cell(10, 1))),
    };
    msg.location.as_mut().unwrap().elevation = 20_000;
    let log = chain.fails(
        1,
        vec![any(depin_device::msgs::MSG_ASSERT_LOCATION, msg.clone())],
        CODESPACE,
        22,
    );
    assert!(log.contains("elevation"), "{log}");
    msg.location.as_mut().unwrap().elevation = 10;
    msg.location.as_mut().unwrap().gain = 1_000;
    let log = chain.fails(
        1,
        vec![any(depin_device::msgs::MSG_ASSERT_LOCATION, msg)],
        CODESPACE,
        22,
    );
    assert!(log.contains("gain"), "{log}");

    let mut params = chain.params.clone();
    params.classes[0].heartbeat_interval_epochs = u64::MAX;
    chain.fails(0, vec![chain.update_params_msg(&params)], CODESPACE, 3);
}

/// Gas of a heartbeat of a device with key `device` (onboarded as a compute device).
fn heartbeat_gas(
    chain: &mut Chain,
    maker: &DeviceSigner,
    device: &DeviceSigner,
    serial: &str,
) -> i64 {
    let id = chain.onboard(1, maker, "compute", serial, device, None);
    let epoch = chain.next_epoch();
    let msg = chain.heartbeat_msg(2, device, &id, epoch, 1);
    chain.ok(2, vec![msg]).gas_used
}

#[test]
fn device_signatures_cost_gas() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let ed = heartbeat_gas(&mut chain, &maker, &device_signer(1), "E1");
    let secp = DeviceSigner::secp256k1(&[9; 32]).unwrap();
    let k1 = heartbeat_gas(&mut chain, &maker, &secp, "K1");
    // The same work but for the signature check's price, and for the stored records, whose
    // key type names differ in length ("KEY_TYPE_SECP256K1" vs "KEY_TYPE_ED25519"): 238 gas
    // of reads and writes, measured with the signature charge taken out.
    let records = 238;
    let expected = (SECP256K1_VERIFY_GAS - ED25519_VERIFY_GAS) as i64 + records;
    assert_eq!(
        k1 - ed,
        expected,
        "secp256k1 heartbeat {k1} gas, ed25519 {ed}"
    );
}

#[test]
fn keeper_reads_page() {
    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    let mut ids = Vec::new();
    for n in 0..5u64 {
        let dev = device_signer(10 + n);
        let id = chain.onboard(1, &maker, "compute", &format!("P{n}"), &dev, None);
        ids.push((id, dev));
    }
    let epoch = chain.next_epoch();
    let beats: Vec<_> = ids
        .iter()
        .map(|(id, dev)| chain.heartbeat_msg(2, dev, id, epoch, 1))
        .collect();
    chain.ok(2, beats);
    let mut sorted: Vec<String> = ids.iter().map(|(id, _)| id.clone()).collect();
    sorted.sort();
    let keeper = chain.keeper.clone();
    let owner = chain.address(1);
    let (first, rest, devs) = chain.with_ctx(|ctx| {
        let first = keeper.contributions(ctx, epoch, None, 2).unwrap();
        let rest = keeper
            .contributions(ctx, epoch, Some(&first[1].device_id), 10)
            .unwrap();
        let devs = keeper
            .devices_of_owner(ctx, &owner, Some(&sorted[0]), 3)
            .unwrap();
        (first, rest, devs)
    });
    let paged: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|c| c.device_id.clone())
        .collect();
    assert_eq!(paged, sorted);
    assert_eq!(
        devs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        sorted[1..4].to_vec()
    );
}
