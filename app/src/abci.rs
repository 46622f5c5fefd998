//! The ABCI socket server CometBFT talks to. CometBFT opens four connections (consensus,
//! mempool, query, snapshot); each is served on its own thread by tendermint-abci, and all of
//! them reach the one [`Node`] through an [`AbciHandle`]. Queries do not wait for the node:
//! they read committed state through the [`QueryService`].

use std::sync::{Arc, Mutex, MutexGuard};

use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::*;

use crate::node::Node;
use crate::query::QueryService;

/// A cheap, cloneable handle to the node that owns the block state.
#[derive(Clone)]
pub struct AbciHandle {
    node: Arc<Mutex<Node>>,
    queries: QueryService,
}

impl AbciHandle {
    pub fn new(node: Node) -> Self {
        let queries = node.queries().clone();
        AbciHandle {
            node: Arc::new(Mutex::new(node)),
            queries,
        }
    }

    pub fn queries(&self) -> &QueryService {
        &self.queries
    }

    fn node(&self) -> MutexGuard<'_, Node> {
        // A panic while holding the lock would leave the node in an unknown state; the
        // process must stop rather than go on (CometBFT replays after a restart).
        match self.node.lock() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("depin-app: fatal: the node lock is poisoned");
                std::process::exit(70)
            }
        }
    }

    /// Serves ABCI on `addr` (e.g. `127.0.0.1:26658`) until the process ends.
    pub fn serve(self, addr: &str) -> Result<(), String> {
        let server = tendermint_abci::ServerBuilder::new(1024 * 1024)
            .bind(addr, self)
            .map_err(|e| format!("binding the ABCI socket {addr}: {e}"))?;
        server
            .listen()
            .map_err(|e| format!("ABCI server stopped: {e}"))
    }
}

impl Application for AbciHandle {
    fn info(&self, request: RequestInfo) -> ResponseInfo {
        self.node().info(request)
    }

    fn init_chain(&self, request: RequestInitChain) -> ResponseInitChain {
        self.node().init_chain(request)
    }

    fn query(&self, request: RequestQuery) -> ResponseQuery {
        self.queries.abci_query(request)
    }

    fn check_tx(&self, request: RequestCheckTx) -> ResponseCheckTx {
        self.node().check_tx(request)
    }

    fn commit(&self) -> ResponseCommit {
        self.node().commit()
    }

    fn list_snapshots(&self) -> ResponseListSnapshots {
        self.node().list_snapshots()
    }

    fn offer_snapshot(&self, request: RequestOfferSnapshot) -> ResponseOfferSnapshot {
        self.node().offer_snapshot(request)
    }

    fn load_snapshot_chunk(&self, request: RequestLoadSnapshotChunk) -> ResponseLoadSnapshotChunk {
        self.node().load_snapshot_chunk(request)
    }

    fn apply_snapshot_chunk(
        &self,
        request: RequestApplySnapshotChunk,
    ) -> ResponseApplySnapshotChunk {
        self.node().apply_snapshot_chunk(request)
    }

    fn prepare_proposal(&self, request: RequestPrepareProposal) -> ResponsePrepareProposal {
        self.node().prepare_proposal(request)
    }

    fn process_proposal(&self, request: RequestProcessProposal) -> ResponseProcessProposal {
        self.node().process_proposal(request)
    }

    fn finalize_block(&self, request: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        self.node().finalize_block(request)
    }
}
