//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/*`) through the same harnesses
//! the fuzz targets call, so `cargo test` catches a regression on any input found so far.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        harness(&std::fs::read(&path).unwrap());
        n += 1;
    }
    n
}

#[test]
fn corpus_replays_without_panics() {
    assert!(replay("iin", kezek_core::fuzzing::iin) >= 3);
    assert!(replay("csv_rows", kezek_core::fuzzing::csv_rows) >= 3);
    assert!(replay("policy", kezek_core::fuzzing::policy) >= 2);
    assert!(replay("commands", kezek_core::fuzzing::commands) >= 1);
    assert!(replay("snapshot", kezek_core::fuzzing::snapshot) >= 2);
    assert!(replay("public_record", kezek_core::fuzzing::public_record) >= 4);
}
