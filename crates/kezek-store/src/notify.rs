//! The outbox: what families must be told (a referral issued, a claim decided, …), written in
//! the same transaction as the events it comes from, so that nothing is told that did not
//! happen and nothing that happened goes untold. A notification gets its id when it is
//! stored: ids rise with the journal, so a reader pages with `after`. Delivery to the portal
//! (`kezek serve --notify-url`) is recorded beside it, attempt by attempt.

use crate::StoreError;

/// A notification to store with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The application it is about.
    pub application_id: String,
    /// What it tells (`referral_issued`, …).
    pub kind: String,
    /// Its body: a JSON object, without the id (added when it is read).
    pub body: Vec<u8>,
}

/// A stored notification with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id: rising, never reused.
    pub id: u64,
    /// The application it is about.
    pub application_id: String,
    /// What it tells.
    pub kind: String,
    /// Its body (a JSON object, without the id).
    pub body: Vec<u8>,
    /// Delivery attempts that failed.
    pub attempts: u32,
    /// Not to be tried again before this (Unix milliseconds; 0: at once).
    pub next_attempt_ms: i64,
    /// Whether the receiver took it (answered 2xx).
    pub delivered: bool,
    /// When it was stored (Unix milliseconds).
    pub created_ms: i64,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered {
        /// The notification.
        id: u64,
    },
    /// It did not; try again at `next_attempt_ms`.
    Failed {
        /// The notification.
        id: u64,
        /// When to try again (Unix milliseconds).
        next_attempt_ms: i64,
        /// Why, for the operator.
        error: String,
    },
}

/// How the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    /// Not delivered yet.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Not delivered, with at least one failed attempt.
    pub failing: u64,
    /// When the oldest notification not delivered was stored (Unix milliseconds), if any.
    pub oldest_pending_ms: Option<i64>,
}

/// The notifications.
pub trait NotificationStore: Send + Sync {
    /// Up to `limit` notifications after id `after`, in id order.
    ///
    /// # Errors
    /// Storage failure.
    fn notifications(&self, after: u64, limit: usize) -> Result<Vec<Notification>, StoreError>;

    /// The notifications of application `application_id`, in id order, at most `limit` (a
    /// family's page lists what it was told, and the documents with it).
    ///
    /// # Errors
    /// Storage failure.
    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Up to `limit` notifications to try now, in id order: of each application, the first
    /// one not delivered, if it is due at `now_ms` (a later one waits for it: in order per
    /// application; one application's failing notification holds up no other's).
    ///
    /// # Errors
    /// Storage failure.
    fn deliverable(&self, now_ms: i64, limit: usize) -> Result<Vec<Notification>, StoreError>;

    /// Records delivery attempts, all at once.
    ///
    /// # Errors
    /// Storage failure.
    fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError>;

    /// How the outbox stands.
    ///
    /// # Errors
    /// Storage failure.
    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;

    /// Stores notifications as another store had them, ids and delivery state kept
    /// (`kezek migrate`), into an outbox that holds none of their ids.
    ///
    /// # Errors
    /// Storage failure; an id already stored.
    fn restore(&self, notifications: &[Notification]) -> Result<(), StoreError>;

    /// Since which seq every event a family must be told of has its notification here: 0
    /// for an outbox as old as its journal, the journal's head then for an outbox added to
    /// an older journal; `None` where that was not recorded (an outbox added before it was:
    /// `kezek verify` then takes the first notification stored as the outbox's start).
    ///
    /// # Errors
    /// Storage failure.
    fn outbox_since(&self) -> Result<Option<u64>, StoreError>;

    /// What a channel that sends notifications by itself (e-mail) recorded of its progress
    /// (`None`: nothing yet): its own text, kept with the outbox so that a restart or a
    /// takeover goes on where it stopped.
    ///
    /// # Errors
    /// Storage failure.
    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError>;

    /// Records [`Self::channel_state`].
    ///
    /// # Errors
    /// Storage failure.
    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError>;

    /// Records [`Self::outbox_since`] (`kezek migrate` copies it).
    ///
    /// # Errors
    /// Storage failure.
    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError>;
}
