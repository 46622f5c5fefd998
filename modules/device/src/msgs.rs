//! One function per message: stateless checks (`validate_*`, before any state is read), then
//! load → check → write → emit. A handler that fails leaves no trace: its branch is dropped.

use depin_app::coins;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use depin_proto::depin::device::v1::{
    MsgAssertLocation, MsgAssertLocationResponse, MsgDecommissionDevice,
    MsgDecommissionDeviceResponse, MsgHeartbeat, MsgHeartbeatResponse, MsgOnboardDevice,
    MsgOnboardDeviceResponse, MsgRegisterMaker, MsgRegisterMakerResponse, MsgRevokeMaker,
    MsgRevokeMakerResponse, MsgRotateDeviceKey, MsgRotateDeviceKeyResponse, MsgTransferDevice,
    MsgTransferDeviceResponse, MsgUpdateDeviceMetadata, MsgUpdateDeviceMetadataResponse,
    MsgUpdateParams, MsgUpdateParamsResponse,
};
use prost::Message;

use crate::error::DeviceError;
use crate::events;
use crate::params::Params;
use crate::state::{devices, DEVICE_KEYS, LOCATIONS, MAKERS, PARAMS, PREFIX, SERIALS};
use crate::types::{status_name, validate_name, Device, Location, Maker, PublicKey, Status};
use crate::{h3, signing, DeviceModule};

pub const MSG_REGISTER_MAKER: &str = "/depin.device.v1.MsgRegisterMaker";
pub const MSG_REVOKE_MAKER: &str = "/depin.device.v1.MsgRevokeMaker";
pub const MSG_ONBOARD_DEVICE: &str = "/depin.device.v1.MsgOnboardDevice";
pub const MSG_ASSERT_LOCATION: &str = "/depin.device.v1.MsgAssertLocation";
pub const MSG_TRANSFER_DEVICE: &str = "/depin.device.v1.MsgTransferDevice";
pub const MSG_ROTATE_DEVICE_KEY: &str = "/depin.device.v1.MsgRotateDeviceKey";
pub const MSG_UPDATE_DEVICE_METADATA: &str = "/depin.device.v1.MsgUpdateDeviceMetadata";
pub const MSG_DECOMMISSION_DEVICE: &str = "/depin.device.v1.MsgDecommissionDevice";
pub const MSG_HEARTBEAT: &str = "/depin.device.v1.MsgHeartbeat";
pub const MSG_UPDATE_PARAMS: &str = "/depin.device.v1.MsgUpdateParams";

/// Gas for checking one device or maker signature, as the auth module charges a transaction
/// signature (the Cosmos SDK's defaults): a message carrying signatures pays for them.
pub const SECP256K1_VERIFY_GAS: u64 = 1_000;
pub const ED25519_VERIFY_GAS: u64 = 590;

/// [`signing::verify`], charged to the transaction's gas.
pub(crate) fn verify_charged(
    ctx: &Ctx<'_, '_>,
    key: &depin_proto::depin::device::v1::PublicKey,
    sign_bytes: &[u8],
    signature: &[u8],
) -> Result<(), signing::SignatureError> {
    let gas = if key.r#type == depin_proto::depin::device::v1::KeyType::Secp256k1 as i32 {
        SECP256K1_VERIFY_GAS
    } else {
        ED25519_VERIFY_GAS
    };
    ctx.consume_gas(gas, "device signature");
    signing::verify(key, sign_bytes, signature)
}

/// Meters above ground a location may assert (a basement to a mast on a skyscraper).
pub const ELEVATION_RANGE: std::ops::RangeInclusive<i32> = -500..=10_000;
/// Antenna gain a location may assert, in tenths of dBi.
pub const GAIN_RANGE: std::ops::RangeInclusive<i32> = -100..=300;

fn key_error(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::InvalidKey(e.to_string())
}

fn signature_error(what: &'static str) -> impl FnOnce(signing::SignatureError) -> DeviceError {
    move |e| DeviceError::InvalidSignature {
        what,
        reason: e.to_string(),
    }
}

fn location_error(e: h3::LocationError) -> DeviceError {
    DeviceError::InvalidLocation(e.to_string())
}

/// The stateless form of a device key: present and well-formed for its type.
fn device_key(key: Option<&depin_proto::depin::device::v1::PublicKey>) -> AppResult<PublicKey> {
    let key = key.ok_or_else(|| key_error("the key is missing"))?;
    signing::validate_key(key).map_err(key_error)?;
    Ok(PublicKey::from_proto(key))
}

impl DeviceModule {
    fn authority(&self, authority: &str) -> AppResult<Vec<u8>> {
        check_authority(self.keeper.codec(), &self.authority, authority)
    }

    pub(crate) fn check_device_id(&self, id: &str) -> AppResult<()> {
        signing::parse_device_id(self.keeper.codec().prefix(), id).map_err(|e| {
            DeviceError::InvalidDeviceId {
                id: id.to_string(),
                reason: e.to_string(),
            }
        })?;
        Ok(())
    }

    /// Loads a device that `owner` must own, in a status that allows `action` (refused:
    /// Decommissioned always, Suspended unless `allow_suspended`).
    fn owned_device(
        &self,
        ctx: &mut Ctx<'_, '_>,
        owner: &str,
        id: &str,
        action: &'static str,
        allow_suspended: bool,
    ) -> AppResult<(Device, Status)> {
        let device = self
            .keeper
            .device(ctx, id)?
            .ok_or_else(|| DeviceError::DeviceNotFound(id.to_string()))?;
        if device.owner != owner {
            return Err(DeviceError::NotOwner {
                signer: owner.to_string(),
                device: id.to_string(),
                owner: device.owner,
            }
            .into());
        }
        let status = self.keeper.effective_status(ctx, &device)?;
        let refused =
            status == Status::Decommissioned || (status == Status::Suspended && !allow_suspended);
        if refused {
            return Err(DeviceError::WrongStatus {
                device: id.to_string(),
                status: status_name(status as i32).to_string(),
                action,
            }
            .into());
        }
        Ok((device, status))
    }

    fn check_metadata(params: &Params, metadata: &str) -> AppResult<()> {
        if metadata.len() > params.max_metadata_bytes as usize {
            return Err(DeviceError::MetadataTooLong {
                len: metadata.len(),
                max: params.max_metadata_bytes,
            }
            .into());
        }
        Ok(())
    }

    fn location(
        ctx: &Ctx<'_, '_>,
        params: &Params,
        location: Option<&depin_proto::depin::device::v1::Location>,
    ) -> AppResult<Location> {
        let l = location.ok_or(DeviceError::MissingLocation)?;
        h3::validate_cell(
            l.h3_cell,
            Params::resolution(params.min_location_resolution),
            Params::resolution(params.max_location_resolution),
        )
        .map_err(location_error)?;
        if !ELEVATION_RANGE.contains(&l.elevation) {
            return Err(DeviceError::InvalidLocation(format!(
                "elevation {} m is outside {}..={} m above ground",
                l.elevation,
                ELEVATION_RANGE.start(),
                ELEVATION_RANGE.end()
            ))
            .into());
        }
        if !GAIN_RANGE.contains(&l.gain) {
            return Err(DeviceError::InvalidLocation(format!(
                "antenna gain {} (tenths of dBi) is outside {}..={}",
                l.gain,
                GAIN_RANGE.start(),
                GAIN_RANGE.end()
            ))
            .into());
        }
        Ok(Location {
            height: i64::try_from(ctx.env.height).unwrap_or(i64::MAX),
            ..Location::from_proto(l)
        })
    }

    /// Appends `location` to the device's history.
    fn append_location(
        ctx: &mut Ctx<'_, '_>,
        device_id: &str,
        location: &Location,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        let next = LOCATIONS
            .prefix(device_id)
            .keys(&store, None, None, cosmwasm_std::Order::Descending)
            .next()
            .transpose()?
            .map_or(0, |last| last.saturating_add(1));
        LOCATIONS.save(&mut store, (device_id, next), location)?;
        Ok(())
    }

    // MsgRegisterMaker

    pub(crate) fn validate_register_maker(&self, msg: &MsgRegisterMaker) -> AppResult<Vec<u8>> {
        let signer = self.authority(&msg.authority)?;
        validate_name("maker", &msg.name)?;
        device_key(msg.key.as_ref())?;
        for class in &msg.allowed_classes {
            validate_name("class", class)?;
        }
        Ok(signer)
    }

    pub(crate) fn register_maker(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgRegisterMaker,
    ) -> AppResult<Vec<u8>> {
        self.validate_register_maker(msg)?;
        let params = self.keeper.params(ctx)?;
        for class in &msg.allowed_classes {
            if params.class(class).is_none() {
                return Err(DeviceError::ClassNotFound(class.clone()).into());
            }
        }
        let key = device_key(msg.key.as_ref())?;
        let existing = self.keeper.maker(ctx, &msg.name)?;
        if existing.as_ref().is_some_and(|m| m.revoked) {
            return Err(DeviceError::MakerRevoked(msg.name.clone()).into());
        }
        // One key, one maker (revoked ones included): an attestation names no maker, so a
        // shared key would let an owner pick whose quota to use, or keep using a revoked
        // maker's attestations under another name. Makers are few (governance registers
        // them), so they are read in full.
        let store = ctx.storage(PREFIX);
        for entry in MAKERS.range(&store, None, None, cosmwasm_std::Order::Ascending) {
            let (name, other) = entry?;
            if name != msg.name && other.key == key {
                return Err(DeviceError::MakerKeyInUse(name).into());
            }
        }
        drop(store);
        let mut allowed = msg.allowed_classes.clone();
        allowed.sort();
        allowed.dedup();
        let maker = Maker {
            name: msg.name.clone(),
            key,
            allowed_classes: allowed,
            device_quota: msg.device_quota,
            devices_onboarded: existing.map_or(0, |m| m.devices_onboarded),
            revoked: false,
            revoked_height: 0,
        };
        MAKERS.save(&mut ctx.storage(PREFIX), &maker.name, &maker)?;
        ctx.emit(events::maker_registered(&maker.name, maker.device_quota));
        Ok(MsgRegisterMakerResponse {}.encode_to_vec())
    }

    // MsgRevokeMaker

    pub(crate) fn validate_revoke_maker(&self, msg: &MsgRevokeMaker) -> AppResult<Vec<u8>> {
        let signer = self.authority(&msg.authority)?;
        validate_name("maker", &msg.name)?;
        Ok(signer)
    }

    pub(crate) fn revoke_maker(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgRevokeMaker,
    ) -> AppResult<Vec<u8>> {
        self.validate_revoke_maker(msg)?;
        let mut maker = self
            .keeper
            .maker(ctx, &msg.name)?
            .ok_or_else(|| DeviceError::MakerNotFound(msg.name.clone()))?;
        if maker.revoked {
            return Err(DeviceError::AlreadyRevoked(msg.name.clone()).into());
        }
        maker.revoked = true;
        maker.revoked_height = i64::try_from(ctx.env.height).unwrap_or(i64::MAX);
        let mut store = ctx.storage(PREFIX);
        MAKERS.save(&mut store, &maker.name, &maker)?;
        crate::state::SUSPENSION_CURSORS.save(&mut store, &maker.name, &String::new())?;
        ctx.emit(events::maker_revoked(&maker.name, ctx.env.height));
        Ok(MsgRevokeMakerResponse {}.encode_to_vec())
    }

    // MsgUpdateParams

    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let signer = self.authority(&msg.authority)?;
        let params = Params::from_proto(msg.params.as_ref().ok_or(DeviceError::MissingParams)?)?;
        Ok((signer, params))
    }

    pub(crate) fn update_params(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUpdateParams,
    ) -> AppResult<Vec<u8>> {
        let (_, params) = self.validate_update_params(msg)?;
        let old = self.keeper.params(ctx)?;
        for class in &old.classes {
            if params.class(&class.name).is_some() {
                continue;
            }
            let store = ctx.storage(PREFIX);
            let user = devices()
                .idx
                .class
                .prefix(class.name.clone())
                .keys(&store, None, None, cosmwasm_std::Order::Ascending)
                .next()
                .transpose()?;
            if let Some(device) = user {
                return Err(DeviceError::ClassInUse {
                    class: class.name.clone(),
                    device,
                }
                .into());
            }
        }
        if params.epoch_blocks != old.epoch_blocks {
            // The current epoch ends with this block; the next block starts the next epoch,
            // the first of the new length. Epoch numbers never go back or skip.
            let next = self.keeper.current_epoch(ctx)?.saturating_add(1);
            let anchor = crate::types::EpochAnchor {
                first_epoch: next,
                start_height: i64::try_from(ctx.env.height)
                    .unwrap_or(i64::MAX)
                    .saturating_add(1),
            };
            crate::state::EPOCH_ANCHOR.save(&mut ctx.storage(PREFIX), &anchor)?;
        }
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::params_updated(&msg.authority));
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }

    // MsgOnboardDevice

    pub(crate) fn validate_onboard(&self, msg: &MsgOnboardDevice) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        validate_name("maker", &msg.maker)?;
        validate_name("class", &msg.class)?;
        device_key(msg.device_key.as_ref())?;
        Ok(signer)
    }

    pub(crate) fn onboard(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgOnboardDevice,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_onboard(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let params = self.keeper.params(ctx)?;
        let mut maker = self
            .keeper
            .maker(ctx, &msg.maker)?
            .ok_or_else(|| DeviceError::MakerNotFound(msg.maker.clone()))?;
        if maker.revoked {
            return Err(DeviceError::MakerRevoked(maker.name).into());
        }
        let class = params
            .class(&msg.class)
            .ok_or_else(|| DeviceError::ClassNotFound(msg.class.clone()))?
            .clone();
        if !maker.allowed_classes.contains(&msg.class) {
            return Err(DeviceError::ClassNotAllowed {
                maker: maker.name,
                class: msg.class.clone(),
                allowed: maker.allowed_classes.join(", "),
            }
            .into());
        }
        if maker.devices_onboarded >= maker.device_quota {
            return Err(DeviceError::QuotaExhausted {
                maker: maker.name,
                quota: maker.device_quota,
            }
            .into());
        }
        if msg.serial.is_empty() || msg.serial.len() > params.max_serial_bytes as usize {
            return Err(DeviceError::InvalidSerial {
                serial: msg.serial.clone(),
                max: params.max_serial_bytes,
            }
            .into());
        }
        if let Some(device) = SERIALS.may_load(&ctx.storage(PREFIX), (&maker.name, &msg.serial))? {
            return Err(DeviceError::DuplicateSerial {
                maker: maker.name,
                serial: msg.serial.clone(),
                device,
            }
            .into());
        }
        let key_proto = msg
            .device_key
            .as_ref()
            .ok_or_else(|| key_error("the key is missing"))?;
        let key = PublicKey::from_proto(key_proto);
        if let Some(device) = DEVICE_KEYS.may_load(&ctx.storage(PREFIX), &key.index_bytes())? {
            return Err(DeviceError::KeyInUse(device).into());
        }
        Self::check_metadata(&params, &msg.metadata)?;
        let location = match &msg.location {
            Some(l) => Some(Self::location(ctx, &params, Some(l))?),
            None => None,
        };
        let chain_id = ctx.env.chain_id.clone();
        verify_charged(
            ctx,
            &maker.key.to_proto(),
            &signing::attestation_bytes(&chain_id, key_proto, &msg.class, &msg.serial),
            &msg.attestation,
        )
        .map_err(signature_error("maker attestation"))?;
        verify_charged(
            ctx,
            key_proto,
            &signing::possession_bytes(&chain_id, &owner, msg.nonce),
            &msg.possession,
        )
        .map_err(signature_error("device possession"))?;

        let id = signing::device_id(self.keeper.codec().prefix(), key_proto);
        if self.keeper.device(ctx, &id)?.is_some() {
            return Err(DeviceError::KeyInUse(id).into());
        }
        self.keeper
            .burn_fee(ctx, "onboarding", &owner_raw, &class.onboarding_fee)?;
        let device = Device {
            id: id.clone(),
            owner: owner.clone(),
            maker: maker.name.clone(),
            class: class.name.clone(),
            serial: msg.serial.clone(),
            key: key.clone(),
            status: Status::Onboarded as i32,
            location,
            location_asserts: 0,
            metadata: msg.metadata.clone(),
            onboarded_height: i64::try_from(ctx.env.height).unwrap_or(i64::MAX),
            last_heartbeat_epoch: 0,
            heartbeat_counter: 0,
            heartbeats: 0,
            key_rotations: 0,
        };
        maker.devices_onboarded = maker
            .devices_onboarded
            .checked_add(1)
            .ok_or_else(|| DeviceError::Corrupt("devices_onboarded overflows".into()))?;
        self.keeper.save_device(ctx, &device)?;
        let mut store = ctx.storage(PREFIX);
        DEVICE_KEYS.save(&mut store, &key.index_bytes(), &id)?;
        SERIALS.save(&mut store, (&maker.name, &msg.serial), &id)?;
        MAKERS.save(&mut store, &maker.name, &maker)?;
        if let Some(l) = &location {
            Self::append_location(ctx, &id, l)?;
        }
        ctx.emit(events::device_onboarded(
            &id,
            &owner,
            &maker.name,
            &class.name,
        ));
        Ok(MsgOnboardDeviceResponse { device_id: id }.encode_to_vec())
    }

    // MsgAssertLocation

    pub(crate) fn validate_assert_location(&self, msg: &MsgAssertLocation) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        self.check_device_id(&msg.device_id)?;
        if msg.location.is_none() {
            return Err(DeviceError::MissingLocation.into());
        }
        Ok(signer)
    }

    pub(crate) fn assert_location(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgAssertLocation,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_assert_location(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let (mut device, _) =
            self.owned_device(ctx, &owner, &msg.device_id, "asserting a location", false)?;
        let params = self.keeper.params(ctx)?;
        let location = Self::location(ctx, &params, msg.location.as_ref())?;
        let class = params
            .class(&device.class)
            .ok_or_else(|| DeviceError::ClassNotFound(device.class.clone()))?;
        let fee = if device.location_asserts >= class.free_location_asserts {
            class.location_fee.clone()
        } else {
            Vec::new()
        };
        self.keeper
            .burn_fee(ctx, "location assert", &owner_raw, &fee)?;
        device.location_asserts = device
            .location_asserts
            .checked_add(1)
            .ok_or_else(|| DeviceError::Corrupt("location_asserts overflows".into()))?;
        device.location = Some(location);
        self.keeper.save_device(ctx, &device)?;
        Self::append_location(ctx, &device.id, &location)?;
        ctx.emit(events::location_asserted(
            &device.id,
            location.h3_cell,
            &coins::format(&fee),
        ));
        Ok(MsgAssertLocationResponse {
            fee: fee.iter().map(ToString::to_string).collect(),
        }
        .encode_to_vec())
    }

    // MsgTransferDevice

    pub(crate) fn validate_transfer(&self, msg: &MsgTransferDevice) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        let to = self.keeper.codec().decode(&msg.new_owner)?;
        self.check_device_id(&msg.device_id)?;
        if to == signer {
            return Err(DeviceError::SameOwner(msg.device_id.clone()).into());
        }
        Ok(signer)
    }

    pub(crate) fn transfer(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgTransferDevice,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_transfer(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let new_owner = self
            .keeper
            .codec()
            .encode(&self.keeper.codec().decode(&msg.new_owner)?);
        let (mut device, _) =
            self.owned_device(ctx, &owner, &msg.device_id, "transferring", true)?;
        device.owner = new_owner.clone();
        self.keeper.save_device(ctx, &device)?;
        ctx.emit(events::device_transferred(&device.id, &owner, &new_owner));
        Ok(MsgTransferDeviceResponse {}.encode_to_vec())
    }

    // MsgRotateDeviceKey

    pub(crate) fn validate_rotate_key(&self, msg: &MsgRotateDeviceKey) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        self.check_device_id(&msg.device_id)?;
        device_key(msg.new_key.as_ref())?;
        Ok(signer)
    }

    pub(crate) fn rotate_key(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgRotateDeviceKey,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_rotate_key(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let (mut device, _) =
            self.owned_device(ctx, &owner, &msg.device_id, "rotating the key", false)?;
        let new_proto = msg
            .new_key
            .as_ref()
            .ok_or_else(|| key_error("the key is missing"))?;
        let new_key = PublicKey::from_proto(new_proto);
        if let Some(holder) = DEVICE_KEYS.may_load(&ctx.storage(PREFIX), &new_key.index_bytes())? {
            return Err(DeviceError::KeyInUse(holder).into());
        }
        let sign_bytes = signing::key_rotation_bytes(
            &ctx.env.chain_id,
            &device.id,
            new_proto,
            device.key_rotations,
        );
        verify_charged(
            ctx,
            &device.key.to_proto(),
            &sign_bytes,
            &msg.old_key_signature,
        )
        .map_err(signature_error("old key rotation"))?;
        verify_charged(ctx, new_proto, &sign_bytes, &msg.new_key_signature)
            .map_err(signature_error("new key rotation"))?;
        device.key = new_key.clone();
        device.key_rotations = device
            .key_rotations
            .checked_add(1)
            .ok_or_else(|| DeviceError::Corrupt("key_rotations overflows".into()))?;
        self.keeper.save_device(ctx, &device)?;
        DEVICE_KEYS.save(&mut ctx.storage(PREFIX), &new_key.index_bytes(), &device.id)?;
        ctx.emit(events::device_key_rotated(&device.id, device.key_rotations));
        Ok(MsgRotateDeviceKeyResponse {}.encode_to_vec())
    }

    // MsgUpdateDeviceMetadata

    pub(crate) fn validate_update_metadata(
        &self,
        msg: &MsgUpdateDeviceMetadata,
    ) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        self.check_device_id(&msg.device_id)?;
        Ok(signer)
    }

    pub(crate) fn update_metadata(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUpdateDeviceMetadata,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_update_metadata(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let (mut device, _) =
            self.owned_device(ctx, &owner, &msg.device_id, "updating metadata", true)?;
        let params = self.keeper.params(ctx)?;
        Self::check_metadata(&params, &msg.metadata)?;
        device.metadata = msg.metadata.clone();
        self.keeper.save_device(ctx, &device)?;
        ctx.emit(events::device_metadata_updated(&device.id));
        Ok(MsgUpdateDeviceMetadataResponse {}.encode_to_vec())
    }

    // MsgDecommissionDevice

    pub(crate) fn validate_decommission(&self, msg: &MsgDecommissionDevice) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.owner)?;
        self.check_device_id(&msg.device_id)?;
        Ok(signer)
    }

    pub(crate) fn decommission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgDecommissionDevice,
    ) -> AppResult<Vec<u8>> {
        let owner_raw = self.validate_decommission(msg)?;
        let owner = self.keeper.codec().encode(&owner_raw);
        let (mut device, _) =
            self.owned_device(ctx, &owner, &msg.device_id, "decommissioning", true)?;
        self.keeper.clear_deadline(ctx, &device.id)?;
        self.keeper.change_status(
            ctx,
            &mut device,
            Status::Decommissioned,
            events::REASON_DECOMMISSIONED,
        )?;
        ctx.emit(events::device_decommissioned(&device.id, &owner));
        Ok(MsgDecommissionDeviceResponse {}.encode_to_vec())
    }

    // MsgHeartbeat

    pub(crate) fn validate_heartbeat(&self, msg: &MsgHeartbeat) -> AppResult<Vec<u8>> {
        let signer = self.keeper.codec().decode(&msg.submitter)?;
        self.check_device_id(&msg.device_id)?;
        if msg.payload_hash.len() != 32 {
            return Err(DeviceError::InvalidPayloadHash(msg.payload_hash.len()).into());
        }
        Ok(signer)
    }

    pub(crate) fn heartbeat(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgHeartbeat,
    ) -> AppResult<Vec<u8>> {
        let submitter_raw = self.validate_heartbeat(msg)?;
        let submitter = self.keeper.codec().encode(&submitter_raw);
        let mut device = self
            .keeper
            .device(ctx, &msg.device_id)?
            .ok_or_else(|| DeviceError::DeviceNotFound(msg.device_id.clone()))?;
        let status = self.keeper.effective_status(ctx, &device)?;
        if matches!(status, Status::Suspended | Status::Decommissioned) {
            return Err(DeviceError::WrongStatus {
                device: device.id,
                status: status_name(status as i32).to_string(),
                action: "a heartbeat",
            }
            .into());
        }
        let params = self.keeper.params(ctx)?;
        let epoch = self.keeper.current_epoch(ctx)?;
        if msg.epoch != epoch {
            return Err(DeviceError::WrongEpoch {
                what: "heartbeat",
                got: msg.epoch,
                current: epoch,
            }
            .into());
        }
        if self
            .keeper
            .contribution(ctx, epoch, &device.id)?
            .is_some_and(|c| c.heartbeats > 0)
        {
            return Err(DeviceError::HeartbeatAlreadyCounted {
                device: device.id,
                epoch,
            }
            .into());
        }
        if msg.counter <= device.heartbeat_counter {
            return Err(DeviceError::StaleCounter {
                got: msg.counter,
                last: device.heartbeat_counter,
            }
            .into());
        }
        let class = params
            .class(&device.class)
            .ok_or_else(|| DeviceError::ClassNotFound(device.class.clone()))?
            .clone();
        if class.location_required && device.location.is_none() {
            return Err(DeviceError::LocationRequired {
                device: device.id,
                class: class.name,
            }
            .into());
        }
        verify_charged(
            ctx,
            &device.key.to_proto(),
            &signing::heartbeat_bytes(
                &ctx.env.chain_id,
                &device.id,
                epoch,
                msg.counter,
                &msg.payload_hash,
            ),
            &msg.signature,
        )
        .map_err(signature_error("heartbeat"))?;

        let deadline = epoch
            .checked_add(class.heartbeat_interval_epochs)
            .and_then(|d| d.checked_add(1))
            .ok_or_else(|| DeviceError::Corrupt("heartbeat deadline overflows".into()))?;
        device.last_heartbeat_epoch = epoch;
        device.heartbeat_counter = msg.counter;
        device.heartbeats = device
            .heartbeats
            .checked_add(1)
            .ok_or_else(|| DeviceError::Corrupt("heartbeats overflows".into()))?;
        if status == Status::Active {
            self.keeper.save_device(ctx, &device)?;
        } else {
            // From the status it has now (a passed deadline not yet processed is Inactive).
            device.status = status as i32;
            self.keeper.change_status(
                ctx,
                &mut device,
                Status::Active,
                events::REASON_HEARTBEAT,
            )?;
        }
        self.keeper.set_deadline(ctx, &device.id, deadline)?;
        self.keeper.record_heartbeat(ctx, &params, &device, epoch)?;
        ctx.emit(events::heartbeat(
            &device.id,
            epoch,
            msg.counter,
            &submitter,
        ));
        Ok(MsgHeartbeatResponse {}.encode_to_vec())
    }
}
