//! `kezek migrate --from A --to B`: moves an installation between SQLite (a data directory)
//! and PostgreSQL (`postgres://…`), either way, with `kezek_store::copy`. Both are held while
//! it runs — a data directory by its lock, a database by its lead — so nothing writes them;
//! the target must hold nothing yet. `kezek verify` on both then names the same head.

use super::Held;
use crate::cli::MigrateArgs;
use crate::config::{redact, Installation, AUTHORITY_FILE};
use anyhow::{bail, Context, Result};
use kezek_store::postgres::PgStore;
use kezek_store::sqlite::SqliteStore;
use kezek_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// One end of a migration.
enum Place {
    Dir(PathBuf),
    Database(String),
}

impl Place {
    fn parse(s: &str) -> Self {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Self::Database(s.to_owned())
        } else {
            Self::Dir(PathBuf::from(s))
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Dir(d) => d.display().to_string(),
            Self::Database(url) => redact(url),
        }
    }
}

/// Opens an end, held (a directory by its lock, a database by its lead); a target directory
/// is made (0700) and must hold no journal.
fn open(place: &Place, target: bool) -> Result<(Arc<dyn Store>, Held)> {
    match place {
        Place::Dir(dir) => {
            let installation = Installation::new(dir, None);
            let journal = installation.journal();
            if target && journal.exists() {
                bail!(
                    "{} holds a journal already: migrate into a new directory",
                    dir.display()
                );
            }
            if !target && !journal.exists() {
                bail!("no journal at {}", journal.display());
            }
            installation.create()?;
            let held = Held::Lock(super::lock::take(dir)?);
            let store = SqliteStore::open(&journal).context("cannot open the journal")?;
            Ok((Arc::new(store), held))
        }
        Place::Database(url) => {
            let store = PgStore::open(url)
                .with_context(|| format!("cannot open the journal in {}", redact(url)))?;
            let held = super::lead(&store, &redact(url), "kezek migrate")?;
            Ok((Arc::new(store), held))
        }
    }
}

/// Runs the command.
///
/// # Errors
/// Either end cannot be opened or held, the target holds an installation, a source record
/// does not verify, or the copy cannot be written.
pub fn run(args: &MigrateArgs) -> Result<()> {
    let (from, to) = (Place::parse(&args.from), Place::parse(&args.to));
    if args.encrypt_personal {
        return encrypt(&from, &to);
    }
    if let (Place::Dir(a), Place::Dir(b)) = (&from, &to) {
        bail!(
            "both ends are data directories ({} and {}): use kezek backup",
            a.display(),
            b.display()
        );
    }
    let (source, _from_held) = open(&from, false)?;
    let (target, _to_held) = open(&to, true)?;
    let copied = kezek_store::copy::copy(source.as_ref(), target.as_ref())
        .with_context(|| format!("cannot migrate {} to {}", from.name(), to.name()))?;
    println!(
        "migrated {} to {}: {} journal records (head seq {} hash {}), {} documents, {} proof files, {} stored answers, {} API keys, {} notifications, {} persons' data keys",
        from.name(),
        to.name(),
        copied.head.seq,
        copied.head.seq,
        super::hex_of(&copied.head.hash),
        copied.documents,
        copied.files,
        copied.answers,
        copied.keys,
        copied.notifications,
        copied.person_keys
    );
    match (&from, &to) {
        (Place::Dir(dir), Place::Database(_)) => println!(
            "the authority key stays in {}: give it to every node (--authority-key), and keep it apart from the database",
            dir.join(AUTHORITY_FILE).display()
        ),
        (Place::Database(_), Place::Dir(dir)) => println!(
            "the authority key is not in the database: copy it into {} as {AUTHORITY_FILE}, or start with --authority-key",
            dir.display()
        ),
        _ => {}
    }
    Ok(())
}

/// `--encrypt-personal`: the journal written again with each person's data sealed, then what
/// is kept beside it copied; the authority key goes with a data directory.
fn encrypt(from: &Place, to: &Place) -> Result<()> {
    let (source, _from_held) = open(from, false)?;
    let (target, _to_held) = open(to, true)?;
    let done = kezek_app::app::encrypt::encrypt(
        source.as_ref(),
        target.as_ref(),
        kezek_app::PolicyChoice::Journaled(kezek_core::Policy::kz_2013()),
    )
    .with_context(|| format!("cannot migrate {} to {}", from.name(), to.name()))?;
    if let (Place::Dir(a), Place::Dir(b)) = (from, to) {
        let key = a.join(AUTHORITY_FILE);
        if key.exists() {
            std::fs::copy(&key, b.join(AUTHORITY_FILE))
                .with_context(|| format!("cannot copy {}", key.display()))?;
        }
    }
    println!(
        "migrated {} to {} with each person's data sealed: {} journal records, {} persons' data keys, {} documents; the new journal's first record chains from the old head (seq {} hash {}), its head is seq {} hash {}",
        from.name(),
        to.name(),
        done.head.seq,
        done.persons,
        done.documents,
        done.continues.seq,
        super::hex_of(&done.continues.hash),
        done.head.seq,
        super::hex_of(&done.head.hash),
    );
    Ok(())
}
