//! Helpers for tests, benchmarks and scripts: deterministic keys, genesis with funded accounts,
//! and transactions signed with cosmrs exactly as a wallet signs them.

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::Any;
use prost::Message;

use crate::{ADDRESS_PREFIX, DENOM};

/// A test account: a key derived from a seed number, and its address.
pub struct TestKey {
    pub key: SigningKey,
    pub address: String,
}

impl TestKey {
    /// The same key for the same `seed`, on every run.
    pub fn from_seed(seed: u64) -> Self {
        use sha2::{Digest, Sha256};
        let mut bytes: [u8; 32] = Sha256::digest(seed.to_be_bytes()).into();
        loop {
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return Self::from_key(key);
            }
            bytes = Sha256::digest(bytes).into();
        }
    }

    pub fn from_key(key: SigningKey) -> Self {
        let address = key
            .public_key()
            .account_id(ADDRESS_PREFIX)
            .map(|a| a.to_string())
            .unwrap_or_default();
        TestKey { key, address }
    }

    /// The 33-byte compressed public key.
    pub fn pubkey_bytes(&self) -> Vec<u8> {
        self.key.public_key().to_bytes()
    }
}

/// An `app_state` with `accounts` funded in the chain's denom (account numbers in order).
pub fn genesis(accounts: &[(&str, u128)]) -> serde_json::Value {
    let auth_accounts: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, (address, _))| depin_auth::GenesisAccount::base(address, i as u64))
        .collect();
    let balances: Vec<_> = accounts
        .iter()
        .map(|(address, amount)| depin_bank::genesis::Balance {
            address: address.to_string(),
            coins: vec![depin_app::coins::Coin::new(*amount, DENOM)],
        })
        .collect();
    serde_json::json!({
        "auth": depin_auth::GenesisState { accounts: auth_accounts, ..Default::default() },
        "bank": depin_bank::GenesisState { balances, ..Default::default() },
    })
}

/// The fee and gas of a transaction.
#[derive(Debug, Clone)]
pub struct FeeSpec {
    pub amount: u128,
    pub denom: String,
    pub gas: u64,
}

impl FeeSpec {
    pub fn new(amount: u128, gas: u64) -> Self {
        FeeSpec {
            amount,
            denom: DENOM.to_string(),
            gas,
        }
    }
}

/// What a signer needs besides its key: the chain and its account's number and sequence.
#[derive(Debug, Clone)]
pub struct SignerData {
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
}

/// Signs `msgs` in SIGN_MODE_DIRECT and returns the raw `TxRaw` bytes.
pub fn sign(
    signer: &TestKey,
    data: &SignerData,
    msgs: Vec<Any>,
    fee: &FeeSpec,
    memo: &str,
) -> Result<Vec<u8>, String> {
    let body = Body::new(msgs, memo, 0u32);
    let coin = cosmrs::Coin {
        denom: fee.denom.parse().map_err(|e| format!("{e}"))?,
        amount: fee.amount,
    };
    let fee = if fee.amount == 0 {
        Fee {
            amount: Vec::new(),
            gas_limit: fee.gas,
            payer: None,
            granter: None,
        }
    } else {
        Fee::from_amount_and_gas(coin, fee.gas)
    };
    let auth =
        SignerInfo::single_direct(Some(signer.key.public_key()), data.sequence).auth_info(fee);
    let chain = data
        .chain_id
        .parse()
        .map_err(|e| format!("chain id: {e}"))?;
    let doc = SignDoc::new(&body, &auth, &chain, data.account_number).map_err(|e| e.to_string())?;
    doc.sign(&signer.key)
        .and_then(|raw| raw.to_bytes())
        .map_err(|e| e.to_string())
}

/// The account number and sequence of `address` on the in-process chain `driver`, through the
/// auth module's Account query (a test helper: panics when the account does not exist).
pub fn account_of(driver: &depin_app::driver::InProcess, address: &str) -> (u64, u64) {
    use cosmrs::proto::cosmos::auth::v1beta1::{
        BaseAccount, QueryAccountRequest, QueryAccountResponse,
    };
    let resp: QueryAccountResponse = driver
        .query_as(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: address.to_string(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let any = resp
        .account
        .unwrap_or_else(|| panic!("no account {address}"));
    let a = BaseAccount::decode(any.value.as_slice())
        .unwrap_or_else(|e| panic!("account {address}: {e}"));
    (a.account_number, a.sequence)
}

/// `msgs` from `key`, signed (no memo) for its current account number and sequence on the
/// in-process chain `driver`, whose chain id is `chain_id`.
pub fn sign_current(
    driver: &depin_app::driver::InProcess,
    chain_id: &str,
    key: &TestKey,
    msgs: Vec<Any>,
    fee: &FeeSpec,
) -> Vec<u8> {
    let (account_number, sequence) = account_of(driver, &key.address);
    let data = SignerData {
        chain_id: chain_id.to_string(),
        account_number,
        sequence,
    };
    sign(key, &data, msgs, fee, "").unwrap_or_else(|e| panic!("signing a test tx: {e}"))
}

/// A MsgSend of `amount` of the chain's denom from `from` to `to`.
pub fn msg_send(from: &str, to: &str, amount: u128) -> Any {
    let msg = cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
        from_address: from.to_string(),
        to_address: to.to_string(),
        amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: DENOM.to_string(),
            amount: amount.to_string(),
        }],
    };
    Any {
        type_url: depin_bank::msgs::MSG_SEND.to_string(),
        value: msg.encode_to_vec(),
    }
}

/// A signed bank send.
pub fn send_tx(
    from: &TestKey,
    data: &SignerData,
    to: &str,
    amount: u128,
    fee: &FeeSpec,
) -> Vec<u8> {
    sign(
        from,
        data,
        vec![msg_send(&from.address, to, amount)],
        fee,
        "",
    )
    .unwrap_or_else(|e| panic!("signing a test tx: {e}"))
}

/// A base port with `count` consecutive ports free on 127.0.0.1, for test nodes. They lie below
/// the kernel's ephemeral range (32768 and up on Linux), so no outgoing connection is handed
/// one of them while a test node is down and restarting; each process starts at its own offset
/// and each call takes a new block, so concurrent tests do not collide.
pub fn reserve_ports(count: u16) -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 10_000;
    const SPAN: u32 = 22_000;
    let count32 = u32::from(count.max(1));
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    for _ in 0..2_000 {
        let offset = NEXT.fetch_add(count32, Ordering::Relaxed);
        let base = LOW + (start + offset) % (SPAN - count32);
        let free = (base..base + count32)
            .all(|p| std::net::TcpListener::bind(("127.0.0.1", p as u16)).is_ok());
        if free {
            return base as u16;
        }
    }
    panic!("no {count} consecutive free ports below 32768 on 127.0.0.1");
}

/// Adds a validator to a staking genesis as `collect-gentxs` writes one: operated by the
/// account `address` (its `…valoper` twin), consensus key `consensus_key` (ed25519), `stake`
/// tokens self-delegated, commission `rate` (max 1, max change 0.01), status Unbonded (InitChain
/// bonds it). The stake must be in the not-bonded pool's genesis balance.
pub fn add_genesis_validator(
    staking: &mut depin_staking::GenesisState,
    address: &str,
    consensus_key: [u8; 32],
    stake: u128,
    rate: cosmwasm_std::Decimal256,
    genesis_seconds: u64,
) {
    use base64::Engine;
    use cosmwasm_std::{Decimal256, Timestamp, Uint128};
    use depin_staking::genesis::*;
    let raw = depin_app::address::AddressCodec::new(crate::ADDRESS_PREFIX)
        .decode(address)
        .unwrap_or_else(|e| panic!("validator address {address}: {e}"));
    let operator = depin_app::address::AddressCodec::new(crate::VALOPER_PREFIX).encode(&raw);
    let shares = depin_staking::dec::from_tokens(Uint128::new(stake));
    let moniker = format!("validator-{}", staking.validators.len());
    staking.validators.push(GenesisValidator {
        operator_address: operator.clone(),
        consensus_pubkey: GenesisPubKey {
            type_url: depin_staking::types::ED25519_PUBKEY_URL.into(),
            key: base64::engine::general_purpose::STANDARD.encode(consensus_key),
        },
        jailed: false,
        status: "BOND_STATUS_UNBONDED".into(),
        tokens: Uint128::new(stake),
        delegator_shares: shares,
        description: depin_staking::types::Description {
            moniker,
            ..Default::default()
        },
        unbonding_height: 0,
        unbonding_time: Timestamp::from_nanos(0),
        commission: GenesisCommission {
            commission_rates: GenesisCommissionRates {
                rate,
                max_rate: Decimal256::one(),
                max_change_rate: Decimal256::percent(1),
            },
            update_time: Timestamp::from_seconds(genesis_seconds),
        },
        min_self_delegation: Uint128::one(),
        unbonding_on_hold_ref_count: 0,
        unbonding_ids: Vec::new(),
    });
    staking.delegations.push(GenesisDelegation {
        delegator_address: address.to_string(),
        validator_address: operator,
        shares,
    });
}
