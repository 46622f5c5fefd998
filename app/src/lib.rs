//! depin-app: the framework every depin-sdk chain is built on.

pub mod abci;
pub mod address;
pub mod app;
pub mod coins;
pub mod context;
pub mod driver;
pub mod error;
pub mod grpc;
pub mod json;
pub mod module;
pub mod node;
pub mod query;
pub mod rest;
pub mod store;
pub mod tx;
