//! Registration, reading, positions and their explanations, preferences, withdrawals, and
//! the parent's and the kindergarten's answers to referrals.

use crate::harness::{application, child_iin, spawn_app, KG, PORTAL, STAFF};
use kezek_core::model::Iin;
use serde_json::{json, Value};

#[tokio::test]
async fn register_read_and_position() {
    let (app, _store) = spawn_app().await;
    // No free seat, so the children stay queued.
    app.kindergarten("K1", "D1", 0).await;
    let (s, first) = app.register(1, None).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["status"], "queued");
    assert_eq!(first["queue_number"], 1);
    assert_eq!(first["tier"], "general");
    assert_eq!(first["positions"][0]["kindergarten_id"], "K1");
    assert_eq!(first["positions"][0]["group_id"], "g4");
    let (_, second) = app.register(2, Some("large_family")).await;
    assert_eq!(second["priority_status"], "pending");
    assert_eq!(
        second["queue_number"], 2,
        "an unverified claim does not count"
    );
    let id = second["application_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/priority"),
            Some(STAFF),
            Some(json!({"decision": "verified", "reason": "certificate"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, pos) = app
        .call(
            "GET",
            &format!("/v1/applications/{id}/position"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(pos["queue_number"], 1);
    assert_eq!(pos["tier"], "first_priority");
    assert_eq!(
        pos["positions"][0]["ahead"],
        json!({"first_priority": 0, "general": 0})
    );
    let (_, pos1) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}/position",
                first["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        pos1["positions"][0]["ahead"],
        json!({"first_priority": 1, "general": 0})
    );
    let (s, list) = app
        .call(
            "GET",
            &format!("/v1/applications?child_iin={}", child_iin(20)),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["applications"][0]["application_id"], id);
}

#[tokio::test]
async fn refusal_lists_every_ground_and_is_journaled() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let before = store.head().unwrap().seq;
    let mut body = application(1, Some("astronaut"));
    body["child"]["iin"] = json!("123");
    body["language"] = json!("en");
    body["preferences"] = json!(["K1", "K1", "K9", "K8"]);
    body["documents"] = json!(["application_form"]);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["code"], "refused");
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    for c in [
        "invalid_iin",
        "unsupported_language",
        "too_many_preferences",
        "duplicate_preference",
        "unknown_kindergarten",
        "unknown_category",
        "documents_incomplete",
    ] {
        assert!(codes.contains(&c), "{c} not in {codes:?}");
    }
    assert!(v["document_id"].is_string());
    assert_eq!(
        v["missing"],
        json!(["applicant_id", "benefit_proof", "address_proof"])
    );
    assert_eq!(
        store.head().unwrap().seq.get(),
        before.get() + 1,
        "the refusal is journaled"
    );
}

#[tokio::test]
async fn one_active_application_per_child() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let (_, first) = app.register(1, None).await;
    let (s, v) = app.register(1, None).await;
    assert_eq!(s, 409);
    assert_eq!(v["code"], "active_application_exists");
    assert_eq!(v["application_id"], first["application_id"]);
}

#[tokio::test]
async fn every_refusal_code_over_http() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K2", "D2", 0).await;
    let refuse = |body: Value| async {
        let (s, v) = app
            .call("POST", "/v1/applications", Some(PORTAL), Some(body))
            .await;
        assert_eq!((s, v["code"].as_str()), (422, Some("refused")), "{v}");
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut old = application(1, None);
    old["child"]["iin"] = json!(Iin::compose(jiff::civil::date(2018, 5, 5), false, 1)
        .unwrap()
        .to_string());
    old["child"]["birth_date"] = json!("2018-05-06");
    old["district"] = json!("D9");
    old["preferences"] = json!([]);
    let codes = refuse(old).await;
    for c in [
        "birth_date_mismatch",
        "child_too_old",
        "unknown_district",
        "no_preferences",
    ] {
        assert!(
            codes.iter().any(|(_, code)| code == c),
            "{c} not in {codes:?}"
        );
    }
    let mut unborn = application(2, None);
    unborn["child"]["iin"] = json!(Iin::compose(jiff::civil::date(2027, 1, 1), false, 1)
        .unwrap()
        .to_string());
    unborn["preferences"] = json!(["K2"]);
    let codes = refuse(unborn).await;
    assert!(
        codes.contains(&("child.iin".to_owned(), "child_not_born".to_owned())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&(
            "preferences[0]".to_owned(),
            "kindergarten_outside_district".to_owned()
        )),
        "{codes:?}"
    );
}

#[tokio::test]
async fn a_position_explains_why_the_number_changed() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, first) = app.register(1, None).await;
    let id = first["application_id"].as_str().unwrap().to_owned();
    let since = first["as_of_seq"].as_u64().unwrap();
    let (_, second) = app.register(2, Some("large_family")).await;
    let (_, third) = app.register(3, Some("orphan")).await;
    for a in [&second, &third] {
        let path = format!(
            "/v1/applications/{}/priority",
            a["application_id"].as_str().unwrap()
        );
        app.call(
            "POST",
            &path,
            Some(STAFF),
            Some(json!({"decision": "verified"})),
        )
        .await;
    }
    app.call(
        "POST",
        &format!(
            "/v1/applications/{}/withdraw",
            third["application_id"].as_str().unwrap()
        ),
        Some(PORTAL),
        None,
    )
    .await;
    let (s, v) = app
        .call(
            "GET",
            &format!("/v1/applications/{id}/position?since_seq={since}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["queue_number"], 2);
    assert_eq!(v["since"]["queue_number"], 1);
    let causes = &v["since"]["causes"];
    assert_eq!(causes["priority_verified"], 2, "{causes}");
    assert_eq!(causes["left_ahead"], -1, "{causes}");
    assert_eq!(
        causes["registered_ahead"], 0,
        "they registered behind, in the general tier"
    );
    let total: i64 = causes
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(total, 2 - 1);
}

#[tokio::test]
async fn preferences_withdraw_decline_and_no_show() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K3", "D1", 0).await;
    app.kindergarten("K2", "D2", 0).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap().to_owned();
    let registered_at = a1["registered_at"].clone();
    app.advance_days(1);
    let path = format!("/v1/applications/{id}/preferences");
    let (s, v) = app
        .call(
            "PUT",
            &path,
            Some(PORTAL),
            Some(json!({"preferences": ["K3", "K1"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["preferences"], json!(["K3", "K1"]));
    assert_eq!(
        v["registered_at"], registered_at,
        "the registration time stays"
    );
    let (s, v) = app
        .call(
            "PUT",
            &path,
            Some(PORTAL),
            Some(json!({"preferences": ["K2", "K9"]})),
        )
        .await;
    assert_eq!(s, 422);
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["kindergarten_outside_district", "unknown_kindergarten"]
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("withdrawn")));
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("application_not_active"))
    );

    // Two seats: one referral is declined (kz-2013 cancels), one is a no-show (requeued).
    let (s, _) = app.call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(json!({"name": "K1", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2}]}))).await;
    assert_eq!(s, 200);
    let (_, a2) = app.register(2, None).await;
    let (_, a3) = app.register(3, None).await;
    let r2 = a2["referral"]["referral_id"].as_str().unwrap();
    let r3 = a3["referral"]["referral_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r2}/decline"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["application_status"].as_str()),
        (200, Some("declined"), Some("cancelled"))
    );
    // The family confirms, and has until its admission deadline to come: a no-show is
    // refused until that has passed; then the kindergarten has a working day to record it.
    let (s, confirmed) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{confirmed}");
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/no-show"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("deadline_not_passed")));
    let deadline: jiff::Timestamp = confirmed["expires_at"].as_str().unwrap().parse().unwrap();
    app.clock
        .advance(deadline.as_second() - app.app.now().as_second() + 3600);
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/no-show"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["application_status"].as_str()),
        (200, Some("no_show"), Some("queued")),
        "{v}"
    );
    let (_, kg) = app
        .call("GET", "/v1/kindergartens/K1", Some(KG), None)
        .await;
    assert_eq!(kg["groups"][0]["free"], 2, "both seats went back");
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .call("POST", "/v1/referrals/nope/enroll", Some(KG), None)
        .await;
    assert_eq!(s, 404);
}
