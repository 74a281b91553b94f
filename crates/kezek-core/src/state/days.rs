//! Each district's registrations and referrals counted by local day, for the dashboard's
//! weekly figures: kept as events are applied (the applications and referrals an event adds,
//! a registration that moves district with a correction), so that a district's weeks are read
//! from a few dozen counters, not from every application and referral (issue 29). A day is
//! the authority's local day by the calendar in force when it was counted.

use super::State;
use crate::event::Event;
use crate::model::{AppIx, DistrictIx};
use jiff::civil::Date;
use rustc_hash::FxHashMap;

/// A day as a number: `yyyymmdd`.
pub(crate) type Day = i32;

/// `date` as a [`Day`].
pub(crate) fn day(date: Date) -> Day {
    i32::from(date.year()) * 10_000 + i32::from(date.month()) * 100 + i32::from(date.day())
}

/// A snapshot's counters: (district, day) and the count, sorted.
pub(crate) type DayCounts = Vec<((DistrictIx, Day), u64)>;

/// Counts by district and day.
#[derive(Debug, Clone, Default)]
pub(crate) struct Days {
    pub(crate) registrations: FxHashMap<(DistrictIx, Day), u64>,
    pub(crate) referrals: FxHashMap<(DistrictIx, Day), u64>,
}

/// What the counters need to know of a state before an event: how many applications and
/// referrals it holds, and the district of an application a correction may move.
pub(crate) struct Before {
    applications: usize,
    referrals: usize,
    moved: Option<(AppIx, DistrictIx)>,
}

impl State {
    /// Where the counters stand before `event` is applied.
    pub(crate) fn days_before(&self, event: &Event) -> Before {
        let moved = match event {
            Event::ApplicationCorrected(c) if c.district.is_some() => self
                .application_index(&c.application_id)
                .and_then(|a| Some((a, self.application(a)?.district))),
            _ => None,
        };
        Before {
            applications: self.applications.len(),
            referrals: self.referrals.len(),
            moved,
        }
    }

    /// Counts what the event added since `before`.
    pub(crate) fn count_days(&mut self, before: &Before) {
        let calendar = &self.policy.calendar;
        for app in self.applications.iter().skip(before.applications) {
            let d = day(calendar.local_date(app.registered_at));
            *self
                .days
                .registrations
                .entry((app.district, d))
                .or_default() += 1;
        }
        for r in self.referrals.iter().skip(before.referrals) {
            if let Some(district) = self.kindergarten_districts.get(r.kindergarten.slot()) {
                let d = day(calendar.local_date(r.issued_at));
                *self.days.referrals.entry((*district, d)).or_default() += 1;
            }
        }
        if let Some((a, from)) = before.moved {
            if let Some(app) = self.application(a).filter(|x| x.district != from) {
                let d = day(calendar.local_date(app.registered_at));
                let to = app.district;
                if let Some(n) = self.days.registrations.get_mut(&(from, d)) {
                    *n = n.saturating_sub(1);
                }
                *self.days.registrations.entry((to, d)).or_default() += 1;
            }
        }
    }

    /// The counters as a snapshot keeps them, sorted.
    pub(crate) fn days_image(&self) -> (DayCounts, DayCounts) {
        let sorted = |m: &FxHashMap<(DistrictIx, Day), u64>| {
            let mut v: Vec<_> = m.iter().map(|(k, n)| (*k, *n)).collect();
            v.sort_unstable();
            v
        };
        (
            sorted(&self.days.registrations),
            sorted(&self.days.referrals),
        )
    }

    /// The counters a snapshot kept.
    pub(crate) fn restore_days(&mut self, (registrations, referrals): (DayCounts, DayCounts)) {
        self.days = Days {
            registrations: registrations.into_iter().collect(),
            referrals: referrals.into_iter().collect(),
        };
    }

    /// District `d`'s registrations and referrals on local day `date`.
    pub(crate) fn day_counts(&self, d: DistrictIx, date: Date) -> (u64, u64) {
        let key = (d, day(date));
        (
            self.days.registrations.get(&key).copied().unwrap_or(0),
            self.days.referrals.get(&key).copied().unwrap_or(0),
        )
    }
}
