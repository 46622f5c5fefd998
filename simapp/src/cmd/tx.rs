//! `depind tx ...`: build, sign (SIGN_MODE_DIRECT with a keyring key) and broadcast.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::Any;
use prost::Message;
use serde_json::json;

use crate::config::{genesis_path, read_json};
use crate::keyring::{Backend, Keyring};
use crate::testing::{sign, FeeSpec, SignerData, TestKey};

use super::client::{tx_json, NodeClient};
use super::Context;

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum TxCmd {
    /// Bank transactions.
    #[command(subcommand)]
    Bank(BankTx),
    /// Staking transactions: validators and delegations.
    #[command(subcommand)]
    Staking(super::staking::StakingTx),
    /// Device registry transactions: onboard, locate, transfer, heartbeats, witnesses.
    #[command(subcommand)]
    Device(super::device::DeviceTx),
    /// Marketplace transactions: providers, orders, bids, leases, escrow, storage deals.
    #[command(subcommand)]
    Market(super::market::MarketTx),
    /// Slashing transactions: unjail a validator.
    #[command(subcommand)]
    Slashing(super::slashing::SlashingTx),
    /// Rewards transactions: claim device and provider rewards, burn tokens for data credits.
    #[command(subcommand)]
    Rewards(super::rewards::RewardsTx),
    /// Distribution transactions: withdraw staking rewards and commission, set the withdraw
    /// address, fund the community pool.
    #[command(subcommand)]
    Distribution(super::distribution::DistributionTx),
    /// Governance transactions: submit proposals, deposit, vote, weighted vote, cancel.
    #[command(subcommand)]
    Gov(super::gov::GovTx),
    /// Energy meters: submit a meter's signed watt-hour reading.
    #[command(subcommand)]
    Energy(super::energy::EnergyTx),
    /// Software upgrade proposals: schedule or cancel an upgrade plan through governance.
    #[command(subcommand)]
    Upgrade(super::upgrade::UpgradeTx),
}

#[derive(Subcommand)]
pub enum BankTx {
    /// Send coins: `depind tx bank send <from-key> <to-address> 1000udepin`.
    Send {
        /// The sender's key: a key name in the keyring, or its address.
        from: String,
        /// The recipient's bech32 address (depin1...).
        to: String,
        /// Coins with denom, comma-separated, e.g. 1000udepin.
        amount: String,
        #[command(flatten)]
        flags: TxFlags,
    },
}

/// The flags every transaction takes, as in the Cosmos SDK's CLI.
#[derive(Args, Clone)]
pub struct TxFlags {
    /// CometBFT RPC of the node to broadcast to (tcp://host:port or http://host:port; also
    /// read from DEPIND_NODE).
    #[arg(long, env = "DEPIND_NODE", default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
    /// The chain id to sign for (default: the chain id in the home's genesis file).
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Fee to pay, one coin with denom, e.g. 5000udepin. Default: gas × --gas-prices.
    #[arg(long)]
    pub fees: Option<String>,
    /// Gas price for computing the fee when --fees is not given: amount per unit of gas with
    /// denom, e.g. 0.025udepin.
    #[arg(long, default_value = "0.025udepin")]
    pub gas_prices: String,
    /// Gas limit, or "auto" to simulate and multiply by --gas-adjustment.
    #[arg(long, default_value = "200000")]
    pub gas: String,
    /// Factor applied to the simulated gas estimate with --gas auto (a decimal, e.g. 1.5).
    #[arg(long, default_value = "1.5")]
    pub gas_adjustment: String,
    /// A note stored with the transaction (free text).
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Where the signing key is kept: test or file (passphrase from
    /// DEPIND_KEYRING_PASSPHRASE).
    #[arg(long, default_value = "test")]
    pub keyring_backend: String,
    /// The signer's account number, instead of asking the node for it (give --sequence too
    /// and the account is not looked up: offline signing).
    #[arg(long)]
    pub account_number: Option<u64>,
    /// The signer's sequence (its count of transactions), instead of asking the node.
    #[arg(long)]
    pub sequence: Option<u64>,
    /// sync (CheckTx result) or async (no result).
    #[arg(long, default_value = "sync")]
    pub broadcast_mode: String,
    /// Wait until the transaction is in a block and print its result.
    #[arg(long)]
    pub wait: bool,
    /// Accepted for compatibility: depind never asks for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, cmd: TxCmd) -> Result<()> {
    match cmd {
        TxCmd::Staking(c) => super::staking::run_tx(ctx, c),
        TxCmd::Slashing(c) => super::slashing::run_tx(ctx, c),
        TxCmd::Device(c) => super::device::run_tx(ctx, c),
        TxCmd::Market(c) => super::market::run_tx(ctx, c),
        TxCmd::Rewards(c) => super::rewards::run_tx(ctx, c),
        TxCmd::Distribution(c) => super::distribution::run_tx(ctx, c),
        TxCmd::Gov(c) => super::gov::run_tx(ctx, c),
        TxCmd::Upgrade(c) => super::upgrade::run_tx(ctx, c),
        TxCmd::Energy(c) => super::energy::run_tx(ctx, c),
        TxCmd::Bank(BankTx::Send {
            from,
            to,
            amount,
            flags,
        }) => {
            let key = load_key(ctx, &from, &flags.keyring_backend)?;
            let coins = depin_app::coins::parse(&amount).map_err(|e| anyhow!(e.message))?;
            let msg = cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
                from_address: key.address.clone(),
                to_address: to,
                amount: depin_app::coins::to_proto(&coins),
            };
            let any = Any {
                type_url: depin_bank::msgs::MSG_SEND.into(),
                value: msg.encode_to_vec(),
            };
            broadcast(ctx, &key, vec![any], &flags)
        }
    }
}

pub fn load_key(ctx: &Context, name: &str, backend: &str) -> Result<TestKey> {
    let keyring = Keyring::open(
        &ctx.home,
        Backend::parse(backend)?,
        crate::ADDRESS_PREFIX,
        std::env::var("DEPIND_KEYRING_PASSPHRASE").ok(),
    )?;
    Ok(TestKey::from_key(keyring.signing_key(name)?))
}

pub fn chain_id(ctx: &Context, flags: &TxFlags) -> Result<String> {
    given_or_genesis_chain_id(ctx, flags.chain_id.as_deref())
}

/// `given`, else the chain id in the home's genesis file.
pub fn given_or_genesis_chain_id(ctx: &Context, given: Option<&str>) -> Result<String> {
    if let Some(c) = given {
        return Ok(c.to_string());
    }
    let path = genesis_path(&ctx.home);
    read_json(&path)
        .ok()
        .and_then(|g| {
            g.get("chain_id")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .ok_or_else(|| {
            anyhow!(
                "pass --chain-id (no genesis file in {} to read it from)",
                ctx.home.display()
            )
        })
}

/// "1.5" → 150 (hundredths), integers only.
fn hundredths(s: &str) -> Result<u64> {
    let d: cosmwasm_std::Decimal = s
        .parse()
        .map_err(|_| anyhow!("--gas-adjustment {s:?} is not a number"))?;
    Ok(cosmwasm_std::Uint128::new(100).mul_floor(d).u128() as u64)
}

/// Signs `msgs` with `key`, works out gas and fee, broadcasts, and prints the result.
pub fn broadcast(ctx: &Context, key: &TestKey, msgs: Vec<Any>, flags: &TxFlags) -> Result<()> {
    let client = NodeClient::new(&flags.node)?;
    let chain_id = chain_id(ctx, flags)?;
    let (account_number, sequence) = match (flags.account_number, flags.sequence) {
        (Some(a), Some(s)) => (a, s),
        _ => {
            let acc = client.account(&key.address)?.ok_or_else(|| {
                anyhow!(
                    "account {} does not exist on chain yet: send it some tokens first",
                    key.address
                )
            })?;
            (
                flags.account_number.unwrap_or(acc.account_number),
                flags.sequence.unwrap_or(acc.sequence),
            )
        }
    };
    let data = SignerData {
        chain_id,
        account_number,
        sequence,
    };
    let price = depin_app::context::GasPrice::parse_list(&flags.gas_prices)
        .map_err(|e| anyhow!("--gas-prices: {e}"))?;
    let gas = if flags.gas == "auto" {
        // The probe pays a token fee so the simulation includes the fee transfer's gas.
        let denom = price
            .first()
            .map_or(crate::DENOM.to_string(), |p| p.denom.clone());
        let probe_fee = FeeSpec {
            amount: 1,
            denom,
            gas: 10_000_000,
        };
        let probe =
            sign(key, &data, msgs.clone(), &probe_fee, &flags.memo).map_err(|e| anyhow!(e))?;
        let resp = client.query(
            depin_app::query::SIMULATE_PATH,
            SimulateRequest {
                tx_bytes: probe,
                ..Default::default()
            }
            .encode_to_vec(),
            0,
        )?;
        let used = SimulateResponse::decode(resp.as_slice())?
            .gas_info
            .map_or(0, |g| g.gas_used);
        let adjusted = used.saturating_mul(hundredths(&flags.gas_adjustment)?) / 100;
        eprintln!("gas estimate: {used} (limit set to {adjusted})");
        adjusted
    } else {
        flags
            .gas
            .parse()
            .map_err(|_| anyhow!("--gas must be a number or \"auto\""))?
    };
    let fee = match &flags.fees {
        Some(f) => {
            let coins = depin_app::coins::parse(f).map_err(|e| anyhow!(e.message))?;
            match coins.as_slice() {
                [] => FeeSpec::new(0, gas),
                [c] => FeeSpec {
                    amount: c.amount.u128(),
                    denom: c.denom.clone(),
                    gas,
                },
                _ => bail!("--fees takes one coin"),
            }
        }
        None => {
            let p = price
                .first()
                .ok_or_else(|| anyhow!("--gas-prices is empty"))?;
            let amount = p
                .fee_for(gas)
                .ok_or_else(|| anyhow!("fee for gas {gas} overflows"))?;
            FeeSpec {
                amount: amount.u128(),
                denom: p.denom.clone(),
                gas,
            }
        }
    };
    let tx = sign(key, &data, msgs, &fee, &flags.memo).map_err(|e| anyhow!(e))?;
    let (code, codespace, log, hash) = match flags.broadcast_mode.as_str() {
        "sync" => {
            let r = client.broadcast_sync(tx)?;
            (r.code.value(), r.codespace, r.log, r.hash.to_string())
        }
        "async" => {
            let r = client.broadcast_async(tx)?;
            (r.code.value(), r.codespace, r.log, r.hash.to_string())
        }
        other => bail!("--broadcast-mode {other:?}: use sync or async"),
    };
    if code != 0 {
        ctx.print(&json!({ "code": code, "codespace": codespace, "raw_log": log, "txhash": hash }));
        bail!("the node refused the transaction: {log} (codespace {codespace}, code {code})");
    }
    if flags.wait {
        let r = client.wait_tx(&hash, Duration::from_secs(60))?;
        let out = tx_json(&r);
        ctx.print(&out);
        if r.tx_result.code.value() != 0 {
            bail!(
                "transaction failed in block {}: {}",
                r.height,
                r.tx_result.log
            );
        }
        return Ok(());
    }
    ctx.print(&json!({ "code": 0, "codespace": "", "raw_log": "", "txhash": hash }));
    Ok(())
}
