//! The upgrade itself: the chain stops at the plan's height when the binary does not know the
//! upgrade (nothing of that block is committed, `upgrade-info.json` tells cosmovisor), and a
//! node restarted on the same data with a binary that has the handler replays the block,
//! migrates and goes on. A binary that comes too early stops too.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use depin_app::module::Module;
use depin_upgrade::{UpgradeKeeper, UpgradeModule, VersionMap};

/// The module versions after the v2 migration: bank's state moves to version 2 and a new
/// module (market) starts at 1.
fn v2_versions() -> Vec<(String, u64)> {
    vec![
        ("auth".into(), 1),
        ("bank".into(), 2),
        ("market".into(), 1),
        ("upgrade".into(), 1),
    ]
}

/// The v2 migration: pays 5 M (minted) to account 2, so that its writes can be seen, and
/// records the version map it was given.
fn v2_handler(
    seen: Arc<Mutex<Option<VersionMap>>>,
) -> impl Fn(&mut Ctx<'_, '_>, &VersionMap) -> AppResult<VersionMap> + Send + Sync + 'static {
    let bank = bank_keeper();
    let to = codec().decode(&test_keys(3)[2].address).unwrap();
    move |ctx, versions| {
        *seen.lock().unwrap() = Some(versions.clone());
        let coins = [Coin::new(5 * M, DENOM)];
        bank.mint(ctx, "mint", &coins)?;
        bank.send_from_module(ctx, "mint", &to, &coins)?;
        let mut next = versions.clone();
        next.insert("bank".into(), 2);
        next.insert("market".into(), 1);
        Ok(next)
    }
}

fn v2_keeper(seen: Arc<Mutex<Option<VersionMap>>>) -> UpgradeKeeper {
    UpgradeKeeper::new(codec(), v2_versions()).with_handler("v2", v2_handler(seen))
}

#[test]
fn the_chain_halts_at_the_height_and_the_new_binary_migrates_and_goes_on() {
    let info_dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::with_keeper(v1_keeper().with_info_dir(info_dir.path()));
    let h = chain.height();
    let due = h + 4;
    let info = r#"{"binaries":{"linux/amd64":"https://example.org/depind-v2"}}"#;
    let msg = chain.msg_upgrade(0, Some(plan("v2", due as i64, info)));
    chain.ok(0, vec![msg]);
    while chain.height() + 1 < due {
        chain.block();
    }
    assert_eq!(chain.height(), due - 1);
    assert!(!info_dir.path().join("upgrade-info.json").exists());
    let hash = chain.app_hash();
    let export = chain.export();

    // The block at the height stops the chain, twice (CometBFT would replay it).
    for _ in 0..2 {
        let err = chain.try_block().unwrap_err();
        assert!(err.is_halt(), "{err}");
        assert!(
            err.message
                .contains(&format!("UPGRADE \"v2\" NEEDED at height: {due}: {info}")),
            "{}",
            err.message
        );
        assert_eq!(chain.height(), due - 1);
        assert_eq!(chain.app_hash(), hash);
        assert_eq!(chain.export(), export);
    }
    assert_eq!(chain.current_plan(), Some(plan("v2", due as i64, info)));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(info_dir.path().join("upgrade-info.json")).unwrap())
            .unwrap();
    assert_eq!(
        written,
        serde_json::json!({"name": "v2", "height": due, "info": info})
    );
    // The first binary's data dir holds no such file: it was told where to write.
    assert!(!chain.info_file().exists());

    // The operator installs the new binary, which opens the same data.
    let seen = Arc::new(Mutex::new(None));
    let mut chain = chain.reopen(v2_keeper(seen.clone()));
    assert_eq!(chain.height(), due - 1);
    assert_eq!(chain.app_hash(), hash);
    let before = chain.balance(2);
    chain.block();
    assert_eq!(chain.height(), due);
    assert_ne!(chain.app_hash(), hash);
    let applied = chain.events_of("upgrade_applied");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].get("module"), Some("upgrade"));
    assert_eq!(applied[0].get("name"), Some("v2"));
    assert_eq!(applied[0].get("height"), Some(due.to_string().as_str()));
    // The handler got the stored map, and its result is stored.
    let got: Vec<(String, u64)> = seen.lock().unwrap().clone().unwrap().into_iter().collect();
    assert_eq!(got, v1_versions());
    assert_eq!(chain.module_versions(), v2_versions());
    assert_eq!(chain.balance(2), before + 5 * M);
    assert_eq!(chain.applied_height("v2"), due as i64);
    assert_eq!(chain.current_plan(), None);

    // The chain goes on, and the handler does not run again.
    *seen.lock().unwrap() = None;
    chain.advance(3);
    assert_eq!(chain.height(), due + 3);
    assert!(seen.lock().unwrap().is_none());
    assert_eq!(chain.balance(2), before + 5 * M);

    // A done name cannot be planned again.
    let before = chain.export()["upgrade"].clone();
    let next = chain.height() as i64 + 10;
    let msg = chain.msg_upgrade(0, Some(plan("v2", next, "")));
    let log = chain.fails(0, vec![msg], "upgrade", 108);
    assert!(
        log.contains(&format!("already applied at height {due}")),
        "{log}"
    );
    assert_eq!(chain.export()["upgrade"], before);
    // A new name can.
    let msg = chain.msg_upgrade(0, Some(plan("v3", next, "")));
    chain.ok(0, vec![msg]);
    assert_eq!(chain.current_plan().unwrap().name, "v3");
}

#[test]
fn a_binary_with_the_handler_before_the_height_halts_until_the_old_one_gets_there() {
    let mut chain = Chain::new();
    let due = chain.height() + 5;
    let msg = chain.msg_upgrade(0, Some(plan("v2", due as i64, "")));
    chain.ok(0, vec![msg]);
    let hash = chain.app_hash();
    let height = chain.height();

    // Too early: the new binary refuses to run the old chain.
    let seen = Arc::new(Mutex::new(None));
    let info_dir = tempfile::tempdir().unwrap();
    let mut chain = chain.reopen(v2_keeper(seen.clone()).with_info_dir(info_dir.path()));
    let err = chain.try_block().unwrap_err();
    assert!(err.is_halt(), "{err}");
    assert!(
        err.message.contains("BINARY UPDATED BEFORE TRIGGER"),
        "{}",
        err.message
    );
    assert!(err.message.contains("\"v2\""), "{}", err.message);
    assert!(
        err.message.contains(&format!("height {due}")),
        "{}",
        err.message
    );
    assert_eq!((chain.height(), chain.app_hash()), (height, hash));
    assert!(seen.lock().unwrap().is_none());
    // Only a due upgrade is announced to cosmovisor.
    assert_eq!(std::fs::read_dir(info_dir.path()).unwrap().count(), 0);

    // Back to the old binary (no info directory: nothing is written), up to the halt.
    let mut chain = chain.reopen(v1_keeper());
    while chain.height() + 1 < due {
        chain.block();
    }
    let err = chain.try_block().unwrap_err();
    assert!(
        err.message.contains("UPGRADE \"v2\" NEEDED"),
        "{}",
        err.message
    );
    assert!(!chain.info_file().exists());
    let names: Vec<_> = std::fs::read_dir(chain.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("upgrade-info")),
        "{names:?}"
    );

    // Now the new one applies it.
    let mut chain = chain.reopen(v2_keeper(seen.clone()));
    chain.block();
    assert_eq!(chain.applied_height("v2"), due as i64);
    assert!(seen.lock().unwrap().is_some());
}

#[test]
fn a_cancelled_plan_neither_halts_nor_runs_its_handler() {
    let mut chain = Chain::new();
    let due = chain.height() + 3;
    let msg = chain.msg_upgrade(0, Some(plan("v2", due as i64, "")));
    chain.ok(0, vec![msg]);
    let cancel = chain.msg_cancel(0);
    chain.ok(0, vec![cancel]);
    chain.advance(4);
    assert!(chain.height() > due);
    assert_eq!(chain.applied_height("v2"), 0);
    // A binary with the handler of a cancelled upgrade runs the chain as before.
    let seen = Arc::new(Mutex::new(None));
    let mut chain = chain.reopen(v2_keeper(seen.clone()));
    chain.advance(2);
    assert!(seen.lock().unwrap().is_none());
    assert_eq!(chain.module_versions(), v1_versions());
}

/// What a test handler ends with.
type Outcome = fn() -> AppResult<VersionMap>;

/// A failing migration must leave no trace and must not read as a halt (the node stops
/// fatally, as the SDK panics): called here on a context, as the framework would.
#[test]
fn a_failing_handler_leaves_nothing_and_is_not_a_halt() {
    let mut chain = Chain::new();
    let due = chain.height() + 2;
    let msg = chain.msg_upgrade(0, Some(plan("bad", due as i64, "")));
    chain.ok(0, vec![msg]);
    assert_eq!(chain.height() + 1, due);

    let bank = bank_keeper();
    let failing = |result: Outcome| {
        let bank = bank.clone();
        UpgradeModule::new(UpgradeKeeper::new(codec(), v1_versions()).with_handler(
            "bad",
            move |ctx: &mut Ctx<'_, '_>, _: &VersionMap| {
                bank.mint(ctx, "mint", &[Coin::new(M, DENOM)])?;
                result()
            },
        ))
    };
    let cases: [(Outcome, u32, &str); 2] = [
        (
            || Err(AppError::halt("pretending to be a halt")),
            109,
            "pretending to be a halt",
        ),
        (
            || Ok([(String::new(), 1)].into_iter().collect()),
            110,
            "empty",
        ),
    ];
    for (result, code, says) in cases {
        let module = failing(result);
        chain.driver.with_ctx(|ctx| {
            assert_eq!(ctx.env.height, due);
            let err = module.begin_block(ctx).unwrap_err();
            assert!(!err.is_halt(), "{err}");
            assert_eq!(
                (err.codespace.as_str(), err.code),
                ("upgrade", code),
                "{err}"
            );
            assert!(err.message.contains("\"bad\""), "{err}");
            assert!(err.message.contains(says), "{err}");
            let keeper = module.keeper();
            assert_eq!(keeper.plan(ctx).unwrap().unwrap().name, "bad");
            assert_eq!(keeper.done_height(ctx, "bad").unwrap(), None);
            assert_eq!(bank.minted(ctx, DENOM).unwrap().u128(), 0);
            assert!(ctx.events().is_empty());
        });
    }

    // The same call with a working handler applies the upgrade on that context.
    let module = UpgradeModule::new(
        UpgradeKeeper::new(codec(), v1_versions())
            .with_handler("bad", |_: &mut Ctx<'_, '_>, v: &VersionMap| Ok(v.clone())),
    );
    chain.driver.with_ctx(|ctx| {
        module.begin_block(ctx).unwrap();
        assert_eq!(module.keeper().done_height(ctx, "bad").unwrap(), Some(due));
        assert_eq!(module.keeper().plan(ctx).unwrap(), None);
        assert_eq!(ctx.events().len(), 1);
    });
}
