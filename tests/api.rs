//! Black-box tests of the HTTP API (API.md) on 127.0.0.1:0, over an in-memory journal and
//! a clock the test moves.

use jiff::Timestamp;
use kezek_api::auth::{key_record, Role};
use kezek_api::service::Service;
use kezek_core::iin::Iin;
use kezek_core::{Policy, State};
use kezek_store::memory::MemoryJournal;
use kezek_store::Journal;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

struct App {
    base: String,
    http: reqwest::Client,
    clock: Arc<AtomicI64>,
    journal: Arc<MemoryJournal>,
}

const PORTAL: &str = "t-portal";
const STAFF: &str = "t-staff-d1";
const STAFF_D2: &str = "t-staff-d2";
const KG: &str = "t-kg-k1";
const AUDITOR: &str = "t-auditor";

/// Serves the router over `svc` on 127.0.0.1:0; the base URL.
async fn serve(svc: Arc<Service>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, kezek_api::router(svc)).await.unwrap() });
    base
}

async fn spawn_app() -> App {
    let journal = Arc::new(MemoryJournal::new());
    for (token, role, scope) in [
        (PORTAL, Role::Portal, vec![]),
        (STAFF, Role::Staff, vec!["D1".to_owned()]),
        (STAFF_D2, Role::Staff, vec!["D2".to_owned()]),
        (KG, Role::Kindergarten, vec!["K1".to_owned()]),
        (AUDITOR, Role::Auditor, vec![]),
    ] {
        journal
            .put_key(&key_record(
                &format!("key-{}-{}", role.as_str(), scope.join("-")),
                token,
                role,
                scope,
                "2026-09-01T00:00:00Z",
            ))
            .unwrap();
    }
    let clock = Arc::new(AtomicI64::new(
        "2026-09-01T04:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second(),
    ));
    let c = Arc::clone(&clock);
    let svc = Service::new(
        State::new(Policy::kz_2013()),
        journal.clone(),
        Arc::new(move || Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap()),
        kezek_api::authority::Authority::from_seed([7; 32]),
    )
    .unwrap();
    let base = serve(svc).await;
    App {
        base,
        http: reqwest::Client::new(),
        clock,
        journal,
    }
}

impl App {
    async fn call(
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

    fn advance_days(&self, days: i64) {
        self.clock.fetch_add(days * 86_400, Ordering::SeqCst);
    }

    async fn kindergarten(&self, id: &str, district: &str, capacity: u32) {
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

    async fn register(&self, n: u16, category: Option<&str>) -> (u16, Value) {
        self.call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(application(n, category)),
        )
        .await
    }
}

fn child_iin(n: u16) -> String {
    let birth = jiff::civil::date(2022, 3, 1);
    (n..)
        .find_map(|s| Iin::compose(birth, n % 2 == 0, s))
        .unwrap()
        .to_string()
}

fn application(n: u16, category: Option<&str>) -> Value {
    let mut docs = vec!["application_form", "applicant_id", "address_proof"];
    if category.is_some() {
        docs.push("benefit_proof");
    }
    json!({"child": {"iin": child_iin(n * 10), "name": "Aruzhan"},
           "applicant": {"iin": "880101300123", "name": "Dana", "representative": null},
           "district": "D1", "language": "kk", "preferences": ["K1"], "category": category,
           "documents": docs, "channel": "portal"})
}

#[tokio::test]
async fn register_read_and_position() {
    let app = spawn_app().await;
    // No free seat, so the children stay queued.
    app.kindergarten("K1", "D1", 0).await;
    let (s, first) = app.register(1, None).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["status"], "queued");
    assert_eq!(first["queue_number"], 1);
    assert_eq!(first["tier"], "general");
    assert_eq!(first["positions"][0]["kindergarten_id"], "K1");
    assert_eq!(first["positions"][0]["group_id"], "g4");
    let (_, second) = app.register(2, Some("large_family")).await;
    assert_eq!(second["priority_status"], "pending");
    assert_eq!(
        second["queue_number"], 2,
        "an unverified claim does not count"
    );
    let id = second["application_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/priority"),
            Some(STAFF),
            Some(json!({"decision": "verified", "reason": "certificate"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, pos) = app
        .call(
            "GET",
            &format!("/v1/applications/{id}/position"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(pos["queue_number"], 1);
    assert_eq!(pos["tier"], "first_priority");
    assert_eq!(
        pos["positions"][0]["ahead"],
        json!({"first_priority": 0, "general": 0})
    );
    let (_, pos1) = app
        .call(
            "GET",
            &format!(
                "/v1/applications/{}/position",
                first["application_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        pos1["positions"][0]["ahead"],
        json!({"first_priority": 1, "general": 0})
    );
    let (s, list) = app
        .call(
            "GET",
            &format!("/v1/applications?child_iin={}", child_iin(20)),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["applications"][0]["application_id"], id);
}

#[tokio::test]
async fn refusal_lists_every_ground_and_is_journaled() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let before = app.journal.head().unwrap().seq;
    let mut body = application(1, Some("astronaut"));
    body["child"]["iin"] = json!("123");
    body["language"] = json!("en");
    body["preferences"] = json!(["K1", "K1", "K9", "K8"]);
    body["documents"] = json!(["application_form"]);
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["code"], "refused");
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    for c in [
        "invalid_iin",
        "unsupported_language",
        "too_many_preferences",
        "duplicate_preference",
        "unknown_kindergarten",
        "unknown_category",
        "documents_incomplete",
    ] {
        assert!(codes.contains(&c), "{c} not in {codes:?}");
    }
    assert!(v["document_id"].is_string());
    assert_eq!(
        v["missing"],
        json!(["applicant_id", "benefit_proof", "address_proof"])
    );
    assert_eq!(
        app.journal.head().unwrap().seq.get(),
        before.get() + 1,
        "the refusal is journaled"
    );
}

#[tokio::test]
async fn one_active_application_per_child() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let (_, first) = app.register(1, None).await;
    let (s, v) = app.register(1, None).await;
    assert_eq!(s, 409);
    assert_eq!(v["code"], "active_application_exists");
    assert_eq!(v["application_id"], first["application_id"]);
}

/// Method, path, token, body, expected status.
type Case<'a> = (&'a str, String, Option<&'a str>, Option<Value>, u16);

#[tokio::test]
async fn tokens_roles_and_scopes() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    app.kindergarten("K2", "D2", 2).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap();
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/v1/applications".into(),
            None,
            Some(application(2, None)),
            401,
        ),
        (
            "POST",
            "/v1/applications".into(),
            Some("wrong-token"),
            Some(application(2, None)),
            401,
        ),
        (
            "POST",
            "/v1/applications".into(),
            Some(STAFF),
            Some(application(2, None)),
            403,
        ),
        (
            "POST",
            "/v1/applications".into(),
            Some(KG),
            Some(application(2, None)),
            403,
        ),
        (
            "GET",
            format!("/v1/applications/{id}"),
            Some(AUDITOR),
            None,
            403,
        ),
        (
            "GET",
            format!("/v1/applications/{id}"),
            Some(STAFF_D2),
            None,
            403,
        ),
        (
            "GET",
            format!("/v1/applications/{id}"),
            Some(STAFF),
            None,
            200,
        ),
        (
            "PUT",
            "/v1/kindergartens/K2".into(),
            Some(STAFF),
            Some(json!({"name": "x", "district": "D2", "groups": []})),
            403,
        ),
        (
            "PUT",
            "/v1/kindergartens/K2".into(),
            Some(STAFF),
            Some(json!({"name": "x", "district": "D1", "groups": []})),
            403,
        ),
        (
            "POST",
            "/v1/districts/D2/allocations".into(),
            Some(STAFF),
            Some(json!({})),
            403,
        ),
        (
            "POST",
            "/v1/kindergartens/K2/groups/g4/vacancies".into(),
            Some(STAFF),
            Some(json!({"seats": 1})),
            403,
        ),
        (
            "GET",
            "/v1/kindergartens/K2/referrals".into(),
            Some(KG),
            None,
            403,
        ),
        (
            "GET",
            "/v1/kindergartens/K1/referrals".into(),
            Some(KG),
            None,
            200,
        ),
        (
            "POST",
            format!("/v1/applications/{id}/priority"),
            Some(PORTAL),
            Some(json!({"decision": "verified"})),
            403,
        ),
        (
            "POST",
            format!("/v1/applications/{id}/withdraw"),
            Some(STAFF),
            None,
            403,
        ),
    ];
    for (method, path, token, body, want) in cases {
        let (s, v) = app.call(method, &path, token, body).await;
        assert_eq!(s, want, "{method} {path} as {token:?}: {v}");
    }
}

#[tokio::test]
async fn idempotent_retries() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let send = |body: Value, key: &'static str| {
        app.http
            .post(format!("{}/v1/applications", app.base))
            .bearer_auth(PORTAL)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send(application(1, None), "k-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let head = app.journal.head().unwrap().seq;
    let again = send(application(1, None), "k-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the first answer, again"
    );
    assert_eq!(app.journal.head().unwrap().seq, head, "nothing changed");
    let other = send(application(2, None), "k-1").await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(
        other.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
}

#[tokio::test]
async fn vacancies_round_confirm_enrol_and_seats() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    // A new group is free at once: the first registration is referred on the spot.
    let (_, a1) = app.register(1, None).await;
    assert_eq!(a1["status"], "referred", "{a1}");
    let (_, a2) = app.register(2, None).await;
    assert_eq!(a2["status"], "queued");
    let referral = a1["referral"]["referral_id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/groups/g4/vacancies",
            Some(STAFF),
            Some(json!({"seats": 1})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("too_many_vacancies")),
        "no child enrolled, so no seat can open"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("confirmed")), "{v}");
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{referral}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("enrolled")), "{v}");
    let (_, kg) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    assert_eq!(kg["groups"][0]["group_id"], "g3");
    assert_eq!(
        kg["groups"][1],
        json!({"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1, "enrolled": 1, "reserved": 0, "free": 0})
    );
    let (s, v) = app.call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(json!({"name": "K", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]}))).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("capacity_below_occupied"))
    );
    // The child leaves: a seat opens and a round gives it to the next child.
    let (s, _) = app
        .call(
            "POST",
            "/v1/kindergartens/K1/groups/g4/vacancies",
            Some(STAFF),
            Some(json!({"seats": 1})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, round) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(json!({"academic_year": 2026})),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    assert_eq!(
        round["referrals"][0]["application_id"],
        a2["application_id"]
    );
    assert_eq!(
        round["free_seats_left"], 1,
        "g3's seat stays free: nobody of that age applied"
    );
    let (s, again) = app
        .call(
            "GET",
            &format!("/v1/allocations/{}", round["round_id"].as_str().unwrap()),
            Some(AUDITOR),
            None,
        )
        .await;
    assert_eq!((s, &again["referrals"]), (200, &round["referrals"]));
    let (s, stats) = app
        .call("GET", "/v1/districts/D1/stats", Some(STAFF), None)
        .await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(stats["queued"]["total"], 0);
    assert_eq!(
        stats["seats"],
        json!({"capacity": 2, "enrolled": 0, "reserved": 1, "free": 1})
    );
    assert_eq!(stats["referrals_outstanding"], 1);
    assert_eq!(
        stats["median_wait_days"], 0.0,
        "the first child was admitted the day it registered"
    );
    let (s, _) = app
        .call("GET", "/v1/districts/D1/stats", Some(STAFF_D2), None)
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn an_unconfirmed_referral_lapses_when_read_after_its_deadline() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap();
    app.advance_days(10);
    let (_, v) = app
        .call("GET", &format!("/v1/applications/{id}"), Some(PORTAL), None)
        .await;
    assert_eq!(v["referral"]["status"], "lapsed", "{v}");
    assert_eq!(
        v["status"], "queued",
        "kz-2013 returns the child to the queue"
    );
    let (s, v) = app
        .call(
            "POST",
            &format!(
                "/v1/referrals/{}/confirm",
                a1["referral"]["referral_id"].as_str().unwrap()
            ),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("referral_not_open")));
}

#[tokio::test]
async fn bad_requests_get_problem_json() {
    let app = spawn_app().await;
    let big = "x".repeat(70 * 1024);
    let res = app
        .http
        .post(format!("{}/v1/applications", app.base))
        .bearer_auth(PORTAL)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (s, v) = app
        .call(
            "POST",
            "/v1/applications",
            Some(PORTAL),
            Some(json!({"child": {"iin": 5}})),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (400, Some("child.iin"))
    );
    let mut extra = application(1, None);
    extra["surprise"] = json!(true);
    let (s, _) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(extra))
        .await;
    assert_eq!(s, 400);
    let (s, _) = app
        .call("GET", "/v1/applications/%20bad", Some(PORTAL), None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call("DELETE", "/v1/applications", Some(PORTAL), None)
        .await;
    assert_eq!(s, 405);
    let (s, _) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(s, 200);
}

/// A journal whose commits wait until the test opens the gate; it logs when they happen.
struct GatedJournal {
    inner: MemoryJournal,
    gate: std::sync::Mutex<Vec<kezek_store::Resolver>>,
    log: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl GatedJournal {
    fn open_gate(&self) {
        for tx in self.gate.lock().unwrap().drain(..) {
            self.log.lock().unwrap().push("durable");
            tx.send(Ok(()));
        }
    }
}

impl Journal for GatedJournal {
    fn submit(&self, batch: kezek_store::Append) -> kezek_store::Ticket {
        let _ = self.inner.submit(batch).wait();
        let (tx, ticket) = kezek_store::Ticket::pending();
        self.gate.lock().unwrap().push(tx);
        ticket
    }
    fn read(
        &self,
        after: kezek_core::types::Seq,
        limit: usize,
    ) -> Result<Vec<kezek_store::StoredEvent>, kezek_store::StoreError> {
        self.inner.read(after, limit)
    }
    fn head(&self) -> Result<kezek_store::Head, kezek_store::StoreError> {
        self.inner.head()
    }
    fn idempotency(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<kezek_store::IdempotencyRecord>, kezek_store::StoreError> {
        self.inner.idempotency(actor, key)
    }
    fn put_key(&self, key: &kezek_store::ApiKeyRecord) -> Result<(), kezek_store::StoreError> {
        self.inner.put_key(key)
    }
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, kezek_store::StoreError> {
        self.inner.document(id)
    }
    fn documents(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, kezek_store::StoreError> {
        self.inner.documents(after, limit)
    }
    fn answers(&self) -> Result<Vec<kezek_store::IdempotencyRecord>, kezek_store::StoreError> {
        self.inner.answers()
    }
    fn keys(&self) -> Result<Vec<kezek_store::ApiKeyRecord>, kezek_store::StoreError> {
        self.inner.keys()
    }
}

#[tokio::test]
async fn a_write_is_answered_only_after_it_is_durable() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedJournal {
        inner: MemoryJournal::new(),
        gate: Default::default(),
        log: Arc::clone(&log),
    });
    journal
        .put_key(&key_record(
            "id-staff",
            STAFF,
            Role::Staff,
            vec!["D1".into()],
            "2026-09-01T00:00:00Z",
        ))
        .unwrap();
    let now: Timestamp = "2026-09-01T04:00:00Z".parse().unwrap();
    let svc = Service::new(
        State::new(Policy::kz_2013()),
        journal.clone(),
        Arc::new(move || now),
        kezek_api::authority::Authority::from_seed([7; 32]),
    )
    .unwrap();
    let base = serve(svc).await;
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let request = reqwest::Client::new()
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(STAFF)
        .json(&body)
        .send();
    let client_log = Arc::clone(&log);
    let mut response = tokio::spawn(async move {
        let r = request.await.unwrap();
        client_log.lock().unwrap().push("answered");
        r.status().as_u16()
    });
    // Open the gate once the commit is waiting, unless an answer comes first (a bug): the
    // log then shows it. Waiting longer can only slow a correct run down, never fail it.
    let answered_early = tokio::select! {
        _ = &mut response => true,
        () = async { while journal.gate.lock().unwrap().is_empty() { tokio::task::yield_now().await; } tokio::time::sleep(std::time::Duration::from_millis(100)).await; } => false,
    };
    journal.open_gate();
    if !answered_early {
        assert_eq!(response.await.unwrap(), 201);
    }
    assert_eq!(*log.lock().unwrap(), vec!["durable", "answered"]);
}

#[tokio::test]
async fn preferences_withdraw_decline_and_no_show() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K3", "D1", 0).await;
    app.kindergarten("K2", "D2", 0).await;
    let (_, a1) = app.register(1, None).await;
    let id = a1["application_id"].as_str().unwrap().to_owned();
    let registered_at = a1["registered_at"].clone();
    app.advance_days(1);
    let path = format!("/v1/applications/{id}/preferences");
    let (s, v) = app
        .call(
            "PUT",
            &path,
            Some(PORTAL),
            Some(json!({"preferences": ["K3", "K1"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["preferences"], json!(["K3", "K1"]));
    assert_eq!(
        v["registered_at"], registered_at,
        "the registration time stays"
    );
    let (s, v) = app
        .call(
            "PUT",
            &path,
            Some(PORTAL),
            Some(json!({"preferences": ["K2", "K9"]})),
        )
        .await;
    assert_eq!(s, 422);
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["kindergarten_outside_district", "unknown_kindergarten"]
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("withdrawn")));
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/withdraw"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("application_not_active"))
    );

    // Two seats: one referral is declined (kz-2013 cancels), one is a no-show (requeued).
    let (s, _) = app.call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(json!({"name": "K1", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2}]}))).await;
    assert_eq!(s, 200);
    let (_, a2) = app.register(2, None).await;
    let (_, a3) = app.register(3, None).await;
    let r2 = a2["referral"]["referral_id"].as_str().unwrap();
    let r3 = a3["referral"]["referral_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r2}/decline"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["application_status"].as_str()),
        (200, Some("declined"), Some("cancelled"))
    );
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/no-show"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["application_status"].as_str()),
        (200, Some("no_show"), Some("queued"))
    );
    let (_, kg) = app
        .call("GET", "/v1/kindergartens/K1", Some(KG), None)
        .await;
    assert_eq!(kg["groups"][0]["free"], 2, "both seats went back");
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{r3}/enroll"),
            Some(KG),
            None,
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .call("POST", "/v1/referrals/nope/enroll", Some(KG), None)
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn auditors_read_the_journal_with_its_chain() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.register(1, None).await;
    app.register(2, None).await;
    let (s, v) = app
        .call("GET", "/v1/journal?after=0&limit=2", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["seq"], 1);
    assert_eq!(events[0]["kind"], "kindergarten_upserted");
    assert_eq!(
        events[0]["actor"], "key-staff-D1",
        "the key id, never the token"
    );
    assert_eq!(events[0]["prev_hash"], "0".repeat(64));
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);
    let (_, rest) = app
        .call("GET", "/v1/journal?after=2", Some(AUDITOR), None)
        .await;
    assert_eq!(rest["events"][0]["prev_hash"], events[1]["hash"]);
    assert_eq!(rest["events"][0]["payload"]["kind"], "registered");
    let body = serde_json::to_string(&rest).unwrap();
    assert!(
        !body.contains(STAFF) && !body.contains(PORTAL),
        "no token in the journal"
    );
    let (s, _) = app
        .call("GET", "/v1/journal?limit=5000", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 422);
    let (s, _) = app.call("GET", "/v1/journal", Some(PORTAL), None).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn the_journal_head_is_signed_by_the_published_key() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (s, keys) = app.call("GET", "/v1/keys", None, None).await;
    assert_eq!(s, 200);
    let key = &keys["keys"][0];
    let (s, head) = app
        .call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 200, "{head}");
    assert_eq!(head["seq"], 1);
    assert_eq!(head["key_id"], key["key_id"]);
    let bytes = kezek_api::audit::head_bytes(1, head["hash"].as_str().unwrap());
    let verify = |b: &[u8]| {
        kezek_api::authority::verify(
            key["public_key"].as_str().unwrap(),
            b,
            head["signature"].as_str().unwrap(),
        )
        .unwrap()
    };
    assert!(verify(&bytes));
    assert!(!verify(&kezek_api::audit::head_bytes(
        2,
        head["hash"].as_str().unwrap()
    )));
    let (_, first) = app
        .call("GET", "/v1/journal?limit=1", Some(AUDITOR), None)
        .await;
    assert_eq!(first["events"][0]["hash"], head["hash"]);
}

#[tokio::test]
async fn every_result_is_a_signed_document_that_verifies_offline() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, referred) = app.register(1, None).await;
    let (_, queued) = app.register(2, None).await;
    let mut bad = application(3, None);
    bad["documents"] = json!([]);
    let (_, refused) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(bad))
        .await;
    let ids = [
        (
            queued["document_id"].as_str().unwrap().to_owned(),
            "queue_notification",
        ),
        (
            refused["document_id"].as_str().unwrap().to_owned(),
            "refusal",
        ),
        (
            referred["referral"]["document_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "referral",
        ),
    ];
    let (_, keys) = app.call("GET", "/v1/keys", None, None).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys.json");
    std::fs::write(&key_file, keys.to_string()).unwrap();
    for (id, kind) in ids {
        let (s, doc) = app
            .call("GET", &format!("/v1/documents/{id}"), Some(PORTAL), None)
            .await;
        assert_eq!(s, 200, "{id}: {doc}");
        assert_eq!(doc["kind"], kind);
        assert_eq!(doc["key_id"], keys["keys"][0]["key_id"]);
        let file = dir.path().join(format!("{id}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let verify = |f: &std::path::Path| {
            std::process::Command::new(env!("CARGO_BIN_EXE_kezek"))
                .args(["documents", "verify"])
                .arg(f)
                .arg("--public-key")
                .arg(&key_file)
                .output()
                .unwrap()
        };
        let out = verify(&file);
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut forged = doc.clone();
        forged["body"]["queue_number"] = json!(1);
        forged["body"]["group_id"] = json!("g-elsewhere");
        forged["body"]["grounds"] = json!([]);
        std::fs::write(&file, forged.to_string()).unwrap();
        assert!(
            !verify(&file).status.success(),
            "{id}: a changed document must not verify"
        );
    }
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", queued["document_id"].as_str().unwrap()),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(doc["body"]["queue_number"], 1);
    let (s, _) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", queued["document_id"].as_str().unwrap()),
            Some(STAFF_D2),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call("GET", "/v1/documents/doc-999999", Some(PORTAL), None)
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_queue_sizes() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    app.call(
        "GET",
        &format!("/v1/applications/{}", a["application_id"].as_str().unwrap()),
        Some(PORTAL),
        None,
    )
    .await;
    let res = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let has = |needle: &str| {
        text.lines().any(|l| {
            l.starts_with(needle.split('{').next().unwrap())
                && needle
                    .split(['{', ',', '}'])
                    .filter(|p| !p.is_empty())
                    .all(|p| l.contains(p))
        })
    };
    assert!(
        has(r#"kezek_http_requests_total{route="/v1/applications",method="POST",status="201"}"#),
        "{text}"
    );
    assert!(
        has(
            r#"kezek_http_request_duration_seconds_bucket{route="/v1/applications/{id}",method="GET"}"#
        ),
        "{text}"
    );
    assert!(
        has(r#"kezek_queued{district="D1",tier="general"}"#),
        "{text}"
    );
    assert!(has("kezek_journal_seq"), "{text}");
    assert!(
        !text.contains(a["application_id"].as_str().unwrap()),
        "routes, not concrete paths"
    );
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes() {
    let app = spawn_app().await;
    let (s, spec) = app.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, 200);
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
        {
            described.push((method.to_uppercase(), path.clone()));
        }
    }
    described.sort();
    // API.md's endpoints, plus /v1/keys (issue 4).
    let mut expected: Vec<(String, String)> = [
        ("POST", "/v1/applications"),
        ("GET", "/v1/applications"),
        ("GET", "/v1/applications/{id}"),
        ("GET", "/v1/applications/{id}/position"),
        ("PUT", "/v1/applications/{id}/preferences"),
        ("POST", "/v1/applications/{id}/withdraw"),
        ("POST", "/v1/referrals/{id}/confirm"),
        ("POST", "/v1/referrals/{id}/decline"),
        ("GET", "/v1/documents/{id}"),
        ("PUT", "/v1/kindergartens/{id}"),
        ("GET", "/v1/kindergartens/{id}"),
        ("POST", "/v1/kindergartens/{id}/groups/{group_id}/vacancies"),
        ("POST", "/v1/districts/{district}/allocations"),
        ("GET", "/v1/allocations/{round_id}"),
        ("POST", "/v1/applications/{id}/priority"),
        ("GET", "/v1/districts/{district}/stats"),
        ("GET", "/v1/kindergartens/{id}/referrals"),
        ("POST", "/v1/referrals/{id}/enroll"),
        ("POST", "/v1/referrals/{id}/no-show"),
        ("GET", "/v1/journal"),
        ("GET", "/v1/journal/head"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/v1/keys"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    expected.sort();
    assert_eq!(described, expected);
    // Each described route is served: never the fallback's "no such endpoint", never 405.
    for (method, path) in &described {
        let concrete = path
            .replace("{id}", "x1")
            .replace("{group_id}", "g1")
            .replace("{district}", "D1")
            .replace("{round_id}", "r1");
        let res = app
            .http
            .request(method.parse().unwrap(), format!("{}{concrete}", app.base))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}");
        assert!(
            !body.contains("no such endpoint"),
            "{method} {path} is described but not routed"
        );
    }
}

#[tokio::test]
async fn every_refusal_code_over_http() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K2", "D2", 0).await;
    let refuse = |body: Value| async {
        let (s, v) = app
            .call("POST", "/v1/applications", Some(PORTAL), Some(body))
            .await;
        assert_eq!((s, v["code"].as_str()), (422, Some("refused")), "{v}");
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut old = application(1, None);
    old["child"]["iin"] = json!(Iin::compose(jiff::civil::date(2018, 5, 5), false, 1)
        .unwrap()
        .to_string());
    old["child"]["birth_date"] = json!("2018-05-06");
    old["district"] = json!("D9");
    old["preferences"] = json!([]);
    let codes = refuse(old).await;
    for c in [
        "birth_date_mismatch",
        "child_too_old",
        "unknown_district",
        "no_preferences",
    ] {
        assert!(
            codes.iter().any(|(_, code)| code == c),
            "{c} not in {codes:?}"
        );
    }
    let mut unborn = application(2, None);
    unborn["child"]["iin"] = json!(Iin::compose(jiff::civil::date(2027, 1, 1), false, 1)
        .unwrap()
        .to_string());
    unborn["preferences"] = json!(["K2"]);
    let codes = refuse(unborn).await;
    assert!(
        codes.contains(&("child.iin".to_owned(), "child_not_born".to_owned())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&(
            "preferences[0]".to_owned(),
            "kindergarten_outside_district".to_owned()
        )),
        "{codes:?}"
    );
}

#[tokio::test]
async fn a_position_explains_why_the_number_changed() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, first) = app.register(1, None).await;
    let id = first["application_id"].as_str().unwrap().to_owned();
    let since = first["as_of_seq"].as_u64().unwrap();
    let (_, second) = app.register(2, Some("large_family")).await;
    let (_, third) = app.register(3, Some("orphan")).await;
    for a in [&second, &third] {
        let path = format!(
            "/v1/applications/{}/priority",
            a["application_id"].as_str().unwrap()
        );
        app.call(
            "POST",
            &path,
            Some(STAFF),
            Some(json!({"decision": "verified"})),
        )
        .await;
    }
    app.call(
        "POST",
        &format!(
            "/v1/applications/{}/withdraw",
            third["application_id"].as_str().unwrap()
        ),
        Some(PORTAL),
        None,
    )
    .await;
    let (s, v) = app
        .call(
            "GET",
            &format!("/v1/applications/{id}/position?since_seq={since}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["queue_number"], 2);
    assert_eq!(v["since"]["queue_number"], 1);
    let causes = &v["since"]["causes"];
    assert_eq!(causes["priority_verified"], 2, "{causes}");
    assert_eq!(causes["left_ahead"], -1, "{causes}");
    assert_eq!(
        causes["registered_ahead"], 0,
        "they registered behind, in the general tier"
    );
    let total: i64 = causes
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(total, 2 - 1);
}

#[tokio::test]
async fn documents_print_as_the_same_pdf_every_time() {
    let app = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let id = a["document_id"].as_str().unwrap();
    let get = |lang: &'static str| {
        let url = format!("{}/v1/documents/{id}.pdf?lang={lang}", app.base);
        let http = app.http.clone();
        async move {
            let res = http.get(url).bearer_auth(PORTAL).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "application/pdf");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let (kk, kk_again, ru) = (get("kk").await, get("kk").await, get("ru").await);
    assert!(kk.starts_with(b"%PDF-"));
    assert_eq!(kk, kk_again, "the same document gives the same bytes");
    assert_ne!(kk, ru);
    assert!(
        kk.windows(10).any(|w| w == b"/ToUnicode"),
        "text can be searched and copied"
    );
    if let Ok(dir) = std::env::var("KEZEK_PDF_OUT") {
        std::fs::write(format!("{dir}/kk.pdf"), &kk).unwrap();
        std::fs::write(format!("{dir}/ru.pdf"), &ru).unwrap();
    }
    let (s, _) = app
        .call(
            "GET",
            &format!("/v1/documents/{id}.pdf?lang=en"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 422);
}
