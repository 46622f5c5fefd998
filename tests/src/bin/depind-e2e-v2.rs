//! depind with the upgrade "v2": the binary operators switch to when the chain halts for that
//! plan. Its migration moves the gov module's state from consensus version 1 to 2 (nothing
//! else of gov's layout changes in this test release).
use std::sync::Arc;

use depin_app::context::Ctx;
use depin_app::error::{AppError, AppResult};
use depin_upgrade::{UpgradeHandler, VersionMap};

/// The name the governance plan uses.
const UPGRADE: &str = "v2";

fn migrate_v2(_ctx: &mut Ctx<'_, '_>, versions: &VersionMap) -> AppResult<VersionMap> {
    let mut next = versions.clone();
    match next.get_mut("gov") {
        Some(v) if *v == 1 => *v = 2,
        other => {
            return Err(AppError::new(
                "upgrade-v2",
                1,
                format!("expected gov at version 1, found {other:?}"),
            ))
        }
    }
    Ok(next)
}

fn main() {
    let handler: UpgradeHandler = Arc::new(migrate_v2);
    depin_simapp::cmd::main_with_upgrades(vec![(UPGRADE.to_string(), handler)])
}
