//! `depind query ...`: module queries through the node's ABCI query (the same handlers gRPC
//! serves), and transactions through CometBFT's index.

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use prost::Message;
use serde_json::{json, Value};

use super::client::{tx_json, NodeClient};
use super::Context;

#[derive(Args, Clone)]
pub struct QueryFlags {
    /// CometBFT RPC of the node to ask (tcp://host:port or http://host:port; also read from
    /// DEPIND_NODE).
    #[arg(long, env = "DEPIND_NODE", default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
    /// Read state at this height (0: latest).
    #[arg(long, default_value_t = 0)]
    pub height: u64,
}

#[derive(Subcommand)]
pub enum QueryCmd {
    /// Balances, total supply and the bank params.
    #[command(subcommand)]
    Bank(BankQuery),
    /// Accounts, module accounts and the auth params.
    #[command(subcommand)]
    Auth(AuthQuery),
    /// Validators, delegations, unbondings, redelegations, pools, params.
    #[command(subcommand)]
    Staking(super::staking::StakingQuery),
    /// Validators' signing infos (liveness, jail, tombstone) and the slashing params.
    #[command(subcommand)]
    Slashing(super::slashing::SlashingQuery),
    /// Devices, makers, locations, contributions (proofs of physical work), epochs, params.
    #[command(subcommand)]
    Device(super::device::DeviceQuery),
    /// Providers, auditors, orders, bids, leases, escrow, storage deals and their
    /// challenges, usage, params.
    #[command(subcommand)]
    Market(super::market::MarketQuery),
    /// Reward emission: params, epoch, schedule, emissions, totals, pending rewards, device and
    /// provider earnings, data credits, pools.
    #[command(subcommand)]
    Rewards(super::rewards::RewardsQuery),
    /// Staking rewards: params, pending rewards, commission, outstanding rewards, slashes,
    /// withdraw addresses, the community pool.
    #[command(subcommand)]
    Distribution(super::distribution::DistributionQuery),
    /// Governance: proposals, votes, deposits, tallies, params, the constitution.
    #[command(subcommand)]
    Gov(super::gov::GovQuery),
    /// Energy meters: params, a meter, all meters, a meter's energy in a device epoch.
    #[command(subcommand)]
    Energy(super::energy::EnergyQuery),
    /// Software upgrades: the scheduled plan, applied upgrades, module versions, the authority.
    #[command(subcommand)]
    Upgrade(super::upgrade::UpgradeQuery),
    /// A transaction by hash.
    Tx {
        /// The transaction's hash (hex, as `tx` commands print it in txhash).
        hash: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Transactions matching events, e.g. --query "message.sender='depin1...'".
    Txs {
        /// CometBFT event query, e.g. "message.sender='depin1...' AND tx.height>5".
        #[arg(long)]
        query: String,
        /// The page of results to show (from 1).
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Transactions per page (at most 255).
        #[arg(long, default_value_t = 30)]
        limit: u8,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

#[derive(Subcommand)]
pub enum BankQuery {
    /// Balances of an address.
    Balances {
        /// The account's bech32 address (depin1...).
        address: String,
        /// Only this denom (e.g. udepin).
        #[arg(long)]
        denom: Option<String>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Total supply of every denom (or one).
    TotalSupply {
        /// Only this denom (e.g. udepin).
        #[arg(long)]
        denom: Option<String>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The bank module's parameters.
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
}

#[derive(Subcommand)]
pub enum AuthQuery {
    /// An account: number, sequence, public key.
    Account {
        /// The account's bech32 address (depin1...).
        address: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The auth module's parameters (memo length, signature limits and gas costs).
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The module accounts.
    ModuleAccounts {
        #[command(flatten)]
        flags: QueryFlags,
    },
}

fn coins_json(coins: &[Coin]) -> Value {
    json!(coins
        .iter()
        .map(|c| json!({ "denom": c.denom, "amount": c.amount }))
        .collect::<Vec<_>>())
}

/// The first page of up to `limit` items, with the total counted (as the Cosmos CLI asks).
pub fn page(limit: u64) -> Option<PageRequest> {
    Some(PageRequest {
        limit,
        count_total: true,
        ..Default::default()
    })
}

/// A protobuf timestamp in RFC 3339 (null when absent or out of range).
pub fn time_text(t: Option<&tendermint_proto::google::protobuf::Timestamp>) -> Value {
    match t {
        Some(t) => tendermint::Time::from_unix_timestamp(t.seconds, t.nanos.max(0) as u32)
            .map(|t| json!(t.to_rfc3339()))
            .unwrap_or(Value::Null),
        None => Value::Null,
    }
}

pub fn page_json(p: Option<PageResponse>) -> Value {
    let p = p.unwrap_or_default();
    json!({
        "next_key": if p.next_key.is_empty() { Value::Null } else { json!(base64_encode(&p.next_key)) },
        "total": p.total.to_string(),
    })
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn ask<Req: Message, Resp: Message + Default>(
    flags: &QueryFlags,
    path: &str,
    req: Req,
) -> Result<Resp> {
    let client = NodeClient::new(&flags.node)?;
    let bytes = client.query(path, req.encode_to_vec(), flags.height)?;
    Resp::decode(bytes.as_slice())
        .map_err(|e| anyhow!("the node's answer to {path} does not decode: {e}"))
}

/// An account `Any` as the Cosmos CLI prints it.
pub fn account_json(any: &cosmrs::Any) -> Result<Value> {
    let base_json = |b: &auth::BaseAccount| {
        json!({
            "address": b.address,
            "pub_key": b.pub_key.as_ref().map(|k| {
                let key = cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(k.value.as_slice())
                    .map(|p| base64_encode(&p.key))
                    .unwrap_or_default();
                json!({ "@type": k.type_url, "key": key })
            }),
            "account_number": b.account_number.to_string(),
            "sequence": b.sequence.to_string(),
        })
    };
    Ok(match any.type_url.as_str() {
        "/cosmos.auth.v1beta1.ModuleAccount" => {
            let m = auth::ModuleAccount::decode(any.value.as_slice())?;
            json!({
                "@type": any.type_url,
                "base_account": base_json(&m.base_account.unwrap_or_default()),
                "name": m.name,
                "permissions": m.permissions,
            })
        }
        _ => {
            let b = auth::BaseAccount::decode(any.value.as_slice())?;
            let mut v = base_json(&b);
            v["@type"] = json!(any.type_url);
            v
        }
    })
}

pub fn run(ctx: &Context, cmd: QueryCmd) -> Result<()> {
    let out = match cmd {
        QueryCmd::Staking(c) => super::staking::run_query(c)?,
        QueryCmd::Slashing(c) => super::slashing::run_query(ctx, c)?,
        QueryCmd::Device(c) => super::device::run_query(c)?,
        QueryCmd::Market(c) => super::market::run_query(c)?,
        QueryCmd::Rewards(c) => super::rewards::run_query(c)?,
        QueryCmd::Distribution(c) => super::distribution::run_query(c)?,
        QueryCmd::Gov(c) => super::gov::run_query(c)?,
        QueryCmd::Upgrade(c) => super::upgrade::run_query(c)?,
        QueryCmd::Energy(c) => super::energy::run_query(c)?,
        QueryCmd::Bank(BankQuery::Balances {
            address,
            denom,
            flags,
        }) => match denom {
            Some(denom) => {
                let r: bank::QueryBalanceResponse = ask(
                    &flags,
                    "/cosmos.bank.v1beta1.Query/Balance",
                    bank::QueryBalanceRequest { address, denom },
                )?;
                let c = r.balance.unwrap_or_default();
                json!({ "denom": c.denom, "amount": c.amount })
            }
            None => {
                let r: bank::QueryAllBalancesResponse = ask(
                    &flags,
                    "/cosmos.bank.v1beta1.Query/AllBalances",
                    bank::QueryAllBalancesRequest {
                        address,
                        pagination: Some(PageRequest {
                            limit: 1000,
                            ..Default::default()
                        }),
                        resolve_denom: false,
                    },
                )?;
                json!({ "balances": coins_json(&r.balances), "pagination": page_json(r.pagination) })
            }
        },
        QueryCmd::Bank(BankQuery::TotalSupply { denom, flags }) => match denom {
            Some(denom) => {
                let r: bank::QuerySupplyOfResponse = ask(
                    &flags,
                    "/cosmos.bank.v1beta1.Query/SupplyOf",
                    bank::QuerySupplyOfRequest { denom },
                )?;
                let c = r.amount.unwrap_or_default();
                json!({ "denom": c.denom, "amount": c.amount })
            }
            None => {
                let r: bank::QueryTotalSupplyResponse = ask(
                    &flags,
                    "/cosmos.bank.v1beta1.Query/TotalSupply",
                    bank::QueryTotalSupplyRequest {
                        pagination: Some(PageRequest {
                            limit: 1000,
                            ..Default::default()
                        }),
                    },
                )?;
                json!({ "supply": coins_json(&r.supply), "pagination": page_json(r.pagination) })
            }
        },
        QueryCmd::Bank(BankQuery::Params { flags }) => {
            let r: bank::QueryParamsResponse = ask(
                &flags,
                "/cosmos.bank.v1beta1.Query/Params",
                bank::QueryParamsRequest {},
            )?;
            let p = r.params.unwrap_or_default();
            json!({ "params": { "default_send_enabled": p.default_send_enabled } })
        }
        QueryCmd::Auth(AuthQuery::Account { address, flags }) => {
            let r: auth::QueryAccountResponse = ask(
                &flags,
                "/cosmos.auth.v1beta1.Query/Account",
                auth::QueryAccountRequest { address },
            )?;
            let any = r
                .account
                .ok_or_else(|| anyhow!("the node returned no account"))?;
            json!({ "account": account_json(&any)? })
        }
        QueryCmd::Auth(AuthQuery::Params { flags }) => {
            let r: auth::QueryParamsResponse = ask(
                &flags,
                "/cosmos.auth.v1beta1.Query/Params",
                auth::QueryParamsRequest {},
            )?;
            let p = r.params.unwrap_or_default();
            json!({ "params": {
                "max_memo_characters": p.max_memo_characters.to_string(),
                "tx_sig_limit": p.tx_sig_limit.to_string(),
                "tx_size_cost_per_byte": p.tx_size_cost_per_byte.to_string(),
                "sig_verify_cost_ed25519": p.sig_verify_cost_ed25519.to_string(),
                "sig_verify_cost_secp256k1": p.sig_verify_cost_secp256k1.to_string(),
            }})
        }
        QueryCmd::Auth(AuthQuery::ModuleAccounts { flags }) => {
            let r: auth::QueryModuleAccountsResponse = ask(
                &flags,
                "/cosmos.auth.v1beta1.Query/ModuleAccounts",
                auth::QueryModuleAccountsRequest {},
            )?;
            let accounts = r
                .accounts
                .iter()
                .map(account_json)
                .collect::<Result<Vec<_>>>()?;
            json!({ "accounts": accounts })
        }
        QueryCmd::Tx { hash, flags } => {
            let client = NodeClient::new(&flags.node)?;
            tx_json(&client.tx(&hash)?)
        }
        QueryCmd::Txs {
            query,
            page,
            limit,
            flags,
        } => {
            let client = NodeClient::new(&flags.node)?;
            let r = client.tx_search(&query, page, limit)?;
            json!({
                "total_count": r.total_count.to_string(),
                "txs": r.txs.iter().map(tx_json).collect::<Vec<_>>(),
            })
        }
    };
    ctx.print(&out);
    Ok(())
}
