//! Storage challenges derived from block randomness (see README.md, "Storage proofs").
//!
//! A consensus contract like [`crate::merkle`]: the chain and every provider must derive the
//! same chunk indices from the same seed.

use sha2::{Digest, Sha256};

/// Domain tag of the seed, so a challenge seed is never a hash of some other protocol's input.
pub const SEED_DOMAIN: &[u8] = b"depin.market.v1.challenge";

/// The seed of a deal's challenges for one period:
/// SHA-256("depin.market.v1.challenge" ‖ block_hash ‖ deal_id (u64 BE) ‖ period (u64 BE)).
pub fn seed(block_hash: &[u8], deal_id: u64, period: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SEED_DOMAIN);
    h.update(block_hash);
    h.update(deal_id.to_be_bytes());
    h.update(period.to_be_bytes());
    h.finalize().into()
}

/// The `count` chunk indices challenged by `seed`, in the order a proof must answer them:
/// index k is the first 8 bytes (big-endian) of SHA-256(seed ‖ k (u32 BE)) modulo `n_chunks`.
/// Duplicates are kept. Empty when `n_chunks` is 0. `count` comes from the module's params,
/// which bound it.
pub fn indices(seed: &[u8; 32], n_chunks: u64, count: u32) -> Vec<u64> {
    if n_chunks == 0 {
        return Vec::new();
    }
    (0..count)
        .map(|k| {
            let mut h = Sha256::new();
            h.update(seed);
            h.update(k.to_be_bytes());
            let digest: [u8; 32] = h.finalize().into();
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            u64::from_be_bytes(first) % n_chunks
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::tests::unhex;

    /// Pinned: block hash 0x11 × 32, deal 7, period 3.
    const SEED: &str = "ebef12d34eb25c618f139f678af61943e908720fd6ba162b1aa7441448e539a1";

    #[test]
    fn seed_vector() {
        assert_eq!(seed(&[0x11; 32], 7, 3).to_vec(), unhex(SEED));
        assert_eq!(
            seed(&[], 0, 0).to_vec(),
            unhex("e6996f39f08be036b3a092a7317dc495458e9b3a00d5cfe1144f9f430085972b")
        );
        // Every input moves the seed.
        let base = seed(&[0x11; 32], 7, 3);
        assert_ne!(seed(&[0x12; 32], 7, 3), base);
        assert_ne!(seed(&[0x11; 32], 8, 3), base);
        assert_ne!(seed(&[0x11; 32], 7, 4), base);
    }

    #[test]
    fn indices_vector() {
        let s: [u8; 32] = unhex(SEED).try_into().unwrap();
        assert_eq!(indices(&s, 1000, 6), vec![86, 493, 958, 304, 369, 209]);
        // A prefix of a longer list: index k depends on k only.
        assert_eq!(indices(&s, 1000, 3), vec![86, 493, 958]);
        assert_eq!(indices(&s, 1, 3), vec![0, 0, 0]);
        assert_eq!(indices(&s, 1000, 0), Vec::<u64>::new());
        assert_eq!(indices(&s, 0, 5), Vec::<u64>::new());
    }

    #[test]
    fn duplicates_are_kept() {
        let s = seed(b"block", 1, 1);
        let picked = indices(&s, 2, 16);
        assert_eq!(picked.len(), 16);
        assert!(picked.contains(&0) && picked.contains(&1));
    }

    proptest::proptest! {
        #[test]
        fn indices_are_in_range_and_deterministic(
            block_hash in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            deal_id: u64,
            period: u64,
            n_chunks in 1u64..,
            count in 0u32..64,
        ) {
            let s = seed(&block_hash, deal_id, period);
            let picked = indices(&s, n_chunks, count);
            proptest::prop_assert_eq!(picked.len(), count as usize);
            proptest::prop_assert!(picked.iter().all(|&i| i < n_chunks));
            proptest::prop_assert_eq!(picked, indices(&seed(&block_hash, deal_id, period), n_chunks, count));
        }
    }
}
