//! Coverage witnesses (Helium-style proof of coverage): device A transmits a beacon it signed,
//! device B hears it and signs a witness report over the beacon's hash, and anyone submits
//! both. The report counts only when both devices are Active coverage devices with locations,
//! of different owners, their cells `min..=max` grid steps apart at `witness_resolution`, the
//! report is new, and no per-epoch cap is reached. A counted report adds one witness to B's
//! contribution and, the first time the beacon is witnessed, one beacon to A's.

use cosmwasm_std::Order;
use cw_storage_plus::Bound;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_proto::depin::device::v1::{DeviceKind, MsgSubmitWitness, MsgSubmitWitnessResponse};
use prost::Message;

use crate::error::DeviceError;
use crate::events;
use crate::msgs::verify_charged;
use crate::params::Params;
use crate::state::{CONTRIBUTIONS, PREFIX, WITNESS_RECORDS};
use crate::types::{status_name, Device, Status};
use crate::{h3, signing, DeviceModule};

pub const MSG_SUBMIT_WITNESS: &str = "/depin.device.v1.MsgSubmitWitness";

impl DeviceModule {
    /// Stateless checks: the submitter's address, both ids, the data hash.
    pub(crate) fn validate_witness(&self, msg: &MsgSubmitWitness) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.submitter)?;
        self.check_device_id(&msg.beacon_device_id)?;
        self.check_device_id(&msg.witness_device_id)?;
        if msg.beacon_device_id == msg.witness_device_id {
            return Err(DeviceError::SelfWitness(msg.beacon_device_id.clone()).into());
        }
        if msg.beacon_data_hash.len() != 32 {
            return Err(DeviceError::InvalidDataHash(msg.beacon_data_hash.len()).into());
        }
        Ok(signer)
    }

    /// A device that can take part in a witness: Active, of a coverage class, located.
    fn witness_party(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        id: &str,
        role: &'static str,
    ) -> AppResult<(Device, u64)> {
        let device = self
            .keeper
            .device(ctx, id)?
            .ok_or_else(|| DeviceError::DeviceNotFound(id.to_string()))?;
        let status = self.keeper.effective_status(ctx, &device)?;
        if status != Status::Active {
            return Err(DeviceError::WrongStatus {
                device: device.id,
                status: status_name(status as i32).to_string(),
                action: role,
            }
            .into());
        }
        let coverage = params
            .class(&device.class)
            .is_some_and(|c| c.kind == DeviceKind::Coverage as i32);
        if !coverage {
            return Err(DeviceError::NotCoverage {
                device: device.id,
                class: device.class,
            }
            .into());
        }
        let cell = device
            .location
            .as_ref()
            .map(|l| l.h3_cell)
            .ok_or_else(|| DeviceError::WitnessNeedsLocation(device.id.clone()))?;
        Ok((device, cell))
    }

    pub(crate) fn submit_witness(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgSubmitWitness,
    ) -> AppResult<Vec<u8>> {
        let submitter_raw = self.validate_witness(msg)?;
        let submitter = self.keeper.codec().encode(&submitter_raw);
        let params = self.keeper.params(ctx)?;
        let epoch = self.keeper.current_epoch(ctx)?;
        if msg.epoch != epoch {
            return Err(DeviceError::WrongEpoch {
                what: "beacon",
                got: msg.epoch,
                current: epoch,
            }
            .into());
        }
        let (beacon, beacon_cell) =
            self.witness_party(ctx, &params, &msg.beacon_device_id, "a beacon")?;
        let (witness, witness_cell) =
            self.witness_party(ctx, &params, &msg.witness_device_id, "a witness report")?;
        if beacon.owner == witness.owner {
            return Err(DeviceError::SameOwnerWitness {
                beacon: beacon.id,
                witness: witness.id,
                owner: witness.owner,
            }
            .into());
        }

        // Signatures: the beacon by its device, the report (over the beacon's hash) by the
        // witness.
        let chain_id = ctx.env.chain_id.clone();
        let beacon_bytes = signing::beacon_bytes(
            &chain_id,
            &beacon.id,
            epoch,
            msg.beacon_nonce,
            &msg.beacon_data_hash,
        );
        verify_charged(
            ctx,
            &beacon.key.to_proto(),
            &beacon_bytes,
            &msg.beacon_signature,
        )
        .map_err(|e| DeviceError::InvalidSignature {
            what: "beacon",
            reason: e.to_string(),
        })?;
        let beacon_hash = signing::beacon_hash(
            &chain_id,
            &beacon.id,
            epoch,
            msg.beacon_nonce,
            &msg.beacon_data_hash,
        );
        verify_charged(
            ctx,
            &witness.key.to_proto(),
            &signing::witness_bytes(&chain_id, &witness.id, &beacon_hash, msg.rssi, msg.snr),
            &msg.witness_signature,
        )
        .map_err(|e| DeviceError::InvalidSignature {
            what: "witness",
            reason: e.to_string(),
        })?;

        // Geometry: grid steps between the two cells at the witness resolution.
        let distance = h3::grid_distance_at(
            beacon_cell,
            witness_cell,
            Params::resolution(params.witness_resolution),
        );
        let (min, max) = (params.min_witness_distance, params.max_witness_distance);
        if !distance.is_some_and(|d| (min..=max).contains(&d)) {
            return Err(DeviceError::WitnessDistance { distance, min, max }.into());
        }

        // Replays and caps.
        let record = (
            epoch,
            (beacon.id.as_str(), msg.beacon_nonce, witness.id.as_str()),
        );
        let store = ctx.storage(PREFIX);
        if WITNESS_RECORDS.has(&store, record) {
            return Err(DeviceError::WitnessAlreadyCounted {
                beacon: beacon.id.clone(),
                nonce: msg.beacon_nonce,
                witness: witness.id.clone(),
            }
            .into());
        }
        // The witnesses of this beacon so far: they sort together after (beacon, nonce, "");
        // at most cap + 1 keys are read.
        let cap = params.max_witnesses_per_beacon;
        let mut heard: u32 = 0;
        for key in WITNESS_RECORDS.prefix(epoch).keys(
            &store,
            Some(Bound::inclusive((beacon.id.as_str(), msg.beacon_nonce, ""))),
            None,
            Order::Ascending,
        ) {
            let (b, n, _) = key?;
            if b != beacon.id || n != msg.beacon_nonce || heard > cap {
                break;
            }
            heard += 1;
        }
        drop(store);
        if heard >= cap {
            return Err(DeviceError::WitnessCapReached {
                what: format!("witnesses of beacon {} of {}", msg.beacon_nonce, beacon.id),
                cap,
            }
            .into());
        }
        let mut beacon_entry = self
            .keeper
            .contribution_entry(ctx, &params, &beacon, epoch)?;
        let first_witness = heard == 0;
        if first_witness && beacon_entry.beacons >= params.max_beacons_per_device {
            return Err(DeviceError::WitnessCapReached {
                what: format!("witnessed beacons of {} this epoch", beacon.id),
                cap: params.max_beacons_per_device,
            }
            .into());
        }
        let mut witness_entry = self
            .keeper
            .contribution_entry(ctx, &params, &witness, epoch)?;
        if witness_entry.witnesses >= params.max_witness_reports_per_device {
            return Err(DeviceError::WitnessCapReached {
                what: format!("witness reports of {} this epoch", witness.id),
                cap: params.max_witness_reports_per_device,
            }
            .into());
        }

        let overflow = || DeviceError::Corrupt("a contribution count overflows".into());
        if first_witness {
            beacon_entry.beacons = beacon_entry.beacons.checked_add(1).ok_or_else(overflow)?;
        }
        witness_entry.witnesses = witness_entry
            .witnesses
            .checked_add(1)
            .ok_or_else(overflow)?;
        let mut store = ctx.storage(PREFIX);
        CONTRIBUTIONS.save(&mut store, (epoch, &beacon.id), &beacon_entry)?;
        CONTRIBUTIONS.save(&mut store, (epoch, &witness.id), &witness_entry)?;
        WITNESS_RECORDS.save(&mut store, record, &())?;
        drop(store);
        ctx.emit(events::witness(
            &beacon.id,
            msg.beacon_nonce,
            &witness.id,
            epoch,
            distance.unwrap_or_default(),
            &submitter,
        ));
        Ok(MsgSubmitWitnessResponse {}.encode_to_vec())
    }
}
