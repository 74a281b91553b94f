//! The IIN: Kazakhstan's 12-digit individual identification number.
//!
//! Digits 1–6 are the birth date `YYMMDD`, digit 7 the century and sex (1/2 = 1800s,
//! 3/4 = 1900s, 5/6 = 2000s; odd male, even female), digit 12 a control digit computed with
//! weights 1..11 and, when that remainder is 10, with weights 3..11,1,2 (`docs/rules.md`).

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a string is not an IIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IinError {
    /// Not exactly 12 characters.
    #[error("must be exactly 12 digits")]
    Length,
    /// A character that is not an ASCII digit.
    #[error("must contain digits only")]
    NotDigits,
    /// Digit 7 is not 1–6.
    #[error("digit 7 (century and sex) must be 1 to 6")]
    Century,
    /// The first six digits with the century are not a calendar date.
    #[error("digits 1-6 must be a real birth date")]
    Date,
    /// The control digit does not match.
    #[error("control digit does not match")]
    Control,
}

/// A checked IIN. The birth date it encodes is a real calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin([u8; 12]);

const W1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The control digit for the first eleven digits, or `None` when both passes give 10.
#[must_use]
pub fn control_digit(d: &[u8; 11]) -> Option<u8> {
    let sum = |w: &[u32; 11]| d.iter().zip(w).map(|(a, b)| u32::from(*a) * b).sum::<u32>() % 11;
    let r = sum(&W1);
    let r = if r == 10 { sum(&W2) } else { r };
    u8::try_from(r).ok().filter(|r| *r < 10)
}

impl Iin {
    /// Parses and checks an IIN.
    ///
    /// # Errors
    /// Returns the first rule the string breaks (length, digits, century, date, control).
    pub fn parse(s: &str) -> Result<Self, IinError> {
        let b = s.as_bytes();
        if b.len() != 12 {
            return Err(IinError::Length);
        }
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(IinError::NotDigits);
        }
        let mut d = [0u8; 12];
        for (o, c) in d.iter_mut().zip(b) {
            *o = c - b'0';
        }
        if !(1..=6).contains(&d[6]) {
            return Err(IinError::Century);
        }
        birth_date_of(&d).ok_or(IinError::Date)?;
        let mut first = [0u8; 11];
        first.copy_from_slice(&d[..11]);
        if control_digit(&first) != Some(d[11]) {
            return Err(IinError::Control);
        }
        Ok(Self(d))
    }

    /// The IIN of a person born on `birth` (1800–2099) with the given sex and 4-digit serial
    /// (`serial` < 10000), or `None` when those eleven digits have no control digit.
    #[must_use]
    pub fn compose(birth: Date, female: bool, serial: u16) -> Option<Self> {
        let century = match birth.year() {
            1800..=1899 => 1,
            1900..=1999 => 3,
            2000..=2099 => 5,
            _ => return None,
        } + u8::from(female);
        if serial >= 10_000 {
            return None;
        }
        // Two-digit year, month and day: all fit.
        let digits = |n: i16| u8::try_from(n.rem_euclid(100)).unwrap_or(0);
        let yy = digits(birth.year());
        let (mm, dd) = (digits(birth.month().into()), digits(birth.day().into()));
        let mut d = [0u8; 12];
        d[..7].copy_from_slice(&[
            yy / 10,
            yy % 10,
            mm / 10,
            mm % 10,
            dd / 10,
            dd % 10,
            century,
        ]);
        let digits = [
            serial / 1000,
            serial / 100 % 10,
            serial / 10 % 10,
            serial % 10,
        ];
        for (slot, c) in d.iter_mut().skip(7).zip(digits) {
            // Each is a single decimal digit: `serial` < 10000.
            *slot = u8::try_from(c).unwrap_or(0);
        }
        let mut first = [0u8; 11];
        first.copy_from_slice(&d[..11]);
        d[11] = control_digit(&first)?;
        Some(Self(d))
    }

    /// Whether digit 7 says female.
    #[must_use]
    pub fn female(&self) -> bool {
        self.0[6].is_multiple_of(2)
    }

    /// The 4-digit serial (digits 8–11).
    #[must_use]
    pub fn serial(&self) -> u16 {
        self.0[7..11].iter().fold(0, |n, d| n * 10 + u16::from(*d))
    }

    /// Whether it is a stand-in for an erased person (`crate::public::stand_in_from`): born
    /// in the 1800s, which no child or parent of a queue is.
    #[must_use]
    pub fn is_stand_in(&self) -> bool {
        self.birth_date().year() < 1900
    }

    /// The birth date encoded in digits 1–7.
    #[must_use]
    pub fn birth_date(&self) -> Date {
        // Checked in `parse`, so the fallback is never taken.
        birth_date_of(&self.0).unwrap_or(Date::MIN)
    }
}

fn birth_date_of(d: &[u8; 12]) -> Option<Date> {
    let century: i16 = match d[6] {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        _ => return None,
    };
    let yy = i16::from(d[0]) * 10 + i16::from(d[1]);
    // Two decimal digits each: at most 99.
    let mm = i8::try_from(d[2] * 10 + d[3]).ok()?;
    let dd = i8::try_from(d[4] * 10 + d[5]).ok()?;
    Date::new(century + yy, mm, dd).ok()
}

impl Iin {
    /// The twelve digits as ASCII, for writing out in one piece (every journaled
    /// registration and every snapshot writes one).
    fn ascii(&self) -> [u8; 12] {
        self.0.map(|d| b'0' + d % 10)
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ascii = self.ascii();
        f.write_str(std::str::from_utf8(&ascii).unwrap_or_default())
    }
}

impl Serialize for Iin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ascii = self.ascii();
        s.serialize_str(std::str::from_utf8(&ascii).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for Iin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::text::parse_str(d, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    /// Builds a valid IIN from its parts, or `None` when no control digit exists.
    fn make(yymmdd: &str, century: u8, serial: u16) -> Option<String> {
        let body = format!("{yymmdd}{century}{serial:04}");
        let mut d = [0u8; 11];
        for (o, c) in d.iter_mut().zip(body.bytes()) {
            *o = c - b'0';
        }
        control_digit(&d).map(|c| format!("{body}{c}"))
    }

    #[test]
    fn sample_iins_from_the_dataset_parse() {
        let iin = Iin::parse("210821548976").unwrap();
        assert_eq!(iin.birth_date(), date(2021, 8, 21));
        assert_eq!(iin.to_string(), "210821548976");
        assert!(Iin::parse("220610571995").is_ok());
    }

    #[test]
    fn second_weight_pass_is_used() {
        // 11 digits whose first-pass remainder is 10 (found by search, checked by hand).
        let mut found = 0;
        for serial in 0..2000u16 {
            let body = format!("200515{}{serial:04}", 5);
            let mut d = [0u8; 11];
            for (o, c) in d.iter_mut().zip(body.bytes()) {
                *o = c - b'0';
            }
            let r1: u32 = d
                .iter()
                .zip(W1)
                .map(|(a, b)| u32::from(*a) * b)
                .sum::<u32>()
                % 11;
            if r1 == 10 {
                let r2: u32 = d
                    .iter()
                    .zip(W2)
                    .map(|(a, b)| u32::from(*a) * b)
                    .sum::<u32>()
                    % 11;
                if r2 < 10 {
                    let iin = format!("{body}{r2}");
                    assert!(Iin::parse(&iin).is_ok(), "{iin}");
                    found += 1;
                } else {
                    assert_eq!(control_digit(&d), None);
                }
            }
        }
        assert!(found > 0);
    }

    #[test]
    fn refusals_name_the_rule() {
        assert_eq!(Iin::parse("12345"), Err(IinError::Length));
        assert_eq!(Iin::parse("21082154897a"), Err(IinError::NotDigits));
        assert_eq!(Iin::parse("210821048976"), Err(IinError::Century));
        assert_eq!(Iin::parse("210821748976"), Err(IinError::Century));
        let bad_date = make("210230", 5, 1).unwrap();
        assert_eq!(Iin::parse(&bad_date), Err(IinError::Date));
        assert_eq!(Iin::parse("210821548977"), Err(IinError::Control));
        assert_eq!(Iin::parse("٢١٠٨٢١٥٤٨٩"), Err(IinError::Length));
    }

    #[test]
    fn century_digit_sets_the_year() {
        let old = make("880101", 3, 12).unwrap();
        assert_eq!(Iin::parse(&old).unwrap().birth_date(), date(1988, 1, 1));
        let older = make("880101", 1, 12).unwrap();
        assert_eq!(Iin::parse(&older).unwrap().birth_date(), date(1888, 1, 1));
    }

    #[test]
    fn compose_builds_what_parse_accepts() {
        let iin = Iin::compose(date(2021, 8, 21), false, 4897).unwrap();
        assert_eq!(iin.to_string(), "210821548976");
        assert_eq!(Iin::parse(&iin.to_string()), Ok(iin));
        assert_eq!(
            Iin::compose(date(1988, 1, 1), true, 12)
                .unwrap()
                .to_string()
                .as_bytes()[6],
            b'4'
        );
        assert_eq!(Iin::compose(date(2021, 8, 21), false, 10_000), None);
        assert_eq!(Iin::compose(date(2150, 1, 1), false, 1), None);
    }

    proptest! {
        #[test]
        fn every_generated_iin_round_trips(days in 0i32..36_000, century in 1u8..=6, serial in 0u16..10_000) {
            let base = match century { 1 | 2 => 1800, 3 | 4 => 1900, _ => 2000 };
            let birth = date(base, 1, 1).checked_add(jiff::Span::new().days(days % 36_500)).unwrap();
            prop_assume!(birth.year() < base + 100);
            let yymmdd = format!("{:02}{:02}{:02}", birth.year() % 100, birth.month(), birth.day());
            if let Some(s) = make(&yymmdd, century, serial) {
                let iin = Iin::parse(&s).unwrap();
                prop_assert_eq!(iin.birth_date(), birth);
                prop_assert_eq!(iin.to_string(), s.clone());
                // Any single-digit change of the control digit is refused.
                let last = s.as_bytes()[11] - b'0';
                let other = format!("{}{}", &s[..11], (last + 1) % 10);
                prop_assert_eq!(Iin::parse(&other), Err(IinError::Control));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,16}") {
            let _ = Iin::parse(&s);
        }
    }
}
