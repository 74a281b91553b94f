//! A cohort queue read in its merged order — the order the queue numbers count and a round
//! offers seats in — from any place on, a page at a time: tiers block by block as the policy
//! says, an interleaved pair slot by slot from its persisted phase. Reaching place `from`
//! walks the pattern's counters only (no child is looked at until the page starts), so a page
//! deep in the queue costs a counter step per place before it and a lookup per child on it.
//! (Checked against the naive model's merged order in `tests/properties.rs`.)

use super::interleave::{advance, slot_is_upper};
use super::order::{Entry, OrderIndex};
use super::CohortQueue;
use crate::policy::{Block, Policy};

/// One child on a page: its tier and its entry in the queue.
pub type Placed = (usize, Entry);

fn len_of(tiers: &[OrderIndex], t: usize) -> usize {
    tiers.get(t).map_or(0, OrderIndex::len)
}

fn take(tiers: &[OrderIndex], t: usize, i: usize) -> Option<Placed> {
    tiers.get(t)?.select(i).map(|e| (t, e))
}

impl CohortQueue {
    /// At most `limit` children from 0-based place `from` of the merged order.
    #[must_use]
    pub fn merged(&self, policy: &Policy, from: usize, limit: usize) -> Vec<Placed> {
        if from == 0 {
            return self.merged_from_the_start(policy, limit);
        }
        let tiers = &self.tiers;
        let mut out = Vec::with_capacity(limit.min(self.len().saturating_sub(from)));
        let mut skip = from;
        for (bi, block) in policy.blocks.iter().enumerate() {
            if out.len() >= limit {
                break;
            }
            match *block {
                Block::Strict(t) => {
                    let n = len_of(tiers, t);
                    let start = skip.min(n);
                    skip -= start;
                    for i in start..n {
                        if out.len() >= limit {
                            break;
                        }
                        out.extend(take(tiers, t, i));
                    }
                }
                Block::Pair { upper, p, g } => {
                    let lower = upper + 1;
                    let (nu, nl) = (len_of(tiers, upper), len_of(tiers, lower));
                    if skip >= nu + nl {
                        skip -= nu + nl;
                        continue;
                    }
                    let (mut u, mut l, mut phase) = (0, 0, self.phase(bi));
                    while (u < nu || l < nl) && out.len() < limit {
                        let upper_slot = if slot_is_upper(p, phase) {
                            u < nu
                        } else {
                            l >= nl
                        };
                        let (tier, i) = if upper_slot {
                            u += 1;
                            (upper, u - 1)
                        } else {
                            l += 1;
                            (lower, l - 1)
                        };
                        phase = advance(p, g, phase);
                        if skip > 0 {
                            skip -= 1;
                        } else {
                            out.extend(take(tiers, tier, i));
                        }
                    }
                }
            }
        }
        out
    }

    /// [`CohortQueue::merged`] from the first place: each tier read in order by its iterator
    /// instead of a select per place (a round's certificate reads whole queues).
    fn merged_from_the_start(&self, policy: &Policy, limit: usize) -> Vec<Placed> {
        let tiers = &self.tiers;
        let mut out = Vec::with_capacity(limit.min(self.len()));
        for (bi, block) in policy.blocks.iter().enumerate() {
            if out.len() >= limit {
                break;
            }
            match *block {
                Block::Strict(t) => {
                    if let Some(index) = tiers.get(t) {
                        let room = limit - out.len();
                        out.extend(index.iter().take(room).map(|e| (t, *e)));
                    }
                }
                Block::Pair { upper, p, g } => {
                    let lower = upper + 1;
                    let (nu, nl) = (len_of(tiers, upper), len_of(tiers, lower));
                    let mut ups = tiers.get(upper).map(OrderIndex::iter);
                    let mut lows = tiers.get(lower).map(OrderIndex::iter);
                    let (mut u, mut l, mut phase) = (0, 0, self.phase(bi));
                    while (u < nu || l < nl) && out.len() < limit {
                        let upper_slot = if slot_is_upper(p, phase) {
                            u < nu
                        } else {
                            l >= nl
                        };
                        if upper_slot {
                            u += 1;
                            out.extend(ups.as_mut().and_then(Iterator::next).map(|e| (upper, *e)));
                        } else {
                            l += 1;
                            out.extend(lows.as_mut().and_then(Iterator::next).map(|e| (lower, *e)));
                        }
                        phase = advance(p, g, phase);
                    }
                }
            }
        }
        out
    }
}
