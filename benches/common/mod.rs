//! A synthetic city for the benchmarks, shaped like `../shared/dataset/gen.py` (8 districts,
//! one kindergarten per 125 children with groups for ages 1–6, 60% kk, 20% priority
//! claims, 1–3 preferences in the child's district), generated in Rust so that the queue
//! benchmarks need no data files. The whole-round benchmark uses gen.py's own city.

#![allow(dead_code)]

use jiff::{Span, Timestamp};
use kezek_core::city::load_city;
use kezek_core::dataset::{ApplicationRow, GroupRow};
use kezek_core::model::{
    ApplicationId, Category, DistrictId, GroupId, Iin, KindergartenId, Language,
};
use kezek_core::{Policy, State};

/// xorshift64: deterministic and dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Serial numbers used so far, per birth date (an IIN is unique per date, sex and serial).
pub type Serials = std::collections::HashMap<jiff::civil::Date, u32>;

pub fn iin(birth: jiff::civil::Date, serials: &mut Serials) -> Iin {
    let serial = serials.entry(birth).or_insert(0);
    loop {
        *serial += 1;
        assert!(*serial < 20_000, "more than 20000 children born on {birth}");
        if let Some(iin) = Iin::compose(birth, *serial >= 10_000, (*serial % 10_000) as u16) {
            return iin;
        }
    }
}

/// One application row of child number `n`.
pub fn application(
    rng: &mut Rng,
    n: u64,
    kgs_per_district: u64,
    serial: &mut Serials,
) -> ApplicationRow {
    let district = rng.below(8);
    let birth = jiff::civil::date(2020, 9, 2)
        .checked_add(Span::new().days(rng.below(6 * 365) as i64))
        .unwrap();
    let registered_at = Timestamp::from_second(1_600_000_000 + rng.below(180_000_000) as i64)
        .unwrap()
        .max(birth.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp());
    let category = match rng.below(100) {
        0..=7 => Some("large_family"),
        8..=12 => Some("disabled_parent"),
        13..=15 => Some("veteran_equated"),
        16..=17 => Some("orphan"),
        18..=19 => Some("no_parental_care"),
        _ => None,
    };
    let k = 1 + rng.below(3);
    let mut preferences = Vec::new();
    while (preferences.len() as u64) < k {
        let kg = kg_id(district + 8 * rng.below(kgs_per_district));
        if !preferences.contains(&kg) {
            preferences.push(kg);
        }
    }
    let child_iin = iin(birth, serial);
    ApplicationRow {
        line: n + 2,
        application_id: ApplicationId::parse(&format!("A{n:08}")).unwrap(),
        child_iin,
        birth_date: birth,
        registered_at,
        district: DistrictId::parse(&format!("D{:02}", district + 1)).unwrap(),
        language: if rng.below(10) < 6 {
            Language::Kk
        } else {
            Language::Ru
        },
        category: category.and_then(Category::parse),
        preferences,
    }
}

pub fn kg_id(k: u64) -> KindergartenId {
    KindergartenId::parse(&format!("K{k:06}")).unwrap()
}

/// A state holding `children` queued children; the applications rows come back too.
pub fn city(children: u64) -> (State, Vec<ApplicationRow>, Rng, Serials) {
    let kgs_per_district = (children / 125 / 8).max(2);
    let mut rng = Rng::new(42);
    let mut groups = Vec::new();
    for k in 0..kgs_per_district * 8 {
        for age in 1..=6 {
            groups.push(GroupRow {
                line: groups.len() as u64 + 2,
                kindergarten_id: kg_id(k),
                district: DistrictId::parse(&format!("D{:02}", k % 8 + 1)).unwrap(),
                group_id: GroupId::parse(&format!("G{k:06}-{age}")).unwrap(),
                age_years: age,
                language: if rng.below(10) < 6 {
                    Language::Kk
                } else {
                    Language::Ru
                },
                free_seats: 0,
            });
        }
    }
    let mut serial = Serials::new();
    let apps: Vec<ApplicationRow> = (0..children)
        .map(|n| application(&mut rng, n, kgs_per_district, &mut serial))
        .collect();
    let mut state = State::new(Policy::kz_2013());
    load_city(&mut state, &groups, apps.clone(), &mut |_| {}).unwrap();
    (state, apps, rng, serial)
}
