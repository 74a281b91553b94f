//! The records the state keeps: districts, kindergartens and their groups, applications,
//! referrals and refusals. Their fields are public to read; only the state changes them.

use crate::event::{Ground, Representative};
use crate::model::{
    AppIx, AppStatus, ApplicationId, CategoryIx, Channel, ClaimStatus, DistrictId, DistrictIx,
    GroupId, Iin, KgIx, KindergartenId, Language, ReferralId, ReferralIx, ReferralStatus, RoundIx,
    Seq,
};
use crate::queue::order::Entry;
use crate::queue::QueueKey;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A district: the owner of a queue and of its kindergartens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct District {
    /// Id.
    pub id: DistrictId,
    /// Its kindergartens, in creation order.
    pub kindergartens: Vec<KgIx>,
    /// Its name and its authority's (`None` until named).
    #[serde(with = "crate::state::snapshot::json")]
    pub names: Option<Box<crate::event::DistrictNames>>,
}

/// A group of a kindergarten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Id, unique inside the kindergarten.
    pub id: GroupId,
    /// Age in full years on the cut-off date of the children it takes.
    pub age_years: i16,
    /// Language of instruction.
    pub language: Language,
    /// Places.
    pub capacity: u32,
    /// Places taken by admitted children: the named ones in `children` and, before them,
    /// the children enrolled before Kezek (a bare count from the city's data).
    pub enrolled: u32,
    /// Places held by issued or confirmed referrals.
    pub reserved: u32,
    /// The children Kezek admitted to the group, by application, in admission order.
    pub children: Vec<AppIx>,
}

impl Group {
    /// Free places: capacity − enrolled − reserved (never negative by construction).
    #[must_use]
    pub fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.enrolled + self.reserved)
    }

    /// The children enrolled before Kezek, known only as a count: `enrolled` less the named.
    #[must_use]
    pub fn unnamed(&self) -> u32 {
        self.enrolled
            .saturating_sub(u32::try_from(self.children.len()).unwrap_or(u32::MAX))
    }

    /// Whether the group takes children of `age` taught in `language`.
    #[must_use]
    pub fn serves(&self, age: i16, language: Language) -> bool {
        self.age_years == age && self.language == language
    }
}

/// A kindergarten.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kindergarten {
    /// Id.
    pub id: KindergartenId,
    /// Name.
    pub name: String,
    /// Its Russian name and its address, where given.
    #[serde(with = "crate::state::snapshot::json")]
    pub labels: crate::event::KindergartenLabels,
    /// Its district.
    pub district: DistrictIx,
    /// Groups, sorted by group id.
    pub groups: Vec<Group>,
    /// The academic year its groups were last rolled over into, if ever.
    pub rolled_over: Option<i16>,
}

impl Kindergarten {
    /// The group with id `id`.
    #[must_use]
    pub fn group(&self, id: &GroupId) -> Option<&Group> {
        self.groups.iter().find(|g| &g.id == id)
    }
}

/// The applicant's side of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// IIN.
    pub iin: Iin,
    /// Full name.
    pub name: Box<str>,
    /// Representative with a power of attorney.
    pub representative: Option<Representative>,
    /// E-mail address, where Kezek tells the family itself.
    pub email: Option<Box<str>>,
}

/// Kindergartens, best first: up to three (the policies' limit) inside the application
/// itself, more on the heap.
pub type Preferences = smallvec::SmallVec<[KgIx; 3]>;

/// An accepted application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    /// Id.
    pub id: ApplicationId,
    /// Child's IIN.
    pub child_iin: Iin,
    /// Child's full name.
    pub child_name: Box<str>,
    /// Birth date.
    #[serde(with = "crate::state::snapshot::date")]
    pub birth_date: Date,
    /// Cohort (academic birth year).
    pub cohort: i16,
    /// Applicant (`None` for an imported application that does not carry one).
    pub applicant: Option<Box<Applicant>>,
    /// Its district.
    pub district: DistrictIx,
    /// Language.
    pub language: Language,
    /// Kindergartens, best first.
    pub preferences: Preferences,
    /// Claimed category, as its place in the state's list of claimed codes
    /// ([`crate::state::State::category_of`] reads it): 4 bytes where the code took 24.
    pub category: Option<CategoryIx>,
    /// Claim state.
    pub claim: ClaimStatus,
    /// Current tier (derived from category, claim and policy; a policy has at most 8).
    pub tier: u8,
    /// Documents presented, as a bit set of [`crate::model::Document`] discriminants.
    pub documents: u8,
    /// Channel.
    pub channel: Channel,
    /// Whether its registration met a free seat and was referred in the same command: the
    /// referral is then the registration's one result (no queue notification is issued).
    pub referred_at_once: bool,
    /// Original registration time.
    #[serde(with = "crate::state::snapshot::instant")]
    pub registered_at: Timestamp,
    /// Sequence number of the registration.
    pub seq: Seq,
    /// Status.
    pub status: AppStatus,
    /// The latest referral, if any.
    pub referral: Option<ReferralIx>,
    /// Not offered a seat before this instant (stop list).
    pub stopped_until: Option<Timestamp>,
    /// The same child's application before this one, if any.
    pub previous: Option<AppIx>,
}

impl Application {
    /// Whether a person it names was erased (a stand-in in their place): its documents,
    /// notifications and proof files went with them.
    #[must_use]
    pub fn names_erased(&self) -> bool {
        let applicant = self.applicant.as_deref();
        self.child_iin.is_stand_in()
            || applicant.is_some_and(|p| {
                p.iin.is_stand_in()
                    || p.representative
                        .as_ref()
                        .is_some_and(|r| r.iin.is_stand_in())
            })
    }

    /// The key that orders the child inside its tier, for the application at `index`.
    #[must_use]
    pub fn entry(&self, index: AppIx) -> Entry {
        Entry::new(self.registered_at, index)
    }

    /// The child, as a bulk load or a restored snapshot puts it into its queue (the
    /// application at `index`).
    #[must_use]
    pub fn arrival(&self, index: AppIx) -> crate::queue::Arrival<'_> {
        crate::queue::Arrival {
            entry: self.entry(index),
            tier: self.tier.into(),
            kindergartens: &self.preferences,
            seq: self.seq,
        }
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

/// A referral to a kindergarten group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Referral {
    /// Id.
    pub id: ReferralId,
    /// The application referred.
    pub app: AppIx,
    /// The kindergarten.
    pub kindergarten: KgIx,
    /// Group id.
    pub group: GroupId,
    /// The round that issued it.
    pub round: RoundIx,
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
    /// The deadline the family was last reminded of (`referral_reminded`), if any.
    pub reminded_for: Option<Timestamp>,
    /// Whether it answers a request to transfer: the child keeps its seat until admitted
    /// here, and a decline or a lapse ends only the request.
    pub transfer: bool,
    /// Whether an exchange made it: its children moved into each other's seats, and no
    /// seat was given.
    pub exchange: bool,
}

/// An exchange a round offered, as the state keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The offer, as journaled.
    #[serde(with = "crate::state::snapshot::json")]
    pub offer: crate::event::ExchangeOffer,
    /// The members, in the offer's order.
    pub members: Vec<AppIx>,
    /// Which families confirmed, in the offer's order.
    pub confirmed: Vec<bool>,
    /// Offered, done or lapsed.
    pub status: ExchangeStatus,
    /// The round that offered it.
    pub round: RoundIx,
}

/// Where an exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExchangeStatus {
    /// Waiting for the families.
    Offered,
    /// Every family confirmed: the children moved.
    Done,
    /// Not confirmed in time.
    Lapsed,
}

impl ExchangeStatus {
    /// Its name in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Done => "done",
            Self::Lapsed => "lapsed",
        }
    }
}

/// A request to move an enrolled child to another kindergarten; the child keeps its seat
/// meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The kindergartens asked for, best first.
    pub preferences: Preferences,
    /// When it was first asked for (a change of kindergartens keeps it).
    #[serde(with = "crate::state::snapshot::instant")]
    pub requested_at: Timestamp,
    /// The referral a round issued for it, while open.
    pub referral: Option<ReferralIx>,
}

/// A refused application, kept so its id is never reused and its document can be served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refusal {
    /// When.
    pub at: Timestamp,
    /// The child it was filed for, when the request named one validly (a stand-in once
    /// the child is erased).
    pub child: Option<Iin>,
    /// Every ground.
    #[serde(with = "crate::state::snapshot::json")]
    pub grounds: Vec<Ground>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million of them are held: the record stays within its budget (200 bytes before
    /// the tier became a byte, the category an index into the state's list of codes and
    /// optional indexes 4 bytes).
    #[test]
    fn an_application_stays_within_its_budget() {
        assert!(std::mem::size_of::<Application>() <= 168);
    }
}
