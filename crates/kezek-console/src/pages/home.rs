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

fn sign_in_page(ctx: &Ctx, problem: Option<&str>) -> maud::Markup {
    let lang = ctx.lang;
    page(
        ctx,
        t("sign_in", lang),
        markup! {
            @if let Some(p) = problem { (notice(false, p)) }
            form method="post" action="/console/sign-in" {
                label for="token" { (t("token", lang)) }
                p class="hint" id="token-hint" { (t("token_help", lang)) }
                input type="password" id="token" name="token" required autocomplete="off"
                    aria-describedby="token-hint" autofocus;
                p { button type="submit" { (t("sign_in", lang)) } }
            }
        },
    )
}

/// `GET /console/sign-in`.
pub async fn sign_in_form(ctx: Ctx) -> Response {
    html(&ctx, StatusCode::OK, sign_in_page(&ctx, None))
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

/// `POST /console/sign-in`: the token is checked as the API checks it, and only its hash is
/// kept, in the signed session cookie.
pub async fn sign_in(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Form(form): Form<SignIn>,
) -> Response {
    let token = form.token.trim();
    if console.app.caller(token).await.is_none() {
        let bad = t("bad_token", ctx.lang);
        return html(
            &ctx,
            StatusCode::UNAUTHORIZED,
            sign_in_page(&ctx, Some(bad)),
        );
    }
    let value = console
        .sessions
        .issue(&kezek_app::keys::token_hash(token), console.app.now());
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
    }
    let mut res = see_other(&ctx, "/console/sign-in");
    if let Ok(v) = HeaderValue::from_str(&console.sessions.clear_cookie()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
