//! Checking a parsed policy file: every rule, with the offending key named.

use super::{
    err, Block, Calendar, Category, Cutoff, Date, FxHashMap, Offset, Policy, PolicyError,
    RawCalendar, RawPolicy, RawTier, ReferralRules, Tier, Weekday,
};
use std::collections::BTreeSet;

/// The key written on the line holding byte `at` (`name = …` gives `name`).
pub(super) fn key_at(text: &str, at: usize) -> String {
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

pub(super) fn validate(raw: RawPolicy) -> Result<Policy, PolicyError> {
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
    if r.enroll_working_days == 0 || r.enroll_working_days > 60 {
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
    if r.record_working_days > 10 {
        return Err(err("referral.record_working_days", "must be at most 10"));
    }
    if raw.siblings.priority
        && blocks
            .iter()
            .any(|b| matches!(b, super::Block::Pair { .. }))
    {
        return Err(err(
            "siblings.priority",
            "needs strict tiers: two interleaved tiers have no one order at each kindergarten",
        ));
    }
    if raw
        .retention
        .years_after_leaving
        .is_some_and(|y| !(1..=75).contains(&y))
    {
        return Err(err(
            "retention.years_after_leaving",
            "must be 1 to 75 years",
        ));
    }
    let appeal = validate_appeal(raw.appeal)?;
    let calendar = validate_calendar(raw.calendar)?;
    Ok(Policy {
        name: raw.name,
        max_age: raw.max_age,
        cutoff: Cutoff { month, day },
        max_preferences: raw.max_preferences,
        count_pending_claims: raw.count_pending_claims,
        claim_check_working_days: raw.claim_check_working_days,
        documents: raw.documents,
        birth_registry_since: raw.birth_registry_since,
        tiers,
        blocks,
        referral: ReferralRules {
            confirm_working_days: r.confirm_working_days,
            enroll_working_days: r.enroll_working_days,
            extension_max_days: r.extension_max_days,
            stop_list_days: r.stop_list_days,
            on_decline: r.on_decline,
            on_lapse: r.on_lapse,
            enroll_unconfirmed: r.enroll_unconfirmed,
            record_working_days: r.record_working_days,
        },
        appeal,
        transfer: raw.transfer,
        siblings: raw.siblings,
        retention: raw.retention,
        calendar,
        category_tier,
        source: std::sync::Arc::from(""),
    })
}

/// `[appeal]`: a period of 1 to 60 working days, and the authority named in both languages or
/// in neither.
fn validate_appeal(raw: super::RawAppeal) -> Result<super::Appeal, PolicyError> {
    if !(1..=60).contains(&raw.working_days) {
        return Err(err("appeal.working_days", "must be between 1 and 60"));
    }
    let to = match (raw.to_kk, raw.to_ru) {
        (None, None) => None,
        (Some(kk), Some(ru))
            if crate::model::text::is_place_name(&kk) && crate::model::text::is_place_name(&ru) =>
        {
            Some((kk, ru))
        }
        _ => {
            return Err(err(
                "appeal.to_kk",
                "name the authority in Kazakh (to_kk) and in Russian (to_ru), both with letters, or leave both out for the district's education department",
            ))
        }
    };
    Ok(super::Appeal {
        working_days: raw.working_days,
        to,
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
        tiers.push(validate_tier(
            i,
            i == last,
            t,
            &mut names,
            &mut category_tier,
        )?);
    }
    let blocks = blocks_of(&tiers)?;
    Ok((tiers, blocks, category_tier))
}

/// Tier `i` (the general one when `last`); its name and categories must be new.
fn validate_tier(
    i: usize,
    last: bool,
    t: RawTier,
    names: &mut BTreeSet<String>,
    category_tier: &mut FxHashMap<Category, usize>,
) -> Result<Tier, PolicyError> {
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
    if last && !t.categories.is_empty() {
        return Err(err(
            key("categories"),
            "the last tier is the general one and takes no categories",
        ));
    }
    if !last && t.categories.is_empty() {
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
    if interleave.is_some() && last {
        return Err(err(
            key("interleave"),
            "the last tier has no next tier to interleave with",
        ));
    }
    Ok(Tier {
        name: t.name,
        categories: t.categories,
        interleave,
        in_person_check: t.in_person_check,
    })
}

/// The blocks of the tiers: each strict, or interleaved with the next.
fn blocks_of(tiers: &[Tier]) -> Result<Vec<Block>, PolicyError> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while let Some(tier) = tiers.get(i) {
        if let Some((p, g)) = tier.interleave {
            if tiers
                .get(i + 1)
                .is_some_and(|next| next.interleave.is_some())
            {
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
    Ok(blocks)
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
