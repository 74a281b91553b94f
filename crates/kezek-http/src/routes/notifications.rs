//! The portal's pull of notifications (role `portal`), for portals that poll rather than
//! take the push of `kezek serve --notify-url`: the same ids and bodies.

use crate::error::ApiError;
use crate::extract::{Bearer, Page, Query};
use axum::extract::State;
use axum::Json;
use kezek_app::access::Portal;
use kezek_app::ops::notifications::NotificationPage;
use kezek_app::problem::Problem;
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The notification routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(list))
}

#[utoipa::path(get, path = "/v1/notifications", tag = "portal", summary = "Notifications for families, in order",
    params(("after" = Option<u64>, Query, description = "the last notification id seen"), ("limit" = Option<usize>, Query, description = "1 to 1000")),
    responses((status = 200, description = "a page of notifications", body = NotificationPage),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Portal>,
    Query(q): Query<Page>,
) -> Result<Json<NotificationPage>, ApiError> {
    Ok(Json(app.notifications(&auth, q.after, q.limit).await?))
}
