//! Stored answers, documents, keys and notifications on PostgreSQL. Reads go over the shared
//! read connection; the few writes outside the journal (keys, delivery attempts) over the
//! side connection.

use super::{failed, hash_of, wait, PgStore};
use crate::{
    AnswerStore, ApiKeyRecord, Attempt, DocumentStore, IdempotencyRecord, KeyStore, Notification,
    NotificationStore, OutboxCounts, StoreError,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

fn answer_row(r: &Row) -> Result<IdempotencyRecord, tokio_postgres::Error> {
    let status: i32 = r.try_get(3)?;
    Ok(IdempotencyRecord {
        actor: r.try_get(0)?,
        key: r.try_get(1)?,
        request_hash: hash_of(r.try_get(2)?),
        status: u16::try_from(status).unwrap_or(0),
        body: r.try_get(4)?,
        signature: r.try_get(5)?,
    })
}

impl AnswerStore for PgStore {
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let fail = failed("reading a stored answer");
        let row = wait(
            self.read
                .query_opt(&self.statements.answer, &[&actor, &key]),
        )
        .map_err(&fail)?;
        row.as_ref().map(answer_row).transpose().map_err(fail)
    }

    fn answer_later(&self, actor: &str, key: &str) -> crate::Later<Option<IdempotencyRecord>> {
        let (client, statement) = (
            std::sync::Arc::clone(&self.read),
            self.statements.answer.clone(),
        );
        let (actor, key) = (actor.to_owned(), key.to_owned());
        Box::pin(async move {
            let fail = failed("reading a stored answer");
            let row = client
                .query_opt(&statement, &[&actor, &key])
                .await
                .map_err(&fail)?;
            row.as_ref().map(answer_row).transpose().map_err(fail)
        })
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        let fail = failed("reading the stored answers");
        let rows = wait(self.read.query(
            "SELECT actor, key, request_hash, status, body, signature FROM idempotency ORDER BY actor, key",
            &[],
        ))
        .map_err(&fail)?;
        rows.iter()
            .map(answer_row)
            .collect::<Result<_, _>>()
            .map_err(fail)
    }
}

impl PgStore {
    /// Up to `limit` bodies of `table` (the documents' or the proof files') with ids after
    /// `after`, in byte order as SQLite's: ids page the same on both.
    fn page_of(
        &self,
        table: &'static str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let fail = failed("reading stored bodies");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT id, body FROM {table} WHERE id COLLATE \"C\" > $1 ORDER BY id COLLATE \"C\" LIMIT $2"
        );
        let rows = wait(self.read.query(&sql, &[&after, &limit])).map_err(&fail)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, _>>()
            .map_err(fail)
    }
}

impl DocumentStore for PgStore {
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let fail = failed("reading a document");
        let row = wait(self.read.query_opt(&self.statements.document, &[&id])).map_err(&fail)?;
        row.map(|r| r.try_get(0)).transpose().map_err(fail)
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.page_of("documents", after, limit)
    }

    fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        let fail = failed("reading document ids");
        let rows = wait(self.read.query("SELECT id FROM documents", &[])).map_err(&fail)?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(fail)
    }

    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let fail = failed("reading a proof file");
        let row = wait(
            self.read
                .query_opt("SELECT body FROM files WHERE id = $1", &[&id]),
        )
        .map_err(&fail)?;
        row.map(|r| r.try_get(0)).transpose().map_err(fail)
    }

    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.page_of("files", after, limit)
    }
}

impl PgStore {
    /// Up to `limit` persons' data keys after `after` (`EventLog::person_keys`).
    pub(super) fn person_key_rows(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.page_of("person_keys", after, limit)
    }

    /// Whether the journal seals (`EventLog::seals`).
    pub(super) fn seals_flag(&self) -> Result<bool, StoreError> {
        let row = wait(
            self.read
                .query_opt("SELECT value FROM meta WHERE key = 'seals'", &[]),
        )
        .map_err(failed("reading whether the journal seals"))?;
        Ok(row.is_some_and(|r| r.get::<_, String>(0) == "1"))
    }

    /// The hash the first record chains from (`EventLog::genesis`).
    pub(super) fn genesis_hash(&self) -> Result<crate::Hash, StoreError> {
        let row = wait(
            self.read
                .query_opt("SELECT value FROM meta WHERE key = 'genesis'", &[]),
        )
        .map_err(failed("reading the journal's genesis"))?;
        let Some(hex) = row.map(|r| r.get::<_, String>(0)) else {
            return Ok(crate::record::GENESIS);
        };
        hex::decode(&hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                StoreError::Integrity(format!("the journal's genesis `{hex}` is not a hash"))
            })
    }

    /// Makes the empty journal continue one whose head is `hash` (`EventLog::begin_after`):
    /// recorded, and its head row moved to it, before any node leads.
    pub(super) fn begin_after_hash(&self, hash: crate::Hash) -> Result<(), StoreError> {
        let fail = failed("recording the journal's genesis");
        let events =
            wait(self.read.query_opt("SELECT 1 FROM events LIMIT 1", &[])).map_err(&fail)?;
        if events.is_some() {
            return Err(StoreError::Integrity(
                "the journal holds records: it cannot continue another".into(),
            ));
        }
        wait(self.read.execute(
            "INSERT INTO meta (key, value) VALUES ('genesis', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&hex::encode(hash)],
        ))
        .map_err(&fail)?;
        wait(self.read.execute(
            "UPDATE journal_head SET hash = $1 WHERE id = 1 AND seq = 0",
            &[&hash.as_slice()],
        ))
        .map(drop)
        .map_err(fail)
    }

    /// Records whether the journal seals (`EventLog::set_seals`).
    pub(super) fn set_seals_flag(&self, seals: bool) -> Result<(), StoreError> {
        let value = if seals { "1" } else { "0" };
        wait(self.read.execute(
            "INSERT INTO meta (key, value) VALUES ('seals', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&value],
        ))
        .map(drop)
        .map_err(failed("recording whether the journal seals"))
    }
}

fn key_row(r: &Row) -> Result<ApiKeyRecord, tokio_postgres::Error> {
    let scope: String = r.try_get(3)?;
    Ok(ApiKeyRecord {
        key_id: r.try_get(0)?,
        token_hash: hash_of(r.try_get(1)?),
        role: r.try_get(2)?,
        scope: serde_json::from_str(&scope).unwrap_or_default(),
        created_at: r.try_get(4)?,
        signature: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
        official: r.try_get(8)?,
    })
}

impl KeyStore for PgStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let scope = serde_json::to_string(&key.scope)
            .map_err(|e| StoreError::storage("encoding a key's scope", e))?;
        let outcome = wait(self.side().execute(
            "INSERT INTO api_keys (key_id, token_hash, role, scope, created_at, expires_at, revoked_at, signature, official) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[&key.key_id, &key.token_hash.as_slice(), &key.role, &scope, &key.created_at, &key.expires_at, &key.revoked_at, &key.signature, &key.official],
        ));
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(StoreError::Duplicate(format!("key {}", key.key_id)))
            }
            Err(e) => Err(StoreError::storage("writing a key", e)),
        }
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let fail = failed("reading the keys");
        let rows = wait(self.read.query(
            "SELECT key_id, token_hash, role, scope, created_at, signature, expires_at, revoked_at, official FROM api_keys ORDER BY key_id COLLATE \"C\"",
            &[],
        ))
        .map_err(&fail)?;
        rows.iter()
            .map(key_row)
            .collect::<Result<_, _>>()
            .map_err(fail)
    }

    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError> {
        let scope = serde_json::to_string(&key.scope)
            .map_err(|e| StoreError::storage("encoding a key's scope", e))?;
        let n = wait(self.side().execute(
            "UPDATE api_keys SET token_hash = $2, role = $3, scope = $4, created_at = $5, expires_at = $6, revoked_at = $7, signature = $8, official = $9 WHERE key_id = $1",
            &[&key.key_id, &key.token_hash.as_slice(), &key.role, &scope, &key.created_at, &key.expires_at, &key.revoked_at, &key.signature, &key.official],
        ))
        .map_err(|e| StoreError::storage("writing a key", e))?;
        Ok(n > 0)
    }

    fn keys_version(&self) -> Result<u64, StoreError> {
        let row = wait(self.read.query_one("SELECT n FROM keys_version", &[]))
            .map_err(failed("reading the keys' version"))?;
        Ok(row.get::<_, i64>(0).unsigned_abs())
    }
}

/// A notification row: id, application, kind, body, attempts, next attempt, delivered.
const NOTIFICATION: &str =
    "SELECT id, application_id, kind, body, attempts, next_attempt_ms, delivered, created_ms FROM notifications n";

fn notification(r: &Row) -> Result<Notification, tokio_postgres::Error> {
    let id: i64 = r.try_get(0)?;
    let attempts: i32 = r.try_get(4)?;
    Ok(Notification {
        id: id.unsigned_abs(),
        application_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        body: r.try_get(3)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_ms: r.try_get(5)?,
        delivered: r.try_get(6)?,
        created_ms: r.try_get(7)?,
    })
}

impl PgStore {
    fn notifications_where(
        &self,
        condition: &str,
        value: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let fail = failed("reading notifications");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = wait(self.read.query(
            &format!("{NOTIFICATION} WHERE {condition} ORDER BY id LIMIT $2"),
            &[&value, &limit],
        ))
        .map_err(&fail)?;
        rows.iter()
            .map(notification)
            .collect::<Result<_, _>>()
            .map_err(fail)
    }
}

impl NotificationStore for PgStore {
    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let fail = failed("reading notifications");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = wait(self.read.query(
            &format!("{NOTIFICATION} WHERE application_id = $1 ORDER BY id LIMIT $2"),
            &[&application_id, &limit],
        ))
        .map_err(&fail)?;
        rows.iter()
            .map(notification)
            .collect::<Result<_, _>>()
            .map_err(fail)
    }

    fn notifications(&self, after: u64, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.notifications_where("id > $1", after, limit)
    }

    fn deliverable(&self, now_ms: i64, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where(
            "NOT delivered AND next_attempt_ms <= $1 AND NOT EXISTS (SELECT 1 FROM notifications m WHERE NOT m.delivered AND m.application_id = n.application_id AND m.id < n.id)",
            now_ms,
            limit,
        )
    }

    fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let fail = failed("recording deliveries");
        let mut side = self.side();
        wait(async {
            let tx = side.transaction().await?;
            for a in attempts {
                match a {
                    Attempt::Delivered { id } => {
                        let id = i64::try_from(*id).unwrap_or(i64::MAX);
                        tx.execute(
                            "UPDATE notifications SET delivered = true, last_error = NULL WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                    }
                    Attempt::Failed {
                        id,
                        next_attempt_ms,
                        error,
                    } => {
                        let id = i64::try_from(*id).unwrap_or(i64::MAX);
                        tx.execute(
                            "UPDATE notifications SET attempts = attempts + 1, next_attempt_ms = $2, last_error = $3 WHERE id = $1",
                            &[&id, next_attempt_ms, error],
                        )
                        .await?;
                    }
                }
            }
            tx.commit().await
        })
        .map_err(fail)
    }

    fn restore(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        let fail = failed("restoring notifications");
        let mut side = self.side();
        wait(async {
            let tx = side.transaction().await?;
            for n in notifications {
                let id = i64::try_from(n.id).unwrap_or(i64::MAX);
                let attempts = i32::try_from(n.attempts).unwrap_or(i32::MAX);
                tx.execute(
                    "INSERT INTO notifications (id, application_id, kind, body, attempts, next_attempt_ms, delivered, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[&id, &n.application_id, &n.kind, &n.body, &attempts, &n.next_attempt_ms, &n.delivered, &n.created_ms],
                )
                .await?;
            }
            // New notifications are numbered after the restored ones.
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('notifications', 'id'), coalesce((SELECT max(id) FROM notifications), 0) + 1, false)",
                &[],
            )
            .await?;
            tx.commit().await
        })
        .map_err(fail)
    }

    fn outbox_since(&self) -> Result<Option<u64>, StoreError> {
        // A PostgreSQL journal has had its outbox from its start, unless one copied from an
        // older SQLite journal says otherwise.
        let row = wait(
            self.read
                .query_opt("SELECT value FROM meta WHERE key = 'outbox_since'", &[]),
        )
        .map_err(failed("reading the outbox's start"))?;
        Ok(match row {
            None => Some(0),
            Some(r) => r.get::<_, String>(0).parse().ok(),
        })
    }

    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError> {
        let row = wait(self.read.query_opt(
            "SELECT value FROM meta WHERE key = $1",
            &[&format!("channel:{channel}")],
        ))
        .map_err(failed("reading a channel's progress"))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError> {
        wait(self.side().execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&format!("channel:{channel}"), &state],
        ))
        .map(drop)
        .map_err(failed("recording a channel's progress"))
    }

    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError> {
        let value = since.map_or_else(|| "unknown".to_owned(), |s| s.to_string());
        wait(self.read.execute(
            "INSERT INTO meta (key, value) VALUES ('outbox_since', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&value],
        ))
        .map(drop)
        .map_err(failed("recording the outbox's start"))
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let row = wait(self.read.query_one(
            "SELECT count(*) FILTER (WHERE NOT delivered), count(*) FILTER (WHERE delivered), count(*) FILTER (WHERE NOT delivered AND attempts > 0), min(created_ms) FILTER (WHERE NOT delivered) FROM notifications",
            &[],
        ))
        .map_err(failed("counting notifications"))?;
        Ok(OutboxCounts {
            pending: row.get::<_, i64>(0).unsigned_abs(),
            delivered: row.get::<_, i64>(1).unsigned_abs(),
            failing: row.get::<_, i64>(2).unsigned_abs(),
            oldest_pending_ms: row.get(3),
        })
    }
}

impl crate::BudgetStore for PgStore {
    fn spend(&self, bucket: &str, window: i64) -> Result<Option<u32>, StoreError> {
        let fail = failed("counting a budget");
        let side = self.side();
        // The first use in a later minute than any before clears the minutes more than
        // `KEPT_MINUTES` before it. A bucket may count in a minute ahead of now (a citizen
        // assertion's, in the minute it expires): the latest minute seen only grows, so
        // such a use never clears the current minute's counts.
        let last = self
            .budget_window
            .fetch_max(window, std::sync::atomic::Ordering::SeqCst);
        if window > last {
            wait(side.execute(
                "DELETE FROM budgets WHERE window_start < $1",
                &[&(window - crate::KEPT_MINUTES)],
            ))
            .map_err(&fail)?;
        }
        let row = wait(side.query_one(
            "INSERT INTO budgets (bucket, window_start, used) VALUES ($1, $2, 1)
             ON CONFLICT (bucket, window_start) DO UPDATE SET used = budgets.used + 1
             RETURNING used",
            &[&bucket, &window],
        ))
        .map_err(&fail)?;
        Ok(Some(
            u32::try_from(row.get::<_, i32>(0)).unwrap_or(u32::MAX),
        ))
    }
}

impl crate::SessionStore for PgStore {
    fn put_session(&self, session: &crate::SessionRecord, now: i64) -> Result<(), StoreError> {
        let fail = failed("storing a session");
        let side = self.side();
        wait(side.execute("DELETE FROM sessions WHERE expires <= $1", &[&now])).map_err(&fail)?;
        wait(side.execute(
            "INSERT INTO sessions (id_hash, key_hash, expires) VALUES ($1, $2, $3)
             ON CONFLICT (id_hash) DO UPDATE SET key_hash = EXCLUDED.key_hash, expires = EXCLUDED.expires",
            &[&&session.id_hash[..], &&session.key_hash[..], &session.expires],
        ))
        .map_err(&fail)?;
        Ok(())
    }

    fn session(&self, id_hash: &crate::Hash) -> Result<Option<crate::SessionRecord>, StoreError> {
        let fail = failed("reading a session");
        let row = wait(self.read.query_opt(
            "SELECT key_hash, expires FROM sessions WHERE id_hash = $1",
            &[&&id_hash[..]],
        ))
        .map_err(&fail)?;
        row.map(|r| {
            Ok(crate::SessionRecord {
                id_hash: *id_hash,
                key_hash: super::hash_of(r.try_get(0).map_err(&fail)?),
                expires: r.try_get(1).map_err(&fail)?,
            })
        })
        .transpose()
    }

    fn end_session(&self, id_hash: &crate::Hash) -> Result<bool, StoreError> {
        let n = wait(
            self.side()
                .execute("DELETE FROM sessions WHERE id_hash = $1", &[&&id_hash[..]]),
        )
        .map_err(failed("ending a session"))?;
        Ok(n > 0)
    }
}
