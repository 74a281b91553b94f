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
    app.run_round().await;
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

/// The public records and the head, as anyone downloads them.
async fn published(
    app: &crate::harness::TestApp,
) -> (
    Vec<kezek_app::audit::public::PublicRecord>,
    kezek_app::audit::public::PublicHead,
) {
    let records = all_public(app)
        .await
        .into_iter()
        .map(|r| serde_json::from_value(r).unwrap())
        .collect();
    let (s, head) = app.call("GET", "/public/head", None, None).await;
    assert_eq!(s, 200, "{head}");
    (records, serde_json::from_value(head).unwrap())
}

fn check_public(
    records: &[kezek_app::audit::public::PublicRecord],
    head: &kezek_app::audit::public::PublicHead,
    pinned: Option<&str>,
) -> Result<kezek_app::audit::public::PublicReport, String> {
    kezek_app::audit::public::check(
        records.iter().cloned().map(Ok),
        head,
        pinned,
        kezek_core::Policy::kz_2013(),
    )
    .map_err(|e| e.to_string())
}

/// Each record's hash again from `from` on, and the head signed again by the authority (an
/// insider who rewrites the public journal and signs it).
fn rechain(
    app: &crate::harness::TestApp,
    records: &mut [kezek_app::audit::public::PublicRecord],
    from: usize,
) -> kezek_app::audit::public::PublicHead {
    use kezek_app::audit::public::{public_hash, public_head_bytes, PublicHead};
    let mut prev: [u8; 32] = if from == 0 {
        [0; 32]
    } else {
        hex_bytes(&records[from - 1].hash).try_into().unwrap()
    };
    for r in records.iter_mut().skip(from) {
        let private: [u8; 32] = hex_bytes(&r.private_hash).try_into().unwrap();
        r.prev_hash = hex(&prev);
        prev = public_hash(&prev, (r.seq, &private, &r.kind), &r.payload);
        r.hash = hex(&prev);
    }
    let last = records.last().unwrap();
    let authority = app.app.authority();
    PublicHead {
        seq: last.seq,
        hash: last.hash.clone(),
        key_id: authority.key_id().to_owned(),
        signature: authority.sign(&public_head_bytes(last.seq, &last.hash)),
    }
}

#[tokio::test]
async fn anyone_rebuilds_the_queues_and_rounds_from_the_public_journal_and_a_change_is_named() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    // Eight children wait; a round gives the seats a kindergarten opens; referrals lapse;
    // one child leaves the queue; another round gives the seats back.
    for n in 1..=8 {
        let category = [None, Some("large_family"), Some("orphan")][usize::from(n % 3)];
        let (s, v) = app.register(n, category).await;
        assert_eq!(s, 201, "{v}");
    }
    let open = |seats: u32| {
        json!({"name": "Kindergarten K1", "district": "D1", "groups": [
            {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": seats},
            {"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 0}]})
    };
    let (s, _) = app
        .call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(open(3)))
        .await;
    assert_eq!(s, 200);
    app.run_round().await;
    app.pass_days(10).await;
    app.run_round().await;
    app.app.start_publication_by_operator().await.unwrap();

    let (records, head) = published(&app).await;
    let (_, keys) = app.call("GET", "/v1/keys", None, None).await;
    let keys = keys.to_string();
    let report = check_public(&records, &head, Some(&keys)).unwrap();
    assert_eq!(report.events, records.len() as u64);
    assert_eq!(report.rounds, 2);
    assert_eq!(report.applications.0, 8);
    assert!(report.persons >= 9, "8 children and their parent");
    assert!(report.pinned);

    // One record changed after publishing: named by its seq.
    let first_round = records.iter().find(|r| r.kind == "round_run").unwrap();
    let referred: Vec<&Value> = first_round.payload["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["application_id"])
        .collect();
    let registration = |referred_in_round: bool| {
        records
            .iter()
            .position(|r| {
                r.kind == "registered"
                    && referred.contains(&&r.payload["application_id"]) == referred_in_round
            })
            .unwrap()
    };
    let (ahead, at) = (registration(true), registration(false));
    let mut changed = records.clone();
    changed[at].payload["preferences"] = json!(["K2"]);
    let err = check_public(&changed, &head, None).unwrap_err();
    let seq = records[at].seq;
    assert!(
        err.contains(&format!("public record {seq}:")) && err.contains("hash"),
        "{err}"
    );

    // A child who waited put ahead of one who was referred (same category and claim, an
    // hour earlier), chained again and signed by the authority itself: the first round no
    // longer comes out of the records.
    let mut changed = records.clone();
    for field in ["category", "claim"] {
        changed[at].payload[field] = records[ahead].payload[field].clone();
    }
    let earlier = records[ahead].payload["registered_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        - jiff::SignedDuration::from_hours(1);
    changed[at].payload["registered_at"] = json!(earlier.to_string());
    let forged_head = rechain(&app, &mut changed, at);
    let err = check_public(&changed, &forged_head, None).unwrap_err();
    assert!(
        err.contains(&format!("public record {}:", first_round.seq))
            && err.contains("re-runs differently"),
        "{err}"
    );

    // A round's result changed (a referral given to another child), chained and signed again.
    let r = records
        .iter()
        .position(|r| {
            r.kind == "round_run" && !r.payload["referrals"].as_array().unwrap().is_empty()
        })
        .unwrap();
    let waiting = records
        .iter()
        .filter(|x| x.kind == "registered")
        .map(|x| x.payload["application_id"].clone())
        .find(|id| {
            !records[r].payload["referrals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| &f["application_id"] == id)
        })
        .unwrap();
    let mut forged = records.clone();
    forged[r].payload["referrals"][0]["application_id"] = waiting;
    let forged_head = rechain(&app, &mut forged, r);
    let err = check_public(&forged, &forged_head, None).unwrap_err();
    assert!(
        err.contains(&format!("public record {}:", records[r].seq))
            && err.contains("re-runs differently"),
        "{err}"
    );

    // Each round comes with its certificate: the cut-off of each group, nobody passed over.
    let round = records.iter().find(|r| r.kind == "round_run").unwrap();
    let cert = round.certificate.as_ref().unwrap();
    assert_eq!(cert.seq, round.seq);
    let c = &cert.round_certificate;
    assert!(c.envy.is_empty() && !c.groups.is_empty(), "{c:?}");
    assert_eq!(c.groups[0].referred, 3);
    assert_eq!(
        c.groups[0].cutoff, 3,
        "three seats, the first three of the queue"
    );
    // A certificate changed (a later cut-off), even signed again by the authority, is not
    // the one the records give; one left out is missing.
    let at = records.iter().position(|r| r.kind == "round_run").unwrap();
    let mut forged = records.clone();
    let signed = forged[at].certificate.as_mut().unwrap();
    signed.round_certificate.groups[0].cutoff = 5;
    signed.signature = app
        .app
        .authority()
        .sign(&kezek_app::audit::public::certificate_bytes(
            signed.seq,
            &signed.round_certificate,
        ));
    let err = check_public(&forged, &head, None).unwrap_err();
    assert!(
        err.contains(&format!("public record {}:", round.seq))
            && err.contains("cut-off 5")
            && err.contains("cut-off 3"),
        "{err}"
    );
    forged[at].certificate = None;
    let err = check_public(&forged, &head, None).unwrap_err();
    assert!(err.contains("without its certificate"), "{err}");
    let mut unsigned = records.clone();
    unsigned[at].certificate.as_mut().unwrap().signature = bad_signature();
    let err = check_public(&unsigned, &head, None).unwrap_err();
    assert!(err.contains("certificate signature does not hold"), "{err}");

    // The head: signed over another seq, or by a key the checker does not know.
    let mut bad = head.clone();
    bad.signature = app
        .app
        .authority()
        .sign(&kezek_app::audit::public::public_head_bytes(
            head.seq - 1,
            &head.hash,
        ));
    let err = check_public(&records, &bad, None).unwrap_err();
    assert!(err.contains("signature does not hold"), "{err}");
    let other = kezek_app::keys::authority::Authority::generate().unwrap();
    let err = check_public(&records, &head, Some(&other.public_key())).unwrap_err();
    assert!(err.contains("not a key given"), "{err}");
    // A journal cut short is not the signed one.
    let err = check_public(&records[..records.len() - 1], &head, None).unwrap_err();
    assert!(err.contains("the records end at seq"), "{err}");
}

/// A signature by the right kind of key over other bytes.
fn bad_signature() -> String {
    kezek_app::keys::authority::Authority::generate()
        .unwrap()
        .sign(b"other bytes")
}

#[tokio::test]
async fn a_public_journal_rewritten_since_a_head_was_saved_does_not_pass_through_it() {
    let (app, _store) = spawn_app().await;
    app.kindergarten("K1", "D1", 0).await;
    for n in 1..=3 {
        let (s, v) = app.register(n, None).await;
        assert_eq!(s, 201, "{v}");
    }
    app.app.start_publication_by_operator().await.unwrap();
    // A journalist keeps the head of today's download.
    let (_, saved) = app.call("GET", "/public/head", None, None).await;
    let kept = kezek_app::audit::heads::parse_head(&saved.to_string()).unwrap();
    assert!(kept.signature.is_some());
    for n in 4..=5 {
        let (s, v) = app.register(n, Some("large_family")).await;
        assert_eq!(s, 201, "{v}");
    }
    let (records, head) = published(&app).await;
    let through = |records: &[kezek_app::audit::public::PublicRecord],
                   head: &kezek_app::audit::public::PublicHead,
                   saved: &[kezek_app::audit::heads::ExpectedHead]| {
        kezek_app::audit::public::check_through(
            records.iter().cloned().map(Ok),
            (head, saved),
            None,
            kezek_core::Policy::kz_2013(),
        )
        .map_err(|e| e.to_string())
    };
    through(&records, &head, std::slice::from_ref(&kept)).unwrap();

    // The department rewrites the past — the second child registered a day earlier — and
    // chains and signs everything again: a consistent journal, but not the one saved.
    let at = records
        .iter()
        .filter(|r| r.kind == "registered")
        .nth(1)
        .map(|r| usize::try_from(r.seq).unwrap() - 1)
        .unwrap();
    let mut rewritten = records.clone();
    let earlier = rewritten[at].payload["registered_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        - jiff::SignedDuration::from_hours(24);
    rewritten[at].payload["registered_at"] = json!(earlier.to_string());
    let forged_head = rechain(&app, &mut rewritten, at);
    let err = through(&rewritten, &forged_head, std::slice::from_ref(&kept)).unwrap_err();
    assert!(
        err.contains(&format!("public record {}:", kept.seq))
            && err.contains("does not pass through the saved public head"),
        "{err}"
    );
    // A saved head whose signature was changed, and one beyond the records, prove nothing.
    let mut unsigned = kept.clone();
    unsigned.signature = Some((head.key_id.clone(), bad_signature()));
    let err = through(&records, &head, &[unsigned]).unwrap_err();
    assert!(err.contains("not signed by key"), "{err}");
    let err = through(&records[..2], &head, std::slice::from_ref(&kept)).unwrap_err();
    assert!(err.contains("before the saved public head"), "{err}");
}
