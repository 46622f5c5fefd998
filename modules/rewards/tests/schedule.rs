//! The README's table of the default schedule's first years, checked against the schedule.

use cosmwasm_std::Uint128;
use depin_rewards::{schedule, DecayKind, Params};

const DEPIN: u128 = 1_000_000;
const YEAR: u64 = 8_760;

#[test]
fn the_default_schedule_matches_the_readme_table() {
    let p = Params::default();
    assert_eq!(p.decay, DecayKind::Halving);
    assert_eq!((p.epoch_blocks, p.halving_epochs), (600, YEAR));
    let rows = [
        (1_000 * DEPIN, 8_760_000 * DEPIN, 8_760_000 * DEPIN),
        (500 * DEPIN, 4_380_000 * DEPIN, 13_140_000 * DEPIN),
        (250 * DEPIN, 2_190_000 * DEPIN, 15_330_000 * DEPIN),
        (125 * DEPIN, 1_095_000 * DEPIN, 16_425_000 * DEPIN),
        (62_500_000, 547_500 * DEPIN, 16_972_500 * DEPIN),
    ];
    let mut to_date = 0u128;
    for (year, (per_epoch, that_year, cumulative)) in rows.into_iter().enumerate() {
        let first = year as u64 * YEAR;
        let mut sum = 0u128;
        for e in first..first + YEAR {
            let b = schedule::base(&p, e).u128();
            assert_eq!(b, per_epoch, "epoch {e}");
            sum += b;
        }
        to_date += sum;
        assert_eq!(sum, that_year, "year {}", year + 1);
        assert_eq!(to_date, cumulative, "to date after year {}", year + 1);
    }
    // The limit: 2 × the first year, never reached (halvings floor to 0 after 128 of them).
    let mut total = 0u128;
    for h in 0..130u64 {
        total += schedule::base(&p, h * YEAR).u128() * u128::from(YEAR);
    }
    assert!(total < 2 * 8_760_000 * DEPIN);
    assert!(2 * 8_760_000 * DEPIN - total < u128::from(YEAR) * 64);
    // And the default cap is far above it (it binds only near a genesis supply of 10⁹ DEPIN).
    assert_eq!(p.max_supply, Uint128::new(1_000_000_000 * DEPIN));
}
