//! The free seats a round hands out, per cohort queue, and the round's scratch memory.

use crate::model::{AppIx, KgIx};
use rustc_hash::FxHashMap;

/// Free seats of one cohort queue, by a dense slot per kindergarten that has any.
#[derive(Default)]
pub(super) struct Seats {
    /// Kindergarten of each slot.
    pub kindergartens: Vec<KgIx>,
    /// Per slot: (group index, free) in group-id order.
    pub groups: Vec<Vec<(usize, u32)>>,
    /// Per slot: free seats left in all its usable groups.
    pub left: Vec<u32>,
    /// Free seats left in all slots.
    pub total: u64,
    /// Kindergarten → slot.
    slot_of: FxHashMap<KgIx, usize>,
}

impl Seats {
    /// Adds `free` seats of group `gi` of kindergarten `k`.
    pub fn add(&mut self, k: KgIx, gi: usize, free: u32) {
        let slot = *self.slot_of.entry(k).or_insert_with(|| {
            self.kindergartens.push(k);
            self.groups.push(Vec::new());
            self.left.push(0);
            self.kindergartens.len() - 1
        });
        if let (Some(groups), Some(left)) = (self.groups.get_mut(slot), self.left.get_mut(slot)) {
            groups.push((gi, free));
            *left += free;
        }
        self.total += u64::from(free);
    }

    /// The slot of kindergarten `k`, if it has usable seats here.
    pub fn slot_of(&self, k: KgIx) -> Option<usize> {
        self.slot_of.get(&k).copied()
    }

    /// The seats slot `slot` has left.
    pub fn left_in(&self, slot: usize) -> u32 {
        self.left.get(slot).copied().unwrap_or(0)
    }

    /// Whether slot `slot` still has a seat.
    pub fn has_left(&self, slot: usize) -> bool {
        self.left.get(slot).is_some_and(|n| *n > 0)
    }

    /// Takes a seat in slot `slot` (its lowest group id with one); the group index.
    pub fn take(&mut self, slot: usize) -> Option<usize> {
        let (gi, free) = self
            .groups
            .get_mut(slot)?
            .iter_mut()
            .find(|(_, f)| *f > 0)?;
        *free -= 1;
        if let Some(left) = self.left.get_mut(slot) {
            *left -= 1;
        }
        self.total -= 1;
        Some(*gi)
    }
}

/// Per round: kindergarten → slot + 1 in the current cohort queue's [`Seats`] (0 = no
/// usable seat), and which children were already looked at.
pub(super) struct Scratch {
    slot: Vec<u32>,
    seen: Vec<u64>,
}

impl Scratch {
    /// Scratch for `kindergartens` kindergartens and `children` applications.
    pub fn new(kindergartens: usize, children: usize) -> Self {
        Self {
            slot: vec![0; kindergartens],
            seen: vec![0; children / 64 + 1],
        }
    }

    /// Points each kindergarten of `seats` at its slot (`clear`: back to none).
    pub fn mark(&mut self, seats: &Seats, clear: bool) {
        for (slot, k) in seats.kindergartens.iter().enumerate() {
            if let Some(s) = self.slot.get_mut(k.slot()) {
                // Slots are counted per cohort queue, far below u32::MAX.
                *s = if clear {
                    0
                } else {
                    u32::try_from(slot + 1).unwrap_or(0)
                };
            }
        }
    }

    /// The slot of kindergarten `k` in the current cohort queue, if it has seats.
    pub fn slot(&self, k: KgIx) -> Option<usize> {
        match self.slot.get(k.slot()) {
            Some(&s) if s > 0 => Some(s as usize - 1),
            _ => None,
        }
    }

    /// Whether child `app` was looked at already in this round.
    pub fn seen(&self, app: AppIx) -> bool {
        let (word, bit) = (app.slot() / 64, 1u64 << (app.get() % 64));
        self.seen.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Whether this is the first look at child `app` in this round.
    pub fn first_visit(&mut self, app: AppIx) -> bool {
        let (word, bit) = (app.slot() / 64, 1u64 << (app.get() % 64));
        let Some(w) = self.seen.get_mut(word) else {
            return false;
        };
        let fresh = *w & bit == 0;
        *w |= bit;
        fresh
    }
}
