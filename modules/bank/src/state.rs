//! Every collection the bank keeps, under the module prefix `bank/`.

use cosmwasm_std::Uint128;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::params::Params;

pub const PREFIX: &[u8] = b"bank/";

/// (address, denom) → amount. Zero balances are deleted, never stored.
pub const BALANCES: Map<(&[u8], &str), Uint128> = Map::new("b");
/// denom → total supply.
pub const SUPPLY: Map<&str, Uint128> = Map::new("s");
pub const PARAMS: Item<Params> = Item::new("p");
/// denom → everything minted since the chain's first genesis (carried across exports).
pub const MINTED: Map<&str, Uint128> = Map::new("mt");
/// denom → everything burned since the chain's first genesis (carried across exports).
pub const BURNED: Map<&str, Uint128> = Map::new("bt");
/// base denom → metadata.
pub const DENOM_METADATA: Map<&str, DenomMetadata> = Map::new("m");

/// Display information of a denom (cosmos.bank.v1beta1.Metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DenomMetadata {
    pub description: String,
    pub denom_units: Vec<DenomUnit>,
    pub base: String,
    pub display: String,
    pub name: String,
    pub symbol: String,
    pub uri: String,
    pub uri_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DenomUnit {
    pub denom: String,
    pub exponent: u32,
    pub aliases: Vec<String>,
}

impl DenomMetadata {
    pub fn to_proto(&self) -> cosmrs::proto::cosmos::bank::v1beta1::Metadata {
        use cosmrs::proto::cosmos::bank::v1beta1 as pb;
        pb::Metadata {
            description: self.description.clone(),
            denom_units: self
                .denom_units
                .iter()
                .map(|u| pb::DenomUnit {
                    denom: u.denom.clone(),
                    exponent: u.exponent,
                    aliases: u.aliases.clone(),
                })
                .collect(),
            base: self.base.clone(),
            display: self.display.clone(),
            name: self.name.clone(),
            symbol: self.symbol.clone(),
            uri: self.uri.clone(),
            uri_hash: self.uri_hash.clone(),
        }
    }
}
