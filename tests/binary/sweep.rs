//! The bad-input sweep: thousands of malformed requests against the real server — wrong
//! types, huge numbers, invalid UTF-8, deep nesting, missing and extra fields, bad IINs,
//! unknown ids, oversized bodies, bad tokens. Every answer is a 4xx problem+json, the
//! server stays healthy, and the journal gains nothing but the refusals the service journals.

use crate::common::{application, key, serve};
use serde_json::{json, Value};
use std::process::Stdio;

/// Every path of `v` under `prefix`, into `acc`.
fn paths(v: &Value, prefix: &[String], acc: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let mut p = prefix.to_vec();
            p.push(k.clone());
            acc.push(p.clone());
            paths(child, &p, acc);
        }
    }
}

/// Every way to break one JSON value: each field removed, retyped, or given a strange value,
/// an extra field at each object, and truncations of the whole.
fn mutations(valid: &Value) -> Vec<Vec<u8>> {
    // Values no field accepts: wrong types, numbers out of every range, deep nesting, and
    // text with control characters (refused in names, ids, codes and reasons alike).
    let strange = [
        json!(true),
        json!(-1),
        json!(1e300),
        json!(18_446_744_073_709_551_616_f64),
        json!([]),
        json!({}),
        json!([[[[[[[[[[1]]]]]]]]]]),
        json!("\u{0000}\u{202e}"),
    ];
    let mut out = Vec::new();
    let mut all = Vec::new();
    paths(valid, &[], &mut all);
    for p in &all {
        for s in &strange {
            // A kindergarten may have no groups: that body is valid.
            if p.last().is_some_and(|k| k == "groups") && s == &json!([]) {
                continue;
            }
            let mut v = valid.clone();
            if let Some(slot) = p.iter().try_fold(&mut v, |cur, k| cur.get_mut(k)) {
                *slot = s.clone();
            }
            out.push(serde_json::to_vec(&v).unwrap());
        }
        let mut v = valid.clone();
        let (last, parent) = p.split_last().unwrap();
        if let Some(Value::Object(m)) = parent.iter().try_fold(&mut v, |cur, k| cur.get_mut(k)) {
            m.remove(last);
            m.insert("unexpected_field".into(), json!(1));
        }
        out.push(serde_json::to_vec(&v).unwrap());
    }
    let text = serde_json::to_vec(valid).unwrap();
    for cut in 0..text.len() {
        out.push(text[..cut].to_vec());
        // One byte made invalid UTF-8, or a stray quote, at every position.
        for b in [0xff, b'"'].into_iter().filter(|b| text[cut] != *b) {
            let mut t = text.clone();
            t[cut] = b;
            out.push(t);
        }
    }
    out.push(b"[".repeat(100_000));
    out.push(vec![0xff, 0xfe, b'{', b'}']);
    out.push(format!("{{\"child\": \"{}\"}}", "\u{fffd}".repeat(20_000)).into_bytes());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_4xx_problems_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let portal = key(data, &["--role", "portal"]);
    let staff = key(data, &["--role", "staff", "--district", "D1"]);
    let auditor = key(data, &["--role", "auditor"]);
    let (mut server, base) = serve(data, &[], Stdio::null());
    // A new connection for every case: a refused request must get its 4xx problem on a
    // connection of its own (a panic would still close it without an answer and fail here);
    // twice a clean-clone CI run saw a kept-alive connection closed between two cases
    // (IncompleteMessage on the next one), never reproduced alone — see the issue note.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
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
    let a: Value = http
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&portal)
        .json(&application(1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = a["application_id"].as_str().unwrap().to_owned();
    let head = |http: reqwest::Client| {
        let (base, auditor) = (base.clone(), auditor.clone());
        async move {
            http.get(format!("{base}/v1/journal/head"))
                .bearer_auth(&auditor)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["seq"]
                .as_u64()
                .unwrap()
        }
    };
    let before = head(http.clone()).await;

    let mut cases: Vec<(&str, String, Option<String>, Vec<u8>)> = Vec::new();
    for body in mutations(&application(2)) {
        cases.push((
            "POST",
            "/v1/applications".into(),
            Some(portal.clone()),
            body,
        ));
    }
    for body in mutations(&kg) {
        cases.push((
            "PUT",
            "/v1/kindergartens/K1".into(),
            Some(staff.clone()),
            body,
        ));
    }
    for body in mutations(&json!({"seats": 1})) {
        cases.push((
            "POST",
            "/v1/kindergartens/K1/groups/g4/vacancies".into(),
            Some(staff.clone()),
            body,
        ));
    }
    for body in mutations(&json!({"academic_year": 2026})) {
        if body != serde_json::to_vec(&json!({})).unwrap() {
            cases.push((
                "POST",
                "/v1/districts/D9/allocations".into(),
                Some(staff.clone()),
                body,
            ));
        }
    }
    for body in mutations(&json!({"decision": "verified", "reason": "ok"})) {
        cases.push((
            "POST",
            format!("/v1/applications/{id}/priority"),
            Some(staff.clone()),
            body,
        ));
    }
    for body in mutations(&json!({"preferences": ["K1"]})) {
        cases.push((
            "PUT",
            format!("/v1/applications/{id}/preferences"),
            Some(portal.clone()),
            body,
        ));
    }
    for token in [
        "",
        "Bearer",
        "kz_",
        "kz_00",
        &"a".repeat(5000),
        "кезек",
        "\u{0}",
    ] {
        cases.push((
            "POST",
            "/v1/applications".into(),
            Some(token.to_owned()),
            serde_json::to_vec(&application(3)).unwrap(),
        ));
    }
    for path in [
        "/v1/applications/..%2F..%2Fetc",
        "/v1/applications/%00",
        &format!("/v1/applications/{}", "x".repeat(500)),
        "/v1/referrals/nope/confirm",
        "/v1/documents/doc-0",
        "/v1/allocations/R1",
        "/v1/kindergartens/K9",
        "/v1/journal?limit=0",
        "/v1/journal?after=-1",
        "/v1/applications?child_iin=123",
    ] {
        cases.push(("GET", path.to_owned(), Some(auditor.clone()), Vec::new()));
        cases.push(("GET", path.to_owned(), Some(portal.clone()), Vec::new()));
    }
    cases.push((
        "POST",
        "/v1/applications".into(),
        Some(portal.clone()),
        vec![b' '; 70 * 1024],
    ));
    assert!(cases.len() > 1000, "only {} cases", cases.len());

    let mut refused = 0;
    for (method, path, token, body) in cases {
        let mut req = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(t) = &token {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")) {
                req = req.header("authorization", v);
            }
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        assert!(
            (400..500).contains(&status),
            "{method} {path} {} -> {status} {text}",
            String::from_utf8_lossy(&body[..body.len().min(2000)])
        );
        assert_eq!(
            ct, "application/problem+json",
            "{method} {path} -> {status}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["code"].is_string() && v["status"] == status, "{text}");
        if v["code"] == "refused" {
            refused += 1;
        }
    }
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let after = head(http.clone()).await;
    assert_eq!(after - before, refused, "only refusals are journaled");
    let journal: Value = crate::common::get_json(
        &http,
        &format!("{base}/v1/journal?after={before}&limit=1000"),
        &auditor,
    )
    .await;
    assert!(journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] == "registration_refused"));
    server.kill().unwrap();
    server.wait().unwrap();
}
