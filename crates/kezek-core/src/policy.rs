//! Tier policies: which categories have priority, in which tiers, at what ratio; age limits;
//! referral deadlines; the working-day calendar. Loaded from TOML (`policies/*.toml`) and
//! validated, so the queue rules are data and never code (DOMAIN.md).

use crate::calendar::Calendar;
use crate::types::{Category, Cutoff};
use jiff::civil::{Date, Weekday};
use jiff::tz::Offset;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::collections::BTreeSet;

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

/// Referral deadlines and consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRules {
    /// Working days the parent has to confirm.
    pub confirm_working_days: u32,
    /// Working days the kindergarten has to admit after confirmation.
    pub enrol_working_days: u32,
    /// The one extension of the admission deadline may be up to this many days.
    pub extension_max_days: u32,
    /// Days a child stays on the stop list after an in-person privilege lapsed.
    pub stop_list_days: u32,
    /// What a decline does to the application.
    pub on_decline: AfterReferral,
    /// What a lapse or a no-show does to the application.
    pub on_lapse: AfterReferral,
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
    /// Children born before this date need a paper birth certificate.
    pub birth_registry_since: Date,
    /// Tiers, highest first; the last one holds everyone without a counted claim.
    pub tiers: Vec<Tier>,
    /// The tiers grouped into strict tiers and interleaved pairs, in order.
    pub blocks: Vec<Block>,
    /// Referral deadlines.
    pub referral: ReferralRules,
    /// Working days.
    pub calendar: Calendar,
    category_tier: FxHashMap<Category, usize>,
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
    birth_registry_since: Date,
    tiers: Vec<RawTier>,
    referral: RawReferral,
    calendar: RawCalendar,
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
    enrol_working_days: u32,
    extension_max_days: u32,
    stop_list_days: u32,
    on_decline: AfterReferral,
    on_lapse: AfterReferral,
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

/// The key written on the line holding byte `at` (`name = …` gives `name`).
fn key_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    line.split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['[', ']'])
        .to_owned()
}

fn parse_month_day(key: &str, s: &str) -> Result<(i8, i8), PolicyError> {
    let bad = || {
        err(
            key,
            format!("`{s}` must be MM-DD, a day that exists in a leap year"),
        )
    };
    let (m, d) = s.split_once('-').ok_or_else(bad)?;
    if m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let m: i8 = m.parse().map_err(|_| bad())?;
    let d: i8 = d.parse().map_err(|_| bad())?;
    Date::new(2024, m, d).map_err(|_| bad())?;
    Ok((m, d))
}

fn parse_weekday(key: &str, s: &str) -> Result<Weekday, PolicyError> {
    Ok(match s {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => {
            return Err(err(
                key,
                format!("`{s}` is not a weekday name (monday … sunday)"),
            ))
        }
    })
}

fn parse_ratio(key: &str, s: &str) -> Result<(u32, u32), PolicyError> {
    let bad = || err(key, format!("`{s}` must be `p:g` with 1 <= p, g <= 100"));
    let (p, g) = s.split_once(':').ok_or_else(bad)?;
    let p: u32 = p.trim().parse().map_err(|_| bad())?;
    let g: u32 = g.trim().parse().map_err(|_| bad())?;
    if !(1..=100).contains(&p) || !(1..=100).contains(&g) {
        return Err(bad());
    }
    Ok((p, g))
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
        validate(raw)
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
        (self.blocks.len() - 1, self.blocks[self.blocks.len() - 1])
    }
}

/// The regulations' policy text, shipped in the binary.
pub const KZ_2013: &str = include_str!("../../../policies/kz-2013.toml");
/// The later national rules' policy text, shipped in the binary.
pub const KZ_2020: &str = include_str!("../../../policies/kz-2020.toml");

fn validate(raw: RawPolicy) -> Result<Policy, PolicyError> {
    if raw.name.trim().is_empty() {
        return Err(err("name", "must not be empty"));
    }
    if !(1..=18).contains(&raw.max_age) {
        return Err(err("max_age", "must be between 1 and 18"));
    }
    let (month, day) = parse_month_day("cutoff", &raw.cutoff)?;
    if (month, day) == (2, 29) {
        return Err(err("cutoff", "must exist in every year (not 02-29)"));
    }
    if !(1..=10).contains(&raw.max_preferences) {
        return Err(err("max_preferences", "must be between 1 and 10"));
    }
    let (tiers, blocks, category_tier) = validate_tiers(raw.tiers)?;
    let r = raw.referral;
    if r.confirm_working_days == 0 || r.confirm_working_days > 60 {
        return Err(err(
            "referral.confirm_working_days",
            "must be between 1 and 60",
        ));
    }
    if r.enrol_working_days == 0 || r.enrol_working_days > 60 {
        return Err(err(
            "referral.enrol_working_days",
            "must be between 1 and 60",
        ));
    }
    if r.extension_max_days > 366 {
        return Err(err("referral.extension_max_days", "must be at most 366"));
    }
    if r.stop_list_days > 366 {
        return Err(err("referral.stop_list_days", "must be at most 366"));
    }
    let calendar = validate_calendar(raw.calendar)?;
    Ok(Policy {
        name: raw.name,
        max_age: raw.max_age,
        cutoff: Cutoff { month, day },
        max_preferences: raw.max_preferences,
        count_pending_claims: raw.count_pending_claims,
        birth_registry_since: raw.birth_registry_since,
        tiers,
        blocks,
        referral: ReferralRules {
            confirm_working_days: r.confirm_working_days,
            enrol_working_days: r.enrol_working_days,
            extension_max_days: r.extension_max_days,
            stop_list_days: r.stop_list_days,
            on_decline: r.on_decline,
            on_lapse: r.on_lapse,
        },
        calendar,
        category_tier,
    })
}

type Tiers = (Vec<Tier>, Vec<Block>, FxHashMap<Category, usize>);

fn validate_tiers(raw: Vec<RawTier>) -> Result<Tiers, PolicyError> {
    if raw.is_empty() || raw.len() > 8 {
        return Err(err("tiers", "must list 1 to 8 tiers"));
    }
    let last = raw.len() - 1;
    let mut tiers = Vec::with_capacity(raw.len());
    let mut category_tier = FxHashMap::default();
    let mut names = BTreeSet::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("tiers[{i}].{k}");
        if Category::parse(&t.name).is_none() {
            return Err(err(
                key("name"),
                "must be a lowercase code like `first_priority`",
            ));
        }
        if !names.insert(t.name.clone()) {
            return Err(err(
                key("name"),
                format!("`{}` is used by two tiers", t.name),
            ));
        }
        if i == last && !t.categories.is_empty() {
            return Err(err(
                key("categories"),
                "the last tier is the general one and takes no categories",
            ));
        }
        if i != last && t.categories.is_empty() {
            return Err(err(
                key("categories"),
                "a priority tier must list at least one category",
            ));
        }
        for c in &t.categories {
            if c.as_str() == "none" {
                return Err(err(
                    key("categories"),
                    "`none` means no claim and cannot be a category",
                ));
            }
            if category_tier.insert(c.clone(), i).is_some() {
                return Err(err(key("categories"), format!("`{c}` is in two tiers")));
            }
        }
        let interleave = match &t.interleave {
            Some(s) => Some(parse_ratio(&key("interleave"), s)?),
            None => None,
        };
        if interleave.is_some() && i == last {
            return Err(err(
                key("interleave"),
                "the last tier has no next tier to interleave with",
            ));
        }
        tiers.push(Tier {
            name: t.name,
            categories: t.categories,
            interleave,
            in_person_check: t.in_person_check,
        });
    }
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < tiers.len() {
        if let Some((p, g)) = tiers[i].interleave {
            if tiers[i + 1].interleave.is_some() {
                return Err(err(
                    format!("tiers[{}].interleave", i + 1),
                    "a tier interleaved with the one above cannot also interleave with the one below",
                ));
            }
            blocks.push(Block::Pair { upper: i, p, g });
            i += 2;
        } else {
            blocks.push(Block::Strict(i));
            i += 1;
        }
    }
    Ok((tiers, blocks, category_tier))
}

fn validate_calendar(raw: RawCalendar) -> Result<Calendar, PolicyError> {
    let offset = Offset::from_hours(raw.utc_offset_hours)
        .ok()
        .filter(|_| (-12..=14).contains(&raw.utc_offset_hours))
        .ok_or_else(|| err("calendar.utc_offset_hours", "must be between -12 and 14"))?;
    let mut weekend = Vec::new();
    for (i, w) in raw.weekend.iter().enumerate() {
        let day = parse_weekday(&format!("calendar.weekend[{i}]"), w)?;
        if weekend.contains(&day) {
            return Err(err(
                format!("calendar.weekend[{i}]"),
                format!("`{w}` is listed twice"),
            ));
        }
        weekend.push(day);
    }
    if weekend.len() > 3 {
        return Err(err(
            "calendar.weekend",
            "at most 3 days of the week can be days off",
        ));
    }
    let mut holidays = BTreeSet::new();
    for (i, h) in raw.holidays.iter().enumerate() {
        holidays.insert(parse_month_day(&format!("calendar.holidays[{i}]"), h)?);
    }
    Ok(Calendar {
        offset,
        weekend,
        holidays,
        extra: raw.extra_holidays.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests;
