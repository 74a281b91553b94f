//! `kezek portal trust --public-key FILE` and `kezek public enable`: the operator registers
//! the portal's key and starts the public journal at the command line; the server then acts
//! for the citizen each portal request's assertion names, says so on `/healthz`, serves the
//! public head, and the journal verifies.

use crate::common::{assert_verifies, key, kindergarten_k1, run, serve, stop};
use std::process::Stdio;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_is_bound_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let portal = key(data, &["--role", "portal"]);
    let http = reqwest::Client::new();
    let url = "https://kezek.example";
    let (server, base) = serve(data, &["--public-url", url], Stdio::null());
    kindergarten_k1(&http, &base, &staff).await;
    stop(server);

    let not_a_key = dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello").unwrap();
    let (ok, _, said) = run(
        data,
        &[
            "portal",
            "trust",
            "--public-key",
            not_a_key.to_str().unwrap(),
        ],
    );
    assert!(!ok && said.contains("public"), "{said}");
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let public = dir.path().join("portal.pem");
    std::fs::write(&public, pair.public_key_pem()).unwrap();
    let (ok, said, err) = run(
        data,
        &["portal", "trust", "--public-key", public.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(said.contains("EdDSA") && said.contains("trusted"), "{said}");

    // The public journal, published once.
    let (ok, said, err) = run(data, &["public", "enable"]);
    assert!(ok && said.contains("published"), "{err}");
    let (ok, _, err) = run(data, &["public", "enable"]);
    assert!(!ok && err.contains("published already"), "{err}");

    let (server, base) = serve(data, &["--public-url", url], Stdio::null());
    let head: serde_json::Value = http
        .get(format!("{base}/public/head"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(head["seq"].as_u64().unwrap() > 0, "{head}");
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.headers()["kezek-portal"], "bound");
    let body = crate::common::application(1);
    let res = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&portal)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let now = jiff::Timestamp::now().as_second();
    let claims = serde_json::json!({"sub": "880101300123", "aud": url, "iat": now, "exp": now + 60, "jti": "cli-1"});
    let signing = jsonwebtoken::EncodingKey::from_ed_pem(pair.serialize_pem().as_bytes()).unwrap();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
        &claims,
        &signing,
    )
    .unwrap();
    let res = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&portal)
        .header("Kezek-Citizen", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    stop(server);
    assert_verifies(data);
}
