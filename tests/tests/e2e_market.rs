//! The marketplace end to end through real CometBFT: (a) a compute lease — two providers
//! onboard a compute device each and register, a tenant orders, both bid, the tenant accepts
//! the cheaper bid, the provider withdraws and the tenant closes, every balance and the supply
//! checked to the unit; (b) a storage deal — a client proposes over random data with the
//! client library, the provider accepts and answers a few periods' challenges, then stops:
//! the faults pay the client, the deal terminates and the unspent escrow is refunded.

use std::time::{Duration, Instant};

use cosmrs::Any;
use depin_device::client::{self as device_client, DeviceSigner, Onboarding};
use depin_market::client::{self as market_client, MerkleTree};
use depin_proto::depin::market::v1 as pb;
use depin_simapp::testing::TestKey;
use depin_tests::story::{
    all, amount, any, grpc, maker_record, msg_response, random_data, supply, tx, udepin, TX_FEE,
    TX_GAS,
};
use depin_tests::{Net, CHAIN_ID, FUNDS};
use sha2::{Digest, Sha256};

const DEPIND: &str = env!("CARGO_BIN_EXE_depind-e2e");
const PREFIX: &str = "depin";
const MAKER: &str = "acme";
/// The default onboarding fee of the compute and storage classes (burned).
const ONBOARDING_FEE: u128 = 1_000_000;
/// The default min_provider_collateral.
const COLLATERAL: u128 = 100_000_000;
/// The default bid_deposit.
const BID_DEPOSIT: u128 = 1_000_000;
/// The default take_rate_bps (burned).
const TAKE_BPS: u128 = 200;

fn maker_key() -> DeviceSigner {
    DeviceSigner::secp256k1(&[0x4d; 32]).expect("maker key")
}

/// A market query over gRPC.
fn q<Req, Resp>(net: &Net, method: &str, req: Req) -> Resp
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    grpc(net, "depin.market.v1.Query", method, req)
}

fn take(payment: u128) -> u128 {
    payment * TAKE_BPS / 10_000
}

/// Long epochs (devices stay active for the whole test) and the maker `acme` allowed to
/// attest compute and storage devices; `market` edits the market params.
fn patch_genesis(genesis: &mut serde_json::Value, market: impl FnOnce(&mut serde_json::Value)) {
    let device = &mut genesis["app_state"]["device"];
    device["params"]["epoch_blocks"] = "10000".into();
    device["makers"] =
        serde_json::json!([maker_record(MAKER, &maker_key(), &["compute", "storage"])]);
    market(&mut genesis["app_state"]["market"]["params"]);
}

/// Onboards a device of `class` for `owner`, makes it active with a heartbeat of epoch 0 and
/// registers `owner` as a provider of it with the minimum collateral: one transaction.
fn provider_msgs(owner: &TestKey, class: &str, seed: u8, serial: &str) -> Vec<Any> {
    let device = DeviceSigner::ed25519([seed; 32]);
    let id = device.id(PREFIX);
    let attestation = device_client::sign_attestation(
        &maker_key(),
        CHAIN_ID,
        &device.public_key(),
        class,
        serial,
    );
    let onboard = device_client::onboard_device(
        &device,
        attestation,
        Onboarding {
            chain_id: CHAIN_ID,
            owner: &owner.address,
            maker: MAKER,
            class,
            serial,
            nonce: 1,
            location: None,
            metadata: "",
        },
    );
    let payload = Sha256::digest(format!("{serial} first heartbeat"));
    let heartbeat =
        device_client::heartbeat(&device, CHAIN_ID, &owner.address, &id, 0, 1, &payload);
    let provider = pb::MsgCreateProvider {
        owner: owner.address.clone(),
        host_uri: format!("https://{serial}.example"),
        attributes: vec![pb::Attribute {
            key: "region".into(),
            value: "eu".into(),
        }],
        device_ids: vec![id],
        collateral: Some(udepin(COLLATERAL)),
    };
    vec![any(&onboard), any(&heartbeat), any(&provider)]
}

fn provider(net: &Net, owner: &str) -> pb::Provider {
    let r: pb::QueryProviderResponse = q(
        net,
        "Provider",
        pb::QueryProviderRequest {
            owner: owner.into(),
        },
    );
    r.provider.expect("provider")
}

fn deal(net: &Net, deal_id: u64) -> (pb::StorageDeal, pb::EscrowAccount) {
    let r: pb::QueryDealResponse = q(net, "Deal", pb::QueryDealRequest { deal_id });
    (r.deal.expect("deal"), r.escrow.expect("escrow"))
}

fn challenges(net: &Net, deal_id: u64) -> pb::QueryChallengesResponse {
    q(net, "Challenges", pb::QueryChallengesRequest { deal_id })
}

#[test]
fn compute_lease_end_to_end() {
    let started = Instant::now();
    let net = Net::start_with(DEPIND, 3, |g| patch_genesis(g, |_| {}));
    let (alice, bob, carol) = (&net.keys[0], &net.keys[1], &net.keys[2]);
    let supply0 = supply(&net);

    // Two providers, each with an active compute device.
    all(
        &net,
        vec![
            (
                alice,
                provider_msgs(alice, "compute", 0xa1, "CPU-A"),
                "provider A",
            ),
            (
                bob,
                provider_msgs(bob, "compute", 0xb1, "CPU-B"),
                "provider B",
            ),
        ],
    );
    let pa = provider(&net, &alice.address);
    assert_eq!(pa.device_ids.len(), 1);
    assert_eq!(pa.collateral, vec![udepin(COLLATERAL)]);
    assert_eq!(
        supply(&net),
        supply0 - 2 * ONBOARDING_FEE,
        "onboarding fees burned"
    );

    // The tenant's order.
    const MAX_PRICE: u128 = 2_000;
    const DEPOSIT: u128 = 1_000_000;
    let r = tx(
        &net,
        carol,
        vec![any(&pb::MsgCreateOrder {
            tenant: carol.address.clone(),
            resources: Some(pb::Resources {
                cpu_millicores: 2_000,
                memory_bytes: 4 << 30,
                ..Default::default()
            }),
            requirements: Some(pb::PlacementRequirements {
                attributes: vec![pb::Attribute {
                    key: "region".into(),
                    value: "eu".into(),
                }],
                ..Default::default()
            }),
            max_price_per_block: Some(udepin(MAX_PRICE)),
            deposit: Some(udepin(DEPOSIT)),
        })],
        "create order",
    );
    let order_id = msg_response::<pb::MsgCreateOrderResponse>(&r, 0).order_id;
    assert_eq!(order_id, 1);

    // Both bid; the tenant takes the cheaper one.
    const PRICE: u128 = 1_000;
    let bid = |key: &TestKey, price: u128| {
        vec![any(&pb::MsgCreateBid {
            provider: key.address.clone(),
            order_id,
            price_per_block: Some(udepin(price)),
        })]
    };
    all(
        &net,
        vec![
            (alice, bid(alice, PRICE), "bid A"),
            (bob, bid(bob, 1_500), "bid B"),
        ],
    );
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - COLLATERAL - BID_DEPOSIT - 2 * TX_FEE
    );
    let r = tx(
        &net,
        carol,
        vec![any(&pb::MsgAcceptBid {
            tenant: carol.address.clone(),
            order_id,
            provider: alice.address.clone(),
        })],
        "accept bid",
    );
    let h_accept = r.height.value() as u128;
    let bids: pb::QueryBidsResponse = q(
        &net,
        "Bids",
        pb::QueryBidsRequest {
            order_id,
            ..Default::default()
        },
    );
    let state_of = |p: &str| {
        bids.bids
            .iter()
            .find(|b| b.provider == p)
            .map(|b| b.state)
            .expect("bid")
    };
    assert_eq!(state_of(&alice.address), pb::BidState::Active as i32);
    assert_eq!(state_of(&bob.address), pb::BidState::Lost as i32);
    // The loser's deposit is back.
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - COLLATERAL - 2 * TX_FEE
    );

    // Blocks pass; the provider withdraws what it earned so far.
    net.wait_height(h_accept as u64 + 4, Duration::from_secs(30));
    let r = tx(
        &net,
        alice,
        vec![any(&pb::MsgWithdrawLease {
            provider: alice.address.clone(),
            order_id,
        })],
        "withdraw lease",
    );
    let h_withdraw = r.height.value() as u128;
    let first = (h_withdraw - h_accept) * PRICE;
    let withdrawn: pb::MsgWithdrawLeaseResponse = msg_response(&r, 0);
    assert_eq!(amount(&withdrawn.amount), first - take(first));

    // The tenant closes.
    let r = tx(
        &net,
        carol,
        vec![any(&pb::MsgCloseLease {
            sender: carol.address.clone(),
            order_id,
        })],
        "close lease",
    );
    let h_close = r.height.value() as u128;
    let blocks = h_close - h_accept;
    let paid = blocks * PRICE;
    assert_eq!(take(paid), take(first) + take(paid - first), "no rounding");

    let lease: pb::QueryLeaseResponse = q(&net, "Lease", pb::QueryLeaseRequest { order_id });
    let (lease, escrow) = (lease.lease.expect("lease"), lease.escrow.expect("escrow"));
    assert_eq!(lease.state, pb::LeaseState::Closed as i32);
    assert_eq!(lease.close_reason, pb::CloseReason::Tenant as i32);
    assert_eq!(lease.closed_height as u128, h_close);
    assert_eq!(lease.settled_height as u128, h_close);
    assert_eq!(amount(&lease.paid), paid - take(paid));
    assert_eq!(amount(&lease.unwithdrawn), 0);
    assert_eq!(amount(&escrow.balance), 0);
    assert_eq!(amount(&escrow.transferred), paid);
    let order: pb::QueryOrderResponse = q(&net, "Order", pb::QueryOrderRequest { order_id });
    assert_eq!(
        order.order.expect("order").state,
        pb::OrderState::Closed as i32
    );
    let pa = provider(&net, &alice.address);
    let rep = pa.reputation.expect("reputation");
    assert_eq!(
        (rep.leases_completed, rep.leases_closed_by_provider),
        (1, 0)
    );

    // Every balance and the supply to the unit.
    assert_eq!(net.balance_grpc(&carol.address), FUNDS - 3 * TX_FEE - paid);
    assert_eq!(
        net.balance_grpc(&alice.address),
        FUNDS - ONBOARDING_FEE - COLLATERAL - 3 * TX_FEE + paid - take(paid)
    );
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - ONBOARDING_FEE - COLLATERAL - 2 * TX_FEE
    );
    assert_eq!(supply(&net), supply0 - 2 * ONBOARDING_FEE - take(paid));

    // The CLI reads the same lease.
    let node = format!("tcp://127.0.0.1:{}", net.ports.rpc);
    let out = net.depind_ok(&[
        "query", "market", "lease", "1", "--node", &node, "-o", "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("CLI JSON");
    assert_eq!(json["lease"]["state"], "LEASE_STATE_CLOSED", "{json}");
    assert_eq!(
        json["lease"]["paid"]["amount"],
        (paid - take(paid)).to_string()
    );
    let out = net.depind_ok(&[
        "query",
        "market",
        "bids",
        "--order-id",
        "1",
        "--state",
        "lost",
        "--node",
        &node,
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("CLI JSON");
    assert_eq!(json["bids"][0]["provider"], bob.address.as_str(), "{json}");
    eprintln!(
        "compute lease: {blocks} blocks paid at {PRICE}udepin, in {:?}",
        started.elapsed()
    );
}

#[test]
fn storage_deal_end_to_end() {
    const PERIOD_BLOCKS: u64 = 3;
    const MAX_FAULTS: u32 = 2;
    const FAULT_FEE_BPS: u128 = 500;
    let started = Instant::now();
    let net = Net::start_with(DEPIND, 2, |g| {
        patch_genesis(g, |p| {
            p["proving_period_blocks"] = PERIOD_BLOCKS.to_string().into();
            p["max_consecutive_faults"] = MAX_FAULTS.into();
            p["fault_fee_bps"] = (FAULT_FEE_BPS as u32).into();
        })
    });
    let (alice, bob) = (&net.keys[0], &net.keys[1]);
    let supply0 = supply(&net);
    let params: pb::QueryParamsResponse = q(&net, "Params", pb::QueryParamsRequest {});
    let params = params.params.expect("params");
    assert_eq!(params.proving_period_blocks, PERIOD_BLOCKS);
    let challenges_per_period = params.challenges_per_period as usize;

    tx(
        &net,
        alice,
        provider_msgs(alice, "storage", 0x5a, "DISK-A"),
        "storage provider",
    );

    // The client's data: 13 full chunks and a short one.
    const CHUNK: u32 = 256;
    let data = random_data(13 * CHUNK as usize + 77);
    let tree = MerkleTree::build(&data, CHUNK).expect("tree");
    assert_eq!(tree.n_chunks(), 14);
    const DURATION: u64 = 10;
    const PRICE: u128 = 7_000;
    const DEAL_COLLATERAL: u128 = 10_000_000;
    let fault_fee = DEAL_COLLATERAL * FAULT_FEE_BPS / 10_000;
    let r = tx(
        &net,
        bob,
        vec![any(&market_client::propose_deal_msg(
            &bob.address,
            &alice.address,
            &tree,
            DURATION,
            udepin(PRICE),
            udepin(DEAL_COLLATERAL),
        ))],
        "propose deal",
    );
    let deal_id = msg_response::<pb::MsgProposeDealResponse>(&r, 0).deal_id;
    let (d, escrow) = deal(&net, deal_id);
    assert_eq!(d.state, pb::DealState::Proposed as i32);
    assert_eq!(d.data_root, tree.root().to_vec());
    assert_eq!(amount(&escrow.balance), PRICE * DURATION as u128);
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - TX_FEE - PRICE * DURATION as u128
    );

    tx(
        &net,
        alice,
        vec![any(&pb::MsgAcceptDeal {
            provider: alice.address.clone(),
            deal_id,
        })],
        "accept deal",
    );
    let (d, _) = deal(&net, deal_id);
    assert_eq!(d.state, pb::DealState::Accepted as i32);
    assert_eq!(
        provider(&net, &alice.address).locked_collateral,
        vec![udepin(DEAL_COLLATERAL)]
    );

    // The provider's key in the home's keyring and the data in a file, for the CLI.
    // TestKey::from_seed(1): the secret is SHA-256 of the seed (a valid scalar for seed 1).
    let secret: [u8; 32] = Sha256::digest(1u64.to_be_bytes()).into();
    let recovered = cosmrs::crypto::secp256k1::SigningKey::from_slice(&secret).expect("secret");
    assert_eq!(TestKey::from_key(recovered).address, alice.address);
    let secret_hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut import = std::process::Command::new(&net.depind_bin)
        .args([
            "keys",
            "import",
            "alice",
            "--keyring-backend",
            "test",
            "--home",
        ])
        .arg(&net.home)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("depind keys import");
    std::io::Write::write_all(import.stdin.as_mut().expect("stdin"), secret_hex.as_bytes())
        .expect("write the key");
    drop(import.stdin.take());
    assert!(import.wait().expect("keys import").success());
    let file = net.home.join("deal.bin");
    std::fs::write(&file, &data).expect("write the data");
    let node = format!("tcp://127.0.0.1:{}", net.ports.rpc);
    let deal_arg = deal_id.to_string();
    let file_arg = file.to_str().expect("path").to_string();
    let fee_arg = format!("{TX_FEE}udepin");
    let gas_arg = TX_GAS.to_string();
    let cli_proof = [
        "tx",
        "market",
        "submit-proof",
        &deal_arg,
        "--file",
        &file_arg,
        "--from",
        "alice",
        "--node",
        &node,
        "--fees",
        &fee_arg,
        "--gas",
        &gas_arg,
        "--wait",
        "-o",
        "json",
    ];

    // The provider answers three periods' challenges (the first is the activation), reading
    // them over gRPC each period, then stops.
    const PROVEN: u64 = 3;
    let mut period = 0;
    for i in 0..PROVEN {
        let deadline = Instant::now() + Duration::from_secs(20);
        let c = loop {
            let c = challenges(&net, deal_id);
            if c.period > period {
                break c;
            }
            assert!(Instant::now() < deadline, "period {period} never ended");
            std::thread::sleep(Duration::from_millis(30));
        };
        assert_eq!(c.period, i + 1);
        assert_eq!(c.indices.len(), challenges_per_period);
        let h = if i == 0 {
            // The activation (due only deal_activation_blocks after acceptance) goes through
            // the CLI, as a provider's cron job would send it: twice, the second a no-op.
            let out = net.depind_ok(&cli_proof);
            let json: serde_json::Value = serde_json::from_str(out.trim()).expect("CLI JSON");
            assert_eq!(json["code"], 0, "{json}");
            let again = net.depind_ok(&cli_proof);
            assert!(again.contains("already proven"), "{again}");
            json["height"]
                .as_str()
                .and_then(|h| h.parse().ok())
                .expect("height")
        } else {
            let proofs = market_client::answer(&tree, &data, &c.indices).expect("answer");
            let r = tx(
                &net,
                alice,
                vec![any(&market_client::proof_msg(
                    &alice.address,
                    deal_id,
                    c.period,
                    proofs,
                ))],
                "storage proof",
            );
            r.height.value() as i64
        };
        assert!(h <= c.due_height, "proof at {h}, due {}", c.due_height);
        let (d, _) = deal(&net, deal_id);
        assert_eq!(d.state, pb::DealState::Active as i32);
        assert!(d.proven);
        period = c.period;
    }

    // Two periods without a proof: two faults, then termination.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (d, escrow) = loop {
        let (d, escrow) = deal(&net, deal_id);
        if d.state != pb::DealState::Active as i32 {
            break (d, escrow);
        }
        assert!(Instant::now() < deadline, "the deal never ended");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(d.state, pb::DealState::Terminated as i32);
    assert_eq!(d.periods_proven, PROVEN);
    assert_eq!(d.faults, u64::from(MAX_FAULTS));
    let fees = fault_fee * u128::from(MAX_FAULTS);
    assert_eq!(amount(&d.fault_fees_paid), fees);
    let earned = PRICE * PROVEN as u128;
    let refund = PRICE * DURATION as u128 - earned;
    assert_eq!(amount(&escrow.balance), 0);
    assert_eq!(amount(&escrow.transferred), earned);
    let pa = provider(&net, &alice.address);
    assert_eq!(amount(&pa.collateral.first().cloned()), COLLATERAL - fees);
    assert_eq!(
        pa.locked_collateral
            .iter()
            .map(|c| amount(&Some(c.clone())))
            .sum::<u128>(),
        0
    );
    let rep = pa.reputation.expect("reputation");
    assert_eq!(
        (rep.proofs_passed, rep.proofs_failed, rep.deals_faulted),
        (PROVEN, u64::from(MAX_FAULTS), 1)
    );

    // Every amount to the unit: the client paid for three periods and got the fault fees and
    // the rest of its escrow; the provider earned three periods less the take; the takes are
    // burned.
    assert_eq!(
        net.balance_grpc(&bob.address),
        FUNDS - TX_FEE - PRICE * DURATION as u128 + fees + refund
    );
    let per_period = PRICE - take(PRICE);
    assert_eq!(
        net.balance_grpc(&alice.address),
        FUNDS - ONBOARDING_FEE - COLLATERAL - (2 + PROVEN as u128) * TX_FEE
            + PROVEN as u128 * per_period
    );
    assert_eq!(
        supply(&net),
        supply0 - ONBOARDING_FEE - PROVEN as u128 * take(PRICE)
    );
    eprintln!(
        "storage deal: {PROVEN} periods proven, {MAX_FAULTS} faults, terminated at period {}, in {:?}",
        d.period,
        started.elapsed()
    );
}
