//! `kezek policy adopt FILE`: puts a policy in force from now on, journaled with its text and
//! SHA-256 (the service stopped); `kezek policy show`: the policy in force.

use crate::cli::{AdoptArgs, ShowPolicyArgs};
use crate::config::load_policy;
use anyhow::{bail, Context, Result};
use kezek_app::{policy_digest, PolicyChoice};
use kezek_core::Policy;

/// Runs `kezek policy adopt`.
///
/// # Errors
/// The service runs, the file is not a policy, or the policy cannot take over.
pub fn adopt(args: &AdoptArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let policy = load_policy(Some(&args.file))?;
    let opened = super::open_store(&installation)?;
    let _held = opened.take(&installation, "kezek policy adopt")?;
    let app = super::start_with(
        &installation,
        opened.store(),
        PolicyChoice::Journaled(Policy::kz_2013()),
    )?;
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    rt.block_on(app.journal_policy())?;
    rt.block_on(app.journal_definitions())?;
    let seq = rt
        .block_on(app.adopt_policy(&policy))
        .with_context(|| format!("{} is not adopted", args.file.display()))?;
    println!(
        "policy {} (sha256 {}) in force from seq {seq}",
        policy.name,
        policy_digest(policy.source())
    );
    Ok(())
}

/// Runs `kezek policy show`.
///
/// # Errors
/// No journal, or it cannot be read.
pub fn show(args: &ShowPolicyArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let store = super::open_store(&installation)?.store();
    let records = store.policy_records()?;
    let Some(last) = records.last() else {
        println!("no policy journaled yet: the next start journals the one it is given (kz-2013 by default)");
        return Ok(());
    };
    match kezek_store::record::decode(&last.payload)? {
        kezek_core::Event::PolicyAdopted { name, sha256, .. } => {
            println!(
                "policy {name} (sha256 {sha256}) in force since seq {}",
                last.seq
            );
        }
        _ => bail!("journal record {} should be a policy and is not", last.seq),
    }
    Ok(())
}
