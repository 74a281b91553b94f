//! The portal's key: the operator registers the public key the e-government portal signs
//! its citizen assertions with (`kezek portal trust`); from then on each portal request acts
//! for the citizen its assertion names. The core keeps the key as text; the application
//! checks that it reads as a key of its algorithm before it is journaled.

use super::refusal::Refusal;
use crate::event::{AssertionAlgorithm, Event, PortalKey};
use jiff::Timestamp;

/// Longest key text, in bytes (a 4096-bit RSA key's PEM is under 1 KiB).
const MAX_PEM: usize = 16 * 1024;

code_enum! {
    /// Why a portal key is refused.
    pub enum Code {
        /// Not a PEM public key (`-----BEGIN PUBLIC KEY-----`), or too long.
        InvalidPublicKey = "invalid_public_key",
    }
}

/// Register the portal's key.
#[derive(Debug, Clone)]
pub struct TrustPortal {
    /// The public key, PEM (`SubjectPublicKeyInfo`).
    pub public_key: String,
    /// Its algorithm.
    pub algorithm: AssertionAlgorithm,
    /// When.
    pub at: Timestamp,
}

impl TrustPortal {
    /// The `portal_trusted` event.
    ///
    /// # Errors
    /// Text that is not a PEM public key, or too long.
    pub fn decide(self, _state: &crate::State) -> Result<Vec<Event>, Refusal> {
        let pem = self.public_key.trim();
        let shaped = pem.starts_with("-----BEGIN PUBLIC KEY-----")
            && pem.ends_with("-----END PUBLIC KEY-----")
            && pem.len() <= MAX_PEM
            && pem.is_ascii();
        if !shaped {
            return Err(Refusal::invalid(
                "public_key",
                Code::InvalidPublicKey.as_str(),
                "a PEM public key (-----BEGIN PUBLIC KEY-----) of at most 16 KiB",
            ));
        }
        Ok(vec![Event::PortalTrusted(Box::new(PortalKey {
            fingerprint: super::file::sha256_hex(pem.as_bytes()),
            public_key: pem.to_owned(),
            algorithm: self.algorithm,
            at: self.at,
        }))])
    }
}

/// Start publishing the pseudonymous public journal with `secret` (32 random bytes, hex,
/// drawn by the caller: the core draws nothing).
#[derive(Debug, Clone)]
pub struct StartPublication {
    /// The pseudonyms' secret, hex.
    pub secret: String,
    /// When.
    pub at: Timestamp,
}

impl StartPublication {
    /// The `publication_started` event.
    ///
    /// # Errors
    /// Publishing started already (its pseudonyms never change), or a secret that is not 64
    /// hex digits.
    pub fn decide(self, state: &crate::State) -> Result<Vec<Event>, Refusal> {
        if state.publication_secret().is_some() {
            return Err(Refusal::conflict(
                "published_already",
                "the public journal is published already: its pseudonyms never change",
            ));
        }
        if self.secret.len() != 64 || !self.secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::invalid(
                "secret",
                Code::InvalidPublicKey.as_str(),
                "64 hex digits",
            ));
        }
        Ok(vec![Event::PublicationStarted {
            secret: self.secret.to_ascii_lowercase(),
            at: self.at,
        }])
    }
}
