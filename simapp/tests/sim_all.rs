//! A long random simulation of the whole reference chain (auth, bank, distribution, gov,
//! staking, slashing, device, market, rewards) through the in-process driver, with signed transactions
//! from a seeded random loop and the votes of the bonded set on every block (validator 2 now
//! and then misses 25 blocks: jailed, slashed, unjailed). Traffic: bank sends; delegations,
//! undelegations, redelegations, reward and commission withdrawals; devices onboarded (fees
//! in tokens or data credits), heart-beating every device epoch (some go silent), beacons and
//! witnesses, transfers; providers, orders, bids, leases settled, withdrawn, topped up and
//! closed; claims and burns for data credits; governance proposals (none, a community tax
//! change, a community pool spend) with deposits, plain and weighted votes and
//! cancellations, decided every few blocks; empty blocks. Refused transactions are part of
//! it. After every block:
//!
//! (a) every module's invariants over the committed state;
//! (b) the supply is the genesis supply + Σ minted − Σ burned, read from the bank's
//!     `coinbase` / `burn` events of every FinalizeBlock (begin block, txs, end block), and the
//!     chain's minted / burned totals (rewards Totals query) agree;
//! (c) the rewards account holds its two buckets plus everybody's pending rewards (queried);
//! (d) the emission to date is the schedule, recomputed from the params: minted + capped =
//!     Σ over past epochs of base(e) + baseline(e, capacity of that epoch's record);
//! (e) delegators and validators never withdrew more than was allocated to validators, which
//!     is at most what reached distribution from the fee collector (fees and the rewards'
//!     validator share), and every module account's books match the transfers.
//!
//! `SIM_SEED` and `SIM_BLOCKS` choose another run; the seed is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1 as bank_pb;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::distribution::v1beta1 as dist_pb;
use cosmrs::proto::cosmos::slashing::v1beta1 as slash_pb;
use cosmrs::proto::cosmos::staking::v1beta1 as staking_pb;
use cosmrs::Any;
use cosmwasm_std::{Decimal256, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::app::App;
use depin_app::context::{Env, ExecMode};
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_app::store::WorkingSet;
use depin_device::client::{self, Beacon, DeviceSigner, Onboarding};
use depin_proto::depin::device::v1 as device_pb;
use depin_proto::depin::market::v1 as market_pb;
use depin_proto::depin::rewards::v1 as rewards_pb;
use depin_simapp::testing::{add_genesis_validator, msg_send, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM, VALOPER_PREFIX};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tendermint_proto::v0_38::abci::{CommitInfo, ResponseFinalizeBlock, Validator, VoteInfo};
use tendermint_proto::v0_38::types::BlockIdFlag;

const CHAIN_ID: &str = "depin-sim-1";
const GENESIS_TIME: i64 = 1_700_000_000;
const VALIDATORS: usize = 3;
const USERS: usize = 6;
const ACCOUNTS: usize = VALIDATORS + USERS;
/// 100,000 DEPIN each.
const FUNDS: u128 = 100_000_000_000;
/// Self delegations of the genesis validators (power = tokens / 10⁶).
const STAKES: [u128; VALIDATORS] = [30_000_000, 20_000_000, 10_000_000];
/// Room under `max_supply` above the genesis supply: the cap binds in the second half.
const SUPPLY_ROOM: u128 = 35_000_000;
const MAX_DEVICES: usize = 12;
const ONE: u128 = 1_000_000_000_000_000_000;
/// Res-10 cells about 0.9 km apart along a parallel: coverage devices in them are 0 to a few
/// res-8 grid steps from each other, so some witness reports count and some are too close.
const CELLS: [u64; 8] = [
    0x8a283082800ffff,
    0x8a2830828557fff,
    0x8a283082a92ffff,
    0x8a283082e6f7fff,
    0x8a2830805a07fff,
    0x8a283080510ffff,
    0x8a2830805527fff,
    0x8a28308042affff,
];

fn cons_key(v: usize) -> [u8; 32] {
    [v as u8 + 41; 32]
}

fn any(type_url: &str, msg: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    })
}

fn module(name: &str) -> String {
    AddressCodec::new(ADDRESS_PREFIX).encode(&module_address(name))
}

/// The udepin in a coin list ("12udepin", "1.5udepin,3foo"), in 10⁻¹⁸ units.
fn atomics(list: &str) -> u128 {
    list.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let n = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            (&s[n..] == DENOM).then(|| match s[..n].split_once('.') {
                Some((w, f)) => {
                    w.parse::<u128>().unwrap() * ONE + format!("{f:0<18}").parse::<u128>().unwrap()
                }
                None => s[..n].parse::<u128>().unwrap() * ONE,
            })
        })
        .sum()
}

/// The udepin of a list of whole coins (bank events).
fn whole(list: &str) -> u128 {
    let a = atomics(list);
    assert_eq!(a % ONE, 0, "bank amounts are whole: {list}");
    a / ONE
}

fn num(s: &str) -> u128 {
    if s.is_empty() {
        0
    } else {
        s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
    }
}

// --- genesis ---------------------------------------------------------------------------

fn rewards_params() -> depin_rewards::Params {
    depin_rewards::Params {
        epoch_blocks: 5,
        initial_epoch_emission: Uint128::new(1_000_000),
        decay: depin_rewards::DecayKind::Halving,
        halving_epochs: 25,
        baseline_epoch_emission: Uint128::new(200_000),
        baseline_target: 6,
        baseline_growth_ppb: 0,
        // Sharing pages over blocks: 2 passes × 12 devices / 6 = 4 blocks an epoch of 5.
        max_payouts_per_block: 6,
        ..depin_rewards::Params::default()
    }
}

fn device_params() -> depin_device::Params {
    depin_device::Params {
        epoch_blocks: 5,
        ..depin_device::Params::default()
    }
}

fn market_params() -> depin_market::Params {
    use depin_app::coins::Coin;
    depin_market::Params {
        min_provider_collateral: Coin::new(1_000, DENOM),
        bid_deposit: Coin::new(100, DENOM),
        max_bids_per_order: 3,
        bid_timeout_blocks: 20,
        min_order_deposit_blocks: 10,
        insufficient_funds_grace_blocks: 5,
        take_rate_bps: 200,
        usage_epoch_blocks: 10,
        usage_retention_epochs: 5,
        min_deal_value: Coin::new(1, DENOM),
        ..depin_market::Params::default()
    }
}

fn app_state(keys: &[TestKey], maker: &DeviceSigner, max_supply: u128) -> serde_json::Value {
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| depin_auth::GenesisAccount::base(&k.address, i as u64))
        .collect();
    let mut balances: Vec<_> = keys
        .iter()
        .map(|k| depin_bank::genesis::Balance {
            address: k.address.clone(),
            coins: vec![depin_app::coins::Coin::new(FUNDS, DENOM)],
        })
        .collect();
    // Genesis validators start unbonded with their stake in the not-bonded pool; InitChain
    // bonds them (as collect-gentxs writes them).
    balances.push(depin_bank::genesis::Balance {
        address: module(depin_staking::NOT_BONDED_POOL),
        coins: vec![depin_app::coins::Coin::new(STAKES.iter().sum(), DENOM)],
    });
    let dec = |s: &str| s.parse::<Decimal256>().unwrap();
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
            dec(["0.05", "0.1", "0.2"][v]),
            GENESIS_TIME as u64,
        );
    }
    let slashing = depin_slashing::GenesisState {
        params: depin_slashing::Params {
            signed_blocks_window: 20,
            min_signed_per_window: dec("0.5"),
            downtime_jail_duration: 30,
            slash_fraction_double_sign: dec("0.05"),
            slash_fraction_downtime: dec("0.01"),
        },
        ..Default::default()
    };
    // The default authority is the gov module account, which signs nothing here: the maker
    // is registered in genesis.
    let maker = depin_device::types::Maker {
        name: "acme".into(),
        key: depin_device::types::PublicKey::from_proto(&maker.public_key()),
        allowed_classes: vec!["compute".into(), "hotspot".into()],
        device_quota: 1_000,
        devices_onboarded: 0,
        revoked: false,
        revoked_height: 0,
    };
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
        "staking": staking,
        "slashing": slashing,
        "device": depin_device::GenesisState {
            params: device_params(),
            makers: vec![maker],
            ..Default::default()
        },
        "market": depin_market::GenesisState { params: market_params(), ..Default::default() },
        "gov": depin_gov::GenesisState { params: gov_params(), ..Default::default() },
        "rewards": depin_rewards::GenesisState {
            params: depin_rewards::Params {
                max_supply: Uint128::new(max_supply),
                ..rewards_params()
            },
            ..Default::default()
        },
    })
}

/// Short periods (a block is 5 s): proposals are dropped or decided within the run.
fn gov_params() -> depin_gov::Params {
    const BLOCK: u64 = 5_000_000_000;
    depin_gov::Params {
        min_deposit: vec![depin_app::coins::Coin::new(GOV_MIN_DEPOSIT, DENOM)],
        expedited_min_deposit: vec![depin_app::coins::Coin::new(3 * GOV_MIN_DEPOSIT, DENOM)],
        max_deposit_period_ns: 20 * BLOCK,
        voting_period_ns: 30 * BLOCK,
        expedited_voting_period_ns: 8 * BLOCK,
        ..depin_gov::Params::default()
    }
}

/// Small next to the supply room: burned deposits must not keep max_supply from binding.
const GOV_MIN_DEPOSIT: u128 = 20_000;

fn operator_of(address: &str) -> String {
    let raw = AddressCodec::new(ADDRESS_PREFIX).decode(address).unwrap();
    AddressCodec::new(VALOPER_PREFIX).encode(&raw)
}

// --- the model of what the simulation created ----------------------------------------------

struct Device {
    signer: DeviceSigner,
    id: String,
    class: &'static str,
    owner: usize,
    /// The device epoch of its last accepted heartbeat.
    heartbeat: Option<u64>,
    /// No heartbeats before this device epoch.
    silent_until: u64,
}

/// What a transaction does to the model when it succeeds.
enum Effect {
    None,
    Onboarded(Box<Device>),
    Heartbeat(usize, u64),
    Transferred(usize, usize),
    Provider(usize),
    Order(usize, u128),
    /// A bid on `orders[i]` by a provider.
    Bid(usize, usize),
    Accepted(usize, usize),
    /// An operation on the lease of `orders[i]`; true when it closes the lease.
    Lease(usize, bool),
    /// A governance proposal was submitted.
    Proposal,
}

/// An order the simulation created, as far as it knows.
struct Order {
    id: u64,
    tenant: usize,
    max_price: u128,
    created: u64,
    bidders: Vec<usize>,
    /// The provider of its lease, once a bid is accepted.
    provider: Option<usize>,
    closed: bool,
}

impl Order {
    fn takes_bids(&self, height: u64) -> bool {
        !self.closed && self.provider.is_none() && height <= self.created + 20
    }
}

/// Totals read from the events of every block.
#[derive(Debug, Default)]
struct Ledger {
    minted: u128,
    burned: u128,
    /// Σ `rewards_epoch_minted`: minted and to_validators.
    epoch_minted: u128,
    epoch_to_validators: u128,
    epochs: u64,
    /// Σ `rewards` events (distribution's allocation to validators), 10⁻¹⁸ units.
    allocated: u128,
    /// Σ `withdraw_rewards` and `withdraw_commission` amounts.
    withdrawn_rewards: u128,
    withdrawn_commission: u128,
    /// Bank transfers in and out of the module accounts the checks follow.
    into: BTreeMap<String, u128>,
    out_of: BTreeMap<String, u128>,
    collector_to_distribution: u128,
    rewards_to_collector: u128,
    device_rewarded: u128,
    provider_rewarded: u128,
    claimed: u128,
    credits_minted: u128,
    slashes: u64,
}

struct Sim {
    driver: InProcess,
    app: Arc<App>,
    rng: StdRng,
    keys: Vec<TestKey>,
    operators: Vec<String>,
    maker: DeviceSigner,
    genesis_supply: u128,
    max_supply: u128,
    sequences: Vec<u64>,
    devices: Vec<Device>,
    serial: u64,
    providers: BTreeSet<usize>,
    orders: Vec<Order>,
    /// Governance proposals submitted so far (ids 1..=proposals).
    proposals: u64,
    /// Validator 2 votes ABSENT until this height (a downtime, to be jailed and slashed).
    outage_until: u64,
    ledger: Ledger,
    /// Per operation kind: (accepted, refused).
    stats: BTreeMap<&'static str, (u64, u64)>,
    /// Refusals by (kind, codespace, code), with the last log.
    refusals: BTreeMap<(&'static str, String, u32), (u64, String)>,
    txs: u64,
    _dir: tempfile::TempDir,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let keys: Vec<TestKey> = (0..ACCOUNTS as u64)
            .map(|i| TestKey::from_seed(5_100 + i))
            .collect();
        let operators = keys[..VALIDATORS]
            .iter()
            .map(|k| operator_of(&k.address))
            .collect();
        let maker = DeviceSigner::secp256k1(&[7u8; 32]).unwrap();
        let genesis_supply = FUNDS * ACCOUNTS as u128 + STAKES.iter().sum::<u128>();
        let max_supply = genesis_supply + SUPPLY_ROOM;
        let app = Arc::new(default_app());
        let dir = tempfile::tempdir().unwrap();
        let mut driver = InProcess::open(app.clone(), dir.path(), NodeConfig::default()).unwrap();
        driver.set_time(GENESIS_TIME);
        driver
            .init_chain(CHAIN_ID, &app_state(&keys, &maker, max_supply))
            .unwrap();
        Sim {
            driver,
            app,
            rng: StdRng::seed_from_u64(seed),
            keys,
            operators,
            maker,
            genesis_supply,
            max_supply,
            sequences: vec![0; ACCOUNTS],
            devices: Vec::new(),
            serial: 0,
            providers: BTreeSet::new(),
            orders: Vec::new(),
            proposals: 0,
            outage_until: 0,
            ledger: Ledger::default(),
            stats: BTreeMap::new(),
            refusals: BTreeMap::new(),
            txs: 0,
            _dir: dir,
        }
    }

    fn addr(&self, i: usize) -> String {
        self.keys[i].address.clone()
    }

    fn query<R: Message + Default>(&self, path: &str, request: impl Message) -> R {
        let resp = self.driver.query(path, request.encode_to_vec());
        assert_eq!(resp.code, 0, "{path}: {}", resp.log);
        R::decode(resp.value.as_ref()).unwrap()
    }

    fn balance_of(&self, address: &str) -> u128 {
        let r: bank_pb::QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            bank_pb::QueryBalanceRequest {
                address: address.into(),
                denom: DENOM.into(),
            },
        );
        r.balance.map_or(0, |c| num(&c.amount))
    }

    fn supply(&self) -> u128 {
        let r: bank_pb::QuerySupplyOfResponse = self.query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            bank_pb::QuerySupplyOfRequest {
                denom: DENOM.into(),
            },
        );
        r.amount.map_or(0, |c| num(&c.amount))
    }

    fn device_epoch(&self) -> u64 {
        let r: device_pb::QueryEpochResponse = self.query(
            "/depin.device.v1.Query/Epoch",
            device_pb::QueryEpochRequest {},
        );
        r.next_block_epoch
    }

    fn delegation(&self, d: usize, v: usize) -> u128 {
        let resp = self.driver.query(
            "/cosmos.staking.v1beta1.Query/Delegation",
            staking_pb::QueryDelegationRequest {
                delegator_addr: self.addr(d),
                validator_addr: self.operators[v].clone(),
            }
            .encode_to_vec(),
        );
        if resp.code != 0 {
            return 0;
        }
        let r = staking_pb::QueryDelegationResponse::decode(resp.value.as_ref()).unwrap();
        r.delegation_response
            .and_then(|d| d.balance)
            .map_or(0, |c| num(&c.amount))
    }

    /// The votes CometBFT would send on the previous block: every bonded validator, validator
    /// 2 ABSENT during an outage.
    fn votes(&self) -> CommitInfo {
        let r: staking_pb::QueryValidatorsResponse = self.query(
            "/cosmos.staking.v1beta1.Query/Validators",
            staking_pb::QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                pagination: None,
            },
        );
        let votes = r
            .validators
            .iter()
            .map(|v| {
                let i = self
                    .operators
                    .iter()
                    .position(|o| *o == v.operator_address)
                    .expect("only genesis validators");
                let absent = i == 2 && self.driver.height() < self.outage_until;
                VoteInfo {
                    validator: Some(Validator {
                        address: depin_staking::types::consensus_address(&cons_key(i)).into(),
                        power: (num(&v.tokens) / 1_000_000) as i64,
                    }),
                    block_id_flag: if absent {
                        BlockIdFlag::Absent
                    } else {
                        BlockIdFlag::Commit
                    } as i32,
                }
            })
            .collect();
        CommitInfo { round: 0, votes }
    }

    // --- random operations ---------------------------------------------------------------

    fn user(&mut self) -> usize {
        self.rng.gen_range(VALIDATORS..ACCOUNTS)
    }

    fn anyone(&mut self) -> usize {
        self.rng.gen_range(0..ACCOUNTS)
    }

    fn onboard(&mut self, owner: usize, class: &'static str) -> (usize, Vec<Any>, Effect) {
        self.serial += 1;
        let mut seed = [9u8; 32];
        seed[..8].copy_from_slice(&self.serial.to_be_bytes());
        let device = DeviceSigner::ed25519(seed);
        let serial = format!("sn-{}", self.serial);
        let attestation =
            client::sign_attestation(&self.maker, CHAIN_ID, &device.public_key(), class, &serial);
        let owner_address = self.addr(owner);
        let location = (class == "hotspot").then(|| device_pb::Location {
            h3_cell: CELLS[self.rng.gen_range(0..CELLS.len())],
            elevation: 10,
            gain: 30,
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
        let id = device.id(ADDRESS_PREFIX);
        let effect = Effect::Onboarded(Box::new(Device {
            signer: device,
            id,
            class,
            owner,
            heartbeat: None,
            silent_until: 0,
        }));
        (
            owner,
            vec![any(depin_device::msgs::MSG_ONBOARD_DEVICE, msg)],
            effect,
        )
    }

    /// One random operation: (kind, signer, messages, effect), or None when it has no
    /// subject yet.
    #[allow(clippy::type_complexity)]
    fn random_op(&mut self, epoch: u64) -> Option<(&'static str, usize, Vec<Any>, Effect)> {
        use depin_market::msgs::*;
        let height = self.driver.height() + 1;
        let roll = self.rng.gen_range(0..110);
        let op = match roll {
            0..=6 => {
                let (from, to, amount) = (
                    self.anyone(),
                    self.anyone(),
                    self.rng.gen_range(1..5_000_000),
                );
                (
                    "send",
                    from,
                    vec![msg_send(&self.addr(from), &self.addr(to), amount)],
                    Effect::None,
                )
            }
            7..=12 => {
                let (d, v) = (self.anyone(), self.rng.gen_range(0..VALIDATORS));
                let msg = staking_pb::MsgDelegate {
                    delegator_address: self.addr(d),
                    validator_address: self.operators[v].clone(),
                    amount: coin(self.rng.gen_range(1..20_000_000)),
                };
                (
                    "delegate",
                    d,
                    vec![any(depin_staking::msgs::MSG_DELEGATE, msg)],
                    Effect::None,
                )
            }
            13..=16 => {
                let (d, v) = (self.user(), self.rng.gen_range(0..VALIDATORS));
                let amount = self.delegation(d, v) * self.rng.gen_range(1..=100) / 100;
                let msg = staking_pb::MsgUndelegate {
                    delegator_address: self.addr(d),
                    validator_address: self.operators[v].clone(),
                    amount: coin(amount.max(1)),
                };
                (
                    "undelegate",
                    d,
                    vec![any(depin_staking::msgs::MSG_UNDELEGATE, msg)],
                    Effect::None,
                )
            }
            17..=19 => {
                let d = self.user();
                let (src, dst) = (
                    self.rng.gen_range(0..VALIDATORS),
                    self.rng.gen_range(0..VALIDATORS),
                );
                let amount = self.delegation(d, src) * self.rng.gen_range(1..=100) / 100;
                let msg = staking_pb::MsgBeginRedelegate {
                    delegator_address: self.addr(d),
                    validator_src_address: self.operators[src].clone(),
                    validator_dst_address: self.operators[dst].clone(),
                    amount: coin(amount.max(1)),
                };
                (
                    "redelegate",
                    d,
                    vec![any(depin_staking::msgs::MSG_BEGIN_REDELEGATE, msg)],
                    Effect::None,
                )
            }
            20..=25 => {
                let (d, v) = (self.anyone(), self.rng.gen_range(0..VALIDATORS));
                let msg = dist_pb::MsgWithdrawDelegatorReward {
                    delegator_address: self.addr(d),
                    validator_address: self.operators[v].clone(),
                };
                (
                    "withdraw_rewards",
                    d,
                    vec![any(
                        depin_distribution::msgs::MSG_WITHDRAW_DELEGATOR_REWARD,
                        msg,
                    )],
                    Effect::None,
                )
            }
            26..=28 => {
                let v = self.rng.gen_range(0..VALIDATORS);
                let msg = dist_pb::MsgWithdrawValidatorCommission {
                    validator_address: self.operators[v].clone(),
                };
                (
                    "withdraw_commission",
                    v,
                    vec![any(
                        depin_distribution::msgs::MSG_WITHDRAW_VALIDATOR_COMMISSION,
                        msg,
                    )],
                    Effect::None,
                )
            }
            29..=30 => {
                let msg = slash_pb::MsgUnjail {
                    validator_addr: self.operators[2].clone(),
                };
                (
                    "unjail",
                    2,
                    vec![any(depin_slashing::msgs::MSG_UNJAIL, msg)],
                    Effect::None,
                )
            }
            31..=35 => {
                if self.devices.len() >= MAX_DEVICES {
                    return None;
                }
                let owner = self.user();
                let class = if self.rng.gen_bool(0.5) {
                    "compute"
                } else {
                    "hotspot"
                };
                let (s, msgs, e) = self.onboard(owner, class);
                ("onboard", s, msgs, e)
            }
            36..=37 => {
                if self.devices.is_empty() {
                    return None;
                }
                let d = self.rng.gen_range(0..self.devices.len());
                let to = self.user();
                let msg = device_pb::MsgTransferDevice {
                    owner: self.addr(self.devices[d].owner),
                    device_id: self.devices[d].id.clone(),
                    new_owner: self.addr(to),
                };
                (
                    "transfer_device",
                    self.devices[d].owner,
                    vec![any(depin_device::msgs::MSG_TRANSFER_DEVICE, msg)],
                    Effect::Transferred(d, to),
                )
            }
            38..=43 => {
                let hotspots: Vec<usize> = (0..self.devices.len())
                    .filter(|&i| self.devices[i].class == "hotspot")
                    .collect();
                if hotspots.len() < 2 {
                    return None;
                }
                let a = hotspots[self.rng.gen_range(0..hotspots.len())];
                let b = hotspots[self.rng.gen_range(0..hotspots.len())];
                if a == b {
                    return None;
                }
                let beacon = Beacon::sign(
                    &self.devices[a].signer,
                    CHAIN_ID,
                    &self.devices[a].id,
                    epoch,
                    self.rng.gen_range(0..3),
                    &[5u8; 32],
                );
                let submitter = self.anyone();
                let msg = client::submit_witness(
                    CHAIN_ID,
                    &self.addr(submitter),
                    &beacon,
                    &self.devices[b].signer,
                    &self.devices[b].id,
                    -870,
                    65,
                );
                (
                    "witness",
                    submitter,
                    vec![any(depin_device::witness::MSG_SUBMIT_WITNESS, msg)],
                    Effect::None,
                )
            }
            44..=48 => {
                // A user with an active compute device of its own becomes a provider, or a
                // provider lists it (its old device may have been transferred away).
                let candidates: Vec<usize> = (0..self.devices.len())
                    .filter(|&i| {
                        self.devices[i].class == "compute" && self.devices[i].heartbeat.is_some()
                    })
                    .collect();
                if candidates.is_empty() {
                    return None;
                }
                let d = &self.devices[candidates[self.rng.gen_range(0..candidates.len())]];
                let owner = d.owner;
                if self.providers.contains(&owner) {
                    let msg = market_pb::MsgUpdateProvider {
                        owner: self.addr(owner),
                        host_uri: format!("https://p{owner}.example.com:8443"),
                        attributes: Vec::new(),
                        device_ids: vec![d.id.clone()],
                    };
                    return Some((
                        "update_provider",
                        owner,
                        vec![any(MSG_UPDATE_PROVIDER, msg)],
                        Effect::None,
                    ));
                }
                let msg = market_pb::MsgCreateProvider {
                    owner: self.addr(owner),
                    host_uri: format!("https://p{owner}.example.com:8443"),
                    attributes: Vec::new(),
                    device_ids: vec![d.id.clone()],
                    collateral: coin(self.rng.gen_range(1_000..5_000)),
                };
                (
                    "create_provider",
                    owner,
                    vec![any(MSG_CREATE_PROVIDER, msg)],
                    Effect::Provider(owner),
                )
            }
            49..=55 => {
                let tenant = self.user();
                let price = self.rng.gen_range(50..500);
                let msg = market_pb::MsgCreateOrder {
                    tenant: self.addr(tenant),
                    resources: Some(market_pb::Resources {
                        cpu_millicores: 2000,
                        memory_bytes: 4 << 30,
                        gpu_count: 0,
                        gpu_model: String::new(),
                        storage_bytes: 10 << 30,
                    }),
                    requirements: None,
                    max_price_per_block: coin(price),
                    deposit: coin(price * self.rng.gen_range(10..150)),
                };
                (
                    "create_order",
                    tenant,
                    vec![any(MSG_CREATE_ORDER, msg)],
                    Effect::Order(tenant, price),
                )
            }
            56..=66 => {
                // A bid on an order still taking bids.
                let open: Vec<usize> = (0..self.orders.len())
                    .filter(|&i| self.orders[i].takes_bids(height))
                    .collect();
                if open.is_empty() || self.providers.is_empty() {
                    return None;
                }
                let o = open[self.rng.gen_range(0..open.len())];
                let max = self.orders[o].max_price;
                let providers: Vec<usize> = self.providers.iter().copied().collect();
                let p = providers[self.rng.gen_range(0..providers.len())];
                let msg = market_pb::MsgCreateBid {
                    provider: self.addr(p),
                    order_id: self.orders[o].id,
                    price_per_block: coin(self.rng.gen_range(max * 3 / 4..max + 20)),
                };
                let effect = Effect::Bid(o, p);
                ("bid", p, vec![any(MSG_CREATE_BID, msg)], effect)
            }
            67..=74 => {
                let open: Vec<usize> = (0..self.orders.len())
                    .filter(|&i| {
                        self.orders[i].takes_bids(height) && !self.orders[i].bidders.is_empty()
                    })
                    .collect();
                if open.is_empty() {
                    return None;
                }
                let oi = open[self.rng.gen_range(0..open.len())];
                let o = &self.orders[oi];
                let provider = o.bidders[self.rng.gen_range(0..o.bidders.len())];
                let msg = market_pb::MsgAcceptBid {
                    tenant: self.addr(o.tenant),
                    order_id: o.id,
                    provider: self.addr(provider),
                };
                let effect = Effect::Accepted(oi, provider);
                (
                    "accept_bid",
                    o.tenant,
                    vec![any(MSG_ACCEPT_BID, msg)],
                    effect,
                )
            }
            75..=87 => {
                let leases: Vec<usize> = (0..self.orders.len())
                    .filter(|&i| self.orders[i].provider.is_some() && !self.orders[i].closed)
                    .collect();
                if leases.is_empty() {
                    return None;
                }
                let o = leases[self.rng.gen_range(0..leases.len())];
                let (order, tenant) = (self.orders[o].id, self.orders[o].tenant);
                let provider = self.orders[o].provider.unwrap_or(tenant);
                let escrow_id = format!("order/{order}");
                let (kind, signer, msg, closes) = match self.rng.gen_range(0..14) {
                    0..=4 => {
                        let msg = market_pb::MsgWithdrawLease {
                            provider: self.addr(provider),
                            order_id: order,
                        };
                        (
                            "withdraw_lease",
                            provider,
                            any(MSG_WITHDRAW_LEASE, msg),
                            false,
                        )
                    }
                    5..=7 => {
                        let s = self.anyone();
                        let msg = market_pb::MsgSettle {
                            sender: self.addr(s),
                            escrow_id,
                        };
                        ("settle", s, any(MSG_SETTLE, msg), false)
                    }
                    8..=11 => {
                        // Mostly the tenant; anyone may top an escrow up.
                        let d = if self.rng.gen_bool(0.8) {
                            tenant
                        } else {
                            self.anyone()
                        };
                        let msg = market_pb::MsgDepositEscrow {
                            depositor: self.addr(d),
                            escrow_id,
                            amount: coin(self.rng.gen_range(1_000..30_000)),
                        };
                        ("deposit_escrow", d, any(MSG_DEPOSIT_ESCROW, msg), false)
                    }
                    12 => {
                        let msg = market_pb::MsgCloseLease {
                            sender: self.addr(provider),
                            order_id: order,
                        };
                        ("close_lease", provider, any(MSG_CLOSE_LEASE, msg), true)
                    }
                    _ => {
                        let msg = market_pb::MsgCloseOrder {
                            tenant: self.addr(tenant),
                            order_id: order,
                        };
                        ("close_order", tenant, any(MSG_CLOSE_ORDER, msg), true)
                    }
                };
                (kind, signer, vec![msg], Effect::Lease(o, closes))
            }
            88..=95 => {
                let c = self.user();
                let msg = rewards_pb::MsgClaim {
                    claimant: self.addr(c),
                };
                (
                    "claim",
                    c,
                    vec![any(depin_rewards::msgs::MSG_CLAIM, msg)],
                    Effect::None,
                )
            }
            96..=101 => {
                let (s, r) = (self.user(), self.user());
                let recipient = if self.rng.gen_bool(0.5) {
                    String::new()
                } else {
                    self.addr(r)
                };
                let msg = rewards_pb::MsgBurnForCredits {
                    sender: self.addr(s),
                    amount: coin(self.rng.gen_range(1..20_000)),
                    recipient,
                };
                (
                    "burn_for_credits",
                    s,
                    vec![any(depin_rewards::msgs::MSG_BURN_FOR_CREDITS, msg)],
                    Effect::None,
                )
            }
            102..=109 => self.gov_op(roll),
            _ => return None,
        };
        Some(op)
    }

    /// Governance traffic: submissions (102–103), deposits (104–105), votes (106–108) and
    /// cancellations (109), on the proposals submitted so far and one that does not exist.
    fn gov_op(&mut self, roll: u32) -> (&'static str, usize, Vec<Any>, Effect) {
        use cosmrs::proto::cosmos::gov::v1 as gov_pb;
        // Mostly a proposal in the period the operation needs (deposits: deposit period;
        // votes: voting period; cancels: either), else any id (one past the last does not
        // exist).
        let wanted = match roll {
            104..=105 => vec![gov_pb::ProposalStatus::DepositPeriod],
            106..=108 => vec![gov_pb::ProposalStatus::VotingPeriod],
            _ => vec![
                gov_pb::ProposalStatus::DepositPeriod,
                gov_pb::ProposalStatus::VotingPeriod,
            ],
        };
        let mut open = Vec::new();
        for status in wanted {
            let r: gov_pb::QueryProposalsResponse = self.query(
                "/cosmos.gov.v1.Query/Proposals",
                gov_pb::QueryProposalsRequest {
                    proposal_status: status as i32,
                    ..Default::default()
                },
            );
            open.extend(r.proposals.iter().map(|p| p.id));
        }
        let id = if !open.is_empty() && self.rng.gen_bool(0.85) {
            open[self.rng.gen_range(0..open.len())]
        } else {
            self.rng.gen_range(1..=self.proposals + 1)
        };
        match roll {
            102..=103 => {
                let proposer = self.user();
                let messages = match self.rng.gen_range(0..3) {
                    0 => Vec::new(),
                    1 => {
                        let tax = Decimal256::permille(self.rng.gen_range(0..100));
                        #[allow(deprecated)]
                        let msg = dist_pb::MsgUpdateParams {
                            authority: module(depin_gov::MODULE_ACCOUNT),
                            params: Some(dist_pb::Params {
                                community_tax: tax.atomics().to_string(),
                                base_proposer_reward: "0".into(),
                                bonus_proposer_reward: "0".into(),
                                withdraw_addr_enabled: true,
                            }),
                        };
                        vec![any(depin_distribution::msgs::MSG_UPDATE_PARAMS, msg)]
                    }
                    _ => {
                        let to = self.user();
                        let msg = dist_pb::MsgCommunityPoolSpend {
                            authority: module(depin_gov::MODULE_ACCOUNT),
                            recipient: self.addr(to),
                            amount: coin(self.rng.gen_range(1..2_000)).into_iter().collect(),
                        };
                        vec![any(depin_distribution::msgs::MSG_COMMUNITY_POOL_SPEND, msg)]
                    }
                };
                let msg = gov_pb::MsgSubmitProposal {
                    messages,
                    initial_deposit: coin(self.rng.gen_range(1..3 * GOV_MIN_DEPOSIT))
                        .into_iter()
                        .collect(),
                    proposer: self.addr(proposer),
                    metadata: String::new(),
                    title: "sim".into(),
                    summary: "a simulated proposal".into(),
                    expedited: self.rng.gen_bool(0.2),
                };
                (
                    "gov_submit",
                    proposer,
                    vec![any(depin_gov::msgs::MSG_SUBMIT_PROPOSAL, msg)],
                    Effect::Proposal,
                )
            }
            104..=105 => {
                let d = self.user();
                let msg = gov_pb::MsgDeposit {
                    proposal_id: id,
                    depositor: self.addr(d),
                    amount: coin(self.rng.gen_range(1..GOV_MIN_DEPOSIT))
                        .into_iter()
                        .collect(),
                };
                (
                    "gov_deposit",
                    d,
                    vec![any(depin_gov::msgs::MSG_DEPOSIT, msg)],
                    Effect::None,
                )
            }
            106..=108 => {
                // Validators mostly, so that quorum is reached now and then.
                let voter = if self.rng.gen_bool(0.6) {
                    self.rng.gen_range(0..VALIDATORS)
                } else {
                    self.user()
                };
                let first = self.rng.gen_range(1..=4);
                let msg = if self.rng.gen_bool(0.7) {
                    any(
                        depin_gov::msgs::MSG_VOTE,
                        gov_pb::MsgVote {
                            proposal_id: id,
                            voter: self.addr(voter),
                            option: first,
                            metadata: String::new(),
                        },
                    )
                } else {
                    let w = self.rng.gen_range(1..100u64);
                    let second = first % 4 + 1;
                    any(
                        depin_gov::msgs::MSG_VOTE_WEIGHTED,
                        gov_pb::MsgVoteWeighted {
                            proposal_id: id,
                            voter: self.addr(voter),
                            options: vec![
                                gov_pb::WeightedVoteOption {
                                    option: first,
                                    weight: format!("0.{w:02}"),
                                },
                                gov_pb::WeightedVoteOption {
                                    option: second,
                                    weight: format!("0.{:02}", 100 - w),
                                },
                            ],
                            metadata: String::new(),
                        },
                    )
                };
                ("gov_vote", voter, vec![msg], Effect::None)
            }
            _ => {
                let p = self.user();
                let msg = gov_pb::MsgCancelProposal {
                    proposal_id: id,
                    proposer: self.addr(p),
                };
                (
                    "gov_cancel",
                    p,
                    vec![any(depin_gov::msgs::MSG_CANCEL_PROPOSAL, msg)],
                    Effect::None,
                )
            }
        }
    }

    /// Signs `msgs` from `signer` with the next sequence, a random fee (0 to 3,000).
    fn signed(&mut self, signer: usize, msgs: Vec<Any>) -> Vec<u8> {
        let fee = if self.rng.gen_bool(0.5) {
            0
        } else {
            self.rng.gen_range(1..3_000)
        };
        let data = SignerData {
            chain_id: CHAIN_ID.into(),
            account_number: signer as u64,
            sequence: self.sequences[signer],
        };
        self.sequences[signer] += 1;
        sign(
            &self.keys[signer],
            &data,
            msgs,
            &FeeSpec::new(fee, 5_000_000),
            "",
        )
        .unwrap()
    }

    // --- one block -----------------------------------------------------------------------

    fn step(&mut self, first: bool) {
        let height = self.driver.height() + 1;
        let epoch = if first { 0 } else { self.device_epoch() };
        let mut ops: Vec<(&'static str, usize, Vec<Any>, Effect)> = Vec::new();
        if !first {
            // Heartbeats: each device once per device epoch, mostly early in it; now and then
            // a device goes silent for 4 epochs (inactive after 3: no rewards, no bids).
            for i in 0..self.devices.len() {
                let d = &self.devices[i];
                if d.heartbeat.is_some_and(|e| e >= epoch)
                    || d.silent_until > epoch
                    || !self.rng.gen_bool(0.6)
                {
                    continue;
                }
                if self.rng.gen_bool(0.03) {
                    self.devices[i].silent_until = epoch + 4;
                    continue;
                }
                let submitter = if self.rng.gen_bool(0.8) {
                    d.owner
                } else {
                    self.rng.gen_range(0..ACCOUNTS)
                };
                let hb = client::heartbeat(
                    &d.signer,
                    CHAIN_ID,
                    &self.addr(submitter),
                    &d.id,
                    epoch,
                    height,
                    &[3u8; 32],
                );
                ops.push((
                    "heartbeat",
                    submitter,
                    vec![any(depin_device::msgs::MSG_HEARTBEAT, hb)],
                    Effect::Heartbeat(i, epoch),
                ));
            }
            for _ in 0..self.rng.gen_range(0..=5) {
                if let Some(op) = self.random_op(epoch) {
                    ops.push(op);
                }
            }
            if self.outage_until <= height && self.rng.gen_bool(0.01) {
                self.outage_until = height + 25;
            }
            // Empty blocks: time passes.
            if self.rng.gen_bool(0.15) {
                ops.clear();
            }
        }
        let mut txs = Vec::new();
        let mut meta = Vec::new();
        for (kind, signer, msgs, effect) in ops {
            txs.push(self.signed(signer, msgs));
            meta.push((kind, effect));
        }
        self.txs += txs.len() as u64;
        let votes = (!first).then(|| self.votes());
        let resp = self.driver.block_with(txs, votes, Vec::new());
        for ((kind, effect), r) in meta.into_iter().zip(&resp.tx_results) {
            let entry = self.stats.entry(kind).or_default();
            if r.code != 0 {
                entry.1 += 1;
                let refusal = self
                    .refusals
                    .entry((kind, r.codespace.clone(), r.code))
                    .or_default();
                refusal.0 += 1;
                refusal.1.clone_from(&r.log);
                // A lease that is closed (32) or whose escrow is (36) is done with.
                if let Effect::Lease(o, _) = effect {
                    if r.codespace == "market" && (r.code == 32 || r.code == 36) {
                        self.orders[o].closed = true;
                    }
                }
                continue;
            }
            entry.0 += 1;
            self.apply(effect, &r.data);
        }
        self.record(&resp);
        self.resync_sequences();
        self.check();
    }

    fn apply(&mut self, effect: Effect, data: &[u8]) {
        match effect {
            Effect::None => {}
            Effect::Onboarded(d) => self.devices.push(*d),
            Effect::Heartbeat(i, e) => self.devices[i].heartbeat = Some(e),
            Effect::Proposal => self.proposals += 1,
            Effect::Transferred(i, to) => self.devices[i].owner = to,
            Effect::Provider(p) => {
                self.providers.insert(p);
            }
            Effect::Order(tenant, max_price) => {
                let data =
                    cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(data).unwrap();
                let r = market_pb::MsgCreateOrderResponse::decode(
                    data.msg_responses[0].value.as_slice(),
                )
                .unwrap();
                self.orders.push(Order {
                    id: r.order_id,
                    tenant,
                    max_price,
                    created: self.driver.height(),
                    bidders: Vec::new(),
                    provider: None,
                    closed: false,
                });
            }
            Effect::Bid(o, provider) => self.orders[o].bidders.push(provider),
            Effect::Accepted(o, provider) => self.orders[o].provider = Some(provider),
            Effect::Lease(o, closes) => self.orders[o].closed |= closes,
        }
    }

    /// Sequences as the chain has them (a tx whose ante failed did not use its number).
    fn resync_sequences(&mut self) {
        for i in 0..ACCOUNTS {
            let r: QueryAccountResponse = self.query(
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest {
                    address: self.addr(i),
                },
            );
            let a = BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap();
            self.sequences[i] = a.sequence;
        }
    }

    /// Adds the block's events (begin block, every tx, end block) to the ledger.
    fn record(&mut self, resp: &ResponseFinalizeBlock) {
        let collector = module(depin_auth::FEE_COLLECTOR);
        let distribution = module(depin_distribution::MODULE_ACCOUNT);
        let rewards = module(depin_rewards::REWARDS_MODULE_ACCOUNT);
        let l = &mut self.ledger;
        let events = resp
            .events
            .iter()
            .chain(resp.tx_results.iter().flat_map(|r| r.events.iter()));
        // SIM_TRACE=1 prints every block's events but the bank's bookkeeping ones.
        let trace = std::env::var("SIM_TRACE").is_ok();
        let height = self.driver.height();
        for e in events {
            if trace
                && !matches!(
                    e.r#type.as_str(),
                    "message" | "tx" | "coin_spent" | "coin_received"
                )
            {
                let attrs: Vec<_> = e
                    .attributes
                    .iter()
                    .map(|a| format!("{}={}", a.key, a.value))
                    .collect();
                eprintln!("sim_all: {height} {} {}", e.r#type, attrs.join(" "));
            }
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map_or("", |a| a.value.as_str())
            };
            match e.r#type.as_str() {
                "coinbase" => l.minted += whole(get("amount")),
                "burn" => l.burned += whole(get("amount")),
                "transfer" => {
                    let (from, to, amount) =
                        (get("sender"), get("recipient"), whole(get("amount")));
                    *l.out_of.entry(from.to_string()).or_default() += amount;
                    *l.into.entry(to.to_string()).or_default() += amount;
                    if from == collector && to == distribution {
                        l.collector_to_distribution += amount;
                    }
                    if from == rewards && to == collector {
                        l.rewards_to_collector += amount;
                    }
                }
                "rewards" => l.allocated += atomics(get("amount")),
                "withdraw_rewards" => l.withdrawn_rewards += whole(get("amount")),
                "withdraw_commission" => l.withdrawn_commission += whole(get("amount")),
                "rewards_epoch_minted" => {
                    l.epochs += 1;
                    l.epoch_minted += whole(get("minted"));
                    l.epoch_to_validators += whole(get("to_validators"));
                }
                "device_rewarded" => l.device_rewarded += whole(get("amount")),
                "provider_rewarded" => l.provider_rewarded += whole(get("amount")),
                "rewards_claimed" => l.claimed += whole(get("amount")),
                "data_credits_minted" => l.credits_minted += num(get("credits")),
                "slash" => l.slashes += 1,
                _ => {}
            }
        }
    }

    // --- the checks ----------------------------------------------------------------------

    fn check(&self) {
        let h = self.driver.height();
        let l = &self.ledger;

        // (a) every module's invariants.
        let store = self.driver.node().store();
        let env = Env::new(CHAIN_ID, h, ExecMode::Query);
        let broken = self
            .app
            .check_invariants(&mut WorkingSet::new(store.latest_view().unwrap()), &env);
        assert!(
            broken.is_empty(),
            "height {h}: broken invariants: {broken:?}"
        );

        // (b) supply = genesis + minted − burned; only the rewards module mints.
        let supply = self.supply();
        assert_eq!(
            supply + l.burned,
            self.genesis_supply + l.minted,
            "height {h}: supply vs mint/burn events {l:?}"
        );
        assert!(
            supply <= self.max_supply,
            "height {h}: supply {supply} above max_supply"
        );
        let totals: rewards_pb::QueryTotalsResponse = self.query(
            "/depin.rewards.v1.Query/Totals",
            rewards_pb::QueryTotalsRequest {},
        );
        // The chain's own mint and burn totals (the bank's, as the rewards query reports them).
        let amount = |c: &Option<ProtoCoin>| c.as_ref().map_or(0, |c| num(&c.amount));
        assert_eq!(
            (
                amount(&totals.supply),
                amount(&totals.minted),
                amount(&totals.burned)
            ),
            (supply, l.minted, l.burned),
            "height {h}: the chain's supply, minted and burned vs the events"
        );
        let t = totals.totals.unwrap();
        assert_eq!(
            num(&t.minted),
            l.minted,
            "height {h}: Totals.minted vs coinbase events"
        );
        assert_eq!(
            num(&t.minted),
            l.epoch_minted,
            "height {h}: Totals.minted vs epoch events"
        );
        assert_eq!(num(&t.to_validators), l.epoch_to_validators, "height {h}");

        // (c) the rewards account = buckets + Σ pending (every address that can earn is ours).
        let pools: rewards_pb::QueryPoolsResponse = self.query(
            "/depin.rewards.v1.Query/Pools",
            rewards_pb::QueryPoolsRequest {},
        );
        let pending: u128 = (0..ACCOUNTS)
            .map(|i| {
                let r: rewards_pb::QueryPendingResponse = self.query(
                    "/depin.rewards.v1.Query/Pending",
                    rewards_pb::QueryPendingRequest {
                        address: self.addr(i),
                    },
                );
                r.total.map_or(0, |c| num(&c.amount))
            })
            .sum();
        let rewards_balance = self.balance_of(&module(depin_rewards::REWARDS_MODULE_ACCOUNT));
        assert_eq!(
            rewards_balance,
            num(&pools.devices) + num(&pools.providers) + pending,
            "height {h}: rewards account vs buckets {} + {} + pending {pending}",
            pools.devices,
            pools.providers
        );
        assert_eq!(
            num(&t.paid_devices) + num(&t.paid_providers),
            num(&t.claimed) + pending,
            "height {h}: credited vs claimed + pending"
        );
        assert_eq!(num(&t.claimed), l.claimed, "height {h}: claims vs events");
        assert_eq!(
            (num(&t.paid_providers), num(&t.credits_minted)),
            (l.provider_rewarded, l.credits_minted),
            "height {h}: provider_rewarded and data_credits_minted events"
        );
        assert_eq!(
            num(&t.paid_devices),
            l.device_rewarded,
            "height {h}: device_rewarded events"
        );

        // (d) the emission to date is the schedule, recomputed from the params.
        self.check_schedule(&t);

        // (e) nobody withdrew more than validators were allocated, allocation never exceeds
        // what reached distribution, and the module accounts' books match the transfers.
        let withdrawn = l.withdrawn_rewards + l.withdrawn_commission;
        assert!(
            withdrawn * ONE <= l.allocated,
            "height {h}: withdrew {withdrawn} > allocated {} (10⁻¹⁸)",
            l.allocated
        );
        assert!(
            l.allocated <= l.collector_to_distribution * ONE,
            "height {h}: allocated {} > collected {}",
            l.allocated,
            l.collector_to_distribution
        );
        assert_eq!(l.rewards_to_collector, l.epoch_to_validators, "height {h}");
        for name in [
            depin_auth::FEE_COLLECTOR,
            depin_distribution::MODULE_ACCOUNT,
            depin_rewards::REWARDS_MODULE_ACCOUNT,
        ] {
            let a = module(name);
            let into = l.into.get(&a).copied().unwrap_or(0);
            let out = l.out_of.get(&a).copied().unwrap_or(0);
            let minted = if name == depin_rewards::REWARDS_MODULE_ACCOUNT {
                l.minted
            } else {
                0
            };
            let held = self.balance_of(&a) as i128;
            // The rewards account also burns what data credits are bought with.
            let burned = if name == depin_rewards::REWARDS_MODULE_ACCOUNT {
                num(&t.burned_for_credits)
            } else {
                0
            };
            assert_eq!(
                held,
                (into + minted) as i128 - (out + burned) as i128,
                "height {h}: {name} balance vs its transfers"
            );
            assert!(held >= 0);
        }
    }

    fn check_schedule(&self, t: &rewards_pb::Totals) {
        let h = self.driver.height();
        let params = rewards_params();
        let epoch: rewards_pb::QueryEpochResponse = self.query(
            "/depin.rewards.v1.Query/Epoch",
            rewards_pb::QueryEpochRequest {},
        );
        let current = epoch.epoch.unwrap().epoch;
        let mut records = Vec::new();
        let mut key = Vec::new();
        loop {
            let r: rewards_pb::QueryEmissionsResponse = self.query(
                "/depin.rewards.v1.Query/Emissions",
                rewards_pb::QueryEmissionsRequest {
                    pagination: Some(PageRequest {
                        key: key.clone(),
                        limit: 50,
                        ..Default::default()
                    }),
                },
            );
            records.extend(r.emissions);
            key = r.pagination.map(|p| p.next_key).unwrap_or_default();
            if key.is_empty() {
                break;
            }
        }
        assert_eq!(
            records.len() as u64,
            current,
            "height {h}: one record per past epoch"
        );
        let mut scheduled = 0u128;
        let mut minted = 0u128;
        for (e, r) in records.iter().enumerate() {
            let e = e as u64;
            assert_eq!(r.epoch, e, "height {h}: records in epoch order");
            // Halving: E0 >> ⌊e / H⌋; baseline: B × min(C, T) / T with a constant target.
            let base = params.initial_epoch_emission.u128() >> (e / params.halving_epochs);
            let b = params.baseline_epoch_emission.u128();
            let target = u128::from(params.baseline_target);
            let baseline = b * u128::from(r.capacity).min(target) / target;
            assert_eq!(num(&r.base), base, "height {h}: base of epoch {e}");
            assert_eq!(
                num(&r.baseline),
                baseline,
                "height {h}: baseline of epoch {e}"
            );
            assert_eq!(base, depin_rewards::schedule::base(&params, e).u128());
            assert_eq!(
                baseline,
                depin_rewards::schedule::baseline(&params, e, r.capacity).u128()
            );
            assert!(
                r.capacity <= self.devices.len() as u64,
                "height {h}: capacity {} with {} devices",
                r.capacity,
                self.devices.len()
            );
            assert!(num(&r.minted) <= base + baseline);
            scheduled += base + baseline;
            minted += num(&r.minted);
        }
        assert_eq!(minted, num(&t.minted), "height {h}: Σ records minted");
        assert_eq!(num(&t.scheduled), scheduled, "height {h}: Totals.scheduled");
        assert_eq!(
            num(&t.minted) + num(&t.capped),
            scheduled,
            "height {h}: minted + capped vs the schedule"
        );
    }
}

#[test]
fn all_modules_random_simulation() {
    let seed = std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2024u64);
    let blocks: u64 = std::env::var("SIM_BLOCKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    println!("sim_all: SIM_SEED={seed} SIM_BLOCKS={blocks}");
    let started = Instant::now();
    let mut sim = Sim::new(seed);
    for b in 0..blocks {
        sim.step(b == 0);
    }
    let t: rewards_pb::QueryTotalsResponse = sim.query(
        "/depin.rewards.v1.Query/Totals",
        rewards_pb::QueryTotalsRequest {},
    );
    let t = t.totals.unwrap();
    let l = &sim.ledger;
    println!(
        "sim_all: {} blocks, {} txs in {:.1?}; {} epochs minted {} (capped {}), devices paid {}, \
         providers paid {} (excess {}), claimed {}, withdrawn {} + commission {}, credits {}, \
         burned {}, slashes {}, {} devices, {} providers, {} orders, {} leases",
        sim.driver.height(),
        sim.txs,
        started.elapsed(),
        l.epochs,
        t.minted,
        t.capped,
        t.paid_devices,
        t.paid_providers,
        t.provider_excess,
        t.claimed,
        l.withdrawn_rewards,
        l.withdrawn_commission,
        t.credits_minted,
        l.burned,
        l.slashes,
        sim.devices.len(),
        sim.providers.len(),
        sim.orders.len(),
        sim.orders.iter().filter(|o| o.provider.is_some()).count(),
    );
    // Where the proposals ended (dropped and cancelled ones are gone from state).
    let mut outcomes = BTreeMap::<String, u64>::new();
    for status in 1..=5 {
        let r: cosmrs::proto::cosmos::gov::v1::QueryProposalsResponse = sim.query(
            "/cosmos.gov.v1.Query/Proposals",
            cosmrs::proto::cosmos::gov::v1::QueryProposalsRequest {
                proposal_status: status,
                ..Default::default()
            },
        );
        let name = cosmrs::proto::cosmos::gov::v1::ProposalStatus::try_from(status)
            .map(|s| {
                s.as_str_name()
                    .trim_start_matches("PROPOSAL_STATUS_")
                    .to_lowercase()
            })
            .unwrap_or_default();
        outcomes.insert(name, r.proposals.len() as u64);
    }
    println!(
        "sim_all: {} proposals: {outcomes:?}, the rest dropped or cancelled",
        sim.proposals
    );
    for (kind, (ok, refused)) in &sim.stats {
        println!("sim_all:   {kind:>20}: {ok:>4} accepted, {refused:>4} refused");
    }
    for ((kind, codespace, code), (n, log)) in &sim.refusals {
        println!("sim_all:   refused {kind} {codespace} {code} ×{n}: {log}");
    }
    if blocks < 300 {
        return;
    }
    // Something really happened.
    let min_epochs = blocks / 5 * 3 / 4;
    assert!(l.epochs >= min_epochs, "only {} epochs minted", l.epochs);
    assert!(num(&t.paid_devices) > 0, "no device rewards");
    assert!(num(&t.paid_providers) > 0, "no provider rewards");
    assert!(num(&t.claimed) > 0, "no claims");
    assert!(
        l.withdrawn_rewards > 0 && l.withdrawn_commission > 0,
        "no withdrawals"
    );
    assert!(num(&t.credits_minted) > 0, "no data credits");
    assert!(num(&t.capped) > 0, "max_supply never bound");
    assert!(sim.orders.iter().any(|o| o.provider.is_some()), "no lease");
}
