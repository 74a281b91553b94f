//! A journal that seals personal values (issue 28, part 5): what the service journals holds
//! no IIN, name or address in the clear; the auditor reads them opened; a restart replays
//! them; the public journal names each person by a pseudonym of their key, the one the
//! family's status page shows.

use crate::harness::{
    application, child_iin, put_keys, sealing_store, spawn_on, AUDITOR, PORTAL, STAFF,
};
use kezek_core::model::Seq;
use serde_json::{json, Value};

#[tokio::test]
async fn a_sealing_journal_names_nobody_in_the_clear_and_opens_for_those_who_may_read() {
    let store = sealing_store();
    put_keys(store.as_ref());
    let app = spawn_on(store.clone()).await;
    assert!(app.app.journal_authority().await.unwrap());
    assert!(app.app.journal_policy().await.unwrap());
    // A free seat: the registration is referred at once, and its referral names the child.
    app.kindergarten("K1", "D1", 1).await;
    let mut body = application(1, None);
    body["child"]["name"] = json!("Aruzhan Serikqyzy");
    body["applicant"]["name"] = json!("Dana Serikova");
    let (status, registered) = app
        .call("POST", "/v1/applications", Some(PORTAL), Some(body))
        .await;
    assert_eq!(status, 201, "{registered}");
    let id = registered["application_id"].as_str().unwrap().to_owned();
    let child = child_iin(10);

    // Nothing personal in the journal's bytes; every registration's values sealed.
    let records = store.read(Seq::new(0), 1000).unwrap();
    let personal = [
        child.as_str(),
        "880101300123",
        "Aruzhan",
        "Serikqyzy",
        "Dana",
        "Serikova",
    ];
    for r in &records {
        let text = String::from_utf8_lossy(&r.payload);
        for p in personal {
            assert!(!text.contains(p), "record {} holds {p}: {text}", r.seq);
        }
    }
    let registration = records.iter().find(|r| r.kind == "registered").unwrap();
    // The child's values sealed together, the applicant's too.
    assert!(String::from_utf8_lossy(&registration.payload).contains(r#""child":{"$person":"#));
    // One key for the child, one for the applicant.
    assert_eq!(store.person_keys("", 100).unwrap().len(), 2);

    // The auditor sees the record as journaled (what the hash covers) and opened.
    let (status, page) = app
        .call("GET", "/v1/journal?after=0&limit=1000", Some(AUDITOR), None)
        .await;
    assert_eq!(status, 200);
    let event = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "registered")
        .unwrap();
    assert!(event["payload"]["child"]["$person"].is_string(), "{event}");
    assert_eq!(event["opened"]["child"]["iin"], child);
    assert_eq!(event["opened"]["child"]["name"], "Aruzhan Serikqyzy");
    assert_eq!(event["opened"]["applicant"]["name"], "Dana Serikova");

    // The public journal: the child by the pseudonym its status page shows.
    app.app.start_publication_by_operator().await.unwrap();
    let (status, public) = app
        .call("GET", "/public/journal?after=0&limit=1000", None, None)
        .await;
    assert_eq!(status, 200, "{public}");
    let text = public.to_string();
    for p in personal {
        assert!(!text.contains(p), "the public journal holds {p}");
    }
    let shown = app
        .app
        .family_status(&id, &child)
        .await
        .unwrap()
        .unwrap()
        .pseudonym
        .unwrap();
    let published = public["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "registered")
        .unwrap();
    assert_eq!(published["payload"]["child"]["iin"], Value::from(shown));

    // A start replays the sealed records into the same state.
    let again = spawn_on(store.clone()).await;
    let (status, seen) = again
        .call("GET", &format!("/v1/applications/{id}"), Some(STAFF), None)
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        seen["referral"]["child_name"], "Aruzhan Serikqyzy",
        "{seen}"
    );
    assert_eq!(seen["referral"]["birth_date"], "2022-03-01");
    assert!(again
        .app
        .family_status(&id, &child)
        .await
        .unwrap()
        .is_some());
}
