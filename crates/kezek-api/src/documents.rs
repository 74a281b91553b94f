//! Result documents (DOMAIN.md): a queue notification, a referral or a reasoned refusal,
//! each signed by the authority. A document is canonical JSON — compact, keys sorted —
//! of `{"application_id","body","id","issued_at","kind"}`; the signature covers exactly
//! those bytes, and the stored document adds `signature` and `key_id`.

use crate::authority::Authority;
use crate::views;
use jiff::Timestamp;
use kezek_core::{Event, Outcome, State};
use serde_json::{json, Value};

/// The id of the document a journaled registration or refusal produced.
#[must_use]
pub fn result_id(seq: kezek_core::types::Seq) -> String {
    format!("doc-{seq}")
}

/// The id of a referral's document.
#[must_use]
pub fn referral_id(referral: &str) -> String {
    format!("doc-{referral}")
}

/// The bytes a document's signature covers.
#[must_use]
pub fn signed_bytes(doc: &Value) -> Vec<u8> {
    let mut unsigned = doc.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("signature");
        m.remove("key_id");
    }
    serde_json::to_vec(&unsigned).unwrap_or_default()
}

/// A document decided from the state (under its lock) and signed afterwards, so the
/// signatures (about 20 µs each) are made without holding the lock, on every core.
#[derive(Debug, Clone)]
pub struct Draft {
    id: String,
    kind: &'static str,
    issued_at: Timestamp,
    application_id: String,
    body: Value,
}

impl Draft {
    /// The document signed, as stored: (id, JSON bytes).
    #[must_use]
    pub fn sign(&self, authority: &Authority) -> (String, Vec<u8>) {
        let mut doc = json!({"id": self.id, "kind": self.kind, "issued_at": self.issued_at, "application_id": self.application_id, "body": &self.body});
        let signature = authority.sign(&signed_bytes(&doc));
        doc["signature"] = json!(signature);
        doc["key_id"] = json!(authority.key_id());
        (
            self.id.clone(),
            serde_json::to_vec(&doc).unwrap_or_default(),
        )
    }
}

/// Drafts below this many are signed on the calling thread.
const PARALLEL_FROM: usize = 64;

/// Signs drafts in order; a round's thousands of referrals are shared among the cores.
#[must_use]
pub fn sign_all(drafts: Vec<Draft>, authority: &Authority) -> Vec<(String, Vec<u8>)> {
    // available_parallelism reads the cgroup files each time: ask once.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads = *THREADS
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if drafts.len() < PARALLEL_FROM || threads < 2 {
        return drafts.iter().map(|d| d.sign(authority)).collect();
    }
    let chunk = drafts.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = drafts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|d| d.sign(authority)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn draft(
    id: String,
    kind: &'static str,
    issued_at: Timestamp,
    application_id: &str,
    body: Value,
) -> Draft {
    Draft {
        id,
        kind,
        issued_at,
        application_id: application_id.to_owned(),
        body,
    }
}

/// The documents an outcome issues, unsigned.
#[must_use]
pub fn drafts(state: &State, outcome: &Outcome, now: Timestamp) -> Vec<Draft> {
    let mut docs = Vec::new();
    for (seq, event) in outcome {
        match event {
            Event::Registered(r) => {
                let Some(a) = state.application_index(&r.application_id) else {
                    continue;
                };
                let app = state.application(a);
                let body = json!({
                    "child_iin": r.child.iin,
                    "child_name": r.child.name,
                    "district": r.district,
                    "language": r.language.as_str(),
                    "preferences": r.preferences,
                    "registered_at": r.registered_at,
                    "tier": state.policy().tiers[app.tier].name,
                    "priority_status": r.claim.as_str(),
                    "queue_number": state.queue_number(a),
                    "positions": views::positions(state, a, views::academic_year(state, now), false),
                });
                docs.push(draft(
                    result_id(*seq),
                    "queue_notification",
                    now,
                    r.application_id.as_str(),
                    body,
                ));
            }
            Event::RegistrationRefused {
                application_id,
                grounds,
                at,
            } => {
                let body = json!({"grounds": grounds, "refused_at": at});
                docs.push(draft(
                    result_id(*seq),
                    "refusal",
                    now,
                    application_id.as_str(),
                    body,
                ));
            }
            Event::RoundRun(round) => {
                for r in &round.referrals {
                    let body = json!({
                        "referral_id": r.referral_id,
                        "round_id": round.round_id,
                        "district": round.district,
                        "kindergarten_id": r.kindergarten_id,
                        "group_id": r.group_id,
                        "confirm_by": r.expires_at,
                    });
                    docs.push(draft(
                        referral_id(r.referral_id.as_str()),
                        "referral",
                        now,
                        r.application_id.as_str(),
                        body,
                    ));
                }
            }
            _ => {}
        }
    }
    docs
}

/// `GET /v1/documents/{id}`: the portal (acting for the citizen), staff of the
/// application's district, admin.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<std::sync::Arc<crate::service::Service>> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(read))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Format {
    #[serde(default)]
    lang: Option<String>,
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "portal", summary = "A signed result document; `{id}.pdf` gives it as a PDF", params(("id" = String, Path, description = "document id, or document id + .pdf"), ("lang" = Option<String>, Query, description = "kk (default) or ru, for the PDF")), responses((status = 200, description = "success"), (status = 404, description = "not found"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn read(
    axum::extract::State(svc): axum::extract::State<std::sync::Arc<crate::service::Service>>,
    caller: crate::auth::Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(format): axum::extract::Query<Format>,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use crate::auth::Role;
    use crate::error::ApiError;
    use axum::response::IntoResponse;
    caller.require(&[Role::Portal, Role::Staff])?;
    let (id, pdf) = match id.strip_suffix(".pdf") {
        Some(stem) => (stem.to_owned(), true),
        None => (id, false),
    };
    let lang = match format.lang.as_deref() {
        None | Some("kk") => crate::pdf::Lang::Kk,
        Some("ru") => crate::pdf::Lang::Ru,
        Some(_) => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "lang must be kk or ru",
            ))
        }
    };
    let bytes = svc
        .journal()
        .document(&id)
        .map_err(|_| ApiError::unavailable())?
        .ok_or_else(|| ApiError::not_found("document", &id))?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| ApiError::unavailable())?;
    if caller.role == Role::Staff {
        let app = doc["application_id"].as_str().unwrap_or_default();
        let district = svc.read(|s| {
            kezek_core::ids::ApplicationId::parse(app)
                .ok()
                .and_then(|a| s.application_index(&a))
                .map(|a| {
                    s.districts()[s.application(a).district as usize]
                        .id
                        .to_string()
                })
        });
        caller.require_scope(Role::Staff, district.as_deref().unwrap_or(""))?;
    }
    if pdf {
        return Ok((
            [(axum::http::header::CONTENT_TYPE, "application/pdf")],
            crate::pdf::render(&doc, lang),
        )
            .into_response());
    }
    Ok(axum::Json(doc).into_response())
}
