//! What other modules may call (a meter's readings and points, the rewards source
//! [`EnergyDevices`]), the one trait this module needs from the device registry
//! ([`MeterRegistry`]), and the block work (pruning old epoch totals).

use std::sync::Arc;

use cosmwasm_std::Order;
use cw_storage_plus::Bound;
use depin_app::address::AddressCodec;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_proto::depin::device::v1::PublicKey;
use depin_rewards::{DeviceWork, RewardsDevices};

use crate::error::EnergyError;
use crate::events;
use crate::params::Params;
use crate::state::{Meter, EPOCH_ENERGY, EPOCH_UNITS, METERS, PARAMS, PREFIX};

/// The most epoch totals (and as many epoch units) end block prunes in one block: pruning a
/// large epoch is spread over blocks instead of stalling one.
pub const MAX_PRUNED_PER_BLOCK: usize = 200;

/// A registered device as the energy module sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredDevice {
    /// The key that signs its readings.
    pub key: PublicKey,
    /// Whether it is Active now (heartbeat in time, maker not revoked).
    pub active: bool,
    /// Its status name, for error messages ("Inactive").
    pub status: String,
}

/// What the energy module needs from the device registry: its epoch clock and a device's key
/// and status.
pub trait MeterRegistry: Send + Sync + 'static {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64>;
    /// `None`: no device has this id.
    fn device(&self, ctx: &mut Ctx<'_, '_>, device_id: &str)
        -> AppResult<Option<RegisteredDevice>>;
}

impl MeterRegistry for depin_device::DeviceKeeper {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        depin_device::DeviceKeeper::current_epoch(self, ctx)
    }

    fn device(
        &self,
        ctx: &mut Ctx<'_, '_>,
        device_id: &str,
    ) -> AppResult<Option<RegisteredDevice>> {
        let Some(device) = depin_device::DeviceKeeper::device(self, ctx, device_id)? else {
            return Ok(None);
        };
        let status = self.effective_status(ctx, &device)?;
        Ok(Some(RegisteredDevice {
            key: device.key.to_proto(),
            active: status == depin_device::Status::Active,
            status: depin_device::types::status_name(status as i32).to_string(),
        }))
    }
}

#[derive(Clone)]
pub struct EnergyKeeper {
    codec: AddressCodec,
    registry: Arc<dyn MeterRegistry>,
}

impl EnergyKeeper {
    pub fn new(codec: AddressCodec, registry: impl MeterRegistry) -> Self {
        EnergyKeeper {
            codec,
            registry: Arc::new(registry),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn registry(&self) -> &Arc<dyn MeterRegistry> {
        &self.registry
    }

    /// The params; the defaults on a chain that added the module without running its genesis
    /// (a software upgrade), so that its block hooks never fail there.
    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn meter(&self, ctx: &mut Ctx<'_, '_>, device_id: &str) -> AppResult<Option<Meter>> {
        Ok(METERS.may_load(&ctx.storage(PREFIX), device_id)?)
    }

    /// The Wh `device_id` delivered in `epoch` (0: nothing, or already pruned).
    pub fn epoch_energy(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        device_id: &str,
    ) -> AppResult<u64> {
        Ok(EPOCH_ENERGY
            .may_load(&ctx.storage(PREFIX), (epoch, device_id))?
            .unwrap_or(0))
    }

    /// The wh_per_point of `epoch`: fixed by its first reading; the params' for an epoch
    /// without readings.
    pub fn epoch_unit(&self, ctx: &mut Ctx<'_, '_>, epoch: u64) -> AppResult<u64> {
        match EPOCH_UNITS.may_load(&ctx.storage(PREFIX), epoch)? {
            Some(unit) => Ok(unit),
            None => Ok(self.params(ctx)?.wh_per_point),
        }
    }

    /// The unit of an epoch that has energy: always recorded with its first delivery (never
    /// today's params, which would re-score an epoch the rewards module may be sharing).
    fn recorded_unit(&self, ctx: &mut Ctx<'_, '_>, epoch: u64) -> AppResult<u64> {
        EPOCH_UNITS
            .may_load(&ctx.storage(PREFIX), epoch)?
            .ok_or_else(|| {
                EnergyError::Corrupt(format!("epoch {epoch} has energy but no unit")).into()
            })
    }

    /// The points `device_id` earned in `epoch`: ⌊Wh / the epoch's wh_per_point⌋.
    pub fn points(&self, ctx: &mut Ctx<'_, '_>, epoch: u64, device_id: &str) -> AppResult<u64> {
        let wh = self.epoch_energy(ctx, epoch, device_id)?;
        if wh == 0 {
            return Ok(0);
        }
        let unit = self.recorded_unit(ctx, epoch)?;
        wh.checked_div(unit)
            .ok_or_else(|| EnergyError::Corrupt(format!("epoch {epoch} has wh_per_point 0")).into())
    }

    /// The counter rules of a reading of `device_id` in `epoch`, and its writes: the meter,
    /// the epoch total, the epoch's unit. Returns the Wh credited (0 for a meter's first
    /// reading; at most `max_wh_per_reading`, the excess reported in `energy_reading_capped`). It does not look at the device or the signature: `MsgSubmitReading` checks
    /// those first. Fails without writing anything.
    pub fn record_reading(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        device_id: &str,
        epoch: u64,
        cumulative_wh: u64,
    ) -> AppResult<u64> {
        let mut capped = None;
        let mut store = ctx.storage(PREFIX);
        let meter = METERS.may_load(&store, device_id)?;
        let (meter, delivered) = match meter {
            None => (
                Meter {
                    device_id: device_id.to_string(),
                    last_cumulative_wh: cumulative_wh,
                    last_epoch: epoch,
                    readings_in_epoch: 1,
                    delivered_wh: 0,
                },
                0,
            ),
            Some(mut m) => {
                let readings = if m.last_epoch == epoch {
                    m.readings_in_epoch
                } else {
                    0
                };
                if readings >= params.max_readings_per_epoch {
                    return Err(EnergyError::TooManyReadings {
                        device: device_id.to_string(),
                        epoch,
                        max: params.max_readings_per_epoch,
                    }
                    .into());
                }
                if cumulative_wh <= m.last_cumulative_wh {
                    return Err(EnergyError::NotIncreasing {
                        device: device_id.to_string(),
                        got: cumulative_wh,
                        last: m.last_cumulative_wh,
                    }
                    .into());
                }
                // A rise above the cap (a long outage, a lowered cap, a faulty meter) is
                // accepted and credited the cap: the counter moves on, so the meter is never
                // locked out, and no reading earns more than the cap.
                let rise = cumulative_wh - m.last_cumulative_wh;
                let delivered = rise.min(params.max_wh_per_reading);
                if rise > delivered {
                    capped = Some(rise - delivered);
                }
                m.delivered_wh = m
                    .delivered_wh
                    .checked_add(delivered)
                    .ok_or_else(|| EnergyError::Overflow("lifetime delivered Wh".into()))?;
                m.last_cumulative_wh = cumulative_wh;
                m.last_epoch = epoch;
                m.readings_in_epoch = readings + 1;
                (m, delivered)
            }
        };
        if delivered > 0 {
            let total = EPOCH_ENERGY
                .may_load(&store, (epoch, device_id))?
                .unwrap_or(0)
                .checked_add(delivered)
                .ok_or_else(|| EnergyError::Overflow("epoch delivered Wh".into()))?;
            EPOCH_ENERGY.save(&mut store, (epoch, device_id), &total)?;
            if !EPOCH_UNITS.has(&store, epoch) {
                EPOCH_UNITS.save(&mut store, epoch, &params.wh_per_point)?;
            }
        }
        METERS.save(&mut store, device_id, &meter)?;
        drop(store);
        if let Some(excess) = capped {
            ctx.emit(events::capped(device_id, epoch, excess));
        }
        Ok(delivered)
    }

    /// Removes up to [`MAX_PRUNED_PER_BLOCK`] epoch totals (and epoch units) of epochs before
    /// `current − retention_epochs`, oldest first; returns how many totals went.
    pub fn prune(&self, ctx: &mut Ctx<'_, '_>, current_epoch: u64) -> AppResult<usize> {
        let params = self.params(ctx)?;
        let before = current_epoch.saturating_sub(params.retention_epochs);
        if before == 0 {
            return Ok(0);
        }
        let mut store = ctx.storage(PREFIX);
        let totals: Vec<(u64, String)> = EPOCH_ENERGY
            .keys(
                &store,
                None,
                Some(Bound::exclusive((before, ""))),
                Order::Ascending,
            )
            .take(MAX_PRUNED_PER_BLOCK)
            .collect::<Result<_, _>>()?;
        for (epoch, device_id) in &totals {
            EPOCH_ENERGY.remove(&mut store, (*epoch, device_id.as_str()));
        }
        let units: Vec<u64> = EPOCH_UNITS
            .keys(
                &store,
                None,
                Some(Bound::exclusive(before)),
                Order::Ascending,
            )
            .take(MAX_PRUNED_PER_BLOCK)
            .collect::<Result<_, _>>()?;
        // A unit goes only once no total of its epoch is left.
        let oldest_total = EPOCH_ENERGY
            .keys(&store, None, None, Order::Ascending)
            .next()
            .transpose()?
            .map(|(e, _)| e);
        for epoch in units {
            if oldest_total.is_some_and(|o| o <= epoch) {
                break;
            }
            EPOCH_UNITS.remove(&mut store, epoch);
        }
        drop(store);
        if !totals.is_empty() {
            ctx.emit(events::pruned(before, totals.len()));
        }
        Ok(totals.len())
    }

    pub fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let epoch = self.registry.current_epoch(ctx)?;
        self.prune(ctx, epoch)?;
        Ok(())
    }
}

/// The rewards module's device source on a chain with energy meters: the registry's epoch
/// clock, contributions and hex densities, with each contribution's `score` raised by the
/// points its meter earned in that epoch.
///
/// The rule: a meter is paid only in epochs where the registry recorded a contribution for it
/// (its heartbeat proves it is alive). Readings of a device without a contribution in an epoch
/// earn nothing for that epoch.
pub struct EnergyDevices<D: RewardsDevices> {
    devices: D,
    energy: EnergyKeeper,
}

impl<D: RewardsDevices> EnergyDevices<D> {
    pub fn new(devices: D, energy: EnergyKeeper) -> Self {
        EnergyDevices { devices, energy }
    }
}

impl<D: RewardsDevices> RewardsDevices for EnergyDevices<D> {
    fn current_epoch(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        self.devices.current_epoch(ctx)
    }

    fn work(
        &self,
        ctx: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<DeviceWork>> {
        let mut page = self.devices.work(ctx, epoch, start_after, limit)?;
        for work in &mut page {
            let points = self.energy.points(ctx, epoch, &work.device_id)?;
            work.score = work.score.saturating_add(points);
        }
        Ok(page)
    }

    fn hex_density(&self, ctx: &mut Ctx<'_, '_>, epoch: u64, hex: u64) -> AppResult<u32> {
        self.devices.hex_density(ctx, epoch, hex)
    }
}
