//! Every collection slashing keeps, under the module prefix `slashing/`. Validators are keyed
//! by their consensus address (sha256(ed25519 key)[..20], what CometBFT's votes carry).

use cosmwasm_std::Binary;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::params::Params;

pub const PREFIX: &[u8] = b"slashing/";

pub const PARAMS: Item<Params> = Item::new("p");

/// consensus address → liveness record.
pub const SIGNING_INFOS: Map<&[u8], SigningInfo> = Map::new("s");

/// (consensus address, chunk number) → the missed-block bits of window indexes
/// `chunk × CHUNK_BITS ..` (bit `i % 8` of byte `i / 8`), trailing zero bytes cut. A chunk
/// with no bit set is deleted, so a validator that signs everything stores nothing here.
pub const MISSED_CHUNKS: Map<(&[u8], u64), Binary> = Map::new("m");

/// Bits per bitmap chunk (128 bytes), as the Cosmos SDK's `MissedBlockBitmapChunkSize`.
pub const CHUNK_BITS: u64 = 1024;

/// A block time: seconds since the Unix epoch and nanoseconds. Wider than
/// `cosmwasm_std::Timestamp` so that "jailed forever" (9999-12-31T23:59:59Z, the SDK's
/// `DoubleSignJailEndTime`) fits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockTime {
    pub seconds: i64,
    pub nanos: u32,
}

/// 9999-12-31T23:59:59Z: the jail of a tombstoned validator never ends.
pub const FOREVER: BlockTime = BlockTime {
    seconds: 253_402_300_799,
    nanos: 0,
};

impl BlockTime {
    pub fn plus_seconds(self, seconds: u64) -> BlockTime {
        BlockTime {
            seconds: self
                .seconds
                .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
            nanos: self.nanos,
        }
    }

    pub fn to_proto(self) -> tendermint_proto::google::protobuf::Timestamp {
        tendermint_proto::google::protobuf::Timestamp {
            seconds: self.seconds,
            nanos: self.nanos as i32,
        }
    }

    pub fn rfc3339(self) -> String {
        tendermint::Time::from_unix_timestamp(self.seconds, self.nanos)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|_| format!("{}s", self.seconds))
    }

    pub fn parse_rfc3339(s: &str) -> Result<BlockTime, String> {
        let t = tendermint::Time::parse_from_rfc3339(s).map_err(|e| format!("time {s:?}: {e}"))?;
        let nanos = t.unix_timestamp_nanos();
        Ok(BlockTime {
            seconds: i64::try_from(nanos.div_euclid(1_000_000_000))
                .map_err(|_| format!("time {s:?} is out of range"))?,
            nanos: nanos.rem_euclid(1_000_000_000) as u32,
        })
    }
}

/// A validator's liveness record (`ValidatorSigningInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningInfo {
    /// The height from which its window counts (set when it (re)joins the bonded set).
    pub start_height: u64,
    /// The window index the next vote is written at; always below the window.
    pub index_offset: u64,
    /// Unjail is refused before this time.
    pub jailed_until: BlockTime,
    /// Double signed: jailed forever, never slashed again for it.
    pub tombstoned: bool,
    /// The number of bits set in its bitmap.
    pub missed_blocks_counter: u64,
}

impl SigningInfo {
    pub fn new(start_height: u64) -> Self {
        SigningInfo {
            start_height,
            ..Default::default()
        }
    }
}
