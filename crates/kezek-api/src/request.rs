//! Reading requests: JSON bodies with the failing field named, ids from paths, and the
//! `Idempotency-Key` header with a fingerprint of the request.

use crate::error::ApiError;
use crate::service::Idempotency;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use kezek_core::event::Ground;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Parses a JSON body; a syntax error, a wrong type, a missing or an unknown field is a
/// 400 naming the field.
///
/// # Errors
/// 400 `malformed_request`.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let code = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "invalid_json"
            }
            serde_json::error::Category::Io | serde_json::error::Category::Data => "invalid_field",
        };
        let field = if field == "." { String::new() } else { field };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the body is not the JSON this endpoint takes",
        )
        .with_errors(vec![Ground {
            field,
            code: code.to_owned(),
            message: inner.to_string(),
            missing: Vec::new(),
        }])
    })
}

/// Parses an id from the path; an id that cannot exist is not found.
///
/// # Errors
/// 404.
pub fn path_id<T>(
    what: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, kezek_core::ids::IdError>,
) -> Result<T, ApiError> {
    parse(raw).map_err(|_| ApiError::not_found(what, raw))
}

/// The `Idempotency-Key` header (1–255 visible ASCII characters), fingerprinted with the
/// method, path and body.
///
/// # Errors
/// 400 for a malformed header.
pub fn idempotency(
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
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
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

/// A write request: its body (at most [`crate::BODY_LIMIT`] bytes) and its
/// `Idempotency-Key`, fingerprinted with method and path.
pub struct Write {
    /// The key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// The body.
    pub body: Bytes,
}

impl Write {
    /// The body as `T`; an empty body reads as `{}`.
    ///
    /// # Errors
    /// 400 naming the field.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            json(b"{}")
        } else {
            json(&self.body)
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Write {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "bodies are limited to 64 KiB",
                )
            })?;
        let idempotency = idempotency(&parts.headers, &parts.method, &parts.uri, &body)?;
        Ok(Self { idempotency, body })
    }
}
