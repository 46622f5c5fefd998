//! Governance on the reference chain: proposals through deposit and voting, the tally with
//! inheritance, execution with the gov account as authority, deposits refunded or burned,
//! cancellation, expedited proposals, refusals, queries, genesis export and import.

mod common;

use common::*;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::proto::cosmos::gov::v1beta1 as pb1;
use depin_simapp::DENOM;
use pb::ProposalStatus as S;
use pb::VoteOption::{Abstain, No, NoWithVeto, Yes};

const OPS: usize = 3; // keys 0..3 are validator operators
const ALICE: usize = 3;
const BOB: usize = 4;

fn attr<'a>(e: &'a depin_app::context::Event, key: &str) -> &'a str {
    e.get(key).unwrap_or_default()
}

#[test]
fn a_passed_proposal_runs_its_messages_and_refunds_the_deposits() {
    let mut c = Chain::new(5);
    let supply = c.supply();
    let (alice0, bob0) = (c.balance(ALICE), c.balance(BOB));

    // Submitted short of the minimum: deposit period.
    let id = c.submit(ALICE, vec![community_tax_msg("0.05")], MIN_DEPOSIT / 2);
    assert_eq!(id, 1);
    let e = &c.events_of("submit_proposal")[0];
    assert_eq!(attr(e, "proposal_id"), "1");
    assert_eq!(
        attr(e, "proposal_messages"),
        ",/cosmos.distribution.v1beta1.MsgUpdateParams"
    );
    assert_eq!(c.status(id), S::DepositPeriod);
    assert_eq!(c.gov_balance(), MIN_DEPOSIT / 2);
    // Votes are refused before the voting period.
    let v = c.vote_msg(OPS - 1, id, Yes);
    c.fails(OPS - 1, vec![v], "gov", 3);

    // Bob completes the deposit: voting starts.
    let d = c.deposit_msg(BOB, id, MIN_DEPOSIT / 2);
    c.ok(BOB, vec![d]);
    let e = c.events_of("proposal_deposit");
    assert_eq!(attr(&e[0], "depositor"), c.address(BOB));
    assert_eq!(attr(&e[1], "voting_period_start"), "1");
    let p = c.proposal(id);
    assert_eq!(p.status, S::VotingPeriod as i32);
    assert_eq!(
        p.voting_end_time.unwrap().seconds - p.voting_start_time.unwrap().seconds,
        50
    );

    // Validators 0 and 1 (70% of the stake) vote yes, validator 2 no.
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.vote(2, id, No);
    let t = c.tally(id);
    assert_eq!(
        (t.yes_count.as_str(), t.no_count.as_str()),
        ("70000000", "30000000")
    );
    assert_eq!(community_tax(&c), "20000000000000000");

    c.finish_voting(id);
    let p = c.proposal(id);
    assert_eq!(p.status, S::Passed as i32, "{}", p.failed_reason);
    assert_eq!(p.final_tally_result.unwrap().yes_count, "70000000");
    let e = c
        .events_of("active_proposal")
        .into_iter()
        .next()
        .expect("active_proposal event");
    assert_eq!(attr(&e, "proposal_result"), "proposal_passed");
    // The message ran with the gov account as its authority.
    assert_eq!(community_tax(&c), "50000000000000000");
    // Deposits back to the unit; nothing burned; votes and deposits gone from state.
    assert_eq!((c.balance(ALICE), c.balance(BOB)), (alice0, bob0));
    assert_eq!(c.gov_balance(), 0);
    assert_eq!(c.supply(), supply);
    let votes: pb::QueryVotesResponse = c.query(
        "/cosmos.gov.v1.Query/Votes",
        pb::QueryVotesRequest {
            proposal_id: id,
            pagination: None,
        },
    );
    assert!(votes.votes.is_empty());
}

#[test]
fn delegators_inherit_their_validators_vote_unless_they_vote_themselves() {
    let mut c = Chain::new(5);
    c.delegate(ALICE, 0, 20_000_000); // validator 0: 60M, of which Alice 20M
    c.delegate(BOB, 1, 10_000_000); // validator 1: 40M, of which Bob 10M
    let id = c.submit(ALICE, vec![community_tax_msg("0.03")], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, No);
    // Alice overrides validator 0 with a weighted vote; Bob says nothing and follows
    // validator 1.
    let m = common::any(
        "/cosmos.gov.v1.MsgVoteWeighted",
        pb::MsgVoteWeighted {
            proposal_id: id,
            voter: c.address(ALICE),
            options: vec![
                pb::WeightedVoteOption {
                    option: No as i32,
                    weight: "0.75".into(),
                },
                pb::WeightedVoteOption {
                    option: Abstain as i32,
                    weight: "0.25".into(),
                },
            ],
            metadata: String::new(),
        },
    );
    c.ok(ALICE, vec![m]);
    let v: pb::QueryVoteResponse = c.query(
        "/cosmos.gov.v1.Query/Vote",
        pb::QueryVoteRequest {
            proposal_id: id,
            voter: c.address(ALICE),
        },
    );
    assert_eq!(v.vote.unwrap().options[0].weight, "0.750000000000000000");
    let t = c.tally(id);
    // yes: validator 0's own 40M; no: validator 1's 40M (Bob inherited) + 15M of Alice;
    // abstain: 5M of Alice; validator 2 did not vote.
    assert_eq!(
        (
            t.yes_count.as_str(),
            t.no_count.as_str(),
            t.abstain_count.as_str()
        ),
        ("40000000", "55000000", "5000000")
    );
    // Bob votes yes himself: his 10M leave validator 1's no.
    let v1 = common::any(
        "/cosmos.gov.v1beta1.MsgVote",
        pb1::MsgVote {
            proposal_id: id,
            voter: c.address(BOB),
            option: Yes as i32,
        },
    );
    c.ok(BOB, vec![v1]);
    let t = c.tally(id);
    assert_eq!(
        (t.yes_count.as_str(), t.no_count.as_str()),
        ("50000000", "45000000")
    );
    // 50 / (100 − 5) > 1/2: passes.
    c.finish_voting(id);
    assert_eq!(c.status(id), S::Passed);
    assert_eq!(community_tax(&c), "30000000000000000");
}

#[test]
fn below_quorum_and_veto_burn_the_deposit_a_plain_no_refunds_it() {
    let mut c = Chain::new(5);
    let supply = c.supply();
    let alice0 = c.balance(ALICE);
    // Quorum is 33.4%: validator 1 alone (30%) is not enough.
    let quiet = c.submit(ALICE, vec![community_tax_msg("0.04")], MIN_DEPOSIT);
    c.vote(1, quiet, Yes);
    // Vetoed: 40% no_with_veto > 33.4%.
    let vetoed = c.submit(ALICE, vec![community_tax_msg("0.06")], MIN_DEPOSIT);
    c.vote(0, vetoed, NoWithVeto);
    c.vote(1, vetoed, Yes);
    c.vote(2, vetoed, Yes);
    // Rejected by a plain no: refunded.
    let refused = c.submit(BOB, vec![community_tax_msg("0.07")], MIN_DEPOSIT);
    let bob_after_submit = c.balance(BOB);
    c.vote(0, refused, No);
    c.vote(1, refused, Yes);
    assert_eq!(c.gov_balance(), 3 * MIN_DEPOSIT);
    c.finish_voting(refused);
    for id in [quiet, vetoed, refused] {
        assert_eq!(c.status(id), S::Rejected, "proposal {id}");
    }
    assert_eq!(community_tax(&c), "20000000000000000");
    assert_eq!(c.gov_balance(), 0);
    assert_eq!(c.balance(ALICE), alice0 - 2 * MIN_DEPOSIT);
    assert_eq!(c.balance(BOB), bob_after_submit + MIN_DEPOSIT);
    assert_eq!(c.supply(), supply - 2 * MIN_DEPOSIT);
    let t = c.proposal(vetoed).final_tally_result.unwrap();
    assert_eq!(t.no_with_veto_count, "40000000");
}

#[test]
fn a_failing_message_fails_the_whole_proposal_atomically() {
    let mut c = Chain::new(5);
    // The first message would pass; the second spends more than the community pool holds.
    let spend = common::any(
        "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
        cosmrs::proto::cosmos::distribution::v1beta1::MsgCommunityPoolSpend {
            authority: gov_address(),
            recipient: c.address(BOB),
            amount: coins(1_000_000_000_000_000),
        },
    );
    let id = c.submit(ALICE, vec![community_tax_msg("0.09"), spend], MIN_DEPOSIT);
    let alice = c.balance(ALICE);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.finish_voting(id);
    let p = c.proposal(id);
    assert_eq!(p.status, S::Failed as i32);
    assert!(p.failed_reason.contains("message 1"), "{}", p.failed_reason);
    assert!(
        p.failed_reason.contains("community pool"),
        "{}",
        p.failed_reason
    );
    // Nothing of the first message stayed; the deposit came back (the vote passed).
    assert_eq!(community_tax(&c), "20000000000000000");
    assert_eq!(c.balance(ALICE), alice + MIN_DEPOSIT);
}

#[test]
fn proposals_may_not_spend_the_deposits_of_others() {
    let mut c = Chain::new(5);
    let send = depin_simapp::testing::msg_send(&gov_address(), &c.address(ALICE), MIN_DEPOSIT / 2);
    let id = c.submit(ALICE, vec![send], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    // Bob's proposal waits for deposits while Alice's is decided.
    c.advance(5);
    let waiting = c.submit(BOB, vec![], MIN_DEPOSIT / 2);
    c.finish_voting(id);
    let p = c.proposal(id);
    assert_eq!(p.status, S::Failed as i32);
    assert!(
        p.failed_reason
            .contains("deposits held for other proposals"),
        "{}",
        p.failed_reason
    );
    assert_eq!(c.gov_balance(), MIN_DEPOSIT / 2);
    // Bob's proposal never reaches the minimum: dropped, deposit refunded (the default does
    // not burn it).
    let bob = c.balance(BOB);
    let end = c.proposal(waiting).deposit_end_time.unwrap().seconds;
    while c.driver.time() < end {
        c.block();
    }
    let e = &c.events_of("inactive_proposal")[0];
    assert_eq!(attr(e, "proposal_id"), waiting.to_string());
    let (codespace, code, _) = c.query_err(
        "/cosmos.gov.v1.Query/Proposal",
        pb::QueryProposalRequest {
            proposal_id: waiting,
        },
    );
    assert_eq!((codespace.as_str(), code), ("gov", 2));
    assert_eq!(c.balance(BOB), bob + MIN_DEPOSIT / 2);
    assert_eq!(c.gov_balance(), 0);
}

#[test]
fn the_proposer_cancels_and_half_the_deposits_are_burned() {
    let mut c = Chain::new(5);
    let supply = c.supply();
    let id = c.submit(ALICE, vec![community_tax_msg("0.08")], 5_000_001);
    let d = c.deposit_msg(BOB, id, 4_999_999);
    c.ok(BOB, vec![d]);
    c.vote(0, id, Yes);
    let (alice, bob) = (c.balance(ALICE), c.balance(BOB));
    let cancel = |c: &Chain, i: usize| {
        common::any(
            "/cosmos.gov.v1.MsgCancelProposal",
            pb::MsgCancelProposal {
                proposal_id: id,
                proposer: c.address(i),
            },
        )
    };
    let m = cancel(&c, BOB);
    let log = c.fails(BOB, vec![m], "gov", 18);
    assert!(log.contains("only the proposer"), "{log}");
    let m = cancel(&c, ALICE);
    c.ok(ALICE, vec![m]);
    // Half of each deposit, rounded down, is burned; the rest goes back.
    assert_eq!(c.balance(ALICE), alice + 2_500_001);
    assert_eq!(c.balance(BOB), bob + 2_500_000);
    assert_eq!(c.supply(), supply - 2_500_000 - 2_499_999);
    assert_eq!(c.gov_balance(), 0);
    let (_, code, _) = c.query_err(
        "/cosmos.gov.v1.Query/Proposal",
        pb::QueryProposalRequest { proposal_id: id },
    );
    assert_eq!(code, 2);
    assert_eq!(c.events_of("cancel_proposal").len(), 1);
}

#[test]
fn an_expedited_proposal_needs_two_thirds_or_becomes_a_regular_one() {
    let mut c = Chain::new(5);
    // Below the expedited minimum deposit it waits in the deposit period.
    let fast = c.submit_with(
        ALICE,
        vec![community_tax_msg("0.11")],
        5 * MIN_DEPOSIT,
        true,
    );
    let p = c.proposal(fast);
    assert_eq!(p.status, S::VotingPeriod as i32);
    assert_eq!(
        p.voting_end_time.unwrap().seconds - p.voting_start_time.unwrap().seconds,
        20
    );
    // 70% yes: above the expedited threshold of 2/3.
    c.vote(0, fast, Yes);
    c.vote(1, fast, Yes);
    c.finish_voting(fast);
    assert_eq!(c.status(fast), S::Passed);
    assert_eq!(community_tax(&c), "110000000000000000");

    // 40 yes of 70 non-abstaining (57%): below 2/3, so it becomes a regular proposal and
    // runs the regular period with its votes kept.
    let slow = c.submit_with(
        ALICE,
        vec![community_tax_msg("0.12")],
        5 * MIN_DEPOSIT,
        true,
    );
    c.vote(0, slow, Yes);
    c.vote(1, slow, No);
    c.vote(2, slow, Abstain);
    let start = c.proposal(slow).voting_start_time.unwrap().seconds;
    c.finish_voting(slow);
    let p = c.proposal(slow);
    assert_eq!(p.status, S::VotingPeriod as i32);
    assert!(!p.expedited);
    assert_eq!(p.voting_end_time.unwrap().seconds - start, 50);
    let e = c.events_of("active_proposal");
    assert_eq!(
        attr(&e[0], "proposal_result"),
        "expedited_proposal_rejected"
    );
    assert_eq!(c.gov_balance(), 5 * MIN_DEPOSIT);
    // The votes carried over: 57% passes the regular threshold of 1/2.
    c.finish_voting(slow);
    assert_eq!(c.status(slow), S::Passed);
    assert_eq!(community_tax(&c), "120000000000000000");
    assert_eq!(c.gov_balance(), 0);
}

#[test]
fn bad_proposals_votes_and_deposits_are_refused_without_state_changes() {
    let mut c = Chain::new(5);
    // A message the gov account does not sign.
    let send = depin_simapp::testing::msg_send(&c.address(ALICE), &c.address(BOB), 1);
    let m = c.submit_msg(ALICE, vec![send], MIN_DEPOSIT, false);
    let log = c.fails(ALICE, vec![m], "gov", 13);
    assert!(log.contains("only signer"), "{log}");
    // A message nobody routes.
    let unknown = common::any("/nobody.v1.MsgNothing", pb::MsgVoteResponse {});
    let m = c.submit_msg(ALICE, vec![unknown], MIN_DEPOSIT, false);
    c.fails(ALICE, vec![m], "gov", 10);
    // Governance's own deposit message inside a proposal.
    let inner = c.deposit_msg(ALICE, 1, 1);
    let m = c.submit_msg(ALICE, vec![inner], MIN_DEPOSIT, false);
    c.fails(ALICE, vec![m], "gov", 12);
    // Its v1beta1 forms too.
    let inner = common::any(
        "/cosmos.gov.v1beta1.MsgDeposit",
        pb1::MsgDeposit {
            proposal_id: 1,
            depositor: gov_address(),
            amount: coins(1),
        },
    );
    let m = c.submit_msg(ALICE, vec![inner], MIN_DEPOSIT, false);
    c.fails(ALICE, vec![m], "gov", 12);
    // More messages than a proposal may carry.
    let m = c.submit_msg(
        ALICE,
        vec![community_tax_msg("0.05"); 65],
        MIN_DEPOSIT,
        false,
    );
    c.fails(ALICE, vec![m], "gov", 5);
    // Governance params that would break it: a period beyond a year, deposits charged on
    // cancel sent to a module account (the bonded pool).
    let gov_update = |edit: &dyn Fn(&mut depin_gov::Params)| {
        let mut p = gov_params();
        edit(&mut p);
        common::any(
            "/cosmos.gov.v1.MsgUpdateParams",
            pb::MsgUpdateParams {
                authority: gov_address(),
                params: Some(p.to_proto()),
            },
        )
    };
    for bad in [
        gov_update(&|p| p.voting_period_ns = 400 * 86_400 * 1_000_000_000),
        gov_update(&|p| p.proposal_cancel_dest = module(depin_staking::BONDED_POOL)),
        gov_update(&|p| p.proposal_cancel_dest = "depin1nothing".into()),
    ] {
        let m = c.submit_msg(ALICE, vec![bad], MIN_DEPOSIT, false);
        c.fails(ALICE, vec![m], "gov", 12);
    }
    // An invalid inner message (bad params): refused at submission.
    let m = c.submit_msg(ALICE, vec![community_tax_msg("2")], MIN_DEPOSIT, false);
    c.fails(ALICE, vec![m], "gov", 12);
    // Text fields.
    let mut m = pb::MsgSubmitProposal {
        messages: vec![],
        initial_deposit: coins(MIN_DEPOSIT),
        proposer: c.address(ALICE),
        metadata: String::new(),
        title: String::new(),
        summary: "s".into(),
        expedited: false,
    };
    c.fails(
        ALICE,
        vec![common::any("/cosmos.gov.v1.MsgSubmitProposal", m.clone())],
        "gov",
        5,
    );
    m.title = "t".into();
    m.metadata = "x".repeat(256);
    c.fails(
        ALICE,
        vec![common::any("/cosmos.gov.v1.MsgSubmitProposal", m.clone())],
        "gov",
        15,
    );
    m.metadata = String::new();
    m.summary = "x".repeat(10_201);
    c.fails(
        ALICE,
        vec![common::any("/cosmos.gov.v1.MsgSubmitProposal", m.clone())],
        "gov",
        22,
    );
    // A deposit in a denom governance does not take.
    m.summary = "s".into();
    m.initial_deposit = vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: "uother".into(),
        amount: "5".into(),
    }];
    c.fails(
        ALICE,
        vec![common::any("/cosmos.gov.v1.MsgSubmitProposal", m)],
        "gov",
        23,
    );

    // A proposal to vote and deposit on.
    let id = c.submit(ALICE, vec![], MIN_DEPOSIT);
    // Unknown proposal.
    let v = c.vote_msg(BOB, 99, Yes);
    c.fails(BOB, vec![v], "gov", 2);
    // Options: unspecified, weights not summing to 1, an option twice.
    let v = c.vote_msg(BOB, id, pb::VoteOption::Unspecified);
    c.fails(BOB, vec![v], "gov", 7);
    for options in [
        vec![("1", "0.5"), ("3", "0.4")],
        vec![("1", "0.5"), ("1", "0.5")],
        vec![("1", "1.5")],
        vec![],
    ] {
        let m = common::any(
            "/cosmos.gov.v1.MsgVoteWeighted",
            pb::MsgVoteWeighted {
                proposal_id: id,
                voter: c.address(BOB),
                options: options
                    .iter()
                    .map(|(o, w)| pb::WeightedVoteOption {
                        option: o.parse().unwrap(),
                        weight: w.to_string(),
                    })
                    .collect(),
                metadata: String::new(),
            },
        );
        c.fails(BOB, vec![m], "gov", 7);
    }
    // A deposit below min_deposit_ratio (1% of the minimum).
    let d = c.deposit_msg(BOB, id, MIN_DEPOSIT / 100 - 1);
    c.fails(BOB, vec![d], "gov", 16);
    // Params only from the gov account.
    let mut params = gov_params().to_proto();
    let m = common::any(
        "/cosmos.gov.v1.MsgUpdateParams",
        pb::MsgUpdateParams {
            authority: c.address(ALICE),
            params: Some(params.clone()),
        },
    );
    c.fails(ALICE, vec![m], "sdk", 4);
    // ... and valid: through a proposal, an invalid set fails the proposal.
    params.quorum = "1.5".into();
    let m = common::any(
        "/cosmos.gov.v1.MsgUpdateParams",
        pb::MsgUpdateParams {
            authority: gov_address(),
            params: Some(params),
        },
    );
    let m = c.submit_msg(ALICE, vec![m], MIN_DEPOSIT, false);
    c.fails(ALICE, vec![m], "gov", 12);
}

#[test]
fn governance_changes_its_own_params() {
    let mut c = Chain::new(5);
    let mut params = gov_params();
    params.voting_period_ns = 20 * BLOCK_NS;
    params.quorum = "0.5".parse().unwrap();
    let m = common::any(
        "/cosmos.gov.v1.MsgUpdateParams",
        pb::MsgUpdateParams {
            authority: gov_address(),
            params: Some(params.to_proto()),
        },
    );
    let id = c.submit(ALICE, vec![m], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.finish_voting(id);
    assert_eq!(c.status(id), S::Passed);
    let r: pb::QueryParamsResponse = c.query(
        "/cosmos.gov.v1.Query/Params",
        pb::QueryParamsRequest {
            params_type: "tallying".into(),
        },
    );
    assert_eq!(r.params.unwrap().quorum, "0.500000000000000000");
    #[allow(deprecated)]
    let tally = r.tally_params.unwrap();
    assert_eq!(tally.quorum, "0.500000000000000000");
    // The next proposal votes for 100 s.
    let id = c.submit(ALICE, vec![], MIN_DEPOSIT);
    let p = c.proposal(id);
    assert_eq!(
        p.voting_end_time.unwrap().seconds - p.voting_start_time.unwrap().seconds,
        100
    );
}

#[test]
fn proposals_are_listed_by_status_voter_and_depositor() {
    let mut c = Chain::new(5);
    let a = c.submit(ALICE, vec![], MIN_DEPOSIT / 2); // deposit period
    let b = c.submit(BOB, vec![], MIN_DEPOSIT); // voting
    let d = c.deposit_msg(BOB, a, MIN_DEPOSIT / 4);
    c.ok(BOB, vec![d]);
    let e = c.submit(ALICE, vec![], MIN_DEPOSIT); // voting
    c.vote(0, b, Yes);
    c.vote(0, e, No);
    c.vote(1, e, Yes);
    let list = |c: &Chain, status: S, voter: &str, depositor: &str, limit: u64| -> Vec<u64> {
        let r: pb::QueryProposalsResponse = c.query(
            "/cosmos.gov.v1.Query/Proposals",
            pb::QueryProposalsRequest {
                proposal_status: status as i32,
                voter: voter.into(),
                depositor: depositor.into(),
                pagination: (limit > 0).then(|| {
                    cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                        limit,
                        ..Default::default()
                    }
                }),
            },
        );
        r.proposals.iter().map(|p| p.id).collect()
    };
    assert_eq!(list(&c, S::Unspecified, "", "", 0), vec![a, b, e]);
    assert_eq!(list(&c, S::Unspecified, "", "", 2), vec![a, b]);
    assert_eq!(list(&c, S::VotingPeriod, "", "", 0), vec![b, e]);
    assert_eq!(list(&c, S::DepositPeriod, "", "", 0), vec![a]);
    assert_eq!(list(&c, S::Unspecified, &c.address(0), "", 0), vec![b, e]);
    assert_eq!(list(&c, S::Unspecified, &c.address(1), "", 0), vec![e]);
    assert_eq!(list(&c, S::Unspecified, "", &c.address(BOB), 0), vec![a, b]);
    assert_eq!(list(&c, S::VotingPeriod, "", &c.address(BOB), 0), vec![b]);
    assert_eq!(
        list(&c, S::VotingPeriod, &c.address(1), &c.address(BOB), 0),
        Vec::<u64>::new()
    );
    let (_, code, log) = c.query_err(
        "/cosmos.gov.v1.Query/Proposals",
        pb::QueryProposalsRequest {
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                key: b"n".to_vec(),
                limit: 1,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(code, 18, "{log}");
    // Paging by the key a page returned.
    let first: pb::QueryProposalsResponse = c.query(
        "/cosmos.gov.v1.Query/Proposals",
        pb::QueryProposalsRequest {
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                limit: 1,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let next: pb::QueryProposalsResponse = c.query(
        "/cosmos.gov.v1.Query/Proposals",
        pb::QueryProposalsRequest {
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                key: first.pagination.unwrap().next_key,
                limit: 5,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(first.proposals[0].id, a);
    assert_eq!(
        next.proposals.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![b, e]
    );
    let r: pb::QueryDepositsResponse = c.query(
        "/cosmos.gov.v1.Query/Deposits",
        pb::QueryDepositsRequest {
            proposal_id: a,
            pagination: None,
        },
    );
    let got: Vec<(String, String)> = r
        .deposits
        .iter()
        .map(|d| (d.depositor.clone(), d.amount[0].amount.clone()))
        .collect();
    let mut want = vec![
        (c.address(ALICE), (MIN_DEPOSIT / 2).to_string()),
        (c.address(BOB), (MIN_DEPOSIT / 4).to_string()),
    ];
    want.sort_by_key(|(a, _)| {
        depin_app::address::AddressCodec::new("depin")
            .decode(a)
            .unwrap()
    });
    assert_eq!(got, want);
    // Decided proposals stay listed by status; their votes are gone.
    c.finish_voting(e);
    assert_eq!(list(&c, S::Passed, "", "", 0), vec![b]);
    assert_eq!(list(&c, S::Rejected, "", "", 0), vec![e]);
    assert_eq!(
        list(&c, S::Unspecified, &c.address(0), "", 0),
        Vec::<u64>::new()
    );
}

#[test]
fn an_exported_chain_continues_a_vote_in_progress() {
    let mut c = Chain::new(5);
    let id = c.submit(ALICE, vec![community_tax_msg("0.13")], MIN_DEPOSIT);
    let waiting = c.submit(BOB, vec![], MIN_DEPOSIT / 3);
    c.vote(0, id, Yes);
    c.vote(1, id, Abstain);
    let exported = c.export();
    let height = c.height();
    let keys = test_keys(5);
    let mut d = Chain::with_state(keys, &exported, height + 1);
    d.driver.set_time(c.driver.time());
    assert_eq!(d.export()["gov"], c.export()["gov"]);
    for chain in [&mut c, &mut d] {
        chain.vote(2, id, Yes);
        chain.finish_voting(id);
        assert_eq!(chain.status(id), S::Passed);
        assert_eq!(community_tax(chain), "130000000000000000");
        assert_eq!(chain.status(waiting), S::DepositPeriod);
        assert_eq!(chain.gov_balance(), MIN_DEPOSIT / 3);
    }
}

#[test]
fn genesis_with_inconsistent_governance_state_is_refused() {
    let keys = test_keys(5);
    let mut c = Chain::new(5);
    let id = c.submit(ALICE, vec![], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    let good = c.export();
    type Corrupt = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Corrupt)> = vec![
        (
            "a deposit more than the gov account holds",
            Box::new(|g| {
                g["gov"]["deposits"][0]["amount"][0]["amount"] = "1".into();
            }),
        ),
        (
            "a vote on a missing proposal",
            Box::new(|g| {
                g["gov"]["votes"][0]["proposal_id"] = 9.into();
            }),
        ),
        (
            "an id at or above the next id",
            Box::new(|g| {
                g["gov"]["starting_proposal_id"] = 1.into();
            }),
        ),
        (
            "an unknown status",
            Box::new(|g| {
                g["gov"]["proposals"][0]["status"] = "PROPOSAL_STATUS_MAYBE".into();
            }),
        ),
        (
            "weights not summing to 1",
            Box::new(|g| {
                g["gov"]["votes"][0]["options"][0]["weight"] = "0.5".into();
            }),
        ),
        (
            "bad params",
            Box::new(|g| {
                g["gov"]["params"]["quorum"] = "0".into();
            }),
        ),
    ];
    for (what, corrupt) in cases {
        let mut g = good.clone();
        corrupt(&mut g);
        let keys = test_keys(5);
        let err = Chain::try_with_state(keys, &g, 100).err();
        assert!(err.is_some(), "{what} was accepted");
    }
    // The untouched export imports.
    Chain::with_state(keys, &good, 100);
}

#[test]
fn a_software_upgrade_halts_the_chain_until_a_binary_that_knows_it_migrates() {
    use cosmrs::proto::cosmos::upgrade::v1beta1 as upb;
    let mut c = Chain::new(5);
    let plan_height = c.height() + 16;
    let upgrade = common::any(
        "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
        upb::MsgSoftwareUpgrade {
            authority: gov_address(),
            plan: Some(upb::Plan {
                name: "v2".into(),
                height: plan_height as i64,
                info: "binaries at the release page".into(),
                ..Default::default()
            }),
        },
    );
    let id = c.submit(ALICE, vec![upgrade], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.finish_voting(id);
    assert_eq!(c.status(id), S::Passed, "{}", c.proposal(id).failed_reason);
    let r: upb::QueryCurrentPlanResponse = c.query(
        "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
        upb::QueryCurrentPlanRequest {},
    );
    assert_eq!(r.plan.unwrap().height, plan_height as i64);

    // The running binary does not know "v2": the block at the plan height halts, uncommitted.
    while c.height() + 1 < plan_height {
        c.block();
    }
    let hash = c.driver.node().store().info().root;
    let halt = c.driver.try_block(vec![]).unwrap_err();
    assert!(halt.is_halt());
    assert!(
        halt.message
            .contains(&format!("UPGRADE \"v2\" NEEDED at height: {plan_height}")),
        "{}",
        halt.message
    );
    assert_eq!(c.height(), plan_height - 1);
    assert_eq!(c.driver.node().store().info().root, hash);
    // Restarted unchanged, it halts again at the same block.
    c.reopen(depin_simapp::default_app());
    assert!(c.driver.try_block(vec![]).unwrap_err().is_halt());

    // A binary with the migration applies it and goes on.
    let handler: depin_upgrade::UpgradeHandler = std::sync::Arc::new(|ctx, versions| {
        // The migration moves gov to version 2; the version map it returns is stored.
        let _ = ctx;
        let mut out = versions.clone();
        out.insert("gov".into(), 2);
        Ok(out)
    });
    let app = depin_simapp::build_app_with(
        depin_app::app::AppConfig::default(),
        depin_simapp::UpgradeOptions {
            info_dir: None,
            handlers: vec![("v2".into(), handler)],
        },
    )
    .unwrap();
    c.reopen(app);
    c.block();
    assert_eq!(c.height(), plan_height);
    let applied: upb::QueryAppliedPlanResponse = c.query(
        "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
        upb::QueryAppliedPlanRequest { name: "v2".into() },
    );
    assert_eq!(applied.height, plan_height as i64);
    let versions: upb::QueryModuleVersionsResponse = c.query(
        "/cosmos.upgrade.v1beta1.Query/ModuleVersions",
        upb::QueryModuleVersionsRequest {
            module_name: "gov".into(),
        },
    );
    assert_eq!(versions.module_versions[0].version, 2);
    let r: upb::QueryCurrentPlanResponse = c.query(
        "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
        upb::QueryCurrentPlanRequest {},
    );
    assert!(r.plan.is_none());
    c.advance(3);
    // Governance still works after the upgrade.
    let id = c.submit(ALICE, vec![community_tax_msg("0.15")], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.finish_voting(id);
    assert_eq!(community_tax(&c), "150000000000000000");
}

/// Updates `$module`'s params to what its Params query answers (changed by `$edit`), as a
/// message from the governance account.
macro_rules! update_params {
    ($c:expr, $pkg:path, $query:literal, $url:literal, |$p:ident| $edit:expr) => {{
        use $pkg as m;
        let r: m::QueryParamsResponse = $c.query($query, m::QueryParamsRequest::default());
        let mut $p = r.params.unwrap();
        $edit;
        common::any(
            $url,
            m::MsgUpdateParams {
                authority: gov_address(),
                params: Some($p),
            },
        )
    }};
}

#[test]
fn every_module_takes_its_authority_gated_messages_from_governance() {
    use cosmrs::proto::cosmos as cp;
    use depin_proto::depin;
    let mut c = Chain::new(5);
    // Fund the community pool so governance can spend from it.
    let fund = common::any(
        "/cosmos.distribution.v1beta1.MsgFundCommunityPool",
        cp::distribution::v1beta1::MsgFundCommunityPool {
            amount: coins(1_000_000),
            depositor: c.address(BOB),
        },
    );
    c.ok(BOB, vec![fund]);
    let bob = c.balance(BOB);
    let msgs = vec![
        update_params!(
            c,
            cp::auth::v1beta1,
            "/cosmos.auth.v1beta1.Query/Params",
            "/cosmos.auth.v1beta1.MsgUpdateParams",
            |p| p.max_memo_characters = 300
        ),
        update_params!(
            c,
            cp::bank::v1beta1,
            "/cosmos.bank.v1beta1.Query/Params",
            "/cosmos.bank.v1beta1.MsgUpdateParams",
            |p| p.default_send_enabled = true
        ),
        update_params!(
            c,
            cp::staking::v1beta1,
            "/cosmos.staking.v1beta1.Query/Params",
            "/cosmos.staking.v1beta1.MsgUpdateParams",
            |p| p.max_validators = 77
        ),
        update_params!(
            c,
            cp::slashing::v1beta1,
            "/cosmos.slashing.v1beta1.Query/Params",
            "/cosmos.slashing.v1beta1.MsgUpdateParams",
            |p| p.signed_blocks_window = 321
        ),
        update_params!(
            c,
            cp::distribution::v1beta1,
            "/cosmos.distribution.v1beta1.Query/Params",
            "/cosmos.distribution.v1beta1.MsgUpdateParams",
            |p| p.withdraw_addr_enabled = true
        ),
        update_params!(
            c,
            depin::device::v1,
            "/depin.device.v1.Query/Params",
            "/depin.device.v1.MsgUpdateParams",
            |p| p.epoch_blocks += 1
        ),
        update_params!(
            c,
            depin::market::v1,
            "/depin.market.v1.Query/Params",
            "/depin.market.v1.MsgUpdateParams",
            |p| p.denom = DENOM.to_string()
        ),
        update_params!(
            c,
            depin::rewards::v1,
            "/depin.rewards.v1.Query/Params",
            "/depin.rewards.v1.MsgUpdateParams",
            |p| p.denom = DENOM.to_string()
        ),
        common::any(
            "/depin.device.v1.MsgRegisterMaker",
            depin::device::v1::MsgRegisterMaker {
                authority: gov_address(),
                name: "acme".into(),
                key: Some(depin::device::v1::PublicKey {
                    r#type: depin::device::v1::KeyType::Secp256k1 as i32,
                    key: c.keys[ALICE].pubkey_bytes(),
                }),
                allowed_classes: vec!["hotspot".into()],
                device_quota: 10,
            },
        ),
        common::any(
            "/depin.market.v1.MsgRegisterAuditor",
            depin::market::v1::MsgRegisterAuditor {
                authority: gov_address(),
                address: c.address(ALICE),
                info: "audits compute providers".into(),
            },
        ),
        common::any(
            "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
            cp::distribution::v1beta1::MsgCommunityPoolSpend {
                authority: gov_address(),
                recipient: c.address(BOB),
                amount: coins(400_000),
            },
        ),
    ];
    // The same messages from anyone but the governance account are refused.
    for m in &msgs {
        let mut m = m.clone();
        m.value = m
            .value
            .windows(gov_address().len())
            .position(|w| w == gov_address().as_bytes())
            .map(|at| {
                let mut v = m.value.clone();
                v[at..at + gov_address().len()].copy_from_slice(c.address(ALICE).as_bytes());
                v
            })
            .unwrap();
        let r = c.tx(ALICE, vec![m.clone()]);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("sdk", 4),
            "{}: {}",
            m.type_url,
            r.log
        );
    }
    let id = c.submit(ALICE, msgs, MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.finish_voting(id);
    assert_eq!(c.status(id), S::Passed, "{}", c.proposal(id).failed_reason);
    let staking: cp::staking::v1beta1::QueryParamsResponse = c.query(
        "/cosmos.staking.v1beta1.Query/Params",
        cp::staking::v1beta1::QueryParamsRequest {},
    );
    assert_eq!(staking.params.unwrap().max_validators, 77);
    let auth: cp::auth::v1beta1::QueryParamsResponse = c.query(
        "/cosmos.auth.v1beta1.Query/Params",
        cp::auth::v1beta1::QueryParamsRequest {},
    );
    assert_eq!(auth.params.unwrap().max_memo_characters, 300);
    let slashing: cp::slashing::v1beta1::QueryParamsResponse = c.query(
        "/cosmos.slashing.v1beta1.Query/Params",
        cp::slashing::v1beta1::QueryParamsRequest {},
    );
    assert_eq!(slashing.params.unwrap().signed_blocks_window, 321);
    let maker: depin::device::v1::QueryMakerResponse = c.query(
        "/depin.device.v1.Query/Maker",
        depin::device::v1::QueryMakerRequest {
            name: "acme".into(),
        },
    );
    assert_eq!(maker.maker.unwrap().device_quota, 10);
    let auditors: depin::market::v1::QueryAuditorsResponse = c.query(
        "/depin.market.v1.Query/Auditors",
        depin::market::v1::QueryAuditorsRequest::default(),
    );
    assert_eq!(auditors.auditors.len(), 1);
    assert_eq!(c.balance(BOB), bob + 400_000);
}

#[test]
fn a_cancel_charge_sent_to_the_community_pool_lands_in_its_books() {
    use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
    let mut c = Chain::new(5);
    let mut p = gov_params();
    p.proposal_cancel_dest = module(depin_distribution::MODULE_ACCOUNT);
    p.proposal_cancel_ratio = "0.1".parse().unwrap();
    let m = common::any(
        "/cosmos.gov.v1.MsgUpdateParams",
        pb::MsgUpdateParams {
            authority: gov_address(),
            params: Some(p.to_proto()),
        },
    );
    let id = c.submit(ALICE, vec![m], MIN_DEPOSIT);
    c.vote(0, id, Yes);
    c.vote(1, id, Yes);
    c.finish_voting(id);
    assert_eq!(c.status(id), S::Passed, "{}", c.proposal(id).failed_reason);
    let pool = |c: &Chain| -> u128 {
        let r: dpb::QueryCommunityPoolResponse = c.query(
            "/cosmos.distribution.v1beta1.Query/CommunityPool",
            dpb::QueryCommunityPoolRequest {},
        );
        r.pool.iter().find(|d| d.denom == DENOM).map_or(0, |d| {
            d.amount.parse::<u128>().unwrap() / 1_000_000_000_000_000_000
        })
    };
    let id = c.submit(BOB, vec![], MIN_DEPOSIT);
    let (before, supply, bob) = (pool(&c), c.supply(), c.balance(BOB));
    let m = common::any(
        "/cosmos.gov.v1.MsgCancelProposal",
        pb::MsgCancelProposal {
            proposal_id: id,
            proposer: c.address(BOB),
        },
    );
    c.ok(BOB, vec![m]);
    // Fees of the block go to validators, not the pool (the chain takes no community tax on
    // zero fees), so the pool grows by the charge alone.
    assert_eq!(pool(&c), before + MIN_DEPOSIT / 10);
    assert_eq!(c.balance(BOB), bob + MIN_DEPOSIT - MIN_DEPOSIT / 10);
    assert_eq!(c.supply(), supply);
    assert_eq!(c.gov_balance(), 0);
}
