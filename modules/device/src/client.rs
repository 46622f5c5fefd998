//! Building and signing the device documents, for device firmware, makers and gateways
//! (feature `client`).
//!
//! Signing is deterministic (RFC 6979 for secp256k1, Ed25519 by construction): no randomness
//! is drawn from the OS, and the same key and document always give the same signature.

use depin_proto::depin::device::v1::{
    KeyType, Location, MsgHeartbeat, MsgOnboardDevice, MsgRotateDeviceKey, MsgSubmitWitness,
    PublicKey,
};

use crate::signing;

/// A secp256k1 secret that is zero or not below the curve order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secp256k1 secret key must be a non-zero number below the curve order")]
pub struct InvalidSecret;

/// A device's (or a maker's) signing key.
#[derive(Clone)]
pub enum DeviceSigner {
    Secp256k1(k256::ecdsa::SigningKey),
    Ed25519(ed25519_consensus::SigningKey),
}

impl std::fmt::Debug for DeviceSigner {
    // Shows the public key only: a signer never prints its secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = self.public_key();
        f.debug_struct("DeviceSigner")
            .field("type", &self.key_type())
            .field("public_key", &key.key)
            .finish()
    }
}

impl DeviceSigner {
    /// A secp256k1 signer from a 32-byte big-endian secret scalar.
    pub fn secp256k1(secret: &[u8; 32]) -> Result<Self, InvalidSecret> {
        k256::ecdsa::SigningKey::from_slice(secret)
            .map(DeviceSigner::Secp256k1)
            .map_err(|_| InvalidSecret)
    }

    /// An Ed25519 signer from a 32-byte seed (every seed is usable).
    pub fn ed25519(seed: [u8; 32]) -> Self {
        DeviceSigner::Ed25519(ed25519_consensus::SigningKey::from(seed))
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            DeviceSigner::Secp256k1(_) => KeyType::Secp256k1,
            DeviceSigner::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The public key as the chain stores it: compressed SEC1 (33 bytes) or Ed25519 (32).
    pub fn public_key(&self) -> PublicKey {
        let key = match self {
            DeviceSigner::Secp256k1(key) => key
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
            DeviceSigner::Ed25519(key) => key.verification_key().to_bytes().to_vec(),
        };
        PublicKey {
            r#type: self.key_type() as i32,
            key,
        }
    }

    /// The device id this key gets at onboarding on a chain whose account prefix is `prefix`
    /// (a rotated device keeps the id of its first key).
    pub fn id(&self, prefix: &str) -> String {
        signing::device_id(prefix, &self.public_key())
    }

    /// The 64-byte signature of `sign_bytes`, as [`signing::verify`] checks it.
    pub fn sign(&self, sign_bytes: &[u8]) -> Vec<u8> {
        match self {
            DeviceSigner::Secp256k1(key) => {
                use k256::ecdsa::signature::Signer;
                let signature: k256::ecdsa::Signature = key.sign(sign_bytes);
                // The chain refuses high S; k256 already signs with low S, this makes sure.
                signature
                    .normalize_s()
                    .unwrap_or(signature)
                    .to_bytes()
                    .to_vec()
            }
            DeviceSigner::Ed25519(key) => key.sign(sign_bytes).to_bytes().to_vec(),
        }
    }
}

/// The maker's attestation that `device_key` is a device of `class` with `serial`.
pub fn sign_attestation(
    maker: &DeviceSigner,
    chain_id: &str,
    device_key: &PublicKey,
    class: &str,
    serial: &str,
) -> Vec<u8> {
    maker.sign(&signing::attestation_bytes(
        chain_id, device_key, class, serial,
    ))
}

/// The device's consent to be owned by `owner`.
pub fn sign_possession(device: &DeviceSigner, chain_id: &str, owner: &str, nonce: u64) -> Vec<u8> {
    device.sign(&signing::possession_bytes(chain_id, owner, nonce))
}

/// A heartbeat; `payload_hash` is the SHA-256 of the device's payload.
pub fn sign_heartbeat(
    device: &DeviceSigner,
    chain_id: &str,
    device_id: &str,
    epoch: u64,
    counter: u64,
    payload_hash: &[u8],
) -> Vec<u8> {
    device.sign(&signing::heartbeat_bytes(
        chain_id,
        device_id,
        epoch,
        counter,
        payload_hash,
    ))
}

/// A beacon; `data_hash` is the SHA-256 of the transmitted data.
pub fn sign_beacon(
    device: &DeviceSigner,
    chain_id: &str,
    device_id: &str,
    epoch: u64,
    nonce: u64,
    data_hash: &[u8],
) -> Vec<u8> {
    device.sign(&signing::beacon_bytes(
        chain_id, device_id, epoch, nonce, data_hash,
    ))
}

/// A witness report of the beacon whose [`signing::beacon_hash`] is `beacon_hash`.
pub fn sign_witness(
    witness: &DeviceSigner,
    chain_id: &str,
    witness_id: &str,
    beacon_hash: &[u8],
    rssi: i32,
    snr: i32,
) -> Vec<u8> {
    witness.sign(&signing::witness_bytes(
        chain_id,
        witness_id,
        beacon_hash,
        rssi,
        snr,
    ))
}

/// One of the two signatures of a key rotation: call it with the old key and with the new.
/// `rotation` is the device's `key_rotations` count before this rotation.
pub fn sign_key_rotation(
    signer: &DeviceSigner,
    chain_id: &str,
    device_id: &str,
    new_key: &PublicKey,
    rotation: u32,
) -> Vec<u8> {
    signer.sign(&signing::key_rotation_bytes(
        chain_id, device_id, new_key, rotation,
    ))
}

/// The fields of a `MsgOnboardDevice` other than the keys and signatures.
#[derive(Debug, Clone, Default)]
pub struct Onboarding<'a> {
    pub chain_id: &'a str,
    /// The new owner: the transaction's signer.
    pub owner: &'a str,
    /// The maker's registered name.
    pub maker: &'a str,
    pub class: &'a str,
    pub serial: &'a str,
    /// Signed in the possession document; any number the owner has not used with this device.
    pub nonce: u64,
    pub location: Option<Location>,
    pub metadata: &'a str,
}

/// A `MsgOnboardDevice` with the device's possession signature, given the maker's
/// `attestation` (made at the factory with [`sign_attestation`]).
pub fn onboard_device(
    device: &DeviceSigner,
    attestation: Vec<u8>,
    onboarding: Onboarding<'_>,
) -> MsgOnboardDevice {
    MsgOnboardDevice {
        owner: onboarding.owner.to_string(),
        maker: onboarding.maker.to_string(),
        class: onboarding.class.to_string(),
        serial: onboarding.serial.to_string(),
        device_key: Some(device.public_key()),
        attestation,
        nonce: onboarding.nonce,
        possession: sign_possession(
            device,
            onboarding.chain_id,
            onboarding.owner,
            onboarding.nonce,
        ),
        location: onboarding.location,
        metadata: onboarding.metadata.to_string(),
    }
}

/// A signed `MsgHeartbeat`, to be sent by `submitter`.
pub fn heartbeat(
    device: &DeviceSigner,
    chain_id: &str,
    submitter: &str,
    device_id: &str,
    epoch: u64,
    counter: u64,
    payload_hash: &[u8],
) -> MsgHeartbeat {
    MsgHeartbeat {
        submitter: submitter.to_string(),
        device_id: device_id.to_string(),
        epoch,
        counter,
        payload_hash: payload_hash.to_vec(),
        signature: sign_heartbeat(device, chain_id, device_id, epoch, counter, payload_hash),
    }
}

/// A beacon as its device signed it, to be passed to the witnesses that hear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    pub device_id: String,
    pub epoch: u64,
    pub nonce: u64,
    pub data_hash: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Beacon {
    /// Signs a beacon of `device_id` with its device's key.
    pub fn sign(
        device: &DeviceSigner,
        chain_id: &str,
        device_id: &str,
        epoch: u64,
        nonce: u64,
        data_hash: &[u8],
    ) -> Self {
        Beacon {
            device_id: device_id.to_string(),
            epoch,
            nonce,
            data_hash: data_hash.to_vec(),
            signature: sign_beacon(device, chain_id, device_id, epoch, nonce, data_hash),
        }
    }

    /// What a witness signs to name this beacon.
    pub fn hash(&self, chain_id: &str) -> [u8; 32] {
        signing::beacon_hash(
            chain_id,
            &self.device_id,
            self.epoch,
            self.nonce,
            &self.data_hash,
        )
    }
}

/// A `MsgSubmitWitness`: `beacon` heard by the device `witness_id`, whose key is `witness`.
pub fn submit_witness(
    chain_id: &str,
    submitter: &str,
    beacon: &Beacon,
    witness: &DeviceSigner,
    witness_id: &str,
    rssi: i32,
    snr: i32,
) -> MsgSubmitWitness {
    MsgSubmitWitness {
        submitter: submitter.to_string(),
        beacon_device_id: beacon.device_id.clone(),
        epoch: beacon.epoch,
        beacon_nonce: beacon.nonce,
        beacon_data_hash: beacon.data_hash.clone(),
        beacon_signature: beacon.signature.clone(),
        witness_device_id: witness_id.to_string(),
        rssi,
        snr,
        witness_signature: sign_witness(
            witness,
            chain_id,
            witness_id,
            &beacon.hash(chain_id),
            rssi,
            snr,
        ),
    }
}

/// A `MsgRotateDeviceKey` from `old` to `new`, signed by both. `rotation` is the device's
/// `key_rotations` count before this rotation.
pub fn rotate_device_key(
    old: &DeviceSigner,
    new: &DeviceSigner,
    chain_id: &str,
    owner: &str,
    device_id: &str,
    rotation: u32,
) -> MsgRotateDeviceKey {
    let new_key = new.public_key();
    MsgRotateDeviceKey {
        owner: owner.to_string(),
        device_id: device_id.to_string(),
        old_key_signature: sign_key_rotation(old, chain_id, device_id, &new_key, rotation),
        new_key_signature: sign_key_rotation(new, chain_id, device_id, &new_key, rotation),
        new_key: Some(new_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{verify, SignatureError};

    const CHAIN: &str = "depin-test-1";
    const OWNER: &str = "depin1owner";

    fn signers() -> [DeviceSigner; 2] {
        [
            DeviceSigner::secp256k1(&[0x01; 32]).unwrap(),
            DeviceSigner::ed25519([0x02; 32]),
        ]
    }

    fn other_key() -> PublicKey {
        DeviceSigner::ed25519([0x03; 32]).public_key()
    }

    /// One instance of a document: its sign bytes, and the same document with one field
    /// changed, for each field.
    struct Document {
        kind: &'static str,
        bytes: Vec<u8>,
        tampered: Vec<Vec<u8>>,
    }

    fn document(kind: &'static str, bytes: Vec<u8>, tampered: Vec<Vec<u8>>) -> Document {
        Document {
            kind,
            bytes,
            tampered,
        }
    }

    fn documents() -> Vec<Document> {
        let key = other_key();
        let key2 = DeviceSigner::ed25519([0x04; 32]).public_key();
        let h = [7u8; 32];
        let h2 = [8u8; 32];
        vec![
            document(
                "attestation",
                signing::attestation_bytes(CHAIN, &key, "hotspot", "SN1"),
                vec![
                    signing::attestation_bytes("other-chain", &key, "hotspot", "SN1"),
                    signing::attestation_bytes(CHAIN, &key2, "hotspot", "SN1"),
                    signing::attestation_bytes(CHAIN, &key, "sensor", "SN1"),
                    signing::attestation_bytes(CHAIN, &key, "hotspot", "SN2"),
                ],
            ),
            document(
                "possession",
                signing::possession_bytes(CHAIN, OWNER, 1),
                vec![
                    signing::possession_bytes("other-chain", OWNER, 1),
                    signing::possession_bytes(CHAIN, "depin1thief", 1),
                    signing::possession_bytes(CHAIN, OWNER, 2),
                ],
            ),
            document(
                "heartbeat",
                signing::heartbeat_bytes(CHAIN, "dev", 5, 6, &h),
                vec![
                    signing::heartbeat_bytes("other-chain", "dev", 5, 6, &h),
                    signing::heartbeat_bytes(CHAIN, "dev2", 5, 6, &h),
                    signing::heartbeat_bytes(CHAIN, "dev", 4, 6, &h),
                    signing::heartbeat_bytes(CHAIN, "dev", 5, 7, &h),
                    signing::heartbeat_bytes(CHAIN, "dev", 5, 6, &h2),
                ],
            ),
            document(
                "beacon",
                signing::beacon_bytes(CHAIN, "dev", 5, 6, &h),
                vec![
                    signing::beacon_bytes("other-chain", "dev", 5, 6, &h),
                    signing::beacon_bytes(CHAIN, "dev2", 5, 6, &h),
                    signing::beacon_bytes(CHAIN, "dev", 4, 6, &h),
                    signing::beacon_bytes(CHAIN, "dev", 5, 7, &h),
                    signing::beacon_bytes(CHAIN, "dev", 5, 6, &h2),
                ],
            ),
            document(
                "witness",
                signing::witness_bytes(CHAIN, "wit", &h, -900, 55),
                vec![
                    signing::witness_bytes("other-chain", "wit", &h, -900, 55),
                    signing::witness_bytes(CHAIN, "wit2", &h, -900, 55),
                    signing::witness_bytes(CHAIN, "wit", &h2, -900, 55),
                    signing::witness_bytes(CHAIN, "wit", &h, -901, 55),
                    signing::witness_bytes(CHAIN, "wit", &h, -900, -55),
                ],
            ),
            document(
                "key_rotation",
                signing::key_rotation_bytes(CHAIN, "dev", &key, 0),
                vec![
                    signing::key_rotation_bytes("other-chain", "dev", &key, 0),
                    signing::key_rotation_bytes(CHAIN, "dev2", &key, 0),
                    signing::key_rotation_bytes(CHAIN, "dev", &key2, 0),
                    signing::key_rotation_bytes(CHAIN, "dev", &key, 1),
                ],
            ),
        ]
    }

    /// The `sign_*` function of each document gives the same signature as signing its bytes.
    fn sign_document(signer: &DeviceSigner, kind: &str) -> Vec<u8> {
        let h = [7u8; 32];
        match kind {
            "attestation" => sign_attestation(signer, CHAIN, &other_key(), "hotspot", "SN1"),
            "possession" => sign_possession(signer, CHAIN, OWNER, 1),
            "heartbeat" => sign_heartbeat(signer, CHAIN, "dev", 5, 6, &h),
            "beacon" => sign_beacon(signer, CHAIN, "dev", 5, 6, &h),
            "witness" => sign_witness(signer, CHAIN, "wit", &h, -900, 55),
            _ => sign_key_rotation(signer, CHAIN, "dev", &other_key(), 0),
        }
    }

    #[test]
    fn every_document_round_trips_for_both_key_types() {
        for signer in signers() {
            let key = signer.public_key();
            assert_eq!(signing::validate_key(&key), Ok(()));
            for Document { kind, bytes, .. } in documents() {
                let signature = sign_document(&signer, kind);
                assert_eq!(signature.len(), signing::SIGNATURE_LEN);
                assert_eq!(signature, signer.sign(&bytes), "{kind}");
                assert_eq!(verify(&key, &bytes, &signature), Ok(()), "{kind}");
            }
        }
    }

    #[test]
    fn a_signature_of_one_domain_verifies_as_no_other() {
        for signer in signers() {
            let key = signer.public_key();
            let documents = documents();
            for Document { kind, bytes, .. } in &documents {
                let signature = signer.sign(bytes);
                for Document {
                    kind: other_kind,
                    bytes: other_bytes,
                    ..
                } in &documents
                {
                    if kind != other_kind {
                        assert_eq!(
                            verify(&key, other_bytes, &signature),
                            Err(SignatureError::Invalid {
                                key_type: signer.key_type()
                            }),
                            "a {kind} signature verified as {other_kind}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn changing_any_field_breaks_the_signature() {
        for signer in signers() {
            let key = signer.public_key();
            for Document {
                kind,
                bytes,
                tampered,
            } in documents()
            {
                let signature = signer.sign(&bytes);
                for (field, changed) in tampered.iter().enumerate() {
                    assert_ne!(changed, &bytes);
                    assert!(
                        verify(&key, changed, &signature).is_err(),
                        "{kind}: change {field} still verifies"
                    );
                }
            }
        }
    }

    #[test]
    fn another_key_does_not_verify() {
        let [secp, ed] = signers();
        let bytes = signing::possession_bytes(CHAIN, OWNER, 1);
        let other_secp = DeviceSigner::secp256k1(&[0x05; 32]).unwrap();
        assert!(verify(&other_secp.public_key(), &bytes, &secp.sign(&bytes)).is_err());
        assert!(verify(&other_key(), &bytes, &ed.sign(&bytes)).is_err());
        // A signature under the other key type's rules.
        assert!(verify(&secp.public_key(), &bytes, &ed.sign(&bytes)).is_err());
    }

    #[test]
    fn signatures_are_deterministic_and_low_s() {
        for signer in signers() {
            for nonce in 0..32 {
                let bytes = signing::possession_bytes(CHAIN, OWNER, nonce);
                let signature = signer.sign(&bytes);
                assert_eq!(signature, signer.sign(&bytes));
                // verify refuses high S, so verifying is the low-S check.
                assert_eq!(verify(&signer.public_key(), &bytes, &signature), Ok(()));
            }
        }
    }

    #[test]
    fn ids_match_the_signing_vectors() {
        let [secp, ed] = signers();
        assert_eq!(
            secp.id("depin"),
            "depindev1gmjknc9kx6pp9zwwl8j6q0jh3rdyce36f4zcvv"
        );
        assert_eq!(
            ed.id("depin"),
            "depindev1akx5mhcrqrmdemrn3296jf3j42etz05a9zxrvv"
        );
        assert_eq!(secp.public_key().key.len(), 33);
        assert_eq!(ed.public_key().key.len(), 32);
    }

    #[test]
    fn invalid_secp256k1_secrets_are_refused() {
        // Zero, and the group order n itself.
        let order: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
            0xd0, 0x36, 0x41, 0x41,
        ];
        assert_eq!(DeviceSigner::secp256k1(&[0; 32]).err(), Some(InvalidSecret));
        assert_eq!(DeviceSigner::secp256k1(&order).err(), Some(InvalidSecret));
    }

    #[test]
    fn debug_shows_no_secret() {
        let printed = format!("{:?}", DeviceSigner::ed25519([0x02; 32]));
        assert!(!printed.contains("[2, 2, 2"));
        assert!(printed.contains("public_key"));
    }

    #[test]
    fn onboard_device_carries_verifying_signatures() {
        let maker = DeviceSigner::secp256k1(&[0x0a; 32]).unwrap();
        for device in signers() {
            let attestation =
                sign_attestation(&maker, CHAIN, &device.public_key(), "hotspot", "SN1");
            let location = Location {
                h3_cell: 0x8a1fb46622dffff,
                ..Default::default()
            };
            let msg = onboard_device(
                &device,
                attestation,
                Onboarding {
                    chain_id: CHAIN,
                    owner: OWNER,
                    maker: "acme",
                    class: "hotspot",
                    serial: "SN1",
                    nonce: 9,
                    location: Some(location),
                    metadata: "{}",
                },
            );
            let key = msg.device_key.clone().unwrap();
            assert_eq!(key, device.public_key());
            assert_eq!((msg.maker.as_str(), msg.nonce), ("acme", 9));
            assert_eq!(msg.location, Some(location));
            let attested = signing::attestation_bytes(CHAIN, &key, &msg.class, &msg.serial);
            assert_eq!(
                verify(&maker.public_key(), &attested, &msg.attestation),
                Ok(())
            );
            let possessed = signing::possession_bytes(CHAIN, &msg.owner, msg.nonce);
            assert_eq!(verify(&key, &possessed, &msg.possession), Ok(()));
        }
    }

    #[test]
    fn heartbeat_message_verifies() {
        for device in signers() {
            let id = device.id("depin");
            let msg = heartbeat(&device, CHAIN, "depin1gateway", &id, 12, 40, &[1; 32]);
            let bytes = signing::heartbeat_bytes(
                CHAIN,
                &msg.device_id,
                msg.epoch,
                msg.counter,
                &msg.payload_hash,
            );
            assert_eq!(verify(&device.public_key(), &bytes, &msg.signature), Ok(()));
            assert_eq!(msg.submitter, "depin1gateway");
        }
    }

    #[test]
    fn witness_message_verifies_both_signatures() {
        let [beaconer, witness] = signers();
        let (beacon_id, witness_id) = (beaconer.id("depin"), witness.id("depin"));
        let beacon = Beacon::sign(&beaconer, CHAIN, &beacon_id, 3, 1, &[5; 32]);
        let msg = submit_witness(
            CHAIN,
            "depin1gateway",
            &beacon,
            &witness,
            &witness_id,
            -1100,
            80,
        );
        let beacon_bytes = signing::beacon_bytes(
            CHAIN,
            &msg.beacon_device_id,
            msg.epoch,
            msg.beacon_nonce,
            &msg.beacon_data_hash,
        );
        assert_eq!(
            verify(&beaconer.public_key(), &beacon_bytes, &msg.beacon_signature),
            Ok(())
        );
        let beacon_hash = signing::beacon_hash(
            CHAIN,
            &msg.beacon_device_id,
            msg.epoch,
            msg.beacon_nonce,
            &msg.beacon_data_hash,
        );
        assert_eq!(beacon_hash, beacon.hash(CHAIN));
        let witness_bytes = signing::witness_bytes(
            CHAIN,
            &msg.witness_device_id,
            &beacon_hash,
            msg.rssi,
            msg.snr,
        );
        assert_eq!(
            verify(
                &witness.public_key(),
                &witness_bytes,
                &msg.witness_signature
            ),
            Ok(())
        );
    }

    #[test]
    fn rotation_message_is_signed_by_old_and_new_key() {
        let [old, new] = signers();
        let id = old.id("depin");
        let msg = rotate_device_key(&old, &new, CHAIN, OWNER, &id, 0);
        let new_key = msg.new_key.clone().unwrap();
        assert_eq!(new_key, new.public_key());
        let bytes = signing::key_rotation_bytes(CHAIN, &msg.device_id, &new_key, 0);
        assert_eq!(
            verify(&old.public_key(), &bytes, &msg.old_key_signature),
            Ok(())
        );
        assert_eq!(verify(&new_key, &bytes, &msg.new_key_signature), Ok(()));
        // Replaying it as the next rotation fails.
        let next = signing::key_rotation_bytes(CHAIN, &msg.device_id, &new_key, 1);
        assert!(verify(&new_key, &next, &msg.new_key_signature).is_err());
    }
}
