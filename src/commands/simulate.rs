//! `kezek simulate`: parse a city, load it, run one round per district, write referrals.csv.
//! Nothing is written unless every row is valid and every round ran.

use crate::cli::SimulateArgs;
use crate::config::load_policy;
use anyhow::{Context, Result};
use kezek_core::city::load_city;
use kezek_core::city::CityError;
use kezek_core::command::round::RunRound;
use kezek_core::dataset::{parse_applications_on, parse_groups, ApplicationRow, GroupRow};
use kezek_core::model::{DistrictId, RoundId};
use kezek_core::{Event, Policy, State};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
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
    let (groups, apps) = parse(args, &policy)?;
    let n_apps = apps.len();
    let t_parse = t0.elapsed();
    let t1 = Instant::now();
    let mut parts = build(&policy, &groups, apps)?;
    let t_build = t1.elapsed();
    let t2 = Instant::now();
    let mut referred = allocate(&mut parts, args.academic_year)?;
    let (queued, free_left) = left_over(&parts);
    let t_alloc = t2.elapsed();
    let t3 = Instant::now();
    referred.sort();
    write_referrals(&args.out, &referred)?;
    let t_write = t3.elapsed();
    let n_districts = parts.iter().map(|p| p.districts.len()).sum::<usize>();
    let n_kindergartens = parts.first().map_or(0, |p| p.state.kindergarten_count());
    println!(
        "simulate: {n_apps} applications, {n_kindergartens} kindergartens, {} groups, {n_districts} districts; {} referred, {queued} still queued, {free_left} seats free; parse {}, build {}, allocate {}, write {}, total {}",
        groups.len(),
        referred.len(),
        ms(t_parse),
        ms(t_build),
        ms(t_alloc),
        ms(t_write),
        ms(t0.elapsed()),
    );
    // The process ends now: handing ~1 GB back to the allocator piece by piece would only
    // delay the exit (about 0.3 s on the 10^6 city). The output file is already synced.
    std::mem::forget(parts);
    Ok(())
}

/// Both files, parsed on every core.
fn parse(args: &SimulateArgs, policy: &Policy) -> Result<(Vec<GroupRow>, Vec<ApplicationRow>)> {
    let (groups_text, apps_text) = (read(&args.groups)?, read(&args.applications)?);
    let max_prefs = policy.max_preferences;
    let (groups, apps) = std::thread::scope(|s| {
        let g = s.spawn(|| parse_groups(&groups_text));
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let a = parse_applications_on(&apps_text, max_prefs, threads);
        (g.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), a)
    });
    let groups = groups.with_context(|| format!("{}", args.groups.display()))?;
    let apps = apps.with_context(|| format!("{}", args.applications.display()))?;
    Ok((groups, apps))
}

/// The city loaded into parts of districts, one state each, on every core; the first bad
/// row in file order stops it.
fn build(policy: &Policy, groups: &[GroupRow], apps: Vec<ApplicationRow>) -> Result<Vec<Part>> {
    let mut parts = partition(policy, groups, &apps);
    let mut apps_by_part: Vec<Vec<ApplicationRow>> = parts.iter().map(|_| Vec::new()).collect();
    for row in apps {
        let part = parts
            .iter()
            .position(|p| p.districts.iter().any(|(_, d)| *d == row.district))
            .unwrap_or(0);
        if let Some(rows) = apps_by_part.get_mut(part) {
            rows.push(row);
        }
    }
    let loaded: Vec<Result<(), CityError>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter_mut()
            .zip(apps_by_part)
            .map(|(part, rows)| s.spawn(|| load_city(&mut part.state, groups, rows, &mut |_| {})))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    match loaded
        .into_iter()
        .filter_map(Result::err)
        .min_by_key(|e| (e.file, e.line))
    {
        Some(e) => Err(e.into()),
        None => Ok(parts),
    }
}

/// One round in every district, every part on its own core; the referrals.
fn allocate(parts: &mut [Part], year: i16) -> Result<Vec<(String, String, String)>> {
    let rounds: Vec<Result<Vec<(String, String, String)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter_mut()
            .map(|part| s.spawn(move || part.run_rounds(year)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut referred = Vec::new();
    for r in rounds {
        referred.extend(r?);
    }
    Ok(referred)
}

/// Children still queued and seats still free, in every part's own districts.
fn left_over(parts: &[Part]) -> (usize, u64) {
    let queued: usize = parts.iter().map(|p| p.state.queued()).sum();
    let free_left: u64 = parts
        .iter()
        .flat_map(|p| p.districts.iter().map(move |(_, d)| (p, d)))
        .flat_map(|(p, d)| {
            p.state.kindergartens().filter(move |(k, _)| {
                p.state
                    .district_of_kindergarten(*k)
                    .is_some_and(|x| &x.id == d)
            })
        })
        .flat_map(|(_, k)| &k.groups)
        .map(|g| u64::from(g.free()))
        .sum();
    (queued, free_left)
}

/// Some of a city's districts with their own state. Children compete only inside a
/// district and kindergartens belong to one, so each district loads and allocates the same
/// alone as in one state with all the others; every part knows every kindergarten, so a
/// preference outside the child's district is refused exactly as it would be in one state.
struct Part {
    /// (1-based index in the sorted district list, district).
    districts: Vec<(usize, DistrictId)>,
    state: State,
}

impl Part {
    /// One round in each of the part's districts; the referrals as CSV fields.
    fn run_rounds(&mut self, year: i16) -> Result<Vec<(String, String, String)>> {
        let policy = self.state.policy();
        let at = policy
            .calendar
            .end_of_day(policy.cutoff.in_year(year).yesterday().unwrap_or_default());
        let mut out = Vec::new();
        for (i, district) in &self.districts {
            let round_id = RoundId::parse(&format!("sim-{i}")).context("round id")?;
            let cmd = RunRound {
                round_id,
                district: district.clone(),
                academic_year: Some(year),
                at,
            };
            let outcome = self
                .state
                .execute(cmd)
                .map_err(|e| anyhow::anyhow!("round in {district}: {e}"))?;
            for (_, e) in outcome {
                if let Event::RoundRun(r) = e {
                    out.extend(r.referrals.into_iter().map(|x| {
                        (
                            x.application_id.to_string(),
                            x.kindergarten_id.to_string(),
                            x.group_id.to_string(),
                        )
                    }));
                }
            }
        }
        Ok(out)
    }
}

/// Splits the districts over the cores, the busiest district first onto the least loaded
/// part (deterministic).
fn partition(policy: &Policy, groups: &[GroupRow], apps: &[ApplicationRow]) -> Vec<Part> {
    let districts: BTreeSet<&DistrictId> = groups.iter().map(|g| &g.district).collect();
    let mut load: BTreeMap<&DistrictId, usize> = districts.iter().map(|d| (*d, 0)).collect();
    for a in apps {
        if let Some(n) = load.get_mut(&a.district) {
            *n += 1;
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut parts: Vec<Part> = (0..cores.clamp(1, districts.len().max(1)))
        .map(|_| Part {
            districts: Vec::new(),
            state: State::new(policy.clone()),
        })
        .collect();
    let mut by_load: Vec<(usize, &DistrictId)> = districts
        .iter()
        .enumerate()
        .map(|(i, d)| (i + 1, *d))
        .collect();
    let load_of = |d: &DistrictId| load.get(d).copied().unwrap_or(0);
    by_load.sort_by_key(|(i, d)| (std::cmp::Reverse(load_of(d)), *i));
    let mut weight = vec![0usize; parts.len()];
    for (i, d) in by_load {
        // The lightest part so far (the first of equals) takes the district.
        let lightest = weight
            .iter()
            .enumerate()
            .min_by_key(|(p, w)| (**w, *p))
            .map(|(p, _)| p);
        if let (Some(w), Some(part)) =
            lightest.map_or((None, None), |p| (weight.get_mut(p), parts.get_mut(p)))
        {
            *w += load_of(d);
            part.districts.push((i, d.clone()));
        }
    }
    for p in &mut parts {
        p.districts.sort();
    }
    parts
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
    w.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
