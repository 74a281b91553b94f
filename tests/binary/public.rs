//! `kezek verify --public URL|DIR`: anyone downloads a running service's public journal,
//! keeps it, checks it again from the directory, and a record changed in the copy fails the
//! check, named by its seq.

use crate::common::{application, key, kezek, kindergarten_k1, post_application, run, serve, stop};
use std::process::Stdio;

fn verify_public(args: &[&str]) -> (bool, String, String) {
    let out = kezek().arg("verify").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_checks_the_public_journal_from_the_service_or_a_saved_copy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.as_path();
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let portal = key(data, &["--role", "portal"]);
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    for n in 1..=4 {
        let (s, v) = post_application(&http, &base, &portal, &application(n)).await;
        assert_eq!(s, 201, "{v}");
    }
    let kg = serde_json::json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2}]});
    let r = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = http
        .post(format!("{base}/v1/districts/D1/allocations"))
        .bearer_auth(&staff)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    stop(server);
    let (ok, _, err) = run(data, &["public", "enable"]);
    assert!(ok, "{err}");
    let (server, base) = serve(data, &[], Stdio::null());
    let keys = http
        .get(format!("{base}/v1/keys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, keys).unwrap();

    // From the service, kept in a directory.
    let saved = dir.path().join("public");
    let (ok, said, err) = verify_public(&["--public", &base, "--save", saved.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        said.contains("verified public journal")
            && said.contains("1 allocation rounds re-run")
            && said.contains("4 applications"),
        "{said}"
    );
    stop(server);
    // From the copy, against the key known from elsewhere.
    let (ok, said, err) = verify_public(&[
        "--public",
        saved.to_str().unwrap(),
        "--public-key",
        keys_file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(said.contains("the key given with --public-key"), "{said}");
    // Against a head kept from the download (the copy's own head.json).
    let kept = saved.join("head.json");
    let (ok, said, err) = verify_public(&[
        "--public",
        saved.to_str().unwrap(),
        "--heads",
        kept.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(said.contains("through 1 saved heads"), "{said}");

    // A registration changed in the copy: the check fails and names it.
    let journal = saved.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("\"kind\":\"registered\""))
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(line).unwrap();
    let changed = line.replace("\"language\":\"kk\"", "\"language\":\"ru\"");
    assert_ne!(changed, line);
    let mut lines: Vec<&str> = text.lines().collect();
    lines[n] = &changed;
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let (ok, _, err) = verify_public(&["--public", saved.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains(&format!("public record {}:", record["seq"])),
        "{err}"
    );
}
