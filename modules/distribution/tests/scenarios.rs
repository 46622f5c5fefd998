//! Scenarios through the in-process driver: allocation by votes, commission, withdrawals,
//! staking changes that withdraw, slashes, validator removal, and every error path.

mod common;

use common::*;
use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
use depin_app::address::{module_address, AddressCodec};

const PATH: &str = "/cosmos.distribution.v1beta1.Query/";

/// Accounts 0 and 1 run validators A (10M, 10% commission) and B (30M, 20%); 2 and 3 are
/// delegators; 4 pays fees. Ends with both bonded.
fn two_validators() -> Chain {
    two_validators_with(depin_distribution::Params::default())
}

fn two_validators_with(params: depin_distribution::Params) -> Chain {
    let mut c = Chain::with_params(&[1_000 * M; 5], params);
    let a = c.msg_create_validator(0, 10 * M, "0.1");
    c.ok(0, vec![a]);
    let b = c.msg_create_validator(1, 30 * M, "0.2");
    c.ok(1, vec![b]);
    c.block();
    c
}

fn attr(e: &depin_app::context::Event, key: &str) -> String {
    e.get(key).unwrap_or_default().to_string()
}

#[test]
fn fees_are_split_by_power_with_tax_and_commission() {
    let mut c = two_validators();
    assert!(c.community_pool().is_empty());
    c.pay_fees(4, M);
    assert_eq!(c.module_balance(depin_auth::FEE_COLLECTOR), M);
    c.block();
    // 2% to the pool; A has power 10 of 40, B 30 of 40.
    assert_eq!(c.module_balance(depin_auth::FEE_COLLECTOR), 0);
    assert_eq!(c.module_balance("distribution"), M);
    assert_eq!(atomics(&c.community_pool()), dec_units(20_000));
    assert_eq!(atomics(&c.outstanding(0)), dec_units(245_000));
    assert_eq!(atomics(&c.outstanding(1)), dec_units(735_000));
    assert_eq!(atomics(&c.commission(0)), dec_units(24_500));
    assert_eq!(atomics(&c.commission(1)), dec_units(147_000));
    // The operators' self delegations get the rest.
    assert_eq!(c.rewards_whole(0, 0), 220_500);
    assert_eq!(c.rewards_whole(1, 1), 588_000);
    let rewards = c.events_of("rewards");
    assert_eq!(rewards.len(), 2);
    assert!(rewards.iter().any(|e| attr(e, "validator") == c.operator(0)
        && attr(e, "amount") == "245000.000000000000000000udepin"));
    let commission = c.events_of("commission");
    assert!(commission
        .iter()
        .any(|e| attr(e, "validator") == c.operator(1)
            && attr(e, "amount") == "147000.000000000000000000udepin"));

    // SDK v0.50: a validator that did not sign the last block is paid all the same.
    c.offline.insert(1);
    c.pay_fees(4, M);
    c.block();
    assert_eq!(atomics(&c.outstanding(1)), dec_units(2 * 735_000));
    assert_eq!(atomics(&c.community_pool()), dec_units(40_000));
}

#[test]
fn fees_without_votes_go_to_the_community_pool() {
    let mut c = two_validators();
    c.pay_fees(4, 777);
    // A block without a last commit (the driver's plain block).
    c.driver.block(Vec::new());
    c.assert_invariants();
    assert_eq!(atomics(&c.community_pool()), dec_units(777));
    assert!(c.outstanding(0).is_empty());
}

#[test]
fn delegator_withdraws_to_its_withdraw_address() {
    let mut c = two_validators();
    let d = c.msg_delegate(2, 0, 10 * M);
    c.ok(2, vec![d]);
    c.pay_fees(4, M);
    c.block();
    // A: power 20 of 50 → 392,000; 10% commission; the rest halves between 0 and 2.
    assert_eq!(atomics(&c.outstanding(0)), dec_units(392_000));
    assert_eq!(c.rewards_whole(2, 0), 176_400);
    assert_eq!(c.rewards_whole(0, 0), 176_400);

    let to = c.address(3);
    let msg = c.msg_set_withdraw_address(2, &to);
    c.ok(2, vec![msg]);
    let ev = c.events_of("set_withdraw_address");
    assert_eq!(attr(&ev[0], "withdraw_address"), to);
    let resp: dpb::QueryDelegatorWithdrawAddressResponse = c.query(
        &format!("{PATH}DelegatorWithdrawAddress"),
        dpb::QueryDelegatorWithdrawAddressRequest {
            delegator_address: c.address(2),
        },
    );
    assert_eq!(resp.withdraw_address, to);

    let (before2, before3) = (c.balance(2), c.balance(3));
    let msg = c.msg_withdraw(2, 0);
    let r = c.ok(2, vec![msg]);
    assert_eq!(c.balance(3), before3 + 176_400);
    assert_eq!(c.balance(2), before2);
    let resp = dpb::MsgWithdrawDelegatorRewardResponse::decode(
        cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref())
            .unwrap()
            .msg_responses[0]
            .value
            .as_slice(),
    )
    .unwrap();
    assert_eq!(resp.amount[0].amount, "176400");
    let ev = c.events_of("withdraw_rewards");
    assert_eq!(attr(&ev[0], "amount"), "176400udepin");
    assert_eq!(attr(&ev[0], "delegator"), c.address(2));
    assert_eq!(attr(&ev[0], "validator"), c.operator(0));
    assert!(c.rewards(2, 0).is_empty());

    // Nothing left: a second withdrawal pays nothing and says so.
    let msg = c.msg_withdraw(2, 0);
    c.ok(2, vec![msg]);
    let ev = c.events_of("withdraw_rewards");
    assert_eq!(attr(&ev[0], "amount"), "0udepin");

    // Back to itself.
    let own = c.address(2);
    let msg = c.msg_set_withdraw_address(2, &own);
    c.ok(2, vec![msg]);
    let export = c.export();
    assert!(export["distribution"]["delegator_withdraw_infos"]
        .as_array()
        .unwrap()
        .is_empty());
}

use prost::Message;

#[test]
fn commission_is_withdrawn_once() {
    let mut c = two_validators();
    c.pay_fees(4, M);
    c.block();
    let before = c.balance(0);
    let msg = c.msg_withdraw_commission(0);
    c.ok(0, vec![msg]);
    assert_eq!(c.balance(0), before + 24_500);
    let ev = c.events_of("withdraw_commission");
    assert_eq!(attr(&ev[0], "amount"), "24500udepin");
    assert!(c.commission(0).is_empty());
    assert_eq!(atomics(&c.outstanding(0)), dec_units(245_000 - 24_500));
    let msg = c.msg_withdraw_commission(0);
    c.fails(0, vec![msg], "distribution", 7);
}

#[test]
fn staking_changes_withdraw_first() {
    let mut c = two_validators();
    let d = c.msg_delegate(2, 0, 10 * M);
    c.ok(2, vec![d]);
    c.pay_fees(4, M);
    c.block();

    // Delegating more pays the 176,400 pending first.
    let before = c.balance(2);
    let d = c.msg_delegate(2, 0, M);
    c.ok(2, vec![d]);
    assert_eq!(c.balance(2), before - M + 176_400);
    let ev = c.events_of("withdraw_rewards");
    assert_eq!(attr(&ev[0], "amount"), "176400udepin");
    assert!(c.rewards(2, 0).is_empty());

    // A: 21 of 51; the delegator holds 11 of A's 21.
    c.pay_fees(4, M);
    c.block();
    assert_eq!(c.rewards_whole(2, 0), 190_235);
    let before = c.balance(2);
    let u = c.msg_undelegate(2, 0, M);
    c.ok(2, vec![u]);
    assert_eq!(c.balance(2), before + 190_235);

    // A redelegation withdraws at the source; the destination starts from zero.
    c.pay_fees(4, M);
    c.block();
    let pending = c.rewards_whole(2, 0);
    assert!(pending > 0);
    let before = c.balance(2);
    let r = c.msg_redelegate(2, 0, 1, 5 * M);
    c.ok(2, vec![r]);
    assert_eq!(c.balance(2), before + pending);
    assert!(c.rewards(2, 0).is_empty());
    assert!(c.rewards(2, 1).is_empty());
    let resp: dpb::QueryDelegatorValidatorsResponse = c.query(
        &format!("{PATH}DelegatorValidators"),
        dpb::QueryDelegatorValidatorsRequest {
            delegator_address: c.address(2),
        },
    );
    let mut want = vec![c.operator(0), c.operator(1)];
    want.sort_by_key(|v| c.keepers.staking.operator_codec().decode(v).unwrap());
    assert_eq!(resp.validators, want);
    c.pay_fees(4, M);
    c.block();
    let total: dpb::QueryDelegationTotalRewardsResponse = c.query(
        &format!("{PATH}DelegationTotalRewards"),
        dpb::QueryDelegationTotalRewardsRequest {
            delegator_address: c.address(2),
        },
    );
    assert_eq!(total.rewards.len(), 2);
    let sum: u128 = total
        .rewards
        .iter()
        .map(|r| {
            r.reward
                .iter()
                .map(|c| c.amount.parse::<u128>().unwrap())
                .sum::<u128>()
        })
        .sum();
    assert_eq!(sum, total.total[0].amount.parse::<u128>().unwrap());
}

#[test]
fn a_slash_between_withdrawals_cuts_later_rewards_only() {
    let mut c = two_validators();
    let d = c.msg_delegate(2, 0, 10 * M);
    c.ok(2, vec![d]);
    c.pay_fees(4, M);
    c.block();
    assert_eq!(c.rewards_whole(2, 0), 176_400);

    // Double signing: half of A's 20M burnt (and A jailed for good).
    let h = c.height();
    c.evidence(0, h, 20);
    assert_eq!(
        c.keepers_tokens(0),
        10 * M,
        "the slash took half of A's tokens"
    );
    let slashes: dpb::QueryValidatorSlashesResponse = c.query(
        &format!("{PATH}ValidatorSlashes"),
        dpb::QueryValidatorSlashesRequest {
            validator_address: c.operator(0),
            starting_height: 1,
            ending_height: c.height(),
            pagination: None,
        },
    );
    assert_eq!(slashes.slashes.len(), 1);
    assert_eq!(slashes.slashes[0].fraction, "500000000000000000");
    // Earned before the slash: untouched.
    assert_eq!(c.rewards_whole(2, 0), 176_400);

    // Rewards after the slash are shared by the stake that is left (5M each of 10M).
    c.extra_votes = vec![(0, 10)];
    c.pay_fees(4, M);
    c.block();
    c.extra_votes.clear();
    // A: 10 of 40 → 245,000; commission 24,500; 220,500 for 10M tokens; the delegator's
    // 5M get 110,250.
    assert_eq!(c.rewards_whole(2, 0), 176_400 + 110_250);
    let before = c.balance(2);
    let msg = c.msg_withdraw(2, 0);
    c.ok(2, vec![msg]);
    assert_eq!(c.balance(2), before + 286_650);

    // Height range filters: the slash is recorded at the height of the block that
    // handled the evidence (h + 1).
    let none: dpb::QueryValidatorSlashesResponse = c.query(
        &format!("{PATH}ValidatorSlashes"),
        dpb::QueryValidatorSlashesRequest {
            validator_address: c.operator(0),
            starting_height: h + 2,
            ending_height: c.height(),
            pagination: None,
        },
    );
    assert!(none.slashes.is_empty());
}

/// Evidence carries the power the validator had at the infraction, which may be more than its
/// tokens now (a downtime slash in between): more than `fraction` of today's tokens burns.
/// Staking then reports the fraction actually burned, so distribution never counts stake a
/// delegation no longer has, and its delegators can still withdraw and leave.
#[test]
fn a_slash_for_a_higher_past_power_keeps_delegators_whole() {
    let mut c = two_validators();
    let d = c.msg_delegate(2, 0, 10 * M);
    c.ok(2, vec![d]);
    c.pay_fees(4, M);
    c.block();
    let h = c.height();
    assert_eq!(c.keepers_tokens(0), 20 * M);
    // Reported at power 30: 50% of 30M = 15M burned of 20M, 75% of the tokens.
    c.evidence(0, h, 30);
    assert_eq!(c.keepers_tokens(0), 5 * M);
    let slashes: dpb::QueryValidatorSlashesResponse = c.query(
        &format!("{PATH}ValidatorSlashes"),
        dpb::QueryValidatorSlashesRequest {
            validator_address: c.operator(0),
            starting_height: 1,
            ending_height: c.height(),
            pagination: None,
        },
    );
    assert_eq!(slashes.slashes[0].fraction, "750000000000000000");
    c.pay_fees(4, M);
    c.block();
    let before = c.balance(2);
    let msg = c.msg_withdraw(2, 0);
    c.ok(2, vec![msg]);
    assert!(c.balance(2) > before);
    // The delegation is worth 2.5M now; leaving works too.
    let msg = c.msg_undelegate(2, 0, 2_500_000);
    c.ok(2, vec![msg]);
}

impl Chain {
    fn keepers_tokens(&self, i: usize) -> u128 {
        let resp: cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Validator",
            cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorRequest {
                validator_addr: self.operator(i),
            },
        );
        resp.validator.unwrap().tokens.parse().unwrap()
    }
}

#[test]
fn a_removed_validator_pays_its_commission_and_leaves_dust_to_the_pool() {
    let mut c = two_validators();
    // Odd amounts so that the commission and rewards have decimals.
    c.pay_fees(4, 999_999);
    c.block();
    let commission = atomics(&c.commission(0));
    assert!(
        commission % dec_units(1) != 0,
        "the commission has decimals"
    );
    let pool_before = atomics(&c.community_pool());
    let rewards = c.rewards_whole(0, 0);
    let before = c.balance(0);
    let u = c.msg_undelegate(0, 0, 10 * M);
    c.ok(0, vec![u]);
    assert_eq!(c.balance(0), before + rewards);
    // Unbonding takes 60 s; the validator goes with its last shares once unbonded.
    let before = c.balance(0);
    c.advance(14);
    let (codespace, code) = c.query_err(
        &format!("{PATH}ValidatorOutstandingRewards"),
        dpb::QueryValidatorOutstandingRewardsRequest {
            validator_address: c.operator(0),
        },
    );
    assert_eq!((codespace.as_str(), code), ("distribution", 12));
    // The whole commission and the 10M unbonded came back.
    assert_eq!(c.balance(0), before + commission / dec_units(1) + 10 * M);
    assert!(atomics(&c.community_pool()) > pool_before);
    let export = c.export();
    let dist = &export["distribution"];
    for key in [
        "outstanding_rewards",
        "validator_accumulated_commissions",
        "validator_current_rewards",
    ] {
        assert_eq!(dist[key].as_array().unwrap().len(), 1, "{key}");
    }
}

#[test]
fn refused_messages_change_nothing() {
    let authority = AddressCodec::new(PREFIX)
        .decode(&test_keys(5)[0].address)
        .unwrap();
    let keys = test_keys(5);
    let state = app_state(&keys, &[1_000 * M; 5], Default::default());
    let mut c = Chain::with_state(keys, &state, Some(authority), 1).unwrap();
    let a = c.msg_create_validator(0, 10 * M, "0.1");
    c.ok(0, vec![a]);
    c.pay_fees(4, M);
    c.block();
    let before = c.export()["distribution"].clone();

    // No delegation, no validator, no commission.
    let m = c.msg_withdraw(3, 0);
    c.fails(3, vec![m], "distribution", 5);
    let m = c.msg_withdraw(3, 3);
    c.fails(3, vec![m], "distribution", 6);
    let m = c.msg_withdraw_commission(3);
    c.fails(3, vec![m], "distribution", 7);
    // A module account may not receive rewards.
    let fee_collector = AddressCodec::new(PREFIX).encode(&module_address("fee_collector"));
    let m = c.msg_set_withdraw_address(3, &fee_collector);
    c.fails(3, vec![m], "sdk", 4);
    let m = c.msg_set_withdraw_address(3, "cosmos1notours");
    c.fails(3, vec![m], "sdk", 7);

    // Coins: zero, none, unsorted, more than held.
    let zero = vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: DENOM.into(),
        amount: "0".into(),
    }];
    let m = c.msg_fund(3, zero);
    c.fails(3, vec![m], "sdk", 10);
    let m = c.msg_fund(3, Vec::new());
    c.fails(3, vec![m], "sdk", 10);
    let unsorted = vec![
        coin(1)
            .map(|mut c| {
                c.denom = "uzzz".into();
                c
            })
            .unwrap(),
        coin(1).unwrap(),
    ];
    let m = c.msg_fund(3, unsorted);
    c.fails(3, vec![m], "sdk", 10);
    let m = c.msg_fund(3, vec![coin(10_000 * M).unwrap()]);
    c.fails(3, vec![m], "sdk", 5);

    // Params and spends: only the authority (account 0 here).
    let mut params = depin_distribution::Params::default().to_proto();
    let update = |authority: String, params: Option<dpb::Params>| {
        any(
            depin_distribution::msgs::MSG_UPDATE_PARAMS,
            dpb::MsgUpdateParams { authority, params },
        )
    };
    let m = update(c.address(3), Some(params.clone()));
    c.fails(3, vec![m], "sdk", 4);
    let m = update(c.address(0), None);
    c.fails(0, vec![m], "distribution", 102);
    params.community_tax = dec_proto("1.5");
    let m = update(c.address(0), Some(params.clone()));
    c.fails(0, vec![m], "distribution", 101);
    let spend = |authority: String, recipient: String, amount: u128| {
        any(
            depin_distribution::msgs::MSG_COMMUNITY_POOL_SPEND,
            dpb::MsgCommunityPoolSpend {
                authority,
                recipient,
                amount: vec![coin(amount).unwrap()],
            },
        )
    };
    let m = spend(c.address(3), c.address(3), 1);
    c.fails(3, vec![m], "sdk", 4);
    let m = spend(c.address(0), c.address(3), 20_001);
    c.fails(0, vec![m], "distribution", 9);
    let m = spend(c.address(0), fee_collector.clone(), 1);
    c.fails(0, vec![m], "sdk", 4);
    assert_eq!(c.export()["distribution"], before, "refusals changed state");

    // The authority's own messages go through.
    let b = c.balance(3);
    let m = spend(c.address(0), c.address(3), 20_000);
    c.ok(0, vec![m]);
    assert_eq!(c.balance(3), b + 20_000);
    assert!(c.community_pool().is_empty());
    params.community_tax = dec_proto("0.5");
    params.withdraw_addr_enabled = false;
    let m = update(c.address(0), Some(params));
    c.ok(0, vec![m]);
    let to = c.address(2);
    let m = c.msg_set_withdraw_address(3, &to);
    c.fails(3, vec![m], "distribution", 8);
    let m = c.msg_fund(3, vec![coin(1_234).unwrap()]);
    c.ok(3, vec![m]);
    assert_eq!(atomics(&c.community_pool()), dec_units(1_234));
}

#[test]
fn queries_refuse_bad_requests() {
    let mut c = two_validators();
    c.block();
    let q = |c: &Chain, method: &str, req: Vec<u8>| {
        let resp = c.driver.query(&format!("{PATH}{method}"), req);
        (resp.codespace, resp.code)
    };
    let empty = dpb::QueryDelegationRewardsRequest::default().encode_to_vec();
    assert_eq!(q(&c, "DelegationRewards", empty), ("sdk".into(), 18));
    let no_val = dpb::QueryDelegationRewardsRequest {
        delegator_address: c.address(2),
        validator_address: c.operator(3),
    }
    .encode_to_vec();
    assert_eq!(
        q(&c, "DelegationRewards", no_val),
        ("distribution".into(), 12)
    );
    let no_del = dpb::QueryDelegationRewardsRequest {
        delegator_address: c.address(2),
        validator_address: c.operator(0),
    }
    .encode_to_vec();
    assert_eq!(
        q(&c, "DelegationRewards", no_del),
        ("distribution".into(), 13)
    );
    let backwards = dpb::QueryValidatorSlashesRequest {
        validator_address: c.operator(0),
        starting_height: 5,
        ending_height: 4,
        pagination: None,
    }
    .encode_to_vec();
    assert_eq!(q(&c, "ValidatorSlashes", backwards), ("sdk".into(), 18));
    assert_eq!(q(&c, "Nope", Vec::new()), ("sdk".into(), 6));
    assert_eq!(q(&c, "Params", vec![0xff]), ("sdk".into(), 18));
    let info: dpb::QueryValidatorDistributionInfoResponse = c.query(
        &format!("{PATH}ValidatorDistributionInfo"),
        dpb::QueryValidatorDistributionInfoRequest {
            validator_address: c.operator(0),
        },
    );
    assert_eq!(info.operator_address, c.address(0));
    let params: dpb::QueryParamsResponse =
        c.query(&format!("{PATH}Params"), dpb::QueryParamsRequest {});
    assert_eq!(params.params.unwrap().community_tax, "20000000000000000");
}

#[test]
fn rewards_queries_do_not_write() {
    let mut c = two_validators();
    c.pay_fees(4, M);
    c.block();
    let before = c.export();
    for _ in 0..3 {
        assert_eq!(c.rewards_whole(0, 0), 220_500);
    }
    assert_eq!(c.export(), before);
}
