//! Checking a portal request's citizen assertion (`Kezek-Citizen`) against the key the
//! journal registered (`ops::portal`): a JWT whose `sub` is the citizen's IIN, `aud` this
//! installation's public URL, `exp` at most five minutes after `iat` and ahead by the
//! service's clock (not the library's), and whose `jti` is accepted once.

use super::budgets::Spend;
use crate::access::Citizen;
use crate::error::AppError;
use crate::App;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kezek_core::event::{AssertionAlgorithm, PortalKey};
use kezek_core::model::Iin;
use std::sync::Arc;

/// The header a portal request names its citizen in.
pub const HEADER: &str = "kezek-citizen";

/// The longest an assertion may live, in seconds.
pub const MAX_LIFETIME: i64 = 300;

/// The portal's key, read for checking.
pub struct Verifier {
    fingerprint: String,
    key: DecodingKey,
    algorithm: Algorithm,
}

impl Verifier {
    /// The key `k` as the JWT library reads it.
    ///
    /// # Errors
    /// Text that is not a public key of its algorithm.
    pub fn of(k: &PortalKey) -> Result<Self, String> {
        let (key, algorithm) = match k.algorithm {
            AssertionAlgorithm::EdDsa => (
                DecodingKey::from_ed_pem(k.public_key.as_bytes()),
                Algorithm::EdDSA,
            ),
            AssertionAlgorithm::Rs256 => (
                DecodingKey::from_rsa_pem(k.public_key.as_bytes()),
                Algorithm::RS256,
            ),
        };
        Ok(Self {
            fingerprint: k.fingerprint.clone(),
            key: key.map_err(|e| e.to_string())?,
            algorithm,
        })
    }
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
}

fn refused(status: u16, code: &'static str, detail: impl Into<String>) -> AppError {
    AppError::Citizen {
        status,
        code,
        detail: detail.into(),
    }
}

impl App {
    /// For whom a portal request acts, from its `Kezek-Citizen` header (`assertion`):
    /// nobody named while the portal is not bound; `Missing` without an assertion (refused
    /// once it touches an application); the citizen of an assertion that checks.
    ///
    /// # Errors
    /// 401 `assertion_expired`, `wrong_audience`, `bad_signature`, `assertion_replayed`,
    /// `invalid_assertion`; 429 `too_many_requests` past the citizen's budget.
    pub async fn citizen_of(&self, assertion: Option<&str>) -> Result<Citizen, AppError> {
        let Some(verifier) = self.portal_verifier() else {
            return Ok(Citizen::Unbound);
        };
        let Some(token) = assertion.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Citizen::Missing);
        };
        let audience = self.public_url.get().cloned().unwrap_or_default();
        let mut validation = Validation::new(verifier.algorithm);
        // Times are the service's clock's (below), not the library's.
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "aud"].map(str::to_owned).into();
        validation.set_audience(&[audience.as_str()]);
        let claims = jsonwebtoken::decode::<Claims>(token, &verifier.key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidAudience => refused(
                        401,
                        "wrong_audience",
                        format!("the assertion is not for {audience}"),
                    ),
                    ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => refused(
                        401,
                        "bad_signature",
                        "the assertion is not signed with the portal's key",
                    ),
                    _ => refused(
                        401,
                        "invalid_assertion",
                        format!("the assertion does not read: {e}"),
                    ),
                }
            })?
            .claims;
        let now = self.now().as_second();
        if claims.exp <= now {
            return Err(refused(
                401,
                "assertion_expired",
                "the assertion has expired",
            ));
        }
        if claims.exp - claims.iat > MAX_LIFETIME || claims.iat > now + 60 {
            return Err(refused(
                401,
                "invalid_assertion",
                "an assertion lives at most five minutes from its iat, which is not ahead of now",
            ));
        }
        let citizen = Iin::parse(&claims.sub)
            .map_err(|_| refused(401, "invalid_assertion", "its sub is not an IIN"))?;
        if claims.jti.is_empty() || claims.jti.len() > 200 {
            return Err(refused(
                401,
                "invalid_assertion",
                "its jti is missing or too long",
            ));
        }
        let within = self
            .spend_each(Spend::Citizen {
                citizen: &claims.sub,
                jti: &claims.jti,
                until: claims.exp.div_euclid(60),
            })
            .await?;
        if within.get(1) == Some(&false) {
            return Err(refused(
                401,
                "assertion_replayed",
                "this assertion was used before",
            ));
        }
        if within.first() == Some(&false) {
            return Err(refused(
                429,
                "too_many_requests",
                "too many requests for one citizen in a minute",
            ));
        }
        Ok(Citizen::Is(citizen))
    }

    /// The portal's key as read for checking, built again when the journal registered
    /// another.
    fn portal_verifier(&self) -> Option<Arc<Verifier>> {
        let key = self.state.read().portal_key().cloned()?;
        let mut cached = self.portal.lock();
        if let Some(v) = cached.as_ref().filter(|v| v.fingerprint == key.fingerprint) {
            return Some(Arc::clone(v));
        }
        let v = Arc::new(Verifier::of(&key).ok()?);
        *cached = Some(Arc::clone(&v));
        Some(v)
    }
}
