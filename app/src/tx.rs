//! Standard Cosmos transactions: decoding `TxRaw` and checking SIGN_MODE_DIRECT secp256k1
//! signatures over the exact bytes the client signed. The ante pipeline (accounts, sequences,
//! fees) builds on these checks.

use cosmrs::proto::cosmos::crypto::secp256k1::PubKey as Secp256k1PubKeyProto;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, SignDoc, TxBody, TxRaw};
use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use prost::Message;
use thiserror::Error;

/// Errors are reported in the Cosmos SDK's own codespace with its codes, so wallets and
/// explorers read them as they read any Cosmos chain's.
pub const CODESPACE: &str = "sdk";

pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TxError {
    #[error("tx parse error: {0}")]
    Decode(String),
    #[error("signature verification failed: {0}")]
    Unauthorized(String),
    #[error("invalid public key: {0}")]
    InvalidPubKey(String),
    #[error("no signatures supplied")]
    NoSignatures,
    #[error("not supported: {0}")]
    NotSupported(String),
}

impl TxError {
    /// The code of this error in the `sdk` codespace (types/errors in the Cosmos SDK).
    pub fn code(&self) -> u32 {
        match self {
            TxError::Decode(_) => 2,
            TxError::Unauthorized(_) => 4,
            TxError::InvalidPubKey(_) => 8,
            TxError::NoSignatures => 15,
            TxError::NotSupported(_) => 37,
        }
    }
}

/// A transaction decoded from its raw bytes. `raw` keeps the exact body and auth-info bytes:
/// signatures are checked over those, never over a re-encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTx {
    pub raw: TxRaw,
    pub body: TxBody,
    pub auth_info: AuthInfo,
}

/// Decodes `bytes` as a `cosmos.tx.v1beta1.TxRaw` with its body and auth info, and checks that
/// it carries one signature per signer.
pub fn decode(bytes: &[u8]) -> Result<DecodedTx, TxError> {
    let raw = TxRaw::decode(bytes).map_err(|e| TxError::Decode(format!("not a TxRaw: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("undecodable body: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("undecodable auth info: {e}")))?;
    if raw.signatures.is_empty() {
        return Err(TxError::NoSignatures);
    }
    if raw.signatures.len() != auth_info.signer_infos.len() {
        return Err(TxError::Unauthorized(format!(
            "{} signatures for {} signers",
            raw.signatures.len(),
            auth_info.signer_infos.len()
        )));
    }
    Ok(DecodedTx {
        raw,
        body,
        auth_info,
    })
}

impl DecodedTx {
    /// The SIGN_MODE_DIRECT bytes a signer with `account_number` signed on `chain_id`.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.raw.body_bytes.clone(),
            auth_info_bytes: self.raw.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }

    /// The compressed secp256k1 key signer `index` carries, if it carries one (an account
    /// whose key is already on chain may omit it). Only SIGN_MODE_DIRECT single signers are
    /// accepted.
    pub fn signer_pubkey(&self, index: usize) -> Result<Option<[u8; 33]>, TxError> {
        self.pubkey_of(index, false)
    }

    /// As [`DecodedTx::signer_pubkey`], also accepting SIGN_MODE_UNSPECIFIED, which wallets
    /// (cosmjs, Keplr) put in the unsigned transactions they simulate for a gas estimate. For
    /// simulations only: nothing is verified there.
    pub fn simulated_signer_pubkey(&self, index: usize) -> Result<Option<[u8; 33]>, TxError> {
        self.pubkey_of(index, true)
    }

    fn pubkey_of(&self, index: usize, simulation: bool) -> Result<Option<[u8; 33]>, TxError> {
        let info = self
            .auth_info
            .signer_infos
            .get(index)
            .ok_or_else(|| TxError::Unauthorized(format!("no signer {index}")))?;
        match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
            Some(mode_info::Sum::Single(single))
                if single.mode == SignMode::Direct as i32
                    || (simulation && single.mode == SignMode::Unspecified as i32) => {}
            Some(mode_info::Sum::Single(single)) => {
                return Err(TxError::NotSupported(format!(
                    "sign mode {} (this chain accepts SIGN_MODE_DIRECT)",
                    single.mode
                )))
            }
            Some(mode_info::Sum::Multi(_)) => {
                return Err(TxError::NotSupported("multisig signers".into()))
            }
            None => return Err(TxError::Decode(format!("signer {index} has no mode info"))),
        }
        let Some(any) = &info.public_key else {
            return Ok(None);
        };
        if any.type_url != SECP256K1_PUBKEY_TYPE_URL {
            return Err(TxError::InvalidPubKey(format!(
                "key type {} (this chain accepts {SECP256K1_PUBKEY_TYPE_URL})",
                any.type_url
            )));
        }
        let key = Secp256k1PubKeyProto::decode(any.value.as_slice())
            .map_err(|e| TxError::InvalidPubKey(format!("undecodable secp256k1 key: {e}")))?;
        let bytes: [u8; 33] = key.key.as_slice().try_into().map_err(|_| {
            TxError::InvalidPubKey(format!(
                "a compressed secp256k1 key has 33 bytes, got {}",
                key.key.len()
            ))
        })?;
        VerifyingKey::from_sec1_bytes(&bytes)
            .map_err(|_| TxError::InvalidPubKey("not a point on secp256k1".into()))?;
        Ok(Some(bytes))
    }
}

/// Checks a 64-byte `r || s` signature by `pubkey` over sha256(`sign_bytes`). High-S
/// signatures are refused: each signature has one valid encoding, so a tx hash cannot be
/// changed by re-encoding its signature.
pub fn verify_secp256k1(
    pubkey: &[u8; 33],
    sign_bytes: &[u8],
    signature: &[u8],
) -> Result<(), TxError> {
    let key = VerifyingKey::from_sec1_bytes(pubkey)
        .map_err(|_| TxError::InvalidPubKey("not a point on secp256k1".into()))?;
    let sig = Signature::from_slice(signature).map_err(|_| {
        TxError::Unauthorized(format!(
            "malformed signature: expected 64 bytes r||s, got {} bytes",
            signature.len()
        ))
    })?;
    if sig.normalize_s().is_some() {
        return Err(TxError::Unauthorized(
            "signature has a high S value (not canonical)".into(),
        ));
    }
    key.verify(sign_bytes, &sig).map_err(|_| {
        TxError::Unauthorized(
            "signature does not match: check the chain id, account number and sequence".into(),
        )
    })
}

/// The raw 20-byte account address of a compressed secp256k1 key: ripemd160(sha256(key)), as
/// in the Cosmos SDK. It hashes the key's bytes; the key was checked to be a curve point when
/// the transaction was decoded ([`DecodedTx::signer_pubkey`]), so no decompression here.
pub fn address_bytes(pubkey: &[u8; 33]) -> [u8; 20] {
    use ripemd::Ripemd160;
    use sha2::{Digest, Sha256};
    Ripemd160::digest(Sha256::digest(pubkey)).into()
}

/// The bech32 account address of a secp256k1 key with `prefix`.
pub fn address(pubkey: &[u8; 33], prefix: &str) -> Result<String, TxError> {
    cosmrs::AccountId::new(prefix, &address_bytes(pubkey))
        .map(|id| id.to_string())
        .map_err(|e| TxError::InvalidPubKey(e.to_string()))
}
