//! Why an event does not fit the state: a journal that was edited, reordered or cut, or a
//! bug. Applying stops at the first one; the state is then thrown away.

use crate::model::Seq;

/// An event that does not fit the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// The event's sequence number does not follow the last one applied.
    #[error("expected seq {expected}")]
    OutOfOrder {
        /// The next sequence number.
        expected: Seq,
    },
    /// It names something the state does not have.
    #[error("unknown {what} {id}")]
    Unknown {
        /// What kind of thing (`application`, `group`, …).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// It gives a new thing an id already taken.
    #[error("{what} id {id} reused")]
    Reused {
        /// What kind of thing.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// It acts on something in a status that does not allow it.
    #[error("{what} {id} is {status}")]
    WrongStatus {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// It would take a group's seats below zero or above its capacity.
    #[error("group {group}: {problem}")]
    Seats {
        /// The group.
        group: String,
        /// What would go wrong.
        problem: &'static str,
    },
    /// It moves a kindergarten to another district.
    #[error("kindergarten {kindergarten} cannot move to district {district}")]
    Moved {
        /// The kindergarten.
        kindergarten: String,
        /// The district it names.
        district: String,
    },
    /// It registers a child who already has an active application.
    #[error("the child of {application} already has an active application")]
    ActiveApplication {
        /// The new application.
        application: String,
    },
    /// An erasure that names places of more than one person, or a place without one.
    #[error("erasure: {0}")]
    Erasure(String),
    /// A table is full (2^32 records).
    #[error("too many records")]
    Full,
    /// A policy that cannot be read, or cannot take over from the one in force.
    #[error("policy: {0}")]
    Policy(String),
}

/// Why an event with a sequence number cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} cannot be applied: {mismatch}")]
pub struct ApplyError {
    /// Its sequence number.
    pub seq: Seq,
    /// What does not fit.
    pub mismatch: Mismatch,
}
