//! The real server's JSON logs: one line per request with a request id and the route
//! pattern, and never a child's or applicant's IIN or name, nor a token (valid or not).

use crate::common::{key, serve_logging};
use kezek_core::model::Iin;
use serde_json::{json, Value};
use std::process::Stdio;

#[tokio::test]
async fn logs_carry_request_ids_and_no_personal_data_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let portal = key(&data, &["--role", "portal"]);
    let staff = key(&data, &["--role", "staff", "--district", "D1"]);
    let log_path = dir.path().join("server.log");
    let (mut child, base) = serve_logging(
        &data,
        &["--log-format", "json"],
        Stdio::from(std::fs::File::create(&log_path).unwrap()),
        // Successful reads are logged at debug: the check covers them too.
        "info,kezek_http=debug",
    );
    let http = reqwest::Client::new();

    let child_iin = Iin::compose(jiff::civil::date(2022, 4, 4), true, 4321)
        .unwrap()
        .to_string();
    let applicant_iin = Iin::compose(jiff::civil::date(1991, 2, 3), true, 8765)
        .unwrap()
        .to_string();
    let (child_name, applicant_name) = ("Aruzhan Sultanbekkyzy", "Dana Nurlanovna");
    let kg = json!({"name": "Balapan", "district": "D1", "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 0}]});
    assert_eq!(
        http.put(format!("{base}/v1/kindergartens/K1"))
            .bearer_auth(&staff)
            .json(&kg)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let body = json!({"child": {"iin": child_iin, "name": child_name},
        "applicant": {"iin": applicant_iin, "name": applicant_name, "representative": null},
        "district": "D1", "language": "kk", "preferences": ["K1"], "category": null,
        "documents": ["application_form", "applicant_id", "address_proof"], "channel": "portal"});
    let res = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&portal)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req-"));
    let res = http
        .get(format!("{base}/v1/applications?child_iin={child_iin}"))
        .bearer_auth(&portal)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let forged = "kz_0123456789abcdef-not-a-real-token";
    assert_eq!(
        http.get(format!("{base}/v1/applications?child_iin={child_iin}"))
            .bearer_auth(forged)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let mut bad = body.clone();
    bad["child"]["iin"] = json!(format!("{child_iin}9"));
    assert_eq!(
        http.post(format!("{base}/v1/applications"))
            .bearer_auth(&portal)
            .json(&bad)
            .send()
            .await
            .unwrap()
            .status(),
        422
    );

    // The parents' page and the console's search by IIN: logged, by their route alone.
    let application = res_id(&http, &base, &portal, &child_iin).await;
    let status = http
        .post(format!("{base}/status"))
        .form(&[
            ("application_id", application.as_str()),
            ("child_iin", child_iin.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let session = crate::common::console_session(&base, &staff).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The search is posted: the IIN travels in the body, never in a URL a log keeps.
    let queue_page = no_redirects
        .get(format!("{base}/console/districts/D1/queue"))
        .header("cookie", session.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::common::csrf_in(&queue_page);
    let found = no_redirects
        .post(format!("{base}/console/districts/D1/queue"))
        .header("cookie", session)
        .form(&[("csrf", csrf.as_str()), ("find", child_iin.as_str())])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(found, 303);

    // A graceful stop flushes the log writer (it writes from a thread of its own).
    drop(http);
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(child.wait().unwrap().success());
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let requests: Vec<Value> = logs
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap_or_else(|_| panic!("not a JSON log line: {l}"))
        })
        .filter(|v| v["fields"]["message"] == "request")
        .collect();
    assert!(requests.len() >= 5, "{logs}");
    assert!(
        requests
            .iter()
            .any(|r| r["fields"]["route"] == "/v1/applications"
                && r["fields"]["status"] == "201"
                && r["fields"]["request_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("req-")),
        "{logs}"
    );
    for route in [
        "/status",
        "/console/districts/{district}/queue",
        "/console/sign-in",
    ] {
        assert!(
            requests.iter().any(|r| r["fields"]["route"] == route),
            "{route} is logged: {logs}"
        );
    }
    for secret in [
        child_iin.as_str(),
        applicant_iin.as_str(),
        child_name,
        applicant_name,
        portal.as_str(),
        staff.as_str(),
        forged,
    ] {
        assert!(!logs.contains(secret), "`{secret}` appears in the logs");
    }
}

/// The application number of the child with `iin`, as the portal finds it.
async fn res_id(http: &reqwest::Client, base: &str, portal: &str, iin: &str) -> String {
    let found: Value = http
        .get(format!("{base}/v1/applications?child_iin={iin}"))
        .bearer_auth(portal)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    found["applications"][0]["application_id"]
        .as_str()
        .or_else(|| found["application_id"].as_str())
        .unwrap_or_else(|| panic!("{found}"))
        .to_owned()
}
