//! The auditor's view of the journal (role `auditor`): events in order with their hash chain.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::service::Service;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use kezek_core::types::Seq;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The audit routes.
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/v1/journal", get(journal))
        .route("/v1/journal/head", get(head))
        .route("/v1/keys", get(keys))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<usize>,
}

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
async fn keys(State(svc): State<Arc<Service>>) -> Json<Value> {
    let a = svc.authority();
    Json(
        json!({"keys": [{"key_id": a.key_id(), "algorithm": "ed25519", "public_key": a.public_key()}]}),
    )
}
