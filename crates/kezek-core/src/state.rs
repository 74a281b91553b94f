//! The state every command is decided against and every event applied to: kindergartens and
//! their groups, applications, the cohort queues, referrals and rounds.

use crate::event::{ClaimStatus, Ground, Representative, RoundRecord};
use crate::ids::{ApplicationId, DistrictId, GroupId, KindergartenId, ReferralId, RoundId};
use crate::iin::Iin;
use crate::order::Entry;
use crate::policy::Policy;
use crate::queue::{CohortQueue, QueueKey};
use crate::table::Table;
use crate::types::{Category, Channel, Language, Seq};
use jiff::civil::Date;
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// A district: the owner of a queue and of its kindergartens.
#[derive(Debug, Clone)]
pub struct District {
    /// Id.
    pub id: DistrictId,
    /// Dense indexes of its kindergartens, in creation order.
    pub kindergartens: Vec<u32>,
}

/// A group of a kindergarten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id, unique inside the kindergarten.
    pub id: GroupId,
    /// Age in full years on the cut-off date of the children it takes.
    pub age_years: i16,
    /// Language of instruction.
    pub language: Language,
    /// Places.
    pub capacity: u32,
    /// Places taken by admitted children.
    pub enrolled: u32,
    /// Places held by issued or confirmed referrals.
    pub reserved: u32,
}

impl Group {
    /// Free places: capacity − enrolled − reserved (never negative by construction).
    #[must_use]
    pub fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.enrolled + self.reserved)
    }
}

/// A kindergarten.
#[derive(Debug, Clone)]
pub struct Kindergarten {
    /// Id.
    pub id: KindergartenId,
    /// Name.
    pub name: String,
    /// Dense district index.
    pub district: u32,
    /// Groups, sorted by group id.
    pub groups: Vec<Group>,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    /// Waiting in its cohort queue.
    Queued,
    /// Holding an issued or confirmed referral.
    Referred,
    /// Admitted to a kindergarten.
    Enrolled,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// Ended by a declined or lapsed referral.
    Cancelled,
    /// Past the maximum age.
    AgedOut,
}

impl AppStatus {
    /// The code used in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Referred => "referred",
            Self::Enrolled => "enrolled",
            Self::Withdrawn => "withdrawn",
            Self::Cancelled => "cancelled",
            Self::AgedOut => "aged_out",
        }
    }

    /// Whether the application still blocks a new one for the same child.
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Referred | Self::Enrolled)
    }
}

/// The applicant's side of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    /// IIN.
    pub iin: Iin,
    /// Full name.
    pub name: Box<str>,
    /// Representative with a power of attorney.
    pub representative: Option<Representative>,
}

/// Dense kindergarten indexes, best first: up to three (the policies' limit) inside the
/// application itself, more on the heap.
pub type Preferences = smallvec::SmallVec<[u32; 3]>;

/// An accepted application.
#[derive(Debug, Clone)]
pub struct Application {
    /// Id.
    pub id: ApplicationId,
    /// Child's IIN.
    pub child_iin: Iin,
    /// Child's full name.
    pub child_name: Box<str>,
    /// Birth date.
    pub birth_date: Date,
    /// Cohort (academic birth year).
    pub cohort: i16,
    /// Applicant (`None` for an imported application that does not carry one).
    pub applicant: Option<Box<Applicant>>,
    /// Dense district index.
    pub district: u32,
    /// Language.
    pub language: Language,
    /// Dense kindergarten indexes, best first.
    pub preferences: Preferences,
    /// Claimed category.
    pub category: Option<Category>,
    /// Claim state.
    pub claim: ClaimStatus,
    /// Current tier (derived from category, claim and policy).
    pub tier: usize,
    /// Documents presented, as a bit set of [`crate::types::Document`] discriminants.
    pub documents: u8,
    /// Channel.
    pub channel: Channel,
    /// Original registration time.
    pub registered_at: Timestamp,
    /// Sequence number of the registration.
    pub seq: Seq,
    /// Status.
    pub status: AppStatus,
    /// The latest referral, if any.
    pub referral: Option<u32>,
    /// Not offered a seat before this instant (stop list).
    pub stopped_until: Option<Timestamp>,
    /// The same child's application before this one, if any.
    pub previous: Option<u32>,
}

impl Application {
    /// The key that orders the child inside its tier.
    #[must_use]
    pub fn entry(&self, index: u32) -> Entry {
        Entry::new(self.registered_at, index)
    }

    /// The cohort queue the child waits in.
    #[must_use]
    pub fn queue_key(&self) -> QueueKey {
        QueueKey {
            district: self.district,
            cohort: self.cohort,
            language: self.language,
        }
    }
}

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralStatus {
    /// Issued; the parent must confirm.
    Issued,
    /// Confirmed; the kindergarten must admit.
    Confirmed,
    /// Used: the child is enrolled.
    Enrolled,
    /// Declined by the parent.
    Declined,
    /// Not confirmed or used in time.
    Lapsed,
    /// The child did not come.
    NoShow,
    /// Released by a withdrawal.
    Released,
}

impl ReferralStatus {
    /// The code used in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Confirmed => "confirmed",
            Self::Enrolled => "enrolled",
            Self::Declined => "declined",
            Self::Lapsed => "lapsed",
            Self::NoShow => "no_show",
            Self::Released => "released",
        }
    }

    /// Whether the referral still holds its seat.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Issued | Self::Confirmed)
    }
}

/// A referral to a kindergarten group.
#[derive(Debug, Clone)]
pub struct Referral {
    /// Id.
    pub id: ReferralId,
    /// Dense application index.
    pub app: u32,
    /// Dense kindergarten index.
    pub kindergarten: u32,
    /// Group id.
    pub group: GroupId,
    /// Dense round index.
    pub round: u32,
    /// Tier of the child when it was issued.
    pub tier: usize,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Current deadline (confirmation, then admission).
    pub expires_at: Timestamp,
    /// Status.
    pub status: ReferralStatus,
    /// Whether the one extension was used.
    pub extended: bool,
    /// When the child was admitted.
    pub enrolled_at: Option<Timestamp>,
}

/// A refused application, kept so its id is never reused and its document can be served.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// When.
    pub at: Timestamp,
    /// Every ground.
    pub grounds: Vec<Ground>,
}

/// The whole state.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) policy: Policy,
    pub(crate) last_seq: Seq,
    pub(crate) districts: Vec<District>,
    pub(crate) district_index: FxHashMap<DistrictId, u32>,
    pub(crate) kindergartens: Vec<Kindergarten>,
    pub(crate) kindergarten_index: FxHashMap<KindergartenId, u32>,
    pub(crate) applications: Table<Application>,
    pub(crate) application_index: crate::app_index::AppIndex,
    /// The newest application of each child; the only one that can be active.
    pub(crate) latest_by_child: FxHashMap<Iin, u32>,
    pub(crate) queues: FxHashMap<QueueKey, CohortQueue>,
    pub(crate) referrals: Vec<Referral>,
    pub(crate) referral_index: FxHashMap<ReferralId, u32>,
    pub(crate) deadlines: BTreeSet<(Timestamp, u32)>,
    pub(crate) rounds: Vec<RoundRecord>,
    pub(crate) round_index: FxHashMap<RoundId, u32>,
    pub(crate) refusals: FxHashMap<ApplicationId, Refusal>,
    /// The seq and cause of the event being applied (recorded in the cohort queues' logs).
    pub(crate) applying: (Seq, crate::queue::Cause),
}

impl State {
    /// An empty state under `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            last_seq: Seq::default(),
            districts: Vec::new(),
            district_index: FxHashMap::default(),
            kindergartens: Vec::new(),
            kindergarten_index: FxHashMap::default(),
            applications: Table::default(),
            application_index: crate::app_index::AppIndex::default(),
            latest_by_child: FxHashMap::default(),
            queues: FxHashMap::default(),
            referrals: Vec::new(),
            referral_index: FxHashMap::default(),
            deadlines: BTreeSet::new(),
            rounds: Vec::new(),
            round_index: FxHashMap::default(),
            refusals: FxHashMap::default(),
            applying: (Seq::default(), crate::queue::Cause::RegisteredAhead),
        }
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Sequence number of the last applied event (0 when empty).
    #[must_use]
    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }

    /// The tier a child belongs in: its category's tier when the claim counts, else general.
    #[must_use]
    pub fn tier_for(&self, category: Option<&Category>, claim: ClaimStatus) -> usize {
        let counts = match claim {
            ClaimStatus::Verified => true,
            ClaimStatus::Pending => self.policy.count_pending_claims,
            ClaimStatus::None | ClaimStatus::Rejected => false,
        };
        category
            .filter(|_| counts)
            .and_then(|c| self.policy.tier_of(c))
            .unwrap_or_else(|| self.policy.general_tier())
    }

    /// Makes room for `n` more applications (a bulk load knows its size; growing a
    /// million-entry Vec and its maps step by step copies them over and over).
    pub fn reserve_applications(&mut self, n: usize) {
        self.applications.reserve(n);
        self.application_index.reserve(&self.applications, n);
        self.latest_by_child.reserve(n);
    }

    /// The child's active application, if any.
    #[must_use]
    pub fn active_application_of(&self, child: &Iin) -> Option<u32> {
        self.latest_by_child
            .get(child)
            .copied()
            .filter(|a| self.applications[*a as usize].status.is_active())
    }

    pub(crate) fn queue_insert(&mut self, app: u32) {
        let a = &self.applications[app as usize];
        let (key, entry, tier) = (a.queue_key(), a.entry(app), a.tier);
        let (tiers, blocks) = (self.policy.tiers.len(), self.policy.blocks.len());
        self.queues
            .entry(key)
            .or_insert_with(|| CohortQueue::new(tiers, blocks))
            .insert(
                entry,
                tier,
                &a.preferences,
                self.applying.0,
                self.applying.1,
            );
    }

    pub(crate) fn queue_remove(&mut self, app: u32) {
        let a = &self.applications[app as usize];
        if let Some(q) = self.queues.get_mut(&a.queue_key()) {
            q.remove(
                &a.entry(app),
                a.tier,
                &a.preferences,
                self.applying.0,
                self.applying.1,
            );
        }
    }
}
