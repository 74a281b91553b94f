//! Extractors: the bearer of a key with a role of the route's (`Bearer<Staff>`), and a write's body and
//! `Idempotency-Key` (`Write<T>`), a JSON body with the failing field named.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri};
use kezek_app::access::Roles;
use kezek_app::problem::FieldError;
use kezek_app::{App, Idempotency};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The bearer of the request's key, whose role is one of `R`'s (`kezek_app::Auth`): 401
/// without a known token, 403 for another role.
#[derive(Debug, Clone)]
pub struct Bearer<R>(pub kezek_app::Auth<R>);

impl<R: Roles + Send + Sync> FromRequestParts<Arc<App>> for Bearer<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let mut caller = app
            .caller(token.trim())
            .await
            .ok_or(ApiError::Unauthorized)?;
        if kezek_app::ops::portal::names_citizen(&caller) {
            let assertion = parts
                .headers
                .get(kezek_app::ops::portal::HEADER)
                .and_then(|h| h.to_str().ok());
            caller.citizen = app.citizen_of(assertion).await?;
        }
        Ok(Self(kezek_app::Auth::check(caller)?))
    }
}

/// Parses a JSON body: one JSON value and nothing after it but white space; a syntax error,
/// a wrong type, a missing or an unknown field, or bytes after the value is a 400 naming
/// the field.
///
/// # Errors
/// 400 `malformed_request`.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = value(&mut de)?;
    de.end().map_err(|e| {
        ApiError::Malformed(FieldError {
            field: String::new(),
            code: "trailing_bytes".to_owned(),
            message: format!("the body must be one JSON value and nothing after it: {e}"),
        })
    })?;
    Ok(value)
}

fn value<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let code = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "invalid_json"
            }
            serde_json::error::Category::Io | serde_json::error::Category::Data => "invalid_field",
        };
        ApiError::Malformed(FieldError {
            field: if field == "." { String::new() } else { field },
            code: code.to_owned(),
            message: inner.to_string(),
        })
    })
}

/// The `Idempotency-Key` header (1–255 visible ASCII characters), fingerprinted with the
/// method, path and body.
fn idempotency(
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Result<Option<Idempotency>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(ApiError::BadIdempotencyKey)?;
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(uri.path().as_bytes());
    h.update(b"\n");
    h.update(body);
    Ok(Some(Idempotency {
        key: key.to_owned(),
        fingerprint: h.finalize().into(),
    }))
}

/// A write request: its body as `T` (an empty body reads as `{}`) and its
/// `Idempotency-Key`, fingerprinted with method, path and body.
pub struct Write<T> {
    /// The key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// The body.
    pub body: T,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Write<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body: Bytes = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| ApiError::BodyTooLarge)?;
        let idempotency = idempotency(&parts.headers, &parts.method, &parts.uri, &body)?;
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            json(b"{}")?
        } else if is_json(&parts.headers) {
            json(&body)?
        } else {
            return Err(ApiError::NotJson);
        };
        Ok(Self { idempotency, body })
    }
}

/// Whether the request says its body is JSON: `application/json` (parameters such as
/// `charset=utf-8` allowed) or a `+json` type.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(v) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = v.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json") || sub.to_ascii_lowercase().ends_with("+json"))
}

/// A proof file's upload: its bytes as the body, its type as `Content-Type` (PDF, JPEG or
/// PNG: else 415), at most 10 MiB (else 413), with its `Idempotency-Key`.
pub struct Upload {
    /// The key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// The type the client named.
    pub declared: kezek_core::model::FileType,
    /// The bytes.
    pub bytes: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(kezek_core::model::FileType::from_media_type)
            .ok_or(ApiError::NotAFileType)?;
        let bytes: Bytes = axum::body::to_bytes(body, crate::FILE_LIMIT)
            .await
            .map_err(|_| ApiError::FileTooLarge)?;
        let idempotency = idempotency(&parts.headers, &parts.method, &parts.uri, &bytes)?;
        Ok(Self {
            idempotency,
            declared,
            bytes,
        })
    }
}

/// A write that takes no body: only its `Idempotency-Key` (a body, if sent, is not read
/// but counts in the fingerprint).
pub struct Retry(pub Option<Idempotency>);

impl<S: Send + Sync> FromRequest<S> for Retry {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body: Bytes = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| ApiError::BodyTooLarge)?;
        Ok(Self(idempotency(
            &parts.headers,
            &parts.method,
            &parts.uri,
            &body,
        )?))
    }
}

/// Query parameters; a bad one (not a number, out of range, unknown, missing) is a 422
/// naming it.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Self).map_err(|e| {
            let field = e.path().to_string();
            ApiError::BadQuery(FieldError {
                field: if field == "." { String::new() } else { field },
                code: "invalid_query".into(),
                message: e.into_inner().to_string(),
            })
        })
    }
}

/// The query of a paged read: `after` (the last id or seq seen) and `limit`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The last id or seq seen (0: from the start).
    #[serde(default)]
    pub after: u64,
    /// How many (1 to 1000; 100 by default).
    #[serde(default)]
    pub limit: Option<usize>,
}
