//! The writer thread, which owns the write connection and commits every batch waiting when
//! it starts a transaction (group commit: concurrent requests share one fsync); and the
//! checkpoint thread, which copies the WAL into the database off the commit path.

use crate::group::{self, Request};
use crate::record::{chain, encode, PARALLEL_FROM};
use crate::{Hash, Head, StoreError};
use kezek_core::model::Seq;
use kezek_core::Event;
use rusqlite::{params, Connection};
use std::sync::mpsc;

/// Time between checkpoints while commits keep coming.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL pages past which a checkpoint also restarts the WAL, waiting for the writer: under
/// steady writes a passive checkpoint never catches up with the end of the WAL, which
/// would then grow without bound. 16384 pages = 64 MiB.
const WAL_RESTART_PAGES: i64 = 16_384;

fn failed(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

/// The checkpoint thread: after commits, copies the WAL into the database without
/// blocking the writer; now and then restarts the WAL so it does not grow for ever.
pub(super) fn checkpoint_loop(conn: &Connection, commits: &mpsc::Receiver<()>) {
    // After a commit, let more come for a while, then checkpoint them all; leave as soon as
    // the writer has gone (closing the connection checkpoints what is left).
    while commits.recv().is_ok() {
        let until = std::time::Instant::now() + CHECKPOINT_EVERY;
        loop {
            match commits.recv_timeout(until.saturating_duration_since(std::time::Instant::now())) {
                Ok(()) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        let pages = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .unwrap_or(0);
        // A failed checkpoint loses nothing (the WAL keeps the pages): it is counted.
        if pages > WAL_RESTART_PAGES
            && conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                .is_err()
        {
            metrics::counter!("kezek_journal_checkpoint_failures_total").increment(1);
        }
    }
}

/// The writer thread: takes everything queued, commits it in one transaction, answers.
/// After a failed commit it refuses everything: what follows would be chained to batches
/// the journal does not have.
pub(super) fn write_loop(
    mut conn: Connection,
    rx: &mpsc::Receiver<Request>,
    mut head: Head,
    committed: &mpsc::Sender<()>,
    mark: &std::path::Path,
) {
    let mut failed = false;
    while let Ok(first) = rx.recv() {
        let group = group::gather(first, || rx.try_recv().ok());
        if failed {
            group::refuse(group, &StoreError::Failed);
            continue;
        }
        let started = std::time::Instant::now();
        // An empty journal may have been made to continue another since (`begin_after`).
        if head.seq.get() == 0 {
            if let Ok(start) = super::head_of(&conn) {
                head = start;
            }
        }
        let outcome = write_group(&mut conn, &group, head);
        group::record(started, group.len());
        match outcome {
            Ok((new_head, results)) => {
                head = new_head;
                // After the commit, never before: the mark must not run ahead of the journal.
                // A mark not written loses no data, only the check at the next start.
                if let Err(e) = super::mark::write(mark, &head) {
                    metrics::counter!("kezek_journal_mark_failures_total").increment(1);
                    tracing::error!(error = %e, mark = %mark.display(), "cannot write the head mark");
                }
                let _ = committed.send(());
                group::answer(group, results);
            }
            Err(e) => {
                failed = true;
                group::refuse(group, &e);
            }
        }
    }
}

type GroupResult = (Head, Vec<Result<(), StoreError>>);

/// Writes a group of batches in one transaction; a batch out of order is refused alone.
fn write_group(
    conn: &mut Connection,
    group: &[Request],
    head: Head,
) -> Result<GroupResult, StoreError> {
    let tx = conn
        .transaction()
        .map_err(failed("starting a transaction"))?;
    let mut results = Vec::with_capacity(group.len());
    let mut h = head;
    for r in group {
        let b = &r.batch;
        if let Err(e) = crate::follows(b, h) {
            results.push(Err(e));
            continue;
        }
        h = write_batch(&tx, b, h)?;
        results.push(Ok(()));
    }
    tx.commit().map_err(failed("committing"))?;
    if group
        .iter()
        .any(|r| !r.batch.keys.erased.is_empty() || !r.batch.forget.is_empty())
    {
        empty_the_wal(conn);
    }
    Ok((h, results))
}

/// After a person's key was erased: the WAL copied into the database (where the key's
/// bytes are already overwritten) and emptied, so that the file no longer holds the page
/// the key was written in. Readers in the middle of a read can hold it up: it is tried
/// until it goes through, for a few seconds, and a failure is said in the log (the bytes
/// go at the next checkpoint that restarts the WAL).
fn empty_the_wal(conn: &Connection) {
    for _ in 0..50 {
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(0) => return,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            Err(e) => {
                tracing::error!(error = %e, "cannot empty the WAL after erasing a key");
                return;
            }
        }
    }
    tracing::error!(
        "the WAL stayed in use: an erased key's bytes may stay in it until the next checkpoint"
    );
}

/// Takes out what an erasure forgets (`crate::forget`), after the batch's own writes.
fn forget(tx: &rusqlite::Transaction<'_>, f: &crate::forget::Forget) -> Result<(), StoreError> {
    if f.is_empty() {
        return Ok(());
    }
    for application in &f.applications {
        let ids: Vec<String> = tx
            .prepare_cached(
                "SELECT id FROM documents WHERE application_id = ?1 AND id NOT LIKE '%.p7s'",
            )
            .and_then(|mut q| {
                q.query_map(params![application], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(failed("finding an erased application's documents"))?;
        for id in ids {
            let tombstone = crate::forget::tombstone(&id, application, &f.at);
            tx.execute(
                "UPDATE documents SET body = ?2 WHERE id = ?1",
                params![id, tombstone],
            )
            .map_err(failed("erasing a document"))?;
        }
        tx.execute(
            "DELETE FROM documents WHERE application_id = ?1 AND id LIKE '%.p7s'",
            params![application],
        )
        .map_err(failed("erasing documents' signatures"))?;
        tx.execute(
            "DELETE FROM notifications WHERE application_id = ?1",
            params![application],
        )
        .map_err(failed("erasing notifications"))?;
    }
    for id in &f.files {
        tx.execute("DELETE FROM files WHERE id = ?1", params![id])
            .map_err(failed("erasing a proof file"))?;
    }
    Ok(())
}

/// Payloads encoded at a time by the thread that encodes a large batch's events (from
/// [`PARALLEL_FROM`] events: a city import, JSON on one core while the other hashes and
/// inserts).
const PAGE: usize = 1024;

/// One row of the events table, borrowed.
struct Row<'a> {
    seq: Seq,
    at: &'a str,
    actor: &'a str,
    kind: &'a str,
    payload: &'a [u8],
    prev: &'a Hash,
    hash: &'a Hash,
}

/// Inserts one event row; the head it makes.
fn insert_row(insert: &mut rusqlite::CachedStatement<'_>, r: &Row<'_>) -> Result<Head, StoreError> {
    let seq_i =
        i64::try_from(r.seq.get()).map_err(|e| StoreError::storage("numbering an event", e))?;
    insert
        .execute(params![
            seq_i,
            r.at,
            r.actor,
            r.kind,
            r.payload,
            &r.prev[..],
            &r.hash[..]
        ])
        .map_err(failed("writing an event"))?;
    Ok(Head {
        seq: r.seq,
        hash: *r.hash,
    })
}

/// Inserts the record of an event whose payload is encoded, chained after `prev`; the head
/// it makes.
fn insert_event(
    insert: &mut rusqlite::CachedStatement<'_>,
    prev: &Hash,
    (seq, event): &(Seq, Event),
    b: &crate::Append,
    payload: &[u8],
) -> Result<Head, StoreError> {
    let kind = event.kind();
    let hash = chain(prev, *seq, &b.at, &b.actor, kind, payload);
    let row = Row {
        seq: *seq,
        at: &b.at,
        actor: &b.actor,
        kind,
        payload,
        prev,
        hash: &hash,
    };
    insert_row(insert, &row)
}

/// Writes a batch's events chained after `head`; the new head.
fn write_events(
    insert: &mut rusqlite::CachedStatement<'_>,
    b: &crate::Append,
    head: Head,
) -> Result<Head, StoreError> {
    let mut h = head;
    let mut put =
        |h: Head, e: &(Seq, Event), payload: &[u8]| insert_event(insert, &h.hash, e, b, payload);
    if b.events.len() < PARALLEL_FROM {
        for e in &b.events {
            h = put(h, e, &encode(b, e.0, &e.1)?)?;
        }
        return Ok(h);
    }
    std::thread::scope(|s| {
        let (pages, encoded) = mpsc::sync_channel::<Result<Vec<Vec<u8>>, StoreError>>(2);
        s.spawn(move || {
            for page in b.events.chunks(PAGE) {
                let payloads = page.iter().map(|(seq, e)| encode(b, *seq, e)).collect();
                if pages.send(payloads).is_err() {
                    return;
                }
            }
        });
        for (page, payloads) in b.events.chunks(PAGE).zip(encoded) {
            for (e, payload) in page.iter().zip(payloads?) {
                h = put(h, e, &payload)?;
            }
        }
        Ok::<(), StoreError>(())
    })?;
    match b.events.last() {
        Some((last, _)) if *last != h.seq => Err(StoreError::storage(
            "encoding events",
            std::io::Error::other(format!("stopped before seq {last}")),
        )),
        _ => Ok(h),
    }
}

/// Writes one batch (its events chained after `head`, its documents, its stored answer);
/// the new head.
fn write_batch(
    tx: &rusqlite::Transaction<'_>,
    b: &crate::Append,
    head: Head,
) -> Result<Head, StoreError> {
    let mut insert = tx
        .prepare_cached("INSERT INTO events (seq, at, actor, kind, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .map_err(failed("preparing the event insert"))?;
    let mut h = write_events(&mut insert, b, head)?;
    for rec in &b.copied {
        let row = Row {
            seq: rec.seq,
            at: &rec.at,
            actor: &rec.actor,
            kind: &rec.kind,
            payload: &rec.payload,
            prev: &rec.prev_hash,
            hash: &rec.hash,
        };
        h = insert_row(&mut insert, &row)?;
    }
    if !b.documents.is_empty() {
        let mut keep = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO documents (id, body, application_id) VALUES (?1, ?2, ?3)",
            )
            .map_err(failed("preparing the document insert"))?;
        for (id, body) in &b.documents {
            let application = crate::forget::application_of(id, body, &b.documents);
            keep.execute(params![id, body, application])
                .map_err(failed("writing a document"))?;
        }
    }
    if !b.files.is_empty() {
        let mut keep = tx
            .prepare_cached("INSERT OR IGNORE INTO files (id, body) VALUES (?1, ?2)")
            .map_err(failed("preparing the file insert"))?;
        for (id, body) in &b.files {
            keep.execute(params![id, body])
                .map_err(failed("writing a proof file"))?;
        }
    }
    if !b.keys.made.is_empty() {
        let mut keep = tx
            .prepare_cached("INSERT OR IGNORE INTO person_keys (id, body) VALUES (?1, ?2)")
            .map_err(failed("preparing the key insert"))?;
        // In id order: the ids are random, and a city's million inserted where they fall
        // spilled the page cache again and again; sorted, each goes where the last one did.
        let mut made: Vec<&(String, Vec<u8>)> = b.keys.made.iter().collect();
        made.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (id, key) in made {
            keep.execute(params![id, key])
                .map_err(failed("writing a person's key"))?;
        }
    }
    if !b.keys.erased.is_empty() {
        // The row replaced: `secure_delete` overwrites the key's bytes.
        let mut erase = tx
            .prepare_cached("INSERT OR REPLACE INTO person_keys (id, body) VALUES (?1, ?2)")
            .map_err(failed("preparing the key erasure"))?;
        for (id, tombstone) in &b.keys.erased {
            erase
                .execute(params![id, tombstone])
                .map_err(failed("erasing a person's key"))?;
        }
    }
    if !b.notifications.is_empty() {
        let mut outbox = tx
            .prepare_cached(
                "INSERT INTO notifications (application_id, kind, body) VALUES (?1, ?2, ?3)",
            )
            .map_err(failed("preparing the notification insert"))?;
        for n in &b.notifications {
            outbox
                .execute(params![n.application_id, n.kind, n.body])
                .map_err(failed("writing a notification"))?;
        }
    }
    forget(tx, &b.forget)?;
    if let Some(i) = &b.idempotency {
        tx.prepare_cached("INSERT OR IGNORE INTO idempotency (actor, key, request_hash, status, body, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(failed("preparing the answer insert"))?
            .execute(params![i.actor, i.key, &i.request_hash[..], i.status, i.body, i.signature])
            .map_err(failed("writing a stored answer"))?;
    }
    Ok(h)
}
