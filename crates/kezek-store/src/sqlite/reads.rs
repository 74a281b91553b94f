//! Reading what the writer stored, on the read connection.

use super::schema::{bytes_at, hash_of, optional_text_at, text_at};
use super::SqliteStore;
use crate::{
    AnswerStore, ApiKeyRecord, DocumentStore, IdempotencyRecord, KeyStore, StoreError, StoredEvent,
};
use kezek_core::model::Seq;
use rusqlite::{params, Connection, OptionalExtension};

fn failed(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: Seq::new(u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0)),
        at: text_at(r, 1)?,
        actor: text_at(r, 2)?,
        kind: text_at(r, 3)?,
        payload: bytes_at(r, 4)?,
        prev_hash: hash_of(bytes_at(r, 5)?),
        hash: hash_of(bytes_at(r, 6)?),
    })
}

/// Up to `limit` events after `after`.
pub(super) fn events(
    conn: &Connection,
    after: Seq,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let fail = failed("reading events");
    let mut stmt = conn
        .prepare_cached("SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
        .map_err(&fail)?;
    let after = i64::try_from(after.get()).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![after, limit], event_row)
        .map_err(&fail)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(fail)
}

/// The records of `kind` (`policy_adopted`, `authority_adopted`), by the partial index on
/// each (a handful in a million).
pub(super) fn records_of(
    conn: &Connection,
    kind: crate::IndexedKind,
) -> Result<Vec<StoredEvent>, StoreError> {
    let fail = failed("reading the policy and authority records");
    let sql = match kind {
        crate::IndexedKind::Policy => "SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE kind = 'policy_adopted' ORDER BY seq",
        crate::IndexedKind::Authority => "SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE kind = 'authority_adopted' ORDER BY seq",
    };
    let mut stmt = conn.prepare_cached(sql).map_err(&fail)?;
    let rows = stmt.query_map([], event_row).map_err(&fail)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(fail)
}

fn answer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IdempotencyRecord> {
    Ok(IdempotencyRecord {
        actor: text_at(r, 0)?,
        key: text_at(r, 1)?,
        request_hash: hash_of(bytes_at(r, 2)?),
        status: r.get::<_, i64>(3).map(|s| u16::try_from(s).unwrap_or(0))?,
        body: bytes_at(r, 4)?,
        signature: text_at(r, 5)?,
    })
}

impl AnswerStore for SqliteStore {
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let fail = failed("reading a stored answer");
        self.reader()
            .prepare_cached("SELECT actor, key, request_hash, status, body, signature FROM idempotency WHERE actor = ?1 AND key = ?2")
            .map_err(&fail)?
            .query_row(params![actor, key], answer_row)
            .optional()
            .map_err(fail)
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        let fail = failed("reading the stored answers");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT actor, key, request_hash, status, body, signature FROM idempotency ORDER BY actor, key")
            .map_err(&fail)?;
        let rows = stmt.query_map([], answer_row).map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

/// Two tables hold bodies by id the same way: the signed documents and the proof files.
#[derive(Clone, Copy)]
enum Bodies {
    Documents,
    Files,
    PersonKeys,
}

impl Bodies {
    fn table(self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Files => "files",
            Self::PersonKeys => "person_keys",
        }
    }
}

impl SqliteStore {
    /// The body stored under `id` in `bodies`.
    fn body(&self, bodies: Bodies, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let fail = failed("reading a stored body");
        let sql = format!("SELECT body FROM {} WHERE id = ?1", bodies.table());
        self.reader()
            .prepare_cached(&sql)
            .map_err(&fail)?
            .query_row(params![id], |r| bytes_at(r, 0))
            .optional()
            .map_err(fail)
    }

    /// Up to `limit` bodies of `bodies` with ids after `after`, in id order.
    fn bodies(
        &self,
        bodies: Bodies,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let fail = failed("reading stored bodies");
        let conn = self.reader();
        let sql = format!(
            "SELECT id, body FROM {} WHERE id > ?1 ORDER BY id LIMIT ?2",
            bodies.table()
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(&fail)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok((text_at(r, 0)?, bytes_at(r, 1)?))
            })
            .map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

impl DocumentStore for SqliteStore {
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.body(Bodies::Documents, id)
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.bodies(Bodies::Documents, after, limit)
    }

    fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        let fail = failed("reading document ids");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT id FROM documents")
            .map_err(&fail)?;
        let rows = stmt.query_map([], |r| text_at(r, 0)).map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.body(Bodies::Files, id)
    }

    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.bodies(Bodies::Files, after, limit)
    }
}

impl SqliteStore {
    /// Up to `limit` persons' data keys after `after` (`EventLog::person_keys`).
    pub(super) fn person_key_rows(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.bodies(Bodies::PersonKeys, after, limit)
    }

    /// Whether the journal seals (`EventLog::seals`).
    pub(super) fn seals_flag(&self) -> Result<bool, StoreError> {
        use rusqlite::OptionalExtension;
        let value: Option<String> = self
            .reader()
            .query_row("SELECT value FROM meta WHERE key = 'seals'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(failed("reading whether the journal seals"))?;
        Ok(value.as_deref() == Some("1"))
    }

    /// Records whether the journal seals (`EventLog::set_seals`).
    pub(super) fn set_seals_flag(&self, seals: bool) -> Result<(), StoreError> {
        self.reader()
            .execute(
                "INSERT INTO meta (key, value) VALUES ('seals', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [if seals { "1" } else { "0" }],
            )
            .map(drop)
            .map_err(failed("recording whether the journal seals"))
    }
}

impl KeyStore for SqliteStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let scope = serde_json::to_string(&key.scope)
            .map_err(|e| StoreError::storage("encoding a key's scope", e))?;
        let outcome = self.reader().execute(
            "INSERT INTO api_keys (key_id, token_hash, role, scope, created_at, expires_at, revoked_at, signature, official) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![key.key_id, &key.token_hash[..], key.role, scope, key.created_at, key.expires_at, key.revoked_at, key.signature, key.official],
        );
        match outcome {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::Duplicate(format!("key {}", key.key_id)))
            }
            Err(e) => Err(StoreError::storage("writing a key", e)),
        }
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let fail = failed("reading the keys");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT key_id, token_hash, role, scope, created_at, signature, expires_at, revoked_at, official FROM api_keys ORDER BY key_id")
            .map_err(&fail)?;
        let rows = stmt
            .query_map([], |r| {
                let scope: String = r.get(3)?;
                Ok(ApiKeyRecord {
                    key_id: r.get(0)?,
                    token_hash: hash_of(r.get(1)?),
                    role: r.get(2)?,
                    scope: serde_json::from_str(&scope).unwrap_or_default(),
                    created_at: text_at(r, 4)?,
                    signature: text_at(r, 5)?,
                    expires_at: optional_text_at(r, 6)?,
                    revoked_at: optional_text_at(r, 7)?,
                    official: optional_text_at(r, 8)?,
                })
            })
            .map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError> {
        let scope = serde_json::to_string(&key.scope)
            .map_err(|e| StoreError::storage("encoding a key's scope", e))?;
        let n = self
            .reader()
            .execute(
                "UPDATE api_keys SET token_hash = ?2, role = ?3, scope = ?4, created_at = ?5, expires_at = ?6, revoked_at = ?7, signature = ?8, official = ?9 WHERE key_id = ?1",
                params![key.key_id, &key.token_hash[..], key.role, scope, key.created_at, key.expires_at, key.revoked_at, key.signature, key.official],
            )
            .map_err(|e| StoreError::storage("writing a key", e))?;
        Ok(n > 0)
    }

    fn keys_version(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .reader()
            .prepare_cached("SELECT n FROM keys_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(|e| StoreError::storage("reading the keys' version", e))?;
        Ok(n.unsigned_abs())
    }
}

/// A notification row: id, application, kind, body, attempts, next attempt, delivered.
const NOTIFICATION: &str =
    "SELECT id, application_id, kind, body, attempts, next_attempt_ms, delivered, created_ms FROM notifications n";

fn notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::Notification> {
    Ok(crate::Notification {
        id: r.get::<_, i64>(0)?.unsigned_abs(),
        application_id: text_at(r, 1)?,
        kind: text_at(r, 2)?,
        body: bytes_at(r, 3)?,
        attempts: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(u32::MAX),
        next_attempt_ms: r.get(5)?,
        delivered: r.get::<_, i64>(6)? != 0,
        created_ms: r.get(7)?,
    })
}

impl SqliteStore {
    /// Up to `limit` notifications meeting `condition` (on `?1` = `value`), in id order.
    fn notifications_where(
        &self,
        condition: &str,
        value: i64,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        let fail = failed("reading notifications");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE {condition} ORDER BY id LIMIT ?2"
            ))
            .map_err(&fail)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![value, limit], notification)
            .map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

impl crate::NotificationStore for SqliteStore {
    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        let fail = failed("reading notifications");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE application_id = ?1 ORDER BY id LIMIT ?2"
            ))
            .map_err(&fail)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![application_id, limit], notification)
            .map_err(&fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    fn notifications(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.notifications_where("id > ?1", after, limit)
    }

    fn deliverable(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        // The first undelivered of each application (the partial index on application and
        // id answers the NOT EXISTS), if due.
        self.notifications_where(
            "delivered = 0 AND next_attempt_ms <= ?1 AND NOT EXISTS (SELECT 1 FROM notifications m WHERE m.delivered = 0 AND m.application_id = n.application_id AND m.id < n.id)",
            now_ms,
            limit,
        )
    }

    fn record_attempts(&self, attempts: &[crate::Attempt]) -> Result<(), StoreError> {
        let fail = failed("recording deliveries");
        let mut conn = self.reader();
        let tx = conn.transaction().map_err(&fail)?;
        {
            let mut delivered = tx
                .prepare_cached(
                    "UPDATE notifications SET delivered = 1, last_error = NULL WHERE id = ?1",
                )
                .map_err(&fail)?;
            let mut failed_attempt = tx
                .prepare_cached("UPDATE notifications SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1")
                .map_err(&fail)?;
            for a in attempts {
                match a {
                    crate::Attempt::Delivered { id } => {
                        delivered
                            .execute(params![i64::try_from(*id).unwrap_or(i64::MAX)])
                            .map_err(&fail)?;
                    }
                    crate::Attempt::Failed {
                        id,
                        next_attempt_ms,
                        error,
                    } => {
                        failed_attempt
                            .execute(params![
                                i64::try_from(*id).unwrap_or(i64::MAX),
                                next_attempt_ms,
                                error
                            ])
                            .map_err(&fail)?;
                    }
                }
            }
        }
        tx.commit().map_err(fail)
    }

    fn outbox_since(&self) -> Result<Option<u64>, StoreError> {
        use rusqlite::OptionalExtension;
        let value: Option<String> = self
            .reader()
            .query_row(
                "SELECT value FROM meta WHERE key = 'outbox_since'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(failed("reading the outbox's start"))?;
        Ok(value.and_then(|v| v.parse().ok()))
    }

    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        self.reader()
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("channel:{channel}")],
                |r| r.get(0),
            )
            .optional()
            .map_err(failed("reading a channel's progress"))
    }

    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError> {
        self.reader()
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [format!("channel:{channel}"), state.to_owned()],
            )
            .map(drop)
            .map_err(failed("recording a channel's progress"))
    }

    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError> {
        let conn = self.reader();
        let done = match since {
            Some(seq) => conn.execute(
                "INSERT INTO meta (key, value) VALUES ('outbox_since', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [seq.to_string()],
            ),
            None => conn.execute("DELETE FROM meta WHERE key = 'outbox_since'", []),
        };
        done.map(drop)
            .map_err(failed("recording the outbox's start"))
    }

    fn restore(&self, notifications: &[crate::Notification]) -> Result<(), StoreError> {
        let fail = failed("restoring notifications");
        let mut conn = self.reader();
        let tx = conn.transaction().map_err(&fail)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO notifications (id, application_id, kind, body, attempts, next_attempt_ms, delivered, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .map_err(&fail)?;
            for n in notifications {
                insert
                    .execute(params![
                        i64::try_from(n.id).unwrap_or(i64::MAX),
                        n.application_id,
                        n.kind,
                        n.body,
                        n.attempts,
                        n.next_attempt_ms,
                        n.delivered,
                        n.created_ms
                    ])
                    .map_err(&fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    fn outbox_counts(&self) -> Result<crate::OutboxCounts, StoreError> {
        let fail = failed("counting notifications");
        let conn = self.reader();
        let (pending, failing, oldest): (i64, i64, Option<i64>) = conn
            .prepare_cached("SELECT count(*), count(*) FILTER (WHERE attempts > 0), min(created_ms) FROM notifications WHERE delivered = 0")
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
            .map_err(&fail)?;
        let total: i64 = conn
            .prepare_cached("SELECT coalesce(max(id), 0) FROM notifications")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(&fail)?;
        Ok(crate::OutboxCounts {
            pending: pending.unsigned_abs(),
            // Ids are never reused and every row stays: the delivered are the rest.
            delivered: (total - pending).unsigned_abs(),
            failing: failing.unsigned_abs(),
            oldest_pending_ms: oldest,
        })
    }
}

/// One node: its budgets are counted in memory.
impl crate::BudgetStore for SqliteStore {}

impl crate::SessionStore for SqliteStore {
    fn put_session(&self, session: &crate::SessionRecord, now: i64) -> Result<(), StoreError> {
        let fail = failed("storing a session");
        let conn = self.reader();
        conn.execute("DELETE FROM sessions WHERE expires <= ?1", [now])
            .map_err(&fail)?;
        conn.execute(
            "INSERT OR REPLACE INTO sessions (id_hash, key_hash, expires) VALUES (?1, ?2, ?3)",
            params![&session.id_hash[..], &session.key_hash[..], session.expires],
        )
        .map_err(&fail)?;
        Ok(())
    }

    fn session(&self, id_hash: &crate::Hash) -> Result<Option<crate::SessionRecord>, StoreError> {
        let fail = failed("reading a session");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT key_hash, expires FROM sessions WHERE id_hash = ?1")
            .map_err(&fail)?;
        let mut rows = stmt.query([&id_hash[..]]).map_err(&fail)?;
        match rows.next().map_err(&fail)? {
            Some(r) => Ok(Some(crate::SessionRecord {
                id_hash: *id_hash,
                key_hash: hash_of(r.get(0).map_err(&fail)?),
                expires: r.get(1).map_err(&fail)?,
            })),
            None => Ok(None),
        }
    }

    fn end_session(&self, id_hash: &crate::Hash) -> Result<bool, StoreError> {
        let n = self
            .reader()
            .execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash[..]])
            .map_err(|e| StoreError::storage("ending a session", e))?;
        Ok(n > 0)
    }
}
