//! A naive model of the queue: sorts and merges from scratch on every query, allocates by
//! scanning. The fast structures must agree with it exactly.

use kezek_core::model::{AppIx, AppStatus, DistrictIx, KgIx, Language};
use kezek_core::policy::Block;
use kezek_core::Policy;
use kezek_core::State;
use std::collections::{BTreeMap, BTreeSet};

/// Queued children of one cohort queue, grouped by tier, each tier sorted by (time, seq).
pub fn tiers_of(s: &State, district: DistrictIx, cohort: i16, lang: Language) -> Vec<Vec<AppIx>> {
    let mut tiers = vec![Vec::new(); s.policy().tiers.len()];
    for (i, a) in s.applications() {
        if a.status == AppStatus::Queued
            && a.district == district
            && a.cohort == cohort
            && a.language == lang
        {
            tiers[usize::from(a.tier)].push(i);
        }
    }
    for t in &mut tiers {
        t.sort_by_key(|i| {
            let a = s.application(*i).unwrap();
            (a.registered_at, a.seq)
        });
    }
    tiers
}

/// The merged order of `docs/rules.md`, walked slot by slot from the persisted phase.
pub fn merged(policy: &Policy, tiers: &[Vec<AppIx>], phase: impl Fn(usize) -> u32) -> Vec<AppIx> {
    let mut out = Vec::new();
    for (bi, b) in policy.blocks.iter().enumerate() {
        match *b {
            Block::Strict(t) => out.extend(&tiers[t]),
            Block::Pair { upper, p, g } => {
                let (us, ls) = (&tiers[upper], &tiers[upper + 1]);
                let (mut u, mut l, mut ph) = (0, 0, phase(bi));
                while u < us.len() || l < ls.len() {
                    let take_upper = if ph < p { u < us.len() } else { l >= ls.len() };
                    if take_upper {
                        out.push(us[u]);
                        u += 1;
                    } else {
                        out.push(ls[l]);
                        l += 1;
                    }
                    ph = (ph + 1) % (p + g);
                }
            }
        }
    }
    out
}

/// Place (1-based) and `ahead` by tier of `a` in `order` restricted by `keep`.
pub fn place(
    s: &State,
    order: &[AppIx],
    a: AppIx,
    keep: impl Fn(AppIx) -> bool,
) -> (usize, Vec<usize>) {
    let mut ahead = vec![0; s.policy().tiers.len()];
    for x in order.iter().copied().filter(|x| keep(*x)) {
        if x == a {
            return (ahead.iter().sum::<usize>() + 1, ahead);
        }
        ahead[usize::from(s.application(x).unwrap().tier)] += 1;
    }
    unreachable!("child not in its own queue")
}

/// The usable groups (kindergarten, group index) of child `a` in `year`, in preference order.
pub fn usable(s: &State, a: AppIx, year: i16) -> Vec<(KgIx, usize)> {
    let app = s.application(a).unwrap();
    let age = year - app.cohort;
    let mut out = Vec::new();
    if i32::from(age) >= s.policy().max_age || age < 0 {
        return out;
    }
    for k in &app.preferences {
        for (gi, g) in s.kindergarten(*k).unwrap().groups.iter().enumerate() {
            if g.age_years == age && g.language == app.language {
                out.push((*k, gi));
            }
        }
    }
    out
}

/// The sibling `a` goes together with: its joint application's other half, while both wait
/// in one queue.
pub fn partner(s: &State, a: AppIx) -> Option<AppIx> {
    let sibling = s.partner(a)?;
    let (mine, theirs) = (s.application(a)?, s.application(sibling)?);
    let both_queued = mine.status == AppStatus::Queued && theirs.status == AppStatus::Queued;
    let key = |x: &kezek_core::state::Application| (x.district, x.cohort, x.language);
    (both_queued && key(mine) == key(theirs)).then_some(sibling)
}

type Picks = Vec<(AppIx, KgIx, usize)>;
type Phases = Vec<(i16, Language, usize, u32)>;

/// Referrals a round in `district` would issue, by scanning the merged order from the start
/// for every seat.
pub fn allocate(
    s: &State,
    district: DistrictIx,
    year: i16,
    at: jiff::Timestamp,
) -> (Picks, Phases) {
    let mut free: BTreeMap<(KgIx, usize), u32> = BTreeMap::new();
    let mut cohorts = BTreeSet::new();
    for &k in &s.district(district).unwrap().kindergartens {
        for (gi, g) in s.kindergarten(k).unwrap().groups.iter().enumerate() {
            if g.free() > 0 && g.age_years >= 0 && i32::from(g.age_years) < s.policy().max_age {
                free.insert((k, gi), g.free());
                cohorts.insert((year - g.age_years, g.language));
            }
        }
    }
    let (mut picks, mut phases) = (Vec::new(), Vec::new());
    for (cohort, lang) in cohorts {
        let tiers = tiers_of(s, district, cohort, lang);
        let mut taken = BTreeSet::new();
        // The first half of a joint pair met, waiting for the second.
        let mut waiting: BTreeSet<AppIx> = BTreeSet::new();
        let stopped = |a: AppIx| {
            s.application(a)
                .unwrap()
                .stopped_until
                .is_some_and(|x| x > at)
        };
        let mut first = |t: usize,
                         free: &mut BTreeMap<(KgIx, usize), u32>,
                         taken: &mut BTreeSet<AppIx>|
         -> Option<Vec<(AppIx, KgIx, usize)>> {
            for a in &tiers[t] {
                if taken.contains(a) || waiting.contains(a) {
                    continue;
                }
                if let Some(p) = partner(s, *a) {
                    if !waiting.contains(&p) {
                        waiting.insert(*a);
                        continue;
                    }
                    // The second half: two seats at the first kindergarten both listed
                    // (in its order) that has two free in its groups, or neither.
                    waiting.insert(*a);
                    if stopped(*a) || stopped(p) {
                        continue;
                    }
                    let theirs = &s.application(p).unwrap().preferences;
                    let ours = &s.application(*a).unwrap().preferences;
                    for k in ours.iter().filter(|k| theirs.contains(k)) {
                        let groups: Vec<_> = usable(s, *a, year)
                            .into_iter()
                            .filter(|(kk, _)| kk == k)
                            .collect();
                        let seats: u32 = groups
                            .iter()
                            .map(|g| free.get(g).copied().unwrap_or(0))
                            .sum();
                        if seats >= 2 {
                            let mut pair = Vec::new();
                            for who in [p, *a] {
                                let hit = *groups
                                    .iter()
                                    .find(|g| free.get(*g).is_some_and(|f| *f > 0))
                                    .unwrap();
                                *free.get_mut(&hit).unwrap() -= 1;
                                taken.insert(who);
                                pair.push((who, hit.0, hit.1));
                            }
                            return Some(pair);
                        }
                    }
                    continue;
                }
                if stopped(*a) {
                    continue;
                }
                let cohort_groups: Vec<_> = usable(s, *a, year)
                    .into_iter()
                    .filter(|kg| free.get(kg).is_some_and(|f| *f > 0))
                    .collect();
                if let Some(hit) = cohort_groups.first() {
                    *free.get_mut(hit).unwrap() -= 1;
                    taken.insert(*a);
                    return Some(vec![(*a, hit.0, hit.1)]);
                }
            }
            None
        };
        for (bi, b) in s.policy().blocks.iter().enumerate() {
            match *b {
                Block::Strict(t) => {
                    while let Some(pk) = first(t, &mut free, &mut taken) {
                        picks.extend(pk);
                    }
                }
                Block::Pair { upper, p, g } => {
                    let start = s.phase(district, cohort, lang, bi);
                    let mut ph = start;
                    loop {
                        let slot = if ph < p { upper } else { upper + 1 };
                        let other = if slot == upper { upper + 1 } else { upper };
                        if let Some(pk) = first(slot, &mut free, &mut taken) {
                            picks.extend(pk);
                            ph = (ph + 1) % (p + g);
                        } else if let Some(pk) = first(other, &mut free, &mut taken) {
                            picks.extend(pk);
                        } else {
                            break;
                        }
                    }
                    if ph != start {
                        phases.push((cohort, lang, bi, ph));
                    }
                }
            }
        }
    }
    // Then the transfer requests, in the policy's order, with the seats left: each takes the
    // first group it could use (its kindergartens in order, groups by id).
    let mut waiting: Vec<_> = s
        .transfers()
        .filter(|(a, t)| {
            t.referral.is_none()
                && s.open_exchange_of(*a).is_none()
                && s.application(*a).unwrap().district == district
        })
        .map(|(a, t)| {
            let key = match s.policy().transfer.order {
                kezek_core::policy::TransferOrder::RequestTime => t.requested_at,
                kezek_core::policy::TransferOrder::RegistrationTime => {
                    s.application(a).unwrap().registered_at
                }
            };
            (key, a)
        })
        .collect();
    waiting.sort();
    for (_, a) in waiting {
        let app = s.application(a).unwrap();
        let age = year - app.cohort;
        let hit = s
            .transfer(a)
            .unwrap()
            .preferences
            .iter()
            .flat_map(|k| {
                s.kindergarten(*k)
                    .unwrap()
                    .groups
                    .iter()
                    .enumerate()
                    .filter(move |(_, g)| g.age_years == age && g.language == app.language)
                    .map(move |(gi, _)| (*k, gi))
            })
            .find(|kg| free.get(kg).is_some_and(|f| *f > 0));
        if let Some(hit) = hit {
            *free.get_mut(&hit).unwrap() -= 1;
            picks.push((a, hit.0, hit.1));
        }
    }
    (picks, phases)
}

/// The kindergartens where child `a` has a brother or sister enrolled (a child of the same
/// applicant), among those it listed: found by looking at every application.
pub fn sibling_at(s: &State, a: AppIx) -> Vec<KgIx> {
    let app = s.application(a).unwrap();
    let Some(family) = app.applicant.as_ref().map(|x| x.iin) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (b, other) in s.applications() {
        if b == a || other.district != app.district {
            continue;
        }
        if other.applicant.as_ref().map(|x| x.iin) != Some(family) {
            continue;
        }
        if let Some((k, _, _)) = s.place(b) {
            if app.preferences.contains(&k) && !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// Deferred acceptance (children proposing) where every group ranks children by (tier,
/// time, seq) and holds its best `free` proposers; with `siblings`, each kindergarten ranks
/// the children with a sibling enrolled there ahead of the rest of their tier.
pub fn deferred_acceptance_with(
    s: &State,
    district: DistrictIx,
    year: i16,
    at: jiff::Timestamp,
    siblings: bool,
) -> BTreeSet<(AppIx, KgIx, usize)> {
    let mut cap: BTreeMap<(KgIx, usize), u32> = BTreeMap::new();
    for &k in &s.district(district).unwrap().kindergartens {
        for (gi, g) in s.kindergarten(k).unwrap().groups.iter().enumerate() {
            cap.insert((k, gi), g.free());
        }
    }
    let ahead: BTreeMap<AppIx, Vec<KgIx>> = s
        .applications()
        .filter(|(_, x)| siblings && x.status == AppStatus::Queued)
        .map(|(a, _)| (a, sibling_at(s, a)))
        .collect();
    let rank = |a: AppIx, k: KgIx| {
        let x = s.application(a).unwrap();
        let behind = !ahead.get(&a).is_some_and(|ks| ks.contains(&k));
        (x.tier, behind, x.registered_at, x.seq)
    };
    let children: Vec<AppIx> = s
        .applications()
        .map(|(a, _)| a)
        .filter(|a| {
            let x = s.application(*a).unwrap();
            x.status == AppStatus::Queued
                && x.district == district
                && x.stopped_until.is_none_or(|t| t <= at)
        })
        .collect();
    let lists: BTreeMap<AppIx, Vec<(KgIx, usize)>> =
        children.iter().map(|a| (*a, usable(s, *a, year))).collect();
    let mut next: BTreeMap<AppIx, usize> = children.iter().map(|a| (*a, 0)).collect();
    let mut held: BTreeMap<(KgIx, usize), Vec<AppIx>> = BTreeMap::new();
    let mut free_children: Vec<AppIx> = children.clone();
    while let Some(a) = free_children.pop() {
        let i = next[&a];
        let Some(gr) = lists[&a].get(i).copied() else {
            continue;
        };
        *next.get_mut(&a).unwrap() += 1;
        let h = held.entry(gr).or_default();
        h.push(a);
        h.sort_by_key(|x| rank(*x, gr.0));
        if h.len() > cap[&gr] as usize {
            free_children.push(h.pop().unwrap());
        }
    }
    held.into_iter()
        .flat_map(|(gr, v)| v.into_iter().map(move |a| (a, gr.0, gr.1)))
        .collect()
}

/// A move of an exchange: the child, and the kindergarten and group index it gets.
pub type Move = (AppIx, KgIx, usize);

/// The exchange cycles among the waiting transfer requests of `district`, by the textbook
/// top trading cycles: every child left points at the seat it wants most among the other
/// children's (itself when none); all cycles of an iteration leave together (the self-loops
/// keep their seats); repeat. Each cycle rotated to start at its earliest request.
pub fn exchange_cycles(
    s: &State,
    district: DistrictIx,
    year: i16,
    busy: &BTreeSet<AppIx>,
) -> BTreeSet<Vec<Move>> {
    let order_key = |a: AppIx| {
        let t = s.transfer(a).unwrap();
        match s.policy().transfer.order {
            kezek_core::policy::TransferOrder::RequestTime => t.requested_at,
            kezek_core::policy::TransferOrder::RegistrationTime => {
                s.application(a).unwrap().registered_at
            }
        }
    };
    let mut agents: Vec<AppIx> = s
        .transfers()
        .map(|(a, _)| a)
        .filter(|a| {
            let t = s.transfer(*a).unwrap();
            t.referral.is_none()
                && s.open_exchange_of(*a).is_none()
                && !busy.contains(a)
                && s.application(*a).unwrap().district == district
                && s.application(*a).unwrap().status == AppStatus::Enrolled
        })
        .collect();
    agents.sort_by_key(|a| (order_key(*a), *a));
    let seat = |a: AppIx| {
        let r = s
            .referral_at(s.application(a).unwrap().referral.unwrap())
            .unwrap();
        let gi = s
            .kindergarten(r.kindergarten)
            .unwrap()
            .groups
            .iter()
            .position(|g| g.id == r.group)
            .unwrap();
        (r.kindergarten, gi)
    };
    let rank: BTreeMap<AppIx, usize> = agents.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut cycles = BTreeSet::new();
    while !agents.is_empty() {
        let target = |a: AppIx, left: &[AppIx]| -> AppIx {
            let app = s.application(a).unwrap();
            let age = year - app.cohort;
            for k in &s.transfer(a).unwrap().preferences {
                for (gi, g) in s.kindergarten(*k).unwrap().groups.iter().enumerate() {
                    if g.age_years != age || g.language != app.language {
                        continue;
                    }
                    if let Some(b) = left.iter().find(|b| **b != a && seat(**b) == (*k, gi)) {
                        return *b;
                    }
                }
            }
            a
        };
        let points: BTreeMap<AppIx, AppIx> =
            agents.iter().map(|a| (*a, target(*a, &agents))).collect();
        let mut leaving = BTreeSet::new();
        for a in &agents {
            // Follow the pointers; if they come back to `a`, `a` is on a cycle.
            let mut cur = points[a];
            let mut steps = 0;
            while cur != *a && steps <= agents.len() {
                cur = points[&cur];
                steps += 1;
            }
            if cur != *a {
                continue;
            }
            let mut cycle = vec![*a];
            let mut next = points[a];
            while next != *a {
                cycle.push(next);
                next = points[&next];
            }
            leaving.extend(cycle.iter().copied());
            if cycle.len() > 1 {
                let first = (0..cycle.len()).min_by_key(|i| rank[&cycle[*i]]).unwrap();
                cycle.rotate_left(first);
                cycles.insert(
                    cycle
                        .iter()
                        .map(|m| {
                            let (k, gi) = seat(points[m]);
                            (*m, k, gi)
                        })
                        .collect(),
                );
            }
        }
        agents.retain(|a| !leaving.contains(a));
    }
    cycles
}
