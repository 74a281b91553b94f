//! Walking one cohort queue: per tier, a k-way merge over the (kindergarten, tier) lists of
//! the kindergartens with usable seats, so only children who listed such a kindergarten are
//! ever looked at; tiers are merged block by block as the policy says, interleaved pairs
//! slot by slot from the persisted phase.

use super::seats::{Scratch, Seats};
use super::siblings::{self, Proposals};
use super::Newcomer;
use crate::model::{AppIx, KgIx};
use crate::policy::Block;
use crate::queue::interleave::{advance, slot_is_upper};
use crate::queue::order::{Entry, Iter, OrderIndex};
use crate::queue::CohortQueue;
use crate::state::State;
use jiff::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A pick: the child, the kindergarten and the group index there.
pub(super) type Pick = (AppIx, KgIx, usize);

/// Children of one tier who listed a kindergarten with seats, in queue order.
struct Stream<'a> {
    /// Per list: the slot of its kindergarten, and where it stands.
    lists: Vec<(usize, Iter<'a>)>,
    /// The next child of each list, smallest first.
    heap: BinaryHeap<Reverse<(Entry, usize)>>,
}

impl<'a> Stream<'a> {
    /// The stream of tier `tier`; `extra` is a list of one child not in the queue yet.
    fn new(
        queue: &'a CohortQueue,
        tier: usize,
        seats: &Seats,
        extra: Option<&'a OrderIndex>,
    ) -> Self {
        let mut s = Stream {
            lists: Vec::new(),
            heap: BinaryHeap::new(),
        };
        let lists = seats
            .kindergartens
            .iter()
            .enumerate()
            .filter_map(|(slot, k)| Some((slot, queue.tier_at(*k, tier)?)));
        // The extra list's slot only says when to stop advancing it: it has one child.
        for (slot, list) in lists.chain(extra.map(|one| (0, one))) {
            let mut it = list.iter();
            if let Some(e) = it.next() {
                s.heap.push(Reverse((*e, s.lists.len())));
                s.lists.push((slot, it));
            }
        }
        s
    }
}

/// One cohort queue's walk.
pub(super) struct Walk<'a> {
    /// The state before the round.
    pub state: &'a State,
    /// The seats of this cohort queue.
    pub seats: Seats,
    /// The round's scratch memory.
    pub scratch: &'a mut Scratch,
    /// When the round runs (stop lists end then).
    pub at: Timestamp,
    /// The child being registered, if the round is its registration's.
    pub newcomer: Option<&'a Newcomer<'a>>,
    /// The picks so far.
    pub picks: Vec<Pick>,
    /// Who goes ahead where, when the policy gives siblings priority.
    pub boosts: Option<&'a super::siblings::Boosts>,
}

impl<'a> Walk<'a> {
    /// The preferences of child `a`, unless a stop list keeps it from a seat now.
    fn preferences(&self, a: AppIx) -> Option<&'a [KgIx]> {
        if let Some(n) = self.newcomer.filter(|n| n.entry.app() == a) {
            return Some(n.preferences);
        }
        let app = self.state.application(a)?;
        if app.stopped_until.is_some_and(|t| t > self.at) {
            return None;
        }
        Some(&app.preferences)
    }

    /// The sibling child `a` goes together with in this round: a joint application whose
    /// halves both wait in this queue.
    fn partner(&self, a: AppIx) -> Option<AppIx> {
        if let Some(n) = self.newcomer {
            if n.entry.app() == a {
                return n.partner.filter(|p| {
                    self.state.application(*p).is_some_and(|x| {
                        x.status == crate::model::AppStatus::Queued
                            && (x.district, x.cohort, x.language)
                                == (n.queue.district, n.queue.cohort, n.queue.language)
                    })
                });
            }
            if n.partner == Some(a) {
                return Some(n.entry.app());
            }
        }
        self.state.waiting_partner(a)
    }

    /// Two seats at the first kindergarten of the later sibling `second`'s preferences that
    /// `first` listed too and that has two left (lowest group ids first): the kindergarten and
    /// the groups of `first` and `second`. None when either is kept from a seat now.
    fn take_two(&mut self, first: AppIx, second: AppIx) -> Option<(KgIx, usize, usize)> {
        let theirs = self.preferences(first)?;
        let ours = self.preferences(second)?;
        let k = ours.iter().copied().find(|k| {
            theirs.contains(k)
                && self
                    .scratch
                    .slot(*k)
                    .is_some_and(|s| self.seats.left_in(s) >= 2)
        })?;
        let slot = self.scratch.slot(k)?;
        let a = self.seats.take(slot)?;
        let b = self.seats.take(slot)?;
        Some((k, a, b))
    }

    /// Takes a seat at the child's first preference that has one.
    fn take(&mut self, preferences: &[KgIx]) -> Option<(KgIx, usize)> {
        for k in preferences {
            let Some(slot) = self.scratch.slot(*k).filter(|s| self.seats.has_left(*s)) else {
                continue;
            };
            if let Some(gi) = self.seats.take(slot) {
                return Some((*k, gi));
            }
        }
        None
    }

    /// The next child of the stream who can take a seat now; the seat is taken.
    fn next_viable(&mut self, s: &mut Stream<'_>) -> Option<Pick> {
        while self.seats.total > 0 {
            let Reverse((e, list)) = s.heap.pop()?;
            if let Some((slot, it)) = s.lists.get_mut(list) {
                if self.seats.has_left(*slot) {
                    if let Some(n) = it.next() {
                        s.heap.push(Reverse((*n, list)));
                    }
                }
            }
            let a = e.app();
            if !self.scratch.first_visit(a) {
                continue;
            }
            if self.partner(a).is_some() {
                // The first of a joint pair waits for the second; the second takes both seats.
                match Proposals::joint_pick(self, a) {
                    Some(pick) => return Some(pick),
                    None => continue,
                }
            }
            let Some(preferences) = self.preferences(a) else {
                continue;
            };
            if let Some((k, gi)) = self.take(preferences) {
                return Some((a, k, gi));
            }
        }
        None
    }

    /// Walks `queue` block by block (`extra`: a child not in the queue yet and its tier);
    /// returns the phases that changed.
    pub fn walk_queue(
        &mut self,
        queue: &CohortQueue,
        extra: Option<(usize, &OrderIndex)>,
    ) -> Vec<(usize, u32)> {
        let stream = |walk: &Self, tier: usize| {
            let one = extra.filter(|(t, _)| *t == tier).map(|(_, one)| one);
            Stream::new(queue, tier, &walk.seats, one)
        };
        let mut changed = Vec::new();
        for (bi, block) in self.state.policy().blocks.iter().enumerate() {
            if self.seats.total == 0 {
                break;
            }
            match *block {
                Block::Strict(t) => {
                    if let Some(boosts) = self.boosts {
                        let one = extra.filter(|(x, _)| *x == t).map(|(_, one)| one);
                        siblings::walk_tier(self, queue, (t, one), boosts);
                        continue;
                    }
                    let mut s = stream(self, t);
                    while let Some(pick) = self.next_viable(&mut s) {
                        self.picks.push(pick);
                    }
                }
                Block::Pair { upper, p, g } => {
                    let mut streams = [stream(self, upper), stream(self, upper + 1)];
                    let start = queue.phase(bi);
                    let phase = self.walk_pair(&mut streams, (p, g), start);
                    if phase != start {
                        changed.push((bi, phase));
                    }
                }
            }
        }
        changed
    }

    /// Walks an interleaved pair of tiers slot by slot from `phase`; the phase after.
    fn walk_pair(
        &mut self,
        [upper, lower]: &mut [Stream<'_>; 2],
        (p, g): (u32, u32),
        mut phase: u32,
    ) -> u32 {
        // Whether the upper and the lower tier have nobody left who can take a seat.
        let mut done = (false, false);
        while self.seats.total > 0 && !(done.0 && done.1) {
            let (own, own_done, other, other_done) = if slot_is_upper(p, phase) {
                (&mut *upper, &mut done.0, &mut *lower, &mut done.1)
            } else {
                (&mut *lower, &mut done.1, &mut *upper, &mut done.0)
            };
            if !*own_done {
                if let Some(pick) = self.next_viable(own) {
                    self.picks.push(pick);
                    phase = advance(p, g, phase);
                    continue;
                }
                *own_done = true;
            }
            match self.next_viable(other) {
                Some(pick) => self.picks.push(pick),
                None => *other_done = true,
            }
        }
        phase
    }
}

impl<'a> Proposals<'a> for Walk<'a> {
    fn preferences_of(&self, a: AppIx) -> Option<&'a [KgIx]> {
        self.preferences(a)
    }

    fn partner_of(&self, a: AppIx) -> Option<AppIx> {
        self.partner(a)
    }

    fn joint_pick(&mut self, a: AppIx) -> Option<Pick> {
        let p = self.partner(a)?;
        if !self.scratch.seen(p) {
            return None;
        }
        let (k, first, second) = self.take_two(p, a)?;
        self.picks.push((p, k, first));
        Some((a, k, second))
    }

    fn parts(&mut self) -> (&mut Seats, &mut Scratch, &mut Vec<Pick>) {
        (&mut self.seats, self.scratch, &mut self.picks)
    }
}
