//! A chain of auth, bank, distribution, staking and slashing (in that module order, the
//! Cosmos SDK's), driven through the in-process driver with signed transactions, the votes
//! of the bonded set on every block and, when a test asks, double-sign evidence. Every
//! module's invariants are checked after every block.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1 as bpb;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::Any;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::{Env, Event, ExecMode};
use depin_app::driver::{InProcess, BLOCK_SECONDS};
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER, STAKING};
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_distribution::{DistributionKeeper, DistributionModule, MODULE_ACCOUNT};
use depin_slashing::{SlashingKeeper, SlashingModule};
use depin_staking::{MultiHooks, StakingKeeper, StakingModule, BONDED_POOL, NOT_BONDED_POOL};
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExecTxResult, Misbehavior, MisbehaviorType, ResponseFinalizeBlock,
    Validator as AbciValidator, VoteInfo,
};
use tendermint_proto::v0_38::types::BlockIdFlag;

pub const CHAIN_ID: &str = "distribution-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const M: u128 = 1_000_000;
pub const GENESIS_TIME: i64 = 1_700_000_000;

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
        ModuleAccountSpec::new(MODULE_ACCOUNT, &[]),
        ModuleAccountSpec::new(BONDED_POOL, &[BURNER, STAKING]),
        ModuleAccountSpec::new(NOT_BONDED_POOL, &[BURNER, STAKING]),
    ]
}

pub struct Keepers {
    pub bank: BankKeeper,
    pub staking: StakingKeeper,
    pub slashing: SlashingKeeper,
    pub distribution: DistributionKeeper,
}

/// The composition simapp should use: distribution after bank and before staking, its hooks
/// registered on the staking keeper next to slashing's.
pub fn build_app(authority: Option<Vec<u8>>) -> (App, Keepers) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let staking = StakingKeeper::new(codec.clone(), bank.clone());
    let slashing = SlashingKeeper::new(codec.clone(), staking.clone());
    let distribution = DistributionKeeper::new(codec, staking.clone(), bank.clone());
    staking
        .set_hooks(
            MultiHooks::new()
                .with(slashing.hooks())
                .with(distribution.hooks()),
        )
        .unwrap();
    let module = DistributionModule::new(distribution.clone());
    let module = match authority {
        Some(a) => module.with_authority(a),
        None => module,
    };
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(module)
        .module(StakingModule::new(staking.clone()))
        .module(SlashingModule::new(slashing.clone()))
        .ante(AuthAnte::new(auth, bank.clone()))
        .build()
        .unwrap();
    (
        app,
        Keepers {
            bank,
            staking,
            slashing,
            distribution,
        },
    )
}

pub fn staking_params() -> depin_staking::Params {
    depin_staking::Params {
        unbonding_time: 60,
        max_validators: 10,
        max_entries: 7,
        historical_entries: 5,
        ..depin_staking::Params::default()
    }
}

/// A long window, so nobody is jailed for downtime unless a test wants it; 50% for double
/// signing.
pub fn slashing_params() -> depin_slashing::Params {
    depin_slashing::Params {
        signed_blocks_window: 1000,
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

/// A deterministic test account.
pub struct TestKey {
    pub key: SigningKey,
    pub address: String,
}

impl TestKey {
    pub fn from_seed(seed: u64) -> Self {
        use sha2::{Digest, Sha256};
        let mut bytes: [u8; 32] = Sha256::digest(seed.to_be_bytes()).into();
        loop {
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                let address = key.public_key().account_id(PREFIX).unwrap().to_string();
                return TestKey { key, address };
            }
            bytes = Sha256::digest(bytes).into();
        }
    }
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(3000 + i))
        .collect()
}

pub fn app_state(
    keys: &[TestKey],
    funds: &[u128],
    distribution: depin_distribution::GenesisState,
) -> serde_json::Value {
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
        "distribution": distribution,
        "staking": depin_staking::GenesisState { params: staking_params(), ..Default::default() },
        "slashing": depin_slashing::GenesisState { params: slashing_params(), ..Default::default() },
    })
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keepers: Keepers,
    pub keys: Vec<TestKey>,
    /// Validators whose votes are ABSENT from now on.
    pub offline: BTreeSet<usize>,
    /// Votes added to the bonded set's (validator, power): rewards for a validator CometBFT
    /// would no longer ask, to test what F1 makes of them.
    pub extra_votes: Vec<(usize, i64)>,
    /// Events of the last block (begin block, txs, end block).
    pub events: Vec<Event>,
    /// The fee every transaction pays, in udepin.
    pub fee: u128,
    /// The next block is the chain's first: CometBFT sends no last commit with it.
    pub first_block: bool,
    pub _dir: tempfile::TempDir,
}

impl Chain {
    pub fn new(funds: &[u128]) -> Self {
        Self::with_params(funds, depin_distribution::Params::default())
    }

    pub fn with_params(funds: &[u128], params: depin_distribution::Params) -> Self {
        let keys = test_keys(funds.len());
        let genesis = depin_distribution::GenesisState {
            params,
            ..Default::default()
        };
        let state = app_state(&keys, funds, genesis);
        Self::with_state(keys, &state, None, 1).unwrap()
    }

    /// A chain from `state` starting at `initial_height`, after its first block.
    pub fn with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        authority: Option<Vec<u8>>,
        initial_height: u64,
    ) -> Result<Self, String> {
        let (app, keepers) = build_app(authority);
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        if initial_height > 1 {
            driver.set_time(GENESIS_TIME + (initial_height as i64 - 1) * BLOCK_SECONDS);
        }
        driver.init_chain_at(CHAIN_ID, state, initial_height)?;
        let mut chain = Chain {
            driver,
            app,
            keepers,
            keys,
            offline: BTreeSet::new(),
            extra_votes: Vec::new(),
            events: Vec::new(),
            fee: 0,
            first_block: true,
            _dir: dir,
        };
        chain.block();
        Ok(chain)
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
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
        self.keepers
            .staking
            .operator_codec()
            .encode(&self.raw_address(i))
    }

    pub fn account(&self, i: usize) -> (u64, u64) {
        let resp: QueryAccountResponse = self.query(
            "/cosmos.auth.v1beta1.Query/Account",
            QueryAccountRequest {
                address: self.address(i),
            },
        );
        let a = BaseAccount::decode(resp.account.unwrap().value.as_slice()).unwrap();
        (a.account_number, a.sequence)
    }

    /// `msgs` signed by account `i` (SIGN_MODE_DIRECT), paying `self.fee`.
    pub fn signed(&self, i: usize, msgs: Vec<Any>) -> Vec<u8> {
        let (account_number, sequence) = self.account(i);
        let body = Body::new(msgs, "", 0u32);
        let fee = if self.fee == 0 {
            Fee {
                amount: Vec::new(),
                gas_limit: 5_000_000,
                payer: None,
                granter: None,
            }
        } else {
            Fee::from_amount_and_gas(
                cosmrs::Coin {
                    denom: DENOM.parse().unwrap(),
                    amount: self.fee,
                },
                5_000_000u64,
            )
        };
        let signer = &self.keys[i];
        let auth =
            SignerInfo::single_direct(Some(signer.key.public_key()), sequence).auth_info(fee);
        let doc = SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), account_number).unwrap();
        doc.sign(&signer.key).unwrap().to_bytes().unwrap()
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
        let mut votes: Vec<VoteInfo> = resp
            .validators
            .iter()
            .map(|v| {
                let i = (0..self.keys.len())
                    .find(|&i| self.operator(i) == v.operator_address)
                    .unwrap();
                let flag = if self.offline.contains(&i) {
                    BlockIdFlag::Absent
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
        for &(i, power) in &self.extra_votes {
            votes.push(VoteInfo {
                validator: Some(AbciValidator {
                    address: cons_address(i).into(),
                    power,
                }),
                block_id_flag: BlockIdFlag::Commit as i32,
            });
        }
        CommitInfo { round: 0, votes }
    }

    pub fn finalize(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<Misbehavior>,
    ) -> ResponseFinalizeBlock {
        let votes = if std::mem::take(&mut self.first_block) {
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

    pub fn advance(&mut self, n: usize) {
        for _ in 0..n {
            self.block();
        }
    }

    pub fn tx(&mut self, i: usize, msgs: Vec<Any>) -> (ExecTxResult, ResponseFinalizeBlock) {
        let tx = self.signed(i, msgs);
        let block = self.finalize(vec![tx], Vec::new());
        (block.tx_results[0].clone(), block)
    }

    pub fn ok(&mut self, i: usize, msgs: Vec<Any>) -> ExecTxResult {
        let (r, _) = self.tx(i, msgs);
        assert_eq!(
            r.code, 0,
            "tx failed: {} ({} {})",
            r.log, r.codespace, r.code
        );
        r
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

    /// A block carrying double-sign evidence against validator `i` at `height`.
    pub fn evidence(&mut self, i: usize, height: u64, power: i64) -> ResponseFinalizeBlock {
        let m = Misbehavior {
            r#type: MisbehaviorType::DuplicateVote as i32,
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

    pub fn balance_of(&self, address: &str) -> u128 {
        let resp: bpb::QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            bpb::QueryBalanceRequest {
                address: address.to_string(),
                denom: DENOM.into(),
            },
        );
        resp.balance.map(|c| c.amount.parse().unwrap()).unwrap_or(0)
    }

    pub fn balance(&self, i: usize) -> u128 {
        self.balance_of(&self.address(i))
    }

    pub fn module_balance(&self, name: &str) -> u128 {
        self.balance_of(&AddressCodec::new(PREFIX).encode(&module_address(name)))
    }

    pub fn events_of(&self, kind: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    pub fn assert_invariants(&self) {
        let broken = self.with_latest(|app, ws, env| app.check_invariants(ws, env));
        assert!(broken.is_empty(), "broken invariants: {broken:?}");
    }

    /// Runs `f` on a working set over the latest committed state (thrown away after).
    pub fn with_latest<T>(&self, f: impl FnOnce(&App, &mut WorkingSet, &Env) -> T) -> T {
        let store = self.driver.node().store();
        let env = Env::new(CHAIN_ID, self.height(), ExecMode::Query);
        let mut ws = WorkingSet::new(store.latest_view().unwrap());
        f(&self.app, &mut ws, &env)
    }

    pub fn export(&self) -> serde_json::Value {
        self.with_latest(|app, ws, env| app.export_genesis(ws, env).unwrap())
    }

    // Queries of this module.

    pub fn rewards(&self, d: usize, v: usize) -> Vec<(String, String)> {
        let resp: dpb::QueryDelegationRewardsResponse = self.query(
            "/cosmos.distribution.v1beta1.Query/DelegationRewards",
            dpb::QueryDelegationRewardsRequest {
                delegator_address: self.address(d),
                validator_address: self.operator(v),
            },
        );
        resp.rewards
            .into_iter()
            .map(|c| (c.denom, c.amount))
            .collect()
    }

    /// The whole udepin of a delegation's pending rewards.
    pub fn rewards_whole(&self, d: usize, v: usize) -> u128 {
        whole(&self.rewards(d, v))
    }

    pub fn outstanding(&self, v: usize) -> Vec<(String, String)> {
        let resp: dpb::QueryValidatorOutstandingRewardsResponse = self.query(
            "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
            dpb::QueryValidatorOutstandingRewardsRequest {
                validator_address: self.operator(v),
            },
        );
        resp.rewards
            .unwrap_or_default()
            .rewards
            .into_iter()
            .map(|c| (c.denom, c.amount))
            .collect()
    }

    pub fn commission(&self, v: usize) -> Vec<(String, String)> {
        let resp: dpb::QueryValidatorCommissionResponse = self.query(
            "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
            dpb::QueryValidatorCommissionRequest {
                validator_address: self.operator(v),
            },
        );
        resp.commission
            .unwrap_or_default()
            .commission
            .into_iter()
            .map(|c| (c.denom, c.amount))
            .collect()
    }

    pub fn community_pool(&self) -> Vec<(String, String)> {
        let resp: dpb::QueryCommunityPoolResponse = self.query(
            "/cosmos.distribution.v1beta1.Query/CommunityPool",
            dpb::QueryCommunityPoolRequest {},
        );
        resp.pool.into_iter().map(|c| (c.denom, c.amount)).collect()
    }
}

/// The udepin amount of decimal coins in protobuf form, in 10^-18 units.
pub fn atomics(coins: &[(String, String)]) -> u128 {
    coins
        .iter()
        .find(|(d, _)| d == DENOM)
        .map(|(_, a)| a.parse().unwrap())
        .unwrap_or(0)
}

/// The whole udepin of decimal coins in protobuf form.
pub fn whole(coins: &[(String, String)]) -> u128 {
    atomics(coins) / 1_000_000_000_000_000_000
}

/// `n` whole udepin in 10^-18 units.
pub fn dec_units(n: u128) -> u128 {
    n * 1_000_000_000_000_000_000
}

pub fn coin(amount: u128) -> Option<ProtoCoin> {
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
    /// MsgCreateValidator for account `i` with commission `rate`.
    pub fn msg_create_validator(&self, i: usize, amount: u128, rate: &str) -> Any {
        #[allow(deprecated)]
        let msg = pb::MsgCreateValidator {
            description: Some(pb::Description {
                moniker: format!("validator-{i}"),
                ..Default::default()
            }),
            commission: Some(pb::CommissionRates {
                rate: dec_proto(rate),
                max_rate: dec_proto("1"),
                max_change_rate: dec_proto("0.01"),
            }),
            min_self_delegation: "1".into(),
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

    pub fn msg_withdraw(&self, d: usize, v: usize) -> Any {
        any(
            depin_distribution::msgs::MSG_WITHDRAW_DELEGATOR_REWARD,
            dpb::MsgWithdrawDelegatorReward {
                delegator_address: self.address(d),
                validator_address: self.operator(v),
            },
        )
    }

    pub fn msg_withdraw_commission(&self, v: usize) -> Any {
        any(
            depin_distribution::msgs::MSG_WITHDRAW_VALIDATOR_COMMISSION,
            dpb::MsgWithdrawValidatorCommission {
                validator_address: self.operator(v),
            },
        )
    }

    pub fn msg_set_withdraw_address(&self, d: usize, to: &str) -> Any {
        any(
            depin_distribution::msgs::MSG_SET_WITHDRAW_ADDRESS,
            dpb::MsgSetWithdrawAddress {
                delegator_address: self.address(d),
                withdraw_address: to.to_string(),
            },
        )
    }

    pub fn msg_fund(&self, d: usize, amount: Vec<ProtoCoin>) -> Any {
        any(
            depin_distribution::msgs::MSG_FUND_COMMUNITY_POOL,
            dpb::MsgFundCommunityPool {
                amount,
                depositor: self.address(d),
            },
        )
    }

    /// A bank send from `i` to itself: a cheap way to pay `self.fee` into the fee collector.
    pub fn msg_self_send(&self, i: usize, amount: u128) -> Any {
        any(
            depin_bank::msgs::MSG_SEND,
            bpb::MsgSend {
                from_address: self.address(i),
                to_address: self.address(i),
                amount: vec![coin(amount).unwrap()],
            },
        )
    }

    /// A block in which account `payer` pays `fee` udepin of fees (allocated at the next
    /// block's begin block).
    pub fn pay_fees(&mut self, payer: usize, fee: u128) {
        let saved = self.fee;
        self.fee = fee;
        let msg = self.msg_self_send(payer, 1);
        self.ok(payer, vec![msg]);
        self.fee = saved;
    }
}
