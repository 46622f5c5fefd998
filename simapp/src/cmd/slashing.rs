//! `depind tx slashing ...` and `depind query slashing ...`: the cosmos.slashing.v1beta1
//! message and queries, with the Cosmos SDK CLI's flags and JSON. Validators are named by
//! their consensus address (`depinvalcons1...`), or by their consensus key, which the CLI
//! turns into that address.

use std::path::Path;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use cosmrs::Any;
use prost::Message;
use serde_json::{json, Value};

use depin_app::address::AddressCodec;

use super::query::{ask, page, page_json, time_text, QueryFlags};
use super::staking::{consensus_key, valoper_of};
use super::tx::{broadcast, load_key, TxFlags};
use super::Context;

#[derive(Subcommand)]
pub enum SlashingTx {
    /// Bring the signer's jailed validator back once its jail time is over:
    /// `depind tx slashing unjail --from <key>`.
    Unjail {
        /// The validator operator's key.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum SlashingQuery {
    /// The module's parameters.
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One validator's signing info: `signing-info <depinvalcons1...>`, or its consensus key
    /// as `'{"@type":"/cosmos.crypto.ed25519.PubKey","key":"<base64>"}'`.
    SigningInfo {
        /// The validator's consensus address (depinvalcons1...) or its consensus key as JSON.
        #[arg(value_name = "CONS_ADDRESS_OR_PUBKEY")]
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every validator's signing info.
    SigningInfos {
        /// The most signing infos to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

/// Consensus addresses: `<account prefix>valcons`, as the slashing keeper derives them.
fn consensus_codec() -> AddressCodec {
    AddressCodec::new(&format!("{}valcons", crate::ADDRESS_PREFIX))
}

/// The consensus address the signing-info argument names: a `depinvalcons1...` address as it
/// is, or an ed25519 consensus key in the `--pubkey` JSON form (`sha256(key)[..20]`).
pub fn cons_address(home: &Path, arg: &str) -> Result<String> {
    let arg = arg.trim();
    if arg.starts_with('{') {
        let key = consensus_key(home, Some(arg))?;
        return Ok(consensus_codec().encode(&depin_staking::types::consensus_address(&key)));
    }
    consensus_codec().decode(arg).map_err(|_| {
        anyhow!(
            "{arg:?} is neither a consensus address ({}valcons1...) nor a consensus key \
             {{\"@type\":\"/cosmos.crypto.ed25519.PubKey\",\"key\":\"<base64>\"}}",
            crate::ADDRESS_PREFIX
        )
    })?;
    Ok(arg.to_string())
}

/// The MsgUnjail of the validator the account `operator_account` operates.
pub fn unjail_msg(operator_account: &str) -> Result<Any> {
    let msg = pb::MsgUnjail {
        validator_addr: valoper_of(operator_account)?,
    };
    Ok(Any {
        type_url: depin_slashing::msgs::MSG_UNJAIL.into(),
        value: msg.encode_to_vec(),
    })
}

pub fn run_tx(ctx: &Context, cmd: SlashingTx) -> Result<()> {
    match cmd {
        SlashingTx::Unjail { from, flags } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let msg = unjail_msg(&key.address)?;
            broadcast(ctx, &key, vec![msg], &flags)
        }
    }
}

/// A LegacyDec as slashing's params carry it (the bytes of its integer of 10^-18 units) →
/// "0.500000000000000000".
fn dec_text(bytes: &[u8]) -> String {
    super::staking::dec_text(&String::from_utf8_lossy(bytes))
}

/// The params as the Cosmos SDK CLI prints them: integers and decimals as strings, the jail
/// duration in seconds.
pub fn params_json(p: &pb::Params) -> Value {
    json!({
        "signed_blocks_window": p.signed_blocks_window.to_string(),
        "min_signed_per_window": dec_text(&p.min_signed_per_window),
        "downtime_jail_duration": p.downtime_jail_duration.as_ref().map(|d| format!("{}s", d.seconds)),
        "slash_fraction_double_sign": dec_text(&p.slash_fraction_double_sign),
        "slash_fraction_downtime": dec_text(&p.slash_fraction_downtime),
    })
}

/// A signing info as the Cosmos SDK CLI prints it: int64s as strings, times in RFC 3339.
pub fn signing_info_json(i: &pb::ValidatorSigningInfo) -> Value {
    json!({
        "address": i.address,
        "start_height": i.start_height.to_string(),
        "index_offset": i.index_offset.to_string(),
        "jailed_until": time_text(i.jailed_until.as_ref()),
        "tombstoned": i.tombstoned,
        "missed_blocks_counter": i.missed_blocks_counter.to_string(),
    })
}

const Q: &str = "/cosmos.slashing.v1beta1.Query/";

/// The ABCI query path of a `cosmos.slashing.v1beta1.Query` method.
pub fn path(method: &str) -> String {
    format!("{Q}{method}")
}

pub fn run_query(ctx: &Context, cmd: SlashingQuery) -> Result<Value> {
    Ok(match cmd {
        SlashingQuery::Params { flags } => {
            let r: pb::QueryParamsResponse =
                ask(&flags, &path("Params"), pb::QueryParamsRequest {})?;
            json!({ "params": params_json(&r.params.unwrap_or_default()) })
        }
        SlashingQuery::SigningInfo { validator, flags } => {
            let r: pb::QuerySigningInfoResponse = ask(
                &flags,
                &path("SigningInfo"),
                pb::QuerySigningInfoRequest {
                    cons_address: cons_address(&ctx.home, &validator)?,
                },
            )?;
            json!({ "val_signing_info": signing_info_json(&r.val_signing_info.unwrap_or_default()) })
        }
        SlashingQuery::SigningInfos { limit, flags } => {
            let r: pb::QuerySigningInfosResponse = ask(
                &flags,
                &path("SigningInfos"),
                pb::QuerySigningInfosRequest {
                    pagination: page(limit),
                },
            )?;
            json!({
                "info": r.info.iter().map(signing_info_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::cmd::{Cli, Command};

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("depind").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn unjail_parses_with_the_tx_flags() {
        let cli = parse(&[
            "tx",
            "slashing",
            "unjail",
            "--from",
            "val",
            "--keyring-backend",
            "test",
            "--gas",
            "auto",
            "--wait",
            "-o",
            "json",
        ]);
        let Command::Tx(super::super::tx::TxCmd::Slashing(SlashingTx::Unjail { from, flags })) =
            cli.command
        else {
            panic!("not tx slashing unjail");
        };
        assert_eq!(from, "val");
        assert_eq!(flags.gas, "auto");
        assert!(flags.wait);
        // The validator comes from the signer: unjail takes no address.
        assert!(Cli::try_parse_from([
            "depind",
            "tx",
            "slashing",
            "unjail",
            "depinvaloper1x",
            "--from",
            "val"
        ])
        .is_err());
    }

    #[test]
    fn queries_parse() {
        let cli = parse(&["q", "slashing", "signing-infos", "--limit", "5"]);
        let Command::Query(super::super::query::QueryCmd::Slashing(SlashingQuery::SigningInfos {
            limit,
            ..
        })) = cli.command
        else {
            panic!("not query slashing signing-infos");
        };
        assert_eq!(limit, 5);
        let cli = parse(&["query", "slashing", "signing-info", "depinvalcons1abc"]);
        let Command::Query(super::super::query::QueryCmd::Slashing(SlashingQuery::SigningInfo {
            validator,
            ..
        })) = cli.command
        else {
            panic!("not query slashing signing-info");
        };
        assert_eq!(validator, "depinvalcons1abc");
        parse(&["query", "slashing", "params", "--node", "tcp://127.0.0.1:1"]);
    }

    #[test]
    fn a_consensus_key_becomes_its_valcons_address() {
        let key = [7u8; 32];
        use base64::Engine;
        let json = format!(
            r#"{{"@type":"/cosmos.crypto.ed25519.PubKey","key":"{}"}}"#,
            base64::engine::general_purpose::STANDARD.encode(key)
        );
        let address = cons_address(Path::new("/nonexistent"), &json).unwrap();
        // The first 20 bytes of the key's sha256, under the valcons prefix.
        let expected = AddressCodec::new("depinvalcons").encode(&Sha256::digest(key)[..20]);
        assert_eq!(address, expected);
        assert!(address.starts_with("depinvalcons1"));
        // An address is taken as it is; anything else is refused with what would be right.
        assert_eq!(cons_address(Path::new("/"), &address).unwrap(), address);
        let operator = AddressCodec::new(crate::VALOPER_PREFIX).encode(&[1u8; 20]);
        let err = cons_address(Path::new("/"), &operator).unwrap_err();
        assert!(err.to_string().contains("depinvalcons1"), "{err}");
        let err = cons_address(Path::new("/"), r#"{"@type":"/x","key":"AA=="}"#).unwrap_err();
        assert!(err.to_string().contains("ed25519"), "{err}");
    }

    #[test]
    fn json_uses_the_cosmos_names_and_forms() {
        let info = pb::ValidatorSigningInfo {
            address: "depinvalcons1x".into(),
            start_height: 3,
            index_offset: 7,
            jailed_until: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: 0,
                nanos: 0,
            }),
            tombstoned: false,
            missed_blocks_counter: 2,
        };
        assert_eq!(
            signing_info_json(&info),
            json!({
                "address": "depinvalcons1x",
                "start_height": "3",
                "index_offset": "7",
                "jailed_until": "1970-01-01T00:00:00Z",
                "tombstoned": false,
                "missed_blocks_counter": "2",
            })
        );
        let p = depin_slashing::Params::default().to_proto();
        let out = params_json(&p);
        assert_eq!(
            out["signed_blocks_window"],
            json!(p.signed_blocks_window.to_string())
        );
        let rate = out["min_signed_per_window"].as_str().unwrap();
        assert!(rate.starts_with("0.") && rate.len() == 20, "{rate}");
        assert!(out["downtime_jail_duration"]
            .as_str()
            .unwrap()
            .ends_with('s'));
    }
}
