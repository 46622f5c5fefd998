//! The composed application: modules in a declared order, the message and query routers, and
//! the transaction pipeline (stateless checks → ante → messages).

use std::collections::BTreeMap;
use std::sync::Arc;

use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::Any;
use prost::Message;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::address::AddressCodec;
use crate::context::{Ctx, Env, Event, ExecMode, MsgRouter};
use crate::error::{sdk, AppError, AppResult};
use crate::module::{AnteHandler, Module, SigCheck, TxContext};
use crate::store::{Branch, GasConfig, GasMeter, KvRead, KvWrite, WorkingSet};
use crate::tx::{decode, DecodedTx};

/// Limits of the transaction pipeline that are part of consensus (every node must agree).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Bech32 prefix of account addresses.
    pub address_prefix: String,
    /// Transactions larger than this are refused before decoding.
    pub max_tx_bytes: usize,
    /// Messages per transaction.
    pub max_msgs: usize,
    /// The gas a simulation may use.
    pub simulate_gas_limit: u64,
    /// The gas a query may use.
    pub query_gas_limit: u64,
    pub gas: GasConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            address_prefix: "depin".into(),
            max_tx_bytes: 1024 * 1024,
            max_msgs: 256,
            simulate_gas_limit: 100_000_000,
            query_gas_limit: 50_000_000,
            gas: GasConfig::default(),
        }
    }
}

/// The result of one transaction, in the shape of ABCI's `ExecTxResult`.
#[derive(Debug, Clone, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    fn failed(err: AppError, gas_wanted: u64, gas_used: u64, events: Vec<Event>) -> Self {
        TxOutcome {
            code: err.code,
            codespace: err.codespace,
            log: err.message,
            data: Vec::new(),
            gas_wanted,
            gas_used,
            events,
        }
    }
}

/// Composes modules. Order matters: genesis, begin-block and end-block hooks run in the order
/// modules are added.
pub struct AppBuilder {
    config: AppConfig,
    modules: Vec<Arc<dyn Module>>,
    ante: Option<Arc<dyn AnteHandler>>,
}

impl AppBuilder {
    pub fn new(config: AppConfig) -> Self {
        AppBuilder {
            config,
            modules: Vec::new(),
            ante: None,
        }
    }

    pub fn module(mut self, module: impl Module) -> Self {
        self.modules.push(Arc::new(module));
        self
    }

    pub fn ante(mut self, ante: impl AnteHandler) -> Self {
        self.ante = Some(Arc::new(ante));
        self
    }

    /// Checks the composition: unique names and prefixes (no prefix of another), every type
    /// URL and query service routed once, an ante handler present.
    pub fn build(self) -> Result<App, String> {
        let codec = AddressCodec::new(&self.config.address_prefix);
        codec.validate().map_err(|e| e.message)?;
        let ante = self
            .ante
            .ok_or("an ante handler (the auth module's) is required")?;
        let mut msg_routes = BTreeMap::new();
        let mut query_routes = BTreeMap::new();
        let mut names = BTreeMap::new();
        for (i, m) in self.modules.iter().enumerate() {
            if names.insert(m.name(), i).is_some() {
                return Err(format!("two modules are named {}", m.name()));
            }
            let prefix = m.store_prefix();
            if prefix.is_empty() || prefix.starts_with(APP_PREFIX) || APP_PREFIX.starts_with(prefix)
            {
                return Err(format!("module {} has an unusable store prefix", m.name()));
            }
            for other in &self.modules[..i] {
                let p = other.store_prefix();
                if p.starts_with(prefix) || prefix.starts_with(p) {
                    return Err(format!(
                        "store prefixes of {} and {} overlap",
                        other.name(),
                        m.name()
                    ));
                }
            }
            for url in m.msg_type_urls() {
                if msg_routes.insert(url.to_string(), i).is_some() {
                    return Err(format!("message {url} is routed to two modules"));
                }
            }
            for service in m.query_services() {
                if query_routes.insert(service.to_string(), i).is_some() {
                    return Err(format!("query service {service} is served by two modules"));
                }
            }
        }
        Ok(App {
            config: self.config,
            codec,
            modules: self.modules,
            ante,
            msg_routes,
            query_routes,
        })
    }
}

/// A transaction that passed the stateless checks: decoded, messages routed and valid, and
/// its signers in order.
pub struct CheckedTx {
    pub tx: DecodedTx,
    pub signers: Vec<Vec<u8>>,
    /// The encoded size, which the ante step charges gas for.
    pub size: usize,
}

impl CheckedTx {
    fn context(&self) -> TxContext<'_> {
        TxContext {
            tx: &self.tx,
            size: self.size,
            signers: &self.signers,
        }
    }
}

/// Keys the framework keeps for itself (chain id, consensus limits).
pub const APP_PREFIX: &[u8] = b"app/";
pub(crate) const CHAIN_ID_KEY: &[u8] = b"app/chain_id";
pub(crate) const MAX_BLOCK_GAS_KEY: &[u8] = b"app/max_block_gas";
/// The time of the latest block (genesis time before block 1): seconds (i64) then
/// nanoseconds (u32), big-endian. CheckTx, simulation and queries run at this time, so that
/// time-gated rules (jail release, unbonding, deadlines) judge them as the next block would
/// rather than at the Unix epoch.
pub(crate) const BLOCK_TIME_KEY: &[u8] = b"app/block_time";
/// The chain's first block height (InitChain's `initial_height`), a big-endian u64; absent
/// means 1. Store versions count committed blocks from 1, so block height = version +
/// initial_height − 1: a chain restarted from an export at height H continues at H + 1 and
/// every height kept in its state (deadlines, creation heights, epoch anchors) stays right.
pub(crate) const INITIAL_HEIGHT_KEY: &[u8] = b"app/initial_height";

/// initial_height − 1: what is added to a store version to give its block height.
pub fn height_offset(kv: &impl KvRead) -> u64 {
    kv.get(INITIAL_HEIGHT_KEY)
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, |b| u64::from_be_bytes(b).saturating_sub(1))
}

/// Records `env`'s block time under [`BLOCK_TIME_KEY`].
pub(crate) fn record_block_time(kv: &mut impl KvWrite, env: &Env) {
    let mut bytes = env.time_seconds.to_be_bytes().to_vec();
    bytes.extend_from_slice(&env.time_nanos.to_be_bytes());
    kv.absorb([(BLOCK_TIME_KEY.to_vec(), Some(bytes))].into());
}

/// Sets `env`'s time to the recorded block time (left as it is when none is recorded).
pub(crate) fn recorded_block_time(kv: &impl KvRead, env: &mut Env) {
    let Some(bytes) = kv.get(BLOCK_TIME_KEY) else {
        return;
    };
    if let (Ok(s), Ok(n)) = (
        <[u8; 8]>::try_from(bytes.get(..8).unwrap_or_default()),
        <[u8; 4]>::try_from(bytes.get(8..).unwrap_or_default()),
    ) {
        env.time_seconds = i64::from_be_bytes(s);
        env.time_nanos = u32::from_be_bytes(n);
    }
}

/// The composed application. Shared (`Arc`) by the ABCI driver, the query server and tests.
pub struct App {
    config: AppConfig,
    codec: AddressCodec,
    modules: Vec<Arc<dyn Module>>,
    ante: Arc<dyn AnteHandler>,
    msg_routes: BTreeMap<String, usize>,
    query_routes: BTreeMap<String, usize>,
}

impl App {
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn modules(&self) -> &[Arc<dyn Module>] {
        &self.modules
    }

    pub fn module(&self, name: &str) -> Option<&Arc<dyn Module>> {
        self.modules.iter().find(|m| m.name() == name)
    }

    /// Every query service the modules serve.
    pub fn query_services(&self) -> Vec<String> {
        self.query_routes.keys().cloned().collect()
    }

    /// Answers `/<service>/<method>` against `ws` (a working set over the queried version).
    pub fn query(
        &self,
        ws: &mut WorkingSet,
        env: &Env,
        path: &str,
        request: &[u8],
    ) -> AppResult<Vec<u8>> {
        let service = path
            .strip_prefix('/')
            .and_then(|p| p.rsplit_once('/'))
            .map(|(service, _)| service)
            .ok_or_else(|| {
                AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("query path {path:?} is not /<service>/<method>"),
                )
            })?;
        let module = self
            .query_routes
            .get(service)
            .map(|&i| &self.modules[i])
            .ok_or_else(|| {
                AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown query service {service}"),
                )
            })?;
        let gas = Arc::new(GasMeter::new(self.config.query_gas_limit, self.config.gas));
        let mut branch = ws.branch(gas);
        let mut ctx = Ctx::new(&mut branch, env);
        let out = module.query(&mut ctx, path, request)?;
        ctx.check_gas()?;
        Ok(out)
    }

    /// Writes every module's genesis in order. `app_state` is the genesis file's
    /// `app_state` object; a module without an entry starts from its default genesis.
    /// Returns the validator set genesis creates (empty: CometBFT's genesis validators stay).
    pub fn init_genesis(
        &self,
        ws: &mut WorkingSet,
        env: &Env,
        app_state: &serde_json::Value,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        let empty = serde_json::Map::new();
        let object = match app_state {
            serde_json::Value::Null => &empty,
            serde_json::Value::Object(o) => o,
            _ => {
                return Err(AppError::sdk(
                    sdk::INVALID_REQUEST,
                    "genesis app_state must be a JSON object keyed by module name",
                ))
            }
        };
        for key in object.keys() {
            if self.module(key).is_none() {
                return Err(AppError::sdk(
                    sdk::INVALID_REQUEST,
                    format!("genesis has state for module {key:?}, which this chain does not have"),
                ));
            }
        }
        let mut branch = Branch::new(ws, Arc::new(GasMeter::infinite()));
        branch.set(CHAIN_ID_KEY, env.chain_id.as_bytes());
        for m in &self.modules {
            let default;
            let state = match object.get(m.name()) {
                Some(s) => s,
                None => {
                    default = m.default_genesis();
                    &default
                }
            };
            let mut ctx = Ctx::new(&mut branch, env);
            m.init_genesis(&mut ctx, state)
                .map_err(|e| e.context(format!("genesis of module {}", m.name())))?;
        }
        let mut validators = Vec::new();
        for m in &self.modules {
            let mut ctx = Ctx::new(&mut branch, env);
            validators.extend(
                m.genesis_validators(&mut ctx)
                    .map_err(|e| e.context(format!("genesis validators of {}", m.name())))?,
            );
        }
        branch.commit().map_err(AppError::from)?;
        Ok(validators)
    }

    /// Every module's genesis, as the `app_state` of a genesis file.
    pub fn export_genesis(&self, ws: &mut WorkingSet, env: &Env) -> AppResult<serde_json::Value> {
        self.export_genesis_with_progress(ws, env, |_, _, _| {})
    }

    /// [`App::export_genesis`], calling `progress(i, n, module)` before exporting the `i`-th
    /// (from 1) of the `n` modules.
    pub fn export_genesis_with_progress(
        &self,
        ws: &mut WorkingSet,
        env: &Env,
        mut progress: impl FnMut(usize, usize, &str),
    ) -> AppResult<serde_json::Value> {
        let mut branch = Branch::new(ws, Arc::new(GasMeter::infinite()));
        let mut out = serde_json::Map::new();
        let n = self.modules.len();
        for (i, m) in self.modules.iter().enumerate() {
            progress(i + 1, n, m.name());
            let mut ctx = Ctx::new(&mut branch, env);
            out.insert(m.name().to_string(), m.export_genesis(&mut ctx)?);
        }
        Ok(serde_json::Value::Object(out))
    }

    pub fn begin_block(&self, ws: &mut WorkingSet, env: &Env) -> AppResult<Vec<Event>> {
        let mut branch = Branch::new(ws, Arc::new(GasMeter::infinite()));
        let mut ctx = Ctx::new(&mut branch, env).with_router(self);
        for m in &self.modules {
            // A halt's reason is printed as the module wrote it (operators' tools match it).
            m.begin_block(&mut ctx).map_err(|e| {
                if e.is_halt() {
                    e
                } else {
                    e.context(format!("begin block of {}", m.name()))
                }
            })?;
        }
        let events = ctx.take_events();
        branch.commit().map_err(AppError::from)?;
        Ok(events)
    }

    pub fn end_block(
        &self,
        ws: &mut WorkingSet,
        env: &Env,
    ) -> AppResult<(Vec<Event>, Vec<ValidatorUpdate>)> {
        let mut branch = Branch::new(ws, Arc::new(GasMeter::infinite()));
        let mut ctx = Ctx::new(&mut branch, env).with_router(self);
        let mut updates = Vec::new();
        for m in &self.modules {
            updates.extend(
                m.end_block(&mut ctx)
                    .map_err(|e| e.context(format!("end block of {}", m.name())))?,
            );
        }
        let events = ctx.take_events();
        branch.commit().map_err(AppError::from)?;
        Ok((events, updates))
    }

    /// Every module's invariants over `ws`; the broken ones, by module.
    pub fn check_invariants(&self, ws: &mut WorkingSet, env: &Env) -> Vec<String> {
        let mut branch = Branch::new(ws, Arc::new(GasMeter::infinite()));
        let mut broken = Vec::new();
        for m in &self.modules {
            let mut ctx = Ctx::new(&mut branch, env);
            if let Err(e) = m.check_invariants(&mut ctx) {
                broken.push(format!("{}: {e}", m.name()));
            }
        }
        broken
    }

    /// Decodes a transaction and runs its stateless checks: size, messages routed and valid,
    /// signers. Returns the decoded form and the signers.
    pub fn check_stateless(&self, bytes: &[u8]) -> AppResult<(DecodedTx, Vec<Vec<u8>>)> {
        if bytes.len() > self.config.max_tx_bytes {
            return Err(AppError::sdk(
                sdk::TX_TOO_LARGE,
                format!(
                    "tx is {} bytes; the limit is {}",
                    bytes.len(),
                    self.config.max_tx_bytes
                ),
            ));
        }
        let tx = decode(bytes)?;
        let msgs = &tx.body.messages;
        if msgs.is_empty() {
            return Err(AppError::sdk(sdk::INVALID_REQUEST, "tx has no messages"));
        }
        if msgs.len() > self.config.max_msgs {
            return Err(AppError::sdk(
                sdk::INVALID_REQUEST,
                format!(
                    "tx has {} messages; the limit is {}",
                    msgs.len(),
                    self.config.max_msgs
                ),
            ));
        }
        if !tx.body.extension_options.is_empty() {
            return Err(AppError::sdk(
                sdk::UNKNOWN_EXTENSION_OPTIONS,
                "tx has extension options; this chain accepts none",
            ));
        }
        let mut signers: Vec<Vec<u8>> = Vec::new();
        for msg in msgs {
            let module = self.route(msg)?;
            for s in module.validate_msg(msg)? {
                if !signers.contains(&s) {
                    signers.push(s);
                }
            }
        }
        if signers.len() != tx.auth_info.signer_infos.len() {
            return Err(AppError::sdk(
                sdk::UNAUTHORIZED,
                format!(
                    "the messages need {} signer(s); the tx carries {} signer info(s)",
                    signers.len(),
                    tx.auth_info.signer_infos.len()
                ),
            ));
        }
        Ok((tx, signers))
    }

    fn route(&self, msg: &Any) -> AppResult<&Arc<dyn Module>> {
        self.msg_routes
            .get(&msg.type_url)
            .map(|&i| &self.modules[i])
            .ok_or_else(|| {
                AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!(
                        "unknown message type {:?}: this chain has no module that handles it",
                        msg.type_url
                    ),
                )
            })
    }

    /// Decodes `bytes` and runs the stateless checks once, for callers that need the result
    /// twice (FinalizeBlock: signatures collected for parallel verification, then execution).
    pub fn check(&self, bytes: &[u8]) -> AppResult<CheckedTx> {
        let (tx, signers) = self.check_stateless(bytes)?;
        Ok(CheckedTx {
            tx,
            signers,
            size: bytes.len(),
        })
    }

    /// The signature checks of `checked` as far as `ws` tells (for parallel pre-verification).
    pub fn signature_checks(
        &self,
        ws: &mut WorkingSet,
        env: &Env,
        checked: &CheckedTx,
    ) -> Vec<SigCheck> {
        let mut branch = ws.branch(Arc::new(GasMeter::infinite()));
        let mut ctx = Ctx::new(&mut branch, env);
        self.ante.signature_checks(&mut ctx, &checked.context())
    }

    /// Runs one transaction on `state`. The ante step's writes are kept when it succeeds;
    /// the messages' writes only if all of them succeed within the gas limit. In CheckTx
    /// modes the messages are not executed (as in the Cosmos SDK).
    pub fn run_tx(&self, state: &mut dyn KvWrite, env: &Env, bytes: &[u8]) -> TxOutcome {
        match self.check(bytes) {
            Ok(checked) => self.run_checked(state, env, &checked),
            Err(e) => TxOutcome::failed(e, 0, 0, Vec::new()),
        }
    }

    /// [`App::run_tx`] for a transaction that already passed [`App::check`].
    pub fn run_checked(
        &self,
        state: &mut dyn KvWrite,
        env: &Env,
        checked: &CheckedTx,
    ) -> TxOutcome {
        let (tx, signers) = (&checked.tx, &checked.signers);
        let gas_wanted = tx.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
        let limit = if env.mode == ExecMode::Simulate {
            self.config.simulate_gas_limit
        } else {
            gas_wanted
        };
        if limit == 0 {
            let e = AppError::sdk(
                sdk::INVALID_GAS_LIMIT,
                "gas limit is 0: set the fee's gas limit (simulate the tx for an estimate)",
            );
            return TxOutcome::failed(e, gas_wanted, 0, Vec::new());
        }
        if tx.body.timeout_height != 0 && env.height > tx.body.timeout_height {
            let e = AppError::sdk(
                sdk::TX_TIMEOUT_HEIGHT,
                format!(
                    "tx timed out at height {}; the block is at {}",
                    tx.body.timeout_height, env.height
                ),
            );
            return TxOutcome::failed(e, gas_wanted, 0, Vec::new());
        }
        let gas = Arc::new(GasMeter::new(limit, self.config.gas));
        let txc = checked.context();

        // Ante: its writes stay even if the messages fail.
        let ante_events = {
            let mut branch = Branch::new(state, gas.clone());
            let mut ctx = Ctx::new(&mut branch, env);
            let result = self.ante.ante(&mut ctx, &txc).and_then(|_| ctx.check_gas());
            let events = ctx.take_events();
            if let Err(e) = result.and_then(|_| branch.commit().map_err(AppError::from)) {
                return TxOutcome::failed(e, gas_wanted, gas.consumed(), Vec::new());
            }
            events
        };
        if env.mode.is_check() {
            return TxOutcome {
                gas_wanted,
                gas_used: gas.consumed(),
                events: ante_events,
                ..TxOutcome::default()
            };
        }

        let sender = self.codec.encode(&signers[0]);
        let mut branch = Branch::new(state, gas.clone());
        let mut ctx = Ctx::new(&mut branch, env).with_router(self);
        let mut responses = Vec::with_capacity(tx.body.messages.len());
        let mut result = Ok(());
        for (i, msg) in tx.body.messages.iter().enumerate() {
            let module = match self.route(msg) {
                Ok(m) => m,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            ctx.emit(
                Event::new("message")
                    .attr("action", msg.type_url.clone())
                    .attr("sender", sender.clone())
                    .attr("module", module.name())
                    .attr("msg_index", i.to_string()),
            );
            match module
                .handle_msg(&mut ctx, msg)
                .and_then(|r| ctx.check_gas().map(|_| r))
            {
                Ok(response) => responses.push(Any {
                    type_url: format!("{}Response", msg.type_url),
                    value: response,
                }),
                Err(e) => {
                    result = Err(e.context(format!("message {i}")));
                    break;
                }
            }
        }
        let msg_events = ctx.take_events();
        let result = result.and_then(|_| branch.commit().map_err(AppError::from));
        if let Err(e) = result {
            return TxOutcome::failed(e, gas_wanted, gas.consumed(), ante_events);
        }
        let mut events = ante_events;
        events.extend(msg_events);
        #[allow(deprecated)]
        let data = TxMsgData {
            data: Vec::new(),
            msg_responses: responses,
        }
        .encode_to_vec();
        TxOutcome {
            code: 0,
            codespace: String::new(),
            log: String::new(),
            data,
            gas_wanted,
            gas_used: gas.consumed(),
            events,
        }
    }
}

/// Governance (and any module acting for an authority) runs messages through the same routes
/// as transactions.
impl MsgRouter for App {
    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        self.route(msg)?.validate_msg(msg)
    }

    fn dispatch(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        let module = self.route(msg)?;
        module.validate_msg(msg)?;
        module.handle_msg(ctx, msg)
    }
}
