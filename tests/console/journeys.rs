//! Each person does their part, in a real browser: a family confirms its referral from the
//! link it was sent (a second use changes nothing); a counter's clerk files on paper with a
//! document missing and prints the receipt, then files the complete application and prints
//! its queue notification; staff find the referred child by IIN and open its application;
//! the kindergarten cannot record a no-show before the family's deadline and can after it,
//! once asked again; the auditor reads the journal of one application. Every new page is
//! screenshotted in Kazakh and Russian, at desk and phone width.

use crate::browser::Browser;
use crate::harness::{self, spawn_app, TestApp, KG, PORTAL, STAFF};
use crate::{sign_in, sign_out, DESK, PHONE};
use serde_json::{json, Value};

/// D1 and K1 named, K1 with a telephone and one seat for 4-year-olds taught in Kazakh.
async fn named_city(app: &TestApp) {
    let names = json!({"name_kk": "Алмалы ауданы", "name_ru": "Алмалинский район",
        "authority_kk": "Алмалы ауданының білім бөлімі", "authority_ru": "Отдел образования Алмалинского района"});
    let (s, v) = app
        .call("PUT", "/v1/districts/D1", Some(STAFF), Some(names))
        .await;
    assert_eq!(s, 200, "{v}");
    let kg = json!({"name": "№12 «Балдырған» бөбекжай-бақшасы", "name_ru": "Ясли-сад №12 «Балдырган»",
        "address": "Төле би көшесі, 71", "address_ru": "улица Толе би, 71", "phone": "+7 727 300 01 37",
        "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(kg))
        .await;
    assert_eq!(s, 201, "{v}");
}

/// The action link the family was sent, as a path.
async fn action_path(app: &TestApp) -> String {
    let (_, page) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let url = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["action_url"].as_str())
        .expect("the referral's link")
        .to_owned();
    url[url.find("/act/").unwrap()..].to_owned()
}

async fn head(app: &TestApp) -> Value {
    app.call("GET", "/v1/journal/head", Some(harness::AUDITOR), None)
        .await
        .1["seq"]
        .clone()
}

async fn attr(b: &Browser, css: &str, name: &str) -> String {
    b.client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The page at `path` in Kazakh and Russian, at desk and phone width, saved as
/// `{name}-{lang}-{desk|phone}`; the browser is left at the width `back`.
async fn four_ways(b: &Browser, url: &str, name: &str, back: (u32, u32)) {
    for (width, height, size) in [(DESK.0, DESK.1, "desk"), (PHONE.0, PHONE.1, "phone")] {
        b.client.set_window_size(width, height).await.unwrap();
        for lang in ["kk", "ru"] {
            let sep = if url.contains('?') { '&' } else { '?' };
            b.client
                .goto(&format!("{url}{sep}lang={lang}"))
                .await
                .unwrap();
            b.shot(&format!("{name}-{lang}-{size}")).await;
        }
    }
    b.client.set_window_size(back.0, back.1).await.unwrap();
}

async fn present(b: &Browser, css: &str) -> bool {
    b.client.find(fantoccini::Locator::Css(css)).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_does_their_part_in_the_console() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app).await;
    let base = app.base.clone();
    let (s, child) = app.register(1, None).await;
    assert_eq!(
        (s, child["status"].as_str()),
        (201, Some("referred")),
        "{child}"
    );
    let id = child["application_id"].as_str().unwrap().to_owned();
    let referral = child["referral"]["referral_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = action_path(&app).await;

    // The family, on a phone: the referral from its link, confirm asked twice, done once.
    let phone = Browser::start(PHONE.0, PHONE.1).await;
    four_ways(&phone, &format!("{base}/"), "landing", PHONE).await;
    four_ways(&phone, &format!("{base}{link}"), "act", PHONE).await;
    for lang in ["kk", "ru"] {
        phone
            .client
            .goto(&format!("{base}{link}&lang={lang}"))
            .await
            .unwrap();
        assert!(
            phone.text("[data-testid='deadline']").await.contains('.'),
            "a date"
        );
    }
    phone.click("a[href*='/confirm?']").await;
    phone.text("form input[name='csrf']").await;
    phone.shot("act-ask-ru-phone").await;
    phone.click("form button[type='submit']").await;
    assert_eq!(phone.text(".notice.ok").await, "Направление подтверждено.");
    phone.shot("act-done-ru-phone").await;
    let confirmed = head(&app).await;
    // The link again: what was done, and nothing to do.
    phone
        .client
        .goto(&format!("{base}{link}&lang=ru"))
        .await
        .unwrap();
    phone.text("[data-testid='referral-status']").await;
    assert!(
        !present(&phone, "a[href*='/confirm?']").await,
        "no second confirmation"
    );
    assert_eq!(head(&app).await, confirmed, "a second use changes nothing");
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(now["referral"]["status"], "confirmed", "{now}");
    phone.stop().await;

    // The family's page on a desk: the next step and every document, by the number typed in
    // small letters.
    let b = Browser::start(DESK.0, DESK.1).await;
    for (lang, (width, height, size)) in [
        ("kk", (DESK.0, DESK.1, "desk")),
        ("ru", (DESK.0, DESK.1, "desk")),
        ("kk", (PHONE.0, PHONE.1, "phone")),
        ("ru", (PHONE.0, PHONE.1, "phone")),
    ] {
        b.client.set_window_size(width, height).await.unwrap();
        b.client
            .goto(&format!("{base}/status?lang={lang}"))
            .await
            .unwrap();
        b.fill("#application_id", &id.to_lowercase()).await;
        b.fill("#child_iin", &harness::child_iin(10)).await;
        b.click("form[action='/status'] button").await;
        b.text("[data-testid='next-step']").await;
        assert!(present(&b, "[data-testid='documents']").await);
        b.shot(&format!("status-next-{lang}-{size}")).await;
    }
    b.client.set_window_size(DESK.0, DESK.1).await.unwrap();

    // A clerk files on paper: a document missing, then complete; each prints.
    sign_in(
        &b,
        &base,
        harness::CLERK,
        "ru",
        "/console/districts/D1/queue",
    )
    .await;
    b.click("a[href^='/console/file']").await;
    b.wait_path("/console/file").await;
    let fill = |n: u16| {
        let b = &b;
        async move {
            b.fill("#child-iin", &harness::child_iin(n)).await;
            b.fill("#child-name", "Айлин Бекова").await;
            b.fill("#applicant-iin", "880101300123").await;
            b.fill("#applicant-name", "Дана Бекова").await;
        }
    };
    fill(200).await;
    b.shot("file-form-ru-desk").await;
    b.click("form[data-testid='filing'] button[type='submit']")
        .await;
    b.text("[data-testid='missing']").await;
    b.shot("file-refused-ru-desk").await;
    let receipt = attr(&b, "[data-testid='print'] a[hreflang='ru']", "href").await;
    let pdf = app
        .http
        .get(format!("{base}{receipt}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    b.click("a[href^='/console/file?district=']").await;
    fill(200).await;
    for d in ["applicant_id", "address_proof"] {
        b.click(&format!("input[name='documents'][value='{d}']"))
            .await;
    }
    b.click("form[data-testid='filing'] button[type='submit']")
        .await;
    b.text("[data-testid='filed']").await;
    b.shot("file-ok-ru-desk").await;
    let notification = attr(&b, "[data-testid='print'] a[hreflang='kk']", "href").await;
    let pdf = app
        .http
        .get(format!("{base}{notification}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    four_ways(&b, &format!("{base}/console/file"), "file-form", DESK).await;
    sign_out(&b).await;

    // Staff find the referred child by IIN and open the whole application.
    sign_in(&b, &base, STAFF, "kk", "/console/districts/D1").await;
    b.fill("#needle", &harness::child_iin(10)).await;
    b.click("form[action='/console/find'] button").await;
    b.wait_path(&format!("/console/applications/{id}")).await;
    assert!(b.text("[data-testid='casefile']").await.contains("Aruzhan"));
    four_ways(
        &b,
        &format!("{base}/console/applications/{id}"),
        "casefile",
        DESK,
    )
    .await;
    sign_out(&b).await;

    // The kindergarten: no no-show while the family may still come; after its deadline,
    // asked again, then done.
    sign_in(&b, &base, KG, "ru", "/console/kindergartens/K1").await;
    let card = format!("article[data-referral='{referral}']");
    b.text(&card).await;
    assert!(!present(&b, &format!("{card} form[action$='/no-show']")).await);
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/no-show"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("deadline_not_passed")));
    four_ways(
        &b,
        &format!("{base}/console/kindergartens/K1"),
        "kindergarten-cards",
        DESK,
    )
    .await;
    let deadline: jiff::Timestamp = now["referral"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.clock
        .advance(deadline.as_second() - app.app.now().as_second() + 3600);
    // Days later: the head signs in again (a session lasts a working day).
    sign_in(&b, &base, KG, "ru", "/console/kindergartens/K1").await;
    let (_, listed) = app
        .call("GET", "/v1/kindergartens/K1/referrals", Some(KG), None)
        .await;
    assert!(
        listed["referrals"][0]["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "no_show")),
        "{listed} at {}",
        app.app.now()
    );
    b.click(&format!("{card} form[action$='/no-show'] button"))
        .await;
    b.text("form input[name='sure']").await;
    b.shot("kindergarten-noshow-ask-ru-desk").await;
    b.click("form button.danger").await;
    assert_eq!(b.text(".notice.ok").await, "Выполнено");
    let (_, after) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(after["status"], "queued", "back in the queue: {after}");
    sign_out(&b).await;

    // The auditor reads the journal of that application, newest first.
    sign_in(&b, &base, harness::AUDITOR, "ru", "/console").await;
    b.client
        .goto(&format!("{base}/console/audit?lang=ru"))
        .await
        .unwrap();
    b.fill("#application", &id).await;
    b.click("form[data-testid='journal-filter'] button").await;
    let journal = b.text("[data-testid='journal']").await;
    assert!(journal.contains("ребёнок не пришёл"), "{journal}");
    assert!(journal.contains(&id), "{journal}");
    four_ways(
        &b,
        &format!("{base}/console/audit?application={id}"),
        "audit-filter",
        DESK,
    )
    .await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_names_an_official_and_records_that_they_left() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    named_city(&app).await;
    let base = app.base.clone();
    let new = kezek_app::keys::NewKey {
        role: kezek_app::Role::Admin,
        scope: Vec::new(),
        expires: None,
        official: None,
    };
    let authority = kezek_app::keys::authority::Authority::from_seed([7; 32]);
    let (_, admin) =
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now()).unwrap();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, &admin, "kk", "/console").await;
    b.click("a[href='/console/officials']").await;
    b.wait_path("/console/officials").await;
    for (field, value) in [
        ("#official_id", "head"),
        ("#name", "Айгүл Серікқызы Әбенова"),
        ("#iin", "880101300123"),
        ("#position_kk", "Білім бөлімінің басшысы"),
        ("#position_ru", "Руководитель отдела образования"),
        ("#organisation", "D1"),
    ] {
        b.fill(field, value).await;
    }
    b.click("input[name='signs']").await;
    b.click("form[data-testid='name-official'] button[type='submit']")
        .await;
    let card = b.text("article[data-official='head']").await;
    assert!(
        card.contains("Айгүл Серікқызы Әбенова") && card.contains("district:D1"),
        "{card}"
    );
    four_ways(&b, &format!("{base}/console/officials"), "officials", DESK).await;
    b.client
        .goto(&format!("{base}/console/officials?lang=ru"))
        .await
        .unwrap();
    b.click("article[data-official='head'] form button").await;
    b.text("form input[name='sure']").await;
    b.shot("officials-leave-ask-ru-desk").await;
    b.click("form button.danger").await;
    b.wait_path("/console/officials").await;
    let card = b.text("article[data-official='head']").await;
    assert!(card.contains("Дата ухода с должности"), "{card}");
    assert!(
        !present(&b, "article[data-official='head'] form").await,
        "who left cannot leave again"
    );
    let (_, listed) = app
        .call("GET", "/v1/officials", Some(harness::AUDITOR), None)
        .await;
    assert!(listed[0]["left_at"].is_string(), "{listed}");
    b.stop().await;
}
