//! What a handler sees: the branch it writes to, the block it runs in, and the events it emits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cosmwasm_std::{Decimal, Uint128};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci;

use crate::error::{AppError, AppResult};
use crate::store::{Branch, ModuleStore};
use crate::tx::{verify_secp256k1, TxError};

/// Why the state machine is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// CheckTx of a new transaction, against the mempool's state.
    Check,
    /// CheckTx again after a block was committed.
    ReCheck,
    /// A gas estimate: signatures are not checked, everything else is.
    Simulate,
    /// FinalizeBlock: the state that will be committed.
    Finalize,
    /// A read-only query.
    Query,
    /// InitChain and begin/end block hooks.
    Block,
}

impl ExecMode {
    pub fn is_check(self) -> bool {
        matches!(self, ExecMode::Check | ExecMode::ReCheck)
    }
}

/// A minimum gas price of the node: `amount` of `denom` per unit of gas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasPrice {
    pub denom: String,
    pub amount: Decimal,
}

impl GasPrice {
    /// Parses "0.0025udepin,0.1uatom".
    pub fn parse_list(s: &str) -> Result<Vec<GasPrice>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let split = part
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("gas price {part:?} has no denom"))?;
            let (num, denom) = part.split_at(split);
            let amount: Decimal = num
                .parse()
                .map_err(|e| format!("gas price {part:?}: {e}"))?;
            out.push(GasPrice {
                denom: denom.to_string(),
                amount,
            });
        }
        Ok(out)
    }

    /// The fee this price asks for `gas`, rounded up.
    pub fn fee_for(&self, gas: u64) -> Option<Uint128> {
        Uint128::from(gas).checked_mul_ceil(self.amount).ok()
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// The block (or query height) a handler runs in.
#[derive(Debug, Clone)]
pub struct Env {
    pub chain_id: String,
    pub height: u64,
    /// Block time from the header (BFT time), seconds and nanoseconds since the Unix epoch.
    pub time_seconds: i64,
    pub time_nanos: u32,
    pub block_hash: Vec<u8>,
    pub proposer: Vec<u8>,
    pub mode: ExecMode,
    /// The node's minimum gas prices (CheckTx only: they are a node setting, not consensus).
    pub min_gas_prices: Vec<GasPrice>,
    pub sig_cache: Arc<SigCache>,
    /// FinalizeBlock: the validators' votes on the previous block (who signed, with what
    /// power), for liveness tracking and rewards.
    pub last_commit: Vec<abci::VoteInfo>,
    /// FinalizeBlock: evidence of misbehaviour (double signs, light-client attacks) CometBFT
    /// has verified.
    pub misbehavior: Vec<abci::Misbehavior>,
}

impl Env {
    pub fn new(chain_id: &str, height: u64, mode: ExecMode) -> Self {
        Env {
            chain_id: chain_id.to_string(),
            height,
            time_seconds: 0,
            time_nanos: 0,
            block_hash: Vec::new(),
            proposer: Vec::new(),
            mode,
            min_gas_prices: Vec::new(),
            sig_cache: Arc::new(SigCache::default()),
            last_commit: Vec::new(),
            misbehavior: Vec::new(),
        }
    }
}

/// An event in the Cosmos form: a type and string attributes, all indexed so that CometBFT
/// `tx_search` finds transactions by any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(kind: &str) -> Self {
        Event {
            kind: kind.to_string(),
            attributes: Vec::new(),
        }
    }

    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attributes.push((key.to_string(), value.into()));
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn to_abci(&self) -> abci::Event {
        abci::Event {
            r#type: self.kind.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|(k, v)| abci::EventAttribute {
                    key: k.clone(),
                    value: v.clone(),
                    index: true,
                })
                .collect(),
        }
    }
}

/// The context of one handler call: a metered branch, the block, and the events emitted so
/// far. Events of a failed call are dropped with its writes.
pub struct Ctx<'a, 'p> {
    pub store: &'a mut Branch<'p>,
    pub env: &'a Env,
    router: Option<&'a dyn MsgRouter>,
    events: Vec<Event>,
}

/// Runs other modules' messages: what a module that executes messages on behalf of an
/// authority (governance) needs. The application is the router; a [`Ctx`] carries it in
/// block hooks and message handlers.
pub trait MsgRouter: Send + Sync {
    /// The stateless checks of `msg` and its signers' raw addresses, as in a transaction;
    /// an unknown type URL is `sdk` code 6.
    fn validate_msg(&self, msg: &cosmrs::Any) -> AppResult<Vec<Vec<u8>>>;

    /// Validates and executes `msg` on `ctx`; returns the encoded `Msg...Response`. The
    /// caller decides atomicity (run it inside [`Ctx::atomic`] to discard a failure's writes).
    fn dispatch(&self, ctx: &mut Ctx<'_, '_>, msg: &cosmrs::Any) -> AppResult<Vec<u8>>;
}

impl<'a, 'p> Ctx<'a, 'p> {
    pub fn new(store: &'a mut Branch<'p>, env: &'a Env) -> Self {
        Ctx {
            store,
            env,
            router: None,
            events: Vec::new(),
        }
    }

    /// This context with `router` to execute messages through.
    pub fn with_router(mut self, router: &'a dyn MsgRouter) -> Self {
        self.router = Some(router);
        self
    }

    /// The message router, where the application provided one (block hooks and message
    /// handlers; not queries or genesis).
    pub fn router(&self) -> AppResult<&'a dyn MsgRouter> {
        self.router.ok_or_else(|| {
            AppError::sdk(
                crate::error::sdk::INTERNAL,
                "no message router in this context (messages run only in blocks)",
            )
        })
    }

    /// The module's state under `prefix`, as a `cosmwasm_std::Storage` for cw-storage-plus.
    pub fn storage(&mut self, prefix: &[u8]) -> ModuleStore<'_, 'p> {
        ModuleStore::new(self.store, prefix)
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Charges `amount` gas; running out is reported by [`Ctx::check_gas`].
    pub fn consume_gas(&self, amount: u64, descriptor: &'static str) {
        self.store.gas().consume(amount, descriptor);
    }

    /// `Err(OutOfGas)` once the meter is exhausted. Handlers call this before writing the
    /// results of expensive work.
    pub fn check_gas(&self) -> AppResult<()> {
        self.store.check().map_err(AppError::from)
    }

    /// Runs `f` on a nested branch: its writes and events land here only if it succeeds.
    pub fn atomic<T>(&mut self, f: impl FnOnce(&mut Ctx<'_, '_>) -> AppResult<T>) -> AppResult<T> {
        let (env, router) = (self.env, self.router);
        let mut branch = self.store.branch();
        let mut sub = Ctx {
            store: &mut branch,
            env,
            router,
            events: Vec::new(),
        };
        let out = f(&mut sub)?;
        let events = sub.events;
        branch.commit().map_err(AppError::from)?;
        self.events.extend(events);
        Ok(out)
    }
}

/// Remembers which (key, message, signature) triples verified, so a transaction checked in
/// CheckTx (or in FinalizeBlock's parallel pre-pass) is not verified again. The entry is the
/// hash of everything verification depends on, so a hit is exactly as good as a verification.
#[derive(Debug, Default)]
pub struct SigCache {
    verified: Mutex<HashMap<[u8; 32], ()>>,
}

/// Entries kept before the cache starts over (a block's worth of transactions many times over).
const SIG_CACHE_MAX: usize = 200_000;

impl SigCache {
    fn key(pubkey: &[u8; 33], sign_bytes: &[u8], signature: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(pubkey);
        h.update((sign_bytes.len() as u64).to_be_bytes());
        h.update(sign_bytes);
        h.update(signature);
        h.finalize().into()
    }

    /// Verifies a secp256k1 signature, or finds that it was verified before.
    pub fn verify(
        &self,
        pubkey: &[u8; 33],
        sign_bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), TxError> {
        let key = Self::key(pubkey, sign_bytes, signature);
        if self.contains(&key) {
            return Ok(());
        }
        verify_secp256k1(pubkey, sign_bytes, signature)?;
        self.insert(key);
        Ok(())
    }

    fn contains(&self, key: &[u8; 32]) -> bool {
        self.verified
            .lock()
            .map(|m| m.contains_key(key))
            .unwrap_or(false)
    }

    fn insert(&self, key: [u8; 32]) {
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= SIG_CACHE_MAX {
                m.clear();
            }
            m.insert(key, ());
        }
    }

    pub fn len(&self) -> usize {
        self.verified.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
