//! Kindergartens and their seats, rounds, and a district's statistics.

use super::tier_name;
use jiff::Timestamp;
use kezek_core::event::{IssuedReferral, RoundRecord};
use kezek_core::model::{DistrictId, DistrictIx, GroupId, KgIx, KindergartenId, RoundId};
use kezek_core::State;
use serde::Serialize;
use std::collections::BTreeMap;

/// A group and its seats.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView<'a> {
    /// Age in full years on the cut-off date of the children it takes.
    pub age_years: i16,
    /// Places.
    pub capacity: u32,
    /// Places taken by admitted children: `named` ones and the children enrolled before
    /// Kezek, known only as a count.
    pub enrolled: u32,
    /// Of `enrolled`, the children Kezek admitted: each leaves by name.
    pub named: u32,
    /// Free places: capacity − enrolled − reserved.
    pub free: u32,
    /// Its id.
    #[schema(value_type = String)]
    pub group_id: &'a GroupId,
    /// `kk` or `ru`.
    pub language: &'static str,
    /// Places held by open referrals.
    pub reserved: u32,
}

/// A kindergarten with its groups' seats.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindergartenView<'a> {
    /// The journal seq the view reflects.
    pub as_of_seq: u64,
    /// Its district.
    #[schema(value_type = String)]
    pub district: &'a DistrictId,
    /// Its groups, by id.
    pub groups: Vec<GroupView<'a>>,
    /// Its id.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// Its name.
    pub name: &'a str,
    /// Its name in Russian (absent when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<&'a str>,
    /// Its street address (absent when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<&'a str>,
    /// Its street address in Russian (absent when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_ru: Option<&'a str>,
    /// Its telephone number (absent when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
    /// The academic year its groups last entered by a roll-over (absent: never rolled over).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_over: Option<i16>,
}

/// A kindergarten.
#[must_use]
pub fn kindergarten(state: &State, k: KgIx) -> Option<KindergartenView<'_>> {
    let kg = state.kindergarten(k)?;
    Some(KindergartenView {
        as_of_seq: state.last_seq().get(),
        district: &state.district(kg.district)?.id,
        groups: kg
            .groups
            .iter()
            .map(|g| GroupView {
                age_years: g.age_years,
                capacity: g.capacity,
                enrolled: g.enrolled,
                named: g.enrolled - g.unnamed(),
                free: g.free(),
                group_id: &g.id,
                language: g.language.as_str(),
                reserved: g.reserved,
            })
            .collect(),
        kindergarten_id: &kg.id,
        name: &kg.name,
        name_ru: kg.labels.name_ru.as_deref(),
        address: kg.labels.address.as_deref(),
        address_ru: kg.labels.address_ru.as_deref(),
        phone: kg.labels.phone.as_deref(),
        rolled_over: kg.rolled_over,
    })
}

/// A referral as a round issued it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedView<'a> {
    /// The application referred.
    #[schema(value_type = String)]
    pub application_id: &'a kezek_core::model::ApplicationId,
    /// The parent must confirm before this instant.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// The group.
    #[schema(value_type = String)]
    pub group_id: &'a GroupId,
    /// The kindergarten.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// The referral.
    #[schema(value_type = String)]
    pub referral_id: &'a kezek_core::model::ReferralId,
    /// Whether it answers a request to transfer an enrolled child (absent when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub transfer: bool,
}

impl<'a> From<&'a IssuedReferral> for IssuedView<'a> {
    fn from(r: &'a IssuedReferral) -> Self {
        Self {
            application_id: &r.application_id,
            expires_at: r.expires_at,
            group_id: &r.group_id,
            kindergarten_id: &r.kindergarten_id,
            referral_id: &r.referral_id,
            transfer: r.transfer,
        }
    }
}

/// An allocation round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView<'a> {
    /// The academic year whose ages decided the groups.
    pub academic_year: i16,
    /// The journal seq the view reflects.
    pub as_of_seq: u64,
    /// The district.
    #[schema(value_type = String)]
    pub district: &'a DistrictId,
    /// Free seats left in the district's groups after the round.
    pub free_seats_left: u64,
    /// When it ran.
    #[schema(value_type = String, format = DateTime)]
    pub ran_at: Timestamp,
    /// Every referral, in the order issued.
    pub referrals: Vec<IssuedView<'a>>,
    /// Its id.
    #[schema(value_type = String)]
    pub round_id: &'a RoundId,
    /// The exchanges it offered (`exchange_id`, `moves` from and to, `expires_at`); absent
    /// when none.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub exchanges: &'a [kezek_core::event::ExchangeOffer],
}

/// A round.
#[must_use]
pub fn round<'a>(state: &State, r: &'a RoundRecord) -> RoundView<'a> {
    RoundView {
        academic_year: r.academic_year,
        as_of_seq: state.last_seq().get(),
        district: &r.district,
        free_seats_left: r.free_seats_left,
        ran_at: r.ran_at,
        referrals: r.referrals.iter().map(IssuedView::from).collect(),
        round_id: &r.round_id,
        exchanges: &r.exchanges,
    }
}

/// Queued children of one age, language and tier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgeCount<'a> {
    /// Age in full years on the academic year's cut-off.
    pub age_years: i16,
    /// `kk` or `ru`.
    pub language: &'static str,
    /// The tier.
    pub tier: &'a str,
    /// How many.
    pub count: u64,
}

/// Queued children, by tier, language and age.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueuedView<'a> {
    /// All of them.
    pub total: u64,
    /// By tier.
    pub by_tier: BTreeMap<&'a str, u64>,
    /// By language.
    pub by_language: BTreeMap<&'static str, u64>,
    /// By age, language and tier.
    pub by_age: Vec<AgeCount<'a>>,
}

/// A district's seats.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeatsView {
    /// Places.
    pub capacity: u64,
    /// Places taken by admitted children.
    pub enrolled: u64,
    /// Places held by open referrals.
    pub reserved: u64,
    /// Free places.
    pub free: u64,
}

/// A district's statistics.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatsView<'a> {
    /// The district.
    #[schema(value_type = String)]
    pub district: &'a DistrictId,
    /// The academic year whose ages are counted.
    pub academic_year: i16,
    /// Queued children.
    pub queued: QueuedView<'a>,
    /// Seats.
    pub seats: SeatsView,
    /// Referrals issued and not yet used, declined or lapsed.
    pub referrals_outstanding: u64,
    /// Median days from registration to admission of children admitted through Kezek.
    pub median_wait_days: Option<f64>,
    /// Registrations and referrals in each of the last twelve weeks, oldest first.
    pub weekly: Vec<WeekView>,
    /// The journal seq the view reflects.
    pub as_of_seq: u64,
}

/// One week of a district's activity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeekView {
    /// Its Monday (local date).
    #[schema(value_type = String, format = Date)]
    pub week_of: jiff::civil::Date,
    /// Applications registered that week.
    pub registrations: u64,
    /// Referrals issued that week.
    pub referrals: u64,
}

/// Weeks the statistics show.
const WEEKS: usize = 12;

/// The statistics of district `d` in academic year `year`, the weeks up to `now`.
#[must_use]
pub fn stats(state: &State, d: DistrictIx, year: i16, now: Timestamp) -> Option<StatsView<'_>> {
    let district = &state.district(d)?.id;
    let st = state.district_stats(d, year);
    let mut by_tier: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_language: BTreeMap<&'static str, u64> = BTreeMap::new();
    for ((_, language, t), n) in &st.queued {
        *by_tier.entry(tier_name(state, *t)).or_default() += n;
        *by_language.entry(language.as_str()).or_default() += n;
    }
    let by_age = st
        .queued
        .iter()
        .map(|((age, language, t), n)| AgeCount {
            age_years: *age,
            language: language.as_str(),
            tier: tier_name(state, *t),
            count: *n,
        })
        .collect();
    Some(StatsView {
        district,
        academic_year: year,
        queued: QueuedView {
            total: st.queued.values().sum(),
            by_tier,
            by_language,
            by_age,
        },
        seats: SeatsView {
            capacity: st.capacity,
            enrolled: st.enrolled,
            reserved: st.reserved,
            free: st.free,
        },
        referrals_outstanding: st.referrals_outstanding,
        // Days, to a tenth: more digits say nothing a department can use.
        median_wait_days: st.median_wait_days.map(|d| (d * 10.0).round() / 10.0),
        weekly: state
            .district_weeks(d, now, WEEKS)
            .into_iter()
            .map(|w| WeekView {
                week_of: w.starts,
                registrations: w.registrations,
                referrals: w.referrals,
            })
            .collect(),
        as_of_seq: state.last_seq().get(),
    })
}
