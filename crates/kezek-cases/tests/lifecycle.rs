//! Cases from application to result, for every service: accepted, refused at intake,
//! assigned, drafted, returned, signed, handed over; the overdue sweep journals a late step
//! once; complaints. Every decided event applies, and a refused command changes nothing.

#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]

use jiff::civil::{date, Weekday};
use jiff::tz::Offset;
use jiff::Timestamp;
use kezek_cases::command::{self, File};
use kezek_cases::definition::Channel;
use kezek_cases::event::{Applicant, Outcome};
use kezek_cases::state::Status;
use kezek_cases::{CaseEvent, Cases, Definition, OfficeHours};
use kezek_core::policy::calendar::Calendar;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

fn calendar() -> Calendar {
    Calendar {
        offset: Offset::constant(5),
        weekend: vec![Weekday::Saturday, Weekday::Sunday],
        holidays: [(1, 1), (3, 21), (3, 22), (3, 23)].into(),
        extra: [date(2026, 5, 27)].into(),
    }
}

fn definitions() -> Vec<Definition> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services");
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        let d = Definition::from_toml(&std::fs::read_to_string(&f).unwrap()).unwrap();
        // One variant per service is in force: the first of each.
        if seen.insert(d.id.clone()) {
            out.push(d);
        }
    }
    out
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Decides and applies; the events, or the refusal (and then nothing changed).
fn run(
    cases: &mut Cases,
    decide: impl FnOnce(&Cases) -> Result<Vec<CaseEvent>, kezek_core::command::Refusal>,
) -> Result<Vec<CaseEvent>, String> {
    match decide(cases) {
        Ok(events) => {
            for e in &events {
                cases
                    .apply(e)
                    .unwrap_or_else(|err| panic!("{e:?} does not apply: {err}"));
            }
            Ok(events)
        }
        Err(r) => Err(match r {
            kezek_core::command::Refusal::Conflict { code, .. } => code.to_owned(),
            kezek_core::command::Refusal::Invalid(v) => format!("{}:{}", v[0].field, v[0].code),
            other => other.to_string(),
        }),
    }
}

/// A complete and valid form of `d`.
fn form_of(d: &Definition) -> BTreeMap<String, serde_json::Value> {
    use kezek_cases::definition::FieldKind;
    d.fields
        .iter()
        .map(|f| {
            let v = match f.kind {
                FieldKind::Text => json!("Атырау қаласы, Абай көшесі, 5"),
                FieldKind::Date => json!("2020-05-01"),
                FieldKind::Iin => json!("880101300123"),
                FieldKind::Choice => json!(f.options[0].code),
                FieldKind::Number => json!(f.min.unwrap_or(1)),
                FieldKind::Person => json!({"name": "Дана Бекова", "iin": "880101300123"}),
                FieldKind::Child => {
                    json!({"name": "Аружан Бекова", "iin": child_iin(), "birth_date": "2020-05-01"})
                }
            };
            (f.key.clone(), v)
        })
        .collect()
}

/// A valid IIN of a child born on 1 May 2020.
fn child_iin() -> String {
    kezek_core::model::Iin::compose(date(2020, 5, 1), true, 1)
        .unwrap()
        .to_string()
}

fn filing(d: &Definition, id: &str, channel: Channel, at: Timestamp) -> File {
    File {
        case_id: id.into(),
        service: d.id.clone(),
        provider: "ORG1".into(),
        channel,
        applicant: Applicant {
            iin: "880101300123".into(),
            name: "Дана Бекова".into(),
        },
        form: form_of(d),
        documents: d.documents.get(&channel).cloned().unwrap_or_default(),
        at,
    }
}

#[test]
fn every_service_goes_from_application_to_result_and_to_a_reasoned_refusal() {
    let defs = definitions();
    assert_eq!(defs.len(), 4);
    let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
    // Monday 4 May 2026, 10:00 local.
    let start = t("2026-05-04T05:00:00Z");
    for d in &defs {
        let channel = d.channels[0];
        for (n, outcome) in [(1, Outcome::Granted), (2, Outcome::Refused)] {
            let id = format!("{}-{n}", d.id);
            run(&mut cases, |c| filing(d, &id, channel, start).decide(c)).unwrap();
            let case = cases.case(&id).unwrap();
            assert_eq!(case.status, Status::AwaitingResolution);
            let resolution = d.step("resolution").unwrap();
            let due = case.step("resolution").unwrap().due.unwrap();
            assert_eq!(
                due,
                kezek_cases::due(
                    start,
                    resolution.limit,
                    resolution.unit,
                    &calendar(),
                    &OfficeHours::default()
                )
            );
            // Only the step the case is at can be done.
            assert_eq!(
                run(&mut cases, |c| command::sign(c, &id, start)),
                Err("case_not_at_this_step".into())
            );
            run(&mut cases, |c| command::assign(c, &id, "executor-1", start)).unwrap();
            let grounds = match outcome {
                Outcome::Granted => vec![],
                Outcome::Refused => vec![d.grounds[0].code.clone()],
            };
            // A refusal needs grounds the definition lists.
            assert_eq!(
                run(&mut cases, |c| command::draft(
                    c,
                    &id,
                    (Outcome::Refused, vec!["whim".into()], "no"),
                    start
                )),
                Err("grounds:invalid_grounds".into())
            );
            run(&mut cases, |c| {
                command::draft(c, &id, (outcome, grounds, "Құжаттар тексерілді"), start)
            })
            .unwrap();
            // Returned once, drafted again.
            run(&mut cases, |c| {
                command::send_back(c, &id, "Қорытындыны толықтырыңыз", start)
            })
            .unwrap();
            assert_eq!(cases.case(&id).unwrap().status, Status::InWork);
            run(&mut cases, |c| {
                command::draft(
                    c,
                    &id,
                    (
                        outcome,
                        if outcome == Outcome::Refused {
                            vec![d.grounds[0].code.clone()]
                        } else {
                            vec![]
                        },
                        "Қайта қаралды",
                    ),
                    start,
                )
            })
            .unwrap();
            let signed = run(&mut cases, |c| command::sign(c, &id, start)).unwrap();
            let paper = d.results.paper && channel != Channel::Portal;
            assert_eq!(signed.len(), if paper { 1 } else { 2 }, "{}", d.id);
            if paper {
                assert_eq!(cases.case(&id).unwrap().status, Status::AwaitingIssue);
                run(&mut cases, |c| command::hand_over(c, &id, start)).unwrap();
            }
            let case = cases.case(&id).unwrap();
            assert_eq!(case.status, Status::Issued, "{}", d.id);
            assert!(case.steps.iter().all(|s| s.done.is_some()), "{case:?}");
            assert_eq!(case.outcome.as_ref().map(|o| o.0), Some(outcome));
        }
    }
}

#[test]
fn missing_documents_give_the_refusal_to_accept_and_a_bad_form_names_its_field() {
    let defs = definitions();
    let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
    let d = defs.iter().find(|d| d.id == "school_admission").unwrap();
    let mut f = filing(d, "S-1", Channel::Office, t("2026-05-04T05:00:00Z"));
    f.documents.retain(|doc| doc != "birth_certificate");
    let events = run(&mut cases, |c| f.decide(c)).unwrap();
    assert!(
        matches!(&events[0], CaseEvent::RefusedToAccept { missing, .. } if missing == &["birth_certificate"])
    );
    assert_eq!(cases.case("S-1").unwrap().status, Status::RefusedToAccept);
    let mut bad = filing(d, "S-2", Channel::Office, t("2026-05-04T05:00:00Z"));
    let mut wrong = child_iin();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '9' {
        '0'
    } else {
        char::from(last as u8 + 1)
    });
    bad.form.insert(
        "child".into(),
        json!({"name": "Аружан", "iin": wrong, "birth_date": "2020-05-01"}),
    );
    assert_eq!(
        run(&mut cases, |c| bad.decide(c)),
        Err("form.child.iin:invalid_iin".into())
    );
    let mut grade = filing(d, "S-2", Channel::Office, t("2026-05-04T05:00:00Z"));
    grade.form.insert("grade".into(), json!(12));
    assert_eq!(
        run(&mut cases, |c| grade.decide(c)),
        Err("form.grade:invalid_number".into())
    );
    assert!(
        cases.case("S-2").is_none(),
        "a refused filing leaves nothing"
    );
    let through = filing(d, "S-3", Channel::ServiceCenter, t("2026-05-04T05:00:00Z"));
    assert_eq!(
        run(&mut cases, |c| through.decide(c)),
        Err("channel_not_offered".into())
    );
}

#[test]
fn a_late_step_is_journaled_once_and_can_be_complained_about() {
    let defs = definitions();
    let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
    let d = defs.iter().find(|d| d.id == "externat_permission").unwrap();
    // Friday 8 May 2026, 17:55 local: the head's 15 minutes run to Monday 09:10.
    let filed = t("2026-05-08T12:55:00Z");
    run(&mut cases, |c| {
        filing(d, "E-1", Channel::Office, filed).decide(c)
    })
    .unwrap();
    assert_eq!(
        cases.case("E-1").unwrap().step("resolution").unwrap().due,
        Some(t("2026-05-11T04:10:00Z"))
    );
    assert!(
        command::overdue(&cases, t("2026-05-11T04:00:00Z")).is_empty(),
        "not yet"
    );
    assert_eq!(
        run(&mut cases, |c| command::complain(
            c,
            "E-1",
            "Жауап жоқ",
            t("2026-05-11T04:00:00Z")
        )),
        Err("nothing_to_complain_about".into())
    );
    let late = command::overdue(&cases, t("2026-05-11T05:00:00Z"));
    assert_eq!(late.len(), 1);
    run(&mut cases, |_| Ok(late)).unwrap();
    assert!(
        command::overdue(&cases, t("2026-05-12T05:00:00Z")).is_empty(),
        "once"
    );
    run(&mut cases, |c| {
        command::complain(
            c,
            "E-1",
            "Бұрыштама уақытында қойылмады",
            t("2026-05-11T06:00:00Z"),
        )
    })
    .unwrap();
    let c = &cases.case("E-1").unwrap().complaints[0];
    // Five working days from Monday 11 May: Monday 18 May ends.
    assert_eq!(c.due, t("2026-05-18T19:00:00Z"));
    run(&mut cases, |c| {
        command::decide_complaint(
            c,
            "E-1",
            (1, true, "Мерзім бұзылды, орындаушы тағайындалды"),
            t("2026-05-12T05:00:00Z"),
        )
    })
    .unwrap();
    assert_eq!(
        run(&mut cases, |c| command::decide_complaint(
            c,
            "E-1",
            (1, false, "x"),
            t("2026-05-12T05:00:00Z")
        )),
        Err("no_open_complaint".into())
    );
}

mod property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        File(usize, bool),
        Assign,
        Draft(bool),
        SendBack,
        Sign,
        HandOver,
        Complain,
        Decide(bool),
        Sweep,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..4, any::<bool>()).prop_map(|(s, full)| Op::File(s, full)),
            Just(Op::Assign),
            any::<bool>().prop_map(Op::Draft),
            Just(Op::SendBack),
            Just(Op::Sign),
            Just(Op::HandOver),
            Just(Op::Complain),
            any::<bool>().prop_map(Op::Decide),
            Just(Op::Sweep),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Whatever is asked, in whatever order and at whatever time, every event a command is
        /// decided into applies, and a case's steps are done in order, each once.
        #[test]
        fn every_decided_event_applies(ops in proptest::collection::vec((op(), 0u8..3, 0i64..600), 1..60)) {
            let defs = definitions();
            let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
            let mut now = t("2026-05-04T03:00:00Z");
            let mut filed = 0;
            for (op, which, minutes) in ops {
                now += jiff::Span::new().minutes(minutes * 7);
                let id = format!("C-{which}");
                let decided = match op {
                    Op::File(s, full) => {
                        filed += 1;
                        let d = &defs[s % defs.len()];
                        let mut f = filing(d, &format!("C-{}", filed % 3), d.channels[0], now);
                        if !full {
                            f.documents.pop();
                        }
                        f.decide(&cases)
                    }
                    Op::Assign => command::assign(&cases, &id, "executor", now),
                    Op::Draft(granted) => {
                        let grounds = cases
                            .case(&id)
                            .and_then(|c| cases.definition(&c.service))
                            .map(|d| vec![d.grounds[0].code.clone()])
                            .unwrap_or_default();
                        if granted {
                            command::draft(&cases, &id, (Outcome::Granted, vec![], ""), now)
                        } else {
                            command::draft(&cases, &id, (Outcome::Refused, grounds, "Негіз"), now)
                        }
                    }
                    Op::SendBack => command::send_back(&cases, &id, "Қайта", now),
                    Op::Sign => command::sign(&cases, &id, now),
                    Op::HandOver => command::hand_over(&cases, &id, now),
                    Op::Complain => command::complain(&cases, &id, "Шағым", now),
                    Op::Decide(upheld) => command::decide_complaint(&cases, &id, (1, upheld, "Шешім"), now),
                    Op::Sweep => Ok(command::overdue(&cases, now)),
                };
                if let Ok(events) = decided {
                    for e in &events {
                        prop_assert!(cases.apply(e).is_ok(), "{:?} does not apply", e);
                    }
                }
            }
            for case in cases.cases() {
                let done: Vec<bool> = case.steps.iter().map(|s| s.done.is_some()).collect();
                // Done steps are a prefix: nothing is done before the step ahead of it.
                prop_assert!(done.windows(2).all(|w| w[0] || !w[1]), "{:?}", case);
            }
        }
    }
}

/// The cases travel in the queue's state as its extension records: a snapshot written and read
/// back rebuilds the same cases.
#[test]
fn a_snapshot_carries_the_cases() {
    use kezek_core::model::Seq;
    use kezek_core::{Event, Policy, State};
    let defs = definitions();
    let mut cases = Cases::new(Vec::new(), calendar(), OfficeHours::default());
    let mut state = State::new(Policy::kz_2013());
    let adopt = CaseEvent::DefinitionsAdopted {
        definitions: std::fs::read_dir(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services"),
        )
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("school_admission")
        })
        .map(|e| kezek_cases::event::AdoptedDefinition {
            file: e.file_name().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(e.path()).unwrap(),
        })
        .collect(),
        at: t("2026-05-04T05:00:00Z"),
    };
    let d = defs.iter().find(|d| d.id == "school_admission").unwrap();
    let mut seq = 0;
    let mut record = |cases: &mut Cases, state: &mut State, e: &CaseEvent| {
        cases.apply(e).unwrap();
        seq += 1;
        let x = kezek_cases::event::to_extension(e).unwrap();
        state
            .apply(Seq::new(seq), &Event::Extension(Box::new(x)))
            .unwrap();
    };
    record(&mut cases, &mut state, &adopt);
    for e in filing(d, "S-1", Channel::Office, t("2026-05-04T05:00:00Z"))
        .decide(&cases)
        .unwrap()
    {
        record(&mut cases, &mut state, &e);
    }
    for e in command::assign(&cases, "S-1", "executor", t("2026-05-04T05:10:00Z")).unwrap() {
        record(&mut cases, &mut state, &e);
    }
    let restored = State::from_snapshot(&state.to_snapshot().unwrap()).unwrap();
    let again =
        Cases::from_journal(restored.extensions(), calendar(), OfficeHours::default()).unwrap();
    assert_eq!(again.case("S-1"), cases.case("S-1"));
    assert_eq!(again.case("S-1").unwrap().status, Status::InWork);
}

#[test]
fn a_complaint_about_the_queue_is_numbered_due_in_five_working_days_and_decided_once() {
    let mut cases = Cases::new(Vec::new(), calendar(), OfficeHours::default());
    let at = t("2026-05-04T05:00:00Z");
    let complain = |cases: &mut Cases, text: &str| {
        run(cases, |c| {
            command::complain_about_queue(c, ("KZ0000000007", "D1"), text, at)
        })
    };
    assert_eq!(complain(&mut cases, " ").unwrap_err(), "text:invalid_text");
    complain(&mut cases, "Нөмір артқа кетті").unwrap();
    complain(&mut cases, "Жолдама берілмеді").unwrap();
    let (district, list) = cases.queue_complaints("KZ0000000007").unwrap();
    assert_eq!(district, "D1");
    assert_eq!(list.iter().map(|c| c.number).collect::<Vec<_>>(), [1, 2]);
    // Five working days, as the calendar has them.
    let due = cases.complaint_due("kindergarten_queue", at);
    assert_eq!(list[0].due, due);
    assert!(due > at + jiff::SignedDuration::from_hours(24 * 5));

    let decide = |cases: &mut Cases, n: u32, reasons: &str| {
        run(cases, |c| {
            command::decide_queue_complaint(c, "KZ0000000007", (n, true, reasons), at)
        })
    };
    assert_eq!(
        decide(&mut cases, 3, "Негіз").unwrap_err(),
        "no_open_complaint"
    );
    assert_eq!(
        decide(&mut cases, 1, "").unwrap_err(),
        "reasons:invalid_text"
    );
    decide(&mut cases, 1, "Негіз").unwrap();
    assert_eq!(
        decide(&mut cases, 1, "Тағы").unwrap_err(),
        "no_open_complaint"
    );
    let (_, list) = cases.queue_complaints("KZ0000000007").unwrap();
    assert!(list[0].decided.is_some() && list[1].decided.is_none());
    // A complaint recorded out of its order does not apply.
    let stray = CaseEvent::QueueComplained {
        application_id: "KZ0000000007".into(),
        district: "D1".into(),
        complaint: 5,
        text: "x".into(),
        at,
    };
    assert!(cases.apply(&stray).is_err());
}

#[test]
fn papers_filed_at_a_service_centre_travel_by_batch_and_an_uncollected_result_is_archived() {
    use kezek_cases::centre::{self, Custody, Direction, Send};
    let defs = definitions();
    let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
    let d = defs
        .iter()
        .find(|d| d.id == "education_document_duplicate")
        .unwrap();
    // Monday 4 May 2026, 10:00 local (05:00 UTC).
    let at = t("2026-05-04T05:00:00Z");
    run(&mut cases, |c| {
        filing(d, "C-1", Channel::ServiceCenter, at).decide(c)
    })
    .unwrap();
    run(&mut cases, |c| {
        filing(d, "C-2", Channel::Office, at).decide(c)
    })
    .unwrap();
    let c1 = cases.case("C-1").unwrap();
    assert_eq!(c1.custody, Some(Custody::Centre));
    assert!(
        c1.step("resolution").unwrap().started.is_none(),
        "not the provider's yet"
    );
    assert_eq!(
        run(&mut cases, |c| command::assign(c, "C-1", "executor", at)).unwrap_err(),
        "papers_not_at_provider"
    );
    let send = |ids: &[&str], direction, id: &str, at| Send {
        batch_id: id.into(),
        direction,
        centre: "D1".into(),
        provider: "ORG1".into(),
        cases: ids.iter().map(|s| (*s).to_owned()).collect(),
        at,
    };
    // A batch lists centre cases of its provider, each once.
    assert_eq!(
        run(&mut cases, |c| send(&[], Direction::ToProvider, "B-0", at)
            .decide(c))
        .unwrap_err(),
        "cases:invalid_batch"
    );
    assert_eq!(
        run(&mut cases, |c| send(
            &["C-1", "C-1"],
            Direction::ToProvider,
            "B-0",
            at
        )
        .decide(c))
        .unwrap_err(),
        "cases:invalid_batch"
    );
    assert_eq!(
        run(&mut cases, |c| send(
            &["C-2"],
            Direction::ToProvider,
            "B-0",
            at
        )
        .decide(c))
        .unwrap_err(),
        "cases:invalid_batch",
        "an office case never travels"
    );
    let courier_took = t("2026-05-04T11:00:00Z");
    run(&mut cases, |c| {
        send(&["C-1"], Direction::ToProvider, "B-1", courier_took).decide(c)
    })
    .unwrap();
    assert_eq!(
        cases.case("C-1").unwrap().custody,
        Some(Custody::ToProvider {
            batch: "B-1".into()
        })
    );
    // One working day for the courier: late on Tuesday evening, noted once.
    let b1 = cases.batch("B-1").unwrap().clone();
    assert_eq!(b1.due, t("2026-05-05T19:00:00Z"), "end of Tuesday, local");
    assert!(centre::sweep(&cases, t("2026-05-05T18:00:00Z")).is_empty());
    let late = centre::sweep(&cases, t("2026-05-06T04:00:00Z"));
    assert!(
        matches!(late.as_slice(), [CaseEvent::BatchOverdue { batch_id, .. }] if batch_id == "B-1")
    );
    run(&mut cases, |_| Ok(late.clone())).unwrap();
    assert!(centre::sweep(&cases, t("2026-05-06T04:00:00Z")).is_empty());

    // Received on Wednesday: the provider's time starts then.
    let received = t("2026-05-06T05:00:00Z");
    run(&mut cases, |c| centre::receive(c, "B-1", received)).unwrap();
    assert_eq!(
        run(&mut cases, |c| centre::receive(c, "B-1", received)).unwrap_err(),
        "batch_received"
    );
    let c1 = cases.case("C-1").unwrap();
    assert_eq!(c1.custody, Some(Custody::Provider));
    assert_eq!(c1.step("resolution").unwrap().started, Some(received));
    run(&mut cases, |c| {
        command::assign(c, "C-1", "executor", received)
    })
    .unwrap();
    run(&mut cases, |c| {
        command::draft(c, "C-1", (Outcome::Granted, Vec::new(), ""), received)
    })
    .unwrap();
    run(&mut cases, |c| command::sign(c, "C-1", received)).unwrap();
    assert_eq!(cases.case("C-1").unwrap().status, Status::AwaitingIssue);
    assert_eq!(
        run(&mut cases, |c| command::hand_over(c, "C-1", received)).unwrap_err(),
        "case_not_at_this_step",
        "collected at the centre, not at the provider"
    );
    // Handing the result to the courier is the issue step.
    run(&mut cases, |c| {
        send(&["C-1"], Direction::ToCentre, "B-2", received).decide(c)
    })
    .unwrap();
    let c1 = cases.case("C-1").unwrap();
    assert_eq!(c1.status, Status::AwaitingCollection);
    assert_eq!(c1.step("issue").unwrap().done, Some(received));
    let back = t("2026-05-06T09:00:00Z");
    run(&mut cases, |c| centre::receive(c, "B-2", back)).unwrap();
    assert_eq!(
        cases.case("C-1").unwrap().custody,
        Some(Custody::ResultAtCentre { since: back })
    );
    // Not collected within a month: to the provider's archive, where it is still collected.
    assert!(centre::sweep(&cases, t("2026-06-06T08:00:00Z")).is_empty());
    let archived = centre::sweep(&cases, t("2026-06-06T10:00:00Z"));
    assert!(
        matches!(archived.as_slice(), [CaseEvent::Archived { case_id, .. }] if case_id == "C-1")
    );
    run(&mut cases, |_| Ok(archived.clone())).unwrap();
    assert_eq!(cases.case("C-1").unwrap().custody, Some(Custody::Archived));
    run(&mut cases, |c| {
        command::hand_over(c, "C-1", t("2026-06-10T05:00:00Z"))
    })
    .unwrap();
    let c1 = cases.case("C-1").unwrap();
    assert_eq!(
        (c1.status, c1.custody.clone()),
        (Status::Issued, Some(Custody::Collected))
    );
}

#[test]
fn a_calendar_adopted_later_moves_the_due_times_from_then_on_only() {
    use kezek_cases::event::CalendarRecord;
    let defs = definitions();
    let mut cases = Cases::new(defs.clone(), calendar(), OfficeHours::default());
    let d = defs.iter().find(|d| d.id == "externat_permission").unwrap();
    let at = t("2026-05-04T05:00:00Z");
    run(&mut cases, |c| {
        filing(d, "E-1", Channel::Office, at).decide(c)
    })
    .unwrap();
    let before = cases.complaint_due(&d.id, at);
    // The next policy announces three more days off that week.
    let mut next = calendar();
    next.extra
        .extend([date(2026, 5, 5), date(2026, 5, 6), date(2026, 5, 7)]);
    let record = CalendarRecord::of(&next);
    assert_eq!(record.calendar().as_ref(), Some(&next), "kept whole");
    let adopted = CaseEvent::CalendarAdopted {
        calendar: record,
        at,
    };
    run(&mut cases, |_| Ok(vec![adopted.clone()])).unwrap();
    assert_eq!(cases.calendar(), &next);
    let after = cases.complaint_due(&d.id, at);
    assert_eq!(
        after,
        before + jiff::SignedDuration::from_hours(3 * 24),
        "three working days later"
    );
    // What was due before keeps its time; a case filed now follows the new calendar.
    let e1 = cases.case("E-1").unwrap().step("resolution").unwrap().due;
    run(&mut cases, |c| {
        filing(d, "E-2", Channel::Office, at).decide(c)
    })
    .unwrap();
    assert_eq!(
        cases.case("E-1").unwrap().step("resolution").unwrap().due,
        e1
    );
    // Through the journal's records, the same.
    let records: Vec<(kezek_core::model::Seq, kezek_core::event::Extension)> = [
        kezek_cases::event::CaseEvent::DefinitionsAdopted {
            definitions: Vec::new(),
            at,
        },
        adopted,
    ]
    .iter()
    .enumerate()
    .map(|(i, e)| {
        (
            kezek_core::model::Seq::new(i as u64 + 1),
            kezek_cases::event::to_extension(e).unwrap(),
        )
    })
    .collect();
    let replayed = Cases::from_journal(&records, calendar(), OfficeHours::default()).unwrap();
    assert_eq!(replayed.calendar(), &next);
}
