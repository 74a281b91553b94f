//! A transfer filed at the desk: staff open an enrolled child's application, ask for another
//! kindergarten for the family, see the request, and withdraw it (asked first).

use crate::browser::Browser;
use crate::harness::{spawn_app, KG, PORTAL, STAFF};
use crate::{sign_in, DESK};
use serde_json::Value;

#[tokio::test]
async fn staff_file_a_transfer_at_the_desk_and_withdraw_it() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let r = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r, KG).await;
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, STAFF, "ru", "/console/districts/D1").await;
    b.client
        .goto(&format!("{base}/console/applications/{id}"))
        .await
        .unwrap();
    assert!(b
        .text("[data-testid='transfer'] .hint")
        .await
        .contains("сохраняет своё место"));
    // Its own kindergarten is not offered.
    let offered = b.text("#transfer-0").await;
    assert!(
        offered.contains("K2") && !offered.contains("K1"),
        "{offered}"
    );
    b.click("#transfer-0 option[value='K2']").await;
    scroll_to(&b, "[data-testid='transfer']").await;
    b.shot("transfer-form-ru-desk").await;
    b.click("form[action$='/transfer'] button").await;
    let asked = b.text("[data-testid='transfer'] dd").await;
    assert!(asked.contains("K2"), "{asked}");
    scroll_to(&b, "[data-testid='transfer']").await;
    b.shot("transfer-asked-ru-desk").await;
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(now["transfer"]["preferences"][0], "K2", "{now}");
    assert_eq!(now["status"], "enrolled");

    b.click("form[action$='/transfer/withdraw'] button").await;
    b.wait_path("/transfer/withdraw").await;
    b.click("form input[name='sure'] ~ p button.danger").await;
    b.wait_path(&format!("/console/applications/{id}")).await;
    b.text("[data-testid='transfer'] .hint").await;
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(now.get("transfer"), None::<&Value>, "{now}");
    b.stop().await;
}

/// Scrolls the page to what `css` finds, for a screenshot of it.
async fn scroll_to(b: &Browser, css: &str) {
    b.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![Value::from(css)],
        )
        .await
        .unwrap();
}

/// A clerk corrects a child's name with the document, and files a priority claimed after
/// registration with its proof.
#[tokio::test]
async fn a_clerk_corrects_a_name_and_files_a_late_claim_at_the_desk() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(
        &b,
        &base,
        crate::harness::CLERK,
        "ru",
        "/console/districts/D1/queue",
    )
    .await;
    b.client
        .goto(&format!("{base}/console/applications/{id}"))
        .await
        .unwrap();
    b.fill("#fix-child", "Аружан Серікқызы").await;
    b.fill("#fix-reason", "свидетельство о рождении I-АС 0012")
        .await;
    scroll_to(&b, "[data-testid='correction']").await;
    b.shot("correction-ru-desk").await;
    b.click("[data-testid='correction'] button").await;
    b.wait_path_containing("/console/applications/").await;
    let file = b.text("[data-testid='casefile']").await;
    assert!(file.contains("Аружан Серікқызы"), "{file}");
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(now["registered_at"], a["registered_at"], "the time stays");

    b.click("#claim-category option[value='large_family']")
        .await;
    b.click("[data-testid='late-claim'] input[name='proof']")
        .await;
    b.click("[data-testid='late-claim'] button").await;
    b.text("[data-testid='casefile']").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, now) = app
            .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
            .await;
        if now["priority_status"] == "pending" {
            assert_eq!(now["category"], "large_family");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{now}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    scroll_to(&b, "[data-testid='casefile']").await;
    b.shot("late-claim-ru-desk").await;
    b.stop().await;
}

/// Two families at two kindergartens each want the other's: the round offers an exchange;
/// at the desk, staff see it on the application's page and record one family's confirmation.
#[tokio::test]
async fn staff_record_a_familys_confirmation_of_an_exchange() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let mut ids = Vec::new();
    for (n, k, token) in [(1u16, "K1", KG), (2, "K2", crate::harness::KG2)] {
        let mut body = crate::harness::application(n, None);
        body["preferences"] = serde_json::json!([k]);
        let (_, a) = app
            .call("POST", "/v1/applications", Some(PORTAL), Some(body))
            .await;
        let r = a["referral"]["referral_id"].as_str().unwrap().to_owned();
        app.admit(&r, token).await;
        ids.push(a["application_id"].as_str().unwrap().to_owned());
    }
    for (id, other) in [(&ids[0], "K2"), (&ids[1], "K1")] {
        app.call(
            "POST",
            &format!("/v1/applications/{id}/transfer"),
            Some(PORTAL),
            Some(serde_json::json!({"preferences": [other]})),
        )
        .await;
    }
    let (s, r) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, STAFF, "ru", "/console/districts/D1").await;
    b.client
        .goto(&format!("{base}/console/applications/{}", ids[0]))
        .await
        .unwrap();
    let card = b.text("[data-testid='exchange']").await;
    assert!(
        card.contains("K2") && card.contains("Ждём подтверждения"),
        "{card}"
    );
    scroll_to(&b, "[data-testid='exchange']").await;
    b.shot("exchange-ru-desk").await;
    b.click("[data-testid='exchange'] button").await;
    b.wait_path("/exchange/confirm").await;
    b.click("form input[name='sure'] ~ p button.danger").await;
    b.wait_path(&format!("/console/applications/{}", ids[0]))
        .await;
    let card = b.text("[data-testid='exchange']").await;
    assert!(card.contains("Семья подтвердила"), "{card}");
    let (_, a) = app
        .call(
            "GET",
            &format!("/v1/applications/{}", ids[0]),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(a["exchange"]["confirmed"], true, "{a}");

    // The other family sees the offer on its own page: where its child would go and from
    // which kindergarten the other child comes, never who.
    b.client
        .goto(&format!("{base}/status?lang=ru"))
        .await
        .unwrap();
    b.fill("#application_id", &ids[1]).await;
    b.fill("#child_iin", &crate::harness::child_iin(20)).await;
    b.click("form[action='/status'] button").await;
    let card = b.text("[data-testid='family-exchange']").await;
    assert!(card.contains("K1") && card.contains("Срок"), "{card}");
    assert!(!card.contains(&ids[0]), "{card}");
    scroll_to(&b, "[data-testid='family-exchange']").await;
    b.shot("status-exchange-ru-desk").await;
    b.stop().await;
}

/// The family of a child with a transfer's referral sees it on its page and confirms it from
/// there, with the link every referral has: the child keeps its seat until admitted.
#[tokio::test]
async fn a_family_confirms_its_transfers_referral_from_its_page() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let r = a["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r, KG).await;
    app.call(
        "POST",
        &format!("/v1/applications/{id}/transfer"),
        Some(PORTAL),
        Some(serde_json::json!({"preferences": ["K2"]})),
    )
    .await;
    let (s, round) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    b.client
        .goto(&format!("{base}/status?lang=ru"))
        .await
        .unwrap();
    b.fill("#application_id", &id).await;
    b.fill("#child_iin", &crate::harness::child_iin(10)).await;
    b.click("form[action='/status'] button").await;
    let line = b.text("[data-testid='transfer-referral']").await;
    assert!(line.contains("K2") && line.contains("выдано"), "{line}");
    scroll_to(&b, "[data-testid='family-transfer']").await;
    b.shot("status-transfer-referral-ru-desk").await;
    b.click("[data-testid='family-transfer'] a.button").await;
    b.wait_path_containing("/act/").await;
    b.click("a[href*='/confirm?']").await;
    b.text("form input[name='csrf']").await;
    b.click("form button[type='submit']").await;
    assert_eq!(b.text(".notice.ok").await, "Направление подтверждено.");
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(
        (&now["status"], &now["transfer"]["referral"]["status"]),
        (
            &serde_json::json!("enrolled"),
            &serde_json::json!("confirmed")
        ),
        "{now}"
    );
    b.stop().await;
}

/// A year on, the kindergarten moves its groups into the new academic year from its page
/// (asked first): the oldest group's children leave for school by name.
#[tokio::test]
async fn a_kindergarten_starts_the_new_academic_year_from_its_page() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    let body = serde_json::json!({"name": "K1", "district": "D1", "groups": [
        {"group_id": "g5", "age_years": 5, "language": "kk", "capacity": 1},
        {"group_id": "g6", "age_years": 6, "language": "kk", "capacity": 1}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    // A six-year-old admitted this year.
    let birth = jiff::civil::date(2020, 3, 1);
    let iin = (1u16..)
        .find_map(|serial| kezek_core::model::Iin::compose(birth, false, serial))
        .unwrap()
        .to_string();
    let mut child = crate::harness::application(1, None);
    child["child"]["iin"] = serde_json::json!(iin);
    let (_, six) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(child))
        .await;
    let referral = six["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&referral, KG).await;
    app.pass_days(365).await;
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, KG, "ru", "/console/kindergartens/K1").await;
    let section = b.text("[data-testid='roll-over']").await;
    assert!(section.contains("2027–2028"), "{section}");
    scroll_to(&b, "[data-testid='roll-over']").await;
    b.shot("roll-over-ru-desk").await;
    b.click("[data-testid='roll-over'] button").await;
    b.wait_path("/roll-over").await;
    b.click("form input[name='sure'] ~ p button.danger").await;
    assert_eq!(b.text(".notice.ok").await, "Выполнено");
    let section = b.text("[data-testid='roll-over']").await;
    assert!(section.contains("Группы переведены"), "{section}");
    let (_, now) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}",
                six["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(now["status"], "left", "gone to school: {now}");
    b.stop().await;
}

/// Half a year on, the district's staff compare the estimates of then with what happened:
/// the first child waiting got its seat within the range, the second waits on in range.
#[tokio::test]
async fn staff_compare_past_estimates_with_what_happened() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a1) = app.register(1, None).await;
    let r1 = a1["referral"]["referral_id"].as_str().unwrap().to_owned();
    app.admit(&r1, KG).await;
    app.register(2, None).await;
    app.register(3, None).await;
    app.pass_days(150).await;
    let today = (crate::harness::start_time() + jiff::SignedDuration::from_hours(24 * 150))
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
        .date()
        .to_string();
    let (s, v) = app
        .call(
            "POST",
            &format!(
                "/v1/kindergartens/K1/children/{}/leave",
                a1["application_id"].as_str().unwrap()
            ),
            Some(KG),
            Some(serde_json::json!({"date": today, "reason": "moved"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, r) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(
        (s, r["referrals"].as_array().map(Vec::len)),
        (201, Some(1)),
        "{r}"
    );
    app.pass_days(50).await;

    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, STAFF, "ru", "/console/districts/D1").await;
    b.click("a[href='/console/districts/D1/forecasts']").await;
    b.wait_path("/console/districts/D1/forecasts").await;
    let row = |key: &str| format!("[data-testid='forecast-check'] tr[data-row='{key}'] td");
    assert_eq!(b.text(&row("forecast_waiting")).await, "2");
    assert_eq!(b.text(&row("forecast_within")).await, "1");
    assert_eq!(b.text(&row("forecast_in_range")).await, "1");
    assert_eq!(b.text(&row("forecast_later")).await, "0");
    b.shot("forecast-check-ru-desk").await;
    b.stop().await;
}
