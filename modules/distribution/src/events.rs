//! Distribution events, in the Cosmos SDK's shape. Validators are operator addresses
//! (`<prefix>valoper1…`), delegators account addresses; amounts are coin lists
//! ("5udepin,1uatom"), decimal coin lists for allocations ("1.500000000000000000udepin").

use depin_app::context::Event;

/// Commission credited to a validator at allocation.
pub fn commission(amount: &str, validator: &str) -> Event {
    Event::new("commission")
        .attr("amount", amount)
        .attr("validator", validator)
}

/// Rewards (commission included) allocated to a validator.
pub fn rewards(amount: &str, validator: &str) -> Event {
    Event::new("rewards")
        .attr("amount", amount)
        .attr("validator", validator)
}

/// A delegation's rewards were paid (`0<bond denom>` when there was nothing to pay).
pub fn withdraw_rewards(amount: &str, validator: &str, delegator: &str) -> Event {
    Event::new("withdraw_rewards")
        .attr("amount", amount)
        .attr("validator", validator)
        .attr("delegator", delegator)
}

/// A validator's commission was paid.
pub fn withdraw_commission(amount: &str, validator: &str) -> Event {
    Event::new("withdraw_commission")
        .attr("amount", amount)
        .attr("validator", validator)
}

pub fn set_withdraw_address(withdraw_address: &str, delegator: &str) -> Event {
    Event::new("set_withdraw_address")
        .attr("withdraw_address", withdraw_address)
        .attr("delegator", delegator)
}

/// The authority paid coins out of the community pool.
pub fn community_pool_spend(recipient: &str, amount: &str) -> Event {
    Event::new("community_pool_spend")
        .attr("recipient", recipient)
        .attr("amount", amount)
}

pub fn update_params(authority: &str) -> Event {
    Event::new("update_params")
        .attr("module", "distribution")
        .attr("authority", authority)
}
