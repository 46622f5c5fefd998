//! A chain of auth, bank, the device registry and the market, driven through the in-process
//! driver with signed transactions; every module's invariants are checked after every block.
//! Account 0 is the authority of the registry and the market.
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::Event;
use depin_app::driver::InProcess;
use depin_app::module::{ModuleAccountSpec, BURNER};
use depin_app::node::NodeConfig;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_device::client::{self, DeviceSigner, Onboarding};
use depin_device::{DeviceKeeper, DeviceModule, DEVICE_MODULE_ACCOUNT};
use depin_market::msgs::*;
use depin_market::{MarketKeeper, MarketModule, Params, MARKET_MODULE_ACCOUNT};
use depin_proto::depin::device::v1 as dpb;
use depin_proto::depin::market::v1 as pb;
use depin_simapp::testing::{sign, FeeSpec, SignerData, TestKey};
use prost::Message;
use tendermint_proto::v0_38::abci::{ExecTxResult, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "market-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const Q: &str = "/depin.market.v1.Query/";
pub const FUNDS: u128 = 10_000_000;

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new("community_pool", &[]),
        ModuleAccountSpec::new(DEVICE_MODULE_ACCOUNT, &[BURNER]),
        ModuleAccountSpec::new(MARKET_MODULE_ACCOUNT, &[BURNER]),
    ]
}

pub fn build_app(authority: Vec<u8>) -> (App, MarketKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let device = DeviceKeeper::new(codec.clone(), bank.clone());
    let market = MarketKeeper::new(codec, bank.clone(), device.clone());
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(DeviceModule::new(device).with_authority(authority.clone()))
        .module(MarketModule::new(market.clone()).with_authority(authority))
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap();
    (app, market)
}

/// Market params for tests: collateral ≥ 1,000, bid deposit 100, 3 bids an order, bids for
/// 20 blocks, an order deposit of 10 blocks, 5 blocks of grace, a 2% take burned, usage
/// epochs of 10 blocks kept for 2 epochs, no minimum deal value beyond 1.
pub fn test_params() -> Params {
    Params {
        min_provider_collateral: depin_app::coins::Coin::new(1_000, DENOM),
        bid_deposit: depin_app::coins::Coin::new(100, DENOM),
        max_bids_per_order: 3,
        bid_timeout_blocks: 20,
        min_order_deposit_blocks: 10,
        insufficient_funds_grace_blocks: 5,
        take_rate_bps: 200,
        usage_epoch_blocks: 10,
        usage_retention_epochs: 2,
        // Any deal value: the tests of the minimum set their own.
        min_deal_value: depin_app::coins::Coin::new(1, DENOM),
        ..Params::default()
    }
}

pub fn device_params() -> depin_device::Params {
    let mut p = depin_device::Params {
        epoch_blocks: 1000,
        ..depin_device::Params::default()
    };
    for c in &mut p.classes {
        c.onboarding_fee = Vec::new();
        c.location_fee = Vec::new();
    }
    p
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(9100 + i))
        .collect()
}

pub fn app_state(keys: &[TestKey], funds: &[u128], params: &Params) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .zip(funds)
        .filter(|(_, a)| **a > 0)
        .map(|(k, amount)| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(*amount, DENOM)],
        })
        .collect();
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "device": depin_device::GenesisState { params: device_params(), ..Default::default() },
        "market": depin_market::GenesisState { params: params.clone(), ..Default::default() },
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

pub fn coin_of(amount: u128, denom: &str) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: denom.into(),
        amount: amount.to_string(),
    })
}

pub fn attr(k: &str, v: &str) -> pb::Attribute {
    pb::Attribute {
        key: k.into(),
        value: v.into(),
    }
}

pub fn amount(c: &Option<ProtoCoin>) -> u128 {
    c.as_ref().map_or(0, |c| c.amount.parse().unwrap())
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keeper: MarketKeeper,
    pub keys: Vec<TestKey>,
    pub events: Vec<Event>,
    maker: Option<DeviceSigner>,
    serial: u64,
    _dir: tempfile::TempDir,
}

impl Chain {
    /// `n` accounts with FUNDS each (account 0 the authority) and `params`, after one block.
    pub fn new(n: usize, params: Params) -> Self {
        let keys = test_keys(n);
        let funds = vec![FUNDS; n];
        let state = app_state(&keys, &funds, &params);
        Self::with_state(keys, &state)
    }

    pub fn with_state(keys: Vec<TestKey>, state: &serde_json::Value) -> Self {
        Self::restarted(keys, state, 1)
    }

    /// A chain from `state` whose first block is `initial_height` (a restart from an export
    /// at height H continues at H + 1), after that block.
    pub fn restarted(keys: Vec<TestKey>, state: &serde_json::Value, initial_height: u64) -> Self {
        let authority = AddressCodec::new(PREFIX).decode(&keys[0].address).unwrap();
        let (app, keeper) = build_app(authority);
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver
            .init_chain_at(CHAIN_ID, state, initial_height)
            .unwrap();
        let mut chain = Chain {
            driver,
            app,
            keeper,
            keys,
            events: Vec::new(),
            maker: None,
            serial: 0,
            _dir: dir,
        };
        chain.block();
        chain
    }

    /// InitChain with `state` on a fresh app: the error it returns, if any.
    pub fn init_error(keys: &[TestKey], state: &serde_json::Value) -> Option<String> {
        let authority = AddressCodec::new(PREFIX).decode(&keys[0].address).unwrap();
        let (app, _) = build_app(authority);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(Arc::new(app), dir.path(), NodeConfig::default()).unwrap();
        driver.init_chain(CHAIN_ID, state).err()
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
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
        amount(&r.amount)
    }

    pub fn signed(&self, i: usize, msgs: Vec<Any>) -> Vec<u8> {
        let (account_number, sequence) = self.account(i);
        sign(
            &self.keys[i],
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number,
                sequence,
            },
            msgs,
            &FeeSpec::new(0, 10_000_000),
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

    /// A transaction that must fail with market `code`, leaving the market's state and the
    /// signer's balance as they were (heights aside: nothing settles in a failed tx).
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, code: u32) -> String {
        let before = (self.market_state(), self.balance(i));
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("market", code),
            "unexpected result: {}",
            r.log
        );
        let after = (self.market_state(), self.balance(i));
        assert_eq!(before, after, "a failed tx changed state: {}", r.log);
        r.log
    }

    /// A transaction that must fail with market `code` (begin block may change state meanwhile).
    pub fn refused(&mut self, i: usize, msgs: Vec<Any>, code: u32) {
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("market", code),
            "{}",
            r.log
        );
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

    pub fn market_state(&self) -> serde_json::Value {
        self.export()["market"].clone()
    }

    /// Runs `f` with a context over the latest committed state at the next block's height
    /// (writes are thrown away): for calling the keeper as another module would.
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut depin_app::context::Ctx<'_, '_>) -> R) -> R {
        self.driver.with_ctx(f)
    }

    // Devices.

    fn maker(&mut self) -> DeviceSigner {
        if let Some(m) = &self.maker {
            return m.clone();
        }
        let key = DeviceSigner::secp256k1(&[3u8; 32]).unwrap();
        let msg = dpb::MsgRegisterMaker {
            authority: self.address(0),
            name: "acme".into(),
            key: Some(key.public_key()),
            allowed_classes: vec!["compute".into(), "storage".into(), "hotspot".into()],
            device_quota: 1000,
        };
        self.ok(0, vec![any(depin_device::msgs::MSG_REGISTER_MAKER, msg)]);
        self.maker = Some(key.clone());
        key
    }

    /// Onboards a device of `class` for `owner`; with `active`, sends its first heartbeat.
    pub fn device(&mut self, owner: usize, class: &str, active: bool) -> String {
        let maker = self.maker();
        self.serial += 1;
        let mut seed = [5u8; 32];
        seed[..8].copy_from_slice(&self.serial.to_be_bytes());
        let device = DeviceSigner::ed25519(seed);
        let serial = format!("sn-{}", self.serial);
        let attestation =
            client::sign_attestation(&maker, CHAIN_ID, &device.public_key(), class, &serial);
        let owner_address = self.address(owner);
        let location = (class == "hotspot").then_some(dpb::Location {
            h3_cell: 0x8828308281fffff,
            elevation: 0,
            gain: 0,
            height: 0,
        });
        let msg = client::onboard_device(
            &device,
            attestation,
            Onboarding {
                chain_id: CHAIN_ID,
                owner: &owner_address,
                maker: "acme",
                class,
                serial: &serial,
                nonce: 1,
                location,
                metadata: "",
            },
        );
        self.ok(
            owner,
            vec![any(depin_device::msgs::MSG_ONBOARD_DEVICE, msg)],
        );
        let id = device.id(PREFIX);
        if active {
            let epoch: dpb::QueryEpochResponse =
                self.query("/depin.device.v1.Query/Epoch", dpb::QueryEpochRequest {});
            let hb = client::heartbeat(
                &device,
                CHAIN_ID,
                &owner_address,
                &id,
                epoch.next_block_epoch,
                1,
                &[9u8; 32],
            );
            self.ok(owner, vec![any(depin_device::msgs::MSG_HEARTBEAT, hb)]);
        }
        id
    }

    // Market messages.

    pub fn create_provider_msg(
        &self,
        i: usize,
        attributes: Vec<pb::Attribute>,
        devices: Vec<String>,
        collateral: u128,
    ) -> Any {
        any(
            MSG_CREATE_PROVIDER,
            pb::MsgCreateProvider {
                owner: self.address(i),
                host_uri: format!("https://p{i}.example.com:8443"),
                attributes,
                device_ids: devices,
                collateral: coin(collateral),
            },
        )
    }

    /// Makes account `i` a provider with one active compute device and 1,000 of collateral.
    pub fn provider(&mut self, i: usize, attributes: Vec<pb::Attribute>) {
        let dev = self.device(i, "compute", true);
        let msg = self.create_provider_msg(i, attributes, vec![dev], 1_000);
        self.ok(i, vec![msg]);
    }

    pub fn create_order_msg(
        &self,
        tenant: usize,
        max_price: u128,
        deposit: u128,
        req: Option<pb::PlacementRequirements>,
    ) -> Any {
        any(
            MSG_CREATE_ORDER,
            pb::MsgCreateOrder {
                tenant: self.address(tenant),
                resources: Some(pb::Resources {
                    cpu_millicores: 4000,
                    memory_bytes: 8 << 30,
                    gpu_count: 1,
                    gpu_model: "a100".into(),
                    storage_bytes: 100 << 30,
                }),
                requirements: req,
                max_price_per_block: coin(max_price),
                deposit: coin(deposit),
            },
        )
    }

    /// Creates an order and returns its id.
    pub fn order(&mut self, tenant: usize, max_price: u128, deposit: u128) -> u64 {
        let msg = self.create_order_msg(tenant, max_price, deposit, None);
        let r = self.ok(tenant, vec![msg]);
        let data =
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref()).unwrap();
        pb::MsgCreateOrderResponse::decode(data.msg_responses[0].value.as_slice())
            .unwrap()
            .order_id
    }

    pub fn bid_msg(&self, provider: usize, order: u64, price: u128) -> Any {
        any(
            MSG_CREATE_BID,
            pb::MsgCreateBid {
                provider: self.address(provider),
                order_id: order,
                price_per_block: coin(price),
            },
        )
    }

    pub fn accept_msg(&self, tenant: usize, order: u64, provider: usize) -> Any {
        any(
            MSG_ACCEPT_BID,
            pb::MsgAcceptBid {
                tenant: self.address(tenant),
                order_id: order,
                provider: self.address(provider),
            },
        )
    }

    pub fn close_lease_msg(&self, sender: usize, order: u64) -> Any {
        any(
            MSG_CLOSE_LEASE,
            pb::MsgCloseLease {
                sender: self.address(sender),
                order_id: order,
            },
        )
    }

    pub fn withdraw_msg(&self, provider: usize, order: u64) -> Any {
        any(
            MSG_WITHDRAW_LEASE,
            pb::MsgWithdrawLease {
                provider: self.address(provider),
                order_id: order,
            },
        )
    }

    pub fn deposit_msg(&self, depositor: usize, order: u64, amount: u128) -> Any {
        any(
            MSG_DEPOSIT_ESCROW,
            pb::MsgDepositEscrow {
                depositor: self.address(depositor),
                escrow_id: format!("order/{order}"),
                amount: coin(amount),
            },
        )
    }

    pub fn settle_msg(&self, sender: usize, order: u64) -> Any {
        any(
            MSG_SETTLE,
            pb::MsgSettle {
                sender: self.address(sender),
                escrow_id: format!("order/{order}"),
            },
        )
    }

    pub fn close_order_msg(&self, tenant: usize, order: u64) -> Any {
        any(
            MSG_CLOSE_ORDER,
            pb::MsgCloseOrder {
                tenant: self.address(tenant),
                order_id: order,
            },
        )
    }

    // Queries.

    pub fn lease(&self, order: u64) -> (pb::Lease, pb::EscrowAccount) {
        let r: pb::QueryLeaseResponse = self.query(
            &format!("{Q}Lease"),
            pb::QueryLeaseRequest { order_id: order },
        );
        (r.lease.unwrap(), r.escrow.unwrap())
    }

    pub fn get_order(&self, order: u64) -> pb::Order {
        let r: pb::QueryOrderResponse = self.query(
            &format!("{Q}Order"),
            pb::QueryOrderRequest { order_id: order },
        );
        r.order.unwrap()
    }

    pub fn escrow(&self, order: u64) -> pb::EscrowAccount {
        let r: pb::QueryEscrowAccountResponse = self.query(
            &format!("{Q}EscrowAccount"),
            pb::QueryEscrowAccountRequest {
                id: format!("order/{order}"),
            },
        );
        r.account.unwrap()
    }

    pub fn bids(&self, req: pb::QueryBidsRequest) -> Vec<pb::Bid> {
        let r: pb::QueryBidsResponse = self.query(&format!("{Q}Bids"), req);
        r.bids
    }

    pub fn get_provider(&self, i: usize) -> pb::Provider {
        let r: pb::QueryProviderResponse = self.query(
            &format!("{Q}Provider"),
            pb::QueryProviderRequest {
                owner: self.address(i),
            },
        );
        r.provider.unwrap()
    }
}
