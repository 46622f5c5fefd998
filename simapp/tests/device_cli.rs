//! `depind device keygen` and `depind device sign ...`, run as the real binary: every
//! signature it prints verifies with `depin_device::signing::verify` over the sign bytes the
//! chain builds, and an onboarding and a heartbeat made of its output are accepted by the chain
//! (in-process driver).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use cosmrs::Any;
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_device::{signing, GenesisState, Maker, PublicKey};
use depin_proto::depin::device::v1 as pb;
use depin_simapp::cmd::device::{hex_bytes, parse_key};
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX};
use prost::{Message, Name};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CHAIN_ID: &str = "depin-device-cli-1";
const FUNDS: u128 = 1_000_000_000;
/// The secrets of the README's test vectors.
const SECP_SECRET: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const ED_SECRET: &str = "0202020202020202020202020202020202020202020202020202020202020202";

/// Runs depind with `args` (and `-o json`) on `home`; its JSON output.
fn depind(home: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_depind"))
        .arg("--home")
        .arg(home)
        .args(["-o", "json"])
        .args(args)
        .output()
        .expect("depind runs");
    assert!(
        out.status.success(),
        "depind {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Runs depind with `args`, which must fail; its error message.
fn depind_fails(home: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_depind"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("depind runs");
    assert!(!out.status.success(), "depind {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_string()
}

fn hex(v: &Value, name: &str) -> Vec<u8> {
    hex_bytes(&field(v, name), name).unwrap()
}

/// A key made by `device keygen`: (secret, public key, device id), as printed.
struct Keygen {
    secret: String,
    public_key: String,
    device_id: String,
}

fn keygen(home: &Path, key_type: &str, secret: Option<&str>) -> Keygen {
    let mut args = vec!["device", "keygen", "--type", key_type];
    if let Some(s) = secret {
        args.extend(["--secret", s]);
    }
    let v = depind(home, &args);
    Keygen {
        secret: field(&v, "secret"),
        public_key: field(&v, "public_key"),
        device_id: field(&v, "device_id"),
    }
}

/// Checks a `sign` command's output: its sign bytes are `expected`, and its signature verifies
/// with `key` over them and over nothing else tried.
fn assert_signs(out: &Value, key: &pb::PublicKey, expected: &[u8], other: &[u8]) {
    assert_eq!(hex(out, "sign_bytes"), expected, "sign bytes");
    assert_eq!(parse_key(&field(out, "signer")).unwrap(), *key, "signer");
    let signature = hex(out, "signature");
    assert_eq!(signing::verify(key, expected, &signature), Ok(()));
    assert!(signing::verify(key, other, &signature).is_err());
}

#[test]
fn keygen_prints_the_readme_vectors_and_random_keys() {
    let home = tempfile::tempdir().unwrap();
    let secp = keygen(home.path(), "secp256k1", Some(SECP_SECRET));
    assert_eq!(secp.secret, format!("secp256k1:{SECP_SECRET}"));
    assert_eq!(
        secp.public_key,
        "secp256k1:031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f"
    );
    assert_eq!(
        secp.device_id,
        "depindev1gmjknc9kx6pp9zwwl8j6q0jh3rdyce36f4zcvv"
    );
    let ed = keygen(home.path(), "ed25519", Some(ED_SECRET));
    assert_eq!(
        ed.public_key,
        "ed25519:8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
    );
    assert_eq!(
        ed.device_id,
        "depindev1akx5mhcrqrmdemrn3296jf3j42etz05a9zxrvv"
    );

    // Random keys: distinct, valid, and their printed secret gives them back.
    let a = keygen(home.path(), "secp256k1", None);
    let b = keygen(home.path(), "secp256k1", None);
    assert_ne!(a.secret, b.secret);
    for k in [a, keygen(home.path(), "ed25519", None)] {
        let key = parse_key(&k.public_key).unwrap();
        assert_eq!(signing::validate_key(&key), Ok(()));
        assert_eq!(k.device_id, signing::device_id(ADDRESS_PREFIX, &key));
        let (kind, secret) = k.secret.split_once(':').unwrap();
        let again = keygen(home.path(), kind, Some(secret));
        assert_eq!(again.public_key, k.public_key);
    }

    // Secrets of the wrong size, a zero secp256k1 scalar, an unknown type.
    let zero = "00".repeat(32);
    for args in [
        vec!["device", "keygen", "--secret", "0102"],
        vec!["device", "keygen", "--type", "secp256k1", "--secret", &zero],
        vec!["device", "keygen", "--type", "rsa"],
    ] {
        depind_fails(home.path(), &args);
    }
    // A secret never appears in an error.
    let bad = format!("ed25519:{}zz", &ED_SECRET[..62]);
    let error = depind_fails(
        home.path(),
        &[
            "device",
            "sign",
            "possession",
            "--device-secret",
            &bad,
            "--owner",
            "depin1x",
            "--nonce",
            "1",
            "--chain-id",
            CHAIN_ID,
        ],
    );
    assert!(!error.contains(&ED_SECRET[..62]), "{error}");
}

#[test]
fn every_signature_verifies_over_the_chains_sign_bytes() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let maker = keygen(h, "secp256k1", Some(SECP_SECRET));
    let maker_key = parse_key(&maker.public_key).unwrap();
    let other = "other-chain-1";
    for key_type in ["secp256k1", "ed25519"] {
        let device = keygen(h, key_type, None);
        let key = parse_key(&device.public_key).unwrap();
        let id = device.device_id.as_str();
        let chain = ["--chain-id", CHAIN_ID];

        let out = depind(
            h,
            &[
                &[
                    "device",
                    "sign",
                    "attestation",
                    "--maker-secret",
                    &maker.secret,
                    "--device-key",
                    &device.public_key,
                    "--class",
                    "hotspot",
                    "--serial",
                    "SN-1",
                ][..],
                &chain,
            ]
            .concat(),
        );
        assert_signs(
            &out,
            &maker_key,
            &signing::attestation_bytes(CHAIN_ID, &key, "hotspot", "SN-1"),
            &signing::attestation_bytes(other, &key, "hotspot", "SN-1"),
        );
        assert_eq!(field(&out, "device_id"), id);

        let owner = TestKey::from_seed(5).address;
        let out = depind(
            h,
            &[
                &[
                    "device",
                    "sign",
                    "possession",
                    "--device-secret",
                    &device.secret,
                    "--owner",
                    &owner,
                    "--nonce",
                    "300",
                ][..],
                &chain,
            ]
            .concat(),
        );
        assert_signs(
            &out,
            &key,
            &signing::possession_bytes(CHAIN_ID, &owner, 300),
            &signing::possession_bytes(CHAIN_ID, &owner, 301),
        );
        assert_eq!(field(&out, "device_id"), id);

        // --payload is hashed; --payload-hash is taken as it is.
        let payload_hash = Sha256::digest(b"temp=21.5").to_vec();
        for payload in [
            ["--payload", "temp=21.5"],
            ["--payload-hash", &hex::encode(&payload_hash)],
        ] {
            let out = depind(
                h,
                &[
                    &[
                        "device",
                        "sign",
                        "heartbeat",
                        "--device-secret",
                        &device.secret,
                        "--device-id",
                        id,
                        "--epoch",
                        "4",
                        "--counter",
                        "9",
                    ][..],
                    &payload,
                    &chain,
                ]
                .concat(),
            );
            assert_signs(
                &out,
                &key,
                &signing::heartbeat_bytes(CHAIN_ID, id, 4, 9, &payload_hash),
                &signing::heartbeat_bytes(CHAIN_ID, id, 4, 10, &payload_hash),
            );
            assert_eq!(hex(&out, "payload_hash"), payload_hash);
        }

        let data_hash = [0xd4; 32];
        let out = depind(
            h,
            &[
                &[
                    "device",
                    "sign",
                    "beacon",
                    "--device-secret",
                    &device.secret,
                    "--device-id",
                    id,
                    "--epoch",
                    "4",
                    "--nonce",
                    "2",
                    "--data-hash",
                    &hex::encode(data_hash),
                ][..],
                &chain,
            ]
            .concat(),
        );
        assert_signs(
            &out,
            &key,
            &signing::beacon_bytes(CHAIN_ID, id, 4, 2, &data_hash),
            &signing::beacon_bytes(CHAIN_ID, id, 4, 3, &data_hash),
        );
        let beacon_hash = signing::beacon_hash(CHAIN_ID, id, 4, 2, &data_hash);
        assert_eq!(hex(&out, "beacon_hash"), beacon_hash);

        // Negative signal values are taken as values, not flags.
        let out = depind(
            h,
            &[
                &[
                    "device",
                    "sign",
                    "witness",
                    "--device-secret",
                    &device.secret,
                    "--witness-id",
                    id,
                    "--beacon-hash",
                    &hex::encode(beacon_hash),
                    "--rssi",
                    "-1050",
                    "--snr",
                    "-35",
                ][..],
                &chain,
            ]
            .concat(),
        );
        assert_signs(
            &out,
            &key,
            &signing::witness_bytes(CHAIN_ID, id, &beacon_hash, -1050, -35),
            &signing::witness_bytes(CHAIN_ID, id, &beacon_hash, -1050, 35),
        );

        // Both halves of a rotation: the old key's and the new key's.
        let new = keygen(h, "ed25519", None);
        let new_key = parse_key(&new.public_key).unwrap();
        for (secret, signer) in [(&device.secret, &key), (&new.secret, &new_key)] {
            let out = depind(
                h,
                &[
                    &[
                        "device",
                        "sign",
                        "key-rotation",
                        "--secret",
                        secret,
                        "--device-id",
                        id,
                        "--new-key",
                        &new.public_key,
                        "--rotation",
                        "1",
                    ][..],
                    &chain,
                ]
                .concat(),
            );
            assert_signs(
                &out,
                signer,
                &signing::key_rotation_bytes(CHAIN_ID, id, &new_key, 1),
                &signing::key_rotation_bytes(CHAIN_ID, id, &new_key, 0),
            );
        }
    }

    // Malformed input is refused before anything is signed.
    let device = keygen(h, "ed25519", None);
    for args in [
        // A 31-byte hash.
        vec![
            "device",
            "sign",
            "heartbeat",
            "--device-secret",
            &device.secret,
            "--device-id",
            &device.device_id,
            "--epoch",
            "1",
            "--counter",
            "1",
            "--payload-hash",
            &ED_SECRET[..62],
        ],
        // An account address is not a device id.
        vec![
            "device",
            "sign",
            "heartbeat",
            "--device-secret",
            &device.secret,
            "--device-id",
            "depin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
            "--epoch",
            "1",
            "--counter",
            "1",
            "--payload",
            "x",
        ],
        // Both a payload and its hash.
        vec![
            "device",
            "sign",
            "heartbeat",
            "--device-secret",
            &device.secret,
            "--device-id",
            &device.device_id,
            "--epoch",
            "1",
            "--counter",
            "1",
            "--payload",
            "x",
            "--payload-hash",
            ED_SECRET,
        ],
        // A key that is not on the curve's encoding length.
        vec![
            "device",
            "sign",
            "attestation",
            "--maker-secret",
            &maker.secret,
            "--device-key",
            "ed25519:0011",
            "--class",
            "hotspot",
            "--serial",
            "SN-1",
        ],
    ] {
        depind_fails(h, &[&args[..], &["--chain-id", CHAIN_ID]].concat());
    }
}

#[test]
fn the_chain_id_defaults_to_the_homes_genesis() {
    let home = tempfile::tempdir().unwrap();
    let device = keygen(home.path(), "ed25519", Some(ED_SECRET));
    let args = [
        "device",
        "sign",
        "possession",
        "--device-secret",
        &device.secret,
        "--owner",
        "depin1owner",
        "--nonce",
        "1",
    ];
    let error = depind_fails(home.path(), &args);
    assert!(error.contains("--chain-id"), "{error}");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("genesis.json"),
        r#"{"chain_id":"from-genesis-7","app_state":{}}"#,
    )
    .unwrap();
    let out = depind(home.path(), &args);
    let key = parse_key(&device.public_key).unwrap();
    assert_signs(
        &out,
        &key,
        &signing::possession_bytes("from-genesis-7", "depin1owner", 1),
        &signing::possession_bytes(CHAIN_ID, "depin1owner", 1),
    );
}

/// The chain accepts an onboarding made of `device sign attestation` and `device sign
/// possession` output, as `tx device onboard` sends it, and then a heartbeat made by `device
/// sign heartbeat`; a possession signed for another nonce is refused.
#[test]
fn the_chain_accepts_an_onboarding_and_a_heartbeat_signed_by_the_cli() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let owner = TestKey::from_seed(11);
    let maker = keygen(h, "secp256k1", None);
    let device = keygen(h, "ed25519", None);

    // A maker registered in genesis, allowed the free-of-location "compute" class.
    let mut app_state = genesis(&[(&owner.address, FUNDS)]);
    app_state["device"] = serde_json::to_value(GenesisState {
        makers: vec![Maker {
            name: "acme".into(),
            key: PublicKey::from_proto(&parse_key(&maker.public_key).unwrap()),
            allowed_classes: vec!["compute".into()],
            device_quota: 10,
            devices_onboarded: 0,
            revoked: false,
            revoked_height: 0,
        }],
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut driver =
        InProcess::open(Arc::new(default_app()), dir.path(), NodeConfig::default()).unwrap();
    driver.init_chain(CHAIN_ID, &app_state).unwrap();
    driver.block(vec![]);

    let chain = ["--chain-id", CHAIN_ID];
    let attestation = depind(
        h,
        &[
            &[
                "device",
                "sign",
                "attestation",
                "--maker-secret",
                &maker.secret,
                "--device-key",
                &device.public_key,
                "--class",
                "compute",
                "--serial",
                "SN-0042",
            ][..],
            &chain,
        ]
        .concat(),
    );
    let possession = |nonce: &str| {
        depind(
            h,
            &[
                &[
                    "device",
                    "sign",
                    "possession",
                    "--device-secret",
                    &device.secret,
                    "--owner",
                    &owner.address,
                    "--nonce",
                    nonce,
                ][..],
                &chain,
            ]
            .concat(),
        )
    };
    // What `tx device onboard` builds from its flags.
    let onboard = |possession: &Value| pb::MsgOnboardDevice {
        owner: owner.address.clone(),
        maker: "acme".into(),
        class: "compute".into(),
        serial: "SN-0042".into(),
        device_key: Some(parse_key(&device.public_key).unwrap()),
        attestation: hex(&attestation, "signature"),
        nonce: 7,
        possession: hex(possession, "signature"),
        location: None,
        metadata: String::new(),
    };
    let tx = |msg: Any, sequence: u64| {
        sign(
            &owner,
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number: 0,
                sequence,
            },
            vec![msg],
            &FeeSpec::new(0, 2_000_000),
            "",
        )
        .unwrap()
    };
    let any = |type_url: String, value: Vec<u8>| Any { type_url, value };

    let wrong = onboard(&possession("8"));
    let results = driver
        .block(vec![tx(
            any(pb::MsgOnboardDevice::type_url(), wrong.encode_to_vec()),
            0,
        )])
        .tx_results;
    assert_eq!(
        (results[0].codespace.as_str(), results[0].code),
        ("device", 15),
        "{}",
        results[0].log
    );

    let msg = onboard(&possession("7"));
    let results = driver
        .block(vec![tx(
            any(pb::MsgOnboardDevice::type_url(), msg.encode_to_vec()),
            1,
        )])
        .tx_results;
    assert_eq!(results[0].code, 0, "onboarding: {}", results[0].log);
    let stored = device_state(&driver, &device.device_id);
    assert_eq!(stored.status, pb::DeviceStatus::Onboarded as i32);
    assert_eq!(stored.owner, owner.address);
    assert_eq!(
        stored.key,
        Some(parse_key(&device.public_key).unwrap()),
        "the key onboarded is the one keygen printed"
    );

    // Height 4 is in epoch 0 (100 blocks per epoch by default).
    let beat = depind(
        h,
        &[
            &[
                "device",
                "sign",
                "heartbeat",
                "--device-secret",
                &device.secret,
                "--device-id",
                &device.device_id,
                "--epoch",
                "0",
                "--counter",
                "1",
                "--payload",
                "hello",
            ][..],
            &chain,
        ]
        .concat(),
    );
    // What `tx device heartbeat` builds from its flags.
    let msg = pb::MsgHeartbeat {
        submitter: owner.address.clone(),
        device_id: device.device_id.clone(),
        epoch: 0,
        counter: 1,
        payload_hash: hex(&beat, "payload_hash"),
        signature: hex(&beat, "signature"),
    };
    let results = driver
        .block(vec![tx(
            any(pb::MsgHeartbeat::type_url(), msg.encode_to_vec()),
            2,
        )])
        .tx_results;
    assert_eq!(results[0].code, 0, "heartbeat: {}", results[0].log);
    let stored = device_state(&driver, &device.device_id);
    assert_eq!(stored.status, pb::DeviceStatus::Active as i32);
    assert_eq!((stored.heartbeats, stored.heartbeat_counter), (1, 1));
}

fn device_state(driver: &InProcess, id: &str) -> pb::Device {
    let resp = driver.query(
        "/depin.device.v1.Query/Device",
        pb::QueryDeviceRequest {
            device_id: id.into(),
        }
        .encode_to_vec(),
    );
    assert_eq!(resp.code, 0, "{}", resp.log);
    pb::QueryDeviceResponse::decode(resp.value.as_ref())
        .unwrap()
        .device
        .unwrap()
}
