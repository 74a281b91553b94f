//! `kezek keys create`: a new API key, signed by the installation's authority key; the token
//! is shown once, alone on the last line.

use crate::cli::KeyArgs;
use crate::config::Installation;
use anyhow::{bail, Result};
use kezek_app::keys::{create as create_key, scope_for};
use kezek_app::Role;

/// Runs the command.
///
/// # Errors
/// Unknown role, scope on the wrong role, or the store cannot be written.
pub fn create(args: &KeyArgs) -> Result<()> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role must be portal, staff, kindergarten, auditor or admin")
    };
    let scope = scope_for(role, &args.districts, &args.kindergartens)?;
    let installation = Installation::new(&args.data, args.authority_key.as_deref());
    let store = super::open_store(&installation)?;
    let authority = super::authority(&installation)?;
    let (key_id, token) = create_key(
        store.as_ref(),
        &authority,
        role,
        scope,
        jiff::Timestamp::now(),
    )?;
    println!(
        "created {} key {key_id}; the token is shown once:",
        role.as_str()
    );
    println!("{token}");
    Ok(())
}
