//! Signing in to the console with an API key: the token is checked once and never kept; the
//! session is a random id in a cookie, and the store keeps the id's SHA-256 with the key's
//! token hash and the session's end (`kezek_app::ops::sessions`), so every node sees it and
//! signing out ends it everywhere at once. Each request looks the session and then the key
//! up again, so a revoked or expired key ends its sessions at once too. Forms carry a CSRF
//! token derived from the session; the sign-in form, before there is a session, carries one
//! derived from a cookie of its own (`kezek_signin`), so a page elsewhere cannot sign a
//! reader in with a key of its choosing.
//!
//! The cookies are `HttpOnly; SameSite=Strict`, `Secure` when the service's public URL is
//! https. A session lasts 8 hours.

use hmac::{Hmac, Mac};
use kezek_app::{App, Caller};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "kezek_session";
/// The sign-in form's cookie (its CSRF token is derived from it).
pub const SIGN_IN_COOKIE: &str = "kezek_signin";
/// How long a session lasts, in seconds.
pub const LIFETIME: i64 = 8 * 3600;

type HmacSha256 = Hmac<Sha256>;

/// Makes and checks session cookies and CSRF tokens.
pub struct Sessions {
    secret: [u8; 32],
    secure: bool,
}

impl Sessions {
    /// Sessions under `app`'s authority key.
    #[must_use]
    pub fn new(app: &App) -> Self {
        // Ed25519 signatures are deterministic: the same key gives the same secret on every
        // node and after every restart, and the secret reveals nothing of the key.
        let signature = app.authority().sign(b"kezek console sessions v1");
        let secret: [u8; 32] = Sha256::digest(signature.as_bytes()).into();
        Self {
            secret,
            secure: app.public_url_is_https(),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for p in parts {
            mac.update(p);
            mac.update(b"\x1f");
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// A session for the key whose token has `hash`, stored: the cookie's value.
    ///
    /// # Errors
    /// The store failed, or no randomness.
    pub async fn issue(
        &self,
        app: &App,
        hash: kezek_store::Hash,
    ) -> Result<String, kezek_app::AppError> {
        let id = app.open_session(hash, LIFETIME).await?;
        Ok(format!("v2.{id}"))
    }

    /// The caller of a session cookie's value, if the session is stored, has not ended and
    /// its key is still good.
    ///
    /// # Errors
    /// The store failed.
    pub async fn open(
        &self,
        app: &App,
        value: &str,
    ) -> Result<Option<Caller>, kezek_app::AppError> {
        match session_id(value) {
            Some(id) => app.session_caller(id).await,
            None => Ok(None),
        }
    }

    /// Ends the session of a cookie's value on every node.
    ///
    /// # Errors
    /// The store failed.
    pub async fn end(&self, app: &App, value: &str) -> Result<(), kezek_app::AppError> {
        match session_id(value) {
            Some(id) => app.end_session(id).await,
            None => Ok(()),
        }
    }

    /// The CSRF token of the sign-in form shown with sign-in cookie `value`.
    #[must_use]
    pub fn sign_in_csrf(&self, value: &str) -> String {
        self.mac(&[b"sign-in", value.as_bytes()])
    }

    /// Whether `token` is the CSRF token of the sign-in form of cookie `value`.
    #[must_use]
    pub fn sign_in_csrf_ok(&self, value: &str, token: &str) -> bool {
        !value.is_empty() && constant_eq(self.sign_in_csrf(value).as_bytes(), token.as_bytes())
    }

    /// The `Set-Cookie` value that gives a sign-in form its cookie.
    #[must_use]
    pub fn sign_in_cookie(&self, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{SIGN_IN_COOKIE}={value}; Path=/console/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600{secure}")
    }

    /// The CSRF token of a session.
    #[must_use]
    pub fn csrf(&self, session: &str) -> String {
        self.mac(&[b"csrf", session.as_bytes()])
    }

    /// Whether `token` is the CSRF token of `session`.
    #[must_use]
    pub fn csrf_ok(&self, session: &str, token: &str) -> bool {
        constant_eq(self.csrf(session).as_bytes(), token.as_bytes())
    }

    /// A signature of `parts` for a link that stands on its own (a parent's document link).
    #[must_use]
    pub fn sign_link(&self, parts: &[&str]) -> String {
        let bytes: Vec<&[u8]> = std::iter::once(&b"link"[..])
            .chain(parts.iter().map(|p| p.as_bytes()))
            .collect();
        self.mac(&bytes)
    }

    /// The `Set-Cookie` value that starts a session.
    #[must_use]
    pub fn set_cookie(&self, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}{secure}")
    }

    /// The `Set-Cookie` value that ends one.
    #[must_use]
    pub fn clear_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
    }
}

/// The session id in a cookie's value (`v2.<64 hex digits>`); sessions of the earlier,
/// self-contained form are not accepted (their holders sign in again).
fn session_id(value: &str) -> Option<&str> {
    let id = value.strip_prefix("v2.")?;
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// Equality that takes as long whatever the bytes (a MAC compared early-out leaks it).
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in a `Cookie` header.
#[must_use]
pub fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        assert_eq!(cookie("a=1; kezek_session=x.y; b=2", COOKIE), Some("x.y"));
        assert_eq!(cookie("kezek_sessionx=1", COOKIE), None);
        assert!(constant_eq(b"abc", b"abc"));
        assert!(!constant_eq(b"abc", b"abd"));
        assert!(!constant_eq(b"abc", b"ab"));
    }

    #[test]
    fn a_session_cookie_names_a_random_id_and_nothing_else() {
        let id = "ab".repeat(32);
        assert_eq!(session_id(&format!("v2.{id}")), Some(id.as_str()));
        assert_eq!(session_id(&format!("v1.{id}")), None);
        assert_eq!(session_id("v2.xyz"), None);
        assert_eq!(session_id(&format!("v2.{}", "zz".repeat(32))), None);
    }
}
