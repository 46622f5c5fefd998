//! Settle-on-touch cost of the marketplace (issue #6) as the number of open leases grows: for
//! each N in 1k, 10k and 100k open leases, the time of a block carrying one `MsgSettle` of one
//! lease (repeated on many different leases), of a block of 100 such settles, and of an empty
//! block, plus the gas a settle transaction uses. All through the in-process driver
//! (FinalizeBlock + Commit).
//!
//! Run: `cargo bench -p depin-simapp --bench market` (optionally `-- N...`, the lease counts,
//! default `1000 10000 100000`). Numbers go to docs/PERFORMANCE.md.
//!
//! The leases are created by genesis, not by transactions: N orders (ACTIVE), their N winning
//! bids (ACTIVE, deposit held), N leases (ACTIVE, settled at height 1, 10udepin a block) and N
//! escrow accounts (`order/<id>`, one deposit of 1,000,000udepin each), sold by 100 providers
//! to 1,000 tenants; the `market` module account holds what all of that locks. Order ids start
//! at 1,000,000 so that every escrow id has the same length and the gas of a settle can be
//! compared across N. One funded account sends every `MsgSettle` (anyone may settle); each
//! settle touches a lease no earlier one touched, spread over the whole id range, so its store
//! reads are not cached by an earlier touch. Every transaction is checked to succeed and to
//! pay the provider (an `escrow_paid` event).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_all_ok, ms, stats, us, Chain, Stats};
use cosmrs::Any;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::App;
use depin_app::coins::Coin;
use depin_market::types::{
    zero, Bid, BidState, Deposit, EscrowAccount, EscrowState, Lease, LeaseState, Order, OrderState,
    Provider,
};
use depin_market::{GenesisState, Params, MARKET_MODULE_ACCOUNT};
use depin_proto::depin::market::v1::MsgSettle;
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM};
use prost::{Message, Name};
use tendermint_proto::v0_38::abci::ExecTxResult;

const CHAIN_ID: &str = "depin-bench-1";
const GAS: u64 = 200_000;
/// The fee the node's minimum gas price (0.0025udepin) asks for `GAS`.
const FEE: u128 = 500;
const MIN_GAS_PRICES: &str = "0.0025udepin";
const FUNDS: u128 = 1_000_000_000;
const PROVIDERS: usize = 100;
const TENANTS: usize = 1_000;
const FIRST_ORDER: u64 = 1_000_000;
const PRICE: u128 = 10;
const ESCROW: u128 = 1_000_000;
const COLLATERAL: u128 = 100_000_000;
/// Blocks with one settle (each on its own lease), interleaved with as many empty blocks.
const SINGLE: usize = 200;
/// Blocks of `PER_BATCH` settles.
const BATCHES: usize = 5;
const PER_BATCH: usize = 100;

fn coin(amount: u128) -> Coin {
    Coin::new(amount, DENOM)
}

fn address(codec: &AddressCodec, what: &str, i: usize) -> String {
    use sha2::{Digest, Sha256};
    codec.encode(&Sha256::digest(format!("{what} {i}"))[..20])
}

/// The app state with `n` open leases, and the account that settles them.
fn app_state(n: usize, settler: &TestKey) -> serde_json::Value {
    let codec = AddressCodec::new(ADDRESS_PREFIX);
    let params = Params::default();
    let providers: Vec<String> = (0..PROVIDERS)
        .map(|i| address(&codec, "provider", i))
        .collect();
    let tenants: Vec<String> = (0..TENANTS).map(|i| address(&codec, "tenant", i)).collect();
    let bid_deposit = params.bid_deposit.amount.u128();

    let mut market = GenesisState {
        providers: providers
            .iter()
            .map(|owner| Provider {
                owner: owner.clone(),
                host_uri: "https://provider.example".into(),
                attributes: Vec::new(),
                device_ids: Vec::new(),
                collateral: vec![coin(COLLATERAL)],
                reputation: Default::default(),
                created_height: 0,
                locked_collateral: Vec::new(),
            })
            .collect(),
        next_order_id: FIRST_ORDER + n as u64,
        params,
        ..Default::default()
    };
    market.orders.reserve(n);
    market.bids.reserve(n);
    market.leases.reserve(n);
    market.escrow_accounts.reserve(n);
    for i in 0..n {
        let id = FIRST_ORDER + i as u64;
        let tenant = &tenants[i % TENANTS];
        let provider = &providers[i % PROVIDERS];
        market.orders.push(Order {
            id,
            tenant: tenant.clone(),
            resources: Default::default(),
            requirements: Default::default(),
            max_price_per_block: coin(PRICE),
            state: OrderState::Active as i32,
            created_height: 0,
            bids: 1,
            bid_deadline: 600,
        });
        market.bids.push(Bid {
            order_id: id,
            provider: provider.clone(),
            price_per_block: coin(PRICE),
            deposit: coin(bid_deposit),
            state: BidState::Active as i32,
            created_height: 0,
        });
        market.leases.push(Lease {
            order_id: id,
            provider: provider.clone(),
            tenant: tenant.clone(),
            price_per_block: coin(PRICE),
            state: LeaseState::Active as i32,
            created_height: 1,
            settled_height: 1,
            paid: zero(DENOM),
            unwithdrawn: zero(DENOM),
            insufficient_since: 0,
            closed_height: 0,
            close_reason: 0,
        });
        market.escrow_accounts.push(EscrowAccount {
            id: format!("order/{id}"),
            owner: tenant.clone(),
            deposits: vec![Deposit {
                depositor: tenant.clone(),
                amount: coin(ESCROW),
            }],
            balance: coin(ESCROW),
            transferred: zero(DENOM),
            state: EscrowState::Open as i32,
        });
    }

    let mut state = genesis(&[(settler.address.as_str(), FUNDS)]);
    // The market module account holds every escrow, bid deposit and provider collateral.
    let held = n as u128 * (ESCROW + bid_deposit) + PROVIDERS as u128 * COLLATERAL;
    let module = depin_bank::genesis::Balance {
        address: codec.encode(&module_address(MARKET_MODULE_ACCOUNT)),
        coins: vec![coin(held)],
    };
    state["bank"]["balances"]
        .as_array_mut()
        .expect("bank balances")
        .push(serde_json::to_value(module).expect("balance"));
    state["market"] = serde_json::to_value(&market).expect("market genesis");
    state
}

/// A `MsgSettle` of order `id`'s escrow, signed with `sequence`.
fn settle_tx(settler: &TestKey, id: u64, sequence: u64) -> Vec<u8> {
    let msg = MsgSettle {
        sender: settler.address.clone(),
        escrow_id: format!("order/{id}"),
    };
    let data = SignerData {
        chain_id: CHAIN_ID.into(),
        account_number: 0,
        sequence,
    };
    let any = Any {
        type_url: MsgSettle::type_url(),
        value: msg.encode_to_vec(),
    };
    sign(settler, &data, vec![any], &FeeSpec::new(FEE, GAS), "")
        .unwrap_or_else(|e| panic!("signing a settle tx: {e}"))
}

/// Checks that each settle succeeded and paid; returns their gas.
fn check(what: &str, results: &[ExecTxResult], expected: usize) -> Vec<i64> {
    assert_all_ok(what, results, expected);
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            assert!(
                r.events.iter().any(|e| e.r#type == "escrow_paid"),
                "{what}: tx {i} paid nothing"
            );
            r.gas_used
        })
        .collect()
}

struct Row {
    n: usize,
    import: Duration,
    empty: Duration,
    single: Duration,
    single_over_empty: f64,
    batch_per_settle: f64,
    /// Gas of the settle txs: (min, median, max).
    gas: (i64, i64, i64),
}

fn run(app: &Arc<App>, n: usize) -> Row {
    let settler = TestKey::from_seed(3_000_000);
    let t = Instant::now();
    let state = app_state(n, &settler);
    let built = t.elapsed();

    let t = Instant::now();
    let mut chain = Chain::open(app.clone(), &state, CHAIN_ID, MIN_GAS_PRICES, 0);
    drop(state);
    let import = t.elapsed();
    println!(
        "N = {n}: genesis built in {:.1} s, imported and committed in {:.1} s (not timed below)",
        built.as_secs_f64(),
        import.as_secs_f64()
    );

    // The leases to touch, each once: a stride through the whole id range (7919 is prime, so
    // the first N of them are distinct).
    let total = SINGLE + BATCHES * PER_BATCH;
    assert!(total <= n, "N = {n} is below the {total} leases touched");
    let ids: Vec<u64> = (0..total)
        .map(|j| FIRST_ORDER + ((j as u64 * 7_919 + 13) % n as u64))
        .collect();
    let txs: Vec<Vec<u8>> = ids
        .iter()
        .enumerate()
        .map(|(seq, id)| settle_tx(&settler, *id, seq as u64))
        .collect();

    // Warm-up: a few empty blocks.
    for _ in 0..5 {
        chain.driver.block(Vec::new());
    }

    let mut empty = Vec::with_capacity(SINGLE);
    let mut single = Vec::with_capacity(SINGLE);
    let mut gas = Vec::with_capacity(total);
    let mut txs = txs.into_iter();
    for _ in 0..SINGLE {
        let t = Instant::now();
        let resp = chain.driver.block(Vec::new());
        empty.push(t.elapsed());
        assert!(resp.tx_results.is_empty());

        let tx = txs.next().expect("a settle tx");
        let t = Instant::now();
        let resp = chain.driver.block(vec![tx]);
        single.push(t.elapsed());
        gas.extend(check("single settle", &resp.tx_results, 1));
    }
    let mut batch = Vec::with_capacity(BATCHES);
    let mut batch_empty = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let block: Vec<Vec<u8>> = txs.by_ref().take(PER_BATCH).collect();
        let t = Instant::now();
        chain.driver.block(Vec::new());
        batch_empty.push(t.elapsed());
        let t = Instant::now();
        let resp = chain.driver.block(block);
        batch.push(t.elapsed());
        gas.extend(check("batch of settles", &resp.tx_results, PER_BATCH));
    }

    let Stats {
        median: e,
        min: e_min,
        max: e_max,
    } = stats(empty);
    let Stats {
        median: s,
        min: s_min,
        max: s_max,
    } = stats(single);
    let b = stats(batch).median;
    let be = stats(batch_empty).median;
    gas.sort_unstable();
    let gas_range = (gas[0], gas[gas.len() / 2], gas[gas.len() - 1]);
    let row = Row {
        n,
        import,
        empty: e,
        single: s,
        single_over_empty: us(s) - us(e),
        batch_per_settle: (us(b) - us(be)) / PER_BATCH as f64,
        gas: gas_range,
    };
    println!(
        "  empty block            {:>8.3} ms  ({:.3}–{:.3}, {SINGLE} blocks)",
        ms(e),
        ms(e_min),
        ms(e_max)
    );
    println!(
        "  block with 1 settle    {:>8.3} ms  ({:.3}–{:.3}, {SINGLE} blocks)  → {:.0} µs over empty",
        ms(s),
        ms(s_min),
        ms(s_max),
        row.single_over_empty
    );
    println!(
        "  block with {PER_BATCH} settles {:>8.3} ms  (median of {BATCHES})  → {:.0} µs a settle",
        ms(b),
        row.batch_per_settle
    );
    println!(
        "  gas of a settle tx     median {} ({}–{}, {total} txs)",
        row.gas.1, row.gas.0, row.gas.2
    );
    row
}

fn main() {
    let ns: Vec<usize> = {
        let given: Vec<usize> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .filter_map(|a| a.parse().ok())
            .collect();
        if given.is_empty() {
            vec![1_000, 10_000, 100_000]
        } else {
            given
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "settle-on-touch: {ns:?} open leases in genesis; {cores} cores; {SINGLE} single-settle \
         blocks interleaved with empty blocks, then {BATCHES} blocks of {PER_BATCH} settles"
    );
    let app = Arc::new(default_app());
    let rows: Vec<Row> = ns.iter().map(|&n| run(&app, n)).collect();

    println!();
    println!(
        "| open leases | genesis import | empty block | block with 1 settle | 1 settle over empty | \
         per settle (blocks of {PER_BATCH}) | gas of a settle tx, median (min–max) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        let gas = format!("{} ({}–{})", r.gas.1, r.gas.0, r.gas.2);
        println!(
            "| {} | {:.1} s | {:.2} ms | {:.2} ms | {:.0} µs | {:.0} µs | {gas} |",
            r.n,
            r.import.as_secs_f64(),
            ms(r.empty),
            ms(r.single),
            r.single_over_empty,
            r.batch_per_settle,
        );
    }
}
