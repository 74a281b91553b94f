//! The named queries: lookups by id and by index, queue numbers, positions with `ahead` per
//! tier, and what the commands need to decide (deadlines due, queues of a district).

use super::{Application, District, Kindergarten, Referral, Refusal, State};
use crate::event::RoundRecord;
use crate::model::{
    AppIx, AppStatus, ApplicationId, Category, DistrictId, DistrictIx, Iin, KgIx, KindergartenId,
    Language, ReferralId, ReferralIx, RoundId,
};
use crate::queue::order::OrderIndex;
use crate::queue::{CohortQueue, QueueKey};
use jiff::Timestamp;

/// A child's place at one kindergarten it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The kindergarten.
    pub kindergarten: KgIx,
    /// Index of the group the child would get there (lowest id of its age and language).
    pub group: Option<usize>,
    /// 1-based place among the children who listed this kindergarten.
    pub position: usize,
    /// Who is in front, per tier (index = tier).
    pub ahead: Vec<usize>,
}

/// Applications.
impl State {
    /// The index of an application.
    #[must_use]
    pub fn application_index(&self, id: &ApplicationId) -> Option<AppIx> {
        self.application_index.get(&self.applications, id)
    }

    /// An application.
    #[must_use]
    pub fn application(&self, a: AppIx) -> Option<&Application> {
        self.applications.get(a.slot())
    }

    /// An application by id.
    #[must_use]
    pub fn application_by_id(&self, id: &ApplicationId) -> Option<(AppIx, &Application)> {
        let a = self.application_index(id)?;
        Some((a, self.application(a)?))
    }

    /// How many applications were accepted.
    #[must_use]
    pub fn application_count(&self) -> usize {
        self.applications.len()
    }

    /// Every application, in registration order.
    pub fn applications(&self) -> impl Iterator<Item = (AppIx, &Application)> + '_ {
        self.applications
            .iter()
            .enumerate()
            .map(|(i, a)| (AppIx::from_slot(i), a))
    }

    /// Whether an application or a refusal already has this id.
    #[must_use]
    pub fn application_id_taken(&self, id: &ApplicationId) -> bool {
        self.application_index.contains(&self.applications, id) || self.refusals.contains_key(id)
    }

    /// A refused application.
    #[must_use]
    pub fn refusal(&self, id: &ApplicationId) -> Option<&Refusal> {
        self.refusals.get(id)
    }

    /// Every refused application, by id (in no order).
    pub fn refusals(&self) -> impl Iterator<Item = (&crate::model::ApplicationId, &Refusal)> + '_ {
        self.refusals.iter()
    }

    /// The category `app` claims, if any.
    #[must_use]
    pub fn category_of(&self, app: &Application) -> Option<&Category> {
        self.categories.get(app.category?.slot())
    }

    /// The child's active application, if any.
    #[must_use]
    pub fn active_application_of(&self, child: &Iin) -> Option<AppIx> {
        let a = self.latest_application_of(child)?;
        self.application(a)
            .filter(|app| app.status.is_active())
            .map(|_| a)
    }

    /// The child's newest application, if any.
    #[must_use]
    pub fn latest_application_of(&self, child: &Iin) -> Option<AppIx> {
        self.latest_by_child.get(&self.applications, child)
    }

    /// The child's applications, active first, then newest first.
    #[must_use]
    pub fn applications_of_child(&self, child: &Iin) -> Vec<AppIx> {
        let mut v = Vec::new();
        let mut next = self.latest_application_of(child);
        while let Some((a, app)) = next.and_then(|a| Some((a, self.application(a)?))) {
            v.push((a, app.status.is_active()));
            next = app.previous;
        }
        v.sort_by_key(|(a, active)| (!active, std::cmp::Reverse(*a)));
        v.into_iter().map(|(a, _)| a).collect()
    }

    /// The district an application belongs to.
    #[must_use]
    pub fn district_of(&self, a: AppIx) -> Option<&District> {
        self.district(self.application(a)?.district)
    }
}

/// Places in the queue.
impl State {
    /// Who stands before a queued child, per tier: in its cohort queue (`None`) or among the
    /// children who listed kindergarten `k`. `None` when the child is not queued.
    #[must_use]
    pub fn ahead(&self, a: AppIx, k: Option<KgIx>) -> Option<Vec<usize>> {
        let app = self.application(a)?;
        if app.status != AppStatus::Queued {
            return None;
        }
        let q = self.queues.get(&app.queue_key())?;
        Some(q.ahead(&self.policy, &app.entry(a), app.tier.into(), k))
    }

    /// 1-based place in the merged order of the cohort queue; `None` unless queued.
    #[must_use]
    pub fn queue_number(&self, a: AppIx) -> Option<usize> {
        self.ahead(a, None).map(|v| v.iter().sum::<usize>() + 1)
    }

    /// Where an enrolled child is: its kindergarten, group and admission time (from its
    /// referral); `None` when it is not enrolled.
    #[must_use]
    pub fn place(&self, a: AppIx) -> Option<(KgIx, crate::model::GroupId, Option<Timestamp>)> {
        let app = self.application(a)?;
        if app.status != crate::model::AppStatus::Enrolled {
            return None;
        }
        let r = self.referral_at(app.referral?)?;
        (r.status == crate::model::ReferralStatus::Enrolled)
            .then(|| (r.kindergarten, r.group.clone(), r.enrolled_at))
    }

    /// Places at every listed kindergarten; groups as they serve `academic_year`.
    #[must_use]
    pub fn positions(&self, a: AppIx, academic_year: i16) -> Vec<Position> {
        let Some(app) = self.application(a) else {
            return Vec::new();
        };
        let age = academic_year - app.cohort;
        app.preferences
            .iter()
            .filter_map(|k| {
                let ahead = self.ahead(a, Some(*k))?;
                let group = self
                    .kindergarten(*k)?
                    .groups
                    .iter()
                    .position(|g| g.serves(age, app.language));
                Some(Position {
                    kindergarten: *k,
                    group,
                    position: ahead.iter().sum::<usize>() + 1,
                    ahead,
                })
            })
            .collect()
    }

    /// The cohort queue with this key.
    #[must_use]
    pub fn queue(&self, key: &QueueKey) -> Option<&CohortQueue> {
        self.queues.get(key)
    }

    /// The keys of a district's cohort queues, sorted.
    #[must_use]
    pub fn queue_keys_of(&self, d: DistrictIx) -> Vec<QueueKey> {
        let mut keys: Vec<QueueKey> = self
            .queues
            .keys()
            .filter(|k| k.district == d)
            .copied()
            .collect();
        keys.sort();
        keys
    }

    /// The interleave phase of block `block` of a cohort queue (0 when the queue is empty).
    #[must_use]
    pub fn phase(
        &self,
        district: DistrictIx,
        cohort: i16,
        language: Language,
        block: usize,
    ) -> u32 {
        let key = QueueKey {
            district,
            cohort,
            language,
        };
        self.queues.get(&key).map_or(0, |q| q.phase(block))
    }

    /// Number of queued children.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.queues.values().map(CohortQueue::len).sum()
    }

    /// Queued children per (district, tier index): one look per cohort queue.
    #[must_use]
    pub fn queued_counts(&self) -> std::collections::BTreeMap<(DistrictIx, usize), usize> {
        let mut out = std::collections::BTreeMap::new();
        for (key, q) in &self.queues {
            for t in 0..self.policy.tiers.len() {
                *out.entry((key.district, t)).or_insert(0) += q.tier(t).map_or(0, OrderIndex::len);
            }
        }
        out
    }
}

/// Places: districts and kindergartens.
impl State {
    /// The index of a kindergarten.
    #[must_use]
    pub fn kindergarten_index(&self, id: &KindergartenId) -> Option<KgIx> {
        self.kindergarten_index.get(id).copied()
    }

    /// A kindergarten.
    #[must_use]
    pub fn kindergarten(&self, k: KgIx) -> Option<&Kindergarten> {
        self.kindergartens.get(k.slot())
    }

    /// A kindergarten by id.
    #[must_use]
    pub fn kindergarten_by_id(&self, id: &KindergartenId) -> Option<(KgIx, &Kindergarten)> {
        let k = self.kindergarten_index(id)?;
        Some((k, self.kindergarten(k)?))
    }

    /// A kindergarten and its district, by its id as written, without parsing it first.
    #[must_use]
    pub fn kindergarten_district_by_str(&self, id: &str) -> Option<(KgIx, DistrictIx)> {
        let k = *self.kindergarten_index.get(id)?;
        Some((k, *self.kindergarten_districts.get(k.slot())?))
    }

    /// The ids of kindergartens.
    #[must_use]
    pub fn kindergarten_ids(&self, ks: &[KgIx]) -> Vec<KindergartenId> {
        ks.iter()
            .filter_map(|k| self.kindergarten(*k))
            .map(|k| k.id.clone())
            .collect()
    }

    /// How many kindergartens there are.
    #[must_use]
    pub fn kindergarten_count(&self) -> usize {
        self.kindergartens.len()
    }

    /// Every kindergarten, in creation order.
    pub fn kindergartens(&self) -> impl Iterator<Item = (KgIx, &Kindergarten)> + '_ {
        self.kindergartens
            .iter()
            .enumerate()
            .map(|(i, k)| (KgIx::from_slot(i), k))
    }

    /// The id of a kindergarten's district.
    #[must_use]
    pub fn district_of_kindergarten(&self, k: KgIx) -> Option<&District> {
        self.district(self.kindergarten(k)?.district)
    }

    /// The index of a district.
    #[must_use]
    pub fn district_index(&self, id: &DistrictId) -> Option<DistrictIx> {
        self.district_index.get(id).copied()
    }

    /// A district.
    #[must_use]
    pub fn district(&self, d: DistrictIx) -> Option<&District> {
        self.districts.get(d.slot())
    }

    /// Every district, in order of first mention.
    pub fn districts(&self) -> impl Iterator<Item = (DistrictIx, &District)> + '_ {
        self.districts
            .iter()
            .enumerate()
            .map(|(i, d)| (DistrictIx::from_slot(i), d))
    }
}

/// Referrals and rounds.
impl State {
    /// The index of a referral.
    #[must_use]
    pub fn referral_index(&self, id: &ReferralId) -> Option<ReferralIx> {
        self.referral_index.get(id).copied()
    }

    /// A referral.
    #[must_use]
    pub fn referral_at(&self, r: ReferralIx) -> Option<&Referral> {
        self.referrals.get(r.slot())
    }

    /// A referral by id.
    #[must_use]
    pub fn referral(&self, id: &ReferralId) -> Option<&Referral> {
        self.referral_at(self.referral_index(id)?)
    }

    /// Every referral, in issue order.
    #[must_use]
    pub fn referrals(&self) -> impl DoubleEndedIterator<Item = (ReferralIx, &Referral)> + '_ {
        self.referrals
            .iter()
            .enumerate()
            .map(|(i, r)| (ReferralIx::from_slot(i), r))
    }

    /// How many referrals were issued.
    #[must_use]
    pub fn referral_count(&self) -> usize {
        self.referrals.len()
    }

    /// When an open referral lapses if nobody acts: an issued one at its deadline (the
    /// family's time to confirm); a confirmed one `record_working_days` working days after
    /// its admission deadline — the kindergarten's time to record what happened by then (the
    /// child admitted, or a no-show).
    #[must_use]
    pub fn lapse_time(&self, referral: &super::Referral) -> Timestamp {
        let rules = &self.policy().referral;
        if referral.status != crate::model::ReferralStatus::Confirmed
            || rules.record_working_days == 0
        {
            return referral.expires_at;
        }
        // The last day of the deadline is the local day before the instant it ends.
        let last = referral
            .expires_at
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(referral.expires_at);
        self.policy()
            .calendar
            .deadline(last, rules.record_working_days)
            .max(referral.expires_at)
    }

    /// The open referrals (issued or confirmed) whose deadline is at or before `until`, by
    /// deadline (then in issue order): read from the deadline index, not from every referral
    /// ever issued.
    pub fn open_referrals_until(
        &self,
        until: Timestamp,
    ) -> impl Iterator<Item = (ReferralIx, &Referral)> + '_ {
        self.deadlines
            .iter()
            .take_while(move |(t, _)| *t <= until)
            .filter_map(|(_, r)| Some((*r, self.referral_at(*r)?)))
    }

    /// The earliest time an open referral lapses, if any (the lapse sweep's next due time).
    #[must_use]
    pub fn next_deadline(&self) -> Option<Timestamp> {
        // Lapse times are never before deadlines: past the earliest lapse time found, no
        // later deadline can beat it.
        let mut best: Option<Timestamp> = None;
        for (t, r) in &self.deadlines {
            if best.is_some_and(|b| *t >= b) {
                break;
            }
            let at = self.referral_at(*r).map_or(*t, |x| self.lapse_time(x));
            best = Some(best.map_or(at, |b| b.min(at)));
        }
        best
    }

    /// Open referrals whose family is due a reminder at `at` (their deadline's last day has
    /// begun, the deadline has not passed, and they were not reminded of it), earliest first.
    pub fn due_reminders(&self, at: Timestamp) -> impl Iterator<Item = ReferralIx> + '_ {
        self.deadlines
            .iter()
            .skip_while(move |(t, _)| *t <= at)
            .take_while(move |(t, _)| reminder_time(*t) <= at)
            .filter(|(t, r)| {
                self.referral_at(*r)
                    .is_some_and(|x| x.reminded_for != Some(*t))
            })
            .map(|(_, r)| *r)
    }

    /// When the next reminder is due, if any referral awaits one.
    #[must_use]
    pub fn next_reminder(&self) -> Option<Timestamp> {
        self.deadlines
            .iter()
            .find(|(t, r)| {
                self.referral_at(*r)
                    .is_some_and(|x| x.reminded_for != Some(*t))
            })
            .map(|(t, _)| reminder_time(*t))
    }

    /// Open referrals that lapse at or before `at` ([`Self::lapse_time`]), earliest deadline
    /// first.
    pub fn due_referrals(&self, at: Timestamp) -> impl Iterator<Item = ReferralIx> + '_ {
        self.deadlines
            .iter()
            .take_while(move |(t, _)| *t <= at)
            .filter(move |(_, r)| {
                self.referral_at(*r)
                    .is_some_and(|x| self.lapse_time(x) <= at)
            })
            .map(|(_, r)| *r)
    }

    /// A round by id.
    #[must_use]
    pub fn round(&self, id: &RoundId) -> Option<&RoundRecord> {
        self.round_index
            .get(id)
            .and_then(|r| self.rounds.get(r.slot()))
    }

    /// Whether a round already has this id.
    #[must_use]
    pub fn round_id_taken(&self, id: &RoundId) -> bool {
        self.round_index.contains_key(id)
    }

    /// Each round's certificate, in the order of the rounds.
    #[must_use]
    pub fn round_certificates(&self) -> &[crate::event::RoundCertificate] {
        &self.certificates
    }

    /// The certificate of round `id`.
    #[must_use]
    pub fn round_certificate(
        &self,
        id: &crate::model::RoundId,
    ) -> Option<&crate::event::RoundCertificate> {
        self.certificates.iter().rev().find(|c| &c.round_id == id)
    }

    /// Every round, in order.
    #[must_use]
    pub fn rounds(&self) -> &[RoundRecord] {
        &self.rounds
    }
}

/// When a family is reminded of a deadline: as its last local day begins (a deadline is
/// always the end of a local day, so 24 hours before it), with one working day left.
#[must_use]
pub fn reminder_time(deadline: Timestamp) -> Timestamp {
    deadline
        .checked_sub(jiff::SignedDuration::from_hours(24))
        .unwrap_or(deadline)
}
