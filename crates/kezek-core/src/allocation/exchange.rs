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
        let mut agents: Vec<Agent> = self
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
        let mut cycles = Vec::new();
        loop {
            // Drop who has nothing to point at, until everyone left has.
            loop {
                let before = agents.len();
                let pointers: Vec<bool> = (0..agents.len())
                    .map(|i| self.points_at(&agents, i).is_some())
                    .collect();
                let mut keep = pointers.into_iter();
                agents.retain(|_| keep.next().unwrap_or(false));
                if agents.len() == before {
                    break;
                }
            }
            let Some(cycle) = self.first_cycle(&agents) else {
                break;
            };
            let moves: Vec<Move> = cycle
                .iter()
                .filter_map(|&i| {
                    let j = self.points_at(&agents, i)?;
                    let (app, to) = (agents.get(i)?.app, agents.get(j)?.seat);
                    Some((app, to.0, to.1))
                })
                .collect();
            let members: BTreeSet<usize> = cycle.into_iter().collect();
            let mut index = 0;
            agents.retain(|_| {
                let keep = !members.contains(&index);
                index += 1;
                keep
            });
            cycles.push(moves);
        }
        cycles
    }

    /// The agent that agent `i` points at: the holder of the seat it wants most.
    fn points_at(&self, agents: &[Agent], i: usize) -> Option<usize> {
        let me = agents.get(i)?;
        let transfer = self.transfer(me.app)?;
        transfer.preferences.iter().find_map(|k| {
            let kg = self.kindergarten(*k)?;
            // Lowest group id first (groups are sorted by id), then the earliest request.
            kg.groups.iter().enumerate().find_map(|(gi, g)| {
                if !g.serves(me.age, me.language) {
                    return None;
                }
                agents
                    .iter()
                    .position(|x| x.app != me.app && x.seat == (*k, gi))
            })
        })
    }

    /// The cycle reached by following the pointers from the earliest agent, as indexes from
    /// its earliest member.
    fn first_cycle(&self, agents: &[Agent]) -> Option<Vec<usize>> {
        let mut path = vec![0usize];
        if agents.is_empty() {
            return None;
        }
        loop {
            let next = self.points_at(agents, *path.last()?)?;
            if let Some(start) = path.iter().position(|p| *p == next) {
                let mut cycle = path.split_off(start);
                let first = cycle.iter().enumerate().min_by_key(|(_, i)| **i)?.0;
                cycle.rotate_left(first);
                return Some(cycle);
            }
            path.push(next);
        }
    }
}
