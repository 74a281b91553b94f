//! `kezek verify` on a real data directory: passes on an honest journal; fails on an edited
//! event (the chain breaks) and on a round whose referrals were swapped by someone who also
//! rewrote the hash chain (only re-running the round shows it).

use kezek_core::city::load_city;
use kezek_core::command::register::Register;
use kezek_core::command::round::RunRound;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::model::{ApplicationId, DistrictId, Iin, RoundId, Seq};
use kezek_core::{Event, Policy, State};
use kezek_store::record::{chain, GENESIS};
use kezek_store::sqlite::SqliteStore;
use kezek_store::{Append, EventLog};
use std::path::Path;

fn sample(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/sample")
            .join(file),
    )
    .unwrap()
}

/// A data dir with the sample city, a registration that met a free seat, and a round in
/// every district.
fn installation(dir: &Path) {
    let journal = SqliteStore::open(&dir.join("kezek.sqlite")).unwrap();
    let mut state = State::new(Policy::kz_2013());
    let mut events = Vec::new();
    let groups = parse_groups(&sample("groups.csv")).unwrap();
    load_city(
        &mut state,
        &groups,
        parse_applications(&sample("applications.csv"), 3).unwrap(),
        &mut |o| events.extend(o),
    )
    .unwrap();
    let at: jiff::Timestamp = "2026-09-10T05:00:00Z".parse().unwrap();
    let req = Register {
        application_id: Some(ApplicationId::parse("KZ1").unwrap()),
        round_id: Some(RoundId::parse("RREG").unwrap()),
        child_iin: Iin::compose(jiff::civil::date(2023, 3, 3), false, 77)
            .unwrap()
            .to_string(),
        child_name: "Aigerim".into(),
        applicant_iin: "880101300123".into(),
        applicant_name: "Dana".into(),
        district: "D01".into(),
        language: "ru".into(),
        preferences: vec!["K000001".into()],
        documents: ["application_form", "applicant_id", "address_proof"]
            .map(String::from)
            .to_vec(),
        channel: "portal".into(),
        at,
        ..Register::default()
    };
    let out = state.execute(req).unwrap();
    assert!(
        matches!(out.last().unwrap().1, Event::RoundRun(_)),
        "the registration met a free seat"
    );
    events.extend(out);
    let districts: Vec<DistrictId> = state.districts().map(|(_, d)| d.id.clone()).collect();
    for (i, district) in districts.into_iter().enumerate() {
        let cmd = RunRound {
            round_id: RoundId::parse(&format!("R{i}")).unwrap(),
            district,
            academic_year: Some(2026),
            at,
        };
        events.extend(state.execute(cmd).unwrap());
    }
    // The outbox rows the service would have written with these events (verify derives them
    // again and compares).
    let notifications = kezek_app::outbox::notifications(&state, &events);
    journal
        .submit(Append {
            events,
            at: at.to_string(),
            actor: "test".into(),
            idempotency: None,
            documents: Vec::new(),
            files: Vec::new(),
            notifications,
            copied: Vec::new(),
            keys: kezek_store::PersonKeys::default(),
            encoder: None,
            forget: kezek_store::forget::Forget::default(),
        })
        .wait()
        .unwrap();
}

use crate::common::verify;

#[test]
fn an_honest_installation_verifies() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path());
    let out = verify(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("9 allocation rounds re-run"), "{text}");
}

#[test]
fn an_edited_event_fails_at_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("kezek.sqlite")).unwrap();
    let seq: i64 = conn
        .query_row("SELECT MIN(seq) FROM events WHERE kind = 'registered' AND payload LIKE '%large_family%'", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "UPDATE events SET payload = replace(payload, 'large_family', 'orphan') WHERE seq = ?1",
        [seq],
    )
    .unwrap();
    drop(conn);
    let out = verify(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("journal record {seq} is invalid")),
        "{err}"
    );
}

#[test]
fn a_swapped_referral_with_a_rewritten_chain_is_caught_by_the_re_run() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path());
    let path = dir.path().join("kezek.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    // The first round with two referrals to different children: swap who got which seat.
    let (seq, payload): (i64, Vec<u8>) = conn
        .query_row("SELECT seq, payload FROM events WHERE kind = 'round_run' AND payload LIKE '%-2\"%' ORDER BY seq LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let mut event: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let refs = event["referrals"].as_array_mut().unwrap();
    let (a, b) = (
        refs[0]["application_id"].clone(),
        refs[1]["application_id"].clone(),
    );
    refs[0]["application_id"] = b;
    refs[1]["application_id"] = a;
    let forged = serde_json::to_vec(&event).unwrap();
    conn.execute(
        "UPDATE events SET payload = ?1 WHERE seq = ?2",
        rusqlite::params![forged, seq],
    )
    .unwrap();
    // Rewrite the whole chain so that every hash matches again.
    let mut rows = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT seq, at, actor, kind, payload FROM events ORDER BY seq")
            .unwrap();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            rows.push((
                r.get::<_, i64>(0).unwrap(),
                r.get::<_, String>(1).unwrap(),
                r.get::<_, String>(2).unwrap(),
                r.get::<_, String>(3).unwrap(),
                r.get::<_, Vec<u8>>(4).unwrap(),
            ));
        }
    }
    let mut prev = GENESIS;
    for (s, at, actor, kind, payload) in rows {
        let h = chain(
            &prev,
            Seq::new(u64::try_from(s).unwrap()),
            &at,
            &actor,
            &kind,
            &payload,
        );
        conn.execute(
            "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![&prev[..], &h[..], s],
        )
        .unwrap();
        prev = h;
    }
    // The head mark beside the journal sees the rewrite…
    let refused = SqliteStore::open(&path).err().unwrap().to_string();
    assert!(refused.contains("rewritten"), "{refused}");
    // …so the forger rewrites that too: removes the mark and the journal's note of it.
    conn.execute("DELETE FROM meta", []).unwrap();
    drop(conn);
    std::fs::remove_file(dir.path().join("kezek.head")).unwrap();
    // Start-up replay accepts it: the chain is consistent and the events apply.
    let journal = SqliteStore::open(&path).unwrap();
    assert!(kezek_store::replay::replay(&journal, &mut State::new(Policy::kz_2013())).is_ok());
    drop(journal);
    let out = verify(dir.path());
    assert!(!out.status.success(), "the forged round must not verify");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("journal record {seq} is invalid"))
            && err.contains("re-runs differently"),
        "{err}"
    );
}

#[tokio::test]
async fn an_edited_document_key_or_stored_answer_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (portal, staff) = (
        crate::common::key(data, &["--role", "portal"]),
        crate::common::key(data, &["--role", "staff", "--district", "D1"]),
    );
    let (mut server, base) = crate::common::serve(data, &[], std::process::Stdio::null());
    let http = reqwest::Client::new();
    let kg = serde_json::json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]});
    http.put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    let body = serde_json::json!({"child": {"iin": Iin::compose(jiff::civil::date(2022, 4, 4), false, 11).unwrap().to_string(), "name": "Aruzhan"},
        "applicant": {"iin": "880101300123", "name": "Dana", "representative": null}, "district": "D1", "language": "kk",
        "preferences": ["K1"], "category": null, "documents": ["application_form", "applicant_id", "address_proof"], "channel": "portal"});
    let res = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&portal)
        .header("Idempotency-Key", "first-try")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    server.kill().unwrap();
    server.wait().unwrap();
    let out = verify(data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("1 documents, 2 keys signed and 1 stored answers sealed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let edits = [
        (
            "UPDATE documents SET body = replace(body, '\"queue_number\":1', '\"queue_number\":7')",
            // (The document's id is its registration's seq, after the first start's records.)
            "does not follow from the journal: body.queue_number is 7 in the signed document, 1 from the journal",
        ),
        (
            "UPDATE documents SET body = replace(body, '\"signature\":\"', '\"signature\":\"AAAA')",
            "signature does not match its content",
        ),
        (
            "UPDATE api_keys SET role = 'admin' WHERE role = 'portal'",
            "API key",
        ),
        ("UPDATE idempotency SET status = 200", "stored answer"),
    ];
    for (edit, complaint) in edits {
        let copy = edited(data, |conn| {
            assert_eq!(conn.execute(edit, []).unwrap(), 1, "{edit}");
        });
        let out = verify(copy.path());
        assert!(!out.status.success(), "{edit} went unnoticed");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(complaint),
            "{edit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A copy of the data dir with `edit` made to its database.
fn edited(data: &Path, edit: impl FnOnce(&rusqlite::Connection)) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let conn = rusqlite::Connection::open(copy.path().join("kezek.sqlite")).unwrap();
    edit(&conn);
    copy
}

#[test]
fn an_edited_deleted_or_added_notification_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path());
    let first_referral = |conn: &rusqlite::Connection| -> (i64, serde_json::Value) {
        conn.query_row(
            "SELECT id, body FROM notifications WHERE kind = 'referral_issued' ORDER BY id LIMIT 1",
            [],
            |r| {
                let body: Vec<u8> = r.get(1)?;
                Ok((r.get(0)?, serde_json::from_slice(&body).unwrap()))
            },
        )
        .unwrap()
    };
    // A referral told to the family for another kindergarten than the round gave.
    let moved = edited(dir.path(), |conn| {
        let (id, mut body) = first_referral(conn);
        body["kindergarten_id"] = "K999999".into();
        conn.execute(
            "UPDATE notifications SET body = ?1 WHERE id = ?2",
            rusqlite::params![serde_json::to_vec(&body).unwrap(), id],
        )
        .unwrap();
    });
    // A referral the family is never told of.
    let deleted = edited(dir.path(), |conn| {
        let (id, _) = first_referral(conn);
        conn.execute("DELETE FROM notifications WHERE id = ?1", [id])
            .unwrap();
    });
    // A referral nobody issued, told as if it had been.
    let added = edited(dir.path(), |conn| {
        let (_, body) = first_referral(conn);
        conn.execute(
            "INSERT INTO notifications (application_id, kind, body) VALUES (?1, 'referral_issued', ?2)",
            rusqlite::params![body["application_id"].as_str().unwrap(), serde_json::to_vec(&body).unwrap()],
        )
        .unwrap();
    });
    for (copy, complaint) in [
        (&moved, "does not follow from the journal"),
        (
            &deleted,
            "the outbox lacks the referral_issued notification",
        ),
        (&added, "follows from no record of the journal"),
    ] {
        let out = verify(copy.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{complaint}: went unnoticed");
        assert!(err.contains(complaint), "{complaint}: {err}");
    }
}
