//! The console in a real browser: Chromium from Debian, driven over `WebDriver`, against the
//! service on 127.0.0.1:0 (the wiring `kezek serve` runs, with the API tests' harness). Every
//! page is screenshotted into `target/console/` in Kazakh and Russian, at desk and phone width.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "a test: a panic is a failed test"
)]

#[path = "../api/harness.rs"]
#[allow(dead_code, reason = "shared with the API tests, which use all of it")]
mod harness;

mod browser;
mod cases;
mod files;
mod joint;
mod journeys;
mod public;
mod transfers;

use browser::Browser;
use harness::{spawn_app, TestApp, KG, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

const DESK: (u32, u32) = (1280, 1000);
const PHONE: (u32, u32) = (390, 844);

/// A child referred to K1 (its seat free) and confirmed, and one waiting: (referred, waiting).
async fn city(app: &TestApp) -> (Value, Value) {
    app.kindergarten("K1", "D1", 1).await;
    let (s, referred) = app.register(1, None).await;
    assert_eq!(
        (s, referred["status"].as_str()),
        (201, Some("referred")),
        "{referred}"
    );
    let (s, waiting) = app.register(2, Some("large_family")).await;
    assert_eq!(
        (s, waiting["status"].as_str()),
        (201, Some("queued")),
        "{waiting}"
    );
    let referral = referred["referral"]["referral_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    (referred, waiting)
}

/// Signs in and waits for the key's own page (its path ends with `lands`).
async fn sign_in(b: &Browser, base: &str, token: &str, lang: &str, lands: &str) {
    b.client
        .goto(&format!("{base}/console/sign-in?lang={lang}"))
        .await
        .unwrap();
    b.fill("#token", token).await;
    b.click("form[action='/console/sign-in'] button").await;
    b.wait_path(lands).await;
}

async fn sign_out(b: &Browser) {
    b.click("form.signout button").await;
    b.wait_path("/console/sign-in").await;
}

/// The texts of the cards (`article`) under `data-testid="{testid}"`.
async fn cards(b: &Browser, testid: &str) -> Vec<String> {
    b.text(&format!("[data-testid='{testid}']")).await;
    let found = b
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "[data-testid='{testid}'] article"
        )))
        .await
        .unwrap();
    let mut out = Vec::new();
    for card in found {
        out.push(card.text().await.unwrap());
    }
    out
}

/// The numbers of a table's rows, by their header cell.
async fn table(b: &Browser, testid: &str) -> Vec<Vec<String>> {
    b.text(&format!("[data-testid='{testid}']")).await;
    let rows = b
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "[data-testid='{testid}'] tbody tr"
        )))
        .await
        .unwrap();
    let mut out = Vec::new();
    for row in rows {
        let cells = row
            .find_all(fantoccini::Locator::Css("th, td"))
            .await
            .unwrap();
        let mut texts = Vec::new();
        for c in cells {
            texts.push(c.text().await.unwrap());
        }
        out.push(texts);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_a_kindergarten_and_a_family_use_the_console() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    let (referred, waiting) = city(&app).await;
    // A third child, behind the second in the same queue.
    let (s, third) = app.register(3, None).await;
    assert_eq!(
        (s, third["status"].as_str()),
        (201, Some("queued")),
        "{third}"
    );
    let third_id = third["application_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;

    // Staff sign in and land on their district's dashboard; its numbers are the API's.
    sign_in(&b, &base, STAFF, "kk", "/console/districts/D1").await;
    assert!(b
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/districts/D1"));
    let seq: u64 = b.text("[data-testid='as-of-seq']").await.parse().unwrap();
    let (_, stats) = app
        .call("GET", "/v1/districts/D1/stats", Some(STAFF), None)
        .await;
    assert_eq!(stats["as_of_seq"], seq, "read at the same seq");
    let kindergartens = table(&b, "seats").await;
    let total = kindergartens.last().unwrap();
    let s = &stats["seats"];
    assert_eq!(
        total[1..].to_vec(),
        [&s["capacity"], &s["enrolled"], &s["reserved"], &s["free"]]
            .map(ToString::to_string)
            .to_vec()
    );
    let by_age = table(&b, "queued-by-age").await;
    let queued: u64 = by_age
        .iter()
        .map(|r| r.last().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(queued, stats["queued"]["total"].as_u64().unwrap());
    let body = b.body().await;
    assert!(body.contains(&stats["referrals_outstanding"].to_string()));
    let weekly = table(&b, "weekly").await;
    let api_weeks = stats["weekly"].as_array().unwrap();
    assert_eq!(weekly.len(), api_weeks.len());
    for (row, week) in weekly.iter().zip(api_weeks) {
        assert_eq!(
            (row[1].as_str(), row[2].as_str()),
            (
                week["registrations"].to_string().as_str(),
                week["referrals"].to_string().as_str()
            ),
            "{week}"
        );
    }
    assert_eq!(
        weekly.last().unwrap()[1],
        "3",
        "three registrations this week"
    );
    b.shot("dashboard-kk-desk").await;
    b.client
        .goto(&format!("{base}/console/districts/D1?lang=ru"))
        .await
        .unwrap();
    assert!(b.body().await.contains("Показатели района"));
    b.shot("dashboard-ru-desk").await;

    // A new kindergarten from the dashboard; a group with a referral cannot change its age,
    // said in words, the form keeping what was typed.
    b.client
        .goto(&format!("{base}/console/districts/D1?lang=ru"))
        .await
        .unwrap();
    b.click("a[href='/console/districts/D1/kindergartens']")
        .await;
    b.wait_path("/console/districts/D1/kindergartens").await;
    b.fill("#id", "K2").await;
    b.fill("#name", "№7 «Айгөлек» бөбекжай-бақшасы").await;
    b.fill("#name_ru", "Ясли-сад №7 «Айгулек»").await;
    b.fill("input[name='group_0']", "g5").await;
    b.fill("input[name='age_0']", "5").await;
    b.fill("input[name='capacity_0']", "20").await;
    b.shot("kindergarten-new-ru-desk").await;
    b.click("form[action='/console/districts/D1/kindergartens'] button[type='submit']")
        .await;
    b.wait_path("/console/places/K2").await;
    let (s, k2) = app
        .call("GET", "/v1/kindergartens/K2", Some(STAFF), None)
        .await;
    assert_eq!(
        (s, k2["name_ru"].as_str()),
        (200, Some("Ясли-сад №7 «Айгулек»")),
        "{k2}"
    );
    assert_eq!(k2["groups"][0]["capacity"], 20);
    b.client
        .goto(&format!("{base}/console/districts/D1/kindergartens?id=K1"))
        .await
        .unwrap();
    b.fill("input[name='age_1']", "5").await;
    b.click("form[action='/console/districts/D1/kindergartens'] button[type='submit']")
        .await;
    let refused = b.text(".notice.problem").await;
    assert!(refused.contains("направления"), "{refused}");
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("input[name='age_1']"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("5"),
        "the form keeps what was typed"
    );
    b.shot("kindergarten-refused-ru-desk").await;

    // The queue explorer: the waiting child, numbered as the API numbers her; found by IIN.
    let waiting_id = waiting["application_id"].as_str().unwrap();
    b.client
        .goto(&format!(
            "{base}/console/districts/D1/queue?age=4&language=kk&lang=kk"
        ))
        .await
        .unwrap();
    let rows = table(&b, "queue").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], third_id);
    assert_eq!(
        (rows[0][0].as_str(), rows[0][1].as_str()),
        ("1", waiting_id)
    );
    b.shot("queue-kk-desk").await;
    b.fill("#find", &harness::child_iin(20)).await;
    b.click("form[role='search'] button").await;
    b.wait_path("/console/districts/D1/queue").await;
    let rows = table(&b, "queue").await;
    assert_eq!(rows[0][1], waiting_id);

    // Why she would not be referred now: K1's group for her age has no free seat.
    b.client
        .goto(&format!(
            "{base}/console/districts/D1/allocation?why={waiting_id}&lang=ru"
        ))
        .await
        .unwrap();
    let why = b.text("[data-testid='why']").await;
    assert!(why.contains("не получит направление"), "{why}");
    let k1 = b
        .text("[data-testid='why'] li[data-kindergarten='K1']")
        .await;
    assert!(
        k1.contains("в группе нет свободных мест") && k1.contains("g4"),
        "{k1}"
    );
    b.shot("allocation-why-ru-desk").await;

    // The worklist: her priority claim, checked here with a reason.
    b.client
        .goto(&format!("{base}/console/districts/D1/worklists?lang=ru"))
        .await
        .unwrap();
    let claims = table(&b, "claims").await;
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert!(claims[0][1].contains("Многодетная семья"), "{claims:?}");
    b.shot("worklists-ru-desk").await;
    b.fill(
        &format!("#reason-{waiting_id}"),
        "Удостоверение многодетной семьи проверено",
    )
    .await;
    b.click(&format!(
        "tr[data-application='{waiting_id}'] button[value='verified']"
    ))
    .await;
    assert_eq!(b.text(".notice.ok").await, "Выполнено");
    let (_, w) = app
        .call(
            "GET",
            &format!("/v1/applications/{waiting_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(w["priority_status"], "verified", "{w}");
    sign_out(&b).await;
    assert!(b
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/sign-in"));
    b.shot("sign-in-ru-desk").await;

    // The kindergarten sees the child by name and age, and admits her.
    sign_in(&b, &base, KG, "kk", "/console/kindergartens/K1").await;
    assert!(b
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/kindergartens/K1"));
    let referral = referred["referral"]["referral_id"].as_str().unwrap();
    let cards = cards(&b, "referrals").await;
    assert_eq!(cards.len(), 1);
    assert!(cards[0].contains("Aruzhan"), "{cards:?}");
    b.shot("kindergarten-kk-desk").await;
    b.click(&format!(
        "article[data-referral='{referral}'] form[action$='/enroll'] button"
    ))
    .await;
    // The click returns before the answer's page: wait for its notice.
    assert!(
        b.text(".notice.ok").await.contains("Орындалды"),
        "the decision is confirmed"
    );
    let (_, after) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}",
                referred["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(after["status"], "enrolled", "{after}");
    b.client
        .goto(&format!("{base}/console/kindergartens/K1?lang=ru"))
        .await
        .unwrap();
    b.shot("kindergarten-ru-desk").await;

    // The child's family moves away: the kindergarten records the leaving by name, is asked
    // first, and the seat is free with the journal saying whose it was.
    let left_id = referred["application_id"].as_str().unwrap();
    b.click(&format!("li:has(form[action$='/{left_id}/leave']) summary"))
        .await;
    b.click(&format!("#reason-{left_id} option[value='family_request']"))
        .await;
    b.shot("kindergarten-leave-ru-desk").await;
    b.click(&format!("form[action$='/{left_id}/leave'] button"))
        .await;
    b.wait_path(&format!("/children/{left_id}/leave")).await;
    assert!(
        b.text(".question").await.contains("Отметить выбытие"),
        "asked first"
    );
    b.shot("kindergarten-leave-sure-ru-desk").await;
    b.click("form input[name='sure'] ~ p button.danger").await;
    assert_eq!(b.text(".notice.ok").await, "Выполнено");
    let (_, gone) = app
        .call(
            "GET",
            &format!("/v1/applications/{left_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(gone["status"], "left", "{gone}");
    let (_, kids) = app
        .call(
            "GET",
            "/v1/kindergartens/K1/referrals?status=enrolled",
            Some(KG),
            None,
        )
        .await;
    assert_eq!(
        kids["referrals"],
        json!([]),
        "the child is no longer the kindergarten's"
    );
    sign_out(&b).await;

    // The waiting child's page before the round: a queue number and who is ahead.
    b.client
        .goto(&format!("{base}/status?lang=ru"))
        .await
        .unwrap();
    b.fill(
        "#application_id",
        waiting["application_id"].as_str().unwrap(),
    )
    .await;
    b.fill("#child_iin", &harness::child_iin(20)).await;
    b.click("form[action='/status'] button").await;
    assert_eq!(b.text("[data-testid='queue-number']").await, "1");
    // The one seat K1 gave this cohort this quarter: a turn not before a quarter from now,
    // and no latest day the data could name.
    let forecast = b.text("[data-testid='forecast']").await;
    assert!(forecast.contains("не раньше"), "{forecast}");
    b.shot("status-queued-ru-desk").await;

    // The seat at K1 is free: staff see it, preview the round (nothing journaled), run it,
    // and the round's page shows the waiting child referred.
    sign_in(&b, &base, STAFF, "kk", "/console/districts/D1").await;
    b.click("[data-testid='seats'] a[href='/console/places/K1']")
        .await;
    b.wait_path("/console/places/K1").await;
    b.shot("places-kk-desk").await;
    assert_eq!(
        b.text("article[data-group='g4'] [data-testid='free']")
            .await,
        "1"
    );
    let (_, k1) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    let g4 = k1["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_id"] == "g4")
        .unwrap()
        .clone();
    assert_eq!(
        (g4["enrolled"].as_u64(), g4["free"].as_u64()),
        (Some(0), Some(1)),
        "{g4}"
    );
    let head = app
        .call("GET", "/v1/journal/head", Some(harness::AUDITOR), None)
        .await
        .1["seq"]
        .clone();
    b.client
        .goto(&format!("{base}/console/districts/D1/allocation"))
        .await
        .unwrap();
    let preview = table(&b, "preview").await;
    assert_eq!(preview.len(), 1, "{preview:?}");
    assert!(preview[0][0].contains(waiting_id), "{preview:?}");
    let after_preview = app
        .call("GET", "/v1/journal/head", Some(harness::AUDITOR), None)
        .await
        .1["seq"]
        .clone();
    assert_eq!(head, after_preview, "a preview journals nothing");
    b.shot("allocation-kk-desk").await;
    b.fill("#why", waiting_id).await;
    b.click("form[method='get'][action$='/allocation'] button")
        .await;
    let why = b.text("[data-testid='why'] h3").await;
    assert!(why.contains("жолдама алады"), "{why}");
    b.click("form[method='post'][action$='/allocation'] button")
        .await;
    // Nothing irreversible by one click: the round asks again, and runs only then.
    b.text("form input[name='sure']").await;
    assert_eq!(
        app.call("GET", "/v1/journal/head", Some(harness::AUDITOR), None)
            .await
            .1["seq"],
        after_preview,
        "asking journals nothing"
    );
    b.shot("allocation-sure-kk-desk").await;
    b.click("form[method='post'][action$='/allocation'] button.danger")
        .await;
    b.wait_path_containing("/console/rounds/").await;
    let round = table(&b, "round").await;
    assert!(
        round.len() == 1 && round[0][0].contains(waiting_id),
        "{round:?}"
    );
    b.shot("round-kk-desk").await;
    let (_, now) = app
        .call(
            "GET",
            &format!("/v1/applications/{waiting_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(now["status"], "referred", "{now}");
    let round_path = b.client.current_url().await.unwrap().path().to_owned();
    // Why the third child got nothing in this round: the seat went to the child ahead.
    b.fill("#why", &third_id).await;
    b.click("form[method='get'] button").await;
    let why = b.text("[data-testid='why'] h3").await;
    assert!(why.contains("жолдама алмады"), "{why}");
    let k1 = b
        .text("[data-testid='why'] li[data-kindergarten='K1']")
        .await;
    assert!(k1.contains(waiting_id), "{k1}");
    b.shot("round-why-kk-desk").await;
    sign_out(&b).await;

    // Her family confirms on the portal; the kindergarten admits her in the console.
    let second = now["referral"]["referral_id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{second}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    sign_in(&b, &base, KG, "ru", "/console/kindergartens/K1").await;
    b.click(&format!(
        "article[data-referral='{second}'] form[action$='/enroll'] button"
    ))
    .await;
    assert_eq!(b.text(".notice.ok").await, "Выполнено");
    sign_out(&b).await;

    // The families: number and IIN in a form; the page says where each child stands (the
    // first left its kindergarten, the second is enrolled) and links the documents.
    let families = [
        (
            &referred,
            10,
            ("балабақшадан шықты", "выбыл из детского сада"),
            "left",
        ),
        (
            &waiting,
            20,
            ("балабақшаға қабылданды", "зачислен"),
            "enrolled",
        ),
    ];
    for (family, n, (kk, ru), status) in families {
        for lang in ["kk", "ru"] {
            b.client
                .goto(&format!("{base}/status?lang={lang}"))
                .await
                .unwrap();
            b.shot(&format!("status-form-{lang}-desk")).await;
            b.fill(
                "#application_id",
                family["application_id"].as_str().unwrap(),
            )
            .await;
            b.fill("#child_iin", &harness::child_iin(n)).await;
            b.click("form[action='/status'] button").await;
            let word = b.text("[data-testid='status-word']").await;
            assert_eq!(word, if lang == "kk" { kk } else { ru });
            b.shot(&format!("status-{status}-{lang}-desk")).await;
        }
    }
    let link = b
        .client
        .find(fantoccini::Locator::Css(
            "a[hreflang='ru'][href^='/status/documents/']",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pdf = app.http.get(format!("{base}{link}")).send().await.unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(pdf.headers()["cache-control"], "no-store");
    // The auditor: the signed head is the API's, and an audit run from here finds every
    // record, round and document in order.
    sign_in(&b, &base, harness::AUDITOR, "ru", "/console").await;
    b.client
        .goto(&format!("{base}/console/audit"))
        .await
        .unwrap();
    let (_, head) = app
        .call("GET", "/v1/journal/head", Some(harness::AUDITOR), None)
        .await;
    assert_eq!(
        b.text("[data-testid='head-seq']").await,
        head["seq"].to_string()
    );
    b.click("form[action='/console/audit'] button").await;
    let audited = b.text("[data-testid='audit'].ok").await;
    assert!(audited.starts_with("Всё сходится"), "{audited}");
    let documents = b.text("[data-testid='audit-documents']").await;
    assert!(
        documents.starts_with("Документов выпущено заново и совпало: "),
        "{documents}"
    );
    let journal = table(&b, "journal").await;
    assert_eq!(journal.len().to_string(), head["seq"].to_string());
    b.shot("audit-ru-desk").await;
    sign_out(&b).await;
    b.stop().await;

    // Every page, in both languages, at a desk's and at a phone's width, for a person to
    // look at.
    let staff_pages = [
        ("dashboard", "/console/districts/D1".to_owned()),
        (
            "queue",
            "/console/districts/D1/queue?age=4&language=kk".to_owned(),
        ),
        ("worklists", "/console/districts/D1/worklists".to_owned()),
        ("allocation", "/console/districts/D1/allocation".to_owned()),
        ("places", "/console/places/K1".to_owned()),
        (
            "edit",
            "/console/districts/D1/kindergartens?id=K1".to_owned(),
        ),
        ("round", round_path.clone()),
    ];
    for (size, (w, h)) in [("desk", DESK), ("phone", PHONE)] {
        let browser = Browser::start(w, h).await;
        for lang in ["kk", "ru"] {
            browser
                .client
                .goto(&format!("{base}/status?lang={lang}"))
                .await
                .unwrap();
            browser.shot(&format!("status-form-{lang}-{size}")).await;
            browser
                .client
                .goto(&format!("{base}/console/sign-in?lang={lang}"))
                .await
                .unwrap();
            browser.shot(&format!("sign-in-{lang}-{size}")).await;
            sign_in(&browser, &base, STAFF, lang, "/console/districts/D1").await;
            for (name, path) in &staff_pages {
                browser.client.goto(&format!("{base}{path}")).await.unwrap();
                browser.text("main h1").await;
                browser.shot(&format!("{name}-{lang}-{size}")).await;
            }
            sign_out(&browser).await;
            for (token, lands, name) in [
                (KG, "/console/kindergartens/K1", "kindergarten"),
                (harness::AUDITOR, "/console", "auditor-home"),
            ] {
                sign_in(&browser, &base, token, lang, lands).await;
                browser.shot(&format!("{name}-{lang}-{size}")).await;
                sign_out(&browser).await;
            }
            sign_in(&browser, &base, harness::AUDITOR, lang, "/console").await;
            browser
                .client
                .goto(&format!("{base}/console/audit"))
                .await
                .unwrap();
            browser.shot(&format!("audit-{lang}-{size}")).await;
            sign_out(&browser).await;
        }
        browser.stop().await;
    }
}

/// A session cookie for `token`, as the browser would get it.
async fn session(app: &TestApp, token: &str) -> String {
    let res = app.post_sign_in(token).await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_console_keeps_the_apis_scopes_and_refuses_forged_forms() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    let (referred, waiting) = city(&app).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, cookie: &str| {
        http.get(format!("{}{path}", app.base))
            .header("cookie", cookie.to_owned())
            .send()
    };
    // Another district's staff sees nothing of D1.
    let d2 = session(&app, STAFF_D2).await;
    let res = get("/console/districts/D1", &d2).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(!res.text().await.unwrap().contains("Aruzhan"));
    // Nor does a kindergarten's key open a dashboard, or staff a kindergarten's page.
    let kg = session(&app, KG).await;
    assert_eq!(
        get("/console/districts/D1", &kg).await.unwrap().status(),
        403
    );
    let staff = session(&app, STAFF).await;
    assert_eq!(
        get("/console/kindergartens/K1", &staff)
            .await
            .unwrap()
            .status(),
        403
    );
    // A bad token does not sign in; no session, no page.
    let res = app.post_sign_in("kz_not-a-key").await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    let res = http
        .get(format!("{}/console/districts/D1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["location"].to_str().unwrap()
        ),
        (303, "/console/sign-in")
    );
    // A decision posted without the session's CSRF token changes nothing.
    let referral = referred["referral"]["referral_id"].as_str().unwrap();
    for csrf in ["", "0123"] {
        let res = http
            .post(format!("{}/console/referrals/{referral}/enroll", app.base))
            .header("cookie", kg.clone())
            .form(&[("csrf", csrf), ("kindergarten", "K1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    let (_, a) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}",
                referred["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(a["status"], "referred", "nothing was decided: {a}");
    // A counter's clerk lands on its district's queue, and may read it.
    let clerk = session(&app, harness::CLERK).await;
    let res = get("/console", &clerk).await.unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/console/districts/D1/queue"
    );
    let res = get("/console/districts/D1/queue?age=4&language=kk", &clerk)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(waiting["application_id"].as_str().unwrap()),
        "{page}"
    );
    // Any other console path is an HTML page saying so.
    let res = get("/console/nothing/here", &kg).await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // A forged session cookie is no session.
    // The MAC's last hex digit changed.
    let mut forged = kg.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let res = get("/console/kindergartens/K1", &forged).await.unwrap();
    assert_eq!(res.status(), 303);
    // A session lasts eight hours.
    app.clock.advance(8 * 3600 - 60);
    assert_eq!(
        get("/console/kindergartens/K1", &kg)
            .await
            .unwrap()
            .status(),
        200
    );
    app.clock.advance(120);
    let res = get("/console/kindergartens/K1", &kg).await.unwrap();
    assert_eq!(res.status(), 303, "an expired session signs in again");
    // Revoking a key ends its sessions: the next request after the service took the
    // revocation in is signed out.
    let kg = session(&app, KG).await;
    assert_eq!(
        get("/console/kindergartens/K1", &kg)
            .await
            .unwrap()
            .status(),
        200
    );
    kezek_app::keys::revoke(
        store.as_ref(),
        &kezek_app::keys::authority::Authority::from_seed([7; 32]),
        "key-kindergarten-K1",
        app.app.now(),
    )
    .unwrap();
    app.app.sync_keys().await.unwrap();
    assert_eq!(
        get("/console/kindergartens/K1", &kg)
            .await
            .unwrap()
            .status(),
        303
    );
}

#[tokio::test]
async fn a_wrong_iin_shows_nothing_and_lookups_are_limited() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    let (referred, _) = city(&app).await;
    let id = referred["application_id"].as_str().unwrap();
    let look = |iin: String| {
        let (app, id) = (&app, id.to_owned());
        async move {
            let res = app
                .http
                .post(format!("{}/status", app.base))
                .form(&[("application_id", id.as_str()), ("child_iin", iin.as_str())])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (s, page) = look(harness::child_iin(20)).await;
    assert_eq!(s, 404);
    assert!(
        !page.contains("Aruzhan") && !page.contains("K1"),
        "nothing of the application"
    );
    let mut statuses = vec![s];
    for _ in 0..12 {
        statuses.push(look(harness::child_iin(10)).await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    assert!(statuses[..10].iter().all(|s| *s != 429), "{statuses:?}");
    let _ = json!(null);
}

#[tokio::test]
async fn a_family_sees_each_change_of_the_number_with_its_date_and_cause() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, first) = app.register(1, None).await;
    app.advance_days(1);
    let (_, second) = app.register(2, None).await;
    assert_eq!(second["queue_number"], 2);
    app.advance_days(2);
    let (s, _) = app
        .call(
            "POST",
            &format!(
                "/v1/applications/{}/withdraw",
                first["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let page = app
        .http
        .post(format!("{}/status?lang=ru", app.base))
        .form(&[
            ("application_id", second["application_id"].as_str().unwrap()),
            ("child_iin", harness::child_iin(20).as_str()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The withdrawal three days after the start (09:00 local on 1 September 2026).
    assert!(
        page.contains("04.09.2026 09:00 — № 2 → 1 (Выбыли впереди)"),
        "{page}"
    );
}
