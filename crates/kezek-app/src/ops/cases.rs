//! The departments' other services (`kezek_cases`): the definitions in force (adopted into the
//! journal at the first start, like the policy), the organisations that provide them, cases
//! filed, worked on, signed and issued, complaints, and the late steps the sweep journals.
//! A case command is decided on the cases under the state's write lock and journaled as the
//! case engine's records (`extension`, domain `cases`), so the journal's order is the cases'.

use crate::access::{Auth, Caller, CaseFilers, CaseReaders, CaseWorkers, Role, Staff};
use crate::app::write::Written;
use crate::{App, AppError};
use jiff::Timestamp;
use kezek_cases::command::{self, File};
use kezek_cases::definition::Channel;
use kezek_cases::event::{
    AdoptedDefinition, Applicant, CalendarRecord, CaseEvent, Organisation, Outcome,
};
use kezek_cases::state::{Case, Cases};
use kezek_core::command::Refusal;
use kezek_core::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use kezek_cases::definition::Words;
pub use kezek_cases::event::Outcome as CaseOutcome;

// The definitions Kezek ships (`services/*.toml`, listed by the build script): one variant per
// service is adopted at a journal's first start, the first of each service by file name.
include!(concat!(env!("OUT_DIR"), "/services.rs"));

/// A service as `GET /v1/services` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    /// Its id.
    pub service: String,
    /// The regional variant in force.
    pub variant: String,
    /// Its regulation.
    pub regulation: String,
    /// Its name.
    #[schema(value_type = Object)]
    pub name: Words,
    /// Who provides it: `district`, `school`, `kindergarten`.
    pub provider: String,
    /// Where it is applied for.
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<Channel>,
    /// The documents of each channel, by id, and their names.
    #[schema(value_type = Object)]
    pub documents: serde_json::Value,
    /// The steps with their limits.
    #[schema(value_type = Object)]
    pub steps: serde_json::Value,
    /// The form's fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// The grounds of a reasoned refusal: code and words.
    #[schema(value_type = Object)]
    pub grounds: serde_json::Value,
    /// The grounds an entry leaves the service's register on (empty: it keeps none).
    #[schema(value_type = Object)]
    pub register_removal: serde_json::Value,
}

/// A case as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// Its number.
    pub case_id: String,
    /// The service.
    pub service: String,
    /// The organisation that provides it.
    pub provider: String,
    /// Who asks: `{"iin", "name"}`.
    #[schema(value_type = Object)]
    pub applicant: Applicant,
    /// `refused_to_accept`, `awaiting_resolution`, `in_work`, `awaiting_signature`,
    /// `awaiting_issue`, `issued`.
    pub status: String,
    /// Each step: who acts, when it started, when it is due, when it was done, whether late.
    #[schema(value_type = Object)]
    pub steps: serde_json::Value,
    /// The documents missing, when it was refused at intake.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The draft's outcome (`granted`, `refused`) and grounds, once drafted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<serde_json::Value>,
    /// The complaints.
    #[schema(value_type = Object)]
    pub complaints: serde_json::Value,
    /// Filed at a service centre: where its papers are (`{"at": "centre"}`, `to_provider`
    /// with its `batch`, `provider`, `to_centre`, `result_at_centre` with `since`,
    /// `archived`, `collected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub custody: Option<serde_json::Value>,
    /// For an entry of a register (a granted result issued by a service that keeps one):
    /// `{"status": "active"}`, or `{"status": "removed", "ground", "note", "at"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub register: Option<serde_json::Value>,
    /// The proof files attached (what they are, never their bytes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::views::FileEntry>,
    /// The journal's seq this view reflects.
    pub as_of_seq: u64,
}

impl CaseView {
    pub(crate) fn of(c: &Case, now: Timestamp, seq: u64) -> Self {
        Self::in_register(c, now, seq, false)
    }

    /// The view of `c`, with its register entry when its service keeps one (`register`).
    fn in_register(c: &Case, now: Timestamp, seq: u64, register: bool) -> Self {
        let steps = c
            .steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "step": s.id, "started": s.started, "due": s.due, "done": s.done,
                    "late": s.done.is_none() && s.due.is_some_and(|d| d < now) || s.overdue,
                })
            })
            .collect();
        let complaints = c
            .complaints
            .iter()
            .map(|k| {
                serde_json::json!({
                    "complaint": k.number, "text": k.text, "at": k.at, "due": k.due,
                    "late": k.decided.is_none() && k.due < now,
                    "decision": k.decided.as_ref().map(|(upheld, reasons, at)| serde_json::json!({"upheld": upheld, "reasons": reasons, "at": at})),
                })
            })
            .collect();
        Self {
            case_id: c.id.clone(),
            service: c.service.clone(),
            provider: c.provider.clone(),
            applicant: c.applicant.clone(),
            status: c.status.as_str().to_owned(),
            steps: serde_json::Value::Array(steps),
            missing: if c.status == kezek_cases::state::Status::RefusedToAccept {
                c.documents.clone()
            } else {
                Vec::new()
            },
            outcome: c.outcome.as_ref().map(|(o, grounds, note)| {
                serde_json::json!({"outcome": o, "grounds": grounds, "note": note})
            }),
            complaints: serde_json::Value::Array(complaints),
            custody: c
                .custody
                .as_ref()
                .and_then(|k| serde_json::to_value(k).ok()),
            register: (register
                && c.status == kezek_cases::state::Status::Issued
                && matches!(c.outcome, Some((Outcome::Granted, _, _))))
            .then(|| match &c.removed {
                None => serde_json::json!({"status": "active"}),
                Some((ground, note, at)) => serde_json::json!({
                    "status": "removed", "ground": ground, "note": note, "at": at,
                }),
            }),
            files: c.files.iter().map(crate::views::FileEntry::from).collect(),
            as_of_seq: seq,
        }
    }
}

/// A service's cases in a district, for its dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceFigures {
    /// The service.
    pub service: String,
    /// Its name.
    pub name: Words,
    /// Cases not yet issued.
    pub open: u32,
    /// Cases issued.
    pub issued: u32,
    /// Applications refused at intake.
    pub refused_to_accept: u32,
    /// Per step, the cases there now.
    pub steps: Vec<StepFigures>,
}

/// The cases at one step now.
#[derive(Debug, Clone, Serialize)]
pub struct StepFigures {
    /// The step.
    pub step: String,
    /// What it is.
    pub what: Words,
    /// Within their limit.
    pub on_time: u32,
    /// Past it.
    pub late: u32,
}

/// A case to file, as `POST /v1/services/{service}/cases` takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// The organisation asked (a district id, or a school's id).
    pub provider: String,
    /// `office`, `service_center` or `portal`.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// Who asks: `{"iin", "name"}`.
    #[schema(value_type = Object)]
    pub applicant: Applicant,
    /// The form, by the service's field keys.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: BTreeMap<String, serde_json::Value>,
    /// The documents handed in, by id.
    #[serde(default)]
    pub documents: Vec<String>,
}

/// An act on a case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "act", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseAct {
    /// The head names the executor.
    Assign {
        /// Who (their key id or official id).
        executor: String,
    },
    /// The executor's draft.
    Draft {
        /// `granted` or `refused`.
        #[schema(value_type = String)]
        outcome: Outcome,
        /// The refusal's grounds (codes of the service).
        #[serde(default)]
        grounds: Vec<String>,
        /// The executor's words (required for a refusal).
        #[serde(default)]
        note: String,
    },
    /// The head signs.
    Sign,
    /// The head sends the draft back.
    Return {
        /// Why.
        comment: String,
    },
    /// The paper result is handed over.
    HandOver,
    /// The head removes the case's entry from its service's register.
    RemoveFromRegister {
        /// The ground (a code of the service's `register_removal`).
        ground: String,
        /// The head's words.
        #[serde(default)]
        note: String,
    },
    /// The applicant complains.
    Complain {
        /// What they say.
        text: String,
    },
    /// The head decides a complaint.
    DecideComplaint {
        /// Which.
        complaint: u32,
        /// Upheld or not.
        upheld: bool,
        /// Why.
        reasons: String,
    },
}

/// An organisation (a school) as set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    /// Its id.
    pub id: String,
    /// `school`.
    pub kind: String,
    /// Its name in Kazakh and Russian.
    #[schema(value_type = Object)]
    pub name: Words,
    /// Its address in Kazakh and Russian.
    #[schema(value_type = Object)]
    pub address: Words,
    /// Its district.
    pub district: String,
}

/// An organisation (a school) as `PUT /v1/organisations/{id}` takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationForm {
    /// `school`.
    pub kind: String,
    /// Its name in Kazakh and Russian.
    #[schema(value_type = Object)]
    pub name: Words,
    /// Its address in Kazakh and Russian.
    #[schema(value_type = Object)]
    pub address: Words,
    /// The district it belongs to.
    pub district: String,
}

/// Whether `caller` may see case `c`: heads and executors of its organisation, clerks and
/// staff of its district, the portal (for the applicant), auditors and admin.
pub(crate) fn may_see(
    caller: &Caller,
    cases: &Cases,
    state: &kezek_core::State,
    c: &Case,
) -> Result<(), AppError> {
    match caller.role {
        Role::Portal => {
            caller.acts_for((kezek_core::model::Iin::parse(&c.applicant.iin).ok(), None))
        }
        Role::Head | Role::Executor => caller.require_scope(caller.role, &c.provider),
        Role::Clerk | Role::Staff => {
            let district =
                crate::access::district_of_provider(cases, state, &c.service, &c.provider)
                    .unwrap_or_default();
            caller.district_scope(&district)
        }
        _ => Ok(()),
    }
}

fn refused(r: Refusal) -> AppError {
    AppError::Refused(r)
}

impl App {
    /// Adopts Kezek's own service definitions if the journal has none yet (its first start,
    /// or the first after the upgrade), with the policy's calendar, and the calendar of a
    /// policy adopted since (at a start, an import, `policy adopt`). Returns whether it wrote.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub async fn journal_definitions(self: &Arc<Self>) -> Result<bool, AppError> {
        let mut wrote = false;
        if self.cases.read().definitions().next().is_none() {
            let mut seen = std::collections::BTreeSet::new();
            let definitions: Vec<AdoptedDefinition> = BUILTIN
                .iter()
                .filter(|(file, _)| seen.insert(file.split('.').next().unwrap_or(file)))
                .map(|(file, text)| AdoptedDefinition {
                    file: (*file).to_owned(),
                    text: (*text).to_owned(),
                })
                .collect();
            // With the calendar in force: the due times a replay computes are the ones
            // computed now, whatever policy is in force when it runs.
            let calendar = self.peek(|s| CalendarRecord::of(&s.policy().calendar))?;
            self.case_write(
                &Caller::operator(),
                move |_, at, _| {
                    Ok(vec![
                        CaseEvent::DefinitionsAdopted { definitions, at },
                        CaseEvent::CalendarAdopted { calendar, at },
                    ])
                },
                |_, _| Written::json(200, &serde_json::Value::Null),
            )
            .await?;
            wrote = true;
        }
        // A policy adopted since brings its calendar: due times from now on follow it.
        let changed = self.peek(|s| {
            (self.cases.read().calendar() != &s.policy().calendar)
                .then(|| CalendarRecord::of(&s.policy().calendar))
        })?;
        if let Some(calendar) = changed {
            self.case_write(
                &Caller::operator(),
                move |_, at, _| Ok(vec![CaseEvent::CalendarAdopted { calendar, at }]),
                |_, _| Written::json(200, &serde_json::Value::Null),
            )
            .await?;
            wrote = true;
        }
        Ok(wrote)
    }

    /// Decides a case command on the cases and journals its events, under the state's write
    /// lock; `answer` is made from the cases afterwards.
    pub(crate) async fn case_write(
        self: &Arc<Self>,
        caller: &Caller,
        decide: impl FnOnce(&Cases, Timestamp, u64) -> Result<Vec<CaseEvent>, Refusal> + Send,
        answer: impl FnOnce(&Cases, &[CaseEvent]) -> Written + Send,
    ) -> Result<Written, AppError> {
        self.case_write_stored(caller, Vec::new(), decide, answer)
            .await
    }

    /// [`Self::case_write`] with proof files (id, bytes) stored in the same commit.
    pub(crate) async fn case_write_stored(
        self: &Arc<Self>,
        caller: &Caller,
        files: Vec<(String, Vec<u8>)>,
        decide: impl FnOnce(&Cases, Timestamp, u64) -> Result<Vec<CaseEvent>, Refusal> + Send,
        answer: impl FnOnce(&Cases, &[CaseEvent]) -> Written + Send,
    ) -> Result<Written, AppError> {
        let app = Arc::clone(self);
        let decided: Arc<parking_lot::Mutex<Vec<CaseEvent>>> = Arc::default();
        let kept = Arc::clone(&decided);
        let cases = Arc::clone(self);
        self.write_stored(
            caller,
            None,
            files,
            move |state, at| {
                let mut c = app.cases.write();
                let next = state.last_seq().get() + 1;
                let events = decide(&c, at, next).map_err(refused)?;
                let mut out = Vec::with_capacity(events.len());
                for e in &events {
                    c.apply(e).map_err(|err| {
                        AppError::Unavailable(crate::error::Unavailable::Poisoned(Arc::from(
                            format!("a case event did not apply: {err}"),
                        )))
                    })?;
                    let record = kezek_cases::event::to_extension(e)
                        .map_err(|err| AppError::invalid("case", "invalid", err.to_string()))?;
                    out.push(Event::Extension(Box::new(record)));
                }
                *kept.lock() = events;
                Ok(out)
            },
            move |_, _, _| answer(&cases.cases.read(), &decided.lock()),
        )
        .await
    }

    /// The services in force: the kindergarten queue (its own rules, `docs/rules.md`), then
    /// every service whose definition the journal adopted.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn services(&self) -> Result<Vec<ServiceView>, AppError> {
        let queue = self.peek(|s| {
            let p = s.policy();
            ServiceView {
                service: "kindergarten_queue".into(),
                variant: p.name.clone(),
                regulation: "docs/rules.md".into(),
                name: Words {
                    kk: super::queue_complaints::QUEUE_SERVICE.kk.into(),
                    ru: super::queue_complaints::QUEUE_SERVICE.ru.into(),
                },
                provider: "district".into(),
                channels: vec![Channel::Office, Channel::ServiceCenter, Channel::Portal],
                documents: serde_json::json!({"by_channel": {
                    "office": p.documents.office.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                    "service_center": p.documents.service_center.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                    "portal": p.documents.portal.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                }}),
                steps: serde_json::json!([]),
                fields: serde_json::json!([]),
                grounds: serde_json::json!([]),
                register_removal: serde_json::json!([]),
            }
        })?;
        let mut all = vec![queue];
        all.extend(self.cases.read().definitions()
            .map(|d| ServiceView {
                service: d.id.clone(),
                variant: d.variant.clone(),
                regulation: d.regulation.clone(),
                name: d.name.clone(),
                provider: serde_json::to_value(d.provider)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                channels: d.channels.clone(),
                documents: serde_json::json!({"by_channel": d.documents, "names": d.document_words}),
                steps: serde_json::to_value(&d.steps).unwrap_or_default(),
                fields: serde_json::to_value(&d.fields).unwrap_or_default(),
                grounds: serde_json::to_value(&d.grounds).unwrap_or_default(),
                register_removal: serde_json::to_value(&d.register_removal).unwrap_or_default(),
            }));
        Ok(all)
    }

    /// The register a service keeps (the candidate adopters): every case of `service` whose
    /// result was granted and issued that the caller may see, oldest first; only the active
    /// entries with `Some(true)`, only the removed ones with `Some(false)`.
    ///
    /// # Errors
    /// The service keeps no register.
    pub fn case_register(
        &self,
        auth: &Auth<CaseWorkers>,
        service: &str,
        active: Option<bool>,
    ) -> Result<Vec<CaseView>, AppError> {
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            let keeps = cases.definition(service).is_some_and(|d| d.register);
            if !keeps {
                return Err(AppError::not_found("register of service", service));
            }
            Ok(cases
                .cases()
                .filter(|c| c.service == service && c.status == kezek_cases::state::Status::Issued)
                .filter(|c| matches!(c.outcome, Some((Outcome::Granted, _, _))))
                .filter(|c| may_see(auth.caller(), &cases, s, c).is_ok())
                .filter(|c| active.is_none_or(|a| a == c.removed.is_none()))
                .map(|c| CaseView::in_register(c, now, s.last_seq().get(), true))
                .collect())
        })?
    }

    /// Creates or renames organisation `id` (a school) of a district the caller's scope holds.
    ///
    /// # Errors
    /// Out of scope, an unknown district, a field that does not read.
    pub async fn set_organisation(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        id: &str,
        form: OrganisationForm,
    ) -> Result<Written, AppError> {
        auth.caller().staff_scope(&form.district)?;
        let plain = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plain {
            return Err(AppError::invalid(
                "id",
                "invalid_id",
                "1 to 32 letters, digits, - and _",
            ));
        }
        if form.kind != "school" {
            return Err(AppError::invalid("kind", "invalid_kind", "must be school"));
        }
        for (field, text) in [
            ("name.kk", &form.name.kk),
            ("name.ru", &form.name.ru),
            ("address.kk", &form.address.kk),
            ("address.ru", &form.address.ru),
        ] {
            if !kezek_core::model::text::is_place_name(text.trim()) {
                return Err(AppError::invalid(
                    field,
                    "invalid_name",
                    "must be printable text with a letter or digit",
                ));
            }
        }
        let known = self.peek(|s| {
            kezek_core::model::DistrictId::parse(&form.district)
                .is_ok_and(|d| s.district_index(&d).is_some())
        })?;
        if !known {
            return Err(AppError::invalid(
                "district",
                "unknown_district",
                "is not a district of the journal",
            ));
        }
        let organisation = Organisation {
            id: id.to_owned(),
            kind: form.kind,
            name: form.name,
            address: form.address,
            district: form.district,
        };
        self.case_write(
            auth.caller(),
            move |_, at, _| Ok(vec![CaseEvent::OrganisationSet { organisation, at }]),
            |c, events| {
                let set = events.first().and_then(|e| match e {
                    CaseEvent::OrganisationSet { organisation, .. } => {
                        c.organisation(&organisation.id)
                    }
                    _ => None,
                });
                match set {
                    Some(o) => Written::json(
                        200,
                        &OrganisationView {
                            id: o.id.clone(),
                            kind: o.kind.clone(),
                            name: o.name.clone(),
                            address: o.address.clone(),
                            district: o.district.clone(),
                        },
                    ),
                    None => Written::json(500, &serde_json::Value::Null),
                }
            },
        )
        .await
    }

    /// Files a case: 201 with the case, or 422 when documents are missing (the case refused
    /// at intake, with what is missing).
    ///
    /// # Errors
    /// An unknown service or provider, a channel the caller may not file on, a form that
    /// does not read (every field named).
    pub async fn file_case(
        self: &Arc<Self>,
        auth: &Auth<CaseFilers>,
        service: &str,
        new: NewCase,
    ) -> Result<Written, AppError> {
        let caller = auth.caller();
        let channel_ok = match caller.role {
            Role::Portal => new.channel == Channel::Portal,
            Role::Clerk => new.channel != Channel::Portal,
            Role::Staff => new.channel == Channel::Office,
            _ => true,
        };
        if !channel_ok {
            return Err(AppError::invalid(
                "channel",
                "channel_not_allowed",
                "this key does not file on this channel",
            ));
        }
        caller.acts_for((
            kezek_core::model::Iin::parse(new.applicant.iin.trim()).ok(),
            None,
        ))?;
        // The state's lock first, then the cases': the order every writer takes them in.
        let district = self
            .peek(|s| {
                let cases = self.cases.read();
                cases
                    .definition(service)
                    .map(|_| crate::access::district_of_provider(&cases, s, service, &new.provider))
            })?
            .ok_or_else(|| AppError::not_found("service", service))?
            .ok_or_else(|| {
                AppError::invalid(
                    "provider",
                    "unknown_provider",
                    "is not an organisation that provides this service",
                )
            })?;
        caller.district_scope(&district)?;
        let service = service.to_owned();
        self.case_write(
            caller,
            move |cases, at, next| {
                // Numbered by the journal record that files it, as applications are.
                let case_id = format!("KZC{next:010}");
                File {
                    case_id,
                    service,
                    provider: new.provider,
                    channel: new.channel,
                    applicant: new.applicant,
                    form: new.form,
                    documents: new.documents,
                    at,
                }
                .decide(cases)
            },
            |cases, events| {
                let id = events.first().map(CaseEvent::case_id).unwrap_or_default();
                match cases.case(id) {
                    Some(c) if c.status == kezek_cases::state::Status::RefusedToAccept => {
                        let problem = crate::problem::Problem::new(
                            422,
                            "Unprocessable Entity",
                            "refused_to_accept",
                            "the application is not accepted: the documents in missing are to be brought",
                        )
                        .with("case_id", c.id.as_str())
                        .with("missing", c.documents.clone());
                        Written {
                            status: 422,
                            body: problem.to_bytes(),
                        }
                    }
                    Some(c) => Written::json(201, &CaseView::of(c, c.filed_at, 0)),
                    None => Written::json(500, &serde_json::Value::Null),
                }
            },
        )
        .await
    }

    /// Case `id`, for whoever may see it.
    ///
    /// # Errors
    /// Unknown, or out of the caller's scope.
    pub fn case(&self, auth: &Auth<CaseReaders>, id: &str) -> Result<CaseView, AppError> {
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            let c = cases
                .case(id)
                .ok_or_else(|| AppError::not_found("case", id))?;
            may_see(auth.caller(), &cases, s, c)?;
            let register = cases.definition(&c.service).is_some_and(|d| d.register);
            Ok(CaseView::in_register(c, now, s.last_seq().get(), register))
        })?
    }

    /// Case `id` for the applicant who proves it is theirs with their IIN (the public status
    /// page, which spends a lookup budget first): `None` for another IIN or no such case.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn case_for_applicant(&self, id: &str, iin: &str) -> Result<Option<CaseView>, AppError> {
        let id = id.trim().to_ascii_uppercase();
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            cases
                .case(&id)
                .filter(|c| c.applicant.iin == iin.trim())
                .map(|c| CaseView::of(c, now, s.last_seq().get()))
        })
    }

    /// The words of service `id` in force: its name and each step's (for pages).
    #[must_use]
    pub fn service_words(&self, id: &str) -> Option<(Words, Vec<(String, Words)>)> {
        let cases = self.cases.read();
        let d = cases.definition(id)?;
        Some((
            d.name.clone(),
            d.steps
                .iter()
                .map(|s| (s.id.clone(), s.what.clone()))
                .collect(),
        ))
    }

    /// An act on case `id`: who may do it is its role — the head names the executor, signs,
    /// sends back and decides complaints; the executor drafts; a clerk or the head hands the
    /// paper over; the portal (for the applicant) or a clerk complains.
    ///
    /// # Errors
    /// Not the caller's to do, out of scope, or not where the case is.
    pub async fn case_act(
        self: &Arc<Self>,
        auth: &Auth<CaseReaders>,
        id: &str,
        act: CaseAct,
    ) -> Result<Written, AppError> {
        use Role::{Clerk, Executor, Head, Portal};
        let caller = auth.caller();
        let allowed: &[Role] = match &act {
            CaseAct::Assign { .. }
            | CaseAct::Sign
            | CaseAct::Return { .. }
            | CaseAct::DecideComplaint { .. }
            | CaseAct::RemoveFromRegister { .. } => &[Head],
            CaseAct::Draft { .. } => &[Executor],
            CaseAct::HandOver => &[Clerk, Head],
            CaseAct::Complain { .. } => &[Portal, Clerk],
        };
        caller.require(allowed)?;
        self.peek(|s| {
            let cases = self.cases.read();
            let c = cases
                .case(id)
                .ok_or_else(|| AppError::not_found("case", id))?;
            may_see(caller, &cases, s, c)
        })??;
        let id = id.to_owned();
        let answer_id = id.clone();
        self.case_write(
            caller,
            move |cases, at, _| match act {
                CaseAct::Assign { executor } => command::assign(cases, &id, &executor, at),
                CaseAct::Draft {
                    outcome,
                    grounds,
                    note,
                } => command::draft(cases, &id, (outcome, grounds, &note), at),
                CaseAct::Sign => command::sign(cases, &id, at),
                CaseAct::Return { comment } => command::send_back(cases, &id, &comment, at),
                CaseAct::HandOver => command::hand_over(cases, &id, at),
                CaseAct::Complain { text } => command::complain(cases, &id, &text, at),
                CaseAct::RemoveFromRegister { ground, note } => {
                    command::remove_from_register(cases, &id, (&ground, &note), at)
                }
                CaseAct::DecideComplaint {
                    complaint,
                    upheld,
                    reasons,
                } => command::decide_complaint(cases, &id, (complaint, upheld, &reasons), at),
            },
            move |cases, events| match cases.case(&answer_id) {
                Some(c) => {
                    let register = cases.definition(&c.service).is_some_and(|d| d.register);
                    let at = events.first().map_or(c.filed_at, CaseEvent::at);
                    Written::json(200, &CaseView::in_register(c, at, 0, register))
                }
                None => Written::json(500, &serde_json::Value::Null),
            },
        )
        .await
    }

    /// The cases of organisation `org`, optionally at `step` or only the late ones.
    ///
    /// # Errors
    /// Out of the caller's scope.
    pub fn organisation_cases(
        &self,
        auth: &Auth<CaseWorkers>,
        org: &str,
        (step, late): (Option<&str>, bool),
    ) -> Result<Vec<CaseView>, AppError> {
        let now = self.now();
        let caller = auth.caller();
        let mine: Vec<CaseView> = self
            .peek(|s| {
                let cases = self.cases.read();
                cases
                    .cases()
                    .filter(|c| c.provider == org)
                    .filter(|c| may_see(caller, &cases, s, c).is_ok())
                    .map(|c| CaseView::of(c, now, s.last_seq().get()))
                    .collect::<Vec<_>>()
            })?
            .into_iter()
            .filter(|v| {
                let at_step = step.is_none_or(|s| {
                    v.steps.as_array().is_some_and(|steps| {
                        steps.iter().any(|x| {
                            x["step"] == s && x["started"].is_string() && x["done"].is_null()
                        })
                    })
                });
                // A late step, or a complaint the head has not decided in time.
                let is_late = !late
                    || v.steps
                        .as_array()
                        .is_some_and(|steps| steps.iter().any(|x| x["late"] == true))
                    || v.complaints
                        .as_array()
                        .is_some_and(|cs| cs.iter().any(|x| x["late"] == true));
                at_step && is_late
            })
            .collect();
        if mine.is_empty() {
            // Say nothing of an organisation out of scope.
            match caller.role {
                Role::Head | Role::Executor => caller.require_scope(caller.role, org)?,
                _ => {}
            }
        }
        Ok(mine)
    }

    /// Each service's cases in district `d` (its department's and its schools'): how many
    /// are open, issued and refused at intake, and per step how many are there now on time
    /// and late.
    ///
    /// # Errors
    /// Out of the caller's scope.
    pub fn service_figures(
        &self,
        auth: &Auth<crate::access::StaffOrAuditor>,
        d: &str,
    ) -> Result<Vec<ServiceFigures>, AppError> {
        auth.caller().staff_scope(d)?;
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            cases
                .definitions()
                .map(|def| {
                    let mut f = ServiceFigures {
                        service: def.id.clone(),
                        name: def.name.clone(),
                        open: 0,
                        issued: 0,
                        refused_to_accept: 0,
                        steps: def
                            .steps
                            .iter()
                            .map(|st| StepFigures {
                                step: st.id.clone(),
                                what: st.what.clone(),
                                on_time: 0,
                                late: 0,
                            })
                            .collect(),
                    };
                    for c in cases.cases().filter(|c| {
                        c.service == def.id
                            && crate::access::district_of_provider(
                                &cases,
                                s,
                                &c.service,
                                &c.provider,
                            )
                            .as_deref()
                                == Some(d)
                    }) {
                        match c.status {
                            kezek_cases::state::Status::Issued => f.issued += 1,
                            kezek_cases::state::Status::RefusedToAccept => f.refused_to_accept += 1,
                            _ => f.open += 1,
                        }
                        for (st, fig) in c.steps.iter().zip(f.steps.iter_mut()) {
                            if st.started.is_some() && st.done.is_none() {
                                if st.overdue || st.due.is_some_and(|due| due < now) {
                                    fig.late += 1;
                                } else {
                                    fig.on_time += 1;
                                }
                            }
                        }
                    }
                    f
                })
                .collect()
        })
    }

    /// Journals each step whose limit has passed, each batch its courier did not deliver in
    /// time, once, and sends results uncollected at a centre for a month to the provider's
    /// archive (the sweep).
    ///
    /// # Errors
    /// The journal cannot be written.
    pub async fn sweep_cases(self: &Arc<Self>) -> Result<usize, AppError> {
        let now = self.now();
        // Late steps, late couriers, results a month uncollected at a centre.
        let due = |cases: &Cases, at: Timestamp| {
            let mut events = command::overdue(cases, at);
            events.extend(kezek_cases::centre::sweep(cases, at));
            events
        };
        if due(&self.cases.read(), now).is_empty() {
            return Ok(0);
        }
        let written = self
            .case_write(
                &Caller::system(),
                move |cases, at, _| Ok(due(cases, at)),
                |_, events| Written::json(200, &events.len()),
            )
            .await?;
        Ok(serde_json::from_slice(&written.body).unwrap_or(0))
    }
}
