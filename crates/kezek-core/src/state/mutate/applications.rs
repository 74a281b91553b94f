//! Applications and their places in the cohort queues.

use super::{unknown, Stamp};
use crate::model::{
    AppIx, AppStatus, ApplicationId, Category, CategoryIx, ClaimStatus, KgIx, KindergartenId, Seq,
};
use crate::queue::{Cause, CohortQueue, QueueKey};
use crate::state::mismatch::Mismatch;
use crate::state::{Application, Preferences, Refusal, State};
use jiff::Timestamp;
use rustc_hash::FxHashMap;

/// Applications.
impl State {
    pub(super) fn app_mut(&mut self, a: AppIx) -> Result<&mut Application, Mismatch> {
        self.applications
            .get_mut(a.slot())
            .ok_or_else(|| unknown("application", &a))
    }

    /// Marks application `a` as referred by the round of its own registration.
    pub(crate) fn mark_referred_at_once(&mut self, a: AppIx) -> Result<(), Mismatch> {
        self.app_mut(a)?.referred_at_once = true;
        Ok(())
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

    /// The kindergartens an event names, which must exist.
    pub(crate) fn known_kindergartens(
        &self,
        ids: &[KindergartenId],
    ) -> Result<Preferences, Mismatch> {
        ids.iter().map(|k| self.known_kindergarten(k)).collect()
    }

    /// The place of category code `c` in the list of claimed codes, added if new.
    pub(crate) fn category_ix(&mut self, c: &Category) -> Result<CategoryIx, Mismatch> {
        if let Some(i) = self.categories.iter().position(|x| x == c) {
            return Ok(CategoryIx::from_slot(i));
        }
        let i = CategoryIx::after(self.categories.len()).ok_or(Mismatch::Full)?;
        self.categories.push(c.clone());
        Ok(i)
    }

    /// Adds an accepted application (not yet queued) and makes it the child's newest.
    pub(crate) fn add_application(&mut self, mut app: Application) -> Result<AppIx, Mismatch> {
        if self.application_id_taken(&app.id) {
            return Err(Mismatch::Reused {
                what: "application",
                id: app.id.to_string(),
            });
        }
        let previous = self.latest_application_of(&app.child_iin);
        if previous
            .and_then(|p| self.application(p))
            .is_some_and(|p| p.status.is_active())
        {
            return Err(Mismatch::ActiveApplication {
                application: app.id.to_string(),
            });
        }
        let a = AppIx::after(self.applications.len()).ok_or(Mismatch::Full)?;
        app.previous = previous;
        self.applications.push(app);
        self.application_index.insert(&self.applications, a);
        self.latest_by_child.put(&self.applications, a);
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
        queue.insert(entry, tier.into(), &app.preferences, stamp.seq, stamp.cause);
        Ok(())
    }

    /// Puts the application registered at `seq` into its cohort queue, or, during a bulk
    /// load, notes it for [`State::flush_pending`].
    pub(crate) fn enqueue_registered(&mut self, a: AppIx, seq: Seq) -> Result<(), Mismatch> {
        if let Some(pending) = &mut self.pending {
            pending.push(a);
            return Ok(());
        }
        self.enqueue(
            a,
            Stamp {
                seq,
                cause: Cause::RegisteredAhead,
            },
        )
    }

    /// From now on, a registered child is only noted until [`State::flush_pending`] (a bulk
    /// load began).
    pub(crate) fn start_pending(&mut self) {
        self.pending.get_or_insert_with(Vec::new);
    }

    /// Room for `n` more children noted.
    pub(crate) fn reserve_pending(&mut self, n: usize) {
        if let Some(pending) = &mut self.pending {
            pending.reserve(n);
        }
    }

    /// Every child noted enters its queue, and from now on each as it is registered (the
    /// bulk load ended).
    pub(crate) fn end_pending(&mut self) {
        self.flush_pending();
        self.pending = None;
    }

    /// Puts the applications a bulk load registered since the last call into their cohort
    /// queues, each queue's in one go ([`CohortQueue::insert_many`]): the same queues and
    /// logs as enqueuing each at its registration, since only registrations were deferred.
    pub(crate) fn flush_pending(&mut self) {
        let Some(pending) = self.pending.as_mut().filter(|p| !p.is_empty()) else {
            return;
        };
        let pending = std::mem::take(pending);
        // A few (a replay watched record by record) go in one by one: no maps to build.
        if pending.len() < 64 {
            for a in pending {
                let seq = self.application(a).map(|app| app.seq);
                if let Some(seq) = seq {
                    let cause = Cause::RegisteredAhead;
                    // Noted applications exist: enqueue cannot fail.
                    let _ = self.enqueue(a, Stamp { seq, cause });
                }
            }
            return;
        }
        let mut by_queue: FxHashMap<QueueKey, Vec<AppIx>> = FxHashMap::default();
        for a in pending {
            if let Some(app) = self.applications.get(a.slot()) {
                by_queue.entry(app.queue_key()).or_default().push(a);
            }
        }
        let (tiers, blocks) = (self.policy.tiers.len(), self.policy.blocks.len());
        let applications = &self.applications;
        for (key, apps) in by_queue {
            let arrivals = apps
                .iter()
                .filter_map(|a| Some(applications.get(a.slot())?.arrival(*a)));
            self.queues
                .entry(key)
                .or_insert_with(|| CohortQueue::new(tiers, blocks))
                .insert_many(arrivals, Cause::RegisteredAhead);
        }
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
                app.tier.into(),
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

    /// Applies a correction: names, the representative, the district with its kindergartens
    /// (the child changes queue at its original time: `stamp`).
    pub(crate) fn correct(
        &mut self,
        a: AppIx,
        c: &crate::event::Correction,
        district: Option<(crate::model::DistrictIx, Preferences)>,
        stamp: Stamp,
    ) -> Result<(), Mismatch> {
        let app = self.app_mut(a)?;
        if let Some(name) = &c.child_name {
            app.child_name = name.as_str().into();
        }
        if let Some(applicant) = app.applicant.as_mut() {
            if let Some(name) = &c.applicant_name {
                applicant.name = name.as_str().into();
            }
            if c.representative_removed {
                applicant.representative = None;
            }
            if let Some(r) = &c.representative {
                applicant.representative = Some(r.clone());
            }
        }
        if let Some((d, preferences)) = district {
            self.requeued(a, stamp, |app| {
                app.district = d;
                app.preferences = preferences;
            })?;
        }
        Ok(())
    }

    /// A priority claimed after registration: pending, and the tier it gives while pending
    /// (`stamp`: the queue sees the change); the claim's time kept for the worklist.
    pub(crate) fn claim_late(
        &mut self,
        a: AppIx,
        category: &crate::model::Category,
        at: jiff::Timestamp,
        stamp: Stamp,
    ) -> Result<(), Mismatch> {
        let c = self.category_ix(category)?;
        let tier = self.tier_for(Some(category), ClaimStatus::Pending);
        self.requeued(a, stamp, |app| {
            app.category = Some(c);
            app.claim = ClaimStatus::Pending;
            app.tier = tier;
        })?;
        self.note_late_claim(a, at);
        Ok(())
    }

    /// Replaces the kindergarten preferences; the registration time stays.
    pub(crate) fn set_preferences(
        &mut self,
        a: AppIx,
        preferences: Preferences,
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
        let category = self.application(a).and_then(|x| self.category_of(x));
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
