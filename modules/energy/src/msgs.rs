//! One function per message: stateless checks (`validate`, before any state is read), then
//! load → check → write → emit. A handler that fails leaves no trace: its branch is dropped.

use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use depin_device::msgs::{ED25519_VERIFY_GAS, SECP256K1_VERIFY_GAS};
use depin_device::signing;
use depin_proto::depin::device::v1::KeyType;
use depin_proto::depin::energy::v1::*;
use prost::Message;

use crate::error::EnergyError;
use crate::events;
use crate::params::Params;
use crate::state::{PARAMS, PREFIX};
use crate::EnergyModule;

pub const MSG_SUBMIT_READING: &str = "/depin.energy.v1.MsgSubmitReading";
pub const MSG_UPDATE_PARAMS: &str = "/depin.energy.v1.MsgUpdateParams";

pub const MSG_TYPE_URLS: &[&str] = &[MSG_SUBMIT_READING, MSG_UPDATE_PARAMS];

/// `ReadingSignDoc.domain`: a meter's counter (never valid as any device-module document).
pub const READING_DOMAIN: &str = "depin.energy.v1.reading";

/// What a meter's device key signs: the protobuf encoding of `ReadingSignDoc`.
pub fn reading_bytes(chain_id: &str, device_id: &str, epoch: u64, cumulative_wh: u64) -> Vec<u8> {
    ReadingSignDoc {
        domain: READING_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        device_id: device_id.to_string(),
        epoch,
        cumulative_wh,
    }
    .encode_to_vec()
}

fn decode<T: Message + Default>(type_url: &str, value: &[u8]) -> AppResult<T> {
    depin_app::module::decode_msg(&cosmrs::Any {
        type_url: type_url.to_string(),
        value: value.to_vec(),
    })
}

impl EnergyModule {
    /// The stateless checks of a message, returning its signer.
    pub(crate) fn validate(&self, type_url: &str, value: &[u8]) -> AppResult<Vec<u8>> {
        let codec = self.keeper.codec();
        match type_url {
            MSG_SUBMIT_READING => {
                let m: MsgSubmitReading = decode(type_url, value)?;
                signing::parse_device_id(codec.prefix(), &m.device_id).map_err(|e| {
                    EnergyError::InvalidField {
                        what: "device_id",
                        reason: e.to_string(),
                    }
                })?;
                if m.signature.len() != signing::SIGNATURE_LEN {
                    return Err(EnergyError::InvalidSignature(format!(
                        "it is {} bytes; a device signature is {}",
                        m.signature.len(),
                        signing::SIGNATURE_LEN
                    ))
                    .into());
                }
                codec.decode(&m.submitter)
            }
            MSG_UPDATE_PARAMS => {
                let m: MsgUpdateParams = decode(type_url, value)?;
                let p = m.params.as_ref().ok_or(EnergyError::MissingParams)?;
                Params::from_proto(p).validate()?;
                check_authority(codec, &self.authority, &m.authority)
            }
            other => Err(EnergyError::InvalidRequest(format!(
                "the energy module does not handle {other}"
            ))
            .into()),
        }
    }

    pub(crate) fn execute(
        &self,
        ctx: &mut Ctx<'_, '_>,
        type_url: &str,
        value: &[u8],
    ) -> AppResult<Vec<u8>> {
        self.validate(type_url, value)?;
        match type_url {
            MSG_SUBMIT_READING => self.submit_reading(ctx, decode(type_url, value)?),
            MSG_UPDATE_PARAMS => self.update_params(ctx, decode(type_url, value)?),
            other => Err(EnergyError::InvalidRequest(format!("unknown message {other}")).into()),
        }
    }

    /// The device exists and is Active, the epoch is the registry's, the device key signed
    /// the reading; then the counter rules (`EnergyKeeper::record_reading`).
    fn submit_reading(&self, ctx: &mut Ctx<'_, '_>, m: MsgSubmitReading) -> AppResult<Vec<u8>> {
        let k = &self.keeper;
        let device = k
            .registry()
            .device(ctx, &m.device_id)?
            .ok_or_else(|| EnergyError::DeviceNotFound(m.device_id.clone()))?;
        if !device.active {
            return Err(EnergyError::DeviceNotActive {
                device: m.device_id,
                status: device.status,
            }
            .into());
        }
        let epoch = k.registry().current_epoch(ctx)?;
        if m.epoch != epoch {
            return Err(EnergyError::WrongEpoch {
                got: m.epoch,
                current: epoch,
            }
            .into());
        }
        // Charged as the device module charges its own device signatures.
        let gas = if device.key.r#type == KeyType::Secp256k1 as i32 {
            SECP256K1_VERIFY_GAS
        } else {
            ED25519_VERIFY_GAS
        };
        ctx.consume_gas(gas, "device signature");
        signing::verify(
            &device.key,
            &reading_bytes(&ctx.env.chain_id, &m.device_id, epoch, m.cumulative_wh),
            &m.signature,
        )
        .map_err(|e| EnergyError::InvalidSignature(e.to_string()))?;
        let params = k.params(ctx)?;
        let delivered = k.record_reading(ctx, &params, &m.device_id, epoch, m.cumulative_wh)?;
        ctx.emit(events::reading(
            &m.device_id,
            epoch,
            m.cumulative_wh,
            delivered,
            &m.submitter,
        ));
        Ok(MsgSubmitReadingResponse {
            delivered_wh: delivered,
        }
        .encode_to_vec())
    }

    fn update_params(&self, ctx: &mut Ctx<'_, '_>, m: MsgUpdateParams) -> AppResult<Vec<u8>> {
        let p = m.params.as_ref().ok_or(EnergyError::MissingParams)?;
        let params = Params::from_proto(p);
        params.validate()?;
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::params_updated());
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }
}
