//! Start-up from a snapshot: the server writes one as the journal grows, starts from it
//! and replays only the records after it, and answers exactly as after a full replay; a
//! damaged snapshot, or one that names a record the journal does not have, is passed over
//! with a warning. `kezek verify` never reads them.

use crate::common::{
    application, assert_verifies, has_iin, key, kindergarten_k1, post_application, serve_logging,
    stop,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Starts the server with a snapshot every `every` records, logging to `log`.
fn start(data: &Path, every: &str, log: &Path) -> (std::process::Child, String) {
    let file = std::fs::File::create(log).unwrap();
    serve_logging(
        data,
        &["--snapshot-every", every],
        Stdio::from(file),
        "kezek_app=info,kezek_node=info",
    )
}

/// Waits for the server's first snapshot file.
async fn first_snapshot(data: &Path) {
    // The snapshot thread looks every second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while snapshots(data).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no snapshot written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The snapshot files, newest first.
fn snapshots(data: &Path) -> Vec<PathBuf> {
    kezek_store::snapshot::list(&data.join("snapshots"))
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// Every application as the API shows it.
async fn answers(http: &reqwest::Client, base: &str, staff: &str, ids: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        let r = http
            .get(format!("{base}/v1/applications/{id}"))
            .bearer_auth(staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        out.push(r.json().await.unwrap());
    }
    out
}

/// Registers children `from..to`; their ids.
async fn register(
    http: &reqwest::Client,
    base: &str,
    portal: &str,
    from: u16,
    to: u16,
) -> Vec<String> {
    let mut ids = Vec::new();
    for n in (from..to).filter(|n| has_iin(*n)) {
        let (status, body) = post_application(http, base, portal, &application(n)).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["application_id"].as_str().unwrap().to_owned());
    }
    ids
}

/// A data directory with a portal and a staff key, a directory for the logs, a client.
struct Setup {
    _dir: tempfile::TempDir,
    data: PathBuf,
    logs: tempfile::TempDir,
    portal: String,
    staff: String,
    http: reqwest::Client,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Setup {
        portal: key(&data, &["--role", "portal"]),
        staff: key(&data, &["--role", "staff", "--district", "D1"]),
        _dir: dir,
        data,
        logs: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
    }
}

impl Setup {
    /// K1 and children `0..n` through a server taking a snapshot every 40 records, stopped
    /// once it wrote its first: the ids and the answers just before the stop.
    async fn seed(&self, n: u16) -> (Vec<String>, Vec<Value>) {
        let (server, base) = start(&self.data, "40", &self.logs.path().join("seed.log"));
        kindergarten_k1(&self.http, &base, &self.staff).await;
        let ids = register(&self.http, &base, &self.portal, 0, n).await;
        first_snapshot(&self.data).await;
        let before = answers(&self.http, &base, &self.staff, &ids).await;
        stop(server);
        (ids, before)
    }

    /// Starts the server again (no new snapshot taken: every 1000 records), checks that it
    /// answers `before` for `ids`, stops it; what it logged.
    async fn restart(&self, name: &str, ids: &[String], before: &[Value]) -> String {
        let log = self.logs.path().join(name);
        let (server, base) = start(&self.data, "1000", &log);
        assert_eq!(answers(&self.http, &base, &self.staff, ids).await, before);
        stop(server);
        std::fs::read_to_string(&log).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_from_its_snapshot_and_replays_only_the_rest() {
    let s = setup();
    let (mut ids, _) = s.seed(100).await;
    // Records after the snapshot, which a start from it must replay (no snapshot is
    // taken of them: too few).
    let (server, base) = start(&s.data, "1000", &s.logs.path().join("more.log"));
    ids.extend(register(&s.http, &base, &s.portal, 100, 130).await);
    let before = answers(&s.http, &base, &s.staff, &ids).await;
    stop(server);
    let newest = snapshots(&s.data)[0].clone();
    let taken_at = kezek_store::snapshot::read(&newest).unwrap().head.seq.get();
    let head = before
        .iter()
        .map(|a| a["as_of_seq"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(taken_at < head, "the snapshot is before the last records");

    // From the snapshot: the same answers, and only the rest replayed.
    let said = s.restart("from-snapshot.log", &ids, &before).await;
    assert!(said.contains("state restored from a snapshot"), "{said}");
    assert!(said.contains(&format!("at={taken_at}")), "{said}");
    assert!(
        said.contains(&format!("replayed={}", head - taken_at)),
        "{said}"
    );

    // A damaged snapshot is passed over: an older one or the journal's start serves.
    for path in snapshots(&s.data) {
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
    }
    let said = s.restart("damaged.log", &ids, &before).await;
    assert!(said.contains("snapshot passed over"), "{said}");
    assert!(said.contains("checksum"), "{said}");
    assert!(!said.contains("state restored from a snapshot"), "{said}");

    // A start that replayed the whole journal takes a snapshot of what it built, though
    // fewer than 40 records came after the newest (damaged) file: the files it passed
    // over do not count.
    let (server, _) = start(&s.data, "40", &s.logs.path().join("full.log"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !snapshots(&s.data)
        .iter()
        .any(|p| kezek_store::snapshot::read(p).is_ok_and(|t| t.head.seq.get() == head))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no snapshot at the head"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop(server);
    let said = s.restart("at-head.log", &ids, &before).await;
    assert!(said.contains("replayed=0"), "{said}");
    assert_verifies(&s.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_of_another_journal_is_passed_over() {
    let s = setup();
    let (ids, before) = s.seed(60).await;
    // The same state, said to be taken at a record with another hash (what a snapshot
    // copied from another installation, or one whose journal was restored from an older
    // backup, looks like): whole and checksummed, but not of this journal.
    let dir_of = s.data.join("snapshots");
    for path in snapshots(&s.data) {
        let mut snap = kezek_store::snapshot::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        snap.head.hash = [9; 32];
        kezek_store::snapshot::write(&dir_of, snap.head, snap.bytes(), 2).unwrap();
    }
    let said = s.restart("other-journal.log", &ids, &before).await;
    assert!(said.contains("not the one it was taken at"), "{said}");
    assert!(!said.contains("state restored from a snapshot"), "{said}");
}
