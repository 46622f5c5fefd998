//! The gRPC server as a reflection client (grpcurl) sees it: every service the node serves is
//! listed, its descriptors resolve, and calls still reach the gateway.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use depin_app::app::{AppBuilder, AppConfig};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::grpc::Gateway;
use depin_app::module::{AnteHandler, TxContext};
use depin_app::node::{Node, NodeConfig};
use depin_proto::depin::app::v1::{VersionRequest, VersionResponse};
use prost::Message;
use tonic::transport::Channel;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// The gateway needs an app; these tests call nothing that reaches the ante step.
struct NoAnte;

impl AnteHandler for NoAnte {
    fn ante(&self, _ctx: &mut Ctx<'_, '_>, _tx: &TxContext<'_>) -> AppResult<()> {
        Ok(())
    }
}

/// Serves the gateway of a fresh node with no modules on a free local port until the returned
/// sender is dropped.
async fn serve(dir: &std::path::Path) -> (Channel, tokio::sync::oneshot::Sender<()>) {
    let app = AppBuilder::new(AppConfig::default())
        .ante(NoAnte)
        .build()
        .expect("an app without modules");
    let node = Node::open(Arc::new(app), dir, NodeConfig::default()).expect("a node");
    let gateway = Gateway::new(node.queries().clone(), None).expect("a gateway");
    let addr: SocketAddr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("its address")
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = gateway.serve(addr, shutdown).await {
            panic!("{e}");
        }
    });
    let endpoint = Channel::from_shared(format!("http://{addr}")).expect("a URI");
    for _ in 0..100 {
        if let Ok(channel) = endpoint.connect().await {
            return (channel, stop);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gRPC server on {addr} did not come up");
}

async fn reflect(channel: &Channel, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("a reflection stream")
        .into_inner();
    responses
        .message()
        .await
        .expect("a reflection answer")
        .expect("one answer")
        .message_response
        .expect("with content")
}

#[tokio::test]
async fn reflection_lists_and_describes_every_service() {
    let dir = tempfile::tempdir().unwrap();
    let (channel, _stop) = serve(dir.path()).await;

    let MessageResponse::ListServicesResponse(list) =
        reflect(&channel, MessageRequest::ListServices(String::new())).await
    else {
        panic!("not a service list");
    };
    let services: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "cosmos.bank.v1beta1.Query",
        "cosmos.auth.v1beta1.Query",
        "cosmos.tx.v1beta1.Service",
        "cosmos.base.tendermint.v1beta1.Service",
        "depin.app.v1.Query",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(services.contains(&expected), "{expected} in {services:?}");
    }

    // grpcurl's `describe`: the file declaring the service, then its imports by name.
    let MessageResponse::FileDescriptorResponse(files) = reflect(
        &channel,
        MessageRequest::FileContainingSymbol("cosmos.bank.v1beta1.Query".into()),
    )
    .await
    else {
        panic!("not a file descriptor");
    };
    let files: Vec<prost_types::FileDescriptorProto> = files
        .file_descriptor_proto
        .iter()
        .map(|b| prost_types::FileDescriptorProto::decode(b.as_slice()).expect("a descriptor"))
        .collect();
    let query = files
        .iter()
        .find(|f| f.name() == "cosmos/bank/v1beta1/query.proto")
        .expect("the file of cosmos.bank.v1beta1.Query");
    let methods: Vec<&str> = query.service[0].method.iter().map(|m| m.name()).collect();
    assert_eq!(
        methods,
        [
            "Balance",
            "AllBalances",
            "SpendableBalances",
            "TotalSupply",
            "SupplyOf",
            "Params",
            "DenomMetadata",
            "DenomsMetadata"
        ]
    );
    for import in &query.dependency {
        let MessageResponse::FileDescriptorResponse(found) =
            reflect(&channel, MessageRequest::FileByFilename(import.clone())).await
        else {
            panic!("{import} does not resolve");
        };
        assert!(!found.file_descriptor_proto.is_empty(), "{import}");
    }
}

#[tokio::test]
async fn older_clients_use_v1alpha() {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;

    let dir = tempfile::tempdir().unwrap();
    let (channel, _stop) = serve(dir.path()).await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let answer = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("a reflection stream")
        .into_inner()
        .message()
        .await
        .expect("a reflection answer")
        .and_then(|r| r.message_response);
    let Some(MessageResponse::ListServicesResponse(list)) = answer else {
        panic!("not a service list: {answer:?}");
    };
    assert!(list
        .service
        .iter()
        .any(|s| s.name == "cosmos.bank.v1beta1.Query"));
}

#[tokio::test]
async fn version_and_module_queries_reach_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let (channel, _stop) = serve(dir.path()).await;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");

    let version: VersionResponse = grpc
        .unary(
            tonic::Request::new(VersionRequest {}),
            http::uri::PathAndQuery::from_static("/depin.app.v1.Query/Version"),
            tonic::codec::ProstCodec::default(),
        )
        .await
        .expect("Version")
        .into_inner();
    assert_eq!(version.name, "depin-sdk");
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(version.app_version, 1);

    // Not shadowed by the reflection routes: the gateway answers, here that no module serves
    // the bank queries.
    grpc.ready().await.expect("ready");
    let err = grpc
        .unary::<_, VersionResponse, _>(
            tonic::Request::new(VersionRequest {}),
            http::uri::PathAndQuery::from_static("/cosmos.bank.v1beta1.Query/Params"),
            tonic::codec::ProstCodec::default(),
        )
        .await
        .expect_err("no bank module");
    assert!(
        err.message().contains("cosmos.bank.v1beta1.Query"),
        "{err:?}"
    );
}
