//! One function per message: stateless checks (`validate`, before any state is read), then
//! load → check → write → emit. A handler that fails leaves no trace: its branch is dropped.

use std::collections::BTreeSet;

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmwasm_std::{Order as SortOrder, Uint128};
use depin_app::coins::{self, Coin};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::check_authority;
use depin_proto::depin::market::v1::*;
use prost::Message;

use crate::error::MarketError;
use crate::events;
use crate::params::Params;
use crate::state::{
    AUDITED, AUDITED_BY_AUDITOR, AUDITORS, AUDITOR_PURGES, NEXT_ORDER_ID, ORDER_TIMEOUTS, PARAMS,
    PREFIX,
};
use crate::types::{
    attrs_from_proto, bid_state_name, coins_of, order_escrow_id, order_of_escrow, order_state_name,
    zero, Attribute, Auditor, Bid, BidState, CloseReason, Lease, LeaseState, Order, OrderState,
    PlacementRequirements, Provider, Reputation, Resources,
};
use crate::MarketModule;

pub const MSG_REGISTER_AUDITOR: &str = "/depin.market.v1.MsgRegisterAuditor";
pub const MSG_REMOVE_AUDITOR: &str = "/depin.market.v1.MsgRemoveAuditor";
pub const MSG_CREATE_PROVIDER: &str = "/depin.market.v1.MsgCreateProvider";
pub const MSG_UPDATE_PROVIDER: &str = "/depin.market.v1.MsgUpdateProvider";
pub const MSG_DEPOSIT_COLLATERAL: &str = "/depin.market.v1.MsgDepositCollateral";
pub const MSG_WITHDRAW_COLLATERAL: &str = "/depin.market.v1.MsgWithdrawCollateral";
pub const MSG_SIGN_PROVIDER_ATTRIBUTES: &str = "/depin.market.v1.MsgSignProviderAttributes";
pub const MSG_DELETE_PROVIDER_ATTRIBUTES: &str = "/depin.market.v1.MsgDeleteProviderAttributes";
pub const MSG_CREATE_ORDER: &str = "/depin.market.v1.MsgCreateOrder";
pub const MSG_CLOSE_ORDER: &str = "/depin.market.v1.MsgCloseOrder";
pub const MSG_DEPOSIT_ESCROW: &str = "/depin.market.v1.MsgDepositEscrow";
pub const MSG_CREATE_BID: &str = "/depin.market.v1.MsgCreateBid";
pub const MSG_CLOSE_BID: &str = "/depin.market.v1.MsgCloseBid";
pub const MSG_ACCEPT_BID: &str = "/depin.market.v1.MsgAcceptBid";
pub const MSG_CLOSE_LEASE: &str = "/depin.market.v1.MsgCloseLease";
pub const MSG_WITHDRAW_LEASE: &str = "/depin.market.v1.MsgWithdrawLease";
pub const MSG_SETTLE: &str = "/depin.market.v1.MsgSettle";
pub const MSG_UPDATE_PARAMS: &str = "/depin.market.v1.MsgUpdateParams";
pub const MSG_PROPOSE_DEAL: &str = "/depin.market.v1.MsgProposeDeal";
pub const MSG_CANCEL_DEAL: &str = "/depin.market.v1.MsgCancelDeal";
pub const MSG_ACCEPT_DEAL: &str = "/depin.market.v1.MsgAcceptDeal";
pub const MSG_SUBMIT_STORAGE_PROOF: &str = "/depin.market.v1.MsgSubmitStorageProof";

/// Every message this module routes.
pub const MSG_TYPE_URLS: &[&str] = &[
    MSG_REGISTER_AUDITOR,
    MSG_REMOVE_AUDITOR,
    MSG_CREATE_PROVIDER,
    MSG_UPDATE_PROVIDER,
    MSG_DEPOSIT_COLLATERAL,
    MSG_WITHDRAW_COLLATERAL,
    MSG_SIGN_PROVIDER_ATTRIBUTES,
    MSG_DELETE_PROVIDER_ATTRIBUTES,
    MSG_CREATE_ORDER,
    MSG_CLOSE_ORDER,
    MSG_DEPOSIT_ESCROW,
    MSG_CREATE_BID,
    MSG_CLOSE_BID,
    MSG_ACCEPT_BID,
    MSG_CLOSE_LEASE,
    MSG_WITHDRAW_LEASE,
    MSG_SETTLE,
    MSG_UPDATE_PARAMS,
    MSG_PROPOSE_DEAL,
    MSG_CANCEL_DEAL,
    MSG_ACCEPT_DEAL,
    MSG_SUBMIT_STORAGE_PROOF,
];

pub const MAX_HOST_URI_BYTES: usize = 256;
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 256;
pub const MAX_INFO_BYTES: usize = 256;

fn field(what: &'static str, reason: impl Into<String>) -> MarketError {
    MarketError::InvalidField {
        what,
        reason: reason.into(),
    }
}

/// A coin from a message: present, a whole number, positive (its denom is checked against
/// params when the state is read).
pub(crate) fn positive_coin(c: &Option<ProtoCoin>, what: &'static str) -> AppResult<Coin> {
    let c = c
        .as_ref()
        .ok_or_else(|| field(what, "it is missing: send a coin such as 100udepin"))?;
    let amount = c
        .amount
        .parse::<u128>()
        .map_err(|_| field(what, format!("amount {:?} is not a whole number", c.amount)))?;
    if amount == 0 {
        return Err(MarketError::ZeroAmount(what).into());
    }
    coins::validate_denom(&c.denom).map_err(|e| field(what, e.message))?;
    Ok(Coin::new(amount, &c.denom))
}

pub(crate) fn check_denom(c: &Coin, what: &'static str, params: &Params) -> AppResult<Uint128> {
    if c.denom != params.denom {
        return Err(MarketError::WrongDenom {
            what,
            got: c.denom.clone(),
            want: params.denom.clone(),
        }
        .into());
    }
    Ok(c.amount)
}

/// Attributes: keys of 1 to 64 characters of [a-z0-9_./-], unique; values at most 256 bytes.
pub(crate) fn validate_attributes(attrs: &[Attribute]) -> Result<(), MarketError> {
    let mut seen = BTreeSet::new();
    for a in attrs {
        let ok = (1..=64).contains(&a.key.len())
            && a.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_./-".contains(&b));
        if !ok {
            return Err(MarketError::InvalidAttributes(format!(
                "key {:?}: a key is 1 to 64 characters of a-z, 0-9, _ . / -",
                a.key
            )));
        }
        if a.value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
            return Err(MarketError::InvalidAttributes(format!(
                "the value of {} is longer than {MAX_ATTRIBUTE_VALUE_BYTES} bytes",
                a.key
            )));
        }
        if !seen.insert(a.key.as_str()) {
            return Err(MarketError::InvalidAttributes(format!(
                "key {} appears twice",
                a.key
            )));
        }
    }
    Ok(())
}

fn validate_host_uri(uri: &str) -> AppResult<()> {
    if uri.is_empty() || uri.len() > MAX_HOST_URI_BYTES || uri.chars().any(char::is_whitespace) {
        return Err(field(
            "host_uri",
            format!("a host URI is 1 to {MAX_HOST_URI_BYTES} bytes without spaces"),
        )
        .into());
    }
    Ok(())
}

fn coin_str(amount: Uint128, denom: &str) -> String {
    format!("{amount}{denom}")
}

impl MarketModule {
    fn addr(&self, a: &str) -> AppResult<Vec<u8>> {
        self.keeper.codec().decode(a)
    }

    /// The stateless checks of a message, returning its signer.
    pub(crate) fn validate(&self, type_url: &str, value: &[u8]) -> AppResult<Vec<u8>> {
        fn d<T: Message + Default>(type_url: &str, v: &[u8]) -> AppResult<T> {
            depin_app::module::decode_msg(&cosmrs::Any {
                type_url: type_url.to_string(),
                value: v.to_vec(),
            })
        }
        let codec = self.keeper.codec();
        Ok(match type_url {
            MSG_REGISTER_AUDITOR => {
                let m: MsgRegisterAuditor = d(type_url, value)?;
                codec.decode(&m.address)?;
                if m.info.len() > MAX_INFO_BYTES {
                    return Err(field("info", format!("at most {MAX_INFO_BYTES} bytes")).into());
                }
                check_authority(codec, &self.authority, &m.authority)?
            }
            MSG_REMOVE_AUDITOR => {
                let m: MsgRemoveAuditor = d(type_url, value)?;
                codec.decode(&m.address)?;
                check_authority(codec, &self.authority, &m.authority)?
            }
            MSG_CREATE_PROVIDER => {
                let m: MsgCreateProvider = d(type_url, value)?;
                validate_host_uri(&m.host_uri)?;
                validate_attributes(&attrs_from_proto(&m.attributes))?;
                positive_coin(&m.collateral, "collateral")?;
                self.addr(&m.owner)?
            }
            MSG_UPDATE_PROVIDER => {
                let m: MsgUpdateProvider = d(type_url, value)?;
                validate_host_uri(&m.host_uri)?;
                validate_attributes(&attrs_from_proto(&m.attributes))?;
                self.addr(&m.owner)?
            }
            MSG_DEPOSIT_COLLATERAL => {
                let m: MsgDepositCollateral = d(type_url, value)?;
                positive_coin(&m.amount, "amount")?;
                self.addr(&m.owner)?
            }
            MSG_WITHDRAW_COLLATERAL => {
                let m: MsgWithdrawCollateral = d(type_url, value)?;
                positive_coin(&m.amount, "amount")?;
                self.addr(&m.owner)?
            }
            MSG_SIGN_PROVIDER_ATTRIBUTES => {
                let m: MsgSignProviderAttributes = d(type_url, value)?;
                codec.decode(&m.provider)?;
                let attrs = attrs_from_proto(&m.attributes);
                if attrs.is_empty() {
                    return Err(MarketError::InvalidAttributes(
                        "no attributes: send the ones to sign".into(),
                    )
                    .into());
                }
                validate_attributes(&attrs)?;
                self.addr(&m.auditor)?
            }
            MSG_DELETE_PROVIDER_ATTRIBUTES => {
                let m: MsgDeleteProviderAttributes = d(type_url, value)?;
                codec.decode(&m.provider)?;
                self.addr(&m.auditor)?
            }
            MSG_CREATE_ORDER => {
                let m: MsgCreateOrder = d(type_url, value)?;
                positive_coin(&m.max_price_per_block, "max_price_per_block")?;
                positive_coin(&m.deposit, "deposit")?;
                if let Some(r) = &m.requirements {
                    validate_attributes(&attrs_from_proto(&r.attributes))?;
                    for a in &r.signed_by {
                        codec.decode(a)?;
                    }
                    if r.max_failure_rate_bps > 10_000 {
                        return Err(field("max_failure_rate_bps", "at most 10000").into());
                    }
                }
                self.addr(&m.tenant)?
            }
            MSG_CLOSE_ORDER => self.addr(&d::<MsgCloseOrder>(type_url, value)?.tenant)?,
            MSG_DEPOSIT_ESCROW => {
                let m: MsgDepositEscrow = d(type_url, value)?;
                positive_coin(&m.amount, "amount")?;
                if m.escrow_id.is_empty() {
                    return Err(field("escrow_id", "empty: send order/<id> or deal/<id>").into());
                }
                self.addr(&m.depositor)?
            }
            MSG_CREATE_BID => {
                let m: MsgCreateBid = d(type_url, value)?;
                positive_coin(&m.price_per_block, "price_per_block")?;
                self.addr(&m.provider)?
            }
            MSG_CLOSE_BID => self.addr(&d::<MsgCloseBid>(type_url, value)?.provider)?,
            MSG_ACCEPT_BID => {
                let m: MsgAcceptBid = d(type_url, value)?;
                codec.decode(&m.provider)?;
                self.addr(&m.tenant)?
            }
            MSG_CLOSE_LEASE => self.addr(&d::<MsgCloseLease>(type_url, value)?.sender)?,
            MSG_WITHDRAW_LEASE => self.addr(&d::<MsgWithdrawLease>(type_url, value)?.provider)?,
            MSG_SETTLE => self.addr(&d::<MsgSettle>(type_url, value)?.sender)?,
            MSG_UPDATE_PARAMS => {
                let m: MsgUpdateParams = d(type_url, value)?;
                let p = m.params.as_ref().ok_or(MarketError::MissingParams)?;
                Params::from_proto(p)?.validate()?;
                check_authority(codec, &self.authority, &m.authority)?
            }
            MSG_PROPOSE_DEAL => {
                let m: MsgProposeDeal = d(type_url, value)?;
                codec.decode(&m.provider)?;
                if m.data_root.len() != 32 {
                    return Err(field(
                        "data_root",
                        format!(
                            "it is {} bytes long: send the 32-byte Merkle root of the data",
                            m.data_root.len()
                        ),
                    )
                    .into());
                }
                if m.size_bytes == 0 {
                    return Err(field("size_bytes", "0: a deal stores at least 1 byte").into());
                }
                if m.duration_periods == 0
                    || m.duration_periods > crate::deals::MAX_DURATION_PERIODS
                {
                    return Err(field(
                        "duration_periods",
                        format!(
                            "{}: a deal runs from 1 to {} proving periods",
                            m.duration_periods,
                            crate::deals::MAX_DURATION_PERIODS
                        ),
                    )
                    .into());
                }
                positive_coin(&m.price_per_period, "price_per_period")?;
                positive_coin(&m.provider_collateral, "provider_collateral")?;
                self.addr(&m.client)?
            }
            MSG_CANCEL_DEAL => self.addr(&d::<MsgCancelDeal>(type_url, value)?.client)?,
            MSG_ACCEPT_DEAL => self.addr(&d::<MsgAcceptDeal>(type_url, value)?.provider)?,
            MSG_SUBMIT_STORAGE_PROOF => {
                self.addr(&d::<MsgSubmitStorageProof>(type_url, value)?.provider)?
            }
            other => {
                return Err(depin_app::error::AppError::sdk(
                    depin_app::error::sdk::UNKNOWN_REQUEST,
                    format!("market does not handle {other}"),
                ))
            }
        })
    }

    pub(crate) fn execute(
        &self,
        ctx: &mut Ctx<'_, '_>,
        type_url: &str,
        value: &[u8],
    ) -> AppResult<Vec<u8>> {
        self.validate(type_url, value)?;
        fn d<T: Message + Default>(v: &[u8]) -> T {
            // Decoded once already by `validate`.
            T::decode(v).unwrap_or_default()
        }
        match type_url {
            MSG_REGISTER_AUDITOR => self.register_auditor(ctx, d(value)),
            MSG_REMOVE_AUDITOR => self.remove_auditor(ctx, d(value)),
            MSG_CREATE_PROVIDER => self.create_provider(ctx, d(value)),
            MSG_UPDATE_PROVIDER => self.update_provider(ctx, d(value)),
            MSG_DEPOSIT_COLLATERAL => self.deposit_collateral(ctx, d(value)),
            MSG_WITHDRAW_COLLATERAL => self.withdraw_collateral(ctx, d(value)),
            MSG_SIGN_PROVIDER_ATTRIBUTES => self.sign_attributes(ctx, d(value)),
            MSG_DELETE_PROVIDER_ATTRIBUTES => self.delete_attributes(ctx, d(value)),
            MSG_CREATE_ORDER => self.create_order(ctx, d(value)),
            MSG_CLOSE_ORDER => self.close_order(ctx, d(value)),
            MSG_DEPOSIT_ESCROW => self.deposit_escrow(ctx, d(value)),
            MSG_CREATE_BID => self.create_bid(ctx, d(value)),
            MSG_CLOSE_BID => self.close_bid(ctx, d(value)),
            MSG_ACCEPT_BID => self.accept_bid(ctx, d(value)),
            MSG_CLOSE_LEASE => self.close_lease(ctx, d(value)),
            MSG_WITHDRAW_LEASE => self.withdraw_lease(ctx, d(value)),
            MSG_SETTLE => self.settle(ctx, d(value)),
            MSG_UPDATE_PARAMS => self.update_params(ctx, d(value)),
            MSG_PROPOSE_DEAL => self.propose_deal(ctx, d(value)),
            MSG_CANCEL_DEAL => self.cancel_deal(ctx, d(value)),
            MSG_ACCEPT_DEAL => self.accept_deal(ctx, d(value)),
            MSG_SUBMIT_STORAGE_PROOF => self.submit_proof(ctx, d(value)),
            _ => Ok(Vec::new()),
        }
    }

    fn register_auditor(&self, ctx: &mut Ctx<'_, '_>, m: MsgRegisterAuditor) -> AppResult<Vec<u8>> {
        let mut store = ctx.storage(PREFIX);
        if AUDITORS.has(&store, &m.address) {
            return Err(MarketError::AuditorExists(m.address).into());
        }
        if AUDITOR_PURGES.has(&store, &m.address) {
            return Err(MarketError::AuditorBeingRemoved(m.address).into());
        }
        let auditor = Auditor {
            address: m.address.clone(),
            info: m.info,
        };
        AUDITORS.save(&mut store, &m.address, &auditor)?;
        ctx.emit(events::auditor_registered(&m.address));
        Ok(MsgRegisterAuditorResponse {}.encode_to_vec())
    }

    /// The auditor goes at once; its signatures count for nothing from now on and are deleted
    /// by begin block in bounded batches.
    fn remove_auditor(&self, ctx: &mut Ctx<'_, '_>, m: MsgRemoveAuditor) -> AppResult<Vec<u8>> {
        let mut store = ctx.storage(PREFIX);
        if !AUDITORS.has(&store, &m.address) {
            return Err(MarketError::AuditorNotFound(m.address).into());
        }
        AUDITORS.remove(&mut store, &m.address);
        AUDITOR_PURGES.save(&mut store, &m.address, &())?;
        ctx.emit(events::auditor_removed(&m.address));
        Ok(MsgRemoveAuditorResponse {}.encode_to_vec())
    }

    /// Device ids: at most max_devices_per_provider, unique, each registered, owned by
    /// `owner`, active, of a compute or storage class.
    fn check_devices(
        &self,
        ctx: &mut Ctx<'_, '_>,
        params: &Params,
        owner: &str,
        ids: &[String],
    ) -> AppResult<()> {
        if ids.len() > params.max_devices_per_provider as usize {
            return Err(MarketError::TooMany {
                what: "device_ids",
                count: ids.len(),
                max: params.max_devices_per_provider,
            }
            .into());
        }
        let mut seen = BTreeSet::new();
        for id in ids {
            if !seen.insert(id) {
                return Err(field("device_ids", format!("{id} appears twice")).into());
            }
            let dev = self
                .keeper
                .devices()
                .market_device(ctx, id)?
                .ok_or_else(|| MarketError::DeviceNotFound(id.clone()))?;
            if dev.owner != owner {
                return Err(MarketError::DeviceNotOwned {
                    device: id.clone(),
                    owner: dev.owner,
                    provider: owner.to_string(),
                }
                .into());
            }
            if !dev.sells_capacity {
                return Err(MarketError::DeviceWrongKind {
                    device: id.clone(),
                    class: dev.class,
                }
                .into());
            }
            if !dev.active {
                return Err(MarketError::DeviceNotActive {
                    device: id.clone(),
                    status: dev.status,
                }
                .into());
            }
        }
        Ok(())
    }

    fn check_attribute_count(params: &Params, n: usize) -> AppResult<()> {
        if n > params.max_attributes as usize {
            return Err(MarketError::TooMany {
                what: "attributes",
                count: n,
                max: params.max_attributes,
            }
            .into());
        }
        Ok(())
    }

    fn create_provider(&self, ctx: &mut Ctx<'_, '_>, m: MsgCreateProvider) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        if self.keeper.provider(ctx, &m.owner)?.is_some() {
            return Err(MarketError::ProviderExists(m.owner).into());
        }
        let attributes = attrs_from_proto(&m.attributes);
        Self::check_attribute_count(&params, attributes.len())?;
        let collateral = positive_coin(&m.collateral, "collateral")?;
        let amount = check_denom(&collateral, "collateral", &params)?;
        if amount < params.min_provider_collateral.amount {
            return Err(MarketError::CollateralBelowMin {
                have: collateral.to_string(),
                min: params.min_provider_collateral.to_string(),
            }
            .into());
        }
        self.check_devices(ctx, &params, &m.owner, &m.device_ids)?;
        self.keeper.pull(ctx, &m.owner, amount, &params.denom)?;
        let provider = Provider {
            owner: m.owner.clone(),
            host_uri: m.host_uri,
            attributes,
            device_ids: m.device_ids,
            collateral: coins_of(amount, &params.denom),
            reputation: Reputation::default(),
            created_height: ctx.env.height as i64,
            locked_collateral: Vec::new(),
        };
        self.keeper.save_provider(ctx, &provider)?;
        ctx.emit(events::provider_created(&m.owner, &collateral.to_string()));
        Ok(MsgCreateProviderResponse {}.encode_to_vec())
    }

    fn load_provider(&self, ctx: &mut Ctx<'_, '_>, owner: &str) -> AppResult<Provider> {
        self.keeper
            .provider(ctx, owner)?
            .ok_or_else(|| MarketError::ProviderNotFound(owner.to_string()).into())
    }

    /// Replaces URI, attributes and devices; auditors' signatures on attributes the provider
    /// no longer declares (as signed) are dropped.
    fn update_provider(&self, ctx: &mut Ctx<'_, '_>, m: MsgUpdateProvider) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let mut provider = self.load_provider(ctx, &m.owner)?;
        let attributes = attrs_from_proto(&m.attributes);
        Self::check_attribute_count(&params, attributes.len())?;
        self.check_devices(ctx, &params, &m.owner, &m.device_ids)?;
        provider.host_uri = m.host_uri;
        provider.attributes = attributes;
        provider.device_ids = m.device_ids;
        self.keeper.save_provider(ctx, &provider)?;
        // One record per auditor that signed: bounded by the registered auditors.
        let signed: Vec<(String, Vec<Attribute>)> = {
            let store = ctx.storage(PREFIX);
            AUDITED
                .prefix(&m.owner)
                .range(&store, None, None, SortOrder::Ascending)
                .collect::<Result<_, _>>()?
        };
        let mut store = ctx.storage(PREFIX);
        for (auditor, attrs) in signed {
            let kept: Vec<Attribute> = attrs
                .into_iter()
                .filter(|a| provider.has_attribute(a))
                .collect();
            if kept.is_empty() {
                AUDITED.remove(&mut store, (&m.owner, &auditor));
                AUDITED_BY_AUDITOR.remove(&mut store, (&auditor, &m.owner));
            } else {
                AUDITED.save(&mut store, (&m.owner, &auditor), &kept)?;
            }
        }
        ctx.emit(events::provider_updated(&m.owner));
        Ok(MsgUpdateProviderResponse {}.encode_to_vec())
    }

    fn deposit_collateral(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgDepositCollateral,
    ) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let mut provider = self.load_provider(ctx, &m.owner)?;
        let coin = positive_coin(&m.amount, "amount")?;
        let amount = check_denom(&coin, "amount", &params)?;
        self.keeper.pull(ctx, &m.owner, amount, &params.denom)?;
        provider.collateral = coins::add(&provider.collateral, &coins_of(amount, &params.denom))?;
        self.keeper.save_provider(ctx, &provider)?;
        ctx.emit(events::collateral_deposited(&m.owner, &coin.to_string()));
        Ok(MsgDepositCollateralResponse {}.encode_to_vec())
    }

    fn withdraw_collateral(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgWithdrawCollateral,
    ) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let mut provider = self.load_provider(ctx, &m.owner)?;
        let coin = positive_coin(&m.amount, "amount")?;
        let amount = check_denom(&coin, "amount", &params)?;
        let have = crate::types::amount_of(&provider.collateral, &params.denom);
        let locked = crate::types::amount_of(&provider.locked_collateral, &params.denom);
        let need = params.min_provider_collateral.amount.saturating_add(locked);
        let left = have.checked_sub(amount).ok();
        if left.is_none_or(|l| l < need) {
            return Err(MarketError::CollateralLocked {
                amount: coin.to_string(),
                left: coin_str(have.saturating_sub(amount), &params.denom),
                need: coin_str(need, &params.denom),
            }
            .into());
        }
        let left = left.unwrap_or_default();
        provider.collateral = coins_of(left, &params.denom);
        self.keeper.save_provider(ctx, &provider)?;
        self.keeper.push(ctx, &m.owner, amount, &params.denom)?;
        ctx.emit(events::collateral_withdrawn(&m.owner, &coin.to_string()));
        Ok(MsgWithdrawCollateralResponse {}.encode_to_vec())
    }

    fn sign_attributes(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgSignProviderAttributes,
    ) -> AppResult<Vec<u8>> {
        if !self.keeper.is_auditor(ctx, &m.auditor)? {
            return Err(MarketError::AuditorNotFound(m.auditor).into());
        }
        let provider = self.load_provider(ctx, &m.provider)?;
        let attrs = attrs_from_proto(&m.attributes);
        for a in &attrs {
            if !provider.has_attribute(a) {
                return Err(MarketError::AttributeNotDeclared {
                    provider: m.provider.clone(),
                    key: a.key.clone(),
                    value: a.value.clone(),
                }
                .into());
            }
        }
        let mut store = ctx.storage(PREFIX);
        let mut signed = AUDITED
            .may_load(&store, (&m.provider, &m.auditor))?
            .unwrap_or_default();
        for a in &attrs {
            signed.retain(|s| s.key != a.key);
            signed.push(a.clone());
        }
        signed.sort();
        AUDITED.save(&mut store, (&m.provider, &m.auditor), &signed)?;
        AUDITED_BY_AUDITOR.save(&mut store, (&m.auditor, &m.provider), &())?;
        let keys: Vec<&str> = attrs.iter().map(|a| a.key.as_str()).collect();
        ctx.emit(events::attributes_signed(
            &m.auditor,
            &m.provider,
            &keys.join(","),
        ));
        Ok(MsgSignProviderAttributesResponse {}.encode_to_vec())
    }

    fn delete_attributes(
        &self,
        ctx: &mut Ctx<'_, '_>,
        m: MsgDeleteProviderAttributes,
    ) -> AppResult<Vec<u8>> {
        if !self.keeper.is_auditor(ctx, &m.auditor)? {
            return Err(MarketError::AuditorNotFound(m.auditor).into());
        }
        let mut store = ctx.storage(PREFIX);
        let nothing = || MarketError::NothingSigned {
            auditor: m.auditor.clone(),
            provider: m.provider.clone(),
        };
        let mut signed = AUDITED
            .may_load(&store, (&m.provider, &m.auditor))?
            .ok_or_else(nothing)?;
        let before = signed.len();
        if m.keys.is_empty() {
            signed.clear();
        } else {
            signed.retain(|a| !m.keys.contains(&a.key));
        }
        if signed.len() == before {
            return Err(nothing().into());
        }
        if signed.is_empty() {
            AUDITED.remove(&mut store, (&m.provider, &m.auditor));
            AUDITED_BY_AUDITOR.remove(&mut store, (&m.auditor, &m.provider));
        } else {
            AUDITED.save(&mut store, (&m.provider, &m.auditor), &signed)?;
        }
        ctx.emit(events::attributes_deleted(
            &m.auditor,
            &m.provider,
            &m.keys.join(","),
        ));
        Ok(MsgDeleteProviderAttributesResponse {}.encode_to_vec())
    }

    fn create_order(&self, ctx: &mut Ctx<'_, '_>, m: MsgCreateOrder) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let max_price = positive_coin(&m.max_price_per_block, "max_price_per_block")?;
        let price = check_denom(&max_price, "max_price_per_block", &params)?;
        let deposit_coin = positive_coin(&m.deposit, "deposit")?;
        let deposit = check_denom(&deposit_coin, "deposit", &params)?;
        let min = price
            .checked_mul(Uint128::from(params.min_order_deposit_blocks))
            .map_err(|_| field("max_price_per_block", "too large"))?;
        if deposit < min {
            return Err(MarketError::DepositTooSmall {
                deposit: deposit_coin.to_string(),
                min: coin_str(min, &params.denom),
                blocks: params.min_order_deposit_blocks,
            }
            .into());
        }
        let requirements = m
            .requirements
            .as_ref()
            .map(PlacementRequirements::from_proto)
            .unwrap_or_default();
        Self::check_attribute_count(&params, requirements.attributes.len())?;
        let id = NEXT_ORDER_ID.may_load(&ctx.storage(PREFIX))?.unwrap_or(1);
        let next = id
            .checked_add(1)
            .ok_or_else(|| MarketError::Corrupt("order ids are exhausted".into()))?;
        NEXT_ORDER_ID.save(&mut ctx.storage(PREFIX), &next)?;
        let height = ctx.env.height;
        let deadline = height.saturating_add(params.bid_timeout_blocks);
        let order = Order {
            id,
            tenant: m.tenant.clone(),
            resources: m
                .resources
                .as_ref()
                .map(Resources::from_proto)
                .unwrap_or_default(),
            requirements,
            max_price_per_block: max_price.clone(),
            state: OrderState::Open as i32,
            created_height: height as i64,
            bids: 0,
            bid_deadline: i64::try_from(deadline).unwrap_or(i64::MAX),
        };
        self.keeper.save_order(ctx, &order)?;
        ORDER_TIMEOUTS.save(&mut ctx.storage(PREFIX), (deadline, id), &())?;
        self.keeper
            .open_escrow(ctx, &order_escrow_id(id), &m.tenant, &m.tenant, deposit)?;
        ctx.emit(events::order_created(
            id,
            &m.tenant,
            &max_price.to_string(),
            &deposit_coin.to_string(),
        ));
        Ok(MsgCreateOrderResponse { order_id: id }.encode_to_vec())
    }

    fn load_order(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<Order> {
        self.keeper
            .order(ctx, id)?
            .ok_or_else(|| MarketError::OrderNotFound(id).into())
    }

    /// An order that is open and still taking bids.
    fn open_order(&self, ctx: &mut Ctx<'_, '_>, id: u64) -> AppResult<Order> {
        let order = self.load_order(ctx, id)?;
        if !order.is(OrderState::Open) {
            return Err(MarketError::OrderNotOpen {
                order: id,
                state: order_state_name(order.state).into(),
            }
            .into());
        }
        if ctx.env.height as i64 > order.bid_deadline {
            return Err(MarketError::BidDeadlinePassed {
                order: id,
                deadline: order.bid_deadline,
                height: ctx.env.height,
            }
            .into());
        }
        Ok(order)
    }

    fn check_tenant(order: &Order, signer: &str) -> AppResult<()> {
        if order.tenant != signer {
            return Err(MarketError::NotTenant {
                order: order.id,
                signer: signer.to_string(),
                tenant: order.tenant.clone(),
            }
            .into());
        }
        Ok(())
    }

    /// A bidding provider must serve the order from a device: at least one of its listed
    /// devices is registered, still its own, active now and of a compute class. Checked at
    /// every bid (devices stop being active when their heartbeats stop), reading at most
    /// max_devices_per_provider devices and stopping at the first that serves.
    fn check_serving_device(&self, ctx: &mut Ctx<'_, '_>, provider: &Provider) -> AppResult<()> {
        let mut why = Vec::new();
        for id in &provider.device_ids {
            match self.keeper.devices().market_device(ctx, id)? {
                None => why.push(format!("{id} is not registered")),
                Some(d) if d.owner != provider.owner => {
                    why.push(format!("{id} belongs to {}", d.owner))
                }
                Some(d) if !d.compute => why.push(format!("{id} is of class {}", d.class)),
                Some(d) if !d.active => why.push(format!("{id} is {}", d.status)),
                Some(_) => return Ok(()),
            }
        }
        let reason = if why.is_empty() {
            "it lists no devices (add one with MsgUpdateProvider)".to_string()
        } else {
            why.join("; ")
        };
        Err(MarketError::NoServingDevice {
            provider: provider.owner.clone(),
            reason,
        }
        .into())
    }

    /// Whether `provider` meets `req`: its declared attributes include every required one,
    /// each signed by at least one of `signed_by` (registered now) when that is set, and its
    /// reputation passes the filters.
    fn check_requirements(
        &self,
        ctx: &mut Ctx<'_, '_>,
        provider: &Provider,
        req: &PlacementRequirements,
    ) -> AppResult<()> {
        let unmet = |reason: String| MarketError::RequirementsNotMet {
            provider: provider.owner.clone(),
            reason,
        };
        for a in &req.attributes {
            if !provider.has_attribute(a) {
                return Err(unmet(format!("it does not declare {}={}", a.key, a.value)).into());
            }
        }
        if !req.signed_by.is_empty() {
            let mut signatures = Vec::new();
            for auditor in &req.signed_by {
                if !self.keeper.is_auditor(ctx, auditor)? {
                    continue;
                }
                if let Some(s) =
                    AUDITED.may_load(&ctx.storage(PREFIX), (&provider.owner, auditor))?
                {
                    signatures.push(s);
                }
            }
            // With no attributes listed, any signature of one of them will do.
            if req.attributes.is_empty() && signatures.is_empty() {
                return Err(unmet(format!(
                    "none of the auditors [{}] signed its attributes",
                    req.signed_by.join(",")
                ))
                .into());
            }
            for a in &req.attributes {
                if !signatures.iter().any(|s| s.contains(a)) {
                    return Err(unmet(format!(
                        "no auditor of [{}] signed {}={}",
                        req.signed_by.join(","),
                        a.key,
                        a.value
                    ))
                    .into());
                }
            }
        }
        if let Some(reason) = req.reputation_shortfall(&provider.reputation) {
            return Err(unmet(format!("it has {reason}")).into());
        }
        Ok(())
    }

    fn create_bid(&self, ctx: &mut Ctx<'_, '_>, m: MsgCreateBid) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let provider = self.load_provider(ctx, &m.provider)?;
        let mut order = self.open_order(ctx, m.order_id)?;
        let price = positive_coin(&m.price_per_block, "price_per_block")?;
        if price.denom != order.max_price_per_block.denom {
            return Err(MarketError::WrongDenom {
                what: "price_per_block",
                got: price.denom,
                want: order.max_price_per_block.denom,
            }
            .into());
        }
        if price.amount > order.max_price_per_block.amount {
            return Err(MarketError::PriceAboveMax {
                price: price.to_string(),
                max: order.max_price_per_block.to_string(),
            }
            .into());
        }
        // One bid per provider per order, ever: a closed or lost bid stays on record.
        if self.keeper.bid(ctx, order.id, &m.provider)?.is_some() {
            return Err(MarketError::DuplicateBid {
                order: order.id,
                provider: m.provider,
            }
            .into());
        }
        // Only open bids take a slot: bids that were closed or lost do not starve the order.
        let max = params.max_bids_per_order as usize;
        if self.keeper.open_bid_count(ctx, order.id, max)? >= max {
            return Err(MarketError::TooManyBids {
                order: order.id,
                max: params.max_bids_per_order,
            }
            .into());
        }
        self.check_serving_device(ctx, &provider)?;
        self.check_requirements(ctx, &provider, &order.requirements)?;
        let deposit = params.bid_deposit.clone();
        self.keeper
            .pull(ctx, &m.provider, deposit.amount, &deposit.denom)?;
        let bid = Bid {
            order_id: order.id,
            provider: m.provider.clone(),
            price_per_block: price.clone(),
            deposit,
            state: BidState::Open as i32,
            created_height: ctx.env.height as i64,
        };
        self.keeper.save_bid(ctx, &bid)?;
        order.bids = order.bids.saturating_add(1);
        self.keeper.save_order(ctx, &order)?;
        ctx.emit(events::bid_created(
            order.id,
            &m.provider,
            &price.to_string(),
        ));
        Ok(MsgCreateBidResponse {}.encode_to_vec())
    }

    fn load_bid(&self, ctx: &mut Ctx<'_, '_>, order: u64, provider: &str) -> AppResult<Bid> {
        self.keeper.bid(ctx, order, provider)?.ok_or_else(|| {
            MarketError::BidNotFound {
                order,
                provider: provider.to_string(),
            }
            .into()
        })
    }

    fn require_open_bid(bid: &Bid) -> AppResult<()> {
        if !bid.is(BidState::Open) {
            return Err(MarketError::BidNotOpen {
                order: bid.order_id,
                provider: bid.provider.clone(),
                state: bid_state_name(bid.state).into(),
            }
            .into());
        }
        Ok(())
    }

    fn close_bid(&self, ctx: &mut Ctx<'_, '_>, m: MsgCloseBid) -> AppResult<Vec<u8>> {
        let mut bid = self.load_bid(ctx, m.order_id, &m.provider)?;
        Self::require_open_bid(&bid)?;
        self.keeper
            .push(ctx, &bid.provider, bid.deposit.amount, &bid.deposit.denom)?;
        bid.state = BidState::Closed as i32;
        self.keeper.save_bid(ctx, &bid)?;
        ctx.emit(events::bid_closed(
            bid.order_id,
            &bid.provider,
            bid_state_name(bid.state),
            CloseReason::Provider.as_str_name(),
        ));
        Ok(MsgCloseBidResponse {}.encode_to_vec())
    }

    fn accept_bid(&self, ctx: &mut Ctx<'_, '_>, m: MsgAcceptBid) -> AppResult<Vec<u8>> {
        Self::check_tenant(&self.load_order(ctx, m.order_id)?, &m.tenant)?;
        let mut order = self.open_order(ctx, m.order_id)?;
        let mut bid = self.load_bid(ctx, order.id, &m.provider)?;
        Self::require_open_bid(&bid)?;
        let height = ctx.env.height as i64;
        // The other open bids lose: fewer than max_bids_per_order of them (as it was when
        // they were placed, at most MAX_BIDS_PER_ORDER_CAP), read through the open-bid index.
        let others = self.keeper.open_bids(ctx, order.id, usize::MAX)?;
        for mut other in others {
            if other.provider == bid.provider {
                continue;
            }
            self.keeper.push(
                ctx,
                &other.provider,
                other.deposit.amount,
                &other.deposit.denom,
            )?;
            other.state = BidState::Lost as i32;
            self.keeper.save_bid(ctx, &other)?;
            ctx.emit(events::bid_closed(
                order.id,
                &other.provider,
                bid_state_name(other.state),
                CloseReason::Lost.as_str_name(),
            ));
        }
        bid.state = BidState::Active as i32;
        self.keeper.save_bid(ctx, &bid)?;
        ORDER_TIMEOUTS.remove(
            &mut ctx.storage(PREFIX),
            (order.bid_deadline.max(0) as u64, order.id),
        );
        order.state = OrderState::Active as i32;
        self.keeper.save_order(ctx, &order)?;
        let lease = Lease {
            order_id: order.id,
            provider: bid.provider.clone(),
            tenant: order.tenant.clone(),
            price_per_block: bid.price_per_block.clone(),
            state: LeaseState::Active as i32,
            created_height: height,
            settled_height: height,
            paid: zero(&bid.price_per_block.denom),
            unwithdrawn: zero(&bid.price_per_block.denom),
            insufficient_since: 0,
            closed_height: 0,
            close_reason: 0,
        };
        self.keeper.save_lease(ctx, &lease)?;
        ctx.emit(events::lease_created(
            order.id,
            &order.tenant,
            &bid.provider,
            &bid.price_per_block.to_string(),
        ));
        Ok(MsgAcceptBidResponse {}.encode_to_vec())
    }

    fn close_lease(&self, ctx: &mut Ctx<'_, '_>, m: MsgCloseLease) -> AppResult<Vec<u8>> {
        let lease = self
            .keeper
            .lease(ctx, m.order_id)?
            .ok_or(MarketError::LeaseNotFound(m.order_id))?;
        let reason = if m.sender == lease.tenant {
            CloseReason::Tenant
        } else if m.sender == lease.provider {
            CloseReason::Provider
        } else {
            return Err(MarketError::NotLeaseParty {
                order: m.order_id,
                signer: m.sender,
            }
            .into());
        };
        if lease.is_closed() {
            return Err(MarketError::LeaseClosed(m.order_id).into());
        }
        let (mut lease, mut escrow) = self.keeper.settle_lease(ctx, m.order_id)?;
        // The settlement may have closed it (grace over): that close stands. A provider that
        // leaves a lease whose tenant stopped paying is not at fault: no forfeit, no mark.
        let reason = if reason == CloseReason::Provider && lease.is(LeaseState::InsufficientFunds) {
            CloseReason::InsufficientFunds
        } else {
            reason
        };
        if !lease.is_closed() {
            self.keeper
                .close_lease(ctx, &mut lease, &mut escrow, reason)?;
        }
        Ok(MsgCloseLeaseResponse {}.encode_to_vec())
    }

    fn close_order(&self, ctx: &mut Ctx<'_, '_>, m: MsgCloseOrder) -> AppResult<Vec<u8>> {
        let mut order = self.load_order(ctx, m.order_id)?;
        Self::check_tenant(&order, &m.tenant)?;
        if order.is(OrderState::Open) {
            self.keeper
                .close_open_order(ctx, &mut order, CloseReason::Tenant)?;
        } else if order.is(OrderState::Active) {
            let (mut lease, mut escrow) = self.keeper.settle_lease(ctx, order.id)?;
            if !lease.is_closed() {
                self.keeper
                    .close_lease(ctx, &mut lease, &mut escrow, CloseReason::Tenant)?;
            }
        } else {
            return Err(MarketError::OrderNotOpen {
                order: order.id,
                state: order_state_name(order.state).into(),
            }
            .into());
        }
        Ok(MsgCloseOrderResponse {}.encode_to_vec())
    }

    /// Tops up an escrow. An order's lease is settled first; if that closes it (grace over)
    /// the message succeeds without taking the deposit. A lease short of funds resumes when
    /// the top-up covers a block, paid from this height on.
    fn deposit_escrow(&self, ctx: &mut Ctx<'_, '_>, m: MsgDepositEscrow) -> AppResult<Vec<u8>> {
        let params = self.keeper.params(ctx)?;
        let coin = positive_coin(&m.amount, "amount")?;
        let amount = check_denom(&coin, "amount", &params)?;
        let mut escrow = self
            .keeper
            .escrow(ctx, &m.escrow_id)?
            .ok_or_else(|| MarketError::EscrowNotFound(m.escrow_id.clone()))?;
        if escrow.is_closed() {
            return Err(MarketError::EscrowClosed(m.escrow_id).into());
        }
        let order_id = order_of_escrow(&m.escrow_id);
        let mut lease = None;
        if let Some(id) = order_id {
            if let Some(mut order) = self.keeper.order(ctx, id)? {
                if self.keeper.expire_if_due(ctx, &mut order)? {
                    return Ok(MsgDepositEscrowResponse {}.encode_to_vec());
                }
            }
            if self.keeper.lease(ctx, id)?.is_some() {
                let (l, e) = self.keeper.settle_lease(ctx, id)?;
                if l.is_closed() {
                    return Ok(MsgDepositEscrowResponse {}.encode_to_vec());
                }
                escrow = e;
                lease = Some(l);
            }
        }
        self.keeper
            .add_to_escrow(ctx, &mut escrow, &m.depositor, amount)?;
        if let Some(l) = lease.filter(|l| l.is(LeaseState::InsufficientFunds)) {
            // The deposit pays the lease's debt first; paid in full, the lease runs again.
            let (after, _) = self.keeper.settle_lease(ctx, l.order_id)?;
            if after.is(LeaseState::Active) {
                ctx.emit(events::lease_resumed(after.order_id, &after.provider));
            }
        }
        Ok(MsgDepositEscrowResponse {}.encode_to_vec())
    }

    fn withdraw_lease(&self, ctx: &mut Ctx<'_, '_>, m: MsgWithdrawLease) -> AppResult<Vec<u8>> {
        let lease = self
            .keeper
            .lease(ctx, m.order_id)?
            .ok_or(MarketError::LeaseNotFound(m.order_id))?;
        if lease.provider != m.provider {
            return Err(MarketError::NotLeaseProvider {
                order: m.order_id,
                signer: m.provider,
                provider: lease.provider,
            }
            .into());
        }
        if lease.is_closed() {
            return Err(MarketError::LeaseClosed(m.order_id).into());
        }
        // What the provider had withdrawn before; all it is paid now is the rest of `paid`.
        let withdrawn_before = lease
            .paid
            .amount
            .checked_sub(lease.unwithdrawn.amount)
            .map_err(|_| {
                MarketError::Corrupt(format!(
                    "lease {}: unwithdrawn {} exceeds paid {}",
                    lease.order_id, lease.unwithdrawn.amount, lease.paid.amount
                ))
            })?;
        let (mut lease, _) = self.keeper.settle_lease(ctx, m.order_id)?;
        if !lease.is_closed() {
            // (A settlement that closed the lease paid it out already.)
            self.keeper.pay_unwithdrawn(ctx, &mut lease)?;
            self.keeper.save_lease(ctx, &lease)?;
        }
        let amount = lease.paid.amount.saturating_sub(withdrawn_before);
        Ok(MsgWithdrawLeaseResponse {
            amount: Some(
                Coin {
                    denom: lease.unwithdrawn.denom.clone(),
                    amount,
                }
                .to_proto(),
            ),
        }
        .encode_to_vec())
    }

    /// Settles an escrow up to now: an order's lease (closing it when its grace is over), or
    /// an open order past its bid deadline (closed).
    fn settle(&self, ctx: &mut Ctx<'_, '_>, m: MsgSettle) -> AppResult<Vec<u8>> {
        let escrow = self
            .keeper
            .escrow(ctx, &m.escrow_id)?
            .ok_or_else(|| MarketError::EscrowNotFound(m.escrow_id.clone()))?;
        if escrow.is_closed() {
            return Err(MarketError::EscrowClosed(m.escrow_id).into());
        }
        if let Some(id) = order_of_escrow(&m.escrow_id) {
            if let Some(mut order) = self.keeper.order(ctx, id)? {
                if self.keeper.expire_if_due(ctx, &mut order)? {
                    return Ok(MsgSettleResponse {}.encode_to_vec());
                }
            }
            if self.keeper.lease(ctx, id)?.is_some() {
                self.keeper.settle_lease(ctx, id)?;
            }
        }
        Ok(MsgSettleResponse {}.encode_to_vec())
    }

    fn update_params(&self, ctx: &mut Ctx<'_, '_>, m: MsgUpdateParams) -> AppResult<Vec<u8>> {
        let p = m.params.as_ref().ok_or(MarketError::MissingParams)?;
        let params = Params::from_proto(p)?;
        params.validate()?;
        // Balances, collateral and prices are all in the denom: it is fixed at genesis.
        let current = self.keeper.params(ctx)?;
        if params.denom != current.denom {
            return Err(MarketError::InvalidParams(format!(
                "denom cannot change from {} to {}: escrows, collateral and prices are held in it",
                current.denom, params.denom
            ))
            .into());
        }
        // Usage epochs are height / usage_epoch_blocks: a new length would renumber them
        // (back into epochs already shared out by the rewards module, or far ahead).
        if params.usage_epoch_blocks != current.usage_epoch_blocks {
            return Err(MarketError::InvalidParams(format!(
                "usage_epoch_blocks cannot change from {}: usage epochs are numbered by it",
                current.usage_epoch_blocks
            ))
            .into());
        }
        PARAMS.save(&mut ctx.storage(PREFIX), &params)?;
        ctx.emit(events::params_updated());
        Ok(MsgUpdateParamsResponse {}.encode_to_vec())
    }
}
