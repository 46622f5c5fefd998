//! Makers, onboarding, locations, transfers, key rotation, heartbeats, the lifecycle across
//! epochs, queries and genesis, through the in-process driver with the registry's invariants
//! checked after every block. Every refused message is checked for its code and for leaving
//! the state as it was.
#![cfg(feature = "client")]

mod common;

use common::*;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use depin_device::error::CODESPACE;
use depin_device::msgs::*;
use depin_proto::depin::device::v1 as pb;

const SDK: &str = "sdk";

fn chain() -> Chain {
    Chain::new(&[100 * M, 100 * M, 100 * M, 0], test_params())
}

#[test]
fn onboarding_burns_the_fee_and_indexes_the_device() {
    let mut chain = chain();
    let maker = chain.acme();
    assert_eq!(chain.events_of("maker_registered").len(), 1);
    let dev = device_signer(1);
    let c = cell(10, 0);
    let before = chain.balance(1);
    let id = chain.onboard(1, &maker, "hotspot", "SN-1", &dev, Some(c));
    assert_eq!(
        chain.balance(1),
        before - M,
        "the onboarding fee of hotspot is 1 M"
    );
    let e = &chain.events_of("device_onboarded")[0];
    assert_eq!(e.get("device_id"), Some(id.as_str()));
    assert_eq!(e.get("owner"), Some(chain.address(1).as_str()));
    assert_eq!(e.get("maker"), Some("acme"));
    assert_eq!(e.get("class"), Some("hotspot"));
    assert_eq!(e.get("module"), Some("device"));

    let d = chain.device(&id);
    assert_eq!(d.owner, chain.address(1));
    assert_eq!(d.status, pb::DeviceStatus::Onboarded as i32);
    assert_eq!(d.location.unwrap().h3_cell, c);
    assert_eq!(d.location_asserts, 0);
    assert_eq!(d.onboarded_height as u64, chain.height());
    assert_eq!(chain.maker("acme").devices_onboarded, 1);

    // Every filter of Devices finds it; a parent cell too.
    let found = |req: pb::QueryDevicesRequest| {
        chain
            .devices(req)
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>()
    };
    let one = vec![id.clone()];
    assert_eq!(
        found(pb::QueryDevicesRequest {
            owner: chain.address(1),
            ..Default::default()
        }),
        one
    );
    assert_eq!(
        found(pb::QueryDevicesRequest {
            maker: "acme".into(),
            ..Default::default()
        }),
        one
    );
    assert_eq!(
        found(pb::QueryDevicesRequest {
            class: "hotspot".into(),
            ..Default::default()
        }),
        one
    );
    assert_eq!(
        found(pb::QueryDevicesRequest {
            status: pb::DeviceStatus::Onboarded as i32,
            ..Default::default()
        }),
        one
    );
    assert_eq!(
        found(pb::QueryDevicesRequest {
            h3_cell: c,
            ..Default::default()
        }),
        one
    );
    let parent = depin_device::h3::parent_at(c, 6).unwrap();
    assert_eq!(
        found(pb::QueryDevicesRequest {
            h3_cell: parent,
            ..Default::default()
        }),
        one
    );
    assert!(found(pb::QueryDevicesRequest {
        h3_cell: cell(10, 500),
        ..Default::default()
    })
    .is_empty());
    // A finer cell inside the device's cell (its center child, where the index puts it)
    // does not contain the device.
    let center = u64::from(
        h3o::CellIndex::try_from(c)
            .unwrap()
            .center_child(h3o::Resolution::Twelve)
            .unwrap(),
    );
    assert!(found(pb::QueryDevicesRequest {
        h3_cell: center,
        ..Default::default()
    })
    .is_empty());
    assert!(found(pb::QueryDevicesRequest {
        owner: chain.address(2),
        ..Default::default()
    })
    .is_empty());
    // More than one filter is refused.
    assert_eq!(
        chain.query_err(
            &format!("{Q}Devices"),
            pb::QueryDevicesRequest {
                owner: chain.address(1),
                class: "hotspot".into(),
                ..Default::default()
            }
        ),
        (SDK.to_string(), 18)
    );
    let history: pb::QueryLocationHistoryResponse = chain.query(
        &format!("{Q}LocationHistory"),
        pb::QueryLocationHistoryRequest {
            device_id: id.clone(),
            pagination: None,
        },
    );
    assert_eq!(history.locations.len(), 1);
    assert_eq!(chain.keeper_devices_of(1), one);
}

impl Chain {
    fn keeper_devices_of(&self, i: usize) -> Vec<String> {
        self.devices(pb::QueryDevicesRequest {
            owner: self.address(i),
            ..Default::default()
        })
        .into_iter()
        .map(|d| d.id)
        .collect()
    }
}

#[test]
fn maker_and_params_errors() {
    let mut chain = chain();
    let key = maker_signer(1);
    // Only the authority.
    let mut msg = pb::MsgRegisterMaker {
        authority: chain.address(1),
        name: "acme".into(),
        key: Some(key.public_key()),
        allowed_classes: vec!["hotspot".into()],
        device_quota: 1,
    };
    chain.fails(1, vec![any(MSG_REGISTER_MAKER, msg.clone())], SDK, 4);
    msg.authority = chain.authority();
    msg.name = "Acme!".into();
    chain.fails(0, vec![any(MSG_REGISTER_MAKER, msg.clone())], CODESPACE, 5);
    msg.name = "acme".into();
    msg.allowed_classes = vec!["drone".into()];
    chain.fails(0, vec![any(MSG_REGISTER_MAKER, msg.clone())], CODESPACE, 8);
    msg.allowed_classes = vec!["hotspot".into()];
    msg.key = Some(pb::PublicKey {
        r#type: pb::KeyType::Secp256k1 as i32,
        key: vec![2; 5],
    });
    chain.fails(0, vec![any(MSG_REGISTER_MAKER, msg.clone())], CODESPACE, 13);
    // Revoking an unknown maker; revoking twice; re-registering a revoked maker.
    chain.fails(0, vec![chain.msg_revoke_maker("acme")], CODESPACE, 6);
    chain.acme();
    chain.fails(
        1,
        vec![any(
            MSG_REVOKE_MAKER,
            pb::MsgRevokeMaker {
                authority: chain.address(1),
                name: "acme".into(),
            },
        )],
        SDK,
        4,
    );
    chain.ok(0, vec![chain.msg_revoke_maker("acme")]);
    assert_eq!(chain.events_of("maker_revoked").len(), 1);
    assert!(chain.maker("acme").revoked);
    // Begin block of the next block finishes the (empty) suspension.
    chain.block();
    chain.fails(0, vec![chain.msg_revoke_maker("acme")], CODESPACE, 30);
    chain.fails(
        0,
        vec![chain.msg_register_maker("acme", &key, &["hotspot"], 5)],
        CODESPACE,
        7,
    );

    // Params: missing, invalid, unauthorized, removing a class in use.
    chain.fails(
        0,
        vec![any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: chain.authority(),
                params: None,
            },
        )],
        CODESPACE,
        4,
    );
    let mut bad = test_params();
    bad.epoch_blocks = 0;
    chain.fails(0, vec![chain.update_params_msg(&bad)], CODESPACE, 3);
    chain.fails(
        1,
        vec![any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: chain.address(1),
                params: Some(test_params().to_proto()),
            },
        )],
        SDK,
        4,
    );
    let maker = maker_signer(2);
    chain.ok(
        0,
        vec![chain.msg_register_maker("beta", &maker, &["compute"], 5)],
    );
    let msg = chain.onboard_msg(1, &maker, "beta", "compute", "B-1", &device_signer(9), None);
    chain.ok(1, vec![any(MSG_ONBOARD_DEVICE, msg)]);
    let mut fewer = test_params();
    fewer.classes.retain(|c| c.name != "compute");
    chain.fails(0, vec![chain.update_params_msg(&fewer)], CODESPACE, 31);
    let mut changed = test_params();
    changed.max_metadata_bytes = 10;
    chain.ok(0, vec![chain.update_params_msg(&changed)]);
    assert_eq!(chain.events_of("params_updated").len(), 1);
    let p: pb::QueryParamsResponse = chain.query(&format!("{Q}Params"), pb::QueryParamsRequest {});
    assert_eq!(p.params.unwrap().max_metadata_bytes, 10);
}

#[test]
fn onboarding_errors() {
    let mut chain = chain();
    let maker = chain.acme();
    let dev = device_signer(1);
    let msg = |chain: &Chain, maker_name: &str, class: &str, serial: &str| {
        chain.onboard_msg(
            1,
            &maker,
            maker_name,
            class,
            serial,
            &dev,
            Some(cell(10, 0)),
        )
    };
    let send = |m: pb::MsgOnboardDevice| any(MSG_ONBOARD_DEVICE, m);
    // Unknown maker, bad names, unknown class, class the maker may not attest.
    chain.fails(
        1,
        vec![send(msg(&chain, "nobody", "hotspot", "S"))],
        CODESPACE,
        6,
    );
    chain.fails(
        1,
        vec![send(msg(&chain, "ACME", "hotspot", "S"))],
        CODESPACE,
        5,
    );
    chain.fails(
        1,
        vec![send(msg(&chain, "acme", "drone", "S"))],
        CODESPACE,
        8,
    );
    chain.fails(
        1,
        vec![send(msg(&chain, "acme", "sensor", "S"))],
        CODESPACE,
        9,
    );
    // Serial empty or too long.
    chain.fails(
        1,
        vec![send(msg(&chain, "acme", "hotspot", ""))],
        CODESPACE,
        11,
    );
    chain.fails(
        1,
        vec![send(msg(&chain, "acme", "hotspot", &"x".repeat(65)))],
        CODESPACE,
        11,
    );
    // A malformed device key.
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.device_key = Some(pb::PublicKey {
        r#type: pb::KeyType::Ed25519 as i32,
        key: vec![1; 31],
    });
    chain.fails(1, vec![send(m)], CODESPACE, 13);
    // Attestation by another key; possession for another owner.
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.attestation = depin_device::client::sign_attestation(
        &maker_signer(5),
        CHAIN_ID,
        &dev.public_key(),
        "hotspot",
        "S",
    );
    chain.fails(1, vec![send(m)], CODESPACE, 15);
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.nonce = 2;
    chain.fails(1, vec![send(m)], CODESPACE, 15);
    // Metadata too long; a location at a resolution outside 8..=12; not enough funds.
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.metadata = "m".repeat(1025);
    chain.fails(1, vec![send(m)], CODESPACE, 21);
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.location = Some(location(cell(5, 0)));
    chain.fails(1, vec![send(m)], CODESPACE, 22);
    let mut m = msg(&chain, "acme", "hotspot", "S");
    m.location = Some(location(12345));
    chain.fails(1, vec![send(m)], CODESPACE, 22);
    let mut poor = chain.onboard_msg(3, &maker, "acme", "hotspot", "P", &device_signer(3), None);
    poor.owner = chain.address(3);
    // Account 3 has no funds (transaction fees are 0 here).
    chain.fails(3, vec![send(poor)], CODESPACE, 29);

    // Onboarded once; the same serial or the same key again is refused.
    let id = chain.onboard(1, &maker, "hotspot", "S", &dev, None);
    chain.fails(
        1,
        vec![send(chain.onboard_msg(
            1,
            &maker,
            "acme",
            "hotspot",
            "S",
            &device_signer(2),
            None,
        ))],
        CODESPACE,
        12,
    );
    chain.fails(
        1,
        vec![send(
            chain.onboard_msg(1, &maker, "acme", "hotspot", "S2", &dev, None),
        )],
        CODESPACE,
        14,
    );
    assert_eq!(chain.device(&id).serial, "S");

    // Quota: a maker with quota 1.
    let small = maker_signer(3);
    chain.ok(
        0,
        vec![chain.msg_register_maker("small", &small, &["compute"], 1)],
    );
    chain.ok(
        1,
        vec![send(chain.onboard_msg(
            1,
            &small,
            "small",
            "compute",
            "A",
            &device_signer(10),
            None,
        ))],
    );
    chain.fails(
        1,
        vec![send(chain.onboard_msg(
            1,
            &small,
            "small",
            "compute",
            "B",
            &device_signer(11),
            None,
        ))],
        CODESPACE,
        10,
    );
    // A revoked maker attests nothing more.
    chain.ok(0, vec![chain.msg_revoke_maker("small")]);
    // Its device is suspended by the next begin block.
    chain.block();
    chain.fails(
        1,
        vec![send(chain.onboard_msg(
            1,
            &small,
            "small",
            "compute",
            "C",
            &device_signer(12),
            None,
        ))],
        CODESPACE,
        7,
    );
}

#[test]
fn locations_transfers_metadata_and_rotation() {
    let mut chain = chain();
    let maker = chain.acme();
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "hotspot", "S", &dev, None);

    // Location: the first assert is free, the second costs 100 k.
    let before = chain.balance(1);
    chain.ok(1, vec![chain.assert_location_msg(1, &id, cell(10, 1))]);
    assert_eq!(chain.balance(1), before);
    assert_eq!(chain.events_of("location_asserted")[0].get("fee"), Some(""));
    chain.ok(1, vec![chain.assert_location_msg(1, &id, cell(11, 2))]);
    assert_eq!(chain.balance(1), before - 100_000);
    assert_eq!(
        chain.events_of("location_asserted")[0].get("fee"),
        Some("100000udepin")
    );
    let d = chain.device(&id);
    assert_eq!(
        (d.location_asserts, d.location.unwrap().h3_cell),
        (2, cell(11, 2))
    );
    let history: pb::QueryLocationHistoryResponse = chain.query(
        &format!("{Q}LocationHistory"),
        pb::QueryLocationHistoryRequest {
            device_id: id.clone(),
            pagination: None,
        },
    );
    assert_eq!(
        history
            .locations
            .iter()
            .map(|l| l.h3_cell)
            .collect::<Vec<_>>(),
        [cell(10, 1), cell(11, 2)]
    );
    // The location index moved with it.
    assert!(chain
        .devices(pb::QueryDevicesRequest {
            h3_cell: cell(10, 1),
            ..Default::default()
        })
        .is_empty());
    assert_eq!(
        chain
            .devices(pb::QueryDevicesRequest {
                h3_cell: cell(11, 2),
                ..Default::default()
            })
            .len(),
        1
    );

    // Location errors.
    chain.fails(
        2,
        vec![chain.assert_location_msg(2, &id, cell(10, 1))],
        CODESPACE,
        18,
    );
    let missing = device_signer(99).id(PREFIX);
    chain.fails(
        1,
        vec![chain.assert_location_msg(1, &missing, cell(10, 1))],
        CODESPACE,
        17,
    );
    chain.fails(
        1,
        vec![chain.assert_location_msg(1, "depindev1nonsense", cell(10, 1))],
        CODESPACE,
        16,
    );
    chain.fails(
        1,
        vec![chain.assert_location_msg(1, &id, cell(13, 1))],
        CODESPACE,
        22,
    );
    chain.fails(
        1,
        vec![any(
            MSG_ASSERT_LOCATION,
            pb::MsgAssertLocation {
                owner: chain.address(1),
                device_id: id.clone(),
                location: None,
            },
        )],
        CODESPACE,
        23,
    );

    // Metadata.
    chain.ok(1, vec![chain.metadata_msg(1, &id, "{\"v\":1}")]);
    assert_eq!(chain.device(&id).metadata, "{\"v\":1}");
    assert_eq!(chain.events_of("device_metadata_updated").len(), 1);
    chain.fails(
        1,
        vec![chain.metadata_msg(1, &id, &"m".repeat(1025))],
        CODESPACE,
        21,
    );
    chain.fails(2, vec![chain.metadata_msg(2, &id, "x")], CODESPACE, 18);

    // Transfer errors, then a transfer.
    chain.fails(
        1,
        vec![chain.transfer_msg(1, &id, &chain.address(1))],
        CODESPACE,
        20,
    );
    chain.fails(
        1,
        vec![chain.transfer_msg(1, &id, "cosmos1notanaddress")],
        SDK,
        7,
    );
    chain.fails(
        2,
        vec![chain.transfer_msg(2, &id, &chain.address(3))],
        CODESPACE,
        18,
    );
    chain.ok(1, vec![chain.transfer_msg(1, &id, &chain.address(2))]);
    let e = &chain.events_of("device_transferred")[0];
    assert_eq!(
        (e.get("from"), e.get("to")),
        (
            Some(chain.address(1).as_str()),
            Some(chain.address(2).as_str())
        )
    );
    assert_eq!(chain.device(&id).owner, chain.address(2));
    assert!(chain.keeper_devices_of(1).is_empty());
    assert_eq!(chain.keeper_devices_of(2), vec![id.clone()]);

    // Rotation: signatures of both keys over rotation 0.
    let new = device_signer(2);
    chain.fails(
        2,
        vec![chain.rotate_msg(2, &id, &dev, &new, 1)],
        CODESPACE,
        15,
    );
    let mut wrong_new = chain.rotate_msg(2, &id, &dev, &new, 0);
    let mut m: pb::MsgRotateDeviceKey = prost::Message::decode(wrong_new.value.as_slice()).unwrap();
    m.new_key_signature = m.old_key_signature.clone();
    wrong_new.value = prost::Message::encode_to_vec(&m);
    chain.fails(2, vec![wrong_new], CODESPACE, 15);
    chain.fails(
        2,
        vec![chain.rotate_msg(2, &id, &dev, &dev, 0)],
        CODESPACE,
        14,
    );
    chain.fails(
        1,
        vec![chain.rotate_msg(1, &id, &dev, &new, 0)],
        CODESPACE,
        18,
    );
    let mut bad_key = chain.rotate_msg(2, &id, &dev, &new, 0);
    let mut m: pb::MsgRotateDeviceKey = prost::Message::decode(bad_key.value.as_slice()).unwrap();
    m.new_key = Some(pb::PublicKey {
        r#type: 7,
        key: vec![1; 32],
    });
    bad_key.value = prost::Message::encode_to_vec(&m);
    chain.fails(2, vec![bad_key], CODESPACE, 13);
    chain.ok(2, vec![chain.rotate_msg(2, &id, &dev, &new, 0)]);
    let d = chain.device(&id);
    assert_eq!((d.id.clone(), d.key_rotations), (id.clone(), 1));
    assert_eq!(d.key.unwrap(), new.public_key());
    assert_eq!(chain.events_of("device_key_rotated").len(), 1);
    // The old key stays reserved: neither a new device nor a rotation back may use it.
    chain.fails(
        1,
        vec![any(
            MSG_ONBOARD_DEVICE,
            chain.onboard_msg(1, &maker, "acme", "hotspot", "S9", &dev, None),
        )],
        CODESPACE,
        14,
    );
    chain.fails(
        2,
        vec![chain.rotate_msg(2, &id, &new, &dev, 1)],
        CODESPACE,
        14,
    );
    // A key another device holds.
    let other = device_signer(3);
    chain.onboard(1, &maker, "compute", "S3", &other, None);
    chain.fails(
        2,
        vec![chain.rotate_msg(2, &id, &new, &other, 1)],
        CODESPACE,
        14,
    );
    // Heartbeats now verify against the new key only.
    let e = chain.next_epoch();
    chain.fails(
        0,
        vec![chain.heartbeat_msg(0, &dev, &id, e, 1)],
        CODESPACE,
        15,
    );
    let e = chain.next_epoch();
    chain.ok(0, vec![chain.heartbeat_msg(0, &new, &id, e, 1)]);
}

#[test]
fn heartbeat_errors_and_lifecycle() {
    let mut chain = chain();
    let maker = chain.acme();
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "hotspot", "S", &dev, None);
    let e = chain.next_epoch();
    // A hotspot needs a location.
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, e, 1)],
        CODESPACE,
        24,
    );
    chain.ok(1, vec![chain.assert_location_msg(1, &id, cell(10, 0))]);
    let e = chain.next_epoch();
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, e + 1, 1)],
        CODESPACE,
        25,
    );
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &device_signer(5), &id, e, 1)],
        CODESPACE,
        15,
    );
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &device_signer(5).id(PREFIX), e, 1)],
        CODESPACE,
        17,
    );
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, e, 0)],
        CODESPACE,
        26,
    );
    let mut short = pb::MsgHeartbeat {
        submitter: chain.address(2),
        device_id: id.clone(),
        epoch: e,
        counter: 1,
        payload_hash: vec![1; 31],
        signature: vec![0; 64],
    };
    chain.fails(2, vec![any(MSG_HEARTBEAT, short.clone())], CODESPACE, 27);
    short.payload_hash = vec![];
    chain.fails(2, vec![any(MSG_HEARTBEAT, short)], CODESPACE, 27);

    // Onboarded → Active, anyone may submit it.
    chain.advance_to_next_epoch();
    let e = chain.next_epoch();
    chain.ok(2, vec![chain.heartbeat_msg(2, &dev, &id, e, 5)]);
    assert_eq!(chain.status(&id), pb::DeviceStatus::Active);
    let sc = &chain.events_of("device_status_changed")[0];
    assert_eq!(
        (sc.get("from"), sc.get("to"), sc.get("reason")),
        (Some("Onboarded"), Some("Active"), Some("heartbeat"))
    );
    let hb = &chain.events_of("heartbeat")[0];
    assert_eq!(hb.get("counter"), Some("5"));
    assert_eq!(hb.get("submitter"), Some(chain.address(2).as_str()));
    let d = chain.device(&id);
    assert_eq!(
        (d.last_heartbeat_epoch, d.heartbeat_counter, d.heartbeats),
        (e, 5, 1)
    );
    // A second one in the same epoch is refused with its own code, even with a higher counter.
    if chain.next_epoch() == e {
        chain.fails(
            2,
            vec![chain.heartbeat_msg(2, &dev, &id, e, 6)],
            CODESPACE,
            28,
        );
    }
    // The contribution and the density of its hex.
    let c = chain.keeper_contribution(e, &id);
    assert_eq!((c.heartbeats, c.owner.clone()), (1, chain.address(1)));
    let hex = depin_device::h3::parent_at(cell(10, 0), 8).unwrap();
    assert_eq!(c.density_hex, hex);
    let densities: pb::QueryHexDensitiesResponse = chain.query(
        &format!("{Q}HexDensities"),
        pb::QueryHexDensitiesRequest {
            epoch: e,
            pagination: None,
        },
    );
    assert_eq!(
        densities.densities,
        [pb::HexDensity {
            epoch: e,
            hex,
            devices: 1
        }]
    );

    // Interval 2: Active through epochs e+1 and e+2, Inactive from e+3.
    while chain.next_epoch() < e + 3 {
        chain.block();
        assert_eq!(chain.status(&id), pb::DeviceStatus::Active);
    }
    chain.block();
    assert_eq!(chain.status(&id), pb::DeviceStatus::Inactive);
    let sc = &chain.events_of("device_status_changed")[0];
    assert_eq!(
        (sc.get("from"), sc.get("to"), sc.get("reason")),
        (Some("Active"), Some("Inactive"), Some("inactivity"))
    );
    // A heartbeat brings it back; the counter must still grow.
    let e2 = chain.next_epoch();
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, e2, 5)],
        CODESPACE,
        26,
    );
    chain.ok(2, vec![chain.heartbeat_msg(2, &dev, &id, e2, 6)]);
    assert_eq!(chain.status(&id), pb::DeviceStatus::Active);
    let contributions: pb::QueryContributionsResponse = chain.query(
        &format!("{Q}Contributions"),
        pb::QueryContributionsRequest {
            device_id: id.clone(),
            from_epoch: 0,
            to_epoch: 0,
            pagination: None,
        },
    );
    assert_eq!(
        contributions
            .contributions
            .iter()
            .map(|c| c.epoch)
            .collect::<Vec<_>>(),
        [e, e2]
    );
    let epoch: pb::QueryEpochResponse = chain.query(&format!("{Q}Epoch"), pb::QueryEpochRequest {});
    assert_eq!(epoch.epoch, (chain.height() - 1) / 5);
    assert_eq!(epoch.next_block_epoch, chain.height() / 5);
    assert_eq!(epoch.end_height - epoch.start_height + 1, 5);

    // Old contributions are pruned after 3 epochs.
    while chain.epoch() < e + 4 {
        chain.block();
    }
    chain.block();
    let contributions: pb::QueryContributionsResponse = chain.query(
        &format!("{Q}Contributions"),
        pb::QueryContributionsRequest {
            device_id: id.clone(),
            from_epoch: 0,
            to_epoch: 0,
            pagination: None,
        },
    );
    assert_eq!(
        contributions
            .contributions
            .iter()
            .map(|c| c.epoch)
            .collect::<Vec<_>>(),
        [e2]
    );
    let densities: pb::QueryHexDensitiesResponse = chain.query(
        &format!("{Q}HexDensities"),
        pb::QueryHexDensitiesRequest {
            epoch: e,
            pagination: None,
        },
    );
    assert!(densities.densities.is_empty());

    // Decommission: final; its key stays reserved.
    chain.fails(2, vec![chain.decommission_msg(2, &id)], CODESPACE, 18);
    chain.ok(1, vec![chain.decommission_msg(1, &id)]);
    assert_eq!(chain.status(&id), pb::DeviceStatus::Decommissioned);
    assert_eq!(chain.events_of("device_decommissioned").len(), 1);
    chain.fails(1, vec![chain.decommission_msg(1, &id)], CODESPACE, 19);
    chain.fails(
        1,
        vec![chain.transfer_msg(1, &id, &chain.address(2))],
        CODESPACE,
        19,
    );
    chain.fails(
        1,
        vec![chain.assert_location_msg(1, &id, cell(10, 3))],
        CODESPACE,
        19,
    );
    let e3 = chain.next_epoch();
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, &id, e3, 9)],
        CODESPACE,
        19,
    );
    chain.fails(
        1,
        vec![any(
            MSG_ONBOARD_DEVICE,
            chain.onboard_msg(1, &maker, "acme", "hotspot", "S2", &dev, None),
        )],
        CODESPACE,
        14,
    );
}

impl Chain {
    fn keeper_contribution(&self, epoch: u64, id: &str) -> pb::Contribution {
        let r: pb::QueryContributionsResponse = self.query(
            &format!("{Q}Contributions"),
            pb::QueryContributionsRequest {
                device_id: id.into(),
                from_epoch: epoch,
                to_epoch: epoch,
                pagination: None,
            },
        );
        r.contributions[0].clone()
    }
}

#[test]
fn revocation_suspends_in_bounded_batches() {
    let mut params = test_params();
    params.max_transitions_per_block = 2;
    let mut chain = Chain::new(&[100 * M, 100 * M, 100 * M], params);
    let maker = chain.acme();
    let mut ids = Vec::new();
    for i in 0..5u64 {
        ids.push(chain.onboard(
            1,
            &maker,
            "compute",
            &format!("S{i}"),
            &device_signer(i),
            None,
        ));
    }
    // One device decommissioned: it stays so.
    chain.ok(1, vec![chain.decommission_msg(1, &ids[4])]);
    // One active device.
    let e = chain.next_epoch();
    chain.ok(
        2,
        vec![chain.heartbeat_msg(2, &device_signer(0), &ids[0], e, 1)],
    );
    chain.ok(0, vec![chain.msg_revoke_maker("acme")]);
    // Recorded suspensions (the status index); the Device query shows the effective status.
    let suspended = |chain: &Chain| {
        chain
            .devices(pb::QueryDevicesRequest {
                status: pb::DeviceStatus::Suspended as i32,
                ..Default::default()
            })
            .len()
    };
    assert_eq!(
        suspended(&chain),
        0,
        "the revocation's own block suspends nothing yet"
    );
    assert!(
        ids.iter()
            .filter(|id| **id != ids[4])
            .all(|id| chain.status(id) == pb::DeviceStatus::Suspended),
        "the Device query shows every live device Suspended at once"
    );
    // Already Suspended for the message checks before begin block gets to them. (Begin block
    // suspends devices meanwhile, so only the result is compared.)
    let e = chain.next_epoch();
    chain.refused(
        2,
        vec![chain.heartbeat_msg(2, &device_signer(1), &ids[1], e, 1)],
        CODESPACE,
        19,
    );
    let after_one = suspended(&chain);
    // Two devices examined per block (a decommissioned one is skipped but counts).
    assert!(
        (1..=2).contains(&after_one),
        "{after_one} suspended in one block"
    );
    assert!(chain
        .events_of("device_status_changed")
        .iter()
        .all(|e| e.get("reason") == Some("maker_revoked")));
    chain.refused(
        1,
        vec![chain.assert_location_msg(1, &ids[3], cell(10, 0))],
        CODESPACE,
        19,
    );
    // Transfer and decommission stay possible.
    chain.ok(1, vec![chain.transfer_msg(1, &ids[3], &chain.address(2))]);
    let mut last = suspended(&chain);
    let mut blocks = 0;
    while suspended(&chain) < 4 {
        chain.block();
        blocks += 1;
        let now = suspended(&chain);
        assert!(now - last <= 2, "at most 2 transitions per block");
        assert!(chain.events_of("device_status_changed").len() <= 2);
        last = now;
        assert!(blocks < 10);
    }
    assert_eq!(chain.status(&ids[4]), pb::DeviceStatus::Decommissioned);
    chain.ok(2, vec![chain.decommission_msg(2, &ids[3])]);
    chain.advance(3);
}

#[test]
fn genesis_round_trip_reproduces_state_and_app_hash() {
    // One status change per block, so that a revocation is still being processed at export.
    let mut params = test_params();
    params.max_transitions_per_block = 1;
    let mut chain = Chain::new(&[100 * M, 100 * M, 100 * M, 100 * M], params.clone());
    let maker = chain.acme();
    let a = device_signer(1);
    let b = device_signer(2);
    let ida = chain.onboard(1, &maker, "hotspot", "A", &a, Some(cell(10, 0)));
    let idb = chain.onboard(2, &maker, "hotspot", "B", &b, Some(cell(10, 0)));
    chain.ok(1, vec![chain.assert_location_msg(1, &ida, cell(10, 1))]);
    // A key rotation: a's first key is retired, and stays reserved to a.
    let a2 = device_signer(3);
    chain.ok(1, vec![chain.rotate_msg(1, &ida, &a, &a2, 0)]);
    let e = chain.next_epoch();
    chain.ok(
        2,
        vec![
            chain.heartbeat_msg(2, &a2, &ida, e, 1),
            chain.heartbeat_msg(2, &b, &idb, e, 1),
        ],
    );
    chain.ok(2, vec![chain.metadata_msg(2, &idb, "hello")]);
    // Maker beta with three devices, revoked: one suspension per block.
    let beta = maker_signer(2);
    chain.ok(
        0,
        vec![chain.msg_register_maker("beta", &beta, &["compute"], 3)],
    );
    let mut beta_ids = Vec::new();
    for i in 0..3u64 {
        let dev = device_signer(10 + i);
        let msg = chain.onboard_msg(3, &beta, "beta", "compute", &format!("C{i}"), &dev, None);
        chain.ok(3, vec![any(MSG_ONBOARD_DEVICE, msg)]);
        beta_ids.push(dev.id(PREFIX));
    }
    chain.ok(0, vec![chain.msg_revoke_maker("beta")]);
    chain.block();
    assert_eq!(chain.status(&idb), pb::DeviceStatus::Active);

    let exported = chain.export();
    let device = &exported["device"];
    assert_eq!(device["params"]["epoch_blocks"], "5");
    assert_eq!(device["makers"].as_array().unwrap().len(), 2);
    assert!(device["devices"][0]["key"]["key"].is_string());
    assert_eq!(device["locations"].as_array().unwrap().len(), 2);
    assert_eq!(device["contributions"].as_array().unwrap().len(), 2);
    assert_eq!(device["retired_keys"].as_array().unwrap().len(), 1);
    assert_eq!(device["retired_keys"][0]["device_id"], ida.as_str());
    assert_eq!(device["deadlines"].as_array().unwrap().len(), 2);
    let cursors = device["suspension_cursors"].as_array().unwrap();
    assert_eq!(cursors.len(), 1, "the revocation is half done: {cursors:?}");
    assert_eq!(cursors[0]["maker"], "beta");
    assert_ne!(cursors[0]["last_device_id"], "");
    // The anchor is exported as it is: the restarted chain continues at the next height.
    assert_eq!(device["epoch_anchor"]["start_height"], "1");

    // The imported chain's first block is the original's next block: the same state. The
    // heartbeat deadlines are the exported ones, even though the interval changed since.
    let mut changed = params.clone();
    for c in &mut changed.classes {
        c.heartbeat_interval_epochs = 50;
    }
    chain.ok(0, vec![chain.update_params_msg(&changed)]);
    let exported = chain.export();
    let imported = Chain::restarted(
        test_keys(4),
        &exported,
        changed.clone(),
        true,
        chain.height() + 1,
    );
    chain.block();
    assert_eq!(imported.export()["device"], chain.export()["device"]);
    assert_eq!(imported.export(), chain.export());
    assert_eq!(imported.device(&ida), chain.device(&ida));
    assert_eq!(imported.next_epoch(), chain.next_epoch());
    assert_eq!(imported.epoch(), chain.epoch());

    // Both go on alike: the retired key stays reserved, the suspension continues from its
    // cursor, the Active devices expire at the same epoch.
    // Byte for byte: every key of the registry's store, indexes and queues included, but for
    // the epoch anchor (the original's is the default, absent; the import stores the same
    // anchor explicitly).
    let raw = |c: &Chain| {
        c.with_ctx(|ctx| {
            use cosmwasm_std::Storage;
            ctx.storage(b"device/")
                .range(None, None, cosmwasm_std::Order::Ascending)
                .filter(|(k, _)| k.as_slice() != b"a")
                .collect::<Vec<_>>()
        })
    };
    let (x, y) = (raw(&chain), raw(&imported));
    assert_eq!(x.len(), y.len());
    assert!(x == y, "the stores differ");
    let mut chains = [chain, imported];
    for c in &mut chains {
        c.refused(2, vec![c.rotate_msg(2, &idb, &b, &a, 0)], CODESPACE, 14);
    }
    for _ in 0..3 {
        for c in &mut chains {
            c.block();
        }
    }
    for c in &chains {
        for id in &beta_ids {
            assert_eq!(c.status(id), pb::DeviceStatus::Suspended);
        }
    }
    assert_eq!(chains[0].export(), chains[1].export());
    while chains[0].status(&idb) == pb::DeviceStatus::Active {
        for c in &mut chains {
            c.block();
        }
        assert!(chains[0].epoch() < e + 10);
    }
    assert_eq!(chains[1].status(&idb), pb::DeviceStatus::Inactive);
    assert_eq!(
        chains[0].epoch(),
        e + 3,
        "the deadline exported, not recomputed"
    );
    let [mut chain, _] = chains;
    let exported = chain.export();
    let again =
        Chain::restarted(test_keys(4), &exported, changed, true, chain.height() + 1).export();
    chain.block();
    let next = chain.export();

    // Import is deterministic, and a restart's block 1 is the original's next block.
    let hash = |state: &serde_json::Value| {
        let (app, _) = build_app(None);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = depin_app::driver::InProcess::open(
            std::sync::Arc::new(app),
            dir.path(),
            depin_app::node::NodeConfig::default(),
        )
        .unwrap();
        driver.init_chain(CHAIN_ID, state).unwrap();
        let resp = driver.block(Vec::new());
        resp.app_hash.to_vec()
    };
    assert_eq!(hash(&exported), hash(&exported));
    assert_eq!(again, next);
    assert_eq!(hash(&again), hash(&next));

    // Invalid genesis is refused with a clear message.
    let refuse = |state: serde_json::Value, needle: &str| {
        let (app, _) = build_app(None);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = depin_app::driver::InProcess::open(
            std::sync::Arc::new(app),
            dir.path(),
            depin_app::node::NodeConfig::default(),
        )
        .unwrap();
        let err = driver.init_chain(CHAIN_ID, &state).unwrap_err();
        assert!(err.contains(needle), "{err}");
    };
    let mut broken = exported.clone();
    broken["device"]["makers"][0]["devices_onboarded"] = "7".into();
    refuse(broken, "devices onboarded");
    let mut broken = exported.clone();
    broken["device"]["hex_densities"][0]["devices"] = 5.into();
    refuse(broken, "hex densities");
    let mut broken = exported.clone();
    let first = broken["device"]["devices"][0].clone();
    broken["device"]["devices"]
        .as_array_mut()
        .unwrap()
        .push(first);
    refuse(broken, "listed twice");
    let mut broken = exported.clone();
    broken["device"]["devices"][0]["class"] = "drone".into();
    refuse(broken, "class");
    // The retired key given to another device too.
    let mut broken = exported.clone();
    let mut dup = broken["device"]["retired_keys"][0].clone();
    dup["device_id"] = idb.as_str().into();
    broken["device"]["retired_keys"]
        .as_array_mut()
        .unwrap()
        .push(dup);
    refuse(broken, "retired key");
    let mut broken = exported;
    broken["device"]["deadlines"] = serde_json::json!([{ "device_id": beta_ids[0], "epoch": "9" }]);
    refuse(broken, "not an Active device");
}

#[test]
fn default_authority_is_the_gov_account_and_pagination_works() {
    let keys = test_keys(3);
    let params = test_params();
    let state = app_state(&keys, &[100 * M; 3], &params);
    let mut chain = Chain::with_state(keys, &state, params, false);
    chain.fails(
        0,
        vec![chain.msg_register_maker("acme", &maker_signer(1), &["compute"], 5)],
        SDK,
        4,
    );

    let mut chain = Chain::new(&[100 * M; 3], test_params());
    let maker = chain.acme();
    for i in 0..5u64 {
        chain.onboard(
            1,
            &maker,
            "compute",
            &format!("S{i}"),
            &device_signer(i),
            Some(cell(10, i as u32)),
        );
    }
    let mut seen = Vec::new();
    let mut key = Vec::new();
    loop {
        let r: pb::QueryDevicesResponse = chain.query(
            &format!("{Q}Devices"),
            pb::QueryDevicesRequest {
                h3_cell: depin_device::h3::parent_at(cell(10, 0), 3).unwrap(),
                pagination: Some(PageRequest {
                    key: key.clone(),
                    limit: 2,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        seen.extend(r.devices.into_iter().map(|d| d.id));
        key = r.pagination.unwrap().next_key;
        if key.is_empty() {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
    let makers: pb::QueryMakersResponse = chain.query(
        &format!("{Q}Makers"),
        pb::QueryMakersRequest { pagination: None },
    );
    assert_eq!(makers.makers.len(), 1);
}

#[test]
fn more_refusals() {
    let mut chain = chain();
    let maker = chain.acme();
    chain.fails(0, vec![chain.msg_revoke_maker("Bad Name")], CODESPACE, 5);
    let dev = device_signer(1);
    let id = chain.onboard(1, &maker, "hotspot", "S", &dev, None);
    // The location fee, when the owner cannot pay it.
    chain.ok(1, vec![chain.transfer_msg(1, &id, &chain.address(3))]);
    chain.ok(3, vec![chain.assert_location_msg(3, &id, cell(10, 0))]);
    chain.fails(
        3,
        vec![chain.assert_location_msg(3, &id, cell(10, 1))],
        CODESPACE,
        29,
    );
    // Heartbeats: a malformed device id, a malformed submitter.
    let e = chain.next_epoch();
    chain.fails(
        2,
        vec![chain.heartbeat_msg(2, &dev, "depindev1xyz", e, 1)],
        CODESPACE,
        16,
    );
    let mut m: pb::MsgHeartbeat =
        prost::Message::decode(chain.heartbeat_msg(2, &dev, &id, e, 1).value.as_slice()).unwrap();
    m.submitter = "depin1bad".into();
    chain.fails(2, vec![any(MSG_HEARTBEAT, m)], SDK, 7);
    // A suspended device cannot rotate its key; a decommissioned one cannot change metadata.
    let dev2 = device_signer(2);
    let id2 = chain.onboard(1, &maker, "compute", "S2", &dev2, None);
    chain.ok(0, vec![chain.msg_revoke_maker("acme")]);
    chain.block();
    assert_eq!(chain.status(&id2), pb::DeviceStatus::Suspended);
    chain.fails(
        1,
        vec![chain.rotate_msg(1, &id2, &dev2, &device_signer(3), 0)],
        CODESPACE,
        19,
    );
    chain.ok(
        1,
        vec![chain.metadata_msg(1, &id2, "still allowed while suspended")],
    );
    chain.ok(1, vec![chain.decommission_msg(1, &id2)]);
    let sc = &chain.events_of("device_status_changed")[0];
    assert_eq!(
        (sc.get("from"), sc.get("to")),
        (Some("Suspended"), Some("Decommissioned"))
    );
    chain.fails(1, vec![chain.metadata_msg(1, &id2, "x")], CODESPACE, 19);
    // Queries: unknown device, empty id, unknown maker.
    // Not found is the SDK's NotFound (38), which gRPC carries as NotFound.
    assert_eq!(
        chain.query_err(
            &format!("{Q}Device"),
            pb::QueryDeviceRequest {
                device_id: device_signer(99).id(PREFIX)
            }
        ),
        (SDK.into(), 38)
    );
    assert_eq!(
        chain.query_err(
            &format!("{Q}Device"),
            pb::QueryDeviceRequest {
                device_id: String::new()
            }
        ),
        (SDK.into(), 18)
    );
    assert_eq!(
        chain.query_err(
            &format!("{Q}Maker"),
            pb::QueryMakerRequest {
                name: "nobody".into()
            }
        ),
        (SDK.into(), 38)
    );
    assert_eq!(
        chain.query_err(
            &format!("{Q}Contributions"),
            pb::QueryContributionsRequest {
                device_id: id,
                from_epoch: 5,
                to_epoch: 2,
                pagination: None
            }
        ),
        (SDK.into(), 18)
    );
}

#[test]
fn simapp_wires_the_registry_with_its_defaults() {
    let app = std::sync::Arc::new(depin_simapp::default_app());
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        app.clone(),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    driver.init_chain(CHAIN_ID, &serde_json::json!({})).unwrap();
    driver.block(Vec::new());
    let resp = driver.query(
        &format!("{Q}Params"),
        prost::Message::encode_to_vec(&pb::QueryParamsRequest {}),
    );
    assert_eq!(resp.code, 0, "{}", resp.log);
    let params: pb::QueryParamsResponse = prost::Message::decode(resp.value.as_ref()).unwrap();
    assert_eq!(
        params.params.unwrap(),
        depin_device::Params::default().to_proto()
    );
    let store = driver.node().store();
    let env = depin_app::context::Env::new(
        CHAIN_ID,
        store.version(),
        depin_app::context::ExecMode::Query,
    );
    let exported = app
        .export_genesis(
            &mut depin_app::store::WorkingSet::new(store.latest_view().unwrap()),
            &env,
        )
        .unwrap();
    assert_eq!(exported["device"]["params"]["epoch_blocks"], "100");
    assert_eq!(
        exported["device"]["params"]["classes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}
