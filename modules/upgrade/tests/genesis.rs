//! Genesis: the default document, export → import round trips (a chain exported before its
//! upgrade keeps the plan and still stops or upgrades at its height), and refused documents.

mod common;

use common::*;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::Module;
use depin_upgrade::{UpgradeKeeper, UpgradeModule, VersionMap};
use serde_json::json;

fn keep_versions(_: &mut Ctx<'_, '_>, v: &VersionMap) -> AppResult<VersionMap> {
    let mut next = v.clone();
    next.insert("upgrade".into(), 2);
    Ok(next)
}

#[test]
fn the_default_genesis_has_the_binarys_versions_and_no_plan() {
    let module = UpgradeModule::new(v1_keeper());
    assert_eq!(
        module.default_genesis(),
        json!({
            "plan": null,
            "done_upgrades": [],
            "module_versions": [
                {"name": "auth", "version": "1"},
                {"name": "bank", "version": "1"},
                {"name": "upgrade", "version": "1"},
            ],
        })
    );
    // A genesis without versions gets the binary's too.
    let chain = Chain::start(v1_keeper(), Some(json!({})), 1).unwrap();
    assert_eq!(chain.module_versions(), v1_versions());
    assert_eq!(chain.export()["upgrade"], module.default_genesis());
}

#[test]
fn export_then_import_keeps_plan_history_and_versions() {
    // A chain that applied "v2" and has "v3" planned.
    let mut chain = Chain::with_keeper(v1_keeper().with_handler("v2", keep_versions));
    let due = chain.height() + 2;
    let msg = chain.msg_upgrade(0, Some(plan("v2", due as i64, "")));
    chain.ok(0, vec![msg]);
    chain.block();
    assert_eq!(chain.applied_height("v2"), due as i64);
    let v3_at = chain.height() + 10;
    let msg = chain.msg_upgrade(0, Some(plan("v3", v3_at as i64, "for v3")));
    chain.ok(0, vec![msg]);
    let export = chain.export();
    let height = chain.height();
    assert_eq!(
        export["upgrade"],
        json!({
            "plan": {"name": "v3", "height": v3_at.to_string(), "info": "for v3"},
            "done_upgrades": [{"name": "v2", "height": due.to_string()}],
            "module_versions": [
                {"name": "auth", "version": "1"},
                {"name": "bank", "version": "1"},
                {"name": "upgrade", "version": "2"},
            ],
        })
    );

    // Restarted from the export (with a binary whose own map differs: the export wins).
    let keeper = UpgradeKeeper::new(codec(), vec![("other".into(), 9)]);
    let mut restarted = Chain::from_state(keeper, &export, height + 1).unwrap();
    assert_eq!(restarted.export()["upgrade"], export["upgrade"]);
    assert_eq!(restarted.applied_height("v2"), due as i64);
    assert_eq!(
        restarted.current_plan(),
        Some(plan("v3", v3_at as i64, "for v3"))
    );
    assert_eq!(
        restarted.module_versions(),
        vec![
            ("auth".to_string(), 1),
            ("bank".to_string(), 1),
            ("upgrade".to_string(), 2)
        ]
    );

    // The imported plan still stops the chain at its height...
    while restarted.height() + 1 < v3_at {
        restarted.block();
    }
    let err = restarted.try_block().unwrap_err();
    assert!(err.is_halt(), "{err}");
    assert!(
        err.message.contains("UPGRADE \"v3\" NEEDED"),
        "{}",
        err.message
    );
    // ...and a binary with its handler applies it there.
    let mut restarted = restarted.reopen(v1_keeper().with_handler("v3", keep_versions));
    restarted.block();
    assert_eq!(restarted.applied_height("v3"), v3_at as i64);
    assert_eq!(restarted.current_plan(), None);
    // A done name from the imported history is refused.
    let next = restarted.height() as i64 + 5;
    let msg = restarted.msg_upgrade(0, Some(plan("v2", next, "")));
    restarted.fails(0, vec![msg], "upgrade", 108);
}

/// A change that makes a genesis document invalid.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn inconsistent_documents_are_refused() {
    let good = json!({
        "plan": {"name": "v3", "height": "100", "info": ""},
        "done_upgrades": [{"name": "v2", "height": "50"}],
        "module_versions": [{"name": "bank", "version": "2"}],
    });
    // The good one is accepted, with heights as numbers too.
    let chain = Chain::start(v1_keeper(), Some(good.clone()), 1).unwrap();
    assert_eq!(chain.current_plan(), Some(plan("v3", 100, "")));
    let mut numbers = good.clone();
    numbers["done_upgrades"][0]["height"] = json!(50);
    Chain::start(v1_keeper(), Some(numbers), 1).unwrap();

    let cases: Vec<(&str, Edit)> = vec![
        (
            "an empty done name",
            Box::new(|g| g["done_upgrades"][0]["name"] = json!("")),
        ),
        (
            "a done height of 0",
            Box::new(|g| g["done_upgrades"][0]["height"] = json!("0")),
        ),
        (
            "a done upgrade listed twice",
            Box::new(|g| {
                g["done_upgrades"] =
                    json!([{"name": "v2", "height": "5"}, {"name": "v2", "height": "6"}])
            }),
        ),
        (
            "a plan without name",
            Box::new(|g| g["plan"]["name"] = json!("")),
        ),
        (
            "a plan name too long",
            Box::new(|g| g["plan"]["name"] = json!("z".repeat(depin_upgrade::MAX_NAME_LEN + 1))),
        ),
        (
            "a plan at height 0",
            Box::new(|g| g["plan"]["height"] = json!("0")),
        ),
        (
            "a plan height beyond i64",
            Box::new(|g| g["plan"]["height"] = json!(u64::MAX.to_string())),
        ),
        (
            "a plan already done",
            Box::new(|g| g["plan"]["name"] = json!("v2")),
        ),
        (
            "an empty module name",
            Box::new(|g| g["module_versions"][0]["name"] = json!("")),
        ),
        (
            "a module listed twice",
            Box::new(|g| {
                g["module_versions"] =
                    json!([{"name": "a", "version": "1"}, {"name": "a", "version": "2"}])
            }),
        ),
        ("an unknown field", Box::new(|g| g["params"] = json!({}))),
        (
            "a negative height",
            Box::new(|g| g["done_upgrades"][0]["height"] = json!(-1)),
        ),
    ];
    for (what, edit) in cases {
        let mut doc = good.clone();
        edit(&mut doc);
        let err = match Chain::start(v1_keeper(), Some(doc), 1) {
            Ok(_) => panic!("a genesis with {what} was accepted"),
            Err(e) => e,
        };
        assert!(err.contains("invalid genesis"), "{what}: {err}");
        assert!(err.contains("codespace upgrade, code 100"), "{what}: {err}");
    }
}
