//! The allocation round: for each cohort queue with free seats, walk the merged order
//! lazily; each child gets its highest preference with a free seat in a group of its age and
//! language (lowest group id first), or is skipped and consumes no slot. Serial dictatorship
//! over the fair order (`docs/rules.md`).
//!
//! A joint application (siblings who go together) is considered where the walk meets the
//! second of the two: both take a seat at the first kindergarten they both listed with two
//! seats left, or neither does; the first of them, met before, waits for it and takes no
//! slot.
//!
//! Only children who listed a kindergarten that has a usable free seat are ever looked at:
//! per tier, a k-way merge over the (kindergarten, tier) lists of those kindergartens, so a
//! round costs O(k log n) for the k children walked. Deciding a round changes nothing; its
//! record is an event the round command applies.

pub mod certificate;
pub mod exchange;
mod seats;
pub mod siblings;
mod walk;
pub mod why;

use crate::event::{IssuedReferral, PhaseChange, RoundRecord};
use crate::model::{AppIx, ApplicationId, DistrictIx, KgIx, Language, ReferralId, RoundId};
use crate::queue::order::{Entry, OrderIndex};
use crate::queue::{CohortQueue, QueueKey};
use crate::state::State;
use jiff::Timestamp;
use seats::{Scratch, Seats};
use std::collections::BTreeMap;
use walk::{Pick, Walk};

/// A child being registered: not in the state yet, but in the round its registration runs
/// (the state it is decided on does not hold the child; the round must see it where the
/// registration will put it).
#[derive(Debug, Clone)]
pub struct Newcomer<'a> {
    /// Its id.
    pub id: &'a ApplicationId,
    /// Its key: registration time and the index it will get.
    pub entry: Entry,
    /// Its tier.
    pub tier: usize,
    /// Its cohort queue.
    pub queue: QueueKey,
    /// Its kindergartens, best first.
    pub preferences: &'a [KgIx],
    /// The sibling it goes together with (a joint application), waiting in its queue.
    pub partner: Option<AppIx>,
    /// Its applicant: with sibling priority, a brother or sister enrolled at one of its
    /// kindergartens puts it ahead there in this round as in every later one.
    pub applicant: Option<crate::model::Iin>,
}

/// What a round is asked to do.
#[derive(Debug, Clone)]
pub struct RoundSpec<'a> {
    /// The round's id (referral ids are `<round>-<n>`).
    pub round_id: RoundId,
    /// The district.
    pub district: DistrictIx,
    /// The academic year whose ages decide the groups.
    pub academic_year: i16,
    /// When it runs.
    pub at: Timestamp,
    /// `Some` to allocate in one cohort queue only.
    pub scope: Option<(i16, Language)>,
    /// A child being registered, who takes part.
    pub newcomer: Option<&'a Newcomer<'a>>,
}

impl State {
    /// Decides a round without changing the state; `None` when the district is not one of
    /// this state's.
    #[must_use]
    pub fn allocate(&self, spec: &RoundSpec<'_>) -> Option<RoundRecord> {
        let district = self.district(spec.district)?.id.clone();
        let (by_queue, free_before) = self.seats_by_queue(spec);
        let mut picks = Vec::new();
        let mut phases = Vec::new();
        let mut left = BTreeMap::new();
        let children = self.application_count() + usize::from(spec.newcomer.is_some());
        let mut scratch = Scratch::new(self.kindergarten_count(), children);
        let (tiers, blocks) = (self.policy().tiers.len(), self.policy().blocks.len());
        let empty = CohortQueue::new(tiers, blocks);
        let boosts = self
            .policy()
            .siblings
            .priority
            .then(|| self.sibling_boosts(spec.district, spec.newcomer));
        let one = spec.newcomer.map(|n| {
            let mut one = OrderIndex::default();
            one.insert(n.entry);
            one
        });
        for ((cohort, language), seats) in by_queue {
            let key = QueueKey {
                district: spec.district,
                cohort,
                language,
            };
            let extra = spec
                .newcomer
                .filter(|n| n.queue == key)
                .zip(one.as_ref())
                .map(|(n, one)| (n.tier, one));
            let Some(queue) = self.queue(&key).or(extra.map(|_| &empty)) else {
                // Nobody queued for these seats: all of them are left for transfers.
                left.insert((cohort, language), seats);
                continue;
            };
            let walked =
                self.walk_one(spec, (queue, extra), seats, (&mut scratch, boosts.as_ref()));
            left.insert((cohort, language), walked.2);
            picks.extend(walked.0);
            phases.extend(walked.1.into_iter().map(|(block, phase)| PhaseChange {
                cohort,
                language,
                block,
                phase,
            }));
        }
        let queued = picks.len();
        // Transfers come after every queued child: only seats no queued child took are theirs;
        // then the requests left trade seats among themselves.
        let whole = spec.scope.is_none() && spec.newcomer.is_none();
        if whole {
            picks.extend(self.walk_transfers(spec.district, &mut left));
        }
        let referrals = self.issue(spec, &picks, queued);
        let exchanges = if whole {
            let busy = picks.iter().skip(queued).map(|(a, _, _)| *a).collect();
            let cycles = self.exchange_cycles(spec.district, spec.academic_year, &busy);
            self.offer(spec, &cycles, referrals.len())
        } else {
            Vec::new()
        };
        Some(RoundRecord {
            round_id: spec.round_id.clone(),
            district,
            academic_year: spec.academic_year,
            ran_at: spec.at,
            scope: spec.scope,
            free_seats_left: free_before - referrals.len() as u64,
            referrals,
            phases,
            exchanges,
        })
    }

    /// Walks one cohort queue with its seats: the picks, and the phases that moved.
    fn walk_one(
        &self,
        spec: &RoundSpec<'_>,
        (queue, extra): (&CohortQueue, Option<(usize, &OrderIndex)>),
        seats: Seats,
        (scratch, boosts): (&mut Scratch, Option<&siblings::Boosts>),
    ) -> (Vec<Pick>, Vec<(usize, u32)>, Seats) {
        scratch.mark(&seats, false);
        let mut walk = Walk {
            state: self,
            seats,
            scratch,
            at: spec.at,
            newcomer: spec.newcomer,
            picks: Vec::new(),
            boosts,
        };
        let phases = walk.walk_queue(queue, extra);
        let Walk {
            seats,
            picks,
            scratch,
            ..
        } = walk;
        scratch.mark(&seats, true);
        (picks, phases, seats)
    }

    /// The transfer requests of a district that wait for a referral, in the policy's order
    /// (`[transfer] order`), each with its cohort queue's key.
    #[must_use]
    pub fn waiting_transfers(&self, district: DistrictIx) -> Vec<(AppIx, (i16, Language))> {
        let mut waiting: Vec<_> = self
            .transfers()
            .filter(|(a, t)| t.referral.is_none() && self.open_exchange_of(*a).is_none())
            .filter_map(|(a, t)| {
                let app = self.application(a)?;
                let order = match self.policy().transfer.order {
                    crate::policy::TransferOrder::RequestTime => t.requested_at,
                    crate::policy::TransferOrder::RegistrationTime => app.registered_at,
                };
                (app.district == district).then_some((order, a, (app.cohort, app.language)))
            })
            .collect();
        waiting.sort_unstable();
        waiting.into_iter().map(|(_, a, key)| (a, key)).collect()
    }

    /// Each waiting transfer request in order takes its highest kindergarten with a seat
    /// `left` in its cohort queue's groups (lowest group id first), or nothing.
    fn walk_transfers(
        &self,
        district: DistrictIx,
        left: &mut BTreeMap<(i16, Language), Seats>,
    ) -> Vec<Pick> {
        let mut picks = Vec::new();
        for (a, key) in self.waiting_transfers(district) {
            let (Some(seats), Some(t)) = (left.get_mut(&key), self.transfer(a)) else {
                continue;
            };
            let pick = t.preferences.iter().find_map(|k| {
                let slot = seats.slot_of(*k).filter(|s| seats.has_left(*s))?;
                Some((*k, seats.take(slot)?))
            });
            if let Some((k, gi)) = pick {
                picks.push((a, k, gi));
            }
        }
        picks
    }

    /// The usable free seats of the round's district by cohort queue, and all free seats.
    fn seats_by_queue(&self, spec: &RoundSpec<'_>) -> (BTreeMap<(i16, Language), Seats>, u64) {
        let mut by_queue: BTreeMap<(i16, Language), Seats> = BTreeMap::new();
        let mut free_before = 0u64;
        let max_age = self.policy().max_age;
        let kindergartens = self
            .district(spec.district)
            .map_or(&[][..], |d| &d.kindergartens[..]);
        for &k in kindergartens {
            let Some(kg) = self.kindergarten(k) else {
                continue;
            };
            for (gi, g) in kg.groups.iter().enumerate() {
                let free = g.free();
                free_before += u64::from(free);
                let usable = free > 0 && g.age_years >= 0 && i32::from(g.age_years) < max_age;
                let key = (spec.academic_year - g.age_years, g.language);
                if !usable || spec.scope.is_some_and(|s| s != key) {
                    continue;
                }
                by_queue.entry(key).or_default().add(k, gi, free);
            }
        }
        (by_queue, free_before)
    }

    /// The referrals of a round's picks, numbered in order; those from `queued` on are
    /// transfers'.
    fn issue(&self, spec: &RoundSpec<'_>, picks: &[Pick], queued: usize) -> Vec<IssuedReferral> {
        let policy = self.policy();
        let expires_at = policy
            .calendar
            .deadline(spec.at, policy.referral.confirm_working_days);
        let id_of = |a: AppIx| match spec.newcomer.filter(|n| n.entry.app() == a) {
            Some(n) => Some(n.id.clone()),
            None => self.application(a).map(|x| x.id.clone()),
        };
        picks
            .iter()
            .enumerate()
            .filter_map(|(n, (a, k, gi))| {
                let kg = self.kindergarten(*k)?;
                Some(IssuedReferral {
                    referral_id: referral_id(&spec.round_id, n + 1),
                    application_id: id_of(*a)?,
                    kindergarten_id: kg.id.clone(),
                    group_id: kg.groups.get(*gi)?.id.clone(),
                    expires_at,
                    transfer: n >= queued,
                })
            })
            .collect()
    }
}

impl State {
    /// The exchange offers of a round's cycles; their referrals are numbered after the
    /// round's `issued` ones.
    fn offer(
        &self,
        spec: &RoundSpec<'_>,
        cycles: &[Vec<exchange::Move>],
        issued: usize,
    ) -> Vec<crate::event::ExchangeOffer> {
        let policy = self.policy();
        let expires_at = policy
            .calendar
            .deadline(spec.at, policy.referral.confirm_working_days);
        let mut n = issued;
        let seat = |k: KgIx, gi: usize| {
            let kg = self.kindergarten(k)?;
            Some((kg.id.clone(), kg.groups.get(gi)?.id.clone()))
        };
        cycles
            .iter()
            .filter_map(|cycle| {
                let moves: Vec<crate::event::ExchangeMove> = cycle
                    .iter()
                    .filter_map(|(a, k, gi)| {
                        let (from_k, from_g, _) = self.place(*a)?;
                        let from = seat(
                            from_k,
                            self.kindergarten(from_k)?
                                .groups
                                .iter()
                                .position(|g| g.id == from_g)?,
                        )?;
                        n += 1;
                        Some(crate::event::ExchangeMove {
                            application_id: self.application(*a)?.id.clone(),
                            referral_id: referral_id(&spec.round_id, n),
                            from,
                            to: seat(*k, *gi)?,
                        })
                    })
                    .collect();
                Some(crate::event::ExchangeOffer {
                    exchange_id: moves.first()?.referral_id.clone(),
                    moves,
                    expires_at,
                })
            })
            .collect()
    }
}

/// The id of the `n`th referral of round `round`.
fn referral_id(round: &RoundId, n: usize) -> ReferralId {
    // A round id has at most 24 characters (the round command refuses longer ones) and `n`
    // at most 7 digits, so `<round>-<n>` is a valid id of at most 32.
    ReferralId::parse(&format!("{round}-{n}"))
        .unwrap_or_else(|_| unreachable!("round ids are at most 24 characters"))
}
