//! The rewards module reads its devices through `EnergyDevices`: a meter's points are added
//! to its contribution's score, and only in epochs where it heartbeat.

mod common;

use common::*;

#[test]
fn equal_heartbeats_earn_in_the_ratio_of_their_energy_scores() {
    let mut chain = Chain::new(3, energy_params());
    chain.acme();
    let (a, b, c) = (device_signer(1), device_signer(2), device_signer(3));
    let ida = chain.onboard(1, &a, "sn-a");
    let idb = chain.onboard(1, &b, "sn-b");
    let idc = chain.onboard(2, &c, "sn-c");

    // Everyone alive; the meters' first readings only record their counters.
    chain.next_epoch_alive(&[&a, &b, &c]);
    let e = chain.epoch();
    let msgs = vec![
        chain.reading_msg(&a, &ida, e, 10_000),
        chain.reading_msg(&b, &idb, e, 10_000),
        chain.reading_msg(&c, &idc, e, 10_000),
    ];
    chain.ok(1, msgs);
    // Let the emission start vesting into device epochs; c heartbeats for the last time in
    // the epoch before the measured one (it stays Active for 2 epochs).
    while chain.epoch() < 3 {
        chain.next_epoch_alive(&[&a, &b, &c]);
    }
    chain.next_epoch_alive(&[&a, &b, &c]);

    // The measured epoch: a and b heartbeat once each; a delivers 5 kWh, b 2 kWh, c 9 kWh
    // without a heartbeat.
    chain.next_epoch_alive(&[&a, &b]);
    let e = chain.epoch();
    let msgs = vec![
        chain.reading_msg(&a, &ida, e, 15_000),
        chain.reading_msg(&b, &idb, e, 12_000),
        chain.reading_msg(&c, &idc, e, 19_000),
    ];
    chain.ok(1, msgs);
    assert_eq!(chain.epoch_energy(e, &idc).delivered_wh, 9_000);
    assert_eq!(chain.epoch_energy(e, &ida).points, 5);
    assert_eq!(chain.epoch_energy(e, &idb).points, 2);

    // The registry moves past e; the rewards module shares e's pot.
    chain.next_epoch();
    chain.next_epoch();
    chain.advance(3);

    let (ra, rb, rc) = (
        chain.rewarded(&ida, e),
        chain.rewarded(&idb, e),
        chain.rewarded(&idc, e),
    );
    assert!(rb > 0, "b earned nothing in epoch {e}");
    // Scores: heartbeat weight 1 + points: a 1 + 5 = 6, b 1 + 2 = 3.
    let (lhs, rhs) = (ra * 3, rb * 6);
    assert!(
        lhs.abs_diff(rhs) <= 6,
        "a earned {ra}, b {rb}: not in the ratio 6:3"
    );
    assert_eq!(
        rc, 0,
        "a meter without a heartbeat in the epoch earns nothing"
    );

    // In the epoch before, all three heartbeat and nobody delivered energy: equal shares.
    let (pa, pc) = (chain.rewarded(&ida, e - 1), chain.rewarded(&idc, e - 1));
    assert!(pa > 0 && pa.abs_diff(pc) <= 1, "{pa} {pc}");
}
