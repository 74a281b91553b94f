//! Sending the outbox by e-mail (`outbox::email` holds the mailer and the letters): the
//! notifications after the last one looked at, then the failed ones due, with the progress
//! kept beside the outbox so a restart or a takeover goes on where it stopped.

use crate::outbox::email::{mail_text, mail_title, Mailer, Progress, Retry};
use crate::outbox::push::backoff;
use crate::App;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};
use std::sync::Arc;
use std::time::Duration;

/// Notifications looked at in one pass.
const AT_ONCE: usize = 100;
/// How often the outbox is looked at when there was nothing to send.
const IDLE: Duration = Duration::from_millis(500);
/// Failed e-mails kept waiting for another try at most (past it the oldest is given up,
/// logged).
const RETRY_AT_MOST: usize = 10_000;

impl App {
    /// Sends the outbox by e-mail for ever (`kezek serve --smtp-url` runs it beside the API).
    pub async fn run_email(self: Arc<Self>, mailer: Mailer) {
        loop {
            match self.email_once(&mailer).await {
                Ok(0) => tokio::time::sleep(IDLE).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "e-mail cannot read or record the outbox");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// One pass: the notifications after the last one looked at, then the failed ones due;
    /// how many were looked at.
    ///
    /// # Errors
    /// The outbox cannot be read or its progress recorded.
    pub async fn email_once(self: &Arc<Self>, mailer: &Mailer) -> Result<usize, crate::AppError> {
        // Only the node that writes sends: two nodes would tell a family twice.
        if !self.node().writes() {
            return Ok(0);
        }
        let mut progress: Progress = self
            .store(|s| s.channel_state("email"))
            .await?
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default();
        let after = progress.after;
        let fresh = self.store(move |s| s.notifications(after, AT_ONCE)).await?;
        let now_ms = self.now().as_millisecond();
        let due: Vec<Retry> = progress
            .retry
            .iter()
            .filter(|r| r.next_ms <= now_ms)
            .cloned()
            .collect();
        let mut looked = fresh.len();
        for n in &fresh {
            progress.after = n.id;
            if let Err(error) = self.email(mailer, n).await {
                progress.retry.push(Retry {
                    id: n.id,
                    attempts: 1,
                    next_ms: now_ms.saturating_add(millis(backoff(0))),
                    error,
                });
            }
        }
        for r in due {
            let id = r.id;
            let found = self
                .store(move |s| s.notifications(id.saturating_sub(1), 1))
                .await?
                .into_iter()
                .find(|n| n.id == id);
            progress.retry.retain(|x| x.id != id);
            let Some(n) = found else { continue };
            looked += 1;
            if let Err(error) = self.email(mailer, &n).await {
                progress.retry.push(Retry {
                    id,
                    attempts: r.attempts + 1,
                    next_ms: now_ms.saturating_add(millis(backoff(r.attempts))),
                    error,
                });
            }
        }
        while progress.retry.len() > RETRY_AT_MOST {
            let given_up = progress.retry.remove(0);
            tracing::error!(notification = given_up.id, attempts = given_up.attempts, error = %given_up.error, "an e-mail was given up: too many wait for another try");
        }
        if looked > 0 {
            let text = serde_json::to_string(&progress).unwrap_or_default();
            self.store(move |s| s.set_channel_state("email", &text))
                .await?;
        }
        Ok(looked)
    }

    /// Sends notification `n` to its applicant's address, if it has one; why not, when the
    /// relay refused or could not be reached.
    async fn email(&self, mailer: &Mailer, n: &kezek_store::Notification) -> Result<(), String> {
        let id = n.application_id.clone();
        let address = self
            .peek(move |s| {
                kezek_core::model::ApplicationId::parse(&id)
                    .ok()
                    .and_then(|id| s.application_by_id(&id))
                    .and_then(|(_, a)| a.applicant.as_ref()?.email.as_deref().map(str::to_owned))
            })
            .map_err(|e| e.to_string())?;
        let Some(address) = address else {
            return Ok(());
        };
        let to: Mailbox = match address.parse() {
            Ok(to) => to,
            // An address the registration accepted and the mailer does not: nothing to retry.
            Err(e) => {
                tracing::warn!(notification = n.id, error = %e, "an e-mail address cannot be written to");
                return Ok(());
            }
        };
        let message = self.message(mailer, n, to).await?;
        match mailer.transport.send(message).await {
            Ok(_) => {
                metrics::counter!("kezek_emails_sent_total").increment(1);
                Ok(())
            }
            Err(e) => {
                metrics::counter!("kezek_email_failures_total").increment(1);
                tracing::info!(notification = n.id, error = %e, "an e-mail was not sent; trying again later");
                Err(e.to_string())
            }
        }
    }

    /// The message telling notification `n`, in Kazakh and Russian, with its document.
    async fn message(
        &self,
        mailer: &Mailer,
        n: &kezek_store::Notification,
        to: Mailbox,
    ) -> Result<Message, String> {
        use kezek_print::words::Lang;
        let body = self.notification_body(n);
        let title = |lang| mail_title(&n.kind, lang);
        let base = self.public_url.get().map_or("", String::as_str).to_owned();
        let offset = self.local_offset();
        let mut text = String::new();
        for lang in [Lang::Kk, Lang::Ru] {
            text.push_str(&mail_text(&body, lang, (&title(lang), &base, offset)));
            text.push_str("\n\n");
        }
        let mut parts = MultiPart::mixed().singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        );
        if let Some(doc) = body.get("document_id").and_then(serde_json::Value::as_str) {
            for lang in [Lang::Kk, Lang::Ru] {
                if let Ok(pdf) = self.pdf_of(doc, lang).await {
                    let name = format!("{doc}-{}.pdf", lang.code());
                    let kind = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
                    parts = parts.singlepart(Attachment::new(name).body(pdf, kind));
                }
            }
        }
        Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(format!("Kezek: {} / {}", title(Lang::Kk), title(Lang::Ru)))
            .multipart(parts)
            .map_err(|e| e.to_string())
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
