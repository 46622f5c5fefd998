//! Under any sequence of readings, a meter's lifetime delivered Wh is the sum of what its
//! accepted readings delivered, and the sum of its epoch totals; a refused reading changes
//! nothing.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One reading: epochs to move forward (0: same epoch) and the counter's change (negative:
/// a lower counter, refused).
#[derive(Debug, Clone)]
struct Step {
    epochs: u64,
    change: i64,
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![4 => Just(0u64), 1 => 1u64..3],
        prop_oneof![1 => -500i64..=0, 6 => 1i64..=10_000, 1 => 10_001i64..=12_000],
    )
        .prop_map(|(epochs, change)| Step { epochs, change })
}

#[test]
fn lifetime_delivered_is_the_sum_of_accepted_deliveries() {
    let chain = Chain::new(1, energy_params());
    let params = energy_params();
    let id = device_signer(1).id(PREFIX);
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(
            &(0u64..1_000_000, proptest::collection::vec(step(), 1..60)),
            |(start, steps)| {
                chain.with_ctx(|ctx| {
                    let k = &chain.keeper;
                    let mut epoch = 10u64;
                    let mut counter = start;
                    let mut accepted = 0u64;
                    let mut in_epoch = 0u32;
                    let mut epochs = vec![epoch];
                    let delivered = k.record_reading(ctx, &params, &id, epoch, counter).unwrap();
                    prop_assert_eq!(delivered, 0);
                    in_epoch += 1;
                    for s in &steps {
                        if s.epochs > 0 {
                            epoch += s.epochs;
                            epochs.push(epoch);
                            in_epoch = 0;
                        }
                        let next = counter.saturating_add_signed(s.change);
                        let before = k.meter(ctx, &id).unwrap();
                        let result = k.record_reading(ctx, &params, &id, epoch, next);
                        let ok = in_epoch < params.max_readings_per_epoch && next > counter;
                        match result {
                            Ok(d) => {
                                prop_assert!(ok, "accepted {next} after {counter}");
                                // A rise above the cap is credited the cap.
                                prop_assert_eq!(d, (next - counter).min(params.max_wh_per_reading));
                                accepted += d;
                                counter = next;
                                in_epoch += 1;
                            }
                            Err(e) => {
                                prop_assert!(!ok, "refused {next} after {counter}: {e}");
                                prop_assert_eq!(k.meter(ctx, &id).unwrap(), before);
                            }
                        }
                    }
                    let meter = k.meter(ctx, &id).unwrap().unwrap();
                    prop_assert_eq!(meter.delivered_wh, accepted);
                    prop_assert_eq!(meter.last_cumulative_wh, counter);
                    let mut sum = 0u64;
                    for e in epochs {
                        sum += k.epoch_energy(ctx, e, &id).unwrap();
                    }
                    prop_assert_eq!(sum, accepted);
                    Ok(())
                })
            },
        )
        .unwrap();
}
