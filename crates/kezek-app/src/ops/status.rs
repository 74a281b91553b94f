//! What a family sees of its application with no key (the console's `/status`): the
//! application number and the child's IIN together are the proof — either alone finds
//! nothing — and what is shown is that application's: its status, queue number and places,
//! the referral, how the number changed since registration and why (the latest steps with
//! when each was journaled), and its documents. Lookups are limited per client by the page.

use crate::error::AppError;
use crate::views;
use crate::App;
use jiff::Timestamp;
use kezek_core::model::{ApplicationId, Iin, Seq};
use serde_json::Value;

/// The latest changes of the number shown.
const STEPS_SHOWN: usize = 12;

/// One step that moved the queue number.
#[derive(Debug, Clone)]
pub struct Step {
    /// The journal seq of the event that moved it.
    pub seq: u64,
    /// Why (a cause code: `registered_ahead`, `round`, …).
    pub cause: String,
    /// The number before.
    pub before: usize,
    /// The number after.
    pub after: usize,
    /// When the event was journaled.
    pub at: Option<Timestamp>,
}

/// A kindergarten the family chose, by name.
#[derive(Debug, Clone)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its Russian name, where it has one.
    pub name_ru: Option<String>,
}

/// The queue number at registration, and how much each cause changed it since (the causes
/// that did).
pub type History = (Option<usize>, Vec<(String, i64)>);

/// What a family is shown of its application.
#[derive(Debug, Clone)]
pub struct FamilyStatus {
    /// The application number.
    pub id: String,
    /// Its status (code).
    pub status: &'static str,
    /// Its tier (name in the policy).
    pub tier: String,
    /// When it was registered.
    pub registered_at: Timestamp,
    /// The position view (`GET /v1/applications/{id}/position`), as JSON.
    pub position: Value,
    /// The kindergartens chosen, best first.
    pub kindergartens: Vec<Named>,
    /// The referral, if any (`ReferralView`), as JSON.
    pub referral: Option<Value>,
    /// The queue number at registration, and the change since by cause.
    pub history: Option<History>,
    /// The latest steps that moved the number, newest first.
    pub steps: Vec<Step>,
    /// Its documents' ids: the registration's result, then the referral's.
    pub documents: Vec<String>,
    /// The authority's offset from UTC, in which times are shown.
    pub offset: jiff::tz::Offset,
}

impl App {
    /// The application `application_id` names, if `child_iin` is its child's; `None` for
    /// anything else (an unknown number, another child, a malformed one: all alike).
    ///
    /// # Errors
    /// The service unavailable.
    pub async fn family_status(
        &self,
        application_id: &str,
        child_iin: &str,
    ) -> Result<Option<FamilyStatus>, AppError> {
        let now = self.now();
        let found = self
            .read(|state| find(state, application_id, child_iin, now))
            .await?;
        let Some(mut found) = found else {
            return Ok(None);
        };
        // When each step's event was journaled: one record read each, a dozen at most.
        for step in &mut found.steps {
            let before = Seq::new(step.seq - 1);
            step.at = self
                .store(move |s| s.read(before, 1))
                .await
                .ok()
                .and_then(|records| records.into_iter().next())
                .and_then(|r| r.at.parse().ok());
        }
        Ok(Some(found))
    }
}

fn find(
    state: &kezek_core::State,
    raw_id: &str,
    raw_iin: &str,
    now: Timestamp,
) -> Option<FamilyStatus> {
    let id = ApplicationId::parse(raw_id.trim()).ok()?;
    let iin = Iin::parse(raw_iin.trim()).ok()?;
    let a = state.application_index(&id)?;
    let app = state.application(a)?;
    if app.child_iin != iin {
        return None;
    }
    // The change since registration is read below, with its steps: one walk of the log.
    let position = serde_json::to_value(views::position(state, a, now, None)?).unwrap_or_default();
    let kindergartens = app
        .preferences
        .iter()
        .filter_map(|k| state.kindergarten(*k))
        .map(|k| Named {
            id: k.id.to_string(),
            name: k.name.clone(),
            name_ru: k.labels.name_ru.clone(),
        })
        .collect();
    let referral = app
        .referral
        .and_then(|r| state.referral_at(r))
        .and_then(|r| views::referral(state, r))
        .and_then(|r| serde_json::to_value(r).ok());
    let mut steps = Vec::new();
    let history = state
        .explain_each(a, app.seq, &mut |s| {
            if steps.len() < STEPS_SHOWN {
                steps.push(Step {
                    seq: s.seq.get(),
                    cause: s.cause.as_str().to_owned(),
                    before: s.before,
                    after: s.after,
                    at: None,
                });
            }
        })
        .map(|x| {
            (
                x.queue_number,
                x.causes
                    .iter()
                    .filter(|(_, n)| **n != 0)
                    .map(|(c, n)| (c.as_str().to_owned(), *n))
                    .collect(),
            )
        });
    let mut documents: Vec<String> = views::registration_result_id(state, a, app)
        .into_iter()
        .collect();
    if let Some(doc) = referral.as_ref().and_then(|r| r["document_id"].as_str()) {
        if !documents.iter().any(|d| d == doc) {
            documents.push(doc.to_owned());
        }
    }
    Some(FamilyStatus {
        id: app.id.to_string(),
        status: app.status.as_str(),
        tier: views::tier_name(state, app.tier).to_owned(),
        registered_at: app.registered_at,
        position,
        kindergartens,
        referral,
        history,
        steps,
        documents,
        offset: state.policy().calendar.offset,
    })
}
