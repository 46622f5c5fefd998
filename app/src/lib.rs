//! depin-app: the framework every depin-sdk chain is built on.

pub mod store;
pub mod tx;
