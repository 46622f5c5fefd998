//! Review findings: the take of frequently settled leases, bid slots and serving devices,
//! the begin-block budget, genesis validation.

mod common;

use common::*;
use depin_market::msgs::*;
use depin_proto::depin::market::v1 as pb;
use serde_json::{json, Value};

/// The take at the test params' 2%.
fn take(x: u128) -> u128 {
    x * 200 / 10_000
}

fn close_bid_msg(c: &Chain, provider: usize, order: u64) -> cosmrs::Any {
    any(
        MSG_CLOSE_BID,
        pb::MsgCloseBid {
            provider: c.address(provider),
            order_id: order,
        },
    )
}

fn update_provider_msg(c: &Chain, owner: usize, devices: Vec<String>) -> cosmrs::Any {
    any(
        MSG_UPDATE_PROVIDER,
        pb::MsgUpdateProvider {
            owner: c.address(owner),
            host_uri: format!("https://p{owner}.example.com:8443"),
            attributes: Vec::new(),
            device_ids: devices,
        },
    )
}

fn open_bids(c: &Chain, order: u64) -> usize {
    c.bids(pb::QueryBidsRequest {
        order_id: order,
        state: pb::BidState::Open as i32,
        ..Default::default()
    })
    .len()
}

/// Two leases at 10 a block (a take of 0.2 a block): one settled by anyone every block, the
/// other only when it closes. Same take, same payout: the take is of the total paid.
#[test]
fn settling_every_block_takes_what_settling_once_takes() {
    let mut c = Chain::new(5, test_params());
    c.provider(2, vec![]);
    c.provider(3, vec![]);
    let a = c.order(1, 10, 5_000);
    let b = c.order(1, 10, 5_000);
    c.ok(2, vec![c.bid_msg(2, a, 10)]);
    c.ok(3, vec![c.bid_msg(3, b, 10)]);
    let supply0 = c.supply();
    let (p2, p3) = (c.balance(2), c.balance(3));
    c.ok(1, vec![c.accept_msg(1, a, 2), c.accept_msg(1, b, 3)]);
    let start = c.height() as u128;
    for _ in 0..37 {
        c.ok(4, vec![c.settle_msg(4, a)]);
    }
    c.ok(1, vec![c.close_lease_msg(1, a), c.close_lease_msg(1, b)]);
    let paid = (c.height() as u128 - start) * 10;
    assert!(paid > 0 && take(paid) > 0);
    // Each provider: the total less the take of the total, and its bid deposit back.
    assert_eq!(c.balance(2) - p2, paid - take(paid) + 100);
    assert_eq!(c.balance(3) - p3, paid - take(paid) + 100);
    assert_eq!(supply0 - c.supply(), 2 * take(paid));
    let (la, _) = c.lease(a);
    let (lb, _) = c.lease(b);
    assert_eq!(amount(&la.paid), amount(&lb.paid));
}

/// A provider that bids and closes cannot keep an order's slots: only open bids count, and
/// it cannot bid twice on one order.
#[test]
fn closed_bids_free_their_slot() {
    let mut c = Chain::new(7, test_params());
    for p in 2..=5 {
        c.provider(p, vec![]);
    }
    let order = c.order(1, 100, 5_000);
    for p in 2..=4 {
        c.ok(p, vec![c.bid_msg(p, order, 90)]);
    }
    // max_bids_per_order is 3.
    c.fails(5, vec![c.bid_msg(5, order, 90)], 26);
    c.ok(2, vec![close_bid_msg(&c, 2, order)]);
    assert_eq!(open_bids(&c, order), 2);
    c.ok(5, vec![c.bid_msg(5, order, 80)]);
    // One bid per provider per order, closed or not.
    c.fails(2, vec![c.bid_msg(2, order, 70)], 27);
    assert_eq!(c.get_order(order).bids, 4, "bids placed");
    assert_eq!(open_bids(&c, order), 3);
    // Accepting 5: the other open bids lose, the closed one stays closed.
    c.ok(1, vec![c.accept_msg(1, order, 5)]);
    let lost = c.bids(pb::QueryBidsRequest {
        order_id: order,
        state: pb::BidState::Lost as i32,
        ..Default::default()
    });
    assert_eq!(lost.len(), 2);
    let closed = c.bids(pb::QueryBidsRequest {
        order_id: order,
        state: pb::BidState::Closed as i32,
        ..Default::default()
    });
    assert_eq!(closed.len(), 1);
    assert_eq!(open_bids(&c, order), 0);
}

/// A provider bids only with an active compute device of its own.
#[test]
fn a_bidder_needs_an_active_compute_device() {
    let mut c = Chain::new(5, test_params());
    let order = c.order(1, 100, 5_000);
    // Account 2 registers without devices: allowed, but it cannot bid.
    c.ok(2, vec![c.create_provider_msg(2, vec![], vec![], 1_000)]);
    let log = c.fails(2, vec![c.bid_msg(2, order, 90)], 53);
    assert!(log.contains("lists no devices"), "{log}");
    // A storage device does not serve a compute order.
    let disk = c.device(2, "storage", true);
    c.ok(2, vec![update_provider_msg(&c, 2, vec![disk.clone()])]);
    let log = c.fails(2, vec![c.bid_msg(2, order, 90)], 53);
    assert!(log.contains("class storage"), "{log}");
    // A compute device does.
    let cpu = c.device(2, "compute", true);
    c.ok(2, vec![update_provider_msg(&c, 2, vec![disk, cpu])]);
    c.ok(2, vec![c.bid_msg(2, order, 90)]);
}

/// With a budget of 2 transitions a block, the timeouts of an order with 3 open bids and
/// one with 1 take three blocks: every bid closed and every order closed counts.
#[test]
fn the_timeout_budget_counts_every_bid() {
    let params = depin_market::Params {
        max_transitions_per_block: 2,
        ..test_params()
    };
    let mut c = Chain::new(6, params);
    for p in 2..=4 {
        c.provider(p, vec![]);
    }
    let msgs = vec![
        c.create_order_msg(1, 100, 5_000, None),
        c.create_order_msg(1, 100, 5_000, None),
    ];
    c.ok(1, msgs);
    let (a, b) = (1, 2);
    for p in 2..=4 {
        c.ok(p, vec![c.bid_msg(p, a, 90)]);
    }
    c.ok(2, vec![c.bid_msg(2, b, 90)]);
    let deadline = c.get_order(a).bid_deadline as u64;
    assert_eq!(c.get_order(b).bid_deadline as u64, deadline);
    while c.height() < deadline {
        c.block();
    }
    let open = pb::OrderState::Open as i32;
    let closed = pb::OrderState::Closed as i32;
    assert_eq!((open_bids(&c, a), open_bids(&c, b)), (3, 1));
    // Block deadline + 1: two of order a's bids.
    c.block();
    assert_eq!((open_bids(&c, a), c.get_order(a).state), (1, open));
    // Its last bid and the order itself.
    c.block();
    assert_eq!((open_bids(&c, a), c.get_order(a).state), (0, closed));
    assert_eq!((open_bids(&c, b), c.get_order(b).state), (1, open));
    c.block();
    assert_eq!((open_bids(&c, b), c.get_order(b).state), (0, closed));
    assert_eq!(c.escrow(b).state, pb::EscrowState::Closed as i32);
    // An order past its deadline takes no bid while it waits.
    assert_eq!(c.module_balance("market"), 3 * 1_000);
}

/// A chain with a provider, an open order with a bid, an active lease (settled with a take
/// remainder) and a funded module account; its export.
fn exported() -> (Vec<depin_simapp::testing::TestKey>, Value) {
    // test_keys is deterministic: the same keys sign on the imported chain.
    let mut c = Chain::new(5, test_params());
    c.provider(2, vec![]);
    c.provider(3, vec![]);
    let leased = c.order(1, 10, 5_000);
    c.ok(2, vec![c.bid_msg(2, leased, 7)]);
    c.ok(1, vec![c.accept_msg(1, leased, 2)]);
    c.advance(3);
    c.ok(4, vec![c.settle_msg(4, leased)]);
    let open = c.order(1, 10, 5_000);
    c.ok(3, vec![c.bid_msg(3, open, 9)]);
    let state = c.export();
    (test_keys(5), state)
}

fn market_of(state: &mut Value) -> &mut Value {
    &mut state["market"]
}

#[test]
fn an_export_imports_with_its_take_remainders() {
    let (keys, state) = exported();
    let remainders = state["market"]["take_remainders"].as_array().unwrap();
    assert_eq!(remainders.len(), 1, "7 a block at 2% leaves a remainder");
    assert_eq!(remainders[0]["escrow_id"], "order/1");
    assert_eq!(Chain::init_error(&keys, &state), None);
    let c2 = Chain::with_state(keys, &state);
    assert_eq!(c2.market_state(), state["market"]);
}

#[test]
fn corrupt_genesis_documents_are_refused() {
    let (keys, state) = exported();
    type Corrupt = fn(&mut Value);
    let cases: Vec<(&str, Corrupt, &str)> = vec![
        (
            "a duplicate order",
            |m| {
                let o = m["orders"][0].clone();
                m["orders"].as_array_mut().unwrap().push(o);
            },
            "ids must be unique",
        ),
        (
            "an order id at next_order_id",
            |m| m["next_order_id"] = json!("2"),
            "below next_order_id",
        ),
        (
            "a next id that cannot be followed",
            |m| m["next_deal_id"] = json!(u64::MAX.to_string()),
            "next_deal_id",
        ),
        (
            "unwithdrawn above paid",
            |m| {
                let paid: u128 = m["leases"][0]["paid"]["amount"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                m["leases"][0]["unwithdrawn"]["amount"] = json!((paid + 1).to_string());
            },
            "exceeds paid",
        ),
        (
            "an escrow in another denom",
            |m| m["escrow_accounts"][0]["balance"]["denom"] = json!("uother"),
            "market denom",
        ),
        (
            "an escrow balance that is not its deposits",
            |m| m["escrow_accounts"][0]["balance"]["amount"] = json!("1"),
            "sum of its deposits",
        ),
        (
            "locked collateral above the collateral",
            |m| {
                m["providers"][0]["locked_collateral"] =
                    json!([{"denom": "udepin", "amount": "5000"}])
            },
            "locks 5000",
        ),
        (
            "a bid deposit in another denom",
            |m| m["bids"][0]["deposit"]["denom"] = json!("uother"),
            "market denom",
        ),
        (
            "an open bid on an active order",
            |m| m["bids"][0]["state"] = json!("BID_STATE_OPEN"),
            "is open but its order is not",
        ),
        (
            "a miscounted order",
            |m| m["orders"][1]["bids"] = json!(5),
            "counts 5 bids",
        ),
        (
            "a lease of an unknown provider",
            |m| m["leases"][0]["provider"] = m["orders"][0]["tenant"].clone(),
            "its provider a listed provider",
        ),
        (
            "an active order without its lease",
            |m| {
                m["leases"].as_array_mut().unwrap().clear();
            },
            "has no open lease",
        ),
        (
            "an open lease whose bid is closed",
            |m| m["bids"][0]["state"] = json!("BID_STATE_CLOSED"),
            "no active bid",
        ),
        (
            "a take remainder of a whole unit",
            |m| m["take_remainders"][0]["remainder"] = json!(10_000),
            "below 10000",
        ),
        (
            "a take remainder of an unknown escrow",
            |m| m["take_remainders"][0]["escrow_id"] = json!("order/9"),
            "not listed",
        ),
        (
            "an order without its escrow",
            |m| {
                m["escrow_accounts"].as_array_mut().unwrap().remove(1);
            },
            "order 2: its escrow is not listed",
        ),
        (
            "a negative settled height",
            |m| {
                m["leases"][0]["created_height"] = json!("-9223372036854775808");
                m["leases"][0]["settled_height"] = json!("-9223372036854775808");
            },
            "heights",
        ),
        (
            // Every record is well formed, but the module account does not hold it.
            "an escrow the module account does not hold",
            |m| {
                let e = &mut m["escrow_accounts"][1];
                e["balance"]["amount"] = json!("5001");
                e["deposits"][0]["amount"]["amount"] = json!("5001");
            },
            "inconsistent",
        ),
        (
            "a community pool that is no module account name",
            |m| {
                m["params"]["take_destination"] = json!("TAKE_DESTINATION_COMMUNITY_POOL");
                m["params"]["community_pool_account"] = json!("Community Pool");
            },
            "not a module account name",
        ),
    ];
    for (what, corrupt, expect) in cases {
        let mut s = state.clone();
        corrupt(market_of(&mut s));
        let err = Chain::init_error(&keys, &s)
            .unwrap_or_else(|| panic!("{what}: the genesis was accepted"));
        assert!(
            err.contains("invalid genesis") && err.contains(expect),
            "{what}: {err}"
        );
    }
}
