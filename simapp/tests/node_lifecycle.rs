//! The node around the transactions: the mempool right after InitChain, and state sync through
//! the ABCI snapshot calls (ListSnapshots, LoadSnapshotChunk, OfferSnapshot, ApplySnapshotChunk).

use std::sync::Arc;

use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use depin_app::context::GasPrice;
use depin_app::driver::InProcess;
use depin_app::node::{Node, NodeConfig};
use depin_simapp::default_app;
use depin_simapp::testing::{genesis, send_tx, FeeSpec, SignerData, TestKey};
use prost::Message;
use tendermint_proto::v0_38::abci::{
    response_apply_snapshot_chunk, response_offer_snapshot, RequestApplySnapshotChunk, RequestInfo,
    RequestLoadSnapshotChunk, RequestOfferSnapshot, RequestQuery,
};

const CHAIN: &str = "depin-test-1";

fn config(snapshot_interval: u64) -> NodeConfig {
    NodeConfig {
        min_gas_prices: GasPrice::parse_list("0.0025udepin").unwrap(),
        snapshot_interval,
        ..Default::default()
    }
}

fn balance(node: &Node, address: &str) -> u128 {
    let req = QueryBalanceRequest {
        address: address.into(),
        denom: "udepin".into(),
    };
    let r = node.query(RequestQuery {
        data: req.encode_to_vec().into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height: 0,
        prove: false,
    });
    assert_eq!(r.code, 0, "{}", r.log);
    let b = QueryBalanceResponse::decode(r.value.as_ref()).unwrap();
    b.balance.unwrap().amount.parse().unwrap()
}

#[test]
fn check_tx_sees_genesis_accounts_before_block_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = InProcess::open(Arc::new(default_app()), dir.path(), config(0)).unwrap();
    let (alice, bob) = (TestKey::from_seed(1), TestKey::from_seed(2));
    chain
        .init_chain(CHAIN, &genesis(&[(&alice.address, 1_000_000)]))
        .unwrap();
    let data = SignerData {
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: 0,
    };
    let tx = send_tx(&alice, &data, &bob.address, 10, &FeeSpec::new(500, 200_000));
    let r = chain.check_tx(&tx);
    assert_eq!(r.code, 0, "CheckTx before block 1: {}", r.log);
    let results = chain.deliver(vec![tx]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert_eq!(balance(chain.node(), &bob.address), 10);
}

#[test]
fn a_new_node_restores_a_snapshot_and_reports_its_height_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = InProcess::open(Arc::new(default_app()), &dir.path().join("a"), config(3)).unwrap();
    let keys: Vec<TestKey> = (1..=20).map(TestKey::from_seed).collect();
    let funded: Vec<(&str, u128)> = keys
        .iter()
        .map(|k| (k.address.as_str(), 1_000_000))
        .collect();
    a.init_chain(CHAIN, &genesis(&funded)).unwrap();
    a.block(vec![]);
    // Blocks 2..=6, each with transfers; snapshots are taken at heights 3 and 6.
    for round in 0..5u64 {
        let txs = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let data = SignerData {
                    chain_id: CHAIN.into(),
                    account_number: i as u64,
                    sequence: round,
                };
                let to = &keys[(i + 1) % keys.len()].address;
                send_tx(k, &data, to, 1 + i as u128, &FeeSpec::new(500, 200_000))
            })
            .collect();
        assert!(a.deliver(txs).iter().all(|r| r.code == 0));
    }
    assert_eq!(a.height(), 6);
    let snapshots = a.node().list_snapshots().snapshots;
    let snapshot = snapshots
        .iter()
        .find(|s| s.height == 6)
        .cloned()
        .unwrap_or_else(|| panic!("no snapshot at 6 in {snapshots:?}"));
    let root = a.node().store().root_at(6).unwrap();

    let mut b = Node::open(Arc::new(default_app()), dir.path().join("b"), config(0)).unwrap();
    // A snapshot whose root is not the trusted app hash is refused.
    let wrong = b.offer_snapshot(RequestOfferSnapshot {
        snapshot: Some(snapshot.clone()),
        app_hash: vec![7u8; 32].into(),
    });
    assert_eq!(wrong.result, response_offer_snapshot::Result::Reject as i32);
    let ok = b.offer_snapshot(RequestOfferSnapshot {
        snapshot: Some(snapshot.clone()),
        app_hash: root.to_vec().into(),
    });
    assert_eq!(ok.result, response_offer_snapshot::Result::Accept as i32);
    assert_eq!(b.restore_progress(), Some((0, snapshot.chunks as usize)));
    for chunk in 0..snapshot.chunks {
        let bytes = a
            .node()
            .load_snapshot_chunk(RequestLoadSnapshotChunk {
                height: 6,
                format: snapshot.format,
                chunk,
            })
            .chunk;
        assert!(!bytes.is_empty());
        if chunk == 0 {
            // A corrupt chunk is refused and asked for again; nothing is applied.
            let mut bad = bytes.to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 0xff;
            let r = b.apply_snapshot_chunk(RequestApplySnapshotChunk {
                index: 0,
                chunk: bad.into(),
                sender: "peer-1".into(),
            });
            assert_ne!(
                r.result,
                response_apply_snapshot_chunk::Result::Accept as i32
            );
            assert!(r.refetch_chunks.contains(&0));
        }
        let r = b.apply_snapshot_chunk(RequestApplySnapshotChunk {
            index: chunk,
            chunk: bytes,
            sender: "peer-2".into(),
        });
        assert_eq!(
            r.result,
            response_apply_snapshot_chunk::Result::Accept as i32,
            "chunk {chunk}"
        );
        // Progress (also printed for the operator) until the last chunk completes the restore.
        if chunk + 1 < snapshot.chunks {
            assert_eq!(
                b.restore_progress(),
                Some((chunk + 1, snapshot.chunks as usize))
            );
        } else {
            assert_eq!(b.restore_progress(), None);
        }
    }
    let info = b.info(RequestInfo::default());
    assert_eq!(info.last_block_height, 6);
    assert_eq!(info.last_block_app_hash.as_ref(), root.as_slice());
    for k in &keys {
        assert_eq!(balance(&b, &k.address), balance(a.node(), &k.address));
    }
    assert_eq!(b.queries().chain_id(), CHAIN);
}

#[test]
fn a_raw_store_query_with_prove_returns_a_proof_of_the_app_hash() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = InProcess::open(Arc::new(default_app()), dir.path(), config(0)).unwrap();
    let alice = TestKey::from_seed(1);
    chain
        .init_chain(CHAIN, &genesis(&[(&alice.address, 777)]))
        .unwrap();
    chain.block(vec![]);
    let raw = depin_app::address::AddressCodec::new("depin")
        .decode(&alice.address)
        .unwrap();
    // The balance's key inside the bank's prefix, as cw-storage-plus lays it out.
    let key = depin_bank::state::BALANCES
        .key((raw.as_slice(), "udepin"))
        .to_vec();
    for path in ["store/bank/key", "/store/bank/key"] {
        let r = chain.node().query(RequestQuery {
            data: key.clone().into(),
            path: path.into(),
            height: 0,
            prove: true,
        });
        assert_eq!(r.code, 0, "{path}: {}", r.log);
        assert_eq!(r.value.as_ref(), b"\"777\"");
        let ops = r.proof_ops.expect("a proof");
        assert_eq!(ops.ops[0].r#type, depin_app::query::PROOF_OP_TYPE);
        let proof = ics23::CommitmentProof::decode(ops.ops[0].data.as_slice()).unwrap();
        let root = chain.node().store().root();
        let mut full = b"bank/".to_vec();
        full.extend_from_slice(&key);
        assert!(depin_app::store::verify_membership(
            &proof, &root, &full, b"\"777\""
        ));
        assert!(!depin_app::store::verify_membership(
            &proof, &root, &full, b"\"778\""
        ));
    }
    let r = chain.node().query(RequestQuery {
        data: key.into(),
        path: "store/nosuchmodule/key".into(),
        height: 0,
        prove: true,
    });
    assert_eq!((r.codespace.as_str(), r.code), ("sdk", 6));
}

#[test]
fn the_version_query_is_answered_over_abci_like_every_query() {
    let dir = tempfile::tempdir().unwrap();
    let chain = InProcess::open(Arc::new(default_app()), dir.path(), config(0)).unwrap();
    let r = chain.query(depin_app::query::VERSION_PATH, Vec::new());
    assert_eq!(r.code, 0, "{}", r.log);
    let v = depin_proto::depin::app::v1::VersionResponse::decode(r.value.as_ref()).unwrap();
    assert_eq!(v.name, "depin-sdk");
    assert_eq!(v.app_version, depin_app::node::APP_VERSION);
    assert!(!v.version.is_empty());
}

fn query_at(
    node: &Node,
    address: &str,
    height: i64,
) -> tendermint_proto::v0_38::abci::ResponseQuery {
    let req = QueryBalanceRequest {
        address: address.into(),
        denom: "udepin".into(),
    };
    node.query(RequestQuery {
        data: req.encode_to_vec().into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height,
        prove: false,
    })
}

/// A chain restarted from an export at height H starts at `initial_height` H + 1: Info,
/// queries, CheckTx, reopening and state sync all speak in its heights.
#[test]
fn a_chain_restarted_from_an_export_continues_the_heights() {
    use depin_app::context::{Env, ExecMode};
    use depin_app::store::WorkingSet;

    let dir = tempfile::tempdir().unwrap();
    let mut old =
        InProcess::open(Arc::new(default_app()), &dir.path().join("old"), config(0)).unwrap();
    let (alice, bob) = (TestKey::from_seed(1), TestKey::from_seed(2));
    old.init_chain(CHAIN, &genesis(&[(&alice.address, 1_000_000)]))
        .unwrap();
    for _ in 0..4 {
        old.block(vec![]);
    }
    let data = |sequence| SignerData {
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence,
    };
    let fee = FeeSpec::new(500, 200_000);
    let r = old.deliver(vec![send_tx(&alice, &data(0), &bob.address, 10, &fee)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert_eq!(old.height(), 5);
    let store = old.node().store();
    let env = Env::new(CHAIN, 5, ExecMode::Query);
    let exported = old
        .node()
        .app()
        .export_genesis(&mut WorkingSet::new(store.latest_view().unwrap()), &env)
        .unwrap();

    let new_dir = dir.path().join("new");
    let mut new = InProcess::open(Arc::new(default_app()), &new_dir, config(4)).unwrap();
    new.init_chain_at(CHAIN, &exported, 6).unwrap();
    new.block(vec![]);
    assert_eq!(new.height(), 6);
    let info = new.node().info(RequestInfo::default());
    assert_eq!(info.last_block_height, 6);
    assert_eq!(new.node().last_height(), 6);
    assert_eq!(balance(new.node(), &bob.address), 10);
    // Heights before the chain's first block are not its own.
    let r = query_at(new.node(), &bob.address, 5);
    assert_eq!((r.codespace.as_str(), r.code), ("sdk", 18), "{}", r.log);
    assert!(r.log.contains("starts at height 6"), "{}", r.log);
    let r = query_at(new.node(), &bob.address, 6);
    assert_eq!((r.code, r.height), (0, 6), "{}", r.log);
    let r = query_at(new.node(), &bob.address, 7);
    assert_eq!((r.codespace.as_str(), r.code), ("sdk", 18), "{}", r.log);
    let r = query_at(new.node(), &bob.address, 0);
    assert_eq!(r.height, 6);

    // The account's sequence carried over; CheckTx and the next block run at height 7.
    let tx = send_tx(&alice, &data(1), &bob.address, 5, &fee);
    let r = new.check_tx(&tx);
    assert_eq!(r.code, 0, "{}", r.log);
    let r = new.deliver(vec![tx]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    new.block(vec![]);
    assert_eq!(new.height(), 8);

    // A snapshot is announced at its block height (8, a multiple of the interval) and restores
    // into a node that then reports the same height.
    let snapshot = new
        .node()
        .list_snapshots()
        .snapshots
        .into_iter()
        .find(|s| s.height == 8)
        .expect("a snapshot at height 8");
    let root = new.node().store().root().to_vec();
    let restore = |height: u64| {
        let target = tempfile::tempdir().unwrap();
        let mut node = Node::open(Arc::new(default_app()), target.path(), config(0)).unwrap();
        let offer = node.offer_snapshot(RequestOfferSnapshot {
            snapshot: Some(tendermint_proto::v0_38::abci::Snapshot {
                height,
                ..snapshot.clone()
            }),
            app_hash: root.clone().into(),
        });
        if offer.result != response_offer_snapshot::Result::Accept as i32 {
            return (offer.result, None);
        }
        let mut last = 0;
        for chunk in 0..snapshot.chunks {
            let bytes = new
                .node()
                .load_snapshot_chunk(RequestLoadSnapshotChunk {
                    height: 8,
                    format: snapshot.format,
                    chunk,
                })
                .chunk;
            assert!(!bytes.is_empty(), "chunk {chunk} of the snapshot at 8");
            last = node
                .apply_snapshot_chunk(RequestApplySnapshotChunk {
                    index: chunk,
                    chunk: bytes,
                    sender: "peer".into(),
                })
                .result;
        }
        (last, Some((node, target)))
    };
    let (result, restored) = restore(8);
    assert_eq!(result, response_apply_snapshot_chunk::Result::Accept as i32);
    let (node, _target) = restored.unwrap();
    assert_eq!(node.info(RequestInfo::default()).last_block_height, 8);
    assert_eq!(balance(&node, &bob.address), 15);
    // A snapshot announced at a height its state does not match is refused once restored.
    let (result, _) = restore(9);
    assert_eq!(
        result,
        response_apply_snapshot_chunk::Result::RejectSnapshot as i32
    );
    // A height below the snapshot's version cannot be right at all.
    let (result, _) = restore(1);
    assert_eq!(result, response_offer_snapshot::Result::Reject as i32);

    // Reopened, the node goes on from its own height.
    drop(new);
    let mut again = InProcess::open(Arc::new(default_app()), &new_dir, config(0)).unwrap();
    assert_eq!(again.height(), 8);
    again.block(vec![]);
    assert_eq!(
        again.node().info(RequestInfo::default()).last_block_height,
        9
    );
}
