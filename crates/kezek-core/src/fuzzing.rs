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

/// Command sequences: bytes pick commands and their arguments; the core must never panic,
/// and after every command seats stay within capacity, reserved seats equal open referrals,
/// every queued child has a queue number and nobody else has one.
pub fn commands(data: &[u8]) {
    use crate::command::{Command, ImportRequest};
    use crate::dataset::ApplicationRow;
    use crate::event::GroupSpec;
    use crate::ids::{ApplicationId, DistrictId, GroupId, KindergartenId, RoundId};
    use crate::state::{AppStatus, State};
    use crate::types::Language;
    use jiff::{Span, Timestamp};

    let policy = if data.first().is_some_and(|b| b % 2 == 0) {
        Policy::kz_2013()
    } else {
        Policy::kz_2020()
    };
    let mut state = State::new(policy);
    let mut now = Timestamp::from_second(1_788_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    let kg = |n: u8| KindergartenId::parse(&format!("K{}", n % 3)).ok();
    let group = |n: u8| GroupId::parse(&format!("g{}", n % 4)).ok();
    for k in 0..3u8 {
        let groups = (0..4u8)
            .filter_map(|g| {
                Some(GroupSpec {
                    group_id: group(g)?,
                    age_years: i16::from(2 + g),
                    language: if g % 2 == 0 {
                        Language::Kk
                    } else {
                        Language::Ru
                    },
                    capacity: 2,
                    enrolled: 2,
                })
            })
            .collect();
        if let (Some(id), Ok(d)) = (kg(k), DistrictId::parse("D1")) {
            let _ = state.execute(Command::UpsertKindergarten {
                kindergarten_id: id,
                name: "K".into(),
                district: d,
                groups,
            });
        }
    }
    let mut n = 0u32;
    for chunk in data.get(1..).unwrap_or_default().chunks(4) {
        let [op, a, b, c] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
            *chunk.get(3).unwrap_or(&0),
        ];
        n += 1;
        now = now
            .checked_add(Span::new().hours(i64::from(a % 50)))
            .unwrap_or(now);
        let app = |x: u8| {
            state
                .applications()
                .get(usize::from(x) % state.applications().len().max(1))
                .map(|a| a.id.clone())
        };
        let referral = |x: u8| {
            state
                .referrals()
                .get(usize::from(x) % state.referrals().len().max(1))
                .map(|r| r.id.clone())
        };
        let cmd = match op % 9 {
            0 | 1 => {
                let birth = jiff::civil::date(
                    2021 + i16::from(b % 5),
                    1 + (c % 12) as i8,
                    1 + (a % 28) as i8,
                );
                let Some(iin) =
                    crate::iin::Iin::compose(birth, c % 2 == 0, u16::from(a) * 37 + u16::from(b))
                else {
                    continue;
                };
                let Ok(id) = ApplicationId::parse(&format!("A{n}")) else {
                    continue;
                };
                let prefs: Vec<KindergartenId> = [b, c]
                    .iter()
                    .filter_map(|x| kg(*x))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let cats = ["none", "large_family", "military", "orphan"];
                let row = ApplicationRow {
                    line: 2,
                    application_id: id,
                    child_iin: iin,
                    birth_date: birth,
                    registered_at: now
                        .checked_sub(Span::new().hours(i64::from(c)))
                        .unwrap_or(now),
                    district: DistrictId::parse("D1").unwrap_or_else(|_| unreachable!()),
                    language: if a % 2 == 0 {
                        Language::Kk
                    } else {
                        Language::Ru
                    },
                    category: crate::types::Category::parse(cats[usize::from(c % 4)])
                        .filter(|c| c.as_str() != "none"),
                    preferences: prefs,
                };
                Command::Import(Box::new(ImportRequest { row }))
            }
            2 => {
                let (Some(k), Some(g)) = (kg(a), group(b)) else {
                    continue;
                };
                Command::OpenVacancies {
                    kindergarten_id: k,
                    group_id: g,
                    seats: u32::from(c % 3),
                }
            }
            3 => {
                let Ok(id) = RoundId::parse(&format!("R{n}")) else {
                    continue;
                };
                let Ok(d) = DistrictId::parse("D1") else {
                    continue;
                };
                Command::RunRound {
                    round_id: id,
                    district: d,
                    academic_year: Some(2026),
                    at: now,
                }
            }
            4 => match app(a) {
                Some(application_id) => Command::DecideClaim {
                    application_id,
                    verified: b % 2 == 0,
                    reason: String::new(),
                    at: now,
                },
                None => continue,
            },
            5 => match app(a) {
                Some(application_id) => Command::Withdraw {
                    application_id,
                    at: now,
                },
                None => continue,
            },
            6 => match referral(a) {
                Some(referral_id) => match b % 4 {
                    0 => Command::Confirm {
                        referral_id,
                        at: now,
                    },
                    1 => Command::Decline {
                        referral_id,
                        at: now,
                    },
                    2 => Command::Enrol {
                        referral_id,
                        at: now,
                    },
                    _ => Command::NoShow {
                        referral_id,
                        at: now,
                    },
                },
                None => continue,
            },
            7 => Command::LapseOverdue { at: now },
            _ => match app(a) {
                Some(application_id) => Command::ChangePreferences {
                    application_id,
                    preferences: [b, c]
                        .iter()
                        .filter_map(|x| kg(*x))
                        .map(|k| k.to_string())
                        .collect(),
                    at: now,
                },
                None => continue,
            },
        };
        let _ = state.execute(cmd);
        for k in state.kindergartens() {
            for g in &k.groups {
                assert!(g.enrolled + g.reserved <= g.capacity, "over capacity");
                let open = state
                    .referrals()
                    .iter()
                    .filter(|r| {
                        r.status.is_open()
                            && state.kindergarten(r.kindergarten).id == k.id
                            && r.group == g.id
                    })
                    .count();
                assert_eq!(
                    g.reserved as usize, open,
                    "reserved seats differ from open referrals"
                );
            }
        }
        for (i, a) in state.applications().iter().enumerate() {
            assert_eq!(
                state.queue_number(i as u32).is_some(),
                a.status == AppStatus::Queued,
                "queue number of a non-queued child"
            );
        }
    }
}
