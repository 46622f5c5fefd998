//! Our Cosmos SDK and CometBFT declarations against the types clients actually use
//! (cosmos-sdk-proto and tendermint-proto, generated from the upstream .proto files).
//!
//! Each case encodes a fully populated upstream value, decodes it with our descriptor and
//! checks that:
//! - nothing is left over as an unknown field (a missing field or a wrong tag) and decoding
//!   does not fail (a wrong wire type);
//! - every field our descriptor declares is set (a field upstream does not have);
//! - re-encoding gives the same bytes;
//! - each value has the kind the fixtures' conventions imply, which catches what the wire
//!   format alone cannot (int64 declared as uint64, bytes as string, enum as int32):
//!   signed integers are negative, unsigned ones at least 2, bytes are never UTF-8, strings
//!   have no control characters, enum values are declared ones;
//! - the field names and oneof variants are the ones upstream's Rust types print.
//!
//! `Any`s are opened and their contents checked the same way, which also proves that the
//! types clients find inside them (messages, accounts, keys) are declared.

#![allow(deprecated)] // upstream marks some fields deprecated; they are still on the wire.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abci;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmsvc;
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin, DecCoin};
use cosmos_sdk_proto::cosmos::crypto::ed25519;
use cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::CompactBitArray;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distribution;
use cosmos_sdk_proto::cosmos::gov::v1 as gov;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx;
use cosmos_sdk_proto::cosmos::upgrade::v1beta1 as upgrade;
use depin_proto::depin::rewards::v1 as rewards;
use prost::{Message, Name};
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, ReflectMessage, Value};
use tendermint_proto::google::protobuf::{Any, Duration, Timestamp};
use tendermint_proto::{abci as tmabci, crypto, p2p, types, version};

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(depin_proto::FILE_DESCRIPTOR_SET).expect("a valid descriptor set")
});

// ---------------------------------------------------------------------------------------------
// The checks

/// What is wrong with `value` read as the message `name` of our descriptors.
fn problems<T: Message>(name: &str, value: &T) -> Vec<String> {
    let Some(desc) = POOL.get_message_by_name(name) else {
        return vec![format!("{name} is not declared")];
    };
    let bytes = value.encode_to_vec();
    let dynamic = match DynamicMessage::decode(desc, bytes.as_slice()) {
        Ok(d) => d,
        Err(e) => return vec![format!("{name} does not decode: {e}")],
    };
    let mut found = Vec::new();
    walk(&dynamic, name, &mut found);
    if dynamic.encode_to_vec() != bytes {
        found.push(format!("{name}: re-encoded bytes differ"));
    }
    let ours = declared_names(&dynamic);
    let theirs = printed_names(&format!("{value:?}"));
    if ours != theirs {
        found.push(format!(
            "{name}: field names differ: only ours {:?}, only upstream {:?}",
            ours.difference(&theirs).collect::<Vec<_>>(),
            theirs.difference(&ours).collect::<Vec<_>>()
        ));
    }
    found
}

#[track_caller]
fn check<T: Message + Name>(value: T) {
    check_as(&T::full_name(), value);
}

#[track_caller]
fn check_as<T: Message>(name: &str, value: T) {
    let found = problems(name, &value);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn walk(msg: &DynamicMessage, path: &str, found: &mut Vec<String>) {
    let desc = msg.descriptor();
    let is_any = desc.full_name() == "google.protobuf.Any";
    if msg.unknown_fields().next().is_some() {
        let tags: Vec<u32> = msg.unknown_fields().map(|f| f.number()).collect();
        found.push(format!("{path}: unknown field numbers {tags:?}"));
    }
    for field in desc.fields() {
        // An Any of a message without fields (a MsgSendResponse) has an empty value.
        let may_be_empty = is_any && field.name() == "value";
        if field.containing_oneof().is_none() && !msg.has_field(&field) && !may_be_empty {
            found.push(format!("{path}.{}: not set by the fixture", field.name()));
        }
    }
    for oneof in desc.oneofs() {
        if !oneof.fields().any(|f| msg.has_field(&f)) {
            found.push(format!("{path}.{}: no variant set", oneof.name()));
        }
    }
    if is_any {
        walk_any(msg, path, found);
        return;
    }
    for (field, value) in msg.fields() {
        walk_value(
            value,
            &field.kind(),
            &format!("{path}.{}", field.name()),
            found,
        );
    }
}

fn walk_value(value: &Value, kind: &Kind, path: &str, found: &mut Vec<String>) {
    let ok = match value {
        Value::I32(n) => *n < 0,
        Value::I64(n) => *n < 0,
        Value::U32(n) => (2..1 << 31).contains(n),
        Value::U64(n) => (2..1 << 31).contains(n),
        Value::Bool(b) => *b,
        Value::String(s) => !s.chars().any(char::is_control),
        Value::Bytes(b) => std::str::from_utf8(b).is_err(),
        Value::EnumNumber(n) => {
            *n != 0 && kind.as_enum().is_some_and(|e| e.get_value(*n).is_some())
        }
        Value::Message(m) => {
            walk(m, path, found);
            true
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(item, kind, &format!("{path}[{i}]"), found);
            }
            true
        }
        Value::F32(_) | Value::F64(_) | Value::Map(_) => false,
    };
    if !ok {
        found.push(format!(
            "{path}: {value:?} is not what the fixture put there"
        ));
    }
}

/// An `Any` must hold a type we declare, itself fully populated.
fn walk_any(msg: &DynamicMessage, path: &str, found: &mut Vec<String>) {
    let type_url = msg.get_field_by_name("type_url");
    let value = msg.get_field_by_name("value");
    let (Some(type_url), Some(value)) = (
        type_url.as_deref().and_then(Value::as_str),
        value.as_deref().and_then(Value::as_bytes),
    ) else {
        found.push(format!("{path}: not an Any"));
        return;
    };
    let name = type_url.trim_start_matches('/');
    let Some(desc) = POOL.get_message_by_name(name) else {
        found.push(format!("{path}: {type_url} is not declared"));
        return;
    };
    match DynamicMessage::decode(desc, value.as_ref()) {
        Ok(inner) => {
            walk(&inner, &format!("{path}({name})"), found);
            if inner.encode_to_vec() != value.as_ref() {
                found.push(format!("{path}({name}): re-encoded bytes differ"));
            }
        }
        Err(e) => found.push(format!("{path}: {type_url} does not decode: {e}")),
    }
}

/// The field names of every message in `msg`, as prost's `Debug` prints them: a oneof by its
/// own name and its variant in CamelCase. (What an `Any` holds is bytes to both sides.)
fn declared_names(msg: &DynamicMessage) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_names(msg, &mut names);
    names
}

fn collect_names(msg: &DynamicMessage, names: &mut BTreeSet<String>) {
    for (field, value) in msg.fields() {
        match field.containing_oneof() {
            Some(oneof) => {
                names.insert(oneof.name().to_string());
                names.insert(camel_case(field.name()));
            }
            None => {
                names.insert(field.name().to_string());
            }
        }
        let items = match value {
            Value::List(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if let Value::Message(m) = item {
                collect_names(m, names);
            }
        }
    }
}

/// `name: ` after `{ ` or `, ` is a field; `Some(Name(` is a oneof variant.
fn printed_names(debug: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '#';
    for (i, _) in debug.match_indices(": ") {
        let before = &debug[..i];
        let start = before.rfind(|c| !ident(c)).map_or(0, |p| p + 1);
        if before[..start].ends_with("{ ") || before[..start].ends_with(", ") {
            names.insert(before[start..].trim_start_matches("r#").to_string());
        }
    }
    for (i, _) in debug.match_indices("Some(") {
        let rest = &debug[i + 5..];
        let end = rest.find(|c| !ident(c)).unwrap_or(rest.len());
        if end > 0 && rest[end..].starts_with('(') && rest.starts_with(char::is_uppercase) {
            names.insert(rest[..end].to_string());
        }
    }
    names
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Fixtures: every field set, following the conventions above.

/// Bytes that are not UTF-8.
fn raw(tag: u8) -> Vec<u8> {
    vec![0xff, tag, 0xfe]
}

fn any<T: Message + Name>(value: &T) -> Any {
    Any {
        type_url: T::type_url(),
        value: value.encode_to_vec(),
    }
}

fn time() -> Timestamp {
    Timestamp {
        seconds: -1_700_000_000,
        nanos: -5,
    }
}

fn coin() -> Coin {
    Coin {
        denom: "udepin".into(),
        amount: "1000".into(),
    }
}

fn page_request() -> PageRequest {
    PageRequest {
        key: raw(1),
        offset: 3,
        limit: 50,
        count_total: true,
        reverse: true,
    }
}

fn page_response() -> PageResponse {
    PageResponse {
        next_key: raw(2),
        total: 12,
    }
}

fn bank_params() -> bank::Params {
    bank::Params {
        send_enabled: vec![bank::SendEnabled {
            denom: "udepin".into(),
            enabled: true,
        }],
        default_send_enabled: true,
    }
}

fn metadata() -> bank::Metadata {
    bank::Metadata {
        description: "The staking token".into(),
        denom_units: vec![bank::DenomUnit {
            denom: "depin".into(),
            exponent: 6,
            aliases: vec!["megadepin".into()],
        }],
        base: "udepin".into(),
        display: "depin".into(),
        name: "DePIN".into(),
        symbol: "DPN".into(),
        uri: "https://example.org/depin.png".into(),
        uri_hash: "abcd".into(),
    }
}

fn msg_send() -> bank::MsgSend {
    bank::MsgSend {
        from_address: "depin1sender".into(),
        to_address: "depin1recipient".into(),
        amount: vec![coin()],
    }
}

fn msg_multi_send() -> bank::MsgMultiSend {
    bank::MsgMultiSend {
        inputs: vec![bank::Input {
            address: "depin1sender".into(),
            coins: vec![coin()],
        }],
        outputs: vec![bank::Output {
            address: "depin1recipient".into(),
            coins: vec![coin()],
        }],
    }
}

fn pub_key() -> PubKey {
    PubKey { key: raw(3) }
}

fn base_account() -> auth::BaseAccount {
    auth::BaseAccount {
        address: "depin1account".into(),
        pub_key: Some(any(&pub_key())),
        account_number: 7,
        sequence: 9,
    }
}

fn module_account() -> auth::ModuleAccount {
    auth::ModuleAccount {
        base_account: Some(base_account()),
        name: "fee_collector".into(),
        permissions: vec!["burner".into()],
    }
}

fn auth_params() -> auth::Params {
    auth::Params {
        max_memo_characters: 256,
        tx_sig_limit: 7,
        tx_size_cost_per_byte: 10,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: 1000,
    }
}

fn single(mode: SignMode) -> tx::ModeInfo {
    tx::ModeInfo {
        sum: Some(tx::mode_info::Sum::Single(tx::mode_info::Single {
            mode: mode as i32,
        })),
    }
}

fn tx_body() -> tx::TxBody {
    tx::TxBody {
        messages: vec![any(&msg_send()), any(&msg_multi_send())],
        memo: "hello".into(),
        timeout_height: 100,
        extension_options: vec![any(&pub_key())],
        non_critical_extension_options: vec![any(&coin())],
    }
}

fn auth_info() -> tx::AuthInfo {
    let multi = tx::ModeInfo {
        sum: Some(tx::mode_info::Sum::Multi(tx::mode_info::Multi {
            bitarray: Some(CompactBitArray {
                extra_bits_stored: 3,
                elems: raw(4),
            }),
            mode_infos: vec![single(SignMode::LegacyAminoJson)],
        })),
    };
    tx::AuthInfo {
        signer_infos: vec![
            tx::SignerInfo {
                public_key: Some(any(&pub_key())),
                mode_info: Some(single(SignMode::Direct)),
                sequence: 4,
            },
            tx::SignerInfo {
                public_key: Some(any(&pub_key())),
                mode_info: Some(multi),
                sequence: 5,
            },
        ],
        fee: Some(tx::Fee {
            amount: vec![coin()],
            gas_limit: 200_000,
            payer: "depin1payer".into(),
            granter: "depin1granter".into(),
        }),
        tip: Some(tx::Tip {
            amount: vec![coin()],
            tipper: "depin1tipper".into(),
        }),
    }
}

fn transaction() -> tx::Tx {
    tx::Tx {
        body: Some(tx_body()),
        auth_info: Some(auth_info()),
        signatures: vec![raw(5)],
    }
}

fn event() -> tmabci::Event {
    tmabci::Event {
        r#type: "transfer".into(),
        attributes: vec![tmabci::EventAttribute {
            key: "amount".into(),
            value: "1000udepin".into(),
            index: true,
        }],
    }
}

fn tx_response() -> abci::TxResponse {
    abci::TxResponse {
        height: -12,
        txhash: "0A1B".into(),
        codespace: "sdk".into(),
        code: 5,
        data: "0A1E".into(),
        raw_log: "insufficient funds".into(),
        logs: vec![abci::AbciMessageLog {
            msg_index: 2,
            log: "ok".into(),
            events: vec![abci::StringEvent {
                r#type: "message".into(),
                attributes: vec![abci::Attribute {
                    key: "sender".into(),
                    value: "depin1sender".into(),
                }],
            }],
        }],
        info: "info".into(),
        gas_wanted: -200_000,
        gas_used: -81_234,
        tx: Some(any(&transaction())),
        timestamp: "2024-01-01T00:00:00Z".into(),
        events: vec![event()],
    }
}

fn block_id() -> types::BlockId {
    types::BlockId {
        hash: raw(6),
        part_set_header: Some(types::PartSetHeader {
            total: 2,
            hash: raw(7),
        }),
    }
}

fn consensus_version() -> version::Consensus {
    version::Consensus { block: 11, app: 2 }
}

fn header() -> types::Header {
    types::Header {
        version: Some(consensus_version()),
        chain_id: "depin-1".into(),
        height: -42,
        time: Some(time()),
        last_block_id: Some(block_id()),
        last_commit_hash: raw(8),
        data_hash: raw(9),
        validators_hash: raw(10),
        next_validators_hash: raw(11),
        consensus_hash: raw(12),
        app_hash: raw(13),
        last_results_hash: raw(14),
        evidence_hash: raw(15),
        proposer_address: raw(16),
    }
}

fn commit() -> types::Commit {
    types::Commit {
        height: -41,
        round: -1,
        block_id: Some(block_id()),
        signatures: vec![types::CommitSig {
            block_id_flag: types::BlockIdFlag::Commit as i32,
            validator_address: raw(17),
            timestamp: Some(time()),
            signature: raw(18),
        }],
    }
}

fn validator(key: crypto::public_key::Sum) -> types::Validator {
    types::Validator {
        address: raw(19),
        pub_key: Some(crypto::PublicKey { sum: Some(key) }),
        voting_power: -10,
        proposer_priority: -3,
    }
}

fn validator_set() -> types::ValidatorSet {
    types::ValidatorSet {
        validators: vec![
            validator(crypto::public_key::Sum::Ed25519(raw(20))),
            validator(crypto::public_key::Sum::Secp256k1(raw(21))),
        ],
        proposer: Some(validator(crypto::public_key::Sum::Ed25519(raw(20)))),
        total_voting_power: -20,
    }
}

fn light_block() -> types::LightBlock {
    types::LightBlock {
        signed_header: Some(types::SignedHeader {
            header: Some(header()),
            commit: Some(commit()),
        }),
        validator_set: Some(validator_set()),
    }
}

fn vote() -> types::Vote {
    types::Vote {
        r#type: types::SignedMsgType::Precommit as i32,
        height: -41,
        round: -1,
        block_id: Some(block_id()),
        timestamp: Some(time()),
        validator_address: raw(22),
        validator_index: -4,
        signature: raw(23),
        extension: raw(24),
        extension_signature: raw(25),
    }
}

fn evidence() -> types::EvidenceList {
    use types::evidence::Sum;
    types::EvidenceList {
        evidence: vec![
            types::Evidence {
                sum: Some(Sum::DuplicateVoteEvidence(types::DuplicateVoteEvidence {
                    vote_a: Some(vote()),
                    vote_b: Some(vote()),
                    total_voting_power: -20,
                    validator_power: -10,
                    timestamp: Some(time()),
                })),
            },
            types::Evidence {
                sum: Some(Sum::LightClientAttackEvidence(
                    types::LightClientAttackEvidence {
                        conflicting_block: Some(light_block()),
                        common_height: -40,
                        byzantine_validators: vec![validator(crypto::public_key::Sum::Ed25519(
                            raw(20),
                        ))],
                        total_voting_power: -20,
                        timestamp: Some(time()),
                    },
                )),
            },
        ],
    }
}

fn block() -> types::Block {
    types::Block {
        header: Some(header()),
        data: Some(types::Data {
            txs: vec![raw(26), raw(27)],
        }),
        evidence: Some(evidence()),
        last_commit: Some(commit()),
    }
}

fn sdk_block() -> tmsvc::Block {
    let h = header();
    tmsvc::Block {
        header: Some(tmsvc::Header {
            version: h.version,
            chain_id: h.chain_id,
            height: h.height,
            time: h.time,
            last_block_id: h.last_block_id,
            last_commit_hash: h.last_commit_hash,
            data_hash: h.data_hash,
            validators_hash: h.validators_hash,
            next_validators_hash: h.next_validators_hash,
            consensus_hash: h.consensus_hash,
            app_hash: h.app_hash,
            last_results_hash: h.last_results_hash,
            evidence_hash: h.evidence_hash,
            proposer_address: "depinvalcons1proposer".into(),
        }),
        data: block().data,
        evidence: Some(evidence()),
        last_commit: Some(commit()),
    }
}

fn consensus_key() -> ed25519::PubKey {
    ed25519::PubKey { key: raw(36) }
}

fn description() -> staking::Description {
    staking::Description {
        moniker: "validator-0".into(),
        identity: "0A1B2C3D".into(),
        website: "https://example.org".into(),
        security_contact: "security@example.org".into(),
        details: "A validator".into(),
    }
}

fn commission_rates() -> staking::CommissionRates {
    staking::CommissionRates {
        rate: "0.100000000000000000".into(),
        max_rate: "0.200000000000000000".into(),
        max_change_rate: "0.010000000000000000".into(),
    }
}

fn staking_validator() -> staking::Validator {
    staking::Validator {
        operator_address: "depinvaloper1operator".into(),
        consensus_pubkey: Some(any(&consensus_key())),
        jailed: true,
        status: staking::BondStatus::Bonded as i32,
        tokens: "1000000".into(),
        delegator_shares: "1000000.000000000000000000".into(),
        description: Some(description()),
        unbonding_height: -30,
        unbonding_time: Some(time()),
        commission: Some(staking::Commission {
            commission_rates: Some(commission_rates()),
            update_time: Some(time()),
        }),
        min_self_delegation: "1".into(),
        unbonding_on_hold_ref_count: -2,
        unbonding_ids: vec![2, 3],
    }
}

fn delegation_response() -> staking::DelegationResponse {
    staking::DelegationResponse {
        delegation: Some(staking::Delegation {
            delegator_address: "depin1delegator".into(),
            validator_address: "depinvaloper1operator".into(),
            shares: "500.000000000000000000".into(),
        }),
        balance: Some(coin()),
    }
}

fn unbonding_delegation() -> staking::UnbondingDelegation {
    staking::UnbondingDelegation {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
        entries: vec![staking::UnbondingDelegationEntry {
            creation_height: -20,
            completion_time: Some(time()),
            initial_balance: "300".into(),
            balance: "290".into(),
            unbonding_id: 4,
            unbonding_on_hold_ref_count: -1,
        }],
    }
}

fn redelegation_entry() -> staking::RedelegationEntry {
    staking::RedelegationEntry {
        creation_height: -21,
        completion_time: Some(time()),
        initial_balance: "200".into(),
        shares_dst: "200.000000000000000000".into(),
        unbonding_id: 5,
        unbonding_on_hold_ref_count: -1,
    }
}

fn redelegation_response() -> staking::RedelegationResponse {
    staking::RedelegationResponse {
        redelegation: Some(staking::Redelegation {
            delegator_address: "depin1delegator".into(),
            validator_src_address: "depinvaloper1source".into(),
            validator_dst_address: "depinvaloper1destination".into(),
            entries: vec![redelegation_entry()],
        }),
        entries: vec![staking::RedelegationEntryResponse {
            redelegation_entry: Some(redelegation_entry()),
            balance: "200".into(),
        }],
    }
}

fn staking_params() -> staking::Params {
    staking::Params {
        unbonding_time: Some(Duration {
            seconds: -1_814_400,
            nanos: -7,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: 10_000,
        bond_denom: "udepin".into(),
        min_commission_rate: "0.050000000000000000".into(),
    }
}

fn msg_create_validator() -> staking::MsgCreateValidator {
    staking::MsgCreateValidator {
        description: Some(description()),
        commission: Some(commission_rates()),
        min_self_delegation: "1".into(),
        delegator_address: "depin1operator".into(),
        validator_address: "depinvaloper1operator".into(),
        pubkey: Some(any(&consensus_key())),
        value: Some(coin()),
    }
}

fn msg_edit_validator() -> staking::MsgEditValidator {
    staking::MsgEditValidator {
        description: Some(description()),
        validator_address: "depinvaloper1operator".into(),
        commission_rate: "0.120000000000000000".into(),
        min_self_delegation: "2".into(),
    }
}

fn msg_delegate() -> staking::MsgDelegate {
    staking::MsgDelegate {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
        amount: Some(coin()),
    }
}

fn msg_undelegate() -> staking::MsgUndelegate {
    staking::MsgUndelegate {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
        amount: Some(coin()),
    }
}

fn msg_begin_redelegate() -> staking::MsgBeginRedelegate {
    staking::MsgBeginRedelegate {
        delegator_address: "depin1delegator".into(),
        validator_src_address: "depinvaloper1source".into(),
        validator_dst_address: "depinvaloper1destination".into(),
        amount: Some(coin()),
    }
}

fn msg_cancel_unbonding() -> staking::MsgCancelUnbondingDelegation {
    staking::MsgCancelUnbondingDelegation {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
        amount: Some(coin()),
        creation_height: -20,
    }
}

fn msg_update_staking_params() -> staking::MsgUpdateParams {
    staking::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(staking_params()),
    }
}

fn slashing_params() -> slashing::Params {
    slashing::Params {
        signed_blocks_window: -100,
        min_signed_per_window: raw(40),
        downtime_jail_duration: Some(Duration {
            seconds: -600,
            nanos: -3,
        }),
        slash_fraction_double_sign: raw(41),
        slash_fraction_downtime: raw(42),
    }
}

fn signing_info() -> slashing::ValidatorSigningInfo {
    slashing::ValidatorSigningInfo {
        address: "depinvalcons1validator".into(),
        start_height: -10,
        index_offset: -4,
        jailed_until: Some(time()),
        tombstoned: true,
        missed_blocks_counter: -2,
    }
}

fn msg_unjail() -> slashing::MsgUnjail {
    slashing::MsgUnjail {
        validator_addr: "depinvaloper1operator".into(),
    }
}

fn msg_update_slashing_params() -> slashing::MsgUpdateParams {
    slashing::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(slashing_params()),
    }
}

/// A LegacyDec as it travels: the integer of its 10^-18 units ("1.5").
fn dec_coin() -> DecCoin {
    DecCoin {
        denom: "udepin".into(),
        amount: "1500000000000000000".into(),
    }
}

fn distribution_params() -> distribution::Params {
    distribution::Params {
        community_tax: "20000000000000000".into(),
        base_proposer_reward: "10000000000000000".into(),
        bonus_proposer_reward: "40000000000000000".into(),
        withdraw_addr_enabled: true,
    }
}

fn slash_event() -> distribution::ValidatorSlashEvent {
    distribution::ValidatorSlashEvent {
        validator_period: 3,
        fraction: "10000000000000000".into(),
    }
}

fn delegation_reward() -> distribution::DelegationDelegatorReward {
    distribution::DelegationDelegatorReward {
        validator_address: "depinvaloper1operator".into(),
        reward: vec![dec_coin()],
    }
}

fn msg_set_withdraw_address() -> distribution::MsgSetWithdrawAddress {
    distribution::MsgSetWithdrawAddress {
        delegator_address: "depin1delegator".into(),
        withdraw_address: "depin1withdraw".into(),
    }
}

fn msg_withdraw_delegator_reward() -> distribution::MsgWithdrawDelegatorReward {
    distribution::MsgWithdrawDelegatorReward {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
    }
}

fn msg_withdraw_validator_commission() -> distribution::MsgWithdrawValidatorCommission {
    distribution::MsgWithdrawValidatorCommission {
        validator_address: "depinvaloper1operator".into(),
    }
}

fn msg_fund_community_pool() -> distribution::MsgFundCommunityPool {
    distribution::MsgFundCommunityPool {
        amount: vec![coin()],
        depositor: "depin1depositor".into(),
    }
}

fn msg_update_distribution_params() -> distribution::MsgUpdateParams {
    distribution::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(distribution_params()),
    }
}

fn msg_community_pool_spend() -> distribution::MsgCommunityPoolSpend {
    distribution::MsgCommunityPoolSpend {
        authority: "depin1gov".into(),
        recipient: "depin1recipient".into(),
        amount: vec![coin()],
    }
}

fn rewards_params() -> rewards::Params {
    rewards::Params {
        denom: "udepin".into(),
        epoch_blocks: 600,
        initial_epoch_emission: "1000000000".into(),
        decay: rewards::DecayKind::Halving as i32,
        halving_epochs: 8_760,
        decay_ppb: 1_000,
        max_supply: "1000000000000000".into(),
        baseline_epoch_emission: "500".into(),
        baseline_target: 100,
        baseline_growth_ppb: 20,
        validators_bps: 3_000,
        devices_bps: 4_000,
        providers_bps: 2_000,
        community_bps: 1_000,
        heartbeat_weight: 2,
        beacon_weight: 4,
        witness_weight: 3,
        hex_density_target: 4,
        max_reward_per_take_bps: 10_000,
        credits_per_unit: 100,
        max_payouts_per_block: 500,
    }
}

fn epoch_emission() -> rewards::EpochEmission {
    rewards::EpochEmission {
        epoch: 7,
        base: "1000".into(),
        baseline: "20".into(),
        minted: "1020".into(),
        capacity: 40,
        target: 50,
        height: 4_200,
    }
}

fn payout() -> rewards::Payout {
    rewards::Payout {
        epoch: 6,
        amount: "400".into(),
        phase: 2,
        total_weight: "90".into(),
        cursor: "depindev1device".into(),
        paid: "120".into(),
        records: 12,
        excess: "3".into(),
        unlocated: 4,
    }
}

fn msg_claim() -> rewards::MsgClaim {
    rewards::MsgClaim {
        claimant: "depin1owner".into(),
    }
}

fn msg_burn_for_credits() -> rewards::MsgBurnForCredits {
    rewards::MsgBurnForCredits {
        sender: "depin1sender".into(),
        amount: Some(coin()),
        recipient: "depin1recipient".into(),
    }
}

fn msg_update_rewards_params() -> rewards::MsgUpdateParams {
    rewards::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(rewards_params()),
    }
}

fn period(seconds: i64) -> Duration {
    Duration {
        seconds: -seconds,
        nanos: -7,
    }
}

/// Gov v1 decimals travel as their text ("0.334000000000000000"), unlike a LegacyDec.
fn gov_params() -> gov::Params {
    gov::Params {
        min_deposit: vec![coin()],
        max_deposit_period: Some(period(172_800)),
        voting_period: Some(period(172_800)),
        quorum: "0.334000000000000000".into(),
        threshold: "0.500000000000000000".into(),
        veto_threshold: "0.334000000000000000".into(),
        min_initial_deposit_ratio: "0.250000000000000000".into(),
        proposal_cancel_ratio: "0.500000000000000000".into(),
        proposal_cancel_dest: "depin1community".into(),
        expedited_voting_period: Some(period(86_400)),
        expedited_threshold: "0.667000000000000000".into(),
        expedited_min_deposit: vec![coin()],
        burn_vote_quorum: true,
        burn_proposal_deposit_prevote: true,
        burn_vote_veto: true,
        min_deposit_ratio: "0.010000000000000000".into(),
    }
}

fn deposit_params() -> gov::DepositParams {
    gov::DepositParams {
        min_deposit: vec![coin()],
        max_deposit_period: Some(period(172_800)),
    }
}

fn voting_params() -> gov::VotingParams {
    gov::VotingParams {
        voting_period: Some(period(172_800)),
    }
}

fn tally_params() -> gov::TallyParams {
    gov::TallyParams {
        quorum: "0.334000000000000000".into(),
        threshold: "0.500000000000000000".into(),
        veto_threshold: "0.334000000000000000".into(),
    }
}

/// Counts are integer text (cosmos.Int).
fn tally_result() -> gov::TallyResult {
    gov::TallyResult {
        yes_count: "7000".into(),
        abstain_count: "1000".into(),
        no_count: "1500".into(),
        no_with_veto_count: "500".into(),
    }
}

fn weighted_options() -> Vec<gov::WeightedVoteOption> {
    vec![
        gov::WeightedVoteOption {
            option: gov::VoteOption::Yes as i32,
            weight: "0.700000000000000000".into(),
        },
        gov::WeightedVoteOption {
            option: gov::VoteOption::NoWithVeto as i32,
            weight: "0.300000000000000000".into(),
        },
    ]
}

fn gov_vote() -> gov::Vote {
    gov::Vote {
        proposal_id: 4,
        voter: "depin1voter".into(),
        options: weighted_options(),
        metadata: "ipfs://vote".into(),
    }
}

fn gov_deposit() -> gov::Deposit {
    gov::Deposit {
        proposal_id: 4,
        depositor: "depin1depositor".into(),
        amount: vec![coin()],
    }
}

fn msg_update_gov_params() -> gov::MsgUpdateParams {
    gov::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(gov_params()),
    }
}

fn plan() -> upgrade::Plan {
    upgrade::Plan {
        name: "v2".into(),
        time: Some(time()),
        height: -1_000,
        info: "https://example.org/depind-v2".into(),
        // Upstream rejects a plan that sets it; here any declared type shows it is an Any.
        upgraded_client_state: Some(any(&consensus_key())),
    }
}

fn msg_software_upgrade() -> upgrade::MsgSoftwareUpgrade {
    upgrade::MsgSoftwareUpgrade {
        authority: "depin1gov".into(),
        plan: Some(plan()),
    }
}

fn msg_cancel_upgrade() -> upgrade::MsgCancelUpgrade {
    upgrade::MsgCancelUpgrade {
        authority: "depin1gov".into(),
    }
}

/// What proposals execute: messages of several modules, gov's own and upgrade's included.
fn proposal_messages() -> Vec<Any> {
    vec![
        any(&msg_send()),
        any(&msg_community_pool_spend()),
        any(&msg_update_gov_params()),
        any(&msg_software_upgrade()),
        any(&msg_cancel_upgrade()),
    ]
}

fn proposal() -> gov::Proposal {
    gov::Proposal {
        id: 4,
        messages: proposal_messages(),
        status: gov::ProposalStatus::Failed as i32,
        final_tally_result: Some(tally_result()),
        submit_time: Some(time()),
        deposit_end_time: Some(time()),
        total_deposit: vec![coin(), coin()],
        voting_start_time: Some(time()),
        voting_end_time: Some(time()),
        metadata: "ipfs://proposal".into(),
        title: "Fund the devices".into(),
        summary: "Pays the device program from the community pool".into(),
        proposer: "depin1proposer".into(),
        expedited: true,
        failed_reason: "insufficient funds".into(),
    }
}

fn msg_submit_proposal() -> gov::MsgSubmitProposal {
    gov::MsgSubmitProposal {
        messages: proposal_messages(),
        initial_deposit: vec![coin()],
        proposer: "depin1proposer".into(),
        metadata: "ipfs://proposal".into(),
        title: "Fund the devices".into(),
        summary: "Pays the device program from the community pool".into(),
        expedited: true,
    }
}

fn msg_vote() -> gov::MsgVote {
    gov::MsgVote {
        proposal_id: 4,
        voter: "depin1voter".into(),
        option: gov::VoteOption::Abstain as i32,
        metadata: "ipfs://vote".into(),
    }
}

fn msg_vote_weighted() -> gov::MsgVoteWeighted {
    gov::MsgVoteWeighted {
        proposal_id: 4,
        voter: "depin1voter".into(),
        options: weighted_options(),
        metadata: "ipfs://vote".into(),
    }
}

fn msg_deposit() -> gov::MsgDeposit {
    gov::MsgDeposit {
        proposal_id: 4,
        depositor: "depin1depositor".into(),
        amount: vec![coin()],
    }
}

fn msg_cancel_proposal() -> gov::MsgCancelProposal {
    gov::MsgCancelProposal {
        proposal_id: 4,
        proposer: "depin1proposer".into(),
    }
}

fn msg_cancel_proposal_response() -> gov::MsgCancelProposalResponse {
    gov::MsgCancelProposalResponse {
        proposal_id: 4,
        canceled_time: Some(time()),
        canceled_height: 120,
    }
}

// ---------------------------------------------------------------------------------------------
// The cases

#[test]
fn bank_messages_match_the_cosmos_sdk() {
    check(coin());
    check(page_request());
    check(page_response());
    check(bank_params());
    check(metadata());
    check(bank::QueryBalanceRequest {
        address: "depin1account".into(),
        denom: "udepin".into(),
    });
    check(bank::QueryBalanceResponse {
        balance: Some(coin()),
    });
    check(bank::QueryAllBalancesRequest {
        address: "depin1account".into(),
        pagination: Some(page_request()),
        resolve_denom: true,
    });
    check(bank::QueryAllBalancesResponse {
        balances: vec![coin(), coin()],
        pagination: Some(page_response()),
    });
    check(bank::QuerySpendableBalancesRequest {
        address: "depin1account".into(),
        pagination: Some(page_request()),
    });
    check(bank::QuerySpendableBalancesResponse {
        balances: vec![coin()],
        pagination: Some(page_response()),
    });
    check(bank::QueryTotalSupplyRequest {
        pagination: Some(page_request()),
    });
    check(bank::QueryTotalSupplyResponse {
        supply: vec![coin()],
        pagination: Some(page_response()),
    });
    check(bank::QuerySupplyOfRequest {
        denom: "udepin".into(),
    });
    check(bank::QuerySupplyOfResponse {
        amount: Some(coin()),
    });
    check(bank::QueryParamsRequest {});
    check(bank::QueryParamsResponse {
        params: Some(bank_params()),
    });
    check(bank::QueryDenomMetadataRequest {
        denom: "udepin".into(),
    });
    check(bank::QueryDenomMetadataResponse {
        metadata: Some(metadata()),
    });
    check(bank::QueryDenomsMetadataRequest {
        pagination: Some(page_request()),
    });
    check(bank::QueryDenomsMetadataResponse {
        metadatas: vec![metadata()],
        pagination: Some(page_response()),
    });
    check(msg_send());
    check(bank::MsgSendResponse {});
    check(msg_multi_send());
    check(bank::MsgMultiSendResponse {});
    check(bank::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(bank_params()),
    });
    check(bank::MsgUpdateParamsResponse {});
}

#[test]
fn auth_messages_match_the_cosmos_sdk() {
    check(pub_key());
    check(base_account());
    check(module_account());
    check(auth_params());
    check(auth::QueryAccountsRequest {
        pagination: Some(page_request()),
    });
    check(auth::QueryAccountsResponse {
        accounts: vec![any(&base_account()), any(&module_account())],
        pagination: Some(page_response()),
    });
    check(auth::QueryAccountRequest {
        address: "depin1account".into(),
    });
    check(auth::QueryAccountResponse {
        account: Some(any(&base_account())),
    });
    check(auth::QueryParamsRequest {});
    check(auth::QueryParamsResponse {
        params: Some(auth_params()),
    });
    check(auth::QueryModuleAccountsRequest {});
    check(auth::QueryModuleAccountsResponse {
        accounts: vec![any(&module_account())],
    });
    check(auth::QueryModuleAccountByNameRequest {
        name: "fee_collector".into(),
    });
    check(auth::QueryModuleAccountByNameResponse {
        account: Some(any(&module_account())),
    });
    check(auth::Bech32PrefixRequest {});
    check(auth::Bech32PrefixResponse {
        bech32_prefix: "depin".into(),
    });
    check(auth::QueryAccountInfoRequest {
        address: "depin1account".into(),
    });
    check(auth::QueryAccountInfoResponse {
        info: Some(base_account()),
    });
    check(auth::MsgUpdateParams {
        authority: "depin1gov".into(),
        params: Some(auth_params()),
    });
    check(auth::MsgUpdateParamsResponse {});
}

#[test]
fn tx_messages_match_the_cosmos_sdk() {
    check(transaction());
    check(tx_body());
    check(auth_info());
    check(tx::TxRaw {
        body_bytes: raw(28),
        auth_info_bytes: raw(29),
        signatures: vec![raw(30)],
    });
    check(tx::SignDoc {
        body_bytes: raw(28),
        auth_info_bytes: raw(29),
        chain_id: "depin-1".into(),
        account_number: 7,
    });
    check(tx_response());
    check(tx::SimulateRequest {
        tx: Some(transaction()),
        tx_bytes: raw(31),
    });
    check(tx::SimulateResponse {
        gas_info: Some(abci::GasInfo {
            gas_wanted: 200_000,
            gas_used: 81_234,
        }),
        result: Some(abci::Result {
            data: raw(32),
            log: "ok".into(),
            events: vec![event()],
            msg_responses: vec![any(&bank::MsgSendResponse {})],
        }),
    });
    check(tx::GetTxRequest {
        hash: "0a1b".into(),
    });
    check(tx::GetTxResponse {
        tx: Some(transaction()),
        tx_response: Some(tx_response()),
    });
    check(tx::BroadcastTxRequest {
        tx_bytes: raw(33),
        mode: tx::BroadcastMode::Sync as i32,
    });
    check(tx::BroadcastTxResponse {
        tx_response: Some(tx_response()),
    });
    check(tx::GetTxsEventRequest {
        events: vec!["message.sender='depin1sender'".into()],
        pagination: Some(page_request()),
        order_by: tx::OrderBy::Desc as i32,
        page: 2,
        limit: 30,
        query: "message.sender='depin1sender'".into(),
    });
    check(tx::GetTxsEventResponse {
        txs: vec![transaction()],
        tx_responses: vec![tx_response()],
        pagination: Some(page_response()),
        total: 3,
    });
}

#[test]
fn staking_messages_match_the_cosmos_sdk() {
    check(consensus_key());
    check(description());
    check(commission_rates());
    check(staking_validator());
    check(delegation_response());
    check(unbonding_delegation());
    check(redelegation_response());
    check(staking_params());
    check(staking::Pool {
        not_bonded_tokens: "300".into(),
        bonded_tokens: "1000000".into(),
    });
    check(staking::HistoricalInfo {
        header: Some(header()),
        valset: vec![staking_validator()],
    });
    check(staking::QueryValidatorsRequest {
        status: "BOND_STATUS_BONDED".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryValidatorsResponse {
        validators: vec![staking_validator(), staking_validator()],
        pagination: Some(page_response()),
    });
    check(staking::QueryValidatorRequest {
        validator_addr: "depinvaloper1operator".into(),
    });
    check(staking::QueryValidatorResponse {
        validator: Some(staking_validator()),
    });
    check(staking::QueryValidatorDelegationsRequest {
        validator_addr: "depinvaloper1operator".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryValidatorDelegationsResponse {
        delegation_responses: vec![delegation_response()],
        pagination: Some(page_response()),
    });
    check(staking::QueryValidatorUnbondingDelegationsRequest {
        validator_addr: "depinvaloper1operator".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryValidatorUnbondingDelegationsResponse {
        unbonding_responses: vec![unbonding_delegation()],
        pagination: Some(page_response()),
    });
    check(staking::QueryDelegationRequest {
        delegator_addr: "depin1delegator".into(),
        validator_addr: "depinvaloper1operator".into(),
    });
    check(staking::QueryDelegationResponse {
        delegation_response: Some(delegation_response()),
    });
    check(staking::QueryUnbondingDelegationRequest {
        delegator_addr: "depin1delegator".into(),
        validator_addr: "depinvaloper1operator".into(),
    });
    check(staking::QueryUnbondingDelegationResponse {
        unbond: Some(unbonding_delegation()),
    });
    check(staking::QueryDelegatorDelegationsRequest {
        delegator_addr: "depin1delegator".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryDelegatorDelegationsResponse {
        delegation_responses: vec![delegation_response()],
        pagination: Some(page_response()),
    });
    check(staking::QueryDelegatorUnbondingDelegationsRequest {
        delegator_addr: "depin1delegator".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryDelegatorUnbondingDelegationsResponse {
        unbonding_responses: vec![unbonding_delegation()],
        pagination: Some(page_response()),
    });
    check(staking::QueryRedelegationsRequest {
        delegator_addr: "depin1delegator".into(),
        src_validator_addr: "depinvaloper1source".into(),
        dst_validator_addr: "depinvaloper1destination".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryRedelegationsResponse {
        redelegation_responses: vec![redelegation_response()],
        pagination: Some(page_response()),
    });
    check(staking::QueryDelegatorValidatorsRequest {
        delegator_addr: "depin1delegator".into(),
        pagination: Some(page_request()),
    });
    check(staking::QueryDelegatorValidatorsResponse {
        validators: vec![staking_validator()],
        pagination: Some(page_response()),
    });
    check(staking::QueryDelegatorValidatorRequest {
        delegator_addr: "depin1delegator".into(),
        validator_addr: "depinvaloper1operator".into(),
    });
    check(staking::QueryDelegatorValidatorResponse {
        validator: Some(staking_validator()),
    });
    check(staking::QueryHistoricalInfoRequest { height: -9 });
    check(staking::QueryHistoricalInfoResponse {
        hist: Some(staking::HistoricalInfo {
            header: Some(header()),
            valset: vec![staking_validator()],
        }),
    });
    check(staking::QueryPoolRequest {});
    check(staking::QueryPoolResponse {
        pool: Some(staking::Pool {
            not_bonded_tokens: "300".into(),
            bonded_tokens: "1000000".into(),
        }),
    });
    check(staking::QueryParamsRequest {});
    check(staking::QueryParamsResponse {
        params: Some(staking_params()),
    });

    check(msg_create_validator());
    check(staking::MsgCreateValidatorResponse {});
    check(msg_edit_validator());
    check(staking::MsgEditValidatorResponse {});
    check(msg_delegate());
    check(staking::MsgDelegateResponse {});
    check(msg_undelegate());
    check(staking::MsgUndelegateResponse {
        completion_time: Some(time()),
        amount: Some(coin()),
    });
    check(msg_begin_redelegate());
    check(staking::MsgBeginRedelegateResponse {
        completion_time: Some(time()),
    });
    check(msg_cancel_unbonding());
    check(staking::MsgCancelUnbondingDelegationResponse {});
    check(msg_update_staking_params());
    check(staking::MsgUpdateParamsResponse {});

    // As a transaction carries them, and as a block result answers them.
    check(tx::TxBody {
        messages: vec![
            any(&msg_create_validator()),
            any(&msg_edit_validator()),
            any(&msg_delegate()),
            any(&msg_undelegate()),
            any(&msg_begin_redelegate()),
            any(&msg_cancel_unbonding()),
            any(&msg_update_staking_params()),
        ],
        memo: "stake".into(),
        timeout_height: 100,
        extension_options: vec![any(&consensus_key())],
        non_critical_extension_options: vec![any(&description())],
    });
    check(abci::Result {
        data: raw(37),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&staking::MsgCreateValidatorResponse {}),
            any(&staking::MsgEditValidatorResponse {}),
            any(&staking::MsgDelegateResponse {}),
            any(&staking::MsgUndelegateResponse {
                completion_time: Some(time()),
                amount: Some(coin()),
            }),
            any(&staking::MsgBeginRedelegateResponse {
                completion_time: Some(time()),
            }),
            any(&staking::MsgCancelUnbondingDelegationResponse {}),
            any(&staking::MsgUpdateParamsResponse {}),
        ],
    });
}

#[test]
fn slashing_messages_match_the_cosmos_sdk() {
    check(slashing_params());
    check(signing_info());
    check(slashing::QueryParamsRequest {});
    check(slashing::QueryParamsResponse {
        params: Some(slashing_params()),
    });
    check(slashing::QuerySigningInfoRequest {
        cons_address: "depinvalcons1validator".into(),
    });
    check(slashing::QuerySigningInfoResponse {
        val_signing_info: Some(signing_info()),
    });
    check(slashing::QuerySigningInfosRequest {
        pagination: Some(page_request()),
    });
    check(slashing::QuerySigningInfosResponse {
        info: vec![signing_info(), signing_info()],
        pagination: Some(page_response()),
    });
    check(msg_unjail());
    check(slashing::MsgUnjailResponse {});
    check(msg_update_slashing_params());
    check(slashing::MsgUpdateParamsResponse {});
    check(slashing::GenesisState {
        params: Some(slashing_params()),
        signing_infos: vec![slashing::SigningInfo {
            address: "depinvalcons1validator".into(),
            validator_signing_info: Some(signing_info()),
        }],
        missed_blocks: vec![slashing::ValidatorMissedBlocks {
            address: "depinvalcons1validator".into(),
            missed_blocks: vec![
                slashing::MissedBlock {
                    index: -7,
                    missed: true,
                },
                slashing::MissedBlock {
                    index: -8,
                    missed: true,
                },
            ],
        }],
    });

    // As a transaction carries them, and as a block result answers them.
    check(tx::TxBody {
        messages: vec![any(&msg_unjail()), any(&msg_update_slashing_params())],
        memo: "unjail".into(),
        timeout_height: 100,
        extension_options: vec![any(&signing_info())],
        non_critical_extension_options: vec![any(&slashing_params())],
    });
    check(abci::Result {
        data: raw(43),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&slashing::MsgUnjailResponse {}),
            any(&slashing::MsgUpdateParamsResponse {}),
        ],
    });
}

#[test]
fn distribution_messages_match_the_cosmos_sdk() {
    check(dec_coin());
    check(distribution_params());
    check(slash_event());
    check(delegation_reward());
    check(distribution::QueryParamsRequest {});
    check(distribution::QueryParamsResponse {
        params: Some(distribution_params()),
    });
    check(distribution::QueryValidatorDistributionInfoRequest {
        validator_address: "depinvaloper1operator".into(),
    });
    check(distribution::QueryValidatorDistributionInfoResponse {
        operator_address: "depin1operator".into(),
        self_bond_rewards: vec![dec_coin()],
        commission: vec![dec_coin()],
    });
    check(distribution::QueryValidatorOutstandingRewardsRequest {
        validator_address: "depinvaloper1operator".into(),
    });
    check(distribution::QueryValidatorOutstandingRewardsResponse {
        rewards: Some(distribution::ValidatorOutstandingRewards {
            rewards: vec![dec_coin()],
        }),
    });
    check(distribution::QueryValidatorCommissionRequest {
        validator_address: "depinvaloper1operator".into(),
    });
    check(distribution::QueryValidatorCommissionResponse {
        commission: Some(distribution::ValidatorAccumulatedCommission {
            commission: vec![dec_coin()],
        }),
    });
    check(distribution::QueryValidatorSlashesRequest {
        validator_address: "depinvaloper1operator".into(),
        starting_height: 5,
        ending_height: 90,
        pagination: Some(page_request()),
    });
    check(distribution::QueryValidatorSlashesResponse {
        slashes: vec![slash_event(), slash_event()],
        pagination: Some(page_response()),
    });
    check(distribution::QueryDelegationRewardsRequest {
        delegator_address: "depin1delegator".into(),
        validator_address: "depinvaloper1operator".into(),
    });
    check(distribution::QueryDelegationRewardsResponse {
        rewards: vec![dec_coin()],
    });
    check(distribution::QueryDelegationTotalRewardsRequest {
        delegator_address: "depin1delegator".into(),
    });
    check(distribution::QueryDelegationTotalRewardsResponse {
        rewards: vec![delegation_reward(), delegation_reward()],
        total: vec![dec_coin()],
    });
    check(distribution::QueryDelegatorValidatorsRequest {
        delegator_address: "depin1delegator".into(),
    });
    check(distribution::QueryDelegatorValidatorsResponse {
        validators: vec!["depinvaloper1a".into(), "depinvaloper1b".into()],
    });
    check(distribution::QueryDelegatorWithdrawAddressRequest {
        delegator_address: "depin1delegator".into(),
    });
    check(distribution::QueryDelegatorWithdrawAddressResponse {
        withdraw_address: "depin1withdraw".into(),
    });
    check(distribution::QueryCommunityPoolRequest {});
    check(distribution::QueryCommunityPoolResponse {
        pool: vec![dec_coin()],
    });
    check(msg_set_withdraw_address());
    check(distribution::MsgSetWithdrawAddressResponse {});
    check(msg_withdraw_delegator_reward());
    check(distribution::MsgWithdrawDelegatorRewardResponse {
        amount: vec![coin()],
    });
    check(msg_withdraw_validator_commission());
    check(distribution::MsgWithdrawValidatorCommissionResponse {
        amount: vec![coin()],
    });
    check(msg_fund_community_pool());
    check(distribution::MsgFundCommunityPoolResponse {});
    check(msg_update_distribution_params());
    check(distribution::MsgUpdateParamsResponse {});
    check(msg_community_pool_spend());
    check(distribution::MsgCommunityPoolSpendResponse {});
    check(distribution::GenesisState {
        params: Some(distribution_params()),
        fee_pool: Some(distribution::FeePool {
            community_pool: vec![dec_coin()],
        }),
        delegator_withdraw_infos: vec![distribution::DelegatorWithdrawInfo {
            delegator_address: "depin1delegator".into(),
            withdraw_address: "depin1withdraw".into(),
        }],
        previous_proposer: "depinvalcons1proposer".into(),
        outstanding_rewards: vec![distribution::ValidatorOutstandingRewardsRecord {
            validator_address: "depinvaloper1operator".into(),
            outstanding_rewards: vec![dec_coin()],
        }],
        validator_accumulated_commissions: vec![
            distribution::ValidatorAccumulatedCommissionRecord {
                validator_address: "depinvaloper1operator".into(),
                accumulated: Some(distribution::ValidatorAccumulatedCommission {
                    commission: vec![dec_coin()],
                }),
            },
        ],
        validator_historical_rewards: vec![distribution::ValidatorHistoricalRewardsRecord {
            validator_address: "depinvaloper1operator".into(),
            period: 4,
            rewards: Some(distribution::ValidatorHistoricalRewards {
                cumulative_reward_ratio: vec![dec_coin()],
                reference_count: 2,
            }),
        }],
        validator_current_rewards: vec![distribution::ValidatorCurrentRewardsRecord {
            validator_address: "depinvaloper1operator".into(),
            rewards: Some(distribution::ValidatorCurrentRewards {
                rewards: vec![dec_coin()],
                period: 5,
            }),
        }],
        delegator_starting_infos: vec![distribution::DelegatorStartingInfoRecord {
            delegator_address: "depin1delegator".into(),
            validator_address: "depinvaloper1operator".into(),
            starting_info: Some(distribution::DelegatorStartingInfo {
                previous_period: 3,
                stake: "500000000000000000000".into(),
                height: 17,
            }),
        }],
        validator_slash_events: vec![distribution::ValidatorSlashEventRecord {
            validator_address: "depinvaloper1operator".into(),
            height: 12,
            period: 3,
            validator_slash_event: Some(slash_event()),
        }],
    });

    // As a transaction carries them, and as a block result answers them.
    check(tx::TxBody {
        messages: vec![
            any(&msg_set_withdraw_address()),
            any(&msg_withdraw_delegator_reward()),
            any(&msg_withdraw_validator_commission()),
            any(&msg_fund_community_pool()),
            any(&msg_update_distribution_params()),
            any(&msg_community_pool_spend()),
        ],
        memo: "withdraw".into(),
        timeout_height: 100,
        extension_options: vec![any(&dec_coin())],
        non_critical_extension_options: vec![any(&slash_event())],
    });
    check(abci::Result {
        data: raw(44),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&distribution::MsgSetWithdrawAddressResponse {}),
            any(&distribution::MsgWithdrawDelegatorRewardResponse {
                amount: vec![coin()],
            }),
            any(&distribution::MsgWithdrawValidatorCommissionResponse {
                amount: vec![coin()],
            }),
            any(&distribution::MsgFundCommunityPoolResponse {}),
            any(&distribution::MsgUpdateParamsResponse {}),
            any(&distribution::MsgCommunityPoolSpendResponse {}),
        ],
    });
}

/// The LegacyDec fields of the distribution types carry the scalar option the REST gateway
/// and the CLI print them by (18-place decimals), as upstream's do.
#[test]
fn distribution_decimals_are_annotated() {
    for (message, field) in [
        ("cosmos.base.v1beta1.DecCoin", "amount"),
        ("cosmos.distribution.v1beta1.Params", "community_tax"),
        ("cosmos.distribution.v1beta1.Params", "base_proposer_reward"),
        (
            "cosmos.distribution.v1beta1.Params",
            "bonus_proposer_reward",
        ),
        (
            "cosmos.distribution.v1beta1.ValidatorSlashEvent",
            "fraction",
        ),
        ("cosmos.distribution.v1beta1.DelegatorStartingInfo", "stake"),
    ] {
        let desc = POOL
            .get_message_by_name(message)
            .unwrap_or_else(|| panic!("{message} is not declared"));
        let field = desc
            .get_field_by_name(field)
            .unwrap_or_else(|| panic!("{message}.{field} is not declared"));
        let scalar = POOL
            .get_extension_by_name("cosmos_proto.scalar")
            .expect("the cosmos_proto.scalar option is declared");
        let options = field.options();
        assert_eq!(
            options.get_extension(&scalar).as_str(),
            Some("cosmos.Dec"),
            "{}",
            field.full_name()
        );
    }
    // A Coin's amount is an integer: no option.
    let amount = POOL
        .get_message_by_name("cosmos.base.v1beta1.Coin")
        .and_then(|m| m.get_field_by_name("amount"))
        .unwrap();
    let scalar = POOL.get_extension_by_name("cosmos_proto.scalar").unwrap();
    assert!(!amount.options().has_extension(&scalar));
}

#[test]
fn gov_messages_match_the_cosmos_sdk() {
    check(gov_params());
    check(deposit_params());
    check(voting_params());
    check(tally_params());
    check(tally_result());
    check(gov_vote());
    check(gov_deposit());
    check(proposal());
    check(gov::QueryConstitutionRequest {});
    check(gov::QueryConstitutionResponse {
        constitution: "Devices first.".into(),
    });
    check(gov::QueryProposalRequest { proposal_id: 4 });
    check(gov::QueryProposalResponse {
        proposal: Some(proposal()),
    });
    check(gov::QueryProposalsRequest {
        proposal_status: gov::ProposalStatus::VotingPeriod as i32,
        voter: "depin1voter".into(),
        depositor: "depin1depositor".into(),
        pagination: Some(page_request()),
    });
    check(gov::QueryProposalsResponse {
        proposals: vec![proposal(), proposal()],
        pagination: Some(page_response()),
    });
    check(gov::QueryVoteRequest {
        proposal_id: 4,
        voter: "depin1voter".into(),
    });
    check(gov::QueryVoteResponse {
        vote: Some(gov_vote()),
    });
    check(gov::QueryVotesRequest {
        proposal_id: 4,
        pagination: Some(page_request()),
    });
    check(gov::QueryVotesResponse {
        votes: vec![gov_vote(), gov_vote()],
        pagination: Some(page_response()),
    });
    check(gov::QueryParamsRequest {
        params_type: "tallying".into(),
    });
    check(gov::QueryParamsResponse {
        voting_params: Some(voting_params()),
        deposit_params: Some(deposit_params()),
        tally_params: Some(tally_params()),
        params: Some(gov_params()),
    });
    check(gov::QueryDepositRequest {
        proposal_id: 4,
        depositor: "depin1depositor".into(),
    });
    check(gov::QueryDepositResponse {
        deposit: Some(gov_deposit()),
    });
    check(gov::QueryDepositsRequest {
        proposal_id: 4,
        pagination: Some(page_request()),
    });
    check(gov::QueryDepositsResponse {
        deposits: vec![gov_deposit(), gov_deposit()],
        pagination: Some(page_response()),
    });
    check(gov::QueryTallyResultRequest { proposal_id: 4 });
    check(gov::QueryTallyResultResponse {
        tally: Some(tally_result()),
    });
    check(msg_submit_proposal());
    check(gov::MsgSubmitProposalResponse { proposal_id: 4 });
    check(msg_vote());
    check(gov::MsgVoteResponse {});
    check(msg_vote_weighted());
    check(gov::MsgVoteWeightedResponse {});
    check(msg_deposit());
    check(gov::MsgDepositResponse {});
    check(msg_update_gov_params());
    check(gov::MsgUpdateParamsResponse {});
    check(msg_cancel_proposal());
    check(msg_cancel_proposal_response());
    check(gov::GenesisState {
        starting_proposal_id: 5,
        deposits: vec![gov_deposit()],
        votes: vec![gov_vote()],
        proposals: vec![proposal()],
        deposit_params: Some(deposit_params()),
        voting_params: Some(voting_params()),
        tally_params: Some(tally_params()),
        params: Some(gov_params()),
        constitution: "Devices first.".into(),
    });

    // As a transaction carries them, and as a block result answers them.
    check(tx::TxBody {
        messages: vec![
            any(&msg_submit_proposal()),
            any(&msg_vote()),
            any(&msg_vote_weighted()),
            any(&msg_deposit()),
            any(&msg_update_gov_params()),
            any(&msg_cancel_proposal()),
        ],
        memo: "vote".into(),
        timeout_height: 100,
        extension_options: vec![any(&tally_result())],
        non_critical_extension_options: vec![any(&gov_vote())],
    });
    check(abci::Result {
        data: raw(45),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&gov::MsgSubmitProposalResponse { proposal_id: 4 }),
            any(&gov::MsgVoteResponse {}),
            any(&gov::MsgVoteWeightedResponse {}),
            any(&gov::MsgDepositResponse {}),
            any(&gov::MsgUpdateParamsResponse {}),
            any(&msg_cancel_proposal_response()),
        ],
    });
}

#[test]
fn upgrade_messages_match_the_cosmos_sdk() {
    check(plan());
    check(upgrade::ModuleVersion {
        name: "gov".into(),
        version: 5,
    });
    check(upgrade::QueryCurrentPlanRequest {});
    check(upgrade::QueryCurrentPlanResponse { plan: Some(plan()) });
    check(upgrade::QueryAppliedPlanRequest { name: "v2".into() });
    check(upgrade::QueryAppliedPlanResponse { height: -1_000 });
    check(upgrade::QueryModuleVersionsRequest {
        module_name: "bank".into(),
    });
    check(upgrade::QueryModuleVersionsResponse {
        module_versions: vec![
            upgrade::ModuleVersion {
                name: "bank".into(),
                version: 4,
            },
            upgrade::ModuleVersion {
                name: "gov".into(),
                version: 5,
            },
        ],
    });
    check(upgrade::QueryAuthorityRequest {});
    check(upgrade::QueryAuthorityResponse {
        address: "depin1gov".into(),
    });
    check(msg_software_upgrade());
    check(upgrade::MsgSoftwareUpgradeResponse {});
    check(msg_cancel_upgrade());
    check(upgrade::MsgCancelUpgradeResponse {});

    // Sent directly (by the authority) or executed by a proposal.
    check(tx::TxBody {
        messages: vec![any(&msg_software_upgrade()), any(&msg_cancel_upgrade())],
        memo: "upgrade".into(),
        timeout_height: 100,
        extension_options: vec![any(&plan())],
        non_critical_extension_options: vec![any(&upgrade::ModuleVersion {
            name: "gov".into(),
            version: 5,
        })],
    });
    check(abci::Result {
        data: raw(46),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&upgrade::MsgSoftwareUpgradeResponse {}),
            any(&upgrade::MsgCancelUpgradeResponse {}),
        ],
    });
}

/// Gov v1's decimals and integers are strings that already hold their text (a decimal's
/// `String()`, "0.334000000000000000"), not the 10^-18 integer of a LegacyDec: none carries
/// the scalar option, so the REST gateway shows (and reads) them verbatim, as the Cosmos SDK
/// does. Annotated, a param stored as "1" would print as "0.000000000000000001" and decimal
/// text read from JSON would be turned into an integer.
#[test]
fn gov_decimals_are_plain_text() {
    let scalar = POOL
        .get_extension_by_name("cosmos_proto.scalar")
        .expect("the cosmos_proto.scalar option is declared");
    let decimals = [
        ("cosmos.gov.v1.Params", "quorum"),
        ("cosmos.gov.v1.Params", "threshold"),
        ("cosmos.gov.v1.Params", "veto_threshold"),
        ("cosmos.gov.v1.Params", "min_initial_deposit_ratio"),
        ("cosmos.gov.v1.Params", "proposal_cancel_ratio"),
        ("cosmos.gov.v1.Params", "expedited_threshold"),
        ("cosmos.gov.v1.Params", "min_deposit_ratio"),
        ("cosmos.gov.v1.TallyParams", "quorum"),
        ("cosmos.gov.v1.TallyParams", "threshold"),
        ("cosmos.gov.v1.TallyParams", "veto_threshold"),
        ("cosmos.gov.v1.WeightedVoteOption", "weight"),
        ("cosmos.gov.v1.TallyResult", "yes_count"),
        ("cosmos.gov.v1.TallyResult", "abstain_count"),
        ("cosmos.gov.v1.TallyResult", "no_count"),
        ("cosmos.gov.v1.TallyResult", "no_with_veto_count"),
    ];
    for (message, field) in decimals {
        let field = POOL
            .get_message_by_name(message)
            .and_then(|m| m.get_field_by_name(field))
            .unwrap_or_else(|| panic!("{message}.{field} is not declared"));
        assert_eq!(field.kind(), Kind::String, "{}", field.full_name());
        assert!(
            !field.options().has_extension(&scalar),
            "{} must not carry a scalar option",
            field.full_name()
        );
    }
    // No gov or upgrade field at all carries one.
    for message in POOL.all_messages() {
        if message.package_name() == "cosmos.gov.v1"
            || message.package_name() == "cosmos.upgrade.v1beta1"
        {
            for field in message.fields() {
                assert!(
                    !field.options().has_extension(&scalar),
                    "{}",
                    field.full_name()
                );
            }
        }
    }
}

/// Our generated rewards types and the descriptors come from the same files; every field is
/// covered by a fixture.
#[test]
fn rewards_types_match_their_descriptors() {
    check(rewards_params());
    check(epoch_emission());
    check(payout());
    check(rewards::QueryParamsRequest {});
    check(rewards::QueryParamsResponse {
        params: Some(rewards_params()),
    });
    check(rewards::QueryEpochRequest {});
    check(rewards::QueryEpochResponse {
        epoch: Some(rewards::EpochInfo {
            epoch: 7,
            start_height: 4_200,
            next_epoch_height: 4_800,
            next_emission: Some(coin()),
        }),
    });
    check(rewards::QueryScheduleRequest {
        from_epoch: 8_760,
        count: 3,
    });
    check(rewards::QueryScheduleResponse {
        epochs: vec![epoch_emission(), epoch_emission()],
    });
    check(rewards::QueryEmissionsRequest {
        pagination: Some(page_request()),
    });
    check(rewards::QueryEmissionsResponse {
        emissions: vec![epoch_emission()],
        pagination: Some(page_response()),
    });
    check(rewards::QueryTotalsRequest {});
    check(rewards::QueryTotalsResponse {
        totals: Some(rewards::Totals {
            minted: "1020".into(),
            scheduled: "1100".into(),
            capped: "80".into(),
            to_validators: "306".into(),
            to_devices: "408".into(),
            to_providers: "204".into(),
            to_community: "102".into(),
            paid_devices: "400".into(),
            paid_providers: "200".into(),
            provider_excess: "4".into(),
            devices_to_community: "8".into(),
            claimed: "350".into(),
            burned_for_credits: "90".into(),
            credits_minted: "9000".into(),
            credits_spent: "700".into(),
        }),
        supply: Some(coin()),
        minted: Some(coin()),
        burned: Some(coin()),
    });
    check(rewards::QueryPendingRequest {
        address: "depin1owner".into(),
    });
    check(rewards::QueryPendingResponse {
        pending: Some(rewards::Pending {
            address: "depin1owner".into(),
            from_devices: "30".into(),
            from_providers: "12".into(),
        }),
        total: Some(coin()),
    });
    check(rewards::QueryDeviceRewardsRequest {
        device_id: "depindev1device".into(),
    });
    check(rewards::QueryDeviceRewardsResponse {
        rewards: Some(rewards::DeviceRewards {
            device_id: "depindev1device".into(),
            earned: "55".into(),
            last_epoch: 6,
            last_amount: "9".into(),
        }),
    });
    check(rewards::QueryProviderRewardsRequest {
        provider: "depin1provider".into(),
    });
    check(rewards::QueryProviderRewardsResponse {
        rewards: Some(rewards::ProviderRewards {
            provider: "depin1provider".into(),
            earned: "77".into(),
            last_epoch: 6,
            last_amount: "11".into(),
        }),
    });
    check(rewards::QueryCreditsRequest {
        address: "depin1owner".into(),
    });
    check(rewards::QueryCreditsResponse {
        credits: Some(rewards::Credits {
            address: "depin1owner".into(),
            balance: "9000".into(),
        }),
    });
    check(rewards::QueryPoolsRequest {});
    check(rewards::QueryPoolsResponse {
        devices: "408".into(),
        providers: "204".into(),
        device_payout: Some(payout()),
        provider_payout: Some(payout()),
    });
    check(msg_claim());
    check(rewards::MsgClaimResponse {
        amount: Some(coin()),
    });
    check(msg_burn_for_credits());
    check(rewards::MsgBurnForCreditsResponse {
        credits: "100000".into(),
    });
    check(msg_update_rewards_params());
    check(rewards::MsgUpdateParamsResponse {});

    // As a transaction carries them, and as a block result answers them.
    check(tx::TxBody {
        messages: vec![
            any(&msg_claim()),
            any(&msg_burn_for_credits()),
            any(&msg_update_rewards_params()),
        ],
        memo: "claim".into(),
        timeout_height: 100,
        extension_options: vec![any(&payout())],
        non_critical_extension_options: vec![any(&epoch_emission())],
    });
    check(abci::Result {
        data: raw(45),
        log: "ok".into(),
        events: vec![event()],
        msg_responses: vec![
            any(&rewards::MsgClaimResponse {
                amount: Some(coin()),
            }),
            any(&rewards::MsgBurnForCreditsResponse {
                credits: "100000".into(),
            }),
            any(&rewards::MsgUpdateParamsResponse {}),
        ],
    });
    // DecayKind: every value named, NONE first (the default).
    let decay = POOL.get_enum_by_name("depin.rewards.v1.DecayKind").unwrap();
    for kind in [
        rewards::DecayKind::None,
        rewards::DecayKind::Halving,
        rewards::DecayKind::Exponential,
    ] {
        assert_eq!(
            decay.get_value(kind as i32).map(|v| v.name().to_string()),
            Some(kind.as_str_name().to_string())
        );
    }
    assert_eq!(decay.values().len(), 3);
}

#[test]
fn tendermint_messages_match_cometbft_and_the_cosmos_sdk() {
    check_as("tendermint.types.Block", block());
    check_as("tendermint.types.Header", header());
    check_as("tendermint.types.Commit", commit());
    check_as("tendermint.types.BlockID", block_id());
    check_as("tendermint.types.LightBlock", light_block());
    check_as("tendermint.types.ValidatorSet", validator_set());
    check_as("tendermint.types.EvidenceList", evidence());
    check_as("tendermint.types.Vote", vote());
    check_as("tendermint.abci.Event", event());
    check(sdk_block());
    check(tmsvc::GetBlockByHeightRequest { height: -7 });
    check(tmsvc::GetBlockByHeightResponse {
        block_id: Some(block_id()),
        block: Some(block()),
        sdk_block: Some(sdk_block()),
    });
    check(tmsvc::GetLatestBlockRequest {});
    check(tmsvc::GetLatestBlockResponse {
        block_id: Some(block_id()),
        block: Some(block()),
        sdk_block: Some(sdk_block()),
    });
    check(tmsvc::GetSyncingRequest {});
    check(tmsvc::GetSyncingResponse { syncing: true });
    check(tmsvc::GetNodeInfoRequest {});
    check(tmsvc::GetNodeInfoResponse {
        default_node_info: Some(p2p::DefaultNodeInfo {
            protocol_version: Some(p2p::ProtocolVersion {
                p2p: 8,
                block: 11,
                app: 2,
            }),
            default_node_id: "a1b2c3".into(),
            listen_addr: "tcp://0.0.0.0:26656".into(),
            network: "depin-1".into(),
            version: "0.38.17".into(),
            channels: raw(34),
            moniker: "validator-0".into(),
            other: Some(p2p::DefaultNodeInfoOther {
                tx_index: "on".into(),
                rpc_address: "tcp://127.0.0.1:26657".into(),
            }),
        }),
        application_version: Some(tmsvc::VersionInfo {
            name: "depin-sdk".into(),
            app_name: "depind".into(),
            version: "0.1.0".into(),
            git_commit: "abc123".into(),
            build_tags: "release".into(),
            go_version: "rustc 1.86".into(),
            build_deps: vec![tmsvc::Module {
                path: "tendermint-proto".into(),
                version: "0.40.4".into(),
                sum: "h1:abc".into(),
            }],
            cosmos_sdk_version: "v0.50.9".into(),
        }),
    });
}

/// The checks above would catch a wrong declaration: here each kind of mistake is staged by
/// reading a value as a message it is not.
#[test]
fn the_checks_catch_mismatches() {
    // A missing field: TxResponse read as Coin leaves most of it unknown.
    assert!(!problems("cosmos.base.v1beta1.Coin", &tx_response()).is_empty());
    // A wrong wire type: Fee's uint64 gas_limit (tag 2) where Tip has a string.
    assert!(!problems("cosmos.tx.v1beta1.Tip", &auth_info().fee.unwrap()).is_empty());
    // int64 declared as uint64: same bytes on the wire, caught by the sign convention.
    assert!(!problems(
        "cosmos.base.abci.v1beta1.GasInfo",
        &tmsvc::GetBlockByHeightRequest { height: -7 }
    )
    .is_empty());
    // A field upstream does not have: amount is never set.
    assert!(!problems(
        "cosmos.base.v1beta1.Coin",
        &bank::QuerySupplyOfRequest {
            denom: "udepin".into()
        }
    )
    .is_empty());
    // Same wire format, other names.
    let renamed = problems("cosmos.base.abci.v1beta1.Attribute", &coin());
    assert!(
        renamed.len() == 1 && renamed[0].contains("field names differ"),
        "{renamed:?}"
    );
    // A field a version moved: v1beta1's single vote option sits at v1's reserved tag 3.
    assert!(!problems(
        "cosmos.gov.v1.Vote",
        &cosmos_sdk_proto::cosmos::gov::v1beta1::Vote {
            proposal_id: 4,
            voter: "depin1voter".into(),
            option: 1,
            options: vec![],
        }
    )
    .is_empty());
    // An Any holding a type we do not declare.
    let foreign = Any {
        type_url: "/depin.example.v1.NotDeclared".into(),
        value: raw(35),
    };
    assert!(!problems(
        "cosmos.auth.v1beta1.QueryAccountResponse",
        &auth::QueryAccountResponse {
            account: Some(foreign)
        }
    )
    .is_empty());
}

#[test]
fn enums_match_upstream() {
    fn same(name: &str, upstream: impl Fn(i32) -> Option<&'static str>) {
        let ours = POOL
            .get_enum_by_name(name)
            .unwrap_or_else(|| panic!("{name} is not declared"));
        for n in -1..=256 {
            let declared = ours.get_value(n).map(|v| v.name().to_string());
            assert_eq!(declared.as_deref(), upstream(n), "{name} value {n}");
        }
    }
    same("cosmos.tx.signing.v1beta1.SignMode", |n| {
        SignMode::try_from(n).ok().map(|e| e.as_str_name())
    });
    same("cosmos.tx.v1beta1.OrderBy", |n| {
        tx::OrderBy::try_from(n).ok().map(|e| e.as_str_name())
    });
    same("cosmos.tx.v1beta1.BroadcastMode", |n| {
        tx::BroadcastMode::try_from(n).ok().map(|e| e.as_str_name())
    });
    same("cosmos.staking.v1beta1.BondStatus", |n| {
        staking::BondStatus::try_from(n)
            .ok()
            .map(|e| e.as_str_name())
    });
    same("cosmos.gov.v1.VoteOption", |n| {
        gov::VoteOption::try_from(n).ok().map(|e| e.as_str_name())
    });
    same("cosmos.gov.v1.ProposalStatus", |n| {
        gov::ProposalStatus::try_from(n)
            .ok()
            .map(|e| e.as_str_name())
    });
    same("tendermint.types.BlockIDFlag", |n| {
        types::BlockIdFlag::try_from(n)
            .ok()
            .map(|e| e.as_str_name())
    });
    same("tendermint.types.SignedMsgType", |n| {
        types::SignedMsgType::try_from(n)
            .ok()
            .map(|e| e.as_str_name())
    });
}

#[test]
fn every_served_method_is_declared() {
    fn method<Req: Name, Resp: Name>(service: &str, name: &str) {
        let svc = POOL
            .get_service_by_name(service)
            .unwrap_or_else(|| panic!("service {service} is not declared"));
        let m = svc
            .methods()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("{service}/{name} is not declared"));
        assert_eq!(m.input().full_name(), Req::full_name(), "{service}/{name}");
        assert_eq!(
            m.output().full_name(),
            Resp::full_name(),
            "{service}/{name}"
        );
        assert!(!m.is_client_streaming() && !m.is_server_streaming());
    }
    let q = "cosmos.bank.v1beta1.Query";
    method::<bank::QueryBalanceRequest, bank::QueryBalanceResponse>(q, "Balance");
    method::<bank::QueryAllBalancesRequest, bank::QueryAllBalancesResponse>(q, "AllBalances");
    method::<bank::QuerySpendableBalancesRequest, bank::QuerySpendableBalancesResponse>(
        q,
        "SpendableBalances",
    );
    method::<bank::QueryTotalSupplyRequest, bank::QueryTotalSupplyResponse>(q, "TotalSupply");
    method::<bank::QuerySupplyOfRequest, bank::QuerySupplyOfResponse>(q, "SupplyOf");
    method::<bank::QueryParamsRequest, bank::QueryParamsResponse>(q, "Params");
    method::<bank::QueryDenomMetadataRequest, bank::QueryDenomMetadataResponse>(q, "DenomMetadata");
    method::<bank::QueryDenomsMetadataRequest, bank::QueryDenomsMetadataResponse>(
        q,
        "DenomsMetadata",
    );

    let q = "cosmos.auth.v1beta1.Query";
    method::<auth::QueryAccountRequest, auth::QueryAccountResponse>(q, "Account");
    method::<auth::QueryAccountsRequest, auth::QueryAccountsResponse>(q, "Accounts");
    method::<auth::QueryParamsRequest, auth::QueryParamsResponse>(q, "Params");
    method::<auth::QueryModuleAccountsRequest, auth::QueryModuleAccountsResponse>(
        q,
        "ModuleAccounts",
    );
    method::<auth::QueryModuleAccountByNameRequest, auth::QueryModuleAccountByNameResponse>(
        q,
        "ModuleAccountByName",
    );
    method::<auth::Bech32PrefixRequest, auth::Bech32PrefixResponse>(q, "Bech32Prefix");
    method::<auth::QueryAccountInfoRequest, auth::QueryAccountInfoResponse>(q, "AccountInfo");

    let s = "cosmos.tx.v1beta1.Service";
    method::<tx::SimulateRequest, tx::SimulateResponse>(s, "Simulate");
    method::<tx::GetTxRequest, tx::GetTxResponse>(s, "GetTx");
    method::<tx::BroadcastTxRequest, tx::BroadcastTxResponse>(s, "BroadcastTx");
    method::<tx::GetTxsEventRequest, tx::GetTxsEventResponse>(s, "GetTxsEvent");

    let s = "cosmos.base.tendermint.v1beta1.Service";
    method::<tmsvc::GetNodeInfoRequest, tmsvc::GetNodeInfoResponse>(s, "GetNodeInfo");
    method::<tmsvc::GetSyncingRequest, tmsvc::GetSyncingResponse>(s, "GetSyncing");
    method::<tmsvc::GetLatestBlockRequest, tmsvc::GetLatestBlockResponse>(s, "GetLatestBlock");
    method::<tmsvc::GetBlockByHeightRequest, tmsvc::GetBlockByHeightResponse>(
        s,
        "GetBlockByHeight",
    );

    let q = "cosmos.staking.v1beta1.Query";
    method::<staking::QueryValidatorsRequest, staking::QueryValidatorsResponse>(q, "Validators");
    method::<staking::QueryValidatorRequest, staking::QueryValidatorResponse>(q, "Validator");
    method::<staking::QueryValidatorDelegationsRequest, staking::QueryValidatorDelegationsResponse>(
        q,
        "ValidatorDelegations",
    );
    method::<
        staking::QueryValidatorUnbondingDelegationsRequest,
        staking::QueryValidatorUnbondingDelegationsResponse,
    >(q, "ValidatorUnbondingDelegations");
    method::<staking::QueryDelegationRequest, staking::QueryDelegationResponse>(q, "Delegation");
    method::<staking::QueryUnbondingDelegationRequest, staking::QueryUnbondingDelegationResponse>(
        q,
        "UnbondingDelegation",
    );
    method::<staking::QueryDelegatorDelegationsRequest, staking::QueryDelegatorDelegationsResponse>(
        q,
        "DelegatorDelegations",
    );
    method::<
        staking::QueryDelegatorUnbondingDelegationsRequest,
        staking::QueryDelegatorUnbondingDelegationsResponse,
    >(q, "DelegatorUnbondingDelegations");
    method::<staking::QueryRedelegationsRequest, staking::QueryRedelegationsResponse>(
        q,
        "Redelegations",
    );
    method::<staking::QueryDelegatorValidatorsRequest, staking::QueryDelegatorValidatorsResponse>(
        q,
        "DelegatorValidators",
    );
    method::<staking::QueryDelegatorValidatorRequest, staking::QueryDelegatorValidatorResponse>(
        q,
        "DelegatorValidator",
    );
    method::<staking::QueryHistoricalInfoRequest, staking::QueryHistoricalInfoResponse>(
        q,
        "HistoricalInfo",
    );
    method::<staking::QueryPoolRequest, staking::QueryPoolResponse>(q, "Pool");
    method::<staking::QueryParamsRequest, staking::QueryParamsResponse>(q, "Params");
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(14),
        "{q} declares a method the staking module does not serve"
    );

    let q = "cosmos.slashing.v1beta1.Query";
    method::<slashing::QueryParamsRequest, slashing::QueryParamsResponse>(q, "Params");
    method::<slashing::QuerySigningInfoRequest, slashing::QuerySigningInfoResponse>(
        q,
        "SigningInfo",
    );
    method::<slashing::QuerySigningInfosRequest, slashing::QuerySigningInfosResponse>(
        q,
        "SigningInfos",
    );
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(3),
        "{q} declares a method the slashing module does not serve"
    );

    let q = "cosmos.distribution.v1beta1.Query";
    method::<distribution::QueryParamsRequest, distribution::QueryParamsResponse>(q, "Params");
    method::<
        distribution::QueryValidatorDistributionInfoRequest,
        distribution::QueryValidatorDistributionInfoResponse,
    >(q, "ValidatorDistributionInfo");
    method::<
        distribution::QueryValidatorOutstandingRewardsRequest,
        distribution::QueryValidatorOutstandingRewardsResponse,
    >(q, "ValidatorOutstandingRewards");
    method::<
        distribution::QueryValidatorCommissionRequest,
        distribution::QueryValidatorCommissionResponse,
    >(q, "ValidatorCommission");
    method::<distribution::QueryValidatorSlashesRequest, distribution::QueryValidatorSlashesResponse>(
        q,
        "ValidatorSlashes",
    );
    method::<
        distribution::QueryDelegationRewardsRequest,
        distribution::QueryDelegationRewardsResponse,
    >(q, "DelegationRewards");
    method::<
        distribution::QueryDelegationTotalRewardsRequest,
        distribution::QueryDelegationTotalRewardsResponse,
    >(q, "DelegationTotalRewards");
    method::<
        distribution::QueryDelegatorValidatorsRequest,
        distribution::QueryDelegatorValidatorsResponse,
    >(q, "DelegatorValidators");
    method::<
        distribution::QueryDelegatorWithdrawAddressRequest,
        distribution::QueryDelegatorWithdrawAddressResponse,
    >(q, "DelegatorWithdrawAddress");
    method::<distribution::QueryCommunityPoolRequest, distribution::QueryCommunityPoolResponse>(
        q,
        "CommunityPool",
    );
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(10),
        "{q} declares a method the distribution module does not serve"
    );

    let q = "cosmos.gov.v1.Query";
    method::<gov::QueryConstitutionRequest, gov::QueryConstitutionResponse>(q, "Constitution");
    method::<gov::QueryProposalRequest, gov::QueryProposalResponse>(q, "Proposal");
    method::<gov::QueryProposalsRequest, gov::QueryProposalsResponse>(q, "Proposals");
    method::<gov::QueryVoteRequest, gov::QueryVoteResponse>(q, "Vote");
    method::<gov::QueryVotesRequest, gov::QueryVotesResponse>(q, "Votes");
    method::<gov::QueryParamsRequest, gov::QueryParamsResponse>(q, "Params");
    method::<gov::QueryDepositRequest, gov::QueryDepositResponse>(q, "Deposit");
    method::<gov::QueryDepositsRequest, gov::QueryDepositsResponse>(q, "Deposits");
    method::<gov::QueryTallyResultRequest, gov::QueryTallyResultResponse>(q, "TallyResult");
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(9),
        "{q} declares a method the gov module does not serve"
    );

    let q = "cosmos.upgrade.v1beta1.Query";
    method::<upgrade::QueryCurrentPlanRequest, upgrade::QueryCurrentPlanResponse>(q, "CurrentPlan");
    method::<upgrade::QueryAppliedPlanRequest, upgrade::QueryAppliedPlanResponse>(q, "AppliedPlan");
    method::<upgrade::QueryModuleVersionsRequest, upgrade::QueryModuleVersionsResponse>(
        q,
        "ModuleVersions",
    );
    method::<upgrade::QueryAuthorityRequest, upgrade::QueryAuthorityResponse>(q, "Authority");
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(4),
        "{q} declares a method the upgrade module does not serve"
    );

    // Msg services are not served over gRPC (transactions are broadcast), and every declared
    // method needs a REST route (app/tests/rest_gateway.rs): their messages only are declared.
    for msg in ["cosmos.gov.v1.Msg", "cosmos.upgrade.v1beta1.Msg"] {
        assert!(POOL.get_service_by_name(msg).is_none(), "{msg} is declared");
    }
    for unserved in [
        "cosmos.gov.v1.MsgExecLegacyContent",
        "cosmos.gov.v1.MsgExecLegacyContentResponse",
    ] {
        assert!(
            POOL.get_message_by_name(unserved).is_none(),
            "{unserved} is declared"
        );
    }

    let q = "depin.rewards.v1.Query";
    method::<rewards::QueryParamsRequest, rewards::QueryParamsResponse>(q, "Params");
    method::<rewards::QueryEpochRequest, rewards::QueryEpochResponse>(q, "Epoch");
    method::<rewards::QueryScheduleRequest, rewards::QueryScheduleResponse>(q, "Schedule");
    method::<rewards::QueryEmissionsRequest, rewards::QueryEmissionsResponse>(q, "Emissions");
    method::<rewards::QueryTotalsRequest, rewards::QueryTotalsResponse>(q, "Totals");
    method::<rewards::QueryPendingRequest, rewards::QueryPendingResponse>(q, "Pending");
    method::<rewards::QueryDeviceRewardsRequest, rewards::QueryDeviceRewardsResponse>(
        q,
        "DeviceRewards",
    );
    method::<rewards::QueryProviderRewardsRequest, rewards::QueryProviderRewardsResponse>(
        q,
        "ProviderRewards",
    );
    method::<rewards::QueryCreditsRequest, rewards::QueryCreditsResponse>(q, "Credits");
    method::<rewards::QueryPoolsRequest, rewards::QueryPoolsResponse>(q, "Pools");
    assert_eq!(
        POOL.get_service_by_name(q).map(|s| s.methods().len()),
        Some(10),
        "{q} declares a method the rewards module does not serve"
    );

    use depin_proto::depin::app::v1 as app;
    method::<app::VersionRequest, app::VersionResponse>("depin.app.v1.Query", "Version");
}

/// Our generated types and the descriptors come from the same files.
#[test]
fn depin_types_match_their_descriptors() {
    use depin_proto::depin::app::v1 as app;
    check(app::VersionRequest {});
    check(app::VersionResponse {
        name: "depin-sdk".into(),
        version: "0.1.0".into(),
        app_version: 2,
    });
}

/// The Cosmos types only reached inside others keep their upstream names too (type names
/// show in `grpcurl describe` and in the type URLs of `Any`).
#[test]
fn nested_cosmos_types_have_upstream_names() {
    fn declared<T: Name>() {
        let name = T::full_name();
        assert!(
            POOL.get_message_by_name(&name).is_some(),
            "{name} is not declared"
        );
    }
    declared::<bank::SendEnabled>();
    declared::<bank::DenomUnit>();
    declared::<bank::Input>();
    declared::<bank::Output>();
    declared::<tx::SignerInfo>();
    declared::<tx::ModeInfo>();
    declared::<tx::mode_info::Single>();
    declared::<tx::mode_info::Multi>();
    declared::<tx::Fee>();
    declared::<tx::Tip>();
    declared::<CompactBitArray>();
    declared::<abci::AbciMessageLog>();
    declared::<abci::StringEvent>();
    declared::<abci::Attribute>();
    declared::<abci::GasInfo>();
    declared::<abci::Result>();
    declared::<tmsvc::VersionInfo>();
    declared::<tmsvc::Module>();
    declared::<tmsvc::Header>();
    declared::<staking::Delegation>();
    declared::<staking::UnbondingDelegationEntry>();
    declared::<staking::Redelegation>();
    declared::<staking::RedelegationEntry>();
    declared::<staking::RedelegationEntryResponse>();
    declared::<staking::Commission>();
    declared::<slashing::SigningInfo>();
    declared::<slashing::ValidatorMissedBlocks>();
    declared::<slashing::MissedBlock>();
    declared::<DecCoin>();
    declared::<distribution::ValidatorHistoricalRewards>();
    declared::<distribution::ValidatorCurrentRewards>();
    declared::<distribution::ValidatorAccumulatedCommission>();
    declared::<distribution::ValidatorOutstandingRewards>();
    declared::<distribution::ValidatorSlashEvent>();
    declared::<distribution::FeePool>();
    declared::<distribution::DelegatorStartingInfo>();
    declared::<distribution::DelegationDelegatorReward>();
    declared::<distribution::DelegatorWithdrawInfo>();
    declared::<distribution::ValidatorOutstandingRewardsRecord>();
    declared::<distribution::ValidatorAccumulatedCommissionRecord>();
    declared::<distribution::ValidatorHistoricalRewardsRecord>();
    declared::<distribution::ValidatorCurrentRewardsRecord>();
    declared::<distribution::DelegatorStartingInfoRecord>();
    declared::<distribution::ValidatorSlashEventRecord>();
    declared::<gov::WeightedVoteOption>();
    declared::<gov::TallyResult>();
    declared::<gov::DepositParams>();
    declared::<gov::VotingParams>();
    declared::<gov::TallyParams>();
    declared::<upgrade::ModuleVersion>();
}

/// Files sit where the Cosmos SDK and CometBFT keep them, so clients that import one by path
/// (grpcurl's file-containing-symbol, buf) find the same names.
#[test]
fn files_use_upstream_paths() {
    for (symbol, file) in [
        (
            "cosmos.bank.v1beta1.Query",
            "cosmos/bank/v1beta1/query.proto",
        ),
        (
            "cosmos.bank.v1beta1.MsgSend",
            "cosmos/bank/v1beta1/tx.proto",
        ),
        (
            "cosmos.bank.v1beta1.Metadata",
            "cosmos/bank/v1beta1/bank.proto",
        ),
        (
            "cosmos.auth.v1beta1.Query",
            "cosmos/auth/v1beta1/query.proto",
        ),
        (
            "cosmos.auth.v1beta1.BaseAccount",
            "cosmos/auth/v1beta1/auth.proto",
        ),
        (
            "cosmos.tx.v1beta1.Service",
            "cosmos/tx/v1beta1/service.proto",
        ),
        ("cosmos.tx.v1beta1.Tx", "cosmos/tx/v1beta1/tx.proto"),
        (
            "cosmos.base.abci.v1beta1.TxResponse",
            "cosmos/base/abci/v1beta1/abci.proto",
        ),
        (
            "cosmos.base.tendermint.v1beta1.Service",
            "cosmos/base/tendermint/v1beta1/query.proto",
        ),
        ("cosmos.base.v1beta1.Coin", "cosmos/base/v1beta1/coin.proto"),
        (
            "cosmos.base.v1beta1.DecCoin",
            "cosmos/base/v1beta1/coin.proto",
        ),
        (
            "cosmos.distribution.v1beta1.Query",
            "cosmos/distribution/v1beta1/query.proto",
        ),
        (
            "cosmos.distribution.v1beta1.Params",
            "cosmos/distribution/v1beta1/distribution.proto",
        ),
        (
            "cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward",
            "cosmos/distribution/v1beta1/tx.proto",
        ),
        (
            "cosmos.distribution.v1beta1.GenesisState",
            "cosmos/distribution/v1beta1/genesis.proto",
        ),
        ("cosmos.gov.v1.Query", "cosmos/gov/v1/query.proto"),
        ("cosmos.gov.v1.Proposal", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.VoteOption", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.ProposalStatus", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.Vote", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.Deposit", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.Params", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.TallyParams", "cosmos/gov/v1/gov.proto"),
        ("cosmos.gov.v1.MsgSubmitProposal", "cosmos/gov/v1/tx.proto"),
        (
            "cosmos.gov.v1.MsgCancelProposalResponse",
            "cosmos/gov/v1/tx.proto",
        ),
        ("cosmos.gov.v1.GenesisState", "cosmos/gov/v1/genesis.proto"),
        (
            "cosmos.upgrade.v1beta1.Query",
            "cosmos/upgrade/v1beta1/query.proto",
        ),
        (
            "cosmos.upgrade.v1beta1.Plan",
            "cosmos/upgrade/v1beta1/upgrade.proto",
        ),
        (
            "cosmos.upgrade.v1beta1.ModuleVersion",
            "cosmos/upgrade/v1beta1/upgrade.proto",
        ),
        (
            "cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
            "cosmos/upgrade/v1beta1/tx.proto",
        ),
        (
            "cosmos.base.query.v1beta1.PageRequest",
            "cosmos/base/query/v1beta1/pagination.proto",
        ),
        (
            "cosmos.crypto.secp256k1.PubKey",
            "cosmos/crypto/secp256k1/keys.proto",
        ),
        (
            "cosmos.staking.v1beta1.Query",
            "cosmos/staking/v1beta1/query.proto",
        ),
        (
            "cosmos.staking.v1beta1.Validator",
            "cosmos/staking/v1beta1/staking.proto",
        ),
        (
            "cosmos.staking.v1beta1.MsgCreateValidator",
            "cosmos/staking/v1beta1/tx.proto",
        ),
        (
            "cosmos.slashing.v1beta1.Query",
            "cosmos/slashing/v1beta1/query.proto",
        ),
        (
            "cosmos.slashing.v1beta1.ValidatorSigningInfo",
            "cosmos/slashing/v1beta1/slashing.proto",
        ),
        (
            "cosmos.slashing.v1beta1.MsgUnjail",
            "cosmos/slashing/v1beta1/tx.proto",
        ),
        (
            "cosmos.slashing.v1beta1.GenesisState",
            "cosmos/slashing/v1beta1/genesis.proto",
        ),
        (
            "cosmos.crypto.ed25519.PubKey",
            "cosmos/crypto/ed25519/keys.proto",
        ),
        ("tendermint.types.Block", "tendermint/types/block.proto"),
        ("tendermint.types.Header", "tendermint/types/types.proto"),
        (
            "tendermint.types.Validator",
            "tendermint/types/validator.proto",
        ),
        (
            "tendermint.types.Evidence",
            "tendermint/types/evidence.proto",
        ),
        (
            "tendermint.crypto.PublicKey",
            "tendermint/crypto/keys.proto",
        ),
        (
            "tendermint.p2p.DefaultNodeInfo",
            "tendermint/p2p/types.proto",
        ),
        ("tendermint.abci.Event", "tendermint/abci/types.proto"),
        ("depin.app.v1.Query", "depin/app/v1/node.proto"),
        ("depin.rewards.v1.Query", "depin/rewards/v1/query.proto"),
        ("depin.rewards.v1.Params", "depin/rewards/v1/rewards.proto"),
        ("depin.rewards.v1.MsgClaim", "depin/rewards/v1/tx.proto"),
    ] {
        let found = POOL
            .get_message_by_name(symbol)
            .map(|m| m.parent_file())
            .or_else(|| POOL.get_service_by_name(symbol).map(|s| s.parent_file()))
            .or_else(|| POOL.get_enum_by_name(symbol).map(|e| e.parent_file()));
        let found = found.unwrap_or_else(|| panic!("{symbol} is not declared"));
        assert_eq!(found.name(), file, "{symbol}");
    }
}
