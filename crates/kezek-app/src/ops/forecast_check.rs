//! How the estimates of "when will we get a place?" compared with what happened: the
//! district's queue as it was half a year ago (the journal replayed to then), the estimate
//! each queued child had then for its first kindergarten, and whether and when that
//! kindergarten referred it since. Run on demand, on a blocking thread (a replay).

use crate::access::{Auth, Role, StaffOrAuditor};
use crate::error::AppError;
use crate::App;
use jiff::{SignedDuration, Timestamp};
use kezek_core::model::{AppStatus, DistrictId, KgIx};
use kezek_core::State;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far back the estimates are taken.
pub const BACK_DAYS: i64 = 182;

/// The estimates of then against what happened since, as counts of children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForecastCheck {
    /// When the estimates were made.
    pub then: Option<Timestamp>,
    /// Children waiting then (queued in the district).
    pub waiting: usize,
    /// Of them, with no estimate (no seat there in the year before).
    pub no_estimate: usize,
    /// Referred there within the estimated range.
    pub within: usize,
    /// Referred there before the earliest day.
    pub earlier: usize,
    /// Referred there after the latest day.
    pub later: usize,
    /// Not referred there yet, still within the range (or with no latest day).
    pub waiting_in_range: usize,
    /// Not referred there, and its latest day has passed.
    pub past_latest: usize,
}

/// Compares the estimates `then_state` gave at `then` for `district` with the referrals
/// `now_state` holds.
#[must_use]
pub fn compare(
    then_state: &State,
    now_state: &State,
    district: &DistrictId,
    (then, now): (Timestamp, Timestamp),
) -> ForecastCheck {
    let mut check = ForecastCheck {
        then: Some(then),
        ..ForecastCheck::default()
    };
    let Some(d) = then_state.district_index(district) else {
        return check;
    };
    // The first referral to each kindergarten since then, by child.
    let mut first: BTreeMap<(String, String), Timestamp> = BTreeMap::new();
    for (_, r) in now_state.referrals() {
        if r.issued_at <= then {
            continue;
        }
        let (Some(app), Some(kg)) = (
            now_state.application(r.app),
            now_state.kindergarten(r.kindergarten),
        ) else {
            continue;
        };
        let key = (app.id.to_string(), kg.id.to_string());
        let at = first.entry(key).or_insert(r.issued_at);
        *at = (*at).min(r.issued_at);
    }
    let policy = then_state.policy();
    let year = policy
        .cutoff
        .academic_year_of(policy.calendar.local_date(then));
    let day = |days: i64| then.checked_add(SignedDuration::from_hours(24 * days)).ok();
    for (a, app) in then_state.applications() {
        if app.district != d || app.status != AppStatus::Queued {
            continue;
        }
        check.waiting += 1;
        let Some(f) = then_state.forecast(a, then, year).into_iter().next() else {
            continue;
        };
        let Some(earliest) = f.earliest_days.and_then(day) else {
            check.no_estimate += 1;
            continue;
        };
        let latest = f.latest_days.and_then(day);
        let kg: Option<&KgIx> = Some(&f.kindergarten);
        let came = kg
            .and_then(|k| then_state.kindergarten(*k))
            .and_then(|k| first.get(&(app.id.to_string(), k.id.to_string())));
        match (came, latest) {
            (Some(at), _) if *at < earliest => check.earlier += 1,
            (Some(at), Some(l)) if *at > l => check.later += 1,
            (Some(_), _) => check.within += 1,
            (None, Some(l)) if l < now => check.past_latest += 1,
            (None, _) => check.waiting_in_range += 1,
        }
    }
    check
}

impl App {
    /// How the estimates of half a year ago for district `district` compared with what
    /// happened: staff of the district, auditors. Replays the journal to then.
    ///
    /// # Errors
    /// Out of scope, an unknown district, or the store failed.
    pub async fn forecast_check(
        self: &Arc<Self>,
        auth: &Auth<StaffOrAuditor>,
        district: &str,
    ) -> Result<ForecastCheck, AppError> {
        let caller = auth.caller();
        if caller.role == Role::Staff {
            caller.require_scope(Role::Staff, district)?;
        }
        let district_id = DistrictId::parse(district)
            .ok()
            .filter(|d| self.state.read().district_index(d).is_some())
            .ok_or_else(|| AppError::not_found("district", district))?;
        let now = self.now();
        let then = now
            .checked_sub(SignedDuration::from_hours(24 * BACK_DAYS))
            .unwrap_or(now);
        let app = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let policy = app.state.read().policy().clone();
            let mut past = State::new(policy);
            kezek_store::replay::replay_until(app.store.as_ref(), &mut past, then).map_err(
                |e| match e {
                    kezek_store::replay::ReplayError::Store(s) => AppError::from(s),
                    other @ kezek_store::replay::ReplayError::Corrupt { .. } => {
                        AppError::from(kezek_store::StoreError::Order(other.to_string()))
                    }
                },
            )?;
            let present = app.state.read();
            Ok(compare(&past, &present, &district_id, (then, now)))
        })
        .await
        .unwrap_or_else(|e| {
            Err(AppError::from(kezek_store::StoreError::Order(format!(
                "the forecast check stopped: {e}"
            ))))
        })
    }
}
