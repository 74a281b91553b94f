//! The public journal: the whole journal with the personal data taken out — no IIN, name or
//! address of any application in it, byte for byte — chained record by record to the
//! private journal's hashes, its head signed by the authority's published key.

use crate::harness::{child_iin, spawn_app, AUDITOR, CLERK, KG, PORTAL, STAFF};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn all_public(app: &crate::harness::TestApp) -> Vec<Value> {
    let (s, v) = app
        .call("GET", "/public/journal?after=0&limit=1000", None, None)
        .await;
    assert_eq!(s, 200, "{v}");
    v["records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_public_journal_holds_no_personal_data_and_chains_to_the_private_one() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 1).await;
    app.kindergarten("K2", "D1", 0).await;
    // A city in small: a child referred at once and admitted, others waiting, one with a
    // claim, a referral left to lapse, a correction of a name, a complaint.
    let (_, a1) = app.register(1, None).await;
    app.admit(a1["referral"]["referral_id"].as_str().unwrap(), KG)
        .await;
    let (_, a2) = app.register(2, Some("large_family")).await;
    let (_, a3) = app.register(3, None).await;
    let id3 = a3["application_id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .call(
            "POST",
            &format!("/v1/applications/{id3}/corrections"),
            Some(CLERK),
            Some(json!({"child": {"name": "Әлия Нұрланқызы"}, "reason": "birth certificate I-АС 0012"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let body = json!({"name": "Kindergarten K2", "district": "D1", "groups": [
        {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 1},
        {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 0}]});
    let (s, _) = app
        .call("PUT", "/v1/kindergartens/K2", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 200);
    let (s, round) = app
        .call(
            "POST",
            "/v1/districts/D1/allocations",
            Some(STAFF),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    app.pass_days(10).await;

    // Not published until the operator says so.
    let (s, v) = app.call("GET", "/public/journal", None, None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{v}");
    app.app.start_publication_by_operator().await.unwrap();
    assert!(
        app.app.start_publication_by_operator().await.is_err(),
        "once"
    );

    let records = all_public(&app).await;
    let text = serde_json::to_string(&records).unwrap();
    let parent = "880101300123";
    for n in 1..=3 {
        let iin = child_iin(n * 10);
        assert!(
            !text.contains(&iin),
            "child {n}'s IIN in the public journal"
        );
    }
    for personal in [parent, "Aruzhan", "Dana", "Әлия", "I-АС 0012", "2022-03-01"] {
        assert!(!text.contains(personal), "{personal} in the public journal");
    }
    // What the allocation is made of stays: codes, tiers, preferences, rounds.
    assert!(text.contains("large_family") && text.contains("round_run") && text.contains("K1"));
    let lapsed = records.iter().any(|r| r["kind"] == "referral_lapsed");
    let registered: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "registered")
        .collect();
    assert_eq!(registered.len(), 3);
    // The same person has the same pseudonym everywhere.
    let applicant = |r: &Value| {
        r["payload"]["applicant"]["iin"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(applicant(registered[0]).starts_with('P'));
    assert_eq!(applicant(registered[0]), applicant(registered[2]));
    assert_eq!(registered[0]["payload"]["birth_cohort"], json!(2022));
    assert!(registered[0]["payload"].get("birth_date").is_none());
    assert!(lapsed || records.iter().any(|r| r["kind"] == "referral_confirmed"));

    // Chained, and committed to the private journal record for record.
    let (_, private) = app
        .call("GET", "/v1/journal?after=0&limit=1000", Some(AUDITOR), None)
        .await;
    let private = private["events"].as_array().unwrap();
    assert_eq!(private.len(), records.len());
    let mut prev = "0".repeat(64);
    for (r, p) in records.iter().zip(private) {
        assert_eq!(r["seq"], p["seq"]);
        assert_eq!(r["private_hash"], p["hash"]);
        assert_eq!(r["prev_hash"].as_str().unwrap(), prev);
        let mut h = Sha256::new();
        h.update(hex_bytes(&prev));
        h.update(r["seq"].as_u64().unwrap().to_be_bytes());
        h.update(hex_bytes(r["private_hash"].as_str().unwrap()));
        h.update(r["kind"].as_str().unwrap().as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(&r["payload"]).unwrap());
        let hash = hex(&h.finalize());
        assert_eq!(r["hash"].as_str().unwrap(), hash, "seq {}", r["seq"]);
        prev = hash;
    }
    // The head is the last record's, signed by the authority's published key.
    let (s, head) = app.call("GET", "/public/head", None, None).await;
    assert_eq!(s, 200, "{head}");
    assert_eq!(head["hash"].as_str().unwrap(), prev);
    let (_, keys) = app.call("GET", "/v1/keys", None, None).await;
    let key = keys["keys"].as_array().unwrap().last().unwrap();
    assert_eq!(head["key_id"], key["key_id"]);
    let holds = |seq: u64| {
        kezek_app::keys::authority::signature_holds(
            key["public_key"].as_str().unwrap(),
            &kezek_app::ops::public::public_head_bytes(seq, &prev),
            head["signature"].as_str().unwrap(),
        )
        .unwrap()
    };
    assert!(holds(head["seq"].as_u64().unwrap()));
    assert!(!holds(head["seq"].as_u64().unwrap() - 1));
    // Pages continue the chain.
    let (_, page) = app
        .call("GET", "/public/journal?after=5&limit=2", None, None)
        .await;
    assert_eq!(page["records"][0]["prev_hash"], records[4]["hash"]);
    let _ = (a2, PORTAL);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
