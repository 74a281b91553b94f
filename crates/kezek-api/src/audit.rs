//! The auditor's view of the journal (role `auditor`): events in order with their hash chain.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::service::Service;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use kezek_core::types::Seq;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The audit routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(journal))
        .routes(routes!(head))
        .routes(routes!(keys))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/journal", tag = "audit", summary = "Journal events with their hash chain", params(("after" = Option<u64>, Query, description = "last seq seen"), ("limit" = Option<usize>, Query, description = "1 to 1000")), responses((status = 200, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn journal(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Query(q): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Auditor])?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "limit must be 1 to 1000",
        ));
    }
    let records = svc
        .journal()
        .read(Seq::new(q.after), limit)
        .map_err(|_| ApiError::unavailable())?;
    let events: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "seq": r.seq.get(),
                "at": r.at,
                "actor": r.actor,
                "kind": r.kind,
                "payload": serde_json::from_slice::<Value>(&r.payload).unwrap_or(Value::Null),
                "prev_hash": hex::encode(r.prev_hash),
                "hash": hex::encode(r.hash),
            })
        })
        .collect();
    let next = records.last().map(|r| r.seq.get());
    Ok(Json(json!({ "events": events, "next_after": next })))
}

/// The bytes the head's signature covers: `{"hash":…,"seq":…}` (keys sorted, no spaces).
#[must_use]
pub fn head_bytes(seq: u64, hash: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"hash": hash, "seq": seq})).unwrap_or_default()
}

#[utoipa::path(get, path = "/v1/journal/head", tag = "audit", summary = "The signed head of the journal", responses((status = 200, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn head(State(svc): State<Arc<Service>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Auditor])?;
    let h = svc.journal().head().map_err(|_| ApiError::unavailable())?;
    let hash = hex::encode(h.hash);
    let signature = svc.authority().sign(&head_bytes(h.seq.get(), &hash));
    Ok(Json(
        json!({"seq": h.seq.get(), "hash": hash, "signature": signature, "key_id": svc.authority().key_id()}),
    ))
}

/// The authority's public keys (no auth: anyone may check a document).
#[utoipa::path(get, path = "/v1/keys", tag = "audit", summary = "The authority's public keys", responses((status = 200, description = "success")))]
async fn keys(State(svc): State<Arc<Service>>) -> Json<Value> {
    let a = svc.authority();
    Json(
        json!({"keys": [{"key_id": a.key_id(), "algorithm": "ed25519", "public_key": a.public_key()}]}),
    )
}
