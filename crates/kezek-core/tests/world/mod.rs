//! A world of kindergartens and children that random operations move on: registrations
//! (live and imported out of order), withdrawals, claim decisions, preference changes,
//! vacancies, rounds (checked against the model), referral answers, lapses, time passing.

mod probes;
mod round;

pub(crate) use probes::{probe, run_probes};

use jiff::{Span, Timestamp};
use kezek_core::command::admission::{Enroll, NoShow};
use kezek_core::command::claim::DecideClaim;
use kezek_core::command::correction::{ClaimLate, Correct};
use kezek_core::command::import::Import;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::lapse::LapseOverdue;
use kezek_core::command::leave::{Leave, RollOver};
use kezek_core::command::preferences::ChangePreferences;
use kezek_core::command::referral::{Confirm, Decline};
use kezek_core::command::register::Register;
use kezek_core::command::transfer::{RequestTransfer, WithdrawTransfer};
use kezek_core::command::vacancies::OpenVacancies;
use kezek_core::command::withdraw::Withdraw;
use kezek_core::dataset::ApplicationRow;
use kezek_core::event::GroupSpec;
use kezek_core::model::{
    ApplicationId, Category, DistrictId, DistrictIx, GroupId, Iin, KindergartenId, Language,
    LeaveReason, ReferralId, RoundId, Seq,
};
use kezek_core::{Command, Event, Policy, State};
use proptest::prelude::*;

pub(crate) const YEAR: i16 = 2026;

/// The applicant of one of three families (children of one family are siblings).
pub(crate) fn family(n: u32) -> String {
    (0..)
        .find_map(|i| {
            Iin::compose(
                jiff::civil::date(1988, 1, 1),
                false,
                u16::try_from(n % 3 * 100 + i).unwrap(),
            )
        })
        .unwrap()
        .to_string()
}
pub(crate) const KGS: u8 = 4;

#[derive(Debug, Clone)]
pub(crate) enum Op {
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
    Enroll(u16),
    NoShow(u16),
    Lapse,
    Advance(u16),
    /// An enrolled child (or any child: most are refused) leaves, `days` back from today.
    Leave(u16, u8),
    /// A kindergarten's groups roll over into the academic year that has begun.
    RollOver(u8),
    /// An enrolled child (mostly) asks to move to other kindergartens.
    Transfer(u16, Vec<u8>),
    /// A transfer request is withdrawn.
    Untransfer(u16),
    /// A priority claimed after registration (category by index).
    ClaimLate(u16, u8),
    /// The child's name corrected.
    Rename(u16),
    /// A family in an open exchange confirms it.
    ConfirmExchange(u16),
    /// A proof file (one of a few contents, so some repeat) attached to an application.
    Attach(u16, u8),
    /// A sibling registered to go together with an application (category by index; its
    /// kindergartens the other's, in reverse order when asked).
    Joint(u16, u8, bool),
}

fn prefs() -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::subsequence((0..KGS).collect::<Vec<_>>(), 1..=3).prop_shuffle()
}

/// A registration, or an import at an earlier time.
pub(crate) fn registration() -> impl Strategy<Value = Op> {
    (
        2021i16..=2024,
        any::<bool>(),
        prefs(),
        0u8..4,
        proptest::option::of(0u32..5_000_000),
    )
        .prop_map(|(cohort, ru, prefs, cat, import_back)| Op::Register {
            cohort,
            ru,
            prefs,
            cat,
            import_back,
        })
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => registration(),
        1 => any::<u16>().prop_map(Op::Withdraw),
        2 => (any::<u16>(), any::<bool>()).prop_map(|(a, v)| Op::Decide(a, v)),
        1 => (any::<u16>(), prefs()).prop_map(|(a, p)| Op::Prefs(a, p)),
        3 => (0..KGS, 0u8..9, 1u8..3).prop_map(|(k, g, n)| Op::Vacancy(k, g, n)),
        2 => Just(Op::Round),
        2 => any::<u16>().prop_map(Op::Confirm),
        1 => any::<u16>().prop_map(Op::Decline),
        1 => any::<u16>().prop_map(Op::Enroll),
        1 => any::<u16>().prop_map(Op::NoShow),
        1 => Just(Op::Lapse),
        1 => (1u16..200).prop_map(Op::Advance),
        1 => (any::<u16>(), 0u8..3).prop_map(|(a, d)| Op::Leave(a, d)),
        1 => (0..KGS).prop_map(Op::RollOver),
        2 => (any::<u16>(), prefs()).prop_map(|(a, p)| Op::Transfer(a, p)),
        1 => any::<u16>().prop_map(Op::Untransfer),
        1 => (any::<u16>(), 1u8..4).prop_map(|(a, c)| Op::ClaimLate(a, c)),
        1 => any::<u16>().prop_map(Op::Rename),
        2 => (any::<u16>(), 0u8..14).prop_map(|(a, v)| Op::Attach(a, v)),
        3 => (any::<u16>(), 0u8..4, any::<bool>()).prop_map(|(a, c, r)| Op::Joint(a, c, r)),
    ]
}

/// Operations weighted towards children admitted (whose brothers and sisters then go
/// ahead) and rounds with few seats.
pub(crate) fn sibling_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => registration(),
        4 => (0..KGS, 0u8..9, 1u8..3).prop_map(|(k, g, n)| Op::Vacancy(k, g, n)),
        3 => Just(Op::Round),
        4 => any::<u16>().prop_map(Op::Confirm),
        4 => any::<u16>().prop_map(Op::Enroll),
        1 => any::<u16>().prop_map(Op::Withdraw),
        1 => any::<u16>().prop_map(Op::Decline),
        1 => (any::<u16>(), 0u8..4, any::<bool>()).prop_map(|(a, c, r)| Op::Joint(a, c, r)),
    ]
}

/// Operations weighted towards children who are admitted and then ask to move: rounds,
/// seats opening, referrals answered, transfer requests.
pub(crate) fn transfer_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => registration(),
        3 => (0..KGS, 0u8..9, 1u8..3).prop_map(|(k, g, n)| Op::Vacancy(k, g, n)),
        3 => Just(Op::Round),
        3 => any::<u16>().prop_map(Op::Confirm),
        3 => any::<u16>().prop_map(Op::Enroll),
        4 => (any::<u16>(), prefs()).prop_map(|(a, p)| Op::Transfer(a, p)),
        4 => any::<u16>().prop_map(Op::ConfirmExchange),
        1 => any::<u16>().prop_map(Op::Untransfer),
        1 => any::<u16>().prop_map(Op::Decline),
        1 => any::<u16>().prop_map(Op::NoShow),
        1 => Just(Op::Lapse),
        1 => (1u16..100).prop_map(Op::Advance),
        1 => (any::<u16>(), 0u8..3).prop_map(|(a, d)| Op::Leave(a, d)),
    ]
}

/// Groups of every kindergarten: ages 2–5 in kk and ru, and a second kk group of age 3.
pub(crate) fn groups() -> Vec<(String, i16, Language)> {
    let mut g = Vec::new();
    for age in 2..=5 {
        g.push((format!("g{age}kk"), age, Language::Kk));
        g.push((format!("g{age}ru"), age, Language::Ru));
    }
    g.push(("g3kk2".into(), 3, Language::Kk));
    g
}

pub(crate) struct World {
    pub state: State,
    pub events: Vec<(Seq, Event)>,
    pub now: Timestamp,
    pub serial: u32,
    pub rounds: u32,
    pub policy: Policy,
}

impl World {
    pub(crate) fn new(policy: Policy) -> Self {
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
                labels: kezek_core::event::KindergartenLabels::default(),
                groups,
                academic_year: None,
            };
            w.run(cmd);
        }
        w
    }

    /// A world where `per_kg` children of one cohort and language are enrolled at each
    /// kindergarten's group `g4kk` and that group is full: ready for transfers to find no free
    /// seat and trade seats instead.
    pub(crate) fn seated(policy: Policy, per_kg: u8) -> Self {
        let mut w = World::new(policy);
        let g4kk = u8::try_from(groups().iter().position(|g| g.0 == "g4kk").unwrap()).unwrap();
        for k in 0..KGS {
            w.step(Op::Vacancy(k, g4kk, per_kg));
            for _ in 0..per_kg {
                w.step(Op::Register {
                    cohort: YEAR - 4,
                    ru: false,
                    prefs: vec![k],
                    cat: 0,
                    import_back: None,
                });
            }
        }
        let open: Vec<ReferralId> = w
            .state
            .referrals()
            .filter(|(_, r)| r.status.is_open())
            .map(|(_, r)| r.id.clone())
            .collect();
        for referral_id in open {
            let at = w.now;
            w.run(Confirm {
                referral_id: referral_id.clone(),
                at,
            })
            .unwrap();
            w.run(Enroll { referral_id, at }).unwrap();
        }
        w
    }

    /// The enrolled child number `i` (in application order) asks for kindergartens `prefs`.
    pub(crate) fn ask_transfer(&mut self, i: usize, prefs: &[u8]) {
        let enrolled: Vec<ApplicationId> = self
            .state
            .applications()
            .filter(|(_, a)| a.status == kezek_core::model::AppStatus::Enrolled)
            .map(|(_, a)| a.id.clone())
            .collect();
        if let Some(application_id) = enrolled.get(i % enrolled.len().max(1)).cloned() {
            let at = self.now;
            self.run(RequestTransfer {
                application_id,
                preferences: prefs.iter().map(|k| kg(*k).to_string()).collect(),
                at,
            });
        }
    }

    fn run(&mut self, cmd: impl Into<Command>) -> Option<Vec<Event>> {
        let cmd = cmd.into();
        // An exchange moves no seat and no queued child: what they were, to compare.
        let before =
            matches!(cmd, Command::ConfirmExchange(_)).then(|| seats_and_queue(&self.state));
        let out = self.state.execute(cmd).ok()?;
        if let Some(before) = before {
            assert_eq!(
                before,
                seats_and_queue(&self.state),
                "an exchange moved a seat or a queued child"
            );
        }
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

    /// Registers a sibling of application `n`'s child to go together with it.
    fn joint(&mut self, n: u16, cat: u8, reverse: bool, at: Timestamp) {
        let Some(partner) = self.app(n) else {
            return;
        };
        let (_, app) = self.state.application_by_id(&partner).unwrap();
        let (cohort, language) = (app.cohort, app.language);
        let family = app
            .applicant
            .as_ref()
            .map_or_else(|| family(0), |x| x.iin.to_string());
        let mut preferences: Vec<String> = app
            .preferences
            .iter()
            .map(|k| self.state.kindergarten(*k).unwrap().id.to_string())
            .collect();
        if reverse {
            preferences.reverse();
        }
        let iin = self.iin(cohort);
        let id = ApplicationId::parse(&format!("a{}", self.serial)).unwrap();
        let round_id = Some(self.next_round());
        let category = self.categories()[cat as usize % 4];
        self.run(Register {
            application_id: Some(id),
            round_id,
            child_iin: iin,
            child_name: "Twin".into(),
            birth_date: None,
            applicant_iin: family,
            applicant_name: "Parent".into(),
            representative: None,
            applicant_email: None,
            district: "D1".into(),
            language: language.as_str().into(),
            preferences,
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
            together_with: Some(partner.to_string()),
            at,
        });
    }

    /// Attaches proof file `v` to `id`, checked against the naive rule: taken exactly when
    /// the application is active, does not hold those bytes and holds fewer than ten; the
    /// application's files are then what it held and this one.
    fn attach(&mut self, id: &ApplicationId, v: u8, at: Timestamp) {
        use kezek_core::command::file::{received, AttachFile};
        let bytes = format!("%PDF-1.{v}\n").into_bytes();
        let file = received(id.as_str(), kezek_core::model::FileType::Pdf, &bytes, None).unwrap();
        let (a, app) = self.state.application_by_id(id).unwrap();
        let before: Vec<String> = self.state.files_of(a).map(|f| f.file_id.clone()).collect();
        let taken = app.status.is_active() && !before.contains(&file.file_id) && before.len() < 10;
        let file_id = file.file_id.clone();
        let done = self
            .run(AttachFile {
                application_id: id.clone(),
                file,
                at,
            })
            .is_some();
        assert_eq!(done, taken, "{id}: {before:?} + {file_id}");
        let mut expected = before;
        if taken {
            expected.push(file_id);
        }
        let after: Vec<String> = self.state.files_of(a).map(|f| f.file_id.clone()).collect();
        assert_eq!(after, expected);
    }

    fn app(&self, n: u16) -> Option<ApplicationId> {
        let len = self.state.application_count();
        let i = n as usize % len.max(1);
        self.state.applications().nth(i).map(|(_, a)| a.id.clone())
    }

    /// Mostly an enrolled child: few are, and any other is refused.
    fn enrolled(&self, n: u16) -> Option<ApplicationId> {
        let enrolled: Vec<_> = self
            .state
            .applications()
            .filter(|(_, a)| a.status == kezek_core::model::AppStatus::Enrolled)
            .map(|(_, a)| a.id.clone())
            .collect();
        if enrolled.is_empty() || n.is_multiple_of(5) {
            self.app(n)
        } else {
            enrolled.get(usize::from(n) % enrolled.len()).cloned()
        }
    }

    fn referral(&self, n: u16) -> Option<ReferralId> {
        // Mostly an open one: the others are refused.
        let open: Vec<_> = self
            .state
            .referrals()
            .filter(|(_, r)| r.status.is_open())
            .map(|(_, r)| r.id.clone())
            .collect();
        if !open.is_empty() && !n.is_multiple_of(4) {
            return open.get(usize::from(n) % open.len()).cloned();
        }
        let len = self.state.referral_count();
        let i = n as usize % len.max(1);
        self.state.referrals().nth(i).map(|(_, r)| r.id.clone())
    }

    fn next_round(&mut self) -> RoundId {
        self.rounds += 1;
        RoundId::parse(&format!("r{}", self.rounds)).unwrap()
    }

    pub(crate) fn step(&mut self, op: Op) {
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
                        applicant_iin: family(self.serial),
                        applicant_name: "Parent".into(),
                        representative: None,
                        applicant_email: None,
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
                        together_with: None,
                        at,
                    })
                };
                self.run(cmd);
            }
            Op::Joint(n, cat, reverse) => self.joint(n, cat, reverse, at),
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
            Op::Enroll(n) => {
                if let Some(referral_id) = self.referral(n) {
                    self.run(Enroll { referral_id, at });
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
            Op::Transfer(n, p) => {
                if let Some(application_id) = self.enrolled(n) {
                    self.run(RequestTransfer {
                        application_id,
                        preferences: p.iter().map(|k| kg(*k).to_string()).collect(),
                        at,
                    });
                }
            }
            Op::ClaimLate(n, cat) => {
                if let Some(application_id) = self.app(n) {
                    self.run(ClaimLate {
                        application_id,
                        category: self.categories()[usize::from(cat) % 4].to_owned(),
                        documents: vec!["benefit_proof".into()],
                        at,
                    });
                }
            }
            Op::ConfirmExchange(n) => {
                let open: Vec<_> = self
                    .state
                    .exchanges()
                    .filter(|x| x.status == kezek_core::state::ExchangeStatus::Offered)
                    .flat_map(|x| {
                        x.offer
                            .moves
                            .iter()
                            .map(|m| (x.offer.exchange_id.clone(), m.application_id.clone()))
                    })
                    .collect();
                if let Some((exchange_id, application_id)) =
                    open.get(usize::from(n) % open.len().max(1)).cloned()
                {
                    self.run(kezek_core::command::exchange::ConfirmExchange {
                        exchange_id,
                        application_id,
                        at,
                    });
                }
            }
            Op::Rename(n) => {
                if let Some(application_id) = self.app(n) {
                    self.run(Correct {
                        application_id,
                        child_name: Some(format!("Child {n}")),
                        applicant_name: None,
                        representative: None,
                        representative_removed: false,
                        district: None,
                        reason: "birth certificate".into(),
                        at,
                    });
                }
            }
            Op::Attach(n, v) => {
                if let Some(application_id) = self.app(n) {
                    self.attach(&application_id, v, at);
                }
            }
            Op::Untransfer(n) => {
                if let Some(application_id) = self.enrolled(n) {
                    self.run(WithdrawTransfer { application_id, at });
                }
            }
            Op::Leave(n, days) => {
                if let Some(application_id) = self.enrolled(n) {
                    let today = self.policy.calendar.local_date(at);
                    let kindergarten_id = self
                        .state
                        .application_by_id(&application_id)
                        .and_then(|(a, _)| self.state.place(a))
                        .and_then(|(k, _, _)| self.state.kindergarten(k))
                        .map_or_else(|| kg(0), |k| k.id.clone());
                    let reasons = [
                        LeaveReason::Moved,
                        LeaveReason::FamilyRequest,
                        LeaveReason::Other,
                    ];
                    self.run(Leave {
                        application_id,
                        kindergarten_id,
                        date: today
                            .checked_sub(Span::new().days(i64::from(days)))
                            .unwrap(),
                        reason: reasons[usize::from(days) % reasons.len()],
                        at,
                    });
                }
            }
            Op::RollOver(k) => {
                let policy = self.state.policy();
                let academic_year = policy
                    .cutoff
                    .academic_year_of(policy.calendar.local_date(at));
                self.run(RollOver {
                    kindergarten_id: kg(k),
                    academic_year,
                    at,
                });
            }
            Op::Advance(h) => self.now = at.checked_add(Span::new().hours(i64::from(h))).unwrap(),
        }
        self.now = self.now.checked_add(Span::new().seconds(1)).unwrap();
    }
}

/// Each group's enrolled, reserved and free seats.
type Seats = Vec<(u32, u32, u32)>;

/// Every group's occupied, reserved and free seats, and every queued child's number.
fn seats_and_queue(s: &State) -> (Seats, Vec<Option<usize>>) {
    let seats = s
        .kindergartens()
        .flat_map(|(_, k)| k.groups.iter().map(|g| (g.enrolled, g.reserved, g.free())))
        .collect();
    let numbers = s.applications().map(|(a, _)| s.queue_number(a)).collect();
    (seats, numbers)
}

pub(crate) fn kg(k: u8) -> KindergartenId {
    KindergartenId::parse(&format!("K{k}")).unwrap()
}

/// The district of the tests.
pub(crate) fn d1(s: &State) -> DistrictIx {
    s.district_index(&DistrictId::parse("D1").unwrap()).unwrap()
}
