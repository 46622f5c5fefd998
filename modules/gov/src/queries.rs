//! cosmos.gov.v1.Query, one function per method; the same functions answer ABCI Query and
//! gRPC.

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::gov::v1::*;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use depin_app::module::decode_query;
use depin_app::query::paginate;
use prost::Message;

use crate::error::GovError;
use crate::keeper::{empty_tally, tally_result_proto};
use crate::state::{
    by_account_key, decode, entry_key, status_key, trailing_id, Store, BY_DEPOSITOR, BY_VOTER,
    DEPOSIT, PROPOSAL, VOTE,
};
use crate::GovModule;

pub const SERVICE: &str = "cosmos.gov.v1.Query";

fn bad(msg: impl Into<String>) -> AppError {
    GovError::InvalidRequest(msg.into()).into()
}

fn not_found(msg: String) -> AppError {
    AppError::sdk(depin_app::error::sdk::NOT_FOUND, msg)
}

fn id_of(id: u64) -> AppResult<u64> {
    if id == 0 {
        return Err(bad(
            "proposal_id is required (proposals are numbered from 1)",
        ));
    }
    Ok(id)
}

/// The page's start key within `prefix` (the request's key, which `paginate` returned as
/// `next_key`, is a full store key under the prefix; any other key is refused).
fn start<'a>(page: Option<&'a PageRequest>, prefix: &[u8]) -> AppResult<Option<&'a [u8]>> {
    match page.filter(|p| !p.key.is_empty()) {
        None => Ok(None),
        Some(p) if p.key.starts_with(prefix) => Ok(Some(p.key.as_slice())),
        Some(_) => Err(bad(
            "pagination.key is not a key this query returned: pass next_key unchanged",
        )),
    }
}

/// How many rows a page needs read: all of them when the total is counted.
fn rows_needed(page: Option<&PageRequest>) -> usize {
    page.filter(|p| p.limit > 0 && !p.count_total)
        .map(|p| p.offset.saturating_add(p.limit).saturating_add(1))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX)
}

impl GovModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        Ok(match method {
            "Constitution" => {
                let _: QueryConstitutionRequest = decode_query(path, req)?;
                QueryConstitutionResponse {
                    constitution: self.keeper.constitution(ctx)?,
                }
                .encode_to_vec()
            }
            "Proposal" => {
                let r: QueryProposalRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let proposal = self
                    .keeper
                    .proposal(ctx, id)?
                    .ok_or(GovError::UnknownProposal(id))?;
                QueryProposalResponse {
                    proposal: Some(proposal),
                }
                .encode_to_vec()
            }
            "Proposals" => self
                .q_proposals(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Vote" => {
                let r: QueryVoteRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let voter = self.keeper.codec().decode(&r.voter)?;
                let vote = Store::new(ctx).vote(id, &voter)?.ok_or_else(|| {
                    not_found(format!("{} has no vote on proposal {id}", r.voter))
                })?;
                QueryVoteResponse { vote: Some(vote) }.encode_to_vec()
            }
            "Votes" => {
                let r: QueryVotesRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let (votes, pagination) =
                    self.page_entries::<Vote>(ctx, VOTE, id, r.pagination.as_ref())?;
                QueryVotesResponse {
                    votes,
                    pagination: Some(pagination),
                }
                .encode_to_vec()
            }
            #[allow(deprecated)]
            "Params" => {
                let r: QueryParamsRequest = decode_query(path, req)?;
                let p = self.keeper.params(ctx)?.to_proto();
                // As the SDK: `params` always; the deprecated per-type params for the type
                // asked for.
                let mut out = QueryParamsResponse {
                    params: Some(p.clone()),
                    ..Default::default()
                };
                match r.params_type.as_str() {
                    "voting" => {
                        out.voting_params = Some(VotingParams {
                            voting_period: p.voting_period,
                        })
                    }
                    "deposit" => {
                        out.deposit_params = Some(DepositParams {
                            min_deposit: p.min_deposit.clone(),
                            max_deposit_period: p.max_deposit_period,
                        })
                    }
                    "tallying" => {
                        out.tally_params = Some(TallyParams {
                            quorum: p.quorum.clone(),
                            threshold: p.threshold.clone(),
                            veto_threshold: p.veto_threshold.clone(),
                        })
                    }
                    "" => {}
                    other => {
                        return Err(bad(format!(
                            "params_type {other:?} is not one of voting, deposit, tallying"
                        )))
                    }
                }
                out.encode_to_vec()
            }
            "Deposit" => {
                let r: QueryDepositRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let depositor = self.keeper.codec().decode(&r.depositor)?;
                let deposit = Store::new(ctx).deposit(id, &depositor)?.ok_or_else(|| {
                    not_found(format!("{} has no deposit on proposal {id}", r.depositor))
                })?;
                QueryDepositResponse {
                    deposit: Some(deposit),
                }
                .encode_to_vec()
            }
            "Deposits" => {
                let r: QueryDepositsRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let (deposits, pagination) =
                    self.page_entries::<Deposit>(ctx, DEPOSIT, id, r.pagination.as_ref())?;
                QueryDepositsResponse {
                    deposits,
                    pagination: Some(pagination),
                }
                .encode_to_vec()
            }
            "TallyResult" => {
                let r: QueryTallyResultRequest = decode_query(path, req)?;
                let id = id_of(r.proposal_id)?;
                let p = self
                    .keeper
                    .proposal(ctx, id)?
                    .ok_or(GovError::UnknownProposal(id))?;
                let tally = if p.status == ProposalStatus::DepositPeriod as i32 {
                    empty_tally()
                } else if p.status == ProposalStatus::VotingPeriod as i32 {
                    tally_result_proto(&self.keeper.tally(ctx, id, p.expedited)?.result)
                } else {
                    p.final_tally_result.unwrap_or_else(empty_tally)
                };
                QueryTallyResultResponse { tally: Some(tally) }.encode_to_vec()
            }
            other => {
                return Err(AppError::sdk(
                    depin_app::error::sdk::UNKNOWN_REQUEST,
                    format!("unknown query {SERVICE}/{other}"),
                ))
            }
        })
    }

    /// A page of the votes or deposits (`tag`) on proposal `id`.
    fn page_entries<T: Message + Default>(
        &self,
        ctx: &mut Ctx<'_, '_>,
        tag: u8,
        id: u64,
        page: Option<&PageRequest>,
    ) -> AppResult<(
        Vec<T>,
        cosmrs::proto::cosmos::base::query::v1beta1::PageResponse,
    )> {
        let prefix = entry_key(tag, id, &[]);
        let from = start(page, &prefix)?;
        let rows = Store::new(ctx).scan_limited(&prefix, from, rows_needed(page));
        paginate(
            rows.into_iter()
                .map(|(k, v)| decode::<T>("entry", &v).map(|t| (k, t))),
            page,
        )
    }

    /// Proposals, filtered by status, voter and depositor (all optional), by id. The narrowest
    /// index available is walked: the voter's votes, the depositor's deposits, the status, or
    /// every proposal.
    fn q_proposals(
        &self,
        ctx: &mut Ctx<'_, '_>,
        r: QueryProposalsRequest,
    ) -> AppResult<QueryProposalsResponse> {
        let codec = self.keeper.codec();
        let voter = (!r.voter.is_empty())
            .then(|| codec.decode(&r.voter))
            .transpose()?;
        let depositor = (!r.depositor.is_empty())
            .then(|| codec.decode(&r.depositor))
            .transpose()?;
        let status = r.proposal_status;
        if ProposalStatus::try_from(status).is_err() {
            return Err(bad(format!(
                "proposal_status {status} is not a proposal status"
            )));
        }
        let prefix = if let Some(v) = &voter {
            by_account_key(BY_VOTER, v, None)
        } else if let Some(d) = &depositor {
            by_account_key(BY_DEPOSITOR, d, None)
        } else if status != 0 {
            let mut p = status_key(status, 0);
            p.truncate(2);
            p
        } else {
            vec![PROPOSAL]
        };
        let page = r.pagination.as_ref();
        let from = start(page, &prefix)?;
        // One filter (or none) is exactly the index walked: read only what the page needs.
        let filters = [voter.is_some(), depositor.is_some(), status != 0]
            .iter()
            .filter(|f| **f)
            .count();
        let needed = if filters <= 1 {
            rows_needed(page)
        } else {
            usize::MAX
        };
        let direct = prefix == [PROPOSAL];
        let keys = Store::new(ctx).scan_limited(&prefix, from, needed);
        let mut rows = Vec::new();
        for (key, value) in keys {
            let id = trailing_id(&key)?;
            let mut store = Store::new(ctx);
            let p = if direct {
                decode::<Proposal>("proposal", &value)?
            } else {
                match store.proposal(id)? {
                    Some(p) => p,
                    None => continue,
                }
            };
            if status != 0 && p.status != status {
                continue;
            }
            if let Some(v) = &voter {
                if store.get(&entry_key(VOTE, id, v)).is_none() {
                    continue;
                }
            }
            if let Some(d) = &depositor {
                if store.get(&entry_key(DEPOSIT, id, d)).is_none() {
                    continue;
                }
            }
            rows.push(Ok((key, p)));
        }
        let (proposals, pagination) = paginate(rows.into_iter(), page)?;
        Ok(QueryProposalsResponse {
            proposals,
            pagination: Some(pagination),
        })
    }
}
