//! Harnesses for the fuzz targets in `fuzz/`: each takes arbitrary bytes and must never
//! panic. `cargo test` replays the checked-in corpus through the same functions.

use crate::dataset::{parse_applications, parse_groups};
use crate::iin::Iin;
use crate::policy::Policy;

/// IIN parser: a parsed IIN prints back to the same text and its date is real.
pub fn iin(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(iin) = Iin::parse(s) {
            assert_eq!(iin.to_string(), s);
            let _ = iin.birth_date();
        }
    }
}

/// CSV row parsers, both files.
pub fn csv_rows(data: &[u8]) {
    let _ = parse_groups(data);
    if let Ok(rows) = parse_applications(data, 3) {
        for r in rows {
            assert_eq!(r.birth_date, r.child_iin.birth_date());
            assert!(!r.preferences.is_empty() && r.preferences.len() <= 3);
        }
    }
}

/// Policy parser: anything that parses is internally consistent.
pub fn policy(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = Policy::from_toml(s) {
            assert!(!p.tiers.is_empty());
            assert!(p.tiers[p.general_tier()].categories.is_empty());
            for t in 0..p.tiers.len() {
                let _ = p.block_of(t);
            }
        }
    }
}
