//! Proof files: scans and photos of documents a family (through the portal), a counter clerk
//! or staff attach to an application — a priority's proof, a correction's document. The
//! bytes are read once, off the async workers (type by signature, size, SHA-256); they are
//! stored in the same commit as the journal record that holds their hash, and served only
//! to the staff of the application's district, checked against that hash each time.

use crate::access::{district_of_application, Auth, FileReaders, Filer};
use crate::app::write::{Idempotency, Written};
use crate::error::{AppError, Unavailable};
use crate::views::FileView;
use crate::App;
use kezek_core::command::file::{received, sha256_hex, AttachFile};
use kezek_core::model::{ApplicationId, FileType};
use kezek_store::StoreError;
use std::sync::Arc;

/// A proof file as the staff's worklist and the application's page list it: what they can
/// open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FileEntry {
    /// Its id.
    pub file_id: String,
    /// `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// Its length in bytes.
    pub size: u64,
    /// The document it copies, as the sender named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// Application `a`'s proof files, in the order attached.
#[must_use]
pub fn entries(state: &kezek_core::State, a: kezek_core::model::AppIx) -> Vec<FileEntry> {
    state
        .files_of(a)
        .map(|f| FileEntry {
            file_id: f.file_id.clone(),
            content_type: f.content_type.as_str(),
            size: f.size,
            document: f.document.clone(),
        })
        .collect()
}

/// A proof file as sent: its declared type, the document it copies, its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The type the sender named (`Content-Type`).
    pub declared: FileType,
    /// The document it is a copy of (`?document=`), if named.
    pub document: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl App {
    /// Attaches a proof file to an application (201 with what it is): the portal for the
    /// family, clerks and staff of its district.
    ///
    /// # Errors
    /// Unknown or inactive application, out of scope, bytes that are empty, too large, not a
    /// PDF, JPEG or PNG or not the declared type, a document code that is not an
    /// application's, the file attached already, ten files already, or the service
    /// unavailable.
    pub async fn attach_file(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        id: &str,
        upload: Upload,
    ) -> Result<Written, AppError> {
        let application_id =
            ApplicationId::parse(id).map_err(|_| AppError::not_found("application", id))?;
        let subject = application_id.clone();
        let Upload {
            declared,
            document,
            bytes,
        } = upload;
        // Hashing ten megabytes takes tens of milliseconds: not on an async worker, and
        // never under the state lock.
        let (file, bytes) = tokio::task::spawn_blocking(move || {
            received(subject.as_str(), declared, &bytes, document).map(|f| (f, bytes))
        })
        .await
        .map_err(|_| {
            AppError::Unavailable(Unavailable::Poisoned(Arc::from("reading a file panicked")))
        })??;
        let caller = auth.caller().clone();
        let stored = vec![(file.file_id.clone(), bytes)];
        self.write_stored(
            auth.caller(),
            idem,
            stored,
            move |state, at| {
                let a = state
                    .application_index(&application_id)
                    .ok_or_else(|| AppError::not_found("application", application_id.as_str()))?;
                caller.district_scope(district_of_application(state, a))?;
                Ok(state.decide(
                    AttachFile {
                        application_id,
                        file,
                        at,
                    }
                    .into(),
                )?)
            },
            move |_, outcome, _| {
                let attached = outcome.iter().find_map(|(_, e)| match e {
                    kezek_core::Event::FileAttached(f) => Some(&f.file),
                    _ => None,
                });
                match attached {
                    Some(f) => Written::json(201, &FileView::from(f)),
                    None => Written::json(200, &serde_json::json!({})),
                }
            },
        )
        .await
    }

    /// Proof file `file_id` for the staff of its application's district: its bytes and
    /// type, once they are checked against the hash the journal holds.
    ///
    /// # Errors
    /// Unknown file, out of scope, bytes missing or not those the journal describes (the
    /// store was changed behind Kezek's back: 503, and `kezek verify` names the file), or
    /// the store failed.
    pub async fn file(
        &self,
        auth: &Auth<FileReaders>,
        file_id: &str,
    ) -> Result<(FileType, Vec<u8>), AppError> {
        let caller = auth.caller().clone();
        let (content_type, sha256) = self
            .read(|state| {
                let (a, f) = state
                    .file(file_id)
                    .ok_or_else(|| AppError::not_found("file", file_id))?;
                caller.district_scope(district_of_application(state, a))?;
                Ok::<_, AppError>((f.content_type, f.sha256.clone()))
            })
            .await??;
        let key = file_id.to_owned();
        let bytes = self
            .store(move |s| {
                let bytes = s.file(&key)?;
                match bytes {
                    Some(b) if sha256_hex(&b) == sha256 => Ok(b),
                    _ => Err(StoreError::Integrity(format!(
                        "proof file {key} is not the one the journal describes"
                    ))),
                }
            })
            .await?;
        Ok((content_type, bytes))
    }
}
