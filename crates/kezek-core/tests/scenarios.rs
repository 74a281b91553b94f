//! Scenario tests of the rules of `docs/rules.md`, one rule each.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

use jiff::{Span, Timestamp};
use kezek_core::command::admission::NoShow;
use kezek_core::command::claim::DecideClaim;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::lapse::LapseOverdue;
use kezek_core::command::policy::AdoptPolicy;
use kezek_core::command::register::Register;
use kezek_core::command::round::RunRound;
use kezek_core::command::vacancies::OpenVacancies;
use kezek_core::event::{GroupSpec, LapseReason};
use kezek_core::model::{
    AppStatus, ApplicationId, DistrictId, GroupId, Iin, KindergartenId, Language, ReferralId,
    RoundId,
};
use kezek_core::{CommandError, Event, Policy, Refusal, State};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn iin_for(birth: &str, serial: u32) -> String {
    let b: jiff::civil::Date = birth.parse().unwrap();
    (serial..)
        .find_map(|s| Iin::compose(b, false, (s % 10_000) as u16))
        .unwrap()
        .to_string()
}

fn setup(policy: Policy, groups: &[(&str, i16, u32)]) -> State {
    let mut s = State::new(policy);
    let groups = groups
        .iter()
        .map(|(id, age, cap)| GroupSpec {
            group_id: GroupId::parse(id).unwrap(),
            age_years: *age,
            language: Language::Kk,
            capacity: *cap,
            enrolled: *cap,
        })
        .collect();
    s.execute(UpsertKindergarten {
        kindergarten_id: KindergartenId::parse("K1").unwrap(),
        name: "Balapan".into(),
        district: DistrictId::parse("D1").unwrap(),
        labels: kezek_core::event::KindergartenLabels::default(),
        groups,
        academic_year: None,
    })
    .unwrap();
    s
}

fn request(n: u32, category: &str, at: Timestamp) -> Register {
    Register {
        application_id: Some(ApplicationId::parse(&format!("a{n}")).unwrap()),
        round_id: Some(RoundId::parse(&format!("reg{n}")).unwrap()),
        child_iin: iin_for("2022-03-01", n * 7),
        child_name: "Aruzhan".into(),
        birth_date: None,
        applicant_iin: iin_for("1990-01-01", n),
        applicant_name: "Dana".into(),
        representative: None,
        applicant_email: None,
        district: "D1".into(),
        language: "kk".into(),
        preferences: vec!["K1".into()],
        category: Some(category.into()),
        documents: [
            "application_form",
            "applicant_id",
            "benefit_proof",
            "address_proof",
        ]
        .map(String::from)
        .to_vec(),
        channel: "portal".into(),
        claim_verified: false,
        together_with: None,
        at,
    }
}

fn register(s: &mut State, n: u32, category: &str, at: Timestamp) -> Vec<Event> {
    s.execute(request(n, category, at))
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

fn open(s: &mut State, group: &str, seats: u32) {
    s.execute(OpenVacancies {
        kindergarten_id: KindergartenId::parse("K1").unwrap(),
        group_id: GroupId::parse(group).unwrap(),
        seats,
    })
    .unwrap();
}

fn round(s: &mut State, id: &str, at: Timestamp) -> Vec<(String, String)> {
    let out = s
        .execute(RunRound {
            round_id: RoundId::parse(id).unwrap(),
            district: DistrictId::parse("D1").unwrap(),
            academic_year: Some(2026),
            at,
        })
        .unwrap();
    match &out.last().unwrap().1 {
        Event::RoundRun(r) => r
            .referrals
            .iter()
            .map(|x| (x.application_id.to_string(), x.group_id.to_string()))
            .collect(),
        e => panic!("{e:?}"),
    }
}

fn verify(s: &mut State, n: u32) {
    let application_id = ApplicationId::parse(&format!("a{n}")).unwrap();
    s.execute(DecideClaim {
        application_id,
        verified: true,
        reason: "ok".into(),
        at: t("2026-09-02T05:00:00Z"),
    })
    .unwrap();
}

#[test]
fn lowest_group_id_with_a_seat_first() {
    let mut s = setup(Policy::kz_2013(), &[("g-b", 4, 2), ("g-a", 4, 2)]);
    for n in 1..=3 {
        register(
            &mut s,
            n,
            "none",
            t("2026-09-01T06:00:00Z") + Span::new().minutes(i64::from(n)),
        );
    }
    open(&mut s, "g-a", 1);
    open(&mut s, "g-b", 2);
    let got = round(&mut s, "r1", t("2026-09-03T06:00:00Z"));
    assert_eq!(
        got,
        vec![
            ("a1".into(), "g-a".into()),
            ("a2".into(), "g-b".into()),
            ("a3".into(), "g-b".into())
        ]
    );
}

#[test]
fn one_to_three_across_consecutive_rounds() {
    let mut s = setup(Policy::kz_2020(), &[("g", 4, 20)]);
    for n in 1..=10 {
        register(
            &mut s,
            n,
            "large_family",
            t("2026-09-01T06:00:00Z") + Span::new().minutes(i64::from(n)),
        );
        verify(&mut s, n);
    }
    for n in 11..=30 {
        register(
            &mut s,
            n,
            "none",
            t("2026-09-01T06:00:00Z") + Span::new().minutes(i64::from(n)),
        );
    }
    let tiers = |s: &State, got: &[(String, String)]| -> String {
        got.iter()
            .map(|(a, _)| {
                if s.application(
                    s.application_index(&ApplicationId::parse(a).unwrap())
                        .unwrap(),
                )
                .unwrap()
                .category
                .is_some()
                {
                    'P'
                } else {
                    'G'
                }
            })
            .collect()
    };
    open(&mut s, "g", 3);
    let first = round(&mut s, "r1", t("2026-09-03T06:00:00Z"));
    assert_eq!(tiers(&s, &first), "PGG");
    open(&mut s, "g", 6);
    let second = round(&mut s, "r2", t("2026-09-04T06:00:00Z"));
    // The phase persisted: one more general slot, then the pattern again.
    assert_eq!(tiers(&s, &second), "GPGGGP");
}

#[test]
fn a_registration_meeting_a_free_seat_is_referred_at_once() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 1)]);
    open(&mut s, "g", 1);
    let events = register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
    assert!(matches!(&events[1], Event::RoundRun(r) if r.referrals.len() == 1));
    let a = s
        .application_index(&ApplicationId::parse("a1").unwrap())
        .unwrap();
    assert_eq!(s.application(a).unwrap().status, AppStatus::Referred);
    // The next child finds no seat and waits.
    let events = register(&mut s, 2, "none", t("2026-09-01T07:00:00Z"));
    assert_eq!(events.len(), 1);
}

#[test]
fn a_refusal_lists_every_ground() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 1)]);
    let mut r = request(1, "astronaut", t("2026-09-01T06:00:00Z"));
    r.child_iin = "123".into();
    r.applicant_iin = iin_for("1990-01-01", 1).replace('5', "0");
    r.district = "nowhere".into();
    r.language = "en".into();
    r.preferences = vec!["K1".into(), "K9".into(), "K1".into(), "K1".into()];
    r.documents = vec!["application_form".into()];
    r.channel = "fax".into();
    let events: Vec<Event> = s.execute(r).unwrap().into_iter().map(|(_, e)| e).collect();
    let Event::RegistrationRefused { grounds, .. } = &events[0] else {
        panic!()
    };
    let codes: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
    for code in [
        "invalid_iin",
        "unknown_district",
        "unsupported_language",
        "too_many_preferences",
        "unknown_kindergarten",
        "duplicate_preference",
        "unknown_category",
        "documents_incomplete",
        "unknown_channel",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let docs = grounds
        .iter()
        .find(|g| g.code.as_str() == "documents_incomplete")
        .unwrap();
    assert_eq!(docs.missing.len(), 3, "{:?}", docs.missing);
}

#[test]
fn age_and_birth_grounds() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 1)]);
    let mut r = request(1, "none", t("2026-09-01T06:00:00Z"));
    r.child_iin = iin_for("2019-08-01", 5);
    r.birth_date = Some("2019-08-02".into());
    let out = s.execute(r).unwrap();
    let Event::RegistrationRefused { grounds, .. } = &out[0].1 else {
        panic!()
    };
    let codes: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes, ["birth_date_mismatch", "child_too_old"]);
    let mut r = request(2, "none", t("2026-09-01T06:00:00Z"));
    r.child_iin = iin_for("2026-10-01", 5);
    let out = s.execute(r).unwrap();
    let Event::RegistrationRefused { grounds, .. } = &out[0].1 else {
        panic!()
    };
    assert_eq!(grounds[0].code.as_str(), "child_not_born");
}

#[test]
fn one_active_application_per_child() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 1)]);
    register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
    let mut again = request(2, "none", t("2026-09-01T07:00:00Z"));
    again.child_iin = request(1, "none", t("2026-09-01T06:00:00Z")).child_iin;
    let e = s.execute(again).unwrap_err();
    assert_eq!(
        e,
        CommandError::Refused(Refusal::ActiveApplicationExists {
            application_id: ApplicationId::parse("a1").unwrap()
        })
    );
}

#[test]
fn a_lapsed_referral_requeues_at_the_original_time() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 1)]);
    register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
    register(&mut s, 2, "none", t("2026-09-01T07:00:00Z"));
    open(&mut s, "g", 1);
    // Thursday 3 Sept: confirm within 2 working days = by the end of Monday 7 Sept, local time.
    assert_eq!(round(&mut s, "r1", t("2026-09-03T06:00:00Z")).len(), 1);
    let r = s.referral(&ReferralId::parse("r1-1").unwrap()).unwrap();
    assert_eq!(r.expires_at, t("2026-09-07T19:00:00Z"));
    let out = s
        .execute(LapseOverdue {
            at: t("2026-09-07T18:59:59Z"),
        })
        .unwrap();
    assert!(out.is_empty());
    let out = s
        .execute(LapseOverdue {
            at: t("2026-09-07T19:00:00Z"),
        })
        .unwrap();
    assert!(matches!(
        &out[0].1,
        Event::ReferralLapsed {
            reason: LapseReason::NotConfirmed,
            requeue: true,
            ..
        }
    ));
    let a1 = s
        .application_index(&ApplicationId::parse("a1").unwrap())
        .unwrap();
    assert_eq!(s.queue_number(a1), Some(1));
    let k1 = KindergartenId::parse("K1").unwrap();
    assert_eq!(s.kindergarten_by_id(&k1).unwrap().1.groups[0].free(), 1);
}

#[test]
fn an_out_of_turn_privilege_not_confirmed_is_dropped_and_stopped() {
    let mut s = setup(Policy::kz_2020(), &[("g", 4, 1)]);
    register(&mut s, 1, "military", t("2026-09-01T06:00:00Z"));
    verify(&mut s, 1);
    register(&mut s, 2, "none", t("2026-09-01T07:00:00Z"));
    open(&mut s, "g", 1);
    assert_eq!(round(&mut s, "r1", t("2026-09-03T06:00:00Z"))[0].0, "a1");
    // Before the family's deadline (the end of Monday 7 Sept) a no-show is refused: the
    // family may still come.
    let early = s
        .execute(NoShow {
            referral_id: ReferralId::parse("r1-1").unwrap(),
            at: t("2026-09-04T06:00:00Z"),
        })
        .unwrap_err();
    assert!(matches!(
        early,
        CommandError::Refused(Refusal::Conflict {
            code: "deadline_not_passed",
            ..
        })
    ));
    assert_eq!(
        s.referral(&ReferralId::parse("r1-1").unwrap())
            .unwrap()
            .status,
        kezek_core::model::ReferralStatus::Issued,
        "nothing changed"
    );
    s.execute(NoShow {
        referral_id: ReferralId::parse("r1-1").unwrap(),
        at: t("2026-09-08T06:00:00Z"),
    })
    .unwrap();
    let a1 = s
        .application_index(&ApplicationId::parse("a1").unwrap())
        .unwrap();
    assert_eq!(
        usize::from(s.application(a1).unwrap().tier),
        s.policy().general_tier()
    );
    // Stopped for 10 days: the seat goes to the next child.
    assert_eq!(round(&mut s, "r2", t("2026-09-09T06:00:00Z"))[0].0, "a2");
}

#[test]
fn capacity_cannot_drop_below_occupied() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 2)]);
    let groups = vec![GroupSpec {
        group_id: GroupId::parse("g").unwrap(),
        age_years: 4,
        language: Language::Kk,
        capacity: 1,
        enrolled: 0,
    }];
    let e = s
        .execute(UpsertKindergarten {
            kindergarten_id: KindergartenId::parse("K1").unwrap(),
            name: "B".into(),
            district: DistrictId::parse("D1").unwrap(),
            labels: kezek_core::event::KindergartenLabels::default(),
            groups,
            academic_year: None,
        })
        .unwrap_err();
    assert!(matches!(
        e,
        CommandError::Refused(Refusal::Conflict {
            code: "capacity_below_occupied",
            ..
        })
    ));
    let e = s
        .execute(OpenVacancies {
            kindergarten_id: KindergartenId::parse("K1").unwrap(),
            group_id: GroupId::parse("g").unwrap(),
            seats: 3,
        })
        .unwrap_err();
    assert!(matches!(
        e,
        CommandError::Refused(Refusal::Conflict {
            code: "too_many_vacancies",
            ..
        })
    ));
}

#[test]
fn a_registration_whose_round_cannot_run_is_refused_whole() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 2)]);
    open(&mut s, "g", 1);
    round(&mut s, "r1", t("2026-09-01T05:00:00Z"));
    open(&mut s, "g", 1);
    let before = format!("{s:?}");
    // The child meets the free seat, so its cohort's round runs at once — under an id that is
    // taken, or too long for referral ids. Nothing of the registration may stay behind.
    for id in ["r1", "a-round-id-of-thirty-characters"] {
        let mut r = request(1, "none", t("2026-09-01T06:00:00Z"));
        r.round_id = Some(RoundId::parse(id).unwrap());
        let e = s.execute(r).unwrap_err();
        assert!(matches!(e, CommandError::Refused(_)), "{e:?}");
        assert_eq!(
            format!("{s:?}"),
            before,
            "a refused registration changed the state"
        );
    }
    assert_eq!(
        register(&mut s, 1, "none", t("2026-09-01T06:00:00Z")).len(),
        2
    );
}

fn code(r: &Refusal) -> &'static str {
    match r {
        Refusal::Conflict { code, .. } => code,
        Refusal::Invalid(v) => v[0].code,
        other => panic!("{other}"),
    }
}

fn adopt(s: &mut State, text: &str, sha: &str) -> Result<Vec<Event>, Refusal> {
    let cmd = AdoptPolicy {
        text: text.into(),
        sha256: sha.into(),
        at: t("2026-03-01T09:00:00Z"),
    };
    match s.execute(cmd) {
        Ok(events) => Ok(events.into_iter().map(|(_, e)| e).collect()),
        Err(CommandError::Refused(r)) => Err(r),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_policy_takes_over_only_where_the_queues_stay_as_they_are() {
    use kezek_core::policy::{KZ_2013, KZ_2020};
    // Nothing held yet: any policy may take over, and the same one again is refused.
    let mut s = State::new(Policy::kz_2013());
    assert_eq!(s.policy_sha256(), None);
    adopt(&mut s, KZ_2020, "b").unwrap();
    assert_eq!(s.policy().name, "kz-2020");
    assert_eq!(s.policy_sha256(), Some("b"));
    assert_eq!(
        code(&adopt(&mut s, KZ_2020, "b").unwrap_err()),
        "policy_in_force"
    );
    assert_eq!(
        code(&adopt(&mut s, "name = 1", "c").unwrap_err()),
        "invalid_policy"
    );

    // A child queued: other tiers would reorder it; other deadlines and limits are fine.
    let mut s = setup(Policy::kz_2013(), &[("g4", 4, 0)]);
    adopt(&mut s, KZ_2013, "a").unwrap();
    register(&mut s, 1, "large_family", t("2026-02-01T09:00:00Z"));
    let before = format!("{s:?}");
    let r = adopt(&mut s, KZ_2020, "b").unwrap_err();
    assert_eq!(code(&r), "policy_cannot_follow");
    assert_eq!(
        before,
        format!("{s:?}"),
        "a refused adoption changed the state"
    );
    let cutoff = KZ_2013.replace("cutoff = \"09-01\"", "cutoff = \"08-01\"");
    assert_eq!(
        code(&adopt(&mut s, &cutoff, "c").unwrap_err()),
        "policy_cannot_follow"
    );
    let narrow = KZ_2013.replace("max_preferences = 3", "max_preferences = 1");
    let events = adopt(&mut s, &narrow, "d").unwrap();
    assert!(matches!(&events[..], [Event::PolicyAdopted { sha256, .. }] if sha256 == "d"));
    assert_eq!(s.policy().max_preferences, 1);
}

#[test]
fn a_policy_may_admit_unconfirmed_referrals() {
    use kezek_core::command::admission::Enroll;
    for (allow, admitted) in [(false, false), (true, true)] {
        let text = kezek_core::policy::KZ_2013.replace(
            "on_lapse = \"requeue\"",
            &format!("on_lapse = \"requeue\"\nenrol_unconfirmed = {allow}"),
        );
        let mut s = setup(Policy::from_toml(&text).unwrap(), &[("g4", 4, 1)]);
        open(&mut s, "g4", 1);
        // A free seat: the registration is referred at once.
        let events = register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
        let referral = events
            .iter()
            .find_map(|e| match e {
                Event::RoundRun(r) => r.referrals.first().map(|x| x.referral_id.clone()),
                _ => None,
            })
            .expect("referred at once");
        let r = s.execute(Enroll {
            referral_id: referral,
            at: t("2026-09-01T07:00:00Z"),
        });
        match r {
            Ok(_) => assert!(admitted),
            Err(CommandError::Refused(r)) => {
                assert!(!admitted);
                assert_eq!(code(&r), "referral_not_confirmed");
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Why a child is left out, told by the rule: at a kindergarten with no group for its age and
/// language, "no group"; at one whose group has no free seat, "no free seats"; at one whose
/// free seats go to children ahead, "taken by ahead" — and after the round, the children
/// the round referred there instead.
#[test]
fn why_a_child_is_left_out_follows_the_round() {
    use kezek_core::allocation::why::Reason;
    let mut s = setup(Policy::kz_2013(), &[("g4", 4, 1)]);
    s.execute(UpsertKindergarten {
        kindergarten_id: KindergartenId::parse("K2").unwrap(),
        name: "Aigolek".into(),
        district: DistrictId::parse("D1").unwrap(),
        labels: kezek_core::event::KindergartenLabels::default(),
        groups: vec![GroupSpec {
            group_id: GroupId::parse("g3").unwrap(),
            age_years: 3,
            language: Language::Kk,
            capacity: 5,
            enrolled: 0,
        }],
        academic_year: None,
    })
    .unwrap();
    for n in 1..=2 {
        let mut r = request(
            n,
            "large_family",
            t("2026-09-01T06:00:00Z") + Span::new().minutes(i64::from(n)),
        );
        r.category = None;
        r.documents.retain(|d| d != "benefit_proof");
        r.preferences = vec!["K1".into(), "K2".into()];
        s.execute(r).unwrap();
    }
    let second = s
        .application_index(&ApplicationId::parse("a2").unwrap())
        .unwrap();
    let reasons = |s: &State| -> Vec<Reason> {
        s.why_not_referred(second, 2026)
            .iter()
            .map(|c| c.reason)
            .collect()
    };
    assert_eq!(reasons(&s), [Reason::NoFreeSeats, Reason::NoGroup]);
    open(&mut s, "g4", 1);
    assert_eq!(reasons(&s), [Reason::TakenByAhead, Reason::NoGroup]);
    assert_eq!(
        round(&mut s, "r1", t("2026-09-03T06:00:00Z")),
        [("a1".to_owned(), "g4".to_owned())]
    );
    let ran = s.round(&RoundId::parse("r1").unwrap()).unwrap().clone();
    assert!(s.took_part(second, &ran));
    let after = s.why_not_referred_in(second, &ran);
    assert_eq!(after[0].reason, Reason::TakenByAhead);
    assert_eq!(after[0].taken_by, [ApplicationId::parse("a1").unwrap()]);
    assert_eq!(
        after[1].reason,
        Reason::NoFreeSeats,
        "K2 has no group of 4-year-olds"
    );
    assert!(after[1].taken_by.is_empty());
}

#[test]
fn a_no_show_waits_for_the_familys_deadline_and_the_kindergarten_has_a_day_to_record() {
    use kezek_core::command::admission::Enroll;
    use kezek_core::command::referral::Confirm;
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 3)]);
    for n in 1..=3 {
        register(&mut s, n, "none", t("2026-09-01T06:00:00Z"));
    }
    open(&mut s, "g", 3);
    // Thursday 3 Sept: three referrals; the families confirm on Friday.
    assert_eq!(round(&mut s, "r1", t("2026-09-03T06:00:00Z")).len(), 3);
    let id = |n: u32| ReferralId::parse(&format!("r1-{n}")).unwrap();
    for n in 1..=3 {
        s.execute(Confirm {
            referral_id: id(n),
            at: t("2026-09-04T06:00:00Z"),
        })
        .unwrap();
    }
    // Five working days to come: by the end of Friday 11 Sept, local time (UTC+5).
    let deadline = s.referral(&id(1)).unwrap().expires_at;
    assert_eq!(deadline, t("2026-09-11T19:00:00Z"));
    let hour = Span::new().hours(1);
    // The family still has time: a no-show is refused, nothing changes.
    let early = s
        .execute(NoShow {
            referral_id: id(1),
            at: deadline.checked_sub(hour).unwrap(),
        })
        .unwrap_err();
    assert!(matches!(
        early,
        CommandError::Refused(Refusal::Conflict {
            code: "deadline_not_passed",
            ..
        })
    ));
    // The deadline passes: the kindergarten has the next working day (Monday 14 Sept) to
    // record what happened by then; nothing lapses meanwhile.
    assert!(s
        .execute(LapseOverdue {
            at: deadline.checked_add(hour).unwrap()
        })
        .unwrap()
        .is_empty());
    let out = s
        .execute(NoShow {
            referral_id: id(1),
            at: deadline.checked_add(hour).unwrap(),
        })
        .unwrap();
    assert!(matches!(
        &out[0].1,
        Event::ReferralLapsed {
            reason: LapseReason::NoShow,
            ..
        }
    ));
    s.execute(Enroll {
        referral_id: id(2),
        at: t("2026-09-14T05:00:00Z"),
    })
    .unwrap();
    // Nobody recorded the third: it lapses when Monday ends, as not used in time.
    let recorded_by = t("2026-09-14T19:00:00Z");
    assert_eq!(s.next_deadline(), Some(recorded_by));
    assert!(s
        .execute(LapseOverdue {
            at: recorded_by.checked_sub(Span::new().seconds(1)).unwrap()
        })
        .unwrap()
        .is_empty());
    let out = s.execute(LapseOverdue { at: recorded_by }).unwrap();
    assert!(matches!(
        &out[0].1,
        Event::ReferralLapsed {
            reason: LapseReason::NotEnrolled,
            ..
        }
    ));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn a_child_who_leaves_frees_its_seat_by_name_and_only_unnamed_seats_open_as_a_count() {
    use kezek_core::command::admission::Enroll;
    use kezek_core::command::leave::Leave;
    use kezek_core::command::referral::Confirm;
    use kezek_core::model::LeaveReason;
    // One group of 4-year-olds, 2 seats, both taken before Kezek.
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 2)]);
    for n in 1..=3 {
        register(&mut s, n, "none", t("2026-09-01T06:00:00Z"));
    }
    open(&mut s, "g", 2);
    assert_eq!(round(&mut s, "r1", t("2026-09-03T06:00:00Z")).len(), 2);
    for n in 1..=2 {
        let referral_id = ReferralId::parse(&format!("r1-{n}")).unwrap();
        s.execute(Confirm {
            referral_id: referral_id.clone(),
            at: t("2026-09-04T06:00:00Z"),
        })
        .unwrap();
        s.execute(Enroll {
            referral_id,
            at: t("2026-09-07T06:00:00Z"),
        })
        .unwrap();
    }
    let k1 = KindergartenId::parse("K1").unwrap();
    let (_, kg) = s.kindergarten_by_id(&k1).unwrap();
    let g = GroupId::parse("g").unwrap();
    assert_eq!(kg.group(&g).unwrap().children.len(), 2);
    // Both seats are named children's now: a bare count cannot free them.
    let bare = s
        .execute(OpenVacancies {
            kindergarten_id: k1.clone(),
            group_id: g.clone(),
            seats: 1,
        })
        .unwrap_err();
    assert!(matches!(
        bare,
        CommandError::Refused(Refusal::Conflict {
            code: "children_are_named",
            ..
        })
    ));
    let leave = |n: u32, day: &str, at: &str| Leave {
        application_id: ApplicationId::parse(&format!("a{n}")).unwrap(),
        kindergarten_id: k1.clone(),
        date: day.parse().unwrap(),
        reason: LeaveReason::Moved,
        at: t(at),
    };
    let refused = |r: Result<_, CommandError>| match r {
        Err(CommandError::Refused(Refusal::Conflict { code, .. })) => code,
        Err(CommandError::Refused(Refusal::Invalid(v))) => v[0].code,
        other => panic!("{other:?}"),
    };
    // Not yet: a day in the future; before the admission; a child who is not enrolled.
    assert_eq!(
        refused(s.execute(leave(1, "2026-10-02", "2026-10-01T06:00:00Z"))),
        "date_in_future"
    );
    assert_eq!(
        refused(s.execute(leave(1, "2026-09-01", "2026-10-01T06:00:00Z"))),
        "before_admission"
    );
    assert_eq!(
        refused(s.execute(leave(3, "2026-10-01", "2026-10-01T06:00:00Z"))),
        "not_enrolled"
    );
    let out = s
        .execute(leave(1, "2026-09-30", "2026-10-01T06:00:00Z"))
        .unwrap();
    match &out[0].1 {
        Event::ChildLeft {
            application_id,
            group_id,
            ..
        } => assert_eq!((application_id.as_str(), group_id.as_str()), ("a1", "g")),
        e => panic!("{e:?}"),
    }
    let a1 = s
        .application_by_id(&ApplicationId::parse("a1").unwrap())
        .unwrap()
        .1;
    assert_eq!(a1.status, AppStatus::Left);
    assert!(!a1.status.is_active(), "the child may apply again");
    let group = s.kindergarten_by_id(&k1).unwrap().1.group(&g).unwrap();
    assert_eq!((group.enrolled, group.free()), (1, 1));
    // The freed seat goes to the next child in the queue at the next round.
    assert_eq!(
        round(&mut s, "r2", t("2026-10-01T07:00:00Z")),
        [("a3".to_owned(), "g".to_owned())]
    );
    // Left is left: not twice.
    assert_eq!(
        refused(s.execute(leave(1, "2026-09-30", "2026-10-01T08:00:00Z"))),
        "not_enrolled"
    );
}

#[test]
fn the_roll_over_moves_groups_up_and_sends_the_oldest_to_school_once_a_year() {
    use kezek_core::command::admission::Enroll;
    use kezek_core::command::leave::RollOver;
    use kezek_core::command::referral::Confirm;
    // kz-2013: a child of 7 leaves the queue; the 6-year-olds go to school next.
    let mut s = setup(Policy::kz_2013(), &[("a", 3, 2), ("b", 6, 3)]);
    // One 6-year-old enrolled through Kezek in b, beside two enrolled before it.
    let mut req = request(1, "none", t("2026-09-01T06:00:00Z"));
    req.child_iin = iin_for("2020-03-01", 11);
    s.execute(req).unwrap();
    open(&mut s, "b", 1);
    assert_eq!(round(&mut s, "r1", t("2026-09-03T06:00:00Z")).len(), 1);
    let referral_id = ReferralId::parse("r1-1").unwrap();
    s.execute(Confirm {
        referral_id: referral_id.clone(),
        at: t("2026-09-04T06:00:00Z"),
    })
    .unwrap();
    s.execute(Enroll {
        referral_id,
        at: t("2026-09-07T06:00:00Z"),
    })
    .unwrap();
    let k1 = KindergartenId::parse("K1").unwrap();
    let roll = |year: i16, at: &str| RollOver {
        kindergarten_id: k1.clone(),
        academic_year: year,
        at: t(at),
    };
    // Not before the year has begun (the cut-off is 1 September).
    let early = s.execute(roll(2027, "2027-08-20T06:00:00Z")).unwrap_err();
    assert!(
        matches!(early, CommandError::Refused(Refusal::Invalid(ref v)) if v[0].code == "not_this_academic_year"),
        "{early:?}"
    );
    let out = s.execute(roll(2027, "2027-09-01T06:00:00Z")).unwrap();
    match &out[0].1 {
        Event::GroupsRolledOver {
            groups, leavers, ..
        } => {
            assert_eq!(leavers.len(), 1, "the named child leaves for school");
            let b = groups.iter().find(|g| g.group_id.as_str() == "b").unwrap();
            assert_eq!((b.age_years, b.released), (3, 2), "b takes the youngest");
            let a = groups.iter().find(|g| g.group_id.as_str() == "a").unwrap();
            assert_eq!(
                (a.age_years, a.released),
                (4, 0),
                "a moves up with its children"
            );
        }
        e => panic!("{e:?}"),
    }
    let kg = s.kindergarten_by_id(&k1).unwrap().1;
    let b = kg.group(&GroupId::parse("b").unwrap()).unwrap();
    assert_eq!((b.age_years, b.enrolled, b.free()), (3, 0, 3));
    let a = kg.group(&GroupId::parse("a").unwrap()).unwrap();
    assert_eq!((a.age_years, a.enrolled), (4, 2));
    let a1 = s
        .application_by_id(&ApplicationId::parse("a1").unwrap())
        .unwrap()
        .1;
    assert_eq!(a1.status, AppStatus::Left);
    // Once a year.
    let again = s.execute(roll(2027, "2027-09-02T06:00:00Z")).unwrap_err();
    assert!(
        matches!(
            again,
            CommandError::Refused(Refusal::Conflict {
                code: "rolled_over_already",
                ..
            })
        ),
        "{again:?}"
    );
}

#[test]
fn a_correction_moves_the_child_to_its_new_district_at_its_original_time() {
    use kezek_core::command::correction::{ClaimLate, Correct};
    let mut s = setup(Policy::kz_2013(), &[("g4", 4, 1)]);
    s.execute(UpsertKindergarten {
        kindergarten_id: KindergartenId::parse("K2").unwrap(),
        name: "Aigolek".into(),
        district: DistrictId::parse("D2").unwrap(),
        labels: kezek_core::event::KindergartenLabels::default(),
        groups: vec![GroupSpec {
            group_id: GroupId::parse("g4").unwrap(),
            age_years: 4,
            language: Language::Kk,
            capacity: 1,
            enrolled: 1,
        }],
        academic_year: None,
    })
    .unwrap();
    register(&mut s, 1, "none", t("2026-09-02T05:00:00Z"));
    register(&mut s, 2, "none", t("2026-09-03T05:00:00Z"));
    // A child of D2 registered later than both.
    let mut late = request(3, "none", t("2026-09-04T05:00:00Z"));
    late.district = "D2".into();
    late.preferences = vec!["K2".into()];
    s.execute(late).unwrap();
    let a1 = ApplicationId::parse("a1").unwrap();
    let correct = |district: Option<(&str, &str)>, name: Option<&str>| Correct {
        application_id: a1.clone(),
        child_name: name.map(str::to_owned),
        applicant_name: None,
        representative: None,
        representative_removed: false,
        district: district.map(|(d, k)| (d.to_owned(), vec![k.to_owned()])),
        reason: "address certificate No 12".into(),
        at: t("2026-09-10T05:00:00Z"),
    };
    // Kindergartens of another district, nothing to correct, a bad name: refused.
    for bad in [
        correct(Some(("D2", "K1")), None),
        correct(None, None),
        correct(None, Some("\u{202e}x")),
    ] {
        assert!(matches!(s.execute(bad), Err(CommandError::Refused(_))));
    }
    s.execute(correct(Some(("D2", "K2")), Some("Aruzhan Serikovna")))
        .unwrap();
    let (a, app) = s.application_by_id(&a1).unwrap();
    assert_eq!(&*app.child_name, "Aruzhan Serikovna");
    assert_eq!(s.district(app.district).unwrap().id.as_str(), "D2");
    assert_eq!(
        app.registered_at,
        t("2026-09-02T05:00:00Z"),
        "its time stays"
    );
    assert_eq!(
        s.queue_number(a),
        Some(1),
        "first in D2: registered before a3"
    );
    // The weekly figures count its registration in its new district, at its original day.
    let weeks = |d: &str| {
        let d = s.district_index(&DistrictId::parse(d).unwrap()).unwrap();
        s.district_weeks(d, t("2026-09-10T06:00:00Z"), 2)
            .iter()
            .map(|w| w.registrations)
            .sum::<u64>()
    };
    assert_eq!((weeks("D1"), weeks("D2")), (1, 2));
    let a2 = s
        .application_by_id(&ApplicationId::parse("a2").unwrap())
        .unwrap()
        .0;
    assert_eq!(s.queue_number(a2), Some(1), "D1's queue moved up");
    let a3 = s
        .application_by_id(&ApplicationId::parse("a3").unwrap())
        .unwrap()
        .0;
    assert_eq!(s.queue_number(a3), Some(2));

    // A late claim: pending it does not count (kz-2013); verified, a3 moves ahead in D2.
    let claim = |id: &str, docs: &[&str]| ClaimLate {
        application_id: ApplicationId::parse(id).unwrap(),
        category: "large_family".into(),
        documents: docs.iter().map(|d| (*d).to_owned()).collect(),
        at: t("2026-09-11T05:00:00Z"),
    };
    assert!(matches!(
        s.execute(claim("a3", &["application_form"])),
        Err(CommandError::Refused(_))
    ));
    s.execute(claim("a3", &["benefit_proof"])).unwrap();
    assert_eq!(s.claimed_at(a3), Some(t("2026-09-11T05:00:00Z")));
    assert_eq!(
        s.queue_number(a3),
        Some(2),
        "a pending claim does not count"
    );
    assert!(
        matches!(
            s.execute(claim("a3", &["benefit_proof"])),
            Err(CommandError::Refused(_))
        ),
        "one claim at a time"
    );
    verify(&mut s, 3);
    assert_eq!(
        s.queue_number(a3),
        Some(1),
        "verified: its tier, at its original time"
    );
    assert_eq!(s.queue_number(a), Some(2));
}

/// Twins registered jointly go to one kindergarten in one round or not at all, considered
/// where the later of them stands: a child registered between them is served first, and a
/// single seat goes on to the child after them.
#[test]
fn twins_go_together_or_not_at_all_and_overtake_nobody() {
    let mut s = setup(Policy::kz_2013(), &[("g", 4, 5)]);
    register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
    register(&mut s, 2, "none", t("2026-09-01T07:00:00Z"));
    let mut twin = request(3, "none", t("2026-09-01T08:00:00Z"));
    twin.together_with = Some("a1".into());
    s.execute(twin).unwrap();
    register(&mut s, 4, "none", t("2026-09-01T09:00:00Z"));
    let a = |n: u32| {
        s.application_index(&ApplicationId::parse(&format!("a{n}")).unwrap())
            .unwrap()
    };
    assert_eq!(s.partner(a(1)), Some(a(3)));
    assert_eq!(s.partner(a(3)), Some(a(1)));
    // Two seats: a2 comes before the later twin and takes one; one is too few for the twins,
    // so a4 takes it.
    open(&mut s, "g", 2);
    let got = round(&mut s, "r1", t("2026-09-03T06:00:00Z"));
    let ids: Vec<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(ids, ["a2", "a4"]);
    // Two more: both twins, the earlier first.
    open(&mut s, "g", 2);
    let got = round(&mut s, "r2", t("2026-09-03T07:00:00Z"));
    let ids: Vec<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(ids, ["a1", "a3"]);
    // A sibling of a child no longer waiting, or in another queue, is refused, naming why.
    let mut late = request(5, "none", t("2026-09-04T06:00:00Z"));
    late.together_with = Some("a1".into());
    let out = s.execute(late).unwrap();
    match &out[0].1 {
        Event::RegistrationRefused { grounds, .. } => {
            assert_eq!(grounds[0].field, "together_with");
            assert_eq!(grounds[0].code.as_str(), "partner_not_queued");
        }
        e => panic!("{e:?}"),
    }
    let mut unknown = request(6, "none", t("2026-09-04T06:00:00Z"));
    unknown.together_with = Some("nobody".into());
    let out = s.execute(unknown).unwrap();
    assert!(
        matches!(&out[0].1, Event::RegistrationRefused { grounds, .. }
        if grounds[0].code.as_str() == "unknown_partner")
    );
}

/// A twin registered jointly meets free seats: the registration's own round refers it and
/// its waiting sibling together when two are free, and neither when one is.
#[test]
fn a_twin_registered_when_seats_are_free_goes_with_its_sibling_or_waits() {
    for (seats, referred) in [(1, Vec::<&str>::new()), (2, vec!["a1", "a2"])] {
        let mut s = setup(Policy::kz_2013(), &[("g", 4, 2)]);
        register(&mut s, 1, "none", t("2026-09-01T06:00:00Z"));
        open(&mut s, "g", seats);
        let mut twin = request(2, "none", t("2026-09-01T07:00:00Z"));
        twin.together_with = Some("a1".into());
        let out = s.execute(twin).unwrap();
        let got: Vec<String> = out
            .iter()
            .filter_map(|(_, e)| match e {
                Event::RoundRun(r) => {
                    Some(r.referrals.iter().map(|x| x.application_id.to_string()))
                }
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(got, referred, "{seats} seats");
    }
}

/// With sibling priority, a child whose brother or sister is enrolled at a kindergarten goes
/// ahead of the rest of its tier there: a child registered earlier waits for the next seat.
/// A policy with two interleaved tiers cannot have it.
#[test]
fn a_sibling_goes_ahead_of_its_tier_at_its_brothers_kindergarten() {
    use kezek_core::command::admission::Enroll;
    use kezek_core::command::referral::Confirm;
    let text = format!(
        "{}\n[siblings]\npriority = true\n",
        Policy::kz_2013().source()
    );
    let policy = Policy::from_toml(&text).unwrap();
    let interleaved = format!(
        "{}\n[siblings]\npriority = true\n",
        Policy::kz_2020().source()
    );
    let refused = Policy::from_toml(&interleaved).unwrap_err();
    assert!(
        refused.to_string().contains("siblings.priority"),
        "{refused}"
    );

    let mut s = setup(policy, &[("g", 4, 3)]);
    let family = iin_for("1985-05-05", 1);
    let mut older = request(1, "none", t("2026-09-01T06:00:00Z"));
    older.applicant_iin.clone_from(&family);
    s.execute(older).unwrap();
    open(&mut s, "g", 1);
    assert_eq!(round(&mut s, "r1", t("2026-09-02T06:00:00Z")).len(), 1);
    let r1 = ReferralId::parse("r1-1").unwrap();
    s.execute(Confirm {
        referral_id: r1.clone(),
        at: t("2026-09-02T07:00:00Z"),
    })
    .unwrap();
    s.execute(Enroll {
        referral_id: r1,
        at: t("2026-09-02T08:00:00Z"),
    })
    .unwrap();
    // Another family's child first, then the brother.
    register(&mut s, 2, "none", t("2026-09-03T06:00:00Z"));
    let mut brother = request(3, "none", t("2026-09-03T07:00:00Z"));
    brother.applicant_iin = family;
    s.execute(brother).unwrap();
    open(&mut s, "g", 1);
    let got = round(&mut s, "r2", t("2026-09-04T06:00:00Z"));
    assert_eq!(got[0].0, "a3");
    open(&mut s, "g", 1);
    let got = round(&mut s, "r3", t("2026-09-04T07:00:00Z"));
    assert_eq!(got[0].0, "a2");
}

#[test]
fn a_round_that_passes_a_child_over_says_so_in_its_certificate() {
    // Two children wait for K1's one seat; a round decided by the rules refers the first,
    // and its certificate gives the cut-off 1 and lists nobody.
    let mut s = setup(Policy::kz_2013(), &[("g4", 4, 2)]);
    register(&mut s, 1, "orphan", t("2026-08-01T05:00:00Z"));
    register(&mut s, 2, "orphan", t("2026-08-02T05:00:00Z"));
    let mut forged = s.clone();
    open(&mut s, "g4", 1);
    assert_eq!(
        round(&mut s, "r1", t("2026-09-01T05:00:00Z")),
        [("a1".to_owned(), "g4".to_owned())]
    );
    let c = s.round_certificates().last().unwrap();
    assert_eq!(
        (
            c.groups[0].referred,
            c.groups[0].cutoff,
            c.groups[0].seats_left
        ),
        (1, 1, 0)
    );
    assert_eq!((c.passed_over, c.envy.len()), (1, 0));
    // The same round with the seat given to the second child (a journal written by hand):
    // it applies, and its certificate names the first child, passed over.
    open(&mut forged, "g4", 1);
    let mut record = s.rounds().last().unwrap().clone();
    record.referrals[0].application_id = ApplicationId::parse("a2").unwrap();
    let seq = forged.last_seq().next();
    forged
        .apply(seq, &Event::RoundRun(Box::new(record)))
        .unwrap();
    let c = forged.round_certificates().last().unwrap();
    assert_eq!(c.groups[0].cutoff, 2);
    assert_eq!(c.envy, [ApplicationId::parse("a1").unwrap()]);
}
