//! A chain of auth, bank and upgrade (upgrade first, as chains add it, so its begin block
//! runs before every other module's), driven through the in-process driver with signed
//! transactions. Account 0 is the upgrade authority. Every module's invariants are checked
//! after every block.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1 as bpb;
use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::Any;
use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::Event;
use depin_app::driver::InProcess;
use depin_app::error::AppError;
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER};
use depin_app::node::NodeConfig;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_upgrade::{UpgradeKeeper, UpgradeModule};
use prost::{Message, Name};
use tendermint_proto::v0_38::abci::{ExecTxResult, RequestInfo, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "upgrade-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const M: u128 = 1_000_000;

pub fn codec() -> AddressCodec {
    AddressCodec::new(PREFIX)
}

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("mint", &[MINTER]),
    ]
}

/// A bank keeper like the one in the app (keepers hold configuration, not state): what an
/// upgrade handler captures to move tokens.
pub fn bank_keeper() -> BankKeeper {
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec(), &accounts);
    BankKeeper::new(codec(), auth, &accounts)
}

/// The module versions the first binary runs.
pub fn v1_versions() -> Vec<(String, u64)> {
    vec![
        ("auth".into(), 1),
        ("bank".into(), 1),
        ("upgrade".into(), 1),
    ]
}

/// The upgrade keeper of the first binary: no handlers, no info directory.
pub fn v1_keeper() -> UpgradeKeeper {
    UpgradeKeeper::new(codec(), v1_versions())
}

/// The app with `upgrade` as its upgrade keeper and `authority` (account bytes) allowed to
/// schedule upgrades.
pub fn build_app(upgrade: UpgradeKeeper, authority: Vec<u8>) -> App {
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec(), &accounts);
    let bank = BankKeeper::new(codec(), auth.clone(), &accounts);
    AppBuilder::new(AppConfig::default())
        .module(UpgradeModule::new(upgrade).with_authority(authority))
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap()
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
        .map(|i| TestKey::from_seed(7000 + i))
        .collect()
}

/// Genesis of `n` accounts with 1,000 M each, and `upgrade` as the upgrade module's state
/// (`None`: its default).
pub fn app_state(keys: &[TestKey], upgrade: Option<serde_json::Value>) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .map(|k| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(1_000 * M, DENOM)],
        })
        .collect();
    let mut state = serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
    });
    if let Some(upgrade) = upgrade {
        state["upgrade"] = upgrade;
    }
    state
}

pub struct Chain {
    pub driver: InProcess,
    pub keys: Vec<TestKey>,
    /// Events of the last block (begin block, txs, end block).
    pub events: Vec<Event>,
    /// The node's data directory; it outlives reopening the node.
    pub dir: Arc<tempfile::TempDir>,
}

impl Chain {
    /// A chain of 3 accounts with the first binary, after its first block.
    pub fn new() -> Self {
        Self::with_keeper(v1_keeper())
    }

    pub fn with_keeper(keeper: UpgradeKeeper) -> Self {
        Self::start(keeper, None, 1).unwrap()
    }

    /// A chain from genesis (`upgrade`: the upgrade module's state) starting at
    /// `initial_height`, after its first block.
    pub fn start(
        keeper: UpgradeKeeper,
        upgrade: Option<serde_json::Value>,
        initial_height: u64,
    ) -> Result<Self, String> {
        Self::from_state(keeper, &app_state(&test_keys(3), upgrade), initial_height)
    }

    /// A chain from a whole genesis `app_state` (an export), after its first block.
    pub fn from_state(
        keeper: UpgradeKeeper,
        state: &serde_json::Value,
        initial_height: u64,
    ) -> Result<Self, String> {
        let keys = test_keys(3);
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let authority = codec().decode(&keys[0].address).unwrap();
        let app = Arc::new(build_app(keeper, authority));
        let mut driver = InProcess::open(app, dir.path(), NodeConfig::default())?;
        driver.set_time(1_700_000_000 + (initial_height as i64 - 1) * 5);
        driver.init_chain_at(CHAIN_ID, state, initial_height)?;
        let mut chain = Chain {
            driver,
            keys,
            events: Vec::new(),
            dir,
        };
        chain.block();
        Ok(chain)
    }

    /// The same data directory opened by another binary (a node restarted with `keeper`):
    /// the old node is closed first.
    pub fn reopen(self, keeper: UpgradeKeeper) -> Self {
        let Chain {
            driver, keys, dir, ..
        } = self;
        drop(driver);
        let authority = codec().decode(&keys[0].address).unwrap();
        let app = Arc::new(build_app(keeper, authority));
        let driver = InProcess::open(app, dir.path(), NodeConfig::default()).unwrap();
        Chain {
            driver,
            keys,
            events: Vec::new(),
            dir,
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn info_file(&self) -> PathBuf {
        self.data_dir().join(depin_upgrade::UPGRADE_INFO_FILE)
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    /// The app hash of the last committed block.
    pub fn app_hash(&self) -> Vec<u8> {
        self.driver
            .node()
            .info(RequestInfo::default())
            .last_block_app_hash
            .to_vec()
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    pub fn raw_address(&self, i: usize) -> Vec<u8> {
        codec().decode(&self.keys[i].address).unwrap()
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

    /// `msgs` signed by account `i` (SIGN_MODE_DIRECT), no fee.
    pub fn signed(&self, i: usize, msgs: Vec<Any>) -> Vec<u8> {
        let (account_number, sequence) = self.account(i);
        let body = Body::new(msgs, "", 0u32);
        let fee = Fee {
            amount: Vec::new(),
            gas_limit: 5_000_000,
            payer: None,
            granter: None,
        };
        let signer = &self.keys[i];
        let auth =
            SignerInfo::single_direct(Some(signer.key.public_key()), sequence).auth_info(fee);
        let doc = SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), account_number).unwrap();
        doc.sign(&signer.key).unwrap().to_bytes().unwrap()
    }

    pub fn assert_invariants(&self) {
        let broken = self.driver.broken_invariants();
        assert!(broken.is_empty(), "broken invariants: {broken:?}");
    }

    /// One block with `txs`; invariants are checked after it.
    pub fn finalize(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        let resp = self.driver.block(txs);
        self.events = depin_app::driver::block_events(&resp);
        self.assert_invariants();
        resp
    }

    /// A block that may halt; nothing is committed when it does.
    pub fn try_block(&mut self) -> Result<ResponseFinalizeBlock, AppError> {
        let resp = self.driver.try_block(Vec::new())?;
        self.events = depin_app::driver::block_events(&resp);
        self.assert_invariants();
        Ok(resp)
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

    /// The tx fails with (`codespace`, `code`); returns its log.
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        r.log
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The (codespace, code, log) of a query that must fail.
    pub fn query_err(&self, path: &str, request: impl Message) -> (String, u32, String) {
        let resp = self.driver.query(path, request.encode_to_vec());
        assert_ne!(resp.code, 0, "{path} should fail");
        (resp.codespace, resp.code, resp.log)
    }

    pub fn events_of(&self, kind: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    pub fn balance(&self, i: usize) -> u128 {
        let resp: bpb::QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            bpb::QueryBalanceRequest {
                address: self.address(i),
                denom: DENOM.into(),
            },
        );
        resp.balance.map(|c| c.amount.parse().unwrap()).unwrap_or(0)
    }

    pub fn export(&self) -> serde_json::Value {
        self.driver.export()
    }

    // This module's queries and messages.

    pub fn current_plan(&self) -> Option<pb::Plan> {
        let resp: pb::QueryCurrentPlanResponse = self.query(
            "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
            pb::QueryCurrentPlanRequest {},
        );
        resp.plan
    }

    pub fn applied_height(&self, name: &str) -> i64 {
        let resp: pb::QueryAppliedPlanResponse = self.query(
            "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
            pb::QueryAppliedPlanRequest { name: name.into() },
        );
        resp.height
    }

    pub fn module_versions(&self) -> Vec<(String, u64)> {
        let resp: pb::QueryModuleVersionsResponse = self.query(
            "/cosmos.upgrade.v1beta1.Query/ModuleVersions",
            pb::QueryModuleVersionsRequest::default(),
        );
        resp.module_versions
            .into_iter()
            .map(|m| (m.name, m.version))
            .collect()
    }

    /// MsgSoftwareUpgrade with `authority` = account `i`.
    pub fn msg_upgrade(&self, i: usize, plan: Option<pb::Plan>) -> Any {
        any(&pb::MsgSoftwareUpgrade {
            authority: self.address(i),
            plan,
        })
    }

    pub fn msg_cancel(&self, i: usize) -> Any {
        any(&pb::MsgCancelUpgrade {
            authority: self.address(i),
        })
    }
}

pub fn any<T: Message + Name>(msg: &T) -> Any {
    Any {
        type_url: T::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// A plan as a client sends it.
#[allow(deprecated)]
pub fn plan(name: &str, height: i64, info: &str) -> pb::Plan {
    pb::Plan {
        name: name.into(),
        time: None,
        height,
        info: info.into(),
        upgraded_client_state: None,
    }
}
