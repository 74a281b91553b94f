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
    for (what, token) in [("confirm", PORTAL), ("enroll", KG)] {
        let (s, v) = app
            .call(
                "POST",
                &format!("/v1/referrals/{r}/{what}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
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
