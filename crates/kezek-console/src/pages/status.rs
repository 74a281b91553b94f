//! The parents' page (`/status`, no key): the application number and the child's IIN, posted
//! in a form (never in a URL) and limited per client and per application number
//! (`kezek_app::app::budgets`), show the queue number, the place at
//! each chosen kindergarten with who is ahead per tier, the referral if there is one, how the
//! number changed since registration and why, and the documents as PDFs in Kazakh or Russian
//! (links signed for an hour, naming the application).

use crate::context::Ctx;
use crate::layout::{notice, page};
use crate::{html, Console};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use kezek_app::app::budgets::{ClientAddr, Spend};
use kezek_app::ops::status::FamilyStatus;
use kezek_print::words::{self, code, field, t, title};
use kezek_print::words::{local_time, name_in, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// How long a document link lasts, in seconds.
const LINK_LIFETIME: i64 = 3600;

fn form_markup(lang: Lang, problem: Option<&str>) -> Markup {
    markup! {
        @if let Some(p) = problem { (notice(false, p)) }
        p { (t("parents_intro", lang)) }
        form method="post" action="/status" {
            label for="application_id" { (t("application_id", lang)) }
            input type="text" id="application_id" name="application_id" required autocomplete="off" inputmode="text";
            label for="child_iin" { (t("child_iin", lang)) }
            input type="text" id="child_iin" name="child_iin" required autocomplete="off" inputmode="numeric" pattern="[0-9]{12}" maxlength="12";
            p { button type="submit" { (t("show", lang)) } }
        }
    }
}

/// `GET /status`.
pub async fn form(ctx: Ctx) -> Response {
    let title = t("parents_title", ctx.lang);
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, title, form_markup(ctx.lang, None)),
    )
}

/// The lookup form.
#[derive(Deserialize)]
pub struct Lookup {
    application_id: String,
    child_iin: String,
}

pub(crate) fn result_markup(
    console: &Console,
    lang: Lang,
    f: &FamilyStatus,
    (now, family): (jiff::Timestamp, bool),
) -> Markup {
    let name_of = |id: &str| {
        f.kindergartens.iter().find(|k| k.id == id).map_or_else(
            || id.to_owned(),
            |k| {
                format!(
                    "{} ({})",
                    name_in(lang, &k.name, k.name_ru.as_deref()),
                    k.id
                )
            },
        )
    };
    let expires = now.as_second() + LINK_LIFETIME;
    let link = |doc: &str, l: Lang| {
        let exp = expires.to_string();
        let sig = console.sessions.sign_link(&[doc, &f.id, &exp]);
        format!(
            "/status/documents/{doc}?a={}&exp={exp}&lang={}&sig={sig}",
            f.id,
            l.code()
        )
    };
    let p = &f.position;
    let deadline = |at: jiff::Timestamp| words::deadline(at, f.offset, lang);
    let next = t(&format!("next_{}", f.next.what), lang).replace(
        "{deadline}",
        &f.next.deadline.map(deadline).unwrap_or_default(),
    );
    markup! {
        section class="next" data-testid="next-step" {
            h2 { (t("next_step", lang)) }
            p { (next) }
            @if let (Some((referral, until)), true) = (&f.next.act, family) {
                p { a class="button" href=(console.app.action_path(referral, *until)) { (t("act_open", lang)) } }
            }
        }
        @if let Some((grounds, missing)) = &f.refused {
            h2 { (t("refusal_grounds", lang)) }
            ul { @for g in grounds { li { (field(g, lang).map_or_else(|| code(g, lang), str::to_owned)) } } }
            @if !missing.is_empty() {
                h3 { (t("missing", lang)) }
                ul { @for m in missing { li { (code(m, lang)) } } }
            }
        }
        dl data-testid="status" {
            dt { (t("application_id", lang)) } dd { (f.id) }
            dt { (t("status", lang)) } dd data-testid="status-word" { (code(f.status, lang)) }
            @if !f.tier.is_empty() { dt { (t("tier", lang)) } dd { (code(&f.tier, lang)) } }
            dt { (t(if f.refused.is_some() { "refused_at" } else { "registered_on" }, lang)) } dd { (local_time(f.registered_at, f.offset)) }
            @if let Some(n) = p["queue_number"].as_u64() {
                dt { (t("queue_number", lang)) } dd data-testid="queue-number" { strong { (n) } }
            }
            @if let Some(pseudonym) = &f.pseudonym {
                dt { (t("public_pseudonym", lang)) }
                dd data-testid="pseudonym" { code { (pseudonym) } " " span class="muted" { (t("public_pseudonym_hint", lang)) } }
            }
        }
        @if let Some(r) = &f.referral {
            h2 { (t("referral_heading", lang)) }
            p {
                (name_of(r["kindergarten_id"].as_str().unwrap_or_default())) ", "
                (t("group", lang)) " " (r["group_id"].as_str().unwrap_or_default()) " — "
                (code(r["status"].as_str().unwrap_or_default(), lang))
                @if let Some(at) = r["expires_at"].as_str().and_then(|x| x.parse().ok()).filter(|_| matches!(r["status"].as_str(), Some("issued" | "confirmed"))) {
                    " · " (t("deadline", lang)) ": " span data-testid="referral-deadline" { (deadline(at)) }
                }
            }
        }
        (last_round_markup(lang, f, &name_of))
        (positions_markup(lang, p, &name_of))
        (super::forecast::section(lang, f, &name_of))
        (super::transfer::family_section(lang, f, &name_of, transfer_act(console, f).filter(|_| family).as_deref()))
        @if let Some((then, causes)) = &f.history {
            h2 { (t("history", lang)) }
            p { (t("queue_number", lang)) ": " (then.map_or("—".to_owned(), |n| n.to_string())) " → " (p["queue_number"].as_u64().map_or("—".to_owned(), |n| n.to_string())) }
            @if !causes.is_empty() {
                ul { @for (cause, n) in causes { li { (code(cause, lang)) ": " (format!("{n:+}")) } } }
            }
            @if !f.steps.is_empty() {
                h3 { (t("latest_changes", lang)) }
                ol data-testid="steps" {
                    @for step in &f.steps {
                        li {
                            @if let Some(at) = step.at { (local_time(at, f.offset)) " — " }
                            "№ " (step.before) " → " (step.after) " (" (code(&step.cause, lang)) ")"
                        }
                    }
                }
            }
        }
        (documents_markup(lang, f, &link))
    }
}

/// The family's link to answer its transfer's referral, while it waits for an answer.
fn transfer_act(console: &Console, f: &FamilyStatus) -> Option<String> {
    let r = f.transfer.0.get("referral")?;
    if r.get("status")?.as_str()? != "issued" {
        return None;
    }
    let until = r.get("expires_at")?.as_str()?.parse().ok()?;
    Some(
        console
            .app
            .action_path(r.get("referral_id")?.as_str()?, until),
    )
}

/// The child's place at each kindergarten it listed, and who is ahead there.
fn positions_markup(lang: Lang, p: &serde_json::Value, name_of: &dyn Fn(&str) -> String) -> Markup {
    markup! {
        @let positions = p["positions"].as_array().cloned().unwrap_or_default();
        @if !positions.is_empty() {
            h2 { (t("positions", lang)) }
            ul {
                @for pos in &positions {
                    li {
                        (name_of(pos["kindergarten_id"].as_str().unwrap_or_default())) ": "
                        strong { (pos["position"]) " " (t("place", lang)) }
                        @if let Some(ahead) = pos["ahead"].as_object() {
                            " · " (t("ahead", lang)) ": "
                            (ahead.iter().map(|(tier, n)| format!("{} {n}", code(tier, lang))).collect::<Vec<_>>().join(", "))
                        }
                    }
                }
            }
        }
    }
}

/// Every document the application was given: its kind and date in words, the decision, its
/// reason or grounds, where and by when to appeal, and the PDF in either language.
fn documents_markup(lang: Lang, f: &FamilyStatus, link: &dyn Fn(&str, Lang) -> String) -> Markup {
    let deadline = |at: jiff::Timestamp| words::deadline(at, f.offset, lang);
    markup! {
        @if !f.documents.is_empty() {
            h2 { (t("documents", lang)) }
            ul class="documents" data-testid="documents" {
                @for d in &f.documents {
                    li {
                        strong { (title(document_kind(&d.kind), lang).unwrap_or(&d.kind)) }
                        @if let Some(at) = d.at { " — " (local_time(at, f.offset)) }
                        @if let Some(decision) = &d.decision { br; (t("decision", lang)) ": " (code(decision, lang)) }
                        @if d.kind == "not_admitted" { br; (t("decision", lang)) ": " (code("not_admitted", lang)) }
                        @if let Some(reason) = &d.reason { br; (t("reason_given", lang)) ": " (reason) }
                        @if !d.grounds.is_empty() {
                            br; (t("refusal_grounds", lang)) ": "
                            (d.grounds.iter().map(|g| field(g, lang).map_or_else(|| code(g, lang), str::to_owned)).collect::<Vec<_>>().join("; "))
                        }
                        @if let Some((to, by)) = &d.appeal {
                            br; (t("appeal_to", lang)) ": "
                            (to.get(lang.code()).and_then(|x| x.as_str()).unwrap_or(t("appeal_to_district", lang)))
                            @if let Some(by) = by { ". " (t("appeal_by", lang)) ": " (deadline(*by)) }
                        }
                        br;
                        a href=(link(&d.id, Lang::Kk)) hreflang="kk" { "PDF, қазақша" } " · " a href=(link(&d.id, Lang::Ru)) hreflang="ru" { "PDF, на русском" }
                    }
                }
            }
        }
    }
}

/// The document a notification of `kind` came with.
fn document_kind(kind: &str) -> &str {
    match kind {
        "referral_issued" => "referral",
        "priority_claim_decided" => "priority_decision",
        "enrolled" | "not_admitted" => "admission",
        other => other,
    }
}

/// `POST /status`.
pub async fn lookup(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    client: Option<Extension<ClientAddr>>,
    Form(form): Form<Lookup>,
) -> Response {
    let lang = ctx.lang;
    let title = t("parents_title", lang);
    let client = client.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |Extension(c)| c.0);
    let spend = Spend::StatusLookup {
        client,
        application: &form.application_id,
    };
    match console.app.spend(spend).await {
        Ok(true) => {}
        Ok(false) => return too_many(&ctx, title, form_markup(lang, Some(t("too_many", lang)))),
        Err(e) => return super::refuse(&ctx, &e),
    }
    let now = console.app.now();
    // A case of the departments' other services: found by its number and the applicant's IIN.
    if form
        .application_id
        .trim()
        .to_ascii_uppercase()
        .starts_with("KZC")
    {
        let found = console
            .app
            .case_for_applicant(&form.application_id, &form.child_iin);
        if let Ok(Some(case)) = found {
            let body = super::cases::public_case(&console, lang, &case);
            return html(&ctx, StatusCode::OK, page(&ctx, title, body));
        }
        let p = form_markup(lang, Some(t("no_match", lang)));
        return html(&ctx, StatusCode::NOT_FOUND, page(&ctx, title, p));
    }
    let found = console
        .app
        .family_status(&form.application_id, &form.child_iin)
        .await
        .ok()
        .flatten();
    if let Some(f) = found {
        let body = result_markup(&console, lang, &f, (now, true));
        html(&ctx, StatusCode::OK, page(&ctx, title, body))
    } else {
        let p = form_markup(lang, Some(t("no_match", lang)));
        html(&ctx, StatusCode::NOT_FOUND, page(&ctx, title, p))
    }
}

/// 429 with `body`: the budget of a minute is spent; the next minute has a new one.
pub(crate) fn too_many(ctx: &Ctx, title: &str, body: Markup) -> Response {
    let mut res = html(ctx, StatusCode::TOO_MANY_REQUESTS, page(ctx, title, body));
    res.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("60"),
    );
    res
}

/// A document link's query.
#[derive(Deserialize)]
pub struct DocLink {
    a: String,
    exp: i64,
    lang: String,
    sig: String,
}

/// `GET /status/documents/{id}`: the PDF a signed link names, while the link lasts.
pub async fn document(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DocLink>,
) -> Response {
    let genuine = console.sessions.sign_link(&[&id, &q.a, &q.exp.to_string()]);
    let lang = Lang::parse(&q.lang).unwrap_or(Lang::Kk);
    if genuine != q.sig || console.app.now().as_second() > q.exp {
        let text = t("page_not_found", ctx.lang);
        return html(
            &ctx,
            StatusCode::NOT_FOUND,
            page(&ctx, text, notice(false, text)),
        );
    }
    match console.app.printed_for(&id, &q.a, lang).await {
        Ok(pdf) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
        Err(e) => crate::pages::refuse(&ctx, &e),
    }
}

/// The cut-offs of the last round at the child's kindergartens (its certificate's).
fn last_round_markup(lang: Lang, f: &FamilyStatus, name_of: &dyn Fn(&str) -> String) -> Markup {
    markup! {
        @if let Some(last) = &f.last_round {
            h2 { (t("last_round_heading", lang)) }
            p class="muted" { (t("last_round_id", lang)) " " (last.round_id) ", " (local_time(last.ran_at, f.offset)) ". " (t("last_round_hint", lang)) }
            table data-testid="last-round" {
                thead { tr { th { (t("kindergarten", lang)) } th { (t("group", lang)) } th { (t("last_round_referred", lang)) } th { (t("last_round_cutoff", lang)) } } }
                tbody {
                    @for (k, g, referred, cutoff) in &last.cutoffs {
                        tr { td { (name_of(k)) } td { (g) } td { (referred) } td data-testid="cutoff" { strong { (cutoff) } } }
                    }
                }
            }
        }
    }
}
