//! Bank events, in the Cosmos SDK's shape so explorers and `tx_search` read them as usual.

use depin_app::coins::{format, Coin};
use depin_app::context::Event;

pub fn coin_spent(spender: &str, amount: &[Coin]) -> Event {
    Event::new("coin_spent")
        .attr("spender", spender)
        .attr("amount", format(amount))
}

pub fn coin_received(receiver: &str, amount: &[Coin]) -> Event {
    Event::new("coin_received")
        .attr("receiver", receiver)
        .attr("amount", format(amount))
}

pub fn transfer(sender: &str, recipient: &str, amount: &[Coin]) -> Event {
    Event::new("transfer")
        .attr("recipient", recipient)
        .attr("sender", sender)
        .attr("amount", format(amount))
}

pub fn mint(minter: &str, amount: &[Coin]) -> Event {
    Event::new("coinbase")
        .attr("minter", minter)
        .attr("amount", format(amount))
}

pub fn burn(burner: &str, amount: &[Coin]) -> Event {
    Event::new("burn")
        .attr("burner", burner)
        .attr("amount", format(amount))
}

pub fn update_params(authority: &str) -> Event {
    Event::new("update_params")
        .attr("module", "bank")
        .attr("authority", authority)
}
