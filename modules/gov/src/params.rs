//! Governance params (`cosmos.gov.v1.Params`, Cosmos SDK v0.50), changed only by
//! `MsgUpdateParams` from the governance authority. Periods are kept in nanoseconds; decimals
//! travel in protobuf as 18-place decimal text ("0.334000000000000000"), as the SDK's gov v1
//! writes them.

use std::str::FromStr;

use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmwasm_std::{Decimal256, Uint128};
use depin_app::coins::{self, Coin};
use depin_app::error::AppResult;
use depin_staking::dec;
use serde::{Deserialize, Serialize};
use tendermint_proto::google::protobuf::Duration;

use crate::error::GovError;

const NANOS: u64 = 1_000_000_000;
const DAY: u64 = 86_400 * NANOS;
/// The longest period governance accepts (so that no time overflows).
pub const MAX_PERIOD_NS: u64 = 366 * DAY;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// What a proposal's deposits must reach (every denom) to enter its voting period.
    pub min_deposit: Vec<Coin>,
    /// How long a proposal may wait for its minimum deposit before it is dropped.
    pub max_deposit_period_ns: u64,
    pub voting_period_ns: u64,
    /// The share of bonded stake that must vote.
    #[serde(with = "dec::json")]
    pub quorum: Decimal256,
    /// The share of non-abstaining votes that must be yes.
    #[serde(with = "dec::json")]
    pub threshold: Decimal256,
    /// The share of votes (abstain included) that vetoes a proposal above it.
    #[serde(with = "dec::json")]
    pub veto_threshold: Decimal256,
    /// The share of `min_deposit` a proposer must deposit when submitting.
    #[serde(with = "dec::json")]
    pub min_initial_deposit_ratio: Decimal256,
    /// The share of every deposit that is not refunded when a proposer cancels.
    #[serde(with = "dec::json")]
    pub proposal_cancel_ratio: Decimal256,
    /// Where the cancelled share goes: empty burns it; the community pool's account funds the
    /// community pool; any other account receives it.
    pub proposal_cancel_dest: String,
    pub expedited_voting_period_ns: u64,
    #[serde(with = "dec::json")]
    pub expedited_threshold: Decimal256,
    pub expedited_min_deposit: Vec<Coin>,
    /// Burn the deposits of a proposal that did not reach quorum.
    pub burn_vote_quorum: bool,
    /// Burn the deposits of a proposal dropped in its deposit period.
    pub burn_proposal_deposit_prevote: bool,
    /// Burn the deposits of a vetoed proposal.
    pub burn_vote_veto: bool,
    /// The smallest single deposit, as a share of `min_deposit` (in at least one denom).
    #[serde(with = "dec::json")]
    pub min_deposit_ratio: Decimal256,
}

impl Default for Params {
    /// The Cosmos SDK v0.50 defaults in the chain's staking denom, except `burn_vote_quorum`:
    /// a proposal nobody cared to vote on costs its deposit, so spam does not pay.
    fn default() -> Self {
        Params {
            min_deposit: vec![Coin::new(10_000_000, "udepin")],
            max_deposit_period_ns: 2 * DAY,
            voting_period_ns: 2 * DAY,
            quorum: Decimal256::permille(334),
            threshold: Decimal256::percent(50),
            veto_threshold: Decimal256::permille(334),
            min_initial_deposit_ratio: Decimal256::zero(),
            proposal_cancel_ratio: Decimal256::percent(50),
            proposal_cancel_dest: String::new(),
            expedited_voting_period_ns: DAY,
            expedited_threshold: Decimal256::permille(667),
            expedited_min_deposit: vec![Coin::new(50_000_000, "udepin")],
            burn_vote_quorum: true,
            burn_proposal_deposit_prevote: false,
            burn_vote_veto: true,
            min_deposit_ratio: Decimal256::percent(1),
        }
    }
}

fn invalid(msg: impl Into<String>) -> GovError {
    GovError::InvalidParams(msg.into())
}

fn positive_coins(what: &str, c: &[Coin]) -> AppResult<()> {
    if c.is_empty() {
        return Err(invalid(format!("{what} must not be empty")).into());
    }
    coins::validate(c).map_err(|e| invalid(format!("{what}: {}", e.message)))?;
    if c.iter().any(|c| c.amount.is_zero()) {
        return Err(invalid(format!("{what} must be positive")).into());
    }
    Ok(())
}

impl Params {
    pub fn validate(&self) -> AppResult<()> {
        positive_coins("min_deposit", &self.min_deposit)?;
        positive_coins("expedited_min_deposit", &self.expedited_min_deposit)?;
        // The expedited deposit must be above the regular one in every denom of the regular.
        for c in &self.min_deposit {
            let e = amount_of(&self.expedited_min_deposit, &c.denom);
            if e <= c.amount {
                return Err(invalid(format!(
                    "expedited_min_deposit must be greater than min_deposit in {}: {} <= {}",
                    c.denom, e, c.amount
                ))
                .into());
            }
        }
        for (what, ns) in [
            ("max_deposit_period", self.max_deposit_period_ns),
            ("voting_period", self.voting_period_ns),
            ("expedited_voting_period", self.expedited_voting_period_ns),
        ] {
            if ns > MAX_PERIOD_NS {
                return Err(invalid(format!("{what} must be at most a year")).into());
            }
        }
        if self.max_deposit_period_ns == 0 {
            return Err(invalid("max_deposit_period must be positive").into());
        }
        if self.voting_period_ns == 0 || self.expedited_voting_period_ns == 0 {
            return Err(invalid("voting periods must be positive").into());
        }
        if self.expedited_voting_period_ns >= self.voting_period_ns {
            return Err(
                invalid("expedited_voting_period must be shorter than voting_period").into(),
            );
        }
        let positive_fraction = |what: &str, d: Decimal256| -> AppResult<()> {
            if d.is_zero() || d > Decimal256::one() {
                return Err(
                    invalid(format!("{what} must be in (0, 1], not {}", dec::fmt(d))).into(),
                );
            }
            Ok(())
        };
        positive_fraction("quorum", self.quorum)?;
        positive_fraction("threshold", self.threshold)?;
        positive_fraction("veto_threshold", self.veto_threshold)?;
        positive_fraction("expedited_threshold", self.expedited_threshold)?;
        if self.expedited_threshold <= self.threshold {
            return Err(invalid("expedited_threshold must be greater than threshold").into());
        }
        for (what, d) in [
            ("min_initial_deposit_ratio", self.min_initial_deposit_ratio),
            ("proposal_cancel_ratio", self.proposal_cancel_ratio),
            ("min_deposit_ratio", self.min_deposit_ratio),
        ] {
            if d > Decimal256::one() {
                return Err(
                    invalid(format!("{what} must be in [0, 1], not {}", dec::fmt(d))).into(),
                );
            }
        }
        Ok(())
    }

    /// The deposit a proposal needs to enter voting.
    pub fn min_deposit_for(&self, expedited: bool) -> &[Coin] {
        if expedited {
            &self.expedited_min_deposit
        } else {
            &self.min_deposit
        }
    }

    pub fn voting_period_for(&self, expedited: bool) -> u64 {
        if expedited {
            self.expedited_voting_period_ns
        } else {
            self.voting_period_ns
        }
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_deposit: coins::to_proto(&self.min_deposit),
            max_deposit_period: Some(duration(self.max_deposit_period_ns)),
            voting_period: Some(duration(self.voting_period_ns)),
            quorum: dec::fmt(self.quorum),
            threshold: dec::fmt(self.threshold),
            veto_threshold: dec::fmt(self.veto_threshold),
            min_initial_deposit_ratio: dec::fmt(self.min_initial_deposit_ratio),
            proposal_cancel_ratio: dec::fmt(self.proposal_cancel_ratio),
            proposal_cancel_dest: self.proposal_cancel_dest.clone(),
            expedited_voting_period: Some(duration(self.expedited_voting_period_ns)),
            expedited_threshold: dec::fmt(self.expedited_threshold),
            expedited_min_deposit: coins::to_proto(&self.expedited_min_deposit),
            burn_vote_quorum: self.burn_vote_quorum,
            burn_proposal_deposit_prevote: self.burn_proposal_deposit_prevote,
            burn_vote_veto: self.burn_vote_veto,
            min_deposit_ratio: dec::fmt(self.min_deposit_ratio),
        }
    }

    /// Reads and validates params from a message.
    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        let d = |what: &str, s: &str| -> AppResult<Decimal256> { decimal(what, s) };
        let params = Params {
            min_deposit: coins::from_proto(&p.min_deposit)?,
            max_deposit_period_ns: from_duration("max_deposit_period", p.max_deposit_period)?,
            voting_period_ns: from_duration("voting_period", p.voting_period)?,
            quorum: d("quorum", &p.quorum)?,
            threshold: d("threshold", &p.threshold)?,
            veto_threshold: d("veto_threshold", &p.veto_threshold)?,
            min_initial_deposit_ratio: d(
                "min_initial_deposit_ratio",
                &p.min_initial_deposit_ratio,
            )?,
            proposal_cancel_ratio: d("proposal_cancel_ratio", &p.proposal_cancel_ratio)?,
            proposal_cancel_dest: p.proposal_cancel_dest.clone(),
            expedited_voting_period_ns: from_duration(
                "expedited_voting_period",
                p.expedited_voting_period,
            )?,
            expedited_threshold: d("expedited_threshold", &p.expedited_threshold)?,
            expedited_min_deposit: coins::from_proto(&p.expedited_min_deposit)?,
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            min_deposit_ratio: d("min_deposit_ratio", &p.min_deposit_ratio)?,
        };
        params.validate()?;
        Ok(params)
    }
}

/// A decimal in gov v1's text form; an empty string is zero (an unset field).
pub fn decimal(what: &str, s: &str) -> AppResult<Decimal256> {
    if s.is_empty() {
        return Ok(Decimal256::zero());
    }
    Decimal256::from_str(s)
        .map_err(|e| invalid(format!("{what} {s:?} is not a decimal: {e}")).into())
}

/// The amount of `denom` in `coins` (zero when absent).
pub fn amount_of(coins: &[Coin], denom: &str) -> Uint128 {
    coins
        .iter()
        .find(|c| c.denom == denom)
        .map_or(Uint128::zero(), |c| c.amount)
}

pub fn duration(ns: u64) -> Duration {
    Duration {
        seconds: (ns / NANOS) as i64,
        nanos: (ns % NANOS) as i32,
    }
}

fn from_duration(what: &str, d: Option<Duration>) -> AppResult<u64> {
    let d = d.ok_or_else(|| invalid(format!("{what} is missing")))?;
    if d.seconds < 0 || !(0..1_000_000_000).contains(&d.nanos) {
        return Err(invalid(format!("{what} must be a positive duration")).into());
    }
    (d.seconds as u64)
        .checked_mul(NANOS)
        .and_then(|s| s.checked_add(d.nanos as u64))
        .ok_or_else(|| invalid(format!("{what} is too long")).into())
}
