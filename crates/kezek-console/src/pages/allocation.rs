//! Allocation (a district's staff): a preview of the next round — who would be referred
//! where, decided on the state as it is, nothing journaled — then "run the round", then the
//! round's page with every referral it issued (auditors may read it too).

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::{posted, refuse, written};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, Staff, StaffOrAuditor};
use kezek_app::ops::rounds::{PlannedReferral, WhyInRound, WhyView};
use kezek_app::AppError;
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

fn referrals_table(lang: Lang, testid: &str, list: &[PlannedReferral]) -> Markup {
    markup! {
        @if list.is_empty() {
            p data-testid=(testid) { (t("no_referrals_planned", lang)) }
        } @else {
            div class="table-wrap" {
                table data-testid=(testid) {
                    thead { tr {
                        th scope="col" { (t("child", lang)) } th scope="col" { (t("tier", lang)) }
                        th scope="col" { (t("kindergarten", lang)) } th scope="col" { (t("group", lang)) }
                    } }
                    tbody {
                        @for r in list {
                            tr data-application=(r.application_id) {
                                td { (if r.child_name.is_empty() { "—" } else { &r.child_name }) br; span class="muted" { (r.application_id) } }
                                td { (code(&r.tier, lang)) }
                                td { (kezek_print::words::name_in(lang, &r.kindergarten_name, r.kindergarten_name_ru.as_deref())) " " span class="muted" { "(" (r.kindergarten_id) ")" } }
                                td { (r.group_id) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `?why=`: a child whose place in the preview to explain.
#[derive(Deserialize, Default)]
pub struct Why {
    #[serde(default)]
    why: Option<String>,
}

fn explanation(lang: Lang, w: &WhyView) -> Markup {
    let ordinal = |n: usize| format!("{n}");
    markup! {
        div data-testid="why" class="card" {
            h3 { (w.application_id) ": " (t(&format!("preview_{}", w.outcome), lang)) }
            @if let Some(r) = &w.referral {
                p { (kezek_print::words::name_in(lang, &r.kindergarten_name, r.kindergarten_name_ru.as_deref())) " (" (r.kindergarten_id) "), " (t("group", lang)) " " (r.group_id) }
            }
            @if w.outcome == "not_queued" {
                p { (t("status", lang)) ": " (code(w.status, lang)) }
            }
            @if w.stopped_until.is_some() {
                p { (t("stopped", lang)) }
            }
            @if !w.choices.is_empty() {
                ol {
                    @for c in &w.choices {
                        li data-kindergarten=(c.kindergarten_id) {
                            strong { (kezek_print::words::name_in(lang, &c.kindergarten_name, c.kindergarten_name_ru.as_deref())) " (" (c.kindergarten_id) ")" } ": "
                            (t(c.reason, lang))
                            @if let Some(g) = &c.group_id { " — " (t("group", lang)) " " (g) ", " (t("free", lang)) ": " (c.free) }
                            @if let Some(p) = c.position { ", " (t("position_among", lang)) ": " (ordinal(p)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/districts/{district}/allocation`: the preview and the button.
pub async fn preview(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(district): Path<String>,
    Query(q): Query<Why>,
) -> Response {
    let auths = Auth::<Staff>::check(s.caller.clone())
        .and_then(|a| Ok((a, Auth::<StaffOrAuditor>::check(s.caller.clone())?)));
    let (auth, reader) = match auths {
        Ok(x) => x,
        Err(e) => return refuse(&ctx, &e),
    };
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            let why = q
                .why
                .as_deref()
                .filter(|w| !w.trim().is_empty())
                .map(|w| r.why_round(&auth, &district, w));
            Ok((
                r.preview_round(&auth, &district)?,
                why,
                r.rounds_of(&reader, &district, 50)?,
                r.local_offset(),
            ))
        })
        .await
        .and_then(|r| r);
    let (list, why, past, offset) = match read {
        Ok(x) => x,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let body = markup! {
        p { (t("preview_intro", lang)) }
        (referrals_table(lang, "preview", &list))
        form method="get" action=(format!("/console/districts/{district}/allocation")) class="actions" {
            div { label for="why" { (t("why_label", lang)) }
                input type="text" id="why" name="why" autocomplete="off" value=(q.why.clone().unwrap_or_default()); }
            button type="submit" class="secondary" { (t("explain", lang)) }
        }
        @match &why {
            Some(Ok(w)) => (explanation(lang, w)),
            Some(Err(e)) => (notice(false, &crate::pages::refusal_text(&ctx, e).1)),
            None => {},
        }
        form method="post" action=(format!("/console/districts/{district}/allocation")) {
            input type="hidden" name="csrf" value=(s.csrf);
            button type="submit" { (t("run_round", lang)) }
        }
        (past_rounds(lang, &past, offset))
    };
    let title = format!("{} — {district}", t("allocation", lang));
    html(&ctx, StatusCode::OK, page(&ctx, &title, body))
}

/// The rounds that ran in the district, newest first, each leading to its page.
fn past_rounds(
    lang: Lang,
    past: &[kezek_app::ops::rounds::RoundSummary],
    offset: jiff::tz::Offset,
) -> Markup {
    markup! {
        h2 { (t("past_rounds", lang)) }
        @if past.is_empty() {
            p { (t("no_rounds_yet", lang)) }
        } @else {
            ul data-testid="past-rounds" {
                @for r in past {
                    li {
                        a href=(format!("/console/rounds/{}", r.round_id)) { (kezek_print::words::local_time(r.ran_at, offset)) }
                        " · " (t(if r.whole_district { "round_district" } else { "round_at_registration" }, lang))
                        " · " (t("referrals_issued", lang)) ": " (r.referrals)
                    }
                }
            }
        }
    }
}

/// The run form.
#[derive(Deserialize)]
pub struct Run {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/districts/{district}/allocation`: runs the round, then shows it.
pub async fn run(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(district): Path<String>,
    Form(form): Form<Run>,
) -> Response {
    let auth = match posted::<Staff>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let here = format!("/console/districts/{district}/allocation");
    if let Some(page) = crate::pages::ask_first(
        &ctx,
        &form.sure,
        (&here, &here),
        (t("sure_round", lang), t("yes_round", lang)),
        &[("csrf", form.csrf.as_str())],
    ) {
        return page;
    }
    let round_form = kezek_app::forms::RoundForm::default();
    let result = console
        .app
        .run_round(&auth, None, &district, round_form)
        .await;
    written(&ctx, result, |body| {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let id = v
            .get("round_id")
            .and_then(|x| x.as_str())
            .unwrap_or_default();
        see_other(&ctx, &format!("/console/rounds/{id}"))
    })
}

fn explanation_in_round(lang: Lang, w: &WhyInRound) -> Markup {
    markup! {
        div data-testid="why" class="card" {
            h3 { (w.application_id) ": " (t(&format!("round_{}", w.outcome), lang)) }
            @if let Some(r) = &w.referral {
                p { (kezek_print::words::name_in(lang, &r.kindergarten_name, r.kindergarten_name_ru.as_deref())) " (" (r.kindergarten_id) "), " (t("group", lang)) " " (r.group_id) }
            }
            @if !w.choices.is_empty() {
                ol {
                    @for c in &w.choices {
                        li data-kindergarten=(c.kindergarten_id) {
                            strong { (kezek_print::words::name_in(lang, &c.kindergarten_name, c.kindergarten_name_ru.as_deref())) " (" (c.kindergarten_id) ")" } ": "
                            (t(&format!("round_{}", c.reason), lang))
                            @if !c.taken_by.is_empty() { " " (c.taken_by.join(", ")) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/rounds/{round}[?why=]`.
pub async fn round(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<Why>,
) -> Response {
    let auth = match Auth::<StaffOrAuditor>::check(s.caller.clone()) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            let why = q
                .why
                .as_deref()
                .filter(|w| !w.trim().is_empty())
                .map(|w| r.why_in_round(&auth, &id, w));
            Ok((r.round_referrals(&auth, &id)?, why))
        })
        .await
        .and_then(|r| r);
    match read {
        Ok(((district, list), why)) => {
            let lang = ctx.lang;
            let body = markup! {
                p class="muted" { (t("district", lang)) " " (district) " · " (list.len()) " " (t("referrals_issued", lang)) }
                (referrals_table(lang, "round", &list))
                form method="get" action=(format!("/console/rounds/{id}")) class="actions" {
                    div { label for="why" { (t("why_label", lang)) }
                        input type="text" id="why" name="why" autocomplete="off" value=(q.why.clone().unwrap_or_default()); }
                    button type="submit" class="secondary" { (t("explain", lang)) }
                }
                @match &why {
                    Some(Ok(w)) => (explanation_in_round(lang, w)),
                    Some(Err(e)) => (notice(false, &crate::pages::refusal_text(&ctx, e).1)),
                    None => {},
                }
            };
            let title = format!("{} {id}", t("round_title", lang));
            html(&ctx, StatusCode::OK, page(&ctx, &title, body))
        }
        Err(e) => refuse(&ctx, &e),
    }
}
