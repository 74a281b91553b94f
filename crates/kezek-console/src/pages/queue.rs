//! The queue explorer (a district's staff, auditors): one cohort queue — an age and a
//! language — in its merged order, a page at a time, each child with its number, tier,
//! priority, registration time and kindergartens; and a search by application number or child
//! IIN that opens the page the child is on.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::refuse;
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, QueueReaders};
use kezek_app::ops::queue::{QueuePage, QueueQuery};
use kezek_app::AppError;
use kezek_print::words::local_time;
use kezek_print::words::years;
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// Children per page.
const PER_PAGE: usize = 50;

/// The explorer's query.
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    age: Option<i16>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    after: Option<usize>,
}

/// The search: an application number or a child's IIN, posted (never in a URL).
#[derive(Deserialize)]
pub struct Find {
    #[serde(default)]
    csrf: String,
    find: String,
}

fn filters(lang: Lang, (d, csrf): (&str, &str), p: &Params, tiers: &[String]) -> Markup {
    let age = p.age.unwrap_or(3);
    let language = p.language.as_deref().unwrap_or("kk");
    markup! {
        form method="get" action=(format!("/console/districts/{d}/queue")) class="actions" {
            div { label for="age" { (t("age", lang)) }
                select id="age" name="age" { @for a in 0..=6i16 { option value=(a) selected[a == age] { (years(i64::from(a), lang)) } } } }
            div { label for="language" { (t("language", lang)) }
                select id="language" name="language" { @for l in ["kk", "ru"] { option value=(l) selected[l == language] { (code(l, lang)) } } } }
            div { label for="tier" { (t("tier", lang)) }
                select id="tier" name="tier" {
                    option value="" { (t("all_tiers", lang)) }
                    @for tier in tiers { option value=(tier) selected[p.tier.as_deref() == Some(tier.as_str())] { (code(tier, lang)) } }
                } }
            button type="submit" { (t("show", lang)) }
        }
        form method="post" action=(format!("/console/districts/{d}/queue")) class="actions" role="search" {
            input type="hidden" name="csrf" value=(csrf);
            div { label for="find" { (t("find", lang)) }
                input type="text" id="find" name="find" autocomplete="off" placeholder="KZ0000000001 / 200515501002"; }
            button type="submit" class="secondary" { (t("find_button", lang)) }
        }
    }
}

fn table(lang: Lang, d: &str, q: &QueuePage, p: &Params, offset: jiff::tz::Offset) -> Markup {
    let next = q.next_after.map(|after| {
        let tier = p
            .tier
            .as_deref()
            .map(|t| format!("&tier={t}"))
            .unwrap_or_default();
        format!(
            "/console/districts/{d}/queue?age={}&language={}{tier}&after={after}",
            q.age_years, q.language
        )
    });
    markup! {
        p class="muted" { (q.cohort) " · " (years(i64::from(q.age_years), lang)) " · " (code(q.language, lang)) " · " (t("total", lang)) ": " strong { (q.total) } }
        @if q.children.is_empty() {
            p data-testid="queue" { (t("queue_empty", lang)) }
        } @else {
            div class="table-wrap" {
                table data-testid="queue" {
                    thead { tr {
                        th scope="col" class="num" { "№" } th scope="col" { (t("application_id", lang)) }
                        th scope="col" { (t("tier", lang)) } th scope="col" { (t("category", lang)) }
                        th scope="col" { (t("registered_on", lang)) } th scope="col" { (t("kindergartens", lang)) }
                    } }
                    tbody {
                        @for c in &q.children {
                            tr data-application=(c.application_id) {
                                td class="num" { (c.number) } td { (c.application_id) }
                                td { (code(&c.tier, lang)) }
                                td { @if let Some(cat) = &c.category { (code(cat, lang)) " (" (code(c.priority_status, lang)) ")" } }
                                td { (local_time(c.registered_at, offset)) }
                                td { (c.preferences.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = next { p { a href=(href) rel="next" { (t("next_page", lang)) " →" } } }
    }
}

/// `POST /console/districts/{district}/queue`: a child found by number or IIN — at its place
/// in the queue when it waits there, else at its application's page (referred, admitted,
/// closed), when the key may see it.
pub async fn find(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(d): Path<String>,
    Form(form): Form<Find>,
) -> Response {
    let lang = ctx.lang;
    let auth = match super::posted::<QueueReaders>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let find = form.find.trim();
    // Scope first (the same scoped operation as the API's), then counted: a search by IIN
    // tells whether a child is in this district's queue, so it must be slow to repeat; an
    // answer over the budget is not given.
    let target = console
        .app
        .reads(|r| r.find_in_queue(&auth, &d, find))
        .await
        .and_then(|r| r);
    if target.is_ok() {
        let spend = kezek_app::app::budgets::Spend::QueueSearch {
            key_id: &s.caller.key_id,
        };
        match console.app.spend(spend).await {
            Ok(true) => {}
            Ok(false) => {
                let text = t("too_many_searches", lang);
                return super::status::too_many(&ctx, text, notice(false, text));
            }
            Err(e) => return refuse(&ctx, &e),
        }
    }
    match target {
        Ok(Some(spot)) => see_other(
            &ctx,
            &format!(
                "/console/districts/{d}/queue?age={}&language={}&after={}",
                spot.age, spot.language, spot.after
            ),
        ),
        Ok(None) => match console.app.case_file(&auth, find).await {
            Ok(Some(file)) => see_other(&ctx, &format!("/console/applications/{}", file.status.id)),
            Ok(None) => {
                let text = t("application_not_found", lang);
                html(
                    &ctx,
                    StatusCode::NOT_FOUND,
                    page(&ctx, text, notice(false, text)),
                )
            }
            Err(e) => refuse(&ctx, &e),
        },
        Err(e) => refuse(&ctx, &e),
    }
}

/// `GET /console/districts/{district}/queue`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(d): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    let lang = ctx.lang;
    let auth = match Auth::<QueueReaders>::check(s.caller.clone()) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let query = QueueQuery {
        cohort: None,
        age: Some(p.age.unwrap_or(3)),
        language: p.language.clone().unwrap_or_else(|| "kk".to_owned()),
        tier: p.tier.clone().filter(|x| !x.is_empty()),
        after: p.after.unwrap_or(0),
        limit: Some(PER_PAGE),
    };
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            let tiers: Vec<String> = r.tier_names().into_iter().map(str::to_owned).collect();
            Ok((r.page(&auth, &d, &query)?, tiers, r.local_offset()))
        })
        .await
        .and_then(|r| r);
    match read {
        Ok((q, tiers, offset)) => {
            let body = markup! { (filters(lang, (&d, &s.csrf), &p, &tiers)) (table(lang, &d, &q, &p, offset)) };
            let title = format!("{} — {d}", t("queue", lang));
            html(&ctx, StatusCode::OK, page(&ctx, &title, body))
        }
        Err(e) => refuse(&ctx, &e),
    }
}
