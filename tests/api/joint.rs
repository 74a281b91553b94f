//! Joint applications: a twin registered `together_with` its sibling's application; while
//! both wait, a round refers both to one kindergarten or neither.

use crate::harness::{application, spawn_app, TestApp, PORTAL, STAFF};
use serde_json::{json, Value};

async fn set_capacity(app: &TestApp, capacity: u32) {
    let body = json!({"name": "Kindergarten K1", "district": "D1", "groups": [
        {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": capacity}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
        .await;
    assert!(s == 200 || s == 201, "{v}");
}

async fn round(app: &TestApp) -> Vec<String> {
    let (s, v) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["application_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn twins_registered_together_are_referred_together_or_not_at_all() {
    let (app, _store) = spawn_app().await;
    set_capacity(&app, 0).await;
    let (_, first) = app.register(1, None).await;
    let first_id = first["application_id"].as_str().unwrap().to_owned();
    let mut twin = application(2, None);
    twin["together_with"] = json!(first_id);
    let (s, second) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(twin))
        .await;
    assert_eq!(s, 201, "{second}");
    let second_id = second["application_id"].as_str().unwrap().to_owned();
    assert_eq!(second["together_with"], json!(first_id));
    let (_, again) = app
        .call(
            "GET",
            &format!("/v1/applications/{first_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(again["together_with"], json!(second_id));

    // Refused with the field and the rule: no such application, one joint already.
    for (partner, code) in [
        ("KZ9999999999", "unknown_partner"),
        (first_id.as_str(), "partner_joined"),
    ] {
        let mut body = application(3, None);
        body["together_with"] = json!(partner);
        let (s, v) = app
            .call("POST", "/v1/applications", Some(PORTAL), Some(body))
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            (&v["errors"][0]["field"], &v["errors"][0]["code"]),
            (&json!("together_with"), &json!(code)),
            "{v}"
        );
    }

    // One seat is too few for the twins: the single child after them takes it.
    let (_, third) = app.register(4, None).await;
    set_capacity(&app, 1).await;
    assert_eq!(
        round(&app).await,
        [third["application_id"].as_str().unwrap()]
    );
    // Two seats more: both twins, the first first.
    set_capacity(&app, 3).await;
    assert_eq!(round(&app).await, [first_id.clone(), second_id.clone()]);
    let status = |v: &Value| v["status"].as_str().unwrap().to_owned();
    for id in [&first_id, &second_id] {
        let (_, v) = app
            .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
            .await;
        assert_eq!(status(&v), "referred");
        assert_eq!(v["referral"]["kindergarten_id"], "K1");
    }
}
