//! Transfers that keep the current place: the family of an enrolled child asks for other
//! kindergartens of its district (the portal for the citizen; a clerk or the district's staff
//! at their desks), or withdraws the request. Rounds consider the requests after every queued
//! child (`kezek_core::allocation`).

use super::{application_answer, in_scope, known};
use crate::access::{Auth, Filer};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::forms::{ExchangeForm, TransferForm};
use crate::App;
use kezek_core::command::transfer::{RequestTransfer, WithdrawTransfer};
use kezek_core::model::ApplicationId;
use std::sync::Arc;

impl App {
    /// Asks for (or changes) the kindergartens an enrolled child should move to (200 with
    /// the application and its `transfer`).
    ///
    /// # Errors
    /// Unknown application, a clerk or staff outside its district, a child not enrolled, a
    /// transfer referral open, bad kindergartens, or the service unavailable.
    pub async fn request_transfer(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        id: &str,
        form: TransferForm,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let caller = auth.caller().clone();
        let answer_id = application_id.clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                in_scope(state, &caller, &application_id)?;
                Ok(RequestTransfer {
                    application_id,
                    preferences: form.preferences,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }

    /// Withdraws the request to transfer (200 with the application).
    ///
    /// # Errors
    /// Unknown application, out of scope, no request, a transfer referral open (declined
    /// instead), or the service unavailable.
    pub async fn withdraw_transfer(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let caller = auth.caller().clone();
        let answer_id = application_id.clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                in_scope(state, &caller, &application_id)?;
                Ok(WithdrawTransfer { application_id, at }.into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }
}

impl App {
    /// A family confirms the exchange its child is offered (200 with the application); the
    /// last family's confirmation moves every child in it.
    ///
    /// # Errors
    /// Unknown exchange or application, out of scope, an exchange done, lapsed or past its
    /// time, an application not in it or that confirmed already, or the service unavailable.
    pub async fn confirm_exchange(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        id: &str,
        form: ExchangeForm,
    ) -> Result<Written, AppError> {
        let exchange_id = kezek_core::model::ReferralId::parse(id)
            .map_err(|_| AppError::not_found("exchange", id))?;
        let application_id = ApplicationId::parse(&form.application_id)
            .map_err(|_| AppError::not_found("application", &form.application_id))?;
        let caller = auth.caller().clone();
        let answer_id = application_id.clone();
        self.sweep().await?;
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                in_scope(state, &caller, &application_id)?;
                Ok(kezek_core::command::exchange::ConfirmExchange {
                    exchange_id,
                    application_id,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }
}
