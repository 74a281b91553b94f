//! The register a service keeps (the candidate adopters) in the console: each entry the
//! reader may see, with its applicant, since when, and whether it is active or was removed
//! (on which ground), linked to its case, where the head removes it.

use crate::context::{Ctx, Signed};
use crate::layout::page;
use crate::pages::refuse;
use crate::{html, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::access::{Auth, CaseWorkers};
use kezek_print::words::{local_time, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// `?status=active|removed`.
#[derive(Debug, Deserialize)]
pub struct Which {
    #[serde(default)]
    status: Option<String>,
}

/// The links to the registers the services `org` provides keep (a district's own services).
#[must_use]
pub fn links(console: &Console, lang: Lang, org: &str) -> Markup {
    let services = console.app.services().unwrap_or_default();
    let district = console.app.is_district(org);
    let kept = |s: &&kezek_app::ops::cases::ServiceView| {
        s.register_removal.as_array().is_some_and(|g| !g.is_empty())
            && (s.provider == "district") == district
    };
    markup! {
        @for s in services.iter().filter(kept) {
            p { a href=(format!("/console/services/{}/register", s.service)) {
                (t("register_of", lang)) ": " (if lang == Lang::Ru { &s.name.ru } else { &s.name.kk }) } }
        }
    }
}

/// `GET /console/services/{service}/register[?status=active|removed]`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(service): Path<String>,
    Query(q): Query<Which>,
) -> Response {
    let auth = match Auth::<CaseWorkers>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let active = match q.status.as_deref() {
        Some("active") => Some(true),
        Some("removed") => Some(false),
        _ => None,
    };
    let entries = match console.app.case_register(&auth, &service, active) {
        Ok(e) => e,
        Err(e) => return refuse(&ctx, &e),
    };
    let offset = console.app.local_offset();
    let name = console
        .app
        .service_words(&service)
        .map(|(n, _)| if lang == Lang::Ru { n.ru } else { n.kk })
        .unwrap_or_default();
    let base = format!("/console/services/{service}/register");
    let body = markup! {
        p class="muted" { (name) }
        p {
            a href=(base) { (t("all_cases", lang)) } " · "
            a href=(format!("{base}?status=active")) { (t("register_active", lang)) } " · "
            a href=(format!("{base}?status=removed")) { (t("register_removed", lang)) }
        }
        @if entries.is_empty() { p { (t("nothing_found", lang)) } }
        div class="table-wrap" {
            table data-testid="register" {
                thead { tr {
                    th scope="col" { (t("case", lang)) }
                    th scope="col" { (t("applicant_name", lang)) }
                    th scope="col" { (t("organisation", lang)) }
                    th scope="col" { (t("register_entered", lang)) }
                    th scope="col" { (t("status", lang)) }
                } }
                tbody {
                    @for e in &entries {
                        @let entered = e.steps.as_array().and_then(|s| s.iter().find(|x| x["step"] == "sign")).and_then(|x| x["done"].as_str()).and_then(|d| d.parse().ok());
                        @let removed = e.register.as_ref().is_some_and(|r| r["status"] == "removed");
                        tr data-case=(e.case_id) {
                            td { a href=(format!("/console/cases/{}", e.case_id)) { (e.case_id) } }
                            td { (e.applicant.name) }
                            td { (e.provider) }
                            td { (entered.map_or_else(|| "—".to_owned(), |at| local_time(at, offset))) }
                            td { (t(if removed { "register_removed" } else { "register_active" }, lang)) }
                        }
                    }
                }
            }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("register_of", lang), body),
    )
}
