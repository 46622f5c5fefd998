//! The REST gateway (the Cosmos SDK's "LCD", default port 1317): JSON over HTTP for every gRPC
//! method whose .proto declares a `google.api.http` route, answered by the same
//! [`Gateway::call`] as gRPC. Nothing here knows a module: the routes, the request fields and
//! the JSON shapes all come from `depin_proto::FILE_DESCRIPTOR_SET`, so a module's queries get
//! REST routes by annotating its .proto file.
//!
//! JSON is written as the Cosmos SDK's grpc-gateway writes it (Keplr and explorers parse it
//! that way): proto field names, every field present (unset messages as `null`, empty bytes as
//! `null`, empty lists as `[]`), 64-bit integers as strings, bytes as base64, enums by name,
//! `Any` as `{"@type": <type URL>, ...fields of the packed message}`, and the fields annotated
//! `(cosmos_proto.scalar) = "cosmos.Dec"` (a LegacyDec: on the wire the integer of its 10^-18
//! units, as a string or as the bytes of that text) as decimals with 18 places
//! (`"0.100000000000000000"`), read back from any decimal text. Errors are
//! `{"code": <gRPC code>, "message": ..., "details": []}` with the HTTP status grpc-gateway
//! gives that code.

// Handlers pass tonic's `Status` by value, as the gateway returns it.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use base64::Engine as _;
use http::{header, HeaderValue, Method, StatusCode};
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MapKey,
    MessageDescriptor, ReflectMessage, SerializeOptions, Value,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use tonic::{Code, Status};

use crate::grpc::{Gateway, HEIGHT_HEADER};

/// Where `depind start` serves REST unless app.toml says otherwise (the Cosmos SDK's port).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:1317";

/// The `google.api.http` method option (google/api/annotations.proto).
const HTTP_RULE_EXTENSION: &str = "google.api.http";

/// The `cosmos_proto.scalar` field option (cosmos_proto/cosmos.proto).
const SCALAR_EXTENSION: &str = "cosmos_proto.scalar";

/// The scalar of a LegacyDec field.
const DEC_SCALAR: &str = "cosmos.Dec";

/// The places of a LegacyDec: its wire integer counts 10^-18 units.
const DEC_PLACES: usize = 18;

/// The largest request body accepted (a signed transaction in base64 is far smaller).
const MAX_BODY: usize = 4 << 20;

/// One HTTP route to a gRPC method, read from the method's `google.api.http` rule.
#[derive(Debug, Clone)]
pub struct Route {
    /// GET, POST, ...
    pub method: Method,
    /// The path template as annotated, e.g. `/cosmos/bank/v1beta1/balances/{address}`.
    pub template: String,
    /// The gRPC method it calls, e.g. `/cosmos.bank.v1beta1.Query/AllBalances`.
    pub grpc_path: String,
    /// The request field the JSON body fills: `*` for the whole request, empty for none.
    pub body: String,
    /// The response field written as the HTTP body; empty for the whole response.
    pub response_body: String,
    input: MessageDescriptor,
    output: MessageDescriptor,
    /// The template in axum's syntax, each variable named `v<index>`.
    axum_path: String,
    /// The request field (dotted path) each template variable fills, by index.
    variables: Vec<String>,
}

impl Route {
    pub fn input(&self) -> &MessageDescriptor {
        &self.input
    }

    pub fn output(&self) -> &MessageDescriptor {
        &self.output
    }
}

/// Every route the `google.api.http` rules in `pool` declare (with their additional
/// bindings), in service and method order. A rule that cannot be served (an unknown field, a
/// template we do not support, two routes on the same method and path) is an error.
pub fn routes(pool: &DescriptorPool) -> Result<Vec<Route>, String> {
    let Some(extension) = pool.get_extension_by_name(HTTP_RULE_EXTENSION) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<Route> = Vec::new();
    for service in pool.services() {
        for method in service.methods() {
            let options = method.options();
            if !options.has_extension(&extension) {
                continue;
            }
            let grpc_path = format!("/{}/{}", service.full_name(), method.name());
            let Value::Message(rule) = options.get_extension(&extension).into_owned() else {
                return Err(format!("{grpc_path}: google.api.http is not an HttpRule"));
            };
            let mut rules = vec![rule.clone()];
            if let Some(more) = rule.get_field_by_name("additional_bindings") {
                if let Some(more) = more.as_list() {
                    rules.extend(more.iter().filter_map(|v| v.as_message().cloned()));
                }
            }
            for rule in rules {
                let route = route(&grpc_path, &method.input(), &method.output(), &rule)
                    .map_err(|e| format!("{grpc_path}: google.api.http: {e}"))?;
                if let Some(other) = out
                    .iter()
                    .find(|r| r.method == route.method && r.axum_path == route.axum_path)
                {
                    return Err(format!(
                        "{} {} is declared by both {} and {grpc_path}",
                        route.method, route.template, other.grpc_path
                    ));
                }
                out.push(route);
            }
        }
    }
    Ok(out)
}

fn string_field(message: &DynamicMessage, name: &str) -> String {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn route(
    grpc_path: &str,
    input: &MessageDescriptor,
    output: &MessageDescriptor,
    rule: &DynamicMessage,
) -> Result<Route, String> {
    let mut pattern = None;
    for verb in ["get", "put", "post", "delete", "patch"] {
        let field = rule
            .descriptor()
            .get_field_by_name(verb)
            .ok_or("the HttpRule declaration lacks a field")?;
        if rule.has_field(&field) {
            let method =
                Method::from_bytes(verb.to_uppercase().as_bytes()).map_err(|e| e.to_string())?;
            pattern = Some((method, string_field(rule, verb)));
        }
    }
    let custom = rule
        .descriptor()
        .get_field_by_name("custom")
        .ok_or("the HttpRule declaration lacks a field")?;
    if rule.has_field(&custom) {
        if let Value::Message(custom) = rule.get_field(&custom).into_owned() {
            let kind = string_field(&custom, "kind");
            let method = Method::from_bytes(kind.as_bytes())
                .map_err(|e| format!("custom method {kind:?}: {e}"))?;
            pattern = Some((method, string_field(&custom, "path")));
        }
    }
    let (method, template) = pattern.ok_or("no HTTP method and path")?;
    if MethodFilter::try_from(method.clone()).is_err() {
        return Err(format!("the HTTP method {method} cannot be routed"));
    }
    let (axum_path, variables) = parse_template(&template)?;
    for variable in &variables {
        let field = field_path(input, variable)?;
        if field.is_list() || field.is_map() || matches!(field.kind(), Kind::Message(_)) {
            return Err(format!(
                "{template}: {{{variable}}} is not a single scalar field"
            ));
        }
    }
    let body = string_field(rule, "body");
    if !body.is_empty() && body != "*" {
        let field = field_path(input, &body)?;
        if !matches!(field.kind(), Kind::Message(_)) || field.is_list() || field.is_map() {
            return Err(format!("body {body:?} is not a message field"));
        }
    }
    let response_body = string_field(rule, "response_body");
    if !response_body.is_empty() {
        field_path(output, &response_body)?;
    }
    Ok(Route {
        method,
        template,
        grpc_path: grpc_path.to_string(),
        body,
        response_body,
        input: input.clone(),
        output: output.clone(),
        axum_path,
        variables,
    })
}

/// A path template (`/a/{x}/b`, `/a/{name=**}`) in axum's syntax with the variables renamed
/// `v0`, `v1`, ..., and the field each variable names.
fn parse_template(template: &str) -> Result<(String, Vec<String>), String> {
    let Some(rest) = template.strip_prefix('/') else {
        return Err(format!("{template:?} does not start with '/'"));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let mut path = String::new();
    let mut variables = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        path.push('/');
        let last = i + 1 == segments.len();
        if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (field, pattern) = inner.split_once('=').unwrap_or((inner, "*"));
            let name = format!("v{}", variables.len());
            match pattern {
                "*" => path.push_str(&format!("{{{name}}}")),
                "**" if last => path.push_str(&format!("{{*{name}}}")),
                _ => {
                    return Err(format!(
                        "{template}: the variable {{{inner}}} is not supported (use {{field}} or \
                         a final {{field=**}})"
                    ))
                }
            }
            variables.push(field.to_string());
        } else if segment.is_empty()
            || segment.contains(['{', '}', '*', ':'])
            || (*segment == "**" && !last)
        {
            return Err(format!(
                "{template}: the segment {segment:?} is not supported"
            ));
        } else {
            path.push_str(segment);
        }
    }
    Ok((path, variables))
}

/// The field a dotted path (`pagination.limit`) names in `message`, by proto or JSON name.
fn field_path(message: &MessageDescriptor, path: &str) -> Result<FieldDescriptor, String> {
    let mut desc = message.clone();
    let mut names = path.split('.').peekable();
    while let Some(name) = names.next() {
        let field = find_field(&desc, name)
            .ok_or_else(|| format!("{} has no field {name:?}", desc.full_name()))?;
        if names.peek().is_none() {
            return Ok(field);
        }
        match field.kind() {
            Kind::Message(m) if !field.is_list() && !field.is_map() => desc = m,
            _ => return Err(format!("{path:?}: {name} is not a message field")),
        }
    }
    Err(format!("empty field path {path:?}"))
}

fn find_field(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_name(name)
        .or_else(|| message.get_field_by_json_name(name))
}

/// The REST server: the routes of a descriptor set over a [`Gateway`].
pub struct RestServer {
    gateway: Arc<Gateway>,
    routes: Vec<Arc<Route>>,
}

impl RestServer {
    /// Routes every annotated method of `depin_proto::FILE_DESCRIPTOR_SET`.
    pub fn new(gateway: Arc<Gateway>) -> Result<Self, String> {
        Self::with_descriptors(gateway, depin_proto::FILE_DESCRIPTOR_SET)
    }

    /// Routes every annotated method of an encoded `FileDescriptorSet`.
    pub fn with_descriptors(gateway: Arc<Gateway>, descriptors: &[u8]) -> Result<Self, String> {
        let pool = DescriptorPool::decode(descriptors)
            .map_err(|e| format!("REST gateway: the descriptor set: {e}"))?;
        let routes = routes(&pool)
            .map_err(|e| format!("REST gateway: {e}"))?
            .into_iter()
            .map(Arc::new)
            .collect();
        let server = RestServer { gateway, routes };
        // axum refuses overlapping paths (`/a/{x}` beside `/a/{*y}`) by panicking: report it
        // as a bad annotation at startup instead.
        let _checked: axum::Router =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.router())).map_err(
                |panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    format!("REST gateway: the annotated routes conflict: {why}")
                },
            )?;
        Ok(server)
    }

    pub fn routes(&self) -> &[Arc<Route>] {
        &self.routes
    }

    /// The HTTP service: every route, 501 for any other path or method, CORS for browsers.
    pub fn router(&self) -> axum::Router {
        // Routes on one path share a method router; `routes` has no two with the same method.
        let mut by_path: Vec<(String, MethodRouter)> = Vec::new();
        for route in &self.routes {
            // `routes` only keeps methods that have a filter.
            let Ok(filter) = MethodFilter::try_from(route.method.clone()) else {
                continue;
            };
            let (r, g) = (route.clone(), self.gateway.clone());
            let handler = move |params: Result<RawPathParams, RawPathParamsRejection>,
                                req: Request| {
                let (r, g) = (r.clone(), g.clone());
                async move {
                    match answer(&r, &g, params, req).await {
                        Ok(json) => json_response(StatusCode::OK, json),
                        Err(status) => error_response(&status),
                    }
                }
            };
            match by_path.iter_mut().find(|(p, _)| *p == route.axum_path) {
                Some((_, methods)) => *methods = std::mem::take(methods).on(filter, handler),
                None => by_path.push((route.axum_path.clone(), axum::routing::on(filter, handler))),
            }
        }
        let mut router = axum::Router::new();
        for (path, methods) in by_path {
            router = router.route(&path, methods.fallback(not_implemented));
        }
        router
            .fallback(not_implemented)
            .layer(axum::middleware::from_fn(cors))
    }

    /// Serves on `addr` until `shutdown` resolves.
    pub async fn serve(
        self,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("REST server on {addr}: {e}"))?;
        self.serve_on(listener, shutdown).await
    }

    /// Serves on a bound listener until `shutdown` resolves.
    pub async fn serve_on(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| format!("REST server on {addr}: {e}"))
    }
}

/// Serves the REST gateway of every annotated method on `addr` until `shutdown` resolves.
pub async fn serve(
    gateway: Arc<Gateway>,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    RestServer::new(gateway)?.serve(addr, shutdown).await
}

/// Browser wallets call from extension and web pages: allow any origin, answer preflights.
async fn cors(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        let allow_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("content-type, x-cosmos-block-height"));
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// What grpc-gateway answers for a path or method no rule declares.
async fn not_implemented() -> Response {
    error_response(&Status::unimplemented("Not Implemented"))
}

/// One call: the request message from the path, query and body; the gateway; the answer as
/// JSON.
async fn answer(
    route: &Route,
    gateway: &Gateway,
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
) -> Result<Vec<u8>, Status> {
    let (parts, body) = req.into_parts();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();

    // As gRPC: the header, else the `height` query parameter (never a request field).
    let height_text = match parts.headers.get(HEIGHT_HEADER) {
        Some(v) => Some(v.to_str().unwrap_or("").to_string()),
        None => query
            .iter()
            .find(|(k, _)| k == "height")
            .map(|(_, v)| v.clone()),
    };
    let height = match height_text {
        Some(t) => t
            .trim()
            .parse::<i64>()
            .map_err(|_| Status::invalid_argument(format!("height {t:?} is not a block height")))?,
        None => 0,
    };

    let mut message = DynamicMessage::new(route.input.clone());
    if !route.body.is_empty() {
        let bytes = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| Status::invalid_argument(format!("reading the request body: {e}")))?;
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            if route.body == "*" {
                message = from_json(route.input.clone(), &bytes)?;
            } else {
                let field = field_path(&route.input, &route.body).map_err(Status::internal)?;
                let Kind::Message(desc) = field.kind() else {
                    return Err(Status::internal("the body field is not a message"));
                };
                let value = from_json(desc, &bytes)?;
                set_path(&mut message, &route.body, |m, f| {
                    m.set_field(f, Value::Message(value));
                    Ok(())
                })?;
            }
        }
    }
    let params = params.map_err(|e| Status::invalid_argument(e.body_text()))?;
    for (name, value) in params.iter() {
        let variable = name
            .strip_prefix('v')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| route.variables.get(i))
            .ok_or_else(|| Status::internal(format!("unknown path variable {name}")))?;
        set_param(&mut message, variable, value)?;
    }
    if route.body != "*" {
        for (name, value) in &query {
            // grpc-gateway ignores parameters that name no field, and those the path sets.
            if name == "height"
                || route.variables.iter().any(|v| v == name)
                || field_path(&route.input, name).is_err()
            {
                continue;
            }
            set_param(&mut message, name, value)?;
        }
    }

    let answer = gateway
        .call(&route.grpc_path, height, message.encode_to_vec())
        .await?;
    let output = DynamicMessage::decode(route.output.clone(), answer.as_slice()).map_err(|e| {
        Status::internal(format!(
            "the answer is not a {}: {e}",
            route.output.full_name()
        ))
    })?;
    let json = if route.response_body.is_empty() {
        serde_json::to_vec(&Json(&output))
    } else {
        let field = field_path(&route.output, &route.response_body).map_err(Status::internal)?;
        let value = output.get_field(&field);
        serde_json::to_vec(&FieldJson {
            value: &value,
            field: &field,
            in_list: false,
        })
    };
    json.map_err(|e| Status::internal(format!("writing the answer as JSON: {e}")))
}

fn from_json(desc: MessageDescriptor, bytes: &[u8]) -> Result<DynamicMessage, Status> {
    let invalid = |e: String| Status::invalid_argument(format!("the request body: {e}"));
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    json_to_message(desc, json).map_err(invalid)
}

/// A message `desc` from its JSON as the gateway reads it: proto or JSON field names, unknown
/// fields refused, decimal fields from their decimal text.
fn json_to_message(
    desc: MessageDescriptor,
    mut json: serde_json::Value,
) -> Result<DynamicMessage, String> {
    decimals_to_wire(&desc, &mut json)?;
    DynamicMessage::deserialize_with_options(desc, json, &DeserializeOptions::new())
        .map_err(|e| e.to_string())
}

/// The message `type_name` (e.g. "depin.device.v1.MsgUpdateParams") from its JSON, encoded as
/// protobuf: read as the REST gateway reads request bodies (decimal fields such as
/// `community_tax` from "0.05"). For CLIs that take messages as JSON, like a governance
/// proposal's.
pub fn message_from_json(type_name: &str, json: serde_json::Value) -> Result<Vec<u8>, String> {
    let desc = descriptor_pool()?
        .get_message_by_name(type_name)
        .ok_or_else(|| format!("{type_name} is not a message type this chain declares"))?;
    Ok(json_to_message(desc, json)?.encode_to_vec())
}

/// `depin_proto::FILE_DESCRIPTOR_SET`, decoded once.
fn descriptor_pool() -> Result<&'static DescriptorPool, String> {
    static POOL: std::sync::OnceLock<Result<DescriptorPool, String>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(depin_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| format!("the descriptor set does not decode: {e}"))
}

/// Rewrites the decimal fields of `json` (a message `desc` in JSON) from their text
/// ("0.5") to what the JSON mapping reads as their wire value: the integer of 10^-18 units
/// as a string, or base64 of that text for a `bytes` field.
fn decimals_to_wire(desc: &MessageDescriptor, json: &mut serde_json::Value) -> Result<(), String> {
    let serde_json::Value::Object(fields) = json else {
        return Ok(());
    };
    // The fields of a packed message sit beside "@type" (a well-known type's under "value").
    let desc = if desc.full_name() == "google.protobuf.Any" {
        let packed = fields
            .get("@type")
            .and_then(|t| t.as_str())
            .and_then(|url| url.rsplit('/').next())
            .and_then(|name| desc.parent_pool().get_message_by_name(name));
        match packed {
            Some(m) if !m.full_name().starts_with("google.protobuf.") => m,
            _ => return Ok(()),
        }
    } else {
        desc.clone()
    };
    for (name, value) in fields.iter_mut() {
        let Some(field) = find_field(&desc, name) else {
            continue;
        };
        if is_decimal(&field) {
            let items: Vec<&mut serde_json::Value> = match value {
                serde_json::Value::Array(items) => items.iter_mut().collect(),
                single => vec![single],
            };
            for item in items {
                let serde_json::Value::String(text) = item else {
                    continue;
                };
                let atomics = dec_atomics(text)
                    .ok_or_else(|| format!("{name}: {text:?} is not a decimal"))?;
                *text = match field.kind() {
                    Kind::Bytes => base64::engine::general_purpose::STANDARD.encode(atomics),
                    _ => atomics,
                };
            }
            continue;
        }
        let Kind::Message(inner) = field.kind() else {
            continue;
        };
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    decimals_to_wire(&inner, item)?;
                }
            }
            serde_json::Value::Object(entries) if field.is_map() => {
                let value_field = inner.map_entry_value_field();
                if let Kind::Message(m) = value_field.kind() {
                    for item in entries.values_mut() {
                        decimals_to_wire(&m, item)?;
                    }
                }
            }
            other => decimals_to_wire(&inner, other)?,
        }
    }
    Ok(())
}

/// Walks `path` (dotted field names) into `message`, creating the messages on the way, and
/// calls `leaf` with the message holding the last field and that field.
fn set_path(
    message: &mut DynamicMessage,
    path: &str,
    leaf: impl FnOnce(&mut DynamicMessage, &FieldDescriptor) -> Result<(), Status>,
) -> Result<(), Status> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = message.descriptor();
    let field = find_field(&desc, head).ok_or_else(|| {
        Status::invalid_argument(format!("{} has no field {head:?}", desc.full_name()))
    })?;
    match rest {
        None => leaf(message, &field),
        Some(rest) => match message.get_field_mut(&field) {
            Value::Message(inner) if !field.is_list() && !field.is_map() => {
                set_path(inner, rest, leaf)
            }
            _ => Err(Status::invalid_argument(format!(
                "{path:?}: {head} is not a message field"
            ))),
        },
    }
}

/// Sets the field `path` names from its text in a URL (path segment or query parameter);
/// a repeated field gets one more element.
fn set_param(message: &mut DynamicMessage, path: &str, text: &str) -> Result<(), Status> {
    set_path(message, path, |m, field| {
        if field.is_map() {
            return Err(Status::invalid_argument(format!(
                "{path}: map fields cannot be set from the URL"
            )));
        }
        let value = if is_decimal(field) {
            dec_atomics(text)
                .map(|atomics| match field.kind() {
                    Kind::Bytes => Value::Bytes(atomics.into_bytes().into()),
                    _ => Value::String(atomics),
                })
                .ok_or_else(|| "not a decimal".to_string())
        } else {
            parse_value(&field.kind(), text)
        }
        .map_err(|e| Status::invalid_argument(format!("{path}={text:?}: {e}")))?;
        if field.is_list() {
            if let Value::List(items) = m.get_field_mut(field) {
                items.push(value);
            }
        } else {
            m.set_field(field, value);
        }
        Ok(())
    })
}

/// A value from URL text, as grpc-gateway reads it: numbers in decimal, bools as Go's
/// strconv, bytes in base64 (standard or URL-safe), enums by name or number, and the
/// well-known types from their JSON text (`2024-01-01T00:00:00Z`, `1.5s`).
fn parse_value(kind: &Kind, text: &str) -> Result<Value, String> {
    fn num<T: std::str::FromStr>(text: &str) -> Result<T, String> {
        text.trim()
            .parse()
            .map_err(|_| "not a number of that type".to_string())
    }
    Ok(match kind {
        Kind::String => Value::String(text.to_string()),
        Kind::Bool => Value::Bool(match text {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
            "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
            _ => return Err("not a bool".into()),
        }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(num(text)?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(num(text)?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(num(text)?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(num(text)?),
        Kind::Float => Value::F32(num(text)?),
        Kind::Double => Value::F64(num(text)?),
        Kind::Bytes => {
            use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
            // A `+` of standard base64 arrives as a space when the client did not escape it.
            let t = text.replace(' ', "+");
            let t = t.trim_end_matches('=');
            let bytes = STANDARD_NO_PAD
                .decode(t)
                .or_else(|_| URL_SAFE_NO_PAD.decode(t))
                .map_err(|_| "not base64".to_string())?;
            Value::Bytes(bytes.into())
        }
        Kind::Enum(e) => match e.get_value_by_name(text) {
            Some(v) => Value::EnumNumber(v.number()),
            None => Value::EnumNumber(
                num(text).map_err(|_| format!("not a value of {}", e.full_name()))?,
            ),
        },
        Kind::Message(m) if is_wrapper(m.full_name()) => {
            let mut wrapper = DynamicMessage::new(m.clone());
            let field = m
                .get_field_by_name("value")
                .ok_or("a wrapper without value")?;
            wrapper.set_field(&field, parse_value(&field.kind(), text)?);
            Value::Message(wrapper)
        }
        Kind::Message(m) => {
            let json = serde_json::Value::String(text.to_string());
            let message = DynamicMessage::deserialize(m.clone(), json).map_err(|_| {
                format!(
                    "{} is a message: set its fields (name.field=value)",
                    m.full_name()
                )
            })?;
            Value::Message(message)
        }
    })
}

fn is_wrapper(name: &str) -> bool {
    matches!(
        name,
        "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}

/// grpc-gateway's HTTP status for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::REQUEST_TIMEOUT,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `{"code": <gRPC code>, "message": ..., "details": []}`, as grpc-gateway writes a status.
fn error_response(status: &Status) -> Response {
    let body = serde_json::json!({
        "code": status.code() as i32,
        "message": status.message(),
        "details": [],
    });
    json_response(http_status(status.code()), body.to_string().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// JSON in the Cosmos SDK's grpc-gateway form

/// A message as the Cosmos SDK's gateway writes it (see the module docs).
struct Json<'a>(&'a DynamicMessage);

/// The message `type_name` (e.g. "depin.device.v1.QueryDeviceResponse") encoded in `bytes`, in
/// the JSON the REST gateway writes (proto field names, 64-bit integers as strings, decimals
/// with 18 places). For CLIs that print query answers as the Cosmos SDK's do.
pub fn message_json(type_name: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let desc = descriptor_pool()?
        .get_message_by_name(type_name)
        .ok_or_else(|| format!("no message type {type_name} in the descriptor set"))?;
    let message = DynamicMessage::decode(desc, bytes)
        .map_err(|e| format!("the bytes are not a {type_name}: {e}"))?;
    serde_json::to_value(Json(&message)).map_err(|e| e.to_string())
}

/// One field's value; `in_list` for an element of a repeated field.
struct FieldJson<'a> {
    value: &'a Value,
    field: &'a FieldDescriptor,
    in_list: bool,
}

/// The options for the well-known types, which prost-reflect writes as the JSON mapping says
/// (Timestamp as RFC 3339, Duration as "1.5s", wrappers as their value, ...).
fn wkt_options() -> SerializeOptions {
    SerializeOptions::new()
        .stringify_64_bit_integers(true)
        .use_proto_field_name(true)
        .skip_default_fields(false)
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let desc = self.0.descriptor();
        let name = desc.full_name();
        if name == "google.protobuf.Any" {
            let mut map = s.serialize_map(None)?;
            any_entries(&mut map, self.0)?;
            return map.end();
        }
        if name.starts_with("google.protobuf.") {
            return self.0.serialize_with_options(s, &wkt_options());
        }
        let mut map = s.serialize_map(None)?;
        field_entries(&mut map, self.0)?;
        map.end()
    }
}

/// The fields of `message` in declaration order, each under its proto name.
fn field_entries<M: SerializeMap>(map: &mut M, message: &DynamicMessage) -> Result<(), M::Error> {
    let desc = message.descriptor();
    for name in desc.descriptor_proto().field.iter().map(|f| f.name()) {
        let Some(field) = desc.get_field_by_name(name) else {
            continue;
        };
        let set = message.has_field(&field);
        // An unset oneof member is left out; an unset message is written as null.
        if !set && field.containing_oneof().is_some() {
            continue;
        }
        let message_kind = matches!(field.kind(), Kind::Message(_));
        if !set && message_kind && !field.is_list() && !field.is_map() {
            map.serialize_entry(name, &())?;
            continue;
        }
        let value = message.get_field(&field);
        map.serialize_entry(
            name,
            &FieldJson {
                value: &value,
                field: &field,
                in_list: false,
            },
        )?;
    }
    Ok(())
}

/// `"@type"` and the packed message's fields (or `"value"` for a well-known type). A type
/// this node does not know is written as its base64 bytes under `"value"`.
fn any_entries<M: SerializeMap>(map: &mut M, any: &DynamicMessage) -> Result<(), M::Error> {
    let type_url = string_field(any, "type_url");
    let bytes = any
        .get_field_by_name("value")
        .and_then(|v| v.as_bytes().cloned())
        .unwrap_or_default();
    map.serialize_entry("@type", &type_url)?;
    let name = type_url.rsplit('/').next().unwrap_or_default();
    let packed = any
        .descriptor()
        .parent_pool()
        .get_message_by_name(name)
        .and_then(|desc| DynamicMessage::decode(desc, bytes.as_ref()).ok());
    match packed {
        Some(inner)
            if inner
                .descriptor()
                .full_name()
                .starts_with("google.protobuf.") =>
        {
            map.serialize_entry("value", &Json(&inner))
        }
        Some(inner) => field_entries(map, &inner),
        None => map.serialize_entry(
            "value",
            &base64::engine::general_purpose::STANDARD.encode(&bytes),
        ),
    }
}

impl Serialize for FieldJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let kind = self.field.kind();
        match self.value {
            Value::List(items) if !self.in_list => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&FieldJson {
                        value: item,
                        field: self.field,
                        in_list: true,
                    })?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let Kind::Message(entry) = kind else {
                    return s.serialize_none();
                };
                let value_field = entry.map_entry_value_field();
                // Sorted by key, as Go writes maps.
                let mut sorted: Vec<(String, &Value)> =
                    entries.iter().map(|(k, v)| (map_key(k), v)).collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                let mut map = s.serialize_map(Some(sorted.len()))?;
                for (k, v) in sorted {
                    map.serialize_entry(
                        &k,
                        &FieldJson {
                            value: v,
                            field: &value_field,
                            in_list: false,
                        },
                    )?;
                }
                map.end()
            }
            Value::Bool(b) => s.serialize_bool(*b),
            Value::I32(n) => s.serialize_i32(*n),
            Value::U32(n) => s.serialize_u32(*n),
            Value::I64(n) => s.collect_str(n),
            Value::U64(n) => s.collect_str(n),
            Value::F32(f) => float(s, f64::from(*f)),
            Value::F64(f) => float(s, *f),
            // An empty decimal is a nil LegacyDec (a nullable one left unset): Go writes null.
            Value::String(t) if is_decimal(self.field) => match dec_text(t) {
                Some(text) => s.serialize_str(&text),
                None if t.is_empty() => s.serialize_none(),
                None => s.serialize_str(t),
            },
            Value::Bytes(b) if is_decimal(self.field) => {
                match std::str::from_utf8(b).ok().and_then(dec_text) {
                    Some(text) => s.serialize_str(&text),
                    None if b.is_empty() => s.serialize_none(),
                    None => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
                }
            }
            Value::String(t) => s.serialize_str(t),
            // Go writes a nil byte slice (what decoding an absent field gives) as null.
            Value::Bytes(b) if b.is_empty() && !self.in_list => s.serialize_none(),
            Value::Bytes(b) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::EnumNumber(n) => match &kind {
                Kind::Enum(e) => match e.get_value(*n) {
                    Some(v) => s.serialize_str(v.name()),
                    None => s.serialize_i32(*n),
                },
                _ => s.serialize_i32(*n),
            },
            Value::Message(m) => Json(m).serialize(s),
            Value::List(_) => s.serialize_none(),
        }
    }
}

/// Whether `field` holds a LegacyDec: annotated `(cosmos_proto.scalar) = "cosmos.Dec"`.
fn is_decimal(field: &FieldDescriptor) -> bool {
    if !matches!(field.kind(), Kind::String | Kind::Bytes) {
        return false;
    }
    let Some(scalar) = field.parent_pool().get_extension_by_name(SCALAR_EXTENSION) else {
        return false;
    };
    let options = field.options();
    options.has_extension(&scalar) && options.get_extension(&scalar).as_str() == Some(DEC_SCALAR)
}

/// A LegacyDec's text from its wire integer of 10^-18 units: "100000000000000000" is
/// "0.100000000000000000". `None` when `atomics` is not an integer.
fn dec_text(atomics: &str) -> Option<String> {
    let (sign, digits) = match atomics.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", atomics),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let padded = format!("{digits:0>width$}", width = DEC_PLACES + 1);
    let (int, frac) = padded.split_at(padded.len() - DEC_PLACES);
    let sign = if digits.is_empty() { "" } else { sign };
    Some(format!("{sign}{int}.{frac}"))
}

/// A LegacyDec's wire integer of 10^-18 units from its text ("0.5", "12", "-1.25"), which has
/// at most 18 places, as the Cosmos SDK reads it. `None` when `text` is not such a decimal.
fn dec_atomics(text: &str) -> Option<String> {
    let (sign, number) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > DEC_PLACES {
        return None;
    }
    if number.contains('.') && frac.is_empty() {
        return None;
    }
    let joined = format!("{int}{frac:0<width$}", width = DEC_PLACES);
    let joined = joined.trim_start_matches('0');
    Some(match joined {
        "" => "0".to_string(),
        n => format!("{sign}{n}"),
    })
}

fn float<S: Serializer>(s: S, f: f64) -> Result<S::Ok, S::Error> {
    if f.is_nan() {
        s.serialize_str("NaN")
    } else if f.is_infinite() {
        s.serialize_str(if f > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        s.serialize_f64(f)
    }
}

fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(t) => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountResponse};
    use cosmrs::proto::cosmos::bank::v1beta1::QueryAllBalancesResponse;
    use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
    use cosmrs::proto::cosmos::base::v1beta1::Coin;

    fn pool() -> DescriptorPool {
        DescriptorPool::decode(depin_proto::FILE_DESCRIPTOR_SET).unwrap()
    }

    /// `value` decoded as `name` and written as the gateway writes it.
    fn json_of(name: &str, value: &impl prost::Message) -> String {
        let desc = pool().get_message_by_name(name).unwrap();
        let message = DynamicMessage::decode(desc, value.encode_to_vec().as_slice()).unwrap();
        serde_json::to_string(&Json(&message)).unwrap()
    }

    #[test]
    fn message_json_prints_any_declared_message() {
        use cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceResponse;
        use cosmrs::proto::cosmos::base::v1beta1::Coin;
        let bytes = prost::Message::encode_to_vec(&QueryBalanceResponse {
            balance: Some(Coin {
                denom: "udepin".into(),
                amount: "5".into(),
            }),
        });
        let json = super::message_json("cosmos.bank.v1beta1.QueryBalanceResponse", &bytes).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "balance": { "denom": "udepin", "amount": "5" } })
        );
        assert!(super::message_json("no.such.Type", &bytes).is_err());
        assert!(super::message_json("cosmos.bank.v1beta1.QueryBalanceResponse", &[0xff]).is_err());
    }

    #[test]
    fn json_is_the_cosmos_gateways() {
        let account = BaseAccount {
            address: "depin1abc".into(),
            pub_key: None,
            account_number: 0,
            sequence: 3,
        };
        let resp = QueryAccountResponse {
            account: Some(cosmrs::Any {
                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                value: account.encode_to_vec(),
            }),
        };
        assert_eq!(
            json_of("cosmos.auth.v1beta1.QueryAccountResponse", &resp),
            r#"{"account":{"@type":"/cosmos.auth.v1beta1.BaseAccount","address":"depin1abc","pub_key":null,"account_number":"0","sequence":"3"}}"#
        );

        let resp = QueryAllBalancesResponse {
            balances: vec![Coin {
                denom: "udepin".into(),
                amount: "5".into(),
            }],
            pagination: Some(PageResponse {
                next_key: vec![],
                total: 0,
            }),
        };
        assert_eq!(
            json_of("cosmos.bank.v1beta1.QueryAllBalancesResponse", &resp),
            r#"{"balances":[{"denom":"udepin","amount":"5"}],"pagination":{"next_key":null,"total":"0"}}"#
        );
        let resp = QueryAllBalancesResponse {
            balances: vec![],
            pagination: Some(PageResponse {
                next_key: vec![1, 2, 255],
                total: 7,
            }),
        };
        assert_eq!(
            json_of("cosmos.bank.v1beta1.QueryAllBalancesResponse", &resp),
            r#"{"balances":[],"pagination":{"next_key":"AQL/","total":"7"}}"#
        );
        assert_eq!(
            json_of(
                "cosmos.bank.v1beta1.QueryAllBalancesResponse",
                &QueryAllBalancesResponse::default()
            ),
            r#"{"balances":[],"pagination":null}"#
        );

        // An Any of a type this node does not know keeps its bytes.
        let resp = QueryAccountResponse {
            account: Some(cosmrs::Any {
                type_url: "/other.v1.Account".into(),
                value: vec![1, 2, 3],
            }),
        };
        assert_eq!(
            json_of("cosmos.auth.v1beta1.QueryAccountResponse", &resp),
            r#"{"account":{"@type":"/other.v1.Account","value":"AQID"}}"#
        );
    }

    #[test]
    fn decimals_print_with_18_places() {
        assert_eq!(
            dec_text("100000000000000000").unwrap(),
            "0.100000000000000000"
        );
        assert_eq!(dec_text("0").unwrap(), "0.000000000000000000");
        assert_eq!(
            dec_text("12500000000000000000").unwrap(),
            "12.500000000000000000"
        );
        assert_eq!(dec_text("1").unwrap(), "0.000000000000000001");
        assert_eq!(dec_text("-5").unwrap(), "-0.000000000000000005");
        assert_eq!(dec_text("-0").unwrap(), "0.000000000000000000");
        assert_eq!(dec_text("007").unwrap(), "0.000000000000000007");
        for bad in ["", "-", "0.1", "1e3", " 1", "+1"] {
            assert_eq!(dec_text(bad), None, "{bad:?}");
        }

        assert_eq!(dec_atomics("0.1").unwrap(), "100000000000000000");
        assert_eq!(
            dec_atomics("0.100000000000000000").unwrap(),
            "100000000000000000"
        );
        assert_eq!(dec_atomics("12").unwrap(), "12000000000000000000");
        assert_eq!(dec_atomics("0").unwrap(), "0");
        assert_eq!(dec_atomics("-1.25").unwrap(), "-1250000000000000000");
        assert_eq!(dec_atomics("0.000000000000000001").unwrap(), "1");
        for bad in [
            "",
            "1.",
            ".5",
            "0.0000000000000000001",
            "1e3",
            "abc",
            "1.2.3",
            "--1",
        ] {
            assert_eq!(dec_atomics(bad), None, "{bad:?}");
        }
        for atomics in [
            "0",
            "1",
            "100000000000000000",
            "123456789012345678901234567890",
        ] {
            assert_eq!(dec_atomics(&dec_text(atomics).unwrap()).unwrap(), atomics);
        }
    }

    #[test]
    fn annotated_decimals_are_written_as_decimals() {
        use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
        use cosmrs::proto::cosmos::staking::v1beta1 as staking;

        let params = slashing::QueryParamsResponse {
            params: Some(slashing::Params {
                signed_blocks_window: 100,
                min_signed_per_window: b"500000000000000000".to_vec(),
                downtime_jail_duration: None,
                slash_fraction_double_sign: b"50000000000000000".to_vec(),
                slash_fraction_downtime: Vec::new(),
            }),
        };
        assert_eq!(
            json_of("cosmos.slashing.v1beta1.QueryParamsResponse", &params),
            r#"{"params":{"signed_blocks_window":"100","min_signed_per_window":"0.500000000000000000","downtime_jail_duration":null,"slash_fraction_double_sign":"0.050000000000000000","slash_fraction_downtime":null}}"#
        );

        let rates = staking::CommissionRates {
            rate: "100000000000000000".into(),
            max_rate: "200000000000000000".into(),
            max_change_rate: "10000000000000000".into(),
        };
        assert_eq!(
            json_of("cosmos.staking.v1beta1.CommissionRates", &rates),
            r#"{"rate":"0.100000000000000000","max_rate":"0.200000000000000000","max_change_rate":"0.010000000000000000"}"#
        );
        let resp = staking::QueryValidatorResponse {
            validator: Some(staking::Validator {
                operator_address: "depinvaloper1abc".into(),
                tokens: "10000000".into(),
                delegator_shares: "10000000000000000000000000".into(),
                min_self_delegation: "1".into(),
                commission: Some(staking::Commission {
                    commission_rates: Some(rates),
                    update_time: None,
                }),
                ..Default::default()
            }),
        };
        let json: serde_json::Value = serde_json::from_str(&json_of(
            "cosmos.staking.v1beta1.QueryValidatorResponse",
            &resp,
        ))
        .unwrap();
        let v = &json["validator"];
        // Integers (Int) stay integers; only the decimals (LegacyDec) change.
        assert_eq!(v["tokens"], "10000000");
        assert_eq!(v["min_self_delegation"], "1");
        assert_eq!(v["delegator_shares"], "10000000.000000000000000000");
        assert_eq!(
            v["commission"]["commission_rates"]["rate"],
            "0.100000000000000000"
        );

        // Inside an Any too; an empty (nil) decimal is null, as Go writes a nil LegacyDec.
        let edit = staking::MsgEditValidator {
            description: None,
            validator_address: "depinvaloper1abc".into(),
            commission_rate: String::new(),
            min_self_delegation: String::new(),
        };
        let any = cosmrs::Any {
            type_url: "/cosmos.staking.v1beta1.MsgEditValidator".into(),
            value: edit.encode_to_vec(),
        };
        assert_eq!(
            json_of("google.protobuf.Any", &any),
            r#"{"@type":"/cosmos.staking.v1beta1.MsgEditValidator","description":null,"validator_address":"depinvaloper1abc","commission_rate":null,"min_self_delegation":""}"#
        );
    }

    #[test]
    fn decimals_are_read_from_decimal_text() {
        use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
        use cosmrs::proto::cosmos::staking::v1beta1 as staking;

        let pool = pool();
        let desc = pool
            .get_message_by_name("cosmos.slashing.v1beta1.Params")
            .unwrap();
        let m = from_json(
            desc.clone(),
            br#"{"signed_blocks_window":"7","min_signed_per_window":"0.5","slashFractionDowntime":"0.010000000000000000"}"#,
        )
        .unwrap();
        let params = slashing::Params::decode(m.encode_to_vec().as_slice()).unwrap();
        assert_eq!(params.signed_blocks_window, 7);
        assert_eq!(params.min_signed_per_window, b"500000000000000000");
        assert_eq!(params.slash_fraction_downtime, b"10000000000000000");
        let err = from_json(desc, br#"{"min_signed_per_window":"half"}"#).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);

        // Through lists and Anys: a simulated transaction editing a validator's commission.
        let desc = pool
            .get_message_by_name("cosmos.tx.v1beta1.SimulateRequest")
            .unwrap();
        let body = r#"{"tx":{"body":{"messages":[{"@type":"/cosmos.staking.v1beta1.MsgEditValidator","validator_address":"depinvaloper1abc","commission_rate":"0.05"}]}}}"#;
        let m = from_json(desc, body.as_bytes()).unwrap();
        #[allow(deprecated)]
        let tx = cosmrs::proto::cosmos::tx::v1beta1::SimulateRequest::decode(
            m.encode_to_vec().as_slice(),
        )
        .unwrap()
        .tx
        .unwrap();
        let any = &tx.body.unwrap().messages[0];
        let edit = staking::MsgEditValidator::decode(any.value.as_slice()).unwrap();
        assert_eq!(edit.commission_rate, "50000000000000000");

        // And from the URL.
        let desc = pool
            .get_message_by_name("cosmos.staking.v1beta1.CommissionRates")
            .unwrap();
        let mut m = DynamicMessage::new(desc);
        set_param(&mut m, "rate", "0.25").unwrap();
        assert!(set_param(&mut m, "max_rate", "1/4").is_err());
        let rates = staking::CommissionRates::decode(m.encode_to_vec().as_slice()).unwrap();
        assert_eq!(rates.rate, "250000000000000000");
    }

    #[test]
    fn url_parameters_fill_the_request() {
        let pool = pool();
        let desc = pool
            .get_message_by_name("cosmos.tx.v1beta1.GetTxsEventRequest")
            .unwrap();
        let mut m = DynamicMessage::new(desc.clone());
        for (k, v) in [
            ("events", "message.sender='a'"),
            ("events", "transfer.amount='5udepin'"),
            ("order_by", "ORDER_BY_DESC"),
            ("pagination.limit", "10"),
            ("pagination.count_total", "true"),
            ("pagination.key", "AQL/"),
            ("page", "18446744073709551615"),
        ] {
            set_param(&mut m, k, v).unwrap();
        }
        #[allow(deprecated)]
        let req = cosmrs::proto::cosmos::tx::v1beta1::GetTxsEventRequest::decode(
            m.encode_to_vec().as_slice(),
        )
        .unwrap();
        #[allow(deprecated)]
        {
            assert_eq!(
                req.events,
                ["message.sender='a'", "transfer.amount='5udepin'"]
            );
            let page = req.pagination.unwrap();
            assert_eq!((page.limit, page.count_total), (10, true));
            assert_eq!(page.key, [1, 2, 255]);
        }
        assert_eq!(req.order_by, 2);
        assert_eq!(req.page, u64::MAX);

        let mut m = DynamicMessage::new(desc);
        assert!(set_param(&mut m, "order_by", "SIDEWAYS").is_err());
        assert!(set_param(&mut m, "page", "-1").is_err());
        assert!(set_param(&mut m, "pagination.limit", "ten").is_err());
        assert!(set_param(&mut m, "pagination", "x").is_err());
    }

    #[test]
    fn bodies_accept_proto_and_json_names() {
        let desc = pool()
            .get_message_by_name("cosmos.tx.v1beta1.BroadcastTxRequest")
            .unwrap();
        for body in [
            r#"{"tx_bytes":"AQI=","mode":"BROADCAST_MODE_SYNC"}"#,
            r#"{"txBytes":"AQI=","mode":2}"#,
        ] {
            let m = from_json(desc.clone(), body.as_bytes()).unwrap();
            let req = cosmrs::proto::cosmos::tx::v1beta1::BroadcastTxRequest::decode(
                m.encode_to_vec().as_slice(),
            )
            .unwrap();
            assert_eq!((req.tx_bytes, req.mode), (vec![1, 2], 2));
        }
        let err = from_json(desc.clone(), br#"{"tx_bytes":"AQI=","nope":1}"#).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(from_json(desc, b"{").is_err());
    }

    #[test]
    fn templates_become_axum_paths() {
        assert_eq!(
            parse_template("/cosmos/bank/v1beta1/balances/{address}/by_denom").unwrap(),
            (
                "/cosmos/bank/v1beta1/balances/{v0}/by_denom".to_string(),
                vec!["address".to_string()]
            )
        );
        assert_eq!(
            parse_template("/a/{x.y}/{name=**}").unwrap(),
            (
                "/a/{v0}/{*v1}".to_string(),
                vec!["x.y".into(), "name".into()]
            )
        );
        assert!(parse_template("a/b").is_err());
        assert!(parse_template("/a/{x=**}/b").is_err());
        assert!(parse_template("/a/{x=b/*}").is_err());
        assert!(parse_template("/a//b").is_err());
    }

    #[test]
    fn grpc_codes_map_to_grpc_gateway_statuses() {
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            http_status(Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            http_status(Code::Unknown),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
