//! Byte layouts of the database tables. One look shows how committed state is laid out.
//!
//! `kv` is the ordered key index: every version of every key, in key order and then version
//! order, so that a read at version `v` is one bounded seek and iteration is a scan.
//! Keys are escaped so that the encoding is order-preserving and prefix-free:
//! `0x00` becomes `0x00 0x01`, and the key ends with `0x00 0x00`; the version follows big-endian.

/// Keyspace names. Each holds raw bytes; the layouts are below.
///
/// - `latest`: key → version(BE) ++ value, for every key present in the latest version: the
///   hot path (block execution, CheckTx, queries at the latest height) is a point read.
/// - `kv`: encoded(key) ++ version(BE) → tag byte (0 deleted, 1 present) ++ value: history,
///   for reads of older versions and for proofs.
/// - `jmt_nodes`: version(BE) ++ borsh(nibble path) → borsh(Node): the Jellyfish Merkle tree.
///   Version first, so that the nodes one commit writes are adjacent (see [`node_key`]).
/// - `preimages`: sha256(key) → key. The tree hashes keys; proofs of absence need the
///   neighbours' keys back.
/// - `stale`: version(BE) → borsh(StaleList): what stops being readable once that version is
///   the oldest retained (entries it superseded, its own deletion markers, tree nodes it
///   replaced). One row per version, so a commit adds one row and pruning reads one.
/// - `roots`: version(BE) → root hash, for every retained version.
/// - `meta`: name → u64(BE), see the `META_*` names.
pub(crate) const LATEST: &str = "latest";
pub(crate) const KV: &str = "kv";
pub(crate) const NODES: &str = "jmt_nodes";
pub(crate) const PREIMAGES: &str = "preimages";
pub(crate) const STALE: &str = "stale";
pub(crate) const ROOTS: &str = "roots";
pub(crate) const META: &str = "meta";

pub(crate) const META_LATEST: &[u8] = b"latest_version";
pub(crate) const META_OLDEST: &[u8] = b"oldest_version";
/// Present while a snapshot restore has written data but not yet verified it.
pub(crate) const META_RESTORING: &[u8] = b"restoring_version";

pub(crate) const TAG_DELETED: u8 = 0;
pub(crate) const TAG_PRESENT: u8 = 1;

/// Order-preserving, prefix-free encoding of a user key (without version).
pub(crate) fn encode_key(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 10);
    for &b in key {
        if b == 0 {
            out.extend_from_slice(&[0, 1]);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&[0, 0]);
    out
}

pub(crate) fn kv_key(key: &[u8], version: u64) -> Vec<u8> {
    let mut out = encode_key(key);
    out.extend_from_slice(&version.to_be_bytes());
    out
}

/// Splits a kv table key into (user key, version). `None` for bytes we did not write.
pub(crate) fn decode_kv_key(raw: &[u8]) -> Option<(Vec<u8>, u64)> {
    if raw.len() < 10 {
        return None;
    }
    let (enc, ver) = raw.split_at(raw.len() - 8);
    let version = u64::from_be_bytes(ver.try_into().ok()?);
    let mut key = Vec::with_capacity(enc.len());
    let mut i = 0;
    while i < enc.len() {
        if enc[i] == 0 {
            match enc.get(i + 1)? {
                0 if i + 2 == enc.len() => return Some((key, version)),
                1 => key.push(0),
                _ => return None,
            }
            i += 2;
        } else {
            key.push(enc[i]);
            i += 1;
        }
    }
    None
}

/// The encoded-key part of a kv table key (drops the version).
pub(crate) fn kv_key_prefix(raw: &[u8]) -> &[u8] {
    &raw[..raw.len().saturating_sub(8)]
}

/// The database key of a tree node. (borsh would put the version first but little-endian,
/// scattering one commit's nodes over the whole table: one dirty page per node.)
pub(crate) fn node_key(key: &jmt::storage::NodeKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 12 + 32);
    out.extend_from_slice(&key.version().to_be_bytes());
    // Serialising into a Vec cannot fail.
    let _ = borsh::to_writer(&mut out, key.nibble_path());
    out
}

/// Keys made unreachable by one version: kv table keys and tree node keys.
#[derive(Default, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) struct StaleList {
    pub(crate) kv: Vec<Vec<u8>>,
    pub(crate) nodes: Vec<Vec<u8>>,
}

pub(crate) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(TAG_PRESENT);
            out.extend_from_slice(v);
            out
        }
        None => vec![TAG_DELETED],
    }
}

pub(crate) fn latest_value(version: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// Splits a `latest` row into (version, value).
pub(crate) fn decode_latest(raw: &[u8]) -> Option<(u64, &[u8])> {
    let (ver, value) = raw.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*ver), value))
}

pub(crate) fn decode_value(raw: &[u8]) -> Option<Vec<u8>> {
    match raw.split_first() {
        Some((&TAG_PRESENT, v)) => Some(v.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn encoding_preserves_order_and_round_trips(
            a in proptest::collection::vec(0u8..4, 0..6),
            b in proptest::collection::vec(0u8..4, 0..6),
            va in any::<u64>(), vb in any::<u64>(),
        ) {
            let (ka, kb) = (kv_key(&a, va), kv_key(&b, vb));
            prop_assert_eq!((a.clone(), va).cmp(&(b.clone(), vb)), ka.cmp(&kb));
            prop_assert_eq!(decode_kv_key(&ka), Some((a.clone(), va)));
            prop_assert_eq!(encode_key(&a) <= ka, true);
            prop_assert_eq!(kv_key_prefix(&ka), &encode_key(&a)[..]);
        }
    }
}
