//! What other modules may call (validators, delegations, slash, jail, unjail), the hooks they
//! can register, and what staking needs from the bank.

use std::sync::{Arc, OnceLock};

use cosmwasm_std::{Decimal256, Order, Timestamp, Uint128};
use depin_app::address::{module_address, AddressCodec};
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;

use crate::error::StakingError;
use crate::params::Params;
use crate::state::{
    DELEGATIONS, LAST_POWERS, PARAMS, POWER_RANK, PREFIX, VALIDATORS, VALIDATORS_BY_CONS,
};
use crate::types::{BondStatus, Validator};

/// Module account holding the tokens of Bonded validators.
pub const BONDED_POOL: &str = "bonded_tokens_pool";
/// Module account holding the tokens of Unbonded and Unbonding validators and of unbonding
/// entries.
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";

/// What staking needs from the bank. Every method does nothing for a zero amount.
pub trait StakingBank: Send + Sync + 'static {
    /// A delegation: `amount` from an account into a pool.
    fn delegate_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &Coin,
    ) -> AppResult<()>;
    /// A completed unbonding: `amount` from a pool back to an account.
    fn undelegate_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &Coin,
    ) -> AppResult<()>;
    /// Between the bonded and the not-bonded pool.
    fn move_between_modules(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &str,
        to: &str,
        amount: &Coin,
    ) -> AppResult<()>;
    /// A slash: destroys `amount` in a pool (which needs the burner permission).
    fn burn_from_module(&self, ctx: &mut Ctx<'_, '_>, module: &str, amount: &Coin)
        -> AppResult<()>;
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128>;
}

impl StakingBank for depin_bank::BankKeeper {
    fn delegate_to_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &Coin,
    ) -> AppResult<()> {
        if amount.amount.is_zero() {
            return Ok(());
        }
        self.send_to_module(ctx, from, module, std::slice::from_ref(amount))
    }

    fn undelegate_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        to: &[u8],
        amount: &Coin,
    ) -> AppResult<()> {
        if amount.amount.is_zero() {
            return Ok(());
        }
        self.send_from_module(ctx, module, to, std::slice::from_ref(amount))
    }

    fn move_between_modules(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &str,
        to: &str,
        amount: &Coin,
    ) -> AppResult<()> {
        if amount.amount.is_zero() {
            return Ok(());
        }
        let to = self.module_account(to)?.address();
        self.send_from_module(ctx, from, &to, std::slice::from_ref(amount))
    }

    fn burn_from_module(
        &self,
        ctx: &mut Ctx<'_, '_>,
        module: &str,
        amount: &Coin,
    ) -> AppResult<()> {
        if amount.amount.is_zero() {
            return Ok(());
        }
        self.burn(ctx, module, std::slice::from_ref(amount))
    }

    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128> {
        depin_bank::BankKeeper::balance(self, ctx, address, denom)
    }
}

/// Calls other modules (rewards, slashing) get when stake changes. Each runs inside the
/// message or block that made the change: an error fails it. All default to nothing.
///
/// Addresses are raw bytes: `operator` is the validator's operator, `consensus` its CometBFT
/// address (sha256(ed25519 key)[..20]).
pub trait StakingHooks: Send + Sync + 'static {
    fn after_validator_created(&self, ctx: &mut Ctx<'_, '_>, operator: &[u8]) -> AppResult<()> {
        let _ = (ctx, operator);
        Ok(())
    }
    /// The validator entered the bonded set.
    fn after_validator_bonded(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, consensus, operator);
        Ok(())
    }
    /// The validator left the bonded set (status Unbonding).
    fn after_validator_begin_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, consensus, operator);
        Ok(())
    }
    /// The validator was deleted (unbonded, with no delegations left).
    fn after_validator_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, consensus, operator);
        Ok(())
    }
    fn before_delegation_created(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, delegator, operator);
        Ok(())
    }
    fn before_delegation_shares_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, delegator, operator);
        Ok(())
    }
    fn before_delegation_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, delegator, operator);
        Ok(())
    }
    fn after_delegation_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        let _ = (ctx, delegator, operator);
        Ok(())
    }
    /// Before the validator's tokens are cut by `fraction`.
    fn before_validator_slashed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        fraction: Decimal256,
    ) -> AppResult<()> {
        let _ = (ctx, operator, fraction);
        Ok(())
    }
}

/// The hooks of a chain without rewards or slashing.
pub struct NoHooks;
impl StakingHooks for NoHooks {}

#[derive(Clone)]
pub struct StakingKeeper {
    accounts: AddressCodec,
    operators: AddressCodec,
    consensus: AddressCodec,
    bank: Arc<dyn StakingBank>,
    /// Shared by every clone: hooks registered after other keepers took a clone still reach
    /// them. Unset means [`NoHooks`].
    hooks: Arc<OnceLock<Arc<dyn StakingHooks>>>,
}

impl StakingKeeper {
    /// `codec` is the chain's account codec; operator and consensus addresses use its prefix
    /// followed by `valoper` and `valcons`, as Cosmos chains do.
    pub fn new(codec: AddressCodec, bank: impl StakingBank) -> Self {
        let operators = AddressCodec::new(&format!("{}valoper", codec.prefix()));
        let consensus = AddressCodec::new(&format!("{}valcons", codec.prefix()));
        StakingKeeper {
            accounts: codec,
            operators,
            consensus,
            bank: Arc::new(bank),
            hooks: Arc::new(OnceLock::new()),
        }
    }

    /// Registers the hooks (once; for every clone of this keeper).
    pub fn set_hooks(&self, hooks: impl StakingHooks) -> AppResult<()> {
        self.hooks.set(Arc::new(hooks)).map_err(|_| {
            StakingError::InvalidRequest("staking hooks are already set".into()).into()
        })
    }

    pub(crate) fn hooks(&self) -> &dyn StakingHooks {
        match self.hooks.get() {
            Some(h) => h.as_ref(),
            None => &NoHooks,
        }
    }

    pub(crate) fn bank(&self) -> &dyn StakingBank {
        self.bank.as_ref()
    }

    /// Account addresses (delegators).
    pub fn codec(&self) -> &AddressCodec {
        &self.accounts
    }

    /// Validator operator addresses (`<prefix>valoper1…`).
    pub fn operator_codec(&self) -> &AddressCodec {
        &self.operators
    }

    /// Consensus addresses (`<prefix>valcons1…`).
    pub fn consensus_codec(&self) -> &AddressCodec {
        &self.consensus
    }

    pub fn params(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Params> {
        Ok(PARAMS.may_load(&ctx.storage(PREFIX))?.unwrap_or_default())
    }

    pub fn validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Option<Validator>> {
        Ok(VALIDATORS.may_load(&ctx.storage(PREFIX), operator)?)
    }

    pub fn validator_by_consensus_address(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
    ) -> AppResult<Option<Validator>> {
        let Some(operator) = VALIDATORS_BY_CONS.may_load(&ctx.storage(PREFIX), consensus)? else {
            return Ok(None);
        };
        self.validator(ctx, &operator)
    }

    /// The validator, or `NoValidator`.
    pub(crate) fn must_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Validator> {
        self.validator(ctx, operator)?
            .ok_or_else(|| StakingError::NoValidator(self.operators.encode(operator)).into())
    }

    /// The shares `delegator` holds at `operator`.
    pub fn delegation(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<Option<Decimal256>> {
        Ok(DELEGATIONS.may_load(&ctx.storage(PREFIX), (delegator, operator))?)
    }

    /// The tokens of the operator's own delegation to its validator.
    pub fn self_delegation_tokens(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
    ) -> AppResult<Uint128> {
        let Some(v) = self.validator(ctx, operator)? else {
            return Ok(Uint128::zero());
        };
        let shares = self
            .delegation(ctx, operator, operator)?
            .unwrap_or_default();
        Ok(v.tokens_for_shares(shares))
    }

    /// The set last sent to CometBFT: (operator, power), in operator order.
    pub fn last_validator_powers(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<(Vec<u8>, u64)>> {
        let store = ctx.storage(PREFIX);
        Ok(LAST_POWERS
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?)
    }

    /// The balances of the bonded and the not-bonded pool in the bond denom.
    pub fn pool_balances(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<(Uint128, Uint128)> {
        let denom = self.params(ctx)?.bond_denom;
        let bonded = self
            .bank
            .balance(ctx, &module_address(BONDED_POOL), &denom)?;
        let not_bonded = self
            .bank
            .balance(ctx, &module_address(NOT_BONDED_POOL), &denom)?;
        Ok((bonded, not_bonded))
    }

    /// Jails the validator with CometBFT address `consensus`: it leaves the bonded set at the
    /// end of the block and takes no part in the set until unjailed.
    pub fn jail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()> {
        let v = self.by_consensus(ctx, consensus)?;
        if v.jailed {
            return Err(StakingError::ValidatorJailed(self.operators.encode(&v.operator)).into());
        }
        let mut jailed = v.clone();
        jailed.jailed = true;
        self.set_validator(ctx, Some(&v), &jailed)
    }

    /// Lifts the jail: the validator competes for the set again from the end of the block.
    /// Refused while its self delegation is below its minimum. The slashing module checks
    /// its own conditions (jail time, tombstone) first.
    pub fn unjail(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<()> {
        let v = self.by_consensus(ctx, consensus)?;
        if !v.jailed {
            return Err(StakingError::NotJailed(self.operators.encode(&v.operator)).into());
        }
        let own = self.self_delegation_tokens(ctx, &v.operator)?;
        if own < v.min_self_delegation {
            return Err(StakingError::SelfDelegationBelowMinimum {
                amount: own.to_string(),
                min: v.min_self_delegation.to_string(),
            }
            .into());
        }
        let mut free = v.clone();
        free.jailed = false;
        self.set_validator(ctx, Some(&v), &free)
    }

    fn by_consensus(&self, ctx: &mut Ctx<'_, '_>, consensus: &[u8]) -> AppResult<Validator> {
        self.validator_by_consensus_address(ctx, consensus)?
            .ok_or_else(|| StakingError::NoValidator(self.consensus.encode(consensus)).into())
    }

    /// Writes `after`, keeping the power rank in step: `before` is the stored state it
    /// replaces (None for a new validator).
    pub(crate) fn set_validator(
        &self,
        ctx: &mut Ctx<'_, '_>,
        before: Option<&Validator>,
        after: &Validator,
    ) -> AppResult<()> {
        let old = before.and_then(rank_key);
        let new = rank_key(after);
        let mut store = ctx.storage(PREFIX);
        if old != new {
            if let Some((rank, op)) = &old {
                POWER_RANK.remove(&mut store, (*rank, op.as_slice()));
            }
            if let Some((rank, op)) = &new {
                POWER_RANK.save(&mut store, (*rank, op.as_slice()), &())?;
            }
        }
        VALIDATORS.save(&mut store, &after.operator, after)?;
        Ok(())
    }

    /// Deletes an Unbonded validator without tokens or shares.
    pub(crate) fn remove_validator(&self, ctx: &mut Ctx<'_, '_>, v: &Validator) -> AppResult<()> {
        if v.status != BondStatus::Unbonded || !v.tokens.is_zero() || !v.delegator_shares.is_zero()
        {
            return Err(StakingError::Corrupt(format!(
                "validator {} is removed while it still has stake or is in the set",
                self.operators.encode(&v.operator)
            ))
            .into());
        }
        let consensus = v.consensus_address();
        let mut store = ctx.storage(PREFIX);
        if let Some((rank, op)) = rank_key(v) {
            POWER_RANK.remove(&mut store, (rank, op.as_slice()));
        }
        VALIDATORS.remove(&mut store, &v.operator);
        VALIDATORS_BY_CONS.remove(&mut store, &consensus);
        self.hooks()
            .after_validator_removed(ctx, &consensus, &v.operator)
    }

    pub(crate) fn bond_coin(&self, ctx: &mut Ctx<'_, '_>, amount: Uint128) -> AppResult<Coin> {
        Ok(Coin {
            denom: self.params(ctx)?.bond_denom,
            amount,
        })
    }
}

/// The pool holding the tokens of a validator in `status`.
pub(crate) fn pool_of(status: BondStatus) -> &'static str {
    match status {
        BondStatus::Bonded => BONDED_POOL,
        BondStatus::Unbonded | BondStatus::Unbonding => NOT_BONDED_POOL,
    }
}

/// The power-rank key of a validator; jailed validators have none.
pub(crate) fn rank_key(v: &Validator) -> Option<(u64, Vec<u8>)> {
    (!v.jailed).then(|| (u64::MAX - v.potential_power(), v.operator.to_vec()))
}

/// The block time of `ctx`.
pub(crate) fn block_time(ctx: &Ctx<'_, '_>) -> Timestamp {
    // BFT time is after 1970 and before 2554 (u64 nanoseconds); saturate outside.
    let seconds = u64::try_from(ctx.env.time_seconds).unwrap_or_default();
    let nanos = seconds
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(u64::from(ctx.env.time_nanos)))
        .unwrap_or(u64::MAX);
    Timestamp::from_nanos(nanos)
}

/// `t` plus `seconds`, or an overflow error.
pub(crate) fn add_seconds(t: Timestamp, seconds: u64) -> AppResult<Timestamp> {
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(t.nanos()))
        .map(Timestamp::from_nanos)
        .ok_or_else(|| StakingError::Overflow("completion time".into()).into())
}

/// Several modules' staking hooks behind the one `StakingKeeper::set_hooks` takes: each call
/// goes to every member in the order they were added; the first error stops it.
///
/// ```text
/// staking.set_hooks(MultiHooks::new().with(slashing.hooks()).with(rewards.hooks()))?;
/// ```
#[derive(Default)]
pub struct MultiHooks(Vec<Box<dyn StakingHooks>>);

impl MultiHooks {
    pub fn new() -> Self {
        MultiHooks(Vec::new())
    }

    pub fn with(mut self, hooks: impl StakingHooks) -> Self {
        self.0.push(Box::new(hooks));
        self
    }
}

impl StakingHooks for MultiHooks {
    fn after_validator_created(&self, ctx: &mut Ctx<'_, '_>, operator: &[u8]) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.after_validator_created(ctx, operator))
    }
    fn after_validator_bonded(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.after_validator_bonded(ctx, consensus, operator))
    }
    fn after_validator_begin_unbonding(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.after_validator_begin_unbonding(ctx, consensus, operator))
    }
    fn after_validator_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        consensus: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.after_validator_removed(ctx, consensus, operator))
    }
    fn before_delegation_created(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.before_delegation_created(ctx, delegator, operator))
    }
    fn before_delegation_shares_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.before_delegation_shares_modified(ctx, delegator, operator))
    }
    fn before_delegation_removed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.before_delegation_removed(ctx, delegator, operator))
    }
    fn after_delegation_modified(
        &self,
        ctx: &mut Ctx<'_, '_>,
        delegator: &[u8],
        operator: &[u8],
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.after_delegation_modified(ctx, delegator, operator))
    }
    fn before_validator_slashed(
        &self,
        ctx: &mut Ctx<'_, '_>,
        operator: &[u8],
        fraction: Decimal256,
    ) -> AppResult<()> {
        self.0
            .iter()
            .try_for_each(|h| h.before_validator_slashed(ctx, operator, fraction))
    }
}
