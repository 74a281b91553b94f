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
mod world;

use kezek_core::model::{AppStatus, Language, ReferralStatus, Seq};
use kezek_core::queue::QueueKey;
use kezek_core::{Policy, State};
use proptest::prelude::*;

use world::{d1, op, probe, registration, run_probes, Op, World, YEAR};

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
            // The listing of the queue in merged order, whole and a page at a time.
            let key = QueueKey {
                district: d1(s),
                cohort,
                language: lang,
            };
            if let Some(q) = s.queue(&key) {
                let listed: Vec<_> = q
                    .merged(s.policy(), 0, usize::MAX)
                    .iter()
                    .map(|(_, e)| e.app())
                    .collect();
                assert_eq!(listed, order, "merged listing of {cohort} {lang:?}");
                for (from, limit) in [
                    (0, 3),
                    (1, 2),
                    (3, 5),
                    (order.len() / 2, 7),
                    (order.len(), 3),
                ] {
                    let page: Vec<_> = q
                        .merged(s.policy(), from, limit)
                        .iter()
                        .map(|(_, e)| e.app())
                        .collect();
                    let want: Vec<_> = order.iter().skip(from).take(limit).copied().collect();
                    assert_eq!(page, want, "page {from}+{limit} of {cohort} {lang:?}");
                }
            } else {
                assert!(order.is_empty());
            }
        }
    }
    for (i, a) in s.applications() {
        if a.status != AppStatus::Queued {
            assert_eq!(s.queue_number(i), None);
        }
    }
    check_claims(s);
}

/// The claims index answers as a scan of the applications would: per district and claim
/// state, the applications in progress with when each was claimed, oldest first; and the
/// overdue counts at several moments.
fn check_claims(s: &State) {
    use kezek_core::model::ClaimStatus;
    for (d, _) in s.districts() {
        for status in [
            ClaimStatus::None,
            ClaimStatus::Pending,
            ClaimStatus::Verified,
            ClaimStatus::Rejected,
        ] {
            let mut scanned: Vec<_> = s
                .applications()
                .filter(|(_, a)| a.district == d && a.claim == status && a.status.is_active())
                .map(|(i, a)| (i, s.claimed_at(i).unwrap_or(a.registered_at)))
                .collect();
            if status == ClaimStatus::None {
                scanned.clear();
            }
            scanned.sort_by_key(|(i, at)| (*at, *i));
            let indexed: Vec<_> = s.claims_in(d, status).collect();
            assert_eq!(indexed, scanned, "claims {status:?} of {d:?}");
        }
        let p = s.policy();
        for days in [0, 2, 5, 30, 400] {
            let now = jiff::Timestamp::from_second(1_788_000_000 + days * 86_400).unwrap();
            let overdue = s
                .applications()
                .filter(|(_, a)| {
                    a.district == d && a.claim == ClaimStatus::Pending && a.status.is_active()
                })
                .filter(|(i, a)| {
                    let at = s.claimed_at(*i).unwrap_or(a.registered_at);
                    p.calendar.deadline(at, p.claim_check_working_days) < now
                })
                .count();
            assert_eq!(
                s.overdue_claims_in(d, now),
                overdue,
                "overdue at +{days} days"
            );
            // The open referrals by deadline, as a scan of every referral finds them.
            let mut open: Vec<_> = s
                .referrals()
                .filter(|(_, r)| r.status.is_open() && r.expires_at <= now)
                .map(|(i, r)| (r.expires_at, i))
                .collect();
            open.sort_unstable();
            let indexed: Vec<_> = s
                .open_referrals_until(now)
                .map(|(i, r)| (r.expires_at, i))
                .collect();
            assert_eq!(indexed, open, "open referrals until +{days} days");
        }
        // The district's queued children counted from its cohort queues, as a scan counts.
        let mut queued = std::collections::BTreeMap::new();
        for (_, a) in s
            .applications()
            .filter(|(_, a)| a.district == d && a.status == AppStatus::Queued)
        {
            *queued
                .entry((YEAR - a.cohort, a.language, usize::from(a.tier)))
                .or_insert(0u64) += 1;
        }
        assert_eq!(s.district_stats(d, YEAR).queued, queued, "queued of {d:?}");
        // The weeks' figures from the day counters, as a scan counts them.
        let cal = &s.policy().calendar;
        for days in [0, 3, 40] {
            let now = jiff::Timestamp::from_second(1_788_000_000 + days * 86_400).unwrap();
            let today = cal.local_date(now);
            for w in s.district_weeks(d, now, 6) {
                let end = w.starts.checked_add(jiff::Span::new().days(6)).unwrap();
                let within = |at: jiff::Timestamp| {
                    let day = cal.local_date(at);
                    day >= w.starts && day <= end && day <= today
                };
                let registrations = s
                    .applications()
                    .filter(|(_, a)| a.district == d && within(a.registered_at))
                    .count() as u64;
                let referrals = s
                    .referrals()
                    .filter(|(_, r)| {
                        s.kindergarten(r.kindergarten).unwrap().district == d && within(r.issued_at)
                    })
                    .count() as u64;
                assert_eq!(
                    (w.registrations, w.referrals),
                    (registrations, referrals),
                    "the week of {} in {d:?}",
                    w.starts
                );
            }
        }
    }
}

pub(crate) fn check_seats(s: &State) {
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
            let named = g.children.len();
            assert!(
                named <= g.enrolled as usize,
                "every named child holds one of the group's enrolled seats"
            );
        }
    }
    for (ri, r) in s.referrals() {
        if r.status.is_open() {
            *open_per_app.entry(r.app).or_insert(0) += 1;
            if r.transfer {
                // A transfer's referral: the child keeps its seat meanwhile.
                assert_eq!(s.application(r.app).unwrap().status, AppStatus::Enrolled);
                assert_eq!(s.transfer(r.app).unwrap().referral, Some(ri));
            } else {
                assert_eq!(s.application(r.app).unwrap().status, AppStatus::Referred);
            }
        }
        if r.status == ReferralStatus::Enrolled {
            let status = s.application(r.app).unwrap().status;
            assert!(
                matches!(status, AppStatus::Enrolled | AppStatus::Left),
                "an admitted child is enrolled or has left, not {status:?}"
            );
        }
    }
    assert!(
        open_per_app.values().all(|n| *n == 1),
        "a child holds two referrals"
    );
    for (a, t) in s.transfers() {
        assert_eq!(
            s.application(a).unwrap().status,
            AppStatus::Enrolled,
            "only an enrolled child asks to transfer"
        );
        if let Some(r) = t.referral {
            assert!(
                s.referral_at(r).unwrap().status.is_open(),
                "its referral is open"
            );
        }
    }
}

pub(crate) fn snapshot(s: &State) -> String {
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
    // What `kezek verify` does: every round decided again on the state just before it.
    let mut replayed = State::new(policy);
    for (seq, e) in &w.events {
        apply_checked(&mut replayed, (*seq, e), "the journal");
    }
    assert_eq!(snapshot(&replayed), snapshot(&w.state), "replay differs");
    // The encoding is canonical: the same state, however it was built, gives the same bytes
    // (a state's digest — what a node proves its state with — is the digest of these).
    assert_eq!(
        replayed.to_snapshot().unwrap(),
        w.state.to_snapshot().unwrap(),
        "replay encodes differently"
    );
    // Every round's certificate: nobody passed over for a seat it could use that was left
    // free or given to a child ranked after it; each cut-off the place of the last child
    // the round referred to that group.
    for (c, r) in w.state.round_certificates().iter().zip(w.state.rounds()) {
        assert!(
            c.envy.is_empty(),
            "round {} certifies justified envy for {:?}",
            c.round_id,
            c.envy
        );
        let from_queue = r.referrals.iter().filter(|x| !x.transfer).count();
        let counted: u32 = c.groups.iter().map(|g| g.referred).sum();
        assert_eq!(counted as usize, from_queue, "round {}", c.round_id);
        assert!(c.groups.iter().all(|g| g.cutoff >= g.referred));
    }
    check_explanations(&w);
    check_snapshots(&w);
    check_forecasts(&w);
    check_public(&w);
    check_sealed(&w);
}

/// The public journal replays: each event redacted as it is published, the stand-ins put
/// back, applied in order, every round decided again from the public state with the same
/// result; at the end every application has the status, queue number and places it has in
/// the private state, and the referrals are the same. No IIN of the world is published, and
/// an event without personal data comes back as it was.
fn check_public(w: &World) {
    use kezek_core::public::{redact, Rehydrate};
    let secret = "5e".repeat(32);
    let cutoff = w.policy.cutoff;
    let iins: Vec<String> = w
        .state
        .applications()
        .flat_map(|(_, a)| {
            let parent = a.applicant.as_ref().map(|p| p.iin.to_string());
            std::iter::once(a.child_iin.to_string()).chain(parent)
        })
        .collect();
    let mut public = State::new(w.policy.clone());
    let mut rehydrate = Rehydrate::new(cutoff);
    for (seq, e) in &w.events {
        let private = serde_json::to_value(e).unwrap();
        let redacted = redact(e.kind(), &serde_json::to_vec(e).unwrap(), &secret, cutoff);
        let text = redacted.to_string();
        for iin in &iins {
            assert!(
                !text.contains(iin.as_str()),
                "{iin} published at {seq}: {text}"
            );
        }
        let untouched = redacted == private;
        let event = rehydrate.event(redacted).unwrap();
        if untouched {
            assert_eq!(&event, e, "record {seq} comes back changed");
        }
        apply_checked(&mut public, (*seq, &event), "the public records");
    }
    assert_same_queues(w, &public, "the public records");
}

/// Every queued child's estimate counts, per kindergarten it listed, the referrals the
/// journal's rounds issued there to its cohort and language in each of the last four
/// quarters, and makes days of its place at the busiest and slowest quarter's pace.
fn check_forecasts(w: &World) {
    use kezek_core::forecast::{days_for, QUARTER_DAYS};
    let s = &w.state;
    for (a, app) in s.applications() {
        let got = s.forecast(a, w.now, YEAR);
        if app.status != AppStatus::Queued {
            assert!(got.is_empty());
            continue;
        }
        let positions = s.positions(a, YEAR);
        assert_eq!(got.len(), positions.len());
        for (est, place) in got.iter().zip(&positions) {
            let mut seats = [0u32; 4];
            for (_, e) in &w.events {
                let kezek_core::Event::RoundRun(round) = e else {
                    continue;
                };
                let back = (w.now.as_second() - round.ran_at.as_second()).div_euclid(86_400);
                if round.ran_at > w.now || back >= 4 * QUARTER_DAYS {
                    continue;
                }
                for issued in &round.referrals {
                    let x = s.application_by_id(&issued.application_id).unwrap().1;
                    let k = s.kindergarten_index(&issued.kindergarten_id).unwrap();
                    if k == place.kindergarten
                        && x.cohort == app.cohort
                        && x.language == app.language
                    {
                        seats[usize::try_from(back / QUARTER_DAYS).unwrap()] += 1;
                    }
                }
            }
            assert_eq!(
                (est.kindergarten, est.position, est.seats),
                (place.kindergarten, place.position, seats)
            );
            let (max, min) = (*seats.iter().max().unwrap(), *seats.iter().min().unwrap());
            assert_eq!(est.earliest_days, days_for(place.position, max));
            assert_eq!(est.latest_days, days_for(place.position, min));
        }
    }
}

/// A state restored from a snapshot taken half-way through the journal, with the rest of
/// the journal applied, is the state the whole journal built — queues, logs and the
/// indexes a snapshot does not hold but builds again; so is one restored at the end.
fn check_snapshots(w: &World) {
    let half = w.events.len() / 2;
    let mut early = State::new(w.policy.clone());
    for (seq, e) in w.events.iter().take(half) {
        early.apply(*seq, e).unwrap();
    }
    let mut restored = State::from_snapshot(&early.to_snapshot().unwrap()).unwrap();
    assert_eq!(
        snapshot(&restored),
        snapshot(&early),
        "restored half-way differs"
    );
    for (seq, e) in w.events.iter().skip(half) {
        restored.apply(*seq, e).unwrap();
    }
    assert_eq!(
        snapshot(&restored),
        snapshot(&w.state),
        "restored, then applied, differs"
    );
    assert_eq!(
        queue_logs(&restored),
        queue_logs(&w.state),
        "queue logs differ"
    );
    assert_eq!(
        restored.to_snapshot().unwrap(),
        w.state.to_snapshot().unwrap(),
        "restored, then applied, encodes differently"
    );
    check_queue(&restored);
    check_seats(&restored);
    let at_end = State::from_snapshot(&w.state.to_snapshot().unwrap()).unwrap();
    assert_eq!(
        snapshot(&at_end),
        snapshot(&w.state),
        "restored at the end differs"
    );
    assert_eq!(
        queue_logs(&at_end),
        queue_logs(&w.state),
        "queue logs differ"
    );
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
            // Step by step, newest first: each step starts where the one before it (in time)
            // ended, and the newest ends at today's number.
            let mut steps = Vec::new();
            w.state
                .explain_each(a, Seq::new(since), &mut |s| steps.push(s));
            if let Some(newest) = steps.first() {
                assert_eq!(i64::try_from(newest.after).unwrap(), now, "{a}: {steps:?}");
            }
            for pair in steps.windows(2) {
                assert!(pair[0].seq > pair[1].seq, "{a}: {steps:?}");
                assert_eq!(pair[0].before, pair[1].after, "{a}: {steps:?}");
            }
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

/// Every cohort queue's log, as text, for comparing two states.
fn queue_logs(s: &State) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for cohort in 2021..=2024 {
        for language in [Language::Kk, Language::Ru] {
            let key = QueueKey {
                district: d1(s),
                cohort,
                language,
            };
            if let Some(q) = s.queue(&key) {
                let log: Vec<_> = q.log().iter().collect();
                writeln!(out, "{cohort} {language:?}: {log:?}").unwrap();
            }
        }
    }
    out
}

/// A city's worth of registrations (imports at earlier times among them, so keys do not
/// arrive in order) and then anything: the journal replayed under a bulk guard, where the
/// children enter their queues in batches, rebuilds the state, queue logs included, that
/// enqueuing each child at once built — and the fast indexes still equal the naive model.
fn run_bulk_replay(policy: Policy, registrations: Vec<Op>, ops: Vec<Op>) {
    let mut w = World::new(policy.clone());
    for op in registrations.into_iter().chain(ops) {
        w.step(op);
    }
    let mut bulk = State::new(policy);
    {
        let mut guard = bulk.bulk();
        for (seq, e) in &w.events {
            guard.apply(*seq, e).unwrap();
        }
    }
    check_queue(&bulk);
    assert_eq!(snapshot(&bulk), snapshot(&w.state), "bulk replay differs");
    assert_eq!(
        bulk.to_snapshot().unwrap(),
        w.state.to_snapshot().unwrap(),
        "bulk replay encodes differently"
    );
    assert_eq!(queue_logs(&bulk), queue_logs(&w.state), "queue logs differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn bulk_replay_equals_one_by_one(
        kz_2020 in any::<bool>(),
        registrations in proptest::collection::vec(registration(), 64..200),
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        let policy = if kz_2020 { Policy::kz_2020() } else { Policy::kz_2013() };
        run_bulk_replay(policy, registrations, ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn kz_2013_matches_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_scenario(Policy::kz_2013(), ops);
    }

    /// With sibling priority every round is deferred acceptance in which each kindergarten
    /// ranks the children with a brother or sister enrolled there ahead of the rest of their
    /// tier: the textbook's matching, and nobody envies a seat justly.
    #[test]
    fn siblings_go_ahead_by_deferred_acceptance(
        ops in proptest::collection::vec(world::sibling_op(), 20..160),
    ) {
        run_scenario(sibling_policy(), ops);
    }

    #[test]
    fn kz_2020_matches_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_scenario(Policy::kz_2020(), ops);
    }

    /// Children seated in full groups who ask to move: no free seat, so the round offers
    /// exchanges, exactly the textbook top trading cycles of the requests; families confirm
    /// (or not) and the seats never change hands otherwise.
    #[test]
    fn exchanges_are_the_top_trading_cycles(
        asks in proptest::collection::vec((0usize..12, proptest::sample::subsequence(vec![0u8, 1, 2, 3], 1..=3).prop_shuffle()), 1..14),
        ops in proptest::collection::vec(world::transfer_op(), 0..60),
    ) {
        let mut w = World::seated(Policy::kz_2013(), 3);
        for (i, prefs) in asks {
            w.ask_transfer(i, &prefs);
        }
        w.step(Op::Round);
        check_seats(&w.state);
        for op in ops {
            w.step(op);
            check_queue(&w.state);
            check_seats(&w.state);
        }
        let mut replayed = State::new(w.policy.clone());
        for (seq, e) in &w.events {
            replayed.apply(*seq, e).unwrap();
        }
        prop_assert_eq!(snapshot(&replayed), snapshot(&w.state));
        check_snapshots(&w);
    }

    /// Children admitted who ask to move: every round still equals the model (queued
    /// children first, then the transfers in the policy's order), and no transfer takes a
    /// seat a queued child could use; under both orders of the requests.
    #[test]
    fn transfers_match_the_model(
        ops in proptest::collection::vec(world::transfer_op(), 20..160),
        by_registration in any::<bool>(),
    ) {
        let policy = if by_registration {
            let text = format!("{}\n[transfer]\norder = \"registration_time\"\n", Policy::kz_2013().source());
            Policy::from_toml(&text).unwrap()
        } else {
            Policy::kz_2013()
        };
        run_scenario(policy, ops);
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

/// Found by `transfers_match_the_model`: an exchange done made each child's move a referral
/// record, and the estimate counted them as seats the kindergartens gave, which they are not.
#[test]
fn an_exchange_gives_no_seat_to_the_estimates() {
    use Op::{Confirm, ConfirmExchange, Decline, Enroll, Round, Transfer, Vacancy};
    let reg = |cohort, prefs: &[u8], cat, import_back| Op::Register {
        cohort,
        ru: false,
        prefs: prefs.to_vec(),
        cat,
        import_back,
    };
    let ops = vec![
        Vacancy(0, 4, 1),
        Vacancy(1, 8, 1),
        reg(2023, &[0], 0, None),
        reg(2024, &[2], 0, None),
        reg(2023, &[1], 0, None),
        reg(2022, &[3], 0, None),
        Vacancy(2, 0, 1),
        reg(2022, &[2], 0, None),
        reg(2022, &[0], 0, None),
        Confirm(642),
        Op::Register {
            cohort: 2021,
            ru: true,
            prefs: vec![3],
            cat: 0,
            import_back: None,
        },
        Vacancy(0, 2, 1),
        Round,
        Enroll(24124),
        Vacancy(3, 7, 1),
        Vacancy(2, 4, 1),
        Decline(13031),
        Round,
        Decline(30191),
        Decline(40821),
        Transfer(18846, vec![0, 3, 2]),
        Confirm(24434),
        Enroll(34266),
        reg(2023, &[1, 3, 2], 1, None),
        Transfer(57542, vec![2, 1]),
        Round,
        ConfirmExchange(21978),
        reg(2023, &[0, 3, 1], 2, Some(1_174_678)),
        ConfirmExchange(27279),
    ];
    run_scenario(Policy::kz_2013(), ops);
}

/// kz-2013 (strict tiers) with sibling priority.
fn sibling_policy() -> Policy {
    let text = format!(
        "{}\n[siblings]\npriority = true\n",
        Policy::kz_2013().source()
    );
    Policy::from_toml(&text).unwrap()
}

/// Personal data sealed per person: every event of the world sealed (no IIN of the world
/// left in the clear), opened with every key to itself; then the persons of finished
/// applications erased through the command on the live state (their keys deleted, a stand-in
/// IIN each), and the journal opened without those keys replays with every round deciding the
/// same, every application with the same status, number and places, and to the very state
/// the erasures left (snapshot bytes).
fn check_sealed(w: &World) {
    use kezek_core::model::Iin;
    use kezek_core::sealed::{open, seal, DataKey, Keyring, Opener};
    use std::collections::BTreeMap;
    #[derive(Default, Clone)]
    struct Ring {
        keys: BTreeMap<Iin, DataKey>,
        nonces: u64,
        children: BTreeMap<String, Iin>,
        applicants: BTreeMap<String, Iin>,
    }
    impl Keyring for Ring {
        fn key_for(&mut self, person: &Iin) -> DataKey {
            let n = self.keys.len();
            self.keys
                .entry(*person)
                .or_insert_with(|| {
                    let mut key = [0u8; 32];
                    key[..8].copy_from_slice(&(n as u64 + 1).to_le_bytes());
                    DataKey {
                        id: format!("k{n}"),
                        key,
                    }
                })
                .clone()
        }
        fn nonce(&mut self) -> [u8; 24] {
            self.nonces += 1;
            let mut nonce = [0u8; 24];
            nonce[..8].copy_from_slice(&self.nonces.to_le_bytes());
            nonce
        }
        fn child_of(&self, application: &str) -> Option<Iin> {
            self.children.get(application).copied()
        }
        fn applicant_of(&self, application: &str) -> Option<Iin> {
            self.applicants.get(application).copied()
        }
    }
    struct Held<'a> {
        keys: BTreeMap<&'a str, [u8; 32]>,
        stand_ins: BTreeMap<&'a str, Iin>,
    }
    impl Opener for Held<'_> {
        fn key(&self, id: &str) -> Option<[u8; 32]> {
            self.keys.get(id).copied()
        }
        fn stand_in(&self, id: &str) -> Option<Iin> {
            self.stand_ins.get(id).copied()
        }
    }
    let cutoff = w.policy.cutoff;
    let mut ring = Ring {
        children: w
            .state
            .applications()
            .map(|(_, a)| (a.id.to_string(), a.child_iin))
            .collect(),
        applicants: w
            .state
            .applications()
            .filter_map(|(_, a)| Some((a.id.to_string(), a.applicant.as_ref()?.iin)))
            .collect(),
        ..Ring::default()
    };
    let sealed: Vec<(Seq, serde_json::Value)> = w
        .events
        .iter()
        .map(|(seq, e)| {
            (
                *seq,
                seal(
                    e.kind(),
                    &serde_json::to_value(e).unwrap(),
                    cutoff,
                    &mut ring,
                ),
            )
        })
        .collect();
    let iins: Vec<String> = ring.keys.keys().map(ToString::to_string).collect();
    let all = Held {
        keys: ring.keys.values().map(|k| (k.id.as_str(), k.key)).collect(),
        stand_ins: BTreeMap::new(),
    };
    for ((seq, v), (_, e)) in sealed.iter().zip(&w.events) {
        let text = v.to_string();
        for iin in &iins {
            assert!(
                !text.contains(iin.as_str()),
                "{iin} in the clear at {seq}: {text}"
            );
        }
        let opened: kezek_core::Event =
            serde_json::from_value(open(v.clone(), cutoff, &all).unwrap()).unwrap();
        assert_eq!(&opened, e, "record {seq} does not open to itself");
    }
    // Erase the persons of every finished application the command lets go, one application
    // at a time, on the live state: the state each erasure leaves must be the state a replay
    // of the sealed records builds once the erased persons' keys are gone.
    let mut live = w.state.clone();
    let mut seq = live.last_seq().next();
    let at: jiff::Timestamp = "2040-01-01T00:00:00Z".parse().unwrap();
    let mut erasures = Vec::new();
    let finished: Vec<_> = w
        .state
        .applications()
        .filter(|(_, a)| !a.status.is_active())
        .map(|(_, a)| a.id.clone())
        .collect();
    for id in finished {
        let key_of = |iin: &Iin| ring.keys.get(iin).map(|k| k.id.clone());
        let erase = kezek_core::command::erase::Erase {
            applications: vec![id],
            reason: kezek_core::event::ErasureReason::Retention,
            basis: "retention".into(),
            at,
            pass_over_needed: false,
        };
        let Ok((events, _)) = erase.decide(&live, &key_of) else {
            continue;
        };
        for e in events {
            live.apply(seq, &e).unwrap();
            erasures.push((seq, e));
            seq = seq.next();
        }
    }
    let mut forgotten = all;
    let mut gone = Vec::new();
    for (_, e) in &erasures {
        let kezek_core::Event::PersonErased(x) = e else {
            unreachable!("the command makes erasures only")
        };
        let (iin, _) = ring.keys.iter().find(|(_, k)| k.id == x.data_key).unwrap();
        gone.push(iin.to_string());
        forgotten.keys.remove(x.data_key.as_str());
        forgotten.stand_ins.insert(x.data_key.as_str(), x.stand_in);
    }
    let mut replayed = State::new(w.policy.clone());
    let records = sealed
        .iter()
        .cloned()
        .chain(erasures.iter().map(|(seq, e)| {
            let v = serde_json::to_value(e).unwrap();
            (*seq, seal(e.kind(), &v, cutoff, &mut ring.clone()))
        }));
    for (seq, v) in records {
        let event: kezek_core::Event =
            serde_json::from_value(open(v.clone(), cutoff, &forgotten).unwrap()).unwrap();
        apply_checked(
            &mut replayed,
            (seq, &event),
            "the sealed records, persons erased",
        );
    }
    assert_same_queues(w, &replayed, "the sealed records, persons erased");
    let (a, b) = (live.to_snapshot().unwrap(), replayed.to_snapshot().unwrap());
    assert!(
        a == b,
        "the state the erasures left differs from the replay of the sealed records without the erased keys"
    );
    // Nothing of an erased person is left in the state.
    let text = String::from_utf8_lossy(&a);
    for iin in &gone {
        assert!(!text.contains(iin.as_str()), "{iin} left in the state");
    }
}

/// Applies `event` (journaled at `seq`) to `state`, deciding a round again first on the
/// state just before it, as `kezek verify` does; `from` says what was replayed.
fn apply_checked(state: &mut State, (seq, event): (Seq, &kezek_core::Event), from: &str) {
    if let kezek_core::Event::RoundRun(r) = event {
        let again = kezek_core::command::round::replan(state, r).unwrap();
        assert_eq!(
            (
                &again.referrals,
                &again.phases,
                again.free_seats_left,
                &again.exchanges
            ),
            (&r.referrals, &r.phases, r.free_seats_left, &r.exchanges),
            "round at {seq} re-runs differently from {from}"
        );
    }
    state.apply(seq, event).unwrap();
}

/// Every application of `w` has the status, queue number and places in `other` it has in
/// the world; the referrals, the rounds and their certificates are the world's; `from` says what `other` was replayed from.
fn assert_same_queues(w: &World, other: &State, from: &str) {
    for (a, app) in w.state.applications() {
        let (b, there) = other.application_by_id(&app.id).unwrap();
        assert_eq!(
            (
                app.status,
                w.state.queue_number(a),
                w.state.positions(a, YEAR)
            ),
            (
                there.status,
                other.queue_number(b),
                other.positions(b, YEAR)
            ),
            "application {} differs in the replay from {from}",
            app.id
        );
    }
    assert_eq!(
        format!("{:?}", other.referrals().collect::<Vec<_>>()),
        format!("{:?}", w.state.referrals().collect::<Vec<_>>()),
        "the referrals differ in the replay from {from}"
    );
    assert_eq!(other.rounds(), w.state.rounds());
    assert_eq!(other.round_certificates(), w.state.round_certificates());
}
