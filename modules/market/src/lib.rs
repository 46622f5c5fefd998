//! The marketplace: providers sell compute and storage from their registered devices; tenants
//! order compute (bids, leases, streaming escrow settled lazily) and clients buy storage
//! (deals with collateral, proofs of storage every period, fault fees paid to the client).
//! Spec: README.md.

pub mod challenge;
pub mod merkle;

#[cfg(feature = "client")]
pub mod client;
