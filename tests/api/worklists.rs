//! The education department's worklists: claims to check with the regulations' deadline,
//! referrals outstanding; a claim decision issues a signed document.

use crate::harness::{spawn_app, AUDITOR, CLERK, PORTAL, STAFF, STAFF_D2};
use serde_json::{json, Value};

#[tokio::test]
async fn claims_to_check_have_a_due_date_and_become_overdue() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let (_, a) = app.register(1, Some("large_family")).await;
    let (_, b) = app.register(2, Some("large_family")).await;
    app.register(3, None).await;
    let (s, v) = app
        .call("GET", "/v1/districts/D1/claims", Some(STAFF), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let claims = v["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{v}");
    assert_eq!(claims[0]["application_id"], a["application_id"]);
    assert_eq!(claims[0]["category"], "large_family", "{v}");
    assert_eq!(claims[0]["status"], "pending");
    assert_eq!(claims[0]["overdue"], false);
    // 3 working days: registered on Tuesday 2026-09-01 (local), due by the end of Friday.
    assert_eq!(claims[0]["due_by"], "2026-09-04T19:00:00Z", "{v}");
    assert_eq!(v["overdue"], 0);

    app.advance_days(7);
    let (_, v) = app
        .call("GET", "/v1/districts/D1/claims", Some(STAFF), None)
        .await;
    assert_eq!(v["overdue"], 2, "{v}");
    assert_eq!(v["claims"][1]["overdue"], true);
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("kezek_claims_overdue{district=\"D1\"} 2"),
        "{text}"
    );

    // A decision: off the pending list, on the verified one, with a signed document.
    let id = b["application_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/priority"),
            Some(STAFF),
            Some(json!({"decision": "verified", "reason": "certificate No 17"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, pending) = app
        .call(
            "GET",
            "/v1/districts/D1/claims?status=pending",
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!(pending["claims"].as_array().unwrap().len(), 1);
    let (_, verified) = app
        .call(
            "GET",
            "/v1/districts/D1/claims?status=verified",
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!(verified["claims"][0]["application_id"], id);
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let decided = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "priority_claim_decided")
        .unwrap()
        .clone();
    let doc_id = decided["document_id"].as_str().unwrap();
    let (s, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{doc_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["kind"], "priority_decision");
    assert_eq!(doc["application_id"], id);
    assert_eq!(doc["body"]["decision"], "verified");
    assert_eq!(doc["body"]["reason"], "certificate No 17");
    assert_eq!(doc["body"]["category"], "large_family", "{doc}");
    // The decision follows from the journal again (verify issues it anew and compares).
    let report = kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    assert!(report.documents >= 4, "{}", report.documents);

    // Scope and rules.
    let (s, _) = app
        .call("GET", "/v1/districts/D1/claims", Some(STAFF_D2), None)
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .call(
            "GET",
            "/v1/districts/D1/claims?status=lost",
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("status")));
    let (s, _) = app
        .call("GET", "/v1/districts/D1/claims", Some(PORTAL), None)
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn referrals_outstanding_soonest_to_lapse_first() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 2).await;
    let (_, a) = app.register(1, None).await;
    let (_, b) = app.register(2, None).await;
    let (s, v) = app
        .call("GET", "/v1/districts/D1/referrals", Some(STAFF), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["referrals"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["referrals"][0]["status"], "issued");
    let confirmed = b["referral"]["referral_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/referrals/{confirmed}/confirm"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (_, issued) = app
        .call(
            "GET",
            "/v1/districts/D1/referrals?status=issued",
            Some(STAFF),
            None,
        )
        .await;
    let list = issued["referrals"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["referral_id"], a["referral"]["referral_id"]);
    // Lapsing before a date: the issued one (2 working days) lapses before the confirmed
    // one (5 more); the day after its deadline includes it and not the other.
    let lapses: jiff::Timestamp = list[0]["lapses_at"].as_str().unwrap().parse().unwrap();
    let day = lapses
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
        .date();
    let (_, soon) = app
        .call(
            "GET",
            &format!("/v1/districts/D1/referrals?lapsing_before={day}"),
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!(soon["referrals"].as_array().unwrap().len(), 1, "{soon}");
    assert_eq!(soon["referrals"][0]["status"], "issued");
    let (s, _) = app
        .call(
            "GET",
            "/v1/districts/D1/referrals?lapsing_before=soon",
            Some(STAFF),
            None,
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn districts_and_their_kindergartens_can_be_looked_up_within_scope() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    app.kindergarten("K2", "D1", 1).await;
    app.kindergarten("K3", "D2", 1).await;
    app.register(1, None).await;
    let (s, v) = app.call("GET", "/v1/districts", Some(PORTAL), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["districts"],
        json!([{"district_id": "D1", "kindergartens": 2, "queued": 1},
               {"district_id": "D2", "kindergartens": 1, "queued": 0}])
    );
    // Staff see their own districts only.
    let (_, mine) = app.call("GET", "/v1/districts", Some(STAFF), None).await;
    assert_eq!(mine["districts"].as_array().unwrap().len(), 1);
    let (s, v) = app
        .call("GET", "/v1/kindergartens?district=D1", Some(PORTAL), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["kindergartens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kindergarten_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["K1", "K2"]);
    assert_eq!(v["kindergartens"][1]["groups"][0]["free"], 1);
    let (s, _) = app
        .call("GET", "/v1/kindergartens?district=D2", Some(STAFF), None)
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call("GET", "/v1/kindergartens?district=D9", Some(PORTAL), None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call("GET", "/v1/kindergartens", Some(PORTAL), None)
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn a_cohort_queue_lists_its_children_by_queue_number_a_page_at_a_time() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    let mut ids = Vec::new();
    for n in 1..=7u16 {
        let category = (n % 3 == 0).then_some("large_family");
        let (s, a) = app.register(n, category).await;
        assert_eq!(s, 201, "{a}");
        ids.push(a["application_id"].as_str().unwrap().to_owned());
        app.advance_days(1);
    }
    // One claim verified: that child moves up a tier.
    let (s, _) = app
        .call(
            "POST",
            &format!("/v1/applications/{}/priority", ids[5]),
            Some(STAFF),
            Some(json!({"decision": "verified", "reason": "certificate seen"})),
        )
        .await;
    assert_eq!(s, 200);
    let list = |query: &str, token: &'static str| {
        let path = format!("/v1/districts/D1/queue?{query}");
        let app = &app;
        async move { app.call("GET", &path, Some(token), None).await }
    };
    let (s, all) = list("age=4&language=kk", STAFF).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(
        (all["total"].as_u64(), all["age_years"].as_i64()),
        (Some(7), Some(4))
    );
    let children = all["children"].as_array().unwrap();
    assert_eq!(children.len(), 7);
    // Every number is the one the application itself shows.
    for (i, c) in children.iter().enumerate() {
        assert_eq!(c["number"], i + 1);
        let (_, a) = app
            .call(
                "GET",
                &format!("/v1/applications/{}", c["application_id"].as_str().unwrap()),
                Some(PORTAL),
                None,
            )
            .await;
        assert_eq!(a["queue_number"], c["number"], "{c}");
    }
    assert_eq!(
        children[0]["application_id"],
        ids[5].as_str(),
        "the verified claim leads"
    );
    // Each child's claimed category as registered (n = 3 and 6 claimed one).
    for c in children {
        let n = ids
            .iter()
            .position(|x| c["application_id"] == x.as_str())
            .unwrap()
            + 1;
        let want = if n % 3 == 0 {
            json!("large_family")
        } else {
            json!(null)
        };
        assert_eq!(c["category"], want, "{c}");
    }
    assert_eq!(all["next_after"], json!(null));
    let cohort = all["cohort"].as_i64().unwrap();
    // Pages of two, by cohort, a clerk of the district asking.
    let (s, page) = list(
        &format!("cohort={cohort}&language=kk&after=2&limit=2"),
        CLERK,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let numbers: Vec<u64> = page["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 4]);
    assert_eq!(page["next_after"], 4);
    assert_eq!(page["children"][0], children[2]);
    // One tier: its children keep their numbers in the whole queue.
    let (_, general) = list("age=4&language=kk&tier=general&after=3&limit=10", AUDITOR).await;
    let general: Vec<&Value> = general["children"].as_array().unwrap().iter().collect();
    let want: Vec<&Value> = children
        .iter()
        .filter(|c| c["tier"] == "general" && c["number"].as_u64().unwrap() > 3)
        .collect();
    assert_eq!(general, want);
    // Another district's staff sees nothing; the questions are checked.
    let (s, _) = list("age=4&language=kk", STAFF_D2).await;
    assert_eq!(s, 403);
    for (query, field) in [
        ("language=kk", "cohort"),
        ("age=4&cohort=2022&language=kk", "cohort"),
        ("age=4&language=en", "language"),
        ("age=4&language=kk&tier=vip", "tier"),
        ("age=4&language=kk&limit=1001", "limit"),
    ] {
        let (s, v) = list(query, STAFF).await;
        assert_eq!(
            (s, v["errors"][0]["field"].as_str()),
            (422, Some(field)),
            "{query}: {v}"
        );
    }
    let (s, empty) = list("age=2&language=ru", STAFF).await;
    assert_eq!((s, empty["total"].as_u64()), (200, Some(0)));
}
