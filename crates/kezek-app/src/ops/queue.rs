//! A district's queue child by child: one cohort queue (birth cohort and language) in its
//! merged order, a page at a time, each child with its queue number — what a clerk answers a
//! family with and an auditor checks a round against. Optionally one tier only, the children
//! keeping the numbers they have in the whole queue.

use crate::access::{Auth, QueueReaders, Role};
use crate::error::AppError;
use crate::views;
use crate::Reads;
use jiff::Timestamp;
use kezek_core::model::{AppIx, ApplicationId, DistrictId, Iin, Language};
use kezek_core::queue::order::{Entry, OrderIndex};
use kezek_core::queue::{CohortQueue, QueueKey};
use kezek_core::State;
use serde::Serialize;

/// Children per page at most.
pub const MAX_LIMIT: usize = 1000;

/// Which part of which queue.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    /// Birth cohort (academic birth year) — or `age`.
    pub cohort: Option<i16>,
    /// Age in full years on the cut-off date of the academic year in progress — or `cohort`.
    pub age: Option<i16>,
    /// `kk` or `ru`.
    pub language: String,
    /// One tier only (its name in the policy).
    pub tier: Option<String>,
    /// Children after this queue number (0: from the start).
    pub after: usize,
    /// Children per page (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// Where a child stands in a district's queue: its cohort queue (by age and language) and
/// the queue number before it (the `after` of the page that lists it first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpot {
    /// The child's age on the cut-off date of the academic year in progress.
    pub age: i16,
    /// `kk` or `ru`.
    pub language: &'static str,
    /// The queue number before the child's.
    pub after: usize,
}

/// A child on the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueuedChild {
    /// The queue number.
    pub number: usize,
    /// The application.
    pub application_id: String,
    /// Its tier.
    pub tier: String,
    /// Its priority category, if claimed.
    pub category: Option<String>,
    /// `none`, `pending`, `verified` or `rejected`.
    pub priority_status: &'static str,
    /// The original registration time (the order inside a tier).
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: Timestamp,
    /// Its kindergartens, best first.
    pub preferences: Vec<String>,
}

/// A page of a cohort queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueuePage {
    /// The district.
    pub district: String,
    /// The birth cohort.
    pub cohort: i16,
    /// The children's age on the cut-off date of the academic year in progress.
    pub age_years: i16,
    /// The language of instruction.
    pub language: &'static str,
    /// The tier listed, if only one.
    pub tier: Option<String>,
    /// Children in the queue (or the tier listed).
    pub total: usize,
    /// The children, by queue number.
    pub children: Vec<QueuedChild>,
    /// `after` for the next page (`null` on the last).
    pub next_after: Option<usize>,
    /// The journal seq the page reflects.
    pub as_of_seq: u64,
}

fn child(state: &State, number: usize, a: AppIx) -> Option<QueuedChild> {
    let app = state.application(a)?;
    Some(QueuedChild {
        number,
        application_id: app.id.to_string(),
        tier: views::tier_name(state, app.tier).to_owned(),
        category: state.category_of(app).map(ToString::to_string),
        priority_status: app.claim.as_str(),
        registered_at: app.registered_at,
        preferences: app
            .preferences
            .iter()
            .filter_map(|k| state.kindergarten(*k).map(|kg| kg.id.to_string()))
            .collect(),
    })
}

/// The children of tier `t` numbered after `after`, at most `limit`, and whether more
/// follow: the first is found by halving (numbers rise along a tier), each number read from
/// the queue.
fn tier_page(
    state: &State,
    queue: &CohortQueue,
    t: usize,
    after: usize,
    limit: usize,
) -> (Vec<(usize, Entry)>, bool) {
    let Some(list) = queue.tier(t) else {
        return (Vec::new(), false);
    };
    let number = |e: &Entry| state.queue_number(e.app()).unwrap_or(0);
    let (mut lo, mut hi) = (0, list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if list.select(mid).is_some_and(|e| number(&e) <= after) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let page = (lo..list.len())
        .take(limit)
        .filter_map(|i| list.select(i))
        .map(|e| (number(&e), e))
        .collect();
    (page, lo.saturating_add(limit) < list.len())
}

impl Reads<'_> {
    /// Where the child an application number or a child's IIN names stands in district
    /// `raw`'s queue, for who may read that queue (scope first: a key that may not read the
    /// district's queue learns nothing of who is in it); `None` when no queued child of the
    /// district is named.
    ///
    /// # Errors
    /// Out of scope.
    pub fn find_in_queue(
        &self,
        auth: &Auth<QueueReaders>,
        raw: &str,
        needle: &str,
    ) -> Result<Option<QueueSpot>, AppError> {
        let state = self.state;
        let caller = auth.caller();
        if matches!(caller.role, Role::Staff | Role::Clerk) {
            caller.require_scope(caller.role, raw)?;
        }
        let needle = needle.trim();
        let found = ApplicationId::parse(needle)
            .ok()
            .and_then(|id| state.application_index(&id))
            .or_else(|| {
                Iin::parse(needle)
                    .ok()
                    .and_then(|iin| state.active_application_of(&iin))
            })
            .filter(|a| crate::access::district_of_application(state, *a) == raw);
        let spot = found.and_then(|a| {
            let app = state.application(a)?;
            let number = state.queue_number(a)?;
            Some(QueueSpot {
                age: views::academic_year(state, self.now) - app.cohort,
                language: app.language.as_str(),
                after: number - 1,
            })
        });
        Ok(spot)
    }

    /// A page of a district's cohort queue.
    ///
    /// # Errors
    /// Out of scope (clerk or staff of another district), an unknown district, neither or both of
    /// `cohort` and `age`, a bad language or tier, a limit over 1000.
    pub fn page(
        &self,
        auth: &Auth<QueueReaders>,
        raw: &str,
        q: &QueueQuery,
    ) -> Result<QueuePage, AppError> {
        let (state, now) = (self.state, self.now);
        let caller = auth.caller();
        if matches!(caller.role, Role::Staff | Role::Clerk) {
            caller.require_scope(caller.role, raw)?;
        }
        let d = DistrictId::parse(raw)
            .ok()
            .and_then(|id| state.district_index(&id))
            .ok_or_else(|| AppError::not_found("district", raw))?;
        let year = views::academic_year(state, now);
        let cohort = match (q.cohort, q.age) {
            (Some(c), None) => c,
            (None, Some(age)) => year - age,
            _ => {
                return Err(AppError::invalid(
                    "cohort",
                    "invalid_query",
                    "give the birth cohort or the age, one of them",
                ))
            }
        };
        let language = Language::parse(&q.language)
            .ok_or_else(|| AppError::invalid("language", "invalid_query", "must be kk or ru"))?;
        let limit = q.limit.unwrap_or(100);
        if limit > MAX_LIMIT {
            return Err(AppError::invalid(
                "limit",
                "invalid_limit",
                "must be at most 1000",
            ));
        }
        let tier = match &q.tier {
            Some(name) => Some(
                state
                    .policy()
                    .tiers
                    .iter()
                    .position(|t| &t.name == name)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "tier",
                            "invalid_query",
                            "not a tier of the policy in force",
                        )
                    })?,
            ),
            None => None,
        };
        let key = QueueKey {
            district: d,
            cohort,
            language,
        };
        let queue = state.queue(&key);
        let (total, placed, more) = match (queue, tier) {
            (None, _) => (0, Vec::new(), false),
            (Some(queue), None) => (
                queue.len(),
                queue
                    .merged(state.policy(), q.after, limit)
                    .into_iter()
                    .enumerate()
                    .map(|(i, (_, e))| (q.after + i + 1, e))
                    .collect(),
                q.after.saturating_add(limit) < queue.len(),
            ),
            (Some(queue), Some(t)) => {
                let (page, more) = tier_page(state, queue, t, q.after, limit);
                (queue.tier(t).map_or(0, OrderIndex::len), page, more)
            }
        };
        let children: Vec<QueuedChild> = placed
            .into_iter()
            .filter_map(|(n, e)| child(state, n, e.app()))
            .collect();
        let last = children.last().map(|c| c.number);
        Ok(QueuePage {
            district: raw.to_owned(),
            cohort,
            age_years: year - cohort,
            language: language.as_str(),
            tier: q.tier.clone(),
            total,
            children,
            next_after: last.filter(|_| more),
            as_of_seq: state.last_seq().get(),
        })
    }
}
