//! The reference chain (simapp's composition) with three bonded validators, driven through the
//! in-process driver with signed transactions; every module's invariants are checked after
//! every block. Governance params are short: a block is 5 s, voting lasts 10 blocks.
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use cosmwasm_std::Decimal256;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::{App, AppConfig};
use depin_app::coins::Coin;
use depin_app::context::Event;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_simapp::testing::{add_genesis_validator, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{ADDRESS_PREFIX, DENOM, VALOPER_PREFIX};
use prost::Message;
use tendermint_proto::v0_38::abci::{ExecTxResult, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "gov-test-1";
pub const FUNDS: u128 = 1_000_000_000_000;
/// Bonded stake of validators 0, 1, 2 (their operators' self-delegations).
pub const STAKES: [u128; 3] = [40_000_000, 30_000_000, 30_000_000];
pub const MIN_DEPOSIT: u128 = 10_000_000;
pub const BLOCK_NS: u64 = 5_000_000_000;
pub const GENESIS_TIME: i64 = 1_700_000_000;

pub fn gov_params() -> depin_gov::Params {
    depin_gov::Params {
        min_deposit: vec![Coin::new(MIN_DEPOSIT, DENOM)],
        max_deposit_period_ns: 10 * BLOCK_NS,
        voting_period_ns: 10 * BLOCK_NS,
        expedited_voting_period_ns: 4 * BLOCK_NS,
        expedited_min_deposit: vec![Coin::new(5 * MIN_DEPOSIT, DENOM)],
        ..depin_gov::Params::default()
    }
}

fn cons_key(v: usize) -> [u8; 32] {
    [v as u8 + 71; 32]
}

pub fn module(name: &str) -> String {
    AddressCodec::new(ADDRESS_PREFIX).encode(&module_address(name))
}

pub fn gov_address() -> String {
    module(depin_gov::MODULE_ACCOUNT)
}

pub fn operator_of(address: &str) -> String {
    let raw = AddressCodec::new(ADDRESS_PREFIX).decode(address).unwrap();
    AddressCodec::new(VALOPER_PREFIX).encode(&raw)
}

pub fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn coins(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    }]
}

pub fn app_state(keys: &[TestKey], gov: &depin_gov::GenesisState) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let mut balances: Vec<_> = keys
        .iter()
        .map(|k| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![Coin::new(FUNDS, DENOM)],
        })
        .collect();
    balances.push(depin_bank::genesis::Balance {
        address: module(depin_staking::NOT_BONDED_POOL),
        coins: vec![Coin::new(STAKES.iter().sum(), DENOM)],
    });
    let mut staking = depin_staking::GenesisState {
        params: depin_staking::Params {
            unbonding_time: 60,
            ..depin_staking::Params::default()
        },
        ..Default::default()
    };
    for (v, stake) in STAKES.iter().enumerate() {
        add_genesis_validator(
            &mut staking,
            &keys[v].address,
            cons_key(v),
            *stake,
            Decimal256::percent(10),
            GENESIS_TIME as u64,
        );
    }
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "staking": staking,
        "gov": gov,
    })
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keys: Vec<TestKey>,
    /// Events of the last block (begin block, txs, end block).
    pub events: Vec<Event>,
    _dir: tempfile::TempDir,
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(7_000 + i))
        .collect()
}

impl Chain {
    /// Three validators (keys 0–2) and `n − 3` plain accounts, governance with [`gov_params`].
    pub fn new(n: usize) -> Self {
        let keys = test_keys(n);
        let gov = depin_gov::GenesisState {
            params: gov_params(),
            ..Default::default()
        };
        let state = app_state(&keys, &gov);
        Self::with_state(keys, &state, 1)
    }

    pub fn with_state(keys: Vec<TestKey>, state: &serde_json::Value, initial_height: u64) -> Self {
        Self::try_with_state(keys, state, initial_height).unwrap()
    }

    pub fn try_with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        initial_height: u64,
    ) -> Result<Self, String> {
        let app = Arc::new(depin_simapp::build_app(AppConfig::default())?);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver.set_time(GENESIS_TIME);
        driver.init_chain_at(CHAIN_ID, state, initial_height)?;
        let mut chain = Chain {
            driver,
            app,
            keys,
            events: Vec::new(),
            _dir: dir,
        };
        chain.block();
        Ok(chain)
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    /// Stops the node and starts `app` (another binary) on the same data, as an operator
    /// replacing the binary does; the clock goes on from where it was.
    pub fn reopen(&mut self, app: App) {
        let time = self.driver.time();
        let app = Arc::new(app);
        // The old node must close its store first: park the driver on an empty one.
        let parked = tempfile::tempdir().unwrap();
        let placeholder =
            InProcess::open(app.clone(), parked.path(), NodeConfig::default()).unwrap();
        drop(std::mem::replace(&mut self.driver, placeholder));
        self.driver =
            InProcess::open(app.clone(), self._dir.path(), NodeConfig::default()).unwrap();
        self.driver.set_time(time);
        self.app = app;
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    pub fn operator(&self, i: usize) -> String {
        operator_of(&self.address(i))
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as::<R>(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A query that must fail; returns (codespace, code, log).
    pub fn query_err(&self, path: &str, request: impl Message) -> (String, u32, String) {
        let r = self.driver.query(path, request.encode_to_vec());
        assert_ne!(r.code, 0, "{path} answered");
        (r.codespace, r.code, r.log)
    }

    pub fn balance_of(&self, address: &str) -> u128 {
        let resp: QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: address.into(),
                denom: DENOM.into(),
            },
        );
        resp.balance.map_or(0, |c| c.amount.parse().unwrap())
    }

    pub fn balance(&self, i: usize) -> u128 {
        self.balance_of(&self.address(i))
    }

    pub fn gov_balance(&self) -> u128 {
        self.balance_of(&gov_address())
    }

    pub fn supply(&self) -> u128 {
        let r: QuerySupplyOfResponse = self.query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            QuerySupplyOfRequest {
                denom: DENOM.into(),
            },
        );
        r.amount.map_or(0, |c| c.amount.parse().unwrap())
    }

    pub fn signed(&self, i: usize, msgs: Vec<Any>) -> Vec<u8> {
        self.signed_at(i, msgs, 0)
    }

    /// Signed with the account's committed sequence + `ahead` (for several transactions of
    /// one account in one block).
    pub fn signed_at(&self, i: usize, msgs: Vec<Any>, ahead: u64) -> Vec<u8> {
        let r: cosmrs::proto::cosmos::auth::v1beta1::QueryAccountResponse = self.query(
            "/cosmos.auth.v1beta1.Query/Account",
            cosmrs::proto::cosmos::auth::v1beta1::QueryAccountRequest {
                address: self.address(i),
            },
        );
        let a = cosmrs::proto::cosmos::auth::v1beta1::BaseAccount::decode(
            r.account.unwrap().value.as_slice(),
        )
        .unwrap();
        sign(
            &self.keys[i],
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number: a.account_number,
                sequence: a.sequence + ahead,
            },
            msgs,
            &FeeSpec::new(0, 50_000_000),
            "",
        )
        .unwrap()
    }

    /// One block with `txs`; the invariants are checked after it.
    pub fn finalize(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        let resp = self.driver.block(txs);
        self.events = depin_app::driver::block_events(&resp);
        self.assert_invariants();
        resp
    }

    pub fn block(&mut self) -> ResponseFinalizeBlock {
        self.finalize(Vec::new())
    }

    pub fn advance(&mut self, n: u64) {
        for _ in 0..n {
            self.block();
        }
    }

    pub fn tx(&mut self, i: usize, msgs: Vec<Any>) -> ExecTxResult {
        let tx = self.signed(i, msgs);
        self.finalize(vec![tx]).tx_results[0].clone()
    }

    pub fn ok(&mut self, i: usize, msgs: Vec<Any>) -> ExecTxResult {
        let r = self.tx(i, msgs);
        assert_eq!(
            r.code, 0,
            "tx failed: {} ({} {})",
            r.log, r.codespace, r.code
        );
        r
    }

    /// A transaction that must fail with (codespace, code), changing neither governance's
    /// state nor the signer's balance.
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let before = (self.export()["gov"].clone(), self.balance(i));
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        assert_eq!((self.export()["gov"].clone(), self.balance(i)), before);
        r.log
    }

    pub fn assert_invariants(&self) {
        let broken = self.driver.broken_invariants();
        assert!(
            broken.is_empty(),
            "broken invariants at {}: {broken:?}",
            self.height()
        );
    }

    pub fn export(&self) -> serde_json::Value {
        self.driver.export()
    }

    pub fn events_of(&self, kind: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    // ---- governance shorthands ----

    pub fn submit(&mut self, i: usize, messages: Vec<Any>, deposit: u128) -> u64 {
        self.submit_with(i, messages, deposit, false)
    }

    pub fn submit_with(
        &mut self,
        i: usize,
        messages: Vec<Any>,
        deposit: u128,
        expedited: bool,
    ) -> u64 {
        let msg = self.submit_msg(i, messages, deposit, expedited);
        let r = self.ok(i, vec![msg]);
        let data =
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref()).unwrap();
        pb::MsgSubmitProposalResponse::decode(data.msg_responses[0].value.as_slice())
            .unwrap()
            .proposal_id
    }

    pub fn submit_msg(&self, i: usize, messages: Vec<Any>, deposit: u128, expedited: bool) -> Any {
        any(
            "/cosmos.gov.v1.MsgSubmitProposal",
            pb::MsgSubmitProposal {
                messages,
                initial_deposit: if deposit == 0 { vec![] } else { coins(deposit) },
                proposer: self.address(i),
                metadata: "ipfs://proposal".into(),
                title: "A proposal".into(),
                summary: "What it changes and why".into(),
                expedited,
            },
        )
    }

    pub fn deposit_msg(&self, i: usize, id: u64, amount: u128) -> Any {
        any(
            "/cosmos.gov.v1.MsgDeposit",
            pb::MsgDeposit {
                proposal_id: id,
                depositor: self.address(i),
                amount: coins(amount),
            },
        )
    }

    pub fn vote_msg(&self, i: usize, id: u64, option: pb::VoteOption) -> Any {
        any(
            "/cosmos.gov.v1.MsgVote",
            pb::MsgVote {
                proposal_id: id,
                voter: self.address(i),
                option: option as i32,
                metadata: String::new(),
            },
        )
    }

    pub fn vote(&mut self, i: usize, id: u64, option: pb::VoteOption) {
        let m = self.vote_msg(i, id, option);
        self.ok(i, vec![m]);
    }

    pub fn proposal(&self, id: u64) -> pb::Proposal {
        let r: pb::QueryProposalResponse = self.query(
            "/cosmos.gov.v1.Query/Proposal",
            pb::QueryProposalRequest { proposal_id: id },
        );
        r.proposal.unwrap()
    }

    pub fn status(&self, id: u64) -> pb::ProposalStatus {
        pb::ProposalStatus::try_from(self.proposal(id).status).unwrap()
    }

    pub fn tally(&self, id: u64) -> pb::TallyResult {
        let r: pb::QueryTallyResultResponse = self.query(
            "/cosmos.gov.v1.Query/TallyResult",
            pb::QueryTallyResultRequest { proposal_id: id },
        );
        r.tally.unwrap()
    }

    /// Blocks until proposal `id`'s voting period has ended (and the end block decided it).
    pub fn finish_voting(&mut self, id: u64) {
        let end = self.proposal(id).voting_end_time.unwrap();
        while self.driver.time() < end.seconds {
            self.block();
        }
    }

    pub fn delegate(&mut self, i: usize, validator: usize, amount: u128) {
        let m = any(
            "/cosmos.staking.v1beta1.MsgDelegate",
            cosmrs::proto::cosmos::staking::v1beta1::MsgDelegate {
                delegator_address: self.address(i),
                validator_address: self.operator(validator),
                amount: Some(coins(amount).remove(0)),
            },
        );
        self.ok(i, vec![m]);
    }
}

/// A distribution MsgUpdateParams from the governance account setting the community tax.
pub fn community_tax_msg(tax: &str) -> Any {
    use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
    let atomics = tax.parse::<Decimal256>().unwrap().atomics().to_string();
    #[allow(deprecated)]
    let msg = dpb::MsgUpdateParams {
        authority: gov_address(),
        params: Some(dpb::Params {
            community_tax: atomics,
            base_proposer_reward: "0".into(),
            bonus_proposer_reward: "0".into(),
            withdraw_addr_enabled: true,
        }),
    };
    any("/cosmos.distribution.v1beta1.MsgUpdateParams", msg)
}

pub fn community_tax(chain: &Chain) -> String {
    use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
    let r: dpb::QueryParamsResponse = chain.query(
        "/cosmos.distribution.v1beta1.Query/Params",
        dpb::QueryParamsRequest {},
    );
    r.params.unwrap().community_tax
}
