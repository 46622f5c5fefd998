//! What other modules and the chain builder may call ([`UpgradeKeeper`]): the plan, the done
//! upgrades, the module version map, the upgrade handlers this binary knows, and the begin
//! block rule that applies an upgrade or stops the chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmwasm_std::Order;
use depin_app::address::AddressCodec;
use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};

use crate::error::UpgradeError;
use crate::events;
use crate::state::{validate_name, Plan, DONE, PLAN, PREFIX, VERSIONS};

/// Module name → consensus version: what each module's state is laid out as.
pub type VersionMap = BTreeMap<String, u64>;

/// A migration: runs in the block at the plan's height with the stored version map, and
/// returns the version map the state has afterwards. Its writes are kept only if it succeeds.
pub type UpgradeHandler =
    Arc<dyn Fn(&mut Ctx<'_, '_>, &VersionMap) -> AppResult<VersionMap> + Send + Sync>;

/// The file cosmovisor watches for: the upgrade the chain stopped for.
pub const UPGRADE_INFO_FILE: &str = "upgrade-info.json";

#[derive(Clone)]
pub struct UpgradeKeeper {
    codec: AddressCodec,
    /// The module versions this binary runs; genesis stores them.
    initial_versions: VersionMap,
    handlers: BTreeMap<String, UpgradeHandler>,
    /// Where `upgrade-info.json` is written when the chain stops for an upgrade.
    info_dir: Option<PathBuf>,
}

impl UpgradeKeeper {
    /// `initial_versions` is the version map of the modules this binary runs (a name listed
    /// twice keeps its last version).
    pub fn new(codec: AddressCodec, initial_versions: Vec<(String, u64)>) -> Self {
        UpgradeKeeper {
            codec,
            initial_versions: initial_versions.into_iter().collect(),
            handlers: BTreeMap::new(),
            info_dir: None,
        }
    }

    /// Registers the migration of upgrade `name` (a second one for the same name replaces the
    /// first).
    pub fn with_handler<F>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&mut Ctx<'_, '_>, &VersionMap) -> AppResult<VersionMap> + Send + Sync + 'static,
    {
        self.handlers.insert(name.into(), Arc::new(handler));
        self
    }

    /// The directory `upgrade-info.json` is written to (a node's `data` directory, where
    /// cosmovisor looks). Without one nothing is written.
    pub fn with_info_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.info_dir = Some(dir.into());
        self
    }

    pub fn codec(&self) -> &AddressCodec {
        &self.codec
    }

    pub fn initial_versions(&self) -> &VersionMap {
        &self.initial_versions
    }

    pub fn info_dir(&self) -> Option<&Path> {
        self.info_dir.as_deref()
    }

    pub fn has_handler(&self, name: &str) -> bool {
        self.handlers.contains_key(name)
    }

    /// The scheduled upgrade, if any.
    pub fn plan(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Option<Plan>> {
        Ok(PLAN.may_load(&ctx.storage(PREFIX))?)
    }

    /// The height upgrade `name` was applied at; `None` if it never was.
    pub fn done_height(&self, ctx: &mut Ctx<'_, '_>, name: &str) -> AppResult<Option<u64>> {
        Ok(DONE.may_load(&ctx.storage(PREFIX), name)?)
    }

    /// Every applied upgrade and its height, by name.
    pub fn done_upgrades(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<(String, u64)>> {
        Ok(DONE
            .range(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?)
    }

    /// The stored module version map.
    pub fn module_versions(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<VersionMap> {
        Ok(VERSIONS
            .range(&ctx.storage(PREFIX), None, None, Order::Ascending)
            .collect::<Result<_, _>>()?)
    }

    /// The stored version of module `name`.
    pub fn module_version(&self, ctx: &mut Ctx<'_, '_>, name: &str) -> AppResult<Option<u64>> {
        Ok(VERSIONS.may_load(&ctx.storage(PREFIX), name)?)
    }

    /// Replaces the stored version map with `versions`.
    pub(crate) fn set_module_versions(
        &self,
        ctx: &mut Ctx<'_, '_>,
        versions: &VersionMap,
    ) -> AppResult<()> {
        let old = self.module_versions(ctx)?;
        let mut store = ctx.storage(PREFIX);
        for name in old.keys().filter(|n| !versions.contains_key(*n)) {
            VERSIONS.remove(&mut store, name);
        }
        for (name, version) in versions {
            VERSIONS.save(&mut store, name, version)?;
        }
        Ok(())
    }

    /// Schedules `plan` (already validated statelessly), replacing any plan there is; returns
    /// the replaced plan. The height must be after the current block and the name never used.
    pub fn schedule_upgrade(&self, ctx: &mut Ctx<'_, '_>, plan: Plan) -> AppResult<Option<Plan>> {
        let current = ctx.env.height;
        if plan.height <= current {
            return Err(UpgradeError::HeightNotInFuture {
                name: plan.name,
                height: plan.height,
                current,
                next: current.saturating_add(1),
            }
            .into());
        }
        if let Some(height) = self.done_height(ctx, &plan.name)? {
            return Err(UpgradeError::AlreadyDone {
                name: plan.name,
                height,
            }
            .into());
        }
        let old = self.plan(ctx)?;
        PLAN.save(&mut ctx.storage(PREFIX), &plan)?;
        ctx.emit(events::scheduled(&plan, old.as_ref()));
        Ok(old)
    }

    /// Deletes the scheduled plan; returns it (`None`: there was none, which is no error).
    pub fn cancel_upgrade(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Option<Plan>> {
        let old = self.plan(ctx)?;
        if let Some(plan) = &old {
            PLAN.remove(&mut ctx.storage(PREFIX));
            ctx.emit(events::cancelled(plan));
        }
        Ok(old)
    }

    /// The begin-block rule (README "Begin block"): apply a due upgrade this binary knows,
    /// stop the chain for one it does not, and stop a binary that came too early.
    pub fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let Some(plan) = self.plan(ctx)? else {
            return Ok(());
        };
        let height = ctx.env.height;
        if height >= plan.height {
            return match self.handlers.get(&plan.name) {
                Some(handler) => self.apply(ctx, &plan, handler),
                None => {
                    self.write_upgrade_info(&plan, height);
                    Err(AppError::halt(format!(
                        "UPGRADE \"{}\" NEEDED at height: {}: {}",
                        plan.name, plan.height, plan.info
                    )))
                }
            };
        }
        if self.has_handler(&plan.name) && self.done_height(ctx, &plan.name)?.is_none() {
            return Err(AppError::halt(format!(
                "BINARY UPDATED BEFORE TRIGGER: this binary has the handler of upgrade \"{}\", \
                 which is planned at height {} but the chain is at {height}: run the previous \
                 binary until the chain stops at height {}",
                plan.name, plan.height, plan.height
            )));
        }
        Ok(())
    }

    /// Runs the handler and records the upgrade, all or nothing. A failure is not a halt: the
    /// node stops as on any broken block hook, and a fixed binary replays the block.
    fn apply(&self, ctx: &mut Ctx<'_, '_>, plan: &Plan, handler: &UpgradeHandler) -> AppResult<()> {
        let height = ctx.env.height;
        ctx.atomic(|ctx| {
            let before = self.module_versions(ctx)?;
            let after = handler(ctx, &before).map_err(|e| UpgradeError::HandlerFailed {
                name: plan.name.clone(),
                message: e.to_string(),
            })?;
            if let Some(empty) = after.keys().find(|n| n.is_empty()) {
                return Err(UpgradeError::InvalidVersionMap {
                    name: plan.name.clone(),
                    message: format!("module name {empty:?} is empty"),
                }
                .into());
            }
            self.set_module_versions(ctx, &after)?;
            DONE.save(&mut ctx.storage(PREFIX), &plan.name, &height)?;
            PLAN.remove(&mut ctx.storage(PREFIX));
            ctx.emit(events::applied(&plan.name, height));
            Ok(())
        })
    }

    /// Tells cosmovisor which upgrade the chain stopped for. The halt does not depend on it:
    /// a failure is only reported.
    fn write_upgrade_info(&self, plan: &Plan, height: u64) {
        let Some(dir) = &self.info_dir else {
            return;
        };
        let info = serde_json::json!({
            "name": plan.name,
            "height": height,
            "info": plan.info,
        });
        let path = dir.join(UPGRADE_INFO_FILE);
        let tmp = dir.join(format!("{UPGRADE_INFO_FILE}.tmp"));
        let result = std::fs::create_dir_all(dir)
            .and_then(|_| std::fs::write(&tmp, info.to_string()))
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            eprintln!("depin-upgrade: writing {}: {e}", path.display());
        }
    }
}

/// Used by genesis and invariants: the rules a stored plan obeys.
pub(crate) fn check_plan(plan: &Plan) -> Result<(), String> {
    validate_name(&plan.name).map_err(|e| e.to_string())?;
    if plan.height == 0 || i64::try_from(plan.height).is_err() {
        return Err(format!(
            "plan {:?} has height {}: it must be between 1 and {}",
            plan.name,
            plan.height,
            i64::MAX
        ));
    }
    Ok(())
}
