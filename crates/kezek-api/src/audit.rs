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
    Router::new().route("/v1/journal", get(journal))
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
