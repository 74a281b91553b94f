//! The real binary under concurrent writes, killed with SIGKILL mid-stream, started again:
//! every acknowledged registration is there, and the journal verifies (start-up refuses a
//! journal whose chain is broken). On SQLite and on PostgreSQL (a private cluster the test
//! starts).

use crate::common::{application, key, serve};
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    survive_sigkill(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    survive_sigkill(&["--database", &database]).await;
}

/// The scenario, on the journal `on` names (none: SQLite in the data directory).
async fn survive_sigkill(on: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &[on, &["--role", "portal"]].concat());
    let staff = key(
        data,
        &[on, &["--role", "staff", "--district", "D1"]].concat(),
    );
    let (mut server, base) = serve(data, on, Stdio::inherit());
    let http = reqwest::Client::new();
    let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]});
    let res = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..16u16 {
        let (http, base, portal, acked) = (
            http.clone(),
            base.clone(),
            portal.clone(),
            Arc::clone(&acked),
        );
        writers.push(tokio::spawn(async move {
            for i in 0..200u16 {
                let res = http
                    .post(format!("{base}/v1/applications"))
                    .bearer_auth(&portal)
                    .json(&application(w * 200 + i))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap();
                        acked
                            .lock()
                            .unwrap()
                            .push(v["application_id"].as_str().unwrap().to_owned());
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill it once enough writes were acknowledged, while the others are in flight.
    while acked.lock().unwrap().len() < 300 {
        assert!(
            !writers.iter().all(tokio::task::JoinHandle::is_finished),
            "the writers stopped before 300 acknowledgements"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    let (mut server, base) = serve(data, on, Stdio::inherit());
    for id in &acked {
        let res = http
            .get(format!("{base}/v1/applications/{id}"))
            .bearer_auth(&portal)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "acknowledged {id} is lost");
    }
    // Nothing unacknowledged is half-applied: queue numbers are 1..n without gaps.
    let mut numbers = Vec::new();
    for id in &acked {
        let v: Value =
            crate::common::get_json(&http, &format!("{base}/v1/applications/{id}"), &portal).await;
        numbers.push(v["queue_number"].as_u64().unwrap());
    }
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        acked.len(),
        "every acknowledged child has its own place"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
