//! The nodes of the counted B+tree: leaves of sorted keys, and internal nodes holding their
//! children's separators and sizes side by side.

use super::{count_prefix, search, Entry};
use arrayvec::ArrayVec;

/// Most keys in a leaf: a full leaf and the one key that makes it split fill exactly
/// 1 KiB (64 × 16 bytes), an allocator size class of its own.
pub(super) const LEAF_MAX: usize = 63;
/// Most children of an internal node.
pub(super) const FANOUT: usize = 32;

/// Room in an internal node: `FANOUT` children, one more before it splits, and what a
/// merge of an underfull node with a full neighbour holds before it splits again.
const ROOM: usize = FANOUT + FANOUT / 4 + 1;

#[derive(Debug, Clone)]
pub(super) enum Node {
    /// Sorted keys.
    Leaf(Vec<Entry>),
    /// Boxed so that a node's separators, counts and children sit in one allocation: a
    /// descent costs one cache miss per level where three `Vec`s cost three.
    Internal(Box<Inner>),
}

#[derive(Debug, Clone)]
pub(super) struct Inner {
    /// `seps[i]` (i ≥ 1) is at most the smallest key of child i and above every key of
    /// child i − 1; `seps[0]` is unused.
    pub(super) seps: ArrayVec<Entry, ROOM>,
    /// Entries in each subtree.
    pub(super) counts: ArrayVec<usize, ROOM>,
    /// Subtrees, in key order.
    pub(super) children: ArrayVec<Node, ROOM>,
}

impl Inner {
    pub(super) fn of(children: impl IntoIterator<Item = Node>) -> Box<Self> {
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
    pub(super) fn len(&self) -> usize {
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
    pub(super) fn insert(&mut self, e: Entry) -> (bool, Option<Node>) {
        // Whether the key went in after every key of this node: the keys of a queue mostly
        // come in order (registration times only grow; imports and replays are sorted).
        let mut at_end = false;
        let fresh = match self {
            Node::Leaf(keys) => match search(keys, &e) {
                Ok(_) => false,
                Err(i) => {
                    at_end = i == keys.len();
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
                let last = i + 1 == children.len();
                let (Some(child), Some(count)) = (children.get_mut(i), counts.get_mut(i)) else {
                    return (false, None);
                };
                let (fresh, split) = child.insert(e);
                *count += usize::from(fresh);
                if let Some(right) = split {
                    at_end = last;
                    *count = child.len();
                    counts.insert(i + 1, right.len());
                    seps.insert(i + 1, right.first());
                    children.insert(i + 1, right);
                }
                fresh
            }
        };
        (fresh, self.split_if_too_wide(at_end))
    }

    /// Splits off and returns the right part when the node holds more than it may: half of
    /// it, or, when the key that overflowed it came after all the others, only the least a
    /// node may hold (and a little), so that keys arriving in order fill nodes to three
    /// quarters, not half: fewer nodes and splits for a city loaded in queue order.
    fn split_if_too_wide(&mut self, at_end: bool) -> Option<Node> {
        match self {
            Node::Leaf(keys) if keys.len() > LEAF_MAX => {
                let at = if at_end {
                    keys.len() - (LEAF_MAX / 4 + 1)
                } else {
                    keys.len() / 2
                };
                let mut right = Vec::with_capacity(LEAF_MAX + 1);
                right.extend(keys.drain(at..));
                Some(Node::Leaf(right))
            }
            Node::Internal(inner) if inner.children.len() > FANOUT => {
                let at = if at_end {
                    inner.children.len() - (FANOUT / 4 + 1)
                } else {
                    inner.children.len() / 2
                };
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
    pub(super) fn remove(&mut self, e: &Entry) -> bool {
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

    pub(super) fn count_less(&self, e: &Entry) -> usize {
        match self {
            Node::Leaf(keys) => count_prefix(keys, |k| k < e),
            Node::Internal(inner) => {
                let i = Node::route(&inner.seps, e);
                // A slice (not `take(i)`): its sum is vectorised.
                let before: usize = inner.counts.get(..i).map_or(0, |c| c.iter().sum());
                before + inner.children.get(i).map_or(0, |c| c.count_less(e))
            }
        }
    }

    pub(super) fn select(&self, mut i: usize) -> Option<Entry> {
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

/// `n` items cut into the fewest parts of at most `max`, as even as possible (sizes differ
/// by at most one): every part but a lone one holds more than `max / 2`.
fn even_parts(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let parts = n.div_ceil(max.max(1)).max(1);
    let (size, extra) = (n / parts, n % parts);
    (0..parts).map(move |i| size + usize::from(i < extra))
}

/// The tree of strictly increasing `keys`, built bottom-up: leaves filled as evenly as the
/// bound allows, then each level of internal nodes over the one below. No descent, no
/// split, no moved key; the same invariants as a tree grown by inserts.
pub(super) fn from_sorted(keys: &[Entry]) -> Node {
    let mut level: Vec<Node> = Vec::with_capacity(keys.len().div_ceil(LEAF_MAX));
    let mut rest = keys;
    for size in even_parts(keys.len(), LEAF_MAX) {
        let (leaf, after) = rest.split_at(size.min(rest.len()));
        level.push(Node::Leaf(leaf.to_vec()));
        rest = after;
    }
    while level.len() > 1 {
        let mut upper = Vec::with_capacity(level.len().div_ceil(FANOUT));
        let mut nodes = level.into_iter();
        for size in even_parts(nodes.len(), FANOUT) {
            upper.push(Node::Internal(Inner::of(nodes.by_ref().take(size))));
        }
        level = upper;
    }
    level.pop().unwrap_or(Node::Leaf(Vec::new()))
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
    let split = left.split_if_too_wide(false);
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
