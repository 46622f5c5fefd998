//! The tally of a proposal at the end of its voting period, with the semantics of the Cosmos SDK
//! v0.50 `x/gov` keeper (`Keeper.Tally`), as a pure function over plain inputs.
//!
//! Every quantity is an 18-place decimal (`Decimal256`, the SDK's `LegacyDec`), and every
//! operation rounds exactly as `LegacyDec` does, so that a chain running this code reaches the
//! same decision as a Go chain on the same state:
//!
//! * addition and subtraction are exact;
//! * `mul_int(d, n)` (a decimal times a whole number) is exact;
//! * `mul(a, b)` rounds the exact product to 18 places, half to even;
//! * `quo(a, b)` truncates `a / b` to 36 places, then rounds that to 18 places, half to even.
//!
//! The formulas are specified in the crate README, section "Tally". All arithmetic is checked: an
//! overflow or an inconsistent input is a [`TallyError`], never a panic. Inputs are read through
//! `BTreeMap`s, so the result does not depend on the order they are given in.

use std::collections::{btree_map::Entry, BTreeMap};

use cosmwasm_std::{Decimal256, Uint128, Uint256, Uint512};

/// 10^18: the atomics of 1.
const ONE: u128 = 1_000_000_000_000_000_000;

/// A vote option, numbered as `cosmos.gov.v1.VoteOption` (0, `UNSPECIFIED`, is never valid in
/// a vote).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteOption {
    Yes = 1,
    Abstain = 2,
    No = 3,
    NoWithVeto = 4,
}

/// One option of a (possibly weighted) vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedVoteOption {
    pub option: VoteOption,
    /// In (0, 1]; the weights of one vote sum to exactly 1.
    pub weight: Decimal256,
}

impl WeightedVoteOption {
    /// The whole vote on one option (weight 1).
    pub fn full(option: VoteOption) -> Self {
        Self {
            option,
            weight: Decimal256::one(),
        }
    }
}

/// A vote cast on the proposal. Addresses are raw bytes: a validator's own vote is the vote of
/// the account whose bytes are its operator address's bytes, as in the SDK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub voter: Vec<u8>,
    pub options: Vec<WeightedVoteOption>,
}

/// A validator in the bonded set when the voting period ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BondedValidator {
    /// Operator address bytes (the same bytes as the operator's account address).
    pub operator: Vec<u8>,
    /// Bonded tokens.
    pub tokens: Uint128,
    /// Total shares issued to its delegators.
    pub delegator_shares: Decimal256,
}

/// A delegation. Delegations to validators outside the bonded set are ignored; delegations of
/// accounts that did not vote may be given or left out, they change nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub delegator: Vec<u8>,
    pub validator: Vec<u8>,
    pub shares: Decimal256,
}

/// The tally parameters (`cosmos.gov.v1.Params`). For an expedited proposal the caller passes
/// `expedited_threshold` as `threshold`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyParams {
    /// Minimum fraction of the total bonded tokens that must vote.
    pub quorum: Decimal256,
    /// Fraction of the non-abstaining voting power that `YES` must exceed.
    pub threshold: Decimal256,
    /// Fraction of the voting power that `NO_WITH_VETO` must exceed to veto.
    pub veto_threshold: Decimal256,
    /// Burn the deposits when quorum is not reached (SDK default: false).
    pub burn_vote_quorum: bool,
    /// Burn the deposits when the proposal is vetoed (SDK default: true).
    pub burn_vote_veto: bool,
}

/// The rule that decided the outcome, in the order the rules are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TallyRule {
    /// No bonded tokens at all: fails, deposits kept.
    NoBondedTokens,
    /// voting power / total bonded < quorum: fails, deposits burned iff `burn_vote_quorum`.
    QuorumNotReached,
    /// All the voting power abstained (or there is none): fails, deposits kept.
    AllAbstain,
    /// no_with_veto / voting power > veto_threshold: fails, deposits burned iff
    /// `burn_vote_veto`.
    Vetoed,
    /// yes / (voting power − abstain) > threshold: passes.
    Passed,
    /// yes / (voting power − abstain) ≤ threshold: fails, deposits kept.
    ThresholdNotReached,
}

/// Whole tokens per option, truncated, as the SDK's `TallyResult` strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TallyResult {
    pub yes: Uint128,
    pub abstain: Uint128,
    pub no: Uint128,
    pub no_with_veto: Uint128,
}

/// The exact (18-place) voting power per option, before truncation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TallyPowers {
    pub yes: Decimal256,
    pub abstain: Decimal256,
    pub no: Decimal256,
    pub no_with_veto: Decimal256,
    /// The voting power that voted (directly or inherited), the sum of the four above up to
    /// the rounding of weighted votes.
    pub total: Decimal256,
}

/// What the tally decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyOutcome {
    pub passes: bool,
    pub burn_deposits: bool,
    pub rule: TallyRule,
    pub result: TallyResult,
    pub powers: TallyPowers,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    #[error("invalid vote of {voter}: {reason}")]
    InvalidVote { voter: String, reason: String },
    #[error("two votes of {0}: an account votes once per proposal (a new vote replaces the old)")]
    DuplicateVote(String),
    #[error("validator {0} is listed twice in the bonded set")]
    DuplicateValidator(String),
    #[error("two delegations of {delegator} to {validator}: there is one per pair")]
    DuplicateDelegation {
        delegator: String,
        validator: String,
    },
    #[error("bonded validator {0} has voting delegations but no delegator shares")]
    ZeroDelegatorShares(String),
    #[error(
        "the voting delegations to validator {0} hold more shares than the validator has issued"
    )]
    SharesExceedValidator(String),
    #[error("arithmetic overflow in the tally")]
    Overflow,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- LegacyDec arithmetic on atomics -------------------------------------------------------

/// Drops 18 decimal places of `x`, rounding half to even (the SDK's `chopPrecisionAndRound`).
fn chop_round(x: Uint512) -> Result<Uint256, TallyError> {
    let one = Uint512::from(ONE);
    let half = Uint512::from(ONE / 2);
    let q = x / one;
    let r = x % one;
    let round_up = r > half || (r == half && (q % Uint512::from(2u8)) == Uint512::one());
    let q = if round_up {
        q.checked_add(Uint512::one())
            .map_err(|_| TallyError::Overflow)?
    } else {
        q
    };
    Uint256::try_from(q).map_err(|_| TallyError::Overflow)
}

/// `a × b`, rounded half to even.
fn mul(a: Decimal256, b: Decimal256) -> Result<Decimal256, TallyError> {
    let p = Uint512::from(a.atomics())
        .checked_mul(Uint512::from(b.atomics()))
        .map_err(|_| TallyError::Overflow)?;
    chop_round(p).map(Decimal256::new)
}

/// `n / d` where `n` is given by its atomics in 512 bits (the exact result of a `mul_int`):
/// truncated to 36 places, then rounded half to even to 18. `None` when `d` is zero.
fn quo_wide(n: Uint512, d: Decimal256) -> Result<Option<Decimal256>, TallyError> {
    if d.is_zero() {
        return Ok(None);
    }
    let scaled = n
        .checked_mul(Uint512::from(ONE))
        .and_then(|v| v.checked_mul(Uint512::from(ONE)))
        .map_err(|_| TallyError::Overflow)?;
    let t = scaled / Uint512::from(d.atomics());
    chop_round(t).map(|v| Some(Decimal256::new(v)))
}

/// `a / b` as `LegacyDec.Quo`; `None` when `b` is zero.
fn quo(a: Decimal256, b: Decimal256) -> Result<Option<Decimal256>, TallyError> {
    quo_wide(Uint512::from(a.atomics()), b)
}

/// The voting power of `shares` of a validator: `shares.MulInt(tokens).Quo(delegator_shares)`.
fn power_of(shares: Decimal256, val: &ValState<'_>) -> Result<Decimal256, TallyError> {
    let n = Uint512::from(shares.atomics())
        .checked_mul(Uint512::from(val.tokens.u128()))
        .map_err(|_| TallyError::Overflow)?;
    quo_wide(n, val.delegator_shares)?
        .ok_or_else(|| TallyError::ZeroDelegatorShares(hex(val.operator)))
}

fn add(a: Decimal256, b: Decimal256) -> Result<Decimal256, TallyError> {
    a.checked_add(b).map_err(|_| TallyError::Overflow)
}

fn truncate(d: Decimal256) -> Result<Uint128, TallyError> {
    Uint128::try_from(d.to_uint_floor()).map_err(|_| TallyError::Overflow)
}

// ---- the tally ------------------------------------------------------------------------------

struct ValState<'a> {
    operator: &'a [u8],
    tokens: Uint128,
    delegator_shares: Decimal256,
    /// Shares of the delegators that voted themselves.
    deductions: Decimal256,
    vote: Option<&'a [WeightedVoteOption]>,
}

#[derive(Default)]
struct Acc {
    yes: Decimal256,
    abstain: Decimal256,
    no: Decimal256,
    no_with_veto: Decimal256,
    total: Decimal256,
}

impl Acc {
    /// Counts `power` with the vote `options`: each option receives `power × weight`
    /// (rounded), the total receives `power`.
    fn count(
        &mut self,
        power: Decimal256,
        options: &[WeightedVoteOption],
    ) -> Result<(), TallyError> {
        for o in options {
            let sub = mul(power, o.weight)?;
            let slot = match o.option {
                VoteOption::Yes => &mut self.yes,
                VoteOption::Abstain => &mut self.abstain,
                VoteOption::No => &mut self.no,
                VoteOption::NoWithVeto => &mut self.no_with_veto,
            };
            *slot = add(*slot, sub)?;
        }
        self.total = add(self.total, power)?;
        Ok(())
    }
}

/// Checks a vote as `MsgVoteWeighted` does: at least one option, no option twice, every weight
/// in (0, 1], weights summing to exactly 1.
pub fn validate_options(options: &[WeightedVoteOption]) -> Result<(), String> {
    if options.is_empty() {
        return Err("a vote needs at least one option".into());
    }
    let mut seen = Vec::with_capacity(options.len());
    let mut sum = Decimal256::zero();
    for o in options {
        if seen.contains(&o.option) {
            return Err(format!("option {:?} appears twice", o.option));
        }
        seen.push(o.option);
        if o.weight.is_zero() || o.weight > Decimal256::one() {
            return Err(format!(
                "weight {} of option {:?} is not in (0, 1]",
                o.weight, o.option
            ));
        }
        sum = sum
            .checked_add(o.weight)
            .map_err(|_| "weights overflow".to_string())?;
    }
    if sum != Decimal256::one() {
        return Err(format!("weights sum to {sum}, not exactly 1"));
    }
    Ok(())
}

/// Tallies the votes on a proposal.
///
/// * `validators`: the bonded set when the voting period ends;
/// * `delegations`: at least every delegation of every voter (others are ignored);
/// * `votes`: one per voter; a validator votes through its operator account;
/// * `total_bonded`: the staking module's total bonded tokens (the quorum's denominator).
///
/// See the crate README, section "Tally", for the formulas.
pub fn tally(
    validators: &[BondedValidator],
    delegations: &[Delegation],
    votes: &[Vote],
    total_bonded: Uint128,
    params: &TallyParams,
) -> Result<TallyOutcome, TallyError> {
    // The bonded set, keyed by operator bytes.
    let mut vals: BTreeMap<&[u8], ValState<'_>> = BTreeMap::new();
    for v in validators {
        match vals.entry(v.operator.as_slice()) {
            Entry::Occupied(_) => return Err(TallyError::DuplicateValidator(hex(&v.operator))),
            Entry::Vacant(e) => {
                e.insert(ValState {
                    operator: &v.operator,
                    tokens: v.tokens,
                    delegator_shares: v.delegator_shares,
                    deductions: Decimal256::zero(),
                    vote: None,
                });
            }
        }
    }

    // Delegations, grouped by delegator, then validator.
    let mut dels: BTreeMap<&[u8], BTreeMap<&[u8], Decimal256>> = BTreeMap::new();
    for d in delegations {
        let per = dels.entry(d.delegator.as_slice()).or_default();
        if per.insert(d.validator.as_slice(), d.shares).is_some() {
            return Err(TallyError::DuplicateDelegation {
                delegator: hex(&d.delegator),
                validator: hex(&d.validator),
            });
        }
    }

    // Votes, keyed by voter.
    let mut by_voter: BTreeMap<&[u8], &[WeightedVoteOption]> = BTreeMap::new();
    for v in votes {
        validate_options(&v.options).map_err(|reason| TallyError::InvalidVote {
            voter: hex(&v.voter),
            reason,
        })?;
        if by_voter
            .insert(v.voter.as_slice(), v.options.as_slice())
            .is_some()
        {
            return Err(TallyError::DuplicateVote(hex(&v.voter)));
        }
    }

    let mut acc = Acc::default();

    // Each voter: record a validator's own vote; count the voter's delegations to bonded
    // validators with its vote and deduct their shares from those validators.
    for (&voter, &options) in &by_voter {
        if let Some(val) = vals.get_mut(voter) {
            val.vote = Some(options);
        }
        let Some(per) = dels.get(voter) else { continue };
        for (&validator, &shares) in per {
            let Some(val) = vals.get_mut(validator) else {
                continue;
            };
            val.deductions = add(val.deductions, shares)?;
            let power = power_of(shares, val)?;
            acc.count(power, options)?;
        }
    }

    // Each validator that voted: the shares left after the deductions (its own and those of
    // the delegators that did not vote, who thereby inherit its vote).
    for val in vals.values() {
        let Some(options) = val.vote else { continue };
        let remaining = val
            .delegator_shares
            .checked_sub(val.deductions)
            .map_err(|_| TallyError::SharesExceedValidator(hex(val.operator)))?;
        let power = power_of(remaining, val)?;
        acc.count(power, options)?;
    }

    let result = TallyResult {
        yes: truncate(acc.yes)?,
        abstain: truncate(acc.abstain)?,
        no: truncate(acc.no)?,
        no_with_veto: truncate(acc.no_with_veto)?,
    };
    let powers = TallyPowers {
        yes: acc.yes,
        abstain: acc.abstain,
        no: acc.no,
        no_with_veto: acc.no_with_veto,
        total: acc.total,
    };
    let done = |rule: TallyRule, passes: bool, burn_deposits: bool| TallyOutcome {
        passes,
        burn_deposits,
        rule,
        result,
        powers,
    };

    // 1. No stake at all.
    if total_bonded.is_zero() {
        return Ok(done(TallyRule::NoBondedTokens, false, false));
    }
    let bonded = Decimal256::new(Uint256::from(total_bonded.u128()) * Uint256::from(ONE));

    // 2. Quorum.
    let participation = quo(acc.total, bonded)?.ok_or(TallyError::Overflow)?;
    if participation < params.quorum {
        return Ok(done(
            TallyRule::QuorumNotReached,
            false,
            params.burn_vote_quorum,
        ));
    }

    // 3. Nothing but abstentions. Each abstain share is round(power × weight) with weight ≤ 1,
    //    which never exceeds the power it came from, so the subtraction cannot underflow.
    let active = acc
        .total
        .checked_sub(acc.abstain)
        .map_err(|_| TallyError::Overflow)?;
    if active.is_zero() {
        return Ok(done(TallyRule::AllAbstain, false, false));
    }

    // 4. Veto. The total is non-zero here (else `active` would be zero).
    let veto = quo(acc.no_with_veto, acc.total)?.ok_or(TallyError::Overflow)?;
    if veto > params.veto_threshold {
        return Ok(done(TallyRule::Vetoed, false, params.burn_vote_veto));
    }

    // 5. Threshold.
    let yes = quo(acc.yes, active)?.ok_or(TallyError::Overflow)?;
    if yes > params.threshold {
        return Ok(done(TallyRule::Passed, true, false));
    }
    Ok(done(TallyRule::ThresholdNotReached, false, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn addr(n: u8) -> Vec<u8> {
        vec![n; 20]
    }

    fn val(n: u8, tokens: u128, shares: &str) -> BondedValidator {
        BondedValidator {
            operator: addr(n),
            tokens: Uint128::new(tokens),
            delegator_shares: dec(shares),
        }
    }

    fn del(delegator: u8, validator: u8, shares: &str) -> Delegation {
        Delegation {
            delegator: addr(delegator),
            validator: addr(validator),
            shares: dec(shares),
        }
    }

    fn vote(voter: u8, option: VoteOption) -> Vote {
        Vote {
            voter: addr(voter),
            options: vec![WeightedVoteOption::full(option)],
        }
    }

    fn weighted(voter: u8, opts: &[(VoteOption, &str)]) -> Vote {
        Vote {
            voter: addr(voter),
            options: opts
                .iter()
                .map(|&(option, w)| WeightedVoteOption {
                    option,
                    weight: dec(w),
                })
                .collect(),
        }
    }

    /// The SDK's default parameters: quorum 0.334, threshold 0.5, veto 0.334.
    fn params() -> TallyParams {
        TallyParams {
            quorum: dec("0.334"),
            threshold: dec("0.5"),
            veto_threshold: dec("0.334"),
            burn_vote_quorum: false,
            burn_vote_veto: true,
        }
    }

    fn tokens(n: u128) -> Uint128 {
        Uint128::new(n)
    }

    use VoteOption::*;

    /// Three validators of 100 tokens each, 1 share per token, each fully self-delegated
    /// (operator i delegates to itself).
    fn three() -> (Vec<BondedValidator>, Vec<Delegation>) {
        (
            vec![val(1, 100, "100"), val(2, 100, "100"), val(3, 100, "100")],
            vec![del(1, 1, "100"), del(2, 2, "100"), del(3, 3, "100")],
        )
    }

    #[test]
    fn no_bonded_tokens_fails_without_burn() {
        let out = tally(&[], &[], &[], tokens(0), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::NoBondedTokens);
        assert!(!out.passes && !out.burn_deposits);
    }

    #[test]
    fn quorum_not_reached() {
        let (vals, dels) = three();
        // 100 of 300 voted: 0.333… < 0.334.
        let out = tally(&vals, &dels, &[vote(1, Yes)], tokens(300), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::QuorumNotReached);
        assert!(!out.passes && !out.burn_deposits);
        assert_eq!(out.result.yes, tokens(100));
        let mut p = params();
        p.burn_vote_quorum = true;
        let out = tally(&vals, &dels, &[vote(1, Yes)], tokens(300), &p).unwrap();
        assert!(out.burn_deposits);
        // Quorum exactly reached (not "less than") passes the rule: 1/3 of 300 with
        // quorum 0.333333333333333333 (the rounded ratio equals it).
        p.quorum = dec("0.333333333333333333");
        let out = tally(&vals, &dels, &[vote(1, Yes)], tokens(300), &p).unwrap();
        assert_eq!(out.rule, TallyRule::Passed);
        // One atomic above: not reached.
        p.quorum = dec("0.333333333333333334");
        let out = tally(&vals, &dels, &[vote(1, Yes)], tokens(300), &p).unwrap();
        assert_eq!(out.rule, TallyRule::QuorumNotReached);
    }

    #[test]
    fn all_abstain_fails_without_burn() {
        let (vals, dels) = three();
        let votes = [vote(1, Abstain), vote(2, Abstain)];
        let out = tally(&vals, &dels, &votes, tokens(300), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::AllAbstain);
        assert!(!out.passes && !out.burn_deposits);
        assert_eq!(out.result.abstain, tokens(200));
        // With quorum 0 and no vote at all, the same rule applies.
        let mut p = params();
        p.quorum = Decimal256::zero();
        let out = tally(&vals, &dels, &[], tokens(300), &p).unwrap();
        assert_eq!(out.rule, TallyRule::AllAbstain);
    }

    #[test]
    fn veto_burns_and_beats_a_yes_majority() {
        let vals = vec![val(1, 700, "700"), val(2, 300, "300")];
        let dels = vec![del(1, 1, "700"), del(2, 2, "300")];
        // Veto 0.3 of the power: below 0.334, and yes 0.7 passes.
        let votes = [vote(1, Yes), vote(2, NoWithVeto)];
        let out = tally(&vals, &dels, &votes, tokens(1000), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::Passed);
        // Veto threshold 0.3: equal is not above, still passes; 0.299… vetoes.
        let mut p = params();
        p.veto_threshold = dec("0.3");
        let out = tally(&vals, &dels, &votes, tokens(1000), &p).unwrap();
        assert_eq!(out.rule, TallyRule::Passed);
        p.veto_threshold = dec("0.299999999999999999");
        let out = tally(&vals, &dels, &votes, tokens(1000), &p).unwrap();
        assert_eq!(out.rule, TallyRule::Vetoed);
        assert!(!out.passes && out.burn_deposits);
        p.burn_vote_veto = false;
        let out = tally(&vals, &dels, &votes, tokens(1000), &p).unwrap();
        assert_eq!(out.rule, TallyRule::Vetoed);
        assert!(!out.burn_deposits);
    }

    #[test]
    fn veto_counts_abstain_in_the_denominator() {
        // Veto 40 of 120 voting (1/3 < 0.334) but 40 of 80 non-abstaining.
        let vals = vec![val(1, 40, "40"), val(2, 40, "40"), val(3, 40, "40")];
        let dels = vec![del(1, 1, "40"), del(2, 2, "40"), del(3, 3, "40")];
        let votes = [vote(1, NoWithVeto), vote(2, Abstain), vote(3, Yes)];
        let out = tally(&vals, &dels, &votes, tokens(120), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::ThresholdNotReached);
        assert!(!out.burn_deposits);
    }

    #[test]
    fn threshold_boundary() {
        // Yes 50, No 50, Abstain 100: yes / (200 − 100) = 0.5, not above 0.5.
        let vals = vec![val(1, 50, "50"), val(2, 50, "50"), val(3, 100, "100")];
        let dels = vec![del(1, 1, "50"), del(2, 2, "50"), del(3, 3, "100")];
        let votes = [vote(1, Yes), vote(2, No), vote(3, Abstain)];
        let out = tally(&vals, &dels, &votes, tokens(200), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::ThresholdNotReached);
        assert!(!out.passes && !out.burn_deposits);
        // One atomic below the ratio: passes.
        let mut p = params();
        p.threshold = dec("0.499999999999999999");
        let out = tally(&vals, &dels, &votes, tokens(200), &p).unwrap();
        assert_eq!(out.rule, TallyRule::Passed);
        assert!(out.passes && !out.burn_deposits);
        // 51 yes vs 50 no passes at 0.5.
        let vals = vec![val(1, 51, "51"), val(2, 50, "50")];
        let dels = vec![del(1, 1, "51"), del(2, 2, "50")];
        let out = tally(&vals, &dels, &votes[..2], tokens(101), &params()).unwrap();
        assert_eq!(out.rule, TallyRule::Passed);
    }

    #[test]
    fn delegators_inherit_their_validators_vote() {
        // Validator 1: 100 tokens, self 40 shares, delegators 10 (30) and 11 (30).
        let vals = vec![val(1, 100, "100"), val(2, 100, "100")];
        let dels = vec![
            del(1, 1, "40"),
            del(10, 1, "30"),
            del(11, 1, "30"),
            del(2, 2, "100"),
        ];
        let out = tally(&vals, &dels, &[vote(1, Yes)], tokens(200), &params()).unwrap();
        assert_eq!(out.result.yes, tokens(100));
        assert_eq!(out.powers.total, dec("100"));
        assert_eq!(out.rule, TallyRule::Passed);
    }

    #[test]
    fn delegator_vote_overrides_and_is_deducted() {
        let vals = vec![val(1, 100, "100"), val(2, 100, "100")];
        let dels = vec![
            del(1, 1, "40"),
            del(10, 1, "30"),
            del(11, 1, "30"),
            del(2, 2, "100"),
        ];
        let votes = [vote(1, Yes), vote(10, No)];
        let out = tally(&vals, &dels, &votes, tokens(200), &params()).unwrap();
        assert_eq!(out.result.yes, tokens(70));
        assert_eq!(out.result.no, tokens(30));
        assert_eq!(out.powers.total, dec("100"));
        assert_eq!(out.rule, TallyRule::Passed);
        // The override also covers the voter's delegations to other validators.
        let dels2 = [dels.clone(), vec![del(10, 2, "50")]].concat();
        let vals2 = vec![val(1, 100, "100"), val(2, 150, "150")];
        let votes2 = [vote(1, Yes), vote(2, Yes), vote(10, No)];
        let out = tally(&vals2, &dels2, &votes2, tokens(250), &params()).unwrap();
        assert_eq!(out.result.no, tokens(80));
        assert_eq!(out.result.yes, tokens(170));
    }

    #[test]
    fn validator_not_voting_means_no_inheritance() {
        let vals = vec![val(1, 100, "100"), val(2, 100, "100")];
        let dels = vec![
            del(1, 1, "40"),
            del(10, 1, "30"),
            del(11, 1, "30"),
            del(2, 2, "100"),
        ];
        // Only delegator 10 votes: validator 1's other 70 shares do not count.
        let out = tally(&vals, &dels, &[vote(10, Yes)], tokens(200), &params()).unwrap();
        assert_eq!(out.powers.total, dec("30"));
        assert_eq!(out.result.yes, tokens(30));
        assert_eq!(out.rule, TallyRule::QuorumNotReached);
    }

    #[test]
    fn share_ratio_converts_shares_to_tokens() {
        // After a slash: 90 tokens for 100 shares; the delegator's 30 shares are 27 tokens.
        let vals = vec![val(1, 90, "100")];
        let dels = vec![del(1, 1, "70"), del(10, 1, "30")];
        let votes = [vote(1, Yes), vote(10, No)];
        let out = tally(&vals, &dels, &votes, tokens(90), &params()).unwrap();
        assert_eq!(out.powers.no, dec("27"));
        assert_eq!(out.powers.yes, dec("63"));
    }

    #[test]
    fn weighted_votes_split_power_and_truncate() {
        let vals = vec![val(1, 100, "100"), val(2, 101, "101")];
        let dels = vec![del(1, 1, "100"), del(2, 2, "101")];
        let votes = [
            weighted(1, &[(Yes, "0.7"), (No, "0.3")]),
            weighted(2, &[(Yes, "0.5"), (Abstain, "0.25"), (NoWithVeto, "0.25")]),
        ];
        let out = tally(&vals, &dels, &votes, tokens(201), &params()).unwrap();
        assert_eq!(out.powers.yes, dec("120.5"));
        assert_eq!(out.powers.no, dec("30"));
        assert_eq!(out.powers.abstain, dec("25.25"));
        assert_eq!(out.powers.no_with_veto, dec("25.25"));
        // Whole tokens, truncated.
        assert_eq!(
            out.result,
            TallyResult {
                yes: tokens(120),
                abstain: tokens(25),
                no: tokens(30),
                no_with_veto: tokens(25),
            }
        );
        // veto 25.25 / 201 ≈ 0.1256 < 0.334; yes 120.5 / 175.75 ≈ 0.686 > 0.5.
        assert_eq!(out.rule, TallyRule::Passed);
    }

    #[test]
    fn rounding_matches_legacy_dec() {
        // 1 token, 3 shares: each one-share delegation has power 0.333333333333333333.
        let vals = vec![val(1, 1, "3")];
        let dels = vec![del(10, 1, "1"), del(11, 1, "1"), del(12, 1, "1")];
        let votes = [vote(10, Yes), vote(11, Yes), vote(12, Yes)];
        let out = tally(&vals, &dels, &votes, tokens(1), &params()).unwrap();
        assert_eq!(out.powers.yes, dec("0.999999999999999999"));
        assert_eq!(out.result.yes, tokens(0));
        // 2/3 rounds up at the 18th place.
        let dels = vec![del(10, 1, "2"), del(11, 1, "1")];
        let out = tally(&vals, &dels, &votes[..1], tokens(1), &params()).unwrap();
        assert_eq!(out.powers.yes, dec("0.666666666666666667"));
        // Half to even: 0.5 atomics rounds to 0, 1.5 atomics to 2.
        assert_eq!(chop_round(Uint512::from(ONE / 2)).unwrap(), Uint256::zero());
        assert_eq!(
            chop_round(Uint512::from(ONE + ONE / 2)).unwrap(),
            Uint256::from(2u8)
        );
        assert_eq!(
            chop_round(Uint512::from(ONE / 2 + 1)).unwrap(),
            Uint256::one()
        );
    }

    #[test]
    fn unbonded_validators_are_ignored() {
        let vals = vec![val(1, 100, "100")];
        // Delegator 10 also delegates to 9, which is not bonded; 9 votes too.
        let dels = vec![del(1, 1, "100"), del(10, 9, "500"), del(9, 9, "500")];
        let votes = [vote(1, Yes), vote(10, No), vote(9, No)];
        let out = tally(&vals, &dels, &votes, tokens(100), &params()).unwrap();
        assert_eq!(out.powers.total, dec("100"));
        assert_eq!(out.result.no, tokens(0));
    }

    #[test]
    fn order_of_inputs_does_not_matter() {
        let vals = vec![val(1, 90, "100"), val(2, 70, "77")];
        let dels = vec![
            del(1, 1, "70"),
            del(10, 1, "30"),
            del(2, 2, "50"),
            del(10, 2, "27"),
        ];
        let votes = [weighted(10, &[(No, "0.4"), (Yes, "0.6")]), vote(2, Yes)];
        let a = tally(&vals, &dels, &votes, tokens(160), &params()).unwrap();
        let mut vals_r = vals.clone();
        vals_r.reverse();
        let mut dels_r = dels.clone();
        dels_r.reverse();
        let mut votes_r = votes.to_vec();
        votes_r.reverse();
        let b = tally(&vals_r, &dels_r, &votes_r, tokens(160), &params()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let (vals, dels) = three();
        let bad = [
            weighted(1, &[(Yes, "0.5"), (No, "0.4")]),
            weighted(1, &[(Yes, "0.5"), (Yes, "0.5")]),
            weighted(1, &[(Yes, "1"), (No, "0")]),
            Vote {
                voter: addr(1),
                options: vec![],
            },
        ];
        for v in bad {
            assert!(matches!(
                tally(&vals, &dels, &[v], tokens(300), &params()),
                Err(TallyError::InvalidVote { .. })
            ));
        }
        assert!(matches!(
            tally(
                &vals,
                &dels,
                &[vote(1, Yes), vote(1, No)],
                tokens(300),
                &params()
            ),
            Err(TallyError::DuplicateVote(_))
        ));
        let dup_dels = [dels.clone(), vec![del(1, 1, "1")]].concat();
        assert!(matches!(
            tally(&vals, &dup_dels, &[], tokens(300), &params()),
            Err(TallyError::DuplicateDelegation { .. })
        ));
        let dup_vals = [vals.clone(), vec![val(1, 1, "1")]].concat();
        assert!(matches!(
            tally(&dup_vals, &dels, &[], tokens(300), &params()),
            Err(TallyError::DuplicateValidator(_))
        ));
        // Voting delegations holding more shares than the validator issued.
        let over = vec![del(1, 1, "100"), del(10, 1, "50")];
        assert!(matches!(
            tally(
                &vals,
                &over,
                &[vote(1, Yes), vote(10, Yes)],
                tokens(300),
                &params()
            ),
            Err(TallyError::SharesExceedValidator(_))
        ));
        // A voting delegation to a validator with no shares.
        let zero = vec![val(1, 100, "0")];
        assert!(matches!(
            tally(&zero, &dels, &[vote(1, Yes)], tokens(100), &params()),
            Err(TallyError::ZeroDelegatorShares(_))
        ));
        // Huge values overflow into an error, not a panic: a voting power beyond 2^256 atomics…
        let tiny = Decimal256::new(Uint256::one());
        let huge = vec![BondedValidator {
            operator: addr(1),
            tokens: Uint128::MAX,
            delegator_shares: tiny,
        }];
        let huge_dels = vec![Delegation {
            delegator: addr(10),
            validator: addr(1),
            shares: Decimal256::MAX,
        }];
        assert_eq!(
            tally(&huge, &huge_dels, &[vote(10, Yes)], Uint128::MAX, &params()).unwrap_err(),
            TallyError::Overflow
        );
        // … and a per-option total beyond 2^128 whole tokens.
        let two = vec![
            BondedValidator {
                operator: addr(1),
                tokens: Uint128::MAX,
                delegator_shares: tiny,
            },
            BondedValidator {
                operator: addr(2),
                tokens: Uint128::MAX,
                delegator_shares: tiny,
            },
        ];
        assert_eq!(
            tally(
                &two,
                &[],
                &[vote(1, Yes), vote(2, Yes)],
                Uint128::MAX,
                &params()
            )
            .unwrap_err(),
            TallyError::Overflow
        );
    }
}
