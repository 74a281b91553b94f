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
    let v = app.run_round().await;
    v["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["application_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn twins_registered_together_are_referred_together_or_not_at_all() {
    let (app, store) = spawn_app().await;
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
    // The journal verifies: its rounds decided again give the same referrals.
    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}

/// kz-2013 with sibling priority.
fn sibling_policy() -> kezek_core::Policy {
    let text = format!(
        "{}\n[siblings]\npriority = true\n",
        kezek_core::Policy::kz_2013().source()
    );
    kezek_core::Policy::from_toml(&text).unwrap()
}

#[tokio::test]
async fn with_sibling_priority_a_brother_goes_ahead_where_his_sister_is_and_rounds_verify() {
    let store = crate::harness::new_store();
    crate::harness::put_keys(store.as_ref());
    let app = crate::harness::spawn_with(store.clone(), sibling_policy()).await;
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    set_capacity(&app, 1).await;
    // The sister is referred at once (a seat was free) and admitted.
    let (_, sister) = app.register(1, None).await;
    let referral = sister["referral"]["referral_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.admit(&referral, crate::harness::KG).await;
    // Another family's child, then the brother (the same applicant).
    let mut other = application(2, None);
    let parent = (1..)
        .find_map(|n| kezek_core::model::Iin::compose(jiff::civil::date(1990, 1, 1), true, n))
        .unwrap();
    other["applicant"]["iin"] = json!(parent.to_string());
    let (s, other) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(other))
        .await;
    assert_eq!(s, 201, "{other}");
    let (_, brother) = app.register(3, None).await;
    let brother_id = brother["application_id"].as_str().unwrap().to_owned();
    set_capacity(&app, 2).await;
    assert_eq!(round(&app).await, [brother_id]);
    set_capacity(&app, 3).await;
    assert_eq!(
        round(&app).await,
        [other["application_id"].as_str().unwrap()]
    );
    // The journal verifies: every round decided again under the policy in force.
    let report = kezek_app::audit::installation(
        store.as_ref(),
        sibling_policy(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    assert!(report.rounds >= 3, "{report:?}");
}
