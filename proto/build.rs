//! Compiles every .proto under this crate with protox (no system protoc): the encoded
//! descriptor set of all of them, for gRPC reflection, and Rust code for our own `depin.*`
//! packages. The `cosmos.*` and `tendermint.*` declarations only feed the descriptor set:
//! their Rust types come from cosmos-sdk-proto and tendermint-proto. `google/api` declares the
//! `google.api.http` method option; `encode_file_descriptor_set` keeps such options, so the
//! REST gateway (depin_app::rest) reads each method's route from the descriptors; likewise
//! `cosmos_proto/` declares the `cosmos_proto.scalar` field option that marks decimals.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));

    let mut files = Vec::new();
    for dir in ["cosmos", "cosmos_proto", "depin", "google", "tendermint"] {
        println!("cargo:rerun-if-changed={dir}");
        proto_files(&root.join(dir), &mut files);
    }
    files.sort();
    let names: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(&root).expect("under the root").to_path_buf())
        .collect();

    // Imports (the well-known types protox bundles) are included so that reflection clients
    // can resolve every type; comments are kept for `grpcurl describe`.
    let mut compiler = protox::Compiler::new([&root])
        .unwrap_or_else(|e| panic!("the include path {}: {e:?}", root.display()));
    compiler.include_imports(true).include_source_info(true);
    if let Err(e) = compiler.open_files(&names) {
        panic!("compiling the .proto files: {e:?}");
    }
    std::fs::write(
        out.join("file_descriptor_set.bin"),
        compiler.encode_file_descriptor_set(),
    )
    .expect("writing the descriptor set");

    // Every file goes to prost-build, so that it knows the messages our fields refer to; code
    // comes out for the `depin.*` packages only, since every other package is extern.
    let all = compiler.file_descriptor_set();
    prost_build::Config::new()
        .enable_type_names()
        .include_file("_includes.rs")
        // Our messages reuse the Cosmos and CometBFT types clients already have.
        .extern_path(".cosmos", "::cosmos_sdk_proto::cosmos")
        .extern_path(".tendermint", "::tendermint_proto")
        .extern_path(
            ".google.protobuf.Any",
            "::tendermint_proto::google::protobuf::Any",
        )
        .extern_path(
            ".google.protobuf.Timestamp",
            "::tendermint_proto::google::protobuf::Timestamp",
        )
        .extern_path(
            ".google.protobuf.Duration",
            "::tendermint_proto::google::protobuf::Duration",
        )
        // Options only: no message of ours refers to these.
        .extern_path(".google.api", "::depin_proto_unused::google::api")
        .extern_path(".cosmos_proto", "::depin_proto_unused::cosmos_proto")
        .compile_fds(all)
        .expect("generating Rust for the depin packages");
}

/// Every `.proto` file under `dir`.
fn proto_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            proto_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
}
