//! Emission overflow and rounding at extreme params: the schedule never panics or overflows,
//! decays never grow, buckets always add up, the cap always holds; on a chain, tiny and huge
//! emissions keep every invariant, and a device bucket is shared exactly among 1 or 100,000
//! devices.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use depin_app::address::AddressCodec;
use depin_rewards::schedule::{self, PPB};
use depin_rewards::{DecayKind, Params};
use proptest::prelude::*;

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        Just(1u128),
        1u128..1_000_000,
        Just(u128::from(u64::MAX)),
        Just(10u128.pow(30)),
        Just(u128::MAX / 2),
        Just(u128::MAX),
    ]
}

fn decay() -> impl Strategy<Value = (DecayKind, u64, u64)> {
    prop_oneof![
        Just((DecayKind::None, 1u64, 0u64)),
        (1u64..100_000).prop_map(|h| (DecayKind::Halving, h, 0)),
        (1u64..=PPB).prop_map(|d| (DecayKind::Exponential, 1, d)),
        Just((DecayKind::Exponential, 1, 1)),
    ]
}

fn epoch() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..10,
        0u64..1_000_000,
        Just(u64::MAX - 1),
        proptest::num::u64::ANY
    ]
}

proptest! {
    #[test]
    fn the_schedule_never_overflows_and_decays_never_grow(
        e0 in amount(),
        (kind, halving, ppb) in decay(),
        b in amount(),
        target in prop_oneof![Just(0u64), 1u64..1_000, Just(u64::MAX)],
        growth in 0u64..=PPB,
        e in epoch(),
        capacity in proptest::num::u64::ANY,
        max_supply in amount(),
        supply in amount(),
    ) {
        let p = Params {
            initial_epoch_emission: Uint128::new(e0),
            decay: kind,
            halving_epochs: halving,
            decay_ppb: ppb,
            baseline_epoch_emission: Uint128::new(b),
            baseline_target: target,
            baseline_growth_ppb: growth,
            max_supply: Uint128::new(max_supply),
            ..Params::default()
        };
        let now = schedule::base(&p, e);
        prop_assert!(now.u128() <= e0);
        if e < u64::MAX {
            prop_assert!(schedule::base(&p, e + 1) <= now, "a decay never grows");
        }
        let bl = schedule::baseline(&p, e, capacity);
        prop_assert!(bl.u128() <= b);
        prop_assert!(schedule::baseline(&p, e, capacity / 2) <= bl, "more capacity, more baseline");
        let em = schedule::emission(&p, e, capacity, Uint128::new(supply));
        prop_assert!(em.minted <= em.scheduled());
        if max_supply > 0 {
            prop_assert!(em.minted.u128() <= max_supply.saturating_sub(supply));
        }
        prop_assert_eq!(em.minted + em.capped(), em.scheduled());
    }

    #[test]
    fn buckets_always_add_up(
        amount in amount(),
        v in 0u32..=10_000,
        d in 0u32..=10_000,
        p in 0u32..=10_000,
    ) {
        let (v, d) = (v, d.min(10_000 - v));
        let p = p.min(10_000 - v - d);
        let params = Params {
            validators_bps: v,
            devices_bps: d,
            providers_bps: p,
            community_bps: 10_000 - v - d - p,
            ..Params::default()
        };
        let b = schedule::buckets(&params, Uint128::new(amount));
        let sum = b.iter().try_fold(0u128, |a, x| a.checked_add(x.u128()));
        prop_assert_eq!(sum, Some(amount));
        // Each bucket but the community pool's is its exact floor share.
        prop_assert_eq!(b[0], Uint128::new(amount).multiply_ratio(v, 10_000u32));
    }
}

#[test]
fn tiny_and_huge_emissions_keep_the_invariants() {
    for e0 in [1u128, 3, 10u128.pow(30)] {
        let params = Params {
            initial_epoch_emission: Uint128::new(e0),
            ..test_params()
        };
        let mut c = Chain::new(2, params);
        let a = c.address(1);
        let supply = c.supply();
        for epoch in 0..3u64 {
            c.next_epoch();
            c.work(epoch, "dev", &a, 1, 0, 0, 0);
            c.set_device_epoch(epoch + 1);
        }
        c.settle_payouts();
        assert_eq!(c.supply(), supply + 3 * e0, "e0 = {e0}");
        // An emission of 1 goes to the community pool whole (every other share floors to 0).
        if e0 == 1 {
            assert_eq!(c.module_balance(COMMUNITY), 3);
        }
    }
}

fn share_among(devices: usize, owners: usize) {
    let params = Params {
        max_payouts_per_block: 10_000,
        hex_density_target: 0,
        epoch_blocks: 40,
        ..test_params()
    };
    let mut c = Chain::new(2, params);
    let codec = AddressCodec::new(PREFIX);
    let owner = |i: usize| {
        codec.encode(&[
            (i % 256) as u8,
            (i / 256) as u8,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
        ])
    };
    c.next_epoch();
    // The whole epoch's device share vests into device epoch 0 (the minting block and the
    // 39 after it).
    c.advance(39);
    let bucket = c.pot(0);
    assert_eq!(bucket, 400_000);
    {
        let mut s = c.sources.0.lock().unwrap();
        for i in 0..devices {
            let id = format!("dev{i:06}");
            s.work.insert(
                (0, id.clone()),
                depin_rewards::DeviceWork {
                    device_id: id,
                    owner: owner(i % owners),
                    heartbeats: 1,
                    beacons: 0,
                    witnesses: 0,
                    density_hex: 0,
                    score: 0,
                },
            );
        }
        s.device_epoch = 1;
    }
    c.settle_payouts();
    let each = bucket / devices as u128;
    let per_owner = each * (devices / owners) as u128;
    for i in [0, owners / 2, owners - 1] {
        assert_eq!(c.pending(&owner(i)), per_owner, "owner {i}");
    }
    let paid: u128 = c.totals().paid_devices.parse().unwrap();
    assert_eq!(paid, each * devices as u128);
    assert!(
        bucket - paid < devices as u128,
        "only rounding stays behind"
    );
}

#[test]
fn one_device_gets_the_whole_bucket() {
    share_among(1, 1);
}

#[test]
fn a_hundred_thousand_devices_share_the_bucket_exactly() {
    share_among(100_000, 1_000);
}
