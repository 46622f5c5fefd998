//! Storage deals (README.md, "Storage deals"): a client proposes, the provider accepts and
//! locks collateral, activates with its first proof, then proves every proving period; begin
//! block ends each period from the deal queue (payment or fault fee) without iterating the
//! deals.

use cosmwasm_std::{Order as SortOrder, Uint128};
use cw_storage_plus::Bound;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_proto::depin::market::v1::{
    MsgAcceptDeal, MsgAcceptDealResponse, MsgCancelDeal, MsgCancelDealResponse, MsgProposeDeal,
    MsgProposeDealResponse, MsgSubmitStorageProof, MsgSubmitStorageProofResponse,
};
use prost::Message;

use crate::error::MarketError;
use crate::events;
use crate::keeper::MarketKeeper;
use crate::params::Params;
use crate::state::{deals, DEAL_QUEUE, NEXT_DEAL_ID, PREFIX};
use crate::types::{
    amount_of, coins_of, deal_escrow_id, deal_state_name, zero, DealState, Provider, StorageDeal,
};
use crate::{challenge, merkle, MarketModule};

/// The longest deal, in proving periods (bounds the escrow arithmetic and the deal's life).
pub const MAX_DURATION_PERIODS: u64 = 1_000_000;

fn corrupt(msg: impl Into<String>) -> MarketError {
    MarketError::Corrupt(msg.into())
}

/// `height + blocks` as a deadline (saturating: params may be as large as u64::MAX).
pub(crate) fn after(height: u64, blocks: u64) -> i64 {
    i64::try_from(height.saturating_add(blocks)).unwrap_or(i64::MAX)
}

/// Sets the amount of `denom` in a coin list (dropping the entry at zero).
fn set_amount(list: &mut Vec<Coin>, denom: &str, amount: Uint128) {
    list.retain(|c| c.denom != denom);
    if !amount.is_zero() {
        list.push(Coin {
            denom: denom.to_string(),
            amount,
        });
        list.sort_by(|a, b| a.denom.cmp(&b.denom));
    }
}

fn add(a: Uint128, b: Uint128, what: &str) -> AppResult<Uint128> {
    Ok(a.checked_add(b)
        .map_err(|_| corrupt(format!("{what} overflows")))?)
}

fn sub(a: Uint128, b: Uint128, what: &str) -> AppResult<Uint128> {
    Ok(a.checked_sub(b)
        .map_err(|_| corrupt(format!("{what} underflows")))?)
}

/// How a deal ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Cancelled,
    Expired,
    ActivationMissed,
    Terminated,
    Completed,
}

impl MarketKeeper {
    pub fn deal(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<Option<StorageDeal>> {
        Ok(deals().may_load(&ctx.storage(PREFIX), id)?)
    }

    pub(crate) fn save_deal(&self, ctx: &mut Ctx<'_, '_>, d: &StorageDeal) -> AppResult<()> {
        deals().save(&mut ctx.storage(PREFIX), d.id, d)?;
        Ok(())
    }

    fn enqueue(&self, ctx: &mut Ctx<'_, '_>, d: &StorageDeal) -> AppResult<()> {
        DEAL_QUEUE.save(&mut ctx.storage(PREFIX), d.queue_key(), &())?;
        Ok(())
    }

    fn dequeue(&self, ctx: &mut Ctx<'_, '_>, d: &StorageDeal) {
        DEAL_QUEUE.remove(&mut ctx.storage(PREFIX), d.queue_key());
    }

    fn deal_provider(&self, ctx: &mut Ctx<'_, '_>, d: &StorageDeal) -> AppResult<Provider> {
        self.provider(ctx, &d.provider)?.ok_or_else(|| {
            corrupt(format!(
                "provider {} of deal {} is missing",
                d.provider, d.id
            ))
            .into()
        })
    }

    /// Releases `amount` of a provider's locked collateral back to its free collateral.
    fn unlock(&self, ctx: &mut Ctx<'_, '_>, d: &StorageDeal, amount: Uint128) -> AppResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let denom = &d.provider_collateral.denom;
        let mut p = self.deal_provider(ctx, d)?;
        let locked = sub(
            amount_of(&p.locked_collateral, denom),
            amount,
            "locked collateral",
        )?;
        set_amount(&mut p.locked_collateral, denom, locked);
        self.save_provider(ctx, &p)
    }

    /// Pays `amount` of a deal's locked collateral to its client: it leaves the provider's
    /// collateral and the module account.
    fn pay_collateral_to_client(
        &self,
        ctx: &mut Ctx<'_, '_>,
        d: &mut StorageDeal,
        amount: Uint128,
    ) -> AppResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let denom = d.provider_collateral.denom.clone();
        let mut p = self.deal_provider(ctx, d)?;
        let locked = sub(
            amount_of(&p.locked_collateral, &denom),
            amount,
            "locked collateral",
        )?;
        let total = sub(amount_of(&p.collateral, &denom), amount, "collateral")?;
        set_amount(&mut p.locked_collateral, &denom, locked);
        set_amount(&mut p.collateral, &denom, total);
        self.save_provider(ctx, &p)?;
        self.push(ctx, &d.client, amount, &denom)?;
        d.fault_fees_paid.amount = add(d.fault_fees_paid.amount, amount, "fault fees")?;
        Ok(())
    }

    fn count(
        &self,
        ctx: &mut Ctx<'_, '_>,
        d: &StorageDeal,
        f: impl FnOnce(&mut crate::types::Reputation),
    ) -> AppResult<()> {
        let mut p = self.deal_provider(ctx, d)?;
        f(&mut p.reputation);
        self.save_provider(ctx, &p)
    }

    /// Ends an open deal: its queue entry goes, its escrow refunds what is left to its
    /// depositors; the collateral it still locks goes back to the provider (completed,
    /// terminated) or to the client (activation missed); the reputation counts the end.
    fn end_deal(&self, ctx: &mut Ctx<'_, '_>, d: &mut StorageDeal, end: End) -> AppResult<()> {
        self.dequeue(ctx, d);
        let (state, kind) = match end {
            End::Cancelled => (DealState::Cancelled, "deal_cancelled"),
            End::Expired => (DealState::Expired, "deal_expired"),
            End::ActivationMissed => (DealState::ActivationMissed, "deal_activation_missed"),
            End::Terminated => (DealState::Terminated, "deal_terminated"),
            End::Completed => (DealState::Completed, "deal_completed"),
        };
        if d.locks_collateral() {
            let remaining = d.remaining_collateral();
            if end == End::ActivationMissed {
                self.pay_collateral_to_client(ctx, d, remaining)?;
            } else {
                self.unlock(ctx, d, remaining)?;
            }
        }
        match end {
            End::ActivationMissed | End::Terminated => self.count(ctx, d, |r| {
                r.deals_faulted = r.deals_faulted.saturating_add(1)
            })?,
            End::Completed => self.count(ctx, d, |r| {
                r.deals_completed = r.deals_completed.saturating_add(1)
            })?,
            End::Cancelled | End::Expired => {}
        }
        d.state = state as i32;
        d.deadline = 0;
        d.proven = false;
        self.save_deal(ctx, d)?;
        let id = deal_escrow_id(d.id);
        if let Some(mut e) = self.escrow(ctx, &id)? {
            self.close_escrow(ctx, &mut e)?;
        }
        ctx.emit(events::deal_ended(kind, d.id, &d.client, &d.provider));
        Ok(())
    }

    /// The end of an ACTIVE deal's period: pay for a proven period, or charge a fault fee;
    /// then terminate (too many faults in a row), complete (all periods done) or start the
    /// next period.
    fn end_period(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        d: &mut StorageDeal,
    ) -> AppResult<()> {
        let denom = d.provider_collateral.denom.clone();
        if d.proven {
            self.pay_from_escrow(
                ctx,
                &deal_escrow_id(d.id),
                &d.provider,
                d.price_per_period.amount,
            )?;
            d.periods_proven = d.periods_proven.saturating_add(1);
            d.consecutive_faults = 0;
        } else {
            let fee = d
                .provider_collateral
                .amount
                .multiply_ratio(params.fault_fee_bps, 10_000u32)
                .min(d.remaining_collateral());
            self.pay_collateral_to_client(ctx, d, fee)?;
            d.faults = d.faults.saturating_add(1);
            d.consecutive_faults = d.consecutive_faults.saturating_add(1);
            self.count(ctx, d, |r| {
                r.proofs_failed = r.proofs_failed.saturating_add(1)
            })?;
            ctx.emit(events::deal_fault(
                d.id,
                &d.provider,
                &d.client,
                d.period,
                &coins::format(&coins_of(fee, &denom)),
            ));
            if d.consecutive_faults >= params.max_consecutive_faults {
                return self.end_deal(ctx, d, End::Terminated);
            }
        }
        if d.periods_proven.saturating_add(d.faults) >= d.duration_periods {
            return self.end_deal(ctx, d, End::Completed);
        }
        let height = ctx.env.height;
        self.dequeue(ctx, d);
        d.period = d.period.saturating_add(1);
        d.proven = false;
        d.challenge_seed = challenge::seed(&ctx.env.block_hash, d.id, d.period).to_vec();
        d.deadline = after(height, params.proving_period_blocks);
        self.enqueue(ctx, d)?;
        self.save_deal(ctx, d)
    }

    /// Begin block: the deals whose deadline has passed, at most `budget` of them (the rest
    /// wait for the next block). PROPOSED → EXPIRED, ACCEPTED → ACTIVATION_MISSED, ACTIVE →
    /// the end of its period.
    pub(crate) fn process_deal_queue(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        budget: usize,
    ) -> AppResult<()> {
        let height = ctx.env.height;
        let due: Vec<(u64, u64)> = {
            let store = ctx.storage(PREFIX);
            DEAL_QUEUE
                .keys(
                    &store,
                    None,
                    Some(Bound::exclusive((height, 0))),
                    SortOrder::Ascending,
                )
                .take(budget)
                .collect::<Result<_, _>>()?
        };
        for key in due {
            let Some(mut d) = self.deal(ctx, key.1)? else {
                DEAL_QUEUE.remove(&mut ctx.storage(PREFIX), key);
                continue;
            };
            if !d.is_open() || d.queue_key() != key {
                // Stale (never left behind by the handlers): drop it.
                DEAL_QUEUE.remove(&mut ctx.storage(PREFIX), key);
                continue;
            }
            if d.is(DealState::Proposed) {
                self.end_deal(ctx, &mut d, End::Expired)?;
            } else if d.is(DealState::Accepted) {
                self.end_deal(ctx, &mut d, End::ActivationMissed)?;
            } else {
                self.end_period(ctx, params, &mut d)?;
            }
        }
        Ok(())
    }

    /// The chunk indices the current period of an ACCEPTED or ACTIVE deal challenges.
    pub fn challenges(&self, params: &Params, d: &StorageDeal) -> AppResult<Vec<u64>> {
        let n = merkle::n_chunks(d.size_bytes, d.chunk_size)
            .map_err(|e| corrupt(format!("deal {}: {e}", d.id)))?;
        let seed: [u8; 32] = d
            .challenge_seed
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(format!("deal {} has no challenge seed", d.id)))?;
        Ok(challenge::indices(&seed, n, params.challenges_per_period))
    }
}

fn wrong_state(d: &StorageDeal, need: &'static str) -> MarketError {
    MarketError::DealWrongState {
        deal: d.id,
        state: deal_state_name(d.state).to_string(),
        need,
    }
}

impl MarketModule {
    fn load_deal(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<StorageDeal> {
        self.keeper()
            .deal(ctx, id)?
            .ok_or_else(|| MarketError::DealNotFound(id).into())
    }

    fn check_deal_provider(d: &StorageDeal, signer: &str) -> AppResult<()> {
        if d.provider != signer {
            return Err(MarketError::NotDealProvider {
                deal: d.id,
                signer: signer.to_string(),
                provider: d.provider.clone(),
            }
            .into());
        }
        Ok(())
    }

    pub(crate) fn propose_deal(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgProposeDeal,
    ) -> AppResult<Vec<u8>> {
        let k = self.keeper();
        let params = k.params(ctx)?;
        if k.provider(ctx, &m.provider)?.is_none() {
            return Err(MarketError::ProviderNotFound(m.provider).into());
        }
        if !m.chunk_size.is_power_of_two()
            || m.chunk_size < params.min_chunk_size
            || m.chunk_size > params.max_chunk_size
        {
            return Err(MarketError::InvalidChunkSize {
                chunk_size: m.chunk_size,
                min: params.min_chunk_size,
                max: params.max_chunk_size,
            }
            .into());
        }
        let price = crate::msgs::positive_coin(&m.price_per_period, "price_per_period")?;
        let collateral = crate::msgs::positive_coin(&m.provider_collateral, "provider_collateral")?;
        let price = crate::msgs::check_denom(&price, "price_per_period", &params)?;
        let collateral = crate::msgs::check_denom(&collateral, "provider_collateral", &params)?;
        let total = price
            .checked_mul(Uint128::from(m.duration_periods))
            .map_err(|_| MarketError::InvalidField {
                what: "price_per_period",
                reason: format!(
                    "{price} × {} periods overflows: lower the price or the duration",
                    m.duration_periods
                ),
            })?;
        // A proposal waits in the deal queue until it is accepted or expires: it must lock
        // at least min_deal_value of the client's funds, so filling the queue costs.
        if total < params.min_deal_value.amount {
            return Err(MarketError::DealValueTooSmall {
                value: format!("{total}{}", params.denom),
                min: params.min_deal_value.to_string(),
            }
            .into());
        }
        let id = NEXT_DEAL_ID.may_load(&ctx.storage(PREFIX))?.unwrap_or(1);
        let next = id
            .checked_add(1)
            .ok_or_else(|| corrupt("deal ids are exhausted"))?;
        NEXT_DEAL_ID.save(&mut ctx.storage(PREFIX), &next)?;
        let height = ctx.env.height;
        let escrow_id = deal_escrow_id(id);
        k.open_escrow(ctx, &escrow_id, &m.client, &m.client, total)?;
        let d = StorageDeal {
            id,
            client: m.client.clone(),
            provider: m.provider.clone(),
            data_root: m.data_root,
            size_bytes: m.size_bytes,
            chunk_size: m.chunk_size,
            duration_periods: m.duration_periods,
            price_per_period: Coin::new(price.u128(), &params.denom),
            provider_collateral: Coin::new(collateral.u128(), &params.denom),
            state: DealState::Proposed as i32,
            proposed_height: height as i64,
            deadline: after(height, params.deal_acceptance_blocks),
            start_height: 0,
            period: 0,
            challenge_seed: Vec::new(),
            proven: false,
            periods_proven: 0,
            faults: 0,
            consecutive_faults: 0,
            fault_fees_paid: zero(&params.denom),
        };
        k.save_deal(ctx, &d)?;
        k.enqueue(ctx, &d)?;
        ctx.emit(events::deal_proposed(
            id,
            &d.client,
            &d.provider,
            &d.price_per_period.to_string(),
            &coins::format(&coins_of(total, &params.denom)),
        ));
        Ok(MsgProposeDealResponse { deal_id: id }.encode_to_vec())
    }

    pub(crate) fn cancel_deal(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgCancelDeal,
    ) -> AppResult<Vec<u8>> {
        let mut d = self.load_deal(ctx, m.deal_id)?;
        if d.client != m.client {
            return Err(MarketError::NotDealClient {
                deal: d.id,
                signer: m.client,
                client: d.client,
            }
            .into());
        }
        if !d.is(DealState::Proposed) {
            return Err(wrong_state(&d, "only a PROPOSED deal can be cancelled").into());
        }
        self.keeper().end_deal(ctx, &mut d, End::Cancelled)?;
        Ok(MsgCancelDealResponse {}.encode_to_vec())
    }

    pub(crate) fn accept_deal(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgAcceptDeal,
    ) -> AppResult<Vec<u8>> {
        let k = self.keeper();
        let params = k.params(ctx)?;
        let mut d = self.load_deal(ctx, m.deal_id)?;
        Self::check_deal_provider(&d, &m.provider)?;
        if !d.is(DealState::Proposed) {
            return Err(wrong_state(&d, "only a PROPOSED deal can be accepted").into());
        }
        let height = ctx.env.height;
        if height as i64 > d.deadline {
            return Err(MarketError::DealDeadlinePassed {
                deal: d.id,
                what: "the provider had to accept",
                deadline: d.deadline,
                height,
            }
            .into());
        }
        let mut p = k
            .provider(ctx, &m.provider)?
            .ok_or_else(|| MarketError::ProviderNotFound(m.provider.clone()))?;
        let denom = d.provider_collateral.denom.clone();
        let need = d.provider_collateral.amount;
        let locked = amount_of(&p.locked_collateral, &denom);
        let free = amount_of(&p.collateral, &denom).saturating_sub(locked);
        if free < need {
            return Err(MarketError::CollateralNotFree {
                provider: p.owner,
                free: format!("{free}{denom}"),
                need: d.provider_collateral.to_string(),
            }
            .into());
        }
        set_amount(
            &mut p.locked_collateral,
            &denom,
            add(locked, need, "locked collateral")?,
        );
        k.save_provider(ctx, &p)?;
        k.dequeue(ctx, &d);
        d.state = DealState::Accepted as i32;
        d.deadline = after(height, params.deal_activation_blocks);
        d.period = 1;
        d.proven = false;
        d.challenge_seed = challenge::seed(&ctx.env.block_hash, d.id, 1).to_vec();
        k.enqueue(ctx, &d)?;
        k.save_deal(ctx, &d)?;
        ctx.emit(events::deal_accepted(
            d.id,
            &d.provider,
            &d.provider_collateral.to_string(),
            d.deadline,
        ));
        Ok(MsgAcceptDealResponse {}.encode_to_vec())
    }

    pub(crate) fn submit_proof(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgSubmitStorageProof,
    ) -> AppResult<Vec<u8>> {
        let k = self.keeper();
        let params = k.params(ctx)?;
        let mut d = self.load_deal(ctx, m.deal_id)?;
        Self::check_deal_provider(&d, &m.provider)?;
        if !d.locks_collateral() {
            return Err(wrong_state(&d, "proofs are taken from ACCEPTED or ACTIVE deals").into());
        }
        let height = ctx.env.height;
        if height as i64 > d.deadline {
            return Err(MarketError::DealDeadlinePassed {
                deal: d.id,
                what: if d.is(DealState::Accepted) {
                    "the activation proof was due"
                } else {
                    "the proof of this period was due"
                },
                deadline: d.deadline,
                height,
            }
            .into());
        }
        if m.period != d.period {
            return Err(MarketError::WrongPeriod {
                deal: d.id,
                got: m.period,
                want: d.period,
            }
            .into());
        }
        if d.proven {
            return Err(MarketError::AlreadyProven {
                deal: d.id,
                period: d.period,
            }
            .into());
        }
        let want = k.challenges(&params, &d)?;
        if m.proofs.len() != want.len() {
            return Err(MarketError::ProofCount {
                deal: d.id,
                got: m.proofs.len(),
                want: want.len(),
            }
            .into());
        }
        let n = merkle::n_chunks(d.size_bytes, d.chunk_size)
            .map_err(|e| corrupt(format!("deal {}: {e}", d.id)))?;
        for (position, (proof, index)) in m.proofs.iter().zip(&want).enumerate() {
            if proof.index != *index {
                return Err(MarketError::WrongChallenge {
                    deal: d.id,
                    position,
                    got: proof.index,
                    want: *index,
                }
                .into());
            }
            merkle::verify_chunk(
                &d.data_root,
                n,
                d.chunk_size,
                proof.index,
                &proof.chunk,
                &proof.path,
            )
            .map_err(|e| MarketError::InvalidProof {
                deal: d.id,
                position,
                reason: e.to_string(),
            })?;
        }
        d.proven = true;
        k.count(ctx, &d, |r| {
            r.proofs_passed = r.proofs_passed.saturating_add(1)
        })?;
        if d.is(DealState::Accepted) {
            k.dequeue(ctx, &d);
            d.state = DealState::Active as i32;
            d.start_height = height as i64;
            d.deadline = after(height, params.proving_period_blocks);
            k.enqueue(ctx, &d)?;
            ctx.emit(events::deal_activated(d.id, &d.provider, d.start_height));
        }
        k.save_deal(ctx, &d)?;
        ctx.emit(events::storage_proof(d.id, &d.provider, d.period));
        Ok(MsgSubmitStorageProofResponse {}.encode_to_vec())
    }
}
