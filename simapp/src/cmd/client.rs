//! The CLI's connection to a node: ABCI queries and broadcasts through CometBFT RPC.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, ModuleAccount, QueryAccountRequest, QueryAccountResponse,
};
use prost::Message;
use tendermint_rpc::{Client, HttpClient};

use super::rpc_url;

pub struct NodeClient {
    rpc: HttpClient,
    runtime: tokio::runtime::Runtime,
    url: String,
}

/// A query the application refused, with its code.
#[derive(Debug)]
pub struct QueryError {
    pub codespace: String,
    pub code: u32,
    pub log: String,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (codespace {}, code {})",
            self.log, self.codespace, self.code
        )
    }
}

impl std::error::Error for QueryError {}

impl NodeClient {
    pub fn new(node: &str) -> Result<Self> {
        let url = rpc_url(node);
        let rpc =
            HttpClient::new(url.as_str()).with_context(|| format!("node address {node:?}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(NodeClient { rpc, runtime, url })
    }

    fn unreachable(&self, e: tendermint_rpc::Error) -> anyhow::Error {
        anyhow!(
            "cannot reach the node at {}: {e} (is it running? set --node)",
            self.url
        )
    }

    /// Runs an ABCI query (`/<service>/<method>`, protobuf in and out) at `height` (0: latest).
    pub fn query(&self, path: &str, data: Vec<u8>, height: u64) -> Result<Vec<u8>> {
        let h = if height == 0 {
            None
        } else {
            Some(tendermint::block::Height::try_from(height)?)
        };
        let r = self
            .runtime
            .block_on(self.rpc.abci_query(Some(path.to_string()), data, h, false))
            .map_err(|e| self.unreachable(e))?;
        if r.code.is_err() {
            return Err(QueryError {
                codespace: r.codespace,
                code: r.code.value(),
                log: r.log,
            }
            .into());
        }
        Ok(r.value)
    }

    /// The account at `address` (None if the chain has never seen it).
    pub fn account(&self, address: &str) -> Result<Option<BaseAccount>> {
        let req = QueryAccountRequest {
            address: address.to_string(),
        };
        let bytes = match self.query("/cosmos.auth.v1beta1.Query/Account", req.encode_to_vec(), 0) {
            Ok(b) => b,
            Err(e)
                if e.downcast_ref::<QueryError>()
                    .is_some_and(|q| q.log.contains("NotFound")) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let any = QueryAccountResponse::decode(bytes.as_slice())?
            .account
            .ok_or_else(|| anyhow!("the node returned no account"))?;
        Ok(Some(match any.type_url.as_str() {
            "/cosmos.auth.v1beta1.ModuleAccount" => ModuleAccount::decode(any.value.as_slice())?
                .base_account
                .unwrap_or_default(),
            _ => BaseAccount::decode(any.value.as_slice())?,
        }))
    }

    pub fn broadcast_sync(
        &self,
        tx: Vec<u8>,
    ) -> Result<tendermint_rpc::endpoint::broadcast::tx_sync::Response> {
        self.runtime
            .block_on(self.rpc.broadcast_tx_sync(tx))
            .map_err(|e| self.unreachable(e))
    }

    pub fn broadcast_async(
        &self,
        tx: Vec<u8>,
    ) -> Result<tendermint_rpc::endpoint::broadcast::tx_async::Response> {
        self.runtime
            .block_on(self.rpc.broadcast_tx_async(tx))
            .map_err(|e| self.unreachable(e))
    }

    pub fn tx(&self, hash: &str) -> Result<tendermint_rpc::endpoint::tx::Response> {
        let h = tendermint::Hash::from_str(&hash.to_uppercase())
            .map_err(|e| anyhow!("{hash:?} is not a transaction hash: {e}"))?;
        self.runtime
            .block_on(self.rpc.tx(h, false))
            .map_err(|e| anyhow!("transaction {hash} not found: {e}"))
    }

    /// Waits until the transaction `hash` is in a block.
    pub fn wait_tx(
        &self,
        hash: &str,
        timeout: Duration,
    ) -> Result<tendermint_rpc::endpoint::tx::Response> {
        let start = Instant::now();
        loop {
            match self.tx(hash) {
                Ok(r) => return Ok(r),
                Err(e) if start.elapsed() >= timeout => {
                    bail!("transaction {hash} was not committed within {timeout:?}: {e}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    pub fn tx_search(
        &self,
        query: &str,
        page: u32,
        limit: u8,
    ) -> Result<tendermint_rpc::endpoint::tx_search::Response> {
        let q = tendermint_rpc::query::Query::from_str(query)
            .map_err(|e| anyhow!("query {query:?}: {e}"))?;
        self.runtime
            .block_on(
                self.rpc
                    .tx_search(q, false, page, limit, tendermint_rpc::Order::Ascending),
            )
            .map_err(|e| self.unreachable(e))
    }
}

/// A committed transaction's result as the Cosmos CLI prints it.
pub fn tx_json(r: &tendermint_rpc::endpoint::tx::Response) -> serde_json::Value {
    let res = &r.tx_result;
    serde_json::json!({
        "height": r.height.value().to_string(),
        "txhash": r.hash.to_string(),
        "code": res.code.value(),
        "codespace": res.codespace,
        "raw_log": res.log,
        "gas_wanted": res.gas_wanted.to_string(),
        "gas_used": res.gas_used.to_string(),
        "events": res.events.iter().map(|e| serde_json::json!({
            "type": e.kind,
            "attributes": e.attributes.iter().map(|a| serde_json::json!({
                "key": a.key_str().unwrap_or_default(),
                "value": a.value_str().unwrap_or_default(),
                "index": a.index(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
