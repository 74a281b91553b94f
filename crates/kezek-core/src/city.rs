//! Loading a city from the interchange format into a state, as the format says (see
//! [`crate::dataset`]): every group created full, every application registered at its
//! original time in (`registered_at`, `application_id`) order with claims verified, then the free seats opened
//! as vacancies. Used by `kezek simulate` and `kezek import`.

use crate::command::district::NameDistrict;
use crate::command::import::Import;
use crate::command::kindergarten::UpsertKindergarten;
use crate::command::vacancies::OpenVacancies;
use crate::command::Bulk;
use crate::command::{Command, CommandError, Outcome};
use crate::dataset::{ApplicationRow, Catalog, GroupRow};
use crate::event::{GroupSpec, KindergartenLabels};
use crate::model::KindergartenId;
use crate::state::State;

/// A row the state refused, with the file and line it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {message}")]
pub struct CityError {
    /// `groups.csv` or `applications.csv`.
    pub file: &'static str,
    /// Line number.
    pub line: u64,
    /// The rule broken.
    pub message: String,
}

fn describe(e: &CommandError) -> String {
    match e {
        CommandError::Refused(r) => r.describe(),
        CommandError::Inconsistent(e) => e.to_string(),
    }
}

/// Loads `groups` and `applications` into `state`, handing each command's events to `sink`.
///
/// # Errors
/// The first row the state refuses (unknown kindergarten, child too old, …). The state is
/// then partly loaded and must be discarded; so is a state an event of the city did not
/// apply to (a bug).
pub fn load_city(
    state: &mut State,
    groups: &[GroupRow],
    applications: Vec<ApplicationRow>,
    sink: &mut dyn FnMut(Outcome),
) -> Result<(), CityError> {
    load_named_city(state, &Catalog::default(), groups, applications, sink)
}

/// [`load_city`] with the names of its districts and kindergartens: the districts are named
/// first, and each kindergarten is created with its name and address (its id when unnamed).
///
/// # Errors
/// As [`load_city`]; a name the state refuses.
pub fn load_named_city(
    state: &mut State,
    catalog: &Catalog,
    groups: &[GroupRow],
    applications: Vec<ApplicationRow>,
    sink: &mut dyn FnMut(Outcome),
) -> Result<(), CityError> {
    // One bulk load: the children enter their cohort queues together, each queue's lists
    // built bottom-up, when the first vacancy is opened.
    let state = &mut state.bulk();
    for (i, (district, names)) in catalog.districts.iter().enumerate() {
        let cmd = Command::from(NameDistrict {
            district: district.clone(),
            names: names.clone(),
        });
        sink(run(state, cmd, "districts.csv", i as u64 + 2)?);
    }
    create_full(state, catalog, groups, sink)?;
    register_all(state, applications, sink)?;
    for g in groups.iter().filter(|g| g.free_seats > 0) {
        let cmd = Command::from(OpenVacancies {
            kindergarten_id: g.kindergarten_id.clone(),
            group_id: g.group_id.clone(),
            seats: g.free_seats,
        });
        sink(run(state, cmd, "groups.csv", g.line)?);
    }
    Ok(())
}

/// Runs `cmd` for the row at `line` of `file`.
fn run(
    state: &mut Bulk,
    cmd: Command,
    file: &'static str,
    line: u64,
) -> Result<Outcome, CityError> {
    state.execute(cmd).map_err(|e| CityError {
        file,
        line,
        message: describe(&e),
    })
}

/// Every kindergarten of `groups`, in the order of first mention, with its groups full.
fn create_full(
    state: &mut Bulk,
    catalog: &Catalog,
    groups: &[GroupRow],
    sink: &mut dyn FnMut(Outcome),
) -> Result<(), CityError> {
    let mut order: Vec<&KindergartenId> = Vec::new();
    let mut by_kg: rustc_hash::FxHashMap<&KindergartenId, Vec<&GroupRow>> =
        rustc_hash::FxHashMap::default();
    for g in groups {
        let rows = by_kg.entry(&g.kindergarten_id).or_default();
        if rows.is_empty() {
            order.push(&g.kindergarten_id);
        }
        rows.push(g);
    }
    for (k, rows) in order.into_iter().filter_map(|k| Some((k, by_kg.get(k)?))) {
        let Some(first) = rows.first() else {
            continue;
        };
        let specs = rows
            .iter()
            .map(|g| GroupSpec {
                group_id: g.group_id.clone(),
                age_years: g.age_years,
                language: g.language,
                capacity: g.free_seats,
                enrolled: g.free_seats,
            })
            .collect();
        let (name, labels) = catalog.kindergartens.get(k).map_or_else(
            || (k.to_string(), KindergartenLabels::default()),
            Clone::clone,
        );
        let cmd = Command::from(UpsertKindergarten {
            kindergarten_id: k.clone(),
            name,
            labels,
            district: first.district.clone(),
            groups: specs,
            academic_year: None,
        });
        sink(run(state, cmd, "groups.csv", first.line)?);
    }
    Ok(())
}

/// Every application, at its original time, in (`registered_at`, `application_id`) order.
fn register_all(
    state: &mut Bulk,
    mut applications: Vec<ApplicationRow>,
    sink: &mut dyn FnMut(Outcome),
) -> Result<(), CityError> {
    // Ids are unique, so an unstable sort gives the one order.
    applications.sort_unstable_by(|a, b| {
        (a.registered_at, &a.application_id).cmp(&(b.registered_at, &b.application_id))
    });
    state.reserve_applications(applications.len());
    for row in applications {
        let line = row.line;
        sink(run(
            state,
            Command::from(Import { row }),
            "applications.csv",
            line,
        )?);
    }
    Ok(())
}
