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

#[tokio::test]
async fn a_waiting_family_sees_the_cut_off_of_the_last_round_at_its_kindergarten() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        let (_, a) = app.register(n, None).await;
        ids.push(a["application_id"].as_str().unwrap().to_owned());
    }
    let body = serde_json::json!({"name": "Kindergarten K1", "district": "D1", "groups": [
        {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2},
        {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 0}]});
    let (s, _) = app
        .call(
            "PUT",
            "/v1/kindergartens/K1",
            Some(crate::harness::STAFF),
            Some(body),
        )
        .await;
    assert_eq!(s, 200);
    let (s, round) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(crate::harness::STAFF),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    app.app.start_publication_by_operator().await.unwrap();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    b.client.goto(&format!("{base}/status")).await.unwrap();
    b.fill("#application_id", &ids[4]).await;
    b.fill("#child_iin", &child_iin(50)).await;
    b.click("form[action='/status'] button").await;
    // Two seats went to the first two children: the cut-off was number 2; this child, fifth
    // then, is third now.
    let cutoff = b
        .text("[data-testid='last-round'] [data-testid='cutoff']")
        .await;
    assert_eq!(cutoff, "2");
    assert_eq!(b.text("[data-testid='queue-number']").await, "3");
    b.shot("status-last-round-kk-desk").await;
    // The same cut-off the round's signed certificate in the public journal gives.
    let (_, public) = app
        .call("GET", "/public/journal?limit=1000", None, None)
        .await;
    let round = public["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "round_run")
        .unwrap()
        .clone();
    assert_eq!(
        round["certificate"]["round_certificate"]["groups"][0]["cutoff"],
        serde_json::json!(2)
    );
    b.stop().await;
}
