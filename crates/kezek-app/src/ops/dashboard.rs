//! A district's dashboard, read in one look at the state: the figures of its statistics
//! (`GET /v1/districts/{d}/stats`), the seats of each kindergarten, and — for its staff, not
//! auditors — the worklists' counts: priority claims overdue and referrals lapsing before the
//! end of the next local day.

use crate::access::{Auth, Lookup, Staff, StaffOrAuditor};
use crate::error::AppError;
use crate::Reads;
use std::collections::BTreeMap;

/// A kindergarten's seats, summed over its groups.
#[derive(Debug, Clone)]
pub struct KindergartenSeats {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its Russian name, where it has one.
    pub name_ru: Option<String>,
    /// Places.
    pub capacity: u64,
    /// Places taken by admitted children.
    pub enrolled: u64,
    /// Places held by open referrals.
    pub reserved: u64,
    /// Free places.
    pub free: u64,
}

/// What a district's dashboard shows, at one seq.
#[derive(Debug, Clone)]
pub struct DistrictFigures {
    /// Children queued.
    pub queued_total: u64,
    /// Children queued by language (code).
    pub by_language: Vec<(String, u64)>,
    /// Children queued by age, then tier (name).
    pub by_age: BTreeMap<i16, BTreeMap<String, u64>>,
    /// The tiers that have children queued, by name.
    pub tiers: Vec<String>,
    /// The district's places.
    pub capacity: u64,
    /// Places taken by admitted children.
    pub enrolled: u64,
    /// Places held by open referrals.
    pub reserved: u64,
    /// Free places.
    pub free: u64,
    /// Referrals issued and not yet used, declined or lapsed.
    pub referrals_outstanding: u64,
    /// Median days from registration to admission.
    pub median_wait_days: Option<f64>,
    /// Pending claims past their due date (staff only).
    pub overdue_claims: Option<usize>,
    /// Open referrals lapsing before the end of the next local day (staff only).
    pub lapsing_soon: Option<usize>,
    /// Each of the last twelve weeks: its Monday, registrations, referrals.
    pub weekly: Vec<(jiff::civil::Date, u64, u64)>,
    /// The kindergartens' seats.
    pub kindergartens: Vec<KindergartenSeats>,
    /// The journal seq the figures reflect.
    pub as_of_seq: u64,
    /// The academic year whose ages are counted.
    pub academic_year: i16,
}

impl Reads<'_> {
    /// District `district`'s dashboard, for its staff and auditors.
    ///
    /// # Errors
    /// Out of scope, or an unknown district.
    pub fn dashboard(
        &self,
        auth: &Auth<StaffOrAuditor>,
        district: &str,
    ) -> Result<DistrictFigures, AppError> {
        let caller = auth.caller();
        let stats = self.stats(auth, district)?;
        let list = self.kindergartens(&Auth::<Lookup>::check(caller.clone())?, district, None)?;
        let kindergartens = list
            .kindergartens
            .iter()
            .map(|k| {
                let sum = |f: fn(&crate::views::GroupView<'_>) -> u32| {
                    k.groups.iter().map(|g| u64::from(f(g))).sum::<u64>()
                };
                KindergartenSeats {
                    id: k.kindergarten_id.to_string(),
                    name: k.name.to_owned(),
                    name_ru: k.name_ru.map(str::to_owned),
                    capacity: sum(|g| g.capacity),
                    enrolled: sum(|g| g.enrolled),
                    reserved: sum(|g| g.reserved),
                    free: sum(|g| g.free),
                }
            })
            .collect();
        // The worklists are staff's: an auditor's dashboard leaves them out.
        let staff = Auth::<Staff>::check(caller.clone()).ok();
        let overdue = staff
            .as_ref()
            .and_then(|staff| self.claims(staff, district, None).ok())
            .map(|c| c.overdue);
        let lapsing = staff
            .as_ref()
            .zip(self.day_after_tomorrow())
            .and_then(|(staff, before)| self.referrals(staff, district, None, Some(&before)).ok())
            .map(|r| r.referrals.len());
        let mut by_age: BTreeMap<i16, BTreeMap<String, u64>> = BTreeMap::new();
        for a in &stats.queued.by_age {
            *by_age
                .entry(a.age_years)
                .or_default()
                .entry(a.tier.to_owned())
                .or_default() += a.count;
        }
        Ok(DistrictFigures {
            queued_total: stats.queued.total,
            by_language: stats
                .queued
                .by_language
                .iter()
                .map(|(l, n)| ((*l).to_owned(), *n))
                .collect(),
            by_age,
            tiers: stats
                .queued
                .by_tier
                .keys()
                .map(|t| (*t).to_owned())
                .collect(),
            capacity: stats.seats.capacity,
            enrolled: stats.seats.enrolled,
            reserved: stats.seats.reserved,
            free: stats.seats.free,
            referrals_outstanding: stats.referrals_outstanding,
            median_wait_days: stats.median_wait_days,
            overdue_claims: overdue,
            lapsing_soon: lapsing,
            weekly: stats
                .weekly
                .iter()
                .map(|w| (w.week_of, w.registrations, w.referrals))
                .collect(),
            kindergartens,
            as_of_seq: stats.as_of_seq,
            academic_year: stats.academic_year,
        })
    }

    /// "Lapsing soon" ends with the next local day: the referrals whose last day is before
    /// the day after tomorrow (what `GET /v1/districts/{d}/referrals?lapsing_before=` counts
    /// with that date).
    fn day_after_tomorrow(&self) -> Option<String> {
        self.state
            .policy()
            .calendar
            .local_date(self.now)
            .checked_add(jiff::Span::new().days(2))
            .map(|d| d.to_string())
            .ok()
    }
}
