//! Loading a city from the interchange format into a state, as `dataset/README.md` says:
//! every group created full, every application registered at its original time in
//! (registered_at, application_id) order with claims verified, then the free seats opened
//! as vacancies. Used by `kezek simulate` and `kezek import`.

use crate::command::{Command, CommandError, ImportRequest, Outcome};
use crate::dataset::{ApplicationRow, GroupRow};
use crate::event::GroupSpec;
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
        CommandError::Invalid(grounds) => grounds
            .iter()
            .map(|g| format!("{}: {} ({})", g.field, g.code, g.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Loads `groups` and `applications` into `state`, handing each command's events to `sink`.
///
/// # Errors
/// The first row the state refuses (unknown kindergarten, child too old, …). The state is
/// then partly loaded and must be discarded.
pub fn load_city(
    state: &mut State,
    groups: &[GroupRow],
    applications: Vec<ApplicationRow>,
    sink: &mut dyn FnMut(Outcome),
) -> Result<(), CityError> {
    let mut order: Vec<&crate::ids::KindergartenId> = Vec::new();
    let mut by_kg: rustc_hash::FxHashMap<&crate::ids::KindergartenId, Vec<&GroupRow>> =
        rustc_hash::FxHashMap::default();
    for g in groups {
        let rows = by_kg.entry(&g.kindergarten_id).or_default();
        if rows.is_empty() {
            order.push(&g.kindergarten_id);
        }
        rows.push(g);
    }
    for k in order {
        let rows = &by_kg[k];
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
        let cmd = Command::UpsertKindergarten {
            kindergarten_id: k.clone(),
            name: k.to_string(),
            district: rows[0].district.clone(),
            groups: specs,
        };
        let fail = |e: CommandError| CityError {
            file: "groups.csv",
            line: rows[0].line,
            message: describe(&e),
        };
        sink(state.execute(cmd).map_err(fail)?);
    }
    let mut applications = applications;
    // Ids are unique, so an unstable sort gives the one order.
    applications.sort_unstable_by(|a, b| {
        (a.registered_at, &a.application_id).cmp(&(b.registered_at, &b.application_id))
    });
    state.reserve_applications(applications.len());
    for row in applications {
        let line = row.line;
        let cmd = Command::Import(Box::new(ImportRequest { row }));
        let fail = |e: CommandError| CityError {
            file: "applications.csv",
            line,
            message: describe(&e),
        };
        sink(state.execute(cmd).map_err(fail)?);
    }
    for g in groups.iter().filter(|g| g.free_seats > 0) {
        let cmd = Command::OpenVacancies {
            kindergarten_id: g.kindergarten_id.clone(),
            group_id: g.group_id.clone(),
            seats: g.free_seats,
        };
        let fail = |e: CommandError| CityError {
            file: "groups.csv",
            line: g.line,
            message: describe(&e),
        };
        sink(state.execute(cmd).map_err(fail)?);
    }
    Ok(())
}
