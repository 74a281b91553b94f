//! What an erasure takes out of the store besides the person's key, in the commit of the
//! record that erases them (`person_erased`): the application's result documents — each
//! replaced by a tombstone that says when it was erased, so that asking for it is answered
//! "erased", not "never issued" —, their officials' detached signatures, the family's
//! notifications, and the proof files.

use serde::Deserialize;

/// What a batch takes out of the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forget {
    /// Applications whose documents are tombstoned (their signatures deleted) and whose
    /// notifications are deleted.
    pub applications: Vec<String>,
    /// Proof files deleted.
    pub files: Vec<String>,
    /// When (RFC 3339), as the tombstones say.
    pub at: String,
}

impl Forget {
    /// Whether it takes nothing out.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.applications.is_empty() && self.files.is_empty()
    }
}

/// The body an erased document is replaced by.
#[must_use]
pub fn tombstone(id: &str, application: &str, at: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"application_id": application, "erased": at, "id": id}))
        .unwrap_or_default()
}

/// When the document whose stored body is `body` was erased, if it is a tombstone.
#[must_use]
pub fn erased_at(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Tombstone {
        erased: String,
    }
    // A document's body starts with its application's id; a tombstone is a few dozen bytes.
    if body.len() > 512 {
        return None;
    }
    serde_json::from_slice::<Tombstone>(body)
        .ok()
        .map(|t| t.erased)
}

/// The application a document being stored belongs to: its JSON's `application_id`; a
/// detached signature's (`….p7s`), its document's in the same batch.
#[must_use]
pub fn application_of(id: &str, body: &[u8], batch: &[(String, Vec<u8>)]) -> Option<String> {
    #[derive(Deserialize)]
    struct Of {
        application_id: Option<String>,
    }
    if let Some(signed) = id.strip_suffix(".p7s") {
        let (_, doc) = batch.iter().find(|(d, _)| d == signed)?;
        return application_of(signed, doc, &[]);
    }
    serde_json::from_slice::<Of>(body).ok()?.application_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_says_when_and_a_document_is_not_one() {
        let t = tombstone("doc-1", "A1", "2031-01-01T00:00:00Z");
        assert_eq!(erased_at(&t).as_deref(), Some("2031-01-01T00:00:00Z"));
        let doc = br#"{"application_id":"A1","body":{},"id":"doc-1","kind":"referral"}"#;
        assert_eq!(erased_at(doc), None);
        assert_eq!(application_of("doc-1", &t, &[]).as_deref(), Some("A1"));
        let batch = vec![("doc-1".to_owned(), doc.to_vec())];
        assert_eq!(
            application_of("doc-1.p7s", b"\x30\x82", &batch).as_deref(),
            Some("A1")
        );
        assert_eq!(application_of("doc-2.p7s", b"\x30\x82", &batch), None);
    }
}
