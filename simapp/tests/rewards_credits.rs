//! Data credits pay device fees on the reference chain: a device owner burns tokens for
//! credits (`MsgBurnForCredits`), and the registry's onboarding fee is then charged to the
//! credits (fee × credits_per_unit) instead of burning tokens; without enough credits the fee
//! is burned in tokens and the credits are left alone.

use std::sync::Arc;

use base64::Engine;
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
};
use cosmrs::Any;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_device::client::{self, DeviceSigner, Onboarding};
use depin_proto::depin::rewards::v1 as rpb;
use depin_simapp::default_app;
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use prost::Message;

const CHAIN: &str = "credits-test-1";
const FEE: u128 = 1_000_000; // the default onboarding fee of the compute class
const CREDITS_PER_UNIT: u128 = 100; // the default

fn query<R: Message + Default>(chain: &InProcess, path: &str, req: impl Message) -> R {
    let r = chain.query(path, req.encode_to_vec());
    assert_eq!(r.code, 0, "{path}: {}", r.log);
    R::decode(r.value.as_ref()).unwrap()
}

fn balance(chain: &InProcess, address: &str) -> u128 {
    let r: QueryBalanceResponse = query(
        chain,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest {
            address: address.into(),
            denom: "udepin".into(),
        },
    );
    r.balance.map_or(0, |c| c.amount.parse().unwrap())
}

fn supply(chain: &InProcess) -> u128 {
    let r: QuerySupplyOfResponse = query(
        chain,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        QuerySupplyOfRequest {
            denom: "udepin".into(),
        },
    );
    r.amount.map_or(0, |c| c.amount.parse().unwrap())
}

fn credits(chain: &InProcess, address: &str) -> u128 {
    let r: rpb::QueryCreditsResponse = query(
        chain,
        "/depin.rewards.v1.Query/Credits",
        rpb::QueryCreditsRequest {
            address: address.into(),
        },
    );
    r.credits.unwrap().balance.parse().unwrap()
}

struct World {
    chain: InProcess,
    owner: TestKey,
    maker: DeviceSigner,
    sequence: u64,
    serial: u64,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let owner = TestKey::from_seed(4242);
        let maker = DeviceSigner::secp256k1(&[9u8; 32]).unwrap();
        let mut state = genesis(&[(&owner.address, 100 * FEE)]);
        let key = maker.public_key();
        state["device"] = serde_json::json!({
            "params": depin_device::Params::default(),
            "makers": [{
                "name": "acme",
                "key": {
                    "type": "KEY_TYPE_SECP256K1",
                    "key": base64::engine::general_purpose::STANDARD.encode(&key.key),
                },
                "allowed_classes": ["compute"],
                "device_quota": "1000",
            }],
        });
        let dir = tempfile::tempdir().unwrap();
        let mut chain =
            InProcess::open(Arc::new(default_app()), dir.path(), NodeConfig::default()).unwrap();
        chain.init_chain(CHAIN, &state).unwrap();
        chain.block(vec![]);
        World {
            chain,
            owner,
            maker,
            sequence: 0,
            serial: 0,
            _dir: dir,
        }
    }

    fn tx(&mut self, msg: Any) -> (u32, String) {
        let tx = sign(
            &self.owner,
            &SignerData {
                chain_id: CHAIN.into(),
                account_number: 0,
                sequence: self.sequence,
            },
            vec![msg],
            &FeeSpec::new(0, 1_000_000),
            "",
        )
        .unwrap();
        let r = self.chain.deliver(vec![tx]).remove(0);
        self.sequence += 1;
        (r.code, r.log)
    }

    fn burn_for_credits(&mut self, amount: u128) {
        let msg = rpb::MsgBurnForCredits {
            sender: self.owner.address.clone(),
            amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: "udepin".into(),
                amount: amount.to_string(),
            }),
            recipient: String::new(),
        };
        let (code, log) = self.tx(Any {
            type_url: depin_rewards::msgs::MSG_BURN_FOR_CREDITS.into(),
            value: msg.encode_to_vec(),
        });
        assert_eq!(code, 0, "{log}");
    }

    fn onboard(&mut self) -> (u32, String) {
        self.serial += 1;
        let mut seed = [1u8; 32];
        seed[..8].copy_from_slice(&self.serial.to_be_bytes());
        let device = DeviceSigner::ed25519(seed);
        let serial = format!("sn-{}", self.serial);
        let attestation =
            client::sign_attestation(&self.maker, CHAIN, &device.public_key(), "compute", &serial);
        let owner = self.owner.address.clone();
        let msg = client::onboard_device(
            &device,
            attestation,
            Onboarding {
                chain_id: CHAIN,
                owner: &owner,
                maker: "acme",
                class: "compute",
                serial: &serial,
                nonce: 1,
                location: None,
                metadata: "",
            },
        );
        self.tx(Any {
            type_url: depin_device::msgs::MSG_ONBOARD_DEVICE.into(),
            value: msg.encode_to_vec(),
        })
    }
}

#[test]
fn device_fees_are_paid_in_data_credits_first() {
    let mut w = World::new();
    let owner = w.owner.address.clone();
    let start = balance(&w.chain, &owner);
    let supply0 = supply(&w.chain);

    // Burn exactly one onboarding fee's worth of tokens for credits.
    w.burn_for_credits(FEE);
    assert_eq!(credits(&w.chain, &owner), FEE * CREDITS_PER_UNIT);
    assert_eq!(balance(&w.chain, &owner), start - FEE);
    assert_eq!(supply(&w.chain), supply0 - FEE);

    // The onboarding fee is charged to the credits: no token moves, nothing more is burned.
    let (code, log) = w.onboard();
    assert_eq!(code, 0, "{log}");
    assert_eq!(credits(&w.chain, &owner), 0);
    assert_eq!(balance(&w.chain, &owner), start - FEE);
    assert_eq!(supply(&w.chain), supply0 - FEE);

    // Without credits the fee is burned in tokens.
    let (code, log) = w.onboard();
    assert_eq!(code, 0, "{log}");
    assert_eq!(balance(&w.chain, &owner), start - 2 * FEE);
    assert_eq!(supply(&w.chain), supply0 - 2 * FEE);

    // Credits short of the fee are left alone; tokens pay.
    w.burn_for_credits(FEE / 2);
    let (code, log) = w.onboard();
    assert_eq!(code, 0, "{log}");
    assert_eq!(credits(&w.chain, &owner), FEE / 2 * CREDITS_PER_UNIT);
    assert_eq!(balance(&w.chain, &owner), start - 3 * FEE - FEE / 2);

    let totals: rpb::QueryTotalsResponse = query(
        &w.chain,
        "/depin.rewards.v1.Query/Totals",
        rpb::QueryTotalsRequest {},
    );
    let t = totals.totals.unwrap();
    assert_eq!(t.credits_spent, (FEE * CREDITS_PER_UNIT).to_string());
    assert_eq!(t.burned_for_credits, (FEE + FEE / 2).to_string());
}

#[test]
fn a_fee_neither_tokens_nor_credits_cover_is_refused() {
    let mut w = World::new();
    let owner = w.owner.address.clone();
    // Spend almost everything on credits, then fall short on both.
    w.burn_for_credits(100 * FEE - FEE / 2);
    let held = credits(&w.chain, &owner);
    // Onboard with credits worth 99.5 fees: fine, repeatedly, until they run short.
    for _ in 0..99 {
        let (code, log) = w.onboard();
        assert_eq!(code, 0, "{log}");
    }
    assert_eq!(
        credits(&w.chain, &owner),
        held - 99 * FEE * CREDITS_PER_UNIT
    );
    let before = (balance(&w.chain, &owner), credits(&w.chain, &owner));
    let (code, log) = w.onboard();
    assert_ne!(
        code, 0,
        "half a fee in credits and in tokens pays nothing: {log}"
    );
    assert_eq!(
        (balance(&w.chain, &owner), credits(&w.chain, &owner)),
        before
    );
}
