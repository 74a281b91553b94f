//! The fair multi-tier queue of one cohort queue (district, birth cohort, language):
//! one ordered index per tier, one per (kindergarten, tier) for the children who listed that
//! kindergarten, and the persisted interleave phase of each block. `queue_number`, `position`
//! and `ahead` are O(log n): ranks, one select, and the interleave formula — never a scan.

pub mod interleave;
pub mod merged;
pub mod order;

use crate::model::{DistrictIx, KgIx, Language, Seq};
use crate::policy::{Block, Policy};
use crate::table::Table;
use interleave::{lower_before_upper, upper_before_lower};
use order::{Entry, OrderIndex};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

/// The lists of one kindergarten, one per tier, kept inside the map's slot (the policies
/// have 2–3 tiers): reaching a kindergarten's list costs one memory load fewer than
/// behind a `Vec`.
type TierLists = SmallVec<[OrderIndex; 4]>;

/// A tier or block number as the change log keeps it (a policy has far fewer than 256).
fn tier_code(t: usize) -> u8 {
    u8::try_from(t).unwrap_or(u8::MAX)
}

/// Identifies a cohort queue: children compete only inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueueKey {
    /// The district.
    pub district: DistrictIx,
    /// Academic birth year (see [`crate::model::Cutoff::cohort_of`]).
    pub cohort: i16,
    /// Language of instruction.
    pub language: Language,
}

/// Why a cohort queue changed: what a family sees as the reason its number moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Cause {
    /// Someone registered (or was imported) ahead.
    RegisteredAhead,
    /// Someone ahead withdrew or aged out.
    LeftAhead,
    /// Someone ahead came back after a declined or lapsed referral.
    ReturnedAhead,
    /// A priority claim was verified.
    PriorityVerified,
    /// A priority claim was rejected or dropped.
    PriorityRevoked,
    /// Kindergarten preferences changed.
    PreferencesChanged,
    /// An allocation round referred children (or moved the interleave phase).
    Round,
    /// An application was corrected: its district (and so its queue) changed.
    Corrected,
    /// A priority was claimed after registration (and counts while its proof is checked).
    PriorityClaimed,
}

impl Cause {
    /// Every cause, in the order the API lists them.
    pub const ALL: [Cause; 9] = [
        Cause::RegisteredAhead,
        Cause::LeftAhead,
        Cause::ReturnedAhead,
        Cause::PriorityVerified,
        Cause::PriorityRevoked,
        Cause::PreferencesChanged,
        Cause::Round,
        Cause::Corrected,
        Cause::PriorityClaimed,
    ];

    /// The name used in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::RegisteredAhead => "registered_ahead",
            Cause::LeftAhead => "left_ahead",
            Cause::ReturnedAhead => "returned_ahead",
            Cause::PriorityVerified => "priority_verified",
            Cause::PriorityRevoked => "priority_revoked",
            Cause::PreferencesChanged => "preferences_changed",
            Cause::Round => "round",
            Cause::Corrected => "corrected",
            Cause::PriorityClaimed => "priority_claimed",
        }
    }
}

/// One change of a cohort queue, kept so a queue number can be traced back in time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Change {
    /// A child entered (`inserted`) or left a tier.
    Entry {
        /// Journal seq of the event.
        seq: Seq,
        /// Tier.
        tier: u8,
        /// The child's key.
        entry: Entry,
        /// Entered (true) or left.
        inserted: bool,
        /// Why.
        cause: Cause,
    },
    /// A block's interleave phase moved (always by a round).
    Phase {
        /// Journal seq of the round.
        seq: Seq,
        /// Block.
        block: u8,
        /// Phase before.
        before: u32,
    },
}

impl Change {
    /// The journal seq.
    #[must_use]
    pub fn seq(&self) -> Seq {
        match self {
            Change::Entry { seq, .. } | Change::Phase { seq, .. } => *seq,
        }
    }
}

/// The count of tier `t`, or 0 for a tier the policy does not have (tier and block numbers
/// come from the policy the queue was built for, so that does not happen).
fn at(counts: &[usize], t: usize) -> usize {
    counts.get(t).copied().unwrap_or(0)
}

/// Sets the count of tier `t`.
fn put(counts: &mut [usize], t: usize, n: usize) {
    if let Some(c) = counts.get_mut(t) {
        *c = n;
    }
}

/// How many children list `t` of `lists` holds.
fn len_of(lists: &[OrderIndex], t: usize) -> usize {
    lists.get(t).map_or(0, OrderIndex::len)
}

/// How many children of list `t` sort before `e`.
fn less_in(lists: &[OrderIndex], t: usize, e: &Entry) -> usize {
    lists.get(t).map_or(0, |l| l.count_less(e))
}

/// Who stands before a child of `tier` in the merged order, per tier, from counts alone:
/// the size of every tier, how many of its own tier sort before it (`r`), and the phases.
#[must_use]
pub fn ahead_from_counts(
    policy: &Policy,
    sizes: &[usize],
    r: usize,
    tier: usize,
    phases: &[u32],
) -> Vec<usize> {
    let mut ahead = vec![0; sizes.len()];
    let (bi, block) = policy.block_of(tier);
    for b in policy.blocks.iter().take(bi) {
        match *b {
            Block::Strict(t) => put(&mut ahead, t, at(sizes, t)),
            Block::Pair { upper, .. } => {
                put(&mut ahead, upper, at(sizes, upper));
                put(&mut ahead, upper + 1, at(sizes, upper + 1));
            }
        }
    }
    put(&mut ahead, tier, r);
    if let Block::Pair { upper, p, g } = block {
        let phase = phases.get(bi).copied().unwrap_or(0);
        if tier == upper {
            let n = lower_before_upper(p, g, phase, r, at(sizes, upper + 1));
            put(&mut ahead, upper + 1, n);
        } else {
            put(
                &mut ahead,
                upper,
                upper_before_lower(p, g, phase, r, at(sizes, upper)),
            );
        }
    }
    ahead
}

/// A child a bulk load adds to a cohort queue: its key, tier and kindergartens, and the seq
/// of the event that adds it.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The child's key.
    pub entry: Entry,
    /// Its tier.
    pub tier: usize,
    /// The kindergartens it listed.
    pub kindergartens: &'a [KgIx],
    /// Journal seq.
    pub seq: Seq,
}

/// Adds sorted-or-not `keys` to `list`: built bottom-up when the list is empty (a bulk
/// load's usual case), inserted one by one into a list that already holds children.
fn fill(list: &mut OrderIndex, keys: Vec<Entry>) {
    if keys.is_empty() {
        return;
    }
    if list.is_empty() {
        *list = OrderIndex::from_keys(keys);
    } else {
        for k in keys {
            list.insert(k);
        }
    }
}

/// Puts `arrivals` into the tier lists and the kindergartens' lists, each list in one go.
fn fill_lists<'a>(
    tiers: &mut [OrderIndex],
    by_kindergarten: &mut FxHashMap<KgIx, TierLists>,
    arrivals: impl IntoIterator<Item = Arrival<'a>>,
) {
    let n = tiers.len();
    let mut keys: Vec<Vec<Entry>> = vec![Vec::new(); n];
    let mut lists: FxHashMap<KgIx, Vec<Vec<Entry>>> = FxHashMap::default();
    for a in arrivals {
        if let Some(k) = keys.get_mut(a.tier) {
            k.push(a.entry);
        }
        for k in a.kindergartens {
            let by_tier = lists.entry(*k).or_insert_with(|| vec![Vec::new(); n]);
            if let Some(keys) = by_tier.get_mut(a.tier) {
                keys.push(a.entry);
            }
        }
    }
    for (list, keys) in tiers.iter_mut().zip(keys) {
        fill(list, keys);
    }
    for (k, by_tier) in lists {
        let target = by_kindergarten
            .entry(k)
            .or_insert_with(|| smallvec![OrderIndex::default(); n]);
        for (list, keys) in target.iter_mut().zip(by_tier) {
            fill(list, keys);
        }
    }
}

/// The indexes of one cohort queue.
#[derive(Debug, Clone)]
pub struct CohortQueue {
    tiers: Vec<OrderIndex>,
    by_kindergarten: FxHashMap<KgIx, TierLists>,
    /// Interleave phase per block of the policy (always 0 for strict blocks).
    phases: Vec<u32>,
    /// Every change, in journal order (in chunks: the log of a busy cohort queue grows to
    /// tens of MB, and a doubling `Vec` would copy it all under the state lock).
    log: Table<Change>,
}

impl CohortQueue {
    /// An empty queue for a policy with `tiers` tiers and `blocks` blocks.
    #[must_use]
    pub fn new(tiers: usize, blocks: usize) -> Self {
        Self {
            tiers: vec![OrderIndex::default(); tiers],
            by_kindergarten: FxHashMap::default(),
            phases: vec![0; blocks],
            log: Table::default(),
        }
    }

    /// Adds a child of tier `tier` who listed `kindergartens` (at `seq`, because of `cause`).
    pub fn insert(
        &mut self,
        e: Entry,
        tier: usize,
        kindergartens: &[KgIx],
        seq: Seq,
        cause: Cause,
    ) {
        self.log.push(Change::Entry {
            seq,
            tier: tier_code(tier),
            entry: e,
            inserted: true,
            cause,
        });
        let n = self.tiers.len();
        if let Some(list) = self.tiers.get_mut(tier) {
            list.insert(e);
        }
        for k in kindergartens {
            let lists = self
                .by_kindergarten
                .entry(*k)
                .or_insert_with(|| smallvec![OrderIndex::default(); n]);
            if let Some(list) = lists.get_mut(tier) {
                list.insert(e);
            }
        }
    }

    /// Adds many children at once, in journal order, all for `cause`: the same lists and
    /// log as [`CohortQueue::insert`] one by one, but each list is filled in one go.
    pub fn insert_many<'a>(
        &mut self,
        arrivals: impl IntoIterator<Item = Arrival<'a>>,
        cause: Cause,
    ) {
        let log = &mut self.log;
        let logged = arrivals.into_iter().inspect(|a| {
            log.push(Change::Entry {
                seq: a.seq,
                tier: tier_code(a.tier),
                entry: a.entry,
                inserted: true,
                cause,
            });
        });
        fill_lists(&mut self.tiers, &mut self.by_kindergarten, logged);
    }

    /// A queue as a snapshot keeps it: its phases and log, its children (those queued in
    /// it) given again and filled into its lists in one go.
    #[must_use]
    pub fn restored<'a>(
        tiers: usize,
        phases: Vec<u32>,
        log: Table<Change>,
        queued: impl IntoIterator<Item = Arrival<'a>>,
    ) -> Self {
        let mut queue = Self {
            tiers: vec![OrderIndex::default(); tiers],
            by_kindergarten: FxHashMap::default(),
            phases,
            log,
        };
        fill_lists(&mut queue.tiers, &mut queue.by_kindergarten, queued);
        queue
    }

    /// Removes a child; the arguments must be those it was inserted with.
    pub fn remove(
        &mut self,
        e: &Entry,
        tier: usize,
        kindergartens: &[KgIx],
        seq: Seq,
        cause: Cause,
    ) {
        self.log.push(Change::Entry {
            seq,
            tier: tier_code(tier),
            entry: *e,
            inserted: false,
            cause,
        });
        if let Some(list) = self.tiers.get_mut(tier) {
            list.remove(e);
        }
        for k in kindergartens {
            if let Some(list) = self
                .by_kindergarten
                .get_mut(k)
                .and_then(|l| l.get_mut(tier))
            {
                list.remove(e);
            }
        }
    }

    /// Children of tier `t`, in order.
    #[must_use]
    pub fn tier(&self, t: usize) -> Option<&OrderIndex> {
        self.tiers.get(t)
    }

    /// Children of tier `t` who listed kindergarten `k`, in order.
    #[must_use]
    pub fn tier_at(&self, k: KgIx, t: usize) -> Option<&OrderIndex> {
        self.by_kindergarten.get(&k).and_then(|l| l.get(t))
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
        self.phases.get(b).copied().unwrap_or(0)
    }

    /// Sets the interleave phase of block `b` (by the round at `seq`).
    pub fn set_phase(&mut self, b: usize, phase: u32, seq: Seq) {
        if let Some(slot) = self.phases.get_mut(b) {
            let before = std::mem::replace(slot, phase);
            self.log.push(Change::Phase {
                seq,
                block: tier_code(b),
                before,
            });
        }
    }

    /// Every change, in journal order.
    #[must_use]
    pub fn log(&self) -> &Table<Change> {
        &self.log
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
        kindergarten: Option<KgIx>,
    ) -> Vec<usize> {
        if kindergarten.is_none() {
            let sizes: Vec<usize> = self.tiers.iter().map(OrderIndex::len).collect();
            let r = less_in(&self.tiers, tier, e);
            return ahead_from_counts(policy, &sizes, r, tier, &self.phases);
        }
        let empty;
        let lists = kindergarten.and_then(|k| self.by_kindergarten.get(&k));
        let view: &[OrderIndex] = if let Some(l) = lists {
            l
        } else {
            empty = vec![OrderIndex::default(); self.tiers.len()];
            &empty
        };
        let mut ahead = vec![0; self.tiers.len()];
        let (bi, block) = policy.block_of(tier);
        for b in policy.blocks.iter().take(bi) {
            match *b {
                Block::Strict(t) => put(&mut ahead, t, len_of(view, t)),
                Block::Pair { upper, .. } => {
                    put(&mut ahead, upper, len_of(view, upper));
                    put(&mut ahead, upper + 1, len_of(view, upper + 1));
                }
            }
        }
        match block {
            Block::Strict(t) => put(&mut ahead, t, less_in(view, t, e)),
            Block::Pair { upper, p, g } => {
                let lower = upper + 1;
                let phase = self.phase(bi);
                let r = less_in(&self.tiers, tier, e);
                let (other, before) = if tier == upper {
                    let n = lower_before_upper(p, g, phase, r, len_of(&self.tiers, lower));
                    (lower, n)
                } else {
                    let n = upper_before_lower(p, g, phase, r, len_of(&self.tiers, upper));
                    (upper, n)
                };
                put(&mut ahead, tier, less_in(view, tier, e));
                // The first child of the other tier behind this one, in the whole queue;
                // among those who listed the kindergarten, who sorts before it is ahead.
                let behind = self.tiers.get(other).and_then(|l| l.select(before));
                let n = behind
                    .map_or_else(|| len_of(view, other), |first| less_in(view, other, &first));
                put(&mut ahead, other, n);
            }
        }
        ahead
    }
}
