//! `depind tx staking ...` and `depind query staking ...`: the cosmos.staking.v1beta1 messages
//! and queries, with the Cosmos SDK CLI's flags. Validators are named by their operator address
//! (`depinvaloper1...`).

use std::path::Path;

use anyhow::{anyhow, bail, Context as _, Result};
use base64::Engine;
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::Any;
use prost::Message;
use serde_json::{json, Value};

use depin_app::address::AddressCodec;
use depin_staking::msgs;

use super::query::{ask, page, page_json, time_text, QueryFlags};
use super::tx::{broadcast, load_key, TxFlags};
use super::Context;

/// The commission and self-delegation flags of create-validator and gentx.
#[derive(Args, Clone)]
pub struct ValidatorFlags {
    /// The validator's name (default: the operator's key name).
    #[arg(long)]
    pub moniker: Option<String>,
    /// An identity signature, e.g. a Keybase key id (16 hex digits), for explorers' logos.
    #[arg(long, default_value = "")]
    pub identity: String,
    /// The validator's website URL.
    #[arg(long, default_value = "")]
    pub website: String,
    /// An email address to report security issues to.
    #[arg(long, default_value = "")]
    pub security_contact: String,
    /// Free text about the validator.
    #[arg(long, default_value = "")]
    pub details: String,
    /// Initial commission rate (a decimal, e.g. 0.1 for 10%).
    #[arg(long, default_value = "0.1")]
    pub commission_rate: String,
    /// The highest commission rate the validator may ever charge.
    #[arg(long, default_value = "0.2")]
    pub commission_max_rate: String,
    /// The most the commission rate may rise in one change (once per 24h).
    #[arg(long, default_value = "0.01")]
    pub commission_max_change_rate: String,
    /// The least the operator must keep delegated to its own validator, an integer amount of
    /// udepin.
    #[arg(long, default_value = "1")]
    pub min_self_delegation: String,
    /// The consensus key as JSON {"@type":"/cosmos.crypto.ed25519.PubKey","key":"<base64>"}.
    /// Default: the key in <home>/config/priv_validator_key.json.
    #[arg(long)]
    pub pubkey: Option<String>,
}

#[derive(Subcommand)]
pub enum StakingTx {
    /// Create a validator with a first self delegation:
    /// `depind tx staking create-validator --from <key> --amount 1000000udepin --moniker m`.
    CreateValidator {
        /// The operator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        /// The self delegation, e.g. 1000000udepin.
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        validator: ValidatorFlags,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Change a validator's description, commission rate or minimum self delegation (fields
    /// not given stay as they are).
    EditValidator {
        /// The operator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        /// The validator's new name.
        #[arg(long)]
        moniker: Option<String>,
        /// A new identity signature, e.g. a Keybase key id (16 hex digits).
        #[arg(long)]
        identity: Option<String>,
        /// A new website URL.
        #[arg(long)]
        website: Option<String>,
        /// A new email address for security issues.
        #[arg(long)]
        security_contact: Option<String>,
        /// New free text about the validator.
        #[arg(long)]
        details: Option<String>,
        /// A new commission rate (a decimal, e.g. 0.12 for 12%; at most once per 24h, within
        /// the max rate and max change rate).
        #[arg(long)]
        commission_rate: Option<String>,
        /// A new minimum self delegation, an integer amount of udepin (it may not decrease).
        #[arg(long)]
        min_self_delegation: Option<String>,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Delegate: `depind tx staking delegate <depinvaloper1...> 1000udepin --from <key>`.
    Delegate {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        /// One coin with denom, e.g. 1000000udepin.
        amount: String,
        /// The delegator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Undelegate (the tokens come back after the unbonding time).
    Unbond {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        /// One coin with denom, e.g. 1000000udepin.
        amount: String,
        /// The delegator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Move stake from one validator to another at once.
    Redelegate {
        /// The operator address of the validator to move stake from (depinvaloper1...).
        src_validator: String,
        /// The operator address of the validator to move stake to (depinvaloper1...).
        dst_validator: String,
        /// One coin with denom, e.g. 1000000udepin.
        amount: String,
        /// The delegator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Delegate back (part of) an unbonding entry, named by its creation height.
    CancelUnbond {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        /// How much of the entry to delegate back: one coin, e.g. 1000000udepin.
        amount: String,
        /// The block height the unbonding entry was created at (see `query staking
        /// unbonding-delegation`).
        creation_height: i64,
        /// The delegator's key: a key name in the keyring, or its address.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum StakingQuery {
    /// Every validator (or those with --status bonded|unbonding|unbonded).
    Validators {
        /// Only validators in this status: bonded, unbonding or unbonded.
        #[arg(long)]
        status: Option<String>,
        /// The most validators to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One validator: `validator <depinvaloper1...>`.
    Validator {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One delegation: `delegation <depin1...> <depinvaloper1...>`.
    Delegation {
        /// The delegator's account address (depin1...).
        delegator: String,
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every delegation of a delegator.
    Delegations {
        /// The delegator's account address (depin1...).
        delegator: String,
        /// The most delegations to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every delegation to a validator.
    DelegationsTo {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        /// The most delegations to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// One unbonding delegation and its entries: `unbonding-delegation <depin1...>
    /// <depinvaloper1...>`.
    UnbondingDelegation {
        /// The delegator's account address (depin1...).
        delegator: String,
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Every unbonding delegation of a delegator.
    UnbondingDelegations {
        /// The delegator's account address (depin1...).
        delegator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// A delegator's redelegations (optionally from --src-validator / to --dst-validator).
    Redelegations {
        /// The delegator's account address (depin1...).
        delegator: String,
        /// Only redelegations from this validator (operator address, depinvaloper1...).
        #[arg(long)]
        src_validator: Option<String>,
        /// Only redelegations to this validator (operator address, depinvaloper1...).
        #[arg(long)]
        dst_validator: Option<String>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The bonded and not-bonded pools.
    Pool {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The module's parameters (unbonding time, max validators, bond denom, ...).
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The header and bonded set recorded at a height.
    HistoricalInfo {
        /// The block height.
        #[arg(value_name = "HEIGHT")]
        block_height: i64,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

fn operators() -> AddressCodec {
    AddressCodec::new(crate::VALOPER_PREFIX)
}

/// The operator address of an account address.
pub fn valoper_of(account: &str) -> Result<String> {
    let bytes = AddressCodec::new(crate::ADDRESS_PREFIX)
        .decode(account)
        .map_err(|e| anyhow!("{account}: {}", e.message))?;
    Ok(operators().encode(&bytes))
}

fn check_valoper(s: &str) -> Result<String> {
    operators().decode(s).map_err(|_| {
        anyhow!(
            "{s:?} is not a validator operator address ({}1...)",
            crate::VALOPER_PREFIX
        )
    })?;
    Ok(s.to_string())
}

/// "0.1" → the protobuf form of a LegacyDec (the integer of its 10^-18 units).
pub fn dec_proto(s: &str, what: &str) -> Result<String> {
    let d: cosmwasm_std::Decimal256 = s
        .trim()
        .parse()
        .map_err(|_| anyhow!("{what} {s:?} is not a decimal (e.g. 0.1)"))?;
    Ok(depin_staking::dec::to_proto(d))
}

/// The protobuf form of a LegacyDec → "0.100000000000000000".
pub fn dec_text(s: &str) -> String {
    depin_staking::dec::from_proto(s, "decimal")
        .map(depin_staking::dec::fmt)
        .unwrap_or_else(|_| s.to_string())
}

fn one_coin(s: &str) -> Result<ProtoCoin> {
    let coins = depin_app::coins::parse(s).map_err(|e| anyhow!(e.message))?;
    match depin_app::coins::to_proto(&coins).as_slice() {
        [c] => Ok(c.clone()),
        _ => bail!("give one coin, e.g. 1000000{}", crate::DENOM),
    }
}

fn whole(s: &str, what: &str) -> Result<String> {
    let n: u128 = s
        .trim()
        .parse()
        .map_err(|_| anyhow!("{what} {s:?} is not a whole number of tokens"))?;
    Ok(n.to_string())
}

/// The 32-byte ed25519 public key in CometBFT's priv_validator_key.json.
pub fn consensus_key_from_file(path: &Path) -> Result<Vec<u8>> {
    let v = crate::config::read_json(path).with_context(|| {
        "the validator's consensus key is written by `cometbft init --home <home>` (or pass --pubkey)"
    })?;
    let value = v
        .pointer("/pub_key/value")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{} has no pub_key.value", path.display()))?;
    let kind = v.pointer("/pub_key/type").and_then(Value::as_str);
    if kind != Some("tendermint/PubKeyEd25519") {
        bail!(
            "{}: consensus key type {kind:?} is not supported (ed25519 only)",
            path.display()
        );
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(value)
        .map_err(|_| anyhow!("{}: pub_key.value is not base64", path.display()))?;
    if key.len() != 32 {
        bail!("{}: the ed25519 key is not 32 bytes", path.display());
    }
    Ok(key)
}

/// The consensus key from --pubkey JSON, or from the home's priv_validator_key.json.
pub fn consensus_key(home: &Path, pubkey: Option<&str>) -> Result<Vec<u8>> {
    let Some(json) = pubkey else {
        return consensus_key_from_file(&home.join("config").join("priv_validator_key.json"));
    };
    let v: Value = serde_json::from_str(json).map_err(|e| {
        anyhow!("--pubkey is not JSON ({e}); write {{\"@type\":\"/cosmos.crypto.ed25519.PubKey\",\"key\":\"<base64>\"}}")
    })?;
    let kind = v.get("@type").and_then(Value::as_str).unwrap_or_default();
    if kind != depin_staking::types::ED25519_PUBKEY_URL {
        bail!("--pubkey @type {kind:?} is not supported: use /cosmos.crypto.ed25519.PubKey");
    }
    let key = v
        .get("key")
        .and_then(Value::as_str)
        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        .filter(|k| k.len() == 32)
        .ok_or_else(|| anyhow!("--pubkey key must be 32 bytes in base64"))?;
    Ok(key)
}

/// A MsgCreateValidator operated by the account `operator_account`.
// `delegator_address` is deprecated in the proto but still a field: it stays empty.
#[allow(deprecated)]
pub fn create_validator_msg(
    operator_account: &str,
    consensus_key: &[u8],
    amount: &str,
    default_moniker: &str,
    v: &ValidatorFlags,
) -> Result<Any> {
    let msg = pb::MsgCreateValidator {
        description: Some(pb::Description {
            moniker: v
                .moniker
                .clone()
                .unwrap_or_else(|| default_moniker.to_string()),
            identity: v.identity.clone(),
            website: v.website.clone(),
            security_contact: v.security_contact.clone(),
            details: v.details.clone(),
        }),
        commission: Some(pb::CommissionRates {
            rate: dec_proto(&v.commission_rate, "--commission-rate")?,
            max_rate: dec_proto(&v.commission_max_rate, "--commission-max-rate")?,
            max_change_rate: dec_proto(
                &v.commission_max_change_rate,
                "--commission-max-change-rate",
            )?,
        }),
        min_self_delegation: whole(&v.min_self_delegation, "--min-self-delegation")?,
        delegator_address: String::new(),
        validator_address: valoper_of(operator_account)?,
        pubkey: Some(depin_staking::types::ed25519_any(consensus_key)),
        value: Some(one_coin(amount)?),
    };
    Ok(Any {
        type_url: msgs::MSG_CREATE_VALIDATOR.into(),
        value: msg.encode_to_vec(),
    })
}

fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn run_tx(ctx: &Context, cmd: StakingTx) -> Result<()> {
    match cmd {
        StakingTx::CreateValidator {
            from,
            amount,
            validator,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let cons = consensus_key(&ctx.home, validator.pubkey.as_deref())?;
            let msg = create_validator_msg(&key.address, &cons, &amount, &from, &validator)?;
            broadcast(ctx, &key, vec![msg], &flags)
        }
        StakingTx::EditValidator {
            from,
            moniker,
            identity,
            website,
            security_contact,
            details,
            commission_rate,
            min_self_delegation,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let keep = |f: Option<String>| {
                f.unwrap_or_else(|| depin_staking::types::DO_NOT_MODIFY.to_string())
            };
            let msg = pb::MsgEditValidator {
                validator_address: valoper_of(&key.address)?,
                description: Some(pb::Description {
                    moniker: keep(moniker),
                    identity: keep(identity),
                    website: keep(website),
                    security_contact: keep(security_contact),
                    details: keep(details),
                }),
                commission_rate: commission_rate
                    .map(|r| dec_proto(&r, "--commission-rate"))
                    .transpose()?
                    .unwrap_or_default(),
                min_self_delegation: min_self_delegation
                    .map(|m| whole(&m, "--min-self-delegation"))
                    .transpose()?
                    .unwrap_or_default(),
            };
            broadcast(ctx, &key, vec![any(msgs::MSG_EDIT_VALIDATOR, msg)], &flags)
        }
        StakingTx::Delegate {
            validator,
            amount,
            from,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let msg = pb::MsgDelegate {
                delegator_address: key.address.clone(),
                validator_address: check_valoper(&validator)?,
                amount: Some(one_coin(&amount)?),
            };
            broadcast(ctx, &key, vec![any(msgs::MSG_DELEGATE, msg)], &flags)
        }
        StakingTx::Unbond {
            validator,
            amount,
            from,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let msg = pb::MsgUndelegate {
                delegator_address: key.address.clone(),
                validator_address: check_valoper(&validator)?,
                amount: Some(one_coin(&amount)?),
            };
            broadcast(ctx, &key, vec![any(msgs::MSG_UNDELEGATE, msg)], &flags)
        }
        StakingTx::Redelegate {
            src_validator,
            dst_validator,
            amount,
            from,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let msg = pb::MsgBeginRedelegate {
                delegator_address: key.address.clone(),
                validator_src_address: check_valoper(&src_validator)?,
                validator_dst_address: check_valoper(&dst_validator)?,
                amount: Some(one_coin(&amount)?),
            };
            broadcast(
                ctx,
                &key,
                vec![any(msgs::MSG_BEGIN_REDELEGATE, msg)],
                &flags,
            )
        }
        StakingTx::CancelUnbond {
            validator,
            amount,
            creation_height,
            from,
            flags,
        } => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let msg = pb::MsgCancelUnbondingDelegation {
                delegator_address: key.address.clone(),
                validator_address: check_valoper(&validator)?,
                amount: Some(one_coin(&amount)?),
                creation_height,
            };
            broadcast(
                ctx,
                &key,
                vec![any(msgs::MSG_CANCEL_UNBONDING_DELEGATION, msg)],
                &flags,
            )
        }
    }
}

fn coin_json(c: Option<&ProtoCoin>) -> Value {
    match c {
        Some(c) => json!({ "denom": c.denom, "amount": c.amount }),
        None => Value::Null,
    }
}

fn status_name(s: i32) -> &'static str {
    match pb::BondStatus::try_from(s) {
        Ok(pb::BondStatus::Bonded) => "BOND_STATUS_BONDED",
        Ok(pb::BondStatus::Unbonding) => "BOND_STATUS_UNBONDING",
        Ok(pb::BondStatus::Unbonded) => "BOND_STATUS_UNBONDED",
        _ => "BOND_STATUS_UNSPECIFIED",
    }
}

fn validator_json(v: &pb::Validator) -> Value {
    let pubkey = v.consensus_pubkey.as_ref().map(|k| {
        let key = cosmrs::proto::cosmos::crypto::ed25519::PubKey::decode(k.value.as_slice())
            .map(|p| base64::engine::general_purpose::STANDARD.encode(p.key))
            .unwrap_or_default();
        json!({ "@type": k.type_url, "key": key })
    });
    let d = v.description.clone().unwrap_or_default();
    let c = v.commission.clone().unwrap_or_default();
    let r = c.commission_rates.unwrap_or_default();
    json!({
        "operator_address": v.operator_address,
        "consensus_pubkey": pubkey,
        "jailed": v.jailed,
        "status": status_name(v.status),
        "tokens": v.tokens,
        "delegator_shares": dec_text(&v.delegator_shares),
        "description": {
            "moniker": d.moniker, "identity": d.identity, "website": d.website,
            "security_contact": d.security_contact, "details": d.details,
        },
        "unbonding_height": v.unbonding_height.to_string(),
        "unbonding_time": time_text(v.unbonding_time.as_ref()),
        "commission": {
            "commission_rates": {
                "rate": dec_text(&r.rate),
                "max_rate": dec_text(&r.max_rate),
                "max_change_rate": dec_text(&r.max_change_rate),
            },
            "update_time": time_text(c.update_time.as_ref()),
        },
        "min_self_delegation": v.min_self_delegation,
    })
}

fn delegation_json(d: &pb::DelegationResponse) -> Value {
    let del = d.delegation.clone().unwrap_or_default();
    json!({
        "delegation": {
            "delegator_address": del.delegator_address,
            "validator_address": del.validator_address,
            "shares": dec_text(&del.shares),
        },
        "balance": coin_json(d.balance.as_ref()),
    })
}

fn unbonding_json(u: &pb::UnbondingDelegation) -> Value {
    json!({
        "delegator_address": u.delegator_address,
        "validator_address": u.validator_address,
        "entries": u.entries.iter().map(|e| json!({
            "creation_height": e.creation_height.to_string(),
            "completion_time": time_text(e.completion_time.as_ref()),
            "initial_balance": e.initial_balance,
            "balance": e.balance,
        })).collect::<Vec<_>>(),
    })
}

fn redelegation_json(r: &pb::RedelegationResponse) -> Value {
    let red = r.redelegation.clone().unwrap_or_default();
    json!({
        "redelegation": {
            "delegator_address": red.delegator_address,
            "validator_src_address": red.validator_src_address,
            "validator_dst_address": red.validator_dst_address,
        },
        "entries": r.entries.iter().map(|e| {
            let entry = e.redelegation_entry.clone().unwrap_or_default();
            json!({
                "creation_height": entry.creation_height.to_string(),
                "completion_time": time_text(entry.completion_time.as_ref()),
                "initial_balance": entry.initial_balance,
                "shares_dst": dec_text(&entry.shares_dst),
                "balance": e.balance,
            })
        }).collect::<Vec<_>>(),
    })
}

const Q: &str = "/cosmos.staking.v1beta1.Query/";

fn path(method: &str) -> String {
    format!("{Q}{method}")
}

pub fn run_query(cmd: StakingQuery) -> Result<Value> {
    Ok(match cmd {
        StakingQuery::Validators {
            status,
            limit,
            flags,
        } => {
            let status = match status.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("") => String::new(),
                Some("bonded") | Some("bond_status_bonded") => "BOND_STATUS_BONDED".into(),
                Some("unbonding") | Some("bond_status_unbonding") => "BOND_STATUS_UNBONDING".into(),
                Some("unbonded") | Some("bond_status_unbonded") => "BOND_STATUS_UNBONDED".into(),
                Some(other) => bail!("--status {other:?}: use bonded, unbonding or unbonded"),
            };
            let r: pb::QueryValidatorsResponse = ask(
                &flags,
                &path("Validators"),
                pb::QueryValidatorsRequest {
                    status,
                    pagination: page(limit),
                },
            )?;
            json!({
                "validators": r.validators.iter().map(validator_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        StakingQuery::Validator { validator, flags } => {
            let r: pb::QueryValidatorResponse = ask(
                &flags,
                &path("Validator"),
                pb::QueryValidatorRequest {
                    validator_addr: check_valoper(&validator)?,
                },
            )?;
            json!({ "validator": validator_json(&r.validator.unwrap_or_default()) })
        }
        StakingQuery::Delegation {
            delegator,
            validator,
            flags,
        } => {
            let r: pb::QueryDelegationResponse = ask(
                &flags,
                &path("Delegation"),
                pb::QueryDelegationRequest {
                    delegator_addr: delegator,
                    validator_addr: check_valoper(&validator)?,
                },
            )?;
            json!({ "delegation_response": delegation_json(&r.delegation_response.unwrap_or_default()) })
        }
        StakingQuery::Delegations {
            delegator,
            limit,
            flags,
        } => {
            let r: pb::QueryDelegatorDelegationsResponse = ask(
                &flags,
                &path("DelegatorDelegations"),
                pb::QueryDelegatorDelegationsRequest {
                    delegator_addr: delegator,
                    pagination: page(limit),
                },
            )?;
            json!({
                "delegation_responses": r.delegation_responses.iter().map(delegation_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        StakingQuery::DelegationsTo {
            validator,
            limit,
            flags,
        } => {
            let r: pb::QueryValidatorDelegationsResponse = ask(
                &flags,
                &path("ValidatorDelegations"),
                pb::QueryValidatorDelegationsRequest {
                    validator_addr: check_valoper(&validator)?,
                    pagination: page(limit),
                },
            )?;
            json!({
                "delegation_responses": r.delegation_responses.iter().map(delegation_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        StakingQuery::UnbondingDelegation {
            delegator,
            validator,
            flags,
        } => {
            let r: pb::QueryUnbondingDelegationResponse = ask(
                &flags,
                &path("UnbondingDelegation"),
                pb::QueryUnbondingDelegationRequest {
                    delegator_addr: delegator,
                    validator_addr: check_valoper(&validator)?,
                },
            )?;
            json!({ "unbond": unbonding_json(&r.unbond.unwrap_or_default()) })
        }
        StakingQuery::UnbondingDelegations { delegator, flags } => {
            let r: pb::QueryDelegatorUnbondingDelegationsResponse = ask(
                &flags,
                &path("DelegatorUnbondingDelegations"),
                pb::QueryDelegatorUnbondingDelegationsRequest {
                    delegator_addr: delegator,
                    pagination: page(100),
                },
            )?;
            json!({
                "unbonding_responses": r.unbonding_responses.iter().map(unbonding_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        StakingQuery::Redelegations {
            delegator,
            src_validator,
            dst_validator,
            flags,
        } => {
            let r: pb::QueryRedelegationsResponse = ask(
                &flags,
                &path("Redelegations"),
                pb::QueryRedelegationsRequest {
                    delegator_addr: delegator,
                    src_validator_addr: src_validator
                        .map(|v| check_valoper(&v))
                        .transpose()?
                        .unwrap_or_default(),
                    dst_validator_addr: dst_validator
                        .map(|v| check_valoper(&v))
                        .transpose()?
                        .unwrap_or_default(),
                    pagination: page(100),
                },
            )?;
            json!({
                "redelegation_responses": r.redelegation_responses.iter().map(redelegation_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        StakingQuery::Pool { flags } => {
            let r: pb::QueryPoolResponse = ask(&flags, &path("Pool"), pb::QueryPoolRequest {})?;
            let p = r.pool.unwrap_or_default();
            json!({ "pool": { "bonded_tokens": p.bonded_tokens, "not_bonded_tokens": p.not_bonded_tokens } })
        }
        StakingQuery::Params { flags } => {
            let r: pb::QueryParamsResponse =
                ask(&flags, &path("Params"), pb::QueryParamsRequest {})?;
            let p = r.params.unwrap_or_default();
            json!({ "params": {
                "unbonding_time": p.unbonding_time.map(|d| format!("{}s", d.seconds)),
                "max_validators": p.max_validators,
                "max_entries": p.max_entries,
                "historical_entries": p.historical_entries,
                "bond_denom": p.bond_denom,
                "min_commission_rate": dec_text(&p.min_commission_rate),
            }})
        }
        StakingQuery::HistoricalInfo {
            block_height: height,
            flags,
        } => {
            let r: pb::QueryHistoricalInfoResponse = ask(
                &flags,
                &path("HistoricalInfo"),
                pb::QueryHistoricalInfoRequest { height },
            )?;
            let h = r.hist.unwrap_or_default();
            let header = h.header.unwrap_or_default();
            json!({ "hist": {
                "header": {
                    "chain_id": header.chain_id,
                    "height": header.height.to_string(),
                    "time": time_text(header.time.as_ref()),
                    "proposer_address": hex::encode_upper(&header.proposer_address),
                },
                "valset": h.valset.iter().map(validator_json).collect::<Vec<_>>(),
            }})
        }
    })
}
