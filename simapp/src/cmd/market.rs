//! `depind tx market ...` and `depind query market ...`: the depin.market.v1 messages and
//! queries. Coins are written as `1000udepin`, attributes as `key=value`, escrow accounts by
//! their id (`order/<id>`, `deal/<id>`) and states by their short name (`open`, `active`, ...).
//!
//! Storage deals work on a local file: `tx market propose-deal --file <path> --chunk-size N`
//! builds the file's Merkle tree with `depin_market::client` and proposes a deal over its
//! root; `tx market submit-proof <deal-id> --file <path>` asks the node for the deal's current
//! challenges and answers them from the file (nothing is sent when the period is already
//! proven), so a provider can run it from cron once per proving period.

use std::fs::File;
use std::io::BufReader;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::Any;
use depin_market::client::{self as storage, MerkleTree};
use depin_proto::depin::market::v1 as pb;
use prost::{Message, Name};
use serde_json::{json, Value};

use super::device::Signer;
use super::query::{ask, page, QueryFlags};
use super::tx::{broadcast, load_key};
use super::Context;

/// A provider's host URI, attributes and devices.
#[derive(Args, Clone)]
pub struct ProviderFlags {
    /// Where tenants reach the provider.
    #[arg(long, default_value = "")]
    pub host_uri: String,
    /// An attribute `key=value` (repeatable).
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
    /// A device id (`depindev1...`) of the provider's (repeatable).
    #[arg(long = "device")]
    pub devices: Vec<String>,
}

/// What an order asks for and who may bid.
#[derive(Args, Clone)]
pub struct OrderFlags {
    /// CPU asked for, in thousandths of a core (1000 = one core).
    #[arg(long, default_value_t = 0)]
    pub cpu_millicores: u64,
    /// Memory asked for, in bytes.
    #[arg(long, default_value_t = 0)]
    pub memory_bytes: u64,
    /// Number of GPUs asked for.
    #[arg(long, default_value_t = 0)]
    pub gpu_count: u32,
    /// The GPU model asked for (empty: any model).
    #[arg(long, default_value = "")]
    pub gpu_model: String,
    /// Storage asked for, in bytes.
    #[arg(long, default_value_t = 0)]
    pub storage_bytes: u64,
    /// An attribute `key=value` the provider must have (repeatable).
    #[arg(long = "require-attribute")]
    pub require_attributes: Vec<String>,
    /// An auditor that must have signed the required attributes (repeatable).
    #[arg(long = "signed-by")]
    pub signed_by: Vec<String>,
    /// Only providers with at least this many storage proofs passed.
    #[arg(long, default_value_t = 0)]
    pub min_proofs_passed: u64,
    /// Only providers with at most this many failed proofs per 10,000 (basis points; 0 with
    /// --min-proofs-passed 0: no limit).
    #[arg(long, default_value_t = 0)]
    pub max_failure_rate_bps: u32,
    /// Only providers that closed at most this many leases themselves (0: no limit, unless
    /// --strict-provider-closes).
    #[arg(long, default_value_t = 0)]
    pub max_leases_closed_by_provider: u64,
    /// Make --max-leases-closed-by-provider 0 mean "none at all" instead of "no limit".
    #[arg(long)]
    pub strict_provider_closes: bool,
}

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum MarketTx {
    /// Register the signer as a provider with `--collateral` (at least the minimum).
    CreateProvider {
        /// Collateral to deposit, one coin with denom, e.g. 100000000udepin (at least the
        /// params' min_provider_collateral).
        #[arg(long)]
        collateral: String,
        #[command(flatten)]
        provider: ProviderFlags,
        #[command(flatten)]
        signer: Signer,
    },
    /// Replace the signer's host URI, attributes and devices.
    UpdateProvider {
        #[command(flatten)]
        provider: ProviderFlags,
        #[command(flatten)]
        signer: Signer,
    },
    /// `deposit-collateral <amount>`.
    DepositCollateral {
        /// One coin with denom, e.g. 1000000udepin.
        amount: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `withdraw-collateral <amount>`.
    WithdrawCollateral {
        /// One coin with denom, e.g. 1000000udepin (what stays must cover the minimum and
        /// the locked collateral).
        amount: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Open an order with its escrow funded by `--deposit`.
    CreateOrder {
        /// The most the tenant pays per block, one coin with denom, e.g. 100udepin.
        #[arg(long)]
        max_price_per_block: String,
        /// The escrow's first funding, one coin with denom, e.g. 1000000udepin.
        #[arg(long)]
        deposit: String,
        #[command(flatten)]
        order: OrderFlags,
        #[command(flatten)]
        signer: Signer,
    },
    /// `close-order <order-id>` (the tenant).
    CloseOrder {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `deposit-escrow <escrow-id> <amount>`: top up `order/<id>` or `deal/<id>`.
    DepositEscrow {
        /// The escrow account's id: `order/<id>` or `deal/<id>`.
        escrow_id: String,
        /// One coin with denom, e.g. 1000000udepin.
        amount: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `create-bid <order-id> --price-per-block <coin>`.
    CreateBid {
        /// The order's id (a number).
        order_id: u64,
        /// The price asked per block, one coin with denom, e.g. 90udepin (at most the order's
        /// max price).
        #[arg(long)]
        price_per_block: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `close-bid <order-id>`: withdraw the signer's open bid.
    CloseBid {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `accept-bid <order-id> <provider>` (the tenant).
    AcceptBid {
        /// The order's id (a number).
        order_id: u64,
        /// The bidding provider's bech32 address (depin1...).
        provider: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `close-lease <order-id>` (tenant or provider).
    CloseLease {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `withdraw-lease <order-id>` (the provider): be paid what the lease owes.
    WithdrawLease {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `settle <escrow-id>`: settle an escrow account up to now.
    Settle {
        /// The escrow account's id: `order/<id>` or `deal/<id>`.
        escrow_id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Propose a storage deal over `--file`: its Merkle tree is built here, only the root,
    /// size and chunk size go on chain.
    ProposeDeal {
        /// The storage provider's bech32 address (depin1...).
        #[arg(long)]
        provider: String,
        /// The local file to store (its Merkle tree is built from it).
        #[arg(long)]
        file: std::path::PathBuf,
        /// Chunk size in bytes: a power of two within the params' min and max chunk size.
        #[arg(long)]
        chunk_size: u32,
        /// How many proving periods the deal lasts (1 to 1,000,000).
        #[arg(long)]
        duration_periods: u64,
        /// What the client pays per proven period, one coin with denom, e.g. 1000udepin.
        #[arg(long)]
        price_per_period: String,
        /// The provider collateral locked for the deal, one coin with denom, e.g.
        /// 1000000udepin.
        #[arg(long)]
        provider_collateral: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `cancel-deal <deal-id>` (the client, before acceptance).
    CancelDeal {
        /// The storage deal's id (a number).
        deal_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `accept-deal <deal-id>` (the provider).
    AcceptDeal {
        /// The storage deal's id (a number).
        deal_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
    /// `submit-proof <deal-id> --file <path>`: answer the current period's challenges from
    /// the stored file (does nothing when the period is already proven).
    SubmitProof {
        /// The storage deal's id (a number).
        deal_id: u64,
        /// The stored file the deal was proposed over.
        #[arg(long)]
        file: std::path::PathBuf,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum MarketQuery {
    /// The module's parameters (collateral, deposits, timeouts, proving periods, fees).
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `provider <owner>`.
    Provider {
        /// The provider's bech32 address (depin1...).
        owner: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Providers, filtered by an attribute (key, or key=value) and reputation.
    Providers {
        /// `key` or `key=value`.
        #[arg(long)]
        attribute: Option<String>,
        /// Only providers with at least this many storage proofs passed.
        #[arg(long, default_value_t = 0)]
        min_proofs_passed: u64,
        /// Only providers with at most this many failed proofs per 10,000 (0: no filter).
        #[arg(long, default_value_t = 0)]
        max_failure_rate_bps: u32,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The registered auditors.
    Auditors {
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `audited-attributes <provider>`: what registered auditors signed of it.
    AuditedAttributes {
        /// The provider's bech32 address (depin1...).
        provider: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `order <order-id>`.
    Order {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Orders by --tenant and --state (open, active, closed).
    Orders {
        /// Only orders of this tenant (bech32 address, depin1...).
        #[arg(long)]
        tenant: Option<String>,
        /// Only orders in this state: open, active or closed.
        #[arg(long)]
        state: Option<String>,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Bids by --order-id, --provider and --state (open, active, lost, closed).
    Bids {
        /// Only bids on this order (0: every order).
        #[arg(long, default_value_t = 0)]
        order_id: u64,
        /// Only bids of this provider (bech32 address, depin1...).
        #[arg(long)]
        provider: Option<String>,
        /// Only bids in this state: open, active, lost or closed.
        #[arg(long)]
        state: Option<String>,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `lease <order-id>`: the lease and its escrow, settled at the queried height.
    Lease {
        /// The order's id (a number).
        order_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Leases by --tenant, --provider and --state (active, insufficient-funds, closed).
    Leases {
        /// Only leases of this tenant (bech32 address, depin1...).
        #[arg(long)]
        tenant: Option<String>,
        /// Only leases of this provider (bech32 address, depin1...).
        #[arg(long)]
        provider: Option<String>,
        /// Only leases in this state: active, insufficient-funds or closed.
        #[arg(long)]
        state: Option<String>,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `escrow <escrow-id>` (`order/<id>` or `deal/<id>`).
    Escrow {
        /// The escrow account's id: `order/<id>` or `deal/<id>`.
        escrow_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `deal <deal-id>`: the deal and its escrow.
    Deal {
        /// The storage deal's id (a number).
        deal_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Deals by --client, --provider and --state (proposed, accepted, active, completed,
    /// terminated, expired, activation-missed, cancelled).
    Deals {
        /// Only deals of this client (bech32 address, depin1...).
        #[arg(long)]
        client: Option<String>,
        /// Only deals of this provider (bech32 address, depin1...).
        #[arg(long)]
        provider: Option<String>,
        /// Only deals in this state: proposed, accepted, active, completed, terminated,
        /// expired, activation-missed or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `challenges <deal-id>`: the chunks to prove this period and when they are due.
    Challenges {
        /// The storage deal's id (a number).
        deal_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `usage <epoch>`: what providers earned in a usage epoch (all, or --provider).
    Usage {
        /// The usage epoch (block height / the params' usage_epoch_blocks).
        epoch: u64,
        /// Only this provider (bech32 address, depin1...).
        #[arg(long)]
        provider: Option<String>,
        /// The most items to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

/// One coin, `1000udepin`.
pub fn parse_coin(s: &str) -> Result<Coin> {
    let coins = depin_app::coins::parse(s).map_err(|e| anyhow!("coin {s:?}: {}", e.message))?;
    let mut coins = depin_app::coins::to_proto(&coins);
    if coins.len() != 1 {
        bail!("{s:?}: give exactly one coin, e.g. 1000udepin");
    }
    Ok(coins.remove(0))
}

/// `key=value` (the value may be empty: `key` alone or `key=`).
pub fn parse_attribute(s: &str) -> Result<pb::Attribute> {
    let (key, value) = s.split_once('=').unwrap_or((s, ""));
    if key.is_empty() {
        bail!("attribute {s:?}: write key=value");
    }
    Ok(pb::Attribute {
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn attributes(list: &[String]) -> Result<Vec<pb::Attribute>> {
    list.iter().map(|a| parse_attribute(a)).collect()
}

/// A state by its short name (`insufficient-funds`) or its proto name.
fn parse_state<E>(s: &str, prefix: &str, from_name: fn(&str) -> Option<E>) -> Result<E> {
    let upper = s.trim().to_ascii_uppercase().replace('-', "_");
    let full = if upper.starts_with(prefix) {
        upper
    } else {
        format!("{prefix}{upper}")
    };
    match from_name(&full) {
        Some(e) if !full.ends_with("_UNSPECIFIED") => Ok(e),
        _ => bail!("unknown state {s:?}"),
    }
}

fn state_filter<E: Into<i32>>(
    s: Option<String>,
    prefix: &str,
    from_name: fn(&str) -> Option<E>,
) -> Result<i32> {
    Ok(match s {
        Some(s) => parse_state(&s, prefix, from_name)?.into(),
        None => 0,
    })
}

fn any<M: Message + Name>(msg: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn tree_of(path: &std::path::Path, chunk_size: u32) -> Result<MerkleTree> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    MerkleTree::from_reader(BufReader::new(file), chunk_size)
        .map_err(|e| anyhow!("{}: {e}", path.display()))
}

const Q: &str = "/depin.market.v1.Query/";

/// The proofs answering `deal_id`'s current challenges from `file`, or None when the period
/// is already proven.
fn storage_proof(
    flags: &QueryFlags,
    provider: &str,
    deal_id: u64,
    file: &std::path::Path,
) -> Result<Option<pb::MsgSubmitStorageProof>> {
    let deal: pb::QueryDealResponse =
        ask(flags, &format!("{Q}Deal"), pb::QueryDealRequest { deal_id })?;
    let deal = deal
        .deal
        .ok_or_else(|| anyhow!("deal {deal_id} not found"))?;
    if deal.provider != provider {
        bail!("deal {deal_id} belongs to provider {}", deal.provider);
    }
    if deal.proven {
        return Ok(None);
    }
    let tree = tree_of(file, deal.chunk_size)?;
    if tree.root().as_slice() != deal.data_root.as_slice() || tree.size_bytes() != deal.size_bytes {
        bail!(
            "{} is not the data of deal {deal_id} (its Merkle root or size differs)",
            file.display()
        );
    }
    let challenges: pb::QueryChallengesResponse = ask(
        flags,
        &format!("{Q}Challenges"),
        pb::QueryChallengesRequest { deal_id },
    )?;
    let reader = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let proofs = storage::answer_from_reader(&tree, BufReader::new(reader), &challenges.indices)
        .map_err(|e| anyhow!("{}: {e}", file.display()))?;
    Ok(Some(storage::proof_msg(
        provider,
        deal_id,
        challenges.period,
        proofs,
    )))
}

pub fn run_tx(ctx: &Context, cmd: MarketTx) -> Result<()> {
    type Build = Box<dyn FnOnce(String) -> Result<Option<Any>>>;
    let (signer, build): (Signer, Build) = match cmd {
        MarketTx::CreateProvider {
            collateral,
            provider,
            signer,
        } => (
            signer,
            Box::new(move |owner| {
                Ok(Some(any(pb::MsgCreateProvider {
                    owner,
                    host_uri: provider.host_uri,
                    attributes: attributes(&provider.attributes)?,
                    device_ids: provider.devices,
                    collateral: Some(parse_coin(&collateral)?),
                })))
            }),
        ),
        MarketTx::UpdateProvider { provider, signer } => (
            signer,
            Box::new(move |owner| {
                Ok(Some(any(pb::MsgUpdateProvider {
                    owner,
                    host_uri: provider.host_uri,
                    attributes: attributes(&provider.attributes)?,
                    device_ids: provider.devices,
                })))
            }),
        ),
        MarketTx::DepositCollateral { amount, signer } => (
            signer,
            Box::new(move |owner| {
                Ok(Some(any(pb::MsgDepositCollateral {
                    owner,
                    amount: Some(parse_coin(&amount)?),
                })))
            }),
        ),
        MarketTx::WithdrawCollateral { amount, signer } => (
            signer,
            Box::new(move |owner| {
                Ok(Some(any(pb::MsgWithdrawCollateral {
                    owner,
                    amount: Some(parse_coin(&amount)?),
                })))
            }),
        ),
        MarketTx::CreateOrder {
            max_price_per_block,
            deposit,
            order,
            signer,
        } => (
            signer,
            Box::new(move |tenant| {
                Ok(Some(any(pb::MsgCreateOrder {
                    tenant,
                    resources: Some(pb::Resources {
                        cpu_millicores: order.cpu_millicores,
                        memory_bytes: order.memory_bytes,
                        gpu_count: order.gpu_count,
                        gpu_model: order.gpu_model,
                        storage_bytes: order.storage_bytes,
                    }),
                    requirements: Some(pb::PlacementRequirements {
                        attributes: attributes(&order.require_attributes)?,
                        signed_by: order.signed_by,
                        min_proofs_passed: order.min_proofs_passed,
                        max_failure_rate_bps: order.max_failure_rate_bps,
                        max_leases_closed_by_provider: order.max_leases_closed_by_provider,
                        strict_provider_closes: order.strict_provider_closes,
                    }),
                    max_price_per_block: Some(parse_coin(&max_price_per_block)?),
                    deposit: Some(parse_coin(&deposit)?),
                })))
            }),
        ),
        MarketTx::CloseOrder { order_id, signer } => (
            signer,
            Box::new(move |tenant| Ok(Some(any(pb::MsgCloseOrder { tenant, order_id })))),
        ),
        MarketTx::DepositEscrow {
            escrow_id,
            amount,
            signer,
        } => (
            signer,
            Box::new(move |depositor| {
                Ok(Some(any(pb::MsgDepositEscrow {
                    depositor,
                    escrow_id,
                    amount: Some(parse_coin(&amount)?),
                })))
            }),
        ),
        MarketTx::CreateBid {
            order_id,
            price_per_block,
            signer,
        } => (
            signer,
            Box::new(move |provider| {
                Ok(Some(any(pb::MsgCreateBid {
                    provider,
                    order_id,
                    price_per_block: Some(parse_coin(&price_per_block)?),
                })))
            }),
        ),
        MarketTx::CloseBid { order_id, signer } => (
            signer,
            Box::new(move |provider| Ok(Some(any(pb::MsgCloseBid { provider, order_id })))),
        ),
        MarketTx::AcceptBid {
            order_id,
            provider,
            signer,
        } => (
            signer,
            Box::new(move |tenant| {
                Ok(Some(any(pb::MsgAcceptBid {
                    tenant,
                    order_id,
                    provider,
                })))
            }),
        ),
        MarketTx::CloseLease { order_id, signer } => (
            signer,
            Box::new(move |sender| Ok(Some(any(pb::MsgCloseLease { sender, order_id })))),
        ),
        MarketTx::WithdrawLease { order_id, signer } => (
            signer,
            Box::new(move |provider| Ok(Some(any(pb::MsgWithdrawLease { provider, order_id })))),
        ),
        MarketTx::Settle { escrow_id, signer } => (
            signer,
            Box::new(move |sender| Ok(Some(any(pb::MsgSettle { sender, escrow_id })))),
        ),
        MarketTx::ProposeDeal {
            provider,
            file,
            chunk_size,
            duration_periods,
            price_per_period,
            provider_collateral,
            signer,
        } => (
            signer,
            Box::new(move |client| {
                let tree = tree_of(&file, chunk_size)?;
                Ok(Some(any(storage::propose_deal_msg(
                    client,
                    provider,
                    &tree,
                    duration_periods,
                    parse_coin(&price_per_period)?,
                    parse_coin(&provider_collateral)?,
                ))))
            }),
        ),
        MarketTx::CancelDeal { deal_id, signer } => (
            signer,
            Box::new(move |client| Ok(Some(any(pb::MsgCancelDeal { client, deal_id })))),
        ),
        MarketTx::AcceptDeal { deal_id, signer } => (
            signer,
            Box::new(move |provider| Ok(Some(any(pb::MsgAcceptDeal { provider, deal_id })))),
        ),
        MarketTx::SubmitProof {
            deal_id,
            file,
            signer,
        } => {
            let flags = QueryFlags {
                node: signer.flags.node.clone(),
                height: 0,
            };
            (
                signer,
                Box::new(move |provider| {
                    Ok(storage_proof(&flags, &provider, deal_id, &file)?.map(any))
                }),
            )
        }
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    match build(key.address.clone())? {
        Some(msg) => broadcast(ctx, &key, vec![msg], &signer.flags),
        None => {
            ctx.print(&json!({ "proven": true, "message": "the current period is already proven; nothing sent" }));
            Ok(())
        }
    }
}

/// Asks `method` and prints the answer as the REST gateway would (proto JSON).
fn ask_json<Req: Message>(flags: &QueryFlags, method: &str, req: Req) -> Result<Value> {
    let client = super::client::NodeClient::new(&flags.node)?;
    let bytes = client.query(&format!("{Q}{method}"), req.encode_to_vec(), flags.height)?;
    depin_app::rest::message_json(&format!("depin.market.v1.Query{method}Response"), &bytes)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: MarketQuery) -> Result<Value> {
    match cmd {
        MarketQuery::Params { flags } => ask_json(&flags, "Params", pb::QueryParamsRequest {}),
        MarketQuery::Provider { owner, flags } => {
            ask_json(&flags, "Provider", pb::QueryProviderRequest { owner })
        }
        MarketQuery::Providers {
            attribute,
            min_proofs_passed,
            max_failure_rate_bps,
            limit,
            flags,
        } => {
            let a = attribute
                .map(|a| parse_attribute(&a))
                .transpose()?
                .unwrap_or_default();
            ask_json(
                &flags,
                "Providers",
                pb::QueryProvidersRequest {
                    attribute_key: a.key,
                    attribute_value: a.value,
                    min_proofs_passed,
                    max_failure_rate_bps,
                    pagination: page(limit),
                },
            )
        }
        MarketQuery::Auditors { limit, flags } => ask_json(
            &flags,
            "Auditors",
            pb::QueryAuditorsRequest {
                pagination: page(limit),
            },
        ),
        MarketQuery::AuditedAttributes { provider, flags } => ask_json(
            &flags,
            "AuditedAttributes",
            pb::QueryAuditedAttributesRequest { provider },
        ),
        MarketQuery::Order { order_id, flags } => {
            ask_json(&flags, "Order", pb::QueryOrderRequest { order_id })
        }
        MarketQuery::Orders {
            tenant,
            state,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Orders",
            pb::QueryOrdersRequest {
                tenant: tenant.unwrap_or_default(),
                state: state_filter(state, "ORDER_STATE_", pb::OrderState::from_str_name)?,
                pagination: page(limit),
            },
        ),
        MarketQuery::Bids {
            order_id,
            provider,
            state,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Bids",
            pb::QueryBidsRequest {
                order_id,
                provider: provider.unwrap_or_default(),
                state: state_filter(state, "BID_STATE_", pb::BidState::from_str_name)?,
                pagination: page(limit),
            },
        ),
        MarketQuery::Lease { order_id, flags } => {
            ask_json(&flags, "Lease", pb::QueryLeaseRequest { order_id })
        }
        MarketQuery::Leases {
            tenant,
            provider,
            state,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Leases",
            pb::QueryLeasesRequest {
                tenant: tenant.unwrap_or_default(),
                provider: provider.unwrap_or_default(),
                state: state_filter(state, "LEASE_STATE_", pb::LeaseState::from_str_name)?,
                pagination: page(limit),
            },
        ),
        MarketQuery::Escrow { escrow_id, flags } => ask_json(
            &flags,
            "EscrowAccount",
            pb::QueryEscrowAccountRequest { id: escrow_id },
        ),
        MarketQuery::Deal { deal_id, flags } => {
            ask_json(&flags, "Deal", pb::QueryDealRequest { deal_id })
        }
        MarketQuery::Deals {
            client,
            provider,
            state,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Deals",
            pb::QueryDealsRequest {
                client: client.unwrap_or_default(),
                provider: provider.unwrap_or_default(),
                state: state_filter(state, "DEAL_STATE_", pb::DealState::from_str_name)?,
                pagination: page(limit),
            },
        ),
        MarketQuery::Challenges { deal_id, flags } => {
            ask_json(&flags, "Challenges", pb::QueryChallengesRequest { deal_id })
        }
        MarketQuery::Usage {
            epoch,
            provider,
            limit,
            flags,
        } => ask_json(
            &flags,
            "Usage",
            pb::QueryUsageRequest {
                epoch,
                provider: provider.unwrap_or_default(),
                pagination: page(limit),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::{Cli, Command};
    use clap::Parser;

    fn tx(args: &[&str]) -> MarketTx {
        let cli = Cli::try_parse_from([&["depind", "tx", "market"], args].concat())
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let Command::Tx(crate::cmd::tx::TxCmd::Market(t)) = cli.command else {
            panic!("not tx market");
        };
        t
    }

    fn query(args: &[&str]) -> MarketQuery {
        let cli = Cli::try_parse_from([&["depind", "query", "market"], args].concat())
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let Command::Query(crate::cmd::query::QueryCmd::Market(q)) = cli.command else {
            panic!("not query market");
        };
        q
    }

    #[test]
    fn coins_attributes_and_states_parse() {
        let c = parse_coin("1000udepin").unwrap();
        assert_eq!((c.denom.as_str(), c.amount.as_str()), ("udepin", "1000"));
        assert!(parse_coin("1udepin,2uatom").is_err());
        assert!(parse_coin("").is_err());
        let a = parse_attribute("region=eu-west").unwrap();
        assert_eq!((a.key.as_str(), a.value.as_str()), ("region", "eu-west"));
        assert_eq!(parse_attribute("gpu").unwrap().value, "");
        assert!(parse_attribute("=x").is_err());
        assert_eq!(
            parse_state(
                "insufficient-funds",
                "LEASE_STATE_",
                pb::LeaseState::from_str_name
            )
            .unwrap(),
            pb::LeaseState::InsufficientFunds
        );
        assert_eq!(
            parse_state(
                "DEAL_STATE_ACTIVE",
                "DEAL_STATE_",
                pb::DealState::from_str_name
            )
            .unwrap(),
            pb::DealState::Active
        );
        assert!(parse_state("unspecified", "BID_STATE_", pb::BidState::from_str_name).is_err());
        assert!(parse_state("sleeping", "BID_STATE_", pb::BidState::from_str_name).is_err());
    }

    #[test]
    fn tx_commands_parse() {
        let MarketTx::CreateProvider {
            collateral,
            provider,
            signer,
        } = tx(&[
            "create-provider",
            "--collateral",
            "100000000udepin",
            "--host-uri",
            "https://p.example",
            "--attribute",
            "region=eu",
            "--attribute",
            "gpu=a100",
            "--device",
            "depindev1a",
            "--from",
            "alice",
        ])
        else {
            panic!("not create-provider");
        };
        assert_eq!(collateral, "100000000udepin");
        assert_eq!(provider.attributes, ["region=eu", "gpu=a100"]);
        assert_eq!(provider.devices, ["depindev1a"]);
        assert_eq!(signer.from, "alice");
        let MarketTx::CreateOrder {
            order,
            max_price_per_block,
            ..
        } = tx(&[
            "create-order",
            "--max-price-per-block",
            "10udepin",
            "--deposit",
            "1000udepin",
            "--cpu-millicores",
            "2000",
            "--require-attribute",
            "region=eu",
            "--strict-provider-closes",
            "--from",
            "bob",
        ])
        else {
            panic!("not create-order");
        };
        assert_eq!(max_price_per_block, "10udepin");
        assert_eq!(order.cpu_millicores, 2000);
        assert!(order.strict_provider_closes);
        let MarketTx::AcceptBid {
            order_id, provider, ..
        } = tx(&["accept-bid", "7", "depin1p", "--from", "bob", "--wait"])
        else {
            panic!("not accept-bid");
        };
        assert_eq!((order_id, provider.as_str()), (7, "depin1p"));
        let MarketTx::ProposeDeal {
            chunk_size, file, ..
        } = tx(&[
            "propose-deal",
            "--provider",
            "depin1p",
            "--file",
            "/tmp/data.bin",
            "--chunk-size",
            "1024",
            "--duration-periods",
            "10",
            "--price-per-period",
            "5udepin",
            "--provider-collateral",
            "100udepin",
            "--from",
            "carol",
        ])
        else {
            panic!("not propose-deal");
        };
        assert_eq!((chunk_size, file.to_str()), (1024, Some("/tmp/data.bin")));
        let MarketTx::SubmitProof { deal_id, .. } = tx(&[
            "submit-proof",
            "3",
            "--file",
            "/tmp/data.bin",
            "--from",
            "p",
        ]) else {
            panic!("not submit-proof");
        };
        assert_eq!(deal_id, 3);
        for args in [
            &["update-provider", "--device", "d", "--from", "p"][..],
            &["deposit-collateral", "5udepin", "--from", "p"],
            &["withdraw-collateral", "5udepin", "--from", "p"],
            &["close-order", "1", "--from", "t"],
            &["deposit-escrow", "order/1", "5udepin", "--from", "t"],
            &[
                "create-bid",
                "1",
                "--price-per-block",
                "3udepin",
                "--from",
                "p",
            ],
            &["close-bid", "1", "--from", "p"],
            &["close-lease", "1", "--from", "t"],
            &["withdraw-lease", "1", "--from", "p"],
            &["settle", "deal/2", "--from", "k"],
            &["cancel-deal", "2", "--from", "c"],
            &["accept-deal", "2", "--from", "p"],
        ] {
            tx(args);
        }
        // Required flags and arguments are required.
        for args in [
            &["create-bid", "1", "--from", "p"][..],
            &["create-provider", "--from", "p"],
            &["submit-proof", "1", "--from", "p"],
            &["close-lease", "--from", "p"],
            &["accept-deal", "2"],
        ] {
            assert!(
                Cli::try_parse_from([&["depind", "tx", "market"], args].concat()).is_err(),
                "{args:?} parsed"
            );
        }
    }

    #[test]
    fn query_commands_parse() {
        let MarketQuery::Leases {
            provider, state, ..
        } = query(&["leases", "--provider", "depin1p", "--state", "active"])
        else {
            panic!("not leases");
        };
        assert_eq!(
            (provider.as_deref(), state.as_deref()),
            (Some("depin1p"), Some("active"))
        );
        let MarketQuery::Bids {
            order_id, limit, ..
        } = query(&["bids", "--order-id", "4", "--limit", "5"])
        else {
            panic!("not bids");
        };
        assert_eq!((order_id, limit), (4, 5));
        let MarketQuery::Usage {
            epoch, provider, ..
        } = query(&["usage", "3", "--provider", "depin1p", "--height", "10"])
        else {
            panic!("not usage");
        };
        assert_eq!((epoch, provider.as_deref()), (3, Some("depin1p")));
        for args in [
            &["params"][..],
            &["provider", "depin1p"],
            &[
                "providers",
                "--attribute",
                "region=eu",
                "--min-proofs-passed",
                "1",
            ],
            &["auditors"],
            &["audited-attributes", "depin1p"],
            &["order", "1"],
            &["orders", "--tenant", "t", "--state", "open"],
            &["lease", "1"],
            &["escrow", "order/1"],
            &["deal", "1"],
            &["deals", "--client", "c", "--state", "terminated"],
            &["challenges", "1", "--node", "tcp://127.0.0.1:1"],
        ] {
            query(args);
        }
        assert!(Cli::try_parse_from(["depind", "q", "market", "deal"]).is_err());
    }
}
