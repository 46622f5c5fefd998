//! The settlement arithmetic of a lease against its escrow, on plain values: the keeper applies
//! its result to the state and the bank, the queries show it without writing.
//!
//! A lease is paid for whole blocks: settling at height h pays
//! n = min(h − settled_height, ⌊balance / price⌋) blocks, n × price from the escrow (the
//! oldest deposits first). Of that payment the take is
//! ⌊(payment × take_rate_bps + remainder) / 10,000⌋, where `remainder` is what the takes of the
//! escrow's earlier payments left over (stored per escrow): the total take of a lease is
//! ⌊Σ payments × take_rate_bps / 10,000⌋ however often it is settled. The rest accrues to the
//! lease (`paid`, `unwithdrawn`). When n falls short the lease becomes
//! INSUFFICIENT_FUNDS with `insufficient_since` = the height it is paid up to.

use cosmwasm_std::Uint128;

use crate::error::MarketError;
use crate::params::Params;
use crate::types::{Deposit, EscrowAccount, EscrowState, Lease, LeaseState};

/// What one settlement did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accrual {
    /// Taken out of the escrow (provider share + take).
    pub payment: Uint128,
    pub take: Uint128,
    /// The escrow ran dry in this settlement.
    pub ran_dry: bool,
    /// The lease has been short of funds for the whole grace period: it must close.
    pub grace_over: bool,
    /// The debt of a dry lease was paid in full: it is Active again.
    pub resumed: bool,
}

impl Accrual {
    /// What accrued to the provider.
    pub fn provider_share(&self) -> Uint128 {
        self.payment.saturating_sub(self.take)
    }
}

fn overflow(what: &str) -> MarketError {
    MarketError::Corrupt(format!("{what} overflows"))
}

/// Takes `amount` out of `escrow`, from its oldest deposits first. The caller has checked that
/// the balance covers it.
pub fn consume(escrow: &mut EscrowAccount, amount: Uint128) -> Result<(), MarketError> {
    let mut left = amount;
    while !left.is_zero() {
        let Some(first) = escrow.deposits.first_mut() else {
            return Err(MarketError::Corrupt(format!(
                "escrow {} pays {amount} but its deposits are spent",
                escrow.id
            )));
        };
        let used = left.min(first.amount.amount);
        first.amount.amount -= used;
        left -= used;
        if first.amount.amount.is_zero() {
            escrow.deposits.remove(0);
        }
    }
    escrow.balance.amount =
        escrow.balance.amount.checked_sub(amount).map_err(|_| {
            MarketError::Corrupt(format!("escrow {} balance underflows", escrow.id))
        })?;
    escrow.transferred.amount = escrow
        .transferred
        .amount
        .checked_add(amount)
        .map_err(|_| overflow("escrow transferred"))?;
    Ok(())
}

/// Adds a deposit: a new entry at the back, merged into the last entry when it is the same
/// depositor's, or into the depositor's latest entry when the list is full (`max` entries).
/// The last free entry is kept for the owner (tenant or client): other payers can never fill
/// the list and lock the owner out of topping up its own escrow.
pub fn add_deposit(
    escrow: &mut EscrowAccount,
    depositor: &str,
    amount: Uint128,
    max: u32,
) -> Result<(), MarketError> {
    let slot = if escrow
        .deposits
        .last()
        .is_some_and(|d| d.depositor == depositor)
    {
        escrow.deposits.len().checked_sub(1)
    } else if escrow.deposits.len() < max as usize
        && (depositor == escrow.owner || escrow.deposits.len() < (max as usize).saturating_sub(1))
    {
        escrow.deposits.push(Deposit {
            depositor: depositor.to_string(),
            amount: crate::types::zero(&escrow.balance.denom),
        });
        escrow.deposits.len().checked_sub(1)
    } else {
        escrow
            .deposits
            .iter()
            .rposition(|d| d.depositor == depositor)
    };
    let Some(i) = slot else {
        return Err(MarketError::TooManyDeposits {
            escrow: escrow.id.clone(),
            max,
        });
    };
    let d = &mut escrow.deposits[i];
    d.amount.amount = d
        .amount
        .amount
        .checked_add(amount)
        .map_err(|_| overflow("deposit"))?;
    escrow.balance.amount = escrow
        .balance
        .amount
        .checked_add(amount)
        .map_err(|_| overflow("escrow balance"))?;
    Ok(())
}

/// Settles `lease` against `escrow` up to `height` (see the module doc). A closed lease, or a
/// height at or before the settled one, changes nothing. `remainder` is the escrow's take
/// remainder, updated in place.
///
/// Every block is owed, dry ones included: a lease that ran dry keeps accruing a debt, which
/// later deposits pay first (oldest blocks first). It is Active again only once the debt is
/// paid in full, and its grace counts from the height it first ran dry, so partial top-ups
/// cannot stretch the grace or buy blocks for less than their price.
pub fn accrue(
    lease: &mut Lease,
    escrow: &mut EscrowAccount,
    params: &Params,
    height: i64,
    remainder: &mut u32,
) -> Result<Accrual, MarketError> {
    let mut out = Accrual::default();
    if !lease.is_closed() && height > lease.settled_height {
        let price = lease.price_per_block.amount;
        let blocks = Uint128::from((height - lease.settled_height) as u64);
        let affordable = if price.is_zero() {
            blocks
        } else {
            escrow.balance.amount / price
        };
        let n = blocks.min(affordable);
        let payment = n.checked_mul(price).map_err(|_| overflow("payment"))?;
        consume(escrow, payment)?;
        let (take, rest) = params.take_with_remainder(payment, *remainder);
        *remainder = rest;
        let share = payment.checked_sub(take).map_err(|_| overflow("take"))?;
        lease.paid.amount = lease
            .paid
            .amount
            .checked_add(share)
            .map_err(|_| overflow("lease paid"))?;
        lease.unwithdrawn.amount = lease
            .unwithdrawn
            .amount
            .checked_add(share)
            .map_err(|_| overflow("lease unwithdrawn"))?;
        // n ≤ blocks, which came from an i64 difference.
        lease.settled_height += n.u128() as i64;
        if n < blocks {
            if lease.is(LeaseState::Active) {
                lease.state = LeaseState::InsufficientFunds as i32;
                lease.insufficient_since = lease.settled_height;
                escrow.state = EscrowState::Overdrawn as i32;
                out.ran_dry = true;
            }
        } else if lease.is(LeaseState::InsufficientFunds) {
            // The debt is paid: the lease runs again.
            lease.state = LeaseState::Active as i32;
            lease.insufficient_since = 0;
            escrow.state = EscrowState::Open as i32;
            out.resumed = true;
        }
        out.payment = payment;
        out.take = take;
    }
    if lease.is(LeaseState::InsufficientFunds) {
        let grace = i64::try_from(params.insufficient_funds_grace_blocks).unwrap_or(i64::MAX);
        out.grace_over = height.saturating_sub(lease.insufficient_since) >= grace;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{zero, Deposit};
    use depin_app::coins::Coin;

    fn escrow(deposits: &[(&str, u128)]) -> EscrowAccount {
        let mut e = EscrowAccount {
            id: "order/1".into(),
            owner: "t".into(),
            deposits: Vec::new(),
            balance: zero("u"),
            transferred: zero("u"),
            state: EscrowState::Open as i32,
        };
        for (d, a) in deposits {
            add_deposit(&mut e, d, Uint128::new(*a), 3).unwrap();
        }
        e
    }

    fn lease(price: u128, settled: i64) -> Lease {
        Lease {
            order_id: 1,
            provider: "p".into(),
            tenant: "t".into(),
            price_per_block: Coin::new(price, "u"),
            state: LeaseState::Active as i32,
            created_height: settled,
            settled_height: settled,
            paid: zero("u"),
            unwithdrawn: zero("u"),
            insufficient_since: 0,
            closed_height: 0,
            close_reason: 0,
        }
    }

    #[test]
    fn pays_whole_blocks_oldest_deposit_first() {
        let params = Params {
            take_rate_bps: 250,
            insufficient_funds_grace_blocks: 4,
            ..Params::default()
        };
        let mut e = escrow(&[("a", 150), ("b", 100)]);
        let mut l = lease(70, 10);
        let mut r = 0u32;
        let a = accrue(&mut l, &mut e, &params, 13, &mut r).unwrap();
        // 3 blocks owed, 3 affordable (250 / 70): 210 paid, take 5.
        assert_eq!(a.payment.u128(), 210);
        assert_eq!(a.take.u128(), 5);
        assert_eq!(l.unwithdrawn.amount.u128(), 205);
        assert_eq!(
            e.deposits,
            vec![Deposit {
                depositor: "b".into(),
                amount: Coin::new(40, "u")
            }]
        );
        // Two more blocks owed, none affordable: dry since 13.
        let a = accrue(&mut l, &mut e, &params, 15, &mut r).unwrap();
        assert!(a.ran_dry && !a.grace_over);
        assert_eq!((l.insufficient_since, l.settled_height), (13, 13));
        assert!(
            accrue(&mut l, &mut e, &params, 17, &mut r)
                .unwrap()
                .grace_over
        );
        // A partial top-up at 16 (40 left + 100) pays the two oldest dry blocks (13 → 15), not
        // the blocks since it; the lease stays dry, still since 13: the grace does not restart.
        add_deposit(&mut e, "t", Uint128::new(100), 3).unwrap();
        let a = accrue(&mut l, &mut e, &params, 16, &mut r).unwrap();
        assert_eq!((a.payment.u128(), a.resumed), (140, false));
        assert_eq!((l.settled_height, l.insufficient_since), (15, 13));
        assert!(l.is(LeaseState::InsufficientFunds));
        // Enough for the whole debt: paid up to 16 and Active again.
        add_deposit(&mut e, "t", Uint128::new(200), 3).unwrap();
        let a = accrue(&mut l, &mut e, &params, 16, &mut r).unwrap();
        assert_eq!((a.payment.u128(), a.resumed), (70, true));
        assert_eq!((l.settled_height, l.insufficient_since), (16, 0));
        assert!(l.is(LeaseState::Active));
        assert_eq!(e.deposits_total(), Some(e.balance.amount));
    }

    #[test]
    fn a_full_deposit_list_merges_into_the_depositors_own_entry() {
        // "t" owns the escrow.
        let mut e = escrow(&[("a", 1), ("b", 1), ("t", 1)]);
        add_deposit(&mut e, "a", Uint128::new(5), 3).unwrap();
        assert_eq!(e.deposits[0].amount.amount.u128(), 6);
        assert!(add_deposit(&mut e, "d", Uint128::new(5), 3).is_err());
        add_deposit(&mut e, "b", Uint128::new(1), 3).unwrap();
        assert_eq!(e.deposits.len(), 3);
        assert_eq!(e.balance.amount.u128(), 9);
    }

    #[test]
    fn other_payers_cannot_lock_the_owner_out() {
        // Two other payers take every entry but the last, which stays the owner's.
        let mut e = escrow(&[("a", 1), ("b", 1)]);
        assert!(add_deposit(&mut e, "c", Uint128::new(1), 3).is_err());
        add_deposit(&mut e, "t", Uint128::new(7), 3).unwrap();
        assert_eq!(e.deposits.len(), 3);
        assert_eq!(e.deposits[2].depositor, "t");
        // Once the owner's entry is spent and gone, its slot is free for the owner again.
        e.deposits.pop();
        assert!(add_deposit(&mut e, "c", Uint128::new(1), 3).is_err());
        add_deposit(&mut e, "t", Uint128::new(2), 3).unwrap();
    }

    /// Settles a lease of `price` per block, with `funds` in escrow, from height 0 to `end`
    /// at the heights in `at` (then once more at `end`): (total take, provider share, payment).
    fn settle_at(
        params: &Params,
        price: u128,
        funds: u128,
        at: &[i64],
        end: i64,
    ) -> (u128, u128, u128) {
        let mut e = escrow(&[("t", funds)]);
        let mut l = lease(price, 0);
        let mut r = 0u32;
        let (mut take, mut payment) = (0u128, 0u128);
        for h in at.iter().copied().filter(|h| *h < end).chain([end]) {
            let a = accrue(&mut l, &mut e, params, h, &mut r).unwrap();
            take += a.take.u128();
            payment += a.payment.u128();
            assert_eq!(a.payment, a.take + a.provider_share());
        }
        assert!(r < 10_000);
        (take, l.paid.amount.u128(), payment)
    }

    #[test]
    fn frequent_settlement_does_not_round_the_take_away() {
        // 2% of 10 per block is 0.2: floored per block it would be 0 forever.
        let params = Params {
            take_rate_bps: 200,
            ..Params::default()
        };
        let every_block: Vec<i64> = (1..100).collect();
        let (take, share, payment) = settle_at(&params, 10, 1_000_000, &every_block, 100);
        assert_eq!((take, share, payment), (20, 980, 1_000));
        assert_eq!(
            settle_at(&params, 10, 1_000_000, &[], 100),
            (20, 980, 1_000)
        );
    }

    proptest::proptest! {
        /// Settling every block, at random heights or once gives the same total take and
        /// provider payout: ⌊Σ payments × take_rate_bps / 10,000⌋ and the rest.
        #[test]
        fn the_take_does_not_depend_on_how_often_a_lease_settles(
            price in 1u128..5_000,
            bps in 0u32..=10_000,
            funds in 0u128..2_000_000,
            end in 1i64..300,
            mut heights in proptest::collection::vec(1i64..300, 0..40),
        ) {
            let params = Params { take_rate_bps: bps, ..Params::default() };
            heights.sort_unstable();
            let every_block: Vec<i64> = (1..end).collect();
            let once = settle_at(&params, price, funds, &[], end);
            let each = settle_at(&params, price, funds, &every_block, end);
            let random = settle_at(&params, price, funds, &heights, end);
            proptest::prop_assert_eq!(once, each);
            proptest::prop_assert_eq!(once, random);
            let (take, share, payment) = once;
            proptest::prop_assert_eq!(take, payment * u128::from(bps) / 10_000);
            proptest::prop_assert_eq!(share, payment - take);
        }

        /// The remainder arithmetic never overflows and never takes more than the payment.
        #[test]
        fn take_with_remainder_is_bounded(
            payment in proptest::prelude::any::<u128>(),
            bps in 0u32..=10_000,
            remainder in 0u32..10_000,
        ) {
            let params = Params { take_rate_bps: bps, ..Params::default() };
            let (take, rest) = params.take_with_remainder(Uint128::new(payment), remainder);
            proptest::prop_assert!(take.u128() <= payment);
            proptest::prop_assert!(rest < 10_000);
            if payment < u128::MAX / 10_000 {
                let num = payment * u128::from(bps) + u128::from(remainder);
                proptest::prop_assert_eq!(take.u128(), num / 10_000);
                proptest::prop_assert_eq!(u128::from(rest), num % 10_000);
            }
        }
    }
}
