//! The ante step: what every transaction must pass before its messages run, in the Cosmos
//! SDK's order and with its error codes. Its writes (fee paid, sequences bumped, public keys
//! set) are kept even when the messages then fail.

use base64::Engine;
use depin_app::coins::{self, Coin};
use depin_app::context::{Ctx, Event, ExecMode};
use depin_app::error::AppResult;
use depin_app::module::{AnteHandler, SigCheck, TxContext};
use depin_app::tx::{address_bytes, TxError};

use crate::error::AuthError;
use crate::keeper::{key_bytes, AuthKeeper, FeeBank};

/// A secp256k1 signature: r || s.
const SIGNATURE_BYTES: u64 = 64;

pub struct AuthAnte<B: FeeBank> {
    keeper: AuthKeeper,
    bank: B,
}

impl<B: FeeBank> AuthAnte<B> {
    pub fn new(keeper: AuthKeeper, bank: B) -> Self {
        AuthAnte { keeper, bank }
    }

    /// The fee, and who pays it (the first signer unless `fee.payer` names another signer).
    fn fee(&self, tx: &TxContext<'_>) -> AppResult<(Vec<Coin>, Vec<u8>)> {
        let fee = tx.tx.auth_info.fee.clone().unwrap_or_default();
        if !fee.granter.is_empty() {
            return Err(AuthError::FeeGranter.into());
        }
        let amount = coins::from_proto(&fee.amount)?;
        let payer = if fee.payer.is_empty() {
            tx.signers[0].clone()
        } else {
            let p = self.keeper.codec().decode(&fee.payer)?;
            if !tx.signers.contains(&p) {
                return Err(AuthError::FeePayerNotSigner(fee.payer).into());
            }
            p
        };
        Ok((amount, payer))
    }

    /// CheckTx only: the fee must pay the node's minimum gas price in at least one of its
    /// denoms. Block execution does not check it (it is a node setting, not consensus).
    fn check_min_fee(ctx: &Ctx<'_, '_>, fee: &[Coin], gas: u64) -> AppResult<()> {
        let prices = &ctx.env.min_gas_prices;
        if !ctx.env.mode.is_check() || prices.is_empty() {
            return Ok(());
        }
        let mut required = Vec::new();
        for price in prices {
            let need = price.fee_for(gas).unwrap_or(cosmwasm_std::Uint128::MAX);
            if need.is_zero() {
                return Ok(());
            }
            let have = fee
                .iter()
                .find(|c| c.denom == price.denom)
                .map_or(cosmwasm_std::Uint128::zero(), |c| c.amount);
            if have >= need {
                return Ok(());
            }
            required.push(Coin {
                denom: price.denom.clone(),
                amount: need,
            });
        }
        Err(AuthError::InsufficientFee {
            got: coins::format(fee),
            required: format!(
                "{} (gas {gas} at minimum gas price {})",
                coins::format(&required),
                prices
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
        .into())
    }
}

impl<B: FeeBank> AnteHandler for AuthAnte<B> {
    fn ante(&self, ctx: &mut Ctx<'_, '_>, tx: &TxContext<'_>) -> AppResult<()> {
        let params = self.keeper.params(ctx)?;
        // The Cosmos SDK counts the memo in bytes.
        let memo = tx.tx.body.memo.len();
        if memo as u64 > params.max_memo_characters {
            return Err(AuthError::MemoTooLarge {
                max: params.max_memo_characters,
                got: memo,
            }
            .into());
        }
        let sigs = tx.tx.raw.signatures.len();
        if sigs as u64 > params.tx_sig_limit {
            return Err(AuthError::TooManySignatures {
                max: params.tx_sig_limit,
                got: sigs,
            }
            .into());
        }
        let mut size = tx.size as u64;
        if ctx.env.mode == ExecMode::Simulate {
            // Wallets simulate with empty signatures: count the 64 bytes (and the length
            // prefix) each will have, so the estimate covers the signed transaction.
            let missing = tx.tx.raw.signatures.iter().filter(|s| s.is_empty()).count() as u64;
            size = size.saturating_add(missing.saturating_mul(SIGNATURE_BYTES + 1));
        }
        ctx.consume_gas(params.tx_size_cost_per_byte.saturating_mul(size), "txSize");
        ctx.check_gas()?;

        let (fee, payer) = self.fee(tx)?;
        let gas_limit = tx.tx.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
        Self::check_min_fee(ctx, &fee, gas_limit)?;

        let mut acc_seqs = Vec::with_capacity(tx.signers.len());
        let mut signatures = Vec::with_capacity(tx.signers.len());
        for (i, signer) in tx.signers.iter().enumerate() {
            let bech32 = self.keeper.codec().encode(signer);
            let mut account = self
                .keeper
                .account(ctx, signer)?
                .ok_or_else(|| AuthError::UnknownAccount(bech32.clone()))?;
            let carried = if ctx.env.mode == ExecMode::Simulate {
                tx.tx.simulated_signer_pubkey(i)?
            } else {
                tx.tx.signer_pubkey(i)?
            };
            let key = match carried {
                Some(key) => {
                    if address_bytes(&key).as_slice() != signer.as_slice() {
                        return Err(AuthError::PubKeyMismatch {
                            address: bech32,
                            index: i,
                        }
                        .into());
                    }
                    if account.pub_key.is_none() {
                        account.pub_key = Some(key_bytes(&key));
                    }
                    Some(key)
                }
                None => match &account.pub_key {
                    Some(k) => Some(k.as_slice().try_into().map_err(|_| {
                        TxError::InvalidPubKey("stored key is not 33 bytes".into())
                    })?),
                    // A simulation may leave the key out; its gas is still charged below.
                    None if ctx.env.mode == ExecMode::Simulate => None,
                    None => return Err(AuthError::PubKeyNotSet(bech32).into()),
                },
            };
            let info = &tx.tx.auth_info.signer_infos[i];
            if info.sequence != account.sequence {
                return Err(AuthError::WrongSequence {
                    expected: account.sequence,
                    got: info.sequence,
                }
                .into());
            }
            ctx.consume_gas(params.sig_verify_cost_secp256k1, "ante verify: secp256k1");
            ctx.check_gas()?;
            let signature = &tx.tx.raw.signatures[i];
            if ctx.env.mode != ExecMode::Simulate {
                let key = key.ok_or_else(|| AuthError::PubKeyNotSet(bech32.clone()))?;
                let sign_bytes = tx.tx.sign_bytes(&ctx.env.chain_id, account.account_number);
                ctx.env.sig_cache.verify(&key, &sign_bytes, signature)?;
            }
            acc_seqs.push(format!("{bech32}/{}", account.sequence));
            signatures.push(base64::engine::general_purpose::STANDARD.encode(signature));
            let overflow = AuthError::WrongSequence {
                expected: account.sequence,
                got: info.sequence,
            };
            account.sequence = account.sequence.checked_add(1).ok_or(overflow)?;
            self.keeper.set_account(ctx, signer, &account)?;
        }

        if ctx.env.mode == ExecMode::Simulate && fee.is_empty() {
            // Wallets simulate with an empty fee; charge the gas of the fee transfer the signed
            // transaction will make (the simulation's writes are discarded).
            self.bank.simulate_fee(ctx, &payer)?;
        } else {
            self.bank.deduct_fee(ctx, &payer, &fee)?;
        }
        ctx.emit(
            Event::new("tx")
                .attr("fee", coins::format(&fee))
                .attr("fee_payer", self.keeper.codec().encode(&payer)),
        );
        for s in acc_seqs {
            ctx.emit(Event::new("tx").attr("acc_seq", s));
        }
        for s in signatures {
            ctx.emit(Event::new("tx").attr("signature", s));
        }
        Ok(())
    }

    fn signature_checks(&self, ctx: &mut Ctx<'_, '_>, tx: &TxContext<'_>) -> Vec<SigCheck> {
        let mut out = Vec::new();
        for (i, signer) in tx.signers.iter().enumerate() {
            let Ok(Some(account)) = self.keeper.account(ctx, signer) else {
                continue;
            };
            let key = match tx.tx.signer_pubkey(i) {
                Ok(Some(k)) => k,
                Ok(None) => match account
                    .pub_key
                    .as_ref()
                    .and_then(|k| k.as_slice().try_into().ok())
                {
                    Some(k) => k,
                    None => continue,
                },
                Err(_) => continue,
            };
            let Some(signature) = tx.tx.raw.signatures.get(i) else {
                continue;
            };
            out.push(SigCheck {
                pubkey: key,
                sign_bytes: tx.tx.sign_bytes(&ctx.env.chain_id, account.account_number),
                signature: signature.clone(),
            });
        }
        out
    }
}
