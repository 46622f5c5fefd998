//! Genesis export → import round trip, refused documents, the keeper API other modules call,
//! and the wire forms clients see (JSON of the REST gateway, REST routes).

mod common;

use std::sync::Arc;

use common::*;
use depin_app::context::Ctx;
use depin_app::store::GasMeter;
use depin_distribution::{DecCoins, FundSource};

/// A chain with some history: delegations, fees, a slash (with rewards after it), a withdraw
/// address, a funded community pool, a withdrawn commission.
fn busy_chain() -> Chain {
    let mut c = Chain::new(&[1_000 * M; 5]);
    let a = c.msg_create_validator(0, 10 * M, "0.1");
    c.ok(0, vec![a]);
    let b = c.msg_create_validator(1, 30 * M, "0.05");
    c.ok(1, vec![b]);
    let d = c.msg_delegate(2, 0, 7 * M);
    c.ok(2, vec![d]);
    let d = c.msg_delegate(3, 1, 3 * M);
    c.ok(3, vec![d]);
    c.pay_fees(4, 1_234_567);
    let to = c.address(4);
    let m = c.msg_set_withdraw_address(3, &to);
    c.ok(3, vec![m]);
    let h = c.height();
    c.evidence(0, h, 17);
    c.extra_votes = vec![(0, 8)];
    c.pay_fees(4, 987_653);
    c.block();
    c.extra_votes.clear();
    let m = c.msg_fund(4, vec![coin(4_321).unwrap()]);
    c.ok(4, vec![m]);
    let m = c.msg_withdraw_commission(1);
    c.ok(1, vec![m]);
    c.block();
    c
}

#[test]
fn export_then_import_reproduces_the_export() {
    let c = busy_chain();
    let export = c.export();
    let dist = &export["distribution"];
    assert!(!dist["validator_slash_events"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!dist["delegator_starting_infos"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!dist["fee_pool"]["community_pool"]
        .as_array()
        .unwrap()
        .is_empty());
    let height = c.height();
    let keys = test_keys(5);
    let restarted = Chain::with_state(keys, &export, None, height + 1).unwrap();
    let again = restarted.export();
    assert_eq!(again["distribution"], export["distribution"]);
    // Rewards owed are the same on both chains.
    assert_eq!(restarted.rewards(2, 0), c.rewards(2, 0));
    assert_eq!(restarted.rewards(3, 1), c.rewards(3, 1));
}

fn refused(mut export: serde_json::Value, edit: impl FnOnce(&mut serde_json::Value), what: &str) {
    edit(&mut export["distribution"]);
    let err = match Chain::with_state(test_keys(5), &export, None, 1000) {
        Ok(_) => panic!("a genesis with {what} was accepted"),
        Err(e) => e,
    };
    assert!(err.contains("invalid genesis"), "{what}: {err}");
}

#[test]
fn inconsistent_documents_are_refused() {
    let c = busy_chain();
    let export = c.export();
    refused(
        export.clone(),
        |d| {
            let n = d["validator_historical_rewards"][0]["rewards"]["reference_count"]
                .as_u64()
                .unwrap();
            d["validator_historical_rewards"][0]["rewards"]["reference_count"] = (n + 1).into();
        },
        "a wrong reference count",
    );
    refused(
        export.clone(),
        |d| {
            d["fee_pool"]["community_pool"][0]["amount"] = "999999999.0".into();
        },
        "a community pool the module account does not hold",
    );
    refused(
        export.clone(),
        |d| {
            let v = d["validator_current_rewards"].as_array_mut().unwrap();
            v.remove(0);
        },
        "records of a validator without current rewards",
    );
    refused(
        export.clone(),
        |d| {
            let infos = d["delegator_withdraw_infos"].as_array_mut().unwrap();
            let first = infos[0].clone();
            infos.push(first);
        },
        "a withdraw address listed twice",
    );
    refused(
        export.clone(),
        |d| {
            d["validator_slash_events"][0]["validator_slash_event"]["fraction"] = "1.5".into();
        },
        "a slash fraction above 1",
    );
    refused(
        export.clone(),
        |d| {
            d["params"]["community_tax"] = "2.0".into();
        },
        "a community tax above 1",
    );
    refused(
        export,
        |d| {
            d["unknown_field"] = 1.into();
        },
        "an unknown field",
    );
}

#[test]
fn other_modules_fund_the_community_pool() {
    let c = busy_chain();
    let before = c.with_latest(|_, ws, env| {
        let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
        let mut ctx = Ctx::new(&mut branch, env);
        c.keepers.distribution.community_pool(&mut ctx).unwrap()
    });
    c.with_latest(|app, ws, env| {
        {
            let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
            let mut ctx = Ctx::new(&mut branch, env);
            let coins = vec![depin_app::coins::Coin::new(5_000, DENOM)];
            c.keepers.bank.mint(&mut ctx, "mint", &coins).unwrap();
            let k = &c.keepers.distribution;
            k.fund_community_pool(&mut ctx, &FundSource::Module("mint".into()), &coins)
                .unwrap();
            // Refused: nothing, or more than the module holds.
            assert!(k
                .fund_community_pool(&mut ctx, &FundSource::Module("mint".into()), &[])
                .is_err());
            assert!(k
                .fund_community_pool(&mut ctx, &FundSource::Module("mint".into()), &coins)
                .is_err());
            let after = k.community_pool(&mut ctx).unwrap();
            assert_eq!(after, before.add(&DecCoins::from_coins(&coins)).unwrap());
            branch.commit().unwrap();
        }
        let broken = app.check_invariants(ws, env);
        assert!(broken.is_empty(), "{broken:?}");
    });
}

#[test]
fn clients_see_the_sdk_forms() {
    let c = busy_chain();
    let resp = c.driver.query(
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        Vec::new(),
    );
    let json = depin_app::rest::message_json(
        "cosmos.distribution.v1beta1.QueryCommunityPoolResponse",
        &resp.value,
    )
    .unwrap();
    let amount = json["pool"][0]["amount"].as_str().unwrap();
    assert!(
        amount.len() > 19 && amount.as_bytes()[amount.len() - 19] == b'.',
        "an 18-place decimal: {amount}"
    );
    let params = depin_app::rest::message_json(
        "cosmos.distribution.v1beta1.QueryParamsResponse",
        &c.driver
            .query("/cosmos.distribution.v1beta1.Query/Params", Vec::new())
            .value,
    )
    .unwrap();
    assert_eq!(params["params"]["community_tax"], "0.020000000000000000");
    assert_eq!(params["params"]["withdraw_addr_enabled"], true);

    let pool = prost_reflect::DescriptorPool::decode(depin_proto::FILE_DESCRIPTOR_SET).unwrap();
    let routes = depin_app::rest::routes(&pool).unwrap();
    for template in [
        "/cosmos/distribution/v1beta1/params",
        "/cosmos/distribution/v1beta1/validators/{validator_address}",
        "/cosmos/distribution/v1beta1/validators/{validator_address}/outstanding_rewards",
        "/cosmos/distribution/v1beta1/validators/{validator_address}/commission",
        "/cosmos/distribution/v1beta1/validators/{validator_address}/slashes",
        "/cosmos/distribution/v1beta1/delegators/{delegator_address}/rewards/{validator_address}",
        "/cosmos/distribution/v1beta1/delegators/{delegator_address}/rewards",
        "/cosmos/distribution/v1beta1/delegators/{delegator_address}/validators",
        "/cosmos/distribution/v1beta1/delegators/{delegator_address}/withdraw_address",
        "/cosmos/distribution/v1beta1/community_pool",
    ] {
        assert!(
            routes.iter().any(|r| r.template == template),
            "no route {template}"
        );
    }
    // Every message type this module handles resolves through reflection.
    for name in [
        "MsgSetWithdrawAddress",
        "MsgWithdrawDelegatorReward",
        "MsgWithdrawValidatorCommission",
        "MsgFundCommunityPool",
        "MsgUpdateParams",
        "MsgCommunityPoolSpend",
        "GenesisState",
    ] {
        assert!(pool
            .get_message_by_name(&format!("cosmos.distribution.v1beta1.{name}"))
            .is_some());
    }
}
