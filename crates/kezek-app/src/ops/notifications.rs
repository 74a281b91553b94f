//! The portal's pull of notifications (`GET /v1/notifications?after=&limit=`): the same ids
//! and bodies the push delivers, read from the outbox (committed with their events, so only
//! what is durable).

use crate::access::{Auth, Portal};
use crate::app::App;
use crate::error::AppError;
use serde::Serialize;

/// A page of notifications.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    /// The notifications, by id: each `{"id","kind","application_id","document_id","at",…}`.
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<serde_json::Value>,
    /// The `after` of the next page (`null` at the end).
    pub next_after: Option<u64>,
}

/// A stored notification as the portal receives it: its body with its id.
#[must_use]
pub fn body(n: &kezek_store::Notification) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&n.body).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = v.as_object_mut() {
        map.insert("id".into(), n.id.into());
    }
    v
}

/// Up to `limit` (1 to 1000) notifications after id `after`.
///
/// # Errors
/// An `after` or `limit` out of range, or the store failed.
pub async fn list(
    app: &App,
    _: &Auth<Portal>,
    after: u64,
    limit: Option<usize>,
) -> Result<NotificationPage, AppError> {
    let limit = super::page_bounds(after, limit)?;
    let page = app.store(move |s| s.notifications(after, limit)).await?;
    Ok(NotificationPage {
        next_after: page.last().map(|n| n.id),
        notifications: page.iter().map(body).collect(),
    })
}
