//! A chain of auth, bank, the device registry, rewards (no marketplace, a module-account
//! community pool) and energy, driven through the in-process driver with signed transactions.
//! Rewards read their device source through `EnergyDevices`. Every module's invariants are
//! checked after every block. Account 0 is every module's authority.
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::Any;
use cosmwasm_std::Uint128;
use depin_app::address::AddressCodec;
use depin_app::app::{App, AppBuilder, AppConfig};
use depin_app::context::Event;
use depin_app::driver::InProcess;
use depin_app::module::{ModuleAccountSpec, BURNER, MINTER};
use depin_app::node::NodeConfig;
use depin_auth::{AuthAnte, AuthKeeper, AuthModule, FEE_COLLECTOR};
use depin_bank::{BankKeeper, BankModule};
use depin_device::client::{self, DeviceSigner, Onboarding};
use depin_device::{DeviceKeeper, DeviceModule, DEVICE_MODULE_ACCOUNT};
use depin_energy::{EnergyDevices, EnergyKeeper, EnergyModule, Params};
use depin_proto::depin::device::v1 as device_pb;
use depin_proto::depin::energy::v1 as pb;
use depin_rewards::{
    ModuleAccountPool, NoMarket, RewardsKeeper, RewardsModule, REWARDS_MODULE_ACCOUNT,
};
use depin_simapp::testing::{FeeSpec, TestKey};
use prost::Message;
use tendermint_proto::v0_38::abci::{ExecTxResult, ResponseFinalizeBlock};

pub const CHAIN_ID: &str = "energy-test-1";
pub const DENOM: &str = "udepin";
pub const PREFIX: &str = "depin";
pub const Q: &str = "/depin.energy.v1.Query/";
pub const COMMUNITY: &str = "community_pool";

pub fn module_accounts() -> Vec<ModuleAccountSpec> {
    vec![
        ModuleAccountSpec::new(FEE_COLLECTOR, &[]),
        ModuleAccountSpec::new("gov", &[BURNER]),
        ModuleAccountSpec::new(COMMUNITY, &[]),
        ModuleAccountSpec::new(DEVICE_MODULE_ACCOUNT, &[BURNER]),
        ModuleAccountSpec::new(REWARDS_MODULE_ACCOUNT, &[MINTER, BURNER]),
    ]
}

/// The whole chain; `authority` governs every module.
pub fn build_app(authority: Vec<u8>) -> (App, EnergyKeeper) {
    let codec = AddressCodec::new(PREFIX);
    let accounts = module_accounts();
    let auth = AuthKeeper::new(codec.clone(), &accounts);
    let bank = BankKeeper::new(codec.clone(), auth.clone(), &accounts);
    let device = DeviceKeeper::new(codec.clone(), bank.clone());
    let energy = EnergyKeeper::new(codec.clone(), device.clone());
    let community = ModuleAccountPool {
        bank: Arc::new(bank.clone()),
        account: COMMUNITY.into(),
    };
    let rewards = RewardsKeeper::new(
        codec,
        bank.clone(),
        EnergyDevices::new(device.clone(), energy.clone()),
        NoMarket,
        community,
    );
    let app = AppBuilder::new(AppConfig::default())
        .module(AuthModule::new(auth.clone()))
        .module(BankModule::new(bank.clone()))
        .module(DeviceModule::new(device).with_authority(authority.clone()))
        .module(RewardsModule::new(rewards).with_authority(authority.clone()))
        .module(EnergyModule::new(energy.clone()).with_authority(authority))
        .ante(AuthAnte::new(auth, bank))
        .build()
        .unwrap();
    (app, energy)
}

/// Device params: epochs of 5 blocks, a heartbeat every 2 epochs, class "compute" free and
/// without location.
pub fn device_params() -> depin_device::Params {
    let mut p = depin_device::Params {
        epoch_blocks: 5,
        contribution_retention_epochs: 6,
        ..depin_device::Params::default()
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

/// Rewards: epochs of 5 blocks, 1,000,000 an epoch, no decay, no cap; a heartbeat weighs 1.
pub fn rewards_params() -> depin_rewards::Params {
    depin_rewards::Params {
        epoch_blocks: 5,
        initial_epoch_emission: Uint128::new(1_000_000),
        decay: depin_rewards::DecayKind::None,
        max_supply: Uint128::zero(),
        heartbeat_weight: 1,
        ..depin_rewards::Params::default()
    }
}

/// Energy: the defaults but 3 readings an epoch and 10 kWh a reading.
pub fn energy_params() -> Params {
    Params {
        max_readings_per_epoch: 3,
        max_wh_per_reading: 10_000,
        ..Params::default()
    }
}

pub fn test_keys(n: usize) -> Vec<TestKey> {
    (0..n as u64)
        .map(|i| TestKey::from_seed(7600 + i))
        .collect()
}

pub fn app_state(keys: &[TestKey], energy: &Params) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .map(|k| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(1_000_000_000, DENOM)],
        })
        .collect();
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "device": depin_device::GenesisState { params: device_params(), ..Default::default() },
        "rewards": depin_rewards::GenesisState { params: rewards_params(), ..Default::default() },
        "energy": depin_energy::GenesisState { params: energy.clone(), ..Default::default() },
    })
}

pub fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

/// A device key (ed25519) from a seed.
pub fn device_signer(seed: u64) -> DeviceSigner {
    let mut s = [5u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    DeviceSigner::ed25519(s)
}

pub fn maker_signer() -> DeviceSigner {
    DeviceSigner::secp256k1(&[3u8; 32]).unwrap()
}

pub struct Chain {
    pub driver: InProcess,
    pub app: Arc<App>,
    pub keeper: EnergyKeeper,
    pub keys: Vec<TestKey>,
    /// Events of the last block.
    pub events: Vec<Event>,
    /// Events of every block so far.
    pub all_events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Chain {
    pub fn new(n: usize, energy: Params) -> Self {
        let keys = test_keys(n);
        let state = app_state(&keys, &energy);
        Self::with_state(keys, &state, 1).unwrap()
    }

    pub fn with_state(
        keys: Vec<TestKey>,
        state: &serde_json::Value,
        initial_height: u64,
    ) -> Result<Self, String> {
        let authority = AddressCodec::new(PREFIX).decode(&keys[0].address).unwrap();
        let (app, keeper) = build_app(authority);
        let app = Arc::new(app);
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver.init_chain_at(CHAIN_ID, state, initial_height)?;
        let mut chain = Chain {
            driver,
            app,
            keeper,
            keys,
            events: Vec::new(),
            all_events: Vec::new(),
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

    /// The device epoch the next block runs in.
    pub fn epoch(&self) -> u64 {
        let r: device_pb::QueryEpochResponse = self.query(
            "/depin.device.v1.Query/Epoch",
            device_pb::QueryEpochRequest {},
        );
        r.next_block_epoch
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

    pub fn finalize(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        let resp = self.driver.block(txs);
        self.events = depin_app::driver::block_events(&resp);
        self.all_events.extend(self.events.iter().cloned());
        let broken = self.driver.broken_invariants();
        assert!(broken.is_empty(), "broken invariants: {broken:?}");
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

    /// Blocks until the next block is the first of a new device epoch.
    pub fn next_epoch(&mut self) {
        let e = self.epoch();
        while self.epoch() == e {
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

    /// The energy state as exported.
    pub fn state(&self) -> serde_json::Value {
        self.driver.export()["energy"].clone()
    }

    /// A transaction that must fail with (codespace, code) and leave the energy state as it
    /// was (the registry's begin block may move devices meanwhile).
    pub fn fails(&mut self, i: usize, msgs: Vec<Any>, codespace: &str, code: u32) -> String {
        let before = self.state();
        let r = self.tx(i, msgs);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (codespace, code),
            "unexpected result: {}",
            r.log
        );
        assert_eq!(before, self.state(), "a failed tx changed state: {}", r.log);
        r.log
    }

    pub fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        self.driver
            .query_as(path, &request)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `f` over the latest committed state (its writes are thrown away).
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut depin_app::context::Ctx<'_, '_>) -> R) -> R {
        self.driver.with_ctx(f)
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

    // Devices.

    /// Registers maker "acme" for compute devices (account 0 is the authority).
    pub fn acme(&mut self) {
        let key = maker_signer();
        self.ok(
            0,
            vec![any(
                depin_device::msgs::MSG_REGISTER_MAKER,
                device_pb::MsgRegisterMaker {
                    authority: self.address(0),
                    name: "acme".into(),
                    key: Some(key.public_key()),
                    allowed_classes: vec!["compute".into()],
                    device_quota: 100,
                },
            )],
        );
    }

    /// Onboards a compute device for `owner` and returns its id.
    pub fn onboard(&mut self, owner: usize, device: &DeviceSigner, serial: &str) -> String {
        let maker = maker_signer();
        let attestation =
            client::sign_attestation(&maker, CHAIN_ID, &device.public_key(), "compute", serial);
        let owner_address = self.address(owner);
        let msg = client::onboard_device(
            device,
            attestation,
            Onboarding {
                chain_id: CHAIN_ID,
                owner: &owner_address,
                maker: "acme",
                class: "compute",
                serial,
                nonce: 1,
                location: None,
                metadata: "",
            },
        );
        self.ok(
            owner,
            vec![any(depin_device::msgs::MSG_ONBOARD_DEVICE, msg)],
        );
        device.id(PREFIX)
    }

    pub fn heartbeat_msg(&self, device: &DeviceSigner, epoch: u64, counter: u64) -> Any {
        any(
            depin_device::msgs::MSG_HEARTBEAT,
            client::heartbeat(
                device,
                CHAIN_ID,
                &self.address(1),
                &device.id(PREFIX),
                epoch,
                counter,
                &[9u8; 32],
            ),
        )
    }

    /// A heartbeat of `device` in the current epoch (counter: the epoch + 1).
    pub fn heartbeat(&mut self, device: &DeviceSigner) {
        let epoch = self.epoch();
        let msg = self.heartbeat_msg(device, epoch, epoch + 1);
        self.ok(1, vec![msg]);
    }

    // Energy.

    /// A reading signed by `signer` for `device_id`, relayed by account 1.
    pub fn reading_msg(
        &self,
        signer: &DeviceSigner,
        device_id: &str,
        epoch: u64,
        cumulative_wh: u64,
    ) -> Any {
        let signature = signer.sign(&depin_energy::reading_bytes(
            CHAIN_ID,
            device_id,
            epoch,
            cumulative_wh,
        ));
        any(
            depin_energy::MSG_SUBMIT_READING,
            pb::MsgSubmitReading {
                submitter: self.address(1),
                device_id: device_id.into(),
                epoch,
                cumulative_wh,
                signature,
            },
        )
    }

    /// Moves to the first block of the next epoch and heartbeats each of `devices` there.
    pub fn next_epoch_alive(&mut self, devices: &[&DeviceSigner]) {
        self.next_epoch();
        let epoch = self.epoch();
        let msgs = devices
            .iter()
            .map(|d| self.heartbeat_msg(d, epoch, epoch + 1))
            .collect();
        self.ok(1, msgs);
    }

    /// Submits `device`'s reading in the current epoch; returns the Wh it delivered.
    pub fn read(&mut self, device: &DeviceSigner, cumulative_wh: u64) -> u64 {
        let epoch = self.epoch();
        let msg = self.reading_msg(device, &device.id(PREFIX), epoch, cumulative_wh);
        let r = self.ok(1, vec![msg]);
        let data =
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref()).unwrap();
        pb::MsgSubmitReadingResponse::decode(data.msg_responses[0].value.as_slice())
            .unwrap()
            .delivered_wh
    }

    pub fn update_params_msg(&self, from: usize, params: &Params) -> Any {
        any(
            depin_energy::MSG_UPDATE_PARAMS,
            pb::MsgUpdateParams {
                authority: self.address(from),
                params: Some(params.to_proto()),
            },
        )
    }

    pub fn meter(&self, id: &str) -> pb::Meter {
        let r: pb::QueryMeterResponse = self.query(
            &format!("{Q}Meter"),
            pb::QueryMeterRequest {
                device_id: id.into(),
            },
        );
        r.meter.unwrap()
    }

    pub fn epoch_energy(&self, epoch: u64, id: &str) -> pb::EpochEnergy {
        let r: pb::QueryEpochEnergyResponse = self.query(
            &format!("{Q}EpochEnergy"),
            pb::QueryEpochEnergyRequest {
                epoch,
                device_id: id.into(),
            },
        );
        r.energy.unwrap()
    }

    /// What `device_rewarded` events paid `device_id` for device epoch `epoch`, so far.
    pub fn rewarded(&self, device_id: &str, epoch: u64) -> u128 {
        self.all_events
            .iter()
            .filter(|e| e.kind == "device_rewarded")
            .filter(|e| e.get("device_id") == Some(device_id))
            .filter(|e| e.get("epoch") == Some(epoch.to_string().as_str()))
            .map(|e| {
                e.get("amount")
                    .unwrap()
                    .trim_end_matches(DENOM)
                    .parse::<u128>()
                    .unwrap()
            })
            .sum()
    }
}
