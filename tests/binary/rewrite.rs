//! A history rewritten by someone who could write the whole data directory — one event
//! changed, every later hash recomputed, the head mark removed — replays cleanly, so start-up
//! cannot see it. `kezek verify` still does: the signed documents no longer follow from the
//! journal, and the journal no longer passes through the heads an auditor saved or the
//! server's witness file kept.

use crate::common::{application, copy_dir, forge, has_iin, key, kezek, serve};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;

fn verify_with(data: &Path, extra: &[&str]) -> (bool, String) {
    let out = kezek()
        .args(["verify", "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

struct Served {
    dir: tempfile::TempDir,
    outside: tempfile::TempDir,
    saved_head: Value,
    last_child: String,
}

/// A kindergarten and eight children registered, the auditor's signed head saved, the
/// server stopped; its witness file in a directory of its own.
async fn served() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let auditor = key(data, &["--role", "auditor"]);
    let witness = outside.path().join("heads.jsonl");
    let witness_arg = witness.to_str().unwrap().to_owned();
    let (mut server, base) = serve(data, &["--witness", &witness_arg], Stdio::null());
    let http = reqwest::Client::new();
    let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]});
    let r = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut last_child = String::new();
    for n in (1..=9).filter(|n| has_iin(*n)).take(8) {
        let r = http
            .post(format!("{base}/v1/applications"))
            .bearer_auth(&portal)
            .json(&application(n))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        v["application_id"]
            .as_str()
            .unwrap()
            .clone_into(&mut last_child);
    }
    let saved_head: Value =
        crate::common::get_json(&http, &format!("{base}/v1/journal/head"), &auditor).await;
    // SIGTERM: the server writes its last head to the witness file as it stops.
    let pid = i32::try_from(server.id()).unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    assert!(server.wait().unwrap().success());
    Served {
        dir,
        outside,
        saved_head,
        last_child,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_moved_back_in_time_is_caught_by_its_signed_notification() {
    let s = served().await;
    let (ok, said) = verify_with(s.dir.path(), &[]);
    assert!(ok, "{said}");
    let forged = copy_dir(s.dir.path());
    // The last child registered in 2026 now "registered" in 2019: first in the queue.
    forge(
        forged.path(),
        &format!(
            "UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"registered_at\":\"2026-', '\"registered_at\":\"2019-') AS BLOB) WHERE kind = 'registered' AND CAST(payload AS TEXT) LIKE '%{}%'",
            s.last_child
        ),
    );
    let (ok, said) = verify_with(forged.path(), &[]);
    assert!(!ok, "the forged journal must not verify");
    assert!(said.contains("does not follow from the journal"), "{said}");
    assert!(said.contains("registered_at"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_chain_does_not_pass_through_saved_heads_or_the_witness() {
    let s = served().await;
    let forged = copy_dir(s.dir.path());
    // A change no document shows: the group's capacity (its name is printed on every queue
    // notification now).
    forge(
        forged.path(),
        "UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"capacity\":0', '\"capacity\":5') AS BLOB) WHERE kind = 'kindergarten_upserted'",
    );
    let (ok, said) = verify_with(forged.path(), &[]);
    assert!(
        ok,
        "with nothing to compare, a consistent rewrite verifies: {said}"
    );

    let heads = s.outside.path().join("saved.jsonl");
    std::fs::write(&heads, s.saved_head.to_string() + "\n").unwrap();
    let witness = s.outside.path().join("heads.jsonl");
    let expect = format!(
        "{}:{}",
        s.saved_head["seq"],
        s.saved_head["hash"].as_str().unwrap()
    );
    for extra in [
        vec!["--heads", heads.to_str().unwrap()],
        vec!["--heads", witness.to_str().unwrap()],
        vec!["--expect-head", expect.as_str()],
    ] {
        let (ok, said) = verify_with(forged.path(), &extra);
        assert!(!ok, "{extra:?}: the rewrite must be caught");
        assert!(
            said.contains("does not pass through a saved head"),
            "{said}"
        );
        // The honest journal passes through the same heads.
        let (ok, said) = verify_with(s.dir.path(), &extra);
        assert!(ok, "{extra:?}: {said}");
        assert!(said.contains("saved heads passed"), "{said}");
    }
    let lines = std::fs::read_to_string(&witness).unwrap();
    assert!(
        lines
            .lines()
            .last()
            .unwrap()
            .contains(&expect[expect.find(':').unwrap() + 1..]),
        "the witness's last head is the journal's last: {lines}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_head_not_signed_by_the_authority_is_refused() {
    let s = served().await;
    let mut head = s.saved_head.clone();
    head["signature"] = json!(base64_of_zeros());
    let file = s.outside.path().join("bad.jsonl");
    std::fs::write(&file, head.to_string()).unwrap();
    let (ok, said) = verify_with(s.dir.path(), &["--heads", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(said.contains("not signed by this authority"), "{said}");
}

fn base64_of_zeros() -> String {
    // 64 zero bytes in base64.
    "A".repeat(86) + "=="
}

#[test]
fn a_witness_inside_the_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inside = dir.path().join("heads.jsonl");
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .arg("--witness")
        .arg(&inside)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the data directory"));
}
