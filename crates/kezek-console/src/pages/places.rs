//! A kindergarten as its district's staff see it: its groups' seats, and a form per group
//! to open places that came free (the API's vacancies, with its rules).

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::{posted, refuse, written};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, KeyHolders, Staff};
use kezek_app::AppError;
use kezek_print::words::years;
use kezek_print::words::{code, t};
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// `GET /console/places/{kindergarten}`.
pub async fn show(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(k): Path<String>,
    Query(q): Query<crate::pages::Done>,
) -> Response {
    let auth = Auth::<Staff>::check(s.caller.clone())
        .and_then(|_| Auth::<KeyHolders>::check(s.caller.clone()));
    let auth = match auth {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let read = console
        .app
        .reads(|r| -> Result<_, AppError> {
            let kg = r.kindergarten(&auth, &k)?;
            let name = kezek_print::words::name_in(lang, kg.name, kg.name_ru).to_owned();
            Ok((serde_json::to_value(&kg).unwrap_or_default(), name))
        })
        .await
        .and_then(|r| r);
    let (kg_value, name) = match read {
        Ok(x) => x,
        Err(e) => return refuse(&ctx, &e),
    };
    let kg = &kg_value;
    let groups = kg["groups"].as_array().cloned().unwrap_or_default();
    let body = markup! {
        @if q.done.is_some() { (notice(true, t("done", lang))) }
        p class="muted" { (t("district", lang)) " " (kg["district"].as_str().unwrap_or_default())
            @if let Some(a) = kg["address"].as_str() { " · " (a) } }
        p { a href=(format!("/console/districts/{}/kindergartens?id={k}", kg["district"].as_str().unwrap_or_default())) { (t("edit", lang)) } }
        p class="hint" { (t("open_seats_hint", lang)) }
        div class="cards" data-testid="groups" {
            @for g in &groups {
                @let gid = g["group_id"].as_str().unwrap_or_default();
                @let enrolled = g["enrolled"].as_u64().unwrap_or(0);
                @let named = g["named"].as_u64().unwrap_or(0);
                @let unnamed = enrolled.saturating_sub(named);
                article class="card" data-group=(gid) {
                    h3 { (years(g["age_years"].as_i64().unwrap_or(0), lang)) " · " (code(g["language"].as_str().unwrap_or_default(), lang)) }
                    dl {
                        dt { (t("capacity", lang)) } dd { (g["capacity"]) }
                        dt { (t("enrolled_seats", lang)) } dd { (enrolled) }
                        dt { (t("reserved", lang)) } dd { (g["reserved"]) }
                        dt { (t("free", lang)) } dd data-testid="free" { strong { (g["free"]) } }
                    }
                    @if named > 0 {
                        p class="hint" { (t("named_children_leave_by_name", lang)) }
                    }
                    @if unnamed > 0 {
                        form method="post" action=(format!("/console/places/{k}/groups/{gid}/vacancies")) class="actions" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            div {
                                label for=(format!("seats-{gid}")) { (t("children_left", lang)) " (" (t("at_most", lang)) " " (unnamed) ")" }
                                input type="number" id=(format!("seats-{gid}")) name="seats" min="1" max=(unnamed) value="1" required class="seats";
                            }
                            button type="submit" class="secondary" { (t("open_seats", lang)) }
                        }
                    } @else if named == 0 {
                        p class="hint" {
                            (t("none_enrolled_raise_capacity", lang)) " "
                            a href=(format!("/console/districts/{}/kindergartens?id={k}", kg["district"].as_str().unwrap_or_default())) { (t("edit", lang)) }
                        }
                    }
                }
            }
        }
    };
    html(
        &ctx,
        StatusCode::OK,
        page(&ctx, &format!("{name} ({k})"), body),
    )
}

/// The vacancies form.
#[derive(Deserialize)]
pub struct Seats {
    #[serde(default)]
    csrf: String,
    seats: u32,
}

/// `POST /console/places/{kindergarten}/groups/{group}/vacancies`.
pub async fn open(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path((k, group)): Path<(String, String)>,
    Form(form): Form<Seats>,
) -> Response {
    let auth = match posted::<Staff>(&console, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let seats = kezek_app::forms::VacanciesForm { seats: form.seats };
    let result = console
        .app
        .open_vacancies(&auth, None, (&k, &group), seats)
        .await;
    written(&ctx, result, |_| {
        see_other(&ctx, &format!("/console/places/{k}?done=vacancies"))
    })
}
