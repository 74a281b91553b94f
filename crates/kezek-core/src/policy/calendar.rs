//! Working days: weekends, fixed public holidays and per-year extra days off, in the
//! authority's local time. Deadlines of referrals are counted in these days.

use jiff::civil::{Date, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp};
use std::collections::BTreeSet;

/// The days on which nobody is expected to act on a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The authority's offset from UTC (Kazakhstan: +5 hours).
    pub offset: Offset,
    /// Weekdays that are days off.
    pub weekend: Vec<Weekday>,
    /// Public holidays that fall on the same month and day every year.
    pub holidays: BTreeSet<(i8, i8)>,
    /// Days off announced for one year only (moving feasts, transfers).
    pub extra: BTreeSet<Date>,
}

/// No calendar has a run of days off this long; the walk stops here whatever the data says.
const MAX_WALK_DAYS: usize = 4000;

impl Calendar {
    /// Whether `day` is a working day.
    #[must_use]
    pub fn is_working_day(&self, day: Date) -> bool {
        !self.weekend.contains(&day.weekday())
            && !self.holidays.contains(&(day.month(), day.day()))
            && !self.extra.contains(&day)
    }

    /// The local calendar date of an instant.
    #[must_use]
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(TimeZone::fixed(self.offset)).date()
    }

    /// The `n`-th working day after `day` (`n = 0` gives `day` itself).
    #[must_use]
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut d = day;
        let mut left = n;
        for _ in 0..MAX_WALK_DAYS {
            if left == 0 {
                break;
            }
            d = d.tomorrow().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The instant a local day ends (midnight at the start of the next local day).
    #[must_use]
    pub fn end_of_day(&self, day: Date) -> Timestamp {
        let next = day.tomorrow().unwrap_or(day);
        next.to_zoned(TimeZone::fixed(self.offset))
            .map_or(Timestamp::MAX, |z| z.timestamp())
    }

    /// Deadline for an act due within `n` working days of `at`: the end of the `n`-th working
    /// day after the local day of `at`.
    #[must_use]
    pub fn deadline(&self, at: Timestamp, n: u32) -> Timestamp {
        self.end_of_day(self.add_working_days(self.local_date(at), n))
    }

    /// Deadline `days` calendar days after `at`, at the end of that local day.
    #[must_use]
    pub fn deadline_days(&self, at: Timestamp, days: u32) -> Timestamp {
        let day = self.local_date(at);
        let target = day
            .checked_add(Span::new().days(i64::from(days)))
            .unwrap_or(day);
        self.end_of_day(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn kz() -> Calendar {
        Calendar {
            offset: Offset::constant(5),
            weekend: vec![Weekday::Saturday, Weekday::Sunday],
            holidays: [(1, 1), (1, 2), (3, 8), (3, 21), (3, 22), (3, 23)].into(),
            extra: [date(2026, 5, 27)].into(),
        }
    }

    #[test]
    fn skips_weekends_and_holidays() {
        let c = kz();
        // Friday 2026-03-20 + 2 working days: 21–23 March are Nauryz, 21–22 also a weekend.
        assert_eq!(c.add_working_days(date(2026, 3, 20), 2), date(2026, 3, 25));
        // Tuesday 2026-05-26 + 1: Wednesday 27 May is an extra day off.
        assert_eq!(c.add_working_days(date(2026, 5, 26), 1), date(2026, 5, 28));
        assert_eq!(c.add_working_days(date(2026, 5, 26), 0), date(2026, 5, 26));
    }

    #[test]
    fn deadline_is_local_midnight() {
        let c = kz();
        // 2026-05-04 is a Monday; 20:00 UTC is already Tuesday 01:00 in Astana.
        let at: Timestamp = "2026-05-04T20:00:00Z".parse().unwrap();
        let d = c.deadline(at, 2);
        // Tuesday + 2 working days = Thursday 7 May; ends Friday 00:00 local = Thursday 19:00 UTC.
        assert_eq!(d, "2026-05-07T19:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(
            c.deadline_days(at, 10),
            "2026-05-15T19:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn a_calendar_without_working_days_still_ends() {
        let mut c = kz();
        c.weekend = vec![
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let _ = c.add_working_days(date(2026, 1, 1), 3);
    }
}
