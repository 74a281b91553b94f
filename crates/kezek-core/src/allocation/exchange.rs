//! Exchanges instead of a grey market: among the transfer requests a round could not serve
//! from free seats, the top trading cycles. Each requesting child holds its seat; in the
//! requests' order (the policy's `[transfer] order`), every child points at the seat it wants
//! most among the other children's — its kindergartens in order, a seat in a group of its age
//! and language there (lowest group id first, then the earliest request) — and a child with
//! none to point at drops out. Following the pointers from the earliest child left always
//! closes a cycle; its children are offered to move along it, and leave the search. No free
//! seat and no queued child takes part, so nobody is overtaken.

use crate::model::{AppIx, DistrictIx, KgIx};
use crate::state::State;
use std::collections::BTreeSet;

/// A child's move in a cycle: the child, and the kindergarten and group index of the seat it
/// gets.
pub type Move = (AppIx, KgIx, usize);

/// A child that asked to move, with the seat it holds and the groups it fits.
struct Agent {
    app: AppIx,
    seat: (KgIx, usize),
    age: i16,
    language: crate::model::Language,
}

impl State {
    /// The exchange cycles among the waiting transfer requests of `district` (groups as they
    /// serve `academic_year`), those in `busy` left out; each cycle in its order from its
    /// earliest request.
    #[must_use]
    pub fn exchange_cycles(
        &self,
        district: DistrictIx,
        academic_year: i16,
        busy: &BTreeSet<AppIx>,
    ) -> Vec<Vec<Move>> {
        let agents: Vec<Agent> = self
            .waiting_transfers(district)
            .into_iter()
            .filter(|(a, _)| !busy.contains(a) && self.open_exchange_of(*a).is_none())
            .filter_map(|(a, _)| {
                let (k, group, _) = self.place(a)?;
                let gi = self
                    .kindergarten(k)?
                    .groups
                    .iter()
                    .position(|g| g.id == group)?;
                let app = self.application(a)?;
                Some(Agent {
                    app: a,
                    seat: (k, gi),
                    age: academic_year - app.cohort,
                    language: app.language,
                })
            })
            .collect();
        let mut search = Search::new(agents);
        let mut cycles = Vec::new();
        // From the earliest child left, follow the pointers: a child with nothing to point at
        // leaves (keeping its seat) and the walk starts again; a pointer back into the walk
        // closes a cycle, whose children leave with their moves. Each step removes someone.
        while let Some(start) = search.first_alive() {
            let mut path = vec![start];
            let mut on_path = std::collections::BTreeMap::from([(start, 0usize)]);
            let cycle = loop {
                let Some(last) = path.last().copied() else {
                    break None;
                };
                match self.points_at(&search, last) {
                    None => {
                        search.remove(last);
                        break None;
                    }
                    Some(next) => {
                        if let Some(&at) = on_path.get(&next) {
                            break Some(path.split_off(at));
                        }
                        on_path.insert(next, path.len());
                        path.push(next);
                    }
                }
            };
            let Some(mut cycle) = cycle else {
                continue;
            };
            // From its earliest request.
            if let Some(first) = (0..cycle.len()).min_by_key(|i| cycle.get(*i).copied()) {
                cycle.rotate_left(first);
            }
            let moves: Vec<Move> = cycle
                .iter()
                .filter_map(|&i| {
                    let j = self.points_at(&search, i)?;
                    let (app, to) = (search.agents.get(i)?.app, search.agents.get(j)?.seat);
                    Some((app, to.0, to.1))
                })
                .collect();
            for i in cycle {
                search.remove(i);
            }
            cycles.push(moves);
        }
        cycles
    }

    /// The agent that agent `i` points at: the holder of the seat it wants most.
    fn points_at(&self, search: &Search, i: usize) -> Option<usize> {
        let me = search.agents.get(i)?;
        let transfer = self.transfer(me.app)?;
        transfer.preferences.iter().find_map(|k| {
            let kg = self.kindergarten(*k)?;
            // Lowest group id first (groups are sorted by id), then the earliest request.
            kg.groups.iter().enumerate().find_map(|(gi, g)| {
                if !g.serves(me.age, me.language) {
                    return None;
                }
                search.holder((*k, gi), i)
            })
        })
    }
}

/// The children still in the search, with an index of the seats they hold.
struct Search {
    agents: Vec<Agent>,
    alive: Vec<bool>,
    /// Seat → the agents holding one there, in the requests' order.
    holders: std::collections::HashMap<(KgIx, usize), BTreeSet<usize>>,
}

impl Search {
    fn new(agents: Vec<Agent>) -> Self {
        let mut holders: std::collections::HashMap<(KgIx, usize), BTreeSet<usize>> =
            std::collections::HashMap::new();
        for (i, a) in agents.iter().enumerate() {
            holders.entry(a.seat).or_default().insert(i);
        }
        Self {
            alive: vec![true; agents.len()],
            agents,
            holders,
        }
    }

    /// The earliest agent still in the search.
    fn first_alive(&self) -> Option<usize> {
        self.alive.iter().position(|a| *a)
    }

    /// The earliest agent but `me` holding a seat at `seat`.
    fn holder(&self, seat: (KgIx, usize), me: usize) -> Option<usize> {
        self.holders.get(&seat)?.iter().copied().find(|i| *i != me)
    }

    /// Agent `i` leaves the search.
    fn remove(&mut self, i: usize) {
        if let Some(a) = self.alive.get_mut(i) {
            *a = false;
        }
        if let Some(seat) = self.agents.get(i).map(|a| a.seat) {
            if let Some(h) = self.holders.get_mut(&seat) {
                h.remove(&i);
            }
        }
    }
}
