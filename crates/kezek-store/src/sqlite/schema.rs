//! The SQLite schema and its migrations, and reading columns whatever their stored type.

use crate::record::Hash;
use crate::StoreError;
use rusqlite::Connection;

/// Schema versions, applied in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
    );
    CREATE TABLE idempotency (
        actor TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash BLOB NOT NULL,
        status INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (actor, key)
    );
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE,
        role TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
",
    "
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        body BLOB NOT NULL
    );
",
    "
    ALTER TABLE idempotency ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE api_keys ADD COLUMN signature TEXT NOT NULL DEFAULT '';
",
    "
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
",
    "
    CREATE INDEX events_policy ON events(seq) WHERE kind = 'policy_adopted';
",
    "
    ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
    ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
    CREATE TABLE keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
    INSERT INTO keys_version VALUES (1, 0);
    CREATE TRIGGER keys_inserted AFTER INSERT ON api_keys BEGIN UPDATE keys_version SET n = n + 1; END;
    CREATE TRIGGER keys_updated AFTER UPDATE ON api_keys BEGIN UPDATE keys_version SET n = n + 1; END;
    CREATE TRIGGER keys_deleted AFTER DELETE ON api_keys BEGIN UPDATE keys_version SET n = n + 1; END;
",
    "
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        application_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
    );
    CREATE INDEX notifications_pending ON notifications(application_id, id) WHERE delivered = 0;
",
    // Since which seq the outbox holds every notification: an outbox that is empty now began
    // at the journal's head (0 for a new installation); one that already holds notifications
    // began before this was recorded (`kezek verify` takes its first one as its start).
    "
    INSERT OR IGNORE INTO meta (key, value)
        SELECT 'outbox_since', CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM events
        WHERE NOT EXISTS (SELECT 1 FROM notifications);
",
    // The console's sessions (SessionStore): the id's hash, the key's token hash, the end.
    "
    CREATE TABLE sessions (
        id_hash BLOB PRIMARY KEY,
        key_hash BLOB NOT NULL,
        expires INTEGER NOT NULL
    );
",
    // What a family was told, application by application (its status page).
    "
    CREATE INDEX notifications_application ON notifications(application_id, id);
",
    // The authority keys the journal adopted (a handful in a million records).
    "
    CREATE INDEX events_authority ON events(seq) WHERE kind = 'authority_adopted';
",
    // The official an API key belongs to.
    "
    ALTER TABLE api_keys ADD COLUMN official TEXT;
",
    // Proof files (scans and photos of documents): their bytes; the journal holds their hash.
    "
    CREATE TABLE files (
        id TEXT PRIMARY KEY,
        body BLOB NOT NULL
    );
",
    // Persons' data keys (kezek_core::sealed), outside the chain: deleting one forgets them.
    "
    CREATE TABLE person_keys (
        id TEXT PRIMARY KEY,
        body BLOB NOT NULL
    );
",
    // A journal begun empty by a Kezek that seals personal values is sealed; one with
    // records already keeps them in the clear (until `kezek migrate --encrypt-personal`).
    "
    INSERT OR IGNORE INTO meta (key, value)
        SELECT 'seals', '1' WHERE NOT EXISTS (SELECT 1 FROM events);
",
    // Each document's application, so that an erasure finds its documents (a detached
    // signature takes its document's).
    "
    ALTER TABLE documents ADD COLUMN application_id TEXT;
    UPDATE documents SET application_id = json_extract(CAST(body AS TEXT), '$.application_id')
        WHERE id NOT LIKE '%.p7s' AND json_valid(CAST(body AS TEXT));
    UPDATE documents SET application_id = (SELECT d.application_id FROM documents AS d
        WHERE d.id = substr(documents.id, 1, length(documents.id) - 4))
        WHERE id LIKE '%.p7s';
    CREATE INDEX documents_application ON documents(application_id);
",
];

/// Brings the schema up to date, one migration per transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let fail = |what: &'static str| move |e| StoreError::storage(what, e);
    let version: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(fail("reading the schema version"))?;
    if version > MIGRATIONS.len() {
        return Err(StoreError::storage(
            "opening the journal",
            std::io::Error::other(format!(
                "schema version {version} is newer than this Kezek knows ({})",
                MIGRATIONS.len()
            )),
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction().map_err(fail("migrating"))?;
        tx.execute_batch(sql).map_err(fail("migrating"))?;
        tx.pragma_update(None, "user_version", i + 1)
            .map_err(fail("migrating"))?;
        tx.commit().map_err(fail("migrating"))?;
    }
    Ok(())
}

/// A column's bytes whatever its stored type: a record edited by hand may have changed
/// type, and must then fail verification at its own seq, not stop the read.
pub(super) fn bytes_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Integer(n) => n.to_string().into_bytes(),
        ValueRef::Real(x) => x.to_string().into_bytes(),
        ValueRef::Null => Vec::new(),
    })
}

/// A column's text whatever its stored type.
pub(super) fn text_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(String::from_utf8_lossy(&bytes_at(r, i)?).into_owned())
}

/// A nullable column's text whatever its stored type; `None` for NULL.
pub(super) fn optional_text_at(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<String>> {
    if matches!(r.get_ref(i)?, rusqlite::types::ValueRef::Null) {
        return Ok(None);
    }
    text_at(r, i).map(Some)
}

/// A stored hash; one of the wrong length cannot match any chain: verification then names its
/// seq.
pub(super) fn hash_of(bytes: Vec<u8>) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}
