//! Replays the checked-in fuzz corpus of the case engine (`fuzz/corpus/case_*/*`) through the
//! harnesses the fuzz targets call, so `cargo test` catches a regression on any input found.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]

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
    assert!(replay("case_definition", kezek_cases::fuzzing::definition) >= 3);
    assert!(replay("case_record", kezek_cases::fuzzing::record) >= 3);
    assert!(replay("case_form", kezek_cases::fuzzing::form) >= 3);
}

#[test]
fn the_harness_files_a_case_a_record_can_act_on() {
    // An assignment of the office case applies (its form was complete): records in the
    // corpus reach the cases, not only the refusal of an unknown one.
    let assigned =
        br#"{"kind":"assigned","case_id":"C-1","executor":"e","at":"2026-09-01T04:00:00Z"}"#;
    kezek_cases::fuzzing::record(assigned);
    assert!(kezek_cases::fuzzing::filed_cases() >= 2);
}
