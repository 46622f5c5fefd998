//! What other modules may call (devices, activity, epochs, contributions, hex densities), the
//! block lifecycle, and what the registry needs from the bank.

use std::sync::Arc;

use cosmwasm_std::{Order, Uint128};
use cw_storage_plus::Bound;
use depin_app::address::AddressCodec;
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::error::DeviceError;
use crate::events;
use crate::params::Params;
use crate::state::{
    devices, CONTRIBUTIONS, CONTRIBUTIONS_BY_DEVICE, DEADLINES, EPOCH_ANCHOR, HEX_DENSITIES,
    INACTIVITY_QUEUE, MAKERS, PARAMS, PREFIX, SUSPENSION_CURSORS, WITNESS_RECORDS,
};
use crate::types::{status_name, Contribution, Device, EpochAnchor, Status};

/// The module account fees pass through on their way to being burned (burner permission).
pub const DEVICE_MODULE_ACCOUNT: &str = "device";

/// What the registry needs from the bank: balances (to refuse a fee the owner cannot pay with
/// a clear error) and burning fees.
pub trait DeviceBank: Send + Sync + 'static {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128>;
    /// Destroys `amount` of `from`'s tokens: into module account `module` (which needs the
    /// burner permission), then burned. Does nothing for no coins.
    fn burn_from_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()>;
}

impl DeviceBank for depin_bank::BankKeeper {
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128> {
        depin_bank::BankKeeper::balance(self, ctx, address, denom)
    }

    fn burn_from_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        self.send_to_module(ctx, from, module, amount)?;
        self.burn(ctx, module, amount)
    }
}

#[derive(Clone)]
pub struct DeviceKeeper {
    codec: AddressCodec,
    bank: Arc<dyn DeviceBank>,
}

impl DeviceKeeper {
    /// `codec` is the chain's account codec; device ids use its prefix followed by `dev`.
    pub fn new(codec: AddressCodec, bank: impl DeviceBank) -> Self {
        DeviceKeeper {
            codec,
            bank: Arc::new(bank),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        PARAMS
            .may_load(&ctx.storage(PREFIX))?
            .ok_or_else(|| DeviceError::Corrupt("device params are not set".into()).into())
    }

    /// Where epochs are counted from (the default, epoch 0 from height 1, when not stored).
    pub fn epoch_anchor(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<EpochAnchor> {
        Ok(EPOCH_ANCHOR
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    /// The epoch of the block being executed (or, in a query, of the last committed block).
    pub fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        let height = ctx.env.height;
        self.epoch(ctx, height)
    }

    /// The epoch of `height`: first_epoch + (height − start_height) / epoch_blocks from the
    /// epoch anchor (see [`EpochAnchor::epoch_of`]).
    pub fn epoch(&self, ctx: &mut Ctx<'_, '_>, height: u64) -> AppResult<u64> {
        let blocks = self.params(ctx)?.epoch_blocks;
        Ok(self.epoch_anchor(ctx)?.epoch_of(blocks, height))
    }

    /// Whether the state holds anything numbered by epoch (a contribution, hex density,
    /// witness record, or a device that has sent a heartbeat): only then does the epoch
    /// anchor need to be kept across an export.
    pub(crate) fn has_epoch_data(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<bool> {
        let store = ctx.storage(PREFIX);
        let any_record = CONTRIBUTIONS
            .keys_raw(&store, None, None, Order::Ascending)
            .next()
            .is_some()
            || HEX_DENSITIES
                .keys_raw(&store, None, None, Order::Ascending)
                .next()
                .is_some()
            || WITNESS_RECORDS
                .keys_raw(&store, None, None, Order::Ascending)
                .next()
                .is_some();
        if any_record {
            return Ok(true);
        }
        for d in devices().range(&store, None, None, Order::Ascending) {
            if d?.1.heartbeats > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn maker(&self, ctx: &mut Ctx<'_, '_>, name: &str) -> AppResult<Option<crate::Maker>> {
        Ok(MAKERS.may_load(&ctx.storage(PREFIX), name)?)
    }

    /// The device as stored (its status as last processed; see [`Self::effective_status`]).
    pub fn device(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<Option<Device>> {
        Ok(devices().may_load(&ctx.storage(PREFIX), id)?)
    }

    /// A device's status now: an Active device whose deadline has passed counts as Inactive
    /// and a device of a revoked maker counts as Suspended, even before begin block has
    /// processed them.
    pub fn effective_status(&self, ctx: &mut Ctx<'_, '_>, device: &Device) -> AppResult<Status> {
        let stored = Status::try_from(device.status).unwrap_or(Status::Unspecified);
        if matches!(stored, Status::Decommissioned | Status::Suspended) {
            return Ok(stored);
        }
        let revoked = MAKERS
            .may_load(&ctx.storage(PREFIX), &device.maker)?
            .is_some_and(|m| m.revoked);
        if revoked {
            return Ok(Status::Suspended);
        }
        if stored == Status::Active {
            let epoch = self.current_epoch(ctx)?;
            let deadline = DEADLINES.may_load(&ctx.storage(PREFIX), &device.id)?;
            if deadline.is_some_and(|d| d <= epoch) {
                return Ok(Status::Inactive);
            }
        }
        Ok(stored)
    }

    /// Whether the device is Active now (heartbeat within its class's interval, maker not
    /// revoked).
    pub fn is_active(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<bool> {
        match self.device(ctx, id)? {
            Some(d) => Ok(self.effective_status(ctx, &d)? == Status::Active),
            None => Ok(false),
        }
    }

    /// The contributions of `epoch`, in device id order.
    /// Up to `limit` contributions of `epoch` after device `start_after` (from the first when
    /// `None`), in device id order. A consumer (the rewards module) pages through an epoch
    /// over as many blocks as it needs, never all devices in one.
    pub fn contributions(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<Contribution>> {
        let store = ctx.storage(PREFIX);
        let out = CONTRIBUTIONS
            .prefix(epoch)
            .range(
                &store,
                start_after.map(Bound::exclusive),
                None,
                Order::Ascending,
            )
            .take(limit)
            .map(|r| r.map(|(_, c)| c))
            .collect::<Result<_, _>>()?;
        Ok(out)
    }

    pub fn contribution(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        device_id: &str,
    ) -> AppResult<Option<Contribution>> {
        Ok(CONTRIBUTIONS.may_load(&ctx.storage(PREFIX), (epoch, device_id))?)
    }

    /// How many devices contributed in `hex` (at params.density_resolution) in `epoch`.
    pub fn hex_density(&self, ctx: &mut Ctx<'_, '_>, epoch: u64, hex: u64) -> AppResult<u32> {
        Ok(HEX_DENSITIES
            .may_load(&ctx.storage(PREFIX), (epoch, hex))?
            .unwrap_or(0))
    }

    /// The devices of `owner` (bech32), in id order.
    /// Up to `limit` devices of `owner` after device `start_after`, in device id order.
    pub fn devices_of_owner(
        &self,
        ctx: &mut Ctx<'_, '_>,
        owner: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<Device>> {
        let store = ctx.storage(PREFIX);
        let out = devices()
            .idx
            .owner
            .prefix(owner.to_string())
            .range(
                &store,
                start_after.map(|id| Bound::exclusive(id.to_string())),
                None,
                Order::Ascending,
            )
            .take(limit)
            .map(|r| r.map(|(_, d)| d))
            .collect::<Result<_, _>>()?;
        Ok(out)
    }

    /// Saves `device` (its indexes follow).
    pub(crate) fn save_device(&self, ctx: &mut Ctx<'_, '_>, device: &Device) -> AppResult<()> {
        devices().save(&mut ctx.storage(PREFIX), &device.id, device)?;
        Ok(())
    }

    /// Puts an Active device in the inactivity queue at `deadline` (replacing its entry).
    pub(crate) fn set_deadline(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: &str,
        deadline: u64,
    ) -> AppResult<()> {
        self.clear_deadline(ctx, id)?;
        let mut store = ctx.storage(PREFIX);
        INACTIVITY_QUEUE.save(&mut store, (deadline, id), &())?;
        DEADLINES.save(&mut store, id, &deadline)?;
        Ok(())
    }

    pub(crate) fn clear_deadline(&self, ctx: &mut Ctx<'_, '_>, id: &str) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        if let Some(old) = DEADLINES.may_load(&store, id)? {
            INACTIVITY_QUEUE.remove(&mut store, (old, id));
            DEADLINES.remove(&mut store, id);
        }
        Ok(())
    }

    /// Changes a device's status, leaving the queue to the caller, and emits the event.
    pub(crate) fn change_status(
        &self,
        ctx: &mut Ctx<'_, '_>,
        device: &mut Device,
        to: Status,
        reason: &str,
    ) -> AppResult<()> {
        let from = device.status;
        device.status = to as i32;
        self.save_device(ctx, device)?;
        ctx.emit(events::device_status_changed(
            &device.id,
            status_name(from),
            status_name(to as i32),
            reason,
        ));
        Ok(())
    }

    /// Burns `fee` from `payer`, refusing with a clear error when the balance is short.
    pub(crate) fn burn_fee(
        &self,
        ctx: &mut Ctx<'_, '_>,
        what: &'static str,
        payer: &[u8],
        fee: &[Coin],
    ) -> AppResult<()> {
        for coin in fee {
            let have = self.bank.balance(ctx, payer, &coin.denom)?;
            if have < coin.amount {
                return Err(DeviceError::InsufficientFunds {
                    what,
                    owner: self.codec.encode(payer),
                    have: format!("{have}{}", coin.denom),
                    need: coins::format(fee),
                }
                .into());
            }
        }
        self.bank
            .burn_from_account(ctx, payer, DEVICE_MODULE_ACCOUNT, fee)
    }

    /// The lifecycle work of one block: at most `max_transitions_per_block` status changes
    /// (Active devices past their deadline become Inactive, devices of revoked makers become
    /// Suspended), and, on its own budget of `max_prunes_per_block`, records older than the
    /// retention are pruned. What is left carries over.
    pub fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let params = self.params(ctx)?;
        let epoch = self.current_epoch(ctx)?;
        let mut budget = params.max_transitions_per_block as usize;
        budget -= self.expire_inactive(ctx, epoch, budget)?;
        if budget > 0 {
            self.suspend_revoked(ctx, budget)?;
        }
        self.prune(
            ctx,
            epoch,
            params.contribution_retention_epochs,
            params.max_prunes_per_block as usize,
        )?;
        Ok(())
    }

    /// Up to `budget` due queue entries; returns how many it processed.
    fn expire_inactive(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        budget: usize,
    ) -> AppResult<usize> {
        let due: Vec<(u64, String)> = {
            let store = ctx.storage(PREFIX);
            INACTIVITY_QUEUE
                .keys(
                    &store,
                    None,
                    Some(Bound::exclusive((epoch.saturating_add(1), ""))),
                    Order::Ascending,
                )
                .take(budget)
                .collect::<Result<_, _>>()?
        };
        for (_, id) in &due {
            self.clear_deadline(ctx, id)?;
            let mut device = self
                .device(ctx, id)?
                .ok_or_else(|| DeviceError::Corrupt(format!("queued device {id} is missing")))?;
            self.change_status(
                ctx,
                &mut device,
                Status::Inactive,
                events::REASON_INACTIVITY,
            )?;
        }
        Ok(due.len())
    }

    /// Suspends devices of revoked makers from each maker's cursor; returns the steps used.
    fn suspend_revoked(&self, ctx: &mut Ctx<'_, '_>, budget: usize) -> AppResult<usize> {
        let mut used = 0;
        while used < budget {
            let next = {
                let store = ctx.storage(PREFIX);
                let first = SUSPENSION_CURSORS
                    .range(&store, None, None, Order::Ascending)
                    .next()
                    .transpose()?;
                first
            };
            let Some((maker, cursor)) = next else {
                break;
            };
            let left = budget - used;
            let batch: Vec<Device> = {
                let store = ctx.storage(PREFIX);
                let start = (!cursor.is_empty()).then(|| Bound::exclusive(cursor.clone()));
                devices()
                    .idx
                    .maker
                    .prefix(maker.clone())
                    .range(&store, start, None, Order::Ascending)
                    .take(left)
                    .map(|r| r.map(|(_, d)| d))
                    .collect::<Result<_, _>>()?
            };
            used += batch.len().max(1);
            for mut device in batch.iter().cloned() {
                if device.is(Status::Decommissioned) || device.is(Status::Suspended) {
                    continue;
                }
                self.clear_deadline(ctx, &device.id)?;
                self.change_status(
                    ctx,
                    &mut device,
                    Status::Suspended,
                    events::REASON_MAKER_REVOKED,
                )?;
            }
            let mut store = ctx.storage(PREFIX);
            match batch.last() {
                Some(last) if batch.len() == left => {
                    SUSPENSION_CURSORS.save(&mut store, &maker, &last.id)?;
                }
                _ => SUSPENSION_CURSORS.remove(&mut store, &maker),
            }
        }
        Ok(used)
    }

    /// Deletes up to `budget` records of epochs before `epoch − retention`, shared fairly
    /// between the three kinds (a contribution with its index entry, a hex density, a witness
    /// record): each round gives every kind with work left an equal share of what remains,
    /// so no kind starves while another has a backlog. The kind served first turns with the
    /// height, so that a budget smaller than three still reaches every kind.
    fn prune(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        retention: u64,
        budget: usize,
    ) -> AppResult<()> {
        let Some(cutoff) = epoch.checked_sub(retention) else {
            return Ok(());
        };
        let mut left = budget;
        let mut done = [false; 3];
        loop {
            let kinds = done.iter().filter(|d| !**d).count();
            if kinds == 0 || left == 0 {
                return Ok(());
            }
            let share = (left / kinds).max(1);
            let first = (ctx.env.height % 3) as usize;
            for kind in (0..3).map(|k| (first + k) % 3) {
                if done[kind] || left == 0 {
                    continue;
                }
                let limit = share.min(left);
                let n = self.prune_kind(ctx, kind, cutoff, limit)?;
                left -= n;
                if n < limit {
                    done[kind] = true;
                }
            }
        }
    }

    /// Deletes up to `limit` records of one kind (0 contributions, 1 hex densities, 2 witness
    /// records) of epochs before `cutoff`; returns how many.
    fn prune_kind(
        &self,
        ctx: &mut Ctx<'_, '_>,
        kind: usize,
        cutoff: u64,
        limit: usize,
    ) -> AppResult<usize> {
        let mut store = ctx.storage(PREFIX);
        match kind {
            0 => {
                let keys: Vec<(u64, String)> = CONTRIBUTIONS
                    .keys(
                        &store,
                        None,
                        Some(Bound::exclusive((cutoff, ""))),
                        Order::Ascending,
                    )
                    .take(limit)
                    .collect::<Result<_, _>>()?;
                for (e, id) in &keys {
                    CONTRIBUTIONS.remove(&mut store, (*e, id));
                    CONTRIBUTIONS_BY_DEVICE.remove(&mut store, (id, *e));
                }
                Ok(keys.len())
            }
            1 => {
                let keys: Vec<(u64, u64)> = HEX_DENSITIES
                    .keys(
                        &store,
                        None,
                        Some(Bound::exclusive((cutoff, 0))),
                        Order::Ascending,
                    )
                    .take(limit)
                    .collect::<Result<_, _>>()?;
                for key in &keys {
                    HEX_DENSITIES.remove(&mut store, *key);
                }
                Ok(keys.len())
            }
            _ => {
                let keys: Vec<(u64, (String, u64, String))> = WITNESS_RECORDS
                    .keys(
                        &store,
                        None,
                        Some(Bound::exclusive((cutoff, ("", 0, "")))),
                        Order::Ascending,
                    )
                    .take(limit)
                    .collect::<Result<_, _>>()?;
                for (e, (b, n, w)) in &keys {
                    WITNESS_RECORDS.remove(&mut store, (*e, (b, *n, w)));
                }
                Ok(keys.len())
            }
        }
    }

    /// Records a counted heartbeat of `device` in `epoch`: the contribution (created with the
    /// owner and density hex of now when it is the device's first work in the epoch, which
    /// also counts the device in its hex's density).
    pub(crate) fn record_heartbeat(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        device: &Device,
        epoch: u64,
    ) -> AppResult<()> {
        let mut contribution = self.contribution_entry(ctx, params, device, epoch)?;
        contribution.heartbeats = 1;
        CONTRIBUTIONS.save(&mut ctx.storage(PREFIX), (epoch, &device.id), &contribution)?;
        Ok(())
    }

    /// The device's contribution record of `epoch`, created (and counted in its hex density)
    /// if this is its first work in the epoch. Witness handling uses it too.
    pub fn contribution_entry(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        device: &Device,
        epoch: u64,
    ) -> AppResult<Contribution> {
        if let Some(c) = self.contribution(ctx, epoch, &device.id)? {
            return Ok(c);
        }
        let density_hex = match &device.location {
            Some(l) => {
                crate::h3::parent_at(l.h3_cell, Params::resolution(params.density_resolution))
                    .unwrap_or(0)
            }
            None => 0,
        };
        let mut store = ctx.storage(PREFIX);
        if density_hex != 0 {
            let n = HEX_DENSITIES
                .may_load(&store, (epoch, density_hex))?
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| DeviceError::Corrupt("hex density overflows".into()))?;
            HEX_DENSITIES.save(&mut store, (epoch, density_hex), &n)?;
        }
        CONTRIBUTIONS_BY_DEVICE.save(&mut store, (&device.id, epoch), &())?;
        Ok(Contribution {
            device_id: device.id.clone(),
            epoch,
            owner: device.owner.clone(),
            class: device.class.clone(),
            heartbeats: 0,
            beacons: 0,
            witnesses: 0,
            density_hex,
        })
    }
}
