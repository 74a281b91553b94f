//! The installation as an operator meets it: a journal copied without its WAL (what `cp` of
//! `kezek.sqlite` alone does to a journal in use) is refused by `serve` and by `verify` with
//! both heads named; `--force-rewind` starts on it and the journal records what was lost; a
//! `kezek backup` taken while serving verifies and serves.

use crate::common::{
    application, has_iin, key, kezek, kindergarten_k1, post_application, serve, verify,
};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

async fn register(http: &reqwest::Client, base: &str, portal: &str, n: u16) -> String {
    let (status, v) = post_application(http, base, portal, &application(n)).await;
    assert_eq!(status, 201, "{v}");
    v["application_id"].as_str().unwrap().to_owned()
}

fn copy_without_wal(from: &Path, to: &Path) {
    for file in ["kezek.sqlite", "kezek.head", "authority.key"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_lost_its_end_is_refused_and_can_be_accepted_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let auditor = key(data, &["--role", "auditor"]);
    let http = reqwest::Client::new();
    let (mut server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    register(&http, &base, &portal, 1).await;
    // Everything so far in the database file; a reader from now on keeps the next writes in
    // the WAL (a checkpoint cannot pass a reader).
    let hold = rusqlite::Connection::open(data.join("kezek.sqlite")).unwrap();
    hold.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    hold.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    hold.execute_batch("BEGIN").unwrap();
    let before: i64 = hold
        .query_row("SELECT max(seq) FROM events", [], |r| r.get(0))
        .unwrap();
    for n in 2..=6 {
        register(&http, &base, &portal, n).await;
    }
    let copy = tempfile::tempdir().unwrap();
    copy_without_wal(data, copy.path());
    drop(hold);
    server.kill().unwrap();
    server.wait().unwrap();

    let out = verify(copy.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("ends at seq {before} ")), "{err}");
    assert!(err.contains("acknowledged events are missing"), "{err}");
    let out = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(copy.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve must refuse it");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--force-rewind"), "{err}");

    let (mut server, base) = serve(copy.path(), &["--force-rewind"], Stdio::null());
    let journal: Value = crate::common::get_json(
        &http,
        &format!("{base}/v1/journal?after={before}"),
        &auditor,
    )
    .await;
    let event = &journal["events"][0];
    assert_eq!(event["kind"], "journal_rewound", "{journal}");
    assert_eq!(event["actor"], "operator");
    assert_eq!(event["payload"]["journal_seq"], before);
    assert!(event["payload"]["mark_seq"].as_u64().unwrap() > before.try_into().unwrap());
    server.kill().unwrap();
    server.wait().unwrap();
    let out = verify(copy.path());
    assert!(
        out.status.success(),
        "recorded, it verifies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_verifies_and_serves() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let http = reqwest::Client::new();
    let (mut server, base) = serve(data, &[], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    let first = register(&http, &base, &portal, 1).await;
    let writes = {
        let (http, base, portal) = (http.clone(), base.clone(), portal.clone());
        tokio::spawn(async move {
            for n in (2..=120).filter(|n| has_iin(*n)) {
                register(&http, &base, &portal, n).await;
            }
        })
    };
    let backup = tempfile::tempdir().unwrap();
    let to = backup.path().join("copy");
    let out = kezek()
        .args(["backup", "--data"])
        .arg(data)
        .arg("--to")
        .arg(&to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup of"));
    writes.await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&to), 0o700);
    assert_eq!(mode(&to.join("kezek.sqlite")), 0o600);
    assert_eq!(mode(&to.join("authority.key")), 0o600);
    let out = verify(&to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut restored, base) = serve(&to, &[], Stdio::null());
    let r = http
        .get(format!("{base}/v1/applications/{first}"))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the backup serves, keys and all");
    restored.kill().unwrap();
    restored.wait().unwrap();
    let out = kezek()
        .args(["backup", "--data"])
        .arg(data)
        .arg("--to")
        .arg(&to)
        .output()
        .unwrap();
    assert!(!out.status.success(), "never over an existing backup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_key_kept_outside_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let vault = tempfile::tempdir().unwrap();
    let key_file = vault.path().join("authority.key");
    let key_arg = key_file.to_str().unwrap();
    let portal = key(data, &["--role", "portal", "--authority-key", key_arg]);
    let staff = key(
        data,
        &[
            "--role",
            "staff",
            "--district",
            "D1",
            "--authority-key",
            key_arg,
        ],
    );
    let http = reqwest::Client::new();
    let (mut server, base) = serve(data, &["--authority-key", key_arg], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    register(&http, &base, &portal, 1).await;
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(key_file.exists());
    assert!(
        !data.join("authority.key").exists(),
        "nothing that can sign is left in the data directory"
    );
    // The journal pins the key's public half: documents, heads and API keys check without
    // the private key (only stored answers, sealed with a secret it derives, would need it).
    let out = verify(data);
    assert!(
        out.status.success(),
        "the journal's public key checks the signatures: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kezek()
        .args(["verify", "--data"])
        .arg(data)
        .args(["--authority-key", key_arg])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().join("copy");
    let out = kezek()
        .args(["backup", "--data"])
        .arg(data)
        .arg("--to")
        .arg(&to)
        .args(["--authority-key", key_arg])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !to.join("authority.key").exists(),
        "a key kept apart is backed up apart"
    );
}
