//! What a family does with no key: act on its referral from the link its notification
//! carries (confirm, decline — each asked twice, each done once), and see its application on
//! `/status` — any case of the number, every document by kind and date, the next step with the
//! deadline worded exactly as the referral PDF words it, and a refusal filed at a counter.

use crate::harness::{spawn_app, TestApp, CLERK, PORTAL};
use crate::printed::{named_city, pdf, pdf_text};
use serde_json::Value;

/// The text of the first element with `data-testid="{id}"` on `page` (its tags taken out;
/// an element of the same tag inside it is not expected).
fn testid(page: &str, id: &str) -> String {
    let at = page
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {page}"));
    let open = page[..at].rfind('<').unwrap();
    let tag: String = page[open + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let start = at + page[at..].find('>').unwrap() + 1;
    let end = start + page[start..].find(&format!("</{tag}>")).unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The action link of the first notification that carries one, as a path.
async fn action_path(app: &TestApp) -> String {
    let (_, page) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let url = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["action_url"].as_str())
        .expect("a referral notification with its link")
        .to_owned();
    let at = url.find("/act/").unwrap();
    url[at..].to_owned()
}

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The hidden field `name` of the first form on `page`.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {name} on {page}"))
        .to_owned()
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_family_confirms_from_its_link_once_and_a_second_use_changes_nothing() {
    let (app, _store) = spawn_app().await;
    named_city(&app, 1).await;
    let (s, a) = app.register(1, None).await;
    assert_eq!((s, a["status"].as_str()), (201, Some("referred")), "{a}");
    let link = action_path(&app).await;
    let (referral_path, query) = link.split_once('?').unwrap();
    let (s, page) = get(&app, &format!("{link}&lang=ru")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Ясли-сад №12 «Балдырган»") && page.contains("улица Толе би, 71"));
    // A forged or another referral's signature opens nothing.
    let forged = link.replace("sig=", "sig=00");
    assert_eq!(get(&app, &forged).await.0, 404);
    // Confirm asks first; without the page's token nothing happens.
    let (s, ask) = get(&app, &format!("{referral_path}/confirm?{query}&lang=ru")).await;
    assert_eq!(s, 200);
    let (until, sig, csrf) = (
        hidden(&ask, "until"),
        hidden(&ask, "sig"),
        hidden(&ask, "csrf"),
    );
    let before = app.app.applied_seq();
    let (s, _) = post(
        &app,
        &format!("{referral_path}/confirm"),
        &[("until", &until), ("sig", &sig), ("csrf", "0")],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.app.applied_seq(), before);
    let form = [("until", until.as_str()), ("sig", &sig), ("csrf", &csrf)];
    let (s, done) = post(&app, &format!("{referral_path}/confirm?lang=ru"), &form).await;
    assert_eq!(s, 200, "{done}");
    assert!(done.contains("Направление подтверждено"), "{done}");
    let confirmed = app.app.applied_seq();
    assert!(confirmed > before);
    let id = a["application_id"].as_str().unwrap();
    let (_, now) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(now["referral"]["status"], "confirmed", "{now}");
    // The same form again: the page says what was done, and nothing changes.
    let (s, again) = post(&app, &format!("{referral_path}/confirm?lang=ru"), &form).await;
    assert_eq!(s, 200);
    assert!(!again.contains("Направление подтверждено"), "{again}");
    assert!(
        again.contains("подтверждено") || again.contains("confirmed"),
        "{again}"
    );
    assert_eq!(app.app.applied_seq(), confirmed);
    // The journal names who acted.
    let (_, journal) = app
        .call(
            "GET",
            &format!("/v1/journal?after={before}&limit=10"),
            Some(crate::harness::AUDITOR),
            None,
        )
        .await;
    assert_eq!(journal["events"][0]["actor"], "family-link", "{journal}");
    // Once its time has passed, the link opens nothing.
    app.advance_days(10);
    assert_eq!(get(&app, &link).await.0, 404);
}

#[tokio::test]
async fn the_deadline_reads_the_same_on_the_status_page_the_link_and_the_pdf() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app, 1).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let doc = a["referral"]["document_id"].as_str().unwrap().to_owned();
    let iin = crate::harness::child_iin(10);
    let link = action_path(&app).await;
    for lang in ["kk", "ru"] {
        // The number as a parent might type it.
        let lower = id.to_lowercase();
        let (s, status) = post(
            &app,
            &format!("/status?lang={lang}"),
            &[("application_id", &lower), ("child_iin", &iin)],
        )
        .await;
        assert_eq!(s, 200, "{status}");
        let on_status = testid(&status, "referral-deadline");
        let (_, act) = get(&app, &format!("{link}&lang={lang}")).await;
        let on_link = testid(&act, "deadline");
        let printed = pdf_text(&pdf(&app, &doc, lang).await);
        assert_eq!(on_status, on_link, "{lang}");
        assert!(
            printed.contains(&on_status),
            "{lang}: `{on_status}` is not the PDF's wording:\n{printed}"
        );
        // The next step names the same deadline, and the documents are listed by kind.
        assert!(
            testid(&status, "next-step").contains(&on_status),
            "{status}"
        );
        let title = if lang == "kk" {
            "Мектепке дейінгі ұйымға жолдама"
        } else {
            "Направление в дошкольную организацию"
        };
        assert!(status.contains(title), "{lang}: {status}");
    }
}

#[tokio::test]
async fn a_refusal_filed_at_a_counter_is_found_by_its_number_and_the_iin() {
    let (app, _store) = spawn_app().await;
    named_city(&app, 0).await;
    let mut body: Value = crate::harness::application(3, None);
    body["channel"] = "service_center".into();
    body["documents"] = serde_json::json!(["application_form"]);
    let (s, refused) = app
        .call("POST", "/v1/applications", Some(CLERK), Some(body))
        .await;
    assert_eq!(s, 422, "{refused}");
    let id = refused["application_id"].as_str().unwrap();
    let iin = crate::harness::child_iin(30);
    let (s, page) = post(
        &app,
        "/status?lang=ru",
        &[("application_id", id), ("child_iin", &iin)],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(
        page.contains("Документ, удостоверяющий личность заявителя"),
        "{page}"
    );
    assert!(page.contains("Куда обжаловать решение"), "{page}");
    // Another child's IIN finds nothing.
    let other = crate::harness::child_iin(40);
    let (s, _) = post(
        &app,
        "/status",
        &[("application_id", id), ("child_iin", &other)],
    )
    .await;
    assert_eq!(s, 404);
}

/// A clerk files at the counter in the console: a filing without the applicant's ID is
/// refused and its receipt prints, listing what to bring; the complete one is registered and
/// its queue notification prints.
#[tokio::test]
async fn a_clerk_files_in_the_console_and_prints_the_receipt_then_the_notification() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app, 0).await;
    let cookie = app.console_session(CLERK).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{}/console/file?lang=ru", app.base))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"child.iin\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let iin = crate::harness::child_iin(50);
    let file = |documents: &'static [&'static str]| {
        let (client, cookie, csrf, iin, base) = (
            client.clone(),
            cookie.clone(),
            csrf.clone(),
            iin.clone(),
            app.base.clone(),
        );
        async move {
            let mut form: Vec<(&str, String)> = vec![
                ("csrf", csrf),
                ("district", "D1".into()),
                ("child.iin", iin),
                ("child.name", "Аружан Бекова".into()),
                ("applicant.iin", "880101300123".into()),
                ("applicant.name", "Дана Бекова".into()),
                ("language", "kk".into()),
                ("preferences", "K1".into()),
                ("preferences", String::new()),
                ("category", "none".into()),
            ];
            form.extend(documents.iter().map(|d| ("documents", (*d).to_owned())));
            let res = client
                .post(format!("{base}/console/file?lang=ru"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let print = |page: &str| {
        let at = page
            .find("data-testid=\"print\"")
            .expect("a document to print");
        let href = page[at..]
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        href.replace("&amp;", "&")
    };
    let (s, refused) = file(&["application_form", "address_proof"]).await;
    assert_eq!(s, 200, "{refused}");
    assert!(refused.contains("data-testid=\"missing\""), "{refused}");
    let receipt = app
        .http
        .get(format!("{}{}", app.base, print(&refused)))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), 200);
    let text = pdf_text(&receipt.bytes().await.unwrap());
    // pdftotext may break a long line: the missing document's words, joined again.
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("Өтініш берушінің жеке басын куәландыратын құжат"),
        "{text}"
    );
    let (s, filed) = file(&["application_form", "applicant_id", "address_proof"]).await;
    assert_eq!(s, 200, "{filed}");
    assert!(filed.contains("data-testid=\"filed\""), "{filed}");
    let notification = app
        .http
        .get(format!("{}{}", app.base, print(&filed)))
        .send()
        .await
        .unwrap();
    assert_eq!(notification.status(), 200);
    let text = pdf_text(&notification.bytes().await.unwrap());
    assert!(text.contains("Кезекке қою туралы хабарлама"), "{text}");
}
