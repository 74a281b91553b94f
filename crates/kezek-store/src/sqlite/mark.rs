//! The head mark: the journal's durable head (seq and hash), kept in a small file beside the
//! database and rewritten after every commit.
//!
//! SQLite alone cannot tell that it lost its end: a damaged WAL frame makes it ignore that
//! frame and every later one, and a database copied without its WAL simply ends earlier;
//! either way it opens cleanly, one or a thousand acknowledged writes shorter, and the next
//! writes reuse seqs already answered and signed. The mark lives outside the database files,
//! so what damages them does not move it: at start the journal must reach the mark and pass
//! through its hash, or the store refuses to open (docs/operations.md says what to do then).
//!
//! The file is one line, `kezek-head seq=<n> hash=<hex> sum=<hex>`, where `sum` is the first
//! 16 hex digits of the SHA-256 of what precedes it: a torn or edited mark is told from a
//! mark that disagrees with the journal. It is replaced by write-then-rename (never half
//! written); it is not fsynced on every commit (that would double the commits' cost), so
//! after a power cut it may lag behind the journal, which is accepted — never ahead of it.

use crate::record::Hash;
use crate::Head;
use kezek_core::model::Seq;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The mark's file name, in the database's directory.
pub const FILE: &str = "kezek.head";

/// Where the mark of the database at `db` lives.
#[must_use]
pub fn path_for(db: &Path) -> PathBuf {
    db.with_file_name(FILE)
}

fn sum(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
        .get(..16)
        .unwrap_or_default()
        .to_owned()
}

/// The mark's line for `head`.
#[must_use]
pub fn line(head: &Head) -> String {
    let text = format!(
        "kezek-head seq={} hash={}",
        head.seq.get(),
        hex::encode(head.hash)
    );
    let sum = sum(&text);
    format!("{text} sum={sum}\n")
}

/// Parses a mark's line.
///
/// # Errors
/// What is wrong with it.
pub fn parse(text: &str) -> Result<Head, String> {
    let text = text.trim_end_matches('\n');
    let (body, given) = text.rsplit_once(" sum=").ok_or("no checksum (`sum=`)")?;
    if sum(body) != given {
        return Err("its checksum does not match (a torn or edited file)".into());
    }
    let mut parts = body.split(' ');
    if parts.next() != Some("kezek-head") {
        return Err("it does not start with `kezek-head`".into());
    }
    let seq = parts
        .next()
        .and_then(|p| p.strip_prefix("seq="))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or("no `seq=` number")?;
    let hash: Hash = parts
        .next()
        .and_then(|p| p.strip_prefix("hash="))
        .and_then(|h| hex::decode(h).ok())
        .and_then(|h| h.try_into().ok())
        .ok_or("no 32-byte `hash=`")?;
    Ok(Head {
        seq: Seq::new(seq),
        hash,
    })
}

/// Reads the mark at `path`: `None` when there is none.
///
/// # Errors
/// The file cannot be read, or is not a mark.
pub fn read(path: &Path) -> Result<Option<Head>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text)
            .map(Some)
            .map_err(|e| format!("{} is not a head mark: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Replaces the mark at `path` with `head` (write a temporary file, rename it over the mark).
///
/// # Errors
/// The file cannot be written.
pub fn write(path: &Path, head: &Head) -> std::io::Result<()> {
    // Named per process and per write: a `kezek keys` or `kezek backup` beside a running
    // server, or a second store in the same process, may write a mark at the same moment and
    // must not write into another's temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("head.{}.{n}.tmp", std::process::id()));
    super::private::write_new(&tmp, line(head).as_bytes())?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: u64) -> Head {
        Head {
            seq: Seq::new(seq),
            hash: [7; 32],
        }
    }

    #[test]
    fn a_mark_reads_back_as_written() {
        assert_eq!(parse(&line(&head(12_753))), Ok(head(12_753)));
    }

    #[test]
    fn an_edited_or_torn_mark_is_refused() {
        let good = line(&head(12_753));
        let edited = good.replace("seq=12753", "seq=12752");
        assert!(parse(&edited).unwrap_err().contains("checksum"));
        let torn = good.get(..20).unwrap();
        assert!(parse(torn).is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn a_missing_mark_is_none_and_a_written_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        assert_eq!(read(&path), Ok(None));
        write(&path, &head(3)).unwrap();
        assert_eq!(read(&path), Ok(Some(head(3))));
        write(&path, &head(4)).unwrap();
        assert_eq!(read(&path), Ok(Some(head(4))));
    }
}
