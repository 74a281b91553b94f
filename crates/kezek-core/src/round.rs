//! The allocation round (DESIGN.md): for each cohort queue with free seats, walk the merged
//! order lazily; each child gets its highest preference with a free seat in a group of its
//! age and language (lowest group id first), or is skipped and consumes no slot. Serial
//! dictatorship over the fair order.
//!
//! Only children who listed a kindergarten that has a usable free seat are ever looked at:
//! per tier, a k-way merge over the (kindergarten, tier) lists of those kindergartens, so a
//! round costs O(k log n) for the k children walked.

use crate::command::{conflict, ground, not_found, CommandError, Outcome};
use crate::event::{Event, IssuedReferral, PhaseChange, RoundRecord};
use crate::ids::{DistrictId, ReferralId, RoundId};
use crate::interleave::{advance, slot_is_upper};
use crate::order::Entry;
use crate::policy::Block;
use crate::queue::{CohortQueue, QueueKey};
use crate::state::State;
use crate::types::Language;
use jiff::Timestamp;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Free seats of one cohort queue: per kindergarten, (group index, free) in group-id order.
#[derive(Default)]
struct Seats {
    by_kindergarten: FxHashMap<u32, Vec<(usize, u32)>>,
    total: u64,
}

impl Seats {
    fn has(&self, k: u32) -> bool {
        self.by_kindergarten
            .get(&k)
            .is_some_and(|g| g.iter().any(|(_, f)| *f > 0))
    }

    /// Takes a seat at the first preference that has one: (kindergarten, group index).
    fn take(&mut self, preferences: &[u32]) -> Option<(u32, usize)> {
        for k in preferences {
            if let Some(groups) = self.by_kindergarten.get_mut(k) {
                if let Some((gi, free)) = groups.iter_mut().find(|(_, f)| *f > 0) {
                    *free -= 1;
                    self.total -= 1;
                    return Some((*k, *gi));
                }
            }
        }
        None
    }
}

type EntryIter<'a> = Box<dyn Iterator<Item = &'a Entry> + 'a>;

/// Children of one tier who listed a kindergarten with seats, in queue order.
struct Stream<'a> {
    lists: Vec<(u32, EntryIter<'a>)>,
    heap: BinaryHeap<Reverse<(Entry, usize)>>,
}

impl<'a> Stream<'a> {
    fn new(queue: &'a CohortQueue, tier: usize, kindergartens: &[u32]) -> Self {
        let mut s = Stream {
            lists: Vec::new(),
            heap: BinaryHeap::new(),
        };
        for k in kindergartens {
            if let Some(list) = queue.tier_at(*k, tier) {
                let mut it: EntryIter<'a> = Box::new(list.iter());
                if let Some(e) = it.next() {
                    s.heap.push(Reverse((*e, s.lists.len())));
                    s.lists.push((*k, it));
                }
            }
        }
        s
    }
}

/// One cohort queue's walk.
struct Walk<'a> {
    state: &'a State,
    seats: Seats,
    seen: FxHashSet<u32>,
    at: Timestamp,
    picks: Vec<(u32, u32, usize)>,
}

impl Walk<'_> {
    /// The next child of the stream who can take a seat now; the seat is taken.
    fn next_viable(&mut self, s: &mut Stream<'_>) -> Option<(u32, u32, usize)> {
        while self.seats.total > 0 {
            let Reverse((e, slot)) = s.heap.pop()?;
            let (k, it) = &mut s.lists[slot];
            if self.seats.has(*k) {
                if let Some(n) = it.next() {
                    s.heap.push(Reverse((*n, slot)));
                }
            }
            if !self.seen.insert(e.app) {
                continue;
            }
            let app = &self.state.applications[e.app as usize];
            if app.stopped_until.is_some_and(|t| t > self.at) {
                continue;
            }
            if let Some((k, gi)) = self.seats.take(&app.preferences) {
                return Some((e.app, k, gi));
            }
        }
        None
    }
}

impl State {
    /// Runs a staff-triggered round over a district: ages out first, then allocates.
    pub(crate) fn run_round(
        &mut self,
        round_id: RoundId,
        district: &DistrictId,
        year: Option<i16>,
        at: Timestamp,
        out: &mut Outcome,
    ) -> Result<(), CommandError> {
        self.check_round_id(&round_id)?;
        let d = *self
            .district_index
            .get(district)
            .ok_or_else(|| not_found("district", district))?;
        let year = year.unwrap_or_else(|| {
            self.policy
                .cutoff
                .academic_year_of(self.policy.calendar.local_date(at))
        });
        if !(1900..=2200).contains(&year) {
            return Err(CommandError::Invalid(vec![ground(
                "academic_year",
                "invalid_academic_year",
                "must be between 1900 and 2200",
            )]));
        }
        for e in self.decide_age_out(d, year, at) {
            self.emit(out, e)?;
        }
        let record = self.allocate(round_id, d, year, at, None);
        self.emit(out, Event::RoundRun(Box::new(record)))
    }

    /// Runs the round of one cohort queue (a registration met a free seat); journaled only
    /// when it issued referrals.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_cohort_round(
        &mut self,
        round_id: RoundId,
        d: u32,
        year: i16,
        cohort: i16,
        language: Language,
        at: Timestamp,
        out: &mut Outcome,
    ) -> Result<(), CommandError> {
        self.check_round_id(&round_id)?;
        let record = self.allocate(round_id, d, year, at, Some((cohort, language)));
        if record.referrals.is_empty() {
            return Ok(());
        }
        self.emit(out, Event::RoundRun(Box::new(record)))
    }

    fn check_round_id(&self, id: &RoundId) -> Result<(), CommandError> {
        if id.as_str().len() > 24 {
            return Err(CommandError::Invalid(vec![ground(
                "round_id",
                "round_id_too_long",
                "at most 24 characters",
            )]));
        }
        if self.round_index.contains_key(id) {
            return Err(conflict(
                "round_id_taken",
                format!("round id {id} is already used"),
            ));
        }
        Ok(())
    }

    /// The age-out events of a district for an academic year, in queue-key order.
    pub(crate) fn decide_age_out(&self, d: u32, year: i16, at: Timestamp) -> Vec<Event> {
        let mut keys: Vec<&QueueKey> = self
            .queues
            .keys()
            .filter(|k| k.district == d && i32::from(year - k.cohort) >= self.policy.max_age)
            .collect();
        keys.sort();
        let mut entries: Vec<Entry> = Vec::new();
        for k in keys {
            let q = &self.queues[k];
            for t in 0..self.policy.tiers.len() {
                entries.extend(q.tier(t).iter().copied());
            }
        }
        entries.sort();
        entries
            .into_iter()
            .map(|e| Event::AgedOut {
                application_id: self.applications[e.app as usize].id.clone(),
                academic_year: year,
                at,
            })
            .collect()
    }

    /// Decides a round without changing the state.
    pub(crate) fn allocate(
        &self,
        round_id: RoundId,
        d: u32,
        year: i16,
        at: Timestamp,
        scope: Option<(i16, Language)>,
    ) -> RoundRecord {
        let mut by_queue: BTreeMap<(i16, Language), Seats> = BTreeMap::new();
        let mut free_before = 0u64;
        for &k in &self.districts[d as usize].kindergartens {
            for (gi, g) in self.kindergartens[k as usize].groups.iter().enumerate() {
                let free = g.free();
                free_before += u64::from(free);
                let usable =
                    free > 0 && g.age_years >= 0 && i32::from(g.age_years) < self.policy.max_age;
                let key = (year - g.age_years, g.language);
                if !usable || scope.is_some_and(|s| s != key) {
                    continue;
                }
                let seats = by_queue.entry(key).or_default();
                seats.by_kindergarten.entry(k).or_default().push((gi, free));
                seats.total += u64::from(free);
            }
        }
        let mut picks = Vec::new();
        let mut phases = Vec::new();
        for ((cohort, language), seats) in by_queue {
            let Some(queue) = self.queues.get(&QueueKey {
                district: d,
                cohort,
                language,
            }) else {
                continue;
            };
            let mut walk = Walk {
                state: self,
                seats,
                seen: FxHashSet::default(),
                at,
                picks: Vec::new(),
            };
            for (bi, phase) in self.walk_queue(queue, &mut walk) {
                phases.push(PhaseChange {
                    cohort,
                    language,
                    block: bi,
                    phase,
                });
            }
            picks.extend(walk.picks);
        }
        let expires_at = self
            .policy
            .calendar
            .deadline(at, self.policy.referral.confirm_working_days);
        let referrals: Vec<IssuedReferral> = picks
            .iter()
            .enumerate()
            .map(|(n, (a, k, gi))| {
                let kg = &self.kindergartens[*k as usize];
                IssuedReferral {
                    referral_id: ReferralId::parse(&format!("{round_id}-{}", n + 1))
                        .unwrap_or_else(|_| unreachable!("round ids are at most 24 characters")),
                    application_id: self.applications[*a as usize].id.clone(),
                    kindergarten_id: kg.id.clone(),
                    group_id: kg.groups[*gi].id.clone(),
                    expires_at,
                }
            })
            .collect();
        RoundRecord {
            round_id,
            district: self.districts[d as usize].id.clone(),
            academic_year: year,
            ran_at: at,
            scope,
            free_seats_left: free_before - referrals.len() as u64,
            referrals,
            phases,
        }
    }

    /// Walks one cohort queue block by block; returns the phases that changed.
    fn walk_queue(&self, queue: &CohortQueue, walk: &mut Walk<'_>) -> Vec<(usize, u32)> {
        let mut kgs: Vec<u32> = walk.seats.by_kindergarten.keys().copied().collect();
        kgs.sort_unstable();
        let mut changed = Vec::new();
        for (bi, block) in self.policy.blocks.iter().enumerate() {
            if walk.seats.total == 0 {
                break;
            }
            match *block {
                Block::Strict(t) => {
                    let mut s = Stream::new(queue, t, &kgs);
                    while let Some(pick) = walk.next_viable(&mut s) {
                        walk.picks.push(pick);
                    }
                }
                Block::Pair { upper, p, g } => {
                    let mut streams = [
                        Stream::new(queue, upper, &kgs),
                        Stream::new(queue, upper + 1, &kgs),
                    ];
                    let start = queue.phase(bi);
                    let mut phase = start;
                    let mut done = [false, false];
                    while walk.seats.total > 0 && !(done[0] && done[1]) {
                        let slot = usize::from(!slot_is_upper(p, phase));
                        if !done[slot] {
                            if let Some(pick) = walk.next_viable(&mut streams[slot]) {
                                walk.picks.push(pick);
                                phase = advance(p, g, phase);
                                continue;
                            }
                            done[slot] = true;
                        }
                        let other = 1 - slot;
                        match walk.next_viable(&mut streams[other]) {
                            Some(pick) => walk.picks.push(pick),
                            None => done[other] = true,
                        }
                    }
                    if phase != start {
                        changed.push((bi, phase));
                    }
                }
            }
        }
        changed
    }
}
