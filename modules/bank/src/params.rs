use serde::{Deserialize, Serialize};

/// Bank params, changed only by the governance authority (`MsgUpdateParams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Whether transfers are enabled for denoms without an entry in `send_enabled`.
    pub default_send_enabled: bool,
    /// Per-denom overrides of `default_send_enabled`, sorted by denom.
    #[serde(default)]
    pub send_enabled: Vec<SendEnabled>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEnabled {
    pub denom: String,
    pub enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            default_send_enabled: true,
            send_enabled: Vec::new(),
        }
    }
}

impl Params {
    pub fn is_send_enabled(&self, denom: &str) -> bool {
        self.send_enabled
            .iter()
            .find(|s| s.denom == denom)
            .map_or(self.default_send_enabled, |s| s.enabled)
    }

    /// Valid denoms, sorted, each once.
    pub fn validate(&self) -> depin_app::error::AppResult<()> {
        for (i, s) in self.send_enabled.iter().enumerate() {
            depin_app::coins::validate_denom(&s.denom)?;
            if i > 0 && self.send_enabled[i - 1].denom >= s.denom {
                return Err(depin_app::error::AppError::sdk(
                    depin_app::error::sdk::INVALID_REQUEST,
                    "params.send_enabled must be sorted by denom with each denom once",
                ));
            }
        }
        Ok(())
    }

    pub fn to_proto(&self) -> cosmrs::proto::cosmos::bank::v1beta1::Params {
        #[allow(deprecated)]
        cosmrs::proto::cosmos::bank::v1beta1::Params {
            send_enabled: self
                .send_enabled
                .iter()
                .map(|s| cosmrs::proto::cosmos::bank::v1beta1::SendEnabled {
                    denom: s.denom.clone(),
                    enabled: s.enabled,
                })
                .collect(),
            default_send_enabled: self.default_send_enabled,
        }
    }

    #[allow(deprecated)]
    pub fn from_proto(
        p: &cosmrs::proto::cosmos::bank::v1beta1::Params,
    ) -> depin_app::error::AppResult<Self> {
        let mut send_enabled: Vec<SendEnabled> = p
            .send_enabled
            .iter()
            .map(|s| SendEnabled {
                denom: s.denom.clone(),
                enabled: s.enabled,
            })
            .collect();
        for s in &send_enabled {
            depin_app::coins::validate_denom(&s.denom)?;
        }
        send_enabled.sort_by(|a, b| a.denom.cmp(&b.denom));
        send_enabled.dedup_by(|a, b| a.denom == b.denom);
        Ok(Params {
            default_send_enabled: p.default_send_enabled,
            send_enabled,
        })
    }
}
