//! The leader's writer: a task owning its own connection that commits every batch waiting
//! when it starts a transaction (group commit: concurrent requests share one commit). Each
//! transaction first locks `journal_head` and checks that it still holds this leader's epoch
//! and the head the batches were built on: a leader that was deposed (another node took the
//! lock and moved the epoch) can never write, and no seq is ever written twice.

use super::{failed, seq_sql, CHANNEL};
use crate::group::{self, Request};
use crate::record::StoredEvent;
use crate::{Append, Head, StoreError};
use std::sync::Arc;
use tokio_postgres::Client;

/// What the writer needs besides its requests.
pub(super) struct Lease {
    /// The epoch this node took over with.
    pub(super) epoch: i64,
    /// This node's term of leading, as its standing counts them.
    pub(super) term: u64,
    /// Whether this node still leads (its lease renewed, not deposed).
    pub(super) standing: Arc<super::standing::Standing>,
}

/// The writer's statements, prepared once on its connection.
struct Statements {
    head: tokio_postgres::Statement,
    events: tokio_postgres::Statement,
    documents: tokio_postgres::Statement,
    files: tokio_postgres::Statement,
    person_keys: tokio_postgres::Statement,
    erase_keys: tokio_postgres::Statement,
    forget: Forget,
    notifications: tokio_postgres::Statement,
    answers: tokio_postgres::Statement,
    move_head: tokio_postgres::Statement,
    notify: tokio_postgres::Statement,
}

/// The statements that take out what an erasure forgets.
struct Forget {
    documents: tokio_postgres::Statement,
    tombstones: tokio_postgres::Statement,
    signatures: tokio_postgres::Statement,
    notifications: tokio_postgres::Statement,
    files: tokio_postgres::Statement,
}

/// Takes out what an erasure forgets (`crate::forget`), after the group's own writes. The
/// rows' old versions stay in the table's pages until a vacuum reuses them
/// (docs/operations.md).
async fn forget(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Forget,
    f: &crate::forget::Forget,
) -> Result<(), StoreError> {
    let rows = tx
        .query(&st.documents, &[&f.applications])
        .await
        .map_err(failed("finding an erased application's documents"))?;
    let (mut ids, mut bodies) = (Vec::new(), Vec::new());
    for r in rows {
        let (id, application): (String, String) = (r.get(0), r.get(1));
        bodies.push(crate::forget::tombstone(&id, &application, &f.at));
        ids.push(id);
    }
    tx.execute(&st.tombstones, &[&ids, &bodies])
        .await
        .map_err(failed("erasing documents"))?;
    tx.execute(&st.signatures, &[&f.applications])
        .await
        .map_err(failed("erasing documents' signatures"))?;
    tx.execute(&st.notifications, &[&f.applications])
        .await
        .map_err(failed("erasing notifications"))?;
    tx.execute(&st.files, &[&f.files])
        .await
        .map_err(failed("erasing proof files"))?;
    Ok(())
}

async fn prepare(client: &Client) -> Result<Statements, tokio_postgres::Error> {
    Ok(Statements {
        head: client
            .prepare("SELECT seq, hash, epoch FROM journal_head WHERE id = 1 FOR UPDATE")
            .await?,
        events: client
            .prepare("INSERT INTO events (seq, at, actor, kind, payload, prev_hash, hash) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[])")
            .await?,
        documents: client
            .prepare("INSERT INTO documents (id, body, application_id) SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[]) ON CONFLICT (id) DO NOTHING")
            .await?,
        files: client
            .prepare("INSERT INTO files (id, body) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (id) DO NOTHING")
            .await?,
        person_keys: client
            .prepare("INSERT INTO person_keys (id, body) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (id) DO NOTHING")
            .await?,
        erase_keys: client
            .prepare("INSERT INTO person_keys (id, body) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body")
            .await?,
        forget: Forget {
            documents: client
                .prepare("SELECT id, application_id FROM documents WHERE application_id = ANY($1::text[]) AND id NOT LIKE '%.p7s'")
                .await?,
            tombstones: client
                .prepare("UPDATE documents AS d SET body = t.body FROM unnest($1::text[], $2::bytea[]) AS t(id, body) WHERE d.id = t.id")
                .await?,
            signatures: client
                .prepare("DELETE FROM documents WHERE application_id = ANY($1::text[]) AND id LIKE '%.p7s'")
                .await?,
            notifications: client
                .prepare("DELETE FROM notifications WHERE application_id = ANY($1::text[])")
                .await?,
            files: client
                .prepare("DELETE FROM files WHERE id = ANY($1::text[])")
                .await?,
        },
        // In the order given: ids rise with the journal.
        notifications: client
            .prepare("INSERT INTO notifications (application_id, kind, body) SELECT a, k, b FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS t(a, k, b, o) ORDER BY o")
            .await?,
        answers: client
            .prepare("INSERT INTO idempotency (actor, key, request_hash, status, body, signature) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int4[], $5::bytea[], $6::text[]) ON CONFLICT (actor, key) DO NOTHING")
            .await?,
        move_head: client
            .prepare("UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1")
            .await?,
        notify: client.prepare("SELECT pg_notify($1, $2)").await?,
    })
}

/// Takes everything queued, commits it in one transaction, answers. After a failed commit
/// it refuses everything: what follows would be chained to batches the journal may not have.
pub(super) async fn write_loop(
    mut client: Client,
    mut requests: tokio::sync::mpsc::UnboundedReceiver<Request>,
    mut head: Head,
    lease: Lease,
) {
    let (mut failure, statements) = match prepare(&client).await {
        Ok(s) => (None, Some(s)),
        Err(e) => (Some(StoreError::storage("preparing the writer", e)), None),
    };
    while let Some(first) = requests.recv().await {
        let group = group::gather(first, || requests.try_recv().ok());
        if failure.is_none() && !lease.standing.live_in(lease.term) {
            failure = Some(StoreError::Fenced(
                "this node lost its lease on the journal".into(),
            ));
        }
        let (None, Some(statements)) = (&failure, &statements) else {
            group::refuse(group, &failure.clone().unwrap_or(StoreError::Failed));
            continue;
        };
        let started = std::time::Instant::now();
        // An empty journal may have been made to continue another since this node took the
        // lead (`begin_after` moves the head row's hash at seq 0): it chains from there.
        if head.seq.get() == 0 {
            if let Ok(Some(row)) = client
                .query_opt("SELECT seq, hash FROM journal_head WHERE id = 1", &[])
                .await
            {
                if let Ok(start) = super::head_at(&row, 0) {
                    if start.seq.get() == 0 {
                        head = start;
                    }
                }
            }
        }
        let outcome = write_group(&mut client, statements, &group, head, lease.epoch).await;
        group::record(started, group.len());
        match outcome {
            Ok((new_head, results)) => {
                head = new_head;
                group::answer(group, results);
            }
            Err(e) => {
                if matches!(e, StoreError::Fenced(_)) {
                    lease.standing.lose(lease.term);
                }
                tracing::error!(error = %e, "a journal commit failed");
                group::refuse(group, &e);
                failure = Some(e);
            }
        }
    }
}

type GroupResult = (Head, Vec<Result<(), StoreError>>);

/// The rows of a group, column by column (one `unnest` insert per table).
#[derive(Default)]
struct Rows<'a> {
    seqs: Vec<i64>,
    ats: Vec<String>,
    actors: Vec<String>,
    kinds: Vec<String>,
    payloads: Vec<Vec<u8>>,
    prevs: Vec<Vec<u8>>,
    hashes: Vec<Vec<u8>>,
    doc_ids: Vec<&'a str>,
    doc_bodies: Vec<&'a [u8]>,
    doc_applications: Vec<Option<String>>,
    file_ids: Vec<&'a str>,
    file_bodies: Vec<&'a [u8]>,
    key_ids: Vec<&'a str>,
    key_bodies: Vec<&'a [u8]>,
    erased_keys: Vec<&'a str>,
    tombstones: Vec<&'a [u8]>,
    forget: Vec<&'a crate::forget::Forget>,
    note_apps: Vec<&'a str>,
    note_kinds: Vec<&'a str>,
    note_bodies: Vec<&'a [u8]>,
    answer_actors: Vec<&'a str>,
    answer_keys: Vec<&'a str>,
    answer_hashes: Vec<&'a [u8]>,
    answer_statuses: Vec<i32>,
    answer_bodies: Vec<&'a [u8]>,
    answer_signatures: Vec<&'a str>,
}

impl<'a> Rows<'a> {
    /// Adds one record; its head.
    fn push(&mut self, rec: StoredEvent) -> Head {
        let head = Head {
            seq: rec.seq,
            hash: rec.hash,
        };
        self.seqs.push(seq_sql(rec.seq));
        self.ats.push(rec.at);
        self.actors.push(rec.actor);
        self.kinds.push(rec.kind);
        self.payloads.push(rec.payload);
        self.prevs.push(rec.prev_hash.to_vec());
        self.hashes.push(rec.hash.to_vec());
        head
    }

    /// Adds one batch, its events chained after `head`; the new head.
    fn add(&mut self, b: &'a Append, head: Head, payloads: Vec<Vec<u8>>) -> Head {
        let mut h = head;
        for ((seq, event), payload) in b.events.iter().zip(payloads) {
            let kind = event.kind();
            let hash = crate::record::chain(&h.hash, *seq, &b.at, &b.actor, kind, &payload);
            h = self.push(StoredEvent {
                seq: *seq,
                at: b.at.clone(),
                actor: b.actor.clone(),
                kind: kind.to_owned(),
                payload,
                prev_hash: h.hash,
                hash,
            });
        }
        for rec in &b.copied {
            h = self.push(rec.clone());
        }
        for (id, body) in &b.documents {
            self.doc_ids.push(id);
            self.doc_bodies.push(body);
            self.doc_applications
                .push(crate::forget::application_of(id, body, &b.documents));
        }
        for (id, body) in &b.files {
            self.file_ids.push(id);
            self.file_bodies.push(body);
        }
        for (id, key) in &b.keys.made {
            self.key_ids.push(id);
            self.key_bodies.push(key);
        }
        for (id, tombstone) in &b.keys.erased {
            self.erased_keys.push(id);
            self.tombstones.push(tombstone);
        }
        if !b.forget.is_empty() {
            self.forget.push(&b.forget);
        }
        for n in &b.notifications {
            self.note_apps.push(&n.application_id);
            self.note_kinds.push(&n.kind);
            self.note_bodies.push(&n.body);
        }
        if let Some(i) = &b.idempotency {
            self.answer_actors.push(&i.actor);
            self.answer_keys.push(&i.key);
            self.answer_hashes.push(&i.request_hash);
            self.answer_statuses.push(i32::from(i.status));
            self.answer_bodies.push(&i.body);
            self.answer_signatures.push(&i.signature);
        }
        h
    }
}

/// The documents, proof files and persons' keys of a group, in its transaction.
async fn write_stored_with(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Statements,
    rows: &Rows<'_>,
) -> Result<(), StoreError> {
    if !rows.doc_ids.is_empty() {
        tx.execute(
            &st.documents,
            &[&rows.doc_ids, &rows.doc_bodies, &rows.doc_applications],
        )
        .await
        .map_err(failed("writing documents"))?;
    }
    if !rows.file_ids.is_empty() {
        tx.execute(&st.files, &[&rows.file_ids, &rows.file_bodies])
            .await
            .map_err(failed("writing proof files"))?;
    }
    if !rows.key_ids.is_empty() {
        tx.execute(&st.person_keys, &[&rows.key_ids, &rows.key_bodies])
            .await
            .map_err(failed("writing persons' keys"))?;
    }
    if !rows.erased_keys.is_empty() {
        tx.execute(&st.erase_keys, &[&rows.erased_keys, &rows.tombstones])
            .await
            .map_err(failed("erasing persons' keys"))?;
    }
    Ok(())
}

/// Writes a group of batches in one transaction, fenced by `journal_head`; a batch out of
/// order is refused alone.
async fn write_group(
    client: &mut Client,
    st: &Statements,
    group: &[Request],
    head: Head,
    epoch: i64,
) -> Result<GroupResult, StoreError> {
    let mut results = Vec::with_capacity(group.len());
    let mut rows = Rows::default();
    let mut h = head;
    for r in group {
        let b = &r.batch;
        if let Err(e) = crate::follows(b, h) {
            results.push(Err(e));
            continue;
        }
        let payloads = match crate::record::encode_all(b) {
            Ok(p) => p,
            Err(e) => {
                results.push(Err(e));
                continue;
            }
        };
        h = rows.add(b, h, payloads);
        results.push(Ok(()));
    }
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a transaction"))?;
    let row = tx
        .query_one(&st.head, &[])
        .await
        .map_err(failed("reading the journal's head"))?;
    let stored = super::head_at(&row, 0)?;
    let stored_epoch: i64 = row.try_get(2).map_err(failed("reading the epoch"))?;
    if stored_epoch != epoch {
        return Err(StoreError::Fenced(format!(
            "another node leads the journal now (epoch {stored_epoch}, this node took over at {epoch})"
        )));
    }
    if stored != head {
        return Err(StoreError::Fenced(format!(
            "the journal's head is seq {}, not the seq {} this node built on",
            stored.seq, head.seq
        )));
    }
    if !rows.seqs.is_empty() {
        tx.execute(
            &st.events,
            &[
                &rows.seqs,
                &rows.ats,
                &rows.actors,
                &rows.kinds,
                &rows.payloads,
                &rows.prevs,
                &rows.hashes,
            ],
        )
        .await
        .map_err(failed("writing events"))?;
    }
    write_stored_with(&tx, st, &rows).await?;
    if !rows.note_apps.is_empty() {
        tx.execute(
            &st.notifications,
            &[&rows.note_apps, &rows.note_kinds, &rows.note_bodies],
        )
        .await
        .map_err(failed("writing notifications"))?;
    }
    for f in &rows.forget {
        forget(&tx, &st.forget, f).await?;
    }
    if !rows.answer_actors.is_empty() {
        tx.execute(
            &st.answers,
            &[
                &rows.answer_actors,
                &rows.answer_keys,
                &rows.answer_hashes,
                &rows.answer_statuses,
                &rows.answer_bodies,
                &rows.answer_signatures,
            ],
        )
        .await
        .map_err(failed("writing stored answers"))?;
    }
    if h != head {
        tx.execute(&st.move_head, &[&seq_sql(h.seq), &h.hash.as_slice()])
            .await
            .map_err(failed("moving the journal's head"))?;
        tx.execute(&st.notify, &[&CHANNEL, &h.seq.get().to_string()])
            .await
            .map_err(failed("notifying the followers"))?;
    }
    tx.commit().await.map_err(failed("committing"))?;
    Ok((h, results))
}
