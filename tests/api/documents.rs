//! Signed result documents: served, checked offline, printed as PDFs.

use crate::harness::{application, spawn_app, PORTAL, STAFF_D2};
use serde_json::json;

#[tokio::test]
async fn every_result_is_a_signed_document_that_verifies_offline() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, referred) = app.register(1, None).await;
    let (_, queued) = app.register(2, None).await;
    let mut bad = application(3, None);
    bad["documents"] = json!([]);
    let (_, refused) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(bad))
        .await;
    let ids = [
        (
            queued["document_id"].as_str().unwrap().to_owned(),
            "queue_notification",
        ),
        (
            refused["document_id"].as_str().unwrap().to_owned(),
            "refusal",
        ),
        (
            referred["referral"]["document_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "referral",
        ),
    ];
    let (_, keys) = app.call("GET", "/v1/keys", None, None).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys.json");
    std::fs::write(&key_file, keys.to_string()).unwrap();
    for (id, kind) in ids {
        let (s, doc) = app
            .call("GET", &format!("/v1/documents/{id}"), Some(PORTAL), None)
            .await;
        assert_eq!(s, 200, "{id}: {doc}");
        assert_eq!(doc["kind"], kind);
        assert_eq!(doc["key_id"], keys["keys"][0]["key_id"]);
        let file = dir.path().join(format!("{id}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let verify = |f: &std::path::Path| {
            std::process::Command::new(env!("CARGO_BIN_EXE_kezek"))
                .args(["documents", "verify"])
                .arg(f)
                .arg("--public-key")
                .arg(&key_file)
                .output()
                .unwrap()
        };
        let out = verify(&file);
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut forged = doc.clone();
        forged["body"]["queue_number"] = json!(1);
        forged["body"]["group_id"] = json!("g-elsewhere");
        forged["body"]["grounds"] = json!([]);
        std::fs::write(&file, forged.to_string()).unwrap();
        assert!(
            !verify(&file).status.success(),
            "{id}: a changed document must not verify"
        );
    }
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", queued["document_id"].as_str().unwrap()),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(doc["body"]["queue_number"], 1);
    let (s, _) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", queued["document_id"].as_str().unwrap()),
            Some(STAFF_D2),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call("GET", "/v1/documents/doc-999999", Some(PORTAL), None)
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn documents_print_as_the_same_pdf_every_time() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let id = a["document_id"].as_str().unwrap();
    let get = |lang: &'static str| {
        let url = format!("{}/v1/documents/{id}.pdf?lang={lang}", app.base);
        let http = app.http.clone();
        async move {
            let res = http.get(url).bearer_auth(PORTAL).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "application/pdf");
            // A child's IIN, birth date and category: kept by no cache.
            assert_eq!(res.headers()["cache-control"], "no-store");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let (kk, kk_again, ru) = (get("kk").await, get("kk").await, get("ru").await);
    assert!(kk.starts_with(b"%PDF-"));
    assert_eq!(kk, kk_again, "the same document gives the same bytes");
    assert_ne!(kk, ru);
    assert!(
        kk.windows(10).any(|w| w == b"/ToUnicode"),
        "text can be searched and copied"
    );
    if let Ok(dir) = std::env::var("KEZEK_PDF_OUT") {
        std::fs::write(format!("{dir}/kk.pdf"), &kk).unwrap();
        std::fs::write(format!("{dir}/ru.pdf"), &ru).unwrap();
    }
    let (s, _) = app
        .call(
            "GET",
            &format!("/v1/documents/{id}.pdf?lang=en"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn an_imported_application_names_no_document_that_does_not_exist() {
    let (app, _store) = spawn_app().await;
    let groups = include_bytes!("../../data/sample/groups.csv");
    let applications = include_bytes!("../../data/sample/applications.csv");
    app.app
        .import(
            "import",
            kezek_app::ops::import::CityFiles {
                groups,
                applications,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut checked = 0;
    for id in ["A0000001", "A0000002", "A0000050"] {
        let (s, v) = app
            .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
            .await;
        assert_eq!(s, 200, "{v}");
        match v["document_id"].as_str() {
            None => assert!(v["document_id"].is_null(), "{v}"),
            Some(doc) => {
                let (s, _) = app
                    .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
                    .await;
                assert_eq!(s, 200, "{id} names {doc}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
    // A child registered here has its queue notification.
    let (_, v) = app.register(1, None).await;
    let doc = v["document_id"].as_str().unwrap();
    let (s, _) = app
        .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
        .await;
    assert_eq!(s, 200);
}

/// Every answer carrying personal data — the API's JSON, its errors, the parents' page —
/// tells caches not to keep it.
#[tokio::test]
async fn answers_with_personal_data_are_kept_by_no_cache() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap();
    for (path, token) in [
        (format!("/v1/applications/{id}"), Some(PORTAL)),
        ("/v1/applications/KZ9999999999".to_owned(), Some(PORTAL)),
        (format!("/v1/applications/{id}"), None),
        ("/status".to_owned(), None),
    ] {
        let mut req = app.http.get(format!("{}{path}", app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}

/// A refusal filed at a counter is the receipt the family leaves with: the clerk who filed it
/// and the district's staff can print it; another district's staff cannot.
#[tokio::test]
async fn a_counter_refusal_prints_for_its_clerk_and_its_districts_staff() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let mut body = crate::harness::application(1, None);
    body["channel"] = "service_center".into();
    body["documents"] = serde_json::json!(["application_form"]);
    let (s, refused) = app
        .call(
            "POST",
            "/v1/applications",
            Some(crate::harness::CLERK),
            Some(body),
        )
        .await;
    assert_eq!(s, 422, "{refused}");
    let doc = refused["document_id"].as_str().unwrap();
    for (token, status) in [
        (crate::harness::CLERK, 200),
        (crate::harness::STAFF, 200),
        (crate::harness::STAFF_D2, 403),
    ] {
        let res = app
            .http
            .get(format!("{}/v1/documents/{doc}.pdf?lang=ru", app.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{token}");
    }
}
