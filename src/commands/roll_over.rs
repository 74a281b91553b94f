//! `kezek roll-over --academic-year Y`: every kindergarten of the city enters the academic
//! year that has begun (the service stopped), one journaled act per kindergarten; one that
//! cannot (seats held for referrals in a group leaving for school) is named and the others go
//! on. Run again once it is cleared: the kindergartens done already are passed over.

use crate::cli::RollOverArgs;
use anyhow::{bail, Result};

/// Runs `kezek roll-over`.
///
/// # Errors
/// The service runs, the journal cannot be written, or a kindergarten was refused.
pub fn run(args: &RollOverArgs) -> Result<()> {
    let (app, _held) = super::started(&args.at, "kezek roll-over")?;
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    rt.block_on(app.journal_policy())?;
    rt.block_on(app.journal_definitions())?;
    let report = rt.block_on(app.roll_over_city(args.academic_year))?;
    let mut refused = 0;
    let mut leavers = 0;
    for k in &report {
        match &k.result {
            Ok(n) => leavers += n,
            Err(why) => {
                refused += 1;
                eprintln!("{}: {why}", k.kindergarten_id);
            }
        }
    }
    println!(
        "{} kindergartens entered {}; {leavers} children left for school; {refused} refused",
        report.len() - refused,
        args.academic_year
    );
    if refused > 0 {
        bail!(
            "{refused} kindergartens did not roll over: clear what is named above and run it again"
        );
    }
    Ok(())
}
