//! cosmos.upgrade.v1beta1.Msg, one function per message: validate → check authority → load →
//! check → write → emit (the keeper writes and emits).

use cosmrs::proto::cosmos::upgrade::v1beta1::{
    MsgCancelUpgrade, MsgCancelUpgradeResponse, MsgSoftwareUpgrade, MsgSoftwareUpgradeResponse,
};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::error::UpgradeError;
use crate::state::Plan;
use crate::UpgradeModule;

pub const MSG_SOFTWARE_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade";
pub const MSG_CANCEL_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgCancelUpgrade";

impl UpgradeModule {
    /// The authority (a well-formed address) signs; the plan passes its stateless checks.
    pub(crate) fn validate_software_upgrade(
        &self,
        msg: &MsgSoftwareUpgrade,
    ) -> AppResult<(Vec<u8>, Plan)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let plan = msg.plan.as_ref().ok_or(UpgradeError::MissingPlan)?;
        Ok((authority, Plan::from_proto(plan)?))
    }

    pub(crate) fn validate_cancel_upgrade(&self, msg: &MsgCancelUpgrade) -> AppResult<Vec<u8>> {
        self.keeper.codec().decode(&msg.authority)
    }

    pub(crate) fn software_upgrade(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgSoftwareUpgrade,
    ) -> AppResult<Vec<u8>> {
        let (_, plan) = self.validate_software_upgrade(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        self.keeper.schedule_upgrade(ctx, plan)?;
        Ok(MsgSoftwareUpgradeResponse {}.encode_to_vec())
    }

    pub(crate) fn cancel_upgrade(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgCancelUpgrade,
    ) -> AppResult<Vec<u8>> {
        self.validate_cancel_upgrade(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        self.keeper.cancel_upgrade(ctx)?;
        Ok(MsgCancelUpgradeResponse {}.encode_to_vec())
    }
}
