//! The tally against an independent model in exact rational arithmetic.
//!
//! The model does not deduct anything: it walks every delegation to a bonded validator and
//! counts its exact power (shares × tokens / delegator_shares) with the delegator's own vote, or
//! else with the vote of the validator's operator, or not at all. The crate computes the same
//! thing the SDK's way (deductions, then each voting validator's remaining shares) with 18-place
//! decimals. So the per-option powers may differ by the rounding of each decimal operation (at
//! most a couple of 10^-18 per counted piece), and the decisions must be identical except when
//! an exact ratio lies within that rounding of its bound, which the model reports as ambiguous.

use std::cmp::Ordering;

use cosmwasm_std::{Decimal256, Uint128, Uint256};
use depin_gov::{
    tally, BondedValidator, Delegation, TallyParams, TallyRule, Vote, VoteOption,
    WeightedVoteOption,
};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use proptest::prelude::*;

const ONE: u128 = 1_000_000_000_000_000_000;
const OPTIONS: [VoteOption; 4] = [
    VoteOption::Yes,
    VoteOption::Abstain,
    VoteOption::No,
    VoteOption::NoWithVeto,
];

// ---- a minimal exact rational ---------------------------------------------------------------

#[derive(Clone, Debug)]
struct Q {
    n: BigInt,
    d: BigInt, // > 0
}

impl Q {
    fn new(n: BigInt, d: BigInt) -> Q {
        assert!(d.is_positive());
        let g = n.gcd(&d);
        if g.is_zero() {
            return Q::zero();
        }
        Q {
            n: n / &g,
            d: d / g,
        }
    }
    fn zero() -> Q {
        Q {
            n: BigInt::zero(),
            d: BigInt::from(1),
        }
    }
    fn int(v: u128) -> Q {
        Q::new(BigInt::from(v), BigInt::from(1))
    }
    /// A decimal's exact value.
    fn dec(d: Decimal256) -> Q {
        Q::new(big(d.atomics()), BigInt::from(ONE))
    }
    fn atomics(k: u128) -> Q {
        Q::new(BigInt::from(k), BigInt::from(ONE))
    }
    fn add(&self, o: &Q) -> Q {
        Q::new(&self.n * &o.d + &o.n * &self.d, &self.d * &o.d)
    }
    fn sub(&self, o: &Q) -> Q {
        Q::new(&self.n * &o.d - &o.n * &self.d, &self.d * &o.d)
    }
    fn mul(&self, o: &Q) -> Q {
        Q::new(&self.n * &o.n, &self.d * &o.d)
    }
    fn div(&self, o: &Q) -> Q {
        assert!(!o.n.is_zero());
        let (n, d) = (&self.n * &o.d, &self.d * &o.n);
        if d.is_negative() {
            Q::new(-n, -d)
        } else {
            Q::new(n, d)
        }
    }
    fn is_zero(&self) -> bool {
        self.n.is_zero()
    }
    fn floor(&self) -> BigInt {
        self.n.div_floor(&self.d)
    }
}

impl PartialEq for Q {
    fn eq(&self, o: &Q) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Q {}
impl PartialOrd for Q {
    fn partial_cmp(&self, o: &Q) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Q {
    fn cmp(&self, o: &Q) -> Ordering {
        (&self.n * &o.d).cmp(&(&o.n * &self.d))
    }
}

fn big(u: Uint256) -> BigInt {
    u.to_string().parse().unwrap()
}

// ---- the model -------------------------------------------------------------------------------

struct Model {
    /// Exact power per option (indexed as OPTIONS) and in total.
    per_option: [Q; 4],
    total: Q,
    /// Bound on the crate's rounding error of any of the sums above.
    err: Q,
    /// The decision, or None when a bound is within rounding of an exact ratio.
    decision: Option<(TallyRule, bool, bool)>,
}

fn vote_of<'a>(votes: &'a [Vote], who: &[u8]) -> Option<&'a [WeightedVoteOption]> {
    votes
        .iter()
        .find(|v| v.voter == who)
        .map(|v| v.options.as_slice())
}

/// `num / den > bound`, or None when the crate's rounding (err on both sums, one more atomic
/// on the quotient) could make it go either way.
fn above(num: &Q, den: &Q, err: &Q, bound: &Q) -> Option<bool> {
    let slack = Q::atomics(2);
    let lo_den = den.sub(err);
    if lo_den <= Q::zero() {
        return None;
    }
    let lo = num.sub(err).div(&den.add(err)).sub(&slack);
    let hi = num.add(err).div(&lo_den).add(&slack);
    if lo > *bound {
        Some(true)
    } else if hi <= *bound {
        Some(false)
    } else {
        None
    }
}

fn model(
    validators: &[BondedValidator],
    delegations: &[Delegation],
    votes: &[Vote],
    total_bonded: u128,
    p: &TallyParams,
) -> Model {
    let mut per_option = [Q::zero(), Q::zero(), Q::zero(), Q::zero()];
    let mut total = Q::zero();
    let mut pieces = 0u128;
    for v in validators {
        for d in delegations.iter().filter(|d| d.validator == v.operator) {
            let Some(options) = vote_of(votes, &d.delegator).or(vote_of(votes, &v.operator)) else {
                continue;
            };
            let power = Q::dec(d.shares)
                .mul(&Q::int(v.tokens.u128()))
                .div(&Q::dec(v.delegator_shares));
            for o in options {
                let i = OPTIONS.iter().position(|x| *x == o.option).unwrap();
                per_option[i] = per_option[i].add(&power.mul(&Q::dec(o.weight)));
            }
            total = total.add(&power);
            pieces += 1;
        }
    }
    // The crate computes one rounded power per voting delegation and per voting validator
    // (≤ 1 atomic each) and rounds each weighted part (≤ ½ atomic): 2 atomics per piece.
    let err = Q::atomics(2 * (pieces + validators.len() as u128 + 1));

    let [yes, abstain, _no, veto] = per_option.clone();
    let decision = (|| {
        if total_bonded == 0 {
            return Some((TallyRule::NoBondedTokens, false, false));
        }
        // Quorum: fails when participation < quorum, i.e. not (quorum ≤ participation).
        let bonded = Q::int(total_bonded);
        let part = total.div(&bonded);
        let part_err = err.div(&bonded).add(&Q::atomics(2));
        let q = Q::dec(p.quorum);
        if part.add(&part_err) < q {
            return Some((TallyRule::QuorumNotReached, false, p.burn_vote_quorum));
        }
        if part.sub(&part_err) < q {
            return None;
        }
        let active = total.sub(&abstain);
        if active.is_zero() {
            return Some((TallyRule::AllAbstain, false, false));
        }
        let twice = err.add(&err);
        if active <= twice {
            return None;
        }
        if above(&veto, &total, &err, &Q::dec(p.veto_threshold))? {
            return Some((TallyRule::Vetoed, false, p.burn_vote_veto));
        }
        if above(&yes, &active, &twice, &Q::dec(p.threshold))? {
            Some((TallyRule::Passed, true, false))
        } else {
            Some((TallyRule::ThresholdNotReached, false, false))
        }
    })();
    Model {
        per_option,
        total,
        err,
        decision,
    }
}

// ---- generators ------------------------------------------------------------------------------

const ACCOUNTS: u8 = 14;
const UNBONDED: u8 = 200;

fn addr(n: u8) -> Vec<u8> {
    vec![n; 20]
}

fn vote_strategy() -> impl Strategy<Value = Vec<(VoteOption, u128)>> {
    prop_oneof![
        // A plain vote.
        (0usize..4).prop_map(|i| vec![(OPTIONS[i], ONE)]),
        // A weighted vote over 2–4 distinct options, weights summing to exactly 1.
        (
            Just(OPTIONS.to_vec()).prop_shuffle(),
            2usize..=4,
            prop::collection::vec(1u128..1000, 4)
        )
            .prop_map(|(opts, k, raw)| {
                let sum: u128 = raw[..k].iter().sum();
                let mut left = ONE;
                let mut out = Vec::new();
                for i in 0..k {
                    let w = if i + 1 == k { left } else { raw[i] * ONE / sum };
                    left -= w;
                    out.push((opts[i], w));
                }
                out
            }),
    ]
}

fn fraction() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(ONE / 2),
        Just(334 * ONE / 1000),
        Just(667 * ONE / 1000),
        0u128..=ONE,
    ]
}

#[derive(Debug, Clone)]
struct Case {
    validators: Vec<BondedValidator>,
    delegations: Vec<Delegation>,
    votes: Vec<Vote>,
    total_bonded: u128,
    params: TallyParams,
}

fn case() -> impl Strategy<Value = Case> {
    let validator = (
        1u128..=1_000_000_000,
        // (delegator, shares atomics); duplicates of a delegator are merged.
        prop::collection::vec(
            (0..ACCOUNTS, 1_000_000_000_000_000u128..=10u128.pow(24)),
            1..5,
        ),
    );
    (
        prop::collection::vec(validator, 1..=10),
        prop::collection::vec((0..ACCOUNTS, 1u128..=10u128.pow(24)), 0..3),
        prop::collection::vec(
            prop::option::weighted(0.5, vote_strategy()),
            ACCOUNTS as usize,
        ),
        0u128..1_000_000_000,
        (
            fraction(),
            fraction(),
            fraction(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(|(vals, unbonded, votes, extra_bonded, (q, t, v, bq, bv))| {
            let mut validators = Vec::new();
            let mut delegations: Vec<Delegation> = Vec::new();
            let mut bonded = 0u128;
            for (i, (tokens, dels)) in vals.into_iter().enumerate() {
                // Operators are accounts 0..n: they delegate and vote like anyone.
                let operator = addr(i as u8);
                let mut merged = std::collections::BTreeMap::new();
                for (d, s) in dels {
                    *merged.entry(d).or_insert(0u128) += s;
                }
                let shares: u128 = merged.values().sum();
                for (d, s) in merged {
                    delegations.push(Delegation {
                        delegator: addr(d),
                        validator: operator.clone(),
                        shares: Decimal256::new(Uint256::from(s)),
                    });
                }
                validators.push(BondedValidator {
                    operator,
                    tokens: Uint128::new(tokens),
                    delegator_shares: Decimal256::new(Uint256::from(shares)),
                });
                bonded += tokens;
            }
            // Delegations to a validator outside the bonded set: ignored.
            let mut seen = std::collections::BTreeSet::new();
            for (d, s) in unbonded {
                if seen.insert(d) {
                    delegations.push(Delegation {
                        delegator: addr(d),
                        validator: addr(UNBONDED),
                        shares: Decimal256::new(Uint256::from(s)),
                    });
                }
            }
            let votes = votes
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    v.map(|opts| Vote {
                        voter: addr(i as u8),
                        options: opts
                            .into_iter()
                            .map(|(option, w)| WeightedVoteOption {
                                option,
                                weight: Decimal256::new(Uint256::from(w)),
                            })
                            .collect(),
                    })
                })
                .collect();
            let d = |a: u128| Decimal256::new(Uint256::from(a));
            Case {
                validators,
                delegations,
                votes,
                total_bonded: bonded + extra_bonded,
                params: TallyParams {
                    quorum: d(q),
                    threshold: d(t.max(1)),
                    veto_threshold: d(v.max(1)),
                    burn_vote_quorum: bq,
                    burn_vote_veto: bv,
                },
            }
        })
}

fn assert_close(what: &str, got: Decimal256, exact: &Q, err: &Q) {
    let got = Q::dec(got);
    let diff = if got > *exact {
        got.sub(exact)
    } else {
        exact.sub(&got)
    };
    assert!(
        diff <= *err,
        "{what}: crate {got:?} vs exact {exact:?} (allowed {err:?})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tally_matches_exact_model(c in case()) {
        let out = tally(
            &c.validators,
            &c.delegations,
            &c.votes,
            Uint128::new(c.total_bonded),
            &c.params,
        )
        .expect("valid input tallies");
        let m = model(&c.validators, &c.delegations, &c.votes, c.total_bonded, &c.params);

        let powers = [out.powers.yes, out.powers.abstain, out.powers.no, out.powers.no_with_veto];
        let tokens = [out.result.yes, out.result.abstain, out.result.no, out.result.no_with_veto];
        for i in 0..4 {
            let what = format!("{:?}", OPTIONS[i]);
            assert_close(&what, powers[i], &m.per_option[i], &m.err);
            // Whole tokens: the truncation of the decimal, so within the rounding of the
            // truncation of the exact value.
            let t = BigInt::from(tokens[i].u128());
            prop_assert_eq!(t.clone(), Q::dec(powers[i]).floor());
            prop_assert!(m.per_option[i].sub(&m.err).floor() <= t);
            prop_assert!(t <= m.per_option[i].add(&m.err).floor());
        }
        assert_close("total", out.powers.total, &m.total, &m.err);

        prop_assert_eq!(out.passes, out.rule == TallyRule::Passed);
        if let Some((rule, passes, burn)) = m.decision {
            prop_assert_eq!(out.rule, rule);
            prop_assert_eq!(out.passes, passes);
            prop_assert_eq!(out.burn_deposits, burn);
        }
    }

    /// The same case with its inputs in another order decides the same, to the atomic.
    #[test]
    fn order_independent(c in case(), seed in any::<u64>()) {
        let a = tally(&c.validators, &c.delegations, &c.votes, Uint128::new(c.total_bonded), &c.params);
        let rot = |n: usize| if n == 0 { 0 } else { (seed as usize) % n };
        let mut vals = c.validators.clone();
        let k = rot(vals.len());
        vals.rotate_left(k);
        let mut dels = c.delegations.clone();
        dels.reverse();
        let k = rot(dels.len());
        dels.rotate_left(k);
        let mut votes = c.votes.clone();
        let k = rot(votes.len());
        votes.rotate_left(k);
        let b = tally(&vals, &dels, &votes, Uint128::new(c.total_bonded), &c.params);
        prop_assert_eq!(a, b);
    }
}

/// The model's ambiguity band must be the exception: on a fixed sweep of cases most decisions
/// are compared. (A guard against a model that is vacuously ambiguous.)
#[test]
fn model_is_rarely_ambiguous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let (mut decided, mut n) = (0, 0);
    for _ in 0..300 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let m = model(
            &c.validators,
            &c.delegations,
            &c.votes,
            c.total_bonded,
            &c.params,
        );
        n += 1;
        if m.decision.is_some() {
            decided += 1;
        }
    }
    assert!(decided * 100 >= n * 95, "only {decided} of {n} decided");
}
