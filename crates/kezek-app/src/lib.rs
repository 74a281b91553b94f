//! What the Kezek service does, shared by the HTTP API, the console and every command of
//! the binary. The `App` (`app`) holds the core's state behind its lock and writes it through
//! the journal; `ops` are the operations a request may ask for, one module per area, each
//! checking who may ask (`access`); `views` are the shapes of their answers. Beside them: the
//! documents a decision issues (`documents`), what families are told (`outbox`), API keys
//! and the authority's key (`keys`), the audit of a whole installation (`audit`), request
//! bodies (`forms`), and errors (`error`, `problem`). See `docs/architecture.md`.
#![warn(missing_docs)]

pub mod access;
pub mod app;
pub mod audit;
pub mod clock;
pub mod documents;
pub mod error;
pub mod forms;
pub mod keys;
pub mod ops;
pub mod outbox;
pub mod problem;
pub mod views;

pub use access::{Auth, Caller, Role};
pub use app::start::{policy_digest, PolicyChoice, StartError};
pub use app::write::{Idempotency, Written};
pub use app::{App, AuditCounts, Audited, Reads};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, Unavailable};

/// A duration in whole milliseconds, as the logs give them.
#[must_use]
pub fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
