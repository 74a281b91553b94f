//! Several `kezek serve` nodes on one PostgreSQL journal (a private cluster the test starts):
//! one leads, the other follows and passes writes on; a client reads its write on the
//! follower with `min_seq`; the leader is killed with SIGKILL and the follower takes over,
//! losing nothing acknowledged; a retried request gets its first answer; `kezek verify`
//! passes on the database afterwards.

use crate::common::{application, key, kezek, kindergarten_k1, serve_node, stop, succeeds};
use serde_json::Value;
use std::ffi::OsStr;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The node's role and leader as `/healthz` says them.
async fn role(http: &reqwest::Client, base: &str) -> (String, Option<String>) {
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    (
        header("kezek-role").unwrap_or_default(),
        header("kezek-leader"),
    )
}

async fn register(
    http: &reqwest::Client,
    base: &str,
    portal: &str,
    n: u16,
    key: &str,
) -> (u16, Value) {
    let r = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(portal)
        .header("Idempotency-Key", key)
        .json(&application(n))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_passes_writes_on_and_takes_over_when_the_leader_dies() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Keys are made first: the authority key is created in a's directory, then shared.
    let on = ["--database", database.as_str()];
    let staff = key(
        a_dir.path(),
        &[&on[..], &["--role", "staff", "--district", "D1"]].concat(),
    );
    let portal = key(a_dir.path(), &[&on[..], &["--role", "portal"]].concat());
    let authority = a_dir.path().join("authority.key");
    let (a, a_url) = serve_node(a_dir.path(), &database, &authority, Stdio::inherit());
    let (b, b_url) = serve_node(b_dir.path(), &database, &authority, Stdio::inherit());
    let http = reqwest::Client::new();
    // Every node names the leader it believes in: the leader itself too.
    assert_eq!(
        role(&http, &a_url).await,
        ("leader".into(), Some(a_url.clone()))
    );
    assert_eq!(
        role(&http, &b_url).await,
        ("follower".into(), Some(a_url.clone()))
    );

    // A command that writes events does not run beside a leading server.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");
    let import = kezek()
        .args(["import", "--data"])
        .arg(b_dir.path())
        .args(["--database", &database, "--authority-key"])
        .arg(&authority)
        .args(["--groups", &format!("{sample}/groups.csv")])
        .args(["--applications", &format!("{sample}/applications.csv")])
        .output()
        .unwrap();
    assert!(!import.status.success());
    assert!(
        String::from_utf8_lossy(&import.stderr).contains("stop the servers first"),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    // Writes sent to the follower are made by the leader.
    kindergarten_k1(&http, &b_url, &staff).await;
    let (status, first) = register(&http, &b_url, &portal, 1, "child-1").await;
    assert_eq!(status, 201, "{first}");
    let seq = first["as_of_seq"].as_u64().unwrap();
    let id = first["application_id"].as_str().unwrap().to_owned();
    // Read your write on the follower: min_seq waits until it has applied it.
    let read = http
        .get(format!("{b_url}/v1/applications/{id}?min_seq={seq}"))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["queue_number"], first["queue_number"]);
    assert!(read["as_of_seq"].as_u64().unwrap() >= seq);
    // Beside an endpoint's own parameters, which are checked without it.
    let queue = http
        .get(format!(
            "{b_url}/v1/districts/D1/queue?age=4&language=kk&min_seq={seq}"
        ))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200, "{}", queue.text().await.unwrap());
    // A seq the journal does not have yet: 503 with Retry-After, not a wrong answer.
    let ahead = http
        .get(format!(
            "{b_url}/v1/applications/{id}?min_seq={}",
            seq + 1000
        ))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(ahead.status(), 503);
    assert_eq!(ahead.headers()["retry-after"], "1");
    let problem: Value = ahead.json().await.unwrap();
    assert_eq!(problem["code"], "behind");
    // In the reader's language, as every problem.
    let ru: Value = http
        .get(format!(
            "{b_url}/v1/applications/{id}?min_seq={}",
            seq + 1000
        ))
        .bearer_auth(&portal)
        .header("Accept-Language", "ru")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ru["code"], "behind");
    assert!(
        ru["detail"].as_str().unwrap().contains("ещё не применил"),
        "{ru}"
    );

    // The leader dies; the follower takes over within 10 seconds.
    let mut a = a;
    a.kill().unwrap();
    a.wait().unwrap();
    let killed = Instant::now();
    while role(&http, &b_url).await.0 != "leader" {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no takeover in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nothing acknowledged was lost; a retry gets its first answer; new writes are taken.
    let (status, again) = register(&http, &b_url, &portal, 1, "child-1").await;
    assert_eq!((status, &again), (201, &first));
    let (status, second) = register(&http, &b_url, &portal, 3, "child-3").await;
    assert_eq!(status, 201, "{second}");
    assert!(second["as_of_seq"].as_u64().unwrap() > seq);
    stop(b);

    succeeds(&[
        OsStr::new("verify"),
        OsStr::new("--data"),
        b_dir.path().as_os_str(),
        OsStr::new("--database"),
        OsStr::new(&database),
        OsStr::new("--authority-key"),
        authority.as_os_str(),
    ]);
}

/// The parents' status budget is the installation's, not each node's: lookups sent to two
/// nodes in turn from one client run out together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_budget_is_shared_by_the_nodes() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let on = ["--database", database.as_str()];
    // The authority key is made in a's directory by the first command, then shared.
    key(a_dir.path(), &[&on[..], &["--role", "portal"]].concat());
    let authority = a_dir.path().join("authority.key");
    let (a, a_url) = serve_node(a_dir.path(), &database, &authority, Stdio::null());
    let (b, b_url) = serve_node(b_dir.path(), &database, &authority, Stdio::null());
    let http = reqwest::Client::new();
    let look = |base: &str, n: usize| {
        http.post(format!("{base}/status"))
            .form(&[
                ("application_id", format!("KZ{n:010}")),
                ("child_iin", "200101500017".to_owned()),
            ])
            .send()
    };
    for n in 0..10 {
        let base = if n % 2 == 0 { &a_url } else { &b_url };
        assert_eq!(look(base, n).await.unwrap().status(), 404, "lookup {n}");
    }
    for base in [&a_url, &b_url] {
        let r = look(base, 99).await.unwrap();
        assert_eq!(r.status(), 429, "{base}");
        assert_eq!(r.headers()["retry-after"], "60");
    }
    stop(a);
    stop(b);
}

/// A console session opened on one node is good on every node, and signing out on one ends
/// it on all (the sessions are in the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_session_is_the_installations_and_ends_everywhere() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let on = ["--database", database.as_str()];
    let staff = key(
        a_dir.path(),
        &[&on[..], &["--role", "staff", "--district", "D1"]].concat(),
    );
    let authority = a_dir.path().join("authority.key");
    let (a, a_url) = serve_node(a_dir.path(), &database, &authority, Stdio::null());
    let (b, b_url) = serve_node(b_dir.path(), &database, &authority, Stdio::null());
    kindergarten_k1(&reqwest::Client::new(), &a_url, &staff).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Signed in on the follower.
    let session = crate::common::console_session(&b_url, &staff).await;
    let open = |base: String| {
        http.get(format!("{base}/console/districts/D1"))
            .header("cookie", session.clone())
            .send()
    };
    let page = open(a_url.clone()).await.unwrap();
    assert_eq!(page.status(), 200, "good on the leader too");
    let csrf = crate::common::csrf_in(&page.text().await.unwrap());
    let out = http
        .post(format!("{a_url}/console/sign-out"))
        .header("cookie", session.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    for base in [&a_url, &b_url] {
        let res = open(base.clone()).await.unwrap();
        assert_eq!(
            (
                res.status().as_u16(),
                res.headers()["location"].to_str().unwrap()
            ),
            (303, "/console/sign-in"),
            "{base}"
        );
    }
    stop(a);
    stop(b);
}
