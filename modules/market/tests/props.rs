//! A random simulation: orders, bids, accepts, top-ups, closes, settles, withdrawals and time
//! passing, with every module's invariants (the market's escrow accounting among them)
//! checked after every block by the harness. Failing transactions are expected and ignored.

mod common;

use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Order {
        price: u128,
        blocks: u128,
    },
    Bid {
        provider: usize,
        order: u64,
        price: u128,
    },
    Accept {
        order: u64,
        provider: usize,
    },
    TopUp {
        payer: usize,
        order: u64,
        amount: u128,
    },
    Close {
        by_provider: bool,
        order: u64,
        provider: usize,
    },
    CloseOrder {
        order: u64,
    },
    Settle {
        order: u64,
    },
    Withdraw {
        provider: usize,
        order: u64,
    },
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let order = 1u64..6;
    let provider = 2usize..4;
    prop_oneof![
        (1u128..50, 10u128..20).prop_map(|(price, blocks)| Op::Order { price, blocks }),
        (provider.clone(), order.clone(), 1u128..60).prop_map(|(provider, order, price)| Op::Bid {
            provider,
            order,
            price
        }),
        (order.clone(), provider.clone())
            .prop_map(|(order, provider)| Op::Accept { order, provider }),
        (
            prop_oneof![Just(1usize), Just(4usize)],
            order.clone(),
            1u128..300
        )
            .prop_map(|(payer, order, amount)| Op::TopUp {
                payer,
                order,
                amount
            }),
        (proptest::bool::ANY, order.clone(), provider.clone()).prop_map(
            |(by_provider, order, provider)| Op::Close {
                by_provider,
                order,
                provider
            }
        ),
        order.clone().prop_map(|order| Op::CloseOrder { order }),
        order.clone().prop_map(|order| Op::Settle { order }),
        (provider, order).prop_map(|(provider, order)| Op::Withdraw { provider, order }),
        (1u64..8).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn escrow_accounting_holds_after_every_block(ops in prop::collection::vec(op(), 10..30)) {
        let mut c = Chain::new(5, test_params());
        c.provider(2, vec![]);
        c.provider(3, vec![]);
        for op in ops {
            match op {
                Op::Order { price, blocks } => {
                    let m = c.create_order_msg(1, price, price * blocks, None);
                    c.tx(1, vec![m]);
                }
                Op::Bid { provider, order, price } => {
                    let m = c.bid_msg(provider, order, price);
                    c.tx(provider, vec![m]);
                }
                Op::Accept { order, provider } => {
                    let m = c.accept_msg(1, order, provider);
                    c.tx(1, vec![m]);
                }
                Op::TopUp { payer, order, amount } => {
                    let m = c.deposit_msg(payer, order, amount);
                    c.tx(payer, vec![m]);
                }
                Op::Close { by_provider, order, provider } => {
                    let by = if by_provider { provider } else { 1 };
                    let m = c.close_lease_msg(by, order);
                    c.tx(by, vec![m]);
                }
                Op::CloseOrder { order } => {
                    let m = c.close_order_msg(1, order);
                    c.tx(1, vec![m]);
                }
                Op::Settle { order } => {
                    let m = c.settle_msg(4, order);
                    c.tx(4, vec![m]);
                }
                Op::Withdraw { provider, order } => {
                    let m = c.withdraw_msg(provider, order);
                    c.tx(provider, vec![m]);
                }
                Op::Advance(n) => c.advance(n),
            }
        }
        // Tokens are only burned (the take): the supply never grows.
        prop_assert!(c.supply() <= FUNDS * 5);
    }
}
