//! The departments' other services with legal force, black-box: a school's head is an
//! official with an X.509 certificate the test's own PKI issued; the result of a case they
//! sign carries their CMS signature (Debian's `openssl cms -verify` accepts it) and the PDF
//! their `PAdES` signature (poppler's `pdfsig` says valid); the executor's key is another
//! official's; `kezek verify` re-derives every case document.

use crate::common::{get_json, key, kindergarten_k1, run, serve_logging, stop};
use kezek_testdb::pki::{Leaf, Pki};
use serde_json::{json, Value};
use std::process::Stdio;

/// A complete form for `fields` as `GET /v1/services` lists them.
fn form_of(fields: &Value) -> Value {
    let child = kezek_core::model::Iin::compose(jiff::civil::date(2010, 5, 1), true, 3)
        .unwrap()
        .to_string();
    let mut form = serde_json::Map::new();
    for f in fields.as_array().unwrap() {
        let v = match f["kind"].as_str().unwrap() {
            "date" => json!("2019-05-01"),
            "iin" => json!("880101300123"),
            "choice" => f["options"][0]["code"].clone(),
            "number" => f["min"].as_i64().map_or(json!(1), |m| json!(m)),
            "person" => json!({"name": "Дана Бекова", "iin": "880101300123"}),
            "child" => json!({"name": "Аружан Бекова", "iin": child, "birth_date": "2010-05-01"}),
            _ => json!("Абай көшесі, 7"),
        };
        form.insert(f["key"].as_str().unwrap().to_owned(), v);
    }
    Value::Object(form)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_heads_certificate_signs_the_result_of_a_case() {
    if kezek_testdb::missing(kezek_testdb::Tool::Openssl) {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let http = reqwest::Client::new();
    let anchors = pki.anchors();
    let crls = pki.crls(&[]);
    let trust = [
        "--trust-anchors",
        anchors.to_str().unwrap(),
        "--crls",
        crls.to_str().unwrap(),
    ];
    let (server, base) = serve_logging(data, &trust, Stdio::null(), "warn");
    kindergarten_k1(&http, &base, &staff).await;
    let school = json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let r = http
        .put(format!("{base}/v1/organisations/SCH1"))
        .bearer_auth(&staff)
        .json(&school)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    stop(server);

    // The school's head and its deputy who executes: officials of the school.
    for (id, name, position) in [
        ("sch1-head", "Гүлнар Сейітова", "Мектеп директоры"),
        ("sch1-deputy", "Ерлан Ахметов", "Директордың орынбасары"),
    ] {
        let (ok, _, err) = run(
            data,
            &[
                "officials",
                "add",
                id,
                "--name",
                name,
                "--iin",
                "880101300123",
                "--position",
                position,
                "--position-ru",
                position,
                "--organisation",
                "SCH1",
                "--signs",
            ],
        );
        assert!(ok, "{err}");
    }
    let (ok, _, err) = run(
        data,
        &[
            "officials",
            "add",
            "x",
            "--name",
            "X",
            "--iin",
            "880101300123",
            "--position",
            "X",
            "--position-ru",
            "X",
            "--organisation",
            "SCH9",
        ],
    );
    assert!(!ok && err.contains("SCH9"), "an unknown school: {err}");
    let valid = pki.official("Гүлнар Сейітова", Leaf::default());
    let password = pki.password_file();
    let mut args = vec![
        "officials",
        "certificate",
        "sch1-head",
        "--p12",
        valid.p12.to_str().unwrap(),
        "--password-file",
        password.to_str().unwrap(),
    ];
    args.extend(trust);
    let (ok, _, err) = run(data, &args);
    assert!(ok, "{err}");
    let head = key(
        data,
        &[
            "--role",
            "head",
            "--organisation",
            "SCH1",
            "--official",
            "sch1-head",
        ],
    );
    let executor = key(
        data,
        &[
            "--role",
            "executor",
            "--organisation",
            "SCH1",
            "--official",
            "sch1-deputy",
        ],
    );

    let (server, base) = serve_logging(data, &trust, Stdio::null(), "warn");
    let services = get_json(&http, &format!("{base}/v1/services"), &staff).await;
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "education_document_duplicate")
        .unwrap();
    let body = json!({"provider": "SCH1", "channel": "office",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": form_of(&service["fields"]),
        "documents": service["documents"]["by_channel"]["office"]});
    let post = |path: String, token: String, body: Option<Value>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut r = http.post(format!("{base}{path}")).bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let r = r.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (s, case) = post(
        "/v1/services/education_document_duplicate/cases".into(),
        staff.clone(),
        Some(body),
    )
    .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    for (act, token, body) in [
        ("assign", &head, Some(json!({"executor": "sch1-deputy"}))),
        ("draft", &executor, Some(json!({"outcome": "granted"}))),
        ("sign", &head, None),
        ("hand-over", &head, None),
    ] {
        let (s, v) = post(format!("/v1/cases/{id}/{act}"), token.clone(), body).await;
        assert_eq!(s, 200, "{act}: {v}");
    }
    let doc_id = format!("doc-{id}-result");
    let doc = get_json(&http, &format!("{base}/v1/documents/{doc_id}"), &staff).await;
    assert_eq!(doc["kind"], "case_result", "{doc}");
    assert_eq!(doc["body"]["official"]["official_id"], "sch1-head", "{doc}");
    assert_eq!(
        doc["body"]["official"]["organisation"], "school:SCH1",
        "{doc}"
    );
    let fetch = |suffix: &str| {
        let (http, url, staff) = (
            http.clone(),
            format!("{base}/v1/documents/{doc_id}{suffix}"),
            staff.clone(),
        );
        async move {
            let r = http.get(url).bearer_auth(staff).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap()
        }
    };
    let (json_bytes, p7s, pdf) = (
        fetch(".json").await,
        fetch(".p7s").await,
        fetch(".pdf?lang=kk").await,
    );
    stop(server);
    crate::common::assert_verifies(data);

    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("doc.json"), &json_bytes).unwrap();
    std::fs::write(work.path().join("doc.p7s"), &p7s).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(work.path().join("doc.p7s"))
        .arg("-content")
        .arg(work.path().join("doc.json"))
        .arg("-CAfile")
        .arg(pki.root_pem())
        .args(["-purpose", "any", "-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        let file = work.path().join("doc.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let out = std::process::Command::new("pdfsig")
            .arg(&file)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("Signature Validation: Signature is Valid."),
            "{said}"
        );
        let text = crate::common::pdf_text(&file);
        for want in [
            "Гүлнар Сейітова",
            "Дана Бекова",
            "Мемлекеттік қызмет көрсетудің нәтижесі",
        ] {
            assert!(text.contains(want), "no {want:?} in {text}");
        }
    }
}

/// What the API says of the cases, complaints and register, without the seq it was read at.
async fn views(http: &reqwest::Client, base: &str, token: &str, paths: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in paths {
        let mut v = get_json(http, &format!("{base}{p}"), token).await;
        strip_seq(&mut v);
        out.push(v);
    }
    out
}

fn strip_seq(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("as_of_seq");
            map.values_mut().for_each(strip_seq);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_seq),
        _ => {}
    }
}

/// `on`'s journal flags, then `args`.
fn with<'a>(on: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    [on, args].concat()
}

/// Cases, a complaint about the queue and the register hold through a restart from a
/// snapshot (with writes after it), and `kezek verify` re-derives them, on `on`'s journal.
async fn cases_hold_through_a_snapshot_start(on: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let staff = key(data, &with(on, &["--role", "staff", "--district", "D1"]));
    let portal = key(data, &with(on, &["--role", "portal"]));
    let head = key(data, &with(on, &["--role", "head", "--organisation", "D1"]));
    let executor = key(
        data,
        &with(on, &["--role", "executor", "--organisation", "D1"]),
    );
    let http = reqwest::Client::new();
    let logs = tempfile::tempdir().unwrap();
    let start = |every: &str, log: &str| {
        let file = std::fs::File::create(logs.path().join(log)).unwrap();
        serve_logging(
            data,
            &[on, &["--snapshot-every", every]].concat(),
            Stdio::from(file),
            "kezek_app=info,kezek_node=info",
        )
    };
    let (server, base) = start("8", "seed.log");
    kindergarten_k1(&http, &base, &staff).await;
    let post = |path: String, token: String, body: Option<Value>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut r = http.post(format!("{base}{path}")).bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let r = r.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let services = get_json(&http, &format!("{base}/v1/services"), &staff).await;
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "adopter_registration")
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let body = json!({"provider": "D1", "channel": "office",
            "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
            "form": form_of(&service["fields"]),
            "documents": service["documents"]["by_channel"]["office"]});
        let (s, case) = post(
            "/v1/services/adopter_registration/cases".into(),
            staff.clone(),
            Some(body),
        )
        .await;
        assert_eq!(s, 201, "{case}");
        ids.push(case["case_id"].as_str().unwrap().to_owned());
    }
    for (act, token, body) in [
        ("assign", &head, Some(json!({"executor": "executor-1"}))),
        ("draft", &executor, Some(json!({"outcome": "granted"}))),
        ("sign", &head, None),
    ] {
        let (s, v) = post(format!("/v1/cases/{}/{act}", ids[0]), token.clone(), body).await;
        assert_eq!(s, 200, "{act}: {v}");
    }
    let (s, registered) =
        crate::common::post_application(&http, &base, &portal, &crate::common::application(1))
            .await;
    assert_eq!(s, 201, "{registered}");
    let app_id = registered["application_id"].as_str().unwrap().to_owned();
    let (s, v) = post(
        format!("/v1/applications/{app_id}/complaints"),
        portal.clone(),
        Some(json!({"text": "Нөмір түсініксіз өзгерді"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while kezek_store::snapshot::list(&data.join("snapshots")).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no snapshot written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let paths = vec![
        format!("/v1/cases/{}", ids[0]),
        format!("/v1/cases/{}", ids[1]),
        "/v1/services/adopter_registration/register".to_owned(),
        format!("/v1/applications/{app_id}/complaints"),
    ];
    let before = views(&http, &base, &head, &paths).await;
    stop(server);

    let (server, base) = start("1000", "again.log");
    let after = views(&http, &base, &head, &paths).await;
    assert_eq!(
        after, before,
        "the same cases after a start from the snapshot"
    );
    let said = std::fs::read_to_string(logs.path().join("again.log")).unwrap();
    assert!(said.contains("state restored from a snapshot"), "{said}");
    // And they go on: the second case is worked on, the complaint decided.
    let post_again = |path: String, token: String, body: Option<Value>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut r = http.post(format!("{base}{path}")).bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send().await.unwrap().status().as_u16()
        }
    };
    let assigned = post_again(
        format!("/v1/cases/{}/assign", ids[1]),
        head.clone(),
        Some(json!({"executor": "executor-1"})),
    )
    .await;
    assert_eq!(assigned, 200);
    let decided = post_again(
        format!("/v1/applications/{app_id}/complaints/1/decision"),
        head.clone(),
        Some(json!({"upheld": false, "reasons": "Ереже сақталды"})),
    )
    .await;
    assert_eq!(decided, 200);
    stop(server);
    let out = crate::common::verify_on(data, on);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_hold_through_a_snapshot_start_and_verify_on_sqlite() {
    cases_hold_through_a_snapshot_start(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_hold_through_a_snapshot_start_and_verify_on_postgres() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let database = kezek_testdb::database();
    cases_hold_through_a_snapshot_start(&["--database", &database]).await;
}
