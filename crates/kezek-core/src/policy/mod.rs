//! Tier policies: which categories have priority, in which tiers, at what ratio; age limits;
//! referral deadlines; the working-day calendar. Loaded from TOML (`policies/*.toml`) and
//! validated, so the queue rules are data and never code (`docs/rules.md`).

pub mod calendar;

pub use calendar::Calendar;

use crate::model::{Category, Cutoff};
use jiff::civil::{Date, Weekday};
use jiff::tz::Offset;
use rustc_hash::FxHashMap;
use serde::Deserialize;

/// A policy file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy key `{key}`: {message}")]
pub struct PolicyError {
    /// The offending key, as a TOML path (`tiers[1].interleave`).
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        key: key.into(),
        message: message.into(),
    }
}

/// What happens to the application when a referral is declined or lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterReferral {
    /// The application ends (`cancelled`).
    Cancel,
    /// The child goes back to the queue at the original registration time.
    Requeue,
}

/// The order in which a round considers requests to transfer, after every queued child
/// (`[transfer] order`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferOrder {
    /// By the time the transfer was asked for (the default).
    #[default]
    RequestTime,
    /// By the child's original registration time.
    RegistrationTime,
}

/// `[transfer]`: how requests to move an enrolled child to another kindergarten are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRules {
    /// Their order among themselves (always after every queued child).
    #[serde(default)]
    pub order: TransferOrder,
}

/// `[siblings]`: whether a child whose sibling attends a kindergarten goes ahead there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiblingRules {
    /// A child with a brother or sister enrolled at a kindergarten (a child of the same
    /// applicant) is ordered ahead of the rest of its tier there; a round is then deferred
    /// acceptance with each kindergarten's own order. Needs strict tiers (an interleave of
    /// two tiers has no order per kindergarten).
    #[serde(default)]
    pub priority: bool,
}

/// `[retention]`: how long the persons of a finished application are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    /// Full years after an application finished (withdrawn, cancelled, aged out, the child
    /// left its kindergarten) after which the sweeper erases its persons; absent: kept until
    /// erased by an order (`kezek retention erase`).
    #[serde(default)]
    pub years_after_leaving: Option<u16>,
}

/// One priority tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Tier name as shown in `tier` and `ahead` (`out_of_turn`, `first_priority`, `general`).
    pub name: String,
    /// Categories whose (counted) claims place a child here.
    pub categories: Vec<Category>,
    /// `Some((p, g))`: interleaved with the next tier, p of this tier then g of the next.
    pub interleave: Option<(u32, u32)>,
    /// The privilege must be confirmed in person: a referral that lapses drops the claim and
    /// stops the child for `stop_list_days`.
    pub in_person_check: bool,
}

/// How tiers combine into the merged order: a strict tier, or an interleaved pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// All of this tier before any tier below.
    Strict(usize),
    /// Tier `upper` interleaved with tier `upper + 1` at `p:g`.
    Pair {
        /// Index of the upper tier; the lower one is `upper + 1`.
        upper: usize,
        /// Slots of the upper tier in one pattern.
        p: u32,
        /// Slots of the lower tier in one pattern.
        g: u32,
    },
}

/// The documents required on each channel of filing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDocuments {
    /// On the e-government portal (a signed request carrying the same data).
    #[serde(default = "base_documents")]
    pub portal: Vec<crate::model::Document>,
    /// At a service-centre desk.
    #[serde(default = "base_documents")]
    pub service_center: Vec<crate::model::Document>,
    /// At the education department's office.
    #[serde(default = "base_documents")]
    pub office: Vec<crate::model::Document>,
}

/// What every channel asked for before the policy could say: the application form, the
/// applicant's identity document and the proof of address.
fn base_documents() -> Vec<crate::model::Document> {
    use crate::model::Document;
    vec![
        Document::ApplicationForm,
        Document::ApplicantId,
        Document::AddressProof,
    ]
}

impl Default for ChannelDocuments {
    fn default() -> Self {
        Self {
            portal: base_documents(),
            service_center: base_documents(),
            office: base_documents(),
        }
    }
}

impl ChannelDocuments {
    /// The documents a filing on `channel` must present.
    #[must_use]
    pub fn on(&self, channel: crate::model::Channel) -> &[crate::model::Document] {
        use crate::model::Channel;
        match channel {
            Channel::Portal => &self.portal,
            Channel::ServiceCenter => &self.service_center,
            Channel::Office => &self.office,
        }
    }
}

/// Referral deadlines and consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRules {
    /// Working days the parent has to confirm.
    pub confirm_working_days: u32,
    /// Working days the kindergarten has to admit after confirmation.
    pub enroll_working_days: u32,
    /// The one extension of the admission deadline may be up to this many days.
    pub extension_max_days: u32,
    /// Days a child stays on the stop list after an in-person privilege lapsed.
    pub stop_list_days: u32,
    /// What a decline does to the application.
    pub on_decline: AfterReferral,
    /// What a lapse or a no-show does to the application.
    pub on_lapse: AfterReferral,
    /// Whether a kindergarten may admit a child whose parent has not confirmed the referral
    /// (the regulations: no; a district may allow it for referrals confirmed in person).
    pub enroll_unconfirmed: bool,
    /// Working days after a confirmed referral's admission deadline in which the kindergarten
    /// still records what happened by then — the child admitted, or a no-show — before the
    /// referral lapses by itself (0: it lapses at the deadline).
    pub record_working_days: u32,
}

/// Where and by when a decision can be appealed (`[appeal]`): printed on every decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    /// Working days from the decision.
    pub working_days: u32,
    /// To whom, in Kazakh and Russian; `None`: the education department of the application's
    /// district (as the catalog names it).
    pub to: Option<(String, String)>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Policy name (`kz-2013`).
    pub name: String,
    /// A child of this age on the cut-off date of the academic year leaves the queue.
    pub max_age: i32,
    /// The cut-off date that defines cohorts and academic years.
    pub cutoff: Cutoff,
    /// At most this many kindergarten preferences.
    pub max_preferences: usize,
    /// Whether a claim counts while its proof is not yet verified.
    pub count_pending_claims: bool,
    /// Working days the authority has to check a claim's proof (the staff worklist's due
    /// date).
    pub claim_check_working_days: u32,
    /// Children born before this date need a paper birth certificate.
    pub birth_registry_since: Date,
    /// The documents every filing on a channel must present (the benefit proof of a claim
    /// and the birth certificate of a child born before the registry come on top).
    pub documents: ChannelDocuments,
    /// Tiers, highest first; the last one holds everyone without a counted claim.
    pub tiers: Vec<Tier>,
    /// The tiers grouped into strict tiers and interleaved pairs, in order.
    pub blocks: Vec<Block>,
    /// Referral deadlines.
    pub referral: ReferralRules,
    /// Where and by when decisions are appealed.
    pub appeal: Appeal,
    /// How transfer requests are ordered.
    pub transfer: TransferRules,
    /// Whether siblings go ahead at their brother's or sister's kindergarten.
    pub siblings: SiblingRules,
    /// How long the persons of a finished application are kept.
    pub retention: RetentionRules,
    /// Working days.
    pub calendar: Calendar,
    category_tier: FxHashMap<Category, usize>,
    /// The TOML text it was read from, as journaled (`policy_adopted`).
    source: std::sync::Arc<str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    #[serde(default)]
    description: String,
    max_age: i32,
    cutoff: String,
    max_preferences: usize,
    #[serde(default)]
    count_pending_claims: bool,
    #[serde(default = "three")]
    claim_check_working_days: u32,
    birth_registry_since: Date,
    #[serde(default)]
    documents: ChannelDocuments,
    tiers: Vec<RawTier>,
    referral: RawReferral,
    #[serde(default)]
    appeal: RawAppeal,
    #[serde(default)]
    transfer: TransferRules,
    #[serde(default)]
    siblings: SiblingRules,
    #[serde(default)]
    retention: RetentionRules,
    calendar: RawCalendar,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppeal {
    #[serde(default = "five")]
    working_days: u32,
    #[serde(default)]
    to_kk: Option<String>,
    #[serde(default)]
    to_ru: Option<String>,
}

impl Default for RawAppeal {
    fn default() -> Self {
        Self {
            working_days: five(),
            to_kk: None,
            to_ru: None,
        }
    }
}

/// The working days to appeal a decision when the policy does not say (the regulations'
/// complaint period before an authority).
fn five() -> u32 {
    5
}

/// The working day after the admission deadline in which a kindergarten records what happened.
fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    name: String,
    #[serde(default)]
    categories: Vec<Category>,
    interleave: Option<String>,
    #[serde(default)]
    in_person_check: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReferral {
    confirm_working_days: u32,
    // Policy files keep the spelling they were first written in.
    #[serde(rename = "enrol_working_days")]
    enroll_working_days: u32,
    extension_max_days: u32,
    stop_list_days: u32,
    on_decline: AfterReferral,
    on_lapse: AfterReferral,
    #[serde(default, rename = "enrol_unconfirmed")]
    enroll_unconfirmed: bool,
    #[serde(default = "one")]
    record_working_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    utc_offset_hours: i8,
    weekend: Vec<String>,
    holidays: Vec<String>,
    #[serde(default)]
    extra_holidays: Vec<Date>,
}

/// The regulations' working days to check a claim.
fn three() -> u32 {
    3
}

impl Policy {
    /// Parses and validates a policy from TOML text.
    ///
    /// # Errors
    /// A syntax error, an unknown or missing key, or a rule broken; the message names the key.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_owned();
            let key = msg
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .or_else(|| e.span().map(|s| key_at(text, s.start)))
                .unwrap_or_else(|| "(document)".to_owned());
            err(key, e.to_string().trim().replace('\n', " "))
        })?;
        let _ = raw.description;
        let mut policy = validate(raw)?;
        policy.source = std::sync::Arc::from(text);
        Ok(policy)
    }

    /// The TOML text it was read from.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why `next` cannot take over from this policy while children are queued, if it cannot:
    /// the tiers (names, categories, interleaving, in-person checks), whether pending claims
    /// count, and the cut-off (which makes the cohorts) place every queued child; changing
    /// them would reorder the queues already there. Deadlines, ages, limits and the calendar
    /// may change: they apply to what is decided after the change.
    #[must_use]
    pub fn cannot_follow(&self, next: &Policy) -> Option<String> {
        if self.tiers != next.tiers || self.blocks != next.blocks {
            return Some("it changes the tiers".into());
        }
        if self.count_pending_claims != next.count_pending_claims {
            return Some("it changes whether pending claims count".into());
        }
        if self.cutoff != next.cutoff {
            return Some("it changes the cut-off date, and with it every cohort".into());
        }
        None
    }

    /// The built-in regulations' policy (`policies/kz-2013.toml`).
    #[must_use]
    pub fn kz_2013() -> Self {
        Self::from_toml(KZ_2013).unwrap_or_else(|e| unreachable!("shipped policy: {e}"))
    }

    /// The later national rules (`policies/kz-2020.toml`).
    #[must_use]
    pub fn kz_2020() -> Self {
        Self::from_toml(KZ_2020).unwrap_or_else(|e| unreachable!("shipped policy: {e}"))
    }

    /// The tier a category places a child in, if the category exists in this policy.
    #[must_use]
    pub fn tier_of(&self, category: &Category) -> Option<usize> {
        self.category_tier.get(category).copied()
    }

    /// The tier of everyone without a counted claim (the last tier).
    #[must_use]
    pub fn general_tier(&self) -> usize {
        self.tiers.len() - 1
    }

    /// The block holding tier `t` and, for a pair, whether `t` is its upper tier.
    #[must_use]
    pub fn block_of(&self, t: usize) -> (usize, Block) {
        for (i, b) in self.blocks.iter().enumerate() {
            match *b {
                Block::Strict(s) if s == t => return (i, *b),
                Block::Pair { upper, .. } if upper == t || upper + 1 == t => return (i, *b),
                _ => {}
            }
        }
        // A validated policy has a block for every tier; this is only a fallback.
        match self.blocks.last() {
            Some(b) => (self.blocks.len() - 1, *b),
            None => (0, Block::Strict(t)),
        }
    }
}

/// The regulations' policy text, shipped in the binary.
pub const KZ_2013: &str = include_str!("../../../../policies/kz-2013.toml");
/// The later national rules' policy text, shipped in the binary.
pub const KZ_2020: &str = include_str!("../../../../policies/kz-2020.toml");

mod validate;
use validate::{key_at, validate};

#[cfg(test)]
mod tests;
