//! Market params, changed only by the governance authority (`MsgUpdateParams`). JSON in the
//! proto3 mapping of `depin.market.v1.Params`.

use cosmwasm_std::Uint128;
use depin_app::coins::{self, Coin};
use depin_app::error::AppResult;
use depin_proto::depin::market::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::MarketError;
use crate::types::{take_destination_json, TakeDestination};

pub const DEFAULT_DENOM: &str = "udepin";
/// Upper bounds params may not pass: they bound the work of one message or one block.
pub const MAX_BIDS_PER_ORDER_CAP: u32 = 100;
pub const MAX_ATTRIBUTES_CAP: u32 = 64;
pub const MAX_DEVICES_PER_PROVIDER_CAP: u32 = 256;
pub const MAX_DEPOSITS_PER_ESCROW_CAP: u32 = 100;
pub const MAX_TRANSITIONS_PER_BLOCK_CAP: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub denom: String,
    pub min_provider_collateral: Coin,
    pub bid_deposit: Coin,
    pub max_bids_per_order: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub bid_timeout_blocks: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub min_order_deposit_blocks: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub insufficient_funds_grace_blocks: u64,
    pub take_rate_bps: u32,
    #[serde(with = "take_destination_json")]
    pub take_destination: i32,
    #[serde(default)]
    pub community_pool_account: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub proving_period_blocks: u64,
    pub challenges_per_period: u32,
    pub min_chunk_size: u32,
    pub max_chunk_size: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub deal_acceptance_blocks: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub deal_activation_blocks: u64,
    pub fault_fee_bps: u32,
    pub max_consecutive_faults: u32,
    pub max_transitions_per_block: u32,
    #[serde(with = "depin_app::json::u64_string")]
    pub usage_epoch_blocks: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub usage_retention_epochs: u64,
    pub max_attributes: u32,
    pub max_devices_per_provider: u32,
    pub max_deposits_per_escrow: u32,
    /// The least a storage deal may be worth (price_per_period × duration_periods): every
    /// proposal locks at least this much of the client's funds while it waits in the deal
    /// queue. Absent from older genesis files: 10,000 of the default denom.
    #[serde(default = "default_min_deal_value")]
    pub min_deal_value: Coin,
}

/// The default `min_deal_value`: 10,000udepin (0.01 DEPIN).
pub fn default_min_deal_value() -> Coin {
    Coin::new(10_000, DEFAULT_DENOM)
}

/// The longest name `community_pool_account` may have.
pub const MAX_MODULE_ACCOUNT_NAME_LEN: usize = 64;

/// Whether `name` is a plausible module-account name: 1 to 64 characters of a-z, 0-9 and `_`.
pub fn is_module_account_name(name: &str) -> bool {
    (1..=MAX_MODULE_ACCOUNT_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Default for Params {
    /// Prices in udepin; 100 DEPIN of provider collateral and a 1 DEPIN bid deposit; up to 20
    /// bids an order, taken for 600 blocks; an order deposit of 100 blocks at its max price;
    /// 100 blocks of grace on an empty escrow; 2% of every payment burned; usage epochs of
    /// 1,000 blocks kept for 30 epochs. Storage: proving periods of 100 blocks with 4
    /// challenges, chunks of 256 B to 1 MiB, 5% of the collateral per fault, 3 faults in a row
    /// terminate.
    fn default() -> Self {
        Params {
            denom: DEFAULT_DENOM.into(),
            min_provider_collateral: Coin::new(100_000_000, DEFAULT_DENOM),
            bid_deposit: Coin::new(1_000_000, DEFAULT_DENOM),
            max_bids_per_order: 20,
            bid_timeout_blocks: 600,
            min_order_deposit_blocks: 100,
            insufficient_funds_grace_blocks: 100,
            take_rate_bps: 200,
            take_destination: TakeDestination::Burn as i32,
            community_pool_account: String::new(),
            proving_period_blocks: 100,
            challenges_per_period: 4,
            min_chunk_size: 256,
            max_chunk_size: 64 << 10,
            deal_acceptance_blocks: 600,
            deal_activation_blocks: 600,
            fault_fee_bps: 500,
            max_consecutive_faults: 3,
            max_transitions_per_block: 200,
            usage_epoch_blocks: 1_000,
            usage_retention_epochs: 30,
            max_attributes: 16,
            max_devices_per_provider: 64,
            max_deposits_per_escrow: 16,
            min_deal_value: default_min_deal_value(),
        }
    }
}

/// Take rates are in basis points: the remainder of a take is counted in 1/10,000ths.
pub const TAKE_DENOMINATOR: u32 = 10_000;

/// The most challenges a period may carry (each answered in the proof transaction).
pub const MAX_CHALLENGES_PER_PERIOD: u32 = 64;
/// The most bytes a storage proof's chunks and paths may take: half the default maximum
/// transaction size (1 MiB), leaving room for the rest of the transaction.
pub const MAX_PROOF_BYTES: u64 = 512 << 10;

/// The largest proof `challenges` chunks of `chunk_size` bytes need: the chunks plus a Merkle
/// path of up to 64 siblings of 32 bytes each, with protobuf framing.
pub fn proof_bytes(challenges: u32, chunk_size: u32) -> u64 {
    u64::from(challenges) * (u64::from(chunk_size) + 64 * (32 + 2) + 16)
}

fn invalid(msg: impl Into<String>) -> MarketError {
    MarketError::InvalidParams(msg.into())
}

fn coin_from(
    c: &Option<cosmrs::proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> AppResult<Coin> {
    let c = c
        .as_ref()
        .ok_or_else(|| invalid(format!("{what} is missing")))?;
    let amount = c.amount.parse::<u128>().map_err(|_| {
        invalid(format!(
            "{what} amount {:?} is not a whole number",
            c.amount
        ))
    })?;
    Ok(Coin {
        denom: c.denom.clone(),
        amount: Uint128::new(amount),
    })
}

impl Params {
    pub fn validate(&self) -> AppResult<()> {
        coins::validate_denom(&self.denom).map_err(|e| invalid(e.message))?;
        for (what, c) in [
            ("min_provider_collateral", &self.min_provider_collateral),
            ("bid_deposit", &self.bid_deposit),
            ("min_deal_value", &self.min_deal_value),
        ] {
            if c.denom != self.denom {
                return Err(invalid(format!(
                    "{what} is in {}: it must be in the market denom {}",
                    c.denom, self.denom
                ))
                .into());
            }
        }
        if self.min_deal_value.amount.is_zero() {
            return Err(invalid(
                "min_deal_value is 0: it must be positive, so that every deal proposal locks funds",
            )
            .into());
        }
        let ranges: [(&str, u64, u64, u64); 9] = [
            (
                "max_bids_per_order",
                self.max_bids_per_order.into(),
                1,
                MAX_BIDS_PER_ORDER_CAP.into(),
            ),
            ("bid_timeout_blocks", self.bid_timeout_blocks, 1, u64::MAX),
            ("usage_epoch_blocks", self.usage_epoch_blocks, 1, u64::MAX),
            (
                "usage_retention_epochs",
                self.usage_retention_epochs,
                1,
                u64::MAX,
            ),
            (
                "max_transitions_per_block",
                self.max_transitions_per_block.into(),
                1,
                MAX_TRANSITIONS_PER_BLOCK_CAP.into(),
            ),
            (
                "max_attributes",
                self.max_attributes.into(),
                1,
                MAX_ATTRIBUTES_CAP.into(),
            ),
            (
                "max_devices_per_provider",
                self.max_devices_per_provider.into(),
                1,
                MAX_DEVICES_PER_PROVIDER_CAP.into(),
            ),
            (
                "max_deposits_per_escrow",
                self.max_deposits_per_escrow.into(),
                1,
                MAX_DEPOSITS_PER_ESCROW_CAP.into(),
            ),
            (
                "proving_period_blocks",
                self.proving_period_blocks,
                1,
                u64::MAX,
            ),
        ];
        for (what, v, lo, hi) in ranges {
            if v < lo || v > hi {
                return Err(invalid(format!("{what} is {v}: it must be from {lo} to {hi}")).into());
            }
        }
        for (what, bps) in [
            ("take_rate_bps", self.take_rate_bps),
            ("fault_fee_bps", self.fault_fee_bps),
        ] {
            if bps > 10_000 {
                return Err(invalid(format!("{what} is {bps}: at most 10000 (100%)")).into());
            }
        }
        match TakeDestination::try_from(self.take_destination) {
            Ok(TakeDestination::Burn) => {}
            Ok(TakeDestination::CommunityPool) => {
                let name = &self.community_pool_account;
                if name.is_empty() {
                    return Err(invalid(
                        "take_destination is the community pool but community_pool_account is empty: name its module account",
                    )
                    .into());
                }
                if !is_module_account_name(name) {
                    return Err(invalid(format!(
                        "community_pool_account {name:?} is not a module account name: 1 to {MAX_MODULE_ACCOUNT_NAME_LEN} characters of a-z, 0-9 and _"
                    ))
                    .into());
                }
                if name == crate::keeper::MARKET_MODULE_ACCOUNT {
                    return Err(invalid(
                        "community_pool_account is the market's own module account: the take would never leave it",
                    )
                    .into());
                }
                // Accounts whose balance another module keeps books on: a plain transfer into
                // them would break those books. (A chain with a community pool module wires it
                // with MarketKeeper::with_community_pool instead.)
                if [
                    "distribution",
                    "rewards",
                    "bonded_tokens_pool",
                    "not_bonded_tokens_pool",
                ]
                .contains(&name.as_str())
                {
                    return Err(invalid(format!(
                        "community_pool_account {name:?} is another module's booked account: a transfer into it would not be recorded"
                    ))
                    .into());
                }
            }
            _ => return Err(invalid(
                "take_destination must be TAKE_DESTINATION_BURN or TAKE_DESTINATION_COMMUNITY_POOL",
            )
            .into()),
        }
        let pow2 = |n: u32| n.is_power_of_two();
        if !pow2(self.min_chunk_size)
            || !pow2(self.max_chunk_size)
            || self.min_chunk_size > self.max_chunk_size
        {
            return Err(invalid(format!(
                "chunk sizes {}..{} must be powers of two with min ≤ max",
                self.min_chunk_size, self.max_chunk_size
            ))
            .into());
        }
        if self.challenges_per_period == 0 || self.max_consecutive_faults == 0 {
            return Err(invalid(
                "challenges_per_period and max_consecutive_faults must be at least 1",
            )
            .into());
        }
        // A proof must fit in one transaction, or a deal could never be proven and its
        // provider would lose its collateral for nothing.
        let proof = proof_bytes(self.challenges_per_period, self.max_chunk_size);
        if self.challenges_per_period > MAX_CHALLENGES_PER_PERIOD || proof > MAX_PROOF_BYTES {
            return Err(invalid(format!(
                "challenges_per_period {} × max_chunk_size {} makes proofs of up to {proof} bytes: at most {MAX_CHALLENGES_PER_PERIOD} challenges and {MAX_PROOF_BYTES} bytes fit in a transaction",
                self.challenges_per_period, self.max_chunk_size
            ))
            .into());
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            denom: self.denom.clone(),
            min_provider_collateral: Some(self.min_provider_collateral.to_proto()),
            bid_deposit: Some(self.bid_deposit.to_proto()),
            max_bids_per_order: self.max_bids_per_order,
            bid_timeout_blocks: self.bid_timeout_blocks,
            min_order_deposit_blocks: self.min_order_deposit_blocks,
            insufficient_funds_grace_blocks: self.insufficient_funds_grace_blocks,
            take_rate_bps: self.take_rate_bps,
            take_destination: self.take_destination,
            community_pool_account: self.community_pool_account.clone(),
            proving_period_blocks: self.proving_period_blocks,
            challenges_per_period: self.challenges_per_period,
            min_chunk_size: self.min_chunk_size,
            max_chunk_size: self.max_chunk_size,
            deal_acceptance_blocks: self.deal_acceptance_blocks,
            deal_activation_blocks: self.deal_activation_blocks,
            fault_fee_bps: self.fault_fee_bps,
            max_consecutive_faults: self.max_consecutive_faults,
            max_transitions_per_block: self.max_transitions_per_block,
            usage_epoch_blocks: self.usage_epoch_blocks,
            usage_retention_epochs: self.usage_retention_epochs,
            max_attributes: self.max_attributes,
            max_devices_per_provider: self.max_devices_per_provider,
            max_deposits_per_escrow: self.max_deposits_per_escrow,
            min_deal_value: Some(self.min_deal_value.to_proto()),
        }
    }

    pub fn from_proto(p: &pb::Params) -> AppResult<Self> {
        Ok(Params {
            denom: p.denom.clone(),
            min_provider_collateral: coin_from(
                &p.min_provider_collateral,
                "min_provider_collateral",
            )?,
            bid_deposit: coin_from(&p.bid_deposit, "bid_deposit")?,
            max_bids_per_order: p.max_bids_per_order,
            bid_timeout_blocks: p.bid_timeout_blocks,
            min_order_deposit_blocks: p.min_order_deposit_blocks,
            insufficient_funds_grace_blocks: p.insufficient_funds_grace_blocks,
            take_rate_bps: p.take_rate_bps,
            take_destination: p.take_destination,
            community_pool_account: p.community_pool_account.clone(),
            proving_period_blocks: p.proving_period_blocks,
            challenges_per_period: p.challenges_per_period,
            min_chunk_size: p.min_chunk_size,
            max_chunk_size: p.max_chunk_size,
            deal_acceptance_blocks: p.deal_acceptance_blocks,
            deal_activation_blocks: p.deal_activation_blocks,
            fault_fee_bps: p.fault_fee_bps,
            max_consecutive_faults: p.max_consecutive_faults,
            max_transitions_per_block: p.max_transitions_per_block,
            usage_epoch_blocks: p.usage_epoch_blocks,
            usage_retention_epochs: p.usage_retention_epochs,
            max_attributes: p.max_attributes,
            max_devices_per_provider: p.max_devices_per_provider,
            max_deposits_per_escrow: p.max_deposits_per_escrow,
            min_deal_value: coin_from(&p.min_deal_value, "min_deal_value")?,
        })
    }

    /// The take of a payment: floor(payment × take_rate_bps / 10,000).
    pub fn take_of(&self, payment: Uint128) -> Uint128 {
        payment.multiply_ratio(self.take_rate_bps, 10_000u32)
    }

    /// The take of one payment of a lease or deal whose earlier payments left `remainder`
    /// (the fraction of a unit not yet taken, in 1/10,000ths; < 10,000):
    /// take = ⌊(payment × take_rate_bps + remainder) / 10,000⌋, and the new remainder is what
    /// that division leaves. Over any sequence of payments at one rate the takes add up to
    /// ⌊Σ payments × take_rate_bps / 10,000⌋: the total take does not depend on how often
    /// the lease is settled. Returns (take, new remainder); take ≤ payment.
    pub fn take_with_remainder(&self, payment: Uint128, remainder: u32) -> (Uint128, u32) {
        let bps = u128::from(self.take_rate_bps.min(10_000));
        let rem = u128::from(remainder.min(TAKE_DENOMINATOR - 1));
        // payment = q × 10,000 + r: payment × bps + rem = q × bps × 10,000 + (r × bps + rem),
        // all without overflow (q × bps ≤ payment, r × bps + rem < 10⁸).
        let d = u128::from(TAKE_DENOMINATOR);
        let (q, r) = (payment.u128() / d, payment.u128() % d);
        let low = r * bps + rem;
        let take = (q * bps).saturating_add(low / d);
        let take = Uint128::new(take).min(payment);
        (take, (low % d) as u32)
    }

    /// The usage epoch of `height`.
    pub fn usage_epoch(&self, height: u64) -> u64 {
        height / self.usage_epoch_blocks.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_must_fit_in_a_transaction() {
        let p = Params::default();
        p.validate().unwrap();
        assert!(proof_bytes(p.challenges_per_period, p.max_chunk_size) <= MAX_PROOF_BYTES);
        // 4 challenges of 1 MiB chunks could never be sent: refused.
        let big = Params {
            max_chunk_size: 1 << 20,
            ..Params::default()
        };
        assert!(big.validate().is_err());
        let many = Params {
            challenges_per_period: MAX_CHALLENGES_PER_PERIOD + 1,
            min_chunk_size: 256,
            max_chunk_size: 256,
            ..Params::default()
        };
        assert!(many.validate().is_err());
    }

    #[test]
    fn the_community_pool_must_be_a_module_account_name() {
        let pool = |name: &str| Params {
            take_destination: TakeDestination::CommunityPool as i32,
            community_pool_account: name.into(),
            ..Params::default()
        };
        pool("community_pool").validate().unwrap();
        pool("distribution2").validate().unwrap();
        pool(&"a".repeat(64)).validate().unwrap();
        for bad in [
            "",
            "Community",
            "community pool",
            "pool-1",
            "gov/pool",
            "ünïcode",
            &"a".repeat(65),
            "market",
            "distribution",
            "rewards",
            "bonded_tokens_pool",
        ] {
            let e = pool(bad).validate().unwrap_err();
            assert_eq!(
                (e.codespace.as_str(), e.code),
                ("market", 3),
                "{bad:?}: {e:?}"
            );
        }
        // Burning: the name is not used.
        Params {
            community_pool_account: "Not Used".into(),
            ..Params::default()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn min_deal_value_is_positive_and_in_the_denom() {
        let with = |c: Coin| Params {
            min_deal_value: c,
            ..Params::default()
        };
        with(Coin::new(1, DEFAULT_DENOM)).validate().unwrap();
        assert!(with(Coin::new(0, DEFAULT_DENOM)).validate().is_err());
        assert!(with(Coin::new(10, "uother")).validate().is_err());
        // Older genesis files without it get the default.
        let mut json = serde_json::to_value(Params::default()).unwrap();
        json.as_object_mut().unwrap().remove("min_deal_value");
        let p: Params = serde_json::from_value(json).unwrap();
        assert_eq!(p.min_deal_value, default_min_deal_value());
        // The proto form carries it.
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    }
}
