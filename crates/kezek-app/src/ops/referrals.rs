//! Referrals: the parent's answer (confirm, decline), the kindergarten's (enroll, no-show),
//! a kindergarten's referrals to admit, and the lapse of overdue ones.

use crate::access::{Auth, Caller, Kindergartens, Portal, Role};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::views;
use crate::App;
use crate::Reads;
use kezek_core::command::admission::{Enroll, NoShow};
use kezek_core::command::referral::{Confirm, Decline};
use kezek_core::event::LapseReason;
use kezek_core::model::{KindergartenId, ReferralId};
use kezek_core::{Command, Event, Outcome, State};
use std::sync::Arc;

/// The answer to an act on referral `id`: the referral and its application's status, and the
/// kindergarten's signed decision when the act was one (admitted, or not admitted).
fn referral_answer(state: &State, outcome: &Outcome, id: &ReferralId) -> Written {
    let decision = outcome.iter().find_map(|(seq, e)| match e {
        Event::Enrolled { .. }
        | Event::ReferralLapsed {
            reason: LapseReason::NotAdmitted,
            ..
        } => Some(views::result_id(*seq)),
        _ => None,
    });
    let answer = state.referral(id).and_then(|r| {
        Some(views::ReferralAnswer {
            referral: views::referral(state, r)?,
            application_status: state.application(r.app)?.status.as_str(),
            decision_document_id: decision,
            as_of_seq: state.last_seq().get(),
        })
    });
    Written::json(200, &answer)
}

impl App {
    /// An act on referral `raw`: overdue referrals lapse first; a kindergarten may act only
    /// on its own referrals.
    pub(crate) async fn act_on_referral(
        self: &Arc<Self>,
        caller: &Caller,
        idem: Option<Idempotency>,
        raw: &str,
        command: impl FnOnce(ReferralId, jiff::Timestamp) -> Command,
    ) -> Result<Written, AppError> {
        let referral_id =
            ReferralId::parse(raw).map_err(|_| AppError::not_found("referral", raw))?;
        self.sweep().await?;
        let answer_id = referral_id.clone();
        let who = caller.clone();
        self.write(
            caller,
            idem,
            move |state, at| {
                let r = state
                    .referral(&referral_id)
                    .ok_or_else(|| AppError::not_found("referral", referral_id.as_str()))?;
                if who.role == Role::Kindergarten {
                    let k = state
                        .kindergarten(r.kindergarten)
                        .map_or("", |k| k.id.as_str());
                    who.require_scope(Role::Kindergarten, k)?;
                }
                who.for_citizen(state, r.app)?;
                Ok(command(referral_id, at))
            },
            move |state, outcome, _| referral_answer(state, outcome, &answer_id),
        )
        .await
    }

    /// The parent confirms a referral.
    ///
    /// # Errors
    /// Unknown, not issued or expired referral, or the service unavailable.
    pub async fn confirm(
        self: &Arc<Self>,
        auth: &Auth<Portal>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, |referral_id, at| {
            Confirm { referral_id, at }.into()
        })
        .await
    }

    /// The parent declines a referral.
    ///
    /// # Errors
    /// Unknown or closed referral, or the service unavailable.
    pub async fn decline(
        self: &Arc<Self>,
        auth: &Auth<Portal>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, |referral_id, at| {
            Decline { referral_id, at }.into()
        })
        .await
    }

    /// The kindergarten admits the child.
    ///
    /// # Errors
    /// Unknown, closed or expired referral, another kindergarten's, or the service
    /// unavailable.
    pub async fn enroll(
        self: &Arc<Self>,
        auth: &Auth<Kindergartens>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, |referral_id, at| {
            Enroll { referral_id, at }.into()
        })
        .await
    }

    /// The kindergarten's head decides the child cannot be admitted: the seat returns, the
    /// child goes back to the queue at its original time, a signed decision is issued.
    ///
    /// # Errors
    /// Unknown, closed or unconfirmed referral, another kindergarten's, bad grounds, or the
    /// service unavailable.
    pub async fn not_admit(
        self: &Arc<Self>,
        auth: &Auth<Kindergartens>,
        idem: Option<Idempotency>,
        id: &str,
        form: crate::forms::NotAdmittedForm,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, move |referral_id, at| {
            kezek_core::command::admission::NotAdmit {
                referral_id,
                grounds: form.grounds,
                at,
            }
            .into()
        })
        .await
    }

    /// The one extension of a confirmed referral's admission deadline, with a reason.
    ///
    /// # Errors
    /// Unknown, unconfirmed or closed referral, extended before, bad days or reason, another
    /// kindergarten's, or the service unavailable.
    pub async fn extend(
        self: &Arc<Self>,
        auth: &Auth<Kindergartens>,
        idem: Option<Idempotency>,
        id: &str,
        form: crate::forms::ExtendForm,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, move |referral_id, at| {
            kezek_core::command::referral::Extend {
                referral_id,
                days: form.days,
                reason: form.reason,
                at,
            }
            .into()
        })
        .await
    }

    /// The child did not come.
    ///
    /// # Errors
    /// Unknown or closed referral, another kindergarten's, or the service unavailable.
    pub async fn no_show(
        self: &Arc<Self>,
        auth: &Auth<Kindergartens>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        self.act_on_referral(auth.caller(), idem, id, |referral_id, at| {
            NoShow { referral_id, at }.into()
        })
        .await
    }
}

impl<'s> Reads<'s> {
    /// The referrals of kindergarten `raw` with one of `status` (`None`: issued and confirmed;
    /// `enrolled`: the children it admitted), each with what it may do now.
    ///
    /// # Errors
    /// Another kindergarten's, a status other than `issued` or `confirmed`, or an unknown
    /// kindergarten.
    pub fn of_kindergarten(
        &self,
        auth: &Auth<Kindergartens>,
        raw: &str,
        status: Option<&str>,
    ) -> Result<views::ReferralList<'s>, AppError> {
        let state = self.state;
        auth.caller().require_scope(Role::Kindergarten, raw)?;
        let wanted = super::open_referrals(status)?;
        let k = KindergartenId::parse(raw)
            .ok()
            .and_then(|id| state.kindergarten_index(&id))
            .ok_or_else(|| AppError::not_found("kindergarten", raw))?;
        let view = |r: &'s kezek_core::state::Referral| {
            let mut view = views::referral(state, r)?;
            view.actions = views::kindergarten_actions(state, r, self.now);
            Some(view)
        };
        let referrals = if wanted == [kezek_core::model::ReferralStatus::Enrolled] {
            // The children the kindergarten has now, group by group, by name: one who left
            // is no longer among them.
            state
                .kindergarten(k)
                .into_iter()
                .flat_map(|kg| &kg.groups)
                .flat_map(|g| &g.children)
                .filter_map(|a| state.application(*a)?.referral)
                .filter_map(|r| view(state.referral_at(r)?))
                .collect()
        } else {
            state
                .referrals()
                .filter(|(_, r)| r.kindergarten == k && wanted.contains(&r.status))
                .filter_map(|(_, r)| view(r))
                .collect()
        };
        Ok(views::ReferralList {
            referrals,
            as_of_seq: state.last_seq().get(),
        })
    }
}
