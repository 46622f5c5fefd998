//! An in-process driver: feeds ABCI calls straight into a [`Node`], without CometBFT. For unit,
//! property and simulation tests and benchmarks; the end-to-end tests use real CometBFT.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    CheckTxType, CommitInfo, ExecTxResult, Misbehavior, RequestCheckTx, RequestFinalizeBlock,
    RequestInitChain, RequestQuery, ResponseCheckTx, ResponseFinalizeBlock, ResponseQuery,
};

use crate::app::App;
use crate::node::{Node, NodeConfig};

/// Seconds between the blocks the driver makes (block time is part of consensus; the driver
/// advances it deterministically).
pub const BLOCK_SECONDS: i64 = 5;

/// A chain of one node, driven block by block.
pub struct InProcess {
    node: Node,
    chain_id: String,
    height: u64,
    time: i64,
}

impl InProcess {
    /// Opens (or reopens) a node whose data lives in `dir`.
    pub fn open(app: Arc<App>, dir: &Path, config: NodeConfig) -> Result<Self, String> {
        let node = Node::open(app, dir, config)?;
        let height = node.last_height();
        let chain_id = node.queries().chain_id();
        Ok(InProcess {
            node,
            chain_id,
            height,
            time: 1_700_000_000 + height as i64 * BLOCK_SECONDS,
        })
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The node, for ABCI calls the driver has no shorthand for (e.g. state sync).
    pub fn node_mut(&mut self) -> &mut Node {
        &mut self.node
    }

    pub fn height(&self) -> u64 {
        self.height
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The time of the last block (or of InitChain), seconds since the Unix epoch.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// Sets the clock to `seconds`: a following InitChain runs at that time, and each block
    /// comes [`BLOCK_SECONDS`] after the previous one.
    pub fn set_time(&mut self, seconds: i64) {
        self.time = seconds;
    }

    /// InitChain with `app_state` (the genesis file's `app_state`); returns the genesis app
    /// hash. The genesis writes are committed with the first block.
    pub fn init_chain(
        &mut self,
        chain_id: &str,
        app_state: &serde_json::Value,
    ) -> Result<[u8; 32], String> {
        self.init_chain_at(chain_id, app_state, 1)
    }

    /// As [`InProcess::init_chain`], for a chain whose first block is `initial_height` (a chain
    /// restarted from an export continues at the exported height + 1).
    pub fn init_chain_at(
        &mut self,
        chain_id: &str,
        app_state: &serde_json::Value,
        initial_height: u64,
    ) -> Result<[u8; 32], String> {
        let first = i64::try_from(initial_height.max(1))
            .map_err(|_| format!("initial_height {initial_height} is too large"))?;
        self.chain_id = chain_id.to_string();
        let req = RequestInitChain {
            time: Some(Timestamp {
                seconds: self.time,
                nanos: 0,
            }),
            chain_id: chain_id.to_string(),
            consensus_params: None,
            validators: Vec::new(),
            app_state_bytes: serde_json::to_vec(app_state)
                .map_err(|e| e.to_string())?
                .into(),
            initial_height: first,
        };
        let hash = self.node.try_init_chain(&req).map(|(hash, _)| hash)?;
        self.height = first as u64 - 1;
        Ok(hash)
    }

    pub fn check_tx(&mut self, tx: &[u8]) -> ResponseCheckTx {
        self.node.check_tx(RequestCheckTx {
            tx: Bytes::copy_from_slice(tx),
            r#type: CheckTxType::New as i32,
        })
    }

    /// FinalizeBlock with `txs`, then Commit. Returns the block's response.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        self.block_with(txs, None, Vec::new())
    }

    /// A block that also carries the votes on the previous block and evidence of
    /// misbehaviour, as CometBFT sends them.
    pub fn block_with(
        &mut self,
        txs: Vec<Vec<u8>>,
        last_commit: Option<CommitInfo>,
        misbehavior: Vec<Misbehavior>,
    ) -> ResponseFinalizeBlock {
        match self.try_block_with(txs, last_commit, misbehavior) {
            Ok(resp) => resp,
            Err(e) => panic!("block {} halted: {e}", self.height + 1),
        }
    }

    /// [`InProcess::block`] that returns a halt ([`crate::error::AppError::halt`]) instead of
    /// panicking: the block is then neither committed nor counted, as a node that stops.
    pub fn try_block(
        &mut self,
        txs: Vec<Vec<u8>>,
    ) -> Result<ResponseFinalizeBlock, crate::error::AppError> {
        self.try_block_with(txs, None, Vec::new())
    }

    fn try_block_with(
        &mut self,
        txs: Vec<Vec<u8>>,
        last_commit: Option<CommitInfo>,
        misbehavior: Vec<Misbehavior>,
    ) -> Result<ResponseFinalizeBlock, crate::error::AppError> {
        let height = self.height + 1;
        let time = self.time + BLOCK_SECONDS;
        let hash = sha2_of_height(height);
        let resp = self.node.try_finalize_block(RequestFinalizeBlock {
            txs: txs.into_iter().map(Bytes::from).collect(),
            decided_last_commit: last_commit,
            misbehavior,
            hash: Bytes::copy_from_slice(&hash),
            height: height as i64,
            time: Some(Timestamp {
                seconds: time,
                nanos: 0,
            }),
            next_validators_hash: Bytes::new(),
            proposer_address: Bytes::new(),
        })?;
        self.node.commit();
        self.height = height;
        self.time = time;
        Ok(resp)
    }

    /// Runs `txs` in one block and returns each transaction's result.
    pub fn deliver(&mut self, txs: Vec<Vec<u8>>) -> Vec<ExecTxResult> {
        self.block(txs).tx_results
    }

    pub fn query(&self, path: &str, data: Vec<u8>) -> ResponseQuery {
        self.node.query(RequestQuery {
            data: data.into(),
            path: path.to_string(),
            height: 0,
            prove: false,
        })
    }
}

/// Reading the latest committed state as tests and simulations do: typed queries, every
/// module's invariants, the genesis export, and a context for calling keepers directly.
impl InProcess {
    /// Query `path` with `request`, decoded as `R`; the error log when the query fails.
    pub fn query_as<R: prost::Message + Default>(
        &self,
        path: &str,
        request: &impl prost::Message,
    ) -> Result<R, String> {
        let resp = self.query(path, request.encode_to_vec());
        if resp.code != 0 {
            return Err(format!(
                "{path}: {} ({} {})",
                resp.log, resp.codespace, resp.code
            ));
        }
        R::decode(resp.value.as_ref()).map_err(|e| format!("{path}: {e}"))
    }

    fn latest(&self) -> (crate::store::WorkingSet, crate::context::Env) {
        let store = self.node.store();
        let view = store
            .latest_view()
            .unwrap_or_else(|e| panic!("reading the latest state: {e}"));
        let env =
            crate::context::Env::new(&self.chain_id, self.height, crate::context::ExecMode::Query);
        (crate::store::WorkingSet::new(view), env)
    }

    /// Every module's broken invariants over the latest committed state (empty: all hold).
    pub fn broken_invariants(&self) -> Vec<String> {
        let (mut ws, env) = self.latest();
        self.node.app().check_invariants(&mut ws, &env)
    }

    /// The latest committed state as a genesis `app_state`.
    pub fn export(&self) -> serde_json::Value {
        let (mut ws, env) = self.latest();
        self.node
            .app()
            .export_genesis(&mut ws, &env)
            .unwrap_or_else(|e| panic!("export: {e}"))
    }

    /// Runs `f` with a context over the latest committed state at the next block's height
    /// (writes are thrown away): for calling a keeper as another module would.
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut crate::context::Ctx<'_, '_>) -> R) -> R {
        let (mut ws, mut env) = self.latest();
        env.height = self.height + 1;
        let mut branch =
            crate::store::Branch::new(&mut ws, Arc::new(crate::store::GasMeter::infinite()));
        let mut ctx = crate::context::Ctx::new(&mut branch, &env);
        f(&mut ctx)
    }
}

/// The events of a finalized block, begin/end block's and then each transaction's, in order.
pub fn block_events(resp: &ResponseFinalizeBlock) -> Vec<crate::context::Event> {
    resp.events
        .iter()
        .chain(resp.tx_results.iter().flat_map(|r| r.events.iter()))
        .map(|e| crate::context::Event {
            kind: e.r#type.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect(),
        })
        .collect()
}

/// A stand-in block hash: distinct per height, the same on every run.
fn sha2_of_height(height: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(height.to_be_bytes()).into()
}
