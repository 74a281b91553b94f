//! One module per screen; `refuse` turns what the application refused into a page.

pub mod allocation;
pub mod audit;
pub mod dashboard;
pub mod edit;
pub mod home;
pub mod kindergarten;
pub mod places;
pub mod queue;
pub mod status;
pub mod worklists;

use crate::context::{Ctx, Signed};
use crate::layout::{notice, page};
use crate::text::t;
use crate::{html, see_other};
use axum::http::StatusCode;
use axum::response::Response;
use kezek_app::{AppError, Unavailable};
use kezek_core::Refusal;

/// The words for what the application refused, and the status to answer with.
pub(crate) fn refusal_text(ctx: &Ctx, e: &AppError) -> (StatusCode, String) {
    let lang = ctx.lang;
    let words = |code: &str, fallback: String| {
        kezek_app::messages::problem(code, lang)
            .or_else(|| kezek_app::messages::field(code, lang))
            .map_or(fallback, str::to_owned)
    };
    match e {
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, t("forbidden", lang).to_owned()),
        AppError::NotFound { .. } | AppError::Refused(Refusal::NotFound { .. }) => {
            (StatusCode::NOT_FOUND, t("not_found", lang).to_owned())
        }
        AppError::Refused(Refusal::Conflict { code, message }) => {
            (StatusCode::CONFLICT, words(code, message.clone()))
        }
        AppError::Refused(Refusal::Invalid(v)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            v.iter()
                .map(|x| format!("{}: {}", x.field, words(x.code, x.message.clone())))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AppError::Invalid { errors, detail } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|x| format!("{}: {}", x.field, words(x.code, x.message.clone())))
                .next()
                .unwrap_or_else(|| detail.clone()),
        ),
        AppError::Refused(Refusal::ActiveApplicationExists { .. }) => (
            StatusCode::CONFLICT,
            words("active_application_exists", e.to_string()),
        ),
        AppError::KeyReused => (
            StatusCode::UNPROCESSABLE_ENTITY,
            words("idempotency_key_reused", e.to_string()),
        ),
        AppError::Unavailable(u) => {
            if let Unavailable::Store(cause) = u {
                tracing::error!(error = %cause, "a console page could not be read");
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                words("unavailable", String::new()),
            )
        }
    }
}

/// A page saying what was refused.
pub(crate) fn refuse(ctx: &Ctx, e: &AppError) -> Response {
    let (status, text) = refusal_text(ctx, e);
    html(ctx, status, page(ctx, &text, notice(false, &text)))
}

/// The signed-in caller, or a redirect to the sign-in page.
pub(crate) fn signed(ctx: &Ctx) -> Result<&Signed, Box<Response>> {
    ctx.signed
        .as_ref()
        .ok_or_else(|| Box::new(see_other(ctx, "/console/sign-in")))
}
