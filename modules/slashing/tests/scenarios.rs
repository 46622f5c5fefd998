//! Downtime, double signing, unjail, queries and genesis through the in-process driver, with
//! staking's and slashing's invariants checked after every block.

mod common;

use common::*;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::slashing::v1beta1 as spb;
use depin_slashing::FOREVER;
use prost::Message;

/// Validators 0 and 1 with 10 M each (power 10).
fn two_validators() -> Chain {
    let mut chain = Chain::new(&[100 * M; 4]);
    chain.ok(0, vec![chain.msg_create_validator(0, 10 * M, 1)]);
    chain.ok(1, vec![chain.msg_create_validator(1, 10 * M, 1)]);
    chain
}

#[test]
fn downtime_jails_slashes_and_unjail_waits_for_the_jail_time() {
    let mut chain = two_validators();
    // Validator 2 requires all of its 10 M as self delegation: a slash leaves it short.
    let created = chain.height() + 1;
    chain.ok(2, vec![chain.msg_create_validator(2, 10 * M, 10 * M)]);
    let info = chain.signing_info(2);
    assert_eq!(info.start_height as u64, created);
    assert_eq!(info.missed_blocks_counter, 0);
    assert!(!info.tombstoned);

    let start = chain.signing_info(1).start_height as u64;
    chain.offline.insert(1);
    chain.offline.insert(2);
    let mut jailed_at = None;
    let mut missed = 0;
    for _ in 0..30 {
        let block = chain.block();
        if !chain.events_of("slash").is_empty() {
            jailed_at = Some((chain.height(), block));
            break;
        }
        missed += 1;
        let liveness = chain.events_of("liveness");
        assert_eq!(liveness.len(), 2, "one liveness event per absent validator");
        let ours = liveness
            .iter()
            .find(|e| e.get("address") == Some(chain.valcons(1).as_str()))
            .unwrap();
        assert_eq!(
            ours.get("height"),
            Some(chain.height().to_string().as_str())
        );
        assert_eq!(
            chain.signing_info(1).missed_blocks_counter as u64,
            std::cmp::min(missed, 10)
        );
    }
    let (height, block) = jailed_at.expect("validator 1 was never jailed");
    // Window 10, at most 5 missed, judged only after start_height + window.
    assert_eq!(height, start + 10 + 1);
    // Validator 2 bonded a block later, so its turn comes a block later.
    let slashes = chain.events_of("slash");
    assert_eq!(slashes.len(), 1);
    let s = slashes
        .iter()
        .find(|e| e.get("address") == Some(chain.valcons(1).as_str()))
        .unwrap();
    assert_eq!(s.get("reason"), Some("missing_signature"));
    assert_eq!(s.get("power"), Some("10"));
    assert_eq!(s.get("burned_coins"), Some("1000000udepin"));
    // 10% of power 10 × 10^6; out of the set at this end block.
    assert_eq!(chain.tokens(1), 9 * M);
    assert_eq!(chain.tokens(0), 10 * M);
    assert!(chain.validator(1).jailed);
    assert!(block.validator_updates.contains(&update(1, 0)));
    let info = chain.signing_info(1);
    let jailed_until = chain.time() + 30;
    assert_eq!(info.jailed_until.unwrap().seconds, jailed_until);
    assert_eq!((info.missed_blocks_counter, info.index_offset), (0, 0));
    // The signer is untouched.
    assert!(!chain.validator(0).jailed);
    assert_eq!(chain.signing_info(0).missed_blocks_counter, 0);

    // Not before jailed_until (block times advance 5 s per block).
    let (r, block) = chain.tx(1, vec![chain.msg_unjail(1)]);
    assert_eq!((r.codespace.as_str(), r.code), ("slashing", 4), "{}", r.log);
    assert!(r.log.contains("jailed until"), "{}", r.log);
    assert!(block.validator_updates.contains(&update(2, 0)));
    assert!(chain.validator(2).jailed);
    chain.advance(3);
    assert_eq!(chain.time() + 5, jailed_until - 5);
    chain.fails(1, vec![chain.msg_unjail(1)], "slashing", 4);
    assert_eq!(chain.time() + 5, jailed_until);
    chain.offline.clear();
    // Simulation (and so `--gas auto`) judges at the last block's time, the earliest the next
    // block can have: refused now, accepted once a block at jailed_until is committed.
    let simulate = |chain: &Chain| {
        let tx = chain.signed(1, vec![chain.msg_unjail(1)]);
        let req = cosmrs::proto::cosmos::tx::v1beta1::SimulateRequest {
            tx_bytes: tx,
            ..Default::default()
        };
        chain
            .driver
            .query(depin_app::query::SIMULATE_PATH, req.encode_to_vec())
    };
    let r = simulate(&chain);
    assert_eq!((r.codespace.as_str(), r.code), ("slashing", 4), "{}", r.log);
    chain.block();
    assert_eq!(chain.time(), jailed_until);
    let r = simulate(&chain);
    assert_eq!(r.code, 0, "{}", r.log);
    let block = chain.ok(1, vec![chain.msg_unjail(1)]);
    assert!(!chain.validator(1).jailed);
    assert!(block.validator_updates.contains(&update(1, 9)));
    // Rejoining restarts its window.
    assert_eq!(chain.signing_info(1).start_height as u64, chain.height());
    // Validator 2's own stake is now below its minimum.
    chain.fails(2, vec![chain.msg_unjail(2)], "slashing", 7);
    // A validator that is not jailed, and an account that is no validator.
    chain.fails(0, vec![chain.msg_unjail(0)], "slashing", 5);
    chain.fails(3, vec![chain.msg_unjail(3)], "slashing", 2);

    // Back online: it stays in the set.
    chain.advance(15);
    assert!(!chain.validator(1).jailed);
    assert_eq!(chain.signing_info(1).missed_blocks_counter, 0);
    assert!(chain.events_of("slash").is_empty());
}

#[test]
fn double_sign_slashes_tombstones_and_reaches_later_unbondings() {
    let mut chain = two_validators();
    chain.ok(2, vec![chain.msg_delegate(2, 0, 4 * M)]);
    chain.advance(2);
    let infraction = chain.height();
    chain.advance(1);
    // Leaves after the infraction: still at risk.
    chain.ok(2, vec![chain.msg_undelegate(2, 0, 2 * M)]);
    chain.ok(2, vec![chain.msg_redelegate(2, 0, 1, 2 * M)]);
    assert_eq!(chain.tokens(0), 10 * M);
    assert_eq!(chain.delegation_balance(2, 1), 2 * M);

    let block = chain.evidence(0, infraction, 14);
    let s = &chain.events_of("slash")[0];
    assert_eq!(s.get("reason"), Some("double_sign"));
    assert_eq!(s.get("power"), Some("14"));
    // Half of power 14 × 10^6 = 7 M: 1 M from the unbonding entry, 1 M from the
    // redelegated stake (now at validator 1), 5 M from the validator.
    assert_eq!(chain.unbonding_entries(2, 0)[0].balance, (M).to_string());
    assert_eq!(chain.delegation_balance(2, 1), M);
    assert_eq!(chain.tokens(1), 11 * M);
    assert_eq!(chain.tokens(0), 5 * M);
    assert!(chain.validator(0).jailed);
    assert!(block.validator_updates.contains(&update(0, 0)));
    let info = chain.signing_info(0);
    assert!(info.tombstoned);
    assert_eq!(info.jailed_until.unwrap().seconds, FOREVER.seconds);

    // Never unjailed, however long it waits.
    chain.advance(10);
    let log = chain.fails(0, vec![chain.msg_unjail(0)], "slashing", 4);
    assert!(log.contains("tombstoned"), "{log}");
    // The same evidence again: tombstoned validators are not slashed twice.
    chain.evidence(0, infraction, 14);
    assert!(chain.events_of("slash").is_empty());
    assert_eq!(chain.tokens(0), 5 * M);
}

#[test]
fn evidence_too_old_or_from_the_future_is_ignored() {
    let mut chain = two_validators();
    let early = chain.height();
    // Unbonding time is 60 s: 13 blocks later the evidence is older than that.
    chain.advance(13);
    chain.evidence(1, early, 10);
    assert!(chain.events_of("slash").is_empty());
    let future = chain.height() + 5;
    chain.evidence(1, future, 10);
    assert!(chain.events_of("slash").is_empty());
    assert_eq!(chain.tokens(1), 10 * M);
    assert!(!chain.validator(1).jailed);
    assert!(!chain.signing_info(1).tombstoned);
    // A validator slashing does not know: nothing happens either.
    let unknown = chain.height();
    chain.evidence(3, unknown, 10);
    assert!(chain.events_of("slash").is_empty());
}

#[test]
fn queries_page_through_signing_infos() {
    let mut chain = two_validators();
    chain.ok(2, vec![chain.msg_create_validator(2, 5 * M, 1)]);
    let params: spb::QueryParamsResponse = chain.query(
        "/cosmos.slashing.v1beta1.Query/Params",
        spb::QueryParamsRequest {},
    );
    assert_eq!(params.params.unwrap(), slashing_params().to_proto());

    let first: spb::QuerySigningInfosResponse = chain.query(
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        spb::QuerySigningInfosRequest {
            pagination: Some(PageRequest {
                limit: 2,
                count_total: true,
                ..Default::default()
            }),
        },
    );
    assert_eq!(first.info.len(), 2);
    let page = first.pagination.unwrap();
    assert_eq!(page.total, 3);
    let second: spb::QuerySigningInfosResponse = chain.query(
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        spb::QuerySigningInfosRequest {
            pagination: Some(PageRequest {
                key: page.next_key,
                limit: 2,
                ..Default::default()
            }),
        },
    );
    assert_eq!(second.info.len(), 1);
    assert!(second.pagination.unwrap().next_key.is_empty());
    let mut all: Vec<String> = first
        .info
        .iter()
        .chain(&second.info)
        .map(|i| i.address.clone())
        .collect();
    all.sort();
    let mut expected: Vec<String> = (0..3).map(|i| chain.valcons(i)).collect();
    expected.sort();
    assert_eq!(all, expected);

    // Unknown, empty and foreign addresses.
    let (cs, code) = chain.query_err(
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        spb::QuerySigningInfoRequest {
            cons_address: chain.valcons(3),
        },
    );
    assert_eq!((cs.as_str(), code), ("sdk", 38));
    let (cs, code) = chain.query_err(
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        spb::QuerySigningInfoRequest {
            cons_address: String::new(),
        },
    );
    assert_eq!((cs.as_str(), code), ("sdk", 18));
    let (cs, code) = chain.query_err(
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        spb::QuerySigningInfoRequest {
            cons_address: chain.operator(0),
        },
    );
    assert_eq!((cs.as_str(), code), ("sdk", 7));
}

#[test]
fn update_params_needs_the_authority() {
    let mut chain = two_validators();
    let msg = any(
        depin_slashing::msgs::MSG_UPDATE_PARAMS,
        spb::MsgUpdateParams {
            authority: chain.address(0),
            params: Some(slashing_params().to_proto()),
        },
    );
    chain.fails(0, vec![msg], "sdk", 4);
    let mut bad = slashing_params().to_proto();
    bad.slash_fraction_downtime = b"2000000000000000000".to_vec();
    let msg = any(
        depin_slashing::msgs::MSG_UPDATE_PARAMS,
        spb::MsgUpdateParams {
            authority: chain.address(0),
            params: Some(bad),
        },
    );
    // Refused before any state is read (CheckTx would too).
    chain.fails(0, vec![msg], "slashing", 101);
}

#[test]
fn genesis_export_then_import_reproduces_the_state() {
    let mut chain = two_validators();
    chain.offline.insert(1);
    chain.advance(3);
    chain.offline.clear();
    chain.advance(1);
    let infraction = chain.height();
    chain.evidence(0, infraction, 10);
    let exported = chain.export();
    let slashing = &exported["slashing"];
    assert_eq!(slashing["params"]["signed_blocks_window"], "10");
    assert_eq!(slashing["signing_infos"].as_array().unwrap().len(), 2);
    let missed = slashing["missed_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == chain.valcons(1))
        .unwrap();
    assert_eq!(missed["missed_blocks"].as_array().unwrap().len(), 3);
    let tombstoned = slashing["signing_infos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["address"] == chain.valcons(0))
        .unwrap();
    assert_eq!(tombstoned["validator_signing_info"]["tombstoned"], true);
    assert_eq!(
        tombstoned["validator_signing_info"]["jailed_until"],
        "9999-12-31T23:59:59Z"
    );

    // The first block of the imported chain carries no votes: nothing changes.
    let imported = Chain::with_state(test_keys(4), &exported);
    let again = imported.export();
    assert_eq!(again["slashing"], exported["slashing"]);
    // The signing info carries over as it is (the restarted chain continues the heights).
    assert!(chain.signing_info(1).start_height > 0);
    assert_eq!(imported.signing_info(1), chain.signing_info(1));
    assert!(imported.signing_info(0).tombstoned);

    // A counter that disagrees with the bitmap is refused.
    let mut broken = exported.clone();
    for s in broken["slashing"]["signing_infos"].as_array_mut().unwrap() {
        s["validator_signing_info"]["missed_blocks_counter"] = "7".into();
    }
    let (app, _, _) = build_app();
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        std::sync::Arc::new(app),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    let err = driver.init_chain(CHAIN_ID, &broken).unwrap_err();
    assert!(err.contains("missed blocks"), "{err}");
}

#[test]
fn nil_votes_count_as_signed_and_light_client_attacks_as_double_signs() {
    let mut chain = two_validators();
    chain.nil.insert(1);
    chain.advance(15);
    assert!(!chain.validator(1).jailed);
    assert_eq!(chain.signing_info(1).missed_blocks_counter, 0);
    assert!(chain.events_of("liveness").is_empty());

    let height = chain.height();
    chain.evidence_of(
        tendermint_proto::v0_38::abci::MisbehaviorType::LightClientAttack,
        1,
        height,
        10,
    );
    assert_eq!(
        chain.events_of("slash")[0].get("reason"),
        Some("double_sign")
    );
    assert!(chain.signing_info(1).tombstoned);
    assert_eq!(chain.tokens(1), 5 * M);
    // Unknown misbehaviour types are ignored.
    chain.evidence_of(
        tendermint_proto::v0_38::abci::MisbehaviorType::Unknown,
        0,
        height,
        10,
    );
    assert!(chain.events_of("slash").is_empty());
}

#[test]
fn a_new_window_size_restarts_every_window() {
    let keys = test_keys(4);
    let state = app_state(&keys, &[100 * M; 4]);
    let gov = depin_app::address::AddressCodec::new(PREFIX)
        .decode(&keys[3].address)
        .unwrap();
    let mut chain = Chain::with_authority(keys, &state, Some(gov));
    chain.ok(0, vec![chain.msg_create_validator(0, 10 * M, 1)]);
    chain.ok(1, vec![chain.msg_create_validator(1, 10 * M, 1)]);
    chain.offline.insert(1);
    chain.advance(3);
    assert_eq!(chain.signing_info(1).missed_blocks_counter, 3);
    chain.offline.clear();
    let params = depin_slashing::Params {
        signed_blocks_window: 20,
        ..slashing_params()
    };
    let msg = any(
        depin_slashing::msgs::MSG_UPDATE_PARAMS,
        spb::MsgUpdateParams {
            authority: chain.address(3),
            params: Some(params.to_proto()),
        },
    );
    chain.ok(3, vec![msg]);
    assert_eq!(chain.events_of("update_params").len(), 1);
    let info = chain.signing_info(1);
    assert_eq!(
        (info.missed_blocks_counter, info.start_height as u64),
        (0, chain.height())
    );
    let got: spb::QueryParamsResponse = chain.query(
        "/cosmos.slashing.v1beta1.Query/Params",
        spb::QueryParamsRequest {},
    );
    assert_eq!(got.params.unwrap().signed_blocks_window, 20);
    chain.offline.insert(1);
    chain.advance(12);
    assert_eq!(chain.signing_info(1).missed_blocks_counter, 12);
    assert!(!chain.validator(1).jailed);
}

#[test]
fn bitmaps_span_chunks_through_genesis() {
    let keys = test_keys(1);
    let mut state = app_state(&keys, &[100 * M]);
    let codec = depin_app::address::AddressCodec::new("depinvalcons");
    let address = codec.encode(&cons_address(7));
    state["slashing"]["params"]["signed_blocks_window"] = "3000".into();
    state["slashing"]["signing_infos"] = serde_json::json!([{
        "address": address,
        "validator_signing_info": {
            "address": address, "start_height": "0", "index_offset": "4001",
            "jailed_until": "0001-01-01T00:00:00Z", "tombstoned": false,
            "missed_blocks_counter": "4"
        }
    }]);
    state["slashing"]["missed_blocks"] = serde_json::json!([{
        "address": address,
        "missed_blocks": [
            { "index": "0", "missed": true }, { "index": "1023", "missed": true },
            { "index": "1024", "missed": true }, { "index": "2999", "missed": true },
            { "index": "5", "missed": false }
        ]
    }]);
    let chain = Chain::with_state(keys, &state);
    let exported = chain.export();
    let missed: Vec<&str> = exported["slashing"]["missed_blocks"][0]["missed_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["index"].as_str().unwrap())
        .collect();
    assert_eq!(missed, ["0", "1023", "1024", "2999"]);
    let info = &exported["slashing"]["signing_infos"][0]["validator_signing_info"];
    // The SDK's ever-growing offset is taken modulo the window.
    assert_eq!(info["index_offset"], "1001");

    // An index outside the window is refused.
    state["slashing"]["missed_blocks"][0]["missed_blocks"][3]["index"] = "3000".into();
    let (app, _, _) = build_app();
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        std::sync::Arc::new(app),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    let err = driver.init_chain(CHAIN_ID, &state).unwrap_err();
    assert!(err.contains("outside the window"), "{err}");
}

/// The same blocks give the same app hash: nothing in liveness or evidence handling depends
/// on anything but the blocks.
#[test]
fn the_same_blocks_give_the_same_app_hash() {
    let run = || {
        let mut chain = two_validators();
        chain.offline.insert(1);
        chain.advance(14);
        let height = chain.height();
        chain.evidence(0, height, 10);
        chain.block().app_hash
    };
    assert_eq!(run(), run());
}

/// Validators going on and off line at random (a fixed seed), unjailing when they may, over
/// 150 blocks: invariants hold after every block, and a validator out of jail past its grace
/// period never has more misses than allowed.
#[test]
fn random_downtime_keeps_the_books_straight() {
    let mut chain = Chain::new(&[100 * M; 4]);
    for i in 0..3 {
        chain.ok(i, vec![chain.msg_create_validator(i, 10 * M, 1)]);
    }
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut jailings = 0;
    for round in 0..150 {
        for i in 0..3 {
            // Flip: a hit takes an offline validator back on line, or the other way.
            if next() % 4 == 0 && !chain.offline.remove(&i) {
                chain.offline.insert(i);
            }
        }
        if round % 10 == 9 {
            for i in 0..3 {
                if chain.validator(i).jailed {
                    let (r, _) = chain.tx(i, vec![chain.msg_unjail(i)]);
                    assert!(r.code == 0 || r.code == 4, "{}", r.log);
                }
            }
        } else {
            chain.block();
        }
        jailings += chain.events_of("slash").len();
        for i in 0..3 {
            let info = chain.signing_info(i);
            assert!(info.missed_blocks_counter <= 10);
            let judged = chain.height() > info.start_height as u64 + 10;
            if judged && !chain.validator(i).jailed {
                assert!(info.missed_blocks_counter <= 5, "{info:?}");
            }
        }
    }
    assert!(jailings > 0, "the seed should jail someone");
}
