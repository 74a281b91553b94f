//! Birth cohorts and academic years: the cut-off date splits births into academic birth
//! years, and a group serves one age, counted on the cut-off, in a given academic year.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The cut-off date inside a year (1 September by the regulations), as month and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cutoff {
    /// Month, 1–12.
    pub month: i8,
    /// Day of the month.
    pub day: i8,
}

impl Cutoff {
    /// The cut-off date of `year`.
    #[must_use]
    pub fn in_year(self, year: i16) -> Date {
        Date::new(year, self.month, self.day)
            .unwrap_or_else(|_| Date::new(year, 9, 1).unwrap_or(Date::MIN))
    }

    /// The academic birth year of a child born on `birth`: children born after the cut-off of
    /// year `y - 1` and on or before the cut-off of year `y` form cohort `y`. In academic year
    /// `Y` (starting on the cut-off of `Y`) cohort `c` is `Y - c` full years old.
    #[must_use]
    pub fn cohort_of(self, birth: Date) -> i16 {
        if (birth.month(), birth.day()) <= (self.month, self.day) {
            birth.year()
        } else {
            birth.year() + 1
        }
    }

    /// The academic year in progress on `day`: the year of the last cut-off on or before it.
    #[must_use]
    pub fn academic_year_of(self, day: Date) -> i16 {
        if (day.month(), day.day()) >= (self.month, self.day) {
            day.year()
        } else {
            day.year() - 1
        }
    }
}

/// A child's age in full years on `on`.
#[must_use]
pub fn age_on(birth: Date, on: Date) -> i32 {
    let years = i32::from(on.year()) - i32::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years - 1
    } else {
        years
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const SEPT1: Cutoff = Cutoff { month: 9, day: 1 };

    #[test]
    fn cohort_edges() {
        assert_eq!(SEPT1.cohort_of(date(2021, 9, 1)), 2021);
        assert_eq!(SEPT1.cohort_of(date(2021, 9, 2)), 2022);
        assert_eq!(SEPT1.cohort_of(date(2021, 1, 1)), 2021);
        assert_eq!(SEPT1.academic_year_of(date(2026, 8, 31)), 2025);
        assert_eq!(SEPT1.academic_year_of(date(2026, 9, 1)), 2026);
    }

    proptest! {
        /// In academic year Y, cohort c is exactly Y - c full years old on the cut-off.
        #[test]
        fn cohort_gives_age_on_cutoff(days in 0i32..6000, year in 2015i16..2035) {
            let birth = date(2008, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let cutoff = SEPT1.in_year(year);
            prop_assume!(birth <= cutoff);
            let c = SEPT1.cohort_of(birth);
            prop_assert_eq!(age_on(birth, cutoff), i32::from(year - c));
        }
    }
}
