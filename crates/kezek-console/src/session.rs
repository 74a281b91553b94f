//! Signing in to the console with an API key: the token is checked once and never kept; the
//! session is a cookie holding the token's SHA-256 and an expiry, signed with a secret the
//! authority key derives (so every node sharing the key accepts it and nothing new is
//! stored). Each request looks the key up again, so a revoked or expired key ends its
//! sessions at once. Forms carry a CSRF token derived from the session cookie.
//!
//! The cookie is `HttpOnly; SameSite=Strict`, `Secure` when the service's public URL is
//! https. Signing out clears it; a stolen cookie is as good as its key until it expires (8
//! hours) or the key is revoked.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use kezek_app::{App, Caller};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "kezek_session";
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

    /// A session for the key whose token has `hash`, from `now`: the cookie's value.
    #[must_use]
    pub fn issue(&self, hash: &kezek_store::Hash, now: Timestamp) -> String {
        let body = format!("v1.{}.{}", hex::encode(hash), now.as_second() + LIFETIME);
        let mac = self.mac(&[b"session", body.as_bytes()]);
        format!("{body}.{mac}")
    }

    /// The caller of a session cookie's value, if it is genuine, unexpired and its key is
    /// still good.
    #[must_use]
    pub fn open(&self, app: &App, value: &str) -> Option<Caller> {
        let (body, mac) = value.rsplit_once('.')?;
        if !constant_eq(
            self.mac(&[b"session", body.as_bytes()]).as_bytes(),
            mac.as_bytes(),
        ) {
            return None;
        }
        let mut parts = body.split('.');
        let (Some("v1"), Some(hash), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let expires: i64 = expires.parse().ok()?;
        if app.now().as_second() >= expires {
            return None;
        }
        let hash: kezek_store::Hash = hex::decode(hash).ok()?.try_into().ok()?;
        app.caller_of_hash(&hash)
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
}
