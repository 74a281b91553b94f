//! The finished applications by the time they finished, for the retention sweep: it reads
//! those due (`[retention]` of the policy) without looking at the rest. An application enters
//! when an event finishes it (withdrawn, cancelled by a declined or lapsed referral, aged
//! out, the child left its kindergarten) and leaves when its child is erased.

use super::State;
use crate::event::Event;
use crate::model::{AppIx, ApplicationId};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// Finished applications, by application and by time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Finished {
    at: BTreeMap<AppIx, Timestamp>,
    by_time: BTreeSet<(Timestamp, AppIx)>,
}

impl Finished {
    fn insert(&mut self, a: AppIx, at: Timestamp) {
        if self.at.insert(a, at).is_none() {
            self.by_time.insert((at, a));
        }
    }

    /// Takes `a` out (its child erased).
    pub(crate) fn remove(&mut self, a: AppIx) {
        if let Some(at) = self.at.remove(&a) {
            self.by_time.remove(&(at, a));
        }
    }

    /// Every entry, in time order (a snapshot's).
    pub(crate) fn all(&self) -> impl Iterator<Item = (Timestamp, AppIx)> + '_ {
        self.by_time.iter().copied()
    }
}

impl State {
    /// Those of `touched` (the applications `event` changes, [`State::touched`]) that it
    /// may finish and are still active now, with when.
    pub(crate) fn finishing(&self, event: &Event, touched: &[AppIx]) -> Vec<(AppIx, Timestamp)> {
        let at = match event {
            Event::Withdrawn { at, .. }
            | Event::AgedOut { at, .. }
            | Event::ChildLeft { at, .. }
            | Event::ReferralDeclined { at, .. }
            | Event::ReferralLapsed { at, .. }
            | Event::GroupsRolledOver { at, .. } => *at,
            _ => return Vec::new(),
        };
        touched
            .iter()
            .filter(|a| self.application(**a).is_some_and(|x| x.status.is_active()))
            .map(|a| (*a, at))
            .collect()
    }

    /// Notes those of `candidates` that are finished now.
    pub(crate) fn note_finished(&mut self, candidates: Vec<(AppIx, Timestamp)>) {
        for (a, at) in candidates {
            if self.application(a).is_some_and(|x| !x.status.is_active()) {
                self.finished.insert(a, at);
            }
        }
    }

    /// Restores a snapshot's finished applications.
    pub(crate) fn restore_finished(&mut self, all: Vec<(Timestamp, AppIx)>) {
        for (at, a) in all {
            self.finished.insert(a, at);
        }
    }

    /// Up to `limit` applications whose persons the policy's retention says to erase at
    /// `now`: finished on a day at least `years_after_leaving` full years before, the oldest
    /// first. None when the policy keeps them.
    #[must_use]
    pub fn retention_due(&self, now: Timestamp, limit: usize) -> Vec<ApplicationId> {
        let policy = self.policy();
        let Some(years) = policy.retention.years_after_leaving else {
            return Vec::new();
        };
        let today = policy.calendar.local_date(now);
        let Ok(day) = today.checked_sub(jiff::Span::new().years(i64::from(years))) else {
            return Vec::new();
        };
        let until = policy.calendar.end_of_day(day);
        self.finished
            .by_time
            .iter()
            .take_while(|(at, _)| *at <= until)
            .filter_map(|(_, a)| Some((*a, self.application(*a)?)))
            // A child registered again and waiting, or placed, is still needed: passed over
            // until that application finishes too.
            .filter(|(a, x)| {
                self.latest_by_child
                    .get(&self.applications, &x.child_iin)
                    .is_none_or(|n| {
                        n == *a || self.application(n).is_none_or(|y| !y.status.is_active())
                    })
            })
            .map(|(_, x)| x)
            .take(limit)
            .map(|x| x.id.clone())
            .collect()
    }
}
