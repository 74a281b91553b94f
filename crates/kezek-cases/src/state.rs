//! Every case, as the journal's case events leave it: where it stands, each step's start,
//! due time and completion, the result, the complaints.

use crate::definition::{Channel, Definition, SKELETON};
use crate::due::{due, OfficeHours, Unit};
use crate::event::{Applicant, CaseEvent, Outcome};
use jiff::Timestamp;
use kezek_core::policy::calendar::Calendar;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not accepted: documents were missing (its receipt lists them).
    RefusedToAccept,
    /// Accepted; the head is to name the executor.
    AwaitingResolution,
    /// With the executor.
    InWork,
    /// The draft waits for the head's signature.
    AwaitingSignature,
    /// Signed; the paper result waits to be handed over.
    AwaitingIssue,
    /// Filed at a service centre: the result is on its way there or waits to be collected.
    AwaitingCollection,
    /// Issued.
    Issued,
}

impl Status {
    /// As the API writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefusedToAccept => "refused_to_accept",
            Self::AwaitingResolution => "awaiting_resolution",
            Self::InWork => "in_work",
            Self::AwaitingSignature => "awaiting_signature",
            Self::AwaitingIssue => "awaiting_issue",
            Self::AwaitingCollection => "awaiting_collection",
            Self::Issued => "issued",
        }
    }
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    /// `intake`, `resolution`, `work`, `sign`, `issue`.
    pub id: String,
    /// When it started.
    pub started: Option<Timestamp>,
    /// When it is due.
    pub due: Option<Timestamp>,
    /// When it was done.
    pub done: Option<Timestamp>,
    /// Whether its lateness is journaled.
    pub overdue: bool,
}

/// A complaint about a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Its number within the case.
    pub number: u32,
    /// What the applicant says.
    pub text: String,
    /// When it was made.
    pub at: Timestamp,
    /// When the head's decision is due.
    pub due: Timestamp,
    /// The decision: upheld or not, the reasons, when.
    pub decided: Option<(bool, String, Timestamp)>,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Its number.
    pub id: String,
    /// The service.
    pub service: String,
    /// The organisation that provides it.
    pub provider: String,
    /// Where it was filed.
    pub channel: Channel,
    /// Who asks.
    pub applicant: Applicant,
    /// The form.
    pub form: BTreeMap<String, serde_json::Value>,
    /// The documents handed in (or, refused at intake, the ones missing).
    pub documents: Vec<String>,
    /// Where it stands.
    pub status: Status,
    /// The five steps.
    pub steps: Vec<StepState>,
    /// The executor named.
    pub executor: Option<String>,
    /// The draft's outcome, grounds and note.
    pub outcome: Option<(Outcome, Vec<String>, String)>,
    /// The complaints.
    pub complaints: Vec<Complaint>,
    /// When it was filed.
    pub filed_at: Timestamp,
    /// For an entry of a register, its removal: ground, words, when.
    #[serde(default)]
    pub removed: Option<(String, String, Timestamp)>,
    /// Filed at a service centre: where its papers are.
    #[serde(default)]
    pub custody: Option<crate::transit::Custody>,
    /// The proof files attached, in order.
    #[serde(default)]
    pub files: Vec<kezek_core::event::ProofFile>,
}

impl Case {
    /// The step `id`.
    #[must_use]
    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Marks step `id` done at `at`.
    pub(crate) fn step_done(&mut self, id: &str, at: Timestamp) -> Result<(), ApplyError> {
        let case = self.id.clone();
        let s = self.step_mut(id)?;
        if s.done.is_some() {
            return Err(ApplyError(format!(
                "case {case}: step {id} is done already"
            )));
        }
        s.done = Some(at);
        Ok(())
    }

    fn step_mut(&mut self, id: &str) -> Result<&mut StepState, ApplyError> {
        let case = self.id.clone();
        self.steps
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| ApplyError(format!("case {case} has no step {id}")))
    }
}

/// An event that does not follow from the cases as they are: a bug, or a journal edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ApplyError(pub String);

/// Every case, under the definitions in force and the calendar.
#[derive(Debug, Clone)]
pub struct Cases {
    definitions: BTreeMap<String, Definition>,
    organisations: BTreeMap<String, crate::event::Organisation>,
    calendar: Calendar,
    hours: OfficeHours,
    by_id: BTreeMap<String, Case>,
    /// Complaints about the kindergarten queue's decisions, by application, and the
    /// application's district.
    queue_complaints: BTreeMap<String, (String, Vec<Complaint>)>,
    /// The service centres' batch lists, by number.
    batches: BTreeMap<String, crate::transit::Batch>,
    /// The proof files of the cases: file id → case.
    files: BTreeMap<String, String>,
}

impl Cases {
    /// No case yet, under `definitions` (one per service) and `calendar`.
    #[must_use]
    pub fn new(definitions: Vec<Definition>, calendar: Calendar, hours: OfficeHours) -> Self {
        Self {
            definitions: definitions.into_iter().map(|d| (d.id.clone(), d)).collect(),
            organisations: BTreeMap::new(),
            calendar,
            hours,
            by_id: BTreeMap::new(),
            queue_complaints: BTreeMap::new(),
            batches: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    /// Proof file `id` and the case it is attached to.
    #[must_use]
    pub fn file(&self, id: &str) -> Option<(&Case, &kezek_core::event::ProofFile)> {
        let case = self.by_id.get(self.files.get(id)?)?;
        Some((case, case.files.iter().find(|f| f.file_id == id)?))
    }

    /// Every case's proof files, with their cases.
    pub fn files(&self) -> impl Iterator<Item = (&Case, &kezek_core::event::ProofFile)> {
        self.by_id
            .values()
            .flat_map(|c| c.files.iter().map(move |f| (c, f)))
    }

    /// The cases the journal's records (`extensions`, in order) give, under `calendar`.
    ///
    /// # Errors
    /// A record that is not a case event, or does not apply.
    pub fn from_journal(
        extensions: &[(kezek_core::model::Seq, kezek_core::event::Extension)],
        calendar: Calendar,
        hours: OfficeHours,
    ) -> Result<Self, ApplyError> {
        let mut cases = Self::new(Vec::new(), calendar, hours);
        for (seq, e) in extensions {
            if let Some(event) = crate::event::from_extension(e) {
                let event =
                    event.map_err(|err| ApplyError(format!("journal record {seq}: {err}")))?;
                cases
                    .apply(&event)
                    .map_err(|err| ApplyError(format!("journal record {seq}: {err}")))?;
            }
        }
        Ok(cases)
    }

    /// The complaints about application `id`'s queue decisions, and its district.
    #[must_use]
    pub fn queue_complaints(&self, id: &str) -> Option<(&str, &[Complaint])> {
        self.queue_complaints
            .get(id)
            .map(|(d, c)| (d.as_str(), c.as_slice()))
    }

    /// Batch `id`.
    #[must_use]
    pub fn batch(&self, id: &str) -> Option<&crate::transit::Batch> {
        self.batches.get(id)
    }

    /// Every batch, by number.
    pub fn batches(&self) -> impl Iterator<Item = &crate::transit::Batch> {
        self.batches.values()
    }

    pub(crate) fn batch_mut(&mut self, id: &str) -> Option<&mut crate::transit::Batch> {
        self.batches.get_mut(id)
    }

    pub(crate) fn insert_batch(&mut self, b: crate::transit::Batch) {
        self.batches.insert(b.id.clone(), b);
    }

    pub(crate) fn case_mut(&mut self, id: &str) -> Result<&mut Case, ApplyError> {
        self.get(id)
    }

    pub(crate) fn start_step(
        &mut self,
        id: &str,
        step: &str,
        at: Timestamp,
    ) -> Result<(), ApplyError> {
        self.start(id, step, at)
    }

    /// The calendar the due times follow.
    #[must_use]
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The office's working hours.
    #[must_use]
    pub fn hours(&self) -> &OfficeHours {
        &self.hours
    }

    /// Every application with complaints about its queue decisions: id, district, complaints.
    pub fn all_queue_complaints(&self) -> impl Iterator<Item = (&str, &str, &[Complaint])> {
        self.queue_complaints
            .iter()
            .map(|(id, (d, l))| (id.as_str(), d.as_str(), l.as_slice()))
    }

    /// Organisation `id` (a school).
    #[must_use]
    pub fn organisation(&self, id: &str) -> Option<&crate::event::Organisation> {
        self.organisations.get(id)
    }

    /// Every organisation, by id.
    pub fn organisations(&self) -> impl Iterator<Item = &crate::event::Organisation> {
        self.organisations.values()
    }

    /// The definition of `service`.
    #[must_use]
    pub fn definition(&self, service: &str) -> Option<&Definition> {
        self.definitions.get(service)
    }

    /// Every definition in force.
    pub fn definitions(&self) -> impl Iterator<Item = &Definition> {
        self.definitions.values()
    }

    /// Case `id`.
    #[must_use]
    pub fn case(&self, id: &str) -> Option<&Case> {
        self.by_id.get(id)
    }

    /// Every case, by number.
    pub fn cases(&self) -> impl Iterator<Item = &Case> {
        self.by_id.values()
    }

    /// When a step of `service` that starts at `start` is due.
    #[must_use]
    pub fn due_of(&self, service: &str, step: &str, start: Timestamp) -> Option<Timestamp> {
        let s = self.definitions.get(service)?.step(step)?;
        Some(due(start, s.limit, s.unit, &self.calendar, &self.hours))
    }

    /// When a complaint made at `at` about a case of `service` is to be decided.
    #[must_use]
    pub fn complaint_due(&self, service: &str, at: Timestamp) -> Timestamp {
        let days = self
            .definitions
            .get(service)
            .map_or(5, |d| d.complaint_working_days);
        due(at, days, Unit::WorkingDays, &self.calendar, &self.hours)
    }

    /// Applies `event`.
    ///
    /// # Errors
    /// It does not follow from the cases as they are.
    pub fn apply(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::DefinitionsAdopted { definitions, .. } => {
                let mut read = BTreeMap::new();
                for d in definitions {
                    let def = Definition::from_toml(&d.text)
                        .map_err(|e| ApplyError(format!("{}: {e}", d.file)))?;
                    read.insert(def.id.clone(), def);
                }
                self.definitions = read;
                Ok(())
            }
            CaseEvent::OrganisationSet { organisation, .. } => {
                self.organisations
                    .insert(organisation.id.clone(), organisation.clone());
                Ok(())
            }
            CaseEvent::Filed { .. } | CaseEvent::RefusedToAccept { .. } => self.apply_filing(event),
            CaseEvent::FileAttached { case_id, file, .. } => {
                if self.files.contains_key(&file.file_id) {
                    return Err(ApplyError(format!("file {} attached twice", file.file_id)));
                }
                self.get(case_id)?.files.push(file.clone());
                self.files.insert(file.file_id.clone(), case_id.clone());
                Ok(())
            }
            CaseEvent::Complained { .. } | CaseEvent::ComplaintDecided { .. } => {
                self.apply_complaint(event)
            }
            CaseEvent::CalendarAdopted { calendar, .. } => {
                self.calendar = calendar
                    .calendar()
                    .ok_or_else(|| ApplyError("a calendar out of range".into()))?;
                Ok(())
            }
            CaseEvent::QueueComplained { .. } | CaseEvent::QueueComplaintDecided { .. } => {
                self.apply_queue_complaint(event)
            }
            CaseEvent::BatchSent { .. }
            | CaseEvent::BatchReceived { .. }
            | CaseEvent::BatchOverdue { .. }
            | CaseEvent::Archived { .. } => self.apply_centre(event),
            _ => self.apply_step(event),
        }
    }

    fn apply_filing(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::Filed {
                case_id,
                service,
                provider,
                channel,
                applicant,
                form,
                documents,
                at,
            } => {
                self.open(case_id, service, (provider, *channel, applicant), *at)?;
                let case = self.get(case_id)?;
                case.form.clone_from(form);
                case.documents.clone_from(documents);
                if *channel == Channel::ServiceCenter {
                    // The papers wait for the centre's courier; the provider's time starts
                    // when they reach it.
                    case.custody = Some(crate::transit::Custody::Centre);
                    return Ok(());
                }
                self.start(case_id, "resolution", *at)
            }
            CaseEvent::RefusedToAccept {
                case_id,
                service,
                provider,
                channel,
                applicant,
                missing,
                at,
            } => {
                self.open(case_id, service, (provider, *channel, applicant), *at)?;
                let case = self.get(case_id)?;
                case.status = Status::RefusedToAccept;
                case.documents.clone_from(missing);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn apply_step(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::Assigned {
                case_id,
                executor,
                at,
            } => {
                self.finish(case_id, "resolution", Status::AwaitingResolution, *at)?;
                self.get(case_id)?.executor = Some(executor.clone());
                self.start(case_id, "work", *at)?;
                self.get(case_id)?.status = Status::InWork;
                Ok(())
            }
            CaseEvent::Drafted {
                case_id,
                outcome,
                grounds,
                note,
                at,
            } => {
                self.finish(case_id, "work", Status::InWork, *at)?;
                self.get(case_id)?.outcome = Some((*outcome, grounds.clone(), note.clone()));
                self.start(case_id, "sign", *at)?;
                self.get(case_id)?.status = Status::AwaitingSignature;
                Ok(())
            }
            CaseEvent::Returned { case_id, .. } => {
                let case = self.get(case_id)?;
                expect(case, Status::AwaitingSignature)?;
                let work = case.step_mut("work")?;
                work.done = None;
                let sign = case.step_mut("sign")?;
                (sign.started, sign.due) = (None, None);
                case.outcome = None;
                case.status = Status::InWork;
                Ok(())
            }
            CaseEvent::Signed { case_id, at } => {
                self.finish(case_id, "sign", Status::AwaitingSignature, *at)?;
                self.start(case_id, "issue", *at)?;
                self.get(case_id)?.status = Status::AwaitingIssue;
                Ok(())
            }
            CaseEvent::Issued { case_id, at } => {
                let case = self.get(case_id)?;
                if let Some(custody) = &mut case.custody {
                    use crate::transit::Custody;
                    if !matches!(custody, Custody::ResultAtCentre { .. } | Custody::Archived) {
                        return Err(ApplyError(format!("case {case_id}: no result to collect")));
                    }
                    *custody = Custody::Collected;
                    case.status = Status::Issued;
                    return Ok(());
                }
                self.finish(case_id, "issue", Status::AwaitingIssue, *at)?;
                self.get(case_id)?.status = Status::Issued;
                Ok(())
            }
            CaseEvent::RemovedFromRegister {
                case_id,
                ground,
                note,
                at,
            } => {
                let case = self.get(case_id)?;
                expect(case, Status::Issued)?;
                if case.removed.is_some() {
                    return Err(ApplyError(format!(
                        "case {case_id} left the register already"
                    )));
                }
                case.removed = Some((ground.clone(), note.clone(), *at));
                Ok(())
            }
            CaseEvent::StepOverdue { case_id, step, .. } => {
                let s = self.get(case_id)?.step_mut(step)?;
                if s.overdue || s.done.is_some() {
                    return Err(ApplyError(format!(
                        "case {case_id}: step {step} is done or already overdue"
                    )));
                }
                s.overdue = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn apply_complaint(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::Complained {
                case_id,
                complaint,
                text,
                at,
            } => {
                let service = self.get(case_id)?.service.clone();
                let due = self.complaint_due(&service, *at);
                let case = self.get(case_id)?;
                if *complaint as usize != case.complaints.len() + 1 {
                    return Err(ApplyError(format!(
                        "case {case_id}: complaint {complaint} out of order"
                    )));
                }
                case.complaints.push(Complaint {
                    number: *complaint,
                    text: text.clone(),
                    at: *at,
                    due,
                    decided: None,
                });
                Ok(())
            }
            CaseEvent::ComplaintDecided {
                case_id,
                complaint,
                upheld,
                reasons,
                at,
            } => {
                let c = self
                    .get(case_id)?
                    .complaints
                    .iter_mut()
                    .find(|c| c.number == *complaint && c.decided.is_none())
                    .ok_or_else(|| {
                        ApplyError(format!("case {case_id}: no open complaint {complaint}"))
                    })?;
                c.decided = Some((*upheld, reasons.clone(), *at));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn apply_queue_complaint(&mut self, event: &CaseEvent) -> Result<(), ApplyError> {
        match event {
            CaseEvent::QueueComplained {
                application_id,
                district,
                complaint,
                text,
                at,
            } => {
                let due = self.complaint_due("kindergarten_queue", *at);
                let (_, list) = self
                    .queue_complaints
                    .entry(application_id.clone())
                    .or_insert_with(|| (district.clone(), Vec::new()));
                if *complaint as usize != list.len() + 1 {
                    return Err(ApplyError(format!(
                        "application {application_id}: complaint {complaint} out of order"
                    )));
                }
                list.push(Complaint {
                    number: *complaint,
                    text: text.clone(),
                    at: *at,
                    due,
                    decided: None,
                });
                Ok(())
            }
            CaseEvent::QueueComplaintDecided {
                application_id,
                complaint,
                upheld,
                reasons,
                at,
            } => {
                let c = self
                    .queue_complaints
                    .get_mut(application_id)
                    .and_then(|(_, l)| {
                        l.iter_mut()
                            .find(|c| c.number == *complaint && c.decided.is_none())
                    })
                    .ok_or_else(|| {
                        ApplyError(format!(
                            "application {application_id}: no open complaint {complaint}"
                        ))
                    })?;
                c.decided = Some((*upheld, reasons.clone(), *at));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn get(&mut self, id: &str) -> Result<&mut Case, ApplyError> {
        self.by_id
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown case {id}")))
    }

    /// A new case with its intake done at `at`.
    fn open(
        &mut self,
        id: &str,
        service: &str,
        (provider, channel, applicant): (&str, Channel, &Applicant),
        at: Timestamp,
    ) -> Result<(), ApplyError> {
        if self.by_id.contains_key(id) {
            return Err(ApplyError(format!("case id {id} reused")));
        }
        if !self.definitions.contains_key(service) {
            return Err(ApplyError(format!("unknown service {service}")));
        }
        let steps = SKELETON
            .iter()
            .map(|(step, _)| StepState {
                id: (*step).to_owned(),
                started: None,
                due: None,
                done: None,
                overdue: false,
            })
            .collect();
        self.by_id.insert(
            id.to_owned(),
            Case {
                id: id.to_owned(),
                service: service.to_owned(),
                provider: provider.to_owned(),
                channel,
                applicant: applicant.clone(),
                form: BTreeMap::new(),
                documents: Vec::new(),
                status: Status::AwaitingResolution,
                steps,
                executor: None,
                outcome: None,
                complaints: Vec::new(),
                removed: None,
                custody: None,
                filed_at: at,
                files: Vec::new(),
            },
        );
        self.start(id, "intake", at)?;
        let intake = self.get(id)?.step_mut("intake")?;
        intake.done = Some(at);
        Ok(())
    }

    fn start(&mut self, id: &str, step: &str, at: Timestamp) -> Result<(), ApplyError> {
        let service = self.get(id)?.service.clone();
        let due = self
            .due_of(&service, step, at)
            .ok_or_else(|| ApplyError(format!("service {service} has no step {step}")))?;
        let s = self.get(id)?.step_mut(step)?;
        if s.started.is_none() {
            s.started = Some(at);
            s.due = Some(due);
        }
        Ok(())
    }

    fn finish(
        &mut self,
        id: &str,
        step: &str,
        status: Status,
        at: Timestamp,
    ) -> Result<(), ApplyError> {
        let case = self.get(id)?;
        expect(case, status)?;
        let s = case.step_mut(step)?;
        if s.done.is_some() {
            return Err(ApplyError(format!(
                "case {id}: step {step} is done already"
            )));
        }
        s.done = Some(at);
        Ok(())
    }
}

fn expect(case: &Case, status: Status) -> Result<(), ApplyError> {
    if case.status == status {
        Ok(())
    } else {
        Err(ApplyError(format!(
            "case {} is {}, not {}",
            case.id,
            case.status.as_str(),
            status.as_str()
        )))
    }
}
