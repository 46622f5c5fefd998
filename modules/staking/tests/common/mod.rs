//! A chain of auth, bank and staking (plus a small test module standing in for slashing),
//! driven through the in-process driver with signed transactions.
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::Any;
use cosmwasm_std::Decimal256;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::{Ctx, Env, ExecMode};
use depin_app::driver::InProcess;
use depin_app::error::{AppError, AppResult};
use depin_app::module::{decode_msg, Module, ModuleAccountSpec, BURNER, MINTER, STAKING};
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_simapp::testing::{FeeSpec, TestKey};
use depin_staking::{Params, StakingKeeper, StakingModule, BONDED_POOL, NOT_BONDED_POOL};
use prost::Message;
use tendermint_proto::v0_38::abci::{
    ExecTxResult, Misbehavior, MisbehaviorType, RequestFinalizeBlock, RequestInitChain,
    ResponseFinalizeBlock, Validator as AbciValidator, ValidatorUpdate,
};
use tendermint_proto::v0_38::crypto::{public_key, PublicKey};

pub const CHAIN_ID: &str = "staking-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
/// The fraction the test slashing module takes for each piece of evidence.
pub const SLASH_FRACTION: &str = "0.5";

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
        ModuleAccountSpec::new(BONDED_POOL, &[BURNER, STAKING]),
        ModuleAccountSpec::new(NOT_BONDED_POOL, &[BURNER, STAKING]),
    ]
}

/// Stands in for the slashing module: slashes and jails on misbehaviour evidence, and
/// unjails on `/cosmos.slashing.v1beta1.MsgUnjail`.
pub struct TestSlashing(pub StakingKeeper);

const MSG_UNJAIL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";

impl Module for TestSlashing {
    fn name(&self) -> &'static str {
        "test_slashing"
    }
    fn store_prefix(&self) -> &'static [u8] {
        b"test_slashing/"
    }
    fn msg_type_urls(&self) -> Vec<&'static str> {
        vec![MSG_UNJAIL]
    }
    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        let m: cosmrs::proto::cosmos::slashing::v1beta1::MsgUnjail = decode_msg(msg)?;
        Ok(vec![self.0.operator_codec().decode(&m.validator_addr)?])
    }
    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        let operator = self.validate_msg(msg)?.remove(0);
        let v = self
            .0
            .validator(ctx, &operator)?
            .ok_or_else(|| AppError::sdk(18, "no validator"))?;
        self.0.unjail(ctx, &v.consensus_address())?;
        Ok(Vec::new())
    }
    fn default_genesis(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn init_genesis(&self, _: &mut Ctx<'_, '_>, _: &serde_json::Value) -> AppResult<()> {
        Ok(())
    }
    fn export_genesis(&self, _: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let fraction: Decimal256 = SLASH_FRACTION.parse().unwrap();
        for m in ctx.env.misbehavior.clone() {
            let Some(v) = m.validator else { continue };
            self.0
                .slash(ctx, &v.address, m.height as u64, v.power as u64, fraction)?;
            if let Some(val) = self.0.validator_by_consensus_address(ctx, &v.address)? {
                if !val.jailed {
                    self.0.jail(ctx, &v.address)?;
                }
            }
        }
        Ok(())
    }
}

pub fn build_app() -> (App, StakingKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let staking = StakingKeeper::new(codec, bank.clone());
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(StakingModule::new(staking.clone()))
        .module(TestSlashing(staking.clone()))
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap();
    (app, staking)
}

/// Params for tests: unbonding in 60 s (12 blocks of the driver).
pub fn test_params(max_validators: u32) -> Params {
    Params {
        unbonding_time: 60,
        max_validators,
        max_entries: 3,
        historical_entries: 5,
        ..Params::default()
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

/// Blocks are made here rather than by `InProcess::block`, so that tests can move block
/// time forward (`skip`) beyond the driver's 5 s per block.
pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keeper: StakingKeeper,
    pub keys: Vec<TestKey>,
    pub height: u64,
    pub time: i64,
    _dir: tempfile::TempDir,
}

pub const GENESIS_TIME: i64 = 1_700_000_000;

/// An `app_state` with `funds[i]` for account i, the staking params, and `extra` merged in.
pub fn app_state(keys: &[TestKey], funds: &[u128], params: &Params) -> serde_json::Value {
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
        "staking": depin_staking::GenesisState { params: params.clone(), ..Default::default() },
    })
}

/// The keys `Chain::new` gives its accounts.
pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(1000 + i))
        .collect()
}

impl Chain {
    pub fn new(funds: &[u128], params: Params) -> Self {
        let keys = test_keys(funds.len());
        let state = app_state(&keys, funds, &params);
        Self::with_state(keys, &state).0
    }

    /// A chain from `state` after its first block; returns the validators InitChain
    /// answered.
    pub fn with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
    ) -> (Self, Vec<ValidatorUpdate>) {
        let (app, keeper) = build_app();
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        let (_, validators) = driver
            .node_mut()
            .try_init_chain(&RequestInitChain {
                time: Some(tendermint_proto::google::protobuf::Timestamp {
                    seconds: GENESIS_TIME,
                    nanos: 0,
                }),
                chain_id: CHAIN_ID.into(),
                app_state_bytes: serde_json::to_vec(state).unwrap().into(),
                initial_height: 1,
                ..Default::default()
            })
            .unwrap();
        let mut chain = Chain {
            driver,
            app,
            keeper,
            keys,
            height: 0,
            time: GENESIS_TIME,
            _dir: dir,
        };
        // Genesis is committed with block 1: until then queries see nothing.
        chain.block();
        (chain, validators)
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    pub fn operator(&self, i: usize) -> String {
        let raw = AddressCodec::new(PREFIX)
            .decode(&self.keys[i].address)
            .unwrap();
        self.keeper.operator_codec().encode(&raw)
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

    /// FinalizeBlock and Commit, 5 s after the previous block.
    pub fn finalize(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<Misbehavior>,
    ) -> ResponseFinalizeBlock {
        use sha2::Digest;
        self.height += 1;
        self.time += 5;
        let hash = sha2::Sha256::digest(self.height.to_be_bytes()).to_vec();
        let node = self.driver.node_mut();
        let resp = node.finalize_block(RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            decided_last_commit: None,
            misbehavior,
            hash: hash.into(),
            height: self.height as i64,
            time: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: self.time,
                nanos: 0,
            }),
            next_validators_hash: Default::default(),
            proposer_address: Default::default(),
        });
        node.commit();
        resp
    }

    /// Moves block time `seconds` forward (seen from the next block on).
    pub fn skip(&mut self, seconds: i64) {
        self.time += seconds;
    }

    /// One block with one transaction of account `i`; returns its result and the block.
    pub fn tx(&mut self, i: usize, msgs: Vec<Any>) -> (ExecTxResult, ResponseFinalizeBlock) {
        let tx = self.signed(i, msgs);
        let block = self.finalize(vec![tx], Vec::new());
        (block.tx_results[0].clone(), block)
    }

    /// Like `tx`, and the transaction must succeed.
    pub fn ok(&mut self, i: usize, msgs: Vec<Any>) -> ResponseFinalizeBlock {
        let (r, block) = self.tx(i, msgs);
        assert_eq!(
            r.code, 0,
            "tx failed: {} ({} {})",
            r.log, r.codespace, r.code
        );
        self.assert_invariants();
        block
    }

    /// Like `tx`, and the transaction must fail with (codespace, code).
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let (r, _) = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        self.assert_invariants();
        r.log
    }

    pub fn block(&mut self) -> ResponseFinalizeBlock {
        let b = self.finalize(Vec::new(), Vec::new());
        self.assert_invariants();
        b
    }

    /// A block carrying double-sign evidence against validator `i` at `height` with `power`.
    pub fn evidence(&mut self, i: usize, height: u64, power: i64) -> ResponseFinalizeBlock {
        let m = Misbehavior {
            r#type: MisbehaviorType::DuplicateVote as i32,
            validator: Some(AbciValidator {
                address: cons_address(i).into(),
                power,
            }),
            height: height as i64,
            time: None,
            total_voting_power: power,
        };
        let b = self.finalize(Vec::new(), vec![m]);
        self.assert_invariants();
        b
    }

    /// `n` empty blocks; the validator updates they returned, in order.
    pub fn advance(&mut self, n: usize) -> Vec<ValidatorUpdate> {
        (0..n)
            .flat_map(|_| self.block().validator_updates)
            .collect()
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The (codespace, code) of a failing query.
    pub fn query_err(&self, path: &str, request: impl Message) -> (String, u32) {
        let resp = self.driver.query(path, request.encode_to_vec());
        assert_ne!(resp.code, 0, "{path} should fail");
        (resp.codespace, resp.code)
    }

    pub fn balance(&self, address: &str) -> u128 {
        let resp: QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: address.into(),
                denom: DENOM.into(),
            },
        );
        resp.balance.unwrap().amount.parse().unwrap()
    }

    pub fn pool(&self) -> (u128, u128) {
        let resp: pb::QueryPoolResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Pool",
            pb::QueryPoolRequest {},
        );
        let pool = resp.pool.unwrap();
        (
            pool.bonded_tokens.parse().unwrap(),
            pool.not_bonded_tokens.parse().unwrap(),
        )
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

    /// Every validator's tokens, by operator address.
    pub fn validators(&self) -> std::collections::BTreeMap<String, u128> {
        let resp: pb::QueryValidatorsResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Validators",
            pb::QueryValidatorsRequest::default(),
        );
        resp.validators
            .into_iter()
            .map(|v| (v.operator_address, v.tokens.parse().unwrap()))
            .collect()
    }

    pub fn tokens(&self, i: usize) -> u128 {
        self.validator(i).tokens.parse().unwrap()
    }

    /// The tokens delegator `d`'s delegation to validator `v` is worth (0 if none).
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
        let r = pb::QueryDelegationResponse::decode(resp.value.as_ref()).unwrap();
        r.delegation_response
            .unwrap()
            .balance
            .unwrap()
            .amount
            .parse()
            .unwrap()
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

    /// Every module's invariants over the latest committed state.
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

    pub fn pool_address(name: &str) -> String {
        AddressCodec::new(PREFIX).encode(&module_address(name))
    }
}

fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    })
}

fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

/// Decimal in protobuf form from text ("0.1" → "100000000000000000").
pub fn dec_proto(s: &str) -> String {
    depin_staking::dec::to_proto(s.parse().unwrap())
}

impl Chain {
    /// MsgCreateValidator for account `i` with consensus key `cons_key(i)`, commission 10%
    /// (max 20%, max change 1%), min self delegation 1.
    pub fn msg_create_validator(&self, i: usize, amount: u128) -> Any {
        self.msg_create_validator_with(i, amount, ("0.1", "0.2", "0.01"), 1)
    }

    pub fn msg_create_validator_with(
        &self,
        i: usize,
        amount: u128,
        (rate, max_rate, max_change): (&str, &str, &str),
        min_self_delegation: u128,
    ) -> Any {
        #[allow(deprecated)]
        let msg = pb::MsgCreateValidator {
            description: Some(pb::Description {
                moniker: format!("validator-{i}"),
                ..Default::default()
            }),
            commission: Some(pb::CommissionRates {
                rate: dec_proto(rate),
                max_rate: dec_proto(max_rate),
                max_change_rate: dec_proto(max_change),
            }),
            min_self_delegation: min_self_delegation.to_string(),
            delegator_address: String::new(),
            validator_address: self.operator(i),
            pubkey: Some(depin_staking::types::ed25519_any(&cons_key(i))),
            value: coin(amount),
        };
        any(depin_staking::msgs::MSG_CREATE_VALIDATOR, msg)
    }

    pub fn msg_edit_validator(&self, i: usize, rate: Option<&str>, min_self: Option<u128>) -> Any {
        any(
            depin_staking::msgs::MSG_EDIT_VALIDATOR,
            pb::MsgEditValidator {
                description: None,
                validator_address: self.operator(i),
                commission_rate: rate.map(dec_proto).unwrap_or_default(),
                min_self_delegation: min_self.map(|m| m.to_string()).unwrap_or_default(),
            },
        )
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

    pub fn msg_cancel_unbonding(&self, d: usize, v: usize, amount: u128, height: i64) -> Any {
        any(
            depin_staking::msgs::MSG_CANCEL_UNBONDING_DELEGATION,
            pb::MsgCancelUnbondingDelegation {
                delegator_address: self.address(d),
                validator_address: self.operator(v),
                amount: coin(amount),
                creation_height: height,
            },
        )
    }

    pub fn msg_unjail(&self, i: usize) -> Any {
        any(
            MSG_UNJAIL,
            cosmrs::proto::cosmos::slashing::v1beta1::MsgUnjail {
                validator_addr: self.operator(i),
            },
        )
    }
}
