//! Auth has one message: MsgUpdateParams, from the governance authority.

use cosmrs::proto::cosmos::auth::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse};
use depin_app::context::{Ctx, Event};
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use prost::Message;

use crate::error::AuthError;
use crate::params::Params;
use crate::state::{PARAMS, PREFIX};
use crate::AuthModule;

pub const MSG_UPDATE_PARAMS: &str = "/cosmos.auth.v1beta1.MsgUpdateParams";

impl AuthModule {
    pub(crate) fn validate_update_params(
        &self,
        msg: &MsgUpdateParams,
    ) -> AppResult<(Vec<u8>, Params)> {
        let authority = self.keeper.codec().decode(&msg.authority)?;
        let params = Params::from_proto(
            msg.params
                .as_ref()
                .ok_or_else(|| AuthError::InvalidParams("params are missing".into()))?,
        );
        params.validate()?;
        Ok((authority, params))
    }

    pub(crate) fn update_params(
        &self,
        ctx: &mut Ctx<'_, '_>,
        msg: &MsgUpdateParams,
    ) -> AppResult<Vec<u8>> {
        let (_, params) = self.validate_update_params(msg)?;
        check_authority(self.keeper.codec(), &self.authority, &msg.authority)?;
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(
            Event::new("update_params")
                .attr("module", "auth")
                .attr("authority", msg.authority.clone()),
        );
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }
}
