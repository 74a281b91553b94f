//! The exchange search of a round (top trading cycles over the transfer requests) at a city
//! district's scale: 200 kindergartens of 25 seats, every one of the 5,000 children enrolled
//! and asking to move to three others. `cargo bench --bench exchange`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark: a panic is a failed run"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use kezek_core::command::admission::Enroll;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::referral::Confirm;
use kezek_core::command::register::Register;
use kezek_core::command::transfer::RequestTransfer;
use kezek_core::event::GroupSpec;
use kezek_core::model::{
    ApplicationId, DistrictId, GroupId, Iin, KindergartenId, Language, RoundId,
};
use kezek_core::{Event, Policy, State};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

const KINDERGARTENS: u32 = 200;
const SEATS: u32 = 25;

fn kg(k: u32) -> String {
    format!("K{k}")
}

/// Every seat taken by a child who asks to move to three other kindergartens.
fn seated() -> State {
    let at: jiff::Timestamp = "2026-09-02T05:00:00Z".parse().unwrap();
    let mut s = State::new(Policy::kz_2013());
    for k in 0..KINDERGARTENS {
        s.execute(UpsertKindergarten {
            kindergarten_id: KindergartenId::parse(&kg(k)).unwrap(),
            name: kg(k),
            district: DistrictId::parse("D1").unwrap(),
            labels: kezek_core::event::KindergartenLabels::default(),
            groups: vec![GroupSpec {
                group_id: GroupId::parse("g4").unwrap(),
                age_years: 4,
                language: Language::Kk,
                capacity: SEATS,
                enrolled: 0,
            }],
            academic_year: None,
        })
        .unwrap();
    }
    let mut n = 0u32;
    for k in 0..KINDERGARTENS {
        for _ in 0..SEATS {
            n += 1;
            let child = (n..)
                .find_map(|serial| {
                    Iin::compose(
                        jiff::civil::date(2022, 1, 1)
                            .checked_add(jiff::Span::new().days(i64::from(n % 200)))
                            .unwrap(),
                        false,
                        u16::try_from(serial % 9000).unwrap(),
                    )
                })
                .unwrap();
            let out = s
                .execute(Register {
                    application_id: Some(ApplicationId::parse(&format!("a{n}")).unwrap()),
                    round_id: Some(RoundId::parse(&format!("reg{n}")).unwrap()),
                    child_iin: child.to_string(),
                    child_name: "Child".into(),
                    birth_date: None,
                    applicant_iin: "880101300123".into(),
                    applicant_name: "Parent".into(),
                    representative: None,
                    applicant_email: None,
                    district: "D1".into(),
                    language: "kk".into(),
                    preferences: vec![kg(k)],
                    category: None,
                    documents: ["application_form", "applicant_id", "address_proof"]
                        .map(String::from)
                        .to_vec(),
                    channel: "portal".into(),
                    claim_verified: false,
                    together_with: None,
                    at,
                })
                .unwrap();
            let Some((_, Event::RoundRun(round))) = out.last() else {
                panic!("a free seat")
            };
            let referral_id = round.referrals[0].referral_id.clone();
            s.execute(Confirm {
                referral_id: referral_id.clone(),
                at,
            })
            .unwrap();
            s.execute(Enroll { referral_id, at }).unwrap();
            let wants = [7, 31, 113].map(|d| kg((k + d) % KINDERGARTENS)).to_vec();
            s.execute(RequestTransfer {
                application_id: ApplicationId::parse(&format!("a{n}")).unwrap(),
                preferences: wants,
                at,
            })
            .unwrap();
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let state = seated();
    let d = state
        .district_index(&DistrictId::parse("D1").unwrap())
        .unwrap();
    let cycles = state.exchange_cycles(d, 2026, &BTreeSet::new());
    println!(
        "{} requests: {} cycles, {} children moving",
        KINDERGARTENS * SEATS,
        cycles.len(),
        cycles.iter().map(Vec::len).sum::<usize>()
    );
    let mut g = c.benchmark_group("exchange");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("5000 requests", |b| {
        b.iter(|| black_box(state.exchange_cycles(d, 2026, &BTreeSet::new()).len()));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
