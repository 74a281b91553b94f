//! Property tests: random sequences of registrations, withdrawals, claim decisions,
//! preference changes, vacancies, rounds and referral answers, under both policies. After
//! every step the fast indexes must equal the naive model; every round must equal the naive
//! allocation (and, under kz-2013, deferred acceptance); seats and referrals must stay
//! consistent; and replaying the events from empty must rebuild the same state. Probes of
//! every command with random, often invalid, arguments check that a refused command changes
//! nothing at all.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

mod model;

use jiff::{Span, Timestamp};
use kezek_core::command::admission::{Enrol, NoShow};
use kezek_core::command::age_out::AgeOut;
use kezek_core::command::claim::DecideClaim;
use kezek_core::command::import::Import;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::lapse::LapseOverdue;
use kezek_core::command::preferences::ChangePreferences;
use kezek_core::command::referral::{Confirm, Decline, Extend};
use kezek_core::command::register::Register;
use kezek_core::command::round::RunRound;
use kezek_core::command::vacancies::OpenVacancies;
use kezek_core::command::withdraw::Withdraw;
use kezek_core::dataset::ApplicationRow;
use kezek_core::event::GroupSpec;
use kezek_core::model::{
    AppIx, AppStatus, ApplicationId, Category, DistrictId, DistrictIx, GroupId, Iin, KgIx,
    KindergartenId, Language, ReferralId, ReferralStatus, RoundId, Seq,
};
use kezek_core::{Command, CommandError, Event, Policy, State};
use proptest::prelude::*;
use std::collections::BTreeSet;

const YEAR: i16 = 2026;
const KGS: u8 = 4;

#[derive(Debug, Clone)]
enum Op {
    Register {
        cohort: i16,
        ru: bool,
        prefs: Vec<u8>,
        cat: u8,
        import_back: Option<u32>,
    },
    Withdraw(u16),
    Decide(u16, bool),
    Prefs(u16, Vec<u8>),
    Vacancy(u8, u8, u8),
    Round,
    Confirm(u16),
    Decline(u16),
    Enrol(u16),
    NoShow(u16),
    Lapse,
    Advance(u16),
}

fn prefs() -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::subsequence((0..KGS).collect::<Vec<_>>(), 1..=3).prop_shuffle()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (2021i16..=2024, any::<bool>(), prefs(), 0u8..4, proptest::option::of(0u32..5_000_000))
            .prop_map(|(cohort, ru, prefs, cat, import_back)| Op::Register { cohort, ru, prefs, cat, import_back }),
        1 => any::<u16>().prop_map(Op::Withdraw),
        2 => (any::<u16>(), any::<bool>()).prop_map(|(a, v)| Op::Decide(a, v)),
        1 => (any::<u16>(), prefs()).prop_map(|(a, p)| Op::Prefs(a, p)),
        3 => (0..KGS, 0u8..9, 1u8..3).prop_map(|(k, g, n)| Op::Vacancy(k, g, n)),
        2 => Just(Op::Round),
        2 => any::<u16>().prop_map(Op::Confirm),
        1 => any::<u16>().prop_map(Op::Decline),
        1 => any::<u16>().prop_map(Op::Enrol),
        1 => any::<u16>().prop_map(Op::NoShow),
        1 => Just(Op::Lapse),
        1 => (1u16..200).prop_map(Op::Advance),
    ]
}

/// Groups of every kindergarten: ages 2–5 in kk and ru, and a second kk group of age 3.
fn groups() -> Vec<(String, i16, Language)> {
    let mut g = Vec::new();
    for age in 2..=5 {
        g.push((format!("g{age}kk"), age, Language::Kk));
        g.push((format!("g{age}ru"), age, Language::Ru));
    }
    g.push(("g3kk2".into(), 3, Language::Kk));
    g
}

struct World {
    state: State,
    events: Vec<(Seq, Event)>,
    now: Timestamp,
    serial: u32,
    rounds: u32,
    policy: Policy,
}

impl World {
    fn new(policy: Policy) -> Self {
        let mut w = World {
            state: State::new(policy.clone()),
            events: Vec::new(),
            now: "2026-09-10T04:00:00Z".parse().unwrap(),
            serial: 0,
            rounds: 0,
            policy,
        };
        for k in 0..KGS {
            let groups = groups()
                .into_iter()
                .map(|(id, age, language)| GroupSpec {
                    group_id: GroupId::parse(&id).unwrap(),
                    age_years: age,
                    language,
                    capacity: 3,
                    enrolled: 3,
                })
                .collect();
            let cmd = UpsertKindergarten {
                kindergarten_id: kg(k),
                name: format!("Kindergarten {k}"),
                district: DistrictId::parse("D1").unwrap(),
                groups,
            };
            w.run(cmd);
        }
        w
    }

    fn run(&mut self, cmd: impl Into<Command>) -> Option<Vec<Event>> {
        let out = self.state.execute(cmd).ok()?;
        self.events.extend(out.iter().cloned());
        Some(out.into_iter().map(|(_, e)| e).collect())
    }

    fn iin(&mut self, cohort: i16) -> String {
        loop {
            self.serial += 1;
            let birth = jiff::civil::date(cohort - 1, 9, 2)
                .checked_add(Span::new().days(i64::from(self.serial % 360)))
                .unwrap();
            if let Some(iin) = Iin::compose(birth, false, (self.serial % 10_000) as u16) {
                return iin.to_string();
            }
        }
    }

    fn categories(&self) -> [&'static str; 4] {
        if self.policy.name == "kz-2013" {
            ["none", "large_family", "orphan", "veteran_equated"]
        } else {
            ["none", "large_family", "military", "special_needs"]
        }
    }

    fn app(&self, n: u16) -> Option<ApplicationId> {
        let len = self.state.application_count();
        let i = n as usize % len.max(1);
        self.state.applications().nth(i).map(|(_, a)| a.id.clone())
    }

    fn referral(&self, n: u16) -> Option<ReferralId> {
        let len = self.state.referral_count();
        let i = n as usize % len.max(1);
        self.state.referrals().nth(i).map(|(_, r)| r.id.clone())
    }

    fn next_round(&mut self) -> RoundId {
        self.rounds += 1;
        RoundId::parse(&format!("r{}", self.rounds)).unwrap()
    }

    fn step(&mut self, op: Op) {
        let at = self.now;
        match op {
            Op::Register {
                cohort,
                ru,
                prefs,
                cat,
                import_back,
            } => {
                let iin = self.iin(cohort);
                let language = if ru { "ru" } else { "kk" };
                let category = self.categories()[cat as usize];
                let id = ApplicationId::parse(&format!("a{}", self.serial)).unwrap();
                let cmd: Command = if let Some(back) = import_back {
                    let child_iin = Iin::parse(&iin).unwrap();
                    let registered_at = at
                        .checked_sub(Span::new().seconds(i64::from(back)))
                        .unwrap();
                    Command::from(Import {
                        row: ApplicationRow {
                            line: 2,
                            application_id: id,
                            child_iin,
                            birth_date: child_iin.birth_date(),
                            registered_at,
                            district: DistrictId::parse("D1").unwrap(),
                            language: Language::parse(language).unwrap(),
                            category: Category::parse(category).filter(|c| c.as_str() != "none"),
                            preferences: prefs.iter().map(|k| kg(*k)).collect(),
                        },
                    })
                } else {
                    let round_id = Some(self.next_round());
                    Command::from(Register {
                        application_id: Some(id),
                        round_id,
                        child_iin: iin,
                        child_name: "Child".into(),
                        birth_date: None,
                        applicant_iin: "880101300123".into(),
                        applicant_name: "Parent".into(),
                        representative: None,
                        district: "D1".into(),
                        language: language.into(),
                        preferences: prefs.iter().map(|k| kg(*k).to_string()).collect(),
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
                        at,
                    })
                };
                self.run(cmd);
            }
            Op::Withdraw(n) => {
                if let Some(application_id) = self.app(n) {
                    self.run(Withdraw { application_id, at });
                }
            }
            Op::Decide(n, verified) => {
                if let Some(application_id) = self.app(n) {
                    self.run(DecideClaim {
                        application_id,
                        verified,
                        reason: "checked".into(),
                        at,
                    });
                }
            }
            Op::Prefs(n, p) => {
                if let Some(application_id) = self.app(n) {
                    self.run(ChangePreferences {
                        application_id,
                        preferences: p.iter().map(|k| kg(*k).to_string()).collect(),
                        at,
                    });
                }
            }
            Op::Vacancy(k, g, seats) => {
                let group_id = GroupId::parse(&groups()[g as usize % groups().len()].0).unwrap();
                self.run(OpenVacancies {
                    kindergarten_id: kg(k),
                    group_id,
                    seats: u32::from(seats),
                });
            }
            Op::Round => self.round(at),
            Op::Confirm(n) => {
                if let Some(referral_id) = self.referral(n) {
                    self.run(Confirm { referral_id, at });
                }
            }
            Op::Decline(n) => {
                if let Some(referral_id) = self.referral(n) {
                    self.run(Decline { referral_id, at });
                }
            }
            Op::Enrol(n) => {
                if let Some(referral_id) = self.referral(n) {
                    self.run(Enrol { referral_id, at });
                }
            }
            Op::NoShow(n) => {
                if let Some(referral_id) = self.referral(n) {
                    self.run(NoShow { referral_id, at });
                }
            }
            Op::Lapse => {
                self.run(LapseOverdue { at });
            }
            Op::Advance(h) => self.now = at.checked_add(Span::new().hours(i64::from(h))).unwrap(),
        }
        self.now = self.now.checked_add(Span::new().seconds(1)).unwrap();
    }

    fn round(&mut self, at: Timestamp) {
        let s = &self.state;
        let (picks, phases) = model::allocate(s, d1(s), YEAR, at);
        let da = model::deferred_acceptance(s, d1(s), YEAR, at);
        let before_order = full_order(s);
        let round_id = self.next_round();
        let events = self
            .run(RunRound {
                round_id,
                district: DistrictId::parse("D1").unwrap(),
                academic_year: Some(YEAR),
                at,
            })
            .unwrap();
        let Some(Event::RoundRun(record)) = events.last() else {
            panic!("no round")
        };
        let s = &self.state;
        let got: Vec<(AppIx, KgIx, usize)> = record
            .referrals
            .iter()
            .map(|r| {
                let a = s.application_index(&r.application_id).unwrap();
                let k = s.kindergarten_index(&r.kindergarten_id).unwrap();
                let gi = s
                    .kindergarten(k)
                    .unwrap()
                    .groups
                    .iter()
                    .position(|g| g.id == r.group_id)
                    .unwrap();
                (a, k, gi)
            })
            .collect();
        assert_eq!(got, picks, "round differs from the naive walk");
        let got_phases: Vec<_> = record
            .phases
            .iter()
            .map(|p| (p.cohort, p.language, p.block, p.phase))
            .collect();
        assert_eq!(got_phases, phases);
        if self.policy.name == "kz-2013" {
            assert_eq!(
                got.iter().copied().collect::<BTreeSet<_>>(),
                da,
                "round differs from deferred acceptance"
            );
        }
        // Nobody is skipped for a seat they could use in favour of someone behind them.
        for (i, a) in s.applications() {
            if a.status != AppStatus::Queued || a.stopped_until.is_some_and(|t| t > at) {
                continue;
            }
            let usable = model::usable(s, i, YEAR);
            for (k, gi) in &usable {
                assert_eq!(
                    s.kindergarten(*k).unwrap().groups[*gi].free(),
                    0,
                    "a usable seat was left free"
                );
            }
            for (y, k, gi) in &got {
                if usable.contains(&(*k, *gi)) {
                    let (ya, xa) = (s.application(*y).unwrap(), a);
                    let strict_ahead = before_order.iter().position(|x| x == y)
                        < before_order.iter().position(|x| *x == i);
                    let same_tier_ahead = ya.tier == xa.tier
                        && (ya.registered_at, ya.seq) < (xa.registered_at, xa.seq);
                    let other_tier = ya.tier != xa.tier;
                    assert!(
                        strict_ahead
                            || same_tier_ahead
                            || (other_tier && self.policy.name != "kz-2013"),
                        "skipped for someone behind"
                    );
                }
            }
        }
    }
}

fn kg(k: u8) -> KindergartenId {
    KindergartenId::parse(&format!("K{k}")).unwrap()
}

/// The district of the tests.
fn d1(s: &State) -> DistrictIx {
    s.district_index(&DistrictId::parse("D1").unwrap()).unwrap()
}

fn full_order(s: &State) -> Vec<AppIx> {
    let mut out = Vec::new();
    for cohort in 2021..=2024 {
        for lang in [Language::Kk, Language::Ru] {
            let tiers = model::tiers_of(s, d1(s), cohort, lang);
            out.extend(model::merged(s.policy(), &tiers, |b| {
                s.phase(d1(s), cohort, lang, b)
            }));
        }
    }
    out
}

fn check_queue(s: &State) {
    for cohort in 2021..=2024 {
        for lang in [Language::Kk, Language::Ru] {
            let tiers = model::tiers_of(s, d1(s), cohort, lang);
            let order = model::merged(s.policy(), &tiers, |b| s.phase(d1(s), cohort, lang, b));
            for &a in &order {
                let (n, ahead) = model::place(s, &order, a, |_| true);
                assert_eq!(s.queue_number(a), Some(n));
                assert_eq!(s.ahead(a, None), Some(ahead));
                for p in s.positions(a, YEAR) {
                    let k = p.kindergarten;
                    let (pos, ahead) = model::place(s, &order, a, |x| {
                        s.application(x).unwrap().preferences.contains(&k)
                    });
                    assert_eq!((p.position, p.ahead), (pos, ahead), "position at {k}");
                }
            }
            assert_eq!(order.len(), tiers.iter().map(Vec::len).sum::<usize>());
        }
    }
    for (i, a) in s.applications() {
        if a.status != AppStatus::Queued {
            assert_eq!(s.queue_number(i), None);
        }
    }
}

fn check_seats(s: &State) {
    let mut open_per_app = std::collections::BTreeMap::new();
    for (ki, k) in s.kindergartens() {
        for g in &k.groups {
            assert!(g.enrolled + g.reserved <= g.capacity, "seats over capacity");
            let open = s
                .referrals()
                .filter(|(_, r)| r.status.is_open() && r.kindergarten == ki && r.group == g.id)
                .count();
            assert_eq!(
                g.reserved as usize, open,
                "reserved seats equal open referrals"
            );
        }
    }
    for (_, r) in s.referrals() {
        if r.status.is_open() {
            *open_per_app.entry(r.app).or_insert(0) += 1;
            assert_eq!(s.application(r.app).unwrap().status, AppStatus::Referred);
        }
        if r.status == ReferralStatus::Enrolled {
            assert_eq!(s.application(r.app).unwrap().status, AppStatus::Enrolled);
        }
    }
    assert!(
        open_per_app.values().all(|n| *n == 1),
        "a child holds two referrals"
    );
}

fn snapshot(s: &State) -> String {
    let numbers: Vec<_> = s
        .applications()
        .map(|(a, _)| (s.queue_number(a), s.positions(a, YEAR)))
        .collect();
    let phases: Vec<_> = (2021..=2024)
        .flat_map(|c| [Language::Kk, Language::Ru].map(|l| s.phase(d1(s), c, l, 1)))
        .collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{numbers:?}\n{phases:?}",
        s.last_seq(),
        s.applications().collect::<Vec<_>>(),
        s.kindergartens().collect::<Vec<_>>(),
        s.referrals().collect::<Vec<_>>(),
        s.rounds()
    )
}

fn run_scenario(policy: Policy, ops: Vec<Op>) {
    let mut w = World::new(policy.clone());
    for op in ops {
        w.step(op);
        check_queue(&w.state);
        check_seats(&w.state);
    }
    let mut replayed = State::new(policy);
    for (seq, e) in &w.events {
        replayed.apply(*seq, e).unwrap();
    }
    assert_eq!(snapshot(&replayed), snapshot(&w.state), "replay differs");
    check_explanations(&w);
}

/// Every queued child's explanation since several earlier seqs: the number then equals the
/// number in a state replayed up to that seq, and the causes add up to the change.
fn check_explanations(w: &World) {
    let last = w.state.last_seq().get();
    for since in [0, last / 3, last / 2, last.saturating_sub(3), last] {
        let mut then = State::new(w.policy.clone());
        for (seq, e) in w.events.iter().filter(|(s, _)| s.get() <= since) {
            then.apply(*seq, e).unwrap();
        }
        for (a, _) in w.state.applications() {
            let Some(x) = w.state.explain(a, Seq::new(since)) else {
                assert_eq!(w.state.queue_number(a), None);
                continue;
            };
            let expected = (a.slot() < then.application_count())
                .then(|| then.queue_number(a))
                .flatten();
            assert_eq!(
                x.queue_number, expected,
                "queue number of {a} at seq {since}"
            );
            let now = i64::try_from(w.state.queue_number(a).unwrap()).unwrap();
            if let Some(q) = x.queue_number {
                assert_eq!(
                    x.causes.values().sum::<i64>(),
                    now - i64::try_from(q).unwrap(),
                    "causes of {a} since {since}: {:?}",
                    x.causes
                );
            }
        }
    }
}

/// A command with random, often invalid, arguments: every kind of command, aimed at what
/// the world holds or at what it does not.
#[derive(Debug, Clone)]
enum Probe {
    Register {
        prefs: Vec<u8>,
        cat: u8,
        round: RoundPick,
        bad_iin: bool,
    },
    Import {
        cohort: i16,
        prefs: Vec<u8>,
        unknown_district: bool,
    },
    Prefs(u16, Vec<u8>),
    Withdraw(u16),
    Decide(u16, bool, bool),
    Upsert {
        k: u8,
        capacity: u32,
        drop_group: bool,
        other_district: bool,
    },
    Vacancy(u8, u8, u32),
    Round {
        id: RoundPick,
        year: i16,
    },
    Confirm(u16),
    Decline(u16),
    Extend(u16, u32),
    Enrol(u16),
    NoShow(u16),
    Lapse,
    AgeOut(i16, bool),
}

/// A round id that is new, already used, or too long for referral ids.
#[derive(Debug, Clone, Copy)]
enum RoundPick {
    Fresh,
    Taken,
    TooLong,
}

fn round_pick() -> impl Strategy<Value = RoundPick> {
    prop_oneof![
        Just(RoundPick::Fresh),
        Just(RoundPick::Taken),
        Just(RoundPick::TooLong)
    ]
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        3 => (proptest::collection::vec(0u8..6, 0..5), 0u8..5, round_pick(), any::<bool>())
            .prop_map(|(prefs, cat, round, bad_iin)| Probe::Register { prefs, cat, round, bad_iin }),
        1 => (2020i16..=2025, proptest::collection::vec(0u8..6, 0..4), any::<bool>())
            .prop_map(|(cohort, prefs, unknown_district)| Probe::Import { cohort, prefs, unknown_district }),
        1 => (any::<u16>(), proptest::collection::vec(0u8..6, 0..5)).prop_map(|(a, p)| Probe::Prefs(a, p)),
        1 => any::<u16>().prop_map(Probe::Withdraw),
        1 => (any::<u16>(), any::<bool>(), any::<bool>()).prop_map(|(a, v, long)| Probe::Decide(a, v, long)),
        1 => (0..KGS + 1, 0u32..12_000, any::<bool>(), any::<bool>())
            .prop_map(|(k, capacity, drop_group, other_district)| Probe::Upsert { k, capacity, drop_group, other_district }),
        2 => (0..KGS + 1, 0u8..10, 0u32..5).prop_map(|(k, g, n)| Probe::Vacancy(k, g, n)),
        1 => (round_pick(), 1899i16..2032).prop_map(|(id, year)| Probe::Round { id, year }),
        1 => any::<u16>().prop_map(Probe::Confirm),
        1 => any::<u16>().prop_map(Probe::Decline),
        1 => (any::<u16>(), 0u32..40).prop_map(|(r, d)| Probe::Extend(r, d)),
        1 => any::<u16>().prop_map(Probe::Enrol),
        1 => any::<u16>().prop_map(Probe::NoShow),
        1 => Just(Probe::Lapse),
        1 => (2024i16..2034, any::<bool>()).prop_map(|(y, known)| Probe::AgeOut(y, known)),
    ]
}

impl World {
    fn round_id(&mut self, pick: RoundPick) -> RoundId {
        match pick {
            RoundPick::Fresh => self.next_round(),
            RoundPick::Taken => match self.state.rounds().first() {
                Some(r) => r.round_id.clone(),
                None => self.next_round(),
            },
            RoundPick::TooLong => RoundId::parse("round-id-of-twenty-nine-chars").unwrap(),
        }
    }

    /// The command a probe stands for, in this world.
    fn probe_command(&mut self, p: Probe) -> Option<Command> {
        let at = self.now;
        let kgs = |ks: &[u8]| -> Vec<String> { ks.iter().map(|k| kg(*k).to_string()).collect() };
        Some(match p {
            Probe::Register {
                prefs,
                cat,
                round,
                bad_iin,
            } => {
                let iin = if bad_iin {
                    "123".into()
                } else {
                    self.iin(2022)
                };
                self.serial += 1;
                Command::from(Register {
                    application_id: Some(
                        ApplicationId::parse(&format!("p{}", self.serial)).unwrap(),
                    ),
                    round_id: Some(self.round_id(round)),
                    child_iin: iin,
                    child_name: "Child".into(),
                    applicant_iin: "880101300123".into(),
                    applicant_name: "Parent".into(),
                    district: "D1".into(),
                    language: "kk".into(),
                    preferences: kgs(&prefs),
                    category: self
                        .categories()
                        .get(usize::from(cat))
                        .map(|c| (*c).to_owned()),
                    documents: [
                        "application_form",
                        "applicant_id",
                        "benefit_proof",
                        "address_proof",
                    ]
                    .map(String::from)
                    .to_vec(),
                    channel: "portal".into(),
                    at,
                    ..Register::default()
                })
            }
            Probe::Import {
                cohort,
                prefs,
                unknown_district,
            } => {
                let child_iin = Iin::parse(&self.iin(cohort)).unwrap();
                let district = if unknown_district { "D9" } else { "D1" };
                Command::from(Import {
                    row: ApplicationRow {
                        line: 2,
                        application_id: ApplicationId::parse(&format!("i{}", self.serial)).unwrap(),
                        child_iin,
                        birth_date: child_iin.birth_date(),
                        registered_at: at,
                        district: DistrictId::parse(district).unwrap(),
                        language: Language::Kk,
                        category: None,
                        preferences: prefs.iter().map(|k| kg(*k)).collect(),
                    },
                })
            }
            Probe::Prefs(a, p) => ChangePreferences {
                application_id: self.app(a)?,
                preferences: kgs(&p),
                at,
            }
            .into(),
            Probe::Withdraw(a) => Withdraw {
                application_id: self.app(a)?,
                at,
            }
            .into(),
            Probe::Decide(a, verified, long) => DecideClaim {
                application_id: self.app(a)?,
                verified,
                reason: if long {
                    "x".repeat(1001)
                } else {
                    "checked".into()
                },
                at,
            }
            .into(),
            Probe::Upsert {
                k,
                capacity,
                drop_group,
                other_district,
            } => {
                let mut specs = groups();
                if drop_group {
                    specs.pop();
                }
                UpsertKindergarten {
                    kindergarten_id: kg(k),
                    name: format!("Kindergarten {k}"),
                    district: DistrictId::parse(if other_district { "D2" } else { "D1" }).unwrap(),
                    groups: specs
                        .into_iter()
                        .map(|(id, age, language)| GroupSpec {
                            group_id: GroupId::parse(&id).unwrap(),
                            age_years: age,
                            language,
                            capacity,
                            enrolled: 0,
                        })
                        .collect(),
                }
                .into()
            }
            Probe::Vacancy(k, g, seats) => OpenVacancies {
                kindergarten_id: kg(k),
                group_id: GroupId::parse(
                    &groups()
                        .get(usize::from(g))
                        .map_or("nope".into(), |x| x.0.clone()),
                )
                .unwrap(),
                seats,
            }
            .into(),
            Probe::Round { id, year } => RunRound {
                round_id: self.round_id(id),
                district: DistrictId::parse("D1").unwrap(),
                academic_year: Some(year),
                at,
            }
            .into(),
            Probe::Confirm(r) => Confirm {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::Decline(r) => Decline {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::Extend(r, days) => Extend {
                referral_id: self.referral(r)?,
                days,
                at,
            }
            .into(),
            Probe::Enrol(r) => Enrol {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::NoShow(r) => NoShow {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::Lapse => LapseOverdue { at }.into(),
            Probe::AgeOut(year, known) => AgeOut {
                district: DistrictId::parse(if known { "D1" } else { "D7" }).unwrap(),
                academic_year: year,
                at,
            }
            .into(),
        })
    }

    /// Runs a probe: refused, the state must be exactly as before; carried out, its events
    /// are kept (the replay at the end checks them).
    fn probe(&mut self, p: Probe) {
        let Some(cmd) = self.probe_command(p) else {
            return;
        };
        let before = format!("{:?}", self.state);
        match self.state.execute(cmd) {
            Ok(out) => self.events.extend(out),
            Err(CommandError::Refused(r)) => {
                assert_eq!(
                    before,
                    format!("{:?}", self.state),
                    "refused ({r}) but changed the state"
                );
            }
            Err(CommandError::Inconsistent(e)) => panic!("a decided command did not apply: {e}"),
        }
        self.now = self.now.checked_add(Span::new().minutes(7)).unwrap();
    }
}

/// Random worlds, then probes of every command: a refused command changes nothing (the
/// whole state, printed, is the same), and what was carried out replays to the same state.
fn run_probes(policy: Policy, ops: Vec<Op>, probes: Vec<Probe>) {
    let mut w = World::new(policy.clone());
    for op in ops {
        w.step(op);
    }
    for p in probes {
        w.probe(p);
        check_seats(&w.state);
    }
    let mut replayed = State::new(policy);
    for (seq, e) in &w.events {
        replayed.apply(*seq, e).unwrap();
    }
    assert_eq!(snapshot(&replayed), snapshot(&w.state), "replay differs");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn kz_2013_matches_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_scenario(Policy::kz_2013(), ops);
    }

    #[test]
    fn kz_2020_matches_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_scenario(Policy::kz_2020(), ops);
    }

    #[test]
    fn a_refused_command_changes_nothing(
        kz_2020 in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..60),
        probes in proptest::collection::vec(probe(), 1..40),
    ) {
        let policy = if kz_2020 { Policy::kz_2020() } else { Policy::kz_2013() };
        run_probes(policy, ops, probes);
    }
}
