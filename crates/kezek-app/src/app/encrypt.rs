//! `kezek migrate --from OLD --to NEW --encrypt-personal`: a journal begun before personal
//! data was sealed, written again into a new, empty one with every person's data sealed
//! under their own key (`crate::app::personal`), so that persons can be forgotten there.
//!
//! The new journal's records are the old ones event for event — the same seqs, times and
//! actors, the same events once opened — re-encoded; its first record chains from the old
//! journal's head (`EventLog::begin_after`), so the new chain commits to the old one and
//! anyone holding both checks that it continues it. Documents, proof files, stored answers,
//! API keys and the outbox are copied as they are (`kezek_store::copy::copy_beside`).

use super::personal::Personal;
use crate::app::start::{initial_policy, PolicyChoice};
use kezek_core::model::Seq;
use kezek_core::{Event, State};
use kezek_store::sealing::KeyCache;
use kezek_store::{Append, Head, Store, StoreError};

/// Records sealed per commit at most.
const BATCH: usize = 10_000;

/// What a migration that sealed the personal data did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encrypted {
    /// The old journal's head: the new one's first record chains from its hash.
    pub continues: Head,
    /// The new journal's head (the same seq).
    pub head: Head,
    /// Persons' data keys made.
    pub persons: usize,
    /// Documents copied.
    pub documents: usize,
}

/// Writes `from` (a journal that keeps personal data in the clear) into `to` (empty), every
/// person's data sealed; `policy` as a start chooses it.
///
/// # Errors
/// A source that seals already, a target that holds something, a source record that does
/// not verify or apply, no randomness, or storage failures.
pub fn encrypt(
    from: &dyn Store,
    to: &dyn Store,
    policy: PolicyChoice,
) -> Result<Encrypted, StoreError> {
    let refuse = |m: String| StoreError::Integrity(m);
    if from.seals()? {
        return Err(refuse(
            "the source seals personal data already: migrate it without --encrypt-personal".into(),
        ));
    }
    if !kezek_store::copy::is_empty(to)? {
        return Err(refuse(
            "the target holds an installation already: migrate into an empty one".into(),
        ));
    }
    let continues = from.head()?;
    to.set_seals(true)?;
    to.begin_after(continues.hash)?;
    let policy = initial_policy(from, policy).map_err(|e| refuse(e.to_string()))?;
    let cutoff = policy.cutoff;
    let mut state = State::new(policy);
    let personal = Personal {
        seals: true,
        keys: std::sync::Arc::default(),
    };
    let mut opening = KeyCache::load(from)?;
    let mut head = kezek_store::replay::start(from)?;
    let mut batch: Vec<(Seq, Event)> = Vec::new();
    let mut stamp = (String::new(), String::new());
    let mut persons = 0;
    loop {
        let page = from.read(head.seq, BATCH)?;
        if page.is_empty() {
            break;
        }
        for r in page {
            let event = kezek_store::sealing::open_after(
                &r,
                (head.seq, &head.hash),
                cutoff,
                &mut opening,
                from,
            )
            .map_err(|m| {
                refuse(format!(
                    "journal record {} of the source is invalid: {m}",
                    r.seq
                ))
            })?;
            head = Head {
                seq: r.seq,
                hash: r.hash,
            };
            // One commit per run of records made together (the same time and actor).
            if (r.at.as_str(), r.actor.as_str()) != (stamp.0.as_str(), stamp.1.as_str())
                || batch.len() >= BATCH
            {
                persons += write(
                    to,
                    &mut state,
                    &personal,
                    std::mem::take(&mut batch),
                    &stamp,
                )?;
                stamp = (r.at, r.actor);
            }
            batch.push((r.seq, event));
        }
    }
    persons += write(to, &mut state, &personal, batch, &stamp)?;
    if from.head()? != continues {
        return Err(refuse(
            "the source was written meanwhile: stop everything that writes it and run again".into(),
        ));
    }
    let copied = kezek_store::copy::copy_beside(from, to)?;
    if copied.head.seq != continues.seq {
        return Err(refuse(format!(
            "the new journal ends at seq {}, the old one at {}",
            copied.head.seq, continues.seq
        )));
    }
    Ok(Encrypted {
        continues,
        head: copied.head,
        persons,
        documents: copied.documents,
    })
}

/// Applies `events` (made at `at` by `actor`) to `state` and writes them into `to` sealed;
/// how many persons' keys were made.
fn write(
    to: &dyn Store,
    state: &mut State,
    personal: &Personal,
    events: Vec<(Seq, Event)>,
    (at, actor): &(String, String),
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    for (seq, e) in &events {
        state
            .apply(*seq, e)
            .map_err(|e| StoreError::Integrity(format!("the source does not apply: {e}")))?;
    }
    let sealing = personal
        .seal(state, &events)
        .map_err(|e| StoreError::Integrity(format!("no randomness to seal with: {e}")))?
        .ok_or_else(|| StoreError::Integrity("nothing sealed".into()))?;
    let made = sealing.keys.made.len();
    to.submit(Append {
        events,
        at: at.clone(),
        actor: actor.clone(),
        keys: sealing.keys,
        encoder: Some(sealing.encoder),
        ..Append::default()
    })
    .wait()?;
    Ok(made)
}
