//! District statistics for the authority (`GET /v1/districts/{d}/stats`): one pass over the
//! district's applications and groups; not on any hot path.

use super::State;
use crate::model::{AppStatus, DistrictIx, Language, ReferralStatus};
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
    pub fn district_stats(&self, d: DistrictIx, academic_year: i16) -> DistrictStats {
        let mut s = DistrictStats::default();
        for (_, a) in self
            .applications()
            .filter(|(_, a)| a.district == d && a.status == AppStatus::Queued)
        {
            *s.queued
                .entry((academic_year - a.cohort, a.language, a.tier))
                .or_default() += 1;
        }
        let kindergartens = self.district(d).map_or(&[][..], |x| &x.kindergartens[..]);
        for kg in kindergartens.iter().filter_map(|k| self.kindergarten(*k)) {
            for g in &kg.groups {
                s.capacity += u64::from(g.capacity);
                s.enrolled += u64::from(g.enrolled);
                s.reserved += u64::from(g.reserved);
                s.free += u64::from(g.free());
            }
        }
        let mut waits: Vec<i64> = Vec::new();
        for (_, r) in self.referrals().filter(|(_, r)| {
            self.kindergarten(r.kindergarten)
                .is_some_and(|k| k.district == d)
        }) {
            if r.status.is_open() {
                s.referrals_outstanding += 1;
            }
            let app = self.application(r.app);
            if let (ReferralStatus::Enrolled, Some(at), Some(app)) = (r.status, r.enrolled_at, app)
            {
                waits.push(at.as_second() - app.registered_at.as_second());
            }
        }
        s.median_wait_days = median_days(waits);
        s
    }
}

/// The median of waits in seconds, in days.
#[allow(
    clippy::cast_precision_loss,
    reason = "waits in seconds are far below 2^52"
)]
fn median_days(mut waits: Vec<i64>) -> Option<f64> {
    waits.sort_unstable();
    let n = waits.len();
    let upper = *waits.get(n / 2)?;
    let seconds = if n % 2 == 1 {
        upper as f64
    } else {
        (waits.get(n / 2 - 1).copied().unwrap_or(upper) + upper) as f64 / 2.0
    };
    Some(seconds / 86_400.0)
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
        let districts: Vec<DistrictIx> = state.districts().map(|(d, _)| d).collect();
        for d in districts {
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
