//! A round in the world, checked: the naive walk of the model gives the same referrals and
//! phases, deferred acceptance the same matching (kz-2013, without joint applications), and
//! nobody is skipped for someone behind — a joint application's children counting at the
//! place of the later of the two.

use super::{d1, World, YEAR};
use crate::model;
use jiff::Timestamp;
use kezek_core::command::round::RunRound;
use kezek_core::model::{AppIx, AppStatus, DistrictId, KgIx, Language};
use kezek_core::{Event, State};
use std::collections::BTreeSet;

impl World {
    pub(super) fn round(&mut self, at: Timestamp) {
        let s = &self.state;
        let (picks, phases) = model::allocate(s, d1(s), YEAR, at);
        let busy: BTreeSet<AppIx> = picks
            .iter()
            .map(|(a, _, _)| *a)
            .filter(|a| s.application(*a).unwrap().status == AppStatus::Enrolled)
            .collect();
        let cycles = model::exchange_cycles(s, d1(s), YEAR, &busy);
        let normal = |c: &[(AppIx, KgIx, usize)]| {
            let mut c = c.to_vec();
            let first = (0..c.len()).min_by_key(|i| c[*i].0).unwrap_or(0);
            c.rotate_left(first);
            c
        };
        let cycles: BTreeSet<_> = cycles.iter().map(|c| normal(c)).collect();
        let siblings = self.policy.siblings.priority;
        let da = model::deferred_acceptance_with(s, d1(s), YEAR, at, siblings);
        // Who is ahead where, before the round (for the check of justified envy).
        let ahead: std::collections::BTreeMap<AppIx, Vec<KgIx>> = s
            .applications()
            .filter(|_| siblings)
            .map(|(a, _)| (a, model::sibling_at(s, a)))
            .collect();
        let before_order = full_order(s);
        // The halves of joint applications waiting together before the round, each with its
        // sibling.
        let paired: std::collections::BTreeMap<AppIx, AppIx> = s
            .applications()
            .filter_map(|(a, _)| Some((a, model::partner(s, a)?)))
            .collect();
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
        let offered: BTreeSet<Vec<(AppIx, KgIx, usize)>> = record
            .exchanges
            .iter()
            .map(|x| {
                let moves: Vec<_> = x
                    .moves
                    .iter()
                    .map(|m| {
                        let a = s.application_index(&m.application_id).unwrap();
                        let k = s.kindergarten_index(&m.to.0).unwrap();
                        let gi = s
                            .kindergarten(k)
                            .unwrap()
                            .groups
                            .iter()
                            .position(|g| g.id == m.to.1)
                            .unwrap();
                        (a, k, gi)
                    })
                    .collect();
                normal(&moves)
            })
            .collect();
        assert_eq!(
            offered, cycles,
            "exchanges differ from the top trading cycles"
        );
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
        if siblings {
            // Deferred acceptance, not one walk: the referrals as a set, checked below.
            let mut sorted = got.clone();
            sorted.sort_unstable();
            let mut expected = picks.clone();
            expected.sort_unstable();
            if paired.is_empty() && ahead.values().all(Vec::is_empty) {
                assert_eq!(sorted, expected, "with nobody ahead, the naive walk");
            }
        } else {
            assert_eq!(got, picks, "round differs from the naive walk");
        }
        let got_phases: Vec<_> = record
            .phases
            .iter()
            .map(|p| (p.cohort, p.language, p.block, p.phase))
            .collect();
        assert_eq!(got_phases, phases);
        // The transfers' referrals: only seats no queued child could use.
        let transfers: Vec<(AppIx, KgIx, usize)> = got
            .iter()
            .zip(&record.referrals)
            .filter(|(_, r)| r.transfer)
            .map(|(g, _)| *g)
            .collect();
        assert!(
            record
                .referrals
                .iter()
                .skip_while(|r| !r.transfer)
                .all(|r| r.transfer),
            "transfers come after every queued child"
        );
        for (i, a) in s.applications() {
            // A child waiting jointly takes two seats or none: a single seat it could use
            // may go to a transfer.
            if a.status != AppStatus::Queued
                || a.stopped_until.is_some_and(|t| t > at)
                || paired.contains_key(&i)
            {
                continue;
            }
            let usable = model::usable(s, i, YEAR);
            for (_, k, gi) in &transfers {
                assert!(
                    !usable.contains(&(*k, *gi)),
                    "a transfer took a seat a queued child could use"
                );
            }
        }
        let got: Vec<(AppIx, KgIx, usize)> = got
            .iter()
            .zip(&record.referrals)
            .filter(|(_, r)| !r.transfer)
            .map(|(g, _)| *g)
            .collect();
        if (self.policy.name == "kz-2013" || siblings) && paired.is_empty() {
            assert_eq!(
                got.iter().copied().collect::<BTreeSet<_>>(),
                da,
                "round differs from deferred acceptance"
            );
        }
        // Nobody is skipped for a seat they could use in favour of someone behind them.
        let place = |x: AppIx| before_order.iter().position(|y| *y == x);
        // Where a child was considered: a joint application's children at the later one's place.
        let considered = |y: AppIx| match paired.get(&y) {
            Some(p) if place(*p) > place(y) => *p,
            _ => y,
        };
        for (i, a) in s.applications() {
            let waiting_alone = !paired.contains_key(&i);
            if a.status != AppStatus::Queued
                || a.stopped_until.is_some_and(|t| t > at)
                || !waiting_alone
            {
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
                if siblings && usable.contains(&(*k, *gi)) {
                    // No justified envy: whoever holds a seat this child could use ranks
                    // ahead of it at that kindergarten (tier, then sibling, then time).
                    let rank = |z: AppIx| {
                        let x = s.application(z).unwrap();
                        let behind = !ahead.get(&z).is_some_and(|ks| ks.contains(k));
                        (x.tier, behind, x.registered_at, x.seq)
                    };
                    let joint = paired.contains_key(y);
                    assert!(
                        joint || rank(*y) < rank(i),
                        "{y:?} holds a seat {i:?} ranks ahead for"
                    );
                    continue;
                }
                if usable.contains(&(*k, *gi)) {
                    let y = &considered(*y);
                    let (ya, xa) = (s.application(*y).unwrap(), a);
                    let strict_ahead = place(*y) < place(i);
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

pub(crate) fn full_order(s: &State) -> Vec<AppIx> {
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
