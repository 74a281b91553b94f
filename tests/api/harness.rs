//! The service as the tests run it: the wiring `kezek serve` runs (`kezek_node::run` over an
//! application started from a store), on 127.0.0.1:0, with test keys and a clock the test
//! moves, over the store `KEZEK_TEST_STORE` names: `memory` (the default), `sqlite` (a new
//! file in a temporary directory) or `postgres` (a new database on a private cluster the
//! test process starts). `tools/test` runs this suite on all three.

use jiff::Timestamp;
use kezek_app::keys::authority::Authority;
use kezek_app::keys::key_record;
use kezek_app::{App, ManualClock, Role};
use kezek_core::model::Iin;
use kezek_core::Policy;
use kezek_store::memory::MemoryStore;
use kezek_store::{KeyStore, Store};
use serde_json::{json, Value};
use std::sync::Arc;

pub const PORTAL: &str = "t-portal";
pub const STAFF: &str = "t-staff-d1";
pub const STAFF_D2: &str = "t-staff-d2";
pub const KG: &str = "t-kg-k1";
pub const KG2: &str = "t-kg-k2";
pub const AUDITOR: &str = "t-auditor";
pub const CLERK: &str = "t-clerk-d1";

/// An empty store that seals personal data: the suite's own store when it does (a new SQLite
/// or PostgreSQL journal), else one in memory that does.
pub fn sealing_store() -> Arc<dyn Store> {
    let store = new_store();
    if store.seals().unwrap() {
        store
    } else {
        Arc::new(MemoryStore::sealing())
    }
}

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The client.
    pub http: reqwest::Client,
    /// The clock the service reads.
    pub clock: Arc<ManualClock>,
    /// The application (for what time passing does: the sweep).
    pub app: Arc<App>,
}

/// The test keys, stored in `store`.
pub fn put_keys(store: &dyn KeyStore) {
    for (token, role, scope) in [
        (PORTAL, Role::Portal, vec![]),
        (STAFF, Role::Staff, vec!["D1".to_owned()]),
        (STAFF_D2, Role::Staff, vec!["D2".to_owned()]),
        (KG, Role::Kindergarten, vec!["K1".to_owned()]),
        (KG2, Role::Kindergarten, vec!["K2".to_owned()]),
        (AUDITOR, Role::Auditor, vec![]),
        (CLERK, Role::Clerk, vec!["D1".to_owned()]),
    ] {
        let id = format!("key-{}-{}", role.as_str(), scope.join("-"));
        // Signed by the test authority, as `kezek keys create` signs: `kezek verify` checks it.
        let mut record = key_record(&id, token, role, scope, "2026-09-01T00:00:00Z");
        record.signature =
            Authority::from_seed([7; 32]).sign(&kezek_app::keys::authority::key_bytes(&record));
        store.put_key(&record).unwrap();
    }
}

/// The start of every test's clock.
pub fn start_time() -> Timestamp {
    "2026-09-01T04:00:00Z".parse().unwrap()
}

/// Starts the service over `store` (keys already in it) the way `kezek serve` does.
pub async fn spawn_on(store: Arc<dyn Store>) -> TestApp {
    spawn_with(store, Policy::kz_2013()).await
}

/// [`spawn_on`] under `policy`.
pub async fn spawn_with(store: Arc<dyn Store>, policy: Policy) -> TestApp {
    let clock = Arc::new(ManualClock::at(start_time()));
    let app = App::start(store, policy, Authority::from_seed([7; 32]), clock.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kezek_node::run(
        listener,
        Arc::clone(&app),
        kezek_http::server::Limits::default(),
        std::future::pending(),
    ));
    TestApp {
        base,
        http: reqwest::Client::new(),
        clock,
        app,
    }
}

/// An empty store of the backend `KEZEK_TEST_STORE` names.
pub fn new_store() -> Arc<dyn Store> {
    match std::env::var("KEZEK_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "memory") => Arc::new(MemoryStore::new()),
        Ok("sqlite") => {
            // Kept for the rest of the test process: the store may outlive the test's scope.
            let dir = tempfile::tempdir().unwrap().keep();
            Arc::new(kezek_store::sqlite::SqliteStore::open(&dir.join("kezek.sqlite")).unwrap())
        }
        Ok("postgres") => {
            let store = kezek_store::postgres::PgStore::open(&kezek_testdb::database()).unwrap();
            assert!(kezek_store::Shared::try_lead(&store, "http://test")
                .unwrap()
                .is_some());
            Arc::new(store)
        }
        Ok(other) => panic!("KEZEK_TEST_STORE={other}: memory, sqlite or postgres"),
    }
}

/// A service over an empty store with the test keys, its authority key and policy journaled
/// first as `kezek serve` does; the store too.
pub async fn spawn_app() -> (TestApp, Arc<dyn Store>) {
    let store = new_store();
    put_keys(store.as_ref());
    let app = spawn_on(store.clone()).await;
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    (app, store)
}

impl TestApp {
    /// Sends a request; the status and the JSON body (problem+json on errors, checked).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        if status >= 400 {
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{method} {path}"
            );
        }
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Runs an allocation round in D1 (staff): its answer, after checking it is 201.
    pub async fn run_round(&self) -> Value {
        let (s, v) = self
            .call(
                "POST",
                "/v1/districts/D1/allocations",
                Some(STAFF),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }

    /// Moves the clock `days` forward.
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(days * 86_400);
    }

    /// Moves the clock `days` forward and runs what runs when time passes: the lapse sweep.
    pub async fn pass_days(&self, days: i64) {
        self.advance_days(days);
        self.app.sweep().await.unwrap();
    }

    /// Creates kindergarten `id` with groups g4 and g3 (kk) of `capacity` seats.
    pub async fn kindergarten(&self, id: &str, district: &str, capacity: u32) {
        let body = json!({"name": format!("Kindergarten {id}"), "district": district, "groups": [
            {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": capacity},
            {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": capacity}]});
        let token = if district == "D1" { STAFF } else { STAFF_D2 };
        let (s, v) = self
            .call(
                "PUT",
                &format!("/v1/kindergartens/{id}"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    /// The console's sign-in form as a browser gets it: its cookie (`name=value`) and the
    /// CSRF token in the form.
    pub async fn sign_in_form(&self) -> (String, String) {
        let res = self
            .http
            .get(format!("{}/console/sign-in", self.base))
            .send()
            .await
            .unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let page = res.text().await.unwrap();
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the form carries a CSRF token")
            .to_owned();
        (cookie, csrf)
    }

    /// Signs in to the console with `token` as a browser does (the form first): the answer.
    pub async fn post_sign_in(&self, token: &str) -> reqwest::Response {
        let (cookie, csrf) = self.sign_in_form().await;
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/console/sign-in", self.base))
            .header("cookie", cookie)
            .form(&[("token", token), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
    }

    /// A console session for `token`: the session cookie's `name=value`.
    pub async fn console_session(&self, token: &str) -> String {
        let res = self.post_sign_in(token).await;
        assert_eq!(res.status(), 303, "signed in");
        let set = res.headers()["set-cookie"].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    /// The bytes `GET path` answers with key `token` (a PDF, a signature).
    pub async fn bytes(&self, path: &str, token: &str) -> Vec<u8> {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }

    /// The family confirms `referral` and the kindergarten of key `kindergarten` admits the
    /// child.
    pub async fn admit(&self, referral: &str, kindergarten: &str) {
        for (what, token) in [("confirm", PORTAL), ("enroll", kindergarten)] {
            let (s, v) = self
                .call(
                    "POST",
                    &format!("/v1/referrals/{referral}/{what}"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{what}: {v}");
        }
    }

    /// Registers child number `n` for K1 in D1.
    pub async fn register(&self, n: u16, category: Option<&str>) -> (u16, Value) {
        self.call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(application(n, category)),
        )
        .await
    }
}

/// The IIN of child number `n` (born 2022-03-01, so 4 in 2026).
pub fn child_iin(n: u16) -> String {
    let birth = jiff::civil::date(2022, 3, 1);
    (n..)
        .find_map(|s| Iin::compose(birth, n.is_multiple_of(2), s))
        .unwrap()
        .to_string()
}

/// A valid registration of child number `n` for K1 in D1.
pub fn application(n: u16, category: Option<&str>) -> Value {
    let mut docs = vec!["application_form", "applicant_id", "address_proof"];
    if category.is_some() {
        docs.push("benefit_proof");
    }
    json!({"child": {"iin": child_iin(n * 10), "name": "Aruzhan"},
           "applicant": {"iin": "880101300123", "name": "Dana", "representative": null},
           "district": "D1", "language": "kk", "preferences": ["K1"], "category": category,
           "documents": docs, "channel": "portal"})
}
