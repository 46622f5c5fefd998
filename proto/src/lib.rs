//! depin-proto: the protobuf side of depin-sdk.
//!
//! - Rust types for our own packages (`depin.<module>.v1`), generated at build time from the
//!   `.proto` files under `depin/`. They reuse the Cosmos SDK and CometBFT types of
//!   `cosmos-sdk-proto` and `tendermint-proto` wherever a message refers to one.
//! - [`FILE_DESCRIPTOR_SET`]: the descriptors of every service a node serves over gRPC (ours
//!   and the Cosmos SDK ones it implements), which the gRPC server hands to reflection
//!   clients such as grpcurl.

include!(concat!(env!("OUT_DIR"), "/_includes.rs"));

/// An encoded `google.protobuf.FileDescriptorSet` of every `.proto` file in this crate and the
/// well-known types they import.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin"));
