//! What distribution needs from staking ([`DistributionStaking`], implemented here for
//! `depin_staking::StakingKeeper`) and from the bank ([`DistributionBank`], implemented for
//! `depin_bank::BankKeeper`), what other modules may call ([`DistributionKeeper`]), and the
//! staking hooks distribution registers ([`DistributionHooks`]).

use std::sync::Arc;

use cosmwasm_std::{Decimal256, Order, Uint128, Uint256, Uint512};
use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_staking::{StakingHooks, StakingKeeper};

use crate::dec::{self, DecCoins, ONE};
use crate::error::DistributionError;
use crate::params::Params;
use crate::state::{
    COMMISSION, COMMUNITY_POOL, CURRENT, OUTSTANDING, PARAMS, PREFIX, WITHDRAW_ADDRS,
};

/// The module account holding every coin distribution accounts for (outstanding rewards,
/// commission, the community pool). It needs no permission.
pub const MODULE_ACCOUNT: &str = "distribution";
/// The module account the ante step pays fees into (and the rewards module its validator
/// bucket); distribution empties it at every begin block.
pub const FEE_COLLECTOR: &str = "fee_collector";

/// A validator as distribution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeValidator {
    pub operator: Vec<u8>,
    /// CometBFT address: sha256(ed25519 key)[..20].
    pub consensus: Vec<u8>,
    pub tokens: Uint128,
    pub delegator_shares: Decimal256,
    pub commission_rate: Decimal256,
}

impl StakeValidator {
    /// shares × tokens ÷ delegator shares in 10^-18 units, before the final rounding.
    fn share_value(&self, shares: Decimal256) -> Option<(Uint512, Uint512)> {
        if self.delegator_shares.is_zero() {
            return None;
        }
        let numerator = Uint512::from(shares.atomics())
            .checked_mul(Uint512::from(self.tokens))
            .ok()?
            .checked_mul(Uint512::from(ONE))
            .ok()?;
        Some((numerator, Uint512::from(self.delegator_shares.atomics())))
    }

    /// The tokens `shares` are worth, truncated to 18 places (the SDK's
    /// `TokensFromSharesTruncated`); zero for a validator without shares.
    pub fn tokens_from_shares_truncated(&self, shares: Decimal256) -> Decimal256 {
        self.share_value(shares)
            .and_then(|(n, d)| Uint256::try_from(n / d).ok())
            .map(Decimal256::new)
            .unwrap_or_default()
    }

    /// The tokens `shares` are worth, rounded half to even (the SDK's `TokensFromShares`).
    pub fn tokens_from_shares(&self, shares: Decimal256) -> Decimal256 {
        self.share_value(shares)
            .and_then(|(n, d)| {
                // Quo rounds n × 10^18 ÷ d at 36 places, then to 18.
                let q = n.checked_mul(Uint512::from(ONE)).ok()? / d;
                let one = Uint512::from(ONE);
                let (quo, rem) = (q / one, q % one);
                let half = Uint512::from(ONE / 2);
                let up = rem > half || (rem == half && quo % Uint512::from(2u8) == Uint512::one());
                let quo = if up { quo + Uint512::one() } else { quo };
                Uint256::try_from(quo).ok()
            })
            .map(Decimal256::new)
            .unwrap_or_default()
    }
}

/// What distribution needs from the staking module.
pub trait DistributionStaking: Send + Sync + 'static {
    fn validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<StakeValidator>>;
    fn validator_by_consensus(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<StakeValidator>>;
    /// The shares `delegator` holds at `operator`.
    fn delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<Option<Decimal256>>;
    /// Every delegation of `delegator`: (operator, shares), in operator order.
    fn delegations_of(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
    ) -> AppResult<Vec<(Vec<u8>, Decimal256)>>;
    /// Every delegation to `operator`: (delegator, shares), in delegator order.
    fn delegations_to(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Vec<(Vec<u8>, Decimal256)>>;
    /// Every validator's operator, in order (for the invariants).
    fn operators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<Vec<u8>>>;
    /// The staking denom (the SDK writes a zero withdrawal as `0<denom>`).
    fn bond_denom(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<String>;
}

fn stake_validator(v: depin_staking::Validator) -> StakeValidator {
    StakeValidator {
        consensus: v.consensus_address(),
        operator: v.operator.to_vec(),
        tokens: v.tokens,
        delegator_shares: v.delegator_shares,
        commission_rate: v.commission.rates.rate,
    }
}

impl DistributionStaking for StakingKeeper {
    fn validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<StakeValidator>> {
        Ok(StakingKeeper::validator(self, ctx, operator)?.map(stake_validator))
    }

    fn validator_by_consensus(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<StakeValidator>> {
        Ok(self
            .validator_by_consensus_address(ctx, consensus)?
            .map(stake_validator))
    }

    fn delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<Option<Decimal256>> {
        StakingKeeper::delegation(self, ctx, delegator, operator)
    }

    fn delegations_of(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
    ) -> AppResult<Vec<(Vec<u8>, Decimal256)>> {
        use depin_staking::state::{DELEGATIONS, PREFIX};
        let store = ctx.storage(PREFIX);
        Ok(DELEGATIONS
            .prefix(delegator)
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?)
    }

    fn delegations_to(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Vec<(Vec<u8>, Decimal256)>> {
        use depin_staking::state::{DELEGATIONS_BY_VALIDATOR, PREFIX};
        let delegators: Vec<Vec<u8>> = DELEGATIONS_BY_VALIDATOR
            .prefix(operator)
            .keys(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(delegators.len());
        for d in delegators {
            if let Some(shares) = StakingKeeper::delegation(self, ctx, &d, operator)? {
                out.push((d, shares));
            }
        }
        Ok(out)
    }

    fn operators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<Vec<u8>>> {
        use depin_staking::state::{PREFIX, VALIDATORS};
        Ok(VALIDATORS
            .keys(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?)
    }

    fn bond_denom(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<String> {
        Ok(self.params(ctx)?.bond_denom)
    }
}

/// What distribution needs from the bank. Every transfer does nothing for no coins.
pub trait DistributionBank: Send + Sync + 'static {
    fn all_balances(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Vec<Coin>>;
    fn send_module_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &str,
        to: &str,
        amount: &[Coin],
    ) -> AppResult<()>;
    fn send_module_to_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()>;
    fn send_account_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()>;
    /// Addresses that may not receive funds from users (module accounts).
    fn is_blocked(&self, address: &[u8]) -> bool;
}

impl DistributionBank for depin_bank::BankKeeper {
    fn all_balances(&self, ctx: &mut Ctx<'_, '_>, address: &[u8]) -> AppResult<Vec<Coin>> {
        depin_bank::BankKeeper::all_balances(self, ctx, address)
    }

    fn send_module_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &str,
        to: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        let to = self.module_account(to)?.address();
        self.send_from_module(ctx, from, &to, amount)
    }

    fn send_module_to_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        self.send_from_module(ctx, module, to, amount)
    }

    fn send_account_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        if amount.is_empty() {
            return Ok(());
        }
        self.send_to_module(ctx, from, module, amount)
    }

    fn is_blocked(&self, address: &[u8]) -> bool {
        depin_bank::BankKeeper::is_blocked(self, address)
    }
}

/// Where coins paid into the community pool come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundSource {
    /// A user account (it must hold the coins).
    Account(Vec<u8>),
    /// Another module's account, by name (the rewards module's buckets).
    Module(String),
}

#[derive(Clone)]
pub struct DistributionKeeper {
    accounts: AddressCodec,
    operators: AddressCodec,
    consensus: AddressCodec,
    staking: Arc<dyn DistributionStaking>,
    bank: Arc<dyn DistributionBank>,
}

impl DistributionKeeper {
    /// `codec` is the chain's account codec; operator and consensus addresses use its prefix
    /// followed by `valoper` and `valcons`, as the staking keeper's do.
    pub fn new(
        codec: AddressCodec,
        staking: impl DistributionStaking,
        bank: impl DistributionBank,
    ) -> Self {
        let operators = AddressCodec::new(&format!("{}valoper", codec.prefix()));
        let consensus = AddressCodec::new(&format!("{}valcons", codec.prefix()));
        DistributionKeeper {
            accounts: codec,
            operators,
            consensus,
            staking: Arc::new(staking),
            bank: Arc::new(bank),
        }
    }

    /// The staking hooks distribution needs; register them with `StakingKeeper::set_hooks`
    /// (through `MultiHooks` with slashing's).
    pub fn hooks(&self) -> DistributionHooks {
        DistributionHooks {
            keeper: self.clone(),
        }
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.accounts
    }

    pub fn operator_codec(&self) -> &AddressCodec {
        &self.operators
    }

    pub fn consensus_codec(&self) -> &AddressCodec {
        &self.consensus
    }

    pub(crate) fn staking(&self) -> &dyn DistributionStaking {
        self.staking.as_ref()
    }

    pub(crate) fn bank(&self) -> &dyn DistributionBank {
        self.bank.as_ref()
    }

    pub fn module_address(&self) -> Vec<u8> {
        module_address(MODULE_ACCOUNT)
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    /// The community pool, decimal dust included.
    pub fn community_pool(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<DecCoins> {
        Ok(COMMUNITY_POOL
            .may_load(&ctx.storage(PREFIX))?
            .unwrap_or_default())
    }

    pub(crate) fn set_community_pool(
        &self,
        ctx: &mut Ctx<'_, '_>,
        pool: &DecCoins,
    ) -> AppResult<()> {
        let mut store = ctx.storage(PREFIX);
        if pool.is_zero() {
            COMMUNITY_POOL.remove(&mut store);
        } else {
            COMMUNITY_POOL.save(&mut store, pool)?;
        }
        Ok(())
    }

    pub(crate) fn add_to_community_pool(
        &self,
        ctx: &mut Ctx<'_, '_>,
        amount: &DecCoins,
    ) -> AppResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let pool = self.community_pool(ctx)?.add(amount)?;
        self.set_community_pool(ctx, &pool)
    }

    /// What the module account must hold: Σ outstanding rewards + the community pool, per
    /// denom, decimals included (README.md § Invariants).
    pub fn holdings(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<DecCoins> {
        let mut total = self.community_pool(ctx)?;
        let all: Vec<(Vec<u8>, DecCoins)> = OUTSTANDING
            .range(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for (_, o) in all {
            total = total.add(&o)?;
        }
        Ok(total)
    }

    /// Pays `amount` (valid, non-empty coins) from `source` into the community pool.
    pub fn fund_community_pool(
        &self,
        ctx: &mut Ctx<'_, '_>,
        source: &FundSource,
        amount: &[Coin],
    ) -> AppResult<()> {
        coins::validate(amount)?;
        if amount.is_empty() {
            return Err(DistributionError::InvalidRequest(
                "funding the community pool needs at least one coin".into(),
            )
            .into());
        }
        ctx.atomic(|ctx| {
            match source {
                FundSource::Account(from) => {
                    self.bank()
                        .send_account_to_module(ctx, from, MODULE_ACCOUNT, amount)?
                }
                FundSource::Module(name) => {
                    self.bank()
                        .send_module_to_module(ctx, name, MODULE_ACCOUNT, amount)?
                }
            }
            self.add_to_community_pool(ctx, &DecCoins::from_coins(amount))
        })
    }

    /// Pays `amount` out of the community pool to `recipient` (the authority's
    /// `MsgCommunityPoolSpend`).
    pub fn distribute_from_community_pool(
        &self,
        ctx: &mut Ctx<'_, '_>,
        recipient: &[u8],
        amount: &[Coin],
    ) -> AppResult<()> {
        let pool = self.community_pool(ctx)?;
        let want = DecCoins::from_coins(amount);
        if !pool.covers(&want) {
            return Err(DistributionError::BadDistribution {
                have: pool.to_string(),
                want: coins::format(amount),
            }
            .into());
        }
        let left = pool.sub(&want)?;
        self.set_community_pool(ctx, &left)?;
        self.bank()
            .send_module_to_account(ctx, MODULE_ACCOUNT, recipient, amount)
    }

    /// Where `delegator`'s rewards (and, for an operator, its commission) are paid.
    pub fn withdraw_address(&self, ctx: &mut Ctx<'_, '_>, delegator: &[u8]) -> AppResult<Vec<u8>> {
        Ok(WITHDRAW_ADDRS
            .may_load(&ctx.storage(PREFIX), delegator)?
            .map(|b| b.to_vec())
            .unwrap_or_else(|| delegator.to_vec()))
    }

    pub fn outstanding_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<DecCoins> {
        Ok(OUTSTANDING
            .may_load(&ctx.storage(PREFIX), operator)?
            .unwrap_or_default())
    }

    pub(crate) fn set_outstanding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        v: &DecCoins,
    ) -> AppResult<()> {
        Ok(OUTSTANDING.save(&mut ctx.storage(PREFIX), operator, v)?)
    }

    pub fn accumulated_commission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<DecCoins> {
        Ok(COMMISSION
            .may_load(&ctx.storage(PREFIX), operator)?
            .unwrap_or_default())
    }

    pub(crate) fn set_commission(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        v: &DecCoins,
    ) -> AppResult<()> {
        Ok(COMMISSION.save(&mut ctx.storage(PREFIX), operator, v)?)
    }

    /// Whether distribution tracks `operator` (it has current rewards).
    pub fn has_validator(&self, ctx: &mut Ctx<'_, '_>, operator: &[u8]) -> bool {
        CURRENT.has(&ctx.storage(PREFIX), operator)
    }

    /// The rewards `delegator`'s delegation to `operator` would withdraw now, decimals
    /// included (computed on a branch that is thrown away, as the SDK's queries do).
    pub fn delegation_rewards(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<DecCoins> {
        let validator = self
            .staking()
            .validator(ctx, operator)?
            .ok_or_else(|| DistributionError::NoValidatorExists(self.operators.encode(operator)))?;
        let shares = self
            .staking()
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| DistributionError::NoDelegationExists {
                delegator: self.accounts.encode(delegator),
                validator: self.operators.encode(operator),
            })?;
        dry_run(ctx, |ctx| {
            let ending = self.increment_validator_period(ctx, &validator)?;
            self.calculate_delegation_rewards(ctx, &validator, delegator, shares, ending)
        })
    }
}

/// Runs `f` on a branch of `ctx` that is discarded whatever happens: reads see its writes,
/// nothing stays.
pub(crate) fn dry_run<T>(
    ctx: &mut Ctx<'_, '_>,
    f: impl FnOnce(&mut Ctx<'_, '_>) -> AppResult<T>,
) -> AppResult<T> {
    let env = ctx.env;
    let mut branch = ctx.store.branch();
    let mut sub = Ctx::new(&mut branch, env);
    f(&mut sub)
}

pub(crate) fn dec_from_power(power: u64) -> Decimal256 {
    dec::from_int(Uint128::from(power))
}

/// The staking hooks of distribution, as the Cosmos SDK's: a new validator gets its reward
/// records; a delegation about to change withdraws its rewards first and starts counting
/// again after; a slash ends the validator's period and records the fraction; a removed
/// validator's commission is paid out and its dust goes to the community pool.
#[derive(Clone)]
pub struct DistributionHooks {
    keeper: DistributionKeeper,
}

impl StakingHooks for DistributionHooks {
    fn after_validator_created(&self, ctx: &mut Ctx<'_, '_>, operator: &[u8]) -> AppResult<()> {
        self.keeper.initialize_validator(ctx, operator)
    }

    fn after_validator_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        _consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.keeper.validator_removed(ctx, operator)
    }

    fn before_delegation_created(
        &self,
        ctx: &mut Ctx<'_, '_>,
        _delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let validator = self.keeper.must_validator(ctx, operator)?;
        self.keeper.increment_validator_period(ctx, &validator)?;
        Ok(())
    }

    fn before_delegation_shares_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let validator = self.keeper.must_validator(ctx, operator)?;
        let shares = self
            .keeper
            .staking()
            .delegation(ctx, delegator, operator)?
            .ok_or_else(|| DistributionError::EmptyDelegationDistInfo {
                delegator: self.keeper.accounts.encode(delegator),
                validator: self.keeper.operators.encode(operator),
            })?;
        self.keeper
            .withdraw_rewards(ctx, &validator, delegator, shares)?;
        Ok(())
    }

    fn after_delegation_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.keeper.initialize_delegation(ctx, operator, delegator)
    }

    fn before_validator_slashed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        fraction: Decimal256,
    ) -> AppResult<()> {
        self.keeper
            .update_validator_slash_fraction(ctx, operator, fraction)
    }
}
