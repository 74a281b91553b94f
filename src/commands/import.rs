//! `kezek import`: loads a city into the store, all or nothing.

use crate::cli::ImportArgs;
use anyhow::{Context, Result};

/// Runs the command.
///
/// # Errors
/// A bad row (nothing is written), or the store cannot be opened or written.
pub fn run(args: &ImportArgs) -> Result<()> {
    let installation = super::installation(&args.store);
    let store = super::open_store(&installation)?;
    let _held = store.take(&installation, "kezek import")?;
    let app = super::start_on(&args.store, &installation, store.store())?;
    let read = |p: &std::path::Path| {
        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
    };
    // The names of the places, when the city has them beside its groups.csv.
    let beside = |name: &str| -> Result<Option<Vec<u8>>> {
        let path = args.groups.with_file_name(name);
        if path.exists() {
            Ok(Some(read(&path)?))
        } else {
            Ok(None)
        }
    };
    let (groups, applications) = (read(&args.groups)?, read(&args.applications)?);
    let (districts, kindergartens) = (beside("districts.csv")?, beside("kindergartens.csv")?);
    let files = kezek_app::ops::import::CityFiles {
        groups: &groups,
        applications: &applications,
        districts: districts.as_deref(),
        kindergartens: kindergartens.as_deref(),
    };
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    rt.block_on(app.journal_policy())?;
    rt.block_on(app.journal_definitions())?;
    let n = rt.block_on(app.import("import", files))?;
    let queued = app.queued()?;
    println!("imported {n} events; {queued} queued");
    Ok(())
}
