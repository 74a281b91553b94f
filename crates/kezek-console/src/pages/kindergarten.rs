//! A kindergarten's page (its key): the referrals to admit, with the child's name, age, group
//! and deadline, and what the kindergarten decides — admitted, not admitted (with grounds), or
//! did not come; and its groups' occupancy. The decisions go through the same operations as
//! the API's, so its rules and refusals are the same, shown in words. Its children, group by
//! group, each with the form that records its leaving, and the groups' roll-over into a new
//! academic year (`pages::leaving`).

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
use kezek_print::words;
use kezek_print::words::years;
use kezek_print::words::Lang;
use kezek_print::words::{code, t};
use maud::{html as markup, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// A group as people name it: `3 жас · қазақ тілі`.
fn group_label(lang: Lang, groups: &Value, id: &str) -> String {
    groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["group_id"].as_str() == Some(id))
        .map_or_else(
            || id.to_owned(),
            |g| {
                format!(
                    "{} · {}",
                    years(g["age_years"].as_i64().unwrap_or(0), lang),
                    code(g["language"].as_str().unwrap_or_default(), lang)
                )
            },
        )
}

/// One referral to decide on, as a card: the child, the group, where it stands and by when,
/// and only what the kindergarten may do with it now.
fn referral_card(
    lang: Lang,
    s: &Signed,
    k: &str,
    r: &Value,
    groups: &Value,
    offset: Offset,
) -> Markup {
    let id = r["referral_id"].as_str().unwrap_or_default();
    let status = r["status"].as_str().unwrap_or_default();
    let deadline = r["expires_at"]
        .as_str()
        .and_then(|x| x.parse().ok())
        .map(|at| words::deadline(at, offset, lang));
    let actions: Vec<&str> = r["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
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
        article class="card referral" data-referral=(id) {
            h3 { (r["child_name"].as_str().filter(|n| !n.is_empty()).unwrap_or("—")) }
            dl {
                dt { (t("application_id", lang)) } dd { (r["application_id"].as_str().unwrap_or_default()) }
                dt { (t("group", lang)) } dd { (group_label(lang, groups, r["group_id"].as_str().unwrap_or_default())) }
                dt { (t("status", lang)) } dd { (code(status, lang)) }
                @if let Some(d) = &deadline {
                    dt { (t(if status == "issued" { "awaiting_family" } else { "family_comes_by" }, lang)) }
                    dd { (d) }
                }
            }
            @if status == "confirmed" && !actions.contains(&"no_show") {
                p class="hint" { (t("no_show_after", lang)) }
            }
            @if !actions.is_empty() {
                div class="actions" {
                    @if actions.contains(&"enroll") { (form("enroll", t("admit", lang), "", false)) }
                    @if actions.contains(&"no_show") { (form("no-show", t("mark_no_show", lang), "secondary", false)) }
                    @if actions.contains(&"not_admitted") { (form("not-admitted", t("not_admit", lang), "danger", true)) }
                }
            }
        }
    }
}

fn body(
    lang: Lang,
    s: &Signed,
    k: &str,
    (referrals, enrolled): (&Value, &Value),
    groups: &Value,
    (offset, today, year): (Offset, jiff::civil::Date, i16),
) -> Markup {
    let list = referrals["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let enrolled = enrolled["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    markup! {
        h2 { (t("to_admit", lang)) }
        @if list.is_empty() {
            p { (t("no_referrals", lang)) }
        } @else {
            div class="cards" data-testid="referrals" {
                @for r in &list { (referral_card(lang, s, k, r, groups, offset)) }
            }
        }
        h2 { (t("enrolled_children", lang)) }
        @if enrolled.is_empty() {
            p { (t("no_enrolled", lang)) }
        } @else {
            @for g in groups["groups"].as_array().into_iter().flatten() {
                @let gid = g["group_id"].as_str().unwrap_or_default();
                @let children: Vec<&Value> = enrolled.iter().filter(|r| r["group_id"].as_str() == Some(gid)).collect();
                @if !children.is_empty() {
                    h3 { (group_label(lang, groups, gid)) }
                    ul data-testid="enrolled" data-group=(gid) {
                        @for c in &children {
                            li { (super::leaving::child(lang, s, k, c, today)) }
                        }
                    }
                }
            }
        }
        h2 { (t("occupancy", lang)) }
        div class="cards" data-testid="groups" {
            @for g in groups["groups"].as_array().into_iter().flatten() {
                article class="card" {
                    h3 { (group_label(lang, groups, g["group_id"].as_str().unwrap_or_default())) }
                    dl {
                        dt { (t("capacity", lang)) } dd { (g["capacity"]) }
                        dt { (t("enrolled_seats", lang)) } dd { (g["enrolled"]) }
                        dt { (t("reserved", lang)) } dd { (g["reserved"]) }
                        dt { (t("free", lang)) } dd { (g["free"]) }
                    }
                }
            }
        }
        (super::leaving::roll_over_section(lang, s, k, groups, year))
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
            let enrolled = r.of_kindergarten(&own, &k, Some("enrolled"))?;
            let kg = r.kindergarten(&holder, &k)?;
            let name = kezek_print::words::name_in(ctx_lang, kg.name, kg.name_ru).to_owned();
            Ok((
                (
                    serde_json::to_value(&list).unwrap_or_default(),
                    serde_json::to_value(&enrolled).unwrap_or_default(),
                ),
                serde_json::to_value(&kg).unwrap_or_default(),
                name,
                (r.local_offset(), r.today(), r.academic_year()),
            ))
        })
        .await
        .and_then(|r| r);
    match read {
        Ok(((list, enrolled), groups, name, when)) => {
            let lang = ctx.lang;
            let done = q.done.as_deref().map(|_| notice(true, t("done", lang)));
            let content = markup! { (done.unwrap_or_default()) (body(lang, &s, &k, (&list, &enrolled), &groups, when)) };
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
    #[serde(default)]
    sure: String,
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
    let question = match action.as_str() {
        "no-show" => Some(("sure_no_show", "yes_no_show")),
        "not-admitted" => Some(("sure_not_admit", "yes_not_admit")),
        _ => None,
    };
    if let Some((question, yes)) = question {
        let lang = ctx.lang;
        let grounds = form.grounds.clone().unwrap_or_default();
        let fields = [
            ("csrf", form.csrf.as_str()),
            ("kindergarten", kindergarten.as_str()),
            ("grounds", grounds.as_str()),
        ];
        if let Some(page) = super::ask_first(
            &ctx,
            &form.sure,
            (
                &format!("/console/referrals/{referral}/{action}"),
                &format!("/console/kindergartens/{kindergarten}"),
            ),
            (t(question, lang), t(yes, lang)),
            &fields,
        ) {
            return page;
        }
    }
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
