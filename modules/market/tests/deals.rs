//! Storage deals through the in-process driver, with the client library building the tree and
//! answering the challenges: the deal story to the unit (payments, fault fees, termination),
//! missed activation, expiry, cancellation, every error path, queries and export → import.
#![cfg(feature = "client")]

mod common;

use common::*;
use cosmrs::Any;
use depin_market::client::{answer, propose_deal_msg, MerkleTree};
use depin_market::msgs::*;
use depin_market::Params;
use depin_proto::depin::market::v1 as pb;
use prost::Message;

/// Proving periods of 5 blocks with 4 challenges, chunks of 256 B to 4 KiB, 10 blocks to
/// accept and to activate, 5% of the collateral per fault, 3 faults in a row terminate.
pub fn deal_params() -> Params {
    Params {
        proving_period_blocks: 5,
        challenges_per_period: 4,
        min_chunk_size: 256,
        max_chunk_size: 4096,
        deal_acceptance_blocks: 10,
        deal_activation_blocks: 10,
        fault_fee_bps: 500,
        max_consecutive_faults: 3,
        usage_retention_epochs: 1_000,
        ..test_params()
    }
}

/// Deterministic pseudo-random bytes (xorshift64).
fn random_data(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

struct Stored {
    data: Vec<u8>,
    tree: MerkleTree,
}

fn stored(len: usize, seed: u64, chunk_size: u32) -> Stored {
    let data = random_data(len, seed);
    let tree = MerkleTree::build(&data, chunk_size).unwrap();
    Stored { data, tree }
}

/// Client 1, provider 2 (1,000 of collateral), provider 3, account 4 idle.
fn chain() -> Chain {
    let mut c = Chain::new(5, deal_params());
    c.provider(2, vec![]);
    c.provider(3, vec![]);
    c
}

fn propose_msg(
    c: &Chain,
    client: usize,
    provider: usize,
    tree: &MerkleTree,
    duration: u64,
    price: u128,
    collateral: u128,
) -> Any {
    any(
        MSG_PROPOSE_DEAL,
        propose_deal_msg(
            c.address(client),
            c.address(provider),
            tree,
            duration,
            coin(price).unwrap(),
            coin(collateral).unwrap(),
        ),
    )
}

fn raw_propose(c: &Chain, tree: &MerkleTree, f: impl FnOnce(&mut pb::MsgProposeDeal)) -> Any {
    let mut m = propose_deal_msg(
        c.address(1),
        c.address(2),
        tree,
        4,
        coin(100).unwrap(),
        coin(400).unwrap(),
    );
    f(&mut m);
    any(MSG_PROPOSE_DEAL, m)
}

fn deal_id(r: &tendermint_proto::v0_38::abci::ExecTxResult) -> u64 {
    let data =
        cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref()).unwrap();
    pb::MsgProposeDealResponse::decode(data.msg_responses[0].value.as_slice())
        .unwrap()
        .deal_id
}

fn propose(c: &mut Chain, tree: &MerkleTree, duration: u64, price: u128, collateral: u128) -> u64 {
    let m = propose_msg(c, 1, 2, tree, duration, price, collateral);
    let r = c.ok(1, vec![m]);
    deal_id(&r)
}

fn accept_msg(c: &Chain, provider: usize, deal: u64) -> Any {
    any(
        MSG_ACCEPT_DEAL,
        pb::MsgAcceptDeal {
            provider: c.address(provider),
            deal_id: deal,
        },
    )
}

fn cancel_msg(c: &Chain, client: usize, deal: u64) -> Any {
    any(
        MSG_CANCEL_DEAL,
        pb::MsgCancelDeal {
            client: c.address(client),
            deal_id: deal,
        },
    )
}

fn proof_any(
    c: &Chain,
    provider: usize,
    deal: u64,
    period: u64,
    proofs: Vec<pb::ChunkProof>,
) -> Any {
    any(
        MSG_SUBMIT_STORAGE_PROOF,
        depin_market::client::proof_msg(c.address(provider), deal, period, proofs),
    )
}

fn get_deal(c: &Chain, deal: u64) -> (pb::StorageDeal, pb::EscrowAccount) {
    let r: pb::QueryDealResponse =
        c.query(&format!("{Q}Deal"), pb::QueryDealRequest { deal_id: deal });
    (r.deal.unwrap(), r.escrow.unwrap())
}

fn challenges(c: &Chain, deal: u64) -> pb::QueryChallengesResponse {
    c.query(
        &format!("{Q}Challenges"),
        pb::QueryChallengesRequest { deal_id: deal },
    )
}

/// The provider's answer to the deal's current challenges, built with the client library.
fn answer_now(c: &Chain, s: &Stored, deal: u64) -> (u64, Vec<pb::ChunkProof>) {
    let ch = challenges(c, deal);
    (ch.period, answer(&s.tree, &s.data, &ch.indices).unwrap())
}

fn prove(c: &mut Chain, s: &Stored, deal: u64) -> u64 {
    let (period, proofs) = answer_now(c, s, deal);
    let m = proof_any(c, 2, deal, period, proofs);
    c.ok(2, vec![m]);
    period
}

fn state(c: &Chain, deal: u64) -> pb::DealState {
    pb::DealState::try_from(get_deal(c, deal).0.state).unwrap()
}

/// (collateral, locked collateral) of provider `i`.
fn collateral(c: &Chain, i: usize) -> (u128, u128) {
    let p = c.get_provider(i);
    let sum = |v: &[cosmrs::proto::cosmos::base::v1beta1::Coin]| {
        v.iter()
            .map(|c| c.amount.parse::<u128>().unwrap())
            .sum::<u128>()
    };
    (sum(&p.collateral), sum(&p.locked_collateral))
}

fn fails_query(c: &Chain, deal: u64) -> (String, u32) {
    let r = c.driver.query(
        &format!("{Q}Challenges"),
        pb::QueryChallengesRequest { deal_id: deal }.encode_to_vec(),
    );
    (r.codespace, r.code)
}

#[test]
fn full_deal_story_to_the_unit() {
    let mut c = chain();
    let s = stored(10_000, 7, 256);
    assert_eq!(s.tree.n_chunks(), 40);
    let supply0 = c.supply();
    let provider0 = c.balance(2);
    // 10 periods at 100 each, 400 of collateral (a fault fee of 5% = 20).
    let deal = propose(&mut c, &s.tree, 10, 100, 400);
    assert_eq!(deal, 1);
    assert_eq!(c.events_of("deal_proposed").len(), 1);
    assert_eq!(c.balance(1), FUNDS - 1_000);
    let (d, e) = get_deal(&c, deal);
    assert_eq!(d.state, pb::DealState::Proposed as i32);
    assert_eq!(d.deadline, c.height() as i64 + 10);
    assert_eq!(amount(&e.balance), 1_000);
    assert_eq!(e.id, "deal/1");

    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    let accepted_at = c.height();
    assert_eq!(c.events_of("deal_accepted").len(), 1);
    assert_eq!(collateral(&c, 2), (1_000, 400));
    let ch = challenges(&c, deal);
    assert_eq!(ch.period, 1);
    assert_eq!(ch.indices.len(), 4);
    assert_eq!(ch.due_height, accepted_at as i64 + 10);
    assert_eq!(ch.seed.len(), 32);

    c.advance(2);
    assert_eq!(prove(&mut c, &s, deal), 1);
    let (d, _) = get_deal(&c, deal);
    assert_eq!(d.state, pb::DealState::Active as i32);
    assert_eq!(d.start_height, c.height() as i64);
    assert_eq!(d.deadline, c.height() as i64 + 5);
    assert!(d.proven);
    assert_eq!(c.events_of("deal_activated").len(), 1);
    assert_eq!(c.events_of("storage_proof").len(), 1);

    // Periods 2 and 3 answered as they come, each with a new seed.
    let mut answered = 1;
    let mut seeds = vec![ch.seed];
    while answered < 3 {
        c.block();
        let ch = challenges(&c, deal);
        if ch.period > answered {
            assert!(!seeds.contains(&ch.seed));
            seeds.push(ch.seed.clone());
            assert_eq!(ch.due_height, c.height() as i64 + 5);
            assert_eq!(prove(&mut c, &s, deal), ch.period);
            answered = ch.period;
        }
    }
    // Then the provider stops answering: three faults in a row terminate the deal.
    let mut fault_fees = Vec::new();
    let mut paid_events = 0;
    let mut guard = 0;
    while state(&c, deal) == pb::DealState::Active {
        c.block();
        for ev in c.events_of("deal_fault") {
            let fee = ev.attributes.iter().find(|a| a.0 == "fee").unwrap();
            fault_fees.push(fee.1.clone());
        }
        paid_events += c.events_of("escrow_paid").len();
        guard += 1;
        assert!(guard < 100, "the deal never ended");
    }
    assert_eq!(fault_fees, vec!["20udepin"; 3]);
    // Period 3's payment came at its end, within the loop.
    assert_eq!(paid_events, 1);
    assert_eq!(state(&c, deal), pb::DealState::Terminated);
    assert_eq!(c.events_of("deal_terminated").len(), 1);

    let (d, e) = get_deal(&c, deal);
    assert_eq!(
        (d.periods_proven, d.faults, d.consecutive_faults),
        (3, 3, 3)
    );
    assert_eq!(amount(&d.fault_fees_paid), 60);
    assert_eq!(e.state, pb::EscrowState::Closed as i32);
    assert_eq!(amount(&e.transferred), 300);
    // Provider: three periods paid less the 2% take; the fault fees came out of its
    // collateral, the rest of which is free again.
    assert_eq!(c.balance(2), provider0 + 3 * 98);
    assert_eq!(collateral(&c, 2), (940, 0));
    // Client: paid 1,000 in, got the unspent 700 back and 3 × 20 of fault fees.
    assert_eq!(c.balance(1), FUNDS - 1_000 + 700 + 60);
    // Only the take was burned.
    assert_eq!(c.supply(), supply0 - 3 * 2);
    assert_eq!(c.module_balance("market"), 940 + 1_000);
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!(
        (
            rep.proofs_passed,
            rep.proofs_failed,
            rep.deals_faulted,
            rep.deals_completed
        ),
        (3, 3, 1, 0)
    );
    // Usage records the payments after the take.
    let mut paid = 0;
    let mut taken = 0;
    for epoch in 0..=(c.height() / 10) {
        for u in c.with_ctx(|ctx| c.keeper.usage(ctx, epoch, None, 10).unwrap()) {
            paid += u.paid.amount.u128();
            taken += u.take.amount.u128();
        }
    }
    assert_eq!((paid, taken), (294, 6));
    // No challenges for an ended deal.
    assert_eq!(fails_query(&c, deal), ("market".to_string(), 44));
}

#[test]
fn a_deal_proven_every_period_completes() {
    let mut c = chain();
    let s = stored(3_000, 11, 512);
    let provider0 = c.balance(2);
    let deal = propose(&mut c, &s.tree, 3, 50, 200);
    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    c.block();
    prove(&mut c, &s, deal);
    let mut answered = 1;
    let mut guard = 0;
    loop {
        c.block();
        if state(&c, deal) != pb::DealState::Active {
            break;
        }
        let ch = challenges(&c, deal);
        if ch.period > answered {
            prove(&mut c, &s, deal);
            answered = ch.period;
        }
        guard += 1;
        assert!(guard < 100);
    }
    assert_eq!(state(&c, deal), pb::DealState::Completed);
    assert_eq!(c.events_of("deal_completed").len(), 1);
    let (d, e) = get_deal(&c, deal);
    assert_eq!((d.periods_proven, d.faults), (3, 0));
    assert_eq!(e.state, pb::EscrowState::Closed as i32);
    assert_eq!(c.balance(2), provider0 + 3 * 49);
    assert_eq!(c.balance(1), FUNDS - 150);
    assert_eq!(collateral(&c, 2), (1_000, 0));
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!((rep.proofs_passed, rep.deals_completed), (3, 1));
}

#[test]
fn a_proof_between_faults_resets_the_count() {
    let mut c = chain();
    let s = stored(2_000, 3, 256);
    // 4 periods: prove 1, miss 2, prove 3, miss 4 → COMPLETED with 2 faults.
    let deal = propose(&mut c, &s.tree, 4, 10, 300);
    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    c.block();
    prove(&mut c, &s, deal);
    let mut guard = 0;
    loop {
        c.block();
        guard += 1;
        assert!(guard < 100);
        if state(&c, deal) != pb::DealState::Active {
            break;
        }
        let (d, _) = get_deal(&c, deal);
        if d.period == 3 && !d.proven {
            assert_eq!(d.consecutive_faults, 1);
            prove(&mut c, &s, deal);
            assert_eq!(get_deal(&c, deal).0.consecutive_faults, 1);
        }
    }
    let (d, e) = get_deal(&c, deal);
    assert_eq!(state(&c, deal), pb::DealState::Completed);
    assert_eq!(
        (d.periods_proven, d.faults, d.consecutive_faults),
        (2, 2, 1)
    );
    assert_eq!(amount(&d.fault_fees_paid), 30);
    assert_eq!(amount(&e.transferred), 20);
    // 40 paid in, 20 spent, 20 back, 30 of fault fees.
    assert_eq!(c.balance(1), FUNDS - 40 + 20 + 30);
    assert_eq!(collateral(&c, 2), (970, 0));
}

#[test]
fn missed_activation_gives_the_collateral_to_the_client() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let deal = propose(&mut c, &s.tree, 5, 100, 400);
    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    let deadline = get_deal(&c, deal).0.deadline as u64;
    while c.height() <= deadline {
        c.block();
    }
    assert_eq!(state(&c, deal), pb::DealState::ActivationMissed);
    assert_eq!(c.events_of("deal_activation_missed").len(), 1);
    // The escrow back, and the whole collateral as compensation.
    assert_eq!(c.balance(1), FUNDS + 400);
    assert_eq!(collateral(&c, 2), (600, 0));
    let (d, e) = get_deal(&c, deal);
    assert_eq!(amount(&d.fault_fees_paid), 400);
    assert_eq!(e.state, pb::EscrowState::Closed as i32);
    assert_eq!(c.get_provider(2).reputation.unwrap().deals_faulted, 1);
    // Too late to prove now.
    let proofs = answer(&s.tree, &s.data, &[0, 0, 0, 0]).unwrap();
    c.fails(2, vec![proof_any(&c, 2, deal, 1, proofs)], 44);
}

#[test]
fn an_unaccepted_proposal_expires_and_refunds() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let deal = propose(&mut c, &s.tree, 5, 100, 400);
    assert_eq!(c.balance(1), FUNDS - 500);
    let deadline = get_deal(&c, deal).0.deadline as u64;
    while c.height() <= deadline {
        c.block();
    }
    assert_eq!(state(&c, deal), pb::DealState::Expired);
    assert_eq!(c.events_of("deal_expired").len(), 1);
    assert_eq!(c.balance(1), FUNDS);
    c.fails(2, vec![accept_msg(&c, 2, deal)], 44);
}

#[test]
fn deadlines_hold_when_the_queue_is_behind() {
    // One transition a block: two proposals with the same deadline expire one block apart,
    // and the second cannot be accepted in between.
    let mut c = Chain::new(
        5,
        Params {
            max_transitions_per_block: 1,
            ..deal_params()
        },
    );
    c.provider(2, vec![]);
    let s = stored(1_000, 5, 256);
    let a = c.signed(1, vec![propose_msg(&c, 1, 2, &s.tree, 2, 10, 10)]);
    let b = c.signed(4, vec![propose_msg(&c, 4, 2, &s.tree, 2, 10, 10)]);
    let r = c.finalize(vec![a, b]);
    assert!(r.tx_results.iter().all(|r| r.code == 0));
    let deadline = get_deal(&c, 1).0.deadline as u64;
    assert_eq!(get_deal(&c, 2).0.deadline as u64, deadline);
    while c.height() < deadline {
        c.block();
    }
    // The next block expires deal 1 only; deal 2 waits, past its deadline.
    c.refused(2, vec![accept_msg(&c, 2, 2)], 45);
    assert_eq!(state(&c, 1), pb::DealState::Expired);
    assert_eq!(state(&c, 2), pb::DealState::Proposed);
    c.block();
    assert_eq!(state(&c, 2), pb::DealState::Expired);
    assert_eq!(c.balance(4), FUNDS);
}

#[test]
fn the_client_cancels_a_proposal() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let deal = propose(&mut c, &s.tree, 5, 100, 400);
    c.fails(4, vec![cancel_msg(&c, 4, deal)], 42);
    c.ok(1, vec![cancel_msg(&c, 1, deal)]);
    assert_eq!(state(&c, deal), pb::DealState::Cancelled);
    assert_eq!(c.events_of("deal_cancelled").len(), 1);
    assert_eq!(c.balance(1), FUNDS);
    c.fails(1, vec![cancel_msg(&c, 1, deal)], 44);
    c.fails(2, vec![accept_msg(&c, 2, deal)], 44);
    // An accepted deal cannot be cancelled.
    let deal = propose(&mut c, &s.tree, 5, 100, 400);
    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    c.fails(1, vec![cancel_msg(&c, 1, deal)], 44);
    c.fails(1, vec![cancel_msg(&c, 1, 99)], 41);
}

#[test]
fn proposal_errors() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let t = &s.tree;
    for size in [300, 128, 8192] {
        let m = raw_propose(&c, t, |m| m.chunk_size = size);
        c.fails(1, vec![m], 46);
    }
    let m = raw_propose(&c, t, |m| {
        m.data_root.pop();
    });
    c.fails(1, vec![m], 6);
    let m = raw_propose(&c, t, |m| m.size_bytes = 0);
    c.fails(1, vec![m], 6);
    let m = raw_propose(&c, t, |m| m.duration_periods = 0);
    c.fails(1, vec![m], 6);
    let m = raw_propose(&c, t, |m| m.duration_periods = 1_000_001);
    c.fails(1, vec![m], 6);
    let m = raw_propose(&c, t, |m| m.price_per_period = coin(0));
    c.fails(1, vec![m], 19);
    let m = raw_propose(&c, t, |m| m.provider_collateral = coin_of(5, "uother"));
    c.fails(1, vec![m], 16);
    let m = raw_propose(&c, t, |m| m.price_per_period = coin(u128::MAX));
    c.fails(1, vec![m], 6);
    // Account 4 is no provider.
    let m = propose_msg(&c, 1, 4, t, 4, 10, 10);
    c.fails(1, vec![m], 10);
}

#[test]
fn accept_errors() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let deal = propose(&mut c, &s.tree, 4, 10, 1_500);
    c.fails(3, vec![accept_msg(&c, 3, deal)], 43);
    c.fails(1, vec![accept_msg(&c, 1, deal)], 43);
    // 1,000 of collateral, the deal needs 1,500.
    let log = c.fails(2, vec![accept_msg(&c, 2, deal)], 47);
    assert!(log.contains("1500udepin"), "{log}");
    // Locked collateral is not free: two deals of 600 do not fit in 1,000.
    let a = propose(&mut c, &s.tree, 4, 10, 600);
    let b = propose(&mut c, &s.tree, 4, 10, 600);
    c.ok(2, vec![accept_msg(&c, 2, a)]);
    c.fails(2, vec![accept_msg(&c, 2, b)], 47);
    c.fails(2, vec![accept_msg(&c, 2, a)], 44);
    c.fails(2, vec![accept_msg(&c, 2, 77)], 41);
    // Locked collateral cannot be withdrawn.
    let w = any(
        MSG_WITHDRAW_COLLATERAL,
        pb::MsgWithdrawCollateral {
            owner: c.address(2),
            amount: coin(1),
        },
    );
    c.fails(2, vec![w], 18);
}

#[test]
fn proof_errors_change_nothing() {
    // Time enough to try every wrong proof before the activation deadline.
    let mut c = Chain::new(
        5,
        Params {
            deal_activation_blocks: 100,
            ..deal_params()
        },
    );
    c.provider(2, vec![]);
    c.provider(3, vec![]);
    let s = stored(10_000, 9, 256);
    let deal = propose(&mut c, &s.tree, 4, 10, 100);
    // Not accepted yet: no proofs taken.
    let some = answer(&s.tree, &s.data, &[0, 1, 2, 3]).unwrap();
    c.fails(2, vec![proof_any(&c, 2, deal, 1, some)], 44);
    c.ok(2, vec![accept_msg(&c, 2, deal)]);
    c.block();
    let (period, good) = answer_now(&c, &s, deal);
    assert_eq!(period, 1);
    let ch = challenges(&c, deal);

    c.fails(2, vec![proof_any(&c, 2, 99, period, good.clone())], 41);
    c.fails(3, vec![proof_any(&c, 3, deal, period, good.clone())], 43);
    c.fails(2, vec![proof_any(&c, 2, deal, 2, good.clone())], 48);
    c.fails(2, vec![proof_any(&c, 2, deal, 0, good.clone())], 48);
    let m = proof_any(&c, 2, deal, period, good[..3].to_vec());
    c.fails(2, vec![m], 50);
    // A valid proof of a chunk that was not challenged.
    let other = (0..40).find(|i| !ch.indices.contains(i)).unwrap();
    let mut wrong_chunk = good.clone();
    wrong_chunk[0] = answer(&s.tree, &s.data, &[other]).unwrap().remove(0);
    let log = c.fails(2, vec![proof_any(&c, 2, deal, period, wrong_chunk)], 51);
    assert!(log.contains(&format!("chunk {other}")), "{log}");
    // The right proofs in the wrong order.
    let j = (1..4).find(|&j| ch.indices[j] != ch.indices[0]);
    if let Some(j) = j {
        let mut swapped = good.clone();
        swapped.swap(0, j);
        c.fails(2, vec![proof_any(&c, 2, deal, period, swapped)], 51);
    }
    // A bad sibling hash.
    let mut bad_sibling = good.clone();
    bad_sibling[2].path[0][5] ^= 1;
    let log = c.fails(2, vec![proof_any(&c, 2, deal, period, bad_sibling)], 52);
    assert!(log.contains("proof 2"), "{log}");
    // A short path, a sibling of the wrong length, a changed chunk, a short chunk.
    let mut short_path = good.clone();
    short_path[1].path.pop();
    c.fails(2, vec![proof_any(&c, 2, deal, period, short_path)], 52);
    let mut long_sibling = good.clone();
    long_sibling[1].path[1].push(0);
    c.fails(2, vec![proof_any(&c, 2, deal, period, long_sibling)], 52);
    let mut changed = good.clone();
    changed[3].chunk[0] ^= 0xff;
    c.fails(2, vec![proof_any(&c, 2, deal, period, changed)], 52);
    let mut short_chunk = good.clone();
    short_chunk[3].chunk.pop();
    c.fails(2, vec![proof_any(&c, 2, deal, period, short_chunk)], 52);
    // None of that counted for or against the provider.
    let rep = c.get_provider(2).reputation.unwrap();
    assert_eq!((rep.proofs_passed, rep.proofs_failed), (0, 0));

    c.ok(2, vec![proof_any(&c, 2, deal, period, good.clone())]);
    c.fails(2, vec![proof_any(&c, 2, deal, period, good)], 49);
    assert_eq!(c.get_provider(2).reputation.unwrap().proofs_passed, 1);
}

#[test]
fn deal_queries_filter_and_page() {
    let mut c = chain();
    let s = stored(1_000, 5, 256);
    let d1 = propose(&mut c, &s.tree, 4, 10, 10);
    let d2 = propose(&mut c, &s.tree, 4, 10, 10);
    let m = propose_msg(&c, 4, 3, &s.tree, 4, 10, 10);
    let d3 = deal_id(&c.ok(4, vec![m]));
    c.ok(2, vec![accept_msg(&c, 2, d2)]);
    let deals = |req: pb::QueryDealsRequest| -> Vec<u64> {
        let r: pb::QueryDealsResponse = c.query(&format!("{Q}Deals"), req);
        r.deals.iter().map(|d| d.id).collect()
    };
    assert_eq!(deals(Default::default()), vec![d1, d2, d3]);
    assert_eq!(
        deals(pb::QueryDealsRequest {
            client: c.address(1),
            ..Default::default()
        }),
        vec![d1, d2]
    );
    assert_eq!(
        deals(pb::QueryDealsRequest {
            provider: c.address(3),
            ..Default::default()
        }),
        vec![d3]
    );
    assert_eq!(
        deals(pb::QueryDealsRequest {
            client: c.address(1),
            state: pb::DealState::Proposed as i32,
            ..Default::default()
        }),
        vec![d1]
    );
    assert_eq!(
        deals(pb::QueryDealsRequest {
            state: pb::DealState::Accepted as i32,
            ..Default::default()
        }),
        vec![d2]
    );
    let page = |key: Vec<u8>| pb::QueryDealsRequest {
        pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
            key,
            limit: 2,
            ..Default::default()
        }),
        ..Default::default()
    };
    let r: pb::QueryDealsResponse = c.query(&format!("{Q}Deals"), page(Vec::new()));
    assert_eq!(r.deals.len(), 2);
    let next = r.pagination.unwrap().next_key;
    assert!(!next.is_empty());
    let r: pb::QueryDealsResponse = c.query(&format!("{Q}Deals"), page(next));
    assert_eq!(r.deals.iter().map(|d| d.id).collect::<Vec<_>>(), vec![d3]);
    // Challenges of a proposal: none yet; of a missing deal: not found.
    assert_eq!(fails_query(&c, d1), ("market".to_string(), 44));
    assert_eq!(fails_query(&c, 99), ("sdk".to_string(), 38));
}

#[test]
fn export_import_keeps_deals_and_their_queue() {
    let mut c = chain();
    let s = stored(2_000, 5, 256);
    let _proposed = propose(&mut c, &s.tree, 4, 10, 10);
    let accepted = propose(&mut c, &s.tree, 4, 10, 10);
    let active = propose(&mut c, &s.tree, 4, 10, 10);
    let cancelled = propose(&mut c, &s.tree, 4, 10, 10);
    c.ok(2, vec![accept_msg(&c, 2, accepted)]);
    c.ok(2, vec![accept_msg(&c, 2, active)]);
    c.ok(1, vec![cancel_msg(&c, 1, cancelled)]);
    c.block();
    prove(&mut c, &s, active);
    let exported = c.export();
    assert_eq!(exported["market"]["deals"].as_array().unwrap().len(), 4);
    let mut c2 = Chain::restarted(test_keys(5), &exported, c.height() + 1);
    c.block();
    assert_eq!(c2.market_state(), c.market_state());
    // The imported queue drives the deals on (the invariants check it every block).
    assert_eq!(challenges(&c2, accepted), challenges(&c, accepted));
    let mut guard = 0;
    while state(&c2, accepted) == pb::DealState::Accepted {
        c2.block();
        guard += 1;
        assert!(guard < 100);
    }
    assert_eq!(state(&c2, accepted), pb::DealState::ActivationMissed);
}

/// A proposal sits in the deal queue until accepted or expired: it must lock at least
/// min_deal_value (price × duration) of the client's funds.
#[test]
fn a_deal_below_the_minimum_value_is_refused() {
    let mut c = Chain::new(
        5,
        Params {
            min_deal_value: depin_app::coins::Coin::new(100, DENOM),
            ..deal_params()
        },
    );
    c.provider(2, vec![]);
    let s = stored(1_000, 5, 256);
    // 4 periods × 24 = 96 < 100.
    let log = c.fails(1, vec![propose_msg(&c, 1, 2, &s.tree, 4, 24, 10)], 54);
    assert!(
        log.contains("96udepin") && log.contains("100udepin"),
        "{log}"
    );
    // 4 × 25 = 100: exactly the minimum.
    let deal = propose(&mut c, &s.tree, 4, 25, 10);
    assert_eq!(state(&c, deal), pb::DealState::Proposed);
    // Governance cannot drop the minimum to nothing or move it out of the denom.
    let update = |c: &Chain, p: &Params| {
        any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: c.address(0),
                params: Some(p.to_proto()),
            },
        )
    };
    for bad in [
        depin_app::coins::Coin::new(0, DENOM),
        depin_app::coins::Coin::new(100, "uother"),
    ] {
        let p = Params {
            min_deal_value: bad,
            ..deal_params()
        };
        c.fails(0, vec![update(&c, &p)], 3);
    }
}
