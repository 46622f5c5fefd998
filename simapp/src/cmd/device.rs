//! `depind tx device ...` and `depind query device ...`: the depin.device.v1 messages and
//! queries. Devices are named by their id (`depindev1...`), H3 cells by their usual hex form
//! (`8c2a1072b59ffff`), keys as `<secp256k1|ed25519>:<hex>` and signatures in hex. The
//! signatures themselves come from the device and the maker.
//!
//! `depind device ...`: what makers, firmware developers and gateways sign, built on
//! `depin_device::client`, for development and firmware testing only. Secrets are given and
//! printed on the command line as `<secp256k1|ed25519>:<hex>` (a 32-byte secp256k1 scalar or
//! Ed25519 seed); a real maker key lives in an HSM and a real device key in the device's
//! secure element, never in a shell history.
//!
//! ```text
//! depind device keygen [--type secp256k1|ed25519] [--secret <hex>]
//!     secret, public key (as --device-key takes it) and device id
//! depind device sign attestation --maker-secret <type:hex> --device-key <type:hex>
//!     --class <class> --serial <serial>
//! depind device sign possession --device-secret <type:hex> --owner <address> --nonce <n>
//! depind device sign heartbeat --device-secret <type:hex> --device-id <id> --epoch <e>
//!     --counter <c> (--payload-hash <hex> | --payload <text>)
//! depind device sign beacon --device-secret <type:hex> --device-id <id> --epoch <e>
//!     --nonce <n> (--data-hash <hex> | --data <text>)        also prints the beacon hash
//! depind device sign witness --device-secret <type:hex> --witness-id <id>
//!     --beacon-hash <hex> --rssi <tenths of dBm> --snr <tenths of dB>
//! depind device sign key-rotation --secret <type:hex> --device-id <id>
//!     --new-key <type:hex> --rotation <n>                     once with the old, once with the new key
//! ```
//!
//! Every `sign` command takes `--chain-id` (default: the home's genesis, as `tx` does) and
//! prints the signature, the signer's public key and the exact sign bytes in hex (`-o json`
//! for JSON). `--payload` and `--data` are hashed with SHA-256. The output plugs into
//! `tx device onboard --attestation --possession`, `tx device heartbeat --signature`,
//! `tx device witness` and `tx device rotate-key`.

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use cosmrs::Any;
use depin_proto::depin::device::v1 as pb;
use prost::{Message, Name};
use serde_json::Value;

use depin_device::client::DeviceSigner;
use depin_device::signing;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::query::{page, QueryFlags};
use super::tx::{broadcast, given_or_genesis_chain_id, load_key, TxFlags};
use super::Context;

/// The flags of a signed transaction: the signer's key and the common flags.
#[derive(Args, Clone)]
pub struct Signer {
    /// The key that signs and pays the fee: a key name in the keyring, or its address (for a
    /// device, its owner; anyone may relay heartbeats and witnesses).
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub flags: TxFlags,
}

/// A location's flags.
#[derive(Args, Clone)]
pub struct LocationFlags {
    /// Antenna height above ground, meters.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub elevation: i32,
    /// Antenna gain, tenths of dBi (12 = 1.2 dBi).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub gain: i32,
}

#[derive(Subcommand)]
pub enum DeviceTx {
    /// Onboard a device for the signer: the maker's attestation and the device's possession
    /// signature come from `depind device sign attestation|possession` (or the firmware).
    Onboard {
        /// The registered maker's name (see `query device makers`).
        #[arg(long)]
        maker: String,
        /// The device class, as in the module's params (e.g. hotspot, sensor).
        #[arg(long)]
        class: String,
        /// The device's serial number, unique per maker (at most the params'
        /// max_serial_bytes, 64 by default).
        #[arg(long)]
        serial: String,
        /// The device key, `secp256k1:<33-byte hex>` or `ed25519:<32-byte hex>`.
        #[arg(long)]
        device_key: String,
        /// The maker's signature (hex).
        #[arg(long)]
        attestation: String,
        /// The nonce the possession signature covers.
        #[arg(long)]
        nonce: u64,
        /// The device's possession signature (hex).
        #[arg(long)]
        possession: String,
        /// An optional first location (H3 cell, hex).
        #[arg(long)]
        h3_cell: Option<String>,
        #[command(flatten)]
        location: LocationFlags,
        /// Free text about the device (at most the params' max_metadata_bytes).
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Assert a device's location: `assert-location <device-id> <h3-cell>`.
    AssertLocation {
        /// The device's id (depindev1...).
        device_id: String,
        /// The H3 cell in hex (e.g. 8c2a1072b59ffff) or as a decimal integer.
        h3_cell: String,
        #[command(flatten)]
        location: LocationFlags,
        #[command(flatten)]
        signer: Signer,
    },
    /// Transfer a device to a new owner: `transfer <device-id> <new-owner>`.
    Transfer {
        /// The device's id (depindev1...).
        device_id: String,
        /// The new owner's bech32 address (depin1...).
        new_owner: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Replace a device's key, signed by the old and the new key.
    RotateKey {
        /// The device's id (depindev1...).
        device_id: String,
        /// `secp256k1:<hex>` or `ed25519:<hex>`.
        #[arg(long)]
        new_key: String,
        /// The old key's signature of the rotation (hex, from `device sign key-rotation`).
        #[arg(long)]
        old_key_signature: String,
        /// The new key's signature of the rotation (hex, from `device sign key-rotation`).
        #[arg(long)]
        new_key_signature: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Replace a device's metadata: `update-metadata <device-id> <text>`.
    UpdateMetadata {
        /// The device's id (depindev1...).
        device_id: String,
        /// The new metadata (free text, at most the params' max_metadata_bytes).
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Retire a device for good: `decommission <device-id>`.
    Decommission {
        /// The device's id (depindev1...).
        device_id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Submit a device-signed heartbeat (anyone may relay it).
    Heartbeat {
        /// The device's id (depindev1...).
        device_id: String,
        /// The current device epoch (see `query device epoch`).
        #[arg(long)]
        epoch: u64,
        /// The device's heartbeat counter, greater than its last accepted one.
        #[arg(long)]
        counter: u64,
        /// SHA-256 of the payload (hex, 32 bytes).
        #[arg(long)]
        payload_hash: String,
        /// The device's signature (hex).
        #[arg(long)]
        signature: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Submit a beacon heard by a witness, both device-signed (anyone may relay it).
    Witness {
        /// The id of the device that sent the beacon (depindev1...).
        #[arg(long)]
        beacon_device: String,
        /// The current device epoch (see `query device epoch`).
        #[arg(long)]
        epoch: u64,
        /// The beacon's nonce, as the beaconing device signed it.
        #[arg(long)]
        beacon_nonce: u64,
        /// SHA-256 of the beacon's data (hex, 32 bytes).
        #[arg(long)]
        beacon_data_hash: String,
        /// The beaconing device's signature (hex, from `device sign beacon`).
        #[arg(long)]
        beacon_signature: String,
        /// The id of the device that heard the beacon (depindev1...).
        #[arg(long)]
        witness_device: String,
        /// Signal strength, tenths of dBm.
        #[arg(long, allow_hyphen_values = true)]
        rssi: i32,
        /// Signal-to-noise ratio, tenths of dB.
        #[arg(long, allow_hyphen_values = true)]
        snr: i32,
        /// The witnessing device's signature (hex, from `device sign witness`).
        #[arg(long)]
        witness_signature: String,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum DeviceQuery {
    /// The module's parameters (device classes, epochs, location and witness rules).
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The current epoch and its heights.
    Epoch {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One maker: its key, the classes it may attest, its quota and count.
    Maker {
        /// The maker's name.
        name: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every registered maker.
    Makers {
        /// The most makers to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One device: owner, maker, class, key, status and location.
    Device {
        /// The device's id (depindev1...).
        device_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Devices, all or by one filter: --owner, --maker, --class, --status or --h3-cell (the
    /// cell or any of its descendants).
    Devices {
        /// Only devices of this owner (bech32 address, depin1...).
        #[arg(long)]
        owner: Option<String>,
        /// Only devices attested by this maker (its name).
        #[arg(long)]
        maker: Option<String>,
        /// Only devices of this class (e.g. hotspot).
        #[arg(long)]
        class: Option<String>,
        /// onboarded, active, inactive, suspended or decommissioned.
        #[arg(long)]
        status: Option<String>,
        /// Only devices in this H3 cell or its descendants (hex, e.g. 8c2a1072b59ffff).
        #[arg(long)]
        h3_cell: Option<String>,
        /// The most devices to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// A device's location asserts, oldest first.
    Locations {
        /// The device's id (depindev1...).
        device_id: String,
        /// The most location asserts to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// A device's contribution records (heartbeats, beacons, witnesses) per epoch.
    Contributions {
        /// The device's id (depindev1...).
        device_id: String,
        /// The first epoch to show.
        #[arg(long, default_value_t = 0)]
        from_epoch: u64,
        /// 0: the current epoch.
        #[arg(long, default_value_t = 0)]
        to_epoch: u64,
        /// The most epochs to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// How many devices worked in each hex in one epoch.
    HexDensities {
        /// The device epoch.
        epoch: u64,
        /// The most hexes to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

/// `secp256k1:<hex>` / `ed25519:<hex>` → a PublicKey.
pub fn parse_key(s: &str) -> Result<pb::PublicKey> {
    let (kind, hex_key) = s
        .split_once(':')
        .ok_or_else(|| anyhow!("key {s:?}: write secp256k1:<hex> or ed25519:<hex>"))?;
    let r#type = match kind {
        "secp256k1" => pb::KeyType::Secp256k1,
        "ed25519" => pb::KeyType::Ed25519,
        _ => bail!("key type {kind:?}: use secp256k1 or ed25519"),
    };
    Ok(pb::PublicKey {
        r#type: r#type as i32,
        key: hex_bytes(hex_key, "key")?,
    })
}

/// A PublicKey as `parse_key` reads it.
pub fn key_text(key: &pb::PublicKey) -> String {
    let kind = match pb::KeyType::try_from(key.r#type) {
        Ok(pb::KeyType::Secp256k1) => "secp256k1",
        Ok(pb::KeyType::Ed25519) => "ed25519",
        _ => "unspecified",
    };
    format!("{kind}:{}", hex::encode(&key.key))
}

pub fn hex_bytes(s: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(s.trim().trim_start_matches("0x"))
        .map_err(|e| anyhow!("{what} {s:?} is not hex: {e}"))
}

/// An H3 cell in its hex form (`8c2a1072b59ffff`) or as a decimal integer.
pub fn parse_cell(s: &str) -> Result<u64> {
    let t = s.trim();
    u64::from_str_radix(t.trim_start_matches("0x"), 16)
        .or_else(|_| t.parse::<u64>())
        .map_err(|_| anyhow!("H3 cell {s:?} is neither hex (8c2a1072b59ffff) nor a number"))
}

fn parse_status(s: &str) -> Result<pb::DeviceStatus> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "onboarded" => pb::DeviceStatus::Onboarded,
        "active" => pb::DeviceStatus::Active,
        "inactive" => pb::DeviceStatus::Inactive,
        "suspended" => pb::DeviceStatus::Suspended,
        "decommissioned" => pb::DeviceStatus::Decommissioned,
        _ => bail!("status {s:?}: use onboarded, active, inactive, suspended or decommissioned"),
    })
}

fn location(cell: &str, l: &LocationFlags) -> Result<pb::Location> {
    Ok(pb::Location {
        h3_cell: parse_cell(cell)?,
        elevation: l.elevation,
        gain: l.gain,
        height: 0,
    })
}

fn any<M: Message + Name>(msg: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

pub fn run_tx(ctx: &Context, cmd: DeviceTx) -> Result<()> {
    let (signer, build): (Signer, Box<dyn FnOnce(String) -> Result<Any>>) = match cmd {
        DeviceTx::Onboard {
            maker,
            class,
            serial,
            device_key,
            attestation,
            nonce,
            possession,
            h3_cell,
            location: l,
            metadata,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(any(pb::MsgOnboardDevice {
                    owner,
                    maker,
                    class,
                    serial,
                    device_key: Some(parse_key(&device_key)?),
                    attestation: hex_bytes(&attestation, "--attestation")?,
                    nonce,
                    possession: hex_bytes(&possession, "--possession")?,
                    location: h3_cell.map(|c| location(&c, &l)).transpose()?,
                    metadata,
                }))
            }),
        ),
        DeviceTx::AssertLocation {
            device_id,
            h3_cell,
            location: l,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(any(pb::MsgAssertLocation {
                    owner,
                    device_id,
                    location: Some(location(&h3_cell, &l)?),
                }))
            }),
        ),
        DeviceTx::Transfer {
            device_id,
            new_owner,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(any(pb::MsgTransferDevice {
                    owner,
                    device_id,
                    new_owner,
                }))
            }),
        ),
        DeviceTx::RotateKey {
            device_id,
            new_key,
            old_key_signature,
            new_key_signature,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(any(pb::MsgRotateDeviceKey {
                    owner,
                    device_id,
                    new_key: Some(parse_key(&new_key)?),
                    old_key_signature: hex_bytes(&old_key_signature, "--old-key-signature")?,
                    new_key_signature: hex_bytes(&new_key_signature, "--new-key-signature")?,
                }))
            }),
        ),
        DeviceTx::UpdateMetadata {
            device_id,
            metadata,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(any(pb::MsgUpdateDeviceMetadata {
                    owner,
                    device_id,
                    metadata,
                }))
            }),
        ),
        DeviceTx::Decommission { device_id, signer } => (
            signer,
            Box::new(move |owner| Ok(any(pb::MsgDecommissionDevice { owner, device_id }))),
        ),
        DeviceTx::Heartbeat {
            device_id,
            epoch,
            counter,
            payload_hash,
            signature,
            signer,
        } => (
            signer,
            Box::new(move |submitter| {
                Ok(any(pb::MsgHeartbeat {
                    submitter,
                    device_id,
                    epoch,
                    counter,
                    payload_hash: hex_bytes(&payload_hash, "--payload-hash")?,
                    signature: hex_bytes(&signature, "--signature")?,
                }))
            }),
        ),
        DeviceTx::Witness {
            beacon_device,
            epoch,
            beacon_nonce,
            beacon_data_hash,
            beacon_signature,
            witness_device,
            rssi,
            snr,
            witness_signature,
            signer,
        } => (
            signer,
            Box::new(move |submitter| {
                Ok(any(pb::MsgSubmitWitness {
                    submitter,
                    beacon_device_id: beacon_device,
                    epoch,
                    beacon_nonce,
                    beacon_data_hash: hex_bytes(&beacon_data_hash, "--beacon-data-hash")?,
                    beacon_signature: hex_bytes(&beacon_signature, "--beacon-signature")?,
                    witness_device_id: witness_device,
                    rssi,
                    snr,
                    witness_signature: hex_bytes(&witness_signature, "--witness-signature")?,
                }))
            }),
        ),
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    let msg = build(key.address.clone())?;
    broadcast(ctx, &key, vec![msg], &signer.flags)
}

const Q: &str = "/depin.device.v1.Query/";

/// Asks `method` and prints the answer as the REST gateway would (proto JSON).
fn ask_json<Req: Message>(flags: &QueryFlags, method: &str, req: Req) -> Result<Value> {
    let client = super::client::NodeClient::new(&flags.node)?;
    let bytes = client.query(&format!("{Q}{method}"), req.encode_to_vec(), flags.height)?;
    depin_app::rest::message_json(&format!("depin.device.v1.Query{method}Response"), &bytes)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: DeviceQuery) -> Result<Value> {
    match cmd {
        DeviceQuery::Params { flags } => ask_json(&flags, "Params", pb::QueryParamsRequest {}),
        DeviceQuery::Epoch { flags } => ask_json(&flags, "Epoch", pb::QueryEpochRequest {}),
        DeviceQuery::Maker { name, flags } => {
            ask_json(&flags, "Maker", pb::QueryMakerRequest { name })
        }
        DeviceQuery::Makers { limit, flags } => ask_json(
            &flags,
            "Makers",
            pb::QueryMakersRequest {
                pagination: page(limit),
            },
        ),
        DeviceQuery::Device { device_id, flags } => {
            ask_json(&flags, "Device", pb::QueryDeviceRequest { device_id })
        }
        DeviceQuery::Devices {
            owner,
            maker,
            class,
            status,
            h3_cell,
            limit,
            flags,
        } => {
            let given = [
                owner.is_some(),
                maker.is_some(),
                class.is_some(),
                status.is_some(),
                h3_cell.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                bail!("give at most one of --owner, --maker, --class, --status, --h3-cell");
            }
            let req = pb::QueryDevicesRequest {
                owner: owner.unwrap_or_default(),
                maker: maker.unwrap_or_default(),
                class: class.unwrap_or_default(),
                status: status
                    .map(|s| parse_status(&s))
                    .transpose()?
                    .map_or(0, |s| s as i32),
                h3_cell: h3_cell.map(|c| parse_cell(&c)).transpose()?.unwrap_or(0),
                pagination: page(limit),
            };
            ask_json(&flags, "Devices", req)
        }
        DeviceQuery::Locations {
            device_id,
            limit,
            flags,
        } => ask_json(
            &flags,
            "LocationHistory",
            pb::QueryLocationHistoryRequest {
                device_id,
                pagination: page(limit),
            },
        ),
        DeviceQuery::Contributions {
            device_id,
            from_epoch,
            to_epoch,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Contributions",
            pb::QueryContributionsRequest {
                device_id,
                from_epoch,
                to_epoch,
                pagination: page(limit),
            },
        ),
        DeviceQuery::HexDensities {
            epoch,
            limit,
            flags,
        } => ask_json(
            &flags,
            "HexDensities",
            pb::QueryHexDensitiesRequest {
                epoch,
                pagination: page(limit),
            },
        ),
    }
}

/// `depind device ...`: keys and signatures of makers and devices, for development and device
/// firmware testing (a real maker key lives in an HSM).
#[derive(Subcommand)]
pub enum DeviceCmd {
    /// Make (or load) a device or maker key: prints its secret, its public key as
    /// `--device-key` takes it, and the device id it gets on this chain.
    Keygen {
        /// The key type.
        #[arg(long = "type", value_enum, default_value = "secp256k1")]
        key_type: KeyKind,
        /// Use this 32-byte secret (hex) instead of a random one: a secp256k1 scalar or an
        /// Ed25519 seed.
        #[arg(long)]
        secret: Option<String>,
    },
    /// Sign a maker's or a device's document (development and firmware testing only).
    #[command(subcommand)]
    Sign(SignCmd),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyKind {
    Secp256k1,
    Ed25519,
}

/// The flag every signed document takes.
#[derive(Args, Clone)]
pub struct ChainFlag {
    /// Defaults to the chain id in the home's genesis file.
    #[arg(long)]
    pub chain_id: Option<String>,
}

#[derive(Subcommand)]
pub enum SignCmd {
    /// The maker's attestation of a device key, class and serial (the factory's signature).
    Attestation {
        /// The maker's secret, `<secp256k1|ed25519>:<hex>`.
        #[arg(long)]
        maker_secret: String,
        /// The device's public key, `<secp256k1|ed25519>:<hex>` (from `device keygen`).
        #[arg(long)]
        device_key: String,
        /// The device class the maker attests (e.g. hotspot).
        #[arg(long)]
        class: String,
        /// The device's serial number, unique per maker.
        #[arg(long)]
        serial: String,
        #[command(flatten)]
        chain: ChainFlag,
    },
    /// The device's consent to be owned by `--owner` (the onboarding's possession signature).
    Possession {
        /// The device's secret, `<secp256k1|ed25519>:<hex>` (from `device keygen`).
        #[arg(long)]
        device_secret: String,
        /// The owner's account address: the signer of `tx device onboard`.
        #[arg(long)]
        owner: String,
        /// The nonce to sign, given again as `tx device onboard --nonce`.
        #[arg(long)]
        nonce: u64,
        #[command(flatten)]
        chain: ChainFlag,
    },
    /// A heartbeat of the device `--device-id` for the current epoch.
    Heartbeat {
        /// The device's secret, `<secp256k1|ed25519>:<hex>` (from `device keygen`).
        #[arg(long)]
        device_secret: String,
        /// The device's id on the chain (it keeps the id of its first key after rotations).
        #[arg(long)]
        device_id: String,
        /// The current device epoch (see `query device epoch`).
        #[arg(long)]
        epoch: u64,
        /// Greater than the device's last accepted counter.
        #[arg(long)]
        counter: u64,
        /// SHA-256 of the payload (hex, 32 bytes).
        #[arg(long, required_unless_present = "payload", conflicts_with = "payload")]
        payload_hash: Option<String>,
        /// The payload itself, hashed with SHA-256.
        #[arg(long)]
        payload: Option<String>,
        #[command(flatten)]
        chain: ChainFlag,
    },
    /// A beacon of the device `--device-id`; also prints the hash witnesses sign.
    Beacon {
        /// The device's secret, `<secp256k1|ed25519>:<hex>` (from `device keygen`).
        #[arg(long)]
        device_secret: String,
        /// The beaconing device's id (depindev1...).
        #[arg(long)]
        device_id: String,
        /// The current device epoch (see `query device epoch`).
        #[arg(long)]
        epoch: u64,
        /// A number naming this beacon among the device's beacons of the epoch.
        #[arg(long)]
        nonce: u64,
        /// SHA-256 of the transmitted data (hex, 32 bytes).
        #[arg(long, required_unless_present = "data", conflicts_with = "data")]
        data_hash: Option<String>,
        /// The transmitted data itself, hashed with SHA-256.
        #[arg(long)]
        data: Option<String>,
        #[command(flatten)]
        chain: ChainFlag,
    },
    /// A witness report by the device `--witness-id` of the beacon with `--beacon-hash`.
    Witness {
        /// The device's secret, `<secp256k1|ed25519>:<hex>` (from `device keygen`).
        #[arg(long)]
        device_secret: String,
        /// The witnessing device's id (depindev1...).
        #[arg(long)]
        witness_id: String,
        /// The beacon's hash, as `device sign beacon` prints it (hex, 32 bytes).
        #[arg(long)]
        beacon_hash: String,
        /// Signal strength, tenths of dBm.
        #[arg(long, allow_hyphen_values = true)]
        rssi: i32,
        /// Signal-to-noise ratio, tenths of dB.
        #[arg(long, allow_hyphen_values = true)]
        snr: i32,
        #[command(flatten)]
        chain: ChainFlag,
    },
    /// One of the two signatures of a key rotation: run it with the old key's secret and
    /// with the new key's.
    KeyRotation {
        /// The old or the new key's secret.
        #[arg(long)]
        secret: String,
        /// The device's id on the chain (depindev1...).
        #[arg(long)]
        device_id: String,
        /// The new public key, `<secp256k1|ed25519>:<hex>`.
        #[arg(long)]
        new_key: String,
        /// The device's key rotations before this one.
        #[arg(long)]
        rotation: u32,
        #[command(flatten)]
        chain: ChainFlag,
    },
}

/// `<secp256k1|ed25519>:<hex>` → the signer of that 32-byte secret.
pub fn parse_secret(s: &str) -> Result<DeviceSigner> {
    let (kind, hex_secret) = s
        .split_once(':')
        .ok_or_else(|| anyhow!("secret: write secp256k1:<hex> or ed25519:<hex>"))?;
    let kind = match kind {
        "secp256k1" => KeyKind::Secp256k1,
        "ed25519" => KeyKind::Ed25519,
        _ => bail!("key type {kind:?}: use secp256k1 or ed25519"),
    };
    signer(kind, hex_secret)
}

fn signer(kind: KeyKind, hex_secret: &str) -> Result<DeviceSigner> {
    // The secret itself never goes into an error message.
    let bytes = hex::decode(hex_secret.trim().trim_start_matches("0x"))
        .map_err(|_| anyhow!("secret is not hex"))?;
    let secret: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow!("secret is {} bytes; it must be 32", b.len()))?;
    match kind {
        KeyKind::Secp256k1 => DeviceSigner::secp256k1(&secret).map_err(|e| anyhow!(e)),
        KeyKind::Ed25519 => Ok(DeviceSigner::ed25519(secret)),
    }
}

/// The secret of `signer` as `parse_secret` reads it.
fn secret_text(signer: &DeviceSigner) -> String {
    match signer {
        DeviceSigner::Secp256k1(k) => format!("secp256k1:{}", hex::encode(k.to_bytes())),
        DeviceSigner::Ed25519(k) => format!("ed25519:{}", hex::encode(k.to_bytes())),
    }
}

/// A valid public key (right length, on its curve).
fn device_key(s: &str) -> Result<pb::PublicKey> {
    let key = parse_key(s)?;
    signing::validate_key(&key).map_err(|e| anyhow!("key {s:?}: {e}"))?;
    Ok(key)
}

fn device_id(id: &str) -> Result<String> {
    signing::parse_device_id(crate::ADDRESS_PREFIX, id).map_err(|e| anyhow!("{e}"))?;
    Ok(id.to_string())
}

/// A 32-byte hash in hex, or the SHA-256 of `text`.
fn hash32(hash: Option<&str>, text: Option<&str>, what: &str) -> Result<Vec<u8>> {
    match (hash, text) {
        (Some(h), None) => {
            let bytes = hex_bytes(h, what)?;
            if bytes.len() != 32 {
                bail!("{what} is {} bytes; a SHA-256 hash is 32", bytes.len());
            }
            Ok(bytes)
        }
        (None, Some(t)) => Ok(Sha256::digest(t.as_bytes()).to_vec()),
        _ => bail!("give {what} or the text to hash"),
    }
}

/// What every `sign` command prints: the signature, who signed, what was signed.
fn signed(signer: &DeviceSigner, sign_bytes: &[u8]) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert(
        "signature".into(),
        hex::encode(signer.sign(sign_bytes)).into(),
    );
    out.insert("signer".into(), key_text(&signer.public_key()).into());
    out.insert("sign_bytes".into(), hex::encode(sign_bytes).into());
    out
}

pub fn run(ctx: &Context, cmd: DeviceCmd) -> Result<()> {
    let value = run_json(ctx, cmd)?;
    ctx.print(&value);
    Ok(())
}

/// What `depind device ...` prints, as JSON.
pub fn run_json(ctx: &Context, cmd: DeviceCmd) -> Result<Value> {
    match cmd {
        DeviceCmd::Keygen { key_type, secret } => {
            let signer = match secret {
                Some(s) => signer(key_type, &s)?,
                None => random_signer(key_type),
            };
            Ok(json!({
                "secret": secret_text(&signer),
                "public_key": key_text(&signer.public_key()),
                "device_id": signer.id(crate::ADDRESS_PREFIX),
            }))
        }
        DeviceCmd::Sign(cmd) => sign(ctx, cmd).map(Value::Object),
    }
}

fn random_signer(kind: KeyKind) -> DeviceSigner {
    use rand::RngCore;
    loop {
        // OS randomness is fine here: this is the CLI, not state.
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        match kind {
            KeyKind::Ed25519 => return DeviceSigner::ed25519(secret),
            // Refused only for 0 and values ≥ the curve order: about 2^-128 of all draws.
            KeyKind::Secp256k1 => {
                if let Ok(s) = DeviceSigner::secp256k1(&secret) {
                    return s;
                }
            }
        }
    }
}

fn sign(ctx: &Context, cmd: SignCmd) -> Result<serde_json::Map<String, Value>> {
    let chain = |c: &ChainFlag| given_or_genesis_chain_id(ctx, c.chain_id.as_deref());
    Ok(match cmd {
        SignCmd::Attestation {
            maker_secret,
            device_key: key,
            class,
            serial,
            chain: c,
        } => {
            let maker = parse_secret(&maker_secret)?;
            let key = device_key(&key)?;
            let bytes = signing::attestation_bytes(&chain(&c)?, &key, &class, &serial);
            let mut out = signed(&maker, &bytes);
            out.insert(
                "device_id".into(),
                signing::device_id(crate::ADDRESS_PREFIX, &key).into(),
            );
            out
        }
        SignCmd::Possession {
            device_secret,
            owner,
            nonce,
            chain: c,
        } => {
            let device = parse_secret(&device_secret)?;
            let bytes = signing::possession_bytes(&chain(&c)?, &owner, nonce);
            let mut out = signed(&device, &bytes);
            out.insert("device_id".into(), device.id(crate::ADDRESS_PREFIX).into());
            out
        }
        SignCmd::Heartbeat {
            device_secret,
            device_id: id,
            epoch,
            counter,
            payload_hash,
            payload,
            chain: c,
        } => {
            let device = parse_secret(&device_secret)?;
            let hash = hash32(
                payload_hash.as_deref(),
                payload.as_deref(),
                "--payload-hash",
            )?;
            let bytes =
                signing::heartbeat_bytes(&chain(&c)?, &device_id(&id)?, epoch, counter, &hash);
            let mut out = signed(&device, &bytes);
            out.insert("payload_hash".into(), hex::encode(&hash).into());
            out
        }
        SignCmd::Beacon {
            device_secret,
            device_id: id,
            epoch,
            nonce,
            data_hash,
            data,
            chain: c,
        } => {
            let device = parse_secret(&device_secret)?;
            let hash = hash32(data_hash.as_deref(), data.as_deref(), "--data-hash")?;
            let chain_id = chain(&c)?;
            let id = device_id(&id)?;
            let bytes = signing::beacon_bytes(&chain_id, &id, epoch, nonce, &hash);
            let mut out = signed(&device, &bytes);
            out.insert("data_hash".into(), hex::encode(&hash).into());
            // What a witness signs to name this beacon (SHA-256 of the sign bytes).
            out.insert(
                "beacon_hash".into(),
                hex::encode(signing::beacon_hash(&chain_id, &id, epoch, nonce, &hash)).into(),
            );
            out
        }
        SignCmd::Witness {
            device_secret,
            witness_id,
            beacon_hash,
            rssi,
            snr,
            chain: c,
        } => {
            let device = parse_secret(&device_secret)?;
            let hash = hash32(Some(&beacon_hash), None, "--beacon-hash")?;
            let bytes =
                signing::witness_bytes(&chain(&c)?, &device_id(&witness_id)?, &hash, rssi, snr);
            signed(&device, &bytes)
        }
        SignCmd::KeyRotation {
            secret,
            device_id: id,
            new_key,
            rotation,
            chain: c,
        } => {
            let signer = parse_secret(&secret)?;
            let new_key = device_key(&new_key)?;
            let bytes =
                signing::key_rotation_bytes(&chain(&c)?, &device_id(&id)?, &new_key, rotation);
            signed(&signer, &bytes)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cells_and_statuses_parse() {
        let k = parse_key("ed25519:0011").unwrap();
        assert_eq!(
            (k.r#type, k.key),
            (pb::KeyType::Ed25519 as i32, vec![0, 0x11])
        );
        assert_eq!(
            key_text(&parse_key("secp256k1:02ab").unwrap()),
            "secp256k1:02ab"
        );
        assert!(parse_key("rsa:00").is_err());
        assert!(parse_key("ed25519").is_err());
        assert!(parse_key("ed25519:zz").is_err());
        assert_eq!(parse_cell("8c2a1072b59ffff").unwrap(), 0x8c2a1072b59ffff);
        assert_eq!(parse_cell("0x8c2a1072b59ffff").unwrap(), 0x8c2a1072b59ffff);
        assert!(parse_cell("not a cell").is_err());
        assert_eq!(parse_status("Active").unwrap(), pb::DeviceStatus::Active);
        assert!(parse_status("sleeping").is_err());
    }

    #[test]
    fn secrets_parse_and_print_back() {
        for text in [
            format!("secp256k1:{}", "01".repeat(32)),
            format!("ed25519:{}", "02".repeat(32)),
        ] {
            let signer = parse_secret(&text).unwrap();
            assert_eq!(secret_text(&signer), text);
        }
        for bad in [
            "01".repeat(32),
            format!("rsa:{}", "01".repeat(32)),
            format!("secp256k1:{}", "00".repeat(32)),
            format!("secp256k1:{}", "ff".repeat(32)),
            "ed25519:0102".into(),
            "ed25519:zz".into(),
        ] {
            assert!(parse_secret(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn signatures_verify_and_the_chain_id_is_signed() {
        let ctx = Context {
            home: std::path::PathBuf::from("/nonexistent"),
            output: super::super::Output::Json,
        };
        let secret = format!("ed25519:{}", "02".repeat(32));
        let device = parse_secret(&secret).unwrap();
        let id = device.id(crate::ADDRESS_PREFIX);
        let beat = |chain_id: Option<&str>| {
            run_json(
                &ctx,
                DeviceCmd::Sign(SignCmd::Heartbeat {
                    device_secret: secret.clone(),
                    device_id: id.clone(),
                    epoch: 3,
                    counter: 4,
                    payload_hash: None,
                    payload: Some("p".into()),
                    chain: ChainFlag {
                        chain_id: chain_id.map(str::to_string),
                    },
                }),
            )
        };
        let out = beat(Some("c-1")).unwrap();
        let hash = Sha256::digest(b"p");
        let bytes = signing::heartbeat_bytes("c-1", &id, 3, 4, &hash);
        let signature = hex::decode(out["signature"].as_str().unwrap()).unwrap();
        assert_eq!(
            signing::verify(&device.public_key(), &bytes, &signature),
            Ok(())
        );
        // Without --chain-id and without a genesis file there is nothing to sign for.
        assert!(beat(None).is_err());
    }

    #[test]
    fn commands_parse() {
        use crate::cmd::{Cli, Command};
        use clap::Parser;
        let cli = Cli::try_parse_from([
            "depind",
            "tx",
            "device",
            "assert-location",
            "depindev1x",
            "8c2a1072b59ffff",
            "--elevation",
            "-3",
            "--from",
            "alice",
        ])
        .unwrap();
        let Command::Tx(crate::cmd::tx::TxCmd::Device(DeviceTx::AssertLocation {
            device_id,
            location,
            ..
        })) = cli.command
        else {
            panic!("not tx device assert-location");
        };
        assert_eq!((device_id.as_str(), location.elevation), ("depindev1x", -3));
        assert!(Cli::try_parse_from([
            "depind", "q", "device", "devices", "--owner", "a", "--limit", "5"
        ])
        .is_ok());
        let cli = Cli::try_parse_from([
            "depind",
            "device",
            "sign",
            "witness",
            "--device-secret",
            "ed25519:00",
            "--witness-id",
            "w",
            "--beacon-hash",
            "00",
            "--rssi",
            "-1050",
            "--snr",
            "-35",
        ])
        .unwrap();
        let Command::Device(DeviceCmd::Sign(SignCmd::Witness { rssi, snr, .. })) = cli.command
        else {
            panic!("not device sign witness");
        };
        assert_eq!((rssi, snr), (-1050, -35));
        // A heartbeat needs its payload or its hash, not both.
        let heartbeat = [
            "depind",
            "device",
            "sign",
            "heartbeat",
            "--device-secret",
            "x",
            "--device-id",
            "d",
            "--epoch",
            "1",
            "--counter",
            "1",
        ];
        assert!(Cli::try_parse_from(heartbeat).is_err());
        assert!(Cli::try_parse_from([&heartbeat[..], &["--payload", "p"]].concat()).is_ok());
        assert!(Cli::try_parse_from(
            [&heartbeat[..], &["--payload", "p", "--payload-hash", "00"]].concat()
        )
        .is_err());
    }
}
