//! Tokens, roles and scopes; retries with an `Idempotency-Key`.

use crate::harness::{application, spawn_app, AUDITOR, KG, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_roles_and_scopes() {
    let (app, _store) = spawn_app().await;
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
    let (app, store) = spawn_app().await;
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
    let head = store.head().unwrap().seq;
    let again = send(application(1, None), "k-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the first answer, again"
    );
    assert_eq!(store.head().unwrap().seq, head, "nothing changed");
    let other = send(application(2, None), "k-1").await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(
        other.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
}
#[tokio::test]
async fn a_retry_of_a_create_is_answered_as_the_create_was() {
    let (app, store) = spawn_app().await;
    let put = || {
        app.http
            .put(format!("{}/v1/kindergartens/K1", app.base))
            .bearer_auth(STAFF)
            .header("Idempotency-Key", "create-k1")
            .json(&json!({"name": "K", "district": "D1", "groups": []}))
            .send()
    };
    let first = put().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let head = store.head().unwrap().seq;
    let again = put().await.unwrap();
    assert_eq!(again.status(), 201, "the retry of a create is a create");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(store.head().unwrap().seq, head, "nothing changed");
}

/// Method, path, token, body, expected status.
type Case<'a> = (&'a str, String, Option<&'a str>, Option<Value>, u16);

#[tokio::test]
async fn an_expired_or_revoked_key_is_refused_and_a_revocation_is_journaled_once() {
    let (app, store) = spawn_app().await;
    let mut key = kezek_app::keys::key_record(
        "key-short",
        "t-short",
        kezek_app::Role::Auditor,
        vec![],
        "2026-09-01T00:00:00Z",
    );
    key.expires_at = Some("2026-09-03T00:00:00Z".into());
    kezek_store::KeyStore::put_key(store.as_ref(), &key).unwrap();
    let (s, _) = app.call("GET", "/v1/journal", Some("t-short"), None).await;
    assert_eq!(s, 200);
    app.advance_days(2);
    let (s, _) = app.call("GET", "/v1/journal", Some("t-short"), None).await;
    assert_eq!(s, 401, "expired");

    // Revoked beside the server: refused once the keys are read again, journaled once.
    let authority = kezek_app::keys::authority::Authority::from_seed([7; 32]);
    let revoked =
        kezek_app::keys::revoke(store.as_ref(), &authority, "key-auditor-", app.app.now());
    assert_eq!(revoked.unwrap(), kezek_app::keys::Revoked::Now);
    // The service's own watch may have read them first; either way it is journaled once.
    app.app.sync_keys().await.unwrap();
    assert_eq!(app.app.sync_keys().await.unwrap(), 0);
    let (s, _) = app.call("GET", "/v1/journal", Some(AUDITOR), None).await;
    assert_eq!(s, 401, "revoked");
    let events = store.read(kezek_core::model::Seq::new(0), 100).unwrap();
    let revocations: Vec<_> = events.iter().filter(|e| e.kind == "key_revoked").collect();
    assert_eq!(revocations.len(), 1);
    assert_eq!(revocations[0].actor, "operator");
    assert!(String::from_utf8_lossy(&revocations[0].payload).contains("key-auditor-"));
    // Other keys go on working.
    let (s, _) = app
        .call(
            "GET",
            "/v1/applications?child_iin=220301500017",
            Some(PORTAL),
            None,
        )
        .await;
    assert_ne!(s, 401);
}

/// A console session for `token` (the cookie's `name=value`).
async fn console_session(app: &crate::harness::TestApp, token: &str) -> String {
    app.console_session(token).await
}

/// The console's queue search answers only keys that may read the district's queue: a key of
/// another role or another district learns nothing of who is in it (the search went through
/// the same scoped operation as the API's queue, scope first); and it is limited per key,
/// like the parents' lookups. And a clerk reads a kindergarten's seats as every key holder
/// may.
#[tokio::test]
async fn the_queue_search_checks_the_scope_before_it_looks() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, None).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Posted, never in a URL; with the session's token.
    let search = |cookie: String, find: String| {
        let (client, base, app) = (client.clone(), app.base.clone(), &app);
        async move {
            let csrf = csrf_on(app, "/console", &cookie).await;
            client
                .post(format!("{base}/console/districts/D1/queue"))
                .header("cookie", cookie)
                .form(&[("csrf", csrf.as_str()), ("find", find.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let iin = crate::harness::child_iin(10);
    let staff = console_session(&app, STAFF).await;
    assert_eq!(
        search(staff.clone(), id.clone()).await,
        303,
        "staff find it"
    );
    assert_eq!(
        search(staff.clone(), iin.clone()).await,
        303,
        "by the IIN too"
    );
    // Thirty searches a minute per key (two made above): then 429, found or not.
    for n in 0..28 {
        let status = search(staff.clone(), format!("2001015{n:05}")).await;
        assert!(status == 404 || status == 303, "search {n}: {status}");
    }
    assert_eq!(search(staff.clone(), iin.clone()).await, 429);
    app.advance_days(1);
    assert_eq!(search(staff, iin.clone()).await, 303, "a new minute");
    for token in [KG, PORTAL, STAFF_D2] {
        let cookie = console_session(&app, token).await;
        assert_eq!(search(cookie.clone(), iin.clone()).await, 403, "{token}");
        assert_eq!(search(cookie, "200101500000".into()).await, 403, "{token}");
    }
    let (s, v) = app
        .call(
            "GET",
            "/v1/kindergartens/K1",
            Some(crate::harness::CLERK),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["groups"][0]["capacity"], 0);
}

/// The CSRF token of the forms on `path`, as `cookie`'s reader sees them.
async fn csrf_on(app: &crate::harness::TestApp, path: &str, cookie: &str) -> String {
    let page = app
        .http
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// Signing out ends the session on the server: the old cookie, with its CSRF token, opens
/// nothing and runs nothing afterwards (it used to run an allocation round).
#[tokio::test]
async fn a_signed_out_session_opens_and_runs_nothing() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let staff = console_session(&app, STAFF).await;
    let csrf = csrf_on(&app, "/console/districts/D1", &staff).await;
    let before = app.app.applied_seq();
    let res = client
        .post(format!("{}/console/sign-out", app.base))
        .header("cookie", staff.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = client
        .get(format!("{}/console/districts/D1", app.base))
        .header("cookie", staff.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            page.status().as_u16(),
            page.headers()["location"].to_str().unwrap()
        ),
        (303, "/console/sign-in"),
        "the old cookie opens nothing"
    );
    let round = client
        .post(format!("{}/console/districts/D1/allocation", app.base))
        .header("cookie", staff)
        .form(&[("csrf", csrf.as_str()), ("academic_year", "2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(round.status(), 303, "sent to sign in");
    assert_eq!(app.app.applied_seq(), before, "no round was run");
}

/// The sign-in form carries a token of its own: a page elsewhere posting a key of its
/// choosing (no form, no cookie, or another reader's) signs nobody in. And every console
/// page forbids being framed and names what it may load.
#[tokio::test]
async fn a_sign_in_needs_its_own_form_and_no_page_may_be_framed() {
    let (app, _store) = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (cookie, csrf) = app.sign_in_form().await;
    let (_, other_csrf) = app.sign_in_form().await;
    for (cookie, csrf) in [
        (None, None),
        (None, Some(csrf.as_str())),
        (Some(cookie.as_str()), None),
        (Some(cookie.as_str()), Some(other_csrf.as_str())),
    ] {
        let mut req = client.post(format!("{}/console/sign-in", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let mut form = vec![("token", KG)];
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        let res = req.form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "{cookie:?} {csrf:?}");
        assert!(
            !res.headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("kezek_session=")),
            "no session"
        );
    }
    let staff = console_session(&app, STAFF).await;
    for path in [
        "/console/sign-in",
        "/console/districts/D1",
        "/status",
        "/console/nowhere",
    ] {
        let res = client
            .get(format!("{}{path}", app.base))
            .header("cookie", staff.clone())
            .send()
            .await
            .unwrap();
        let header = |h: &str| res.headers().get(h).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
}

/// A console form whose "back to" field is not the caller's (a newline in a district, another
/// district) is refused before anything is written — it used to be journaled and then
/// answered 500 — and console and parents' requests are counted in /metrics like the API's.
#[tokio::test]
async fn a_console_form_is_refused_before_its_write_and_pages_are_counted() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let id = a["application_id"].as_str().unwrap().to_owned();
    let staff = console_session(&app, STAFF).await;
    let csrf = csrf_on(&app, "/console/districts/D1", &staff).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let before = app.app.applied_seq();
    for district in ["D1\n", "D1\r\nSet-Cookie: x=1", "D2", ""] {
        let res = client
            .post(format!("{}/console/claims/{id}", app.base))
            .header("cookie", staff.clone())
            .form(&[
                ("csrf", csrf.as_str()),
                ("district", district),
                ("decision", "verified"),
                ("reason", "certificate No 17"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{district:?}");
    }
    assert_eq!(app.app.applied_seq(), before, "nothing was decided");
    let res = client
        .post(format!("{}/console/claims/{id}", app.base))
        .header("cookie", staff.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("district", "D1"),
            ("decision", "verified"),
            ("reason", "certificate No 17"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(app.app.applied_seq() > before, "decided");
    let _ = client
        .post(format!("{}/status", app.base))
        .form(&[
            ("application_id", id.as_str()),
            ("child_iin", "200101500017"),
        ])
        .send()
        .await
        .unwrap();
    let metrics = client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "route=\"/console/claims/{application}\",method=\"POST\",status=\"400\"",
        "route=\"/console/claims/{application}\",method=\"POST\",status=\"303\"",
        "route=\"/status\",method=\"POST\",status=\"404\"",
    ] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("kezek_http_requests_total") && l.contains(line)),
            "{line} in {metrics}"
        );
    }
}

/// Staff find a child by IIN — posted, never in a URL — whatever its status, and see the
/// whole application at its own page; another district's staff find nothing; an IIN in a
/// URL opens nothing.
#[tokio::test]
async fn staff_find_a_referred_child_by_iin_and_see_the_whole_application() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, a) = app.register(1, None).await;
    assert_eq!(a["status"], "referred", "{a}");
    let id = a["application_id"].as_str().unwrap().to_owned();
    let iin = crate::harness::child_iin(10);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let find = |token: &'static str| {
        let (client, app, iin) = (client.clone(), &app, iin.clone());
        async move {
            let cookie = console_session(app, token).await;
            let csrf = csrf_on(app, "/console", &cookie).await;
            let res = client
                .post(format!("{}/console/find", app.base))
                .header("cookie", cookie.clone())
                .form(&[("csrf", csrf.as_str()), ("needle", iin.as_str())])
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned()),
                cookie,
            )
        }
    };
    for token in [STAFF, crate::harness::CLERK, crate::harness::AUDITOR] {
        let (s, location, cookie) = find(token).await;
        assert_eq!(
            (s, location.as_deref()),
            (303, Some(format!("/console/applications/{id}").as_str())),
            "{token}"
        );
        let page = client
            .get(format!("{}/console/applications/{id}?lang=ru", app.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{token}");
        let page = page.text().await.unwrap();
        assert!(
            page.contains("Aruzhan")
                && page.contains(&iin)
                && page.contains("data-testid=\"documents\""),
            "{token}: {page}"
        );
    }
    let (s, _, _) = find(STAFF_D2).await;
    assert_eq!(s, 404, "another district's staff find nothing");
    let cookie = console_session(&app, STAFF).await;
    let by_url = client
        .get(format!("{}/console/applications/{iin}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(by_url.status(), 404, "no IIN from a URL");
}
