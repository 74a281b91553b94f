//! Why did my number change? The queue number a child had at an earlier seq, and how the
//! difference splits by cause. It walks the child's cohort queue's change log backwards from
//! now to that seq, undoing one seq at a time on a handful of counts (tier sizes, how many
//! of each tier sort before the child, phases) and recomputing the number from them: the
//! cost is O(changes in that cohort queue since the seq), never a replay of the journal.
//! Each step's difference goes to that step's cause, so the causes add up to the change.

use super::State;
use crate::model::{AppIx, AppStatus, Seq};
use crate::queue::order::{Entry, OrderIndex};
use crate::queue::{ahead_from_counts, Cause, Change};
use std::collections::BTreeMap;

/// A queue number then, and what moved it since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The queue number at the seq asked about (`None`: not queued then).
    pub queue_number: Option<usize>,
    /// How the number changed since, by cause (now − then, signed), every cause listed.
    pub causes: BTreeMap<Cause, i64>,
}

struct Counts<'a> {
    state: &'a State,
    sizes: Vec<usize>,
    less: Vec<usize>,
    phases: Vec<u32>,
    tier: Option<usize>,
}

impl Counts<'_> {
    fn number(&self) -> Option<usize> {
        let t = self.tier?;
        Some(
            ahead_from_counts(
                self.state.policy(),
                &self.sizes,
                self.less.get(t).copied().unwrap_or(0),
                t,
                &self.phases,
            )
            .iter()
            .sum::<usize>()
                + 1,
        )
    }

    /// Undoes one change (walking back in time).
    fn undo(&mut self, change: &Change, child: &Entry) {
        match *change {
            Change::Entry {
                tier,
                entry,
                inserted,
                ..
            } => {
                let t = usize::from(tier);
                // Walking back, an insertion is taken out (−1), a removal put back (+1).
                let step = |n: &mut usize| {
                    *n = if inserted {
                        n.saturating_sub(1)
                    } else {
                        *n + 1
                    }
                };
                if let Some(size) = self.sizes.get_mut(t) {
                    step(size);
                }
                if entry.app() == child.app() {
                    self.tier = if inserted { None } else { Some(t) };
                } else if entry < *child {
                    if let Some(less) = self.less.get_mut(t) {
                        step(less);
                    }
                }
            }
            Change::Phase { block, before, .. } => {
                if let Some(phase) = self.phases.get_mut(usize::from(block)) {
                    *phase = before;
                }
            }
        }
    }
}

/// One step that moved a queue number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The journal seq of the event.
    pub seq: Seq,
    /// Why.
    pub cause: Cause,
    /// The number before it.
    pub before: usize,
    /// The number after it.
    pub after: usize,
}

impl State {
    /// How the queue number of queued application `a` changed since `since`. `None` when the
    /// child is not queued now.
    #[must_use]
    pub fn explain(&self, a: AppIx, since: Seq) -> Option<Explanation> {
        self.explain_each(a, since, &mut |_| {})
    }

    /// [`Self::explain`], telling `each` every step that moved the number, newest first.
    pub fn explain_each(
        &self,
        a: AppIx,
        since: Seq,
        each: &mut dyn FnMut(Step),
    ) -> Option<Explanation> {
        let app = self.application(a)?;
        if app.status != AppStatus::Queued {
            return None;
        }
        let q = self.queue(&app.queue_key())?;
        let child = app.entry(a);
        let tiers = self.policy().tiers.len();
        let mut c = Counts {
            state: self,
            sizes: (0..tiers)
                .map(|t| q.tier(t).map_or(0, OrderIndex::len))
                .collect(),
            less: (0..tiers)
                .map(|t| q.tier(t).map_or(0, |l| l.count_less(&child)))
                .collect(),
            phases: q.phases().to_vec(),
            tier: Some(app.tier.into()),
        };
        let mut causes: BTreeMap<Cause, i64> = Cause::ALL.iter().map(|c| (*c, 0)).collect();
        // The number the child had just after the step being undone (the latest one known).
        let mut later = c.number();
        let mut changes = q
            .log()
            .iter()
            .rev()
            .take_while(|change| change.seq() > since)
            .peekable();
        while let Some(first) = changes.next() {
            let seq = first.seq();
            let mut cause = Cause::Round;
            let mut step = Some(first);
            while let Some(change) = step {
                if let Change::Entry { cause: k, .. } = change {
                    cause = *k;
                }
                c.undo(change, &child);
                step = changes.next_if(|next| next.seq() == seq);
            }
            // A stretch when the child was away (referred, then back after a lapse) ends,
            // walking back, at the round that referred it: the jump across it is `round`.
            if let (Some(after), Some(before)) = (later, c.number()) {
                let signed = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
                *causes.entry(cause).or_default() += signed(after) - signed(before);
                if after != before {
                    each(Step {
                        seq,
                        cause,
                        before,
                        after,
                    });
                }
            }
            if c.number().is_some() {
                later = c.number();
            }
        }
        Some(Explanation {
            queue_number: c.number(),
            causes,
        })
    }
}
