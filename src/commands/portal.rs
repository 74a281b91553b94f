//! `kezek public enable`: the operator starts publishing the pseudonymous public journal.
//!
//! `kezek portal trust --public-key FILE`: the operator registers the key the e-government
//! portal signs its citizen assertions with (journaled as `portal_trusted`, the servers
//! stopped). From then on every portal request about an application names its citizen in a
//! `Kezek-Citizen` assertion and acts only on that citizen's applications.

use crate::cli::{PortalTrustArgs, PublicEnableArgs};
use anyhow::{Context, Result};

/// Runs `kezek portal trust`.
///
/// # Errors
/// The file does not read as an Ed25519 or RSA public key, the service runs, or the journal
/// cannot be written.
pub fn trust(args: &PortalTrustArgs) -> Result<()> {
    let pem = std::fs::read_to_string(&args.public_key)
        .with_context(|| format!("cannot read {}", args.public_key.display()))?;
    let (app, _held) = super::started(&args.at, "kezek portal trust")?;
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    let key = rt
        .block_on(app.trust_portal_by_operator(&pem))
        .with_context(|| format!("{} is not registered", args.public_key.display()))?;
    println!(
        "the portal's {} key {} is trusted: portal requests now act for the citizen each names",
        key.algorithm, key.fingerprint
    );
    Ok(())
}

/// Runs `kezek public enable`: the public journal is published from then on.
///
/// # Errors
/// Published already, the service runs, or the journal cannot be written.
pub fn publish(args: &PublicEnableArgs) -> Result<()> {
    let (app, _held) = super::started(&args.at, "kezek public enable")?;
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    rt.block_on(app.start_publication_by_operator())
        .context("the public journal is not published")?;
    println!("the public journal is published: GET /public/journal, /public/head");
    Ok(())
}
