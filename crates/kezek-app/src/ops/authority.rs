//! The authority key the journal pins (`keys::pin`): adopted at a journal's first start (and
//! at the first start of a journal of an earlier Kezek), rotated in by the operator with the
//! old key's endorsement, or put in place of a lost key with a reason. The node that
//! journals a rotation or a replacement stops signing with the key it holds: the command
//! exits, and every node starts again with the new key.

use crate::access::Caller;
use crate::app::write::Written;
use crate::keys::authority::Authority;
use crate::keys::pin::endorsement_bytes;
use crate::{App, AppError};
use kezek_core::command::authority::AdoptAuthority;
use kezek_core::event::AuthorityChange;
use std::sync::Arc;

impl App {
    /// Every authority key the journal adopted, with the seqs and times it was in force
    /// (`GET /v1/keys`).
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn keys_view(&self) -> Result<crate::views::KeysView, AppError> {
        self.peek(|s| crate::views::KeysView::of(s, &self.authority))
    }

    /// Journals the key this node holds as the journal's first authority, if the journal has
    /// none yet. Returns whether it wrote.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub async fn journal_authority(self: &Arc<Self>) -> Result<bool, AppError> {
        if self.peek(|s| s.authority().is_some())? {
            return Ok(false);
        }
        let key = (
            self.authority.key_id().to_owned(),
            self.authority.public_key(),
        );
        tracing::info!(key_id = %key.0, "the journal adopts its authority key");
        self.adopt_key(key, AuthorityChange::First, None, None)
            .await
            .map(|_| true)
    }

    /// Puts `new` in force from now on, endorsed by the key this node holds (the key in
    /// force). Returns the seq it is in force from.
    ///
    /// # Errors
    /// The journal has no authority yet, `new` was the journal's before, or the journal
    /// cannot be written.
    pub async fn rotate_authority(self: &Arc<Self>, new: &Authority) -> Result<u64, AppError> {
        self.journal_authority().await?;
        let endorsement = self.authority.sign(&endorsement_bytes(
            self.authority.key_id(),
            new.key_id(),
            &new.public_key(),
        ));
        let key = (new.key_id().to_owned(), new.public_key());
        self.adopt_key(key, AuthorityChange::Rotated, Some(endorsement), None)
            .await
    }

    /// Puts the key this node holds in force in place of the journal's, which was lost, for
    /// `reason`. Returns the seq it is in force from.
    ///
    /// # Errors
    /// The journal has no authority yet, the key held was the journal's before, the reason is
    /// empty, or the journal cannot be written.
    pub async fn replace_authority(self: &Arc<Self>, reason: &str) -> Result<u64, AppError> {
        let key = (
            self.authority.key_id().to_owned(),
            self.authority.public_key(),
        );
        self.adopt_key(
            key,
            AuthorityChange::Replaced,
            None,
            Some(reason.to_owned()),
        )
        .await
    }

    async fn adopt_key(
        self: &Arc<Self>,
        (key_id, public_key): (String, String),
        change: AuthorityChange,
        endorsement: Option<String>,
        reason: Option<String>,
    ) -> Result<u64, AppError> {
        let written = self
            .write(
                &Caller::operator(),
                None,
                move |_, at| {
                    Ok(AdoptAuthority {
                        key_id,
                        public_key,
                        change,
                        endorsement,
                        reason,
                        at,
                    }
                    .into())
                },
                |state, _, _| Written::json(200, &state.last_seq().get()),
            )
            .await?;
        Ok(serde_json::from_slice(&written.body).unwrap_or(0))
    }
}
