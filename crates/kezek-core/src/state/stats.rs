//! District statistics for the authority (`GET /v1/districts/{d}/stats`): the queued counted
//! from the cohort queues, one pass over the district's groups and the referrals.

use super::State;
use crate::model::{DistrictIx, Language, ReferralStatus};
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
        // The queued children counted where they wait: each cohort queue of the district,
        // tier by tier (its lists know their lengths), not a look at every application.
        let tiers = self.policy.tiers.len();
        for (key, q) in self.queues.iter().filter(|(k, _)| k.district == d) {
            for t in 0..tiers {
                let n = q.tier(t).map_or(0, crate::queue::order::OrderIndex::len);
                if n > 0 {
                    *s.queued
                        .entry((academic_year - key.cohort, key.language, t))
                        .or_default() += n as u64;
                }
            }
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

/// One week of a district's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    /// Its Monday, in the authority's local time.
    pub starts: jiff::civil::Date,
    /// Applications registered that week (imported ones at their original time).
    pub registrations: u64,
    /// Referrals issued that week by rounds.
    pub referrals: u64,
}

impl State {
    /// The district's registrations and referrals in each of the `weeks` weeks (Monday to
    /// Sunday, local time) up to the one holding `now`, oldest first.
    #[must_use]
    pub fn district_weeks(&self, d: DistrictIx, now: jiff::Timestamp, weeks: usize) -> Vec<Week> {
        let calendar = &self.policy().calendar;
        let today = calendar.local_date(now);
        let monday = |day: jiff::civil::Date| {
            let back = i64::from(day.weekday().to_monday_zero_offset());
            day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day)
        };
        let last = monday(today);
        let n = i64::try_from(weeks).unwrap_or(0);
        let first = last
            .checked_sub(jiff::Span::new().weeks(n.saturating_sub(1)))
            .unwrap_or(last);
        let mut out: Vec<Week> = (0..n)
            .filter_map(|i| first.checked_add(jiff::Span::new().weeks(i)).ok())
            .map(|starts| Week {
                starts,
                registrations: 0,
                referrals: 0,
            })
            .collect();
        // Each day of the weeks, from the counters the apply arms keep.
        for w in &mut out {
            for k in 0..7 {
                let Ok(date) = w.starts.checked_add(jiff::Span::new().days(k)) else {
                    continue;
                };
                if date > today {
                    break;
                }
                let (registrations, referrals) = self.day_counts(d, date);
                w.registrations += registrations;
                w.referrals += referrals;
            }
        }
        out
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

    #[test]
    fn weeks_count_each_registration_once_in_its_local_week() {
        use crate::command::import::Import;
        use crate::dataset::ApplicationRow;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
        let groups = parse_groups(&std::fs::read(format!("{dir}/groups.csv")).unwrap()).unwrap();
        let mut state = State::new(Policy::kz_2013());
        load_city(&mut state, &groups, Vec::new(), &mut |_| {}).unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        // Monday 2026-11-30 local (UTC+5) begins at 2026-11-29T19:00Z.
        let times = [
            "2026-11-29T18:59:59Z", // Sunday 23:59 local: the week before
            "2026-11-29T19:00:00Z", // Monday 00:00 local
            "2026-12-01T10:00:00Z",
            "2026-11-20T10:00:00Z",
            "2026-10-01T10:00:00Z", // before the four weeks
        ];
        for (i, t) in times.iter().enumerate() {
            let row = ApplicationRow {
                line: 2,
                application_id: crate::model::ApplicationId::parse(&format!("A{i}")).unwrap(),
                child_iin: crate::model::Iin::compose(
                    jiff::civil::date(2023, 3, 1),
                    true,
                    100 + u16::try_from(i).unwrap(),
                )
                .unwrap(),
                birth_date: jiff::civil::date(2023, 3, 1),
                registered_at: at(t),
                district: groups[0].district.clone(),
                language: groups
                    .iter()
                    .find(|g| g.kindergarten_id == groups[0].kindergarten_id)
                    .unwrap()
                    .language,
                category: None,
                preferences: vec![groups[0].kindergarten_id.clone()],
            };
            state.execute(Import { row }).unwrap();
        }
        let d = state.district_index(&groups[0].district).unwrap();
        let weeks = state.district_weeks(d, at("2026-12-01T12:00:00Z"), 4);
        let starts: Vec<String> = weeks.iter().map(|w| w.starts.to_string()).collect();
        assert_eq!(
            starts,
            ["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
        );
        let counts: Vec<u64> = weeks.iter().map(|w| w.registrations).collect();
        assert_eq!(counts, [0, 1, 1, 2]);
        assert!(weeks.iter().all(|w| w.referrals == 0));
    }
}
