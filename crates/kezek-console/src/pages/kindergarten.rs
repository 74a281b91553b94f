//! A kindergarten's page (its key): the referrals to admit, with the child's name, age, group
//! and deadline, and what the kindergarten decides — admitted, not admitted (with grounds), or
//! did not come; and its groups' occupancy. The decisions go through the same operations as
//! the API's, so its rules and refusals are the same, shown in words.

use crate::context::{Ctx, Signed};
use crate::layout::notice;
use crate::pages::{back_to, posted, refuse, written};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use jiff::tz::Offset;
use kezek_app::access::{Auth, KeyHolders, Kindergartens};
use kezek_app::AppError;
use kezek_print::words::local_time;
use kezek_print::words::years;
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

fn referral_row(lang: Lang, s: &Signed, k: &str, r: &Value, offset: Offset) -> Markup {
    let id = r["referral_id"].as_str().unwrap_or_default();
    let deadline = r["expires_at"]
        .as_str()
        .and_then(|x| x.parse().ok())
        .map_or_else(String::new, |at| local_time(at, offset));
    let status = r["status"].as_str().unwrap_or_default();
    let form = |action: &str, label: &str, class: &str, grounds: bool| {
        markup! {
            form method="post" action=(format!("/console/referrals/{id}/{action}")) {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="kindergarten" value=(k);
                @if grounds {
                    label for=(format!("grounds-{id}")) { (t("reason", lang)) }
                    input type="text" id=(format!("grounds-{id}")) name="grounds" required;
                }
                button type="submit" class=(class) { (label) }
            }
        }
    };
    markup! {
        tr data-referral=(id) {
            td { strong { (r["child_name"].as_str().filter(|n| !n.is_empty()).unwrap_or("—")) } br; span class="muted" { (r["application_id"].as_str().unwrap_or_default()) } }
            td class="num" { (years(r["age_years"].as_i64().unwrap_or(0), lang)) }
            td { (r["group_id"].as_str().unwrap_or_default()) }
            td { (code(status, lang)) }
            td { (deadline) }
            td { div class="actions" {
                (form("enroll", t("admit", lang), "", false))
                (form("no-show", t("mark_no_show", lang), "secondary", false))
                (form("not-admitted", t("not_admit", lang), "danger", true))
            } }
        }
    }
}

fn body(
    lang: Lang,
    s: &Signed,
    k: &str,
    referrals: &Value,
    groups: &Value,
    offset: Offset,
) -> Markup {
    let list = referrals["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    markup! {
        h2 { (t("to_admit", lang)) }
        @if list.is_empty() {
            p { (t("no_referrals", lang)) }
        } @else {
            div class="table-wrap" {
                table data-testid="referrals" {
                    thead { tr {
                        th scope="col" { (t("child", lang)) } th scope="col" class="num" { (t("age", lang)) }
                        th scope="col" { (t("group", lang)) } th scope="col" { (t("status", lang)) }
                        th scope="col" { (t("deadline", lang)) } th scope="col" { "" }
                    } }
                    tbody { @for r in &list { (referral_row(lang, s, k, r, offset)) } }
                }
            }
        }
        h2 { (t("occupancy", lang)) }
        div class="table-wrap" {
            table data-testid="groups" {
                thead { tr {
                    th scope="col" { (t("group", lang)) } th scope="col" class="num" { (t("age", lang)) }
                    th scope="col" { (t("language", lang)) } th scope="col" class="num" { (t("capacity", lang)) }
                    th scope="col" class="num" { (t("enrolled_seats", lang)) } th scope="col" class="num" { (t("reserved", lang)) }
                    th scope="col" class="num" { (t("free", lang)) }
                } }
                tbody {
                    @for g in groups["groups"].as_array().into_iter().flatten() {
                        tr { th scope="row" { (g["group_id"].as_str().unwrap_or_default()) }
                             td class="num" { (g["age_years"]) } td { (code(g["language"].as_str().unwrap_or_default(), lang)) }
                             td class="num" { (g["capacity"]) } td class="num" { (g["enrolled"]) }
                             td class="num" { (g["reserved"]) } td class="num" { (g["free"]) } }
                    }
                }
            }
        }
    }
}

/// `GET /console/kindergartens/{kindergarten}`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(k): Path<String>,
    Query(q): Query<crate::pages::Done>,
) -> Response {
    let ctx_lang = ctx.lang;
    let auths = Auth::<Kindergartens>::check(s.caller.clone())
        .and_then(|own| Ok((own, Auth::<KeyHolders>::check(s.caller.clone())?)));
    let (own, holder) = match auths {
        Ok(x) => x,
        Err(e) => return refuse(&ctx, &e),
    };
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            let list = r.of_kindergarten(&own, &k, None)?;
            let kg = r.kindergarten(&holder, &k)?;
            let name = kezek_print::words::name_in(ctx_lang, kg.name, kg.name_ru).to_owned();
            Ok((
                serde_json::to_value(&list).unwrap_or_default(),
                serde_json::to_value(&kg).unwrap_or_default(),
                name,
                r.local_offset(),
            ))
        })
        .await
        .and_then(|r| r);
    match read {
        Ok((list, groups, name, offset)) => {
            let lang = ctx.lang;
            let done = q.done.as_deref().map(|_| notice(true, t("done", lang)));
            let content =
                markup! { (done.unwrap_or_default()) (body(lang, &s, &k, &list, &groups, offset)) };
            html(
                &ctx,
                StatusCode::OK,
                crate::layout::page(&ctx, &format!("{name} ({k})"), content),
            )
        }
        Err(e) => refuse(&ctx, &e),
    }
}

/// A decision's form.
#[derive(Deserialize)]
pub struct Decision {
    #[serde(default)]
    csrf: String,
    kindergarten: String,
    #[serde(default)]
    grounds: Option<String>,
}

/// `POST /console/referrals/{referral}/{action}`: enroll, no-show or not-admitted.
pub async fn act(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((referral, action)): Path<(String, String)>,
    Form(form): Form<Decision>,
) -> Response {
    let auth = match posted::<Kindergartens>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let kindergarten = match back_to(&ctx, &form.kindergarten) {
        Ok(k) => k,
        Err(page) => return *page,
    };
    let app = &console.app;
    let result = match action.as_str() {
        "enroll" => app.enroll(&auth, None, &referral).await,
        "no-show" => app.no_show(&auth, None, &referral).await,
        "not-admitted" => {
            let grounds = form.grounds.unwrap_or_default();
            let form = kezek_app::forms::NotAdmittedForm { grounds };
            app.not_admit(&auth, None, &referral, form).await
        }
        _ => Err(AppError::not_found("action", &action)),
    };
    let to = format!("/console/kindergartens/{kindergarten}?done={action}");
    written(&ctx, result, |_| see_other(&ctx, &to))
}
