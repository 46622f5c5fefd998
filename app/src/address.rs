//! Account addresses: 20 raw bytes in state, bech32 with the chain's prefix at the edges.

use sha2::{Digest, Sha256};

use crate::error::{sdk, AppError};

/// Encodes and decodes bech32 account addresses with one human-readable prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressCodec {
    prefix: String,
}

impl AddressCodec {
    pub fn new(prefix: &str) -> Self {
        AddressCodec {
            prefix: prefix.to_string(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn encode(&self, bytes: &[u8]) -> String {
        // A prefix that bech32 cannot carry is refused when the app is built, and every
        // address we encode is 20 or 32 bytes, so this cannot fail.
        cosmrs::AccountId::new(&self.prefix, bytes)
            .map(|id| id.to_string())
            .unwrap_or_default()
    }

    /// The raw bytes of `address`, which must carry this chain's prefix.
    pub fn decode(&self, address: &str) -> Result<Vec<u8>, AppError> {
        if address.is_empty() {
            return Err(AppError::sdk(sdk::INVALID_ADDRESS, "empty address"));
        }
        let id: cosmrs::AccountId = address.parse().map_err(|e| {
            AppError::sdk(
                sdk::INVALID_ADDRESS,
                format!("invalid address {address:?}: {e}"),
            )
        })?;
        if id.prefix() != self.prefix {
            return Err(AppError::sdk(
                sdk::INVALID_ADDRESS,
                format!(
                    "address {address} has prefix {:?}; this chain's addresses start with {:?}",
                    id.prefix(),
                    self.prefix
                ),
            ));
        }
        Ok(id.to_bytes())
    }

    /// Checks that the prefix can be used in bech32 addresses.
    pub fn validate(&self) -> Result<(), AppError> {
        cosmrs::AccountId::new(&self.prefix, &[0u8; 20])
            .map(|_| ())
            .map_err(|e| {
                AppError::sdk(
                    sdk::INVALID_ADDRESS,
                    format!("bech32 prefix {:?} is unusable: {e}", self.prefix),
                )
            })
    }
}

/// The address of a module account: the first 20 bytes of sha256(name), as in the Cosmos SDK,
/// so module addresses are the same on every Cosmos chain with the same prefix.
pub fn module_address(name: &str) -> Vec<u8> {
    Sha256::digest(name.as_bytes())[..20].to_vec()
}
