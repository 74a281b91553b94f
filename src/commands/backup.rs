//! `kezek backup`: a consistent copy of an installation while it serves — the journal by
//! SQLite's online backup, with its own head mark, and the authority key — into a new
//! directory that `kezek serve --data` and `kezek verify --data` take as it is.

use crate::cli::BackupArgs;
use crate::config::Installation;
use anyhow::{bail, Context, Result};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

/// Runs the command.
///
/// # Errors
/// No journal, a target that is not new and empty, a journal that fails its checks, or a
/// copy that cannot be written.
pub fn run(args: &BackupArgs) -> Result<()> {
    let from = args.at.installation();
    let to = Installation::new(&args.to, None);
    if !from.has_journal() {
        bail!("no journal at {}", from.journal().display());
    }
    let empty = std::fs::read_dir(&args.to).map_or(true, |mut d| d.next().is_none());
    if !empty {
        bail!(
            "{} is not empty: a backup goes to a new directory",
            args.to.display()
        );
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&args.to)
        .with_context(|| format!("cannot create {}", args.to.display()))?;
    let head = match &args.at.database {
        None => kezek_store::sqlite::backup(&from.journal(), &to.journal())
            .context("the backup failed")?,
        // One snapshot of the database, copied record by record into a new SQLite journal
        // (kezek migrate's copy): the same hashes, the same head.
        Some(url) => {
            let source = kezek_store::postgres::PgStore::open_snapshot(url)
                .with_context(|| format!("cannot open the journal in {}", from.journal_name()))?;
            let target = kezek_store::sqlite::SqliteStore::open(&to.journal())
                .context("cannot make the backup's journal")?;
            let copied = kezek_store::copy::copy(&source, &target).context("the backup failed")?;
            copied.head
        }
    };
    for file in [
        to.journal(),
        kezek_store::sqlite::mark::path_for(&to.journal()),
    ] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    }
    if from.authority_key.is_some() {
        println!("the authority key is kept outside the data directory: back it up on its own");
    } else if from.authority().exists() {
        std::fs::copy(from.authority(), to.authority()).context("cannot copy the authority key")?;
        std::fs::set_permissions(to.authority(), std::fs::Permissions::from_mode(0o600))?;
        // The retired keys too: the stored answers they sealed still check with them.
        for key in kezek_app::keys::authority::Authority::retired_beside(&from.authority()) {
            let there =
                kezek_app::keys::authority::Authority::retired_path(&to.authority(), key.key_id());
            key.write_to(&there)?;
        }
    }
    println!(
        "backup of {} up to seq {} (hash {}) in {}",
        from.journal_name(),
        head.seq,
        super::hex_of(&head.hash),
        args.to.display()
    );
    Ok(())
}
