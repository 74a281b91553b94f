//! Citizen-bound portal writes: once the portal's key is trusted, each portal request about
//! an application names its citizen in a signed, short-lived `Kezek-Citizen` assertion and
//! acts only on that citizen's applications; each refusal has its code.

use crate::harness::{application, spawn_app, TestApp, PORTAL};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const AUDIENCE: &str = "https://kezek.example";
const PARENT: &str = "880101300123";

/// An Ed25519 key pair of the portal's: the signing key, and the public key's PEM.
fn ed25519() -> (EncodingKey, String) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let signing = EncodingKey::from_ed_pem(pair.serialize_pem().as_bytes()).unwrap();
    (signing, pair.public_key_pem())
}

/// A signed assertion for `sub`, valid from `iat` for `life` seconds.
fn assertion(key: &EncodingKey, alg: Algorithm, claims: &Value) -> String {
    encode(&Header::new(alg), claims, key).unwrap()
}

fn claims(app: &TestApp, sub: &str, jti: &str) -> Value {
    let now = app.app.now().as_second();
    json!({"sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + 120, "jti": jti})
}

/// `method path` as the portal, with `assertion` (if any).
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    assertion: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .bearer_auth(PORTAL);
    if let Some(a) = assertion {
        req = req.header("Kezek-Citizen", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn portal_header(app: &TestApp) -> String {
    let res = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    res.headers()["kezek-portal"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_bound_portal_acts_only_for_the_citizen_its_assertion_names() {
    let (app, _store) = spawn_app().await;
    app.app.set_public_url(AUDIENCE);
    app.kindergarten("K1", "D1", 0).await;
    // Unbound: the portal works as before.
    assert_eq!(portal_header(&app).await, "unbound");
    let (s, before) = call(
        &app,
        "POST",
        "/v1/applications",
        None,
        Some(application(1, None)),
    )
    .await;
    assert_eq!(s, 201, "{before}");
    let (key, public) = ed25519();
    let trusted = app.app.trust_portal_by_operator(&public).await.unwrap();
    assert_eq!(trusted.algorithm.as_str(), "EdDSA");
    assert_eq!(portal_header(&app).await, "bound");

    // No assertion: refused once an application is touched.
    let id = before["application_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/applications/{id}");
    let (s, v) = call(&app, "GET", &path, None, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("citizen_assertion_required")),
        "{v}"
    );
    // The parent's own: read, and a new registration.
    let token = assertion(&key, Algorithm::EdDSA, &claims(&app, PARENT, "j1"));
    let (s, v) = call(&app, "GET", &path, Some(&token), None).await;
    assert_eq!(s, 200, "{v}");
    let token = assertion(&key, Algorithm::EdDSA, &claims(&app, PARENT, "j2"));
    let (s, v) = call(
        &app,
        "POST",
        "/v1/applications",
        Some(&token),
        Some(application(2, None)),
    )
    .await;
    assert_eq!(s, 201, "{v}");

    // Each refusal with its code.
    let other = (1..)
        .find_map(|n| kezek_core::model::Iin::compose(jiff::civil::date(1990, 1, 1), true, n))
        .unwrap()
        .to_string();
    let now = app.app.now().as_second();
    let (stranger, _) = ed25519();
    let cases = [
        (
            assertion(&key, Algorithm::EdDSA, &claims(&app, &other, "j3")),
            403,
            "not_your_application",
        ),
        (
            assertion(
                &key,
                Algorithm::EdDSA,
                &json!({"sub": PARENT, "aud": AUDIENCE, "iat": now - 600, "exp": now - 300, "jti": "j4"}),
            ),
            401,
            "assertion_expired",
        ),
        (
            assertion(
                &key,
                Algorithm::EdDSA,
                &json!({"sub": PARENT, "aud": "https://elsewhere.example", "iat": now, "exp": now + 60, "jti": "j5"}),
            ),
            401,
            "wrong_audience",
        ),
        (
            assertion(&stranger, Algorithm::EdDSA, &claims(&app, PARENT, "j6")),
            401,
            "bad_signature",
        ),
        (
            assertion(
                &key,
                Algorithm::EdDSA,
                &json!({"sub": PARENT, "aud": AUDIENCE, "iat": now, "exp": now + 301, "jti": "j7"}),
            ),
            401,
            "invalid_assertion",
        ),
        ("not a jwt".to_owned(), 401, "invalid_assertion"),
    ];
    for (token, status, code) in cases {
        let (s, v) = call(&app, "GET", &path, Some(&token), None).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{v}");
    }
    // Another citizen may not register for this parent either, nor withdraw.
    let token = assertion(&key, Algorithm::EdDSA, &claims(&app, &other, "j8"));
    let (s, v) = call(
        &app,
        "POST",
        "/v1/applications",
        Some(&token),
        Some(application(3, None)),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("not_your_application")),
        "{v}"
    );
    let token = assertion(&key, Algorithm::EdDSA, &claims(&app, &other, "j9"));
    let (s, v) = call(
        &app,
        "POST",
        &format!("{path}/withdraw"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("not_your_application")),
        "{v}"
    );
    // An assertion is used once.
    let token = assertion(&key, Algorithm::EdDSA, &claims(&app, PARENT, "j10"));
    assert_eq!(call(&app, "GET", &path, Some(&token), None).await.0, 200);
    let (s, v) = call(&app, "GET", &path, Some(&token), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("assertion_replayed")),
        "{v}"
    );
    // A citizen's budget of a minute.
    let mut last = 0;
    for n in 0..kezek_app::app::budgets::CITIZEN_PER_MINUTE {
        let token = assertion(
            &key,
            Algorithm::EdDSA,
            &claims(&app, PARENT, &format!("b{n}")),
        );
        last = call(&app, "GET", &path, Some(&token), None).await.0;
    }
    assert_eq!(last, 429);
    // The journal says who trusted which key.
    let (_, journal) = app
        .call(
            "GET",
            "/v1/journal?limit=1000",
            Some(crate::harness::AUDITOR),
            None,
        )
        .await;
    let trusted = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "portal_trusted")
        .unwrap()
        .clone();
    assert_eq!(trusted["actor"], "operator");
    assert_eq!(trusted["payload"]["algorithm"], "EdDSA");
}

#[tokio::test]
async fn an_rs256_portal_key_is_trusted_too() {
    if kezek_testdb::missing(kezek_testdb::Tool::Openssl) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("portal.pem");
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        private.to_str().unwrap(),
    ]);
    let public =
        String::from_utf8(run(&["pkey", "-in", private.to_str().unwrap(), "-pubout"])).unwrap();
    let key = EncodingKey::from_rsa_pem(&std::fs::read(&private).unwrap()).unwrap();
    let (app, _store) = spawn_app().await;
    app.app.set_public_url(AUDIENCE);
    app.kindergarten("K1", "D1", 0).await;
    let trusted = app.app.trust_portal_by_operator(&public).await.unwrap();
    assert_eq!(trusted.algorithm.as_str(), "RS256");
    let token = assertion(&key, Algorithm::RS256, &claims(&app, PARENT, "r1"));
    let (s, v) = call(
        &app,
        "POST",
        "/v1/applications",
        Some(&token),
        Some(application(1, None)),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // Not a key at all.
    let e = app
        .app
        .trust_portal_by_operator("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
        .await;
    assert!(e.is_err());
}
