//! Begin block: liveness from the votes on the previous block, then double-sign evidence, in
//! the Cosmos SDK's order (its slashing begin blocker runs before its evidence one).

use depin_app::context::Ctx;
use depin_app::error::AppResult;
use tendermint_proto::v0_38::abci::{Misbehavior, MisbehaviorType, VoteInfo};
use tendermint_proto::v0_38::types::BlockIdFlag;

use crate::events;
use crate::keeper::{block_time, clear_bitmap, missed_bit, set_missed_bit, SlashingKeeper};
use crate::params::Params;
use crate::state::{BlockTime, SigningInfo, FOREVER};

/// Blocks between the block whose end block changes the set and the block CometBFT signs
/// with it (the SDK's `ValidatorUpdateDelay`).
pub const VALIDATOR_UPDATE_DELAY: u64 = 1;

impl SlashingKeeper {
    pub(crate) fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        if ctx.env.last_commit.is_empty() && ctx.env.misbehavior.is_empty() {
            return Ok(());
        }
        let params = self.params(ctx)?;
        let env = ctx.env;
        for vote in &env.last_commit {
            self.handle_vote(ctx, &params, vote)?;
        }
        for evidence in &env.misbehavior {
            self.handle_evidence(ctx, &params, evidence)?;
        }
        Ok(())
    }

    /// Records one validator's vote in its window; jails and slashes it when it missed too
    /// many of the last `signed_blocks_window` blocks.
    ///
    /// Only `BLOCK_ID_FLAG_ABSENT` counts as missed: a NIL vote was still a signature.
    fn handle_vote(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        vote: &VoteInfo,
    ) -> AppResult<()> {
        let Some(voter) = &vote.validator else {
            return Ok(());
        };
        let consensus = voter.address.to_vec();
        let Some(validator) = self.staking().validator_by_consensus(ctx, &consensus)? else {
            // Removed since (unbonded with no stake left): nothing to track.
            return Ok(());
        };
        if validator.jailed {
            // A jailed validator leaves the set; its absence is expected.
            return Ok(());
        }
        let height = ctx.env.height;
        let missed = vote.block_id_flag == BlockIdFlag::Absent as i32;
        // A validator that bonded before slashing was added (or whose hook did not run)
        // starts its window now rather than halting the chain.
        let mut info = self
            .signing_info(ctx, &consensus)?
            .unwrap_or_else(|| SigningInfo::new(height));
        let window = params.signed_blocks_window;
        let index = info.index_offset % window;
        info.index_offset = (index + 1) % window;
        let previous = missed_bit(ctx, &consensus, index)?;
        if previous != missed {
            set_missed_bit(ctx, &consensus, index, missed)?;
            info.missed_blocks_counter = if missed {
                info.missed_blocks_counter.saturating_add(1)
            } else {
                info.missed_blocks_counter.saturating_sub(1)
            };
        }
        let address = self.consensus_codec().encode(&consensus);
        if missed {
            ctx.emit(events::liveness(
                &address,
                info.missed_blocks_counter,
                height,
            ));
        }
        let min_height = info.start_height.saturating_add(window);
        if height > min_height && info.missed_blocks_counter > params.max_missed_blocks() {
            // The votes being judged were cast for the set of two blocks ago.
            let infraction_height = height.saturating_sub(VALIDATOR_UPDATE_DELAY + 1);
            let power = u64::try_from(voter.power).unwrap_or(0);
            let burned = self.staking().slash(
                ctx,
                &consensus,
                infraction_height,
                power,
                params.slash_fraction_downtime,
            )?;
            let denom = self.staking().bond_denom(ctx)?;
            ctx.emit(events::slash(
                &address,
                power,
                events::REASON_MISSING_SIGNATURE,
                &format!("{burned}{denom}"),
            ));
            self.staking().jail(ctx, &consensus)?;
            info.jailed_until = block_time(ctx).plus_seconds(params.downtime_jail_duration);
            // A fresh window when it comes back.
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            clear_bitmap(ctx, &consensus)?;
        }
        self.set_signing_info(ctx, &consensus, &info)
    }

    /// Double-sign (and light-client attack) evidence CometBFT verified: slash
    /// `slash_fraction_double_sign` of the stake at the infraction, jail forever, tombstone.
    /// Ignored when the validator is unknown or unbonded, already tombstoned, the evidence
    /// carries no time or is older than the unbonding period, or its height is not a past
    /// height.
    fn handle_evidence(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        evidence: &Misbehavior,
    ) -> AppResult<()> {
        let known = [
            MisbehaviorType::DuplicateVote as i32,
            MisbehaviorType::LightClientAttack as i32,
        ];
        if !known.contains(&evidence.r#type) {
            return Ok(());
        }
        let Some(offender) = &evidence.validator else {
            return Ok(());
        };
        let Ok(evidence_height) = u64::try_from(evidence.height) else {
            return Ok(());
        };
        if evidence_height == 0 || evidence_height > ctx.env.height {
            return Ok(());
        }
        let Some(time) = &evidence.time else {
            return Ok(());
        };
        let evidence_time = BlockTime {
            seconds: time.seconds,
            nanos: u32::try_from(time.nanos).unwrap_or(0),
        };
        let max_age = self.staking().max_evidence_age(ctx)?;
        if evidence_time.plus_seconds(max_age) < block_time(ctx) {
            return Ok(());
        }
        let consensus = offender.address.to_vec();
        let Some(validator) = self.staking().validator_by_consensus(ctx, &consensus)? else {
            return Ok(());
        };
        if validator.unbonded {
            return Ok(());
        }
        let height = ctx.env.height;
        let mut info = self
            .signing_info(ctx, &consensus)?
            .unwrap_or_else(|| SigningInfo::new(height));
        if info.tombstoned {
            return Ok(());
        }
        // The stake that signed at the evidence height was bonded one block before it.
        let infraction_height = evidence_height.saturating_sub(VALIDATOR_UPDATE_DELAY);
        let power = u64::try_from(offender.power).unwrap_or(0);
        let burned = self.staking().slash(
            ctx,
            &consensus,
            infraction_height,
            power,
            params.slash_fraction_double_sign,
        )?;
        let denom = self.staking().bond_denom(ctx)?;
        let address = self.consensus_codec().encode(&consensus);
        ctx.emit(events::slash(
            &address,
            power,
            events::REASON_DOUBLE_SIGN,
            &format!("{burned}{denom}"),
        ));
        if !validator.jailed {
            self.staking().jail(ctx, &consensus)?;
        }
        info.jailed_until = FOREVER;
        info.tombstoned = true;
        self.set_signing_info(ctx, &consensus, &info)
    }
}
