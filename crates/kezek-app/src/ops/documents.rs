//! Reading a stored document: as stored (JSON) or printed as a PDF in Kazakh or Russian.

use crate::access::{district_of_application, Auth, PortalOrStaff};
use crate::app::App;
use crate::error::AppError;
use crate::pdf::{render, Lang};
use kezek_core::model::ApplicationId;

/// How a document is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// As stored.
    Json,
    /// Printed in a language.
    Pdf(Lang),
}

impl Format {
    /// A PDF in `lang` (`kk` by default, or `ru`).
    ///
    /// # Errors
    /// Another language.
    pub fn pdf(lang: Option<&str>) -> Result<Self, AppError> {
        match lang {
            None | Some("kk") => Ok(Self::Pdf(Lang::Kk)),
            Some("ru") => Ok(Self::Pdf(Lang::Ru)),
            Some(_) => Err(AppError::invalid(
                "lang",
                "invalid_lang",
                "must be kk or ru",
            )),
        }
    }
}

/// Document `id` for the portal (acting for the citizen), staff of the application's
/// district, admin: its bytes, and whether they are a PDF.
///
/// # Errors
/// Unknown document, out of scope, or the store failed.
pub async fn document(
    app: &App,
    auth: &Auth<PortalOrStaff>,
    id: &str,
    format: Format,
) -> Result<(Vec<u8>, bool), AppError> {
    let key = id.to_owned();
    let bytes = app
        .store(move |s| s.document(&key))
        .await?
        .ok_or_else(|| AppError::not_found("document", id))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| AppError::not_found("document", id))?;
    let application = crate::documents::field(&doc, "application_id").unwrap_or_default();
    let district = app.peek(|s| {
        ApplicationId::parse(application)
            .ok()
            .and_then(|a| s.application_index(&a))
            .map(|a| district_of_application(s, a).to_owned())
    })?;
    auth.caller()
        .staff_scope(district.as_deref().unwrap_or(""))?;
    Ok(match format {
        Format::Json => (bytes, false),
        Format::Pdf(lang) => (render(&doc, lang), true),
    })
}
