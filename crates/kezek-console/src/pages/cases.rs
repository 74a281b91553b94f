//! The departments' other services in the console: the counter's intake form generated from
//! each service's definition (its fields named by their JSON paths), a case's page with its
//! timeline, documents and the acts its reader may do now (asked again before signing, a
//! refusal and a hand-over), and an organisation's worklist.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::{ask_first, posted, refuse};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, CaseFilers, CaseReaders, CaseWorkers};
use kezek_app::ops::cases::{CaseAct, CaseView, NewCase, ServiceView};
use kezek_app::Role;
use kezek_print::words::{code, deadline, local_time, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// `?service=`.
#[derive(Debug, Deserialize)]
pub struct Which {
    #[serde(default)]
    service: Option<String>,
}

fn words(v: &Value, lang: Lang) -> String {
    v.get(lang.code())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn service_of(console: &Console, id: &str) -> Option<ServiceView> {
    console
        .app
        .services()
        .ok()?
        .into_iter()
        .find(|s| s.service == id)
}

/// `GET /console/cases/new[?service=]`: the services to choose from, or one's form.
pub async fn new(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Query(q): Query<Which>,
) -> Response {
    if let Err(e) = Auth::<CaseFilers>::check(s.caller.clone()) {
        return refuse(&ctx, &e);
    }
    let lang = ctx.lang;
    let services: Vec<ServiceView> = console
        .app
        .services()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.service != "kindergarten_queue")
        .collect();
    let Some(chosen) = q
        .service
        .as_deref()
        .and_then(|id| services.iter().find(|v| v.service == id))
    else {
        let body = markup! {
            ul class="choices" data-testid="services" {
                @for v in &services {
                    li { a href=(format!("/console/cases/new?service={}", v.service)) { (words(&serde_json::to_value(&v.name).unwrap_or_default(), lang)) } }
                }
            }
        };
        return html(
            &ctx,
            StatusCode::OK,
            page(&ctx, t("cases_file_title", lang), body),
        );
    };
    let name = words(
        &serde_json::to_value(&chosen.name).unwrap_or_default(),
        lang,
    );
    let channels: Vec<String> = chosen
        .channels
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok()?.as_str().map(str::to_owned))
        .filter(|c| match s.caller.role {
            Role::Clerk => c != "portal",
            Role::Staff => c == "office",
            _ => true,
        })
        .collect();
    let documents: Vec<(String, String)> = chosen
        .documents
        .get("names")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(id, w)| (id.clone(), words(w, lang)))
        .collect();
    let default_provider = s.caller.scope.first().cloned().unwrap_or_default();
    let body = markup! {
        p class="muted" { (name) }
        form method="post" action=(format!("/console/cases/new?service={}", chosen.service)) data-testid="case-filing" {
            input type="hidden" name="csrf" value=(s.csrf);
            div { label for="provider" { (t("organisation", lang)) }
                p class="hint" { (t("case_provider_hint", lang)) }
                input type="text" id="provider" name="provider" value=(default_provider) required; }
            div { label for="channel" { (t("channel", lang)) }
                select id="channel" name="channel" {
                    @for c in &channels { option value=(c) { (code(c, lang)) } }
                } }
            h2 { (t("applicant_name", lang)) }
            div { label for="applicant-iin" { (t("applicant_iin", lang)) }
                input type="text" id="applicant-iin" name="applicant.iin" inputmode="numeric" required; }
            div { label for="applicant-name" { (t("name", lang)) }
                input type="text" id="applicant-name" name="applicant.name" required; }
            h2 { (t("case_form", lang)) }
            @for f in chosen.fields.as_array().into_iter().flatten() {
                (field(f, lang))
            }
            h2 { (t("documents_received", lang)) }
            @for (id, label) in &documents {
                div { label { input type="checkbox" name="documents" value=(id); " " (label) } }
            }
            button type="submit" { (t("case_file_button", lang)) }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("cases_file_title", lang), body),
    )
}

/// One field of a service's form, named by its JSON path.
fn field(f: &Value, lang: Lang) -> Markup {
    let key = f["key"].as_str().unwrap_or_default();
    let label = words(&f["label"], lang);
    let required = f["required"].as_bool().unwrap_or(true);
    let input = |path: String, label: String, kind: &str| {
        let id = path.replace('.', "-");
        markup! {
            div { label for=(id) { (label) }
                input type=(kind) id=(id) name=(path) required[required]; }
        }
    };
    match f["kind"].as_str().unwrap_or_default() {
        "choice" => {
            let id = format!("form-{key}");
            markup! {
                div { label for=(id) { (label) }
                    select id=(id) name=(format!("form.{key}")) {
                        @for o in f["options"].as_array().into_iter().flatten() {
                            option value=(o["code"].as_str().unwrap_or_default()) { (words(o, lang)) }
                        }
                    } }
            }
        }
        "person" | "child" => markup! {
            fieldset {
                legend { (label) }
                (input(format!("form.{key}.name"), t("name", lang).to_owned(), "text"))
                (input(format!("form.{key}.iin"), t("iin", lang).to_owned(), "text"))
                @if f["kind"] == "child" {
                    (input(format!("form.{key}.birth_date"), t("birth_date", lang).to_owned(), "date"))
                }
            }
        },
        "number" => input(format!("form.{key}"), label, "number"),
        "date" => input(format!("form.{key}"), label, "date"),
        _ => input(format!("form.{key}"), label, "text"),
    }
}

/// `POST /console/cases/new?service=`: the form as the API's body (its fields' names are
/// JSON paths), filed.
pub async fn file(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Query(q): Query<Which>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| super::field(&pairs, k);
    let auth = match posted::<CaseFilers>(&console, &ctx, &get("csrf")) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let service = q.service.unwrap_or_default();
    let Some(definition) = service_of(&console, &service) else {
        return refuse(&ctx, &kezek_app::AppError::not_found("service", &service));
    };
    let mut form = serde_json::Map::new();
    for f in definition.fields.as_array().into_iter().flatten() {
        let key = f["key"].as_str().unwrap_or_default();
        let value = match f["kind"].as_str().unwrap_or_default() {
            "person" | "child" => {
                let mut p = serde_json::Map::new();
                for part in ["name", "iin", "birth_date"] {
                    let v = get(&format!("form.{key}.{part}"));
                    if !v.trim().is_empty() {
                        p.insert(part.into(), Value::String(v.trim().to_owned()));
                    }
                }
                if p.is_empty() {
                    Value::Null
                } else {
                    Value::Object(p)
                }
            }
            "number" => get(&format!("form.{key}"))
                .trim()
                .parse::<i64>()
                .map_or(Value::Null, Value::from),
            _ => {
                let v = get(&format!("form.{key}"));
                if v.trim().is_empty() {
                    Value::Null
                } else {
                    Value::String(v.trim().to_owned())
                }
            }
        };
        if !value.is_null() {
            form.insert(key.to_owned(), value);
        }
    }
    let body = serde_json::json!({
        "provider": get("provider").trim(),
        "channel": get("channel"),
        "applicant": {"iin": get("applicant.iin").trim(), "name": get("applicant.name").trim()},
        "form": form,
        "documents": pairs.iter().filter(|(n, _)| n == "documents").map(|(_, v)| v.clone()).collect::<Vec<_>>(),
    });
    let new: NewCase = match serde_json::from_value(body) {
        Ok(n) => n,
        Err(e) => {
            return refuse(
                &ctx,
                &kezek_app::AppError::invalid("form", "invalid", e.to_string()),
            )
        }
    };
    match console.app.file_case(&auth, &service, new).await {
        Ok(w) => {
            let v: Value = serde_json::from_slice(&w.body).unwrap_or_default();
            let id = v.get("case_id").and_then(Value::as_str).unwrap_or_default();
            see_other(&ctx, &format!("/console/cases/{id}"))
        }
        Err(e) => refuse(&ctx, &e),
    }
}

/// `GET /console/cases/{id}`: the case, its timeline and documents, and what its reader may
/// do now.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<crate::pages::Done>,
) -> Response {
    let auth = match Auth::<CaseReaders>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let case = match console.app.case(&auth, &id) {
        Ok(c) => c,
        Err(e) => return refuse(&ctx, &e),
    };
    let service = service_of(&console, &case.service);
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
    let step_words = |step: &str| {
        service
            .as_ref()
            .and_then(|d| {
                d.steps
                    .as_array()?
                    .iter()
                    .find(|x| x["id"] == step)
                    .map(|x| words(&x["what"], lang))
            })
            .unwrap_or_else(|| step.to_owned())
    };
    let now = console.app.now();
    let link = |doc: &str, l: Lang| {
        let exp = (now.as_second() + 3600).to_string();
        let sig = console.sessions.sign_link(&[doc, &case.case_id, &exp]);
        format!(
            "/status/documents/{doc}?a={}&exp={exp}&lang={}&sig={sig}",
            case.case_id,
            l.code()
        )
    };
    let acts = acts(&s, &case, service.as_ref(), lang);
    let body = markup! {
        @if q.done.is_some() { (notice(true, t("done", lang))) }
        p class="muted" { (service.as_ref().map(|d| words(&serde_json::to_value(&d.name).unwrap_or_default(), lang)).unwrap_or_default()) }
        dl data-testid="case" {
            dt { (t("status", lang)) } dd data-testid="case-status" { (code(&format!("case_status_{}", case.status), lang)) }
            dt { (t("organisation", lang)) } dd { (case.provider) }
            dt { (t("applicant_name", lang)) } dd { (case.applicant.name) " · " (case.applicant.iin) }
            @if let Some(k) = case.custody.as_ref().and_then(|k| k["at"].as_str()) {
                dt { (t("custody", lang)) } dd data-testid="custody" { (code(&format!("custody_{k}"), lang)) }
            }
            @if let Some(r) = &case.register {
                dt { (t("register", lang)) }
                dd data-testid="register-status" { (register_status(r, service.as_ref(), lang)) }
            }
        }
        @if !case.missing.is_empty() {
            h2 { (t("missing", lang)) }
            ul { @for m in &case.missing { li { (m) } } }
        }
        h2 { (t("steps_due", lang)) }
        div class="table-wrap" {
            table data-testid="timeline" {
                thead { tr { th scope="col" { (t("step", lang)) } th scope="col" { (t("step_due_by", lang)) } th scope="col" { (t("step_done", lang)) } } }
                tbody {
                    @for st in case.steps.as_array().into_iter().flatten() {
                        tr class=(if st["late"] == true { "late" } else { "" }) {
                            td { (step_words(st["step"].as_str().unwrap_or_default())) }
                            td { (due(&st["due"])) @if st["late"] == true { " · " strong { (t("late", lang)) } } }
                            td { (when(&st["done"])) }
                        }
                    }
                }
            }
        }
        @if let Some(o) = &case.outcome {
            h2 { (t("decision", lang)) }
            p data-testid="outcome" { (code(&format!("case_outcome_{}", o["outcome"].as_str().unwrap_or_default()), lang)) }
        }
        h2 { (t("documents", lang)) }
        ul data-testid="case-documents" {
            @for (doc, kind) in &documents_of(&case) {
                li { (kezek_print::words::title(kind, lang).unwrap_or(kind)) " — "
                     a href=(link(doc, Lang::Kk)) hreflang="kk" { "қазақша" } " · "
                     a href=(link(doc, Lang::Ru)) hreflang="ru" { "на русском" } }
            }
        }
        (files_section(lang, &s, &case, service.as_ref()))
        (acts)
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, &format!("{} {}", t("case", lang), case.case_id), body),
    )
}

/// The case's proof files, named as its service names their documents; links for those who
/// may open them.
fn files_section(lang: Lang, s: &Signed, case: &CaseView, service: Option<&ServiceView>) -> Markup {
    let name = |d: &str| {
        service
            .and_then(|sv| sv.documents.get("names")?.get(d))
            .map_or_else(|| d.to_owned(), |w| words(w, lang))
    };
    markup! {
        @if !case.files.is_empty() {
            h2 { (t("proof_files", lang)) }
            div data-testid="case-files" {
                (super::proof::list_named(lang, &case.files, may_open_files(s), name))
            }
        }
    }
}

/// Whether the reader may open a case's files: those who work on it (the case page is shown
/// only within their scope).
fn may_open_files(s: &Signed) -> bool {
    matches!(s.caller.role, Role::Head | Role::Executor | Role::Staff)
}

/// Where a register's entry stands: active, or removed on a ground (in words) and when.
fn register_status(r: &Value, service: Option<&ServiceView>, lang: Lang) -> String {
    if r["status"] != "removed" {
        return t("register_active", lang).to_owned();
    }
    let ground = service
        .and_then(|d| d.register_removal.as_array())
        .into_iter()
        .flatten()
        .find(|g| g["code"] == r["ground"])
        .map_or_else(
            || r["ground"].as_str().unwrap_or_default().to_owned(),
            |g| words(g, lang),
        );
    format!("{} — {ground}", t("register_removed", lang))
}

/// The documents `case` has by now: its receipt (or refusal to accept), its result, its
/// complaint decisions, with their kinds.
fn documents_of(case: &CaseView) -> Vec<(String, &'static str)> {
    let mut docs: Vec<(String, &'static str)> = Vec::new();
    if case.status == "refused_to_accept" {
        docs.push((format!("doc-{}", case.case_id), "case_refusal_to_accept"));
    } else {
        docs.push((format!("doc-{}-receipt", case.case_id), "case_receipt"));
    }
    if matches!(case.status.as_str(), "awaiting_issue" | "issued") {
        let refused = case
            .outcome
            .as_ref()
            .is_some_and(|o| o["outcome"] == "refused");
        docs.push((
            format!("doc-{}-result", case.case_id),
            if refused {
                "case_refusal"
            } else {
                "case_result"
            },
        ));
    }
    if case
        .register
        .as_ref()
        .is_some_and(|r| r["status"] == "removed")
    {
        docs.push((
            format!("doc-{}-removal", case.case_id),
            "case_register_removal",
        ));
    }
    for c in case.complaints.as_array().into_iter().flatten() {
        if !c["decision"].is_null() {
            docs.push((
                format!("doc-{}-complaint-{}", case.case_id, c["complaint"]),
                "complaint_decision",
            ));
        }
    }
    docs
}

/// The acts the reader may do on `case` now, as forms.
fn acts(s: &Signed, case: &CaseView, service: Option<&ServiceView>, lang: Lang) -> Markup {
    let role = s.caller.role;
    let mine = s.caller.scope.iter().any(|o| o == &case.provider);
    let head = role == Role::Head && mine;
    let executor = role == Role::Executor && mine;
    let action = format!("/console/cases/{}/act", case.case_id);
    let grounds: Vec<(String, String)> = service
        .and_then(|d| d.grounds.as_array())
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["code"].as_str().unwrap_or_default().to_owned(),
                words(g, lang),
            )
        })
        .collect();
    // A paper result handed over: at the provider, at the centre it was filed at, or from
    // the provider's archive when the centre sent it back uncollected.
    let custody = case
        .custody
        .as_ref()
        .and_then(|k| k["at"].as_str())
        .unwrap_or_default();
    let collectable = match custody {
        "" => case.status == "awaiting_issue",
        "result_at_centre" => role == Role::Clerk,
        "archived" => head,
        _ => false,
    };
    markup! {
        @if head && case.status == "awaiting_resolution" {
            form method="post" action=(action) class="actions" data-testid="assign" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="act" value="assign";
                div { label for="executor" { (t("executor", lang)) } input type="text" id="executor" name="executor" required; }
                button type="submit" { (t("assign", lang)) }
            }
        }
        @if executor && case.status == "in_work" {
            form method="post" action=(action) class="actions" data-testid="draft" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="act" value="draft";
                div { label { input type="radio" name="outcome" value="granted" checked; " " (code("case_outcome_granted", lang)) } }
                div { label { input type="radio" name="outcome" value="refused"; " " (code("case_outcome_refused", lang)) } }
                fieldset { legend { (t("refusal_grounds", lang)) }
                    p class="hint" { (t("case_grounds_hint", lang)) }
                    @for (code_, label) in &grounds {
                        div { label { input type="checkbox" name="grounds" value=(code_); " " (label) } }
                    } }
                div { label for="note" { (t("reason", lang)) } input type="text" id="note" name="note"; }
                button type="submit" { (t("case_draft", lang)) }
            }
        }
        @if head && case.status == "awaiting_signature" {
            form method="post" action=(action) class="actions" data-testid="sign" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="act" value="sign";
                button type="submit" { (t("case_sign", lang)) }
            }
            form method="post" action=(action) class="actions" data-testid="return" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="act" value="return";
                div { label for="comment" { (t("comment", lang)) } input type="text" id="comment" name="comment" required; }
                button type="submit" class="secondary" { (t("case_return", lang)) }
            }
        }
        @if (head || role == Role::Clerk) && collectable {
            form method="post" action=(action) class="actions" data-testid="hand-over" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="act" value="hand_over";
                button type="submit" { (t("case_hand_over", lang)) }
            }
        }
        @if head && case.register.as_ref().is_some_and(|r| r["status"] == "active") {
            (removal_form(s, &action, service, lang))
        }
        @if head {
            @for c in case.complaints.as_array().into_iter().flatten().filter(|c| c["decision"].is_null()) {
                form method="post" action=(action) class="actions" data-testid="complaint-decision" {
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="act" value="decide_complaint";
                    input type="hidden" name="complaint" value=(c["complaint"]);
                    p { (t("complaint", lang)) ": " (c["text"].as_str().unwrap_or_default()) }
                    div { label { input type="radio" name="upheld" value="true" checked; " " (t("complaint_upheld", lang)) } }
                    div { label { input type="radio" name="upheld" value="false"; " " (t("complaint_not_upheld", lang)) } }
                    div { label for=(format!("reasons-{}", c["complaint"])) { (t("reason", lang)) } input type="text" id=(format!("reasons-{}", c["complaint"])) name="reasons" required; }
                    button type="submit" { (t("decision", lang)) }
                }
            }
        }
    }
}

/// The head's form removing a register's entry, on one of the service's grounds.
fn removal_form(s: &Signed, action: &str, service: Option<&ServiceView>, lang: Lang) -> Markup {
    let removal: Vec<(String, String)> = service
        .and_then(|d| d.register_removal.as_array())
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["code"].as_str().unwrap_or_default().to_owned(),
                words(g, lang),
            )
        })
        .collect();
    markup! {
        form method="post" action=(action) class="actions" data-testid="register-removal" {
            input type="hidden" name="csrf" value=(s.csrf);
            input type="hidden" name="act" value="remove_from_register";
            fieldset { legend { (t("register_removal_ground", lang)) }
                @for (i, (code_, label)) in removal.iter().enumerate() {
                    div { label { input type="radio" name="ground" value=(code_) required checked[i == 0]; " " (label) } }
                } }
            div { label for="removal-note" { (t("reason", lang)) } input type="text" id="removal-note" name="note"; }
            button type="submit" class="secondary" { (t("register_remove", lang)) }
        }
    }
}

/// `POST /console/cases/{id}/act`: the act the form names; signing, a refusal and the
/// hand-over are asked again first.
pub async fn act(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| super::field(&pairs, k);
    let csrf = get("csrf");
    let auth = match posted::<CaseReaders>(&console, &ctx, &csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let what = get("act");
    let irreversible = match what.as_str() {
        "sign" => Some(("sure_case_sign", "yes_case_sign")),
        "hand_over" => Some(("sure_case_hand_over", "yes_case_hand_over")),
        "draft" if get("outcome") == "refused" => Some(("sure_case_refuse", "yes_case_refuse")),
        "remove_from_register" => Some(("sure_register_remove", "yes_register_remove")),
        _ => None,
    };
    let action = format!("/console/cases/{id}/act");
    let back = format!("/console/cases/{id}");
    if let Some((question, yes)) = irreversible {
        let fields: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(n, _)| n != "sure")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if let Some(page) = ask_first(
            &ctx,
            &get("sure"),
            (&action, &back),
            (t(question, lang), t(yes, lang)),
            &fields,
        ) {
            return page;
        }
    }
    let act = match what.as_str() {
        "assign" => CaseAct::Assign {
            executor: get("executor"),
        },
        "draft" => CaseAct::Draft {
            outcome: if get("outcome") == "refused" {
                kezek_app::ops::cases::CaseOutcome::Refused
            } else {
                kezek_app::ops::cases::CaseOutcome::Granted
            },
            grounds: if get("outcome") == "refused" {
                pairs
                    .iter()
                    .filter(|(n, _)| n == "grounds")
                    .map(|(_, v)| v.clone())
                    .collect()
            } else {
                Vec::new()
            },
            note: get("note"),
        },
        "sign" => CaseAct::Sign,
        "return" => CaseAct::Return {
            comment: get("comment"),
        },
        "hand_over" => CaseAct::HandOver,
        "remove_from_register" => CaseAct::RemoveFromRegister {
            ground: get("ground"),
            note: get("note"),
        },
        "decide_complaint" => CaseAct::DecideComplaint {
            complaint: get("complaint").parse().unwrap_or(0),
            upheld: get("upheld") == "true",
            reasons: get("reasons"),
        },
        _ => {
            return refuse(
                &ctx,
                &kezek_app::AppError::invalid("act", "invalid_act", "not an act on a case"),
            )
        }
    };
    match console.app.case_act(&auth, &id, act).await {
        Ok(_) => see_other(&ctx, &format!("/console/cases/{id}?done=1")),
        Err(e) => refuse(&ctx, &e),
    }
}

/// `?overdue=`.
#[derive(Debug, Deserialize)]
pub struct Late {
    #[serde(default)]
    overdue: Option<String>,
}

/// `GET /console/organisations/{org}/cases[?overdue=1]`: the organisation's worklist.
pub async fn worklist(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(org): Path<String>,
    Query(q): Query<Late>,
) -> Response {
    let auth = match Auth::<CaseWorkers>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let late_only = q.overdue.is_some();
    let cases = match console
        .app
        .organisation_cases(&auth, &org, (None, late_only))
    {
        Ok(c) => c,
        Err(e) => return refuse(&ctx, &e),
    };
    let offset = console.app.local_offset();
    let body = markup! {
        p { a href=(format!("/console/organisations/{org}/cases{}", if late_only { "" } else { "?overdue=1" })) {
            (t(if late_only { "all_cases" } else { "late_cases" }, lang)) } }
        (super::centre::provider_section(&console, (&s, lang), &org, &cases))
        (super::register::links(&console, lang, &org))
        (super::complaints::of_district(&console, (&s, lang), &org, late_only))
        @if cases.is_empty() { p { (t("nothing_found", lang)) } }
        div class="cards" data-testid="case-worklist" {
            @for c in &cases {
                @let open = c.steps.as_array().into_iter().flatten().find(|x| x["started"].is_string() && x["done"].is_null());
                article class="card" data-case=(c.case_id) {
                    h3 { a href=(format!("/console/cases/{}", c.case_id)) { (c.case_id) } }
                    dl {
                        dt { (t("public_service", lang)) }
                        dd { (console.app.service_words(&c.service).map_or_else(|| c.service.clone(), |(n, _)| if lang == Lang::Ru { n.ru } else { n.kk })) }
                        dt { (t("applicant_name", lang)) } dd { (c.applicant.name) }
                        dt { (t("status", lang)) } dd { (code(&format!("case_status_{}", c.status), lang)) }
                        @if let Some(step) = open {
                            dt { (t("step_due_by", lang)) }
                            dd { (step["due"].as_str().and_then(|d| d.parse().ok()).map_or_else(|| "—".to_owned(), |at| deadline(at, offset, lang)))
                                 @if step["late"] == true { " · " strong { (t("late", lang)) } } }
                        }
                    }
                }
            }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("case_worklist", lang), body),
    )
}

/// A case as its applicant sees it on the public status page: the service, where it
/// stands, each step with its due time, and the documents to print.
pub(crate) fn public_case(console: &Console, lang: Lang, case: &CaseView) -> Markup {
    let (name, steps) = console.app.service_words(&case.service).unwrap_or_default();
    let offset = console.app.local_offset();
    let when = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| "—".to_owned(), |at| local_time(at, offset))
    };
    let words_of = |step: &str| {
        steps.iter().find(|(id, _)| id == step).map_or_else(
            || step.to_owned(),
            |(_, w)| {
                if lang == Lang::Ru {
                    w.ru.clone()
                } else {
                    w.kk.clone()
                }
            },
        )
    };
    let now = console.app.now();
    let link = |doc: &str, l: Lang| {
        let exp = (now.as_second() + 3600).to_string();
        let sig = console.sessions.sign_link(&[doc, &case.case_id, &exp]);
        format!(
            "/status/documents/{doc}?a={}&exp={exp}&lang={}&sig={sig}",
            case.case_id,
            l.code()
        )
    };
    markup! {
        h2 { (if lang == Lang::Ru { name.ru.clone() } else { name.kk.clone() }) }
        dl data-testid="case" {
            dt { (t("application_id", lang)) } dd { (case.case_id) }
            dt { (t("status", lang)) } dd data-testid="case-status" { (code(&format!("case_status_{}", case.status), lang)) }
        }
        @if !case.missing.is_empty() {
            h3 { (t("missing", lang)) }
            ul { @for m in &case.missing { li { (m) } } }
        }
        h3 { (t("steps_due", lang)) }
        ul data-testid="timeline" {
            @for st in case.steps.as_array().into_iter().flatten() {
                li { (words_of(st.get("step").and_then(Value::as_str).unwrap_or_default())) " — "
                     (t("step_due_by", lang)) " " (when(st.get("due").unwrap_or(&Value::Null)))
                     @if st.get("done").is_some_and(|d| !d.is_null()) { " · " (t("step_done", lang)) " " (when(st.get("done").unwrap_or(&Value::Null))) }
                     @if st.get("late") == Some(&Value::Bool(true)) { " · " strong { (t("late", lang)) } } }
            }
        }
        h3 { (t("documents", lang)) }
        ul data-testid="case-documents" {
            @for (doc, kind) in documents_of(case) {
                li { (kezek_print::words::title(kind, lang).unwrap_or(kind)) " — "
                     a href=(link(&doc, Lang::Kk)) hreflang="kk" { "қазақша" } " · "
                     a href=(link(&doc, Lang::Ru)) hreflang="ru" { "на русском" } }
            }
        }
    }
}
