//! What the end-to-end tests that drive a localnet through the `depind` CLI share: reading the
//! CLI's JSON (numbers, coins, decimals, events) and calling it at a height, with a fixed gas
//! and fee, or through ABCI and CometBFT's block results.

use std::io::Write;
use std::process::{Command, Stdio};

use depin_simapp::testing::TestKey;
use prost::Message;
use serde_json::Value;
use tendermint::block::Height;
use tendermint_rpc::Client;

use crate::localnet::Localnet;

/// One in 10^18: the unit of the chain's decimals.
pub const DEC: u128 = 1_000_000_000_000_000_000;

/// Events as (type, [(key, value)]).
pub type Events = Vec<(String, Vec<(String, String)>)>;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON number or decimal string (null is 0).
pub fn num(v: &Value) -> u128 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {v}")),
        Value::Number(n) => n.as_u64().map(u128::from).expect("an integer"),
        Value::Null => 0,
        _ => panic!("not a number: {v}"),
    }
}

/// "250udepin" → 250.
pub fn coin_amount(s: &str) -> u128 {
    let denom = depin_simapp::DENOM;
    s.strip_suffix(denom)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an amount of {denom}: {s:?}"))
}

/// A decimal ("12.5", "0.600000000000000000") in 10^-18 units.
pub fn dec_units(s: &str) -> u128 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 18, "decimal {s}");
    let int: u128 = int.parse().unwrap_or_else(|_| panic!("decimal {s}"));
    let frac: u128 = format!("{frac:0<18}").parse().expect("decimal");
    int * DEC + frac
}

/// The bech32 address of module account `name`.
pub fn module_account(name: &str) -> String {
    depin_app::address::AddressCodec::new(depin_simapp::ADDRESS_PREFIX)
        .encode(&depin_app::address::module_address(name))
}

/// The attributes of the events of type `kind` in a CLI transaction result.
pub fn tx_events(r: &Value, kind: &str) -> Vec<Vec<(String, String)>> {
    r["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {r}"))
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| {
            e["attributes"]
                .as_array()
                .expect("attributes")
                .iter()
                .map(|a| {
                    (
                        a["key"].as_str().unwrap_or_default().to_string(),
                        a["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

/// The value of attribute `key` (which must be there).
pub fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no attribute {key} in {attrs:?}"))
}

pub fn has_attr(attrs: &[(String, String)], key: &str) -> bool {
    attrs.iter().any(|(k, _)| k == key)
}

impl Localnet {
    /// Puts `secret` in node `i`'s test keyring as `name` (`depind keys import`); returns
    /// the key.
    pub fn import_key(&self, i: usize, name: &str, secret: &[u8; 32]) -> TestKey {
        let mut child = Command::new(&self.depind_bin)
            .args([
                "keys",
                "import",
                name,
                "--keyring-backend",
                "test",
                "--home",
            ])
            .arg(&self.nodes[i].home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("depind keys import");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{}\n", hex(secret)).as_bytes())
            .expect("write the key");
        let out = child.wait_with_output().expect("depind keys import");
        assert!(
            out.status.success(),
            "keys import {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestKey::from_key(
            cosmrs::crypto::secp256k1::SigningKey::from_slice(secret).expect("secp256k1 key"),
        )
    }

    /// `depind query <args> --height <h>` through node `via` (h = 0: latest).
    pub fn query_at(&self, via: usize, h: u64, args: &[&str]) -> Value {
        let h = h.to_string();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--height", &h]);
        self.query(via, &all)
    }

    /// `depind <args> --output json` in node `i`'s home, which must succeed.
    pub fn cli_json(&self, i: usize, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--output", "json"]);
        let out = self.depind(i, &all);
        assert!(
            out.status.success(),
            "depind {all:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("depind {all:?} printed no JSON ({e})"))
    }

    /// `depind tx <args>` signed in node `i`'s test keyring with `gas` and a fee of `fee`
    /// of the chain's denom, broadcast to node `i` and waited for. Returns the result
    /// whatever its code (CheckTx refusals too).
    pub fn tx_json(&self, i: usize, args: &[&str], gas: u64, fee: u128) -> Value {
        let node = self.nodes[i].rpc_url();
        let gas = gas.to_string();
        let fee = format!("{fee}{}", depin_simapp::DENOM);
        let mut all = vec!["tx"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--keyring-backend",
            "test",
            "--node",
            &node,
            "--gas",
            &gas,
            "--fees",
            &fee,
            "--wait",
            "--output",
            "json",
        ]);
        let out = self.depind(i, &all);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "depind {all:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// An ABCI query at height `h` through node `via`'s CometBFT, which must answer code 0.
    pub fn abci_at<Resp: Message + Default>(
        &self,
        via: usize,
        h: u64,
        path: &str,
        req: impl Message,
    ) -> Resp {
        let height = Some(Height::try_from(h).expect("height"));
        let r = self
            .rt
            .block_on(self.rpc(via).abci_query(
                Some(path.to_string()),
                req.encode_to_vec(),
                height,
                false,
            ))
            .unwrap_or_else(|e| panic!("abci_query {path} at {h}: {e}"));
        assert_eq!(r.code.value(), 0, "{path} at {h}: {}", r.log);
        Resp::decode(r.value.as_slice()).expect("decode")
    }

    /// A balance of the chain's denom at height `h`, by ABCI query.
    pub fn balance_abci_at(&self, via: usize, h: u64, address: &str) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
        let r: QueryBalanceResponse = self.abci_at(
            via,
            h,
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: address.into(),
                denom: depin_simapp::DENOM.into(),
            },
        );
        r.balance.map_or(0, |c| c.amount.parse().expect("amount"))
    }

    /// The events of block `h`'s FinalizeBlock outside transactions (begin and end block).
    pub fn block_events(&self, via: usize, h: u64) -> Events {
        let r = self
            .rt
            .block_on(
                self.rpc(via)
                    .block_results(Height::try_from(h).expect("height")),
            )
            .unwrap_or_else(|e| panic!("/block_results?height={h}: {e}"));
        r.finalize_block_events
            .iter()
            .map(|e| {
                (
                    e.kind.clone(),
                    e.attributes
                        .iter()
                        .map(|a| {
                            (
                                a.key_str().unwrap_or_default().to_string(),
                                a.value_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                )
            })
            .collect()
    }
}
