//! A district's worklists (its staff): the priority claims to check, oldest first, with the
//! regulations' deadline and whether it has passed (said in words, not by colour alone), each
//! verified or rejected here with a reason; and the referrals outstanding, soonest to lapse.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::{back_to, posted, refuse, written};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, Staff};
use kezek_app::ops::worklists::{ClaimList, ReferralWorklist};
use kezek_app::AppError;
use kezek_print::words::local_time;
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

fn claims_table(
    lang: Lang,
    csrf: &str,
    d: &str,
    c: &ClaimList,
    offset: jiff::tz::Offset,
) -> Markup {
    markup! {
        @if c.claims.is_empty() {
            p data-testid="claims" { (t("no_claims", lang)) }
        } @else {
            div class="table-wrap" {
                table data-testid="claims" {
                    thead { tr {
                        th scope="col" { (t("application_id", lang)) } th scope="col" { (t("category", lang)) }
                        th scope="col" { (t("claimed_at", lang)) } th scope="col" { (t("due_by", lang)) }
                        th scope="col" { (t("proof_files", lang)) }
                        th scope="col" { (t("decision", lang)) }
                    } }
                    tbody {
                        @for claim in &c.claims {
                            tr data-application=(claim.application_id) class=(if claim.overdue { "overdue" } else { "" }) {
                                td { (claim.application_id) }
                                td { (claim.category.as_deref().map(|x| code(x, lang)).unwrap_or_default()) }
                                td { (local_time(claim.claimed_at, offset)) }
                                td { (local_time(claim.due_by, offset)) @if claim.overdue { " " strong class="flag" { (t("overdue", lang)) } } }
                                td {
                                    @if claim.files.is_empty() { (t("no_proof_files", lang)) }
                                    @else { (super::proof::list(lang, &claim.files, true)) }
                                }
                                td {
                                    form method="post" action=(format!("/console/claims/{}", claim.application_id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="district" value=(d);
                                        label for=(format!("reason-{}", claim.application_id)) { (t("reason", lang)) }
                                        input type="text" id=(format!("reason-{}", claim.application_id)) name="reason" required;
                                        div class="actions" {
                                            button type="submit" name="decision" value="verified" { (t("verify", lang)) }
                                            button type="submit" name="decision" value="rejected" class="danger" { (t("reject", lang)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn referrals_table(lang: Lang, r: &ReferralWorklist, offset: jiff::tz::Offset) -> Markup {
    markup! {
        @if r.referrals.is_empty() {
            p data-testid="lapsing" { (t("no_referrals", lang)) }
        } @else {
            div class="table-wrap" {
                table data-testid="lapsing" {
                    thead { tr {
                        th scope="col" { (t("referral_heading", lang)) } th scope="col" { (t("application_id", lang)) }
                        th scope="col" { (t("kindergarten", lang)) } th scope="col" { (t("status", lang)) }
                        th scope="col" { (t("lapses_at", lang)) }
                    } }
                    tbody {
                        @for x in &r.referrals {
                            tr { td { (x.referral_id) } td { (x.application_id) } td { (x.kindergarten_id) " / " (x.group_id) }
                                 td { (code(x.status, lang)) } td { (local_time(x.lapses_at, offset)) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/districts/{district}/worklists`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(district): Path<String>,
    Query(q): Query<crate::pages::Done>,
) -> Response {
    let auth = match Auth::<Staff>::check(s.caller.clone()) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            Ok((
                r.claims(&auth, &district, None)?,
                r.referrals(&auth, &district, None, None)?,
                r.local_offset(),
            ))
        })
        .await
        .and_then(|r| r);
    let (claims, referrals, offset) = match read {
        Ok(x) => x,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let body = markup! {
        @if q.done.is_some() { (notice(true, t("done", lang))) }
        h2 { (t("claims_to_check", lang)) " (" (claims.claims.len()) ", " (t("overdue", lang)) ": " (claims.overdue) ")" }
        (claims_table(lang, &s.csrf, &district, &claims, offset))
        h2 { (t("referrals_outstanding", lang)) }
        (referrals_table(lang, &referrals, offset))
    };
    let title = format!("{} — {district}", t("worklists", lang));
    html(&ctx, StatusCode::OK, page(&ctx, &title, body))
}

/// A claim decision's form.
#[derive(Deserialize)]
pub struct Decide {
    #[serde(default)]
    csrf: String,
    district: String,
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/claims/{application}`.
pub async fn decide(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(application): Path<String>,
    Form(form): Form<Decide>,
) -> Response {
    let auth = match posted::<Staff>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let district = match back_to(&ctx, &form.district) {
        Ok(d) => d,
        Err(page) => return *page,
    };
    let to = format!("/console/districts/{district}/worklists?done=claim");
    if form.decision == "rejected" {
        let lang = ctx.lang;
        let fields = [
            ("csrf", form.csrf.as_str()),
            ("district", district.as_str()),
            ("decision", form.decision.as_str()),
            ("reason", form.reason.as_str()),
        ];
        if let Some(page) = crate::pages::ask_first(
            &ctx,
            &form.sure,
            (
                &format!("/console/claims/{application}"),
                &format!("/console/districts/{district}/worklists"),
            ),
            (t("sure_reject_claim", lang), t("yes_reject_claim", lang)),
            &fields,
        ) {
            return page;
        }
    }
    let decision = kezek_app::forms::PriorityForm {
        decision: form.decision,
        reason: form.reason,
    };
    let result = console
        .app
        .decide_claim(&auth, None, &application, decision)
        .await;
    written(&ctx, result, |_| see_other(&ctx, &to))
}
