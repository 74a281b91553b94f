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
use kezek_print::words::local_time;
use kezek_print::words::t;
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// Events per journal page.
const PER_PAGE: usize = 50;

/// `?after=`.
#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: u64,
}

/// `GET /console/audit`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Query(q): Query<After>,
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
    let journal = match app.journal(&auth, q.after, Some(PER_PAGE)).await {
        Ok(j) => j,
        Err(e) => return refuse(&ctx, &e),
    };
    let offset = app.local_offset();
    let lang = ctx.lang;
    let last = app.last_audit(&auth);
    let body = markup! {
        h2 { (t("journal_head", lang)) }
        dl data-testid="head" {
            dt { "seq" } dd data-testid="head-seq" { (head.seq) }
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
        div class="table-wrap" {
            table data-testid="journal" {
                thead { tr {
                    th scope="col" class="num" { "seq" } th scope="col" { (t("when", lang)) }
                    th scope="col" { (t("actor", lang)) } th scope="col" { (t("event", lang)) }
                    th scope="col" { (t("hash", lang)) }
                } }
                tbody {
                    @for e in &journal.events {
                        tr { td class="num" { (e.seq) }
                             td { (e.at.parse().map_or_else(|_| e.at.clone(), |at| local_time(at, offset))) }
                             td { (e.actor) } td { (t(&format!("ev_{}", e.kind), lang)) " " span class="muted" { "(" (e.kind) ")" } }
                             td { code { (e.hash.get(..16).unwrap_or(&e.hash)) "…" } } }
                    }
                }
            }
        }
        @if let Some(next) = journal.next_after.filter(|_| journal.events.len() == PER_PAGE) {
            p { a href=(format!("/console/audit?after={next}")) rel="next" { (t("next_page", lang)) " →" } }
        }
    };
    html(&ctx, StatusCode::OK, page(&ctx, t("audit", lang), body))
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
