//! An ordered set of queue entries with O(log n) rank and select, over an order-statistic
//! B+tree (`wabi_tree`). The only addition is `count_less` for keys that are not in the set.

use crate::types::Seq;
use jiff::Timestamp;
use wabi_tree::OSBTreeSet;

/// A child's place key inside a tier: original registration time, then journal sequence
/// number. `app` is the dense index of the application (unique with `seq`, so it never
/// decides an order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// Original registration time; never changes.
    pub at: Timestamp,
    /// Sequence number of the registration event.
    pub seq: Seq,
    /// Dense application index inside the state.
    pub app: u32,
}

/// Entries of one tier, in queue order.
#[derive(Debug, Clone, Default)]
pub struct OrderIndex(OSBTreeSet<Entry>);

impl OrderIndex {
    /// Adds an entry; returns false when it was already present.
    pub fn insert(&mut self, e: Entry) -> bool {
        self.0.insert(e)
    }

    /// Removes an entry; returns false when it was not present.
    pub fn remove(&mut self, e: &Entry) -> bool {
        self.0.remove(e)
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the index is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many entries sort before `e` (present or not).
    #[must_use]
    pub fn count_less(&self, e: &Entry) -> usize {
        if let Some(r) = self.0.rank_of(e) {
            return r;
        }
        self.0
            .range(..*e)
            .next_back()
            .and_then(|p| self.0.rank_of(p))
            .map_or(0, |r| r + 1)
    }

    /// The entry with `i` entries before it.
    #[must_use]
    pub fn select(&self, i: usize) -> Option<Entry> {
        self.0.get_by_rank(i).copied()
    }

    /// Whether `e` is present.
    #[must_use]
    pub fn contains(&self, e: &Entry) -> bool {
        self.0.contains(e)
    }

    /// All entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(t: i64, s: u64) -> Entry {
        Entry {
            at: Timestamp::from_second(t).unwrap(),
            seq: Seq::new(s),
            app: s as u32,
        }
    }

    proptest! {
        /// Against a sorted Vec: insert, remove, count_less of any key, select.
        #[test]
        fn matches_sorted_vec(ops in proptest::collection::vec((0u8..3, 0i64..50, 0u64..400), 1..300)) {
            let mut idx = OrderIndex::default();
            let mut model: Vec<Entry> = Vec::new();
            for (op, t, s) in ops {
                let e = entry(t, s);
                match op {
                    0 => {
                        let fresh = !model.contains(&e);
                        prop_assert_eq!(idx.insert(e), fresh);
                        if fresh { model.push(e); model.sort(); }
                    }
                    1 => {
                        let had = model.contains(&e);
                        prop_assert_eq!(idx.remove(&e), had);
                        model.retain(|x| *x != e);
                    }
                    _ => {}
                }
                let less = model.iter().filter(|x| **x < e).count();
                prop_assert_eq!(idx.count_less(&e), less);
                prop_assert_eq!(idx.len(), model.len());
                prop_assert_eq!(idx.contains(&e), model.contains(&e));
                for (i, m) in model.iter().enumerate().step_by(7) {
                    prop_assert_eq!(idx.select(i), Some(*m));
                }
                prop_assert_eq!(idx.select(model.len()), None);
            }
        }
    }
}
