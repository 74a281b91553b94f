//! Loading many events or imports at once (a journal replayed at start-up, a city loaded
//! by `kezek simulate` or `kezek import`).
//!
//! Registrations are by far the most numerous events of such a load, and inserting each
//! child into its cohort queue's ordered lists costs a descent and now and then a split per
//! list. Under a [`Bulk`] guard a registration only notes the new application; the noted
//! children enter their queues together — each list that was empty built bottom-up from
//! sorted keys — as soon as anything else needs the queues: any other event or command, a
//! look at the state through [`Bulk::state`], or the end of the load. The queues, their
//! logs and every answer are the same as when each child is enqueued at once.

use super::{Command, CommandError, Outcome};
use crate::event::Event;
use crate::model::Seq;
use crate::state::{ApplyError, State};

/// A state in a bulk load. While it lives, the state is reached only through it.
pub struct Bulk<'a> {
    state: &'a mut State,
}

impl State {
    /// Starts a bulk load; the cohort queues are complete again when the guard is dropped.
    pub fn bulk(&mut self) -> Bulk<'_> {
        self.start_pending();
        Bulk { state: self }
    }
}

impl Bulk<'_> {
    /// [`State::apply`]; a registration's child enters its queue later.
    ///
    /// # Errors
    /// As [`State::apply`].
    pub fn apply(&mut self, seq: Seq, event: &Event) -> Result<(), ApplyError> {
        if !matches!(event, Event::Registered(_)) {
            self.state.flush_pending();
        }
        self.state.apply(seq, event)
    }

    /// [`State::execute`]; an import's child enters its queue later. Nothing but an import
    /// is decided before the queues are up to date.
    ///
    /// # Errors
    /// As [`State::execute`].
    pub fn execute(&mut self, cmd: impl Into<Command>) -> Result<Outcome, CommandError> {
        let cmd = cmd.into();
        if !matches!(cmd, Command::Import(_)) {
            self.state.flush_pending();
        }
        self.state.execute(cmd)
    }

    /// [`State::reserve_applications`].
    pub fn reserve_applications(&mut self, n: usize) {
        self.state.reserve_applications(n);
        self.state.reserve_pending(n);
    }

    /// The state, its queues brought up to date.
    pub fn state(&mut self) -> &State {
        self.state.flush_pending();
        self.state
    }
}

impl Drop for Bulk<'_> {
    fn drop(&mut self) {
        self.state.end_pending();
    }
}
