//! When a step is due: one pure function of the time the step starts, its limit, the limit's
//! unit and the calendar ([`due`]).
//!
//! - Minutes and hours are the office's working time: counted only inside its opening
//!   intervals (by default 09:00–13:00 and 14:00–18:00 local time) on working days. A step
//!   of 15 minutes handed over on Friday at 17:55 is due on Monday at 09:10.
//! - Working days: the step is due when the `n`-th working day after the local day it
//!   started ends (as the queue's referral deadlines).
//! - Calendar days: due when the `n`-th day after the local day it started ends.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use kezek_core::policy::calendar::Calendar;
use serde::{Deserialize, Serialize};

/// The unit of a step's limit, as the regulations state them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Minutes of the office's working time.
    Minutes,
    /// Hours of the office's working time.
    Hours,
    /// Working days of the calendar.
    WorkingDays,
    /// Calendar days.
    CalendarDays,
}

impl Unit {
    /// As the definitions and the API write it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::WorkingDays => "working_days",
            Self::CalendarDays => "calendar_days",
        }
    }
}

/// When the office works on a working day: intervals of local time, in order, not
/// overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours(pub Vec<(Time, Time)>);

impl Default for OfficeHours {
    /// 09:00–13:00 and 14:00–18:00.
    fn default() -> Self {
        Self(vec![
            (Time::constant(9, 0, 0, 0), Time::constant(13, 0, 0, 0)),
            (Time::constant(14, 0, 0, 0), Time::constant(18, 0, 0, 0)),
        ])
    }
}

/// No office stays closed for this many days in a row; the walk stops here whatever the
/// calendar says (a calendar with no working day at all).
const MAX_WALK_DAYS: i64 = 4000;

/// When a step that starts at `start`, with `limit` of `unit`, is due.
#[must_use]
pub fn due(
    start: Timestamp,
    limit: u32,
    unit: Unit,
    calendar: &Calendar,
    hours: &OfficeHours,
) -> Timestamp {
    match unit {
        Unit::Minutes => working_time(start, i64::from(limit), calendar, hours),
        Unit::Hours => working_time(start, i64::from(limit) * 60, calendar, hours),
        Unit::WorkingDays => calendar.deadline(start, limit),
        Unit::CalendarDays => calendar.deadline_days(start, limit),
    }
}

/// `start` plus `minutes` of working time.
fn working_time(
    start: Timestamp,
    minutes: i64,
    calendar: &Calendar,
    hours: &OfficeHours,
) -> Timestamp {
    let tz = TimeZone::fixed(calendar.offset);
    let local = start.to_zoned(tz.clone());
    let mut day = local.date();
    let mut from = seconds(local.time());
    let mut left = minutes * 60;
    for _ in 0..MAX_WALK_DAYS {
        if calendar.is_working_day(day) {
            for &(open, close) in &hours.0 {
                let (open, close) = (seconds(open), seconds(close));
                let begin = from.max(open);
                if begin >= close {
                    continue;
                }
                let available = close - begin;
                if left <= available {
                    return at(day, Time::midnight(), &tz) + Span::new().seconds(begin + left);
                }
                left -= available;
            }
        }
        day = day.tomorrow().unwrap_or(day);
        from = 0;
    }
    Timestamp::MAX
}

/// Seconds since midnight.
fn seconds(t: Time) -> i64 {
    i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second())
}

fn at(day: Date, time: Time, tz: &TimeZone) -> Timestamp {
    day.to_datetime(time)
        .to_zoned(tz.clone())
        .map_or(Timestamp::MAX, |z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, Weekday};
    use jiff::tz::Offset;
    use proptest::prelude::*;

    fn kz() -> Calendar {
        Calendar {
            offset: Offset::constant(5),
            weekend: vec![Weekday::Saturday, Weekday::Sunday],
            holidays: [(1, 1), (3, 21), (3, 22), (3, 23)].into(),
            extra: [date(2026, 5, 27)].into(),
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn minutes_count_only_while_the_office_works() {
        let c = kz();
        let h = OfficeHours::default();
        // Monday 2026-05-04 10:00 local (05:00 UTC) + 15 minutes: 10:15.
        assert_eq!(
            due(t("2026-05-04T05:00:00Z"), 15, Unit::Minutes, &c, &h),
            t("2026-05-04T05:15:00Z")
        );
        // 12:50 + 15 minutes: 10 before lunch, 5 after: 14:05.
        assert_eq!(
            due(t("2026-05-04T07:50:00Z"), 15, Unit::Minutes, &c, &h),
            t("2026-05-04T09:05:00Z")
        );
        // Friday 2026-05-08 17:55 + 15 minutes: Monday 09:10.
        assert_eq!(
            due(t("2026-05-08T12:55:00Z"), 15, Unit::Minutes, &c, &h),
            t("2026-05-11T04:10:00Z")
        );
        // Evening: counting starts at the next opening. Tuesday 26 May 20:00 + 3 hours:
        // Wednesday 27 May is a day off, so Thursday 12:00.
        assert_eq!(
            due(t("2026-05-26T15:00:00Z"), 3, Unit::Hours, &c, &h),
            t("2026-05-28T07:00:00Z")
        );
        // Days as the queue counts them.
        assert_eq!(
            due(t("2026-05-04T05:00:00Z"), 2, Unit::WorkingDays, &c, &h),
            c.deadline(t("2026-05-04T05:00:00Z"), 2)
        );
        assert_eq!(
            due(t("2026-05-04T05:00:00Z"), 13, Unit::CalendarDays, &c, &h),
            t("2026-05-17T19:00:00Z")
        );
    }

    /// The naive model: minute by minute for working time, day by day for days.
    fn naive(start: Timestamp, limit: u32, unit: Unit, c: &Calendar, h: &OfficeHours) -> Timestamp {
        let tz = TimeZone::fixed(c.offset);
        match unit {
            Unit::Minutes | Unit::Hours => {
                let mut left = i64::from(limit) * if unit == Unit::Hours { 60 } else { 1 };
                let mut now = start;
                loop {
                    let local = now.to_zoned(tz.clone());
                    let open = c.is_working_day(local.date())
                        && h.0
                            .iter()
                            .any(|&(o, cl)| local.time() >= o && local.time() < cl);
                    if open {
                        left -= 1;
                        if left == 0 {
                            // The end of this minute, unless it closes the interval exactly.
                            return now + Span::new().minutes(1);
                        }
                    }
                    now += Span::new().minutes(1);
                }
            }
            Unit::WorkingDays => {
                let mut day = start.to_zoned(tz.clone()).date();
                let mut left = limit;
                while left > 0 {
                    day = day.tomorrow().unwrap();
                    if c.is_working_day(day) {
                        left -= 1;
                    }
                }
                at(day.tomorrow().unwrap(), Time::midnight(), &tz)
            }
            Unit::CalendarDays => {
                let mut day = start.to_zoned(tz.clone()).date();
                for _ in 0..limit {
                    day = day.tomorrow().unwrap();
                }
                at(day.tomorrow().unwrap(), Time::midnight(), &tz)
            }
        }
    }

    fn calendar() -> impl Strategy<Value = Calendar> {
        (
            proptest::sample::subsequence(
                vec![
                    Weekday::Monday,
                    Weekday::Tuesday,
                    Weekday::Wednesday,
                    Weekday::Thursday,
                    Weekday::Friday,
                    Weekday::Saturday,
                    Weekday::Sunday,
                ],
                0..=4,
            ),
            proptest::collection::btree_set((1i8..=12, 1i8..=28), 0..12),
            proptest::collection::btree_set(0i64..120, 0..6),
            -2i8..=7,
        )
            .prop_map(|(weekend, holidays, extra, offset)| Calendar {
                offset: Offset::constant(offset),
                weekend,
                holidays,
                extra: extra
                    .into_iter()
                    .map(|d| date(2026, 1, 1).checked_add(Span::new().days(d)).unwrap())
                    .collect(),
            })
    }

    fn unit() -> impl Strategy<Value = Unit> {
        prop_oneof![
            Just(Unit::Minutes),
            Just(Unit::Hours),
            Just(Unit::WorkingDays),
            Just(Unit::CalendarDays)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn due_matches_the_naive_model(
            c in calendar(),
            start_minute in 0i64..(60 * 24 * 90),
            limit in 1u32..40,
            unit in unit(),
            lunch in any::<bool>(),
        ) {
            let h = if lunch {
                OfficeHours::default()
            } else {
                OfficeHours(vec![(Time::constant(8, 30, 0, 0), Time::constant(17, 45, 0, 0))])
            };
            // Hours are kept small: the naive model walks minute by minute.
            let limit = if unit == Unit::Hours { limit.min(12) } else { limit };
            let start = t("2026-01-01T00:00:00Z") + Span::new().minutes(start_minute);
            prop_assert_eq!(due(start, limit, unit, &c, &h), naive(start, limit, unit, &c, &h));
        }
    }
}
