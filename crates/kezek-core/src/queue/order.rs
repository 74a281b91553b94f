//! An ordered set of queue entries with O(log n) insert, remove, rank and select: a counted
//! B+tree (every internal node keeps the size of each child's subtree).
//!
//! Written here rather than taken from a crate because the queue needs a rank for keys that
//! are *not* in the set (how many children of one list stand before a child of another) in
//! one descent, and small nodes: most (kindergarten, tier) lists hold a few dozen children,
//! and the general-purpose order-statistic trees we measured (`wabi_tree`) either lack that
//! query or spend ~4 KiB per leaf and sum up to 127 child sizes per level. A tree whose root
//! is a single leaf is just a sorted `Vec`, so small lists stay small.

mod node;

use crate::model::AppIx;
use jiff::Timestamp;
use node::{Inner, Node};

/// A child's place key inside a tier: the original registration time, then the order of
/// registration. Dense application indexes are given in journal order, so `app` orders
/// exactly as the registration's sequence number does while taking 4 bytes, not 8.
///
/// Packed into one `u128` (nanoseconds since an instant before jiff's range above the low
/// 32 bits, the application index in them) so that comparing two keys is one wide integer
/// compare instead of three field compares with a branch each: the searches below compare
/// a whole node's keys at a time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Entry(u128);

/// 4·10^11 s before the epoch, in nanoseconds: earlier than jiff's earliest timestamp
/// (about −3.8·10^11 s; jiff's range ends before +2.6·10^11 s), subtracted so that every
/// instant packs as an unsigned number below 2^70.
const EARLIEST_NANOS: i128 = -400_000_000_000 * 1_000_000_000;

impl Entry {
    /// Below every key.
    const LOWEST: Self = Self(0);

    /// The key of application `app` registered at `at`.
    #[must_use]
    pub fn new(at: Timestamp, app: AppIx) -> Self {
        // Never negative and below 2^70, so the shifted value fits in 102 bits.
        let since = u128::try_from(at.as_nanosecond() - EARLIEST_NANOS).unwrap_or(0);
        Self((since << 32) | u128::from(app.get()))
    }

    /// Dense application index inside the state.
    #[must_use]
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the low 32 bits hold the index"
    )]
    pub fn app(&self) -> AppIx {
        AppIx::new(self.0 as u32)
    }
}

/// How many of the sorted `keys` satisfy `below` (true for a prefix, false after it).
///
/// A binary search over a node that is not in cache waits for one memory load after
/// another, ~6 for a leaf. This first tests every fourth key (one per 64-byte line) with
/// a branch-free count, so the CPU fetches those lines side by side, and then searches the
/// at most three keys between two samples. Written here because no crate searches this way
/// for a slice.
fn count_prefix(keys: &[Entry], below: impl Fn(&Entry) -> bool) -> usize {
    const STRIDE: usize = 4;
    let sampled = keys
        .iter()
        .step_by(STRIDE)
        .map(|k| usize::from(below(k)))
        .sum::<usize>();
    if sampled == 0 {
        return 0;
    }
    let lo = (sampled - 1) * STRIDE + 1;
    let hi = (sampled * STRIDE).min(keys.len());
    lo + keys.get(lo..hi).map_or(0, |gap| gap.partition_point(below))
}

/// Where `e` is in the sorted `keys`, or where it would go: as `slice::binary_search`.
fn search(keys: &[Entry], e: &Entry) -> Result<usize, usize> {
    let i = count_prefix(keys, |k| k < e);
    if keys.get(i) == Some(e) {
        Ok(i)
    } else {
        Err(i)
    }
}

/// Entries of one tier, in queue order.
#[derive(Debug, Clone)]
pub struct OrderIndex {
    root: Node,
    len: usize,
}

impl Default for OrderIndex {
    fn default() -> Self {
        Self {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl OrderIndex {
    /// The index of `keys`, in any order, duplicates once: sorted, then built bottom-up
    /// (see [`node::from_sorted`]) — a bulk load costs a sort instead of one descent and
    /// the odd split per key.
    #[must_use]
    pub fn from_keys(mut keys: Vec<Entry>) -> Self {
        // Keys of a load mostly come sorted already; then this is one pass.
        if !keys.is_sorted() {
            keys.sort_unstable();
        }
        keys.dedup();
        Self {
            root: node::from_sorted(&keys),
            len: keys.len(),
        }
    }

    /// Adds an entry; returns false when it was already present.
    pub fn insert(&mut self, e: Entry) -> bool {
        let (fresh, split) = self.root.insert(e);
        if let Some(right) = split {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            self.root = Node::Internal(Inner::of([left, right]));
        }
        self.len += usize::from(fresh);
        fresh
    }

    /// Removes an entry; returns false when it was not present.
    pub fn remove(&mut self, e: &Entry) -> bool {
        let removed = self.root.remove(e);
        self.len -= usize::from(removed);
        if let Node::Internal(inner) = &mut self.root {
            if inner.children.len() == 1 {
                self.root = inner.children.pop().unwrap_or(Node::Leaf(Vec::new()));
            }
        }
        removed
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many entries sort before `e` (present or not): one descent.
    #[must_use]
    pub fn count_less(&self, e: &Entry) -> usize {
        self.root.count_less(e)
    }

    /// The entry with `i` entries before it.
    #[must_use]
    pub fn select(&self, i: usize) -> Option<Entry> {
        self.root.select(i)
    }

    /// Whether `e` is present.
    #[must_use]
    pub fn contains(&self, e: &Entry) -> bool {
        self.select(self.count_less(e)) == Some(*e)
    }

    /// All entries in order.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        let mut it = Iter {
            stack: Vec::new(),
            leaf: &[],
        };
        it.descend(&self.root);
        it
    }
}

impl<'a> IntoIterator for &'a OrderIndex {
    type Item = &'a Entry;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Entries in order: the leaf being read and the internal nodes above it.
pub struct Iter<'a> {
    stack: Vec<(&'a [Node], usize)>,
    leaf: &'a [Entry],
}

impl<'a> Iter<'a> {
    fn descend(&mut self, mut node: &'a Node) {
        loop {
            match node {
                Node::Leaf(keys) => {
                    self.leaf = keys;
                    return;
                }
                Node::Internal(inner) => {
                    self.stack.push((&inner.children, 1));
                    match inner.children.first() {
                        Some(child) => node = child,
                        None => return,
                    }
                }
            }
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        loop {
            if let Some((first, rest)) = self.leaf.split_first() {
                self.leaf = rest;
                return Some(first);
            }
            let (children, next) = self.stack.last_mut()?;
            let children: &'a [Node] = children;
            if let Some(child) = children.get(*next) {
                *next += 1;
                self.descend(child);
            } else {
                self.stack.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests;
