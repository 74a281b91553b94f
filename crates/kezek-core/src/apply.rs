//! Applying events to the state. Commands apply their own events through this same code, so
//! a replay of the journal from empty rebuilds exactly the state that produced it. An event
//! that does not fit the state (a corrupt or reordered journal) is an error, never a panic.

use crate::event::{ClaimStatus, Event, LapseReason, Registration};
use crate::ids::{ApplicationId, KindergartenId, ReferralId};
use crate::state::{
    AppStatus, Applicant, Application, Preferences, ReferralStatus, Refusal, State,
};
use crate::types::Seq;
use jiff::Timestamp;

/// An event that cannot be applied to the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} cannot be applied: {message}")]
pub struct ApplyError {
    /// Its sequence number.
    pub seq: Seq,
    /// Why.
    pub message: String,
}

type Result<T> = std::result::Result<T, String>;

/// Why an event changes a cohort queue, as a family would be told.
fn cause_of(event: &Event) -> crate::queue::Cause {
    use crate::queue::Cause;
    match event {
        Event::PreferencesChanged { .. } => Cause::PreferencesChanged,
        Event::Withdrawn { .. } | Event::AgedOut { .. } => Cause::LeftAhead,
        Event::ClaimDecided { verified: true, .. } => Cause::PriorityVerified,
        Event::ClaimDecided {
            verified: false, ..
        } => Cause::PriorityRevoked,
        Event::RoundRun(_) => Cause::Round,
        Event::ReferralDeclined { .. } | Event::ReferralLapsed { .. } => Cause::ReturnedAhead,
        _ => Cause::RegisteredAhead,
    }
}

mod places;

impl State {
    /// Applies one event with sequence number `seq`, which must follow the last one.
    ///
    /// # Errors
    /// The sequence number is out of order, or the event refers to something that does not
    /// exist or is in the wrong state. The state may then be partly changed and must be
    /// thrown away: a journal that does not apply stops start-up, naming the seq.
    pub fn apply(&mut self, seq: Seq, event: &Event) -> std::result::Result<(), ApplyError> {
        let fail = |message: String| ApplyError { seq, message };
        if seq != self.last_seq.next() {
            return Err(fail(format!("expected seq {}", self.last_seq.next())));
        }
        self.applying = (seq, cause_of(event));
        self.apply_inner(seq, event).map_err(fail)?;
        self.last_seq = seq;
        Ok(())
    }

    fn apply_inner(&mut self, seq: Seq, event: &Event) -> Result<()> {
        match event {
            Event::KindergartenUpserted {
                kindergarten_id,
                name,
                district,
                groups,
            } => self.apply_upsert(kindergarten_id, name, district, groups),
            Event::VacanciesOpened {
                kindergarten_id,
                group_id,
                seats,
            } => {
                let k = self.kindergarten_idx(kindergarten_id)?;
                let g = self.kindergartens[k as usize]
                    .groups
                    .iter_mut()
                    .find(|g| &g.id == group_id)
                    .ok_or_else(|| format!("unknown group {group_id}"))?;
                g.enrolled = g
                    .enrolled
                    .checked_sub(*seats)
                    .ok_or("more vacancies than enrolled children")?;
                Ok(())
            }
            Event::Registered(r) => self.apply_registered(seq, r),
            Event::RegistrationRefused {
                application_id,
                at,
                grounds,
            } => {
                if self
                    .application_index
                    .contains(&self.applications, application_id)
                    || self.refusals.contains_key(application_id)
                {
                    return Err(format!("application id {application_id} reused"));
                }
                let refusal = Refusal {
                    at: *at,
                    grounds: grounds.clone(),
                };
                self.refusals.insert(application_id.clone(), refusal);
                Ok(())
            }
            Event::PreferencesChanged {
                application_id,
                preferences,
                ..
            } => {
                let a = self.application_idx(application_id)?;
                let prefs = preferences
                    .iter()
                    .map(|k| self.kindergarten_idx(k))
                    .collect::<Result<Preferences>>()?;
                let queued = self.applications[a as usize].status == AppStatus::Queued;
                if queued {
                    self.queue_remove(a);
                }
                self.applications[a as usize].preferences = prefs;
                if queued {
                    self.queue_insert(a);
                }
                Ok(())
            }
            Event::Withdrawn { application_id, .. } => {
                let a = self.application_idx(application_id)?;
                match self.applications[a as usize].status {
                    AppStatus::Queued => self.queue_remove(a),
                    AppStatus::Referred => {
                        let r = self.applications[a as usize]
                            .referral
                            .ok_or("no referral")?;
                        self.close_referral(r, ReferralStatus::Released)?;
                    }
                    s => return Err(format!("cannot withdraw a {} application", s.as_str())),
                }
                self.end_application(a, AppStatus::Withdrawn);
                Ok(())
            }
            Event::ClaimDecided {
                application_id,
                verified,
                ..
            } => {
                let a = self.application_idx(application_id)?;
                let claim = if *verified {
                    ClaimStatus::Verified
                } else {
                    ClaimStatus::Rejected
                };
                self.set_claim(a, claim);
                Ok(())
            }
            Event::RoundRun(record) => self.apply_round(record),
            Event::ReferralConfirmed {
                referral_id,
                enrol_by,
                ..
            } => {
                let r = self.open_referral(referral_id)?;
                self.set_deadline(r, *enrol_by);
                self.referrals[r as usize].status = ReferralStatus::Confirmed;
                Ok(())
            }
            Event::ReferralExtended {
                referral_id,
                enrol_by,
                ..
            } => {
                let r = self.open_referral(referral_id)?;
                self.set_deadline(r, *enrol_by);
                self.referrals[r as usize].extended = true;
                Ok(())
            }
            Event::ReferralDeclined {
                referral_id,
                requeue,
                ..
            } => {
                let r = self.open_referral(referral_id)?;
                self.close_referral(r, ReferralStatus::Declined)?;
                self.after_referral(r, *requeue);
                Ok(())
            }
            Event::Enrolled { referral_id, at } => {
                let r = self.open_referral(referral_id)?;
                self.close_referral(r, ReferralStatus::Enrolled)?;
                self.referrals[r as usize].enrolled_at = Some(*at);
                let (k, a) = (
                    self.referrals[r as usize].kindergarten,
                    self.referrals[r as usize].app,
                );
                let group = self.referrals[r as usize].group.clone();
                if let Some(g) = self.kindergartens[k as usize]
                    .groups
                    .iter_mut()
                    .find(|g| g.id == group)
                {
                    g.enrolled += 1;
                }
                self.applications[a as usize].status = AppStatus::Enrolled;
                Ok(())
            }
            Event::ReferralLapsed {
                referral_id,
                reason,
                requeue,
                drop_claim,
                stopped_until,
                ..
            } => {
                let r = self.open_referral(referral_id)?;
                let status = if *reason == LapseReason::NoShow {
                    ReferralStatus::NoShow
                } else {
                    ReferralStatus::Lapsed
                };
                self.close_referral(r, status)?;
                let a = self.referrals[r as usize].app;
                if *drop_claim {
                    self.set_claim(a, ClaimStatus::Rejected);
                }
                self.applications[a as usize].stopped_until = *stopped_until;
                self.after_referral(r, *requeue);
                Ok(())
            }
            Event::AgedOut { application_id, .. } => {
                let a = self.application_idx(application_id)?;
                if self.applications[a as usize].status != AppStatus::Queued {
                    return Err(format!("{application_id} is not queued"));
                }
                self.queue_remove(a);
                self.end_application(a, AppStatus::AgedOut);
                Ok(())
            }
        }
    }

    pub(crate) fn kindergarten_idx(&self, id: &KindergartenId) -> Result<u32> {
        self.kindergarten_index
            .get(id)
            .copied()
            .ok_or_else(|| format!("unknown kindergarten {id}"))
    }

    pub(crate) fn application_idx(&self, id: &ApplicationId) -> Result<u32> {
        self.application_index
            .get(&self.applications, id)
            .ok_or_else(|| format!("unknown application {id}"))
    }

    fn open_referral(&self, id: &ReferralId) -> Result<u32> {
        let r = *self
            .referral_index
            .get(id)
            .ok_or_else(|| format!("unknown referral {id}"))?;
        if !self.referrals[r as usize].status.is_open() {
            return Err(format!("referral {id} is not open"));
        }
        Ok(r)
    }

    fn apply_registered(&mut self, seq: Seq, r: &Registration) -> Result<()> {
        let id = &r.application_id;
        if self.application_index.contains(&self.applications, id) || self.refusals.contains_key(id)
        {
            return Err(format!("application id {id} reused"));
        }
        if self.active_application_of(&r.child.iin).is_some() {
            return Err(format!("child of {id} already has an active application"));
        }
        let district = *self
            .district_index
            .get(&r.district)
            .ok_or("unknown district")?;
        let preferences = r
            .preferences
            .iter()
            .map(|k| self.kindergarten_idx(k))
            .collect::<Result<Preferences>>()?;
        let tier = self.tier_for(r.category.as_ref(), r.claim);
        let documents = r
            .documents
            .iter()
            .fold(0u8, |acc, d| acc | (1 << (*d as u8)));
        let a = self.applications.len() as u32;
        let previous = self.latest_by_child.get(&r.child.iin).copied();
        self.applications.push(Application {
            id: id.clone(),
            child_iin: r.child.iin,
            child_name: r.child.name.clone().into_boxed_str(),
            birth_date: r.birth_date,
            cohort: self.policy.cutoff.cohort_of(r.birth_date),
            applicant: r.applicant.as_ref().map(|p| {
                Box::new(Applicant {
                    iin: p.iin,
                    name: p.name.clone().into_boxed_str(),
                    representative: r.representative.clone(),
                })
            }),
            district,
            language: r.language,
            preferences,
            category: r.category.clone(),
            claim: r.claim,
            tier,
            documents,
            channel: r.channel,
            registered_at: r.registered_at,
            seq,
            status: AppStatus::Queued,
            referral: None,
            stopped_until: None,
            previous,
        });
        self.application_index.insert(&self.applications, a);
        self.latest_by_child.insert(r.child.iin, a);
        self.queue_insert(a);
        Ok(())
    }

    fn set_claim(&mut self, a: u32, claim: ClaimStatus) {
        let queued = self.applications[a as usize].status == AppStatus::Queued;
        if queued {
            self.queue_remove(a);
        }
        let app = &self.applications[a as usize];
        let tier = self.tier_for(app.category.as_ref(), claim);
        let app = &mut self.applications[a as usize];
        app.claim = claim;
        app.tier = tier;
        if queued {
            self.queue_insert(a);
        }
    }

    fn set_deadline(&mut self, r: u32, at: Timestamp) {
        let old = self.referrals[r as usize].expires_at;
        self.deadlines.remove(&(old, r));
        self.deadlines.insert((at, r));
        self.referrals[r as usize].expires_at = at;
    }

    /// Ends an open referral with `status` and frees its seat (unless it was used).
    fn close_referral(&mut self, r: u32, status: ReferralStatus) -> Result<()> {
        let (k, expires) = (
            self.referrals[r as usize].kindergarten,
            self.referrals[r as usize].expires_at,
        );
        let group_id = self.referrals[r as usize].group.clone();
        let g = self.kindergartens[k as usize]
            .groups
            .iter_mut()
            .find(|g| g.id == group_id)
            .ok_or("referral group is gone")?;
        g.reserved = g.reserved.checked_sub(1).ok_or("no reserved seat")?;
        self.deadlines.remove(&(expires, r));
        self.referrals[r as usize].status = status;
        Ok(())
    }

    /// After a decline or a lapse: back to the queue at the original time, or cancelled.
    fn after_referral(&mut self, r: u32, requeue: bool) {
        let a = self.referrals[r as usize].app;
        if requeue {
            self.applications[a as usize].status = AppStatus::Queued;
            self.queue_insert(a);
        } else {
            self.end_application(a, AppStatus::Cancelled);
        }
    }

    fn end_application(&mut self, a: u32, status: AppStatus) {
        self.applications[a as usize].status = status;
    }
}
