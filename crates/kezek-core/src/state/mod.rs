//! The state every command is decided against and every event applied to: kindergartens and
//! their groups, applications, the cohort queues, referrals and rounds.
//!
//! Its fields are private. Readers use the named queries of [`queries`]; only the apply arms
//! of the commands change it, through the named changes of [`mutate`], which keep the
//! indexes (ids, children, cohort queues, deadlines) in step with the tables.

pub mod app_index;
mod claims;
mod days;
pub mod explain;
mod files;
mod joint;
pub mod mismatch;
mod mutate;
pub mod queries;
pub mod records;
mod retention;
pub mod snapshot;
pub mod stats;

pub use mismatch::{ApplyError, Mismatch};
pub(crate) use mutate::Stamp;
pub use queries::Position;
pub use records::{
    Applicant, Application, District, Exchange, ExchangeStatus, Group, Kindergarten, Preferences,
    Referral, Refusal, Transfer,
};

use crate::event::RoundRecord;
use crate::model::{
    AppIx, ApplicationId, Category, ClaimStatus, DistrictId, DistrictIx, KgIx, KindergartenId,
    ReferralId, ReferralIx, RoundId, RoundIx, Seq,
};
use crate::policy::Policy;
use crate::queue::{CohortQueue, QueueKey};
use crate::table::Table;
use app_index::{AppIndex, ChildIndex};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// An authority key the journal adopted (`authority_adopted`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorityKey {
    /// Its id.
    pub key_id: Box<str>,
    /// The public key, base64.
    pub public_key: Box<str>,
    /// The seq of its adoption: in force from it on.
    pub since: Seq,
    /// How it came into force.
    pub change: crate::event::AuthorityChange,
    /// Why, for a replacement.
    pub reason: Option<Box<str>>,
    /// For a rotation, the previous key's signature over this one (base64).
    pub endorsement: Option<Box<str>>,
    /// When it was adopted.
    pub at: jiff::Timestamp,
}

/// A named official and what became of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfficialRecord {
    /// As named (`signs` turns false when another signer is named, or when they leave).
    pub official: crate::event::Official,
    /// The seq that named them.
    pub since: Seq,
    /// When they left, if they did.
    pub left: Option<jiff::Timestamp>,
    /// Their signing certificate, once installed.
    #[serde(default)]
    pub certificate: Option<crate::event::InstalledCertificate>,
}

/// The whole state.
#[derive(Debug, Clone)]
pub struct State {
    /// The tier policy in force.
    policy: Policy,
    /// The SHA-256 (hex) of the journaled text of the policy in force, once journaled.
    policy_sha256: Option<Box<str>>,
    /// Sequence number of the last applied event.
    last_seq: Seq,
    /// Districts, in order of first mention.
    districts: Vec<District>,
    /// District id → index.
    district_index: FxHashMap<DistrictId, DistrictIx>,
    /// Kindergartens, in creation order.
    kindergartens: Vec<Kindergarten>,
    /// Kindergarten id → index.
    kindergarten_index: FxHashMap<KindergartenId, KgIx>,
    /// The district of each kindergarten, by index: every registration checks its
    /// preferences' districts, and this list fits in cache where the records do not.
    kindergarten_districts: Vec<DistrictIx>,
    /// Applications, in registration order.
    applications: Table<Application>,
    /// Application id → index.
    application_index: AppIndex,
    /// The newest application of each child; the only one that can be active.
    latest_by_child: ChildIndex,
    /// The category codes children claimed, each once, in the order first claimed (a
    /// handful: the policies' categories).
    categories: Vec<Category>,
    /// The cohort queues.
    queues: FxHashMap<QueueKey, CohortQueue>,
    /// Referrals, in issue order.
    referrals: Vec<Referral>,
    /// Referral id → index.
    referral_index: FxHashMap<ReferralId, ReferralIx>,
    /// Open referrals by deadline.
    deadlines: BTreeSet<(Timestamp, ReferralIx)>,
    /// Rounds, in order.
    rounds: Vec<RoundRecord>,
    /// Each round's certificate, by round (worked out when it is applied).
    certificates: Vec<crate::event::RoundCertificate>,
    /// Round id → index.
    round_index: FxHashMap<RoundId, RoundIx>,
    /// Refused applications by id.
    refusals: FxHashMap<ApplicationId, Refusal>,
    /// API keys whose revocation is journaled (`key_revoked`).
    revoked_keys: rustc_hash::FxHashSet<Box<str>>,
    /// The authority keys the journal adopted, in order; the last is in force.
    authorities: Vec<AuthorityKey>,
    /// The officials, in the order named.
    officials: Vec<OfficialRecord>,
    /// The official each bound API key belongs to (key id → index into `officials`).
    key_officials: FxHashMap<Box<str>, usize>,
    /// The records of other parts of the service, with their seqs, in order.
    extensions: Vec<(Seq, crate::event::Extension)>,
    /// Requests to transfer an enrolled child, by application.
    transfers: std::collections::BTreeMap<AppIx, Transfer>,
    /// When each priority claimed after registration was claimed, by application.
    late_claims: std::collections::BTreeMap<AppIx, Timestamp>,
    /// Exchanges offered, in order.
    exchanges: Vec<Exchange>,
    /// The open exchange of each member, by application (index into `exchanges`).
    exchange_of: std::collections::BTreeMap<AppIx, usize>,
    /// The proof files attached to applications.
    files: files::Files,
    /// Joint applications: each half → the other (both directions).
    partners: std::collections::BTreeMap<AppIx, AppIx>,
    /// The key the portal signs citizen assertions with, once registered.
    portal_key: Option<Box<crate::event::PortalKey>>,
    /// The secret of the public journal's pseudonyms, once publishing started.
    publication_secret: Option<Box<str>>,
    /// The number the next erasure's stand-in is made from (`crate::public::stand_in_from`).
    next_stand_in: u64,
    /// The seq of the last erasure.
    last_erasure: Seq,
    /// The claims of the applications in progress, by district, state and time.
    claims: claims::Claims,
    /// Each district's registrations and referrals by local day.
    days: days::Days,
    /// When each finished application (whose child is not erased) finished, and the same
    /// ordered by time: what the retention sweep reads.
    finished: retention::Finished,
    /// During a bulk load ([`Bulk`]): the applications registered since the cohort queues
    /// were last brought up to date, in journal order. `None` otherwise.
    pending: Option<Vec<AppIx>>,
}

impl State {
    /// An empty state under `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            policy_sha256: None,
            last_seq: Seq::default(),
            districts: Vec::new(),
            district_index: FxHashMap::default(),
            kindergartens: Vec::new(),
            kindergarten_index: FxHashMap::default(),
            kindergarten_districts: Vec::new(),
            applications: Table::default(),
            application_index: AppIndex::default(),
            latest_by_child: ChildIndex::default(),
            categories: Vec::new(),
            queues: FxHashMap::default(),
            referrals: Vec::new(),
            referral_index: FxHashMap::default(),
            deadlines: BTreeSet::new(),
            rounds: Vec::new(),
            certificates: Vec::new(),
            round_index: FxHashMap::default(),
            refusals: FxHashMap::default(),
            revoked_keys: rustc_hash::FxHashSet::default(),
            authorities: Vec::new(),
            officials: Vec::new(),
            key_officials: FxHashMap::default(),
            extensions: Vec::new(),
            transfers: std::collections::BTreeMap::new(),
            late_claims: std::collections::BTreeMap::new(),
            exchanges: Vec::new(),
            exchange_of: std::collections::BTreeMap::new(),
            files: files::Files::default(),
            partners: std::collections::BTreeMap::new(),
            portal_key: None,
            publication_secret: None,
            next_stand_in: 0,
            last_erasure: Seq::default(),
            finished: retention::Finished::default(),
            claims: claims::Claims::default(),
            days: days::Days::default(),
            pending: None,
        }
    }

    /// The key the portal signs citizen assertions with, if one is registered.
    #[must_use]
    pub fn portal_key(&self) -> Option<&crate::event::PortalKey> {
        self.portal_key.as_deref()
    }

    /// The secret of the public journal's pseudonyms (hex), once publishing started.
    #[must_use]
    pub fn publication_secret(&self) -> Option<&str> {
        self.publication_secret.as_deref()
    }

    /// Starts publishing with `secret`.
    pub(crate) fn start_publication(&mut self, secret: &str) {
        self.publication_secret = Some(secret.into());
    }

    /// Registers the portal's key (a later one replaces it).
    pub(crate) fn trust_portal(&mut self, key: &crate::event::PortalKey) {
        self.portal_key = Some(Box::new(key.clone()));
    }

    /// The request to transfer application `a`'s child, if there is one.
    #[must_use]
    pub fn transfer(&self, a: AppIx) -> Option<&Transfer> {
        self.transfers.get(&a)
    }

    /// Every request to transfer, by application.
    pub fn transfers(&self) -> impl Iterator<Item = (AppIx, &Transfer)> {
        self.transfers.iter().map(|(a, t)| (*a, t))
    }

    /// When application `a`'s claim was made: at registration, or later
    /// (`priority_claimed`).
    #[must_use]
    pub fn claimed_at(&self, a: AppIx) -> Option<Timestamp> {
        self.late_claims
            .get(&a)
            .copied()
            .or_else(|| self.application(a).map(|x| x.registered_at))
    }

    /// Notes when a late claim of `a` was made.
    pub(crate) fn note_late_claim(&mut self, a: AppIx, at: Timestamp) {
        self.late_claims.insert(a, at);
    }

    /// Every late claim's time, by application.
    pub(crate) fn late_claims(&self) -> impl Iterator<Item = (AppIx, Timestamp)> + '_ {
        self.late_claims.iter().map(|(a, t)| (*a, *t))
    }

    /// The exchange with id `id` and its index.
    #[must_use]
    pub fn exchange(&self, id: &ReferralId) -> Option<(usize, &Exchange)> {
        self.exchanges
            .iter()
            .enumerate()
            .rev()
            .find(|(_, x)| &x.offer.exchange_id == id)
    }

    /// The open exchange application `a` is in, if any.
    #[must_use]
    pub fn open_exchange_of(&self, a: AppIx) -> Option<&Exchange> {
        self.exchange_of
            .get(&a)
            .and_then(|i| self.exchanges.get(*i))
    }

    /// Every exchange, in order.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter()
    }

    /// The open exchanges whose time passed at or before `at`.
    pub fn due_exchanges(&self, at: Timestamp) -> impl Iterator<Item = &Exchange> + '_ {
        self.exchanges
            .iter()
            .filter(move |x| x.status == ExchangeStatus::Offered && x.offer.expires_at <= at)
    }

    /// The earliest time an open exchange lapses.
    #[must_use]
    pub fn next_exchange_deadline(&self) -> Option<Timestamp> {
        self.exchange_of
            .values()
            .filter_map(|i| self.exchanges.get(*i))
            .map(|x| x.offer.expires_at)
            .min()
    }

    /// Keeps an offered exchange.
    pub(crate) fn add_exchange(&mut self, x: Exchange) {
        let i = self.exchanges.len();
        for a in &x.members {
            self.exchange_of.insert(*a, i);
        }
        self.exchanges.push(x);
    }

    /// Exchange `i`, to change.
    pub(crate) fn exchange_mut(&mut self, i: usize) -> Option<&mut Exchange> {
        self.exchanges.get_mut(i)
    }

    /// Exchange `i` is no longer open: its members are free for other offers.
    pub(crate) fn close_exchange(&mut self, i: usize, status: ExchangeStatus) {
        if let Some(x) = self.exchanges.get_mut(i) {
            x.status = status;
            for a in &x.members {
                self.exchange_of.remove(a);
            }
        }
    }

    /// Puts (or changes) the request to transfer `a`'s child.
    pub(crate) fn put_transfer(&mut self, a: AppIx, transfer: Transfer) {
        self.transfers.insert(a, transfer);
    }

    /// Ends the request to transfer `a`'s child, if any.
    pub(crate) fn end_transfer(&mut self, a: AppIx) {
        self.transfers.remove(&a);
    }

    /// The request to transfer `a`'s child, to change.
    pub(crate) fn transfer_mut(&mut self, a: AppIx) -> Option<&mut Transfer> {
        self.transfers.get_mut(&a)
    }

    /// Whether the revocation of API key `key_id` is journaled.
    #[must_use]
    pub fn key_revoked(&self, key_id: &str) -> bool {
        self.revoked_keys.contains(key_id)
    }

    /// The API keys whose revocation is journaled.
    pub fn revoked_keys(&self) -> impl Iterator<Item = &str> {
        self.revoked_keys.iter().map(AsRef::as_ref)
    }

    /// Records the journaled revocation of API key `key_id`.
    pub(crate) fn revoke_key(&mut self, key_id: &str) {
        self.revoked_keys.insert(key_id.into());
    }

    /// The authority keys the journal adopted, in order.
    #[must_use]
    pub fn authorities(&self) -> &[AuthorityKey] {
        &self.authorities
    }

    /// The authority key in force; `None` before the journal adopts one.
    #[must_use]
    pub fn authority(&self) -> Option<&AuthorityKey> {
        self.authorities.last()
    }

    /// The key in force at `seq`: the last adopted at or before it — or, before the first
    /// adoption (a journal of an earlier Kezek), the first, which signed those records.
    #[must_use]
    pub fn authority_at(&self, seq: Seq) -> Option<&AuthorityKey> {
        self.authorities
            .iter()
            .rev()
            .find(|k| k.since <= seq)
            .or_else(|| self.authorities.first())
    }

    /// The seq from which `key` is no longer in force (its successor's); `None` for the key
    /// in force.
    #[must_use]
    pub fn authority_until(&self, key: &AuthorityKey) -> Option<Seq> {
        let i = self
            .authorities
            .iter()
            .position(|k| k.key_id == key.key_id)?;
        self.authorities.get(i + 1).map(|next| next.since)
    }

    /// Records the journaled adoption of an authority key.
    pub(crate) fn adopt_authority(&mut self, key: AuthorityKey) {
        self.authorities.push(key);
    }

    /// The records of other parts of the service kept in the journal, with their seqs.
    #[must_use]
    pub fn extensions(&self) -> &[(Seq, crate::event::Extension)] {
        &self.extensions
    }

    /// Keeps a record of another part of the service.
    pub(crate) fn keep_extension(&mut self, seq: Seq, e: &crate::event::Extension) {
        self.extensions.push((seq, e.clone()));
    }

    /// Every official, in the order named.
    #[must_use]
    pub fn officials(&self) -> &[OfficialRecord] {
        &self.officials
    }

    /// The official `id`.
    #[must_use]
    pub fn official(&self, id: &crate::model::OfficialId) -> Option<&OfficialRecord> {
        self.officials
            .iter()
            .find(|o| &o.official.official_id == id)
    }

    /// The official who signs `org`'s results, if one is named and has not left.
    #[must_use]
    pub fn signer_of(&self, org: &crate::event::Organisation) -> Option<&OfficialRecord> {
        self.officials
            .iter()
            .find(|o| o.official.signs && o.left.is_none() && &o.official.organisation == org)
    }

    /// The official API key `key_id` belongs to, if any.
    #[must_use]
    pub fn official_of_key(&self, key_id: &str) -> Option<&OfficialRecord> {
        self.officials.get(*self.key_officials.get(key_id)?)
    }

    /// The API keys bound to official `id`, sorted.
    #[must_use]
    pub fn keys_of_official(&self, id: &crate::model::OfficialId) -> Vec<&str> {
        let Some(i) = self
            .officials
            .iter()
            .position(|o| &o.official.official_id == id)
        else {
            return Vec::new();
        };
        let mut keys: Vec<&str> = self
            .key_officials
            .iter()
            .filter(|(_, j)| **j == i)
            .map(|(k, _)| k.as_ref())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// The API keys bound to officials, with the official's index (for snapshots).
    fn key_bindings(&self) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = self
            .key_officials
            .iter()
            .map(|(k, i)| (k.as_ref(), *i))
            .collect();
        v.sort_unstable();
        v
    }

    /// Records a named official; a signer takes the signature from the one before.
    pub(crate) fn add_official(&mut self, o: OfficialRecord) {
        if o.official.signs {
            for other in &mut self.officials {
                if other.official.organisation == o.official.organisation {
                    other.official.signs = false;
                }
            }
        }
        self.officials.push(o);
    }

    /// Records that official `id` left.
    pub(crate) fn official_leaves(
        &mut self,
        id: &crate::model::OfficialId,
        at: jiff::Timestamp,
    ) -> Result<(), Mismatch> {
        let o = self
            .officials
            .iter_mut()
            .find(|o| &o.official.official_id == id)
            .ok_or_else(|| Mismatch::Unknown {
                what: "official",
                id: id.to_string(),
            })?;
        o.left = Some(at);
        o.official.signs = false;
        Ok(())
    }

    /// Records official `id`'s signing certificate.
    pub(crate) fn install_certificate(
        &mut self,
        c: &crate::event::InstalledCertificate,
    ) -> Result<(), Mismatch> {
        let o = self
            .officials
            .iter_mut()
            .find(|o| o.official.official_id == c.official_id)
            .ok_or_else(|| Mismatch::Unknown {
                what: "official",
                id: c.official_id.to_string(),
            })?;
        o.certificate = Some(c.clone());
        Ok(())
    }

    /// Records that API key `key_id` belongs to official `id`.
    pub(crate) fn bind_key(&mut self, key_id: &str, id: &crate::model::OfficialId) {
        if let Some(i) = self
            .officials
            .iter()
            .position(|o| &o.official.official_id == id)
        {
            self.key_officials.insert(key_id.into(), i);
        }
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The SHA-256 (hex) of the policy in force as journaled; `None` before the journal has
    /// one (a journal of an earlier Kezek).
    #[must_use]
    pub fn policy_sha256(&self) -> Option<&str> {
        self.policy_sha256.as_deref()
    }

    /// Sequence number of the last applied event (0 when empty).
    #[must_use]
    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }

    /// The tier a child belongs in: its category's tier when the claim counts, else general.
    #[must_use]
    pub fn tier_for(&self, category: Option<&Category>, claim: ClaimStatus) -> u8 {
        let counts = match claim {
            ClaimStatus::Verified => true,
            ClaimStatus::Pending => self.policy.count_pending_claims,
            ClaimStatus::None | ClaimStatus::Rejected => false,
        };
        let tier = category
            .filter(|_| counts)
            .and_then(|c| self.policy.tier_of(c))
            .unwrap_or_else(|| self.policy.general_tier());
        // A policy has 1 to 8 tiers (its validation says so), so the index fits.
        u8::try_from(tier).unwrap_or(u8::MAX)
    }

    /// Makes room for `n` more applications (a bulk load knows its size; growing a
    /// million-entry table and its maps step by step copies them over and over).
    pub fn reserve_applications(&mut self, n: usize) {
        self.applications.reserve(n);
        self.application_index.reserve(&self.applications, n);
        self.latest_by_child.reserve(&self.applications, n);
    }
}
