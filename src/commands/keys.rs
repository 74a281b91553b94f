//! `kezek keys create | list | revoke`: API keys, signed by the installation's authority key.
//! A new token is shown once, alone on the last line; only its SHA-256 is stored. A key
//! revoked beside a running server is refused by it within a second and journaled by it; with
//! no server running, `revoke` journals it itself.

use crate::cli::{KeyArgs, KeysListArgs, RevokeArgs};
use anyhow::{bail, Context, Result};
use kezek_app::keys::{create as create_key, scope_for, Revoked};
use kezek_app::Role;

/// Runs `kezek keys create`.
///
/// # Errors
/// Unknown role, scope on the wrong role, an expiry that does not read or has passed, or the
/// store cannot be written.
pub fn create(args: &KeyArgs) -> Result<()> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role must be portal, clerk, staff, kindergarten, auditor, admin, head or executor")
    };
    let scope = scope_for(
        role,
        &args.districts,
        &args.kindergartens,
        &args.organisations,
    )?;
    let now = jiff::Timestamp::now();
    let expires = args.expires.as_deref().map(expiry).transpose()?;
    if expires.is_some_and(|e| e <= now) {
        bail!("--expires is in the past");
    }
    let installation = args.at.installation();
    let opened = super::open_store(&installation)?;
    let store = opened.store();
    let authority = super::authority(&installation, store.as_ref())?;
    adopt_first(&installation, &opened)?;
    let key = kezek_app::keys::NewKey {
        role,
        scope,
        expires,
        official: args.official.clone(),
    };
    let (key_id, token) = create_key(store.as_ref(), &authority, key, now)?;
    if let Some(official) = &args.official {
        bind(&installation, &opened, &key_id, official)?;
    }
    match expires {
        Some(e) => println!(
            "created {} key {key_id}, accepted until {e}; the token is shown once:",
            role.as_str()
        ),
        None => println!(
            "created {} key {key_id}; the token is shown once:",
            role.as_str()
        ),
    }
    println!("{token}");
    Ok(())
}

/// On an installation whose journal adopted no authority key yet (an empty one, or one of an
/// earlier Kezek), journals the key held — when no server writes the journal; one that does
/// adopted it when it started.
fn adopt_first(installation: &crate::config::Installation, opened: &super::Opened) -> Result<()> {
    let store = opened.store();
    if !kezek_app::keys::pin::journaled(store.as_ref())?.is_empty() {
        return Ok(());
    }
    let Ok(_held) = opened.take(installation, "kezek keys create") else {
        return Ok(());
    };
    let app = super::start_with(
        installation,
        store,
        kezek_app::PolicyChoice::Journaled(kezek_core::Policy::kz_2013()),
    )?;
    if super::runtime()?.block_on(app.journal_authority())? {
        println!(
            "the journal adopted authority key {}",
            app.authority().key_id()
        );
    }
    Ok(())
}

/// Journals that key `key_id` is `official`'s when no server writes the journal (a running
/// one does within a second); refused — and the key with it — for an official the journal
/// does not have or who left.
fn bind(
    installation: &crate::config::Installation,
    opened: &super::Opened,
    key_id: &str,
    official: &str,
) -> Result<()> {
    let Ok(_held) = opened.take(installation, "kezek keys create") else {
        println!("the running server binds it to official {official} within a second");
        return Ok(());
    };
    let app = super::start_with(
        installation,
        opened.store(),
        kezek_app::PolicyChoice::Journaled(kezek_core::Policy::kz_2013()),
    )?;
    super::runtime()?.block_on(app.sync_keys())?;
    let bound = app.official_of_key(key_id)?.map(|o| o.name);
    match bound {
        Some(name) => println!("key {key_id} belongs to official {official} ({name})"),
        None => bail!(
            "key {key_id} was made but is refused: the journal has no official {official} who acts (kezek officials list); revoke it: kezek keys revoke {key_id}"
        ),
    }
    Ok(())
}

/// `--expires`: a date (from 00:00 UTC that day) or an RFC 3339 time.
fn expiry(raw: &str) -> Result<jiff::Timestamp> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = raw
        .parse()
        .with_context(|| format!("--expires {raw}: not a date (2027-01-01) or an RFC 3339 time"))?;
    Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}

/// Runs `kezek keys list`.
///
/// # Errors
/// No journal, or it cannot be read.
pub fn list(args: &KeysListArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let store = super::open_store(&installation)?.store();
    println!("key_id\trole\tscope\tcreated_at\texpires_at\trevoked_at");
    for k in store.keys()? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            k.key_id,
            k.role,
            if k.scope.is_empty() {
                "-".to_owned()
            } else {
                k.scope.join(",")
            },
            k.created_at,
            k.expires_at.as_deref().unwrap_or("-"),
            k.revoked_at.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

/// Runs `kezek keys revoke`.
///
/// # Errors
/// No such key, or the store cannot be read or written.
pub fn revoke(args: &RevokeArgs) -> Result<()> {
    let installation = args.at.installation();
    super::needs_journal(&installation)?;
    let opened = super::open_store(&installation)?;
    let store = opened.store();
    let authority = super::authority(&installation, store.as_ref())?;
    match kezek_app::keys::revoke(
        store.as_ref(),
        &authority,
        &args.key_id,
        jiff::Timestamp::now(),
    )? {
        Revoked::Already(at) => {
            println!("key {} was revoked already, at {at}", args.key_id);
        }
        Revoked::Now => println!("revoked key {}", args.key_id),
    }
    // The journal records it: the running server does within a second; with none running,
    // this command does (it takes the journal, as a server would).
    match opened.take(&installation, "kezek keys revoke") {
        Err(_) => println!("the running server refuses it within a second and journals it"),
        Ok(_lock) => {
            let app = super::start_with(
                &installation,
                store,
                kezek_app::PolicyChoice::Journaled(kezek_core::Policy::kz_2013()),
            )?;
            let rt = super::runtime()?;
            rt.block_on(app.journal_authority())?;
            let n = rt.block_on(app.sync_keys())?;
            println!("journaled {n} revocation(s)");
        }
    }
    Ok(())
}
