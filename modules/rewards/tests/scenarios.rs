//! The reward engine end to end on a chain (with stand-in device and market sources): epochs
//! minted to the schedule, buckets, device and provider sharing, claims, data credits, params
//! and genesis, and every error path.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use depin_proto::depin::rewards::v1 as pb;
use depin_rewards::msgs::*;
use depin_rewards::{schedule, DecayKind, Params};

fn claim(c: &Chain, i: usize) -> cosmrs::Any {
    any(
        MSG_CLAIM,
        pb::MsgClaim {
            claimant: c.address(i),
        },
    )
}

fn burn(c: &Chain, i: usize, amount: u128, recipient: &str) -> cosmrs::Any {
    any(
        MSG_BURN_FOR_CREDITS,
        pb::MsgBurnForCredits {
            sender: c.address(i),
            amount: coin(amount),
            recipient: recipient.into(),
        },
    )
}

fn update(c: &Chain, i: usize, p: &Params) -> cosmrs::Any {
    any(
        MSG_UPDATE_PARAMS,
        pb::MsgUpdateParams {
            authority: c.address(i),
            params: Some(p.to_proto()),
        },
    )
}

fn u(s: &str) -> u128 {
    s.parse().unwrap()
}

#[test]
fn epochs_mint_the_schedule_into_the_buckets() {
    let params = Params {
        decay: DecayKind::Halving,
        halving_epochs: 2,
        initial_epoch_emission: Uint128::new(1_000_003),
        ..test_params()
    };
    let mut c = Chain::new(2, params.clone());
    let supply0 = c.supply();
    let start = c.epoch();
    assert_eq!(start.epoch, 0);
    assert_eq!(start.next_epoch_height, start.start_height + 5);
    assert_eq!(u(&start.next_emission.unwrap().amount), 1_000_003);
    let mut expected = 0u128;
    let (mut v, mut d, mut p, mut cm) = (0u128, 0u128, 0u128, 0u128);
    for epoch in 0..7u64 {
        c.next_epoch();
        let minted = schedule::base(&params, epoch).u128();
        assert_eq!(minted, 1_000_003 >> (epoch / 2));
        expected += minted;
        let ev = &c.events_of("rewards_epoch_minted")[0];
        assert_eq!(ev.get("epoch"), Some(epoch.to_string().as_str()));
        assert_eq!(ev.get("minted"), Some(format!("{minted}udepin").as_str()));
        let b = schedule::buckets(&params, Uint128::new(minted));
        v += b[0].u128();
        d += b[1].u128();
        p += b[2].u128();
        cm += b[3].u128();
        // The rounding remainder goes to the community pool: the parts add up exactly.
        assert_eq!(b.iter().map(|x| x.u128()).sum::<u128>(), minted);
    }
    assert_eq!(
        c.supply(),
        supply0 + expected,
        "the supply grew by the schedule exactly"
    );
    let t = c.totals();
    assert_eq!(u(&t.minted), expected);
    assert_eq!(u(&t.scheduled), expected);
    assert_eq!(u(&t.capped), 0);
    assert_eq!(c.module_balance(depin_auth::FEE_COLLECTOR), v);
    assert_eq!(c.module_balance(COMMUNITY), cm);
    let pools = c.pools();
    assert_eq!((u(&pools.devices), u(&pools.providers)), (d, p));
    // Every past epoch is on record.
    let r: pb::QueryEmissionsResponse = c.query(
        &format!("{Q}Emissions"),
        pb::QueryEmissionsRequest { pagination: None },
    );
    assert_eq!(r.emissions.len(), 7);
    assert_eq!(u(&r.emissions[6].minted), 1_000_003 >> 3);
    // The schedule query agrees with what was minted.
    let s: pb::QueryScheduleResponse = c.query(
        &format!("{Q}Schedule"),
        pb::QueryScheduleRequest {
            from_epoch: 0,
            count: 7,
        },
    );
    let listed: Vec<u128> = s.epochs.iter().map(|e| u(&e.minted)).collect();
    let minted: Vec<u128> = r.emissions.iter().map(|e| u(&e.minted)).collect();
    assert_eq!(listed, minted);
}

#[test]
fn max_supply_holds_back_emission_and_burns_make_room() {
    let mut c = Chain::new(1, test_params());
    let supply = c.supply();
    let params = Params {
        max_supply: Uint128::new(supply + 1_500_000),
        ..test_params()
    };
    c.ok(0, vec![update(&c, 0, &params)]);
    c.next_epoch();
    c.next_epoch();
    c.next_epoch();
    assert_eq!(c.supply(), supply + 1_500_000, "capped at max_supply");
    let t = c.totals();
    assert_eq!((u(&t.minted), u(&t.capped)), (1_500_000, 1_500_000));
    // Burning for data credits makes room under the cap again.
    c.ok(0, vec![burn(&c, 0, 200_000, "")]);
    c.next_epoch();
    assert_eq!(c.supply(), supply + 1_500_000);
    assert_eq!(u(&c.totals().minted), 1_700_000);
    // The chain's totals: everything minted and burned since genesis, by any module.
    assert_eq!(c.chain_totals(), (supply + 1_500_000, 1_700_000, 200_000));
}

#[test]
fn the_device_bucket_is_shared_by_score_with_hex_density_scaling() {
    let params = Params {
        heartbeat_weight: 1,
        beacon_weight: 0,
        witness_weight: 0,
        hex_density_target: 2,
        ..test_params()
    };
    let mut c = Chain::new(4, params);
    let (a, b, o) = (c.address(1), c.address(2), c.address(3));
    c.next_epoch();
    assert_eq!(u(&c.pools().devices), 400_000);
    // The device share vests over the next epoch's blocks into the running device epoch's pot.
    c.advance(3);
    let bucket = c.pot(0);
    // The minting block and the three after it: 4 of the epoch's 5 blocks.
    assert_eq!(bucket, 4 * 80_000);
    // Device epoch 0: a's device alone in hex 1; b crowds hex 2 with four devices (target 2);
    // o's device has no location (the unlocated share one virtual hex: 1 device here).
    c.work(0, "dev-a", &a, 10, 0, 0, 1);
    for i in 0..4 {
        c.work(0, &format!("dev-b{i}"), &b, 10, 0, 0, 2);
    }
    c.work(0, "dev-o", &o, 10, 0, 0, 0);
    c.set_device_epoch(1);
    c.settle_payouts();
    // Weights: a 10, each b 10 × 2/4 = 5 (20 for the hex: what 2 devices would get), o 10.
    let total = 10 + 20 + 10;
    assert_eq!(c.pending(&a), bucket * 10 / total);
    assert_eq!(c.pending(&b), 4 * (bucket * 5 / total));
    assert_eq!(c.pending(&o), bucket * 10 / total);
    // Crowding more devices into the hex does not pay more.
    assert!(c.pending(&b) <= bucket * 20 / total);
    let r: pb::QueryDeviceRewardsResponse = c.query(
        &format!("{Q}DeviceRewards"),
        pb::QueryDeviceRewardsRequest {
            device_id: "dev-a".into(),
        },
    );
    assert_eq!(u(&r.rewards.unwrap().earned), bucket * 10 / total);
    let paid = c.pending(&a) + c.pending(&b) + c.pending(&o);
    assert!(paid <= bucket && bucket - paid < 10);
    // The owners claim.
    let before = c.balance(1);
    c.ok(1, vec![claim(&c, 1)]);
    assert_eq!(c.balance(1), before + bucket * 10 / total);
    assert_eq!(c.pending(&a), 0);
    c.fails(1, vec![claim(&c, 1)], "rewards", 6);
}

#[test]
fn devices_without_a_location_share_one_virtual_hex() {
    let params = Params {
        heartbeat_weight: 1,
        beacon_weight: 0,
        witness_weight: 0,
        hex_density_target: 2,
        ..test_params()
    };
    let mut c = Chain::new(3, params);
    let (a, farm) = (c.address(1), c.address(2));
    c.next_epoch();
    c.advance(2);
    let bucket = c.pot(0);
    // One located device, and a farm of eight without a location: the farm shares what 2
    // devices (the target) would get.
    c.work(0, "dev-a", &a, 10, 0, 0, 7);
    for i in 0..8 {
        c.work(0, &format!("farm{i}"), &farm, 10, 0, 0, 0);
    }
    c.set_device_epoch(1);
    c.settle_payouts();
    let total = 10 + 20;
    assert_eq!(c.pending(&a), bucket * 10 / total);
    assert_eq!(c.pending(&farm), 8 * (bucket * 10 * 2 / 8 / total));
    assert!(c.pending(&farm) <= bucket * 20 / total);
}

#[test]
fn every_device_epoch_gets_the_share_of_its_blocks() {
    let params = Params {
        hex_density_target: 0,
        ..test_params()
    };
    let mut c = Chain::new(2, params);
    let a = c.address(1);
    // Device epochs of one block each during the next rewards epoch (the minting block is in
    // device epoch 0): each gets 1/5 of the device share, however the worker times its work.
    c.next_epoch();
    c.work(0, "dev", &a, 1, 0, 0, 0);
    for e in 1..5u64 {
        c.set_device_epoch(e);
        c.block();
        c.work(e, "dev", &a, 1, 0, 0, 0);
    }
    c.set_device_epoch(5);
    c.settle_payouts();
    let t = c.totals();
    assert_eq!(u(&t.paid_devices), 400_000);
    assert_eq!(c.pending(&a), 400_000);
    assert_eq!(u(&t.devices_to_community), 0);
    let state = c.rewards_state();
    let earned = &state["device_rewards"][0];
    assert_eq!(earned["last_amount"], "80000");
}

#[test]
fn rewards_follow_ownership_epoch_by_epoch_and_page_over_blocks() {
    let params = Params {
        max_payouts_per_block: 2,
        hex_density_target: 0,
        ..test_params()
    };
    let mut c = Chain::new(3, params);
    let (a, b) = (c.address(1), c.address(2));
    c.next_epoch();
    c.advance(4);
    // Epoch 0: a owns five devices; they move to b for epoch 1.
    for i in 0..5 {
        c.work(0, &format!("dev{i}"), &a, 1, 0, 0, 0);
    }
    let first = c.pot(0);
    c.set_device_epoch(1);
    // Two units of budget a block (starting a payout costs one): weighing and paying take
    // several blocks.
    c.block();
    let p = c.pools().device_payout.expect("a sharing in progress");
    assert_eq!((p.phase, p.records), (1, 1));
    c.settle_payouts();
    assert_eq!(c.pending(&a), first);
    c.advance(3);
    for i in 0..5 {
        c.work(1, &format!("dev{i}"), &b, 1, 0, 0, 0);
    }
    let second = c.pot(1);
    assert!(second > 0);
    c.set_device_epoch(2);
    c.settle_payouts();
    assert_eq!(c.pending(&a), first, "a owned nothing in epoch 1");
    assert_eq!(c.pending(&b), second);
    // An epoch without contributions: its pot goes to the community pool.
    c.advance(2);
    let empty = c.pot(2);
    assert!(empty > 0);
    let community = c.module_balance(COMMUNITY);
    c.set_device_epoch(3);
    c.settle_payouts();
    assert_eq!(u(&c.totals().devices_to_community), empty);
    assert!(c.module_balance(COMMUNITY) >= community + empty);
}

#[test]
fn a_payout_keeps_the_scoring_it_started_with() {
    let params = Params {
        max_payouts_per_block: 2,
        hex_density_target: 0,
        heartbeat_weight: 1,
        beacon_weight: 1,
        witness_weight: 0,
        ..test_params()
    };
    let mut c = Chain::new(3, params.clone());
    let (a, b) = (c.address(1), c.address(2));
    c.next_epoch();
    c.advance(3);
    c.work(0, "dev-a", &a, 1, 0, 0, 0);
    c.work(0, "dev-b", &b, 0, 1, 0, 0);
    let pot = c.pot(0);
    c.set_device_epoch(1);
    c.block();
    // Governance now weighs beacons 9 times more, mid-payout: this payout is unaffected.
    let changed = Params {
        beacon_weight: 9,
        ..params
    };
    c.ok(0, vec![update(&c, 0, &changed)]);
    c.settle_payouts();
    assert_eq!(c.pending(&a), pot / 2);
    assert_eq!(c.pending(&b), pot / 2);
}

#[test]
fn providers_share_by_take_capped_and_self_paid_counts_nothing() {
    let params = Params {
        max_reward_per_take_bps: 10_000,
        ..test_params()
    };
    let mut c = Chain::new(4, params);
    let (p1, p2, p3) = (c.address(1), c.address(2), c.address(3));
    c.next_epoch();
    let bucket = u(&c.pools().providers);
    assert_eq!(bucket, 200_000);
    // p1's take is 1,000 (weight 1,000); p2's take is 100,000 on usage half paid by itself
    // (weight 50,000); p3 only paid itself (weight 0). Both shares exceed their caps (the
    // weights themselves): the excess goes to the community pool.
    c.usage(0, &p1, 50_000, 1_000, 0);
    c.usage(0, &p2, 5_000_000, 100_000, 2_500_000);
    c.usage(0, &p3, 10_000, 200, 10_000);
    c.set_market_epoch(1);
    let community = c.module_balance(COMMUNITY);
    c.settle_payouts();
    let total = 51_000u128;
    let (s1, s2) = (bucket * 1_000 / total, bucket * 50_000 / total);
    assert!(s1 > 1_000 && s2 > 50_000, "both capped");
    assert_eq!(c.pending(&p1), 1_000);
    assert_eq!(c.pending(&p2), 50_000);
    assert_eq!(c.pending(&p3), 0);
    let excess = (s1 - 1_000) + (s2 - 50_000);
    assert_eq!(u(&c.totals().provider_excess), excess);
    // (the community pool may also have got an epoch's bucket meanwhile)
    assert!(c.module_balance(COMMUNITY) >= community + excess);
    assert_eq!(u(&c.pools().providers) % 200_000, bucket - s1 - s2);
    let r: pb::QueryProviderRewardsResponse = c.query(
        &format!("{Q}ProviderRewards"),
        pb::QueryProviderRewardsRequest {
            provider: p2.clone(),
        },
    );
    assert_eq!(u(&r.rewards.unwrap().earned), 50_000);
}

#[test]
fn data_credits_are_bought_by_burning_and_spent_through_the_keeper() {
    let mut c = Chain::new(3, test_params());
    let supply = c.supply();
    let before = c.balance(1);
    let recipient = c.address(2);
    c.ok(1, vec![burn(&c, 1, 1_000, &recipient)]);
    assert_eq!(c.balance(1), before - 1_000);
    assert_eq!(c.supply(), supply - 1_000 + u(&c.totals().minted));
    let r: pb::QueryCreditsResponse = c.query(
        &format!("{Q}Credits"),
        pb::QueryCreditsRequest {
            address: recipient.clone(),
        },
    );
    assert_eq!(u(&r.credits.unwrap().balance), 100_000);
    let ev = &c.events_of("data_credits_minted")[0];
    assert_eq!(ev.get("credits"), Some("100000"));
    // Spent through the keeper, as another module charges them.
    let raw = depin_app::address::AddressCodec::new(PREFIX)
        .decode(&recipient)
        .unwrap();
    c.with_ctx(|ctx| {
        c.keeper
            .spend_credits(ctx, &raw, Uint128::new(40_000))
            .unwrap();
        let err = c
            .keeper
            .spend_credits(ctx, &raw, Uint128::new(60_001))
            .unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("rewards", 9));
        assert_eq!(c.keeper.credits(ctx, &raw).unwrap(), Uint128::new(60_000));
    });
    // Errors: wrong denom, zero, a bad recipient, more than the balance, disabled.
    let wrong = any(
        MSG_BURN_FOR_CREDITS,
        pb::MsgBurnForCredits {
            sender: c.address(1),
            amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: "uother".into(),
                amount: "5".into(),
            }),
            recipient: String::new(),
        },
    );
    c.fails(1, vec![wrong], "rewards", 7);
    c.fails(1, vec![burn(&c, 1, 0, "")], "rewards", 5);
    c.fails(1, vec![burn(&c, 1, 10, "nope")], "sdk", 7);
    c.fails(1, vec![burn(&c, 1, u128::from(u64::MAX), "")], "sdk", 5);
    let off = Params {
        credits_per_unit: 0,
        ..test_params()
    };
    c.ok(0, vec![update(&c, 0, &off)]);
    c.fails(1, vec![burn(&c, 1, 10, "")], "rewards", 8);
}

#[test]
fn params_change_only_through_the_authority_and_stay_valid() {
    let mut c = Chain::new(2, test_params());
    let mut p = test_params();
    p.epoch_blocks = 7;
    c.fails(1, vec![update(&c, 1, &p)], "sdk", 4);
    let mut bad = p.clone();
    bad.devices_bps += 1;
    c.fails(0, vec![update(&c, 0, &bad)], "rewards", 3);
    let mut denom = p.clone();
    denom.denom = "uother".into();
    c.fails(0, vec![update(&c, 0, &denom)], "rewards", 3);
    let missing = any(
        MSG_UPDATE_PARAMS,
        pb::MsgUpdateParams {
            authority: c.address(0),
            params: None,
        },
    );
    c.fails(0, vec![missing], "rewards", 4);
    c.ok(0, vec![update(&c, 0, &p)]);
    assert_eq!(c.rewards_state()["params"]["epoch_blocks"], "7");
    assert_eq!(c.events_of("rewards_params_updated").len(), 1);
    // The running epoch ends 7 blocks after it started.
    let e = c.epoch();
    assert_eq!(e.next_epoch_height, e.start_height + 7);
}

#[test]
fn export_and_import_reproduce_the_state_and_corrupt_genesis_is_refused() {
    let mut c = Chain::new(3, test_params());
    let (a, p) = (c.address(1), c.address(2));
    c.next_epoch();
    c.work(0, "dev", &a, 3, 1, 1, 9);
    c.usage(0, &p, 10_000, 1_000, 0);
    c.set_device_epoch(1);
    c.set_market_epoch(1);
    c.settle_payouts();
    c.ok(1, vec![burn(&c, 1, 77, "")]);
    c.next_epoch();
    let exported = c.export();
    let state = &exported["rewards"];
    assert_eq!(state["pending"].as_array().unwrap().len(), 2);
    assert_eq!(state["emissions"].as_array().unwrap().len(), 2);
    let sources = Sources::default();
    {
        let mut s = sources.0.lock().unwrap();
        s.device_epoch = 1;
        s.market_epoch = 1;
    }
    let mut c2 = Chain::with_state(test_keys(3), &exported, sources, c.height() + 1);
    c.block();
    assert_eq!(c2.rewards_state(), c.rewards_state());
    for _ in 0..6 {
        c.block();
        c2.block();
    }
    assert_eq!(c2.rewards_state(), c.rewards_state());
    assert_eq!(c2.supply(), c.supply());
    // The bank's minted and burned totals carry over the export.
    assert_eq!(c2.chain_totals(), c.chain_totals());
    assert_eq!(c.chain_totals().2, 77);

    let refuse = |doc: serde_json::Value, want: &str| {
        let err = Chain::try_with_state(test_keys(3), &doc, Sources::default(), 1)
            .err()
            .expect("refused");
        assert!(err.contains(want), "{err} (wanted {want})");
    };
    let mut g = exported.clone();
    g["rewards"]["pending"][0]["from_devices"] = "1".into();
    refuse(g, "module account holds");
    let mut g = exported.clone();
    let dup = g["rewards"]["pending"][0].clone();
    g["rewards"]["pending"].as_array_mut().unwrap().push(dup);
    refuse(g, "listed twice");
    let mut g = exported.clone();
    g["rewards"]["totals"]["minted"] = "5".into();
    refuse(g, "minted");
    let mut g = exported.clone();
    g["rewards"]["params"]["community_bps"] = 0.into();
    refuse(g, "sum to");
    let mut g = exported.clone();
    g["rewards"]["emissions"][1]["epoch"] = "9".into();
    refuse(g, "has not ended");
    let mut g = exported.clone();
    g["rewards"]["credits"][0]["address"] = "depin1nope".into();
    refuse(g, "credits");
}

/// A provider payout spread over blocks holds back the capped shares in the bucket until it
/// ends: every block keeps the invariants, and a chain exported mid-payout restarts and
/// finishes it exactly as the original does.
#[test]
fn a_capped_provider_payout_over_blocks_survives_an_export() {
    let params = Params {
        max_payouts_per_block: 2,
        max_reward_per_take_bps: 10_000,
        ..test_params()
    };
    let mut c = Chain::new(5, params);
    c.next_epoch();
    let providers: Vec<String> = (1..5).map(|i| c.address(i)).collect();
    for p in &providers {
        c.usage(0, p, 1_000, 100, 0);
    }
    c.set_market_epoch(1);
    // Starting (1) and weighing 4 records (2 a block), then paying: mid-payout after 4 blocks.
    c.advance(4);
    let state = c.rewards_state();
    assert!(
        state["provider_payout"].get("current").is_some(),
        "still paying: {}",
        state["provider_payout"]
    );
    let exported = c.export();
    let sources = Sources::default();
    {
        let mut s = sources.0.lock().unwrap();
        for p in &providers {
            s.usage.insert(
                (0, p.clone()),
                depin_rewards::ProviderUsage {
                    provider: p.clone(),
                    denom: DENOM.into(),
                    paid: Uint128::new(1_000),
                    take: Uint128::new(100),
                    self_paid: Uint128::zero(),
                },
            );
        }
        s.market_epoch = 1;
    }
    let mut c2 = Chain::with_state(test_keys(5), &exported, sources, c.height() + 1);
    c.block();
    c.settle_payouts();
    c2.settle_payouts();
    assert_eq!(c2.rewards_state(), c.rewards_state());
    for p in &providers {
        assert_eq!(c.pending(p), 100, "capped at its take");
        assert_eq!(c2.pending(p), 100);
    }
    let t = c.totals();
    assert!(u(&t.provider_excess) > 0);
}
