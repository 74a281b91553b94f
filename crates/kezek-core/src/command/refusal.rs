//! Why a command is not carried out. Each command names its own codes in a `code_enum!` of
//! its module; a [`Refusal`] carries them, spelled, to whoever asked (the HTTP layer turns it
//! into a problem document, the import into a line-numbered error). Nothing is ever applied
//! for a refused command: deciding reads the state and changes nothing.

use crate::event::{Ground, GroundCode};
use crate::model::ApplicationId;

/// One broken rule of the command's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field at fault (`groups[1].capacity`).
    pub field: String,
    /// The rule's code (`invalid_capacity`).
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
}

/// Why a command was not carried out. Nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Something named does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of thing.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The child already has an active application.
    #[error("the child already has an active application {application_id}")]
    ActiveApplicationExists {
        /// The existing application.
        application_id: ApplicationId,
    },
    /// The command conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// The conflict's code (`capacity_below_occupied`, `referral_not_open`, …).
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The command's data breaks rules; every broken rule is listed.
    #[error("invalid command: {} error(s)", .0.len())]
    Invalid(Vec<Violation>),
}

impl Refusal {
    /// `entity` `id` does not exist.
    #[must_use]
    pub fn not_found(entity: &'static str, id: &dyn std::fmt::Display) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The state does not allow it, for the reason `code`.
    #[must_use]
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// One field breaks rule `code`.
    #[must_use]
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![Violation {
            field: field.into(),
            code,
            message: message.into(),
        }])
    }

    /// Refused on grounds of the registration's kind (preferences, ages).
    #[must_use]
    pub fn grounds(grounds: Vec<Ground>) -> Self {
        Self::Invalid(grounds.into_iter().map(Violation::from).collect())
    }

    /// Every rule broken, when the refusal lists them; one line otherwise.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Invalid(v) => v
                .iter()
                .map(|g| format!("{}: {} ({})", g.field, g.code, g.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
}

impl From<Ground> for Violation {
    fn from(g: Ground) -> Self {
        Self {
            field: g.field,
            code: g.code.as_str(),
            message: g.message,
        }
    }
}

/// A ground of the registration's kind.
pub(crate) fn ground(
    field: impl Into<String>,
    code: GroundCode,
    message: impl Into<String>,
) -> Ground {
    Ground {
        field: field.into(),
        code,
        message: message.into(),
        missing: Vec::new(),
    }
}

/// A list of violations being gathered, so that every broken rule is reported at once.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    /// Notes that `field` breaks rule `code`.
    pub(crate) fn add(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(Violation {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// `Ok` when nothing was noted.
    pub(crate) fn check(self) -> Result<(), Refusal> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(self.0))
        }
    }
}
