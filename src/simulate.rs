//! `kezek simulate`: parse a city, load it, run one round per district, write referrals.csv.
//! Nothing is written unless every row is valid and every round ran.

use crate::cli::SimulateArgs;
use anyhow::{Context, Result};
use kezek_core::city::load_city;
use kezek_core::dataset::{
    check_applications, parse_application_chunk, parse_groups, split_rows, ApplicationRow,
    RowError, APPLICATIONS_HEADER,
};
use kezek_core::ids::RoundId;
use kezek_core::{Command, Event, Policy, State};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Loads a policy file, or the built-in kz-2013.
pub fn load_policy(path: Option<&Path>) -> Result<Policy> {
    match path {
        None => Ok(Policy::kz_2013()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Policy::from_toml(&text).with_context(|| format!("{}", p.display()))
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Runs the command.
///
/// # Errors
/// An unreadable file, a bad row (with its line number), or an unwritable output.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let policy = load_policy(args.policy.as_deref())?;
    let t0 = Instant::now();
    let (groups_text, apps_text) = (read(&args.groups)?, read(&args.applications)?);
    let max_prefs = policy.max_preferences;
    let (groups, apps) = std::thread::scope(|s| {
        let g = s.spawn(|| parse_groups(&groups_text));
        let a = parse_applications_parallel(&apps_text, max_prefs);
        (g.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), a)
    });
    let groups = groups.with_context(|| format!("{}", args.groups.display()))?;
    let apps = apps.with_context(|| format!("{}", args.applications.display()))?;
    let n_apps = apps.len();
    let t_parse = t0.elapsed();

    let t1 = Instant::now();
    let mut state = State::new(policy);
    load_city(&mut state, &groups, apps, &mut |_| {})?;
    let t_build = t1.elapsed();

    let t2 = Instant::now();
    let at = state.policy().calendar.end_of_day(
        state
            .policy()
            .cutoff
            .in_year(args.academic_year)
            .yesterday()
            .unwrap_or_default(),
    );
    let mut districts: Vec<_> = state.districts().iter().map(|d| d.id.clone()).collect();
    districts.sort();
    let mut referred: Vec<(String, String, String)> = Vec::new();
    for (i, district) in districts.iter().enumerate() {
        let round_id = RoundId::parse(&format!("sim-{}", i + 1)).context("round id")?;
        let cmd = Command::RunRound {
            round_id,
            district: district.clone(),
            academic_year: Some(args.academic_year),
            at,
        };
        let outcome = state
            .execute(cmd)
            .map_err(|e| anyhow::anyhow!("round in {district}: {e}"))?;
        for (_, e) in outcome {
            if let Event::RoundRun(r) = e {
                referred.extend(r.referrals.into_iter().map(|x| {
                    (
                        x.application_id.to_string(),
                        x.kindergarten_id.to_string(),
                        x.group_id.to_string(),
                    )
                }));
            }
        }
    }
    let t_alloc = t2.elapsed();

    let t3 = Instant::now();
    referred.sort();
    write_referrals(&args.out, &referred)?;
    let t_write = t3.elapsed();
    let free_left: u64 = state
        .kindergartens()
        .iter()
        .flat_map(|k| &k.groups)
        .map(|g| u64::from(g.free()))
        .sum();
    println!(
        "simulate: {n_apps} applications, {} kindergartens, {} groups, {} districts; {} referred, {} still queued, {free_left} seats free; parse {}, build {}, allocate {}, write {}, total {}",
        state.kindergartens().len(),
        groups.len(),
        districts.len(),
        referred.len(),
        state.queued(),
        ms(t_parse),
        ms(t_build),
        ms(t_alloc),
        ms(t_write),
        ms(t0.elapsed()),
    );
    Ok(())
}

/// Parses applications.csv on every core: chunks split at line ends, each parsed on its own
/// thread; the first bad row in file order is reported.
fn parse_applications_parallel(
    text: &[u8],
    max_prefs: usize,
) -> Result<Vec<ApplicationRow>, RowError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunks = split_rows(text, APPLICATIONS_HEADER, threads)?;
    let parsed: Vec<Result<Vec<ApplicationRow>, RowError>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|(line, chunk)| s.spawn(move || parse_application_chunk(chunk, *line)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut rows = Vec::with_capacity(parsed.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum());
    for part in parsed {
        rows.extend(part?);
    }
    check_applications(&rows, max_prefs)?;
    Ok(rows)
}

/// Writes referrals.csv next to its final name and renames it into place.
fn write_referrals(path: &Path, rows: &[(String, String, String)]) -> Result<()> {
    let tmp = path.with_extension("csv.tmp");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "application_id,kindergarten_id,group_id")?;
    for (a, k, g) in rows {
        writeln!(w, "{a},{k},{g}")?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
