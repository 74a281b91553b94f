//! What a clerk or a portal looks for first: the districts, and the kindergartens of a
//! district with their groups and free seats. Staff see their own districts only.

use crate::access::{Auth, Lookup, Role};
use crate::error::AppError;
use crate::views::{self, KindergartenView};
use crate::Reads;
use kezek_core::event::DistrictNames;
use kezek_core::model::{DistrictId, DistrictIx};
use kezek_core::State;
use serde::Serialize;

/// A district.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DistrictEntry {
    /// Its id.
    pub district_id: String,
    /// Its kindergartens.
    pub kindergartens: usize,
    /// Children waiting in its queues.
    pub queued: usize,
    /// Its name and its authority's, in Kazakh and Russian (absent until named).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::forms::DistrictForm>)]
    pub names: Option<DistrictNames>,
}

/// The districts the caller may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DistrictList {
    /// The districts, by id.
    pub districts: Vec<DistrictEntry>,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

/// The kindergartens of a district.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindergartenList<'a> {
    /// The district.
    pub district: String,
    /// Its kindergartens, by id, with their groups and seats.
    pub kindergartens: Vec<KindergartenView<'a>>,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

/// District `ix`'s entry, counted over `queued` (the state's queued counts).
fn entry(
    state: &State,
    ix: DistrictIx,
    queued: &std::collections::BTreeMap<(DistrictIx, usize), usize>,
) -> Option<DistrictEntry> {
    let d = state.district(ix)?;
    Some(DistrictEntry {
        district_id: d.id.to_string(),
        kindergartens: d.kindergartens.len(),
        queued: queued
            .iter()
            .filter(|((di, _), _)| *di == ix)
            .map(|(_, n)| *n)
            .sum(),
        names: d.names.as_deref().cloned(),
    })
}

/// District `ix`'s entry.
#[must_use]
pub fn district_entry(state: &State, ix: DistrictIx) -> Option<DistrictEntry> {
    entry(state, ix, &state.queued_counts())
}

/// Whether kindergarten `k` matches the search `q`: every word of it is found, ignoring
/// case, in its id, names or addresses.
fn matches(k: &KindergartenView<'_>, q: &str) -> bool {
    let hay = [
        Some(k.kindergarten_id.as_str()),
        Some(k.name),
        k.name_ru,
        k.address,
        k.address_ru,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase();
    q.to_lowercase().split_whitespace().all(|w| hay.contains(w))
}

impl<'s> Reads<'s> {
    /// The districts: every one, or a staff key's own.
    #[must_use]
    pub fn districts(&self, auth: &Auth<Lookup>) -> DistrictList {
        let state = self.state;
        let caller = auth.caller();
        let queued = state.queued_counts();
        let mut districts: Vec<DistrictEntry> = state
            .districts()
            .filter(|(_, d)| {
                caller.role != Role::Staff || caller.scope.iter().any(|s| s == d.id.as_str())
            })
            .filter_map(|(ix, _)| entry(state, ix, &queued))
            .collect();
        districts.sort_by(|a, b| a.district_id.cmp(&b.district_id));
        DistrictList {
            districts,
            as_of_seq: state.last_seq().get(),
        }
    }

    /// The kindergartens of district `raw`, those matching `q` when given.
    ///
    /// # Errors
    /// Another district's (staff), or an unknown district.
    pub fn kindergartens(
        &self,
        auth: &Auth<Lookup>,
        raw: &str,
        q: Option<&str>,
    ) -> Result<KindergartenList<'s>, AppError> {
        let state = self.state;
        auth.caller().staff_scope(raw)?;
        let d = DistrictId::parse(raw)
            .ok()
            .and_then(|id| state.district_index(&id))
            .ok_or_else(|| AppError::not_found("district", raw))?;
        let mut kindergartens: Vec<KindergartenView<'s>> = state
            .kindergartens()
            .filter(|(_, k)| k.district == d)
            .filter_map(|(k, _)| views::kindergarten(state, k))
            .filter(|k| q.is_none_or(|q| matches(k, q)))
            .collect();
        kindergartens.sort_by(|a, b| a.kindergarten_id.cmp(b.kindergarten_id));
        Ok(KindergartenList {
            district: raw.to_owned(),
            kindergartens,
            as_of_seq: state.last_seq().get(),
        })
    }
}
