//! One process writes an installation's journal at a time: `kezek serve` holds an exclusive
//! lock on `kezek.lock` in the data directory while it runs, and the commands that write
//! events (`import`, `policy adopt`) take it too. A second writer would number its events
//! after a head the first has already moved past. (`keys create`, `backup` and `verify` do
//! not write events and run beside a server.)

use anyhow::{bail, Context, Result};
use std::fs::{File, TryLockError};
use std::path::Path;

/// The lock file's name.
const FILE: &str = "kezek.lock";

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct Lock(#[allow(dead_code, reason = "held for its lifetime")] File);

/// Takes the installation's lock, or says who holds it.
///
/// # Errors
/// Another process holds it, or the file cannot be opened.
pub fn take(data: &Path) -> Result<Lock> {
    let path = data.join(FILE);
    let file = std::os::unix::fs::OpenOptionsExt::mode(&mut File::options(), 0o600)
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock(file)),
        Err(TryLockError::WouldBlock) => bail!(
            "another kezek is writing {} (a running `kezek serve`?): stop it first",
            data.display()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}
