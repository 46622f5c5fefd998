//! What `depind tx gov ...`, `depind query gov ...`, `depind tx upgrade ...` and `depind query
//! upgrade ...` rely on. Without a chain: a proposal file becomes the exact protobuf (decimal
//! fields from decimal text), and bad files, options, ids and addresses are refused with the
//! message index and field named. Through the in-process driver (as distribution_cli.rs): the
//! messages the tx commands build take a proposal through its deposit and voting periods to
//! its execution, or cancel it, and the requests the query commands build answer through
//! gov's and upgrade's ABCI query paths, printed as the REST gateway writes them.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use base64::Engine;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1 as bpb;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::proto::cosmos::upgrade::v1beta1 as upb;
use cosmrs::Any;
use cosmwasm_std::{Decimal256, Timestamp, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::Coin;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_proto::depin::device::v1 as devpb;
use depin_simapp::cmd::gov::{
    cancel_proposal_msg, deposit_msg, gov_address, proposal_messages, submit_proposal_msg,
    submitted_proposal_id, vote_msg, vote_option, weighted_options, weighted_vote_msg, GovQuery,
    PageFlags, ParamsType, ProposalArgs, ProposalFile, StatusArg,
};
use depin_simapp::cmd::query::QueryFlags;
use depin_simapp::cmd::upgrade::{self, UpgradeQuery, UpgradeTx};
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM, VALOPER_PREFIX};
use depin_staking::genesis::{
    GenesisCommission, GenesisCommissionRates, GenesisDelegation, GenesisPubKey, GenesisValidator,
};
use depin_staking::types::{Description, ED25519_PUBKEY_URL};
use prost::Message;
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::ExecTxResult;

const CHAIN_ID: &str = "depin-gov-cli-1";
const FUNDS: u128 = 1_000_000_000;
/// The operator's self delegation and Alice's delegation to the one validator.
const SELF_STAKE: u128 = 10_000_000;
const DELEGATED: u128 = 30_000_000;
const MIN_DEPOSIT: u128 = 10_000_000;
/// Seconds: the driver's blocks are 5 s apart, so voting lasts 10 blocks.
const PERIOD_NS: u64 = 50_000_000_000;
const GENESIS_TIME: i64 = 1_700_000_000;
const CONSTITUTION: &str = "Devices first.";

fn operator() -> TestKey {
    TestKey::from_seed(61)
}

fn alice() -> TestKey {
    TestKey::from_seed(62)
}

fn bob() -> TestKey {
    TestKey::from_seed(63)
}

fn valoper() -> String {
    AddressCodec::new(VALOPER_PREFIX).encode(
        &AddressCodec::new(ADDRESS_PREFIX)
            .decode(&operator().address)
            .unwrap(),
    )
}

fn gov_params() -> depin_gov::Params {
    depin_gov::Params {
        min_deposit: vec![Coin::new(MIN_DEPOSIT, DENOM)],
        max_deposit_period_ns: PERIOD_NS,
        voting_period_ns: PERIOD_NS,
        expedited_voting_period_ns: PERIOD_NS / 2,
        expedited_min_deposit: vec![Coin::new(5 * MIN_DEPOSIT, DENOM)],
        ..depin_gov::Params::default()
    }
}

/// The operator, Alice and Bob funded; one validator with the operator's and Alice's
/// delegations (Unbonded: staking bonds it at InitChain); gov with short periods.
fn app_state() -> Value {
    let (op, al, bo) = (operator(), alice(), bob());
    let tokens = SELF_STAKE + DELEGATED;
    let mut state = genesis(&[
        (&op.address, FUNDS - SELF_STAKE),
        (&al.address, FUNDS - DELEGATED),
        (&bo.address, FUNDS),
    ]);
    let pool =
        AddressCodec::new(ADDRESS_PREFIX).encode(&module_address(depin_staking::NOT_BONDED_POOL));
    state["bank"]["balances"].as_array_mut().unwrap().push(
        serde_json::to_value(depin_bank::genesis::Balance {
            address: pool,
            coins: vec![Coin::new(tokens, DENOM)],
        })
        .unwrap(),
    );
    let shares = |n: u128| depin_staking::dec::from_tokens(Uint128::new(n));
    let staking = depin_staking::GenesisState {
        validators: vec![GenesisValidator {
            operator_address: valoper(),
            consensus_pubkey: GenesisPubKey {
                type_url: ED25519_PUBKEY_URL.into(),
                key: base64::engine::general_purpose::STANDARD.encode([21u8; 32]),
            },
            jailed: false,
            status: "BOND_STATUS_UNBONDED".into(),
            tokens: Uint128::new(tokens),
            delegator_shares: shares(tokens),
            description: Description {
                moniker: "genesis".into(),
                ..Default::default()
            },
            unbonding_height: 0,
            unbonding_time: Timestamp::from_nanos(0),
            commission: GenesisCommission {
                commission_rates: GenesisCommissionRates {
                    rate: Decimal256::percent(10),
                    max_rate: Decimal256::percent(20),
                    max_change_rate: Decimal256::percent(1),
                },
                update_time: Timestamp::from_nanos(0),
            },
            min_self_delegation: Uint128::new(1),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        }],
        delegations: vec![
            GenesisDelegation {
                delegator_address: op.address.clone(),
                validator_address: valoper(),
                shares: shares(SELF_STAKE),
            },
            GenesisDelegation {
                delegator_address: al.address.clone(),
                validator_address: valoper(),
                shares: shares(DELEGATED),
            },
        ],
        ..Default::default()
    };
    state["staking"] = serde_json::to_value(staking).unwrap();
    state["gov"] = serde_json::to_value(depin_gov::GenesisState {
        params: gov_params(),
        constitution: CONSTITUTION.into(),
        ..Default::default()
    })
    .unwrap();
    state
}

struct Chain {
    driver: InProcess,
    _dir: tempfile::TempDir,
}

impl Chain {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut driver =
            InProcess::open(Arc::new(default_app()), dir.path(), NodeConfig::default()).unwrap();
        driver.set_time(GENESIS_TIME);
        driver.init_chain(CHAIN_ID, &app_state()).unwrap();
        driver.block(vec![]);
        Chain { driver, _dir: dir }
    }

    fn account(&self, address: &str) -> (u64, u64) {
        let resp = self.driver.query(
            "/cosmos.auth.v1beta1.Query/Account",
            QueryAccountRequest {
                address: address.into(),
            }
            .encode_to_vec(),
        );
        assert_eq!(resp.code, 0, "{}", resp.log);
        let any = QueryAccountResponse::decode(resp.value.as_ref())
            .unwrap()
            .account
            .unwrap();
        let a = BaseAccount::decode(any.value.as_slice()).unwrap();
        (a.account_number, a.sequence)
    }

    /// `msg` signed by `key` (no fee), in a block of its own.
    fn tx(&mut self, key: &TestKey, msg: Any) -> ExecTxResult {
        let (account_number, sequence) = self.account(&key.address);
        let tx = sign(
            key,
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number,
                sequence,
            },
            vec![msg],
            &FeeSpec::new(0, 10_000_000),
            "",
        )
        .unwrap();
        self.driver.block(vec![tx]).tx_results.remove(0)
    }

    fn ok(&mut self, key: &TestKey, msg: Any) -> ExecTxResult {
        let r = self.tx(key, msg);
        assert_eq!(r.code, 0, "{} ({} {})", r.log, r.codespace, r.code);
        r
    }

    /// Submits and returns the id the CLI prints (read from the result's msg_responses).
    fn submit(&mut self, key: &TestKey, msg: Any) -> u64 {
        let r = self.ok(key, msg);
        submitted_proposal_id(&r.data).expect("a MsgSubmitProposalResponse in the result")
    }

    /// What `depind query gov ...` prints for `cmd`, through the same request, path and
    /// printing.
    fn gov(&self, cmd: GovQuery) -> Value {
        let (method, request) = cmd.request().unwrap();
        let resp = self
            .driver
            .query(&depin_simapp::cmd::gov::path(method), request);
        assert_eq!(resp.code, 0, "{method}: {}", resp.log);
        cmd.answer(&resp.value).unwrap()
    }

    /// The node's refusal of `cmd`: (codespace, code, log).
    fn gov_err(&self, cmd: GovQuery) -> (String, u32, String) {
        let (method, request) = cmd.request().unwrap();
        let resp = self
            .driver
            .query(&depin_simapp::cmd::gov::path(method), request);
        assert_ne!(resp.code, 0, "{method} answered");
        (resp.codespace, resp.code, resp.log)
    }

    fn upgrade(&self, cmd: UpgradeQuery) -> Value {
        let (method, request) = cmd.request().unwrap();
        let resp = self.driver.query(&upgrade::path(method), request);
        assert_eq!(resp.code, 0, "{method}: {}", resp.log);
        upgrade::answer_json(method, &resp.value).unwrap()
    }

    fn balance(&self, address: &str) -> u128 {
        let r: bpb::QueryBalanceResponse = self
            .driver
            .query_as(
                "/cosmos.bank.v1beta1.Query/Balance",
                &bpb::QueryBalanceRequest {
                    address: address.into(),
                    denom: DENOM.into(),
                },
            )
            .unwrap();
        r.balance.map_or(0, |c| c.amount.parse().unwrap())
    }

    fn status(&self, id: u64) -> Value {
        self.gov(GovQuery::Proposal {
            proposal_id: id,
            flags: flags(),
        })["proposal"]["status"]
            .clone()
    }

    /// Blocks until proposal `id`'s voting period has ended and the end block decided it.
    fn finish_voting(&mut self, id: u64) {
        let end = self.gov(GovQuery::Proposal {
            proposal_id: id,
            flags: flags(),
        })["proposal"]["voting_end_time"]
            .as_str()
            .unwrap()
            .parse::<tendermint::Time>()
            .unwrap()
            .unix_timestamp();
        while self.driver.time() < end {
            self.driver.block(vec![]);
        }
    }
}

fn flags() -> QueryFlags {
    QueryFlags {
        node: "tcp://127.0.0.1:1".into(),
        height: 0,
    }
}

fn page(limit: u64) -> PageFlags {
    PageFlags {
        limit,
        page_key: None,
        offset: None,
    }
}

fn proposals(
    chain: &Chain,
    status: Option<StatusArg>,
    voter: Option<&str>,
    depositor: Option<&str>,
) -> Vec<String> {
    let out = chain.gov(GovQuery::Proposals {
        status,
        voter: voter.map(str::to_string),
        depositor: depositor.map(str::to_string),
        page: page(100),
        flags: flags(),
    });
    out["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    }
}

/// The device params as protobuf JSON (what a proposal author copies from `depind query
/// device params`), with `epoch_blocks` changed.
fn device_params_json(epoch_blocks: u64) -> (Value, devpb::Params) {
    let mut params = depin_device::Params::default().to_proto();
    params.epoch_blocks = epoch_blocks;
    let json =
        depin_app::rest::message_json("depin.device.v1.Params", &params.encode_to_vec()).unwrap();
    (json, params)
}

// The distribution params still declare the SDK's deprecated proposer rewards.
#[allow(deprecated)]
/// A proposal file carrying a device MsgUpdateParams, a community pool spend and a
/// distribution MsgUpdateParams whose community tax is decimal text.
fn proposal_file(deposit: &str) -> (String, Vec<Any>) {
    let gov = gov_address();
    let (device_json, device_params) = device_params_json(77);
    let text = json!({
        "messages": [
            {
                "@type": "/depin.device.v1.MsgUpdateParams",
                "authority": gov,
                "params": device_json,
            },
            {
                "@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
                "authority": gov,
                "recipient": bob().address,
                "amount": [{"denom": DENOM, "amount": "1000"}],
            },
            {
                "@type": "/cosmos.distribution.v1beta1.MsgUpdateParams",
                "authority": gov,
                "params": {
                    "community_tax": "0.05",
                    "base_proposer_reward": "0",
                    "bonus_proposer_reward": "0",
                    "withdrawAddrEnabled": true,
                },
            },
        ],
        "metadata": "ipfs://QmProposal",
        "deposit": deposit,
        "title": "Longer epochs, a spend",
        "summary": "Sets epoch_blocks to 77, pays Bob 1000udepin, sets the community tax to 5%.",
        "expedited": false,
    })
    .to_string();
    let expected = vec![
        Any {
            type_url: "/depin.device.v1.MsgUpdateParams".into(),
            value: devpb::MsgUpdateParams {
                authority: gov.clone(),
                params: Some(device_params),
            }
            .encode_to_vec(),
        },
        Any {
            type_url: "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend".into(),
            value: dpb::MsgCommunityPoolSpend {
                authority: gov.clone(),
                recipient: bob().address,
                amount: vec![coin(1_000)],
            }
            .encode_to_vec(),
        },
        Any {
            type_url: "/cosmos.distribution.v1beta1.MsgUpdateParams".into(),
            value: dpb::MsgUpdateParams {
                authority: gov.clone(),
                params: Some(dpb::Params {
                    // 0.05 in 10^-18 units, as a LegacyDec is on the wire.
                    community_tax: "50000000000000000".into(),
                    base_proposer_reward: "0".into(),
                    bonus_proposer_reward: "0".into(),
                    withdraw_addr_enabled: true,
                }),
            }
            .encode_to_vec(),
        },
    ];
    (text, expected)
}

fn submit_error(text: &str) -> String {
    let err = ProposalFile::parse(text)
        .and_then(|f| submit_proposal_msg(&alice().address, &f))
        .unwrap_err();
    format!("{err:#}")
}

#[test]
fn a_proposal_file_becomes_the_exact_protobuf() {
    let (text, expected) = proposal_file("4000000udepin");
    let file = ProposalFile::parse(&text).unwrap();
    let msg = submit_proposal_msg(&alice().address, &file).unwrap();
    assert_eq!(msg.type_url, "/cosmos.gov.v1.MsgSubmitProposal");
    let submit = pb::MsgSubmitProposal::decode(msg.value.as_slice()).unwrap();
    assert_eq!(
        submit,
        pb::MsgSubmitProposal {
            messages: expected,
            initial_deposit: vec![coin(4_000_000)],
            proposer: alice().address,
            metadata: "ipfs://QmProposal".into(),
            title: "Longer epochs, a spend".into(),
            summary: "Sets epoch_blocks to 77, pays Bob 1000udepin, sets the community tax to 5%."
                .into(),
            expedited: false,
        }
    );
    // No messages (a text proposal), no deposit, expedited: accepted as the SDK does.
    let text = r#"{"title": "Signal", "summary": "Do we want X?", "expedited": true}"#;
    let submit = pb::MsgSubmitProposal::decode(
        submit_proposal_msg(&bob().address, &ProposalFile::parse(text).unwrap())
            .unwrap()
            .value
            .as_slice(),
    )
    .unwrap();
    assert!(submit.messages.is_empty() && submit.initial_deposit.is_empty() && submit.expedited);
    // The type URL may carry a host, as Go's Any does.
    let any = proposal_messages(&[json!({
        "@type": "type.googleapis.com/cosmos.gov.v1.MsgUpdateParams",
        "authority": gov_address(),
    })])
    .unwrap();
    assert_eq!(any[0].type_url, "/cosmos.gov.v1.MsgUpdateParams");
}

#[test]
fn bad_proposal_files_name_what_is_wrong() {
    let gov = gov_address();
    let file = |messages: Value| {
        json!({"messages": messages, "title": "T", "summary": "S", "deposit": "1udepin"})
            .to_string()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            file(
                json!([{"@type": "/cosmos.gov.v1.MsgUpdateParams", "authority": gov}, {"@type": "/depin.nothing.v1.MsgNothing"}]),
            ),
            vec![
                "message 1",
                "depin.nothing.v1.MsgNothing is not a message type this chain declares",
            ],
        ),
        (
            file(json!([{"authority": gov}])),
            vec!["message 0", "no \"@type\""],
        ),
        (
            file(json!(["text"])),
            vec!["message 0", "not a JSON object"],
        ),
        (
            file(
                json!([{"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend", "authority": gov, "recipent": "x"}]),
            ),
            vec!["message 0", "MsgCommunityPoolSpend", "recipent"],
        ),
        (
            file(
                json!([{"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend", "authority": gov, "recipient": bob().address, "amount": {"denom": "udepin"}}]),
            ),
            vec![
                "message 0",
                "field amount: invalid type: map, expected a list",
            ],
        ),
        (
            file(
                json!([{"@type": "/depin.device.v1.MsgUpdateParams", "authority": gov, "params": {"epoch_blocks": "many"}}]),
            ),
            vec!["message 0", "field params.epoch_blocks: invalid digit"],
        ),
        (
            file(
                json!([{"@type": "/depin.device.v1.MsgUpdateParams", "authority": gov, "params": {"classes": [{"name": "a"}, {"name": "b", "kind": "SPACESHIP"}]}}]),
            ),
            vec!["message 0", "field params.classes[1].kind"],
        ),
        (
            file(
                json!([{"@type": "/cosmos.distribution.v1beta1.MsgUpdateParams", "authority": gov, "params": {"community_tax": "5%"}}]),
            ),
            vec![
                "message 0",
                "field params.community_tax",
                "\"5%\" is not a decimal",
            ],
        ),
        (
            file(
                json!([{"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend", "authority": alice().address, "recipient": bob().address}]),
            ),
            vec!["message 0", "authority", &gov],
        ),
        (
            r#"{"title": "T", "summary": "S", "sumary": "typo"}"#.into(),
            vec!["unknown field `sumary`", "\"summary\""],
        ),
        (r#"{"summary": "S"}"#.into(), vec!["no title"]),
        (r#"{"title": "T"}"#.into(), vec!["no summary"]),
        (
            json!({"title": "x".repeat(256), "summary": "S"}).to_string(),
            vec!["256 characters", "255"],
        ),
        (
            r#"{"title": "T", "summary": "S", "deposit": "ten udepin"}"#.into(),
            vec!["deposit \"ten udepin\""],
        ),
        (r#"{"title": "T", "summary": "S""#.into(), vec!["EOF"]),
    ];
    for (text, wanted) in cases {
        let err = submit_error(&text);
        for w in wanted {
            assert!(
                err.contains(w),
                "{text}\n  error {err:?} does not mention {w:?}"
            );
        }
    }
    let missing =
        ProposalFile::read(std::path::Path::new("/nonexistent/proposal.json")).unwrap_err();
    assert!(format!("{missing:#}").contains("/nonexistent/proposal.json"));
}

#[test]
fn votes_deposits_and_cancels_are_checked_before_signing() {
    let a = alice().address;
    let m = vote_msg(&a, 4, pb::VoteOption::NoWithVeto, "because").unwrap();
    assert_eq!(m.type_url, "/cosmos.gov.v1.MsgVote");
    assert_eq!(
        pb::MsgVote::decode(m.value.as_slice()).unwrap(),
        pb::MsgVote {
            proposal_id: 4,
            voter: a.clone(),
            option: pb::VoteOption::NoWithVeto as i32,
            metadata: "because".into(),
        }
    );
    assert!(vote_msg(&a, 4, pb::VoteOption::Yes, &"m".repeat(256)).is_err());
    for (text, option) in [
        ("yes", pb::VoteOption::Yes),
        ("NO", pb::VoteOption::No),
        ("abstain", pb::VoteOption::Abstain),
        ("no_with_veto", pb::VoteOption::NoWithVeto),
        ("VOTE_OPTION_NO_WITH_VETO", pb::VoteOption::NoWithVeto),
    ] {
        assert_eq!(vote_option(text), Ok(option));
    }
    assert!(vote_option("maybe")
        .unwrap_err()
        .contains("yes, no, abstain or no_with_veto"));

    let m = weighted_vote_msg(&a, 2, "yes=0.6, no=0.3,no_with_veto=0.1", "").unwrap();
    let w = pb::MsgVoteWeighted::decode(m.value.as_slice()).unwrap();
    let options: Vec<_> = w
        .options
        .iter()
        .map(|o| (o.option, o.weight.as_str()))
        .collect();
    assert_eq!(options, [(1, "0.6"), (3, "0.3"), (4, "0.1")]);
    for (text, wanted) in [
        ("yes=0.6,no=0.3", "add up to 0.9"),
        ("yes=0.6,yes=0.4", "twice"),
        ("yes=0,no=1", "above 0"),
        ("yes=1.5", "at most 1"),
        ("yes", "option=weight"),
        ("sure=1", "not a vote option"),
        ("yes=half", "not a decimal"),
        ("", "no options"),
    ] {
        let err = weighted_options(text).unwrap_err().to_string();
        assert!(err.contains(wanted), "{text:?}: {err}");
    }

    let m = deposit_msg(&a, 9, "250udepin").unwrap();
    assert_eq!(
        pb::MsgDeposit::decode(m.value.as_slice()).unwrap(),
        pb::MsgDeposit {
            proposal_id: 9,
            depositor: a.clone(),
            amount: vec![coin(250)],
        }
    );
    assert!(deposit_msg(&a, 9, "")
        .unwrap_err()
        .to_string()
        .contains("at least one coin"));
    assert!(deposit_msg(&a, 9, "250").is_err());
    assert!(deposit_msg("cosmos1xyz", 9, "1udepin").is_err());

    let m = cancel_proposal_msg(&a, 3).unwrap();
    assert_eq!(m.type_url, "/cosmos.gov.v1.MsgCancelProposal");
    assert_eq!(
        pb::MsgCancelProposal::decode(m.value.as_slice())
            .unwrap()
            .proposal_id,
        3
    );
}

#[test]
fn upgrade_proposals_carry_the_gov_accounts_messages() {
    let args = ProposalArgs {
        title: "Upgrade to v2".into(),
        summary: "New device classes".into(),
        deposit: "10000000udepin".into(),
        metadata: String::new(),
        expedited: true,
    };
    let cmd = UpgradeTx::SoftwareUpgrade {
        name: "v2".into(),
        upgrade_height: 1_000,
        upgrade_info: "{\"binaries\":{}}".into(),
        proposal: args.clone(),
        signer: signer(),
    };
    let submit = pb::MsgSubmitProposal::decode(
        upgrade::proposal_of(&alice().address, &cmd)
            .unwrap()
            .value
            .as_slice(),
    )
    .unwrap();
    assert_eq!(
        (
            submit.title.as_str(),
            submit.expedited,
            submit.initial_deposit.clone()
        ),
        ("Upgrade to v2", true, vec![coin(10_000_000)])
    );
    assert_eq!(submit.messages.len(), 1);
    assert_eq!(
        submit.messages[0].type_url,
        "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade"
    );
    assert_eq!(
        upb::MsgSoftwareUpgrade::decode(submit.messages[0].value.as_slice()).unwrap(),
        upb::MsgSoftwareUpgrade {
            authority: gov_address(),
            plan: Some(upb::Plan {
                name: "v2".into(),
                height: 1_000,
                info: "{\"binaries\":{}}".into(),
                ..Default::default()
            }),
        }
    );
    let cancel = UpgradeTx::CancelSoftwareUpgrade {
        proposal: args.clone(),
        signer: signer(),
    };
    let submit = pb::MsgSubmitProposal::decode(
        upgrade::proposal_of(&alice().address, &cancel)
            .unwrap()
            .value
            .as_slice(),
    )
    .unwrap();
    assert_eq!(
        upb::MsgCancelUpgrade::decode(submit.messages[0].value.as_slice()).unwrap(),
        upb::MsgCancelUpgrade {
            authority: gov_address()
        }
    );
    for (name, height, wanted) in [
        ("", 10, "needs a name"),
        ("v2", 0, "positive block height"),
        ("v2", -5, "positive block height"),
    ] {
        let err = upgrade::software_upgrade_msg(name, height, "").unwrap_err();
        assert!(err.to_string().contains(wanted), "{err}");
    }
    assert!(upgrade::software_upgrade_msg(&"n".repeat(129), 10, "").is_err());
    let no_title = ProposalArgs {
        title: " ".into(),
        ..args
    };
    assert!(upgrade::proposal_of(
        &alice().address,
        &UpgradeTx::CancelSoftwareUpgrade {
            proposal: no_title,
            signer: signer()
        }
    )
    .unwrap_err()
    .to_string()
    .contains("no title"));
}

fn signer() -> depin_simapp::cmd::device::Signer {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        signer: depin_simapp::cmd::device::Signer,
    }
    Wrapper::parse_from(["x", "--from", "alice"]).signer
}

#[test]
fn query_requests_carry_the_filters_and_pages() {
    let (method, bytes) = GovQuery::Proposals {
        status: Some(StatusArg::VotingPeriod),
        voter: Some(alice().address),
        depositor: Some(bob().address),
        page: PageFlags {
            limit: 5,
            page_key: Some("AAEC".into()),
            offset: None,
        },
        flags: flags(),
    }
    .request()
    .unwrap();
    assert_eq!(method, "Proposals");
    assert_eq!(
        pb::QueryProposalsRequest::decode(bytes.as_slice()).unwrap(),
        pb::QueryProposalsRequest {
            proposal_status: pb::ProposalStatus::VotingPeriod as i32,
            voter: alice().address,
            depositor: bob().address,
            pagination: Some(PageRequest {
                key: vec![0, 1, 2],
                offset: 0,
                limit: 5,
                count_total: true,
                reverse: false,
            }),
        }
    );
    let bad = |q: GovQuery| q.request().unwrap_err().to_string();
    assert!(bad(GovQuery::Proposals {
        status: None,
        voter: Some(valoper()),
        depositor: None,
        page: page(1),
        flags: flags(),
    })
    .contains("--voter"));
    assert!(bad(GovQuery::Votes {
        proposal_id: 1,
        page: PageFlags {
            limit: 1,
            page_key: Some("not base64!".into()),
            offset: None,
        },
        flags: flags(),
    })
    .contains("--page-key"));
    assert!(bad(GovQuery::Deposit {
        proposal_id: 1,
        depositor: "nobody".into(),
        flags: flags(),
    })
    .contains("depositor"));
    for (t, name) in [
        (Some(ParamsType::Voting), "voting"),
        (Some(ParamsType::Tallying), "tallying"),
        (None, "deposit"),
    ] {
        let (_, bytes) = GovQuery::Params {
            params_type: t,
            flags: flags(),
        }
        .request()
        .unwrap();
        assert_eq!(
            pb::QueryParamsRequest::decode(bytes.as_slice())
                .unwrap()
                .params_type,
            name
        );
    }
    assert_eq!(
        depin_simapp::cmd::gov::path("TallyResult"),
        "/cosmos.gov.v1.Query/TallyResult"
    );
    let (method, bytes) = UpgradeQuery::ModuleVersions {
        name: Some("gov".into()),
        flags: flags(),
    }
    .request()
    .unwrap();
    assert_eq!(method, "ModuleVersions");
    assert_eq!(
        upb::QueryModuleVersionsRequest::decode(bytes.as_slice())
            .unwrap()
            .module_name,
        "gov"
    );
    assert!(UpgradeQuery::Applied {
        name: " ".into(),
        flags: flags(),
    }
    .request()
    .is_err());
}

#[test]
fn a_proposal_goes_from_deposit_to_voting_to_passed() {
    let mut chain = Chain::new();
    let (op, al, bo) = (operator(), alice(), bob());

    // The community pool pays Bob 1000udepin if the proposal passes.
    let fund = depin_simapp::cmd::distribution::fund_community_pool_msg(&al.address, "5000udepin")
        .unwrap();
    chain.ok(&al, fund);

    // submit-proposal with 4 of the 10 DEPIN needed: deposit period.
    let (text, _) = proposal_file("4000000udepin");
    let msg = submit_proposal_msg(&al.address, &ProposalFile::parse(&text).unwrap()).unwrap();
    let id = chain.submit(&al, msg);
    assert_eq!(id, 1);
    let p = chain.gov(GovQuery::Proposal {
        proposal_id: id,
        flags: flags(),
    });
    let p = &p["proposal"];
    assert_eq!(p["status"], json!("PROPOSAL_STATUS_DEPOSIT_PERIOD"));
    assert_eq!(p["id"], json!("1"));
    assert_eq!(p["proposer"], json!(al.address));
    assert_eq!(
        p["total_deposit"],
        json!([{"denom": DENOM, "amount": "4000000"}])
    );
    // The messages print as the REST gateway writes them: decimals with 18 places.
    assert_eq!(
        p["messages"][2]["@type"],
        json!("/cosmos.distribution.v1beta1.MsgUpdateParams")
    );
    assert_eq!(
        p["messages"][2]["params"]["community_tax"],
        json!("0.050000000000000000")
    );
    assert_eq!(p["messages"][0]["params"]["epoch_blocks"], json!("77"));
    assert_eq!(
        proposals(&chain, Some(StatusArg::DepositPeriod), None, None),
        ["1"]
    );
    assert!(proposals(&chain, Some(StatusArg::VotingPeriod), None, None).is_empty());
    let tally = chain.gov(GovQuery::Tally {
        proposal_id: id,
        flags: flags(),
    });
    assert_eq!(tally["tally"]["yes_count"], json!("0"));

    // Voting is refused in the deposit period (gov code 3).
    let r = chain.tx(
        &op,
        vote_msg(&op.address, id, pb::VoteOption::Yes, "").unwrap(),
    );
    assert_eq!((r.codespace.as_str(), r.code), ("gov", 3), "{}", r.log);

    // deposit: Bob brings the rest, voting starts.
    chain.ok(&bo, deposit_msg(&bo.address, id, "6000000udepin").unwrap());
    assert_eq!(chain.status(id), json!("PROPOSAL_STATUS_VOTING_PERIOD"));
    assert_eq!(
        proposals(&chain, Some(StatusArg::VotingPeriod), None, None),
        ["1"]
    );
    let deposits = chain.gov(GovQuery::Deposits {
        proposal_id: id,
        page: page(10),
        flags: flags(),
    });
    let mut depositors: Vec<_> = deposits["deposits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["depositor"].as_str().unwrap().to_string(),
                d["amount"][0]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    depositors.sort();
    let mut expected = vec![
        (al.address.clone(), "4000000".to_string()),
        (bo.address.clone(), "6000000".to_string()),
    ];
    expected.sort();
    assert_eq!(depositors, expected);
    assert_eq!(deposits["pagination"]["total"], json!("2"));
    let deposit = chain.gov(GovQuery::Deposit {
        proposal_id: id,
        depositor: bo.address.clone(),
        flags: flags(),
    });
    assert_eq!(
        deposit["deposit"]["amount"],
        json!([{"denom": DENOM, "amount": "6000000"}])
    );
    assert_eq!(proposals(&chain, None, None, Some(&bo.address)), ["1"]);
    assert!(proposals(&chain, None, None, Some(&op.address)).is_empty());

    // vote and weighted-vote: the operator yes, Alice 60/40.
    chain.ok(
        &op,
        vote_msg(&op.address, id, pb::VoteOption::Yes, "ship it").unwrap(),
    );
    chain.ok(
        &al,
        weighted_vote_msg(&al.address, id, "yes=0.6,no=0.4", "").unwrap(),
    );
    let votes = chain.gov(GovQuery::Votes {
        proposal_id: id,
        page: page(10),
        flags: flags(),
    });
    assert_eq!(votes["votes"].as_array().unwrap().len(), 2, "{votes}");
    let vote = chain.gov(GovQuery::Vote {
        proposal_id: id,
        voter: al.address.clone(),
        flags: flags(),
    });
    assert_eq!(
        vote["vote"]["options"],
        json!([
            {"option": "VOTE_OPTION_YES", "weight": "0.600000000000000000"},
            {"option": "VOTE_OPTION_NO", "weight": "0.400000000000000000"},
        ])
    );
    let vote = chain.gov(GovQuery::Vote {
        proposal_id: id,
        voter: op.address.clone(),
        flags: flags(),
    });
    assert_eq!(vote["vote"]["metadata"], json!("ship it"));
    let (_, _, log) = chain.gov_err(GovQuery::Vote {
        proposal_id: id,
        voter: bo.address.clone(),
        flags: flags(),
    });
    assert!(log.contains("has no vote"), "{log}");
    assert_eq!(proposals(&chain, None, Some(&al.address), None), ["1"]);
    assert!(proposals(&chain, None, Some(&bo.address), None).is_empty());
    assert_eq!(
        proposals(
            &chain,
            Some(StatusArg::VotingPeriod),
            Some(&op.address),
            Some(&al.address)
        ),
        ["1"]
    );
    // Tally: the operator's 10M yes; Alice's 30M split 18M yes, 12M no.
    let tally = chain.gov(GovQuery::Tally {
        proposal_id: id,
        flags: flags(),
    });
    assert_eq!(
        tally["tally"],
        json!({"yes_count": "28000000", "abstain_count": "0", "no_count": "12000000", "no_with_veto_count": "0"})
    );

    // params and constitution.
    let params = chain.gov(GovQuery::Params {
        params_type: None,
        flags: flags(),
    });
    assert_eq!(params.as_object().unwrap().len(), 1, "{params}");
    assert_eq!(
        params["params"]["min_deposit"],
        json!([{"denom": DENOM, "amount": MIN_DEPOSIT.to_string()}])
    );
    assert_eq!(params["params"]["voting_period"], json!("50s"));
    assert_eq!(params["params"]["quorum"], json!("0.334000000000000000"));
    let voting = chain.gov(GovQuery::Params {
        params_type: Some(ParamsType::Voting),
        flags: flags(),
    });
    assert_eq!(voting["voting_params"]["voting_period"], json!("50s"));
    assert_eq!(voting["params"], params["params"]);
    let constitution = chain.gov(GovQuery::Constitution { flags: flags() });
    assert_eq!(constitution, json!({"constitution": CONSTITUTION}));

    // The end of the voting period: passed, and the messages ran.
    let (al0, bo0) = (chain.balance(&al.address), chain.balance(&bo.address));
    chain.finish_voting(id);
    assert_eq!(chain.status(id), json!("PROPOSAL_STATUS_PASSED"));
    assert_eq!(
        proposals(&chain, Some(StatusArg::Passed), None, None),
        ["1"]
    );
    let tally = chain.gov(GovQuery::Tally {
        proposal_id: id,
        flags: flags(),
    });
    assert_eq!(tally["tally"]["yes_count"], json!("28000000"));
    assert_eq!(chain.balance(&al.address), al0 + 4_000_000);
    assert_eq!(chain.balance(&bo.address), bo0 + 6_000_000 + 1_000);
    let device: devpb::QueryParamsResponse = chain
        .driver
        .query_as(
            "/depin.device.v1.Query/Params",
            &devpb::QueryParamsRequest {},
        )
        .unwrap();
    assert_eq!(device.params.unwrap().epoch_blocks, 77);
    let tax: dpb::QueryParamsResponse = chain
        .driver
        .query_as(
            "/cosmos.distribution.v1beta1.Query/Params",
            &dpb::QueryParamsRequest {},
        )
        .unwrap();
    assert_eq!(tax.params.unwrap().community_tax, "50000000000000000");
}

#[test]
fn proposals_page_and_a_proposer_cancels() {
    let mut chain = Chain::new();
    let (al, bo) = (alice(), bob());
    let text = |title: &str| {
        json!({"title": title, "summary": "S", "deposit": format!("{MIN_DEPOSIT}{DENOM}")})
            .to_string()
    };
    let mut ids = Vec::new();
    for title in ["one", "two", "three"] {
        let msg =
            submit_proposal_msg(&al.address, &ProposalFile::parse(&text(title)).unwrap()).unwrap();
        ids.push(chain.submit(&al, msg));
    }
    assert_eq!(ids, [1, 2, 3]);

    // --limit 2, then --page-key <next_key>, then --offset 2.
    let first = chain.gov(GovQuery::Proposals {
        status: None,
        voter: None,
        depositor: None,
        page: page(2),
        flags: flags(),
    });
    let titles = |v: &Value| -> Vec<String> {
        v["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(&first), ["one", "two"]);
    assert_eq!(first["pagination"]["total"], json!("3"));
    let next = first["pagination"]["next_key"]
        .as_str()
        .expect("a next key")
        .to_string();
    let second = chain.gov(GovQuery::Proposals {
        status: None,
        voter: None,
        depositor: None,
        page: PageFlags {
            limit: 2,
            page_key: Some(next),
            offset: None,
        },
        flags: flags(),
    });
    assert_eq!(titles(&second), ["three"]);
    let offset = chain.gov(GovQuery::Proposals {
        status: None,
        voter: None,
        depositor: None,
        page: PageFlags {
            limit: 5,
            page_key: None,
            offset: Some(2),
        },
        flags: flags(),
    });
    assert_eq!(titles(&offset), ["three"]);

    // cancel-proposal: only the proposer; the proposal is gone, half the deposit burned.
    let r = chain.tx(&bo, cancel_proposal_msg(&bo.address, 2).unwrap());
    assert_eq!((r.codespace.as_str(), r.code), ("gov", 18), "{}", r.log);
    let before = chain.balance(&al.address);
    chain.ok(&al, cancel_proposal_msg(&al.address, 2).unwrap());
    assert_eq!(chain.balance(&al.address), before + MIN_DEPOSIT / 2);
    let (codespace, code, _) = chain.gov_err(GovQuery::Proposal {
        proposal_id: 2,
        flags: flags(),
    });
    assert_eq!((codespace.as_str(), code), ("gov", 2));
    assert_eq!(
        proposals(&chain, Some(StatusArg::VotingPeriod), None, None),
        ["1", "3"]
    );
    // The next proposal still gets a new id.
    let msg =
        submit_proposal_msg(&bo.address, &ProposalFile::parse(&text("four")).unwrap()).unwrap();
    assert_eq!(chain.submit(&bo, msg), 4);
}

#[test]
fn an_upgrade_is_scheduled_and_cancelled_through_proposals() {
    let mut chain = Chain::new();
    let (op, al) = (operator(), alice());
    let args = ProposalArgs {
        title: "Upgrade to v2".into(),
        summary: "New device classes".into(),
        deposit: format!("{MIN_DEPOSIT}{DENOM}"),
        metadata: String::new(),
        expedited: false,
    };

    assert_eq!(
        chain.upgrade(UpgradeQuery::Authority { flags: flags() }),
        json!({"address": gov_address()})
    );
    let versions = chain.upgrade(UpgradeQuery::ModuleVersions {
        name: None,
        flags: flags(),
    });
    assert!(
        versions["module_versions"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "gov", "version": "1"})),
        "{versions}"
    );
    assert_eq!(
        chain.upgrade(UpgradeQuery::ModuleVersions {
            name: Some("upgrade".into()),
            flags: flags(),
        }),
        json!({"module_versions": [{"name": "upgrade", "version": "1"}]})
    );
    assert_eq!(
        chain.upgrade(UpgradeQuery::Plan { flags: flags() }),
        json!({"plan": null})
    );

    // software-upgrade: a proposal; voted through, the plan is scheduled.
    let cmd = UpgradeTx::SoftwareUpgrade {
        name: "v2".into(),
        upgrade_height: 10_000,
        upgrade_info: "see the release notes".into(),
        proposal: args.clone(),
        signer: signer(),
    };
    let id = chain.submit(&al, upgrade::proposal_of(&al.address, &cmd).unwrap());
    chain.ok(
        &op,
        vote_msg(&op.address, id, pb::VoteOption::Yes, "").unwrap(),
    );
    chain.ok(
        &al,
        vote_msg(&al.address, id, pb::VoteOption::Yes, "").unwrap(),
    );
    chain.finish_voting(id);
    assert_eq!(chain.status(id), json!("PROPOSAL_STATUS_PASSED"));
    let plan = chain.upgrade(UpgradeQuery::Plan { flags: flags() });
    assert_eq!(plan["plan"]["name"], json!("v2"));
    assert_eq!(plan["plan"]["height"], json!("10000"));
    assert_eq!(plan["plan"]["info"], json!("see the release notes"));
    assert_eq!(
        chain.upgrade(UpgradeQuery::Applied {
            name: "v2".into(),
            flags: flags(),
        }),
        json!({"height": "0"})
    );

    // cancel-software-upgrade: the plan is gone.
    let cancel = UpgradeTx::CancelSoftwareUpgrade {
        proposal: args,
        signer: signer(),
    };
    let id = chain.submit(&al, upgrade::proposal_of(&al.address, &cancel).unwrap());
    chain.ok(
        &op,
        vote_msg(&op.address, id, pb::VoteOption::Yes, "").unwrap(),
    );
    chain.ok(
        &al,
        vote_msg(&al.address, id, pb::VoteOption::Yes, "").unwrap(),
    );
    chain.finish_voting(id);
    assert_eq!(chain.status(id), json!("PROPOSAL_STATUS_PASSED"));
    assert_eq!(
        chain.upgrade(UpgradeQuery::Plan { flags: flags() }),
        json!({"plan": null})
    );
}

/// Runs the depind binary on an empty home; (success, stdout, stderr).
fn depind(home: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_depind"))
        .env("RUST_BACKTRACE", "0")
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("depind runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_parses_and_shows_an_example() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("proposal.json");
    std::fs::write(&file, r#"{"title": "T", "summary": "S"}"#).unwrap();
    let file = file.to_str().unwrap();
    let a = alice().address;
    let node = ["--node", "tcp://127.0.0.1:1"];
    // Parsed, then stopped at the missing key: the arguments were accepted.
    let txs: Vec<Vec<&str>> = vec![
        vec!["tx", "gov", "submit-proposal", file],
        vec!["tx", "gov", "deposit", "1", "10udepin"],
        vec!["tx", "gov", "vote", "1", "no_with_veto", "--metadata", "m"],
        vec!["tx", "gov", "weighted-vote", "1", "yes=0.6,no=0.4"],
        vec!["tx", "gov", "cancel-proposal", "1"],
        vec![
            "tx",
            "upgrade",
            "software-upgrade",
            "v2",
            "--upgrade-height",
            "100",
            "--upgrade-info",
            "i",
            "--title",
            "T",
            "--summary",
            "S",
            "--deposit",
            "1udepin",
            "--expedited",
        ],
        vec![
            "tx",
            "upgrade",
            "cancel-software-upgrade",
            "--title",
            "T",
            "--summary",
            "S",
            "--deposit",
            "1udepin",
        ],
    ];
    for args in txs {
        let mut all = args.clone();
        all.extend(["--from", "nokey"]);
        all.extend(node);
        let (ok, _, err) = depind(home.path(), &all);
        assert!(
            !ok && err.contains("key 'nokey' not found"),
            "{args:?}: {err}"
        );
        let help = depind(home.path(), &[&args[..3], &["--help"]].concat());
        assert!(
            help.0 && help.1.contains("Example:"),
            "{args:?} --help: {}",
            help.1
        );
    }
    // Parsed, then stopped at the unreachable node.
    let queries: Vec<Vec<&str>> = vec![
        vec![
            "query",
            "gov",
            "proposals",
            "--status",
            "deposit_period",
            "--voter",
            &a,
            "--depositor",
            &a,
            "--limit",
            "5",
            "--offset",
            "1",
        ],
        vec!["query", "gov", "proposals", "--page-key", "AAE="],
        vec!["query", "gov", "proposal", "1"],
        vec!["query", "gov", "votes", "1"],
        vec!["query", "gov", "vote", "1", &a],
        vec!["query", "gov", "deposits", "1"],
        vec!["query", "gov", "deposit", "1", &a],
        vec!["query", "gov", "tally", "1"],
        vec!["query", "gov", "params"],
        vec!["query", "gov", "params", "tallying"],
        vec!["query", "gov", "constitution"],
        vec!["q", "upgrade", "plan"],
        vec!["q", "upgrade", "applied", "v2"],
        vec!["q", "upgrade", "module-versions"],
        vec!["q", "upgrade", "module-versions", "gov"],
        vec!["q", "upgrade", "authority"],
    ];
    for args in queries {
        let (ok, _, err) = depind(home.path(), &[&args[..], &node[..]].concat());
        assert!(
            !ok && err.contains("cannot reach the node"),
            "{args:?}: {err}"
        );
        let help = depind(home.path(), &[&args[..3], &["--help"]].concat());
        assert!(
            help.0 && help.1.contains("Example:"),
            "{args:?} --help: {}",
            help.1
        );
    }
    // Refused by the parser, with what would be right.
    for (args, wanted) in [
        (
            vec!["tx", "gov", "vote", "1", "maybe", "--from", "a"],
            "yes, no, abstain or no_with_veto",
        ),
        (
            vec!["tx", "gov", "vote", "0", "yes", "--from", "a"],
            "numbered from 1",
        ),
        (
            vec!["tx", "gov", "deposit", "one", "1udepin", "--from", "a"],
            "not a proposal id",
        ),
        (vec!["tx", "gov", "cancel-proposal", "1"], "--from"),
        (
            vec!["q", "gov", "proposals", "--status", "open"],
            "voting_period",
        ),
        (
            vec![
                "q",
                "gov",
                "proposals",
                "--page-key",
                "AA==",
                "--offset",
                "1",
            ],
            "cannot be used with",
        ),
        (vec!["q", "gov", "params", "everything"], "tallying"),
        (
            vec![
                "tx",
                "upgrade",
                "software-upgrade",
                "v2",
                "--title",
                "T",
                "--summary",
                "S",
                "--deposit",
                "1udepin",
                "--from",
                "a",
            ],
            "--upgrade-height",
        ),
    ] {
        let (ok, _, err) = depind(home.path(), &args);
        assert!(!ok && err.contains(wanted), "{args:?}: {err}");
    }
}
