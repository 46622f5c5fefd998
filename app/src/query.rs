//! Read-only access to committed state: module queries at any retained height, raw keys with
//! ICS23 proofs, and transaction simulation. Served to ABCI Query and gRPC alike, from any
//! thread, without going through the block driver.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use prost::Message;
use tendermint_proto::v0_38::abci;
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

use crate::app::{height_offset, recorded_block_time, App, CHAIN_ID_KEY};
use crate::context::{Env, ExecMode};
use crate::error::{sdk, AppError, AppResult};
use crate::node::SharedStore;
use crate::store::{KvRead, Store, WorkingSet};

pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";
/// The software serving the chain (depin.app.v1.Query/Version).
pub const VERSION_PATH: &str = "/depin.app.v1.Query/Version";

/// The proof-op type of our raw-key proofs: an ICS23 `CommitmentProof` against the JMT root.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

#[derive(Clone)]
pub struct QueryService {
    app: Arc<App>,
    store: SharedStore,
    chain_id: Arc<RwLock<String>>,
    /// initial_height − 1 (see [`crate::app::height_offset`]); fixed by genesis.
    offset: Arc<AtomicU64>,
}

impl QueryService {
    pub fn new(app: Arc<App>, store: SharedStore) -> Self {
        let q = QueryService {
            app,
            store,
            chain_id: Arc::new(RwLock::new(String::new())),
            offset: Arc::new(AtomicU64::new(0)),
        };
        q.reload_chain_id();
        q
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

    pub fn chain_id(&self) -> String {
        self.chain_id.read().map(|c| c.clone()).unwrap_or_default()
    }

    pub(crate) fn set_chain_id(&self, id: &str) {
        if let Ok(mut c) = self.chain_id.write() {
            *c = id.to_string();
        }
    }

    /// What is added to a store version to give its block height: initial_height − 1.
    pub fn height_offset(&self) -> u64 {
        self.offset.load(Ordering::Relaxed)
    }

    pub(crate) fn set_height_offset(&self, offset: u64) {
        self.offset.store(offset, Ordering::Relaxed);
    }

    /// The block height of store version `version` (0 stays 0: nothing committed).
    pub fn height_of(&self, version: u64) -> u64 {
        if version == 0 {
            0
        } else {
            version.saturating_add(self.height_offset())
        }
    }

    /// Reads the chain id and initial height genesis wrote (unset before InitChain's block is
    /// committed).
    pub(crate) fn reload_chain_id(&self) {
        if let Ok(view) = self.store().latest_view() {
            if let Some(id) = view.get(CHAIN_ID_KEY) {
                self.set_chain_id(&String::from_utf8_lossy(&id));
            }
            self.set_height_offset(height_offset(&view));
        }
    }

    /// The store version and block height a query at `height` reads (0: the latest).
    fn version(&self, store: &Store, height: i64) -> AppResult<(u64, u64)> {
        let latest = store.version();
        let latest_height = self.height_of(latest);
        let offset = self.height_offset();
        match height {
            0 => Ok((latest, latest_height)),
            h if h < 0 => Err(AppError::sdk(sdk::INVALID_REQUEST, "negative height")),
            h if h as u64 > latest_height => Err(AppError::sdk(
                sdk::INVALID_REQUEST,
                format!("height {h} is not committed yet; the latest is {latest_height}"),
            )),
            h if h as u64 <= offset => Err(AppError::sdk(
                sdk::INVALID_REQUEST,
                format!(
                    "height {h} precedes this chain, which starts at height {}",
                    offset + 1
                ),
            )),
            h => Ok((h as u64 - offset, h as u64)),
        }
    }

    /// Runs the query `path` (`/<service>/<method>`) at `height`; returns the answer and the
    /// height it was read at.
    pub fn query(&self, path: &str, data: &[u8], height: i64) -> AppResult<(Vec<u8>, u64)> {
        let store = self.store();
        let (version, height) = self.version(&store, height)?;
        if path == SIMULATE_PATH {
            return self.simulate(data).map(|r| (r, height));
        }
        if path == VERSION_PATH {
            let v = depin_proto::depin::app::v1::VersionResponse {
                name: "depin-sdk".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                app_version: crate::node::APP_VERSION,
            };
            return Ok((v.encode_to_vec(), height));
        }
        let view = store.view(version).map_err(AppError::from)?;
        let mut ws = WorkingSet::new(view);
        let mut env = Env::new(&self.chain_id(), height, ExecMode::Query);
        recorded_block_time(&ws, &mut env);
        let out = self.app.query(&mut ws, &env, path, data)?;
        Ok((out, height))
    }

    /// Runs a transaction against the latest state without signatures and returns the gas it
    /// used and its result; nothing is written.
    pub fn simulate(&self, request: &[u8]) -> AppResult<Vec<u8>> {
        let req = SimulateRequest::decode(request)
            .map_err(|e| AppError::sdk(sdk::TX_DECODE, format!("not a SimulateRequest: {e}")))?;
        if req.tx_bytes.is_empty() {
            return Err(AppError::sdk(
                sdk::INVALID_REQUEST,
                "SimulateRequest.tx_bytes is empty (the deprecated `tx` field is not supported)",
            ));
        }
        let store = self.store();
        let view = store.latest_view().map_err(AppError::from)?;
        let mut ws = WorkingSet::new(view);
        let next = self.height_of(store.version()).max(self.height_offset()) + 1;
        let mut env = Env::new(&self.chain_id(), next, ExecMode::Simulate);
        recorded_block_time(&ws, &mut env);
        let out = self.app.run_tx(&mut ws, &env, &req.tx_bytes);
        if !out.is_ok() {
            return Err(AppError::new(&out.codespace, out.code, out.log));
        }
        let msg_data =
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(out.data.as_slice())
                .unwrap_or_default();
        #[allow(deprecated)]
        let resp = SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: out.gas_wanted,
                gas_used: out.gas_used,
            }),
            result: Some(AbciResult {
                data: Vec::new(),
                log: String::new(),
                events: out
                    .events
                    .iter()
                    .map(|e| {
                        let a = e.to_abci();
                        cosmrs::tendermint::abci::Event::try_from(a).map(Into::into)
                    })
                    .filter_map(Result::ok)
                    .collect(),
                msg_responses: msg_data.msg_responses,
            }),
        };
        Ok(resp.encode_to_vec())
    }

    /// ABCI Query: `/<service>/<method>` (protobuf in and out) or `store/<module>/key` (a raw
    /// key under the module's prefix, with an ICS23 proof when `prove` is set).
    pub fn abci_query(&self, req: abci::RequestQuery) -> abci::ResponseQuery {
        // The Cosmos SDK accepts the raw store path with and without a leading slash.
        let result = if let Some(module) = req
            .path
            .strip_prefix("/store/")
            .or_else(|| req.path.strip_prefix("store/"))
            .and_then(|p| p.strip_suffix("/key"))
        {
            self.raw_query(module, &req.data, req.height, req.prove)
        } else if req.path.starts_with('/') {
            self.query(&req.path, &req.data, req.height)
                .map(|(value, h)| (Vec::new(), value, h, None))
        } else {
            Err(AppError::sdk(
                sdk::UNKNOWN_REQUEST,
                format!(
                    "unknown query path {:?}: use /<service>/<method> or store/<module>/key",
                    req.path
                ),
            ))
        };
        match result {
            Ok((key, value, height, proof)) => abci::ResponseQuery {
                code: 0,
                key: key.into(),
                value: value.into(),
                height: height as i64,
                proof_ops: proof,
                ..Default::default()
            },
            Err(e) => abci::ResponseQuery {
                code: e.code,
                codespace: e.codespace,
                log: e.message,
                height: req.height,
                ..Default::default()
            },
        }
    }

    #[allow(clippy::type_complexity)]
    fn raw_query(
        &self,
        module: &str,
        key: &[u8],
        height: i64,
        prove: bool,
    ) -> AppResult<(Vec<u8>, Vec<u8>, u64, Option<ProofOps>)> {
        let m = self.app.module(module).ok_or_else(|| {
            AppError::sdk(sdk::UNKNOWN_REQUEST, format!("no module named {module:?}"))
        })?;
        if key.is_empty() {
            return Err(AppError::sdk(sdk::INVALID_REQUEST, "empty key"));
        }
        let mut full = m.store_prefix().to_vec();
        full.extend_from_slice(key);
        let store = self.store();
        let (version, height) = self.version(&store, height)?;
        if !prove {
            let view = store.view(version).map_err(AppError::from)?;
            let value = view.get(&full).unwrap_or_default();
            return Ok((key.to_vec(), value, height, None));
        }
        let (value, proof) = store
            .get_with_proof(&full, version)
            .map_err(AppError::from)?;
        let ops = ProofOps {
            ops: vec![ProofOp {
                r#type: PROOF_OP_TYPE.into(),
                key: full.clone(),
                data: proof.encode_to_vec(),
            }],
        };
        Ok((key.to_vec(), value.unwrap_or_default(), height, Some(ops)))
    }
}

/// Where a page starts in a cw-storage-plus range: the `next_key` of the previous page, as
/// raw key bytes (inclusive).
pub fn page_start<'a, K: cw_storage_plus::PrimaryKey<'a>>(
    page: Option<&PageRequest>,
) -> Option<cw_storage_plus::Bound<'a, K>> {
    page.filter(|p| !p.key.is_empty())
        .map(|p| cw_storage_plus::Bound::InclusiveRaw(p.key.clone()))
}

/// The page size when a request gives no limit (the Cosmos SDK's `DefaultLimit`).
pub const DEFAULT_PAGE_LIMIT: u64 = 100;

/// Pages through `items` as the Cosmos SDK does: `items` are in key order with their raw store
/// keys and already start at `page.key` when one is given; `offset` items are skipped, then
/// `limit` are returned with the next page's key. Without a limit (no pagination, or
/// `limit` 0) the page holds up to [`DEFAULT_PAGE_LIMIT`] items and the total is counted, as
/// when `count_total` is set. As in the Cosmos SDK, a page that starts at a `key` never
/// counts the total (`count_total` is for offset paging): it would only count from there.
pub fn paginate<T>(
    items: impl Iterator<Item = AppResult<(Vec<u8>, T)>>,
    page: Option<&PageRequest>,
) -> AppResult<(Vec<T>, PageResponse)> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    if !page.key.is_empty() && page.offset > 0 {
        return Err(AppError::sdk(
            sdk::INVALID_REQUEST,
            "pagination: set either key or offset, not both",
        ));
    }
    let (limit, count_total) = match page.limit {
        0 => (DEFAULT_PAGE_LIMIT, true),
        n => (n, page.count_total),
    };
    let count_total = count_total && page.key.is_empty();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut next_key = Vec::new();
    let mut total = 0u64;
    for entry in items {
        let (key, item) = entry?;
        total += 1;
        if total <= page.offset {
            continue;
        }
        if out.len() < limit {
            out.push(item);
        } else if next_key.is_empty() {
            next_key = key;
            if !count_total {
                break;
            }
        }
    }
    Ok((
        out,
        PageResponse {
            next_key,
            total: if count_total { total } else { 0 },
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` items keyed by their index (one byte each), as a store range yields them.
    fn items(n: u8) -> impl Iterator<Item = AppResult<(Vec<u8>, u8)>> {
        (0..n).map(|i| Ok((vec![i], i)))
    }

    fn page(limit: u64, count_total: bool) -> PageRequest {
        PageRequest {
            limit,
            count_total,
            ..Default::default()
        }
    }

    #[test]
    fn no_pagination_counts_the_total() {
        let (got, resp) = paginate(items(5), None).unwrap();
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert_eq!(resp.total, 5);
        assert!(resp.next_key.is_empty());

        // Past the default limit: the first 100, the key of the 101st, and all counted.
        let (got, resp) = paginate(items(150), None).unwrap();
        assert_eq!(got.len(), 100);
        assert_eq!((resp.next_key, resp.total), (vec![100], 150));
    }

    #[test]
    fn limit_zero_counts_the_total_without_count_total() {
        let (got, resp) = paginate(items(3), Some(&page(0, false))).unwrap();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(resp.total, 3);

        let (got, resp) = paginate(items(120), Some(&page(0, false))).unwrap();
        assert_eq!(got.len(), 100);
        assert_eq!((resp.next_key, resp.total), (vec![100], 120));
    }

    #[test]
    fn an_explicit_limit_counts_only_when_asked() {
        let (got, resp) = paginate(items(5), Some(&page(2, false))).unwrap();
        assert_eq!(got, [0, 1]);
        assert_eq!((resp.next_key, resp.total), (vec![2], 0));

        let (got, resp) = paginate(items(5), Some(&page(2, true))).unwrap();
        assert_eq!(got, [0, 1]);
        assert_eq!((resp.next_key, resp.total), (vec![2], 5));

        // The last page has no next key.
        let (got, resp) = paginate(items(2), Some(&page(2, false))).unwrap();
        assert_eq!(got, [0, 1]);
        assert_eq!((resp.next_key, resp.total), (vec![], 0));
    }

    #[test]
    fn offsets_skip_items_and_still_count_them() {
        let req = PageRequest {
            offset: 2,
            limit: 2,
            count_total: true,
            ..Default::default()
        };
        let (got, resp) = paginate(items(5), Some(&req)).unwrap();
        assert_eq!(got, [2, 3]);
        assert_eq!((resp.next_key, resp.total), (vec![4], 5));

        let req = PageRequest {
            offset: 4,
            ..Default::default()
        };
        let (got, resp) = paginate(items(5), Some(&req)).unwrap();
        assert_eq!(got, [4]);
        assert_eq!((resp.next_key, resp.total), (vec![], 5));

        // An offset past the end: nothing, but the total.
        let req = PageRequest {
            offset: 9,
            limit: 3,
            count_total: true,
            ..Default::default()
        };
        let (got, resp) = paginate(items(5), Some(&req)).unwrap();
        assert!(got.is_empty());
        assert_eq!((resp.next_key, resp.total), (vec![], 5));
    }

    #[test]
    fn a_key_page_continues_without_a_total() {
        // The caller's range starts at the key: items 3.. here.
        let req = PageRequest {
            key: vec![3],
            limit: 0,
            count_total: true,
            ..Default::default()
        };
        let (got, resp) = paginate(items(6).skip(3), Some(&req)).unwrap();
        assert_eq!(got, [3, 4, 5]);
        assert_eq!((resp.next_key, resp.total), (vec![], 0));

        let req = PageRequest {
            key: vec![1],
            limit: 2,
            count_total: true,
            ..Default::default()
        };
        let (got, resp) = paginate(items(6).skip(1), Some(&req)).unwrap();
        assert_eq!(got, [1, 2]);
        assert_eq!((resp.next_key, resp.total), (vec![3], 0));

        let req = PageRequest {
            key: vec![1],
            offset: 1,
            ..Default::default()
        };
        assert!(paginate(items(6), Some(&req)).is_err());
    }
}
