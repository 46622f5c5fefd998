//! Rewards and distribution end to end on a real four-validator localnet (issue #7), driven
//! through the `depind` CLI as operators and device owners would:
//! - short rewards epochs (10 blocks, halving every 3 epochs): every epoch mints exactly the
//!   schedule (`depin_rewards::schedule::base`) every `epoch_blocks` blocks, with the capacity
//!   the device sharings measured; the totals and the four buckets add up to the unit, and the
//!   bank supply grows by exactly what was minted (less the onboarding fee the registry burned);
//! - a device onboarded with `depind device keygen|sign ...` + `depind tx device onboard`, with
//!   a heartbeat in four device epochs of 8 blocks (one skipped in between): the test
//!   recomputes from the Emissions records what each device epoch's sharing holds and finds it
//!   in the `rewards_payout_finished` / `device_rewarded` events (the only device gets all of
//!   it), in the pending rewards, the device's earnings, the pools and the module account;
//!   `tx rewards claim` pays exactly the pending amount, the fee counted;
//! - a delegation earns distribution rewards, which the test recomputes block by block from
//!   the fee collector's balance, the commit's voting powers, the 2% tax and the commission
//!   (F1 with one period) and finds equal, to 10^-18, to the DelegationRewards query; a
//!   withdrawal (`tx distribution withdraw-rewards`) landing in a block that allocates nothing
//!   pays exactly their whole coins, the fee counted;
//! - the community pool holds at least the community bucket, the device pots nobody earned
//!   and the 2% tax on the validators' buckets allocated.

use std::time::{Duration, Instant};

use base64::Engine;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as dist;
use depin_device::client::DeviceSigner;
use depin_tests::cli::{attr, coin_amount, hex, module_account, num, tx_events, Events, DEC};
use depin_tests::localnet::Localnet;
use prost::Message;
use serde_json::{json, Value};
use tendermint::block::Height;
use tendermint_rpc::Client;

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const VALIDATORS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(90);
const DENOM: &str = "udepin";

/// Rewards: 10-block epochs, 1,000,003 udepin halved every 3 epochs, no supply cap.
const REWARDS_EPOCH_BLOCKS: u64 = 10;
const INITIAL_EMISSION: u128 = 1_000_003;
const HALVING_EPOCHS: u64 = 3;
/// Epochs minted before the checks (past the first halving).
const MIN_EMISSIONS: usize = 5;
/// Device epochs of 8 blocks, so that sharings and mints fall on different blocks.
const DEVICE_EPOCH_BLOCKS: u64 = 8;
/// Device epochs with a heartbeat.
const HEARTBEAT_EPOCHS: usize = 4;

const MAKER: &str = "acme";
const CLASS: &str = "hotspot";
/// The hotspot class's onboarding fee (default params), burned.
const ONBOARDING_FEE: u128 = 1_000_000;
/// Every transaction of the test: this gas limit and this fee (the minimum price 0.0025).
const GAS: u64 = 500_000;
const FEE: u128 = 1_250;
/// What the owner and the delegator receive from node0.
const OWNER_FUNDS: u128 = 20_000_000;
const DELEGATOR_FUNDS: u128 = 100_000_000;
const DELEGATION: u128 = 60_000_000;

/// Device and signer secrets (fixed: the run is reproducible).
const MAKER_SECRET: [u8; 32] = [0x4d; 32];
const DEVICE_SECRET: [u8; 32] = [0x5e; 32];
const OWNER_SECRET: [u8; 32] = [0x6f; 32];
const DELEGATOR_SECRET: [u8; 32] = [0x7a; 32];

/// A distribution decimal in 10^-18 units: "12.500000000000000000" (JSON) or
/// "12500000000000000000" (protobuf LegacyDec: no point, the integer of the units).
fn dec_units(s: &str) -> u128 {
    match s.split_once('.') {
        Some(_) => depin_tests::cli::dec_units(s),
        None => s.parse().expect("decimal"),
    }
}

fn dec_coins_units(coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin]) -> u128 {
    coins
        .iter()
        .filter(|c| c.denom == DENOM)
        .map(|c| dec_units(&c.amount))
        .sum()
}

/// `a × b` of two decimals in 10^-18 units, truncated (`b` below 3 × 10^20 units).
fn mul_dec_truncate(a: u128, b: u128) -> u128 {
    (a / DEC) * b + (a % DEC) * b / DEC
}

/// `a × b` of two decimals in 10^-18 units, rounded half to even (the SDK's `MulDec`).
fn mul_dec_half_even(a: u128, b: u128) -> u128 {
    let low = (a % DEC) * b;
    let q = (a / DEC) * b + low / DEC;
    let r = low % DEC;
    if r > DEC / 2 || (r == DEC / 2 && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

/// The test's own view of the chain: CLI calls through node0, whose keyring holds the owner's
/// and the delegator's keys.
struct Chain {
    net: Localnet,
}

impl Chain {
    fn query_at(&self, h: u64, args: &[&str]) -> Value {
        self.net.query_at(0, h, args)
    }

    fn query(&self, args: &[&str]) -> Value {
        self.query_at(0, args)
    }

    fn cli_json(&self, args: &[&str]) -> Value {
        self.net.cli_json(0, args)
    }

    /// `depind tx <args>` with the test's gas and fee, signed in node0's keyring, broadcast to
    /// node0 and waited for. Returns the result whatever its code (CheckTx refusals too).
    fn try_tx(&self, args: &[&str]) -> Value {
        self.net.tx_json(0, args, GAS, FEE)
    }

    /// As [`Chain::try_tx`], asserting it succeeded; returns (height, result).
    fn tx(&self, args: &[&str]) -> (u64, Value) {
        let r = self.try_tx(args);
        assert_eq!(r["code"], 0, "depind tx {args:?}: {r}");
        (num(&r["height"]) as u64, r)
    }

    /// The latest height whose state the application has surely committed.
    fn settled(&self) -> u64 {
        self.net.height(0).saturating_sub(1)
    }

    fn wait_height(&self, h: u64) {
        self.net.wait_height(0, h, TIMEOUT);
    }

    fn balance_at(&self, h: u64, address: &str) -> u128 {
        num(&self.query_at(h, &["bank", "balances", address, "--denom", DENOM])["amount"])
    }

    fn supply_at(&self, h: u64) -> u128 {
        num(&self.query_at(h, &["bank", "total-supply", "--denom", DENOM])["amount"])
    }

    fn abci<Resp: Message + Default>(&self, h: u64, path: &str, req: impl Message) -> Resp {
        self.net.abci_at(0, h, path, req)
    }

    /// A balance at height `h` by ABCI query (faster than the CLI for many heights).
    fn balance_abci_at(&self, h: u64, address: &str) -> u128 {
        self.net.balance_abci_at(0, h, address)
    }

    /// The rewards (10^-18 udepin) a delegation of `stake` to node `v`'s validator, started
    /// at height `start`, has at height `upto`, recomputed the way x/distribution v0.50 does
    /// from what the chain shows: each block `b` allocates the fee collector's balance after
    /// `b − 1` among the votes of `b − 1`'s commit (every validator of that height's set),
    /// 2% to the community pool (`V = F × 0.98`), the validator's share
    /// `V × trunc(power ÷ total)` truncated, its commission rounded half to even, the rest
    /// added to the current period; the delegation gets `stake × trunc(C ÷ tokens)`.
    /// Valid while nothing else changes the validator's period (no other delegation
    /// change, no slash) and its tokens stay `tokens`.
    fn expected_delegation_rewards(
        &self,
        v: usize,
        start: u64,
        upto: u64,
        stake: u128,
        tokens: u128,
        rate: u128,
    ) -> u128 {
        let net = &self.net;
        let fee_collector = module_account("fee_collector");
        let me = net.nodes[v].consensus_address.clone();
        let mut current = 0u128;
        for b in start + 1..=upto {
            let fees = self.balance_abci_at(b - 1, &fee_collector);
            if fees == 0 {
                continue;
            }
            let set = net.validators(0, b - 1);
            let total: u128 = set.iter().map(|(_, p)| u128::from(*p)).sum();
            let power = set
                .iter()
                .find(|(a, _)| *a == me)
                .map_or(0, |(_, p)| u128::from(*p));
            let after_tax = fees * DEC / 100 * 98;
            let fraction = power * DEC / total;
            let reward = mul_dec_truncate(after_tax, fraction);
            let commission = mul_dec_half_even(reward, rate);
            current += reward - commission;
        }
        let ratio = current / tokens;
        stake * ratio
    }

    /// A delegation's rewards at height `h`, in 10^-18 udepin.
    fn delegation_rewards_at(&self, h: u64, delegator: &str, valoper: &str) -> u128 {
        let r: dist::QueryDelegationRewardsResponse = self.abci(
            h,
            "/cosmos.distribution.v1beta1.Query/DelegationRewards",
            dist::QueryDelegationRewardsRequest {
                delegator_address: delegator.into(),
                validator_address: valoper.into(),
            },
        );
        dec_coins_units(&r.rewards)
    }

    /// The events of block `h`'s FinalizeBlock (begin and end block work): (type, attributes).
    fn block_events(&self, h: u64) -> Events {
        self.net.block_events(0, h)
    }

    /// Number of transactions in block `h`.
    fn txs_in(&self, h: u64) -> usize {
        let b = self
            .net
            .rt
            .block_on(self.net.rpc(0).block(Height::try_from(h).expect("height")))
            .unwrap_or_else(|e| panic!("/block?height={h}: {e}"));
        b.block.data.len()
    }
}

/// Short epochs for both modules, a simple halving schedule without cap, and the maker `acme`
/// allowed to attest hotspots.
fn patch_genesis(g: &mut Value) {
    let r = &mut g["app_state"]["rewards"]["params"];
    r["epoch_blocks"] = json!(REWARDS_EPOCH_BLOCKS.to_string());
    r["initial_epoch_emission"] = json!(INITIAL_EMISSION.to_string());
    r["decay"] = json!("DECAY_KIND_HALVING");
    r["halving_epochs"] = json!(HALVING_EPOCHS.to_string());
    r["max_supply"] = json!("0");
    let device = &mut g["app_state"]["device"];
    device["params"]["epoch_blocks"] = json!(DEVICE_EPOCH_BLOCKS.to_string());
    let maker = DeviceSigner::secp256k1(&MAKER_SECRET)
        .expect("maker key")
        .public_key();
    device["makers"] = json!([{
        "name": MAKER,
        "key": {
            "type": "KEY_TYPE_SECP256K1",
            "key": base64::engine::general_purpose::STANDARD.encode(&maker.key),
        },
        "allowed_classes": [CLASS],
        "device_quota": "10",
        "devices_onboarded": "0",
        "revoked": false,
        "revoked_height": "0",
    }]);
}

/// What the genesis file's bank balances add up to.
fn genesis_supply(net: &Localnet) -> u128 {
    let g: Value = serde_json::from_slice(
        &std::fs::read(net.nodes[0].home.join("config/genesis.json")).expect("genesis"),
    )
    .expect("genesis JSON");
    g["app_state"]["bank"]["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .flat_map(|b| b["coins"].as_array().expect("coins").iter())
        .filter(|c| c["denom"] == DENOM)
        .map(|c| num(&c["amount"]))
        .sum()
}

#[test]
fn emission_device_rewards_claims_and_delegator_withdrawals() {
    let started = Instant::now();
    let mut net = Localnet::generate(DEPIND, VALIDATORS, 0);
    net.patch_genesis(patch_genesis);
    let supply0 = genesis_supply(&net);
    for i in 0..VALIDATORS {
        net.start(i);
    }
    net.wait_height(0, 2, TIMEOUT);
    let owner = net.import_key(0, "owner", &OWNER_SECRET);
    let delegator = net.import_key(0, "delegator", &DELEGATOR_SECRET);
    let chain = Chain { net };
    let net = &chain.net;
    let node0 = net.nodes[0].key_name.clone();
    let valoper = net.nodes[1].valoper.clone();

    // Params as genesis set them; the schedule the chain reports is the library's.
    let params_json = chain.query(&["rewards", "params"])["params"].clone();
    let params: depin_rewards::Params =
        serde_json::from_value(params_json.clone()).expect("rewards params");
    assert_eq!(params.epoch_blocks, REWARDS_EPOCH_BLOCKS);
    assert_eq!(params.initial_epoch_emission.u128(), INITIAL_EMISSION);
    assert_eq!(params.decay, depin_rewards::DecayKind::Halving);
    let schedule = chain.query(&["rewards", "schedule", "--count", "7"]);
    for (e, s) in schedule["epochs"]
        .as_array()
        .expect("epochs")
        .iter()
        .enumerate()
    {
        assert_eq!(num(&s["epoch"]), e as u128);
        let base = depin_rewards::schedule::base(&params, e as u64).u128();
        assert_eq!(num(&s["base"]), base, "schedule {s}");
        assert_eq!(num(&s["minted"]), base, "schedule {s}");
    }
    // Halving every 3 epochs: E0, E0, E0, E0 >> 1, ...
    assert_eq!(
        depin_rewards::schedule::base(&params, 3).u128(),
        INITIAL_EMISSION >> 1
    );

    // The owner and the delegator get funds from node0.
    for (to, amount) in [
        (&owner.address, OWNER_FUNDS),
        (&delegator.address, DELEGATOR_FUNDS),
    ] {
        chain.tx(&["bank", "send", &node0, to, &format!("{amount}{DENOM}")]);
    }

    // Onboarding, all through the CLI: the device key, the maker's attestation, the device's
    // proof of possession, then the owner's transaction (the onboarding fee is burned).
    let device = chain.cli_json(&[
        "device",
        "keygen",
        "--type",
        "secp256k1",
        "--secret",
        &hex(&DEVICE_SECRET),
    ]);
    let device_secret = device["secret"].as_str().expect("secret").to_string();
    let device_key = device["public_key"].as_str().expect("key").to_string();
    let device_id = device["device_id"].as_str().expect("id").to_string();
    let attestation = chain.cli_json(&[
        "device",
        "sign",
        "attestation",
        "--maker-secret",
        &format!("secp256k1:{}", hex(&MAKER_SECRET)),
        "--device-key",
        &device_key,
        "--class",
        CLASS,
        "--serial",
        "SN-R1",
    ]);
    let possession = chain.cli_json(&[
        "device",
        "sign",
        "possession",
        "--device-secret",
        &device_secret,
        "--owner",
        &owner.address,
        "--nonce",
        "1",
    ]);
    let cell = h3o::LatLng::new(48.8566, 2.3522)
        .expect("lat lng")
        .to_cell(h3o::Resolution::Ten);
    let (onboarded_at, _) = chain.tx(&[
        "device",
        "onboard",
        "--maker",
        MAKER,
        "--class",
        CLASS,
        "--serial",
        "SN-R1",
        "--device-key",
        &device_key,
        "--attestation",
        attestation["signature"].as_str().expect("signature"),
        "--nonce",
        "1",
        "--possession",
        possession["signature"].as_str().expect("signature"),
        "--h3-cell",
        &format!("{:x}", u64::from(cell)),
        "--from",
        "owner",
    ]);
    let got = chain.query(&["device", "device", &device_id]);
    assert_eq!(got["device"]["owner"], owner.address.as_str(), "{got}");

    // The delegation (to node1's validator).
    let (delegated_at, _) = chain.tx(&[
        "staking",
        "delegate",
        &valoper,
        &format!("{DELEGATION}{DENOM}"),
        "--from",
        "delegator",
    ]);
    eprintln!("onboarded at {onboarded_at}, delegated at {delegated_at}");

    // Heartbeats, one per device epoch, each signed for the epoch the next block runs in and
    // sent early enough in it; one that lands in the next epoch anyway (code 25) is signed
    // again. Records (epoch, its last height) of the epochs the device worked in.
    let mut worked: Vec<(u64, u64)> = Vec::new();
    let mut counter = 0u64;
    while worked.len() < HEARTBEAT_EPOCHS {
        let e = chain.query(&["device", "epoch"]);
        let (epoch, end) = (num(&e["epoch"]) as u64, num(&e["end_height"]) as u64);
        let latest = num(&e["next_block_epoch"]) as u64;
        let height = net.height(0);
        // After two epochs worked, one is skipped: its sharing finds no work.
        let next = worked
            .last()
            .map_or(0, |(w, _)| w + if worked.len() == 2 { 2 } else { 1 });
        if latest != epoch || epoch < next || height + 3 > end {
            std::thread::sleep(Duration::from_millis(150));
            continue;
        }
        counter += 1;
        let beat = chain.cli_json(&[
            "device",
            "sign",
            "heartbeat",
            "--device-secret",
            &device_secret,
            "--device-id",
            &device_id,
            "--epoch",
            &epoch.to_string(),
            "--counter",
            &counter.to_string(),
            "--payload",
            &format!("reading {counter}"),
        ]);
        let r = chain.try_tx(&[
            "device",
            "heartbeat",
            &device_id,
            "--epoch",
            &epoch.to_string(),
            "--counter",
            &counter.to_string(),
            "--payload-hash",
            beat["payload_hash"].as_str().expect("hash"),
            "--signature",
            beat["signature"].as_str().expect("signature"),
            "--from",
            "owner",
        ]);
        match r["code"].as_u64() {
            Some(0) => {
                let at = num(&r["height"]) as u64;
                assert!(
                    at <= end,
                    "heartbeat for epoch {epoch} at {at} (ends {end})"
                );
                worked.push((epoch, end));
            }
            // WrongEpoch: the counter is spent only when counted; sign again.
            Some(25) => counter -= 1,
            _ => panic!("heartbeat refused: {r}"),
        }
    }
    eprintln!("device worked in epochs {worked:?}");
    let contributions = chain.query(&["device", "contributions", &device_id]);
    let recorded: Vec<u64> = contributions["contributions"]
        .as_array()
        .expect("contributions")
        .iter()
        .map(|c| num(&c["epoch"]) as u64)
        .collect();
    assert_eq!(
        recorded,
        worked.iter().map(|w| w.0).collect::<Vec<_>>(),
        "{contributions}"
    );

    // Wait for the sharing of the last epoch worked (the block after its end) and for enough
    // rewards epochs; H is the height every check reads.
    let (last_worked, last_end) = *worked.last().unwrap();
    chain.wait_height(last_end + 2);
    let mut h = 0;
    net.wait_until(
        &format!("{MIN_EMISSIONS} rewards epochs minted"),
        TIMEOUT,
        |_| {
            h = chain.settled();
            chain.query_at(h, &["rewards", "emissions", "--limit", "100"])["emissions"]
                .as_array()
                .map_or(0, Vec::len)
                >= MIN_EMISSIONS
        },
    );
    assert!(h > last_end);

    // 1. Emissions: each epoch minted exactly the schedule, one every `epoch_blocks` blocks.
    let emissions: Vec<Value> = chain.query_at(h, &["rewards", "emissions", "--limit", "100"])
        ["emissions"]
        .as_array()
        .expect("emissions")
        .clone();
    assert!(emissions.len() >= MIN_EMISSIONS, "{emissions:?}");
    let mut mints: Vec<(u64, u128)> = Vec::new(); // (height, minted)
    for (i, rec) in emissions.iter().enumerate() {
        let e = i as u64;
        assert_eq!(num(&rec["epoch"]), u128::from(e), "{rec}");
        let base = depin_rewards::schedule::base(&params, e).u128();
        assert_eq!(num(&rec["base"]), base, "epoch {e}: {rec}");
        assert_eq!(num(&rec["baseline"]), 0, "epoch {e}: {rec}");
        assert_eq!(num(&rec["minted"]), base, "epoch {e}: {rec}");
        let height = num(&rec["height"]) as u64;
        if let Some((prev, _)) = mints.last() {
            assert_eq!(height - prev, REWARDS_EPOCH_BLOCKS, "epoch {e}: {rec}");
        } else {
            assert!(
                (REWARDS_EPOCH_BLOCKS..=REWARDS_EPOCH_BLOCKS + 1).contains(&height),
                "epoch 0 minted at {height}"
            );
        }
        // The capacity measured: the devices of the last device epoch shared before this
        // block (a sharing in the same block comes after the mint).
        let shared_epoch = (height - 2 + (last_worked + 1) * DEVICE_EPOCH_BLOCKS)
            .checked_sub(last_end)
            .map(|x| x / DEVICE_EPOCH_BLOCKS)
            .and_then(|x| x.checked_sub(1));
        let capacity = shared_epoch.map_or(0, |s| u128::from(worked.iter().any(|(w, _)| *w == s)));
        assert_eq!(num(&rec["capacity"]), capacity, "epoch {e}: {rec}");
        mints.push((height, base));
        // The event of that block says the same, with the four buckets.
        let events = chain.block_events(height);
        let minted: Vec<_> = events
            .iter()
            .filter(|(k, _)| k == "rewards_epoch_minted")
            .collect();
        assert_eq!(minted.len(), 1, "block {height}: {events:?}");
        let a = &minted[0].1;
        assert_eq!(attr(a, "epoch"), e.to_string());
        assert_eq!(coin_amount(attr(a, "minted")), base);
        let [v, d, p, c] = depin_rewards::schedule::buckets(&params, base.into()).map(|x| x.u128());
        assert_eq!(v + d + p + c, base);
        assert_eq!(coin_amount(attr(a, "to_validators")), v);
        assert_eq!(coin_amount(attr(a, "to_devices")), d);
        assert_eq!(coin_amount(attr(a, "to_providers")), p);
        assert_eq!(coin_amount(attr(a, "to_community")), c);
    }
    let buckets =
        |minted: u128| depin_rewards::schedule::buckets(&params, minted.into()).map(|x| x.u128());
    let minted_total: u128 = mints.iter().map(|m| m.1).sum();
    let sum_bucket = |i: usize, upto: u64| -> u128 {
        mints
            .iter()
            .filter(|(at, _)| *at <= upto)
            .map(|(_, m)| buckets(*m)[i])
            .sum()
    };
    let totals_resp = chain.query_at(h, &["rewards", "totals"]);
    let totals = &totals_resp["totals"];
    assert_eq!(num(&totals["minted"]), minted_total, "{totals}");
    assert_eq!(num(&totals["scheduled"]), minted_total, "{totals}");
    assert_eq!(num(&totals["capped"]), 0, "{totals}");
    for (i, name) in [
        "to_validators",
        "to_devices",
        "to_providers",
        "to_community",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(num(&totals[*name]), sum_bucket(i, h), "{name}: {totals}");
    }

    // 2. Supply: genesis plus what was minted, less the burned onboarding fee.
    let supply = chain.supply_at(h);
    assert_eq!(supply, supply0 + minted_total - ONBOARDING_FEE);
    // The supply just before the first mint and at it differ by exactly that mint.
    let (m0, first) = mints[0];
    assert_eq!(chain.supply_at(m0) - chain.supply_at(m0 - 1), first);
    // The chain-wide figures of the Totals query: everything minted is the emission,
    // everything burned the onboarding fee.
    assert_eq!(
        num(&totals_resp["supply"]["amount"]),
        supply,
        "{totals_resp}"
    );
    assert_eq!(num(&totals_resp["minted"]["amount"]), minted_total);
    assert_eq!(num(&totals_resp["burned"]["amount"]), ONBOARDING_FEE);

    // 3. The device bucket, shared for each device epoch in the block after it ends. The
    //    test recomputes from the Emissions records what each sharing holds: each mint's
    //    device share vests over the next `epoch_blocks` blocks (⌈left ÷ epoch_blocks⌉ a
    //    block) into the pot of the device epoch running then, and a pot nobody worked for
    //    goes to the community pool. Being the only device, it gets all of what the sharing
    //    of an epoch it worked in holds.
    let first_start = last_end + 1 - DEVICE_EPOCH_BLOCKS;
    let device_epoch = |height: u64| -> u64 {
        let offset = (height as i64 - first_start as i64).div_euclid(DEVICE_EPOCH_BLOCKS as i64);
        (last_worked as i64 + offset) as u64
    };
    let shared_at = |epoch: u64| last_end + 1 - (last_worked - epoch) * DEVICE_EPOCH_BLOCKS;
    let mut shares: Vec<(u64, u64, u128)> = Vec::new(); // (epoch, sharing height, amount)
    let mut devices_to_community = 0u128;
    {
        let mut pots = std::collections::BTreeMap::<u64, u128>::new();
        let (mut left, mut per_block) = (0u128, 0u128);
        let mut epoch = device_epoch(1);
        for height in 1..=shared_at(last_worked) {
            if let Some((_, minted)) = mints.iter().find(|(m, _)| *m == height) {
                let d = buckets(*minted)[1];
                left += d;
                per_block = left.div_ceil(u128::from(REWARDS_EPOCH_BLOCKS));
            }
            if left > 0 {
                let vested = per_block.max(1).min(left);
                left -= vested;
                *pots.entry(device_epoch(height)).or_default() += vested;
            }
            if height == shared_at(epoch) {
                let amount = pots.remove(&epoch).unwrap_or(0);
                if !worked.iter().any(|(w, _)| *w == epoch) {
                    devices_to_community += amount;
                }
                shares.push((epoch, height, amount));
                epoch += 1;
            }
        }
    }
    let mut paid_total = 0u128;
    let mut last_paid = (0, 0);
    for &(epoch, at, amount) in &shares {
        let did_work = worked.iter().any(|(w, _)| *w == epoch);
        let events = chain.block_events(at);
        let rewarded: Vec<_> = events
            .iter()
            .filter(|(k, _)| k == "device_rewarded")
            .map(|(_, a)| a)
            .collect();
        let finished: Vec<_> = events
            .iter()
            .filter(|(k, a)| {
                k == "rewards_payout_finished"
                    && a.iter().any(|(k, v)| k == "bucket" && v == "devices")
            })
            .map(|(_, a)| a)
            .collect();
        assert_eq!(finished.len(), 1, "block {at}: {events:?}");
        assert_eq!(attr(finished[0], "epoch"), epoch.to_string());
        assert_eq!(
            coin_amount(attr(finished[0], "amount")),
            amount,
            "device epoch {epoch} shared at {at}: {events:?}"
        );
        if did_work && amount > 0 {
            assert_eq!(rewarded.len(), 1, "block {at}: {events:?}");
            assert_eq!(attr(rewarded[0], "device_id"), device_id);
            assert_eq!(attr(rewarded[0], "owner"), owner.address);
            assert_eq!(attr(rewarded[0], "epoch"), epoch.to_string());
            assert_eq!(coin_amount(attr(rewarded[0], "amount")), amount);
            assert_eq!(coin_amount(attr(finished[0], "paid")), amount);
            assert_eq!(attr(finished[0], "records"), "1");
            paid_total += amount;
            last_paid = (epoch, amount);
        } else {
            assert!(rewarded.is_empty(), "block {at}: {events:?}");
            assert_eq!(coin_amount(attr(finished[0], "paid")), 0);
            let records = if did_work { "1" } else { "0" };
            assert_eq!(attr(finished[0], "records"), records);
        }
        if amount > 0 || did_work {
            eprintln!(
                "device epoch {epoch} ({}) shared at height {at}: {amount}{DENOM}",
                if did_work { "worked" } else { "no work" }
            );
        }
    }
    assert!(paid_total > 0);
    assert_eq!(
        num(&totals["devices_to_community"]),
        devices_to_community,
        "{totals}"
    );
    let pending = chain.query_at(h, &["rewards", "pending", &owner.address]);
    assert_eq!(
        num(&pending["pending"]["from_devices"]),
        paid_total,
        "{pending}"
    );
    assert_eq!(num(&pending["pending"]["from_providers"]), 0, "{pending}");
    assert_eq!(num(&pending["total"]["amount"]), paid_total, "{pending}");
    assert_eq!(num(&totals["paid_devices"]), paid_total, "{totals}");
    let earned = chain.query_at(h, &["rewards", "device", &device_id]);
    assert_eq!(num(&earned["rewards"]["earned"]), paid_total, "{earned}");
    assert_eq!(
        (
            num(&earned["rewards"]["last_epoch"]) as u64,
            num(&earned["rewards"]["last_amount"])
        ),
        last_paid,
        "{earned}"
    );
    // The device bucket holds what was minted into it and neither paid nor sent to the
    // community pool; the provider bucket (no marketplace usage) its whole share.
    let pools = chain.query_at(h, &["rewards", "pools"]);
    assert_eq!(
        num(&pools["devices"]),
        sum_bucket(1, h) - paid_total - devices_to_community,
        "{pools}"
    );
    assert_eq!(num(&pools["providers"]), sum_bucket(2, h), "{pools}");
    // The module account holds exactly the buckets and the unclaimed rewards.
    let rewards_account = module_account("rewards");
    assert_eq!(
        chain.balance_at(h, &rewards_account),
        sum_bucket(1, h) + sum_bucket(2, h) - devices_to_community
    );

    // 4. The claim pays exactly the pending rewards (no sharing pays the device any more: it
    //    stopped working), less the fee.
    let (claimed_at, r) = chain.tx(&["rewards", "claim", "--from", "owner"]);
    let before = chain.balance_at(claimed_at - 1, &owner.address);
    let after = chain.balance_at(claimed_at, &owner.address);
    assert_eq!(after, before + paid_total - FEE);
    let claimed = tx_events(&r, "rewards_claimed");
    assert_eq!(claimed.len(), 1, "{r}");
    assert_eq!(coin_amount(attr(&claimed[0], "amount")), paid_total);
    assert_eq!(attr(&claimed[0], "claimant"), owner.address);
    let pending = chain.query_at(claimed_at, &["rewards", "pending", &owner.address]);
    assert_eq!(num(&pending["total"]["amount"]), 0, "{pending}");
    let totals = chain.query_at(claimed_at, &["rewards", "totals"])["totals"].clone();
    assert_eq!(num(&totals["claimed"]), paid_total, "{totals}");
    eprintln!("claimed {paid_total}{DENOM} at height {claimed_at}");

    // 5. Delegator rewards: positive, and a withdrawal pays their whole coins. The block the
    //    withdrawal lands in must allocate nothing (an empty fee collector before it: no
    //    transaction and no mint in the block before), so that the rewards queried at the block
    //    before are exactly what it pays; otherwise it is tried again.
    let validator = chain.query(&["staking", "validator", &valoper])["validator"].clone();
    let tokens = num(&validator["tokens"]);
    assert_eq!(tokens, 100_000_000 + DELEGATION, "{validator}");
    assert_eq!(
        dec_units(validator["delegator_shares"].as_str().expect("shares")),
        tokens * DEC,
        "{validator}"
    );
    let rate = dec_units(
        validator["commission"]["commission_rates"]["rate"]
            .as_str()
            .expect("rate"),
    );
    let mut withdrawn = None;
    let mut start = delegated_at;
    for attempt in 0..4 {
        net.wait_until("delegator rewards", TIMEOUT, |_| {
            let at = chain.settled();
            chain.delegation_rewards_at(at, &delegator.address, &valoper) >= DEC
        });
        // Stay clear of mints: the withdrawal lands in one of the next blocks, and the block
        // before it must not be a mint (whose validators' bucket the next block allocates).
        net.wait_until("a block far from a mint", TIMEOUT, |_| {
            let next =
                num(&chain.query(&["rewards", "epoch"])["epoch"]["next_epoch_height"]) as u64;
            let now = net.height(0);
            now > next - REWARDS_EPOCH_BLOCKS + 1 && next > now + 3
        });
        if attempt == 0 {
            let listed = chain.query(&["distribution", "rewards", &delegator.address]);
            eprintln!("depind query distribution rewards: {listed}");
            let total = listed["total"]
                .as_array()
                .and_then(|t| t.iter().find(|c| c["denom"] == DENOM))
                .map_or(0, |c| dec_units(c["amount"].as_str().unwrap_or("0")));
            assert!(total > 0, "{listed}");
        }
        let (at, result) = chain.tx(&[
            "distribution",
            "withdraw-rewards",
            &valoper,
            "--from",
            "delegator",
        ]);
        let queried = chain.delegation_rewards_at(at - 1, &delegator.address, &valoper);
        let expected =
            chain.expected_delegation_rewards(1, start, at - 1, DELEGATION, tokens, rate);
        assert_eq!(
            queried,
            expected,
            "rewards of the delegation from {start} to {}",
            at - 1
        );
        start = at;
        let before = chain.balance_at(at - 1, &delegator.address);
        let after = chain.balance_at(at, &delegator.address);
        let events = tx_events(&result, "withdraw_rewards");
        assert_eq!(events.len(), 1, "{result}");
        let paid = coin_amount(attr(&events[0], "amount"));
        assert_eq!(after + FEE, before + paid, "withdrawal at {at}");
        assert_eq!(
            chain.delegation_rewards_at(at, &delegator.address, &valoper),
            0,
            "rewards restart at the withdrawal"
        );
        let fee_collector = module_account("fee_collector");
        let to_allocate = chain.balance_at(at - 1, &fee_collector);
        eprintln!(
            "withdrawal at {at}: queried {queried} (1e-18), paid {paid}, fee collector before {to_allocate}, txs in the block before {}",
            chain.txs_in(at - 1)
        );
        if to_allocate == 0 {
            assert_eq!(paid, queried / DEC, "withdrawal at {at}");
            assert!(paid > 0);
            withdrawn = Some((at, paid));
            break;
        }
        assert!(paid >= queried / DEC, "withdrawal at {at}");
    }
    let (withdrawn_at, paid) =
        withdrawn.expect("no withdrawal landed in a block without allocation");

    // 6. The community pool holds at least the community bucket and the 2% tax on every
    //    validators' bucket allocated so far (allocated the block after its mint).
    let h2 = chain.settled();
    let totals = chain.query_at(h2, &["rewards", "totals"])["totals"].clone();
    let allocated: u128 = mints
        .iter()
        .filter(|(m, _)| *m < h2)
        .map(|(_, minted)| buckets(*minted)[0])
        .sum();
    let grpc = format!("http://127.0.0.1:{}", net.nodes[0].grpc_port);
    let pool = net.rt.block_on(async {
        let mut c = dist::query_client::QueryClient::connect(grpc)
            .await
            .expect("gRPC connect");
        c.community_pool(dist::QueryCommunityPoolRequest {})
            .await
            .expect("gRPC community pool")
            .into_inner()
            .pool
    });
    let pool = dec_coins_units(&pool);
    let floor = (num(&totals["to_community"]) + num(&totals["devices_to_community"])) * DEC
        + allocated * DEC / 50;
    assert!(
        pool >= floor,
        "community pool {pool} below {floor} (1e-18 udepin)"
    );

    eprintln!(
        "rewards e2e: {} epochs minted {minted_total}{DENOM} by height {h}; device paid {paid_total}{DENOM}; delegator withdrew {paid}{DENOM} at {withdrawn_at}; community pool {}.{:018}{DENOM}; {:.1}s",
        mints.len(),
        pool / DEC,
        pool % DEC,
        started.elapsed().as_secs_f64()
    );
}
