//! Genesis import (validated) and export (`app_state.energy`): params, meters, the epoch totals
//! not yet pruned and the unit of each epoch that has readings.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::EnergyError;
use crate::params::Params;
use crate::state::{Meter, EPOCH_ENERGY, EPOCH_UNITS, METERS, PARAMS, PREFIX};
use crate::EnergyModule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub meters: Vec<Meter>,
    pub epoch_energy: Vec<GenesisEpochEnergy>,
    pub epoch_units: Vec<GenesisEpochUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisEpochEnergy {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    pub device_id: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub delivered_wh: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisEpochUnit {
    #[serde(with = "depin_app::json::u64_string")]
    pub epoch: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub wh_per_point: u64,
}

fn invalid(msg: impl Into<String>) -> AppError {
    EnergyError::InvalidGenesis(msg.into()).into()
}

impl GenesisState {
    /// Params valid; meters named once, with a well-formed id; every epoch total > 0, listed
    /// once, of a listed meter, not after its last reading, and the totals of a meter at most
    /// what it delivered; every epoch with a total has a unit; units > 0, listed once.
    pub fn validate(&self, device_prefix: &str) -> AppResult<()> {
        self.params
            .validate()
            .map_err(|e| invalid(format!("params: {e}")))?;
        let mut meters = BTreeMap::new();
        for m in &self.meters {
            depin_device::signing::parse_device_id(device_prefix, &m.device_id)
                .map_err(|e| invalid(format!("meter: {e}")))?;
            if meters.insert(m.device_id.as_str(), m).is_some() {
                return Err(invalid(format!("meter {} is listed twice", m.device_id)));
            }
        }
        let mut units = BTreeSet::new();
        for u in &self.epoch_units {
            if u.wh_per_point == 0 {
                return Err(invalid(format!("epoch {} has wh_per_point 0", u.epoch)));
            }
            if !units.insert(u.epoch) {
                return Err(invalid(format!(
                    "the unit of epoch {} is listed twice",
                    u.epoch
                )));
            }
        }
        let mut seen = BTreeSet::new();
        let mut sums: BTreeMap<&str, u128> = BTreeMap::new();
        for e in &self.epoch_energy {
            let meter = meters.get(e.device_id.as_str()).ok_or_else(|| {
                invalid(format!(
                    "epoch {} has energy of {}, which is not a listed meter",
                    e.epoch, e.device_id
                ))
            })?;
            if e.delivered_wh == 0 {
                return Err(invalid(format!(
                    "epoch {} lists 0 Wh for {}: leave it out",
                    e.epoch, e.device_id
                )));
            }
            if e.epoch > meter.last_epoch {
                return Err(invalid(format!(
                    "epoch {} has energy of {}, whose last reading is in epoch {}",
                    e.epoch, e.device_id, meter.last_epoch
                )));
            }
            if !seen.insert((e.epoch, e.device_id.as_str())) {
                return Err(invalid(format!(
                    "the energy of {} in epoch {} is listed twice",
                    e.device_id, e.epoch
                )));
            }
            if !units.contains(&e.epoch) {
                return Err(invalid(format!("epoch {} has energy but no unit", e.epoch)));
            }
            let sum = sums.entry(e.device_id.as_str()).or_default();
            *sum += u128::from(e.delivered_wh);
            if *sum > u128::from(meter.delivered_wh) {
                return Err(invalid(format!(
                    "the epoch totals of {} exceed the {} Wh it delivered",
                    e.device_id, meter.delivered_wh
                )));
            }
        }
        Ok(())
    }
}

impl EnergyModule {
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        genesis.validate(self.keeper.codec().prefix())?;
        // Nothing may come from the future: the registry's genesis (imported first) set its
        // epoch clock. A later epoch's total would be paid when the chain gets there, and a
        // meter whose last reading is ahead would move backwards at its next one.
        let current = self.keeper.registry().current_epoch(ctx)?;
        let future = genesis
            .meters
            .iter()
            .map(|m| (m.last_epoch, m.device_id.as_str()))
            .chain(
                genesis
                    .epoch_energy
                    .iter()
                    .map(|e| (e.epoch, e.device_id.as_str())),
            )
            .chain(genesis.epoch_units.iter().map(|u| (u.epoch, "a unit")))
            .find(|(epoch, _)| *epoch > current);
        if let Some((epoch, what)) = future {
            return Err(invalid(format!(
                "{what} is at epoch {epoch}, after the device registry's current epoch {current}"
            )));
        }
        let mut store = ctx.storage(PREFIX);
        PARAMS.save(&mut store, &genesis.params)?;
        for m in &genesis.meters {
            METERS.save(&mut store, &m.device_id, m)?;
        }
        for e in &genesis.epoch_energy {
            EPOCH_ENERGY.save(&mut store, (e.epoch, &e.device_id), &e.delivered_wh)?;
        }
        for u in &genesis.epoch_units {
            EPOCH_UNITS.save(&mut store, u.epoch, &u.wh_per_point)?;
        }
        Ok(())
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.keeper.params(ctx)?;
        let store = ctx.storage(PREFIX);
        let meters = METERS
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, m)| m))
            .collect::<Result<_, _>>()?;
        let epoch_energy = EPOCH_ENERGY
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|((epoch, device_id), delivered_wh)| GenesisEpochEnergy {
                    epoch,
                    device_id,
                    delivered_wh,
                })
            })
            .collect::<Result<_, _>>()?;
        let epoch_units = EPOCH_UNITS
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|(epoch, wh_per_point)| GenesisEpochUnit {
                    epoch,
                    wh_per_point,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(GenesisState {
            params,
            meters,
            epoch_energy,
            epoch_units,
        })
    }
}
