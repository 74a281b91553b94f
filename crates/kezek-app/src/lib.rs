//! The Kezek application layer, shared by the HTTP API and every command of the binary: the
//! core's state behind its lock, the write path to the journal (`write`), idempotency
//! (`answers`), the order of batches (`sequencer`), signed documents (`documents`, `pdf`),
//! API keys (`keys`), who may do what (`access`), what the service shows (`views`), the
//! operations of each area (`ops`), city imports (`import`), verification (`verify`), and the
//! clock. See `docs/architecture.md` for the flow request → command → events → journal →
//! state and what each lock protects.
#![warn(missing_docs)]

pub mod access;
pub mod answers;
mod app;
pub mod authority;
pub mod clock;
pub mod cluster;
pub mod delivery;
pub mod documents;
pub mod error;
pub mod forms;
mod health;
pub mod import;
mod key_watch;
pub mod keys;
pub mod ops;
pub mod outbox;
pub mod problem;
pub mod sequencer;
pub mod snapshots;
mod sweeper;
pub mod verify;
pub mod views;
mod write;

pub use access::{Auth, Caller, Role};
pub use app::{policy_digest, App, AuditCounts, Audited, PolicyChoice, StartError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, Unavailable};
pub use write::{Idempotency, Written};
