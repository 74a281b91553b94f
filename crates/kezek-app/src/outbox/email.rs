//! Kezek's own channel to families: each notification of an application whose applicant gave
//! an e-mail address is sent to it (`kezek serve --smtp-url smtp://relay:25`), in Kazakh and
//! Russian, with its document's PDF in both languages attached and, for a referral still to
//! answer, the link the family confirms or declines with. Plain SMTP to the host's mail relay
//! (which carries it on with TLS): at least once, in the outbox's order, retried with the same
//! backoff as the push. Where e-mail stands (the last notification looked at, and the ones
//! whose sending failed and wait for their next try) is kept with the outbox
//! (`channel_state("email")`), so a restart or a takeover goes on where it stopped. Without
//! `--smtp-url` nothing is sent and nothing is kept.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where e-mail is sent from and through.
#[derive(Clone)]
pub struct Mailer {
    pub(crate) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(crate) from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why e-mail cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Not an `smtp://host[:port]` URL.
    #[error("--smtp-url must be smtp://host[:port] (the host's mail relay)")]
    Url,
    /// Not a mailbox.
    #[error("--smtp-from must be an address, or a name and <address>: {0}")]
    From(String),
}

impl Mailer {
    /// Sends through the relay at `url` (`smtp://host[:port]`, port 25 by default) as `from`.
    ///
    /// # Errors
    /// A URL or a sender that is not one.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let rest = url.strip_prefix("smtp://").ok_or(MailError::Url)?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| MailError::Url)?),
            None => (rest, 25),
        };
        if host.is_empty() {
            return Err(MailError::Url);
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::From(e.to_string()))?;
        Ok(Self { transport, from })
    }
}

/// Where e-mail stands, as kept with the outbox.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Progress {
    /// The last notification looked at.
    pub(crate) after: u64,
    /// Those whose sending failed, with their failed tries and when to try again.
    pub(crate) retry: Vec<Retry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Retry {
    pub(crate) id: u64,
    pub(crate) attempts: u32,
    pub(crate) next_ms: i64,
    pub(crate) error: String,
}

/// What a notification of `kind` is called in a letter.
pub(crate) fn mail_title(kind: &str, lang: kezek_print::words::Lang) -> String {
    use kezek_print::words::{t, title};
    let document = match kind {
        "queue_notification" | "refusal" => Some(kind),
        "referral_issued" => Some("referral"),
        "priority_claim_decided" => Some("priority_decision"),
        "enrolled" | "not_admitted" => Some("admission"),
        _ => None,
    };
    if let Some(words) = document.and_then(|d| title(d, lang)) {
        return words.to_owned();
    }
    let key = match kind {
        "referral_reminder" => "ev_referral_reminded".to_owned(),
        other => format!("ev_{other}"),
    };
    t(&key, lang).to_owned()
}

/// A letter's text in `lang`: what happened, the application, the deadline and the link to
/// act where there is one, and where to see the application.
pub(crate) fn mail_text(
    body: &serde_json::Value,
    lang: kezek_print::words::Lang,
    (title, base, offset): (&str, &str, jiff::tz::Offset),
) -> String {
    use kezek_print::words::{deadline, t};
    let get = |k: &str| body.get(k).and_then(serde_json::Value::as_str);
    let mut lines = vec![title.to_owned(), String::new()];
    if let Some(id) = get("application_id") {
        lines.push(format!("{}: {id}", t("application_id", lang)));
    }
    if let Some(n) = body.get("queue_number").and_then(serde_json::Value::as_u64) {
        lines.push(format!("{}: {n}", t("queue_number", lang)));
    }
    let until = get("confirm_by")
        .or_else(|| get("deadline"))
        .and_then(|x| x.parse::<jiff::Timestamp>().ok());
    if let Some(until) = until {
        lines.push(format!(
            "{}: {}",
            t("act_confirm_by", lang),
            deadline(until, offset, lang)
        ));
    }
    if let Some(url) = get("action_url") {
        lines.push(String::new());
        lines.push(format!("{}: {url}", t("act_open", lang)));
    }
    if body.get("document_id").is_some_and(|d| !d.is_null()) {
        lines.push(t("mail_attached", lang).to_owned());
    }
    lines.push(String::new());
    lines.push(format!("{}: {base}/status", t("parents_title", lang)));
    lines.join("\n")
}
