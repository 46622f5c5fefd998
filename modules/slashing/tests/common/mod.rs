//! A chain of auth, bank, staking and slashing, driven through the in-process driver with
//! signed transactions, votes on every block (from the bonded set, as CometBFT sends them)
//! and, when a test asks, misbehaviour evidence.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::slashing::v1beta1 as spb;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::Any;
use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::{Env, Event, ExecMode};
use depin_app::driver::{InProcess, BLOCK_SECONDS};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER, STAKING};
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_simapp::testing::{FeeSpec, TestKey};
use depin_slashing::{SlashingKeeper, SlashingModule};
use depin_staking::MultiHooks;
use depin_staking::{StakingKeeper, StakingModule, BONDED_POOL, NOT_BONDED_POOL};
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExecTxResult, Misbehavior, MisbehaviorType, ResponseFinalizeBlock,
    Validator as AbciValidator, ValidatorUpdate, VoteInfo,
};
use tendermint_proto::v0_38::crypto::{public_key, PublicKey};
use tendermint_proto::v0_38::types::BlockIdFlag;

pub const CHAIN_ID: &str = "slashing-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const M: u128 = 1_000_000;
/// The driver's block time at height 0.
pub const GENESIS_TIME: i64 = 1_700_000_000;

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
        ModuleAccountSpec::new(BONDED_POOL, &[BURNER, STAKING]),
        ModuleAccountSpec::new(NOT_BONDED_POOL, &[BURNER, STAKING]),
    ]
}

/// The composition simapp should use: slashing after staking, its hooks registered on the
/// staking keeper through `MultiHooks`.
pub fn build_app() -> (App, StakingKeeper, SlashingKeeper) {
    build_app_with_authority(None)
}

/// `build_app` with slashing params changed by `authority` instead of the gov account.
pub fn build_app_with_authority(
    authority: Option<Vec<u8>>,
) -> (App, StakingKeeper, SlashingKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let staking = StakingKeeper::new(codec.clone(), bank.clone());
    let slashing = SlashingKeeper::new(codec, staking.clone());
    staking
        .set_hooks(MultiHooks::new().with(slashing.hooks()))
        .unwrap();
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(StakingModule::new(staking.clone()))
        .module(match authority {
            Some(a) => SlashingModule::new(slashing.clone()).with_authority(a),
            None => SlashingModule::new(slashing.clone()),
        })
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap();
    (app, staking, slashing)
}

/// Staking params for tests: unbonding in 60 s (12 blocks).
pub fn staking_params() -> depin_staking::Params {
    depin_staking::Params {
        unbonding_time: 60,
        max_validators: 10,
        max_entries: 3,
        historical_entries: 5,
        ..depin_staking::Params::default()
    }
}

/// Slashing params for tests: a window of 10 blocks of which 5 must be signed, 30 s (6
/// blocks) of jail, 10% for downtime, 50% for double signing.
pub fn slashing_params() -> depin_slashing::Params {
    depin_slashing::Params {
        signed_blocks_window: 10,
        min_signed_per_window: "0.5".parse().unwrap(),
        downtime_jail_duration: 30,
        slash_fraction_double_sign: "0.5".parse().unwrap(),
        slash_fraction_downtime: "0.1".parse().unwrap(),
    }
}

pub fn cons_key(i: usize) -> Vec<u8> {
    vec![i as u8 + 1; 32]
}

pub fn cons_address(i: usize) -> Vec<u8> {
    depin_staking::types::consensus_address(&cons_key(i))
}

pub fn update(i: usize, power: i64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(public_key::Sum::Ed25519(cons_key(i))),
        }),
        power,
    }
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(2000 + i))
        .collect()
}

pub fn app_state(keys: &[TestKey], funds: &[u128]) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .zip(funds)
        .map(|(k, amount)| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(*amount, DENOM)],
        })
        .collect();
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "staking": depin_staking::GenesisState { params: staking_params(), ..Default::default() },
        "slashing": depin_slashing::GenesisState { params: slashing_params(), ..Default::default() },
    })
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub staking: StakingKeeper,
    pub slashing: SlashingKeeper,
    pub keys: Vec<TestKey>,
    /// Validators whose votes are ABSENT from now on.
    pub offline: BTreeSet<usize>,
    /// Validators whose votes are NIL (signed, for no block) from now on.
    pub nil: BTreeSet<usize>,
    /// Events of the last block (begin block, txs, end block).
    pub events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Chain {
    pub fn new(funds: &[u128]) -> Self {
        let keys = test_keys(funds.len());
        let state = app_state(&keys, funds);
        Self::with_state(keys, &state)
    }

    /// A chain from `state`, after its first block.
    pub fn with_state(keys: Vec<TestKey>, state: &serde_json::Value) -> Self {
        Self::with_authority(keys, state, None)
    }

    /// A chain whose slashing params `authority` may change.
    pub fn with_authority(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        authority: Option<Vec<u8>>,
    ) -> Self {
        let (app, staking, slashing) = build_app_with_authority(authority);
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver.init_chain(CHAIN_ID, state).unwrap();
        let mut chain = Chain {
            driver,
            app,
            staking,
            slashing,
            keys,
            offline: BTreeSet::new(),
            nil: BTreeSet::new(),
            events: Vec::new(),
            _dir: dir,
        };
        chain.block();
        chain
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    /// The block time of the last block.
    pub fn time(&self) -> i64 {
        GENESIS_TIME + self.height() as i64 * BLOCK_SECONDS
    }

    pub fn raw_address(&self, i: usize) -> Vec<u8> {
        AddressCodec::new(PREFIX)
            .decode(&self.keys[i].address)
            .unwrap()
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    pub fn operator(&self, i: usize) -> String {
        let raw = AddressCodec::new(PREFIX)
            .decode(&self.keys[i].address)
            .unwrap();
        self.staking.operator_codec().encode(&raw)
    }

    pub fn valcons(&self, i: usize) -> String {
        self.staking.consensus_codec().encode(&cons_address(i))
    }

    pub fn account(&self, i: usize) -> (u64, u64) {
        depin_simapp::testing::account_of(&self.driver, &self.keys[i].address)
    }

    pub fn signed(&self, i: usize, msgs: Vec<Any>) -> Vec<u8> {
        depin_simapp::testing::sign_current(
            &self.driver,
            CHAIN_ID,
            &self.keys[i],
            msgs,
            &FeeSpec::new(0, 5_000_000),
        )
    }

    /// The votes CometBFT would send on the previous block: every Bonded validator, ABSENT
    /// when offline.
    pub fn votes(&self) -> CommitInfo {
        let resp: pb::QueryValidatorsResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Validators",
            pb::QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                ..Default::default()
            },
        );
        let votes = resp
            .validators
            .iter()
            .map(|v| {
                let i = (0..self.keys.len())
                    .find(|&i| self.operator(i) == v.operator_address)
                    .unwrap();
                let flag = if self.offline.contains(&i) {
                    BlockIdFlag::Absent
                } else if self.nil.contains(&i) {
                    BlockIdFlag::Nil
                } else {
                    BlockIdFlag::Commit
                };
                VoteInfo {
                    validator: Some(AbciValidator {
                        address: cons_address(i).into(),
                        power: (v.tokens.parse::<u128>().unwrap() / M) as i64,
                    }),
                    block_id_flag: flag as i32,
                }
            })
            .collect();
        CommitInfo { round: 0, votes }
    }

    /// One block with `txs` and `misbehavior`, the votes of `votes()`; invariants of every
    /// module are checked after it.
    pub fn finalize(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<Misbehavior>,
    ) -> ResponseFinalizeBlock {
        let votes = if self.height() == 0 {
            None
        } else {
            Some(self.votes())
        };
        let resp = self.driver.block_with(txs, votes, misbehavior);
        self.events = depin_app::driver::block_events(&resp);
        self.assert_invariants();
        resp
    }

    pub fn block(&mut self) -> ResponseFinalizeBlock {
        self.finalize(Vec::new(), Vec::new())
    }

    /// `n` blocks; the validator updates they returned, in order.
    pub fn advance(&mut self, n: usize) -> Vec<ValidatorUpdate> {
        (0..n)
            .flat_map(|_| self.block().validator_updates)
            .collect()
    }

    pub fn tx(&mut self, i: usize, msgs: Vec<Any>) -> (ExecTxResult, ResponseFinalizeBlock) {
        let tx = self.signed(i, msgs);
        let block = self.finalize(vec![tx], Vec::new());
        (block.tx_results[0].clone(), block)
    }

    pub fn ok(&mut self, i: usize, msgs: Vec<Any>) -> ResponseFinalizeBlock {
        let (r, block) = self.tx(i, msgs);
        assert_eq!(
            r.code, 0,
            "tx failed: {} ({} {})",
            r.log, r.codespace, r.code
        );
        block
    }

    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let (r, _) = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        r.log
    }

    /// A block carrying double-sign evidence against validator `i` at `height` (with its
    /// block time) and `power`.
    pub fn evidence(&mut self, i: usize, height: u64, power: i64) -> ResponseFinalizeBlock {
        self.evidence_of(MisbehaviorType::DuplicateVote, i, height, power)
    }

    pub fn evidence_of(
        &mut self,
        kind: MisbehaviorType,
        i: usize,
        height: u64,
        power: i64,
    ) -> ResponseFinalizeBlock {
        let m = Misbehavior {
            r#type: kind as i32,
            validator: Some(AbciValidator {
                address: cons_address(i).into(),
                power,
            }),
            height: height as i64,
            time: Some(Timestamp {
                seconds: GENESIS_TIME + height as i64 * BLOCK_SECONDS,
                nanos: 0,
            }),
            total_voting_power: power,
        };
        self.finalize(Vec::new(), vec![m])
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn query_err(&self, path: &str, request: impl Message) -> (String, u32) {
        let resp = self.driver.query(path, request.encode_to_vec());
        assert_ne!(resp.code, 0, "{path} should fail");
        (resp.codespace, resp.code)
    }

    pub fn validator(&self, i: usize) -> pb::Validator {
        let resp: pb::QueryValidatorResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Validator",
            pb::QueryValidatorRequest {
                validator_addr: self.operator(i),
            },
        );
        resp.validator.unwrap()
    }

    pub fn tokens(&self, i: usize) -> u128 {
        self.validator(i).tokens.parse().unwrap()
    }

    pub fn signing_info(&self, i: usize) -> spb::ValidatorSigningInfo {
        let resp: spb::QuerySigningInfoResponse = self.query(
            "/cosmos.slashing.v1beta1.Query/SigningInfo",
            spb::QuerySigningInfoRequest {
                cons_address: self.valcons(i),
            },
        );
        resp.val_signing_info.unwrap()
    }

    pub fn unbonding_entries(&self, d: usize, v: usize) -> Vec<pb::UnbondingDelegationEntry> {
        let resp = self.driver.query(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            pb::QueryUnbondingDelegationRequest {
                delegator_addr: self.address(d),
                validator_addr: self.operator(v),
            }
            .encode_to_vec(),
        );
        if resp.code != 0 {
            return Vec::new();
        }
        pb::QueryUnbondingDelegationResponse::decode(resp.value.as_ref())
            .unwrap()
            .unbond
            .unwrap()
            .entries
    }

    /// Events of the last block of `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    /// Every module's invariants (staking's and slashing's) over the latest committed state.
    pub fn assert_invariants(&self) {
        let store = self.driver.node().store();
        let env = Env::new(CHAIN_ID, store.version(), ExecMode::Query);
        let broken = self
            .app
            .check_invariants(&mut WorkingSet::new(store.latest_view().unwrap()), &env);
        assert!(broken.is_empty(), "broken invariants: {broken:?}");
    }

    pub fn export(&self) -> serde_json::Value {
        let store = self.driver.node().store();
        let env = Env::new(CHAIN_ID, store.version(), ExecMode::Query);
        self.app
            .export_genesis(&mut WorkingSet::new(store.latest_view().unwrap()), &env)
            .unwrap()
    }
}

fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    })
}

pub fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn dec_proto(s: &str) -> String {
    depin_staking::dec::to_proto(s.parse().unwrap())
}

impl Chain {
    /// MsgCreateValidator for account `i` with consensus key `cons_key(i)`, min self
    /// delegation `min_self`.
    pub fn msg_create_validator(&self, i: usize, amount: u128, min_self: u128) -> Any {
        #[allow(deprecated)]
        let msg = pb::MsgCreateValidator {
            description: Some(pb::Description {
                moniker: format!("validator-{i}"),
                ..Default::default()
            }),
            commission: Some(pb::CommissionRates {
                rate: dec_proto("0.1"),
                max_rate: dec_proto("0.2"),
                max_change_rate: dec_proto("0.01"),
            }),
            min_self_delegation: min_self.to_string(),
            delegator_address: String::new(),
            validator_address: self.operator(i),
            pubkey: Some(depin_staking::types::ed25519_any(&cons_key(i))),
            value: coin(amount),
        };
        any(depin_staking::msgs::MSG_CREATE_VALIDATOR, msg)
    }

    pub fn msg_delegate(&self, d: usize, v: usize, amount: u128) -> Any {
        any(
            depin_staking::msgs::MSG_DELEGATE,
            pb::MsgDelegate {
                delegator_address: self.address(d),
                validator_address: self.operator(v),
                amount: coin(amount),
            },
        )
    }

    pub fn msg_undelegate(&self, d: usize, v: usize, amount: u128) -> Any {
        any(
            depin_staking::msgs::MSG_UNDELEGATE,
            pb::MsgUndelegate {
                delegator_address: self.address(d),
                validator_address: self.operator(v),
                amount: coin(amount),
            },
        )
    }

    pub fn msg_redelegate(&self, d: usize, src: usize, dst: usize, amount: u128) -> Any {
        any(
            depin_staking::msgs::MSG_BEGIN_REDELEGATE,
            pb::MsgBeginRedelegate {
                delegator_address: self.address(d),
                validator_src_address: self.operator(src),
                validator_dst_address: self.operator(dst),
                amount: coin(amount),
            },
        )
    }

    /// What delegator `d`'s delegation to validator `v` is worth (0 if none).
    pub fn delegation_balance(&self, d: usize, v: usize) -> u128 {
        let resp = self.driver.query(
            "/cosmos.staking.v1beta1.Query/Delegation",
            pb::QueryDelegationRequest {
                delegator_addr: self.address(d),
                validator_addr: self.operator(v),
            }
            .encode_to_vec(),
        );
        if resp.code != 0 {
            return 0;
        }
        pb::QueryDelegationResponse::decode(resp.value.as_ref())
            .unwrap()
            .delegation_response
            .unwrap()
            .balance
            .unwrap()
            .amount
            .parse()
            .unwrap()
    }

    pub fn msg_unjail(&self, i: usize) -> Any {
        any(
            depin_slashing::msgs::MSG_UNJAIL,
            spb::MsgUnjail {
                validator_addr: self.operator(i),
            },
        )
    }
}
