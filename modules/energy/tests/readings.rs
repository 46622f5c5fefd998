//! Readings: a meter's counter, what it delivers per epoch, every refusal with its code and
//! no change of state, params changes by the authority only.

mod common;

use common::*;
use depin_proto::depin::energy::v1 as pb;

/// A chain with maker acme and `n` compute devices onboarded for account 1 (none has
/// heartbeat yet).
fn setup(n: u64) -> (Chain, Vec<depin_device::client::DeviceSigner>) {
    let mut chain = Chain::new(3, energy_params());
    chain.acme();
    let signers: Vec<_> = (0..n).map(device_signer).collect();
    for (i, s) in signers.iter().enumerate() {
        chain.onboard(1, s, &format!("sn-{i}"));
    }
    (chain, signers)
}

#[test]
fn a_meter_records_its_counter_and_delivers_the_rise() {
    let (mut chain, s) = setup(1);
    let id = s[0].id(PREFIX);
    chain.next_epoch_alive(&[&s[0]]);
    let e0 = chain.epoch();
    assert_eq!(
        chain.read(&s[0], 50_000),
        0,
        "a first reading only records the counter"
    );
    let event = &chain.events_of("energy_reading")[0];
    assert_eq!(event.get("device_id"), Some(id.as_str()));
    assert_eq!(event.get("cumulative_wh"), Some("50000"));
    assert_eq!(event.get("delivered_wh"), Some("0"));
    assert_eq!(event.get("epoch"), Some(e0.to_string().as_str()));
    assert_eq!(chain.epoch_energy(e0, &id).delivered_wh, 0);

    assert_eq!(chain.read(&s[0], 52_500), 2_500);
    assert_eq!(chain.epoch_energy(e0, &id).delivered_wh, 2_500);
    assert_eq!(chain.epoch_energy(e0, &id).points, 2);
    chain.next_epoch_alive(&[&s[0]]);
    let e1 = chain.epoch();
    assert_eq!(chain.read(&s[0], 53_000), 500);
    assert_eq!(chain.read(&s[0], 60_000), 7_000);
    assert_eq!(chain.epoch_energy(e1, &id).delivered_wh, 7_500);
    assert_eq!(chain.epoch_energy(e0, &id).delivered_wh, 2_500);

    let meter = chain.meter(&id);
    assert_eq!(
        meter,
        pb::Meter {
            device_id: id.clone(),
            last_cumulative_wh: 60_000,
            last_epoch: e1,
            readings_in_epoch: 2,
            delivered_wh: 10_000,
        }
    );
    let meters: pb::QueryMetersResponse = chain.query(
        &format!("{Q}Meters"),
        pb::QueryMetersRequest { pagination: None },
    );
    assert_eq!(meters.meters, vec![meter]);
}

#[test]
fn meters_page_in_id_order() {
    let (mut chain, s) = setup(3);
    let mut ids: Vec<String> = s.iter().map(|s| s.id(PREFIX)).collect();
    for signer in &s {
        chain.heartbeat(signer);
        chain.read(signer, 1);
    }
    ids.sort();
    let page = |key: Vec<u8>| -> pb::QueryMetersResponse {
        chain.query(
            &format!("{Q}Meters"),
            pb::QueryMetersRequest {
                pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                    key,
                    limit: 2,
                    ..Default::default()
                }),
            },
        )
    };
    let first = page(Vec::new());
    let got: Vec<_> = first.meters.iter().map(|m| m.device_id.clone()).collect();
    assert_eq!(got, ids[..2]);
    let next = first.pagination.unwrap().next_key;
    assert!(!next.is_empty());
    let second = page(next);
    let got: Vec<_> = second.meters.iter().map(|m| m.device_id.clone()).collect();
    assert_eq!(got, ids[2..]);
    assert!(second.pagination.unwrap().next_key.is_empty());
}

#[test]
fn every_refusal_has_its_code_and_changes_nothing() {
    let (mut chain, s) = setup(2);
    let id = s[0].id(PREFIX);
    chain.next_epoch_alive(&[&s[0]]);
    chain.read(&s[0], 1_000);
    let epoch = chain.epoch();

    // Signed by another device's key.
    let forged = chain.reading_msg(&s[1], &id, epoch, 2_000);
    let log = chain.fails(1, vec![forged], "energy", 9);
    assert!(log.contains("signature"), "{log}");
    // A signature over another value.
    let mut msg = chain.reading_msg(&s[0], &id, epoch, 2_000);
    let mut m: pb::MsgSubmitReading = prost::Message::decode(msg.value.as_slice()).unwrap();
    m.cumulative_wh = 3_000;
    msg.value = prost::Message::encode_to_vec(&m);
    chain.fails(1, vec![msg], "energy", 9);
    // A signature of the wrong length (stateless).
    let mut m2 = m.clone();
    m2.signature.truncate(10);
    chain.fails(
        1,
        vec![any(depin_energy::MSG_SUBMIT_READING, m2)],
        "energy",
        9,
    );
    // Wrong epoch (both sides), in a fresh epoch.
    chain.next_epoch_alive(&[&s[0]]);
    let epoch = chain.epoch();
    let msg = chain.reading_msg(&s[0], &id, epoch + 1, 2_000);
    chain.fails(1, vec![msg], "energy", 8);
    let msg = chain.reading_msg(&s[0], &id, epoch.saturating_sub(1), 2_000);
    chain.fails(1, vec![msg], "energy", 8);
    // Not increasing: equal and lower.
    chain.next_epoch_alive(&[&s[0]]);
    let epoch = chain.epoch();
    let msg = chain.reading_msg(&s[0], &id, epoch, 1_000);
    chain.fails(1, vec![msg], "energy", 10);
    let msg = chain.reading_msg(&s[0], &id, epoch, 999);
    chain.fails(1, vec![msg], "energy", 10);
    // Above the cap (10 kWh in these params): a rise of 10 001 Wh is accepted and credited
    // 10 000, the excess reported; the counter moves on (a meter is never locked out).
    let before = chain.epoch_energy(epoch, &id).delivered_wh;
    let msg = chain.reading_msg(&s[0], &id, epoch, 1_000 + 10_001);
    chain.ok(1, vec![msg]);
    assert_eq!(chain.meter(&id).last_cumulative_wh, 11_001);
    assert_eq!(chain.epoch_energy(epoch, &id).delivered_wh, before + 10_000);
    let capped = chain.events_of("energy_reading_capped");
    assert_eq!(capped.len(), 1, "{:?}", chain.events);
    assert_eq!(capped[0].get("excess_wh"), Some("1"));
    // Unknown device: a well-formed id of a key never onboarded.
    chain.next_epoch_alive(&[&s[0]]);
    let epoch = chain.epoch();
    let stranger = device_signer(99);
    let sid = stranger.id(PREFIX);
    let msg = chain.reading_msg(&stranger, &sid, epoch, 5);
    chain.fails(1, vec![msg], "energy", 6);
    // A malformed device id.
    let msg = chain.reading_msg(&s[0], "not-a-device", epoch, 5);
    chain.fails(1, vec![msg], "energy", 5);
    // Onboarded but never heartbeat: not Active.
    let id1 = s[1].id(PREFIX);
    let msg = chain.reading_msg(&s[1], &id1, epoch, 5);
    let log = chain.fails(1, vec![msg], "energy", 7);
    assert!(log.contains("Onboarded"), "{log}");

    // Too many readings: 3 an epoch, counted from the epoch's first block.
    chain.next_epoch_alive(&[&s[0]]);
    // (The capped reading above moved the counter to 11 001.)
    let mut counter = 11_001;
    for _ in 0..3 {
        counter += 10;
        chain.read(&s[0], counter);
    }
    let epoch = chain.epoch();
    let msg = chain.reading_msg(&s[0], &id, epoch, counter + 10);
    chain.fails(1, vec![msg], "energy", 12);
    // The next epoch allows readings again.
    chain.next_epoch_alive(&[&s[0]]);
    assert_eq!(chain.read(&s[0], counter + 10), 10);
}

#[test]
fn a_device_that_stops_heartbeating_cannot_report() {
    let (mut chain, s) = setup(1);
    let id = s[0].id(PREFIX);
    chain.heartbeat(&s[0]);
    chain.read(&s[0], 1);
    // A heartbeat every 2 epochs: after 3 without one the device is Inactive.
    for _ in 0..3 {
        chain.next_epoch();
    }
    let epoch = chain.epoch();
    let msg = chain.reading_msg(&s[0], &id, epoch, 2);
    let log = chain.fails(1, vec![msg], "energy", 7);
    assert!(log.contains("Inactive"), "{log}");
}

#[test]
fn params_change_by_the_authority_only_and_stay_valid() {
    let mut chain = Chain::new(3, energy_params());
    let mut p = energy_params();
    p.wh_per_point = 500;
    // Not the authority.
    let msg = chain.update_params_msg(1, &p);
    chain.fails(1, vec![msg], "sdk", 4);
    // Invalid params, each refused with code 3.
    for bad in [
        depin_energy::Params {
            wh_per_point: 0,
            ..p.clone()
        },
        depin_energy::Params {
            max_wh_per_reading: 0,
            ..p.clone()
        },
        depin_energy::Params {
            max_readings_per_epoch: 0,
            ..p.clone()
        },
        depin_energy::Params {
            retention_epochs: 0,
            ..p.clone()
        },
        depin_energy::Params {
            retention_epochs: 1,
            ..p.clone()
        },
    ] {
        let msg = chain.update_params_msg(0, &bad);
        chain.fails(0, vec![msg], "energy", 3);
    }
    // Missing params.
    let msg = any(
        depin_energy::MSG_UPDATE_PARAMS,
        pb::MsgUpdateParams {
            authority: chain.address(0),
            params: None,
        },
    );
    chain.fails(0, vec![msg], "energy", 4);
    let msg = chain.update_params_msg(0, &p);
    chain.ok(0, vec![msg]);
    assert_eq!(chain.events_of("energy_params_updated").len(), 1);
    let r: pb::QueryParamsResponse = chain.query(&format!("{Q}Params"), pb::QueryParamsRequest {});
    assert_eq!(r.params, Some(p.to_proto()));
}

#[test]
fn an_epoch_keeps_the_unit_of_its_first_reading() {
    let (mut chain, s) = setup(1);
    let id = s[0].id(PREFIX);
    chain.heartbeat(&s[0]);
    chain.read(&s[0], 1);
    chain.next_epoch_alive(&[&s[0]]);
    let e = chain.epoch();
    chain.read(&s[0], 4_001);
    // Halving the unit mid-epoch does not re-score the epoch.
    let p = depin_energy::Params {
        wh_per_point: 500,
        ..energy_params()
    };
    let msg = chain.update_params_msg(0, &p);
    chain.ok(0, vec![msg]);
    chain.read(&s[0], 6_001);
    assert_eq!(chain.epoch_energy(e, &id).points, 6);
    chain.next_epoch_alive(&[&s[0]]);
    let e2 = chain.epoch();
    chain.read(&s[0], 7_001);
    assert_eq!(chain.epoch_energy(e2, &id).points, 2);
}

#[test]
fn queries_refuse_what_they_cannot_answer() {
    let chain = Chain::new(2, energy_params());
    let id = device_signer(1).id(PREFIX);
    let err = |path: &str, req: Vec<u8>| {
        let r = chain.driver.query(&format!("{Q}{path}"), req);
        (r.codespace, r.code)
    };
    use prost::Message;
    let meter = pb::QueryMeterRequest {
        device_id: id.clone(),
    }
    .encode_to_vec();
    assert_eq!(err("Meter", meter), ("sdk".to_string(), 38));
    let empty = pb::QueryMeterRequest::default().encode_to_vec();
    assert_eq!(err("Meter", empty), ("sdk".to_string(), 18));
    assert_eq!(err("Nope", Vec::new()), ("sdk".to_string(), 6));
    // Nothing delivered: 0, not an error.
    assert_eq!(chain.epoch_energy(3, &id).delivered_wh, 0);
}

#[test]
fn the_sign_doc_is_domain_separated() {
    use prost::Message;
    let bytes = depin_energy::reading_bytes(CHAIN_ID, "d", 3, 4);
    let doc = pb::ReadingSignDoc::decode(bytes.as_slice()).unwrap();
    assert_eq!(doc.domain, "depin.energy.v1.reading");
    assert_eq!(
        (doc.chain_id.as_str(), doc.device_id.as_str()),
        (CHAIN_ID, "d")
    );
    assert_eq!((doc.epoch, doc.cumulative_wh), (3, 4));
    // Not the device module's heartbeat document for the same numbers.
    let heartbeat = depin_device::signing::heartbeat_bytes(CHAIN_ID, "d", 3, 4, &[0; 32]);
    assert_ne!(bytes, heartbeat);
}
