//! The real binary under concurrent writes, killed with SIGKILL mid-stream, started again:
//! every acknowledged registration is there, and the journal verifies (start-up refuses a
//! journal whose chain is broken).

use kezek_core::iin::Iin;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

fn kezek() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kezek"))
}

fn key(data: &Path, args: &[&str]) -> String {
    let out = kezek()
        .args(["keys", "create", "--data"])
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// Starts `kezek serve` on a free port; returns the child and its base URL.
fn serve(data: &Path) -> (Child, String) {
    let mut child = kezek()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.contains("listening on http://"))
        .expect("the server never said where it listens");
    let addr = line.rsplit("http://").next().unwrap().to_owned();
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"))
}

fn application(n: u16) -> Value {
    let iin = Iin::compose(jiff::civil::date(2022, 5, 1), n % 2 == 1, n).unwrap();
    json!({"child": {"iin": iin.to_string(), "name": "Child"},
           "applicant": {"iin": "880101300123", "name": "Parent", "representative": null},
           "district": "D1", "language": "kk", "preferences": ["K1"], "category": null,
           "documents": ["application_form", "applicant_id", "address_proof"], "channel": "portal"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let (mut server, base) = serve(data);
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

    let (mut server, base) = serve(data);
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
        let v: Value = http
            .get(format!("{base}/v1/applications/{id}"))
            .bearer_auth(&portal)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
