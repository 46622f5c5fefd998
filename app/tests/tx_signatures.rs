//! Signature checks of standard Cosmos transactions, signed with cosmrs as wallets sign them.

use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::Coin;
use depin_app::tx::{self, TxError};
use k256::elliptic_curve::ops::Neg;
use prost::Message;

const CHAIN: &str = "depin-test-1";
const ACCOUNT: u64 = 7;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// A MsgSend signed by `signer` for `chain` and `account`, as raw tx bytes.
fn signed_send(signer: &SigningKey, chain: &str, account: u64, memo: &str) -> Vec<u8> {
    let from = signer.public_key().account_id("depin").unwrap();
    let to = key(99).public_key().account_id("depin").unwrap();
    let coin = Coin {
        denom: "udepin".parse().unwrap(),
        amount: 1000,
    };
    let msg = MsgSend {
        from_address: from,
        to_address: to,
        amount: vec![coin.clone()],
    };
    let body = Body::new(vec![msg.to_any().unwrap()], memo, 0u16);
    let auth = SignerInfo::single_direct(Some(signer.public_key()), 3)
        .auth_info(Fee::from_amount_and_gas(coin, 200_000u64));
    let doc = SignDoc::new(&body, &auth, &chain.parse().unwrap(), account).unwrap();
    doc.sign(signer).unwrap().to_bytes().unwrap()
}

fn check(bytes: &[u8], chain: &str, account: u64) -> Result<String, TxError> {
    let decoded = tx::decode(bytes)?;
    let pubkey = decoded
        .signer_pubkey(0)?
        .expect("the test txs carry their key");
    tx::verify_secp256k1(
        &pubkey,
        &decoded.sign_bytes(chain, account),
        &decoded.raw.signatures[0],
    )?;
    tx::address(&pubkey, "depin")
}

#[test]
fn a_wallet_signed_tx_verifies_and_names_its_signer() {
    let sk = key(1);
    let addr = check(&signed_send(&sk, CHAIN, ACCOUNT, "hi"), CHAIN, ACCOUNT).unwrap();
    assert_eq!(
        addr,
        sk.public_key().account_id("depin").unwrap().to_string()
    );
    assert!(addr.starts_with("depin1"));
}

#[test]
fn wrong_chain_account_or_bytes_fail_with_unauthorized() {
    let bytes = signed_send(&key(1), CHAIN, ACCOUNT, "hi");
    for (chain, account) in [("other-chain", ACCOUNT), (CHAIN, ACCOUNT + 1)] {
        let err = check(&bytes, chain, account).unwrap_err();
        assert!(matches!(err, TxError::Unauthorized(_)), "{err}");
        assert_eq!(err.code(), 4);
    }
    // Change the memo inside the signed body bytes: the signature no longer matches.
    let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
    let at = raw.body_bytes.windows(2).position(|w| w == b"hi").unwrap();
    raw.body_bytes[at] = b'H';
    let err = check(&raw.encode_to_vec(), CHAIN, ACCOUNT).unwrap_err();
    assert!(matches!(err, TxError::Unauthorized(_)), "{err}");
    // Another key's signature over the same doc.
    let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
    let other = TxRaw::decode(signed_send(&key(2), CHAIN, ACCOUNT, "hi").as_slice()).unwrap();
    raw.signatures = other.signatures;
    assert!(matches!(
        check(&raw.encode_to_vec(), CHAIN, ACCOUNT),
        Err(TxError::Unauthorized(_))
    ));
}

#[test]
fn high_s_and_malformed_signatures_are_refused() {
    let bytes = signed_send(&key(1), CHAIN, ACCOUNT, "hi");
    let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
    let sig = k256::ecdsa::Signature::from_slice(&raw.signatures[0]).unwrap();
    let (r, s) = sig.split_scalars();
    // (r, n - s) is the same signature in its other, high-S encoding.
    let high = k256::ecdsa::Signature::from_scalars(r, s.as_ref().neg()).unwrap();
    assert!(
        high.normalize_s().is_some(),
        "the test made a high-S signature"
    );
    raw.signatures[0] = high.to_bytes().to_vec();
    let err = check(&raw.encode_to_vec(), CHAIN, ACCOUNT).unwrap_err();
    assert!(err.to_string().contains("high S"), "{err}");
    raw.signatures[0] = vec![1, 2, 3];
    let err = check(&raw.encode_to_vec(), CHAIN, ACCOUNT).unwrap_err();
    assert!(err.to_string().contains("malformed"), "{err}");
}

#[test]
fn undecodable_or_unsigned_txs_get_their_codes() {
    let err = tx::decode(b"\xff\xff garbage").unwrap_err();
    assert_eq!((err.code(), tx::CODESPACE), (2, "sdk"), "{err}");
    let mut raw = TxRaw::decode(signed_send(&key(1), CHAIN, ACCOUNT, "").as_slice()).unwrap();
    raw.signatures.clear();
    assert_eq!(
        tx::decode(&raw.encode_to_vec()).unwrap_err(),
        TxError::NoSignatures
    );
    raw.signatures = vec![vec![0; 64], vec![0; 64]];
    assert!(matches!(
        tx::decode(&raw.encode_to_vec()),
        Err(TxError::Unauthorized(_))
    ));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        if let Ok(decoded) = tx::decode(&bytes) {
            // Whatever decodes carries one signature per signer.
            proptest::prop_assert!(!decoded.raw.signatures.is_empty());
            proptest::prop_assert_eq!(decoded.raw.signatures.len(), decoded.auth_info.signer_infos.len());
            if let Ok(Some(pk)) = decoded.signer_pubkey(0) {
                let _ = tx::verify_secp256k1(&pk, &decoded.sign_bytes(CHAIN, 0), &decoded.raw.signatures[0]);
            }
        }
    }
}
