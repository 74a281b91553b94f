//! The departments' other services over HTTP: the services in force, a school, a case
//! refused at intake for a missing document, a case from application to a handed-over result,
//! a late step on the worklist journaled once, a complaint decided; the journal verifies.

use crate::harness::{spawn_app, AUDITOR, CLERK, PORTAL, STAFF};
use kezek_app::access::Role;
use kezek_app::keys::authority::Authority;
use kezek_app::keys::NewKey;
use serde_json::{json, Value};

fn child() -> Value {
    let iin = kezek_core::model::Iin::compose(jiff::civil::date(2019, 5, 1), true, 3)
        .unwrap()
        .to_string();
    json!({"name": "Аружан Бекова", "iin": iin, "birth_date": "2019-05-01"})
}

#[tokio::test]
async fn a_case_goes_from_application_to_result_and_a_late_one_is_complained_about() {
    let (app, store) = spawn_app().await;
    assert!(app.app.journal_definitions().await.unwrap());
    assert!(
        !app.app.journal_definitions().await.unwrap(),
        "adopted once"
    );
    app.kindergarten("K1", "D1", 1).await;
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role, scope: &[&str]| {
        let new = NewKey {
            role,
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let (head, executor) = (key(Role::Head, &["SCH1"]), key(Role::Executor, &["SCH1"]));
    let district_head = key(Role::Head, &["D1"]);

    let (s, services) = app.call("GET", "/v1/services", None, None).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "kindergarten_queue",
            "adopter_registration",
            "education_document_duplicate",
            "externat_permission",
            "school_admission"
        ]
    );

    let school = json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let (s, v) = app
        .call("PUT", "/v1/organisations/SCH1", Some(STAFF), Some(school))
        .await;
    assert_eq!(s, 200, "{v}");

    // A document missing: refused at intake, with what is missing.
    let form = json!({"child": child(), "grade": 1, "language": "kk", "address": "Абай көшесі, 7"});
    let filing = |documents: Value| {
        json!({"provider": "SCH1", "channel": "office",
               "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
               "form": form.clone(), "documents": documents})
    };
    let (s, refused) = app
        .call(
            "POST",
            "/v1/services/school_admission/cases",
            Some(CLERK),
            Some(filing(json!([
                "application",
                "birth_certificate",
                "health_card",
                "vaccination_card"
            ]))),
        )
        .await;
    assert_eq!(
        (s, refused["code"].as_str()),
        (422, Some("refused_to_accept")),
        "{refused}"
    );
    let refused_id = refused["case_id"].as_str().unwrap();
    let (s, receipt) = app
        .call(
            "GET",
            &format!("/v1/documents/doc-{refused_id}"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(
        (s, receipt["kind"].as_str()),
        (200, Some("case_refusal_to_accept")),
        "{receipt}"
    );
    assert_eq!(
        receipt["body"]["missing"][0]["ru"],
        "2 фотографии размером 3х4"
    );
    assert_eq!(refused["missing"], json!(["photos"]));
    // A form that does not read names its field.
    let mut bad = filing(json!([]));
    bad["form"]["grade"] = json!(14);
    let (s, v) = app
        .call(
            "POST",
            "/v1/services/school_admission/cases",
            Some(CLERK),
            Some(bad),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("form.grade")),
        "{v}"
    );

    // Complete: accepted, each step due.
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/school_admission/cases",
            Some(CLERK),
            Some(filing(json!([
                "application",
                "birth_certificate",
                "health_card",
                "vaccination_card",
                "photos"
            ]))),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KZC"));
    assert!(case["steps"][1]["due"].is_string(), "{case}");
    let post = |path: String, token: String, body: Option<Value>| {
        let app = &app;
        async move { app.call("POST", &path, Some(&token), body).await }
    };
    // Only the organisation's head names the executor.
    let (s, _) = post(
        format!("/v1/cases/{id}/assign"),
        district_head.clone(),
        Some(json!({"executor": "x"})),
    )
    .await;
    assert_eq!(s, 403, "another organisation's head");
    let (s, v) = post(
        format!("/v1/cases/{id}/assign"),
        head.clone(),
        Some(json!({"executor": "executor-1"})),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("in_work")), "{v}");
    let (s, _) = post(format!("/v1/cases/{id}/sign"), head.clone(), None).await;
    assert_eq!(s, 409, "nothing to sign yet");
    let (s, v) = post(
        format!("/v1/cases/{id}/draft"),
        executor.clone(),
        Some(json!({"outcome": "granted"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("awaiting_signature")),
        "{v}"
    );
    let (s, v) = post(format!("/v1/cases/{id}/sign"), head.clone(), None).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("awaiting_issue")),
        "paper waits: {v}"
    );
    // The receipt and the signed result, as documents and PDFs in both languages.
    for (doc, kind) in [
        (format!("doc-{id}-receipt"), "case_receipt"),
        (format!("doc-{id}-result"), "case_result"),
    ] {
        let (s, d) = app
            .call("GET", &format!("/v1/documents/{doc}"), Some(CLERK), None)
            .await;
        assert_eq!((s, d["kind"].as_str()), (200, Some(kind)), "{d}");
        if kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
            continue;
        }
        for (lang, service, when) in [
            ("kk", "Бастауыш, негізгі орта", "01.09.2026 09:00"),
            ("ru", "Приём документов и зачисление", "01.09.2026 09:00"),
        ] {
            let pdf = app
                .bytes(&format!("/v1/documents/{doc}.pdf?lang={lang}"), CLERK)
                .await;
            std::fs::create_dir_all("target/console").unwrap();
            std::fs::write(format!("target/console/{kind}-{lang}.pdf"), &pdf).unwrap();
            let text = crate::printed::pdf_text(&pdf);
            assert!(
                text.contains("Дана Бекова") && text.contains(service) && text.contains(when),
                "{lang}: {text}"
            );
        }
    }
    let (s, v) = post(format!("/v1/cases/{id}/hand-over"), CLERK.to_owned(), None).await;
    // The applicant finds the case on /status by its number (any case) and their IIN.
    let status_page = |number: String, iin: &'static str| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(format!("{}/status?lang=ru", app.base))
                .form(&[("application_id", number.as_str()), ("child_iin", iin)])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s2, page) = status_page(id.to_lowercase(), "880101300123").await;
    assert_eq!(s2, 200, "{page}");
    assert!(
        page.contains("выдан") && page.contains("Приём документов и зачисление"),
        "{page}"
    );
    assert!(
        page.contains("/status/documents/doc-"),
        "documents to print: {page}"
    );
    let (s2, _) = status_page(id.clone(), "880101300124").await;
    assert_eq!(s2, 404, "another IIN finds nothing");
    assert_eq!((s, v["status"].as_str()), (200, Some("issued")), "{v}");

    // A district's service, late: the worklist shows it, the sweep journals it once.
    let (s, ext) = app
        .call(
            "POST",
            "/v1/services/externat_permission/cases",
            Some(STAFF),
            Some(json!({"provider": "D1", "channel": "office",
                "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
                "form": {"student": child(), "school": "№5 мектеп", "grade": 3, "reason": "health"},
                "documents": ["application", "identity", "birth_certificate", "medical_conclusion", "residence_abroad"]})),
        )
        .await;
    assert_eq!(s, 201, "{ext}");
    let late_id = ext["case_id"].as_str().unwrap().to_owned();
    let (s, _) = post(
        format!("/v1/cases/{late_id}/complaints"),
        PORTAL.to_owned(),
        Some(json!({"text": "Жауап жоқ"})),
    )
    .await;
    assert_eq!(s, 409, "nothing late yet");
    app.advance_days(2);
    app.app.sweep().await.unwrap();
    app.app.sweep().await.unwrap();
    let (s, list) = app
        .call(
            "GET",
            "/v1/organisations/D1/cases?overdue=true",
            Some(&district_head),
            None,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["case_id"], late_id.as_str());
    let (_, journal) = app
        .call("GET", "/v1/journal?limit=1000", Some(AUDITOR), None)
        .await;
    let overdue = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["payload"]["record"]["kind"] == "step_overdue")
        .count();
    assert_eq!(overdue, 1, "journaled once");
    // The district's dashboard counts each service's cases per step, on time and late.
    let cookie = app.console_session(STAFF).await;
    let dashboard = app
        .http
        .get(format!("{}/console/districts/D1?lang=ru", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let table = dashboard
        .split("data-testid=\"service-externat_permission\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no externat figures: {dashboard}"));
    assert!(
        table.contains("Ознакомление руководителя с документами и передача исполнителю</th><td class=\"num\">0</td><td class=\"num\">1</td>"),
        "one late at the head's resolution: {table}"
    );
    let (s, v) = post(
        format!("/v1/cases/{late_id}/complaints"),
        PORTAL.to_owned(),
        Some(json!({"text": "Бұрыштама уақытында қойылмады"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Undecided past its period, the complaint keeps the case on the late worklist.
    app.advance_days(10);
    let (_, list) = app
        .call(
            "GET",
            "/v1/organisations/D1/cases?overdue=true",
            Some(&district_head),
            None,
        )
        .await;
    let complaint_late = list[0]["complaints"][0]["late"].as_bool();
    assert_eq!(complaint_late, Some(true), "{list}");
    let (s, v) = post(
        format!("/v1/cases/{late_id}/complaints/1/decision"),
        district_head.clone(),
        Some(json!({"upheld": true, "reasons": "Мерзім бұзылды"})),
    )
    .await;
    assert_eq!(
        (s, v["complaints"][0]["decision"]["upheld"].as_bool()),
        (200, Some(true)),
        "{v}"
    );
    let (s, decision) = app
        .call(
            "GET",
            &format!("/v1/documents/doc-{late_id}-complaint-1"),
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!(
        (s, decision["kind"].as_str()),
        (200, Some("complaint_decision")),
        "{decision}"
    );
    assert!(
        decision["body"]["appeal"]["by"].is_string(),
        "where to appeal next, and by when: {decision}"
    );
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        let pdf = app
            .bytes(
                &format!("/v1/documents/doc-{late_id}-complaint-1.pdf?lang=kk"),
                STAFF,
            )
            .await;
        let text = crate::printed::pdf_text(&pdf);
        assert!(
            text.contains("Шағым бойынша шешім") && text.contains("Шағым қанағаттандырылды"),
            "{text}"
        );
    }

    // The applicant is told through the portal's outbox: accepted, refused at intake, the
    // result, the late step and who answers for it, the complaint decided.
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let of = |case: &str| -> Vec<String> {
        notes["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["case_id"] == case)
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(of(&id), ["case_accepted", "case_result"], "{notes}");
    assert_eq!(of(refused_id), ["case_refused_to_accept"]);
    assert_eq!(
        of(&late_id),
        ["case_accepted", "case_step_overdue", "complaint_decided"]
    );
    let late_note = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "case_step_overdue")
        .unwrap();
    assert_eq!(
        (late_note["step"].as_str(), late_note["answers"].as_str()),
        (Some("resolution"), Some("head"))
    );

    // The journal verifies, its cases included (documents and the outbox issued again).
    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}

/// A complete form of a service as `GET /v1/services` describes its fields.
fn form_of(fields: &Value) -> Value {
    let mut form = serde_json::Map::new();
    for f in fields.as_array().unwrap() {
        let v = match f["kind"].as_str().unwrap() {
            "text" => json!("Абай көшесі, 7"),
            "date" => json!("2019-05-01"),
            "iin" => json!("880101300123"),
            "choice" => f["options"][0]["code"].clone(),
            "number" => f["min"].as_i64().map_or(json!(1), |m| json!(m)),
            "person" => json!({"name": "Дана Бекова", "iin": "880101300123"}),
            _ => child(),
        };
        form.insert(f["key"].as_str().unwrap().to_owned(), v);
    }
    Value::Object(form)
}

#[tokio::test]
async fn every_service_goes_to_its_result_and_to_a_reasoned_refusal() {
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
    // Made before any request: an unknown token makes the keys be read again at most once a
    // second.
    let keys: std::collections::BTreeMap<&str, (String, String)> = ["D1", "SCH1"]
        .into_iter()
        .map(|org| (org, (key(Role::Head, org), key(Role::Executor, org))))
        .collect();
    let (_, services) = app.call("GET", "/v1/services", None, None).await;
    let mut register_checked = false;
    for service in services.as_array().unwrap().iter().skip(1) {
        let id = service["service"].as_str().unwrap();
        let org = if service["provider"] == "school" {
            "SCH1"
        } else {
            "D1"
        };
        let (head, executor) = keys[org].clone();
        let channel = service["channels"][0].as_str().unwrap();
        let filer = if channel == "portal" {
            PORTAL
        } else if org == "D1" {
            STAFF
        } else {
            CLERK
        };
        let channel = if filer == STAFF { "office" } else { channel };
        for outcome in ["granted", "refused"] {
            let body = json!({"provider": org, "channel": channel,
                "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
                "form": form_of(&service["fields"]),
                "documents": service["documents"]["by_channel"][channel]});
            let (s, case) = app
                .call(
                    "POST",
                    &format!("/v1/services/{id}/cases"),
                    Some(filer),
                    Some(body),
                )
                .await;
            assert_eq!(s, 201, "{id}: {case}");
            let case_id = case["case_id"].as_str().unwrap().to_owned();
            let act = |path: &str, token: &str, body: Option<Value>| {
                let (app, path, token) = (
                    &app,
                    format!("/v1/cases/{case_id}/{path}"),
                    token.to_owned(),
                );
                async move { app.call("POST", &path, Some(&token), body).await }
            };
            let (s, v) = act("assign", &head, Some(json!({"executor": "executor-1"}))).await;
            assert_eq!(s, 200, "{id}: {v}");
            let draft = if outcome == "granted" {
                json!({"outcome": "granted"})
            } else {
                json!({"outcome": "refused", "grounds": ["documents_incomplete"], "note": "Құжаттар толық емес"})
            };
            let (s, v) = act("draft", &executor, Some(draft)).await;
            assert_eq!(s, 200, "{id}: {v}");
            let (s, v) = act("sign", &head, None).await;
            assert_eq!(s, 200, "{id}: {v}");
            if v["status"] == "awaiting_issue" {
                let (s, v) = act("hand-over", &head, None).await;
                assert_eq!(
                    (s, v["status"].as_str()),
                    (200, Some("issued")),
                    "{id}: {v}"
                );
            } else {
                assert_eq!(v["status"], "issued", "{id}: {v}");
            }
            let (s, doc) = app
                .call(
                    "GET",
                    &format!("/v1/documents/doc-{case_id}-result"),
                    Some(PORTAL),
                    None,
                )
                .await;
            let kind = if outcome == "granted" {
                "case_result"
            } else {
                "case_refusal"
            };
            assert_eq!((s, doc["kind"].as_str()), (200, Some(kind)), "{id}: {doc}");
        }
        if id == "adopter_registration" {
            let (s, register) = app
                .call(
                    "GET",
                    &format!("/v1/services/{id}/register"),
                    Some(&head),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{register}");
            assert_eq!(
                register.as_array().unwrap().len(),
                1,
                "only the granted one: {register}"
            );
            assert_eq!(register[0]["register"]["status"], "active", "{register}");
            let entry = register[0]["case_id"].as_str().unwrap().to_owned();
            // Another district's staff do not see the district's candidate adopters.
            let (_, other) = app
                .call(
                    "GET",
                    &format!("/v1/services/{id}/register"),
                    Some(crate::harness::STAFF_D2),
                    None,
                )
                .await;
            assert_eq!(other.as_array().map(Vec::len), Some(0), "{other}");
            // The head removes the entry on one of the service's grounds, once.
            let removal = |ground: &str| {
                let body = json!({"ground": ground, "note": "Бала асырап алынды, 2026 ж. шешім"});
                let (app, path, head) = (
                    &app,
                    format!("/v1/cases/{entry}/register-removal"),
                    head.clone(),
                );
                async move { app.call("POST", &path, Some(&head), Some(body)).await }
            };
            let (s, v) = removal("moved_abroad").await;
            assert_eq!(
                (s, v["errors"][0]["field"].as_str()),
                (422, Some("ground")),
                "{v}"
            );
            let (s, v) = removal("child_adopted").await;
            assert_eq!(
                (s, v["register"]["status"].as_str()),
                (200, Some("removed")),
                "{v}"
            );
            let (s, _) = removal("child_adopted").await;
            assert_eq!(s, 409, "removed once");
            for (status, n) in [("active", 0), ("removed", 1)] {
                let (_, list) = app
                    .call(
                        "GET",
                        &format!("/v1/services/{id}/register?status={status}"),
                        Some(&head),
                        None,
                    )
                    .await;
                assert_eq!(list.as_array().map(Vec::len), Some(n), "{status}: {list}");
            }
            let (s, notice) = app
                .call(
                    "GET",
                    &format!("/v1/documents/doc-{entry}-removal"),
                    Some(PORTAL),
                    None,
                )
                .await;
            assert_eq!(
                (s, notice["kind"].as_str()),
                (200, Some("case_register_removal")),
                "{notice}"
            );
            if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
                let pdf = app
                    .bytes(
                        &format!("/v1/documents/doc-{entry}-removal.pdf?lang=ru"),
                        PORTAL,
                    )
                    .await;
                let keep = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
                std::fs::write(keep.join("register-removal-ru.pdf"), &pdf).unwrap();
                let text = crate::printed::pdf_text(&pdf).replace('\n', " ");
                for want in [
                    "Уведомление о снятии с учёта",
                    "Дана Бекова",
                    "В связи с усыновлением ребёнка",
                    "Постановка на учёт лиц, желающих усыновить детей",
                ] {
                    assert!(text.contains(want), "no {want:?} in {text}");
                }
            }
            register_checked = true;
        }
    }
    assert!(register_checked);
    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}

/// A family complains about a queue decision; the district's department has it on its
/// worklist, late after five working days, decides it with reasons in a signed kk/ru
/// decision naming where to appeal next, and the family is told; the journal verifies.
#[tokio::test]
async fn a_complaint_about_a_queue_decision_is_decided_by_the_district() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (s, registered) = app.register(1, None).await;
    assert_eq!(s, 201, "{registered}");
    let id = registered["application_id"].as_str().unwrap().to_owned();
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role, scope: &str| {
        let new = NewKey {
            role,
            scope: vec![scope.to_owned()],
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let (head, other_head) = (key(Role::Head, "D1"), key(Role::Head, "D2"));
    let path = format!("/v1/applications/{id}/complaints");
    let complain = |token: &'static str, text: &str| {
        let body = json!({ "text": text });
        let (app, path) = (&app, path.clone());
        async move { app.call("POST", &path, Some(token), Some(body)).await }
    };

    // Words are required; the application must exist; a kindergarten or an auditor cannot
    // complain for the family.
    let (s, v) = complain(PORTAL, "  ").await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("text")),
        "{v}"
    );
    let (s, _) = app
        .call(
            "POST",
            "/v1/applications/KZ9999999999/complaints",
            Some(PORTAL),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = complain(AUDITOR, "Кезек нөмірі түсініксіз өзгерді").await;
    assert_eq!(s, 403);

    let (s, v) = complain(PORTAL, "Кезек нөмірі түсініксіз өзгерді").await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["complaints"][0]["complaint"], 1, "{v}");
    assert!(v["complaints"][0]["decision"].is_null());

    // On the department's worklist at once, among the late ones once its period has passed.
    let worklist = |overdue: bool| {
        let (app, head) = (&app, head.clone());
        async move {
            app.call(
                "GET",
                &format!("/v1/districts/D1/complaints?overdue={overdue}"),
                Some(&head),
                None,
            )
            .await
        }
    };
    let (s, open) = worklist(false).await;
    assert_eq!((s, open.as_array().map(Vec::len)), (200, Some(1)), "{open}");
    let (_, late) = worklist(true).await;
    assert_eq!(
        late.as_array().map(Vec::len),
        Some(0),
        "not late yet: {late}"
    );
    app.advance_days(10);
    let (_, late) = worklist(true).await;
    assert_eq!(late[0]["complaints"][0]["late"], true, "{late}");

    // Only the district's own head decides; a decision needs reasons; it is made once.
    let decide = |token: String, reasons: &str| {
        let body = json!({"upheld": false, "reasons": reasons});
        let (app, path) = (&app, format!("{path}/1/decision"));
        async move { app.call("POST", &path, Some(&token), Some(body)).await }
    };
    let (s, _) = decide(other_head, "Бөгде аудан").await;
    assert_eq!(s, 403);
    let (s, v) = decide(head.clone(), "").await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("reasons")),
        "{v}"
    );
    let (s, v) = decide(head.clone(), "Кезек ережеге сай жүргізілді").await;
    assert_eq!(s, 200, "{v}");
    let decision = &v["complaints"][0]["decision"];
    assert_eq!(decision["upheld"], false, "{v}");
    let doc_id = decision["document_id"].as_str().unwrap().to_owned();
    let (s, _) = decide(head.clone(), "Тағы").await;
    assert_eq!(s, 409, "decided once");
    let (_, open) = worklist(false).await;
    assert_eq!(open.as_array().map(Vec::len), Some(0), "{open}");

    // The decision is a signed document about the child, naming where to appeal next.
    let (s, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{doc_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, doc["kind"].as_str()),
        (200, Some("complaint_decision")),
        "{doc}"
    );
    assert_eq!(doc["application_id"].as_str(), Some(id.as_str()));
    for (token, status) in [
        (crate::harness::STAFF, 200),
        (crate::harness::STAFF_D2, 403),
    ] {
        let (s, _) = app
            .call("GET", &format!("/v1/documents/{doc_id}"), Some(token), None)
            .await;
        assert_eq!(s, status, "{token}");
    }
    assert!(doc["body"]["appeal"]["by"].is_string(), "{doc}");
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        for (lang, title, service, verdict) in [
            (
                "kk",
                "Шағым бойынша шешім",
                "Мектепке дейінгі ұйымдарға кезекке қою",
                "Шағым қанағаттандырылмады",
            ),
            (
                "ru",
                "Решение по жалобе",
                "Постановка на очередь в дошкольные организации",
                "В удовлетворении жалобы отказано",
            ),
        ] {
            let pdf = app
                .bytes(&format!("/v1/documents/{doc_id}.pdf?lang={lang}"), PORTAL)
                .await;
            let keep = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            std::fs::write(keep.join(format!("queue-complaint-{lang}.pdf")), &pdf).unwrap();
            let text = crate::printed::pdf_text(&pdf).replace('\n', " ");
            for want in [
                title,
                service,
                verdict,
                "Aruzhan",
                "Dana",
                "Кезек ережеге сай жүргізілді",
            ] {
                assert!(text.contains(want), "{lang}: no {want:?} in {text}");
            }
        }
    }

    // The family is told through the portal's outbox.
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let told = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "complaint_decided")
        .unwrap_or_else(|| panic!("{notes}"));
    assert_eq!(
        (
            told["application_id"].as_str(),
            told["document_id"].as_str()
        ),
        (Some(id.as_str()), Some(doc_id.as_str()))
    );

    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}

/// An application accepted at a service centre travels to the school in a batch list with
/// the courier (late after one working day, noted), the school's time starts at receipt, the
/// signed result comes back the same way, the family is told to collect it, and a result not
/// collected within a month goes to the school's archive, where it is still handed over.
#[tokio::test]
async fn a_centre_case_travels_by_batch_and_an_uncollected_result_is_archived() {
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
    let body = json!({"provider": "SCH1", "channel": "service_center",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": form_of(&service["fields"]),
        "documents": service["documents"]["by_channel"]["service_center"]});
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/education_document_duplicate/cases",
            Some(CLERK),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    assert_eq!(case["custody"]["at"], "centre", "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    let call = |method: &'static str, path: String, token: String, body: Option<Value>| {
        let app = &app;
        async move { app.call(method, &path, Some(&token), body).await }
    };
    let (s, v) = call(
        "POST",
        format!("/v1/cases/{id}/assign"),
        head.clone(),
        Some(json!({"executor": "executor-1"})),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("papers_not_at_provider")),
        "{v}"
    );

    // The centre's clerk sends it; the school's head may not.
    let to_school = json!({"direction": "to_provider", "cases": [id]});
    let (s, _) = call(
        "POST",
        "/v1/organisations/SCH1/batches".into(),
        head.clone(),
        Some(to_school.clone()),
    )
    .await;
    assert_eq!(s, 403);
    let (s, batch) = call(
        "POST",
        "/v1/organisations/SCH1/batches".into(),
        CLERK.into(),
        Some(to_school),
    )
    .await;
    assert_eq!(s, 201, "{batch}");
    let batch_id = batch["batch_id"].as_str().unwrap().to_owned();
    let (s, list) = call(
        "GET",
        format!("/v1/documents/{}", batch["document_id"].as_str().unwrap()),
        STAFF.into(),
        None,
    )
    .await;
    assert_eq!(
        (s, list["kind"].as_str()),
        (200, Some("case_batch")),
        "{list}"
    );
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        let pdf = app
            .bytes(&format!("/v1/documents/doc-{batch_id}.pdf?lang=ru"), STAFF)
            .await;
        let keep = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(keep.join("batch-ru.pdf"), &pdf).unwrap();
        let text = crate::printed::pdf_text(&pdf).replace('\n', " ");
        for want in ["Реестр передачи документов", "Школа №5", &id, "Дана Бекова"]
        {
            assert!(text.contains(want), "no {want:?} in {text}");
        }
    }

    // The courier is late after a working day: noted once, on both sides' lists.
    app.pass_days(4).await;
    app.app.sweep().await.unwrap();
    let (_, open) = call(
        "GET",
        "/v1/organisations/SCH1/batches?open=true".into(),
        head.clone(),
        None,
    )
    .await;
    assert_eq!(
        (open[0]["batch_id"].as_str(), open[0]["late"].as_bool()),
        (Some(batch_id.as_str()), Some(true)),
        "{open}"
    );
    let (s, _) = call(
        "POST",
        format!("/v1/batches/{batch_id}/receive"),
        CLERK.into(),
        None,
    )
    .await;
    assert_eq!(s, 403, "the school receives applications");
    let (s, v) = call(
        "POST",
        format!("/v1/batches/{batch_id}/receive"),
        head.clone(),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // The school's time starts now; it works and signs; the result goes back by courier.
    for (path, token, body) in [
        ("assign", &head, Some(json!({"executor": "executor-1"}))),
        ("draft", &executor, Some(json!({"outcome": "granted"}))),
        ("sign", &head, None),
    ] {
        let (s, v) = call(
            "POST",
            format!("/v1/cases/{id}/{path}"),
            token.clone(),
            body,
        )
        .await;
        assert_eq!(s, 200, "{path}: {v}");
    }
    let (s, back) = call(
        "POST",
        "/v1/organisations/SCH1/batches".into(),
        head.clone(),
        Some(json!({"direction": "to_centre", "cases": [id]})),
    )
    .await;
    assert_eq!(s, 201, "{back}");
    let (_, c) = call("GET", format!("/v1/cases/{id}"), head.clone(), None).await;
    assert_eq!(c["status"], "awaiting_collection", "{c}");
    let back_id = back["batch_id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        "POST",
        format!("/v1/batches/{back_id}/receive"),
        CLERK.into(),
        None,
    )
    .await;
    assert_eq!(s, 200);

    // Not collected within a month: to the school's archive, where it is handed over.
    app.pass_days(32).await;
    let (_, c) = call("GET", format!("/v1/cases/{id}"), head.clone(), None).await;
    assert_eq!(c["custody"]["at"], "archived", "{c}");
    let (s, c) = call(
        "POST",
        format!("/v1/cases/{id}/hand-over"),
        head.clone(),
        None,
    )
    .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("issued")), "{c}");

    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let kinds: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["case_id"] == id.as_str())
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "case_accepted",
            "case_result",
            "case_result_at_centre",
            "case_result_archived"
        ],
        "{notes}"
    );
    kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
}
