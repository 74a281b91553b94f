//! The case engine of the education departments' other services (adopter registration,
//! duplicates of education documents, externat permission, school admission): each service a
//! definition as data ([`definition`], `services/*.toml`), every step's due time from one pure
//! function ([`due`]). No I/O, no clock, no randomness — like `kezek_core`, which it uses for
//! what both need (the calendar, IINs) and which learns nothing of cases.

pub mod centre;
pub mod command;
pub mod definition;
pub mod due;
pub mod event;
pub mod files;
pub mod form;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod state;
pub mod transit;

pub use definition::{Definition, DefinitionError};
pub use due::{due, OfficeHours, Unit};
pub use event::CaseEvent;
pub use state::Cases;
