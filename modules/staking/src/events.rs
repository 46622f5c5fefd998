//! Staking events, in the Cosmos SDK's shape so explorers and `tx_search` read them as usual.
//! Addresses are bech32 (validators with the operator prefix), amounts coins (`100udepin`),
//! shares 18-place decimals, times RFC 3339.

use depin_app::context::Event;

pub fn create_validator(validator: &str, amount: &str) -> Event {
    Event::new("create_validator")
        .attr("validator", validator)
        .attr("amount", amount)
}

pub fn edit_validator(commission_rate: &str, min_self_delegation: &str) -> Event {
    Event::new("edit_validator")
        .attr("commission_rate", commission_rate)
        .attr("min_self_delegation", min_self_delegation)
}

pub fn delegate(validator: &str, delegator: &str, amount: &str, new_shares: &str) -> Event {
    Event::new("delegate")
        .attr("validator", validator)
        .attr("delegator", delegator)
        .attr("amount", amount)
        .attr("new_shares", new_shares)
}

pub fn unbond(validator: &str, delegator: &str, amount: &str, completion_time: &str) -> Event {
    Event::new("unbond")
        .attr("validator", validator)
        .attr("delegator", delegator)
        .attr("amount", amount)
        .attr("completion_time", completion_time)
}

pub fn redelegate(
    source: &str,
    destination: &str,
    delegator: &str,
    amount: &str,
    completion_time: &str,
) -> Event {
    Event::new("redelegate")
        .attr("source_validator", source)
        .attr("destination_validator", destination)
        .attr("delegator", delegator)
        .attr("amount", amount)
        .attr("completion_time", completion_time)
}

pub fn cancel_unbonding_delegation(
    validator: &str,
    delegator: &str,
    amount: &str,
    creation_height: u64,
) -> Event {
    Event::new("cancel_unbonding_delegation")
        .attr("validator", validator)
        .attr("delegator", delegator)
        .attr("amount", amount)
        .attr("creation_height", creation_height.to_string())
}

pub fn complete_unbonding(amount: &str, validator: &str, delegator: &str) -> Event {
    Event::new("complete_unbonding")
        .attr("amount", amount)
        .attr("validator", validator)
        .attr("delegator", delegator)
}

pub fn complete_redelegation(
    amount: &str,
    source: &str,
    destination: &str,
    delegator: &str,
) -> Event {
    Event::new("complete_redelegation")
        .attr("amount", amount)
        .attr("source_validator", source)
        .attr("destination_validator", destination)
        .attr("delegator", delegator)
}

pub fn update_params(authority: &str) -> Event {
    Event::new("update_params")
        .attr("module", "staking")
        .attr("authority", authority)
}
