//! Forgetting a family (issue 28, part 5): an administrator erases the persons of a finished
//! application; from then on its documents answer 410 `erased`, its proof files too, the
//! journal opens to a stand-in, the persons' key rows are tombstones — and the journal still
//! verifies, every round re-run, on every store; on SQLite no byte of what was erased is left
//! in the database file, nor in a backup made afterwards.

use crate::harness::{
    application, child_iin, put_keys, sealing_store, spawn_on, TestApp, AUDITOR, PORTAL, STAFF,
};
use kezek_app::access::Role;
use kezek_app::keys::authority::Authority;
use kezek_app::keys::NewKey;
use kezek_core::model::Seq;
use kezek_store::sealing::KeyRow;
use kezek_store::Store;
use serde_json::{json, Value};
use std::sync::Arc;

/// An administrator's token.
fn admin(app: &TestApp, store: &dyn Store) -> String {
    let new = NewKey {
        role: Role::Admin,
        scope: Vec::new(),
        expires: None,
        official: None,
    };
    kezek_app::keys::create(store, &Authority::from_seed([7; 32]), new, app.app.now())
        .unwrap()
        .1
}

/// What the test names the erased family by.
struct Family {
    id: String,
    document: String,
    file: String,
    child: String,
}

/// Two children of one applicant: the first referred at once (its referral a document),
/// with a proof file, then withdrawn; the second waits in the queue, then a round runs.
async fn two_children(app: &TestApp) -> (Family, String) {
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    app.kindergarten("K1", "D1", 1).await;
    let mut body = application(1, Some("large_family"));
    body["child"]["name"] = json!("Aruzhan Serikqyzy");
    body["applicant"]["name"] = json!("Dana Serikova");
    let (s, first) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 201, "{first}");
    let id = first["application_id"].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(format!(
            "{}/v1/applications/{id}/files?document=benefit_proof",
            app.base
        ))
        .bearer_auth(PORTAL)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.7\n% the benefit's proof\n%%EOF\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    let (s, second) = app.register(2, None).await;
    assert_eq!(s, 201, "{second}");
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.run_round().await;
    let family = Family {
        document: first["document_id"].as_str().unwrap().to_owned(),
        file: file["file_id"].as_str().unwrap().to_owned(),
        child: child_iin(10),
        id,
    };
    (
        family,
        second["application_id"].as_str().unwrap().to_owned(),
    )
}

/// `path` as the district's staff ask for it.
async fn staff_get(app: &TestApp, path: &str) -> (u16, Value) {
    app.call("GET", path, Some(STAFF), None).await
}

/// Document `id` as the district's staff ask for it.
async fn document(app: &TestApp, id: &str) -> (u16, Value) {
    staff_get(app, &format!("/v1/documents/{id}")).await
}

/// Erases the family of `id`; the answer.
async fn erase(app: &TestApp, admin: &str, id: &str) -> (u16, Value) {
    app.call(
        "POST",
        "/v1/erasures",
        Some(admin),
        Some(json!({"applications": [id], "reason": "court order 2-123/2031 of 1 March 2031"})),
    )
    .await
}

/// `kezek verify` on `store`: the documents it checked.
fn verify(store: &dyn Store) -> u64 {
    kezek_app::audit::installation(
        store,
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap()
    .documents
}

#[tokio::test]
async fn an_erased_family_is_gone_from_every_route_and_the_journal_still_verifies() {
    let store = sealing_store();
    put_keys(store.as_ref());
    let app = spawn_on(store.clone()).await;
    let (family, other) = two_children(&app).await;
    let admin = admin(&app, store.as_ref());
    let documents_before = verify(store.as_ref());

    // Only an administrator erases, only what is finished, with a reason.
    let (s, _) = app
        .call(
            "POST",
            "/v1/erasures",
            Some(STAFF),
            Some(json!({"applications": [family.id], "reason": "x"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = erase(&app, &admin, &other).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("application_active")),
        "{v}"
    );
    let (s, v) = app
        .call(
            "POST",
            "/v1/erasures",
            Some(&admin),
            Some(json!({"applications": [family.id], "reason": " "})),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("basis")),
        "{v}"
    );
    let (s, shown) = document(&app, &family.document).await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["body"]["child_name"], "Aruzhan Serikqyzy");

    // The moved clock: years later, the order comes.
    app.advance_days(5 * 365);
    let (s, report) = erase(&app, &admin, &family.id).await;
    assert_eq!(s, 200, "{report}");
    // The child goes; the applicant stays, their other child still waits.
    assert_eq!(report["erased"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["erased"][0]["role"], "child");
    assert_eq!(report["kept"], json!(["application_active"]));
    let stand_in = report["erased"][0]["stand_in"].as_str().unwrap().to_owned();
    let (s, v) = erase(&app, &admin, &family.id).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("already_erased")),
        "{v}"
    );

    // Every route answers erased, or no longer knows the child.
    for path in [
        format!("/v1/documents/{}", family.document),
        format!("/v1/documents/{}.pdf", family.document),
        format!("/v1/files/{}", family.file),
    ] {
        let (s, v) = staff_get(&app, &path).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (410, Some("erased")),
            "{path}: {v}"
        );
    }
    let (s, v) = staff_get(
        &app,
        &format!("/v1/applications?child_iin={}", family.child),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(!v.to_string().contains(&family.id), "{v}");
    // The staff's console says the family was erased, and shows no stand-in as an IIN.
    let cookie = app.console_session(STAFF).await;
    let page = app
        .http
        .get(format!(
            "{}/console/applications/{}?lang=ru",
            app.base, family.id
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    std::fs::write(
        std::env::temp_dir().join("kezek-erased-casefile.html"),
        &html,
    )
    .unwrap();
    assert!(html.contains(r#"data-testid="erased""#), "{html}");
    assert!(html.contains("Данные удалены"), "{html}");
    assert!(
        !html.contains(&family.file),
        "the erased file is not offered: {html}"
    );
    assert!(
        !html.contains(&family.child) && !html.contains(&stand_in),
        "{html}"
    );
    let (s, seen) = staff_get(&app, &format!("/v1/applications/{}", family.id)).await;
    assert_eq!(s, 200, "{seen}");
    let text = seen.to_string();
    assert!(
        !text.contains(&family.child) && !text.contains("Aruzhan"),
        "{seen}"
    );
    assert!(app
        .app
        .family_status(&family.id, &family.child)
        .await
        .unwrap()
        .is_none());
    // The auditor's journal opens the child's records to the stand-in.
    let (s, page) = app
        .call("GET", "/v1/journal?after=0&limit=1000", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 200);
    let text = page.to_string();
    assert!(!text.contains(&family.child) && !text.contains("Serikqyzy"));
    assert!(text.contains(&stand_in), "{text}");
    assert!(text.contains("person_erased"));
    // The child's key is a tombstone; the applicant's key is held.
    let rows: Vec<KeyRow> = store
        .person_keys("", 100)
        .unwrap()
        .iter()
        .map(|(_, body)| KeyRow::parse(body).unwrap())
        .collect();
    assert_eq!(
        rows.iter()
            .filter(|r| matches!(r, KeyRow::Erased { stand_in: s } if s.to_string() == stand_in))
            .count(),
        1,
        "{rows:?}"
    );
    // The other child is untouched.
    let (s, v) = staff_get(&app, &format!("/v1/applications/{other}")).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("referred")), "{v}");

    // The journal verifies, its rounds re-run, the documents but the erased ones checked.
    assert!(verify(store.as_ref()) < documents_before);
    // A start replays the journal to the same: the stand-in, no name.
    let again = spawn_on(store.clone()).await;
    let (s, seen) = staff_get(&again, &format!("/v1/applications/{}", family.id)).await;
    assert_eq!(
        (s, seen["status"].as_str()),
        (200, Some("withdrawn")),
        "{seen}"
    );
    assert!(!seen.to_string().contains("Aruzhan"), "{seen}");
    let (s, v) = document(&again, &family.document).await;
    assert_eq!(s, 410, "{v}");
    let records = store.read(Seq::new(0), 1000).unwrap();
    assert_eq!(
        records.iter().filter(|r| r.kind == "person_erased").count(),
        1
    );
}

/// The stand-in IIN a `person_erased` record names.
fn stand_in_of(payload: &[u8]) -> String {
    let v: Value = serde_json::from_slice(payload).unwrap();
    v["stand_in"].as_str().unwrap().to_owned()
}

/// The files under `path` (itself, when a file) that hold `needle`.
fn found_in(path: &std::path::Path, needle: &[u8]) -> Vec<String> {
    if path.is_dir() {
        return std::fs::read_dir(path)
            .unwrap()
            .flat_map(|e| found_in(&e.unwrap().path(), needle))
            .collect();
    }
    let bytes = std::fs::read(path).unwrap();
    if bytes.windows(needle.len()).any(|w| w == needle) {
        vec![path.display().to_string()]
    } else {
        Vec::new()
    }
}

#[tokio::test]
async fn no_byte_of_an_erased_family_is_left_in_the_sqlite_file_nor_in_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    let store: Arc<dyn Store> = Arc::new(kezek_store::sqlite::SqliteStore::open(&path).unwrap());
    assert!(store.seals().unwrap());
    put_keys(store.as_ref());
    let app = spawn_on(store.clone()).await;
    let (family, _) = two_children(&app).await;
    let admin = admin(&app, store.as_ref());
    // The child's key (its row: the key, then the IIN), and the name its documents print,
    // are in the file before.
    let key = store
        .person_keys("", 100)
        .unwrap()
        .into_iter()
        .find(|(_, body)| body.ends_with(family.child.as_bytes()))
        .map(|(_, body)| body.get(..32).unwrap().to_vec())
        .unwrap();
    let name = b"Aruzhan Serikqyzy";
    assert!(!found_in(dir.path(), name).is_empty());
    assert!(!found_in(dir.path(), &key).is_empty());
    let (s, report) = erase(&app, &admin, &family.id).await;
    assert_eq!(s, 200, "{report}");
    // After: neither the key nor the name, in the database, its WAL, or a backup made now.
    let backup = dir.path().join("backup");
    kezek_store::sqlite::backup(&path, &backup).unwrap();
    for place in [dir.path(), backup.as_path()] {
        assert_eq!(found_in(place, &key), Vec::<String>::new(), "the key");
        assert_eq!(found_in(place, name), Vec::<String>::new(), "the name");
        assert_eq!(
            found_in(place, family.child.as_bytes()),
            Vec::<String>::new(),
            "the IIN"
        );
    }
    drop(app);
}

#[tokio::test]
async fn the_sweeper_erases_a_family_once_the_policys_retention_runs_out() {
    let store = sealing_store();
    put_keys(store.as_ref());
    let text = format!(
        "{}\n[retention]\nyears_after_leaving = 1\n",
        kezek_core::Policy::kz_2013().source()
    );
    let policy = kezek_core::Policy::from_toml(&text).unwrap();
    let app = crate::harness::spawn_with(store.clone(), policy).await;
    let (family, other) = two_children(&app).await;
    // Within the year: kept.
    app.advance_days(300);
    app.app.sweep().await.unwrap();
    let (s, _) = document(&app, &family.document).await;
    assert_eq!(s, 200);
    // A year and a day after the withdrawal: erased by the sweep, as the system.
    app.advance_days(70);
    app.app.sweep().await.unwrap();
    let (s, v) = document(&app, &family.document).await;
    assert_eq!((s, v["code"].as_str()), (410, Some("erased")), "{v}");
    let records = store.read(Seq::new(0), 1000).unwrap();
    let erasures: Vec<_> = records
        .iter()
        .filter(|r| r.kind == "person_erased")
        .collect();
    assert_eq!(
        erasures.len(),
        1,
        "the child only: the applicant still waits with another"
    );
    assert_eq!(erasures[0].actor, "system");
    let (_, page) = app
        .call("GET", "/v1/journal?after=0&limit=1000", Some(AUDITOR), None)
        .await;
    let erased = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "person_erased")
        .unwrap();
    assert_eq!(erased["payload"]["reason"], "retention", "{erased}");
    // The other child is not due (still waiting); a second sweep erases nothing more.
    app.app.sweep().await.unwrap();
    assert_eq!(store.read(Seq::new(0), 1000).unwrap().len(), records.len());
    let (s, v) = staff_get(&app, &format!("/v1/applications/{other}")).await;
    // (Its referral lapsed meanwhile: back in the queue, still needing its applicant.)
    assert_eq!((s, v["status"].as_str()), (200, Some("queued")), "{v}");
    assert!(!v.to_string().contains(&stand_in_of(&erasures[0].payload)));
    verify(store.as_ref());
}
