//! Data credits paying device fees: a [`depin_device::keeper::DeviceBank`] that charges a fee
//! in the rewards denom to the payer's data credits when it holds enough (fee × credits_per_unit
//! credits, destroyed), and burns tokens otherwise — Helium's burn-and-mint: device fees are
//! paid in credits bought by burning the token.
//!
//! The registry is built before the rewards keeper (which reads the registry), so the keeper is
//! handed over afterwards with [`CreditsFirst::set_rewards`].

use std::sync::{Arc, OnceLock};

use cosmwasm_std::Uint128;
use depin_app::coins::Coin;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_device::keeper::DeviceBank;

use crate::keeper::RewardsKeeper;

#[derive(Clone)]
pub struct CreditsFirst {
    bank: depin_bank::BankKeeper,
    rewards: Arc<OnceLock<RewardsKeeper>>,
}

impl CreditsFirst {
    pub fn new(bank: depin_bank::BankKeeper) -> Self {
        CreditsFirst {
            bank,
            rewards: Arc::new(OnceLock::new()),
        }
    }

    /// Hands over the rewards keeper (once; every clone sees it).
    pub fn set_rewards(&self, rewards: RewardsKeeper) {
        let _ = self.rewards.set(rewards);
    }

    /// The credits that pay `amount` of the rewards denom, when credits are on.
    fn credits_for(&self, ctx: &mut Ctx<'_, '_>, coin: &Coin) -> AppResult<Option<Uint128>> {
        let Some(rewards) = self.rewards.get() else {
            return Ok(None);
        };
        let params = rewards.params(ctx)?;
        if coin.denom != params.denom || params.credits_per_unit == 0 {
            return Ok(None);
        }
        Ok(coin
            .amount
            .checked_mul(Uint128::from(params.credits_per_unit))
            .ok())
    }
}

impl DeviceBank for CreditsFirst {
    /// Token balance, plus what the holder's credits are worth in tokens (for the rewards
    /// denom): the registry refuses a fee that neither can pay.
    fn balance(&self, ctx: &mut Ctx<'_, '_>, address: &[u8], denom: &str) -> AppResult<Uint128> {
        let tokens = depin_bank::BankKeeper::balance(&self.bank, ctx, address, denom)?;
        let Some(rewards) = self.rewards.get() else {
            return Ok(tokens);
        };
        let params = rewards.params(ctx)?;
        if denom != params.denom || params.credits_per_unit == 0 {
            return Ok(tokens);
        }
        let credits = rewards.credits(ctx, address)?;
        let worth = credits.u128() / u128::from(params.credits_per_unit);
        // Either pays the fee whole: the larger is what can be charged.
        Ok(tokens.max(Uint128::new(worth)))
    }

    fn burn_from_account(
        &self,
        ctx: &mut Ctx<'_, '_>,
        from: &[u8],
        module: &str,
        amount: &[Coin],
    ) -> AppResult<()> {
        let mut burn = Vec::new();
        for coin in amount {
            if let (Some(rewards), Some(need)) = (self.rewards.get(), self.credits_for(ctx, coin)?)
            {
                if rewards.credits(ctx, from)? >= need {
                    rewards.spend_credits(ctx, from, need)?;
                    continue;
                }
            }
            burn.push(coin.clone());
        }
        if burn.is_empty() {
            return Ok(());
        }
        self.bank.send_to_module(ctx, from, module, &burn)?;
        self.bank.burn(ctx, module, &burn)
    }
}
