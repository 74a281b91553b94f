//! Signing in and out, and the first page after: a key's own place (its district's
//! dashboard, its kindergarten), or the districts it may open.

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::{html, see_other, Console};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, Lookup};
use kezek_app::Role;
use kezek_print::words::t;
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// `GET /`: where everyone starts — families to their application, staff to the console.
pub async fn landing(ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let body = markup! {
        p { (t("landing_intro", lang)) }
        div class="cards" {
            article class="card" {
                h2 { (t("parents_title", lang)) }
                p { (t("landing_family", lang)) }
                p { a class="button" href="/status" { (t("parents_title", lang)) } }
            }
            article class="card" {
                h2 { (t("console", lang)) }
                p { (t("landing_staff", lang)) }
                p { a class="button secondary" href="/console" { (t("sign_in", lang)) } }
            }
        }
    };
    html(&ctx, StatusCode::OK, page(&ctx, t("service", lang), body))
}

/// `GET /console`.
pub async fn home(State(console): State<Arc<Console>>, ctx: Ctx, s: Signed) -> Response {
    let first = s.caller.scope.first();
    match (s.caller.role, first) {
        (Role::Staff, Some(d)) => return see_other(&ctx, &format!("/console/districts/{d}")),
        // A counter's clerk looks families up in its district's queue.
        (Role::Clerk, Some(d)) => return see_other(&ctx, &format!("/console/districts/{d}/queue")),
        (Role::Kindergarten, Some(k)) => {
            return see_other(&ctx, &format!("/console/kindergartens/{k}"))
        }
        _ => {}
    }
    let lang = ctx.lang;
    let may_open = matches!(s.caller.role, Role::Auditor | Role::Admin);
    let districts: Vec<String> = match Auth::<Lookup>::check(s.caller.clone()) {
        Ok(auth) if may_open => console
            .app
            .reads(|r| {
                r.districts(&auth)
                    .districts
                    .into_iter()
                    .map(|d| d.district_id)
                    .collect()
            })
            .await
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let body = markup! {
        @if may_open {
            h2 { (t("dashboard", lang)) }
            ul {
                @for d in &districts {
                    li { a href=(format!("/console/districts/{d}")) { (t("district", lang)) " " (d) } }
                }
            }
        } @else {
            p { (t("page_forbidden", lang)) }
        }
    };
    html(&ctx, StatusCode::OK, page(&ctx, t("console", lang), body))
}

fn sign_in_page(ctx: &Ctx, csrf: &str, problem: Option<&str>) -> maud::Markup {
    let lang = ctx.lang;
    page(
        ctx,
        t("sign_in", lang),
        markup! {
            @if let Some(p) = problem { (notice(false, p)) }
            form method="post" action="/console/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { (t("token", lang)) }
                p class="hint" id="token-hint" { (t("token_help", lang)) }
                input type="password" id="token" name="token" required autocomplete="off"
                    aria-describedby="token-hint" autofocus;
                p { button type="submit" { (t("sign_in", lang)) } }
            }
        },
    )
}

/// The sign-in page with `status` and `problem`: the form's CSRF token from the reader's
/// sign-in cookie, or a new cookie when it has none.
fn sign_in_answer(
    console: &Console,
    ctx: &Ctx,
    status: StatusCode,
    problem: Option<&str>,
) -> Response {
    let (value, new) = match ctx.sign_in.as_deref().filter(|v| is_sign_in_value(v)) {
        Some(v) => (v.to_owned(), false),
        None => match kezek_app::ops::sessions::fresh_id() {
            Ok(v) => (v, true),
            Err(e) => return super::refuse(ctx, &e),
        },
    };
    let csrf = console.sessions.sign_in_csrf(&value);
    let mut res = html(ctx, status, sign_in_page(ctx, &csrf, problem));
    if new {
        if let Ok(v) = HeaderValue::from_str(&console.sessions.sign_in_cookie(&value)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Whether a sign-in cookie's value is one this console gives (64 hex digits).
fn is_sign_in_value(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /console/sign-in`.
pub async fn sign_in_form(State(console): State<Arc<Console>>, ctx: Ctx) -> Response {
    sign_in_answer(&console, &ctx, StatusCode::OK, None)
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    token: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-in`: the form must carry the token of the reader's own sign-in
/// cookie (a page elsewhere cannot sign a reader in with a key of its choosing); the key is
/// checked as the API checks it, and a session is opened in the store (a session the reader
/// had is ended).
pub async fn sign_in(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Form(form): Form<SignIn>,
) -> Response {
    let genuine = ctx
        .sign_in
        .as_deref()
        .is_some_and(|v| console.sessions.sign_in_csrf_ok(v, &form.csrf));
    if !genuine {
        let text = t("csrf", ctx.lang);
        return sign_in_answer(&console, &ctx, StatusCode::FORBIDDEN, Some(text));
    }
    let token = form.token.trim();
    if console.app.caller(token).await.is_none() {
        let bad = t("bad_token", ctx.lang);
        return sign_in_answer(&console, &ctx, StatusCode::UNAUTHORIZED, Some(bad));
    }
    if let Some(s) = &ctx.signed {
        if let Err(e) = console.sessions.end(&console.app, &s.session).await {
            return super::refuse(&ctx, &e);
        }
    }
    let value = match console
        .sessions
        .issue(&console.app, kezek_app::keys::token_hash(token))
        .await
    {
        Ok(value) => value,
        Err(e) => return super::refuse(&ctx, &e),
    };
    let mut res = see_other(&ctx, "/console");
    if let Ok(v) = HeaderValue::from_str(&console.sessions.set_cookie(&value)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-out`.
pub async fn sign_out(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Form(form): Form<SignOut>,
) -> Response {
    if let Some(s) = &ctx.signed {
        if !console.sessions.csrf_ok(&s.session, &form.csrf) {
            let text = t("csrf", ctx.lang);
            return html(
                &ctx,
                StatusCode::FORBIDDEN,
                page(&ctx, text, notice(false, text)),
            );
        }
        // Ended in the store: the cookie is worth nothing from now on, on every node.
        if let Err(e) = console.sessions.end(&console.app, &s.session).await {
            return super::refuse(&ctx, &e);
        }
    }
    let mut res = see_other(&ctx, "/console/sign-in");
    if let Ok(v) = HeaderValue::from_str(&console.sessions.clear_cookie()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
