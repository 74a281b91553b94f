//! The journal holds every child's IIN and name: its files are readable by the service's
//! user only (0600). SQLite creates a database with 0644 less the umask, and its WAL and
//! shared-memory files with the database file's mode; so the database file is created
//! here, 0600, before SQLite opens it, and the files of an installation made before are
//! narrowed when opened.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of every file of the journal.
pub const FILE_MODE: u32 = 0o600;

/// The journal's files beside `db`: the database, its WAL and its shared memory.
fn journal_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_owned(), with("-wal"), with("-shm")]
}

/// Creates the database file (empty: SQLite takes it as a new database) with mode 0600 if
/// it is not there, and narrows the journal's files to 0600 if they are.
///
/// # Errors
/// A file cannot be created or its mode changed.
pub fn prepare(db: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(db)?;
    for file in journal_files(db) {
        match std::fs::metadata(&file) {
            Ok(m) if m.permissions().mode() & 0o777 != FILE_MODE => {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(FILE_MODE))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path` with mode 0600.
///
/// # Errors
/// The file cannot be written.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    f.write_all(bytes)
}
