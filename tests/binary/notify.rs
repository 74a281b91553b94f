//! Families are told: `kezek serve --notify-url` pushes every notification to a real HTTP
//! receiver on loopback that refuses some deliveries, through a SIGKILL of the server in the
//! middle; in the end every notification has arrived, signed, in order per application.

use crate::common::{application, has_iin, key, kindergarten_k1, post_application, serve, stop};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

const SECRET: &[u8] = b"a shared secret";

/// What the receiver got: every request's body and signature, in arrival order.
#[derive(Default)]
struct Received {
    requests: Vec<(Value, String, bool)>,
    count: u64,
}

/// Answers 503 to every third request (and stores it as refused), 200 to the rest.
async fn receive(
    State(got): State<Arc<Mutex<Received>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let signature = headers
        .get("x-kezek-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let valid = signature == kezek_app::outbox::push::signature(SECRET, &body);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut got = got.lock().unwrap();
    got.count += 1;
    let refuse = got.count % 3 == 0;
    got.requests.push((json, signature, !refuse && valid));
    if refuse {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let got = Arc::new(Mutex::new(Received::default()));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Arc::clone(&got));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notification_arrives_signed_through_failures_and_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let secret = dir.path().join("notify.secret");
    std::fs::write(&secret, [SECRET, b"\n"].concat()).unwrap();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let (url, got) = receiver().await;
    let flags = [
        "--notify-url",
        &url,
        "--notify-secret-file",
        secret.to_str().unwrap(),
    ];
    let http = reqwest::Client::new();
    let (server, base) = serve(data, &flags, Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    let children: Vec<u16> = (1..200).filter(|&n| has_iin(n)).take(40).collect();
    for &n in &children[..20] {
        let (s, v) = post_application(&http, &base, &portal, &application(n)).await;
        assert_eq!(s, 201, "{v}");
    }
    // Killed while the pushes (a third of them refused, retried after 1 s, 2 s, …) go on.
    stop(server);
    let (server, base) = serve(data, &flags, Stdio::null());
    let mut withdrawn = Vec::new();
    for &n in &children[20..] {
        let (s, v) = post_application(&http, &base, &portal, &application(n)).await;
        assert_eq!(s, 201, "{v}");
        withdrawn.push(v["application_id"].as_str().unwrap().to_owned());
    }
    // Five families withdraw: two notifications for each, to arrive in their order.
    for id in &withdrawn[..5] {
        let r = http
            .post(format!("{base}/v1/applications/{id}/withdraw"))
            .bearer_auth(&portal)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // What there is to tell, as the portal would pull it.
    let page = crate::common::get_json(
        &http,
        &format!("{base}/v1/notifications?limit=1000"),
        &portal,
    )
    .await;
    let expected: BTreeMap<u64, Value> = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_u64().unwrap(), n.clone()))
        .collect();
    assert_eq!(
        expected.len(),
        45,
        "a queue notification per child, five withdrawals"
    );
    // Every one arrives (bounded: the retries of a refused one come within seconds).
    let mut arrived = BTreeSet::new();
    for _ in 0..600 {
        arrived = got
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(_, _, accepted)| *accepted)
            .map(|(n, _, _)| n["id"].as_u64().unwrap())
            .collect();
        if arrived.len() == expected.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(arrived, expected.keys().copied().collect::<BTreeSet<_>>());
    let got = got.lock().unwrap();
    for (body, signature, _) in &got.requests {
        let id = body["id"].as_u64().unwrap();
        // The same id, the same body as the pull; signed.
        assert_eq!(body, &expected[&id]);
        assert!(signature.starts_with("sha256="), "{signature}");
    }
    assert!(
        got.requests.iter().any(|(_, _, ok)| !ok),
        "the receiver refused some"
    );
    drop(got);
    stop(server);
}
