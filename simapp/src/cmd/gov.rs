//! `depind tx gov ...` and `depind query gov ...`: the cosmos.gov.v1 messages (submit a
//! proposal from a JSON file, deposit, vote, weighted vote, cancel) and queries, under the
//! Cosmos SDK CLI's command names. A proposal file is the SDK's: its messages are written as
//! protobuf JSON with their `@type`, and converted with the chain's descriptors exactly as the
//! REST gateway reads request bodies. Answers are printed as the REST gateway writes them.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use cosmwasm_std::Decimal256;
use depin_gov::keeper::{MAX_METADATA_LEN, MAX_SUMMARY_LEN, MAX_TITLE_LEN};
use depin_gov::msgs::{
    MSG_CANCEL_PROPOSAL, MSG_DEPOSIT, MSG_SUBMIT_PROPOSAL, MSG_VOTE, MSG_VOTE_WEIGHTED,
};
use prost::Message;
use serde::Deserialize;
use serde_json::{json, Value};

use depin_app::address::{module_address, AddressCodec};

use super::client::NodeClient;
use super::device::Signer;
use super::query::QueryFlags;
use super::tx::{broadcast, load_key, TxFlags};
use super::{Context, Output};

const SUBMIT_EXAMPLE: &str = "\
Example:
  depind tx gov submit-proposal proposal.json --from alice --gas auto

proposal.json (the Cosmos SDK's format; each message is protobuf JSON with its @type, signed by
the gov account, which `depind query auth module-accounts` lists as \"gov\"):
  {
    \"messages\": [{
      \"@type\": \"/cosmos.distribution.v1beta1.MsgCommunityPoolSpend\",
      \"authority\": \"<gov account address>\",
      \"recipient\": \"depin1...\",
      \"amount\": [{\"denom\": \"udepin\", \"amount\": \"1000000\"}]
    }],
    \"metadata\": \"ipfs://...\",
    \"deposit\": \"10000000udepin\",
    \"title\": \"Fund the explorer\",
    \"summary\": \"Pays the explorer team 1 DEPIN from the community pool.\",
    \"expedited\": false
  }";

#[derive(Subcommand)]
pub enum GovTx {
    /// `submit-proposal <proposal.json>`: submit a proposal (its messages, title, summary,
    /// metadata, initial deposit) and print its id.
    ///
    /// Decimal fields (`(cosmos_proto.scalar) = "cosmos.Dec"`, e.g. a community tax) are
    /// written as decimal text ("0.05"); gov's own decimals are text anyway. Unless
    /// --broadcast-mode async, the command waits for the block (as --wait does) to read the new
    /// proposal's id from the result: printed as `proposal_id: N` after the transaction in
    /// text output, and in the transaction's `submit_proposal` event (and on stderr) with
    /// --output json.
    #[command(after_help = SUBMIT_EXAMPLE)]
    SubmitProposal {
        /// The proposal file (JSON, see below).
        #[arg(value_name = "PROPOSAL_FILE")]
        file: PathBuf,
        #[command(flatten)]
        signer: Signer,
    },
    /// `deposit <proposal-id> <coins>`: add to a proposal's deposit (in its deposit or voting
    /// period); reaching the minimum deposit starts its voting period.
    #[command(after_help = "Example:\n  depind tx gov deposit 1 10000000udepin --from alice")]
    Deposit {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        /// Coins, e.g. 10000000udepin.
        amount: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `vote <proposal-id> <yes|no|abstain|no_with_veto> [--metadata S]`: vote on a proposal in
    /// its voting period; a new vote replaces the signer's earlier one.
    #[command(after_help = "Example:\n  depind tx gov vote 1 yes --from validator")]
    Vote {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        /// yes, no, abstain or no_with_veto (VOTE_OPTION_YES etc. are accepted too).
        #[arg(value_parser = vote_option)]
        option: pb::VoteOption,
        /// Free text stored with the vote (at most 255 bytes).
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `weighted-vote <proposal-id> <option=weight,...> [--metadata S]`: split the signer's
    /// voting power between options; the weights are decimals in (0, 1] that add up to 1.
    #[command(
        after_help = "Example:\n  depind tx gov weighted-vote 1 yes=0.6,no=0.3,abstain=0.1 --from alice"
    )]
    WeightedVote {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        /// e.g. "yes=0.6,no=0.4" (options: yes, no, abstain, no_with_veto).
        #[arg(value_name = "OPTIONS")]
        options: String,
        /// Free text stored with the vote (at most 255 bytes).
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `cancel-proposal <proposal-id>`: withdraw a proposal before its voting period ends (the
    /// proposer only); `proposal_cancel_ratio` of every deposit is not refunded.
    #[command(after_help = "Example:\n  depind tx gov cancel-proposal 1 --from alice")]
    CancelProposal {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        #[command(flatten)]
        signer: Signer,
    },
}

/// A proposal's status as `--status` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StatusArg {
    #[value(alias = "deposit-period")]
    DepositPeriod,
    #[value(alias = "voting-period")]
    VotingPeriod,
    Passed,
    Rejected,
    Failed,
}

impl StatusArg {
    pub fn proto(self) -> pb::ProposalStatus {
        match self {
            StatusArg::DepositPeriod => pb::ProposalStatus::DepositPeriod,
            StatusArg::VotingPeriod => pb::ProposalStatus::VotingPeriod,
            StatusArg::Passed => pb::ProposalStatus::Passed,
            StatusArg::Rejected => pb::ProposalStatus::Rejected,
            StatusArg::Failed => pb::ProposalStatus::Failed,
        }
    }
}

/// The params `params` asks for by type (each answer has the full params).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParamsType {
    Voting,
    Deposit,
    Tallying,
}

/// Pagination of the list queries.
#[derive(Args, Clone, Debug)]
pub struct PageFlags {
    /// Items per page.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Start at this key: the previous page's `next_key` (base64).
    #[arg(long, conflicts_with = "offset")]
    pub page_key: Option<String>,
    /// Skip this many items (instead of --page-key).
    #[arg(long)]
    pub offset: Option<u64>,
}

impl PageFlags {
    pub fn request(&self) -> Result<Option<PageRequest>> {
        use base64::Engine;
        let key = match &self.page_key {
            Some(k) => base64::engine::general_purpose::STANDARD
                .decode(k.trim())
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(k.trim()))
                .map_err(|_| {
                    anyhow!("--page-key {k:?} is not base64 (pass a page's next_key as printed)")
                })?,
            None => Vec::new(),
        };
        if self.limit == 0 {
            bail!("--limit must be at least 1");
        }
        Ok(Some(PageRequest {
            key,
            offset: self.offset.unwrap_or(0),
            limit: self.limit,
            count_total: true,
            reverse: false,
        }))
    }
}

#[derive(Subcommand)]
pub enum GovQuery {
    /// `proposals [--status S] [--voter ADDR] [--depositor ADDR]`: proposals by id, filtered
    /// by status, by who voted on them and by who deposited on them (filters combine).
    #[command(
        after_help = "Example:\n  depind query gov proposals --status voting_period --voter depin1... --limit 10"
    )]
    Proposals {
        /// Only proposals in this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only proposals this account voted on (votes are kept during the voting period).
        #[arg(long)]
        voter: Option<String>,
        /// Only proposals this account deposited on (deposits are kept until the decision).
        #[arg(long)]
        depositor: Option<String>,
        #[command(flatten)]
        page: PageFlags,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `proposal <proposal-id>`: one proposal, its messages, status, deposits and times.
    #[command(after_help = "Example:\n  depind query gov proposal 1")]
    Proposal {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `votes <proposal-id>`: the votes on a proposal in its voting period.
    #[command(after_help = "Example:\n  depind query gov votes 1 --limit 50")]
    Votes {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        #[command(flatten)]
        page: PageFlags,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `vote <proposal-id> <voter>`: one account's vote on a proposal.
    #[command(after_help = "Example:\n  depind query gov vote 1 depin1...")]
    Vote {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        /// The voter's bech32 address (depin1...).
        voter: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `deposits <proposal-id>`: the deposits on an open proposal.
    #[command(after_help = "Example:\n  depind query gov deposits 1")]
    Deposits {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        #[command(flatten)]
        page: PageFlags,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `deposit <proposal-id> <depositor>`: one account's deposit on a proposal.
    #[command(after_help = "Example:\n  depind query gov deposit 1 depin1...")]
    Deposit {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        /// The depositor's bech32 address (depin1...).
        depositor: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `tally <proposal-id>`: the tally (zeros in the deposit period; if voting ended now
    /// during the voting period; the final one once decided).
    #[command(after_help = "Example:\n  depind query gov tally 1")]
    Tally {
        /// The proposal's id (a number, as `tx gov submit-proposal` prints it).
        #[arg(value_parser = proposal_id)]
        proposal_id: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `params [voting|deposit|tallying]`: the governance params; with a type, also the
    /// deprecated per-type params the SDK answers with.
    #[command(after_help = "Example:\n  depind query gov params")]
    Params {
        /// Also answer the deprecated params of this type.
        #[arg(value_enum)]
        params_type: Option<ParamsType>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The chain's constitution (set in genesis).
    #[command(after_help = "Example:\n  depind query gov constitution")]
    Constitution {
        #[command(flatten)]
        flags: QueryFlags,
    },
}

const SERVICE: &str = "cosmos.gov.v1.Query";

/// The ABCI query path of a `cosmos.gov.v1.Query` method.
pub fn path(method: &str) -> String {
    format!("/{SERVICE}/{method}")
}

fn any<M: Message>(type_url: &str, msg: M) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

/// The gov module account: the authority every proposal message is signed by.
pub fn gov_address() -> String {
    AddressCodec::new(crate::ADDRESS_PREFIX).encode(&module_address(depin_gov::MODULE_ACCOUNT))
}

/// `address` when it is an account address (`depin1...`).
fn account(address: &str, what: &str) -> Result<String> {
    AddressCodec::new(crate::ADDRESS_PREFIX)
        .decode(address)
        .map_err(|_| {
            anyhow!(
                "{what} {address:?} is not an account address ({}1...)",
                crate::ADDRESS_PREFIX
            )
        })?;
    Ok(address.to_string())
}

/// A proposal id argument: a positive integer.
pub fn proposal_id(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("proposals are numbered from 1".into()),
        Ok(id) => Ok(id),
        Err(_) => Err(format!("{s:?} is not a proposal id (a number such as 1)")),
    }
}

/// A vote option by its CLI name (yes, no, abstain, no_with_veto, any case) or its enum name.
pub fn vote_option(s: &str) -> Result<pb::VoteOption, String> {
    let lower = s.trim().to_ascii_lowercase();
    let name = lower.strip_prefix("vote_option_").unwrap_or(&lower);
    match name {
        "yes" => Ok(pb::VoteOption::Yes),
        "no" => Ok(pb::VoteOption::No),
        "abstain" => Ok(pb::VoteOption::Abstain),
        "no_with_veto" | "nowithveto" | "veto" => Ok(pb::VoteOption::NoWithVeto),
        _ => Err(format!(
            "{s:?} is not a vote option: use yes, no, abstain or no_with_veto"
        )),
    }
}

/// The proposal text fields, as flags (for commands that build their proposal's messages,
/// such as `tx upgrade software-upgrade`).
#[derive(Args, Clone, Debug)]
pub struct ProposalArgs {
    /// The proposal's title (1 to 255 characters).
    #[arg(long)]
    pub title: String,
    /// What the proposal does and why (1 to 10200 characters).
    #[arg(long)]
    pub summary: String,
    /// The initial deposit, e.g. 10000000udepin (the rest can come with `tx gov deposit`).
    #[arg(long)]
    pub deposit: String,
    /// Free text stored with the proposal, often a link (at most 255 bytes).
    #[arg(long, default_value = "")]
    pub metadata: String,
    /// Ask for the shorter expedited voting period (needs the expedited minimum deposit and
    /// threshold).
    #[arg(long)]
    pub expedited: bool,
}

/// A proposal file in the Cosmos SDK's format.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ProposalFile {
    /// Each `{"@type": "/<package>.<Msg>", ...fields}`.
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub metadata: String,
    /// Coins as text, e.g. "10000000udepin".
    #[serde(default)]
    pub deposit: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub expedited: bool,
}

impl ProposalFile {
    pub fn parse(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            anyhow!(
                "{e} (a proposal file has \"messages\", \"metadata\", \"deposit\", \"title\", \
                 \"summary\" and \"expedited\")"
            )
        })
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the proposal file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("the proposal file {}", path.display()))
    }
}

/// The protobuf of a proposal's messages written as JSON with their `@type`. Decimal fields
/// are read from decimal text; every message whose JSON names an `authority` must name the
/// gov account (the only signer a proposal's messages may have).
pub fn proposal_messages(messages: &[Value]) -> Result<Vec<Any>> {
    let gov = gov_address();
    messages
        .iter()
        .enumerate()
        .map(|(index, message)| {
            let Value::Object(fields) = message else {
                bail!(
                    "message {index} is not a JSON object: write {{\"@type\": \"/<package>.<Msg>\", \
                     ...its fields}}"
                );
            };
            let mut fields = fields.clone();
            let type_url = match fields.remove("@type") {
                Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_string(),
                Some(other) => {
                    bail!("message {index}: \"@type\" is {other}, not a type URL such as \"/cosmos.distribution.v1beta1.MsgCommunityPoolSpend\"")
                }
                None => bail!(
                    "message {index} has no \"@type\" (the message's type URL, e.g. \
                     \"/cosmos.distribution.v1beta1.MsgCommunityPoolSpend\")"
                ),
            };
            let type_name = type_url.rsplit('/').next().unwrap_or_default();
            if type_name.is_empty() {
                bail!("message {index}: \"@type\" {type_url:?} has no type name after its last '/'");
            }
            if let Some(authority) = fields.get("authority") {
                if authority.as_str() != Some(gov.as_str()) {
                    bail!(
                        "message {index} ({type_url}): field \"authority\" is {authority}; a \
                         proposal's messages are signed by the gov account, {gov}"
                    );
                }
            }
            let value = depin_app::rest::message_from_json(type_name, Value::Object(fields.clone()))
                .map_err(|e| anyhow!("message {index} ({type_url}): {}", field_error(type_name, &fields, e)))?;
            Ok(Any {
                type_url: format!("/{type_name}"),
                value,
            })
        })
        .collect()
}

/// `error` from reading a whole message, with the field it comes from named (`params.
/// classes[0].name`): the reader does not say where it failed, so the message is narrowed to
/// one field at a time, level by level, as long as the narrowed message still fails.
fn field_error(type_name: &str, fields: &serde_json::Map<String, Value>, error: String) -> String {
    let message = Value::Object(fields.clone());
    let fails = |candidate: Value| depin_app::rest::message_from_json(type_name, candidate).err();
    let mut path: Vec<Step> = Vec::new();
    let mut narrowest = error;
    loop {
        // The fault is in this value itself when even its empty form fails (a map where a list
        // belongs): stop here.
        if !path.is_empty() && fails(only_empty(&message, &path)).is_some() {
            break;
        }
        let mut deeper = None;
        match value_at(&message, &path) {
            Some(Value::Object(map)) => {
                for key in map.keys().filter(|k| k.as_str() != "@type") {
                    let step = Step::Key(key.clone());
                    let mut candidate = path.clone();
                    candidate.push(step);
                    if let Some(e) = fails(only(&message, &candidate)) {
                        deeper = Some((candidate, e));
                        break;
                    }
                }
            }
            Some(Value::Array(items)) => {
                for index in 0..items.len() {
                    let mut candidate = path.clone();
                    candidate.push(Step::Index(index));
                    if let Some(e) = fails(only(&message, &candidate)) {
                        deeper = Some((candidate, e));
                        break;
                    }
                }
            }
            _ => {}
        }
        match deeper {
            Some((p, e)) => {
                path = p;
                narrowest = e;
            }
            None => break,
        }
    }
    if path.is_empty() {
        return narrowest;
    }
    let mut name = String::new();
    for step in &path {
        match step {
            Step::Key(k) if name.is_empty() => name.push_str(k),
            Step::Key(k) => {
                name.push('.');
                name.push_str(k);
            }
            Step::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    format!("field {name}: {narrowest}")
}

/// One step into a JSON value.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn value_at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

/// [`only`] with the value at the end of `path` emptied (`{}` keeping its `@type`, or `[]`).
fn only_empty(value: &Value, path: &[Step]) -> Value {
    let mut reduced = only(value, path);
    let mut slot = &mut reduced;
    for step in path {
        slot = match step {
            // `only` left one item in each list on the way.
            Step::Key(k) => &mut slot[k.as_str()],
            Step::Index(_) => &mut slot[0],
        };
    }
    let emptied = match &*slot {
        Value::Object(map) => Value::Object(
            map.get("@type")
                .map(|t| ("@type".to_string(), t.clone()))
                .into_iter()
                .collect(),
        ),
        Value::Array(_) => Value::Array(Vec::new()),
        other => other.clone(),
    };
    *slot = emptied;
    reduced
}

/// `value` reduced to the one field (or list item) at the end of `path` and the objects and
/// lists leading to it; the `@type` of each object on the way is kept (an `Any` needs it).
fn only(value: &Value, path: &[Step]) -> Value {
    let Some((step, rest)) = path.split_first() else {
        return value.clone();
    };
    match (step, value) {
        (Step::Key(k), Value::Object(map)) => {
            let mut out = serde_json::Map::new();
            if let Some(t) = map.get("@type") {
                out.insert("@type".into(), t.clone());
            }
            if let Some(inner) = map.get(k) {
                out.insert(k.clone(), only(inner, rest));
            }
            Value::Object(out)
        }
        (Step::Index(i), Value::Array(items)) => {
            Value::Array(items.get(*i).map(|v| only(v, rest)).into_iter().collect())
        }
        _ => value.clone(),
    }
}

/// A proposal's title, summary and metadata checked as the chain checks them, and its
/// deposit parsed.
fn checked_proposal(
    title: &str,
    summary: &str,
    metadata: &str,
    deposit: &str,
) -> Result<Vec<cosmrs::proto::cosmos::base::v1beta1::Coin>> {
    if title.trim().is_empty() {
        bail!("the proposal has no title: give it one of 1 to {MAX_TITLE_LEN} characters");
    }
    if title.chars().count() > MAX_TITLE_LEN {
        bail!(
            "the title is {} characters; the limit is {MAX_TITLE_LEN}",
            title.chars().count()
        );
    }
    if summary.trim().is_empty() {
        bail!("the proposal has no summary: say what it does and why (1 to {MAX_SUMMARY_LEN} characters)");
    }
    if summary.chars().count() > MAX_SUMMARY_LEN {
        bail!(
            "the summary is {} characters; the limit is {MAX_SUMMARY_LEN}",
            summary.chars().count()
        );
    }
    if metadata.len() > MAX_METADATA_LEN {
        bail!(
            "the metadata is {} bytes; the limit is {MAX_METADATA_LEN} (link to a longer document)",
            metadata.len()
        );
    }
    let coins = depin_app::coins::parse(deposit)
        .map_err(|e| anyhow!("deposit {deposit:?}: {}", e.message))?;
    Ok(depin_app::coins::to_proto(&coins))
}

/// The MsgSubmitProposal of `proposer` for a proposal file's content.
pub fn submit_proposal_msg(proposer: &str, file: &ProposalFile) -> Result<Any> {
    let initial_deposit =
        checked_proposal(&file.title, &file.summary, &file.metadata, &file.deposit)?;
    Ok(any(
        MSG_SUBMIT_PROPOSAL,
        pb::MsgSubmitProposal {
            messages: proposal_messages(&file.messages)?,
            initial_deposit,
            proposer: account(proposer, "the proposer")?,
            metadata: file.metadata.clone(),
            title: file.title.clone(),
            summary: file.summary.clone(),
            expedited: file.expedited,
        },
    ))
}

/// The MsgSubmitProposal of `proposer` carrying `messages`, with the text and deposit of
/// `args`.
pub fn proposal_msg(proposer: &str, messages: Vec<Any>, args: &ProposalArgs) -> Result<Any> {
    let initial_deposit =
        checked_proposal(&args.title, &args.summary, &args.metadata, &args.deposit)?;
    Ok(any(
        MSG_SUBMIT_PROPOSAL,
        pb::MsgSubmitProposal {
            messages,
            initial_deposit,
            proposer: account(proposer, "the proposer")?,
            metadata: args.metadata.clone(),
            title: args.title.clone(),
            summary: args.summary.clone(),
            expedited: args.expedited,
        },
    ))
}

/// `deposit`: the MsgDeposit of `depositor` adding `amount` ("10000000udepin").
pub fn deposit_msg(depositor: &str, proposal_id: u64, amount: &str) -> Result<Any> {
    let coins =
        depin_app::coins::parse(amount).map_err(|e| anyhow!("{amount:?}: {}", e.message))?;
    if coins.is_empty() {
        bail!(
            "a deposit needs at least one coin, e.g. 10000000{}",
            crate::DENOM
        );
    }
    Ok(any(
        MSG_DEPOSIT,
        pb::MsgDeposit {
            proposal_id,
            depositor: account(depositor, "the depositor")?,
            amount: depin_app::coins::to_proto(&coins),
        },
    ))
}

fn check_vote_metadata(metadata: &str) -> Result<()> {
    if metadata.len() > MAX_METADATA_LEN {
        bail!(
            "--metadata is {} bytes; the limit is {MAX_METADATA_LEN}",
            metadata.len()
        );
    }
    Ok(())
}

/// `vote`: the MsgVote of `voter`.
pub fn vote_msg(
    voter: &str,
    proposal_id: u64,
    option: pb::VoteOption,
    metadata: &str,
) -> Result<Any> {
    if option == pb::VoteOption::Unspecified {
        bail!("vote yes, no, abstain or no_with_veto");
    }
    check_vote_metadata(metadata)?;
    Ok(any(
        MSG_VOTE,
        pb::MsgVote {
            proposal_id,
            voter: account(voter, "the voter")?,
            option: option as i32,
            metadata: metadata.to_string(),
        },
    ))
}

/// "yes=0.6,no=0.4" → weighted options: known options, none twice, weights in (0, 1]
/// adding up to exactly 1.
pub fn weighted_options(text: &str) -> Result<Vec<pb::WeightedVoteOption>> {
    let mut out: Vec<pb::WeightedVoteOption> = Vec::new();
    let mut total = Decimal256::zero();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| anyhow!("{part:?} is not option=weight (write e.g. yes=0.6,no=0.4)"))?;
        let option = vote_option(name).map_err(|e| anyhow!(e))?;
        let weight: Decimal256 = weight.trim().parse().map_err(|_| {
            anyhow!(
                "the weight of {name} {:?} is not a decimal such as 0.25",
                weight.trim()
            )
        })?;
        if weight.is_zero() || weight > Decimal256::one() {
            bail!("the weight of {name} is {weight}: weights are above 0 and at most 1");
        }
        if out.iter().any(|o| o.option == option as i32) {
            bail!(
                "{} appears twice: give each option once",
                option.as_str_name()
            );
        }
        total += weight;
        out.push(pb::WeightedVoteOption {
            option: option as i32,
            weight: weight.to_string(),
        });
    }
    if out.is_empty() {
        bail!("no options: write e.g. yes=0.6,no=0.4");
    }
    if total != Decimal256::one() {
        bail!("the weights add up to {total}; they must add up to exactly 1");
    }
    Ok(out)
}

/// `weighted-vote`: the MsgVoteWeighted of `voter`.
pub fn weighted_vote_msg(
    voter: &str,
    proposal_id: u64,
    options: &str,
    metadata: &str,
) -> Result<Any> {
    check_vote_metadata(metadata)?;
    Ok(any(
        MSG_VOTE_WEIGHTED,
        pb::MsgVoteWeighted {
            proposal_id,
            voter: account(voter, "the voter")?,
            options: weighted_options(options)?,
            metadata: metadata.to_string(),
        },
    ))
}

/// `cancel-proposal`: the MsgCancelProposal of `proposer`.
pub fn cancel_proposal_msg(proposer: &str, proposal_id: u64) -> Result<Any> {
    Ok(any(
        MSG_CANCEL_PROPOSAL,
        pb::MsgCancelProposal {
            proposal_id,
            proposer: account(proposer, "the proposer")?,
        },
    ))
}

/// The id in the MsgSubmitProposalResponse of a committed transaction's result data (its
/// `TxMsgData`), if it has one.
pub fn submitted_proposal_id(data: &[u8]) -> Option<u64> {
    let url = format!(
        "/{}",
        <pb::MsgSubmitProposalResponse as prost::Name>::full_name()
    );
    TxMsgData::decode(data)
        .ok()?
        .msg_responses
        .iter()
        .find(|r| r.type_url == url)
        .and_then(|r| pb::MsgSubmitProposalResponse::decode(r.value.as_slice()).ok())
        .map(|r| r.proposal_id)
}

/// Broadcasts `submit` (a MsgSubmitProposal) signed by `key`, waits for its block (unless
/// async) and prints the new proposal's id.
pub fn submit_and_print_id(
    ctx: &Context,
    key: &crate::testing::TestKey,
    submit: Any,
    flags: &TxFlags,
) -> Result<()> {
    let mut flags = flags.clone();
    if flags.broadcast_mode == "async" {
        broadcast(ctx, key, vec![submit], &flags)?;
        eprintln!("the proposal id is in the transaction's submit_proposal event: depind query tx <txhash>");
        return Ok(());
    }
    // Signed with a known sequence, so that the transaction can be found in the index by it.
    let client = NodeClient::new(&flags.node)?;
    if flags.sequence.is_none() {
        if let Some(account) = client.account(&key.address)? {
            flags.sequence = Some(account.sequence);
        }
    }
    flags.wait = true;
    broadcast(ctx, key, vec![submit], &flags)?;
    let Some(sequence) = flags.sequence else {
        return Ok(());
    };
    let query = format!("tx.acc_seq='{}/{sequence}'", key.address);
    let found = client.tx_search(&query, 1, 1)?;
    let id = found.txs.first().and_then(|tx| {
        submitted_proposal_id(&tx.tx_result.data).or_else(|| {
            tx.tx_result
                .events
                .iter()
                .filter(|e| e.kind == "submit_proposal")
                .flat_map(|e| e.attributes.iter())
                .find(|a| a.key_str().ok() == Some("proposal_id"))
                .and_then(|a| a.value_str().ok()?.parse().ok())
        })
    });
    match (id, ctx.output) {
        (Some(id), Output::Text) => ctx.print(&json!({ "proposal_id": id.to_string() })),
        (Some(id), Output::Json) => eprintln!("proposal_id: {id}"),
        (None, _) => eprintln!(
            "the transaction is committed, but its proposal id was not found through {query:?}: \
             see its submit_proposal event"
        ),
    }
    Ok(())
}

pub fn run_tx(ctx: &Context, cmd: GovTx) -> Result<()> {
    let signer = match &cmd {
        GovTx::SubmitProposal { signer, .. }
        | GovTx::Deposit { signer, .. }
        | GovTx::Vote { signer, .. }
        | GovTx::WeightedVote { signer, .. }
        | GovTx::CancelProposal { signer, .. } => signer.clone(),
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    let address = key.address.as_str();
    let msg = match &cmd {
        GovTx::SubmitProposal { file, .. } => {
            submit_proposal_msg(address, &ProposalFile::read(file)?)?
        }
        GovTx::Deposit {
            proposal_id,
            amount,
            ..
        } => deposit_msg(address, *proposal_id, amount)?,
        GovTx::Vote {
            proposal_id,
            option,
            metadata,
            ..
        } => vote_msg(address, *proposal_id, *option, metadata)?,
        GovTx::WeightedVote {
            proposal_id,
            options,
            metadata,
            ..
        } => weighted_vote_msg(address, *proposal_id, options, metadata)?,
        GovTx::CancelProposal { proposal_id, .. } => cancel_proposal_msg(address, *proposal_id)?,
    };
    match cmd {
        GovTx::SubmitProposal { .. } => submit_and_print_id(ctx, &key, msg, &signer.flags),
        _ => broadcast(ctx, &key, vec![msg], &signer.flags),
    }
}

impl GovQuery {
    fn flags(&self) -> &QueryFlags {
        match self {
            GovQuery::Proposals { flags, .. }
            | GovQuery::Proposal { flags, .. }
            | GovQuery::Votes { flags, .. }
            | GovQuery::Vote { flags, .. }
            | GovQuery::Deposits { flags, .. }
            | GovQuery::Deposit { flags, .. }
            | GovQuery::Tally { flags, .. }
            | GovQuery::Params { flags, .. }
            | GovQuery::Constitution { flags } => flags,
        }
    }

    /// The method this command asks and its encoded request (addresses and pagination checked
    /// first, so a typo is reported here rather than by the node).
    pub fn request(&self) -> Result<(&'static str, Vec<u8>)> {
        Ok(match self {
            GovQuery::Proposals {
                status,
                voter,
                depositor,
                page,
                ..
            } => (
                "Proposals",
                pb::QueryProposalsRequest {
                    proposal_status: status.map_or(0, |s| s.proto() as i32),
                    voter: voter
                        .as_deref()
                        .map(|v| account(v, "--voter"))
                        .transpose()?
                        .unwrap_or_default(),
                    depositor: depositor
                        .as_deref()
                        .map(|d| account(d, "--depositor"))
                        .transpose()?
                        .unwrap_or_default(),
                    pagination: page.request()?,
                }
                .encode_to_vec(),
            ),
            GovQuery::Proposal { proposal_id, .. } => (
                "Proposal",
                pb::QueryProposalRequest {
                    proposal_id: *proposal_id,
                }
                .encode_to_vec(),
            ),
            GovQuery::Votes {
                proposal_id, page, ..
            } => (
                "Votes",
                pb::QueryVotesRequest {
                    proposal_id: *proposal_id,
                    pagination: page.request()?,
                }
                .encode_to_vec(),
            ),
            GovQuery::Vote {
                proposal_id, voter, ..
            } => (
                "Vote",
                pb::QueryVoteRequest {
                    proposal_id: *proposal_id,
                    voter: account(voter, "the voter")?,
                }
                .encode_to_vec(),
            ),
            GovQuery::Deposits {
                proposal_id, page, ..
            } => (
                "Deposits",
                pb::QueryDepositsRequest {
                    proposal_id: *proposal_id,
                    pagination: page.request()?,
                }
                .encode_to_vec(),
            ),
            GovQuery::Deposit {
                proposal_id,
                depositor,
                ..
            } => (
                "Deposit",
                pb::QueryDepositRequest {
                    proposal_id: *proposal_id,
                    depositor: account(depositor, "the depositor")?,
                }
                .encode_to_vec(),
            ),
            GovQuery::Tally { proposal_id, .. } => (
                "TallyResult",
                pb::QueryTallyResultRequest {
                    proposal_id: *proposal_id,
                }
                .encode_to_vec(),
            ),
            GovQuery::Params { params_type, .. } => (
                "Params",
                pb::QueryParamsRequest {
                    // The module wants a type; every type's answer has the full params.
                    params_type: match params_type.unwrap_or(ParamsType::Deposit) {
                        ParamsType::Voting => "voting",
                        ParamsType::Deposit => "deposit",
                        ParamsType::Tallying => "tallying",
                    }
                    .into(),
                }
                .encode_to_vec(),
            ),
            GovQuery::Constitution { .. } => (
                "Constitution",
                pb::QueryConstitutionRequest {}.encode_to_vec(),
            ),
        })
    }

    /// The node's `answer` to [`Self::request`] as the REST gateway writes it (`params`
    /// without a type: the params alone).
    pub fn answer(&self, answer: &[u8]) -> Result<Value> {
        let (method, _) = self.request()?;
        let json = answer_json(method, answer)?;
        Ok(match self {
            GovQuery::Params {
                params_type: None, ..
            } => json!({ "params": json["params"] }),
            _ => json,
        })
    }
}

/// The node's answer to `method` as the REST gateway writes it.
pub fn answer_json(method: &str, answer: &[u8]) -> Result<Value> {
    depin_app::rest::message_json(&format!("{SERVICE}{method}Response"), answer)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: GovQuery) -> Result<Value> {
    let (method, request) = cmd.request()?;
    let flags = cmd.flags();
    let client = NodeClient::new(&flags.node)?;
    let answer = client.query(&path(method), request, flags.height)?;
    cmd.answer(&answer)
}
