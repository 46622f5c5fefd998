//! Random simulation: delegations, undelegations, redelegations, a slash, withdrawals and
//! blocks with fees, with every module's invariants after every block and the accounting of
//! distribution checked to the unit (10^-18 udepin) against what the bank moved.

mod common;

use common::*;
use depin_app::address::{module_address, AddressCodec};
use proptest::prelude::*;

const VALIDATORS: usize = 3;
const DELEGATORS: usize = 3;
/// Account of the fee payer.
const PAYER: usize = VALIDATORS + DELEGATORS;

#[derive(Debug, Clone)]
enum Op {
    Delegate {
        d: usize,
        v: usize,
        amount: u128,
    },
    Undelegate {
        d: usize,
        v: usize,
        percent: u128,
    },
    Redelegate {
        d: usize,
        src: usize,
        dst: usize,
        percent: u128,
    },
    Withdraw {
        d: usize,
        v: usize,
    },
    WithdrawCommission {
        v: usize,
    },
    SetWithdrawAddress {
        d: usize,
        to: usize,
    },
    Fees {
        amount: u128,
    },
    Slash {
        v: usize,
    },
    Blocks {
        n: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let d = VALIDATORS..VALIDATORS + DELEGATORS;
    let v = 0..VALIDATORS;
    prop_oneof![
        (d.clone(), v.clone(), 1..5_000_000u128).prop_map(|(d, v, amount)| Op::Delegate {
            d,
            v,
            amount
        }),
        (d.clone(), v.clone(), 1..=100u128).prop_map(|(d, v, percent)| Op::Undelegate {
            d,
            v,
            percent
        }),
        (d.clone(), v.clone(), v.clone(), 1..=100u128).prop_map(|(d, src, dst, percent)| {
            Op::Redelegate {
                d,
                src,
                dst,
                percent,
            }
        }),
        (0..VALIDATORS + DELEGATORS, v.clone()).prop_map(|(d, v)| Op::Withdraw { d, v }),
        v.clone().prop_map(|v| Op::WithdrawCommission { v }),
        (d, 0..PAYER + 1).prop_map(|(d, to)| Op::SetWithdrawAddress { d, to }),
        (1..3_000_000u128).prop_map(|amount| Op::Fees { amount }),
        (1..3_000_000u128).prop_map(|amount| Op::Fees { amount }),
        v.prop_map(|v| Op::Slash { v }),
        (1..4usize).prop_map(|n| Op::Blocks { n }),
    ]
}

/// What the bank moved in and out of the distribution account, from the events.
#[derive(Default, Debug)]
struct Ledger {
    /// Fees paid by transactions.
    fees: u128,
    /// From the fee collector into distribution.
    collected: u128,
    /// Out of distribution (withdrawals, commission, removed validators).
    paid_out: u128,
    /// Σ of the `rewards` events (decimal, in 10^-18 units).
    allocated_to_validators: u128,
}

fn sum_amount(list: &str) -> u128 {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let digits: String = s
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            assert!(s.ends_with(DENOM), "unexpected denom in {s}");
            match digits.split_once('.') {
                Some((w, f)) => {
                    w.parse::<u128>().unwrap() * 1_000_000_000_000_000_000
                        + format!("{f:0<18}").parse::<u128>().unwrap()
                }
                None => digits.parse::<u128>().unwrap(),
            }
        })
        .sum()
}

impl Ledger {
    fn record(&mut self, c: &Chain) {
        let codec = AddressCodec::new(PREFIX);
        let dist = codec.encode(&module_address("distribution"));
        let collector = codec.encode(&module_address("fee_collector"));
        for e in &c.events {
            match e.kind.as_str() {
                "transfer" => {
                    let amount = sum_amount(e.get("amount").unwrap_or_default());
                    let (from, to) = (e.get("sender").unwrap(), e.get("recipient").unwrap());
                    if from == dist {
                        self.paid_out += amount;
                    }
                    if from == collector && to == dist {
                        self.collected += amount;
                    }
                }
                "rewards" => {
                    self.allocated_to_validators += sum_amount(e.get("amount").unwrap_or_default())
                }
                _ => {}
            }
        }
    }
}

fn pool_and_outstanding(c: &Chain) -> u128 {
    let export = c.export();
    let dist = &export["distribution"];
    let sum = |list: &serde_json::Value| -> u128 {
        list.as_array()
            .unwrap()
            .iter()
            .map(|coin| {
                let a = coin["amount"].as_str().unwrap();
                sum_amount(&format!("{a}{DENOM}"))
            })
            .sum()
    };
    let mut total = sum(&dist["fee_pool"]["community_pool"]);
    for o in dist["outstanding_rewards"].as_array().unwrap() {
        total += sum(&o["outstanding_rewards"]);
    }
    total
}

fn run(ops: Vec<Op>) {
    let mut funds = vec![1_000 * M; PAYER];
    funds.push(100_000 * M);
    let mut c = Chain::new(&funds);
    let mut ledger = Ledger::default();
    for v in 0..VALIDATORS {
        let msg = c.msg_create_validator(v, (v as u128 + 1) * 5 * M, &format!("0.{}", v + 1));
        c.ok(v, vec![msg]);
    }
    let mut slashed = false;
    let one = 1_000_000_000_000_000_000u128;
    for op in ops {
        // Steps that send nothing run no block: do not count the last one's events again.
        c.events.clear();
        match op {
            Op::Delegate { d, v, amount } => {
                let m = c.msg_delegate(d, v, amount);
                c.tx(d, vec![m]);
            }
            Op::Undelegate { d, v, percent } => {
                let amount = c_delegation(&c, d, v) * percent / 100;
                if amount > 0 {
                    let m = c.msg_undelegate(d, v, amount);
                    c.tx(d, vec![m]);
                }
            }
            Op::Redelegate {
                d,
                src,
                dst,
                percent,
            } => {
                let amount = c_delegation(&c, d, src) * percent / 100;
                if amount > 0 && src != dst {
                    let m = c.msg_redelegate(d, src, dst, amount);
                    c.tx(d, vec![m]);
                }
            }
            Op::Withdraw { d, v } => {
                let m = c.msg_withdraw(d, v);
                c.tx(d, vec![m]);
            }
            Op::WithdrawCommission { v } => {
                let m = c.msg_withdraw_commission(v);
                c.tx(v, vec![m]);
            }
            Op::SetWithdrawAddress { d, to } => {
                let to = c.address(to);
                let m = c.msg_set_withdraw_address(d, &to);
                c.tx(d, vec![m]);
            }
            Op::Fees { amount } => {
                c.pay_fees(PAYER, amount);
                ledger.fees += amount;
            }
            Op::Slash { v } => {
                // One double sign per run, so that the chain keeps validators.
                if !slashed {
                    slashed = true;
                    let h = c.height();
                    let power = (c_tokens(&c, v) / M) as i64;
                    if power > 0 {
                        c.evidence(v, h, power);
                    }
                }
            }
            Op::Blocks { n } => {
                for _ in 0..n {
                    c.block();
                    ledger.record(&c);
                }
                continue;
            }
        }
        ledger.record(&c);
        // One more block so that fees paid are allocated before the books are checked.
        c.block();
        ledger.record(&c);

        // Every fee reached distribution, and nothing was lost or made up: what was paid
        // out plus what is still held (outstanding and the pool, dust included) is exactly
        // what came in.
        assert_eq!(ledger.collected, ledger.fees, "{ledger:?}");
        assert_eq!(
            ledger.paid_out * one + pool_and_outstanding(&c),
            ledger.collected * one,
            "{ledger:?}"
        );
        // Delegators and validators together never took more than validators were given.
        assert!(
            ledger.paid_out * one <= ledger.allocated_to_validators,
            "{ledger:?}"
        );
    }
    // Export → import reproduces the export.
    let export = c.export();
    let restarted = Chain::with_state(test_keys(PAYER + 1), &export, None, c.height() + 1)
        .expect("the export imports");
    assert_eq!(restarted.export()["distribution"], export["distribution"]);
}

fn c_delegation(c: &Chain, d: usize, v: usize) -> u128 {
    let resp = c.driver.query(
        "/cosmos.staking.v1beta1.Query/Delegation",
        prost::Message::encode_to_vec(
            &cosmrs::proto::cosmos::staking::v1beta1::QueryDelegationRequest {
                delegator_addr: c.address(d),
                validator_addr: c.operator(v),
            },
        ),
    );
    if resp.code != 0 {
        return 0;
    }
    let r: cosmrs::proto::cosmos::staking::v1beta1::QueryDelegationResponse =
        prost::Message::decode(resp.value.as_ref()).unwrap();
    r.delegation_response
        .unwrap()
        .balance
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

fn c_tokens(c: &Chain, v: usize) -> u128 {
    let r: cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorResponse = c.query(
        "/cosmos.staking.v1beta1.Query/Validator",
        cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorRequest {
            validator_addr: c.operator(v),
        },
    );
    r.validator.unwrap().tokens.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn books_balance_after_every_block(ops in prop::collection::vec(op(), 5..40)) {
        run(ops);
    }
}

/// A fixed run through every kind of step, so that a plain `cargo test` covers them all.
#[test]
fn every_step_once() {
    run(vec![
        Op::Delegate {
            d: 3,
            v: 0,
            amount: 3_333_333,
        },
        Op::Fees { amount: 1_000_003 },
        Op::SetWithdrawAddress { d: 3, to: 5 },
        Op::Redelegate {
            d: 3,
            src: 0,
            dst: 1,
            percent: 40,
        },
        Op::Fees { amount: 777_777 },
        Op::Slash { v: 1 },
        Op::Fees { amount: 555_555 },
        Op::Withdraw { d: 3, v: 1 },
        Op::WithdrawCommission { v: 2 },
        Op::Undelegate {
            d: 3,
            v: 0,
            percent: 100,
        },
        Op::Undelegate {
            d: 0,
            v: 0,
            percent: 100,
        },
        Op::Blocks { n: 3 },
        Op::Fees { amount: 123_457 },
        Op::Blocks { n: 14 },
        Op::Withdraw { d: 3, v: 1 },
    ]);
}
