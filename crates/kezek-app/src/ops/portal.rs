//! Citizen-bound portal writes. The operator registers the key the e-government portal signs
//! its citizen assertions with (`kezek portal trust`, journaled as `portal_trusted`); from
//! then on every portal request about an application carries a short-lived signed assertion
//! in the `Kezek-Citizen` header — a JWT (`EdDSA` or `RS256`) whose `sub` is the citizen's IIN,
//! `aud` this installation's public URL, `exp` at most five minutes after `iat`, and whose
//! `jti` is never accepted twice — and acts only on that citizen's applications
//! (`Caller::for_citizen`). Each citizen has a budget of requests a minute. Times are read
//! from the service's clock, not the JWT library's.

use crate::access::{Caller, Role};
use crate::app::citizen::Verifier;
use crate::error::AppError;
use crate::App;
use kezek_core::command::portal::TrustPortal;
use kezek_core::event::{AssertionAlgorithm, PortalKey};
use std::sync::Arc;

pub use crate::app::citizen::{HEADER, MAX_LIFETIME};

/// The algorithm of a PEM public key, by the object identifier of its key type: Ed25519
/// (1.3.101.112) or RSA (1.2.840.113549.1.1.1).
#[must_use]
pub fn algorithm_of(pem: &str) -> Option<AssertionAlgorithm> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()?;
    let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    if has(&[0x06, 0x03, 0x2B, 0x65, 0x70]) {
        Some(AssertionAlgorithm::EdDsa)
    } else if has(&[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
    ]) {
        Some(AssertionAlgorithm::Rs256)
    } else {
        None
    }
}

impl App {
    /// Whether the portal is bound to citizens (a key registered).
    #[must_use]
    pub fn portal_bound(&self) -> bool {
        self.state.read().portal_key().is_some()
    }

    /// Registers the portal's key from the command line (the operator): its algorithm read
    /// from the key itself. The key as journaled.
    ///
    /// # Errors
    /// Not a PEM Ed25519 or RSA public key, or the service unavailable.
    pub async fn trust_portal_by_operator(
        self: &Arc<Self>,
        pem: &str,
    ) -> Result<PortalKey, AppError> {
        let invalid = |m: &str| AppError::invalid("public_key", "invalid_public_key", m);
        let algorithm =
            algorithm_of(pem).ok_or_else(|| invalid("not a PEM Ed25519 or RSA public key"))?;
        let probe = PortalKey {
            public_key: pem.trim().to_owned(),
            algorithm,
            fingerprint: String::new(),
            at: self.now(),
        };
        Verifier::of(&probe).map_err(|e| invalid(&e))?;
        let public_key = pem.to_owned();
        self.write(
            &Caller::operator(),
            None,
            move |_, at| {
                Ok(TrustPortal {
                    public_key,
                    algorithm,
                    at,
                }
                .into())
            },
            |_, _, _| crate::Written::json(200, &serde_json::Value::Null),
        )
        .await?;
        self.state
            .read()
            .portal_key()
            .cloned()
            .ok_or_else(|| invalid("not registered"))
    }
}

/// Whether `caller` is the portal (whose requests name a citizen once it is bound).
#[must_use]
pub fn names_citizen(caller: &Caller) -> bool {
    caller.role == Role::Portal
}
