//! Resource limits, tried as an attacker would on loopback: idle connections past the
//! process's open-files limit, headers sent a byte at a time, a body that never ends. The
//! server closes what overstays and `/healthz` keeps answering throughout.

use crate::common::{kezek, listening};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts `kezek serve` with at most `open_files` descriptors (hard limit too, so it cannot
/// raise it) and `extra` arguments.
fn serve_limited(data: &std::path::Path, open_files: u32, extra: &[&str]) -> (Child, String) {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--nofile={open_files}:{open_files}"))
        .arg("--")
        .arg(kezek().get_program())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null());
    listening(cmd)
}

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// `GET /healthz` on a new connection; the status, or why there was none within a minute
/// (a generous bound: a server that answers does so in milliseconds).
async fn healthz(base: &str) -> Result<u16, String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    http.get(format!("{base}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

/// Reads until the server closes the connection; what it sent. Bounded by `limit` so that a
/// server that never closes fails the test instead of hanging it.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Result<String, String> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| format!("still open after {limit:?}"))?;
    Ok(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_past_the_open_files_limit_do_not_stop_healthz() {
    let dir = tempfile::tempdir().unwrap();
    // 128 descriptors: at most 64 connections; 300 idle ones arrive first. The header
    // timeout is long, so only the connection cap can make room.
    let (mut server, base) = serve_limited(dir.path(), 128, &["--header-timeout", "600"]);
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(addr(&base)).await.unwrap());
    }
    assert_eq!(healthz(&base).await, Ok(200));
    // The oldest idle connections were closed to make room.
    let closed = until_closed(&mut idle[0], Duration::from_secs(60)).await;
    assert_eq!(closed, Ok(String::new()));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_a_byte_at_a_time_neither_last_nor_stop_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve_limited(dir.path(), 128, &["--header-timeout", "2"]);
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    // 150 connections trickling headers, past the cap of 64.
    let mut trickles = Vec::new();
    for _ in 0..150 {
        let mut s = TcpStream::connect(addr(&base)).await.unwrap();
        trickles.push(tokio::spawn(async move {
            for (i, byte) in request.iter().enumerate() {
                if s.write_all(&[*byte]).await.is_err() {
                    return Ok(i);
                }
                // Closed by the server? Stop sending.
                let mut probe = [0u8; 256];
                if let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(250), s.read(&mut probe)).await
                {
                    let _ = n;
                    return Ok(i);
                }
            }
            Err("sent the whole header without being cut off")
        }));
    }
    assert_eq!(healthz(&base).await, Ok(200));
    for t in trickles {
        // Each was cut off before its header was complete (2 s at 4 bytes a second).
        let sent = t.await.unwrap().unwrap();
        assert!(sent < request.len(), "{sent}");
    }
    assert_eq!(healthz(&base).await, Ok(200));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_kept_alive_connections_are_closed_and_a_body_that_never_ends_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = crate::common::serve(
        dir.path(),
        &["--header-timeout", "1", "--body-timeout", "1"],
        Stdio::null(),
    );
    // Connected, never a byte sent.
    let mut silent = TcpStream::connect(addr(&base)).await.unwrap();
    assert!(until_closed(&mut silent, Duration::from_secs(60))
        .await
        .is_ok());
    // One request answered, then silence: the keep-alive connection is closed.
    let mut kept = TcpStream::connect(addr(&base)).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let said = until_closed(&mut kept, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(said.starts_with("HTTP/1.1 200"), "{said}");
    // A body announced at 100 bytes, 10 sent: 408 with a problem naming the rule.
    let mut slow = TcpStream::connect(addr(&base)).await.unwrap();
    slow.write_all(b"POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"child\":")
        .await
        .unwrap();
    let said = until_closed(&mut slow, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.contains("body_timeout"), "{said}");
    assert_eq!(healthz(&base).await, Ok(200));
    server.kill().unwrap();
    server.wait().unwrap();
}

/// `min_seq` makes a read wait for this node to catch up — but only a read that carries a
/// good key: a request without one (or with a bad one) is answered as it stands, at once, so
/// no stranger can hold a connection open by asking for a seq that never comes. Under a small
/// connection cap, clients doing that nonstop leave `/healthz` answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_key_may_wait_for_min_seq() {
    let dir = tempfile::tempdir().unwrap();
    let auditor = crate::common::key(dir.path(), &["--role", "auditor"]);
    let (mut server, base) = serve_limited(dir.path(), 1024, &["--max-connections", "20"]);
    let far = "min_seq=99999999999";
    let http = reqwest::Client::new();
    let get = {
        let base = base.clone();
        move |path: String, token: Option<String>| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let mut req = http.get(format!("{base}{path}"));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                req.send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            }
        }
    };
    assert_eq!(get(format!("/healthz?{far}"), None).await, Ok(200));
    assert_eq!(get(format!("/status?{far}"), None).await, Ok(200));
    assert_eq!(
        get(format!("/v1/journal?{far}"), Some("kz_not_a_key".into())).await,
        Ok(401)
    );
    assert_eq!(get(format!("/v1/journal?{far}"), None).await, Ok(401));
    // A good key still waits, and is told the node is behind.
    assert_eq!(
        get(format!("/v1/journal?{far}"), Some(auditor.clone())).await,
        Ok(503)
    );
    // Twenty-five strangers at once, each keeping its connection: all are answered as they
    // stand (not after waiting two seconds), and then their idle connections make room for
    // the health checks under the cap of twenty.
    let strangers: Vec<_> = (0..25)
        .map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let path = if i % 2 == 0 {
                    "/healthz"
                } else {
                    "/v1/journal"
                };
                let status = client
                    .get(format!("{base}{path}?min_seq=99999999999"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                (path, status.ok(), client)
            })
        })
        .collect();
    let mut kept = Vec::new();
    for s in strangers {
        let (path, status, client) = s.await.unwrap();
        let answered = if path == "/healthz" { 200 } else { 401 };
        // A connection the cap turned away has no status; one that was let in is answered.
        assert!(
            status.is_none() || status == Some(answered),
            "{path}: {status:?}"
        );
        kept.push(client);
    }
    for _ in 0..10 {
        assert_eq!(healthz(&base).await, Ok(200));
    }
    drop(kept);
    server.kill().unwrap();
    server.wait().unwrap();
}

/// `POST /status` for `application` (a wrong IIN) with `X-Forwarded-For: forwarded`: the
/// status.
async fn look_up(base: &str, application: &str, forwarded: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/status"))
        .header("x-forwarded-for", forwarded)
        .form(&[
            ("application_id", application),
            ("child_iin", "200101500017"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind the TLS proxy the deployment guide recommends every family arrives from the
/// proxy's address: with `--trusted-proxy` each gets its own budget, taken from the
/// proxy's `X-Forwarded-For`; a number is limited from every address together; and the
/// header of anyone not trusted changes nothing.
#[tokio::test]
async fn the_status_budget_is_per_client_behind_a_trusted_proxy_and_per_application() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = crate::common::serve(
        dir.path(),
        &["--trusted-proxy", "127.0.0.0/8"],
        Stdio::null(),
    );
    // One family spends its budget…
    for _ in 0..10 {
        assert_eq!(look_up(&base, "KZ0000000001", "203.0.113.1").await, 404);
    }
    assert_eq!(look_up(&base, "KZ0000000002", "203.0.113.1").await, 429);
    // …and another, behind the same proxy, is not held up.
    assert_eq!(look_up(&base, "KZ0000000002", "203.0.113.2").await, 404);
    // One number guessed at from many addresses: ten a minute in all (the refused try
    // above counted too).
    for i in 3..11 {
        assert_eq!(
            look_up(&base, "KZ0000000002", &format!("203.0.113.{i}")).await,
            404
        );
    }
    assert_eq!(look_up(&base, "kz0000000002", "203.0.113.99").await, 429);
    server.kill().unwrap();
    server.wait().unwrap();

    // Without the flag the header is the client's word: every lookup from here is one
    // client's, whatever it says.
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = crate::common::serve(dir.path(), &[], Stdio::null());
    for i in 0..10 {
        let status = look_up(
            &base,
            &format!("KZ00000001{i:02}"),
            &format!("198.51.100.{i}"),
        )
        .await;
        assert_eq!(status, 404);
    }
    assert_eq!(look_up(&base, "KZ0000000200", "198.51.100.77").await, 429);
    server.kill().unwrap();
    server.wait().unwrap();
}
