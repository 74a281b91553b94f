//! Bad requests get problem+json.

use crate::harness::{application, spawn_app, PORTAL};
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
