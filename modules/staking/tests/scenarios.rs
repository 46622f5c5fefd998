//! Staking through signed transactions and blocks: the validator set CometBFT gets, delegation,
//! unbonding, redelegation, cancel, commission, the max-validators cut-off, slashing and jail.
//! Invariants are checked after every block.

mod common;

use common::*;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use tendermint_proto::v0_38::abci::{Event, ResponseFinalizeBlock};

const M: u128 = 1_000_000;

fn events<'a>(block: &'a ResponseFinalizeBlock, kind: &str) -> Vec<&'a Event> {
    block
        .tx_results
        .iter()
        .flat_map(|r| r.events.iter())
        .chain(block.events.iter())
        .filter(|e| e.r#type == kind)
        .collect()
}

fn attr<'a>(e: &'a Event, key: &str) -> &'a str {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
        .unwrap_or_else(|| panic!("event {} has no {key}", e.r#type))
}

fn status(chain: &Chain, i: usize) -> pb::BondStatus {
    pb::BondStatus::try_from(chain.validator(i).status).unwrap()
}

#[test]
fn create_validator_joins_the_set_with_its_power() {
    let mut chain = Chain::new(&[100 * M, 100 * M], test_params(10));
    let block = chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    assert_eq!(block.validator_updates, vec![update(0, 5)]);
    let created = events(&block, "create_validator");
    assert_eq!(attr(created[0], "validator"), chain.operator(0));
    assert_eq!(attr(created[0], "amount"), "5000000udepin");
    assert_eq!(status(&chain, 0), pb::BondStatus::Bonded);
    assert_eq!(chain.tokens(0), 5 * M);
    assert_eq!(chain.pool(), (5 * M, 0));
    assert_eq!(chain.balance(&chain.address(0)), 95 * M);
    // Nothing changes: no update.
    assert!(chain.block().validator_updates.is_empty());

    // The same operator or the same consensus key cannot make a second validator.
    chain.fails(0, vec![chain.msg_create_validator(0, 5 * M)], "staking", 4);
    let mut msg = chain.msg_create_validator(1, 5 * M);
    let mut m: pb::MsgCreateValidator = prost::Message::decode(msg.value.as_slice()).unwrap();
    m.pubkey = Some(depin_staking::types::ed25519_any(&cons_key(0)));
    msg.value = prost::Message::encode_to_vec(&m);
    chain.fails(1, vec![msg], "staking", 5);
    // A self delegation below the minimum is refused before any state is read.
    let low = chain.msg_create_validator_with(1, 5 * M, ("0.1", "0.2", "0.01"), 6 * M);
    chain.fails(1, vec![low], "staking", 16);
    // Rates above the max rate.
    let high = chain.msg_create_validator_with(1, 5 * M, ("0.3", "0.2", "0.01"), 1);
    chain.fails(1, vec![high], "staking", 11);
}

#[test]
fn delegation_changes_power_and_is_refused_when_wrong() {
    let mut chain = Chain::new(&[100 * M, 100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    let block = chain.ok(1, vec![chain.msg_delegate(1, 0, 3 * M)]);
    assert_eq!(block.validator_updates, vec![update(0, 8)]);
    let d = events(&block, "delegate");
    assert_eq!(attr(d[0], "delegator"), chain.address(1));
    assert_eq!(attr(d[0], "new_shares"), "3000000.000000000000000000");
    assert_eq!(attr(d[0], "amount"), "3000000udepin");
    assert_eq!(chain.delegation_balance(1, 0), 3 * M);
    assert_eq!(chain.pool(), (8 * M, 0));
    // Below one unit of power: no update.
    let block = chain.ok(1, vec![chain.msg_delegate(1, 0, M / 2)]);
    assert!(block.validator_updates.is_empty());
    // Unknown validator; more than the balance; zero.
    chain.fails(1, vec![chain.msg_delegate(1, 2, M)], "staking", 3);
    chain.fails(2, vec![chain.msg_delegate(2, 0, 200 * M)], "sdk", 5);
    chain.fails(2, vec![chain.msg_delegate(2, 0, 0)], "sdk", 18);
}

#[test]
fn undelegation_matures_after_the_unbonding_time() {
    let mut chain = Chain::new(&[100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    chain.ok(1, vec![chain.msg_delegate(1, 0, 3 * M)]);
    let before = chain.balance(&chain.address(1));
    let (r, block) = chain.tx(1, vec![chain.msg_undelegate(1, 0, M)]);
    assert_eq!(r.code, 0, "{}", r.log);
    let resp: pb::MsgUndelegateResponse = first_response(&r.data);
    assert_eq!(resp.amount.unwrap().amount, M.to_string());
    assert_eq!(resp.completion_time.unwrap().seconds, chain.time + 60);
    assert_eq!(block.validator_updates, vec![update(0, 7)]);
    let unbond = events(&block, "unbond");
    assert_eq!(attr(unbond[0], "amount"), "1000000udepin");
    assert_eq!(chain.pool(), (7 * M, M));
    let entries = chain.unbonding_entries(1, 0);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].balance, M.to_string());
    assert_eq!(entries[0].creation_height, chain.height as i64);
    // 60 s are 12 blocks: still unbonding after 11.
    chain.advance(11);
    assert_eq!(chain.unbonding_entries(1, 0).len(), 1);
    assert_eq!(chain.balance(&chain.address(1)), before);
    let block = chain.block();
    let done = events(&block, "complete_unbonding");
    assert_eq!(attr(done[0], "amount"), "1000000udepin");
    assert_eq!(attr(done[0], "delegator"), chain.address(1));
    assert!(chain.unbonding_entries(1, 0).is_empty());
    assert_eq!(chain.balance(&chain.address(1)), before + M);
    assert_eq!(chain.pool(), (7 * M, 0));

    // At most max_entries (3) entries per pair; more than the delegation is refused.
    for _ in 0..3 {
        chain.ok(1, vec![chain.msg_undelegate(1, 0, M / 10)]);
    }
    chain.fails(1, vec![chain.msg_undelegate(1, 0, M / 10)], "staking", 27);
    chain.fails(1, vec![chain.msg_undelegate(1, 0, 10 * M)], "staking", 22);
    // The whole delegation's worth removes it.
    let worth = chain.delegation_balance(1, 0);
    chain.advance(12);
    chain.ok(1, vec![chain.msg_undelegate(1, 0, worth)]);
    assert_eq!(chain.delegation_balance(1, 0), 0);
}

/// The first message's response in a tx result's data.
fn first_response<R: prost::Message + Default>(data: &[u8]) -> R {
    let d: cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData =
        prost::Message::decode(data).unwrap();
    R::decode(d.msg_responses[0].value.as_slice()).unwrap()
}

#[test]
fn redelegation_rules() {
    let mut chain = Chain::new(&[100 * M, 100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    chain.ok(1, vec![chain.msg_create_validator(1, 5 * M)]);
    chain.ok(2, vec![chain.msg_delegate(2, 0, 6 * M)]);
    let block = chain.ok(2, vec![chain.msg_redelegate(2, 0, 1, 2 * M)]);
    assert_eq!(block.validator_updates, vec![update(0, 9), update(1, 7)]);
    let r = events(&block, "redelegate");
    assert_eq!(attr(r[0], "source_validator"), chain.operator(0));
    assert_eq!(attr(r[0], "destination_validator"), chain.operator(1));
    assert_eq!(attr(r[0], "amount"), "2000000udepin");
    assert_eq!(chain.delegation_balance(2, 1), 2 * M);
    // Both bonded: the tokens stay in the bonded pool.
    assert_eq!(chain.pool(), (16 * M, 0));

    // The stake that arrived at 1 may not hop on while that redelegation matures.
    chain.fails(2, vec![chain.msg_redelegate(2, 1, 0, M)], "staking", 32);
    // To itself: refused before any state is read.
    chain.fails(2, vec![chain.msg_redelegate(2, 0, 0, M)], "staking", 29);
    // Two more entries fit (max 3), a fourth does not.
    chain.ok(2, vec![chain.msg_redelegate(2, 0, 1, M)]);
    chain.ok(2, vec![chain.msg_redelegate(2, 0, 1, M)]);
    chain.fails(2, vec![chain.msg_redelegate(2, 0, 1, M)], "staking", 33);
    let resp: pb::QueryRedelegationsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/Redelegations",
        pb::QueryRedelegationsRequest {
            delegator_addr: chain.address(2),
            ..Default::default()
        },
    );
    assert_eq!(resp.redelegation_responses[0].entries.len(), 3);
    assert_eq!(
        resp.redelegation_responses[0].entries[0].balance,
        (2 * M).to_string()
    );

    // Once they mature the entries are gone and the hop is allowed.
    let completed: usize = (0..13)
        .map(|_| events(&chain.block(), "complete_redelegation").len())
        .sum();
    assert_eq!(completed, 3);
    let (space, code) = chain.query_err(
        "/cosmos.staking.v1beta1.Query/Redelegations",
        pb::QueryRedelegationsRequest {
            delegator_addr: chain.address(2),
            src_validator_addr: chain.operator(0),
            dst_validator_addr: chain.operator(1),
            pagination: None,
        },
    );
    assert_eq!((space.as_str(), code), ("sdk", 38));
    chain.ok(2, vec![chain.msg_redelegate(2, 1, 0, M)]);
}

#[test]
fn cancel_unbonding_delegates_the_entry_back() {
    let mut chain = Chain::new(&[100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    chain.ok(1, vec![chain.msg_delegate(1, 0, 3 * M)]);
    chain.ok(1, vec![chain.msg_undelegate(1, 0, M)]);
    let height = chain.height as i64;
    let block = chain.ok(1, vec![chain.msg_cancel_unbonding(1, 0, 400_000, height)]);
    assert_eq!(events(&block, "cancel_unbonding_delegation").len(), 1);
    assert_eq!(chain.unbonding_entries(1, 0)[0].balance, "600000");
    assert_eq!(chain.delegation_balance(1, 0), 2_400_000);
    assert_eq!(chain.pool(), (7_400_000, 600_000));
    chain.fails(
        1,
        vec![chain.msg_cancel_unbonding(1, 0, 700_000, height)],
        "sdk",
        18,
    );
    chain.fails(
        1,
        vec![chain.msg_cancel_unbonding(1, 0, 1, height + 1)],
        "sdk",
        38,
    );
    let block = chain.ok(1, vec![chain.msg_cancel_unbonding(1, 0, 600_000, height)]);
    assert_eq!(block.validator_updates, vec![update(0, 8)]);
    assert!(chain.unbonding_entries(1, 0).is_empty());
    assert_eq!(chain.pool(), (8 * M, 0));
    // Nothing is paid out later.
    let before = chain.balance(&chain.address(1));
    chain.advance(13);
    assert_eq!(chain.balance(&chain.address(1)), before);
}

#[test]
fn commission_changes_are_limited() {
    let mut chain = Chain::new(&[100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    // Not within 24h of creation.
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, Some("0.105"), None)],
        "staking",
        12,
    );
    chain.skip(24 * 3600);
    let block = chain.ok(0, vec![chain.msg_edit_validator(0, Some("0.105"), None)]);
    let e = events(&block, "edit_validator");
    assert_eq!(attr(e[0], "commission_rate"), "0.105000000000000000");
    // Once per 24h.
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, Some("0.11"), None)],
        "staking",
        12,
    );
    chain.skip(24 * 3600);
    // A rise beyond max_change_rate (0.01), or above max_rate (0.2).
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, Some("0.2"), None)],
        "staking",
        15,
    );
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, Some("0.25"), None)],
        "staking",
        11,
    );
    // A fall is free.
    chain.ok(0, vec![chain.msg_edit_validator(0, Some("0.01"), None)]);
    let v = chain.validator(0);
    assert_eq!(
        v.commission.unwrap().commission_rates.unwrap().rate,
        dec_proto("0.01")
    );
    // Min self delegation only rises, and not above the tokens.
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, None, Some(1))],
        "staking",
        17,
    );
    chain.fails(
        0,
        vec![chain.msg_edit_validator(0, None, Some(6 * M))],
        "staking",
        16,
    );
    chain.ok(0, vec![chain.msg_edit_validator(0, None, Some(2 * M))]);
    assert_eq!(chain.validator(0).min_self_delegation, (2 * M).to_string());
}

#[test]
fn max_validators_cuts_off_the_lowest() {
    let mut chain = Chain::new(&[100 * M; 4], test_params(2));
    assert_eq!(
        chain
            .ok(0, vec![chain.msg_create_validator(0, 5 * M)])
            .validator_updates,
        vec![update(0, 5)]
    );
    assert_eq!(
        chain
            .ok(1, vec![chain.msg_create_validator(1, 4 * M)])
            .validator_updates,
        vec![update(1, 4)]
    );
    // A third, stronger one pushes out the weakest.
    let block = chain.ok(2, vec![chain.msg_create_validator(2, 6 * M)]);
    assert_eq!(block.validator_updates, vec![update(2, 6), update(1, 0)]);
    assert_eq!(status(&chain, 1), pb::BondStatus::Unbonding);
    assert_eq!(chain.pool(), (11 * M, 4 * M));
    // 1 grows back in while still unbonding; 0 leaves.
    let block = chain.ok(1, vec![chain.msg_delegate(1, 1, 3 * M)]);
    assert_eq!(block.validator_updates, vec![update(1, 7), update(0, 0)]);
    assert_eq!(status(&chain, 1), pb::BondStatus::Bonded);
    assert_eq!(chain.pool(), (13 * M, 5 * M));
    // A tie at the cut-off goes to the lower operator address.
    chain.ok(3, vec![chain.msg_create_validator(3, 6 * M)]);
    let (low, high) = if chain.operator(2) < chain.operator(3) {
        (2, 3)
    } else {
        (3, 2)
    };
    assert_eq!(status(&chain, low), pb::BondStatus::Bonded);
    assert_ne!(status(&chain, high), pb::BondStatus::Bonded);
    // The one that left finishes unbonding after the unbonding time.
    chain.advance(13);
    assert_eq!(status(&chain, 0), pb::BondStatus::Unbonded);
    let resp: pb::QueryValidatorsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/Validators",
        pb::QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".into(),
            pagination: None,
        },
    );
    assert_eq!(resp.validators.len(), 2);
}

#[test]
fn slash_reaches_entries_created_after_the_infraction() {
    let mut chain = Chain::new(&[100 * M, 100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 10 * M)]);
    chain.ok(1, vec![chain.msg_create_validator(1, 5 * M)]);
    chain.ok(2, vec![chain.msg_delegate(2, 0, 11 * M)]);
    // Before the infraction: out of reach.
    chain.ok(2, vec![chain.msg_undelegate(2, 0, M)]);
    let early = chain.height as i64;
    let infraction = chain.height + 1;
    // At and after the infraction height: reached.
    chain.ok(2, vec![chain.msg_undelegate(2, 0, 2 * M)]);
    chain.ok(2, vec![chain.msg_redelegate(2, 0, 1, 4 * M)]);
    assert_eq!(chain.tokens(0), 14 * M);
    assert_eq!(chain.tokens(1), 9 * M);
    let supply_before = chain.pool();

    // Power 20 at the infraction, fraction 1/2: 10M to burn. The late unbonding owes 1M,
    // the redelegation 2M (taken back from validator 1), validator 0 pays the other 7M.
    let block = chain.evidence(0, infraction, 20);
    assert_eq!(block.validator_updates, vec![update(1, 7), update(0, 0)]);
    assert_eq!(chain.tokens(0), 7 * M);
    assert_eq!(chain.tokens(1), 7 * M);
    assert!(chain.validator(0).jailed);
    let entries = chain.unbonding_entries(2, 0);
    let by_height = |h: i64| entries.iter().find(|e| e.creation_height == h).unwrap();
    assert_eq!(by_height(early).balance, M.to_string());
    assert_eq!(by_height(infraction as i64).balance, M.to_string());
    assert_eq!(
        by_height(infraction as i64).initial_balance,
        (2 * M).to_string()
    );
    let (bonded, not_bonded) = chain.pool();
    assert_eq!(
        supply_before.0 + supply_before.1 - bonded - not_bonded,
        10 * M,
        "10M burned from the pools"
    );
    // Validator 0 is jailed, so it is unbonding now: its tokens are in the not-bonded pool.
    assert_eq!(status(&chain, 0), pb::BondStatus::Unbonding);

    // MsgUnjail (through the stand-in slashing module) brings it back.
    chain.fails(1, vec![chain.msg_unjail(1)], "staking", 103);
    let block = chain.ok(0, vec![chain.msg_unjail(0)]);
    assert_eq!(block.validator_updates, vec![update(0, 7)]);
    assert_eq!(status(&chain, 0), pb::BondStatus::Bonded);
}

#[test]
fn slash_at_the_current_height_and_of_an_unknown_validator() {
    let mut chain = Chain::new(&[100 * M, 100 * M], test_params(10));
    chain.ok(0, vec![chain.msg_create_validator(0, 10 * M)]);
    chain.ok(0, vec![chain.msg_undelegate(0, 0, M)]);
    // Evidence at the block's own height only takes from the validator.
    let h = chain.height + 1;
    chain.evidence(0, h, 9);
    assert_eq!(chain.tokens(0), 9 * M - 4_500_000);
    assert_eq!(chain.unbonding_entries(0, 0)[0].balance, M.to_string());
    // Evidence against a consensus address no validator has changes nothing.
    chain.evidence(1, chain.height, 10);
}

#[test]
fn self_delegation_below_minimum_jails() {
    let mut chain = Chain::new(&[100 * M], test_params(10));
    let msg = chain.msg_create_validator_with(0, 5 * M, ("0.1", "0.2", "0.01"), 3 * M);
    chain.ok(0, vec![msg]);
    let block = chain.ok(0, vec![chain.msg_undelegate(0, 0, 2_500_000)]);
    assert_eq!(block.validator_updates, vec![update(0, 0)]);
    assert!(chain.validator(0).jailed);
    // Unjail needs the self delegation back above the minimum.
    chain.fails(0, vec![chain.msg_unjail(0)], "staking", 16);
    chain.ok(0, vec![chain.msg_delegate(0, 0, M)]);
    let block = chain.ok(0, vec![chain.msg_unjail(0)]);
    assert_eq!(block.validator_updates, vec![update(0, 3)]);
}

#[test]
fn update_params_needs_the_authority() {
    let mut chain = Chain::new(&[100 * M], test_params(10));
    let msg = cosmrs::Any {
        type_url: depin_staking::msgs::MSG_UPDATE_PARAMS.into(),
        value: prost::Message::encode_to_vec(&pb::MsgUpdateParams {
            authority: chain.address(0),
            params: Some(test_params(5).to_proto()),
        }),
    };
    chain.fails(0, vec![msg], "sdk", 4);
}

#[test]
fn queries_page_through_state() {
    let mut chain = Chain::new(&[100 * M; 4], test_params(10));
    for i in 0..3 {
        chain.ok(i, vec![chain.msg_create_validator(i, (5 + i as u128) * M)]);
    }
    chain.ok(
        3,
        vec![chain.msg_delegate(3, 0, M), chain.msg_delegate(3, 1, M)],
    );
    let page = |key: Vec<u8>| cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
        key,
        limit: 2,
        count_total: true,
        ..Default::default()
    };
    let first: pb::QueryValidatorsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/Validators",
        pb::QueryValidatorsRequest {
            status: String::new(),
            pagination: Some(page(vec![])),
        },
    );
    assert_eq!(first.validators.len(), 2);
    let p = first.pagination.unwrap();
    assert_eq!(p.total, 3);
    let second: pb::QueryValidatorsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/Validators",
        pb::QueryValidatorsRequest {
            status: String::new(),
            pagination: Some(page(p.next_key)),
        },
    );
    assert_eq!(second.validators.len(), 1);
    assert!(second.pagination.unwrap().next_key.is_empty());

    let dd: pb::QueryDelegatorDelegationsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        pb::QueryDelegatorDelegationsRequest {
            delegator_addr: chain.address(3),
            pagination: None,
        },
    );
    assert_eq!(dd.delegation_responses.len(), 2);
    let dv: pb::QueryDelegatorValidatorsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/DelegatorValidators",
        pb::QueryDelegatorValidatorsRequest {
            delegator_addr: chain.address(3),
            pagination: None,
        },
    );
    assert_eq!(dv.validators.len(), 2);
    let vd: pb::QueryValidatorDelegationsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
        pb::QueryValidatorDelegationsRequest {
            validator_addr: chain.operator(0),
            pagination: None,
        },
    );
    assert_eq!(vd.delegation_responses.len(), 2);
    let one: pb::QueryDelegatorValidatorResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/DelegatorValidator",
        pb::QueryDelegatorValidatorRequest {
            delegator_addr: chain.address(3),
            validator_addr: chain.operator(1),
        },
    );
    assert_eq!(one.validator.unwrap().operator_address, chain.operator(1));
    let (space, code) = chain.query_err(
        "/cosmos.staking.v1beta1.Query/DelegatorValidator",
        pb::QueryDelegatorValidatorRequest {
            delegator_addr: chain.address(3),
            validator_addr: chain.operator(2),
        },
    );
    assert_eq!((space.as_str(), code), ("sdk", 38));

    // Historical info: the last 5 heights, with the bonded set (as the block began) by power.
    chain.block();
    let hist: pb::QueryHistoricalInfoResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/HistoricalInfo",
        pb::QueryHistoricalInfoRequest {
            height: chain.height as i64,
        },
    );
    let hist = hist.hist.unwrap();
    assert_eq!(hist.header.unwrap().height, chain.height as i64);
    let powers: Vec<String> = hist.valset.iter().map(|v| v.tokens.clone()).collect();
    assert_eq!(powers, vec!["7000000", "7000000", "6000000"]);
    let (_, code) = chain.query_err(
        "/cosmos.staking.v1beta1.Query/HistoricalInfo",
        pb::QueryHistoricalInfoRequest {
            height: chain.height as i64 - 5,
        },
    );
    assert_eq!(code, 38);
    let params: pb::QueryParamsResponse = chain.query(
        "/cosmos.staking.v1beta1.Query/Params",
        pb::QueryParamsRequest {},
    );
    assert_eq!(params.params.unwrap().unbonding_time.unwrap().seconds, 60);
}

#[test]
fn genesis_validators_are_bonded_at_init_chain() {
    let keys: Vec<_> = (0..2)
        .map(|i| depin_simapp::testing::TestKey::from_seed(7 + i))
        .collect();
    let codec = depin_app::address::AddressCodec::new(PREFIX);
    let operator = codec.decode(&keys[0].address).unwrap();
    let valoper = depin_app::address::AddressCodec::new("depinvaloper").encode(&operator);
    let genesis_with_pool = |pool: u128| {
        let mut state = app_state(&keys, &[100 * M, 100 * M], &test_params(10));
        state["bank"]["balances"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "address": Chain::pool_address(depin_staking::NOT_BONDED_POOL),
                "coins": [{"denom": DENOM, "amount": pool.to_string()}],
            }));
        state["staking"]["validators"] = serde_json::json!([{
            "operator_address": valoper,
            "consensus_pubkey": {
                "@type": "/cosmos.crypto.ed25519.PubKey",
                "key": base64_of(&cons_key(0)),
            },
            "status": "BOND_STATUS_UNBONDED",
            "tokens": (7 * M).to_string(),
            "delegator_shares": "7000000.000000000000000000",
            "description": {"moniker": "genesis"},
            "unbonding_time": "1970-01-01T00:00:00Z",
            "commission": {
                "commission_rates": {"rate": "0.1", "max_rate": "0.2", "max_change_rate": "0.01"},
                "update_time": "2023-11-14T22:13:20Z"
            },
            "min_self_delegation": "1",
        }]);
        state["staking"]["delegations"] = serde_json::json!([{
            "delegator_address": keys[0].address,
            "validator_address": valoper,
            "shares": "7000000",
        }]);
        state
    };
    let again: Vec<_> = (0..2)
        .map(|i| depin_simapp::testing::TestKey::from_seed(7 + i))
        .collect();
    let (chain, validators) = Chain::with_state(again, &genesis_with_pool(7 * M));
    assert_eq!(validators, vec![update(0, 7)]);
    drop(chain);

    // The pools must hold the stake.
    let (app, _) = build_app();
    let dir = tempfile::tempdir().unwrap();
    let mut driver = depin_app::driver::InProcess::open(
        std::sync::Arc::new(app),
        dir.path(),
        depin_app::node::NodeConfig::default(),
    )
    .unwrap();
    let err = driver
        .init_chain(CHAIN_ID, &genesis_with_pool(6 * M))
        .unwrap_err();
    assert!(
        err.contains("not_bonded_tokens_pool needs 7000000udepin"),
        "{err}"
    );
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn export_then_import_reproduces_the_state() {
    let mut chain = Chain::new(&[100 * M; 4], test_params(2));
    chain.ok(0, vec![chain.msg_create_validator(0, 5 * M)]);
    chain.ok(1, vec![chain.msg_create_validator(1, 6 * M)]);
    chain.ok(2, vec![chain.msg_create_validator(2, 4 * M)]);
    chain.ok(3, vec![chain.msg_delegate(3, 0, 3 * M)]);
    chain.ok(3, vec![chain.msg_undelegate(3, 0, M)]);
    chain.ok(3, vec![chain.msg_redelegate(3, 0, 2, M)]);
    let exported = chain.export();
    assert_eq!(exported["staking"]["exported"], true);
    assert_eq!(
        exported["staking"]["validators"].as_array().unwrap().len(),
        3
    );
    // Heights are kept: the restarted chain continues at the next height, and an entry is
    // still named by its creation height.
    let staking = &exported["staking"];
    let ubd = &staking["unbonding_delegations"][0]["entries"][0];
    let red = &staking["redelegations"][0]["entries"][0];
    let h = chain.height;
    assert_eq!(
        (&ubd["creation_height"], &red["creation_height"]),
        (&(h - 1).to_string().into(), &h.to_string().into())
    );

    let (imported, validators) = Chain::with_state(test_keys(4), &exported);
    // The whole bonded set goes to CometBFT, with the powers it last got.
    let mut expected = vec![update(0, 6), update(1, 6)];
    let mut got = validators.clone();
    let key = |u: &tendermint_proto::v0_38::abci::ValidatorUpdate| format!("{:?}", u.pub_key);
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, expected);
    let mut imported = imported;
    imported.block();
    let again = imported.export();
    assert_eq!(again["staking"], exported["staking"]);
    assert_eq!(again["bank"], exported["bank"]);
}
