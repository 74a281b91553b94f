//! The auditor's page: the journal's head with the authority's signature, the last audit of
//! the whole installation run from here (and a button to run one now: `kezek verify`'s checks
//! while the service serves), and the journal itself, a page at a time.

use crate::context::{Ctx, Signed};
use crate::layout::page;
use crate::pages::refuse;
use crate::{html, see_other, Console};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auditor, Auth};
use kezek_print::words::{code, t};
use kezek_print::words::{local_time, Lang};
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// Events per journal page.
const PER_PAGE: usize = 50;

/// The journal's filters and page: `?application=&actor=&kind=&before=`.
#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    application: Option<String>,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    before: Option<u64>,
}

impl Filter {
    /// This filter's query, before `before`.
    fn query(&self, before: u64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("application", &self.application),
            ("actor", &self.actor),
            ("kind", &self.kind),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("before", &before.to_string());
        q.finish()
    }
}

/// `GET /console/audit`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Query(q): Query<Filter>,
) -> Response {
    let auth = match Auth::<Auditor>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let app = &console.app;
    let head = match app.head(&auth).await {
        Ok(h) => h,
        Err(e) => return refuse(&ctx, &e),
    };
    let filter = kezek_app::ops::journal::JournalFilter {
        application: q.application.clone(),
        actor: q.actor.clone(),
        kind: q.kind.clone(),
    };
    let journal = match app.journal_view(&auth, q.before, filter, PER_PAGE).await {
        Ok(j) => j,
        Err(e) => return refuse(&ctx, &e),
    };
    let offset = app.local_offset();
    let lang = ctx.lang;
    let last = app.last_audit(&auth);
    let body = markup! {
        h2 { (t("journal_head", lang)) }
        dl data-testid="head" {
            dt { (t("record_no", lang)) } dd data-testid="head-seq" { (head.seq) }
            dt { (t("hash", lang)) } dd { code class="wrap" { (head.hash) } }
            dt { (t("key", lang)) } dd { (head.key_id) }
            dt { (t("signature", lang)) } dd { code class="wrap" { (head.signature) } }
        }
        h2 { (t("last_audit", lang)) }
        @match &last {
            None => p data-testid="audit" { (t("no_audit_yet", lang)) },
            Some(a) => {
                @match &a.result {
                    Ok(c) => div data-testid="audit" class="notice ok" role="status" {
                        p { strong { (t("audit_ok", lang)) } " (" (local_time(a.at, offset)) ")" }
                        ul {
                            li { (t("audit_events", lang)) ": " (c.events) }
                            li { (t("audit_rounds", lang)) ": " (c.rounds) }
                            li data-testid="audit-documents" { (t("audit_documents", lang)) ": " (c.documents) }
                            li { (t("audit_keys", lang)) ": " (c.keys) }
                            li { (t("audit_answers", lang)) ": " (c.answers) }
                            li { (t("journal_head", lang)) ": " (c.head_seq) " " code class="wrap" { (hex::encode(c.head_hash)) } }
                        }
                    },
                    Err(text) => p data-testid="audit" class="notice problem" role="alert" { (t("audit_failed", lang)) " (" (local_time(a.at, offset)) "): " (text) },
                }
            }
        }
        form method="post" action="/console/audit" {
            input type="hidden" name="csrf" value=(s.csrf);
            button type="submit" { (t("audit_now", lang)) }
        }
        h2 { (t("journal", lang)) }
        form method="get" action="/console/audit" class="actions" role="search" data-testid="journal-filter" {
            div { label for="application" { (t("application_id", lang)) }
                input type="text" id="application" name="application" value=(q.application.clone().unwrap_or_default()) autocomplete="off"; }
            div { label for="actor" { (t("actor", lang)) }
                input type="text" id="actor" name="actor" value=(q.actor.clone().unwrap_or_default()) autocomplete="off"; }
            div { label for="kind" { (t("event", lang)) }
                select id="kind" name="kind" {
                    option value="" { (t("all_events", lang)) }
                    @for k in kezek_core::Event::KINDS {
                        option value=(k) selected[q.kind.as_deref() == Some(k)] { (t(&format!("ev_{k}"), lang)) }
                    }
                } }
            button type="submit" { (t("show", lang)) }
        }
        div class="table-wrap" {
            table data-testid="journal" {
                thead { tr {
                    th scope="col" class="num" { (t("record_no", lang)) } th scope="col" { (t("when", lang)) }
                    th scope="col" { (t("actor", lang)) } th scope="col" { (t("event", lang)) }
                    th scope="col" { (t("subject", lang)) } th scope="col" { (t("hash", lang)) }
                } }
                tbody {
                    @for (e, subject) in &journal.events {
                        tr data-kind=(e.kind) { td class="num" { (e.seq) }
                             td { (e.at.parse().map_or_else(|_| e.at.clone(), |at| local_time(at, offset))) }
                             td { (actor(e, lang)) }
                             td { (t(&event_key(e), lang))
                                  @if let Some(reason) = &subject.reason { ": " (code(&format!("lapse_{reason}"), lang)) } }
                             td { (subject_words(subject)) }
                             td { code { (e.hash.get(..16).unwrap_or(&e.hash)) "…" } } }
                    }
                }
            }
        }
        @if journal.events.is_empty() { p { (t("nothing_found", lang)) } }
        @if let Some(older) = journal.older {
            p { a href=(format!("/console/audit?{}", q.query(older))) rel="next" { (t("older_events", lang)) " →" } }
        }
    };
    html(&ctx, StatusCode::OK, page(&ctx, t("audit", lang), body))
}

/// The words key of event `e`: a case engine's record by its own kind.
fn event_key(e: &kezek_app::views::JournalEvent) -> String {
    match e
        .said()
        .pointer("/record/kind")
        .and_then(serde_json::Value::as_str)
    {
        Some(kind) if e.kind == "extension" => format!("ev_case_{kind}"),
        _ => format!("ev_{}", e.kind),
    }
}

/// Who acted: the official by name and position, with the key; or the key.
fn actor(e: &kezek_app::views::JournalEvent, lang: Lang) -> maud::Markup {
    markup! {
        @if let Some(o) = &e.official {
            span data-testid="official" { (o.name) }
            br;
            span class="muted" { (if lang == Lang::Ru { &o.position_ru } else { &o.position_kk }) " · " (e.actor) }
        } @else {
            (e.actor)
        }
    }
}

/// What an event is about, as ids a reader follows: the application, the referral, the
/// kindergarten, the round or district.
fn subject_words(s: &kezek_app::ops::journal::Subject) -> String {
    [&s.application, &s.referral, &s.kindergarten, &s.place]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The audit form.
#[derive(Deserialize)]
pub struct Run {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/audit`: runs the audit, then shows the page with its result.
pub async fn run(State(console): State<Arc<Console>>, ctx: Ctx, Form(form): Form<Run>) -> Response {
    let auth = match crate::pages::posted::<Auditor>(&console, &ctx, &form.csrf) {
        Ok(auth) => auth,
        Err(page) => return *page,
    };
    console.app.audit_now(&auth).await;
    see_other(&ctx, "/console/audit")
}
