//! The administrator's officials: who acts for each department and kindergarten, a form to
//! name one, and — asked again — the record that one left. Auditors read the list.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::pages::{ask_first, posted, refuse};
use crate::{html, see_other, Console};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Admins, Auth, OfficialReaders};
use kezek_app::ops::officials::NewOfficial;
use kezek_app::Role;
use kezek_print::words::{t, Lang};
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// `GET /console/officials`.
pub async fn list(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Query(q): Query<crate::pages::Done>,
) -> Response {
    let auth = match Auth::<OfficialReaders>::check(s.caller.clone()) {
        Ok(a) => a,
        Err(e) => return refuse(&ctx, &e),
    };
    let officials = match console.app.officials(&auth) {
        Ok(o) => o,
        Err(e) => return refuse(&ctx, &e),
    };
    let lang = ctx.lang;
    let offset = console.app.local_offset();
    let problems = console.app.signing_problems();
    let admin = s.caller.role == Role::Admin;
    let body = markup! {
        @if q.done.is_some() { (notice(true, t("done", lang))) }
        @if officials.is_empty() {
            p { (t("no_officials", lang)) }
        } @else {
            div class="cards" data-testid="officials" {
                @for o in &officials {
                    article class="card" data-official=(o.official_id) {
                        h3 { (o.name) }
                        dl {
                            dt { (t("position", lang)) }
                            dd { (if lang == Lang::Ru { &o.position_ru } else { &o.position_kk }) }
                            dt { (t("organisation", lang)) } dd { (o.organisation) }
                            dt { (t("official_id", lang)) } dd { (o.official_id) }
                            dt { (t("signs_results", lang)) }
                            dd { (t(if o.signs { "signs_yes" } else { "signs_no" }, lang)) }
                            @if let Some(left) = &o.left_at {
                                dt { (t("left_on", lang)) } dd { (kezek_print::words::local_time(left.parse().unwrap_or_default(), offset)) }
                            }
                            dt { (t("keys", lang)) }
                            dd { @if o.keys.is_empty() { "—" } @else { (o.keys.join(", ")) } }
                            @if let Some(c) = &o.certificate {
                                dt { (t("certificate", lang)) }
                                dd { (c.subject) br; "№ " (c.serial) " · " (t("valid_until", lang)) " " (kezek_print::words::local_time(c.not_after.parse().unwrap_or_default(), offset)) }
                            }
                        }
                        @if let Some(p) = problems.get(&o.official_id) {
                            div class="notice problem" role="alert" data-testid="signing-problem" {
                                (t("certificate_not_used", lang)) ": " (p.why)
                            }
                        }
                        @if admin && o.left_at.is_none() {
                            form method="post" action=(format!("/console/officials/{}/leave", o.official_id)) class="actions" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" class="secondary" { (t("official_leaves", lang)) }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            h2 { (t("name_official", lang)) }
            form method="post" action="/console/officials" data-testid="name-official" {
                input type="hidden" name="csrf" value=(s.csrf);
                @for (field, kind) in [("official_id", "text"), ("name", "text"), ("iin", "text"),
                                       ("position_kk", "text"), ("position_ru", "text"), ("organisation", "text")] {
                    div {
                        label for=(field) { (t(field, lang)) }
                        @if field == "organisation" { p class="hint" { (t("organisation_hint", lang)) } }
                        input type=(kind) id=(field) name=(field) required[field != "position_ru"] autocomplete="off";
                    }
                }
                div {
                    label { input type="checkbox" name="signs" value="yes"; " " (t("signs_results", lang)) }
                }
                button type="submit" { (t("name_official", lang)) }
            }
        }
    };
    html(&ctx, StatusCode::OK, page(&ctx, t("officials", lang), body))
}

/// The form naming an official.
#[derive(Debug, Deserialize)]
pub struct Named {
    csrf: String,
    official_id: String,
    name: String,
    iin: String,
    position_kk: String,
    #[serde(default)]
    position_ru: String,
    organisation: String,
    #[serde(default)]
    signs: Option<String>,
}

/// `POST /console/officials`.
pub async fn name(State(console): State<Arc<Console>>, ctx: Ctx, Form(f): Form<Named>) -> Response {
    let auth = match posted::<Admins>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let new = NewOfficial {
        name: f.name,
        iin: f.iin,
        position_kk: f.position_kk,
        position_ru: Some(f.position_ru),
        organisation: f.organisation,
        signs: f.signs.is_some(),
    };
    match console.app.name_official(&auth, &f.official_id, new).await {
        Ok(_) => see_other(&ctx, "/console/officials?done=1"),
        Err(e) => refuse(&ctx, &e),
    }
}

/// The form recording that an official left.
#[derive(Debug, Deserialize)]
pub struct Leaves {
    csrf: String,
    #[serde(default)]
    sure: String,
}

/// `POST /console/officials/{id}/leave`: asked again, then recorded.
pub async fn leave(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Leaves>,
) -> Response {
    let auth = match posted::<Admins>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let lang = ctx.lang;
    let action = format!("/console/officials/{id}/leave");
    if let Some(page) = ask_first(
        &ctx,
        &f.sure,
        (&action, "/console/officials"),
        (
            t("sure_official_leaves", lang),
            t("yes_official_leaves", lang),
        ),
        &[("csrf", &f.csrf)],
    ) {
        return page;
    }
    match console.app.official_leaves(&auth, &id).await {
        Ok(_) => see_other(&ctx, "/console/officials?done=1"),
        Err(e) => refuse(&ctx, &e),
    }
}
