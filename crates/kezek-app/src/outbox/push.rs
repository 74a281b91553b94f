//! Pushing the outbox to the portal (`kezek serve --notify-url URL`): each notification is
//! sent (`POST`) as JSON with `X-Kezek-Signature: sha256=<hex HMAC-SHA256 of the body>` under the
//! secret of `--notify-secret-file`, until the receiver answers 2xx. At least once (a
//! delivery whose 2xx is lost to a crash or a timeout is sent again with the same `id`: the
//! receiver drops duplicates by `id`), in order per application (an application's next
//! notification waits for the one before), retried with exponential backoff from 1 s up to an
//! hour between attempts, for ever. Delivery state is in the store, so a restart or a SIGKILL
//! goes on where it was.
//!
//! The signed body carries `sent_at` (when this attempt left) and `attempt` (1, 2, …), so a
//! receiver can refuse a replayed push (one whose `sent_at` is older than its window) and
//! knows a copy may already have arrived. A redirect is never followed — the signed body
//! would go wherever a `Location` points, or be re-sent as a bodiless `GET` whose landing page
//! answers 200 — it is a failed attempt, logged with its `Location`. A receiver slower than
//! the timeout gets a longer one on each later attempt (doubling, up to eight times the
//! first), so a slow one is reached after a copy or two instead of getting a copy every
//! retry for ever.

use hmac::{Hmac, Mac};
use kezek_store::Notification;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The first wait after a failed attempt.
pub(crate) const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// How long the first attempt may take, unless configured (`--notify-timeout`).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times the first timeout a later attempt may take at most.
const LONGEST_TIMEOUT_FACTOR: u32 = 8;

/// Where and how notifications are pushed.
#[derive(Clone)]
pub struct Push {
    url: String,
    secret: Arc<[u8]>,
    timeout: Duration,
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
    /// The timeout is zero.
    #[error("--notify-timeout must be at least one second")]
    Timeout,
    /// The HTTP client cannot be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The receiver answered a redirect (never followed), to this `Location`.
    Redirect {
        /// The status.
        status: u16,
        /// Where it pointed (empty when it named nowhere).
        location: String,
    },
    /// The receiver answered another status that is not 2xx.
    Refused(u16),
    /// No answer within the attempt's timeout (the receiver may still have taken it).
    TimedOut,
    /// No connection, or the connection broke.
    Unreachable(String),
}

impl Failure {
    /// The `why` label of `kezek_notification_attempts_failed_total`.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Redirect { .. } => "redirect",
            Self::Refused(_) => "refused",
            Self::TimedOut => "timed_out",
            Self::Unreachable(_) => "unreachable",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Redirect { status, location } => write!(
                f,
                "the receiver answered {status}, a redirect to {location:?}: not followed (set --notify-url to where it points)"
            ),
            Self::Refused(status) => write!(f, "the receiver answered {status}"),
            Self::TimedOut => f.write_str("no answer within the timeout"),
            Self::Unreachable(e) => write!(f, "cannot deliver: {e}"),
        }
    }
}

impl Push {
    /// Pushes to `url`, signing with `secret`, the first attempt of each notification given
    /// `timeout`.
    ///
    /// # Errors
    /// Not an http(s) URL, an empty secret, a zero timeout, or no HTTP client.
    pub fn new(url: &str, secret: &[u8], timeout: Duration) -> Result<Self, PushError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(PushError::Url);
        }
        if secret.is_empty() {
            return Err(PushError::Secret);
        }
        if timeout.is_zero() {
            return Err(PushError::Timeout);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PushError::Client(e.to_string()))?;
        Ok(Self {
            url: url.to_owned(),
            secret: Arc::from(secret),
            timeout,
            client,
        })
    }

    /// The `X-Kezek-Signature` of `body`.
    #[must_use]
    pub fn signature(&self, body: &[u8]) -> String {
        signature(&self.secret, body)
    }

    /// How long attempt `attempts + 1` may take: the first timeout, doubled for each attempt
    /// before, up to eight times it.
    #[must_use]
    pub fn attempt_timeout(&self, attempts: u32) -> Duration {
        self.timeout * (1u32 << attempts.min(3)).min(LONGEST_TIMEOUT_FACTOR)
    }

    /// The body of attempt `attempts + 1` of `n`, sent at `sent_at`: the notification as the
    /// portal pulls it (`pulled`), with `sent_at` and `attempt`.
    #[must_use]
    pub fn body(
        n: &Notification,
        mut pulled: serde_json::Value,
        sent_at: jiff::Timestamp,
    ) -> Vec<u8> {
        let body = &mut pulled;
        if let Some(map) = body.as_object_mut() {
            map.insert("sent_at".into(), sent_at.to_string().into());
            map.insert("attempt".into(), (u64::from(n.attempts) + 1).into());
        }
        serde_json::to_vec(&pulled).unwrap_or_default()
    }

    /// One attempt at `sent_at` of `n`, whose body as pulled is `pulled`: whether the
    /// receiver answered 2xx, or why not.
    pub(crate) async fn send(
        &self,
        n: &Notification,
        pulled: serde_json::Value,
        sent_at: jiff::Timestamp,
    ) -> Result<(), Failure> {
        let body = Self::body(n, pulled, sent_at);
        let res = self
            .client
            .post(&self.url)
            .timeout(self.attempt_timeout(n.attempts))
            .header("content-type", "application/json")
            .header("x-kezek-signature", self.signature(&body))
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    Failure::TimedOut
                } else {
                    Failure::Unreachable(e.to_string())
                }
            })?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(Failure::Redirect {
                status: status.as_u16(),
                location: res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned())
                    .unwrap_or_default(),
            })
        } else {
            Err(Failure::Refused(status.as_u16()))
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
    fn a_slow_receiver_gets_a_longer_timeout_each_attempt_up_to_eight_times() {
        let push = Push::new("http://127.0.0.1:9/", b"s", Duration::from_secs(10)).unwrap();
        let secs: Vec<u64> = [0, 1, 2, 3, 4, u32::MAX]
            .map(|a| push.attempt_timeout(a).as_secs())
            .to_vec();
        assert_eq!(secs, [10, 20, 40, 80, 80, 80]);
        assert!(matches!(
            Push::new("http://127.0.0.1:9/", b"s", Duration::ZERO),
            Err(PushError::Timeout)
        ));
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
