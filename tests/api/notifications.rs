//! What families are told: each event a family must know of becomes a notification, written
//! with its events, read by the portal in order (`GET /v1/notifications`).

use crate::harness::{application, spawn_app, PORTAL, STAFF};
use serde_json::{json, Value};

async fn all(app: &crate::harness::TestApp) -> Vec<Value> {
    let (s, v) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v["notifications"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_result_a_family_must_know_is_a_notification_in_order() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    // Referred at once (a free seat), queued, refused, claimed and decided, withdrawn.
    let (_, referred) = app.register(1, None).await;
    let (_, queued) = app.register(2, Some("large_family")).await;
    let mut bad = application(3, None);
    bad["documents"] = json!([]);
    let (_, refused) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(bad))
        .await;
    let queued_id = queued["application_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/applications/{queued_id}/priority"),
            Some(STAFF),
            Some(json!({"decision": "rejected", "reason": "no proof"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/applications/{queued_id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);

    let notes = all(&app).await;
    let kinds: Vec<(&str, &str)> = notes
        .iter()
        .map(|n| {
            (
                n["application_id"].as_str().unwrap(),
                n["kind"].as_str().unwrap(),
            )
        })
        .collect();
    let referred_id = referred["application_id"].as_str().unwrap();
    let refused_id = refused["application_id"].as_str().unwrap();
    assert_eq!(
        kinds,
        // A registration that met a free seat is told once, by its referral.
        vec![
            (referred_id, "referral_issued"),
            (queued_id, "queue_notification"),
            (refused_id, "refusal"),
            (queued_id, "priority_claim_decided"),
            (queued_id, "withdrawn"),
        ]
    );
    // Ids rise; each names its document where there is one, and it exists.
    let ids: Vec<u64> = notes.iter().map(|n| n["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for n in &notes {
        if let Some(doc) = n["document_id"].as_str() {
            let (s, _) = app
                .call("GET", &format!("/v1/documents/{doc}"), Some(PORTAL), None)
                .await;
            assert_eq!(s, 200, "{n}");
        }
        assert!(n["at"].is_string(), "{n}");
    }
    let issued = &notes[0];
    assert_eq!(issued["referral_id"], referred["referral"]["referral_id"]);
    assert!(issued["confirm_by"].is_string(), "{issued}");
    assert_eq!(notes[3]["decision"], "rejected");
    assert_eq!(notes[3]["reason"], "no proof");
    // Paging with after.
    let (_, page) = app
        .call(
            "GET",
            &format!("/v1/notifications?after={}&limit=2", ids[1]),
            Some(PORTAL),
            None,
        )
        .await;
    let page_ids: Vec<u64> = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(page_ids, ids[2..4].to_vec());
    assert_eq!(page["next_after"], ids[3]);
    // Only the portal reads them.
    let (s, _) = app
        .call("GET", "/v1/notifications", Some(STAFF), None)
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn a_lapsed_referral_and_an_enrolment_are_told() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let (_, first) = app.register(1, None).await;
    let (_, second) = app.register(2, None).await;
    let enrolled = first["referral"]["referral_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{enrolled}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{enrolled}/enroll"),
            Some(crate::harness::KG),
            None,
        )
        .await;
    assert_eq!(s, 200);
    // The second referral is never confirmed: it lapses.
    app.pass_days(10).await;
    let notes = all(&app).await;
    let first_id = first["application_id"].as_str().unwrap();
    let second_id = second["application_id"].as_str().unwrap();
    assert!(notes
        .iter()
        .any(|n| n["application_id"] == first_id && n["kind"] == "enrolled"));
    let lapsed = notes
        .iter()
        .find(|n| n["application_id"] == second_id && n["kind"] == "referral_lapsed")
        .unwrap();
    assert_eq!(lapsed["reason"], "not_confirmed");
}

/// Moves the test's clock to `at` and sweeps, as time passing does.
async fn sweep_at(app: &crate::harness::TestApp, at: jiff::Timestamp) {
    let now = app.app.now();
    app.clock.advance((at - now).get_seconds());
    app.app.sweep().await.unwrap();
}

fn expires_at(v: &Value) -> jiff::Timestamp {
    v["expires_at"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_family_is_reminded_once_as_the_last_day_of_each_deadline_begins() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    let referral = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    let confirm_by = expires_at(&a["referral"]);
    let reminders = |notes: &[Value]| -> Vec<Value> {
        notes
            .iter()
            .filter(|n| n["kind"] == "referral_reminder")
            .cloned()
            .collect()
    };
    // Two days before the deadline: nothing yet.
    sweep_at(&app, confirm_by - jiff::SignedDuration::from_hours(48)).await;
    assert!(reminders(&all(&app).await).is_empty());
    // The last day has begun: one reminder, to confirm; a second sweep adds none.
    sweep_at(&app, confirm_by - jiff::SignedDuration::from_hours(23)).await;
    sweep_at(&app, confirm_by - jiff::SignedDuration::from_hours(22)).await;
    let got = reminders(&all(&app).await);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["to_do"], "confirm");
    assert_eq!(got[0]["referral_id"], referral.as_str());
    assert_eq!(got[0]["deadline"], confirm_by.to_string());
    // Confirmed: the enrolment deadline gets its own reminder.
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let enroll_by = expires_at(&v);
    sweep_at(&app, enroll_by - jiff::SignedDuration::from_hours(1)).await;
    let got = reminders(&all(&app).await);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["to_do"], "enrol");
    assert_eq!(got[1]["deadline"], enroll_by.to_string());
}
