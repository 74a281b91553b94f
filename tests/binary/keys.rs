//! Keys and files as an operator meets them: `kezek keys list`, `kezek keys revoke` beside a
//! running server (refused by it, journaled by it), a key row deleted by hand, `--expires`;
//! `serve --demo` minting its keys once; the data directory 0700 and the journal 0600.

use crate::common::{assert_verifies, key_with_id as create, kezek, run, serve, stop, verify};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

/// Asks `GET /v1/journal/head` with `token` until it is refused; how many tries it took.
/// Bounded so that a server that never refuses fails the test instead of hanging it.
async fn until_refused(http: &reqwest::Client, base: &str, token: &str) -> usize {
    for tries in 1..=200 {
        let r = http
            .get(format!("{base}/v1/journal/head"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if r.status() == 401 {
            return tries;
        }
        assert_eq!(r.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the token was still accepted after 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_beside_the_server_is_refused_by_it_and_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (revoked_id, revoked) = create(data, &["--role", "auditor"]);
    let (deleted_id, deleted) = create(data, &["--role", "auditor"]);
    let (_, auditor) = create(data, &["--role", "auditor"]);
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &[], Stdio::null());

    let (ok, said, err) = run(data, &["keys", "revoke", &revoked_id]);
    assert!(ok, "{err}");
    assert!(said.contains("refuses it within a second"), "{said}");
    until_refused(&http, &base, &revoked).await;
    // A row deleted by hand is noticed too.
    rusqlite::Connection::open(data.join("kezek.sqlite"))
        .unwrap()
        .execute("DELETE FROM api_keys WHERE key_id = ?1", [&deleted_id])
        .unwrap();
    until_refused(&http, &base, &deleted).await;

    // The journal records the revocation, by the server.
    let mut journaled = false;
    for _ in 0..200 {
        let page: serde_json::Value =
            crate::common::get_json(&http, &format!("{base}/v1/journal?limit=1000"), &auditor)
                .await;
        journaled =
            page["events"].as_array().unwrap().iter().any(|e| {
                e["kind"] == "key_revoked" && e["payload"]["key_id"] == revoked_id.as_str()
            });
        if journaled {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(journaled);
    stop(server);

    let (ok, listed, _) = run(data, &["keys", "list"]);
    assert!(ok);
    let line = listed.lines().find(|l| l.starts_with(&revoked_id)).unwrap();
    assert!(!line.ends_with("\t-"), "revoked_at shown: {line}");
    assert!(!listed.contains(&revoked), "never a token");
    let (ok, said, _) = run(data, &["keys", "revoke", &revoked_id]);
    assert!(ok && said.contains("revoked already"), "{said}");
    let (ok, _, err) = run(data, &["keys", "revoke", "key-000000000000"]);
    assert!(!ok && err.contains("no key key-000000000000"), "{err}");

    assert_verifies(data);
    // Un-revoking by deleting the row is caught by verify against the journal.
    rusqlite::Connection::open(data.join("kezek.sqlite"))
        .unwrap()
        .execute("DELETE FROM api_keys WHERE key_id = ?1", [&revoked_id])
        .unwrap();
    let out = verify(data);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "API key {revoked_id}: the journal says it was revoked"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_with_no_server_running_is_journaled_by_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (id, _) = create(data, &["--role", "portal"]);
    let (ok, said, err) = run(data, &["keys", "revoke", &id]);
    assert!(ok, "{err}");
    assert!(said.contains("journaled 1 revocation"), "{said}");
    assert_verifies(data);
    // An expiry in the past is refused; a date or a time in the future is kept.
    let out = kezek()
        .args([
            "keys",
            "create",
            "--role",
            "portal",
            "--expires",
            "2020-01-01",
            "--data",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (_, _) = create(data, &["--role", "portal", "--expires", "2099-01-01"]);
    let (ok, listed, _) = run(data, &["keys", "list"]);
    assert!(ok && listed.contains("2099-01-01T00:00:00Z"), "{listed}");
}

#[test]
fn demo_keys_are_minted_once_and_the_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tokens = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("export ") && l.contains("# demo "))
            .map(str::to_owned)
            .collect()
    };
    let mut said = Vec::new();
    for _ in 0..3 {
        let mut child = kezek()
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()))
            .map(Result::unwrap)
            .take_while(|l| !l.contains("listening on"))
            .collect::<Vec<_>>()
            .join("\n");
        child.kill().unwrap();
        child.wait().unwrap();
        said.push(tokens(&out));
    }
    assert_eq!(said[0].len(), 6, "{:?}", said[0]);
    // The sample city was loaded on the first start: the staff key covers its districts.
    assert!(
        said[0]
            .iter()
            .any(|l| l.contains("demo staff key") && l.contains("scope [D01,")),
        "{:?}",
        said[0]
    );
    assert_eq!(said[0], said[1]);
    assert_eq!(said[1], said[2]);
    let (ok, listed, _) = run(&data, &["keys", "list"]);
    assert!(ok);
    assert_eq!(listed.lines().count(), 1 + 6, "{listed}");

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for file in [
        "kezek.sqlite",
        "kezek.sqlite-wal",
        "kezek.head",
        "authority.key",
        "demo-tokens.txt",
    ] {
        let path = data.join(file);
        if path.exists() || file != "kezek.sqlite-wal" {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }

    // An installation made world-readable (by an earlier Kezek, or by hand) is narrowed.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data.join("kezek.sqlite"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (ok, _, _) = run(&data, &["keys", "list"]);
    assert!(ok);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("kezek.sqlite")), 0o600);
}
