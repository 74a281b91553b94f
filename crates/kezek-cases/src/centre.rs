//! The public service centre's part (ЦОН / ХҚКО), as the regulations and their standards
//! describe it: an application accepted at the centre goes to the provider with the centre's
//! courier in a batch list (реестр), delivered within one working day; the provider's time
//! starts when it receives it; the signed result goes back the same way, the family
//! collects it at the centre, and a result not collected within one month leaves the centre
//! for the provider's archive (where the family can still collect it).

use crate::command::codes;
use crate::definition::Channel;
use crate::due::{due, Unit};
use crate::event::CaseEvent;
use crate::state::{ApplyError, Cases, Status};
use jiff::Timestamp;
use kezek_core::command::Refusal;
use std::collections::BTreeSet;

pub use crate::transit::{month_after, Batch, Custody, Direction, COURIER_WORKING_DAYS};

/// A batch to send, as the application layer asks for it.
#[derive(Debug, Clone)]
pub struct Send {
    /// Its number (from the journal record that sends it).
    pub batch_id: String,
    /// Which way.
    pub direction: Direction,
    /// The centre (the district it serves).
    pub centre: String,
    /// The provider.
    pub provider: String,
    /// The cases.
    pub cases: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl Send {
    /// Decides the batch on `cases`.
    ///
    /// # Errors
    /// No case, a case twice, a case not filed at a centre, of another provider, or not
    /// where the batch can take it.
    pub fn decide(self, cases: &Cases) -> Result<Vec<CaseEvent>, Refusal> {
        if self.cases.is_empty() {
            return Err(Refusal::invalid(
                "cases",
                codes::INVALID_BATCH,
                "must list at least one case",
            ));
        }
        let mut seen = BTreeSet::new();
        for id in &self.cases {
            let case = cases
                .case(id)
                .ok_or_else(|| Refusal::not_found("case", id))?;
            if !seen.insert(id) {
                return Err(Refusal::invalid(
                    "cases",
                    codes::INVALID_BATCH,
                    "lists a case twice",
                ));
            }
            if case.channel != Channel::ServiceCenter || case.provider != self.provider {
                return Err(Refusal::invalid(
                    "cases",
                    codes::INVALID_BATCH,
                    "lists a case not filed at a centre for this provider",
                ));
            }
            let ready = match self.direction {
                Direction::ToProvider => {
                    case.custody == Some(Custody::Centre)
                        && case.status == Status::AwaitingResolution
                }
                Direction::ToCentre => {
                    case.custody == Some(Custody::Provider) && case.status == Status::AwaitingIssue
                }
            };
            if !ready {
                return Err(Refusal::conflict(
                    codes::CASE_NOT_HERE,
                    format!("case {id} is not waiting for this courier"),
                ));
            }
        }
        Ok(vec![CaseEvent::BatchSent {
            batch_id: self.batch_id,
            direction: self.direction,
            centre: self.centre,
            provider: self.provider,
            cases: self.cases,
            at: self.at,
        }])
    }
}

/// The other side receives batch `id`.
///
/// # Errors
/// No such batch, or received already.
pub fn receive(cases: &Cases, id: &str, at: Timestamp) -> Result<Vec<CaseEvent>, Refusal> {
    let batch = cases
        .batch(id)
        .ok_or_else(|| Refusal::not_found("batch", &id))?;
    if batch.received_at.is_some() {
        return Err(Refusal::conflict(
            codes::BATCH_RECEIVED,
            format!("batch {id} was received already"),
        ));
    }
    Ok(vec![CaseEvent::BatchReceived {
        batch_id: id.to_owned(),
        at,
    }])
}

/// What the passing of time does at the centre by `now`: a batch not delivered within its
/// working day is noted late once; a result not collected within a month goes to the
/// provider's archive.
#[must_use]
pub fn sweep(cases: &Cases, now: Timestamp) -> Vec<CaseEvent> {
    let late = cases
        .batches()
        .filter(|b| b.received_at.is_none() && !b.overdue && b.due < now)
        .map(|b| CaseEvent::BatchOverdue {
            batch_id: b.id.clone(),
            due: b.due,
            at: now,
        });
    let uncollected = cases.cases().filter_map(move |c| match c.custody {
        Some(Custody::ResultAtCentre { since }) if month_after(since) < now => {
            Some(CaseEvent::Archived {
                case_id: c.id.clone(),
                at: now,
            })
        }
        _ => None,
    });
    late.chain(uncollected).collect()
}

impl Cases {
    /// Applies a centre event.
    pub(crate) fn apply_centre(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::BatchSent {
                batch_id,
                direction,
                centre,
                provider,
                cases,
                at,
            } => {
                if self.batch(batch_id).is_some() {
                    return Err(ApplyError(format!("batch id {batch_id} reused")));
                }
                self.put_in_batch(batch_id, *direction, cases, *at)?;
                let due = due(
                    *at,
                    COURIER_WORKING_DAYS,
                    Unit::WorkingDays,
                    self.calendar(),
                    self.hours(),
                );
                self.insert_batch(Batch {
                    id: batch_id.clone(),
                    direction: *direction,
                    centre: centre.clone(),
                    provider: provider.clone(),
                    cases: cases.clone(),
                    sent_at: *at,
                    due,
                    received_at: None,
                    overdue: false,
                });
                Ok(())
            }
            CaseEvent::BatchReceived { batch_id, at } => {
                let batch = self
                    .batch_mut(batch_id)
                    .filter(|b| b.received_at.is_none())
                    .ok_or_else(|| ApplyError(format!("no batch {batch_id} on its way")))?;
                batch.received_at = Some(*at);
                let (direction, ids) = (batch.direction, batch.cases.clone());
                for id in &ids {
                    match direction {
                        Direction::ToProvider => {
                            self.case_mut(id)?.custody = Some(Custody::Provider);
                            // The provider's time starts when the papers reach it.
                            self.start_step(id, "resolution", *at)?;
                        }
                        Direction::ToCentre => {
                            self.case_mut(id)?.custody =
                                Some(Custody::ResultAtCentre { since: *at });
                        }
                    }
                }
                Ok(())
            }
            CaseEvent::BatchOverdue { batch_id, .. } => {
                let batch = self
                    .batch_mut(batch_id)
                    .filter(|b| b.received_at.is_none() && !b.overdue)
                    .ok_or_else(|| ApplyError(format!("batch {batch_id} is not late")))?;
                batch.overdue = true;
                Ok(())
            }
            CaseEvent::Archived { case_id, .. } => {
                let case = self.case_mut(case_id)?;
                if !matches!(case.custody, Some(Custody::ResultAtCentre { .. })) {
                    return Err(ApplyError(format!(
                        "case {case_id} has no result at a centre"
                    )));
                }
                case.custody = Some(Custody::Archived);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Each of `cases` goes with the courier in batch `batch_id`.
    fn put_in_batch(
        &mut self,
        batch_id: &str,
        direction: Direction,
        cases: &[String],
        at: Timestamp,
    ) -> Result<(), ApplyError> {
        for id in cases {
            let case = self.case_mut(id)?;
            let (from, to, status) = match direction {
                Direction::ToProvider => (
                    Custody::Centre,
                    Custody::ToProvider {
                        batch: batch_id.to_owned(),
                    },
                    Status::AwaitingResolution,
                ),
                Direction::ToCentre => (
                    Custody::Provider,
                    Custody::ToCentre {
                        batch: batch_id.to_owned(),
                    },
                    Status::AwaitingIssue,
                ),
            };
            if case.custody.as_ref() != Some(&from) || case.status != status {
                return Err(ApplyError(format!(
                    "case {id} cannot go in batch {batch_id}"
                )));
            }
            case.custody = Some(to);
            if direction == Direction::ToCentre {
                // Handing the result to the centre's courier is the issue step.
                case.step_done("issue", at)?;
                case.status = Status::AwaitingCollection;
            }
        }
        Ok(())
    }
}
