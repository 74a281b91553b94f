//! Proof files: scans and photos attached to an application as raw bytes, checked by their
//! bytes (type, size, count), their SHA-256 in the journal, their bytes served only to the
//! staff of the application's district and only while they match that hash.

use crate::harness::{put_keys, spawn_app, spawn_on, AUDITOR, CLERK, KG, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};
use std::sync::Arc;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR scan of a disability certificate";

fn pdf(n: usize) -> Vec<u8> {
    format!("%PDF-1.7\n% page {n}\n%%EOF\n").into_bytes()
}

/// `POST /v1/applications/{id}/files[?query]` with `bytes` sent as `content_type`.
async fn attach(
    app: &crate::harness::TestApp,
    id: &str,
    query: &str,
    token: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/v1/applications/{id}/files{query}", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status >= 400 {
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    (status, res.json().await.unwrap())
}

async fn head_seq(app: &crate::harness::TestApp) -> Value {
    app.call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await
        .1["seq"]
        .clone()
}

fn code(v: &Value) -> (&str, Option<&str>) {
    (
        v["code"].as_str().unwrap_or_default(),
        v["errors"][0]["code"].as_str(),
    )
}

#[tokio::test]
async fn proof_files_are_checked_by_their_bytes_and_journaled_by_their_hash() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let id = a["application_id"].as_str().unwrap();

    // The family sends a photo of the benefit's proof through the portal.
    let (s, v) = attach(
        &app,
        id,
        "?document=benefit_proof",
        PORTAL,
        "image/png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let sha = kezek_core::command::file::sha256_hex(PNG);
    assert_eq!(
        (&v["sha256"], &v["content_type"], &v["size"], &v["document"]),
        (
            &json!(sha),
            &json!("image/png"),
            &json!(PNG.len()),
            &json!("benefit_proof")
        )
    );
    let file_id = v["file_id"].as_str().unwrap().to_owned();

    // The journal holds what it is and its hash, never its bytes.
    let (_, journal) = app
        .call("GET", "/v1/journal?limit=1000", Some(AUDITOR), None)
        .await;
    let record = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "file_attached")
        .unwrap()
        .clone();
    assert_eq!(
        (
            &record["payload"]["file_id"],
            &record["payload"]["sha256"],
            &record["payload"]["application_id"]
        ),
        (&json!(file_id), &json!(sha), &json!(id))
    );
    assert!(!record.to_string().contains("IHDR"));

    // Refused, each naming its rule, and nothing journaled.
    let seq = head_seq(&app).await;
    let mut big = pdf(0);
    big.resize(10 * 1024 * 1024 + 1, b' ');
    for (query, token, ct, bytes, status, expected) in [
        (
            "",
            PORTAL,
            "image/png",
            PNG.to_vec(),
            409,
            ("file_exists", None),
        ),
        (
            "",
            PORTAL,
            "image/png",
            pdf(1),
            422,
            ("invalid_request", Some("content_type_mismatch")),
        ),
        (
            "",
            PORTAL,
            "application/pdf",
            b"<html>".to_vec(),
            422,
            ("invalid_request", Some("unsupported_file_type")),
        ),
        (
            "",
            PORTAL,
            "application/pdf",
            Vec::new(),
            422,
            ("invalid_request", Some("empty_file")),
        ),
        (
            "",
            PORTAL,
            "text/plain",
            pdf(1),
            415,
            ("unsupported_media_type", None),
        ),
        (
            "",
            PORTAL,
            "application/pdf",
            big,
            413,
            ("body_too_large", None),
        ),
        (
            "?document=passport",
            PORTAL,
            "application/pdf",
            pdf(1),
            422,
            ("invalid_request", Some("unknown_document")),
        ),
        (
            "?colour=red",
            PORTAL,
            "application/pdf",
            pdf(1),
            422,
            ("malformed_request", None),
        ),
        (
            "",
            STAFF_D2,
            "application/pdf",
            pdf(1),
            403,
            ("forbidden", None),
        ),
        ("", KG, "application/pdf", pdf(1), 403, ("forbidden", None)),
    ] {
        let (s, v) = attach(&app, id, query, token, ct, bytes).await;
        assert_eq!(s, status, "{query} {ct}: {v}");
        let (c, first) = code(&v);
        assert_eq!(c, expected.0, "{v}");
        if expected.1.is_some() {
            assert_eq!(first, expected.1, "{v}");
            assert_eq!(
                v["errors"][0]["field"],
                json!(if first == Some("unknown_document") {
                    "document"
                } else {
                    "content"
                })
            );
        }
    }
    let (s, v) = attach(&app, "A-none", "", PORTAL, "application/pdf", pdf(1)).await;
    assert_eq!((s, code(&v).0), (404, "not_found"), "{v}");
    assert_eq!(head_seq(&app).await, seq);

    // A file of exactly 10 MiB is taken; a clerk and staff attach too; ten in all, then no more.
    let mut largest = pdf(0);
    largest.resize(10 * 1024 * 1024, b' ');
    let (s, v) = attach(&app, id, "", CLERK, "application/pdf", largest.clone()).await;
    assert_eq!(s, 201, "{v}");
    let largest_id = v["file_id"].as_str().unwrap().to_owned();
    for n in 1..=8 {
        let (s, v) = attach(&app, id, "", STAFF, "application/pdf", pdf(n)).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = attach(&app, id, "", STAFF, "application/pdf", pdf(9)).await;
    assert_eq!((s, code(&v).0), (409, "too_many_files"), "{v}");
    let (_, shown) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    let files = shown["files"].as_array().unwrap();
    assert_eq!(files.len(), 10);
    assert_eq!(files[0]["file_id"], json!(file_id));

    // The bytes go to the district's staff only, as they were sent.
    let get = |token: &'static str, fid: String| {
        let http = app.http.clone();
        let url = format!("{}/v1/files/{fid}", app.base);
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            let status = res.status().as_u16();
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            (status, ct, res.bytes().await.unwrap().to_vec())
        }
    };
    let (s, ct, bytes) = get(STAFF, file_id.clone()).await;
    assert_eq!((s, ct.as_str(), bytes.as_slice()), (200, "image/png", PNG));
    let (s, _, bytes) = get(STAFF, largest_id).await;
    assert_eq!((s, bytes == largest), (200, true));
    for token in [PORTAL, CLERK, AUDITOR, KG, STAFF_D2] {
        assert_eq!(get(token, file_id.clone()).await.0, 403, "{token}");
    }
    assert_eq!(get(STAFF, "F0".into()).await.0, 404);

    // The installation verifies: every file stored as the journal describes it.
    let report = kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    assert_eq!(report.files, 10);
}

#[tokio::test]
async fn a_file_changed_in_the_store_is_not_served_and_verify_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    let store: Arc<dyn kezek_store::Store> =
        Arc::new(kezek_store::sqlite::SqliteStore::open(&path).unwrap());
    put_keys(store.as_ref());
    let app = spawn_on(store.clone()).await;
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap();
    let (s, v) = attach(&app, id, "", PORTAL, "application/pdf", pdf(1)).await;
    assert_eq!(s, 201, "{v}");
    let file_id = v["file_id"].as_str().unwrap().to_owned();
    let audit = || {
        kezek_app::audit::installation(
            store.as_ref(),
            kezek_core::Policy::kz_2013(),
            || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
            &[],
        )
    };
    assert_eq!(audit().unwrap().files, 1);

    // Someone with the database changes the scan.
    let db = rusqlite::Connection::open(&path).unwrap();
    let changed = db
        .execute(
            "UPDATE files SET body = ?1 WHERE id = ?2",
            rusqlite::params![pdf(2), file_id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let res = app
        .http
        .get(format!("{}/v1/files/{file_id}", app.base))
        .bearer_auth(STAFF)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let err = audit().unwrap_err().to_string();
    assert!(err.contains(&file_id) && err.contains(id), "{err}");

    // And a file no record attaches.
    db.execute(
        "UPDATE files SET body = ?1 WHERE id = ?2",
        rusqlite::params![pdf(1), file_id],
    )
    .unwrap();
    assert_eq!(audit().unwrap().files, 1);
    db.execute(
        "INSERT INTO files (id, body) VALUES ('Fstray', ?1)",
        rusqlite::params![pdf(3)],
    )
    .unwrap();
    let err = audit().unwrap_err().to_string();
    assert!(err.contains("Fstray"), "{err}");
}

#[tokio::test]
async fn a_cases_files_are_opened_by_those_who_work_on_it_only() {
    use kezek_app::access::Role;
    let (app, store) = spawn_app().await;
    assert!(app.app.journal_definitions().await.unwrap());
    app.kindergarten("K1", "D1", 0).await;
    let authority = kezek_app::keys::authority::Authority::from_seed([7; 32]);
    let key = |role: Role, scope: &[&str]| {
        let new = kezek_app::keys::NewKey {
            role,
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            expires: None,
            official: None,
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let (head, executor, other_head) = (
        key(Role::Head, &["SCH1"]),
        key(Role::Executor, &["SCH1"]),
        key(Role::Head, &["SCH2"]),
    );
    let school = json!({"kind": "school", "name": {"kk": "№5 мектеп", "ru": "Школа №5"},
        "address": {"kk": "Абай көшесі, 5", "ru": "улица Абая, 5"}, "district": "D1"});
    let (s, v) = app
        .call("PUT", "/v1/organisations/SCH1", Some(STAFF), Some(school))
        .await;
    assert_eq!(s, 200, "{v}");
    let iin = kezek_core::model::Iin::compose(jiff::civil::date(2019, 5, 1), true, 3)
        .unwrap()
        .to_string();
    let filing = json!({"provider": "SCH1", "channel": "office",
        "applicant": {"iin": "880101300123", "name": "Дана Бекова"},
        "form": {"child": {"name": "Аружан Бекова", "iin": iin, "birth_date": "2019-05-01"},
                 "grade": 1, "language": "kk", "address": "Абай көшесі, 7"},
        "documents": ["application", "birth_certificate", "health_card", "vaccination_card", "photos"]});
    let (s, case) = app
        .call(
            "POST",
            "/v1/services/school_admission/cases",
            Some(CLERK),
            Some(filing),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/cases/{id}/files");
    let send = |token: String, query: &'static str, bytes: Vec<u8>| {
        let (http, url) = (app.http.clone(), format!("{}{path}{query}", app.base));
        async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .header("content-type", "image/png")
                .body(bytes)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = send(PORTAL.into(), "?document=birth_certificate", PNG.to_vec()).await;
    assert_eq!(s, 201, "{v}");
    let file_id = v["file_id"].as_str().unwrap().to_owned();
    let (s, v) = send(
        PORTAL.into(),
        "?document=benefit_proof",
        b"\x89PNG\r\n\x1a\n2".to_vec(),
    )
    .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (422, Some("unknown_document")),
        "{v}"
    );
    let (s, _) = send(other_head.clone(), "", b"\x89PNG\r\n\x1a\n3".to_vec()).await;
    assert_eq!(s, 403);
    let (_, shown) = app
        .call("GET", &format!("/v1/cases/{id}"), Some(&head), None)
        .await;
    assert_eq!(shown["files"][0]["file_id"], json!(file_id), "{shown}");

    let get = |token: String| {
        let (http, url) = (app.http.clone(), format!("{}/v1/files/{file_id}", app.base));
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
        }
    };
    for token in [head.clone(), executor.clone(), STAFF.to_owned()] {
        assert_eq!(get(token).await, (200, PNG.to_vec()));
    }
    for token in [
        other_head,
        PORTAL.to_owned(),
        CLERK.to_owned(),
        AUDITOR.to_owned(),
        STAFF_D2.to_owned(),
    ] {
        assert_eq!(get(token.clone()).await.0, 403, "{token}");
    }
    let report = kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    assert_eq!(report.files, 1);
}
