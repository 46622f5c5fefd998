//! Governance genesis: params, the constitution, the next proposal id, and every proposal
//! still in state with its deposits and votes, so that a chain exported in the middle of a
//! vote continues it. Messages inside proposals are kept as (type URL, base64 protobuf).

use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use cosmwasm_std::{Binary, Uint128};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::GovError;
use crate::keeper::{ns_of, timestamp, GovKeeper, MODULE_ACCOUNT};
use crate::params::Params;
use crate::state::{
    queue_key, Store, ACTIVE, CONSTITUTION, DEPOSIT, INACTIVE, MARK, NEXT_PROPOSAL_ID, PARAMS,
    PREFIX, PROPOSAL, VOTE,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    #[serde(default = "one")]
    pub starting_proposal_id: u64,
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub constitution: String,
    #[serde(default)]
    pub proposals: Vec<GenesisProposal>,
    #[serde(default)]
    pub deposits: Vec<GenesisDeposit>,
    #[serde(default)]
    pub votes: Vec<GenesisVote>,
}

fn one() -> u64 {
    1
}

impl Default for GenesisState {
    fn default() -> Self {
        GenesisState {
            starting_proposal_id: 1,
            params: Params::default(),
            constitution: String::new(),
            proposals: Vec::new(),
            deposits: Vec::new(),
            votes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisMsg {
    pub type_url: String,
    pub value: Binary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisTally {
    pub yes_count: Uint128,
    pub abstain_count: Uint128,
    pub no_count: Uint128,
    pub no_with_veto_count: Uint128,
}

/// A proposal; times in nanoseconds since the Unix epoch (0: unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisProposal {
    pub id: u64,
    pub messages: Vec<GenesisMsg>,
    /// `PROPOSAL_STATUS_DEPOSIT_PERIOD`, `..._VOTING_PERIOD`, `..._PASSED`, ...
    pub status: String,
    pub final_tally_result: GenesisTally,
    pub submit_time_ns: u64,
    pub deposit_end_time_ns: u64,
    pub total_deposit: Vec<Coin>,
    pub voting_start_time_ns: u64,
    pub voting_end_time_ns: u64,
    pub metadata: String,
    pub title: String,
    pub summary: String,
    pub proposer: String,
    pub expedited: bool,
    pub failed_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDeposit {
    pub proposal_id: u64,
    pub depositor: String,
    pub amount: Vec<Coin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisOption {
    /// `VOTE_OPTION_YES`, `VOTE_OPTION_ABSTAIN`, `VOTE_OPTION_NO`, `VOTE_OPTION_NO_WITH_VETO`.
    pub option: String,
    /// An 18-place decimal.
    pub weight: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisVote {
    pub proposal_id: u64,
    pub voter: String,
    pub options: Vec<GenesisOption>,
    pub metadata: String,
}

fn invalid(msg: impl Into<String>) -> GovError {
    GovError::InvalidGenesis(msg.into())
}

fn opt_time(ns: u64) -> Option<tendermint_proto::google::protobuf::Timestamp> {
    (ns != 0).then(|| timestamp(ns))
}

fn tally_from(t: &GenesisTally) -> pb::TallyResult {
    pb::TallyResult {
        yes_count: t.yes_count.to_string(),
        abstain_count: t.abstain_count.to_string(),
        no_count: t.no_count.to_string(),
        no_with_veto_count: t.no_with_veto_count.to_string(),
    }
}

fn tally_to(t: &Option<pb::TallyResult>) -> AppResult<GenesisTally> {
    let t = t.clone().unwrap_or_else(crate::keeper::empty_tally);
    let n = |s: &str| -> AppResult<Uint128> {
        s.parse::<Uint128>()
            .map_err(|e| GovError::Corrupt(format!("tally count {s:?}: {e}")).into())
    };
    Ok(GenesisTally {
        yes_count: n(&t.yes_count)?,
        abstain_count: n(&t.abstain_count)?,
        no_count: n(&t.no_count)?,
        no_with_veto_count: n(&t.no_with_veto_count)?,
    })
}

impl GovKeeper {
    pub fn init_genesis(&self, ctx: &mut Ctx<'_, '_>, g: &GenesisState) -> AppResult<()> {
        g.params
            .validate()
            .and_then(|_| self.check_params(&g.params))
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        if g.starting_proposal_id == 0 {
            return Err(invalid("starting_proposal_id must be at least 1").into());
        }
        let mut store = ctx.storage(PREFIX);
        PARAMS.save(&mut store, &g.params)?;
        NEXT_PROPOSAL_ID.save(&mut store, &g.starting_proposal_id)?;
        CONSTITUTION.save(&mut store, &g.constitution)?;
        drop(store);

        let codec = self.codec().clone();
        let mut statuses = std::collections::BTreeMap::new();
        let mut held: Vec<Coin> = Vec::new();
        for p in &g.proposals {
            if p.id == 0 || p.id >= g.starting_proposal_id {
                return Err(invalid(format!(
                    "proposal {} is not below starting_proposal_id {}",
                    p.id, g.starting_proposal_id
                ))
                .into());
            }
            let status = pb::ProposalStatus::from_str_name(&p.status)
                .filter(|s| *s != pb::ProposalStatus::Unspecified)
                .ok_or_else(|| {
                    invalid(format!("proposal {}: unknown status {:?}", p.id, p.status))
                })?;
            if statuses.insert(p.id, status).is_some() {
                return Err(invalid(format!("proposal {} appears twice", p.id)).into());
            }
            codec
                .decode(&p.proposer)
                .map_err(|e| invalid(format!("proposal {} proposer: {}", p.id, e.message)))?;
            coins::validate(&p.total_deposit)
                .map_err(|e| invalid(format!("proposal {} total_deposit: {}", p.id, e.message)))?;
            let proposal = pb::Proposal {
                id: p.id,
                messages: p
                    .messages
                    .iter()
                    .map(|m| Any {
                        type_url: m.type_url.clone(),
                        value: m.value.to_vec(),
                    })
                    .collect(),
                status: status as i32,
                final_tally_result: Some(tally_from(&p.final_tally_result)),
                submit_time: opt_time(p.submit_time_ns),
                deposit_end_time: opt_time(p.deposit_end_time_ns),
                total_deposit: coins::to_proto(&p.total_deposit),
                voting_start_time: opt_time(p.voting_start_time_ns),
                voting_end_time: opt_time(p.voting_end_time_ns),
                metadata: p.metadata.clone(),
                title: p.title.clone(),
                summary: p.summary.clone(),
                proposer: p.proposer.clone(),
                expedited: p.expedited,
                failed_reason: p.failed_reason.clone(),
            };
            let mut store = Store::new(ctx);
            store.save_proposal(&proposal, None);
            match status {
                pb::ProposalStatus::DepositPeriod => {
                    store.set(&queue_key(INACTIVE, p.deposit_end_time_ns, p.id), MARK);
                    held = coins::add(&held, &p.total_deposit)?;
                }
                pb::ProposalStatus::VotingPeriod => {
                    if p.voting_end_time_ns == 0 {
                        return Err(invalid(format!(
                            "proposal {} is voting but has no voting end time",
                            p.id
                        ))
                        .into());
                    }
                    store.set(&queue_key(ACTIVE, p.voting_end_time_ns, p.id), MARK);
                    held = coins::add(&held, &p.total_deposit)?;
                }
                _ => {}
            }
        }
        let active = |id: u64| {
            matches!(
                statuses.get(&id),
                Some(pb::ProposalStatus::DepositPeriod | pb::ProposalStatus::VotingPeriod)
            )
        };
        let mut deposited: std::collections::BTreeMap<u64, Vec<Coin>> = Default::default();
        for d in &g.deposits {
            if !active(d.proposal_id) {
                return Err(invalid(format!(
                    "deposit of {} on proposal {}, which is not in its deposit or voting period",
                    d.depositor, d.proposal_id
                ))
                .into());
            }
            let depositor = codec
                .decode(&d.depositor)
                .map_err(|e| invalid(format!("depositor {}: {}", d.depositor, e.message)))?;
            coins::validate(&d.amount)
                .map_err(|e| invalid(format!("deposit of {}: {}", d.depositor, e.message)))?;
            let mut store = Store::new(ctx);
            if store.deposit(d.proposal_id, &depositor)?.is_some() {
                return Err(invalid(format!(
                    "two deposits of {} on proposal {}",
                    d.depositor, d.proposal_id
                ))
                .into());
            }
            store.save_deposit(
                &depositor,
                &pb::Deposit {
                    proposal_id: d.proposal_id,
                    depositor: d.depositor.clone(),
                    amount: coins::to_proto(&d.amount),
                },
            );
            let sum = deposited.entry(d.proposal_id).or_default();
            *sum = coins::add(sum, &d.amount)?;
        }
        for p in &g.proposals {
            if active(p.id)
                && deposited.get(&p.id).map(Vec::as_slice).unwrap_or_default()
                    != p.total_deposit.as_slice()
            {
                return Err(invalid(format!(
                    "proposal {}: total_deposit {} is not the sum of its deposits",
                    p.id,
                    coins::format(&p.total_deposit)
                ))
                .into());
            }
        }
        for v in &g.votes {
            if statuses.get(&v.proposal_id) != Some(&pb::ProposalStatus::VotingPeriod) {
                return Err(invalid(format!(
                    "vote of {} on proposal {}, which is not in its voting period",
                    v.voter, v.proposal_id
                ))
                .into());
            }
            let voter = codec
                .decode(&v.voter)
                .map_err(|e| invalid(format!("voter {}: {}", v.voter, e.message)))?;
            let options = v
                .options
                .iter()
                .map(|o| {
                    let option = pb::VoteOption::from_str_name(&o.option).ok_or_else(|| {
                        invalid(format!(
                            "vote of {}: unknown option {:?}",
                            v.voter, o.option
                        ))
                    })?;
                    Ok(pb::WeightedVoteOption {
                        option: option as i32,
                        weight: o.weight.clone(),
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            let parsed = crate::keeper::tally_options(&options)
                .map_err(|e| invalid(format!("vote of {}: {e}", v.voter)))?;
            crate::tally::validate_options(&parsed)
                .map_err(|e| invalid(format!("vote of {}: {e}", v.voter)))?;
            let mut store = Store::new(ctx);
            if store.vote(v.proposal_id, &voter)?.is_some() {
                return Err(invalid(format!(
                    "two votes of {} on proposal {}",
                    v.voter, v.proposal_id
                ))
                .into());
            }
            store.save_vote(
                &voter,
                &pb::Vote {
                    proposal_id: v.proposal_id,
                    voter: v.voter.clone(),
                    options,
                    metadata: v.metadata.clone(),
                },
            );
        }
        // The module account holds what the open proposals' deposits add up to.
        let balance = self.bank().all_balances(ctx, &self.module_address())?;
        if balance != held {
            return Err(invalid(format!(
                "the {MODULE_ACCOUNT} account holds {}, but the open proposals' deposits add up to {}",
                coins::format(&balance),
                coins::format(&held)
            ))
            .into());
        }
        crate::state::OPEN_DEPOSITS.save(&mut ctx.storage(PREFIX), &held)?;
        Ok(())
    }

    pub fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.params(ctx)?;
        let constitution = self.constitution(ctx)?;
        let starting_proposal_id = self.next_proposal_id(ctx)?;
        let mut proposals = Vec::new();
        let mut deposits = Vec::new();
        let mut votes = Vec::new();
        let rows = Store::new(ctx).scan(&[PROPOSAL], None);
        for (_, bytes) in rows {
            let p: pb::Proposal = crate::state::decode("proposal", &bytes)?;
            for (_, b) in Store::new(ctx).entries(DEPOSIT, p.id) {
                let d: pb::Deposit = crate::state::decode("deposit", &b)?;
                deposits.push(GenesisDeposit {
                    proposal_id: d.proposal_id,
                    depositor: d.depositor,
                    amount: coins::from_proto(&d.amount)?,
                });
            }
            for (_, b) in Store::new(ctx).entries(VOTE, p.id) {
                let v: pb::Vote = crate::state::decode("vote", &b)?;
                votes.push(GenesisVote {
                    proposal_id: v.proposal_id,
                    voter: v.voter,
                    options: v
                        .options
                        .iter()
                        .map(|o| GenesisOption {
                            option: pb::VoteOption::try_from(o.option)
                                .map(|x| x.as_str_name().to_string())
                                .unwrap_or_default(),
                            weight: o.weight.clone(),
                        })
                        .collect(),
                    metadata: v.metadata,
                });
            }
            proposals.push(GenesisProposal {
                id: p.id,
                messages: p
                    .messages
                    .iter()
                    .map(|m| GenesisMsg {
                        type_url: m.type_url.clone(),
                        value: Binary::from(m.value.clone()),
                    })
                    .collect(),
                status: pb::ProposalStatus::try_from(p.status)
                    .map(|s| s.as_str_name().to_string())
                    .unwrap_or_default(),
                final_tally_result: tally_to(&p.final_tally_result)?,
                submit_time_ns: ns_of(&p.submit_time),
                deposit_end_time_ns: ns_of(&p.deposit_end_time),
                total_deposit: coins::from_proto(&p.total_deposit)?,
                voting_start_time_ns: ns_of(&p.voting_start_time),
                voting_end_time_ns: ns_of(&p.voting_end_time),
                metadata: p.metadata,
                title: p.title,
                summary: p.summary,
                proposer: p.proposer,
                expedited: p.expedited,
                failed_reason: p.failed_reason,
            });
        }
        Ok(GenesisState {
            starting_proposal_id,
            params,
            constitution,
            proposals,
            deposits,
            votes,
        })
    }
}
