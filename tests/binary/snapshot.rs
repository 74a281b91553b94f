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

/// The key the installation in `data` seals its snapshots with (its authority key's).
fn seal_key(data: &Path) -> [u8; 32] {
    kezek_app::keys::authority::Authority::load(&data.join("authority.key"))
        .unwrap()
        .derive_key("snapshots")
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
    let taken_at = kezek_store::snapshot::read(&newest, &seal_key(&s.data))
        .unwrap()
        .head
        .seq
        .get();
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
    assert!(said.contains("seal does not match"), "{said}");
    assert!(!said.contains("state restored from a snapshot"), "{said}");

    // A start that replayed the whole journal takes a snapshot of what it built, though
    // fewer than 40 records came after the newest (damaged) file: the files it passed
    // over do not count.
    let (server, _) = start(&s.data, "40", &s.logs.path().join("full.log"));
    let key = seal_key(&s.data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !snapshots(&s.data)
        .iter()
        .any(|p| kezek_store::snapshot::read(p, &key).is_ok_and(|t| t.head.seq.get() == head))
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
    let key = seal_key(&s.data);
    for path in snapshots(&s.data) {
        let mut snap = kezek_store::snapshot::read(&path, &key).unwrap();
        std::fs::remove_file(&path).unwrap();
        snap.head.hash = [9; 32];
        kezek_store::snapshot::write(&dir_of, snap.head, snap.bytes(), 2, &key).unwrap();
    }
    let said = s.restart("other-journal.log", &ids, &before).await;
    assert!(said.contains("not the one it was taken at"), "{said}");
    assert!(!said.contains("state restored from a snapshot"), "{said}");
}

/// The state the journal of `data` would give had child `victim` been registered three
/// years earlier — what a forger would put in a snapshot to move a child up the queue —
/// and the journal's head it claims to be taken at.
fn forged_state(data: &Path, victim: &str) -> (kezek_store::Head, Vec<u8>) {
    use kezek_store::EventLog;
    let journal = kezek_store::sqlite::SqliteStore::open(&data.join("kezek.sqlite")).unwrap();
    let records = journal
        .read(kezek_core::model::Seq::new(0), usize::MAX)
        .unwrap();
    let mut state = kezek_core::State::new(kezek_core::Policy::kz_2013());
    // The forger holds the whole data directory: the persons' keys too.
    let keys = kezek_store::sealing::KeyCache::load(&journal).unwrap();
    let cutoff = state.policy().cutoff;
    for r in &records {
        let mut event = kezek_store::sealing::decode(&r.payload, cutoff, &keys).unwrap();
        if let kezek_core::Event::Registered(reg) = &mut event {
            if reg.application_id.as_str() == victim {
                reg.registered_at -= jiff::SignedDuration::from_hours(3 * 8760);
            }
        }
        state.apply(r.seq, &event).unwrap();
    }
    (journal.head().unwrap(), state.to_snapshot().unwrap())
}

/// The forgery that was served: a child's registration time moved three years earlier
/// inside a snapshot, its checksum computed again. The file is sealed with a key the
/// authority key derives, so a file with a plain checksum is passed over; and were the
/// authority key taken too, the state a node serves is checked against the journal's by
/// `kezek verify --against` and by the node's own snapshot keeper, which stops the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_snapshot_is_passed_over_and_a_served_forgery_is_caught() {
    use sha2::{Digest, Sha256};
    let s = setup();
    let (ids, before) = s.seed(60).await;
    let victim = ids.last().unwrap().clone();
    let (head, forged) = forged_state(&s.data, &victim);
    let dir_of = s.data.join("snapshots");
    for old in snapshots(&s.data) {
        std::fs::remove_file(old).unwrap();
    }

    // The forgery as it was made: the first layout's SHA-256, computed again.
    let mut fields = Vec::new();
    fields.extend_from_slice(&head.seq.get().to_le_bytes());
    fields.extend_from_slice(&head.hash);
    fields.extend_from_slice(&(forged.len() as u64).to_le_bytes());
    let sum = Sha256::new()
        .chain_update(&fields)
        .chain_update(&forged)
        .finalize();
    let mut file = b"kezek-snapshot2\n".to_vec();
    file.extend_from_slice(&fields);
    file.extend_from_slice(&sum);
    file.extend_from_slice(&forged);
    std::fs::create_dir_all(&dir_of).unwrap();
    let path = dir_of.join(format!("snapshot-{:020}.bin", head.seq.get()));
    std::fs::write(&path, &file).unwrap();
    let said = s.restart("forged.log", &ids, &before).await;
    assert!(said.contains("snapshot passed over"), "{said}");
    assert!(said.contains("seal does not match"), "{said}");
    std::fs::remove_file(&path).unwrap();

    // Sealed with the authority's own key: the node starts from it and serves the forgery…
    kezek_store::snapshot::write(&dir_of, head, &forged, 2, &seal_key(&s.data)).unwrap();
    let auditor = key(&s.data, &["--role", "auditor"]);
    let log = s.logs.path().join("served.log");
    let (server, base) = start(&s.data, "10", &log);
    let forgery = answers(&s.http, &base, &s.staff, std::slice::from_ref(&victim)).await;
    let truth = before.last().unwrap();
    assert_ne!(
        forgery[0]["queue_number"], truth["queue_number"],
        "{}",
        forgery[0]
    );
    // …which `kezek verify --against` finds, naming the seq and both digests…
    let out = crate::common::kezek()
        .args(["verify", "--data"])
        .arg(&s.data)
        .args(["--against", &base, "--token", &auditor])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("is not the journal's"), "{err}");
    // …and so does the node itself at its next snapshot: it stops serving, saying why.
    register(&s.http, &base, &s.portal, 200, 220).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let why = loop {
        let r = s.http.get(format!("{base}/healthz")).send().await.unwrap();
        if r.status() == 503 {
            break r.text().await.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still serving the forgery"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(why.contains("not the journal's"), "{why}");
    stop(server);
    // It let the files go with it: a restart rebuilds the state from the journal.
    assert!(snapshots(&s.data).is_empty());
    let log = s.logs.path().join("rebuilt.log");
    let (server, base) = start(&s.data, "1000", &log);
    let rebuilt = answers(&s.http, &base, &s.staff, std::slice::from_ref(&victim)).await;
    assert_eq!(rebuilt[0]["queue_number"], truth["queue_number"]);
    stop(server);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!said.contains("state restored from a snapshot"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_from_a_snapshot_reads_the_keys_behind_it_and_gives_nobody_a_second() {
    let s = setup();
    let (mut ids, _) = s.seed(60).await;
    let log = s.logs.path().join("keys.log");
    let (server, base) = start(&s.data, "1000", &log);
    // Children of the same applicant, whose key the snapshot's journal made long before.
    ids.extend(register(&s.http, &base, &s.portal, 60, 80).await);
    stop(server);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("state restored from a snapshot"), "{said}");
    assert!(said.contains("persons' keys read"), "{said}");
    // Every child its key, the one applicant one: no person was given a second.
    let store = kezek_store::sqlite::SqliteStore::open(&s.data.join("kezek.sqlite")).unwrap();
    let keys = kezek_store::EventLog::person_keys(&store, "", 10_000).unwrap();
    assert_eq!(keys.len(), ids.len() + 1);
    drop(store);
    assert_verifies(&s.data);
}
