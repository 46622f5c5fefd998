//! `MultiHooks` fan-out and the bonded hook, on a bare store.

use std::sync::{Arc, Mutex};

use depin_app::context::{Ctx, Env, ExecMode};
use depin_app::error::{AppError, AppResult};
use depin_app::store::{GasMeter, Store, StoreConfig, WorkingSet};
use depin_slashing::keeper::SlashingHooks;
use depin_slashing::state::{SigningInfo, PREFIX, SIGNING_INFOS};
use depin_staking::MultiHooks;
use depin_staking::StakingHooks;

/// Records the calls it gets; fails them when `fail` is set.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    fail: bool,
}

impl StakingHooks for Recorder {
    fn after_validator_bonded(
        &self,
        _: &mut Ctx<'_, '_>,
        consensus: &[u8],
        _: &[u8],
    ) -> AppResult<()> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} bonded {}", self.name, consensus[0]));
        if self.fail {
            return Err(AppError::new("test", 1, "refused"));
        }
        Ok(())
    }
    fn after_delegation_modified(
        &self,
        _: &mut Ctx<'_, '_>,
        delegator: &[u8],
        _: &[u8],
    ) -> AppResult<()> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} delegation {}", self.name, delegator[0]));
        Ok(())
    }
}

fn with_ctx<T>(height: u64, f: impl FnOnce(&mut Ctx<'_, '_>) -> T) -> T {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
    let mut ws = WorkingSet::new(store.latest_view().unwrap());
    let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
    let env = Env::new("hooks-1", height, ExecMode::Block);
    let mut ctx = Ctx::new(&mut branch, &env);
    f(&mut ctx)
}

#[test]
fn multi_hooks_call_every_member_in_order_until_one_fails() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let rec = |name, fail| Recorder {
        name,
        log: log.clone(),
        fail,
    };
    let hooks = MultiHooks::new()
        .with(rec("a", false))
        .with(rec("b", true))
        .with(rec("c", false));
    with_ctx(5, |ctx| {
        hooks.after_delegation_modified(ctx, &[1], &[2]).unwrap();
        let err = hooks.after_validator_bonded(ctx, &[7], &[8]).unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("test", 1));
        // Methods no member implements do nothing.
        hooks.after_validator_created(ctx, &[1]).unwrap();
    });
    assert_eq!(
        *log.lock().unwrap(),
        [
            "a delegation 1",
            "b delegation 1",
            "c delegation 1",
            "a bonded 7",
            "b bonded 7"
        ]
    );
}

#[test]
fn bonding_creates_a_signing_info_or_restarts_its_window() {
    with_ctx(9, |ctx| {
        let hooks = SlashingHooks;
        hooks
            .after_validator_bonded(ctx, &[1; 20], &[2; 20])
            .unwrap();
        let info = SIGNING_INFOS
            .load(&ctx.storage(PREFIX), &[1u8; 20])
            .unwrap();
        assert_eq!(info, SigningInfo::new(9));
        let old = SigningInfo {
            start_height: 3,
            index_offset: 4,
            missed_blocks_counter: 0,
            tombstoned: true,
            ..Default::default()
        };
        SIGNING_INFOS
            .save(&mut ctx.storage(PREFIX), &[3u8; 20], &old)
            .unwrap();
        hooks
            .after_validator_bonded(ctx, &[3; 20], &[4; 20])
            .unwrap();
        let info = SIGNING_INFOS
            .load(&ctx.storage(PREFIX), &[3u8; 20])
            .unwrap();
        assert_eq!(
            info,
            SigningInfo {
                start_height: 9,
                ..old
            }
        );
    });
}
