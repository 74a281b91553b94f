//! The whole application as staff and counter clerks of its district see it, found by its
//! number or the child's IIN whatever its status (queued, referred, admitted, closed): the
//! child, the applicant and representative, the claim with the documents declared, where it
//! stands and the next step, the history with causes, the referral, every document, and what
//! the caller may do with it now. Auditors see every district's.

use crate::access::{Auth, QueueReaders, Role};
use crate::error::AppError;
use crate::ops::status::{status_of, FamilyStatus};
use crate::App;
use kezek_core::model::{ApplicationId, ClaimStatus, Document, Iin};

/// An application, whole.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// What the family is shown of it (status, next step, places, history, documents).
    pub status: FamilyStatus,
    /// The child's name.
    pub child_name: String,
    /// The child's IIN.
    pub child_iin: String,
    /// The child's birth date.
    pub birth_date: jiff::civil::Date,
    /// The applicant's name and IIN (none for an imported application).
    pub applicant: Option<(String, String)>,
    /// The representative acting for the applicant: IIN and power of attorney.
    pub representative: Option<(String, String)>,
    /// The district (id).
    pub district: String,
    /// The language of instruction (code).
    pub language: &'static str,
    /// The channel it was filed on (code).
    pub channel: &'static str,
    /// The priority category claimed (code) and where its proof stands (code).
    pub claim: Option<(String, &'static str)>,
    /// The documents declared at filing (codes).
    pub documents_declared: Vec<&'static str>,
    /// What the caller may do with it now (`decide_claim`; `transfer` for an enrolled
    /// child, `withdraw_transfer` for a request without a referral).
    pub actions: Vec<&'static str>,
    /// The family's request to move the enrolled child, if any.
    pub transfer: Option<TransferLine>,
    /// The kindergartens of the district a transfer may ask for (id, name), when the child
    /// is enrolled: every one but its own.
    pub transfer_choices: Vec<(String, String)>,
    /// The categories a late claim may name (with the `claim` action).
    pub categories: Vec<String>,
    /// The districts a correction may move the application to (with `correct_district`).
    pub districts: Vec<String>,
    /// The proof files attached (what they are; staff of the district open them).
    pub files: Vec<crate::views::FileEntry>,
    /// A joint application: the sibling's application it goes together with.
    pub together_with: Option<String>,
    /// The kindergartens where the child goes ahead of its tier, a brother or sister being
    /// enrolled there (only when the policy gives siblings priority).
    pub sibling_priority_at: Vec<String>,
}

/// A transfer request as the case file shows it.
#[derive(Debug, Clone)]
pub struct TransferLine {
    /// The kindergartens asked for (id, name), best first.
    pub preferences: Vec<(String, String)>,
    /// When it was first asked for.
    pub requested_at: jiff::Timestamp,
    /// The referral a round issued for it: its id, kindergarten id and status.
    pub referral: Option<(String, String, &'static str)>,
    /// The exchange offered, while open: its id, the kindergarten the child would move to,
    /// the partners' kindergartens, the deadline, and whether this family confirmed.
    pub exchange: Option<(String, String, Vec<String>, jiff::Timestamp, bool)>,
}

impl App {
    /// The application `needle` names — its number, or a child's IIN (the child's active
    /// application, else its latest) — if the caller may see it: staff and clerks of its
    /// district, auditors. `None` for anything else, alike.
    ///
    /// # Errors
    /// The store failed, or the service is unavailable.
    pub async fn case_file(
        &self,
        auth: &Auth<QueueReaders>,
        needle: &str,
    ) -> Result<Option<CaseFile>, AppError> {
        let caller = auth.caller().clone();
        let needle = needle.trim().to_uppercase();
        let now = self.now();
        let ask_for_transfer = matches!(caller.role, Role::Staff | Role::Clerk | Role::Admin);
        let found = self
            .read(move |state| {
                let a = ApplicationId::parse(&needle)
                    .ok()
                    .and_then(|id| state.application_index(&id))
                    .or_else(|| {
                        let iin = Iin::parse(&needle).ok()?;
                        state
                            .active_application_of(&iin)
                            .or_else(|| state.latest_application_of(&iin))
                    })?;
                let app = state.application(a)?;
                let district = crate::access::district_of_application(state, a).to_owned();
                if matches!(caller.role, Role::Staff | Role::Clerk)
                    && !caller.scope.contains(&district)
                {
                    return None;
                }
                let claim = state
                    .category_of(app)
                    .map(|c| (c.to_string(), app.claim.as_str()));
                let documents_declared = [
                    Document::ApplicationForm,
                    Document::ApplicantId,
                    Document::BenefitProof,
                    Document::AddressProof,
                    Document::BirthCertificate,
                ]
                .into_iter()
                .filter(|d| app.documents & (1 << (*d as u8)) != 0)
                .map(Document::as_str)
                .collect();
                let mut actions = if caller.role == Role::Staff && app.claim == ClaimStatus::Pending
                {
                    vec!["decide_claim"]
                } else {
                    Vec::new()
                };
                let (transfer, transfer_choices, more) = transfer_of(state, a, ask_for_transfer);
                actions.extend(more);
                let (more, categories, districts) = desk_of(state, a, caller.role);
                actions.extend(more);
                Some(CaseFile {
                    status: status_of(state, a, now)?,
                    child_name: app.child_name.to_string(),
                    child_iin: app.child_iin.to_string(),
                    birth_date: app.birth_date,
                    applicant: app
                        .applicant
                        .as_ref()
                        .map(|x| (x.name.to_string(), x.iin.to_string())),
                    representative: app.applicant.as_ref().and_then(|x| {
                        x.representative
                            .as_ref()
                            .map(|r| (r.iin.to_string(), r.power_of_attorney.clone()))
                    }),
                    district,
                    language: app.language.as_str(),
                    channel: app.channel.as_str(),
                    claim,
                    documents_declared,
                    actions,
                    transfer,
                    transfer_choices,
                    categories,
                    districts,
                    files: crate::views::file_entries(state, a),
                    together_with: state
                        .partner(a)
                        .and_then(|p| state.application(p))
                        .map(|p| p.id.to_string()),
                    sibling_priority_at: state
                        .sibling_priority_at(a)
                        .into_iter()
                        .filter_map(|k| state.kindergarten(k).map(|x| x.id.to_string()))
                        .collect(),
                })
            })
            .await?;
        let Some(mut file) = found else {
            return Ok(None);
        };
        self.complete_status(&mut file.status).await?;
        Ok(Some(file))
    }
}

/// Application `a`'s transfer request, the kindergartens a request may name, and what the
/// caller may do (`ask`: a clerk or staff, who file at the desk).
fn transfer_of(
    state: &kezek_core::State,
    a: kezek_core::model::AppIx,
    ask: bool,
) -> (
    Option<TransferLine>,
    Vec<(String, String)>,
    Vec<&'static str>,
) {
    let named = |k: kezek_core::model::KgIx| {
        state
            .kindergarten(k)
            .map(|x| (x.id.to_string(), x.name.clone()))
    };
    let transfer = state.transfer(a).map(|t| TransferLine {
        preferences: t.preferences.iter().filter_map(|k| named(*k)).collect(),
        requested_at: t.requested_at,
        referral: t.referral.and_then(|r| state.referral_at(r)).and_then(|r| {
            Some((
                r.id.to_string(),
                named(r.kindergarten)?.0,
                r.status.as_str(),
            ))
        }),
        exchange: crate::views::exchange(state, a).map(|x| {
            (
                x.exchange_id.to_string(),
                x.kindergarten_id.to_string(),
                x.partners.iter().map(ToString::to_string).collect(),
                x.confirm_by,
                x.confirmed,
            )
        }),
    });
    let current = state.place(a).map(|(k, _, _)| k);
    let open = transfer
        .as_ref()
        .is_some_and(|t| t.referral.is_some() || t.exchange.is_some());
    let district = state
        .application(a)
        .and_then(|x| state.district(x.district));
    let choices: Vec<_> = match (current, district) {
        (Some(k), Some(d)) if ask && !open => d
            .kindergartens
            .iter()
            .filter(|x| **x != k)
            .filter_map(|x| named(*x))
            .collect(),
        _ => Vec::new(),
    };
    let mut actions = Vec::new();
    if !choices.is_empty() {
        actions.push("transfer");
    }
    if ask && transfer.is_some() && !open {
        actions.push("withdraw_transfer");
    }
    let unconfirmed = transfer
        .as_ref()
        .and_then(|t| t.exchange.as_ref())
        .is_some_and(|x| !x.4);
    if ask && unconfirmed {
        actions.push("confirm_exchange");
    }
    (transfer, choices, actions)
}

/// What a clerk or staff may do at the desk with application `a` (`correct`,
/// `correct_district`, `claim`), the categories a late claim may name and the districts a
/// correction may move it to.
fn desk_of(
    state: &kezek_core::State,
    a: kezek_core::model::AppIx,
    role: Role,
) -> (Vec<&'static str>, Vec<String>, Vec<String>) {
    let mut actions = Vec::new();
    let Some(app) = state.application(a) else {
        return (actions, Vec::new(), Vec::new());
    };
    let desk = matches!(role, Role::Staff | Role::Clerk);
    if desk && app.status.is_active() {
        actions.push("correct");
        if state.files_of(a).count() < kezek_core::model::file::MAX_FILES {
            actions.push("attach_file");
        }
    }
    if role == Role::Staff {
        actions.push("open_files");
    }
    let queued = app.status == kezek_core::model::AppStatus::Queued;
    if desk && queued {
        actions.push("correct_district");
    }
    let open_claim = matches!(app.claim, ClaimStatus::Pending | ClaimStatus::Verified);
    if desk && queued && !open_claim {
        actions.push("claim");
    }
    let categories = state
        .policy()
        .tiers
        .iter()
        .flat_map(|t| &t.categories)
        .map(ToString::to_string)
        .collect();
    let districts = state
        .districts()
        .filter(|(d, _)| *d != app.district)
        .map(|(_, x)| x.id.to_string())
        .collect();
    (actions, categories, districts)
}
