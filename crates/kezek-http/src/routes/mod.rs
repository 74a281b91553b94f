//! The routes, one private module per audience, merged with their OpenAPI descriptions.

mod audit;
mod batches;
mod cases;
mod catalog;
mod complaints;
mod documents;
mod files;
mod kindergarten;
mod notifications;
mod officials;
mod operations;
mod portal;
mod public;
mod retention;
mod staff;
mod worklists;

use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

pub use documents::CheckPage;
pub(crate) use operations::Spec;

/// Every route with its OpenAPI description.
pub(crate) fn all() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .merge(portal::routes())
        .merge(staff::routes())
        .merge(worklists::routes())
        .merge(kindergarten::routes())
        .merge(audit::routes())
        .merge(documents::routes())
        .merge(files::routes())
        .merge(catalog::routes())
        .merge(notifications::routes())
        .merge(officials::routes())
        .merge(cases::routes())
        .merge(batches::routes())
        .merge(complaints::routes())
        .merge(operations::routes())
        .merge(public::routes())
        .merge(retention::routes())
}
