//! Genesis in the Cosmos SDK's JSON shape (`app_state.bank`), so genesis files written by
//! the usual tools read as they expect.

use std::collections::BTreeMap;

use cosmwasm_std::{Order, Uint128};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

use crate::error::BankError;
use crate::params::Params;
use crate::state::{
    DenomMetadata, BALANCES, BURNED, DENOM_METADATA, MINTED, PARAMS, PREFIX, SUPPLY,
};
use crate::BankModule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    pub params: Params,
    pub balances: Vec<Balance>,
    /// Must equal the sum of `balances` when given; computed when empty.
    pub supply: Vec<Coin>,
    pub denom_metadata: Vec<DenomMetadata>,
    /// Accepted for compatibility with Cosmos genesis files; must be empty (use params).
    pub send_enabled: Vec<serde_json::Value>,
    /// Everything minted and burned since the chain's first genesis, by denom (an extension
    /// of the Cosmos shape; absent in a new chain's genesis).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub minted: Vec<Coin>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub burned: Vec<Coin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub address: String,
    pub coins: Vec<Coin>,
}

fn invalid(msg: String) -> AppError {
    BankError::InvalidGenesis(msg).into()
}

impl BankModule {
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        genesis
            .params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        if !genesis.send_enabled.is_empty() {
            return Err(invalid(
                "send_enabled is not supported; use params.send_enabled".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut supply: BTreeMap<String, Uint128> = BTreeMap::new();
        for b in &genesis.balances {
            let address = self
                .keeper
                .codec()
                .decode(&b.address)
                .map_err(|e| invalid(e.message))?;
            if !seen.insert(address.clone()) {
                return Err(invalid(format!("{} has two balance entries", b.address)));
            }
            coins::validate(&b.coins)
                .map_err(|e| invalid(format!("{}: {}", b.address, e.message)))?;
            for c in &b.coins {
                let s = supply.entry(c.denom.clone()).or_default();
                *s = s
                    .checked_add(c.amount)
                    .map_err(|_| invalid(format!("supply of {} overflows", c.denom)))?;
            }
            self.keeper.add(ctx, &address, &b.coins)?;
        }
        if !genesis.supply.is_empty() {
            let given: BTreeMap<String, Uint128> = genesis
                .supply
                .iter()
                .map(|c| (c.denom.clone(), c.amount))
                .collect();
            if given != supply {
                return Err(invalid(format!(
                    "supply {} does not equal the sum of balances {}",
                    coins::format(&genesis.supply),
                    coins::format(&to_coins(&supply))
                )));
            }
        }
        let mut store = ctx.storage(PREFIX);
        for (denom, amount) in &supply {
            SUPPLY.save(&mut store, denom, amount)?;
        }
        for m in &genesis.denom_metadata {
            coins::validate_denom(&m.base).map_err(|e| invalid(e.message))?;
            DENOM_METADATA.save(&mut store, &m.base, m)?;
        }
        for (name, totals, map) in [
            ("minted", &genesis.minted, MINTED),
            ("burned", &genesis.burned, BURNED),
        ] {
            coins::validate(totals).map_err(|e| invalid(format!("{name}: {}", e.message)))?;
            for c in totals {
                map.save(&mut store, &c.denom, &c.amount)?;
            }
        }
        PARAMS.save(&mut store, &genesis.params)?;
        // Genesis events are not reported anywhere; drop them.
        ctx.take_events();
        Ok(())
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let store = ctx.storage(PREFIX);
        let mut balances: Vec<Balance> = Vec::new();
        let mut last: Option<Vec<u8>> = None;
        for r in BALANCES.range(&store, None, None, Order::Ascending) {
            let ((address, denom), amount) = r?;
            if last.as_ref() != Some(&address) {
                balances.push(Balance {
                    address: self.keeper.codec().encode(&address),
                    coins: Vec::new(),
                });
                last = Some(address);
            }
            if let Some(b) = balances.last_mut() {
                b.coins.push(Coin { denom, amount });
            }
        }
        let supply = SUPPLY
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(denom, amount)| Coin { denom, amount }))
            .collect::<Result<Vec<_>, _>>()?;
        let denom_metadata = DENOM_METADATA
            .range(&store, None, None, Order::Ascending)
            .map(|r| r.map(|(_, m)| m))
            .collect::<Result<Vec<_>, _>>()?;
        let params = PARAMS.may_load(&store)?.unwrap_or_default();
        let totals = |map: cw_storage_plus::Map<&str, Uint128>| {
            map.range(&store, None, None, Order::Ascending)
                .map(|r| r.map(|(denom, amount)| Coin { denom, amount }))
                .collect::<Result<Vec<_>, _>>()
        };
        let (minted, burned) = (totals(MINTED)?, totals(BURNED)?);
        Ok(GenesisState {
            params,
            balances,
            supply,
            denom_metadata,
            send_enabled: Vec::new(),
            minted,
            burned,
        })
    }

    /// Total supply equals the sum of all balances, denom by denom, and no zero is stored.
    pub(crate) fn invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let store = ctx.storage(PREFIX);
        let mut sums: BTreeMap<String, Uint128> = BTreeMap::new();
        for r in BALANCES.range(&store, None, None, Order::Ascending) {
            let ((_, denom), amount) = r.map_err(|e| e.to_string())?;
            if amount.is_zero() {
                return Err(format!("a zero balance of {denom} is stored"));
            }
            let s = sums.entry(denom).or_default();
            *s = s.checked_add(amount).map_err(|e| e.to_string())?;
        }
        let supply: BTreeMap<String, Uint128> = SUPPLY
            .range(&store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if sums != supply {
            return Err(format!(
                "total supply {} != sum of balances {}",
                coins::format(&to_coins(&supply)),
                coins::format(&to_coins(&sums))
            ));
        }
        Ok(())
    }
}

fn to_coins(m: &BTreeMap<String, Uint128>) -> Vec<Coin> {
    m.iter()
        .map(|(denom, amount)| Coin {
            denom: denom.clone(),
            amount: *amount,
        })
        .collect()
}
