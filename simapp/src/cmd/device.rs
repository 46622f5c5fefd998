//! `depind tx device ...` and `depind query device ...`: the depin.device.v1 messages and
//! queries. Devices are named by their id (`depindev1...`), H3 cells by their usual hex form
//! (`8c2a1072b59ffff`), keys as `<secp256k1|ed25519>:<hex>` and signatures in hex. The
//! signatures themselves come from the device and the maker (see `depind device sign ...`).

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use cosmrs::Any;
use depin_proto::depin::device::v1 as pb;
use prost::{Message, Name};
use serde_json::Value;

use super::query::{page, QueryFlags};
use super::tx::{broadcast, load_key, TxFlags};
use super::Context;

/// The flags of a signed transaction: the signer's key and the common flags.
#[derive(Args, Clone)]
pub struct Signer {
    /// The key that signs (the device owner; anyone for heartbeats and witnesses).
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
        #[arg(long)]
        maker: String,
        #[arg(long)]
        class: String,
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
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Assert a device's location: `assert-location <device-id> <h3-cell>`.
    AssertLocation {
        device_id: String,
        h3_cell: String,
        #[command(flatten)]
        location: LocationFlags,
        #[command(flatten)]
        signer: Signer,
    },
    /// Transfer a device to a new owner: `transfer <device-id> <new-owner>`.
    Transfer {
        device_id: String,
        new_owner: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Replace a device's key, signed by the old and the new key.
    RotateKey {
        device_id: String,
        /// `secp256k1:<hex>` or `ed25519:<hex>`.
        #[arg(long)]
        new_key: String,
        #[arg(long)]
        old_key_signature: String,
        #[arg(long)]
        new_key_signature: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Replace a device's metadata: `update-metadata <device-id> <text>`.
    UpdateMetadata {
        device_id: String,
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Retire a device for good: `decommission <device-id>`.
    Decommission {
        device_id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Submit a device-signed heartbeat (anyone may relay it).
    Heartbeat {
        device_id: String,
        #[arg(long)]
        epoch: u64,
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
        #[arg(long)]
        beacon_device: String,
        #[arg(long)]
        epoch: u64,
        #[arg(long)]
        beacon_nonce: u64,
        /// SHA-256 of the beacon's data (hex, 32 bytes).
        #[arg(long)]
        beacon_data_hash: String,
        #[arg(long)]
        beacon_signature: String,
        #[arg(long)]
        witness_device: String,
        /// Signal strength, tenths of dBm.
        #[arg(long, allow_hyphen_values = true)]
        rssi: i32,
        /// Signal-to-noise ratio, tenths of dB.
        #[arg(long, allow_hyphen_values = true)]
        snr: i32,
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
    Maker {
        name: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    Makers {
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    Device {
        device_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Devices, all or by one filter: --owner, --maker, --class, --status or --h3-cell (the
    /// cell or any of its descendants).
    Devices {
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        maker: Option<String>,
        #[arg(long)]
        class: Option<String>,
        /// onboarded, active, inactive, suspended or decommissioned.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        h3_cell: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// A device's location asserts, oldest first.
    Locations {
        device_id: String,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// A device's contribution records (heartbeats, beacons, witnesses) per epoch.
    Contributions {
        device_id: String,
        #[arg(long, default_value_t = 0)]
        from_epoch: u64,
        /// 0: the current epoch.
        #[arg(long, default_value_t = 0)]
        to_epoch: u64,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// How many devices worked in each hex in one epoch.
    HexDensities {
        epoch: u64,
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
    }
}
