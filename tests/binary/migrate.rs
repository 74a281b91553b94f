//! `kezek migrate`: an installation on SQLite moves to PostgreSQL (a private cluster the test
//! starts) and back; `kezek verify` names the same head on all three, and a server on the
//! PostgreSQL journal answers for what the SQLite one held; `kezek backup` of the
//! PostgreSQL journal while it serves gives a SQLite directory with that head too.

use crate::common::{get_json, key, kezek, serve_node, succeeds};
use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;

/// `kezek verify` on an installation; its "head seq … hash …".
fn head(args: &[&str], data: &Path, authority: &Path) -> String {
    let mut all = vec![
        OsStr::new("verify"),
        OsStr::new("--data"),
        data.as_os_str(),
        OsStr::new("--authority-key"),
        authority.as_os_str(),
    ];
    all.extend(args.iter().map(OsStr::new));
    let text = succeeds(&all);
    text.rsplit("head seq ").next().unwrap().trim().to_owned()
}

fn migrate(from: &str, to: &str) -> String {
    succeeds(&["migrate", "--from", from, "--to", to].map(OsStr::new))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_moves_to_postgres_and_back_with_the_same_head() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");
    let (groups, applications) = (
        format!("{sample}/groups.csv"),
        format!("{sample}/applications.csv"),
    );
    succeeds(&[
        OsStr::new("import"),
        OsStr::new("--data"),
        a.path().as_os_str(),
        OsStr::new("--groups"),
        OsStr::new(&groups),
        OsStr::new("--applications"),
        OsStr::new(&applications),
    ]);
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
    succeeds(&[
        OsStr::new("backup"),
        OsStr::new("--database"),
        OsStr::new(&database),
        OsStr::new("--data"),
        b.path().as_os_str(),
        OsStr::new("--to"),
        copy.as_os_str(),
    ]);
    assert_eq!(head(&[], &copy, &authority), original);
    server.kill().unwrap();
    server.wait().unwrap();
}
