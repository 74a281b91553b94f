//! Proof files attached to an application: a scan or photo of a document the family, a
//! counter or staff send (a priority's proof, a correction's document). The bytes are read
//! once, outside any lock ([`received`]: kind by signature, size, SHA-256, id); the command
//! checks the application and its count and journals what the file is, never its bytes.

use super::refusal::Refusal;
use crate::event::{AttachedFile, Event, ProofFile};
use crate::model::file::{MAX_FILES, MAX_FILE_BYTES};
use crate::model::{ApplicationId, FileType};
use crate::state::{Mismatch, State};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

code_enum! {
    /// Why a proof file is refused.
    pub enum Code {
        /// No bytes.
        EmptyFile = "empty_file",
        /// Over 10 MiB.
        FileTooLarge = "file_too_large",
        /// The bytes are not a PDF, JPEG or PNG.
        UnsupportedFileType = "unsupported_file_type",
        /// The bytes are of another type than the one the sender named.
        ContentTypeMismatch = "content_type_mismatch",
        /// The application holds ten files already.
        TooManyFiles = "too_many_files",
        /// The same file is attached to it already.
        FileExists = "file_exists",
        /// The application is no longer active.
        ApplicationNotActive = "application_not_active",
        /// A document code that is not one of the service's.
        UnknownDocument = "unknown_document",
    }
}

/// The id of a file with SHA-256 `sha256` (hex) attached to `subject` (an application or
/// case id): `F` and the first 31 hex digits of the SHA-256 of both. The same bytes attached
/// twice to one subject have one id; ids cannot be guessed without the bytes.
#[must_use]
pub fn file_id(subject: &str, sha256: &str) -> String {
    let mut h = Sha256::new();
    h.update(subject.as_bytes());
    h.update([0]);
    h.update(sha256.as_bytes());
    let digest = hex(&h.finalize());
    format!("F{}", digest.get(..31).unwrap_or_default())
}

/// What `bytes` sent as `declared` for `subject` are, checked: not empty, at most 10 MiB, a
/// PDF, JPEG or PNG by their first bytes, and the type the sender named.
///
/// # Errors
/// The rule the bytes break, on the field `content`.
pub fn received(
    subject: &str,
    declared: FileType,
    bytes: &[u8],
    document: Option<String>,
) -> Result<ProofFile, Refusal> {
    let bad = |code: Code, message: String| Refusal::invalid("content", code.as_str(), message);
    if bytes.is_empty() {
        return Err(bad(Code::EmptyFile, "the file has no bytes".into()));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(bad(
            Code::FileTooLarge,
            format!("{} bytes; a file is at most {MAX_FILE_BYTES}", bytes.len()),
        ));
    }
    let Some(actual) = FileType::sniff(bytes) else {
        return Err(bad(
            Code::UnsupportedFileType,
            "the bytes are not a PDF, JPEG or PNG file".into(),
        ));
    };
    if actual != declared {
        return Err(bad(
            Code::ContentTypeMismatch,
            format!("sent as {declared}, the bytes are {actual}"),
        ));
    }
    let sha256 = hex(&Sha256::digest(bytes));
    Ok(ProofFile {
        file_id: file_id(subject, &sha256),
        content_type: actual,
        size: bytes.len() as u64,
        sha256,
        document,
    })
}

/// SHA-256 of `bytes`, hex: what the journal says a stored file's bytes hash to.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Attach a proof file (read by [`received`]) to an application.
#[derive(Debug, Clone)]
pub struct AttachFile {
    /// The application.
    pub application_id: ApplicationId,
    /// The file.
    pub file: ProofFile,
    /// When.
    pub at: Timestamp,
}

impl AttachFile {
    /// The `file_attached` event.
    ///
    /// # Errors
    /// Unknown or inactive application, a file it holds already, ten files already, a
    /// document code that is not an application's, or a file not read by [`received`].
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (a, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if !app.status.is_active() {
            return Err(Refusal::conflict(
                Code::ApplicationNotActive.as_str(),
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        let f = &self.file;
        if f.file_id != file_id(id.as_str(), &f.sha256) || f.size > MAX_FILE_BYTES as u64 {
            return Err(Refusal::invalid(
                "content",
                Code::UnsupportedFileType.as_str(),
                "the file was not read as a proof file",
            ));
        }
        if let Some(d) = &f.document {
            if crate::model::Document::parse(d).is_none() {
                return Err(Refusal::invalid(
                    "document",
                    Code::UnknownDocument.as_str(),
                    format!("`{d}` is not a document of an application"),
                ));
            }
        }
        if state.files_of(a).any(|g| g.file_id == f.file_id) {
            return Err(Refusal::conflict(
                Code::FileExists.as_str(),
                format!("file {} is attached to application {id} already", f.file_id),
            ));
        }
        if state.files_of(a).count() >= MAX_FILES {
            return Err(Refusal::conflict(
                Code::TooManyFiles.as_str(),
                format!("application {id} holds {MAX_FILES} files, the most it may"),
            ));
        }
        Ok(vec![Event::FileAttached(Box::new(AttachedFile {
            application_id: self.application_id,
            file: self.file,
            at: self.at,
        }))])
    }
}

/// Applies `file_attached`.
pub(crate) fn apply(state: &mut State, attached: &AttachedFile) -> Result<(), Mismatch> {
    let a = state
        .application_index(&attached.application_id)
        .ok_or_else(|| Mismatch::Unknown {
            what: "application",
            id: attached.application_id.to_string(),
        })?;
    if state.file(&attached.file.file_id).is_some() {
        return Err(Mismatch::Reused {
            what: "file",
            id: attached.file.file_id.clone(),
        });
    }
    state.keep_file(a, attached.file.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn a_file_is_read_by_its_bytes() {
        let f = received("A1", FileType::Png, PNG, None).unwrap();
        assert_eq!(f.content_type, FileType::Png);
        assert_eq!(f.size, PNG.len() as u64);
        assert_eq!(f.sha256, sha256_hex(PNG));
        assert_eq!(f.file_id.len(), 32);
        assert!(crate::model::ids::check_id(&f.file_id).is_ok());
        // The same bytes elsewhere are another file.
        assert_ne!(
            f.file_id,
            received("A2", FileType::Png, PNG, None).unwrap().file_id
        );
    }

    #[test]
    fn bytes_that_are_not_what_they_say_are_refused() {
        let code = |r: Result<ProofFile, Refusal>| match r {
            Err(Refusal::Invalid(v)) => v[0].code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(received("A1", FileType::Pdf, PNG, None)),
            "content_type_mismatch"
        );
        assert_eq!(
            code(received("A1", FileType::Pdf, b"hello", None)),
            "unsupported_file_type"
        );
        assert_eq!(code(received("A1", FileType::Pdf, b"", None)), "empty_file");
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        assert_eq!(
            code(received("A1", FileType::Pdf, &big, None)),
            "file_too_large"
        );
        big.truncate(MAX_FILE_BYTES);
        assert!(received("A1", FileType::Pdf, &big, None).is_ok());
    }
}
