//! Forgetting persons: the children, applicants and representatives of finished applications
//! are erased — their data keys deleted, a stand-in IIN in their place (`person_erased`,
//! [`crate::sealed`]) — when the retention period of the policy ran out, or at once on a
//! court order or a request the law grants.
//!
//! The child of each application named is erased: the application must be finished, and so
//! must every other one of the child's. Its applicant and representative are erased with it
//! unless something still needs them — an application in progress, a post as an official, a
//! case of the department's other services; those are kept (and said so). A child who is an
//! official or in a case is not erased at all. Each erasure lists every place the person
//! appears, found in one pass over the applications, so that applying it (and replaying it)
//! touches only those.

use super::refusal::Refusal;
use crate::event::{Appearance, ErasedRole, Erasure, ErasureReason, Event};
use crate::model::{ApplicationId, Iin};
use crate::state::{Mismatch, State};
use jiff::Timestamp;
use rustc_hash::FxHashMap;

/// Longest basis, in characters.
const MAX_BASIS: usize = 1000;

/// Most applications one erasure names.
pub const MAX_APPLICATIONS: usize = 10_000;

code_enum! {
    /// Why persons are not erased.
    pub enum Code {
        /// No application named, or too many.
        InvalidApplications = "invalid_applications",
        /// A basis that is missing, too long or holds control characters.
        InvalidBasis = "invalid_basis",
        /// The application, or another of its child's, is in progress.
        ApplicationActive = "application_active",
        /// The child is erased already.
        AlreadyErased = "already_erased",
        /// The child is an official of the service.
        PersonInOffice = "person_in_office",
        /// The child is named in a case of the department's other services.
        PersonInCase = "person_in_case",
        /// The journal holds no data key of the person (its data is in the clear).
        NoDataKey = "no_data_key",
    }
}

/// The erasures, and the persons kept with what still needs them.
pub type Decided = (Vec<Event>, Vec<(Iin, String)>);

/// Erase the persons of finished applications.
#[derive(Debug, Clone)]
pub struct Erase {
    /// The applications (or refused ones) whose persons go.
    pub applications: Vec<ApplicationId>,
    /// Why.
    pub reason: ErasureReason,
    /// What it rests on.
    pub basis: String,
    /// When.
    pub at: Timestamp,
    /// A child something still needs is passed over and said so (the retention sweep),
    /// instead of refusing the whole erasure (an order names what it means).
    pub pass_over_needed: bool,
}

/// A person considered for erasure.
struct Person {
    iin: Iin,
    /// Whether one of the applications named has them as its child (or refused child).
    child: bool,
    appears: Vec<Appearance>,
    /// What still needs them, if anything.
    needed: Option<Code>,
    /// The application that needs them, when one does.
    by: Option<ApplicationId>,
}

/// The persons the applications named, by IIN, in the order named.
#[derive(Default)]
struct Persons {
    list: Vec<Person>,
    at: FxHashMap<Iin, usize>,
}

impl Persons {
    fn add(&mut self, iin: Iin, child: bool) {
        if iin.is_stand_in() {
            return;
        }
        if let Some(&i) = self.at.get(&iin) {
            if let Some(p) = self.list.get_mut(i) {
                p.child |= child;
            }
            return;
        }
        self.at.insert(iin, self.list.len());
        self.list.push(Person {
            iin,
            child,
            appears: Vec::new(),
            needed: None,
            by: None,
        });
    }

    fn get(&mut self, iin: &Iin) -> Option<&mut Person> {
        let i = *self.at.get(iin)?;
        self.list.get_mut(i)
    }
}

impl Erase {
    /// The `person_erased` events, one per person erased, and the persons kept because
    /// something still needs them (applicant or representative, and what needs them).
    ///
    /// # Errors
    /// No application or too many, an unknown one, one in progress (or its child's other
    /// one), a child erased already, in office or in a case, a bad basis, or a person
    /// without a data key (`data_key` gives each person's).
    pub fn decide(
        self,
        state: &State,
        data_key: &dyn Fn(&Iin) -> Option<String>,
    ) -> Result<Decided, Refusal> {
        if self.applications.is_empty() || self.applications.len() > MAX_APPLICATIONS {
            return Err(Refusal::invalid(
                "applications",
                Code::InvalidApplications.as_str(),
                format!("name 1 to {MAX_APPLICATIONS} applications"),
            ));
        }
        if self.basis.trim().is_empty() || !crate::model::text::is_free_text(&self.basis, MAX_BASIS)
        {
            return Err(Refusal::invalid(
                "basis",
                Code::InvalidBasis.as_str(),
                "1 to 1000 printable characters: the rule of the policy or the order the erasure rests on",
            ));
        }
        let mut persons = Persons::default();
        for id in &self.applications {
            named(state, id, &mut persons)?;
        }
        if self.pass_over_needed {
            find_places(state, &mut persons);
            pass_over_needed_children(&mut persons);
        }
        if !persons.list.iter().any(|p| p.child) {
            return Err(Refusal::conflict(
                Code::AlreadyErased.as_str(),
                "the children of these applications are erased already",
            ));
        }
        if !self.pass_over_needed {
            find_places(state, &mut persons);
        }
        let mut events = Vec::new();
        let mut kept = Vec::new();
        let mut next = state.next_stand_in();
        for p in persons.list {
            if let Some(code) = p.needed {
                if p.child {
                    let by = p.by.map(|a| format!(" ({a})")).unwrap_or_default();
                    return Err(Refusal::conflict(
                        code.as_str(),
                        format!("a child of these applications is still needed{by}"),
                    ));
                }
                kept.push((p.iin, code.as_str().to_owned()));
                continue;
            }
            let Some(key) = data_key(&p.iin) else {
                return Err(Refusal::conflict(
                    Code::NoDataKey.as_str(),
                    "the journal keeps this person's data in the clear: migrate it with `kezek migrate --encrypt-personal` first",
                ));
            };
            let Some((n, stand_in)) = crate::public::stand_in_from(next) else {
                return Err(Refusal::conflict(
                    Code::AlreadyErased.as_str(),
                    "no stand-in is left to give",
                ));
            };
            next = n + 1;
            events.push(Event::PersonErased(Box::new(Erasure {
                data_key: key,
                stand_in,
                appears: p.appears,
                reason: self.reason,
                basis: self.basis.clone(),
                at: self.at,
            })));
        }
        Ok((events, kept))
    }
}

/// The persons of application (or refused application) `id`: its child, applicant and
/// representative.
fn named(state: &State, id: &ApplicationId, persons: &mut Persons) -> Result<(), Refusal> {
    if let Some((_, app)) = state.application_by_id(id) {
        if app.status.is_active() {
            return Err(Refusal::conflict(
                Code::ApplicationActive.as_str(),
                format!(
                    "application {id} is {}: it is withdrawn, or it finishes, first",
                    app.status.as_str()
                ),
            ));
        }
        persons.add(app.child_iin, true);
        if let Some(p) = &app.applicant {
            persons.add(p.iin, false);
            if let Some(r) = &p.representative {
                persons.add(r.iin, false);
            }
        }
        return Ok(());
    }
    let refused = state
        .refusal(id)
        .ok_or_else(|| Refusal::not_found("application", id))?;
    if let Some(child) = refused.child {
        persons.add(child, true);
    }
    Ok(())
}

/// Every place each person appears, and what still needs them: one pass over the
/// applications, the refusals, the officials and the other services' records.
fn find_places(state: &State, persons: &mut Persons) {
    for (_, app) in state.applications() {
        let applicant = app.applicant.as_deref();
        let roles = [
            Some((app.child_iin, ErasedRole::Child)),
            applicant.map(|p| (p.iin, ErasedRole::Applicant)),
            applicant
                .and_then(|p| p.representative.as_ref())
                .map(|r| (r.iin, ErasedRole::Representative)),
        ];
        for (iin, role) in roles.into_iter().flatten() {
            if let Some(p) = persons.get(&iin) {
                p.appears.push(Appearance {
                    application_id: app.id.clone(),
                    role,
                });
                if app.status.is_active() && p.needed.is_none() {
                    p.needed = Some(Code::ApplicationActive);
                    p.by = Some(app.id.clone());
                }
            }
        }
    }
    let mut refused: Vec<(&ApplicationId, Iin)> = state
        .refusals()
        .filter_map(|(id, r)| Some((id, r.child?)))
        .collect();
    refused.sort_unstable();
    for (id, child) in refused {
        if let Some(p) = persons.get(&child) {
            p.appears.push(Appearance {
                application_id: id.clone(),
                role: ErasedRole::RefusedChild,
            });
        }
    }
    for o in state.officials() {
        if let Some(p) = persons.get(&o.official.iin) {
            p.needed.get_or_insert(Code::PersonInOffice);
        }
    }
    for (_, x) in state.extensions() {
        mentions(&x.record, &mut |s| {
            if let Some(p) = Iin::parse(s).ok().and_then(|iin| persons.get(&iin)) {
                p.needed.get_or_insert(Code::PersonInCase);
            }
        });
    }
}

/// Takes out the children something still needs (with the applicants and representatives
/// only they named: a person is kept when any of their places is).
fn pass_over_needed_children(persons: &mut Persons) {
    persons.list.retain(|p| !(p.child && p.needed.is_some()));
    persons.at = persons
        .list
        .iter()
        .enumerate()
        .map(|(i, p)| (p.iin, i))
        .collect();
}

/// Calls `f` with every string in `v`.
fn mentions(v: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(items) => items.iter().for_each(|x| mentions(x, f)),
        serde_json::Value::Object(map) => map.values().for_each(|x| mentions(x, f)),
        _ => {}
    }
}

/// Applies `person_erased`, journaled at `seq`.
pub(crate) fn apply(
    state: &mut State,
    seq: crate::model::Seq,
    e: &Erasure,
) -> Result<(), Mismatch> {
    state.erase(seq, e)
}
