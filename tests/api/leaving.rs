//! Children who leave, by name, and the groups' roll-over at the start of an academic year.

use crate::harness::{application, spawn_app, TestApp, AUDITOR, KG, PORTAL, STAFF, STAFF_D2};
use kezek_core::model::Iin;
use serde_json::{json, Value};

/// Registers a child born on March 1st of `born` (number `n`) for kindergarten `k`.
async fn register_born(app: &TestApp, n: u16, born: i16, k: &str) -> Value {
    let birth = jiff::civil::date(born, 3, 1);
    let iin = (n..)
        .find_map(|s| Iin::compose(birth, false, s))
        .unwrap()
        .to_string();
    let mut body = application(n, None);
    body["child"]["iin"] = json!(iin);
    body["preferences"] = json!([k]);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

/// Confirms and admits the referral of application `a`.
async fn admit(app: &TestApp, a: &Value) {
    let r = a["referral"]["referral_id"].as_str().expect("referred");
    app.admit(r, KG).await;
}

async fn leave(app: &TestApp, token: &str, a: &str, body: Value) -> (u16, Value) {
    app.call(
        "POST",
        &format!("/v1/kindergartens/K1/children/{a}/leave"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_child_leaves_by_name_and_its_seat_goes_to_the_next_child() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a1) = app.register(1, None).await;
    let (_, a2) = app.register(2, None).await;
    assert_eq!(a2["status"], "queued");
    admit(&app, &a1).await;
    let id1 = a1["application_id"].as_str().unwrap();
    let id2 = a2["application_id"].as_str().unwrap();
    let ok = json!({"date": "2026-09-01", "reason": "moved"});

    // Who may, and what is refused, with nothing journaled.
    let (_, head) = app
        .call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await;
    assert_eq!(leave(&app, PORTAL, id1, ok.clone()).await.0, 403);
    assert_eq!(leave(&app, STAFF_D2, id1, ok.clone()).await.0, 403);
    assert_eq!(leave(&app, KG, "A404", ok.clone()).await.0, 404);
    let refused = [
        (
            json!({"date": "1 Sept", "reason": "moved"}),
            "date",
            "invalid_date",
        ),
        (
            json!({"date": "2026-09-01", "reason": "bored"}),
            "reason",
            "invalid_reason",
        ),
        (
            json!({"date": "2026-09-02", "reason": "moved"}),
            "date",
            "date_in_future",
        ),
        (
            json!({"date": "2026-08-31", "reason": "moved"}),
            "date",
            "before_admission",
        ),
    ];
    for (body, field, code) in refused {
        let (s, v) = leave(&app, KG, id1, body).await;
        assert_eq!(
            (
                s,
                v["errors"][0]["field"].as_str(),
                v["errors"][0]["code"].as_str()
            ),
            (422, Some(field), Some(code)),
            "{v}"
        );
    }
    let (s, v) = leave(&app, KG, id2, ok.clone()).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_enrolled")), "{v}");
    let (_, same) = app
        .call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await;
    assert_eq!(same["seq"], head["seq"], "nothing journaled");

    // Staff of the district record it for the kindergarten: the seat is free, by name.
    let (s, v) = leave(
        &app,
        STAFF,
        id1,
        json!({"date": "2026-09-01", "reason": "family_request"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["application_status"], &v["group_id"], &v["reason"]),
        (&json!("left"), &json!("g4"), &json!("family_request"))
    );
    let g4 = &v["kindergarten"]["groups"][1];
    assert_eq!(
        (&g4["group_id"], &g4["enrolled"], &g4["named"], &g4["free"]),
        (&json!("g4"), &json!(0), &json!(0), &json!(1)),
        "{v}"
    );
    let (_, a) = app
        .call(
            "GET",
            &format!("/v1/applications/{id1}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(a["status"], "left", "{a}");
    let (_, kids) = app
        .call(
            "GET",
            "/v1/kindergartens/K1/referrals?status=enrolled",
            Some(KG),
            None,
        )
        .await;
    assert_eq!(kids["referrals"], json!([]), "{kids}");
    let (s, v) = leave(&app, KG, id1, ok.clone()).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_enrolled")), "{v}");

    // The journal names who left and from where; the family is told.
    let (_, journal) = app
        .call("GET", "/v1/journal?limit=1000", Some(AUDITOR), None)
        .await;
    let left: Vec<&Value> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "child_left")
        .collect();
    assert_eq!(left.len(), 1, "{journal}");
    assert_eq!(
        (
            &left[0]["payload"]["application_id"],
            &left[0]["payload"]["group_id"]
        ),
        (&json!(id1), &json!("g4"))
    );
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    assert!(
        notes["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "child_left" && n["application_id"] == id1),
        "{notes}"
    );

    // The next round gives the seat to the child waiting.
    let round = app.run_round().await;
    assert_eq!(round["referrals"][0]["application_id"], id2, "{round}");
}

/// Kindergarten `id` of district D1 with groups g5 and g6 (kk), `capacity` seats each.
async fn older_groups(app: &TestApp, id: &str, capacity: u32) {
    let body = json!({"name": id, "district": "D1", "groups": [
        {"group_id": "g5", "age_years": 5, "language": "kk", "capacity": capacity},
        {"group_id": "g6", "age_years": 6, "language": "kk", "capacity": capacity}]});
    let (s, v) = app
        .call(
            "PUT",
            &format!("/v1/kindergartens/{id}"),
            Some(STAFF),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{v}");
}

#[tokio::test]
async fn a_roll_over_moves_groups_up_and_sends_the_oldest_to_school() {
    let (app, _store) = spawn_app().await;
    older_groups(&app, "K1", 2).await;
    older_groups(&app, "K2", 1).await;
    let six = register_born(&app, 1, 2020, "K1").await;
    let five = register_born(&app, 2, 2021, "K1").await;
    admit(&app, &six).await;
    admit(&app, &five).await;
    let roll = |year: i64| json!({ "academic_year": year });

    // Described through the API this year, the groups are this year's already.
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/roll-over",
            Some(KG),
            Some(roll(2026)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("rolled_over_already")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/roll-over",
            Some(KG),
            Some(roll(2027)),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (422, Some("not_this_academic_year")),
        "{v}"
    );

    // A year on: a child referred to K2's oldest group holds a seat there.
    app.pass_days(365).await;
    let late = register_born(&app, 3, 2021, "K2").await;
    assert_eq!(late["status"], "referred", "{late}");
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K2/roll-over",
            Some(STAFF),
            Some(roll(2027)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("referrals_pending")),
        "{v}"
    );
    let (s, _) = app
        .call(
            "POST",
            "/v1/kindergartens/K2/roll-over",
            Some(KG),
            Some(roll(2027)),
        )
        .await;
    assert_eq!(s, 403, "K1's key does not reach K2");

    // K1 enters 2027: the 6-year-olds leave for school by name, the 5-year-olds move up.
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/roll-over",
            Some(KG),
            Some(roll(2027)),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["leavers"], json!([six["application_id"]]), "{v}");
    assert_eq!(v["kindergarten"]["rolled_over"], 2027);
    let groups = &v["kindergarten"]["groups"];
    assert_eq!(
        (
            &groups[0]["group_id"],
            &groups[0]["age_years"],
            &groups[0]["named"]
        ),
        (&json!("g5"), &json!(6), &json!(1)),
        "{v}"
    );
    assert_eq!(
        (
            &groups[1]["group_id"],
            &groups[1]["age_years"],
            &groups[1]["free"]
        ),
        (&json!("g6"), &json!(5), &json!(2)),
        "the school group takes the youngest from now on: {v}"
    );
    for (a, status) in [(&six, "left"), (&five, "enrolled")] {
        let (_, now) = app
            .call(
                "GET",
                &format!("/v1/applications/{}", a["application_id"].as_str().unwrap()),
                Some(PORTAL),
                None,
            )
            .await;
        assert_eq!(now["status"], status, "{now}");
    }
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/roll-over",
            Some(KG),
            Some(roll(2027)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("rolled_over_already")),
        "{v}"
    );
}
