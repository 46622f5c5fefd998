//! The governance keeper: proposals through their deposit and voting periods, deposits held in
//! the `gov` module account, votes, the tally, and the execution of passed proposals' messages
//! with the module account as their authority.

use std::sync::Arc;

use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use cosmwasm_std::{Decimal256, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::{self, Coin};
use depin_app::context::{Ctx, Event};
use depin_app::error::AppResult;
use depin_staking::dec;
use depin_staking::StakingKeeper;
use tendermint_proto::google::protobuf::Timestamp;

use crate::error::GovError;
use crate::params::{amount_of, Params};
use crate::state::{
    queue_key, Store, ACTIVE, CONSTITUTION, DEPOSIT, INACTIVE, MARK, NEXT_PROPOSAL_ID,
    OPEN_DEPOSITS, PARAMS, PREFIX, VOTE,
};
use crate::tally::{
    self, BondedValidator, Delegation, TallyOutcome, TallyParams, VoteOption, WeightedVoteOption,
};

/// The governance module account: holds deposits, and is the authority of every module's
/// gated messages.
pub const MODULE_ACCOUNT: &str = "gov";

/// Limits of a proposal's text fields (the Cosmos SDK's defaults).
pub const MAX_TITLE_LEN: usize = 255;
pub const MAX_SUMMARY_LEN: usize = 10_200;
pub const MAX_METADATA_LEN: usize = 255;
/// Messages one proposal may carry.
pub const MAX_PROPOSAL_MSGS: usize = 64;

const NANOS: u64 = 1_000_000_000;

/// What governance needs from staking to tally.
pub trait GovStaking: Send + Sync + 'static {
    /// The validators in the bonded set.
    fn bonded_validators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<BondedValidator>>;
    /// Every delegation of `delegator`.
    fn delegations_of(&self, ctx: &mut Ctx<'_, '_>, delegator: &[u8])
        -> AppResult<Vec<Delegation>>;
    /// The tokens in the bonded pool (the quorum's denominator).
    fn total_bonded(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Uint128>;
}

impl GovStaking for StakingKeeper {
    fn bonded_validators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<BondedValidator>> {
        let mut out = Vec::new();
        for (operator, _) in self.last_validator_powers(ctx)? {
            if let Some(v) = self.validator(ctx, &operator)? {
                if v.status == depin_staking::types::BondStatus::Bonded {
                    out.push(BondedValidator {
                        operator,
                        tokens: v.tokens,
                        delegator_shares: v.delegator_shares,
                    });
                }
            }
        }
        Ok(out)
    }

    fn delegations_of(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
    ) -> AppResult<Vec<Delegation>> {
        use cosmwasm_std::Order;
        use depin_staking::state::{DELEGATIONS, PREFIX};
        let store = ctx.storage(PREFIX);
        DELEGATIONS
            .prefix(delegator)
            .range(&store, None, None, Order::Ascending)
            .map(|r| {
                r.map(|(validator, shares)| Delegation {
                    delegator: delegator.to_vec(),
                    validator,
                    shares,
                })
                .map_err(Into::into)
            })
            .collect()
    }

    fn total_bonded(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Uint128> {
        Ok(self.pool_balances(ctx)?.0)
    }
}

/// What governance needs from the bank. Transfers of no coins do nothing.
pub trait GovBank: Send + Sync + 'static {
    fn send_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()>;
    fn send_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()>;
    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()>;
    fn all_balances(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Vec<Coin>>;
    /// Addresses that may not receive funds from users (module accounts).
    fn is_blocked(&self, address: &[u8]) -> bool;
}

impl GovBank for depin_bank::BankKeeper {
    fn send_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        depin_bank::BankKeeper::send_to_module(self, ctx, from, module, amount)
    }

    fn send_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        depin_bank::BankKeeper::send_from_module(self, ctx, module, to, amount)
    }

    fn burn(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &[Coin]) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        depin_bank::BankKeeper::burn(self, ctx, module, amount)
    }

    fn all_balances(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Vec<Coin>> {
        depin_bank::BankKeeper::all_balances(self, ctx, address)
    }

    fn is_blocked(&self, address: &[u8]) -> bool {
        depin_bank::BankKeeper::is_blocked(self, address)
    }
}

/// The chain's community pool when it keeps books (the distribution module): the cancelled
/// share of deposits sent to its account goes through it.
pub trait GovCommunityPool: Send + Sync + 'static {
    /// The pool's account (what `proposal_cancel_dest` names to fund the pool).
    fn account(&self) -> Vec<u8>;
    /// Moves `amount` from module account `from_module` into the pool.
    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()>;
}

impl GovCommunityPool for depin_distribution::DistributionKeeper {
    fn account(&self) -> Vec<u8> {
        self.module_address()
    }

    fn fund(&self, ctx: &mut Ctx<'_, '_>, from_module: &str, amount: &[Coin]) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        self.fund_community_pool(
            ctx,
            &depin_distribution::FundSource::Module(from_module.to_string()),
            amount,
        )
    }
}

#[derive(Clone)]
pub struct GovKeeper {
    codec: AddressCodec,
    staking: Arc<dyn GovStaking>,
    bank: Arc<dyn GovBank>,
    community: Option<Arc<dyn GovCommunityPool>>,
}

/// Block time in nanoseconds since the Unix epoch.
pub fn now_ns(ctx: &Ctx<'_, '_>) -> AppResult<u64> {
    u64::try_from(ctx.env.time_seconds)
        .ok()
        .and_then(|s| s.checked_mul(NANOS))
        .and_then(|s| s.checked_add(u64::from(ctx.env.time_nanos)))
        .ok_or_else(|| GovError::Overflow("the block time".into()).into())
}

pub fn timestamp(ns: u64) -> Timestamp {
    Timestamp {
        seconds: (ns / NANOS) as i64,
        nanos: (ns % NANOS) as i32,
    }
}

/// Nanoseconds of a stored time (`None` is zero: unset).
pub fn ns_of(t: &Option<Timestamp>) -> u64 {
    t.as_ref().map_or(0, |t| {
        u64::try_from(t.seconds)
            .unwrap_or(0)
            .saturating_mul(NANOS)
            .saturating_add(u64::try_from(t.nanos).unwrap_or(0))
    })
}

fn status_name(status: i32) -> String {
    pb::ProposalStatus::try_from(status)
        .map(|s| s.as_str_name().to_string())
        .unwrap_or_else(|_| format!("status {status}"))
}

/// `min` × `ratio` per coin, rounded down; coins that round to zero are left out.
fn scaled(min: &[Coin], ratio: Decimal256) -> Vec<Coin> {
    min.iter()
        .map(|c| Coin {
            denom: c.denom.clone(),
            amount: dec::mul_floor(c.amount, ratio),
        })
        .filter(|c| !c.amount.is_zero())
        .collect()
}

/// Every coin of `want` is covered by `have`.
fn covers(have: &[Coin], want: &[Coin]) -> bool {
    want.iter().all(|c| amount_of(have, &c.denom) >= c.amount)
}

/// The options of a stored vote, for the tally.
pub fn tally_options(
    options: &[pb::WeightedVoteOption],
) -> Result<Vec<WeightedVoteOption>, String> {
    options
        .iter()
        .map(|o| {
            let option = match pb::VoteOption::try_from(o.option) {
                Ok(pb::VoteOption::Yes) => VoteOption::Yes,
                Ok(pb::VoteOption::Abstain) => VoteOption::Abstain,
                Ok(pb::VoteOption::No) => VoteOption::No,
                Ok(pb::VoteOption::NoWithVeto) => VoteOption::NoWithVeto,
                _ => {
                    return Err(format!(
                        "vote option {} is not yes, abstain, no or no_with_veto",
                        o.option
                    ))
                }
            };
            let weight: Decimal256 = o
                .weight
                .parse()
                .map_err(|e| format!("weight {:?} is not a decimal: {e}", o.weight))?;
            Ok(WeightedVoteOption { option, weight })
        })
        .collect()
}

pub fn tally_result_proto(r: &tally::TallyResult) -> pb::TallyResult {
    pb::TallyResult {
        yes_count: r.yes.to_string(),
        abstain_count: r.abstain.to_string(),
        no_count: r.no.to_string(),
        no_with_veto_count: r.no_with_veto.to_string(),
    }
}

pub fn empty_tally() -> pb::TallyResult {
    tally_result_proto(&tally::TallyResult::default())
}

/// The governance messages that may not run inside a proposal: they would spend the deposits
/// the module account holds for other proposals, or vote with it.
const NOT_IN_PROPOSALS: &[&str] = &[
    crate::msgs::MSG_SUBMIT_PROPOSAL,
    crate::msgs::MSG_DEPOSIT,
    crate::msgs::MSG_VOTE,
    crate::msgs::MSG_VOTE_WEIGHTED,
    crate::msgs::MSG_CANCEL_PROPOSAL,
    crate::msgs::MSG_DEPOSIT_V1BETA1,
    crate::msgs::MSG_VOTE_V1BETA1,
    crate::msgs::MSG_VOTE_WEIGHTED_V1BETA1,
];

impl GovKeeper {
    pub fn new(codec: AddressCodec, staking: impl GovStaking, bank: impl GovBank) -> Self {
        GovKeeper {
            codec,
            staking: Arc::new(staking),
            bank: Arc::new(bank),
            community: None,
        }
    }

    /// Sends the cancelled share of deposits through `pool` when `proposal_cancel_dest` is its
    /// account.
    pub fn with_community_pool(mut self, pool: impl GovCommunityPool) -> Self {
        self.community = Some(Arc::new(pool));
        self
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn module_address(&self) -> Vec<u8> {
        module_address(MODULE_ACCOUNT)
    }

    pub(crate) fn bank(&self) -> &dyn GovBank {
        self.bank.as_ref()
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        PARAMS
            .may_load(&ctx.storage(PREFIX))?
            .ok_or_else(|| GovError::Corrupt("gov params are not set".into()).into())
    }

    pub(crate) fn set_params(&self, ctx: &mut Ctx<'_, '_>, params: &Params) -> AppResult<()> {
        PARAMS.save(&mut ctx.storage(PREFIX), params)?;
        Ok(())
    }

    /// The checks of params that need the chain: `proposal_cancel_dest` is an address and not
    /// a module account, unless it is the community pool's.
    pub fn check_params(&self, params: &Params) -> AppResult<()> {
        if params.proposal_cancel_dest.is_empty() {
            return Ok(());
        }
        let dest = self
            .codec
            .decode(&params.proposal_cancel_dest)
            .map_err(|e| GovError::InvalidParams(format!("proposal_cancel_dest: {}", e.message)))?;
        let pool = self.community.as_ref().map(|c| c.account());
        if self.bank.is_blocked(&dest) && pool.as_deref() != Some(dest.as_slice()) {
            return Err(GovError::InvalidParams(format!(
                "proposal_cancel_dest {} is a module account; use an account, the community \
                 pool's, or empty to burn",
                params.proposal_cancel_dest
            ))
            .into());
        }
        Ok(())
    }

    pub fn constitution(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<String> {
        Ok(CONSTITUTION
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    pub fn next_proposal_id(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(NEXT_PROPOSAL_ID
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or(1))
    }

    pub fn proposal(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<Option<pb::Proposal>> {
        Store::new(ctx).proposal(id)
    }

    fn must_proposal(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<pb::Proposal> {
        self.proposal(ctx, id)?
            .ok_or_else(|| GovError::UnknownProposal(id).into())
    }

    /// Checks the messages of a new proposal: each routed, valid, and signed by the
    /// governance account alone.
    fn check_messages(&self, ctx: &mut Ctx<'_, '_>, messages: &[Any]) -> AppResult<()> {
        let router = ctx.router()?;
        let gov = self.module_address();
        for (index, msg) in messages.iter().enumerate() {
            let err = |reason: String| GovError::InvalidProposalMsg {
                index,
                type_url: msg.type_url.clone(),
                reason,
            };
            if NOT_IN_PROPOSALS.contains(&msg.type_url.as_str()) {
                return Err(err("governance's own messages cannot be proposed".into()).into());
            }
            let signers = router.validate_msg(msg).map_err(|e| {
                if e.code == depin_app::error::sdk::UNKNOWN_REQUEST && e.codespace == "sdk" {
                    GovError::UnroutableProposalMsg {
                        index,
                        type_url: msg.type_url.clone(),
                        reason: e.message.clone(),
                    }
                } else {
                    err(e.to_string())
                }
            })?;
            if signers != [gov.clone()] {
                return Err(GovError::InvalidSigner {
                    index,
                    type_url: msg.type_url.clone(),
                    expected: self.codec.encode(&gov),
                }
                .into());
            }
        }
        Ok(())
    }

    /// Checks the denoms and size of a deposit on a proposal (`expedited` or not).
    fn check_deposit(&self, params: &Params, expedited: bool, amount: &[Coin]) -> AppResult<()> {
        let min = params.min_deposit_for(expedited);
        for c in amount {
            if amount_of(min, &c.denom).is_zero() {
                return Err(GovError::InvalidDepositDenom {
                    denom: c.denom.clone(),
                    accepted: coins::format(min),
                }
                .into());
            }
        }
        let least = scaled(min, params.min_deposit_ratio);
        if !least.is_empty()
            && !least
                .iter()
                .any(|c| amount_of(amount, &c.denom) >= c.amount)
        {
            return Err(GovError::MinDepositTooSmall {
                got: coins::format(amount),
                why: format!(
                    "a deposit must be at least {} of the minimum deposit, {} (in one denom)",
                    dec::fmt(params.min_deposit_ratio),
                    coins::format(&least)
                ),
            }
            .into());
        }
        Ok(())
    }

    /// Creates a proposal in its deposit period and takes the initial deposit (which may start
    /// the voting period at once). Returns the new id.
    pub(crate) fn submit(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgSubmitProposal,
        proposer: &[u8],
    ) -> AppResult<u64> {
        self.check_messages(ctx, &msg.messages)?;
        let params = self.params(ctx)?;
        let initial = coins::from_proto(&msg.initial_deposit)?;
        let min = params.min_deposit_for(msg.expedited);
        let least = scaled(min, params.min_initial_deposit_ratio);
        if !covers(&initial, &least) {
            return Err(GovError::MinDepositTooSmall {
                got: coins::format(&initial),
                why: format!(
                    "the initial deposit must be at least {} of the minimum deposit, {}",
                    dec::fmt(params.min_initial_deposit_ratio),
                    coins::format(&least)
                ),
            }
            .into());
        }
        let now = now_ns(ctx)?;
        let id = self.next_proposal_id(ctx)?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| GovError::Overflow("proposal ids".into()))?;
        NEXT_PROPOSAL_ID.save(&mut ctx.storage(PREFIX), &next)?;
        let deposit_end = now
            .checked_add(params.max_deposit_period_ns)
            .ok_or_else(|| GovError::Overflow("the deposit end time".into()))?;
        let proposal = pb::Proposal {
            id,
            messages: msg.messages.clone(),
            status: pb::ProposalStatus::DepositPeriod as i32,
            final_tally_result: Some(empty_tally()),
            submit_time: Some(timestamp(now)),
            deposit_end_time: Some(timestamp(deposit_end)),
            total_deposit: Vec::new(),
            voting_start_time: None,
            voting_end_time: None,
            metadata: msg.metadata.clone(),
            title: msg.title.clone(),
            summary: msg.summary.clone(),
            proposer: self.codec.encode(proposer),
            expedited: msg.expedited,
            failed_reason: String::new(),
        };
        let mut store = Store::new(ctx);
        store.save_proposal(&proposal, None);
        store.set(&queue_key(INACTIVE, deposit_end, id), MARK);
        let types: Vec<&str> = msg.messages.iter().map(|m| m.type_url.as_str()).collect();
        ctx.emit(
            Event::new("submit_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_proposer", self.codec.encode(proposer))
                .attr("proposal_messages", format!(",{}", types.join(",")))
                .attr("expedited", msg.expedited.to_string()),
        );
        if !initial.is_empty() && self.add_deposit(ctx, id, proposer, &initial)? {
            // As the Cosmos SDK: a second event of the message's kind says voting started.
            ctx.emit(Event::new("submit_proposal").attr("voting_period_start", id.to_string()));
        }
        Ok(id)
    }

    /// Adds a deposit; starts the voting period when the total reaches the minimum. Returns
    /// whether it did.
    pub(crate) fn add_deposit(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: u64,
        depositor: &[u8],
        amount: &[Coin],
    ) -> AppResult<bool> {
        let mut proposal = self.must_proposal(ctx, id)?;
        let deposit_period = proposal.status == pb::ProposalStatus::DepositPeriod as i32;
        if !deposit_period && proposal.status != pb::ProposalStatus::VotingPeriod as i32 {
            return Err(GovError::InactiveProposal {
                id,
                status: status_name(proposal.status),
            }
            .into());
        }
        let params = self.params(ctx)?;
        self.check_deposit(&params, proposal.expedited, amount)?;
        self.bank
            .send_to_module(ctx, depositor, MODULE_ACCOUNT, amount)?;
        self.hold(ctx, amount)?;

        let total = coins::add(&coins::from_proto(&proposal.total_deposit)?, amount)?;
        proposal.total_deposit = coins::to_proto(&total);
        let depositor_text = self.codec.encode(depositor);
        let now = now_ns(ctx)?;
        let mut store = Store::new(ctx);
        let before = match store.deposit(id, depositor)? {
            Some(d) => coins::from_proto(&d.amount)?,
            None => Vec::new(),
        };
        let sum = coins::add(&before, amount)?;
        store.save_deposit(
            depositor,
            &pb::Deposit {
                proposal_id: id,
                depositor: depositor_text.clone(),
                amount: coins::to_proto(&sum),
            },
        );
        let event = Event::new("proposal_deposit")
            .attr("amount", coins::format(amount))
            .attr("proposal_id", id.to_string())
            .attr("depositor", depositor_text);
        let activate = deposit_period && covers(&total, params.min_deposit_for(proposal.expedited));
        if activate {
            let end = now
                .checked_add(params.voting_period_for(proposal.expedited))
                .ok_or_else(|| GovError::Overflow("the voting end time".into()))?;
            let old_status = proposal.status;
            store.remove(&queue_key(INACTIVE, ns_of(&proposal.deposit_end_time), id));
            store.set(&queue_key(ACTIVE, end, id), MARK);
            proposal.status = pb::ProposalStatus::VotingPeriod as i32;
            proposal.voting_start_time = Some(timestamp(now));
            proposal.voting_end_time = Some(timestamp(end));
            store.save_proposal(&proposal, Some(old_status));
        } else {
            store.save_proposal(&proposal, Some(proposal.status));
        }
        ctx.emit(event);
        Ok(activate)
    }

    /// Records (or replaces) `voter`'s vote on a proposal in its voting period.
    pub(crate) fn vote(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: u64,
        voter: &[u8],
        options: Vec<pb::WeightedVoteOption>,
        metadata: &str,
    ) -> AppResult<()> {
        let proposal = self.must_proposal(ctx, id)?;
        if proposal.status != pb::ProposalStatus::VotingPeriod as i32 {
            return Err(GovError::NotVoting(id).into());
        }
        let voter_text = self.codec.encode(voter);
        let shown: Vec<String> = options
            .iter()
            .map(|o| {
                let name = pb::VoteOption::try_from(o.option)
                    .map(|v| v.as_str_name())
                    .unwrap_or("VOTE_OPTION_UNSPECIFIED");
                format!("{name}={}", o.weight)
            })
            .collect();
        let vote = pb::Vote {
            proposal_id: id,
            voter: voter_text.clone(),
            options,
            metadata: metadata.to_string(),
        };
        Store::new(ctx).save_vote(voter, &vote);
        ctx.emit(
            Event::new("proposal_vote")
                .attr("voter", voter_text)
                .attr("option", shown.join(","))
                .attr("proposal_id", id.to_string()),
        );
        Ok(())
    }

    /// Cancels a proposal of `proposer`'s before its voting ends: `proposal_cancel_ratio` of
    /// every deposit goes to `proposal_cancel_dest` (burned when empty), the rest back to its
    /// depositor; the proposal, its votes and deposits are deleted.
    pub(crate) fn cancel(&self, ctx: &mut Ctx<'_, '_>, id: u64, proposer: &[u8]) -> AppResult<()> {
        let proposal = self.must_proposal(ctx, id)?;
        let deposit_period = proposal.status == pb::ProposalStatus::DepositPeriod as i32;
        if !deposit_period && proposal.status != pb::ProposalStatus::VotingPeriod as i32 {
            return Err(GovError::InactiveProposal {
                id,
                status: status_name(proposal.status),
            }
            .into());
        }
        if self.codec.decode(&proposal.proposer).ok().as_deref() != Some(proposer) {
            return Err(GovError::InvalidProposer {
                id,
                proposer: proposal.proposer,
            }
            .into());
        }
        let now = now_ns(ctx)?;
        if !deposit_period && ns_of(&proposal.voting_end_time) < now {
            return Err(GovError::VotingPeriodEnded(id).into());
        }
        let params = self.params(ctx)?;
        let mut charged: Vec<Coin> = Vec::new();
        for (depositor, bytes) in Store::new(ctx).entries(DEPOSIT, id) {
            let d: pb::Deposit = crate::state::decode("deposit", &bytes)?;
            let amount = coins::from_proto(&d.amount)?;
            let mut refund = Vec::new();
            for c in &amount {
                let cut = dec::mul_floor(c.amount, params.proposal_cancel_ratio);
                if !cut.is_zero() {
                    charged = coins::add(
                        &charged,
                        &[Coin {
                            denom: c.denom.clone(),
                            amount: cut,
                        }],
                    )?;
                }
                let rest = c
                    .amount
                    .checked_sub(cut)
                    .map_err(|_| GovError::Overflow("a refund".into()))?;
                if !rest.is_zero() {
                    refund.push(Coin {
                        denom: c.denom.clone(),
                        amount: rest,
                    });
                }
            }
            self.bank
                .send_from_module(ctx, MODULE_ACCOUNT, &depositor, &refund)?;
            self.release(ctx, &amount)?;
            Store::new(ctx).delete_deposit(id, &depositor);
        }
        self.pay_cancel_dest(ctx, &params, &charged)?;
        let mut store = Store::new(ctx);
        for (voter, _) in store.entries(VOTE, id) {
            store.delete_vote(id, &voter);
        }
        if deposit_period {
            store.remove(&queue_key(INACTIVE, ns_of(&proposal.deposit_end_time), id));
        } else {
            store.remove(&queue_key(ACTIVE, ns_of(&proposal.voting_end_time), id));
        }
        store.delete_proposal(&proposal);
        ctx.emit(
            Event::new("cancel_proposal")
                .attr("sender", self.codec.encode(proposer))
                .attr("proposal_id", id.to_string()),
        );
        Ok(())
    }

    fn pay_cancel_dest(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        charged: &[Coin],
    ) -> AppResult<()> {
        if charged.is_empty() {
            return Ok(());
        }
        if params.proposal_cancel_dest.is_empty() {
            return self.bank.burn(ctx, MODULE_ACCOUNT, charged);
        }
        let dest = self.codec.decode(&params.proposal_cancel_dest)?;
        match &self.community {
            Some(pool) if pool.account() == dest => pool.fund(ctx, MODULE_ACCOUNT, charged),
            _ => self
                .bank
                .send_from_module(ctx, MODULE_ACCOUNT, &dest, charged),
        }
    }

    /// Refunds (or burns) every deposit on proposal `id` and deletes them.
    fn settle_deposits(&self, ctx: &mut Ctx<'_, '_>, id: u64, burn: bool) -> AppResult<()> {
        let mut burned: Vec<Coin> = Vec::new();
        for (depositor, bytes) in Store::new(ctx).entries(DEPOSIT, id) {
            let d: pb::Deposit = crate::state::decode("deposit", &bytes)?;
            let amount = coins::from_proto(&d.amount)?;
            if burn {
                burned = coins::add(&burned, &amount)?;
            } else {
                self.bank
                    .send_from_module(ctx, MODULE_ACCOUNT, &depositor, &amount)?;
            }
            self.release(ctx, &amount)?;
            Store::new(ctx).delete_deposit(id, &depositor);
        }
        self.bank.burn(ctx, MODULE_ACCOUNT, &burned)
    }

    /// The sum of the open proposals' deposits (the running total).
    pub fn held_deposits(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<Coin>> {
        Ok(OPEN_DEPOSITS
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    fn hold(&self, ctx: &mut Ctx<'_, '_>, amount: &[Coin]) -> AppResult<()> {
        let total = coins::add(&self.held_deposits(ctx)?, amount)?;
        OPEN_DEPOSITS.save(&mut ctx.storage(PREFIX), &total)?;
        Ok(())
    }

    fn release(&self, ctx: &mut Ctx<'_, '_>, amount: &[Coin]) -> AppResult<()> {
        let mut total = self.held_deposits(ctx)?;
        for c in amount {
            let entry = total
                .iter_mut()
                .find(|t| t.denom == c.denom)
                .ok_or_else(|| GovError::Corrupt(format!("no {} deposits are held", c.denom)))?;
            entry.amount = entry
                .amount
                .checked_sub(c.amount)
                .map_err(|_| GovError::Corrupt(format!("less than {c} of deposits is held")))?;
        }
        total.retain(|c| !c.amount.is_zero());
        OPEN_DEPOSITS.save(&mut ctx.storage(PREFIX), &total)?;
        Ok(())
    }

    /// The tally of proposal `id` as it stands (the decision its voting period's end would
    /// take now).
    pub fn tally(
        &self,
        ctx: &mut Ctx<'_, '_>,
        id: u64,
        expedited: bool,
    ) -> AppResult<TallyOutcome> {
        let params = self.params(ctx)?;
        let validators = self.staking.bonded_validators(ctx)?;
        let mut votes = Vec::new();
        let mut delegations = Vec::new();
        for (voter, bytes) in Store::new(ctx).entries(VOTE, id) {
            let v: pb::Vote = crate::state::decode("vote", &bytes)?;
            let options = tally_options(&v.options).map_err(GovError::Corrupt)?;
            delegations.extend(self.staking.delegations_of(ctx, &voter)?);
            votes.push(tally::Vote { voter, options });
        }
        let total = self.staking.total_bonded(ctx)?;
        let tp = TallyParams {
            quorum: params.quorum,
            threshold: if expedited {
                params.expedited_threshold
            } else {
                params.threshold
            },
            veto_threshold: params.veto_threshold,
            burn_vote_quorum: params.burn_vote_quorum,
            burn_vote_veto: params.burn_vote_veto,
        };
        tally::tally(&validators, &delegations, &votes, total, &tp)
            .map_err(|e| GovError::Corrupt(format!("tally of proposal {id}: {e}")).into())
    }

    /// Drops proposals whose deposit period ended and decides those whose voting period
    /// ended, executing the messages of those that pass.
    pub(crate) fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let now = now_ns(ctx)?;
        let params = self.params(ctx)?;
        for id in Store::new(ctx).due(INACTIVE, now)? {
            let proposal = self.must_proposal(ctx, id)?;
            if proposal.status != pb::ProposalStatus::DepositPeriod as i32 {
                return Err(GovError::Corrupt(format!(
                    "proposal {id} is queued for its deposit period but is {}",
                    status_name(proposal.status)
                ))
                .into());
            }
            Store::new(ctx).remove(&queue_key(INACTIVE, ns_of(&proposal.deposit_end_time), id));
            self.settle_deposits(ctx, id, params.burn_proposal_deposit_prevote)?;
            Store::new(ctx).delete_proposal(&proposal);
            ctx.emit(
                Event::new("inactive_proposal")
                    .attr("proposal_id", id.to_string())
                    .attr("proposal_result", "proposal_dropped")
                    .attr(
                        "deposits_burned",
                        params.burn_proposal_deposit_prevote.to_string(),
                    ),
            );
        }
        for id in Store::new(ctx).due(ACTIVE, now)? {
            self.decide(ctx, id, &params)?;
        }
        Ok(())
    }

    fn decide(&self, ctx: &mut Ctx<'_, '_>, id: u64, params: &Params) -> AppResult<()> {
        let mut proposal = self.must_proposal(ctx, id)?;
        let old_status = proposal.status;
        Store::new(ctx).remove(&queue_key(ACTIVE, ns_of(&proposal.voting_end_time), id));
        let outcome = match self.tally(ctx, id, proposal.expedited) {
            Ok(o) => o,
            Err(e) => {
                // Inconsistent staking state must not stop the chain: the proposal fails and
                // its deposits go back.
                self.settle_deposits(ctx, id, false)?;
                self.clear_votes(ctx, id);
                proposal.status = pb::ProposalStatus::Failed as i32;
                proposal.failed_reason = e.message.clone();
                Store::new(ctx).save_proposal(&proposal, Some(old_status));
                ctx.emit(result_event(id, "proposal_failed", &e.message, false));
                return Ok(());
            }
        };
        proposal.final_tally_result = Some(tally_result_proto(&outcome.result));
        if proposal.expedited && !outcome.passes {
            // An expedited proposal that does not pass becomes a regular one: it keeps its
            // deposits and votes, and its voting period runs to the regular length.
            // Periods are capped (params), so this cannot saturate before the year 2500.
            let end = ns_of(&proposal.voting_start_time).saturating_add(params.voting_period_ns);
            proposal.expedited = false;
            proposal.voting_end_time = Some(timestamp(end));
            let mut store = Store::new(ctx);
            store.set(&queue_key(ACTIVE, end, id), MARK);
            store.save_proposal(&proposal, Some(old_status));
            ctx.emit(result_event(id, "expedited_proposal_rejected", "", false));
            return Ok(());
        }
        self.settle_deposits(ctx, id, outcome.burn_deposits)?;
        self.clear_votes(ctx, id);
        let (result, log) = if outcome.passes {
            match self.execute(ctx, &proposal.messages) {
                Ok(()) => {
                    proposal.status = pb::ProposalStatus::Passed as i32;
                    ("proposal_passed", String::new())
                }
                Err(e) => {
                    proposal.status = pb::ProposalStatus::Failed as i32;
                    proposal.failed_reason = e.to_string();
                    ("proposal_failed", e.to_string())
                }
            }
        } else {
            proposal.status = pb::ProposalStatus::Rejected as i32;
            ("proposal_rejected", format!("{:?}", outcome.rule))
        };
        Store::new(ctx).save_proposal(&proposal, Some(old_status));
        ctx.emit(result_event(id, result, &log, outcome.burn_deposits));
        Ok(())
    }

    /// Runs a passed proposal's messages in order, all or nothing. Messages may spend what
    /// the governance account holds beyond the open proposals' deposits, never those.
    fn execute(&self, ctx: &mut Ctx<'_, '_>, messages: &[Any]) -> AppResult<()> {
        let router = ctx.router()?;
        ctx.atomic(|ctx| {
            for (i, msg) in messages.iter().enumerate() {
                router
                    .dispatch(ctx, msg)
                    .map_err(|e| e.context(format!("message {i} ({})", msg.type_url)))?;
            }
            let held = self.held_deposits(ctx)?;
            let balance = self.bank.all_balances(ctx, &self.module_address())?;
            if !covers(&balance, &held) {
                return Err(GovError::InvalidProposalMsg {
                    index: messages.len().saturating_sub(1),
                    type_url: String::new(),
                    reason: format!(
                        "the messages would spend deposits held for other proposals ({} held, {} left)",
                        coins::format(&held),
                        coins::format(&balance)
                    ),
                }
                .into());
            }
            Ok(())
        })
    }

    /// The sum of the deposits of proposals in their deposit or voting period, counted
    /// proposal by proposal (for the invariants; block hooks read the running total).
    fn open_deposits_counted(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<Coin>> {
        let mut held: Vec<Coin> = Vec::new();
        for status in [
            pb::ProposalStatus::DepositPeriod,
            pb::ProposalStatus::VotingPeriod,
        ] {
            let mut prefix = crate::state::status_key(status as i32, 0);
            prefix.truncate(2);
            for (key, _) in Store::new(ctx).scan(&prefix, None) {
                let id = crate::state::trailing_id(&key)?;
                let p = self.must_proposal(ctx, id)?;
                held = coins::add(&held, &coins::from_proto(&p.total_deposit)?)?;
            }
        }
        Ok(held)
    }

    /// The module's invariants: the governance account holds exactly the open proposals'
    /// deposits; each open proposal's total is the sum of its deposits and it sits in the
    /// right queue; votes exist only on proposals in their voting period; the indexes mirror
    /// the records.
    pub fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let e = |e: depin_app::error::AppError| e.to_string();
        let held = self.open_deposits_counted(ctx).map_err(e)?;
        let total = self.held_deposits(ctx).map_err(e)?;
        if total != held {
            return Err(format!(
                "the running total of open deposits is {}, the open proposals' deposits add up to {}",
                coins::format(&total),
                coins::format(&held)
            ));
        }
        let balance = self
            .bank
            .all_balances(ctx, &self.module_address())
            .map_err(e)?;
        if balance != held {
            return Err(format!(
                "the gov account holds {}, the open proposals' deposits add up to {}",
                coins::format(&balance),
                coins::format(&held)
            ));
        }
        let next = self.next_proposal_id(ctx).map_err(e)?;
        let rows = Store::new(ctx).scan(&[crate::state::PROPOSAL], None);
        for (_, bytes) in rows {
            let p: pb::Proposal = crate::state::decode("proposal", &bytes).map_err(e)?;
            if p.id == 0 || p.id >= next {
                return Err(format!("proposal {} is not below the next id {next}", p.id));
            }
            let mut store = Store::new(ctx);
            if store
                .get(&crate::state::status_key(p.status, p.id))
                .is_none()
            {
                return Err(format!(
                    "proposal {} is missing from the status index",
                    p.id
                ));
            }
            let voting = p.status == pb::ProposalStatus::VotingPeriod as i32;
            let depositing = p.status == pb::ProposalStatus::DepositPeriod as i32;
            let queued_inactive = store
                .get(&queue_key(INACTIVE, ns_of(&p.deposit_end_time), p.id))
                .is_some();
            let queued_active = store
                .get(&queue_key(ACTIVE, ns_of(&p.voting_end_time), p.id))
                .is_some();
            if queued_inactive != depositing || queued_active != voting {
                return Err(format!(
                    "proposal {} is in the wrong queue for its status",
                    p.id
                ));
            }
            let votes = store.entries(VOTE, p.id);
            if !voting && !votes.is_empty() {
                return Err(format!("proposal {} has votes but is not voting", p.id));
            }
            for (voter, _) in &votes {
                if store
                    .get(&crate::state::by_account_key(
                        crate::state::BY_VOTER,
                        voter,
                        Some(p.id),
                    ))
                    .is_none()
                {
                    return Err(format!(
                        "a vote on proposal {} is missing from the voter index",
                        p.id
                    ));
                }
            }
            let mut sum: Vec<Coin> = Vec::new();
            for (depositor, bytes) in store.entries(DEPOSIT, p.id) {
                let d: pb::Deposit = crate::state::decode("deposit", &bytes).map_err(e)?;
                sum = coins::add(&sum, &coins::from_proto(&d.amount).map_err(e)?).map_err(e)?;
                if store
                    .get(&crate::state::by_account_key(
                        crate::state::BY_DEPOSITOR,
                        &depositor,
                        Some(p.id),
                    ))
                    .is_none()
                {
                    return Err(format!(
                        "a deposit on proposal {} is missing from the depositor index",
                        p.id
                    ));
                }
            }
            let total = coins::from_proto(&p.total_deposit).map_err(e)?;
            if (voting || depositing) && sum != total {
                return Err(format!(
                    "proposal {}: total_deposit {} but its deposits add up to {}",
                    p.id,
                    coins::format(&total),
                    coins::format(&sum)
                ));
            }
            if !(voting || depositing || sum.is_empty()) {
                return Err(format!(
                    "proposal {} is decided but still has deposits",
                    p.id
                ));
            }
        }
        Ok(())
    }

    fn clear_votes(&self, ctx: &mut Ctx<'_, '_>, id: u64) {
        let mut store = Store::new(ctx);
        for (voter, _) in store.entries(VOTE, id) {
            store.delete_vote(id, &voter);
        }
    }
}

fn result_event(id: u64, result: &str, log: &str, burned: bool) -> Event {
    let mut e = Event::new("active_proposal")
        .attr("proposal_id", id.to_string())
        .attr("proposal_result", result)
        .attr("deposits_burned", burned.to_string());
    if !log.is_empty() {
        e = e.attr("proposal_log", log);
    }
    e
}
