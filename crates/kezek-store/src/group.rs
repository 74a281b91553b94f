//! Group commit, as both journals do it: the writer takes every batch waiting when it starts
//! a transaction (at most [`MAX_GROUP`]), so concurrent requests share one commit; the commit
//! is timed and its size counted in the metrics; each batch is then answered with its own
//! result, or every batch with the error that failed them all.

use crate::{Append, Resolver, StoreError};

/// Most batches committed in one transaction.
pub(crate) const MAX_GROUP: usize = 4096;

/// A batch waiting for the writer, and where its answer goes.
pub(crate) struct Request {
    pub(crate) batch: Append,
    pub(crate) reply: Resolver,
}

/// `first` and every request `next` gives without waiting, up to [`MAX_GROUP`].
pub(crate) fn gather(first: Request, mut next: impl FnMut() -> Option<Request>) -> Vec<Request> {
    let mut group = vec![first];
    while group.len() < MAX_GROUP {
        match next() {
            Some(r) => group.push(r),
            None => break,
        }
    }
    group
}

/// Counts a commit of `batches` batches begun at `started`.
pub(crate) fn record(started: std::time::Instant, batches: usize) {
    metrics::histogram!("kezek_journal_commit_seconds").record(started.elapsed().as_secs_f64());
    metrics::histogram!("kezek_journal_batch_size")
        .record(f64::from(u32::try_from(batches).unwrap_or(u32::MAX)));
}

/// Answers each request of `group` with its result.
pub(crate) fn answer(group: Vec<Request>, results: Vec<Result<(), StoreError>>) {
    for (r, result) in group.into_iter().zip(results) {
        r.reply.send(result);
    }
}

/// Answers every request of `group` with `e`.
pub(crate) fn refuse(group: Vec<Request>, e: &StoreError) {
    for r in group {
        r.reply.send(Err(e.clone()));
    }
}
