//! What every console request carries: the reader's language (`?lang=` switches it and a
//! cookie keeps it; Kazakh by default), the path (for the language switch), and the signed-in
//! caller with its CSRF token when there is a session.

use crate::session::{cookie, COOKIE, SIGN_IN_COOKIE};

use crate::Console;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use kezek_app::Caller;
use kezek_print::words::Lang;
use std::sync::Arc;

/// The language cookie's name.
pub const LANG_COOKIE: &str = "kezek_lang";

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The key's caller.
    pub caller: Caller,
    /// The CSRF token its forms carry.
    pub csrf: String,
    /// The session cookie's value.
    pub session: String,
}

/// The request's context.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The reader's language.
    pub lang: Lang,
    /// Whether `?lang=` asked for it (the answer then sets the cookie).
    pub lang_chosen: bool,
    /// The path, without the query.
    pub path: String,
    /// The caller, when signed in with a key that is still good.
    pub signed: Option<Signed>,
    /// The sign-in form's cookie, when the reader has one.
    pub sign_in: Option<String>,
    /// Whether the request was a `GET` (the language switch can lead back to it), and its
    /// query without `lang`.
    pub get: Option<String>,
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The cookies of a request, as one string.
fn cookies(headers: &HeaderMap) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A page for the signed-in only: without a session whose key is still good, the request is
/// answered with the sign-in page (a redirect, keeping the language).
impl FromRequestParts<Arc<Console>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let ctx = match Ctx::from_request_parts(parts, console).await {
            Ok(ctx) => ctx,
            Err(never) => match never {},
        };
        match ctx.signed {
            Some(s) => Ok(s),
            None => Err(crate::see_other(&ctx, "/console/sign-in")),
        }
    }
}

impl FromRequestParts<Arc<Console>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        // Looked up once per request (a page and its `Signed` both ask).
        if let Some(ctx) = parts.extensions.get::<Self>() {
            return Ok(ctx.clone());
        }
        let jar = cookies(&parts.headers);
        let chosen = query_lang(parts.uri.query());
        let lang = chosen
            .or_else(|| cookie(&jar, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or(Lang::Kk);
        let signed = match cookie(&jar, COOKIE) {
            Some(value) => match console.sessions.open(&console.app, value).await {
                Ok(caller) => caller.map(|caller| Signed {
                    caller,
                    csrf: console.sessions.csrf(value),
                    session: value.to_owned(),
                }),
                // The store could not say: the reader is asked to sign in again rather
                // than shown an error for every page.
                Err(e) => {
                    tracing::warn!(error = %e, "a console session could not be read");
                    None
                }
            },
            None => None,
        };
        let ctx = Self {
            lang,
            lang_chosen: chosen.is_some(),
            path: parts.uri.path().to_owned(),
            signed,
            sign_in: cookie(&jar, SIGN_IN_COOKIE).map(str::to_owned),
            get: (parts.method == axum::http::Method::GET).then(|| {
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(
                        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                            .filter(|(k, _)| k != "lang"),
                    )
                    .finish()
            }),
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}
