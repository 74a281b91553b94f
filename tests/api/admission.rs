//! Preschool admission: the head of the kindergarten admits the child who came with a
//! confirmed referral, or decides with grounds that the child cannot be admitted (the seat
//! returns, the child is back in the queue at its original time); a signed decision either
//! way; the one extension of the deadline with a reason; the referral list names the child.

use crate::harness::{spawn_app, KG, PORTAL};
use serde_json::json;

#[tokio::test]
async fn admitted_or_not_the_family_gets_a_signed_decision() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    let (_, b) = app.register(2, None).await;
    assert_eq!(b["queue_number"], 1, "{b}");
    let referral = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    let confirm = format!("/v1/referrals/{referral}/confirm");
    assert_eq!(app.call("POST", &confirm, Some(PORTAL), None).await.0, 200);

    // The list names the child, its age and group.
    let (_, list) = app
        .call("GET", "/v1/kindergartens/K1/referrals", Some(KG), None)
        .await;
    let entry = &list["referrals"][0];
    assert_eq!(entry["child_name"], "Aruzhan", "{list}");
    assert_eq!(entry["age_years"], 4);
    assert_eq!(entry["birth_date"], "2022-03-01");
    assert_eq!(entry["group_id"], "g4");

    // Extension: once, with a reason.
    let extend = format!("/v1/referrals/{referral}/extend");
    let (s, v) = app
        .call(
            "POST",
            &extend,
            Some(KG),
            Some(json!({"days": 10, "reason": ""})),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("reason")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "POST",
            &extend,
            Some(KG),
            Some(json!({"days": 10, "reason": "quarantine in the group"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .call(
            "POST",
            &extend,
            Some(KG),
            Some(json!({"days": 5, "reason": "again"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("already_extended")),
        "{v}"
    );

    // Not admitted: grounds required; the seat returns, the child is back at its place.
    let not_admitted = format!("/v1/referrals/{referral}/not-admitted");
    let (s, _) = app
        .call(
            "POST",
            &not_admitted,
            Some(KG),
            Some(json!({"grounds": " "})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, v) = app
        .call(
            "POST",
            &not_admitted,
            Some(KG),
            Some(json!({"grounds": "the medical certificate is missing"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "not_admitted", "{v}");
    let id = a["application_id"].as_str().unwrap();
    let (_, back) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(back["status"], "queued", "{back}");
    assert_eq!(
        back["queue_number"], 1,
        "back at its original time, ahead of b: {back}"
    );
    let (_, seats) = app
        .call("GET", "/v1/kindergartens/K1", Some(KG), None)
        .await;
    assert_eq!(seats["groups"][0]["reserved"], 0, "{seats}");

    // A signed decision, named by the notification.
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let note = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "not_admitted")
        .unwrap()
        .clone();
    assert_eq!(note["grounds"], "the medical certificate is missing");
    let doc = note["document_id"].as_str().unwrap();
    // The answer to the act named the same decision.
    assert_eq!(v["decision_document_id"], doc, "{v}");
    let (s, decision) = app
        .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(decision["kind"], "admission");
    assert_eq!(decision["body"]["decision"], "not_admitted");
    assert_eq!(
        decision["body"]["grounds"],
        "the medical certificate is missing"
    );
    assert_eq!(decision["application_id"], id);
    // Every document, the decisions included, follows from the journal again.
    let report = kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    // b's queue notification, a's referral (its registration's one result) and the decision.
    assert_eq!(report.documents, 3);
}

#[tokio::test]
async fn an_admission_issues_a_signed_decision_too() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    let referral = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.call(
        "POST",
        &format!("/v1/referrals/{referral}/confirm"),
        Some(PORTAL),
        None,
    )
    .await;
    let (s, admitted) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let enrolled = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "enrolled")
        .unwrap()
        .clone();
    let doc = enrolled["document_id"].as_str().unwrap();
    // The admission's answer names the decision the kindergarten prints for the family.
    assert_eq!(admitted["decision_document_id"], doc, "{admitted}");
    let (s, decision) = app
        .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(decision["kind"], "admission");
    assert_eq!(decision["body"]["decision"], "admitted");
    assert_eq!(decision["body"]["kindergarten_id"], "K1");
}
