//! A chain of auth, bank and the device registry, driven through the in-process driver with
//! signed transactions; the registry's invariants are checked after every block. Account 0 is
//! the registry's authority.
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::Any;
use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::Event;
use depin_app::driver::InProcess;
use depin_app::module::{ModuleAccountSpec, BURNER};
use depin_app::node::NodeConfig;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_device::client::{self, DeviceSigner, Onboarding};
use depin_device::msgs::*;
use depin_device::{DeviceKeeper, DeviceModule, Params, DEVICE_MODULE_ACCOUNT};
use depin_proto::depin::device::v1 as pb;
use depin_simapp::testing::{FeeSpec, TestKey};
use h3o::{LatLng, Resolution};
use prost::Message;
use tendermint_proto::v0_38::abci::{ExecTxResult, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "device-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const M: u128 = 1_000_000;
pub const Q: &str = "/depin.device.v1.Query/";

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new(DEVICE_MODULE_ACCOUNT, &[BURNER]),
    ]
}

/// Auth, bank and the registry; `authority` registers makers and changes params (the gov
/// module account when `None`).
pub fn build_app(authority: Option<Vec<u8>>) -> (App, DeviceKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let device = DeviceKeeper::new(codec, bank.clone());
    let module = DeviceModule::new(device.clone());
    let module = match authority {
        Some(a) => module.with_authority(a),
        None => module,
    };
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(module)
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap();
    (app, device)
}

/// Params for tests: epochs of 5 blocks, a heartbeat every 2 epochs, 3 epochs retained; class
/// "hotspot" (location required, 1 free assert, fees 1 M / 100 k), "compute" (no location,
/// free).
pub fn test_params() -> Params {
    let mut p = Params {
        epoch_blocks: 5,
        contribution_retention_epochs: 3,
        ..Params::default()
    };
    for c in &mut p.classes {
        c.heartbeat_interval_epochs = 2;
        if c.name == "compute" {
            c.onboarding_fee = Vec::new();
            c.location_fee = Vec::new();
        }
    }
    p
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(7000 + i))
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
        "device": depin_device::GenesisState { params: params.clone(), ..Default::default() },
    })
}

/// A maker key (secp256k1) from a seed.
pub fn maker_signer(seed: u8) -> DeviceSigner {
    DeviceSigner::secp256k1(&[seed.max(1); 32]).unwrap()
}

/// A device key (ed25519) from a seed.
pub fn device_signer(seed: u64) -> DeviceSigner {
    let mut s = [7u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    DeviceSigner::ed25519(s)
}

/// A valid cell at `res`, `step` cells east of a fixed point.
pub fn cell(res: u8, step: u32) -> u64 {
    let ll = LatLng::new(37.7749, -122.4194 + f64::from(step) * 0.01).unwrap();
    u64::from(ll.to_cell(Resolution::try_from(res).unwrap()))
}

pub fn location(cell: u64) -> pb::Location {
    pb::Location {
        h3_cell: cell,
        elevation: 10,
        gain: 30,
        height: 0,
    }
}

pub fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keeper: DeviceKeeper,
    pub keys: Vec<TestKey>,
    pub params: Params,
    /// Events of the last block (begin block, txs, end block).
    pub events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Chain {
    /// Accounts with `funds` (account 0 the authority) and `params`, after the first block.
    pub fn new(funds: &[u128], params: Params) -> Self {
        let keys = test_keys(funds.len());
        let state = app_state(&keys, funds, &params);
        Self::with_state(keys, &state, params, true)
    }

    pub fn with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        params: Params,
        key0_authority: bool,
    ) -> Self {
        Self::restarted(keys, state, params, key0_authority, 1)
    }

    /// A chain whose genesis is `state` and whose first block is `initial_height` (a restart
    /// from an export at height H continues at H + 1).
    pub fn restarted(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        params: Params,
        key0_authority: bool,
        initial_height: u64,
    ) -> Self {
        let authority =
            key0_authority.then(|| AddressCodec::new(PREFIX).decode(&keys[0].address).unwrap());
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
            params,
            events: Vec::new(),
            _dir: dir,
        };
        chain.block();
        chain
    }

    pub fn height(&self) -> u64 {
        self.driver.height()
    }

    /// The epoch the next block runs in (the Epoch query's next_block_epoch).
    pub fn next_epoch(&self) -> u64 {
        self.epoch_info().next_block_epoch
    }

    /// The epoch of the last committed block.
    pub fn epoch(&self) -> u64 {
        self.epoch_info().epoch
    }

    pub fn epoch_info(&self) -> pb::QueryEpochResponse {
        self.query(&format!("{Q}Epoch"), pb::QueryEpochRequest {})
    }

    pub fn address(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    pub fn account(&self, i: usize) -> (u64, u64) {
        depin_simapp::testing::account_of(&self.driver, &self.keys[i].address)
    }

    pub fn balance(&self, i: usize) -> u128 {
        let resp: QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: self.address(i),
                denom: DENOM.into(),
            },
        );
        resp.balance.map_or(0, |c| c.amount.parse().unwrap())
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

    /// Blocks until the next block is the first of an epoch.
    pub fn advance_to_next_epoch(&mut self) {
        let e = self.next_epoch();
        while self.next_epoch() == e {
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

    /// Runs a transaction that must fail with (codespace, code) and change neither the
    /// registry's state nor the signer's balance.
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let before = (self.device_state(), self.balance(i));
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        let after = (self.device_state(), self.balance(i));
        assert_eq!(before, after, "a failed tx changed state: {}", r.log);
        r.log
    }

    /// A transaction that must fail with (codespace, code), where begin block may change the
    /// state meanwhile.
    pub fn refused(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) {
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "{}",
            r.log
        );
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

    /// Runs `f` with a context over the latest committed state at the next block's height
    /// (writes are thrown away): for calling the keeper as another module would.
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut depin_app::context::Ctx<'_, '_>) -> R) -> R {
        self.driver.with_ctx(f)
    }

    /// The registry's exported genesis with the epoch anchor as stored (the export shifts it
    /// by the exported height), for comparing the state at different heights.
    pub fn device_state(&self) -> serde_json::Value {
        self.export()["device"].clone()
    }

    pub fn export(&self) -> serde_json::Value {
        self.driver.export()
    }

    // Queries.

    pub fn device(&self, id: &str) -> pb::Device {
        let r: pb::QueryDeviceResponse = self.query(
            &format!("{Q}Device"),
            pb::QueryDeviceRequest {
                device_id: id.into(),
            },
        );
        r.device.unwrap()
    }

    pub fn maker(&self, name: &str) -> pb::Maker {
        let r: pb::QueryMakerResponse = self.query(
            &format!("{Q}Maker"),
            pb::QueryMakerRequest { name: name.into() },
        );
        r.maker.unwrap()
    }

    pub fn devices(&self, req: pb::QueryDevicesRequest) -> Vec<pb::Device> {
        let r: pb::QueryDevicesResponse = self.query(&format!("{Q}Devices"), req);
        r.devices
    }

    pub fn status(&self, id: &str) -> pb::DeviceStatus {
        pb::DeviceStatus::try_from(self.device(id).status).unwrap()
    }

    // Messages.

    pub fn authority(&self) -> String {
        self.address(0)
    }

    pub fn msg_register_maker(
        &self,
        name: &str,
        key: &DeviceSigner,
        classes: &[&str],
        quota: u64,
    ) -> Any {
        any(
            MSG_REGISTER_MAKER,
            pb::MsgRegisterMaker {
                authority: self.authority(),
                name: name.into(),
                key: Some(key.public_key()),
                allowed_classes: classes.iter().map(|c| c.to_string()).collect(),
                device_quota: quota,
            },
        )
    }

    pub fn msg_revoke_maker(&self, name: &str) -> Any {
        any(
            MSG_REVOKE_MAKER,
            pb::MsgRevokeMaker {
                authority: self.authority(),
                name: name.into(),
            },
        )
    }

    /// Registers maker "acme" (key `maker_signer(1)`) for hotspot and compute, quota 100.
    pub fn acme(&mut self) -> DeviceSigner {
        let key = maker_signer(1);
        self.ok(
            0,
            vec![self.msg_register_maker("acme", &key, &["hotspot", "compute"], 100)],
        );
        key
    }

    #[allow(clippy::too_many_arguments)]
    pub fn onboard_msg(
        &self,
        owner: usize,
        maker: &DeviceSigner,
        maker_name: &str,
        class: &str,
        serial: &str,
        device: &DeviceSigner,
        loc: Option<u64>,
    ) -> pb::MsgOnboardDevice {
        let attestation =
            client::sign_attestation(maker, CHAIN_ID, &device.public_key(), class, serial);
        let owner_address = self.address(owner);
        client::onboard_device(
            device,
            attestation,
            Onboarding {
                chain_id: CHAIN_ID,
                owner: &owner_address,
                maker: maker_name,
                class,
                serial,
                nonce: 1,
                location: loc.map(location),
                metadata: "",
            },
        )
    }

    /// Onboards `device` for `owner` (class, serial, optional location) and returns its id.
    pub fn onboard(
        &mut self,
        owner: usize,
        maker: &DeviceSigner,
        class: &str,
        serial: &str,
        device: &DeviceSigner,
        loc: Option<u64>,
    ) -> String {
        let msg = self.onboard_msg(owner, maker, "acme", class, serial, device, loc);
        let r = self.ok(owner, vec![any(MSG_ONBOARD_DEVICE, msg)]);
        let resp = pb::MsgOnboardDeviceResponse::decode(
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref())
                .unwrap()
                .msg_responses[0]
                .value
                .as_slice(),
        )
        .unwrap();
        assert_eq!(resp.device_id, device.id(PREFIX));
        resp.device_id
    }

    pub fn heartbeat_msg(
        &self,
        submitter: usize,
        device: &DeviceSigner,
        id: &str,
        epoch: u64,
        counter: u64,
    ) -> Any {
        any(
            MSG_HEARTBEAT,
            client::heartbeat(
                device,
                CHAIN_ID,
                &self.address(submitter),
                id,
                epoch,
                counter,
                &[9u8; 32],
            ),
        )
    }

    pub fn assert_location_msg(&self, owner: usize, id: &str, cell: u64) -> Any {
        any(
            MSG_ASSERT_LOCATION,
            pb::MsgAssertLocation {
                owner: self.address(owner),
                device_id: id.into(),
                location: Some(location(cell)),
            },
        )
    }

    pub fn transfer_msg(&self, owner: usize, id: &str, to: &str) -> Any {
        any(
            MSG_TRANSFER_DEVICE,
            pb::MsgTransferDevice {
                owner: self.address(owner),
                device_id: id.into(),
                new_owner: to.into(),
            },
        )
    }

    pub fn decommission_msg(&self, owner: usize, id: &str) -> Any {
        any(
            MSG_DECOMMISSION_DEVICE,
            pb::MsgDecommissionDevice {
                owner: self.address(owner),
                device_id: id.into(),
            },
        )
    }

    pub fn metadata_msg(&self, owner: usize, id: &str, metadata: &str) -> Any {
        any(
            MSG_UPDATE_DEVICE_METADATA,
            pb::MsgUpdateDeviceMetadata {
                owner: self.address(owner),
                device_id: id.into(),
                metadata: metadata.into(),
            },
        )
    }

    pub fn rotate_msg(
        &self,
        owner: usize,
        id: &str,
        old: &DeviceSigner,
        new: &DeviceSigner,
        rotation: u32,
    ) -> Any {
        any(
            MSG_ROTATE_DEVICE_KEY,
            client::rotate_device_key(old, new, CHAIN_ID, &self.address(owner), id, rotation),
        )
    }

    pub fn update_params_msg(&self, params: &Params) -> Any {
        any(
            MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: self.authority(),
                params: Some(params.to_proto()),
            },
        )
    }
}
