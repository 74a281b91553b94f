//! `kezek import`: loads a city into the store, all or nothing.

use crate::cli::ImportArgs;
use anyhow::{Context, Result};

/// Runs the command.
///
/// # Errors
/// A bad row (nothing is written), or the store cannot be opened or written.
pub fn run(args: &ImportArgs) -> Result<()> {
    let app = super::start(&args.store)?;
    let read = |p: &std::path::Path| {
        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let (groups, applications) = (read(&args.groups)?, read(&args.applications)?);
    let n = super::runtime()?.block_on(app.import("import", &groups, &applications))?;
    let queued = app.peek(kezek_core::State::queued)?;
    println!("imported {n} events; {queued} queued");
    Ok(())
}
