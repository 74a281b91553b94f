//! API keys: `Authorization: Bearer <token>`; only the SHA-256 of a token is stored. Roles
//! and scopes of API.md: portal, staff (districts), kindergarten (kindergartens), auditor,
//! admin (everything).

use crate::error::ApiError;
use crate::service::Service;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kezek_store::{ApiKeyRecord, Hash};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The e-government portal and service-centre desks.
    Portal,
    /// An education department, for its districts.
    Staff,
    /// A kindergarten, for itself.
    Kindergarten,
    /// Read-only access to the journal.
    Auditor,
    /// Everything.
    Admin,
}

impl Role {
    /// Parses a role name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "portal" => Self::Portal,
            "staff" => Self::Staff,
            "kindergarten" => Self::Kindergarten,
            "auditor" => Self::Auditor,
            "admin" => Self::Admin,
            _ => return None,
        })
    }

    /// The role name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Staff => "staff",
            Self::Kindergarten => "kindergarten",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Key id (the journal's actor).
    pub key_id: String,
    /// Role.
    pub role: Role,
    /// Districts or kindergartens the key is limited to.
    pub scope: Vec<String>,
}

impl Caller {
    /// Refuses unless the caller has one of `roles` (admin always passes).
    ///
    /// # Errors
    /// 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} key cannot do this",
                self.role.as_str()
            )))
        }
    }

    /// Refuses unless the caller is admin, or has `role` with `item` in its scope.
    ///
    /// # Errors
    /// 403.
    pub fn require_scope(&self, role: Role, item: &str) -> Result<(), ApiError> {
        self.require(&[role])?;
        if self.role == Role::Admin || self.scope.iter().any(|s| s == item) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this key is not scoped to {item}"
            )))
        }
    }
}

/// SHA-256 of a token.
#[must_use]
pub fn token_hash(token: &str) -> Hash {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token and its key id.
///
/// # Errors
/// The operating system has no randomness to give.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let mut id = [0u8; 6];
    getrandom::fill(&mut id)?;
    Ok((
        format!("kz_{}", hex::encode(secret)),
        format!("key-{}", hex::encode(id)),
    ))
}

/// The stored record of a new key.
#[must_use]
pub fn key_record(
    key_id: &str,
    token: &str,
    role: Role,
    scope: Vec<String>,
    created_at: &str,
) -> ApiKeyRecord {
    ApiKeyRecord {
        key_id: key_id.to_owned(),
        token_hash: token_hash(token),
        role: role.as_str().to_owned(),
        scope,
        created_at: created_at.to_owned(),
        signature: String::new(),
    }
}

impl FromRequestParts<Arc<Service>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Service>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let hash = token_hash(token.trim());
        if let Some(c) = svc.caller(&hash) {
            return Ok(c);
        }
        // Perhaps a key created with `kezek keys create` while the server runs: look again.
        svc.reload_keys_for_unknown_token();
        svc.caller(&hash).ok_or_else(ApiError::unauthorized)
    }
}
