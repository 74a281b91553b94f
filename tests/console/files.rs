//! Proof files at the desk: a clerk attaches a photo of the benefit's proof to an
//! application (a multipart form, the bytes checked as the API checks them); the clerk sees
//! what it is but cannot open it; the district's staff see it beside the claim on their
//! worklist and open it.

use crate::browser::Browser;
use crate::harness::{spawn_app, CLERK, PORTAL, STAFF};
use crate::{sign_in, sign_out, DESK};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test]
async fn a_clerk_attaches_a_scan_and_staff_open_it_beside_the_claim() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client
        .goto(&format!("{base}/console/applications/{id}"))
        .await
        .unwrap();
    b.text("[data-testid='proof-files']").await;
    // The "scan": a real PNG, the browser's own picture of the page.
    let png = b.client.screenshot().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefit.png");
    std::fs::write(&path, &png).unwrap();
    b.click("#file-document option[value='benefit_proof']")
        .await;
    b.client
        .find(Locator::Css("#file-bytes"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    b.click("[data-testid='proof-files'] button").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let file = loop {
        let (_, now) = app
            .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
            .await;
        if let Some(f) = now["files"].get(0) {
            break f.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{now}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (&file["content_type"], &file["document"], &file["size"]),
        (
            &Value::from("image/png"),
            &Value::from("benefit_proof"),
            &Value::from(png.len())
        )
    );
    assert_eq!(file["sha256"], kezek_core::command::file::sha256_hex(&png));
    let file_id = file["file_id"].as_str().unwrap().to_owned();
    let listed = b.text(&format!("[data-file='{file_id}']")).await;
    assert!(listed.contains("PNG"), "{listed}");
    assert!(
        b.client
            .find(Locator::Css(&format!("[data-file='{file_id}'] a")))
            .await
            .is_err(),
        "a clerk does not open files"
    );
    b.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![Value::from("[data-testid='proof-files']")],
        )
        .await
        .unwrap();
    b.shot("proof-files-ru-desk").await;
    sign_out(&b).await;

    // Staff see it beside the claim and open it.
    sign_in(&b, &base, STAFF, "kk", "/console/districts/D1").await;
    b.client
        .goto(&format!("{base}/console/districts/D1/worklists"))
        .await
        .unwrap();
    let row = b.text(&format!("tr[data-application='{id}']")).await;
    assert!(row.contains("PNG"), "{row}");
    b.shot("worklist-proof-files-kk-desk").await;
    let href = b
        .client
        .find(Locator::Css(&format!("[data-file='{file_id}'] a")))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(href, format!("/console/files/{file_id}"));
    let res = app
        .http
        .get(format!("{base}{href}"))
        .header("cookie", app.console_session(STAFF).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), png.as_slice());
    let clerk = app
        .http
        .get(format!("{base}{href}"))
        .header("cookie", app.console_session(CLERK).await)
        .send()
        .await
        .unwrap();
    assert_eq!(clerk.status(), 403);
    b.client.goto(&format!("{base}{href}")).await.unwrap();
    b.shot("proof-file-open-kk-desk").await;
    b.stop().await;
}

/// A scan a family sent for a case through the portal: the school's head sees it on the
/// case's page, named as the service names the document, and opens it.
#[tokio::test]
async fn a_head_opens_the_scan_sent_for_a_case() {
    use kezek_app::keys::authority::Authority;
    use kezek_app::keys::NewKey;
    use kezek_app::Role;
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    assert!(app.app.journal_definitions().await.unwrap());
    app.kindergarten("K1", "D1", 0).await;
    let new = NewKey {
        role: Role::Head,
        scope: vec!["SCH1".to_owned()],
        expires: None,
        official: None,
    };
    let head = kezek_app::keys::create(
        store.as_ref(),
        &Authority::from_seed([7; 32]),
        new,
        app.app.now(),
    )
    .unwrap()
    .1;
    let school = serde_json::json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let (s, v) = app
        .call("PUT", "/v1/organisations/SCH1", Some(STAFF), Some(school))
        .await;
    assert_eq!(s, 200, "{v}");
    let iin = kezek_core::model::Iin::compose(jiff::civil::date(2019, 5, 1), true, 3)
        .unwrap()
        .to_string();
    let filing = serde_json::json!({"provider": "SCH1", "channel": "portal",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": {"child": {"name": "Аружан Бекова", "iin": iin, "birth_date": "2019-05-01"},
                 "grade": 1, "language": "kk", "address": "Абай көшесі, 7"},
        "documents": ["application", "birth_certificate", "health_card", "vaccination_card", "photos"]});
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/school_admission/cases",
            Some(PORTAL),
            Some(filing),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    b.client.goto(&format!("{base}/status")).await.unwrap();
    let png = b.client.screenshot().await.unwrap();
    let res = app
        .http
        .post(format!(
            "{base}/v1/cases/{id}/files?document=birth_certificate"
        ))
        .bearer_auth(PORTAL)
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let file_id = res.json::<Value>().await.unwrap()["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    sign_in(&b, &base, &head, "ru", "/console").await;
    b.client
        .goto(&format!("{base}/console/cases/{id}"))
        .await
        .unwrap();
    let listed = b.text("[data-testid='case-files']").await;
    assert!(listed.contains("PNG"), "{listed}");
    let href = b
        .client
        .find(Locator::Css(&format!("[data-file='{file_id}'] a")))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    b.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![Value::from("[data-testid='case-files']")],
        )
        .await
        .unwrap();
    b.shot("case-files-ru-desk").await;
    let res = app
        .http
        .get(format!("{base}{href}"))
        .header("cookie", app.console_session(&head).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), png.as_slice());
    b.stop().await;
}
