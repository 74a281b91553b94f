//! The failover campaign: three `kezek serve` nodes on one PostgreSQL journal (a private
//! cluster the test starts), under registrations sent to any node and allocation rounds; the
//! leader is killed with SIGKILL at a varying moment, `KEZEK_FAILOVER_RUNS` times (20 by
//! default), and started again as a follower. Each time another node takes over within 10
//! seconds; every acknowledged registration and round is on every node afterwards; the
//! journal holds each seq once, without gaps; `kezek verify` passes; and at the end every
//! acknowledged request sent again with its `Idempotency-Key` gets its first answer.

use crate::common::{application, has_iin, key, kezek, serve_node};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The installation the nodes share.
struct Shared {
    database: String,
    authority: PathBuf,
}

/// A new installation on a private database: its key directory (where the authority key is
/// made), where it is, and a portal's and a D1 staff's keys.
struct Installation {
    key_dir: tempfile::TempDir,
    shared: Shared,
    portal: String,
    staff: String,
}

fn installation() -> Installation {
    let key_dir = tempfile::tempdir().unwrap();
    let shared = Shared {
        database: kezek_testdb::database(),
        authority: key_dir.path().join("authority.key"),
    };
    let on = ["--database", shared.database.as_str()];
    let portal = key(key_dir.path(), &[&on[..], &["--role", "portal"]].concat());
    let staff = key(
        key_dir.path(),
        &[&on[..], &["--role", "staff", "--district", "D1"]].concat(),
    );
    Installation {
        key_dir,
        shared,
        portal,
        staff,
    }
}

/// `kezek verify` of the installation passes.
fn verifies(key_dir: &std::path::Path, shared: &Shared) -> Result<(), String> {
    let out = kezek()
        .args(["verify", "--data"])
        .arg(key_dir)
        .args(["--database", &shared.database, "--authority-key"])
        .arg(&shared.authority)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Each seq once in the journal, none missing.
fn each_seq_once(shared: &Shared) -> bool {
    let name = shared.database.rsplit('/').next().unwrap();
    kezek_testdb::shared()
        .sql(
            name,
            "SELECT count(*) = count(DISTINCT seq) AND count(*) = coalesce(max(seq), 0) FROM events",
        )
        .trim()
        == "t"
}

/// A running node.
struct Node {
    child: Child,
    url: String,
    data: tempfile::TempDir,
}

fn start(shared: &Shared, data: tempfile::TempDir) -> Node {
    let (child, url) = serve_node(
        data.path(),
        &shared.database,
        &shared.authority,
        Stdio::null(),
    );
    Node { child, url, data }
}

async fn role(http: &reqwest::Client, url: &str) -> Option<String> {
    let r = http
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    r.headers()
        .get("kezek-role")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// What the clients were told.
#[derive(Default)]
struct Acked {
    /// Idempotency key → (child number, first answer).
    registrations: BTreeMap<String, (u16, Value)>,
    rounds: Vec<String>,
}

/// Sends a request to the live nodes in turn until one answers other than 503 or the
/// connection fails, for up to 20 seconds: what a portal behind a load balancer does.
async fn send_anywhere(
    nodes: &Mutex<Vec<String>>,
    make: impl Fn(&str) -> reqwest::RequestBuilder,
) -> Option<(u16, Value)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut turn = 0usize;
    while Instant::now() < deadline {
        let url = {
            let nodes = nodes.lock().unwrap();
            turn += 1;
            nodes[turn % nodes.len()].clone()
        };
        if let Ok(r) = make(&url).timeout(Duration::from_secs(10)).send().await {
            let status = r.status().as_u16();
            if status != 503 {
                return Some((status, r.json().await.unwrap_or_default()));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_leader_is_replaced_and_nothing_acknowledged_is_lost() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let runs: u16 = std::env::var("KEZEK_FAILOVER_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let Installation {
        key_dir,
        shared,
        portal,
        staff,
    } = installation();
    let http = reqwest::Client::new();
    let mut nodes: Vec<Node> = Vec::new();
    for _ in 0..3 {
        nodes.push(start(&shared, tempfile::tempdir().unwrap()));
    }
    let live = Arc::new(Mutex::new(
        nodes.iter().map(|n| n.url.clone()).collect::<Vec<_>>(),
    ));
    crate::common::kindergarten_k1(&http, &nodes[0].url, &staff).await;
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut takeovers = Vec::new();
    for run in 0..runs {
        // The writers: registrations with their own keys, to any node.
        let mut writers = Vec::new();
        for w in 0..8u16 {
            let (http, live, portal, acked) = (
                http.clone(),
                Arc::clone(&live),
                portal.clone(),
                Arc::clone(&acked),
            );
            writers.push(tokio::spawn(async move {
                for i in 0..16u16 {
                    let n = run * 128 + w * 16 + i;
                    if !has_iin(n) {
                        continue;
                    }
                    let key = format!("reg-{n}");
                    let body = application(n);
                    let sent = send_anywhere(&live, |url| {
                        http.post(format!("{url}/v1/applications"))
                            .bearer_auth(&portal)
                            .header("Idempotency-Key", &key)
                            .json(&body)
                    })
                    .await;
                    if let Some((201, v)) = sent {
                        acked.lock().unwrap().registrations.insert(key, (n, v));
                    } else {
                        panic!("registration {n}: {sent:?}");
                    }
                }
            }));
        }
        {
            let (http, live, staff, acked) = (
                http.clone(),
                Arc::clone(&live),
                staff.clone(),
                Arc::clone(&acked),
            );
            writers.push(tokio::spawn(async move {
                let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 3 * (u32::from(run) + 1)}]});
                let put = send_anywhere(&live, |url| {
                    http.put(format!("{url}/v1/kindergartens/K1")).bearer_auth(&staff).json(&kg)
                })
                .await;
                assert!(matches!(put, Some((200 | 201, _))), "{put:?}");
                let round = send_anywhere(&live, |url| {
                    http.post(format!("{url}/v1/districts/D1/allocations"))
                        .bearer_auth(&staff)
                        .header("Idempotency-Key", format!("round-{run}"))
                        .json(&json!({"academic_year": 2026}))
                })
                .await;
                if let Some((201, v)) = round {
                    acked.lock().unwrap().rounds.push(v["round_id"].as_str().unwrap().to_owned());
                }
            }));
        }
        // Kill the leader after a varying number of new acknowledgements, writes in flight.
        let start_count = acked.lock().unwrap().registrations.len();
        let target = start_count + 5 + usize::from(run * 29 % 60);
        while acked.lock().unwrap().registrations.len() < target
            && !writers.iter().all(tokio::task::JoinHandle::is_finished)
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut leader = None;
        for (i, n) in nodes.iter().enumerate() {
            if role(&http, &n.url).await.as_deref() == Some("leader") {
                leader = Some(i);
            }
        }
        let leader = leader.expect("one node leads");
        let dead = nodes.remove(leader);
        let mut child = dead.child;
        child.kill().unwrap();
        child.wait().unwrap();
        let killed = Instant::now();
        live.lock().unwrap().retain(|u| *u != dead.url);
        'wait: loop {
            for n in &nodes {
                if role(&http, &n.url).await.as_deref() == Some("leader") {
                    break 'wait;
                }
            }
            assert!(
                killed.elapsed() < Duration::from_secs(10),
                "run {run}: no takeover in 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        takeovers.push(killed.elapsed());
        for w in writers {
            w.await.unwrap();
        }
        // The killed node comes back, as a follower.
        let back = start(&shared, dead.data);
        live.lock().unwrap().push(back.url.clone());
        nodes.push(back);
        // Every node has every acknowledged write.
        let (registrations, rounds) = {
            let a = acked.lock().unwrap();
            (a.registrations.clone(), a.rounds.clone())
        };
        let head = registrations
            .values()
            .filter_map(|(_, v)| v["as_of_seq"].as_u64())
            .max()
            .unwrap_or(0);
        for n in &nodes {
            for (_, v) in registrations.values() {
                let id = v["application_id"].as_str().unwrap();
                let r = http
                    .get(format!("{}/v1/applications/{id}?min_seq={head}", n.url))
                    .bearer_auth(&portal)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "run {run}: {id} is not on {}", n.url);
            }
            for id in &rounds {
                let r = http
                    .get(format!("{}/v1/allocations/{id}?min_seq={head}", n.url))
                    .bearer_auth(&staff)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "run {run}: round {id} is not on {}", n.url);
            }
        }
        assert!(
            each_seq_once(&shared),
            "run {run}: a seq written twice or missing"
        );
        if let Err(e) = verifies(key_dir.path(), &shared) {
            panic!("run {run}: {e}");
        }
    }
    // Every acknowledged registration, sent again with its key, gets its first answer.
    let registrations = acked.lock().unwrap().registrations.clone();
    for (key, (n, first)) in &registrations {
        let body = application(*n);
        let again = send_anywhere(&live, |url| {
            http.post(format!("{url}/v1/applications"))
                .bearer_auth(&portal)
                .header("Idempotency-Key", key)
                .json(&body)
        })
        .await;
        assert_eq!(again, Some((201, first.clone())), "{key}");
    }
    assert!(
        registrations.len() > usize::from(runs) * 5,
        "the campaign wrote too little"
    );
    assert!(
        !acked.lock().unwrap().rounds.is_empty(),
        "no round was acknowledged"
    );
    let slowest = takeovers.iter().max().unwrap();
    eprintln!(
        "failover: {} kills, slowest takeover {slowest:?}",
        takeovers.len()
    );
    for mut n in nodes {
        n.child.kill().unwrap();
        n.child.wait().unwrap();
    }
}

/// `kill -<signal> <pid>`.
fn signal(child: &Child, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

/// `/healthz` of `url`: its role and the leader it names.
async fn belief(http: &reqwest::Client, url: &str) -> Option<(String, Option<String>)> {
    let r = http
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Some((header("kezek-role")?, header("kezek-leader")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_is_replaced_within_10_s_and_steps_down_when_it_wakes() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let Installation {
        key_dir,
        shared,
        portal,
        staff,
    } = installation();
    let http = reqwest::Client::new();
    let mut nodes: Vec<Node> = (0..3)
        .map(|_| start(&shared, tempfile::tempdir().unwrap()))
        .collect();
    let live = Mutex::new(nodes.iter().map(|n| n.url.clone()).collect::<Vec<_>>());
    crate::common::kindergarten_k1(&http, &nodes[0].url, &staff).await;
    let children: Vec<u16> = (1..400).filter(|&n| has_iin(n)).collect();
    let mut acked = Vec::new();
    let register = |n: u16| {
        let body = application(n);
        let (http, portal, live) = (&http, &portal, &live);
        async move {
            send_anywhere(live, |url| {
                http.post(format!("{url}/v1/applications"))
                    .bearer_auth(portal)
                    .header("Idempotency-Key", format!("reg-{n}"))
                    .json(&body)
            })
            .await
        }
    };
    for &n in &children[..10] {
        let (status, v) = register(n).await.expect("written before the freeze");
        assert_eq!(status, 201, "{v}");
        acked.push(v);
    }
    let mut leader = None;
    for (i, n) in nodes.iter().enumerate() {
        if role(&http, &n.url).await.as_deref() == Some("leader") {
            leader = Some(i);
        }
    }
    let frozen = nodes.remove(leader.expect("one node leads"));
    // The leader freezes (its process stopped, its connections open); the load balancer
    // stops sending to it.
    signal(&frozen.child, "STOP");
    let stopped = Instant::now();
    live.lock().unwrap().retain(|u| *u != frozen.url);
    let (status, v) = register(children[10]).await.expect("writes resume");
    let resumed = stopped.elapsed();
    assert_eq!(status, 201, "{v}");
    assert!(
        resumed < Duration::from_secs(10),
        "the first write after the freeze took {resumed:?}"
    );
    acked.push(v);
    for &n in &children[11..20] {
        let (status, v) = register(n).await.expect("written after the takeover");
        assert_eq!(status, 201, "{v}");
        acked.push(v);
    }
    let mut new_leader = None;
    for n in &nodes {
        if role(&http, &n.url).await.as_deref() == Some("leader") {
            new_leader = Some(n.url.clone());
        }
    }
    let new_leader = new_leader.expect("another node leads");
    // The old leader wakes: it writes nothing, steps down, and follows the new one.
    signal(&frozen.child, "CONT");
    let woken = Instant::now();
    loop {
        if let Some((role, Some(leader))) = belief(&http, &frozen.url).await {
            if role == "follower" && leader == new_leader {
                break;
            }
        }
        assert!(
            woken.elapsed() < Duration::from_secs(30),
            "the woken leader did not step down to follow {new_leader}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // As a follower it passes writes on, and has every acknowledged one.
    live.lock().unwrap().push(frozen.url.clone());
    let (status, v) = send_anywhere(&Mutex::new(vec![frozen.url.clone()]), |url| {
        http.post(format!("{url}/v1/applications"))
            .bearer_auth(&portal)
            .header("Idempotency-Key", format!("reg-{}", children[20]))
            .json(&application(children[20]))
    })
    .await
    .expect("a write through the woken node");
    assert_eq!(status, 201, "{v}");
    acked.push(v);
    let head = acked
        .iter()
        .filter_map(|v| v["as_of_seq"].as_u64())
        .max()
        .unwrap();
    for url in nodes.iter().map(|n| &n.url).chain([&frozen.url]) {
        for v in &acked {
            let id = v["application_id"].as_str().unwrap();
            let r = http
                .get(format!("{url}/v1/applications/{id}?min_seq={head}"))
                .bearer_auth(&portal)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{id} is not on {url}");
        }
    }
    assert!(each_seq_once(&shared), "a seq written twice or missing");
    if let Err(e) = verifies(key_dir.path(), &shared) {
        panic!("{e}");
    }
    eprintln!("frozen leader: writes resumed after {resumed:?}");
    for mut n in nodes.into_iter().chain([frozen]) {
        n.child.kill().unwrap();
        n.child.wait().unwrap();
    }
}
