//! Proof files attached to a case: scans and photos of the documents the service asks for,
//! as the queue's applications have them (`kezek_core::command::file`): their bytes read
//! once by the caller ([`received`]), what they are journaled, at most ten per case, and a
//! named document one the service asks for.

use crate::event::CaseEvent;
use crate::state::Cases;
use jiff::Timestamp;
use kezek_core::command::file::{file_id, Code};
use kezek_core::command::Refusal;
use kezek_core::event::ProofFile;
use kezek_core::model::file::MAX_FILES;
use kezek_core::model::FileType;

/// What a case's files are attached to, for their ids: `case:` and its number, so that a
/// case and an application never share one.
#[must_use]
pub fn subject(case_id: &str) -> String {
    format!("case:{case_id}")
}

/// What `bytes` sent as `declared` for case `case_id` are (see
/// `kezek_core::command::file::received`).
///
/// # Errors
/// The rule the bytes break.
pub fn received(
    case_id: &str,
    declared: FileType,
    bytes: &[u8],
    document: Option<String>,
) -> Result<ProofFile, Refusal> {
    kezek_core::command::file::received(&subject(case_id), declared, bytes, document)
}

/// Attach `file` to case `id`.
///
/// # Errors
/// An unknown case, a file not read by [`received`] for it, a document the service does not
/// ask for, the same file twice, or ten files already.
pub fn attach_file(
    cases: &Cases,
    id: &str,
    file: ProofFile,
    at: Timestamp,
) -> Result<Vec<CaseEvent>, Refusal> {
    let case = cases
        .case(id)
        .ok_or_else(|| Refusal::not_found("case", &id))?;
    if file.file_id != file_id(&subject(id), &file.sha256) {
        return Err(Refusal::invalid(
            "content",
            Code::UnsupportedFileType.as_str(),
            "the file was not read as a proof file of this case",
        ));
    }
    if let Some(d) = &file.document {
        let asked = cases
            .definition(&case.service)
            .is_some_and(|def| def.documents.values().flatten().any(|x| x == d));
        if !asked {
            return Err(Refusal::invalid(
                "document",
                Code::UnknownDocument.as_str(),
                format!("`{d}` is not a document of service {}", case.service),
            ));
        }
    }
    if case.files.iter().any(|f| f.file_id == file.file_id) {
        return Err(Refusal::conflict(
            Code::FileExists.as_str(),
            format!("file {} is attached to case {id} already", file.file_id),
        ));
    }
    if case.files.len() >= MAX_FILES {
        return Err(Refusal::conflict(
            Code::TooManyFiles.as_str(),
            format!("case {id} holds {MAX_FILES} files, the most it may"),
        ));
    }
    Ok(vec![CaseEvent::FileAttached {
        case_id: id.to_owned(),
        file,
        at,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_file_is_another_file_than_an_applications_with_the_same_bytes() {
        let pdf = b"%PDF-1.7\n";
        let case = received("A1", FileType::Pdf, pdf, None).unwrap();
        let application =
            kezek_core::command::file::received("A1", FileType::Pdf, pdf, None).unwrap();
        assert_eq!(case.sha256, application.sha256);
        assert_ne!(case.file_id, application.file_id);
    }
}
