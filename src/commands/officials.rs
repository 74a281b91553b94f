//! `kezek officials add | list | leave`: the named officials who act for the education
//! departments and kindergartens (journaled). With a server running, the administrator uses
//! the console or `PUT /v1/officials/{id}` instead.

use crate::cli::{OfficialAddArgs, OfficialCertificateArgs, OfficialLeaveArgs, OfficialsListArgs};
use anyhow::{Context, Result};
use kezek_app::ops::officials::NewOfficial;
use kezek_app::PolicyChoice;
use kezek_core::Policy;

/// Runs `kezek officials add`.
///
/// # Errors
/// A server writes the journal, or the official is refused (the field and rule named).
pub fn add(args: &OfficialAddArgs) -> Result<()> {
    let (app, _held) = super::started(&args.at, "kezek officials add")?;
    let new = NewOfficial {
        name: args.name.clone(),
        iin: args.iin.clone(),
        position_kk: args.position.clone(),
        position_ru: args.position_ru.clone(),
        organisation: args.organisation.clone(),
        signs: args.signs,
    };
    let rt = super::runtime()?;
    rt.block_on(app.journal_authority())?;
    let o = rt
        .block_on(app.name_official_by_operator(&args.id, new))
        .with_context(|| format!("official {} is not named", args.id))?;
    println!(
        "official {} named: {}, {} ({}), {}{}",
        o.official_id,
        o.name,
        o.position_kk,
        o.position_ru,
        o.organisation,
        if o.signs { ", signs its results" } else { "" }
    );
    Ok(())
}

/// Runs `kezek officials list`.
///
/// # Errors
/// No journal, or it cannot be read.
pub fn list(args: &OfficialsListArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let store = super::open_store(&installation)?.store();
    let app = super::start_with(
        &installation,
        store,
        PolicyChoice::Journaled(Policy::kz_2013()),
    )?;
    println!("official_id\tname\tposition_kk\tposition_ru\torganisation\tsigns\tleft_at\tkeys");
    for o in app.officials_for_operator()? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            o.official_id,
            o.name,
            o.position_kk,
            o.position_ru,
            o.organisation,
            if o.signs { "yes" } else { "no" },
            o.left_at.as_deref().unwrap_or("-"),
            if o.keys.is_empty() {
                "-".to_owned()
            } else {
                o.keys.join(",")
            }
        );
    }
    Ok(())
}

/// Runs `kezek officials leave`.
///
/// # Errors
/// A server writes the journal, or no such official acts.
pub fn leave(args: &OfficialLeaveArgs) -> Result<()> {
    let (app, _held) = super::started(&args.at, "kezek officials leave")?;
    super::runtime()?
        .block_on(app.official_leaves_by_operator(&args.id))
        .with_context(|| format!("official {} does not leave", args.id))?;
    println!(
        "official {} left: their keys are refused from now on",
        args.id
    );
    Ok(())
}

/// Runs `kezek officials certificate`.
///
/// # Errors
/// A server writes the journal, a file that cannot be read, or the certificate is refused
/// (the check that failed named).
pub fn certificate(args: &OfficialCertificateArgs) -> Result<()> {
    let p12 =
        std::fs::read(&args.p12).with_context(|| format!("cannot read {}", args.p12.display()))?;
    let password = std::fs::read_to_string(&args.password_file)
        .with_context(|| format!("cannot read {}", args.password_file.display()))?;
    let password = password.lines().next().unwrap_or_default();
    let (app, _held) = super::started(&args.at, "kezek officials certificate")?;
    let dirs = args.at.installation().signing();
    let c = super::runtime()?
        .block_on(app.install_certificate(&args.id, &p12, password, &dirs))
        .with_context(|| format!("the certificate of {} is not installed", args.id))?;
    println!(
        "official {} signs with certificate {} ({}, serial {}, valid {} to {}, issued by {}); its private key is in {}",
        args.id,
        c.subject,
        c.algorithm,
        c.serial,
        c.not_before,
        c.not_after,
        c.issuer,
        dirs.identity_file(&args.id, &c.fingerprint).display()
    );
    Ok(())
}
