//! Children who leave, on the kindergarten's page: each enrolled child with the form that
//! records its leaving (day and reason, asked twice: the seat goes to the queue), and the
//! groups' roll-over into the academic year that has begun. Both go through the API's
//! operations (`App::leave`, `App::roll_over`), so the rules and refusals are the same.

use crate::context::{Ctx, Signed};
use crate::pages::{ask_first, back_to, posted, written};
use crate::{see_other, Console};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use kezek_app::access::KindergartenOrStaff;
use kezek_print::words::{code, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// The reasons a child leaves, as the API names them.
const REASONS: [&str; 4] = ["moved", "school", "family_request", "other"];

/// An enrolled child, with the form that records its leaving.
pub(crate) fn child(
    lang: Lang,
    s: &Signed,
    k: &str,
    c: &Value,
    today: jiff::civil::Date,
) -> Markup {
    let id = c["application_id"].as_str().unwrap_or_default();
    let name = c["child_name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or("—");
    markup! {
        strong { (name) } " · " (id)
        details class="leave" {
            summary { (t("child_left_button", lang)) }
            form method="post" action=(format!("/console/kindergartens/{k}/children/{id}/leave")) class="actions" {
                input type="hidden" name="csrf" value=(s.csrf);
                div {
                    label for=(format!("date-{id}")) { (t("leave_date", lang)) }
                    input type="date" id=(format!("date-{id}")) name="date" value=(today) max=(today) required;
                }
                div {
                    label for=(format!("reason-{id}")) { (t("leave_reason", lang)) }
                    select id=(format!("reason-{id}")) name="reason" required {
                        @for r in REASONS {
                            option value=(r) { (code(&format!("leave_{r}"), lang)) }
                        }
                    }
                }
                button type="submit" class="danger" { (t("child_left_button", lang)) }
            }
        }
    }
}

/// The roll-over: done for the year in progress, or the button that does it.
pub(crate) fn roll_over_section(lang: Lang, s: &Signed, k: &str, kg: &Value, year: i16) -> Markup {
    let rolled = kg["rolled_over"].as_i64();
    let span = |y: i64| format!("{y}–{}", y + 1);
    markup! {
        section data-testid="roll-over" {
            h2 { (t("roll_over", lang)) }
            @if rolled.is_some_and(|y| y >= i64::from(year)) {
                p { (t("rolled_over_into", lang)) " " strong { (span(i64::from(year))) } }
            } @else {
                p class="hint" { (t("roll_over_hint", lang)) }
                form method="post" action=(format!("/console/kindergartens/{k}/roll-over")) {
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="academic_year" value=(year);
                    button type="submit" class="secondary" { (t("roll_over_button", lang)) " " (span(i64::from(year))) }
                }
            }
        }
    }
}

/// The leaving's form.
#[derive(Deserialize)]
pub struct LeaveFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/kindergartens/{kindergarten}/children/{application}/leave`.
pub async fn leave(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((k, application)): Path<(String, String)>,
    Form(form): Form<LeaveFields>,
) -> Response {
    let auth = match posted::<KindergartenOrStaff>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let k = match back_to(&ctx, &k) {
        Ok(k) => k,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let fields = [
        ("csrf", form.csrf.as_str()),
        ("date", form.date.as_str()),
        ("reason", form.reason.as_str()),
    ];
    if let Some(page) = ask_first(
        &ctx,
        &form.sure,
        (
            &format!("/console/kindergartens/{k}/children/{application}/leave"),
            &format!("/console/kindergartens/{k}"),
        ),
        (t("sure_leave", lang), t("yes_leave", lang)),
        &fields,
    ) {
        return page;
    }
    let body = kezek_app::forms::LeaveForm {
        date: form.date,
        reason: form.reason,
    };
    let result = console
        .app
        .leave(&auth, None, (&k, &application), body)
        .await;
    written(&ctx, result, |_| {
        see_other(&ctx, &format!("/console/kindergartens/{k}?done=left"))
    })
}

/// The roll-over's form.
#[derive(Deserialize)]
pub struct RollOverFields {
    #[serde(default)]
    csrf: String,
    academic_year: i16,
    #[serde(default)]
    sure: String,
}

/// `POST /console/kindergartens/{kindergarten}/roll-over`.
pub async fn roll_over(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(k): Path<String>,
    Form(form): Form<RollOverFields>,
) -> Response {
    let auth = match posted::<KindergartenOrStaff>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let k = match back_to(&ctx, &k) {
        Ok(k) => k,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let year = form.academic_year.to_string();
    let fields = [
        ("csrf", form.csrf.as_str()),
        ("academic_year", year.as_str()),
    ];
    if let Some(page) = ask_first(
        &ctx,
        &form.sure,
        (
            &format!("/console/kindergartens/{k}/roll-over"),
            &format!("/console/kindergartens/{k}"),
        ),
        (t("sure_roll_over", lang), t("yes_roll_over", lang)),
        &fields,
    ) {
        return page;
    }
    let body = kezek_app::forms::RollOverForm {
        academic_year: form.academic_year,
    };
    let result = console.app.roll_over(&auth, None, &k, body).await;
    written(&ctx, result, |_| {
        see_other(
            &ctx,
            &format!("/console/kindergartens/{k}?done=rolled_over"),
        )
    })
}
