//! The gRPC server. One generic service answers every `/<service>/<method>` the modules serve,
//! with the same handler as ABCI Query (protobuf bytes in and out, so any client generated
//! from the Cosmos SDK's protos works). `cosmos.tx.v1beta1.Service` simulates locally and
//! forwards the rest to CometBFT's RPC, as does `cosmos.base.tendermint.v1beta1.Service`.
//! Server reflection (v1 and v1alpha, for older grpcurl) describes all of them from
//! `depin_proto::FILE_DESCRIPTOR_SET`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tmsvc;
use cosmrs::proto::cosmos::tx::v1beta1 as txsvc;
use cosmrs::Any;
use prost::Message;
use tendermint_rpc::{Client, HttpClient};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};

use crate::error::{sdk, AppError};
use crate::query::{QueryService, SIMULATE_PATH};

/// The header a client sets to query at a past height, as in the Cosmos SDK.
pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Passes protobuf bytes through untouched: the handlers decode and encode themselves.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

struct RawCoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCoder;
    type Decoder = RawCoder;
    fn encoder(&mut self) -> RawCoder {
        RawCoder
    }
    fn decoder(&mut self) -> RawCoder {
        RawCoder
    }
}

impl Encoder for RawCoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// An application error as a gRPC status: the code class by meaning, the message with the
/// (codespace, code) so clients can still match the exact error.
pub fn status(e: AppError) -> Status {
    let code = match (e.codespace.as_str(), e.code) {
        ("sdk", sdk::KEY_NOT_FOUND | sdk::NOT_FOUND) => Code::NotFound,
        (
            "sdk",
            sdk::INVALID_REQUEST | sdk::INVALID_ADDRESS | sdk::INVALID_COINS | sdk::TX_DECODE,
        ) => Code::InvalidArgument,
        ("sdk", sdk::UNKNOWN_REQUEST) => Code::Unimplemented,
        ("sdk", sdk::UNAUTHORIZED) => Code::PermissionDenied,
        _ => Code::Unknown,
    };
    Status::new(code, e.to_string())
}

/// What the gateway serves from.
pub struct Gateway {
    queries: QueryService,
    /// CometBFT RPC, for broadcasting and reading blocks and transactions.
    rpc: Option<HttpClient>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Gateway {
    pub fn new(queries: QueryService, cometbft_rpc: Option<&str>) -> Result<Self, String> {
        let rpc = match cometbft_rpc {
            Some(url) => {
                Some(HttpClient::new(url).map_err(|e| format!("CometBFT RPC address {url}: {e}"))?)
            }
            None => None,
        };
        Ok(Gateway { queries, rpc })
    }

    // tonic's handlers return `Status` by value; boxing it here would only be unboxed again.
    #[allow(clippy::result_large_err)]
    fn rpc(&self) -> Result<&HttpClient, Status> {
        self.rpc
            .as_ref()
            .ok_or_else(|| Status::unavailable("this node has no CometBFT RPC address configured"))
    }

    /// Answers one call.
    pub async fn call(&self, path: &str, height: i64, body: Vec<u8>) -> Result<Vec<u8>, Status> {
        match path {
            SIMULATE_PATH => self.queries.simulate(&body).map_err(status),
            "/cosmos.tx.v1beta1.Service/BroadcastTx" => self.broadcast(body).await,
            "/cosmos.tx.v1beta1.Service/GetTx" => self.get_tx(body).await,
            "/cosmos.tx.v1beta1.Service/GetTxsEvent" => self.get_txs_event(body).await,
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => self.node_info().await,
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing" => {
                let s = self.rpc()?.status().await.map_err(rpc_err)?;
                Ok(tmsvc::GetSyncingResponse {
                    syncing: s.sync_info.catching_up,
                }
                .encode_to_vec())
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock" => {
                let b = self.rpc()?.latest_block().await.map_err(rpc_err)?;
                Ok(tmsvc::GetLatestBlockResponse {
                    block_id: Some(b.block_id.into()),
                    block: Some(b.block.into()),
                    sdk_block: None,
                }
                .encode_to_vec())
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight" => {
                let req = tmsvc::GetBlockByHeightRequest::decode(body.as_slice())
                    .map_err(|e| Status::invalid_argument(e.to_string()))?;
                let h = tendermint::block::Height::try_from(req.height)
                    .map_err(|e| Status::invalid_argument(e.to_string()))?;
                let b = self.rpc()?.block(h).await.map_err(rpc_err)?;
                Ok(tmsvc::GetBlockByHeightResponse {
                    block_id: Some(b.block_id.into()),
                    block: Some(b.block.into()),
                    sdk_block: None,
                }
                .encode_to_vec())
            }
            _ => self
                .queries
                .query(path, &body, height)
                .map(|(v, _)| v)
                .map_err(status),
        }
    }

    async fn broadcast(&self, body: Vec<u8>) -> Result<Vec<u8>, Status> {
        let req = txsvc::BroadcastTxRequest::decode(body.as_slice())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let rpc = self.rpc()?;
        let mode = txsvc::BroadcastMode::try_from(req.mode).unwrap_or(txsvc::BroadcastMode::Sync);
        let (code, codespace, log, data, hash) = match mode {
            txsvc::BroadcastMode::Async => {
                let r = rpc
                    .broadcast_tx_async(req.tx_bytes)
                    .await
                    .map_err(rpc_err)?;
                (r.code, r.codespace, r.log, r.data, r.hash)
            }
            txsvc::BroadcastMode::Sync => {
                let r = rpc.broadcast_tx_sync(req.tx_bytes).await.map_err(rpc_err)?;
                (r.code, r.codespace, r.log, r.data, r.hash)
            }
            _ => {
                return Err(Status::invalid_argument(
                    "broadcast mode must be BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC",
                ))
            }
        };
        Ok(txsvc::BroadcastTxResponse {
            tx_response: Some(TxResponse {
                txhash: hash.to_string(),
                code: code.value(),
                codespace,
                raw_log: log,
                data: hex::encode_upper(&data),
                ..Default::default()
            }),
        }
        .encode_to_vec())
    }

    async fn get_tx(&self, body: Vec<u8>) -> Result<Vec<u8>, Status> {
        let req = txsvc::GetTxRequest::decode(body.as_slice())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let hash = tendermint::Hash::from_str(&req.hash.to_uppercase())
            .map_err(|e| Status::invalid_argument(format!("tx hash {:?}: {e}", req.hash)))?;
        let r = self.rpc()?.tx(hash, false).await.map_err(rpc_err)?;
        let (tx, resp) = tx_response(r);
        Ok(txsvc::GetTxResponse {
            tx: Some(tx),
            tx_response: Some(resp),
        }
        .encode_to_vec())
    }

    async fn get_txs_event(&self, body: Vec<u8>) -> Result<Vec<u8>, Status> {
        #[allow(deprecated)]
        let req = txsvc::GetTxsEventRequest::decode(body.as_slice())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        #[allow(deprecated)]
        let query = if req.query.is_empty() {
            req.events.join(" AND ")
        } else {
            req.query.clone()
        };
        let query = tendermint_rpc::query::Query::from_str(&query)
            .map_err(|e| Status::invalid_argument(format!("query {query:?}: {e}")))?;
        let page = u32::try_from(req.page.max(1)).unwrap_or(1);
        let limit = u8::try_from(req.limit.clamp(1, 100)).unwrap_or(100);
        let order = if req.order_by == txsvc::OrderBy::Desc as i32 {
            tendermint_rpc::Order::Descending
        } else {
            tendermint_rpc::Order::Ascending
        };
        let r = self
            .rpc()?
            .tx_search(query, false, page, limit, order)
            .await
            .map_err(rpc_err)?;
        let mut txs = Vec::new();
        let mut tx_responses = Vec::new();
        for t in r.txs {
            let (tx, resp) = tx_response(t);
            txs.push(tx);
            tx_responses.push(resp);
        }
        #[allow(deprecated)]
        Ok(txsvc::GetTxsEventResponse {
            txs,
            tx_responses,
            pagination: Some(PageResponse {
                next_key: Vec::new(),
                total: u64::from(r.total_count),
            }),
            total: u64::from(r.total_count),
        }
        .encode_to_vec())
    }

    async fn node_info(&self) -> Result<Vec<u8>, Status> {
        let s = self.rpc()?.status().await.map_err(rpc_err)?;
        let n = s.node_info;
        Ok(tmsvc::GetNodeInfoResponse {
            default_node_info: Some(cosmrs::proto::tendermint::p2p::DefaultNodeInfo {
                protocol_version: Some(cosmrs::proto::tendermint::p2p::ProtocolVersion {
                    p2p: n.protocol_version.p2p,
                    block: n.protocol_version.block,
                    app: n.protocol_version.app,
                }),
                default_node_id: n.id.to_string(),
                listen_addr: n.listen_addr.to_string(),
                network: n.network.to_string(),
                version: n.version.to_string(),
                // CometBFT's RPC shows the channel ids as hex; the protobuf field is the bytes.
                channels: hex::decode(n.channels.to_string()).unwrap_or_default(),
                moniker: n.moniker.to_string(),
                other: Some(cosmrs::proto::tendermint::p2p::DefaultNodeInfoOther {
                    tx_index: format!("{:?}", n.other.tx_index).to_lowercase(),
                    rpc_address: n.other.rpc_address.clone(),
                }),
            }),
            application_version: Some(tmsvc::VersionInfo {
                name: "depin-sdk".into(),
                app_name: "depind".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                ..Default::default()
            }),
        }
        .encode_to_vec())
    }

    /// Serves gRPC on `addr` until `shutdown` resolves.
    pub async fn serve(
        self,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), String> {
        Arc::new(self).serve_shared(addr, shutdown).await
    }

    /// [`Gateway::serve`] for a gateway the REST server (`crate::rest`) also answers from.
    pub async fn serve_shared(
        self: Arc<Self>,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), String> {
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(depin_proto::FILE_DESCRIPTOR_SET)
        };
        let reflection_v1 = reflection()
            .build_v1()
            .map_err(|e| format!("gRPC reflection: {e}"))?;
        let reflection_v1alpha = reflection()
            .build_v1alpha()
            .map_err(|e| format!("gRPC reflection: {e}"))?;
        let service = GatewayService(self);
        let router = axum::Router::new().fallback_service(service);
        // Named services take precedence over the fallback, which answers every other path.
        let routes = tonic::service::Routes::from(router)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
        tonic::transport::Server::builder()
            .add_routes(routes)
            .serve_with_shutdown(addr, shutdown)
            .await
            .map_err(|e| format!("gRPC server on {addr}: {e}"))
    }
}

/// A CometBFT RPC failure as a status: a lookup that found nothing is NOT_FOUND (as the Cosmos
/// SDK answers an unknown tx hash); anything else means the node is not reachable. The
/// message is the error's detail only (its Display may carry a backtrace).
fn rpc_err(e: tendermint_rpc::Error) -> Status {
    let detail = match e.detail() {
        // CometBFT's own answer ("tx (…) not found"), not just "response error".
        tendermint_rpc::error::ErrorDetail::Response(r) => r.source.to_string(),
        other => other.to_string(),
    };
    if detail.contains("not found") {
        Status::not_found(format!("CometBFT RPC: {detail}"))
    } else {
        Status::unavailable(format!("CometBFT RPC: {detail}"))
    }
}

/// A CometBFT transaction result in the Cosmos SDK's `TxResponse` form.
fn tx_response(r: tendermint_rpc::endpoint::tx::Response) -> (txsvc::Tx, TxResponse) {
    let tx = txsvc::Tx::decode(r.tx.as_slice()).unwrap_or_default();
    let res = r.tx_result;
    let resp = TxResponse {
        height: r.height.value() as i64,
        txhash: r.hash.to_string(),
        codespace: res.codespace,
        code: res.code.value(),
        data: hex::encode_upper(&res.data),
        raw_log: res.log,
        logs: Vec::new(),
        info: res.info,
        gas_wanted: res.gas_wanted,
        gas_used: res.gas_used,
        tx: Some(Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: r.tx,
        }),
        timestamp: String::new(),
        events: res.events.into_iter().map(Into::into).collect(),
    };
    (tx, resp)
}

#[derive(Clone)]
struct GatewayService(Arc<Gateway>);

impl tower_service::Service<http::Request<axum::body::Body>> for GatewayService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<axum::body::Body>) -> Self::Future {
        let gateway = self.0.clone();
        Box::pin(async move {
            let path = req.uri().path().to_string();
            let mut grpc = tonic::server::Grpc::new(RawCodec);
            Ok(grpc.unary(Method { gateway, path }, req).await)
        })
    }
}

struct Method {
    gateway: Arc<Gateway>,
    path: String,
}

impl tonic::server::UnaryService<Vec<u8>> for Method {
    type Response = Vec<u8>;
    type Future = BoxFuture<Result<tonic::Response<Vec<u8>>, Status>>;

    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        let gateway = self.gateway.clone();
        let path = std::mem::take(&mut self.path);
        Box::pin(async move {
            let height = match request.metadata().get(HEIGHT_HEADER) {
                Some(v) => v
                    .to_str()
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| {
                        Status::invalid_argument(format!("{HEIGHT_HEADER} is not a height"))
                    })?,
                None => 0,
            };
            let body = request.into_inner();
            gateway
                .call(&path, height, body)
                .await
                .map(tonic::Response::new)
        })
    }
}
