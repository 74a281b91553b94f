//! The service centre's desk in the console (`kezek_app::ops::batches`): the papers accepted
//! at the centre, per provider, to send with the courier in a batch list; the batches on
//! their way and the ones to receive; the results waiting for their families. The provider's
//! side of the same (receive the applications, send the signed results back) is a section of
//! its worklist.

use crate::context::{Ctx, Signed};
use crate::layout::page;
use crate::pages::{posted, refuse};
use crate::{html, see_other, Console};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, CaseWorkers};
use kezek_app::ops::batches::{BatchView, NewBatch};
use kezek_app::ops::cases::CaseView;
use kezek_app::Role;
use kezek_print::words::{deadline, local_time, t, Lang};
use maud::{html as markup, Markup};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A link to print batch `b`'s list in `lang`.
fn list_link(console: &Console, b: &BatchView, lang: Lang) -> String {
    let exp = (console.app.now().as_second() + 3600).to_string();
    let sig = console
        .sessions
        .sign_link(&[&b.document_id, &b.batch_id, &exp]);
    format!(
        "/status/documents/{}?a={}&exp={exp}&lang={}&sig={sig}",
        b.document_id,
        b.batch_id,
        lang.code()
    )
}

/// The batches as cards: where from and to, sent, due, received or a button to receive it
/// (when `receives` says the reader does), the list to print.
fn batch_cards(
    console: &Console,
    (s, lang): (&Signed, Lang),
    batches: &[BatchView],
    (receives, back): (&dyn Fn(&BatchView) -> bool, &str),
) -> Markup {
    let offset = console.app.local_offset();
    let when = |v: &str| {
        v.parse()
            .map_or_else(|_| "—".to_owned(), |at| local_time(at, offset))
    };
    markup! {
        div class="cards" data-testid="batches" {
            @for b in batches {
                article class="card" data-batch=(b.batch_id) {
                    h3 { (t("batch_number", lang)) " " (b.batch_id) }
                    dl {
                        dt { (t("batch_to", lang)) }
                        dd { (if b.direction == "to_provider" { b.provider.clone() } else { format!("{}: {}", t("service_centre", lang), b.centre) }) }
                        dt { (t("batch_sent", lang)) } dd { (when(&b.sent_at)) }
                        dt { (t("batch_due", lang)) }
                        dd { (b.due.parse().map_or_else(|_| "—".to_owned(), |at| deadline(at, offset, lang)))
                             @if b.late { " · " strong { (t("late", lang)) } } }
                        dt { (t("batch_cases", lang)) } dd { (b.cases.join(", ")) }
                        @if let Some(at) = &b.received_at {
                            dt { (t("batch_received_at", lang)) } dd { (when(at)) }
                        }
                    }
                    p { a href=(list_link(console, b, Lang::Kk)) hreflang="kk" { "қазақша" } " · "
                        a href=(list_link(console, b, Lang::Ru)) hreflang="ru" { "на русском" } }
                    @if b.received_at.is_none() && receives(b) {
                        form method="post" action=(format!("/console/batches/{}/receive", b.batch_id)) class="actions" data-testid="batch-receive" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            input type="hidden" name="back" value=(back);
                            button type="submit" { (t("batch_receive", lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// A form sending `cases` of `provider` in one batch (`direction`), each ticked.
fn send_form(
    (s, lang): (&Signed, Lang),
    provider: &str,
    direction: &str,
    cases: &[&CaseView],
    back: &str,
) -> Markup {
    markup! {
        form method="post" action=(format!("/console/organisations/{provider}/batches")) class="card" data-testid=(format!("batch-send-{direction}")) {
            input type="hidden" name="csrf" value=(s.csrf);
            input type="hidden" name="direction" value=(direction);
            input type="hidden" name="back" value=(back);
            fieldset { legend { (provider) }
                @for c in cases {
                    div { label { input type="checkbox" name="cases" value=(c.case_id) checked; " " (c.case_id) " — " (c.applicant.name) } }
                } }
            button type="submit" { (t("batch_send", lang)) }
        }
    }
}

/// `GET /console/districts/{district}/centre`: the centre's desk.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(district): Path<String>,
) -> Response {
    let auth = match Auth::<CaseWorkers>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let (cases, batches) = match console
        .app
        .centre_cases(&auth, &district)
        .and_then(|c| Ok((c, console.app.batches(&auth, &district, false)?)))
    {
        Ok(found) => found,
        Err(e) => return refuse(&ctx, &e),
    };
    let back = format!("/console/districts/{district}/centre");
    let mut to_send: BTreeMap<&str, Vec<&CaseView>> = BTreeMap::new();
    for c in cases.iter().filter(|c| at(c) == "centre") {
        to_send.entry(c.provider.as_str()).or_default().push(c);
    }
    let waiting: Vec<&CaseView> = cases
        .iter()
        .filter(|c| at(c) == "result_at_centre")
        .collect();
    let body = markup! {
        h2 { (t("centre_to_send", lang)) }
        @if to_send.is_empty() { p class="muted" { (t("nothing_found", lang)) } }
        @for (provider, list) in &to_send { (send_form((&s, lang), provider, "to_provider", list, &back)) }
        h2 { (t("centre_to_collect", lang)) }
        @if waiting.is_empty() { p class="muted" { (t("nothing_found", lang)) } }
        ul data-testid="centre-results" {
            @for c in &waiting {
                li { a href=(format!("/console/cases/{}", c.case_id)) { (c.case_id) } " — " (c.applicant.name) }
            }
        }
        h2 { (t("batches", lang)) }
        (batch_cards(&console, (&s, lang), &batches, (&|b: &BatchView| b.direction == "to_centre", &back)))
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("service_centre", lang), body),
    )
}

/// Where a case's papers are (`centre`, `provider`, …), or "".
fn at(c: &CaseView) -> &str {
    c.custody
        .as_ref()
        .and_then(|k| k["at"].as_str())
        .unwrap_or_default()
}

/// The provider's side, for its head's worklist: batches of applications to receive, and
/// signed results to send back to the centre.
#[must_use]
pub fn provider_section(
    console: &Console,
    (s, lang): (&Signed, Lang),
    org: &str,
    cases: &[CaseView],
) -> Markup {
    let head = s.caller.role == Role::Head && s.caller.scope.iter().any(|o| o == org);
    if !head {
        return Markup::default();
    }
    let Ok(auth) = Auth::<CaseWorkers>::check(s.caller.clone()) else {
        return Markup::default();
    };
    let batches = console.app.batches(&auth, org, false).unwrap_or_default();
    let ready: Vec<&CaseView> = cases
        .iter()
        .filter(|c| at(c) == "provider" && c.status == "awaiting_issue")
        .collect();
    if batches.is_empty() && ready.is_empty() {
        return Markup::default();
    }
    let back = format!("/console/organisations/{org}/cases");
    markup! {
        section data-testid="provider-batches" {
            h2 { (t("batches", lang)) }
            @if !ready.is_empty() {
                p { (t("centre_results_to_send", lang)) }
                (send_form((s, lang), org, "to_centre", &ready, &back))
            }
            (batch_cards(console, (s, lang), &batches, (&|b: &BatchView| b.direction == "to_provider", &back)))
        }
    }
}

/// Only a page of the console is gone back to.
fn back_to(back: &str, otherwise: String) -> String {
    if back.starts_with("/console/") && !back.starts_with("/console//") {
        back.to_owned()
    } else {
        otherwise
    }
}

/// `POST /console/organisations/{org}/batches`: the ticked cases go with the courier.
pub async fn send(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| super::field(&pairs, k);
    let auth = match posted::<CaseWorkers>(&console, &ctx, &get("csrf")) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let direction = match get("direction").as_str() {
        "to_centre" => kezek_app::ops::batches::Direction::ToCentre,
        _ => kezek_app::ops::batches::Direction::ToProvider,
    };
    let cases = pairs
        .iter()
        .filter(|(n, _)| n == "cases")
        .map(|(_, v)| v.clone())
        .collect();
    let back = back_to(&get("back"), format!("/console/organisations/{org}/cases"));
    match console
        .app
        .send_batch(&auth, &org, NewBatch { direction, cases })
        .await
    {
        Ok(_) => see_other(&ctx, &back),
        Err(e) => refuse(&ctx, &e),
    }
}

/// The receive form.
#[derive(serde::Deserialize)]
pub struct ReceiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// `POST /console/batches/{id}/receive`.
pub async fn receive(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ReceiveForm>,
) -> Response {
    let auth = match posted::<CaseWorkers>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let back = back_to(&form.back, "/console".to_owned());
    match console.app.receive_batch(&auth, &id).await {
        Ok(_) => see_other(&ctx, &back),
        Err(e) => refuse(&ctx, &e),
    }
}
