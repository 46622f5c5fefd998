//! The keeper calls a slashing module makes (slash, jail, unjail), called directly on the
//! chain's latest state, and genesis files the module refuses.

mod common;

use std::sync::Arc;

use common::*;
use cosmwasm_std::{Decimal256, Uint128};
use depin_app::context::{Ctx, Env, ExecMode};
use depin_app::error::AppError;
use depin_app::store::{GasMeter, WorkingSet};

const M: u128 = 1_000_000;

/// Runs `f` in a block context over the chain's latest state (discarded afterwards).
fn in_block<T>(chain: &Chain, f: impl FnOnce(&mut Ctx<'_, '_>) -> T) -> T {
    let store = chain.driver.node().store();
    let mut ws = WorkingSet::new(store.latest_view().unwrap());
    let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
    let mut env = Env::new(CHAIN_ID, chain.height + 1, ExecMode::Block);
    env.time_seconds = chain.time + 5;
    let mut ctx = Ctx::new(&mut branch, &env);
    f(&mut ctx)
}

fn code(r: Result<impl std::fmt::Debug, AppError>) -> (String, u32) {
    let e = r.expect_err("the call should fail");
    (e.codespace, e.code)
}

#[test]
fn slash_jail_and_unjail_refuse_what_is_wrong() {
    let mut chain = Chain::new(&[100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 10 * M)]);
    let keeper = chain.keeper.clone();
    let cons = cons_address(0);
    let half: Decimal256 = "0.5".parse().unwrap();
    let next = chain.height + 1;
    in_block(&chain, |ctx| {
        let s = |c| (String::from("staking"), c);
        assert_eq!(
            code(keeper.slash(ctx, &cons, 1, 10, "1.5".parse().unwrap())),
            s(104)
        );
        assert_eq!(code(keeper.slash(ctx, &cons, next + 1, 10, half)), s(104));
        // Nobody at this address: nothing to slash.
        assert_eq!(
            keeper.slash(ctx, &[9; 20], 1, 10, half).unwrap(),
            Uint128::zero()
        );
        assert_eq!(code(keeper.jail(ctx, &[9; 20])), s(3));
        assert_eq!(code(keeper.unjail(ctx, &cons)), s(103));
        // Burns power × 10^6 × fraction from the bonded pool.
        assert_eq!(
            keeper.slash(ctx, &cons, next, 10, half).unwrap(),
            Uint128::new(5 * M)
        );
        assert_eq!(
            keeper.pool_balances(ctx).unwrap(),
            (Uint128::new(5 * M), Uint128::zero())
        );
        keeper.jail(ctx, &cons).unwrap();
        assert_eq!(code(keeper.jail(ctx, &cons)), s(7));
        let v = keeper
            .validator_by_consensus_address(ctx, &cons)
            .unwrap()
            .unwrap();
        assert!(v.jailed);
        assert_eq!(v.tokens, Uint128::new(5 * M));
        keeper.unjail(ctx, &cons).unwrap();
        // A fraction of zero, or a power of zero, burns nothing.
        assert!(keeper
            .slash(ctx, &cons, next, 10, Decimal256::zero())
            .unwrap()
            .is_zero());
        assert!(keeper.slash(ctx, &cons, next, 0, half).unwrap().is_zero());
    });
}

#[test]
fn hooks_are_called_for_every_change() {
    use depin_app::error::AppResult;
    use depin_staking::StakingHooks;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Log(Mutex<Vec<&'static str>>);
    struct Recorder(Arc<Log>);
    impl Recorder {
        fn push(&self, what: &'static str) -> AppResult<()> {
            self.0 .0.lock().unwrap().push(what);
            Ok(())
        }
    }
    impl StakingHooks for Recorder {
        fn after_validator_created(&self, _: &mut Ctx<'_, '_>, _: &[u8]) -> AppResult<()> {
            self.push("validator_created")
        }
        fn after_validator_bonded(&self, _: &mut Ctx<'_, '_>, _: &[u8], _: &[u8]) -> AppResult<()> {
            self.push("validator_bonded")
        }
        fn after_validator_begin_unbonding(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &[u8],
        ) -> AppResult<()> {
            self.push("validator_begin_unbonding")
        }
        fn before_delegation_created(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &[u8],
        ) -> AppResult<()> {
            self.push("delegation_created")
        }
        fn before_delegation_shares_modified(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &[u8],
        ) -> AppResult<()> {
            self.push("shares_modified")
        }
        fn before_delegation_removed(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &[u8],
        ) -> AppResult<()> {
            self.push("delegation_removed")
        }
        fn after_delegation_modified(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: &[u8],
        ) -> AppResult<()> {
            self.push("delegation_modified")
        }
        fn before_validator_slashed(
            &self,
            _: &mut Ctx<'_, '_>,
            _: &[u8],
            _: Decimal256,
        ) -> AppResult<()> {
            self.push("validator_slashed")
        }
    }

    let mut chain = Chain::new(&[100 * M, 100 * M], test_params(10));
    let log = Arc::new(Log::default());
    chain.keeper.set_hooks(Recorder(log.clone())).unwrap();
    assert!(
        chain.keeper.set_hooks(depin_staking::NoHooks).is_err(),
        "hooks are set once"
    );
    let take = || std::mem::take(&mut *log.0.lock().unwrap());

    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    assert_eq!(
        take(),
        [
            "validator_created",
            "delegation_created",
            "delegation_modified",
            "validator_bonded"
        ]
    );
    chain.ok(1, vec![chain.msg_delegate(1, 0, M)]);
    chain.ok(1, vec![chain.msg_undelegate(1, 0, M)]);
    assert_eq!(
        take(),
        [
            "delegation_created",
            "delegation_modified",
            "shares_modified",
            "delegation_removed"
        ]
    );
    chain.evidence(0, chain.height, 5);
    assert_eq!(take(), ["validator_slashed", "validator_begin_unbonding"]);
}

#[test]
fn genesis_refuses_inconsistent_state() {
    let keys = test_keys(1);
    let init = |state: serde_json::Value| {
        let (app, _) = build_app();
        let dir = tempfile::tempdir().unwrap();
        let mut driver = depin_app::driver::InProcess::open(
            Arc::new(app),
            dir.path(),
            depin_app::node::NodeConfig::default(),
        )
        .unwrap();
        driver.init_chain(CHAIN_ID, &state).map(|_| ())
    };
    let base = app_state(&keys, &[100 * M], &test_params(10));
    assert!(init(base.clone()).is_ok());

    let mut bad = base.clone();
    bad["staking"]["params"]["max_validators"] = 0.into();
    let err = init(bad).unwrap_err();
    assert!(err.contains("max_validators must be positive"), "{err}");

    let mut bad = base.clone();
    bad["staking"]["last_validator_powers"] =
        serde_json::json!([{"address": "depinvaloper1xyz", "power": "1"}]);
    let err = init(bad).unwrap_err();
    assert!(err.contains("exported"), "{err}");

    let mut bad = base.clone();
    bad["staking"]["delegations"] = serde_json::json!([{
        "delegator_address": keys[0].address,
        "validator_address": depin_app::address::AddressCodec::new("depinvaloper")
            .encode(&[1; 20]),
        "shares": "1.0",
    }]);
    let err = init(bad).unwrap_err();
    assert!(err.contains("no such validator"), "{err}");

    let mut bad = base;
    bad["staking"]["unknown_field"] = 1.into();
    assert!(init(bad).is_err());
}
