//! Copying an installation's store into another, empty one (`kezek migrate`: SQLite to
//! PostgreSQL and back): the journal record by record as it is stored — the same bytes, so
//! the same hashes and the same head —, every document, proof file, person's data key, stored
//! answer and API key, and the
//! notification outbox with its ids and delivery state (nothing already delivered is sent
//! again). Every record's link and hash is checked as it is read; nothing may write the
//! source meanwhile (the caller holds it).

use crate::{Append, Head, Store, StoreError, StoredEvent};

/// Records copied per commit.
const PAGE: usize = 10_000;

/// What a copy copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// The head of both journals.
    pub head: Head,
    /// Documents copied.
    pub documents: usize,
    /// Proof files copied.
    pub files: usize,
    /// Persons' data keys copied.
    pub person_keys: usize,
    /// Stored answers copied.
    pub answers: usize,
    /// API keys copied.
    pub keys: usize,
    /// Notifications copied.
    pub notifications: usize,
}

/// Whether `store` holds nothing at all.
///
/// # Errors
/// Storage failure.
pub fn is_empty(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.head()?.seq.get() == 0
        && store.keys()?.is_empty()
        && store.documents("", 1)?.is_empty()
        && store.files("", 1)?.is_empty()
        && store.person_keys("", 1)?.is_empty()
        && store.answers()?.is_empty()
        && store.notifications(0, 1)?.is_empty())
}

/// Copies everything `from` holds into `to`, which must hold nothing.
///
/// # Errors
/// [`StoreError::Integrity`] for a target that holds something or a source record that does
/// not verify (naming its seq), or a source whose head moved meanwhile; storage failures.
pub fn copy(from: &dyn Store, to: &dyn Store) -> Result<Copied, StoreError> {
    if !is_empty(to)? {
        return Err(StoreError::Integrity(
            "the target holds an installation already: copy into an empty one".into(),
        ));
    }
    let head = copy_journal(from, to)?;
    let copied = copy_beside(from, to)?;
    if copied.head != head {
        return Err(StoreError::Integrity(
            "the copy's head is not the source's".into(),
        ));
    }
    Ok(copied)
}

/// Copies what `from` keeps beside its journal into `to` (whose journal is written already):
/// documents, proof files, persons' keys, stored answers, API keys, the outbox and where
/// e-mail stood; what was copied, with `to`'s head.
///
/// # Errors
/// Storage failures.
pub fn copy_beside(from: &dyn Store, to: &dyn Store) -> Result<Copied, StoreError> {
    let mut documents = 0;
    let mut after = String::new();
    loop {
        let page = from.documents(&after, 1000)?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        documents += page.len();
        to.submit(Append {
            documents: page,
            ..Append::default()
        })
        .wait()?;
    }
    // A few at a time: a file is up to 10 MiB.
    let mut files = 0;
    let mut after = String::new();
    loop {
        let page = from.files(&after, 8)?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        files += page.len();
        to.submit(Append {
            files: page,
            ..Append::default()
        })
        .wait()?;
    }
    let mut person_keys = 0;
    let mut after = String::new();
    loop {
        let page = from.person_keys(&after, 1000)?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        person_keys += page.len();
        to.submit(Append {
            keys: crate::PersonKeys {
                made: page,
                erased: Vec::new(),
            },
            ..Append::default()
        })
        .wait()?;
    }
    let answers = from.answers()?;
    let tickets: Vec<_> = answers
        .iter()
        .map(|a| {
            to.submit(Append {
                idempotency: Some(a.clone()),
                ..Append::default()
            })
        })
        .collect();
    for t in tickets {
        t.wait()?;
    }
    let keys = from.keys()?;
    for k in &keys {
        to.put_key(k)?;
    }
    let mut notifications = 0;
    let mut after = 0;
    loop {
        let page = from.notifications(after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        notifications += page.len();
        to.restore(&page)?;
    }
    to.set_outbox_since(from.outbox_since()?)?;
    // Where e-mail stood: the copy goes on from there, and tells no family twice.
    if let Some(email) = from.channel_state("email")? {
        to.set_channel_state("email", &email)?;
    }
    Ok(Copied {
        head: to.head()?,
        documents,
        files,
        person_keys,
        answers: answers.len(),
        keys: keys.len(),
        notifications,
    })
}

/// Copies the journal page by page, each record checked against the one before; the head.
fn copy_journal(from: &dyn Store, to: &dyn Store) -> Result<Head, StoreError> {
    to.set_seals(from.seals()?)?;
    let genesis = from.genesis()?;
    if genesis != crate::record::GENESIS {
        to.begin_after(genesis)?;
    }
    let mut keys = crate::sealing::KeyCache::load(from)?;
    // Opening only checks here that each record reads; the cut-off day stands in for an
    // erased birth date, so any does.
    let cutoff = kezek_core::model::Cutoff { month: 9, day: 1 };
    let mut head = Head::start(genesis);
    loop {
        let page = from.read(head.seq, PAGE)?;
        if page.is_empty() {
            break;
        }
        let mut records: Vec<StoredEvent> = Vec::with_capacity(page.len());
        for r in page {
            crate::sealing::open_after(&r, (head.seq, &head.hash), cutoff, &mut keys, from)
                .map_err(|message| {
                    StoreError::Integrity(format!(
                        "journal record {} of the source is invalid: {message}",
                        head.seq.next()
                    ))
                })?;
            head = Head {
                seq: r.seq,
                hash: r.hash,
            };
            records.push(r);
        }
        to.submit(Append {
            copied: records,
            ..Append::default()
        })
        .wait()?;
    }
    let source = from.head()?;
    if source != head {
        return Err(StoreError::Integrity(format!(
            "the source's head is seq {}, its records end at seq {}: was it written meanwhile?",
            source.seq, head.seq
        )));
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::EventLog;
    use kezek_core::model::Seq;
    use kezek_core::Event;

    fn withdrawn(seq: u64) -> Append {
        Append {
            events: vec![(
                Seq::new(seq),
                Event::Withdrawn {
                    application_id: format!("A{seq:05}").parse().unwrap(),
                    at: "2026-01-01T00:00:00Z".parse().unwrap(),
                },
            )],
            at: "2026-01-01T00:00:00Z".into(),
            actor: "test".into(),
            ..Append::default()
        }
    }

    #[test]
    fn a_journal_copies_with_its_head_and_a_misplaced_record_is_refused() {
        let (from, to) = (MemoryStore::new(), MemoryStore::new());
        for seq in 1..=5 {
            from.submit(withdrawn(seq)).wait().unwrap();
        }
        let copied = copy(&from, &to).unwrap();
        assert_eq!(copied.head, from.head().unwrap());
        assert_eq!(
            to.read(Seq::new(0), 10).unwrap(),
            from.read(Seq::new(0), 10).unwrap()
        );
        // The copy goes on from the same head with events of its own.
        to.submit(withdrawn(6)).wait().unwrap();
        // A record that does not follow the head is not stored.
        let stray = from.read(Seq::new(1), 1).unwrap();
        let again = MemoryStore::new();
        let refused = again
            .submit(Append {
                copied: stray,
                ..Append::default()
            })
            .wait();
        assert!(matches!(refused, Err(StoreError::Order(_))), "{refused:?}");
        assert_eq!(again.head().unwrap(), Head::EMPTY);
        // Nothing is copied over a journal.
        assert!(matches!(copy(&from, &to), Err(StoreError::Integrity(_))));
    }
}
