//! Random delegate / undelegate / redelegate / cancel / slash / unjail / time-advance
//! sequences over three validators (two bonded seats) and three delegators. After every block
//! every module's invariants hold; the same sequence on a second chain gives the same app hash.

mod common;

use common::*;
use proptest::prelude::*;

const M: u128 = 1_000_000;
const VALIDATORS: usize = 3;
const DELEGATORS: usize = 3;

/// How much to move: a fixed amount, or a percentage of what there is (100: all of it).
#[derive(Debug, Clone, Copy)]
enum Amount {
    Fixed(u128),
    Percent(u128),
}

impl Amount {
    fn of(self, available: u128) -> u128 {
        match self {
            Amount::Fixed(a) => a,
            Amount::Percent(p) => available * p / 100,
        }
    }
}

/// Undelegate, redelegate and cancel act on the `pick`-th (modulo) delegation or unbonding
/// the delegator has, so that most of them find something to act on.
#[derive(Debug, Clone)]
enum Op {
    Delegate {
        d: usize,
        v: usize,
        amount: u128,
    },
    Undelegate {
        d: usize,
        pick: usize,
        amount: Amount,
    },
    Redelegate {
        d: usize,
        pick: usize,
        dst: usize,
        amount: Amount,
    },
    Cancel {
        d: usize,
        pick: usize,
        amount: Amount,
    },
    /// Evidence against `v` for an infraction `back` blocks ago.
    Slash {
        v: usize,
        back: u64,
    },
    Unjail {
        v: usize,
    },
    Advance {
        blocks: usize,
    },
}

/// Accounts 0..3 operate the validators; 3..6 only delegate, but operators delegate too.
fn account() -> impl Strategy<Value = usize> {
    prop_oneof![2 => VALIDATORS..VALIDATORS + DELEGATORS, 1 => 0..VALIDATORS]
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![3 => 1..3 * M, 1 => 1u128..1_000, 1 => Just(M)]
}

fn share() -> impl Strategy<Value = Amount> {
    prop_oneof![
        2 => (1u128..=100).prop_map(Amount::Percent),
        1 => Just(Amount::Percent(100)),
        1 => amount().prop_map(Amount::Fixed),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..VALIDATORS;
    prop_oneof![
        4 => (account(), v.clone(), amount()).prop_map(|(d, v, amount)| Op::Delegate { d, v, amount }),
        3 => (account(), 0..4usize, share())
            .prop_map(|(d, pick, amount)| Op::Undelegate { d, pick, amount }),
        3 => (account(), 0..4usize, v.clone(), share())
            .prop_map(|(d, pick, dst, amount)| Op::Redelegate { d, pick, dst, amount }),
        1 => (account(), 0..4usize, share())
            .prop_map(|(d, pick, amount)| Op::Cancel { d, pick, amount }),
        1 => (v.clone(), 0u64..6).prop_map(|(v, back)| Op::Slash { v, back }),
        1 => v.clone().prop_map(|v| Op::Unjail { v }),
        2 => (1usize..5).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

fn start() -> Chain {
    let mut chain = Chain::new(&[50 * M; VALIDATORS + DELEGATORS], test_params(2));
    for (i, stake) in [(0, 3 * M), (1, 2 * M), (2, 2 * M + 500_000)] {
        chain.ok(i, vec![chain.msg_create_validator(i, stake)]);
    }
    chain
}

/// Runs `op` as one or more blocks; returns the app hash of the last.
fn apply(chain: &mut Chain, op: &Op) -> Vec<u8> {
    let block = match *op {
        Op::Delegate { d, v, amount } => chain.tx(d, vec![chain.msg_delegate(d, v, amount)]).1,
        Op::Undelegate { d, pick, amount } => {
            let (v, worth) = picked(chain, d, pick);
            chain
                .tx(d, vec![chain.msg_undelegate(d, v, amount.of(worth))])
                .1
        }
        Op::Redelegate {
            d,
            pick,
            dst,
            amount,
        } => {
            let (src, worth) = picked(chain, d, pick);
            chain
                .tx(d, vec![chain.msg_redelegate(d, src, dst, amount.of(worth))])
                .1
        }
        Op::Cancel { d, pick, amount } => {
            let v = pick % VALIDATORS;
            let (height, balance) = chain
                .unbonding_entries(d, v)
                .last()
                .map_or((1, 0), |e| (e.creation_height, e.balance.parse().unwrap()));
            chain
                .tx(
                    d,
                    vec![chain.msg_cancel_unbonding(d, v, amount.of(balance), height)],
                )
                .1
        }
        Op::Slash { v, back } => {
            // A validator that was removed (unbonded, no delegations) has no power.
            let tokens = chain
                .validators()
                .get(&chain.operator(v))
                .copied()
                .unwrap_or(0);
            let power = (tokens / M) as i64;
            let height = (chain.height + 1).saturating_sub(back).max(1);
            chain.evidence(v, height, power)
        }
        Op::Unjail { v } => chain.tx(v, vec![chain.msg_unjail(v)]).1,
        Op::Advance { blocks } => {
            let mut last = chain.block();
            for _ in 1..blocks {
                last = chain.block();
            }
            last
        }
    };
    chain.assert_invariants();
    block.app_hash.to_vec()
}

/// The `pick`-th (modulo) validator `d` delegates to, and what that delegation is worth; the
/// first validator and 0 when there is none.
fn picked(chain: &Chain, d: usize, pick: usize) -> (usize, u128) {
    let held: Vec<(usize, u128)> = (0..VALIDATORS)
        .map(|v| (v, chain.delegation_balance(d, v)))
        .filter(|(_, w)| *w > 0)
        .collect();
    if held.is_empty() {
        return (0, 0);
    }
    held[pick % held.len()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_block(ops in prop::collection::vec(op(), 10..40)) {
        let mut a = start();
        let mut b = start();
        for op in &ops {
            let ha = apply(&mut a, op);
            let hb = apply(&mut b, op);
            prop_assert_eq!(ha, hb, "same operations, different app hash after {:?}", op);
        }
        // Everything still unbonding completes; the pools then hold only validators' tokens.
        a.advance(13);
        let exported = a.export();
        let entries = exported["staking"]["unbonding_delegations"].as_array().unwrap().len();
        prop_assert_eq!(entries, 0);
    }
}
