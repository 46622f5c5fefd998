//! Client-controlled bytes never crash the node or change state: mutated and truncated signed
//! transactions go through CheckTx and FinalizeBlock; each is refused with a code (or, in the
//! rare case the mutation kept it valid, accepted), and the bank's invariants hold after.

use std::sync::Arc;

use depin_app::context::GasPrice;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_simapp::default_app;
use depin_simapp::testing::{genesis, send_tx, FeeSpec, SignerData, TestKey};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_transactions_are_refused_without_a_crash(
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = NodeConfig {
            min_gas_prices: GasPrice::parse_list("0.0025udepin").unwrap(),
            ..Default::default()
        };
        let app = Arc::new(default_app());
        let mut chain = InProcess::open(app.clone(), dir.path(), config).unwrap();
        let (alice, bob) = (TestKey::from_seed(1), TestKey::from_seed(2));
        chain.init_chain("depin-test-1", &genesis(&[(&alice.address, 1_000_000)])).unwrap();
        chain.block(vec![]);
        let data = SignerData { chain_id: "depin-test-1".into(), account_number: 0, sequence: 0 };
        let mut tx = send_tx(&alice, &data, &bob.address, 10, &FeeSpec::new(500, 200_000));
        for (at, mask) in &flips {
            let i = at.index(tx.len());
            tx[i] ^= mask;
        }
        if let Some(c) = cut {
            tx.truncate(c.index(tx.len()));
        }
        let check = chain.check_tx(&tx);
        let results = chain.deliver(vec![tx]);
        prop_assert_eq!(results.len(), 1);
        if results[0].code != 0 {
            prop_assert!(!results[0].log.is_empty(), "a refusal says why");
        }
        prop_assert!(check.code != 0 || results[0].code == 0 || results[0].code == 5 || results[0].code == 11);
        let store = chain.node().store();
        let mut ws = WorkingSet::new(store.latest_view().unwrap());
        let env = depin_app::context::Env::new("depin-test-1", store.version(), depin_app::context::ExecMode::Query);
        let broken = app.check_invariants(&mut ws, &env);
        prop_assert!(broken.is_empty(), "{:?}", broken);
    }
}
