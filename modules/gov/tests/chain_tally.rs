//! The chain's tally against the tally function fed the stake, delegations and votes the test
//! itself created: random validators' stakes, delegations and (weighted) votes on the
//! reference chain. With `tests/tally_props.rs` (the function against an exact model), the
//! chain's answer is the model's.

mod common;

use common::*;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmwasm_std::{Decimal256, Uint128};
use depin_app::address::AddressCodec;
use depin_gov::{
    tally, BondedValidator, Delegation, TallyParams, Vote, VoteOption, WeightedVoteOption,
};
use proptest::prelude::*;

const ACCOUNTS: usize = 8;

fn option(i: u8) -> VoteOption {
    [
        VoteOption::Yes,
        VoteOption::Abstain,
        VoteOption::No,
        VoteOption::NoWithVeto,
    ][i as usize % 4]
}

/// A vote: one option, or two options split `w`/(100 − w) percent.
#[derive(Debug, Clone)]
struct RandomVote {
    first: u8,
    second: u8,
    split: u8,
}

impl RandomVote {
    fn options(&self) -> Vec<WeightedVoteOption> {
        let (a, b) = (option(self.first), option(self.second));
        if a == b || self.split == 0 || self.split >= 100 {
            return vec![WeightedVoteOption::full(a)];
        }
        vec![
            WeightedVoteOption {
                option: a,
                weight: Decimal256::percent(self.split as u64),
            },
            WeightedVoteOption {
                option: b,
                weight: Decimal256::percent(100 - self.split as u64),
            },
        ]
    }
}

fn vote_strategy() -> impl Strategy<Value = Option<RandomVote>> {
    prop::option::weighted(
        0.7,
        (0u8..4, 0u8..4, 0u8..100).prop_map(|(first, second, split)| RandomVote {
            first,
            second,
            split,
        }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_chain_tallies_as_the_function(
        delegations in prop::collection::vec((3usize..ACCOUNTS, 0usize..3, 1u128..30_000_000), 0..10),
        votes in prop::collection::vec(vote_strategy(), ACCOUNTS),
    ) {
        let mut c = Chain::new(ACCOUNTS);
        let codec = AddressCodec::new("depin");
        let raw = |a: &str| codec.decode(a).unwrap();
        // Delegations: one block of transactions (each account's sequence counted here).
        let mut sequences = std::collections::BTreeMap::<usize, u64>::new();
        let mut txs = Vec::new();
        let mut shares = std::collections::BTreeMap::<(usize, usize), u128>::new();
        for (d, v, amount) in &delegations {
            let m = common::any(
                "/cosmos.staking.v1beta1.MsgDelegate",
                cosmrs::proto::cosmos::staking::v1beta1::MsgDelegate {
                    delegator_address: c.address(*d),
                    validator_address: c.operator(*v),
                    amount: Some(coins(*amount).remove(0)),
                },
            );
            let seq = sequences.entry(*d).or_insert(0);
            txs.push(c.signed_at(*d, vec![m], *seq));
            *seq += 1;
            *shares.entry((*d, *v)).or_default() += amount;
        }
        let r = c.finalize(txs);
        prop_assert!(r.tx_results.iter().all(|t| t.code == 0));
        let id = c.submit(3, vec![], MIN_DEPOSIT);
        let mut cast = Vec::new();
        let mut txs = Vec::new();
        for (i, v) in votes.iter().enumerate() {
            let Some(v) = v else { continue };
            let options = v.options();
            let m = common::any(
                "/cosmos.gov.v1.MsgVoteWeighted",
                pb::MsgVoteWeighted {
                    proposal_id: id,
                    voter: c.address(i),
                    options: options
                        .iter()
                        .map(|o| pb::WeightedVoteOption { option: o.option as i32, weight: o.weight.to_string() })
                        .collect(),
                    metadata: String::new(),
                },
            );
            txs.push(c.signed(i, vec![m]));
            cast.push(Vote { voter: raw(&c.address(i)), options });
        }
        let r = c.finalize(txs);
        prop_assert!(r.tx_results.iter().all(|t| t.code == 0), "{:?}", r.tx_results);

        // What the test knows: every validator's tokens and shares are its stake plus what was
        // delegated to it (1:1, nothing slashed), all bonded.
        let validators: Vec<BondedValidator> = (0..3)
            .map(|v| {
                let tokens = STAKES[v] + shares.iter().filter(|((_, w), _)| *w == v).map(|(_, a)| a).sum::<u128>();
                BondedValidator {
                    operator: raw(&c.address(v)),
                    tokens: Uint128::new(tokens),
                    delegator_shares: depin_staking::dec::from_tokens(Uint128::new(tokens)),
                }
            })
            .collect();
        let mut dels: Vec<Delegation> = (0..3)
            .map(|v| Delegation {
                delegator: raw(&c.address(v)),
                validator: raw(&c.address(v)),
                shares: depin_staking::dec::from_tokens(Uint128::new(STAKES[v])),
            })
            .collect();
        for ((d, v), amount) in &shares {
            dels.push(Delegation {
                delegator: raw(&c.address(*d)),
                validator: raw(&c.address(*v)),
                shares: depin_staking::dec::from_tokens(Uint128::new(*amount)),
            });
        }
        let total: u128 = validators.iter().map(|v| v.tokens.u128()).sum();
        let p = gov_params();
        let expected = tally(
            &validators,
            &dels,
            &cast,
            Uint128::new(total),
            &TallyParams {
                quorum: p.quorum,
                threshold: p.threshold,
                veto_threshold: p.veto_threshold,
                burn_vote_quorum: p.burn_vote_quorum,
                burn_vote_veto: p.burn_vote_veto,
            },
        )
        .unwrap();
        let got = c.tally(id);
        prop_assert_eq!(
            (got.yes_count, got.abstain_count, got.no_count, got.no_with_veto_count),
            (
                expected.result.yes.to_string(),
                expected.result.abstain.to_string(),
                expected.result.no.to_string(),
                expected.result.no_with_veto.to_string()
            )
        );
        // And the decision at the end of the voting period is the function's.
        let gov_before = c.gov_balance();
        let supply = c.supply();
        c.finish_voting(id);
        let status = c.status(id);
        let want = if expected.passes { pb::ProposalStatus::Passed } else { pb::ProposalStatus::Rejected };
        prop_assert_eq!(status, want);
        let burned = if expected.burn_deposits { MIN_DEPOSIT } else { 0 };
        prop_assert_eq!(c.supply(), supply - burned);
        prop_assert_eq!(gov_before - c.gov_balance(), MIN_DEPOSIT);
    }
}
