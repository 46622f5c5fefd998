//! `depind tx rewards ...` and `depind query rewards ...`: the depin.rewards.v1 messages
//! (claim, burn-for-credits) and queries (params, epoch, schedule, emissions, totals, pending,
//! device, provider, credits, pools). Answers are printed as the REST gateway writes them.

use anyhow::{anyhow, Result};
use clap::Subcommand;
use cosmrs::Any;
use depin_proto::depin::rewards::v1 as pb;
use prost::{Message, Name};
use serde_json::Value;

use super::device::Signer;
use super::market::parse_coin;
use super::query::{page, QueryFlags};
use super::tx::{broadcast, load_key};
use super::Context;

const Q: &str = "/depin.rewards.v1.Query/";

#[derive(Subcommand)]
pub enum RewardsTx {
    /// Claim everything the signer's devices and provider earned.
    Claim {
        #[command(flatten)]
        signer: Signer,
    },
    /// `burn-for-credits <amount> [--recipient <address>]`: burn tokens for data credits.
    BurnForCredits {
        /// One coin to burn, with denom, e.g. 1000000udepin.
        amount: String,
        /// Who gets the credits (default: the signer).
        #[arg(long, default_value = "")]
        recipient: String,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum RewardsQuery {
    /// The module's parameters: emission and decay, epoch length, the split between
    /// validators, devices, providers and the community, contribution weights.
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The running rewards epoch and what its end mints.
    Epoch {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The schedule under current params: `schedule [--from-epoch N] [--count K]`.
    Schedule {
        /// The first epoch to show.
        #[arg(long, default_value_t = 0)]
        from_epoch: u64,
        /// How many epochs to show (at most 1000).
        #[arg(long, default_value_t = 10)]
        count: u32,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// What past epochs emitted.
    Emissions {
        /// The most epochs to list (0: the node's default page, 100).
        #[arg(long, default_value_t = 0)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// Totals minted, scheduled, capped, paid, claimed, burned, credits.
    Totals {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `pending <address>`: what an address may claim.
    Pending {
        /// The bech32 address (depin1...) of a device owner or provider.
        address: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `device <device-id>`: what a device earned.
    Device {
        /// The device's id (depindev1...).
        device_id: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `provider <address>`: what a provider earned.
    Provider {
        /// The provider's bech32 address (depin1...).
        provider: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `credits <address>`: data credits held.
    Credits {
        /// The holder's bech32 address (depin1...).
        address: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The undistributed device and provider buckets.
    Pools {
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

pub fn run_tx(ctx: &Context, cmd: RewardsTx) -> Result<()> {
    let (signer, build): (Signer, Box<dyn FnOnce(String) -> Result<Any>>) = match cmd {
        RewardsTx::Claim { signer } => (
            signer,
            Box::new(|claimant| Ok(any(pb::MsgClaim { claimant }))),
        ),
        RewardsTx::BurnForCredits {
            amount,
            recipient,
            signer,
        } => (
            signer,
            Box::new(move |sender| {
                Ok(any(pb::MsgBurnForCredits {
                    sender,
                    amount: Some(parse_coin(&amount)?),
                    recipient,
                }))
            }),
        ),
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    let msg = build(key.address.clone())?;
    broadcast(ctx, &key, vec![msg], &signer.flags)
}

fn ask_json<Req: Message>(flags: &QueryFlags, method: &str, req: Req) -> Result<Value> {
    let client = super::client::NodeClient::new(&flags.node)?;
    let bytes = client.query(&format!("{Q}{method}"), req.encode_to_vec(), flags.height)?;
    depin_app::rest::message_json(&format!("depin.rewards.v1.Query{method}Response"), &bytes)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: RewardsQuery) -> Result<Value> {
    match cmd {
        RewardsQuery::Params { flags } => ask_json(&flags, "Params", pb::QueryParamsRequest {}),
        RewardsQuery::Epoch { flags } => ask_json(&flags, "Epoch", pb::QueryEpochRequest {}),
        RewardsQuery::Schedule {
            from_epoch,
            count,
            flags,
        } => ask_json(
            &flags,
            "Schedule",
            pb::QueryScheduleRequest { from_epoch, count },
        ),
        RewardsQuery::Emissions { limit, flags } => ask_json(
            &flags,
            "Emissions",
            pb::QueryEmissionsRequest {
                pagination: page(limit),
            },
        ),
        RewardsQuery::Totals { flags } => ask_json(&flags, "Totals", pb::QueryTotalsRequest {}),
        RewardsQuery::Pending { address, flags } => {
            ask_json(&flags, "Pending", pb::QueryPendingRequest { address })
        }
        RewardsQuery::Device { device_id, flags } => ask_json(
            &flags,
            "DeviceRewards",
            pb::QueryDeviceRewardsRequest { device_id },
        ),
        RewardsQuery::Provider { provider, flags } => ask_json(
            &flags,
            "ProviderRewards",
            pb::QueryProviderRewardsRequest { provider },
        ),
        RewardsQuery::Credits { address, flags } => {
            ask_json(&flags, "Credits", pb::QueryCreditsRequest { address })
        }
        RewardsQuery::Pools { flags } => ask_json(&flags, "Pools", pb::QueryPoolsRequest {}),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cmd::Cli;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("depind").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn rewards_commands_parse() {
        parse(&["tx", "rewards", "claim", "--from", "alice"]);
        parse(&[
            "tx",
            "rewards",
            "burn-for-credits",
            "100udepin",
            "--recipient",
            "depin1xyz",
            "--from",
            "alice",
        ]);
        for q in [
            vec!["query", "rewards", "params"],
            vec!["query", "rewards", "epoch"],
            vec![
                "query",
                "rewards",
                "schedule",
                "--from-epoch",
                "8760",
                "--count",
                "3",
            ],
            vec!["query", "rewards", "emissions", "--limit", "5"],
            vec!["query", "rewards", "totals"],
            vec!["query", "rewards", "pending", "depin1xyz"],
            vec!["query", "rewards", "device", "depindev1xyz"],
            vec!["query", "rewards", "provider", "depin1xyz"],
            vec!["query", "rewards", "credits", "depin1xyz"],
            vec!["query", "rewards", "pools", "--height", "7"],
        ] {
            parse(&q);
        }
    }
}
