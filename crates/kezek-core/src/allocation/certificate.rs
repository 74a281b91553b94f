//! Round certificates: what a round proves about itself, worked out when it is applied from
//! the state just before it and just after — so a state replayed from the public journal
//! works out the same one, and anyone can check it.
//!
//! Per group that took children from the queue: how many, and the merged-order place
//! before the round (the queue number then) of the last child referred there — the cut-off
//! a family compares its own number with. And for every queued child of the queues the
//! round served that it did not refer, the check that each group it could use at each
//! kindergarten it listed is full, with only children ranked before it there (no
//! justified envy): those for whom it fails are listed, which a correct round never does.
//! Who ranks before whom at a kindergarten: by the policy's blocks; inside a block, a tier
//! by place in the merged order, while between the two tiers of an interleaved pair the
//! round's slots decide; with sibling priority, tier, then whether ahead there, then place.
//! A joint application's children rank as the later of the two (the round takes them
//! there), and with sibling priority their seats are never taken back; a transfer's seat
//! ranks after every queued child. Children waiting jointly, and children
//! a stop list keeps from a seat, are not checked (a round may not give them a single seat).

use super::siblings::Boosts;
use crate::event::RoundRecord;
pub use crate::event::{GroupCutoff, RoundCertificate};
use crate::model::{AppIx, AppStatus, DistrictIx, GroupId, KgIx, Language};
use crate::queue::QueueKey;
use crate::state::State;
use rustc_hash::FxHashMap;

/// What the certificate needs of the state before the round.
pub(crate) struct Before {
    district: DistrictIx,
    /// Every queued child of the served queues: its place in its queue's merged order.
    places: FxHashMap<AppIx, u32>,
    /// The same children, queue by queue in merged order.
    order: Vec<AppIx>,
    /// The joint applications waiting together, each child with its sibling.
    pairs: FxHashMap<AppIx, AppIx>,
    boosts: Option<Boosts>,
}

impl State {
    /// The places, pairs and sibling priorities before round `record` in `district`.
    pub(crate) fn certificate_before(&self, district: DistrictIx, record: &RoundRecord) -> Before {
        let keys: Vec<QueueKey> = match record.scope {
            Some((cohort, language)) => vec![QueueKey {
                district,
                cohort,
                language,
            }],
            None => self.queue_keys_of(district),
        };
        let mut places = FxHashMap::default();
        let mut order = Vec::new();
        for key in &keys {
            if let Some(q) = self.queue(key) {
                for (i, (_, e)) in q.merged(self.policy(), 0, q.len()).into_iter().enumerate() {
                    places.insert(e.app(), u32::try_from(i + 1).unwrap_or(u32::MAX));
                    order.push(e.app());
                }
            }
        }
        // The pairs are few: look them up from the pairs, not from every child.
        let pairs = self
            .joint_pairs()
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .filter(|(a, _)| places.contains_key(a))
            .filter(|(a, b)| self.waiting_partner(*a) == Some(*b))
            .collect();
        let boosts = self
            .policy()
            .siblings
            .priority
            .then(|| self.sibling_boosts(district, None));
        Before {
            district,
            places,
            order,
            pairs,
            boosts,
        }
    }

    /// The certificate of round `record`, applied on the state `before` was taken from.
    pub(crate) fn certificate_after(
        &self,
        before: &Before,
        record: &RoundRecord,
    ) -> RoundCertificate {
        // Who holds each seat the round gave: the rank of each child there.
        let mut holders: FxHashMap<(KgIx, &GroupId), Vec<Option<AppIx>>> = FxHashMap::default();
        let mut groups: Vec<GroupCutoff> = Vec::new();
        // Where each group is in `groups` (a round gives seats in thousands of groups).
        let mut group_at: FxHashMap<(KgIx, &GroupId), usize> = FxHashMap::default();
        for issued in &record.referrals {
            let (Some(a), Some(k)) = (
                self.application_index(&issued.application_id),
                self.kindergarten_index(&issued.kindergarten_id),
            ) else {
                continue;
            };
            let held = (!issued.transfer).then_some(a);
            holders.entry((k, &issued.group_id)).or_default().push(held);
            if issued.transfer {
                continue;
            }
            let place = before.places.get(&a).copied().unwrap_or(0);
            if let Some(g) = group_at
                .get(&(k, &issued.group_id))
                .and_then(|i| groups.get_mut(*i))
            {
                g.referred += 1;
                g.cutoff = g.cutoff.max(place);
                continue;
            }
            group_at.insert((k, &issued.group_id), groups.len());
            let (cohort, language) = self
                .application(a)
                .map_or((0, Language::Kk), |x| (x.cohort, x.language));
            groups.push(GroupCutoff {
                kindergarten_id: issued.kindergarten_id.clone(),
                group_id: issued.group_id.clone(),
                cohort,
                language,
                referred: 1,
                cutoff: place,
                seats_left: 0,
            });
        }
        for g in &mut groups {
            g.seats_left = self
                .kindergarten_index(&g.kindergarten_id)
                .and_then(|k| self.kindergarten(k))
                .and_then(|kg| kg.groups.iter().find(|x| x.id == g.group_id))
                .map_or(0, crate::state::Group::free);
        }
        let (mut passed_over, mut envy) = (0, Vec::new());
        // Where a child can have been passed over at all: a kindergarten with a seat left, or
        // one this round gave. Most of a district's kindergartens are neither: a child's
        // other choices need no look at their groups.
        let mut open: rustc_hash::FxHashSet<KgIx> = holders.keys().map(|(k, _)| *k).collect();
        if let Some(d) = self.district(before.district) {
            open.extend(d.kindergartens.iter().copied().filter(|k| {
                self.kindergarten(*k)
                    .is_some_and(|kg| kg.groups.iter().any(|g| g.free() > 0))
            }));
        }
        for &a in &before.order {
            let Some(app) = self.application(a) else {
                continue;
            };
            if app.status != AppStatus::Queued
                || app.stopped_until.is_some_and(|t| t > record.ran_at)
                || before.pairs.contains_key(&a)
            {
                continue;
            }
            passed_over += 1;
            let age = record.academic_year - app.cohort;
            let envies = app
                .preferences
                .iter()
                .filter(|k| open.contains(k))
                .any(|k| {
                    let Some(kg) = self
                        .kindergarten(*k)
                        .filter(|kg| kg.district == before.district)
                    else {
                        return false;
                    };
                    kg.groups
                        .iter()
                        .filter(|g| g.serves(age, app.language))
                        .any(|g| {
                            g.free() > 0
                                || holders.get(&(*k, &g.id)).is_some_and(|held| {
                                    held.iter().any(|h| !self.ranks_before(before, *h, a, *k))
                                })
                        })
                });
            if envies {
                envy.push(app.id.clone());
            }
        }
        RoundCertificate {
            round_id: record.round_id.clone(),
            district: record.district.clone(),
            academic_year: record.academic_year,
            ran_at: record.ran_at,
            groups,
            passed_over,
            envy,
        }
    }

    /// Whether the holder `h` of a seat at `k` (`None`: a transfer's) ranks before the
    /// queued child `c` there. By the policy's blocks; inside a block, a tier by places in
    /// the merged order, while between the two tiers of an interleaved pair the round's
    /// slots decide (neither ranks before the other). With sibling priority (strict tiers):
    /// tier, then ahead at `k`, then place — and a joint application's seats are never
    /// taken back.
    fn ranks_before(&self, before: &Before, h: Option<AppIx>, c: AppIx, k: KgIx) -> bool {
        let Some(held) = h else {
            return false;
        };
        let place = |a: AppIx| before.places.get(&a).copied().unwrap_or(u32::MAX);
        // A joint application's seats were taken where the round met its later child.
        let h = before
            .pairs
            .get(&held)
            .filter(|p| place(**p) > place(held))
            .copied()
            .unwrap_or(held);
        let tier = |a: AppIx| {
            self.application(a)
                .map_or(usize::MAX, |x| usize::from(x.tier))
        };
        if let Some(boosts) = &before.boosts {
            let rank = |a: AppIx| (tier(a), !boosts.ahead_at(a, k), place(a));
            return before.pairs.contains_key(&held) || rank(h) < rank(c);
        }
        let block = |a: AppIx| self.policy().block_of(tier(a)).0;
        match (block(h).cmp(&block(c)), tier(h) == tier(c)) {
            (std::cmp::Ordering::Equal, true) => place(h) < place(c),
            (std::cmp::Ordering::Equal, false) => true,
            (order, _) => order == std::cmp::Ordering::Less,
        }
    }
}
