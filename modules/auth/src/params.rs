use serde::{Deserialize, Serialize};

use crate::error::AuthError;

/// Auth params (cosmos.auth.v1beta1.Params), changed only by the governance authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    #[serde(with = "depin_app::json::u64_string")]
    pub max_memo_characters: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub tx_sig_limit: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub tx_size_cost_per_byte: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub sig_verify_cost_ed25519: u64,
    #[serde(with = "depin_app::json::u64_string")]
    pub sig_verify_cost_secp256k1: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_memo_characters: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_ed25519: 590,
            sig_verify_cost_secp256k1: 1000,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), AuthError> {
        for (name, v) in [
            ("max_memo_characters", self.max_memo_characters),
            ("tx_sig_limit", self.tx_sig_limit),
            ("tx_size_cost_per_byte", self.tx_size_cost_per_byte),
            ("sig_verify_cost_ed25519", self.sig_verify_cost_ed25519),
            ("sig_verify_cost_secp256k1", self.sig_verify_cost_secp256k1),
        ] {
            if v == 0 {
                return Err(AuthError::InvalidParams(format!("{name} must be positive")));
            }
        }
        Ok(())
    }

    pub fn to_proto(&self) -> cosmrs::proto::cosmos::auth::v1beta1::Params {
        cosmrs::proto::cosmos::auth::v1beta1::Params {
            max_memo_characters: self.max_memo_characters,
            tx_sig_limit: self.tx_sig_limit,
            tx_size_cost_per_byte: self.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: self.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: self.sig_verify_cost_secp256k1,
        }
    }

    pub fn from_proto(p: &cosmrs::proto::cosmos::auth::v1beta1::Params) -> Self {
        Params {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }
    }
}
