//! What `depind tx distribution ...` and `depind query distribution ...` rely on, through the
//! in-process driver: a genesis validator with its self delegation and one more delegation,
//! blocks that pay fees and carry the validator's vote (so distribution allocates them), then
//! the requests the query commands build answer through the module's ABCI query paths and
//! print with 18-place decimals, and the messages the tx commands build (withdraw-rewards with
//! and without --commission, withdraw-all-rewards, set-withdraw-addr, fund-community-pool)
//! move what the queries showed.

use std::sync::Arc;

use base64::Engine;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1 as bpb;
use cosmrs::Any;
use cosmwasm_std::{Decimal256, Timestamp, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::driver::InProcess;
use depin_app::node::NodeConfig;
use depin_simapp::cmd::distribution::{
    answer_json, fund_community_pool_msg, path, set_withdraw_addr_msg, withdraw_all_rewards_msgs,
    withdraw_rewards_msgs, DistributionQuery,
};
use depin_simapp::cmd::query::QueryFlags;
use depin_simapp::testing::{genesis, msg_send, sign, FeeSpec, SignerData, TestKey};
use depin_simapp::{default_app, ADDRESS_PREFIX, DENOM, VALOPER_PREFIX};
use depin_staking::genesis::{
    GenesisCommission, GenesisCommissionRates, GenesisDelegation, GenesisPubKey, GenesisValidator,
};
use depin_staking::types::{Description, ED25519_PUBKEY_URL};
use prost::Message;
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExecTxResult, ResponseFinalizeBlock, Validator as AbciValidator, VoteInfo,
};
use tendermint_proto::v0_38::types::BlockIdFlag;

const CHAIN_ID: &str = "depin-distribution-cli-1";
const FUNDS: u128 = 1_000_000_000;
/// The operator's self delegation and the other delegator's: power 10 + 30.
const SELF_STAKE: u128 = 10_000_000;
const DELEGATED: u128 = 30_000_000;
const POWER: i64 = ((SELF_STAKE + DELEGATED) / 1_000_000) as i64;
const CONSENSUS_KEY: [u8; 32] = [11; 32];
/// Fees paid in each fee block.
const FEE: u128 = 1_000_000;
/// 10^18: one whole unit in LegacyDec units.
const ONE: u128 = 1_000_000_000_000_000_000;

fn operator() -> TestKey {
    TestKey::from_seed(51)
}

fn delegator() -> TestKey {
    TestKey::from_seed(52)
}

/// Where the delegator has its rewards paid after set-withdraw-addr.
fn withdraw_target() -> String {
    TestKey::from_seed(53).address
}

fn valoper() -> String {
    AddressCodec::new(VALOPER_PREFIX).encode(
        &AddressCodec::new(ADDRESS_PREFIX)
            .decode(&operator().address)
            .unwrap(),
    )
}

/// The operator and the delegator funded, and one validator with both delegations, as
/// collect-gentxs writes it: Unbonded (staking bonds it at InitChain), its tokens in the
/// not-bonded pool.
fn app_state() -> Value {
    let (op, del) = (operator(), delegator());
    let tokens = SELF_STAKE + DELEGATED;
    let mut state = genesis(&[
        (&op.address, FUNDS - SELF_STAKE),
        (&del.address, FUNDS - DELEGATED),
    ]);
    let pool =
        AddressCodec::new(ADDRESS_PREFIX).encode(&module_address(depin_staking::NOT_BONDED_POOL));
    let pool_balance = depin_bank::genesis::Balance {
        address: pool,
        coins: vec![depin_app::coins::Coin::new(tokens, DENOM)],
    };
    state["bank"]["balances"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::to_value(pool_balance).unwrap());
    let shares = |n: u128| depin_staking::dec::from_tokens(Uint128::new(n));
    let staking = depin_staking::GenesisState {
        validators: vec![GenesisValidator {
            operator_address: valoper(),
            consensus_pubkey: GenesisPubKey {
                type_url: ED25519_PUBKEY_URL.into(),
                key: base64::engine::general_purpose::STANDARD.encode(CONSENSUS_KEY),
            },
            jailed: false,
            status: "BOND_STATUS_UNBONDED".into(),
            tokens: Uint128::new(tokens),
            delegator_shares: shares(tokens),
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
        delegations: vec![
            GenesisDelegation {
                delegator_address: op.address.clone(),
                validator_address: valoper(),
                shares: shares(SELF_STAKE),
            },
            GenesisDelegation {
                delegator_address: del.address.clone(),
                validator_address: valoper(),
                shares: shares(DELEGATED),
            },
        ],
        ..Default::default()
    };
    state["staking"] = serde_json::to_value(staking).unwrap();
    state
}

struct Chain {
    driver: InProcess,
    _dir: tempfile::TempDir,
}

impl Chain {
    /// A chain after its first block (which has no last commit yet).
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut driver =
            InProcess::open(Arc::new(default_app()), dir.path(), NodeConfig::default()).unwrap();
        driver.init_chain(CHAIN_ID, &app_state()).unwrap();
        driver.block(vec![]);
        Chain { driver, _dir: dir }
    }

    /// The validator's vote on the previous block, as CometBFT sends it.
    fn votes() -> CommitInfo {
        CommitInfo {
            round: 0,
            votes: vec![VoteInfo {
                validator: Some(AbciValidator {
                    address: depin_staking::types::consensus_address(&CONSENSUS_KEY).into(),
                    power: POWER,
                }),
                block_id_flag: BlockIdFlag::Commit as i32,
            }],
        }
    }

    fn block(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        self.driver.block_with(txs, Some(Self::votes()), Vec::new())
    }

    fn account(&self, address: &str) -> (u64, u64) {
        let resp = self.driver.query(
            "/cosmos.auth.v1beta1.Query/Account",
            QueryAccountRequest {
                address: address.into(),
            }
            .encode_to_vec(),
        );
        assert_eq!(resp.code, 0, "{}", resp.log);
        let any = QueryAccountResponse::decode(resp.value.as_ref())
            .unwrap()
            .account
            .unwrap();
        let a = BaseAccount::decode(any.value.as_slice()).unwrap();
        (a.account_number, a.sequence)
    }

    /// `msgs` signed by `key`, paying `fee` udepin, in a block of their own.
    fn tx(&mut self, key: &TestKey, msgs: Vec<Any>, fee: u128) -> ExecTxResult {
        let (account_number, sequence) = self.account(&key.address);
        let tx = sign(
            key,
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number,
                sequence,
            },
            msgs,
            &FeeSpec::new(fee, 1_000_000),
            "",
        )
        .unwrap();
        self.block(vec![tx]).tx_results.remove(0)
    }

    fn ok(&mut self, key: &TestKey, msgs: Vec<Any>, fee: u128) -> ExecTxResult {
        let r = self.tx(key, msgs, fee);
        assert_eq!(r.code, 0, "{} ({} {})", r.log, r.codespace, r.code);
        r
    }

    /// `n` blocks in which the delegator pays FEE of fees (allocated at the next block).
    fn pay_fees(&mut self, n: usize) {
        let del = delegator();
        for _ in 0..n {
            let send = msg_send(&del.address, &del.address, 1);
            self.ok(&del, vec![send], FEE);
        }
    }

    /// What `depind query distribution ...` prints for `cmd`, through the same request, path
    /// and printing.
    fn cli_query(&self, cmd: DistributionQuery) -> Value {
        let (method, request) = cmd.request().unwrap();
        let resp = self.driver.query(&path(method), request);
        assert_eq!(resp.code, 0, "{method}: {}", resp.log);
        answer_json(method, &resp.value).unwrap()
    }

    fn balance(&self, address: &str) -> u128 {
        let resp = self.driver.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            bpb::QueryBalanceRequest {
                address: address.into(),
                denom: DENOM.into(),
            }
            .encode_to_vec(),
        );
        assert_eq!(resp.code, 0, "{}", resp.log);
        bpb::QueryBalanceResponse::decode(resp.value.as_ref())
            .unwrap()
            .balance
            .map_or(0, |c| c.amount.parse().unwrap())
    }
}

fn flags() -> QueryFlags {
    QueryFlags {
        node: "tcp://127.0.0.1:1".into(),
        height: 0,
    }
}

/// An 18-place decimal as printed ("12.500000000000000000") → 10^-18 units.
fn dec_units(text: &Value) -> u128 {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("{text} is not text"));
    let (int, frac) = text
        .split_once('.')
        .unwrap_or_else(|| panic!("{text} has no decimal point"));
    assert_eq!(frac.len(), 18, "{text} does not have 18 places");
    int.parse::<u128>().unwrap() * ONE + frac.parse::<u128>().unwrap()
}

/// The udepin amount of printed decimal coins, in 10^-18 units.
fn udepin(coins: &Value) -> u128 {
    coins
        .as_array()
        .unwrap_or_else(|| panic!("{coins} is not a list"))
        .iter()
        .find(|c| c["denom"] == json!(DENOM))
        .map_or(0, |c| dec_units(&c["amount"]))
}

fn rewards_of(chain: &Chain, delegator: &str) -> u128 {
    let out = chain.cli_query(DistributionQuery::Rewards {
        delegator: delegator.into(),
        validator: Some(valoper()),
        flags: flags(),
    });
    udepin(&out["rewards"])
}

#[test]
fn the_cli_queries_show_allocated_fees() {
    let mut chain = Chain::new();
    chain.pay_fees(3);
    chain.block(vec![]);
    let del = delegator().address;

    let params = chain.cli_query(DistributionQuery::Params { flags: flags() });
    assert_eq!(
        params["params"],
        json!({
            "community_tax": "0.020000000000000000",
            "base_proposer_reward": "0.000000000000000000",
            "bonus_proposer_reward": "0.000000000000000000",
            "withdraw_addr_enabled": true,
        })
    );

    // rewards <delegator> <validator>: positive, and 3/4 of the delegators' share.
    let delegator_rewards = rewards_of(&chain, &del);
    let operator_rewards = rewards_of(&chain, &operator().address);
    assert!(delegator_rewards >= ONE, "{delegator_rewards}");
    assert!(
        delegator_rewards.abs_diff(3 * operator_rewards) <= 3 * ONE / 1_000_000,
        "{delegator_rewards} vs {operator_rewards}"
    );
    // rewards <delegator>: per validator and the total.
    let total = chain.cli_query(DistributionQuery::Rewards {
        delegator: del.clone(),
        validator: None,
        flags: flags(),
    });
    assert_eq!(total["rewards"][0]["validator_address"], json!(valoper()));
    assert_eq!(udepin(&total["rewards"][0]["reward"]), delegator_rewards);
    assert_eq!(udepin(&total["total"]), delegator_rewards);

    // commission <validator>: 10% of what the validator was allocated.
    let commission = chain.cli_query(DistributionQuery::Commission {
        validator: valoper(),
        flags: flags(),
    });
    let commission = udepin(&commission["commission"]["commission"]);
    assert!(commission > 0);
    let outstanding = chain.cli_query(DistributionQuery::ValidatorOutstandingRewards {
        validator: valoper(),
        flags: flags(),
    });
    let outstanding = udepin(&outstanding["rewards"]["rewards"]);
    assert!(commission + delegator_rewards + operator_rewards <= outstanding);

    // community-pool: the 2% tax at least.
    let pool = chain.cli_query(DistributionQuery::CommunityPool { flags: flags() });
    assert!(udepin(&pool["pool"]) > 0, "{pool}");

    // validator-distribution-info: the operator's account, its self-bond rewards, commission.
    let info = chain.cli_query(DistributionQuery::ValidatorDistributionInfo {
        validator: valoper(),
        flags: flags(),
    });
    assert_eq!(info["operator_address"], json!(operator().address));
    assert_eq!(udepin(&info["self_bond_rewards"]), operator_rewards);
    assert_eq!(udepin(&info["commission"]), commission);

    // slashes <validator>: none, with the pagination the SDK prints.
    let slashes = chain.cli_query(DistributionQuery::Slashes {
        validator: valoper(),
        start_height: 0,
        end_height: 0,
        limit: 10,
        flags: flags(),
    });
    assert_eq!(slashes["slashes"], json!([]), "{slashes}");
    assert_eq!(slashes["pagination"]["total"], json!("0"));

    // delegator-validators and withdraw-addr (the delegator itself by default).
    let validators = chain.cli_query(DistributionQuery::DelegatorValidators {
        delegator: del.clone(),
        flags: flags(),
    });
    assert_eq!(validators, json!({ "validators": [valoper()] }));
    let address = chain.cli_query(DistributionQuery::WithdrawAddr {
        delegator: del.clone(),
        flags: flags(),
    });
    assert_eq!(address, json!({ "withdraw_address": del }));
}

#[test]
fn the_cli_messages_withdraw_and_fund() {
    let mut chain = Chain::new();
    let (op, del) = (operator(), delegator());
    chain.pay_fees(3);

    // withdraw-rewards <validator>: the whole udepin of the rewards go to the delegator (no
    // fee in that block: the balance moves by the withdrawal alone).
    let pending = rewards_of(&chain, &del.address);
    assert!(pending >= ONE);
    let before = chain.balance(&del.address);
    let msgs = withdraw_rewards_msgs(&del.address, &valoper(), false).unwrap();
    chain.ok(&del, msgs, 0);
    let paid = chain.balance(&del.address) - before;
    // At least what the query showed (this block allocated the last fee block's fees too).
    assert!(paid >= pending / ONE && paid > 0, "{paid} < {pending}");
    assert!(rewards_of(&chain, &del.address) < ONE);

    // set-withdraw-addr: the query reflects it, and rewards go there from now on.
    let target = withdraw_target();
    chain.ok(
        &del,
        vec![set_withdraw_addr_msg(&del.address, &target).unwrap()],
        0,
    );
    let address = chain.cli_query(DistributionQuery::WithdrawAddr {
        delegator: del.address.clone(),
        flags: flags(),
    });
    assert_eq!(address, json!({ "withdraw_address": target }));
    chain.pay_fees(2);
    let before = chain.balance(&del.address);
    // withdraw-all-rewards: DelegatorValidators asked through the query path, one message
    // per validator.
    let msgs = withdraw_all_rewards_msgs(&del.address, |path, request| {
        let resp = chain.driver.query(path, request);
        assert_eq!(resp.code, 0, "{}", resp.log);
        Ok(resp.value.to_vec())
    })
    .unwrap();
    assert_eq!(msgs.len(), 1);
    chain.ok(&del, msgs, 0);
    assert!(chain.balance(&target) > 0);
    assert_eq!(chain.balance(&del.address), before);

    // withdraw-rewards --commission, signed by the operator: both paid.
    let commission = chain.cli_query(DistributionQuery::Commission {
        validator: valoper(),
        flags: flags(),
    });
    let owed = udepin(&commission["commission"]["commission"]);
    assert!(owed >= ONE);
    let before = chain.balance(&op.address);
    let msgs = withdraw_rewards_msgs(&op.address, &valoper(), true).unwrap();
    assert_eq!(msgs.len(), 2);
    chain.ok(&op, msgs, 0);
    assert!(chain.balance(&op.address) > before);
    let commission = chain.cli_query(DistributionQuery::Commission {
        validator: valoper(),
        flags: flags(),
    });
    // What is left is decimals (no fees were paid in the block before).
    assert!(udepin(&commission["commission"]["commission"]) < owed);

    // fund-community-pool: the pool grows by the amount given.
    let pool = |chain: &Chain| {
        udepin(&chain.cli_query(DistributionQuery::CommunityPool { flags: flags() })["pool"])
    };
    let before = pool(&chain);
    let msg = fund_community_pool_msg(&del.address, &format!("12345{DENOM}")).unwrap();
    chain.ok(&del, vec![msg], 0);
    assert!(pool(&chain) >= before + 12_345 * ONE);
}
