//! A family finds itself in the public journal: once it is published, the status page shows
//! the child's pseudonym, and the child's registration in the public journal carries it.

use crate::browser::Browser;
use crate::harness::{child_iin, spawn_app};
use crate::DESK;

#[tokio::test]
async fn the_status_page_shows_the_pseudonym_the_public_journal_uses() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    app.app.start_publication_by_operator().await.unwrap();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    b.client
        .goto(&format!("{base}/status?lang=ru"))
        .await
        .unwrap();
    b.fill("#application_id", &id).await;
    b.fill("#child_iin", &child_iin(10)).await;
    b.click("form[action='/status'] button").await;
    let shown = b.text("[data-testid='pseudonym'] code").await;
    assert!(shown.starts_with('P') && shown.len() == 17, "{shown}");
    b.shot("status-pseudonym-ru-desk").await;
    let (_, public) = app
        .call("GET", "/public/journal?limit=1000", None, None)
        .await;
    let registered = public["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "registered")
        .unwrap()
        .clone();
    assert_eq!(
        registered["payload"]["child"]["iin"],
        serde_json::json!(shown)
    );
    b.stop().await;
}
