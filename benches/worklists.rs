//! The staff's claims worklist and the overdue counts at a city's scale (issue 29): read from
//! the claims index the apply arms keep, against the scan of the district's applications they
//! replaced, side by side on the 10⁶ city (`target/city-1m`, or `KEZEK_CITY`).
//! `cargo bench --bench worklists`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark: a panic is a failed run"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use kezek_core::city::load_city;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::model::{AppIx, ClaimStatus, DistrictIx};
use kezek_core::{Policy, State};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn city_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir =
        std::env::var_os("KEZEK_CITY").map_or_else(|| root.join("target/city-1m"), PathBuf::from);
    assert!(
        dir.join("applications.csv").exists(),
        "no city at {}: make one with ../shared/dataset/gen.py, or set KEZEK_CITY",
        dir.display()
    );
    dir
}

/// The first page of a district's claims in `status` and how many there are, as the
/// worklist answers: from the index.
fn indexed(state: &State, d: DistrictIx, status: ClaimStatus) -> (Vec<AppIx>, usize) {
    let mut page = Vec::new();
    let mut n = 0;
    for (a, _) in state.claims_in(d, status) {
        if page.len() < 100 {
            page.push(a);
        }
        n += 1;
    }
    (page, n)
}

/// The same by a scan of the applications (what the worklist did before).
fn scanned(state: &State, d: DistrictIx, status: ClaimStatus) -> (Vec<AppIx>, usize) {
    let mut all: Vec<(jiff::Timestamp, AppIx)> = state
        .applications()
        .filter(|(_, a)| a.district == d && a.claim == status && a.status.is_active())
        .map(|(i, a)| (state.claimed_at(i).unwrap_or(a.registered_at), i))
        .collect();
    all.sort_unstable();
    let n = all.len();
    (all.into_iter().take(100).map(|(_, a)| a).collect(), n)
}

fn bench(c: &mut Criterion) {
    let dir = city_dir();
    let groups = parse_groups(&std::fs::read(dir.join("groups.csv")).unwrap()).unwrap();
    let apps =
        parse_applications(&std::fs::read(dir.join("applications.csv")).unwrap(), 3).unwrap();
    let mut state = State::new(Policy::kz_2013());
    load_city(&mut state, &groups, apps, &mut |_| {}).unwrap();
    let districts: Vec<DistrictIx> = state.districts().map(|(d, _)| d).collect();
    // The city's claims are imported verified (about 25,000 a district); none is pending.
    for d in &districts {
        for status in [ClaimStatus::Pending, ClaimStatus::Verified] {
            assert_eq!(indexed(&state, *d, status), scanned(&state, *d, status));
        }
    }
    let verified: usize = districts
        .iter()
        .map(|d| indexed(&state, *d, ClaimStatus::Verified).1)
        .sum();
    eprintln!("verified claims in the city: {verified}");
    let now: jiff::Timestamp = "2026-09-15T05:00:00Z".parse().unwrap();
    let mut g = c.benchmark_group("claims_worklist_1m");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for status in [ClaimStatus::Pending, ClaimStatus::Verified] {
        let name = status.as_str();
        g.bench_function(format!("indexed_{name}_one_district"), |b| {
            b.iter(|| black_box(indexed(&state, districts[0], status)));
        });
        g.bench_function(format!("scanned_{name}_one_district"), |b| {
            b.iter(|| black_box(scanned(&state, districts[0], status)));
        });
    }
    // The dashboard's queued figures: counted from the cohort queues, against the scan of
    // the applications they replaced.
    g.bench_function("queued_figures_from_the_queues_one_district", |b| {
        b.iter(|| black_box(state.district_stats(districts[0], 2026).queued.len()));
    });
    g.bench_function("queued_figures_scanned_one_district", |b| {
        b.iter(|| {
            let mut queued = std::collections::BTreeMap::new();
            for (_, a) in state.applications().filter(|(_, a)| {
                a.district == districts[0] && a.status == kezek_core::model::AppStatus::Queued
            }) {
                *queued
                    .entry((2026 - a.cohort, a.language, a.tier))
                    .or_insert(0u64) += 1;
            }
            black_box(queued.len())
        });
    });
    // Deciding an erasure: one pass over the applications finds every place its persons
    // appear (issue 28's cost, growing with the city).
    let first = state
        .applications()
        .next()
        .map(|(_, a)| a.id.clone())
        .unwrap();
    state
        .execute(kezek_core::command::withdraw::Withdraw {
            application_id: first.clone(),
            at: now,
        })
        .unwrap();
    g.bench_function("erasure_decided_one_application", |b| {
        b.iter(|| {
            let erase = kezek_core::command::erase::Erase {
                applications: vec![first.clone()],
                reason: kezek_core::event::ErasureReason::Request,
                basis: "order".into(),
                at: now,
                pass_over_needed: false,
            };
            black_box(
                erase
                    .decide(&state, &|_| Some("0123456789abcdef".into()))
                    .unwrap(),
            )
        });
    });
    g.bench_function("overdue_counts_every_district_none_pending", |b| {
        b.iter(|| {
            for d in &districts {
                black_box(state.overdue_claims_in(*d, now));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
