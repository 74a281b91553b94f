//! Children who leave, by name: an enrolled child leaves its kindergarten (the seat in its
//! group is free, and the journal says whose it was), and the roll-over of a kindergarten's
//! groups at the start of an academic year (each group moves up an age with its children; the
//! oldest groups' children leave for school and those groups take the youngest from then on).

use super::refusal::Refusal;
use crate::event::{Event, RolledGroup};
use crate::model::{AppIx, AppStatus, ApplicationId, GroupId, KindergartenId, LeaveReason};
use crate::state::{Mismatch, State};
use jiff::civil::Date;
use jiff::Timestamp;

code_enum! {
    /// Why a leaving or a roll-over is refused.
    pub enum Code {
        /// The child is not enrolled.
        NotEnrolled = "not_enrolled",
        /// The child is enrolled in another kindergarten.
        NotInThisKindergarten = "not_in_this_kindergarten",
        /// The day is after today.
        DateInFuture = "date_in_future",
        /// The day is before the child was admitted.
        BeforeAdmission = "before_admission",
        /// The academic year is not the one that has begun.
        NotThisAcademicYear = "not_this_academic_year",
        /// The kindergarten's groups entered this academic year already.
        RolledOverAlready = "rolled_over_already",
        /// A group that would leave for school holds seats for referred children.
        ReferralsPending = "referrals_pending",
        /// A transfer is recorded by the admission to the new kindergarten.
        TransferByAdmission = "transfer_by_admission",
        /// A referral for the child's transfer is open.
        TransferReferralOpen = "transfer_referral_open",
    }
}

/// An enrolled child leaves the kindergarten.
#[derive(Debug, Clone)]
pub struct Leave {
    /// The child's application.
    pub application_id: ApplicationId,
    /// The kindergarten (the one the request names: it must be the child's).
    pub kindergarten_id: KindergartenId,
    /// The day (local).
    pub date: Date,
    /// Why.
    pub reason: LeaveReason,
    /// When it is recorded.
    pub at: Timestamp,
}

impl Leave {
    /// The `child_left` event.
    ///
    /// # Errors
    /// Unknown application or kindergarten, a child not enrolled, or enrolled elsewhere, a
    /// day after today or before the admission.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (k, _) = state
            .kindergarten_by_id(&self.kindergarten_id)
            .ok_or_else(|| Refusal::not_found("kindergarten", &self.kindergarten_id))?;
        let (a, app) = state
            .application_by_id(&self.application_id)
            .ok_or_else(|| Refusal::not_found("application", &self.application_id))?;
        let (kg, group, admitted) = state.place(a).ok_or_else(|| {
            Refusal::conflict(
                Code::NotEnrolled.as_str(),
                format!(
                    "application {} is {}, not enrolled",
                    self.application_id,
                    app.status.as_str()
                ),
            )
        })?;
        if kg != k {
            return Err(Refusal::conflict(
                Code::NotInThisKindergarten.as_str(),
                format!(
                    "the child of application {} is not enrolled in {}",
                    self.application_id, self.kindergarten_id
                ),
            ));
        }
        if self.reason == LeaveReason::Transfer {
            return Err(Refusal::invalid(
                "reason",
                Code::TransferByAdmission.as_str(),
                "a transfer is recorded by the admission to the new kindergarten",
            ));
        }
        super::transfer::no_open_referral(state, a, &self.application_id)?;
        if state.transfer(a).is_some_and(|t| t.referral.is_some()) {
            return Err(Refusal::conflict(
                Code::TransferReferralOpen.as_str(),
                format!(
                    "a referral for the transfer of application {} is open: it is declined or lapses first",
                    self.application_id
                ),
            ));
        }
        let calendar = &state.policy().calendar;
        if self.date > calendar.local_date(self.at) {
            return Err(Refusal::invalid(
                "date",
                Code::DateInFuture.as_str(),
                "must not be after today: a leaving is recorded once it happened",
            ));
        }
        if admitted.is_some_and(|t| self.date < calendar.local_date(t)) {
            return Err(Refusal::invalid(
                "date",
                Code::BeforeAdmission.as_str(),
                "must not be before the child was admitted",
            ));
        }
        Ok(vec![Event::ChildLeft {
            application_id: self.application_id,
            kindergarten_id: self.kindergarten_id,
            group_id: group,
            date: self.date,
            reason: self.reason,
            at: self.at,
        }])
    }
}

/// Applies `child_left` and `groups_rolled_over` (other events are no business of theirs).
pub(crate) fn apply_event(state: &mut State, event: &Event) -> Result<(), Mismatch> {
    match event {
        Event::ChildLeft {
            application_id,
            kindergarten_id,
            group_id,
            ..
        } => apply(state, application_id, kindergarten_id, group_id),
        Event::GroupsRolledOver {
            kindergarten_id,
            academic_year,
            groups,
            leavers,
            ..
        } => apply_rolled_over(state, kindergarten_id, *academic_year, groups, leavers),
        _ => Ok(()),
    }
}

/// Applies `child_left`.
fn apply(
    state: &mut State,
    id: &ApplicationId,
    kindergarten: &KindergartenId,
    group: &GroupId,
) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let k = state.known_kindergarten(kindergarten)?;
    match state.place(a) {
        Some((kg, g, _)) if kg == k && &g == group => {}
        _ => {
            return Err(Mismatch::WrongStatus {
                what: "application",
                id: id.to_string(),
                status: "not enrolled in this group",
            })
        }
    }
    release(state.group_mut(k, group)?, a)?;
    // A request to transfer ends with the leaving (a transfer's own admission follows).
    state.end_transfer(a);
    state.set_status(a, AppStatus::Left)
}

/// Child `a` leaves group `g`: its seat is free.
fn release(g: &mut crate::state::Group, a: AppIx) -> Result<(), Mismatch> {
    let at = g
        .children
        .iter()
        .position(|c| *c == a)
        .ok_or_else(|| Mismatch::Seats {
            group: g.id.to_string(),
            problem: "the child who left is not among the group's children",
        })?;
    g.children.remove(at);
    g.enrolled = g.enrolled.checked_sub(1).ok_or_else(|| Mismatch::Seats {
        group: g.id.to_string(),
        problem: "a child left a group with no one enrolled",
    })?;
    Ok(())
}

/// The roll-over of a kindergarten's groups into an academic year.
#[derive(Debug, Clone)]
pub struct RollOver {
    /// The kindergarten.
    pub kindergarten_id: KindergartenId,
    /// The academic year it enters (the one that has begun at `at`).
    pub academic_year: i16,
    /// When.
    pub at: Timestamp,
}

impl RollOver {
    /// The `groups_rolled_over` event.
    ///
    /// # Errors
    /// Unknown kindergarten, an academic year that has not begun or is past, a kindergarten
    /// rolled over into it already, a group leaving for school with seats held for referrals.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, kg) = state
            .kindergarten_by_id(&self.kindergarten_id)
            .ok_or_else(|| Refusal::not_found("kindergarten", &self.kindergarten_id))?;
        let policy = state.policy();
        let now = policy
            .cutoff
            .academic_year_of(policy.calendar.local_date(self.at));
        if self.academic_year != now {
            return Err(Refusal::invalid(
                "academic_year",
                Code::NotThisAcademicYear.as_str(),
                format!("must be the academic year that has begun: {now}"),
            ));
        }
        if kg.rolled_over.is_some_and(|y| y >= self.academic_year) {
            return Err(Refusal::conflict(
                Code::RolledOverAlready.as_str(),
                format!(
                    "the groups of {} entered {} already",
                    self.kindergarten_id, self.academic_year
                ),
            ));
        }
        let youngest = kg.groups.iter().map(|g| g.age_years).min().unwrap_or(0);
        let mut groups = Vec::with_capacity(kg.groups.len());
        let mut leavers = Vec::new();
        for g in &kg.groups {
            let next = g.age_years.saturating_add(1);
            if i32::from(next) < policy.max_age {
                groups.push(RolledGroup {
                    group_id: g.id.clone(),
                    age_years: next,
                    released: 0,
                });
                continue;
            }
            // The group goes to school: its children leave, it takes the youngest.
            if g.reserved > 0 {
                return Err(Refusal::conflict(
                    Code::ReferralsPending.as_str(),
                    format!(
                        "group {} goes to school but holds {} seats for referred children: admit them or let the referrals end first",
                        g.id, g.reserved
                    ),
                ));
            }
            if let Some(a) = g.children.iter().find(|a| {
                state.transfer(**a).is_some_and(|t| t.referral.is_some())
                    || state.open_exchange_of(**a).is_some()
            }) {
                return Err(Refusal::conflict(
                    Code::ReferralsPending.as_str(),
                    format!(
                        "group {} goes to school but its child {} holds a referral for a transfer: let it be declined or lapse first",
                        g.id,
                        state.application(*a).map_or("", |x| x.id.as_str())
                    ),
                ));
            }
            leavers.extend(
                g.children
                    .iter()
                    .filter_map(|a| state.application(*a).map(|x| x.id.clone())),
            );
            groups.push(RolledGroup {
                group_id: g.id.clone(),
                age_years: youngest,
                released: g.unnamed(),
            });
        }
        Ok(vec![Event::GroupsRolledOver {
            kindergarten_id: self.kindergarten_id,
            academic_year: self.academic_year,
            groups,
            leavers,
            at: self.at,
        }])
    }
}

/// Applies `groups_rolled_over`.
fn apply_rolled_over(
    state: &mut State,
    kindergarten: &KindergartenId,
    academic_year: i16,
    groups: &[RolledGroup],
    leavers: &[ApplicationId],
) -> Result<(), Mismatch> {
    let k = state.known_kindergarten(kindergarten)?;
    for id in leavers {
        let a = state.known_app(id)?;
        let Some((kg, group, _)) = state.place(a).filter(|(kg, _, _)| *kg == k) else {
            return Err(Mismatch::WrongStatus {
                what: "application",
                id: id.to_string(),
                status: "not enrolled in this kindergarten",
            });
        };
        release(state.group_mut(kg, &group)?, a)?;
        state.end_transfer(a);
        state.set_status(a, AppStatus::Left)?;
    }
    for r in groups {
        let g = state.group_mut(k, &r.group_id)?;
        g.enrolled = g
            .enrolled
            .checked_sub(r.released)
            .ok_or_else(|| Mismatch::Seats {
                group: r.group_id.to_string(),
                problem: "more children left for school than were enrolled",
            })?;
        g.age_years = r.age_years;
    }
    state.set_rolled_over(k, academic_year)
}
