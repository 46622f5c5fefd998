//! The module system: what a module provides, and the traits the framework needs from the
//! modules that implement accounts and fees.

use cosmrs::Any;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::context::Ctx;
use crate::error::{sdk, AppError, AppResult};
use crate::tx::DecodedTx;

/// A module: a prefix of the state, its messages, queries, genesis and hooks.
///
/// Handlers get a [`Ctx`] whose branch is discarded if they fail, so a handler may write as
/// it goes and return an error at any point.
pub trait Module: Send + Sync + 'static {
    /// The module's name: its genesis key, its `store/<name>/key` query path, its event
    /// `module` attribute.
    fn name(&self) -> &'static str;

    /// The key prefix under which the module keeps its state (ends with a separator).
    fn store_prefix(&self) -> &'static [u8];

    /// The type URLs of the messages this module handles.
    fn msg_type_urls(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Stateless checks of a message (decodes, field rules) and its signers' raw addresses,
    /// in order. Runs before any state is read.
    fn validate_msg(&self, msg: &Any) -> AppResult<Vec<Vec<u8>>> {
        Err(crate::error::AppError::sdk(
            crate::error::sdk::UNKNOWN_REQUEST,
            format!("module {} does not handle {}", self.name(), msg.type_url),
        ))
    }

    /// Executes a message; returns the encoded `Msg...Response`.
    fn handle_msg(&self, ctx: &mut Ctx<'_, '_>, msg: &Any) -> AppResult<Vec<u8>> {
        let _ = ctx;
        self.validate_msg(msg).map(|_| Vec::new())
    }

    /// The protobuf services whose methods [`Module::query`] answers, e.g.
    /// `cosmos.bank.v1beta1.Query`.
    fn query_services(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Answers `/<service>/<method>` with protobuf in and out. The same handler serves ABCI
    /// Query and gRPC.
    fn query(&self, ctx: &mut Ctx<'_, '_>, path: &str, request: &[u8]) -> AppResult<Vec<u8>> {
        let _ = (ctx, request);
        Err(crate::error::AppError::sdk(
            crate::error::sdk::UNKNOWN_REQUEST,
            format!("unknown query path {path}"),
        ))
    }

    /// The genesis a new chain starts with when the genesis file has no entry for this module.
    fn default_genesis(&self) -> serde_json::Value;

    fn init_genesis(&self, ctx: &mut Ctx<'_, '_>, genesis: &serde_json::Value) -> AppResult<()>;

    fn export_genesis(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value>;

    /// The validator set genesis creates (a staking module's bonded validators), returned to
    /// CometBFT from InitChain. Called after every module's `init_genesis`.
    fn genesis_validators(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        let _ = ctx;
        Ok(Vec::new())
    }

    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let _ = ctx;
        Ok(())
    }

    fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        let _ = ctx;
        Ok(Vec::new())
    }

    /// Checks the module's invariants; `Err` names the broken one and the numbers.
    fn check_invariants(&self, ctx: &mut Ctx<'_, '_>) -> Result<(), String> {
        let _ = ctx;
        Ok(())
    }
}

/// A signature to verify: the signer's key, the bytes it signed, the signature.
#[derive(Debug, Clone)]
pub struct SigCheck {
    pub pubkey: [u8; 33],
    pub sign_bytes: Vec<u8>,
    pub signature: Vec<u8>,
}

/// What the ante step knows about the transaction besides its decoded form.
#[derive(Debug)]
pub struct TxContext<'a> {
    pub tx: &'a DecodedTx,
    /// The encoded size of the transaction.
    pub size: usize,
    /// The raw addresses that must sign, in order: the messages' signers, each once.
    pub signers: &'a [Vec<u8>],
}

/// The checks and charges before a transaction's messages run: signatures, account numbers
/// and sequences, fees. Its writes (fee deduction, sequence bump) are kept even when the
/// messages then fail. Implemented by the auth module.
pub trait AnteHandler: Send + Sync + 'static {
    fn ante(&self, ctx: &mut Ctx<'_, '_>, tx: &TxContext<'_>) -> AppResult<()>;

    /// The signature checks `ante` will make, as far as they can be known from `ctx`'s state:
    /// FinalizeBlock verifies them in parallel before running transactions in order.
    fn signature_checks(&self, ctx: &mut Ctx<'_, '_>, tx: &TxContext<'_>) -> Vec<SigCheck> {
        let _ = (ctx, tx);
        Vec::new()
    }
}

/// A module account: an address owned by a module (sha256(name)[..20]), with what the module
/// may do with tokens there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleAccountSpec {
    pub name: String,
    pub permissions: Vec<String>,
}

/// May create tokens in its module account.
pub const MINTER: &str = "minter";
/// May destroy tokens held in its module account.
pub const BURNER: &str = "burner";
/// Holds bonded stake.
pub const STAKING: &str = "staking";

impl ModuleAccountSpec {
    pub fn new(name: &str, permissions: &[&str]) -> Self {
        ModuleAccountSpec {
            name: name.to_string(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        }
    }

    pub fn address(&self) -> Vec<u8> {
        crate::address::module_address(&self.name)
    }

    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// Reads a module's genesis document; a document that does not parse is reported by
/// `invalid` (the module's own invalid-genesis error).
pub fn genesis_from_json<T: serde::de::DeserializeOwned>(
    genesis: &serde_json::Value,
    invalid: impl FnOnce(String) -> AppError,
) -> AppResult<T> {
    T::deserialize(genesis).map_err(|e| invalid(e.to_string()))
}

/// A module's exported genesis as JSON.
pub fn genesis_to_json<T: serde::Serialize>(state: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(state).map_err(|e| AppError::sdk(sdk::INTERNAL, e.to_string()))
}

/// Decodes a message of type `T` from `msg`, whose type URL was already routed.
pub fn decode_msg<T: prost::Message + Default>(msg: &Any) -> AppResult<T> {
    T::decode(msg.value.as_slice()).map_err(|e| {
        AppError::sdk(
            sdk::TX_DECODE,
            format!("{} does not decode: {e}", msg.type_url),
        )
    })
}

/// Decodes a query request of type `T`.
pub fn decode_query<T: prost::Message + Default>(path: &str, request: &[u8]) -> AppResult<T> {
    T::decode(request).map_err(|e| {
        AppError::sdk(
            sdk::INVALID_REQUEST,
            format!("the request to {path} does not decode: {e}"),
        )
    })
}

/// Checks that `authority` (bech32, from a `MsgUpdateParams`) is the one allowed to change a
/// module's params.
pub fn check_authority(
    codec: &crate::address::AddressCodec,
    expected: &[u8],
    authority: &str,
) -> AppResult<Vec<u8>> {
    let got = codec.decode(authority)?;
    if got != expected {
        return Err(AppError::sdk(
            sdk::UNAUTHORIZED,
            format!(
                "invalid authority: expected {}, got {authority}",
                codec.encode(expected)
            ),
        ));
    }
    Ok(got)
}
