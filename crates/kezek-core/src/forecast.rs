//! "When will we get a place?" — an estimate, per kindergarten a queued child listed, of when
//! a seat may come: a range, not a promise.
//!
//! The model, stated in full (`docs/rules.md`): the child is `position`-th among the children
//! of its queue who listed the kindergarten. The seats the kindergarten gave children of the
//! child's cohort and language in each of the last four quarters (91 days each, counting back
//! from now: referrals issued, whether the seat was new, freed by a child who left, or came
//! back from a lapse; an exchange gives none, its children only move into each other's seats)
//! set the pace. At the busiest quarter's pace the child's turn comes after
//! `position × 91 / busiest` days; at the slowest's, after `position × 91 / slowest` (never,
//! as far as the data can say, when some quarter gave none). Children who register later with
//! a higher priority, preferences changing and new groups are not foreseen: the range is what
//! the last year would give if it repeated.

use crate::model::{AppIx, AppStatus, KgIx};
use crate::state::State;
use jiff::{SignedDuration, Timestamp};

/// Days in one quarter of the model.
pub const QUARTER_DAYS: i64 = 91;

/// Quarters the model looks back.
pub const QUARTERS: usize = 4;

/// The estimate at one kindergarten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    /// The kindergarten.
    pub kindergarten: KgIx,
    /// The child's place among the children who listed it (1-based).
    pub position: usize,
    /// Seats it gave the child's cohort and language in each of the last four quarters,
    /// the most recent first.
    pub seats: [u32; QUARTERS],
    /// Days from now to the earliest the turn may come (`None`: no seat in the last year).
    pub earliest_days: Option<i64>,
    /// Days from now to the latest (`None`: a quarter without a seat: not within what the
    /// data can say).
    pub latest_days: Option<i64>,
}

/// Days until `position` children are served at `seats` a quarter (rounded up).
#[must_use]
pub fn days_for(position: usize, seats: u32) -> Option<i64> {
    if seats == 0 {
        return None;
    }
    // Unsigned: `div_ceil` is stable for them.
    let days = u64::try_from(position)
        .unwrap_or(u64::MAX)
        .saturating_mul(QUARTER_DAYS.unsigned_abs());
    i64::try_from(days.div_ceil(u64::from(seats))).ok()
}

impl State {
    /// The estimates for queued application `a` at `now` (groups as they serve
    /// `academic_year`), one per kindergarten it listed; empty when it is not queued.
    #[must_use]
    pub fn forecast(&self, a: AppIx, now: Timestamp, academic_year: i16) -> Vec<Forecast> {
        let Some(app) = self.application(a) else {
            return Vec::new();
        };
        if app.status != AppStatus::Queued {
            return Vec::new();
        }
        let window = 24 * QUARTER_DAYS * i64::try_from(QUARTERS).unwrap_or(4);
        let since = now
            .checked_sub(SignedDuration::from_hours(window))
            .unwrap_or(now);
        let positions = self.positions(a, academic_year);
        let mut seats = vec![[0u32; QUARTERS]; positions.len()];
        for (_, r) in self.referrals() {
            if r.exchange || r.issued_at < since || r.issued_at > now {
                continue;
            }
            let Some(slot) = positions
                .iter()
                .position(|p| p.kindergarten == r.kindergarten)
            else {
                continue;
            };
            let same = self
                .application(r.app)
                .is_some_and(|x| x.cohort == app.cohort && x.language == app.language);
            if !same {
                continue;
            }
            let back = now.duration_since(r.issued_at).as_secs() / 86_400;
            let quarter = usize::try_from(back / QUARTER_DAYS).unwrap_or(QUARTERS);
            if let Some(n) = seats.get_mut(slot).and_then(|q| q.get_mut(quarter)) {
                *n += 1;
            }
        }
        positions
            .into_iter()
            .zip(seats)
            .map(|(p, seats)| {
                let busiest = seats.iter().copied().max().unwrap_or(0);
                let slowest = seats.iter().copied().min().unwrap_or(0);
                Forecast {
                    kindergarten: p.kindergarten,
                    position: p.position,
                    seats,
                    earliest_days: days_for(p.position, busiest),
                    latest_days: days_for(p.position, slowest),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::days_for;

    #[test]
    fn the_pace_of_a_quarter_gives_the_days() {
        assert_eq!(days_for(1, 1), Some(91));
        assert_eq!(days_for(10, 5), Some(182));
        assert_eq!(days_for(3, 2), Some(137), "rounded up");
        assert_eq!(days_for(3, 0), None);
    }
}
