//! The console's sessions, kept in the store so that every node sees them: a session is a
//! random id (the cookie holds it; the store keeps only its SHA-256), the key it was opened
//! with (its token hash: the token itself is never kept) and its end. Signing out ends it
//! on every node at once; a revoked or expired key ends its sessions too, since each request
//! looks the key up again.

use crate::error::AppError;
use crate::{App, Caller};
use kezek_store::{Hash, SessionRecord};
use sha2::{Digest, Sha256};

/// A fresh random id, 32 bytes as hex (a session's, a sign-in form's).
///
/// # Errors
/// The system has no randomness to give.
pub fn fresh_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        AppError::Unavailable(crate::error::Unavailable::Store(
            kezek_store::StoreError::storage(
                "drawing a random id",
                std::io::Error::other(e.to_string()),
            ),
        ))
    })?;
    Ok(hex::encode(bytes))
}

/// The hash the store keeps of session id `id`.
fn id_hash(id: &str) -> Hash {
    Sha256::digest(id.as_bytes()).into()
}

impl App {
    /// Opens a session for the key whose token has `key_hash`, lasting `lifetime` seconds:
    /// its id.
    ///
    /// # Errors
    /// No randomness, or the store failed.
    pub async fn open_session(&self, key_hash: Hash, lifetime: i64) -> Result<String, AppError> {
        let id = fresh_id()?;
        let now = self.now().as_second();
        let record = SessionRecord {
            id_hash: id_hash(&id),
            key_hash,
            expires: now.saturating_add(lifetime),
        };
        self.store(move |s| s.put_session(&record, now)).await?;
        Ok(id)
    }

    /// The caller of session `id`, if it was opened, has not ended and its key is still good.
    ///
    /// # Errors
    /// The store failed.
    pub async fn session_caller(&self, id: &str) -> Result<Option<Caller>, AppError> {
        let hash = id_hash(id);
        let Some(session) = self.store(move |s| s.session(&hash)).await? else {
            return Ok(None);
        };
        if self.now().as_second() >= session.expires {
            return Ok(None);
        }
        Ok(self.caller_of_hash(&session.key_hash))
    }

    /// Ends session `id` on every node.
    ///
    /// # Errors
    /// The store failed.
    pub async fn end_session(&self, id: &str) -> Result<(), AppError> {
        let hash = id_hash(id);
        self.store(move |s| s.end_session(&hash)).await?;
        Ok(())
    }
}
