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
