//! `depind tx distribution ...` and `depind query distribution ...`: the
//! cosmos.distribution.v1beta1 messages (withdraw rewards and commission, set the withdraw
//! address, fund the community pool) and queries, under the Cosmos SDK CLI's command names.
//! Answers are printed as the REST gateway writes them: decimal coins and params with 18
//! places, 64-bit integers as strings.

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use cosmrs::Any;
use prost::Message;
use serde_json::Value;

use depin_app::address::AddressCodec;
use depin_distribution::msgs::{
    MSG_FUND_COMMUNITY_POOL, MSG_SET_WITHDRAW_ADDRESS, MSG_WITHDRAW_DELEGATOR_REWARD,
    MSG_WITHDRAW_VALIDATOR_COMMISSION,
};

use super::device::Signer;
use super::query::{page, QueryFlags};
use super::staking::valoper_of;
use super::tx::{broadcast, load_key};
use super::Context;

#[derive(Subcommand)]
pub enum DistributionTx {
    /// `withdraw-rewards <validator-addr> [--commission]`: withdraw the signer's rewards from
    /// one validator; with --commission also the commission of that validator, which the
    /// signer must operate.
    WithdrawRewards {
        /// The validator's operator address (depinvaloper1...).
        #[arg(value_name = "VALIDATOR_ADDR")]
        validator: String,
        /// Also withdraw the validator's commission (the signer must be its operator).
        #[arg(long)]
        commission: bool,
        #[command(flatten)]
        signer: Signer,
    },
    /// Withdraw the signer's rewards from every validator it delegates to, in one transaction.
    WithdrawAllRewards {
        #[command(flatten)]
        signer: Signer,
    },
    /// `set-withdraw-addr <address>`: have the signer's rewards (and commission) paid to
    /// another address; the signer's own address sets it back.
    SetWithdrawAddr {
        /// The bech32 address (depin1...) to pay the rewards to.
        address: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// `fund-community-pool <coins>`: give coins (e.g. 1000udepin) to the community pool.
    FundCommunityPool {
        /// Coins with denom, comma-separated, e.g. 1000udepin.
        amount: String,
        #[command(flatten)]
        signer: Signer,
    },
}

#[derive(Subcommand)]
pub enum DistributionQuery {
    /// The module's parameters.
    Params {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `rewards <delegator> [<validator>]`: a delegator's pending rewards, from every
    /// validator it delegates to (with the total), or from one.
    Rewards {
        /// The delegator's bech32 address (depin1...).
        delegator: String,
        /// Only the rewards from this validator (operator address, depinvaloper1...).
        validator: Option<String>,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `commission <validator>`: a validator's commission not yet withdrawn.
    Commission {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// The community pool.
    CommunityPool {
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `slashes <validator> [--start-height H] [--end-height H] [--limit N]`: a validator's
    /// slashes at heights start..=end (end 0: no upper bound).
    Slashes {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        /// The first block height to look at.
        #[arg(long, default_value_t = 0)]
        start_height: u64,
        /// The last block height to look at (0: no upper bound).
        #[arg(long, default_value_t = 0)]
        end_height: u64,
        /// The most slashes to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `validator-outstanding-rewards <validator>`: what a validator was allocated and is not
    /// withdrawn yet (its delegators' rewards and its commission).
    ValidatorOutstandingRewards {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `validator-distribution-info <validator>`: its operator's account, the rewards of the
    /// self delegation and the commission.
    ValidatorDistributionInfo {
        /// The validator's operator address (depinvaloper1...).
        validator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `withdraw-addr <delegator>`: where a delegator's rewards are paid.
    WithdrawAddr {
        /// The delegator's bech32 address (depin1...).
        delegator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
    /// `delegator-validators <delegator>`: the validators a delegator delegates to.
    DelegatorValidators {
        /// The delegator's bech32 address (depin1...).
        delegator: String,
        #[command(flatten)]
        flags: QueryFlags,
    },
}

const SERVICE: &str = "cosmos.distribution.v1beta1.Query";

/// The ABCI query path of a `cosmos.distribution.v1beta1.Query` method.
pub fn path(method: &str) -> String {
    format!("/{SERVICE}/{method}")
}

fn any<M: Message>(type_url: &str, msg: M) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

/// `address` when it is an account address (`depin1...`).
fn account(address: &str, what: &str) -> Result<String> {
    AddressCodec::new(crate::ADDRESS_PREFIX)
        .decode(address)
        .map_err(|_| {
            anyhow!(
                "{what} {address:?} is not an account address ({}1...)",
                crate::ADDRESS_PREFIX
            )
        })?;
    Ok(address.to_string())
}

/// `address` when it is a validator operator address (`depinvaloper1...`).
fn validator(address: &str) -> Result<String> {
    AddressCodec::new(crate::VALOPER_PREFIX)
        .decode(address)
        .map_err(|_| {
            anyhow!(
                "{address:?} is not a validator operator address ({}1...)",
                crate::VALOPER_PREFIX
            )
        })?;
    Ok(address.to_string())
}

/// `withdraw-rewards`: the MsgWithdrawDelegatorReward of `delegator` at `validator_addr`,
/// followed with `commission` by the validator's MsgWithdrawValidatorCommission, which only
/// its operator may sign.
pub fn withdraw_rewards_msgs(
    delegator: &str,
    validator_addr: &str,
    commission: bool,
) -> Result<Vec<Any>> {
    let delegator_address = account(delegator, "the signer")?;
    let validator_address = validator(validator_addr)?;
    let mut msgs = vec![any(
        MSG_WITHDRAW_DELEGATOR_REWARD,
        pb::MsgWithdrawDelegatorReward {
            delegator_address: delegator_address.clone(),
            validator_address: validator_address.clone(),
        },
    )];
    if commission {
        let own = valoper_of(&delegator_address)?;
        if own != validator_address {
            bail!(
                "--commission: {delegator_address} does not operate {validator_address} (its \
                 validator would be {own}); sign with the operator's key or drop --commission"
            );
        }
        msgs.push(any(
            MSG_WITHDRAW_VALIDATOR_COMMISSION,
            pb::MsgWithdrawValidatorCommission { validator_address },
        ));
    }
    Ok(msgs)
}

/// `withdraw-all-rewards`: one MsgWithdrawDelegatorReward per validator `delegator` delegates
/// to, as the node's DelegatorValidators answers through `ask(path, request)`.
pub fn withdraw_all_rewards_msgs(
    delegator: &str,
    ask: impl FnOnce(&str, Vec<u8>) -> Result<Vec<u8>>,
) -> Result<Vec<Any>> {
    let delegator_address = account(delegator, "the signer")?;
    let request = pb::QueryDelegatorValidatorsRequest {
        delegator_address: delegator_address.clone(),
    };
    let answer = ask(&path("DelegatorValidators"), request.encode_to_vec())?;
    let validators = pb::QueryDelegatorValidatorsResponse::decode(answer.as_slice())
        .map_err(|e| anyhow!("the node's answer to DelegatorValidators does not decode: {e}"))?
        .validators;
    if validators.is_empty() {
        bail!("{delegator_address} has no delegations: there are no rewards to withdraw");
    }
    Ok(validators
        .into_iter()
        .map(|validator_address| {
            any(
                MSG_WITHDRAW_DELEGATOR_REWARD,
                pb::MsgWithdrawDelegatorReward {
                    delegator_address: delegator_address.clone(),
                    validator_address,
                },
            )
        })
        .collect())
}

/// `set-withdraw-addr`: the MsgSetWithdrawAddress of `delegator`.
pub fn set_withdraw_addr_msg(delegator: &str, withdraw_address: &str) -> Result<Any> {
    Ok(any(
        MSG_SET_WITHDRAW_ADDRESS,
        pb::MsgSetWithdrawAddress {
            delegator_address: account(delegator, "the signer")?,
            withdraw_address: account(withdraw_address, "the withdraw address")?,
        },
    ))
}

/// `fund-community-pool`: the MsgFundCommunityPool of `depositor` giving `amount`
/// ("1000udepin,5uatom").
pub fn fund_community_pool_msg(depositor: &str, amount: &str) -> Result<Any> {
    let coins =
        depin_app::coins::parse(amount).map_err(|e| anyhow!("{amount:?}: {}", e.message))?;
    if coins.is_empty() {
        bail!(
            "fund-community-pool needs at least one coin, e.g. 1000{}",
            crate::DENOM
        );
    }
    Ok(any(
        MSG_FUND_COMMUNITY_POOL,
        pb::MsgFundCommunityPool {
            amount: depin_app::coins::to_proto(&coins),
            depositor: account(depositor, "the signer")?,
        },
    ))
}

pub fn run_tx(ctx: &Context, cmd: DistributionTx) -> Result<()> {
    let signer = match &cmd {
        DistributionTx::WithdrawRewards { signer, .. }
        | DistributionTx::WithdrawAllRewards { signer }
        | DistributionTx::SetWithdrawAddr { signer, .. }
        | DistributionTx::FundCommunityPool { signer, .. } => signer.clone(),
    };
    let key = load_key(ctx, &signer.from, &signer.flags.keyring_backend)?;
    let msgs = match cmd {
        DistributionTx::WithdrawRewards {
            validator,
            commission,
            ..
        } => withdraw_rewards_msgs(&key.address, &validator, commission)?,
        DistributionTx::WithdrawAllRewards { .. } => {
            let client = super::client::NodeClient::new(&signer.flags.node)?;
            withdraw_all_rewards_msgs(&key.address, |path, request| client.query(path, request, 0))?
        }
        DistributionTx::SetWithdrawAddr { address, .. } => {
            vec![set_withdraw_addr_msg(&key.address, &address)?]
        }
        DistributionTx::FundCommunityPool { amount, .. } => {
            vec![fund_community_pool_msg(&key.address, &amount)?]
        }
    };
    broadcast(ctx, &key, msgs, &signer.flags)
}

impl DistributionQuery {
    fn flags(&self) -> &QueryFlags {
        match self {
            DistributionQuery::Params { flags }
            | DistributionQuery::Rewards { flags, .. }
            | DistributionQuery::Commission { flags, .. }
            | DistributionQuery::CommunityPool { flags }
            | DistributionQuery::Slashes { flags, .. }
            | DistributionQuery::ValidatorOutstandingRewards { flags, .. }
            | DistributionQuery::ValidatorDistributionInfo { flags, .. }
            | DistributionQuery::WithdrawAddr { flags, .. }
            | DistributionQuery::DelegatorValidators { flags, .. } => flags,
        }
    }

    /// The method this command asks and its encoded request (addresses checked first, so a
    /// typo is reported here rather than by the node).
    pub fn request(&self) -> Result<(&'static str, Vec<u8>)> {
        Ok(match self {
            DistributionQuery::Params { .. } => {
                ("Params", pb::QueryParamsRequest {}.encode_to_vec())
            }
            DistributionQuery::Rewards {
                delegator,
                validator: None,
                ..
            } => (
                "DelegationTotalRewards",
                pb::QueryDelegationTotalRewardsRequest {
                    delegator_address: account(delegator, "the delegator")?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::Rewards {
                delegator,
                validator: Some(v),
                ..
            } => (
                "DelegationRewards",
                pb::QueryDelegationRewardsRequest {
                    delegator_address: account(delegator, "the delegator")?,
                    validator_address: validator(v)?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::Commission { validator: v, .. } => (
                "ValidatorCommission",
                pb::QueryValidatorCommissionRequest {
                    validator_address: validator(v)?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::CommunityPool { .. } => (
                "CommunityPool",
                pb::QueryCommunityPoolRequest {}.encode_to_vec(),
            ),
            DistributionQuery::Slashes {
                validator: v,
                start_height,
                end_height,
                limit,
                ..
            } => {
                if *end_height != 0 && start_height > end_height {
                    bail!("--start-height {start_height} is after --end-height {end_height}");
                }
                (
                    "ValidatorSlashes",
                    pb::QueryValidatorSlashesRequest {
                        validator_address: validator(v)?,
                        starting_height: *start_height,
                        ending_height: *end_height,
                        pagination: page(*limit),
                    }
                    .encode_to_vec(),
                )
            }
            DistributionQuery::ValidatorOutstandingRewards { validator: v, .. } => (
                "ValidatorOutstandingRewards",
                pb::QueryValidatorOutstandingRewardsRequest {
                    validator_address: validator(v)?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::ValidatorDistributionInfo { validator: v, .. } => (
                "ValidatorDistributionInfo",
                pb::QueryValidatorDistributionInfoRequest {
                    validator_address: validator(v)?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::WithdrawAddr { delegator, .. } => (
                "DelegatorWithdrawAddress",
                pb::QueryDelegatorWithdrawAddressRequest {
                    delegator_address: account(delegator, "the delegator")?,
                }
                .encode_to_vec(),
            ),
            DistributionQuery::DelegatorValidators { delegator, .. } => (
                "DelegatorValidators",
                pb::QueryDelegatorValidatorsRequest {
                    delegator_address: account(delegator, "the delegator")?,
                }
                .encode_to_vec(),
            ),
        })
    }
}

/// The node's answer to `method` as the REST gateway writes it.
pub fn answer_json(method: &str, answer: &[u8]) -> Result<Value> {
    depin_app::rest::message_json(&format!("{SERVICE}{method}Response"), answer)
        .map_err(|e| anyhow!("the node's answer to {method}: {e}"))
}

pub fn run_query(cmd: DistributionQuery) -> Result<Value> {
    let (method, request) = cmd.request()?;
    let flags = cmd.flags();
    let client = super::client::NodeClient::new(&flags.node)?;
    let answer = client.query(&path(method), request, flags.height)?;
    answer_json(method, &answer)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cmd::{Cli, Command};

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("depind").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn address(byte: u8) -> String {
        AddressCodec::new(crate::ADDRESS_PREFIX).encode(&[byte; 20])
    }

    fn operator(byte: u8) -> String {
        AddressCodec::new(crate::VALOPER_PREFIX).encode(&[byte; 20])
    }

    #[test]
    fn distribution_tx_commands_parse() {
        let cli = parse(&[
            "tx",
            "distribution",
            "withdraw-rewards",
            "depinvaloper1xyz",
            "--commission",
            "--from",
            "val",
            "--keyring-backend",
            "test",
            "--gas",
            "auto",
        ]);
        let Command::Tx(super::super::tx::TxCmd::Distribution(DistributionTx::WithdrawRewards {
            validator,
            commission,
            signer,
        })) = cli.command
        else {
            panic!("not tx distribution withdraw-rewards");
        };
        assert_eq!(validator, "depinvaloper1xyz");
        assert!(commission);
        assert_eq!(signer.from, "val");
        assert_eq!(signer.flags.gas, "auto");
        let cli = parse(&[
            "tx",
            "distribution",
            "withdraw-rewards",
            "depinvaloper1xyz",
            "--from",
            "alice",
        ]);
        assert!(matches!(
            cli.command,
            Command::Tx(super::super::tx::TxCmd::Distribution(
                DistributionTx::WithdrawRewards {
                    commission: false,
                    ..
                }
            ))
        ));
        parse(&[
            "tx",
            "distribution",
            "withdraw-all-rewards",
            "--from",
            "alice",
        ]);
        parse(&[
            "tx",
            "distribution",
            "set-withdraw-addr",
            "depin1xyz",
            "--from",
            "alice",
        ]);
        parse(&[
            "tx",
            "distribution",
            "fund-community-pool",
            "100udepin",
            "--from",
            "alice",
            "--fees",
            "5000udepin",
        ]);
        // The validator is required; --from too.
        assert!(Cli::try_parse_from([
            "depind",
            "tx",
            "distribution",
            "withdraw-rewards",
            "--from",
            "a"
        ])
        .is_err());
        assert!(
            Cli::try_parse_from(["depind", "tx", "distribution", "withdraw-all-rewards"]).is_err()
        );
    }

    #[test]
    fn distribution_query_commands_parse() {
        for q in [
            vec!["query", "distribution", "params"],
            vec!["query", "distribution", "rewards", "depin1xyz"],
            vec![
                "query",
                "distribution",
                "rewards",
                "depin1xyz",
                "depinvaloper1xyz",
            ],
            vec!["query", "distribution", "commission", "depinvaloper1xyz"],
            vec!["query", "distribution", "community-pool", "--height", "7"],
            vec![
                "query",
                "distribution",
                "slashes",
                "depinvaloper1xyz",
                "--start-height",
                "3",
                "--end-height",
                "9",
                "--limit",
                "5",
            ],
            vec![
                "query",
                "distribution",
                "validator-outstanding-rewards",
                "depinvaloper1xyz",
            ],
            vec![
                "query",
                "distribution",
                "validator-distribution-info",
                "depinvaloper1xyz",
            ],
            vec!["query", "distribution", "withdraw-addr", "depin1xyz"],
            vec!["q", "distribution", "delegator-validators", "depin1xyz"],
        ] {
            parse(&q);
        }
        let cli = parse(&[
            "q",
            "distribution",
            "slashes",
            "depinvaloper1xyz",
            "--start-height",
            "3",
        ]);
        let Command::Query(super::super::query::QueryCmd::Distribution(
            DistributionQuery::Slashes {
                start_height,
                end_height,
                limit,
                ..
            },
        )) = cli.command
        else {
            panic!("not query distribution slashes");
        };
        assert_eq!((start_height, end_height, limit), (3, 0, 100));
    }

    #[test]
    fn queries_ask_the_sdk_methods() {
        let flags = QueryFlags {
            node: "tcp://127.0.0.1:1".into(),
            height: 0,
        };
        let q = DistributionQuery::Rewards {
            delegator: address(1),
            validator: None,
            flags: flags.clone(),
        };
        assert_eq!(q.request().unwrap().0, "DelegationTotalRewards");
        let q = DistributionQuery::Rewards {
            delegator: address(1),
            validator: Some(operator(2)),
            flags: flags.clone(),
        };
        let (method, bytes) = q.request().unwrap();
        assert_eq!(method, "DelegationRewards");
        let req = pb::QueryDelegationRewardsRequest::decode(bytes.as_slice()).unwrap();
        assert_eq!(req.validator_address, operator(2));
        let q = DistributionQuery::WithdrawAddr {
            delegator: address(1),
            flags: flags.clone(),
        };
        assert_eq!(q.request().unwrap().0, "DelegatorWithdrawAddress");
        // A validator where an account belongs (and the reverse) is refused before asking.
        let q = DistributionQuery::Commission {
            validator: address(1),
            flags: flags.clone(),
        };
        let err = q.request().unwrap_err().to_string();
        assert!(err.contains("depinvaloper1"), "{err}");
        let q = DistributionQuery::WithdrawAddr {
            delegator: operator(1),
            flags: flags.clone(),
        };
        assert!(q.request().is_err());
        let q = DistributionQuery::Slashes {
            validator: operator(1),
            start_height: 9,
            end_height: 3,
            limit: 10,
            flags,
        };
        assert!(q.request().is_err());
        assert_eq!(
            path("CommunityPool"),
            "/cosmos.distribution.v1beta1.Query/CommunityPool"
        );
    }

    #[test]
    fn messages_are_the_sdk_ones() {
        let delegator = address(1);
        let own = valoper_of(&delegator).unwrap();
        let msgs = withdraw_rewards_msgs(&delegator, &own, true).unwrap();
        let urls: Vec<_> = msgs.iter().map(|m| m.type_url.as_str()).collect();
        assert_eq!(
            urls,
            [
                MSG_WITHDRAW_DELEGATOR_REWARD,
                MSG_WITHDRAW_VALIDATOR_COMMISSION
            ]
        );
        let c = pb::MsgWithdrawValidatorCommission::decode(msgs[1].value.as_slice()).unwrap();
        assert_eq!(c.validator_address, own);
        // Another validator's commission is not the signer's to withdraw.
        let err = withdraw_rewards_msgs(&delegator, &operator(2), true).unwrap_err();
        assert!(err.to_string().contains("does not operate"), "{err}");
        assert_eq!(
            withdraw_rewards_msgs(&delegator, &operator(2), false)
                .unwrap()
                .len(),
            1
        );

        let msgs = withdraw_all_rewards_msgs(&delegator, |path, request| {
            assert_eq!(
                path,
                "/cosmos.distribution.v1beta1.Query/DelegatorValidators"
            );
            let req = pb::QueryDelegatorValidatorsRequest::decode(request.as_slice()).unwrap();
            assert_eq!(req.delegator_address, address(1));
            Ok(pb::QueryDelegatorValidatorsResponse {
                validators: vec![operator(2), operator(3)],
            }
            .encode_to_vec())
        })
        .unwrap();
        let validators: Vec<_> = msgs
            .iter()
            .map(|m| {
                pb::MsgWithdrawDelegatorReward::decode(m.value.as_slice())
                    .unwrap()
                    .validator_address
            })
            .collect();
        assert_eq!(validators, [operator(2), operator(3)]);
        let none = withdraw_all_rewards_msgs(&delegator, |_, _| {
            Ok(pb::QueryDelegatorValidatorsResponse::default().encode_to_vec())
        });
        assert!(none.unwrap_err().to_string().contains("no delegations"));

        let m = set_withdraw_addr_msg(&delegator, &address(4)).unwrap();
        assert_eq!(m.type_url, MSG_SET_WITHDRAW_ADDRESS);
        assert!(set_withdraw_addr_msg(&delegator, "nonsense").is_err());

        let m = fund_community_pool_msg(&delegator, "250udepin").unwrap();
        let f = pb::MsgFundCommunityPool::decode(m.value.as_slice()).unwrap();
        assert_eq!(
            (f.amount[0].denom.as_str(), f.amount[0].amount.as_str()),
            ("udepin", "250")
        );
        assert_eq!(f.depositor, delegator);
        assert!(fund_community_pool_msg(&delegator, "").is_err());
        assert!(fund_community_pool_msg(&delegator, "12").is_err());
    }

    #[test]
    fn decimal_coins_print_with_18_places() {
        let answer = pb::QueryCommunityPoolResponse {
            pool: vec![cosmrs::proto::cosmos::base::v1beta1::DecCoin {
                denom: "udepin".into(),
                // 12.5udepin in 10^-18 units.
                amount: "12500000000000000000".into(),
            }],
        };
        let json = answer_json("CommunityPool", &answer.encode_to_vec()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "pool": [{ "denom": "udepin", "amount": "12.500000000000000000" }] })
        );
        let params = depin_distribution::params::Params::default().to_proto();
        let json = answer_json(
            "Params",
            &pb::QueryParamsResponse {
                params: Some(params),
            }
            .encode_to_vec(),
        )
        .unwrap();
        assert_eq!(
            json["params"]["community_tax"],
            serde_json::json!("0.020000000000000000")
        );
        assert_eq!(
            json["params"]["base_proposer_reward"],
            serde_json::json!("0.000000000000000000")
        );
        assert_eq!(
            json["params"]["withdraw_addr_enabled"],
            serde_json::json!(true)
        );
    }
}
