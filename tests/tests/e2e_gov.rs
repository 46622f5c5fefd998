//! Governance end to end on a real four-validator localnet, driven through the `depind` CLI as
//! proposers, depositors, validators and delegators would. Three proposals overlap in time
//! (voting periods of 10 s of block time):
//! - #fee raises the hotspot class's onboarding fee (`depin.device.v1.MsgUpdateParams` with the
//!   complete device params): submitted with less than the minimum deposit it waits in its
//!   deposit period (found by status and by depositor; a vote on it is refused with gov code 3),
//!   a second account deposits the rest and starts its voting period; three validators vote yes
//!   (one of them a weighted yes/no), a delegator of one of them votes no and so takes its stake
//!   out of its validator's vote, a delegator of another does not vote and inherits its
//!   validator's yes. The tally query shows exactly what the test recomputes from the bonded
//!   validators and the voters' delegations. It passes in the first block at or after its voting
//!   end time: both deposits refunded to the unit, the device params hold the new fee from that
//!   block on, and the next onboarding burns the new fee (an onboarding before it burned the
//!   old one);
//! - #quorum: only a small delegator votes: quorum fails, REJECTED, its deposit burned (the
//!   supply drops by exactly the deposit, the proposer gets nothing back);
//! - #veto: no_with_veto above 1/3 of the votes (a delegator inheriting its validator's veto):
//!   REJECTED, its deposit burned;
//! - a vote on an unknown proposal is refused with gov code 2, one on a rejected proposal with
//!   code 3;
//! - at every height of the run the gov module account holds exactly the deposits of the open
//!   proposals, and the supply is the genesis supply less exactly the burned deposits and fees.

use std::time::{Duration, Instant};

use base64::Engine;
use depin_device::client::DeviceSigner;
use depin_tests::cli::{
    attr, coin_amount, dec_units, has_attr, hex, module_account, num, tx_events, Events, DEC,
};
use depin_tests::localnet::Localnet;
use prost::Message;
use serde_json::{json, Value};
use tendermint::block::Height;
use tendermint_rpc::Client;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const VALIDATORS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(60);
const DENOM: &str = "udepin";

/// Each genesis validator's self delegation (`depind testnet`'s default).
const STAKE: u128 = 100_000_000;
/// Governance: the default minimum deposit, short periods (block time).
const MIN_DEPOSIT: u128 = 10_000_000;
const VOTING_PERIOD_NS: u64 = 10_000_000_000;
const EXPEDITED_VOTING_PERIOD_NS: u64 = 4_000_000_000;
const MAX_DEPOSIT_PERIOD_NS: u64 = 30_000_000_000;
/// The fee proposal's initial deposit; the depositor adds the rest.
const INITIAL_DEPOSIT: u128 = 4_000_000;
const SECOND_DEPOSIT: u128 = MIN_DEPOSIT - INITIAL_DEPOSIT;
/// Delegations: the dissenter to node1's validator (votes no), the silent one to node0's
/// (inherits its yes, and votes yes alone on the quorum proposal).
const DISSENTER_STAKE: u128 = 7_000_000;
const SILENT_STAKE: u128 = 3_000_000;

const MAKER: &str = "acme";
const CLASS: &str = "hotspot";
/// The hotspot class's onboarding fee: the default, and what the passing proposal sets.
const OLD_FEE: u128 = 1_000_000;
const NEW_FEE: u128 = 2_500_000;
/// What the rejected proposals would have set (never seen).
const QUORUM_FEE: u128 = 7_000_000;
const VETO_FEE: u128 = 9_000_000;

/// Every transaction: this gas limit and fee (the minimum price 0.0025).
const GAS: u64 = 1_000_000;
const FEE: u128 = 2_500;
/// What each of the test's own accounts gets in genesis.
const FUNDS: u128 = 1_000_000_000;

const MAKER_SECRET: [u8; 32] = [0x4d; 32];
const DEVICE_SECRETS: [[u8; 32]; 2] = [[0x5e; 32], [0x5f; 32]];

/// The udepin in a JSON coin list ([{denom, amount}]).
fn coins_amount(v: &Value) -> u128 {
    v.as_array()
        .unwrap_or_else(|| panic!("not a coin list: {v}"))
        .iter()
        .filter(|c| c["denom"] == DENOM)
        .map(|c| num(&c["amount"]))
        .sum()
}

/// `a × b / 10^18` rounded half to even (a decimal product).
fn mul_dec(a: u128, b: u128) -> u128 {
    let (q, r) = (a / DEC * b + (a % DEC) * b / DEC, (a % DEC) * b % DEC);
    if r > DEC / 2 || (r == DEC / 2 && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

/// A key that signs transactions: `name` in node `home`'s test keyring.
#[derive(Clone, Debug)]
struct Signer {
    home: usize,
    name: String,
    address: String,
}

struct Chain {
    net: Localnet,
    dir: tempfile::TempDir,
}

impl Chain {
    fn query_at(&self, h: u64, args: &[&str]) -> Value {
        self.net.query_at(0, h, args)
    }

    fn query(&self, args: &[&str]) -> Value {
        self.net.query(0, args)
    }

    fn cli_json(&self, args: &[&str]) -> Value {
        self.net.cli_json(0, args)
    }

    /// `depind tx <args> --from <signer>` with the test's gas and fee, signed in the signer's
    /// home, broadcast to that node and waited for. Returns the result whatever its code.
    fn try_tx(&self, s: &Signer, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--from", &s.name]);
        self.net.tx_json(s.home, &all, GAS, FEE)
    }

    /// As [`Chain::try_tx`], asserting it succeeded; returns (height, result).
    fn tx(&self, s: &Signer, args: &[&str]) -> (u64, Value) {
        let r = self.try_tx(s, args);
        assert_eq!(r["code"], 0, "{} {args:?}: {r}", s.name);
        (num(&r["height"]) as u64, r)
    }

    /// `tx gov submit-proposal` of a file changing the device params to `params`; returns
    /// (height, proposal id, result).
    fn submit(&self, s: &Signer, title: &str, params: &Value, deposit: u128) -> (u64, u64, Value) {
        let file = self.dir.path().join(format!("{}.json", s.name));
        let proposal = json!({
            "messages": [{
                "@type": "/depin.device.v1.MsgUpdateParams",
                "authority": module_account("gov"),
                "params": params,
            }],
            "metadata": "",
            "deposit": format!("{deposit}{DENOM}"),
            "title": title,
            "summary": format!("{title}: the hotspot onboarding fee changes."),
            "expedited": false,
        });
        std::fs::write(&file, serde_json::to_vec_pretty(&proposal).unwrap()).unwrap();
        let (h, r) = self.tx(
            s,
            &["gov", "submit-proposal", file.to_str().expect("utf-8 path")],
        );
        // The submission's event (a second one marks the start of voting, if it started).
        let submitted: Vec<_> = tx_events(&r, "submit_proposal")
            .into_iter()
            .filter(|e| has_attr(e, "proposal_id"))
            .collect();
        assert_eq!(submitted.len(), 1, "{r}");
        let id: u64 = attr(&submitted[0], "proposal_id").parse().expect("id");
        assert_eq!(attr(&submitted[0], "proposal_proposer"), s.address);
        assert_eq!(
            attr(&submitted[0], "proposal_messages"),
            ",/depin.device.v1.MsgUpdateParams"
        );
        (h, id, r)
    }

    fn abci<Resp: Message + Default>(&self, h: u64, path: &str, req: impl Message) -> Resp {
        self.net.abci_at(0, h, path, req)
    }

    /// A balance at height `h` (ABCI query: fast enough for every height).
    fn balance_at(&self, h: u64, address: &str) -> u128 {
        self.net.balance_abci_at(0, h, address)
    }

    fn supply_at(&self, h: u64) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::{
            QuerySupplyOfRequest, QuerySupplyOfResponse,
        };
        let r: QuerySupplyOfResponse = self.abci(
            h,
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            QuerySupplyOfRequest {
                denom: DENOM.into(),
            },
        );
        r.amount.map_or(0, |c| c.amount.parse().expect("amount"))
    }

    /// The events of block `h`'s FinalizeBlock outside transactions (begin and end block).
    fn block_events(&self, h: u64) -> Events {
        self.net.block_events(0, h)
    }

    /// Block `h`'s time (BFT time) in nanoseconds since the Unix epoch.
    fn block_time_ns(&self, h: u64) -> u128 {
        let b = self
            .net
            .rt
            .block_on(self.net.rpc(0).block(Height::try_from(h).expect("height")))
            .unwrap_or_else(|e| panic!("/block?height={h}: {e}"));
        time_ns(&b.block.header.time)
    }

    fn proposal_at(&self, h: u64, id: u64) -> Value {
        self.query_at(h, &["gov", "proposal", &id.to_string()])["proposal"].clone()
    }

    /// The ids `query gov proposals <filters>` lists at height `h`.
    fn proposal_ids_at(&self, h: u64, filters: &[&str]) -> Vec<u64> {
        let mut args = vec!["gov", "proposals"];
        args.extend_from_slice(filters);
        self.query_at(h, &args)["proposals"]
            .as_array()
            .map(|ps| ps.iter().map(|p| num(&p["id"]) as u64).collect())
            .unwrap_or_default()
    }

    /// The tally query's four counts at height `h`: (yes, abstain, no, no_with_veto).
    fn tally_at(&self, h: u64, id: u64) -> Tally {
        Tally::from_json(&self.query_at(h, &["gov", "tally", &id.to_string()])["tally"])
    }

    fn settled(&self) -> u64 {
        self.net.height(0).saturating_sub(1)
    }
}

fn time_ns(t: &tendermint::Time) -> u128 {
    t.duration_since(tendermint::Time::unix_epoch())
        .expect("after 1970")
        .as_nanos()
}

fn rfc3339_ns(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    time_ns(&tendermint::Time::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}")))
}

/// Whole tokens per option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    yes: u128,
    abstain: u128,
    no: u128,
    no_with_veto: u128,
}

impl Tally {
    fn from_json(t: &Value) -> Tally {
        Tally {
            yes: num(&t["yes_count"]),
            abstain: num(&t["abstain_count"]),
            no: num(&t["no_count"]),
            no_with_veto: num(&t["no_with_veto_count"]),
        }
    }
}

/// A vote: (option name as the chain stores it, weight in 10^-18 units).
type VoteOptions = Vec<(&'static str, u128)>;

/// The tally the chain should report, recomputed from what staking shows (the bonded
/// validators' tokens and shares, every voter's delegations) the way the Cosmos SDK's x/gov
/// does: each voter counts the power of its own delegations with its vote, and those shares are
/// deducted from their validators; a validator that voted counts what is left of its shares
/// (its delegators that did not vote inherit its vote). Power of `s` shares: s × tokens ÷
/// shares; each option gets power × weight. Returns the counts truncated to whole tokens and
/// the total power that voted (10^-18 units).
fn expected_tally(chain: &Chain, votes: &[(String, VoteOptions)]) -> (Tally, u128) {
    // Bonded validators: operator (as account address) → (tokens, shares).
    let codec = depin_app::address::AddressCodec::new(depin_simapp::ADDRESS_PREFIX);
    let valoper_codec =
        depin_app::address::AddressCodec::new(&format!("{}valoper", depin_simapp::ADDRESS_PREFIX));
    let listed = chain.query(&["staking", "validators"]);
    let mut vals: std::collections::BTreeMap<String, (u128, u128, u128, Option<VoteOptions>)> =
        Default::default();
    for v in listed["validators"].as_array().expect("validators") {
        if v["status"] != "BOND_STATUS_BONDED" {
            continue;
        }
        let operator = v["operator_address"].as_str().expect("operator");
        let account = codec.encode(&valoper_codec.decode(operator).expect("valoper"));
        let shares = dec_units(v["delegator_shares"].as_str().expect("shares"));
        vals.insert(account, (num(&v["tokens"]), shares, 0, None));
    }
    // In 10^-18 units; exact here (shares and tokens are equal: nobody was slashed), which
    // the test checks.
    let power = |shares: u128, tokens: u128, total: u128| -> u128 {
        assert_eq!(shares * tokens % total, 0, "inexact voting power");
        shares * tokens / total * DEC
    };
    let mut acc = [0u128; 4];
    let mut total = 0u128;
    let slot = |o: &str| match o {
        "VOTE_OPTION_YES" => 0,
        "VOTE_OPTION_ABSTAIN" => 1,
        "VOTE_OPTION_NO" => 2,
        "VOTE_OPTION_NO_WITH_VETO" => 3,
        _ => panic!("option {o}"),
    };
    for (voter, options) in votes {
        if let Some(v) = vals.get_mut(voter) {
            v.3 = Some(options.clone());
        }
        let dels = chain.query(&["staking", "delegations", voter]);
        for d in dels["delegation_responses"]
            .as_array()
            .expect("delegations")
        {
            let d = &d["delegation"];
            let operator = d["validator_address"].as_str().expect("validator");
            let account = codec.encode(&valoper_codec.decode(operator).expect("valoper"));
            let Some(v) = vals.get_mut(&account) else {
                continue;
            };
            let shares = dec_units(d["shares"].as_str().expect("shares"));
            v.2 += shares;
            let p = power(shares, v.0, v.1);
            for (o, w) in options {
                acc[slot(o)] += mul_dec(p, *w);
            }
            total += p;
        }
    }
    for (tokens, shares, deducted, vote) in vals.values() {
        let Some(options) = vote else { continue };
        let p = power(shares - deducted, *tokens, *shares);
        for (o, w) in options {
            acc[slot(o)] += mul_dec(p, *w);
        }
        total += p;
    }
    (
        Tally {
            yes: acc[0] / DEC,
            abstain: acc[1] / DEC,
            no: acc[2] / DEC,
            no_with_veto: acc[3] / DEC,
        },
        total,
    )
}

/// Puts `secret` in node0's test keyring as `name`.
fn import_key(net: &Localnet, name: &str, secret: &[u8; 32]) -> Signer {
    Signer {
        home: 0,
        name: name.to_string(),
        address: net.import_key(0, name, secret).address,
    }
}

/// Short governance periods, no reward emission during the run (so that the supply moves
/// only by burns), and the maker `acme` allowed to attest hotspots.
fn patch_genesis(g: &mut Value) {
    let p = &mut g["app_state"]["gov"]["params"];
    assert_eq!(coins_amount(&p["min_deposit"]), MIN_DEPOSIT, "{p}");
    p["voting_period_ns"] = json!(VOTING_PERIOD_NS);
    p["expedited_voting_period_ns"] = json!(EXPEDITED_VOTING_PERIOD_NS);
    p["max_deposit_period_ns"] = json!(MAX_DEPOSIT_PERIOD_NS);
    assert_eq!(p["burn_vote_quorum"], true, "{p}");
    assert_eq!(p["burn_vote_veto"], true, "{p}");
    g["app_state"]["rewards"]["params"]["epoch_blocks"] = json!("1000000");
    let maker = DeviceSigner::secp256k1(&MAKER_SECRET)
        .expect("maker key")
        .public_key();
    g["app_state"]["device"]["makers"] = json!([{
        "name": MAKER,
        "key": {
            "type": "KEY_TYPE_SECP256K1",
            "key": base64::engine::general_purpose::STANDARD.encode(&maker.key),
        },
        "allowed_classes": [CLASS],
        "device_quota": "10",
        "devices_onboarded": "0",
        "revoked": false,
        "revoked_height": "0",
    }]);
}

/// The device params with the hotspot class's onboarding fee set to `fee`.
fn with_fee(params: &Value, fee: u128) -> Value {
    let mut p = params.clone();
    let class = p["classes"]
        .as_array_mut()
        .expect("classes")
        .iter_mut()
        .find(|c| c["name"] == CLASS)
        .expect("the hotspot class");
    class["onboarding_fee"] = json!([{ "denom": DENOM, "amount": fee.to_string() }]);
    p
}

fn hotspot_fee(params: &Value) -> u128 {
    let class = params["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|c| c["name"] == CLASS)
        .expect("the hotspot class");
    coins_amount(&class["onboarding_fee"])
}

/// Onboards device `n` (its key from `DEVICE_SECRETS[n]`) for `owner` through the CLI; returns
/// the result's height and the amount the transaction burned.
fn onboard(chain: &Chain, owner: &Signer, n: usize) -> (u64, u128) {
    let device = chain.cli_json(&[
        "device",
        "keygen",
        "--type",
        "secp256k1",
        "--secret",
        &hex(&DEVICE_SECRETS[n]),
    ]);
    let secret = device["secret"].as_str().expect("secret").to_string();
    let key = device["public_key"].as_str().expect("key").to_string();
    let serial = format!("SN-G{n}");
    let attestation = chain.cli_json(&[
        "device",
        "sign",
        "attestation",
        "--maker-secret",
        &format!("secp256k1:{}", hex(&MAKER_SECRET)),
        "--device-key",
        &key,
        "--class",
        CLASS,
        "--serial",
        &serial,
    ]);
    let nonce = (n + 1).to_string();
    let possession = chain.cli_json(&[
        "device",
        "sign",
        "possession",
        "--device-secret",
        &secret,
        "--owner",
        &owner.address,
        "--nonce",
        &nonce,
    ]);
    let cell = h3o::LatLng::new(52.52 + n as f64 * 0.01, 13.405)
        .expect("lat lng")
        .to_cell(h3o::Resolution::Ten);
    let (h, r) = chain.tx(
        owner,
        &[
            "device",
            "onboard",
            "--maker",
            MAKER,
            "--class",
            CLASS,
            "--serial",
            &serial,
            "--device-key",
            &key,
            "--attestation",
            attestation["signature"].as_str().expect("signature"),
            "--nonce",
            &nonce,
            "--possession",
            possession["signature"].as_str().expect("signature"),
            "--h3-cell",
            &format!("{:x}", u64::from(cell)),
        ],
    );
    let onboarded = tx_events(&r, "device_onboarded");
    assert_eq!(onboarded.len(), 1, "{r}");
    assert_eq!(attr(&onboarded[0], "owner"), owner.address);
    let burned: u128 = tx_events(&r, "burn")
        .iter()
        .map(|a| coin_amount(attr(a, "amount")))
        .sum();
    (h, burned)
}

/// A refused vote: the CLI prints the result with its code (CheckTx or the block).
fn refused_vote(chain: &Chain, s: &Signer, id: u64) -> Value {
    let r = chain.try_tx(s, &["gov", "vote", &id.to_string(), "yes"]);
    assert_eq!(r["codespace"], "gov", "vote of {} on {id}: {r}", s.name);
    r
}

fn block_events_of<'a>(events: &'a Events, kind: &str, id: u64) -> Vec<&'a Vec<(String, String)>> {
    events
        .iter()
        .filter(|(k, a)| {
            k == kind
                && a.iter()
                    .any(|(k, v)| k == "proposal_id" && *v == id.to_string())
        })
        .map(|(_, a)| a)
        .collect()
}

#[test]
fn proposals_pass_fail_quorum_and_get_vetoed() {
    let started = Instant::now();
    let mut net = Localnet::generate(DEPIND, VALIDATORS, 0);
    let proposer = import_key(&net, "proposer", &[0x11; 32]);
    let depositor = import_key(&net, "depositor", &[0x12; 32]);
    let quorum_proposer = import_key(&net, "quorum-proposer", &[0x13; 32]);
    let veto_proposer = import_key(&net, "veto-proposer", &[0x14; 32]);
    let dissenter = import_key(&net, "dissenter", &[0x15; 32]);
    let silent = import_key(&net, "silent", &[0x16; 32]);
    let owner = import_key(&net, "owner", &[0x17; 32]);
    let accounts = [
        &proposer,
        &depositor,
        &quorum_proposer,
        &veto_proposer,
        &dissenter,
        &silent,
        &owner,
    ];
    // Funded in node0's genesis, which every node then gets with the test's patch.
    for a in accounts {
        let out = net.depind(
            0,
            &[
                "genesis",
                "add-account",
                &a.address,
                &format!("{FUNDS}{DENOM}"),
            ],
        );
        assert!(
            out.status.success(),
            "genesis add-account: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut genesis: Value = serde_json::from_slice(
        &std::fs::read(net.nodes[0].home.join("config/genesis.json")).expect("genesis"),
    )
    .expect("genesis JSON");
    patch_genesis(&mut genesis);
    net.patch_genesis(|g| *g = genesis.clone());
    for i in 0..VALIDATORS {
        net.start(i);
    }
    net.wait_height(0, 2, TIMEOUT);
    let validators: Vec<Signer> = net
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| Signer {
            home: i,
            name: n.key_name.clone(),
            address: n.key_address.clone(),
        })
        .collect();
    let valopers: Vec<String> = net.nodes.iter().map(|n| n.valoper.clone()).collect();
    let chain = Chain {
        net,
        dir: tempfile::tempdir().expect("temp dir"),
    };
    let gov = module_account("gov");
    let first = chain.settled();
    assert_eq!(chain.balance_at(first, &gov), 0);
    let device_params = chain.query(&["device", "params"])["params"].clone();
    assert_eq!(hotspot_fee(&device_params), OLD_FEE, "{device_params}");
    let gov_params = chain.query(&["gov", "params"])["params"].clone();
    assert_eq!(gov_params["voting_period"], "10s", "{gov_params}");

    // The gov account's balance and the supply change only at these heights, by these amounts.
    let mut gov_moves: Vec<(u64, i128)> = Vec::new();
    let mut burns: Vec<(u64, u128)> = Vec::new();

    // 1. In parallel: the fee proposal with less than the minimum deposit, the two others with
    //    all of it (they vote at once), the two delegations, and a device onboarded at the old
    //    fee.
    let (fee_sub, quorum_sub, veto_sub, (dissent_at, silent_at), onboard_a) =
        std::thread::scope(|s| {
            let fee = s.spawn(|| {
                chain.submit(
                    &proposer,
                    "Raise the hotspot onboarding fee",
                    &with_fee(&device_params, NEW_FEE),
                    INITIAL_DEPOSIT,
                )
            });
            let quorum = s.spawn(|| {
                chain.submit(
                    &quorum_proposer,
                    "A fee nobody votes on",
                    &with_fee(&device_params, QUORUM_FEE),
                    MIN_DEPOSIT,
                )
            });
            let veto = s.spawn(|| {
                chain.submit(
                    &veto_proposer,
                    "A fee the validators veto",
                    &with_fee(&device_params, VETO_FEE),
                    MIN_DEPOSIT,
                )
            });
            let dissenter_delegation = s.spawn(|| {
                let (d, _) = chain.tx(
                    &dissenter,
                    &[
                        "staking",
                        "delegate",
                        &valopers[1],
                        &format!("{DISSENTER_STAKE}{DENOM}"),
                    ],
                );
                d
            });
            let silent_delegation = s.spawn(|| {
                let (d, _) = chain.tx(
                    &silent,
                    &[
                        "staking",
                        "delegate",
                        &valopers[0],
                        &format!("{SILENT_STAKE}{DENOM}"),
                    ],
                );
                d
            });
            let device = s.spawn(|| onboard(&chain, &owner, 0));
            (
                fee.join().unwrap(),
                quorum.join().unwrap(),
                veto.join().unwrap(),
                (
                    dissenter_delegation.join().unwrap(),
                    silent_delegation.join().unwrap(),
                ),
                device.join().unwrap(),
            )
        });
    let (fee_at, fee_id, fee_r) = fee_sub;
    let (quorum_at, quorum_id, quorum_r) = quorum_sub;
    let (veto_at, veto_id, veto_r) = veto_sub;
    eprintln!(
        "proposals #{fee_id} (fee, at {fee_at}), #{quorum_id} (quorum, at {quorum_at}), \
         #{veto_id} (veto, at {veto_at}); delegations at {dissent_at} and {silent_at}"
    );
    let mut ids = vec![fee_id, quorum_id, veto_id];
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3]);
    // The fee proposal's deposit fell short: no voting period yet.
    let d = tx_events(&fee_r, "proposal_deposit");
    assert_eq!(d.len(), 1, "{fee_r}");
    assert_eq!(coin_amount(attr(&d[0], "amount")), INITIAL_DEPOSIT);
    assert!(!has_attr(&d[0], "voting_period_start"), "{fee_r}");
    assert!(tx_events(&fee_r, "submit_proposal")
        .iter()
        .all(|e| !has_attr(e, "voting_period_start")));
    // The full deposits start the voting period in the same transaction: a second
    // submit_proposal event says so, as in the Cosmos SDK.
    for (r, id) in [(&quorum_r, quorum_id), (&veto_r, veto_id)] {
        let d = tx_events(r, "proposal_deposit");
        assert_eq!(d.len(), 1, "{r}");
        assert_eq!(coin_amount(attr(&d[0], "amount")), MIN_DEPOSIT);
        let s = tx_events(r, "submit_proposal");
        assert_eq!(s.len(), 2, "{r}");
        assert_eq!(attr(&s[1], "voting_period_start"), id.to_string());
    }
    gov_moves.extend([
        (fee_at, INITIAL_DEPOSIT as i128),
        (quorum_at, MIN_DEPOSIT as i128),
        (veto_at, MIN_DEPOSIT as i128),
    ]);
    let (onboard_a_at, burned_a) = onboard_a;
    assert_eq!(burned_a, OLD_FEE, "the first onboarding burns the old fee");
    burns.push((onboard_a_at, OLD_FEE));

    // The fee proposal in its deposit period, found by status and by depositor.
    let h1 = fee_at.max(quorum_at).max(veto_at);
    let p = chain.proposal_at(h1, fee_id);
    assert_eq!(p["status"], "PROPOSAL_STATUS_DEPOSIT_PERIOD", "{p}");
    assert_eq!(coins_amount(&p["total_deposit"]), INITIAL_DEPOSIT, "{p}");
    assert_eq!(p["proposer"], proposer.address.as_str());
    assert_eq!(
        rfc3339_ns(&p["deposit_end_time"]) - rfc3339_ns(&p["submit_time"]),
        u128::from(MAX_DEPOSIT_PERIOD_NS),
        "{p}"
    );
    assert_eq!(
        chain.proposal_ids_at(h1, &["--status", "deposit_period"]),
        vec![fee_id]
    );
    assert_eq!(
        chain.proposal_ids_at(h1, &["--depositor", &proposer.address]),
        vec![fee_id]
    );
    assert_eq!(
        chain.proposal_ids_at(
            h1,
            &[
                "--status",
                "deposit_period",
                "--depositor",
                &proposer.address
            ]
        ),
        vec![fee_id]
    );
    let mut voting = vec![quorum_id, veto_id];
    voting.sort();
    assert_eq!(
        chain.proposal_ids_at(h1, &["--status", "voting_period"]),
        voting
    );
    assert_eq!(chain.tally_at(h1, fee_id), Tally::default());

    // 2. In parallel: a vote on the fee proposal in its deposit period (refused, code 3), then
    //    the rest of its deposit from a second account; a vote on a proposal that does not
    //    exist (code 2); the small delegator's lone yes on the quorum proposal; two validators
    //    veto the third, one votes yes.
    let (refused3, deposit, refused2, lone_yes, veto_vote_heights) = std::thread::scope(|s| {
        let deposit = s.spawn(|| {
            let refused = refused_vote(&chain, &depositor, fee_id);
            let at = chain.tx(
                &depositor,
                &[
                    "gov",
                    "deposit",
                    &fee_id.to_string(),
                    &format!("{SECOND_DEPOSIT}{DENOM}"),
                ],
            );
            (refused, at)
        });
        let unknown = s.spawn(|| refused_vote(&chain, &dissenter, 99));
        let lone = s.spawn(|| chain.tx(&silent, &["gov", "vote", &quorum_id.to_string(), "yes"]));
        let vetoes: Vec<_> = [(1, "no_with_veto"), (3, "no_with_veto"), (2, "yes")]
            .into_iter()
            .map(|(i, option)| {
                let (v, chain) = (&validators[i], &chain);
                s.spawn(move || {
                    chain
                        .tx(v, &["gov", "vote", &veto_id.to_string(), option])
                        .0
                })
            })
            .collect();
        let (refused, deposited) = deposit.join().unwrap();
        (
            refused,
            deposited,
            unknown.join().unwrap(),
            lone.join().unwrap().0,
            vetoes
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(
        refused3["code"], 3,
        "vote in the deposit period: {refused3}"
    );
    assert_eq!(
        refused2["code"], 2,
        "vote on an unknown proposal: {refused2}"
    );
    eprintln!(
        "refused votes: {} (height {}) / {} (height {})",
        refused3["raw_log"], refused3["height"], refused2["raw_log"], refused2["height"]
    );
    // The refusal cost its fee and nothing else (a refusal in the block charges the fee; one
    // at CheckTx charges nothing).
    let (deposit_at, deposit_r) = deposit;
    let refused_fee = match refused3["height"].as_str() {
        Some(h) if h != "0" => {
            let h: u64 = h.parse().unwrap();
            assert_eq!(
                chain.balance_at(h - 1, &depositor.address)
                    - chain.balance_at(h, &depositor.address),
                FEE
            );
            FEE
        }
        _ => 0,
    };
    let d = tx_events(&deposit_r, "proposal_deposit");
    assert_eq!(d.len(), 2, "{deposit_r}");
    assert_eq!(coin_amount(attr(&d[0], "amount")), SECOND_DEPOSIT);
    assert_eq!(attr(&d[0], "depositor"), depositor.address);
    assert!(!has_attr(&d[0], "voting_period_start"), "{deposit_r}");
    assert_eq!(attr(&d[1], "voting_period_start"), fee_id.to_string());
    gov_moves.push((deposit_at, SECOND_DEPOSIT as i128));
    let p = chain.proposal_at(deposit_at, fee_id);
    assert_eq!(p["status"], "PROPOSAL_STATUS_VOTING_PERIOD", "{p}");
    assert_eq!(coins_amount(&p["total_deposit"]), MIN_DEPOSIT, "{p}");
    assert_eq!(
        rfc3339_ns(&p["voting_end_time"]) - rfc3339_ns(&p["voting_start_time"]),
        u128::from(VOTING_PERIOD_NS),
        "{p}"
    );
    assert_eq!(
        rfc3339_ns(&p["voting_start_time"]),
        chain.block_time_ns(deposit_at),
        "the voting period starts at the deposit's block time"
    );
    let deposits = chain.query_at(deposit_at, &["gov", "deposits", &fee_id.to_string()]);
    let mut listed: Vec<(String, u128)> = deposits["deposits"]
        .as_array()
        .expect("deposits")
        .iter()
        .map(|d| {
            (
                d["depositor"].as_str().unwrap().to_string(),
                coins_amount(&d["amount"]),
            )
        })
        .collect();
    listed.sort();
    let mut want = vec![
        (proposer.address.clone(), INITIAL_DEPOSIT),
        (depositor.address.clone(), SECOND_DEPOSIT),
    ];
    want.sort();
    assert_eq!(listed, want, "{deposits}");

    // Mid-vote tallies of the other two, as the votes so far stand (both still voting).
    let h2 = *veto_vote_heights.iter().max().unwrap();
    let h2 = h2.max(lone_yes);
    for id in [quorum_id, veto_id] {
        let p = chain.proposal_at(h2, id);
        assert_eq!(
            p["status"], "PROPOSAL_STATUS_VOTING_PERIOD",
            "#{id} at {h2}: {p}"
        );
    }
    let yes = || vec![("VOTE_OPTION_YES", DEC)];
    let veto = || vec![("VOTE_OPTION_NO_WITH_VETO", DEC)];
    let quorum_votes = vec![(silent.address.clone(), yes())];
    let veto_votes = vec![
        (validators[1].address.clone(), veto()),
        (validators[3].address.clone(), veto()),
        (validators[2].address.clone(), yes()),
    ];
    let (quorum_tally, quorum_power) = expected_tally(&chain, &quorum_votes);
    assert_eq!(
        quorum_tally,
        Tally {
            yes: SILENT_STAKE,
            ..Tally::default()
        }
    );
    assert_eq!(chain.tally_at(h2, quorum_id), quorum_tally);
    // The dissenter, who does not vote on this one, inherits node1's veto.
    let (veto_tally, veto_power) = expected_tally(&chain, &veto_votes);
    assert_eq!(
        veto_tally,
        Tally {
            yes: STAKE,
            no_with_veto: 2 * STAKE + DISSENTER_STAKE,
            ..Tally::default()
        }
    );
    assert_eq!(chain.tally_at(h2, veto_id), veto_tally);

    // 3. The votes on the fee proposal, in parallel: node0 and node1 yes, node2 60% yes and 40%
    //    no, the dissenter (delegating to node1) no. The silent delegator (to node0) inherits
    //    node0's yes; node3 stays out.
    let id = fee_id.to_string();
    let id = id.as_str();
    let fee_votes_at: Vec<u64> = std::thread::scope(|s| {
        let jobs = vec![
            s.spawn(|| chain.tx(&validators[0], &["gov", "vote", id, "yes"]).0),
            s.spawn(|| chain.tx(&validators[1], &["gov", "vote", id, "yes"]).0),
            s.spawn(|| {
                let (h, r) = chain.tx(
                    &validators[2],
                    &["gov", "weighted-vote", id, "yes=0.6,no=0.4"],
                );
                let voted = tx_events(&r, "proposal_vote");
                assert_eq!(voted.len(), 1, "{r}");
                assert_eq!(attr(&voted[0], "voter"), validators[2].address);
                assert_eq!(
                    attr(&voted[0], "option"),
                    "VOTE_OPTION_YES=0.600000000000000000,VOTE_OPTION_NO=0.400000000000000000"
                );
                h
            }),
            s.spawn(|| chain.tx(&dissenter, &["gov", "vote", id, "no"]).0),
        ];
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    let h3 = *fee_votes_at.iter().max().unwrap();
    let p = chain.proposal_at(h3, fee_id);
    assert_eq!(
        p["status"], "PROPOSAL_STATUS_VOTING_PERIOD",
        "votes late: {p}"
    );
    let votes = chain.query_at(h3, &["gov", "votes", &fee_id.to_string()]);
    assert_eq!(votes["votes"].as_array().map(Vec::len), Some(4), "{votes}");
    let node2_vote = votes["votes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["voter"] == validators[2].address.as_str())
        .expect("node2's vote")
        .clone();
    let options: Vec<(String, u128)> = node2_vote["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["option"].as_str().unwrap().to_string(),
                dec_units(o["weight"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        options,
        vec![
            ("VOTE_OPTION_YES".to_string(), DEC / 10 * 6),
            ("VOTE_OPTION_NO".to_string(), DEC / 10 * 4)
        ],
        "{node2_vote}"
    );
    assert_eq!(
        chain.proposal_ids_at(h3, &["--voter", &dissenter.address]),
        vec![fee_id]
    );
    let fee_votes = vec![
        (validators[0].address.clone(), yes()),
        (validators[1].address.clone(), yes()),
        (
            validators[2].address.clone(),
            vec![
                ("VOTE_OPTION_YES", DEC / 10 * 6),
                ("VOTE_OPTION_NO", DEC / 10 * 4),
            ],
        ),
        (dissenter.address.clone(), vec![("VOTE_OPTION_NO", DEC)]),
    ];
    let (fee_tally, fee_power) = expected_tally(&chain, &fee_votes);
    // node0 with its silent delegator, node1 without its dissenter, 60% of node2.
    assert_eq!(
        fee_tally,
        Tally {
            yes: STAKE + SILENT_STAKE + STAKE + STAKE / 10 * 6,
            no: DISSENTER_STAKE + STAKE / 10 * 4,
            ..Tally::default()
        }
    );
    assert_eq!(chain.tally_at(h3, fee_id), fee_tally);
    let bonded = num(&chain.query(&["staking", "pool"])["pool"]["bonded_tokens"]);
    assert_eq!(bonded, 4 * STAKE + DISSENTER_STAKE + SILENT_STAKE);
    // What the decisions will be: quorum 0.334 of the bonded stake, veto above 0.334 of the
    // votes, yes above half of the non-abstaining votes.
    let share = |part: u128, whole: u128| part * 1000 / whole;
    assert!(share(fee_power / DEC, bonded) >= 334);
    assert!(fee_tally.yes * 2 > fee_tally.yes + fee_tally.no);
    assert!(share(quorum_power / DEC, bonded) < 334);
    assert!(share(veto_power / DEC, bonded) >= 334);
    assert!(share(veto_tally.no_with_veto, veto_power / DEC) > 334);

    // 4. The decisions, each in the first block whose time reaches its voting end.
    let voting_ends: Vec<(u64, u128)> = [fee_id, quorum_id, veto_id]
        .iter()
        .map(|&id| {
            (
                id,
                rfc3339_ns(&chain.proposal_at(h3, id)["voting_end_time"]),
            )
        })
        .collect();
    chain
        .net
        .wait_until("the fee proposal decided", TIMEOUT, |_| {
            let h = chain.settled();
            chain.proposal_at(h, fee_id)["status"] != "PROPOSAL_STATUS_VOTING_PERIOD"
        });
    let top = chain.settled();
    let mut decided = std::collections::BTreeMap::new();
    for h in fee_at.min(quorum_at).min(veto_at)..=top {
        let events = chain.block_events(h);
        for &id in &[fee_id, quorum_id, veto_id] {
            let found = block_events_of(&events, "active_proposal", id);
            if !found.is_empty() {
                assert_eq!(found.len(), 1, "block {h}: {events:?}");
                assert!(
                    decided
                        .insert(id, (h, found[0].clone(), events.clone()))
                        .is_none(),
                    "#{id} decided twice"
                );
            }
        }
        assert!(
            block_events_of(&events, "inactive_proposal", fee_id).is_empty(),
            "block {h}: {events:?}"
        );
    }
    for (id, end) in &voting_ends {
        let (h, _, _) = decided
            .get(id)
            .unwrap_or_else(|| panic!("#{id} not decided by {top}"));
        assert!(chain.block_time_ns(*h) >= *end, "#{id} decided at {h}");
        assert!(chain.block_time_ns(h - 1) < *end, "#{id} decided at {h}");
    }
    for h in &fee_votes_at {
        assert!(*h < decided[&fee_id].0);
    }
    assert!(h2 < decided[&veto_id].0 && lone_yes < decided[&quorum_id].0);

    // The fee proposal passed; its deposits came back to the unit.
    let (fee_done, result, _) = &decided[&fee_id];
    let fee_done = *fee_done;
    assert_eq!(
        attr(result, "proposal_result"),
        "proposal_passed",
        "{result:?}"
    );
    assert_eq!(attr(result, "deposits_burned"), "false");
    let p = chain.proposal_at(fee_done, fee_id);
    assert_eq!(p["status"], "PROPOSAL_STATUS_PASSED", "{p}");
    assert_eq!(Tally::from_json(&p["final_tally_result"]), fee_tally, "{p}");
    gov_moves.push((fee_done, -(MIN_DEPOSIT as i128)));
    for (who, deposited, fees) in [
        (&proposer, INITIAL_DEPOSIT, FEE),
        (&depositor, SECOND_DEPOSIT, FEE + refused_fee),
    ] {
        assert_eq!(
            chain.balance_at(fee_done - 1, &who.address),
            FUNDS - fees - deposited,
            "{} before the refund",
            who.name
        );
        assert_eq!(
            chain.balance_at(fee_done, &who.address),
            FUNDS - fees,
            "{} after the refund",
            who.name
        );
    }
    assert_eq!(
        chain.proposal_ids_at(fee_done, &["--depositor", &proposer.address]),
        Vec::<u64>::new(),
        "deposits are deleted once refunded"
    );
    // The device params changed in that block and in no other.
    let before = chain.query_at(fee_done - 1, &["device", "params"])["params"].clone();
    let after = chain.query_at(fee_done, &["device", "params"])["params"].clone();
    assert_eq!(before, device_params);
    assert_eq!(after, with_fee(&device_params, NEW_FEE));
    assert_eq!(hotspot_fee(&after), NEW_FEE);

    // The other two were rejected and their deposits burned.
    for (id, who) in [(quorum_id, &quorum_proposer), (veto_id, &veto_proposer)] {
        let (h, result, events) = &decided[&id];
        assert_eq!(
            attr(result, "proposal_result"),
            "proposal_rejected",
            "{result:?}"
        );
        assert_eq!(attr(result, "deposits_burned"), "true", "{result:?}");
        let p = chain.proposal_at(*h, id);
        assert_eq!(p["status"], "PROPOSAL_STATUS_REJECTED", "{p}");
        let burned: Vec<u128> = events
            .iter()
            .filter(|(k, a)| k == "burn" && attr(a, "burner") == gov)
            .map(|(_, a)| coin_amount(attr(a, "amount")))
            .collect();
        assert!(burned.contains(&MIN_DEPOSIT), "block {h}: {events:?}");
        // The proposer is not refunded.
        assert_eq!(
            chain.balance_at(*h - 1, &who.address),
            FUNDS - FEE - MIN_DEPOSIT
        );
        assert_eq!(
            chain.balance_at(*h, &who.address),
            FUNDS - FEE - MIN_DEPOSIT
        );
        gov_moves.push((*h, -(MIN_DEPOSIT as i128)));
        burns.push((*h, MIN_DEPOSIT));
    }
    assert_eq!(
        Tally::from_json(
            &chain.proposal_at(decided[&quorum_id].0, quorum_id)["final_tally_result"]
        ),
        quorum_tally
    );
    assert_eq!(
        Tally::from_json(&chain.proposal_at(decided[&veto_id].0, veto_id)["final_tally_result"]),
        veto_tally
    );
    // No burn by the gov account in the block of the passing proposal, unless a rejection
    // shared it.
    let (_, _, fee_events) = &decided[&fee_id];
    let gov_burned: u128 = fee_events
        .iter()
        .filter(|(k, a)| k == "burn" && attr(a, "burner") == gov)
        .map(|(_, a)| coin_amount(attr(a, "amount")))
        .sum();
    let shared: u128 = [quorum_id, veto_id]
        .iter()
        .filter(|id| decided[id].0 == fee_done)
        .map(|_| MIN_DEPOSIT)
        .sum();
    assert_eq!(gov_burned, shared);

    // 5. The next onboarding burns the new fee; meanwhile a vote on a decided proposal is
    //    refused (code 3, as in the deposit period).
    let ((onboard_b_at, burned_b), late) = std::thread::scope(|s| {
        let late = s.spawn(|| refused_vote(&chain, &dissenter, quorum_id));
        (onboard(&chain, &owner, 1), late.join().unwrap())
    });
    assert_eq!(late["code"], 3, "vote on a rejected proposal: {late}");
    assert!(onboard_b_at > fee_done);
    assert_eq!(burned_b, NEW_FEE);
    assert_eq!(
        chain.balance_at(onboard_b_at - 1, &owner.address)
            - chain.balance_at(onboard_b_at, &owner.address),
        NEW_FEE + FEE
    );
    assert_eq!(
        chain.balance_at(onboard_b_at, &owner.address),
        FUNDS - OLD_FEE - NEW_FEE - 2 * FEE
    );
    burns.push((onboard_b_at, NEW_FEE));

    // 6. At every height: the gov account holds exactly the open proposals' deposits, and the
    //    supply is the first one less what was burned.
    let end = chain.settled().max(onboard_b_at);
    chain.net.wait_height(0, end + 1, TIMEOUT);
    let supply0 = chain.supply_at(first);
    for h in first..=end {
        let held: i128 = gov_moves
            .iter()
            .filter(|(at, _)| *at <= h)
            .map(|(_, d)| d)
            .sum();
        assert_eq!(
            chain.balance_at(h, &gov) as i128,
            held,
            "gov account at {h}"
        );
        let burned: u128 = burns
            .iter()
            .filter(|(at, _)| *at <= h)
            .map(|(_, b)| b)
            .sum();
        assert_eq!(chain.supply_at(h), supply0 - burned, "supply at {h}");
    }
    assert_eq!(chain.balance_at(end, &gov), 0);
    assert_eq!(
        chain.proposal_ids_at(end, &["--status", "passed"]),
        vec![fee_id]
    );
    let mut rejected = vec![quorum_id, veto_id];
    rejected.sort();
    assert_eq!(
        chain.proposal_ids_at(end, &["--status", "rejected"]),
        rejected
    );
    assert!(chain
        .proposal_ids_at(end, &["--status", "voting_period"])
        .is_empty());

    eprintln!(
        "gov e2e: #{fee_id} passed at {fee_done}, #{quorum_id} and #{veto_id} rejected at {} \
         and {}; heights {first}..={end} checked; {:.1}s",
        decided[&quorum_id].0,
        decided[&veto_id].0,
        started.elapsed().as_secs_f64()
    );
}
