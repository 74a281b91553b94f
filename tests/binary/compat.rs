//! A data directory written by an earlier Kezek (`tests/data/v1`, made by the binary of
//! commit 8419a2b with `tests/data/make_v1.py`) replays and verifies under this one with the
//! same hashes, and every application has the queue number it had then.

use crate::common::verify;
use kezek_core::model::ApplicationId;
use kezek_core::{Policy, State};
use kezek_store::replay::replay;
use kezek_store::sqlite::SqliteStore;
use serde_json::Value;
use std::path::Path;

/// A copy of `tests/data/v1` (verifying or replaying may write the WAL beside it).
fn copy_of_v1() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1");
    let dir = tempfile::tempdir().unwrap();
    for file in ["kezek.sqlite", "authority.key"] {
        std::fs::copy(from.join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn expected() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1/expected.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn an_earlier_data_directory_verifies_with_the_same_head() {
    let dir = copy_of_v1();
    let out = verify(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    // The same counts and head as the earlier binary said; this one checks more first
    // (SQLite's integrity check, the head mark) and says so before them.
    let then = expected()["verify"].as_str().unwrap().to_owned();
    let counts = then.strip_prefix("verified: ").unwrap();
    assert!(said.trim().ends_with(counts), "{said} / {then}");
    let head = &expected()["head"];
    assert!(
        said.contains(&format!(
            "head seq {} hash {}",
            head["seq"],
            head["hash"].as_str().unwrap()
        )),
        "{said}"
    );
}

#[test]
fn an_earlier_data_directory_replays_to_the_same_queue_numbers() {
    let dir = copy_of_v1();
    let store = SqliteStore::open(&dir.path().join("kezek.sqlite")).unwrap();
    let mut state = State::new(Policy::kz_2013());
    let last = replay(&store, &mut state).unwrap();
    assert_eq!(last.get(), expected()["head"]["seq"].as_u64().unwrap());
    let numbers = expected()["queue_numbers"].as_object().unwrap().clone();
    assert!(numbers.len() > 40);
    for (id, number) in numbers {
        let a = state
            .application_index(&ApplicationId::parse(&id).unwrap())
            .unwrap();
        assert_eq!(
            state.queue_number(a).map(|n| n as u64),
            number.as_u64(),
            "{id}"
        );
    }
}

#[test]
fn an_earlier_journal_gets_its_policy_at_the_first_start() {
    let dir = copy_of_v1();
    let show = || {
        let out = crate::common::kezek()
            .args(["policy", "show", "--data"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(show().contains("no policy journaled yet"), "{}", show());
    let (server, _) = crate::common::serve(dir.path(), &[], std::process::Stdio::null());
    crate::common::stop(server);
    let head = expected()["head"]["seq"].as_u64().unwrap();
    // The key it was started with is adopted first, then the policy.
    assert!(
        show().contains(&format!(
            "policy kz-2013 (sha256 {}) in force since seq {}",
            kezek_app::policy_digest(kezek_core::policy::KZ_2013),
            head + 2
        )),
        "{}",
        show()
    );
    let out = crate::common::kezek()
        .args(["authority", "show", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        shown.contains("\t1\t-\tfirst\t") && shown.contains("in force: ed25519-"),
        "the key it ran with is in force from the start: {shown}"
    );
    let out = verify(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_earlier_data_directory_is_migrated_to_a_sealed_journal_that_can_forget() {
    let dir = copy_of_v1();
    let (withdrawn, iins) = {
        let store = SqliteStore::open(&dir.path().join("kezek.sqlite")).unwrap();
        let mut state = State::new(Policy::kz_2013());
        replay(&store, &mut state).unwrap();
        let withdrawn = state
            .applications()
            .find(|(_, a)| a.status == kezek_core::model::AppStatus::Withdrawn)
            .map(|(_, a)| a.id.to_string())
            .unwrap();
        let iins: Vec<String> = state
            .applications()
            .map(|(_, a)| a.child_iin.to_string())
            .collect();
        (withdrawn, iins)
    };
    let erase = |data: &Path| {
        crate::common::kezek()
            .args(["retention", "erase", "--data"])
            .arg(data)
            .args([
                "--application",
                &withdrawn,
                "--reason",
                "court order 2-1/2031",
            ])
            .output()
            .unwrap()
    };
    // A journal that keeps personal data in the clear cannot forget anybody.
    let out = erase(dir.path());
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--encrypt-personal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // (Its first start journaled the policy it had been running: the head is one further.)
    let old_head = {
        use kezek_store::EventLog;
        SqliteStore::open(&dir.path().join("kezek.sqlite"))
            .unwrap()
            .head()
            .unwrap()
    };
    let hex = |h: &[u8]| -> String {
        h.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    // Migrated with each person's data sealed: the new chain begins at the old head.
    let sealed = tempfile::tempdir().unwrap();
    let to = sealed.path().join("kezek");
    let said = crate::common::succeeds(&[
        "migrate".as_ref(),
        "--encrypt-personal".as_ref(),
        "--from".as_ref(),
        dir.path().as_os_str(),
        "--to".as_ref(),
        to.as_os_str(),
    ]);
    assert!(
        said.contains(&format!(
            "chains from the old head (seq {} hash {})",
            old_head.seq,
            hex(&old_head.hash)
        )),
        "{said}"
    );
    {
        use kezek_store::EventLog;
        let store = SqliteStore::open(&to.join("kezek.sqlite")).unwrap();
        assert!(store.seals().unwrap());
        assert_eq!(store.genesis().unwrap(), old_head.hash);
        let records = store.read(kezek_core::model::Seq::new(0), 1000).unwrap();
        assert_eq!(records.len() as u64, old_head.seq.get());
        for r in &records {
            let text = String::from_utf8_lossy(&r.payload);
            for iin in &iins {
                assert!(!text.contains(iin.as_str()), "record {} holds {iin}", r.seq);
            }
        }
        // The same queues, number for number.
        let mut state = State::new(Policy::kz_2013());
        replay(&store, &mut state).unwrap();
        for (id, number) in expected()["queue_numbers"].as_object().unwrap() {
            let a = state
                .application_index(&ApplicationId::parse(id).unwrap())
                .unwrap();
            assert_eq!(
                state.queue_number(a).map(|n| n as u64),
                number.as_u64(),
                "{id}"
            );
        }
    }
    let out = verify(&to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // There the family is forgotten, and the journal still verifies.
    let out = erase(&to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("erased the child"));
    let out = verify(&to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The earlier directory itself is as it was.
    let out = verify(dir.path());
    assert!(out.status.success());
}

#[test]
fn an_earlier_data_directory_is_migrated_into_postgres_with_each_persons_data_sealed() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let dir = copy_of_v1();
    let database = kezek_testdb::database();
    crate::common::succeeds(&[
        "migrate".as_ref(),
        "--encrypt-personal".as_ref(),
        "--from".as_ref(),
        dir.path().as_os_str(),
        "--to".as_ref(),
        database.as_ref(),
    ]);
    let out = crate::common::verify_on(dir.path(), &["--database", &database]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("this journal continues another"), "{said}");
    let store = kezek_store::postgres::PgStore::open(&database).unwrap();
    assert!(kezek_store::EventLog::seals(&store).unwrap());
    assert!(!kezek_store::EventLog::person_keys(&store, "", 10)
        .unwrap()
        .is_empty());
}
