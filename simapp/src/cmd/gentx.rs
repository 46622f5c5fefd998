//! Genesis validators: `depind genesis gentx` signs a MsgCreateValidator for a funded genesis
//! account, and `depind genesis collect-gentxs` verifies every gentx in `<home>/config/gentx/`
//! and writes the validators straight into the genesis file's staking state.
//!
//! Unlike the Cosmos SDK (whose genutil module delivers gentxs as transactions during
//! InitChain), the gentxs are applied here, deterministically, by the CLI: each becomes an
//! Unbonded validator holding its self delegation, a delegation of the same shares, and the
//! self-bonded tokens moved from the operator's genesis balance to the not-bonded pool (supply
//! unchanged). At InitChain staking bonds the top `max_validators` and answers CometBFT with
//! that set, so the genesis file's own `validators` is emptied.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use base64::Engine;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw};
use cosmwasm_std::{Timestamp, Uint128};
use prost::Message;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::Coin;
use depin_staking::genesis::{
    GenesisCommission, GenesisCommissionRates, GenesisDelegation, GenesisPubKey, GenesisValidator,
};
use depin_staking::types::{Description, ED25519_PUBKEY_URL};

use super::staking::{consensus_key, create_validator_msg, ValidatorFlags};
use super::Context;
use crate::config::{config_dir, genesis_path, read_json, write_json};
use crate::testing::{sign, FeeSpec, SignerData};

/// A gentx as written to `<home>/config/gentx/gentx-<moniker>.json`. Only `tx` counts (it is
/// verified); the other fields are there for people reading the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GentxFile {
    pub chain_id: String,
    pub operator_address: String,
    pub validator_address: String,
    pub moniker: String,
    pub amount: String,
    /// The signed `TxRaw` (SIGN_MODE_DIRECT, account number 0, sequence 0), in base64.
    pub tx: String,
}

#[derive(clap::Args)]
pub struct GentxArgs {
    /// The key (in the keyring) of a funded genesis account: it operates the validator.
    pub key_name: String,
    /// The self delegation, e.g. 100000000udepin (power = amount / 10^6).
    pub amount: String,
    /// Must be the genesis file's chain id (default: that chain id).
    #[arg(long)]
    pub chain_id: Option<String>,
    #[command(flatten)]
    pub validator: ValidatorFlags,
    /// Where the key is kept: test or file (passphrase from DEPIND_KEYRING_PASSPHRASE).
    #[arg(long, default_value = "test")]
    pub keyring_backend: String,
    /// Where to write the gentx (default <home>/config/gentx/gentx-<moniker>.json).
    #[arg(long)]
    pub output_document: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct CollectArgs {
    /// The folder of gentx files (default <home>/config/gentx).
    #[arg(long)]
    pub gentx_dir: Option<PathBuf>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn genesis_chain_id(genesis: &Value) -> Result<String> {
    genesis
        .get("chain_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the genesis file has no chain_id: run `depind init` first"))
}

pub fn gentx(ctx: &Context, args: GentxArgs) -> Result<()> {
    let (path, file) = write_gentx(ctx, &args)?;
    ctx.print(&json!({
        "gentx": path.display().to_string(),
        "validator_address": file.validator_address,
        "amount": file.amount,
    }));
    Ok(())
}

/// Signs and writes a gentx; returns where and what.
pub fn write_gentx(ctx: &Context, args: &GentxArgs) -> Result<(PathBuf, GentxFile)> {
    let genesis = read_json(&genesis_path(&ctx.home))?;
    let chain_id = genesis_chain_id(&genesis)?;
    if let Some(c) = &args.chain_id {
        if *c != chain_id {
            bail!("--chain-id {c} is not the genesis file's chain id {chain_id}");
        }
    }
    let key = super::tx::load_key(ctx, &args.key_name, &args.keyring_backend)?;
    // The account must be funded in genesis with at least the amount.
    let amount = one_coin(&args.amount)?;
    let bank: depin_bank::GenesisState = serde_json::from_value(
        genesis
            .pointer("/app_state/bank")
            .cloned()
            .unwrap_or(json!({})),
    )
    .context("app_state.bank")?;
    let funded = bank
        .balances
        .iter()
        .find(|b| b.address == key.address)
        .and_then(|b| b.coins.iter().find(|c| c.denom == amount.denom))
        .map_or(Uint128::zero(), |c| c.amount);
    if funded < amount.amount {
        bail!(
            "{} ({}) has {funded}{} in genesis, less than the self delegation {}: fund it with \
             `depind genesis add-account {} <coins>` first",
            args.key_name,
            key.address,
            amount.denom,
            args.amount,
            args.key_name
        );
    }
    let cons = consensus_key(&ctx.home, args.validator.pubkey.as_deref())?;
    let moniker = args
        .validator
        .moniker
        .clone()
        .unwrap_or_else(|| args.key_name.clone());
    let msg = create_validator_msg(&key.address, &cons, &args.amount, &moniker, &args.validator)?;
    let data = SignerData {
        chain_id: chain_id.clone(),
        account_number: 0,
        sequence: 0,
    };
    let tx = sign(&key, &data, vec![msg], &FeeSpec::new(0, 200_000), "").map_err(|e| anyhow!(e))?;
    let file = GentxFile {
        chain_id,
        operator_address: key.address.clone(),
        validator_address: super::staking::valoper_of(&key.address)?,
        moniker: moniker.clone(),
        amount: args.amount.clone(),
        tx: b64().encode(tx),
    };
    let path = match &args.output_document {
        Some(p) => p.clone(),
        None => {
            let dir = config_dir(&ctx.home).join("gentx");
            std::fs::create_dir_all(&dir)?;
            dir.join(format!("gentx-{}.json", sanitize(&moniker)))
        }
    };
    write_json(&path, &serde_json::to_value(&file)?)?;
    Ok((path, file))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn one_coin(s: &str) -> Result<Coin> {
    let coins = depin_app::coins::parse(s).map_err(|e| anyhow!(e.message))?;
    match coins.as_slice() {
        [c] if !c.amount.is_zero() => Ok(c.clone()),
        _ => bail!("give one positive coin, e.g. 100000000{}", crate::DENOM),
    }
}

/// What a verified gentx says.
pub struct VerifiedGentx {
    /// The operator's account address (depin1...).
    pub operator: String,
    pub msg: pb::MsgCreateValidator,
    pub amount: Coin,
}

/// Decodes a gentx, checks it is one MsgCreateValidator signed (account number 0) by its
/// operator for `chain_id`, and returns it.
pub fn verify_gentx(file: &GentxFile, chain_id: &str) -> Result<VerifiedGentx> {
    let raw = b64()
        .decode(file.tx.trim())
        .map_err(|_| anyhow!("tx is not base64"))?;
    let raw = TxRaw::decode(raw.as_slice()).map_err(|e| anyhow!("tx is not a TxRaw: {e}"))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())?;
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice())?;
    let [msg] = body.messages.as_slice() else {
        bail!("a gentx carries exactly one message (MsgCreateValidator)");
    };
    if msg.type_url != depin_staking::msgs::MSG_CREATE_VALIDATOR {
        bail!(
            "the gentx message is {}, not MsgCreateValidator",
            msg.type_url
        );
    }
    let msg = pb::MsgCreateValidator::decode(msg.value.as_slice())?;
    let ([signer], [signature]) = (auth.signer_infos.as_slice(), raw.signatures.as_slice()) else {
        bail!("a gentx has exactly one signer and one signature");
    };
    if signer.sequence != 0 {
        bail!("a gentx is signed with sequence 0");
    }
    let any = signer
        .public_key
        .clone()
        .ok_or_else(|| anyhow!("the signer has no public key"))?;
    let public =
        cosmrs::crypto::PublicKey::try_from(&any).map_err(|e| anyhow!("signer public key: {e}"))?;
    if public.type_url() != cosmrs::crypto::PublicKey::SECP256K1_TYPE_URL {
        bail!("the gentx signer key must be secp256k1");
    }
    let operator = public
        .account_id(crate::ADDRESS_PREFIX)
        .map_err(|e| anyhow!("{e}"))?
        .to_string();
    if super::staking::valoper_of(&operator)? != msg.validator_address {
        bail!(
            "the gentx is signed by {operator}, not by the operator of {}",
            msg.validator_address
        );
    }
    let doc = SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: raw.auth_info_bytes.clone(),
        chain_id: chain_id.to_string(),
        account_number: 0,
    }
    .encode_to_vec();
    let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&public.to_bytes())
        .map_err(|_| anyhow!("signer public key is not a secp256k1 point"))?;
    let sig = k256::ecdsa::Signature::from_slice(signature)
        .map_err(|_| anyhow!("the signature is not 64 bytes (r, s)"))?;
    use k256::ecdsa::signature::Verifier;
    vk.verify(&doc, &sig).map_err(|_| {
        anyhow!("the signature does not verify (signed for another chain id than {chain_id}?)")
    })?;
    let amount = msg
        .value
        .as_ref()
        .ok_or_else(|| anyhow!("MsgCreateValidator has no value"))
        .and_then(|c| {
            depin_app::coins::from_proto(std::slice::from_ref(c)).map_err(|e| anyhow!(e.message))
        })?
        .into_iter()
        .next()
        .filter(|c| !c.amount.is_zero())
        .ok_or_else(|| anyhow!("the self delegation is zero"))?;
    Ok(VerifiedGentx {
        operator,
        msg,
        amount,
    })
}

fn gentx_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "reading {} (write gentxs with `depind genesis gentx`)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no gentx (*.json) in {}", dir.display());
    }
    Ok(files)
}

fn sub_coin(coins: &mut [Coin], amount: &Coin) -> Result<()> {
    let c = coins
        .iter_mut()
        .find(|c| c.denom == amount.denom)
        .ok_or_else(|| anyhow!("no {} balance", amount.denom))?;
    c.amount = c
        .amount
        .checked_sub(amount.amount)
        .map_err(|_| anyhow!("balance {}{} is below {}", c.amount, c.denom, amount.amount))?;
    Ok(())
}

/// Applies every gentx in `dir` to `genesis` (see the module doc). Returns (moniker, validator
/// address, amount) of each.
pub fn collect(genesis: &mut Value, dir: &Path) -> Result<Vec<(String, String, String)>> {
    let chain_id = genesis_chain_id(genesis)?;
    let genesis_time = genesis
        .get("genesis_time")
        .and_then(Value::as_str)
        .map(depin_staking::types::parse_rfc3339)
        .transpose()
        .map_err(|e| anyhow!("genesis_time: {e}"))?
        .unwrap_or_default();
    let state = genesis
        .get_mut("app_state")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("the genesis file has no app_state: run `depind init` first"))?;
    let auth: depin_auth::GenesisState =
        serde_json::from_value(state.get("auth").cloned().unwrap_or(json!({})))
            .context("app_state.auth")?;
    let mut bank: depin_bank::GenesisState =
        serde_json::from_value(state.get("bank").cloned().unwrap_or(json!({})))
            .context("app_state.bank")?;
    let mut staking: depin_staking::GenesisState =
        serde_json::from_value(state.get("staking").cloned().unwrap_or(json!({})))
            .context("app_state.staking")?;
    if !staking.validators.is_empty() || !staking.delegations.is_empty() {
        bail!(
            "app_state.staking already has validators or delegations: collect-gentxs runs once, \
             on a genesis without them"
        );
    }
    let accounts = AddressCodec::new(crate::ADDRESS_PREFIX);
    let pool = accounts.encode(&module_address(depin_staking::NOT_BONDED_POOL));
    let mut out = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    let mut total_power = 0u64;
    for path in gentx_files(dir)? {
        let at = |e: anyhow::Error| e.context(format!("gentx {}", path.display()));
        let file: GentxFile = serde_json::from_value(read_json(&path)?)
            .map_err(|e| at(anyhow!("not a gentx file: {e}")))?;
        let g = verify_gentx(&file, &chain_id).map_err(at)?;
        if g.amount.denom != staking.params.bond_denom {
            return Err(at(anyhow!(
                "the self delegation is in {}; staking takes {}",
                g.amount.denom,
                staking.params.bond_denom
            )));
        }
        if !auth
            .accounts
            .iter()
            .any(|a| a.base_account().address == g.operator)
        {
            return Err(at(anyhow!(
                "{} is not a genesis account (depind genesis add-account)",
                g.operator
            )));
        }
        let balance = bank
            .balances
            .iter_mut()
            .find(|b| b.address == g.operator)
            .ok_or_else(|| at(anyhow!("{} has no genesis balance", g.operator)))?;
        sub_coin(&mut balance.coins, &g.amount)
            .map_err(|e| at(e.context(format!("{} cannot pay its self delegation", g.operator))))?;
        balance.coins.retain(|c| !c.amount.is_zero());
        let pubkey = g
            .msg
            .pubkey
            .as_ref()
            .ok_or_else(|| at(anyhow!("no consensus key")))?;
        let key =
            depin_staking::types::ed25519_from_any(pubkey).map_err(|e| at(anyhow!(e.message)))?;
        if !keys.insert(key.clone()) {
            return Err(at(anyhow!("its consensus key is another gentx's")));
        }
        if staking
            .validators
            .iter()
            .any(|v| v.operator_address == g.msg.validator_address)
        {
            return Err(at(anyhow!(
                "{} has another gentx: one validator per operator",
                g.msg.validator_address
            )));
        }
        let rates = g.msg.commission.clone().unwrap_or_default();
        let dec = |s: &str, what: &str| {
            depin_staking::dec::from_proto(s, what).map_err(|e| at(anyhow!(e.message)))
        };
        let min_self: Uint128 = g
            .msg
            .min_self_delegation
            .parse()
            .map_err(|_| at(anyhow!("min_self_delegation is not a number")))?;
        if min_self.is_zero() || min_self > g.amount.amount {
            return Err(at(anyhow!(
                "min_self_delegation {min_self} must be positive and at most the self \
                 delegation {}",
                g.amount.amount
            )));
        }
        let description = Description::from_proto(&g.msg.description.clone().unwrap_or_default());
        description.validate().map_err(|e| at(anyhow!(e.message)))?;
        let shares = depin_staking::dec::from_tokens(g.amount.amount);
        staking.validators.push(GenesisValidator {
            operator_address: g.msg.validator_address.clone(),
            consensus_pubkey: GenesisPubKey {
                type_url: ED25519_PUBKEY_URL.into(),
                key: b64().encode(&key),
            },
            jailed: false,
            status: "BOND_STATUS_UNBONDED".into(),
            tokens: g.amount.amount,
            delegator_shares: shares,
            description: description.clone(),
            unbonding_height: 0,
            unbonding_time: Timestamp::from_nanos(0),
            commission: GenesisCommission {
                commission_rates: GenesisCommissionRates {
                    rate: dec(&rates.rate, "commission rate")?,
                    max_rate: dec(&rates.max_rate, "commission max rate")?,
                    max_change_rate: dec(&rates.max_change_rate, "commission max change rate")?,
                },
                update_time: genesis_time,
            },
            min_self_delegation: min_self,
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        });
        staking.delegations.push(GenesisDelegation {
            delegator_address: g.operator.clone(),
            validator_address: g.msg.validator_address.clone(),
            shares,
        });
        match bank.balances.iter_mut().find(|b| b.address == pool) {
            Some(b) => {
                b.coins = depin_app::coins::add(&b.coins, std::slice::from_ref(&g.amount))
                    .map_err(|e| anyhow!(e.message))?
            }
            None => bank.balances.push(depin_bank::genesis::Balance {
                address: pool.clone(),
                coins: vec![g.amount.clone()],
            }),
        }
        total_power = total_power.saturating_add(depin_staking::types::power_of(g.amount.amount));
        out.push((
            description.moniker,
            g.msg.validator_address,
            depin_app::coins::format(std::slice::from_ref(&g.amount)),
        ));
    }
    if total_power == 0 {
        bail!(
            "no gentx has power (power = self delegation / 10^6): CometBFT needs at least one \
             validator with at least 1000000{}",
            staking.params.bond_denom
        );
    }
    state.insert("bank".into(), serde_json::to_value(bank)?);
    state.insert("staking".into(), serde_json::to_value(staking)?);
    // InitChain answers with the validators staking bonds: CometBFT's own list stays empty.
    if let Some(obj) = genesis.as_object_mut() {
        obj.insert("validators".into(), json!([]));
    }
    Ok(out)
}

pub fn collect_gentxs(ctx: &Context, args: CollectArgs) -> Result<()> {
    let path = genesis_path(&ctx.home);
    let mut genesis = read_json(&path)?;
    let dir = args
        .gentx_dir
        .unwrap_or_else(|| config_dir(&ctx.home).join("gentx"));
    let collected = collect(&mut genesis, &dir)?;
    write_json(&path, &genesis)?;
    ctx.print(&json!({
        "genesis": path.display().to_string(),
        "validators": collected.iter().map(|(m, v, a)| json!({
            "moniker": m, "validator_address": v, "self_delegation": a,
        })).collect::<Vec<_>>(),
    }));
    Ok(())
}
