//! Named officials: the administrator names them; a key that belongs to one acts only once
//! the journal binds it, its acts are journaled as that person's, and the documents name the
//! official who issued them (the acting one, else the district's signer); one who leaves is
//! refused. `kezek verify` issues the documents again with the same names.

use crate::harness::{spawn_app, AUDITOR, PORTAL, STAFF};
use kezek_app::access::Role;
use kezek_app::keys::authority::Authority;
use kezek_app::keys::NewKey;
use serde_json::{json, Value};

fn head() -> Value {
    json!({"name": "Айгүл Серікқызы Әбенова", "iin": "880101300123",
           "position_kk": "Білім бөлімінің басшысы", "position_ru": "Руководитель отдела образования",
           "organisation": "D1", "signs": true})
}

#[tokio::test]
async fn officials_act_through_their_keys_and_name_what_they_issue() {
    let (app, store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    let authority = Authority::from_seed([7; 32]);
    let key = |role: Role, scope: &[&str], official: Option<&str>| {
        let new = NewKey {
            role,
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            expires: None,
            official: official.map(str::to_owned),
        };
        kezek_app::keys::create(store.as_ref(), &authority, new, app.app.now())
            .unwrap()
            .1
    };
    let admin = key(Role::Admin, &[], None);

    // Only the administrator names officials; every field is checked.
    let (s, _) = app
        .call("PUT", "/v1/officials/head", Some(STAFF), Some(head()))
        .await;
    assert_eq!(s, 403);
    let mut nowhere = head();
    nowhere["organisation"] = json!("D9");
    let (s, v) = app
        .call("PUT", "/v1/officials/head", Some(&admin), Some(nowhere))
        .await;
    assert_eq!(
        (
            s,
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["code"].as_str()
        ),
        (422, Some("organisation"), Some("unknown_organisation")),
        "{v}"
    );
    let mut bad_iin = head();
    bad_iin["iin"] = json!("880101300124");
    let (s, v) = app
        .call("PUT", "/v1/officials/head", Some(&admin), Some(bad_iin))
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (422, Some("iin")),
        "{v}"
    );
    let (s, v) = app
        .call("PUT", "/v1/officials/head", Some(&admin), Some(head()))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["organisation"].as_str(), v["signs"].as_bool()),
        (Some("district:D1"), Some(true))
    );
    let (s, v) = app
        .call("PUT", "/v1/officials/head", Some(&admin), Some(head()))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("official_exists")),
        "{v}"
    );

    // A registration through the portal: the district's signer issues its notification.
    let (s, a) = app.register(1, None).await;
    assert_eq!(s, 201, "{a}");
    let doc_id = a["document_id"].as_str().unwrap().to_owned();
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{doc_id}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(
        doc["body"]["official"]["name"], "Айгүл Серікқызы Әбенова",
        "{doc}"
    );

    // The head's own key: refused until the journal binds it, then the head's act.
    let heads_key = key(Role::Staff, &["D1"], Some("head"));
    let (s, _) = app
        .call("GET", "/v1/districts/D1/claims", Some(&heads_key), None)
        .await;
    assert_eq!(s, 401, "not bound yet");
    app.app.sync_keys().await.unwrap();
    let (s, v) = app
        .call("GET", "/v1/districts/D1/claims", Some(&heads_key), None)
        .await;
    assert_eq!(s, 200, "{v}");
    // The head decides a claim: the decision is theirs and names them.
    let (s, claimant) = app.register(2, Some("large_family")).await;
    assert_eq!(s, 201, "{claimant}");
    let id = claimant["application_id"].as_str().unwrap();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id}/priority"),
            Some(&heads_key),
            Some(json!({"decision": "verified", "reason": "certificate No 17"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, notes) = app
        .call("GET", "/v1/notifications?limit=1000", Some(PORTAL), None)
        .await;
    let decision = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "priority_claim_decided" && n["application_id"] == id)
        .and_then(|n| n["document_id"].as_str())
        .unwrap()
        .to_owned();
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{decision}"),
            Some(PORTAL),
            None,
        )
        .await;
    assert_eq!(doc["body"]["official"]["official_id"], "head", "{doc}");
    assert_eq!(doc["body"]["official"]["organisation"], "district:D1");
    if !kezek_testdb::missing(kezek_testdb::Tool::Poppler) {
        let pdf = app
            .bytes(&format!("/v1/documents/{decision}.pdf?lang=ru"), PORTAL)
            .await;
        std::fs::create_dir_all("target/console").unwrap();
        std::fs::write("target/console/official-decision-ru.pdf", &pdf).unwrap();
        let text = crate::printed::pdf_text(&pdf);
        assert!(
            text.contains("Выдал") && text.contains("Айгүл Серікқызы Әбенова"),
            "{text}"
        );
    }
    let (_, journal) = app
        .call("GET", "/v1/journal?limit=1000", Some(AUDITOR), None)
        .await;
    let events = journal["events"].as_array().unwrap();
    let bound = events.iter().find(|e| e["kind"] == "key_bound").unwrap();
    assert_eq!(bound["payload"]["official_id"], "head");
    let decided = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "claim_decided")
        .unwrap();
    assert_eq!(
        decided["official"]["name"], "Айгүл Серікқызы Әбенова",
        "{decided}"
    );
    assert_eq!(
        decided["official"]["position_ru"],
        "Руководитель отдела образования"
    );

    let (_, listed) = app.call("GET", "/v1/officials", Some(AUDITOR), None).await;
    assert_eq!(listed[0]["keys"].as_array().unwrap().len(), 1, "{listed}");

    // Verify issues every document again, with the same official.
    let report = kezek_app::audit::installation(
        store.as_ref(),
        kezek_core::Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap();
    assert!(report.documents >= 3, "{report:?}");

    // The head leaves: their key is refused, and they sign nothing more.
    let (s, left) = app
        .call("POST", "/v1/officials/head/leave", Some(&admin), None)
        .await;
    assert_eq!((s, left["signs"].as_bool()), (200, Some(false)), "{left}");
    assert!(left["left_at"].is_string(), "{left}");
    let (s, v) = app
        .call("POST", "/v1/officials/head/leave", Some(&admin), None)
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("official_left")));
    let (s, _) = app
        .call("GET", "/v1/districts/D1/claims", Some(&heads_key), None)
        .await;
    assert_eq!(s, 401);
    let (_, a) = app.register(3, None).await;
    let (_, doc) = app
        .call(
            "GET",
            &format!("/v1/documents/{}", a["document_id"].as_str().unwrap()),
            Some(PORTAL),
            None,
        )
        .await;
    assert!(doc["body"].get("official").is_none(), "{doc}");
}
