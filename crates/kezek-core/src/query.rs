//! Read-only views: queue numbers, positions with `ahead` per tier, and lookups.

use crate::event::RoundRecord;
use crate::ids::{ApplicationId, DistrictId, KindergartenId, ReferralId, RoundId};
use crate::iin::Iin;
use crate::state::{AppStatus, Application, District, Kindergarten, Referral, State};
use crate::table::Table;

/// A child's place at one kindergarten it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Dense kindergarten index.
    pub kindergarten: u32,
    /// Index of the group the child would get there (lowest id of its age and language).
    pub group: Option<usize>,
    /// 1-based place among the children who listed this kindergarten.
    pub position: usize,
    /// Who is in front, per tier (index = tier).
    pub ahead: Vec<usize>,
}

impl State {
    /// Dense index of an application.
    #[must_use]
    pub fn application_index(&self, id: &ApplicationId) -> Option<u32> {
        self.application_index.get(&self.applications, id)
    }

    /// An application by dense index.
    #[must_use]
    pub fn application(&self, a: u32) -> &Application {
        &self.applications[a as usize]
    }

    /// All applications, in registration order.
    #[must_use]
    pub fn applications(&self) -> &Table<Application> {
        &self.applications
    }

    /// The child's applications, active first, then newest first.
    #[must_use]
    pub fn applications_of_child(&self, child: &Iin) -> Vec<u32> {
        let mut v = Vec::new();
        let mut next = self.latest_by_child.get(child).copied();
        while let Some(a) = next {
            v.push(a);
            next = self.applications[a as usize].previous;
        }
        v.sort_by_key(|a| {
            (
                !self.applications[*a as usize].status.is_active(),
                std::cmp::Reverse(*a),
            )
        });
        v
    }

    /// Who stands before a queued child, per tier: in its cohort queue (`None`) or among the
    /// children who listed kindergarten `k`. `None` when the child is not queued.
    #[must_use]
    pub fn ahead(&self, a: u32, k: Option<u32>) -> Option<Vec<usize>> {
        let app = &self.applications[a as usize];
        if app.status != AppStatus::Queued {
            return None;
        }
        let q = self.queues.get(&app.queue_key())?;
        Some(q.ahead(&self.policy, &app.entry(a), app.tier, k))
    }

    /// 1-based place in the merged order of the cohort queue; `None` unless queued.
    #[must_use]
    pub fn queue_number(&self, a: u32) -> Option<usize> {
        self.ahead(a, None).map(|v| v.iter().sum::<usize>() + 1)
    }

    /// Places at every listed kindergarten; groups as they serve `academic_year`.
    #[must_use]
    pub fn positions(&self, a: u32, academic_year: i16) -> Vec<Position> {
        let app = &self.applications[a as usize];
        let age = academic_year - app.cohort;
        app.preferences
            .iter()
            .filter_map(|k| {
                let ahead = self.ahead(a, Some(*k))?;
                let group = self.kindergartens[*k as usize]
                    .groups
                    .iter()
                    .position(|g| g.age_years == age && g.language == app.language);
                Some(Position {
                    kindergarten: *k,
                    group,
                    position: ahead.iter().sum::<usize>() + 1,
                    ahead,
                })
            })
            .collect()
    }

    /// Dense index of a kindergarten.
    #[must_use]
    pub fn kindergarten_index(&self, id: &KindergartenId) -> Option<u32> {
        self.kindergarten_index.get(id).copied()
    }

    /// A kindergarten by dense index.
    #[must_use]
    pub fn kindergarten(&self, k: u32) -> &Kindergarten {
        &self.kindergartens[k as usize]
    }

    /// All kindergartens.
    #[must_use]
    pub fn kindergartens(&self) -> &[Kindergarten] {
        &self.kindergartens
    }

    /// All districts.
    #[must_use]
    pub fn districts(&self) -> &[District] {
        &self.districts
    }

    /// Dense index of a district.
    #[must_use]
    pub fn district_index(&self, id: &DistrictId) -> Option<u32> {
        self.district_index.get(id).copied()
    }

    /// A referral by id.
    #[must_use]
    pub fn referral(&self, id: &ReferralId) -> Option<&Referral> {
        self.referral_index
            .get(id)
            .map(|r| &self.referrals[*r as usize])
    }

    /// All referrals, in issue order.
    #[must_use]
    pub fn referrals(&self) -> &[Referral] {
        &self.referrals
    }

    /// A round by id.
    #[must_use]
    pub fn round(&self, id: &RoundId) -> Option<&RoundRecord> {
        self.round_index.get(id).map(|r| &self.rounds[*r as usize])
    }

    /// All rounds, in order.
    #[must_use]
    pub fn rounds(&self) -> &[RoundRecord] {
        &self.rounds
    }

    /// Number of queued children.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.queues
            .values()
            .map(crate::queue::CohortQueue::len)
            .sum()
    }
}

impl State {
    /// The interleave phase of block `block` of a cohort queue (0 when the queue is empty).
    #[must_use]
    pub fn phase(
        &self,
        district: u32,
        cohort: i16,
        language: crate::types::Language,
        block: usize,
    ) -> u32 {
        let key = crate::queue::QueueKey {
            district,
            cohort,
            language,
        };
        self.queues.get(&key).map_or(0, |q| q.phase(block))
    }
}

impl State {
    /// The earliest deadline of an open referral, if any (the lapse sweep's next due time).
    #[must_use]
    pub fn next_deadline(&self) -> Option<jiff::Timestamp> {
        self.deadlines.first().map(|(t, _)| *t)
    }
}

impl State {
    /// Queued children per (district index, tier index): one look per cohort queue.
    #[must_use]
    pub fn queued_counts(&self) -> std::collections::BTreeMap<(u32, usize), usize> {
        let mut out = std::collections::BTreeMap::new();
        for (key, q) in &self.queues {
            for t in 0..self.policy.tiers.len() {
                *out.entry((key.district, t)).or_insert(0) += q.tier(t).len();
            }
        }
        out
    }
}
