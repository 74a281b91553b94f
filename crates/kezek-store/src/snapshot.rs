//! Snapshot files: a state's bytes (see `kezek_core::state::snapshot`) with the journal
//! record they were taken at and a seal, in a directory of their own.
//!
//! A file is `snapshot-<seq>.bin`: a magic line, the seq and hash of the journal record the
//! state is taken at, the length of the state's bytes, a seal over those three and the
//! bytes, then the bytes. The seal is an HMAC-SHA256 under a key the caller derives from the
//! authority key: whoever edits a file — a child's registration time moved, the checksum
//! computed again — cannot make one that checks without that key. A file is written beside
//! its final name, synced, and renamed into place, so a file with that name is whole; a file
//! that does not check (a torn disk block, an edit, another installation's key) is refused
//! here, and the caller then starts from an older one or from the journal's start. The
//! journal stays the only truth: a snapshot is only ever a shortcut to a point of it.
//!
//! The directory is the service user's alone (0700) and each file too (0600): a state holds
//! every child's IIN and name.

use crate::record::Hash;
use crate::Head;
use hmac::{Hmac, Mac};
use kezek_core::model::Seq;
use sha2::Sha256;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The first bytes of a snapshot file (and its layout version: files of the first, sealed
/// with a plain SHA-256, are passed over as another layout).
const MAGIC: &[u8; 16] = b"kezek-snapshot2\n";
/// Magic, seq, hash, length, seal.
const HEADER: usize = 16 + 8 + 32 + 8 + 32;

/// The key a snapshot's seal is made with.
pub type SealKey = [u8; 32];

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

/// The seal: HMAC-SHA256 under `key` over the magic, the header's fields and the state's
/// bytes.
fn seal(key: &SealKey, fields: &[u8], bytes: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(MAGIC);
    mac.update(fields);
    mac.update(bytes);
    mac
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

/// Reads the snapshot file at `path` and checks it, its seal under `key`.
///
/// # Errors
/// It cannot be read, or does not check.
pub fn read(path: &Path, key: &SealKey) -> Result<Snapshot, SnapshotFileError> {
    let file = std::fs::read(path)?;
    let head = check(&file, key)?;
    Ok(Snapshot { head, file })
}

/// The head a snapshot file names, when the file checks.
fn check(file: &[u8], key: &SealKey) -> Result<Head, SnapshotFileError> {
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
    if seal(key, field(16, 48), bytes)
        .verify_slice(field(64, 32))
        .is_err()
    {
        return Err(SnapshotFileError::Damaged(
            "its seal does not match: changed since it was written, or sealed with another authority key",
        ));
    }
    Ok(head)
}

/// Writes the state `bytes` taken at `head` into `dir` (created 0700 if needed, narrowed to
/// 0700 if wider), sealed under `key`, the file 0600; keeps only the `keep` newest files.
/// Returns the new file's path.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write(
    dir: &Path,
    head: Head,
    bytes: &[u8],
    keep: usize,
    key: &SealKey,
) -> std::io::Result<PathBuf> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let path = dir.join(name(head.seq));
    let tmp = path.with_extension("tmp");
    {
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut file = std::io::BufWriter::new(created);
        let mut fields = Vec::with_capacity(48);
        fields.extend_from_slice(&head.seq.get().to_le_bytes());
        fields.extend_from_slice(&head.hash);
        fields.extend_from_slice(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        file.write_all(MAGIC)?;
        file.write_all(&fields)?;
        file.write_all(&seal(key, &fields, bytes).finalize().into_bytes())?;
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

    const KEY: SealKey = [3; 32];

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
                &KEY,
            )
            .unwrap();
        }
        let files = list(dir.path());
        let seqs: Vec<u64> = files.iter().map(|(s, _)| s.get()).collect();
        assert_eq!(seqs, [40, 30]);
        let back = read(&files[0].1, &KEY).unwrap();
        assert_eq!(back.head, head(40));
        assert_eq!(back.bytes(), vec![7u8; 40]);
        // The service's user alone reads them: every child's IIN is in there.
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&files[0].1), 0o600);
    }

    #[test]
    fn a_file_sealed_with_another_key_or_resealed_with_a_plain_checksum_is_refused() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), head(5), b"the state", 2, &KEY).unwrap();
        assert!(matches!(
            read(&path, &[9; 32]),
            Err(SnapshotFileError::Damaged(_))
        ));
        // An edit with its SHA-256 computed again, as one would forge the first layout.
        let mut forged = std::fs::read(&path).unwrap();
        let at = forged.len() - 1;
        forged[at] ^= 1;
        let sum: [u8; 32] = sha2::Sha256::new()
            .chain_update(&forged[16..64])
            .chain_update(&forged[HEADER..])
            .finalize()
            .into();
        forged[64..96].copy_from_slice(&sum);
        std::fs::write(&path, &forged).unwrap();
        assert!(matches!(
            read(&path, &KEY),
            Err(SnapshotFileError::Damaged(_))
        ));
    }

    #[test]
    fn a_changed_byte_or_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), head(5), b"the state", 2, &KEY).unwrap();
        let good = std::fs::read(&path).unwrap();
        for at in [0, 20, 40, 60, 70, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert!(
                matches!(read(&path, &KEY), Err(SnapshotFileError::Damaged(_))),
                "byte {at} changed"
            );
        }
        std::fs::write(&path, &good[..good.len() - 2]).unwrap();
        assert!(matches!(
            read(&path, &KEY),
            Err(SnapshotFileError::Damaged(_))
        ));
        assert!(list(&dir.path().join("missing")).is_empty());
    }
}
