//! Genesis presets: the four networks that inspired depin-sdk, each as the module set it uses
//! and the genesis parameters that give it its shape. `depind init --preset <name>` and
//! `depind testnet --preset <name>` apply one to the default app state; `depind preset list`
//! and `depind preset show <name>` print them.
//!
//! A preset changes parameters only: the binary composes every module, and modules a network
//! does not use simply hold no state (no makers, orders or deals). A chain builder who wants
//! only the modules of one network composes them in their own app (docs/BUILD-YOUR-DEPIN.md).
//!
//! Amounts are in udepin (10⁶ udepin = 1 DEPIN); block counts assume ~6 s blocks.

use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};

/// One network shape.
pub struct Preset {
    /// What `--preset` takes.
    pub name: &'static str,
    /// The network it models.
    pub network: &'static str,
    /// The modules the network's story uses beyond [`BASE`], the ones every chain stands on.
    pub modules: &'static [&'static str],
    /// One paragraph: what the parameters say.
    pub summary: &'static str,
    edit: fn(&mut Value) -> Result<()>,
}

/// Modules every network stands on: accounts, tokens, proof of stake, governance, upgrades.
pub const BASE: [&str; 7] = [
    "auth",
    "bank",
    "staking",
    "slashing",
    "distribution",
    "gov",
    "upgrade",
];

/// The presets, in the order the README's table lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "iot",
        network: "IoT coverage network (Helium-style)",
        modules: &["device", "rewards"],
        summary: "Hotspots (coverage class, H3 location required, 40 DEPIN onboarding and \
                  10 DEPIN location fees, payable in data credits) prove coverage with \
                  heartbeats, beacons and witnesses; witnesses weigh most. Emission halves \
                  every 17,520 hourly epochs (about two years); 70% goes to devices by verified \
                  coverage, scaled down in crowded hexes, 10% to validators, 20% to the community \
                  pool. Tokens burn into data credits at 100 credits per udepin.",
        edit: iot,
    },
    Preset {
        name: "compute",
        network: "compute marketplace (Akash-style)",
        modules: &["device", "market", "rewards"],
        summary: "Providers post 100 DEPIN of collateral, carry attributes signed by auditors \
                  and bid (5 DEPIN deposit) on tenants' orders; accepted bids become leases paid \
                  block by block from the tenant's escrow. The network takes 4% of every payment \
                  into the community pool. Emission decays exponentially (halving in about a \
                  year); 50% to validators, 40% to providers by what tenants paid them, 10% to \
                  the community pool.",
        edit: compute,
    },
    Preset {
        name: "storage",
        network: "storage network (Filecoin-style)",
        modules: &["device", "market", "rewards"],
        summary: "Clients propose storage deals that providers accept with collateral; every \
                  proving period of 50 blocks brings 8 random chunk challenges, a missed proof \
                  costs the provider 10% of the deal's collateral paid to the client, 3 in a row \
                  terminate the deal. Emission is simple minting (exponential decay) plus \
                  Filecoin's baseline minting against a growing capacity target; 40% to \
                  providers by payments, 30% to storage devices, 20% to validators, 10% to the \
                  community pool.",
        edit: storage,
    },
    Preset {
        name: "identity",
        network: "device-identity network (IoTeX-style)",
        modules: &["device", "rewards"],
        summary: "Devices (sensor class, no location needed, 0.1 DEPIN onboarding) carry a \
                  maker-attested key that signs their identity, ownership transfers need the \
                  owner, keys rotate with proof from the old and new key, and data heartbeats \
                  (one an epoch counts) keep them active. A fixed emission, capped at 10 billion \
                  DEPIN of supply: 50% to validators, 40% to devices by heartbeats, 10% to the \
                  community pool.",
        edit: identity,
    },
];

/// The preset named `name`.
pub fn find(name: &str) -> Result<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        anyhow!(
            "unknown preset {name:?}: choose one of {}",
            names.join(", ")
        )
    })
}

impl Preset {
    /// Applies the preset to an app state (every module's genesis, keyed by module name).
    pub fn apply(&self, app_state: &mut Value) -> Result<()> {
        (self.edit)(app_state)
            .map_err(|e| anyhow!("preset {}: {e:#} (is the app state depind's?)", self.name))
    }

    /// The parameters the preset sets, as the app state's JSON: module → params.
    pub fn params(&self) -> Result<Value> {
        let mut state = crate::cmd::init::default_app_state();
        self.apply(&mut state)?;
        let mut out = serde_json::Map::new();
        for m in ["device", "market", "rewards"] {
            if self.modules.contains(&m) {
                out.insert(m.to_string(), state[m]["params"].clone());
            }
        }
        Ok(Value::Object(out))
    }

    /// Every module the network uses: [`BASE`], then its own.
    pub fn all_modules(&self) -> Vec<&'static str> {
        BASE.iter().chain(self.modules).copied().collect()
    }
}

/// Sets `state[path...] = value`, where the key must already exist (a typo fails, it does not
/// add a field the module would refuse or ignore).
fn set(state: &mut Value, path: &[&str], value: Value) -> Result<()> {
    let (last, parents) = path.split_last().ok_or_else(|| anyhow!("empty path"))?;
    let mut at = state;
    for p in parents {
        at = at
            .get_mut(*p)
            .ok_or_else(|| anyhow!("no {p} in {}", path.join(".")))?;
    }
    let Some(obj) = at.as_object_mut() else {
        bail!("{} is not an object", parents.join("."));
    };
    if !obj.contains_key(*last) {
        bail!("no {}", path.join("."));
    }
    obj.insert(last.to_string(), value);
    Ok(())
}

/// Sets several params of `module`.
fn params(state: &mut Value, module: &str, values: &[(&str, Value)]) -> Result<()> {
    for (k, v) in values {
        set(state, &[module, "params", k], v.clone())?;
    }
    Ok(())
}

fn udepin(amount: u128) -> Value {
    json!([{ "denom": crate::DENOM, "amount": amount.to_string() }])
}

fn coin(amount: u128) -> Value {
    json!({ "denom": crate::DENOM, "amount": amount.to_string() })
}

/// A device class in its genesis JSON.
fn class(
    name: &str,
    kind: &str,
    onboarding: u128,
    location: u128,
    heartbeat_interval_epochs: u64,
    location_required: bool,
) -> Value {
    json!({
        "name": name,
        "kind": kind,
        "onboarding_fee": udepin(onboarding),
        "location_fee": if location == 0 { json!([]) } else { udepin(location) },
        "free_location_asserts": 1,
        "heartbeat_interval_epochs": heartbeat_interval_epochs.to_string(),
        "location_required": location_required,
    })
}

/// The rewards buckets: validators, devices, providers, community (basis points).
fn buckets(state: &mut Value, v: u32, d: u32, p: u32, c: u32) -> Result<()> {
    params(
        state,
        "rewards",
        &[
            ("validators_bps", json!(v)),
            ("devices_bps", json!(d)),
            ("providers_bps", json!(p)),
            ("community_bps", json!(c)),
        ],
    )
}

fn iot(s: &mut Value) -> Result<()> {
    params(
        s,
        "device",
        &[(
            "classes",
            json!([class(
                "hotspot",
                "DEVICE_KIND_COVERAGE",
                40_000_000,
                10_000_000,
                2,
                true
            )]),
        )],
    )?;
    params(
        s,
        "rewards",
        &[
            ("decay", json!("DECAY_KIND_HALVING")),
            ("halving_epochs", json!("17520")),
            ("heartbeat_weight", json!("1")),
            ("beacon_weight", json!("2")),
            ("witness_weight", json!("4")),
            ("hex_density_target", json!(2)),
            ("credits_per_unit", json!("100")),
        ],
    )?;
    buckets(s, 1_000, 7_000, 0, 2_000)
}

fn compute(s: &mut Value) -> Result<()> {
    params(
        s,
        "device",
        &[(
            "classes",
            json!([class(
                "compute",
                "DEVICE_KIND_COMPUTE",
                1_000_000,
                0,
                3,
                false
            )]),
        )],
    )?;
    params(
        s,
        "market",
        &[
            ("min_provider_collateral", coin(100_000_000)),
            ("bid_deposit", coin(5_000_000)),
            ("take_rate_bps", json!(400)),
            ("take_destination", json!("TAKE_DESTINATION_COMMUNITY_POOL")),
            // depind hands the take to the distribution module's community pool
            // (MarketKeeper::with_community_pool); a chain without one would send it to this
            // module account.
            ("community_pool_account", json!("community_pool")),
        ],
    )?;
    params(
        s,
        "rewards",
        &[
            ("decay", json!("DECAY_KIND_EXPONENTIAL")),
            // (1 − 79,000 / 10⁹)^8,760 ≈ ½: about a year of hourly epochs.
            ("decay_ppb", json!("79000")),
            ("halving_epochs", json!("0")),
        ],
    )?;
    buckets(s, 5_000, 0, 4_000, 1_000)
}

fn storage(s: &mut Value) -> Result<()> {
    params(
        s,
        "device",
        &[(
            "classes",
            json!([class(
                "storage",
                "DEVICE_KIND_STORAGE",
                1_000_000,
                0,
                3,
                false
            )]),
        )],
    )?;
    params(
        s,
        "market",
        &[
            ("min_provider_collateral", coin(1_000_000_000)),
            ("proving_period_blocks", json!("50")),
            ("challenges_per_period", json!(8)),
            // 8 challenges of up to 32 KiB chunks keep a proof well inside a transaction.
            ("max_chunk_size", json!(32_768)),
            ("fault_fee_bps", json!(1_000)),
            ("max_consecutive_faults", json!(3)),
        ],
    )?;
    params(
        s,
        "rewards",
        &[
            ("decay", json!("DECAY_KIND_EXPONENTIAL")),
            // Simple minting halving in about 6 years of hourly epochs.
            ("decay_ppb", json!("13190")),
            ("halving_epochs", json!("0")),
            ("initial_epoch_emission", json!("300000000")),
            ("baseline_epoch_emission", json!("700000000")),
            ("baseline_target", json!("100")),
            // The target doubles in about a year.
            ("baseline_growth_ppb", json!("79000")),
        ],
    )?;
    buckets(s, 2_000, 3_000, 4_000, 1_000)
}

fn identity(s: &mut Value) -> Result<()> {
    params(
        s,
        "device",
        &[(
            "classes",
            json!([class("sensor", "DEVICE_KIND_SENSOR", 100_000, 0, 24, false)]),
        )],
    )?;
    params(
        s,
        "rewards",
        &[
            ("decay", json!("DECAY_KIND_NONE")),
            ("halving_epochs", json!("0")),
            ("max_supply", json!("10000000000000000")),
            ("heartbeat_weight", json!("1")),
            ("beacon_weight", json!("0")),
            ("witness_weight", json!("0")),
        ],
    )?;
    buckets(s, 5_000, 4_000, 0, 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_starts_a_chain_with_its_params() {
        for p in PRESETS {
            assert!(p.modules.iter().all(|m| !BASE.contains(m)), "{}", p.name);
            assert_eq!(p.all_modules().len(), BASE.len() + p.modules.len());
            let mut genesis = json!({
                "genesis_time": "2026-01-01T00:00:00Z",
                "chain_id": "preset-test-1",
                "initial_height": "1",
                "app_state": crate::cmd::init::default_app_state(),
            });
            p.apply(&mut genesis["app_state"]).unwrap();
            crate::cmd::genesis::validate_genesis(&genesis)
                .unwrap_or_else(|e| panic!("preset {}: {e:#}", p.name));
            let shown = p.params().unwrap();
            for (m, params) in shown.as_object().unwrap() {
                assert_eq!(params, &genesis["app_state"][m]["params"], "{}", p.name);
            }
        }
        let iot = find("iot").unwrap().params().unwrap();
        assert_eq!(iot["rewards"]["devices_bps"], 7_000);
        assert_eq!(iot["device"]["classes"][0]["name"], "hotspot");
        assert!(iot.get("market").is_none());
        let compute = find("compute").unwrap().params().unwrap();
        assert_eq!(compute["market"]["take_rate_bps"], 400);
    }

    #[test]
    fn unknown_presets_and_paths_are_refused() {
        let e = find("solar").err().unwrap().to_string();
        assert!(e.contains("iot, compute, storage, identity"), "{e}");
        let mut state = crate::cmd::init::default_app_state();
        assert!(set(&mut state, &["rewards", "params", "no_such"], json!(1)).is_err());
        assert!(set(&mut state, &["nope", "params", "x"], json!(1)).is_err());
        assert!(set(&mut state, &["rewards", "params", "decay_ppb"], json!("1")).is_ok());
    }
}
