//! What device and maker keys sign, and how the chain checks it.
//!
//! Every signature covers the protobuf encoding of one `*SignDoc` of
//! `depin/device/v1/signing.proto` with its `domain` set, so a signature made for one kind of
//! document never verifies as another. Layouts and test vectors: README.md, "Signatures and
//! the client library".

use depin_proto::depin::device::v1::{
    AttestationSignDoc, BeaconSignDoc, HeartbeatSignDoc, KeyRotationSignDoc, KeyType,
    PossessionSignDoc, PublicKey, WitnessSignDoc,
};
use prost::Message;
use sha2::{Digest, Sha256};

/// `AttestationSignDoc.domain`: a maker vouches for a device key.
pub const ATTESTATION_DOMAIN: &str = "depin.device.v1.attestation";
/// `PossessionSignDoc.domain`: a device agrees to its owner.
pub const POSSESSION_DOMAIN: &str = "depin.device.v1.possession";
/// `HeartbeatSignDoc.domain`: proof of life for one epoch.
pub const HEARTBEAT_DOMAIN: &str = "depin.device.v1.heartbeat";
/// `BeaconSignDoc.domain`: a transmission other devices may witness.
pub const BEACON_DOMAIN: &str = "depin.device.v1.beacon";
/// `WitnessSignDoc.domain`: a device heard a beacon.
pub const WITNESS_DOMAIN: &str = "depin.device.v1.witness";
/// `KeyRotationSignDoc.domain`: the old and the new key agree on a rotation.
pub const KEY_ROTATION_DOMAIN: &str = "depin.device.v1.key_rotation";

/// A compressed SEC1 secp256k1 point.
pub const SECP256K1_KEY_LEN: usize = 33;
/// An Ed25519 verification key.
pub const ED25519_KEY_LEN: usize = 32;
/// Both key types sign with 64 bytes: r ‖ s (secp256k1) or R ‖ s (Ed25519).
pub const SIGNATURE_LEN: usize = 64;
/// A device id carries the first 20 bytes of SHA-256(type byte ‖ key).
pub const DEVICE_ID_LEN: usize = 20;

/// Why a key or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("unknown key type {0}: use 1 (secp256k1) or 2 (ed25519)")]
    UnknownKeyType(i32),
    #[error(
        "{} public key is {got} bytes; it must be {expected}",
        key_type_name(.key_type)
    )]
    BadKeyLength {
        key_type: KeyType,
        expected: usize,
        got: usize,
    },
    #[error("{} public key is not a valid point on the curve", key_type_name(.key_type))]
    MalformedKey { key_type: KeyType },
    #[error("ed25519 public key is of small order: a trivial signature verifies for it, so it proves nothing; use a real device key")]
    SmallOrderKey,
    #[error(
        "{} signature is {got} bytes; it must be {expected}",
        key_type_name(.key_type)
    )]
    BadSignatureLength {
        key_type: KeyType,
        expected: usize,
        got: usize,
    },
    #[error(
        "secp256k1 signature is malformed: r and s must be non-zero and below the group order"
    )]
    MalformedSignature,
    #[error("secp256k1 signature has a high S value: normalize it to low S")]
    HighS,
    #[error(
        "{} signature does not verify: it was made by another key or over other bytes",
        key_type_name(.key_type)
    )]
    Invalid { key_type: KeyType },
}

/// Why a device id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceIdError {
    #[error("device id {id:?} is not bech32: {reason}")]
    Malformed { id: String, reason: String },
    #[error("device id {id} has prefix {got:?}; device ids on this chain start with {expected:?}")]
    WrongPrefix {
        id: String,
        got: String,
        expected: String,
    },
    #[error("device id {id} carries {got} bytes; it must carry {DEVICE_ID_LEN}")]
    BadLength { id: String, got: usize },
}

fn key_type_name(key_type: &KeyType) -> &'static str {
    match key_type {
        KeyType::Secp256k1 => "secp256k1",
        KeyType::Ed25519 => "ed25519",
        KeyType::Unspecified => "unspecified",
    }
}

/// The key's type, refusing `KEY_TYPE_UNSPECIFIED` and numbers the proto does not define.
pub fn key_type(key: &PublicKey) -> Result<KeyType, SignatureError> {
    match KeyType::try_from(key.r#type) {
        Ok(KeyType::Secp256k1) => Ok(KeyType::Secp256k1),
        Ok(KeyType::Ed25519) => Ok(KeyType::Ed25519),
        _ => Err(SignatureError::UnknownKeyType(key.r#type)),
    }
}

fn check_key_length(key_type: KeyType, key: &[u8], expected: usize) -> Result<(), SignatureError> {
    if key.len() == expected {
        Ok(())
    } else {
        Err(SignatureError::BadKeyLength {
            key_type,
            expected,
            got: key.len(),
        })
    }
}

fn secp256k1_key(key: &[u8]) -> Result<k256::ecdsa::VerifyingKey, SignatureError> {
    // The length check keeps uncompressed (65-byte) points out: one encoding per key, so one
    // device id per key.
    check_key_length(KeyType::Secp256k1, key, SECP256K1_KEY_LEN)?;
    k256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| SignatureError::MalformedKey {
        key_type: KeyType::Secp256k1,
    })
}

fn ed25519_key(key: &[u8]) -> Result<ed25519_consensus::VerificationKey, SignatureError> {
    check_key_length(KeyType::Ed25519, key, ED25519_KEY_LEN)?;
    let malformed = || SignatureError::MalformedKey {
        key_type: KeyType::Ed25519,
    };
    // ZIP-215 accepts keys of small order (the identity among them), for which a trivial
    // signature verifies on any message: such a key proves nothing, so it is refused.
    let bytes: [u8; 32] = key.try_into().map_err(|_| malformed())?;
    let point = curve25519_dalek::edwards::CompressedEdwardsY(bytes)
        .decompress()
        .ok_or_else(malformed)?;
    if point.is_small_order() {
        return Err(SignatureError::SmallOrderKey);
    }
    ed25519_consensus::VerificationKey::try_from(key).map_err(|_| malformed())
}

/// Checks that `key` has a known type and is a well-formed key of that type.
pub fn validate_key(key: &PublicKey) -> Result<(), SignatureError> {
    match key_type(key)? {
        KeyType::Secp256k1 => secp256k1_key(&key.key).map(|_| ()),
        _ => ed25519_key(&key.key).map(|_| ()),
    }
}

/// Checks `signature` by `key` over `sign_bytes` (one of the `*_bytes` functions below).
///
/// secp256k1: ECDSA over SHA-256(sign_bytes), 64 bytes r ‖ s, S in the lower half of the order
/// (a high-S signature is the same signature twice, so it is refused). Ed25519: ZIP-215 rules
/// of `ed25519-consensus`, so every node accepts exactly the same signatures.
pub fn verify(key: &PublicKey, sign_bytes: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
    let key_type = key_type(key)?;
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::BadSignatureLength {
            key_type,
            expected: SIGNATURE_LEN,
            got: signature.len(),
        });
    }
    match key_type {
        KeyType::Secp256k1 => {
            use k256::ecdsa::signature::Verifier;
            let verifying_key = secp256k1_key(&key.key)?;
            let signature = k256::ecdsa::Signature::from_slice(signature)
                .map_err(|_| SignatureError::MalformedSignature)?;
            if signature.normalize_s().is_some() {
                return Err(SignatureError::HighS);
            }
            verifying_key
                .verify(sign_bytes, &signature)
                .map_err(|_| SignatureError::Invalid { key_type })
        }
        _ => {
            let verification_key = ed25519_key(&key.key)?;
            let mut bytes = [0u8; SIGNATURE_LEN];
            bytes.copy_from_slice(signature);
            verification_key
                .verify(&ed25519_consensus::Signature::from(bytes), sign_bytes)
                .map_err(|_| SignatureError::Invalid { key_type })
        }
    }
}

/// The raw 20 bytes of a device's id: SHA-256(type byte ‖ key bytes)[..20], the type byte
/// being the `KeyType` number (1 secp256k1, 2 ed25519). Keys are not validated here.
pub fn device_id_bytes(key: &PublicKey) -> [u8; DEVICE_ID_LEN] {
    let mut hasher = Sha256::new();
    // KeyType numbers fit in a byte; an out-of-range number (never validated) still hashes
    // deterministically.
    hasher.update([key.r#type as u8]);
    hasher.update(&key.key);
    let digest = hasher.finalize();
    let mut id = [0u8; DEVICE_ID_LEN];
    id.copy_from_slice(&digest[..DEVICE_ID_LEN]);
    id
}

/// The human-readable part of device ids on a chain whose account prefix is `prefix`.
pub fn device_id_prefix(prefix: &str) -> String {
    format!("{prefix}dev")
}

/// A device's id: bech32 of [`device_id_bytes`] with the prefix `<prefix>dev`
/// (`depindev1…` on a chain whose accounts are `depin1…`).
pub fn device_id(prefix: &str, key: &PublicKey) -> String {
    depin_app::address::AddressCodec::new(&device_id_prefix(prefix)).encode(&device_id_bytes(key))
}

/// The 20 bytes behind `id`, which must be a device id of the chain whose account prefix is
/// `prefix`.
pub fn parse_device_id(prefix: &str, id: &str) -> Result<Vec<u8>, DeviceIdError> {
    let parsed = id
        .parse::<cosmrs::AccountId>()
        .map_err(|e| DeviceIdError::Malformed {
            id: id.to_string(),
            reason: e.to_string(),
        })?;
    let expected = device_id_prefix(prefix);
    if parsed.prefix() != expected {
        return Err(DeviceIdError::WrongPrefix {
            id: id.to_string(),
            got: parsed.prefix().to_string(),
            expected,
        });
    }
    let bytes = parsed.to_bytes();
    if bytes.len() != DEVICE_ID_LEN {
        return Err(DeviceIdError::BadLength {
            id: id.to_string(),
            got: bytes.len(),
        });
    }
    Ok(bytes)
}

/// What a maker signs: `AttestationSignDoc`.
pub fn attestation_bytes(
    chain_id: &str,
    device_key: &PublicKey,
    class: &str,
    serial: &str,
) -> Vec<u8> {
    AttestationSignDoc {
        domain: ATTESTATION_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        device_key: Some(device_key.clone()),
        class: class.to_string(),
        serial: serial.to_string(),
    }
    .encode_to_vec()
}

/// What a device signs to accept `owner`: `PossessionSignDoc`.
pub fn possession_bytes(chain_id: &str, owner: &str, nonce: u64) -> Vec<u8> {
    PossessionSignDoc {
        domain: POSSESSION_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        owner: owner.to_string(),
        nonce,
    }
    .encode_to_vec()
}

/// What a device signs as proof of life: `HeartbeatSignDoc`.
pub fn heartbeat_bytes(
    chain_id: &str,
    device_id: &str,
    epoch: u64,
    counter: u64,
    payload_hash: &[u8],
) -> Vec<u8> {
    HeartbeatSignDoc {
        domain: HEARTBEAT_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        device_id: device_id.to_string(),
        epoch,
        counter,
        payload_hash: payload_hash.to_vec(),
    }
    .encode_to_vec()
}

/// What a beaconing device signs: `BeaconSignDoc`.
pub fn beacon_bytes(
    chain_id: &str,
    device_id: &str,
    epoch: u64,
    nonce: u64,
    data_hash: &[u8],
) -> Vec<u8> {
    BeaconSignDoc {
        domain: BEACON_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        device_id: device_id.to_string(),
        epoch,
        nonce,
        data_hash: data_hash.to_vec(),
    }
    .encode_to_vec()
}

/// SHA-256 of [`beacon_bytes`]: how a witness names the beacon it heard.
pub fn beacon_hash(
    chain_id: &str,
    device_id: &str,
    epoch: u64,
    nonce: u64,
    data_hash: &[u8],
) -> [u8; 32] {
    Sha256::digest(beacon_bytes(chain_id, device_id, epoch, nonce, data_hash)).into()
}

/// What a witnessing device signs: `WitnessSignDoc`.
pub fn witness_bytes(
    chain_id: &str,
    witness_id: &str,
    beacon_hash: &[u8],
    rssi: i32,
    snr: i32,
) -> Vec<u8> {
    WitnessSignDoc {
        domain: WITNESS_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        witness_id: witness_id.to_string(),
        beacon_hash: beacon_hash.to_vec(),
        rssi,
        snr,
    }
    .encode_to_vec()
}

/// What both the old and the new key sign to rotate: `KeyRotationSignDoc`.
pub fn key_rotation_bytes(
    chain_id: &str,
    device_id: &str,
    new_key: &PublicKey,
    rotation: u32,
) -> Vec<u8> {
    KeyRotationSignDoc {
        domain: KEY_ROTATION_DOMAIN.to_string(),
        chain_id: chain_id.to_string(),
        device_id: device_id.to_string(),
        new_key: Some(new_key.clone()),
        rotation,
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Signer;
    use proptest::prelude::*;

    const CHAIN: &str = "depin-test-1";
    /// The fixed secrets behind the README's test vectors.
    const SECP256K1_SECRET: [u8; 32] = [0x01; 32];
    const ED25519_SEED: [u8; 32] = [0x02; 32];

    fn secp256k1_signer() -> k256::ecdsa::SigningKey {
        k256::ecdsa::SigningKey::from_slice(&SECP256K1_SECRET).unwrap()
    }

    fn ed25519_signer() -> ed25519_consensus::SigningKey {
        ed25519_consensus::SigningKey::from(ED25519_SEED)
    }

    fn secp256k1_public() -> PublicKey {
        PublicKey {
            r#type: KeyType::Secp256k1 as i32,
            key: secp256k1_signer()
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
        }
    }

    fn ed25519_public() -> PublicKey {
        PublicKey {
            r#type: KeyType::Ed25519 as i32,
            key: ed25519_signer().verification_key().to_bytes().to_vec(),
        }
    }

    fn secp256k1_sign(bytes: &[u8]) -> k256::ecdsa::Signature {
        let signature: k256::ecdsa::Signature = secp256k1_signer().sign(bytes);
        signature.normalize_s().unwrap_or(signature)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn domains_are_the_ones_in_signing_proto() {
        assert_eq!(ATTESTATION_DOMAIN, "depin.device.v1.attestation");
        assert_eq!(POSSESSION_DOMAIN, "depin.device.v1.possession");
        assert_eq!(HEARTBEAT_DOMAIN, "depin.device.v1.heartbeat");
        assert_eq!(BEACON_DOMAIN, "depin.device.v1.beacon");
        assert_eq!(WITNESS_DOMAIN, "depin.device.v1.witness");
        assert_eq!(KEY_ROTATION_DOMAIN, "depin.device.v1.key_rotation");
    }

    #[test]
    fn sign_bytes_decode_to_the_sign_docs() {
        let key = ed25519_public();
        let doc =
            AttestationSignDoc::decode(&*attestation_bytes(CHAIN, &key, "hotspot", "SN1")).unwrap();
        assert_eq!(doc.domain, ATTESTATION_DOMAIN);
        assert_eq!(doc.device_key, Some(key.clone()));
        assert_eq!(
            (doc.class.as_str(), doc.serial.as_str()),
            ("hotspot", "SN1")
        );

        let doc = HeartbeatSignDoc::decode(&*heartbeat_bytes(CHAIN, "d", 3, 4, &[9; 32])).unwrap();
        assert_eq!(
            (
                doc.domain.as_str(),
                doc.chain_id.as_str(),
                doc.epoch,
                doc.counter
            ),
            (HEARTBEAT_DOMAIN, CHAIN, 3, 4)
        );
        let doc =
            WitnessSignDoc::decode(&*witness_bytes(CHAIN, "w", &[1; 32], -1200, -35)).unwrap();
        assert_eq!((doc.rssi, doc.snr), (-1200, -35));
        let doc = KeyRotationSignDoc::decode(&*key_rotation_bytes(CHAIN, "d", &key, 2)).unwrap();
        assert_eq!(
            (doc.domain.as_str(), doc.rotation),
            (KEY_ROTATION_DOMAIN, 2)
        );
    }

    #[test]
    fn possession_bytes_layout_is_pinned() {
        // Field 1 (domain), 2 (chain_id), 3 (owner): tag, length, UTF-8; field 4 (nonce):
        // tag 0x20, varint. Written out so firmware can compare byte for byte.
        let bytes = possession_bytes("c", "o", 300);
        let mut expected = vec![0x0a, POSSESSION_DOMAIN.len() as u8];
        expected.extend_from_slice(POSSESSION_DOMAIN.as_bytes());
        expected.extend_from_slice(&[0x12, 1, b'c', 0x1a, 1, b'o', 0x20, 0xac, 0x02]);
        assert_eq!(bytes, expected);
        // Zero values are left out, as protobuf encoders do.
        assert_eq!(
            possession_bytes("", "", 0),
            expected[..2 + POSSESSION_DOMAIN.len()]
        );
    }

    #[test]
    fn beacon_hash_is_sha256_of_beacon_bytes() {
        let bytes = beacon_bytes(CHAIN, "d", 1, 2, &[3; 32]);
        assert_eq!(
            beacon_hash(CHAIN, "d", 1, 2, &[3; 32]),
            <[u8; 32]>::from(Sha256::digest(&bytes))
        );
    }

    #[test]
    fn device_id_vectors_are_stable() {
        let secp = secp256k1_public();
        assert_eq!(
            hex(&secp.key),
            "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f"
        );
        assert_eq!(
            hex(&device_id_bytes(&secp)),
            "46e569e0b636821289cef9e5a03e5788da4c663a"
        );
        assert_eq!(
            device_id("depin", &secp),
            "depindev1gmjknc9kx6pp9zwwl8j6q0jh3rdyce36f4zcvv"
        );

        let ed = ed25519_public();
        assert_eq!(
            hex(&ed.key),
            "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
        );
        assert_eq!(
            hex(&device_id_bytes(&ed)),
            "ed8d4ddf0300f6dcec738a8ba92632aab2b13e9d"
        );
        assert_eq!(
            device_id("depin", &ed),
            "depindev1akx5mhcrqrmdemrn3296jf3j42etz05a9zxrvv"
        );
    }

    #[test]
    fn device_id_hashes_the_key_type() {
        let mut as_ed = secp256k1_public();
        as_ed.r#type = KeyType::Ed25519 as i32;
        assert_ne!(
            device_id_bytes(&as_ed),
            device_id_bytes(&secp256k1_public())
        );
        let mut expected = Sha256::new();
        expected.update([1u8]);
        expected.update(&secp256k1_public().key);
        assert_eq!(
            device_id_bytes(&secp256k1_public())[..],
            expected.finalize()[..DEVICE_ID_LEN]
        );
    }

    #[test]
    fn parse_device_id_round_trips() {
        for key in [secp256k1_public(), ed25519_public()] {
            let id = device_id("depin", &key);
            assert!(id.starts_with("depindev1"));
            assert_eq!(
                parse_device_id("depin", &id),
                Ok(device_id_bytes(&key).to_vec())
            );
        }
    }

    #[test]
    fn parse_device_id_refuses_other_prefixes() {
        let id = device_id("depin", &ed25519_public());
        assert!(matches!(
            parse_device_id("other", &id),
            Err(DeviceIdError::WrongPrefix { ref got, ref expected, .. })
                if got == "depindev" && expected == "otherdev"
        ));
        // An account address is not a device id.
        let account = depin_app::address::AddressCodec::new("depin").encode(&[7; 20]);
        assert!(matches!(
            parse_device_id("depin", &account),
            Err(DeviceIdError::WrongPrefix { .. })
        ));
    }

    #[test]
    fn parse_device_id_refuses_other_lengths() {
        let id = depin_app::address::AddressCodec::new("depindev").encode(&[7; 32]);
        assert_eq!(
            parse_device_id("depin", &id),
            Err(DeviceIdError::BadLength { id, got: 32 })
        );
    }

    #[test]
    fn parse_device_id_refuses_malformed_strings() {
        let mut id = device_id("depin", &ed25519_public());
        id.pop();
        id.push(if id.ends_with('q') { 'p' } else { 'q' });
        for bad in ["", "depindev", "not bech32", id.as_str()] {
            assert!(
                matches!(
                    parse_device_id("depin", bad),
                    Err(DeviceIdError::Malformed { .. })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn validate_key_accepts_both_key_types() {
        assert_eq!(validate_key(&secp256k1_public()), Ok(()));
        assert_eq!(validate_key(&ed25519_public()), Ok(()));
    }

    #[test]
    fn unknown_key_types_are_refused() {
        for r#type in [KeyType::Unspecified as i32, 3, -1, i32::MAX] {
            let key = PublicKey {
                r#type,
                key: ed25519_public().key,
            };
            assert_eq!(
                validate_key(&key),
                Err(SignatureError::UnknownKeyType(r#type))
            );
            assert_eq!(
                verify(&key, b"x", &[0; 64]),
                Err(SignatureError::UnknownKeyType(r#type))
            );
        }
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        let uncompressed = secp256k1_signer()
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let cases = [
            (KeyType::Secp256k1, uncompressed, 33),
            (KeyType::Secp256k1, vec![], 33),
            (
                KeyType::Secp256k1,
                secp256k1_public().key[..32].to_vec(),
                33,
            ),
            (KeyType::Ed25519, secp256k1_public().key, 32),
            (KeyType::Ed25519, vec![0; 31], 32),
        ];
        for (key_type, bytes, expected) in cases {
            let got = bytes.len();
            let key = PublicKey {
                r#type: key_type as i32,
                key: bytes,
            };
            let error = SignatureError::BadKeyLength {
                key_type,
                expected,
                got,
            };
            assert_eq!(validate_key(&key), Err(error.clone()));
            assert_eq!(verify(&key, b"x", &[1; 64]), Err(error));
        }
    }

    #[test]
    fn small_order_ed25519_keys_are_refused() {
        // The identity point and another point of order 2 / 4 / 8 encodings.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut order2 = [0u8; 32];
        order2[0] = 0xec;
        for b in order2.iter_mut().take(31).skip(1) {
            *b = 0xff;
        }
        order2[31] = 0x7f;
        for bytes in [identity, order2, [0u8; 32]] {
            let key = PublicKey {
                r#type: KeyType::Ed25519 as i32,
                key: bytes.to_vec(),
            };
            assert_eq!(
                validate_key(&key),
                Err(SignatureError::SmallOrderKey),
                "{bytes:?}"
            );
            // A trivial signature (R = identity, s = 0) is refused too, for the key's sake.
            let mut sig = [0u8; 64];
            sig[0] = 1;
            assert_eq!(
                verify(&key, b"anything", &sig),
                Err(SignatureError::SmallOrderKey)
            );
        }
    }

    #[test]
    fn keys_off_the_curve_are_refused() {
        let mut bad_tag = secp256k1_public();
        bad_tag.key[0] = 0x04;
        // x = 5: 5³ + 7 = 132 is not a square modulo p, so no point has this x.
        let mut off_curve = vec![0x02];
        off_curve.extend_from_slice(&[0; 31]);
        off_curve.push(5);
        for key in [
            bad_tag,
            PublicKey {
                r#type: KeyType::Secp256k1 as i32,
                key: off_curve,
            },
        ] {
            assert_eq!(
                validate_key(&key),
                Err(SignatureError::MalformedKey {
                    key_type: KeyType::Secp256k1
                })
            );
        }
        // Some 32-byte strings do not decompress to an Edwards point.
        let not_a_point = (0u8..=255)
            .map(|b| {
                let mut key = [0u8; 32];
                key[0] = b;
                key[1] = 1;
                key
            })
            .find(|key| ed25519_consensus::VerificationKey::try_from(*key).is_err())
            .expect("some encodings are not points");
        let key = PublicKey {
            r#type: KeyType::Ed25519 as i32,
            key: not_a_point.to_vec(),
        };
        let error = SignatureError::MalformedKey {
            key_type: KeyType::Ed25519,
        };
        assert_eq!(validate_key(&key), Err(error.clone()));
        assert_eq!(verify(&key, b"x", &[0; 64]), Err(error));
    }

    #[test]
    fn signatures_of_the_wrong_length_are_refused() {
        for key in [secp256k1_public(), ed25519_public()] {
            let key_type = key_type(&key).unwrap();
            for got in [0, 63, 65, 128] {
                assert_eq!(
                    verify(&key, b"x", &vec![1; got]),
                    Err(SignatureError::BadSignatureLength {
                        key_type,
                        expected: 64,
                        got
                    })
                );
            }
        }
    }

    #[test]
    fn zero_secp256k1_signatures_are_malformed() {
        assert_eq!(
            verify(&secp256k1_public(), b"x", &[0; 64]),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            verify(&secp256k1_public(), b"x", &[0xff; 64]),
            Err(SignatureError::MalformedSignature)
        );
    }

    #[test]
    fn high_s_is_refused() {
        let bytes = possession_bytes(CHAIN, "owner", 1);
        let low = secp256k1_sign(&bytes);
        assert_eq!(verify(&secp256k1_public(), &bytes, &low.to_bytes()), Ok(()));
        let (r, s) = low.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -s).unwrap();
        assert_eq!(
            verify(&secp256k1_public(), &bytes, &high.to_bytes()),
            Err(SignatureError::HighS)
        );
        assert!(SignatureError::HighS
            .to_string()
            .contains("normalize it to low S"));
    }

    #[test]
    fn wrong_signatures_do_not_verify() {
        let bytes = possession_bytes(CHAIN, "owner", 1);
        let other = possession_bytes(CHAIN, "owner", 2);
        let secp = secp256k1_sign(&bytes).to_bytes();
        assert_eq!(
            verify(&secp256k1_public(), &other, &secp),
            Err(SignatureError::Invalid {
                key_type: KeyType::Secp256k1
            })
        );
        let ed = ed25519_signer().sign(&bytes).to_bytes();
        assert_eq!(verify(&ed25519_public(), &bytes, &ed), Ok(()));
        assert_eq!(
            verify(&ed25519_public(), &other, &ed),
            Err(SignatureError::Invalid {
                key_type: KeyType::Ed25519
            })
        );
        // One flipped bit.
        let mut flipped = ed;
        flipped[0] ^= 1;
        assert!(verify(&ed25519_public(), &bytes, &flipped).is_err());
    }

    #[test]
    fn error_messages_name_the_key_type() {
        let error = SignatureError::BadKeyLength {
            key_type: KeyType::Secp256k1,
            expected: 33,
            got: 65,
        };
        assert_eq!(
            error.to_string(),
            "secp256k1 public key is 65 bytes; it must be 33"
        );
    }

    proptest! {
        #[test]
        fn verify_never_panics(
            r#type in -1i32..4,
            key in proptest::collection::vec(any::<u8>(), 0..70),
            message in proptest::collection::vec(any::<u8>(), 0..40),
            signature in proptest::collection::vec(any::<u8>(), 0..70),
        ) {
            let key = PublicKey { r#type, key };
            let _ = validate_key(&key);
            prop_assert!(verify(&key, &message, &signature).is_err());
        }

        #[test]
        fn verify_never_panics_on_well_formed_keys(
            ed in any::<bool>(),
            message in proptest::collection::vec(any::<u8>(), 0..40),
            signature in proptest::collection::vec(any::<u8>(), 64..=64),
        ) {
            let key = if ed { ed25519_public() } else { secp256k1_public() };
            prop_assert!(verify(&key, &message, &signature).is_err());
        }
    }
}
