//! What families are told, as it reaches them: the portal's pull (`GET
//! /v1/notifications?after=&limit=`) and the push to `--notify-url` (`run_delivery`), the
//! same ids and bodies, read from the outbox (committed with their events, so only what is
//! durable). The push itself — signing, timeouts, backoff — is `crate::outbox::push`.

use crate::access::{Auth, Portal};
use crate::error::AppError;
use crate::outbox::push::{backoff, Failure, Push, FIRST_RETRY};
use crate::App;
use kezek_store::Attempt;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// A page of notifications.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    /// The notifications, by id: each `{"id","kind","application_id","document_id","at",…}`.
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<serde_json::Value>,
    /// The `after` of the next page (`null` at the end).
    pub next_after: Option<u64>,
}

impl App {
    /// Up to `limit` (1 to 1000) notifications after id `after`.
    ///
    /// # Errors
    /// An `after` or `limit` out of range, or the store failed.
    pub async fn notifications(
        &self,
        _: &Auth<Portal>,
        after: u64,
        limit: Option<usize>,
    ) -> Result<NotificationPage, AppError> {
        let limit = super::page_bounds(after, limit)?;
        let page = self.store(move |s| s.notifications(after, limit)).await?;
        Ok(NotificationPage {
            next_after: page.last().map(|n| n.id),
            notifications: page.iter().map(|n| self.notification_body(n)).collect(),
        })
    }
}

/// Notifications tried at once (of different applications).
const AT_ONCE: usize = 32;
/// How often the outbox is looked at when there was nothing to send.
const IDLE_POLL: Duration = Duration::from_millis(200);

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
        let sent_at = self.now();
        for n in due {
            let push = push.clone();
            let body = self.notification_body(&n);
            tries.spawn(async move {
                let outcome = push.send(&n, body, sent_at).await;
                (n, outcome)
            });
        }
        let mut attempts = Vec::new();
        while let Some(done) = tries.join_next().await {
            let Ok((n, outcome)) = done else { continue };
            attempts.push(match outcome {
                Ok(()) => Attempt::Delivered { id: n.id },
                Err(failure) => {
                    let wait = backoff(n.attempts);
                    metrics::counter!("kezek_notification_attempts_failed_total", "why" => failure.label()).increment(1);
                    // A receiver that moved, or a proxy in its way: the operator must act.
                    if let Failure::Redirect { location, .. } = &failure {
                        tracing::warn!(notification = n.id, attempts = n.attempts + 1, location = %location, error = %failure, "a notification was not delivered: the receiver redirects; trying again later");
                    } else {
                        tracing::info!(notification = n.id, attempts = n.attempts + 1, error = %failure, "a notification was not delivered; trying again later");
                    }
                    let error = failure.to_string();
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
