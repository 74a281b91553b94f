//! `kezek authority show | rotate | replace`: the authority key the journal pins
//! (`kezek_app::keys::pin`). A rotation is endorsed by the key in force and keeps its file
//! beside the new one as retired; a replacement, for a key that was lost, says why. Both are
//! journaled, so a document, head or API key signed before still checks against the key
//! that was in force then.

use crate::cli::{AuthorityShowArgs, ReplaceArgs, RotateArgs};
use anyhow::{bail, Context, Result};
use kezek_app::keys::authority::Authority;
use kezek_app::keys::pin::journaled;
use kezek_app::{App, PolicyChoice, SystemClock};
use kezek_core::Policy;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs `kezek authority show`.
///
/// # Errors
/// No journal, or it cannot be read.
pub fn show(args: &AuthorityShowArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let store = super::open_store(&installation)?.store();
    let keys = journaled(store.as_ref())?;
    let path = installation.authority();
    let here = Authority::load(&path).ok();
    let retired = Authority::retired_beside(&path);
    if keys.is_empty() {
        match &here {
            Some(k) => println!(
                "no authority key journaled yet: the next start adopts {} ({})",
                k.key_id(),
                path.display()
            ),
            None => println!(
                "no authority key journaled yet, and none at {}",
                path.display()
            ),
        }
        return Ok(());
    }
    println!("key_id\tfrom_seq\tuntil_seq\tchange\theld\treason");
    for (i, k) in keys.iter().enumerate() {
        let until = keys
            .get(i + 1)
            .map_or_else(|| "-".to_owned(), |n| n.seq.to_string());
        let from = if i == 0 { 1 } else { k.seq };
        let held = if here.as_ref().is_some_and(|h| h.key_id() == k.key_id) {
            path.display().to_string()
        } else if retired.iter().any(|r| r.key_id() == k.key_id) {
            Authority::retired_path(&path, &k.key_id)
                .display()
                .to_string()
        } else {
            "-".to_owned()
        };
        println!(
            "{}\t{from}\t{until}\t{}\t{held}\t{}",
            k.key_id,
            k.change.as_str(),
            k.reason.as_deref().unwrap_or("-")
        );
    }
    if let Some(current) = keys.last() {
        println!("in force: {}", current.key_id);
    }
    Ok(())
}

/// Where a rotation keeps the new key until the journal names it: a crash between the two
/// leaves it on disk.
fn pending_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(
        || "authority.key".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!("{name}.next"))
}

/// Runs `kezek authority rotate`.
///
/// # Errors
/// A server writes the journal, the key held is not the one in force, the new key was the
/// journal's before, or a file cannot be written.
pub fn rotate(args: &RotateArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let opened = super::open_store(&installation)?;
    let _held = opened.take(&installation, "kezek authority rotate")?;
    // Pinned: only the key in force may endorse its successor.
    let app = super::start_with(
        &installation,
        opened.store(),
        PolicyChoice::Journaled(Policy::kz_2013()),
    )?;
    let path = installation.authority();
    let new = match &args.new {
        Some(file) => Authority::load(file)?,
        None => Authority::generate()?,
    };
    let old = app.authority().key_id().to_owned();
    if new.key_id() == old {
        bail!("{old} is the key in force already");
    }
    let pending = pending_path(&path);
    if pending.exists() {
        let there = Authority::load(&pending)?;
        if there.key_id() != new.key_id() {
            bail!(
                "{} holds key {} from a rotation that did not finish: `kezek authority show` says whether the journal adopted it; move the file away if it did not",
                pending.display(),
                there.key_id()
            );
        }
    } else {
        new.write_to(&pending)?;
    }
    let seq = super::runtime()?
        .block_on(app.rotate_authority(&new))
        .context("the new key is not adopted")?;
    let retired = Authority::retired_path(&path, &old);
    std::fs::rename(&path, &retired)
        .with_context(|| format!("cannot keep the retired key at {}", retired.display()))?;
    std::fs::rename(&pending, &path)
        .with_context(|| format!("cannot put the new key at {}", path.display()))?;
    println!(
        "authority key {} in force from seq {seq}; {old} retired, kept at {}",
        new.key_id(),
        retired.display()
    );
    println!(
        "give every node the new key ({}) before starting it again",
        path.display()
    );
    Ok(())
}

/// Runs `kezek authority replace`.
///
/// # Errors
/// A server writes the journal, the journal has no key yet, the key in force is not lost,
/// the new key was the journal's before, the reason is empty, or a file cannot be written.
pub fn replace(args: &ReplaceArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let opened = super::open_store(&installation)?;
    let _held = opened.take(&installation, "kezek authority replace")?;
    let store = opened.store();
    let keys = journaled(store.as_ref())?;
    let Some(current) = keys.last() else {
        bail!("the journal adopted no authority key yet: start a node with the key its documents carry, and it adopts it");
    };
    let new = Authority::load(&args.new)?;
    if keys.iter().any(|k| k.key_id == new.key_id()) {
        bail!(
            "{} was the journal's authority key already: a key never returns",
            new.key_id()
        );
    }
    let path = installation.authority();
    if path.exists() {
        let there = Authority::load(&path)?;
        if there.key_id() == current.key_id {
            bail!(
                "the key in force ({}) is at {}: it is not lost; rotate instead: kezek authority rotate --new {}",
                current.key_id,
                path.display(),
                args.new.display()
            );
        }
        if there.key_id() != new.key_id() {
            bail!(
                "{} holds key {}, neither the journal's nor the new one: move it away first",
                path.display(),
                there.key_id()
            );
        }
    }
    let app = App::start_to_replace(
        store,
        PolicyChoice::Journaled(Policy::kz_2013()),
        new.clone(),
        Arc::new(SystemClock),
    )?;
    let seq = super::runtime()?
        .block_on(app.replace_authority(&args.reason))
        .context("the new key is not adopted")?;
    if !path.exists() {
        new.write_to(&path)?;
    }
    println!(
        "authority key {} in force from seq {seq} in place of {} (lost: {}); what {} signed before still checks against its public key",
        new.key_id(),
        current.key_id,
        args.reason.trim(),
        current.key_id
    );
    println!(
        "give every node the new key ({}) before starting it again",
        path.display()
    );
    Ok(())
}
