//! The domain types handlers work on: validated, with protobuf only at the edges
//! (`to_proto`). Stored as JSON by cw-storage-plus (see state.rs).

use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmwasm_std::{Binary, Decimal256, Timestamp, Uint128, Uint256};
use depin_app::address::AddressCodec;
use depin_app::error::AppResult;
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tendermint_proto::v0_38::crypto::{public_key, PublicKey};

use crate::dec;
use crate::error::StakingError;

/// Tokens per unit of consensus power (the Cosmos SDK's default power reduction).
pub const POWER_REDUCTION: u128 = 1_000_000;
/// The largest power one validator may have: CometBFT's bound on the total voting power
/// (`MaxTotalVotingPower`, i64::MAX / 8).
pub const MAX_POWER: u64 = (i64::MAX / 8) as u64;
/// The only consensus key type: CometBFT's default.
pub const ED25519_PUBKEY_URL: &str = "/cosmos.crypto.ed25519.PubKey";
/// Fields of MsgEditValidator's description holding this value are left unchanged.
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";

/// Where a validator stands in the consensus set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BondStatus {
    /// Not in the set; its tokens sit in the not-bonded pool.
    Unbonded,
    /// Left the set less than `unbonding_time` ago: still slashable for what it did before.
    Unbonding,
    /// In the set CometBFT uses; its tokens sit in the bonded pool.
    Bonded,
}

impl BondStatus {
    pub fn to_proto(self) -> i32 {
        match self {
            BondStatus::Unbonded => pb::BondStatus::Unbonded as i32,
            BondStatus::Unbonding => pb::BondStatus::Unbonding as i32,
            BondStatus::Bonded => pb::BondStatus::Bonded as i32,
        }
    }

    /// The protobuf enum name, as genesis files and the Validators query use it.
    pub fn name(self) -> &'static str {
        match self {
            BondStatus::Unbonded => "BOND_STATUS_UNBONDED",
            BondStatus::Unbonding => "BOND_STATUS_UNBONDING",
            BondStatus::Bonded => "BOND_STATUS_BONDED",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "BOND_STATUS_UNBONDED" => Some(BondStatus::Unbonded),
            "BOND_STATUS_UNBONDING" => Some(BondStatus::Unbonding),
            "BOND_STATUS_BONDED" => Some(BondStatus::Bonded),
            _ => None,
        }
    }
}

/// Who runs a validator, as it presents itself. Lengths are the Cosmos SDK's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Description {
    pub moniker: String,
    pub identity: String,
    pub website: String,
    pub security_contact: String,
    pub details: String,
}

impl Description {
    pub fn from_proto(d: &pb::Description) -> Self {
        Description {
            moniker: d.moniker.clone(),
            identity: d.identity.clone(),
            website: d.website.clone(),
            security_contact: d.security_contact.clone(),
            details: d.details.clone(),
        }
    }

    pub fn to_proto(&self) -> pb::Description {
        pb::Description {
            moniker: self.moniker.clone(),
            identity: self.identity.clone(),
            website: self.website.clone(),
            security_contact: self.security_contact.clone(),
            details: self.details.clone(),
        }
    }

    /// Each field within its length; a moniker is required.
    pub fn validate(&self) -> AppResult<()> {
        if self.moniker.is_empty() {
            return Err(
                StakingError::InvalidRequest("description: a moniker is required".into()).into(),
            );
        }
        for (field, value, max) in [
            ("moniker", &self.moniker, 70),
            ("identity", &self.identity, 3000),
            ("website", &self.website, 140),
            ("security_contact", &self.security_contact, 140),
            ("details", &self.details, 280),
        ] {
            if value.len() > max {
                return Err(StakingError::InvalidRequest(format!(
                    "description: {field} is {} bytes, at most {max} are allowed",
                    value.len()
                ))
                .into());
            }
        }
        Ok(())
    }

    /// This description with the fields of `edit` that are not `[do-not-modify]`.
    pub fn edited(&self, edit: &Description) -> Description {
        let pick = |new: &String, old: &String| {
            if new == DO_NOT_MODIFY {
                old.clone()
            } else {
                new.clone()
            }
        };
        Description {
            moniker: pick(&edit.moniker, &self.moniker),
            identity: pick(&edit.identity, &self.identity),
            website: pick(&edit.website, &self.website),
            security_contact: pick(&edit.security_contact, &self.security_contact),
            details: pick(&edit.details, &self.details),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRates {
    /// What the validator takes of its delegators' rewards.
    pub rate: Decimal256,
    /// The highest `rate` may ever be.
    pub max_rate: Decimal256,
    /// The most `rate` may rise in one change (changes are at least 24h apart).
    pub max_change_rate: Decimal256,
}

impl CommissionRates {
    pub fn from_proto(c: &pb::CommissionRates) -> AppResult<Self> {
        Ok(CommissionRates {
            rate: dec::from_proto(&c.rate, "commission rate")?,
            max_rate: dec::from_proto(&c.max_rate, "commission max rate")?,
            max_change_rate: dec::from_proto(&c.max_change_rate, "commission max change rate")?,
        })
    }

    pub fn to_proto(&self) -> pb::CommissionRates {
        pb::CommissionRates {
            rate: dec::to_proto(self.rate),
            max_rate: dec::to_proto(self.max_rate),
            max_change_rate: dec::to_proto(self.max_change_rate),
        }
    }

    /// The Cosmos SDK's rules: every rate within [0, 1], rate ≤ max rate, max change rate ≤
    /// max rate.
    pub fn validate(&self) -> AppResult<()> {
        if self.max_rate > Decimal256::one() {
            return Err(StakingError::CommissionHuge {
                what: "max rate",
                value: dec::fmt(self.max_rate),
            }
            .into());
        }
        if self.rate > self.max_rate {
            return Err(StakingError::CommissionAboveMaxRate {
                rate: dec::fmt(self.rate),
                max_rate: dec::fmt(self.max_rate),
            }
            .into());
        }
        if self.max_change_rate > self.max_rate {
            return Err(StakingError::ChangeRateAboveMaxRate {
                max_change_rate: dec::fmt(self.max_change_rate),
                max_rate: dec::fmt(self.max_rate),
            }
            .into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    pub rates: CommissionRates,
    /// When `rates.rate` last changed (or the validator was created).
    pub update_time: Timestamp,
}

/// A validator: its operator (an account), its consensus key, its stake and its standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// The operator's raw address (the same bytes as its account address).
    pub operator: Binary,
    /// The 32-byte ed25519 key CometBFT knows the validator by.
    pub consensus_pubkey: Binary,
    pub jailed: bool,
    pub status: BondStatus,
    /// Tokens bonded to the validator, all delegations together.
    pub tokens: Uint128,
    /// The shares its delegations hold between them.
    pub delegator_shares: Decimal256,
    pub description: Description,
    /// Height and time at which it started unbonding; the time is also when that completes.
    pub unbonding_height: u64,
    pub unbonding_time: Timestamp,
    pub commission: Commission,
    pub min_self_delegation: Uint128,
}

impl Validator {
    /// CometBFT's address of the validator: sha256(ed25519 key)[..20].
    pub fn consensus_address(&self) -> Vec<u8> {
        consensus_address(&self.consensus_pubkey)
    }

    /// The power its tokens would give it in the set.
    pub fn potential_power(&self) -> u64 {
        power_of(self.tokens)
    }

    /// Delegator shares but no tokens: it was slashed to zero, and shares would be free.
    pub fn invalid_ex_rate(&self) -> bool {
        self.tokens.is_zero() && !self.delegator_shares.is_zero()
    }

    /// The shares `amount` tokens buy, rounded down (the first delegation gets one share per
    /// token).
    pub fn shares_for_tokens(&self, amount: Uint128) -> AppResult<Decimal256> {
        if self.delegator_shares.is_zero() {
            return Ok(dec::from_tokens(amount));
        }
        dec::mul_div_floor(
            self.delegator_shares.atomics(),
            Uint256::from(amount),
            Uint256::from(self.tokens),
        )
        .map(Decimal256::new)
        .ok_or_else(|| StakingError::InvalidExchangeRate(hex_or_empty(&self.operator)).into())
    }

    /// The tokens `shares` are worth, rounded down.
    pub fn tokens_for_shares(&self, shares: Decimal256) -> Uint128 {
        dec::mul_div_floor(
            shares.atomics(),
            Uint256::from(self.tokens),
            self.delegator_shares.atomics(),
        )
        .and_then(|v| Uint128::try_from(v).ok())
        .unwrap_or_default()
    }

    /// Adds a delegation of `amount` tokens; returns the shares it gets.
    pub fn add_tokens_from_delegation(&mut self, amount: Uint128) -> AppResult<Decimal256> {
        let shares = self.shares_for_tokens(amount)?;
        self.tokens = self
            .tokens
            .checked_add(amount)
            .map_err(|_| StakingError::Overflow("validator tokens".into()))?;
        self.delegator_shares = self
            .delegator_shares
            .checked_add(shares)
            .map_err(|_| StakingError::Overflow("validator shares".into()))?;
        Ok(shares)
    }

    /// Removes `shares`; returns the tokens they were worth (rounded down; the last shares
    /// take every token left).
    pub fn remove_delegator_shares(&mut self, shares: Decimal256) -> AppResult<Uint128> {
        let remaining = self
            .delegator_shares
            .checked_sub(shares)
            .map_err(|_| StakingError::Corrupt("more shares removed than issued".into()))?;
        let tokens = if remaining.is_zero() {
            self.tokens
        } else {
            self.tokens_for_shares(shares)
        };
        self.tokens = self.tokens.checked_sub(tokens).map_err(|_| {
            StakingError::Corrupt("shares worth more than the validator's tokens".into())
        })?;
        self.delegator_shares = remaining;
        Ok(tokens)
    }

    pub fn to_proto(&self, operators: &AddressCodec) -> pb::Validator {
        pb::Validator {
            operator_address: operators.encode(&self.operator),
            consensus_pubkey: Some(ed25519_any(&self.consensus_pubkey)),
            jailed: self.jailed,
            status: self.status.to_proto(),
            tokens: self.tokens.to_string(),
            delegator_shares: dec::to_proto(self.delegator_shares),
            description: Some(self.description.to_proto()),
            unbonding_height: self.unbonding_height as i64,
            unbonding_time: Some(timestamp_to_proto(self.unbonding_time)),
            commission: Some(pb::Commission {
                commission_rates: Some(self.commission.rates.to_proto()),
                update_time: Some(timestamp_to_proto(self.commission.update_time)),
            }),
            min_self_delegation: self.min_self_delegation.to_string(),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        }
    }

    /// The update CometBFT gets for this validator at `power` (0 removes it).
    pub fn abci_update(&self, power: u64) -> ValidatorUpdate {
        ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(public_key::Sum::Ed25519(self.consensus_pubkey.to_vec())),
            }),
            power: power as i64,
        }
    }
}

fn hex_or_empty(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Consensus power of `tokens`: tokens / 10^6, capped at [`MAX_POWER`].
pub fn power_of(tokens: Uint128) -> u64 {
    let power = tokens.u128() / POWER_REDUCTION;
    u64::try_from(power).unwrap_or(MAX_POWER).min(MAX_POWER)
}

/// CometBFT's address of an ed25519 key: sha256(key)[..20].
pub fn consensus_address(pubkey: &[u8]) -> Vec<u8> {
    Sha256::digest(pubkey)[..20].to_vec()
}

/// The key as `Any` of `/cosmos.crypto.ed25519.PubKey`.
pub fn ed25519_any(key: &[u8]) -> cosmrs::Any {
    cosmrs::Any {
        type_url: ED25519_PUBKEY_URL.to_string(),
        value: cosmrs::proto::cosmos::crypto::ed25519::PubKey { key: key.to_vec() }.encode_to_vec(),
    }
}

/// The 32-byte ed25519 key inside a consensus-key `Any`.
pub fn ed25519_from_any(any: &cosmrs::Any) -> AppResult<Vec<u8>> {
    if any.type_url != ED25519_PUBKEY_URL {
        return Err(StakingError::PubKeyType(any.type_url.clone()).into());
    }
    let key = cosmrs::proto::cosmos::crypto::ed25519::PubKey::decode(any.value.as_slice())
        .map_err(|_| StakingError::PubKeyType(format!("{} (undecodable)", any.type_url)))?
        .key;
    if key.len() != 32 {
        return Err(StakingError::PubKeyType(format!(
            "{} with a {}-byte key",
            any.type_url,
            key.len()
        ))
        .into());
    }
    Ok(key)
}

/// One unbonding: tokens on their way back to the delegator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbondingEntry {
    pub creation_height: u64,
    pub completion_time: Timestamp,
    /// The tokens at creation; slashing takes a fraction of this.
    pub initial_balance: Uint128,
    /// What will be paid out (less than the initial balance after a slash).
    pub balance: Uint128,
}

/// All of a delegator's unbondings from one validator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UnbondingDelegation {
    pub entries: Vec<UnbondingEntry>,
}

impl UnbondingDelegation {
    pub fn to_proto(&self, delegator: &str, validator: &str) -> pb::UnbondingDelegation {
        pb::UnbondingDelegation {
            delegator_address: delegator.to_string(),
            validator_address: validator.to_string(),
            entries: self
                .entries
                .iter()
                .map(|e| pb::UnbondingDelegationEntry {
                    creation_height: e.creation_height as i64,
                    completion_time: Some(timestamp_to_proto(e.completion_time)),
                    initial_balance: e.initial_balance.to_string(),
                    balance: e.balance.to_string(),
                    unbonding_id: 0,
                    unbonding_on_hold_ref_count: 0,
                })
                .collect(),
        }
    }
}

/// One redelegation: stake that moved validators and is still slashable at the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedelegationEntry {
    pub creation_height: u64,
    pub completion_time: Timestamp,
    /// The tokens that moved.
    pub initial_balance: Uint128,
    /// The shares they bought at the destination.
    pub shares_dst: Decimal256,
}

/// All of a delegator's redelegations from one validator to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Redelegation {
    pub entries: Vec<RedelegationEntry>,
}

impl RedelegationEntry {
    pub fn to_proto(&self) -> pb::RedelegationEntry {
        pb::RedelegationEntry {
            creation_height: self.creation_height as i64,
            completion_time: Some(timestamp_to_proto(self.completion_time)),
            initial_balance: self.initial_balance.to_string(),
            shares_dst: dec::to_proto(self.shares_dst),
            unbonding_id: 0,
            unbonding_on_hold_ref_count: 0,
        }
    }
}

/// The block header fields we know and the bonded set at a height (for IBC light clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoricalInfo {
    pub chain_id: String,
    pub height: u64,
    pub time: Timestamp,
    pub proposer: Binary,
    /// Bonded validators, by power (highest first), then operator address.
    pub valset: Vec<Validator>,
}

pub fn timestamp_to_proto(t: Timestamp) -> tendermint_proto::google::protobuf::Timestamp {
    tendermint_proto::google::protobuf::Timestamp {
        seconds: t.seconds() as i64,
        nanos: t.subsec_nanos() as i32,
    }
}

/// RFC 3339, as Cosmos JSON and events write times ("2024-01-02T03:04:05Z").
pub fn rfc3339(t: Timestamp) -> String {
    tendermint::Time::from_unix_timestamp(t.seconds() as i64, t.subsec_nanos() as u32)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    let t = tendermint::Time::parse_from_rfc3339(s).map_err(|e| format!("time {s:?}: {e}"))?;
    let nanos = t.unix_timestamp_nanos();
    if nanos < 0 {
        // Go's zero time (0001-01-01) stands for "never" in Cosmos files.
        return Ok(Timestamp::from_nanos(0));
    }
    u64::try_from(nanos)
        .map(Timestamp::from_nanos)
        .map_err(|_| format!("time {s:?} is too far in the future"))
}

/// Serde for times in genesis JSON (RFC 3339).
pub mod time_json {
    use cosmwasm_std::Timestamp;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_rfc3339(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(tokens: u128, shares: &str) -> Validator {
        Validator {
            operator: Binary::from(vec![1; 20]),
            consensus_pubkey: Binary::from(vec![2; 32]),
            jailed: false,
            status: BondStatus::Unbonded,
            tokens: Uint128::new(tokens),
            delegator_shares: dec::parse(shares).unwrap(),
            description: Description::default(),
            unbonding_height: 0,
            unbonding_time: Timestamp::from_nanos(0),
            commission: Commission {
                rates: CommissionRates {
                    rate: Decimal256::zero(),
                    max_rate: Decimal256::zero(),
                    max_change_rate: Decimal256::zero(),
                },
                update_time: Timestamp::from_nanos(0),
            },
            min_self_delegation: Uint128::one(),
        }
    }

    #[test]
    fn exchange_rate_rounds_for_the_chain() {
        // After a slash: 3 tokens for 4 shares.
        let mut v = validator(3, "4");
        let shares = v.add_tokens_from_delegation(Uint128::new(1)).unwrap();
        assert_eq!(dec::fmt(shares), "1.333333333333333333");
        // Those shares are worth less than the token paid for them.
        assert_eq!(v.tokens_for_shares(shares), Uint128::zero());
        let out = v.remove_delegator_shares(shares).unwrap();
        assert_eq!(out, Uint128::zero());
        // The last shares take what is left.
        let out = v.remove_delegator_shares(v.delegator_shares).unwrap();
        assert_eq!(out, Uint128::new(4));
        assert!(v.tokens.is_zero() && v.delegator_shares.is_zero());
    }

    #[test]
    fn first_delegation_is_one_to_one_and_zero_tokens_refuse() {
        let mut v = validator(0, "0");
        let s = v.add_tokens_from_delegation(Uint128::new(5)).unwrap();
        assert_eq!(s, dec::parse("5").unwrap());
        let v = validator(0, "4");
        assert!(v.invalid_ex_rate());
        assert!(v.shares_for_tokens(Uint128::new(1)).is_err());
    }

    #[test]
    fn power_and_times() {
        assert_eq!(power_of(Uint128::new(1_999_999)), 1);
        assert_eq!(power_of(Uint128::MAX), MAX_POWER);
        let t = Timestamp::from_seconds(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z").unwrap(), t);
        assert_eq!(
            parse_rfc3339("0001-01-01T00:00:00Z").unwrap(),
            Timestamp::from_nanos(0)
        );
    }
}
