//! A problem document (RFC 9457, `application/problem+json`): every refusal and error an
//! answer can carry, with the failing fields. Written as JSON with sorted keys, like every
//! body Kezek stores.

use kezek_core::command::Violation;
use serde::Serialize;

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field (`child.iin`, `preferences[1]`; empty for the whole body).
    pub field: String,
    /// The rule it breaks (`invalid_iin`).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl From<Violation> for FieldError {
    fn from(v: Violation) -> Self {
        Self {
            field: v.field,
            code: v.code.to_owned(),
            message: v.message,
        }
    }
}

/// A problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://kezek.kz/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// One-line explanation.
    pub detail: String,
    /// The problem's code (`refused`, `not_found`, …).
    pub code: String,
    /// Per-field errors.
    pub errors: Vec<FieldError>,
    /// Extra members (`application_id`, `document_id`, `missing`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem with `status` (and its reason phrase as title), `code` and `detail`.
    #[must_use]
    pub fn new(status: u16, title: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://kezek.kz/problems/{code}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    /// With per-field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = impl Into<FieldError>>) -> Self {
        self.errors = errors.into_iter().map(Into::into).collect();
        self
    }

    /// With an extra member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// The JSON bytes, keys sorted.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        // Through a `Value`, whose maps sort their keys: the bytes of a stored refusal stay
        // the ones earlier versions stored.
        serde_json::to_value(self)
            .and_then(|v| serde_json::to_vec(&v))
            .unwrap_or_default()
    }
}
