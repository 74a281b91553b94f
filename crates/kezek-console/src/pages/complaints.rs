//! Complaints about the kindergarten queue's decisions in the console
//! (`kezek_app::ops::queue_complaints`): an application's complaints on its case file, where a
//! counter clerk files one on paper for the family; the department's open complaints on the
//! district's worklist, late ones marked; the decision (asked again: it cannot be undone),
//! with its signed document to print.

use crate::context::{Ctx, Signed};
use crate::pages::{ask_first, posted, refuse};
use crate::{see_other, Console};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, CaseReaders};
use kezek_app::ops::queue_complaints::{
    NewQueueComplaint, QueueComplaintDecision, QueueComplaintsView,
};
use kezek_app::Role;
use kezek_print::words::{deadline, local_time, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// Who may decide the complaints of `district`: its head, its staff.
fn decides(s: &Signed, district: &str) -> bool {
    matches!(s.caller.role, Role::Head | Role::Staff | Role::Admin)
        && (s.caller.role == Role::Admin || s.caller.scope.iter().any(|d| d == district))
}

/// The complaints of one application, with a decision form for each open one when the reader
/// decides, and (for a clerk) the form to file a new one; `back` is the page to return to.
#[must_use]
pub fn section(
    console: &Console,
    (s, lang): (&Signed, Lang),
    view: &QueueComplaintsView,
    back: &str,
    with_new: bool,
) -> Markup {
    let offset = console.app.local_offset();
    let when = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| "—".to_owned(), |at| local_time(at, offset))
    };
    let due = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| "—".to_owned(), |at| deadline(at, offset, lang))
    };
    let now = console.app.now();
    let link = |doc: &str, l: Lang| {
        let exp = (now.as_second() + 3600).to_string();
        let sig = console
            .sessions
            .sign_link(&[doc, &view.application_id, &exp]);
        format!(
            "/status/documents/{doc}?a={}&exp={exp}&lang={}&sig={sig}",
            view.application_id,
            l.code()
        )
    };
    let id = &view.application_id;
    let decider = decides(s, &view.district);
    markup! {
        @for c in view.complaints.as_array().into_iter().flatten() {
            @let n = c["complaint"].as_u64().unwrap_or_default();
            article class="card" data-testid="queue-complaint" data-application=(id) data-complaint=(n) {
                dl {
                    dt { (t("complaint", lang)) } dd { (c["text"].as_str().unwrap_or_default()) }
                    dt { (t("complaint_made", lang)) } dd { (when(&c["at"])) }
                    @if c["decision"].is_null() {
                        dt { (t("complaint_decide_by", lang)) }
                        dd { (due(&c["due"])) @if c["late"] == true { " · " strong { (t("late", lang)) } } }
                    } @else {
                        @let d = &c["decision"];
                        dt { (t("decision", lang)) }
                        dd { (t(if d["upheld"] == true { "complaint_upheld" } else { "complaint_not_upheld" }, lang)) }
                        dt { (t("reason", lang)) } dd { (d["reasons"].as_str().unwrap_or_default()) }
                        @if let Some(doc) = d["document_id"].as_str() {
                            dt { (t("documents", lang)) }
                            dd { a href=(link(doc, Lang::Kk)) hreflang="kk" { "қазақша" } " · "
                                 a href=(link(doc, Lang::Ru)) hreflang="ru" { "на русском" } }
                        }
                    }
                }
                @if decider && c["decision"].is_null() {
                    form method="post" action=(format!("/console/applications/{id}/complaints/{n}/decision")) class="actions" data-testid="queue-complaint-decision" {
                        input type="hidden" name="csrf" value=(s.csrf);
                        input type="hidden" name="back" value=(back);
                        div { label { input type="radio" name="upheld" value="true"; " " (t("complaint_upheld", lang)) } }
                        div { label { input type="radio" name="upheld" value="false" checked; " " (t("complaint_not_upheld", lang)) } }
                        div { label for=(format!("reasons-{id}-{n}")) { (t("reason", lang)) }
                              input type="text" id=(format!("reasons-{id}-{n}")) name="reasons" required; }
                        button type="submit" { (t("decision", lang)) }
                    }
                }
            }
        }
        @if with_new && s.caller.role == Role::Clerk {
            form method="post" action=(format!("/console/applications/{id}/complaints")) class="actions" data-testid="queue-complaint-new" {
                input type="hidden" name="csrf" value=(s.csrf);
                div { label for="complaint-text" { (t("complaint", lang)) }
                      input type="text" id="complaint-text" name="text" required; }
                button type="submit" class="secondary" { (t("complaint_file", lang)) }
            }
        }
    }
}

/// The complaints of application `id` as `section` shows them, when the reader may see them
/// (nothing otherwise).
#[must_use]
pub fn of_application(console: &Console, (s, lang): (&Signed, Lang), id: &str) -> Markup {
    let Ok(auth) = Auth::<CaseReaders>::check(s.caller.clone()) else {
        return Markup::default();
    };
    match console.app.queue_complaints(&auth, id) {
        Ok(view) => {
            let back = format!("/console/applications/{id}");
            markup! {
                section data-testid="queue-complaints" {
                    h2 { (t("complaints", lang)) }
                    @if view.complaints.as_array().is_none_or(Vec::is_empty) { p class="muted" { (t("no_complaints", lang)) } }
                    (section(console, (s, lang), &view, &back, true))
                }
            }
        }
        Err(_) => Markup::default(),
    }
}

/// The open complaints about `district`'s queue (late ones only with `late`), for its
/// department's worklist; nothing for a reader who does not decide them.
#[must_use]
pub fn of_district(
    console: &Console,
    (s, lang): (&Signed, Lang),
    district: &str,
    late: bool,
) -> Markup {
    if !decides(s, district) || !console.app.is_district(district) {
        return Markup::default();
    }
    let Ok(auth) = Auth::<CaseReaders>::check(s.caller.clone()) else {
        return Markup::default();
    };
    let Ok(list) = console.app.district_queue_complaints(&auth, district, late) else {
        return Markup::default();
    };
    let back = format!(
        "/console/organisations/{district}/cases{}",
        if late { "?overdue=1" } else { "" }
    );
    markup! {
        section data-testid="queue-complaints" {
            h2 { (t("queue_complaints", lang)) }
            @if list.is_empty() { p class="muted" { (t("no_complaints", lang)) } }
            @for view in &list {
                h3 { a href=(format!("/console/applications/{}", view.application_id)) { (view.application_id) } }
                (section(console, (s, lang), view, &back, false))
            }
        }
    }
}

/// A clerk's complaint, as the form posts it.
#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// `POST /console/applications/{id}/complaints`: a clerk files the family's complaint.
pub async fn complain(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<NewForm>,
) -> Response {
    let auth = match posted::<CaseReaders>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let new = NewQueueComplaint { text: form.text };
    match console.app.complain_about_queue(&auth, &id, new).await {
        Ok(_) => see_other(&ctx, &format!("/console/applications/{id}")),
        Err(e) => refuse(&ctx, &e),
    }
}

/// A decision, as the form posts it.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upheld: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/applications/{id}/complaints/{n}/decision`: the department decides, once
/// asked again; back to the page the form was on.
pub async fn decide(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((id, n)): Path<(String, u32)>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let auth = match posted::<CaseReaders>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    // Only a page of the console is gone back to.
    let back = if form.back.starts_with("/console/") && !form.back.starts_with("/console//") {
        form.back.clone()
    } else {
        format!("/console/applications/{id}")
    };
    let action = format!("/console/applications/{id}/complaints/{n}/decision");
    let fields = [
        ("csrf", form.csrf.as_str()),
        ("upheld", form.upheld.as_str()),
        ("reasons", form.reasons.as_str()),
        ("back", back.as_str()),
    ];
    if let Some(page) = ask_first(
        &ctx,
        &form.sure,
        (&action, &back),
        (
            t("sure_complaint_decision", lang),
            t("yes_complaint_decision", lang),
        ),
        &fields,
    ) {
        return page;
    }
    let decision = QueueComplaintDecision {
        upheld: form.upheld == "true",
        reasons: form.reasons,
    };
    match console
        .app
        .decide_queue_complaint(&auth, (&id, n), decision)
        .await
    {
        Ok(_) => see_other(&ctx, &back),
        Err(e) => refuse(&ctx, &e),
    }
}
