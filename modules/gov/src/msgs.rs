//! cosmos.gov.v1.Msg (and the three cosmos.gov.v1beta1 messages wallets still send for votes
//! and deposits), one function per message: stateless checks in `validate_*`, then the keeper.

use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::proto::cosmos::gov::v1beta1 as pb1;
use cosmwasm_std::{Decimal256, Uint256};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::check_authority;
use depin_staking::dec;
use prost::Message;

use crate::error::GovError;
use crate::keeper::{
    now_ns, timestamp, MAX_METADATA_LEN, MAX_PROPOSAL_MSGS, MAX_SUMMARY_LEN, MAX_TITLE_LEN,
};
use crate::params::Params;
use crate::tally::validate_options;
use crate::GovModule;

pub const MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1.MsgSubmitProposal";
pub const MSG_DEPOSIT: &str = "/cosmos.gov.v1.MsgDeposit";
pub const MSG_VOTE: &str = "/cosmos.gov.v1.MsgVote";
pub const MSG_VOTE_WEIGHTED: &str = "/cosmos.gov.v1.MsgVoteWeighted";
pub const MSG_CANCEL_PROPOSAL: &str = "/cosmos.gov.v1.MsgCancelProposal";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.gov.v1.MsgUpdateParams";
pub const MSG_DEPOSIT_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgDeposit";
pub const MSG_VOTE_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVote";
pub const MSG_VOTE_WEIGHTED_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVoteWeighted";

fn metadata(m: &str) -> AppResult<()> {
    if m.len() > MAX_METADATA_LEN {
        return Err(GovError::MetadataTooLong {
            len: m.len(),
            max: MAX_METADATA_LEN,
        }
        .into());
    }
    Ok(())
}

fn invalid_vote(msg: impl Into<String>) -> AppError {
    GovError::InvalidVote(msg.into()).into()
}

/// A single option: one of yes (1), abstain (2), no (3), no_with_veto (4).
fn single_option(option: i32) -> AppResult<pb::WeightedVoteOption> {
    if !(1..=4).contains(&option) {
        return Err(invalid_vote(format!(
            "option {option} is not yes (1), abstain (2), no (3) or no_with_veto (4)"
        )));
    }
    Ok(pb::WeightedVoteOption {
        option,
        weight: dec::fmt(Decimal256::one()),
    })
}

/// Weighted options: valid options, no option twice, weights in (0, 1] summing to 1. Weights
/// are rewritten in the 18-place form.
fn weighted_options(options: &[pb::WeightedVoteOption]) -> AppResult<Vec<pb::WeightedVoteOption>> {
    let parsed = crate::keeper::tally_options(options).map_err(invalid_vote)?;
    validate_options(&parsed).map_err(invalid_vote)?;
    Ok(parsed
        .iter()
        .map(|o| pb::WeightedVoteOption {
            option: o.option as i32,
            weight: dec::fmt(o.weight),
        })
        .collect())
}

/// Coins a deposit moves: valid and not empty.
fn deposit_amount(list: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> AppResult<Vec<Coin>> {
    let out = coins::from_proto(list)?;
    if out.is_empty() {
        return Err(AppError::sdk(
            sdk::INVALID_COINS,
            "a deposit needs at least one coin",
        ));
    }
    Ok(out)
}

impl GovModule {
    pub(crate) fn validate_submit(&self, msg: &pb::MsgSubmitProposal) -> AppResult<Vec<u8>> {
        let proposer = self.keeper.codec().decode(&msg.proposer)?;
        if msg.title.trim().is_empty() {
            return Err(GovError::InvalidProposalContent("the title is empty".into()).into());
        }
        if msg.title.len() > MAX_TITLE_LEN {
            return Err(GovError::InvalidProposalContent(format!(
                "the title is {} bytes; the limit is {MAX_TITLE_LEN}",
                msg.title.len()
            ))
            .into());
        }
        if msg.summary.trim().is_empty() {
            return Err(GovError::InvalidProposalContent("the summary is empty".into()).into());
        }
        let summary_len = msg.summary.len();
        if summary_len > MAX_SUMMARY_LEN {
            return Err(GovError::SummaryTooLong {
                len: summary_len,
                max: MAX_SUMMARY_LEN,
            }
            .into());
        }
        metadata(&msg.metadata)?;
        coins::from_proto(&msg.initial_deposit)?;
        if msg.messages.len() > MAX_PROPOSAL_MSGS {
            return Err(GovError::InvalidProposalContent(format!(
                "the proposal carries {} messages; the limit is {MAX_PROPOSAL_MSGS}",
                msg.messages.len()
            ))
            .into());
        }
        for (index, m) in msg.messages.iter().enumerate() {
            if m.type_url.is_empty() {
                return Err(GovError::InvalidProposalMsg {
                    index,
                    type_url: String::new(),
                    reason: "the message has no type URL".into(),
                }
                .into());
            }
        }
        Ok(proposer)
    }

    pub(crate) fn submit(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgSubmitProposal,
    ) -> AppResult<Vec<u8>> {
        let proposer = self.validate_submit(msg)?;
        let proposal_id = self.keeper.submit(ctx, msg, &proposer)?;
        Ok(pb::MsgSubmitProposalResponse { proposal_id }.encode_to_vec())
    }

    pub(crate) fn validate_deposit(&self, msg: &pb::MsgDeposit) -> AppResult<(Vec<u8>, Vec<Coin>)> {
        let depositor = self.keeper.codec().decode(&msg.depositor)?;
        Ok((depositor, deposit_amount(&msg.amount)?))
    }

    pub(crate) fn deposit(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgDeposit,
    ) -> AppResult<Vec<u8>> {
        let (depositor, amount) = self.validate_deposit(msg)?;
        if self
            .keeper
            .add_deposit(ctx, msg.proposal_id, &depositor, &amount)?
        {
            // As the Cosmos SDK: a second event of the message's kind says voting started.
            ctx.emit(
                depin_app::context::Event::new("proposal_deposit")
                    .attr("voting_period_start", msg.proposal_id.to_string()),
            );
        }
        Ok(pb::MsgDepositResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_vote(
        &self,
        msg: &pb::MsgVote,
    ) -> AppResult<(Vec<u8>, pb::WeightedVoteOption)> {
        let voter = self.keeper.codec().decode(&msg.voter)?;
        metadata(&msg.metadata)?;
        Ok((voter, single_option(msg.option)?))
    }

    pub(crate) fn vote(&self, ctx: &mut Ctx<'_, '_>, msg: &pb::MsgVote) -> AppResult<Vec<u8>> {
        let (voter, option) = self.validate_vote(msg)?;
        self.keeper
            .vote(ctx, msg.proposal_id, &voter, vec![option], &msg.metadata)?;
        Ok(pb::MsgVoteResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_vote_weighted(
        &self,
        msg: &pb::MsgVoteWeighted,
    ) -> AppResult<(Vec<u8>, Vec<pb::WeightedVoteOption>)> {
        let voter = self.keeper.codec().decode(&msg.voter)?;
        metadata(&msg.metadata)?;
        Ok((voter, weighted_options(&msg.options)?))
    }

    pub(crate) fn vote_weighted(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgVoteWeighted,
    ) -> AppResult<Vec<u8>> {
        let (voter, options) = self.validate_vote_weighted(msg)?;
        self.keeper
            .vote(ctx, msg.proposal_id, &voter, options, &msg.metadata)?;
        Ok(pb::MsgVoteWeightedResponse {}.encode_to_vec())
    }

    pub(crate) fn validate_cancel(&self, msg: &pb::MsgCancelProposal) -> AppResult<Vec<u8>> {
        self.keeper.codec().decode(&msg.proposer)
    }

    pub(crate) fn cancel(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgCancelProposal,
    ) -> AppResult<Vec<u8>> {
        let proposer = self.validate_cancel(msg)?;
        self.keeper.cancel(ctx, msg.proposal_id, &proposer)?;
        Ok(pb::MsgCancelProposalResponse {
            proposal_id: msg.proposal_id,
            canceled_time: Some(timestamp(now_ns(ctx)?)),
            canceled_height: ctx.env.height,
        }
        .encode_to_vec())
    }

    pub(crate) fn validate_update_params(
        &self,
        msg: &pb::MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        let params = Params::from_proto(msg.params.as_ref().ok_or(GovError::MissingParams)?)?;
        self.keeper.check_params(&params)?;
        Ok((authority, params))
    }

    pub(crate) fn update_params(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &pb::MsgUpdateParams,
    ) -> AppResult<Vec<u8>> {
        let (_, params) = self.validate_update_params(msg)?;
        self.keeper.set_params(ctx, &params)?;
        ctx.emit(
            depin_app::context::Event::new("update_params")
                .attr("module", crate::MODULE_NAME)
                .attr("authority", msg.authority.clone()),
        );
        Ok(pb::MsgUpdateParamsResponse {}.encode_to_vec())
    }

    // The v1beta1 forms: the same rules, with v1beta1's weight encoding (the integer of 10^-18
    // units, as every LegacyDec on that package's wire).

    pub(crate) fn deposit_v1beta1(&self, msg: &pb1::MsgDeposit) -> pb::MsgDeposit {
        pb::MsgDeposit {
            proposal_id: msg.proposal_id,
            depositor: msg.depositor.clone(),
            amount: msg.amount.clone(),
        }
    }

    pub(crate) fn vote_v1beta1(&self, msg: &pb1::MsgVote) -> pb::MsgVote {
        pb::MsgVote {
            proposal_id: msg.proposal_id,
            voter: msg.voter.clone(),
            option: msg.option,
            metadata: String::new(),
        }
    }

    pub(crate) fn vote_weighted_v1beta1(
        &self,
        msg: &pb1::MsgVoteWeighted,
    ) -> AppResult<pb::MsgVoteWeighted> {
        let options = msg
            .options
            .iter()
            .map(|o| {
                let atomics: Uint256 = o.weight.trim().parse().map_err(|_| {
                    invalid_vote(format!(
                        "weight {:?} is not a v1beta1 decimal (an integer of 10^-18 units)",
                        o.weight
                    ))
                })?;
                Ok(pb::WeightedVoteOption {
                    option: o.option,
                    weight: dec::fmt(Decimal256::new(atomics)),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(pb::MsgVoteWeighted {
            proposal_id: msg.proposal_id,
            voter: msg.voter.clone(),
            options,
            metadata: String::new(),
        })
    }
}
