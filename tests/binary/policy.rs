//! The policy in force is part of the journal: the first start journals it; a later start with
//! another `--policy` is refused naming both SHA-256; `kezek policy adopt` puts a compatible
//! one in force from then on (and refuses one that would reorder the queues); `verify`
//! replays under the journaled policy whatever file it is given; one writer at a time.

use crate::common::{
    application, assert_verifies, has_iin, key, kezek, kindergarten_k1, post_application, run,
    serve, stop,
};
use kezek_app::policy_digest;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn policy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name)
}

fn digest_of(path: &Path) -> String {
    policy_digest(&std::fs::read_to_string(path).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_is_journaled_and_changes_only_when_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    let (status, _) = post_application(&http, &base, &portal, &application(1)).await;
    assert_eq!(status, 201);
    stop(server);

    let kz2013 = digest_of(&policy_file("kz-2013.toml"));
    let (ok, said, err) = run(data, &["policy", "show"]);
    assert!(ok, "{err}");
    assert!(
        said.contains(&format!("kz-2013 (sha256 {kz2013})")),
        "{said}"
    );

    // Another file at start: refused, both named.
    let kz2020_path = policy_file("kz-2020.toml");
    let kz2020 = digest_of(&kz2020_path);
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--policy")
        .arg(&kz2020_path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&kz2013) && err.contains(&kz2020), "{err}");
    assert!(err.contains("kezek policy adopt"), "{err}");

    // kz-2020 changes the tiers: it cannot take over while a child is queued.
    let (ok, _, err) = run(data, &["policy", "adopt", kz2020_path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("policy_cannot_follow") || err.contains("changes the tiers"),
        "{err}"
    );

    // One preference at most from now on: compatible, adopted, journaled.
    let narrow = data.join("narrow.toml");
    let text = std::fs::read_to_string(policy_file("kz-2013.toml"))
        .unwrap()
        .replace("name = \"kz-2013\"", "name = \"kz-2013-narrow\"")
        .replace("max_preferences = 3", "max_preferences = 1")
        .replace(
            "extra_holidays = [\"2026-05-27\"]",
            "extra_holidays = [\"2026-05-27\", \"2026-06-01\"]",
        );
    std::fs::write(&narrow, &text).unwrap();
    let (ok, said, err) = run(data, &["policy", "adopt", narrow.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(said.contains(&policy_digest(&text)), "{said}");
    let (ok, _, err) = run(data, &["policy", "adopt", narrow.to_str().unwrap()]);
    assert!(!ok && err.contains("in force already"), "{err}");
    let (_, said, _) = run(data, &["policy", "show"]);
    assert!(said.contains("kz-2013-narrow"), "{said}");

    // Started without --policy, the server runs the adopted one.
    let (server, base) = serve(data, &[], Stdio::null());
    let n = (2..50).find(|&n| has_iin(n)).unwrap();
    let mut two = application(n);
    two["preferences"] = json!(["K1", "K2"]);
    let (status, body) = post_application(&http, &base, &portal, &two).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("too_many_preferences"), "{body}");
    // Its calendar (a day off more) is the cases' from now on, journaled once.
    let auditor = key(data, &["--role", "auditor"]);
    let journal =
        crate::common::get_json(&http, &format!("{base}/v1/journal?limit=1000"), &auditor).await;
    let calendars: Vec<String> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .filter(|e| e.contains("calendar_adopted"))
        .collect();
    assert_eq!(
        calendars.len(),
        2,
        "the first start's and the adopted one's"
    );
    assert!(
        !calendars[0].contains("2026-06-01") && calendars[1].contains("2026-06-01"),
        "{calendars:?}"
    );
    // The file it was started with before is refused now that another is in force.
    stop(server);
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--policy")
        .arg(policy_file("kz-2013.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());

    // Verify replays under the journaled policies, whatever the default file says.
    assert_verifies(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_started_under_another_policy_verifies_without_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let kz2020 = policy_file("kz-2020.toml");
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &["--policy", kz2020.to_str().unwrap()], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    // A category only kz-2020 knows: under kz-2013 this registration would not replay.
    let mut body = application(1);
    body["category"] = json!("military");
    body["documents"] = json!([
        "application_form",
        "applicant_id",
        "address_proof",
        "benefit_proof"
    ]);
    let (status, answer) = post_application(&http, &base, &portal, &body).await;
    assert_eq!(status, 201, "{answer}");
    stop(server);
    assert_verifies(data);
    // And serve, without the file, starts on it.
    let (server, base) = serve(data, &[], Stdio::null());
    let r = http
        .get(format!(
            "{base}/v1/applications/{}",
            answer["application_id"].as_str().unwrap()
        ))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    stop(server);
}

#[test]
fn a_second_writer_is_refused_while_serve_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (server, _) = serve(data, &[], Stdio::null());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let out = kezek()
        .args(["import", "--data"])
        .arg(data)
        .arg("--groups")
        .arg(sample.join("groups.csv"))
        .arg("--applications")
        .arg(sample.join("applications.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another kezek is writing"), "{err}");
    let kz2013 = policy_file("kz-2013.toml");
    let (ok, _, err) = run(data, &["policy", "adopt", kz2013.to_str().unwrap()]);
    assert!(!ok && err.contains("another kezek is writing"), "{err}");
    stop(server);
}
