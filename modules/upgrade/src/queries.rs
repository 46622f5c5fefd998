//! cosmos.upgrade.v1beta1.Query, one function per method. The same functions answer ABCI
//! Query and gRPC. `UpgradedConsensusState` (deprecated, IBC's) is not served.

use cosmrs::proto::cosmos::upgrade::v1beta1::*;
use depin_app::context::Ctx;
use depin_app::error::{sdk, AppError, AppResult};
use depin_app::module::decode_query;
use prost::Message;

use crate::error::UpgradeError;
use crate::UpgradeModule;

pub const SERVICE: &str = "cosmos.upgrade.v1beta1.Query";

impl UpgradeModule {
    pub(crate) fn route_query(
        &self,
        ctx: &mut Ctx<'_, '_>,
        path: &str,
        req: &[u8],
    ) -> AppResult<Vec<u8>> {
        let method = path.rsplit('/').next().unwrap_or_default();
        Ok(match method {
            "CurrentPlan" => {
                let _: QueryCurrentPlanRequest = decode_query(path, req)?;
                self.q_current_plan(ctx)?.encode_to_vec()
            }
            "AppliedPlan" => self
                .q_applied_plan(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "ModuleVersions" => self
                .q_module_versions(ctx, decode_query(path, req)?)?
                .encode_to_vec(),
            "Authority" => {
                let _: QueryAuthorityRequest = decode_query(path, req)?;
                QueryAuthorityResponse {
                    address: self.keeper.codec().encode(&self.authority),
                }
                .encode_to_vec()
            }
            _ => {
                return Err(AppError::sdk(
                    sdk::UNKNOWN_REQUEST,
                    format!("unknown method {path}"),
                ))
            }
        })
    }

    fn q_current_plan(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<QueryCurrentPlanResponse> {
        Ok(QueryCurrentPlanResponse {
            plan: self.keeper.plan(ctx)?.map(|p| p.to_proto()),
        })
    }

    /// 0 for an upgrade never applied, as the SDK answers.
    fn q_applied_plan(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryAppliedPlanRequest,
    ) -> AppResult<QueryAppliedPlanResponse> {
        let height = self.keeper.done_height(ctx, &req.name)?.unwrap_or(0);
        Ok(QueryAppliedPlanResponse {
            height: i64::try_from(height).unwrap_or(i64::MAX),
        })
    }

    /// All modules by name, or the one asked for.
    fn q_module_versions(
        &self,
        ctx: &mut Ctx<'_, '_>,
        req: QueryModuleVersionsRequest,
    ) -> AppResult<QueryModuleVersionsResponse> {
        let module_versions = if req.module_name.is_empty() {
            self.keeper
                .module_versions(ctx)?
                .into_iter()
                .map(|(name, version)| ModuleVersion { name, version })
                .collect()
        } else {
            let version = self
                .keeper
                .module_version(ctx, &req.module_name)?
                .ok_or_else(|| UpgradeError::ModuleNotFound(req.module_name.clone()))?;
            vec![ModuleVersion {
                name: req.module_name,
                version,
            }]
        };
        Ok(QueryModuleVersionsResponse { module_versions })
    }
}
