//! Bad requests get problem+json.

use crate::harness::{application, spawn_app, AUDITOR, PORTAL, STAFF};
use serde_json::json;

#[tokio::test]
async fn bad_requests_get_problem_json() {
    let (app, _store) = spawn_app().await;
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

/// Sends `body` as it is, with `content_type` if any; the status and the problem's code.
async fn raw(
    app: &crate::harness::TestApp,
    body: &str,
    content_type: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = app
        .http
        .post(format!("{}/v1/applications", app.base))
        .bearer_auth(PORTAL)
        .body(body.to_owned());
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn a_body_is_one_json_value_sent_as_json() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let good = application(1, None).to_string();
    let (s, v) = raw(&app, &format!("{good}xyz"), Some("application/json")).await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (400, Some("trailing_bytes")),
        "{v}"
    );
    let (s, v) = raw(&app, &format!("{good}{good}"), Some("application/json")).await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (400, Some("trailing_bytes")),
        "{v}"
    );
    let (s, v) = raw(&app, &good, Some("text/plain")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (415, Some("unsupported_media_type")),
        "{v}"
    );
    let (s, v) = raw(&app, &good, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (415, Some("unsupported_media_type")),
        "{v}"
    );
    // Nothing of the above was journaled: the first registration is the next one.
    let (s, v) = raw(
        &app,
        &format!("{good}\n"),
        Some("Application/JSON; charset=utf-8"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
}

#[tokio::test]
async fn a_refusal_stays_small_whatever_was_sent() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let mut body = application(1, None);
    // Under the 64 KiB limit: 6,000 preferences, 2,000 documents, a 20,000-byte district.
    body["preferences"] = json!(vec!["K9"; 6_000]);
    body["documents"] = json!(vec!["x"; 2_000]);
    body["district"] = json!("d".repeat(20_000));
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 422, "{v}");
    let errors = v["errors"].as_array().unwrap();
    let mut fields: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    let all = fields.len();
    fields.sort_unstable();
    fields.dedup();
    assert_eq!(fields.len(), all, "one ground per field and code");
    assert!(fields.contains(&("preferences", "too_many_preferences")));
    assert!(fields.contains(&("documents", "too_many_documents")));
    assert!(v.to_string().len() < 4096, "{} bytes", v.to_string().len());
    // What the refusal journaled (its event and its signed document) is small too.
    let journaled =
        kezek_store::EventLog::read(store.as_ref(), kezek_core::model::Seq::new(0), 100)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "registration_refused")
            .unwrap();
    assert!(
        journaled.payload.len() < 4096,
        "{} bytes",
        journaled.payload.len()
    );
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", v["document_id"].as_str().unwrap()),
            Some(PORTAL),
            None,
        )
        .await;
    assert!(
        doc.to_string().len() < 8192,
        "{} bytes",
        doc.to_string().len()
    );
}

#[tokio::test]
async fn invisible_characters_are_refused_in_names() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    for name in [
        "\u{202e}evil\u{200b}",
        "a\u{200d}b",
        "\u{feff}Aru",
        "x\u{2066}y",
        // Blank symbols print as nothing: a name needs a letter (a kindergarten's, a letter
        // or a digit).
        "\u{2800}\u{2800}\u{2800}",
        "\u{3000}«»",
    ] {
        let mut body = application(1, None);
        body["child"]["name"] = json!(name);
        let (s, v) = app
            .call("POST", "/v1/applications", Some(PORTAL), Some(body))
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "child.name", "{v}");
        assert_eq!(v["errors"][0]["code"], "invalid_name", "{v}");
        let kg = json!({"name": name, "district": "D1", "groups": []});
        let (s, v) = app
            .call("PUT", "/v1/kindergartens/K2", Some(STAFF), Some(kg))
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "name", "{v}");
    }
    // Kazakh letters are letters.
    let mut body = application(1, None);
    body["child"]["name"] = json!("Әлинұр Қасымұлы");
    let (s, v) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
}

#[tokio::test]
async fn a_query_value_out_of_range_is_422_naming_it() {
    let (app, _store) = spawn_app().await;
    let (_, v) = app.register(1, None).await;
    let id = v["application_id"].as_str().unwrap().to_owned();
    for (path, token, field) in [
        ("/v1/journal?after=9223372036854775808", AUDITOR, "after"),
        ("/v1/journal?after=18446744073709551616", AUDITOR, "after"),
        ("/v1/journal?after=-1", AUDITOR, "after"),
        ("/v1/journal?limit=0", AUDITOR, "limit"),
        (
            "/v1/journal?limit=99999999999999999999999",
            AUDITOR,
            "limit",
        ),
        (
            &format!("/v1/applications/{id}/position?since_seq=18446744073709551616"),
            PORTAL,
            "since_seq",
        ),
        ("/v1/applications?child_iin=1&extra=2", PORTAL, "extra"),
    ] {
        let (s, v) = app.call("GET", path, Some(token), None).await;
        assert_eq!(s, 422, "{path}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{path}: {v}");
    }
    let (s, v) = app
        .call(
            "GET",
            "/v1/journal?after=9223372036854775807",
            Some(AUDITOR),
            None,
        )
        .await;
    assert_eq!(
        (s, v["events"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{v}"
    );
    let (s, _) = app
        .call(
            "GET",
            &format!("/v1/applications/{id}/position?since_seq=18446744073709551615"),
            Some(PORTAL),
            None,
        )
        .await;
    assert!(s < 500, "{s}");
}

#[tokio::test]
async fn messages_follow_accept_language_and_codes_stay() {
    let (app, _store) = spawn_app().await;
    let mut bad = application(1, None);
    bad["child"]["iin"] = "123".into();
    let send = |lang: Option<&'static str>, token: Option<&'static str>| {
        let (app, bad) = (&app, bad.clone());
        async move {
            let mut req = app
                .http
                .post(format!("{}/v1/applications", app.base))
                .json(&bad);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(l) = lang {
                req = req.header("accept-language", l);
            }
            let res = req.send().await.unwrap();
            let content_language = res
                .headers()
                .get("content-language")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: serde_json::Value = res.json().await.unwrap();
            (content_language, body)
        }
    };
    let (cl, ru) = send(Some("ru-RU,ru;q=0.9,en;q=0.8"), Some(PORTAL)).await;
    assert_eq!(cl.as_deref(), Some("ru"));
    assert_eq!(ru["code"], "refused");
    let iin = ru["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "child.iin")
        .unwrap();
    assert_eq!(
        (iin["code"].as_str(), iin["message"].as_str()),
        (Some("invalid_iin"), Some("Неверный ИИН"))
    );
    assert!(ru["detail"].as_str().unwrap().contains("отказано"), "{ru}");
    let (_, kk) = send(Some("kk"), None).await;
    assert_eq!(kk["code"], "unauthorized");
    assert_eq!(kk["detail"], "Жарамды кілт (bearer token) қажет");
    let (cl, en) = send(Some("en"), None).await;
    assert_eq!(
        (cl, en["detail"].as_str()),
        (None, Some("a valid bearer token is required"))
    );
    let (cl, plain) = send(None, None).await;
    assert_eq!(
        (cl, plain["detail"].as_str()),
        (None, Some("a valid bearer token is required"))
    );
}
