//! Every collection the auth module keeps, under the prefix `auth/`.

use cosmwasm_std::Binary;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::params::Params;

pub const PREFIX: &[u8] = b"auth/";

/// address → account.
pub const ACCOUNTS: Map<&[u8], Account> = Map::new("a");
/// The number the next new account gets.
pub const NEXT_ACCOUNT_NUMBER: Item<u64> = Item::new("n");
pub const PARAMS: Item<Params> = Item::new("p");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_number: u64,
    pub sequence: u64,
    /// Compressed secp256k1 key, set by the account's first signed transaction.
    pub pub_key: Option<Binary>,
    /// Set for module accounts.
    pub module: Option<ModuleInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub name: String,
    pub permissions: Vec<String>,
}
