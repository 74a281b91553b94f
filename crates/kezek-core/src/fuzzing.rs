//! Harnesses for the fuzz targets in `fuzz/`: each takes arbitrary bytes and must never
//! panic. `cargo test` replays the checked-in corpus through the same functions. Built only
//! with the `fuzzing` feature.

use crate::command::admission::{Enroll, NoShow};
use crate::command::claim::DecideClaim;
use crate::command::import::Import;
use crate::command::kindergarten::UpsertKindergarten;
use crate::command::lapse::LapseOverdue;
use crate::command::preferences::ChangePreferences;
use crate::command::referral::{Confirm, Decline};
use crate::command::round::RunRound;
use crate::command::vacancies::OpenVacancies;
use crate::command::withdraw::Withdraw;
use crate::command::{Command, CommandError};
use crate::dataset::{parse_applications, parse_groups, ApplicationRow};
use crate::event::GroupSpec;
use crate::model::{
    AppStatus, ApplicationId, Category, DistrictId, GroupId, Iin, KindergartenId, Language, RoundId,
};
use crate::policy::Policy;
use crate::state::State;
use jiff::{Span, Timestamp};

/// IIN parser: a parsed IIN prints back to the same text and its date is real.
///
/// # Panics
/// When it does not: what the fuzzer looks for.
pub fn iin(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(iin) = Iin::parse(s) {
            assert_eq!(iin.to_string(), s);
            let _ = iin.birth_date();
        }
    }
}

/// CSV row parsers, both files: a parsed row's birth date is its IIN's, its preferences 1 to 3.
///
/// # Panics
/// When not: what the fuzzer looks for.
pub fn csv_rows(data: &[u8]) {
    let _ = parse_groups(data);
    // The catalog: every name it accepts is plain visible text.
    if let Ok(c) = crate::dataset::parse_catalog(Some(data), None) {
        for (_, names) in &c.districts {
            for (_, v) in names.fields() {
                assert!(crate::model::text::is_visible_text(v));
            }
        }
    }
    if let Ok(c) = crate::dataset::parse_catalog(None, Some(data)) {
        for (name, _) in c.kindergartens.values() {
            assert!(crate::model::text::is_visible_text(name));
        }
    }
    if let Ok(rows) = parse_applications(data, 3) {
        for r in rows {
            assert_eq!(r.birth_date, r.child_iin.birth_date());
            assert!(!r.preferences.is_empty() && r.preferences.len() <= 3);
        }
    }
}

/// Policy parser: anything that parses is internally consistent.
///
/// # Panics
/// When not: what the fuzzer looks for.
pub fn policy(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = Policy::from_toml(s) {
            assert!(!p.tiers.is_empty());
            let general = p.tiers.get(p.general_tier());
            assert!(general.is_some_and(|t| t.categories.is_empty()));
            for t in 0..p.tiers.len() {
                let _ = p.block_of(t);
            }
        }
    }
}

/// Snapshot decoder: any bytes either fail to decode or give a state that encodes again
/// and decodes to the same point of the journal; never a panic.
///
/// # Panics
/// When not: what the fuzzer looks for.
pub fn snapshot(data: &[u8]) {
    if let Ok(state) = State::from_snapshot(data) {
        let again = state.to_snapshot();
        assert!(again.is_ok(), "a decoded state does not encode");
        let back = again.ok().map(|b| State::from_snapshot(&b));
        assert!(
            matches!(&back, Some(Ok(s)) if s.last_seq() == state.last_seq()),
            "a state's own snapshot does not decode to it"
        );
    }
}

/// Seeds for the snapshot target: the snapshot of the fuzzing city, and of that city after
/// the commands `data` picks (see [`commands`]).
#[must_use]
pub fn snapshot_seed(data: &[u8]) -> Vec<u8> {
    let mut state = city(Policy::kz_2013());
    let now = Timestamp::from_second(1_788_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    for (n, chunk) in (1u32..).zip(data.chunks(4)) {
        let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
        if let Some(cmd) = command(&state, now, n, [byte(0), byte(1), byte(2), byte(3)]) {
            let _ = state.execute(cmd);
        }
    }
    state.to_snapshot().unwrap_or_default()
}

/// Command sequences: bytes pick commands and their arguments; the core must never panic, a
/// refused command must leave the state exactly as it was, a decided one must apply, and
/// after every command seats stay within capacity, reserved seats equal open referrals,
/// every queued child has a queue number and nobody else has one.
///
/// # Panics
/// When any of that breaks: what the fuzzer looks for.
pub fn commands(data: &[u8]) {
    let policy = if data.first().is_some_and(|b| b % 2 == 0) {
        Policy::kz_2013()
    } else {
        Policy::kz_2020()
    };
    let mut state = city(policy);
    let mut now = Timestamp::from_second(1_788_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut n = 0u32;
    for chunk in data.get(1..).unwrap_or_default().chunks(4) {
        let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
        let op = [byte(0), byte(1), byte(2), byte(3)];
        n += 1;
        now = now
            .checked_add(Span::new().hours(i64::from(op[1] % 50)))
            .unwrap_or(now);
        let Some(cmd) = command(&state, now, n, op) else {
            continue;
        };
        let before = format!("{state:?}");
        match state.execute(cmd) {
            Ok(_) => {}
            Err(CommandError::Refused(_)) => {
                assert_eq!(
                    before,
                    format!("{state:?}"),
                    "a refused command changed the state"
                );
            }
            Err(CommandError::Inconsistent(e)) => panic!("a decided command did not apply: {e}"),
        }
        check_invariants(&state);
    }
}

fn kg(n: u8) -> Option<KindergartenId> {
    KindergartenId::parse(&format!("K{}", n % 3)).ok()
}

fn group(n: u8) -> Option<GroupId> {
    GroupId::parse(&format!("g{}", n % 4)).ok()
}

fn district() -> Option<DistrictId> {
    DistrictId::parse("D1").ok()
}

/// Three kindergartens of district D1, each with four full groups of two seats.
fn city(policy: Policy) -> State {
    let mut state = State::new(policy);
    for k in 0..3u8 {
        let groups = (0..4u8)
            .filter_map(|g| {
                Some(GroupSpec {
                    group_id: group(g)?,
                    age_years: i16::from(2 + g),
                    language: if g % 2 == 0 {
                        Language::Kk
                    } else {
                        Language::Ru
                    },
                    capacity: 2,
                    enrolled: 2,
                })
            })
            .collect();
        if let (Some(kindergarten_id), Some(district)) = (kg(k), district()) {
            let name = "K".into();
            let _ = state.execute(UpsertKindergarten {
                kindergarten_id,
                name,
                district,
                labels: crate::event::KindergartenLabels::default(),
                groups,
                academic_year: None,
            });
        }
    }
    state
}

/// The command that bytes `[op, a, b, c]` pick (the `n`th, at `now`).
#[allow(
    clippy::many_single_char_names,
    reason = "the bytes have no meaning but their order"
)]
fn command(state: &State, now: Timestamp, n: u32, [op, a, b, c]: [u8; 4]) -> Option<Command> {
    let app = |x: u8| {
        let i = usize::from(x) % state.application_count().max(1);
        state.applications().nth(i).map(|(_, a)| a.id.clone())
    };
    let referral = |x: u8| {
        let i = usize::from(x) % state.referral_count().max(1);
        state.referrals().nth(i).map(|(_, r)| r.id.clone())
    };
    let at = now;
    Some(match op % 15 {
        0 | 1 => import(now, n, [a, b, c])?.into(),
        2 => OpenVacancies {
            kindergarten_id: kg(a)?,
            group_id: group(b)?,
            seats: u32::from(c % 3),
        }
        .into(),
        3 => RunRound {
            round_id: RoundId::parse(&format!("R{n}")).ok()?,
            district: district()?,
            academic_year: Some(2026),
            at,
        }
        .into(),
        4 => DecideClaim {
            application_id: app(a)?,
            verified: b % 2 == 0,
            reason: String::new(),
            at,
        }
        .into(),
        5 => Withdraw {
            application_id: app(a)?,
            at,
        }
        .into(),
        6 => {
            let referral_id = referral(a)?;
            match b % 4 {
                0 => Confirm { referral_id, at }.into(),
                1 => Decline { referral_id, at }.into(),
                2 => Enroll { referral_id, at }.into(),
                _ => NoShow { referral_id, at }.into(),
            }
        }
        7 => LapseOverdue { at }.into(),
        8 => {
            // A proof file: its first bytes one signature or none, sent as one of the types.
            let heads: [&[u8]; 4] = [b"%PDF-", b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1a\n", b"GIF8"];
            let mut bytes = heads.get(usize::from(b % 4))?.to_vec();
            bytes.push(c);
            let declared = *crate::model::FileType::ALL.get(usize::from(c % 3))?;
            let application_id = app(a)?;
            let file = crate::command::file::received(
                application_id.as_str(),
                declared,
                &bytes,
                (b % 8 == 0).then(|| "benefit_proof".to_owned()),
            )
            .ok()?;
            crate::command::file::AttachFile {
                application_id,
                file,
                at,
            }
            .into()
        }
        9..=14 => later(state, at, [op, a, b, c])?,
        _ => ChangePreferences {
            application_id: app(a)?,
            preferences: [b, c]
                .iter()
                .filter_map(|x| kg(*x))
                .map(|k| k.to_string())
                .collect(),
            at,
        }
        .into(),
    })
}

/// A command of a child's life after registration that bytes `[op, a, b, c]` pick: a
/// leaving, a roll-over, a transfer asked or withdrawn, an exchange confirmed, a late claim.
#[allow(
    clippy::many_single_char_names,
    reason = "the bytes have no meaning but their order"
)]
fn later(state: &State, at: Timestamp, [op, a, b, c]: [u8; 4]) -> Option<Command> {
    let app = |x: u8| {
        let i = usize::from(x) % state.application_count().max(1);
        state.applications().nth(i).map(|(_, a)| a.id.clone())
    };
    Some(match op % 15 {
        9 => crate::command::leave::Leave {
            application_id: app(a)?,
            kindergarten_id: kg(b)?,
            date: state.policy().calendar.local_date(at),
            reason: crate::model::LeaveReason::Moved,
            at,
        }
        .into(),
        10 => crate::command::leave::RollOver {
            kindergarten_id: kg(a)?,
            academic_year: 2025 + i16::from(b % 3),
            at,
        }
        .into(),
        11 => crate::command::transfer::RequestTransfer {
            application_id: app(a)?,
            preferences: [b, c]
                .iter()
                .filter_map(|x| kg(*x))
                .map(|k| k.to_string())
                .collect(),
            at,
        }
        .into(),
        12 => {
            let x = state
                .exchanges()
                .nth(usize::from(a) % state.exchanges().count().max(1))?;
            let member = x
                .offer
                .moves
                .get(usize::from(b) % x.offer.moves.len().max(1))?;
            crate::command::exchange::ConfirmExchange {
                exchange_id: x.offer.exchange_id.clone(),
                application_id: member.application_id.clone(),
                at,
            }
            .into()
        }
        13 => crate::command::correction::ClaimLate {
            application_id: app(a)?,
            category: (*["large_family", "military", "orphan"].get(usize::from(b % 3))?).to_owned(),
            documents: vec!["benefit_proof".to_owned()],
            at,
        }
        .into(),
        _ => crate::command::transfer::WithdrawTransfer {
            application_id: app(a)?,
            at,
        }
        .into(),
    })
}

/// An imported application picked by bytes `[a, b, c]`.
fn import(now: Timestamp, n: u32, [a, b, c]: [u8; 3]) -> Option<Import> {
    let small = |x: u8| i8::try_from(x).unwrap_or(0);
    let birth = jiff::civil::date(
        2021 + i16::from(b % 5),
        1 + small(c % 12),
        1 + small(a % 28),
    );
    let iin = Iin::compose(birth, c % 2 == 0, u16::from(a) * 37 + u16::from(b))?;
    let preferences: Vec<KindergartenId> = [b, c]
        .iter()
        .filter_map(|x| kg(*x))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let categories = ["none", "large_family", "military", "orphan"];
    let row = ApplicationRow {
        line: 2,
        application_id: ApplicationId::parse(&format!("A{n}")).ok()?,
        child_iin: iin,
        birth_date: birth,
        registered_at: now
            .checked_sub(Span::new().hours(i64::from(c)))
            .unwrap_or(now),
        district: district()?,
        language: if a % 2 == 0 {
            Language::Kk
        } else {
            Language::Ru
        },
        category: categories
            .get(usize::from(c % 4))
            .and_then(|c| Category::parse(c))
            .filter(|c| c.as_str() != "none"),
        preferences,
    };
    Some(Import { row })
}

/// Seats stay within capacity, reserved seats equal open referrals, every queued child has a
/// queue number and nobody else has one.
fn check_invariants(state: &State) {
    for (k, kg) in state.kindergartens() {
        for g in &kg.groups {
            assert!(g.enrolled + g.reserved <= g.capacity, "over capacity");
            let open = state
                .referrals()
                .filter(|(_, r)| r.status.is_open() && r.kindergarten == k && r.group == g.id)
                .count();
            assert_eq!(
                g.reserved as usize, open,
                "reserved seats differ from open referrals"
            );
            assert!(
                g.children.len() <= g.enrolled as usize,
                "more named children than enrolled seats"
            );
            for c in &g.children {
                assert_eq!(
                    state.place(*c).map(|(p, gid, _)| (p, gid)),
                    Some((k, g.id.clone())),
                    "a named child is not where its group says"
                );
            }
        }
    }
    for (a, app) in state.applications() {
        assert_eq!(
            state.queue_number(a).is_some(),
            app.status == AppStatus::Queued,
            "queue number of a non-queued child"
        );
    }
}

/// A key (`k`) and a stand-in for opening sealed values in fuzzed bytes.
struct One;

impl crate::sealed::Opener for One {
    fn key(&self, id: &str) -> Option<[u8; 32]> {
        (id == "k").then_some([7; 32])
    }
    fn stand_in(&self, _: &str) -> Option<Iin> {
        crate::sealed::stand_in_from(0).map(|(_, iin)| iin)
    }
}

/// The public journal's two directions on arbitrary payloads: redaction leaves no string
/// that reads as an IIN, and putting stand-ins back into whatever a public record holds
/// gives an error or an event a state applies or refuses — never a panic; nor does opening
/// the sealed values the bytes may hold.
///
/// # Panics
/// When not: what the fuzzer looks for.
pub fn public_record(data: &[u8]) {
    use crate::public::{redact, Rehydrate};
    use serde_json::Value;
    fn no_iin(v: &Value) {
        match v {
            Value::String(s) => assert!(Iin::parse(s).is_err(), "{s} published"),
            Value::Array(items) => items.iter().for_each(no_iin),
            Value::Object(map) => map.values().for_each(no_iin),
            _ => {}
        }
    }
    let cutoff = crate::model::Cutoff { month: 9, day: 1 };
    let secret = "5e".repeat(32);
    let raw = serde_json::from_slice::<Value>(data).ok();
    let kind = raw
        .as_ref()
        .and_then(|v| v.get("kind")?.as_str())
        .unwrap_or_default()
        .to_owned();
    let public = redact(&kind, data, &secret, cutoff);
    no_iin(&public);
    // Sealed values in whatever the bytes hold open, stand in or fail, never panic.
    if let Some(v) = &raw {
        let _ = crate::sealed::open(v.clone(), cutoff, &One);
    }
    let mut rehydrate = Rehydrate::new(cutoff);
    for payload in [Some(public), raw].into_iter().flatten() {
        if let Ok(event) = rehydrate.event(payload) {
            let mut state = State::new(Policy::kz_2013());
            let _ = state.apply(crate::model::Seq::new(1), &event);
        }
    }
}
