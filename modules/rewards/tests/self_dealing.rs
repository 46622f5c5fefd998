//! The self-dealing rule: a provider that leases to itself — openly (its usage counted as
//! self-paid) or through another address it controls — never ends an epoch richer, whatever
//! the take rate, the cap, the provider bucket, the emission and the honest competition.
//! The lease is played out with bank transfers as the market settles it: the tenant pays the
//! provider the payment less the take, and the take leaves them both.

mod common;

use common::*;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmwasm_std::Uint128;
use depin_proto::depin::rewards::v1 as pb;
use depin_rewards::Params;
use proptest::prelude::*;

const SELF: usize = 1;
const SYBIL: usize = 2;

fn send(c: &Chain, from: usize, to: &str, amount: u128) -> cosmrs::Any {
    common::any(
        "/cosmos.bank.v1beta1.MsgSend",
        MsgSend {
            from_address: c.address(from),
            to_address: to.into(),
            amount: vec![coin(amount).unwrap()],
        },
    )
}

fn wealth(c: &Chain) -> u128 {
    c.balance(SELF) + c.balance(SYBIL) + c.pending(&c.address(SELF))
}

#[allow(clippy::too_many_arguments)]
fn play(
    take_bps: u32,
    cap_bps: u32,
    providers_bps: u32,
    emission: u128,
    honest_takes: Vec<u128>,
    payment: u128,
    detected: bool,
    epochs: u64,
) {
    let params = Params {
        initial_epoch_emission: Uint128::new(emission),
        validators_bps: 0,
        devices_bps: 0,
        providers_bps,
        community_bps: 10_000 - providers_bps,
        max_reward_per_take_bps: cap_bps,
        ..test_params()
    };
    let mut c = Chain::new(3 + honest_takes.len(), params);
    let provider = c.address(SELF);
    let sink = c.address(0);
    for m in 0..epochs {
        c.next_epoch();
        let before = wealth(&c);
        // The sybil tenant pays the provider through the market: the provider gets the payment
        // less the take; the take leaves them (burned or to the community pool).
        let take = payment * u128::from(take_bps) / 10_000;
        let mut msgs = Vec::new();
        if payment > take {
            msgs.push(send(&c, SYBIL, &provider, payment - take));
        }
        if take > 0 {
            msgs.push(send(&c, SYBIL, &sink, take));
        }
        c.ok(SYBIL, msgs);
        let self_paid = if detected { payment } else { 0 };
        c.usage(m, &provider, payment, take, self_paid);
        for (i, t) in honest_takes.iter().enumerate() {
            let honest = c.address(3 + i);
            c.usage(m, &honest, t * 50, *t, 0);
        }
        c.set_market_epoch(m + 1);
        c.settle_payouts();
        if c.pending(&provider) > 0 {
            c.ok(
                SELF,
                vec![common::any(
                    depin_rewards::msgs::MSG_CLAIM,
                    pb::MsgClaim {
                        claimant: provider.clone(),
                    },
                )],
            );
        }
        let after = wealth(&c);
        assert!(
            after <= before,
            "epoch {m}: the self-dealer went from {before} to {after} (take {take}, cap {cap_bps} bps)"
        );
        // Its reward never exceeds the take it paid that epoch.
        let r: pb::QueryProviderRewardsResponse = c.query(
            &format!("{Q}ProviderRewards"),
            pb::QueryProviderRewardsRequest {
                provider: provider.clone(),
            },
        );
        let r = r.rewards.unwrap();
        if r.last_epoch == m {
            assert!(u(&r.last_amount) <= take);
        }
    }
}

fn u(s: &str) -> u128 {
    s.parse().unwrap()
}

#[test]
fn a_lone_self_dealer_with_the_whole_bucket_gets_back_at_most_its_take() {
    // The worst case: no competition, the whole emission to providers, no cap below the take.
    play(
        250,
        10_000,
        10_000,
        1_000_000_000,
        vec![],
        1_000_000,
        false,
        4,
    );
    // Detected self-dealing earns nothing at all.
    play(
        250,
        10_000,
        10_000,
        1_000_000_000,
        vec![],
        1_000_000,
        true,
        2,
    );
    // A zero take rate: no weight, no reward.
    play(
        0,
        10_000,
        10_000,
        1_000_000_000,
        vec![],
        1_000_000,
        false,
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn self_dealing_never_pays(
        take_bps in 0u32..=3_000,
        cap_bps in 0u32..=10_000,
        providers_bps in 0u32..=10_000,
        emission in prop_oneof![1u128..1_000, 1_000u128..1_000_000_000_000],
        honest_takes in prop::collection::vec(1u128..1_000_000, 0..3),
        payment in 1u128..10_000_000,
        detected in proptest::bool::ANY,
        epochs in 1u64..4,
    ) {
        play(take_bps, cap_bps, providers_bps, emission, honest_takes, payment, detected, epochs);
    }
}
