//! Printed documents as a family holds them: the PDF's text read back with poppler's
//! `pdftotext`, its QR code read with `zbarimg` off a `pdftoppm` picture, and the public check
//! page it leads to. (`tools/test` installs both from Debian.)

use crate::harness::{application, spawn_app, TestApp, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};
use std::process::Command;

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} did not run ({e}): tools/test installs it"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The text of a PDF, as poppler reads it.
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.pdf");
    std::fs::write(&file, pdf).unwrap();
    String::from_utf8(run(Command::new("pdftotext").arg(&file).arg("-"))).unwrap()
}

/// What the QR code printed on a PDF says.
fn pdf_qr(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.pdf");
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&file)
        .arg(dir.path().join("page")));
    let out = run(Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(dir.path().join("page.png")));
    String::from_utf8(out).unwrap().trim().to_owned()
}

pub(crate) async fn pdf(app: &TestApp, id: &str, lang: &str) -> Vec<u8> {
    let url = format!("{}/v1/documents/{id}.pdf?lang={lang}", app.base);
    let res = app.http.get(url).bearer_auth(PORTAL).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

const AUTHORITY_KK: &str = "Алмалы ауданының білім бөлімі";
const AUTHORITY_RU: &str = "Отдел образования Алмалинского района";

/// D1 named, K1 with a name, an address and `seats` places for 4-year-olds taught in Kazakh.
pub(crate) async fn named_city(app: &TestApp, seats: u32) {
    let names = json!({"name_kk": "Алмалы ауданы", "name_ru": "Алмалинский район",
        "authority_kk": AUTHORITY_KK, "authority_ru": AUTHORITY_RU});
    let (s, v) = app
        .call("PUT", "/v1/districts/D1", Some(STAFF), Some(names))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["names"]["authority_ru"], AUTHORITY_RU);
    let body = json!({"name": "№12 «Балдырған» бөбекжай-бақшасы", "address": "Төле би көшесі, 71",
        "name_ru": "Ясли-сад №12 «Балдырган»", "address_ru": "улица Толе би, 71",
        "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": seats}]});
    let (s, v) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["address"], "Төле би көшесі, 71");
}

fn child(n: u16, name: &str) -> Value {
    let mut a = application(n, None);
    a["child"]["name"] = name.into();
    a["applicant"]["name"] = "Дана Бекова".into();
    a
}

/// `expires_at` as the referral prints it: the local (UTC+5) day its last moment falls on.
fn local_day(at: &str) -> String {
    let t: jiff::Timestamp = at.parse().unwrap();
    let last = t - jiff::SignedDuration::from_secs(1);
    last.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
        .strftime("%d.%m.%Y")
        .to_string()
}

#[tokio::test]
async fn a_referral_names_the_child_the_kindergarten_and_the_authority_in_both_languages() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler)
        || kezek_testdb::missing(kezek_testdb::Tool::Zbar)
    {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.app.set_public_url(&app.base);
    named_city(&app, 1).await;
    let (s, a) = app
        .call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(child(1, "Аружан Бекова")),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "referred");
    // One decision, one result: the referral, and no queue notification besides.
    let doc = a["document_id"].as_str().unwrap();
    assert_eq!(a["referral"]["document_id"], doc);
    let (_, notes) = app
        .call("GET", "/v1/notifications", Some(PORTAL), None)
        .await;
    let kinds: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["referral_issued"]);
    let confirm_day = local_day(a["referral"]["expires_at"].as_str().unwrap());
    for (lang, authority, words) in [
        (
            "kk",
            AUTHORITY_KK,
            [
                "Мектепке дейінгі ұйымға жолдама",
                "Баланың туу туралы куәлігі",
                "қазақ тілі",
            ],
        ),
        (
            "ru",
            AUTHORITY_RU,
            [
                "Направление в дошкольную организацию",
                "Свидетельство о рождении ребёнка",
                "казахский язык",
            ],
        ),
    ] {
        let bytes = pdf(&app, doc, lang).await;
        assert!(bytes.len() < 60_000, "{lang}: {} bytes", bytes.len());
        let text = pdf_text(&bytes);
        for needle in [
            "Аружан Бекова",
            "Дана Бекова",
            authority,
            "01.09.2026 09:00",
            confirm_day.as_str(),
            "01.03.2022",
        ]
        .into_iter()
        .chain(words)
        {
            assert!(text.contains(needle), "{lang}: no `{needle}` in\n{text}");
        }
        assert!(
            !text.contains("2026-09-01T"),
            "{lang}: a raw UTC time in\n{text}"
        );
        // The QR code leads to the public check page, which finds the document valid and
        // shows nothing personal.
        let url = pdf_qr(&bytes);
        assert!(
            url.starts_with(&format!("{}/v1/verify/{doc}?digest=", app.base)),
            "{url}"
        );
        let check: Value = app
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(check["valid"], true, "{check}");
        assert_eq!(check["digest_matches"], true);
        assert_eq!(check["kind"], "referral");
        assert_eq!(check["authority"]["ru"], AUTHORITY_RU);
        let shown = check.to_string();
        assert!(!shown.contains("Аружан") && !shown.contains(&crate::harness::child_iin(10)));
    }
}

#[tokio::test]
async fn the_check_page_refuses_a_copy_that_is_not_the_one_issued() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app, 1).await;
    let (_, a) = app
        .call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(child(1, "Аружан Бекова")),
        )
        .await;
    let doc = a["document_id"].as_str().unwrap();
    // The copy in hand: its id and digest, as its QR code carries them.
    let bytes = app.bytes(&format!("/v1/documents/{doc}.pdf"), PORTAL).await;
    let url = pdf_qr(&bytes);
    let digest = url.rsplit("digest=").next().unwrap().to_owned();
    // Another copy (another digest), no digest, an id never used: one and the same answer,
    // which tells nothing of the document.
    let mut answers = Vec::new();
    for path in [
        format!("/v1/verify/{doc}?digest={}", "0".repeat(64)),
        format!("/v1/verify/{doc}"),
        format!("/v1/verify/doc-999999?digest={digest}"),
        "/v1/verify/doc-nothing".to_owned(),
    ] {
        let (s, v) = app.call("GET", &path, None, None).await;
        assert_eq!(s, 404, "{path}: {v}");
        assert!(
            v.get("kind").is_none() && v.get("authority").is_none(),
            "{v}"
        );
        answers.push(v["title"].clone());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    let (s, v) = app
        .call("GET", &format!("/v1/verify/{doc}?digest=xyz"), None, None)
        .await;
    assert_eq!((s, v["errors"][0]["field"].clone()), (422, json!("digest")));
    let (s, v) = app
        .call(
            "GET",
            &format!("/v1/verify/{doc}?digest={}", digest.to_uppercase()),
            None,
            None,
        )
        .await;
    assert_eq!((s, v["valid"].clone()), (200, json!(true)), "{v}");
    for (path, status, verdict) in [
        (
            format!("/v1/verify/{doc}?digest={digest}"),
            200,
            "Документ действителен",
        ),
        (format!("/v1/verify/{doc}"), 404, "не выдавался"),
    ] {
        let page = app
            .http
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), status, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains(verdict), "{path}: {html}");
        assert_eq!(html.contains(AUTHORITY_KK), status == 200, "{path}");
        assert!(!html.contains("Аружан"));
    }
}

#[tokio::test]
async fn a_queue_notification_and_a_refusal_print_words_not_codes() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app, 0).await;
    let (s, a) = app
        .call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(child(1, "Ержан Сейітов")),
        )
        .await;
    assert_eq!((s, a["status"].as_str()), (201, Some("queued")));
    let text = pdf_text(&pdf(&app, a["document_id"].as_str().unwrap(), "ru").await);
    for needle in [
        "Уведомление о постановке в очередь",
        "Ержан Сейітов",
        "Номер в очереди: 1",
        "Общая очередь",
        AUTHORITY_RU,
        "Ясли-сад №12 «Балдырган» (K1) — 1 место",
    ] {
        assert!(text.contains(needle), "no `{needle}` in\n{text}");
    }
    let mut refused = child(2, "Ержан");
    refused["documents"] = json!(["application_form"]);
    let (s, r) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(refused))
        .await;
    assert_eq!(s, 422, "{r}");
    let kk = pdf_text(&pdf(&app, r["document_id"].as_str().unwrap(), "kk").await);
    assert!(kk.contains("Құжаттар толық емес"), "{kk}");
    assert!(kk.contains("Ержан") && kk.contains(AUTHORITY_KK), "{kk}");
    assert!(kk.contains("Тұрғылықты жерін растайтын құжат"), "{kk}");
    assert!(!kk.contains("documents_incomplete"), "{kk}");
}

#[tokio::test]
async fn districts_are_named_by_their_staff_with_plain_text() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    let names =
        |kk: &str| json!({"name_kk": kk, "name_ru": "Р", "authority_kk": "A", "authority_ru": "Б"});
    let (s, v) = app
        .call(
            "PUT",
            "/v1/districts/D1",
            Some(STAFF),
            Some(names("Ал\u{200b}малы")),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].clone()),
        (422, json!("name_kk")),
        "{v}"
    );
    let (s, _) = app
        .call(
            "PUT",
            "/v1/districts/D1",
            Some(STAFF_D2),
            Some(names("Алмалы")),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            "PUT",
            "/v1/districts/D1",
            Some(STAFF),
            Some(names("Алмалы")),
        )
        .await;
    assert_eq!(s, 200);
    let (_, list) = app.call("GET", "/v1/districts", Some(PORTAL), None).await;
    assert_eq!(list["districts"][0]["names"]["name_kk"], "Алмалы");
}

#[tokio::test]
async fn kindergartens_are_found_by_words_of_their_name_or_address() {
    if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        return;
    }
    let (app, _store) = spawn_app().await;
    named_city(&app, 1).await;
    app.kindergarten("K2", "D1", 1).await;
    let find = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        async move {
            let url = format!("{}/v1/kindergartens?district=D1&q={}", app.base, q);
            let v: Value = app
                .http
                .get(url)
                .bearer_auth(PORTAL)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["kindergartens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kindergarten_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("балдырған").await, ["K1"]);
    assert_eq!(find("ТӨЛЕ%2071").await, ["K1"]);
    assert_eq!(find("k2").await, ["K2"]);
    assert_eq!(find("балдырган%20толе").await, ["K1"]);
    assert!(find("Абай").await.is_empty());
}
