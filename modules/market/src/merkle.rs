//! The Merkle tree over a storage deal's chunks and the verification of one chunk's proof.
//!
//! This is a consensus contract: the chain verifies proofs with [`verify_chunk`] and every
//! storage provider builds its tree to match (README.md, "Storage proofs"). Changing a byte of
//! the hashing here forks the chain and invalidates every deal's `data_root`.

use sha2::{Digest, Sha256};

/// Prefix of a leaf's hash input (keeps a leaf from being passed off as an inner node).
pub const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an inner node's hash input.
pub const NODE_PREFIX: u8 = 0x01;
/// The value of a padding leaf: a constant, not the hash of anything.
pub const PADDING_LEAF: [u8; 32] = [0u8; 32];

/// Why data cannot be chunked or a chunk's proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the data is empty: a storage deal needs at least 1 byte")]
    EmptyData,
    #[error("the chunk size is 0: it must be at least 1 byte")]
    ZeroChunkSize,
    #[error("the deal has no chunks to prove")]
    NoChunks,
    #[error("the data root is {len} bytes long: it must be a 32-byte SHA-256 hash")]
    RootLength { len: usize },
    #[error("chunk index {index} is out of range: the data has {n_chunks} chunks")]
    IndexOutOfRange { index: u64, n_chunks: u64 },
    #[error(
        "chunk {index} is {len} bytes long: every chunk must be exactly {chunk_size} bytes \
         (the last one zero-padded)"
    )]
    ChunkLength {
        index: u64,
        len: usize,
        chunk_size: u32,
    },
    #[error("the proof of chunk {index} has {len} sibling hashes: the tree needs exactly {depth}")]
    PathLength { index: u64, len: usize, depth: u32 },
    #[error(
        "sibling hash {level} in the proof of chunk {index} is {len} bytes long: it must be 32"
    )]
    SiblingLength { index: u64, level: u32, len: usize },
    #[error("the proof of chunk {index} does not lead to the deal's data root")]
    RootMismatch { index: u64 },
}

/// The number of chunks of `size_bytes` bytes of data cut into `chunk_size`-byte chunks
/// (the last one zero-padded): ceil(size_bytes / chunk_size).
pub fn n_chunks(size_bytes: u64, chunk_size: u32) -> Result<u64, ProofError> {
    if size_bytes == 0 {
        return Err(ProofError::EmptyData);
    }
    if chunk_size == 0 {
        return Err(ProofError::ZeroChunkSize);
    }
    let chunk_size = u64::from(chunk_size);
    // Written this way so that size_bytes = u64::MAX cannot overflow.
    Ok(size_bytes / chunk_size + u64::from(size_bytes % chunk_size != 0))
}

/// The number of levels above the leaves: log2 of `n_chunks` rounded up to a power of two
/// (0 for 0 or 1 chunk, 64 at most).
pub fn depth(n_chunks: u64) -> u32 {
    if n_chunks <= 1 {
        0
    } else {
        u64::BITS - (n_chunks - 1).leading_zeros()
    }
}

/// SHA-256(0x00 ‖ chunk), over the chunk as stored (zero-padded to the chunk size).
pub fn leaf_hash(chunk: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(chunk);
    h.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Checks that `chunk` is chunk `index` of the data committed to by `root`, given its sibling
/// hashes `path` from the leaf level up. Bit k of `index` says whether the running hash is the
/// right (1) or the left (0) child at level k.
pub fn verify_chunk(
    root: &[u8],
    n_chunks: u64,
    chunk_size: u32,
    index: u64,
    chunk: &[u8],
    path: &[Vec<u8>],
) -> Result<(), ProofError> {
    let root: &[u8; 32] = root
        .try_into()
        .map_err(|_| ProofError::RootLength { len: root.len() })?;
    if n_chunks == 0 {
        return Err(ProofError::NoChunks);
    }
    if chunk_size == 0 {
        return Err(ProofError::ZeroChunkSize);
    }
    if index >= n_chunks {
        return Err(ProofError::IndexOutOfRange { index, n_chunks });
    }
    // u32 always fits in usize on the targets we build for (32- and 64-bit).
    if chunk.len() as u64 != u64::from(chunk_size) {
        return Err(ProofError::ChunkLength {
            index,
            len: chunk.len(),
            chunk_size,
        });
    }
    let depth = depth(n_chunks);
    if path.len() as u64 != u64::from(depth) {
        return Err(ProofError::PathLength {
            index,
            len: path.len(),
            depth,
        });
    }
    let mut running = leaf_hash(chunk);
    for (level, sibling) in (0u32..).zip(path) {
        let sibling: &[u8; 32] =
            sibling
                .as_slice()
                .try_into()
                .map_err(|_| ProofError::SiblingLength {
                    index,
                    level,
                    len: sibling.len(),
                })?;
        // level < depth <= 64, so the shift is in range.
        running = if (index >> level) & 1 == 1 {
            node_hash(sibling, &running)
        } else {
            node_hash(&running, sibling)
        };
    }
    if &running == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { index })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Pinned vectors (computed with an independent script; see README.md, "Test vectors").
    pub(crate) const HELLO_WORLD_ROOT: &str =
        "2f9f0ac83ee986881fbf8484d935326498e53bf883cac99efeb78a998c98c9fd";
    pub(crate) const HELLO_WORLD_PATH_2: [&str; 2] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "b59917b3ebddfa8015e5346accd4f6c5e5fbbd3b5d623008a2ea494d96bb231c",
    ];
    pub(crate) const ABC_ROOT: &str =
        "d7004bade8695f89826ce17c722db69a1f4b51f0dc1aa2f012e44c48d853e434";
    pub(crate) const DIGITS_ROOT: &str =
        "e4c52b386179e5965f98271c90b918827c9c8a24efb77092d5a820bc903bd6b8";
    pub(crate) const DIGITS_PATH_4: [&str; 3] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ae0798d0ecaed2b778eddebf18f071a561c53658c05e76cedecc27cafbdbc577",
        "e5772f0c1f43c245a11348f25ed53902b08ee3d2fbbd94d9593317f2bb94611f",
    ];

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn h(s: &str) -> [u8; 32] {
        unhex(s).try_into().unwrap()
    }

    fn path(hexes: &[&str]) -> Vec<Vec<u8>> {
        hexes.iter().map(|s| unhex(s)).collect()
    }

    #[test]
    fn n_chunks_rounds_up_and_rejects_zero() {
        assert_eq!(n_chunks(11, 4), Ok(3));
        assert_eq!(n_chunks(12, 4), Ok(3));
        assert_eq!(n_chunks(13, 4), Ok(4));
        assert_eq!(n_chunks(1, u32::MAX), Ok(1));
        assert_eq!(n_chunks(u64::MAX, 1), Ok(u64::MAX));
        assert_eq!(
            n_chunks(u64::MAX, u32::MAX),
            Ok(u64::MAX / u64::from(u32::MAX))
        );
        assert_eq!(n_chunks(u64::MAX, 2), Ok(u64::MAX / 2 + 1));
        assert_eq!(n_chunks(0, 4), Err(ProofError::EmptyData));
        assert_eq!(n_chunks(5, 0), Err(ProofError::ZeroChunkSize));
    }

    #[test]
    fn depth_is_log2_of_the_padded_leaf_count() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (8, 3),
            (9, 4),
        ];
        for (n, d) in cases {
            assert_eq!(depth(n), d, "depth({n})");
        }
        assert_eq!(depth(1 << 63), 63);
        assert_eq!(depth((1 << 63) + 1), 64);
        assert_eq!(depth(u64::MAX), 64);
    }

    #[test]
    fn hashes_are_domain_separated() {
        // A leaf is SHA-256(0x00 ‖ chunk), a node SHA-256(0x01 ‖ left ‖ right).
        assert_eq!(
            leaf_hash(b"hell"),
            h("e80d8f0b7cfa0b470ae3f6a1306ccea92f802c5fa4cf9556c5707babbe67b4b8")
        );
        let (l, r) = (leaf_hash(b"ab"), leaf_hash(b"cd"));
        let mut concat = l.to_vec();
        concat.extend_from_slice(&r);
        assert_ne!(node_hash(&l, &r), leaf_hash(&concat));
        assert_ne!(node_hash(&l, &r), node_hash(&r, &l));
    }

    #[test]
    fn hello_world_vector_by_hand() {
        // "hell" | "o wo" | "rld\0" | padding leaf.
        let leaves = [
            leaf_hash(b"hell"),
            leaf_hash(b"o wo"),
            leaf_hash(b"rld\0"),
            PADDING_LEAF,
        ];
        let root = node_hash(
            &node_hash(&leaves[0], &leaves[1]),
            &node_hash(&leaves[2], &leaves[3]),
        );
        assert_eq!(root, h(HELLO_WORLD_ROOT));
        let p = path(&HELLO_WORLD_PATH_2);
        assert_eq!(verify_chunk(&root, 3, 4, 2, b"rld\0", &p), Ok(()));
        // Chunk 0's path: its sibling leaf, then the right subtree.
        let p0 = vec![
            leaves[1].to_vec(),
            node_hash(&leaves[2], &leaves[3]).to_vec(),
        ];
        assert_eq!(verify_chunk(&root, 3, 4, 0, b"hell", &p0), Ok(()));
    }

    #[test]
    fn single_chunk_root_is_its_leaf_and_the_path_is_empty() {
        let root = h(ABC_ROOT);
        assert_eq!(leaf_hash(b"abc\0\0\0\0\0"), root);
        assert_eq!(verify_chunk(&root, 1, 8, 0, b"abc\0\0\0\0\0", &[]), Ok(()));
        assert_eq!(
            verify_chunk(&root, 1, 8, 0, b"abd\0\0\0\0\0", &[]),
            Err(ProofError::RootMismatch { index: 0 })
        );
    }

    #[test]
    fn five_chunks_padded_to_eight() {
        let root = h(DIGITS_ROOT);
        let p = path(&DIGITS_PATH_4);
        assert_eq!(verify_chunk(&root, 5, 2, 4, b"89", &p), Ok(()));
        // The padding subtree is hashed like any other: node(node(0, 0), node(0, 0)) is not 0.
        let zero_pair = node_hash(&PADDING_LEAF, &PADDING_LEAF);
        assert_eq!(p[1], zero_pair.to_vec());
    }

    #[test]
    fn every_error_path() {
        let root = h(HELLO_WORLD_ROOT);
        let p = path(&HELLO_WORLD_PATH_2);
        let ok = |r: &[u8], n, cs, i, c: &[u8], p: &[Vec<u8>]| verify_chunk(r, n, cs, i, c, p);
        assert_eq!(
            ok(&root[..31], 3, 4, 2, b"rld\0", &p),
            Err(ProofError::RootLength { len: 31 })
        );
        assert_eq!(
            ok(&[], 3, 4, 2, b"rld\0", &p),
            Err(ProofError::RootLength { len: 0 })
        );
        assert_eq!(
            ok(&[0; 33], 3, 4, 2, b"rld\0", &p),
            Err(ProofError::RootLength { len: 33 })
        );
        assert_eq!(ok(&root, 0, 4, 0, b"rld\0", &p), Err(ProofError::NoChunks));
        assert_eq!(ok(&root, 3, 0, 2, b"", &p), Err(ProofError::ZeroChunkSize));
        assert_eq!(
            ok(&root, 3, 4, 3, b"rld\0", &p),
            Err(ProofError::IndexOutOfRange {
                index: 3,
                n_chunks: 3
            })
        );
        assert_eq!(
            ok(&root, 3, 4, u64::MAX, b"rld\0", &p),
            Err(ProofError::IndexOutOfRange {
                index: u64::MAX,
                n_chunks: 3
            })
        );
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld", &p),
            Err(ProofError::ChunkLength {
                index: 2,
                len: 3,
                chunk_size: 4
            })
        );
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld\0\0", &p),
            Err(ProofError::ChunkLength {
                index: 2,
                len: 5,
                chunk_size: 4
            })
        );
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld\0", &p[..1]),
            Err(ProofError::PathLength {
                index: 2,
                len: 1,
                depth: 2
            })
        );
        let mut long = p.clone();
        long.push(vec![0; 32]);
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld\0", &long),
            Err(ProofError::PathLength {
                index: 2,
                len: 3,
                depth: 2
            })
        );
        let mut short_sibling = p.clone();
        short_sibling[1].pop();
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld\0", &short_sibling),
            Err(ProofError::SiblingLength {
                index: 2,
                level: 1,
                len: 31
            })
        );
        assert_eq!(
            ok(&root, 3, 4, 2, b"rld\x01", &p),
            Err(ProofError::RootMismatch { index: 2 })
        );
        // Every message reads as a sentence a user understands.
        for e in [
            ProofError::EmptyData,
            ProofError::ZeroChunkSize,
            ProofError::NoChunks,
            ProofError::RootMismatch { index: 2 },
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn tampering_any_byte_breaks_the_proof() {
        let root = h(DIGITS_ROOT);
        let p = path(&DIGITS_PATH_4);
        let chunk = b"89".to_vec();
        assert_eq!(verify_chunk(&root, 5, 2, 4, &chunk, &p), Ok(()));
        for i in 0..chunk.len() {
            for bit in 0..8 {
                let mut c = chunk.clone();
                c[i] ^= 1 << bit;
                assert!(verify_chunk(&root, 5, 2, 4, &c, &p).is_err());
            }
        }
        for level in 0..p.len() {
            for byte in 0..32 {
                let mut q = p.clone();
                q[level][byte] ^= 0x80;
                assert!(verify_chunk(&root, 5, 2, 4, &chunk, &q).is_err());
            }
        }
        for index in (0..5).filter(|&i| i != 4) {
            assert!(verify_chunk(&root, 5, 2, index, &chunk, &p).is_err());
        }
        let mut r = root;
        r[31] ^= 1;
        assert!(verify_chunk(&r, 5, 2, 4, &chunk, &p).is_err());
        // A chunk count of another depth asks for a path of another length.
        assert_eq!(
            verify_chunk(&root, 9, 2, 4, &chunk, &p),
            Err(ProofError::PathLength {
                index: 4,
                len: 3,
                depth: 4
            })
        );
    }

    #[test]
    fn huge_claims_neither_overflow_nor_allocate() {
        // u64::MAX one-byte chunks: depth 64, index u64::MAX - 1 has its top bits set.
        let path: Vec<Vec<u8>> = (0..64).map(|_| vec![0u8; 32]).collect();
        assert_eq!(
            verify_chunk(&[0; 32], u64::MAX, 1, u64::MAX - 1, &[7], &path),
            Err(ProofError::RootMismatch {
                index: u64::MAX - 1
            })
        );
        assert_eq!(
            verify_chunk(&[0; 32], u64::MAX, u32::MAX, 0, &[7], &path),
            Err(ProofError::ChunkLength {
                index: 0,
                len: 1,
                chunk_size: u32::MAX
            })
        );
    }
}
