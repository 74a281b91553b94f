//! A consistent copy of a journal in use: SQLite's online backup, run while the service keeps
//! writing (the copy is the journal as of one read transaction, which in WAL mode holds up no
//! writer), followed by the copy's own head mark. Copying `kezek.sqlite` with `cp` instead
//! may leave out what is still in the WAL, or catch a page half written.

use super::{check, connect, head_of, mark, schema};
use crate::{Head, StoreError};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

fn failed(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

/// Copies the journal at `from` to `to` (which must not exist yet) and writes the copy's head
/// mark beside it. The journal is checked first (integrity, head mark), so that a damaged or
/// rewound journal is not copied over a good backup unnoticed; the copy is checked after.
///
/// # Errors
/// [`StoreError::Integrity`] when the journal or the copy fails its checks; the copy cannot
/// be written.
pub fn backup(from: &Path, to: &Path) -> Result<Head, StoreError> {
    if to.exists() {
        return Err(StoreError::Integrity(format!(
            "{} exists already: a backup goes to a new file",
            to.display()
        )));
    }
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::storage(format!("opening {}", from.display()), e))?;
    check::read_only(&source, from)?;
    let mut copy = connect(to)?;
    {
        let backup = Backup::new(&source, &mut copy).map_err(failed("starting the backup"))?;
        // All pages in one step: one read transaction, so the copy is one moment of the
        // journal (a step at a time would start again whenever the journal changed).
        backup.step(-1).map_err(failed("copying the journal"))?;
    }
    check::integrity(&copy, to)?;
    // A journal of an older Kezek not opened since is brought up to date in the copy.
    schema::migrate(&mut copy)?;
    let head = head_of(&copy)?;
    check::set_marked(&copy)?;
    drop(copy);
    mark::write(&mark::path_for(to), &head)
        .map_err(|e| StoreError::storage("writing the backup's head mark", e))?;
    Ok(head)
}
