//! The named changes the commands' apply arms make. Each keeps the tables and their indexes
//! in step (ids, a child's applications, cohort queues, deadlines, seats) and refuses,
//! with a [`Mismatch`], an event that does not fit instead of panicking.

use super::mismatch::Mismatch;
use super::{Application, District, Group, Kindergarten, Referral, Refusal, State};
use crate::event::RoundRecord;
use crate::model::{
    AppIx, AppStatus, ApplicationId, ClaimStatus, DistrictId, DistrictIx, GroupId, KgIx,
    KindergartenId, Language, ReferralId, ReferralIx, ReferralStatus, RoundIx, Seq,
};
use crate::queue::{Cause, CohortQueue, QueueKey};
use jiff::Timestamp;

fn unknown(what: &'static str, id: &dyn std::fmt::Display) -> Mismatch {
    Mismatch::Unknown {
        what,
        id: id.to_string(),
    }
}

/// The sequence number and its cause, as a cohort queue records a change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// The event's seq.
    pub seq: Seq,
    /// Why the queue changes, as a family is told.
    pub cause: Cause,
}

/// Sequence numbers.
impl State {
    /// Refuses `seq` unless it follows the last one applied.
    pub(crate) fn expect_next(&self, seq: Seq) -> Result<(), Mismatch> {
        let expected = self.last_seq.next();
        if seq == expected {
            Ok(())
        } else {
            Err(Mismatch::OutOfOrder { expected })
        }
    }

    /// Records that the event at `seq` is applied.
    pub(crate) fn advance(&mut self, seq: Seq) {
        self.last_seq = seq;
    }
}

/// Places.
impl State {
    /// The index of district `id`, created on first mention.
    pub(crate) fn district_or_create(&mut self, id: &DistrictId) -> Result<DistrictIx, Mismatch> {
        if let Some(d) = self.district_index.get(id) {
            return Ok(*d);
        }
        let d = DistrictIx::after(self.districts.len()).ok_or(Mismatch::Full)?;
        self.districts.push(District {
            id: id.clone(),
            kindergartens: Vec::new(),
        });
        self.district_index.insert(id.clone(), d);
        Ok(d)
    }

    /// Creates kindergarten `id` in district `d` with `groups`, or replaces the name and
    /// groups of the existing one, which must be in `d`.
    pub(crate) fn put_kindergarten(
        &mut self,
        id: &KindergartenId,
        name: &str,
        d: DistrictIx,
        mut groups: Vec<Group>,
    ) -> Result<KgIx, Mismatch> {
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(k) = self.kindergarten_index(id) {
            let kg = self
                .kindergartens
                .get_mut(k.slot())
                .ok_or_else(|| unknown("kindergarten", &id))?;
            if kg.district != d {
                return Err(Mismatch::Moved {
                    kindergarten: id.to_string(),
                    district: self
                        .district(d)
                        .map(|x| x.id.to_string())
                        .unwrap_or_default(),
                });
            }
            name.clone_into(&mut kg.name);
            kg.groups = groups;
            return Ok(k);
        }
        let k = KgIx::after(self.kindergartens.len()).ok_or(Mismatch::Full)?;
        let district = self
            .districts
            .get_mut(d.slot())
            .ok_or_else(|| unknown("district", &d))?;
        district.kindergartens.push(k);
        self.kindergartens.push(Kindergarten {
            id: id.clone(),
            name: name.to_owned(),
            district: d,
            groups,
        });
        self.kindergarten_index.insert(id.clone(), k);
        Ok(k)
    }

    /// A group of kindergarten `k`, to change its seats.
    pub(crate) fn group_mut(&mut self, k: KgIx, group: &GroupId) -> Result<&mut Group, Mismatch> {
        self.kindergartens
            .get_mut(k.slot())
            .ok_or_else(|| unknown("kindergarten", &k))?
            .groups
            .iter_mut()
            .find(|g| &g.id == group)
            .ok_or_else(|| unknown("group", &group))
    }
}

/// Applications.
impl State {
    fn app_mut(&mut self, a: AppIx) -> Result<&mut Application, Mismatch> {
        self.applications
            .get_mut(a.slot())
            .ok_or_else(|| unknown("application", &a))
    }

    /// The index of application `id`, which must exist.
    pub(crate) fn known_app(&self, id: &ApplicationId) -> Result<AppIx, Mismatch> {
        self.application_index(id)
            .ok_or_else(|| unknown("application", &id))
    }

    /// The index of kindergarten `id`, which must exist.
    pub(crate) fn known_kindergarten(&self, id: &KindergartenId) -> Result<KgIx, Mismatch> {
        self.kindergarten_index(id)
            .ok_or_else(|| unknown("kindergarten", &id))
    }

    /// Adds an accepted application (not yet queued) and makes it the child's newest.
    pub(crate) fn add_application(&mut self, mut app: Application) -> Result<AppIx, Mismatch> {
        if self.application_id_taken(&app.id) {
            return Err(Mismatch::Reused {
                what: "application",
                id: app.id.to_string(),
            });
        }
        if self.active_application_of(&app.child_iin).is_some() {
            return Err(Mismatch::ActiveApplication {
                application: app.id.to_string(),
            });
        }
        let a = AppIx::after(self.applications.len()).ok_or(Mismatch::Full)?;
        app.previous = self.latest_by_child.get(&app.child_iin).copied();
        let child = app.child_iin;
        self.applications.push(app);
        self.application_index.insert(&self.applications, a);
        self.latest_by_child.insert(child, a);
        Ok(a)
    }

    /// Keeps a refused application's id and grounds.
    pub(crate) fn add_refusal(
        &mut self,
        id: &ApplicationId,
        refusal: Refusal,
    ) -> Result<(), Mismatch> {
        if self.application_id_taken(id) {
            return Err(Mismatch::Reused {
                what: "application",
                id: id.to_string(),
            });
        }
        self.refusals.insert(id.clone(), refusal);
        Ok(())
    }

    /// Sets an application's status (queue membership is the caller's business).
    pub(crate) fn set_status(&mut self, a: AppIx, status: AppStatus) -> Result<(), Mismatch> {
        self.app_mut(a)?.status = status;
        Ok(())
    }

    /// Keeps the child from being offered a seat before `until`.
    pub(crate) fn set_stopped_until(
        &mut self,
        a: AppIx,
        until: Option<Timestamp>,
    ) -> Result<(), Mismatch> {
        self.app_mut(a)?.stopped_until = until;
        Ok(())
    }

    /// Puts application `a` into its cohort queue.
    pub(crate) fn enqueue(&mut self, a: AppIx, stamp: Stamp) -> Result<(), Mismatch> {
        let app = self
            .applications
            .get(a.slot())
            .ok_or_else(|| unknown("application", &a))?;
        let (key, entry, tier) = (app.queue_key(), app.entry(a), app.tier);
        let (tiers, blocks) = (self.policy.tiers.len(), self.policy.blocks.len());
        let queue = self
            .queues
            .entry(key)
            .or_insert_with(|| CohortQueue::new(tiers, blocks));
        queue.insert(entry, tier, &app.preferences, stamp.seq, stamp.cause);
        Ok(())
    }

    /// Takes application `a` out of its cohort queue.
    pub(crate) fn dequeue(&mut self, a: AppIx, stamp: Stamp) -> Result<(), Mismatch> {
        let app = self
            .applications
            .get(a.slot())
            .ok_or_else(|| unknown("application", &a))?;
        if let Some(q) = self.queues.get_mut(&app.queue_key()) {
            q.remove(
                &app.entry(a),
                app.tier,
                &app.preferences,
                stamp.seq,
                stamp.cause,
            );
        }
        Ok(())
    }

    /// Runs `change` on application `a` out of its queue: the child leaves its cohort queue
    /// first (if queued) and comes back after, so the queue sees the changed key.
    fn requeued(
        &mut self,
        a: AppIx,
        stamp: Stamp,
        change: impl FnOnce(&mut Application),
    ) -> Result<(), Mismatch> {
        let queued = self
            .application(a)
            .is_some_and(|x| x.status == AppStatus::Queued);
        if queued {
            self.dequeue(a, stamp)?;
        }
        change(self.app_mut(a)?);
        if queued {
            self.enqueue(a, stamp)?;
        }
        Ok(())
    }

    /// Replaces the kindergarten preferences; the registration time stays.
    pub(crate) fn set_preferences(
        &mut self,
        a: AppIx,
        preferences: super::Preferences,
        stamp: Stamp,
    ) -> Result<(), Mismatch> {
        self.requeued(a, stamp, |app| app.preferences = preferences)
    }

    /// Sets the claim status and with it the tier.
    pub(crate) fn set_claim(
        &mut self,
        a: AppIx,
        claim: ClaimStatus,
        stamp: Stamp,
    ) -> Result<(), Mismatch> {
        let category = self.application(a).and_then(|x| x.category.as_ref());
        let tier = self.tier_for(category, claim);
        self.requeued(a, stamp, |app| {
            app.claim = claim;
            app.tier = tier;
        })
    }

    /// After a declined or lapsed referral: back to the queue at the original time, or the
    /// application is cancelled.
    pub(crate) fn requeue_or_cancel(
        &mut self,
        a: AppIx,
        requeue: bool,
        stamp: Stamp,
    ) -> Result<(), Mismatch> {
        if requeue {
            self.set_status(a, AppStatus::Queued)?;
            self.enqueue(a, stamp)
        } else {
            self.set_status(a, AppStatus::Cancelled)
        }
    }
}

/// Referrals and rounds.
impl State {
    fn referral_mut(&mut self, r: ReferralIx) -> Result<&mut Referral, Mismatch> {
        self.referrals
            .get_mut(r.slot())
            .ok_or_else(|| unknown("referral", &r))
    }

    /// The index of referral `id`, which must be open.
    pub(crate) fn open_referral(&self, id: &ReferralId) -> Result<ReferralIx, Mismatch> {
        let r = self
            .referral_index(id)
            .ok_or_else(|| unknown("referral", &id))?;
        let status = self
            .referral_at(r)
            .ok_or_else(|| unknown("referral", &id))?
            .status;
        if status.is_open() {
            Ok(r)
        } else {
            Err(Mismatch::WrongStatus {
                what: "referral",
                id: id.to_string(),
                status: status.as_str(),
            })
        }
    }

    /// Issues a referral of round `round`: reserves a seat in its group, takes the child out of
    /// its queue (`stamp`) and marks it referred.
    pub(crate) fn issue_referral(
        &mut self,
        referral: Referral,
        stamp: Stamp,
    ) -> Result<ReferralIx, Mismatch> {
        let (a, id) = (referral.app, referral.id.clone());
        let app = self
            .application(a)
            .ok_or_else(|| unknown("application", &a))?;
        if app.status != AppStatus::Queued {
            return Err(Mismatch::WrongStatus {
                what: "application",
                id: app.id.to_string(),
                status: app.status.as_str(),
            });
        }
        if self.referral_index.contains_key(&id) {
            return Err(Mismatch::Reused {
                what: "referral",
                id: id.to_string(),
            });
        }
        let r = ReferralIx::after(self.referrals.len()).ok_or(Mismatch::Full)?;
        let group = self.group_mut(referral.kindergarten, &referral.group)?;
        if group.free() == 0 {
            return Err(Mismatch::Seats {
                group: group.id.to_string(),
                problem: "no free seat",
            });
        }
        group.reserved += 1;
        self.dequeue(a, stamp)?;
        self.deadlines.insert((referral.expires_at, r));
        self.referrals.push(referral);
        self.referral_index.insert(id, r);
        let app = self.app_mut(a)?;
        app.status = AppStatus::Referred;
        app.referral = Some(r);
        Ok(r)
    }

    /// Moves an open referral's deadline.
    pub(crate) fn set_deadline(&mut self, r: ReferralIx, at: Timestamp) -> Result<(), Mismatch> {
        let referral = self.referral_mut(r)?;
        let old = std::mem::replace(&mut referral.expires_at, at);
        self.deadlines.remove(&(old, r));
        self.deadlines.insert((at, r));
        Ok(())
    }

    /// Sets an open referral's status (issued → confirmed) or marks its one extension.
    pub(crate) fn update_referral(
        &mut self,
        r: ReferralIx,
        change: impl FnOnce(&mut Referral),
    ) -> Result<(), Mismatch> {
        change(self.referral_mut(r)?);
        Ok(())
    }

    /// Ends an open referral with `status` and frees its seat.
    pub(crate) fn close_referral(
        &mut self,
        r: ReferralIx,
        status: ReferralStatus,
    ) -> Result<(), Mismatch> {
        let referral = self.referral_at(r).ok_or_else(|| unknown("referral", &r))?;
        let (k, group, expires) = (
            referral.kindergarten,
            referral.group.clone(),
            referral.expires_at,
        );
        let g = self.group_mut(k, &group)?;
        g.reserved = g.reserved.checked_sub(1).ok_or_else(|| Mismatch::Seats {
            group: group.to_string(),
            problem: "no reserved seat",
        })?;
        self.deadlines.remove(&(expires, r));
        self.referral_mut(r)?.status = status;
        Ok(())
    }

    /// The child of open referral `r` is admitted: the reserved seat becomes enrolled.
    pub(crate) fn enrol(&mut self, r: ReferralIx, at: Timestamp) -> Result<(), Mismatch> {
        self.close_referral(r, ReferralStatus::Enrolled)?;
        let referral = self.referral_mut(r)?;
        referral.enrolled_at = Some(at);
        let (k, group, a) = (referral.kindergarten, referral.group.clone(), referral.app);
        self.group_mut(k, &group)?.enrolled += 1;
        self.set_status(a, AppStatus::Enrolled)
    }

    /// Sets the interleave phase of a block of a cohort queue after a round.
    pub(crate) fn set_phase(
        &mut self,
        district: DistrictIx,
        (cohort, language): (i16, Language),
        block: usize,
        phase: u32,
        seq: Seq,
    ) -> Result<(), Mismatch> {
        let key = QueueKey {
            district,
            cohort,
            language,
        };
        let q = self
            .queues
            .get_mut(&key)
            .ok_or_else(|| unknown("cohort queue", &format!("{cohort}/{}", language.as_str())))?;
        if block >= q.phases().len() {
            return Err(unknown("interleave block", &block));
        }
        q.set_phase(block, phase, seq);
        Ok(())
    }

    /// The index the next round gets, unless its id is taken.
    pub(crate) fn next_round(&self, record: &RoundRecord) -> Result<RoundIx, Mismatch> {
        if self.round_id_taken(&record.round_id) {
            return Err(Mismatch::Reused {
                what: "round",
                id: record.round_id.to_string(),
            });
        }
        RoundIx::after(self.rounds.len()).ok_or(Mismatch::Full)
    }

    /// Keeps a round's record.
    pub(crate) fn add_round(&mut self, record: RoundRecord) -> Result<RoundIx, Mismatch> {
        let r = self.next_round(&record)?;
        self.round_index.insert(record.round_id.clone(), r);
        self.rounds.push(record);
        Ok(r)
    }
}
