//! Creating a kindergarten or replacing its name and groups. A group keeps its enrolled and
//! reserved seats across a replacement; capacity never drops below them, an occupied group
//! is never removed, and a kindergarten never changes district.

use super::refusal::{Refusal, Violations};
use crate::event::{Event, GroupSpec, KindergartenLabels};
use crate::model::{DistrictId, KindergartenId};
use crate::state::{Group, Mismatch, State};

/// Longest kindergarten name, in characters.
const MAX_NAME: usize = 200;
/// Most groups of a kindergarten.
const MAX_GROUPS: usize = 100;
/// Most places of a group.
const MAX_CAPACITY: u32 = 10_000;

code_enum! {
    /// Why a kindergarten is not created or replaced.
    pub enum Code {
        /// The name is empty, too long or holds control characters.
        InvalidName = "invalid_name",
        /// The Russian name or an address is too long or holds invisible characters.
        InvalidAddress = "invalid_address",
        /// A telephone number that is not one.
        InvalidPhone = "invalid_phone",
        /// More than 100 groups.
        TooManyGroups = "too_many_groups",
        /// An age outside 0–18.
        InvalidAge = "invalid_age",
        /// A capacity over 10,000.
        InvalidCapacity = "invalid_capacity",
        /// A group id listed twice.
        DuplicateGroup = "duplicate_group",
        /// The kindergarten belongs to another district.
        KindergartenDistrictFixed = "kindergarten_district_fixed",
        /// An occupied group would be removed.
        GroupOccupied = "group_occupied",
        /// A capacity below the enrolled and reserved seats.
        CapacityBelowOccupied = "capacity_below_occupied",
        /// A group's age or language would change under referrals issued for it.
        GroupHasReferrals = "group_has_referrals",
    }
}

/// Create a kindergarten or replace its groups.
#[derive(Debug, Clone)]
pub struct UpsertKindergarten {
    /// Kindergarten.
    pub kindergarten_id: KindergartenId,
    /// Name.
    pub name: String,
    /// District.
    pub district: DistrictId,
    /// Its Russian name and its address (empty: none given).
    pub labels: KindergartenLabels,
    /// Groups (`enrolled` counts only for a new group: a city import creates every group
    /// full, then opens its free seats as vacancies).
    pub groups: Vec<GroupSpec>,
    /// The academic year whose ages the groups describe (`None`: not said, as in a city
    /// import): the kindergarten counts as rolled over into it.
    pub academic_year: Option<i16>,
}

impl UpsertKindergarten {
    /// The `kindergarten_upserted` event.
    ///
    /// # Errors
    /// Every broken rule of the data; a conflict with the seats taken.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let name = self.name.trim().to_owned();
        let labels = self.labels.trimmed();
        check(&name, &labels, &self.groups)?;
        let existing = state
            .kindergarten_by_id(&self.kindergarten_id)
            .map(|(_, k)| k);
        if let Some(kg) = existing {
            let district = state.district(kg.district).map(|d| &d.id);
            if district != Some(&self.district) {
                return Err(Refusal::conflict(
                    Code::KindergartenDistrictFixed.as_str(),
                    format!(
                        "{} belongs to district {}",
                        self.kindergarten_id,
                        district.map(ToString::to_string).unwrap_or_default()
                    ),
                ));
            }
            check_occupied(&kg.groups, &self.groups)?;
        }
        let groups = self
            .groups
            .into_iter()
            .map(|mut g| {
                let kept = existing.is_some_and(|k| k.group(&g.group_id).is_some());
                g.enrolled = if kept { 0 } else { g.enrolled.min(g.capacity) };
                g
            })
            .collect();
        Ok(vec![Event::KindergartenUpserted {
            kindergarten_id: self.kindergarten_id,
            name,
            district: self.district,
            groups,
            labels: Box::new(labels),
            academic_year: self.academic_year,
        }])
    }
}

/// The rules of the data itself, every one reported.
fn check(name: &str, labels: &KindergartenLabels, groups: &[GroupSpec]) -> Result<(), Refusal> {
    let mut v = Violations::default();
    for (field, value) in labels.fields() {
        if value.is_some_and(|a| {
            a.chars().count() > MAX_NAME || !crate::model::text::is_visible_text(a)
        }) {
            v.add(
                field,
                Code::InvalidAddress.as_str(),
                "must be at most 200 printable characters, none of them invisible",
            );
        }
    }
    if labels
        .phone
        .as_deref()
        .is_some_and(|p| !KindergartenLabels::is_phone(p))
    {
        v.add(
            "phone",
            Code::InvalidPhone.as_str(),
            "a telephone number: + and 5 to 15 digits, spaces, dashes and brackets between",
        );
    }
    if name.is_empty()
        || name.chars().count() > MAX_NAME
        || !crate::model::text::is_place_name(name)
    {
        v.add(
            "name",
            Code::InvalidName.as_str(),
            "must be 1 to 200 printable characters with at least one letter or digit, none of them invisible (zero-width, direction marks or overrides)",
        );
    }
    if groups.len() > MAX_GROUPS {
        v.add("groups", Code::TooManyGroups.as_str(), "at most 100 groups");
    }
    // Of a longer list only the allowed number is looked at: one violation says it is too
    // long, and the answer stays small whatever was sent.
    for (i, g) in groups.iter().enumerate().take(MAX_GROUPS) {
        if !(0..=18).contains(&g.age_years) {
            v.add(
                format!("groups[{i}].age_years"),
                Code::InvalidAge.as_str(),
                "must be 0 to 18",
            );
        }
        if g.capacity > MAX_CAPACITY {
            v.add(
                format!("groups[{i}].capacity"),
                Code::InvalidCapacity.as_str(),
                "must be at most 10000",
            );
        }
        if groups.iter().take(i).any(|o| o.group_id == g.group_id) {
            v.add(
                format!("groups[{i}].group_id"),
                Code::DuplicateGroup.as_str(),
                format!("`{}` is listed twice", g.group_id),
            );
        }
    }
    v.check()
}

/// A replacement keeps every occupied seat: no occupied group goes, no capacity drops below,
/// and a group with referrals outstanding keeps the age and language they were issued for.
fn check_occupied(old: &[Group], new: &[GroupSpec]) -> Result<(), Refusal> {
    for g in old {
        let occupied = g.enrolled + g.reserved;
        match new.iter().find(|n| n.group_id == g.id) {
            None if occupied > 0 => {
                return Err(Refusal::conflict(
                    Code::GroupOccupied.as_str(),
                    format!(
                        "group {} has {occupied} occupied seats and cannot be removed",
                        g.id
                    ),
                ))
            }
            Some(n)
                if g.reserved > 0 && (n.age_years != g.age_years || n.language != g.language) =>
            {
                return Err(Refusal::conflict(
                    Code::GroupHasReferrals.as_str(),
                    format!(
                        "group {} has {} referrals outstanding for {}-year-olds in {}; its age and language stay until they are used or lapse",
                        g.id,
                        g.reserved,
                        g.age_years,
                        g.language.as_str()
                    ),
                ))
            }
            Some(n) if n.capacity < occupied => {
                return Err(Refusal::conflict(
                    Code::CapacityBelowOccupied.as_str(),
                    format!("group {} has {occupied} enrolled or reserved seats", g.id),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Applies `kindergarten_upserted` (other events are no business of it).
pub(crate) fn apply_event(state: &mut State, event: &Event) -> Result<(), Mismatch> {
    match event {
        Event::KindergartenUpserted {
            kindergarten_id,
            name,
            district,
            groups,
            labels,
            academic_year,
        } => apply(
            state,
            kindergarten_id,
            (name, labels),
            district,
            groups,
            *academic_year,
        ),
        _ => Ok(()),
    }
}

/// Applies `kindergarten_upserted`.
fn apply(
    state: &mut State,
    id: &KindergartenId,
    (name, labels): (&str, &KindergartenLabels),
    district: &DistrictId,
    specs: &[GroupSpec],
    academic_year: Option<i16>,
) -> Result<(), Mismatch> {
    let old = state
        .kindergarten_by_id(id)
        .map(|(_, k)| k.groups.as_slice());
    let mut groups = Vec::with_capacity(specs.len());
    for s in specs {
        let kept = old.and_then(|gs| gs.iter().find(|g| g.id == s.group_id));
        let (enrolled, reserved, children) = kept.map_or((s.enrolled, 0, Vec::new()), |g| {
            (g.enrolled, g.reserved, g.children.clone())
        });
        if enrolled + reserved > s.capacity {
            return Err(Mismatch::Seats {
                group: s.group_id.to_string(),
                problem: "capacity below occupied seats",
            });
        }
        groups.push(Group {
            id: s.group_id.clone(),
            age_years: s.age_years,
            language: s.language,
            capacity: s.capacity,
            enrolled,
            reserved,
            children,
        });
    }
    let removed = old
        .unwrap_or_default()
        .iter()
        .find(|g| g.enrolled + g.reserved > 0 && !groups.iter().any(|n| n.id == g.id));
    if let Some(g) = removed {
        return Err(Mismatch::Seats {
            group: g.id.to_string(),
            problem: "removed while occupied",
        });
    }
    let d = state.district_or_create(district)?;
    let k = state.put_kindergarten(id, (name, labels), d, groups)?;
    if let Some(year) = academic_year {
        let done = state.kindergarten(k).and_then(|kg| kg.rolled_over);
        state.set_rolled_over(k, done.map_or(year, |y| y.max(year)))?;
    }
    Ok(())
}
