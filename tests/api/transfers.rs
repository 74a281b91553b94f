//! Transfers that keep the current place: an enrolled child asks for another kindergarten,
//! keeps its seat until admitted there, and never takes a seat a queued child could have.

use crate::harness::{application, spawn_app, TestApp, AUDITOR, KG, KG2, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

/// Registers child `n` for kindergartens `prefs`.
async fn register(app: &TestApp, n: u16, prefs: &[&str]) -> Value {
    let mut body = application(n, None);
    body["preferences"] = json!(prefs);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn act(app: &TestApp, referral: &str, what: &str, token: &str) -> Value {
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/{what}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{what}: {v}");
    v
}

async fn round(app: &TestApp) -> Value {
    app.run_round().await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, v) = app.call("GET", path, Some(token), None).await;
    assert_eq!(s, 200, "{path}: {v}");
    v
}

fn group<'a>(kg: &'a Value, id: &str) -> &'a Value {
    kg["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_id"] == id)
        .unwrap()
}

#[tokio::test]
async fn a_transfer_keeps_the_seat_waits_behind_the_queue_and_moves_the_child_by_name() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    // One child at each kindergarten.
    let a1 = register(&app, 1, &["K2"]).await;
    let r1 = a1["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r1, KG2).await;
    let a2 = register(&app, 2, &["K1"]).await;
    let r2 = a2["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r2, KG).await;
    let id1 = a1["application_id"].as_str().unwrap();
    let id2 = a2["application_id"].as_str().unwrap();
    let transfer = format!("/v1/applications/{id1}/transfer");

    // What is refused, with nothing journaled.
    let a3 = register(&app, 3, &["K1"]).await;
    assert_eq!(a3["status"], "queued");
    let id3 = a3["application_id"].as_str().unwrap();
    let head = get(&app, "/v1/journal/head", AUDITOR).await;
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id3}/transfer"),
            Some(PORTAL),
            Some(json!({"preferences": ["K2"]})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_enrolled")), "{v}");
    let (s, v) = app
        .call(
            "POST",
            &transfer,
            Some(PORTAL),
            Some(json!({"preferences": ["K2"]})),
        )
        .await;
    assert_eq!(
        (
            s,
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["code"].as_str()
        ),
        (422, Some("preferences[0]"), Some("current_kindergarten")),
        "{v}"
    );
    let (s, _) = app
        .call(
            "POST",
            &transfer,
            Some(STAFF_D2),
            Some(json!({"preferences": ["K1"]})),
        )
        .await;
    assert_eq!(s, 403, "another district's staff");
    let (s, v) = app.call("DELETE", &transfer, Some(PORTAL), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("no_transfer_request")),
        "{v}"
    );
    assert_eq!(
        get(&app, "/v1/journal/head", AUDITOR).await["seq"],
        head["seq"]
    );

    // The family of the child at K2 asks for K1, where a queued child waits too.
    let (s, v) = app
        .call(
            "POST",
            &transfer,
            Some(STAFF),
            Some(json!({"preferences": ["K1"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "enrolled");
    assert_eq!(v["transfer"]["preferences"], json!(["K1"]));
    assert_eq!(v["transfer"]["referral"], Value::Null);

    // A seat opens at K1: the queued child gets it, not the transfer.
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/kindergartens/K1/children/{id2}/leave"),
            Some(KG),
            Some(json!({"date": "2026-09-01", "reason": "moved"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let first = round(&app).await;
    assert_eq!(
        first["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (
                r["application_id"].as_str().unwrap(),
                r["transfer"].as_bool()
            ))
            .collect::<Vec<_>>(),
        vec![(id3, None)],
        "{first}"
    );
    let r3 = first["referrals"][0]["referral_id"].as_str().unwrap();
    act(&app, r3, "decline", PORTAL).await;

    // Nobody queued wants K1 now: the next round refers the transfer; the child keeps its
    // seat at K2 meanwhile, and the request cannot be withdrawn or the child leave.
    let second = round(&app).await;
    let t = &second["referrals"][0];
    assert_eq!(
        (&t["application_id"], &t["kindergarten_id"], &t["transfer"]),
        (&json!(id1), &json!("K1"), &json!(true)),
        "{second}"
    );
    let rt = t["referral_id"].as_str().unwrap().to_owned();
    let now = get(&app, &format!("/v1/applications/{id1}"), PORTAL).await;
    assert_eq!(now["status"], "enrolled", "{now}");
    assert_eq!(now["transfer"]["referral"]["referral_id"], json!(rt));
    assert_eq!(now["transfer"]["referral"]["transfer"], true);
    let k2 = get(&app, "/v1/kindergartens/K2", KG2).await;
    assert_eq!(group(&k2, "g4")["named"], 1, "{k2}");
    let (s, v) = app.call("DELETE", &transfer, Some(PORTAL), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("transfer_referral_open")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/kindergartens/K2/children/{id1}/leave"),
            Some(KG2),
            Some(json!({"date": "2026-09-01", "reason": "moved"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("transfer_referral_open")),
        "{v}"
    );

    // Confirmed and admitted at K1: the seat at K2 opens by name, the child is K1's.
    act(&app, &rt, "confirm", PORTAL).await;
    let done = act(&app, &rt, "enroll", KG).await;
    assert_eq!(done["application_status"], "enrolled", "{done}");
    let now = get(&app, &format!("/v1/applications/{id1}"), PORTAL).await;
    assert_eq!(now["referral"]["kindergarten_id"], "K1", "{now}");
    assert_eq!(now.get("transfer"), None, "the request is done: {now}");
    let k2 = get(&app, "/v1/kindergartens/K2", KG2).await;
    assert_eq!(
        (&group(&k2, "g4")["enrolled"], &group(&k2, "g4")["free"]),
        (&json!(0), &json!(1)),
        "{k2}"
    );
    let journal = get(&app, "/v1/journal?limit=1000", AUDITOR).await;
    let left: Vec<&Value> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "child_left" && e["payload"]["reason"] == "transfer")
        .collect();
    assert_eq!(left.len(), 1, "{journal}");
    assert_eq!(
        (
            &left[0]["payload"]["application_id"],
            &left[0]["payload"]["kindergarten_id"]
        ),
        (&json!(id1), &json!("K2"))
    );
    let kids = get(&app, "/v1/kindergartens/K2/referrals?status=enrolled", KG2).await;
    assert_eq!(kids["referrals"], json!([]), "{kids}");
}

#[tokio::test]
async fn a_declined_transfer_ends_the_request_and_the_child_stays() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let a1 = register(&app, 1, &["K2"]).await;
    let r1 = a1["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r1, KG2).await;
    let id1 = a1["application_id"].as_str().unwrap();
    let transfer = format!("/v1/applications/{id1}/transfer");
    let (s, v) = app
        .call(
            "POST",
            &transfer,
            Some(PORTAL),
            Some(json!({"preferences": ["K1"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Withdrawn and asked again: the request is the family's to change.
    let (s, v) = app.call("DELETE", &transfer, Some(PORTAL), None).await;
    assert_eq!((s, v.get("transfer")), (200, None), "{v}");
    app.call(
        "POST",
        &transfer,
        Some(PORTAL),
        Some(json!({"preferences": ["K1"]})),
    )
    .await;
    let r = round(&app).await;
    let rt = r["referrals"][0]["referral_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(r["referrals"][0]["transfer"], true, "{r}");
    let declined = act(&app, &rt, "decline", PORTAL).await;
    assert_eq!(declined["application_status"], "enrolled", "{declined}");
    let now = get(&app, &format!("/v1/applications/{id1}"), PORTAL).await;
    assert_eq!(
        (
            &now["status"],
            now.get("transfer"),
            &now["referral"]["kindergarten_id"]
        ),
        (&json!("enrolled"), None, &json!("K2")),
        "{now}"
    );
    let k1 = get(&app, "/v1/kindergartens/K1", KG).await;
    assert_eq!(group(&k1, "g4")["free"], 1, "the seat went back: {k1}");
}

/// Two children at two kindergartens, each asking for the other's: no free seat, so the round
/// offers an exchange.
async fn two_who_would_swap(app: &TestApp) -> (String, String, String) {
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let mut ids = Vec::new();
    for (n, k, token) in [(1, "K1", KG), (2, "K2", KG2)] {
        let a = register(app, n, &[k]).await;
        let r = a["referral"]["referral_id"].as_str().unwrap().to_owned();
        app.admit(&r, token).await;
        ids.push(a["application_id"].as_str().unwrap().to_owned());
    }
    for (id, other) in [(&ids[0], "K2"), (&ids[1], "K1")] {
        let (s, v) = app
            .call(
                "POST",
                &format!("/v1/applications/{id}/transfer"),
                Some(PORTAL),
                Some(json!({"preferences": [other]})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let r = round(app).await;
    assert_eq!(r["referrals"], json!([]), "no free seat: {r}");
    let x = &r["exchanges"][0];
    let exchange = x["exchange_id"].as_str().expect("an exchange").to_owned();
    (ids[0].clone(), ids[1].clone(), exchange)
}

async fn confirm_exchange(app: &TestApp, exchange: &str, id: &str) -> (u16, Value) {
    app.call(
        "POST",
        &format!("/v1/exchanges/{exchange}/confirm"),
        Some(PORTAL),
        Some(json!({"application_id": id})),
    )
    .await
}

#[tokio::test]
async fn two_families_swap_places_when_both_confirm() {
    let (app, store) = spawn_app().await;
    let (id1, id2, exchange) = two_who_would_swap(&app).await;
    let a1 = get(&app, &format!("/v1/applications/{id1}"), PORTAL).await;
    let x = &a1["exchange"];
    assert_eq!(
        (
            &x["exchange_id"],
            &x["kindergarten_id"],
            &x["partners"],
            &x["confirmed"]
        ),
        (
            &json!(exchange),
            &json!("K2"),
            &json!(["K2"]),
            &json!(false)
        ),
        "{a1}"
    );
    assert!(
        x.get("application_id").is_none(),
        "partners' children are not named"
    );
    let notes = get(&app, "/v1/notifications?limit=1000", PORTAL).await;
    let offered = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "exchange_offered")
        .count();
    assert_eq!(offered, 2, "{notes}");

    // While it is open, the request stays and the child stays.
    let (s, v) = app
        .call(
            "DELETE",
            &format!("/v1/applications/{id1}/transfer"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("exchange_open")), "{v}");
    let a3 = register(&app, 3, &["K1"]).await;
    let (s, v) = confirm_exchange(&app, &exchange, a3["application_id"].as_str().unwrap()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("not_in_exchange")),
        "{v}"
    );

    let (s, v) = confirm_exchange(&app, &exchange, &id1).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["exchange"]["confirmed"], true, "{v}");
    let (s, v) = confirm_exchange(&app, &exchange, &id1).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("already_confirmed")),
        "{v}"
    );
    let seats_before = (
        get(&app, "/v1/kindergartens/K1", KG).await["groups"].clone(),
        get(&app, "/v1/kindergartens/K2", KG2).await["groups"].clone(),
    );

    // The second family confirms: both children move, admitted; no seat changed hands
    // otherwise and the queued child is where it was.
    let (s, v) = confirm_exchange(&app, &exchange, &id2).await;
    assert_eq!(s, 200, "{v}");
    for (id, k) in [(&id1, "K2"), (&id2, "K1")] {
        let a = get(&app, &format!("/v1/applications/{id}"), PORTAL).await;
        assert_eq!(
            (
                &a["status"],
                &a["referral"]["kindergarten_id"],
                a.get("transfer"),
                a.get("exchange")
            ),
            (&json!("enrolled"), &json!(k), None, None),
            "{a}"
        );
    }
    let seats_after = (
        get(&app, "/v1/kindergartens/K1", KG).await["groups"].clone(),
        get(&app, "/v1/kindergartens/K2", KG2).await["groups"].clone(),
    );
    assert_eq!(seats_after, seats_before, "no seat freed or taken");
    let kids = get(&app, "/v1/kindergartens/K1/referrals?status=enrolled", KG).await;
    assert_eq!(kids["referrals"][0]["application_id"], json!(id2), "{kids}");
    let a3 = get(
        &app,
        &format!(
            "/v1/applications/{}",
            a3["application_id"].as_str().unwrap()
        ),
        PORTAL,
    )
    .await;
    assert_eq!(a3["queue_number"], 1, "{a3}");
    let journal = get(&app, "/v1/journal?limit=1000", AUDITOR).await;
    assert!(journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "exchange_done"));

    // Each family is told, with its child's signed admission to the new kindergarten; every
    // document follows from the journal again.
    let notes = get(&app, "/v1/notifications?limit=1000", PORTAL).await;
    let done = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "exchange_done" && n["application_id"] == json!(id1))
        .unwrap()
        .clone();
    let doc = done["document_id"].as_str().unwrap();
    let decision = get(&app, &format!("/v1/documents/{doc}"), PORTAL).await;
    assert_eq!(
        (
            &decision["kind"],
            &decision["body"]["decision"],
            &decision["body"]["kindergarten_id"]
        ),
        (&json!("admission"), &json!("admitted"), &json!("K2")),
        "{decision}"
    );
    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}

#[tokio::test]
async fn an_exchange_not_confirmed_in_time_lapses_and_nothing_happens() {
    let (app, _store) = spawn_app().await;
    let (id1, _id2, exchange) = two_who_would_swap(&app).await;
    confirm_exchange(&app, &exchange, &id1).await;
    app.pass_days(7).await;
    let a1 = get(&app, &format!("/v1/applications/{id1}"), PORTAL).await;
    assert_eq!(
        (
            a1.get("exchange"),
            &a1["referral"]["kindergarten_id"],
            &a1["transfer"]["preferences"]
        ),
        (None, &json!("K1"), &json!(["K2"])),
        "the child stays, the request waits on: {a1}"
    );
    let (s, v) = confirm_exchange(&app, &exchange, &id1).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("exchange_closed")),
        "{v}"
    );
    // The next round offers it again.
    let r = round(&app).await;
    assert_eq!(r["exchanges"].as_array().map(Vec::len), Some(1), "{r}");
}
