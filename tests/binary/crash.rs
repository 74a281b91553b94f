//! The crash campaign: the real server under concurrent registrations, capacity changes and
//! allocation rounds, killed with SIGKILL after a varying number of acknowledged writes and
//! started again, `KEZEK_CRASH_RUNS` times (20 by default) on the same data directory.
//! After each restart every acknowledged write is there, and `kezek verify` passes: the chain
//! is intact and every journaled round re-runs to the same referrals, so nothing is
//! half-applied. Readers probe the ids just past the last acknowledged one all along: every
//! application a reader was shown is there after the restart, the same one. On SQLite, and
//! on PostgreSQL with one node (a private cluster the test starts; `failover.rs` kills the
//! leader of several).

use crate::common::{application, has_iin, key, serve, verify_on};
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Acked {
    applications: Vec<String>,
    rounds: Vec<String>,
    /// Applications a reader was shown, with their registration time.
    seen: Vec<(String, String)>,
}

/// The number in an application id `KZ0000000123`.
fn number(id: &str) -> u64 {
    id.trim_start_matches("KZ").parse().unwrap()
}

/// Reads the ids just past the last acknowledged application until the server is gone,
/// noting every one it is shown.
async fn probe(http: reqwest::Client, base: String, portal: String, acked: Arc<Mutex<Acked>>) {
    loop {
        let last = acked
            .lock()
            .unwrap()
            .applications
            .iter()
            .map(|a| number(a))
            .max();
        for n in last.unwrap_or(0) + 1..=last.unwrap_or(0) + 12 {
            let id = format!("KZ{n:010}");
            let Ok(r) = http
                .get(format!("{base}/v1/applications/{id}"))
                .bearer_auth(&portal)
                .send()
                .await
            else {
                return;
            };
            if r.status() == 200 {
                let Ok(v) = r.json::<Value>().await else {
                    return;
                };
                let at = v["registered_at"].as_str().unwrap().to_owned();
                acked.lock().unwrap().seen.push((id, at));
            }
        }
    }
}

/// Every acknowledged application and round is there, and every application a reader was
/// shown, with the same registration time.
async fn check_survivors(run: u16, base: &str, portal: &str, staff: &str, acked: &Mutex<Acked>) {
    let http = reqwest::Client::new();
    let (applications, rounds, seen) = {
        let a = acked.lock().unwrap();
        (a.applications.clone(), a.rounds.clone(), a.seen.clone())
    };
    for id in &applications {
        let res = http
            .get(format!("{base}/v1/applications/{id}"))
            .bearer_auth(portal)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "run {run}: acknowledged application {id} is lost"
        );
    }
    for (id, at) in &seen {
        let res = http
            .get(format!("{base}/v1/applications/{id}"))
            .bearer_auth(portal)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap_or_default();
        assert_eq!(
            (status.as_u16(), v["registered_at"].as_str()),
            (200, Some(at.as_str())),
            "run {run}: application {id} was shown to a reader, and after the restart it is {v}"
        );
    }
    for id in &rounds {
        let res = http
            .get(format!("{base}/v1/allocations/{id}"))
            .bearer_auth(staff)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "run {run}: acknowledged round {id} is lost"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_repeated_sigkills() {
    campaign(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_repeated_sigkills_on_postgres() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    campaign(&["--database", &database]).await;
}

/// The campaign, on the journal `on` names (none: SQLite in the data directory).
async fn campaign(on: &[&str]) {
    let runs: u16 = std::env::var("KEZEK_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &[on, &["--role", "portal"]].concat());
    let staff = key(
        data,
        &[on, &["--role", "staff", "--district", "D1"]].concat(),
    );
    let http = reqwest::Client::new();
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut capacity = 0u32;
    for run in 0..runs {
        let (mut server, base) = serve(data, on, Stdio::null());
        // Everything acknowledged or shown before the last kill is still there.
        check_survivors(run, &base, &portal, &staff, &acked).await;
        let mut writers = Vec::new();
        for w in 0..12u16 {
            let (http, base, portal, acked) = (
                http.clone(),
                base.clone(),
                portal.clone(),
                Arc::clone(&acked),
            );
            writers.push(tokio::spawn(async move {
                for i in 0..20u16 {
                    let n = run * 240 + w * 20 + i;
                    if !has_iin(n) {
                        continue;
                    }
                    let Ok(r) = http
                        .post(format!("{base}/v1/applications"))
                        .bearer_auth(&portal)
                        .json(&application(n))
                        .send()
                        .await
                    else {
                        return;
                    };
                    if r.status() != 201 {
                        return;
                    }
                    let Ok(v) = r.json::<Value>().await else {
                        return;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .applications
                        .push(v["application_id"].as_str().unwrap().to_owned());
                }
            }));
        }
        {
            let (http, base, staff, acked) = (
                http.clone(),
                base.clone(),
                staff.clone(),
                Arc::clone(&acked),
            );
            capacity += 3;
            let cap = capacity;
            writers.push(tokio::spawn(async move {
                let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": cap}]});
                let Ok(r) = http.put(format!("{base}/v1/kindergartens/K1")).bearer_auth(&staff).json(&kg).send().await else { return };
                if !r.status().is_success() {
                    return;
                }
                let Ok(r) = http.post(format!("{base}/v1/districts/D1/allocations")).bearer_auth(&staff).json(&json!({"academic_year": 2026})).send().await else { return };
                if r.status() == 201 {
                    if let Ok(v) = r.json::<Value>().await {
                        acked.lock().unwrap().rounds.push(v["round_id"].as_str().unwrap().to_owned());
                    }
                }
            }));
        }
        for _ in 0..4 {
            let (http, base, portal) = (http.clone(), base.clone(), portal.clone());
            writers.push(tokio::spawn(probe(http, base, portal, Arc::clone(&acked))));
        }
        // Kill after a varying number of new acknowledgements, with writes in flight.
        let start = acked.lock().unwrap().applications.len();
        let target = start + 10 + usize::from(run * 37 % 120);
        while acked.lock().unwrap().applications.len() < target
            && !writers
                .iter()
                .take(13)
                .all(tokio::task::JoinHandle::is_finished)
        {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        for w in writers {
            let _ = w.await;
        }
        let out = verify_on(data, on);
        assert!(
            out.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (mut server, base) = serve(data, on, Stdio::null());
    check_survivors(runs, &base, &portal, &staff, &acked).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let a = acked.lock().unwrap();
    assert!(
        a.applications.len() > usize::from(runs) * 10,
        "the campaign wrote too little to mean anything"
    );
    assert!(!a.rounds.is_empty(), "no round was acknowledged");
}
