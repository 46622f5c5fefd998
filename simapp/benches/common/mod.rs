//! What the block benchmarks share: a chain opened at height 1 from a genesis, result checks,
//! and duration statistics. Each bench binary uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use depin_app::app::App;
use depin_app::context::GasPrice;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use tendermint_proto::v0_38::abci::ExecTxResult;

/// Fields drop in order: the node closes before its directory goes.
pub struct Chain {
    pub driver: InProcess,
    _dir: tempfile::TempDir,
}

impl Chain {
    /// A chain at height 1 (genesis committed with the first block) in a temporary
    /// directory, with an empty signature cache.
    pub fn open(
        app: Arc<App>,
        genesis: &serde_json::Value,
        chain_id: &str,
        min_gas_prices: &str,
        verify_threads: usize,
    ) -> Chain {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = NodeConfig {
            min_gas_prices: GasPrice::parse_list(min_gas_prices).expect("gas prices"),
            verify_threads,
            ..Default::default()
        };
        let mut driver = InProcess::open(app, dir.path(), config).expect("open");
        driver.init_chain(chain_id, genesis).expect("genesis");
        assert!(driver.block(Vec::new()).tx_results.is_empty());
        assert!(driver.node().sig_cache().is_empty());
        Chain { driver, _dir: dir }
    }
}

/// Every one of `expected` results succeeded.
pub fn assert_all_ok(what: &str, results: &[ExecTxResult], expected: usize) {
    assert_eq!(results.len(), expected, "{what}: result count");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            r.code, 0,
            "{what}: tx {i} failed: {} {}",
            r.codespace, r.log
        );
    }
}

/// Median, min and max of some durations.
pub struct Stats {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
}

pub fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    Stats {
        median: v[v.len() / 2],
        min: v[0],
        max: v[v.len() - 1],
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Prints the median (with the range) and the rate of `n` items per duration.
pub fn report(name: &str, n: usize, v: Vec<Duration>) -> Stats {
    let s = stats(v);
    println!(
        "{name:<52} {:>9.1} ms  ({:.1}–{:.1})  {:>9.0} tx/s",
        ms(s.median),
        ms(s.min),
        ms(s.max),
        rate(n, s.median)
    );
    s
}
