//! Filing an application at a counter (`/console/file`): a clerk at a service centre, or a
//! district's staff at its office, types in what the family brings — the child, the applicant
//! (and a representative with a power of attorney), the district, the language, the
//! kindergartens chosen by name, the category claimed, the documents presented from the
//! channel's checklist — and files it through the same operation as the API
//! (`POST /v1/applications`). The fields are named as the API's JSON paths (`child.iin`,
//! `applicant.name`, `preferences`, `documents`, …). The answer shows what came of it and
//! prints its document: the queue notification, the referral, or the refusal the family
//! leaves with, listing what is missing.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::refuse;
use crate::{html, Console};
use axum::extract::{Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::access::{Auth, Filer, Lookup};
use kezek_app::forms::{ApplicantForm, ChildForm, RegisterForm, RepresentativeForm};
use kezek_app::{AppError, Role};
use kezek_print::words::{code, field, name_in, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Which district the form is for.
#[derive(Deserialize)]
pub struct For {
    #[serde(default)]
    district: Option<String>,
}

/// The channel a key files on at a counter.
fn channel_of(role: Role) -> &'static str {
    if role == Role::Staff {
        "office"
    } else {
        "service_center"
    }
}

/// What was typed, by field, to fill the form again.
type Typed = HashMap<String, Vec<String>>;

fn first<'a>(typed: &'a Typed, name: &str) -> &'a str {
    typed
        .get(name)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}

/// The form, filled with `typed`.
fn form(
    lang: Lang,
    s: &Signed,
    district: &str,
    (choices, kindergartens): (
        &kezek_app::ops::applications::FilingChoices,
        &[(String, String)],
    ),
    typed: &Typed,
) -> Markup {
    let text = |name: &str, label: &str, required: bool, extra: &str| {
        let id = name.replace('.', "-");
        markup! {
            label for=(id) { (label) }
            @if !extra.is_empty() { p class="hint" { (extra) } }
            input type="text" id=(id) name=(name) value=(first(typed, name)) required[required] autocomplete="off";
        }
    };
    let chosen: Vec<&str> = typed
        .get("preferences")
        .map(|v| v.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let presented: Vec<&str> = typed
        .get("documents")
        .map(|v| v.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let first_time = typed.is_empty();
    markup! {
        form method="post" action="/console/file" data-testid="filing" {
            input type="hidden" name="csrf" value=(s.csrf);
            input type="hidden" name="district" value=(district);
            h2 { (t("child", lang)) }
            (text("child.iin", t("child_iin", lang), true, ""))
            (text("child.name", t("child_name", lang), true, ""))
            h2 { (t("applicant", lang)) }
            (text("applicant.iin", t("applicant_iin", lang), true, ""))
            (text("applicant.name", t("applicant_name", lang), true, ""))
            (text("applicant.email", t("applicant_email", lang), false, t("applicant_email_hint", lang)))
            (text("applicant.representative.iin", t("representative_iin", lang), false, t("representative_hint", lang)))
            (text("applicant.representative.power_of_attorney", t("power_of_attorney_number", lang), false, ""))
            h2 { (t("queue_choice", lang)) }
            label for="language" { (t("language_of_instruction", lang)) }
            select id="language" name="language" {
                @for l in ["kk", "ru"] { option value=(l) selected[first(typed, "language") == l] { (code(l, lang)) } }
            }
            @for i in 0..choices.max_preferences {
                label for=(format!("preference-{i}")) { (t("preference", lang)) " " (i + 1) }
                select id=(format!("preference-{i}")) name="preferences" required[i == 0] {
                    @if i > 0 { option value="" { "—" } }
                    @for (id, name) in kindergartens {
                        option value=(id) selected[chosen.get(i) == Some(&id.as_str())] { (name) }
                    }
                }
            }
            (text("together_with", t("together_with", lang), false, t("together_with_hint", lang)))
            label for="category" { (t("priority_category", lang)) }
            select id="category" name="category" {
                option value="none" { (t("no_category", lang)) }
                @for c in &choices.categories {
                    option value=(c) selected[first(typed, "category") == c] { (code(c, lang)) }
                }
            }
            fieldset {
                legend { (t("documents_presented", lang)) }
                @for (d, asked) in &choices.documents {
                    label class="check" {
                        input type="checkbox" name="documents" value=(d)
                            checked[presented.contains(d) || (first_time && *asked && *d == "application_form")];
                        " " (code(d, lang))
                        @if *asked { " " span class="muted" { "(" (t("asked_on_channel", lang)) ")" } }
                    }
                }
            }
            p { button type="submit" { (t("file_button", lang)) } }
        }
    }
}

/// The choices the form offers in `district`, read for the caller.
async fn choices(
    console: &Console,
    s: &Signed,
    district: &str,
    lang: Lang,
) -> Result<
    (
        kezek_app::ops::applications::FilingChoices,
        Vec<(String, String)>,
    ),
    AppError,
> {
    let lookup = Auth::<Lookup>::check(s.caller.clone())?;
    let channel = channel_of(s.caller.role);
    console
        .app
        .reads(|r| -> Result<_, AppError> {
            let list = r.kindergartens(&lookup, district, None)?;
            let names = list
                .kindergartens
                .iter()
                .map(|k| {
                    (
                        k.kindergarten_id.to_string(),
                        name_in(lang, k.name, k.name_ru).to_owned(),
                    )
                })
                .collect();
            Ok((r.filing_choices(channel), names))
        })
        .await
        .and_then(|r| r)
}

/// The district a key files in: the one asked for if it is the key's, else its first.
fn district_for(s: &Signed, asked: Option<&str>) -> Option<String> {
    let scope = &s.caller.scope;
    asked
        .filter(|d| scope.iter().any(|x| x == d))
        .or_else(|| scope.first().map(String::as_str))
        .map(str::to_owned)
}

/// `GET /console/file?district=`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Query(q): Query<For>,
) -> Response {
    if let Err(e) = Auth::<Filer>::check(s.caller.clone()) {
        return refuse(&ctx, &e);
    }
    let lang = ctx.lang;
    let Some(district) = district_for(&s, q.district.as_deref()) else {
        return refuse(&ctx, &AppError::Forbidden("no district".into()));
    };
    match choices(&console, &s, &district, lang).await {
        Ok((c, k)) => {
            let body = markup! {
                (districts(lang, &s, &district))
                (form(lang, &s, &district, (&c, &k), &Typed::new()))
            };
            html(
                &ctx,
                StatusCode::OK,
                page(&ctx, t("file_title", lang), body),
            )
        }
        Err(e) => refuse(&ctx, &e),
    }
}

/// Links to the form of each district the key may file in.
fn districts(lang: Lang, s: &Signed, current: &str) -> Markup {
    markup! {
        @if s.caller.scope.len() > 1 {
            p class="actions" {
                (t("district", lang)) ":"
                @for d in &s.caller.scope {
                    @if d == current { " " strong { (d) } } @else { " " a href=(format!("/console/file?district={d}")) { (d) } }
                }
            }
        }
    }
}

/// The posted form as a registration.
fn registration(typed: &Typed, channel: &str) -> RegisterForm {
    let one = |k: &str| first(typed, k).trim().to_owned();
    let representative =
        (!one("applicant.representative.iin").is_empty()).then(|| RepresentativeForm {
            iin: one("applicant.representative.iin"),
            power_of_attorney: one("applicant.representative.power_of_attorney"),
        });
    let all = |k: &str| -> Vec<String> {
        typed
            .get(k)
            .into_iter()
            .flatten()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    };
    RegisterForm {
        child: ChildForm {
            iin: one("child.iin"),
            name: one("child.name"),
            birth_date: None,
        },
        applicant: ApplicantForm {
            iin: one("applicant.iin"),
            name: one("applicant.name"),
            representative,
            email: Some(one("applicant.email")).filter(|e| !e.is_empty()),
        },
        district: one("district"),
        language: one("language"),
        preferences: all("preferences"),
        category: Some(one("category")).filter(|c| !c.is_empty()),
        documents: all("documents"),
        channel: channel.to_owned(),
        together_with: Some(one("together_with")).filter(|t| !t.is_empty()),
    }
}

/// `POST /console/file`: filed, then what came of it, with its document to print.
pub async fn file(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    RawForm(raw): RawForm,
) -> Response {
    let mut typed = Typed::new();
    for (k, v) in form_urlencoded::parse(&raw) {
        typed
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let auth = match super::posted::<Filer>(&console, &ctx, first(&typed, "csrf")) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let channel = channel_of(s.caller.role);
    let form_in = registration(&typed, channel);
    let district = form_in.district.clone();
    let answer = match console.app.register(&auth, None, form_in).await {
        Ok(w) => w,
        Err(e) => {
            // The form again, as typed, with what is wrong above it.
            let (status, text) = super::refusal_text(&ctx, &e);
            return match choices(&console, &s, &district, lang).await {
                Ok((c, k)) => {
                    let body = markup! {
                        (notice(false, &text))
                        (form(lang, &s, &district, (&c, &k), &typed))
                    };
                    html(&ctx, status, page(&ctx, t("file_title", lang), body))
                }
                Err(e) => refuse(&ctx, &e),
            };
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let null = serde_json::Value::Null;
    let at = |pointer: &str| v.pointer(pointer).unwrap_or(&null);
    let id = at("/application_id")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let document = at("/document_id")
        .as_str()
        .or_else(|| at("/referral/document_id").as_str())
        .map(str::to_owned);
    let now = console.app.now();
    let link = |doc: &str, l: Lang| {
        let exp = (now.as_second() + 3600).to_string();
        let sig = console.sessions.sign_link(&[doc, &id, &exp]);
        format!(
            "/status/documents/{doc}?a={id}&exp={exp}&lang={}&sig={sig}",
            l.code()
        )
    };
    let refused = answer.status == 422;
    let body = markup! {
        @if refused {
            (notice(false, t("filed_refused", lang)))
            ul data-testid="grounds" {
                @for e in at("/errors").as_array().into_iter().flatten() {
                    li { (field(e["code"].as_str().unwrap_or_default(), lang).map_or_else(|| code(e["code"].as_str().unwrap_or_default(), lang), str::to_owned)) }
                }
            }
            @let missing = at("/missing").as_array().cloned().unwrap_or_default();
            @if !missing.is_empty() {
                h2 { (t("missing", lang)) }
                ul data-testid="missing" { @for m in &missing { li { (code(m.as_str().unwrap_or_default(), lang)) } } }
            }
        } @else {
            (notice(true, t("filed_ok", lang)))
            dl data-testid="filed" {
                dt { (t("application_id", lang)) } dd { strong { (id) } }
                dt { (t("status", lang)) } dd { (code(at("/status").as_str().unwrap_or_default(), lang)) }
                @if let Some(n) = at("/queue_number").as_u64() { dt { (t("queue_number", lang)) } dd { (n) } }
            }
        }
        @if let Some(doc) = &document {
            p class="actions" data-testid="print" {
                a class="button" href=(link(doc, Lang::Kk)) hreflang="kk" { (t("print_document", lang)) " — қазақша" }
                a class="button secondary" href=(link(doc, Lang::Ru)) hreflang="ru" { (t("print_document", lang)) " — на русском" }
            }
        }
        p { a href=(format!("/console/file?district={district}")) { (t("file_another", lang)) } }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, t("file_title", lang), body),
    )
}
