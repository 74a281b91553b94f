//! Kindergartens, vacancies, rounds, the referral lifecycle and statistics.

use crate::harness::{spawn_app, AUDITOR, KG, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

#[tokio::test]
async fn vacancies_round_confirm_enrol_and_seats() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    // A new group is free at once: the first registration is referred on the spot.
    let (_, a1) = app.register(1, None).await;
    assert_eq!(a1["status"], "referred", "{a1}");
    let (_, a2) = app.register(2, None).await;
    assert_eq!(a2["status"], "queued");
    let referral = a1["referral"]["referral_id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/groups/g4/vacancies",
            Some(STAFF),
            Some(json!({"seats": 1})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("too_many_vacancies")),
        "no child enrolled, so no seat can open"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("confirmed")), "{v}");
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("enrolled")), "{v}");
    let (_, kg) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    assert_eq!(kg["groups"][0]["group_id"], "g3");
    assert_eq!(
        kg["groups"][1],
        json!({"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1, "enrolled": 1, "named": 1, "reserved": 0, "free": 0})
    );
    let (s, v) = app.call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(json!({"name": "K", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]}))).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("capacity_below_occupied"))
    );
    // The child leaves: its seat opens by its name, never as a bare count, and a round gives
    // it to the next child.
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/groups/g4/vacancies",
            Some(STAFF),
            Some(json!({"seats": 1})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("children_are_named")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!(
                "/v1/kindergartens/K1/children/{}/leave",
                a1["application_id"].as_str().unwrap()
            ),
            Some(KG),
            Some(json!({"date": "2026-09-01", "reason": "moved"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["application_status"], "left");
    assert_eq!(v["kindergarten"]["groups"][1]["free"], 1, "{v}");
    let (s, round) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(json!({"academic_year": 2026})),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    assert_eq!(
        round["referrals"][0]["application_id"],
        a2["application_id"]
    );
    assert_eq!(
        round["free_seats_left"], 1,
        "g3's seat stays free: nobody of that age applied"
    );
    let (s, again) = app
        .call(
            "GET",
            &format!("/v1/allocations/{}", round["round_id"].as_str().unwrap()),
            Some(AUDITOR),
            None,
        )
        .await;
    assert_eq!((s, &again["referrals"]), (200, &round["referrals"]));
    let (s, stats) = app
        .call("GET", "/v1/districts/D1/stats", Some(STAFF), None)
        .await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(stats["queued"]["total"], 0);
    assert_eq!(
        stats["seats"],
        json!({"capacity": 2, "enrolled": 0, "reserved": 1, "free": 1})
    );
    assert_eq!(stats["referrals_outstanding"], 1);
    assert_eq!(
        stats["median_wait_days"], 0.0,
        "the first child was admitted the day it registered"
    );
    let (s, _) = app
        .call("GET", "/v1/districts/D1/stats", Some(STAFF_D2), None)
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn an_unconfirmed_referral_lapses_once_its_deadline_passes() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap();
    app.pass_days(10).await;
    let (_, v) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(v["referral"]["status"], "lapsed", "{v}");
    assert_eq!(
        v["status"], "queued",
        "kz-2013 returns the child to the queue"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!(
                "/v1/referrals/{}/confirm",
                a1["referral"]["referral_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("referral_not_open")));
}

#[tokio::test]
async fn the_sweeper_lapses_a_referral_by_itself_when_its_deadline_passes() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap();
    assert_eq!(a1["referral"]["status"], "issued");
    app.advance_days(10);
    app.app.wake_sweeper();
    // Nobody writes or sweeps here: the background sweeper must. Asked until it has
    // (bounded, so a sweeper that never runs fails the test instead of hanging it).
    let path = format!("/v1/applications/{id}");
    let mut status = Value::Null;
    for _ in 0..500 {
        let (_, v) = app.call("GET", &path, Some(PORTAL), None).await;
        status = v["referral"]["status"].clone();
        if status == "lapsed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(status, "lapsed");
}

#[tokio::test]
async fn a_referral_is_admitted_only_once_confirmed_and_its_group_keeps_age_and_language() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    assert_eq!(a["status"], "referred", "{a}");
    let referral = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    // The group the referral is for cannot become another age or language meanwhile.
    for (age, language) in [(5, "kk"), (4, "ru")] {
        let body = json!({"name": "Kindergarten K1", "district": "D1", "groups": [
            {"group_id": "g4", "age_years": age, "language": language, "capacity": 1},
            {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 1}]});
        let (s, v) = app
            .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("group_has_referrals")),
            "{v}"
        );
    }
    // Its capacity and the other groups may change.
    let body = json!({"name": "Kindergarten K1", "district": "D1", "groups": [
        {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2},
        {"group_id": "g3", "age_years": 5, "language": "ru", "capacity": 1}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 200, "{v}");
    // Not confirmed by the parent: not admitted.
    let enroll = format!("/v1/referrals/{referral}/enroll");
    let (s, v) = app.call("POST", &enroll, Some(KG), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("referral_not_confirmed")),
        "{v}"
    );
    let confirm = format!("/v1/referrals/{referral}/confirm");
    let (s, _) = app.call("POST", &confirm, Some(PORTAL), None).await;
    assert_eq!(s, 200);
    let (s, v) = app.call("POST", &enroll, Some(KG), None).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("enrolled")), "{v}");
    // Enrolled children grow up with their group: its age may change now.
    let body = json!({"name": "Kindergarten K1", "district": "D1", "groups": [
        {"group_id": "g4", "age_years": 5, "language": "kk", "capacity": 2},
        {"group_id": "g3", "age_years": 5, "language": "ru", "capacity": 1}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 200, "{v}");
}

/// A kindergarten's telephone number is kept and shown; one that is not a number is refused,
/// naming the field.
#[tokio::test]
async fn a_kindergarten_has_a_phone_number_or_none() {
    let (app, _store) = spawn_app().await;
    let kg = |phone: &str| json!({"name": "Балапан", "district": "D1", "phone": phone, "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1}]});
    let (s, v) = app
        .call(
            "PUT",
            "/v1/kindergartens/K1",
            Some(STAFF),
            Some(kg("call us")),
        )
        .await;
    assert_eq!(
        (
            s,
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["code"].as_str()
        ),
        (422, Some("phone"), Some("invalid_phone")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "PUT",
            "/v1/kindergartens/K1",
            Some(STAFF),
            Some(kg("+7 (727) 300-01-37")),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    assert_eq!(v["phone"], "+7 (727) 300-01-37");
}
