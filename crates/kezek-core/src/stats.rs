//! District statistics for the authority (API.md `GET /v1/districts/{d}/stats`): one pass
//! over the district's applications and groups; not on any hot path.

use crate::state::{AppStatus, ReferralStatus, State};
use crate::types::Language;
use std::collections::BTreeMap;

/// What a district's queue and places look like.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistrictStats {
    /// Queued children by (age in full years on the cut-off date, language, tier index).
    pub queued: BTreeMap<(i16, Language, usize), u64>,
    /// Places in the district's groups.
    pub capacity: u64,
    /// Places taken by admitted children.
    pub enrolled: u64,
    /// Places held by open referrals.
    pub reserved: u64,
    /// Free places.
    pub free: u64,
    /// Referrals issued and not yet used, declined or lapsed.
    pub referrals_outstanding: u64,
    /// Median days from registration to admission, over children admitted through Kezek.
    pub median_wait_days: Option<f64>,
}

impl State {
    /// Statistics of district `d`, ages counted for `academic_year`.
    #[must_use]
    pub fn district_stats(&self, d: u32, academic_year: i16) -> DistrictStats {
        let mut s = DistrictStats::default();
        for a in self
            .applications
            .iter()
            .filter(|a| a.district == d && a.status == AppStatus::Queued)
        {
            *s.queued
                .entry((academic_year - a.cohort, a.language, a.tier))
                .or_default() += 1;
        }
        for k in &self.districts[d as usize].kindergartens {
            for g in &self.kindergartens[*k as usize].groups {
                s.capacity += u64::from(g.capacity);
                s.enrolled += u64::from(g.enrolled);
                s.reserved += u64::from(g.reserved);
                s.free += u64::from(g.free());
            }
        }
        let mut waits: Vec<i64> = Vec::new();
        for r in self
            .referrals
            .iter()
            .filter(|r| self.kindergartens[r.kindergarten as usize].district == d)
        {
            if r.status.is_open() {
                s.referrals_outstanding += 1;
            }
            if let (ReferralStatus::Enrolled, Some(at)) = (r.status, r.enrolled_at) {
                waits.push(
                    at.as_second() - self.applications[r.app as usize].registered_at.as_second(),
                );
            }
        }
        waits.sort_unstable();
        s.median_wait_days = match waits.len() {
            0 => None,
            n if n % 2 == 1 => Some(waits[n / 2] as f64 / 86_400.0),
            n => Some((waits[n / 2 - 1] + waits[n / 2]) as f64 / 2.0 / 86_400.0),
        };
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::load_city;
    use crate::dataset::{parse_applications, parse_groups};
    use crate::Policy;

    #[test]
    fn sample_city_counts_add_up() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
        let groups = parse_groups(&std::fs::read(format!("{dir}/groups.csv")).unwrap()).unwrap();
        let apps = parse_applications(
            &std::fs::read(format!("{dir}/applications.csv")).unwrap(),
            3,
        )
        .unwrap();
        let mut state = State::new(Policy::kz_2013());
        load_city(&mut state, &groups, apps, &mut |_| {}).unwrap();
        let mut queued = 0;
        let mut free = 0;
        for d in 0..state.districts().len() as u32 {
            let s = state.district_stats(d, 2026);
            queued += s.queued.values().sum::<u64>();
            free += s.free;
            assert_eq!(s.capacity, s.enrolled + s.reserved + s.free);
            assert_eq!(s.median_wait_days, None);
        }
        assert_eq!(queued, 300);
        assert_eq!(
            free,
            groups.iter().map(|g| u64::from(g.free_seats)).sum::<u64>()
        );
    }
}
