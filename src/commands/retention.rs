//! `kezek retention erase --application ID --reason TEXT`: the persons of finished
//! applications erased at once (the servers stopped), as the sweeper erases them when the
//! policy's retention runs out: their data keys deleted and `person_erased` journaled, their
//! documents tombstoned, their notifications and proof files deleted, in one commit; then the
//! snapshots of this data directory older than the erasure deleted (a server deletes its own
//! at its next start, as it writes a new one).

use crate::cli::RetentionEraseArgs;
use anyhow::{Context, Result};
use kezek_app::access::Caller;
use kezek_core::event::ErasureReason;

/// Runs `kezek retention erase`.
///
/// # Errors
/// The service runs, the journal keeps personal data in the clear, an application is unknown
/// or still in progress, or the journal cannot be written.
pub fn erase(args: &RetentionEraseArgs) -> Result<()> {
    let (app, _held) = super::started(&args.at, "kezek retention erase")?;
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    let report = rt
        .block_on(app.erase(
            &Caller::operator(),
            &args.applications,
            ErasureReason::Request,
            args.reason.clone(),
        ))
        .context("nothing was erased")?;
    kezek_node::snapshots::forget_before(&args.at.installation().snapshots(), report.as_of_seq);
    for p in &report.erased {
        println!(
            "erased the {} of {} ({} places): {} stands in",
            p.role, p.application_id, p.places, p.stand_in
        );
    }
    for why in &report.kept {
        println!("kept an applicant or representative: {why}");
    }
    println!("journaled up to seq {}", report.as_of_seq);
    Ok(())
}
