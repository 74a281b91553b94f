//! Proof files: scans and photos of documents a family (through the portal), a counter clerk
//! or staff attach to an application — a priority's proof, a correction's document — or to
//! a case of the department's other services. The bytes are read once, off the async
//! workers (type by signature, size, SHA-256); they are stored in the same commit as the
//! journal record that holds their hash, and served only to those who decide on them — the
//! staff of the application's district; the head, executor or staff who work on the case —
//! checked against that hash each time.

use crate::access::{district_of_application, Auth, CaseReaders, FileReaders, Filer, Role};
use crate::app::write::{Idempotency, Written};
use crate::error::{AppError, Unavailable};
use crate::views::FileView;
use crate::App;
use kezek_core::command::file::{received, sha256_hex, AttachFile};
use kezek_core::model::FileType;
use kezek_store::StoreError;
use std::sync::Arc;

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
        let application_id = super::known(id)?;
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
                super::in_scope(state, &caller, &application_id)?;
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

    /// Attaches a proof file to a case (201 with what it is): the portal for the applicant,
    /// a clerk at intake, and the head, executor or staff who work on it.
    ///
    /// # Errors
    /// Unknown case, out of scope, bytes that are empty, too large, not a PDF, JPEG or PNG
    /// or not the declared type, a document the service does not ask for, the file attached
    /// already, ten files already, or the service unavailable.
    pub async fn attach_case_file(
        self: &Arc<Self>,
        auth: &Auth<CaseReaders>,
        id: &str,
        upload: Upload,
    ) -> Result<Written, AppError> {
        let caller = auth.caller().clone();
        caller.require(&[
            Role::Portal,
            Role::Clerk,
            Role::Staff,
            Role::Head,
            Role::Executor,
        ])?;
        self.peek(|s| {
            let cases = self.cases.read();
            let c = cases
                .case(id)
                .ok_or_else(|| AppError::not_found("case", id))?;
            super::cases::may_see(&caller, &cases, s, c)
        })??;
        let case_id = id.to_owned();
        let Upload {
            declared,
            document,
            bytes,
        } = upload;
        let subject = case_id.clone();
        let (file, bytes) = tokio::task::spawn_blocking(move || {
            kezek_cases::files::received(&subject, declared, &bytes, document).map(|f| (f, bytes))
        })
        .await
        .map_err(|_| {
            AppError::Unavailable(Unavailable::Poisoned(Arc::from("reading a file panicked")))
        })??;
        let stored = vec![(file.file_id.clone(), bytes)];
        self.case_write_stored(
            auth.caller(),
            stored,
            move |cases, at, _| kezek_cases::files::attach_file(cases, &case_id, file, at),
            |_, events| match events.first() {
                Some(kezek_cases::CaseEvent::FileAttached { file, .. }) => {
                    Written::json(201, &FileView::from(file))
                }
                _ => Written::json(200, &serde_json::json!({})),
            },
        )
        .await
    }

    /// Proof file `file_id` for those who decide on it — of an application: the staff of
    /// its district; of a case: the head, executor or staff who work on it — its bytes and
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
                if let Some((a, f)) = state.file(file_id) {
                    caller.require(&[Role::Staff])?;
                    caller.district_scope(district_of_application(state, a))?;
                    if state
                        .application(a)
                        .is_some_and(kezek_core::state::Application::names_erased)
                    {
                        return Err(AppError::Erased {
                            what: "file",
                            id: file_id.to_owned(),
                            at: None,
                        });
                    }
                    return Ok((f.content_type, f.sha256.clone()));
                }
                let cases = self.cases.read();
                let (c, f) = cases
                    .file(file_id)
                    .ok_or_else(|| AppError::not_found("file", file_id))?;
                super::cases::may_see(&caller, &cases, state, c)?;
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
