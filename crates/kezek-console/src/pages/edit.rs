//! Creating and editing a kindergarten (its district's staff): names and addresses in both
//! languages and its groups — the API's `PUT /v1/kindergartens/{id}`, with its rules; what it
//! refuses (an occupied group removed, capacity below the seats taken, a referral's group
//! changed) is said in words above the form, which keeps what was typed. Without script, the
//! form has the kindergarten's groups and three empty rows; clearing a group's id removes it.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::refusal_text;
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, KeyHolders, Staff};
use kezek_app::forms::{GroupForm, KindergartenForm};
use kezek_core::model::{DistrictId, GroupId, Language};
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Empty group rows offered for new groups.
const NEW_ROWS: usize = 3;

/// What the form shows: the kindergarten's fields, as stored or as typed.
#[derive(Default)]
struct Fields {
    id: String,
    name: String,
    name_ru: String,
    address: String,
    address_ru: String,
    phone: String,
    /// (group id, age, language, capacity).
    groups: Vec<(String, String, String, String)>,
}

impl Fields {
    fn from_posted(p: &HashMap<String, String>) -> Self {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        let groups = (0..)
            .map_while(|i| {
                p.contains_key(&format!("group_{i}")).then(|| {
                    (
                        get(&format!("group_{i}")),
                        get(&format!("age_{i}")),
                        get(&format!("language_{i}")),
                        get(&format!("capacity_{i}")),
                    )
                })
            })
            // The empty rows offered come back empty: they are offered again, not kept.
            .filter(|(g, age, _, cap): &(String, String, String, String)| {
                !(g.trim().is_empty() && age.trim().is_empty() && cap.trim().is_empty())
            })
            .collect();
        Self {
            id: get("id"),
            name: get("name"),
            name_ru: get("name_ru"),
            address: get("address"),
            address_ru: get("address_ru"),
            phone: get("phone"),
            groups,
        }
    }
}

fn form(lang: Lang, d: &str, csrf: &str, f: &Fields, new: bool) -> Markup {
    let mut rows = f.groups.clone();
    rows.extend(
        (0..NEW_ROWS).map(|_| (String::new(), String::new(), "kk".to_owned(), String::new())),
    );
    let text = |name: &str, label: &str, value: &str, required: bool| {
        markup! {
            label for=(name) { (label) }
            input type="text" id=(name) name=(name) value=(value) required[required];
        }
    };
    markup! {
        form method="post" action=(format!("/console/districts/{d}/kindergartens")) {
            input type="hidden" name="csrf" value=(csrf);
            @if new {
                input type="hidden" name="new_form" value="1";
                (text("id", t("kindergarten_id", lang), &f.id, true))
            } @else {
                input type="hidden" name="id" value=(f.id);
            }
            (text("name", t("name_kk", lang), &f.name, true))
            (text("name_ru", t("name_ru", lang), &f.name_ru, false))
            (text("address", t("address_kk", lang), &f.address, false))
            (text("address_ru", t("address_ru", lang), &f.address_ru, false))
            (text("phone", t("phone", lang), &f.phone, false))
            h2 { (t("groups", lang)) }
            p class="hint" { (t("groups_hint", lang)) }
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { (t("group", lang)) } th scope="col" { (t("age", lang)) }
                        th scope="col" { (t("language", lang)) } th scope="col" { (t("capacity", lang)) }
                    } }
                    tbody {
                        @for (i, (g, age, l, cap)) in rows.iter().enumerate() {
                            tr {
                                td { input type="text" name=(format!("group_{i}")) value=(g) aria-label=(format!("{} {}", t("group", lang), i + 1)); }
                                td { input type="number" name=(format!("age_{i}")) value=(age) min="0" max="18" aria-label=(t("age", lang)); }
                                td { select name=(format!("language_{i}")) aria-label=(t("language", lang)) {
                                    @for code_ in ["kk", "ru"] { option value=(code_) selected[l == code_] { (code(code_, lang)) } }
                                } }
                                td { input type="number" name=(format!("capacity_{i}")) value=(cap) min="0" aria-label=(t("capacity", lang)); }
                            }
                        }
                    }
                }
            }
            p { button type="submit" { (t("save", lang)) } }
        }
    }
}

/// `?id=` of the kindergarten to edit (none: a new one).
#[derive(Deserialize)]
pub struct Which {
    #[serde(default)]
    id: Option<String>,
}

/// `GET /console/districts/{district}/kindergartens`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(d): Path<String>,
    Query(w): Query<Which>,
) -> Response {
    let lang = ctx.lang;
    if let Err(e) = Auth::<Staff>::check(s.caller.clone())
        .and_then(|a| a.caller().require_scope(kezek_app::Role::Staff, &d))
    {
        return crate::pages::refuse(&ctx, &e);
    }
    let mut fields = Fields::default();
    if let Some(id) = w.id.as_deref().filter(|x| !x.is_empty()) {
        let holder = Auth::<KeyHolders>::check(s.caller.clone());
        let read = console
            .app
            .reads(|r| {
                let kg = r.kindergarten(&holder?, id)?;
                Ok(Fields {
                    id: id.to_owned(),
                    name: kg.name.to_owned(),
                    name_ru: kg.name_ru.unwrap_or_default().to_owned(),
                    address: kg.address.unwrap_or_default().to_owned(),
                    address_ru: kg.address_ru.unwrap_or_default().to_owned(),
                    phone: kg.phone.unwrap_or_default().to_owned(),
                    groups: kg
                        .groups
                        .iter()
                        .map(|g| {
                            (
                                g.group_id.to_string(),
                                g.age_years.to_string(),
                                g.language.to_owned(),
                                g.capacity.to_string(),
                            )
                        })
                        .collect(),
                })
            })
            .await
            .and_then(|r: Result<Fields, kezek_app::AppError>| r);
        match read {
            Ok(f) => fields = f,
            Err(e) => return crate::pages::refuse(&ctx, &e),
        }
    }
    let new = fields.id.is_empty();
    let title = if new {
        t("new_kindergarten", lang).to_owned()
    } else {
        format!("{} {}", t("edit", lang), fields.id)
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, &title, form(lang, &d, &s.csrf, &fields, new)),
    )
}

/// The groups of `f`, or the row and rule a typed value breaks.
fn groups(f: &Fields, lang: Lang) -> Result<Vec<GroupForm>, String> {
    let mut out = Vec::new();
    for (i, (g, age, l, cap)) in f.groups.iter().enumerate() {
        if g.trim().is_empty() {
            continue;
        }
        let row = i + 1;
        let bad = |what: &str| format!("{} {row}: {what}", t("group", lang));
        out.push(GroupForm {
            group_id: GroupId::parse(g.trim()).map_err(|e| bad(&e.to_string()))?,
            age_years: age.trim().parse().map_err(|_| bad(t("age", lang)))?,
            language: Language::parse(l).ok_or_else(|| bad(t("language", lang)))?,
            capacity: cap.trim().parse().map_err(|_| bad(t("capacity", lang)))?,
        });
    }
    Ok(out)
}

/// `POST /console/districts/{district}/kindergartens`.
pub async fn save(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(d): Path<String>,
    Form(posted): Form<HashMap<String, String>>,
) -> Response {
    let lang = ctx.lang;
    let csrf = posted.get("csrf").map_or("", String::as_str);
    let auth = match crate::pages::posted::<Staff>(&console, &ctx, csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let typed = Fields::from_posted(&posted);
    let new = posted.contains_key("new_form");
    let title = if new {
        t("new_kindergarten", lang).to_owned()
    } else {
        format!("{} {}", t("edit", lang), typed.id)
    };
    let again = |status: StatusCode, problem: &str| {
        let body = markup! { (notice(false, problem)) (form(lang, &d, &s.csrf, &typed, new)) };
        html(&ctx, status, page(&ctx, &title, body))
    };
    let groups = match groups(&typed, lang) {
        Ok(g) => g,
        Err(problem) => return again(StatusCode::UNPROCESSABLE_ENTITY, &problem),
    };
    let Ok(district) = DistrictId::parse(&d) else {
        return again(StatusCode::NOT_FOUND, t("page_not_found", lang));
    };
    let optional = |v: &str| Some(v.trim().to_owned()).filter(|x| !x.is_empty());
    let body = KindergartenForm {
        name: typed.name.clone(),
        district,
        groups,
        name_ru: optional(&typed.name_ru),
        address: optional(&typed.address),
        address_ru: optional(&typed.address_ru),
        phone: optional(&typed.phone),
    };
    match console
        .app
        .upsert_kindergarten(&auth, None, typed.id.trim(), body)
        .await
    {
        Ok(written) if (200..300).contains(&written.status) => see_other(
            &ctx,
            &format!("/console/places/{}?done=saved", typed.id.trim()),
        ),
        Ok(written) => {
            let v: serde_json::Value = serde_json::from_slice(&written.body).unwrap_or_default();
            let text = v
                .get("detail")
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned();
            again(StatusCode::CONFLICT, &text)
        }
        Err(e) => {
            let (status, text) = refusal_text(&ctx, &e);
            again(status, &text)
        }
    }
}
