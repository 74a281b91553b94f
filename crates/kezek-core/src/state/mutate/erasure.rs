//! An erased person's places blanked: the stand-in IIN in each, and nothing else of them —
//! exactly what the journal's records read as once the person's key is gone
//! (`crate::sealed`), so that the state a replay rebuilds after the erasure is the state the
//! erasure left.

use crate::event::{ErasedRole, Erasure};
use crate::model::{AppIx, Iin, Seq};
use crate::state::mismatch::Mismatch;
use crate::state::State;

/// A place of the person, found.
enum Place {
    /// An application, as whom.
    Application(AppIx, ErasedRole),
    /// A refused application.
    Refused(crate::model::ApplicationId),
}

impl State {
    /// The number the next erasure's stand-in is made from.
    #[must_use]
    pub fn next_stand_in(&self) -> u64 {
        self.next_stand_in
    }

    /// The seq of the last erasure (0 before any): snapshots older than it hold persons it
    /// erased, and go.
    #[must_use]
    pub fn last_erasure(&self) -> Seq {
        self.last_erasure
    }

    /// The person a place of `e` names.
    fn person_at(&self, e: &Erasure, i: usize) -> Result<(Place, Iin), Mismatch> {
        let fail = |m: String| Mismatch::Erasure(m);
        let Some(ap) = e.appears.get(i) else {
            return Err(fail("no place".into()));
        };
        let id = &ap.application_id;
        let missing = || fail(format!("{id} has no {}", ap.role));
        if ap.role == ErasedRole::RefusedChild {
            let r = self
                .refusals
                .get(id)
                .ok_or_else(|| super::unknown("refusal", id))?;
            return Ok((Place::Refused(id.clone()), r.child.ok_or_else(missing)?));
        }
        let a = self.known_app(id)?;
        let app = self.application(a).ok_or_else(missing)?;
        let applicant = app.applicant.as_deref();
        let who = match ap.role {
            ErasedRole::Child => Some(app.child_iin),
            ErasedRole::Applicant => applicant.map(|p| p.iin),
            _ => applicant
                .and_then(|p| p.representative.as_ref())
                .map(|r| r.iin),
        };
        Ok((Place::Application(a, ap.role), who.ok_or_else(missing)?))
    }

    /// Applies `person_erased`: every place it lists must name one person (the one erased,
    /// or — replayed from records whose key is gone — the stand-in already; in the public
    /// journal's replay, the stand-in of their pseudonym).
    pub(crate) fn erase(&mut self, seq: Seq, e: &Erasure) -> Result<(), Mismatch> {
        let fail = |m: String| Mismatch::Erasure(m);
        let s = e.stand_in;
        let Some(number) = crate::public::stand_in_number(&s) else {
            return Err(fail(format!("{s} is not a stand-in")));
        };
        let mut places = Vec::with_capacity(e.appears.len());
        let mut person = None;
        for i in 0..e.appears.len() {
            let (place, who) = self.person_at(e, i)?;
            if *person.get_or_insert(who) != who {
                return Err(fail("its places name more than one person".into()));
            }
            places.push(place);
        }
        let Some(person) = person else {
            return Err(fail("it lists no place".into()));
        };
        let cutoff = self.policy.cutoff;
        // The child index is keyed by the IIN: the child's newest application leaves it while
        // its key changes.
        let newest = places
            .iter()
            .any(|p| matches!(p, Place::Application(_, ErasedRole::Child)))
            .then(|| self.latest_by_child.get(&self.applications, &person))
            .flatten();
        if let Some(n) = newest {
            self.latest_by_child.remove(&self.applications, n);
        }
        let mut erased_children = Vec::new();
        for place in places {
            match place {
                Place::Application(a, role) => {
                    let app = self.app_mut(a)?;
                    match role {
                        ErasedRole::Child => {
                            erased_children.push(a);
                            app.child_iin = s;
                            app.child_name = "".into();
                            app.birth_date = cutoff.in_year(app.cohort);
                            if let Some(p) = app.applicant.as_mut() {
                                p.email = None;
                            }
                        }
                        ErasedRole::Applicant => {
                            if let Some(p) = app.applicant.as_mut() {
                                p.iin = s;
                                p.name = "".into();
                            }
                        }
                        _ => {
                            if let Some(r) = app
                                .applicant
                                .as_mut()
                                .and_then(|p| p.representative.as_mut())
                            {
                                r.iin = s;
                                r.power_of_attorney = String::new();
                            }
                        }
                    }
                }
                Place::Refused(id) => {
                    if let Some(r) = self.refusals.get_mut(&id) {
                        r.child = Some(s);
                        for g in &mut r.grounds {
                            g.message = String::new();
                        }
                    }
                }
            }
        }
        if let Some(n) = newest {
            self.latest_by_child.put(&self.applications, n);
        }
        for a in erased_children {
            self.finished.remove(a);
        }
        self.next_stand_in = self.next_stand_in.max(number + 1);
        self.last_erasure = seq;
        Ok(())
    }
}
