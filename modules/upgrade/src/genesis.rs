//! Genesis import and export (`app_state.upgrade`). The SDK's x/upgrade has no genesis state;
//! ours carries the done upgrades, the module version map and, as an extension, the scheduled
//! plan, so that a chain exported before its upgrade height still stops (or upgrades) there.

use std::collections::BTreeSet;

use depin_app::context::Ctx;
use depin_app::error::AppResult;
use serde::{Deserialize, Serialize};

use crate::error::UpgradeError;
use crate::keeper::{check_plan, VersionMap};
use crate::state::{validate_name, Plan, DONE, PLAN, PREFIX};
use crate::UpgradeModule;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    /// The scheduled upgrade, if any.
    pub plan: Option<PlanJson>,
    /// Applied upgrades, by name.
    pub done_upgrades: Vec<DoneUpgrade>,
    /// The module version map; empty: the binary's own (`UpgradeKeeper::new`).
    pub module_versions: Vec<ModuleVersionJson>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanJson {
    pub name: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub height: u64,
    #[serde(default)]
    pub info: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneUpgrade {
    pub name: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleVersionJson {
    pub name: String,
    #[serde(with = "depin_app::json::u64_string")]
    pub version: u64,
}

impl GenesisState {
    /// A genesis with the binary's version map and no history.
    pub fn with_versions(versions: &VersionMap) -> Self {
        GenesisState {
            module_versions: versions
                .iter()
                .map(|(name, version)| ModuleVersionJson {
                    name: name.clone(),
                    version: *version,
                })
                .collect(),
            ..Default::default()
        }
    }
}

fn invalid(msg: impl Into<String>) -> depin_app::error::AppError {
    UpgradeError::InvalidGenesis(msg.into()).into()
}

impl UpgradeModule {
    /// Refuses empty or over-long names, heights of 0 (or beyond i64), names listed twice, and
    /// a plan whose name is already done.
    pub(crate) fn init(&self, ctx: &mut Ctx<'_, '_>, genesis: &GenesisState) -> AppResult<()> {
        let mut done = std::collections::BTreeMap::new();
        for d in &genesis.done_upgrades {
            validate_name(&d.name).map_err(|e| invalid(format!("done upgrade: {e}")))?;
            if d.height == 0 || i64::try_from(d.height).is_err() {
                return Err(invalid(format!(
                    "done upgrade {:?} has height {}: it must be between 1 and {}",
                    d.name,
                    d.height,
                    i64::MAX
                )));
            }
            if done.insert(d.name.as_str(), d.height).is_some() {
                return Err(invalid(format!(
                    "done upgrade {:?} is listed twice",
                    d.name
                )));
            }
        }
        let plan = match &genesis.plan {
            Some(p) => {
                let plan = Plan {
                    name: p.name.clone(),
                    height: p.height,
                    info: p.info.clone(),
                };
                check_plan(&plan).map_err(invalid)?;
                if let Some(h) = done.get(plan.name.as_str()) {
                    return Err(invalid(format!(
                        "the plan {:?} was already applied at height {h}",
                        plan.name
                    )));
                }
                Some(plan)
            }
            None => None,
        };
        let mut versions = VersionMap::new();
        let mut names = BTreeSet::new();
        for v in &genesis.module_versions {
            if v.name.is_empty() {
                return Err(invalid("a module version has an empty module name"));
            }
            if !names.insert(v.name.as_str()) {
                return Err(invalid(format!(
                    "the version of module {:?} is listed twice",
                    v.name
                )));
            }
            versions.insert(v.name.clone(), v.version);
        }
        if versions.is_empty() {
            versions = self.keeper.initial_versions().clone();
        }
        let mut store = ctx.storage(PREFIX);
        for (name, height) in &done {
            DONE.save(&mut store, name, height)?;
        }
        if let Some(plan) = &plan {
            PLAN.save(&mut store, plan)?;
        }
        drop(store);
        self.keeper.set_module_versions(ctx, &versions)
    }

    pub(crate) fn export(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<GenesisState> {
        let plan = self.keeper.plan(ctx)?.map(|p| PlanJson {
            name: p.name,
            height: p.height,
            info: p.info,
        });
        let done_upgrades = self
            .keeper
            .done_upgrades(ctx)?
            .into_iter()
            .map(|(name, height)| DoneUpgrade { name, height })
            .collect();
        let module_versions = self
            .keeper
            .module_versions(ctx)?
            .into_iter()
            .map(|(name, version)| ModuleVersionJson { name, version })
            .collect();
        Ok(GenesisState {
            plan,
            done_upgrades,
            module_versions,
        })
    }
}
