//! The education department's worklists: priority claims to check, with the regulations'
//! deadline (`claim_check_working_days` of the policy, 3 working days from the claim) and
//! whether it has passed; and referrals outstanding, by status and by when they lapse.

use crate::access::{Auth, Staff};
use crate::error::AppError;
use crate::views::FileEntry;
use crate::Reads;
use jiff::Timestamp;
use kezek_core::model::{ClaimStatus, DistrictId, DistrictIx, ReferralStatus};
use kezek_core::State;
use serde::Serialize;

/// Entries per worklist answer at most.
const MAX_ENTRIES: usize = 1000;

/// A priority claim on the worklist.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimEntry {
    /// The application.
    pub application_id: String,
    /// The category claimed.
    pub category: Option<String>,
    /// `pending`, `verified` or `rejected`.
    pub status: &'static str,
    /// When it was claimed (with the registration).
    #[schema(value_type = String, format = DateTime)]
    pub claimed_at: Timestamp,
    /// When the proof must have been checked by.
    #[schema(value_type = String, format = DateTime)]
    pub due_by: Timestamp,
    /// Still pending after `due_by`.
    pub overdue: bool,
    /// The proof files attached to the application, in order (`GET /v1/files/{file_id}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
}

/// A district's priority claims.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimList {
    /// The district.
    pub district: String,
    /// The claims, oldest first (at most 1000).
    pub claims: Vec<ClaimEntry>,
    /// How many of the claims of this status are overdue (all of them, not only those listed).
    pub overdue: usize,
    /// Whether more matched than are listed.
    pub truncated: bool,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

/// A referral on the worklist.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralEntry {
    /// The referral.
    pub referral_id: String,
    /// The application.
    pub application_id: String,
    /// Where.
    pub kindergarten_id: String,
    /// Which group.
    pub group_id: String,
    /// `issued` or `confirmed`.
    pub status: &'static str,
    /// When it lapses unless confirmed (issued) or used (confirmed).
    #[schema(value_type = String, format = DateTime)]
    pub lapses_at: Timestamp,
}

/// A district's outstanding referrals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralWorklist {
    /// The district.
    pub district: String,
    /// The referrals, soonest to lapse first (at most 1000).
    pub referrals: Vec<ReferralEntry>,
    /// Whether more matched than are listed.
    pub truncated: bool,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

fn district(state: &State, auth: &Auth<Staff>, raw: &str) -> Result<DistrictIx, AppError> {
    auth.caller().staff_scope(raw)?;
    DistrictId::parse(raw)
        .ok()
        .and_then(|id| state.district_index(&id))
        .ok_or_else(|| AppError::not_found("district", raw))
}

/// When the proof of a claim made at `claimed_at` must be checked by.
#[must_use]
pub fn claim_due_by(state: &State, claimed_at: Timestamp) -> Timestamp {
    let p = state.policy();
    p.calendar.deadline(claimed_at, p.claim_check_working_days)
}

impl Reads<'_> {
    /// The district's claims with `status` (default `pending`), as they stand at `now`.
    ///
    /// # Errors
    /// Out of scope, an unknown district, or a status that is not one of the three.
    pub fn claims(
        &self,
        auth: &Auth<Staff>,
        raw: &str,
        status: Option<&str>,
    ) -> Result<ClaimList, AppError> {
        let (state, now) = (self.state, self.now);
        let d = district(state, auth, raw)?;
        let wanted = match status.unwrap_or("pending") {
            "pending" => ClaimStatus::Pending,
            "verified" => ClaimStatus::Verified,
            "rejected" => ClaimStatus::Rejected,
            _ => {
                return Err(AppError::invalid(
                    "status",
                    "invalid_status",
                    "must be pending, verified or rejected",
                ))
            }
        };
        let (mut claims, mut overdue, mut matched) = (Vec::new(), 0, 0);
        // The district's claims in that state, oldest first, from the index the apply arms
        // keep (a claim made after registration is due from when it was made).
        for (a, claimed_at) in state.claims_in(d, wanted) {
            let Some(app) = state.application(a) else {
                continue;
            };
            let due_by = claim_due_by(state, claimed_at);
            let late = wanted == ClaimStatus::Pending && due_by < now;
            overdue += usize::from(late);
            matched += 1;
            if claims.len() < MAX_ENTRIES {
                claims.push(ClaimEntry {
                    application_id: app.id.to_string(),
                    category: state.category_of(app).map(ToString::to_string),
                    status: wanted.as_str(),
                    claimed_at,
                    due_by,
                    overdue: late,
                    files: crate::views::file_entries(state, a),
                });
            }
        }
        Ok(ClaimList {
            district: raw.to_owned(),
            truncated: matched > claims.len(),
            claims,
            overdue,
            as_of_seq: state.last_seq().get(),
        })
    }

    /// The district's referrals with `status` (`issued` or `confirmed`; both by default) that
    /// lapse before `lapsing_before` (a local date: those whose last day is before it; all by
    /// default).
    ///
    /// # Errors
    /// Out of scope, an unknown district, a bad status or date.
    pub fn referrals(
        &self,
        auth: &Auth<Staff>,
        raw: &str,
        status: Option<&str>,
        lapsing_before: Option<&str>,
    ) -> Result<ReferralWorklist, AppError> {
        let state = self.state;
        let d = district(state, auth, raw)?;
        let wanted = super::open_referrals(status)?;
        let before = match lapsing_before {
            None => Timestamp::MAX,
            Some(raw) => {
                let day: jiff::civil::Date = raw.parse().map_err(|_| {
                    AppError::invalid(
                        "lapsing_before",
                        "invalid_date",
                        "must be a date YYYY-MM-DD",
                    )
                })?;
                let cal = &state.policy().calendar;
                day.yesterday()
                    .map_or(Timestamp::MIN, |y| cal.end_of_day(y))
            }
        };
        let mut referrals = Vec::new();
        let mut matched = 0;
        // Open ones come from the deadline index, in deadline order; enrolled ones (closed)
        // from every referral.
        let open_only = wanted
            .iter()
            .all(|s| matches!(s, ReferralStatus::Issued | ReferralStatus::Confirmed));
        let candidates: Box<dyn Iterator<Item = (_, &kezek_core::state::Referral)>> = if open_only {
            Box::new(state.open_referrals_until(before))
        } else {
            Box::new(state.referrals())
        };
        for (_, r) in candidates {
            let in_district = state
                .kindergarten(r.kindergarten)
                .is_some_and(|k| k.district == d);
            if !in_district || !wanted.contains(&r.status) || r.expires_at > before {
                continue;
            }
            matched += 1;
            if referrals.len() < MAX_ENTRIES {
                referrals.push(ReferralEntry {
                    referral_id: r.id.to_string(),
                    application_id: state
                        .application(r.app)
                        .map(|a| a.id.to_string())
                        .unwrap_or_default(),
                    kindergarten_id: state
                        .kindergarten(r.kindergarten)
                        .map(|k| k.id.to_string())
                        .unwrap_or_default(),
                    group_id: r.group.to_string(),
                    status: r.status.as_str(),
                    lapses_at: r.expires_at,
                });
            }
        }
        referrals.sort_by_key(|r| r.lapses_at);
        Ok(ReferralWorklist {
            district: raw.to_owned(),
            truncated: matched > referrals.len(),
            referrals,
            as_of_seq: state.last_seq().get(),
        })
    }
}

/// Pending claims past their due date, per district (for the metrics): read from the claims
/// index, the overdue ones of each district counted from its oldest.
#[must_use]
pub fn overdue_claims(state: &State, now: Timestamp) -> Vec<(String, usize)> {
    state
        .districts()
        .map(|(d, district)| (district.id.to_string(), state.overdue_claims_in(d, now)))
        .collect()
}
