//! depin-app: the framework every depin-sdk chain is built on.

pub mod address;
pub mod app;
pub mod context;
pub mod error;
pub mod module;
pub mod node;
pub mod query;
pub mod store;
pub mod tx;
pub mod abci;
pub mod driver;
