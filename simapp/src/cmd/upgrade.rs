//! `depind tx upgrade ...` and `depind query upgrade ...`: software upgrades. Plans are the
//! gov account's to schedule, so the tx commands submit a governance proposal carrying the
//! cosmos.upgrade.v1beta1 message (as the Cosmos SDK's CLI does); the queries are
//! cosmos.upgrade.v1beta1.Query's.

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use cosmrs::Any;
use depin_upgrade::msgs::{MSG_CANCEL_UPGRADE, MSG_SOFTWARE_UPGRADE};
use prost::Message;
use serde_json::Value;

use super::client::NodeClient;
use super::device::Signer;
use super::gov::{gov_address, proposal_msg, submit_and_print_id, ProposalArgs};
use super::query::QueryFlags;
use super::tx::load_key;
use super::Context;

/// The longest plan name the upgrade module accepts, in bytes.
const MAX_NAME_LEN: usize = 128;

#[derive(Subcommand)]
pub enum UpgradeTx {
    /// `software-upgrade <name> --upgrade-height H [--upgrade-info S] --title T --summary S
    /// --deposit COINS [--expedited]`: propose a plan; if the proposal passes, every node stops
    /// at the height unless its binary knows the upgrade `name`. A new plan replaces a
    /// scheduled one. Prints the proposal's id.
    ///
    /// Pick a height after the voting period ends (`depind query gov params`): a plan whose
    /// height has passed when the proposal executes fails the proposal.
    #[command(
        after_help = "Example:\n  depind tx upgrade software-upgrade v2 --upgrade-height 120000 \
        --upgrade-info '{\"binaries\":{\"linux/amd64\":\"https://...\"}}' \\\n    \
        --title 'Upgrade to v2' --summary 'Adds ...' --deposit 10000000udepin --from alice"
    )]
    SoftwareUpgrade {
        /// The upgrade's name: what the new binary registers its migration under.
        name: String,
        /// The block height the chain stops at to upgrade.
        #[arg(long)]
        upgrade_height: i64,
        /// Free text for node operators, e.g. download links as cosmovisor reads them.
        #[arg(long, default_value = "")]
        upgrade_info: String,
        #[command(flatten)]
        proposal: ProposalArgs,
        #[command(flatten)]
        signer: Signer,
    },
    /// `cancel-software-upgrade --title T --summary S --deposit COINS`: propose to delete the
    /// scheduled plan (no plan is not an error). Prints the proposal's id.
    #[command(
        after_help = "Example:\n  depind tx upgrade cancel-software-upgrade --title 'Cancel v2' \
        --summary 'v2 has a bug' --deposit 10000000udepin --from alice"
    )]
    CancelSoftwareUpgrade {
        #[command(flatten)]
        proposal: ProposalArgs,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum UpgradeQuery {
    /// The scheduled upgrade plan (null when there is none).
    #[command(after_help = "Example:\n  depind query upgrade plan")]
    Plan {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `applied <name>`: the height the upgrade `name` was applied at (0: never).
    #[command(after_help = "Example:\n  depind query upgrade applied v2")]
    Applied {
        /// The upgrade plan's name, e.g. v2.
        name: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `module-versions [name]`: the consensus version of every module's state, or of one.
    #[command(after_help = "Example:\n  depind query upgrade module-versions gov")]
    ModuleVersions {
        /// Only this module, e.g. gov (default: every module).
        name: Option<String>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The account allowed to schedule and cancel upgrades (the gov account).
    #[command(after_help = "Example:\n  depind query upgrade authority")]
    Authority {
        #[command(flatten)]
        flags: QueryFlags,
    },
}

const SERVICE: &str = "cosmos.upgrade.v1beta1.Query";

/// The ABCI query path of a `cosmos.upgrade.v1beta1.Query` method.
pub fn path(method: &str) -> String {
    format!("/{SERVICE}/{method}")
}

/// The MsgSoftwareUpgrade of the gov account scheduling `name` at `height`.
pub fn software_upgrade_msg(name: &str, height: i64, info: &str) -> Result<Any> {
    if name.trim().is_empty() {
        bail!("the upgrade needs a name (what the new binary registers its migration under)");
    }
    if name.len() > MAX_NAME_LEN {
        bail!(
            "the upgrade name is {} bytes; the limit is {MAX_NAME_LEN}",
            name.len()
        );
    }
    if height <= 0 {
        bail!("--upgrade-height {height}: give the positive block height to upgrade at");
    }
    Ok(Any {
        type_url: MSG_SOFTWARE_UPGRADE.into(),
        value: pb::MsgSoftwareUpgrade {
            authority: gov_address(),
            plan: Some(pb::Plan {
                name: name.to_string(),
                height,
                info: info.to_string(),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
    })
}

/// The MsgCancelUpgrade of the gov account.
pub fn cancel_upgrade_msg() -> Any {
    Any {
        type_url: MSG_CANCEL_UPGRADE.into(),
        value: pb::MsgCancelUpgrade {
            authority: gov_address(),
        }
        .encode_to_vec(),
    }
}

/// The proposal `proposer` submits for `cmd`.
pub fn proposal_of(proposer: &str, cmd: &UpgradeTx) -> Result<Any> {
    match cmd {
        UpgradeTx::SoftwareUpgrade {
            name,
            upgrade_height,
            upgrade_info,
            proposal,
            ..
        } => proposal_msg(
            proposer,
            vec![software_upgrade_msg(name, *upgrade_height, upgrade_info)?],
            proposal,
        ),
        UpgradeTx::CancelSoftwareUpgrade { proposal, .. } => {
            proposal_msg(proposer, vec![cancel_upgrade_msg()], proposal)
        }
    }
}

pub fn run_tx(ctx: &Context, cmd: UpgradeTx) -> Result<()> {
    let signer = match &cmd {
        UpgradeTx::SoftwareUpgrade { signer, .. }
        | UpgradeTx::CancelSoftwareUpgrade { signer, .. } => signer.clone(),
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    let msg = proposal_of(&key.address, &cmd)?;
    submit_and_print_id(ctx, &key, msg, &signer.flags)
}

impl UpgradeQuery {
    fn flags(&self) -> &QueryFlags {
        match self {
            UpgradeQuery::Plan { flags }
            | UpgradeQuery::Applied { flags, .. }
            | UpgradeQuery::ModuleVersions { flags, .. }
            | UpgradeQuery::Authority { flags } => flags,
        }
    }

    /// The method this command asks and its encoded request.
    pub fn request(&self) -> Result<(&'static str, Vec<u8>)> {
        Ok(match self {
            UpgradeQuery::Plan { .. } => (
                "CurrentPlan",
                pb::QueryCurrentPlanRequest {}.encode_to_vec(),
            ),
            UpgradeQuery::Applied { name, .. } => {
                if name.trim().is_empty() {
                    bail!("give the name of the upgrade");
                }
                (
                    "AppliedPlan",
                    pb::QueryAppliedPlanRequest { name: name.clone() }.encode_to_vec(),
                )
            }
            UpgradeQuery::ModuleVersions { name, .. } => (
                "ModuleVersions",
                pb::QueryModuleVersionsRequest {
                    module_name: name.clone().unwrap_or_default(),
                }
                .encode_to_vec(),
            ),
            UpgradeQuery::Authority { .. } => {
                ("Authority", pb::QueryAuthorityRequest {}.encode_to_vec())
            }
        })
    }
}

/// The node's answer to `method` as the REST gateway writes it.
pub fn answer_json(method: &str, answer: &[u8]) -> Result<Value> {
    depin_app::rest::message_json(&format!("{SERVICE}{method}Response"), answer)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: UpgradeQuery) -> Result<Value> {
    let (method, request) = cmd.request()?;
    let flags = cmd.flags();
    let client = NodeClient::new(&flags.node)?;
    let answer = client.query(&path(method), request, flags.height)?;
    answer_json(method, &answer)
}
