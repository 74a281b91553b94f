//! Decisions that change one thing: kindergartens and vacancies, withdrawals, priority
//! claims, and the referral lifecycle (confirm, decline, extend, enrol, no-show, lapse).

use crate::command::{conflict, ground, not_found, CommandError};
use crate::event::{ClaimStatus, Event, GroupSpec, LapseReason};
use crate::ids::{ApplicationId, DistrictId, GroupId, KindergartenId, ReferralId};
use crate::policy::AfterReferral;
use crate::state::{AppStatus, ReferralStatus, State};
use jiff::Timestamp;

impl State {
    pub(crate) fn decide_upsert(
        &self,
        id: KindergartenId,
        name: String,
        district: DistrictId,
        groups: Vec<GroupSpec>,
    ) -> Result<Event, CommandError> {
        let mut grounds = Vec::new();
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            grounds.push(ground(
                "name",
                "invalid_name",
                "must be 1 to 200 printable characters",
            ));
        }
        if groups.len() > 100 {
            grounds.push(ground("groups", "too_many_groups", "at most 100 groups"));
        }
        for (i, g) in groups.iter().enumerate() {
            if !(0..=18).contains(&g.age_years) {
                grounds.push(ground(
                    format!("groups[{i}].age_years"),
                    "invalid_age",
                    "must be 0 to 18",
                ));
            }
            if g.capacity > 10_000 {
                grounds.push(ground(
                    format!("groups[{i}].capacity"),
                    "invalid_capacity",
                    "must be at most 10000",
                ));
            }
            if groups[..i].iter().any(|o| o.group_id == g.group_id) {
                grounds.push(ground(
                    format!("groups[{i}].group_id"),
                    "duplicate_group",
                    format!("`{}` is listed twice", g.group_id),
                ));
            }
        }
        if !grounds.is_empty() {
            return Err(CommandError::Invalid(grounds));
        }
        if let Some(k) = self.kindergarten_index.get(&id) {
            let kg = &self.kindergartens[*k as usize];
            if self.districts[kg.district as usize].id != district {
                return Err(conflict(
                    "kindergarten_district_fixed",
                    format!(
                        "{id} belongs to district {}",
                        self.districts[kg.district as usize].id
                    ),
                ));
            }
            for old in &kg.groups {
                let occupied = old.enrolled + old.reserved;
                match groups.iter().find(|g| g.group_id == old.id) {
                    None if occupied > 0 => {
                        return Err(conflict(
                            "group_occupied",
                            format!(
                                "group {} has {occupied} occupied seats and cannot be removed",
                                old.id
                            ),
                        ))
                    }
                    Some(g) if g.capacity < occupied => {
                        return Err(conflict(
                            "capacity_below_occupied",
                            format!("group {} has {occupied} enrolled or reserved seats", old.id),
                        ))
                    }
                    _ => {}
                }
            }
        }
        let groups = groups
            .into_iter()
            .map(|mut g| {
                let existing = self.kindergarten_index.get(&id).is_some_and(|k| {
                    self.kindergartens[*k as usize]
                        .groups
                        .iter()
                        .any(|o| o.id == g.group_id)
                });
                g.enrolled = if existing {
                    0
                } else {
                    g.enrolled.min(g.capacity)
                };
                g
            })
            .collect();
        Ok(Event::KindergartenUpserted {
            kindergarten_id: id,
            name,
            district,
            groups,
        })
    }

    pub(crate) fn decide_vacancies(
        &self,
        id: KindergartenId,
        group: GroupId,
        seats: u32,
    ) -> Result<Event, CommandError> {
        let k = *self
            .kindergarten_index
            .get(&id)
            .ok_or_else(|| not_found("kindergarten", &id))?;
        let g = self.kindergartens[k as usize]
            .groups
            .iter()
            .find(|g| g.id == group)
            .ok_or_else(|| not_found("group", &group))?;
        if seats == 0 {
            return Err(CommandError::Invalid(vec![ground(
                "seats",
                "invalid_seats",
                "must be at least 1",
            )]));
        }
        if seats > g.enrolled {
            return Err(conflict(
                "too_many_vacancies",
                format!(
                    "group {group} has {} enrolled children; free seats cannot exceed capacity",
                    g.enrolled
                ),
            ));
        }
        Ok(Event::VacanciesOpened {
            kindergarten_id: id,
            group_id: group,
            seats,
        })
    }

    pub(crate) fn decide_withdraw(
        &self,
        id: ApplicationId,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let a = self.known_application(&id)?;
        let status = self.applications[a as usize].status;
        if !matches!(status, AppStatus::Queued | AppStatus::Referred) {
            return Err(conflict(
                "application_not_active",
                format!("application {id} is {}", status.as_str()),
            ));
        }
        Ok(Event::Withdrawn {
            application_id: id,
            at,
        })
    }

    pub(crate) fn decide_claim(
        &self,
        id: ApplicationId,
        verified: bool,
        reason: String,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let a = self.known_application(&id)?;
        let app = &self.applications[a as usize];
        if app.claim == ClaimStatus::None {
            return Err(conflict(
                "no_priority_claim",
                format!("application {id} claims no category"),
            ));
        }
        if !app.status.is_active() {
            return Err(conflict(
                "application_not_active",
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        if reason.chars().count() > 1000 || reason.chars().any(|c| c.is_control() && c != '\n') {
            return Err(CommandError::Invalid(vec![ground(
                "reason",
                "invalid_reason",
                "at most 1000 printable characters",
            )]));
        }
        Ok(Event::ClaimDecided {
            application_id: id,
            verified,
            reason,
            at,
        })
    }

    fn referral_in(
        &self,
        id: &ReferralId,
        allowed: &[ReferralStatus],
    ) -> Result<u32, CommandError> {
        let r = *self
            .referral_index
            .get(id)
            .ok_or_else(|| not_found("referral", id))?;
        let status = self.referrals[r as usize].status;
        if !allowed.contains(&status) {
            return Err(conflict(
                "referral_not_open",
                format!("referral {id} is {}", status.as_str()),
            ));
        }
        Ok(r)
    }

    pub(crate) fn decide_confirm(
        &self,
        id: &ReferralId,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let r = self.referral_in(id, &[ReferralStatus::Issued])?;
        if at >= self.referrals[r as usize].expires_at {
            return self.expired(r);
        }
        let enrol_by = self
            .policy
            .calendar
            .deadline(at, self.policy.referral.enrol_working_days);
        Ok(Event::ReferralConfirmed {
            referral_id: id.clone(),
            at,
            enrol_by,
        })
    }

    pub(crate) fn decide_decline(
        &self,
        id: &ReferralId,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        self.referral_in(id, &[ReferralStatus::Issued, ReferralStatus::Confirmed])?;
        let requeue = self.policy.referral.on_decline == AfterReferral::Requeue;
        Ok(Event::ReferralDeclined {
            referral_id: id.clone(),
            at,
            requeue,
        })
    }

    pub(crate) fn decide_extend(
        &self,
        id: &ReferralId,
        days: u32,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let r = self.referral_in(id, &[ReferralStatus::Confirmed])?;
        let referral = &self.referrals[r as usize];
        if referral.extended {
            return Err(conflict(
                "already_extended",
                format!("referral {id} was extended once already"),
            ));
        }
        let max = self.policy.referral.extension_max_days;
        if days == 0 || days > max {
            return Err(CommandError::Invalid(vec![ground(
                "days",
                "invalid_extension",
                format!("must be 1 to {max} days"),
            )]));
        }
        if at >= referral.expires_at {
            return self.expired(r);
        }
        let enrol_by = self
            .policy
            .calendar
            .deadline_days(referral.expires_at, days);
        Ok(Event::ReferralExtended {
            referral_id: id.clone(),
            at,
            enrol_by,
        })
    }

    pub(crate) fn decide_enrol(
        &self,
        id: &ReferralId,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let r = self.referral_in(id, &[ReferralStatus::Issued, ReferralStatus::Confirmed])?;
        if at >= self.referrals[r as usize].expires_at {
            return self.expired(r);
        }
        Ok(Event::Enrolled {
            referral_id: id.clone(),
            at,
        })
    }

    pub(crate) fn decide_no_show(
        &self,
        id: &ReferralId,
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let r = self.referral_in(id, &[ReferralStatus::Issued, ReferralStatus::Confirmed])?;
        Ok(self.lapse(r, at, LapseReason::NoShow))
    }

    /// An act on a referral whose deadline passed is refused; the lapse itself is journaled
    /// by [`crate::Command::LapseOverdue`] (the sweep, or the check made when it is read).
    fn expired(&self, r: u32) -> Result<Event, CommandError> {
        let referral = &self.referrals[r as usize];
        Err(conflict(
            "referral_expired",
            format!(
                "referral {} expired at {}",
                referral.id, referral.expires_at
            ),
        ))
    }

    fn lapse(&self, r: u32, at: Timestamp, reason: LapseReason) -> Event {
        let referral = &self.referrals[r as usize];
        let in_person = self.policy.tiers[referral.tier].in_person_check;
        let requeue = in_person || self.policy.referral.on_lapse == AfterReferral::Requeue;
        let stopped_until = in_person.then(|| {
            self.policy
                .calendar
                .deadline_days(at, self.policy.referral.stop_list_days)
        });
        Event::ReferralLapsed {
            referral_id: referral.id.clone(),
            at,
            reason,
            requeue,
            drop_claim: in_person,
            stopped_until,
        }
    }

    /// Lapse events for every open referral whose deadline is at or before `at`.
    pub(crate) fn decide_lapses(&self, at: Timestamp) -> Vec<Event> {
        self.deadlines
            .iter()
            .take_while(|(t, _)| *t <= at)
            .map(|(_, r)| {
                let reason = match self.referrals[*r as usize].status {
                    ReferralStatus::Issued => LapseReason::NotConfirmed,
                    _ => LapseReason::NotEnrolled,
                };
                self.lapse(*r, at, reason)
            })
            .collect()
    }
}
