//! Upgrade events. Each carries `module` = `upgrade` and the upgrade's `name` and `height`.

use depin_app::context::Event;

use crate::state::Plan;
use crate::MODULE_NAME;

/// A plan was scheduled; when it replaced another, `replaced_name` and `replaced_height` say
/// which.
pub fn scheduled(plan: &Plan, replaced: Option<&Plan>) -> Event {
    let event = Event::new("upgrade_scheduled")
        .attr("module", MODULE_NAME)
        .attr("name", plan.name.clone())
        .attr("height", plan.height.to_string())
        .attr("info", plan.info.clone());
    match replaced {
        Some(old) => event
            .attr("replaced_name", old.name.clone())
            .attr("replaced_height", old.height.to_string()),
        None => event,
    }
}

/// The scheduled plan was cancelled.
pub fn cancelled(plan: &Plan) -> Event {
    Event::new("upgrade_cancelled")
        .attr("module", MODULE_NAME)
        .attr("name", plan.name.clone())
        .attr("height", plan.height.to_string())
}

/// An upgrade's handler ran at `height` (in begin block).
pub fn applied(name: &str, height: u64) -> Event {
    Event::new("upgrade_applied")
        .attr("module", MODULE_NAME)
        .attr("name", name)
        .attr("height", height.to_string())
}
