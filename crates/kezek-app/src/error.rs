//! Why the application did not do what was asked. The HTTP layer turns each into a status
//! and a problem document; the command line into a one-line reason.

use kezek_core::command::Violation;
use kezek_core::Refusal;
use kezek_store::StoreError;
use std::sync::Arc;

/// Why the service cannot answer now.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unavailable {
    /// The state may hold what the journal does not: nothing more is done until a restart
    /// rebuilds it from the journal.
    #[error("the service stopped taking requests: {0}")]
    Poisoned(Arc<str>),
    /// The store could not be read or written.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// This node follows another, which alone writes (its URL, when known).
    #[error("this node does not write: another node leads the journal")]
    NotLeader(Option<String>),
    /// This node has not applied the journal up to the seq asked for (`min_seq`) yet.
    #[error("this node has not caught up with seq {0} yet")]
    Behind(u64),
}

/// Why a request was not carried out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// Something the request names does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// It existed, and what it held of a person was erased (`person_erased`): gone for good.
    #[error("{what} {id} was erased: what it held of the family is gone")]
    Erased {
        /// What kind of thing.
        what: &'static str,
        /// Its id as given.
        id: String,
        /// When it was erased (RFC 3339), where that is kept.
        at: Option<String>,
    },
    /// The caller's role or scope does not cover it.
    #[error("{0}")]
    Forbidden(String),
    /// The command was refused; nothing was applied.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The request breaks a rule the application checks itself.
    #[error("{detail}")]
    Invalid {
        /// One-line explanation.
        detail: String,
        /// Every field at fault.
        errors: Vec<Violation>,
    },
    /// The `Idempotency-Key` came before with another request.
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    /// The service cannot answer now.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// A portal request's citizen assertion is missing, not valid, or names another person
    /// than the application's (401, 403) — or the citizen asks too often (429).
    #[error("{detail}")]
    Citizen {
        /// The HTTP status.
        status: u16,
        /// The problem's code.
        code: &'static str,
        /// One-line explanation.
        detail: String,
    },
}

impl AppError {
    /// The HTTP status that says it: 404 for what does not exist, 403 for a role or scope
    /// that does not cover it, 409 for a conflict with the state, 422 for a request that
    /// breaks a rule, 503 when the service cannot answer now. The API and the console both
    /// answer with it.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } | Self::Refused(Refusal::NotFound { .. }) => 404,
            Self::Forbidden(_) => 403,
            Self::Erased { .. } => 410,
            Self::Refused(Refusal::ActiveApplicationExists { .. } | Refusal::Conflict { .. }) => {
                409
            }
            Self::Refused(Refusal::Invalid(_)) | Self::Invalid { .. } | Self::KeyReused => 422,
            Self::Unavailable(_) => 503,
            Self::Citizen { status, .. } => *status,
        }
    }

    /// `what` `id` does not exist.
    #[must_use]
    pub fn not_found(what: &'static str, id: &str) -> Self {
        Self::NotFound {
            what,
            id: id.to_owned(),
        }
    }

    /// Field `field` breaks rule `code`.
    #[must_use]
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Invalid {
            detail: format!("{field}: {message}"),
            errors: vec![Violation {
                field: field.to_owned(),
                code,
                message,
            }],
        }
    }
}

/// An error with its causes, `: `-separated, for the log.
#[must_use]
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotLeader => Self::Unavailable(Unavailable::NotLeader(None)),
            e => Self::Unavailable(Unavailable::Store(e)),
        }
    }
}
