//! A random simulation: orders, bids, accepts, top-ups, closes, settles, withdrawals, storage
//! deals (proposals, accepts, cancels, good and bad proofs, skipped proofs) and time passing,
//! with every module's invariants (the market's escrow and collateral accounting, the deal
//! queue among them) checked after every block by the harness. Failing transactions are
//! expected and ignored.
#![cfg(feature = "client")]

mod common;

use common::*;
use depin_market::client::{answer, proof_msg, propose_deal_msg, MerkleTree};
use depin_market::msgs::{MSG_ACCEPT_DEAL, MSG_CANCEL_DEAL, MSG_SUBMIT_STORAGE_PROOF};
use depin_market::Params;
use depin_proto::depin::market::v1 as pb;
use proptest::prelude::*;
use prost::Message;

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
    Propose {
        client: usize,
        provider: usize,
        price: u128,
        collateral: u128,
        duration: u64,
    },
    AcceptDeal {
        provider: usize,
        deal: u64,
    },
    CancelDeal {
        client: usize,
        deal: u64,
    },
    /// Payer 4 tops up a deal's escrow (refunded to it when the deal ends).
    TopUpDeal {
        deal: u64,
        amount: u128,
    },
    /// Answers the deal's current challenges (a corrupted chunk when `good` is false).
    Prove {
        provider: usize,
        deal: u64,
        good: bool,
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
        (
            prop_oneof![Just(1usize), Just(4usize)],
            2usize..4,
            1u128..50,
            1u128..600,
            1u64..5
        )
            .prop_map(
                |(client, provider, price, collateral, duration)| Op::Propose {
                    client,
                    provider,
                    price,
                    collateral,
                    duration
                }
            ),
        (1u64..8).prop_map(Op::Advance),
    ]
}

/// Deal-heavy operations: the deal's own provider accepts and proves most of the time.
fn deal_op() -> impl Strategy<Value = Op> {
    let deal = 0u64..3;
    let provider = prop_oneof![4 => Just(0usize), 1 => 2usize..4];
    prop_oneof![
        3 => (
            prop_oneof![Just(1usize), Just(4usize)],
            prop_oneof![3 => Just(2usize), 1 => Just(3usize)],
            1u128..50,
            1u128..600,
            2u64..6
        )
            .prop_map(|(client, provider, price, collateral, duration)| Op::Propose {
                client,
                provider,
                price,
                collateral,
                duration
            }),
        3 => (provider.clone(), deal.clone())
            .prop_map(|(provider, deal)| Op::AcceptDeal { provider, deal }),
        1 => (prop_oneof![Just(1usize), Just(4usize)], deal.clone())
            .prop_map(|(client, deal)| Op::CancelDeal { client, deal }),
        1 => (deal.clone(), 1u128..100).prop_map(|(deal, amount)| Op::TopUpDeal { deal, amount }),
        5 => (provider, deal, proptest::bool::weighted(0.85))
            .prop_map(|(provider, deal, good)| Op::Prove {
                provider,
                deal,
                good
            }),
        3 => (1u64..5).prop_map(Op::Advance),
    ]
}

/// Short proving periods so that deals live, fault and end within a simulation.
fn sim_params() -> Params {
    Params {
        proving_period_blocks: 3,
        challenges_per_period: 2,
        deal_acceptance_blocks: 6,
        deal_activation_blocks: 6,
        max_consecutive_faults: 2,
        fault_fee_bps: 2_500,
        ..test_params()
    }
}

fn data() -> (Vec<u8>, MerkleTree) {
    let data: Vec<u8> = (0..3_000u32).map(|i| (i * 7 + i / 256) as u8).collect();
    let tree = MerkleTree::build(&data, 256).unwrap();
    (data, tree)
}

/// Provider index 0 stands for the deal's own provider (2 when the deal does not exist).
fn own_provider(c: &Chain, provider: usize, deal: u64) -> usize {
    if provider != 0 {
        return provider;
    }
    let r = c.driver.query(
        &format!("{Q}Deal"),
        pb::QueryDealRequest { deal_id: deal }.encode_to_vec(),
    );
    if r.code != 0 {
        return 2;
    }
    let d = pb::QueryDealResponse::decode(r.value.as_ref())
        .unwrap()
        .deal
        .unwrap();
    if d.provider == c.address(3) {
        3
    } else {
        2
    }
}

/// Runs `ops` on a chain with providers 2 and 3; the harness checks the invariants after
/// every block.
fn run(ops: Vec<Op>) -> Chain {
    let mut c = Chain::new(5, sim_params());
    c.provider(2, vec![]);
    c.provider(3, vec![]);
    let (bytes, tree) = data();
    // Deal operations name a deal by how far back it was proposed (0: the latest).
    let mut proposed = 0u64;
    let recent = |proposed: u64, back: u64| proposed.saturating_sub(back).max(1);
    for op in ops {
        match op {
            Op::Order { price, blocks } => {
                let m = c.create_order_msg(1, price, price * blocks, None);
                c.tx(1, vec![m]);
            }
            Op::Bid {
                provider,
                order,
                price,
            } => {
                let m = c.bid_msg(provider, order, price);
                c.tx(provider, vec![m]);
            }
            Op::Accept { order, provider } => {
                let m = c.accept_msg(1, order, provider);
                c.tx(1, vec![m]);
            }
            Op::TopUp {
                payer,
                order,
                amount,
            } => {
                let m = c.deposit_msg(payer, order, amount);
                c.tx(payer, vec![m]);
            }
            Op::Close {
                by_provider,
                order,
                provider,
            } => {
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
            Op::Propose {
                client,
                provider,
                price,
                collateral,
                duration,
            } => {
                let m = propose_deal_msg(
                    c.address(client),
                    c.address(provider),
                    &tree,
                    duration,
                    coin(price).unwrap(),
                    coin(collateral).unwrap(),
                );
                let r = c.tx(
                    client,
                    vec![common::any(depin_market::msgs::MSG_PROPOSE_DEAL, m)],
                );
                if r.code == 0 {
                    proposed += 1;
                }
            }
            Op::AcceptDeal { provider, deal } => {
                let deal = recent(proposed, deal);
                let provider = own_provider(&c, provider, deal);
                let m = pb::MsgAcceptDeal {
                    provider: c.address(provider),
                    deal_id: deal,
                };
                c.tx(provider, vec![common::any(MSG_ACCEPT_DEAL, m)]);
            }
            Op::CancelDeal { client, deal } => {
                let deal = recent(proposed, deal);
                let m = pb::MsgCancelDeal {
                    client: c.address(client),
                    deal_id: deal,
                };
                c.tx(client, vec![common::any(MSG_CANCEL_DEAL, m)]);
            }
            Op::Prove {
                provider,
                deal,
                good,
            } => {
                let deal = recent(proposed, deal);
                let provider = own_provider(&c, provider, deal);
                let r = c.driver.query(
                    &format!("{Q}Challenges"),
                    pb::QueryChallengesRequest { deal_id: deal }.encode_to_vec(),
                );
                if r.code != 0 {
                    c.block();
                    continue;
                }
                let ch = pb::QueryChallengesResponse::decode(r.value.as_ref()).unwrap();
                let mut proofs = answer(&tree, &bytes, &ch.indices).unwrap();
                if !good {
                    proofs[0].chunk[0] ^= 1;
                }
                let m = proof_msg(c.address(provider), deal, ch.period, proofs);
                c.tx(provider, vec![common::any(MSG_SUBMIT_STORAGE_PROOF, m)]);
            }
            Op::TopUpDeal { deal, amount } => {
                let deal = recent(proposed, deal);
                let m = pb::MsgDepositEscrow {
                    depositor: c.address(4),
                    escrow_id: format!("deal/{deal}"),
                    amount: coin(amount),
                };
                c.tx(
                    4,
                    vec![common::any(depin_market::msgs::MSG_DEPOSIT_ESCROW, m)],
                );
            }
            Op::Advance(n) => c.advance(n),
        }
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn escrow_accounting_holds_after_every_block(ops in prop::collection::vec(op(), 10..40)) {
        let c = run(ops);
        // Tokens are only burned (the take): the supply never grows.
        prop_assert!(c.supply() <= FUNDS * 5);
    }

    #[test]
    fn deal_accounting_holds_after_every_block(ops in prop::collection::vec(deal_op(), 20..60)) {
        let c = run(ops);
        prop_assert!(c.supply() <= FUNDS * 5);
    }
}
