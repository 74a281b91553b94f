//! Corrections and late claims: journaled with who and why, never moving the registration
//! time; a claim made after registration enters the staff's worklist due from when it was
//! made, and once verified puts the child in its tier.

use crate::harness::{spawn_app, AUDITOR, CLERK, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

async fn post(app: &crate::harness::TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call("POST", path, Some(token), Some(body)).await
}

#[tokio::test]
async fn staff_correct_names_and_the_district_and_the_time_stays() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K9", "D2", 0).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap();
    let path = format!("/v1/applications/{id}/corrections");
    let head = app
        .call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await
        .1;

    // Who may, and what is refused, with nothing journaled.
    let name =
        json!({"child": {"name": "Aruzhan Serikkyzy"}, "reason": "birth certificate I-AS 0012"});
    assert_eq!(post(&app, &path, PORTAL, name.clone()).await.0, 403);
    assert_eq!(post(&app, &path, STAFF_D2, name.clone()).await.0, 403);
    for (body, field, code) in [
        (json!({"reason": "x"}), "child", "nothing_to_correct"),
        (
            json!({"child": {"name": "A"}, "reason": ""}),
            "reason",
            "invalid_reason",
        ),
        (
            json!({"district": "D2", "preferences": ["K1"], "reason": "address"}),
            "preferences[0]",
            "kindergarten_outside_district",
        ),
        (
            json!({"district": "D1", "preferences": ["K1"], "reason": "address"}),
            "district",
            "same_district",
        ),
    ] {
        let (s, v) = post(&app, &path, STAFF, body).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            (
                v["errors"][0]["field"].as_str(),
                v["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{v}"
        );
    }
    assert_eq!(
        app.call("GET", "/v1/journal/head", Some(AUDITOR), None)
            .await
            .1["seq"],
        head["seq"]
    );

    // A clerk corrects the name with the document; staff move the family to D2.
    let (s, v) = post(&app, &path, CLERK, name).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(
        &app,
        &path,
        STAFF,
        json!({"district": "D2", "preferences": ["K9"], "reason": "registration of address No 77"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            &v["district"],
            &v["preferences"],
            &v["registered_at"],
            &v["queue_number"]
        ),
        (
            &json!("D2"),
            &json!(["K9"]),
            &a1["registered_at"],
            &json!(1)
        ),
        "{v}"
    );
    let (_, journal) = app
        .call("GET", "/v1/journal?limit=1000", Some(AUDITOR), None)
        .await;
    let corrections: Vec<&Value> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "application_corrected")
        .collect();
    assert_eq!(corrections.len(), 2, "{journal}");
    assert_eq!(corrections[0]["actor"], "key-clerk-D1", "who");
    assert_eq!(
        corrections[0]
            .get("opened")
            .unwrap_or(&corrections[0]["payload"])["reason"],
        "birth certificate I-AS 0012",
        "why"
    );
    assert_eq!(corrections[1]["payload"]["district"], json!(["D2", ["K9"]]));
    // Now of D2: D1's staff no longer reach it.
    let (s, _) = post(
        &app,
        &path,
        STAFF,
        json!({"child": {"name": "Aruzhan"}, "reason": "again"}),
    )
    .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn a_claim_made_later_is_checked_from_when_it_was_made() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a1) = app.register(1, None).await;
    let (_, a2) = app.register(2, None).await;
    let id2 = a2["application_id"].as_str().unwrap();
    let path = format!("/v1/applications/{id2}/claims");
    app.pass_days(10).await;
    let (s, v) = post(
        &app,
        &path,
        PORTAL,
        json!({"category": "large_family", "documents": ["application_form"]}),
    )
    .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (422, Some("benefit_proof_missing")),
        "{v}"
    );
    let (s, v) = post(
        &app,
        &path,
        PORTAL,
        json!({"category": "astronaut", "documents": ["benefit_proof"]}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = post(
        &app,
        &path,
        PORTAL,
        json!({"category": "large_family", "documents": ["benefit_proof"]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["priority_status"], &v["queue_number"]),
        (&json!("pending"), &json!(2)),
        "{v}"
    );
    let (s, v) = post(
        &app,
        &path,
        PORTAL,
        json!({"category": "large_family", "documents": ["benefit_proof"]}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("claim_exists")), "{v}");

    // The worklist has it, due three working days from the claim, not from registration.
    let (_, list) = app
        .call("GET", "/v1/districts/D1/claims", Some(STAFF), None)
        .await;
    let entry = list["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["application_id"] == id2)
        .unwrap()
        .clone();
    assert_ne!(entry["claimed_at"], a2["registered_at"], "{entry}");
    assert_eq!(entry["overdue"], false, "{entry}");

    // Verified: the child's tier, ahead of the child registered before it; the history says so.
    let (s, v) = post(
        &app,
        &format!("/v1/applications/{id2}/priority"),
        STAFF,
        json!({"decision": "verified", "reason": "certificate of a large family"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, now) = app
        .call(
            "GET",
            &format!("/v1/applications/{id2}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(now["queue_number"], 1, "{now}");
    let (_, other) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}/position",
                a1["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(other["queue_number"], 2, "{other}");
}
