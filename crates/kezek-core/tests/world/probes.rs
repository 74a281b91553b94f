//! Probes: every kind of command with random, often invalid, arguments.

use super::{groups, kg, Op, World, KGS};
use crate::check_seats;
use crate::snapshot;
use jiff::Span;
use kezek_core::command::admission::{Enroll, NoShow};
use kezek_core::command::age_out::AgeOut;
use kezek_core::command::claim::DecideClaim;
use kezek_core::command::import::Import;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::lapse::LapseOverdue;
use kezek_core::command::leave::{Leave, RollOver};
use kezek_core::command::policy::AdoptPolicy;
use kezek_core::command::preferences::ChangePreferences;
use kezek_core::command::referral::{Confirm, Decline, Extend};
use kezek_core::command::register::Register;
use kezek_core::command::remind::RemindDue;
use kezek_core::command::round::RunRound;
use kezek_core::command::vacancies::OpenVacancies;
use kezek_core::command::withdraw::Withdraw;
use kezek_core::dataset::ApplicationRow;
use kezek_core::event::GroupSpec;
use kezek_core::model::{ApplicationId, DistrictId, GroupId, Iin, Language, RoundId};
use kezek_core::{Command, CommandError, Policy, State};
use proptest::prelude::*;

/// A command with random, often invalid, arguments: every kind of command, aimed at what
/// the world holds or at what it does not.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
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
    Enroll(u16),
    NoShow(u16),
    Lapse,
    Remind,
    AgeOut(i16, bool),
    /// A leaving: application, kindergarten (one more than there are: unknown), days back
    /// from today (negative: in the future).
    Leave(u16, u8, i16),
    /// A roll-over: kindergarten, academic year.
    RollOver(u8, i16),
    /// A transfer request: application, kindergartens (some unknown).
    Transfer(u16, Vec<u8>),
    /// A transfer request withdrawn.
    Untransfer(u16),
    /// Adopt one of: kz-2013, kz-2020, kz-2013 with other deadlines, a text that is no policy.
    Policy(u8),
}

/// A round id that is new, already used, or too long for referral ids.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RoundPick {
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

pub(crate) fn probe() -> impl Strategy<Value = Probe> {
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
        1 => any::<u16>().prop_map(Probe::Enroll),
        1 => any::<u16>().prop_map(Probe::NoShow),
        1 => Just(Probe::Lapse),
        1 => Just(Probe::Remind),
        1 => (2024i16..2034, any::<bool>()).prop_map(|(y, known)| Probe::AgeOut(y, known)),
        1 => (0u8..4).prop_map(Probe::Policy),
        1 => (any::<u16>(), 0..KGS + 1, -2i16..800).prop_map(|(a, k, d)| Probe::Leave(a, k, d)),
        1 => (0..KGS + 1, 2024i16..2029).prop_map(|(k, y)| Probe::RollOver(k, y)),
        1 => (any::<u16>(), proptest::collection::vec(0u8..6, 0..5)).prop_map(|(a, p)| Probe::Transfer(a, p)),
        1 => any::<u16>().prop_map(Probe::Untransfer),
    ]
}

/// The policy texts [`Probe::Policy`] adopts.
fn policy_text(which: u8) -> String {
    let kz2013 = kezek_core::policy::KZ_2013;
    match which {
        0 => kz2013.into(),
        1 => kezek_core::policy::KZ_2020.into(),
        2 => kz2013
            .replace("confirm_working_days = 2", "confirm_working_days = 4")
            .replace("max_preferences = 3", "max_preferences = 2"),
        _ => "name = 1".into(),
    }
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
                    labels: kezek_core::event::KindergartenLabels::default(),
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
                    academic_year: None,
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
                reason: if days % 7 == 0 {
                    String::new()
                } else {
                    "ill".into()
                },
                at,
            }
            .into(),
            Probe::Enroll(r) => Enroll {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::NoShow(r) => NoShow {
                referral_id: self.referral(r)?,
                at,
            }
            .into(),
            Probe::Leave(a, k, days) => Leave {
                application_id: self.app(a)?,
                kindergarten_id: kg(k),
                date: self
                    .policy
                    .calendar
                    .local_date(at)
                    .checked_sub(jiff::Span::new().days(i64::from(days)))
                    .ok()?,
                reason: kezek_core::model::LeaveReason::School,
                at,
            }
            .into(),
            Probe::RollOver(k, academic_year) => RollOver {
                kindergarten_id: kg(k),
                academic_year,
                at,
            }
            .into(),
            Probe::Transfer(a, p) => kezek_core::command::transfer::RequestTransfer {
                application_id: self.app(a)?,
                preferences: p.iter().map(|k| kg(*k).to_string()).collect(),
                at,
            }
            .into(),
            Probe::Untransfer(a) => kezek_core::command::transfer::WithdrawTransfer {
                application_id: self.app(a)?,
                at,
            }
            .into(),
            Probe::Lapse => LapseOverdue { at }.into(),
            Probe::Remind => RemindDue { at }.into(),
            Probe::AgeOut(year, known) => AgeOut {
                district: DistrictId::parse(if known { "D1" } else { "D7" }).unwrap(),
                academic_year: year,
                at,
            }
            .into(),
            Probe::Policy(which) => {
                let text = policy_text(which);
                AdoptPolicy {
                    // The core compares digests and does not compute them: any name that is
                    // one per text will do here.
                    sha256: format!("text-{which}"),
                    text,
                    at,
                }
                .into()
            }
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
pub(crate) fn run_probes(policy: Policy, ops: Vec<Op>, probes: Vec<Probe>) {
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
