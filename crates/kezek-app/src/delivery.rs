//! Pushing the outbox to the portal (`kezek serve --notify-url URL`): each notification is
//! sent (`POST`) as JSON with `X-Kezek-Signature: sha256=<hex HMAC-SHA256 of the body>` under the
//! secret of `--notify-secret-file`, until the receiver answers 2xx. At least once (a
//! delivery whose 2xx is lost to a crash is sent again: the receiver drops duplicates by
//! `id`), in order per application (an application's next notification waits for the one
//! before), retried with exponential backoff from 1 s up to an hour between attempts, for
//! ever. Delivery state is in the store, so a restart or a SIGKILL goes on where it was.

use crate::App;
use hmac::{Hmac, Mac};
use kezek_store::{Attempt, Notification};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The first wait after a failed attempt.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Notifications tried at once (of different applications).
const AT_ONCE: usize = 32;
/// How often the outbox is looked at when there was nothing to send.
const IDLE_POLL: Duration = Duration::from_millis(200);

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
    async fn send(&self, n: &Notification) -> Result<(), String> {
        let body = serde_json::to_vec(&crate::ops::notifications::body(n)).unwrap_or_default();
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

impl App {
    /// Pushes the outbox for ever (`kezek serve --notify-url` runs it beside the API).
    pub async fn run_delivery(self: Arc<Self>, push: Push) {
        loop {
            match self.deliver_once(&push).await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the outbox cannot be read or updated");
                    tokio::time::sleep(FIRST_RETRY).await;
                }
            }
        }
    }

    /// One pass: tries the notifications due now (the first undelivered of each
    /// application), records the outcomes; how many it tried.
    ///
    /// # Errors
    /// The outbox cannot be read or updated.
    pub async fn deliver_once(self: &Arc<Self>, push: &Push) -> Result<usize, crate::AppError> {
        // Only the node that writes delivers: two nodes would tell a family twice.
        if !self.node().writes() {
            return Ok(0);
        }
        let now_ms = self.now().as_millisecond();
        let due = self.store(move |s| s.deliverable(now_ms, AT_ONCE)).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut tries = tokio::task::JoinSet::new();
        for n in due {
            let push = push.clone();
            tries.spawn(async move {
                let outcome = push.send(&n).await;
                (n, outcome)
            });
        }
        let mut attempts = Vec::new();
        while let Some(done) = tries.join_next().await {
            let Ok((n, outcome)) = done else { continue };
            attempts.push(match outcome {
                Ok(()) => Attempt::Delivered { id: n.id },
                Err(error) => {
                    let wait = backoff(n.attempts);
                    tracing::info!(notification = n.id, attempts = n.attempts + 1, error = %error, "a notification was not delivered; trying again later");
                    Attempt::Failed {
                        id: n.id,
                        next_attempt_ms: now_ms
                            .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
                        error,
                    }
                }
            });
        }
        let count = attempts.len();
        self.store(move |s| s.record_attempts(&attempts)).await?;
        Ok(count)
    }
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
