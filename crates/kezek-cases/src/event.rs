//! What the journal keeps of cases: one event per act. Applying them in order rebuilds every
//! case exactly ([`crate::state::Cases::apply`]).

use crate::definition::Channel;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The applicant: who asks for the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Their IIN.
    pub iin: String,
    /// Their full name.
    pub name: String,
}

/// How the executor's draft ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The service is given.
    Granted,
    /// A reasoned refusal.
    Refused,
}

/// A definition as adopted: the file's name and text (what a replay reads back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptedDefinition {
    /// The file's name (`school_admission.atyrau-2014.toml`).
    pub file: String,
    /// Its text.
    pub text: String,
}

/// A school (or other organisation) that provides services, beside the districts and
/// kindergartens the queue knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its id.
    pub id: String,
    /// `school`.
    pub kind: String,
    /// Its name in Kazakh and Russian.
    pub name: crate::definition::Words,
    /// Its address in Kazakh and Russian.
    pub address: crate::definition::Words,
    /// The district it belongs to.
    pub district: String,
}

/// The working-day calendar the due times follow, as the journal keeps it (the policy's in
/// force when it was adopted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRecord {
    /// The authority's offset from UTC, in seconds.
    pub offset_seconds: i32,
    /// Days off of every week, Monday = 1.
    pub weekend: Vec<i8>,
    /// Holidays on the same month and day every year.
    pub holidays: Vec<(i8, i8)>,
    /// Days off of one year only.
    pub extra: Vec<jiff::civil::Date>,
}

impl CalendarRecord {
    /// The record of `c`.
    #[must_use]
    pub fn of(c: &kezek_core::policy::calendar::Calendar) -> Self {
        Self {
            offset_seconds: c.offset.seconds(),
            weekend: c.weekend.iter().map(|d| d.to_monday_one_offset()).collect(),
            holidays: c.holidays.iter().copied().collect(),
            extra: c.extra.iter().copied().collect(),
        }
    }

    /// The calendar it records (`None` for an offset or a weekday out of range).
    #[must_use]
    pub fn calendar(&self) -> Option<kezek_core::policy::calendar::Calendar> {
        Some(kezek_core::policy::calendar::Calendar {
            offset: jiff::tz::Offset::from_seconds(self.offset_seconds).ok()?,
            weekend: self
                .weekend
                .iter()
                .map(|d| jiff::civil::Weekday::from_monday_one_offset(*d).ok())
                .collect::<Option<Vec<_>>>()?,
            holidays: self.holidays.iter().copied().collect(),
            extra: self.extra.iter().copied().collect(),
        })
    }
}

/// A case event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseEvent {
    /// The service definitions in force from now on (one per service), adopted like the
    /// queue's policy.
    DefinitionsAdopted {
        /// The files.
        definitions: Vec<AdoptedDefinition>,
        /// When.
        at: Timestamp,
    },
    /// The working-day calendar of the due times from now on (the policy's, when one is
    /// adopted).
    CalendarAdopted {
        /// The calendar.
        calendar: CalendarRecord,
        /// When.
        at: Timestamp,
    },
    /// An organisation is created or its names changed.
    OrganisationSet {
        /// The organisation.
        organisation: Organisation,
        /// When.
        at: Timestamp,
    },
    /// An application was accepted at intake: registered under `case_id`; the head's
    /// resolution is due next.
    Filed {
        /// The case.
        case_id: String,
        /// The service.
        service: String,
        /// The organisation that provides it.
        provider: String,
        /// Where it was filed.
        channel: Channel,
        /// Who asks.
        applicant: Applicant,
        /// The form, as checked.
        form: BTreeMap<String, serde_json::Value>,
        /// The documents handed in.
        documents: Vec<String>,
        /// When.
        at: Timestamp,
    },
    /// An application was not accepted: documents are missing (the receipt lists them).
    RefusedToAccept {
        /// Its number (the receipt's).
        case_id: String,
        /// The service.
        service: String,
        /// The organisation that provides it.
        provider: String,
        /// Where it was filed.
        channel: Channel,
        /// Who asked.
        applicant: Applicant,
        /// The documents that were missing.
        missing: Vec<String>,
        /// When.
        at: Timestamp,
    },
    /// The head named the executor.
    Assigned {
        /// The case.
        case_id: String,
        /// Who works on it.
        executor: String,
        /// When.
        at: Timestamp,
    },
    /// The executor's draft result, or reasoned refusal, is ready for the head's signature.
    Drafted {
        /// The case.
        case_id: String,
        /// Granted or refused.
        outcome: Outcome,
        /// The grounds of a refusal (codes of the definition).
        grounds: Vec<String>,
        /// The executor's words.
        note: String,
        /// When.
        at: Timestamp,
    },
    /// The head sent the draft back to the executor.
    Returned {
        /// The case.
        case_id: String,
        /// Why.
        comment: String,
        /// When.
        at: Timestamp,
    },
    /// The head signed the result.
    Signed {
        /// The case.
        case_id: String,
        /// When.
        at: Timestamp,
    },
    /// The result was issued: sent to the portal's personal account, or the paper handed over
    /// against signature.
    Issued {
        /// The case.
        case_id: String,
        /// When.
        at: Timestamp,
    },
    /// A step's limit passed before it was done (journaled once per step).
    StepOverdue {
        /// The case.
        case_id: String,
        /// The step.
        step: String,
        /// When it was due.
        due: Timestamp,
        /// When it was noticed.
        at: Timestamp,
    },
    /// The applicant complained about the result or a missed limit.
    Complained {
        /// The case.
        case_id: String,
        /// The complaint's number within the case (1, 2, …).
        complaint: u32,
        /// What they say.
        text: String,
        /// When.
        at: Timestamp,
    },
    /// The centre's courier took a batch list of cases (applications to the provider, or
    /// signed results back to the centre).
    BatchSent {
        /// The batch's number.
        batch_id: String,
        /// Which way.
        direction: crate::transit::Direction,
        /// The centre (the district it serves).
        centre: String,
        /// The provider.
        provider: String,
        /// The cases, in the list's order.
        cases: Vec<String>,
        /// When.
        at: Timestamp,
    },
    /// The other side received a batch.
    BatchReceived {
        /// The batch.
        batch_id: String,
        /// When.
        at: Timestamp,
    },
    /// A batch was not delivered within its working day.
    BatchOverdue {
        /// The batch.
        batch_id: String,
        /// When it was due.
        due: Timestamp,
        /// When this was noted.
        at: Timestamp,
    },
    /// A result not collected at the centre within a month went to the provider's archive.
    Archived {
        /// The case.
        case_id: String,
        /// When.
        at: Timestamp,
    },
    /// An entry left its service's register (a candidate adopter removed).
    RemovedFromRegister {
        /// The case whose granted result entered it.
        case_id: String,
        /// The ground (a code of the definition's `register_removal`).
        ground: String,
        /// The head's words.
        note: String,
        /// When.
        at: Timestamp,
    },
    /// A family complained about a decision of the kindergarten queue (a refusal, a rejected
    /// claim, a referral, a place not given in time).
    QueueComplained {
        /// The application it is about.
        application_id: String,
        /// Its district (whose department decides).
        district: String,
        /// The complaint's number within the application (1, 2, …).
        complaint: u32,
        /// What they say.
        text: String,
        /// When.
        at: Timestamp,
    },
    /// The district's department decided a complaint about the queue.
    QueueComplaintDecided {
        /// The application.
        application_id: String,
        /// The complaint.
        complaint: u32,
        /// Whether it is upheld.
        upheld: bool,
        /// Why.
        reasons: String,
        /// When.
        at: Timestamp,
    },
    /// A proof file was attached to the case (its bytes are kept beside the journal).
    FileAttached {
        /// The case.
        case_id: String,
        /// The file.
        file: kezek_core::event::ProofFile,
        /// When.
        at: Timestamp,
    },
    /// The provider's head decided a complaint.
    ComplaintDecided {
        /// The case.
        case_id: String,
        /// The complaint.
        complaint: u32,
        /// Whether it is upheld.
        upheld: bool,
        /// Why.
        reasons: String,
        /// When.
        at: Timestamp,
    },
}

impl CaseEvent {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            Self::DefinitionsAdopted { at, .. }
            | Self::OrganisationSet { at, .. }
            | Self::CalendarAdopted { at, .. }
            | Self::Filed { at, .. }
            | Self::RefusedToAccept { at, .. }
            | Self::Assigned { at, .. }
            | Self::Drafted { at, .. }
            | Self::Returned { at, .. }
            | Self::Signed { at, .. }
            | Self::Issued { at, .. }
            | Self::StepOverdue { at, .. }
            | Self::Complained { at, .. }
            | Self::QueueComplained { at, .. }
            | Self::RemovedFromRegister { at, .. }
            | Self::BatchSent { at, .. }
            | Self::BatchReceived { at, .. }
            | Self::BatchOverdue { at, .. }
            | Self::Archived { at, .. }
            | Self::QueueComplaintDecided { at, .. }
            | Self::ComplaintDecided { at, .. }
            | Self::FileAttached { at, .. } => *at,
        }
    }

    /// The case it is about (empty for the definitions and organisations).
    #[must_use]
    pub fn case_id(&self) -> &str {
        match self {
            Self::DefinitionsAdopted { .. }
            | Self::OrganisationSet { .. }
            | Self::CalendarAdopted { .. } => "",
            Self::BatchSent { batch_id, .. }
            | Self::BatchReceived { batch_id, .. }
            | Self::BatchOverdue { batch_id, .. } => batch_id,
            Self::QueueComplained { application_id, .. }
            | Self::QueueComplaintDecided { application_id, .. } => application_id,
            Self::Filed { case_id, .. }
            | Self::RefusedToAccept { case_id, .. }
            | Self::Assigned { case_id, .. }
            | Self::RemovedFromRegister { case_id, .. }
            | Self::Archived { case_id, .. }
            | Self::Drafted { case_id, .. }
            | Self::Returned { case_id, .. }
            | Self::Signed { case_id, .. }
            | Self::Issued { case_id, .. }
            | Self::StepOverdue { case_id, .. }
            | Self::Complained { case_id, .. }
            | Self::ComplaintDecided { case_id, .. }
            | Self::FileAttached { case_id, .. } => case_id,
        }
    }
}

/// The domain of the case engine's records in the journal.
pub const DOMAIN: &str = "cases";

/// `event` as a record of the journal.
///
/// # Errors
/// serde refuses it (it does not for these types).
pub fn to_extension(event: &CaseEvent) -> Result<kezek_core::event::Extension, serde_json::Error> {
    Ok(kezek_core::event::Extension {
        domain: DOMAIN.into(),
        record: serde_json::to_value(event)?,
        at: event.at(),
    })
}

/// The case event a journal record holds, if it is one (`None`: another domain's; `Some(Err)`:
/// a record of this domain that is not a case event).
#[must_use]
pub fn from_extension(
    e: &kezek_core::event::Extension,
) -> Option<Result<CaseEvent, serde_json::Error>> {
    (e.domain == DOMAIN).then(|| serde_json::from_value(e.record.clone()))
}
