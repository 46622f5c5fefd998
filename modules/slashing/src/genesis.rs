//! Genesis import and export, in the Cosmos SDK's JSON shape (`app_state.slashing`).

use std::collections::BTreeSet;

use cosmwasm_std::Order;
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::SlashingError;
use crate::keeper::{missed_indexes, set_missed_bit};
use crate::params::Params;
use crate::state::{BlockTime, SigningInfo, PARAMS, PREFIX, SIGNING_INFOS};
use crate::SlashingModule;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub signing_infos: Vec<SigningInfoEntry>,
    pub missed_blocks: Vec<ValidatorMissedBlocks>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningInfoEntry {
    /// Consensus address, bech32 (`<prefix>valcons1…`).
    pub address: String,
    pub validator_signing_info: ValidatorSigningInfoJson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSigningInfoJson {
    #[serde(default)]
    pub address: String,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub start_height: u64,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub index_offset: u64,
    /// RFC 3339.
    pub jailed_until: String,
    #[serde(default)]
    pub tombstoned: bool,
    #[serde(with = "depin_app::json::u64_string", default)]
    pub missed_blocks_counter: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorMissedBlocks {
    pub address: String,
    #[serde(default)]
    pub missed_blocks: Vec<MissedBlock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedBlock {
    #[serde(with = "depin_app::json::u64_string")]
    pub index: u64,
    pub missed: bool,
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    SlashingError::InvalidGenesis(msg.into()).into()
}

impl SlashingModule {
    /// Refuses invalid params, malformed or repeated addresses, missed blocks of a validator
    /// without signing info or outside the window, and counters that do not match the bits.
    /// An `index_offset` from a chain that let it grow (the SDK's) is taken modulo the window.
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        let params = &genesis.params;
        params
            .validate()
            .map_err(|e| invalid(format!("params: {}", e.message)))?;
        let window = params.signed_blocks_window;
        PARAMS.save(&mut ctx.storage(PREFIX), params)?;
        let codec = self.keeper.consensus_codec().clone();
        let decode = |a: &str| {
            codec
                .decode(a)
                .map_err(|e| invalid(format!("address {a:?}: {}", e.message)))
        };
        let mut infos = std::collections::BTreeMap::new();
        for entry in &genesis.signing_infos {
            let consensus = decode(&entry.address)?;
            let j = &entry.validator_signing_info;
            let info = SigningInfo {
                start_height: j.start_height,
                index_offset: j.index_offset % window,
                jailed_until: BlockTime::parse_rfc3339(&j.jailed_until).map_err(invalid)?,
                tombstoned: j.tombstoned,
                missed_blocks_counter: j.missed_blocks_counter,
            };
            if infos.insert(consensus, info).is_some() {
                return Err(invalid(format!(
                    "signing info of {} is listed twice",
                    entry.address
                )));
            }
        }
        let mut seen = BTreeSet::new();
        let mut counts = std::collections::BTreeMap::new();
        for entry in &genesis.missed_blocks {
            let consensus = decode(&entry.address)?;
            if !infos.contains_key(&consensus) {
                return Err(invalid(format!(
                    "missed blocks of {} without a signing info",
                    entry.address
                )));
            }
            if !seen.insert(consensus.clone()) {
                return Err(invalid(format!(
                    "missed blocks of {} are listed twice",
                    entry.address
                )));
            }
            let mut indexes = BTreeSet::new();
            for b in entry.missed_blocks.iter().filter(|b| b.missed) {
                if b.index >= window {
                    return Err(invalid(format!(
                        "missed block index {} of {} is outside the window of {window}",
                        b.index, entry.address
                    )));
                }
                indexes.insert(b.index);
            }
            for &i in &indexes {
                set_missed_bit(ctx, &consensus, i, true)?;
            }
            counts.insert(consensus, indexes.len() as u64);
        }
        for (consensus, info) in &infos {
            let bits = counts.get(consensus).copied().unwrap_or(0);
            if bits != info.missed_blocks_counter {
                return Err(invalid(format!(
                    "{} counts {} missed blocks but its bitmap has {bits}",
                    codec.encode(consensus),
                    info.missed_blocks_counter
                )));
            }
            SIGNING_INFOS.save(&mut ctx.storage(PREFIX), consensus, info)?;
        }
        Ok(())
    }

    /// Params, every signing info in consensus-address order, and for each its missed
    /// blocks (only the missed ones, ascending, as the SDK exports them).
    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let params = self.keeper.params(ctx)?;
        let infos: Vec<(Vec<u8>, SigningInfo)> = SIGNING_INFOS
            .range(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        let mut genesis = GenesisState {
            params,
            ..Default::default()
        };
        for (consensus, info) in infos {
            let address = self.keeper.consensus_codec().encode(&consensus);
            genesis.signing_infos.push(SigningInfoEntry {
                address: address.clone(),
                validator_signing_info: ValidatorSigningInfoJson {
                    address: address.clone(),
                    start_height: info.start_height,
                    index_offset: info.index_offset,
                    jailed_until: info.jailed_until.rfc3339(),
                    tombstoned: info.tombstoned,
                    missed_blocks_counter: info.missed_blocks_counter,
                },
            });
            genesis.missed_blocks.push(ValidatorMissedBlocks {
                address,
                missed_blocks: missed_indexes(ctx, &consensus)?
                    .into_iter()
                    .map(|index| MissedBlock {
                        index,
                        missed: true,
                    })
                    .collect(),
            });
        }
        Ok(genesis)
    }
}
