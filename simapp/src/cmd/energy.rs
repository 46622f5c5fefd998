//! `depind tx energy ...` and `depind query energy ...`: the depin.energy.v1 messages (meter
//! readings) and queries (params, meter, meters, epoch energy) of the worked-example module
//! (modules/energy, docs/BUILD-YOUR-DEPIN.md). Answers are printed as the REST gateway writes
//! them.

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use cosmrs::Any;
use depin_proto::depin::energy::v1 as pb;
use prost::{Message, Name};
use serde_json::Value;

use super::device::{hex_bytes, parse_secret, Signer};
use super::query::{page, QueryFlags};
use super::tx::{broadcast, given_or_genesis_chain_id, load_key};
use super::Context;

const Q: &str = "/depin.energy.v1.Query/";

#[derive(Subcommand)]
pub enum EnergyTx {
    /// `submit-reading <device-id> --epoch E --cumulative-wh N (--signature HEX |
    /// --device-secret S)`: a meter's lifetime watt-hour counter, signed by the device's key
    /// for the device registry's current epoch (anyone may relay it).
    #[command(
        after_help = "Example (signing with the device key, for development):\n  depind tx energy \
        submit-reading depindev1... --epoch 42 --cumulative-wh 1250000 \\\n    --device-secret \
        ed25519:<hex> --from relayer"
    )]
    SubmitReading {
        /// The meter's device id (depindev1...).
        device_id: String,
        /// The device epoch the reading is for (`depind query device epoch`: next_block_epoch).
        #[arg(long)]
        epoch: u64,
        /// The meter's lifetime counter, in watt-hours (must grow from one reading to the next).
        #[arg(long)]
        cumulative_wh: u64,
        /// The device key's signature over the reading (hex), as the meter's firmware makes it.
        #[arg(long, conflicts_with = "device_secret")]
        signature: Option<String>,
        /// Sign here with the device's secret, `<secp256k1|ed25519>:<hex>` (from
        /// `depind device keygen`): development and firmware testing only.
        #[arg(long)]
        device_secret: Option<String>,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum EnergyQuery {
    /// The module's parameters: watt-hours per reward point, the per-reading cap, readings per
    /// epoch, how many epochs of totals are kept.
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `meter <device-id>`: a meter's last counter, its epoch and lifetime delivery.
    Meter {
        /// The meter's device id (depindev1...).
        device_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every meter, in device id order.
    Meters {
        /// The most meters to list (0: the node's default page, 100).
        #[arg(long, default_value_t = 0)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `epoch-energy <epoch> <device-id>`: what a meter delivered in a device epoch.
    EpochEnergy {
        /// The device epoch.
        epoch: u64,
        /// The meter's device id (depindev1...).
        device_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

fn any<M: Message + Name>(msg: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

pub fn run_tx(ctx: &Context, cmd: EnergyTx) -> Result<()> {
    match cmd {
        EnergyTx::SubmitReading {
            device_id,
            epoch,
            cumulative_wh,
            signature,
            device_secret,
            signer,
        } => {
            let signature = match (signature, device_secret) {
                (Some(hex_sig), None) => hex_bytes(&hex_sig, "--signature")?,
                (None, Some(secret)) => {
                    let device = parse_secret(&secret)?;
                    let chain_id =
                        given_or_genesis_chain_id(ctx, signer.flags.chain_id.as_deref())?;
                    device.sign(&depin_energy::reading_bytes(
                        &chain_id,
                        &device_id,
                        epoch,
                        cumulative_wh,
                    ))
                }
                _ => bail!("give the reading's --signature, or --device-secret to sign it here"),
            };
            let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
            let msg = any(pb::MsgSubmitReading {
                submitter: key.address.clone(),
                device_id,
                epoch,
                cumulative_wh,
                signature,
            });
            broadcast(ctx, &key, vec![msg], &signer.flags)
        }
    }
}

fn ask_json<Req: Message>(flags: &QueryFlags, method: &str, req: Req) -> Result<Value> {
    let client = super::client::NodeClient::new(&flags.node)?;
    let bytes = client.query(&format!("{Q}{method}"), req.encode_to_vec(), flags.height)?;
    depin_app::rest::message_json(&format!("depin.energy.v1.Query{method}Response"), &bytes)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: EnergyQuery) -> Result<Value> {
    match cmd {
        EnergyQuery::Params { flags } => ask_json(&flags, "Params", pb::QueryParamsRequest {}),
        EnergyQuery::Meter { device_id, flags } => {
            ask_json(&flags, "Meter", pb::QueryMeterRequest { device_id })
        }
        EnergyQuery::Meters { limit, flags } => ask_json(
            &flags,
            "Meters",
            pb::QueryMetersRequest {
                pagination: page(limit),
            },
        ),
        EnergyQuery::EpochEnergy {
            epoch,
            device_id,
            flags,
        } => ask_json(
            &flags,
            "EpochEnergy",
            pb::QueryEpochEnergyRequest { epoch, device_id },
        ),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cmd::Cli;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("depind").chain(args.iter().copied()))
    }

    #[test]
    fn energy_commands_parse() {
        let base = [
            "tx",
            "energy",
            "submit-reading",
            "depindev1xyz",
            "--epoch",
            "4",
            "--cumulative-wh",
            "1000",
            "--from",
            "alice",
        ];
        let with = |extra: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            parse(&v)
        };
        with(&["--signature", "00ff"]).unwrap();
        with(&["--device-secret", "ed25519:00"]).unwrap();
        assert!(with(&["--signature", "00", "--device-secret", "ed25519:00"]).is_err());
        for q in [
            vec!["query", "energy", "params"],
            vec!["query", "energy", "meter", "depindev1xyz"],
            vec!["query", "energy", "meters", "--limit", "5"],
            vec!["query", "energy", "epoch-energy", "7", "depindev1xyz"],
        ] {
            parse(&q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        }
    }
}
