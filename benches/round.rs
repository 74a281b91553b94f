//! A whole allocation round over the 10⁶ city of
//! `gen.py --children 1000000 --kindergartens 8000 --seed 42` (8 districts, ~8·10⁴ seats).
//! The city is read from `$KEZEK_CITY` (default `target/city-1m`), generated there with
//! python3 and `../shared/dataset/gen.py` when missing. `cargo bench --bench round`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark: a panic is a failed run"
)]
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "timing arithmetic on counts and nanoseconds far below 2^52"
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use kezek_core::city::load_city;
use kezek_core::command::round::replan;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::model::RoundId;
use kezek_core::{Policy, State};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn city_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir =
        std::env::var_os("KEZEK_CITY").map_or_else(|| root.join("target/city-1m"), PathBuf::from);
    if !dir.join("applications.csv").exists() {
        let gen = root.join("../shared/dataset/gen.py");
        let ok = std::process::Command::new("python3")
            .arg(&gen)
            .args([
                "--children",
                "1000000",
                "--kindergartens",
                "8000",
                "--seed",
                "42",
                "--out",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "could not generate the city with {}", gen.display());
    }
    dir
}

fn bench(c: &mut Criterion) {
    let dir = city_dir();
    let groups = parse_groups(&std::fs::read(dir.join("groups.csv")).unwrap()).unwrap();
    let apps =
        parse_applications(&std::fs::read(dir.join("applications.csv")).unwrap(), 3).unwrap();
    let mut state = State::new(Policy::kz_2013());
    load_city(&mut state, &groups, apps, &mut |_| {}).unwrap();
    let districts: Vec<_> = state.districts().map(|(_, d)| d.id.clone()).collect();
    let at: jiff::Timestamp = "2026-08-31T19:00:00Z".parse().unwrap();
    let mut g = c.benchmark_group("round");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("whole_city_1m", |b| {
        b.iter(|| {
            let mut referrals = 0;
            for (i, d) in districts.iter().enumerate() {
                let id = RoundId::parse(&format!("b{i}")).unwrap();
                let record = kezek_core::event::RoundRecord {
                    round_id: id,
                    district: d.clone(),
                    academic_year: 2026,
                    ran_at: at,
                    scope: None,
                    referrals: Vec::new(),
                    phases: Vec::new(),
                    free_seats_left: 0,
                    exchanges: Vec::new(),
                };
                referrals += replan(&state, &record).unwrap().referrals.len();
            }
            black_box(referrals)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
