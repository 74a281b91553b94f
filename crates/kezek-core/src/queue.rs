//! The fair multi-tier queue of one cohort queue (district, birth cohort, language):
//! one ordered index per tier, one per (kindergarten, tier) for the children who listed that
//! kindergarten, and the persisted interleave phase of each block. `queue_number`, `position`
//! and `ahead` are O(log n): ranks, one select, and the interleave formula — never a scan.

use crate::interleave::{lower_before_upper, upper_before_lower};
use crate::order::{Entry, OrderIndex};
use crate::policy::{Block, Policy};
use crate::types::Language;
use rustc_hash::FxHashMap;

/// Identifies a cohort queue: children compete only inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueKey {
    /// Dense district index.
    pub district: u32,
    /// Academic birth year (see [`crate::types::Cutoff::cohort_of`]).
    pub cohort: i16,
    /// Language of instruction.
    pub language: Language,
}

/// The indexes of one cohort queue.
#[derive(Debug, Clone)]
pub struct CohortQueue {
    tiers: Vec<OrderIndex>,
    by_kindergarten: FxHashMap<u32, Vec<OrderIndex>>,
    /// Interleave phase per block of the policy (always 0 for strict blocks).
    phases: Vec<u32>,
}

impl CohortQueue {
    /// An empty queue for a policy with `tiers` tiers and `blocks` blocks.
    #[must_use]
    pub fn new(tiers: usize, blocks: usize) -> Self {
        Self {
            tiers: vec![OrderIndex::default(); tiers],
            by_kindergarten: FxHashMap::default(),
            phases: vec![0; blocks],
        }
    }

    /// Adds a child of tier `tier` who listed `kindergartens`.
    pub fn insert(&mut self, e: Entry, tier: usize, kindergartens: &[u32]) {
        let n = self.tiers.len();
        self.tiers[tier].insert(e);
        for k in kindergartens {
            self.by_kindergarten
                .entry(*k)
                .or_insert_with(|| vec![OrderIndex::default(); n])[tier]
                .insert(e);
        }
    }

    /// Removes a child; the arguments must be those it was inserted with.
    pub fn remove(&mut self, e: &Entry, tier: usize, kindergartens: &[u32]) {
        self.tiers[tier].remove(e);
        for k in kindergartens {
            if let Some(lists) = self.by_kindergarten.get_mut(k) {
                lists[tier].remove(e);
            }
        }
    }

    /// Children of tier `t`, in order.
    #[must_use]
    pub fn tier(&self, t: usize) -> &OrderIndex {
        &self.tiers[t]
    }

    /// Children of tier `t` who listed kindergarten `k`, in order.
    #[must_use]
    pub fn tier_at(&self, k: u32, t: usize) -> Option<&OrderIndex> {
        self.by_kindergarten.get(&k).map(|l| &l[t])
    }

    /// Number of queued children.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tiers.iter().map(OrderIndex::len).sum()
    }

    /// Whether nobody is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The interleave phase of block `b`.
    #[must_use]
    pub fn phase(&self, b: usize) -> u32 {
        self.phases[b]
    }

    /// Sets the interleave phase of block `b`.
    pub fn set_phase(&mut self, b: usize, phase: u32) {
        self.phases[b] = phase;
    }

    /// All phases, by block.
    #[must_use]
    pub fn phases(&self) -> &[u32] {
        &self.phases
    }

    /// Who stands before `e` (of tier `tier`) in the merged order, per tier: in the whole
    /// cohort queue (`kindergarten = None`) or among the children who listed `kindergarten`.
    /// The queue number or position is the sum plus one.
    #[must_use]
    pub fn ahead(
        &self,
        policy: &Policy,
        e: &Entry,
        tier: usize,
        kindergarten: Option<u32>,
    ) -> Vec<usize> {
        let empty;
        let view: &[OrderIndex] = match kindergarten {
            None => &self.tiers,
            Some(k) => match self.by_kindergarten.get(&k) {
                Some(l) => l,
                None => {
                    empty = vec![OrderIndex::default(); self.tiers.len()];
                    &empty
                }
            },
        };
        let mut ahead = vec![0; self.tiers.len()];
        let (bi, block) = policy.block_of(tier);
        for b in &policy.blocks[..bi] {
            match *b {
                Block::Strict(t) => ahead[t] = view[t].len(),
                Block::Pair { upper, .. } => {
                    ahead[upper] = view[upper].len();
                    ahead[upper + 1] = view[upper + 1].len();
                }
            }
        }
        match block {
            Block::Strict(t) => ahead[t] = view[t].count_less(e),
            Block::Pair { upper, p, g } => {
                let lower = upper + 1;
                let phase = self.phases[bi];
                let r = self.tiers[tier].count_less(e);
                let (other, before) = if tier == upper {
                    (
                        lower,
                        lower_before_upper(p, g, phase, r, self.tiers[lower].len()),
                    )
                } else {
                    (
                        upper,
                        upper_before_lower(p, g, phase, r, self.tiers[upper].len()),
                    )
                };
                ahead[tier] = view[tier].count_less(e);
                ahead[other] = match kindergarten {
                    None => before,
                    Some(_) => match self.tiers[other].select(before) {
                        Some(first_behind) => view[other].count_less(&first_behind),
                        None => view[other].len(),
                    },
                };
            }
        }
        ahead
    }
}
