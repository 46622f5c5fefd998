//! The tally of one proposal at the end of its voting period: 100 bonded validators, every
//! validator voting, and `n` delegators voting themselves (two delegations each, so their
//! shares leave their validators' votes). Run with `cargo bench -p depin-gov --bench tally`.

use cosmwasm_std::{Decimal256, Uint128};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use depin_gov::{
    tally, BondedValidator, Delegation, TallyParams, Vote, VoteOption, WeightedVoteOption,
};

const VALIDATORS: u64 = 100;

fn address(tag: u8, i: u64) -> Vec<u8> {
    let mut a = vec![tag; 12];
    a.extend_from_slice(&i.to_be_bytes());
    a
}

fn inputs(voters: u64) -> (Vec<BondedValidator>, Vec<Delegation>, Vec<Vote>, Uint128) {
    let per_delegation = 1_000_000u128;
    let validators: Vec<BondedValidator> = (0..VALIDATORS)
        .map(|v| {
            // Self-bond 10^9 plus the delegations that reach it (two per voter, spread evenly).
            let delegated = (voters * 2 / VALIDATORS) as u128 * per_delegation;
            let tokens = Uint128::new(1_000_000_000 + delegated);
            BondedValidator {
                operator: address(1, v),
                tokens,
                delegator_shares: Decimal256::from_atomics(tokens, 0).unwrap(),
            }
        })
        .collect();
    let options = [
        VoteOption::Yes,
        VoteOption::No,
        VoteOption::Abstain,
        VoteOption::NoWithVeto,
    ];
    let mut delegations = Vec::new();
    let mut votes = Vec::new();
    for v in 0..VALIDATORS {
        votes.push(Vote {
            voter: address(1, v),
            options: vec![WeightedVoteOption::full(options[(v % 2) as usize])],
        });
        delegations.push(Delegation {
            delegator: address(1, v),
            validator: address(1, v),
            shares: Decimal256::from_atomics(1_000_000_000u128, 0).unwrap(),
        });
    }
    for d in 0..voters {
        for k in 0..2 {
            delegations.push(Delegation {
                delegator: address(2, d),
                validator: address(1, (d * 2 + k) % VALIDATORS),
                shares: Decimal256::from_atomics(per_delegation, 0).unwrap(),
            });
        }
        votes.push(Vote {
            voter: address(2, d),
            options: vec![
                WeightedVoteOption {
                    option: options[(d % 4) as usize],
                    weight: Decimal256::percent(70),
                },
                WeightedVoteOption {
                    option: options[((d + 1) % 4) as usize],
                    weight: Decimal256::percent(30),
                },
            ],
        });
    }
    let total = validators.iter().map(|v| v.tokens).sum();
    (validators, delegations, votes, total)
}

fn bench(c: &mut Criterion) {
    let params = TallyParams {
        quorum: Decimal256::permille(334),
        threshold: Decimal256::percent(50),
        veto_threshold: Decimal256::permille(334),
        burn_vote_quorum: true,
        burn_vote_veto: true,
    };
    let mut group = c.benchmark_group("tally");
    group.sample_size(10);
    for voters in [1_000u64, 10_000, 100_000] {
        let (validators, delegations, votes, total) = inputs(voters);
        group.bench_with_input(BenchmarkId::from_parameter(voters), &voters, |b, _| {
            b.iter(|| tally(&validators, &delegations, &votes, total, &params).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
