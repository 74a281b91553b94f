//! The departments' other services in a real browser: for each service, a clerk (or a
//! department's staff) files at the counter through the form generated from its definition,
//! the organisation's head names the executor, the executor drafts, the head signs (asked
//! again) and, for a paper result, records the hand-over; one case goes to a reasoned
//! refusal. The new pages are shot in Kazakh and Russian, at desk and phone width.

use crate::browser::Browser;
use crate::harness::{spawn_app, CLERK, STAFF};
use crate::{sign_in, sign_out, DESK, PHONE};
use kezek_app::keys::authority::Authority;
use kezek_app::keys::NewKey;
use kezek_app::Role;
use serde_json::{json, Value};

/// Sets the value of input `id` as a script would (a date input takes no typing).
async fn set(b: &Browser, id: &str, value: &str) {
    b.client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

/// Fills the generated form of a service, as a clerk would.
async fn fill_form(b: &Browser, fields: &Value) {
    let child_iin = kezek_core::model::Iin::compose(jiff::civil::date(2019, 5, 1), true, 3)
        .unwrap()
        .to_string();
    set(b, "applicant-iin", "880101300123").await;
    set(b, "applicant-name", "Дана Бекова").await;
    for f in fields.as_array().unwrap() {
        let key = f["key"].as_str().unwrap();
        match f["kind"].as_str().unwrap() {
            "choice" => {}
            "person" => {
                set(b, &format!("form-{key}-name"), "Дана Бекова").await;
                set(b, &format!("form-{key}-iin"), "880101300123").await;
            }
            "child" => {
                set(b, &format!("form-{key}-name"), "Аружан Бекова").await;
                set(b, &format!("form-{key}-iin"), &child_iin).await;
                set(b, &format!("form-{key}-birth_date"), "2019-05-01").await;
            }
            "number" => {
                set(
                    b,
                    &format!("form-{key}"),
                    &f["min"].as_i64().unwrap_or(1).to_string(),
                )
                .await;
            }
            "date" => set(b, &format!("form-{key}"), "2019-05-01").await,
            "iin" => set(b, &format!("form-{key}"), "880101300123").await,
            _ => set(b, &format!("form-{key}"), "Абай көшесі, 7").await,
        }
    }
    let boxes = b
        .client
        .find_all(fantoccini::Locator::Css("input[name='documents']"))
        .await
        .unwrap();
    for checkbox in boxes {
        checkbox.click().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_is_filed_worked_and_issued_in_the_console() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    app.app.journal_definitions().await.unwrap();
    app.kindergarten("K1", "D1", 1).await;
    let school = json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let (s, _) = app
        .call("PUT", "/v1/organisations/SCH1", Some(STAFF), Some(school))
        .await;
    assert_eq!(s, 200);
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role, org: &str| {
        let new = NewKey {
            role,
            scope: vec![org.to_owned()],
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let keys: std::collections::BTreeMap<&str, (String, String)> = ["D1", "SCH1"]
        .into_iter()
        .map(|org| (org, (key(Role::Head, org), key(Role::Executor, org))))
        .collect();
    let (_, services) = app.call("GET", "/v1/services", None, None).await;
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    let mut shot = false;
    for (n, service) in services.as_array().unwrap().iter().skip(1).enumerate() {
        let id = service["service"].as_str().unwrap();
        let org = if service["provider"] == "school" {
            "SCH1"
        } else {
            "D1"
        };
        let (head, executor) = keys[org].clone();
        // The district's services are filed by its staff at the office, a school's by a clerk.
        let (filer, lands) = if org == "D1" {
            (STAFF, "/console/districts/D1")
        } else {
            (CLERK, "/console/districts/D1/queue")
        };
        let refuse = n == 0;
        sign_in(&b, &base, filer, "ru", lands).await;
        b.client
            .goto(&format!("{base}/console/cases/new?service={id}&lang=ru"))
            .await
            .unwrap();
        set(&b, "provider", org).await;
        fill_form(&b, &service["fields"]).await;
        if !shot {
            b.shot("case-form-ru-desk").await;
        }
        b.click("form[data-testid='case-filing'] button[type='submit']")
            .await;
        b.wait_path_containing("/console/cases/KZC").await;
        let url = b.client.current_url().await.unwrap();
        let case_path = url.path().to_owned();
        assert_eq!(
            b.text("[data-testid='case-status']").await,
            "ожидает резолюции руководителя",
            "{id}"
        );
        sign_out(&b).await;

        sign_in(&b, &base, &head, "ru", "/console").await;
        b.client.goto(&format!("{base}{case_path}")).await.unwrap();
        b.fill("#executor", "executor-1").await;
        b.click("form[data-testid='assign'] button").await;
        b.text(".notice.ok").await;
        sign_out(&b).await;

        sign_in(&b, &base, &executor, "ru", "/console").await;
        b.client.goto(&format!("{base}{case_path}")).await.unwrap();
        if refuse {
            b.click("input[name='outcome'][value='refused']").await;
            b.click("input[name='grounds']").await;
            b.fill("#note", "Құжаттар толық емес").await;
            b.click("form[data-testid='draft'] button").await;
            b.text("form input[name='sure']").await;
            b.click("form button.danger").await;
        } else {
            b.click("form[data-testid='draft'] button").await;
        }
        b.text(".notice.ok").await;
        sign_out(&b).await;

        sign_in(&b, &base, &head, "ru", "/console").await;
        b.client.goto(&format!("{base}{case_path}")).await.unwrap();
        b.click("form[data-testid='sign'] button").await;
        b.text("form input[name='sure']").await;
        if !shot {
            b.shot("case-sign-ask-ru-desk").await;
        }
        b.click("form button.danger").await;
        b.text(".notice.ok").await;
        if present(&b, "form[data-testid='hand-over']").await {
            b.click("form[data-testid='hand-over'] button").await;
            b.text("form input[name='sure']").await;
            b.click("form button.danger").await;
            b.text(".notice.ok").await;
        }
        assert_eq!(b.text("[data-testid='case-status']").await, "выдан", "{id}");
        let docs = b.text("[data-testid='case-documents']").await;
        let expect = if refuse {
            "Мотивированный отказ"
        } else {
            "Результат оказания"
        };
        assert!(docs.contains(expect), "{id}: {docs}");
        if !shot {
            for (lang, size, (w, h)) in [
                ("kk", "desk", DESK),
                ("ru", "desk", DESK),
                ("kk", "phone", PHONE),
                ("ru", "phone", PHONE),
            ] {
                b.client.set_window_size(w, h).await.unwrap();
                b.client
                    .goto(&format!("{base}{case_path}?lang={lang}"))
                    .await
                    .unwrap();
                b.shot(&format!("case-{lang}-{size}")).await;
                b.client
                    .goto(&format!(
                        "{base}/console/organisations/{org}/cases?lang={lang}"
                    ))
                    .await
                    .unwrap();
                b.shot(&format!("case-worklist-{lang}-{size}")).await;
            }
            b.client.set_window_size(DESK.0, DESK.1).await.unwrap();
            shot = true;
        }
        sign_out(&b).await;
    }
    b.stop().await;
}

/// Waits (up to 20 s) until nothing `css` finds is on the page: the answer to a form that
/// removes it has come.
async fn gone(b: &Browser, css: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while present(b, css).await {
        assert!(
            std::time::Instant::now() < deadline,
            "`{css}` is still on the page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn present(b: &Browser, css: &str) -> bool {
    b.client.find(fantoccini::Locator::Css(css)).await.is_ok()
}

/// A complaint about the queue in the browser: a counter clerk files it on paper from the
/// application's page; the district's head finds it on the department's worklist, decides it
/// (asked again) and the decision's signed document is there to print.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_about_the_queue_is_filed_at_the_counter_and_decided_by_the_head() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (s, registered) = app.register(1, None).await;
    assert_eq!(s, 201, "{registered}");
    let id = registered["application_id"].as_str().unwrap().to_owned();
    let head = kezek_app::keys::create(
        store.as_ref(),
        &Authority::from_seed([7; 32]),
        NewKey {
            role: Role::Head,
            scope: vec!["D1".to_owned()],
            expires: None,
            official: None,
        },
        app.app.now(),
    )
    .unwrap()
    .1;
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;

    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client
        .goto(&format!("{base}/console/applications/{id}?lang=ru"))
        .await
        .unwrap();
    assert!(b
        .text("[data-testid='queue-complaints']")
        .await
        .contains("Жалоб нет"));
    b.fill(
        "#complaint-text",
        "Номер в очереди ушёл назад без объяснений",
    )
    .await;
    b.click("form[data-testid='queue-complaint-new'] button")
        .await;
    let filed = b.text("[data-testid='queue-complaint']").await;
    assert!(filed.contains("Номер в очереди ушёл назад"), "{filed}");
    sign_out(&b).await;

    sign_in(&b, &base, &head, "ru", "/console").await;
    let worklist = format!("{base}/console/organisations/D1/cases?lang=ru");
    b.client.goto(&worklist).await.unwrap();
    let open = b.text("[data-testid='queue-complaints']").await;
    assert!(open.contains(&id) && open.contains("ушёл назад"), "{open}");
    for (lang, size, (w, h)) in [
        ("kk", "desk", DESK),
        ("ru", "desk", DESK),
        ("kk", "phone", PHONE),
        ("ru", "phone", PHONE),
    ] {
        b.client.set_window_size(w, h).await.unwrap();
        b.client
            .goto(&format!(
                "{base}/console/organisations/D1/cases?lang={lang}"
            ))
            .await
            .unwrap();
        b.text("[data-testid='queue-complaint-decision']").await;
        b.shot(&format!("queue-complaint-worklist-{lang}-{size}"))
            .await;
    }
    b.client.set_window_size(DESK.0, DESK.1).await.unwrap();
    b.client.goto(&worklist).await.unwrap();
    b.fill(
        &format!("#reasons-{id}-1"),
        "Номер изменился из-за льготной очереди, правила соблюдены",
    )
    .await;
    b.click("form[data-testid='queue-complaint-decision'] button")
        .await;
    b.text("form input[name='sure']").await;
    b.shot("queue-complaint-ask-ru-desk").await;
    b.click("form button.danger").await;
    b.wait_path("/console/organisations/D1/cases").await;
    let after = b.text("[data-testid='queue-complaints']").await;
    assert!(
        after.contains("Жалоб нет"),
        "decided, off the worklist: {after}"
    );
    sign_out(&b).await;

    // The clerk sees the decision on the application's page, with its document to print.
    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client
        .goto(&format!("{base}/console/applications/{id}?lang=ru"))
        .await
        .unwrap();
    let decided = b.text("[data-testid='queue-complaint']").await;
    assert!(
        decided.contains("В удовлетворении жалобы отказано")
            && decided.contains("правила соблюдены"),
        "{decided}"
    );
    b.shot("queue-complaint-decided-ru-desk").await;
    let href = b
        .client
        .find(fantoccini::Locator::Css(
            "[data-testid='queue-complaint'] a[hreflang='ru']",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pdf = reqwest::get(format!("{base}{href}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF at {href}");
    sign_out(&b).await;
    b.stop().await;
}

/// The register of candidate adopters in the browser: a granted conclusion is an active
/// entry; the district's head removes it on a ground of the service (asked again) and the
/// register and the case say so, with the signed notice to print.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_removes_a_candidate_adopter_from_the_register() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    app.app.journal_definitions().await.unwrap();
    app.kindergarten("K1", "D1", 1).await;
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role| {
        let new = NewKey {
            role,
            scope: vec!["D1".to_owned()],
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let (head, executor) = (key(Role::Head), key(Role::Executor));
    let (_, services) = app.call("GET", "/v1/services", None, None).await;
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "adopter_registration")
        .unwrap();
    let mut form = serde_json::Map::new();
    for f in service["fields"].as_array().unwrap() {
        let key = f["key"].as_str().unwrap().to_owned();
        let value = match f["kind"].as_str().unwrap() {
            "person" => json!({"name": "Дана Бекова", "iin": "880101300123"}),
            "choice" => f["options"][0]["code"].clone(),
            _ => json!("Абай көшесі, 7"),
        };
        form.insert(key, value);
    }
    let body = json!({"provider": "D1", "channel": "office",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": form, "documents": service["documents"]["by_channel"]["office"]});
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/adopter_registration/cases",
            Some(STAFF),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    for (path, token, body) in [
        ("assign", &head, Some(json!({"executor": "executor-1"}))),
        ("draft", &executor, Some(json!({"outcome": "granted"}))),
        ("sign", &head, None),
    ] {
        let (s, v) = app
            .call("POST", &format!("/v1/cases/{id}/{path}"), Some(token), body)
            .await;
        assert_eq!(s, 200, "{path}: {v}");
    }

    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    sign_in(&b, &base, &head, "ru", "/console").await;
    let register = format!("{base}/console/services/adopter_registration/register?lang=ru");
    b.client.goto(&register).await.unwrap();
    let table = b.text("[data-testid='register']").await;
    assert!(
        table.contains(&id) && table.contains("Дана Бекова") && table.contains("Состоит на учёте"),
        "{table}"
    );
    b.shot("register-ru-desk").await;
    b.client
        .goto(&format!("{base}/console/cases/{id}?lang=ru"))
        .await
        .unwrap();
    assert_eq!(
        b.text("[data-testid='register-status']").await,
        "Состоит на учёте"
    );
    b.click("input[name='ground'][value='child_adopted']").await;
    b.fill("#removal-note", "Решение суда об усыновлении").await;
    b.click("form[data-testid='register-removal'] button").await;
    b.text("form input[name='sure']").await;
    b.shot("register-removal-ask-ru-desk").await;
    b.click("form button.danger").await;
    b.text(".notice.ok").await;
    assert_eq!(
        b.text("[data-testid='register-status']").await,
        "Снят с учёта — В связи с усыновлением ребёнка"
    );
    let docs = b.text("[data-testid='case-documents']").await;
    assert!(docs.contains("Уведомление о снятии с учёта"), "{docs}");
    for (lang, size, (w, h)) in [
        ("kk", "desk", DESK),
        ("kk", "phone", PHONE),
        ("ru", "phone", PHONE),
    ] {
        b.client.set_window_size(w, h).await.unwrap();
        b.client
            .goto(&format!(
                "{base}/console/services/adopter_registration/register?lang={lang}"
            ))
            .await
            .unwrap();
        b.text("[data-testid='register']").await;
        b.shot(&format!("register-{lang}-{size}")).await;
    }
    b.client.set_window_size(DESK.0, DESK.1).await.unwrap();
    b.client
        .goto(&format!("{register}&status=active"))
        .await
        .unwrap();
    assert!(!b.body().await.contains(&id), "no longer active");
    b.client
        .goto(&format!("{register}&status=removed"))
        .await
        .unwrap();
    assert!(b.text("[data-testid='register']").await.contains(&id));
    sign_out(&b).await;
    b.stop().await;
}

/// The service centre's desk in the browser: a clerk sends the application accepted at the
/// centre with the courier, the school's head receives it, sends the signed result back, the
/// centre receives it and the clerk hands it to the family.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn papers_go_from_the_centre_to_the_school_and_the_result_comes_back() {
    if kezek_testdb::missing(kezek_testdb::Tool::Chromium) {
        return;
    }
    let (app, store) = spawn_app().await;
    app.app.journal_definitions().await.unwrap();
    app.kindergarten("K1", "D1", 1).await;
    let school = json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let (s, _) = app
        .call("PUT", "/v1/organisations/SCH1", Some(STAFF), Some(school))
        .await;
    assert_eq!(s, 200);
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role| {
        let new = NewKey {
            role,
            scope: vec!["SCH1".to_owned()],
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let (head, executor) = (key(Role::Head), key(Role::Executor));
    let (_, services) = app.call("GET", "/v1/services", None, None).await;
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "education_document_duplicate")
        .unwrap();
    let mut form = serde_json::Map::new();
    for f in service["fields"].as_array().unwrap() {
        let value = match f["kind"].as_str().unwrap() {
            "person" => json!({"name": "Дана Бекова", "iin": "880101300123"}),
            "child" => json!({"name": "Аружан Бекова", "birth_date": "2010-05-01",
                "iin": kezek_core::model::Iin::compose(jiff::civil::date(2010, 5, 1), true, 3).unwrap().to_string()}),
            "choice" => f["options"][0]["code"].clone(),
            "number" => json!(f["min"].as_i64().unwrap_or(2015)),
            "date" => json!("2015-06-01"),
            "iin" => json!("880101300123"),
            _ => json!("Абай көшесі, 7"),
        };
        form.insert(f["key"].as_str().unwrap().to_owned(), value);
    }
    let body = json!({"provider": "SCH1", "channel": "service_center",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": form, "documents": service["documents"]["by_channel"]["service_center"]});
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/education_document_duplicate/cases",
            Some(CLERK),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let b = Browser::start(DESK.0, DESK.1).await;
    let centre = format!("{base}/console/districts/D1/centre?lang=ru");

    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client.goto(&centre).await.unwrap();
    let form = b.text("form[data-testid='batch-send-to_provider']").await;
    assert!(form.contains(&id) && form.contains("Дана Бекова"), "{form}");
    b.shot("centre-ru-desk").await;
    b.click("form[data-testid='batch-send-to_provider'] button")
        .await;
    let sent = b.text("[data-testid='batches'] article").await;
    assert!(sent.contains(&id) && sent.contains("SCH1"), "{sent}");
    sign_out(&b).await;

    sign_in(&b, &base, &head, "ru", "/console").await;
    let worklist = format!("{base}/console/organisations/SCH1/cases?lang=ru");
    b.client.goto(&worklist).await.unwrap();
    b.shot("provider-batches-ru-desk").await;
    b.click("form[data-testid='batch-receive'] button").await;
    gone(&b, "form[data-testid='batch-receive']").await;
    sign_out(&b).await;
    for (path, token, body) in [
        ("assign", &head, Some(json!({"executor": "executor-1"}))),
        ("draft", &executor, Some(json!({"outcome": "granted"}))),
        ("sign", &head, None),
    ] {
        let (s, v) = app
            .call("POST", &format!("/v1/cases/{id}/{path}"), Some(token), body)
            .await;
        assert_eq!(s, 200, "{path}: {v}");
    }
    sign_in(&b, &base, &head, "ru", "/console").await;
    b.client.goto(&worklist).await.unwrap();
    b.click("form[data-testid='batch-send-to_centre'] button")
        .await;
    b.wait_path("/console/organisations/SCH1/cases").await;
    // Sent: the page that comes back has no result left to send.
    gone(&b, "form[data-testid='batch-send-to_centre']").await;
    sign_out(&b).await;

    sign_in(&b, &base, CLERK, "ru", "/console/districts/D1/queue").await;
    b.client.goto(&centre).await.unwrap();
    b.click("form[data-testid='batch-receive'] button").await;
    gone(&b, "form[data-testid='batch-receive']").await;
    let waiting = b.text("[data-testid='centre-results']").await;
    assert!(waiting.contains(&id), "{waiting}");
    for (lang, size, (w, h)) in [
        ("kk", "desk", DESK),
        ("kk", "phone", PHONE),
        ("ru", "phone", PHONE),
    ] {
        b.client.set_window_size(w, h).await.unwrap();
        b.client
            .goto(&format!("{base}/console/districts/D1/centre?lang={lang}"))
            .await
            .unwrap();
        b.text("[data-testid='batches']").await;
        b.shot(&format!("centre-{lang}-{size}")).await;
    }
    b.client.set_window_size(DESK.0, DESK.1).await.unwrap();
    b.client
        .goto(&format!("{base}/console/cases/{id}?lang=ru"))
        .await
        .unwrap();
    assert_eq!(
        b.text("[data-testid='custody']").await,
        "результат в ЦОН, ждёт получения"
    );
    b.click("form[data-testid='hand-over'] button").await;
    b.text("form input[name='sure']").await;
    b.click("form button.danger").await;
    b.text(".notice.ok").await;
    assert_eq!(b.text("[data-testid='case-status']").await, "выдан");
    assert_eq!(b.text("[data-testid='custody']").await, "результат получен");
    sign_out(&b).await;
    b.stop().await;
}
