//! Applications and their places in the cohort queues.

use super::{unknown, Stamp};
use crate::model::{AppIx, AppStatus, ApplicationId, ClaimStatus, KgIx, KindergartenId};
use crate::queue::CohortQueue;
use crate::state::mismatch::Mismatch;
use crate::state::{Application, Preferences, Refusal, State};
use jiff::Timestamp;

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
