//! Small value types: language, category, channel, documents, journal sequence numbers,
//! birth cohorts and academic years.

use compact_str::CompactString;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Language of instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

impl Language {
    /// Parses `kk` or `ru`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kk" => Some(Self::Kk),
            "ru" => Some(Self::Ru),
            _ => None,
        }
    }

    /// The code as written in the API and the dataset.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kk => "kk",
            Self::Ru => "ru",
        }
    }
}

/// A priority category code (`large_family`, `military`, …). Which codes exist is policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Category(CompactString);

impl Category {
    /// Parses a category code: 1–32 characters of `a-z`, `0-9` and `_`, starting with a letter.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 32
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        ok.then(|| Self(CompactString::new(s)))
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("not a category code"))
    }
}

/// How the application reached the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The e-government portal.
    Portal,
    /// A service-centre desk.
    ServiceCenter,
    /// The education department's office.
    Office,
}

impl Channel {
    /// Parses `portal`, `service_center` or `office`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "portal" => Some(Self::Portal),
            "service_center" => Some(Self::ServiceCenter),
            "office" => Some(Self::Office),
            _ => None,
        }
    }
}

/// A document presented with the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    /// The application form.
    ApplicationForm,
    /// The applicant's identity document.
    ApplicantId,
    /// Proof of the claimed priority category.
    BenefitProof,
    /// Proof of address.
    AddressProof,
    /// Birth certificate (only for a child whose birth record is not in the state database).
    BirthCertificate,
}

impl Document {
    /// Parses a document code.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "application_form" => Some(Self::ApplicationForm),
            "applicant_id" => Some(Self::ApplicantId),
            "benefit_proof" => Some(Self::BenefitProof),
            "address_proof" => Some(Self::AddressProof),
            "birth_certificate" => Some(Self::BirthCertificate),
            _ => None,
        }
    }

    /// The code as written in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationForm => "application_form",
            Self::ApplicantId => "applicant_id",
            Self::BenefitProof => "benefit_proof",
            Self::AddressProof => "address_proof",
            Self::BirthCertificate => "birth_certificate",
        }
    }
}

/// A journal sequence number: every event has one, assigned in order from 1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seq(u64);

impl Seq {
    /// The sequence number `n`.
    #[must_use]
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next sequence number.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

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

    #[test]
    fn codes_round_trip() {
        for l in [Language::Kk, Language::Ru] {
            assert_eq!(Language::parse(l.as_str()), Some(l));
        }
        assert_eq!(Language::parse("en"), None);
        assert!(Category::parse("large_family").is_some());
        assert!(Category::parse("Large").is_none());
        assert!(Category::parse("").is_none());
        assert_eq!(
            Channel::parse("service_center"),
            Some(Channel::ServiceCenter)
        );
        assert_eq!(
            Document::parse("benefit_proof").map(Document::as_str),
            Some("benefit_proof")
        );
    }
}
