//! The REST gateway over a node with no modules and no CometBFT: the route table read from
//! the `google.api.http` annotations, a call that reaches the app (depin.app.v1 Version), and
//! the error, 501 and CORS answers. The module routes against a real chain are in
//! tests/tests/e2e_rest.rs.

use std::sync::Arc;

use axum::body::Body;
use depin_app::app::{AppBuilder, AppConfig};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::grpc::Gateway;
use depin_app::module::{AnteHandler, TxContext};
use depin_app::node::{Node, NodeConfig};
use depin_app::rest::RestServer;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The gateway needs an app; these tests call nothing that reaches the ante step.
struct NoAnte;

impl AnteHandler for NoAnte {
    fn ante(&self, _ctx: &mut Ctx<'_, '_>, _tx: &TxContext<'_>) -> AppResult<()> {
        Ok(())
    }
}

fn server(dir: &std::path::Path) -> RestServer {
    let app = AppBuilder::new(AppConfig::default())
        .ante(NoAnte)
        .build()
        .expect("an app without modules");
    let node = Node::open(Arc::new(app), dir, NodeConfig::default()).expect("a node");
    let gateway = Gateway::new(node.queries().clone(), None).expect("a gateway");
    RestServer::new(Arc::new(gateway)).expect("routes from the descriptors")
}

/// (status, headers, JSON body or Null) of one request through the router.
async fn send(server: &RestServer, request: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let resp = server.router().oneshot(request).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
    };
    (status, headers, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[test]
fn every_served_method_has_its_cosmos_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let table: Vec<(String, String, String)> = server
        .routes()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.template.clone(),
                r.grpc_path.clone(),
            )
        })
        .collect();
    let expected = [
        (
            "GET",
            "/cosmos/bank/v1beta1/balances/{address}/by_denom",
            "/cosmos.bank.v1beta1.Query/Balance",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/balances/{address}",
            "/cosmos.bank.v1beta1.Query/AllBalances",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/spendable_balances/{address}",
            "/cosmos.bank.v1beta1.Query/SpendableBalances",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/supply",
            "/cosmos.bank.v1beta1.Query/TotalSupply",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/supply/by_denom",
            "/cosmos.bank.v1beta1.Query/SupplyOf",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/params",
            "/cosmos.bank.v1beta1.Query/Params",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/denoms_metadata/{denom}",
            "/cosmos.bank.v1beta1.Query/DenomMetadata",
        ),
        (
            "GET",
            "/cosmos/bank/v1beta1/denoms_metadata",
            "/cosmos.bank.v1beta1.Query/DenomsMetadata",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/accounts",
            "/cosmos.auth.v1beta1.Query/Accounts",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/accounts/{address}",
            "/cosmos.auth.v1beta1.Query/Account",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/params",
            "/cosmos.auth.v1beta1.Query/Params",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/module_accounts",
            "/cosmos.auth.v1beta1.Query/ModuleAccounts",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/module_accounts/{name}",
            "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/bech32",
            "/cosmos.auth.v1beta1.Query/Bech32Prefix",
        ),
        (
            "GET",
            "/cosmos/auth/v1beta1/account_info/{address}",
            "/cosmos.auth.v1beta1.Query/AccountInfo",
        ),
        (
            "POST",
            "/cosmos/tx/v1beta1/simulate",
            "/cosmos.tx.v1beta1.Service/Simulate",
        ),
        (
            "GET",
            "/cosmos/tx/v1beta1/txs/{hash}",
            "/cosmos.tx.v1beta1.Service/GetTx",
        ),
        (
            "POST",
            "/cosmos/tx/v1beta1/txs",
            "/cosmos.tx.v1beta1.Service/BroadcastTx",
        ),
        (
            "GET",
            "/cosmos/tx/v1beta1/txs",
            "/cosmos.tx.v1beta1.Service/GetTxsEvent",
        ),
        (
            "GET",
            "/cosmos/base/tendermint/v1beta1/node_info",
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
        ),
        (
            "GET",
            "/cosmos/base/tendermint/v1beta1/syncing",
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
        ),
        (
            "GET",
            "/cosmos/base/tendermint/v1beta1/blocks/latest",
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
        ),
        (
            "GET",
            "/cosmos/base/tendermint/v1beta1/blocks/{height}",
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators",
            "/cosmos.staking.v1beta1.Query/Validators",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators/{validator_addr}",
            "/cosmos.staking.v1beta1.Query/Validator",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators/{validator_addr}/delegations",
            "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators/{validator_addr}/unbonding_delegations",
            "/cosmos.staking.v1beta1.Query/ValidatorUnbondingDelegations",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators/{validator_addr}/delegations/{delegator_addr}",
            "/cosmos.staking.v1beta1.Query/Delegation",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/validators/{validator_addr}/delegations/{delegator_addr}/unbonding_delegation",
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/delegations/{delegator_addr}",
            "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/delegators/{delegator_addr}/unbonding_delegations",
            "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/delegators/{delegator_addr}/redelegations",
            "/cosmos.staking.v1beta1.Query/Redelegations",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/delegators/{delegator_addr}/validators",
            "/cosmos.staking.v1beta1.Query/DelegatorValidators",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/delegators/{delegator_addr}/validators/{validator_addr}",
            "/cosmos.staking.v1beta1.Query/DelegatorValidator",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/historical_info/{height}",
            "/cosmos.staking.v1beta1.Query/HistoricalInfo",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/pool",
            "/cosmos.staking.v1beta1.Query/Pool",
        ),
        (
            "GET",
            "/cosmos/staking/v1beta1/params",
            "/cosmos.staking.v1beta1.Query/Params",
        ),
        (
            "GET",
            "/depin/app/v1/version",
            "/depin.app.v1.Query/Version",
        ),
    ];
    for (method, template, grpc) in expected {
        assert!(
            table.contains(&(method.into(), template.into(), grpc.into())),
            "{method} {template} -> {grpc} in {table:#?}"
        );
    }
    // Every method of every served service is routed: nothing was left unannotated.
    let pool = prost_reflect::DescriptorPool::decode(depin_proto::FILE_DESCRIPTOR_SET).unwrap();
    for service in pool.services() {
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            assert!(
                table.iter().any(|(_, _, g)| *g == path),
                "{path} has no REST route"
            );
        }
    }
}

#[tokio::test]
async fn version_answers_in_gateway_json_with_cors() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let (status, headers, body) = send(&server, get("/depin/app/v1/version")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // uint64 as a string, proto field names.
    assert_eq!(
        body,
        json!({"name": "depin-sdk", "version": env!("CARGO_PKG_VERSION"), "app_version": "1"})
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["access-control-allow-origin"], "*");

    // The height of the latest state (0) by header and by query parameter.
    let req = Request::get("/depin/app/v1/version")
        .header("x-cosmos-block-height", "0")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&server, req).await.0, StatusCode::OK);
    assert_eq!(
        send(&server, get("/depin/app/v1/version?height=0")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn errors_carry_the_grpc_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());

    // A height not committed yet: InvalidArgument.
    let (status, _, body) = send(&server, get("/depin/app/v1/version?height=99")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 3);
    assert!(body["message"].as_str().unwrap().contains("99"), "{body}");
    assert_eq!(body["details"], json!([]));

    let req = Request::get("/depin/app/v1/version")
        .header("x-cosmos-block-height", "soon")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&server, req).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(3))
    );

    // No bank module in this app: Unimplemented, with the gateway's message.
    let (status, headers, body) = send(&server, get("/cosmos/bank/v1beta1/params")).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert_eq!(body["code"], 12);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cosmos.bank.v1beta1.Query"),
        "{body}"
    );
    assert_eq!(headers["access-control-allow-origin"], "*");

    // A path variable that is not an int64.
    let (status, _, body) = send(&server, get("/cosmos/base/tendermint/v1beta1/blocks/tall")).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(3))
    );

    // No CometBFT RPC configured: Unavailable.
    let (status, _, body) = send(
        &server,
        get("/cosmos/base/tendermint/v1beta1/blocks/latest"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], 14);

    // Bodies: not JSON, an unknown field, an empty transaction.
    for bad in [
        "{",
        r#"{"tx_bytes":"AQI=","surprise":1}"#,
        r#"{"tx_bytes":""}"#,
    ] {
        let (status, _, body) = send(&server, post("/cosmos/tx/v1beta1/simulate", bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["code"], 3, "{bad}: {body}");
    }
}

#[tokio::test]
async fn unknown_routes_are_not_implemented() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let not_implemented = json!({"code": 12, "message": "Not Implemented", "details": []});
    for req in [
        // Under a served service's prefix, but no template matches.
        get("/cosmos/staking/v1beta1/no_such_route"),
        get("/"),
        post("/depin/app/v1/version", "{}"),
        get("/cosmos/tx/v1beta1/simulate"),
    ] {
        let uri = req.uri().clone();
        let (status, headers, body) = send(&server, req).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{uri}");
        assert_eq!(body, not_implemented, "{uri}");
        assert_eq!(headers["access-control-allow-origin"], "*");
    }
}

#[tokio::test]
async fn preflights_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/cosmos/tx/v1beta1/txs")
        .header("origin", "chrome-extension://keplr")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&server, req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_eq!(headers["access-control-allow-headers"], "content-type");
}

#[tokio::test]
async fn serves_http_on_a_socket_until_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_on(listener, async {
        let _ = stopped.await;
    }));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /depin/app/v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains(r#""name":"depin-sdk""#), "{answer}");

    stop.send(()).unwrap();
    task.await.unwrap().expect("a clean shutdown");
}
