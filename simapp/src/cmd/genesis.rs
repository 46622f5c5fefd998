//! `depind genesis ...`: edit and check the genesis file before the chain starts.

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::config::{genesis_path, read_json, write_json};
use crate::keyring::{Backend, Keyring};

use super::Context;

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum GenesisCmd {
    /// Fund an account in genesis: `depind genesis add-account <address|key-name> 1000udepin`.
    AddAccount {
        /// The account: a bech32 address (depin1...) or the name of a key in the keyring.
        address_or_key: String,
        /// Coins to add to its genesis balance, comma-separated amounts with denom, e.g.
        /// 1000000udepin or 10uatom,5udepin.
        coins: String,
        /// Where to look up a key name: test or file (passphrase from
        /// DEPIND_KEYRING_PASSPHRASE).
        #[arg(long, default_value = "test")]
        keyring_backend: String,
    },
    /// Register a device maker in genesis (on a running chain makers come from governance):
    /// `depind genesis add-maker acme secp256k1:<hex> --classes hotspot,energy`.
    AddMaker {
        /// The maker's name: 1 to 32 characters of a-z, 0-9, `-` and `_`.
        name: String,
        /// The maker's public key that signs device attestations, `secp256k1:<hex>` or
        /// `ed25519:<hex>` (the public_key `depind device keygen` prints).
        key: String,
        /// The device classes it may attest, comma-separated (`depind query device params`
        /// or the genesis file's device params list them).
        #[arg(long, value_delimiter = ',', required = true)]
        classes: Vec<String>,
        /// The most devices it may onboard.
        #[arg(long, default_value_t = 1_000)]
        quota: u64,
    },
    /// Set one module parameter in genesis (on a running chain params change through
    /// governance): `depind genesis set-param rewards epoch_blocks 100`.
    SetParam {
        /// The module, e.g. device, market, rewards, energy, gov, staking.
        module: String,
        /// The parameter's name as the genesis file spells it, e.g. epoch_blocks.
        param: String,
        /// The value: a number, true/false, a string, or JSON for lists and objects (coins:
        /// '{"denom":"udepin","amount":"5000000"}').
        value: String,
    },
    /// Check that the genesis file starts a chain (every module's genesis imports); prints the
    /// validator set InitChain answers.
    Validate,
    /// Sign a MsgCreateValidator for a funded genesis account with this node's consensus key:
    /// `depind genesis gentx <key-name> 100000000udepin --chain-id <id> --moniker <m>`.
    Gentx(super::gentx::GentxArgs),
    /// Verify the gentxs in <home>/config/gentx/ and write their validators, self delegations
    /// and pool balance into the genesis file.
    CollectGentxs(super::gentx::CollectArgs),
}

pub fn run(ctx: &Context, cmd: GenesisCmd) -> Result<()> {
    match cmd {
        GenesisCmd::AddAccount {
            address_or_key,
            coins,
            keyring_backend,
        } => add_account(ctx, &address_or_key, &coins, &keyring_backend),
        GenesisCmd::AddMaker {
            name,
            key,
            classes,
            quota,
        } => add_maker(ctx, &name, &key, &classes, quota),
        GenesisCmd::SetParam {
            module,
            param,
            value,
        } => set_param(ctx, &module, &param, &value),
        GenesisCmd::Validate => validate(ctx),
        GenesisCmd::Gentx(a) => super::gentx::gentx(ctx, a),
        GenesisCmd::CollectGentxs(a) => super::gentx::collect_gentxs(ctx, a),
    }
}

/// Sets `app_state.<module>.params.<param>`, keeping the JSON type the genesis has for it
/// (integers the proto3 JSON mapping writes as strings stay strings); the whole genesis must
/// still import.
fn set_param(ctx: &Context, module: &str, param: &str, value: &str) -> Result<()> {
    let path = genesis_path(&ctx.home);
    let mut genesis = read_json(&path)?;
    let params = genesis
        .pointer_mut(&format!("/app_state/{module}/params"))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("the genesis has no params of a module {module:?}"))?;
    let Some(old) = params.get(param) else {
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        bail!(
            "{module} has no param {param:?}; its params: {}",
            known.join(", ")
        );
    };
    let new = match old {
        Value::String(_) => Value::String(value.to_string()),
        _ => serde_json::from_str(value)
            .map_err(|e| anyhow!("{module}.{param} takes JSON here ({e}), e.g. {old}"))?,
    };
    let before = old.clone();
    params.insert(param.to_string(), new.clone());
    validate_genesis(&genesis)
        .map_err(|e| anyhow!("{module}.{param} = {value} is refused: {e:#}"))?;
    write_json(&path, &genesis)?;
    ctx.print(&json!({ "module": module, "param": param, "old": before, "new": new }));
    Ok(())
}

/// Adds a maker to the device module's genesis; the whole genesis must still import.
fn add_maker(ctx: &Context, name: &str, key: &str, classes: &[String], quota: u64) -> Result<()> {
    use base64::Engine;
    let public = super::device::parse_key(key)?;
    let key_type = match depin_proto::depin::device::v1::KeyType::try_from(public.r#type) {
        Ok(depin_proto::depin::device::v1::KeyType::Secp256k1) => "KEY_TYPE_SECP256K1",
        _ => "KEY_TYPE_ED25519",
    };
    let path = genesis_path(&ctx.home);
    let mut genesis = read_json(&path)?;
    let makers = genesis
        .pointer("/app_state/device/makers")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            anyhow!(
                "{} has no app_state.device.makers: run `depind init` first",
                path.display()
            )
        })?;
    if makers.iter().any(|m| m["name"] == name) {
        bail!("genesis already has a maker named {name:?}");
    }
    let known: Vec<String> = genesis
        .pointer("/app_state/device/params/classes")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(c) = classes.iter().find(|c| !known.contains(c)) {
        bail!(
            "the genesis has no device class {c:?}; its classes: {}",
            known.join(", ")
        );
    }
    let Some(makers) = genesis
        .pointer_mut("/app_state/device/makers")
        .and_then(Value::as_array_mut)
    else {
        bail!("{} has no app_state.device.makers", path.display());
    };
    let record = json!({
        "name": name,
        "key": {
            "type": key_type,
            "key": base64::engine::general_purpose::STANDARD.encode(&public.key),
        },
        "allowed_classes": classes,
        "device_quota": quota.to_string(),
        "devices_onboarded": "0",
        "revoked": false,
        "revoked_height": "0",
    });
    makers.push(record.clone());
    validate_genesis(&genesis).map_err(|e| anyhow!("the maker is refused: {e:#}"))?;
    write_json(&path, &genesis)?;
    ctx.print(&record);
    Ok(())
}

/// A bech32 address with the chain's prefix, or the name of a key in the keyring.
pub fn resolve_address(ctx: &Context, s: &str, backend: &str) -> Result<String> {
    let codec = depin_app::address::AddressCodec::new(crate::ADDRESS_PREFIX);
    if codec.decode(s).is_ok() {
        return Ok(s.to_string());
    }
    let keyring = Keyring::open(
        &ctx.home,
        Backend::parse(backend)?,
        crate::ADDRESS_PREFIX,
        std::env::var("DEPIND_KEYRING_PASSPHRASE").ok(),
    )?;
    Ok(keyring
        .show(s)
        .with_context(|| {
            format!(
                "{s:?} is neither a {}1... address nor a key name",
                crate::ADDRESS_PREFIX
            )
        })?
        .address)
}

fn add_account(ctx: &Context, who: &str, coins: &str, backend: &str) -> Result<()> {
    let address = resolve_address(ctx, who, backend)?;
    let coins = depin_app::coins::parse(coins).map_err(|e| anyhow!(e.message))?;
    add_genesis_account(&ctx.home, &address, &coins)?;
    ctx.print(&json!({ "address": address, "coins": depin_app::coins::format(&coins) }));
    Ok(())
}

/// Funds `address` with `coins` in `home`'s genesis file (creating its auth account).
pub fn add_genesis_account(
    home: &std::path::Path,
    address: &str,
    coins: &[depin_app::coins::Coin],
) -> Result<()> {
    let address = address.to_string();
    if coins.is_empty() {
        bail!("give at least one coin, e.g. 1000000udepin");
    }
    let path = genesis_path(home);
    let mut genesis = read_json(&path)?;
    let state = genesis
        .get_mut("app_state")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            anyhow!(
                "{} has no app_state: run `depind init` first",
                path.display()
            )
        })?;

    let mut auth: depin_auth::GenesisState =
        serde_json::from_value(state.get("auth").cloned().unwrap_or(json!({})))
            .context("app_state.auth")?;
    let mut bank: depin_bank::GenesisState =
        serde_json::from_value(state.get("bank").cloned().unwrap_or(json!({})))
            .context("app_state.bank")?;
    if !auth
        .accounts
        .iter()
        .any(|a| a.base_account().address == address)
    {
        let next = auth
            .accounts
            .iter()
            .map(|a| a.base_account().account_number + 1)
            .max()
            .unwrap_or(0);
        auth.accounts
            .push(depin_auth::GenesisAccount::base(&address, next));
    }
    match bank.balances.iter_mut().find(|b| b.address == address) {
        Some(b) => {
            b.coins = depin_app::coins::add(&b.coins, coins).map_err(|e| anyhow!(e.message))?
        }
        None => bank.balances.push(depin_bank::genesis::Balance {
            address: address.clone(),
            coins: coins.to_vec(),
        }),
    }
    // Supply is computed from the balances at InitChain.
    bank.supply.clear();
    state.insert("auth".into(), serde_json::to_value(auth)?);
    state.insert("bank".into(), serde_json::to_value(bank)?);
    write_json(&path, &genesis)
}

fn validate(ctx: &Context) -> Result<()> {
    let path = genesis_path(&ctx.home);
    let genesis = read_json(&path)?;
    let chain_id = genesis
        .get("chain_id")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{} has no chain_id", path.display()))?;
    let (hash, validators) = validate_genesis(&genesis)
        .map_err(|e| anyhow!("{} does not start a chain: {e}", path.display()))?;
    let from_file = genesis
        .get("validators")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if validators.is_empty() && from_file == 0 {
        bail!(
            "{} has no validators: neither CometBFT's `validators` nor staking gentxs              (depind genesis gentx + collect-gentxs)",
            path.display()
        );
    }
    ctx.print(&json!({
        "valid": true,
        "chain_id": chain_id,
        "genesis_app_hash": hex::encode_upper(hash),
        "validators": validators,
    }));
    Ok(())
}

/// Runs InitChain on a scratch store with the genesis file's chain id, time and app state.
/// Returns the genesis app hash and the validator set the app answers (empty: CometBFT's
/// `validators` from the file stay), each as `{"pub_key": <base64 ed25519>, "power": "<n>"}`.
pub fn validate_genesis(genesis: &Value) -> Result<([u8; 32], Vec<Value>)> {
    use base64::Engine;
    let chain_id = genesis
        .get("chain_id")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("no chain_id"))?;
    let app_state = genesis.get("app_state").cloned().unwrap_or(Value::Null);
    let time = genesis
        .get("genesis_time")
        .and_then(Value::as_str)
        .and_then(|t| tendermint::Time::parse_from_rfc3339(t).ok())
        .map(|t| {
            let nanos = t.unix_timestamp_nanos();
            tendermint_proto::google::protobuf::Timestamp {
                seconds: (nanos.div_euclid(1_000_000_000)) as i64,
                nanos: (nanos.rem_euclid(1_000_000_000)) as i32,
            }
        });
    let req = tendermint_proto::v0_38::abci::RequestInitChain {
        time,
        chain_id: chain_id.to_string(),
        consensus_params: None,
        validators: Vec::new(),
        app_state_bytes: serde_json::to_vec(&app_state)?.into(),
        initial_height: 1,
    };
    let dir = tempfile_dir()?;
    let result = depin_app::driver::InProcess::open(
        std::sync::Arc::new(crate::default_app()),
        &dir,
        Default::default(),
    )
    .and_then(|mut chain| chain.node_mut().try_init_chain(&req));
    let _ = std::fs::remove_dir_all(&dir);
    let (hash, updates) = result.map_err(|e| anyhow!(e))?;
    let validators = updates
        .iter()
        .map(|u| {
            let key = match u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
                Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(k)) => {
                    base64::engine::general_purpose::STANDARD.encode(k)
                }
                _ => String::new(),
            };
            json!({ "pub_key": key, "power": u.power.to_string() })
        })
        .collect();
    Ok((hash, validators))
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("depind-validate-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
