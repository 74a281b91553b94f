//! Sibling priority (`[siblings] priority`): a child with a brother or sister enrolled at a
//! kindergarten — a child of the same applicant — is ordered ahead of the rest of its tier
//! there. Each kindergarten then has its own order, so a round is deferred acceptance
//! rather than one walk of the merged order. The policy allows it with strict tiers only:
//! a higher tier is served before a lower one wherever it goes, so each tier's deferred
//! acceptance runs on the seats the tiers above it left.
//!
//! Within a tier the children come in queue order (McVitie–Wilson: the same matching as
//! the textbook's rounds of proposals). Each goes down its kindergartens, groups by id:
//! it takes a free seat; or the seat of the holder there who ranks last at that
//! kindergarten (not ahead before ahead, then later in the queue) when it ranks before that
//! holder — who then goes on down its own list from there. A child in its turn came after
//! every holder, so it takes a seat back only where it is ahead; a child sent on may take
//! one back from a child who came after it. A joint
//! application's seats are taken as the walk takes them (both at once, two free seats) and
//! never taken back.

use super::seats::{Scratch, Seats};
use super::Newcomer;
use crate::model::{AppIx, DistrictIx, Iin, KgIx};
use crate::queue::order::{Entry, OrderIndex};
use crate::queue::CohortQueue;
use crate::state::State;
use rustc_hash::FxHashMap;

/// The kindergartens each queued child of a district has a sibling enrolled at, among the
/// ones it listed.
#[derive(Debug, Default)]
pub struct Boosts(FxHashMap<AppIx, Vec<KgIx>>);

impl Boosts {
    /// Whether child `a` is ahead at kindergarten `k`.
    #[must_use]
    pub fn ahead_at(&self, a: AppIx, k: KgIx) -> bool {
        self.0.get(&a).is_some_and(|ks| ks.contains(&k))
    }

    /// Whether child `a` is ahead anywhere.
    #[must_use]
    pub fn any(&self, a: AppIx) -> bool {
        self.0.contains_key(&a)
    }
}

impl State {
    /// Who goes ahead where in `district` — with `newcomer`, the child being registered, who
    /// is not in the state yet: one pass over its applications (only when the policy gives
    /// siblings priority).
    #[must_use]
    pub fn sibling_boosts(&self, district: DistrictIx, newcomer: Option<&Newcomer<'_>>) -> Boosts {
        let mut enrolled: FxHashMap<Iin, Vec<KgIx>> = FxHashMap::default();
        for (a, app) in self.applications() {
            if app.district != district {
                continue;
            }
            if let (Some(applicant), Some((k, _, _))) = (&app.applicant, self.place(a)) {
                enrolled.entry(applicant.iin).or_default().push(k);
            }
        }
        let mut boosts = Boosts::default();
        if enrolled.is_empty() {
            return boosts;
        }
        let queued = self
            .applications()
            .filter(|(_, app)| {
                app.district == district && app.status == crate::model::AppStatus::Queued
            })
            .map(|(a, app)| (a, app.applicant.as_ref().map(|x| x.iin), &*app.preferences));
        let newcomer = newcomer.map(|n| (n.entry.app(), n.applicant, n.preferences));
        for (a, applicant, preferences) in queued.chain(newcomer) {
            let Some(at) = applicant.and_then(|x| enrolled.get(&x)) else {
                continue;
            };
            let ks: Vec<KgIx> = preferences
                .iter()
                .copied()
                .filter(|k| at.contains(k))
                .collect();
            if !ks.is_empty() {
                boosts.0.insert(a, ks);
            }
        }
        boosts
    }
}

impl State {
    /// The kindergartens queued child `a` goes ahead at, for its page: those it listed where
    /// a child of the same applicant is enrolled (none unless the policy gives siblings
    /// priority). One pass over the applications.
    #[must_use]
    pub fn sibling_priority_at(&self, a: AppIx) -> Vec<KgIx> {
        let Some(app) = self.application(a) else {
            return Vec::new();
        };
        let family = app.applicant.as_ref().map(|x| x.iin);
        if !self.policy().siblings.priority
            || family.is_none()
            || app.status != crate::model::AppStatus::Queued
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (b, other) in self.applications() {
            if b == a || other.district != app.district {
                continue;
            }
            if other.applicant.as_ref().map(|x| x.iin) != family {
                continue;
            }
            if let Some((k, _, _)) = self.place(b) {
                if app.preferences.contains(&k) && !out.contains(&k) {
                    out.push(k);
                }
            }
        }
        out
    }
}

/// A seat held in this tier: the child, its key in the queue, and whether it may be taken
/// back (a single child; a joint application's are not).
#[derive(Debug, Clone, Copy)]
struct Held {
    app: AppIx,
    key: Entry,
    pick: usize,
    movable: bool,
}

/// A pick: the child, the kindergarten and the group index there.
type Pick = (AppIx, KgIx, usize);

/// What deferred acceptance asks of the round's walk of a cohort queue (`walk::Walk`): the
/// children's lists and joint applications as the walk sees them, and its seats, scratch
/// memory and picks.
pub(super) trait Proposals<'s> {
    /// The preferences of child `a`, unless a stop list keeps it from a seat now.
    fn preferences_of(&self, a: AppIx) -> Option<&'s [KgIx]>;
    /// The sibling child `a` goes together with in this round, if any.
    fn partner_of(&self, a: AppIx) -> Option<AppIx>;
    /// For a joint application's child: nothing while its sibling comes later; else both
    /// seats (the sibling's pick pushed, this child's returned) or none.
    fn joint_pick(&mut self, a: AppIx) -> Option<Pick>;
    /// The seats, the scratch memory and the picks so far.
    fn parts(&mut self) -> (&mut Seats, &mut Scratch, &mut Vec<Pick>);
}

/// Deferred acceptance within strict tier `tier` of `queue` (`extra`: a child not in the
/// queue yet, of this tier), on the seats the tiers above left.
pub(super) fn walk_tier<'s>(
    walk: &mut impl Proposals<'s>,
    queue: &CohortQueue,
    (tier, extra): (usize, Option<&OrderIndex>),
    boosts: &Boosts,
) {
    let empty = OrderIndex::default();
    let mut own = queue.tier(tier).unwrap_or(&empty).iter().peekable();
    let mut one = extra.map(|x| x.iter().peekable());
    let first_pick = walk.parts().2.len();
    let mut held: FxHashMap<(KgIx, usize), Vec<Held>> = FxHashMap::default();
    let mut taken_back: Vec<bool> = Vec::new();
    loop {
        // The next child of the tier in queue order, the newcomer in its place.
        let from_extra = match (own.peek(), one.as_mut().and_then(|o| o.peek())) {
            (Some(a), Some(b)) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        let next = if from_extra {
            one.as_mut().and_then(Iterator::next)
        } else {
            own.next()
        };
        let Some(e) = next.copied() else { break };
        let a = e.app();
        let joint = walk.partner_of(a).is_some();
        let (seats, scratch, picks) = walk.parts();
        // With no seat left only a child ahead somewhere can still get one.
        if seats.total == 0 && !boosts.any(a) && !joint {
            continue;
        }
        if !scratch.first_visit(a) {
            continue;
        }
        let before = picks.len();
        if joint {
            if let Some(pick) = walk.joint_pick(a) {
                walk.parts().2.push(pick);
            }
            let picks = &*walk.parts().2;
            for (i, &(x, k, gi)) in picks.iter().enumerate().skip(before) {
                held.entry((k, gi)).or_default().push(Held {
                    app: x,
                    key: e,
                    pick: i,
                    movable: false,
                });
                taken_back.push(false);
            }
            continue;
        }
        let mut proposer = Some((a, e, None));
        while let Some((who, key, after)) = proposer.take() {
            let Some(prefs) = walk.preferences_of(who) else {
                break;
            };
            let (seats, scratch, picks) = walk.parts();
            let Some((k, gi, out)) =
                propose((seats, scratch), (who, key, prefs, after), &held, boosts)
            else {
                break;
            };
            let pick = picks.len();
            picks.push((who, k, gi));
            taken_back.push(false);
            let list = held.entry((k, gi)).or_default();
            if let Some(out) = out {
                list.retain(|h| h.app != out.app);
                if let Some(t) = taken_back.get_mut(out.pick - first_pick) {
                    *t = true;
                }
                proposer = Some((out.app, out.key, Some((k, gi))));
            }
            list.push(Held {
                app: who,
                key,
                pick,
                movable: true,
            });
        }
    }
    // The seats taken back leave the picks; the rest keep the order they were taken in.
    let mut i = 0;
    walk.parts().2.retain(|_| {
        let keep = i < first_pick || !taken_back.get(i - first_pick).copied().unwrap_or(false);
        i += 1;
        keep
    });
}

/// Where `who` (its key in the queue: `key`) goes down its list `prefs` (kindergartens in
/// order, groups by id), from just after `after` when it was sent on from there: the
/// kindergarten, the group, and the child whose seat it takes back, if it does — the holder
/// there who ranks last at that kindergarten (not ahead before ahead, then later in the
/// queue), when `who` ranks before it. A child proposing in queue order came after every
/// holder, so it takes a seat back only where it is ahead; a child sent on came before some.
fn propose(
    (seats, scratch): (&mut Seats, &Scratch),
    (who, key, prefs, after): (AppIx, Entry, &[KgIx], Option<(KgIx, usize)>),
    held: &FxHashMap<(KgIx, usize), Vec<Held>>,
    boosts: &Boosts,
) -> Option<(KgIx, usize, Option<Held>)> {
    let mut passed = after.is_none();
    for k in prefs {
        let Some(slot) = scratch.slot(*k) else {
            continue;
        };
        let groups: Vec<(usize, u32)> = seats.groups.get(slot)?.clone();
        for (gi, free) in groups {
            if !passed {
                passed = after == Some((*k, gi));
                continue;
            }
            if free > 0 {
                take_in(seats, slot, gi);
                return Some((*k, gi, None));
            }
            let rank = |a: AppIx, e: Entry| (!boosts.ahead_at(a, *k), e);
            let out = held.get(&(*k, gi)).and_then(|list| {
                list.iter()
                    .filter(|h| h.movable)
                    .max_by_key(|h| rank(h.app, h.key))
                    .copied()
            });
            if let Some(out) = out.filter(|h| rank(who, key) < rank(h.app, h.key)) {
                return Some((*k, gi, Some(out)));
            }
        }
    }
    None
}

/// Takes a seat of group `gi` in slot `slot`.
fn take_in(seats: &mut Seats, slot: usize, gi: usize) {
    if let Some(g) = seats
        .groups
        .get_mut(slot)
        .and_then(|gs| gs.iter_mut().find(|(g, _)| *g == gi))
    {
        g.1 -= 1;
        if let Some(left) = seats.left.get_mut(slot) {
            *left -= 1;
        }
        seats.total -= 1;
    }
}
