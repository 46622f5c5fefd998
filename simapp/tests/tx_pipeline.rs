//! The transaction pipeline end to end through the in-process driver: wallet-signed
//! transactions go through CheckTx and FinalizeBlock, and every claim is checked against
//! state read back over ABCI queries, as a wallet or explorer would read it.

use std::path::Path;
use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use cosmrs::Any;
use depin_app::address::module_address;
use depin_app::context::{Env, ExecMode, GasPrice};
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_app::query::SIMULATE_PATH;
use depin_app::store::WorkingSet;
use depin_simapp::testing::{genesis, msg_send, send_tx, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM};
use prost::Message;
use tendermint_proto::v0_38::abci::{self, Event, ExecTxResult};

const CHAIN_ID: &str = "depin-test-1";
const GAS: u64 = 200_000;
/// The fee the node's minimum gas price (0.0025udepin) asks for `GAS`.
const FEE: u128 = 500;
const ALICE_FUNDS: u128 = 1_000_000_000;
const BOB_FUNDS: u128 = 500_000_000;
/// Enough for a send of a few tokens, not for a standard fee.
const CAROL_FUNDS: u128 = 100;

fn node_config() -> NodeConfig {
    NodeConfig {
        min_gas_prices: GasPrice::parse_list("0.0025udepin").unwrap(),
        ..Default::default()
    }
}

fn fee_collector() -> String {
    cosmrs::AccountId::new(ADDRESS_PREFIX, &module_address("fee_collector"))
        .unwrap()
        .to_string()
}

fn alice() -> TestKey {
    TestKey::from_seed(1)
}

fn bob() -> TestKey {
    TestKey::from_seed(2)
}

fn carol() -> TestKey {
    TestKey::from_seed(3)
}

/// A one-node chain in a temporary directory, with alice, bob and carol funded at genesis
/// (account numbers 0, 1, 2).
struct Chain {
    driver: InProcess,
    dir: tempfile::TempDir,
}

fn open(dir: &Path) -> InProcess {
    InProcess::open(Arc::new(default_app()), dir, node_config()).unwrap()
}

impl Chain {
    fn new() -> Self {
        Self::with_genesis(Self::genesis())
    }

    fn genesis() -> serde_json::Value {
        genesis(&[
            (&alice().address, ALICE_FUNDS),
            (&bob().address, BOB_FUNDS),
            (&carol().address, CAROL_FUNDS),
        ])
    }

    fn with_genesis(app_state: serde_json::Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = open(dir.path());
        driver.init_chain(CHAIN_ID, &app_state).unwrap();
        // Genesis is committed with the first block.
        driver.block(vec![]);
        Chain { driver, dir }
    }

    fn balance(&self, address: &str) -> u128 {
        balance(&self.driver, address)
    }

    /// Every fee collected so far: what the fee collector holds plus what the distribution
    /// module took from it at each block's start (nobody withdraws rewards here).
    fn collected(&self) -> u128 {
        let distribution =
            cosmrs::AccountId::new(ADDRESS_PREFIX, &module_address("distribution")).unwrap();
        balance(&self.driver, &fee_collector()) + balance(&self.driver, distribution.as_ref())
    }

    /// (account number, sequence).
    fn account(&self, address: &str) -> (u64, u64) {
        account(&self.driver, address).unwrap_or_else(|| panic!("no account {address}"))
    }

    fn signer(&self, key: &TestKey) -> SignerData {
        let (account_number, sequence) = self.account(&key.address);
        SignerData {
            chain_id: CHAIN_ID.into(),
            account_number,
            sequence,
        }
    }

    /// What a rejected transaction must leave alone.
    fn snapshot(&self, keys: &[&TestKey]) -> Vec<(u128, (u64, u64))> {
        let mut out: Vec<_> = keys
            .iter()
            .map(|k| (self.balance(&k.address), self.account(&k.address)))
            .collect();
        out.push((self.collected(), (0, 0)));
        out
    }
}

fn query<R: Message + Default>(
    driver: &InProcess,
    path: &str,
    request: impl Message,
) -> Result<R, (String, u32, String)> {
    let resp = driver.query(path, request.encode_to_vec());
    if resp.code != 0 {
        return Err((resp.codespace, resp.code, resp.log));
    }
    Ok(R::decode(resp.value.as_ref()).unwrap())
}

fn balance(driver: &InProcess, address: &str) -> u128 {
    let resp: QueryBalanceResponse = query(
        driver,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest {
            address: address.into(),
            denom: DENOM.into(),
        },
    )
    .unwrap();
    resp.balance.unwrap().amount.parse().unwrap()
}

/// (account number, sequence) of a base account, `None` if there is no account.
fn account(driver: &InProcess, address: &str) -> Option<(u64, u64)> {
    let resp: QueryAccountResponse = match query(
        driver,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: address.into(),
        },
    ) {
        Ok(r) => r,
        Err((codespace, code, _)) => {
            assert_eq!(
                (codespace.as_str(), code),
                ("sdk", 22),
                "a missing account is key-not-found"
            );
            return None;
        }
    };
    let any = resp.account.unwrap();
    assert_eq!(any.type_url, "/cosmos.auth.v1beta1.BaseAccount");
    let base = BaseAccount::decode(any.value.as_slice()).unwrap();
    assert_eq!(base.address, address);
    Some((base.account_number, base.sequence))
}

fn total_supply(driver: &InProcess) -> Vec<(String, String)> {
    let resp: QueryTotalSupplyResponse = query(
        driver,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        QueryTotalSupplyRequest::default(),
    )
    .unwrap();
    resp.supply
        .into_iter()
        .map(|c| (c.denom, c.amount))
        .collect()
}

fn attr<'a>(events: &'a [Event], kind: &str, key: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.as_str())
        .collect()
}

fn code_of(r: &ExecTxResult) -> (&str, u32) {
    (r.codespace.as_str(), r.code)
}

fn check_code(r: &abci::ResponseCheckTx) -> (&str, u32) {
    (r.codespace.as_str(), r.code)
}

fn standard_fee() -> FeeSpec {
    FeeSpec::new(FEE, GAS)
}

/// Runs `tx` through CheckTx and then alone in a block; both must refuse it with `expected`
/// and leave every balance and sequence of `keys` (the sender first) and the fee collector's
/// balance as they were.
fn assert_rejected(
    chain: &mut Chain,
    tx: &[u8],
    expected: (&str, u32),
    keys: &[&TestKey],
) -> (String, String) {
    let before = chain.snapshot(keys);
    let check = chain.driver.check_tx(tx);
    assert_eq!(check_code(&check), expected, "CheckTx: {}", check.log);
    // Nor did CheckTx keep anything in the mempool's state: the sender (`keys[0]`) can still
    // use its committed sequence. (The block below resets that state.)
    let sender = keys[0];
    if chain.balance(&sender.address) > FEE {
        let probe = send_tx(
            sender,
            &chain.signer(sender),
            &sender.address,
            1,
            &standard_fee(),
        );
        let check = chain.driver.check_tx(&probe);
        assert_eq!(check.code, 0, "after a refused tx: {}", check.log);
    }
    let results = chain.driver.deliver(vec![tx.to_vec()]);
    assert_eq!(code_of(&results[0]), expected, "block: {}", results[0].log);
    assert!(
        results[0].events.is_empty(),
        "a refused tx emits nothing: {:?}",
        results[0].events
    );
    assert_eq!(chain.snapshot(keys), before, "a refused tx changed state");
    (check.log, results[0].log.clone())
}

#[test]
fn a_send_in_a_block_moves_the_amount_pays_the_fee_and_bumps_the_sequence() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    assert_eq!(chain.account(&alice.address), (0, 0));
    assert_eq!(chain.collected(), 0);
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        12_345,
        &standard_fee(),
    );

    let check = chain.driver.check_tx(&tx);
    assert_eq!(check.code, 0, "{}", check.log);
    assert_eq!(check.gas_wanted, GAS as i64);
    let results = chain.driver.deliver(vec![tx]);
    let r = &results[0];
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(r.gas_wanted, GAS as i64);
    assert!(
        r.gas_used > check.gas_used && r.gas_used < GAS as i64,
        "gas used {}",
        r.gas_used
    );

    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - 12_345 - FEE);
    assert_eq!(chain.balance(&bob.address), BOB_FUNDS + 12_345);
    assert_eq!(chain.collected(), FEE);
    assert_eq!(chain.account(&alice.address), (0, 1));
    assert_eq!(
        chain.account(&bob.address),
        (1, 0),
        "the receiver's sequence is its own"
    );

    let ev = &r.events;
    assert_eq!(
        attr(ev, "message", "action"),
        ["/cosmos.bank.v1beta1.MsgSend"]
    );
    assert_eq!(attr(ev, "message", "sender"), [alice.address.as_str()]);
    assert_eq!(attr(ev, "message", "module"), ["bank"]);
    assert_eq!(attr(ev, "tx", "fee"), ["500udepin"]);
    assert_eq!(attr(ev, "tx", "fee_payer"), [alice.address.as_str()]);
    assert_eq!(
        attr(ev, "tx", "acc_seq"),
        [format!("{}/0", alice.address).as_str()]
    );
    // Two transfers: the fee into the fee collector, then the send.
    let collector = fee_collector();
    assert_eq!(
        attr(ev, "transfer", "recipient"),
        [collector.as_str(), bob.address.as_str()]
    );
    assert_eq!(
        attr(ev, "transfer", "sender"),
        [alice.address.as_str(), alice.address.as_str()]
    );
    assert_eq!(attr(ev, "transfer", "amount"), ["500udepin", "12345udepin"]);
    assert!(ev.iter().all(|e| e.attributes.iter().all(|a| a.index)));
    assert_eq!(
        total_supply(&chain.driver),
        [(
            DENOM.to_string(),
            (ALICE_FUNDS + BOB_FUNDS + CAROL_FUNDS).to_string()
        )]
    );
}

#[test]
fn a_tx_signed_for_another_chain_is_unauthorized() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let mut data = chain.signer(&alice);
    data.chain_id = "other-chain-7".into();
    let tx = send_tx(&alice, &data, &bob.address, 1, &standard_fee());
    let (check_log, _) = assert_rejected(&mut chain, &tx, ("sdk", 4), &[&alice, &bob]);
    assert!(check_log.contains("signature"), "{check_log}");
}

#[test]
fn a_tampered_or_foreign_signature_is_unauthorized() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let data = chain.signer(&alice);
    let tx = send_tx(&alice, &data, &bob.address, 1000, &standard_fee());

    // The amount in the signed body changes from 1000 to 9000.
    let mut raw = TxRaw::decode(tx.as_slice()).unwrap();
    let at = raw
        .body_bytes
        .windows(4)
        .position(|w| w == b"1000")
        .unwrap();
    raw.body_bytes[at] = b'9';
    assert_rejected(
        &mut chain,
        &raw.encode_to_vec(),
        ("sdk", 4),
        &[&alice, &bob],
    );

    // Bob's signature over the very same sign doc, under alice's key.
    let mut raw = TxRaw::decode(tx.as_slice()).unwrap();
    let signed_by_bob = sign(
        &bob,
        &data,
        vec![msg_send(&alice.address, &bob.address, 1000)],
        &standard_fee(),
        "",
    )
    .unwrap();
    raw.signatures = TxRaw::decode(signed_by_bob.as_slice()).unwrap().signatures;
    assert_rejected(
        &mut chain,
        &raw.encode_to_vec(),
        ("sdk", 4),
        &[&alice, &bob],
    );

    // A signature that is not even 64 bytes.
    let mut raw = TxRaw::decode(tx.as_slice()).unwrap();
    raw.signatures[0].truncate(10);
    assert_rejected(
        &mut chain,
        &raw.encode_to_vec(),
        ("sdk", 4),
        &[&alice, &bob],
    );

    // The untouched tx still goes through: nothing above consumed its sequence.
    let results = chain.driver.deliver(vec![tx]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
}

#[test]
fn a_replayed_tx_fails_with_wrong_sequence_and_changes_nothing() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        777,
        &standard_fee(),
    );
    let results = chain.driver.deliver(vec![tx.clone()]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert_eq!(chain.account(&alice.address), (0, 1));

    let (check_log, block_log) = assert_rejected(&mut chain, &tx, ("sdk", 32), &[&alice, &bob]);
    for log in [check_log, block_log] {
        assert!(
            log.contains("account sequence mismatch, expected 1, got 0"),
            "{log}"
        );
    }
    // Replayed within one block too: the second copy is refused.
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        1,
        &standard_fee(),
    );
    let results = chain.driver.deliver(vec![tx.clone(), tx]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert_eq!(code_of(&results[1]), ("sdk", 32), "{}", results[1].log);
    assert_eq!(chain.account(&alice.address), (0, 2));
    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - 778 - 2 * FEE);
}

#[test]
fn a_wrong_sequence_is_refused_with_the_expected_one_in_the_log() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let mut data = chain.signer(&alice);
    data.sequence = 5;
    let tx = send_tx(&alice, &data, &bob.address, 1, &standard_fee());
    let (check_log, block_log) = assert_rejected(&mut chain, &tx, ("sdk", 32), &[&alice, &bob]);
    for log in [check_log, block_log] {
        // cosmjs parses "account sequence mismatch, expected N" to retry with N.
        assert!(
            log.contains("account sequence mismatch, expected 0, got 5"),
            "{log}"
        );
    }
}

#[test]
fn a_fee_below_the_minimum_gas_price_is_refused_by_check_tx_only() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let data = chain.signer(&alice);
    let before = chain.snapshot(&[&alice, &bob]);
    for fee in [FeeSpec::new(FEE - 1, GAS), FeeSpec::new(0, GAS)] {
        let tx = send_tx(&alice, &data, &bob.address, 1, &fee);
        let check = chain.driver.check_tx(&tx);
        assert_eq!(check_code(&check), ("sdk", 13), "{}", check.log);
        assert!(check.log.contains("insufficient fee"), "{}", check.log);
        assert!(
            check.log.contains("500udepin"),
            "the log names the required fee: {}",
            check.log
        );
    }
    // A fee in another denom does not count.
    let tx = send_tx(
        &alice,
        &data,
        &bob.address,
        1,
        &FeeSpec {
            amount: FEE,
            denom: "uatom".into(),
            gas: GAS,
        },
    );
    assert_eq!(check_code(&chain.driver.check_tx(&tx)), ("sdk", 13));
    assert_eq!(chain.snapshot(&[&alice, &bob]), before);
    // The exact minimum passes.
    let tx = send_tx(&alice, &data, &bob.address, 1, &standard_fee());
    assert_eq!(chain.driver.check_tx(&tx).code, 0);

    // The minimum is a node setting, not consensus: a proposer may include a cheaper tx and
    // every node executes it.
    let cheap = send_tx(&alice, &data, &bob.address, 1, &FeeSpec::new(1, GAS));
    let results = chain.driver.deliver(vec![cheap]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - 2);
    assert_eq!(chain.collected(), 1);
}

#[test]
fn a_send_beyond_the_balance_fails_but_the_fee_and_sequence_are_kept() {
    let mut chain = Chain::new();
    let (carol, bob) = (carol(), bob());
    // Carol can pay a 10udepin fee but not 91 on top of it. (The fee is below the node's
    // minimum, so this goes straight into a block, as a proposer may do.)
    let fee = FeeSpec::new(10, GAS);
    let tx = send_tx(&carol, &chain.signer(&carol), &bob.address, 91, &fee);
    let results = chain.driver.deliver(vec![tx]);
    let r = &results[0];
    assert_eq!(code_of(r), ("sdk", 5), "{}", r.log);
    assert!(r.log.contains("insufficient funds"), "{}", r.log);
    assert!(
        r.log.contains("90udepin"),
        "the log names the balance: {}",
        r.log
    );
    assert_eq!(chain.balance(&carol.address), CAROL_FUNDS - 10);
    assert_eq!(chain.balance(&bob.address), BOB_FUNDS);
    assert_eq!(chain.collected(), 10);
    assert_eq!(chain.account(&carol.address), (2, 1));
    // Only the ante's events survive.
    assert_eq!(attr(&r.events, "tx", "fee"), ["10udepin"]);
    assert!(
        attr(&r.events, "message", "action").is_empty(),
        "{:?}",
        r.events
    );
    assert_eq!(attr(&r.events, "transfer", "amount"), ["10udepin"]);

    // CheckTx does not run messages (as in the Cosmos SDK), so with an acceptable fee it
    // admits the tx; the block then charges the fee and refuses the send.
    let alice = self::alice();
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        ALICE_FUNDS,
        &standard_fee(),
    );
    assert_eq!(chain.driver.check_tx(&tx).code, 0);
    let results = chain.driver.deliver(vec![tx]);
    assert_eq!(code_of(&results[0]), ("sdk", 5), "{}", results[0].log);
    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - FEE);
    assert_eq!(chain.balance(&bob.address), BOB_FUNDS);
    assert_eq!(chain.collected(), 10 + FEE);
    assert_eq!(chain.account(&alice.address), (0, 1));
}

#[test]
fn a_fee_beyond_the_balance_changes_nothing() {
    let mut chain = Chain::new();
    let (carol, bob) = (carol(), bob());
    let tx = send_tx(
        &carol,
        &chain.signer(&carol),
        &bob.address,
        1,
        &standard_fee(),
    );
    let (check_log, block_log) = assert_rejected(&mut chain, &tx, ("sdk", 5), &[&carol, &bob]);
    for log in [check_log, block_log] {
        assert!(log.contains("insufficient funds"), "{log}");
    }
    assert_eq!(chain.balance(&carol.address), CAROL_FUNDS);
    assert_eq!(chain.account(&carol.address), (2, 0));
}

#[test]
fn running_out_of_gas_in_the_message_keeps_the_fee_and_reverts_the_transfer() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    // Measure: CheckTx runs only the ante, a block runs the ante and the message.
    let probe = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        5,
        &standard_fee(),
    );
    let ante_gas = chain.driver.check_tx(&probe).gas_used as u64;
    let total_gas = chain.driver.deliver(vec![probe])[0].gas_used as u64;
    assert!(
        ante_gas > 0 && total_gas > ante_gas + 1000,
        "ante {ante_gas}, total {total_gas}"
    );

    // A limit halfway between: the ante fits, the send does not.
    let limit = ante_gas + (total_gas - ante_gas) / 2;
    let before_alice = chain.balance(&alice.address);
    let before_collector = chain.collected();
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        5,
        &FeeSpec::new(FEE, limit),
    );
    let results = chain.driver.deliver(vec![tx]);
    let r = &results[0];
    assert_eq!(code_of(r), ("sdk", 11), "{}", r.log);
    assert!(r.log.contains("out of gas"), "{}", r.log);
    assert_eq!(r.gas_wanted, limit as i64);
    assert_eq!(r.gas_used, limit as i64, "gas used stops at the limit");
    assert_eq!(chain.balance(&alice.address), before_alice - FEE);
    assert_eq!(chain.balance(&bob.address), BOB_FUNDS + 5);
    assert_eq!(chain.collected(), before_collector + FEE);
    assert_eq!(chain.account(&alice.address), (0, 2));
    assert!(attr(&r.events, "message", "action").is_empty());

    // A limit the ante alone exceeds: nothing is charged.
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        5,
        &FeeSpec::new(FEE, 1000),
    );
    let (check_log, _) = assert_rejected(&mut chain, &tx, ("sdk", 11), &[&alice, &bob]);
    assert!(check_log.contains("out of gas"), "{check_log}");
}

#[test]
fn an_unknown_message_type_is_refused() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let msg = Any {
        type_url: "/depin.nonexistent.v1.MsgDoThings".into(),
        value: vec![10, 3, 1, 2, 3],
    };
    let tx = sign(
        &alice,
        &chain.signer(&alice),
        vec![msg],
        &standard_fee(),
        "",
    )
    .unwrap();
    let (check_log, _) = assert_rejected(&mut chain, &tx, ("sdk", 6), &[&alice, &bob]);
    assert!(
        check_log.contains("/depin.nonexistent.v1.MsgDoThings"),
        "{check_log}"
    );
}

#[test]
fn garbage_bytes_are_a_decode_error() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    for garbage in [
        &b"this is not a transaction"[..],
        &[0xff; 8][..],
        &[0x0a, 0x05, 0x01][..],
    ] {
        assert_rejected(&mut chain, garbage, ("sdk", 2), &[&alice, &bob]);
    }
    // An empty tx decodes as an empty TxRaw: no signatures.
    assert_rejected(&mut chain, &[], ("sdk", 15), &[&alice, &bob]);
}

#[test]
fn an_oversized_tx_is_refused_by_size_before_anything_else() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let max = default_app().config().max_tx_bytes;
    assert_eq!(max, 1024 * 1024);
    let data = chain.signer(&alice);
    // A validly signed tx whose memo alone is over the limit. The memo (256 characters at
    // most) would be refused with sdk 12, but the size check comes first.
    let memo = "m".repeat(max + 1);
    let tx = sign(
        &alice,
        &data,
        vec![msg_send(&alice.address, &bob.address, 1)],
        &standard_fee(),
        &memo,
    )
    .unwrap();
    assert!(tx.len() > max);
    let (check_log, _) = assert_rejected(&mut chain, &tx, ("sdk", 21), &[&alice, &bob]);
    assert!(
        check_log.contains(&format!("the limit is {max}")),
        "{check_log}"
    );
    // Garbage over the limit is also refused by size, not by decoding.
    assert_rejected(
        &mut chain,
        &vec![0xff; max + 1],
        ("sdk", 21),
        &[&alice, &bob],
    );

    // Just over the memo limit, well under the size limit: sdk 12.
    let memo = "m".repeat(257);
    let tx = sign(
        &alice,
        &data,
        vec![msg_send(&alice.address, &bob.address, 1)],
        &standard_fee(),
        &memo,
    )
    .unwrap();
    assert_rejected(&mut chain, &tx, ("sdk", 12), &[&alice, &bob]);
}

#[test]
fn a_tx_without_signatures_or_from_an_unknown_account_is_refused() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        1,
        &standard_fee(),
    );
    let mut raw = TxRaw::decode(tx.as_slice()).unwrap();
    raw.signatures.clear();
    assert_rejected(
        &mut chain,
        &raw.encode_to_vec(),
        ("sdk", 15),
        &[&alice, &bob],
    );

    // Dave never received anything, so the chain has no account for him.
    let dave = TestKey::from_seed(4);
    assert_eq!(account(&chain.driver, &dave.address), None);
    let data = SignerData {
        chain_id: CHAIN_ID.into(),
        account_number: 3,
        sequence: 0,
    };
    let tx = send_tx(&dave, &data, &bob.address, 1, &standard_fee());
    let (check_log, _) = assert_rejected(&mut chain, &tx, ("sdk", 9), &[&alice, &bob]);
    assert!(check_log.contains(&dave.address), "{check_log}");
    assert_eq!(account(&chain.driver, &dave.address), None);

    // A signer that is not the message's sender: the key does not match the address.
    let tx = sign(
        &bob,
        &chain.signer(&alice),
        vec![msg_send(&alice.address, &bob.address, 1)],
        &standard_fee(),
        "",
    )
    .unwrap();
    assert_rejected(&mut chain, &tx, ("sdk", 8), &[&alice, &bob]);
}

fn simulate(driver: &InProcess, tx: &[u8]) -> SimulateResponse {
    #[allow(deprecated)]
    let request = SimulateRequest {
        tx: None,
        tx_bytes: tx.to_vec(),
    };
    query(driver, SIMULATE_PATH, request).unwrap_or_else(|e| panic!("simulate: {e:?}"))
}

#[test]
fn simulate_estimates_the_gas_a_block_then_uses() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    // Bob's first tx also stores his public key; alice's second does not.
    for key in [&bob, &alice, &alice] {
        let to = if key.address == alice.address {
            &bob.address
        } else {
            &alice.address
        };
        let tx = send_tx(key, &chain.signer(key), to, 4321, &standard_fee());
        let before = chain.snapshot(&[&alice, &bob]);
        let sim = simulate(&chain.driver, &tx);
        assert_eq!(
            chain.snapshot(&[&alice, &bob]),
            before,
            "simulate wrote state"
        );
        let estimate = sim.gas_info.unwrap().gas_used;
        let result = sim.result.unwrap();
        assert_eq!(result.msg_responses.len(), 1);
        assert_eq!(
            result.msg_responses[0].type_url,
            "/cosmos.bank.v1beta1.MsgSendResponse"
        );

        let used = chain.driver.deliver(vec![tx])[0].gas_used as u64;
        let diff = estimate.abs_diff(used);
        println!("simulate estimate {estimate}, block used {used}, diff {diff}");
        assert!(diff * 10 <= used, "estimate {estimate} vs used {used}");
    }

    // A simulation that fails reports the failure.
    let too_much = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        ALICE_FUNDS * 2,
        &standard_fee(),
    );
    #[allow(deprecated)]
    let request = SimulateRequest {
        tx: None,
        tx_bytes: too_much,
    };
    let err = query::<SimulateResponse>(&chain.driver, SIMULATE_PATH, request).unwrap_err();
    assert_eq!((err.0.as_str(), err.1), ("sdk", 5), "{}", err.2);
}

/// The unsigned tx cosmjs (`TxExtension.simulate`) and Keplr send for a gas estimate: the
/// signer's key and sequence with SIGN_MODE_UNSPECIFIED, an empty fee with no gas limit, and
/// one empty signature.
fn wallet_simulation_tx(key: &TestKey, sequence: u64, msgs: Vec<Any>) -> Vec<u8> {
    use cosmrs::proto::cosmos::tx::v1beta1::{
        mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody,
    };
    let body = TxBody {
        messages: msgs,
        ..Default::default()
    };
    #[allow(deprecated)]
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: cosmrs::proto::cosmos::crypto::secp256k1::PubKey {
                    key: key.pubkey_bytes(),
                }
                .encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: 0 })),
            }),
            sequence,
        }],
        fee: Some(Fee::default()),
        tip: None,
    };
    TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth_info.encode_to_vec(),
        signatures: vec![Vec::new()],
    }
    .encode_to_vec()
}

#[test]
fn a_wallet_style_unsigned_simulation_is_answered() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let (_, sequence) = chain.account(&alice.address);
    let sim = wallet_simulation_tx(
        &alice,
        sequence,
        vec![msg_send(&alice.address, &bob.address, 4321)],
    );
    let estimate = simulate(&chain.driver, &sim).gas_info.unwrap().gas_used;
    assert!(estimate > 0);
    // Nothing was written. The same bytes are refused by CheckTx and in a block (first for
    // their zero gas limit), and with a fee and gas limit for their sign mode.
    assert_eq!(chain.account(&alice.address), (0, 0));
    assert_rejected(&mut chain, &sim, ("sdk", 41), &[&alice, &bob]);
    let mut raw = TxRaw::decode(sim.as_slice()).unwrap();
    let mut auth_info =
        cosmrs::proto::cosmos::tx::v1beta1::AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .unwrap();
    auth_info.fee = Some(cosmrs::proto::cosmos::tx::v1beta1::Fee {
        amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: DENOM.into(),
            amount: FEE.to_string(),
        }],
        gas_limit: GAS,
        ..Default::default()
    });
    raw.auth_info_bytes = auth_info.encode_to_vec();
    let (check_log, _) = assert_rejected(
        &mut chain,
        &raw.encode_to_vec(),
        ("sdk", 37),
        &[&alice, &bob],
    );
    assert!(check_log.contains("sign mode"), "{check_log}");
}

#[test]
fn a_wallet_style_estimate_with_the_usual_multiplier_covers_the_tx() {
    let mut chain = Chain::new();
    let (alice, bob) = (alice(), bob());
    let data = chain.signer(&alice);
    let sim = wallet_simulation_tx(
        &alice,
        data.sequence,
        vec![msg_send(&alice.address, &bob.address, 4321)],
    );
    let estimate = simulate(&chain.driver, &sim).gas_info.unwrap().gas_used;
    // cosmjs multiplies by 1.4 for "auto" fees, Keplr by 1.3 by default.
    let gas = estimate * 13 / 10;
    let fee = FeeSpec::new(u128::from(gas).div_ceil(400), gas);
    let tx = send_tx(&alice, &data, &bob.address, 4321, &fee);
    assert_eq!(chain.driver.check_tx(&tx).code, 0);
    let r = &chain.driver.deliver(vec![tx])[0];
    println!(
        "wallet-style estimate {estimate}, limit {gas}, block used {}",
        r.gas_used
    );
    assert_eq!(r.code, 0, "{}", r.log);
}

#[test]
fn consecutive_sequences_from_one_account_all_land_in_one_block() {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (alice(), bob(), carol());
    let mut data = chain.signer(&alice);
    let mut txs = Vec::new();
    for (i, to) in [&bob.address, &carol.address, &bob.address]
        .into_iter()
        .enumerate()
    {
        let tx = send_tx(&alice, &data, to, 100 * (i as u128 + 1), &standard_fee());
        let check = chain.driver.check_tx(&tx);
        assert_eq!(check.code, 0, "sequence {}: {}", data.sequence, check.log);
        txs.push(tx);
        data.sequence += 1;
    }
    // The mempool's state is ahead of the committed one.
    assert_eq!(chain.account(&alice.address), (0, 0));
    let stale = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        1,
        &standard_fee(),
    );
    let check = chain.driver.check_tx(&stale);
    assert_eq!(check_code(&check), ("sdk", 32), "{}", check.log);
    assert!(check.log.contains("expected 3, got 0"), "{}", check.log);
    let mut gap = data.clone();
    gap.sequence += 1;
    let check = chain
        .driver
        .check_tx(&send_tx(&alice, &gap, &bob.address, 1, &standard_fee()));
    assert_eq!(check_code(&check), ("sdk", 32), "{}", check.log);

    let results = chain.driver.deliver(txs);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.code, 0, "tx {i}: {}", r.log);
    }
    assert_eq!(chain.account(&alice.address), (0, 3));
    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - 600 - 3 * FEE);
    assert_eq!(chain.balance(&bob.address), BOB_FUNDS + 400);
    assert_eq!(chain.balance(&carol.address), CAROL_FUNDS + 200);
    assert_eq!(chain.collected(), 3 * FEE);

    // After the commit the mempool state starts over from the block: sequence 3 is next.
    let tx = send_tx(&alice, &data, &bob.address, 1, &standard_fee());
    assert_eq!(chain.driver.check_tx(&tx).code, 0);
}

fn info(driver: &InProcess) -> (i64, Vec<u8>) {
    let info = driver.node().info(abci::RequestInfo::default());
    (info.last_block_height, info.last_block_app_hash.to_vec())
}

#[test]
fn a_restarted_node_reports_the_same_height_hash_and_balances() {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (alice(), bob(), carol());
    for amount in [1_000u128, 2_000] {
        let tx = send_tx(
            &alice,
            &chain.signer(&alice),
            &bob.address,
            amount,
            &standard_fee(),
        );
        assert_eq!(chain.driver.deliver(vec![tx])[0].code, 0);
    }
    let keys = [&alice, &bob, &carol];
    let before = (
        info(&chain.driver),
        chain.snapshot(&keys),
        chain.driver.height(),
    );
    assert_eq!(before.0 .0, 3);
    assert_eq!(before.0 .1.len(), 32);

    let Chain { driver, dir, .. } = chain;
    drop(driver);
    let driver = open(dir.path());
    let mut chain = Chain { driver, dir };
    assert_eq!(chain.driver.chain_id(), CHAIN_ID);
    assert_eq!(
        (
            info(&chain.driver),
            chain.snapshot(&keys),
            chain.driver.height()
        ),
        before
    );

    // And it carries on: the next tx (signed for the chain id read back from the store) lands.
    let tx = send_tx(
        &alice,
        &chain.signer(&alice),
        &bob.address,
        3_000,
        &standard_fee(),
    );
    assert_eq!(chain.driver.check_tx(&tx).code, 0);
    let results = chain.driver.deliver(vec![tx]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert_eq!(info(&chain.driver).0, 4);
    assert_eq!(chain.balance(&alice.address), ALICE_FUNDS - 6_000 - 3 * FEE);
}

#[test]
fn an_exported_genesis_starts_a_chain_with_the_same_state() {
    // Staking's historical info (one entry per height) is not exported: a restarted chain
    // records its own. Without it the two stores hold exactly the same keys.
    let mut app_state = Chain::genesis();
    app_state["staking"] = serde_json::json!({
        "params": depin_staking::Params { historical_entries: 0, ..Default::default() }
    });
    let mut chain = Chain::with_genesis(app_state);
    let (alice, bob, carol) = (alice(), bob(), carol());
    let dave = TestKey::from_seed(4);
    // Some history: sends, a failed send, a new account (dave), keys stored on chain.
    let txs = vec![
        send_tx(
            &alice,
            &chain.signer(&alice),
            &dave.address,
            50_000,
            &standard_fee(),
        ),
        send_tx(
            &bob,
            &chain.signer(&bob),
            &carol.address,
            7,
            &standard_fee(),
        ),
    ];
    assert!(chain.driver.deliver(txs).iter().all(|r| r.code == 0));
    let txs = vec![
        send_tx(
            &dave,
            &chain.signer(&dave),
            &alice.address,
            1_000,
            &standard_fee(),
        ),
        send_tx(
            &alice,
            &chain.signer(&alice),
            &bob.address,
            ALICE_FUNDS,
            &standard_fee(),
        ),
    ];
    let results = chain.driver.deliver(txs);
    assert_eq!((results[0].code, results[1].code), (0, 5));

    let app = chain.driver.node().app().clone();
    let store = chain.driver.node().store();
    let env = Env::new(CHAIN_ID, store.version(), ExecMode::Query);
    let exported = app
        .export_genesis(&mut WorkingSet::new(store.latest_view().unwrap()), &env)
        .unwrap();
    // What a genesis file holds is JSON text: go through it.
    let exported: serde_json::Value = serde_json::from_str(&exported.to_string()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut fresh = open(dir.path());
    // The chain's clock is state too (the block time CheckTx and queries run at): start the
    // new chain at the time the old one stopped, so that their next blocks are alike.
    fresh.set_time(chain.driver.time());
    // It continues the old chain's heights.
    fresh
        .init_chain_at(CHAIN_ID, &exported, chain.driver.height() + 1)
        .unwrap();
    fresh.block(vec![]);

    let holders = [
        alice.address.clone(),
        bob.address.clone(),
        carol.address.clone(),
        dave.address.clone(),
    ];
    for address in &holders {
        assert_eq!(
            balance(&fresh, address),
            balance(&chain.driver, address),
            "balance of {address}"
        );
    }
    for key in [&alice, &bob, &carol, &dave] {
        assert_eq!(
            account(&fresh, &key.address),
            account(&chain.driver, &key.address),
            "account of {}",
            key.address
        );
    }
    assert_eq!(
        account(&fresh, &dave.address),
        Some((12, 1)),
        "dave came after the nine module accounts (fee collector, gov, mint, the two staking \
         pools, device, market, rewards, distribution)"
    );
    assert_eq!(total_supply(&fresh), total_supply(&chain.driver));

    // The store holds exactly the same keys and values after the next empty block of the old
    // chain and the first block of the new one, but for the new chain's recorded initial
    // height (which is why a restarted chain's app hash is its own).
    chain.driver.block(vec![]);
    assert_eq!(fresh.height(), chain.driver.height());
    // Their exports are the same document.
    let export_of = |d: &InProcess| {
        let store = d.node().store();
        let env = Env::new(CHAIN_ID, d.height(), ExecMode::Query);
        app.export_genesis(&mut WorkingSet::new(store.latest_view().unwrap()), &env)
            .unwrap()
    };
    assert_eq!(export_of(&fresh), export_of(&chain.driver));
    let raw = |d: &InProcess| {
        use depin_app::store::KvRead;
        let view = d.node().store().latest_view().unwrap();
        view.range(None, None, cosmwasm_std::Order::Ascending)
            .filter(|(k, _)| k.as_slice() != b"app/initial_height")
            .collect::<Vec<_>>()
    };
    let (a, b) = (raw(&fresh), raw(&chain.driver));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x,
            y,
            "export → import does not reproduce the state at {}",
            String::from_utf8_lossy(&x.0)
        );
    }

    // The new chain carries on where the old one stopped.
    let data = SignerData {
        chain_id: CHAIN_ID.into(),
        account_number: 12,
        sequence: 1,
    };
    let tx = send_tx(&dave, &data, &bob.address, 1, &standard_fee());
    let results = fresh.deliver(vec![tx]);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
}
