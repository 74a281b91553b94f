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
use crate::order::{Entry, Iter};
use crate::policy::Block;
use crate::queue::{CohortQueue, QueueKey};
use crate::state::State;
use crate::types::Language;
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Free seats of one cohort queue, by a dense slot per kindergarten that has any.
#[derive(Default)]
struct Seats {
    /// Kindergarten index of each slot.
    kindergartens: Vec<u32>,
    /// Per slot: (group index, free) in group-id order.
    groups: Vec<Vec<(usize, u32)>>,
    /// Per slot: free seats left in all its usable groups.
    left: Vec<u32>,
    total: u64,
}

impl Seats {
    fn add(&mut self, slot_of: &mut FxHashMap<u32, usize>, k: u32, gi: usize, free: u32) {
        let slot = *slot_of.entry(k).or_insert_with(|| {
            self.kindergartens.push(k);
            self.groups.push(Vec::new());
            self.left.push(0);
            self.kindergartens.len() - 1
        });
        self.groups[slot].push((gi, free));
        self.left[slot] += free;
        self.total += u64::from(free);
    }
}

/// Per round: kindergarten index -> slot + 1 in the current cohort queue's [`Seats`]
/// (0 = no usable seat), and which children were already looked at.
struct Scratch {
    slot: Vec<u32>,
    seen: Vec<u64>,
}

impl Scratch {
    fn first_visit(&mut self, app: u32) -> bool {
        let (word, bit) = ((app / 64) as usize, 1u64 << (app % 64));
        let fresh = self.seen[word] & bit == 0;
        self.seen[word] |= bit;
        fresh
    }
}

/// Children of one tier who listed a kindergarten with seats, in queue order.
struct Stream<'a> {
    lists: Vec<(usize, Iter<'a>)>,
    heap: BinaryHeap<Reverse<(Entry, usize)>>,
}

impl<'a> Stream<'a> {
    fn new(queue: &'a CohortQueue, tier: usize, seats: &Seats) -> Self {
        let mut s = Stream {
            lists: Vec::new(),
            heap: BinaryHeap::new(),
        };
        for (slot, k) in seats.kindergartens.iter().enumerate() {
            if let Some(list) = queue.tier_at(*k, tier) {
                let mut it = list.iter();
                if let Some(e) = it.next() {
                    s.heap.push(Reverse((*e, s.lists.len())));
                    s.lists.push((slot, it));
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
    scratch: &'a mut Scratch,
    at: Timestamp,
    picks: Vec<(u32, u32, usize)>,
}

impl Walk<'_> {
    /// Takes a seat at the child's first preference that has one.
    fn take(&mut self, preferences: &[u32]) -> Option<(u32, usize)> {
        for k in preferences {
            let slot = self.scratch.slot[*k as usize];
            if slot == 0 || self.seats.left[slot as usize - 1] == 0 {
                continue;
            }
            let slot = slot as usize - 1;
            if let Some((gi, free)) = self.seats.groups[slot].iter_mut().find(|(_, f)| *f > 0) {
                *free -= 1;
                self.seats.left[slot] -= 1;
                self.seats.total -= 1;
                return Some((*k, *gi));
            }
        }
        None
    }

    /// The next child of the stream who can take a seat now; the seat is taken.
    fn next_viable(&mut self, s: &mut Stream<'_>) -> Option<(u32, u32, usize)> {
        while self.seats.total > 0 {
            let Reverse((e, list)) = s.heap.pop()?;
            let (slot, it) = &mut s.lists[list];
            if self.seats.left[*slot] > 0 {
                if let Some(n) = it.next() {
                    s.heap.push(Reverse((*n, list)));
                }
            }
            if !self.scratch.first_visit(e.app()) {
                continue;
            }
            let app = &self.state.applications[e.app() as usize];
            if app.stopped_until.is_some_and(|t| t > self.at) {
                continue;
            }
            if let Some((k, gi)) = self.take(&app.preferences) {
                return Some((e.app(), k, gi));
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

    /// Decides again the round recorded in `record`, on this state (which must be the state
    /// just before it): what an auditor compares with the journaled referrals.
    ///
    /// # Errors
    /// Unknown district, or a round id over 24 characters.
    pub fn replan(&self, record: &RoundRecord) -> Result<RoundRecord, CommandError> {
        if record.round_id.as_str().len() > 24 {
            return Err(CommandError::Invalid(vec![ground(
                "round_id",
                "round_id_too_long",
                "at most 24 characters",
            )]));
        }
        let d = *self
            .district_index
            .get(&record.district)
            .ok_or_else(|| not_found("district", &record.district))?;
        Ok(self.allocate(
            record.round_id.clone(),
            d,
            record.academic_year,
            record.ran_at,
            record.scope,
        ))
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
                application_id: self.applications[e.app() as usize].id.clone(),
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
        let mut by_queue: BTreeMap<(i16, Language), (Seats, FxHashMap<u32, usize>)> =
            BTreeMap::new();
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
                let (seats, slot_of) = by_queue.entry(key).or_default();
                seats.add(slot_of, k, gi, free);
            }
        }
        let mut picks = Vec::new();
        let mut phases = Vec::new();
        let mut scratch = Scratch {
            slot: vec![0; self.kindergartens.len()],
            seen: vec![0; self.applications.len() / 64 + 1],
        };
        for ((cohort, language), (seats, _)) in by_queue {
            let Some(queue) = self.queues.get(&QueueKey {
                district: d,
                cohort,
                language,
            }) else {
                continue;
            };
            for (slot, k) in seats.kindergartens.iter().enumerate() {
                scratch.slot[*k as usize] = slot as u32 + 1;
            }
            let mut walk = Walk {
                state: self,
                seats,
                scratch: &mut scratch,
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
            for k in &walk.seats.kindergartens {
                walk.scratch.slot[*k as usize] = 0;
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
        let mut changed = Vec::new();
        for (bi, block) in self.policy.blocks.iter().enumerate() {
            if walk.seats.total == 0 {
                break;
            }
            match *block {
                Block::Strict(t) => {
                    let mut s = Stream::new(queue, t, &walk.seats);
                    while let Some(pick) = walk.next_viable(&mut s) {
                        walk.picks.push(pick);
                    }
                }
                Block::Pair { upper, p, g } => {
                    let mut streams = [
                        Stream::new(queue, upper, &walk.seats),
                        Stream::new(queue, upper + 1, &walk.seats),
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
