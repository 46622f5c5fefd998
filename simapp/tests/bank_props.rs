//! Random sends among a few accounts, in random blocks, checked against a model of the bank:
//! after every block each balance and sequence is what the model says, the modules'
//! invariants hold, the supply never changes (fees only move into the fee collector) and the
//! balances add up to it.

use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use depin_app::address::module_address;
use depin_app::context::{Env, ExecMode};
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_simapp::testing::{genesis, send_tx, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM};
use proptest::prelude::*;
use prost::Message;

const CHAIN_ID: &str = "depin-props-1";
const ACCOUNTS: usize = 5;
const GAS: u64 = 200_000;
/// The last account is poor, so sends and fees beyond the balance happen often.
const FUNDS: [u128; ACCOUNTS] = [1_000_000, 250_000, 40_000, 5_000, 600];

#[derive(Debug, Clone)]
struct Send {
    from: usize,
    to: usize,
    amount: u128,
    fee: u128,
}

fn send() -> impl Strategy<Value = Send> {
    (
        0..ACCOUNTS,
        0..ACCOUNTS,
        prop_oneof![3 => 1u128..2_000, 1 => 0u128..1, 1 => 2_000u128..300_000],
        prop_oneof![Just(0u128), Just(1), Just(500), Just(5_000)],
    )
        .prop_map(|(from, to, amount, fee)| Send {
            from,
            to,
            amount,
            fee,
        })
}

/// What the chain should hold, updated by the rules the pipeline documents.
struct Model {
    balances: [u128; ACCOUNTS],
    sequences: [u64; ACCOUNTS],
    collected: u128,
}

impl Model {
    /// Applies `s` and returns the code the tx must get.
    fn apply(&mut self, s: &Send) -> u32 {
        if s.amount == 0 {
            // Refused by the stateless checks (invalid coins): nothing is charged.
            return 10;
        }
        if self.balances[s.from] < s.fee {
            // The ante fails: no fee, no sequence.
            return 5;
        }
        self.balances[s.from] -= s.fee;
        self.collected += s.fee;
        self.sequences[s.from] += 1;
        if self.balances[s.from] < s.amount {
            return 5;
        }
        self.balances[s.from] -= s.amount;
        self.balances[s.to] += s.amount;
        0
    }
}

fn query<R: Message + Default>(driver: &InProcess, path: &str, request: impl Message) -> R {
    let resp = driver.query(path, request.encode_to_vec());
    assert_eq!(resp.code, 0, "{path}: {}", resp.log);
    R::decode(resp.value.as_ref()).unwrap()
}

fn balance(driver: &InProcess, address: &str) -> u128 {
    let resp: QueryBalanceResponse = query(
        driver,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest {
            address: address.into(),
            denom: DENOM.into(),
        },
    );
    resp.balance.unwrap().amount.parse().unwrap()
}

fn sequence(driver: &InProcess, address: &str) -> u64 {
    let resp: QueryAccountResponse = query(
        driver,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: address.into(),
        },
    );
    BaseAccount::decode(resp.account.unwrap().value.as_slice())
        .unwrap()
        .sequence
}

fn supply(driver: &InProcess) -> u128 {
    let resp: QueryTotalSupplyResponse = query(
        driver,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        QueryTotalSupplyRequest::default(),
    );
    assert_eq!(resp.supply.len(), 1, "{:?}", resp.supply);
    assert_eq!(resp.supply[0].denom, DENOM);
    resp.supply[0].amount.parse().unwrap()
}

/// Every module's invariants, and the sum of every balance the bank exports, over the latest
/// committed state.
fn check_state(driver: &InProcess) -> u128 {
    let app = driver.node().app().clone();
    let store = driver.node().store();
    let env = Env::new(CHAIN_ID, store.version(), ExecMode::Query);
    let broken = app.check_invariants(&mut WorkingSet::new(store.latest_view().unwrap()), &env);
    assert!(broken.is_empty(), "broken invariants: {broken:?}");
    let exported = app
        .export_genesis(&mut WorkingSet::new(store.latest_view().unwrap()), &env)
        .unwrap();
    let bank: depin_bank::GenesisState = serde_json::from_value(exported["bank"].clone()).unwrap();
    bank.balances
        .iter()
        .flat_map(|b| b.coins.iter())
        .map(|c| {
            assert_eq!(c.denom, DENOM);
            c.amount.u128()
        })
        .sum()
}

fn run(blocks: Vec<Vec<Send>>) -> Result<(), TestCaseError> {
    let keys: Vec<TestKey> = (0..ACCOUNTS as u64)
        .map(|i| TestKey::from_seed(100 + i))
        .collect();
    let collector = cosmrs::AccountId::new(ADDRESS_PREFIX, &module_address("fee_collector"))
        .unwrap()
        .to_string();
    let distribution = cosmrs::AccountId::new(ADDRESS_PREFIX, &module_address("distribution"))
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut driver =
        InProcess::open(Arc::new(default_app()), dir.path(), NodeConfig::default()).unwrap();
    let funded: Vec<(&str, u128)> = keys.iter().map(|k| k.address.as_str()).zip(FUNDS).collect();
    driver.init_chain(CHAIN_ID, &genesis(&funded)).unwrap();
    driver.block(vec![]);
    let total: u128 = FUNDS.iter().sum();
    prop_assert_eq!(supply(&driver), total);

    let mut model = Model {
        balances: FUNDS,
        sequences: [0; ACCOUNTS],
        collected: 0,
    };
    for block in blocks {
        let mut txs = Vec::new();
        let mut expected = Vec::new();
        for s in &block {
            let data = SignerData {
                chain_id: CHAIN_ID.into(),
                account_number: s.from as u64,
                sequence: model.sequences[s.from],
            };
            let fee = FeeSpec::new(s.fee, GAS);
            txs.push(send_tx(
                &keys[s.from],
                &data,
                &keys[s.to].address,
                s.amount,
                &fee,
            ));
            expected.push(model.apply(s));
        }
        let results = driver.deliver(txs);
        for ((r, code), s) in results.iter().zip(&expected).zip(&block) {
            prop_assert_eq!(r.code, *code, "{:?}: {}", s, r.log);
            if r.code != 0 {
                prop_assert_eq!(r.codespace.as_str(), "sdk");
            }
        }
        for (i, key) in keys.iter().enumerate() {
            prop_assert_eq!(
                balance(&driver, &key.address),
                model.balances[i],
                "balance of {}",
                i
            );
            prop_assert_eq!(
                sequence(&driver, &key.address),
                model.sequences[i],
                "sequence of {}",
                i
            );
        }
        // Fees reach the fee collector, and the distribution module takes them from it at the
        // next block's start (nobody withdraws here).
        prop_assert_eq!(
            balance(&driver, &collector) + balance(&driver, &distribution),
            model.collected
        );
        prop_assert_eq!(supply(&driver), total);
        prop_assert_eq!(check_state(&driver), total);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sends_keep_balances_supply_and_invariants(
        blocks in prop::collection::vec(prop::collection::vec(send(), 0..8), 1..5)
    ) {
        run(blocks)?;
    }
}
