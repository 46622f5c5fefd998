//! The storage client library (feature `client`): what a client needs to propose a deal over
//! its data and what a storage provider daemon needs to answer the chain's challenges.
//!
//! The tree built here matches [`crate::merkle::verify_chunk`] byte for byte (README.md,
//! "Storage proofs").

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

use cosmrs::proto::cosmos::base::v1beta1::Coin;
use depin_proto::depin::market::v1::{ChunkProof, MsgProposeDeal, MsgSubmitStorageProof};
use sha2::{Digest, Sha256};

use crate::merkle::{self, ProofError, LEAF_PREFIX, PADDING_LEAF};

/// Reads are done in pieces of this size, so a huge chunk size does not mean a huge buffer.
const READ_BUFFER: usize = 64 * 1024;

/// Why a tree cannot be built or a challenge cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("reading the data: {0}")]
    Io(#[from] io::Error),
    #[error("the data is {len} bytes long but the tree was built over {size_bytes} bytes")]
    SizeMismatch { len: u64, size_bytes: u64 },
    #[error("chunk {index} of the data does not match the tree: the data changed since")]
    ChunkMismatch { index: u64 },
    #[error("the data is too large for this machine to hold its tree")]
    TooLarge,
}

/// The Merkle tree over a piece of data's chunks. Holds the hashes only, never the data.
#[derive(Clone, PartialEq, Eq)]
pub struct MerkleTree {
    chunk_size: u32,
    size_bytes: u64,
    n_chunks: u64,
    /// `levels[0]`: the leaf hashes padded with [`PADDING_LEAF`] to a power of two;
    /// each next level half as long; the last one is `[root]`.
    levels: Vec<Vec<[u8; 32]>>,
}

impl fmt::Debug for MerkleTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerkleTree")
            .field("root", &hex(&self.root()))
            .field("size_bytes", &self.size_bytes)
            .field("chunk_size", &self.chunk_size)
            .field("n_chunks", &self.n_chunks)
            .finish()
    }
}

impl MerkleTree {
    /// The tree over `data` held in memory.
    pub fn build(data: &[u8], chunk_size: u32) -> Result<MerkleTree, ProofError> {
        let n_chunks = merkle::n_chunks(data.len() as u64, chunk_size)?;
        let leaves = data
            .chunks(usize::try_from(chunk_size).unwrap_or(usize::MAX))
            .map(|chunk| padded_leaf_hash(chunk, chunk_size))
            .collect();
        Ok(Self::from_leaves(
            chunk_size,
            data.len() as u64,
            n_chunks,
            leaves,
        ))
    }

    /// The tree over everything `reader` yields, read chunk by chunk: only the hashes stay in
    /// memory, so a file far larger than memory can be committed to.
    pub fn from_reader(mut reader: impl Read, chunk_size: u32) -> Result<MerkleTree, ClientError> {
        if chunk_size == 0 {
            return Err(ProofError::ZeroChunkSize.into());
        }
        let mut buf = vec![0u8; READ_BUFFER];
        let mut leaves = Vec::new();
        let mut size_bytes = 0u64;
        loop {
            let mut hasher = Sha256::new();
            hasher.update([LEAF_PREFIX]);
            let mut filled = 0u64;
            let want = u64::from(chunk_size);
            while filled < want {
                let piece = usize::try_from(want - filled)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                let read = match reader.read(&mut buf[..piece]) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                };
                hasher.update(&buf[..read]);
                filled += read as u64;
            }
            if filled == 0 {
                break;
            }
            size_bytes = size_bytes
                .checked_add(filled)
                .ok_or(ClientError::TooLarge)?;
            hash_zeros(&mut hasher, want - filled);
            leaves.push(hasher.finalize().into());
            if filled < want {
                break;
            }
        }
        let n_chunks = merkle::n_chunks(size_bytes, chunk_size)?;
        Ok(Self::from_leaves(chunk_size, size_bytes, n_chunks, leaves))
    }

    fn from_leaves(
        chunk_size: u32,
        size_bytes: u64,
        n_chunks: u64,
        mut leaves: Vec<[u8; 32]>,
    ) -> MerkleTree {
        debug_assert_eq!(leaves.len() as u64, n_chunks);
        // The leaves are already in memory, so their padded count fits in usize.
        leaves.resize(leaves.len().next_power_of_two(), PADDING_LEAF);
        let mut levels = vec![leaves];
        while let Some(level) = levels.last().filter(|level| level.len() > 1) {
            let parents = level
                .chunks_exact(2)
                .map(|pair| merkle::node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(parents);
        }
        MerkleTree {
            chunk_size,
            size_bytes,
            n_chunks,
            levels,
        }
    }

    /// The data root to put in the deal.
    pub fn root(&self) -> [u8; 32] {
        self.levels
            .last()
            .and_then(|top| top.first())
            .copied()
            .unwrap_or(PADDING_LEAF)
    }

    pub fn n_chunks(&self) -> u64 {
        self.n_chunks
    }

    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// The number of sibling hashes in every proof.
    pub fn depth(&self) -> u32 {
        merkle::depth(self.n_chunks)
    }

    /// The sibling hashes of chunk `index` from the leaf level up (a [`ChunkProof`]'s `path`).
    pub fn path(&self, index: u64) -> Result<Vec<Vec<u8>>, ProofError> {
        let mut position = self.leaf_position(index)?;
        let mut path = Vec::with_capacity(self.levels.len().saturating_sub(1));
        for level in &self.levels[..self.levels.len() - 1] {
            path.push(level[position ^ 1].to_vec());
            position >>= 1;
        }
        Ok(path)
    }

    fn leaf_position(&self, index: u64) -> Result<usize, ProofError> {
        if index >= self.n_chunks {
            return Err(ProofError::IndexOutOfRange {
                index,
                n_chunks: self.n_chunks,
            });
        }
        // index < n_chunks = the number of leaves held in memory, so it fits.
        Ok(index as usize)
    }

    /// Checks `chunk` (padded) against the tree's leaf `index`.
    fn check_chunk(&self, index: u64, chunk: &[u8]) -> Result<(), ClientError> {
        let position = self.leaf_position(index)?;
        if merkle::leaf_hash(chunk) == self.levels[0][position] {
            Ok(())
        } else {
            Err(ClientError::ChunkMismatch { index })
        }
    }
}

/// Chunk `index` of `data`, zero-padded to `chunk_size` bytes (all zeros past the data's end).
pub fn chunk_of(data: &[u8], index: u64, chunk_size: u32) -> Vec<u8> {
    let size = usize::try_from(chunk_size).unwrap_or(usize::MAX);
    let mut chunk = vec![0u8; size];
    let start = index
        .checked_mul(u64::from(chunk_size))
        .and_then(|start| usize::try_from(start).ok());
    if let Some(start) = start.filter(|&start| start < data.len()) {
        let end = data.len().min(start.saturating_add(size));
        chunk[..end - start].copy_from_slice(&data[start..end]);
    }
    chunk
}

/// The proofs of the challenged chunks `indices` of `data` (in memory), in the same order.
/// Fails, rather than producing a proof the chain would reject, if `data` is not the data the
/// tree was built over.
pub fn answer(
    tree: &MerkleTree,
    data: &[u8],
    indices: &[u64],
) -> Result<Vec<ChunkProof>, ClientError> {
    if data.len() as u64 != tree.size_bytes {
        return Err(ClientError::SizeMismatch {
            len: data.len() as u64,
            size_bytes: tree.size_bytes,
        });
    }
    indices
        .iter()
        .map(|&index| {
            let path = tree.path(index)?;
            let chunk = chunk_of(data, index, tree.chunk_size);
            tree.check_chunk(index, &chunk)?;
            Ok(ChunkProof { index, chunk, path })
        })
        .collect()
}

/// [`answer`] reading only the challenged chunks from `reader` (typically the stored file).
pub fn answer_from_reader(
    tree: &MerkleTree,
    mut reader: impl Read + Seek,
    indices: &[u64],
) -> Result<Vec<ChunkProof>, ClientError> {
    let len = reader.seek(SeekFrom::End(0))?;
    if len != tree.size_bytes {
        return Err(ClientError::SizeMismatch {
            len,
            size_bytes: tree.size_bytes,
        });
    }
    let mut proofs = Vec::with_capacity(indices.len());
    for &index in indices {
        let path = tree.path(index)?;
        // index < n_chunks, so index × chunk_size < size_bytes: no overflow.
        let offset = index
            .checked_mul(u64::from(tree.chunk_size))
            .ok_or(ClientError::TooLarge)?;
        reader.seek(SeekFrom::Start(offset))?;
        let mut chunk = Vec::new();
        (&mut reader)
            .take(u64::from(tree.chunk_size))
            .read_to_end(&mut chunk)?;
        chunk.resize(
            usize::try_from(tree.chunk_size).map_err(|_| ClientError::TooLarge)?,
            0,
        );
        tree.check_chunk(index, &chunk)?;
        proofs.push(ChunkProof { index, chunk, path });
    }
    Ok(proofs)
}

/// The provider's answer to one period's challenges.
pub fn proof_msg(
    provider: impl Into<String>,
    deal_id: u64,
    period: u64,
    proofs: Vec<ChunkProof>,
) -> MsgSubmitStorageProof {
    MsgSubmitStorageProof {
        provider: provider.into(),
        deal_id,
        period,
        proofs,
    }
}

/// A client's deal proposal over the data `tree` was built from.
pub fn propose_deal_msg(
    client: impl Into<String>,
    provider: impl Into<String>,
    tree: &MerkleTree,
    duration_periods: u64,
    price_per_period: Coin,
    provider_collateral: Coin,
) -> MsgProposeDeal {
    MsgProposeDeal {
        client: client.into(),
        provider: provider.into(),
        data_root: tree.root().to_vec(),
        size_bytes: tree.size_bytes,
        chunk_size: tree.chunk_size,
        duration_periods,
        price_per_period: Some(price_per_period),
        provider_collateral: Some(provider_collateral),
    }
}

/// The leaf hash of a chunk shorter than `chunk_size` (the last one) as if zero-padded,
/// without allocating the padding.
fn padded_leaf_hash(chunk: &[u8], chunk_size: u32) -> [u8; 32] {
    if chunk.len() as u64 == u64::from(chunk_size) {
        return merkle::leaf_hash(chunk);
    }
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(chunk);
    hash_zeros(&mut hasher, u64::from(chunk_size) - chunk.len() as u64);
    hasher.finalize().into()
}

fn hash_zeros(hasher: &mut Sha256, mut count: u64) {
    const ZEROS: [u8; 4096] = [0u8; 4096];
    while count > 0 {
        let piece = count.min(ZEROS.len() as u64);
        hasher.update(&ZEROS[..piece as usize]);
        count -= piece;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use proptest::prelude::*;

    use super::*;
    use crate::challenge;
    use crate::merkle::tests::{
        unhex, ABC_ROOT, DIGITS_PATH_4, DIGITS_ROOT, HELLO_WORLD_PATH_2, HELLO_WORLD_ROOT,
    };

    fn verify(tree: &MerkleTree, proof: &ChunkProof) -> Result<(), ProofError> {
        merkle::verify_chunk(
            &tree.root(),
            tree.n_chunks(),
            tree.chunk_size(),
            proof.index,
            &proof.chunk,
            &proof.path,
        )
    }

    #[test]
    fn pinned_roots() {
        let tree = MerkleTree::build(b"hello world", 4).unwrap();
        assert_eq!(tree.root().to_vec(), unhex(HELLO_WORLD_ROOT));
        assert_eq!(
            (tree.n_chunks(), tree.depth(), tree.size_bytes()),
            (3, 2, 11)
        );
        let path2: Vec<Vec<u8>> = HELLO_WORLD_PATH_2.iter().map(|s| unhex(s)).collect();
        assert_eq!(tree.path(2).unwrap(), path2);
        assert_eq!(chunk_of(b"hello world", 2, 4), b"rld\0");

        let single = MerkleTree::build(b"abc", 8).unwrap();
        assert_eq!(single.root().to_vec(), unhex(ABC_ROOT));
        assert_eq!((single.n_chunks(), single.depth()), (1, 0));
        assert_eq!(single.path(0).unwrap(), Vec::<Vec<u8>>::new());

        let digits = MerkleTree::build(b"0123456789", 2).unwrap();
        assert_eq!(digits.root().to_vec(), unhex(DIGITS_ROOT));
        assert_eq!((digits.n_chunks(), digits.depth()), (5, 3));
        let path4: Vec<Vec<u8>> = DIGITS_PATH_4.iter().map(|s| unhex(s)).collect();
        assert_eq!(digits.path(4).unwrap(), path4);
    }

    #[test]
    fn build_rejects_bad_input() {
        assert_eq!(MerkleTree::build(b"", 4), Err(ProofError::EmptyData));
        assert_eq!(MerkleTree::build(b"abc", 0), Err(ProofError::ZeroChunkSize));
        assert!(matches!(
            MerkleTree::from_reader(&b""[..], 4),
            Err(ClientError::Proof(ProofError::EmptyData))
        ));
        assert!(matches!(
            MerkleTree::from_reader(&b"abc"[..], 0),
            Err(ClientError::Proof(ProofError::ZeroChunkSize))
        ));
        let tree = MerkleTree::build(b"hello world", 4).unwrap();
        assert_eq!(
            tree.path(3),
            Err(ProofError::IndexOutOfRange {
                index: 3,
                n_chunks: 3
            })
        );
    }

    #[test]
    fn padding_is_hashed_as_zero_bytes() {
        // The padding of a large chunk is streamed into the hash, not allocated; the leaf must
        // still equal the hash of the explicitly padded chunk.
        let chunk_size = (1 << 20) + 4099;
        let mut padded = b"abc".to_vec();
        padded.resize(chunk_size as usize, 0);
        let tree = MerkleTree::build(b"abc", chunk_size).unwrap();
        assert_eq!(tree.root(), merkle::leaf_hash(&padded));
        assert_eq!(
            MerkleTree::from_reader(&b"abc"[..], chunk_size).unwrap(),
            tree
        );
        assert_eq!(chunk_of(b"abc", 0, chunk_size), padded);
    }

    #[test]
    fn answers_and_messages() {
        let data = b"0123456789";
        let tree = MerkleTree::build(data, 2).unwrap();
        let proofs = answer(&tree, data, &[4, 0, 4]).unwrap();
        assert_eq!(
            proofs.iter().map(|p| p.index).collect::<Vec<_>>(),
            vec![4, 0, 4]
        );
        for p in &proofs {
            assert_eq!(verify(&tree, p), Ok(()));
        }
        let from_file = answer_from_reader(&tree, Cursor::new(data), &[4, 0, 4]).unwrap();
        assert_eq!(from_file, proofs);

        let msg = proof_msg("provider1", 9, 2, proofs.clone());
        assert_eq!(
            (msg.provider.as_str(), msg.deal_id, msg.period),
            ("provider1", 9, 2)
        );
        assert_eq!(msg.proofs, proofs);

        let coin = |amount: &str| Coin {
            denom: "udepin".into(),
            amount: amount.into(),
        };
        let deal = propose_deal_msg("client1", "provider1", &tree, 12, coin("5"), coin("100"));
        assert_eq!(deal.data_root, unhex(DIGITS_ROOT));
        assert_eq!(
            (deal.size_bytes, deal.chunk_size, deal.duration_periods),
            (10, 2, 12)
        );
        assert_eq!(
            (deal.client.as_str(), deal.provider.as_str()),
            ("client1", "provider1")
        );
        assert_eq!(deal.price_per_period, Some(coin("5")));
        assert_eq!(deal.provider_collateral, Some(coin("100")));
    }

    #[test]
    fn answering_with_other_data_fails_early() {
        let tree = MerkleTree::build(b"0123456789", 2).unwrap();
        assert!(matches!(
            answer(&tree, b"012345678", &[0]),
            Err(ClientError::SizeMismatch {
                len: 9,
                size_bytes: 10
            })
        ));
        assert!(matches!(
            answer(&tree, b"0123456x89", &[0, 3]),
            Err(ClientError::ChunkMismatch { index: 3 })
        ));
        assert!(matches!(
            answer(&tree, b"0123456789", &[5]),
            Err(ClientError::Proof(ProofError::IndexOutOfRange {
                index: 5,
                n_chunks: 5
            }))
        ));
        assert!(matches!(
            answer_from_reader(&tree, Cursor::new(b"01234567890"), &[0]),
            Err(ClientError::SizeMismatch {
                len: 11,
                size_bytes: 10
            })
        ));
        assert!(matches!(
            answer_from_reader(&tree, Cursor::new(b"0123456x89"), &[3]),
            Err(ClientError::ChunkMismatch { index: 3 })
        ));
    }

    #[test]
    fn chunk_of_pads_and_never_panics() {
        assert_eq!(chunk_of(b"abcde", 0, 2), b"ab");
        assert_eq!(chunk_of(b"abcde", 2, 2), b"e\0");
        assert_eq!(chunk_of(b"abcde", 3, 2), b"\0\0");
        assert_eq!(chunk_of(b"abcde", u64::MAX, 2), b"\0\0");
        assert_eq!(chunk_of(b"abcde", 0, 0), b"");
    }

    /// A reader that hands out at most 3 bytes per call and is interrupted now and then.
    struct Trickle<'a> {
        data: &'a [u8],
        calls: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 4 == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(3).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    struct Broken;

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }

    #[test]
    fn from_reader_survives_short_reads_and_reports_errors() {
        let data: Vec<u8> = (0..=255).cycle().take(1000).collect();
        let tree = MerkleTree::build(&data, 7).unwrap();
        let streamed = MerkleTree::from_reader(
            Trickle {
                data: &data,
                calls: 0,
            },
            7,
        )
        .unwrap();
        assert_eq!(streamed, tree);
        let err = MerkleTree::from_reader(Broken, 7).unwrap_err();
        assert!(matches!(err, ClientError::Io(_)));
        assert!(err.to_string().contains("disk on fire"));
    }

    #[test]
    fn a_provider_answers_a_challenge_the_chain_accepts() {
        let data: Vec<u8> = (0u32..5000).map(|i| (i * 31 % 251) as u8).collect();
        let tree = MerkleTree::build(&data, 64).unwrap();
        let seed = challenge::seed(&[0xab; 32], 42, 1);
        let picked = challenge::indices(&seed, tree.n_chunks(), 8);
        let proofs = answer(&tree, &data, &picked).unwrap();
        for (proof, &index) in proofs.iter().zip(&picked) {
            assert_eq!(proof.index, index);
            assert_eq!(verify(&tree, proof), Ok(()));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_proof_verifies_and_wrong_ones_fail(
            data in proptest::collection::vec(any::<u8>(), 1..600),
            chunk_size in 1u32..70,
            pick in any::<u64>(),
            flip in any::<u64>(),
        ) {
            let tree = MerkleTree::build(&data, chunk_size).unwrap();
            let streamed = MerkleTree::from_reader(Cursor::new(&data), chunk_size).unwrap();
            prop_assert_eq!(&streamed, &tree);
            prop_assert_eq!(tree.n_chunks(), merkle::n_chunks(data.len() as u64, chunk_size).unwrap());

            let n = tree.n_chunks();
            let all: Vec<u64> = (0..n).collect();
            let proofs = answer(&tree, &data, &all).unwrap();
            prop_assert_eq!(&answer_from_reader(&tree, Cursor::new(&data), &all).unwrap(), &proofs);
            for proof in &proofs {
                prop_assert_eq!(proof.path.len() as u32, tree.depth());
                prop_assert_eq!(verify(&tree, proof), Ok(()));
            }

            // The proof of one chunk presented under another index fails, unless the two chunks
            // are identical and so are their paths (then it *is* that chunk's proof).
            let proof = &proofs[(pick % n) as usize];
            let other = (proof.index + 1 + flip % n.max(2)) % n;
            if other != proof.index {
                let moved = ChunkProof { index: other, ..proof.clone() };
                let same = proofs[other as usize] == moved;
                prop_assert_eq!(verify(&tree, &moved).is_ok(), same);
            }
            // Any flipped bit in a sibling or in the chunk fails.
            if !proof.path.is_empty() {
                let mut bad = proof.clone();
                let level = (flip % bad.path.len() as u64) as usize;
                bad.path[level][(flip / 7 % 32) as usize] ^= 1 << (flip % 8);
                prop_assert!(verify(&tree, &bad).is_err());
            }
            let mut bad = proof.clone();
            let byte = (flip % bad.chunk.len() as u64) as usize;
            bad.chunk[byte] ^= 1 << (pick % 8);
            prop_assert!(verify(&tree, &bad).is_err());
        }
    }
}
