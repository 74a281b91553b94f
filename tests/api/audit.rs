//! The auditor's journal and signed head, metrics, and the OpenAPI description.

use crate::harness::{spawn_app, AUDITOR, PORTAL, STAFF};
use serde_json::json;

#[tokio::test]
async fn auditors_read_the_journal_with_its_chain() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.register(1, None).await;
    app.register(2, None).await;
    let (s, v) = app
        .call("GET", "/v1/journal?after=0&limit=3", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    // The authority key and the policy in force, journaled at the first start, then the
    // first command.
    assert_eq!(events[0]["seq"], 1);
    assert_eq!(events[0]["kind"], "authority_adopted");
    assert_eq!(events[0]["payload"]["change"], "first");
    let (_, keys) = app.call("GET", "/v1/keys", None, None).await;
    assert_eq!(events[0]["payload"]["key_id"], keys["keys"][0]["key_id"]);
    assert_eq!(
        events[0]["payload"]["public_key"],
        keys["keys"][0]["public_key"]
    );
    assert_eq!(events[0]["prev_hash"], "0".repeat(64));
    assert_eq!(events[1]["kind"], "policy_adopted");
    assert_eq!(events[1]["actor"], "operator");
    assert_eq!(events[1]["payload"]["name"], "kz-2013");
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);
    assert_eq!(events[2]["kind"], "kindergarten_upserted");
    assert_eq!(
        events[2]["actor"], "key-staff-D1",
        "the key id, never the token"
    );
    assert_eq!(events[2]["prev_hash"], events[1]["hash"]);
    let (_, rest) = app
        .call("GET", "/v1/journal?after=3", Some(AUDITOR), None)
        .await;
    assert_eq!(rest["events"][0]["prev_hash"], events[2]["hash"]);
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
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (s, keys) = app.call("GET", "/v1/keys", None, None).await;
    assert_eq!(s, 200);
    let key = &keys["keys"][0];
    let (s, head) = app
        .call("GET", "/v1/journal/head", Some(AUDITOR), None)
        .await;
    assert_eq!(s, 200, "{head}");
    assert_eq!(head["seq"], 3);
    assert_eq!(head["key_id"], key["key_id"]);
    assert_eq!(
        (&key["from_seq"], &key["change"]),
        (&json!(1), &json!("first"))
    );
    assert!(key.get("until_seq").is_none(), "in force: {key}");
    let bytes = kezek_app::views::head_bytes(3, head["hash"].as_str().unwrap());
    let verify = |b: &[u8]| {
        kezek_app::keys::authority::signature_holds(
            key["public_key"].as_str().unwrap(),
            b,
            head["signature"].as_str().unwrap(),
        )
        .unwrap()
    };
    assert!(verify(&bytes));
    assert!(!verify(&kezek_app::views::head_bytes(
        1,
        head["hash"].as_str().unwrap()
    )));
    let (_, first) = app
        .call("GET", "/v1/journal?after=2&limit=1", Some(AUDITOR), None)
        .await;
    assert_eq!(first["events"][0]["hash"], head["hash"]);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_queue_sizes() {
    let (app, _store) = spawn_app().await;
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

/// The endpoints `docs/http.md` lists in its table: (method, path), queries and optional
/// parts left out. A cell lists one endpoint or several: `GET /a`, `/b` (the same method),
/// `…/c` (the same parent path as the one before).
fn documented_endpoints() -> Vec<(String, String)> {
    let doc = include_str!("../../docs/http.md");
    let table = doc
        .split("## Endpoints")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let mut out = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split(" | ").next().unwrap().trim_start_matches("| ");
        let (mut method, mut last) = (String::new(), String::new());
        for span in cell.split('`').skip(1).step_by(2) {
            let span = span.split(['?', '[']).next().unwrap();
            let path = match span.split_once(' ') {
                Some((m, p)) => {
                    m.clone_into(&mut method);
                    p.to_owned()
                }
                None => match span.strip_prefix('…') {
                    Some(tail) => format!("{}{tail}", &last[..last.rfind('/').unwrap()]),
                    None => span.to_owned(),
                },
            };
            out.push((method.clone(), path.clone()));
            last = path;
        }
    }
    out
}

#[tokio::test]
async fn openapi_lists_exactly_the_endpoints_of_the_docs() {
    let (app, _store) = spawn_app().await;
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
    let mut expected = documented_endpoints();
    assert!(expected.len() > 30, "{expected:?}");
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

/// The types a proof file is sent and served as.
const FILE_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

#[tokio::test]
async fn openapi_describes_every_body() {
    let (app, _store) = spawn_app().await;
    let (_, spec) = app.call("GET", "/openapi.json", None, None).await;
    let plain = ["/healthz", "/metrics", "/openapi.json", "/docs"];
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let success = status.starts_with('2');
                // A proof file is served as itself: one of the three types, bytes.
                if path == "/v1/files/{file_id}" && success {
                    for t in FILE_TYPES {
                        assert_eq!(
                            response["content"][t]["schema"]["contentMediaType"],
                            "application/octet-stream",
                            "{method} {path} {t}: {response}"
                        );
                    }
                    checked += 1;
                    continue;
                }
                let schema = &response["content"]["application/json"]["schema"];
                if plain.contains(&path.as_str()) && success {
                    continue;
                }
                assert!(
                    !schema.is_null(),
                    "{method} {path} {status} has no schema: {response}"
                );
                if !success {
                    assert_eq!(
                        schema["$ref"], "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
                checked += 1;
            }
            if let Some(body) = op.get("requestBody") {
                if path.ends_with("/files") {
                    for t in FILE_TYPES {
                        assert!(!body["content"][t]["schema"].is_null(), "{path} {t}");
                    }
                    continue;
                }
                assert!(
                    !body["content"]["application/json"]["schema"].is_null(),
                    "{method} {path}"
                );
            }
        }
    }
    assert!(checked > 80, "{checked}");
    let register = &spec["paths"]["/v1/applications"]["post"]["responses"];
    for status in ["400", "408", "413", "415", "422"] {
        assert!(
            register[status].is_object(),
            "POST /v1/applications {status}"
        );
    }
    let journal = &spec["paths"]["/v1/journal"]["get"]["responses"];
    assert!(journal["422"].is_object());
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in [
        "ApplicationView",
        "PositionView",
        "KindergartenView",
        "RoundView",
        "StatsView",
        "Problem",
        "RegisterForm",
    ] {
        assert!(
            schemas.contains_key(name),
            "{name} missing from {:?}",
            schemas.keys()
        );
    }
    let position = &schemas["PositionView"]["properties"];
    for field in [
        "application_id",
        "queue_number",
        "positions",
        "as_of_seq",
        "ahead",
        "tier",
    ] {
        assert!(
            position.get(field).is_some(),
            "PositionView.{field}: {position}"
        );
    }
}

/// The auditor's journal opens at the newest record, and filters by application, actor and
/// kind; a lapse says which (a no-show is not a decision not to admit).
#[tokio::test]
async fn the_auditors_journal_opens_at_the_newest_and_filters() {
    let (app, _store) = crate::harness::spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let (_, first) = app.register(1, None).await;
    let (_, second) = app.register(2, None).await;
    let first_id = first["application_id"].as_str().unwrap();
    let second_id = second["application_id"].as_str().unwrap();
    let cookie = app.console_session(crate::harness::AUDITOR).await;
    let page = |query: &str| {
        let (app, cookie, query) = (&app, cookie.clone(), query.to_owned());
        async move {
            app.http
                .get(format!("{}/console/audit?lang=ru&{query}", app.base))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let rows = |html: &str| -> Vec<String> {
        html.split("<tr data-kind=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap().to_owned())
            .collect()
    };
    let all = page("").await;
    let kinds = rows(&all);
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("registered"),
        "newest first: {kinds:?}"
    );
    let only_second = page(&format!("application={}", second_id.to_lowercase())).await;
    assert!(
        only_second.contains(second_id) && !only_second.contains(&format!("{first_id} ")),
        "{only_second}"
    );
    assert_eq!(rows(&only_second), ["registered"]);
    let rounds = page("kind=round_run").await;
    assert!(rows(&rounds).iter().all(|k| k == "round_run") && !rows(&rounds).is_empty());
    let by_system = page("actor=nobody-at-all").await;
    assert!(rows(&by_system).is_empty());
    assert!(by_system.contains("Ничего не найдено"));
}
