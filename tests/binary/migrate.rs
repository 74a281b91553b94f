//! `kezek migrate`: an installation on SQLite moves to PostgreSQL (a private cluster the test
//! starts) and back; `kezek verify` names the same head on all three, and a server on the
//! PostgreSQL journal answers for what the SQLite one held; `kezek backup` of the
//! PostgreSQL journal while it serves gives a SQLite directory with that head too.

use crate::common::{get_json, key, kezek, serve_node};
use std::path::Path;
use std::process::Stdio;

/// `kezek verify` on an installation; its "head seq … hash …".
fn head(args: &[&str], data: &Path, authority: &Path) -> String {
    let out = kezek()
        .args(["verify", "--data"])
        .arg(data)
        .arg("--authority-key")
        .arg(authority)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.rsplit("head seq ").next().unwrap().trim().to_owned()
}

fn migrate(from: &str, to: &str) -> String {
    let out = kezek()
        .args(["migrate", "--from", from, "--to", to])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_moves_to_postgres_and_back_with_the_same_head() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");
    let out = kezek()
        .args(["import", "--data"])
        .arg(a.path())
        .args(["--groups", &format!("{sample}/groups.csv")])
        .args(["--applications", &format!("{sample}/applications.csv")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let portal = key(a.path(), &["--role", "portal"]);
    let authority = a.path().join("authority.key");
    let database = kezek_testdb::database();
    let original = head(&[], a.path(), &authority);

    let said = migrate(a.path().to_str().unwrap(), &database);
    assert!(said.contains(&format!("head seq {original}")), "{said}");
    assert_eq!(
        head(&["--database", &database], b.path(), &authority),
        original
    );
    // Nothing is migrated over an installation.
    let again = kezek()
        .args([
            "migrate",
            "--from",
            a.path().to_str().unwrap(),
            "--to",
            &database,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());

    let back = b.path().join("back");
    migrate(&database, back.to_str().unwrap());
    assert_eq!(head(&[], &back, &authority), original);

    // A server on the PostgreSQL journal has the city and the key.
    let (mut server, base) = serve_node(b.path(), &database, &authority, Stdio::inherit());
    let http = reqwest::Client::new();
    let listed = get_json(&http, &format!("{base}/v1/districts"), &portal).await;
    assert!(
        !listed["districts"].as_array().unwrap().is_empty(),
        "{listed}"
    );
    // A backup of the PostgreSQL journal while it serves: a SQLite directory with its head.
    let copy = b.path().join("backup");
    let out = kezek()
        .args(["backup", "--database", &database, "--data"])
        .arg(b.path())
        .arg("--to")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(head(&[], &copy, &authority), original);
    server.kill().unwrap();
    server.wait().unwrap();
}
