//! Commands: what a request asks for. `State::execute` validates a command against the state,
//! produces its events and applies them one by one (a later event of the same command is
//! decided on the state the earlier ones made: a registration meeting a free seat runs its
//! cohort's round on the state that already holds the child).

use crate::event::{Event, Ground, GroupSpec};
use crate::ids::{ApplicationId, DistrictId, GroupId, KindergartenId, ReferralId, RoundId};
use crate::state::State;
use crate::types::Seq;
use jiff::Timestamp;

/// A registration as it arrives: raw text, so that every ground can be reported at once.
#[derive(Debug, Clone, Default)]
pub struct RegisterRequest {
    /// Id the application (or its refusal) gets.
    pub application_id: Option<ApplicationId>,
    /// Round id to use if the registration meets a free seat.
    pub round_id: Option<RoundId>,
    /// Child's IIN.
    pub child_iin: String,
    /// Child's full name.
    pub child_name: String,
    /// Birth date given separately (must agree with the IIN), ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Applicant's IIN.
    pub applicant_iin: String,
    /// Applicant's full name.
    pub applicant_name: String,
    /// Representative: IIN and power-of-attorney number.
    pub representative: Option<(String, String)>,
    /// District.
    pub district: String,
    /// Language.
    pub language: String,
    /// Kindergartens, best first.
    pub preferences: Vec<String>,
    /// Claimed category (`None` or `"none"` for no claim).
    pub category: Option<String>,
    /// Documents presented.
    pub documents: Vec<String>,
    /// Channel.
    pub channel: String,
    /// Count the claim as verified (a city import whose claims were checked before).
    pub claim_verified: bool,
    /// Registration time (now, or the original time for an import).
    pub at: Timestamp,
}

/// An application from a city import (`applications.csv`): typed, claims verified, no
/// applicant data and no documents (they were checked when it was first filed).
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The parsed row.
    pub row: crate::dataset::ApplicationRow,
}

/// Something the state is asked to do. Time, ids and the policy are arguments.
#[derive(Debug, Clone)]
pub enum Command {
    /// Create a kindergarten or replace its groups.
    UpsertKindergarten {
        /// Kindergarten.
        kindergarten_id: KindergartenId,
        /// Name.
        name: String,
        /// District.
        district: DistrictId,
        /// Groups.
        groups: Vec<GroupSpec>,
    },
    /// Open `seats` places in a group.
    OpenVacancies {
        /// Kindergarten.
        kindergarten_id: KindergartenId,
        /// Group.
        group_id: GroupId,
        /// Places.
        seats: u32,
    },
    /// Register a child.
    Register(Box<RegisterRequest>),
    /// Load one application of a city import at its original time.
    Import(Box<ImportRequest>),
    /// Replace the kindergarten preferences.
    ChangePreferences {
        /// Application.
        application_id: ApplicationId,
        /// New preferences, raw.
        preferences: Vec<String>,
        /// When.
        at: Timestamp,
    },
    /// Withdraw an application.
    Withdraw {
        /// Application.
        application_id: ApplicationId,
        /// When.
        at: Timestamp,
    },
    /// Verify or reject a priority claim.
    DecideClaim {
        /// Application.
        application_id: ApplicationId,
        /// Verified or rejected.
        verified: bool,
        /// Reason.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Run an allocation round in a district.
    RunRound {
        /// Round id (at most 24 characters: referral ids are `<round>-<n>`).
        round_id: RoundId,
        /// District.
        district: DistrictId,
        /// Academic year; default: the one in progress at `at`.
        academic_year: Option<i16>,
        /// When.
        at: Timestamp,
    },
    /// The parent confirms a referral.
    Confirm {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// The parent declines a referral.
    Decline {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// Extend the admission deadline of a confirmed referral, once.
    Extend {
        /// Referral.
        referral_id: ReferralId,
        /// Calendar days.
        days: u32,
        /// When.
        at: Timestamp,
    },
    /// The kindergarten admits the child.
    Enrol {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// The child did not come.
    NoShow {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// Lapse every referral whose deadline passed before `at`.
    LapseOverdue {
        /// Now.
        at: Timestamp,
    },
    /// Remove the district's children past the maximum age for the academic year.
    AgeOut {
        /// District.
        district: DistrictId,
        /// Academic year.
        academic_year: i16,
        /// When.
        at: Timestamp,
    },
}

/// Why a command was not carried out. Nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
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
        /// Problem code (`capacity_below_occupied`, `referral_not_open`, …).
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The command's data breaks rules; every broken rule is listed.
    #[error("invalid command: {} error(s)", .0.len())]
    Invalid(Vec<Ground>),
    /// An own event did not apply: a bug; the state must be rebuilt from the journal.
    #[error("internal inconsistency: {0}")]
    Inconsistent(String),
}

pub(crate) fn ground(field: impl Into<String>, code: &str, message: impl Into<String>) -> Ground {
    Ground {
        field: field.into(),
        code: code.to_owned(),
        message: message.into(),
        missing: Vec::new(),
    }
}

pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> CommandError {
    CommandError::Conflict {
        code,
        message: message.into(),
    }
}

pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> CommandError {
    CommandError::NotFound {
        entity,
        id: id.to_string(),
    }
}

impl State {
    /// The dense index of an application a command names, or `not_found`.
    pub(crate) fn known_application(&self, id: &ApplicationId) -> Result<u32, CommandError> {
        self.application_index(id)
            .ok_or_else(|| not_found("application", id))
    }
}

/// The events a command produced, with their sequence numbers, in order.
pub type Outcome = Vec<(Seq, Event)>;

impl State {
    /// Validates `cmd`, produces its events and applies them.
    ///
    /// # Errors
    /// A [`CommandError`] when the command cannot be carried out; the state is unchanged.
    pub fn execute(&mut self, cmd: Command) -> Result<Outcome, CommandError> {
        let mut out = Vec::new();
        match cmd {
            Command::UpsertKindergarten {
                kindergarten_id,
                name,
                district,
                groups,
            } => {
                let e = self.decide_upsert(kindergarten_id, name, district, groups)?;
                self.emit(&mut out, e)?;
            }
            Command::OpenVacancies {
                kindergarten_id,
                group_id,
                seats,
            } => {
                let e = self.decide_vacancies(kindergarten_id, group_id, seats)?;
                self.emit(&mut out, e)?;
            }
            Command::Register(req) => self.register(*req, &mut out)?,
            Command::Import(req) => {
                let e = self.decide_import(*req)?;
                self.emit(&mut out, e)?;
            }
            Command::ChangePreferences {
                application_id,
                preferences,
                at,
            } => {
                let e = self.decide_preferences(application_id, &preferences, at)?;
                self.emit(&mut out, e)?;
            }
            Command::Withdraw { application_id, at } => {
                let e = self.decide_withdraw(application_id, at)?;
                self.emit(&mut out, e)?;
            }
            Command::DecideClaim {
                application_id,
                verified,
                reason,
                at,
            } => {
                let e = self.decide_claim(application_id, verified, reason, at)?;
                self.emit(&mut out, e)?;
            }
            Command::RunRound {
                round_id,
                district,
                academic_year,
                at,
            } => {
                self.run_round(round_id, &district, academic_year, at, &mut out)?;
            }
            Command::Confirm { referral_id, at } => {
                let e = self.decide_confirm(&referral_id, at)?;
                self.emit(&mut out, e)?;
            }
            Command::Decline { referral_id, at } => {
                let e = self.decide_decline(&referral_id, at)?;
                self.emit(&mut out, e)?;
            }
            Command::Extend {
                referral_id,
                days,
                at,
            } => {
                let e = self.decide_extend(&referral_id, days, at)?;
                self.emit(&mut out, e)?;
            }
            Command::Enrol { referral_id, at } => {
                let e = self.decide_enrol(&referral_id, at)?;
                self.emit(&mut out, e)?;
            }
            Command::NoShow { referral_id, at } => {
                let e = self.decide_no_show(&referral_id, at)?;
                self.emit(&mut out, e)?;
            }
            Command::LapseOverdue { at } => {
                for e in self.decide_lapses(at) {
                    self.emit(&mut out, e)?;
                }
            }
            Command::AgeOut {
                district,
                academic_year,
                at,
            } => {
                let d = *self
                    .district_index
                    .get(&district)
                    .ok_or_else(|| not_found("district", &district))?;
                for e in self.decide_age_out(d, academic_year, at) {
                    self.emit(&mut out, e)?;
                }
            }
        }
        Ok(out)
    }

    /// Applies an event of this state's own making and records it in `out`.
    pub(crate) fn emit(&mut self, out: &mut Outcome, e: Event) -> Result<(), CommandError> {
        let seq = self.last_seq.next();
        self.apply(seq, &e)
            .map_err(|err| CommandError::Inconsistent(err.to_string()))?;
        out.push((seq, e));
        Ok(())
    }
}
