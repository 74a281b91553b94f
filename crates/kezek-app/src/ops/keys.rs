//! Keys changed outside the server (`kezek keys create`, `kezek keys revoke`, a row deleted
//! by hand): every second the server compares the keys' version with the one it read and,
//! when it moved, reads the keys again — a revoked key is refused from then on — and
//! journals each revocation not journaled yet (`key_revoked`, actor `operator`). The server
//! is the journal's only writer, so a revocation made beside it is journaled by it.

use crate::access::Caller;
use crate::app::write::Written;
use crate::{App, AppError};
use kezek_core::command::official::BindKey;
use kezek_core::Event;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How often the keys' version is looked at.
const EVERY: Duration = Duration::from_secs(1);

impl App {
    /// Looks at the keys every second, for ever (`kezek serve` runs it beside the API).
    pub async fn watch_keys(self: Arc<Self>) {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.sync_keys().await {
                tracing::warn!(error = %e, "the API keys could not be read again");
            }
        }
    }

    /// Reads the keys again if their version moved, and journals the revocations not
    /// journaled yet; how many it journaled.
    ///
    /// # Errors
    /// The keys cannot be read, or the journal cannot be written.
    pub async fn sync_keys(self: &Arc<Self>) -> Result<usize, AppError> {
        // One at a time: a caller that comes while the watch syncs waits until the
        // revocations it found are durable, instead of seeing the version already read and
        // returning before they are in the journal.
        let _one = self.keys.sync.lock().await;
        let version = self.store(|s| s.keys_version()).await?;
        if version == self.keys.version.load(Ordering::Acquire) {
            return Ok(0);
        }
        let keys = self.store(|s| s.keys()).await?;
        let revoked: Vec<String> = keys
            .iter()
            .filter(|k| k.revoked_at.is_some())
            .map(|k| k.key_id.clone())
            .collect();
        // Refused at once; the version is kept only once the revocations are journaled, so
        // a journal that fails now is tried again at the next look.
        self.keys.ring.replace(keys.clone());
        // Only the node that writes journals them (it looks again when it takes over).
        if !self.node.writes() {
            self.keys.version.store(version, Ordering::Release);
            return Ok(0);
        }
        let pending: Vec<String> = self.peek(|s| {
            revoked
                .into_iter()
                .filter(|id| !s.key_revoked(id))
                .collect()
        })?;
        let mut journaled = 0;
        for key_id in pending {
            tracing::info!(key_id = %key_id, "an API key was revoked");
            let written = self
                .write_events(
                    &Caller::operator(),
                    None,
                    |state, at| {
                        // Journaled once, even if two syncs overlap.
                        Ok(if state.key_revoked(&key_id) {
                            Vec::new()
                        } else {
                            vec![Event::KeyRevoked { key_id, at }]
                        })
                    },
                    |_, outcome, _| Written::json(200, &outcome.len()),
                )
                .await?;
            if written.body.as_slice() != b"0" {
                journaled += 1;
            }
        }
        journaled += self.bind_keys(&keys).await?;
        self.keys.version.store(version, Ordering::Release);
        Ok(journaled)
    }

    /// Journals, for each key that belongs to an official and is not bound yet, that it is
    /// that official's (`key_bound`); a key naming an official the journal does not have, or
    /// one who left, stays unbound — and refused.
    async fn bind_keys(
        self: &Arc<Self>,
        keys: &[kezek_store::ApiKeyRecord],
    ) -> Result<usize, AppError> {
        let pending: Vec<(String, String)> = self.peek(|s| {
            keys.iter()
                .filter(|k| k.revoked_at.is_none())
                .filter_map(|k| Some((k.key_id.clone(), k.official.clone()?)))
                .filter(|(key_id, _)| s.official_of_key(key_id).is_none())
                .collect()
        })?;
        let mut bound = 0;
        for (key_id, official) in pending {
            let Ok(official_id) = kezek_core::model::OfficialId::parse(&official) else {
                tracing::warn!(key_id = %key_id, official = %official, "an API key names an official id that does not read");
                continue;
            };
            let written = self
                .write(
                    &Caller::operator(),
                    None,
                    {
                        let key_id = key_id.clone();
                        move |_, at| {
                            Ok(BindKey {
                                key_id,
                                official_id,
                                at,
                            }
                            .into())
                        }
                    },
                    |_, outcome, _| Written::json(200, &outcome.len()),
                )
                .await;
            match written {
                Ok(_) => bound += 1,
                Err(e @ AppError::Refused(_)) => {
                    tracing::warn!(key_id = %key_id, official = %official, error = %e, "an API key is not bound to its official; it is refused");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(bound)
    }
}
