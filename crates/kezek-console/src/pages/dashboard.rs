//! A district's dashboard (its staff, auditors): children waiting by age, tier and language,
//! seats per kindergarten, referrals outstanding, the median wait, overdue priority claims.
//! Every number is read in one look at the state, the same the API's statistics answer at the
//! `as_of_seq` printed on the page.

use crate::chart::{bars, Bar};
use crate::context::{Ctx, Signed};
use crate::layout::page;
use crate::pages::refuse;
use crate::{html, Console};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::access::{Auth, StaffOrAuditor};
use kezek_app::ops::dashboard::DistrictFigures;
use kezek_print::words::{code, name_in, t, Lang};
use kezek_print::words::{decimal, years};
use maud::{html as markup, Markup};
use std::sync::Arc;

/// A week by its Monday, as the chart and the table label it.
fn week(monday: jiff::civil::Date) -> String {
    monday.strftime("%d.%m").to_string()
}

fn card(label: &str, value: &str) -> Markup {
    markup! { div class="card" { span class="n" { (value) } (label) } }
}

/// Links to the caller's other districts (a key scoped to several).
fn others(lang: Lang, district: &str, scope: &[String]) -> Markup {
    markup! {
        @if scope.len() > 1 {
            nav aria-label=(t("other_districts", lang)) class="muted" {
                (t("other_districts", lang)) ": "
                @for d in scope.iter().filter(|d| *d != district) {
                    a href=(format!("/console/districts/{d}")) { (d) } " "
                }
            }
        }
    }
}

fn body(lang: Lang, (district, staff): (&str, bool), f: &DistrictFigures) -> Markup {
    let legend: Vec<String> = f.tiers.iter().map(|tier| code(tier, lang)).collect();
    let age_bars: Vec<Bar> = f
        .by_age
        .iter()
        .map(|(age, per_tier)| Bar {
            label: years(i64::from(*age), lang),
            parts: f
                .tiers
                .iter()
                .map(|tier| per_tier.get(tier).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    let week_bars: Vec<Bar> = f
        .weekly
        .iter()
        .map(|(w, reg, _)| Bar {
            label: week(*w),
            parts: vec![*reg],
        })
        .collect();
    let median = f
        .median_wait_days
        .map_or_else(|| t("none_yet", lang).to_owned(), |d| decimal(d, 1));
    markup! {
        p class="muted" { (t("district", lang)) " " (district) " · " (f.academic_year) "/" (f.academic_year + 1) " · " (t("as_of", lang)) " " span data-testid="as-of-seq" { (f.as_of_seq) } }
        div class="cards" {
            (card(t("in_queue", lang), &f.queued_total.to_string()))
            (card(t("free", lang), &f.free.to_string()))
            (card(t("referrals_outstanding", lang), &f.referrals_outstanding.to_string()))
            (card(t("median_wait", lang), &median))
            @if let Some(n) = f.overdue_claims { (card(t("overdue_claims", lang), &n.to_string())) }
            @if let Some(n) = f.lapsing_soon { (card(t("lapsing_soon", lang), &n.to_string())) }
        }
        h2 { (t("queued_by_age", lang)) }
        (bars(t("queued_by_age", lang), &legend, &age_bars))
        p class="hint" { (t("chart_note", lang)) }
        div class="table-wrap" {
            table data-testid="queued-by-age" {
                caption class="muted" { (t("queued_by_age", lang)) }
                thead { tr { th scope="col" { (t("age", lang)) } @for l in &legend { th scope="col" class="num" { (l) } } th scope="col" class="num" { (t("total", lang)) } } }
                tbody {
                    @for bar in &age_bars {
                        tr { th scope="row" { (bar.label) } @for n in &bar.parts { td class="num" { (n) } } td class="num" { (bar.parts.iter().sum::<u64>()) } }
                    }
                }
            }
        }
        h2 { (t("by_language", lang)) }
        ul { @for (l, n) in &f.by_language { li { (code(l, lang)) ": " strong { (n) } } } }
        h2 { (t("seats", lang)) }
        @if staff { p { a href=(format!("/console/districts/{district}/kindergartens")) { "+ " (t("new_kindergarten", lang)) } } }
        div class="table-wrap" {
            table data-testid="seats" {
                thead { tr {
                    th scope="col" { (t("kindergarten", lang)) }
                    th scope="col" class="num" { (t("capacity", lang)) }
                    th scope="col" class="num" { (t("enrolled_seats", lang)) }
                    th scope="col" class="num" { (t("reserved", lang)) }
                    th scope="col" class="num" { (t("free", lang)) }
                } }
                tbody {
                    @for k in &f.kindergartens {
                        tr { th scope="row" {
                            @if staff { a href=(format!("/console/places/{}", k.id)) { (name_in(lang, &k.name, k.name_ru.as_deref())) } }
                            @else { (name_in(lang, &k.name, k.name_ru.as_deref())) }
                            " " span class="muted" { "(" (k.id) ")" } }
                             td class="num" { (k.capacity) } td class="num" { (k.enrolled) }
                             td class="num" { (k.reserved) } td class="num" { (k.free) } }
                    }
                    tr { th scope="row" { (t("total", lang)) } td class="num" { (f.capacity) } td class="num" { (f.enrolled) } td class="num" { (f.reserved) } td class="num" { (f.free) } }
                }
            }
        }
        h2 { (t("weekly", lang)) }
        (bars(t("weekly_registrations", lang), &[t("registrations", lang).to_owned()], &week_bars))
        div class="table-wrap" {
            table data-testid="weekly" {
                thead { tr { th scope="col" { (t("week_of", lang)) } th scope="col" class="num" { (t("registrations", lang)) } th scope="col" class="num" { (t("referrals", lang)) } } }
                tbody { @for (w, reg, refs) in &f.weekly { tr { th scope="row" { (week(*w)) } td class="num" { (reg) } td class="num" { (refs) } } } }
            }
        }
    }
}

/// Each service's cases in the district: open, issued, refused at intake, and per step how
/// many are there on time and late.
fn services_markup(lang: Lang, services: &[kezek_app::ops::cases::ServiceFigures]) -> Markup {
    let words = |w: &kezek_app::ops::cases::Words| {
        if lang == Lang::Ru {
            w.ru.clone()
        } else {
            w.kk.clone()
        }
    };
    markup! {
        @if !services.is_empty() {
            h2 { (t("services_nav", lang)) }
            @for f in services {
                h3 { (words(&f.name)) }
                p { (t("case_open", lang)) ": " (f.open) " · " (t("case_issued", lang)) ": " (f.issued) " · " (t("case_refused_at_intake", lang)) ": " (f.refused_to_accept) }
                div class="table-wrap" {
                    table data-testid=(format!("service-{}", f.service)) {
                        thead { tr { th scope="col" { (t("step", lang)) } th scope="col" class="num" { (t("on_time", lang)) } th scope="col" class="num" { (t("late", lang)) } } }
                        tbody { @for st in &f.steps { tr { th scope="row" { (words(&st.what)) } td class="num" { (st.on_time) } td class="num" { (st.late) } } } }
                    }
                }
            }
        }
    }
}

/// `GET /console/districts/{district}`.
pub async fn dashboard(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(district): Path<String>,
) -> Response {
    let auth = match Auth::<StaffOrAuditor>::check(s.caller.clone()) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let figures = console
        .app
        .reads(|r| r.dashboard(&auth, &district))
        .await
        .and_then(|r| r);
    let services = console
        .app
        .service_figures(&auth, &district)
        .unwrap_or_default();
    match figures {
        Ok(f) => {
            let title = format!("{} — {district}", t("dashboard", ctx.lang));
            html(
                &ctx,
                StatusCode::OK,
                page(
                    &ctx,
                    &title,
                    markup! { (others(ctx.lang, &district, &s.caller.scope)) (super::casefile::search_form(ctx.lang, &s)) (body(ctx.lang, (&district, s.caller.role == kezek_app::Role::Staff), &f)) (services_markup(ctx.lang, &services)) p { a href=(format!("/console/districts/{district}/forecasts")) { (t("forecast_check_link", ctx.lang)) } } },
                ),
            )
        }
        Err(e) => refuse(&ctx, &e),
    }
}
