//! Corrections and late claims. Staff (and a counter, with the document) correct a child's or
//! applicant's name, the representative, or the district of residence — with kindergartens
//! there; the child changes queue at its original registration time. A family adds a
//! priority claim after registration with its proof; it is checked as one made at
//! registration. Each is journaled with who (the record's actor) and why, and none changes
//! the registration time.

use super::refusal::Refusal;
use super::register::{
    check_category, check_district, check_name, check_preferences, check_representative,
};
use crate::event::{Correction, Event};
use crate::model::{AppStatus, ApplicationId, ClaimStatus, Document, Seq};
use crate::queue::Cause;
use crate::state::{Mismatch, Stamp, State};
use jiff::Timestamp;

/// Longest reason, in characters.
const MAX_REASON: usize = 1000;

code_enum! {
    /// Why a correction or a late claim is refused (besides the registration's grounds).
    pub enum Code {
        /// The application is no longer active.
        ApplicationNotActive = "application_not_active",
        /// The district changes only while the child waits in the queue.
        ApplicationNotQueued = "application_not_queued",
        /// Nothing to change.
        NothingToCorrect = "nothing_to_correct",
        /// The district is the application's already.
        SameDistrict = "same_district",
        /// A reason that is missing, too long or holds control characters.
        InvalidReason = "invalid_reason",
        /// A claim is pending or verified already.
        ClaimExists = "claim_exists",
        /// The proof of the benefit is not among the documents.
        BenefitProofMissing = "benefit_proof_missing",
    }
}

/// Correct an application.
#[derive(Debug, Clone)]
pub struct Correct {
    /// Application.
    pub application_id: ApplicationId,
    /// The child's full name.
    pub child_name: Option<String>,
    /// The applicant's full name.
    pub applicant_name: Option<String>,
    /// A new representative: IIN and power of attorney.
    pub representative: Option<(String, String)>,
    /// The representative no longer acts.
    pub representative_removed: bool,
    /// The district of residence and kindergartens there, raw.
    pub district: Option<(String, Vec<String>)>,
    /// Why: the document it rests on.
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

impl Correct {
    /// The `application_corrected` event.
    ///
    /// # Errors
    /// Unknown or inactive application, nothing to change, a bad name, representative,
    /// district or kindergartens, a district change of a child not queued, or a bad reason.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (_, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if !app.status.is_active() {
            return Err(Refusal::conflict(
                Code::ApplicationNotActive.as_str(),
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        let nothing = self.child_name.is_none()
            && self.applicant_name.is_none()
            && self.representative.is_none()
            && !self.representative_removed
            && self.district.is_none();
        if nothing {
            return Err(Refusal::invalid(
                "child",
                Code::NothingToCorrect.as_str(),
                "name what to correct: child, applicant or district",
            ));
        }
        if self.district.is_some() && app.status != AppStatus::Queued {
            return Err(Refusal::conflict(
                Code::ApplicationNotQueued.as_str(),
                format!(
                    "application {id} is {}: the district changes while the child waits in the queue",
                    app.status.as_str()
                ),
            ));
        }
        let mut grounds = Vec::new();
        if let Some(name) = &self.child_name {
            check_name("child.name", name, &mut grounds);
        }
        if let Some(name) = &self.applicant_name {
            check_name("applicant.name", name, &mut grounds);
        }
        let representative = self
            .representative
            .as_ref()
            .and_then(|(iin, poa)| check_representative((iin, poa), &mut grounds));
        let district = match &self.district {
            Some((raw, preferences)) => {
                let found = check_district(state, raw, &mut grounds);
                if found.as_ref().is_some_and(|(_, d)| *d == app.district) {
                    return Err(Refusal::invalid(
                        "district",
                        Code::SameDistrict.as_str(),
                        "is the application's district already",
                    ));
                }
                let kindergartens = check_preferences(
                    state,
                    found.as_ref().map(|(_, d)| *d),
                    preferences,
                    &mut grounds,
                );
                found.map(|(d, _)| (d, state.kindergarten_ids(&kindergartens)))
            }
            None => None,
        };
        if !grounds.is_empty() {
            return Err(Refusal::grounds(grounds));
        }
        check_reason(&self.reason)?;
        Ok(vec![Event::ApplicationCorrected(Box::new(Correction {
            application_id: self.application_id,
            child_name: self.child_name.map(|n| n.trim().to_owned()),
            applicant_name: self.applicant_name.map(|n| n.trim().to_owned()),
            representative,
            representative_removed: self.representative_removed,
            district,
            reason: self.reason,
            at: self.at,
        }))])
    }
}

/// A reason: 1 to 1000 printable characters.
fn check_reason(reason: &str) -> Result<(), Refusal> {
    if reason.trim().is_empty() || !crate::model::text::is_free_text(reason, MAX_REASON) {
        return Err(Refusal::invalid(
            "reason",
            Code::InvalidReason.as_str(),
            "1 to 1000 printable characters (line breaks allowed), none of them invisible: the document the correction rests on",
        ));
    }
    Ok(())
}

/// Claim a priority after registration.
#[derive(Debug, Clone)]
pub struct ClaimLate {
    /// Application.
    pub application_id: ApplicationId,
    /// The category, raw.
    pub category: String,
    /// The documents presented with it (the benefit proof among them).
    pub documents: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl ClaimLate {
    /// The `priority_claimed` event.
    ///
    /// # Errors
    /// Unknown application, one not queued, a claim pending or verified, an unknown
    /// category, or no benefit proof.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (_, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if app.status != AppStatus::Queued {
            return Err(Refusal::conflict(
                Code::ApplicationNotQueued.as_str(),
                format!(
                    "application {id} is {}: a priority counts for a child waiting in the queue",
                    app.status.as_str()
                ),
            ));
        }
        if matches!(app.claim, ClaimStatus::Pending | ClaimStatus::Verified) {
            return Err(Refusal::conflict(
                Code::ClaimExists.as_str(),
                format!(
                    "application {id} has a claim {} already",
                    app.claim.as_str()
                ),
            ));
        }
        let mut grounds = Vec::new();
        let category = check_category(state, Some(&self.category), &mut grounds);
        if !grounds.is_empty() {
            return Err(Refusal::grounds(grounds));
        }
        let Some(category) = category else {
            return Err(Refusal::invalid(
                "category",
                "unknown_category",
                "name a category of the policy in force",
            ));
        };
        let proof = Document::BenefitProof.as_str();
        if !self.documents.iter().any(|d| d == proof) {
            return Err(Refusal::invalid(
                "documents",
                Code::BenefitProofMissing.as_str(),
                format!("must hold `{proof}`: the proof of the benefit claimed"),
            ));
        }
        Ok(vec![Event::PriorityClaimed {
            application_id: self.application_id,
            category,
            at: self.at,
        }])
    }
}

/// Applies `application_corrected` and `priority_claimed` (other events are no business of
/// theirs).
pub(crate) fn apply_event(state: &mut State, seq: Seq, event: &Event) -> Result<(), Mismatch> {
    match event {
        Event::ApplicationCorrected(c) => {
            let a = state.known_app(&c.application_id)?;
            let district = match &c.district {
                Some((d, kindergartens)) => Some((
                    state.district_index(d).ok_or_else(|| Mismatch::Unknown {
                        what: "district",
                        id: d.to_string(),
                    })?,
                    state.known_kindergartens(kindergartens)?,
                )),
                None => None,
            };
            let stamp = Stamp {
                seq,
                cause: Cause::Corrected,
            };
            state.correct(a, c, district, stamp)
        }
        Event::PriorityClaimed {
            application_id,
            category,
            at,
        } => {
            let a = state.known_app(application_id)?;
            let stamp = Stamp {
                seq,
                cause: Cause::PriorityClaimed,
            };
            state.claim_late(a, category, *at, stamp)
        }
        _ => Ok(()),
    }
}
