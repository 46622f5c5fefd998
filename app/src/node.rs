//! The ABCI state machine: one owner of the block state, driven by CometBFT through
//! [`crate::abci::AbciHandle`] or directly by [`crate::driver::InProcess`].
//!
//! FinalizeBlock computes the app hash without writing; Commit persists the block in one
//! synced batch. `Info` reports exactly the last committed height and hash, so after a crash
//! CometBFT replays whatever the app did not commit.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use tendermint_proto::v0_38::abci::{
    self as abci, response_offer_snapshot, response_process_proposal,
};

use crate::app::{
    height_offset, record_block_time, recorded_block_time, App, CheckedTx, INITIAL_HEIGHT_KEY,
    MAX_BLOCK_GAS_KEY,
};
use crate::context::{Env, ExecMode, GasPrice, SigCache};
use crate::error::{AppError, AppResult};
use crate::module::SigCheck;
use crate::query::QueryService;
use crate::store::{
    PendingCommit, Restorer, SnapshotManifest, SnapshotStore, Store, StoreConfig, WorkingSet,
};

/// Node settings that are not consensus: each validator chooses its own.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// CheckTx refuses transactions whose fee is below gas limit × one of these prices.
    pub min_gas_prices: Vec<GasPrice>,
    /// Take a state-sync snapshot every this many blocks (0: never).
    pub snapshot_interval: u64,
    /// Snapshots kept on disk.
    pub snapshot_keep: usize,
    pub store: StoreConfig,
    /// Worker threads for FinalizeBlock's signature pre-verification (0: one per core).
    pub verify_threads: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            min_gas_prices: Vec::new(),
            snapshot_interval: 0,
            snapshot_keep: 2,
            store: StoreConfig::default(),
            verify_threads: 0,
        }
    }
}

/// The application protocol version reported to CometBFT (Info) and clients (Version).
pub const APP_VERSION: u64 = 1;

/// The store, shared by the driver and the query servers; replaced only by a state-sync
/// restore.
pub type SharedStore = Arc<RwLock<Store>>;

const SNAPSHOT_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The application as CometBFT sees it.
pub struct Node {
    app: Arc<App>,
    store: SharedStore,
    data_dir: PathBuf,
    config: NodeConfig,
    queries: QueryService,
    sig_cache: Arc<SigCache>,
    /// The mempool's view: last committed state plus the ante writes of accepted txs.
    check_state: Option<WorkingSet>,
    /// Genesis writes, carried into the first block (InitChain does not commit).
    genesis: Option<WorkingSet>,
    /// The finalized block waiting for Commit.
    pending: Option<PendingCommit>,
    snapshots: Option<SnapshotStore>,
    /// A snapshot being restored, with the chain's height offset its offer implied.
    restore: Option<(Restorer, u64)>,
}

fn fatal(what: &str, err: impl std::fmt::Display) -> ! {
    // A failure here is a bug or a broken disk, never client input: stopping is the only
    // safe answer (CometBFT replays the block after a restart).
    eprintln!("depin-app: fatal: {what}: {err}");
    std::process::exit(70)
}

/// The exit status of a node that stopped for [`AppError::halt`] (an upgrade is due).
pub const HALT_EXIT_CODE: i32 = 3;

/// A halt goes back to the caller; anything else is fatal.
fn halt_or_fatal<T>(what: &str, err: AppError) -> Result<T, AppError> {
    if err.is_halt() {
        Err(err)
    } else {
        fatal(what, err)
    }
}

impl Node {
    /// Opens the store under `data_dir/state` (snapshots under `data_dir/snapshots`).
    pub fn open(
        app: Arc<App>,
        data_dir: impl Into<PathBuf>,
        config: NodeConfig,
    ) -> Result<Node, String> {
        let data_dir = data_dir.into();
        let store = Store::open(data_dir.join("state"), config.store.clone())
            .map_err(|e| format!("opening the store in {}: {e}", data_dir.display()))?;
        let snapshots = if config.snapshot_interval > 0 {
            Some(
                SnapshotStore::open(data_dir.join("snapshots"), config.snapshot_keep)
                    .map_err(|e| format!("opening snapshots: {e}"))?,
            )
        } else {
            None
        };
        let store = Arc::new(RwLock::new(store));
        let queries = QueryService::new(app.clone(), store.clone());
        let mut node = Node {
            app,
            store,
            data_dir,
            config,
            queries,
            sig_cache: Arc::new(SigCache::default()),
            check_state: None,
            genesis: None,
            pending: None,
            snapshots,
            restore: None,
        };
        node.reset_check_state();
        Ok(node)
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    pub fn store(&self) -> Store {
        self.store
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub fn queries(&self) -> &QueryService {
        &self.queries
    }

    pub fn sig_cache(&self) -> &Arc<SigCache> {
        &self.sig_cache
    }

    /// The height of the last committed block (0: none yet).
    pub fn last_height(&self) -> u64 {
        self.queries.height_of(self.store().version())
    }

    fn reset_check_state(&mut self) {
        self.check_state = None;
        match self.store().working_set() {
            Ok(ws) => self.check_state = Some(ws),
            Err(e) => fatal("opening the mempool state", e),
        }
    }

    fn env(&self, height: u64, mode: ExecMode) -> Env {
        let mut env = Env::new(&self.queries.chain_id(), height, mode);
        env.min_gas_prices = self.config.min_gas_prices.clone();
        env.sig_cache = self.sig_cache.clone();
        env
    }

    pub fn info(&self, _req: abci::RequestInfo) -> abci::ResponseInfo {
        let info = self.store().info();
        abci::ResponseInfo {
            data: "depin-sdk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: APP_VERSION,
            last_block_height: self.queries.height_of(info.version) as i64,
            // Height 0 has no app hash: CometBFT then calls InitChain.
            last_block_app_hash: if info.version == 0 {
                Bytes::new()
            } else {
                Bytes::copy_from_slice(&info.root)
            },
        }
    }

    pub fn init_chain(&mut self, req: abci::RequestInitChain) -> abci::ResponseInitChain {
        match self.try_init_chain(&req) {
            // The app's validator set, when genesis makes one (gentxs), replaces CometBFT's.
            Ok((hash, validators)) => abci::ResponseInitChain {
                consensus_params: None,
                validators: if validators.is_empty() {
                    req.validators
                } else {
                    validators
                },
                app_hash: Bytes::copy_from_slice(&hash),
            },
            Err(e) => fatal("InitChain: the genesis file is not valid", e),
        }
    }

    /// Writes genesis into a working set carried into the first block; returns its root and
    /// the validator set genesis creates.
    pub fn try_init_chain(
        &mut self,
        req: &abci::RequestInitChain,
    ) -> Result<([u8; 32], Vec<abci::ValidatorUpdate>), String> {
        let store = self.store();
        if store.version() != 0 {
            return Err(format!(
                "InitChain on a store at height {}",
                store.version()
            ));
        }
        let app_state: serde_json::Value = if req.app_state_bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&req.app_state_bytes)
                .map_err(|e| format!("app_state is not JSON: {e}"))?
        };
        // Store versions count blocks from 1; heights are versions + initial_height - 1.
        let height = u64::try_from(req.initial_height.max(1))
            .map_err(|_| format!("initial_height {} is not valid", req.initial_height))?;
        let mut env = self.env(height, ExecMode::Block);
        env.chain_id = req.chain_id.clone();
        if let Some(t) = &req.time {
            env.time_seconds = t.seconds;
            env.time_nanos = u32::try_from(t.nanos).unwrap_or(0);
        }
        let mut ws = store.working_set().map_err(|e| e.to_string())?;
        record_block_time(&mut ws, &env);
        crate::store::KvWrite::absorb(
            &mut ws,
            [(
                INITIAL_HEIGHT_KEY.to_vec(),
                Some(height.to_be_bytes().to_vec()),
            )]
            .into(),
        );
        self.queries.set_height_offset(height - 1);
        let validators = self
            .app
            .init_genesis(&mut ws, &env, &app_state)
            .map_err(|e| e.to_string())?;
        let max_gas = req
            .consensus_params
            .as_ref()
            .and_then(|p| p.block.as_ref())
            .map_or(-1, |b| b.max_gas);
        crate::store::KvWrite::absorb(
            &mut ws,
            [(
                MAX_BLOCK_GAS_KEY.to_vec(),
                Some(max_gas.to_be_bytes().to_vec()),
            )]
            .into(),
        );
        let pending = store
            .prepare_changes(0, ws.changes().clone())
            .map_err(|e| e.to_string())?;
        self.queries.set_chain_id(&req.chain_id);
        // Until block 1 commits them, the mempool must see the genesis accounts too.
        let mut check = store.working_set().map_err(|e| e.to_string())?;
        crate::store::KvWrite::absorb(&mut check, ws.changes().clone());
        self.check_state = Some(check);
        self.genesis = Some(ws);
        Ok((pending.root(), validators))
    }

    pub fn check_tx(&mut self, req: abci::RequestCheckTx) -> abci::ResponseCheckTx {
        let mode = if req.r#type == abci::CheckTxType::Recheck as i32 {
            ExecMode::ReCheck
        } else {
            ExecMode::Check
        };
        let height = self.last_height().max(self.queries.height_offset()) + 1;
        let mut env = self.env(height, mode);
        let Some(state) = self.check_state.as_mut() else {
            fatal("CheckTx", "no mempool state")
        };
        recorded_block_time(state, &mut env);
        let out = self.app.run_tx(state, &env, &req.tx);
        abci::ResponseCheckTx {
            code: out.code,
            data: Bytes::new(),
            log: out.log,
            info: String::new(),
            gas_wanted: out.gas_wanted as i64,
            gas_used: out.gas_used as i64,
            events: out.events.iter().map(|e| e.to_abci()).collect(),
            codespace: out.codespace,
        }
    }

    /// The consensus max gas per block (-1: no limit), from genesis until block 1 commits it.
    fn max_block_gas(&self) -> i64 {
        let bytes = match &self.genesis {
            Some(ws) => crate::store::KvRead::get(ws, MAX_BLOCK_GAS_KEY),
            None => self
                .store()
                .latest_view()
                .ok()
                .and_then(|v| crate::store::KvRead::get(&v, MAX_BLOCK_GAS_KEY)),
        };
        bytes
            .and_then(|b| b.try_into().ok().map(i64::from_be_bytes))
            .unwrap_or(-1)
    }

    fn tx_gas(tx: &[u8]) -> Option<u64> {
        crate::tx::decode(tx)
            .ok()
            .map(|t| t.auth_info.fee.map_or(0, |f| f.gas_limit))
    }

    /// Keeps the transactions that fit the block's byte and gas limits, in mempool order;
    /// drops undecodable ones.
    pub fn prepare_proposal(
        &self,
        req: abci::RequestPrepareProposal,
    ) -> abci::ResponsePrepareProposal {
        let max_bytes = req.max_tx_bytes.max(0) as u64;
        let max_gas = self.max_block_gas();
        let (mut bytes, mut gas) = (0u64, 0u64);
        let mut txs = Vec::new();
        for tx in req.txs {
            let Some(tx_gas) = Self::tx_gas(&tx) else {
                continue;
            };
            let size = tx.len() as u64;
            if bytes.saturating_add(size) > max_bytes {
                continue;
            }
            if max_gas >= 0 && gas.saturating_add(tx_gas) > max_gas as u64 {
                continue;
            }
            bytes += size;
            gas = gas.saturating_add(tx_gas);
            txs.push(tx);
        }
        abci::ResponsePrepareProposal { txs }
    }

    /// Rejects a proposal with an undecodable transaction or more gas than a block allows.
    pub fn process_proposal(
        &self,
        req: abci::RequestProcessProposal,
    ) -> abci::ResponseProcessProposal {
        let max_gas = self.max_block_gas();
        let mut gas = 0u64;
        let mut ok = true;
        for tx in &req.txs {
            match Self::tx_gas(tx) {
                Some(g) => gas = gas.saturating_add(g),
                None => ok = false,
            }
        }
        if max_gas >= 0 && gas > max_gas as u64 {
            ok = false;
        }
        let status = if ok {
            response_process_proposal::ProposalStatus::Accept
        } else {
            response_process_proposal::ProposalStatus::Reject
        };
        abci::ResponseProcessProposal {
            status: status as i32,
        }
    }

    /// Verifies the block's signatures on all cores before the transactions run in order;
    /// the ante step then finds them in the signature cache.
    fn preverify(&self, ws: &mut WorkingSet, env: &Env, txs: &[AppResult<CheckedTx>]) {
        let checks: Vec<SigCheck> = txs
            .iter()
            .filter_map(|tx| tx.as_ref().ok())
            .flat_map(|tx| self.app.signature_checks(ws, env, tx))
            .collect();
        if checks.len() < 2 {
            return;
        }
        let threads = match self.config.verify_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let per = checks.len().div_ceil(threads);
        let cache = &self.sig_cache;
        std::thread::scope(|s| {
            for part in checks.chunks(per) {
                s.spawn(move || {
                    for c in part {
                        // A failure is reported when the ante step verifies again in order.
                        let _ = cache.verify(&c.pubkey, &c.sign_bytes, &c.signature);
                    }
                });
            }
        });
    }

    pub fn finalize_block(
        &mut self,
        req: abci::RequestFinalizeBlock,
    ) -> abci::ResponseFinalizeBlock {
        let height = req.height;
        match self.try_finalize_block(req) {
            Ok(resp) => resp,
            Err(halt) => {
                // Nothing of this block is committed: a binary that can go on (one that knows
                // the upgrade) replays it after a restart. CometBFT stops when its connection
                // to the application closes.
                eprintln!("depin-app: halt at height {height}: {}", halt.message);
                std::process::exit(HALT_EXIT_CODE)
            }
        }
    }

    /// FinalizeBlock, or `Err` with the reason when a block hook halts the chain
    /// ([`AppError::halt`]); the block's changes are then dropped. Any other failure of a
    /// block hook stops the process, as in [`Node::finalize_block`].
    pub fn try_finalize_block(
        &mut self,
        req: abci::RequestFinalizeBlock,
    ) -> Result<abci::ResponseFinalizeBlock, AppError> {
        let height = u64::try_from(req.height).unwrap_or(0);
        let mut env = self.env(height, ExecMode::Block);
        env.min_gas_prices.clear();
        if let Some(t) = &req.time {
            env.time_seconds = t.seconds;
            env.time_nanos = u32::try_from(t.nanos).unwrap_or(0);
        }
        env.block_hash = req.hash.to_vec();
        env.proposer = req.proposer_address.to_vec();
        env.last_commit = req
            .decided_last_commit
            .as_ref()
            .map(|c| c.votes.clone())
            .unwrap_or_default();
        env.misbehavior = req.misbehavior.clone();
        let mut ws = match self.genesis.take() {
            Some(ws) => ws,
            None => self
                .store()
                .working_set()
                .unwrap_or_else(|e| fatal("FinalizeBlock", e)),
        };
        record_block_time(&mut ws, &env);
        let mut events: Vec<abci::Event> = self
            .app
            .begin_block(&mut ws, &env)
            .or_else(|e| halt_or_fatal("begin block", e))?
            .iter()
            .map(|e| e.to_abci())
            .collect();
        env.mode = ExecMode::Finalize;
        // Each tx is decoded and checked once, for both the signature pre-pass and execution.
        let checked: Vec<AppResult<CheckedTx>> =
            req.txs.iter().map(|tx| self.app.check(tx)).collect();
        self.preverify(&mut ws, &env, &checked);
        let mut tx_results = Vec::with_capacity(req.txs.len());
        for (tx, checked) in req.txs.iter().zip(&checked) {
            let out = match checked {
                Ok(c) => self.app.run_checked(&mut ws, &env, c),
                // Refused without state: run_tx reports the same error in full.
                Err(_) => self.app.run_tx(&mut ws, &env, tx),
            };
            tx_results.push(abci::ExecTxResult {
                code: out.code,
                data: out.data.into(),
                log: out.log,
                info: String::new(),
                gas_wanted: out.gas_wanted as i64,
                gas_used: out.gas_used as i64,
                events: out.events.iter().map(|e| e.to_abci()).collect(),
                codespace: out.codespace,
            });
        }
        env.mode = ExecMode::Block;
        let (end_events, validator_updates) = self
            .app
            .end_block(&mut ws, &env)
            .or_else(|e| halt_or_fatal("end block", e))?;
        events.extend(end_events.iter().map(|e| e.to_abci()));
        let pending = self
            .store()
            .prepare_commit(ws)
            .unwrap_or_else(|e| fatal("computing the app hash", e));
        let offset = self.queries.height_offset();
        if pending.version().checked_add(offset) != Some(height) {
            fatal(
                "FinalizeBlock",
                format!(
                    "block {height} does not follow the last committed block {}",
                    self.queries.height_of(pending.version() - 1)
                ),
            );
        }
        let app_hash = Bytes::copy_from_slice(&pending.root());
        self.pending = Some(pending);
        Ok(abci::ResponseFinalizeBlock {
            events,
            tx_results,
            validator_updates,
            consensus_param_updates: None,
            app_hash,
        })
    }

    pub fn commit(&mut self) -> abci::ResponseCommit {
        let Some(pending) = self.pending.take() else {
            fatal("Commit", "no finalized block to commit")
        };
        // Views of the old state must go before the commit prunes what they might read.
        self.check_state = None;
        let store = self.store();
        let info = store.commit(pending).unwrap_or_else(|e| fatal("Commit", e));
        self.reset_check_state();
        // Snapshots are filed by store version and announced by block height.
        if let Some(snapshots) = &self.snapshots {
            let height = self.queries.height_of(info.version);
            if height % self.config.snapshot_interval == 0 {
                if let Err(e) = snapshots.create(&store, info.version, SNAPSHOT_CHUNK_BYTES) {
                    eprintln!("depin-app: snapshot at height {height} failed: {e}");
                }
            }
        }
        abci::ResponseCommit { retain_height: 0 }
    }

    pub fn query(&self, req: abci::RequestQuery) -> abci::ResponseQuery {
        self.queries.abci_query(req)
    }

    pub fn list_snapshots(&self) -> abci::ResponseListSnapshots {
        let snapshots = self
            .snapshots
            .as_ref()
            .and_then(|s| s.list().ok())
            .unwrap_or_default()
            .into_iter()
            .map(|m| abci::Snapshot {
                height: self.queries.height_of(m.version),
                format: m.format,
                chunks: m.chunk_hashes.len() as u32,
                hash: Bytes::copy_from_slice(&m.hash()),
                metadata: m.to_bytes().into(),
            })
            .collect();
        abci::ResponseListSnapshots { snapshots }
    }

    pub fn load_snapshot_chunk(
        &self,
        req: abci::RequestLoadSnapshotChunk,
    ) -> abci::ResponseLoadSnapshotChunk {
        let chunk = self
            .snapshots
            .as_ref()
            .and_then(|s| {
                let version = req.height.checked_sub(self.queries.height_offset())?;
                s.load_chunk(version, req.chunk).ok().flatten()
            })
            .unwrap_or_default();
        abci::ResponseLoadSnapshotChunk {
            chunk: chunk.into(),
        }
    }

    /// Accepts a snapshot for a node whose store is empty, whose manifest matches its hash and
    /// whose root is the app hash the light client trusts.
    /// While a snapshot is being restored: (chunks applied, chunks in all).
    pub fn restore_progress(&self) -> Option<(u32, usize)> {
        self.restore
            .as_ref()
            .map(|(r, _)| (r.next_chunk(), r.total_chunks()))
    }

    pub fn offer_snapshot(
        &mut self,
        req: abci::RequestOfferSnapshot,
    ) -> abci::ResponseOfferSnapshot {
        use response_offer_snapshot::Result as R;
        let result = (|| {
            let snapshot = req.snapshot.as_ref().ok_or(R::Reject)?;
            let manifest =
                SnapshotManifest::from_bytes(&snapshot.metadata).map_err(|_| R::Reject)?;
            if manifest.format != crate::store::SNAPSHOT_FORMAT {
                return Err(R::RejectFormat);
            }
            // The height names the block; the manifest, the store version. Their difference is
            // the chain's height offset, checked against the restored state at the end.
            let offset = snapshot
                .height
                .checked_sub(manifest.version)
                .ok_or(R::Reject)?;
            if manifest.hash().as_slice() != snapshot.hash.as_ref()
                || manifest.root.as_slice() != req.app_hash.as_ref()
                || manifest.version == 0
            {
                return Err(R::Reject);
            }
            if self.store().version() != 0 {
                return Err(R::Abort);
            }
            // Close every handle on the empty store, then restore into its directory.
            self.check_state = None;
            self.genesis = None;
            let dir = self.data_dir.join("state");
            let placeholder = self.data_dir.join("restore-placeholder");
            let empty =
                Store::open(&placeholder, self.config.store.clone()).map_err(|_| R::Abort)?;
            let old = std::mem::replace(&mut *self.store.write().map_err(|_| R::Abort)?, empty);
            drop(old);
            std::fs::remove_dir_all(&dir).map_err(|_| R::Abort)?;
            eprintln!(
                "depin-app: restoring the snapshot of height {} ({} keys in {} chunks)",
                snapshot.height,
                manifest.keys,
                manifest.chunk_hashes.len()
            );
            let restorer =
                Restorer::new(&dir, manifest, self.config.store.clone()).map_err(|_| R::Reject)?;
            self.restore = Some((restorer, offset));
            Ok(())
        })();
        let result = match result {
            Ok(()) => R::Accept,
            Err(r) => r,
        };
        abci::ResponseOfferSnapshot {
            result: result as i32,
        }
    }

    pub fn apply_snapshot_chunk(
        &mut self,
        req: abci::RequestApplySnapshotChunk,
    ) -> abci::ResponseApplySnapshotChunk {
        use abci::response_apply_snapshot_chunk::Result as R;
        let Some((restorer, _)) = self.restore.as_mut() else {
            return abci::ResponseApplySnapshotChunk {
                result: R::Abort as i32,
                ..Default::default()
            };
        };
        if let Err(e) = restorer.apply_chunk(req.index, &req.chunk) {
            eprintln!("depin-app: snapshot chunk {} rejected: {e}", req.index);
            // A refused chunk leaves nothing behind: fetch just this one again, elsewhere.
            return abci::ResponseApplySnapshotChunk {
                result: R::Retry as i32,
                refetch_chunks: vec![req.index],
                reject_senders: vec![req.sender],
            };
        }
        let (done, total) = (restorer.next_chunk(), restorer.total_chunks());
        // Progress for the operator: every chunk of small snapshots, every 10% of large ones.
        if total <= 20 || (done as usize) % total.div_ceil(10) == 0 || done as usize == total {
            eprintln!("depin-app: snapshot restore: {done}/{total} chunks applied");
        }
        if restorer.is_complete() {
            let Some((restorer, offset)) = self.restore.take() else {
                fatal("snapshot restore", "restorer vanished")
            };
            let restored = restorer.finish().and_then(|store| {
                let found = height_offset(&store.latest_view()?);
                if found == offset {
                    Ok(store)
                } else {
                    Err(crate::store::StoreError::InvalidSnapshot(format!(
                        "the snapshot's height says the chain starts at {}, its state says {}",
                        offset + 1,
                        found + 1
                    )))
                }
            });
            match restored {
                Ok(store) => {
                    eprintln!(
                        "depin-app: snapshot restored at version {}: the node continues from it",
                        store.version()
                    );
                    if let Ok(mut guard) = self.store.write() {
                        *guard = store;
                    }
                    let _ = std::fs::remove_dir_all(self.data_dir.join("restore-placeholder"));
                    self.queries.reload_chain_id();
                    self.reset_check_state();
                }
                Err(e) => {
                    eprintln!("depin-app: restored state rejected: {e}");
                    return abci::ResponseApplySnapshotChunk {
                        result: R::RejectSnapshot as i32,
                        ..Default::default()
                    };
                }
            }
        }
        abci::ResponseApplySnapshotChunk {
            result: R::Accept as i32,
            ..Default::default()
        }
    }
}
