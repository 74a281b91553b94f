//! The Kezek queue: the fair multi-tier queue, allocation rounds and the referral lifecycle
//! as a pure, synchronous, deterministic state machine. No I/O, no clock, no randomness:
//! time, ids and the policy are arguments (DESIGN.md).
//!
//! A command becomes events ([`State::execute`]); events are applied in order
//! ([`State::apply`]); replaying them from empty rebuilds the same state.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app_index;
pub mod calendar;
pub mod city;
pub mod command;
pub mod dataset;
pub mod event;
pub mod explain;
pub mod fuzzing;
pub mod ids;
pub mod iin;
pub mod interleave;
pub mod order;
pub mod policy;
pub mod query;
pub mod queue;
pub mod state;
pub mod stats;
pub mod table;
pub mod types;

mod apply;
mod import;
mod lifecycle;
mod register;
mod round;

pub use apply::ApplyError;
pub use command::{Command, CommandError, Outcome, RegisterRequest};
pub use event::Event;
pub use policy::Policy;
pub use state::State;
