//! Counters can file: a clerk of a service centre or an office files for its districts, the
//! portal on the portal; each channel asks for the documents the policy lists; a filing
//! refused at a counter for missing documents leaves with a signed receipt listing them.

use crate::harness::{application, spawn_app, CLERK, PORTAL};
use serde_json::json;

#[tokio::test]
async fn each_key_files_on_its_own_channels_and_districts() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K2", "D2", 0).await;
    let mut at_office = application(1, None);
    at_office["channel"] = json!("office");
    let (s, v) = app
        .call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(at_office.clone()),
        )
        .await;
    assert_eq!(s, 403, "a portal key cannot file at a counter: {v}");
    let (s, v) = app
        .call(
            "POST",
            "/v1/applications",
            Some(CLERK),
            Some(application(1, None)),
        )
        .await;
    assert_eq!(s, 403, "a clerk cannot file on the portal: {v}");
    let mut elsewhere = at_office.clone();
    elsewhere["district"] = json!("D2");
    elsewhere["preferences"] = json!(["K2"]);
    let (s, _) = app
        .call("POST", "/v1/applications", Some(CLERK), Some(elsewhere))
        .await;
    assert_eq!(s, 403, "a clerk files for its districts only");

    // At the office (kz-2013): the birth certificate too.
    let (s, v) = app
        .call(
            "POST",
            "/v1/applications",
            Some(CLERK),
            Some(at_office.clone()),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "documents_incomplete", "{v}");
    assert_eq!(v["missing"], json!(["birth_certificate"]), "{v}");
    let doc = v["document_id"].as_str().unwrap();
    let (s, receipt) = app
        .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(receipt["body"]["channel"], "office", "{receipt}");
    assert_eq!(receipt["body"]["missing"], json!(["birth_certificate"]));
    assert!(receipt["signature"].is_string());

    at_office["documents"] = json!([
        "application_form",
        "applicant_id",
        "birth_certificate",
        "address_proof"
    ]);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(CLERK), Some(at_office))
        .await;
    assert_eq!(s, 201, "{v}");
    // At a service centre: the identity document and the address suffice.
    let mut at_centre = application(2, None);
    at_centre["channel"] = json!("service_center");
    at_centre["documents"] = json!(["applicant_id", "address_proof"]);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(CLERK), Some(at_centre))
        .await;
    assert_eq!(s, 201, "{v}");
    // The clerk's key is the journaled actor.
    let events = store.read(kezek_core::model::Seq::new(0), 1000).unwrap();
    let filed: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "registered")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(filed, vec!["key-clerk-D1", "key-clerk-D1"]);
}

#[test]
fn the_birth_registry_dates_from_13_august_2007() {
    for p in [kezek_core::Policy::kz_2013(), kezek_core::Policy::kz_2020()] {
        assert_eq!(
            p.birth_registry_since,
            jiff::civil::date(2007, 8, 13),
            "{}",
            p.name
        );
    }
}
