//! An ordered set of queue entries with O(log n) insert, remove, rank and select: a counted
//! B+tree (every internal node keeps the size of each child's subtree).
//!
//! Written here rather than taken from a crate because the queue needs a rank for keys that
//! are *not* in the set (how many children of one list stand before a child of another) in
//! one descent, and small nodes: most (kindergarten, tier) lists hold a few dozen children,
//! and the general-purpose order-statistic trees we measured (`wabi_tree`) either lack that
//! query or spend ~4 KiB per leaf and sum up to 127 child sizes per level. A tree whose root
//! is a single leaf is just a sorted `Vec`, so small lists stay small.

use crate::model::AppIx;
use arrayvec::ArrayVec;
use jiff::Timestamp;

/// A child's place key inside a tier: the original registration time, then the order of
/// registration. Dense application indexes are given in journal order, so `app` orders
/// exactly as the registration's sequence number does while taking 4 bytes, not 8.
///
/// Packed into one `u128` (nanoseconds since an instant before jiff's range above the low
/// 32 bits, the application index in them) so that comparing two keys is one wide integer
/// compare instead of three field compares with a branch each: the searches below compare
/// a whole node's keys at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// Most keys in a leaf: a full leaf and the one key that makes it split fill exactly
/// 1 KiB (64 × 16 bytes), an allocator size class of its own.
const LEAF_MAX: usize = 63;
/// Most children of an internal node.
const FANOUT: usize = 32;

/// Room in an internal node: `FANOUT` children, one more before it splits, and what a
/// merge of an underfull node with a full neighbour holds before it splits again.
const ROOM: usize = FANOUT + FANOUT / 4 + 1;

#[derive(Debug, Clone)]
enum Node {
    Leaf(Vec<Entry>),
    /// Boxed so that a node's separators, counts and children sit in one allocation: a
    /// descent costs one cache miss per level where three `Vec`s cost three.
    Internal(Box<Inner>),
}

#[derive(Debug, Clone)]
struct Inner {
    /// `seps[i]` (i ≥ 1) is at most the smallest key of child i and above every key of
    /// child i − 1; `seps[0]` is unused.
    seps: ArrayVec<Entry, ROOM>,
    /// Entries in each subtree.
    counts: ArrayVec<usize, ROOM>,
    /// Subtrees, in key order.
    children: ArrayVec<Node, ROOM>,
}

impl Inner {
    fn of(children: impl IntoIterator<Item = Node>) -> Box<Self> {
        let children: ArrayVec<Node, ROOM> = children.into_iter().collect();
        Box::new(Inner {
            seps: children.iter().map(Node::first).collect(),
            counts: children.iter().map(Node::len).collect(),
            children,
        })
    }
}

/// The part of `v` from `at` on, removed from it.
fn split_off<T, const N: usize>(v: &mut ArrayVec<T, N>, at: usize) -> ArrayVec<T, N> {
    v.drain(at..).collect()
}

impl Node {
    fn len(&self) -> usize {
        match self {
            Node::Leaf(keys) => keys.len(),
            Node::Internal(inner) => inner.counts.iter().sum(),
        }
    }

    fn is_underfull(&self) -> bool {
        match self {
            Node::Leaf(keys) => keys.len() < LEAF_MAX / 4,
            Node::Internal(inner) => inner.children.len() < FANOUT / 4,
        }
    }

    /// The smallest key (only asked of nodes that hold some: the lowest key otherwise).
    fn first(&self) -> Entry {
        match self {
            Node::Leaf(keys) => keys.first().copied().unwrap_or(Entry::LOWEST),
            Node::Internal(inner) => inner.children.first().map_or(Entry::LOWEST, Node::first),
        }
    }

    /// The child a key belongs to.
    fn route(seps: &[Entry], e: &Entry) -> usize {
        seps.get(1..).map_or(0, |s| count_prefix(s, |s| s <= e))
    }

    /// Inserts; returns whether the key was new and, when the node overflowed, the right
    /// half split off it.
    fn insert(&mut self, e: Entry) -> (bool, Option<Node>) {
        let fresh = match self {
            Node::Leaf(keys) => match search(keys, &e) {
                Ok(_) => false,
                Err(i) => {
                    if keys.len() == keys.capacity() {
                        // Doubling as `Vec` does, but never past a full leaf and the key
                        // that splits it: no leaf is reallocated once it is full size, and
                        // none holds twice the memory it needs.
                        keys.reserve_exact(keys.len().max(4).min(LEAF_MAX + 1 - keys.len()));
                    }
                    keys.insert(i, e);
                    true
                }
            },
            Node::Internal(inner) => {
                let Inner {
                    children,
                    counts,
                    seps,
                } = &mut **inner;
                let i = Node::route(seps, &e);
                let (Some(child), Some(count)) = (children.get_mut(i), counts.get_mut(i)) else {
                    return (false, None);
                };
                let (fresh, split) = child.insert(e);
                *count += usize::from(fresh);
                if let Some(right) = split {
                    *count = child.len();
                    counts.insert(i + 1, right.len());
                    seps.insert(i + 1, right.first());
                    children.insert(i + 1, right);
                }
                fresh
            }
        };
        (fresh, self.split_if_too_wide())
    }

    /// Splits off and returns the right half when the node holds more than it may.
    fn split_if_too_wide(&mut self) -> Option<Node> {
        match self {
            Node::Leaf(keys) if keys.len() > LEAF_MAX => {
                let half = keys.len() / 2;
                let mut right = Vec::with_capacity(LEAF_MAX + 1);
                right.extend(keys.drain(half..));
                Some(Node::Leaf(right))
            }
            Node::Internal(inner) if inner.children.len() > FANOUT => {
                let at = inner.children.len() / 2;
                Some(Node::Internal(Box::new(Inner {
                    children: split_off(&mut inner.children, at),
                    counts: split_off(&mut inner.counts, at),
                    seps: split_off(&mut inner.seps, at),
                })))
            }
            _ => None,
        }
    }

    /// Removes; returns whether the key was present. Children left underfull are merged
    /// with a neighbour (and split again when the merge overflows).
    fn remove(&mut self, e: &Entry) -> bool {
        match self {
            Node::Leaf(keys) => match search(keys, e) {
                Ok(i) => {
                    keys.remove(i);
                    true
                }
                Err(_) => false,
            },
            Node::Internal(inner) => {
                let Inner {
                    children,
                    counts,
                    seps,
                } = &mut **inner;
                let i = Node::route(seps, e);
                let (Some(child), Some(count)) = (children.get_mut(i), counts.get_mut(i)) else {
                    return false;
                };
                if !child.remove(e) {
                    return false;
                }
                *count -= 1;
                if child.is_underfull() && children.len() > 1 {
                    let left = if i + 1 < children.len() { i } else { i - 1 };
                    merge(children, counts, seps, left);
                }
                true
            }
        }
    }

    fn count_less(&self, e: &Entry) -> usize {
        match self {
            Node::Leaf(keys) => count_prefix(keys, |k| k < e),
            Node::Internal(inner) => {
                let i = Node::route(&inner.seps, e);
                let before: usize = inner.counts.iter().take(i).sum();
                before + inner.children.get(i).map_or(0, |c| c.count_less(e))
            }
        }
    }

    fn select(&self, mut i: usize) -> Option<Entry> {
        match self {
            Node::Leaf(keys) => keys.get(i).copied(),
            Node::Internal(inner) => {
                for (child, n) in inner.children.iter().zip(&inner.counts) {
                    if i < *n {
                        return child.select(i);
                    }
                    i -= n;
                }
                None
            }
        }
    }
}

/// Merges children `i` and `i + 1`; splits the result in two again when it is too wide.
fn merge(
    children: &mut ArrayVec<Node, ROOM>,
    counts: &mut ArrayVec<usize, ROOM>,
    seps: &mut ArrayVec<Entry, ROOM>,
    i: usize,
) {
    if i + 1 >= children.len() {
        return;
    }
    let right = children.remove(i + 1);
    counts.remove(i + 1);
    let sep = seps.remove(i + 1);
    let Some(left) = children.get_mut(i) else {
        return;
    };
    match (&mut *left, right) {
        (Node::Leaf(a), Node::Leaf(b)) => a.extend(b),
        (Node::Internal(a), Node::Internal(b)) => {
            let Inner {
                children: bc,
                counts: bn,
                seps: bsep,
            } = *b;
            // The right node's first separator is unused; between the two it is `sep`.
            a.children.extend(bc);
            a.counts.extend(bn);
            a.seps
                .extend(std::iter::once(sep).chain(bsep.into_iter().skip(1)));
        }
        _ => unreachable!("siblings are at the same depth"),
    }
    let split = left.split_if_too_wide();
    let merged = left.len();
    if let Some(count) = counts.get_mut(i) {
        *count = merged;
    }
    if let Some(right) = split {
        counts.insert(i + 1, right.len());
        seps.insert(i + 1, right.first());
        children.insert(i + 1, right);
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
