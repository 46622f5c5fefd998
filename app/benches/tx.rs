//! Transaction signature checks: the pure k256 verification rate (the budget per tx) and a
//! full decode + sign-bytes + verify of a wallet-signed MsgSend.
//! Run: `cargo bench -p depin-app --bench tx`. Numbers go to docs/PERFORMANCE.md.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::Coin;
use criterion::{criterion_group, criterion_main, Criterion};
use depin_app::tx;
use k256::ecdsa::signature::{Signer, Verifier};

fn bench_tx(c: &mut Criterion) {
    let sk = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let vk = *sk.verifying_key();
    let msg = vec![42u8; 300];
    let sig: k256::ecdsa::Signature = sk.sign(&msg);
    c.bench_function("k256_verify", |b| b.iter(|| vk.verify(&msg, &sig).unwrap()));

    let signer = SigningKey::from_slice(&[7; 32]).unwrap();
    let coin = Coin {
        denom: "udepin".parse().unwrap(),
        amount: 1000,
    };
    let send = MsgSend {
        from_address: signer.public_key().account_id("depin").unwrap(),
        to_address: signer.public_key().account_id("depin").unwrap(),
        amount: vec![coin.clone()],
    };
    let body = Body::new(vec![send.to_any().unwrap()], "", 0u16);
    let auth = SignerInfo::single_direct(Some(signer.public_key()), 0)
        .auth_info(Fee::from_amount_and_gas(coin, 100_000u64));
    let doc = SignDoc::new(&body, &auth, &"depin-1".parse().unwrap(), 1).unwrap();
    let bytes = doc.sign(&signer).unwrap().to_bytes().unwrap();
    c.bench_function("decode_and_verify_msg_send", |b| {
        b.iter(|| {
            let d = tx::decode(&bytes).unwrap();
            let pk = d.signer_pubkey(0).unwrap().unwrap();
            tx::verify_secp256k1(&pk, &d.sign_bytes("depin-1", 1), &d.raw.signatures[0]).unwrap();
        })
    });
}

criterion_group!(benches, bench_tx);
criterion_main!(benches);
