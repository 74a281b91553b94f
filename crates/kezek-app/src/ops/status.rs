//! What a family sees of its application with no key (the console's `/status`): the
//! application number (any case) and the child's IIN together are the proof — either alone
//! finds nothing — and what is shown is that application's: its status and the next step
//! with its deadline, queue number and places, the referral, how the number changed since
//! registration and why (the latest steps with when each was journaled), and every document
//! it was given, by kind and date, with the decisions' reasons and appeal routes. A refused
//! application (one filed at a counter without its documents, say) is found the same way,
//! by its number and the IIN its refusal names. Lookups are limited by the page.

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
    /// The estimate of when a seat may come (`GET /v1/applications/{id}/forecast`), as
    /// JSON; `null` unless queued.
    pub forecast: Value,
    /// The request to move the enrolled child (`TransferView`) and the exchange it is
    /// offered (`ExchangeView`), as JSON; `null` when none.
    pub transfer: (Value, Value),
    /// The kindergartens chosen, best first.
    pub kindergartens: Vec<Named>,
    /// The referral, if any (`ReferralView`), as JSON.
    pub referral: Option<Value>,
    /// The queue number at registration, and the change since by cause.
    pub history: Option<History>,
    /// The latest steps that moved the number, newest first.
    pub steps: Vec<Step>,
    /// Every document it was given, oldest first.
    pub documents: Vec<DocumentLine>,
    /// What the family does next.
    pub next: NextStep,
    /// The grounds of a refusal (codes), and the documents it lacked (codes).
    pub refused: Option<(Vec<String>, Vec<String>)>,
    /// The authority's offset from UTC, in which times are shown.
    pub offset: jiff::tz::Offset,
    /// The child's pseudonym in the public journal, once it is published: how the family
    /// finds itself there.
    pub pseudonym: Option<String>,
    /// For a queued child: the last round that gave seats of its queue at kindergartens it
    /// listed, and the cut-off there (its certificate's).
    pub last_round: Option<LastRound>,
}

/// The cut-offs a queued child compares its number with: from the last round that gave
/// seats of its queue at kindergartens it listed.
#[derive(Debug, Clone)]
pub struct LastRound {
    /// The round.
    pub round_id: String,
    /// When it ran.
    pub ran_at: Timestamp,
    /// Per group of a kindergarten the child listed that took children of its queue: the
    /// kindergarten's id, the group, how many were referred and the queue number (then) of
    /// the last of them.
    pub cutoffs: Vec<(String, String, u32, u32)>,
}

/// The last round of `app`'s district that referred children of its queue to kindergartens
/// it listed.
fn last_round(
    state: &kezek_core::State,
    app: &kezek_core::state::Application,
) -> Option<LastRound> {
    let district = state.district(app.district)?.id.clone();
    let listed: Vec<String> = app
        .preferences
        .iter()
        .filter_map(|k| Some(state.kindergarten(*k)?.id.to_string()))
        .collect();
    state.round_certificates().iter().rev().find_map(|c| {
        if c.district != district {
            return None;
        }
        let cutoffs: Vec<(String, String, u32, u32)> = listed
            .iter()
            .flat_map(|k| {
                c.groups.iter().filter(move |g| {
                    g.kindergarten_id.as_str() == k
                        && (g.cohort, g.language) == (app.cohort, app.language)
                })
            })
            .map(|g| {
                (
                    g.kindergarten_id.to_string(),
                    g.group_id.to_string(),
                    g.referred,
                    g.cutoff,
                )
            })
            .collect();
        (!cutoffs.is_empty()).then(|| LastRound {
            round_id: c.round_id.to_string(),
            ran_at: c.ran_at,
            cutoffs,
        })
    })
}

/// A document a family was given, as its notification told it.
#[derive(Debug, Clone)]
pub struct DocumentLine {
    /// Its id.
    pub id: String,
    /// What the notification was (`queue_notification`, `refusal`, `referral_issued`,
    /// `priority_claim_decided`, `enrolled`, `not_admitted`).
    pub kind: String,
    /// When.
    pub at: Option<Timestamp>,
    /// The decision (`verified`, `rejected`), where there is one.
    pub decision: Option<String>,
    /// Its reason or grounds, as written.
    pub reason: Option<String>,
    /// The refusal's grounds (codes).
    pub grounds: Vec<String>,
    /// Where to appeal it (`{"kk","ru"}` or `null`: the district's education department),
    /// and by when.
    pub appeal: Option<(Value, Option<Timestamp>)>,
}

/// What a family does next, in one sentence (`what` picks it).
#[derive(Debug, Clone)]
pub struct NextStep {
    /// `wait`, `confirm`, `come`, `enrolled`, `left`, `closed`, `refused`.
    pub what: &'static str,
    /// By when, as the documents word it.
    pub deadline: Option<Timestamp>,
    /// The referral to act on (`confirm`) and the link's time.
    pub act: Option<(String, Timestamp)>,
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
        // Numbers are printed in capitals; families type them in any case.
        let application_id = application_id.trim().to_uppercase();
        let found = {
            let id = application_id.clone();
            let iin = child_iin.to_owned();
            self.read(move |state| find(state, &id, &iin, now)).await?
        };
        let Some(mut found) = found else {
            return self.refused_status(&application_id, child_iin).await;
        };
        self.complete_status(&mut found).await?;
        Ok(Some(found))
    }

    /// Reads what a status needs from the store: its documents (what the family was told)
    /// and when each step that moved the number was journaled.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn complete_status(&self, found: &mut FamilyStatus) -> Result<(), AppError> {
        found.documents = self.documents_told(&found.id).await?;
        let id = found.id.clone();
        let published = self
            .read(move |state| {
                let secret = state.publication_secret()?.to_owned();
                let (_, app) = state.application_by_id(&id.parse().ok()?)?;
                Some((secret, app.child_iin))
            })
            .await?;
        found.pseudonym =
            published.and_then(|(secret, child)| self.personal.pseudonym(&secret, &child));
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
        Ok(())
    }
}

/// Notifications of one application read for its page, at most.
const TOLD_AT_MOST: usize = 200;

impl App {
    /// The documents application `id` was given, from what it was told.
    async fn documents_told(&self, id: &str) -> Result<Vec<DocumentLine>, AppError> {
        let key = id.to_owned();
        let told = self
            .store(move |s| s.notifications_of(&key, TOLD_AT_MOST))
            .await?;
        Ok(told.iter().filter_map(document_line).collect())
    }

    /// Refused application `id`, if the IIN its refusal names is `child_iin`.
    async fn refused_status(
        &self,
        id: &str,
        child_iin: &str,
    ) -> Result<Option<FamilyStatus>, AppError> {
        let Ok(parsed) = ApplicationId::parse(id) else {
            return Ok(None);
        };
        let Ok(iin) = Iin::parse(child_iin.trim()) else {
            return Ok(None);
        };
        let known = self.peek(|s| {
            s.refusal(&parsed)
                .map(|r| (r.at, s.policy().calendar.offset))
        })?;
        let Some((at, offset)) = known else {
            return Ok(None);
        };
        let documents = self.documents_told(id).await?;
        let Some(refusal) = documents.iter().find(|d| d.kind == "refusal") else {
            return Ok(None);
        };
        let doc_id = refusal.id.clone();
        let Some(doc) = self.store(move |s| s.document(&doc_id)).await? else {
            return Ok(None);
        };
        let doc: Value = serde_json::from_slice(&doc).unwrap_or_default();
        let null = Value::Null;
        let body = doc.get("body").unwrap_or(&null);
        let field = |k: &str| body.get(k).unwrap_or(&null);
        if field("child_iin").as_str() != Some(iin.to_string().as_str()) {
            return Ok(None);
        }
        let codes = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| {
                    g.get("code")
                        .and_then(Value::as_str)
                        .or(g.as_str())
                        .map(str::to_owned)
                })
                .collect()
        };
        Ok(Some(FamilyStatus {
            id: id.to_owned(),
            status: "refused",
            tier: String::new(),
            registered_at: at,
            position: Value::Null,
            forecast: Value::Null,
            transfer: (Value::Null, Value::Null),
            kindergartens: Vec::new(),
            referral: None,
            history: None,
            steps: Vec::new(),
            next: NextStep {
                what: "refused",
                deadline: None,
                act: None,
            },
            refused: Some((codes(field("grounds")), codes(field("missing")))),
            documents,
            offset,
            pseudonym: None,
            last_round: None,
        }))
    }
}

/// The document a notification told of, if it told of one.
fn document_line(n: &kezek_store::Notification) -> Option<DocumentLine> {
    let body: Value = serde_json::from_slice(&n.body).ok()?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = text("document_id")?;
    let appeal = body.get("appeal").filter(|a| a.is_object()).map(|a| {
        (
            a.get("to").cloned().unwrap_or_default(),
            a.get("by")
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok()),
        )
    });
    let grounds = match body.get("grounds") {
        Some(Value::Array(g)) => g
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    Some(DocumentLine {
        id,
        kind: n.kind.clone(),
        at: text("at").and_then(|t| t.parse().ok()),
        decision: text("decision"),
        reason: text("reason").or_else(|| text("grounds")),
        grounds,
        appeal,
    })
}

/// What a family whose application is in `status`, with `referral` (a `ReferralView`), does
/// next.
fn next_step(status: &str, referral: Option<&Value>) -> NextStep {
    let deadline = referral
        .and_then(|r| r["expires_at"].as_str())
        .and_then(|t| t.parse::<Timestamp>().ok());
    let referral_status = referral.and_then(|r| r["status"].as_str());
    let (what, deadline, act) = match (status, referral_status) {
        ("referred", Some("issued")) => (
            "confirm",
            deadline,
            referral
                .and_then(|r| r["referral_id"].as_str())
                .zip(deadline)
                .map(|(r, d)| (r.to_owned(), d)),
        ),
        ("referred", Some("confirmed")) => ("come", deadline, None),
        ("enrolled", _) => ("enrolled", None, None),
        ("left", _) => ("left", None, None),
        ("queued", _) => ("wait", None, None),
        _ => ("closed", None, None),
    };
    NextStep {
        what,
        deadline,
        act,
    }
}

fn find(
    state: &kezek_core::State,
    raw_id: &str,
    raw_iin: &str,
    now: Timestamp,
) -> Option<FamilyStatus> {
    let id = ApplicationId::parse(raw_id).ok()?;
    let iin = Iin::parse(raw_iin.trim()).ok()?;
    let a = state.application_index(&id)?;
    let app = state.application(a)?;
    if app.child_iin != iin {
        return None;
    }
    status_of(state, a, now)
}

/// What application `a` is as its family sees it (its documents and the times of its steps
/// are read from the store afterwards: [`App::complete_status`]).
pub(crate) fn status_of(
    state: &kezek_core::State,
    a: kezek_core::model::AppIx,
    now: Timestamp,
) -> Option<FamilyStatus> {
    let app = state.application(a)?;
    // The change since registration is read below, with its steps: one walk of the log.
    let position = serde_json::to_value(views::position(state, a, now, None)?).unwrap_or_default();
    let forecast = if app.status == kezek_core::model::AppStatus::Queued {
        serde_json::to_value(views::forecast(state, a, now)).unwrap_or_default()
    } else {
        Value::Null
    };
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
    let next = next_step(app.status.as_str(), referral.as_ref());
    Some(FamilyStatus {
        id: app.id.to_string(),
        status: app.status.as_str(),
        tier: views::tier_name(state, app.tier).to_owned(),
        registered_at: app.registered_at,
        position,
        forecast,
        transfer: (
            serde_json::to_value(views::transfer(state, a)).unwrap_or_default(),
            serde_json::to_value(views::exchange(state, a)).unwrap_or_default(),
        ),
        kindergartens,
        referral,
        history,
        steps,
        documents: Vec::new(),
        next,
        refused: None,
        offset: state.policy().calendar.offset,
        // Made by `App::complete_status` (a journal that seals names the child by its key).
        pseudonym: None,
        last_round: (app.status == kezek_core::model::AppStatus::Queued)
            .then(|| last_round(state, app))
            .flatten(),
    })
}
