//! Pushing the outbox to the portal (`kezek serve --notify-url URL`): each notification is
//! sent (`POST`) as JSON with `X-Kezek-Signature: sha256=<hex HMAC-SHA256 of the body>` under the
//! secret of `--notify-secret-file`, until the receiver answers 2xx. At least once (a
//! delivery whose 2xx is lost to a crash is sent again: the receiver drops duplicates by
//! `id`), in order per application (an application's next notification waits for the one
//! before), retried with exponential backoff from 1 s up to an hour between attempts, for
//! ever. Delivery state is in the store, so a restart or a SIGKILL goes on where it was.

use hmac::{Hmac, Mac};
use kezek_store::Notification;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The first wait after a failed attempt.
pub(crate) const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how notifications are pushed.
#[derive(Clone)]
pub struct Push {
    url: String,
    secret: Arc<[u8]>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a push cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The URL is not http(s).
    #[error("--notify-url must be an http:// or https:// URL")]
    Url,
    /// The secret is empty.
    #[error("the notification secret is empty")]
    Secret,
    /// The HTTP client cannot be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl Push {
    /// Pushes to `url`, signing with `secret`.
    ///
    /// # Errors
    /// Not an http(s) URL, an empty secret, or no HTTP client.
    pub fn new(url: &str, secret: &[u8]) -> Result<Self, PushError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(PushError::Url);
        }
        if secret.is_empty() {
            return Err(PushError::Secret);
        }
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .map_err(|e| PushError::Client(e.to_string()))?;
        Ok(Self {
            url: url.to_owned(),
            secret: Arc::from(secret),
            client,
        })
    }

    /// The `X-Kezek-Signature` of `body`.
    #[must_use]
    pub fn signature(&self, body: &[u8]) -> String {
        signature(&self.secret, body)
    }

    /// One attempt: whether the receiver answered 2xx, or why not.
    pub(crate) async fn send(&self, n: &Notification) -> Result<(), String> {
        let body = serde_json::to_vec(&super::body(n)).unwrap_or_default();
        let res = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-kezek-signature", self.signature(&body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot deliver: {e}"))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", res.status().as_u16()))
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`.
#[must_use]
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // An HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones: 1 s, 2 s, 4 s, …,
/// an hour at most.
#[must_use]
pub fn backoff(attempts: u32) -> Duration {
    FIRST_RETRY
        .checked_mul(1u32 << attempts.min(20))
        .map_or(LONGEST_RETRY, |d| d.min(LONGEST_RETRY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(32));
        assert_eq!(backoff(12), Duration::from_secs(3600));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
