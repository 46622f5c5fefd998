//! Proof of stake end to end on a real localnet: four validators made by `depind testnet`
//! (four cometbft + four depind processes) and a fifth, unbonded node. In order:
//! - a delegation changes the validator's power in CometBFT's `/validators` within two blocks;
//! - the fifth node becomes a validator by MsgCreateValidator, joins the set and signs;
//! - a validator stopped past the downtime window is jailed and slashed while the others keep
//!   producing blocks; after MsgUnjail it is back in the set and signs again;
//! - rounds of kill -9 of a random validator at a random moment, restarted each time: it
//!   catches up, and every node reports the same app hash at every height.
//!
//! One network serves all four stories (start-up dominates their cost). The random choices
//! come from E2E_SEED, or the clock; the seed is printed so a failing run can be repeated.

use std::time::Duration;

use depin_tests::localnet::Localnet;
use serde_json::{json, Value};

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const VALIDATORS: usize = 4;
/// Each genesis validator's self delegation (power 100).
const STAKE: u128 = 100_000_000;
/// Downtime: jailed after missing more than half of a 20-block window.
const WINDOW: u64 = 20;
const JAIL_SECONDS: u64 = 4;
const TIMEOUT: Duration = Duration::from_secs(90);

/// xorshift64*: enough randomness for choosing victims and moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn validator(net: &Localnet, i: usize) -> Value {
    net.query(0, &["staking", "validator", &net.nodes[i].valoper])["validator"].clone()
}

fn tokens(v: &Value) -> u128 {
    v["tokens"].as_str().unwrap().parse().unwrap()
}

/// Waits until node `i`'s consensus key has signed some block after `after`.
fn wait_signs(net: &Localnet, i: usize, after: u64) -> u64 {
    let address = net.nodes[i].consensus_address.clone();
    let mut h = after + 1;
    let start = std::time::Instant::now();
    loop {
        net.wait_height(0, h + 1, TIMEOUT);
        if net.signers(0, h).contains(&address) {
            return h;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "node{i} ({address}) signed no block from {} to {h}; logs:\n{}",
            after + 1,
            net.logs()
        );
        h += 1;
    }
}

#[test]
fn four_validators_delegate_join_get_jailed_unjail_and_survive_crashes() {
    let seed = std::env::var("E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("E2E_SEED={seed}");
    let mut rng = Rng(seed);

    let mut net = Localnet::generate(DEPIND, VALIDATORS, 1);
    net.patch_genesis(|g| {
        let p = &mut g["app_state"]["slashing"]["params"];
        p["signed_blocks_window"] = json!(WINDOW.to_string());
        p["min_signed_per_window"] = json!("0.500000000000000000");
        p["downtime_jail_duration"] = json!(format!("{JAIL_SECONDS}s"));
        p["slash_fraction_downtime"] = json!("0.010000000000000000");
    });
    for i in 0..net.nodes.len() {
        net.start(i);
    }
    net.wait_height(0, 3, TIMEOUT);
    let genesis_set = net.validators(0, 1);
    assert_eq!(genesis_set.len(), VALIDATORS);
    for n in &net.nodes[..VALIDATORS] {
        assert_eq!(net.power(0, 1, &n.consensus_address), 100);
    }

    // 1. A delegation changes power within two blocks: the update FinalizeBlock returns at
    //    height h is CometBFT's set at h + 2.
    let h = net.tx(
        1,
        1,
        &[
            "staking",
            "delegate",
            &net.nodes[0].valoper.clone(),
            "50000000udepin",
        ],
    );
    net.wait_height(0, h + 2, TIMEOUT);
    let addr0 = net.nodes[0].consensus_address.clone();
    assert_eq!(net.power(0, h, &addr0), 100);
    assert_eq!(net.power(0, h + 2, &addr0), 150);
    assert_eq!(tokens(&validator(&net, 0)), 150_000_000);

    // 2. The fifth node (synced as a full node) creates its validator with its own consensus
    //    key, joins the set, and signs.
    let newcomer = VALIDATORS;
    let addr4 = net.nodes[newcomer].consensus_address.clone();
    assert_eq!(net.power(0, net.height(0), &addr4), 0);
    let h = net.tx(
        newcomer,
        newcomer,
        &[
            "staking",
            "create-validator",
            "--amount",
            "60000000udepin",
            "--moniker",
            "newcomer",
        ],
    );
    net.wait_height(0, h + 2, TIMEOUT);
    assert_eq!(net.power(0, h + 2, &addr4), 60);
    assert_eq!(validator(&net, newcomer)["status"], "BOND_STATUS_BONDED");
    let signed = wait_signs(&net, newcomer, h + 1);
    eprintln!("the new validator signed block {signed}");

    // 3. Downtime: node 3 stops; once it has missed more than half of a window it is jailed
    //    and slashed 1%, and leaves the set, while the others go on.
    let victim = 3;
    let addr3 = net.nodes[victim].consensus_address.clone();
    let before = tokens(&validator(&net, victim));
    assert_eq!(before, STAKE);
    net.kill(victim);
    let stopped_at = net.height(0);
    net.wait_until("node3 jailed for downtime", TIMEOUT, |net| {
        validator(net, victim)["jailed"] == true
    });
    let jailed = validator(&net, victim);
    assert_eq!(tokens(&jailed), STAKE - STAKE / 100, "slashed 1%: {jailed}");
    let jailed_at = net.height(0);
    assert!(
        jailed_at > stopped_at + WINDOW / 2,
        "jailed at {jailed_at}, stopped at {stopped_at}"
    );
    net.wait_height(0, jailed_at + 3, TIMEOUT);
    assert_eq!(net.power(0, jailed_at + 3, &addr3), 0);
    let info = net.query(0, &["slashing", "signing-info", &valcons(&net, victim)]);
    assert!(
        info["val_signing_info"]["jailed_until"].as_str().is_some(),
        "{info}"
    );

    // Back up: it catches up, waits out the jail, and MsgUnjail returns it (power 99) to the
    // set, where it signs again.
    net.start(victim);
    let target = net.height(0);
    net.wait_height(victim, target, TIMEOUT);
    std::thread::sleep(Duration::from_secs(JAIL_SECONDS + 1));
    let h = net.tx(victim, 0, &["slashing", "unjail"]);
    net.wait_height(0, h + 2, TIMEOUT);
    assert_eq!(net.power(0, h + 2, &addr3), 99);
    assert_eq!(validator(&net, victim)["jailed"], false);
    wait_signs(&net, victim, h + 1);

    // 4. kill -9 of a random validator at a random moment, several rounds, while transfers
    //    go through the others. Each comes back, catches up, and the chain never stops.
    let payee = net.nodes[newcomer].key_address.clone();
    for round in 0..5 {
        let i = rng.below(VALIDATORS as u64) as usize;
        let other = (i + 1 + rng.below(VALIDATORS as u64 - 1) as usize) % VALIDATORS;
        std::thread::sleep(Duration::from_millis(rng.below(1_500)));
        let at = net.tip();
        net.kill(i);
        eprintln!("round {round}: killed node{i} at height {at}");
        let key = net.nodes[other].key_name.clone();
        net.tx_with(other, other, &["bank", "send", &key, &payee, "1000udepin"]);
        std::thread::sleep(Duration::from_millis(rng.below(1_500)));
        net.start(i);
        let target = net.height(other);
        net.wait_height(i, target + 1, TIMEOUT);
    }

    // Every node (the four, and the validator that joined) has the same header app hash at
    // every height, and its application's own state (ABCI Info) is the one those headers
    // record.
    let top = (0..net.nodes.len()).map(|i| net.height(i)).min().unwrap();
    assert!(top > 20, "only {top} blocks");
    let reference = net.app_hashes(0, top);
    for i in 1..net.nodes.len() {
        let hashes = net.app_hashes(i, top);
        for (h, (a, b)) in reference.iter().zip(&hashes).enumerate() {
            assert_eq!(a, b, "node{i} and node0 differ at height {}", h + 1);
        }
    }
    for i in 0..net.nodes.len() {
        let (height, hash) = net.app_info(i);
        net.wait_height(0, height + 1, TIMEOUT);
        let header = net.app_hashes(0, height + 1).pop().unwrap();
        assert_eq!(hash, header, "node{i}'s app at height {height}");
    }
    eprintln!(
        "{top} heights, same app hash on all {} nodes",
        net.nodes.len()
    );
}

/// Node `i`'s consensus address in bech32 (`depinvalcons1...`), as slashing queries name it.
fn valcons(net: &Localnet, i: usize) -> String {
    let hex = &net.nodes[i].consensus_address;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|k| u8::from_str_radix(&hex[k..k + 2], 16).expect("hex"))
        .collect();
    let prefix = format!("{}valcons", depin_simapp::ADDRESS_PREFIX);
    depin_app::address::AddressCodec::new(&prefix).encode(&bytes)
}
