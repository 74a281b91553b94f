//! The PostgreSQL schema and its migrations: the same tables as SQLite's (events, stored
//! answers, documents, keys, notifications), plus `journal_head`, the one row every append
//! checks and moves in its transaction (the fencing of a deposed leader), and the leader's
//! lease in it.

use crate::StoreError;
use tokio_postgres::Client;

/// Schema versions, applied in order; `kezek_schema.version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE events (
        seq BIGINT PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BYTEA NOT NULL,
        prev_hash BYTEA NOT NULL,
        hash BYTEA NOT NULL
    );
    CREATE INDEX events_policy ON events(seq) WHERE kind = 'policy_adopted';
    CREATE TABLE journal_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        epoch BIGINT NOT NULL,
        leader TEXT NOT NULL
    );
    INSERT INTO journal_head VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, '');
    CREATE TABLE idempotency (
        actor TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash BYTEA NOT NULL,
        status INTEGER NOT NULL,
        body BYTEA NOT NULL,
        signature TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (actor, key)
    );
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        body BYTEA NOT NULL
    );
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        token_hash BYTEA NOT NULL UNIQUE,
        role TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        signature TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
    INSERT INTO keys_version VALUES (1, 0);
    CREATE FUNCTION kezek_keys_moved() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN UPDATE keys_version SET n = n + 1; RETURN NULL; END $$;
    CREATE TRIGGER keys_moved AFTER INSERT OR UPDATE OR DELETE ON api_keys
        FOR EACH STATEMENT EXECUTE FUNCTION kezek_keys_moved();
    CREATE TABLE notifications (
        id BIGSERIAL PRIMARY KEY,
        application_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body BYTEA NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered BOOLEAN NOT NULL DEFAULT false,
        created_ms BIGINT NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
    );
    CREATE INDEX notifications_pending ON notifications(application_id, id) WHERE NOT delivered;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
",
    "
    -- The leader's lease (the lead module): who holds it (the backend of its lease
    -- connection), when it was last renewed and when it lapses, by the database's clock.
    ALTER TABLE journal_head
        ADD COLUMN leader_pid INTEGER,
        ADD COLUMN lease_renewed TIMESTAMPTZ,
        ADD COLUMN lease_expires TIMESTAMPTZ;
",
    "
    -- Budgets of requests every node counts together (BudgetStore): uses of a bucket (a
    -- digest: no address or number in the clear) in one minute.
    CREATE TABLE budgets (
        bucket TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        used INTEGER NOT NULL,
        PRIMARY KEY (bucket, window_start)
    );
",
    "
    -- The console's sessions (SessionStore): the id's hash, the key's token hash, the end.
    CREATE TABLE sessions (
        id_hash BYTEA PRIMARY KEY,
        key_hash BYTEA NOT NULL,
        expires BIGINT NOT NULL
    );
",
    "
    -- What a family was told, application by application (its status page).
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
        body BYTEA NOT NULL
    );
",
    // Persons' data keys (kezek_core::sealed), outside the chain: deleting one forgets them.
    "
    CREATE TABLE person_keys (
        id TEXT PRIMARY KEY,
        body BYTEA NOT NULL
    );
",
    // A journal begun empty by a Kezek that seals personal values is sealed; one with
    // records already keeps them in the clear (until `kezek migrate --encrypt-personal`).
    "
    INSERT INTO meta (key, value)
        SELECT 'seals', '1' WHERE NOT EXISTS (SELECT 1 FROM events)
        ON CONFLICT (key) DO NOTHING;
",
    // Each document's application, so that an erasure finds its documents (a detached
    // signature takes its document's). A document's canonical JSON starts with it; the
    // bytes are read as escaped text, which any bytes are.
    r#"
    ALTER TABLE documents ADD COLUMN application_id TEXT;
    UPDATE documents SET application_id =
        substring(encode(body, 'escape') from '^\{"application_id":"([^"\\]*)"')
        WHERE id NOT LIKE '%.p7s';
    UPDATE documents AS s SET application_id = d.application_id FROM documents AS d
        WHERE s.id LIKE '%.p7s' AND d.id = left(s.id, length(s.id) - 4);
    CREATE INDEX documents_application ON documents(application_id);
"#,
];

/// The advisory lock that serialises migrations of nodes starting together.
const MIGRATION_LOCK: i64 = 0x6b65_7a65_6b00_0001;

fn failed(what: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

/// Brings the schema up to date, one migration per transaction; nodes starting at once wait
/// for each other.
pub(super) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    loop {
        let tx = client.transaction().await.map_err(failed("migrating"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(failed("migrating"))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS kezek_schema (version INTEGER NOT NULL)")
            .await
            .map_err(failed("migrating"))?;
        let version: i32 = tx
            .query_opt("SELECT version FROM kezek_schema", &[])
            .await
            .map_err(failed("reading the schema version"))?
            .map_or(0, |r| r.get(0));
        let version = usize::try_from(version).unwrap_or(0);
        if version > MIGRATIONS.len() {
            return Err(StoreError::storage(
                "opening the journal",
                std::io::Error::other(format!(
                    "schema version {version} is newer than this Kezek knows ({})",
                    MIGRATIONS.len()
                )),
            ));
        }
        let Some(sql) = MIGRATIONS.get(version) else {
            return Ok(());
        };
        tx.batch_execute(sql).await.map_err(failed("migrating"))?;
        let next = i32::try_from(version + 1).unwrap_or(i32::MAX);
        tx.execute("DELETE FROM kezek_schema", &[])
            .await
            .map_err(failed("migrating"))?;
        tx.execute("INSERT INTO kezek_schema VALUES ($1)", &[&next])
            .await
            .map_err(failed("migrating"))?;
        tx.commit().await.map_err(failed("migrating"))?;
    }
}
