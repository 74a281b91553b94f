//! A recorded journey: the same requests in the same order against a service with a fixed
//! clock, keys and authority, every answer compared with the one recorded in
//! `tests/data/golden/journey.txt` — JSON bodies as they were, PDFs, HTML pages and the
//! OpenAPI description by their SHA-256. A restructuring that is meant to change no answer
//! must leave every step as recorded; a change that is meant to change one records the
//! journey again (`KEZEK_RECORD_GOLDEN=1 cargo test --test api golden`) and says so in its
//! commit.
//!
//! Only on the in-memory store (the default): the other stores give the same answers, but
//! the suites that run on them are there to test the stores, not to repeat this journey.

use crate::harness::{
    application, child_iin, spawn_app, start_time, TestApp, AUDITOR, CLERK, KG, PORTAL, STAFF,
    STAFF_D2,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

const RECORD: &str = "tests/data/golden/journey.txt";

/// The answers of the journey so far, as the record holds them.
struct Journey {
    app: TestApp,
    /// A client that does not follow redirects: a redirect is an answer too.
    http: reqwest::Client,
    steps: Vec<(String, String)>,
    cookie: Option<String>,
}

impl Journey {
    /// One request; its answer noted under `name`; the status and the body as JSON (or
    /// `Null` when it is not JSON).
    async fn step(
        &mut self,
        name: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(name, req).await
    }

    /// A console page or form post, with the session cookie when signed in.
    async fn page(&mut self, name: &str, method: &str, path: &str, form: &[(&str, &str)]) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.app.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c.clone());
        }
        if !form.is_empty() {
            req = req.form(form);
        }
        self.send(name, req).await;
    }

    async fn send(&mut self, name: &str, req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let header = |h: &str| {
            res.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        let (content_type, location) = (header("content-type"), header("location"));
        let mut bytes = res.bytes().await.unwrap().to_vec();
        if content_type.starts_with("text/html") {
            mask_csrf(&mut bytes);
        }
        let json: Option<Value> = content_type
            .contains("json")
            .then(|| serde_json::from_slice(&bytes).ok())
            .flatten();
        let mut noted = format!("{status} {content_type} location={location}\n");
        if json.is_some() && name != "openapi" {
            noted.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            let _ = write!(
                noted,
                "{} bytes sha256 {}",
                bytes.len(),
                hex(&Sha256::digest(&bytes))
            );
        }
        self.steps.push((name.to_owned(), noted));
        (status, json.unwrap_or(Value::Null))
    }

    async fn sign_in(&mut self, token: &str) {
        self.cookie = Some(self.app.console_session(token).await);
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (name, noted) in &self.steps {
            let _ = writeln!(out, "=== {name}\n{noted}");
        }
        out
    }
}

/// Zeros every form's CSRF token: derived from a session whose id is random, it is the
/// one part of a page that differs from run to run (the length stays).
fn mask_csrf(page: &mut [u8]) {
    const MARK: &[u8] = b"name=\"csrf\" value=\"";
    let mut at = 0;
    while let Some(found) = page
        .get(at..)
        .and_then(|rest| rest.windows(MARK.len()).position(|w| w == MARK))
    {
        let start = at + found + MARK.len();
        let len = page
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'"'))
            .unwrap_or(0);
        for b in page.get_mut(start..start + len).unwrap_or_default() {
            *b = b'0';
        }
        at = start + len;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn id(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {v}"))
        .to_owned()
}

/// A child of the journey: number `n`, with a name and the given kindergartens.
fn child(n: u16, name: &str, preferences: &[&str], category: Option<&str>) -> Value {
    let mut a = application(n, category);
    a["child"]["name"] = name.into();
    a["applicant"]["name"] = "Дана Бекова".into();
    a["preferences"] = json!(preferences);
    a
}

#[tokio::test]
async fn the_recorded_journey_answers_as_recorded() {
    if !matches!(
        std::env::var("KEZEK_TEST_STORE").as_deref(),
        Err(_) | Ok("" | "memory")
    ) {
        return;
    }
    let (app, _store) = spawn_app().await;
    app.app.set_public_url("https://kezek.example");
    let mut j = Journey {
        app,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        steps: Vec::new(),
        cookie: None,
    };
    journey(&mut j).await;
    let got = j.text();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORD);
    if std::env::var_os("KEZEK_RECORD_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    let split = |s: &str| -> Vec<String> { s.split("=== ").map(str::to_owned).collect() };
    let (want, got) = (split(&want), split(&got));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(
            g, w,
            "the first answer that differs from the record (got, then recorded)"
        );
    }
    assert_eq!(got.len(), want.len(), "steps recorded and taken");
}

#[allow(clippy::too_many_lines, reason = "one journey, read top to bottom")]
async fn journey(j: &mut Journey) {
    let staff = Some(STAFF);
    let portal = Some(PORTAL);
    // The city: two districts with names, kindergartens with names and addresses.
    j.step(
        "district D1",
        "PUT",
        "/v1/districts/D1",
        staff,
        Some(
            json!({"name_kk": "Алмалы ауданы", "name_ru": "Алмалинский район",
            "authority_kk": "Алмалы ауданының білім бөлімі",
            "authority_ru": "Отдел образования Алмалинского района"}),
        ),
    )
    .await;
    j.step(
        "kindergarten K1",
        "PUT",
        "/v1/kindergartens/K1",
        staff,
        Some(
            json!({"name": "№12 «Балдырған» бөбекжай-бақшасы", "address": "Төле би көшесі, 71",
            "name_ru": "Ясли-сад №12 «Балдырган»", "address_ru": "улица Толе би, 71",
            "district": "D1", "groups": [
                {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2},
                {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 1}]}),
        ),
    )
    .await;
    j.step(
        "kindergarten K2",
        "PUT",
        "/v1/kindergartens/K2",
        staff,
        Some(
            json!({"name": "Айгөлек", "address": "Абай даңғылы, 5", "district": "D1",
            "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1}]}),
        ),
    )
    .await;
    j.step(
        "kindergarten K9 in D2",
        "PUT",
        "/v1/kindergartens/K9",
        Some(STAFF_D2),
        Some(json!({"name": "Күншуақ", "district": "D2",
            "groups": [{"group_id": "g4", "age_years": 4, "language": "ru", "capacity": 1}]})),
    )
    .await;
    j.step("districts", "GET", "/v1/districts", portal, None)
        .await;
    j.step(
        "kindergartens found",
        "GET",
        "/v1/kindergartens?district=D1&q=балдырған",
        portal,
        None,
    )
    .await;

    // Registrations: three meet free seats at once, the rest queue; one with a claim.
    let mut apps = Vec::new();
    for (n, name, prefs, category) in [
        (1, "Аружан Бекова", &["K1", "K2"][..], None),
        (2, "Әлихан Сейітов", &["K1"][..], None),
        (3, "Мирас Оспанов", &["K2", "K1"][..], None),
        (4, "Томирис Нұрлан", &["K1", "K2"][..], None),
        (5, "Алия Қасым", &["K1"][..], Some("large_family")),
        (6, "Ержан Әбу", &["K2"][..], None),
    ] {
        j.app.clock.advance(3600);
        let (_, a) = j
            .step(
                &format!("register {n}"),
                "POST",
                "/v1/applications",
                portal,
                Some(child(n, name, prefs, category)),
            )
            .await;
        apps.push(a);
    }
    let app_id = |i: usize| id(&apps[i], "/application_id");
    j.step(
        "register again",
        "POST",
        "/v1/applications",
        portal,
        Some(child(1, "Аружан Бекова", &["K1"], None)),
    )
    .await;
    let mut bad = child(7, "Бағдат", &["K1"], None);
    bad["child"]["iin"] = json!("123");
    j.step(
        "register invalid",
        "POST",
        "/v1/applications",
        portal,
        Some(bad),
    )
    .await;
    let mut young = child(8, "Бала", &["K1"], None);
    young["child"]["iin"] = json!("260301500017");
    j.step(
        "register too young",
        "POST",
        "/v1/applications",
        portal,
        Some(young),
    )
    .await;

    // At the counter: a filing without a document gets a receipt listing it.
    let mut counter = child(9, "Санжар Ахмет", &["K1"], None);
    counter["channel"] = json!("office");
    let (_, refused) = j
        .step(
            "counter missing",
            "POST",
            "/v1/applications",
            Some(CLERK),
            Some(counter.clone()),
        )
        .await;
    counter["documents"] = json!([
        "application_form",
        "applicant_id",
        "address_proof",
        "birth_certificate"
    ]);
    j.step(
        "counter complete",
        "POST",
        "/v1/applications",
        Some(CLERK),
        Some(counter),
    )
    .await;

    // Reads of applications.
    for i in 0..6 {
        let a = app_id(i);
        j.step(
            &format!("read {i}"),
            "GET",
            &format!("/v1/applications/{a}"),
            portal,
            None,
        )
        .await;
        j.step(
            &format!("position {i}"),
            "GET",
            &format!("/v1/applications/{a}/position?since_seq=1"),
            portal,
            None,
        )
        .await;
    }
    j.step(
        "by child",
        "GET",
        &format!("/v1/applications?child_iin={}", child_iin(40)),
        staff,
        None,
    )
    .await;
    j.step(
        "preferences",
        "PUT",
        &format!("/v1/applications/{}/preferences", app_id(5)),
        portal,
        Some(json!({"preferences": ["K2", "K1"]})),
    )
    .await;

    // Worklists and the claim decided.
    j.step("claims", "GET", "/v1/districts/D1/claims", staff, None)
        .await;
    j.step(
        "claim verified",
        "POST",
        &format!("/v1/applications/{}/priority", app_id(4)),
        staff,
        Some(json!({"decision": "verified", "reason": "certificate No 17"})),
    )
    .await;
    j.step(
        "queue",
        "GET",
        "/v1/districts/D1/queue?age=4&language=kk",
        staff,
        None,
    )
    .await;
    j.step(
        "queue of a tier",
        "GET",
        "/v1/districts/D1/queue?age=4&language=kk&tier=general&limit=2",
        Some(CLERK),
        None,
    )
    .await;
    j.step(
        "district referrals",
        "GET",
        "/v1/districts/D1/referrals",
        staff,
        None,
    )
    .await;

    // The parents answer; the kindergarten admits, refuses, extends.
    let referral = |a: &Value| id(a, "/referral/referral_id");
    let (r0, r1, r2) = (referral(&apps[0]), referral(&apps[1]), referral(&apps[2]));
    j.step(
        "confirm 0",
        "POST",
        &format!("/v1/referrals/{r0}/confirm"),
        portal,
        None,
    )
    .await;
    j.step(
        "confirm 1",
        "POST",
        &format!("/v1/referrals/{r1}/confirm"),
        portal,
        None,
    )
    .await;
    j.step(
        "decline 2",
        "POST",
        &format!("/v1/referrals/{r2}/decline"),
        portal,
        None,
    )
    .await;
    j.step(
        "kindergarten referrals",
        "GET",
        "/v1/kindergartens/K1/referrals",
        Some(KG),
        None,
    )
    .await;
    j.step(
        "extend 1",
        "POST",
        &format!("/v1/referrals/{r1}/extend"),
        Some(KG),
        Some(json!({"days": 10, "reason": "quarantine in the group"})),
    )
    .await;
    j.step(
        "enrol 0",
        "POST",
        &format!("/v1/referrals/{r0}/enroll"),
        Some(KG),
        None,
    )
    .await;
    j.step(
        "not admitted 1",
        "POST",
        &format!("/v1/referrals/{r1}/not-admitted"),
        Some(KG),
        Some(json!({"grounds": "the medical certificate is missing"})),
    )
    .await;
    j.step(
        "kindergarten seats",
        "GET",
        "/v1/kindergartens/K1",
        Some(KG),
        None,
    )
    .await;
    j.step(
        "a place opens",
        "POST",
        "/v1/kindergartens/K1/groups/g4/vacancies",
        staff,
        Some(json!({"seats": 1})),
    )
    .await;
    j.step(
        "a child leaves",
        "POST",
        &format!("/v1/kindergartens/K1/children/{}/leave", app_id(0)),
        Some(KG),
        Some(json!({"date": "2026-09-01", "reason": "moved"})),
    )
    .await;

    // Places open; a round; a withdrawal; time passes and referrals lapse.
    j.step(
        "vacancies",
        "POST",
        "/v1/kindergartens/K2/groups/g4/vacancies",
        staff,
        Some(json!({"seats": 1})),
    )
    .await;
    let (_, round) = j
        .step(
            "round",
            "POST",
            "/v1/districts/D1/allocations",
            staff,
            Some(json!({"academic_year": 2026})),
        )
        .await;
    if let Some(round_id) = round.get("round_id").and_then(Value::as_str) {
        j.step(
            "round read",
            "GET",
            &format!("/v1/allocations/{round_id}"),
            Some(AUDITOR),
            None,
        )
        .await;
    }
    j.step(
        "withdraw 5",
        "POST",
        &format!("/v1/applications/{}/withdraw", app_id(5)),
        portal,
        None,
    )
    .await;
    j.app.pass_days(1).await;
    j.app.pass_days(3).await;
    j.app.pass_days(30).await;
    j.step("stats", "GET", "/v1/districts/D1/stats", staff, None)
        .await;
    let (_, notes) = j
        .step(
            "notifications",
            "GET",
            "/v1/notifications?limit=1000",
            portal,
            None,
        )
        .await;

    // Every document, as JSON and printed in both languages; the public check.
    let mut documents: Vec<String> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["document_id"].as_str().map(str::to_owned))
        .collect();
    documents.push(id(&refused, "/document_id"));
    documents.sort();
    documents.dedup();
    for doc in &documents {
        j.step(
            &format!("document {doc}"),
            "GET",
            &format!("/v1/documents/{doc}"),
            staff,
            None,
        )
        .await;
        for lang in ["kk", "ru"] {
            j.step(
                &format!("pdf {doc} {lang}"),
                "GET",
                &format!("/v1/documents/{doc}.pdf?lang={lang}"),
                portal,
                None,
            )
            .await;
        }
        j.step(
            &format!("check {doc}"),
            "GET",
            &format!("/v1/verify/{doc}"),
            None,
            None,
        )
        .await;
    }

    // The journal and its head; the keys; the description.
    j.step(
        "journal",
        "GET",
        "/v1/journal?after=0&limit=1000",
        Some(AUDITOR),
        None,
    )
    .await;
    j.step("head", "GET", "/v1/journal/head", Some(AUDITOR), None)
        .await;
    j.step("keys", "GET", "/v1/keys", None, None).await;
    j.step("openapi", "GET", "/openapi.json", None, None).await;

    // Errors every client meets.
    j.step("no token", "GET", "/v1/districts", None, None).await;
    j.step("wrong role", "GET", "/v1/districts/D1/claims", portal, None)
        .await;
    j.step(
        "out of scope",
        "GET",
        "/v1/districts/D1/stats",
        Some(STAFF_D2),
        None,
    )
    .await;
    j.step(
        "unknown",
        "GET",
        "/v1/applications/KZ9999999999",
        portal,
        None,
    )
    .await;
    j.step("no route", "GET", "/v1/nothing", portal, None).await;
    j.step(
        "bad query",
        "GET",
        "/v1/districts/D1/queue?age=x&language=kk",
        staff,
        None,
    )
    .await;

    // The console, as each role sees it.
    let pages = [
        (
            STAFF,
            vec![
                "/console",
                "/console/districts/D1",
                "/console/districts/D1/queue?age=4&language=kk",
                "/console/districts/D1/worklists",
                "/console/districts/D1/allocation",
                "/console/districts/D1/kindergartens",
                "/console/places/K1",
            ],
        ),
        (KG, vec!["/console", "/console/kindergartens/K1"]),
        (
            AUDITOR,
            vec!["/console", "/console/audit", "/console/districts/D1"],
        ),
        (
            CLERK,
            vec!["/console", "/console/districts/D1/queue?age=4&language=kk"],
        ),
    ];
    for (token, paths) in pages {
        j.sign_in(token).await;
        for p in paths {
            j.page(&format!("console {token} {p}"), "GET", p, &[]).await;
        }
    }
    j.page(
        "console find",
        "GET",
        &format!("/console/districts/D1/queue?find={}", app_id(3)),
        &[],
    )
    .await;
    j.cookie = None;
    j.page("status form", "GET", "/status", &[]).await;
    j.page(
        "status lookup",
        "POST",
        "/status",
        &[
            ("application_id", &app_id(3)),
            ("child_iin", &child_iin(40)),
        ],
    )
    .await;
    j.page("console signed out", "GET", "/console", &[]).await;
    assert!(kezek_app::Clock::now(j.app.clock.as_ref()) > start_time());
}
