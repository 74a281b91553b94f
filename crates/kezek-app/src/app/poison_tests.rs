//! What the application does when the journal fails or a write goes wrong half-way: it
//! stops answering from a state the journal does not have (the service is poisoned, and
//! says why), and a restart rebuilds the state from what the journal really holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "a test: a panic is a failed test, and a scenario reads top to bottom"
)]

use crate::access::{Filer, Staff};
use crate::forms::{KindergartenForm, RegisterForm};
use crate::keys::authority::Authority;
use crate::{App, AppError, Auth, Caller, ManualClock, Role, Unavailable, Written};
use jiff::Timestamp;
use kezek_core::command::withdraw::Withdraw;
use kezek_core::model::ApplicationId;
use kezek_core::Policy;
use kezek_store::faulty::{Faults, FaultyStore};
use kezek_store::memory::MemoryStore;
use kezek_store::{EventLog, Store};
use serde_json::json;
use std::sync::Arc;

fn admin() -> Caller {
    Caller {
        key_id: "key-admin".into(),
        role: Role::Admin,
        scope: Vec::new(),
        official: None,
        citizen: crate::access::Citizen::Unbound,
    }
}

fn start(store: Arc<dyn Store>) -> Arc<App> {
    let clock = Arc::new(ManualClock::at(
        "2026-09-01T04:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    App::start(
        store,
        Policy::kz_2013(),
        Authority::from_seed([7; 32]),
        clock,
    )
    .unwrap()
}

/// Kindergarten K1 in D1 with a group of 4-year-olds of `capacity` seats.
async fn kindergarten(app: &Arc<App>, capacity: u32) -> Result<Written, AppError> {
    let form: KindergartenForm =
        serde_json::from_value(json!({"name": "Balapan", "district": "D1",
        "groups": [{"group_id": "g4", "age_years": 4, "language": "kk", "capacity": capacity}]}))
        .unwrap();
    let auth = Auth::<Staff>::check(admin()).unwrap();
    app.upsert_kindergarten(&auth, None, "K1", form).await
}

/// Registers child number `n` (4 years old) for K1.
async fn register(app: &Arc<App>, n: u16) -> Result<Written, AppError> {
    let iin = kezek_core::model::Iin::compose(jiff::civil::date(2022, 3, 1), false, n).unwrap();
    let form: RegisterForm = serde_json::from_value(json!({"child": {"iin": iin.to_string(), "name": "Aruzhan"},
        "applicant": {"iin": "880101300123", "name": "Dana"}, "district": "D1", "language": "kk",
        "preferences": ["K1"], "documents": ["application_form", "applicant_id", "address_proof"], "channel": "portal"}))
    .unwrap();
    let auth = Auth::<Filer>::check(admin()).unwrap();
    app.register(&auth, None, form).await
}

fn is_poisoned(e: &AppError) -> bool {
    matches!(e, AppError::Unavailable(Unavailable::Poisoned(_)))
}

/// Every event the store holds, replayed by a new application over it.
fn restarted(store: &Arc<MemoryStore>) -> Arc<App> {
    start(store.clone())
}

#[tokio::test]
async fn a_failed_commit_poisons_and_a_restart_rebuilds_from_the_journal() {
    let store = Arc::new(FaultyStore::new(Faults {
        fail_commit: Some(3),
        ..Faults::default()
    }));
    let app = start(store.clone());
    kindergarten(&app, 0).await.unwrap();
    register(&app, 1).await.unwrap();
    let e = register(&app, 2).await.unwrap_err();
    assert!(matches!(e, AppError::Unavailable(_)), "{e:?}");
    let reason = app.poisoned().expect("poisoned");
    assert!(reason.contains("journal"), "{reason}");
    assert!(
        is_poisoned(&register(&app, 3).await.unwrap_err()),
        "writes are refused"
    );
    assert!(
        is_poisoned(&app.read(kezek_core::State::last_seq).await.unwrap_err()),
        "so are reads"
    );
    let inner = store.inner();
    assert_eq!(inner.head().unwrap().seq.get(), 2);
    let again = restarted(&inner);
    assert_eq!(
        again
            .read(|s| (s.last_seq().get(), s.application_count()))
            .await
            .unwrap(),
        (2, 1)
    );
    register(&again, 2).await.unwrap();
}

#[tokio::test]
async fn a_torn_batch_poisons_and_a_restart_keeps_only_what_was_written() {
    // The registration meets a free seat: two events (registered, round_run), torn after one.
    let store = Arc::new(FaultyStore::new(Faults {
        tear_commit: Some(2),
        ..Faults::default()
    }));
    let app = start(store.clone());
    kindergarten(&app, 1).await.unwrap();
    assert!(matches!(
        register(&app, 1).await.unwrap_err(),
        AppError::Unavailable(_)
    ));
    assert!(app.poisoned().is_some());
    let inner = store.inner();
    assert_eq!(
        inner.head().unwrap().seq.get(),
        2,
        "half of the batch was written"
    );
    let again = restarted(&inner);
    let (status, referrals) = again
        .read(|s| {
            let (_, app) = s.applications().next().unwrap();
            (app.status, s.referral_count())
        })
        .await
        .unwrap();
    assert_eq!((status.as_str(), referrals), ("queued", 0));
    // The journal that was kept replays, and the audit names what the tear lost besides:
    // the family whose registration stands was never to be told its number (the outbox
    // rows went with the half that was not written).
    let report = crate::audit::installation(
        inner.as_ref(),
        Policy::kz_2013(),
        || Ok(Authority::from_seed([7; 32])),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        report.contains("record 2 is invalid")
            && report.contains("the outbox lacks the queue_notification notification"),
        "{report}"
    );
}

#[tokio::test]
async fn failing_reads_answer_unavailable_and_do_not_poison() {
    let store = Arc::new(FaultyStore::new(Faults::default()));
    let app = start(store.clone());
    kindergarten(&app, 0).await.unwrap();
    store.fail_reads(true);
    let auditor = Auth::check(Caller {
        role: Role::Auditor,
        ..admin()
    })
    .unwrap();
    let e = app.journal(&auditor, 0, None).await.unwrap_err();
    assert!(
        matches!(e, AppError::Unavailable(Unavailable::Store(_))),
        "{e:?}"
    );
    let key = Some(crate::Idempotency {
        key: "k1".into(),
        fingerprint: [1; 32],
    });
    let auth = Auth::<Staff>::check(admin()).unwrap();
    let form = serde_json::from_value(json!({"seats": 1})).unwrap();
    let e = app
        .open_vacancies(&auth, key, ("K1", "g4"), form)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Unavailable(Unavailable::Store(_))),
        "{e:?}"
    );
    assert!(app.poisoned().is_none(), "a failed read does not poison");
    assert_eq!(
        app.read(|s| s.last_seq().get()).await.unwrap(),
        1,
        "the state answers"
    );
    store.fail_reads(false);
    register(&app, 1).await.unwrap();
}

#[tokio::test]
async fn a_panic_after_applying_poisons_and_nothing_reaches_the_journal() {
    let store = Arc::new(MemoryStore::new());
    let app = start(store.clone());
    kindergarten(&app, 0).await.unwrap();
    register(&app, 1).await.unwrap();
    let before = store.head().unwrap();
    let writer = Arc::clone(&app);
    let panicked = tokio::spawn(async move {
        let id = ApplicationId::parse("KZ0000000002").unwrap();
        writer
            .write(
                &admin(),
                None,
                move |_, at| {
                    Ok(Withdraw {
                        application_id: id,
                        at,
                    }
                    .into())
                },
                |_, _, _| panic!("building the answer failed"),
            )
            .await
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    assert!(
        app.poisoned().is_some(),
        "the state holds a withdrawal the journal does not"
    );
    assert!(is_poisoned(&register(&app, 2).await.unwrap_err()));
    assert_eq!(store.head().unwrap(), before, "nothing of it was journaled");
    let again = restarted(&store);
    assert_eq!(
        again
            .read(|s| s.applications().next().unwrap().1.status.as_str())
            .await
            .unwrap(),
        "queued"
    );
}

#[tokio::test]
async fn a_panic_while_deciding_changes_nothing() {
    let store = Arc::new(MemoryStore::new());
    let app = start(store.clone());
    kindergarten(&app, 0).await.unwrap();
    let writer = Arc::clone(&app);
    let panicked = tokio::spawn(async move {
        writer
            .write(
                &admin(),
                None,
                |_, _| panic!("deciding failed"),
                |_, _, _| unreachable!(),
            )
            .await
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    assert!(app.poisoned().is_none(), "nothing was applied");
    register(&app, 1).await.unwrap();
    assert_eq!(store.head().unwrap().seq.get(), 2);
}

/// The console's audit compares the state the node serves with the journal's at its seq: a
/// node that serves a state the journal does not give (a forged snapshot it started from)
/// stops serving, and says why.
#[tokio::test]
async fn an_audit_stops_a_node_that_serves_another_state_than_the_journal() {
    let store = Arc::new(MemoryStore::new());
    let app = start(store.clone());
    kindergarten(&app, 0).await.unwrap();
    register(&app, 1).await.unwrap();
    register(&app, 2).await.unwrap();
    let auditor = Auth::check(Caller {
        role: Role::Auditor,
        ..admin()
    })
    .unwrap();
    let honest = app.audit_now(&auditor).await.unwrap();
    assert!(honest.result.is_ok(), "{:?}", honest.result);
    assert!(app.poisoned().is_none());

    // The same journal, the second child registered three years earlier in the state.
    let mut forged = kezek_core::State::new(Policy::kz_2013());
    for r in store
        .read(kezek_core::model::Seq::new(0), usize::MAX)
        .unwrap()
    {
        let mut event = kezek_store::record::decode(&r.payload).unwrap();
        if let kezek_core::Event::Registered(reg) = &mut event {
            if reg.application_id.as_str() == "KZ0000000003" {
                reg.registered_at -= jiff::SignedDuration::from_hours(3 * 8760);
            }
        }
        forged.apply(r.seq, &event).unwrap();
    }
    let clock = Arc::new(ManualClock::at(
        "2026-09-01T04:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let served =
        App::from_state(store.clone(), forged, Authority::from_seed([7; 32]), clock).unwrap();
    let audited = served.audit_now(&auditor).await.unwrap();
    let why = audited.result.unwrap_err();
    assert!(why.contains("is not the journal's"), "{why}");
    assert!(served.poisoned().unwrap().contains("not the journal's"));
}
