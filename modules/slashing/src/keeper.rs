//! What slashing needs from staking ([`SlashingStaking`], implemented here for
//! `depin_staking::StakingKeeper`), what other modules may call ([`SlashingKeeper`]), and the
//! staking hooks slashing registers ([`SlashingHooks`], combined with others by
//! [`MultiHooks`]).

use std::sync::Arc;

use cosmwasm_std::{Binary, Decimal256, Order, Uint128};
use depin_app::address::AddressCodec;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_staking::{BondStatus, StakingHooks, StakingKeeper};

use crate::params::Params;
use crate::state::{
    BlockTime, SigningInfo, CHUNK_BITS, MISSED_CHUNKS, PARAMS, PREFIX, SIGNING_INFOS,
};

/// A validator as slashing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakedValidator {
    pub operator: Vec<u8>,
    /// CometBFT address: sha256(ed25519 key)[..20].
    pub consensus: Vec<u8>,
    pub jailed: bool,
    /// Unbonded: out of the set and past its unbonding period, so no longer slashable.
    pub unbonded: bool,
    pub min_self_delegation: Uint128,
}

/// What slashing needs from the staking module.
pub trait SlashingStaking: Send + Sync + 'static {
    fn validator_by_consensus(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<StakedValidator>>;
    fn validator_by_operator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<StakedValidator>>;
    /// What the operator's own delegation is worth; `None` without one.
    fn self_delegation(&self, ctx: &mut Ctx<'_, '_>, operator: &[u8])
        -> AppResult<Option<Uint128>>;
    /// Burns `fraction` of the stake the validator had at `infraction_height` (with `power`),
    /// including unbonding and redelegation entries created since; returns the tokens burned.
    fn slash(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        infraction_height: u64,
        power: u64,
        fraction: Decimal256,
    ) -> AppResult<Uint128>;
    fn jail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()>;
    fn unjail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()>;
    /// Evidence older than this many seconds of block time is ignored: the stake it concerns
    /// may have left (the unbonding period).
    fn max_evidence_age(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64>;
    /// The denom slashes burn, for events.
    fn bond_denom(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<String>;
}

fn staked(v: depin_staking::Validator) -> StakedValidator {
    StakedValidator {
        consensus: v.consensus_address(),
        operator: v.operator.to_vec(),
        jailed: v.jailed,
        unbonded: v.status == BondStatus::Unbonded,
        min_self_delegation: v.min_self_delegation,
    }
}

impl SlashingStaking for StakingKeeper {
    fn validator_by_consensus(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<StakedValidator>> {
        Ok(self
            .validator_by_consensus_address(ctx, consensus)?
            .map(staked))
    }

    fn validator_by_operator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<StakedValidator>> {
        Ok(self.validator(ctx, operator)?.map(staked))
    }

    fn self_delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<Uint128>> {
        if self.delegation(ctx, operator, operator)?.is_none() {
            return Ok(None);
        }
        self.self_delegation_tokens(ctx, operator).map(Some)
    }

    fn slash(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        infraction_height: u64,
        power: u64,
        fraction: Decimal256,
    ) -> AppResult<Uint128> {
        StakingKeeper::slash(self, ctx, consensus, infraction_height, power, fraction)
    }

    fn jail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()> {
        StakingKeeper::jail(self, ctx, consensus)
    }

    fn unjail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()> {
        StakingKeeper::unjail(self, ctx, consensus)
    }

    fn max_evidence_age(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(self.params(ctx)?.unbonding_time)
    }

    fn bond_denom(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<String> {
        Ok(self.params(ctx)?.bond_denom)
    }
}

#[derive(Clone)]
pub struct SlashingKeeper {
    accounts: AddressCodec,
    operators: AddressCodec,
    consensus: AddressCodec,
    staking: Arc<dyn SlashingStaking>,
}

impl SlashingKeeper {
    /// `codec` is the chain's account codec; operator and consensus addresses use its prefix
    /// followed by `valoper` and `valcons`, as the staking keeper's do.
    pub fn new(codec: AddressCodec, staking: impl SlashingStaking) -> Self {
        let operators = AddressCodec::new(&format!("{}valoper", codec.prefix()));
        let consensus = AddressCodec::new(&format!("{}valcons", codec.prefix()));
        SlashingKeeper {
            accounts: codec,
            operators,
            consensus,
            staking: Arc::new(staking),
        }
    }

    /// The staking hooks slashing needs; register them with `StakingKeeper::set_hooks`
    /// (through [`MultiHooks`] when other modules need hooks too).
    pub fn hooks(&self) -> SlashingHooks {
        SlashingHooks
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.accounts
    }

    pub fn operator_codec(&self) -> &AddressCodec {
        &self.operators
    }

    pub fn consensus_codec(&self) -> &AddressCodec {
        &self.consensus
    }

    pub(crate) fn staking(&self) -> &dyn SlashingStaking {
        self.staking.as_ref()
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn signing_info(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<SigningInfo>> {
        Ok(SIGNING_INFOS.may_load(&ctx.storage(PREFIX), consensus)?)
    }

    pub(crate) fn set_signing_info(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        info: &SigningInfo,
    ) -> AppResult<()> {
        Ok(SIGNING_INFOS.save(&mut ctx.storage(PREFIX), consensus, info)?)
    }

    /// Whether the validator was tombstoned for double signing.
    pub fn is_tombstoned(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<bool> {
        Ok(self
            .signing_info(ctx, consensus)?
            .is_some_and(|i| i.tombstoned))
    }
}

/// The block time of `ctx`.
pub(crate) fn block_time(ctx: &Ctx<'_, '_>) -> BlockTime {
    BlockTime {
        seconds: ctx.env.time_seconds,
        nanos: ctx.env.time_nanos,
    }
}

// The missed-blocks bitmap: one read and at most one write per vote.

fn locate(index: u64) -> (u64, usize, u8) {
    let within = index % CHUNK_BITS;
    (
        index / CHUNK_BITS,
        (within / 8) as usize,
        1u8 << (within % 8),
    )
}

pub(crate) fn missed_bit(ctx: &mut Ctx<'_, '_>, consensus: &[u8], index: u64) -> AppResult<bool> {
    let (chunk, byte, mask) = locate(index);
    let bits = MISSED_CHUNKS.may_load(&ctx.storage(PREFIX), (consensus, chunk))?;
    Ok(bits
        .and_then(|b| b.get(byte).copied())
        .is_some_and(|b| b & mask != 0))
}

pub(crate) fn set_missed_bit(
    ctx: &mut Ctx<'_, '_>,
    consensus: &[u8],
    index: u64,
    missed: bool,
) -> AppResult<()> {
    let (chunk, byte, mask) = locate(index);
    let mut store = ctx.storage(PREFIX);
    let mut bits = MISSED_CHUNKS
        .may_load(&store, (consensus, chunk))?
        .map(|b| b.to_vec())
        .unwrap_or_default();
    if bits.len() <= byte {
        bits.resize(byte + 1, 0);
    }
    if missed {
        bits[byte] |= mask;
    } else {
        bits[byte] &= !mask;
    }
    while bits.last() == Some(&0) {
        bits.pop();
    }
    if bits.is_empty() {
        MISSED_CHUNKS.remove(&mut store, (consensus, chunk));
    } else {
        MISSED_CHUNKS.save(&mut store, (consensus, chunk), &Binary::from(bits))?;
    }
    Ok(())
}

/// The window indexes set in the validator's bitmap, ascending.
pub(crate) fn missed_indexes(ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<Vec<u64>> {
    let store = ctx.storage(PREFIX);
    let mut out = Vec::new();
    for entry in MISSED_CHUNKS
        .prefix(consensus)
        .range(&store, None, None, Order::Ascending)
    {
        let (chunk, bits) = entry?;
        for (byte, b) in bits.iter().enumerate() {
            for bit in 0..8u64 {
                if b & (1 << bit) != 0 {
                    out.push(chunk * CHUNK_BITS + byte as u64 * 8 + bit);
                }
            }
        }
    }
    Ok(out)
}

pub(crate) fn clear_bitmap(ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()> {
    let mut store = ctx.storage(PREFIX);
    let chunks: Vec<u64> = MISSED_CHUNKS
        .prefix(consensus)
        .keys(&store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for chunk in chunks {
        MISSED_CHUNKS.remove(&mut store, (consensus, chunk));
    }
    Ok(())
}

/// The staking hooks of slashing: a validator entering the bonded set gets a signing info, or
/// a fresh start height for its window if it has one (as the Cosmos SDK's
/// `AfterValidatorBonded`), so a rejoining validator is not judged on blocks it was not asked
/// to sign. Writes only slashing's own state.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlashingHooks;

impl StakingHooks for SlashingHooks {
    fn after_validator_bonded(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        _operator: &[u8],
    ) -> AppResult<()> {
        let height = ctx.env.height;
        let mut store = ctx.storage(PREFIX);
        let info = match SIGNING_INFOS.may_load(&store, consensus)? {
            Some(mut info) => {
                info.start_height = height;
                info
            }
            None => SigningInfo::new(height),
        };
        Ok(SIGNING_INFOS.save(&mut store, consensus, &info)?)
    }
}
