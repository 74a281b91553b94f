//! One module per screen; `refuse` turns what the application refused into a page.

pub mod act;
pub mod allocation;
pub mod audit;
pub mod casefile;
pub mod cases;
pub mod centre;
pub mod complaints;
pub mod correction;
pub mod dashboard;
pub mod edit;
pub mod file;
pub mod forecast;
pub mod home;
pub mod kindergarten;
pub mod leaving;
pub mod officials;
pub mod places;
pub mod proof;
pub mod queue;
pub mod register;
pub mod status;
pub mod transfer;
pub mod worklists;

use crate::context::Ctx;
use crate::layout::{notice, page};
use crate::{html, see_other};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::{AppError, Unavailable};
use kezek_core::Refusal;
use kezek_print::words::t;

/// `?done=` on the page a successful form post leads back to.
#[derive(serde::Deserialize)]
pub struct Done {
    pub(crate) done: Option<String>,
}

/// The words for what the application refused, and the status to answer with (the API's:
/// [`AppError::status`]).
pub(crate) fn refusal_text(ctx: &Ctx, e: &AppError) -> (StatusCode, String) {
    let lang = ctx.lang;
    let words = |code: &str, fallback: String| {
        kezek_print::words::problem(code, lang)
            .or_else(|| kezek_print::words::field(code, lang))
            .map_or(fallback, str::to_owned)
    };
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = match e {
        AppError::Forbidden(_) => t("page_forbidden", lang).to_owned(),
        AppError::NotFound { .. } | AppError::Refused(Refusal::NotFound { .. }) => {
            t("page_not_found", lang).to_owned()
        }
        AppError::Refused(Refusal::Conflict { code, message }) => words(code, message.clone()),
        AppError::Refused(Refusal::Invalid(v)) => v
            .iter()
            .map(|x| {
                format!(
                    "{}: {}",
                    field_label(&x.field, lang),
                    words(x.code, x.message.clone())
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Invalid { errors, detail } => errors
            .iter()
            .map(|x| {
                format!(
                    "{}: {}",
                    field_label(&x.field, lang),
                    words(x.code, x.message.clone())
                )
            })
            .next()
            .unwrap_or_else(|| detail.clone()),
        AppError::Refused(Refusal::ActiveApplicationExists { .. }) => {
            words("active_application_exists", e.to_string())
        }
        AppError::KeyReused => words("idempotency_key_reused", e.to_string()),
        AppError::Erased { .. } => words("erased", e.to_string()),
        AppError::Citizen { code, detail, .. } => words(code, detail.clone()),
        AppError::Unavailable(u) => {
            if let Unavailable::Store(cause) = u {
                tracing::error!(error = %cause, "a console page could not be read");
            }
            words("unavailable", String::new())
        }
    };
    (status, text)
}

/// A page saying what was refused.
pub(crate) fn refuse(ctx: &Ctx, e: &AppError) -> Response {
    let (status, text) = refusal_text(ctx, e);
    error_page(ctx, status, &text)
}

/// A page saying what went wrong (`text`), what to do about it (by its status), and the way
/// back: the reader's own first page.
pub(crate) fn error_page(ctx: &Ctx, status: StatusCode, text: &str) -> Response {
    let lang = ctx.lang;
    let todo = match status.as_u16() {
        401 | 403 => "todo_forbidden",
        404 => "todo_not_found",
        409 => "todo_conflict",
        422 | 400 => "todo_invalid",
        429 => "todo_later",
        _ => "todo_unavailable",
    };
    let back = if ctx.signed.is_some() {
        "/console"
    } else {
        "/status"
    };
    let body = maud::html! {
        (notice(false, text))
        p { (t(todo, lang)) }
        p { a class="button secondary" href=(back) { (t("go_back", lang)) } }
    };
    html(ctx, status, page(ctx, text, body))
}

/// A field of a request (`child.iin`, `preferences[1]`) as a form labels it.
pub(crate) fn field_label(field: &str, lang: kezek_print::words::Lang) -> String {
    let base = field.split('[').next().unwrap_or(field).replace('.', "_");
    kezek_print::words::text(&base, lang).map_or_else(|| field.to_owned(), str::to_owned)
}

/// The caller of a form post, as `R` (one of its roles), when signed in and the form's CSRF
/// token is its session's; otherwise the page that says why (sign in, stale form, no right).
pub(crate) fn posted<R: kezek_app::access::Roles>(
    console: &crate::Console,
    ctx: &Ctx,
    csrf: &str,
) -> Result<kezek_app::access::Auth<R>, Box<Response>> {
    let Some(s) = &ctx.signed else {
        return Err(Box::new(see_other(ctx, "/console/sign-in")));
    };
    if !console.sessions.csrf_ok(&s.session, csrf) {
        let text = t("csrf", ctx.lang);
        let page = page(ctx, text, notice(false, text));
        return Err(Box::new(html(ctx, StatusCode::FORBIDDEN, page)));
    }
    kezek_app::access::Auth::<R>::check(s.caller.clone()).map_err(|e| Box::new(refuse(ctx, &e)))
}

/// The step before an act that cannot be undone: unless the form already says `sure=yes`,
/// a page that says what the act does (`question`) and asks again, with the same form
/// (`fields`, its CSRF token among them) posted to `action` plus `sure=yes`, and a way back
/// (`back`). `None`: the reader is sure; go on.
pub(crate) fn ask_first(
    ctx: &Ctx,
    sure: &str,
    (action, back): (&str, &str),
    (question, yes): (&str, &str),
    fields: &[(&str, &str)],
) -> Option<Response> {
    if sure == "yes" {
        return None;
    }
    let lang = ctx.lang;
    let body = maud::html! {
        p class="question" { strong { (question) } }
        form method="post" action=(action) {
            @for (name, value) in fields {
                input type="hidden" name=(name) value=(value);
            }
            input type="hidden" name="sure" value="yes";
            p class="actions" {
                button type="submit" class="danger" { (yes) }
                " "
                a class="button secondary" href=(back) { (t("act_back", lang)) }
            }
        }
    };
    Some(html(
        ctx,
        StatusCode::OK,
        page(ctx, t("are_you_sure", lang), body),
    ))
}

/// The value of field `key` of a form read as pairs (`Form<Vec<(String, String)>>`, which
/// keeps repeated fields), empty when absent.
pub(crate) fn field(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every non-empty value of repeated field `key`, in order.
pub(crate) fn repeated(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(n, v)| n == key && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

/// Where a form sends the reader back to after its write (`value` of `field`: a district, a
/// kindergarten): one of the caller's own, or — for a key of no scope — a plain id. Checked
/// before anything is written, so that the answer to a write that was made cannot fail on it.
pub(crate) fn back_to(ctx: &Ctx, value: &str) -> Result<String, Box<Response>> {
    let scope = ctx.signed.as_ref().map(|s| &s.caller.scope);
    let plain = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let ok = match scope {
        Some(scope) if !scope.is_empty() => scope.iter().any(|s| s == value),
        _ => plain,
    };
    if ok {
        Ok(value.to_owned())
    } else {
        let text = t("page_forbidden", ctx.lang);
        Err(Box::new(html(
            ctx,
            StatusCode::BAD_REQUEST,
            page(ctx, text, notice(false, text)),
        )))
    }
}

/// What a write answered, as a page: on success `then` with its body (a redirect, usually);
/// a refusal in words.
pub(crate) fn written(
    ctx: &Ctx,
    result: Result<kezek_app::Written, AppError>,
    then: impl FnOnce(&[u8]) -> Response,
) -> Response {
    match result {
        Ok(w) if (200..300).contains(&w.status) => then(&w.body),
        Ok(w) => {
            let v: serde_json::Value = serde_json::from_slice(&w.body).unwrap_or_default();
            let text = |pointer: &str| v.pointer(pointer).and_then(serde_json::Value::as_str);
            let words = text("/code")
                .and_then(|c| kezek_print::words::problem(c, ctx.lang))
                .or_else(|| {
                    text("/errors/0/code").and_then(|c| kezek_print::words::field(c, ctx.lang))
                })
                .map_or_else(
                    || text("/detail").unwrap_or_default().to_owned(),
                    str::to_owned,
                );
            let status = StatusCode::from_u16(w.status).unwrap_or(StatusCode::CONFLICT);
            error_page(ctx, status, &words)
        }
        Err(e) => refuse(ctx, &e),
    }
}
