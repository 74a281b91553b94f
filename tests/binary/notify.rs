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
        // The same id, the same body as the pull, with when this attempt left and its number;
        // signed.
        let mut pulled = body.clone();
        let map = pulled.as_object_mut().unwrap();
        let sent_at: jiff::Timestamp = map
            .remove("sent_at")
            .unwrap()
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(map.remove("attempt").unwrap().as_u64().unwrap() >= 1);
        assert!(sent_at <= jiff::Timestamp::now());
        assert_eq!(&pulled, &expected[&id]);
        assert!(signature.starts_with("sha256="), "{signature}");
    }
    assert!(
        got.requests.iter().any(|(_, _, ok)| !ok),
        "the receiver refused some"
    );
    drop(got);
    stop(server);
}

/// One family's registration (one queue notification) on a server pushing to `url`: the
/// server, its base URL and the file its log goes to.
async fn one_notification(
    data: &std::path::Path,
    url: &str,
    extra: &[&str],
) -> (std::process::Child, String, std::path::PathBuf) {
    let secret = data.join("notify.secret");
    std::fs::write(&secret, SECRET).unwrap();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let log = data.join("serve.log");
    let mut flags = vec![
        "--notify-url",
        url,
        "--notify-secret-file",
        secret.to_str().unwrap(),
    ];
    flags.extend_from_slice(extra);
    let (server, base) = serve(data, &flags, std::fs::File::create(&log).unwrap().into());
    let http = reqwest::Client::new();
    kindergarten_k1(&http, &base, &staff).await;
    let (s, v) = post_application(&http, &base, &portal, &application(1)).await;
    assert_eq!(s, 201, "{v}");
    (server, base, log)
}

/// `name`'s value in the server's `/metrics` (0 when absent).
async fn metric(base: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// What a receiver saw, by path: each request's method and body.
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn listen(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A receiver that records every request to any path and answers what `answer` says for
/// the n-th request (1, 2, …) to `/hook`.
async fn recording(answer: fn(usize) -> axum::response::Response) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new().fallback({
        let seen = Arc::clone(&seen);
        move |method: axum::http::Method, uri: axum::http::Uri, body: axum::body::Bytes| {
            let seen = Arc::clone(&seen);
            async move {
                let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = {
                    let mut seen = seen.lock().unwrap();
                    seen.push((method.to_string(), uri.path().to_owned(), json));
                    seen.iter().filter(|(_, p, _)| p == "/hook").count()
                };
                if uri.path() == "/hook" {
                    answer(n)
                } else {
                    // A landing page, or where a 307 pointed: answers 200 to anything.
                    axum::response::IntoResponse::into_response(StatusCode::OK)
                }
            }
        }
    });
    (listen(app).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_a_failed_attempt_never_followed_and_logged_with_its_location() {
    use axum::response::IntoResponse;
    let dir = tempfile::tempdir().unwrap();
    // The first push is moved (302) to a landing page, the second (307) to another address
    // of the receiver; the third is taken.
    let (base_url, seen) = recording(|n| match n {
        1 => (StatusCode::FOUND, [("location", "/landing")]).into_response(),
        2 => (StatusCode::TEMPORARY_REDIRECT, [("location", "/elsewhere")]).into_response(),
        _ => StatusCode::OK.into_response(),
    })
    .await;
    let url = format!("{base_url}/hook");
    let (server, base, log) = one_notification(dir.path(), &url, &[]).await;
    // Bounded: the retries come after 1 s and 2 s.
    for _ in 0..300 {
        if seen.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        paths,
        [("POST", "/hook"), ("POST", "/hook"), ("POST", "/hook")],
        "no redirect followed: neither the landing page nor /elsewhere saw a request"
    );
    let attempts: Vec<u64> = seen
        .iter()
        .map(|(_, _, b)| b["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert!(seen
        .iter()
        .all(|(_, _, b)| b["id"] == seen[0].2["id"] && b["kind"] == "queue_notification"));
    // Counted, and logged with where it pointed.
    let mut redirects = 0;
    for _ in 0..100 {
        redirects = metric(
            &base,
            "kezek_notification_attempts_failed_total{why=\"redirect\"}",
        )
        .await;
        if redirects >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(redirects, 2);
    stop(server);
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains("/landing") && log.contains("/elsewhere"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_the_timeout_gets_one_more_copy_with_the_same_id_not_one_per_retry()
{
    // Every answer comes 3 s late; the first attempt may take 2 s, the second 4 s.
    let seen: Seen = Arc::default();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let seen = Arc::clone(&seen);
            move |body: axum::body::Bytes| {
                let seen = Arc::clone(&seen);
                async move {
                    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.lock()
                        .unwrap()
                        .push(("POST".into(), "/hook".into(), json));
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    StatusCode::OK
                }
            }
        }),
    );
    let url = format!("{}/hook", listen(app).await);
    let dir = tempfile::tempdir().unwrap();
    let (server, base, _) = one_notification(dir.path(), &url, &["--notify-timeout", "2"]).await;
    // Bounded: delivered once the second attempt's answer arrives (the gauge is folded
    // every 5 s).
    let mut delivered = 0;
    for _ in 0..600 {
        delivered = metric(&base, "kezek_notifications_delivered").await;
        if delivered >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(delivered, 1, "the slow receiver was reached");
    stop(server);
    let seen = seen.lock().unwrap();
    let copies: Vec<(u64, u64)> = seen
        .iter()
        .map(|(_, _, b)| (b["id"].as_u64().unwrap(), b["attempt"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        copies,
        [(1, 1), (1, 2)],
        "one copy that timed out, one that was taken"
    );
}

/// A family that gave an e-mail address gets its referral by e-mail from a real mail server
/// the test starts: in Kazakh and Russian, with the link it confirms with (which opens the
/// referral on the server) and the referral's PDF in both languages attached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_gets_its_referral_by_email_with_its_pdf_and_link() {
    if kezek_testdb::missing(kezek_testdb::Tool::Smtp) {
        return;
    }
    let mail = kezek_testdb::smtp::MailServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let smtp = format!("smtp://127.0.0.1:{}", mail.port);
    let (server, base) = serve(
        data,
        &[
            "--smtp-url",
            &smtp,
            "--smtp-from",
            "Kezek <noreply@kezek.example.kz>",
        ],
        Stdio::null(),
    );
    let http = reqwest::Client::new();
    // One seat: the registration meets it and is referred at once.
    let kg = serde_json::json!({"name": "Балапан", "district": "D1", "phone": "+7 727 300 01 37",
        "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1}]});
    let r = http
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(&staff)
        .json(&kg)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut body = application(1);
    body["applicant"]["email"] = "dana@example.kz".into();
    let (s, v) = post_application(&http, &base, &portal, &body).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("referred")), "{v}");
    // Bounded: the letter goes out within a second or two.
    let mut letters = Vec::new();
    for _ in 0..300 {
        letters = mail.messages();
        if !letters.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["to"], "dana@example.kz");
    let subject = letter["subject"].as_str().unwrap();
    assert!(
        subject.contains("Мектепке дейінгі ұйымға жолдама")
            && subject.contains("Направление в дошкольную организацию"),
        "{subject}"
    );
    let text = letter["text"].as_str().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/act/"))
        .unwrap_or_else(|| panic!("no link in {text}"));
    assert!(link.starts_with(&base) && link.contains("sig="), "{link}");
    let page = http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Балапан"));
    stop(server);
    let names: Vec<&str> = letter["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["type"], "application/pdf");
            assert_eq!(a["start"], "%PDF-");
            a["name"].as_str().unwrap()
        })
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("-kk.pdf"))
            && names.iter().any(|n| n.ends_with("-ru.pdf")),
        "{names:?}"
    );
}
