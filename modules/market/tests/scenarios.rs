//! Scenarios through the in-process driver: the lease story to the unit, error paths,
//! insufficient funds, third-party top-ups, order timeouts, auditors, usage, export → import.

mod common;

use common::*;
use depin_market::msgs::*;
use depin_proto::depin::market::v1 as pb;

const TAKE_BPS: u128 = 200;

fn take(p: u128) -> u128 {
    p * TAKE_BPS / 10_000
}

/// Chain with tenant 1, providers 2 and 3 (attribute region=eu), payer 4, account 5 idle.
fn market() -> Chain {
    let mut c = Chain::new(6, test_params());
    c.provider(2, vec![attr("region", "eu")]);
    c.provider(3, vec![attr("region", "eu"), attr("tier", "gold")]);
    c
}

#[test]
fn full_lease_story_to_the_unit() {
    let mut c = market();
    let supply0 = c.supply();
    let order = c.order(1, 100, 5_000);
    assert_eq!(c.balance(1), FUNDS - 5_000);
    c.ok(2, vec![c.bid_msg(2, order, 80)]);
    c.ok(3, vec![c.bid_msg(3, order, 90)]);
    let p2_before = c.balance(2);
    let p3_before = c.balance(3);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as u128;
    // The losing bid's deposit came back.
    assert_eq!(c.balance(3), p3_before + 100);
    let lost = c.bids(pb::QueryBidsRequest {
        order_id: order,
        state: pb::BidState::Lost as i32,
        ..Default::default()
    });
    assert_eq!(lost.len(), 1);
    assert_eq!(c.get_order(order).state, pb::OrderState::Active as i32);

    c.advance(10);
    // The query shows the lease settled up to now, without writing.
    let (l, e) = c.lease(order);
    let owed_now = (c.height() as u128 - start) * 80;
    assert_eq!(amount(&e.balance), 5_000 - owed_now);
    assert_eq!(amount(&l.unwithdrawn), owed_now - take(owed_now));

    c.ok(2, vec![c.withdraw_msg(2, order)]);
    let w = c.height() as u128;
    let p1 = (w - start) * 80;
    assert_eq!(c.balance(2), p2_before + p1 - take(p1));
    assert_eq!(c.supply(), supply0 - take(p1));

    c.advance(3);
    c.ok(1, vec![c.close_lease_msg(1, order)]);
    let end = c.height() as u128;
    let p2 = (end - w) * 80;
    // The take is of the lease's total, however often it was settled: the second
    // settlement takes what the first one's rounding left over.
    let total_take = take(p1 + p2);
    assert!(total_take > take(p1) + take(p2), "the example rounds");
    // Provider: both payments less the take, and its bid deposit back.
    assert_eq!(c.balance(2), p2_before + p1 + p2 - total_take + 100);
    // Tenant: the deposit less what the lease cost.
    assert_eq!(c.balance(1), FUNDS - (p1 + p2));
    assert_eq!(c.supply(), supply0 - total_take);
    let (l, e) = c.lease(order);
    assert_eq!(l.state, pb::LeaseState::Closed as i32);
    assert_eq!(l.close_reason, pb::CloseReason::Tenant as i32);
    assert_eq!(amount(&l.paid), p1 + p2 - total_take);
    assert_eq!(e.state, pb::EscrowState::Closed as i32);
    assert_eq!(amount(&e.transferred), p1 + p2);
    assert_eq!(c.get_order(order).state, pb::OrderState::Closed as i32);
    let p = c.get_provider(2);
    assert_eq!(p.reputation.unwrap().leases_completed, 1);
    // Only collateral is left in the module account.
    assert_eq!(c.module_balance("market"), 2_000);

    // Usage of the provider: paid and take, summed over the epochs touched.
    let mut paid = 0;
    let mut taken = 0;
    for epoch in 0..=(end as u64 / 10) {
        let u = c.with_ctx(|ctx| c.keeper.usage(ctx, epoch, None, 10).unwrap());
        for u in u {
            assert_eq!(u.provider, c.address(2));
            paid += u.paid.amount.u128();
            taken += u.take.amount.u128();
        }
    }
    assert_eq!((paid, taken), (p1 + p2 - total_take, total_take));
}

#[test]
fn provider_close_forfeits_the_bid_deposit_and_counts() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 50)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as u128;
    c.advance(2);
    let before = c.balance(1);
    c.ok(2, vec![c.close_lease_msg(2, order)]);
    let cost = (c.height() as u128 - start) * 50;
    assert_eq!(c.balance(1), before + (1_000 - cost) + 100);
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!(rep.leases_closed_by_provider, 1);
    assert_eq!(rep.leases_completed, 0);
    assert_eq!(
        c.lease(order).0.close_reason,
        pb::CloseReason::Provider as i32
    );
}

#[test]
fn a_provider_leaving_an_unpaid_lease_is_not_at_fault() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 100)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    // The escrow covers 10 blocks; the tenant stops paying.
    c.advance(12);
    let provider_before = c.balance(2);
    c.ok(2, vec![c.close_lease_msg(2, order)]);
    let (l, _) = c.lease(order);
    assert_eq!(l.close_reason, pb::CloseReason::InsufficientFunds as i32);
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!(rep.leases_closed_by_provider, 0);
    // Its bid deposit (100) comes back with the 10 paid blocks (the harness pays no fees).
    assert_eq!(c.balance(2), provider_before + 1_000 - take(1_000) + 100);
}

#[test]
fn bid_and_order_errors() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    // Bid above the max, in another denom, by a non-provider.
    c.fails(2, vec![c.bid_msg(2, order, 101)], 25);
    let wrong = any(
        MSG_CREATE_BID,
        pb::MsgCreateBid {
            provider: c.address(2),
            order_id: order,
            price_per_block: coin_of(50, "uatom"),
        },
    );
    c.fails(2, vec![wrong], 16);
    c.fails(5, vec![c.bid_msg(5, order, 50)], 10);
    c.fails(2, vec![c.bid_msg(2, 99, 50)], 21);
    // Double bid.
    c.ok(2, vec![c.bid_msg(2, order, 80)]);
    c.fails(2, vec![c.bid_msg(2, order, 70)], 27);
    // Accept: someone else's order, a provider without a bid.
    c.fails(4, vec![c.accept_msg(4, order, 2)], 24);
    c.fails(1, vec![c.accept_msg(1, order, 3)], 29);
    // Order deposit below the minimum (10 blocks at the max price), wrong denom.
    c.fails(1, vec![c.create_order_msg(1, 100, 999, None)], 20);
    // Close the order: accepting afterwards fails.
    c.ok(1, vec![c.close_order_msg(1, order)]);
    c.fails(1, vec![c.accept_msg(1, order, 2)], 22);
    c.fails(3, vec![c.bid_msg(3, order, 50)], 22);
    // Closing a closed bid.
    c.fails(
        2,
        vec![any(
            MSG_CLOSE_BID,
            pb::MsgCloseBid {
                provider: c.address(2),
                order_id: order,
            },
        )],
        30,
    );
    // The closed order's escrow went back to the tenant, the bid deposit to the provider.
    assert_eq!(c.balance(1), FUNDS);
    assert_eq!(c.module_balance("market"), 2_000);
}

#[test]
fn lease_errors() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 80)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    // Withdraw by a non-provider; close by a stranger.
    c.fails(3, vec![c.withdraw_msg(3, order)], 34);
    c.fails(4, vec![c.close_lease_msg(4, order)], 33);
    c.fails(1, vec![c.accept_msg(1, order, 2)], 22);
    c.ok(1, vec![c.close_lease_msg(1, order)]);
    c.fails(1, vec![c.close_lease_msg(1, order)], 32);
    c.fails(2, vec![c.withdraw_msg(2, order)], 32);
    c.fails(4, vec![c.settle_msg(4, order)], 36);
    c.fails(4, vec![c.deposit_msg(4, order, 10)], 36);
}

#[test]
fn bids_cap() {
    let mut c = Chain::new(7, test_params());
    for p in 2..=5 {
        c.provider(p, vec![]);
    }
    let order = c.order(1, 100, 1_000);
    for p in 2..=4 {
        c.ok(p, vec![c.bid_msg(p, order, 50)]);
    }
    c.fails(5, vec![c.bid_msg(5, order, 50)], 26);
}

#[test]
fn requirements_and_auditors() {
    let mut c = market();
    let auditor = c.address(5);
    let req = pb::PlacementRequirements {
        attributes: vec![attr("tier", "gold")],
        ..Default::default()
    };
    let o1 = {
        let msg = c.create_order_msg(1, 100, 1_000, Some(req));
        c.ok(1, vec![msg]);
        1
    };
    // Provider 2 does not declare tier=gold.
    c.fails(2, vec![c.bid_msg(2, o1, 50)], 28);
    c.ok(3, vec![c.bid_msg(3, o1, 50)]);

    // Audited requirement: nobody signed yet.
    let req = pb::PlacementRequirements {
        attributes: vec![attr("region", "eu")],
        signed_by: vec![auditor.clone()],
        ..Default::default()
    };
    let msg = c.create_order_msg(1, 100, 1_000, Some(req));
    c.ok(1, vec![msg]);
    let o2 = 2;
    c.fails(2, vec![c.bid_msg(2, o2, 50)], 28);
    // Signing needs a registered auditor, and only declared attributes.
    let sign = |c: &Chain, a: pb::Attribute| {
        any(
            MSG_SIGN_PROVIDER_ATTRIBUTES,
            pb::MsgSignProviderAttributes {
                auditor: c.address(5),
                provider: c.address(2),
                attributes: vec![a],
            },
        )
    };
    c.fails(5, vec![sign(&c, attr("region", "eu"))], 7);
    let register = any(
        MSG_REGISTER_AUDITOR,
        pb::MsgRegisterAuditor {
            authority: c.address(0),
            address: auditor.clone(),
            info: "audits inc".into(),
        },
    );
    // Only the authority registers.
    let r = c.tx(
        1,
        vec![any(
            MSG_REGISTER_AUDITOR,
            pb::MsgRegisterAuditor {
                authority: c.address(1),
                address: auditor.clone(),
                info: String::new(),
            },
        )],
    );
    assert_eq!((r.codespace.as_str(), r.code), ("sdk", 4), "{}", r.log);
    c.ok(0, vec![register.clone()]);
    c.fails(0, vec![register.clone()], 8);
    c.fails(5, vec![sign(&c, attr("region", "us"))], 38);
    c.ok(5, vec![sign(&c, attr("region", "eu"))]);
    c.ok(2, vec![c.bid_msg(2, o2, 50)]);
    let audited: pb::QueryAuditedAttributesResponse = c.query(
        &format!("{Q}AuditedAttributes"),
        pb::QueryAuditedAttributesRequest {
            provider: c.address(2),
        },
    );
    assert_eq!(audited.attributes.len(), 1);

    // Removing the auditor: its signatures count for nothing at once and are purged.
    let remove = any(
        MSG_REMOVE_AUDITOR,
        pb::MsgRemoveAuditor {
            authority: c.address(0),
            address: auditor.clone(),
        },
    );
    c.ok(0, vec![remove.clone()]);
    c.fails(0, vec![remove], 7);
    let msg = c.create_order_msg(
        1,
        100,
        1_000,
        Some(pb::PlacementRequirements {
            attributes: vec![attr("region", "eu")],
            signed_by: vec![auditor.clone()],
            ..Default::default()
        }),
    );
    c.ok(1, vec![msg]);
    c.fails(2, vec![c.bid_msg(2, 3, 50)], 28);
    let audited: pb::QueryAuditedAttributesResponse = c.query(
        &format!("{Q}AuditedAttributes"),
        pb::QueryAuditedAttributesRequest {
            provider: c.address(2),
        },
    );
    assert!(audited.attributes.is_empty());
    assert!(c.market_state()["audited_attributes"]
        .as_array()
        .unwrap()
        .is_empty());

    // Reputation filter: provider 3 closed a lease itself; strict orders refuse it.
    let o4 = c.order(1, 100, 1_000);
    c.ok(3, vec![c.bid_msg(3, o4, 50)]);
    c.ok(1, vec![c.accept_msg(1, o4, 3)]);
    c.ok(3, vec![c.close_lease_msg(3, o4)]);
    let msg = c.create_order_msg(
        1,
        100,
        1_000,
        Some(pb::PlacementRequirements {
            strict_provider_closes: true,
            ..Default::default()
        }),
    );
    c.ok(1, vec![msg]);
    c.refused(3, vec![c.bid_msg(3, 5, 50)], 28);
    c.ok(2, vec![c.bid_msg(2, 5, 50)]);
}

#[test]
fn provider_errors() {
    let mut c = Chain::new(6, test_params());
    let dev = c.device(2, "compute", true);
    // Collateral below the minimum, wrong denom.
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec![dev.clone()], 999)],
        17,
    );
    // A device of someone else, an inactive one, a coverage one, an unknown one.
    let other = c.device(3, "compute", true);
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec![other], 1_000)],
        13,
    );
    let idle = c.device(2, "compute", false);
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec![idle], 1_000)],
        14,
    );
    let hotspot = c.device(2, "hotspot", false);
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec![hotspot], 1_000)],
        15,
    );
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec!["depindev1nope".into()], 1_000)],
        12,
    );
    c.ok(
        2,
        vec![c.create_provider_msg(2, vec![], vec![dev.clone()], 1_500)],
    );
    c.fails(
        2,
        vec![c.create_provider_msg(2, vec![], vec![dev], 1_500)],
        11,
    );
    // Withdraw collateral below the minimum; then down to it.
    let withdraw = |c: &Chain, a: u128| {
        any(
            MSG_WITHDRAW_COLLATERAL,
            pb::MsgWithdrawCollateral {
                owner: c.address(2),
                amount: coin(a),
            },
        )
    };
    c.fails(2, vec![withdraw(&c, 501)], 18);
    c.ok(2, vec![withdraw(&c, 500)]);
    c.ok(
        2,
        vec![any(
            MSG_DEPOSIT_COLLATERAL,
            pb::MsgDepositCollateral {
                owner: c.address(2),
                amount: coin(10),
            },
        )],
    );
    assert_eq!(
        amount(&c.get_provider(2).collateral.first().cloned()),
        1_010
    );
    assert_eq!(c.balance(2), FUNDS - 1_010);
}

#[test]
fn insufficient_funds_grace_then_close() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 100)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as i64;
    // 10 blocks paid; then dry.
    c.advance(12);
    c.ok(4, vec![c.settle_msg(4, order)]);
    let (l, e) = c.lease(order);
    assert_eq!(l.state, pb::LeaseState::InsufficientFunds as i32);
    assert_eq!(l.insufficient_since, start + 10);
    assert_eq!(e.state, pb::EscrowState::Overdrawn as i32);
    assert_eq!(amount(&e.balance), 0);
    // The grace (5 blocks) runs out: the next touch closes it.
    c.advance(3);
    c.ok(4, vec![c.settle_msg(4, order)]);
    let (l, _) = c.lease(order);
    assert_eq!(l.state, pb::LeaseState::Closed as i32);
    assert_eq!(l.close_reason, pb::CloseReason::InsufficientFunds as i32);
    // The provider got exactly the 10 blocks less the take, and its bid deposit back.
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!(rep.leases_completed, 1);
    assert_eq!(c.balance(2), FUNDS - 1_000 + 1_000 - take(1_000));
}

#[test]
fn top_up_by_third_party_resumes_and_refunds_per_depositor() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 100)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as u128;
    c.advance(11);
    // Dry since start + 10; payer 4 tops up 550 within the grace: the deposit pays the dry
    // blocks first (every block is owed), then the lease runs again.
    let dry = start + 10;
    c.ok(4, vec![c.deposit_msg(4, order, 550)]);
    let resumed = c.height() as u128;
    let (l, e) = c.lease(order);
    assert_eq!(l.state, pb::LeaseState::Active as i32);
    assert_eq!(l.settled_height as u128, resumed);
    assert_eq!(e.deposits.len(), 1);
    assert_eq!(e.deposits[0].depositor, c.address(4));
    assert!(resumed > dry);
    assert_eq!(amount(&e.balance), 550 - (resumed - dry) * 100);
    // Tenant tops up too, then closes after 2 blocks: payer 4's deposit is spent first.
    c.ok(1, vec![c.deposit_msg(1, order, 300)]);
    c.advance(1);
    let tenant_before = c.balance(1);
    c.ok(1, vec![c.close_lease_msg(1, order)]);
    let spent = (c.height() as u128 - dry) * 100;
    assert!(spent <= 550);
    assert_eq!(c.balance(4), FUNDS - spent);
    assert_eq!(c.balance(1), tenant_before + 300);
    // The provider was paid for every block from the start to the close, the dry ones too.
    let (l, _) = c.lease(order);
    assert_eq!(amount(&l.paid), 1_000 - take(1_000) + spent - take(spent));
}

#[test]
fn partial_top_ups_pay_the_debt_and_do_not_restart_the_grace() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 100)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as u128;
    c.advance(11);
    let dry = start + 10;
    // One block's price now and then: each pays the oldest dry block, never a new one, and
    // the lease stays dry since the first dry height.
    for _ in 0..2 {
        c.ok(4, vec![c.deposit_msg(4, order, 100)]);
        let (l, _) = c.lease(order);
        assert_eq!(l.state, pb::LeaseState::InsufficientFunds as i32);
        assert_eq!(l.insufficient_since as u128, dry);
    }
    // The grace (from the first dry height) runs out: the next touch closes the lease, having
    // paid exactly the blocks the deposits covered.
    let grace = u128::from(test_params().insufficient_funds_grace_blocks);
    while (c.height() as u128) < dry + grace {
        c.block();
    }
    c.ok(3, vec![c.settle_msg(3, order)]);
    let (l, _) = c.lease(order);
    assert_eq!(l.state, pb::LeaseState::Closed as i32);
    assert_eq!(l.close_reason, pb::CloseReason::InsufficientFunds as i32);
    assert_eq!(amount(&l.paid), 1_200 - take(1_000) - 2 * take(100));
}

#[test]
fn orders_time_out_in_begin_block() {
    let mut c = market();
    let order = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, order, 80)]);
    let deadline = c.get_order(order).bid_deadline as u64;
    while c.height() <= deadline {
        c.block();
    }
    // Closed without anyone touching it: deposits back.
    assert_eq!(c.get_order(order).state, pb::OrderState::Closed as i32);
    assert_eq!(c.balance(1), FUNDS);
    assert_eq!(c.balance(2), FUNDS - 1_000);
    assert_eq!(c.module_balance("market"), 2_000);
}

#[test]
fn queries_filter_and_page() {
    let mut c = market();
    for _ in 0..3 {
        c.order(1, 100, 1_000);
    }
    c.ok(2, vec![c.bid_msg(2, 1, 50)]);
    c.ok(3, vec![c.bid_msg(3, 1, 60)]);
    c.ok(1, vec![c.accept_msg(1, 1, 3)]);
    let r: pb::QueryOrdersResponse = c.query(
        &format!("{Q}Orders"),
        pb::QueryOrdersRequest {
            tenant: c.address(1),
            state: pb::OrderState::Open as i32,
            pagination: None,
        },
    );
    assert_eq!(r.orders.len(), 2);
    let r: pb::QueryProvidersResponse = c.query(
        &format!("{Q}Providers"),
        pb::QueryProvidersRequest {
            attribute_key: "tier".into(),
            ..Default::default()
        },
    );
    assert_eq!(r.providers.len(), 1);
    let r: pb::QueryLeasesResponse = c.query(
        &format!("{Q}Leases"),
        pb::QueryLeasesRequest {
            provider: c.address(3),
            ..Default::default()
        },
    );
    assert_eq!(r.leases.len(), 1);
    let page = cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
        limit: 1,
        ..Default::default()
    };
    let r: pb::QueryOrdersResponse = c.query(
        &format!("{Q}Orders"),
        pb::QueryOrdersRequest {
            pagination: Some(page),
            ..Default::default()
        },
    );
    assert_eq!(r.orders.len(), 1);
    assert!(!r.pagination.unwrap().next_key.is_empty());
    assert_eq!(
        c.bids(pb::QueryBidsRequest {
            provider: c.address(2),
            state: pb::BidState::Lost as i32,
            ..Default::default()
        })
        .len(),
        1
    );
}

#[test]
fn update_params_by_authority_only() {
    let mut c = market();
    let mut p = test_params();
    p.take_rate_bps = 500;
    let msg = |c: &Chain, i: usize, p: &depin_market::Params| {
        any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: c.address(i),
                params: Some(p.to_proto()),
            },
        )
    };
    let r = c.tx(1, vec![msg(&c, 1, &p)]);
    assert_eq!(r.code, 4);
    c.ok(0, vec![msg(&c, 0, &p)]);
    p.take_rate_bps = 10_001;
    let r = c.tx(0, vec![msg(&c, 0, &p)]);
    assert_eq!((r.codespace.as_str(), r.code), ("market", 3));
    // Usage epochs keep their numbering.
    p.take_rate_bps = 500;
    p.usage_epoch_blocks += 1;
    let r = c.tx(0, vec![msg(&c, 0, &p)]);
    assert_eq!((r.codespace.as_str(), r.code), ("market", 3), "{}", r.log);
    assert!(
        r.log.contains("usage_epoch_blocks cannot change"),
        "{}",
        r.log
    );
}

#[test]
fn export_import_reproduces_state() {
    let mut c = market();
    let o = c.order(1, 100, 1_000);
    c.ok(2, vec![c.bid_msg(2, o, 80)]);
    c.ok(3, vec![c.bid_msg(3, o, 90)]);
    c.ok(1, vec![c.accept_msg(1, o, 3)]);
    c.order(1, 50, 600);
    c.advance(3);
    c.ok(4, vec![c.deposit_msg(4, o, 200)]);
    let exported = c.export();
    let keys = test_keys(6);
    // The restarted chain continues at the next height: its first block is the original's
    // next block, with every height in the state (deadlines, settlement) keeping its meaning.
    let mut c2 = Chain::restarted(keys, &exported, c.height() + 1);
    c.block();
    assert_eq!(c2.height(), c.height());
    assert_eq!(c2.market_state(), c.market_state());
    for _ in 0..5 {
        c.block();
        c2.block();
    }
    assert_eq!(c2.market_state(), c.market_state());
}

#[test]
fn bid_after_the_deadline_is_refused() {
    let mut p = test_params();
    p.bid_timeout_blocks = 2;
    // One timeout a block: the second order outlives its deadline by a block.
    p.max_transitions_per_block = 1;
    let mut c = Chain::new(4, p);
    c.provider(2, vec![]);
    let orders = vec![
        c.create_order_msg(1, 100, 1_000, None),
        c.create_order_msg(1, 100, 1_000, None),
    ];
    c.ok(1, orders);
    let deadline = c.get_order(2).bid_deadline as u64;
    while c.height() < deadline {
        c.block();
    }
    // The next block is past both deadlines; begin block closes order 1 only.
    c.refused(2, vec![c.bid_msg(2, 2, 50)], 23);
    assert_eq!(c.get_order(1).state, pb::OrderState::Closed as i32);
    c.refused(2, vec![c.bid_msg(2, 1, 50)], 22);
    assert_eq!(c.get_order(2).state, pb::OrderState::Closed as i32);
    assert_eq!(c.balance(1), FUNDS);
}

#[test]
fn take_to_the_community_pool() {
    let mut p = test_params();
    p.take_destination = pb::TakeDestination::CommunityPool as i32;
    p.community_pool_account = "community_pool".into();
    let mut c = Chain::new(4, p);
    c.provider(2, vec![]);
    let supply = c.supply();
    let order = c.order(1, 100, 5_000);
    c.ok(2, vec![c.bid_msg(2, order, 100)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    let start = c.height() as u128;
    c.advance(4);
    c.ok(1, vec![c.close_lease_msg(1, order)]);
    let paid = (c.height() as u128 - start) * 100;
    assert_eq!(c.module_balance("community_pool"), take(paid));
    assert_eq!(c.supply(), supply);
}

#[test]
fn updating_attributes_drops_their_signatures() {
    let mut c = market();
    c.ok(
        0,
        vec![any(
            MSG_REGISTER_AUDITOR,
            pb::MsgRegisterAuditor {
                authority: c.address(0),
                address: c.address(5),
                info: String::new(),
            },
        )],
    );
    c.ok(
        5,
        vec![any(
            MSG_SIGN_PROVIDER_ATTRIBUTES,
            pb::MsgSignProviderAttributes {
                auditor: c.address(5),
                provider: c.address(3),
                attributes: vec![attr("region", "eu"), attr("tier", "gold")],
            },
        )],
    );
    let devices = c.get_provider(3).device_ids;
    c.ok(
        3,
        vec![any(
            MSG_UPDATE_PROVIDER,
            pb::MsgUpdateProvider {
                owner: c.address(3),
                host_uri: "https://new.example.com".into(),
                attributes: vec![attr("region", "us"), attr("tier", "gold")],
                device_ids: devices,
            },
        )],
    );
    let audited: pb::QueryAuditedAttributesResponse = c.query(
        &format!("{Q}AuditedAttributes"),
        pb::QueryAuditedAttributesRequest {
            provider: c.address(3),
        },
    );
    assert_eq!(audited.attributes[0].attributes, vec![attr("tier", "gold")]);
    // Deleting what is left, then nothing is left to delete.
    let delete = any(
        MSG_DELETE_PROVIDER_ATTRIBUTES,
        pb::MsgDeleteProviderAttributes {
            auditor: c.address(5),
            provider: c.address(3),
            keys: vec![],
        },
    );
    c.ok(5, vec![delete.clone()]);
    c.fails(5, vec![delete], 39);
}

#[test]
fn usage_is_pruned_after_the_retention() {
    let mut c = market();
    let order = c.order(1, 100, 5_000);
    c.ok(2, vec![c.bid_msg(2, order, 10)]);
    c.ok(1, vec![c.accept_msg(1, order, 2)]);
    c.advance(2);
    c.ok(2, vec![c.withdraw_msg(2, order)]);
    let epoch = c.height() / 10;
    let usage = |c: &Chain| c.with_ctx(|ctx| c.keeper.usage(ctx, epoch, None, 10).unwrap());
    assert_eq!(usage(&c).len(), 1);
    // Retention 2 epochs of 10 blocks: gone once the epoch is 3 behind.
    while c.height() / 10 < epoch + 3 {
        c.block();
    }
    assert!(usage(&c).is_empty());
}

#[test]
fn the_denom_cannot_change() {
    let mut c = market();
    let mut p = test_params();
    p.denom = "uother".into();
    p.min_provider_collateral.denom = "uother".into();
    p.bid_deposit.denom = "uother".into();
    let r = c.tx(
        0,
        vec![any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: c.address(0),
                params: Some(p.to_proto()),
            },
        )],
    );
    assert_eq!((r.codespace.as_str(), r.code), ("market", 3), "{}", r.log);
}

#[test]
fn collateral_in_another_denom_is_refused() {
    let mut c = Chain::new(3, test_params());
    let dev = c.device(2, "compute", true);
    let msg = any(
        MSG_CREATE_PROVIDER,
        pb::MsgCreateProvider {
            owner: c.address(2),
            host_uri: "https://x.example.com".into(),
            attributes: vec![],
            device_ids: vec![dev],
            collateral: coin_of(5_000, "uatom"),
        },
    );
    c.fails(2, vec![msg], 16);
}
