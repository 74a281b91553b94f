//! An ordered set of queue entries with O(log n) rank and select, over an order-statistic
//! B+tree (`wabi_tree`). The only addition is `count_less` for keys that are not in the set.

use jiff::Timestamp;
use wabi_tree::OSBTreeSet;

/// A child's place key inside a tier: the original registration time, then the order of
/// registration. Dense application indexes are given in journal order, so `app` orders
/// exactly as the registration's sequence number does while taking 4 bytes, not 8: the
/// whole key is 16 bytes, which halves the memory and cache traffic of every index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    secs: i64,
    nanos: i32,
    /// Dense application index inside the state.
    pub app: u32,
}

impl Entry {
    /// The key of application `app` registered at `at`.
    #[must_use]
    pub fn new(at: Timestamp, app: u32) -> Self {
        Self {
            secs: at.as_second(),
            nanos: at.subsec_nanosecond(),
            app,
        }
    }
}

/// Up to this many entries live in a sorted `Vec`: every operation on it is bounded (a
/// binary search and a move of at most 2 KiB). Beyond it, the order-statistic B+tree.
/// Most (kindergarten, tier) lists are this small, and a B+tree leaf alone takes ~4 KiB.
const SMALL_MAX: usize = 64;
/// A large index shrinking to this many entries goes back to a `Vec` (hysteresis, so an
/// index near the threshold does not convert on every insert and removal).
const SMALL_BACK: usize = SMALL_MAX / 2;

/// Entries of one tier, in queue order.
#[derive(Debug, Clone)]
pub enum OrderIndex {
    /// At most [`SMALL_MAX`] entries, sorted.
    Small(Vec<Entry>),
    /// More entries, in an order-statistic B+tree.
    Large(OSBTreeSet<Entry>),
}

impl Default for OrderIndex {
    fn default() -> Self {
        Self::Small(Vec::new())
    }
}

/// Entries in order, from either representation.
pub enum Iter<'a> {
    /// From the `Vec`.
    Small(std::slice::Iter<'a, Entry>),
    /// From the B+tree.
    Large(wabi_tree::osbtree_set::Iter<'a, Entry>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Entry;
    fn next(&mut self) -> Option<&'a Entry> {
        match self {
            Self::Small(i) => i.next(),
            Self::Large(i) => i.next(),
        }
    }
}

impl OrderIndex {
    /// Adds an entry; returns false when it was already present.
    pub fn insert(&mut self, e: Entry) -> bool {
        match self {
            Self::Small(v) => match v.binary_search(&e) {
                Ok(_) => false,
                Err(i) => {
                    v.insert(i, e);
                    if v.len() > SMALL_MAX {
                        *self = Self::Large(v.iter().copied().collect());
                    }
                    true
                }
            },
            Self::Large(t) => t.insert(e),
        }
    }

    /// Removes an entry; returns false when it was not present.
    pub fn remove(&mut self, e: &Entry) -> bool {
        match self {
            Self::Small(v) => match v.binary_search(e) {
                Ok(i) => {
                    v.remove(i);
                    true
                }
                Err(_) => false,
            },
            Self::Large(t) => {
                let removed = t.remove(e);
                if t.len() <= SMALL_BACK {
                    *self = Self::Small(t.iter().copied().collect());
                }
                removed
            }
        }
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Small(v) => v.len(),
            Self::Large(t) => t.len(),
        }
    }

    /// Whether the index is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries sort before `e` (present or not).
    #[must_use]
    pub fn count_less(&self, e: &Entry) -> usize {
        match self {
            Self::Small(v) => v.partition_point(|x| x < e),
            Self::Large(t) => {
                if let Some(r) = t.rank_of(e) {
                    return r;
                }
                t.range(..*e)
                    .next_back()
                    .and_then(|p| t.rank_of(p))
                    .map_or(0, |r| r + 1)
            }
        }
    }

    /// The entry with `i` entries before it.
    #[must_use]
    pub fn select(&self, i: usize) -> Option<Entry> {
        match self {
            Self::Small(v) => v.get(i).copied(),
            Self::Large(t) => t.get_by_rank(i).copied(),
        }
    }

    /// Whether `e` is present.
    #[must_use]
    pub fn contains(&self, e: &Entry) -> bool {
        match self {
            Self::Small(v) => v.binary_search(e).is_ok(),
            Self::Large(t) => t.contains(e),
        }
    }

    /// All entries in order.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Self::Small(v) => Iter::Small(v.iter()),
            Self::Large(t) => Iter::Large(t.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(t: i64, s: u64) -> Entry {
        Entry::new(Timestamp::from_second(t).unwrap(), s as u32)
    }

    proptest! {
        /// Against a sorted Vec: insert, remove, count_less of any key, select.
        #[test]
        fn matches_sorted_vec(ops in proptest::collection::vec((0u8..4, 0i64..50, 0u64..400), 1..400)) {
            let mut idx = OrderIndex::default();
            let mut model: Vec<Entry> = Vec::new();
            for (op, t, s) in ops {
                let e = entry(t, s);
                match op {
                    0 | 3 => {
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
