//! Snapshot files: a state's bytes (see `kezek_core::state::snapshot`) with the journal
//! record they were taken at and a checksum, in a directory of their own.
//!
//! A file is `snapshot-<seq>.bin`: a magic line, the seq and hash of the journal record the
//! state is taken at, the length of the state's bytes, a SHA-256 over those three and the
//! bytes, then the bytes. It is
//! written beside its final name, synced, and renamed into place, so a file with that name
//! is whole; a file that does not check (a torn disk block, an edit) is refused here, and
//! the caller then starts from an older one or from the journal's start. The journal stays
//! the only truth: a snapshot is only ever a shortcut to a point of it.

use crate::record::Hash;
use crate::Head;
use kezek_core::model::Seq;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first bytes of a snapshot file (and its layout version).
const MAGIC: &[u8; 16] = b"kezek-snapshot1\n";
/// Magic, seq, hash, length, checksum.
const HEADER: usize = 16 + 8 + 32 + 8 + 32;

/// Why a snapshot file was not read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    /// It could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// It is not a snapshot file, or not whole, or its bytes are not the ones written.
    #[error("{0}")]
    Damaged(&'static str),
}

/// A snapshot file's place in the journal and its state's bytes.
#[derive(Debug)]
pub struct Snapshot {
    /// The record the state was taken at.
    pub head: Head,
    /// The whole file (the state's bytes follow the header; kept in place, not copied).
    file: Vec<u8>,
}

impl Snapshot {
    /// The state, encoded.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        self.file.get(HEADER..).unwrap_or_default()
    }
}

/// SHA-256 over the header's fields and the state's bytes.
fn checksum(fields: &[u8], bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(fields);
    h.update(bytes);
    h.finalize().into()
}

fn name(seq: Seq) -> String {
    format!("snapshot-{:020}.bin", seq.get())
}

/// The snapshot files of `dir`, newest first (none when the directory does not exist).
#[must_use]
pub fn list(dir: &Path) -> Vec<(Seq, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Seq, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name();
            let n = file
                .to_str()?
                .strip_prefix("snapshot-")?
                .strip_suffix(".bin")?
                .parse::<u64>()
                .ok()?;
            Some((Seq::new(n), e.path()))
        })
        .collect();
    found.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    found
}

/// Reads and checks the snapshot file at `path`.
///
/// # Errors
/// It cannot be read, or does not check.
pub fn read(path: &Path) -> Result<Snapshot, SnapshotFileError> {
    let file = std::fs::read(path)?;
    let head = check(&file)?;
    Ok(Snapshot { head, file })
}

/// The head a snapshot file names, when the file checks.
fn check(file: &[u8]) -> Result<Head, SnapshotFileError> {
    let (header, bytes) = file
        .split_at_checked(HEADER)
        .ok_or(SnapshotFileError::Damaged("shorter than its header"))?;
    let field = |from: usize, len: usize| header.get(from..from + len).unwrap_or_default();
    if field(0, 16) != MAGIC {
        return Err(SnapshotFileError::Damaged("not a snapshot of this layout"));
    }
    let number = |from| {
        field(from, 8)
            .try_into()
            .map_or(u64::MAX, u64::from_le_bytes)
    };
    let hash = |from| -> Hash { field(from, 32).try_into().unwrap_or_default() };
    let head = Head {
        seq: Seq::new(number(16)),
        hash: hash(24),
    };
    if usize::try_from(number(56)).ok() != Some(bytes.len()) {
        return Err(SnapshotFileError::Damaged("not whole"));
    }
    if checksum(field(16, 48), bytes).as_slice() != field(64, 32) {
        return Err(SnapshotFileError::Damaged("its checksum does not match"));
    }
    Ok(head)
}

/// Writes the state `bytes` taken at `head` into `dir` (created if needed) and keeps only
/// the `keep` newest files. Returns the new file's path.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write(dir: &Path, head: Head, bytes: &[u8], keep: usize) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name(head.seq));
    let tmp = path.with_extension("tmp");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let mut fields = Vec::with_capacity(48);
        fields.extend_from_slice(&head.seq.get().to_le_bytes());
        fields.extend_from_slice(&head.hash);
        fields.extend_from_slice(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        file.write_all(MAGIC)?;
        file.write_all(&fields)?;
        file.write_all(&checksum(&fields, bytes))?;
        file.write_all(bytes)?;
        file.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()?;
    for (_, old) in list(dir).into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "a test")]
    use super::*;

    fn head(n: u64) -> Head {
        Head {
            seq: Seq::new(n),
            hash: [u8::try_from(n % 251).unwrap(); 32],
        }
    }

    #[test]
    fn written_reads_back_and_only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for n in [10, 30, 20, 40] {
            write(
                dir.path(),
                head(n),
                &vec![7u8; usize::try_from(n).unwrap()],
                2,
            )
            .unwrap();
        }
        let files = list(dir.path());
        let seqs: Vec<u64> = files.iter().map(|(s, _)| s.get()).collect();
        assert_eq!(seqs, [40, 30]);
        let back = read(&files[0].1).unwrap();
        assert_eq!(back.head, head(40));
        assert_eq!(back.bytes(), vec![7u8; 40]);
    }

    #[test]
    fn a_changed_byte_or_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), head(5), b"the state", 2).unwrap();
        let good = std::fs::read(&path).unwrap();
        for at in [0, 20, 40, 60, 70, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert!(
                matches!(read(&path), Err(SnapshotFileError::Damaged(_))),
                "byte {at} changed"
            );
        }
        std::fs::write(&path, &good[..good.len() - 2]).unwrap();
        assert!(matches!(read(&path), Err(SnapshotFileError::Damaged(_))));
        assert!(list(&dir.path().join("missing")).is_empty());
    }
}
