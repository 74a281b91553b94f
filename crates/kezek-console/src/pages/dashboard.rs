//! A district's dashboard (its staff, auditors): children waiting by age, tier and language,
//! seats per kindergarten, referrals outstanding, the median wait, overdue priority claims.
//! Every number is read in one look at the state, the same the API's statistics answer at the
//! `as_of_seq` printed on the page.

use crate::chart::{bars, Bar};
use crate::context::Ctx;
use crate::layout::page;
use crate::pages::{refuse, signed};
use crate::{html, Console};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::access::{Auth, Lookup, Staff, StaffOrAuditor};
use kezek_app::ops::{catalog, places, worklists};
use kezek_app::views::StatsView;
use kezek_app::{AppError, Caller, Role};
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A kindergarten's seats, as the table shows them.
struct Seats {
    id: String,
    name: String,
    capacity: u64,
    enrolled: u64,
    reserved: u64,
    free: u64,
}

/// What the page shows, read at one seq.
struct Figures {
    queued_total: u64,
    by_language: Vec<(String, u64)>,
    by_age: BTreeMap<i16, BTreeMap<String, u64>>,
    tiers: Vec<String>,
    capacity: u64,
    enrolled: u64,
    reserved: u64,
    free: u64,
    referrals_outstanding: u64,
    median_wait_days: Option<f64>,
    overdue_claims: Option<usize>,
    lapsing_soon: Option<usize>,
    weekly: Vec<(String, u64, u64)>,
    kindergartens: Vec<Seats>,
    as_of_seq: u64,
    academic_year: i16,
}

fn figures(
    stats: &StatsView<'_>,
    kindergartens: Vec<Seats>,
    (overdue, lapsing_soon): (Option<usize>, Option<usize>),
) -> Figures {
    let mut by_age: BTreeMap<i16, BTreeMap<String, u64>> = BTreeMap::new();
    for a in &stats.queued.by_age {
        *by_age
            .entry(a.age_years)
            .or_default()
            .entry(a.tier.to_owned())
            .or_default() += a.count;
    }
    Figures {
        queued_total: stats.queued.total,
        by_language: stats
            .queued
            .by_language
            .iter()
            .map(|(l, n)| ((*l).to_owned(), *n))
            .collect(),
        by_age,
        tiers: stats
            .queued
            .by_tier
            .keys()
            .map(|t| (*t).to_owned())
            .collect(),
        capacity: stats.seats.capacity,
        enrolled: stats.seats.enrolled,
        reserved: stats.seats.reserved,
        free: stats.seats.free,
        referrals_outstanding: stats.referrals_outstanding,
        median_wait_days: stats.median_wait_days,
        overdue_claims: overdue,
        lapsing_soon,
        weekly: stats
            .weekly
            .iter()
            .map(|w| {
                (
                    w.week_of.strftime("%d.%m").to_string(),
                    w.registrations,
                    w.referrals,
                )
            })
            .collect(),
        kindergartens,
        as_of_seq: stats.as_of_seq,
        academic_year: stats.academic_year,
    }
}

fn read(
    state: &kezek_core::State,
    (caller, lang): (&Caller, Lang),
    district: &str,
    now: jiff::Timestamp,
) -> Result<Figures, AppError> {
    let numbers = places::stats(
        state,
        &Auth::<StaffOrAuditor>::check(caller.clone())?,
        district,
        now,
    )?;
    let list = catalog::kindergartens(
        state,
        &Auth::<Lookup>::check(caller.clone())?,
        district,
        None,
    )?;
    let kindergartens = list
        .kindergartens
        .iter()
        .map(|k| {
            let sum = |f: fn(&kezek_app::views::GroupView<'_>) -> u32| {
                k.groups.iter().map(|g| u64::from(f(g))).sum::<u64>()
            };
            Seats {
                id: k.kindergarten_id.to_string(),
                name: kezek_print::words::name_in(lang, k.name, k.name_ru).to_owned(),
                capacity: sum(|g| g.capacity),
                enrolled: sum(|g| g.enrolled),
                reserved: sum(|g| g.reserved),
                free: sum(|g| g.free),
            }
        })
        .collect();
    // The worklists are staff's: an auditor's dashboard leaves them out.
    let staff = Auth::<Staff>::check(caller.clone()).ok();
    let overdue = staff
        .as_ref()
        .and_then(|staff| worklists::claims(state, staff, district, None, now).ok())
        .map(|c| c.overdue);
    // Lapsing soon: before the end of the next local day (what GET
    // /v1/districts/{d}/referrals?lapsing_before= counts with the day after tomorrow).
    let calendar = &state.policy().calendar;
    let day_after = calendar
        .local_date(now)
        .checked_add(jiff::Span::new().days(2))
        .map(|d| d.to_string())
        .ok();
    let lapsing = staff
        .as_ref()
        .zip(day_after)
        .and_then(|(staff, before)| {
            worklists::referrals(state, staff, district, None, Some(&before)).ok()
        })
        .map(|r| r.referrals.len());
    Ok(figures(&numbers, kindergartens, (overdue, lapsing)))
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

fn body(lang: Lang, district: &str, f: &Figures) -> Markup {
    let legend: Vec<String> = f.tiers.iter().map(|tier| code(tier, lang)).collect();
    let age_bars: Vec<Bar> = f
        .by_age
        .iter()
        .map(|(age, per_tier)| Bar {
            label: format!("{age} {}", t("years", lang)),
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
            label: w.clone(),
            parts: vec![*reg],
        })
        .collect();
    let median = f
        .median_wait_days
        .map_or_else(|| t("none_yet", lang).to_owned(), |d| format!("{d:.1}"));
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
        p { a href=(format!("/console/districts/{district}/kindergartens")) { "+ " (t("new_kindergarten", lang)) } }
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
                        tr { th scope="row" { a href=(format!("/console/places/{}", k.id)) { (k.name) } " " span class="muted" { "(" (k.id) ")" } }
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
                tbody { @for (w, reg, refs) in &f.weekly { tr { th scope="row" { (w) } td class="num" { (reg) } td class="num" { (refs) } } } }
            }
        }
    }
}

/// `GET /console/districts/{district}`.
pub async fn dashboard(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(district): Path<String>,
) -> Response {
    let s = match signed(&ctx) {
        Ok(s) => s,
        Err(to_sign_in) => return *to_sign_in,
    };
    if !matches!(s.caller.role, Role::Staff | Role::Auditor | Role::Admin) {
        return refuse(&ctx, &AppError::Forbidden(String::new()));
    }
    let now = console.app.now();
    let caller = s.caller.clone();
    let figures = console
        .app
        .read(|state| read(state, (&caller, ctx.lang), &district, now))
        .await
        .and_then(|r| r);
    match figures {
        Ok(f) => {
            let title = format!("{} — {district}", t("dashboard", ctx.lang));
            html(
                &ctx,
                StatusCode::OK,
                page(
                    &ctx,
                    &title,
                    markup! { (others(ctx.lang, &district, &s.caller.scope)) (body(ctx.lang, &district, &f)) },
                ),
            )
        }
        Err(e) => refuse(&ctx, &e),
    }
}
