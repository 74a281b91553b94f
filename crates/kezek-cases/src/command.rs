//! What is asked of a case: each decided on the cases as they are (`decide`, which changes
//! nothing) into the events to journal, or refused — like the queue's commands. Who may ask
//! (the provider's clerk, head, executor) is checked by the application before.

use crate::definition::Channel;
use crate::event::{Applicant, CaseEvent, Outcome};
use crate::state::{Cases, Status};
use crate::transit::Custody;
use jiff::Timestamp;
use kezek_core::command::{Refusal, Violation};
use kezek_core::model::Iin;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a case command is refused (besides an invalid form, whose codes are the field's).
pub mod codes {
    /// The service is not one the definitions in force provide.
    pub const UNKNOWN_SERVICE: &str = "unknown_service";
    /// The service is not applied for through this channel.
    pub const CHANNEL_NOT_OFFERED: &str = "channel_not_offered";
    /// The case is not where the act can be done.
    pub const CASE_NOT_HERE: &str = "case_not_at_this_step";
    /// A refusal without grounds, or with grounds the definition does not list.
    pub const INVALID_GROUNDS: &str = "invalid_grounds";
    /// Words that are empty or too long.
    pub const INVALID_TEXT: &str = "invalid_text";
    /// Nothing to complain about yet.
    pub const NOTHING_TO_COMPLAIN: &str = "nothing_to_complain_about";
    /// No open complaint with that number.
    pub const NO_SUCH_COMPLAINT: &str = "no_open_complaint";
    /// The number is a case's already.
    pub const CASE_EXISTS: &str = "case_exists";
    /// The case is not an active entry of its service's register.
    pub const NOT_IN_REGISTER: &str = "not_in_register";
    /// A batch list that does not read.
    pub const INVALID_BATCH: &str = "invalid_batch";
    /// The batch was received already.
    pub const BATCH_RECEIVED: &str = "batch_received";
    /// The papers are at the service centre or with its courier, not yet with the provider.
    pub const NOT_AT_PROVIDER: &str = "papers_not_at_provider";
}

/// Longest comment, note or complaint, in characters.
const MAX_WORDS: usize = 2000;

/// An application filed: accepted, or — documents missing — refused at intake.
#[derive(Debug, Clone)]
pub struct File {
    /// The number it gets.
    pub case_id: String,
    /// The service.
    pub service: String,
    /// The organisation that provides it.
    pub provider: String,
    /// Where.
    pub channel: Channel,
    /// Who asks.
    pub applicant: Applicant,
    /// The form.
    pub form: BTreeMap<String, Value>,
    /// The documents handed in.
    pub documents: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl File {
    /// `filed`, or `refused_to_accept` listing what is missing.
    ///
    /// # Errors
    /// A number in use, an unknown service, a channel it is not offered through, an applicant
    /// or form that does
    /// not read (every field named), a document the service does not know.
    pub fn decide(self, cases: &Cases) -> Result<Vec<CaseEvent>, Refusal> {
        if cases.case(&self.case_id).is_some() {
            return Err(Refusal::conflict(
                codes::CASE_EXISTS,
                format!("{} is a case's number already", self.case_id),
            ));
        }
        let d = cases.definition(&self.service).ok_or_else(|| {
            Refusal::conflict(
                codes::UNKNOWN_SERVICE,
                format!("no service {}", self.service),
            )
        })?;
        if !d.channels.contains(&self.channel) {
            return Err(Refusal::conflict(
                codes::CHANNEL_NOT_OFFERED,
                format!(
                    "{} is not applied for through {:?}",
                    self.service, self.channel
                ),
            ));
        }
        let mut bad = crate::form::check(d, &self.form);
        if Iin::parse(&self.applicant.iin).is_err() {
            bad.push(Violation {
                field: "applicant.iin".into(),
                code: "invalid_iin",
                message: "not a valid IIN".into(),
            });
        }
        if !kezek_core::model::text::is_person_name(self.applicant.name.trim()) {
            bad.push(Violation {
                field: "applicant.name".into(),
                code: "invalid_name",
                message: "must be a person's name".into(),
            });
        }
        for (i, doc) in self.documents.iter().enumerate() {
            if !d.document_words.contains_key(doc) {
                bad.push(Violation {
                    field: format!("documents[{i}]"),
                    code: "unknown_document",
                    message: "is not a document this service knows".into(),
                });
            }
        }
        if !bad.is_empty() {
            return Err(Refusal::Invalid(bad));
        }
        let asked = d.documents.get(&self.channel).cloned().unwrap_or_default();
        let missing: Vec<String> = asked
            .into_iter()
            .filter(|doc| !self.documents.contains(doc))
            .collect();
        Ok(vec![if missing.is_empty() {
            CaseEvent::Filed {
                case_id: self.case_id,
                service: self.service,
                provider: self.provider,
                channel: self.channel,
                applicant: self.applicant,
                form: self.form,
                documents: self.documents,
                at: self.at,
            }
        } else {
            CaseEvent::RefusedToAccept {
                case_id: self.case_id,
                service: self.service,
                provider: self.provider,
                channel: self.channel,
                applicant: self.applicant,
                missing,
                at: self.at,
            }
        }])
    }
}

/// The case `id`, if it is at `status`.
fn at_step<'a>(
    cases: &'a Cases,
    id: &str,
    status: Status,
) -> Result<&'a crate::state::Case, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    if case.status == status {
        Ok(case)
    } else {
        Err(Refusal::conflict(
            codes::CASE_NOT_HERE,
            format!("case {id} is {}", case.status.as_str()),
        ))
    }
}

fn words(field: &str, text: &str, required: bool) -> Result<String, Refusal> {
    let text = text.trim();
    if (required && text.is_empty())
        || !kezek_core::model::text::is_free_text(text, MAX_WORDS) && !text.is_empty()
    {
        return Err(Refusal::invalid(
            field,
            codes::INVALID_TEXT,
            "must be printable text of at most 2000 characters",
        ));
    }
    Ok(text.to_owned())
}

/// The head names the executor.
///
/// # Errors
/// An unknown case, one not awaiting its resolution, or no executor named.
pub fn assign(
    cases: &Cases,
    id: &str,
    executor: &str,
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = at_step(cases, id, Status::AwaitingResolution)?;
    if case
        .custody
        .as_ref()
        .is_some_and(|c| !matches!(c, Custody::Provider))
    {
        return Err(Refusal::conflict(
            codes::NOT_AT_PROVIDER,
            format!("the papers of case {id} have not reached the provider yet"),
        ));
    }
    let executor = words("executor", executor, true)?;
    Ok(vec![CaseEvent::Assigned {
        case_id: id.to_owned(),
        executor,
        at,
    }])
}

/// The executor's draft: the result, or a refusal on the definition's grounds.
///
/// # Errors
/// An unknown case, one not in work, grounds the definition does not list, a refusal
/// without words.
pub fn draft(
    cases: &Cases,
    id: &str,
    (outcome, grounds, note): (Outcome, Vec<String>, &str),
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = at_step(cases, id, Status::InWork)?;
    let listed = cases
        .definition(&case.service)
        .map(|d| d.grounds.iter().map(|g| g.code.clone()).collect::<Vec<_>>())
        .unwrap_or_default();
    let valid = match outcome {
        Outcome::Granted => grounds.is_empty(),
        Outcome::Refused => !grounds.is_empty() && grounds.iter().all(|g| listed.contains(g)),
    };
    if !valid {
        return Err(Refusal::invalid(
            "grounds",
            codes::INVALID_GROUNDS,
            format!(
                "a refusal names one or more of: {}; a result names none",
                listed.join(", ")
            ),
        ));
    }
    let note = words("note", note, outcome == Outcome::Refused)?;
    Ok(vec![CaseEvent::Drafted {
        case_id: id.to_owned(),
        outcome,
        grounds,
        note,
        at,
    }])
}

/// The head sends the draft back.
///
/// # Errors
/// An unknown case, one not awaiting the signature, or no comment.
pub fn send_back(
    cases: &Cases,
    id: &str,
    comment: &str,
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    at_step(cases, id, Status::AwaitingSignature)?;
    Ok(vec![CaseEvent::Returned {
        case_id: id.to_owned(),
        comment: words("comment", comment, true)?,
        at,
    }])
}

/// The head signs; a result that is not paper is issued at once (to the portal's account).
///
/// # Errors
/// An unknown case, or one not awaiting the signature.
pub fn sign(cases: &Cases, id: &str, at: Timestamp) -> Result<Vec<CaseEvent>, Refusal> {
    let case = at_step(cases, id, Status::AwaitingSignature)?;
    // A result filed at a service centre goes back there on paper, whatever the service.
    let paper = cases
        .definition(&case.service)
        .is_some_and(|d| d.results.paper)
        && case.channel != Channel::Portal
        || case.channel == Channel::ServiceCenter;
    let mut events = vec![CaseEvent::Signed {
        case_id: id.to_owned(),
        at,
    }];
    if !paper {
        events.push(CaseEvent::Issued {
            case_id: id.to_owned(),
            at,
        });
    }
    Ok(events)
}

/// The paper result is handed over against signature.
///
/// # Errors
/// An unknown case, or one not awaiting its hand-over.
pub fn hand_over(cases: &Cases, id: &str, at: Timestamp) -> Result<Vec<CaseEvent>, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    // Filed at a centre: collected there, or from the provider's archive after a month.
    let ready = match &case.custody {
        None => case.status == Status::AwaitingIssue,
        Some(c) => matches!(c, Custody::ResultAtCentre { .. } | Custody::Archived),
    };
    if !ready {
        return Err(Refusal::conflict(
            codes::CASE_NOT_HERE,
            format!("case {id} has no result to hand over here"),
        ));
    }
    Ok(vec![CaseEvent::Issued {
        case_id: id.to_owned(),
        at,
    }])
}

/// The applicant complains: about a result issued or a refusal at intake, or about a step
/// that is late.
///
/// # Errors
/// An unknown case, one with nothing to complain about yet, or no words.
pub fn complain(
    cases: &Cases,
    id: &str,
    text: &str,
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    let late = case
        .steps
        .iter()
        .any(|s| s.done.is_none() && s.due.is_some_and(|d| d < at));
    let settled = matches!(case.status, Status::Issued | Status::RefusedToAccept);
    if !late && !settled {
        return Err(Refusal::conflict(
            codes::NOTHING_TO_COMPLAIN,
            format!(
                "case {id} is {} and no step of it is late",
                case.status.as_str()
            ),
        ));
    }
    let number = u32::try_from(case.complaints.len() + 1).unwrap_or(u32::MAX);
    Ok(vec![CaseEvent::Complained {
        case_id: id.to_owned(),
        complaint: number,
        text: words("text", text, true)?,
        at,
    }])
}

/// The head decides complaint `number`.
///
/// # Errors
/// An unknown case, no open complaint with that number, or no reasons.
pub fn decide_complaint(
    cases: &Cases,
    id: &str,
    (number, upheld, reasons): (u32, bool, &str),
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    if !case
        .complaints
        .iter()
        .any(|c| c.number == number && c.decided.is_none())
    {
        return Err(Refusal::conflict(
            codes::NO_SUCH_COMPLAINT,
            format!("case {id} has no open complaint {number}"),
        ));
    }
    Ok(vec![CaseEvent::ComplaintDecided {
        case_id: id.to_owned(),
        complaint: number,
        upheld,
        reasons: words("reasons", reasons, true)?,
        at,
    }])
}

/// Every step whose limit has passed by `now`, not done and not yet noted: one
/// `step_overdue` each (the sweeper journals them once).
#[must_use]
pub fn overdue(cases: &Cases, now: Timestamp) -> Vec<CaseEvent> {
    cases
        .cases()
        .flat_map(|c| {
            c.steps.iter().filter_map(move |s| {
                let due = s.due?;
                (s.done.is_none() && !s.overdue && due < now).then(|| CaseEvent::StepOverdue {
                    case_id: c.id.clone(),
                    step: s.id.clone(),
                    due,
                    at: now,
                })
            })
        })
        .collect()
}

/// A family complains about application `id`'s queue decision (the application layer has
/// checked that it exists and is the family's, and names its `district`).
///
/// # Errors
/// No words.
pub fn complain_about_queue(
    cases: &Cases,
    (id, district): (&str, &str),
    text: &str,
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let number = cases.queue_complaints(id).map_or(0, |(_, l)| l.len()) + 1;
    Ok(vec![CaseEvent::QueueComplained {
        application_id: id.to_owned(),
        district: district.to_owned(),
        complaint: u32::try_from(number).unwrap_or(u32::MAX),
        text: words("text", text, true)?,
        at,
    }])
}

/// The district's department decides complaint `number` about application `id`.
///
/// # Errors
/// No open complaint with that number, or no reasons.
pub fn decide_queue_complaint(
    cases: &Cases,
    id: &str,
    (number, upheld, reasons): (u32, bool, &str),
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let open = cases
        .queue_complaints(id)
        .is_some_and(|(_, l)| l.iter().any(|c| c.number == number && c.decided.is_none()));
    if !open {
        return Err(Refusal::conflict(
            codes::NO_SUCH_COMPLAINT,
            format!("application {id} has no open complaint {number}"),
        ));
    }
    Ok(vec![CaseEvent::QueueComplaintDecided {
        application_id: id.to_owned(),
        complaint: number,
        upheld,
        reasons: words("reasons", reasons, true)?,
        at,
    }])
}

/// Case `id`'s entry leaves its service's register (a candidate adopter removed), on one of
/// the grounds the definition lists, with the head's words.
///
/// # Errors
/// An unknown case; one that is not an active entry of a register (not granted and issued,
/// already removed, or its service keeps none); a ground the definition does not list.
pub fn remove_from_register(
    cases: &Cases,
    id: &str,
    (ground, note): (&str, &str),
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    let d = cases
        .definition(&case.service)
        .ok_or_else(|| Refusal::not_found("service", &case.service))?;
    let entered = d.register
        && case.status == Status::Issued
        && matches!(case.outcome, Some((Outcome::Granted, _, _)))
        && case.removed.is_none();
    if !entered {
        return Err(Refusal::conflict(
            codes::NOT_IN_REGISTER,
            format!("case {id} is not an active entry of a register"),
        ));
    }
    if !d.register_removal.iter().any(|g| g.code == ground) {
        return Err(Refusal::invalid(
            "ground",
            codes::INVALID_GROUNDS,
            "must be one of the service's grounds of removal",
        ));
    }
    Ok(vec![CaseEvent::RemovedFromRegister {
        case_id: id.to_owned(),
        ground: ground.to_owned(),
        note: words("note", note, false)?,
        at,
    }])
}
