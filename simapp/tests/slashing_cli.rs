//! What `depind query slashing ...` and `depind tx slashing unjail` rely on, through the
//! in-process driver: the ABCI query paths the CLI asks answer for a chain with a genesis
//! validator, their answers print as the Cosmos SDK CLI prints them, the MsgUnjail the CLI
//! builds reaches the slashing module, and the REST gateway serves the Cosmos SDK's slashing
//! routes.

use std::io::{Read, Write};
use std::sync::Arc;

use base64::Engine;
use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use cosmwasm_std::{Decimal256, Timestamp, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::driver::InProcess;
use depin_app::grpc::Gateway;
use depin_app::node::NodeConfig;
use depin_app::rest::RestServer;
use depin_simapp::cmd::slashing::{cons_address, params_json, path, signing_info_json, unjail_msg};
use depin_simapp::testing::{genesis, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM, VALOPER_PREFIX};
use depin_staking::genesis::{
    GenesisCommission, GenesisCommissionRates, GenesisDelegation, GenesisPubKey, GenesisValidator,
};
use depin_staking::types::{Description, ED25519_PUBKEY_URL};
use prost::Message;
use serde_json::{json, Value};

const CHAIN_ID: &str = "depin-slashing-cli-1";
const FUNDS: u128 = 1_000_000_000;
/// The genesis validator's self delegation: power 10.
const STAKE: u128 = 10_000_000;
const CONSENSUS_KEY: [u8; 32] = [9; 32];

fn operator() -> TestKey {
    TestKey::from_seed(41)
}

fn pubkey_json() -> String {
    format!(
        r#"{{"@type":"{ED25519_PUBKEY_URL}","key":"{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(CONSENSUS_KEY)
    )
}

fn valcons() -> String {
    AddressCodec::new(&format!("{ADDRESS_PREFIX}valcons"))
        .encode(&depin_staking::types::consensus_address(&CONSENSUS_KEY))
}

/// The operator's validator address.
fn valoper() -> String {
    AddressCodec::new(VALOPER_PREFIX).encode(
        &AddressCodec::new(ADDRESS_PREFIX)
            .decode(&operator().address)
            .unwrap(),
    )
}

/// The operator funded, and a validator of its self delegation, as collect-gentxs writes it:
/// Unbonded at genesis (staking bonds it at InitChain), its tokens in the not-bonded pool.
fn app_state() -> Value {
    let op = operator();
    let pool =
        AddressCodec::new(ADDRESS_PREFIX).encode(&module_address(depin_staking::NOT_BONDED_POOL));
    let mut state = genesis(&[(&op.address, FUNDS - STAKE)]);
    // The pool is a module account: a balance, not a genesis account.
    let pool_balance = depin_bank::genesis::Balance {
        address: pool,
        coins: vec![depin_app::coins::Coin::new(STAKE, DENOM)],
    };
    state["bank"]["balances"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::to_value(pool_balance).unwrap());
    let valoper = valoper();
    let shares = depin_staking::dec::from_tokens(Uint128::new(STAKE));
    let staking = depin_staking::GenesisState {
        validators: vec![GenesisValidator {
            operator_address: valoper.clone(),
            consensus_pubkey: GenesisPubKey {
                type_url: ED25519_PUBKEY_URL.into(),
                key: base64::engine::general_purpose::STANDARD.encode(CONSENSUS_KEY),
            },
            jailed: false,
            status: "BOND_STATUS_UNBONDED".into(),
            tokens: Uint128::new(STAKE),
            delegator_shares: shares,
            description: Description {
                moniker: "genesis".into(),
                ..Default::default()
            },
            unbonding_height: 0,
            unbonding_time: Timestamp::from_nanos(0),
            commission: GenesisCommission {
                commission_rates: GenesisCommissionRates {
                    rate: Decimal256::percent(10),
                    max_rate: Decimal256::percent(20),
                    max_change_rate: Decimal256::percent(1),
                },
                update_time: Timestamp::from_nanos(0),
            },
            min_self_delegation: Uint128::new(1),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        }],
        delegations: vec![GenesisDelegation {
            delegator_address: op.address.clone(),
            validator_address: valoper,
            shares,
        }],
        ..Default::default()
    };
    state["staking"] = serde_json::to_value(staking).unwrap();
    state
}

/// A chain after its first block.
fn chain(dir: &std::path::Path) -> InProcess {
    let mut driver = InProcess::open(Arc::new(default_app()), dir, NodeConfig::default()).unwrap();
    driver.init_chain(CHAIN_ID, &app_state()).unwrap();
    driver.block(vec![]);
    driver
}

fn query<R: Message + Default>(driver: &InProcess, method: &str, request: impl Message) -> R {
    let resp = driver.query(&path(method), request.encode_to_vec());
    assert_eq!(resp.code, 0, "{method}: {}", resp.log);
    R::decode(resp.value.as_ref()).unwrap()
}

#[test]
fn the_cli_query_paths_answer_for_a_genesis_validator() {
    let dir = tempfile::tempdir().unwrap();
    let driver = chain(dir.path());

    // query slashing params: the Cosmos SDK's defaults, printed as the SDK prints them.
    let r: pb::QueryParamsResponse = query(&driver, "Params", pb::QueryParamsRequest {});
    assert_eq!(
        params_json(&r.params.unwrap()),
        json!({
            "signed_blocks_window": "100",
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": "600s",
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.010000000000000000",
        })
    );

    // query slashing signing-infos: the genesis validator, bonded from the start.
    let r: pb::QuerySigningInfosResponse = query(
        &driver,
        "SigningInfos",
        pb::QuerySigningInfosRequest {
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                limit: 100,
                count_total: true,
                ..Default::default()
            }),
        },
    );
    assert_eq!(r.info.len(), 1, "{r:?}");
    assert_eq!(r.pagination.unwrap().total, 1);
    let info = signing_info_json(&r.info[0]);
    assert_eq!(info["address"], json!(valcons()));
    assert_eq!(info["tombstoned"], json!(false));
    assert_eq!(info["missed_blocks_counter"], json!("0"));
    assert_eq!(info["jailed_until"], json!("1970-01-01T00:00:00Z"));
    assert!(info["start_height"].is_string() && info["index_offset"].is_string());

    // query slashing signing-info, by address and by consensus key: the same answer.
    for arg in [valcons(), pubkey_json()] {
        let cons_address = cons_address(dir.path(), &arg).unwrap();
        let r: pb::QuerySigningInfoResponse = query(
            &driver,
            "SigningInfo",
            pb::QuerySigningInfoRequest { cons_address },
        );
        assert_eq!(signing_info_json(&r.val_signing_info.unwrap()), info);
    }

    // A consensus address slashing does not know is an error, not an empty answer.
    let unknown = AddressCodec::new(&format!("{ADDRESS_PREFIX}valcons")).encode(&[3; 20]);
    let resp = driver.query(
        &path("SigningInfo"),
        pb::QuerySigningInfoRequest {
            cons_address: unknown,
        }
        .encode_to_vec(),
    );
    assert_ne!(resp.code, 0);
}

#[test]
fn the_unjail_the_cli_builds_reaches_slashing() {
    let dir = tempfile::tempdir().unwrap();
    let mut driver = chain(dir.path());
    let op = operator();
    let tx = sign(
        &op,
        &SignerData {
            chain_id: CHAIN_ID.into(),
            account_number: 0,
            sequence: 0,
        },
        vec![unjail_msg(&op.address).unwrap()],
        &FeeSpec {
            amount: 0,
            denom: DENOM.into(),
            gas: 500_000,
        },
        "",
    )
    .unwrap();
    let results = driver.deliver(vec![tx]);
    // The validator is bonded, not jailed: slashing itself refuses, saying why.
    assert_eq!(results[0].codespace, "slashing", "{:?}", results[0]);
    assert!(
        results[0].log.contains("is not jailed"),
        "{}",
        results[0].log
    );
}

/// GET over a socket: (status line, JSON body).
fn http_get(addr: std::net::SocketAddr, target: &str) -> (String, Value) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap().to_string();
    // Axum answers with a fixed length; a chunked body would start with its size.
    let body =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{target}: not JSON ({e}): {answer}"));
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_gateway_serves_the_slashing_routes() {
    let dir = tempfile::tempdir().unwrap();
    let driver = chain(dir.path());
    let gateway = Gateway::new(driver.node().queries().clone(), None).unwrap();
    let server = RestServer::new(Arc::new(gateway)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_on(listener, async {
        let _ = stopped.await;
    }));

    let answers = tokio::task::spawn_blocking(move || {
        [
            "/cosmos/slashing/v1beta1/params".to_string(),
            "/cosmos/slashing/v1beta1/signing_infos?pagination.count_total=true".to_string(),
            format!("/cosmos/slashing/v1beta1/signing_infos/{}", valcons()),
            format!("/cosmos/staking/v1beta1/validators/{}", valoper()),
            format!(
                "/cosmos/staking/v1beta1/validators/{}/delegations",
                valoper()
            ),
            "/cosmos/staking/v1beta1/params".to_string(),
        ]
        .map(|target| http_get(addr, &target))
    })
    .await
    .unwrap();
    let [(s1, params), (s2, infos), (s3, info), (s4, validator), (s5, delegations), (s6, staking_params)] =
        answers;
    for (status, body) in [
        (&s1, &params),
        (&s2, &infos),
        (&s3, &info),
        (&s4, &validator),
        (&s5, &delegations),
        (&s6, &staking_params),
    ] {
        assert!(status.contains(" 200 "), "{status}: {body}");
    }
    assert_eq!(params["params"]["signed_blocks_window"], json!("100"));
    assert_eq!(params["params"]["downtime_jail_duration"], json!("600s"));
    // LegacyDec fields as the Cosmos SDK's gateway writes them: 18 places, never base64.
    assert_eq!(
        params["params"]["min_signed_per_window"],
        json!("0.500000000000000000")
    );
    assert_eq!(
        params["params"]["slash_fraction_double_sign"],
        json!("0.050000000000000000")
    );
    assert_eq!(
        params["params"]["slash_fraction_downtime"],
        json!("0.010000000000000000")
    );
    let v = &validator["validator"];
    assert_eq!(v["tokens"], json!(STAKE.to_string()), "{validator}");
    assert_eq!(
        v["delegator_shares"],
        json!(format!("{STAKE}.000000000000000000"))
    );
    let rates = &v["commission"]["commission_rates"];
    assert_eq!(rates["rate"], json!("0.100000000000000000"));
    assert_eq!(rates["max_rate"], json!("0.200000000000000000"));
    assert_eq!(rates["max_change_rate"], json!("0.010000000000000000"));
    assert_eq!(
        delegations["delegation_responses"][0]["delegation"]["shares"],
        json!(format!("{STAKE}.000000000000000000"))
    );
    // No pagination asked: the total is counted, as the Cosmos SDK does.
    assert_eq!(delegations["pagination"]["total"], json!("1"));
    // Zero by default: still 18 places.
    assert_eq!(
        staking_params["params"]["min_commission_rate"],
        json!("0.000000000000000000")
    );
    assert_eq!(infos["info"][0]["address"], json!(valcons()));
    assert_eq!(infos["pagination"]["total"], json!("1"));
    assert_eq!(info["val_signing_info"]["address"], json!(valcons()));
    assert_eq!(
        info["val_signing_info"]["missed_blocks_counter"],
        json!("0")
    );
    assert_eq!(info["val_signing_info"]["tombstoned"], json!(false));

    stop.send(()).unwrap();
    task.await.unwrap().expect("a clean shutdown");
    drop(driver);
}
