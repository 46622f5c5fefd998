//! Scheduling, replacing and cancelling plans through signed transactions, every refusal with
//! its code (and no change of state), and the queries.

mod common;

use common::*;
use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use depin_app::address::module_address;
use depin_upgrade::{UpgradeModule, MAX_NAME_LEN};

#[test]
fn scheduling_a_plan_emits_an_event_and_shows_in_current_plan() {
    let mut chain = Chain::new();
    assert_eq!(chain.current_plan(), None);
    let h = chain.height() as i64;
    let msg = chain.msg_upgrade(0, Some(plan("v2", h + 10, "binaries at https://x")));
    chain.ok(0, vec![msg]);

    let events = chain.events_of("upgrade_scheduled");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.get("module"), Some("upgrade"));
    assert_eq!(e.get("name"), Some("v2"));
    assert_eq!(e.get("height"), Some((h + 10).to_string().as_str()));
    assert_eq!(e.get("info"), Some("binaries at https://x"));
    assert_eq!(e.get("replaced_name"), None);
    assert_eq!(
        chain.current_plan(),
        Some(plan("v2", h + 10, "binaries at https://x"))
    );
    // Not applied, nothing done yet.
    assert_eq!(chain.applied_height("v2"), 0);

    // Blocks before the height change nothing.
    chain.advance(3);
    assert_eq!(
        chain.current_plan(),
        Some(plan("v2", h + 10, "binaries at https://x"))
    );
}

#[test]
fn a_new_plan_replaces_the_old_and_cancel_deletes_it() {
    let mut chain = Chain::new();
    let h = chain.height() as i64;
    let first = chain.msg_upgrade(0, Some(plan("v2", h + 20, "")));
    chain.ok(0, vec![first]);
    let second = chain.msg_upgrade(0, Some(plan("v2.1", h + 30, "fixed")));
    chain.ok(0, vec![second]);
    let e = &chain.events_of("upgrade_scheduled")[0];
    assert_eq!(e.get("name"), Some("v2.1"));
    assert_eq!(e.get("replaced_name"), Some("v2"));
    assert_eq!(
        e.get("replaced_height"),
        Some((h + 20).to_string().as_str())
    );
    assert_eq!(chain.current_plan(), Some(plan("v2.1", h + 30, "fixed")));

    // Rescheduling the same name moves it.
    let again = chain.msg_upgrade(0, Some(plan("v2.1", h + 40, "later")));
    chain.ok(0, vec![again]);
    assert_eq!(chain.current_plan(), Some(plan("v2.1", h + 40, "later")));

    let cancel = chain.msg_cancel(0);
    chain.ok(0, vec![cancel]);
    let e = &chain.events_of("upgrade_cancelled")[0];
    assert_eq!(e.get("name"), Some("v2.1"));
    assert_eq!(e.get("height"), Some((h + 40).to_string().as_str()));
    assert_eq!(chain.current_plan(), None);

    // Nothing to cancel is no error (the SDK's behaviour), and says nothing.
    let cancel = chain.msg_cancel(0);
    chain.ok(0, vec![cancel]);
    assert!(chain.events_of("upgrade_cancelled").is_empty());
    assert_eq!(chain.current_plan(), None);
    // A cancelled plan's name is free: it was never applied.
    let h = chain.height() as i64;
    let msg = chain.msg_upgrade(0, Some(plan("v2.1", h + 5, "")));
    chain.ok(0, vec![msg]);
    assert_eq!(chain.current_plan().unwrap().height, h + 5);
}

#[test]
#[allow(deprecated)]
fn every_refusal_has_its_code_and_changes_nothing() {
    let mut chain = Chain::new();
    let h = chain.height() as i64;
    let scheduled = plan("v2", h + 50, "keep me");
    let msg = chain.msg_upgrade(0, Some(scheduled.clone()));
    chain.ok(0, vec![msg]);
    let before = chain.export()["upgrade"].clone();

    let refuse = |chain: &mut Chain, signer: usize, msg, codespace: &str, code: u32| {
        let log = chain.fails(signer, vec![msg], codespace, code);
        assert!(chain.events_of("upgrade_scheduled").is_empty(), "{log}");
        assert!(chain.events_of("upgrade_cancelled").is_empty(), "{log}");
        assert_eq!(chain.export()["upgrade"], before, "{log}");
        log
    };

    // Not the authority: account 1 signs for itself.
    let m = chain.msg_upgrade(1, Some(plan("evil", h + 100, "")));
    let log = refuse(&mut chain, 1, m, "sdk", 4);
    assert!(log.contains("invalid authority"), "{log}");
    assert!(log.contains(&chain.address(0)), "{log}");
    let m = chain.msg_cancel(1);
    refuse(&mut chain, 1, m, "sdk", 4);

    // A malformed authority address.
    let m = any(&pb::MsgSoftwareUpgrade {
        authority: "depin1notanaddress".into(),
        plan: Some(plan("v3", h + 100, "")),
    });
    refuse(&mut chain, 0, m, "sdk", 7);

    // No plan.
    let m = chain.msg_upgrade(0, None);
    let log = refuse(&mut chain, 0, m, "upgrade", 101);
    assert!(log.contains("no plan"), "{log}");

    // Empty and over-long names.
    let m = chain.msg_upgrade(0, Some(plan("", h + 100, "")));
    let log = refuse(&mut chain, 0, m, "upgrade", 102);
    assert!(log.contains("empty name"), "{log}");
    let long = "x".repeat(MAX_NAME_LEN + 1);
    let m = chain.msg_upgrade(0, Some(plan(&long, h + 100, "")));
    let log = refuse(&mut chain, 0, m, "upgrade", 103);
    assert!(log.contains(&format!("limit is {MAX_NAME_LEN}")), "{log}");

    // Heights 0 and negative.
    for bad in [0, -5] {
        let m = chain.msg_upgrade(0, Some(plan("v3", bad, "")));
        let log = refuse(&mut chain, 0, m, "upgrade", 104);
        assert!(log.contains("greater than 0"), "{log}");
    }

    // A time.
    let mut timed = plan("v3", h + 100, "");
    timed.time = Some(tendermint_proto::google::protobuf::Timestamp {
        seconds: 1_800_000_000,
        nanos: 0,
    });
    let m = chain.msg_upgrade(0, Some(timed));
    let log = refuse(&mut chain, 0, m, "upgrade", 105);
    assert!(log.contains("leave plan.time unset"), "{log}");

    // An IBC client state.
    let mut ibc = plan("v3", h + 100, "");
    ibc.upgraded_client_state = Some(tendermint_proto::google::protobuf::Any {
        type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
        value: vec![1, 2, 3],
    });
    let m = chain.msg_upgrade(0, Some(ibc));
    refuse(&mut chain, 0, m, "upgrade", 106);

    // Not after the current block: the block the tx runs in, and one before it.
    let current = chain.height() as i64 + 1;
    let m = chain.msg_upgrade(0, Some(plan("v3", current, "")));
    let log = refuse(&mut chain, 0, m, "upgrade", 107);
    assert!(
        log.contains(&format!("plan it at height {} or later", current + 1)),
        "{log}"
    );
    let current = chain.height() as i64 + 1;
    let m = chain.msg_upgrade(0, Some(plan("v3", current - 1, "")));
    refuse(&mut chain, 0, m, "upgrade", 107);

    assert_eq!(chain.current_plan(), Some(scheduled));
    chain.assert_invariants();
}

#[test]
#[allow(deprecated)]
fn zero_times_count_as_unset_and_the_longest_name_is_accepted() {
    let mut chain = Chain::new();
    let h = chain.height() as i64;
    for seconds in [0, -62_135_596_800] {
        let mut p = plan("zero-time", h + 100, "");
        p.time = Some(tendermint_proto::google::protobuf::Timestamp { seconds, nanos: 0 });
        let m = chain.msg_upgrade(0, Some(p));
        chain.ok(0, vec![m]);
        assert_eq!(chain.current_plan(), Some(plan("zero-time", h + 100, "")));
    }
    let longest = "y".repeat(MAX_NAME_LEN);
    let m = chain.msg_upgrade(0, Some(plan(&longest, h + 100, "")));
    chain.ok(0, vec![m]);
    assert_eq!(chain.current_plan().unwrap().name, longest);
}

#[test]
fn queries_answer_authority_versions_and_applied_plans() {
    let chain = Chain::new();
    let resp: pb::QueryAuthorityResponse = chain.query(
        "/cosmos.upgrade.v1beta1.Query/Authority",
        pb::QueryAuthorityRequest {},
    );
    assert_eq!(resp.address, chain.address(0));

    assert_eq!(chain.module_versions(), v1_versions());
    let one: pb::QueryModuleVersionsResponse = chain.query(
        "/cosmos.upgrade.v1beta1.Query/ModuleVersions",
        pb::QueryModuleVersionsRequest {
            module_name: "bank".into(),
        },
    );
    assert_eq!(
        one.module_versions,
        vec![pb::ModuleVersion {
            name: "bank".into(),
            version: 1
        }]
    );
    let (codespace, code, log) = chain.query_err(
        "/cosmos.upgrade.v1beta1.Query/ModuleVersions",
        pb::QueryModuleVersionsRequest {
            module_name: "staking".into(),
        },
    );
    assert_eq!((codespace.as_str(), code), ("sdk", 38), "{log}");
    assert!(log.contains("\"staking\""), "{log}");

    assert_eq!(chain.applied_height("never"), 0);
    assert_eq!(chain.applied_height(""), 0);

    // The deprecated IBC query is not served.
    let (codespace, code, _) = chain.query_err(
        "/cosmos.upgrade.v1beta1.Query/UpgradedConsensusState",
        pb::QueryUpgradedConsensusStateRequest { last_height: 1 },
    );
    assert_eq!((codespace.as_str(), code), ("sdk", 6));
}

#[test]
fn the_default_authority_is_the_gov_module_account() {
    let module = UpgradeModule::new(v1_keeper());
    assert_eq!(module.authority(), module_address("gov").as_slice());
    let module = module.with_authority(vec![7; 20]);
    assert_eq!(module.authority(), &[7u8; 20][..]);
}
