//! A chain of auth, bank and rewards, driven through the in-process driver, with the device
//! registry and the marketplace stood in for by [`Sources`]: the tests set each source epoch's
//! records and clock. Every module's invariants are checked after every block. Account 0 is the
//! rewards authority.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use cosmwasm_std::Uint128;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::{Ctx, Event};
use depin_app::driver::InProcess;
use depin_app::error::AppResult;
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER};
use depin_app::node::NodeConfig;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_proto::depin::rewards::v1 as pb;
use depin_rewards::{
    DeviceWork, ModuleAccountPool, Params, ProviderUsage, RewardsDevices, RewardsKeeper,
    RewardsMarket, RewardsModule, REWARDS_MODULE_ACCOUNT,
};
use depin_simapp::testing::{FeeSpec, TestKey};
use prost::Message;
use tendermint_proto::v0_38::abci::{ExecTxResult, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "rewards-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const Q: &str = "/depin.rewards.v1.Query/";
pub const COMMUNITY: &str = "community_pool";

/// What the device registry and the marketplace would say: their epoch clocks and records.
#[derive(Default)]
pub struct SourceState {
    pub device_epoch: u64,
    pub work: BTreeMap<(u64, String), DeviceWork>,
    pub market_epoch: u64,
    pub usage: BTreeMap<(u64, String), ProviderUsage>,
}

#[derive(Clone, Default)]
pub struct Sources(pub Arc<Mutex<SourceState>>);

impl RewardsDevices for Sources {
    fn current_epoch(&self, _: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(self.0.lock().unwrap().device_epoch)
    }
    fn work(
        &self,
        _: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<DeviceWork>> {
        let s = self.0.lock().unwrap();
        Ok(s.work
            .range((epoch, String::new())..(epoch + 1, String::new()))
            .filter(|((_, id), _)| start_after.is_none_or(|a| id.as_str() > a))
            .take(limit)
            .map(|(_, w)| w.clone())
            .collect())
    }
    fn hex_density(&self, _: &mut Ctx<'_, '_>, epoch: u64, hex: u64) -> AppResult<u32> {
        let s = self.0.lock().unwrap();
        Ok(s.work
            .range((epoch, String::new())..(epoch + 1, String::new()))
            .filter(|(_, w)| w.density_hex == hex)
            .count() as u32)
    }
}

impl RewardsMarket for Sources {
    fn current_epoch(&self, _: &mut Ctx<'_, '_>) -> AppResult<u64> {
        Ok(self.0.lock().unwrap().market_epoch)
    }
    fn usage(
        &self,
        _: &mut Ctx<'_, '_>,
        epoch: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<ProviderUsage>> {
        let s = self.0.lock().unwrap();
        Ok(s.usage
            .range((epoch, String::new())..(epoch + 1, String::new()))
            .filter(|((_, p), _)| start_after.is_none_or(|a| p.as_str() > a))
            .take(limit)
            .map(|(_, u)| u.clone())
            .collect())
    }
}

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new(COMMUNITY, &[]),
        ModuleAccountSpec::new(REWARDS_MODULE_ACCOUNT, &[MINTER, BURNER]),
    ]
}

pub fn build_app(authority: Vec<u8>, sources: Sources) -> (App, RewardsKeeper, BankKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let community = ModuleAccountPool {
        bank: Arc::new(bank.clone()),
        account: COMMUNITY.into(),
    };
    let rewards = RewardsKeeper::new(codec, bank.clone(), sources.clone(), sources, community);
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(RewardsModule::new(rewards.clone()).with_authority(authority))
        .ante(AuthAnte::new(auth, bank.clone()))
        .build()
        .unwrap();
    (app, rewards, bank)
}

/// Rewards params for tests: epochs of 5 blocks, 1,000,000 an epoch, no decay, no cap.
pub fn test_params() -> Params {
    Params {
        epoch_blocks: 5,
        initial_epoch_emission: Uint128::new(1_000_000),
        decay: depin_rewards::DecayKind::None,
        max_supply: Uint128::zero(),
        ..Params::default()
    }
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(7300 + i))
        .collect()
}

pub fn app_state(keys: &[TestKey], funds: u128, params: &Params) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .map(|k| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(funds, DENOM)],
        })
        .collect();
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "rewards": depin_rewards::GenesisState { params: params.clone(), ..Default::default() },
    })
}

pub fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    })
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keeper: RewardsKeeper,
    pub keys: Vec<TestKey>,
    pub sources: Sources,
    pub events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Chain {
    pub fn new(n: usize, params: Params) -> Self {
        let keys = test_keys(n);
        let state = app_state(&keys, 1_000_000_000, &params);
        Self::with_state(keys, &state, Sources::default(), 1)
    }

    pub fn with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        sources: Sources,
        initial_height: u64,
    ) -> Self {
        Self::try_with_state(keys, state, sources, initial_height).unwrap()
    }

    pub fn try_with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        sources: Sources,
        initial_height: u64,
    ) -> Result<Self, String> {
        let authority = AddressCodec::new(PREFIX).decode(&keys[0].address).unwrap();
        let (app, keeper, _) = build_app(authority, sources.clone());
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver.init_chain_at(CHAIN_ID, state, initial_height)?;
        let mut chain = Chain {
            driver,
            app,
            keeper,
            keys,
            sources,
            events: Vec::new(),
            _dir: dir,
        };
        chain.block();
        Ok(chain)
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
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

    pub fn module_balance(&self, name: &str) -> u128 {
        self.balance_of(&AddressCodec::new(PREFIX).encode(&module_address(name)))
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
        depin_simapp::testing::sign_current(
            &self.driver,
            CHAIN_ID,
            &self.keys[i],
            msgs,
            &FeeSpec::new(0, 10_000_000),
        )
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

    /// A transaction that must fail with (codespace, code), changing neither the rewards state
    /// nor the signer's balance.
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let before = (self.rewards_state(), self.balance(i));
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "{}",
            r.log
        );
        // Begin block may mint meanwhile: compare what a transaction could touch.
        let after = (self.rewards_state(), self.balance(i));
        assert_eq!(
            before.1, after.1,
            "a failed tx changed the balance: {}",
            r.log
        );
        assert_eq!(
            (
                &before.0["pending"],
                &before.0["credits"],
                &before.0["params"]
            ),
            (&after.0["pending"], &after.0["credits"], &after.0["params"]),
            "a failed tx changed state: {}",
            r.log
        );
        r.log
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn events_of(&self, kind: &str) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    pub fn assert_invariants(&self) {
        let broken = self.driver.broken_invariants();
        assert!(broken.is_empty(), "broken invariants: {broken:?}");
    }

    pub fn export(&self) -> serde_json::Value {
        self.driver.export()
    }

    /// Runs `f` with a context over the latest committed state at the next block's height
    /// (writes are thrown away): for calling the keeper as another module would.
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut depin_app::context::Ctx<'_, '_>) -> R) -> R {
        self.driver.with_ctx(f)
    }

    pub fn rewards_state(&self) -> serde_json::Value {
        self.export()["rewards"].clone()
    }

    pub fn totals(&self) -> pb::Totals {
        let r: pb::QueryTotalsResponse =
            self.query(&format!("{Q}Totals"), pb::QueryTotalsRequest {});
        r.totals.unwrap()
    }

    /// The chain's (supply, minted, burned) of the rewards denom, from the Totals query.
    pub fn chain_totals(&self) -> (u128, u128, u128) {
        let r: pb::QueryTotalsResponse =
            self.query(&format!("{Q}Totals"), pb::QueryTotalsRequest {});
        let a = |c: Option<ProtoCoin>| c.unwrap().amount.parse::<u128>().unwrap();
        (a(r.supply), a(r.minted), a(r.burned))
    }

    /// What vested into device epoch `epoch`'s pot (0 once its payout started).
    pub fn pot(&self, epoch: u64) -> u128 {
        let state = self.rewards_state();
        state["device_pots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["epoch"].as_str() == Some(epoch.to_string().as_str()))
            .map_or(0, |p| p["amount"].as_str().unwrap().parse().unwrap())
    }

    pub fn pools(&self) -> pb::QueryPoolsResponse {
        self.query(&format!("{Q}Pools"), pb::QueryPoolsRequest {})
    }

    pub fn pending(&self, address: &str) -> u128 {
        let r: pb::QueryPendingResponse = self.query(
            &format!("{Q}Pending"),
            pb::QueryPendingRequest {
                address: address.into(),
            },
        );
        r.total.map_or(0, |c| c.amount.parse().unwrap())
    }

    pub fn epoch(&self) -> pb::EpochInfo {
        let r: pb::QueryEpochResponse = self.query(&format!("{Q}Epoch"), pb::QueryEpochRequest {});
        r.epoch.unwrap()
    }

    /// Blocks until the rewards epoch changes (an epoch is minted).
    pub fn next_epoch(&mut self) {
        let e = self.epoch().epoch;
        let mut guard = 0;
        while self.epoch().epoch == e {
            self.block();
            guard += 1;
            assert!(guard < 10_000);
        }
    }

    // Sources.

    pub fn set_device_epoch(&self, epoch: u64) {
        self.sources.0.lock().unwrap().device_epoch = epoch;
    }

    pub fn set_market_epoch(&self, epoch: u64) {
        self.sources.0.lock().unwrap().market_epoch = epoch;
    }

    /// Device `id` worked in `epoch` for `owner` (address index).
    #[allow(clippy::too_many_arguments)]
    pub fn work(
        &self,
        epoch: u64,
        id: &str,
        owner: &str,
        heartbeats: u32,
        beacons: u32,
        witnesses: u32,
        hex: u64,
    ) {
        self.sources.0.lock().unwrap().work.insert(
            (epoch, id.to_string()),
            DeviceWork {
                device_id: id.into(),
                owner: owner.into(),
                heartbeats,
                beacons,
                witnesses,
                density_hex: hex,
                score: 0,
            },
        );
    }

    pub fn usage(&self, epoch: u64, provider: &str, paid: u128, take: u128, self_paid: u128) {
        self.sources.0.lock().unwrap().usage.insert(
            (epoch, provider.to_string()),
            ProviderUsage {
                provider: provider.into(),
                denom: DENOM.into(),
                paid: Uint128::new(paid),
                take: Uint128::new(take),
                self_paid: Uint128::new(self_paid),
            },
        );
    }

    /// Blocks until no sharing is in progress and both buckets have shared every epoch their
    /// source has finished.
    pub fn settle_payouts(&mut self) {
        let mut guard = 0;
        loop {
            let state = self.rewards_state();
            let s = self.sources.0.lock().unwrap();
            let (d, m) = (s.device_epoch, s.market_epoch);
            drop(s);
            let dp = &state["device_payout"];
            let pp = &state["provider_payout"];
            let done = dp.get("current").is_none()
                && pp.get("current").is_none()
                && dp["next_epoch"].as_str().unwrap().parse::<u64>().unwrap() >= d
                && pp["next_epoch"].as_str().unwrap().parse::<u64>().unwrap() >= m;
            if done {
                return;
            }
            self.block();
            guard += 1;
            assert!(guard < 100_000, "payouts never finish");
        }
    }
}
