//! The Kezek queue: the fair multi-tier queue, allocation rounds and the referral lifecycle
//! as a pure, synchronous, deterministic state machine. No I/O, no clock, no randomness:
//! time, ids and the policy are arguments (`docs/architecture.md`).
//!
//! A [`Command`] is decided against the [`State`] into [`Event`]s ([`State::decide`], which
//! changes nothing); the events are applied in order ([`State::apply`]); replaying them from
//! empty rebuilds the same state. The modules, from the bottom up:
//!
//! - [`model`]: ids, IINs, codes, sequence numbers, cohorts, statuses, dense indexes;
//! - [`policy`]: tiers, ratios, ages, deadlines and the working-day calendar, as data;
//! - [`queue`]: one cohort queue's ordered indexes, the interleave, the change log;
//! - [`event`]: the facts the journal stores;
//! - [`state`]: the tables and indexes, read through named queries;
//! - [`allocation`]: deciding a round;
//! - [`command`]: one module per command, with its refusals, decision and apply arms;
//! - [`dataset`] and [`city`]: the CSV interchange format and loading a city;
//! - [`public`]: the public journal's redaction and the stand-ins that let it replay;
//! - [`sealed`]: personal data sealed per person, and the stand-ins once a person is forgotten.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod allocation;
pub mod city;
pub mod command;
pub mod dataset;
pub mod event;
pub mod forecast;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod model;
pub mod policy;
pub mod public;
pub mod queue;
pub mod sealed;
pub mod state;
pub mod table;

pub use command::{Command, CommandError, Outcome, Refusal};
pub use event::Event;
pub use policy::Policy;
pub use state::State;
